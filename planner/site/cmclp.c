/*
 * cmclp.c - the capacitated maximal covering location problem (CMCLP): at most p new sites, each
 * serving at most C_j persons (its capacity), maximising the population served within the
 * threshold. Demand is assigned fractionally: the people of one demand point (a raster cell or a
 * village) may be split between several sites that reach it (the formulation of Current & Storbeck
 * 1988 with continuous assignment; spopt issue #222). Existing facilities without a capacity count
 * as covering already (they serve the people within their reach, as in MCLP); capacitated existing
 * facilities (inst->n_fixed) are sites that are always open, outside the budget, and share one
 * maximum flow with the new sites: a new site gains the people an over-full existing facility
 * cannot serve. The reduced instance holds them after the candidates (j >= nnew).
 *
 *     max  sum_i sum_{j reaches i} w_i z_ij
 *     s.t. sum_j z_ij <= 1                      (each demand point not covered already)
 *          sum_i w_i z_ij <= C_j x_j            (capacity of each candidate)
 *          z_ij <= x_j                          (a valid strengthening of the LP)
 *          sum_j x_j <= p,  x_j in {0, 1},  0 <= z_ij <= 1
 *
 * For a set S of sites the best assignment is a maximum flow (source -> site j, capacity C_j ->
 * demand i it reaches -> sink, capacity w_i), and that value F(S) is a monotone submodular function
 * of S (the rank of a polymatroid induced through a bipartite graph), so:
 *  - heuristic: lazy greedy on F (each marginal gain an augmenting-path max flow), then swaps of one
 *    site for one candidate while one improves, within 3,000 flow evaluations (the answer says when
 *    that budget stopped the search);
 *  - bound: min of the data-dependent submodular bound F(S) + the p largest gains w.r.t. S
 *    (Nemhauser, Wolsey & Fisher 1978; Leskovec et al. 2007), the p largest capacities (each capped
 *    by the population the candidate reaches) and the LP relaxation above (GLPK);
 *  - exact: the integer programme above with GLPK's branch and bound.
 * Identical demand points (same candidates) are merged into classes first (exact).
 */
#include <float.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include <glpk.h>

#include "site_internal.h"

/* The flow network over the reduced instance. */
typedef struct cf {
    const cc__fl *fl;
    uint32_t nc, nd;
    uint32_t nnew; /* candidates 0..nnew-1 may be chosen; nnew..nc-1 are capacitated existing sites, always open */
    uint64_t np;
    const double *cap;  /* per candidate */
    uint32_t *pcand;    /* per pair: its candidate */
    uint64_t *tfirst;   /* class -> pair indices */
    uint64_t *tpair;
    double *f, *out, *in; /* flow per pair, out of each candidate, into the sink from each class */
    uint8_t *open;
    double total, eps;
    uint32_t *qc; /* breadth-first queue */
    /* Dinic: levels (distance from the source, UINT32_MAX: not reached) and current arcs */
    uint32_t *lev_c, *lev_d;
    uint64_t *ptr_c, *ptr_d;
    /* a saved state */
    double *f2, *out2, *in2, total2;
} cf;

static void cf_free(cf *c)
{
    CC__FREE_ALL(c->pcand, c->tfirst, c->tpair, c->f, c->out, c->in, c->open, c->qc,
                 c->f2, c->out2, c->in2, c->lev_c, c->lev_d, c->ptr_c, c->ptr_d);
}

