/*
 * cc_coverage.h - the coverage run: who reaches care within each threshold, per tier and per
 * admin area, with travel-time raster, isochrones, catchments and tables written to a folder.
 */
#ifndef CC_COVERAGE_H
#define CC_COVERAGE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "cc_api.h"
#include "cc_ctx.h"
#include "cc_inputs.h"
#include "cc_profile.h"

#ifdef __cplusplus
extern "C" {
#endif

/** Maximum number of thresholds (bands) in one run. */
#define CC_MAX_BANDS 16

struct cc_report_opts;

/** What a coverage run writes besides summary.json (always written, with scenario.json when
 *  given): cc_coverage_opts.outputs. A batch of many variants may keep only what it compares.
 *  @since 0.6 */
enum {
    CC_OUT_RASTER = 1u << 0, /**< travel_time.tif (and access_index.tif with a capacity field) */
    CC_OUT_GPKG = 1u << 1,   /**< coverage.gpkg */
    CC_OUT_TABLES = 1u << 2, /**< access_by_village.csv/.xlsx, referrals.csv */
    CC_OUT_REPORT = 1u << 3, /**< QGIS styles and project.qgs, maps, HTML reports; drawn from the
                                  raster and the GeoPackage, so it needs both */
    CC_OUT_SUMMARY = 1u << 4, /**< summary.json: always written; alone, nothing else is */
    CC_OUT_ALL = 0x1fu
};

/** Parse a comma list of output names into CC_OUT_* flags (CC_OUT_SUMMARY always set): summary,
 *  raster, gpkg, tables, report, all. Returns CC_ERR_PARAM for an unknown or empty name, with
 *  *bad set to it (a pointer into @p list, up to the next comma; NULL when the list is NULL or
 *  empty). @since 0.6 */
CC_API cc_status cc_coverage_outputs_parse(const char *list, unsigned *flags, const char **bad);

/** What the friction model found (zero for the straight model). @since 0.5 */
typedef struct cc_offroad_result {
    bool used;
    int neighbours;
    size_t cells, cells_passable, transfer_points;
    bool cell_for_cell;               /**< the friction inputs were on the population grid (no resampling) */
    double population_impassable;     /**< on a barrier, nodata or outside the friction surface */
    double population_enclosed;       /**< on a passable cell from which no facility is reachable */
    double population_moved;          /**< on an impassable cell, given the time of the nearest passable cell (@since 0.6) */
    size_t points_moved;              /**< demand points (cells, villages) so moved */
    double moved_max_m;               /**< the farthest such move, metres (0: none) */
    double mean_offroad_min, mean_road_min; /**< population-weighted means over the people who reach a facility */
    double population_road_on_foot[3];      /**< reaching a road on foot within 15, 30, 60 minutes */
    double bytes_per_cell;
    double t_surface_s, t_search_s;
    uint64_t nodes_settled;           /**< cells and road nodes settled over every search of the run */
    size_t water_barriers;            /**< water features burnt as barriers */
    size_t water_passable;            /**< water lines left passable (waterway stream, ditch, drain) */
    size_t ferries_linked;            /**< ferry lines joined to a passable cell at both ends */
    size_t ferries_unlinked;          /**< ferry lines with an end farther than 500 m from any passable cell */
} cc_offroad_result;

/** A proposed site shown with the coverage outputs (layer proposed_sites, drawn on the maps). */
typedef struct cc_coverage_site {
    unsigned rank;            /**< 1 = the site that adds the most */
    const char *name;
    const char *tier;         /**< what the site would become (e.g. "sub_centre"); may be NULL */
    const char *model;        /**< siting model that proposed it ("mclp", ...) */
    double lon, lat;          /**< degrees, WGS84 */
    double gain_persons;      /**< coverage models: persons newly within the threshold; NaN for time models */
    double saved_mean_s;      /**< time models: mean travel time saved over the population, seconds; NaN for coverage models */
    double share_cum;         /**< covered share with this site and those ranked above it (NaN: none) */
    const char *name_zh;      /**< the name in Chinese where it differs (cc_site_pick.name_zh); NULL: @c name (@since 0.5) */
} cc_coverage_site;

/** Options of a coverage run. Zero-initialise, then set the inputs (roads, population,
 *  facilities) and the output folder. */
typedef struct cc_coverage_opts {
    cc_inputs in;             /**< inputs, reader options, profile, CRS and scenario edits */
    const char *out_dir;      /**< required: output folder (replaced only when the run completes) */
    const double *minutes;    /**< thresholds in minutes, ascending; NULL: 15, 30, 60 */
    size_t n_minutes;
    double uncovered_minutes; /**< threshold for demand_uncovered; 0: 30 if listed, else the middle one */
    const char *scenario_json;        /**< resolved scenario (JSON text) written as scenario.json; may be NULL */
    const struct cc_report_opts *report; /**< deliverables (styles, project, maps, report); NULL: defaults */
    /* written with the outputs (@since 0.3; scenarios with a siting section) */
    const cc_coverage_site *proposed_sites; /**< layer proposed_sites of coverage.gpkg; drawn on the maps */
    size_t n_proposed_sites;
    const char *const *extra_dirs;   /**< finished folders moved into the output folder as it lands */
    const char *const *extra_names;  /**< their names inside it */
    size_t n_extra_dirs;
    /** Comma list of the tiers that count as capable care for the headline figure (summary.json
     *  "headline", the key figures of the maps and report); NULL: the tiers of the highest level
     *  present (hospitals and county sub-centres, else township health centres, else village
     *  clinics; 120 stations never by default). Every tier is still reported on its own. @since 0.5 */
    const char *headline;
    /* emergency direction and the emergency chain (@since 0.5) */
    bool emergency;           /**< times run from the facility to the patient (ambulances leaving
                                   emergency stations, oneway streets taken that way) plus the
                                   dispatch delay, instead of from the patient to the facility */
    bool chain;               /**< also compute the emergency chain of every demand point:
                                   dispatch delay + nearest station of @c station_tiers -> patient
                                   + time on scene + patient -> nearest facility of
                                   @c capable_tiers (result member chain, raster bands, layer
                                   chain_isochrones, summary.json key "chain") */
    const char *station_tiers; /**< chain: comma list of the tiers that dispatch ambulances; required */
    const char *capable_tiers; /**< chain: comma list of the tiers that can treat the key diseases;
                                    NULL: those of "county_hospital,sub_centre" that exist
                                    (capable_tiers_for_chain, DOMAIN.md section 7) */
    double dispatch_minutes;  /**< chain and emergency: dispatch delay; 0: 3 (the 3-minute departure
                                   target, DOMAIN.md section 1); < 0: none */
    double on_scene_minutes;  /**< chain: time on scene; 0: 10 (DOMAIN.md section 7); < 0: none */
    double capacity_minutes;  /**< with in.capacity_field: people are served by facilities within this
                                   many minutes (nearest first, until capacity is used) and the E2SFCA
                                   catchment is this wide; 0: uncovered_minutes (@since 0.5) */
    unsigned outputs;         /**< CC_OUT_* flags of what to write besides summary.json; 0: all (@since 0.6) */
} cc_coverage_opts;

/** Figures of one tier. */
typedef struct cc_tier_result {
    const char *name;
    uint32_t facilities, facilities_snapped;
    const double *population_within; /**< one per threshold */
    double population_unreachable;   /**< road access, but no facility of the tier reachable */
} cc_tier_result;

/** Figures of the emergency chain (cc_coverage_opts.chain). Times of one leg are only counted
 *  for people for whom that leg exists (road access, a station or capable facility reachable).
 *  @since 0.5 */
typedef struct cc_chain_result {
    double dispatch_minutes, on_scene_minutes;
    uint32_t stations, capable_facilities;   /**< facilities of the tiers joined to the network */
    const double *population_within;         /**< one per threshold: whole chain within T */
    const double *response_within;           /**< one per threshold: dispatch + station -> patient within T */
    const double *transport_within;          /**< one per threshold: patient -> capable facility within T */
    double population_without_chain;         /**< no road access, or a leg without any facility */
    double mean_total_s;                     /**< population-weighted means over the people with a chain */
    double mean_station_to_patient_s;        /**< over the people a station reaches */
    double mean_patient_to_capable_s;        /**< over the people who reach a capable facility */
    double t_search_s;
} cc_chain_result;

/** Figures of the capacity allocation (cc_inputs.capacity_field): people are taken in order of
 *  travel time, each by the nearest facility within the threshold that still has room.
 *  served + unserved_within + no_access = population_total. @since 0.5 */
typedef struct cc_capacity_result {
    double minutes;                 /**< the threshold of the allocation and of the E2SFCA catchment */
    double population_served;
    double population_unserved_within; /**< within the threshold of a facility, but all of them full */
    double population_no_access;    /**< no facility within the threshold (or no road access) */
    uint32_t facilities_with_capacity, facilities_over_capacity; /**< over: nearest-facility demand above capacity */
    double mean_access_per_1000;    /**< population-weighted mean E2SFCA index, capacity per 1,000 people */
    double t_s;
} cc_capacity_result;

/** Figures of a coverage run (also written to summary.json). */
typedef struct cc_coverage_result {
    size_t n_minutes;
    const double *minutes;
    double population_total;
    double population_no_road_access; /**< farther than the maximum snap distance from a road */
    double population_unreachable;    /**< on a road, but no facility reachable (disconnected) */
    double population_beyond;         /**< reachable, but beyond the largest threshold */
    const double *population_within;  /**< one per threshold, all facilities */
    size_t n_tiers;
    const cc_tier_result *tiers;
    uint32_t graph_nodes, graph_edges, graph_arcs;
    uint32_t facilities_total, facilities_snapped;
    size_t demand_points, demand_with_road_access;
    bool demand_is_raster;
    const char *crs_name;
    const char *profile_name;
    /** Headline (@since 0.5): the tiers counted as capable care (names, n_headline of them; 0 when
     *  the facilities have no tiers: the headline is then all facilities), the population within
     *  each threshold of the nearest of them, and those on a road with none of them reachable. */
    size_t n_headline;
    const char *const *headline_tiers;
    const double *headline_within;
    double headline_unreachable;
    size_t graph_routing_bytes, graph_geometry_bytes, way_vertices;
    double t_load_s, t_graph_s, t_snap_s, t_search_s, t_polygons_s, t_write_s, t_total_s;
    cc_offroad_result offroad; /**< @since 0.5 */
    bool emergency;                   /**< times from the facility to the patient, dispatch included (@since 0.5) */
    double dispatch_minutes;          /**< with emergency (@since 0.5) */
    const cc_chain_result *chain;     /**< the emergency chain; NULL unless asked for (@since 0.5) */
    const cc_capacity_result *capacity; /**< NULL unless in.capacity_field is set (@since 0.5) */
    unsigned outputs;                 /**< CC_OUT_* flags of what was written (@since 0.6) */
} cc_coverage_result;

/** Run the coverage end to end and write travel_time.tif, coverage.gpkg and summary.json
 *  into @p opts->out_dir. Outputs are staged in a sibling folder and swapped in at the end:
 *  a failed or interrupted run leaves the previous outputs untouched and no partial files.
 *  @param out figures; caller owns them, free with cc_coverage_result_destroy(); may be NULL
 *  @return CC_OK or the first failure (message in cc_ctx_last_error()).
 *  Thread safety: one run per ctx at a time; runs with distinct contexts and distinct output
 *  folders may run concurrently (thread-safe with one ctx per thread).
 *  @since 0.1 (options reorganised around cc_inputs in 0.4) */
CC_API cc_status cc_coverage_run(cc_ctx *ctx, const cc_coverage_opts *opts, cc_coverage_result **out);

/** Free a result. NULL is a no-op. Thread-safe for distinct results. @since 0.1 */
CC_API void cc_coverage_result_destroy(cc_coverage_result *r);

#ifdef __cplusplus
}
#endif

#endif /* CC_COVERAGE_H */
