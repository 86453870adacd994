/*
 * site_internal.h - facility-location machinery behind cc_site_solve().
 *
 * Every model is solved on one reduced form, an uncapacitated facility-location instance
 * with a budget of p sites ("fl"):
 *
 *     F(S) = const + sum over demand classes c of  w_c * min(cap_c, min over j in S of cost_jc)
 *
 * to be minimised over sets S of at most p candidates that meet the area limits.
 *  - MCLP / LSCP: cost = 0 for every pair, cap = 1, so F(S) is the uncovered population.
 *  - p-median: cost = time in ms, cap = time to the nearest existing facility (or the radius).
 *  - p-centre: a sequence of coverage instances at trial radii.
 * Demand points with identical pair lists (same candidates, same costs, same cap) are merged
 * into one class: exact, and on raster demand it shrinks the instance several times.
 */
#ifndef CC_SITE_INTERNAL_H
#define CC_SITE_INTERNAL_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "carecircle/cc_site.h"
#include "carecircle/cc_types.h"
#include "../core/core_internal.h"

/* Area limits: a partition of candidates (area[j], CC_INVALID_ID = none) with
 * amin[a] <= sites in a <= amax[a], and at most p sites in all. */
typedef struct cc__cons {
    uint32_t n_cand, n_areas;
    const uint32_t *area; /* NULL: no areas */
    uint32_t *amin, *amax; /* owned, n_areas each; amax UINT32_MAX = no limit */
    uint32_t p;
    uint32_t min_total;   /* sum of amin */
} cc__cons;

/* Build normalised limits from an instance; checks that some choice of sites meets them. */
cc_status cc__cons_init(cc_ctx *ctx, const cc_site_instance *inst, uint32_t p, cc__cons *c);
void cc__cons_free(cc__cons *c);

/* Counts while a solution is built or changed. */
typedef struct cc__cstate {
    uint32_t *cnt; /* per area */
    uint32_t chosen;
    uint32_t deficit; /* sum over areas of max(0, amin - cnt) */
} cc__cstate;

cc_status cc__cstate_init(cc_ctx *ctx, const cc__cons *c, cc__cstate *s);
void cc__cstate_free(cc__cstate *s);
void cc__cstate_reset(const cc__cons *c, cc__cstate *s);
void cc__cstate_add(const cc__cons *c, cc__cstate *s, uint32_t j);
void cc__cstate_remove(const cc__cons *c, cc__cstate *s, uint32_t j);
/* Can j be added so that the limits can still be met with the sites left? */
bool cc__cstate_can_add(const cc__cons *c, const cc__cstate *s, uint32_t j);
/* Can a complete solution swap j out and k in and still meet the limits? */
bool cc__cstate_can_swap(const cc__cons *c, const cc__cstate *s, uint32_t j, uint32_t k);
/* Does the state meet every limit (a complete solution)? */
bool cc__cstate_ok(const cc__cons *c, const cc__cstate *s);

/* The reduced instance. */
typedef struct cc__fl {
    uint32_t n_cand, n_dem;          /* n_dem = demand classes */
    uint64_t *first;                 /* n_cand + 1 */
    uint32_t *dem;                   /* class of each pair */
    uint32_t *cost;                  /* cost of each pair, ms; NULL: all 0 */
    uint64_t *dfirst;                /* n_dem + 1: transpose, class -> candidates (ascending) */
    uint32_t *dcand;
    uint32_t *dcost;                 /* NULL when cost is NULL */
    double *w;                       /* class weight */
    uint32_t *cap;                   /* class cap; NULL: all 1 */
    uint32_t *rep;                   /* smallest demand id of each class */
    double obj_const;                /* sum of w * cap over demand without any useful pair */
    double w_total;                  /* sum of class weights */
    double w_nopair;                 /* weight of demand without any useful pair */
    uint32_t max_cap_nopair;         /* largest cap among that demand (0: none) */
    /* time models: (cap, weight) of the demand without pairs, merged by cap, ascending */
    size_t n_np;
    uint32_t *np_cap;
    double *np_w;
} cc__fl;