static cc_status cf_init(cc_ctx *ctx, const cc__fl *fl, const double *cap, uint32_t nnew, cf *c)
{
    memset(c, 0, sizeof(*c));
    c->fl = fl;
    c->nc = fl->n_cand;
    c->nnew = nnew;
    c->nd = fl->n_dem;
    c->np = fl->first[fl->n_cand];
    c->cap = cap;
    size_t np = c->np ? c->np : 1, nc = (size_t)c->nc + 1, nd = (size_t)c->nd + 1;
    c->pcand = cc__malloc_array(np, sizeof(uint32_t));
    c->tfirst = cc__calloc_array(nd + 1, sizeof(uint64_t));
    c->tpair = cc__malloc_array(np, sizeof(uint64_t));
    c->f = cc__calloc_array(np, sizeof(double));
    c->f2 = cc__calloc_array(np, sizeof(double));
    c->out = cc__calloc_array(nc, sizeof(double));
    c->out2 = cc__calloc_array(nc, sizeof(double));
    c->in = cc__calloc_array(nd, sizeof(double));
    c->in2 = cc__calloc_array(nd, sizeof(double));
    c->open = cc__calloc_array(nc, 1);
    c->qc = cc__malloc_array(nc, sizeof(uint32_t));
    c->lev_c = cc__malloc_array(nc, sizeof(uint32_t));
    c->lev_d = cc__malloc_array(nd, sizeof(uint32_t));
    c->ptr_c = cc__malloc_array(nc, sizeof(uint64_t));
    c->ptr_d = cc__malloc_array(nd, sizeof(uint64_t));
    if (!c->lev_c || !c->lev_d || !c->ptr_c || !c->ptr_d ||
        !c->pcand || !c->tfirst || !c->tpair || !c->f || !c->f2 || !c->out || !c->out2 || !c->in || !c->in2 || !c->open || !c->qc) {
        cf_free(c);
        return cc__fail(ctx, CC_ERR_NOMEM, "Out of memory for the capacitated model");
    }
    double wmax = 0;
    for (uint32_t i = 0; i < c->nd; i++) wmax = fmax(wmax, fl->w[i]);
    c->eps = 1e-9 * fmax(1.0, wmax);
    for (uint32_t j = 0; j < c->nc; j++)
        for (uint64_t e = fl->first[j]; e < fl->first[j + 1]; e++) {
            c->pcand[e] = j;
            c->tfirst[fl->dem[e] + 1]++;
        }
    for (uint32_t i = 0; i < c->nd; i++) c->tfirst[i + 1] += c->tfirst[i];
    uint64_t *pos = cc__malloc_array(nd, sizeof(uint64_t));
    if (!pos) {
        cf_free(c);
        return cc__fail(ctx, CC_ERR_NOMEM, "Out of memory for the capacitated model");
    }
    memcpy(pos, c->tfirst, (size_t)c->nd * sizeof(uint64_t));
    for (uint64_t e = 0; e < c->np; e++) c->tpair[pos[fl->dem[e]]++] = e;
    free(pos);
    return CC_OK;
}

static void cf_reset(cf *c)
{
    memset(c->f, 0, (size_t)(c->np ? c->np : 1) * sizeof(double));
    memset(c->out, 0, ((size_t)c->nc + 1) * sizeof(double));
    memset(c->in, 0, ((size_t)c->nd + 1) * sizeof(double));
    memset(c->open, 0, (size_t)c->nc + 1);
    for (uint32_t j = c->nnew; j < c->nc; j++) c->open[j] = 1; /* the capacitated existing sites */
    c->total = 0;
}

static void cf_save(cf *c)
{
    memcpy(c->f2, c->f, (size_t)(c->np ? c->np : 1) * sizeof(double));
    memcpy(c->out2, c->out, ((size_t)c->nc + 1) * sizeof(double));
    memcpy(c->in2, c->in, ((size_t)c->nd + 1) * sizeof(double));
    c->total2 = c->total;
}

static void cf_restore(cf *c)
{
    memcpy(c->f, c->f2, (size_t)(c->np ? c->np : 1) * sizeof(double));
    memcpy(c->out, c->out2, ((size_t)c->nc + 1) * sizeof(double));
    memcpy(c->in, c->in2, ((size_t)c->nd + 1) * sizeof(double));
    c->total = c->total2;
}

/* Direct paths first (source -> site -> class -> sink, in candidate and pair order): most of the
 * flow when capacities are not tight, in one pass over the pairs of the open sites; then
 * augmenting paths for the rest. */
static void cf_fill(cf *c, uint32_t j)
{
    const cc__fl *fl = c->fl;
    for (uint64_t e = fl->first[j]; e < fl->first[j + 1]; e++) {
        double rj = c->cap[j] - c->out[j];
        if (!(rj > c->eps)) break;
        uint32_t i = fl->dem[e];
        double b = fmin(rj, fl->w[i] - c->in[i]);
        if (!(b > c->eps)) continue;
        c->f[e] += b;
        c->out[j] += b;
        c->in[i] += b;
        c->total += b;
    }
}

/* Dinic's algorithm (1970) on the residual network: breadth-first levels from the source, then a
 * blocking flow by depth-first search along level-increasing arcs with current-arc pointers.
 * Returns false when no class with room towards the sink is reachable (the flow is maximum). */
