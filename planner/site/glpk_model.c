/*
 * glpk_model.c - the LP relaxation and the integer programme of the reduced instance, through
 * GLPK's C API (glpk.h; Makhorin, GNU Linear Programming Kit).
 *
 * Coverage instances (cost 0, cap 1), MCLP of Church & ReVelle (1974) in its covering form:
 *   min const + sum_c w_c u_c   s.t.  u_c + sum_{j covers c} x_j >= 1,  sum_j x_j <= p,
 *   amin_a <= sum_{j in a} x_j <= amax_a,  x binary, u in [0, 1].
 * Timed instances, the strong p-median formulation (ReVelle & Swain 1970):
 *   min const + sum_c w_c (cap_c u_c + sum_j cost_jc z_jc)  s.t.  u_c + sum_j z_jc = 1,
 *   z_jc <= x_j, sum_j x_j <= p, area rows, x binary, u and z in [0, 1].
 * LSCP (Toregas et al. 1971) with a covered-weight target:
 *   min sum_j x_j  s.t.  y_c <= sum_{j covers c} x_j,  sum_c w_c y_c >= need,  area rows.
 *
 * GLPK is only called from the calling thread; its terminal output is switched off through
 * the message level of every call. LP values are accepted as bounds only when GLPK reports an
 * optimal basis, and are loosened by a relative 1e-7 for its feasibility tolerances.
 */
#include <glpk.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "site_internal.h"

size_t cc__fl_lp_nonzeros(const cc__fl *fl)
{
    size_t pairs = (size_t)fl->first[fl->n_cand];
    return fl->cost ? 3 * pairs + fl->n_dem + 2 * (size_t)fl->n_cand : pairs + fl->n_dem + 2 * (size_t)fl->n_cand;
}

typedef struct cb_data {
    double *x;          /* 1-based column values of a starting solution, or NULL */
    bool offered;
    bool have_bound;
    double bound;
} cb_data;

static void callback(glp_tree *T, void *info)
{
    cb_data *d = info;
    if (glp_ios_reason(T) == GLP_IHEUR && d->x && !d->offered) {
        glp_ios_heur_sol(T, d->x);
        d->offered = true;
    }
    int b = glp_ios_best_node(T);
    if (b) {
        d->bound = glp_ios_node_bound(T, b);
        d->have_bound = true;
    }
}

/* Triplet buffers for glp_load_matrix (1-based). */
typedef struct trip {
    int *ia, *ja;
    double *ar;
    size_t n, cap;
} trip;

static bool trip_add(trip *t, int i, int j, double v)
{
    if (t->n + 1 >= t->cap) return false;
    t->n++;
    t->ia[t->n] = i;
    t->ja[t->n] = j;
    t->ar[t->n] = v;
    return true;
}

static void trip_free(trip *t)
{
    free(t->ia);
    free(t->ja);
    free(t->ar);
}

static bool trip_init(trip *t, size_t cap)
{
    memset(t, 0, sizeof(*t));
    t->cap = cap + 2;
    t->ia = cc__malloc_array(t->cap, sizeof(int));
    t->ja = cc__malloc_array(t->cap, sizeof(int));
    t->ar = cc__malloc_array(t->cap, sizeof(double));
    return t->ia && t->ja && t->ar;
}

/* area rows and the budget row, starting at row r0 (1-based); returns rows used */
static int area_rows(glp_prob *lp, const cc__cons *c, int r0, int x0, trip *t, bool budget)
{
    int r = r0;
    if (budget) {
        glp_add_rows(lp, 1);
        glp_set_row_bnds(lp, r, GLP_UP, 0.0, (double)c->p);
        for (uint32_t j = 0; j < c->n_cand; j++) trip_add(t, r, x0 + (int)j, 1.0);
        r++;
    }
    for (uint32_t a = 0; a < c->n_areas; a++) {
        bool has_max = c->amax[a] != UINT32_MAX, has_min = c->amin[a] > 0;
        if (!has_max && !has_min) continue;
        glp_add_rows(lp, 1);
        if (has_max && has_min)
            glp_set_row_bnds(lp, r, c->amin[a] == c->amax[a] ? GLP_FX : GLP_DB, (double)c->amin[a], (double)c->amax[a]);
        else if (has_max)
            glp_set_row_bnds(lp, r, GLP_UP, 0.0, (double)c->amax[a]);
        else
            glp_set_row_bnds(lp, r, GLP_LO, (double)c->amin[a], 0.0);
        for (uint32_t j = 0; j < c->n_cand; j++)
            if (c->area[j] == a) trip_add(t, r, x0 + (int)j, 1.0);
        r++;
    }
    return r - r0;
}

static size_t area_nonzeros(const cc__cons *c)
{
    return (size_t)c->n_cand * 2 + 1;
}