/* Reduce candidate -> demand pairs. Pairs of demand i are kept when keep_lt == NULL (all
 * pairs; cost must be NULL) or cost < keep_lt[i]. Demand with weight 0 or skip[i] != 0 is
 * dropped. cap == NULL means cap 1 (coverage). Checks demand ids and duplicates. */
cc_status cc__fl_reduce(cc_ctx *ctx, uint32_t n_cand, uint32_t n_dem, const uint64_t *first, const uint32_t *dem,
                        const uint32_t *cost, const uint32_t *keep_lt, const double *w, const uint8_t *skip,
                        const uint32_t *cap, cc__fl *out);
void cc__fl_free(cc__fl *fl);

/* Objective F(S). */
double cc__fl_eval(const cc__fl *fl, const uint32_t *S, uint32_t q, uint32_t *scratch_d1);

/* Workspace of the heuristics (sized for fl). */
typedef struct cc__fl_ws {
    uint32_t *d1, *d2, *phi;  /* per class: best and second best cost, index in S of the best */
    double *gain;             /* per candidate */
    double *extra;            /* per candidate */
    uint32_t *touched;        /* per candidate */
    uint8_t *in_s;            /* per candidate */
    uint32_t *bucket_first;   /* per S position + 1 */
    uint32_t *bucket;         /* classes by phi */
    uint32_t *aff, *aff_d1;   /* classes a move may change, and their d1 before it */
    uint32_t *cstamp, cgen;   /* per class: marked in the current move */
    cc__cstate cs;            /* area counts while a solution changes */
    uint32_t *T;              /* p + 2 sites: a perturbed solution */
    uint8_t *in2;             /* per candidate */
    void *gj;                 /* per candidate: (gain, id) pairs for sorting */
    uint32_t *acnt;           /* per area */
    uint64_t evals;           /* pair visits, for statistics */
} cc__fl_ws;

/* Everything the heuristics and the online bound need, so that none of them allocates (and
 * none can fail) once the workspace exists. p: the largest budget. */
cc_status cc__fl_ws_init(cc_ctx *ctx, const cc__fl *fl, const cc__cons *c, uint32_t p, cc__fl_ws *ws);
void cc__fl_ws_free(cc__fl_ws *ws);

/* Lazy greedy (CELF, Leskovec et al. 2007; Minoux's accelerated greedy) under the limits: at
 * most c->p sites, stops early when nothing more helps and every minimum is met. Writes the
 * sites in the order chosen and the gain of each (objective decrease); the prefix of length q
 * is the greedy answer for budget q. Returns the number chosen. For a monotone submodular
 * objective the greedy is within (1 - 1/e) of the optimum (Nemhauser, Wolsey & Fisher 1978). */
cc_status cc__fl_greedy(cc_ctx *ctx, const cc__fl *fl, const cc__cons *c, cc__fl_ws *ws, uint32_t *S, double *gain,
                        uint32_t *q_out);

/* Swap/interchange local search (Teitz & Bart 1968) with the fast swap evaluation of Resende &
 * Werneck (2007): each pass finds the best move (swap one site for one candidate, or add one
 * when below p) over all pairs in O(pairs) and applies it, until no move improves F. S is
 * changed in place; *q may grow by adds. Returns the number of moves made. */
int cc__fl_interchange(cc_ctx *ctx, const cc__fl *fl, const cc__cons *c, cc__fl_ws *ws, uint32_t *S, uint32_t *q);

/* Variable neighbourhood search (Hansen & Mladenovic 1997, for the p-median): shake S by k
 * random swaps that keep the limits (k = 1..kmax), re-optimise with the interchange, keep any
 * improvement and go back to k = 1; stop after @p iters shakes, after idle_max in a row that do
 * not improve, or when F <= f_stop. kmax = 3 and idle_max = 30; @p deep (the p-median):
 * kmax = a tenth of the sites within 3..10 and idle_max = 200, since at large p single swaps
 * leave 0.3-0.7 % against the optimum that shakes of up to 10 swaps close (bench_pmed). The
 * random sequence has a fixed seed, so results are reproducible. Returns the improvements made. */
