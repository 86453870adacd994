/*
 * solve.c - cc_site_solve(): the four models on the reduced instance, each as
 * heuristic answer + proven bound (+ exact solve on request).
 *
 *  - MCLP and p-median: lazy greedy, then fast interchange; bound = the best of the
 *    submodular online bound (any set), the Lagrangian bound (subgradient) and, on instances
 *    small enough, the LP relaxation; the exact integer programme through GLPK on request.
 *  - LSCP: greedy until the target, redundancy elimination, then repeated attempts to do with
 *    one site fewer (interchange at budget k - 1); the lower bound on the number of sites is
 *    the smallest budget whose MCLP upper bound still reaches the target.
 *  - p-centre: binary search over the distinct times, each trial radius a covering problem
 *    solved by the MCLP heuristic with unit weights (Daskin 1995, ch. 5; Minieka 1970); a
 *    radius is proven infeasible when the MCLP bound at that radius leaves demand uncovered.
 */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "site_internal.h"

typedef struct sol_impl {
    cc_site_solution pub; /* first: destroy casts */
    uint32_t *sites;
    double *gain;
    double *cobj, *cbound;
} sol_impl;

void cc_site_solution_destroy(cc_site_solution *s)
{
    sol_impl *si = (sol_impl *)s;
    if (!si) return;
    free(si->sites);
    free(si->gain);
    free(si->cobj);
    free(si->cbound);
    free(si);
}

const char *cc_site_model_name(cc_site_model m)
{
    switch (m) {
    case CC_SITE_MCLP: return "mclp";
    case CC_SITE_LSCP: return "lscp";
    case CC_SITE_PMEDIAN: return "pmedian";
    case CC_SITE_PCENTER: return "pcenter";
    }
    return "unknown";
}

/* ---- the solver state ------------------------------------------------------------------------ */

typedef struct solver {
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
} solver;

static void solver_free(solver *sv)
{
    cc__fl_free(&sv->fl);
    cc__cons_free(&sv->cons);
    cc__fl_ws_free(&sv->ws);
    free(sv->mu);
    cc__rowgen_destroy(sv->rg);
    free(sv->S);
    free(sv->S2);
    free(sv->S3);
    free(sv->gain);
}

static cc_status solver_alloc(solver *sv, uint32_t pmax)
{
    cc_status st;
    sv->pmax = pmax;
    size_t k = (size_t)(pmax > sv->fl.n_cand ? pmax : sv->fl.n_cand) + 1;
    sv->S = cc__malloc_array(k, sizeof(uint32_t));
    sv->S2 = cc__malloc_array(k, sizeof(uint32_t));
    sv->S3 = cc__malloc_array(k, sizeof(uint32_t));
    sv->gain = cc__malloc_array(k, sizeof(double));
    sv->mu = cc__malloc_array(sv->fl.n_dem ? sv->fl.n_dem : 1, sizeof(double));
    if (!sv->S || !sv->S2 || !sv->S3 || !sv->gain || !sv->mu) return cc__fail(sv->ctx, CC_ERR_NOMEM, "Out of memory for the solver");
    if ((st = cc__fl_ws_init(sv->ctx, &sv->fl, &sv->cons, pmax > sv->fl.n_cand ? pmax : sv->fl.n_cand, &sv->ws))) return st;
    if (!sv->fl.cost && !sv->fl.cap && (st = cc__rowgen_create(sv->ctx, &sv->fl, &sv->cons, &sv->rg))) return st;
    return CC_OK;
}

/* A budget solve: sites, objective, bound. */
typedef struct bres {
    uint32_t q;
    double F, LB, fg; /* objective, bound, objective of the greedy answer */
    const char *method;
    bool proven;
    bool time_limit;
} bres;

/* Denominator of the relative gap: MCLP measures it on the population gained, the others on
 * the objective. */
typedef double (*gap_fn)(const solver *sv, double F);

static double den_mclp(const solver *sv, double F)
{
    return sv->fl.obj_const + sv->fl.w_total - F;
}

static double den_rel(const solver *sv, double F)
{
    (void)sv;
    return fabs(F);
}

static double gap_of(gap_fn den, const solver *sv, double F, double LB)
{
    if (F - LB <= 1e-9 * (fabs(F) + 1.0)) return 0.0;
    double d = den(sv, F);
    return (F - LB) / (d > 1e-12 ? d : 1e-12);
}

static cc_status exact_size_check(solver *sv, size_t nnz, const char *what)
{
    if (nnz <= sv->mip_max) return CC_OK;
    return cc__fail(sv->ctx, CC_ERR_LIMIT,
                    "The %s has %zu non-zeros (%u candidates, %u demand classes after merging identical demand), above the limit of %zu "
                    "for an exact solve; drop parameter exact (the bound and gap still come with the answer) or reduce the candidates",
                    what, nnz, sv->fl.n_cand, sv->fl.n_dem, sv->mip_max);
}