static cc_status run_glpk_quiet(cc_ctx *ctx, glp_prob *lp, bool mip, double time_limit_s, cb_data *cb, bool minimise, cc__lp_out *out,
                                double **colval, glp_smcp *spp);

/* Solve: LP always, then the MIP when asked. Fills out (value/bound in the model's sense of
 * the objective as GLPK sees it, without constants) and the 1-based column values. */
static cc_status run_glpk(cc_ctx *ctx, glp_prob *lp, bool mip, double time_limit_s, cb_data *cb, bool minimise, cc__lp_out *out,
                          double **colval)
{
    glp_smcp sp;
    glp_init_smcp(&sp);
    /* some of GLPK's cut generators print whatever the message level; terminal output is
     * switched off for the duration of this call and restored after it */
    int term = glp_term_out(GLP_OFF);
    cc_status st = run_glpk_quiet(ctx, lp, mip, time_limit_s, cb, minimise, out, colval, &sp);
    glp_term_out(term);
    return st;
}

static cc_status run_glpk_quiet(cc_ctx *ctx, glp_prob *lp, bool mip, double time_limit_s, cb_data *cb, bool minimise, cc__lp_out *out,
                                double **colval, glp_smcp *spp)
{
    glp_smcp sp = *spp;
    sp.msg_lev = GLP_MSG_OFF;
    sp.meth = GLP_DUALP;
    double t0 = cc__now();
    int ncol = glp_get_num_cols(lp);
    if (mip) {
        if (time_limit_s > 0) sp.tm_lim = (int)fmin(time_limit_s * 1000.0, 2e9);
    } else {
        /* a bound only: limit iterations, not time, so that the answer never depends on the
         * machine's load */
        sp.it_lim = 50 * (glp_get_num_rows(lp) + ncol) + 10000;
    }
    int rc = glp_simplex(lp, &sp);
    out->solved = false;
    out->time_limit = false;
    if (rc == GLP_ETMLIM || rc == GLP_EITLIM) {
        out->time_limit = true;
        return CC_OK;
    }
    if (rc != 0 || glp_get_status(lp) != GLP_OPT) {
        if (glp_get_status(lp) == GLP_NOFEAS || glp_get_status(lp) == GLP_INFEAS) return CC_OK; /* infeasible: caller decides */
        return cc__fail(ctx, CC_ERR_INTERNAL, "GLPK could not solve the LP relaxation (code %d, status %d)", rc, glp_get_status(lp));
    }
    double lpv = glp_get_obj_val(lp);
    double slack = 1e-7 * (fabs(lpv) + 1.0);
    out->bound = minimise ? lpv - slack : lpv + slack;
    out->value = lpv;
    if (!mip) {
        out->solved = true;
        return CC_OK;
    }
    glp_iocp ip;
    glp_init_iocp(&ip);
    ip.msg_lev = GLP_MSG_OFF;
    ip.presolve = GLP_OFF;
    ip.cb_func = callback;
    ip.cb_info = cb;
    ip.mip_gap = 0.0;
    ip.gmi_cuts = GLP_ON;
    ip.mir_cuts = GLP_ON;
    ip.cov_cuts = GLP_ON;
    ip.clq_cuts = GLP_ON;
    if (time_limit_s > 0) {
        double left = time_limit_s - (cc__now() - t0);
        ip.tm_lim = (int)fmax(1000.0, fmin(left * 1000.0, 2e9));
    }
    rc = glp_intopt(lp, &ip);
    int ms = glp_mip_status(lp);
    if (rc == GLP_ETMLIM) out->time_limit = true;
    else if (rc != 0 && rc != GLP_ENOPFS)
        return cc__fail(ctx, CC_ERR_INTERNAL, "GLPK branch and bound failed (code %d)", rc);
    if (ms == GLP_OPT) {
        out->solved = true;
        out->value = glp_mip_obj_val(lp);
        out->bound = out->value;
    } else if (ms == GLP_FEAS) {
        out->value = glp_mip_obj_val(lp);
        if (cb->have_bound) {
            double bb = cb->bound;
            double s2 = 1e-7 * (fabs(bb) + 1.0);
            bb = minimise ? bb - s2 : bb + s2;
            if (minimise ? bb > out->bound : bb < out->bound) out->bound = bb;
        }
    } else {
        out->value = minimise ? INFINITY : -INFINITY;
    }
    if (ms == GLP_OPT || ms == GLP_FEAS) {
        double *v = cc__malloc_array((size_t)ncol + 1, sizeof(double));
        if (!v) return cc__fail(ctx, CC_ERR_NOMEM, "Out of memory");
        for (int j = 1; j <= ncol; j++) v[j] = glp_mip_col_val(lp, j);
        *colval = v;
    }
    return CC_OK;
}

