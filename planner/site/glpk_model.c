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
    CC__FREE_ALL(t->ia, t->ja, t->ar);
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

/* The sites of an integer answer: the candidates whose column x_j (from x0) is 1. */
static void picked_sites(const double *colval, int x0, uint32_t m, uint32_t *S_out, cc__lp_out *out)
{
    if (!colval || !S_out) return;
    uint32_t q = 0;
    for (uint32_t j = 0; j < m; j++)
        if (colval[x0 + (int)j] > 0.5) S_out[q++] = j;
    out->q = q;
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

/* A minimising model solved (run_glpk), its value and bound divided by @p unit, its sites read
 * from the columns x_j (picked_sites). */
static cc_status solve_pick(cc_ctx *ctx, glp_prob *lp, bool mip, double time_limit_s, cb_data *cb, double unit, int x0, uint32_t m,
                            uint32_t *S_out, cc__lp_out *out)
{
    double *colval = NULL;
    cc_status st = run_glpk(ctx, lp, mip, time_limit_s, cb, true, out, &colval);
    if (st == CC_OK) {
        out->value /= unit;
        out->bound /= unit;
        picked_sites(colval, x0, m, S_out, out);
    }
    free(colval);
    return st;
}

cc_status cc__fl_glpk(cc_ctx *ctx, const cc__fl *fl, const cc__cons *c, bool mip, double time_limit_s, const uint32_t *start_S,
                      uint32_t start_q, uint32_t *S_out, cc__lp_out *out)
{
    cc_status st = CC_OK;
    const uint32_t m = fl->n_cand, n = fl->n_dem;
    const uint64_t pairs = fl->first[m];
    const bool timed = fl->cost != NULL;
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
    st = solve_pick(ctx, lp, mip, time_limit_s, &cb, unit, x0, m, S_out, out);
out:
    free(cb.x);
    glp_delete_prob(lp);
    return st;
}

cc_status cc__fl_glpk_lscp(cc_ctx *ctx, const cc__fl *fl, const cc__cons *c, double need, bool mip, double time_limit_s,
                           const uint32_t *start_S, uint32_t start_q, uint32_t *S_out, cc__lp_out *out)
{
    cc_status st = CC_OK;
    const uint32_t m = fl->n_cand, n = fl->n_dem;
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
    st = solve_pick(ctx, lp, mip, time_limit_s, &cb, 1.0, x0, m, S_out, out);
out:
    free(cb.x);
    glp_delete_prob(lp);
    return st;
}

/* ---- the LP bound of coverage instances, by row generation on the dual ----------------------------------- */

/*
 * The dual of the MCLP LP relaxation (in the maximisation form, classes c, candidates k):
 *   min  sum_c (w_c - mu_c) + p t + sum_k s_k + sum_a (amax_a pi_a - amin_a sigma_a)
 *   s.t. s_k + t + pi_a(k) - sigma_a(k) >= sum_{c in N(k)} mu_c   for every candidate k,
 *        0 <= mu_c <= w_c, t, s, pi, sigma >= 0.
 * It has one row per candidate and at the optimum only a few rows bind. The master holds the
 * rows of a set K of candidates (first the given sites and the strongest candidates, then
 * each round the candidates whose row the master's mu violates: the dual view of column
 * generation on the primal). In the master, classes that lie in exactly the same rows of K are
 * interchangeable, so they form one column bounded by their summed weight, and classes in no
 * row of K sit at mu_c = w_c: the master has |K| rows and a few thousand columns, which GLPK's
 * simplex solves in milliseconds (the primal master, with a row per class, takes minutes).
 * A column's value is spread over its classes in proportion to their weights. Every round's mu
 * yields the Lagrangian bound L(mu), valid whatever GLPK's tolerances; when no row is violated
 * mu is optimal for the full dual and L(mu) is the LP bound.
 */
/* A candidate's row violation (v) and id, most violated first. */
typedef cc__scored viol;

typedef struct touch {
    uint32_t g;   /* old group, CC_INVALID_ID: in no row yet */
    uint64_t ext; /* hash of the new rows the class lies in */
    uint32_t c;
} touch;

static int cmp_touch(const void *a, const void *b)
{
    const touch *x = a, *y = b;
    if (x->g != y->g) return x->g < y->g ? -1 : 1;
    if (x->ext != y->ext) return x->ext < y->ext ? -1 : 1;
    return x->c < y->c ? -1 : x->c > y->c;
}

struct cc__rowgen {
    const cc__fl *fl;
    glp_prob *lp;
    uint32_t n, m, n_areas;
    uint8_t *inK;
    uint32_t *K, nK;
    uint64_t *ext;
    uint32_t *grp;
    touch *tl;
    int *gcol;
    double *gw, *gtw;
    uint32_t *gstamp;
    viol *vio;
    double *pi;
    int *pc, *qc, tcol;
    int *ind;
    double *val;
    uint32_t ng;
    double cst, t;
    bool solved;
    cc__lagval lv;
    bool have_lv;
};

void cc__rowgen_destroy(cc__rowgen *rg)
{
    if (!rg) return;
    if (rg->lp) glp_delete_prob(rg->lp);
    if (rg->have_lv) cc__lagval_free(&rg->lv);
    CC__FREE_ALL(rg->inK, rg->K, rg->ext, rg->grp, rg->tl, rg->gcol, rg->gw, rg->gtw, rg->gstamp, rg->vio, rg->pi, rg->pc,
                 rg->qc, rg->ind, rg->val, rg);
}

cc_status cc__rowgen_create(cc_ctx *ctx, const cc__fl *fl, const cc__cons *c, cc__rowgen **out)
{
    const uint32_t n = fl->n_dem ? fl->n_dem : 1, m = fl->n_cand ? fl->n_cand : 1, na = c->n_areas ? c->n_areas : 1;
    cc__rowgen *rg = calloc(1, sizeof(*rg));
    *out = NULL;
    if (!rg) return cc__fail(ctx, CC_ERR_NOMEM, "Out of memory for the LP bound");
    rg->fl = fl;
    rg->n = fl->n_dem;
    rg->m = fl->n_cand;
    rg->n_areas = c->n_areas;
    rg->inK = cc__calloc_array(m, 1);
    rg->K = cc__malloc_array(m, sizeof(uint32_t));
    rg->ext = cc__calloc_array(n, sizeof(uint64_t));
    rg->grp = cc__malloc_array(n, sizeof(uint32_t));
    rg->tl = cc__malloc_array(n, sizeof(touch));
    rg->gcol = cc__malloc_array(n, sizeof(int));
    rg->gw = cc__malloc_array(n, sizeof(double));
    rg->gtw = cc__calloc_array(n, sizeof(double));
    rg->gstamp = cc__calloc_array(n, sizeof(uint32_t));
    rg->vio = cc__malloc_array(m, sizeof(viol));
    rg->pi = cc__calloc_array(na, sizeof(double));
    rg->pc = cc__calloc_array(na, sizeof(int));
    rg->qc = cc__calloc_array(na, sizeof(int));
    rg->ind = cc__malloc_array((size_t)n + m + 8, sizeof(int));
    rg->val = cc__malloc_array((size_t)n + m + 8, sizeof(double));
    if (!rg->inK || !rg->K || !rg->ext || !rg->grp || !rg->tl || !rg->gcol || !rg->gw || !rg->gtw || !rg->gstamp || !rg->vio || !rg->pi ||
        !rg->pc || !rg->qc || !rg->ind || !rg->val) {
        cc__rowgen_destroy(rg);
        return cc__fail(ctx, CC_ERR_NOMEM, "Out of memory for the LP bound");
    }
    cc_status st = cc__lagval_init(ctx, fl, c, &rg->lv);
    if (st) {
        cc__rowgen_destroy(rg);
        return st;
    }
    rg->have_lv = true;
    for (uint32_t k = 0; k < rg->n; k++) rg->grp[k] = CC_INVALID_ID;
    /* the master: t and the area duals; groups and s_k come with the rows */
    rg->lp = glp_create_prob();
    glp_set_obj_dir(rg->lp, GLP_MIN);
    rg->tcol = glp_add_cols(rg->lp, 1);
    glp_set_col_bnds(rg->lp, rg->tcol, GLP_LO, 0.0, 0.0);
    for (uint32_t a = 0; a < c->n_areas; a++) {
        if (c->amax[a] != UINT32_MAX) {
            rg->pc[a] = glp_add_cols(rg->lp, 1);
            glp_set_col_bnds(rg->lp, rg->pc[a], GLP_LO, 0.0, 0.0);
            glp_set_obj_coef(rg->lp, rg->pc[a], (double)c->amax[a]);
        }
        if (c->amin[a] > 0) {
            rg->qc[a] = glp_add_cols(rg->lp, 1);
            glp_set_col_bnds(rg->lp, rg->qc[a], GLP_LO, 0.0, 0.0);
            glp_set_obj_coef(rg->lp, rg->qc[a], -(double)c->amin[a]);
        }
    }
    *out = rg;
    return CC_OK;
}

/* Add the rows K[k0..nK) to the master, splitting the groups they cut. */
static void add_rows(cc__rowgen *rg, const cc__cons *c, uint32_t k0)
{
    const cc__fl *fl = rg->fl;
    glp_prob *lp = rg->lp;
    int *ind = rg->ind;
    double *val = rg->val;
    /* classes in a new row move to a subgroup keyed by (old group, the set of new rows) */
    uint32_t ntl = 0;
    for (uint32_t r = k0; r < rg->nK; r++) {
        uint32_t k = rg->K[r];
        uint64_t hk = cc__mix64(0x9e3779b97f4a7c15ULL + r);
        for (uint64_t e = fl->first[k]; e < fl->first[k + 1]; e++) {
            uint32_t cl = fl->dem[e];
            if (!rg->ext[cl]) rg->tl[ntl++] = (touch){rg->grp[cl], 0, cl};
            rg->ext[cl] += hk | 1;
        }
    }
    for (uint32_t i = 0; i < ntl; i++) {
        rg->tl[i].ext = rg->ext[rg->tl[i].c];
        if (rg->tl[i].g != CC_INVALID_ID) rg->gtw[rg->tl[i].g] += fl->w[rg->tl[i].c];
    }
    qsort(rg->tl, ntl, sizeof(touch), cmp_touch);
    for (uint32_t i = 0; i < ntl;) {
        uint32_t g = rg->tl[i].g, j = i;
        while (j < ntl && rg->tl[j].g == g) j++;
        bool keep_parent = g != CC_INVALID_ID && rg->gw[g] - rg->gtw[g] > 1e-12 * (rg->gw[g] + 1.0);
        int pstat = g != CC_INVALID_ID ? glp_get_col_stat(lp, rg->gcol[g]) : GLP_NU;
        int plen = g != CC_INVALID_ID ? glp_get_mat_col(lp, rg->gcol[g], ind, val) : 0;
        bool first = true;
        for (uint32_t a = i; a < j;) {
            uint32_t b = a;
            double wsg = 0;
            while (b < j && rg->tl[b].ext == rg->tl[a].ext) wsg += fl->w[rg->tl[b++].c];
            uint32_t ng;
            if (g != CC_INVALID_ID && !keep_parent && first) {
                ng = g; /* the first subgroup takes the parent's column and status */
            } else {
                ng = rg->ng++;
                rg->gcol[ng] = glp_add_cols(lp, 1);
                glp_set_obj_coef(lp, rg->gcol[ng], -1.0);
                if (plen) glp_set_mat_col(lp, rg->gcol[ng], plen, ind, val);
                /* dual feasible: a split of a basic column has reduced cost 0; a class that
                 * enters the master sat at mu = w */
                glp_set_col_stat(lp, rg->gcol[ng], g == CC_INVALID_ID ? GLP_NU : pstat == GLP_BS ? GLP_NL : pstat);
                if (g == CC_INVALID_ID) rg->cst += wsg;
            }
            rg->gw[ng] = wsg;
            glp_set_col_bnds(lp, rg->gcol[ng], wsg > 0 ? GLP_DB : GLP_FX, 0.0, wsg);
            for (uint32_t u = a; u < b; u++) rg->grp[rg->tl[u].c] = ng;
            first = false;
            a = b;
        }
        if (keep_parent) {
            rg->gw[g] -= rg->gtw[g];
            glp_set_col_bnds(lp, rg->gcol[g], GLP_DB, 0.0, rg->gw[g]);
        }
        if (g != CC_INVALID_ID) rg->gtw[g] = 0;
        i = j;
    }
    for (uint32_t i = 0; i < ntl; i++) rg->ext[rg->tl[i].c] = 0;
    glp_set_obj_coef(lp, 0, rg->cst);
    int r0 = glp_add_rows(lp, (int)(rg->nK - k0));
    for (uint32_t r = k0; r < rg->nK; r++) {
        uint32_t k = rg->K[r];
        int row = r0 + (int)(r - k0), len = 0;
        int sc = glp_add_cols(lp, 1);
        glp_set_col_bnds(lp, sc, GLP_LO, 0.0, 0.0);
        glp_set_obj_coef(lp, sc, 1.0);
        glp_set_col_stat(lp, sc, GLP_NL);
        for (uint64_t e = fl->first[k]; e < fl->first[k + 1]; e++) {
            uint32_t g = rg->grp[fl->dem[e]];
            if (rg->gstamp[g] == (uint32_t)row) continue; /* one entry per group */
            rg->gstamp[g] = (uint32_t)row;
            ind[++len] = rg->gcol[g];
            val[len] = -1.0;
        }
        ind[++len] = sc;
        val[len] = 1.0;
        ind[++len] = rg->tcol;
        val[len] = 1.0;
        uint32_t a = c->area ? c->area[k] : CC_INVALID_ID;
        if (a != CC_INVALID_ID && rg->pc[a]) {
            ind[++len] = rg->pc[a];
            val[len] = 1.0;
        }
        if (a != CC_INVALID_ID && rg->qc[a]) {
            ind[++len] = rg->qc[a];
            val[len] = -1.0;
        }
        glp_set_row_bnds(lp, row, GLP_LO, 0.0, 0.0);
        glp_set_mat_row(lp, row, len, ind, val);
        glp_set_row_stat(lp, row, GLP_BS);
    }
}

/* Solve the master (warm) and read mu, t and the area duals. */
static bool solve_master(cc__rowgen *rg, const cc__cons *c, double *mu, double *t_glpk)
{
    const cc__fl *fl = rg->fl;
    glp_smcp sp;
    glp_init_smcp(&sp);
    sp.msg_lev = GLP_MSG_OFF;
    sp.meth = GLP_DUALP;
    sp.it_lim = 1000000;
    double tg = cc__now();
    if (!rg->solved) glp_std_basis(rg->lp);
    int rcode = glp_simplex(rg->lp, &sp);
    if (rcode == GLP_EBADB || rcode == GLP_ESING || rcode == GLP_ECOND) { /* the carried basis failed: start afresh */
        glp_std_basis(rg->lp);
        rcode = glp_simplex(rg->lp, &sp);
    }
    *t_glpk += cc__now() - tg;
    if (rcode != 0 || glp_get_status(rg->lp) != GLP_OPT) return false;
    rg->solved = true;
    for (uint32_t k = 0; k < rg->n; k++) {
        uint32_t g = rg->grp[k];
        if (g == CC_INVALID_ID || !(rg->gw[g] > 0)) {
            mu[k] = fl->w[k];
            continue;
        }
        double v = glp_get_col_prim(rg->lp, rg->gcol[g]) / rg->gw[g];
        v = v < 0 ? 0 : v > 1 ? 1 : v;
        mu[k] = fl->w[k] * v;
    }
    rg->t = glp_get_col_prim(rg->lp, rg->tcol);
    for (uint32_t a = 0; a < c->n_areas; a++)
        rg->pi[a] = (rg->pc[a] ? glp_get_col_prim(rg->lp, rg->pc[a]) : 0.0) - (rg->qc[a] ? glp_get_col_prim(rg->lp, rg->qc[a]) : 0.0);
    return true;
}

cc_status cc__fl_lp_colgen(cc_ctx *ctx, const cc__fl *fl, const cc__cons *c, const uint32_t *start_S, uint32_t start_q, double ub,
                           double tol_abs, double *mu, cc__rowgen *rg_in, cc__cg_out *out)
{
    const uint32_t n = fl->n_dem, m = fl->n_cand;
    const int threads = cc_ctx_get_threads(ctx);
    cc_status st = CC_OK;
    memset(out, 0, sizeof(*out));
    out->lb = -INFINITY;
    if (fl->cost || fl->cap) return cc__fail(ctx, CC_ERR_INTERNAL, "The LP bound by row generation is for coverage instances");
    if (n == 0) {
        out->lb = fl->obj_const;
        out->converged = true;
        return CC_OK;
    }
    cc__rowgen *rg = rg_in;
    if (!rg && (st = cc__rowgen_create(ctx, fl, c, &rg))) return st;
    if (rg->fl != fl || rg->n_areas != c->n_areas) {
        if (!rg_in) cc__rowgen_destroy(rg);
        return cc__fail(ctx, CC_ERR_INTERNAL, "LP bound state used with another instance");
    }
    int term = glp_term_out(GLP_OFF);
    double t_glpk = 0;
    double wsum = 0;
    for (uint32_t k = 0; k < n; k++) wsum += fl->w[k];
    const double eps = 1e-9 * (wsum / n + 1.0);
    const uint32_t per_round = c->p * 2 > 24 ? c->p * 2 : 24;
    glp_set_obj_coef(rg->lp, rg->tcol, (double)c->p);
    bool have_mu = rg->nK > 0 && solve_master(rg, c, mu, &t_glpk);
    if (!have_mu) {
        for (uint32_t k = 0; k < n; k++) mu[k] = fl->w[k];
        rg->t = 0;
        for (uint32_t a = 0; a < c->n_areas; a++) rg->pi[a] = 0;
    }
    uint32_t nK0 = rg->nK;
    for (int round = 0; round < 1000; round++) {
        if (cc__interrupted(ctx)) break;
        /* the bound of these mu (lv.rho[k] = -sum of mu over N(k)) */
        double L = cc__lagval_eval(fl, c, mu, threads, &rg->lv);
        if (L > out->lb) out->lb = L;
        out->rounds = round;
        if (ub - out->lb <= tol_abs) {
            out->converged = true;
            break;
        }
        /* rows that mu violates: sum of mu over N(k) > t + pi_a - sigma_a */
        uint32_t nv = 0;
        if (round == 0)
            for (uint32_t s = 0; s < start_q; s++)
                if (!rg->inK[start_S[s]]) {
                    rg->inK[start_S[s]] = 2; /* queued */
                    rg->vio[nv++] = (viol){INFINITY, start_S[s]};
                }
        for (uint32_t k = 0; k < m; k++) {
            if (rg->inK[k]) continue;
            uint32_t a = c->area ? c->area[k] : CC_INVALID_ID;
            double v = -rg->lv.rho[k] - rg->t - (a != CC_INVALID_ID ? rg->pi[a] : 0.0);
            if (v > eps) rg->vio[nv++] = (viol){v, k};
        }
        if (nv == 0) {
            out->converged = true;
            break;
        }
        qsort(rg->vio, nv, sizeof(viol), cc__cmp_scored_desc);
        uint32_t add = per_round;
        while (add < nv && rg->vio[add].v == INFINITY) add++;
        if (add > nv) add = nv;
        uint32_t k0 = rg->nK;
        for (uint32_t r = 0; r < add; r++) {
            rg->inK[rg->vio[r].id] = 1;
            rg->K[rg->nK++] = rg->vio[r].id;
        }
        add_rows(rg, c, k0);
        if (!solve_master(rg, c, mu, &t_glpk)) break; /* keep the bound found so far */
        if (rg->nK == m) { /* every row is in: the bound of these mu is the LP's */
            double L2 = cc__lagval_eval(fl, c, mu, threads, &rg->lv);
            if (L2 > out->lb) out->lb = L2;
            out->converged = true;
            break;
        }
    }
    out->columns = (int)(rg->nK - nK0);
    cc__debug(ctx, "LP bound by row generation: %d rounds, %u candidate rows of %u (%d new), %u groups, %s, bound %.6g, %.3f s in GLPK",
              out->rounds, rg->nK, m, out->columns, rg->ng, out->converged ? "converged" : "stopped", out->lb, t_glpk);
    glp_term_out(term);
    if (!rg_in) cc__rowgen_destroy(rg);
    return st;
}

cc_status cc__glpk_intopt(cc_ctx *ctx, glp_prob *lp, double time_limit_s, const char *what, double *value, bool *optimal)
{
    glp_iocp ip;
    glp_init_iocp(&ip);
    ip.msg_lev = GLP_MSG_OFF;
    ip.tm_lim = (int)fmin(1e9, (time_limit_s > 0 ? time_limit_s : 600.0) * 1000.0);
    int rc = glp_intopt(lp, &ip);
    int ms = glp_mip_status(lp);
    if (ms != GLP_OPT && ms != GLP_FEAS) return cc__fail(ctx, CC_ERR_INTERNAL, "GLPK found no integer %s solution (code %d, status %d)", what, rc, ms);
    *value = glp_mip_obj_val(lp);
    *optimal = ms == GLP_OPT && rc == 0;
    return CC_OK;
}