/* The budget pipeline shared by MCLP, p-median and the p-centre trials; result sites in S. */
static cc_status solve_budget(solver *sv, uint32_t p, gap_fn gap, bool exact, bool rank, bres *r)
{
    cc_ctx *ctx = sv->ctx;
    cc__fl *fl = &sv->fl;
    cc_status st;
    memset(r, 0, sizeof(*r));
    sv->cons.p = p;
    double t0 = cc__now();
    uint32_t q;
    if ((st = cc__fl_greedy(ctx, fl, &sv->cons, &sv->ws, sv->S, sv->gain, &q))) return st;
    double fg = cc__fl_eval(fl, sv->S, q, sv->ws.d1);
    sv->f_greedy = fg;
    sv->t_heur += cc__now() - t0;
    /* online bounds at prefixes of the greedy sequence (Leskovec et al. 2007) */
    double t1 = cc__now();
    double lb = fl->obj_const;
    const char *method = "trivial";
    /* (the empty set, the middle and the end: the LP or Lagrangian bound below usually wins) */
    uint32_t step = q > 2 ? q / 2 : 1;
    for (uint32_t k = 0;; k = k + step < q ? k + step : q) {
        double b = cc__fl_online_bound(fl, &sv->cons, &sv->ws, sv->S, k);
        if (b > lb) {
            lb = b;
            method = "greedy-submodular";
        }
        if (k == q) break;
    }
    sv->t_bound += cc__now() - t1;
    t1 = cc__now();
    sv->swaps += cc__fl_interchange(ctx, fl, &sv->cons, &sv->ws, sv->S, &q);
    double F = cc__fl_eval(fl, sv->S, q, sv->ws.d1);
    sv->t_heur += cc__now() - t1;
    t1 = cc__now();
    double b = cc__fl_online_bound(fl, &sv->cons, &sv->ws, sv->S, q);
    if (b > lb) {
        lb = b;
        method = "greedy-submodular";
    }
    /* coverage instances: the LP bound by column generation */
    bool lp_done = false;
    if (gap_of(gap, sv, F, lb) > sv->tol && !fl->cost && !fl->cap && sv->lag_iter > 0) {
        cc__cg_out co;
        if ((st = cc__fl_lp_colgen(ctx, fl, &sv->cons, sv->S, q, F, sv->tol * gap(sv, F), sv->mu, sv->rg, &co))) return st;
        sv->mu_warm = true;
        sv->cg_rounds += co.rounds;
        if (co.lb > lb) {
            lb = co.lb;
            method = co.converged ? "lp" : "lagrangian";
        }
        lp_done = co.converged;
    }
    /* Lagrangian */
    if (gap_of(gap, sv, F, lb) > sv->tol && sv->lag_iter > 0 && !lp_done) {
        cc__lag_out lo;
        uint32_t q2 = 0;
        double abs_tol = sv->tol * gap(sv, F);
        if ((st = cc__fl_lagrange(ctx, fl, &sv->cons, F, sv->lag_iter, abs_tol, sv->mu, sv->mu_warm, sv->S2, &q2, &lo))) return st;
        sv->mu_warm = true;
        sv->lag_its += lo.iterations;
        if (lo.lb > lb) {
            lb = lo.lb;
            method = "lagrangian";
        }
        if (q2 && lo.best_found < F) {
            double th = cc__now();
            sv->swaps += cc__fl_interchange(ctx, fl, &sv->cons, &sv->ws, sv->S2, &q2);
            double F2 = cc__fl_eval(fl, sv->S2, q2, sv->ws.d1);
            if (F2 < F) {
                F = F2;
                q = q2;
                memcpy(sv->S, sv->S2, q * sizeof(uint32_t));
            }
            sv->t_heur += cc__now() - th;
        }
    }
    /* LP relaxation on instances small enough */
    size_t nnz = cc__fl_lp_nonzeros(fl);
    /* GLPK's simplex is slow on the degenerate strong p-median LP: a tenth of the size there */
    size_t lp_max = fl->cost ? sv->lp_max / 10 : sv->lp_max;
    if (gap_of(gap, sv, F, lb) > sv->tol && nnz <= lp_max && !exact && !lp_done) {
        cc__lp_out lo;
        if ((st = cc__fl_glpk(ctx, fl, &sv->cons, false, 60.0, NULL, 0, NULL, &lo))) return st;
        if (lo.solved && lo.bound > lb) {
            lb = lo.bound;
            method = "lp";
        }
    }
    sv->t_bound += cc__now() - t1;
    /* a gap still open: diversify (variable neighbourhood search). Below ten times the
     * tolerance the gap is mostly the relaxation's own, which no search closes */
    if (gap_of(gap, sv, F, lb) > 10 * sv->tol && q > 0) {
        t1 = cc__now();
        int it = (int)fmin(200.0, fmax(10.0, 2e7 / ((double)fl->first[fl->n_cand] + fl->n_cand + 1.0)));
        double stop = lb + sv->tol * gap(sv, F);
        if (cc__fl_vns(ctx, fl, &sv->cons, &sv->ws, sv->S, &q, it, stop) > 0) F = cc__fl_eval(fl, sv->S, q, sv->ws.d1);
        sv->t_heur += cc__now() - t1;
    }
    /* exact */
    if (exact) {
        if ((st = exact_size_check(sv, nnz, "integer programme"))) return st;
        t1 = cc__now();
        cc__lp_out lo;
        if ((st = cc__fl_glpk(ctx, fl, &sv->cons, true, sv->tlim, sv->S, q, sv->S3, &lo))) return st;
        if (lo.q || lo.solved) {
            double F3 = cc__fl_eval(fl, sv->S3, lo.q, sv->ws.d1);
            if (F3 < F - 1e-9 * (fabs(F) + 1.0)) {
                F = F3;
                q = lo.q;
                memcpy(sv->S, sv->S3, q * sizeof(uint32_t));
            }
        }
        if (lo.solved) {
            /* proven optimal: the bound is the objective, up to GLPK's tolerances */
            r->proven = true;
            if (F > lb) lb = F;
            method = "mip";
        } else if (lo.bound > lb) {
            lb = lo.bound;
            method = "mip";
        }
        r->time_limit = lo.time_limit;
        sv->t_exact += cc__now() - t1;
    }
    if (lb > F) lb = F;
    if (gap_of(gap, sv, F, lb) == 0) r->proven = true;
    cc__debug(ctx, "p=%u: greedy %.6g, final %.6g, bound %.6g (%s), gap %.3g, %.3f s", p, fg, F, lb, method, gap_of(gap, sv, F, lb),
              cc__now() - t0);
    if (rank) cc__fl_rank(fl, &sv->ws, sv->S, q, sv->gain);
    r->q = q;
    r->F = F;
    r->LB = lb;
    r->fg = fg;
    r->method = method;
    return CC_OK;
}

/* ---- result assembly ----------------------------------------------------------------------------- */

static cc_status new_solution(cc_ctx *ctx, const cc_site_params *pr, uint32_t q, uint32_t n_curve, sol_impl **out)
{
    sol_impl *si = calloc(1, sizeof(*si));
    if (!si) return cc__fail(ctx, CC_ERR_NOMEM, "Out of memory");
    si->sites = cc__malloc_array(q ? q : 1, sizeof(uint32_t));
    si->gain = cc__malloc_array(q ? q : 1, sizeof(double));
    si->cobj = cc__malloc_array(n_curve ? n_curve : 1, sizeof(double));
    si->cbound = cc__malloc_array(n_curve ? n_curve : 1, sizeof(double));
    if (!si->sites || !si->gain || !si->cobj || !si->cbound) {
        cc_site_solution_destroy(&si->pub);
        return cc__fail(ctx, CC_ERR_NOMEM, "Out of memory");
    }
    si->pub.model = pr->model;
    si->pub.n_sites = q;
    si->pub.sites = si->sites;
    si->pub.site_gain = si->gain;
    si->pub.n_curve = n_curve;
    si->pub.curve_objective = si->cobj;
    si->pub.curve_bound = si->cbound;
    si->pub.feasible = true;
    *out = si;
    return CC_OK;
}

static int cmp_tw(const void *a, const void *b)
{
    const cc__tw *x = a, *y = b;
    return x->t < y->t ? -1 : x->t > y->t;
}

uint32_t cc__tw_quantile(cc__tw *v, size_t n, double q, double total)
{
    qsort(v, n, sizeof(cc__tw), cmp_tw);
    double cum = 0;
    uint32_t res = 0;
    for (size_t i = 0; i < n; i++) {
        cum += v[i].w;
        res = v[i].t;
        if (cum >= q * total - 1e-12 * total) break;
    }
    return res;
}

/* Population-weighted 90th percentile of the times under S, and the weight at or beyond the
 * radius; d1 must hold the class times under S. */
static cc_status percentile90_ms(cc_ctx *ctx, const cc__fl *fl, const uint32_t *d1, uint32_t radius, double *p90, double *at_radius)
{
    size_t n = fl->n_dem + fl->n_np;
    cc__tw *v = cc__malloc_array(n ? n : 1, sizeof(cc__tw));
    *at_radius = 0;
    if (!v) return cc__fail(ctx, CC_ERR_NOMEM, "Out of memory");
    size_t k = 0;
    double tot = 0;
    for (uint32_t c = 0; c < fl->n_dem; c++) v[k++] = (cc__tw){d1[c], fl->w[c]};
    for (size_t i = 0; i < fl->n_np; i++) v[k++] = (cc__tw){fl->np_cap[i], fl->np_w[i]};
    for (size_t i = 0; i < k; i++) {
        tot += v[i].w;
        if (radius && v[i].t >= radius) *at_radius += v[i].w;
    }
    *p90 = cc__tw_quantile(v, k, 0.9, tot);
    free(v);
    return CC_OK;
}