int cc__fl_vns(cc_ctx *ctx, const cc__fl *fl, const cc__cons *c, cc__fl_ws *ws, uint32_t *S, uint32_t *q, int iters, double f_stop,
               bool deep);

/* Order S so that each site adds the most to those before it; gain[r] = objective decrease. */
void cc__fl_rank(const cc__fl *fl, cc__fl_ws *ws, uint32_t *S, uint32_t q, double *gain);

/* Lower bound on min F over feasible sets from any set S (submodularity, Nemhauser et al.
 * 1978; the data-dependent bound of Leskovec et al. 2007): F(OPT) >= F(S) - the largest sum of
 * gains w.r.t. S over sets that respect the area maxima and the budget. */
double cc__fl_online_bound(const cc__fl *fl, const cc__cons *c, cc__fl_ws *ws, const uint32_t *S, uint32_t q);

/* Lagrangian relaxation of the assignment constraints, maximised by subgradient optimisation
 * with Polyak steps (Held, Wolfe & Crowder 1974; for p-median Cornuejols, Fisher & Nemhauser
 * 1977; for MCLP Galvao & ReVelle 1996). mu (n_dem) is the starting point when *warm, and the
 * last point on return. ub is the best known objective; sites found by the relaxation that do
 * better are written to best_S/best_q (when best_S is not NULL and they improve on ub). */
typedef struct cc__lag_out {
    double lb;
    int iterations;
    double best_found; /* objective of the best Lagrangian solution */
} cc__lag_out;
cc_status cc__fl_lagrange(cc_ctx *ctx, const cc__fl *fl, const cc__cons *c, double ub, int max_iter, double tol_abs,
                          double *mu, bool warm, uint32_t *best_S, uint32_t *best_q, cc__lag_out *out);

/* The Lagrangian value L(mu) for any mu >= 0: a valid lower bound on min F (clamped at
 * w_c cap_c per class). Scratch sized for the instance. */
typedef struct cc__lagval {
    double *rho;
    void *v;
    uint8_t *pick;
    uint32_t *X, nx; /* the sites of the x subproblem */
    uint32_t *cnt;
} cc__lagval;
cc_status cc__lagval_init(cc_ctx *ctx, const cc__fl *fl, const cc__cons *c, cc__lagval *lv);
void cc__lagval_free(cc__lagval *lv);
double cc__lagval_eval(const cc__fl *fl, const cc__cons *c, const double *mu, int threads, cc__lagval *lv);

/* The LP bound of a coverage instance (cost 0, cap 1) by row generation on the dual of the MCLP
 * LP relaxation (see glpk_model.c): a GLPK master with a row per candidate of a growing set;
 * each round's mu gives a Lagrangian bound, valid whatever GLPK's tolerances; at convergence it
 * is the LP bound. A cc__rowgen keeps the master between calls on the same instance and limits
 * (the p = 1..k of a curve: only the budget changes), so each call starts warm. start_S seeds
 * the master with the rows of a solution. Writes the best bound; *converged when no row of the
 * full dual is violated. */
typedef struct cc__rowgen cc__rowgen;
cc_status cc__rowgen_create(cc_ctx *ctx, const cc__fl *fl, const cc__cons *c, cc__rowgen **out);
void cc__rowgen_destroy(cc__rowgen *rg);
typedef struct cc__cg_out {
    double lb;
    int rounds, columns;
    bool converged;
} cc__cg_out;
cc_status cc__fl_lp_colgen(cc_ctx *ctx, const cc__fl *fl, const cc__cons *c, const uint32_t *start_S, uint32_t start_q, double ub,
                           double tol_abs, double *mu, cc__rowgen *rg, cc__cg_out *out);

/* GLPK: the LP relaxation (mip = false) or the integer programme (mip = true) of min F.
 * start_S (may be NULL) is offered as the first incumbent. Status of the result:
 * *solved = LP optimal / MIP proven optimal; for a MIP stopped by the time limit *value is the
 * incumbent (INFINITY if none) and *bound the best bound. S_out receives the MIP's sites. */