static bool cf_levels(cf *c)
{
    const cc__fl *fl = c->fl;
    const uint32_t inf = UINT32_MAX;
    for (uint32_t j = 0; j < c->nc; j++) c->lev_c[j] = inf;
    for (uint32_t i = 0; i < c->nd; i++) c->lev_d[i] = inf;
    uint32_t h = 0, t = 0;
    bool sink = false;
    for (uint32_t j = 0; j < c->nc; j++)
        if (c->open[j] && c->cap[j] - c->out[j] > c->eps) {
            c->lev_c[j] = 0;
            c->qc[t++] = j;
        }
    while (h < t) {
        uint32_t j = c->qc[h++];
        for (uint64_t e = fl->first[j]; e < fl->first[j + 1]; e++) {
            uint32_t i = fl->dem[e];
            if (c->lev_d[i] != inf) continue;
            c->lev_d[i] = c->lev_c[j] + 1;
            if (fl->w[i] - c->in[i] > c->eps) sink = true;
            for (uint64_t k = c->tfirst[i]; k < c->tfirst[i + 1]; k++) {
                uint64_t e2 = c->tpair[k];
                uint32_t j2 = c->pcand[e2];
                if (c->lev_c[j2] != inf || !(c->f[e2] > c->eps)) continue;
                c->lev_c[j2] = c->lev_d[i] + 1;
                c->qc[t++] = j2;
            }
        }
    }
    return sink;
}

static double dfs_c(cf *c, uint32_t j, double lim);

static double dfs_d(cf *c, uint32_t i, double lim)
{
    const cc__fl *fl = c->fl;
    double r = fl->w[i] - c->in[i];
    if (r > c->eps) {
        double b = fmin(lim, r);
        c->in[i] += b;
        return b;
    }
    for (; c->ptr_d[i] < c->tfirst[i + 1]; c->ptr_d[i]++) {
        uint64_t e2 = c->tpair[c->ptr_d[i]];
        uint32_t j2 = c->pcand[e2];
        if (c->lev_c[j2] != c->lev_d[i] + 1 || !(c->f[e2] > c->eps)) continue;
        double b = dfs_c(c, j2, fmin(lim, c->f[e2]));
        if (b > 0) {
            c->f[e2] -= b;
            if (c->f[e2] < 0) c->f[e2] = 0;
            return b;
        }
    }
    return 0;
}

static double dfs_c(cf *c, uint32_t j, double lim)
{
    const cc__fl *fl = c->fl;
    for (; c->ptr_c[j] < fl->first[j + 1]; c->ptr_c[j]++) {
        uint64_t e = c->ptr_c[j];
        uint32_t i = fl->dem[e];
        if (c->lev_d[i] != c->lev_c[j] + 1) continue;
        double b = dfs_d(c, i, lim);
        if (b > 0) {
            c->f[e] += b;
            return b;
        }
    }
    return 0;
}

static void cf_maxflow(cf *c)
{
    const cc__fl *fl = c->fl;
    for (uint32_t j = 0; j < c->nc; j++)
        if (c->open[j]) cf_fill(c, j);
    while (cf_levels(c)) {
        for (uint32_t j = 0; j < c->nc; j++) c->ptr_c[j] = fl->first[j];
        for (uint32_t i = 0; i < c->nd; i++) c->ptr_d[i] = c->tfirst[i];
        double pushed = 0;
        for (uint32_t j = 0; j < c->nc; j++) {
            if (c->lev_c[j] != 0) continue;
            for (;;) {
                double room = c->cap[j] - c->out[j];
                if (!(room > c->eps)) break;
                double b = dfs_c(c, j, room);
                if (!(b > 0)) break;
                c->out[j] += b;
                c->total += b;
                pushed += b;
            }
        }
        if (!(pushed > c->eps)) break; /* only pushes below the tolerance are left */
    }
}

/* F(S) from scratch. */
static double cf_value(cf *c, const uint32_t *S, uint32_t q)
{
    cf_reset(c);
    for (uint32_t k = 0; k < q; k++) c->open[S[k]] = 1;
    cf_maxflow(c);
    return c->total;
}

/* Marginal gain of opening j on top of the current (maximum) flow; the state is kept. */
static double cf_gain(cf *c, uint32_t j)
{
    if (c->open[j]) return 0;
    cf_save(c);
    c->open[j] = 1;
    cf_maxflow(c);
    double g = c->total - c->total2;
    c->open[j] = 0;
    cf_restore(c);
    return g;
}

/* Lazy greedy: S gets up to p sites in the order chosen, gain[k] their marginal gains. The flow
 * state ends as the maximum flow of S. */