/* ---- MCLP and p-median ---------------------------------------------------------------------------- */

static cc_status solve_mclp_pmedian(solver *sv, sol_impl **out)
{
    cc_ctx *ctx = sv->ctx;
    const cc_site_params *pr = sv->pr;
    const cc_site_instance *in = sv->inst;
    const bool cover = pr->model == CC_SITE_MCLP;
    cc__fl *fl = &sv->fl;
    cc_status st;
    gap_fn gap = cover ? den_mclp : den_rel;
    uint32_t nc = pr->curve_to;
    uint32_t pm = pr->p > nc ? pr->p : nc;
    if ((st = solver_alloc(sv, pm))) return st;
    sol_impl *si = NULL;
    double covered_before = in->extra_covered_weight, wsum = in->extra_covered_weight;
    for (uint32_t i = 0; i < in->n_demand; i++) {
        wsum += in->weight[i];
        if (cover && in->covered && in->covered[i]) covered_before += in->weight[i];
    }
    double total = in->total_weight > 0 ? in->total_weight : wsum;
    double w_all = fl->w_total + fl->w_nopair; /* p-median: population in the mean */
    double f0 = fl->obj_const + fl->w_total;
    double *cobj = cc__malloc_array(nc ? nc : 1, sizeof(double)), *cb = cc__malloc_array(nc ? nc : 1, sizeof(double));
    if (!cobj || !cb) {
        free(cobj);
        free(cb);
        return cc__fail(ctx, CC_ERR_NOMEM, "Out of memory");
    }
    /* the curve first (warm starts carry from p to p + 1), then the answer for p (taken from
     * the curve when it is on it and no exact solve is asked) */
    bres r, rp = {0};
    uint32_t *Sp = NULL;
    double *gp = NULL;
    for (uint32_t k = 1; k <= nc; k++) {
        if (cc__interrupted(ctx)) {
            st = cc__fail(ctx, CC_ERR_INTERRUPTED, "Interrupted");
            goto out;
        }
        if (k < sv->cons.min_total) {
            cobj[k - 1] = cb[k - 1] = NAN;
            continue;
        }
        bool keep = k == pr->p && !pr->exact;
        cc__progress(ctx, "Solving the curve", (double)(k - 1) / nc);
        if ((st = solve_budget(sv, k, gap, false, keep, &r))) goto out;
        cobj[k - 1] = cover ? covered_before + f0 - r.F : (w_all > 0 ? r.F / w_all / 1000.0 : 0);
        cb[k - 1] = cover ? covered_before + f0 - r.LB : (w_all > 0 ? r.LB / w_all / 1000.0 : 0);
        if (keep) {
            Sp = cc__malloc_array(r.q ? r.q : 1, sizeof(uint32_t));
            gp = cc__malloc_array(r.q ? r.q : 1, sizeof(double));
            if (!Sp || !gp) {
                st = cc__fail(ctx, CC_ERR_NOMEM, "Out of memory");
                goto out;
            }
            memcpy(Sp, sv->S, r.q * sizeof(uint32_t));
            memcpy(gp, sv->gain, r.q * sizeof(double));
            rp = r;
        }
    }
    cc__progress(ctx, "Solving the curve", 1.0);
    if (Sp) {
        r = rp;
        memcpy(sv->S, Sp, r.q * sizeof(uint32_t));
        memcpy(sv->gain, gp, r.q * sizeof(double));
    } else if ((st = solve_budget(sv, pr->p, gap, pr->exact, true, &r))) {
        goto out;
    }
    if ((st = new_solution(ctx, pr, r.q, nc, &si))) goto out;
    memcpy(si->sites, sv->S, r.q * sizeof(uint32_t));
    memcpy(si->cobj, cobj, nc * sizeof(double));
    memcpy(si->cbound, cb, nc * sizeof(double));
    cc_site_solution *s = &si->pub;
    s->total_weight = total;
    s->proven_optimal = r.proven;
    s->bound_method = r.method;
    if (cover) {
        for (uint32_t t = 0; t < r.q; t++) si->gain[t] = sv->gain[t];
        s->objective = covered_before + f0 - r.F;
        s->bound = covered_before + f0 - r.LB;
        s->covered_before = covered_before;
        s->covered_share = total > 0 ? s->objective / total : 0;
        s->unreachable_weight = fl->w_nopair;
        s->objective_greedy = covered_before + f0 - r.fg;
    } else {
        for (uint32_t t = 0; t < r.q; t++) si->gain[t] = sv->gain[t] / 1000.0;
        s->objective = w_all > 0 ? r.F / w_all / 1000.0 : 0;
        s->bound = w_all > 0 ? r.LB / w_all / 1000.0 : 0;
        s->objective_greedy = w_all > 0 ? r.fg / w_all / 1000.0 : 0;
        cc__fl_eval(fl, si->sites, r.q, sv->ws.d1);
        double at_r, p90;
        if ((st = percentile90_ms(ctx, fl, sv->ws.d1, in->radius_ms, &p90, &at_r))) goto out;
        s->p90_s = p90 / 1000.0;
        s->unreachable_weight = at_r;
    }
    s->gap = gap_of(gap, sv, r.F, r.LB);
    *out = si;
    si = NULL;
out:
    free(cobj);
    free(cb);
    free(Sp);
    free(gp);
    cc_site_solution_destroy(si ? &si->pub : NULL);
    return st;
}

/* ---- LSCP ---------------------------------------------------------------------------------------- */

/* Lower bound on F with budget q (online bound from a greedy/interchange set of that budget,
 * then the Lagrangian); also leaves in S2/q2 a good set of budget q with its objective. */
