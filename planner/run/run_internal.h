/*
 * run_internal.h - the pieces of the coverage and siting runs that their writers share:
 * the threshold check, and what each run hands to its writer (coverage_write.c, site_write.c).
 */
#ifndef CC_RUN_INTERNAL_H
#define CC_RUN_INTERNAL_H

#include "carecircle/cc_coverage.h"
#include "carecircle/cc_site.h"
#include "../access/access_internal.h"
#include "../io/write_internal.h"
#include "inputs_internal.h"

/* cc_coverage_run() taking its region through @p pool (NULL: loads it alone), for batches. */
cc_status cc__coverage_run_pooled(cc_ctx *ctx, const cc_coverage_opts *opts, cc__region_pool *pool, cc_coverage_result **out);

/* What the coverage writer needs (all borrowed). Arrays of times are n_sets rows: row 0 all
 * facilities, row k+1 tier k. */
/* The thresholds of @p o (default 15, 30, 60): 1..CC_MAX_BANDS, each in (0, 1440], strictly
 * ascending, into minutes and ms; CC_ERR_PARAM with the rule broken. Coverage and tiled runs. */
cc_status cc__check_minutes(cc_ctx *ctx, const double *minutes, size_t n_minutes, double *bands_min, uint32_t *bands_ms, size_t *nb);

/* Capacity (capacity.c): allocation nearest first within T and the E2SFCA index. */
typedef struct cc__capacity_in {
    const cc_graph *graph;
    const cc__facilities *fac;   /* with capacity[] */
    const cc__join *fjoin;
    const uint32_t *foff;
    const cc__demand *dem, *grid; /* grid == dem for raster demand */
    const cc__join *djoin, *gjoin;
    const uint32_t *doff, *goff;
    const uint32_t *dtime, *dfac; /* nearest facility of any tier (row 0), delay included */
    uint32_t T_ms, delay_ms;
    cc_direction dir;
} cc__capacity_in;

typedef struct cc__capacity {
    uint32_t T_ms;
    double *served;         /* per facility: people allocated to it */
    double *demand_nearest; /* per facility: people within T whose nearest facility it is */
    double *ratio;          /* per facility: E2SFCA R_j, capacity per weighted person (NAN: no capacity) */
    double *index_d;        /* per demand point: E2SFCA A_i, capacity per person */
    double *index_g;        /* per grid cell (village points only; else NULL: index_d) */
    double *served_d;       /* per demand point: people served */
    double pop_total, pop_served, pop_unserved, pop_no_access, mean_index;
    size_t n_pairs, facilities_with_capacity, facilities_over;
    double t_s;
} cc__capacity;

/* The E2SFCA weight of a pair @p t_ms apart within @p T_ms (Gaussian, 1 at 0, 0 at and beyond T). */
double cc__e2sfca_weight(uint32_t t_ms, uint32_t T_ms);
cc_status cc__capacity_compute(cc_ctx *ctx, const cc__capacity_in *in, cc__capacity *out);
void cc__capacity_free(cc__capacity *c);

/* At most this many points in a demand_uncovered layer (coverage.gpkg, sites.gpkg): the most
 * populated first, with a warning naming how many there were. */
#define CC__MAX_UNCOVERED 200000

typedef struct cc__cov_out {
    cc_ctx *ctx;
    const cc_coverage_opts *o;
    const cc_profile *profile;
    const cc_graph *graph;
    const cc_roads *roads;
    const char *crs_wkt;
    const cc__demand *dem;  /* demand points */
    const cc__demand *grid; /* raster cells (== dem for raster demand) */
    const cc__facilities *fac;
    const cc__admin *admin; /* NULL: none */
    const cc__join *fjoin;
    const uint32_t *foff;
    const cc__join *djoin;
    const uint32_t *dtime, *dfac;
    const uint32_t *gtime, *gfac;
    size_t n_sets;
    const double *reach; /* n_fac * nb */
    const int32_t *dadmin;
    const uint8_t *dpass;   /* friction model: 1 when a demand point's cell is passable; NULL: straight model */
    const uint8_t *fstart;  /* friction model: 1 when a facility stands on a passable cell (it starts a search) */
    size_t nb;
    const double *bands_min;
    const uint32_t *bands_ms;
    double uncovered_min;
    cc__stage *stage;
    cc_coverage_result *res; /* timings t_polygons_s and t_write_s are filled in */
    /* the emergency chain (NULL: not asked for): rows leg 1 (station -> patient), leg 2
     * (patient -> capable facility), total, ms; chain_g on the raster grid */
    const uint32_t *chain_d, *chain_g;
    const char *chain_station_tiers, *chain_capable_tiers;
    const cc__capacity *capacity; /* NULL: not asked for */
    unsigned outputs;             /* CC_OUT_* flags (never 0) */
    /* the headline (capable care, the key figures): the facility set that is it (0 all, 1 + k tier
     * k); with several headline tiers, head_set == n_sets and head_dtime / head_gtime hold the
     * minimum over them (per demand point, per grid point). Set by cc__coverage_write. */
    size_t head_set;
    uint32_t *head_dtime, *head_gtime, *head_dfac; /* head_dfac: the nearest headline facility per demand point */
    /* with admin areas: each area's figures, adm_ncol a row (see admin_sums in coverage_write.c) */
    double *adm_sums;
    size_t adm_ncol;
} cc__cov_out;