static uint32_t greedy(cf *c, uint32_t p, double *ub, uint32_t *S, double *gain)
{
    const cc__fl *fl = c->fl;
    cf_reset(c);
    cf_maxflow(c); /* what the capacitated existing sites serve */
    for (uint32_t j = 0; j < c->nnew; j++) {
        double reach = 0;
        for (uint64_t e = fl->first[j]; e < fl->first[j + 1]; e++) reach += fl->w[fl->dem[e]];
        ub[j] = fmin(reach, c->cap[j]);
    }
    uint32_t q = 0;
    while (q < p) {
        uint32_t best = CC_INVALID_ID;
        double bg = 0;
        for (;;) {
            uint32_t top = CC_INVALID_ID;
            for (uint32_t j = 0; j < c->nnew; j++)
                if (!c->open[j] && ub[j] > c->eps && (top == CC_INVALID_ID || ub[j] > ub[top])) top = j;
            if (top == CC_INVALID_ID) break;
            double g = cf_gain(c, top);
            ub[top] = g;
            double next = 0;
            for (uint32_t j = 0; j < c->nnew; j++)
                if (!c->open[j] && j != top && ub[j] > next) next = ub[j];
            if (g >= next - 1e-12 * (next + 1)) {
                best = top;
                bg = g;
                break;
            }
        }
        if (best == CC_INVALID_ID || !(bg > c->eps)) break;
        c->open[best] = 1;
        cf_maxflow(c);
        S[q] = best;
        gain[q] = bg;
        q++;
    }
    return q;
}

/* Swaps of one site for one candidate, best improvement per pass, within a budget of maximum-flow
 * evaluations (deterministic, unlike a time limit); *stopped when the budget ran out. */
#define CMCLP_SWAP_EVALS 3000
static int swaps(cf *c, uint32_t *S, uint32_t q, double *F, uint8_t *in_s, bool *stopped)
{
    int moves = 0;
    long evals = 0;
    *stopped = false;
    for (int pass = 0; pass < 100 && !*stopped; pass++) {
        double best = *F;
        uint32_t bk = 0, bj = CC_INVALID_ID;
        for (uint32_t k = 0; k < q; k++) {
            uint32_t old = S[k];
            for (uint32_t j = 0; j < c->nnew && !*stopped; j++) {
                if (in_s[j]) continue;
                if (++evals > CMCLP_SWAP_EVALS) {
                    *stopped = true;
                    break;
                }
                S[k] = j;
                double v = cf_value(c, S, q);
                if (v > best + 1e-9 * (best + 1)) {
                    best = v;
                    bk = k;
                    bj = j;
                }
            }
            S[k] = old;
        }
        if (bj == CC_INVALID_ID) break;
        in_s[S[bk]] = 0;
        S[bk] = bj;
        in_s[bj] = 1;
        *F = best;
        moves++;
    }
    cf_value(c, S, q);
    return moves;
}

/* Non-zeros of the programme. */
static size_t glpk_nnz(const cc__fl *fl)
{
    return (size_t)fl->first[fl->n_cand] * 4 + 2 * (size_t)fl->n_cand;
}

/* The programme of the header through GLPK in flow form (y_e = w_i z_ij persons): the LP
 * relaxation (mip = false) or the integer optimum with its sites. */