static cc_status lb_at(solver *sv, uint32_t q, double f_target, double *lb_out, uint32_t *q2, double *f2, const char **method)
{
    cc_status st;
    cc__fl *fl = &sv->fl;
    sv->cons.p = q;
    uint32_t n;
    if ((st = cc__fl_greedy(sv->ctx, fl, &sv->cons, &sv->ws, sv->S2, sv->gain, &n))) return st;
    sv->swaps += cc__fl_interchange(sv->ctx, fl, &sv->cons, &sv->ws, sv->S2, &n);
    double F = cc__fl_eval(fl, sv->S2, n, sv->ws.d1);
    double lb = cc__fl_online_bound(fl, &sv->cons, &sv->ws, sv->S2, n);
    *method = "greedy-submodular";
    *q2 = n;
    *f2 = F;
    bool lp_done = false;
    if (lb <= f_target && F > f_target && sv->lag_iter > 0) {
        cc__cg_out co;
        if ((st = cc__fl_lp_colgen(sv->ctx, fl, &sv->cons, sv->S2, n, f_target, 0.0, sv->mu, sv->rg, &co))) return st;
        sv->cg_rounds += co.rounds;
        sv->mu_warm = true;
        if (co.lb > lb) {
            lb = co.lb;
            *method = co.converged ? "lp" : "lagrangian";
        }
        lp_done = co.converged;
    }
    if (lb <= f_target && F > f_target && sv->lag_iter > 0 && !lp_done) {
        cc__lag_out lo;
        uint32_t q3 = 0;
        if ((st = cc__fl_lagrange(sv->ctx, fl, &sv->cons, F, sv->lag_iter, 0.0, sv->mu, sv->mu_warm, sv->S3, &q3, &lo))) return st;
        sv->mu_warm = true;
        sv->lag_its += lo.iterations;
        if (lo.lb > lb) {
            lb = lo.lb;
            *method = "lagrangian";
        }
        if (q3 && lo.best_found < F) {
            sv->swaps += cc__fl_interchange(sv->ctx, fl, &sv->cons, &sv->ws, sv->S3, &q3);
            double F3 = cc__fl_eval(fl, sv->S3, q3, sv->ws.d1);
            if (F3 < F) {
                memcpy(sv->S2, sv->S3, q3 * sizeof(uint32_t));
                *q2 = q3;
                *f2 = F3;
            }
        }
    }
    if (lb <= f_target && *f2 > f_target && *q2 > 0) {
        int it = (int)fmin(200.0, fmax(10.0, 2e7 / ((double)fl->first[fl->n_cand] + fl->n_cand + 1.0)));
        if (cc__fl_vns(sv->ctx, fl, &sv->cons, &sv->ws, sv->S2, q2, it, f_target) > 0) *f2 = cc__fl_eval(fl, sv->S2, *q2, sv->ws.d1);
    }
    if (lb <= f_target && *f2 > f_target && cc__fl_lp_nonzeros(fl) <= sv->lp_max && !lp_done) {
        cc__lp_out lo;
        if ((st = cc__fl_glpk(sv->ctx, fl, &sv->cons, false, 60.0, NULL, 0, NULL, &lo))) return st;
        if (lo.solved && lo.bound > lb) {
            lb = lo.bound;
            *method = "lp";
        }
    }
    *lb_out = lb;
    return CC_OK;
}

/* Add the best sites of areas whose minimum is not met yet. */
static uint32_t complete_minima(solver *sv, uint32_t *S, uint32_t q)
{
    cc__fl *fl = &sv->fl;
    const cc__cons *c = &sv->cons;
    if (!c->min_total) return q;
    cc__cstate cs = sv->ws.cs;
    cc__cstate_reset(c, &cs);
    memset(sv->ws.in_s, 0, fl->n_cand);
    for (uint32_t s = 0; s < q; s++) {
        cc__cstate_add(c, &cs, S[s]);
        sv->ws.in_s[S[s]] = 1;
    }
    cc__fl_eval(fl, S, q, sv->ws.d1);
    while (cs.deficit > 0) {
        uint32_t best = CC_INVALID_ID;
        double bg = -1;
        for (uint32_t j = 0; j < fl->n_cand; j++) {
            uint32_t a = c->area ? c->area[j] : CC_INVALID_ID;
            if (sv->ws.in_s[j] || a == CC_INVALID_ID || cs.cnt[a] >= c->amin[a]) continue;
            double g = 0;
            for (uint64_t e = fl->first[j]; e < fl->first[j + 1]; e++) {
                uint32_t cl = fl->dem[e], t = fl->cost ? fl->cost[e] : 0;
                if (t < sv->ws.d1[cl]) g += fl->w[cl] * (double)(sv->ws.d1[cl] - t);
            }
            if (g > bg) {
                bg = g;
                best = j;
            }
        }
        if (best == CC_INVALID_ID) break;
        S[q++] = best;
        sv->ws.in_s[best] = 1;
        cc__cstate_add(c, &cs, best);
        for (uint64_t e = fl->first[best]; e < fl->first[best + 1]; e++) {
            uint32_t cl = fl->dem[e], t = fl->cost ? fl->cost[e] : 0;
            if (t < sv->ws.d1[cl]) sv->ws.d1[cl] = t;
        }
    }
    return q;
}

/* Drop sites whose removal keeps F <= f_target (least useful first) and the area minima. */
static uint32_t drop_redundant(solver *sv, uint32_t *S, uint32_t q, double f_target)
{
    cc__fl *fl = &sv->fl;
    cc__cstate cs = sv->ws.cs;
    cc__cstate_reset(&sv->cons, &cs);
    for (uint32_t s = 0; s < q; s++) cc__cstate_add(&sv->cons, &cs, S[s]);
    cc__fl_rank(fl, &sv->ws, S, q, sv->gain);
    for (uint32_t s = q; s-- > 0;) {
        uint32_t j = S[s];
        uint32_t a = sv->cons.area ? sv->cons.area[j] : CC_INVALID_ID;
        if (a != CC_INVALID_ID && cs.cnt[a] <= sv->cons.amin[a]) continue;
        S[s] = S[q - 1];
        double F = cc__fl_eval(fl, S, q - 1, sv->ws.d1);
        if (F <= f_target) {
            q--;
            cc__cstate_remove(&sv->cons, &cs, j);
        } else {
            S[q - 1] = S[s];
            S[s] = j;
        }
    }
    return q;
}

