/*
 * cc_traveltime.h - the travel-time raster of a large region, computed in tiles with a halo.
 *
 * A coverage run holds the whole region in memory (roads, graph, every populated cell). For a
 * province or a country the raster alone is computed tile by tile instead: each tile of the
 * population grid reads only the roads that cross the tile grown by a halo of
 *     H = v_max x T_max + 2 x max_snap
 * (the profile's highest speed times the largest threshold, plus the off-road legs at both
 * ends), builds that network, and finds the nearest facility of each set for its own cells.
 * A trip of time <= T_max covers at most v_max x T_max metres of road, so every such trip from a
 * tile cell lies inside the halo with all its roads: the tile's times equal a whole-region run's
 * for every cell reached within T_max. Times above T_max are written as nodata ("beyond"), as
 * AccessMod does with its maximum travel time, because a tile cannot see farther facilities.
 * One exception, stated so that it can be checked: a road stretch without a junction that runs
 * from a tile cell past the halo's edge (longer than v_max x T_max) is cut into different arcs
 * at its far end, and its partial cost can differ by the rounding of one arc (< 1 ms).
 */
#ifndef CC_TRAVELTIME_H
#define CC_TRAVELTIME_H

#include "cc_api.h"
#include "cc_coverage.h"
#include "cc_inputs.h"

#ifdef __cplusplus
extern "C" {
#endif

/** Options of cc_traveltime_run(). */
typedef struct cc_traveltime_opts {
    /** Inputs, profile and CRS as for a coverage run. The population must be a raster; scenario
     *  edits and admin areas are not used. Without @c in.crs the working CRS is the UTM zone of
     *  the raster's centre (not of the roads', which a tile does not see whole). */
    cc_inputs in;
    const char *out_dir;  /**< required: output folder (replaced only when the run completes) */
    const double *minutes; /**< thresholds in minutes, ascending (the largest is T_max); NULL: 15, 30, 60 */
    size_t n_minutes;
    int tile_cells;       /**< tile side in raster cells; 0: 512 */
    double halo_m;        /**< halo in metres; 0: computed from the profile (required with a speed field) */
} cc_traveltime_opts;

/** Figures of a tiled run (also written to summary.json). */
typedef struct cc_traveltime_result {
    int width, height, tile_cells, tiles, tiles_with_people;
    double halo_m, max_speed_kmh, max_minutes;
    size_t n_minutes;
    double minutes[CC_MAX_BANDS];
    double population_total;
    double population_no_road_access; /**< farther than the maximum snap distance from a road */
    double population_beyond;         /**< no facility within the largest threshold */
    double population_within[CC_MAX_BANDS]; /**< one per threshold, all facilities */
    size_t n_sets;                    /**< bands: all facilities, then each tier */
    double road_ways_read;            /**< summed over tiles: the halo's reading overhead */
    double t_total_s;
    /* friction model (@since 0.6): people on impassable cells given the time of the nearest passable cell */
    double population_moved, moved_max_m;
    size_t points_moved;
} cc_traveltime_result;

/** Compute travel_time.tif (COG, one Float32 band per facility set, minutes, nodata -9999
 *  where no facility is within the largest threshold or the cell has no people) and
 *  summary.json in @p opts->out_dir, tile by tile with the threads of @p ctx inside each
 *  tile. The folder is replaced only when the run completes.
 *  @param out may be NULL; else the figures (free with cc_traveltime_result_destroy()).
 *  @return CC_OK; CC_ERR_PARAM (bad options, a point population layer); the errors of the
 *  readers, the graph build and the writers, naming the tile that failed.
 *  Thread safety: one run per ctx at a time. Thread-safe with one ctx per thread. @since 0.3 */
CC_API cc_status cc_traveltime_run(cc_ctx *ctx, const cc_traveltime_opts *opts, cc_traveltime_result **out);

/** Free a result. NULL is a no-op. Not thread-safe for one object (distinct objects: thread-safe). @since 0.4 */
CC_API void cc_traveltime_result_destroy(cc_traveltime_result *r);

#ifdef __cplusplus
}
#endif
#endif
