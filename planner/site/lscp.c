/*
 * lscp.c - LSCP: greedy until the target, redundancy elimination, then repeated attempts to do
 * with one site fewer (interchange at budget k - 1); the lower bound on the number of sites is
 * the smallest budget whose MCLP upper bound still reaches the target.
 */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "site_internal.h"

/* Lower bound on F with budget q (online bound from a greedy/interchange set of that budget,
 * then the Lagrangian); also leaves in S2/q2 a good set of budget q with its objective. */
static cc_status lb_at(cc__solver *sv, uint32_t q, double f_target, double *lb_out, uint32_t *q2, double *f2, const char **method)
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
        if (cc__fl_vns(sv->ctx, fl, &sv->cons, &sv->ws, sv->S2, q2, it, f_target, false) > 0) *f2 = cc__fl_eval(fl, sv->S2, *q2, sv->ws.d1);
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
static uint32_t complete_minima(cc__solver *sv, uint32_t *S, uint32_t q)
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
static uint32_t drop_redundant(cc__solver *sv, uint32_t *S, uint32_t q, double f_target)
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

/* The state of an LSCP solve: the target and the cover found so far. */
typedef struct lscp {
    uint32_t budget;
    double covered_before, total;
    double f0;       /* F of the empty set */
    double need;     /* weight to gain */
    double f_target; /* F(S) <= f_target reaches the target */
    uint32_t n;      /* sites chosen by the greedy within the budget */
    uint32_t q;      /* the cover in sv->S */
    double F, LB_sites;
    bool feasible, proven;
    const char *method;
    double best_share, best_share_bound;
} lscp;

/* The most any set within the budget and the limits can cover, as a lower bound on F: online
 * bounds from the greedy set and the empty set, then the Lagrangian when the target looks out of
 * reach. */
static cc_status lscp_reach_bound(cc__solver *sv, const lscp *L, double f_all, double *lb_all)
{
    cc__fl *fl = &sv->fl;
    cc_status st;
    *lb_all = cc__fl_online_bound(fl, &sv->cons, &sv->ws, sv->S, L->n);
    double lb0 = cc__fl_online_bound(fl, &sv->cons, &sv->ws, sv->S, 0);
    if (lb0 > *lb_all) *lb_all = lb0;
    if (!(f_all <= L->f_target) && *lb_all <= L->f_target && sv->lag_iter > 0) {
        cc__lag_out lo;
        uint32_t q3 = 0;
        if ((st = cc__fl_lagrange(sv->ctx, fl, &sv->cons, f_all, sv->lag_iter, 0.0, sv->mu, false, NULL, &q3, &lo))) return st;
        sv->lag_its += lo.iterations;
        if (lo.lb > *lb_all) *lb_all = lo.lb;
    }
    return CC_OK;
}

/* Greedy: the shortest prefix that reaches the target, completed to the area minima. When the
 * whole greedy set within the budget does not reach it, the target is infeasible (proven when the
 * reach bound says no set can). */
static cc_status lscp_greedy(cc__solver *sv, lscp *L)
{
    cc__fl *fl = &sv->fl;
    cc_status st;
    if ((st = cc__fl_greedy(sv->ctx, fl, &sv->cons, &sv->ws, sv->S, sv->gain, &L->n))) return st;
    double f = L->f0;
    for (L->q = 0; L->q < L->n && !(f <= L->f_target); L->q++) f -= sv->gain[L->q];
    L->q = complete_minima(sv, sv->S, L->q);
    L->F = cc__fl_eval(fl, sv->S, L->q, sv->ws.d1);
    double f_all = cc__fl_eval(fl, sv->S, L->n, sv->ws.d1), lb_all;
    L->best_share = L->total > 0 ? (L->covered_before + L->f0 - f_all) / L->total : 0;
    if ((st = lscp_reach_bound(sv, L, f_all, &lb_all))) return st;
    L->best_share_bound = L->total > 0 ? (L->covered_before + L->f0 - lb_all) / L->total : 0;
    if (!(L->F <= L->f_target)) {
        /* the greedy cannot reach the target within the budget and the area limits */
        L->feasible = false;
        if (lb_all > L->f_target) L->proven = true; /* no set can: the bound proves it */
        L->q = L->n;
        L->F = f_all;
    }
    return CC_OK;
}