static cc_status solve_lscp(solver *sv, sol_impl **out)
{
    cc_ctx *ctx = sv->ctx;
    const cc_site_params *pr = sv->pr;
    const cc_site_instance *in = sv->inst;
    cc__fl *fl = &sv->fl;
    cc_status st;
    uint32_t budget = pr->max_sites ? pr->max_sites : fl->n_cand;
    if (budget > fl->n_cand) budget = fl->n_cand;
    if (budget < sv->cons.min_total) budget = sv->cons.min_total;
    if ((st = solver_alloc(sv, budget))) return st;
    double covered_before = in->extra_covered_weight, wsum = in->extra_covered_weight;
    for (uint32_t i = 0; i < in->n_demand; i++) {
        wsum += in->weight[i];
        if (in->covered && in->covered[i]) covered_before += in->weight[i];
    }
    double total = in->total_weight > 0 ? in->total_weight : wsum;
    double f0 = fl->obj_const + fl->w_total;
    double need = pr->target_share * total - covered_before; /* weight to gain */
    double eps = 1e-9 * (total + 1.0);
    double f_target = f0 - need + eps;                          /* F(S) <= f_target reaches it */
    sol_impl *si = NULL;
    uint32_t q = 0;
    double F = f0, LB_sites = 0;
    bool feasible = true, proven = false;
    const char *method = "trivial";
    sv->cons.p = budget;
    double t0 = cc__now();
    /* greedy: the shortest prefix that reaches the target */
    uint32_t n;
    if ((st = cc__fl_greedy(ctx, fl, &sv->cons, &sv->ws, sv->S, sv->gain, &n))) goto out;
    double best_share = 0, best_share_bound = 0;
    {
        double f = f0;
        for (q = 0; q < n && !(f <= f_target); q++) f -= sv->gain[q];
        q = complete_minima(sv, sv->S, q);
        F = cc__fl_eval(fl, sv->S, q, sv->ws.d1);
        double f_all = cc__fl_eval(fl, sv->S, n, sv->ws.d1);
        best_share = total > 0 ? (covered_before + f0 - f_all) / total : 0;
        /* the most any set within the budget and the limits can cover */
        double lb_all = cc__fl_online_bound(fl, &sv->cons, &sv->ws, sv->S, n);
        double lb0 = cc__fl_online_bound(fl, &sv->cons, &sv->ws, sv->S, 0);
        if (lb0 > lb_all) lb_all = lb0;
        if (!(f_all <= f_target) && lb_all <= f_target && sv->lag_iter > 0) {
            cc__lag_out lo;
            uint32_t q3 = 0;
            if ((st = cc__fl_lagrange(ctx, fl, &sv->cons, f_all, sv->lag_iter, 0.0, sv->mu, false, NULL, &q3, &lo))) goto out;
            sv->lag_its += lo.iterations;
            if (lo.lb > lb_all) lb_all = lo.lb;
        }
        best_share_bound = total > 0 ? (covered_before + f0 - lb_all) / total : 0;
        if (!(F <= f_target)) {
            /* the greedy cannot reach the target within the budget and the area limits */
            feasible = false;
            if (lb_all > f_target) proven = true; /* no set can: the bound proves it */
            q = n;
            F = f_all;
        }
    }
    sv->t_heur += cc__now() - t0;
    if (feasible) {
        q = drop_redundant(sv, sv->S, q, f_target);
        /* try to do with one site fewer while the bound allows it */
        double t1 = cc__now();
        uint32_t lb_q = sv->cons.min_total;
        while (q > lb_q) {
            if (cc__interrupted(ctx)) {
                st = cc__fail(ctx, CC_ERR_INTERRUPTED, "Interrupted");
                goto out;
            }
            double lb, f2;
            uint32_t q2;
            const char *m1;
            if ((st = lb_at(sv, q - 1, f_target, &lb, &q2, &f2, &m1))) goto out;
            if (f2 <= f_target) { /* a smaller cover */
                memcpy(sv->S, sv->S2, q2 * sizeof(uint32_t));
                q = drop_redundant(sv, sv->S, q2, f_target);
                F = cc__fl_eval(fl, sv->S, q, sv->ws.d1);
                continue;
            }
            if (lb > f_target) {
                lb_q = q; /* q - 1 sites cannot reach the target: q is optimal */
                method = m1;
                break;
            }
            /* not proven: find the largest budget proven too small, by bisection; budgets
             * below the sum of the minima are impossible, budget 0 reaches nothing */
            uint32_t lo = sv->cons.min_total ? sv->cons.min_total - 1 : 0, hi = q - 1;
            method = "trivial";
            while (hi > lo + 1) {
                uint32_t mid = lo + (hi - lo) / 2;
                double lbm, fm;
                uint32_t qm;
                const char *m2;
                if ((st = lb_at(sv, mid, f_target, &lbm, &qm, &fm, &m2))) goto out;
                if (fm <= f_target) { /* even a smaller cover: take it */
                    memcpy(sv->S, sv->S2, qm * sizeof(uint32_t));
                    q = drop_redundant(sv, sv->S, qm, f_target);
                    F = cc__fl_eval(fl, sv->S, q, sv->ws.d1);
                    hi = q > 0 ? q - 1 : 0;
                    if (hi <= lo) break;
                    continue;
                }
                if (lbm > f_target) {
                    lo = mid;
                    method = m2;
                } else {
                    hi = mid;
                }
            }
            lb_q = lo + 1 > q ? q : lo + 1;
            break;
        }
        LB_sites = lb_q;
        if (LB_sites < 1 && q >= 1 && f0 > f_target) LB_sites = 1;
        /* LP bound on the number of sites when it can still help */
        size_t nnz = (size_t)fl->first[fl->n_cand] + 2 * (size_t)fl->n_dem;
        if (LB_sites < q && nnz <= sv->lp_max && !pr->exact) {
            cc__lp_out lo;
            sv->cons.p = budget;
            if ((st = cc__fl_glpk_lscp(ctx, fl, &sv->cons, need, false, 60.0, NULL, 0, NULL, &lo))) goto out;
            if (lo.solved) {
                double b = ceil(lo.bound - 1e-6);
                if (b > LB_sites) {
                    LB_sites = b;
                    method = "lp";
                }
            }
        }
        sv->t_bound += cc__now() - t1;
        if (pr->exact) {
            if ((st = exact_size_check(sv, nnz, "set-covering integer programme"))) goto out;
            double t2 = cc__now();
            cc__lp_out lo;
            sv->cons.p = budget;
            if ((st = cc__fl_glpk_lscp(ctx, fl, &sv->cons, need, true, sv->tlim, sv->S, q, sv->S3, &lo))) goto out;
            if (lo.q && lo.q < q) {
                double F3 = cc__fl_eval(fl, sv->S3, lo.q, sv->ws.d1);
                if (F3 <= f_target) {
                    q = lo.q;
                    memcpy(sv->S, sv->S3, q * sizeof(uint32_t));
                    F = F3;
                }
            }
            if (lo.solved) {
                LB_sites = q;
                method = "mip";
            } else if (ceil(lo.bound - 1e-6) > LB_sites) {
                LB_sites = ceil(lo.bound - 1e-6);
                method = "mip";
            }
            sv->t_exact += cc__now() - t2;
        }
        if (LB_sites > q) LB_sites = q;
        proven = LB_sites >= q;
    }
    cc__fl_rank(fl, &sv->ws, sv->S, q, sv->gain);
    if ((st = new_solution(ctx, pr, q, q, &si))) goto out;
    memcpy(si->sites, sv->S, q * sizeof(uint32_t));
    memcpy(si->gain, sv->gain, q * sizeof(double));
    {
        double cov = covered_before;
        for (uint32_t k = 0; k < q; k++) {
            cov += sv->gain[k];
            si->cobj[k] = total > 0 ? cov / total : 0;
            si->cbound[k] = NAN;
        }
    }
    cc_site_solution *s = &si->pub;
    s->total_weight = total;
    s->covered_before = covered_before;
    s->objective = q;
    s->bound = feasible ? LB_sites : NAN;
    s->gap = feasible && q > 0 ? (q - LB_sites) / (double)q : 0;
    s->proven_optimal = proven;
    s->bound_method = method;
    s->feasible = feasible;
    s->covered_share = total > 0 ? (covered_before + f0 - F) / total : 0;
    s->best_share = feasible ? s->covered_share : best_share;
    s->best_share_bound = best_share_bound > 1 ? 1 : best_share_bound;
    s->unreachable_weight = fl->w_nopair;
    s->objective_greedy = n;
    *out = si;
    si = NULL;
out:
    cc_site_solution_destroy(si ? &si->pub : NULL);
    return st;
}

/* ---- p-centre ------------------------------------------------------------------------------------- */

typedef struct pc {
    solver *base;       /* the timed instance */
    uint32_t *radii;
    size_t n_radii;
    uint64_t *f2;       /* scratch CSR for a trial radius */
    uint32_t *d2;
    double *w1;
    uint8_t *skip;
} pc;

/* Coverage instance at radius r: class c must be covered when cap_c > r; j covers it when
 * cost_jc <= r. Unit weight per class of the timed instance. */
static cc_status pc_instance(pc *P, uint32_t r, solver *sv)
{
    const cc__fl *tf = &P->base->fl;
    uint64_t k = 0;
    P->f2[0] = 0;
    for (uint32_t j = 0; j < tf->n_cand; j++) {
        for (uint64_t e = tf->first[j]; e < tf->first[j + 1]; e++) {
            uint32_t c = tf->dem[e];
            if (tf->cost[e] <= r && tf->cap[c] > r) P->d2[k++] = c;
        }
        P->f2[j + 1] = k;
    }
    for (uint32_t c = 0; c < tf->n_dem; c++) P->skip[c] = !(tf->cap[c] > r);
    cc__fl_free(&sv->fl);
    return cc__fl_reduce(sv->ctx, tf->n_cand, tf->n_dem, P->f2, P->d2, NULL, NULL, P->w1, P->skip, NULL, &sv->fl);
}

