/*
 * lagrange.c - Lagrangian lower bound on min F (site_internal.h).
 *
 * Strong formulation: min const + sum_c w_c (cap_c u_c + sum_j cost_jc z_jc)
 *   s.t. u_c + sum_j z_jc = 1 (every class is served, by a site or by its cap),
 *        z_jc <= x_j, sum_j x_j <= p, area limits on x, all variables in {0, 1}.
 * Relaxing the first constraint with multipliers mu_c >= 0 leaves, for fixed mu,
 *   L(mu) = const + sum_c min(mu_c, w_c cap_c) + min over feasible x of sum_j x_j rho_j,
 *   rho_j = sum_c min(0, w_c cost_jc - mu_c),
 * whose x part is solved exactly by taking the most negative rho_j under the area limits
 * (a partition matroid). Every mu >= 0 gives a valid lower bound; the subproblem has the
 * integrality property, so the best mu reaches the LP bound (Geoffrion 1974). Subgradient
 * optimisation with Polyak steps and step halving (Held, Wolfe & Crowder 1974); this is the
 * classic scheme for the p-median (Cornuejols, Fisher & Nemhauser 1977; Beasley 1993) and,
 * with cost 0 and cap 1, for the MCLP (Galvao & ReVelle 1996).
 * Each iteration's x is also a feasible set of sites (a Lagrangian heuristic); the best one is
 * kept when it beats the known solution.
 */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "../core/omp_internal.h"
#include "site_internal.h"

/* A candidate's reduced cost rho (v) and id, most negative first. */
typedef cc__scored rj;

/* The x subproblem: the minima first (most negative rho in each area), then the most negative
 * rest under the area maxima and the budget. Writes the chosen sites, returns their count. */
static uint32_t choose(const cc__cons *c, void *vv, uint32_t n, uint32_t *cnt, uint8_t *pick, uint32_t *X)
{
    rj *v = vv;
    qsort(v, n, sizeof(rj), cc__cmp_scored_asc);
    uint32_t nx = 0;
    if (c->n_areas) memset(cnt, 0, c->n_areas * sizeof(uint32_t));
    for (uint32_t t = 0; t < n; t++) pick[t] = 0;
    if (c->min_total)
        for (uint32_t t = 0; t < n; t++) {
            uint32_t a = c->area ? c->area[v[t].id] : CC_INVALID_ID;
            if (a == CC_INVALID_ID || cnt[a] >= c->amin[a]) continue;
            cnt[a]++;
            pick[t] = 1;
            X[nx++] = v[t].id;
        }
    for (uint32_t t = 0; t < n && nx < c->p; t++) {
        if (pick[t] || !(v[t].v < 0)) continue;
        uint32_t a = c->area ? c->area[v[t].id] : CC_INVALID_ID;
        if (a != CC_INVALID_ID) {
            if (cnt[a] >= c->amax[a]) continue;
            cnt[a]++;
        }
        pick[t] = 1;
        X[nx++] = v[t].id;
    }
    return nx;
}

cc_status cc__lagval_init(cc_ctx *ctx, const cc__fl *fl, const cc__cons *c, cc__lagval *lv)
{
    memset(lv, 0, sizeof(*lv));
    size_t m = fl->n_cand ? fl->n_cand : 1;
    lv->rho = cc__malloc_array(m, sizeof(double));
    lv->v = cc__malloc_array(m, sizeof(rj));
    lv->pick = cc__malloc_array(m, 1);
    lv->X = cc__malloc_array(m, sizeof(uint32_t));
    lv->cnt = cc__calloc_array(c->n_areas ? c->n_areas : 1, sizeof(uint32_t));
    if (!lv->rho || !lv->v || !lv->pick || !lv->X || !lv->cnt) {
        cc__lagval_free(lv);
        return cc__fail(ctx, CC_ERR_NOMEM, "Out of memory for the Lagrangian bound");
    }
    return CC_OK;
}

void cc__lagval_free(cc__lagval *lv)
{
    CC__FREE_ALL(lv->rho, lv->v, lv->pick, lv->X, lv->cnt);
    memset(lv, 0, sizeof(*lv));
}

/* rho_j for every candidate, in parallel (each by one thread: deterministic) */
static void compute_rho(const cc__fl *fl, const double *mu, double *rho, int threads)
{
    const uint32_t m = fl->n_cand;
    (void)threads;
#ifdef _OPENMP
#pragma omp parallel for schedule(dynamic, 64) num_threads(threads) if (fl->first[m] > 200000)
#endif
    for (uint32_t j = 0; j < m; j++) {
        double r = 0;
        if (!fl->cost) {
            for (uint64_t e = fl->first[j]; e < fl->first[j + 1]; e++) r -= mu[fl->dem[e]];
        } else {
            for (uint64_t e = fl->first[j]; e < fl->first[j + 1]; e++) {
                uint32_t k = fl->dem[e];
                double d = fl->w[k] * (double)fl->cost[e] - mu[k];
                if (d < 0) r += d;
            }
        }
        rho[j] = r;
    }
}

