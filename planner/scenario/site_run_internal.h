/* site_run_internal.h - what the siting run hands to its writer (site_write.c). */
#ifndef CC_SITE_RUN_INTERNAL_H
#define CC_SITE_RUN_INTERNAL_H

#include "carecircle/cc_site.h"
#include "../access/access_internal.h"
#include "../io/write_internal.h"

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
    const cc__admin *admin;       /* NULL: none */
    const cc__cands *cand;
    const uint32_t *gtime_before, *gtime_after; /* grid times, ms */
    const uint32_t *dtime_before, *dtime_after; /* demand times, ms */
    uint32_t T_ms;
    const char *model_name;
    cc__stage *stage;
    cc_site_result *res;
} cc__site_out;

cc_status cc__site_write(cc__site_out *w);

#endif
