/*
 * dsm.c - the double standard model (Gendreau, Laporte & Semet 1997) for ambulance siting.
 *
 * Two time standards r1 < r2. p ambulances go to candidate stations, at most max_per_station at
 * one (Gendreau et al.: p_j = 2); the existing stations hold one ambulance each (base counts).
 *
 *     max  sum_i w_i y2_i                                  (within r1 of two or more ambulances)
 *     s.t. b2_i + sum_{j in W2_i} x_j >= 1                 (each i that some station reaches within r2)
 *          sum_i w_i y1_i >= alpha W                       (a share alpha within r1; W = all population)
 *          y1_i + y2_i <= b1_i + sum_{j in W1_i} x_j       (each i)
 *          y2_i <= y1_i,  sum_j x_j = p,  0 <= x_j <= max_per_station integer,  y in {0, 1}
 *
 * W1_i, W2_i: candidates within r1, r2 of i; b1_i, b2_i: existing ambulances within r1, r2. The r2
 * constraint is written only for people that an existing or candidate station reaches within r2:
 * nobody can cover the others, and Gendreau's model (every point reachable) would be infeasible.
 *
 * Demand points with the same (b1, b2) and the same candidates within r1 and r2 are one class
 * (exact: every term is a function of those), as for MEXCLP.
 *
 * Heuristic: greedy, each ambulance where it improves most the lexicographic score (population
 * within r2 of the people that can be reached, then population within r1 up to alpha W, then
 * population covered twice within r1), then single-ambulance moves (take one away, put it where it
 * helps most) while one improves the score. A plan that meets both standards is feasible.
 * A second start rounds the LP relaxation's ambulances down and fills and moves the same way; the
 * better of the two plans stays. Bound: the LP relaxation (GLPK). Exact: GLPK's branch and bound, on request or when the merged
 * programme is small. When no plan found meets both standards, the LP (or the branch and bound)
 * tells whether none exists; the best share within r1 any plan can reach is bounded by the LP of
 * max sum w_i y1_i under the r2 constraints (without them when they cannot be met).
 */
#include <float.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include <glpk.h>

#include "site_internal.h"

/* the merged instance: pairs by candidate, class ids, and whether the pair is within r1 */
typedef struct dsm_red {
    uint32_t nc, nd;
    uint64_t *first;
    uint32_t *dem;
    uint8_t *in1;
    uint32_t *b1, *b2;
    uint8_t *reach2; /* within r2 of an existing or candidate station */
    double *w;
} dsm_red;

static void red_free(dsm_red *r)
{
    CC__FREE_ALL(r->first, r->dem, r->in1, r->b1, r->b2, r->reach2, r->w);
}

typedef struct hid {
    uint64_t h;
    uint32_t i;
} hid;

static int cmp_hid(const void *a, const void *b)
{
    const hid *x = a, *y = b;
    return x->h < y->h ? -1 : x->h > y->h ? 1 : x->i < y->i ? -1 : x->i > y->i;
}

/* Merge demand points with equal (b1, b2, candidates within r1, candidates within r2). A pair's key
 * is 2 j + (within r1). Demand with weight 0 is dropped. */