static cc_status cmclp_glpk(cc_ctx *ctx, const cf *c, const double *obj, uint32_t p, bool mip, double time_limit_s, const uint32_t *start, uint32_t start_q,
                            double *value, double *bound, bool *proven, uint32_t *S_out, uint32_t *q_out)
{
    const cc__fl *fl = c->fl;
    const uint32_t nc = c->nc, nd = c->nd;
    const uint64_t np = c->np;
    cc_status st = CC_OK;
    size_t nz_max = glpk_nnz(fl) + 1;
    int *ia = cc__malloc_array(nz_max, sizeof(int)), *ja = cc__malloc_array(nz_max, sizeof(int));
    double *ar = cc__malloc_array(nz_max, sizeof(double));
    if (!ia || !ja || !ar) {
        CC__FREE_ALL(ia, ja, ar);
        return cc__fail(ctx, CC_ERR_NOMEM, "Out of memory for the capacitated programme");
    }
    glp_prob *lp = glp_create_prob();
    glp_set_obj_dir(lp, GLP_MAX);
    /* columns: x_j (1..nc), y_e (nc+1 .. nc+np) */
    glp_add_cols(lp, (int)(nc + np));
    for (uint32_t j = 0; j < nc; j++) {
        if (j >= c->nnew) { /* a capacitated existing site: open */
            glp_set_col_bnds(lp, (int)j + 1, GLP_FX, 1.0, 1.0);
            continue;
        }
        glp_set_col_bnds(lp, (int)j + 1, GLP_DB, 0.0, 1.0);
        if (mip) glp_set_col_kind(lp, (int)j + 1, GLP_BV);
    }
    for (uint64_t e = 0; e < np; e++) {
        glp_set_col_bnds(lp, (int)(nc + e + 1), GLP_LO, 0.0, 0.0);
        glp_set_obj_coef(lp, (int)(nc + e + 1), obj ? obj[e] : 1.0);
    }
    /* rows: 1 budget; 2..nd+1 demand; nd+2..nd+nc+1 capacity; then one per pair (y_e <= w_i x_j) */
    glp_add_rows(lp, (int)(1 + nd + nc + np));
    glp_set_row_bnds(lp, 1, GLP_UP, 0.0, (double)p);
    size_t nz = 0;
    for (uint32_t j = 0; j < c->nnew; j++) {
        ++nz;
        ia[nz] = 1, ja[nz] = (int)j + 1, ar[nz] = 1.0;
    }
    for (uint32_t i = 0; i < nd; i++) glp_set_row_bnds(lp, (int)i + 2, GLP_UP, 0.0, fl->w[i]);
    for (uint32_t j = 0; j < nc; j++) {
        int r = (int)(nd + j + 2);
        glp_set_row_bnds(lp, r, GLP_UP, 0.0, 0.0);
        ++nz;
        ia[nz] = r, ja[nz] = (int)j + 1, ar[nz] = -c->cap[j];
    }
    for (uint64_t e = 0; e < np; e++) {
        uint32_t i = fl->dem[e], j = c->pcand[e];
        int col = (int)(nc + e + 1), rv = (int)(nd + nc + 2 + e);
        ++nz;
        ia[nz] = (int)i + 2, ja[nz] = col, ar[nz] = 1.0;
        ++nz;
        ia[nz] = (int)(nd + j + 2), ja[nz] = col, ar[nz] = 1.0;
        glp_set_row_bnds(lp, rv, GLP_UP, 0.0, 0.0);
        ++nz;
        ia[nz] = rv, ja[nz] = col, ar[nz] = 1.0;
        ++nz;
        ia[nz] = rv, ja[nz] = (int)j + 1, ar[nz] = -fl->w[i];
    }
    glp_load_matrix(lp, (int)nz, ia, ja, ar);
    int term = glp_term_out(GLP_OFF);
    glp_smcp sp;
    glp_init_smcp(&sp);
    sp.msg_lev = GLP_MSG_OFF;
    sp.presolve = GLP_ON;
    sp.tm_lim = (int)fmin(1e9, (time_limit_s > 0 ? time_limit_s : 600.0) * 1000.0);
    int rc = glp_simplex(lp, &sp);
    if (rc != 0 || glp_get_status(lp) != GLP_OPT) {
        if (!mip || rc == GLP_ETMLIM) { /* the LP bound is optional: without it the other bounds stand */
            if (mip) {
                cc__warn(ctx, "The exact solve reached its time limit in the LP relaxation; the answer is the heuristic's, with its bound");
                *q_out = 0;
            }
            if (proven) *proven = false;
            *value = *bound = INFINITY;
            goto done;
        }
        st = cc__fail(ctx, rc == GLP_ETMLIM ? CC_ERR_LIMIT : CC_ERR_INTERNAL,
                      "GLPK could not solve the capacitated LP relaxation (code %d, status %d)%s", rc, glp_get_status(lp),
                      rc == GLP_ETMLIM ? ": parameter time_limit_s reached" : "");
        goto done;
    }
    *value = *bound = glp_get_obj_val(lp);
    if (proven) *proven = false;
    if (mip) {
        (void)start;
        (void)start_q;
        bool optimal;
        if ((st = cc__glpk_intopt(ctx, lp, time_limit_s, "capacitated", value, &optimal))) goto done;
        if (proven) *proven = optimal;
        if (optimal) *bound = *value;
        uint32_t q = 0;
        for (uint32_t j = 0; j < c->nnew; j++)
            if (glp_mip_col_val(lp, (int)j + 1) > 0.5) S_out[q++] = j;
        *q_out = q;
    }
done:
    glp_term_out(term);
    glp_delete_prob(lp);
    CC__FREE_ALL(ia, ja, ar);
    return st;
}