typedef struct cc__lp_out {
    bool solved;
    double value;
    double bound;
    uint32_t q;
    bool time_limit;
} cc__lp_out;
size_t cc__fl_lp_nonzeros(const cc__fl *fl);
cc_status cc__fl_glpk(cc_ctx *ctx, const cc__fl *fl, const cc__cons *c, bool mip, double time_limit_s, const uint32_t *start_S,
                      uint32_t start_q, uint32_t *S_out, cc__lp_out *out);

/* GLPK for LSCP: the fewest sites (under the limits, at most c->p) whose covered class weight
 * reaches need. mip = false gives the LP bound. */
cc_status cc__fl_glpk_lscp(cc_ctx *ctx, const cc__fl *fl, const cc__cons *c, double need, bool mip, double time_limit_s,
                           const uint32_t *start_S, uint32_t start_q, uint32_t *S_out, cc__lp_out *out);

/* Branch and bound on the relaxation solved in @p lp (messages off, parameter time_limit_s, 600 s
 * when 0): *value the best integer objective, *optimal whether GLPK proved it; fails naming
 * "no integer <what> solution" when GLPK found none. */
struct glp_prob;
cc_status cc__glpk_intopt(cc_ctx *ctx, struct glp_prob *lp, double time_limit_s, const char *what, double *value, bool *optimal);

/* A time with a weight (population), for weighted quantiles. */
typedef struct cc__tw {
    uint32_t t;
    double w;
} cc__tw;

/* The smallest time t such that the items of time <= t hold at least @p q of @p total weight
 * (sorts @p v by time). 0 when n is 0. */
uint32_t cc__tw_quantile(cc__tw *v, size_t n, double q, double total);

/* ---- the solver state shared by the model files -------------------------------------------------
 * solve.c (entry, checks, shared helpers), budget.c (the budget pipeline), mclp_pmedian.c, lscp.c,
 * pcenter.c. */

/* A solution with the arrays it owns (cc_site_solution_destroy frees it). */
typedef struct cc__sol {
    cc_site_solution pub; /* first: destroy casts */
    uint32_t *sites;
    double *gain;
    double *cobj, *cbound;
    uint32_t *count; /* MEXCLP: ambulances per ranked site */
    double *served;  /* CMCLP: persons each ranked site serves */
} cc__sol;

/* Everything one cc_site_solve() works with: the reduced instance, limits, workspace, site arrays,
 * options and counters. */
typedef struct cc__solver {
    cc_ctx *ctx;
    const cc_site_instance *inst;
    const cc_site_params *pr;
    cc__fl fl;
    cc__cons cons;
    cc__fl_ws ws;
    double *mu;
    bool mu_warm;
    cc__rowgen *rg;      /* the LP bound's master, kept along the curve (coverage instances) */
    uint32_t pmax;       /* largest budget used (sizes of S arrays) */
    uint32_t *S, *S2, *S3;
    double *gain;
    double tol;
    int lag_iter;
    size_t lp_max, mip_max;
    double tlim;
    double t_heur, t_bound, t_exact;
    int swaps, lag_its, cg_rounds;
    double f_greedy;
} cc__solver;

/* Site arrays, multipliers, workspace (and the LP master on coverage instances) for budgets up
 * to pmax; reports failures. cc__solver_free releases everything the solver owns. */
cc_status cc__solver_alloc(cc__solver *sv, uint32_t pmax);
void cc__solver_free(cc__solver *sv);

/* A budget solve: sites (in sv->S), objective, bound. */
typedef struct cc__bres {
    uint32_t q;
    double F, LB, fg; /* objective, bound, objective of the greedy answer */
    const char *method;
    bool proven;
    bool time_limit;
} cc__bres;

/* Denominator of the relative gap: MCLP measures it on the population gained
 * (cc__gap_den_mclp), the others on the objective (cc__gap_den_rel). */
