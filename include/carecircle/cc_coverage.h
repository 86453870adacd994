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
} cc_coverage_opts;

/** Figures of one tier. */
typedef struct cc_tier_result {
    const char *name;
    uint32_t facilities, facilities_snapped;
    const double *population_within; /**< one per threshold */
    double population_unreachable;   /**< road access, but no facility of the tier reachable */
} cc_tier_result;

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
} cc_coverage_result;

/** Run the coverage end to end and write travel_time.tif, coverage.gpkg and summary.json
 *  into @p opts->out_dir. Outputs are staged in a sibling folder and swapped in at the end:
 *  a failed or interrupted run leaves the previous outputs untouched and no partial files.
 *  @param out figures; caller owns them, free with cc_coverage_result_destroy(); may be NULL
 *  @return CC_OK or the first failure (message in cc_ctx_last_error()).
 *  Thread safety: one run per ctx at a time; runs with distinct contexts and distinct output
 *  folders may run concurrently. @since 0.1 (options reorganised around cc_inputs in 0.4) */
CC_API cc_status cc_coverage_run(cc_ctx *ctx, const cc_coverage_opts *opts, cc_coverage_result **out);

/** Free a result. NULL is a no-op. Thread-safe for distinct results. @since 0.1 */
CC_API void cc_coverage_result_destroy(cc_coverage_result *r);

#ifdef __cplusplus
}
#endif

#endif /* CC_COVERAGE_H */
