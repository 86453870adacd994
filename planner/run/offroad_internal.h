/* offroad_internal.h - the friction model's step of a coverage run (issue 16). */
#ifndef CC_RUN_OFFROAD_INTERNAL_H
#define CC_RUN_OFFROAD_INTERNAL_H

#include "carecircle/cc_coverage.h"
#include "../io/write_internal.h"
#include "../access/sets_internal.h"
#include "../graph/friction_internal.h"
#include "../route/hybrid_internal.h"
#include "inputs_internal.h"

/* Check the friction options before any work (CC_ERR_PARAM naming the parameter). */
cc_status cc__offroad_check(cc_ctx *ctx, const cc_offroad_opts *o);

/*
 * Travel times of every demand point of @p reg (on the population raster's grid, or village points
 * on the grid of cc__region_grid(): then also gtime/gfac of every grid cell, n_sets x cells) with the
 * friction model: the surface from the inputs of @p o, the road links, one search per facility
 * set (row k of @p in_set, n_sets x n_fac) towards the facilities (@p dir CC_REVERSE) or from them
 * (CC_FORWARD, emergency: @p delay_ms added to every time). Fills dtime/dfac (n_sets x
 * n_dem, CC_INF_COST when none), dpass (1: the point's cell is passable), fstart (1: the facility
 * stands on a passable cell and starts searches), reach (n_fac x nb:
 * population within bands_ms[b] of each facility, whatever the others), the figures of @p res,
 * and writes offroad.tif into @p stage.
 */
/* The emergency chain's two legs with the friction model (coverage parameter chain): leg 1 from the
 * nearest station towards each point (CC_FORWARD, slopes taken the ambulance's way), leg 2 from
 * each point to the nearest capable facility (CC_REVERSE), both over cells and roads, in whole
 * milliseconds without any delay; only facilities on a passable cell take part. */
typedef struct cc__offroad_chain {
    const uint8_t *station, *capable; /* per facility; station NULL: leg 2 only */
    uint32_t *leg1_d, *leg2_d;        /* per demand point (CC_INF_COST: none) */
    uint32_t *leg1_g, *leg2_g;        /* village points: per cell of the grid; NULL otherwise */
    size_t n_station, n_capable;      /* out: the flagged facilities on a passable cell */
} cc__offroad_chain;

cc_status cc__offroad_compute(cc_ctx *ctx, const cc_offroad_opts *o, const cc__region *reg, cc_direction dir, uint32_t delay_ms, size_t n_sets,
                              const uint8_t *in_set,
                              uint32_t *dtime, uint32_t *dfac, uint32_t *gtime, uint32_t *gfac, uint8_t *dpass, uint8_t *fstart, double *reach, size_t nb,
                              const uint32_t *bands_ms, cc__offroad_chain *chain, cc__stage *stage, cc_offroad_result *res);

/* ---- the friction model for any run (coverage, siting, travel time) ---------------------------------
 * A prepared model holds the surface on the population grid (the working grid), the ferry links
 * and the road links of the region; searches run towards the sources (patient -> facility). */
typedef struct cc__offroad {
    const cc__region *reg; /* borrowed */
    cc__friction f;
    cc__roadlink rl;
    const int64_t *dcell;  /* the cell whose time each demand point takes: the raster's own, or the cell holding a
                            * village, or (parameter impassable) the nearest passable cell to an impassable one */
    int64_t *dcell_own;
    cc_direction dir;      /* CC_REVERSE (set by cc__offroad_prepare): patient -> source; CC_FORWARD (emergency):
                            * source -> patient, slopes taken the station's way */
    uint32_t delay_ms;     /* added to every finite time (the emergency dispatch delay); 0 by default */
    double move_max_m;     /* the farthest move of parameter impassable (0: none) */
    double *dwalk_s;       /* seconds walked from a moved point's own cell to dcell (0: not moved); NULL: none moved */
} cc__offroad;

/* Seconds of demand point @p i in the labels of search @p h (INFINITY: not reached): its
 * cell's, plus the walk of a moved point. */
static inline double cc__offroad_dem_cost(const cc__offroad *w, const cc__hybrid *h, size_t i)
{
    double c = cc__hybrid_cost(h, (size_t)w->dcell[i]);
    return w->dwalk_s ? c + w->dwalk_s[i] : c;
}

