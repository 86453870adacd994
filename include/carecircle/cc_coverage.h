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
#include "cc_profile.h"

#ifdef __cplusplus
extern "C" {
#endif

/** Maximum number of thresholds (bands) in one run. */
#define CC_MAX_BANDS 16

/** What a scenario does to one facility (see cc_coverage_opts.facility_changes). */
typedef enum cc_facility_change_kind {
    CC_FACILITY_ADD = 0,     /**< a new facility at @c lon, @c lat (WGS84) with @c name and @c tier */
    CC_FACILITY_REMOVE = 1,  /**< the facility @c id (or named @c name) is closed */
    CC_FACILITY_SET_TIER = 2 /**< the facility @c id (or named @c name) moves to tier @c tier */
} cc_facility_change_kind;

/** One facility change. A facility is named by @c id, its facility_id in the outputs of a run
 *  without changes (0-based order of the facility file), or, when @c id < 0, by its exact
 *  @c name, which must then be unique. Added facilities get the next ids. */
typedef struct cc_facility_change {
    cc_facility_change_kind kind;
    long long id;
    const char *name;
    double lon, lat;
    const char *tier; /**< a tier name (new names make a new tier) */
} cc_facility_change;

struct cc_report_opts;

/** A proposed site shown with the coverage outputs (layer proposed_sites, drawn on the maps). */
typedef struct cc_coverage_site {
    unsigned rank;            /**< 1 = the site that adds the most */
    const char *name;
    const char *tier;         /**< what the site would become (e.g. "sub_centre"); may be NULL */
    const char *model;        /**< siting model that proposed it ("mclp", ...) */
    double lon, lat;          /**< WGS84 */
    double gain;              /**< persons newly within the threshold (time models: mean minutes saved) */
    double share_cum;         /**< covered share with this site and those ranked above it (NaN: none) */
} cc_coverage_site;

/** Options of a coverage run. Zero-initialise, then set the four required paths. */
typedef struct cc_coverage_opts {
    const char *roads;        /**< required: road network (OSM .pbf/.osm or OGR line layer) */
    const char *population;   /**< required: population raster, or point layer with a population field */
    const char *facilities;   /**< required: facility points (GPKG, GeoJSON, SHP, CSV with lon/lat) */
    const char *out_dir;      /**< required: output folder (replaced only when the run completes) */
    const char *admin;        /**< optional admin-area polygons for per-area tables */
    const char *profile;      /**< profile name or YAML path; NULL: "ambulance" */
    const cc_profile *profile_obj; /**< an already loaded profile (borrowed); overrides @c profile */
    const char *crs;          /**< working CRS ("EPSG:32650"); NULL: UTM zone of the roads' centre */
    const double *minutes;    /**< thresholds in minutes, ascending; NULL: 15, 30, 60 */
    size_t n_minutes;
    double uncovered_minutes; /**< threshold for demand_uncovered; 0: 30 if listed, else the middle one */
    const char *tier_field;   /**< facility tier field; NULL: "tier" when present */
    const char *tiers;        /**< "1=village_clinic,2=township_health_centre,3=county_hospital" */
    const char *facility_name_field, *lon_field, *lat_field, *facility_where;
    const char *population_field; /**< point demand: population field (default population/pop) */
    const char *roads_layer, *class_field, *speed_field;
    const char *admin_name_field, *admin_code_field;
    double resolution_m;      /**< point demand: travel-time grid cell size; 0: 100 m */
    /* scenario edits (all optional; @since 0.2) */
    const int64_t *closed_way_ids;    /**< ways (OSM way ids, or feature ids) closed */
    size_t n_closed_way_ids;
    const char *closed_areas;         /**< polygon layer: road segments touching a polygon are closed */
    const char *closed_areas_layer;
    const char *added_roads;          /**< line layer merged into the roads (class field as the roads) */
    const char *added_roads_layer;
    double added_roads_connect_m;     /**< join added road ends to roads within this distance; 0: 50 m */
    const int64_t *replaced_way_ids; /**< ways replaced by the added roads (upgrades) */
    size_t n_replaced_way_ids;
    const cc_facility_change *facility_changes;
    size_t n_facility_changes;
    const char *scenario_json;        /**< resolved scenario (JSON text) written as scenario.json; may be NULL */
    const struct cc_report_opts *report; /**< deliverables (styles, project, maps, report); NULL: defaults */
    /* written with the outputs (@since 0.3; scenarios with a siting section) */
    const cc_coverage_site *proposed_sites; /**< layer proposed_sites of coverage.gpkg; drawn on the maps */
    size_t n_proposed_sites;
    const char *const *extra_dirs;   /**< finished folders moved into the output folder as it lands */
    const char *const *extra_names;  /**< their names inside it */
    size_t n_extra_dirs;
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
    size_t graph_routing_bytes, graph_geometry_bytes, way_vertices;
    double t_load_s, t_graph_s, t_snap_s, t_search_s, t_polygons_s, t_write_s, t_total_s;
} cc_coverage_result;

/** Run the coverage end to end and write travel_time.tif, coverage.gpkg and summary.json
 *  into @p opts->out_dir. Outputs are staged in a sibling folder and swapped in at the end:
 *  a failed or interrupted run leaves the previous outputs untouched and no partial files.
 *  @param out figures; caller owns them, free with cc_coverage_result_destroy(); may be NULL
 *  @return CC_OK or the first failure (message in cc_ctx_last_error()). @since 0.1 */
CC_API cc_status cc_coverage_run(cc_ctx *ctx, const cc_coverage_opts *opts, cc_coverage_result **out);

/** Free a result. NULL is a no-op. @since 0.1 */
CC_API void cc_coverage_result_destroy(cc_coverage_result *r);

#ifdef __cplusplus
}
#endif

#endif /* CC_COVERAGE_H */
