/*
 * budget.c - the budget pipeline shared by MCLP, p-median and the p-centre trials: lazy greedy,
 * then fast interchange; bound = the best of the submodular online bound (any set), the LP bound
 * by column generation (coverage instances), the Lagrangian bound (subgradient) and, on
 * instances small enough, the LP relaxation; variable neighbourhood search while the gap stays
 * open; the exact integer programme through GLPK on request.
 */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "site_internal.h"

/* Greedy, online bounds at prefixes of its sequence (Leskovec et al. 2007), interchange, and the
 * online bound of the result: the heuristic answer of a budget solve in r. *t1 is when the bound
 * phase that follows started (timing as before the split). */
static cc_status budget_heuristic(cc__solver *sv, cc__bres *r, double *t1)
{
    cc_ctx *ctx = sv->ctx;
    cc__fl *fl = &sv->fl;
    cc_status st;
    double t0 = cc__now();
    uint32_t q;
    if ((st = cc__fl_greedy(ctx, fl, &sv->cons, &sv->ws, sv->S, sv->gain, &q))) return st;
    double fg = cc__fl_eval(fl, sv->S, q, sv->ws.d1);
    sv->f_greedy = fg;
    sv->t_heur += cc__now() - t0;
    double tb = cc__now();
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
    sv->t_bound += cc__now() - tb;
    tb = cc__now();
    sv->swaps += cc__fl_interchange(ctx, fl, &sv->cons, &sv->ws, sv->S, &q);
    double F = cc__fl_eval(fl, sv->S, q, sv->ws.d1);
    sv->t_heur += cc__now() - tb;
    *t1 = cc__now();
    double b = cc__fl_online_bound(fl, &sv->cons, &sv->ws, sv->S, q);
    if (b > lb) {
        lb = b;
        method = "greedy-submodular";
    }
    *r = (cc__bres){.q = q, .F = F, .LB = lb, .fg = fg, .method = method};
    return CC_OK;
}

/* Coverage instances: the LP bound by column generation, while the gap is open. *lp_done when it
 * converged (then no other relaxation can do better). */
static cc_status budget_colgen(cc__solver *sv, cc__gap_fn gap, cc__bres *r, bool *lp_done)
{
    cc__fl *fl = &sv->fl;
    cc_status st;
    *lp_done = false;
    if (!(cc__gap_of(gap, sv, r->F, r->LB) > sv->tol && !fl->cost && !fl->cap && sv->lag_iter > 0)) return CC_OK;
    cc__cg_out co;
    if ((st = cc__fl_lp_colgen(sv->ctx, fl, &sv->cons, sv->S, r->q, r->F, sv->tol * gap(sv, r->F), sv->mu, sv->rg, &co))) return st;
    sv->mu_warm = true;
    sv->cg_rounds += co.rounds;
    if (co.lb > r->LB) {
        r->LB = co.lb;
        r->method = co.converged ? "lp" : "lagrangian";
    }
    *lp_done = co.converged;
    return CC_OK;
}

/* The Lagrangian bound (subgradient) while the gap is open; a better set met on the way replaces S
 * once the interchange has polished it. */
static cc_status budget_lagrange(cc__solver *sv, cc__gap_fn gap, cc__bres *r)
{
    cc_ctx *ctx = sv->ctx;
    cc__fl *fl = &sv->fl;
    cc_status st;
    if (!(cc__gap_of(gap, sv, r->F, r->LB) > sv->tol && sv->lag_iter > 0)) return CC_OK;
    cc__lag_out lo;
    uint32_t q2 = 0;
    double abs_tol = sv->tol * gap(sv, r->F);
    if ((st = cc__fl_lagrange(ctx, fl, &sv->cons, r->F, sv->lag_iter, abs_tol, sv->mu, sv->mu_warm, sv->S2, &q2, &lo))) return st;
    sv->mu_warm = true;
    sv->lag_its += lo.iterations;
    if (lo.lb > r->LB) {
        r->LB = lo.lb;
        r->method = "lagrangian";
    }
    if (q2 && lo.best_found < r->F) {
        double th = cc__now();
        sv->swaps += cc__fl_interchange(ctx, fl, &sv->cons, &sv->ws, sv->S2, &q2);
        double F2 = cc__fl_eval(fl, sv->S2, q2, sv->ws.d1);
        if (F2 < r->F) {
            r->F = F2;
            r->q = q2;
            memcpy(sv->S, sv->S2, r->q * sizeof(uint32_t));
        }
        sv->t_heur += cc__now() - th;
    }
    return CC_OK;
}

/* The LP relaxation through GLPK while the gap is open, on instances with at most nnz_max
 * non-zeros. */