/* Take the cover of q2 sites left in S2 by lb_at: drop what it does not need. */
static void lscp_take(cc__solver *sv, lscp *L, uint32_t q2)
{
    memcpy(sv->S, sv->S2, q2 * sizeof(uint32_t));
    L->q = drop_redundant(sv, sv->S, q2, L->f_target);
    L->F = cc__fl_eval(&sv->fl, sv->S, L->q, sv->ws.d1);
}

/* Bisection for the largest budget proven too small, between lo (proven, or below the sum of the
 * minima) and q - 1; smaller covers met on the way are taken. Returns the bound on the sites. */
static cc_status lscp_bisect(cc__solver *sv, lscp *L, uint32_t *lb_q)
{
    cc_status st;
    uint32_t lo = sv->cons.min_total ? sv->cons.min_total - 1 : 0, hi = L->q - 1;
    L->method = "trivial";
    while (hi > lo + 1) {
        uint32_t mid = lo + (hi - lo) / 2;
        double lbm, fm;
        uint32_t qm;
        const char *m2;
        if ((st = lb_at(sv, mid, L->f_target, &lbm, &qm, &fm, &m2))) return st;
        if (fm <= L->f_target) { /* even a smaller cover: take it */
            lscp_take(sv, L, qm);
            hi = L->q > 0 ? L->q - 1 : 0;
            if (hi <= lo) break;
            continue;
        }
        if (lbm > L->f_target) {
            lo = mid;
            L->method = m2;
        } else {
            hi = mid;
        }
    }
    *lb_q = lo + 1 > L->q ? L->q : lo + 1;
    return CC_OK;
}

/* Try to do with one site fewer while the bound allows it; sets the lower bound on the number of
 * sites. */
static cc_status lscp_shrink(cc__solver *sv, lscp *L)
{
    cc_ctx *ctx = sv->ctx;
    cc_status st;
    uint32_t lb_q = sv->cons.min_total;
    while (L->q > lb_q) {
        if (cc__interrupted(ctx)) return cc__fail(ctx, CC_ERR_INTERRUPTED, "Interrupted");
        double lb, f2;
        uint32_t q2;
        const char *m1;
        if ((st = lb_at(sv, L->q - 1, L->f_target, &lb, &q2, &f2, &m1))) return st;
        if (f2 <= L->f_target) { /* a smaller cover */
            lscp_take(sv, L, q2);
            continue;
        }
        if (lb > L->f_target) {
            lb_q = L->q; /* q - 1 sites cannot reach the target: q is optimal */
            L->method = m1;
            break;
        }
        /* not proven: find the largest budget proven too small, by bisection; budgets below the
         * sum of the minima are impossible, budget 0 reaches nothing */
        if ((st = lscp_bisect(sv, L, &lb_q))) return st;
        break;
    }
    L->LB_sites = lb_q;
    if (L->LB_sites < 1 && L->q >= 1 && L->f0 > L->f_target) L->LB_sites = 1;
    return CC_OK;
}

/* LP bound on the number of sites when it can still help. */
static cc_status lscp_lp_bound(cc__solver *sv, lscp *L, size_t nnz)
{
    cc_status st;
    if (!(L->LB_sites < L->q && nnz <= sv->lp_max && !sv->pr->exact)) return CC_OK;
    cc__lp_out lo;
    sv->cons.p = L->budget;
    if ((st = cc__fl_glpk_lscp(sv->ctx, &sv->fl, &sv->cons, L->need, false, 60.0, NULL, 0, NULL, &lo))) return st;
    if (lo.solved) {
        double b = ceil(lo.bound - 1e-6);
        if (b > L->LB_sites) {
            L->LB_sites = b;
            L->method = "lp";
        }
    }
    return CC_OK;
}

/* The set-covering integer programme through GLPK, started from the cover. */
static cc_status lscp_exact(cc__solver *sv, lscp *L, size_t nnz)
{
    cc_status st;
    if ((st = cc__exact_size_check(sv, nnz, "set-covering integer programme"))) return st;
    double t2 = cc__now();
    cc__lp_out lo;
    sv->cons.p = L->budget;
    if ((st = cc__fl_glpk_lscp(sv->ctx, &sv->fl, &sv->cons, L->need, true, sv->tlim, sv->S, L->q, sv->S3, &lo))) return st;
    if (lo.q && lo.q < L->q) {
        double F3 = cc__fl_eval(&sv->fl, sv->S3, lo.q, sv->ws.d1);
        if (F3 <= L->f_target) {
            L->q = lo.q;
            memcpy(sv->S, sv->S3, L->q * sizeof(uint32_t));
            L->F = F3;
        }
    }
    if (lo.solved) {
        L->LB_sites = L->q;
        L->method = "mip";
    } else if (ceil(lo.bound - 1e-6) > L->LB_sites) {
        L->LB_sites = ceil(lo.bound - 1e-6);
        L->method = "mip";
    }
    sv->t_exact += cc__now() - t2;
    return CC_OK;
}

