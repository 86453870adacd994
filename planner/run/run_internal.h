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

/* What the coverage writer needs (all borrowed). Arrays of times are n_sets rows: row 0 all
 * facilities, row k+1 tier k. */
/* The thresholds of @p o (default 15, 30, 60): 1..CC_MAX_BANDS, each in (0, 1440], strictly
 * ascending, into minutes and ms; CC_ERR_PARAM with the rule broken. Coverage and tiled runs. */
cc_status cc__check_minutes(cc_ctx *ctx, const double *minutes, size_t n_minutes, double *bands_min, uint32_t *bands_ms, size_t *nb);

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
} cc__cov_out;

cc_status cc__coverage_write(cc__cov_out *c);
/* access_by_village.csv/.xlsx and referrals.csv (coverage_tables.c). */
cc_status cc__coverage_tables(cc__cov_out *c);



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
} cc__site_out;

cc_status cc__site_write(cc__site_out *w);

/* Layers both writers add (coverage_write.c): "roads", every road read with its class, surface,
 * speed as used and scenario status; "admin_areas", the admin polygons with code, name and
 * name_zh. And @p n points of @p crs_wkt to WGS84 lon/lat in place. */
cc_status cc__write_roads_layer(cc_ctx *ctx, GDALDatasetH ds, const char *crs_wkt, const cc_roads *r, const cc_profile *profile);
cc_status cc__write_admin_layer(cc_ctx *ctx, GDALDatasetH ds, const char *crs_wkt, const cc__admin *a);
cc_status cc__to_lonlat(cc_ctx *ctx, const char *crs_wkt, double *x, double *y, size_t n);

#endif