static cc_status reduce(cc_ctx *ctx, const cc_site_instance *in, const cc_site_params *pr, dsm_red *r)
{
    const uint32_t nc = in->n_candidates, nd = in->n_demand;
    const size_t np = (size_t)in->first[nc];
    cc_status st = CC_OK;
    uint64_t *tf = cc__calloc_array((size_t)nd + 1, sizeof(uint64_t));
    uint32_t *tk = cc__malloc_array(np ? np : 1, sizeof(uint32_t));
    uint32_t *cls = cc__malloc_array(nd ? nd : 1, sizeof(uint32_t));
    uint32_t *reps = cc__malloc_array(nd ? nd : 1, sizeof(uint32_t));
    hid *v = cc__malloc_array(nd ? nd : 1, sizeof(hid));
    uint64_t *pos = cc__malloc_array((size_t)nd + (size_t)nc + 2, sizeof(uint64_t));
    memset(r, 0, sizeof(*r));
    if (!tf || !tk || !cls || !reps || !v || !pos) goto nomem;
    for (size_t e = 0; e < np; e++)
        if (in->time_ms[e] <= pr->outer_ms) tf[in->demand[e] + 1]++;
    for (uint32_t i = 0; i < nd; i++) tf[i + 1] += tf[i];
    memcpy(pos, tf, ((size_t)nd + 1) * sizeof(uint64_t));
    for (uint32_t j = 0; j < nc; j++)
        for (uint64_t e = in->first[j]; e < in->first[j + 1]; e++)
            if (in->time_ms[e] <= pr->outer_ms) tk[pos[in->demand[e]]++] = 2 * j + (in->time_ms[e] <= pr->inner_ms); /* ascending j */
#define B1(i) (pr->base_count ? pr->base_count[i] : 0u)
#define B2(i) (pr->base_count_outer ? pr->base_count_outer[i] : 0u)
    uint32_t nv = 0;
    for (uint32_t i = 0; i < nd; i++) {
        if (!(in->weight[i] > 0)) continue;
        uint64_t h = 1469598103934665603ull;
        h = (h ^ B1(i)) * 1099511628211ull;
        h = (h ^ B2(i)) * 1099511628211ull;
        for (uint64_t e = tf[i]; e < tf[i + 1]; e++) h = (h ^ tk[e]) * 1099511628211ull;
        h = (h ^ (tf[i + 1] - tf[i])) * 1099511628211ull;
        v[nv++] = (hid){h, i};
    }
    qsort(v, nv, sizeof(hid), cmp_hid);
    uint32_t ncls = 0;
    for (uint32_t a = 0; a < nv;) {
        uint32_t b = a;
        while (b < nv && v[b].h == v[a].h) b++;
        uint32_t c0 = ncls;
        for (uint32_t k = a; k < b; k++) {
            uint32_t i = v[k].i, c = CC_INVALID_ID;
            for (uint32_t cc = c0; cc < ncls && c == CC_INVALID_ID; cc++) {
                uint32_t q = reps[cc];
                if (B1(q) != B1(i) || B2(q) != B2(i) || tf[q + 1] - tf[q] != tf[i + 1] - tf[i]) continue;
                if (!memcmp(tk + tf[q], tk + tf[i], (size_t)(tf[i + 1] - tf[i]) * sizeof(uint32_t))) c = cc;
            }
            if (c == CC_INVALID_ID) {
                c = ncls++;
                reps[c] = i;
            }
            cls[i] = c;
        }
        a = b;
    }
    r->nc = nc;
    r->nd = ncls;
    r->first = cc__calloc_array((size_t)nc + 1, sizeof(uint64_t));
    r->b1 = cc__calloc_array(ncls ? ncls : 1, sizeof(uint32_t));
    r->b2 = cc__calloc_array(ncls ? ncls : 1, sizeof(uint32_t));
    r->reach2 = cc__calloc_array(ncls ? ncls : 1, 1);
    r->w = cc__calloc_array(ncls ? ncls : 1, sizeof(double));
    size_t nrp = 0;
    for (uint32_t c = 0; c < ncls; c++) nrp += (size_t)(tf[reps[c] + 1] - tf[reps[c]]);
    r->dem = cc__malloc_array(nrp ? nrp : 1, sizeof(uint32_t));
    r->in1 = cc__malloc_array(nrp ? nrp : 1, 1);
    if (!r->first || !r->b1 || !r->b2 || !r->reach2 || !r->w || !r->dem || !r->in1) goto nomem;
    for (uint32_t k = 0; k < nv; k++) r->w[cls[v[k].i]] += in->weight[v[k].i];
    for (uint32_t c = 0; c < ncls; c++) {
        uint32_t q = reps[c];
        r->b1[c] = B1(q);
        r->b2[c] = B2(q);
        r->reach2[c] = B2(q) > 0 || tf[q + 1] > tf[q];
        for (uint64_t e = tf[q]; e < tf[q + 1]; e++) r->first[tk[e] / 2 + 1]++;
    }
#undef B1
#undef B2
    for (uint32_t j = 0; j < nc; j++) r->first[j + 1] += r->first[j];
    memcpy(pos, r->first, ((size_t)nc + 1) * sizeof(uint64_t));
    for (uint32_t c = 0; c < ncls; c++)
        for (uint64_t e = tf[reps[c]]; e < tf[reps[c] + 1]; e++) {
            uint64_t at = pos[tk[e] / 2]++;
            r->dem[at] = c;
            r->in1[at] = tk[e] & 1;
        }
    goto out;
nomem:
    st = cc__fail(ctx, CC_ERR_NOMEM, "Out of memory for the double standard model");
    red_free(r);
out:
    CC__FREE_ALL(tf, tk, cls, reps, v, pos);
    return st;
}

