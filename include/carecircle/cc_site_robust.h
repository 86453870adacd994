/*
 * cc_site_robust.h - one set of p sites for several variants of the same study (a dry and a
 * rainy season, a road that may be cut, a hospital that may close): robust siting.
 *
 * Every variant is a coverage instance (cc_site_instance, MCLP) over the same candidates
 * 0..n_candidates-1 (the candidate set of the base network, joined per variant) and the same
 * area limits; its demand points, pairs and "covered already" flags are its own. cov_v(S) is
 * the population variant v has within the threshold with the sites S (existing facilities
 * included, as the MCLP objective). Objectives (Kouvelis & Yu 1997; Daskin 2013, ch. 9):
 *  - CC_ROBUST_MAX_MIN: maximise min_v cov_v(S).
 *  - CC_ROBUST_MIN_MAX_REGRET: minimise max_v (opt_v - cov_v(S)) (absolute) or
 *    max_v (opt_v - cov_v(S)) / opt_v (relative), opt_v the variant's own MCLP optimum with p
 *    sites (from cc_site_solve). When opt_v is only bounded (lo_v <= opt_v <= hi_v) the
 *    objective uses lo_v (the best answer known for v), the bound on the optimal regret uses
 *    lo_v too (valid since opt_v >= lo_v) and objective_conservative uses hi_v (the regret of S
 *    is at most that).
 *  - CC_ROBUST_EXPECTED: maximise sum_v w_v cov_v(S) (weights normalised to sum 1), an MCLP
 *    over the union of (variant, demand) solved by cc_site_solve.
 * Answers carry a bound (upper for max_min and expected, lower for min_max_regret) and a gap.
 *
 * The time models (@since 0.5) minimise instead, with val_v(S) the variant's p-median mean
 * time or p-centre worst time in seconds (as cc_site_solve reports them; the instance needs
 * time_ms and base_time_ms) and opt_v its own optimum:
 *  - CC_SITE_PMEDIAN: max_min minimises max_v val_v(S) (minimax); min_max_regret minimises
 *    max_v (val_v(S) - opt_v) (or / opt_v); expected minimises sum_v w_v val_v(S), a p-median
 *    over the union with the populations of v scaled by w_v / (population of v).
 *  - CC_SITE_PCENTER: max_min and min_max_regret are a p-centre over the union of the variants'
 *    demand, solved with its bound by cc_site_solve: for the absolute regret each variant's times
 *    shifted by max_u opt_u - opt_v; for the relative regret (@since 0.7) every time t of variant v
 *    replaced by its rank among all t / opt_v (the p-centre depends on the order of the times
 *    only, so the union's optimum is the relative regret's, and its bound maps back to a value).
 *    expected is refused: a weighted sum of the variants' worst times is no p-centre over any
 *    union (it needs one worst time per variant, a different integer programme).
 *  - CC_SITE_LSCP (@since 0.6, max_min only): the fewest new sites S with cov_v(S) >= target x
 *    total_v in every variant. p rises from the smallest allowed; at each p a robust MCLP max_min
 *    on cov_v(S) - need_v (need_v = target x total_v less cc_site_solve's tolerance) is solved with
 *    its bound; the first p whose answer is >= 0 is taken, and every p whose bound is < 0 is proven
 *    too few. When all candidates together miss a variant's target, that variant's need is capped
 *    at their coverage (best effort, feasible = false), as the single-run LSCP. min_max_regret and
 *    expected are refused for it.
 * There opt_v is the best answer found for v (an upper value when only bounded), opt_bound the
 * variant's lower bound, the bound is a lower bound for every objective, and
 * objective_conservative of the regret uses opt_bound. Per-area limits hold for every model.
 */
#ifndef CC_SITE_ROBUST_H
#define CC_SITE_ROBUST_H

#include "cc_site.h"