/* The straight joins of the region's facilities and demand, for the outputs only: a point far
 * from a road is no error with the friction model (unlike cc__region_join()). */
cc_status cc__offroad_join(cc_ctx *ctx, cc__region *reg);
/* The farthest move of people on impassable cells under @p o (metres; 0: not moved). */
double cc__offroad_impassable_max_m(const cc_offroad_opts *o);
/* Memory check (before any work), surface, ferries and road links, the moves of people on
 * impassable cells (parameter impassable); the figures of @p res. */
cc_status cc__offroad_prepare(cc_ctx *ctx, const cc_offroad_opts *o, const cc__region *reg, cc__offroad *w, cc_offroad_result *res);
void cc__offroad_free(cc__offroad *w);
/* The highest walking speed on the surface, m/s (Tobler's best downhill factor included with a
 * DEM); 0 when no cell is passable. */
double cc__offroad_max_speed_ms(const cc__offroad *w);
/* The cell holding each point (working CRS), -1 when outside the grid or impassable; their count
 * into *n_bad. */
cc_status cc__offroad_cells(cc_ctx *ctx, const cc__offroad *w, const double *x, const double *y, size_t n, int64_t *cell, size_t *n_bad);
/* Warn about the people on impassable cells (no time for them). */
void cc__offroad_warn_impassable(cc_ctx *ctx, const cc__offroad *w);
/* Time (ms; CC_INF_COST: none) of every demand point to the nearest source of @p in_set (NULL:
 * all) standing on a cell (src_cell >= 0), and that source (dfac may be NULL); with @p gtime
 * (village points) also of every cell of the working grid (gfac may be NULL). @p h: a search
 * workspace to reuse, or NULL. */
cc_status cc__offroad_nearest(cc_ctx *ctx, const cc__offroad *w, cc__hybrid *h, const int64_t *src_cell, const uint8_t *in_set, size_t n_src,
                              uint32_t *dtime, uint32_t *dfac, uint32_t *gtime, uint32_t *gfac);
/* The chain's legs (see cc__offroad_chain) with a prepared model and the cells @p fcell of the
 * facilities (-1: impassable, left out); @p h: a workspace to reuse, or NULL. */
cc_status cc__offroad_chain_legs(cc_ctx *ctx, const cc__offroad *w, cc__hybrid *h, const int64_t *fcell, cc__offroad_chain *chain);
/* Coverage sets of candidates standing on cells (cand_cell >= 0; others get empty sets): the
 * demand points within @p limit_ms whose time is below keep_lt[i] (NULL: all), as
 * cc__sets_build() makes them on the roads (OpenMP over candidates, candidate order). */
cc_status cc__offroad_sets(cc_ctx *ctx, const cc__offroad *w, const int64_t *cand_cell, size_t n_cand, const uint32_t *keep_lt, uint32_t limit_ms,
                           bool store_times, cc__sets *out);
/* cnt[i] += 1 (up to 2) for every source of @p in_set that reaches demand point i within
 * @p limit_ms, its time plus tail_ms[i] when given (the emergency chain's on scene + leg 2;
 * CC_INF_COST: never). */
cc_status cc__offroad_count_within(cc_ctx *ctx, const cc__offroad *w, const int64_t *src_cell, const uint8_t *in_set, size_t n_src,
                                   uint32_t limit_ms, const uint32_t *tail_ms, uint8_t *cnt);
/* cnt[i] += mult[k] for every source k (src_cell >= 0) that reaches demand point i within
 * @p limit_ms (MEXCLP's ambulance counts). */
cc_status cc__offroad_count_mult(cc_ctx *ctx, const cc__offroad *w, const int64_t *src_cell, const uint32_t *mult, size_t n_src, uint32_t limit_ms,
                                 uint32_t *cnt);
/* The friction model's block of summary.json: model, neighbours, the input files, @p halo_cells
 * (a tiled run's halo; < 0: none) and what no road access means. NULL when out of memory. */
struct json_object *cc__offroad_summary_json(const cc_offroad_opts *q, int halo_cells);
/* summary.json's "impassable_population" block: the rule of @p q, how many people (on how many
 * cells or villages) were moved and the farthest move. NULL when out of memory. */
struct json_object *cc__offroad_impassable_json(const cc_offroad_opts *q, double population_moved, size_t points_moved, double moved_max_m);

#endif