/* Objective of S on the timed instance: the worst time (ms). */
static uint32_t pc_worst(const cc__fl *tf, const uint32_t *S, uint32_t q, uint32_t *d1)
{
    cc__fl_eval(tf, S, q, d1);
    uint32_t z = tf->max_cap_nopair;
    for (uint32_t c = 0; c < tf->n_dem; c++)
        if (d1[c] > z) z = d1[c];
    return z;
}

typedef struct pc_trial {
    bool feasible;     /* the heuristic covered everything */
    bool infeasible;   /* proven: no set of p sites covers everything */
    uint32_t q;
} pc_trial;

static cc_status pc_try(pc *P, solver *sv, uint32_t ri, uint32_t p, bool exact, bool prove, uint32_t *S_out, pc_trial *t)
{
    cc_status st;
    memset(t, 0, sizeof(*t));
    if ((st = pc_instance(P, P->radii[ri], sv))) return st;
    if (sv->fl.w_nopair > 0) { /* demand that no candidate reaches within r */
        t->infeasible = true;
        return CC_OK;
    }
    if (sv->fl.n_dem == 0) {
        t->feasible = true;
        return CC_OK;
    }
    cc__fl_ws_free(&sv->ws);
    if ((st = cc__fl_ws_init(sv->ctx, &sv->fl, &sv->cons, sv->pmax, &sv->ws))) return st;
    sv->mu_warm = false;
    free(sv->mu);
    if (!(sv->mu = cc__malloc_array(sv->fl.n_dem, sizeof(double)))) return cc__fail(sv->ctx, CC_ERR_NOMEM, "Out of memory");
    int lag = sv->lag_iter;
    if (!prove) sv->lag_iter = 0;
    size_t lpmax = sv->lp_max;
    if (!prove) sv->lp_max = 0;
    bres r;
    st = solve_budget(sv, p, den_rel, exact, false, &r);
    sv->lag_iter = lag;
    sv->lp_max = lpmax;
    if (st) return st;
    t->q = r.q;
    memcpy(S_out, sv->S, r.q * sizeof(uint32_t));
    t->feasible = r.F <= 0.5;       /* unit weights: F counts uncovered classes */
    t->infeasible = r.LB > 1e-6;    /* a bound above 0: something stays uncovered */
    return CC_OK;
}

static int cmp_u32(const void *a, const void *b)
{
    uint32_t x = *(const uint32_t *)a, y = *(const uint32_t *)b;
    return x < y ? -1 : x > y;
}

/* Solve p-centre for budget p: the sites in S (q), the worst time and the bound (ms). */
static cc_status pc_solve(pc *P, solver *sv, uint32_t p, uint32_t *S, uint32_t *q_out, uint32_t *z_out, uint32_t *lb_out,
                          bool *proven)
{
    cc_status st;
    const cc__fl *tf = &P->base->fl;
    uint32_t *tmp = cc__malloc_array((size_t)sv->pmax + 1, sizeof(uint32_t));
    if (!tmp) return cc__fail(sv->ctx, CC_ERR_NOMEM, "Out of memory");
    /* trivial bound: every class at best at its fastest candidate (or cap) */
    uint32_t lb = tf->max_cap_nopair;
    for (uint32_t c = 0; c < tf->n_dem; c++) {
        uint32_t b = tf->cap[c];
        for (uint64_t e = tf->dfirst[c]; e < tf->dfirst[c + 1]; e++)
            if (tf->dcost[e] < b) b = tf->dcost[e];
        if (b > lb) lb = b;
    }
    /* a first answer: the greedy for the mean time (it meets the area limits) */
    solver *bs = P->base;
    uint32_t q = 0;
    bs->cons.p = p;
    if ((st = cc__fl_greedy(sv->ctx, &bs->fl, &bs->cons, &bs->ws, S, bs->gain, &q))) goto out;
    uint32_t z0 = pc_worst(tf, S, q, bs->ws.d1);
    /* indices: lo = largest radius known infeasible (-1: none), hi = smallest known feasible */
    long lo = -1, hi = (long)P->n_radii - 1;
    for (size_t i = 0; i < P->n_radii; i++) {
        if (P->radii[i] < lb) lo = (long)i;
        if (P->radii[i] == z0) hi = (long)i;
    }
    pc_trial t;
    /* heuristic binary search for the smallest feasible radius */
    while (hi - lo > 1) {
        if (cc__interrupted(sv->ctx)) {
            free(tmp);
            return cc__fail(sv->ctx, CC_ERR_INTERRUPTED, "Interrupted");
        }
        long mid = lo + (hi - lo) / 2;
        if ((st = pc_try(P, sv, (uint32_t)mid, p, false, false, tmp, &t))) goto out;
        if (t.feasible) {
            hi = mid;
            q = t.q;
            memcpy(S, tmp, q * sizeof(uint32_t));
        } else if (t.infeasible) {
            lo = mid;
        } else {
            lo = mid; /* heuristic failure: treat as infeasible for the search, not for the bound */
        }
    }
    /* bound: prove the radius just below the answer infeasible; failing that, the largest
     * provable one by bisection (a: proven infeasible, b: not proven) */
    long a = -1;
    for (size_t i = 0; i < P->n_radii; i++)
        if (P->radii[i] < lb) a = (long)i;
    while (hi - 1 > a) {
        if ((st = pc_try(P, sv, (uint32_t)(hi - 1), p, false, true, tmp, &t))) goto out;
        if (t.feasible) { /* the proof attempt found a cover at a smaller radius */
            hi--;
            q = t.q;
            memcpy(S, tmp, q * sizeof(uint32_t));
            continue;
        }
        if (t.infeasible) {
            a = hi - 1;
            break;
        }
        long b = hi - 1;
        while (b - a > 1) {
            long mid = a + (b - a) / 2;
            if ((st = pc_try(P, sv, (uint32_t)mid, p, false, true, tmp, &t))) goto out;
            if (t.feasible) {
                hi = mid;
                q = t.q;
                memcpy(S, tmp, q * sizeof(uint32_t));
                b = mid;
            } else if (t.infeasible) {
                a = mid;
            } else {
                b = mid;
            }
        }
        break;
    }
    if (a >= 0 && P->radii[a + 1] > lb) lb = P->radii[a + 1];
    uint32_t z = pc_worst(tf, S, q, P->base->ws.d1);
    if (lb > z) lb = z;
    *q_out = q;
    *z_out = z;
    *lb_out = lb;
    *proven = lb >= z;
    st = CC_OK;
out:
    free(tmp);
    return st;
}