/* capacity outputs: layers facility_capacity and capacity_by_admin, access_index.tif, summary key */
cc_status cc__capacity_layers(cc__cov_out *co, GDALDatasetH ds);
cc_status cc__capacity_raster(cc__cov_out *co);
struct json_object *cc__capacity_json(const cc__cov_out *co);

cc_status cc__coverage_write(cc__cov_out *c);
/* access_by_village.csv/.xlsx and referrals.csv (coverage_tables.c). */
cc_status cc__coverage_tables(cc__cov_out *c);

/* A number of summary.json: decimals >= 0 through cc__json_num, < 0 a whole number (int64). */
typedef struct cc__json_kv {
    const char *key;
    double v;
    int decimals;
} cc__json_kv;
/* A new JSON object with the numbers kv[0..n) in order; CC__JSON_NUMS({"load", t, 4}, ...). */
struct json_object *cc__json_nums(const cc__json_kv *kv, size_t n);
#define CC__JSON_NUMS(...) \
    cc__json_nums((const cc__json_kv[]){__VA_ARGS__}, sizeof((const cc__json_kv[]){__VA_ARGS__}) / sizeof(cc__json_kv))

/* The end of a run: CC_ERR_INTERRUPTED when the run was interrupted, else the staged outputs
 * moved into place (cc__stage_commit). */
cc_status cc__run_commit(cc_ctx *ctx, cc__stage *stage);



/* Candidate sources. */
enum { CC__CAND_FACILITY = 0, CC__CAND_LAYER = 1, CC__CAND_ROAD = 2 };

/* The candidates of a run (structure of arrays). */
typedef struct cc__cands {
    size_t n;
    double *x, *y, *lon, *lat;
    cc__join *join;
    uint32_t *off;     /* off-road leg, ms */
    uint8_t *source;   /* CC__CAND_* */
    char **name;       /* owned */
    int32_t *admin;    /* admin area, -1 none */
    double *alone;     /* population the candidate adds on its own (coverage models) or
                          person-seconds it saves (time models) */
} cc__cands;

typedef struct cc__site_out {
    cc_ctx *ctx;
    const cc_site_opts *o;
    const char *crs_wkt;
    const cc__demand *dem;
    const cc__demand *grid;       /* raster cells (== dem for raster demand) */
    const cc__facilities *fac;    /* NULL when none */
    const uint8_t *fixed;         /* per facility */
    const cc__join *fjoin;
    const cc__join *djoin;        /* per demand point: its road join (arc CC_INVALID_ID: no road access) */
    const uint8_t *dpass;         /* friction model: 1 when a demand point's cell is passable (else NULL) */
    const cc__admin *admin;       /* NULL: none */
    const cc_roads *roads;        /* for the "roads" layer (NULL: none) */
    const cc_profile *profile;
    const cc__cands *cand;
    const uint32_t *gtime_before, *gtime_after; /* grid times, ms */
    const uint32_t *dtime_before, *dtime_after; /* demand times, ms */
    uint32_t T_ms;
    const char *model_name;
    cc__stage *stage;
    cc_site_result *res;
    const uint32_t *own;          /* robust siting, a variant's folder: its own optimum's candidates (else NULL) */
    size_t n_own;
} cc__site_out;

cc_status cc__site_write(cc__site_out *w);

/* What a siting run writes (cc_site_opts.outputs; 0 is all): CC_OUT_* flags, summary always. */
static inline unsigned cc__site_outputs(const cc_site_opts *o)
{
    return (o->outputs ? o->outputs : CC_OUT_ALL) | CC_OUT_SUMMARY;
}

/* Layers both writers add (coverage_write.c): "roads", every road read with its class, surface,
 * speed as used and scenario status; "admin_areas", the admin polygons with code, name and
 * name_zh. And @p n points of @p crs_wkt to WGS84 lon/lat in place. */
cc_status cc__write_roads_layer(cc_ctx *ctx, GDALDatasetH ds, const char *crs_wkt, const cc_roads *r, const cc_profile *profile);
cc_status cc__write_admin_layer(cc_ctx *ctx, GDALDatasetH ds, const char *crs_wkt, const cc__admin *a);

#endif