cc_status cc__fl_glpk(cc_ctx *ctx, const cc__fl *fl, const cc__cons *c, bool mip, double time_limit_s, const uint32_t *start_S,
                      uint32_t start_q, uint32_t *S_out, cc__lp_out *out)
{
    cc_status st = CC_OK;
    const uint32_t m = fl->n_cand, n = fl->n_dem;
    const uint64_t pairs = fl->first[m];
    const bool timed = fl->cost != NULL;
    double *colval = NULL;
    cb_data cb = {0};
    trip t;
    memset(out, 0, sizeof(*out));
    if (!trip_init(&t, cc__fl_lp_nonzeros(fl) + area_nonzeros(c))) {
        trip_free(&t);
        return cc__fail(ctx, CC_ERR_NOMEM, "Out of memory building the linear programme");
    }
    /* time costs in seconds keep GLPK's coefficients in a sane range */
    const double unit = timed ? 1e-3 : 1.0;
    glp_prob *lp = glp_create_prob();
    glp_set_obj_dir(lp, GLP_MIN);
    /* columns: x (m), u (n), z (pairs, timed only) */
    const int x0 = 1, u0 = 1 + (int)m, z0 = 1 + (int)m + (int)n;
    int ncol = (int)m + (int)n + (timed ? (int)pairs : 0);
    glp_add_cols(lp, ncol);
    for (uint32_t j = 0; j < m; j++) {
        glp_set_col_kind(lp, x0 + (int)j, mip ? GLP_BV : GLP_CV);
        if (!mip) glp_set_col_bnds(lp, x0 + (int)j, GLP_DB, 0.0, 1.0);
    }
    for (uint32_t k = 0; k < n; k++) {
        glp_set_col_bnds(lp, u0 + (int)k, GLP_DB, 0.0, 1.0);
        glp_set_obj_coef(lp, u0 + (int)k, fl->w[k] * (double)(fl->cap ? fl->cap[k] : 1) * unit);
    }
    glp_set_obj_coef(lp, 0, fl->obj_const * unit);
    int r = 1;
    if (!timed) {
        glp_add_rows(lp, (int)n);
        for (uint32_t k = 0; k < n; k++) {
            glp_set_row_bnds(lp, r + (int)k, GLP_LO, 1.0, 0.0);
            trip_add(&t, r + (int)k, u0 + (int)k, 1.0);
            for (uint64_t e = fl->dfirst[k]; e < fl->dfirst[k + 1]; e++) trip_add(&t, r + (int)k, x0 + (int)fl->dcand[e], 1.0);
        }
        r += (int)n;
    } else {
        /* z columns in forward CSR order: pair e of candidate j is column z0 + e */
        for (uint64_t e = 0; e < pairs; e++) {
            glp_set_col_bnds(lp, z0 + (int)e, GLP_DB, 0.0, 1.0);
            glp_set_obj_coef(lp, z0 + (int)e, fl->w[fl->dem[e]] * (double)fl->cost[e] * unit);
        }
        glp_add_rows(lp, (int)n);
        for (uint32_t k = 0; k < n; k++) {
            glp_set_row_bnds(lp, r + (int)k, GLP_FX, 1.0, 1.0);
            trip_add(&t, r + (int)k, u0 + (int)k, 1.0);
        }
        glp_add_rows(lp, (int)pairs);
        for (uint32_t j = 0; j < m; j++)
            for (uint64_t e = fl->first[j]; e < fl->first[j + 1]; e++) {
                int row = r + (int)n + (int)e;
                trip_add(&t, r + (int)fl->dem[e], z0 + (int)e, 1.0);
                glp_set_row_bnds(lp, row, GLP_UP, 0.0, 0.0);
                trip_add(&t, row, z0 + (int)e, 1.0);
                trip_add(&t, row, x0 + (int)j, -1.0);
            }
        r += (int)n + (int)pairs;
    }
    r += area_rows(lp, c, r, x0, &t, true);
    glp_load_matrix(lp, (int)t.n, t.ia, t.ja, t.ar);
    trip_free(&t);

    if (mip && start_S) {
        /* the heuristic's solution as the first incumbent */
        if (!(cb.x = cc__calloc_array((size_t)ncol + 1, sizeof(double)))) {
            st = cc__fail(ctx, CC_ERR_NOMEM, "Out of memory");
            goto out;
        }
        uint32_t *d1 = cc__malloc_array(n ? n : 1, sizeof(uint32_t));
        uint64_t *arg = cc__malloc_array(n ? n : 1, sizeof(uint64_t));
        if (!d1 || !arg) {
            free(d1);
            free(arg);
            st = cc__fail(ctx, CC_ERR_NOMEM, "Out of memory");
            goto out;
        }
        for (uint32_t k = 0; k < n; k++) {
            d1[k] = fl->cap ? fl->cap[k] : 1;
            arg[k] = UINT64_MAX;
        }
        for (uint32_t s = 0; s < start_q; s++) {
            uint32_t j = start_S[s];
            cb.x[x0 + (int)j] = 1.0;
            for (uint64_t e = fl->first[j]; e < fl->first[j + 1]; e++) {
                uint32_t k = fl->dem[e], tt = timed ? fl->cost[e] : 0;
                if (tt < d1[k]) {
                    d1[k] = tt;
                    arg[k] = e;
                }
            }
        }
        for (uint32_t k = 0; k < n; k++) {
            if (arg[k] == UINT64_MAX)
                cb.x[u0 + (int)k] = 1.0;
            else if (timed)
                cb.x[z0 + (int)arg[k]] = 1.0;
        }
        free(d1);
        free(arg);
    }
    if ((st = run_glpk(ctx, lp, mip, time_limit_s, &cb, true, out, &colval))) goto out;
    out->value /= unit;
    out->bound /= unit;
    if (colval && S_out) {
        uint32_t q = 0;
        for (uint32_t j = 0; j < m; j++)
            if (colval[x0 + (int)j] > 0.5) S_out[q++] = j;
        out->q = q;
    }
out:
    free(cb.x);
    free(colval);
    glp_delete_prob(lp);
    return st;
}