/* ---- the heuristic --------------------------------------------------------------------------- */

typedef struct score {
    double c2, c1, tw; /* within r2 (reachable people), within r1 up to alpha W, twice within r1 */
} score;

typedef struct ds {
    const dsm_red *r;
    uint32_t p, maxps;
    double need1, eps;
    uint32_t *n1, *n2; /* new ambulances within r1, r2 of each class */
    uint32_t *x;
    double cov2, cov1, twice; /* totals (existing + new) */
} ds;

static int cmp_score(const score *a, const score *b, double eps)
{
    if (a->c2 > b->c2 + eps) return 1;
    if (a->c2 < b->c2 - eps) return -1;
    if (a->c1 > b->c1 + eps) return 1;
    if (a->c1 < b->c1 - eps) return -1;
    if (a->tw > b->tw + eps) return 1;
    if (a->tw < b->tw - eps) return -1;
    return 0;
}

static score cur(const ds *m)
{
    return (score){m->cov2, fmin(m->cov1, m->need1), m->twice};
}

static void place(ds *m, uint32_t j, int d)
{
    const dsm_red *r = m->r;
    m->x[j] = (uint32_t)((int)m->x[j] + d);
    for (uint64_t e = r->first[j]; e < r->first[j + 1]; e++) {
        uint32_t c = r->dem[e];
        uint32_t t2 = r->b2[c] + m->n2[c];
        if (d > 0 && t2 == 0 && r->reach2[c]) m->cov2 += r->w[c];
        if (d < 0 && t2 == 1 && r->reach2[c]) m->cov2 -= r->w[c];
        m->n2[c] = (uint32_t)((int)m->n2[c] + d);
        if (!r->in1[e]) continue;
        uint32_t t1 = r->b1[c] + m->n1[c];
        if (d > 0) {
            if (t1 == 0) m->cov1 += r->w[c];
            if (t1 == 1) m->twice += r->w[c];
        } else {
            if (t1 == 1) m->cov1 -= r->w[c];
            if (t1 == 2) m->twice -= r->w[c];
        }
        m->n1[c] = (uint32_t)((int)m->n1[c] + d);
    }
}

/* The score with one more ambulance at j. */
static score with_one_more(const ds *m, uint32_t j)
{
    const dsm_red *r = m->r;
    double d2 = 0, d1 = 0, dt = 0;
    for (uint64_t e = r->first[j]; e < r->first[j + 1]; e++) {
        uint32_t c = r->dem[e];
        if (r->reach2[c] && r->b2[c] + m->n2[c] == 0) d2 += r->w[c];
        if (!r->in1[e]) continue;
        uint32_t t1 = r->b1[c] + m->n1[c];
        if (t1 == 0) d1 += r->w[c];
        else if (t1 == 1) dt += r->w[c];
    }
    return (score){m->cov2 + d2, fmin(m->cov1 + d1, m->need1), m->twice + dt};
}

static uint32_t best_add(const ds *m)
{
    uint32_t best = CC_INVALID_ID;
    score bs = {-1, -1, -1};
    for (uint32_t j = 0; j < m->r->nc; j++) {
        if (m->x[j] >= m->maxps) continue;
        score s = with_one_more(m, j);
        if (best == CC_INVALID_ID || cmp_score(&s, &bs, m->eps) > 0) {
            bs = s;
            best = j;
        }
    }
    return best;
}

