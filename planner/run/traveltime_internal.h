/*
 * traveltime_internal.h - the pieces of a tiled travel-time run (cc_traveltime.h), shared by
 * the single-machine loop (traveltime.c) and the MPI work queue (planner/mpi/mpi_traveltime.c):
 * a plan every process makes alike, the computation of one tile, and the writer that stitches
 * tiles into travel_time.tif on the process that owns the output folder.
 */
#ifndef CC_TRAVELTIME_INTERNAL_H
#define CC_TRAVELTIME_INTERNAL_H

#include <gdal.h>

#include "carecircle/cc_traveltime.h"
#include "../io/write_internal.h"
#include "../io/write_internal.h"

/* Per-tile sums (double), in this order; tiles are added up in tile order so that the figures
 * do not depend on which process computed which tile. */
enum { CC__TT_TOTAL, CC__TT_NOROAD, CC__TT_BEYOND, CC__TT_WAYS, CC__TT_PEOPLE_TILE, CC__TT_MOVED, CC__TT_MOVED_N, CC__TT_MOVED_MAX_M, CC__TT_WITHIN, CC__TT_NSUMS = CC__TT_WITHIN + CC_MAX_BANDS };

typedef struct cc__tt_plan {
    const cc_traveltime_opts *o;
    cc_profile *profile_owned;
    const cc_profile *profile;
    cc__grid grid;          /* the population raster's grid (wkt owned) */
    char *work_wkt;         /* working CRS */
    char work_name[32];
    cc__facilities fac;     /* every facility, in the working CRS */
    size_t n_sets;          /* 1 + tiers */
    uint8_t *in_set;        /* n_sets x fac.n */
    size_t nb;
    double bands_min[CC_MAX_BANDS];
    uint32_t bands_ms[CC_MAX_BANDS];
    int tile, nx, ny;       /* tile side in cells; tiles across and down */
    double vmax_kmh, halo_m;
} cc__tt_plan;

/* Check the options, read the raster's grid and the facilities, fix CRS, halo and tiling. */
cc_status cc__tt_plan_make(cc_ctx *ctx, const cc_traveltime_opts *opts, cc__tt_plan *p);
void cc__tt_plan_free(cc__tt_plan *p);
static inline int cc__tt_n_tiles(const cc__tt_plan *p) { return p->nx * p->ny; }
/* Columns r[0].. +r[2], rows r[1].. +r[3] of tile @p k (row-major over tiles). */
void cc__tt_tile_rect(const cc__tt_plan *p, int k, int r[4]);

/* Compute tile @p k: @p vals gets n_sets x (r[2] x r[3]) minutes (band-sequential, nodata
 * CC__TT_NODATA), @p sums its CC__TT_NSUMS figures. Messages of the readers go to the debug
 * level; an error names the tile. */
#define CC__TT_NODATA (-9999.0f)
cc_status cc__tt_tile_run(cc_ctx *ctx, const cc__tt_plan *p, int k, float *vals, double *sums);

/* The output side: a staged folder and a tiled GeoTIFF written tile by tile, then copied to a
 * COG with summary.json next to it. */
typedef struct cc__tt_writer {
    cc__stage stage;
    GDALDatasetH ds;
    char tmp_path[4300];
} cc__tt_writer;

cc_status cc__tt_writer_open(cc_ctx *ctx, const cc__tt_plan *p, cc__tt_writer *w);
cc_status cc__tt_writer_put(cc_ctx *ctx, const cc__tt_plan *p, cc__tt_writer *w, int k, const float *vals);
/* @p sums: n_tiles x CC__TT_NSUMS. Writes the COG and summary.json and lands the folder. */
cc_status cc__tt_writer_finish(cc_ctx *ctx, const cc__tt_plan *p, cc__tt_writer *w, const double *sums, double t0,
                               cc_traveltime_result **out);
void cc__tt_writer_abort(cc__tt_writer *w);

#endif
