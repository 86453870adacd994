/*
 * cc_mexclp.h - availability-aware siting of ambulances: the maximum expected covering location
 * problem (MEXCLP, Daskin 1983).
 *
 * An ambulance is busy (out on a call) a fraction q of the time, independently of the others.
 * A demand point covered by n ambulances (stationed within the threshold of it) is served with
 * probability 1 - q^n, so its expected covered population is w (1 - q^n). MEXCLP places p
 * ambulances at candidate stations (several may share one station) to maximise
 *
 *     sum_i  w_i (1 - q^(b_i + n_i))
 *
 * where b_i counts the ambulances that cover i already and n_i the new ones within reach. The
 * objective has diminishing returns in each station's count, so a greedy answer improved by
 * moving single ambulances (1-swap local search) is near optimal; the LP relaxation of Daskin's
 * integer programme (GLPK) gives an upper bound and GLPK's branch and bound the exact optimum on
 * small instances.
 *
 * q comes from the county's 120 data: calls per hour x mean service hours / ambulances (the
 * DOMAIN.md default busy_fraction_q is unset; 0.1-0.3 is the usual range).
 */
#ifndef CC_MEXCLP_H
#define CC_MEXCLP_H

#include <stdbool.h>
#include <stdint.h>

#include "cc_api.h"
#include "cc_ctx.h"
#include "cc_site.h"

#ifdef __cplusplus
extern "C" {
#endif

/** Parameters of cc_mexclp_solve(). Zero-initialise, then set p and busy_fraction. @since 0.5 */
typedef struct cc_mexclp_params {
    uint32_t p;              /**< ambulances to place (>= 1) */
    double busy_fraction;    /**< q in [0, 1): the share of time an ambulance is out on a call */
    uint32_t max_per_station; /**< at most this many new ambulances at one candidate (0: p) */
    const uint32_t *base_count; /**< per demand point: ambulances covering it already (NULL: none) */
    bool exact;              /**< also solve the integer programme with GLPK's branch and bound */
    double time_limit_s;     /**< exact solve: 0 = 600 s */
} cc_mexclp_params;

/** A MEXCLP answer. @since 0.5 */
typedef struct cc_mexclp_solution {
    uint32_t n_candidates;
    const uint32_t *count;   /**< ambulances per candidate (n_candidates) */
    double objective;        /**< expected covered population, existing ambulances included */
    double objective_before; /**< expected covered population of the existing ambulances alone */
    double covered_once;     /**< population within reach of at least one ambulance (after) */
    double covered_twice;    /**< population within reach of two or more (after) */
    double covered_twice_before;
    double bound;            /**< upper bound on the optimum (LP relaxation; MIP bound when exact) */
    double gap;              /**< (bound - objective) / (objective - objective_before); 0 = proven */
    bool proven_optimal;
    double objective_greedy;
    int moves;               /**< improving single-ambulance moves of the local search */
} cc_mexclp_solution;

/** Place @p params->p ambulances on the candidates of @p inst (coverage sets as for MCLP:
 *  candidate j reaches inst->demand[first[j]..first[j+1]); weights inst->weight; inst->covered,
 *  base_time_ms, area limits and time_ms are not read).
 *  @param out new solution; free with cc_mexclp_solution_destroy()
 *  @return CC_OK; CC_ERR_PARAM (p = 0, q outside [0, 1), malformed instance); CC_ERR_NOMEM;
 *  CC_ERR_INTERNAL (GLPK failed). Not thread-safe for one ctx. @since 0.5 */
CC_API cc_status cc_mexclp_solve(cc_ctx *ctx, const cc_site_instance *inst, const cc_mexclp_params *params, cc_mexclp_solution **out);

/** Free a solution. NULL is a no-op. @since 0.5 */
CC_API void cc_mexclp_solution_destroy(cc_mexclp_solution *s);

#ifdef __cplusplus
}
#endif

#endif