cc_status cc__cap_glpk(cc_ctx *ctx, const cc__fl *fl, const double *cap, uint32_t nnew, const double *obj, uint32_t p, bool mip, double time_limit_s,
                       double *value, double *bound, bool *proven, uint32_t *S_out, uint32_t *q_out)
{
    cf c;
    cc_status st = cf_init(ctx, fl, cap, nnew, &c);
    if (st) return st;
    st = cmclp_glpk(ctx, &c, obj, p, mip, time_limit_s, NULL, 0, value, bound, proven, S_out, q_out);
    cf_free(&c);
    return st;
}

size_t cc__cap_glpk_nonzeros(const cc__fl *fl)
{
    return glpk_nnz(fl);
}

static int cmp_desc(const void *a, const void *b)
{
    double x = *(const double *)a, y = *(const double *)b;
    return x > y ? -1 : x < y;
}

/* Data-dependent submodular bound: F(S) + the p largest marginal gains w.r.t. S. */
static double online_bound(cf *c, const uint32_t *S, uint32_t q, uint32_t p, double *scratch)
{
    double F = cf_value(c, S, q);
    uint32_t n = 0;
    for (uint32_t j = 0; j < c->nnew; j++)
        if (!c->open[j]) scratch[n++] = cf_gain(c, j);
    qsort(scratch, n, sizeof(double), cmp_desc);
    double b = F;
    for (uint32_t k = 0; k < p && k < n; k++) b += scratch[k];
    return b;
}

/* The checks of the parameters, before any work. */
static cc_status check_params(cc_ctx *ctx, const cc_site_instance *in, const cc_site_params *pr)
{
    const uint32_t nc = in->n_candidates;
    if (!pr->p) return cc__fail(ctx, CC_ERR_PARAM, "Parameter p is 0: give at least one new site");
    if (!in->capacity && !(pr->capacity_persons > 0 && isfinite(pr->capacity_persons)))
        return cc__fail(ctx, CC_ERR_PARAM, "Parameter capacity_persons is %g: give the persons one new site can serve, above 0", pr->capacity_persons);
    for (uint32_t j = 0; in->capacity && j < nc; j++)
        if (!(in->capacity[j] >= 0) || !isfinite(in->capacity[j]))
            return cc__fail(ctx, CC_ERR_PARAM, "Candidate %u has capacity %g (parameter capacity_persons): capacities must be finite and not negative", j,
                            in->capacity[j]);
    for (uint32_t k = 0; k < in->n_fixed; k++)
        if (!in->fixed_capacity || !(in->fixed_capacity[k] >= 0) || !isfinite(in->fixed_capacity[k]))
            return cc__fail(ctx, CC_ERR_PARAM, "Existing facility %u has capacity %g: capacities must be finite and not negative", k,
                            in->fixed_capacity ? in->fixed_capacity[k] : NAN);
    if (in->n_fixed && !in->fixed_first) return cc__fail(ctx, CC_ERR_PARAM, "The capacitated existing facilities lack their coverage sets");
    if (in->area) return cc__fail(ctx, CC_ERR_PARAM, "The capacitated model takes no per-area limits");
    if (pr->p > nc) return cc__fail(ctx, CC_ERR_PARAM, "Parameter p (%u) is more than the %u candidate sites", pr->p, nc);
    return CC_OK;
}

/* No p new sites add more than their p largest capacities, each capped by the people it reaches. */
static double capacity_bound(const cc__fl *fl, const double *cap, uint32_t nc, uint32_t p, double *scratch)
{
    for (uint32_t j = 0; j < nc; j++) {
        double reach = 0;
        for (uint64_t e = fl->first[j]; e < fl->first[j + 1]; e++) reach += fl->w[fl->dem[e]];
        scratch[j] = fmin(cap[j], reach);
    }
    qsort(scratch, nc, sizeof(double), cmp_desc);
    double cb = 0;
    for (uint32_t k = 0; k < p && k < nc; k++) cb += scratch[k];
    return cb;
}

/* GLPK's integer programme from the heuristic's answer S (q sites, served F): its answer replaces S
 * when better; a proof sets *bound, a time limit keeps the LP relaxation's bound when lower. */