typedef double (*cc__gap_fn)(const cc__solver *sv, double F);
double cc__gap_den_mclp(const cc__solver *sv, double F);
double cc__gap_den_rel(const cc__solver *sv, double F);
/* Relative gap between objective F and bound LB (0 when they agree up to rounding). */
double cc__gap_of(cc__gap_fn den, const cc__solver *sv, double F, double LB);
/* Reports CC_ERR_LIMIT when an exact model of nnz non-zeros is above the limit. */
cc_status cc__exact_size_check(cc__solver *sv, size_t nnz, const char *what);

/* The budget pipeline (budget.c) for budget p: heuristic answer, bounds, search while the gap is
 * open, exact on request; rank orders the sites by gain. Sites in sv->S. */
cc_status cc__solve_budget(cc__solver *sv, uint32_t p, cc__gap_fn gap, bool exact, bool rank, cc__bres *r);

/* A new solution with room for q sites and a curve of n_curve points; reports failures. */
cc_status cc__sol_new(cc_ctx *ctx, const cc_site_params *pr, uint32_t q, uint32_t n_curve, cc__sol **out);
/* MEXCLP through cc_site_solve() (mexclp.c): the stations that receive ambulances, ranked. */
cc_status cc__solve_mexclp_site(cc_ctx *ctx, const cc_site_instance *inst, const cc_site_params *pr, cc__sol **out);
/* The double standard model (dsm.c); the instance and weights are checked already. */
cc_status cc__solve_dsm(cc_ctx *ctx, const cc_site_instance *inst, const cc_site_params *pr, cc__sol **out);
/* The candidates' pairs followed by those of the capacitated existing sites (inst->n_fixed): new
 * arrays of n_candidates + n_fixed + 1 offsets, demand ids and (tms != NULL) times, or all NULL
 * when there are none (use the instance's own). */
cc_status cc__with_fixed(cc_ctx *ctx, const cc_site_instance *inst, uint64_t **first, uint32_t **dem, uint32_t **tms);
/* The capacitated programme of cmclp.c through GLPK, with objective coefficient obj[e] per pair
 * (persons assigned along pair e; NULL: 1) to maximise: candidates nnew.. of fl are open and
 * outside the budget p. LP relaxation (mip false: *value = *bound = its optimum, INFINITY when it
 * could not be solved) or branch and bound (sites into S_out, *q_out; *proven). */
cc_status cc__cap_glpk(cc_ctx *ctx, const cc__fl *fl, const double *cap, uint32_t nnew, const double *obj, uint32_t p, bool mip, double time_limit_s,
                       double *value, double *bound, bool *proven, uint32_t *S_out, uint32_t *q_out);
size_t cc__cap_glpk_nonzeros(const cc__fl *fl);
/* The capacitated p-median (cpmedian.c). */
cc_status cc__solve_cpmedian(cc_ctx *ctx, const cc_site_instance *inst, const cc_site_params *pr, cc__sol **out);
/* The capacitated MCLP (cmclp.c); the instance and weights are checked already. */
cc_status cc__solve_cmclp(cc_ctx *ctx, const cc_site_instance *inst, const cc_site_params *pr, cc__sol **out);
/* Population-weighted 90th percentile of the times under S, and the weight at or beyond the
 * radius; d1 must hold the class times under S. */
cc_status cc__percentile90_ms(cc_ctx *ctx, const cc__fl *fl, const uint32_t *d1, uint32_t radius, double *p90,
                              double *at_radius);
/* Weight covered before any new site (extra_covered_weight, plus the demand marked covered when
 * count_covered) and the total weight (total_weight, or the sum of the weights when 0). */
void cc__site_weights(const cc_site_instance *in, bool count_covered, double *covered_before, double *total);

/* The models, on sv after the reduction (each allocates the solver for its budgets). */
cc_status cc__solve_mclp_pmedian(cc__solver *sv, cc__sol **out);
cc_status cc__solve_lscp(cc__solver *sv, cc__sol **out);
cc_status cc__solve_pcenter(cc__solver *sv, cc__sol **out);

#endif