static cc_status solve_pcenter(solver *sv, sol_impl **out)
{
    cc_ctx *ctx = sv->ctx;
    const cc_site_params *pr = sv->pr;
    cc_status st;
    cc__fl *tf = &sv->fl;
    uint32_t nc = pr->curve_to, pm = pr->p > nc ? pr->p : nc;
    if ((st = solver_alloc(sv, pm))) return st;
    /* a second solver for the trial coverage instances */
    solver tr = *sv;
    memset(&tr.fl, 0, sizeof(tr.fl));
    memset(&tr.ws, 0, sizeof(tr.ws));
    memset(&tr.cons, 0, sizeof(tr.cons));
    tr.mu = NULL;
    tr.S = tr.S2 = tr.S3 = NULL;
    tr.gain = NULL;
    tr.swaps = tr.lag_its = 0;
    tr.t_heur = tr.t_bound = tr.t_exact = 0;
    pc P = {.base = sv};
    sol_impl *si = NULL;
    uint32_t *S = NULL;
    double *cobj = NULL, *cb = NULL;
    tr.cons = sv->cons;           /* borrowed arrays; never freed through tr */
    tr.cons.amin = sv->cons.amin;
    tr.cons.amax = sv->cons.amax;
    uint64_t pairs = tf->first[tf->n_cand];
    P.radii = cc__malloc_array(pairs + tf->n_dem + 1, sizeof(uint32_t));
    P.f2 = cc__malloc_array((size_t)tf->n_cand + 1, sizeof(uint64_t));
    P.d2 = cc__malloc_array(pairs ? pairs : 1, sizeof(uint32_t));
    P.w1 = cc__malloc_array(tf->n_dem ? tf->n_dem : 1, sizeof(double));
    P.skip = cc__malloc_array(tf->n_dem ? tf->n_dem : 1, 1);
    S = cc__malloc_array((size_t)pm + 1, sizeof(uint32_t));
    cobj = cc__malloc_array(nc ? nc : 1, sizeof(double));
    cb = cc__malloc_array(nc ? nc : 1, sizeof(double));
    tr.S = cc__malloc_array((size_t)(pm > tf->n_cand ? pm : tf->n_cand) + 1, sizeof(uint32_t));
    tr.S2 = cc__malloc_array((size_t)(pm > tf->n_cand ? pm : tf->n_cand) + 1, sizeof(uint32_t));
    tr.S3 = cc__malloc_array((size_t)(pm > tf->n_cand ? pm : tf->n_cand) + 1, sizeof(uint32_t));
    tr.gain = cc__malloc_array((size_t)(pm > tf->n_cand ? pm : tf->n_cand) + 1, sizeof(double));
    if (!P.radii || !P.f2 || !P.d2 || !P.w1 || !P.skip || !S || !cobj || !cb || !tr.S || !tr.S2 || !tr.S3 || !tr.gain) {
        st = cc__fail(ctx, CC_ERR_NOMEM, "Out of memory for the p-centre search");
        goto out;
    }
    tr.pmax = pm > tf->n_cand ? pm : tf->n_cand;
    for (uint32_t c = 0; c < tf->n_dem; c++) P.w1[c] = 1.0;
    /* people that neither an existing facility nor any candidate reaches within the radius stay
     * at the radius whatever is chosen: they would make every answer "the radius", so the worst
     * time is taken over the others (they are reported as unreachable_weight) */
    if (sv->inst->radius_ms) {
        uint32_t fl_max = 0;
        for (size_t i = 0; i < tf->n_np; i++)
            if (tf->np_cap[i] < sv->inst->radius_ms && tf->np_cap[i] > fl_max) fl_max = tf->np_cap[i];
        tf->max_cap_nopair = fl_max;
    }
    /* candidate radii: every distinct pair time and cap */
    size_t nr = 0;
    for (uint64_t e = 0; e < pairs; e++) P.radii[nr++] = tf->cost[e];
    for (uint32_t c = 0; c < tf->n_dem; c++) P.radii[nr++] = tf->cap[c];
    P.radii[nr++] = tf->max_cap_nopair;
    qsort(P.radii, nr, sizeof(uint32_t), cmp_u32);
    size_t m = 0;
    for (size_t i = 0; i < nr; i++)
        if (!m || P.radii[m - 1] != P.radii[i]) P.radii[m++] = P.radii[i];
    P.n_radii = m;
    double t0 = cc__now();
    uint32_t q = 0, z = 0, lb = 0;
    bool proven = false;
    for (uint32_t k = 1; k <= nc; k++) {
        if (k < sv->cons.min_total) {
            cobj[k - 1] = cb[k - 1] = NAN;
            continue;
        }
        cc__progress(ctx, "Solving the curve", (double)(k - 1) / nc);
        if ((st = pc_solve(&P, &tr, k, S, &q, &z, &lb, &proven))) goto out;
        cobj[k - 1] = z / 1000.0;
        cb[k - 1] = lb / 1000.0;
    }
    if ((st = pc_solve(&P, &tr, pr->p, S, &q, &z, &lb, &proven))) goto out;
    sv->t_heur += cc__now() - t0;
    if (pr->exact && !proven) {
        double t1 = cc__now();
        /* exact decisions at the radii between the bound and the answer, by bisection */
        if ((st = exact_size_check(sv, cc__fl_lp_nonzeros(tf), "covering integer programme"))) goto out;
        long a = -1, b = -1;
        for (size_t i = 0; i < P.n_radii; i++) {
            if (P.radii[i] < lb) a = (long)i;
            if (P.radii[i] <= z) b = (long)i;
        }
        uint32_t *tmp = tr.S3;
        tr.tlim = sv->tlim;
        bool exact_ok = true;
        while (b - a > 1) {
            long mid = a + (b - a) / 2;
            pc_trial t;
            if ((st = pc_instance(&P, P.radii[mid], &tr))) goto out;
            if (tr.fl.w_nopair > 0) {
                a = mid;
                continue;
            }
            cc__fl_ws_free(&tr.ws);
            if ((st = cc__fl_ws_init(ctx, &tr.fl, &tr.cons, tr.pmax, &tr.ws))) goto out;
            tr.cons.p = pr->p;
            cc__lp_out lo;
            if ((st = cc__fl_glpk(ctx, &tr.fl, &tr.cons, true, tr.tlim, NULL, 0, tmp, &lo))) goto out;
            memset(&t, 0, sizeof(t));
            if (lo.solved && lo.value <= 0.5) {
                b = mid;
                q = lo.q;
                memcpy(S, tmp, q * sizeof(uint32_t));
            } else if (lo.solved) {
                a = mid;
            } else {
                exact_ok = false; /* time limit: keep what is proven */
                break;
            }
        }
        z = pc_worst(tf, S, q, sv->ws.d1);
        if (a >= 0 && P.radii[a + 1] > lb) lb = P.radii[a + 1];
        if (lb > z) lb = z;
        proven = exact_ok && lb >= z;
        sv->t_exact += cc__now() - t1;
    }
    /* rank by time saved (the p-median gain) on the timed instance */
    cc__fl_rank(tf, &sv->ws, S, q, sv->gain);
    if ((st = new_solution(ctx, pr, q, nc, &si))) goto out;
    memcpy(si->sites, S, q * sizeof(uint32_t));
    for (uint32_t t = 0; t < q; t++) si->gain[t] = sv->gain[t] / 1000.0;
    memcpy(si->cobj, cobj, nc * sizeof(double));
    memcpy(si->cbound, cb, nc * sizeof(double));
    cc_site_solution *s = &si->pub;
    s->objective = z / 1000.0;
    s->bound = lb / 1000.0;
    s->gap = z > 0 ? (double)(z - lb) / z : 0;
    s->proven_optimal = proven || z == lb;
    s->bound_method = pr->exact ? "mip" : "covering-lp";
    double wsum = 0;
    for (uint32_t i = 0; i < sv->inst->n_demand; i++) wsum += sv->inst->weight[i];
    s->total_weight = wsum;
    cc__fl_eval(tf, si->sites, q, sv->ws.d1);
    double at_r, p90;
    if ((st = percentile90_ms(ctx, tf, sv->ws.d1, sv->inst->radius_ms, &p90, &at_r))) goto out;
    s->p90_s = p90 / 1000.0;
    s->unreachable_weight = at_r;
    s->objective_greedy = NAN;
    *out = si;
    si = NULL;
out:
    sv->swaps += tr.swaps;
    sv->lag_its += tr.lag_its;
    sv->t_bound += tr.t_bound;
    cc__fl_free(&tr.fl);
    cc__fl_ws_free(&tr.ws);
    free(tr.mu);
    free(tr.S);
    free(tr.S2);
    free(tr.S3);
    free(tr.gain);
    free(P.radii);
    free(P.f2);
    free(P.d2);
    free(P.w1);
    free(P.skip);
    free(S);
    free(cobj);
    free(cb);
    cc_site_solution_destroy(si ? &si->pub : NULL);
    return st;
}

