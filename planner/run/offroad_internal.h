/* offroad_internal.h - the friction model's step of a coverage run (issue 16). */
#ifndef CC_RUN_OFFROAD_INTERNAL_H
#define CC_RUN_OFFROAD_INTERNAL_H

#include "carecircle/cc_coverage.h"
#include "../io/write_internal.h"
#include "inputs_internal.h"

/* Check the friction options before any work (CC_ERR_PARAM naming the parameter). */
cc_status cc__offroad_check(cc_ctx *ctx, const cc_offroad_opts *o);

/*
 * Travel times of every demand point of @p reg (a population raster: the working grid) with the
 * friction model: the surface from the inputs of @p o, the road links, one search per facility
 * set (row k of @p in_set, n_sets x n_fac) towards the facilities. Fills dtime/dfac (n_sets x
 * n_dem, CC_INF_COST when none), dpass (1: the point's cell is passable), fstart (1: the facility
 * stands on a passable cell and starts searches), reach (n_fac x nb:
 * population within bands_ms[b] of each facility, whatever the others), the figures of @p res,
 * and writes offroad.tif into @p stage.
 */
cc_status cc__offroad_compute(cc_ctx *ctx, const cc_offroad_opts *o, const cc__region *reg, size_t n_sets, const uint8_t *in_set,
                              uint32_t *dtime, uint32_t *dfac, uint8_t *dpass, uint8_t *fstart, double *reach, size_t nb, const uint32_t *bands_ms,
                              cc__stage *stage, cc_offroad_result *res);

#endif
