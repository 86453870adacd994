/*
 * cc_inputs.h - the inputs of every run: roads, population, facilities and admin areas, the
 * options of their readers, the speed profile, the working CRS and the scenario edits that
 * change the network or the facilities.
 *
 * One cc_inputs is embedded (as the member @c in) in the options of the coverage run
 * (cc_coverage_opts), the siting run (cc_site_opts) and the tiled travel-time run
 * (cc_traveltime_opts); every run loads and joins it the same way, so a closed road or a new
 * facility means the same to each of them.
 *
 * Parameters are named in messages by their field names here ("tier_field", "crs"), which are
 * also the keys of a scenario file's <inputs> section; a program with its own option names
 * (the carecircle command line) maps parameter names to them when it prints a message.
 */
#ifndef CC_INPUTS_H
#define CC_INPUTS_H

#include <stddef.h>
#include <stdint.h>

#include "cc_profile.h"

#ifdef __cplusplus
extern "C" {
#endif

/** What a scenario does to one facility (see cc_edits.facility_changes). @since 0.2 */
typedef enum cc_facility_change_kind {
    CC_FACILITY_ADD = 0,     /**< a new facility at @c lon, @c lat (WGS84) with @c name and @c tier */
    CC_FACILITY_REMOVE = 1,  /**< the facility @c id (or named @c name) is closed */
    CC_FACILITY_SET_TIER = 2 /**< the facility @c id (or named @c name) moves to tier @c tier */
} cc_facility_change_kind;

/** One facility change. A facility is named by @c id, its facility_id in the outputs of a run
 *  without changes (0-based order of the facility file), or, when @c id < 0, by its exact
 *  @c name, which must then be unique. Added facilities get the next ids. @since 0.2 */
typedef struct cc_facility_change {
    cc_facility_change_kind kind;
    long long id;
    const char *name;
    double lon, lat;  /**< degrees, WGS84 (additions) */
    const char *tier; /**< a tier name (new names make a new tier) */
} cc_facility_change;

/** Scenario edits of the network and the facilities, applied after reading and before the
 *  graph is built. Zero-initialised: no edit. All arrays and strings are borrowed. @since 0.4 */
typedef struct cc_edits {
    const int64_t *closed_way_ids;   /**< ways (OSM way ids, or feature ids) closed */
    size_t n_closed_way_ids;
    const char *closed_areas;        /**< polygon layer: road segments touching a polygon are closed */
    const char *closed_areas_layer;
    const char *added_roads;         /**< line layer merged into the roads (class field as the roads) */
    const char *added_roads_layer;
    double added_roads_connect_m;    /**< join added road ends to roads within this distance, metres; 0: 50 */
    const int64_t *replaced_way_ids; /**< ways replaced by the added roads (upgrades) */
    size_t n_replaced_way_ids;
    const cc_facility_change *facility_changes;
    size_t n_facility_changes;
} cc_edits;

/** How people off the road network travel (README "Off-road travel"). @since 0.5 */
typedef enum cc_offroad_model {
    CC_OFFROAD_STRAIGHT = 0, /**< a straight leg at the profile's off-road speed to the nearest road, at most max_snap_m */
    CC_OFFROAD_FRICTION = 1  /**< one search over the cells of a friction surface and the roads */
} cc_offroad_model;

/** People on populated impassable cells (water or nodata under a populated cell: the rasters'
 *  misalignment along coasts and rivers) with the friction model. @since 0.6 */
typedef enum cc_impassable_rule {
    CC_IMPASSABLE_NEAREST = 0, /**< the time of the nearest passable cell within impassable_max_m, plus the walk to it at that cell's speed */
    CC_IMPASSABLE_NONE = 1     /**< no time: listed as impassable_cell */
} cc_impassable_rule;

/** Default of cc_offroad_opts.impassable_max_m (metres, centre to centre). */
#define CC_IMPASSABLE_MAX_M_DEFAULT 250.0

/** Inputs of the friction model (all borrowed; NULL: not used). @since 0.5 */
typedef struct cc_offroad_opts {
    cc_offroad_model model;
    const char *friction;  /**< raster of minutes per metre (Malaria Atlas Project convention); replaces landcover and dem */
    const char *dem;       /**< elevation raster, or a comma list of tiles: Tobler's hiking function */
    const char *landcover; /**< a class raster (class code -> km/h in the profile's landcover_kmh), or NAME=PATH,... cover-fraction rasters */
    const char *water;     /**< polygons and lines that are impassable except on a road across them */
    const char *ferries;   /**< lines (OSM route=ferry): timed links between the cells at their ends */
    int neighbours;        /**< 8 or 16 (knight's moves); 0: 16 */
    cc_impassable_rule impassable; /**< people on impassable cells (@since 0.6) */
    double impassable_max_m;       /**< farthest move of CC_IMPASSABLE_NEAREST, metres; 0: CC_IMPASSABLE_MAX_M_DEFAULT (@since 0.6) */
} cc_offroad_opts;

/** The inputs of a run. Zero-initialise, then set the paths the run needs (roads and
 *  population always; facilities for coverage and travel-time runs). NULL strings mean the
 *  default. All strings are borrowed for the duration of the run. @since 0.4 */
typedef struct cc_inputs {
    const char *roads;               /**< road network: OSM .pbf/.osm or any OGR line layer */
    const char *roads_layer;         /**< default: "lines" for OSM, else the first layer */
    const char *class_field;         /**< road class field; default "highway" */
    const char *speed_field;         /**< km/h per road, overrides the profile's class speed */
    const char *population;          /**< population raster, or village points with a population field */
    const char *population_field;    /**< village points: default "population" or "pop" */
    const char *facilities;          /**< facility points (GPKG, GeoJSON, SHP, CSV with lon/lat) */
    const char *facility_name_field; /**< default "name" when present */
    const char *lon_field, *lat_field; /**< CSV coordinate columns; default: recognised names */
    const char *facility_where;      /**< OGR attribute filter on the facilities */
    const char *tier_field;          /**< facility tier field; default "tier" when present */
    const char *tiers;               /**< "1=village_clinic,2=township_health_centre,3=county_hospital" */
    const char *capacity_field;      /**< facility capacity (people a facility can serve; beds or staff
                                          scaled to people): a numeric field, empty = no limit; NULL:
                                          capacity is not used (@since 0.5) */
    const char *admin;               /**< admin-area polygons (townships) */
    const char *admin_name_field;    /**< default "name" when present */
    const char *admin_code_field;    /**< default "code" when present */
    const char *encoding;            /**< text of CSV files and shapefile attributes ("GBK", "UTF-8"); NULL or
                                      *   "auto": detected (UTF-8, UTF-8 with BOM, GBK/GB18030). @since 0.5 */
    const char *crs;                 /**< working metric CRS ("EPSG:32650"); NULL: UTM zone of the roads' centre */
    const char *profile;             /**< built-in profile name or YAML path; NULL: "ambulance" */
    const cc_profile *profile_obj;   /**< an already loaded profile (borrowed); overrides @c profile */
    double resolution_m;             /**< village points: cell size of the travel-time grid, metres; 0: 100 */
    cc_edits edits;                  /**< scenario edits; zero: none */
    cc_offroad_opts offroad;         /**< how people off the roads travel; zero: the straight model
                                      *   (@since 0.5; moved here from cc_coverage_opts) */
} cc_inputs;

/** Prepare the region of @p in once for later processes (README "Prepared regions and the
 *  cache"): read the roads and the population, build the graph, snap and join the population
 *  (and, for village points, the travel-time grid) and write it all to one file: in folder
 *  @p out as <key>.ccprep, where runs with that folder as their cache (cc_ctx_set_cache_dir)
 *  find it, or to the file @p out itself when it ends in ".ccprep". NULL: the context's cache
 *  folder. Facilities and admin areas, when given, are read and checked as a coverage run
 *  would, but are not part of the file. The straight off-road model only.
 *  @p file (may be NULL) receives the path written; @p bytes (may be NULL) its size.
 *  @return CC_OK, CC_ERR_PARAM, CC_ERR_INPUT, CC_ERR_IO, CC_ERR_NOMEM. @since 0.7 */
CC_API cc_status cc_prepare_region(cc_ctx *ctx, const cc_inputs *in, const char *out, char *file, size_t n_file, size_t *bytes);

#ifdef __cplusplus
}
#endif

#endif /* CC_INPUTS_H */