cc_status cc__fl_glpk_lscp(cc_ctx *ctx, const cc__fl *fl, const cc__cons *c, double need, bool mip, double time_limit_s,
                           const uint32_t *start_S, uint32_t start_q, uint32_t *S_out, cc__lp_out *out)
{
    cc_status st = CC_OK;
    const uint32_t m = fl->n_cand, n = fl->n_dem;
    double *colval = NULL;
    cb_data cb = {0};
    trip t;
    memset(out, 0, sizeof(*out));
    if (!trip_init(&t, (size_t)fl->first[m] + 2 * (size_t)n + area_nonzeros(c))) {
        trip_free(&t);
        return cc__fail(ctx, CC_ERR_NOMEM, "Out of memory building the linear programme");
    }
    glp_prob *lp = glp_create_prob();
    glp_set_obj_dir(lp, GLP_MIN);
    const int x0 = 1, y0 = 1 + (int)m;
    glp_add_cols(lp, (int)m + (int)n);
    for (uint32_t j = 0; j < m; j++) {
        glp_set_col_kind(lp, x0 + (int)j, mip ? GLP_BV : GLP_CV);
        if (!mip) glp_set_col_bnds(lp, x0 + (int)j, GLP_DB, 0.0, 1.0);
        glp_set_obj_coef(lp, x0 + (int)j, 1.0);
    }
    for (uint32_t k = 0; k < n; k++) glp_set_col_bnds(lp, y0 + (int)k, GLP_DB, 0.0, 1.0);
    glp_add_rows(lp, (int)n + 1);
    for (uint32_t k = 0; k < n; k++) {
        glp_set_row_bnds(lp, 1 + (int)k, GLP_UP, 0.0, 0.0);
        trip_add(&t, 1 + (int)k, y0 + (int)k, 1.0);
        for (uint64_t e = fl->dfirst[k]; e < fl->dfirst[k + 1]; e++) trip_add(&t, 1 + (int)k, x0 + (int)fl->dcand[e], -1.0);
    }
    /* covered weight in units of the total, to keep the row well scaled */
    double scale = fl->w_total > 0 ? 1.0 / fl->w_total : 1.0;
    int rw = 1 + (int)n;
    glp_set_row_bnds(lp, rw, GLP_LO, need * scale, 0.0);
    for (uint32_t k = 0; k < n; k++) trip_add(&t, rw, y0 + (int)k, fl->w[k] * scale);
    area_rows(lp, c, rw + 1, x0, &t, c->p < m);
    glp_load_matrix(lp, (int)t.n, t.ia, t.ja, t.ar);
    trip_free(&t);
    if (mip && start_S) {
        if (!(cb.x = cc__calloc_array((size_t)m + n + 1, sizeof(double)))) {
            st = cc__fail(ctx, CC_ERR_NOMEM, "Out of memory");
            goto out;
        }
        for (uint32_t s = 0; s < start_q; s++) {
            uint32_t j = start_S[s];
            cb.x[x0 + (int)j] = 1.0;
            for (uint64_t e = fl->first[j]; e < fl->first[j + 1]; e++) cb.x[y0 + (int)fl->dem[e]] = 1.0;
        }
    }
    if ((st = run_glpk(ctx, lp, mip, time_limit_s, &cb, true, out, &colval))) goto out;
    if (colval && S_out) {
        uint32_t q = 0;
        for (uint32_t j = 0; j < m; j++)
            if (colval[x0 + (int)j] > 0.5) S_out[q++] = j;
        out->q = q;
    }
out:
    free(cb.x);
    free(colval);
    glp_delete_prob(lp);
    return st;
}