/* Greedy: the ambulances not placed yet, each where it improves the score most. */
static void greedy_fill(ds *m)
{
    uint32_t n = 0;
    for (uint32_t j = 0; j < m->r->nc; j++) n += m->x[j];
    for (; n < m->p; n++) {
        uint32_t j = best_add(m);
        if (j == CC_INVALID_ID) break;
        place(m, j, +1);
    }
}

/* Single-ambulance moves while one improves the score. */
static void local_moves(ds *m, int *moves)
{
    for (int pass = 0; pass < 1000; pass++) {
        bool improved = false;
        for (uint32_t a = 0; a < m->r->nc; a++) {
            if (!m->x[a]) continue;
            score s0 = cur(m);
            place(m, a, -1);
            uint32_t b = best_add(m);
            place(m, b, +1);
            score s1 = cur(m);
            if (b != a && cmp_score(&s1, &s0, m->eps) > 0) {
                (*moves)++;
                improved = true;
            } else {
                place(m, b, -1);
                place(m, a, +1);
            }
        }
        if (!improved) break;
    }
}

static void heuristic(ds *m, int *moves, double *obj_greedy)
{
    greedy_fill(m);
    *obj_greedy = m->twice;
    local_moves(m, moves);
}

/* ---- GLPK ------------------------------------------------------------------------------------ */

enum { MODE_DSM, MODE_MAX1_R2, MODE_MAX1 };

static size_t dsm_nonzeros(const dsm_red *r)
{
    return (size_t)r->nc + 2 * (size_t)r->first[r->nc] + 5 * (size_t)r->nd;
}

/* The programme in @p mode: MODE_DSM the model above; MODE_MAX1_R2 max sum w y1 under the r2
 * constraints (no alpha row, no y2); MODE_MAX1 the same without the r2 constraints. *feasible: the
 * LP (mip = false) or the branch and bound found a solution; *value its objective (LP value, or the
 * best integer one); *proven: the MIP is optimal. */