/* ---- entry ------------------------------------------------------------------------------------------ */

static cc_status check(cc_ctx *ctx, const cc_site_instance *in, const cc_site_params *pr)
{
    if (!in || !pr) return cc__fail(ctx, CC_ERR_PARAM, "No instance or parameters");
    if ((unsigned)pr->model > CC_SITE_PCENTER) return cc__fail(ctx, CC_ERR_PARAM, "Unknown siting model %d", (int)pr->model);
    if (in->n_candidates == 0) return cc__fail(ctx, CC_ERR_PARAM, "There are no candidate sites");
    if (!in->first || !in->weight || (!in->demand && in->first[in->n_candidates] > 0))
        return cc__fail(ctx, CC_ERR_PARAM, "The instance lacks its coverage sets or weights");
    const bool timed = pr->model == CC_SITE_PMEDIAN || pr->model == CC_SITE_PCENTER;
    if (timed && (!in->time_ms || !in->base_time_ms))
        return cc__fail(ctx, CC_ERR_PARAM, "The %s model needs pair times and base times", cc_site_model_name(pr->model));
    for (uint32_t i = 0; i < in->n_demand; i++)
        if (!(in->weight[i] >= 0) || !isfinite(in->weight[i]))
            return cc__fail(ctx, CC_ERR_PARAM, "Demand point %u has weight %g; weights must be finite and not negative", i, in->weight[i]);
    if (!(in->extra_covered_weight >= 0) || !(in->total_weight >= 0))
        return cc__fail(ctx, CC_ERR_PARAM, "Covered and total weights must not be negative");
    if (pr->model == CC_SITE_LSCP) {
        if (!(pr->target_share > 0 && pr->target_share <= 1))
            return cc__fail(ctx, CC_ERR_PARAM, "The target share must be above 0 and at most 1, got %g", pr->target_share);
    } else if (pr->p == 0) {
        return cc__fail(ctx, CC_ERR_PARAM, "The number of new sites p must be at least 1");
    }
    if (pr->curve_to > in->n_candidates)
        return cc__fail(ctx, CC_ERR_PARAM, "A curve to %u sites needs at least as many candidates (there are %u)", pr->curve_to,
                        in->n_candidates);
    if (timed)
        for (uint32_t i = 0; i < in->n_demand; i++)
            if (in->base_time_ms[i] >= CC_INF_COST)
                return cc__fail(ctx, CC_ERR_PARAM, "Demand point %u has no base time; cap it at the search radius", i);
    return CC_OK;
}

cc_status cc_site_solve(cc_ctx *ctx, const cc_site_instance *inst, const cc_site_params *params, cc_site_solution **out)
{
    cc_status st;
    *out = NULL;
    if ((st = check(ctx, inst, params))) return st;
    double t0 = cc__now();
    solver sv = {.ctx = ctx, .inst = inst, .pr = params};
    sv.tol = params->gap_tolerance > 0 ? params->gap_tolerance : 1e-4;
    sv.lag_iter = params->lagrange_iterations == 0 ? 400 : params->lagrange_iterations < 0 ? 0 : params->lagrange_iterations;
    sv.lp_max = params->lp_max_nonzeros ? params->lp_max_nonzeros : 100000;
    sv.mip_max = params->exact_max_nonzeros ? params->exact_max_nonzeros : 2000000;
    sv.tlim = params->time_limit_s > 0 ? params->time_limit_s : 600;
    sol_impl *si = NULL;
    const bool timed = params->model == CC_SITE_PMEDIAN || params->model == CC_SITE_PCENTER;
    uint32_t p_cons = params->model == CC_SITE_LSCP ? (params->max_sites ? params->max_sites : inst->n_candidates)
                                                    : (params->p > params->curve_to ? params->p : params->curve_to);
    if ((st = cc__cons_init(ctx, inst, p_cons, &sv.cons))) goto out;
    if (params->model != CC_SITE_LSCP && sv.cons.min_total > params->p) {
        st = cc__fail(ctx, CC_ERR_PARAM, "The per-area minima need %u sites, more than p = %u", sv.cons.min_total, params->p);
        goto out;
    }
    cc__info(ctx, "Reducing coverage sets...");
    if (timed)
        st = cc__fl_reduce(ctx, inst->n_candidates, inst->n_demand, inst->first, inst->demand, inst->time_ms, inst->base_time_ms,
                           inst->weight, NULL, inst->base_time_ms, &sv.fl);
    else
        st = cc__fl_reduce(ctx, inst->n_candidates, inst->n_demand, inst->first, inst->demand, NULL, NULL, inst->weight, inst->covered,
                           NULL, &sv.fl);
    if (st) goto out;
    double t_red = cc__now() - t0;
    cc__debug(ctx, "Reduced %llu pairs over %u demand points to %llu pairs over %u classes in %.3f s",
              (unsigned long long)inst->first[inst->n_candidates], inst->n_demand, (unsigned long long)sv.fl.first[sv.fl.n_cand],
              sv.fl.n_dem, t_red);
    cc__info(ctx, "Solving %s...", cc_site_model_name(params->model));
    switch (params->model) {
    case CC_SITE_MCLP:
    case CC_SITE_PMEDIAN: st = solve_mclp_pmedian(&sv, &si); break;
    case CC_SITE_LSCP: st = solve_lscp(&sv, &si); break;
    case CC_SITE_PCENTER: st = solve_pcenter(&sv, &si); break;
    }
    if (st) goto out;
    si->pub.demand_classes = sv.fl.n_dem;
    si->pub.pairs_reduced = sv.fl.first[sv.fl.n_cand];
    si->pub.t_reduce_s = t_red;
    si->pub.t_heuristic_s = sv.t_heur;
    si->pub.t_bound_s = sv.t_bound;
    si->pub.t_exact_s = sv.t_exact;
    si->pub.swaps = sv.swaps;
    si->pub.lagrange_iterations = sv.lag_its;
    si->pub.t_total_s = cc__now() - t0;
    if (!si->pub.bound_method) si->pub.bound_method = "trivial";
    *out = &si->pub;
out:
    solver_free(&sv);
    return st;
}