static cc_status exact_step(cc_ctx *ctx, cf *c, const cc__fl *fl, const cc_site_params *pr, uint32_t *S, uint32_t *q, uint32_t *S2,
                            double *F, double *bound, const char **method, bool *proven)
{
    size_t mip_max = pr->exact_max_nonzeros ? pr->exact_max_nonzeros : 2000000;
    if (glpk_nnz(fl) > mip_max)
        return cc__fail(ctx, CC_ERR_LIMIT,
                        "The capacitated integer programme has %zu non-zeros (%u candidates, %u demand classes), above the limit of %zu for an exact "
                        "solve; drop parameter exact (the bound and gap still come with the answer) or reduce the candidates",
                        glpk_nnz(fl), fl->n_cand, fl->n_dem, mip_max);
    double v, b;
    uint32_t q2 = 0;
    cc_status st = cmclp_glpk(ctx, c, NULL, pr->p, true, pr->time_limit_s, S, *q, &v, &b, proven, S2, &q2);
    if (st) return st;
    double F2 = cf_value(c, S2, q2);
    if (F2 > *F + 1e-9 * (*F + 1)) { /* the exact answer is better: take it */
        memcpy(S, S2, q2 * sizeof(uint32_t));
        *q = q2;
        *F = F2;
    }
    if (*proven) {
        *bound = fmax(*F, b);
    } else if (b < *bound) { /* stopped by the time limit: the LP relaxation still bounds */
        *bound = b;
        *method = "lp";
    }
    return CC_OK;
}

/* Rank the q sites of S: each adds the most served to those before it (in_s zeroed, q entries). */
static void rank_sites(cf *c, const uint32_t *S, uint32_t q, uint8_t *in_s, cc__sol *si)
{
    cf_reset(c);
    cf_maxflow(c);
    for (uint32_t r = 0; r < q; r++) {
        uint32_t best = CC_INVALID_ID;
        double bg = -1;
        for (uint32_t k = 0; k < q; k++) {
            if (in_s[S[k]]) continue;
            double g = cf_gain(c, S[k]);
            if (g > bg + 1e-12 * (fabs(bg) + 1)) {
                bg = g;
                best = S[k];
            }
        }
        in_s[best] = 1;
        c->open[best] = 1;
        cf_maxflow(c);
        si->sites[r] = best;
        si->gain[r] = bg;
    }
}

/* The served population of each site in the final flow, and the people within reach of a new or
 * capacitated existing site. */
static cc_status served_and_reach(cc_ctx *ctx, const cf *c, const cc__fl *fl, cc__sol *si, uint32_t q, double *reach)
{
    uint8_t *hit = cc__calloc_array((size_t)fl->n_dem + 1, 1);
    if (!hit) return cc__fail(ctx, CC_ERR_NOMEM, "Out of memory for the capacitated model");
    for (uint32_t r = 0; r < q; r++) si->served[r] = c->out[si->sites[r]];
    for (uint32_t j = 0; j < c->nc; j++) {
        if (!c->open[j]) continue;
        for (uint64_t e = fl->first[j]; e < fl->first[j + 1]; e++) hit[fl->dem[e]] = 1;
    }
    *reach = 0;
    for (uint32_t i = 0; i < fl->n_dem; i++) *reach += hit[i] ? fl->w[i] : 0.0;
    free(hit);
    return CC_OK;
}