static cc_status glpk_dsm(cc_ctx *ctx, const dsm_red *r, const ds *m, int mode, bool mip, double tlim, bool *feasible, double *value,
                          uint32_t *x_out, double *xlp_out, bool *proven)
{
    const uint32_t nc = r->nc, nd = r->nd;
    size_t cap = dsm_nonzeros(r) + 2;
    int *ia = cc__malloc_array(cap, sizeof(int)), *ja = cc__malloc_array(cap, sizeof(int));
    double *ar = cc__malloc_array(cap, sizeof(double));
    cc_status st = CC_OK;
    *feasible = false;
    *value = NAN;
    if (proven) *proven = false;
    if (!ia || !ja || !ar) {
        CC__FREE_ALL(ia, ja, ar);
        return cc__fail(ctx, CC_ERR_NOMEM, "Out of memory for the double standard programme");
    }
    glp_prob *lp = glp_create_prob();
    glp_set_obj_dir(lp, GLP_MAX);
    /* columns: x_j (1..nc), y1_c (nc+1..nc+nd), y2_c (nc+nd+1..nc+2nd) */
    glp_add_cols(lp, (int)(nc + 2 * nd));
    for (uint32_t j = 0; j < nc; j++) {
        glp_set_col_bnds(lp, (int)j + 1, GLP_DB, 0.0, (double)m->maxps);
        if (mip) glp_set_col_kind(lp, (int)j + 1, GLP_IV);
    }
    for (uint32_t c = 0; c < 2 * nd; c++) {
        int col = (int)(nc + c) + 1;
        bool y2 = c >= nd;
        if (y2 && mode != MODE_DSM) glp_set_col_bnds(lp, col, GLP_FX, 0.0, 0.0);
        else glp_set_col_bnds(lp, col, GLP_DB, 0.0, 1.0);
        if (mip) glp_set_col_kind(lp, col, GLP_BV);
        glp_set_obj_coef(lp, col, (mode == MODE_DSM) == y2 ? r->w[y2 ? c - nd : c] : 0.0);
    }
    /* rows: 1 budget, 2 alpha, 2 + c + 1 = r1 coupling of c, 2 + nd + c + 1 = r2 of c, then y2 <= y1 */
    glp_add_rows(lp, (int)(2 + 3 * nd));
    glp_set_row_bnds(lp, 1, GLP_FX, (double)m->p, (double)m->p);
    glp_set_row_bnds(lp, 2, mode == MODE_DSM ? GLP_LO : GLP_FR, m->need1, 0.0);
    size_t nz = 0;
#define NZ(r_, c_, v_) (++nz, ia[nz] = (r_), ja[nz] = (c_), ar[nz] = (v_))
    for (uint32_t j = 0; j < nc; j++) NZ(1, (int)j + 1, 1.0);
    for (uint32_t c = 0; c < nd; c++) {
        int y1 = (int)(nc + c) + 1, y2 = (int)(nc + nd + c) + 1;
        NZ(2, y1, r->w[c]);
        int row1 = 3 + (int)c, row2 = 3 + (int)nd + (int)c, row3 = 3 + 2 * (int)nd + (int)c;
        glp_set_row_bnds(lp, row1, GLP_UP, 0.0, (double)r->b1[c]); /* y1 + y2 - sum x <= b1 */
        NZ(row1, y1, 1.0);
        NZ(row1, y2, 1.0);
        bool r2 = mode != MODE_MAX1 && r->reach2[c] && r->b2[c] == 0;
        if (r2) glp_set_row_bnds(lp, row2, GLP_LO, 1.0, 0.0); /* sum x within r2 >= 1 */
        else glp_set_row_bnds(lp, row2, GLP_FR, 0.0, 0.0);
        glp_set_row_bnds(lp, row3, GLP_UP, 0.0, 0.0); /* y2 - y1 <= 0 */
        NZ(row3, y2, 1.0);
        NZ(row3, y1, -1.0);
    }
    for (uint32_t j = 0; j < nc; j++)
        for (uint64_t e = r->first[j]; e < r->first[j + 1]; e++) {
            uint32_t c = r->dem[e];
            if (r->in1[e]) NZ(3 + (int)c, (int)j + 1, -1.0);
            NZ(3 + (int)nd + (int)c, (int)j + 1, 1.0);
        }
#undef NZ
    glp_load_matrix(lp, (int)nz, ia, ja, ar);
    int term = glp_term_out(GLP_OFF);
    glp_smcp sp;
    glp_init_smcp(&sp);
    sp.msg_lev = GLP_MSG_OFF;
    sp.presolve = GLP_ON; /* reports infeasibility without a basis */
    int rc = glp_simplex(lp, &sp);
    if (rc == GLP_ENOPFS) goto done; /* infeasible */
    if (rc != 0) {
        st = cc__fail(ctx, CC_ERR_INTERNAL, "GLPK could not solve the double standard relaxation (code %d)", rc);
        goto done;
    }
    int ls = glp_get_status(lp);
    if (ls == GLP_NOFEAS) goto done;
    if (ls != GLP_OPT) {
        st = cc__fail(ctx, CC_ERR_INTERNAL, "GLPK could not solve the double standard relaxation (status %d)", ls);
        goto done;
    }
    *value = glp_get_obj_val(lp);
    *feasible = true;
    for (uint32_t j = 0; xlp_out && j < nc; j++) xlp_out[j] = glp_get_col_prim(lp, (int)j + 1);
    if (!mip) goto done;
    glp_iocp ip;
    glp_init_iocp(&ip);
    ip.msg_lev = GLP_MSG_OFF;
    ip.presolve = GLP_ON;
    ip.tm_lim = (int)fmin(1e9, (tlim > 0 ? tlim : 600.0) * 1000.0);
    rc = glp_intopt(lp, &ip);
    int ms = glp_mip_status(lp);
    *feasible = ms == GLP_OPT || ms == GLP_FEAS;
    if (ms == GLP_NOFEAS) {
        if (proven) *proven = true; /* proven: no integer solution */
        goto done;
    }
    if (!*feasible) {
        *value = NAN;
        goto done;
    }
    *value = glp_mip_obj_val(lp);
    if (proven) *proven = ms == GLP_OPT && rc == 0;
    for (uint32_t j = 0; x_out && j < nc; j++) x_out[j] = (uint32_t)llround(glp_mip_col_val(lp, (int)j + 1));
done:
    glp_term_out(term);
    glp_delete_prob(lp);
    CC__FREE_ALL(ia, ja, ar);
    return st;
}

