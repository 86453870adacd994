/* scenario_internal.h - pieces of the end-to-end runs. */
#ifndef CC_SCENARIO_INTERNAL_H
#define CC_SCENARIO_INTERNAL_H

#include "carecircle/cc_coverage.h"
#include "../access/access_internal.h"
#include "../io/write_internal.h"

/* What the coverage writer needs (all borrowed). Arrays of times are n_sets rows: row 0 all
 * facilities, row k+1 tier k. */
typedef struct cc__cov_out {
    cc_ctx *ctx;
    const cc_coverage_opts *o;
    const cc_profile *profile;
    const cc_graph *graph;
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
    size_t nb;
    const double *bands_min;
    const uint32_t *bands_ms;
    double uncovered_min;
    cc__stage *stage;
    cc_coverage_result *res; /* timings t_polygons_s and t_write_s are filled in */
} cc__cov_out;

cc_status cc__coverage_write(cc__cov_out *c);

#endif
