/*
 * carecircle.h - umbrella header of libcarecircle, the rural emergency-coverage engine.
 *
 * Typical use (see planner/cli/cmd_coverage.c):
 *   cc_ctx *ctx; cc_ctx_create(&ctx);
 *   cc_coverage_opts o = {.in = {.roads = "roads.osm.pbf", .population = "pop.tif",
 *                                .facilities = "facilities.csv"},
 *                         .out_dir = "out"};
 *   cc_coverage_result *r;
 *   if (cc_coverage_run(ctx, &o, &r) != CC_OK) fprintf(stderr, "%s\n", cc_ctx_last_error(ctx));
 */
#ifndef CARECIRCLE_H
#define CARECIRCLE_H

#include "cc_status.h"
#include "cc_ctx.h"
#include "cc_types.h"
#include "cc_profile.h"
#include "cc_roads.h"
#include "cc_inputs.h"
#include "cc_graph.h"
#include "cc_route.h"
#include "cc_coverage.h"
#include "cc_site.h"
#include "cc_mexclp.h"
#include "cc_site_robust.h"
#include "cc_report.h"
#include "cc_scenario.h"
#include "cc_traveltime.h"
#include <carecircle/cc_version.h>

#endif /* CARECIRCLE_H */
