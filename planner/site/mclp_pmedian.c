/*
 * mclp_pmedian.c - MCLP (population covered within the radius) and p-median (mean time), one
 * code path: both are the budget pipeline of budget.c on the reduced instance, the curve
 * p = 1..curve_to first (warm starts carry from p to p + 1), then the answer for p.
 */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "site_internal.h"

/* What MCLP and p-median report: population covered (MCLP) or mean time in seconds (p-median). */
typedef struct mp_scale {
    bool cover;
    double covered_before, total;
    double f0;    /* F of the empty set */
    double w_all; /* p-median: population in the mean */
} mp_scale;

/* Objective value F as reported. */
static double mp_value(const mp_scale *m, double F)
{
    return m->cover ? m->covered_before + m->f0 - F : (m->w_all > 0 ? F / m->w_all / 1000.0 : 0);
}

/* The answer for p kept from the curve (when it is on it and no exact solve is asked). */
typedef struct mp_kept {
    cc__bres r;
    uint32_t *S;
    double *gain;
} mp_kept;

/* The curve p = 1..curve_to (warm starts carry from p to p + 1), keeping the answer for p in *kp. */
static cc_status mp_curve(cc__solver *sv, cc__gap_fn gap, const mp_scale *m, double *cobj, double *cb, mp_kept *kp)
{
    cc_ctx *ctx = sv->ctx;
    const cc_site_params *pr = sv->pr;
    const uint32_t nc = pr->curve_to;
    cc_status st;
    cc__bres r;
    for (uint32_t k = 1; k <= nc; k++) {
        if (cc__interrupted(ctx)) return cc__fail(ctx, CC_ERR_INTERRUPTED, "Interrupted");
        if (k < sv->cons.min_total) {
            cobj[k - 1] = cb[k - 1] = NAN;
            continue;
        }
        bool keep = k == pr->p && !pr->exact;
        cc__progress(ctx, "Solving the curve", (double)(k - 1) / nc);
        if ((st = cc__solve_budget(sv, k, gap, false, keep, &r))) return st;
        cobj[k - 1] = mp_value(m, r.F);
        cb[k - 1] = mp_value(m, r.LB);
        if (keep) {
            kp->S = cc__malloc_array(r.q ? r.q : 1, sizeof(uint32_t));
            kp->gain = cc__malloc_array(r.q ? r.q : 1, sizeof(double));
            if (!kp->S || !kp->gain) return cc__fail(ctx, CC_ERR_NOMEM, "Out of memory");
            memcpy(kp->S, sv->S, r.q * sizeof(uint32_t));
            memcpy(kp->gain, sv->gain, r.q * sizeof(double));
            kp->r = r;
        }
    }
    cc__progress(ctx, "Solving the curve", 1.0);
    return CC_OK;
}

/* Fill the solution of budget p from r (sites and gains in sv->S, sv->gain). */
static cc_status mp_result(cc__solver *sv, cc__gap_fn gap, const mp_scale *m, const cc__bres *r, cc__sol *si)
{
    cc__fl *fl = &sv->fl;
    cc_site_solution *s = &si->pub;
    cc_status st;
    memcpy(si->sites, sv->S, r->q * sizeof(uint32_t));
    s->total_weight = m->total;
    s->proven_optimal = r->proven;
    s->bound_method = r->method;
    s->objective = mp_value(m, r->F);
    s->bound = mp_value(m, r->LB);
    s->objective_greedy = mp_value(m, r->fg);
    if (m->cover) {
        for (uint32_t t = 0; t < r->q; t++) si->gain[t] = sv->gain[t];
        s->covered_before = m->covered_before;
        s->covered_share = m->total > 0 ? s->objective / m->total : 0;
        s->unreachable_weight = fl->w_nopair;
    } else {
        for (uint32_t t = 0; t < r->q; t++) si->gain[t] = sv->gain[t] / 1000.0;
        cc__fl_eval(fl, si->sites, r->q, sv->ws.d1);
        double at_r, p90;
        if ((st = cc__percentile90_ms(sv->ctx, fl, sv->ws.d1, sv->inst->radius_ms, &p90, &at_r))) return st;
        s->p90_s = p90 / 1000.0;
        s->unreachable_weight = at_r;
    }
    s->gap = cc__gap_of(gap, sv, r->F, r->LB);
    return CC_OK;
}

/* MCLP (population covered within the radius) and p-median (mean time): one budget pipeline, the
 * curve first, then the answer for p. */
cc_status cc__solve_mclp_pmedian(cc__solver *sv, cc__sol **out)
{
    cc_ctx *ctx = sv->ctx;
    const cc_site_params *pr = sv->pr;
    cc__fl *fl = &sv->fl;
    cc_status st;
    mp_scale m = {.cover = pr->model == CC_SITE_MCLP};
    cc__gap_fn gap = m.cover ? cc__gap_den_mclp : cc__gap_den_rel;
    uint32_t nc = pr->curve_to;
    uint32_t pm = pr->p > nc ? pr->p : nc;
    if ((st = cc__solver_alloc(sv, pm))) return st;
    cc__sol *si = NULL;
    cc__site_weights(sv->inst, m.cover, &m.covered_before, &m.total);
    m.w_all = fl->w_total + fl->w_nopair;
    m.f0 = fl->obj_const + fl->w_total;
    double *cobj = cc__malloc_array(nc ? nc : 1, sizeof(double)), *cb = cc__malloc_array(nc ? nc : 1, sizeof(double));
    if (!cobj || !cb) {
        free(cobj);
        free(cb);
        return cc__fail(ctx, CC_ERR_NOMEM, "Out of memory");
    }
    cc__bres r;
    mp_kept kp = {0};
    if ((st = mp_curve(sv, gap, &m, cobj, cb, &kp))) goto out;
    if (kp.S) {
        r = kp.r;
        memcpy(sv->S, kp.S, r.q * sizeof(uint32_t));
        memcpy(sv->gain, kp.gain, r.q * sizeof(double));
    } else if ((st = cc__solve_budget(sv, pr->p, gap, pr->exact, true, &r))) {
        goto out;
    }
    if ((st = cc__sol_new(ctx, pr, r.q, nc, &si))) goto out;
    memcpy(si->cobj, cobj, nc * sizeof(double));
    memcpy(si->cbound, cb, nc * sizeof(double));
    if ((st = mp_result(sv, gap, &m, &r, si))) goto out;
    *out = si;
    si = NULL;
out:
    CC__FREE_ALL(cobj, cb, kp.S, kp.gain);
    cc_site_solution_destroy(si ? &si->pub : NULL);
    return st;
}