static cc_status budget_lp(cc__solver *sv, cc__gap_fn gap, size_t nnz, size_t nnz_max, cc__bres *r)
{
    cc_status st;
    if (!(cc__gap_of(gap, sv, r->F, r->LB) > sv->tol && nnz <= nnz_max)) return CC_OK;
    cc__lp_out lo;
    if ((st = cc__fl_glpk(sv->ctx, &sv->fl, &sv->cons, false, 60.0, NULL, 0, NULL, &lo))) return st;
    if (lo.solved && lo.bound > r->LB) {
        r->LB = lo.bound;
        r->method = "lp";
    }
    return CC_OK;
}

/* A gap still open: diversify (variable neighbourhood search). Below ten times the tolerance the
 * gap is mostly the relaxation's own, which no search closes. */
static void budget_vns(cc__solver *sv, cc__gap_fn gap, cc__bres *r)
{
    cc__fl *fl = &sv->fl;
    if (!(cc__gap_of(gap, sv, r->F, r->LB) > 10 * sv->tol && r->q > 0)) return;
    double t1 = cc__now();
    /* a budget of work, not of time (results must not depend on the machine): about 2e7 pair
     * visits, 1e8 for the p-median, whose large-p instances need the deeper search */
    bool deep = sv->pr->model == CC_SITE_PMEDIAN;
    double pairs = (double)fl->first[fl->n_cand] + fl->n_cand + 1.0;
    int it = deep ? (int)fmin(1000.0, fmax(10.0, 1e8 / pairs)) : (int)fmin(200.0, fmax(10.0, 2e7 / pairs));
    double stop = r->LB + sv->tol * gap(sv, r->F);
    if (cc__fl_vns(sv->ctx, fl, &sv->cons, &sv->ws, sv->S, &r->q, it, stop, deep) > 0) r->F = cc__fl_eval(fl, sv->S, r->q, sv->ws.d1);
    sv->t_heur += cc__now() - t1;
}

/* The integer programme through GLPK, started from S; a proven optimum makes the bound the
 * objective, a time limit keeps GLPK's best bound. */
static cc_status budget_exact(cc__solver *sv, size_t nnz, cc__bres *r)
{
    cc__fl *fl = &sv->fl;
    cc_status st;
    if ((st = cc__exact_size_check(sv, nnz, "integer programme"))) return st;
    double t1 = cc__now();
    cc__lp_out lo;
    if ((st = cc__fl_glpk(sv->ctx, fl, &sv->cons, true, sv->tlim, sv->S, r->q, sv->S3, &lo))) return st;
    if (lo.q || lo.solved) {
        double F3 = cc__fl_eval(fl, sv->S3, lo.q, sv->ws.d1);
        if (F3 < r->F - 1e-9 * (fabs(r->F) + 1.0)) {
            r->F = F3;
            r->q = lo.q;
            memcpy(sv->S, sv->S3, r->q * sizeof(uint32_t));
        }
    }
    if (lo.solved) {
        /* proven optimal: the bound is the objective, up to GLPK's tolerances */
        r->proven = true;
        if (r->F > r->LB) r->LB = r->F;
        r->method = "mip";
    } else if (lo.bound > r->LB) {
        r->LB = lo.bound;
        r->method = "mip";
    }
    r->time_limit = lo.time_limit;
    sv->t_exact += cc__now() - t1;
    return CC_OK;
}

/* The budget pipeline shared by MCLP, p-median and the p-centre trials: heuristic answer, bounds
 * (column generation, Lagrangian, LP), search while the gap is open, exact on request; result
 * sites in S. */
cc_status cc__solve_budget(cc__solver *sv, uint32_t p, cc__gap_fn gap, bool exact, bool rank, cc__bres *r)
{
    cc__fl *fl = &sv->fl;
    cc_status st;
    bool lp_done = false;
    double t1;
    memset(r, 0, sizeof(*r));
    sv->cons.p = p;
    double t0 = cc__now();
    if ((st = budget_heuristic(sv, r, &t1))) return st;
    if ((st = budget_colgen(sv, gap, r, &lp_done))) return st;
    if (!lp_done && (st = budget_lagrange(sv, gap, r))) return st;
    size_t nnz = cc__fl_lp_nonzeros(fl);
    /* GLPK's simplex is slow on the degenerate strong p-median LP: a tenth of the size there */
    size_t lp_max = fl->cost ? sv->lp_max / 10 : sv->lp_max;
    if (!exact && !lp_done && (st = budget_lp(sv, gap, nnz, lp_max, r))) return st;
    sv->t_bound += cc__now() - t1;
    budget_vns(sv, gap, r);
    if (exact && (st = budget_exact(sv, nnz, r))) return st;
    if (r->LB > r->F) r->LB = r->F;
    if (cc__gap_of(gap, sv, r->F, r->LB) == 0) r->proven = true;
    cc__debug(sv->ctx, "p=%u: greedy %.6g, final %.6g, bound %.6g (%s), gap %.3g, %.3f s", p, r->fg, r->F, r->LB, r->method,
              cc__gap_of(gap, sv, r->F, r->LB), cc__now() - t0);
    if (rank) cc__fl_rank(fl, &sv->ws, sv->S, r->q, sv->gain);
    return CC_OK;
}