double cc__lagval_eval(const cc__fl *fl, const cc__cons *c, const double *mu, int threads, cc__lagval *lv)
{
    compute_rho(fl, mu, lv->rho, threads);
    for (uint32_t j = 0; j < fl->n_cand; j++) ((rj *)lv->v)[j] = (rj){lv->rho[j], j};
    lv->nx = choose(c, lv->v, fl->n_cand, lv->cnt, lv->pick, lv->X);
    double L = fl->obj_const;
    for (uint32_t k = 0; k < fl->n_dem; k++) {
        double hi = fl->w[k] * (double)(fl->cap ? fl->cap[k] : 1);
        L += mu[k] < hi ? mu[k] : hi;
    }
    for (uint32_t t = 0; t < lv->nx; t++) L += lv->rho[lv->X[t]];
    return L;
}

cc_status cc__fl_lagrange(cc_ctx *ctx, const cc__fl *fl, const cc__cons *c, double ub, int max_iter, double tol_abs,
                          double *mu, bool warm, uint32_t *best_S, uint32_t *best_q, cc__lag_out *out)
{
    const uint32_t n = fl->n_dem, m = fl->n_cand;
    const int threads = cc_ctx_get_threads(ctx);
    cc_status st = CC_OK;
    double *rho = cc__malloc_array(m, sizeof(double));
    rj *v = cc__malloc_array(m, sizeof(rj));
    uint8_t *pick = cc__malloc_array(m, 1);
    uint32_t *X = cc__malloc_array(m, sizeof(uint32_t));
    uint32_t *cnt = cc__calloc_array(c->n_areas ? c->n_areas : 1, sizeof(uint32_t));
    double *g = cc__malloc_array(n ? n : 1, sizeof(double));
    uint32_t *d1 = cc__malloc_array(n ? n : 1, sizeof(uint32_t));
    memset(out, 0, sizeof(*out));
    out->lb = -INFINITY;
    out->best_found = INFINITY;
    if (!rho || !v || !pick || !X || !cnt || !g || !d1) {
        st = cc__fail(ctx, CC_ERR_NOMEM, "Out of memory for the Lagrangian bound");
        goto out;
    }
    if (!warm)
        for (uint32_t k = 0; k < n; k++) mu[k] = fl->w[k] * (double)(fl->cap ? fl->cap[k] : 1);
    double theta = 2.0, best = -INFINITY, ubk = ub;
    int since = 0, it;
    for (it = 0; it < max_iter; it++) {
        if (cc__interrupted(ctx)) break;
        compute_rho(fl, mu, rho, threads);
        for (uint32_t j = 0; j < m; j++) v[j] = (rj){rho[j], j};
        uint32_t nx = choose(c, v, m, cnt, pick, X);
        double L = fl->obj_const;
        for (uint32_t k = 0; k < n; k++) L += mu[k];
        for (uint32_t t = 0; t < nx; t++) L += rho[X[t]];
        if (!(best > -INFINITY) || L > best + 1e-12 * fabs(best)) {
            best = L;
            since = 0;
        } else {
            since++;
        }
        /* the relaxation's sites as a solution */
        if (it % 4 == 0) {
            double f = cc__fl_eval(fl, X, nx, d1);
            if (f < out->best_found) {
                out->best_found = f;
                if (best_S && f < ub) {
                    memcpy(best_S, X, nx * sizeof(uint32_t));
                    *best_q = nx;
                }
            }
            if (f < ubk) ubk = f;
        }
        if (ubk - best <= tol_abs) break;
        /* projected subgradient of the relaxed constraints */
        for (uint32_t k = 0; k < n; k++) g[k] = 1.0;
        for (uint32_t t = 0; t < nx; t++) {
            uint32_t j = X[t];
            for (uint64_t e = fl->first[j]; e < fl->first[j + 1]; e++) {
                uint32_t k = fl->dem[e];
                double d = fl->w[k] * (double)(fl->cost ? fl->cost[e] : 0) - mu[k];
                if (d < 0) g[k] -= 1.0;
            }
        }
        double norm = 0;
        for (uint32_t k = 0; k < n; k++) {
            double hi = fl->w[k] * (double)(fl->cap ? fl->cap[k] : 1);
            if ((mu[k] <= 0 && g[k] < 0) || (mu[k] >= hi && g[k] > 0)) g[k] = 0;
            norm += g[k] * g[k];
        }
        if (norm == 0) break; /* mu is optimal for the relaxation */
        double step = theta * (ubk - L) / norm;
        if (!(step > 0)) step = theta * 1e-6 * (fabs(ubk) + 1.0) / norm;
        for (uint32_t k = 0; k < n; k++) {
            double hi = fl->w[k] * (double)(fl->cap ? fl->cap[k] : 1);
            double x = mu[k] + step * g[k];
            mu[k] = x < 0 ? 0 : x > hi ? hi : x;
        }
        if (since >= 25) {
            theta *= 0.5;
            since = 0;
            if (theta < 2e-3) break;
        }
    }
    out->lb = best;
    out->iterations = it;
out:
    CC__FREE_ALL(rho, v, pick, X, cnt, g, d1);
    return st;
}