cc_status cc__solve_cmclp(cc_ctx *ctx, const cc_site_instance *in, const cc_site_params *pr, cc__sol **out)
{
    *out = NULL;
    const uint32_t nnew = in->n_candidates, nc = nnew + in->n_fixed; /* new candidates, then the capacitated existing sites */
    cc_status st = check_params(ctx, in, pr);
    if (st) return st;
    double t0 = cc__now();
    cc__fl fl = {0};
    cf c = {0};
    cc__sol *si = NULL;
    double *cap = NULL, *ub = NULL, *gain = NULL, *scratch = NULL;
    uint32_t *S = NULL, *S2 = NULL;
    uint8_t *in_s = NULL;
    uint64_t *first = NULL;
    uint32_t *dem = NULL;
    if ((st = cc__with_fixed(ctx, in, &first, &dem, NULL))) return st;
    st = cc__fl_reduce(ctx, nc, in->n_demand, first ? first : in->first, first ? dem : in->demand, NULL, NULL, in->weight, in->covered, NULL, &fl);
    CC__FREE_ALL(first, dem);
    if (st) return st;
    double t_red = cc__now() - t0;
    cap = cc__malloc_array((size_t)nc + 1, sizeof(double));
    ub = cc__malloc_array((size_t)nc + 1, sizeof(double));
    gain = cc__malloc_array((size_t)nc + 1, sizeof(double));
    scratch = cc__malloc_array((size_t)nc + 1, sizeof(double));
    S = cc__malloc_array((size_t)nc + 1, sizeof(uint32_t));
    S2 = cc__malloc_array((size_t)nc + 1, sizeof(uint32_t));
    in_s = cc__calloc_array((size_t)nc + 1, 1);
    if (!cap || !ub || !gain || !scratch || !S || !S2 || !in_s) {
        st = cc__fail(ctx, CC_ERR_NOMEM, "Out of memory for the capacitated model");
        goto out;
    }
    for (uint32_t j = 0; j < nnew; j++) cap[j] = in->capacity ? in->capacity[j] : pr->capacity_persons;
    for (uint32_t j = nnew; j < nc; j++) cap[j] = in->fixed_capacity[j - nnew];
    if ((st = cf_init(ctx, &fl, cap, nnew, &c))) goto out;
    double covered_before, total;
    cc__site_weights(in, true, &covered_before, &total);
    const double F0 = cf_value(&c, NULL, 0); /* served by the capacitated existing sites alone */
    /* heuristic */
    double t1 = cc__now();
    uint32_t q = greedy(&c, pr->p, ub, S, gain);
    double F = c.total, Fg = F;
    for (uint32_t k = 0; k < q; k++) in_s[S[k]] = 1;
    /* swaps cost q x candidates max flows: only where that stays small */
    int moves = 0;
    bool stopped = false;
    if (q) moves = swaps(&c, S, q, &F, in_s, &stopped);
    double t_heur = cc__now() - t1;
    /* bound */
    t1 = cc__now();
    double bound = online_bound(&c, S, q, pr->p, scratch);
    const char *method = "greedy-submodular";
    double cb = F0 + capacity_bound(&fl, cap, nnew, pr->p, scratch);
    if (cb < bound) {
        bound = cb;
        method = "capacity";
    }
    size_t lp_max = pr->lp_max_nonzeros ? pr->lp_max_nonzeros : 100000;
    if (bound - F > 1e-9 * (F + 1) && glpk_nnz(&fl) <= lp_max) {
        double v, b;
        if ((st = cmclp_glpk(ctx, &c, NULL, pr->p, false, 60, NULL, 0, &v, &b, NULL, NULL, NULL))) goto out;
        if (b < bound) {
            bound = b;
            method = "lp";
        }
    }
    double t_bound = cc__now() - t1, t_exact = 0;
    bool proven = false;
    if (pr->exact) {
        t1 = cc__now();
        if ((st = exact_step(ctx, &c, &fl, pr, S, &q, S2, &F, &bound, &method, &proven))) goto out;
        t_exact = cc__now() - t1;
    }
    bound = fmax(bound, F);
    /* rank: each site adds the most served to those before it */
    if ((st = cc__sol_new(ctx, pr, q, 0, &si))) goto out;
    if (!(si->served = cc__malloc_array(q ? q : 1, sizeof(double)))) {
        st = cc__fail(ctx, CC_ERR_NOMEM, "Out of memory for the capacitated model");
        goto out;
    }
    memset(in_s, 0, (size_t)nc + 1);
    rank_sites(&c, S, q, in_s, si);
    double reach = 0;
    if ((st = served_and_reach(ctx, &c, &fl, si, q, &reach))) goto out;
    cc_site_solution *s = &si->pub;
    s->site_served = si->served;
    s->objective = covered_before + c.total;
    s->bound = covered_before + bound;
    s->objective_greedy = covered_before + Fg;
    double gained = c.total - F0; /* the gap is measured on what the new sites add, as MCLP's */
    s->gap = bound - c.total <= 1e-9 * (bound + 1) ? 0.0 : gained > 0 ? (bound - c.total) / gained : INFINITY;
    s->proven_optimal = s->gap == 0;
    s->bound_method = proven ? "mip" : method;
    s->covered_before = covered_before + F0; /* served before within capacity */
    s->total_weight = total;
    s->covered_share = total > 0 ? (covered_before + reach) / total : 0; /* within reach, capacity ignored */
    s->unserved_within = reach - c.total;
    s->unreachable_weight = fl.w_nopair;
    s->swaps = moves;
    s->local_search_skipped = stopped;
    s->demand_classes = fl.n_dem;
    s->pairs_reduced = fl.first[fl.n_cand];
    s->t_reduce_s = t_red;
    s->t_heuristic_s = t_heur;
    s->t_bound_s = t_bound;
    s->t_exact_s = t_exact;
    s->t_total_s = cc__now() - t0;
    *out = si;
    si = NULL;
out:
    cc_site_solution_destroy(si ? &si->pub : NULL);
    cf_free(&c);
    cc__fl_free(&fl);
    CC__FREE_ALL(cap, ub, gain, scratch, S, S2, in_s);
    return st;
}