#ifdef __cplusplus
extern "C" {
#endif

typedef enum cc_robust_objective {
    CC_ROBUST_MAX_MIN = 0,
    CC_ROBUST_MIN_MAX_REGRET = 1,
    CC_ROBUST_EXPECTED = 2
} cc_robust_objective;

/** "max_min", "min_max_regret", "expected"; static. @since 0.2 */
CC_API const char *cc_robust_objective_name(cc_robust_objective o);

typedef struct cc_robust_params {
    cc_robust_objective objective;
    bool relative_regret;        /**< min_max_regret: divide by opt_v */
    const double *weights;       /**< expected: per variant, >= 0, not all 0 (NULL: equal) */
    cc_site_params site;         /**< model CC_SITE_MCLP, or CC_SITE_PMEDIAN / CC_SITE_PCENTER (@since 0.5);
                                      p, exact, time limits, sizes */
} cc_robust_params;

typedef struct cc_robust_solution {
    cc_robust_objective objective;
    bool relative_regret;
    uint32_t n_sites;
    const uint32_t *sites;       /**< chosen candidates */
    double objective_value;      /**< max_min: worst coverage; min_max_regret: worst regret (with
                                      lo_v); expected: weighted mean coverage */
    double objective_conservative; /**< min_max_regret: worst regret with hi_v; others = objective */
    double bound, gap;           /**< gap: |bound - objective| / |objective| (0 when both are 0) */
    bool proven_optimal;
    const char *bound_method;    /**< "mip", "lp", "variant-bounds", "mclp-union" */
    size_t n_variants;
    const double *cov;           /**< per variant: cov_v(S) (time models: val_v(S), seconds) */
    const double *opt, *opt_bound; /**< per variant: own answer lo_v and bound hi_v (time models:
                                        own answer and its lower bound) */
    const bool *opt_proven;      /**< per variant: lo_v == hi_v up to the tolerance */
    const double *regret;        /**< per variant: opt_v - cov_v(S) (or / opt_v), with lo_v; time
                                      models val_v(S) - opt_v (or / opt_v) */
    const uint32_t *own_first;   /**< n_variants + 1 offsets into own_sites */
    const uint32_t *own_sites;   /**< each variant's own MCLP sites */
    const double *cross;         /**< n_variants x n_variants: cross[a * n + v] = cov_v(own sites of a) */
    double t_total_s;
    cc_site_model model;         /**< the model solved; values are persons (MCLP) or seconds (@since 0.5) */
    /* CC_SITE_LSCP (@since 0.6): sites is the fewest new sites found with cov_v(S) >= target_share
     * x total_v in every variant; objective_value = n_sites, bound = the smallest count that the
     * robust MCLP max_min bound does not exclude (proven_optimal when it equals n_sites), gap =
     * (n_sites - bound) / n_sites. opt/opt_bound/own sites are each variant's own LSCP answer
     * (sites) and bound, regret = n_sites - opt_v (sites), cross = cov_v(own sites of a). */
    bool feasible;               /**< LSCP: every variant reaches the target (false: each variant's
                                      target is capped at what all candidates reach, best effort) */
    double target_share;         /**< LSCP: the target share */
    const double *total;         /**< LSCP: per variant, the denominator of its covered share */
} cc_robust_solution;

/** Solve the robust problem over @p n variants (same n_candidates and area limits in each).
 *  @return CC_OK; CC_ERR_PARAM (no variants, different candidate counts, a model other than
 *  MCLP: the message says which are supported); CC_ERR_LIMIT (exact above the size limit);
 *  CC_ERR_NOMEM; CC_ERR_INTERRUPTED. @since 0.2 */
CC_API cc_status cc_site_robust_solve(cc_ctx *ctx, const cc_site_instance *variants, size_t n, const cc_robust_params *params,
                               cc_robust_solution **out);

/** Coverage cov_v(S) of one variant for the sites S (no checks beyond ids). @since 0.2 */
CC_API double cc_site_robust_coverage(const cc_site_instance *inst, const uint32_t *S, uint32_t q);

/** Value of the sites S in one variant for @p model: covered persons (MCLP), mean time in
 *  seconds (p-median: population-weighted, times capped at base_time_ms) or worst time in
 *  seconds (p-centre: over demand that a facility or some candidate reaches within the radius),
 *  as cc_site_solve reports them. NaN when out of memory or for another model. @since 0.5 */
CC_API double cc_site_robust_value(const cc_site_instance *inst, cc_site_model model, const uint32_t *S, uint32_t q);

/** Absolute regret of an answer with @p value in variant @p v of @p R: opt_v - value for MCLP,
 *  value - opt_v for the time models (persons or seconds). @since 0.5 */
CC_API double cc_site_robust_regret(const cc_robust_solution *R, size_t v, double value);

CC_API void cc_robust_solution_destroy(cc_robust_solution *s);

/** Options of cc_site_robust_run(): the site options as for cc_site_run() (site.in is not read;
 *  site.out_dir is the output folder), and the variants' inputs (variant 0 is the base: the
 *  candidates are generated on its network and joined to every variant's). */
typedef struct cc_site_robust_opts {
    cc_site_opts site;
    size_t n_variants;
    const cc_inputs *variants;
    const char *const *names;    /**< variant names (letters, digits, _ - .) */
    cc_robust_objective objective;
    bool relative_regret;
    const double *weights;       /**< expected: per variant (NULL: equal) */
} cc_site_robust_opts;

/** Robust siting end to end: per-variant coverage sets over one candidate set, the robust
 *  solve, and sites.gpkg (layer robust_sites), summary.json and regret.csv in site.out_dir
 *  (staged), with (every model, @since 0.7) the study's report_<lang>.html and one folder per
 *  variant where the robust set is evaluated afresh (CC_ERR_INTERNAL when that disagrees with the
 *  solver's coverage or time) and drawn on the variant's map. Models mclp, lscp (max_min only; regret.csv holds covered shares, @since 0.6),
 *  pmedian and pcenter, with the per-area limits (max_per_area, min_per_area over the base's
 *  admin areas) and the emergency-station mode; the others are refused with a message.
 *  @param out the solution (may be NULL); free with cc_robust_solution_destroy() @since 0.2 */
CC_API cc_status cc_site_robust_run(cc_ctx *ctx, const cc_site_robust_opts *opts, cc_robust_solution **out);

typedef struct cc_batch cc_batch;

/** Robust siting across every variant of batch @p b (the base is variant "base"), with the
 *  site options of @p tmpl (its variants, names and weights are filled in here). @p objective
 *  and @p regret (0 absolute, 1 relative) override the batch file's <robust> section; -1: take
 *  the section's (default max_min, absolute; weights for expected from the section, else equal).
 *  Admin areas in @p tmpl (site.in.admin and its fields) replace every variant's (@since 0.5).
 *  @since 0.2 */
CC_API cc_status cc_batch_site_robust(cc_ctx *ctx, const cc_batch *b, const cc_site_robust_opts *tmpl, int objective, int regret,
                               cc_robust_solution **out);

#ifdef __cplusplus
}
#endif

#endif /* CC_SITE_ROBUST_H */