/* Make the cover as small as can be shown and bound the number of sites (shrink, LP, exact). */
static cc_status lscp_improve(cc__solver *sv, lscp *L)
{
    cc__fl *fl = &sv->fl;
    cc_status st;
    L->q = drop_redundant(sv, sv->S, L->q, L->f_target);
    double t1 = cc__now();
    if ((st = lscp_shrink(sv, L))) return st;
    size_t nnz = (size_t)fl->first[fl->n_cand] + 2 * (size_t)fl->n_dem;
    if ((st = lscp_lp_bound(sv, L, nnz))) return st;
    sv->t_bound += cc__now() - t1;
    if (sv->pr->exact && (st = lscp_exact(sv, L, nnz))) return st;
    if (L->LB_sites > L->q) L->LB_sites = L->q;
    L->proven = L->LB_sites >= L->q;
    return CC_OK;
}

/* The solution of an LSCP solve: the sites ranked, the share covered after each. */
static cc_status lscp_result(cc__solver *sv, const lscp *L, cc__sol **out)
{
    const uint32_t q = L->q;
    cc__sol *si;
    cc_status st;
    cc__fl_rank(&sv->fl, &sv->ws, sv->S, q, sv->gain);
    if ((st = cc__sol_new(sv->ctx, sv->pr, q, q, &si))) return st;
    memcpy(si->sites, sv->S, q * sizeof(uint32_t));
    memcpy(si->gain, sv->gain, q * sizeof(double));
    double cov = L->covered_before;
    for (uint32_t k = 0; k < q; k++) {
        cov += sv->gain[k];
        si->cobj[k] = L->total > 0 ? cov / L->total : 0;
        si->cbound[k] = NAN;
    }
    cc_site_solution *s = &si->pub;
    s->total_weight = L->total;
    s->covered_before = L->covered_before;
    s->objective = q;
    s->bound = L->feasible ? L->LB_sites : NAN;
    s->gap = L->feasible && q > 0 ? (q - L->LB_sites) / (double)q : 0;
    s->proven_optimal = L->proven;
    s->bound_method = L->method;
    s->feasible = L->feasible;
    s->covered_share = L->total > 0 ? (L->covered_before + L->f0 - L->F) / L->total : 0;
    s->best_share = L->feasible ? s->covered_share : L->best_share;
    s->best_share_bound = L->best_share_bound > 1 ? 1 : L->best_share_bound;
    s->unreachable_weight = sv->fl.w_nopair;
    s->objective_greedy = L->n;
    *out = si;
    return CC_OK;
}

/* LSCP: the fewest new sites (within max_sites and the area limits) that bring the covered share
 * to the target. */
cc_status cc__solve_lscp(cc__solver *sv, cc__sol **out)
{
    const cc_site_params *pr = sv->pr;
    cc__fl *fl = &sv->fl;
    cc_status st;
    lscp L = {.feasible = true, .method = "trivial"};
    L.budget = pr->max_sites ? pr->max_sites : fl->n_cand;
    if (L.budget > fl->n_cand) L.budget = fl->n_cand;
    if (L.budget < sv->cons.min_total) L.budget = sv->cons.min_total;
    if ((st = cc__solver_alloc(sv, L.budget))) return st;
    cc__site_weights(sv->inst, true, &L.covered_before, &L.total);
    L.f0 = fl->obj_const + fl->w_total;
    L.need = pr->target_share * L.total - L.covered_before;
    double eps = 1e-9 * (L.total + 1.0);
    L.f_target = L.f0 - L.need + eps;
    L.F = L.f0;
    sv->cons.p = L.budget;
    double t0 = cc__now();
    if ((st = lscp_greedy(sv, &L))) return st;
    sv->t_heur += cc__now() - t0;
    if (L.feasible && (st = lscp_improve(sv, &L))) return st;
    return lscp_result(sv, &L, out);
}