/* ---- the solver ------------------------------------------------------------------------------ */

static bool meets(const ds *m, double reach2, double *out_c1)
{
    *out_c1 = m->cov1;
    return m->cov2 >= reach2 - m->eps && m->cov1 >= m->need1 - m->eps;
}

cc_status cc__solve_dsm(cc_ctx *ctx, const cc_site_instance *in, const cc_site_params *pr, cc__sol **out)
{
    *out = NULL;
    if (!pr->p) return cc__fail(ctx, CC_ERR_PARAM, "Parameter p is 0: place at least one ambulance");
    if (!(pr->alpha >= 0 && pr->alpha <= 1))
        return cc__fail(ctx, CC_ERR_PARAM, "Parameter alpha is %g: give a share of the population from 0 to 1 (e.g. 0.95)", pr->alpha);
    if (!(pr->inner_ms < pr->outer_ms))
        return cc__fail(ctx, CC_ERR_PARAM, "Parameter outer_minutes (%.3f) must be above parameter minutes (%.3f)", pr->outer_ms / 60000.0,
                        pr->inner_ms / 60000.0);
    if (in->n_candidates == 0) return cc__fail(ctx, CC_ERR_PARAM, "There are no candidate sites");
    if (!in->time_ms && in->first[in->n_candidates]) return cc__fail(ctx, CC_ERR_PARAM, "The double standard model needs pair times");
    const uint32_t maxps = pr->max_per_station ? pr->max_per_station : 2;
    if ((uint64_t)maxps * in->n_candidates < pr->p)
        return cc__fail(ctx, CC_ERR_PARAM, "Parameter p (%u ambulances) is more than %u candidate stations hold at parameter max_per_station %u", pr->p,
                        in->n_candidates, maxps);
    for (uint64_t e = 0; e < in->first[in->n_candidates]; e++)
        if (in->demand[e] >= in->n_demand) return cc__fail(ctx, CC_ERR_PARAM, "Demand id %u out of range (%u demand points)", in->demand[e], in->n_demand);
    double t0 = cc__now();
    dsm_red red;
    cc_status st = reduce(ctx, in, pr, &red);
    if (st) return st;
    double t_red = cc__now() - t0, wsum = 0, reach2 = 0, before1 = 0, before2 = 0, twice0 = 0;
    for (uint32_t i = 0; i < in->n_demand; i++) wsum += in->weight[i];
    const double W = in->total_weight > 0 ? in->total_weight : wsum;
    for (uint32_t c = 0; c < red.nd; c++) {
        reach2 += red.reach2[c] ? red.w[c] : 0;
        before2 += red.b2[c] ? red.w[c] : 0;
        before1 += red.b1[c] ? red.w[c] : 0;
        twice0 += red.b1[c] >= 2 ? red.w[c] : 0;
    }
    ds m = {.r = &red, .p = pr->p, .maxps = maxps, .need1 = pr->alpha * W, .eps = 1e-9 * (W + 1)};
    m.n1 = cc__calloc_array((size_t)red.nd + 1, sizeof(uint32_t));
    m.n2 = cc__calloc_array((size_t)red.nd + 1, sizeof(uint32_t));
    m.x = cc__calloc_array((size_t)red.nc + 1, sizeof(uint32_t));
    uint32_t *xe = cc__calloc_array((size_t)red.nc + 1, sizeof(uint32_t));
    cc__sol *si = NULL;
    uint8_t *used = cc__calloc_array((size_t)red.nc + 1, 1);
    if (!m.n1 || !m.n2 || !m.x || !xe || !used) {
        st = cc__fail(ctx, CC_ERR_NOMEM, "Out of memory for the double standard model");
        goto out;
    }
    m.cov2 = before2, m.cov1 = before1, m.twice = twice0;
    int moves = 0;
    double obj_greedy, c1;
    double t1 = cc__now();
    heuristic(&m, &moves, &obj_greedy);
    double t_heur = cc__now() - t1;
    t1 = cc__now();
    bool feas = meets(&m, reach2, &c1), lp_feas, proven = false, infeasible_proven = false, lp_rounding_won = false;
    double lp, bound = NAN, share_bound = NAN;
    const size_t nnz = dsm_nonzeros(&red);
    const bool exact = pr->exact || (pr->auto_exact_nonzeros >= 0 && nnz <= (size_t)(pr->auto_exact_nonzeros ? pr->auto_exact_nonzeros : 20000));
    const size_t mip_max = pr->exact_max_nonzeros ? pr->exact_max_nonzeros : 2000000;
    if (pr->exact && nnz > mip_max) {
        st = cc__fail(ctx, CC_ERR_LIMIT, "The double standard programme has %zu non-zeros, more than the exact limit %zu (parameter exact_max_nonzeros)", nnz,
                      mip_max);
        goto out;
    }
    double *xlp = cc__malloc_array((size_t)red.nc + 1, sizeof(double));
    if (!xlp) {
        st = cc__fail(ctx, CC_ERR_NOMEM, "Out of memory for the double standard model");
        goto out;
    }
    st = glpk_dsm(ctx, &red, &m, MODE_DSM, false, 0, &lp_feas, &lp, NULL, xlp, NULL);
    double t_bound = cc__now() - t1;
    if (!st && lp_feas) {
        /* a second start: the LP's ambulances rounded down, the rest greedy, then moves; the better plan stays */
        t1 = cc__now();
        score s1 = cur(&m);
        memcpy(xe, m.x, (size_t)red.nc * sizeof(uint32_t));
        for (uint32_t j = 0; j < red.nc; j++)
            while (m.x[j]) place(&m, j, -1);
        for (uint32_t j = 0; j < red.nc; j++) {
            uint32_t k = (uint32_t)fmin((double)maxps, floor(xlp[j] + 1e-6));
            while (k--) place(&m, j, +1);
        }
        greedy_fill(&m);
        int mv = 0;
        local_moves(&m, &mv);
        score s2 = cur(&m);
        if (cmp_score(&s2, &s1, m.eps) > 0) {
            moves += mv;
            lp_rounding_won = true;
        } else {
            for (uint32_t j = 0; j < red.nc; j++)
                while (m.x[j]) place(&m, j, -1);
            for (uint32_t j = 0; j < red.nc; j++)
                for (uint32_t k = 0; k < xe[j]; k++) place(&m, j, +1);
        }
        feas = meets(&m, reach2, &c1);
        t_heur += cc__now() - t1;
    }
    free(xlp);
    if (st) goto out;
    cc__debug(ctx, "DSM: %u demand classes, heuristic %s (greedy %.1f, %d moves), LP %s %.1f", red.nd,
              lp_rounding_won ? "from the LP rounding" : "from the greedy start", obj_greedy, moves, lp_feas ? "bound" : "infeasible", lp);
    if (!lp_feas) infeasible_proven = true;
    else bound = fmax(lp * (1 + 1e-9) + 1e-9, feas ? m.twice : -INFINITY);
    t1 = cc__now();
    if (exact && lp_feas && nnz <= mip_max) {
        bool mfeas, mproven;
        double v;
        if ((st = glpk_dsm(ctx, &red, &m, MODE_DSM, true, pr->time_limit_s, &mfeas, &v, xe, NULL, &mproven))) goto out;
        if (mfeas && (!feas || v > m.twice + m.eps)) { /* the exact answer is better (or the only feasible one): take it */
            for (uint32_t j = 0; j < red.nc; j++)
                while (m.x[j]) place(&m, j, -1);
            for (uint32_t j = 0; j < red.nc; j++)
                for (uint32_t k = 0; k < xe[j]; k++) place(&m, j, +1);
            feas = meets(&m, reach2, &c1);
        }
        if (!mfeas && mproven) infeasible_proven = true;
        if (mfeas && mproven) {
            bound = fmax(m.twice, v);
            proven = fabs(v - m.twice) <= 1e-9 * (fabs(v) + 1);
        }
    }
    double t_exact = cc__now() - t1;
    if (!feas) {
        /* the best share within r1: the LP of max sum w y1 under the r2 constraints, or without them */
        bool f2;
        double v2;
        if ((st = glpk_dsm(ctx, &red, &m, MODE_MAX1_R2, false, 0, &f2, &v2, NULL, NULL, NULL))) goto out;
        if (!f2 && (st = glpk_dsm(ctx, &red, &m, MODE_MAX1, false, 0, &f2, &v2, NULL, NULL, NULL))) goto out;
        share_bound = W > 0 && f2 ? fmin(1.0, fmax(v2 * (1 + 1e-9) + 1e-9, m.cov1) / W) : NAN;
    }
    /* the stations, ranked: each adds the most twice-covered population (with its ambulances) */
    uint32_t ns = 0;
    for (uint32_t j = 0; j < red.nc; j++) ns += m.x[j] > 0;
    if ((st = cc__sol_new(ctx, pr, ns, 0, &si))) goto out;
    if (!(si->count = cc__malloc_array(ns ? ns : 1, sizeof(uint32_t)))) {
        st = cc__fail(ctx, CC_ERR_NOMEM, "Out of memory for the double standard model");
        goto out;
    }
    memcpy(xe, m.x, (size_t)red.nc * sizeof(uint32_t)); /* the plan; m goes back to the existing ambulances */
    for (uint32_t j = 0; j < red.nc; j++)
        while (m.x[j]) place(&m, j, -1);
    for (uint32_t s = 0; s < ns; s++) {
        uint32_t best = CC_INVALID_ID;
        score bs = {-1, -1, -1};
        for (uint32_t j = 0; j < red.nc; j++) {
            if (!xe[j] || used[j]) continue;
            for (uint32_t k = 0; k < xe[j]; k++) place(&m, j, +1);
            score sc = {m.twice, m.cov1, m.cov2};
            for (uint32_t k = 0; k < xe[j]; k++) place(&m, j, -1);
            if (best == CC_INVALID_ID || cmp_score(&sc, &bs, m.eps) > 0) {
                bs = sc;
                best = j;
            }
        }
        double tw0 = m.twice;
        for (uint32_t k = 0; k < xe[best]; k++) place(&m, best, +1);
        used[best] = 1;
        si->sites[s] = best;
        si->gain[s] = m.twice - tw0;
        si->count[s] = xe[best];
    }
    cc_site_solution *s = &si->pub;
    s->site_count = si->count;
    s->objective = m.twice;
    s->objective_greedy = obj_greedy;
    s->covered_before = before1;
    s->covered_once = m.cov1;
    s->total_weight = W;
    s->covered_share = W > 0 ? m.cov1 / W : 0;
    s->covered_twice = m.twice;
    s->covered_twice_before = twice0;
    s->outer_before = before2;
    s->outer_after = m.cov2;
    s->outer_reachable = reach2;
    s->outer_met = m.cov2 >= reach2 - m.eps;
    s->alpha_met = m.cov1 >= m.need1 - m.eps;
    s->feasible = feas;
    s->infeasible_proven = !feas && infeasible_proven;
    s->best_share = W > 0 ? m.cov1 / W : 0;
    s->best_share_bound = feas ? NAN : share_bound;
    if (feas) {
        s->bound = bound;
        double gained = s->objective - twice0;
        s->gap = s->bound - s->objective <= 1e-9 * (fabs(s->bound) + 1) ? 0.0 : gained > 0 ? (s->bound - s->objective) / gained : INFINITY;
        s->proven_optimal = proven || s->gap == 0;
        s->bound_method = proven ? "mip" : "lp";
    } else {
        s->bound = s->gap = NAN;
        s->bound_method = infeasible_proven ? "infeasible" : "none";
    }
    s->swaps = moves;
    s->demand_classes = red.nd;
    s->pairs_reduced = red.first[red.nc];
    s->t_reduce_s = t_red;
    s->t_heuristic_s = t_heur;
    s->t_bound_s = t_bound;
    s->t_exact_s = t_exact;
    s->t_total_s = cc__now() - t0;
    *out = si;
    si = NULL;
out:
    cc_site_solution_destroy(si ? &si->pub : NULL);
    CC__FREE_ALL(m.n1, m.n2, m.x, xe, used);
    red_free(&red);
    return st;
}
