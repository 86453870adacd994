/*
 * robust.c - robust siting over several variants of one study (issue 18): max-min coverage,
 * min-max regret (absolute or relative) and expected coverage, see cc_site_robust.h.
 *
 * max_min and min_max_regret are one problem: maximise min_v f_v(cov_v(S)) with f_v affine
 * (max_min: f = cov; absolute regret: f = cov - lo_v = -regret; relative: f = cov / lo_v - 1).
 * Heuristic: a greedy on the minimum (ties by the sum), then best-improvement swaps on
 * (minimum, sum) in lexicographic order. Bound: min_v f_v(hi_v) from the variants' own bounds,
 * the LP relaxation through GLPK when it is small enough, and the integer programme (exact)
 * when asked or small. expected is an MCLP on the union of (variant, demand) with weighted
 * populations, solved by cc_site_solve() with its own bound.
 *
 * The time models minimise. p-median max_min and regret: min max_v g_v(mean_v(S)), g_v affine,
 * with the same greedy and swaps on (maximum, sum), bounds from the variants' own lower bounds,
 * GLPK's strong assignment model (LP, or the integer programme when small or asked) or Lagrangian
 * rounds over union p-medians; expected: one union p-median. p-centre max_min and regret: one
 * union p-centre (absolute regret: each variant's times shifted by max_u opt_u - opt_v; relative:
 * the times ranked by t / opt_v over every variant), then
 * swaps that keep its worst time and lower the other variants'. Per-area limits hold throughout
 * (cc__cons in the heuristics, rows in the GLPK models, the instances' areas in cc_site_solve).
 */
#include <glpk.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "carecircle/cc_site_robust.h"
#include "site_internal.h"

const char *cc_robust_objective_name(cc_robust_objective o)
{
    switch (o) {
    case CC_ROBUST_MAX_MIN: return "max_min";
    case CC_ROBUST_MIN_MAX_REGRET: return "min_max_regret";
    case CC_ROBUST_EXPECTED: return "expected";
    }
    return "?";
}

static double base_cov(const cc_site_instance *in)
{
    double b = in->extra_covered_weight;
    if (in->covered)
        for (uint32_t i = 0; i < in->n_demand; i++)
            if (in->covered[i]) b += in->weight[i];
    return b;
}

double cc_site_robust_coverage(const cc_site_instance *in, const uint32_t *S, uint32_t q)
{
    uint8_t *hit = calloc(in->n_demand ? in->n_demand : 1, 1);
    if (!hit) return NAN;
    double c = base_cov(in);
    for (uint32_t r = 0; r < q; r++) {
        uint32_t j = S[r];
        if (j >= in->n_candidates) continue;
        for (uint64_t k = in->first[j]; k < in->first[j + 1]; k++) {
            uint32_t i = in->demand[k];
            if (hit[i] || (in->covered && in->covered[i])) continue;
            hit[i] = 1;
            c += in->weight[i];
        }
    }
    free(hit);
    return c;
}

/* Time of each demand point under S (ms): min(base, times of S's pairs below it). */
static void time_under(const cc_site_instance *in, const uint32_t *S, uint32_t q, uint32_t *d)
{
    for (uint32_t i = 0; i < in->n_demand; i++) d[i] = in->base_time_ms[i];
    for (uint32_t r = 0; r < q; r++) {
        uint32_t j = S[r];
        if (j >= in->n_candidates) continue;
        for (uint64_t k = in->first[j]; k < in->first[j + 1]; k++)
            if (in->time_ms[k] < d[in->demand[k]]) d[in->demand[k]] = in->time_ms[k];
    }
}

/* p-centre: demand that neither a facility nor any candidate reaches within the radius stays at
 * it whatever is chosen, and is left out of the worst time (as cc_site_solve's p-centre). */
static bool pc_left_out(const cc_site_instance *in, const uint8_t *useful, uint32_t i)
{
    return in->radius_ms && in->base_time_ms[i] >= in->radius_ms && !useful[i];
}

/* useful[i]: some candidate reaches i faster than its base time. */
static uint8_t *useful_pairs(const cc_site_instance *in)
{
    uint8_t *u = calloc(in->n_demand ? in->n_demand : 1, 1);
    if (!u) return NULL;
    for (uint64_t k = 0; k < in->first[in->n_candidates]; k++)
        if (in->time_ms[k] < in->base_time_ms[in->demand[k]]) u[in->demand[k]] = 1;
    return u;
}

double cc_site_robust_value(const cc_site_instance *in, cc_site_model model, const uint32_t *S, uint32_t q)
{
    if (model == CC_SITE_MCLP || model == CC_SITE_LSCP) return cc_site_robust_coverage(in, S, q);
    if (model != CC_SITE_PMEDIAN && model != CC_SITE_PCENTER) return NAN;
    uint32_t *d = calloc(in->n_demand ? in->n_demand : 1, sizeof(uint32_t));
    uint8_t *u = model == CC_SITE_PCENTER ? useful_pairs(in) : NULL;
    if (!d || (model == CC_SITE_PCENTER && !u)) {
        free(d), free(u);
        return NAN;
    }
    time_under(in, S, q, d);
    double val = 0, wsum = 0, tsum = 0;
    for (uint32_t i = 0; i < in->n_demand; i++) {
        if (!(in->weight[i] > 0)) continue;
        if (model == CC_SITE_PMEDIAN) wsum += in->weight[i], tsum += in->weight[i] * (double)d[i];
        else if (!pc_left_out(in, u, i) && d[i] > val) val = d[i];
    }
    if (model == CC_SITE_PMEDIAN) val = wsum > 0 ? tsum / wsum : 0;
    free(d), free(u);
    return val / 1000.0;
}

double cc_site_robust_regret(const cc_robust_solution *R, size_t v, double value)
{
    return R->model == CC_SITE_MCLP ? R->opt[v] - value : value - R->opt[v];
}

void cc_robust_solution_destroy(cc_robust_solution *s)
{
    if (!s) return;
    free((void *)s->sites);
    free((void *)s->cov);
    free((void *)s->opt);
    free((void *)s->opt_bound);
    free((void *)s->opt_proven);
    free((void *)s->regret);
    free((void *)s->own_first);
    free((void *)s->own_sites);
    free((void *)s->cross);
    free((void *)s->total);
    free(s);
}

/* ---- the max-min family -------------------------------------------------------------------- */

typedef struct mm {
    const cc_site_instance *v;
    size_t n;
    uint32_t nc;
    double *a, *b;     /* f_v(c) = a_v c + b_v */
    uint32_t **cnt;    /* per variant, per demand: chosen sites covering it */
    double *cov;       /* per variant */
    double *gain;      /* n x nc */
} mm;

static void mm_add(mm *m, uint32_t j, int d)
{
    for (size_t v = 0; v < m->n; v++) {
        const cc_site_instance *in = &m->v[v];
        for (uint64_t k = in->first[j]; k < in->first[j + 1]; k++) {
            uint32_t i = in->demand[k];
            if (in->covered && in->covered[i]) continue;
            if (d > 0) {
                if (m->cnt[v][i]++ == 0) m->cov[v] += in->weight[i];
            } else {
                if (--m->cnt[v][i] == 0) m->cov[v] -= in->weight[i];
            }
        }
    }
}

/* gain[v * nc + j] = population of v that j would newly cover */
static void mm_gains(mm *m)
{
    for (size_t v = 0; v < m->n; v++) {
        const cc_site_instance *in = &m->v[v];
        double *g = m->gain + v * m->nc;
        for (uint32_t j = 0; j < m->nc; j++) {
            double s = 0;
            for (uint64_t k = in->first[j]; k < in->first[j + 1]; k++) {
                uint32_t i = in->demand[k];
                if (!m->cnt[v][i] && !(in->covered && in->covered[i])) s += in->weight[i];
            }
            g[j] = s;
        }
    }
}

/* (minimum, sum) of f after adding j's gains to covs c */
static void mm_score(const mm *m, const double *c, uint32_t j, double *mn, double *sum)
{
    double lo = INFINITY, s = 0;
    for (size_t v = 0; v < m->n; v++) {
        double f = m->a[v] * (c[v] + (j == UINT32_MAX ? 0 : m->gain[v * m->nc + j])) + m->b[v];
        if (f < lo) lo = f;
        s += f;
    }
    *mn = lo;
    *sum = s;
}

static bool better(double mn, double sum, double bmn, double bsum)
{
    double e1 = 1e-9 * (1 + fabs(bmn)), e2 = 1e-9 * (1 + fabs(bsum));
    return mn > bmn + e1 || (mn >= bmn - e1 && sum > bsum + e2);
}

/* greedy + swaps; S has room for p; returns q */
static uint32_t mm_heuristic(cc_ctx *ctx, mm *m, const cc__cons *c, cc__cstate *cs, uint32_t p, uint32_t *S, uint8_t *in_s)
{
    uint32_t q = 0;
    cc__cstate_reset(c, cs);
    while (q < p) {
        mm_gains(m);
        double bmn = -INFINITY, bsum = -INFINITY;
        uint32_t bj = UINT32_MAX;
        for (uint32_t j = 0; j < m->nc; j++) {
            if (in_s[j] || !cc__cstate_can_add(c, cs, j)) continue;
            double mn, sum;
            mm_score(m, m->cov, j, &mn, &sum);
            if (bj == UINT32_MAX || better(mn, sum, bmn, bsum)) bmn = mn, bsum = sum, bj = j;
        }
        if (bj == UINT32_MAX) break;
        double cmn, csum;
        mm_score(m, m->cov, UINT32_MAX, &cmn, &csum);
        if (!better(bmn, bsum, cmn, csum) && cs->deficit == 0) break; /* nothing helps any more */
        S[q++] = bj;
        in_s[bj] = 1;
        cc__cstate_add(c, cs, bj);
        mm_add(m, bj, +1);
    }
    double *c0 = malloc(m->n * sizeof(double));
    if (!c0) return q;
    for (int it = 0; it < 10000 && !cc__interrupted(ctx); it++) {
        double cmn, csum;
        mm_score(m, m->cov, UINT32_MAX, &cmn, &csum);
        double bmn = cmn, bsum = csum;
        uint32_t br = UINT32_MAX, bk = UINT32_MAX;
        for (uint32_t r = 0; r < q; r++) {
            uint32_t j = S[r];
            mm_add(m, j, -1);
            mm_gains(m);
            memcpy(c0, m->cov, m->n * sizeof(double));
            for (uint32_t k = 0; k < m->nc; k++) {
                if (in_s[k] || !cc__cstate_can_swap(c, cs, j, k)) continue;
                double mn, sum;
                mm_score(m, c0, k, &mn, &sum);
                if (better(mn, sum, bmn, bsum)) bmn = mn, bsum = sum, br = r, bk = k;
            }
            mm_add(m, j, +1);
        }
        if (br == UINT32_MAX) break;
        uint32_t j = S[br];
        mm_add(m, j, -1);
        cc__cstate_remove(c, cs, j);
        in_s[j] = 0;
        S[br] = bk;
        in_s[bk] = 1;
        cc__cstate_add(c, cs, bk);
        mm_add(m, bk, +1);
    }
    free(c0);
    return q;
}

typedef struct trip {
    int *ia, *ja;
    double *ar;
    size_t n, cap;
} trip;

static bool tadd(trip *t, int i, int j, double v)
{
    if (t->n + 2 > t->cap) {
        size_t nc = t->cap ? 2 * t->cap : 1024;
        int *ia = realloc(t->ia, nc * sizeof(int)), *ja = ia ? realloc(t->ja, nc * sizeof(int)) : NULL;
        if (ia) t->ia = ia;
        if (ja) t->ja = ja;
        double *ar = ja ? realloc(t->ar, nc * sizeof(double)) : NULL;
        if (!ar) return false;
        t->ar = ar;
        t->cap = nc;
    }
    t->n++;
    t->ia[t->n] = i;
    t->ja[t->n] = j;
    t->ar[t->n] = v;
    return true;
}

static size_t mm_nonzeros(const mm *m)
{
    size_t nz = m->nc;
    for (size_t v = 0; v < m->n; v++) nz += 3 * (size_t)m->v[v].first[m->nc] + 1;
    return nz;
}

/* GLPK on max z, z <= f_v(base_v + sum w y): LP bound (mip false) or exact. *ub: upper bound
 * on max min f; *val and S/q: the MIP's answer when it has one. */
static cc_status mm_glpk(cc_ctx *ctx, const mm *m, const cc__cons *c, bool mip, double tlim, const uint32_t *S0, uint32_t q0,
                         double *ub, bool *proven, double *val, uint32_t *S, uint32_t *q)
{
    glp_prob *lp = glp_create_prob();
    glp_set_obj_dir(lp, GLP_MAX);
    int nc = (int)m->nc;
    glp_add_cols(lp, nc);
    for (int j = 1; j <= nc; j++) {
        glp_set_col_bnds(lp, j, GLP_DB, 0.0, 1.0);
        if (mip) glp_set_col_kind(lp, j, GLP_BV);
    }
    trip t = {0};
    cc_status st = CC_OK;
    int row = 0;
    int **yrow = calloc(m->n, sizeof(int *));
    if (!yrow) st = CC_ERR_NOMEM;
    for (size_t v = 0; v < m->n && !st; v++) {
        const cc_site_instance *in = &m->v[v];
        yrow[v] = calloc(in->n_demand ? in->n_demand : 1, sizeof(int));
        if (!yrow[v]) { st = CC_ERR_NOMEM; break; }
        for (uint32_t j = 0; j < m->nc; j++)
            for (uint64_t k = in->first[j]; k < in->first[j + 1]; k++) {
                uint32_t i = in->demand[k];
                if ((in->covered && in->covered[i]) || in->weight[i] <= 0) continue;
                if (!yrow[v][i]) {
                    yrow[v][i] = ++row;
                    glp_add_rows(lp, 1);
                    glp_set_row_bnds(lp, row, GLP_UP, 0.0, 0.0);
                }
                if (!tadd(&t, yrow[v][i], (int)j + 1, -1.0)) st = CC_ERR_NOMEM;
            }
    }
    /* y columns: one per y row, same index order */
    int ny = row, zc = nc + ny + 1;
    if (!st) {
        if (ny) glp_add_cols(lp, ny);
        for (int r = 1; r <= ny && !st; r++) {
            glp_set_col_bnds(lp, nc + r, GLP_DB, 0.0, 1.0);
            if (!tadd(&t, r, nc + r, 1.0)) st = CC_ERR_NOMEM;
        }
        glp_add_cols(lp, 1);
        glp_set_col_bnds(lp, zc, GLP_FR, 0.0, 0.0);
        glp_set_obj_coef(lp, zc, 1.0);
    }
    for (size_t v = 0; v < m->n && !st; v++) {
        const cc_site_instance *in = &m->v[v];
        int r = glp_add_rows(lp, 1);
        glp_set_row_bnds(lp, r, GLP_UP, 0.0, m->a[v] * base_cov(in) + m->b[v]);
        if (!tadd(&t, r, zc, 1.0)) st = CC_ERR_NOMEM;
        for (uint32_t i = 0; i < in->n_demand && !st; i++)
            if (yrow[v][i] && m->a[v] != 0 && !tadd(&t, r, nc + yrow[v][i], -m->a[v] * in->weight[i])) st = CC_ERR_NOMEM;
    }
    if (!st) {
        int r = glp_add_rows(lp, 1);
        glp_set_row_bnds(lp, r, GLP_UP, 0.0, (double)c->p);
        for (int j = 1; j <= nc && !st; j++)
            if (!tadd(&t, r, j, 1.0)) st = CC_ERR_NOMEM;
    }
    if (!st && c->area) {
        for (uint32_t a = 0; a < c->n_areas && !st; a++) {
            bool hasmax = c->amax[a] != UINT32_MAX, hasmin = c->amin[a] > 0;
            if (!hasmax && !hasmin) continue;
            int r = glp_add_rows(lp, 1);
            if (hasmax && hasmin)
                glp_set_row_bnds(lp, r, c->amin[a] == c->amax[a] ? GLP_FX : GLP_DB, (double)c->amin[a], (double)c->amax[a]);
            else if (hasmax) glp_set_row_bnds(lp, r, GLP_UP, 0.0, (double)c->amax[a]);
            else glp_set_row_bnds(lp, r, GLP_LO, (double)c->amin[a], 0.0);
            for (uint32_t j = 0; j < m->nc && !st; j++)
                if (c->area[j] == a && !tadd(&t, r, (int)j + 1, 1.0)) st = CC_ERR_NOMEM;
        }
    }
    for (size_t v = 0; v < m->n && yrow; v++) free(yrow[v]);
    free(yrow);
    if (st) {
        glp_delete_prob(lp);
        free(t.ia), free(t.ja), free(t.ar);
        return cc__fail(ctx, CC_ERR_NOMEM, "Out of memory");
    }
    glp_load_matrix(lp, (int)t.n, t.ia, t.ja, t.ar);
    free(t.ia), free(t.ja), free(t.ar);
    int term = glp_term_out(GLP_OFF);
    glp_smcp sp;
    glp_init_smcp(&sp);
    sp.msg_lev = GLP_MSG_OFF;
    sp.it_lim = 50 * (glp_get_num_rows(lp) + glp_get_num_cols(lp)) + 10000;
    int rc = glp_simplex(lp, &sp);
    *proven = false;
    if (rc == 0 && glp_get_status(lp) == GLP_OPT) {
        double v = glp_get_obj_val(lp);
        double b = v + 1e-7 * (fabs(v) + 1.0);
        if (b < *ub) *ub = b;
        if (mip) {
            glp_iocp ip;
            glp_init_iocp(&ip);
            ip.msg_lev = GLP_MSG_OFF;
            ip.mip_gap = 0.0;
            if (tlim > 0) ip.tm_lim = (int)fmin(tlim * 1000.0, 2e9);
            (void)S0, (void)q0;
            rc = glp_intopt(lp, &ip);
            int ms = glp_mip_status(lp);
            if ((ms == GLP_OPT || ms == GLP_FEAS) && S && q) {
                *val = glp_mip_obj_val(lp);
                uint32_t n = 0;
                for (int j = 1; j <= nc; j++)
                    if (glp_mip_col_val(lp, j) > 0.5) S[n++] = (uint32_t)(j - 1);
                *q = n;
                if (ms == GLP_OPT && rc == 0) {
                    /* proven: the optimum is the MIP's value (the caller re-evaluates the sites
                     * exactly and keeps the better of them and its own answer) */
                    if (*val < *ub) *ub = *val;
                    *proven = true;
                }
            }
        }
    }
    glp_term_out(term);
    glp_delete_prob(lp);
    return CC_OK;
}


/* One instance over the union of (variant, demand), the populations of variant v times coef[v]:
 * for MCLP its objective is sum_v coef_v cov_v(S), and its bound bounds that sum over every S;
 * for the p-median it is sum_v coef_v (sum of w t over v) / 1000 / (sum_v coef_v W_v). The time
 * models take shift[v] ms onto every time of variant v (NULL: none); with @p pcenter the demand
 * that the p-centre leaves out (pc_left_out) gets weight 0 and the union has no radius. */
static cc_status union_solve(cc_ctx *ctx, const cc_site_instance *V, size_t n, const double *coef, const uint32_t *shift, bool pcenter,
                             const cc_site_params *sp, cc_site_solution **sol)
{
    uint32_t nc = V[0].n_candidates;
    bool timed = sp->model == CC_SITE_PMEDIAN || sp->model == CC_SITE_PCENTER;
    uint64_t np = 0;
    uint32_t nd = 0;
    for (size_t v = 0; v < n; v++) np += V[v].first[nc], nd += V[v].n_demand;
    uint64_t *first = calloc((size_t)nc + 1, sizeof(uint64_t));
    uint32_t *dem = calloc(np ? np : 1, sizeof(uint32_t));
    uint32_t *tm = timed ? calloc(np ? np : 1, sizeof(uint32_t)) : NULL, *bt = timed ? calloc(nd ? nd : 1, sizeof(uint32_t)) : NULL;
    double *w = calloc(nd ? nd : 1, sizeof(double));
    uint8_t *covd = calloc(nd ? nd : 1, 1);
    cc_status st = CC_OK;
    if (!first || !dem || !w || !covd || (timed && (!tm || !bt))) st = cc__fail(ctx, CC_ERR_NOMEM, "Out of memory");
    cc_site_instance U = V[0];
    if (!st) {
        double extra = 0, total = 0;
        uint32_t off = 0;
        for (size_t v = 0; v < n && !st; v++) {
            double wv = coef[v], sw = 0;
            uint32_t sh = shift ? shift[v] : 0;
            uint8_t *u = pcenter ? useful_pairs(&V[v]) : NULL;
            if (pcenter && !u) {
                st = cc__fail(ctx, CC_ERR_NOMEM, "Out of memory");
                break;
            }
            for (uint32_t i = 0; i < V[v].n_demand; i++) {
                w[off + i] = wv * V[v].weight[i];
                if (pcenter && pc_left_out(&V[v], u, i)) w[off + i] = 0;
                covd[off + i] = V[v].covered ? V[v].covered[i] : 0;
                if (timed) bt[off + i] = V[v].base_time_ms[i] + sh;
                sw += V[v].weight[i];
            }
            free(u);
            extra += wv * V[v].extra_covered_weight;
            total += wv * (V[v].total_weight > 0 ? V[v].total_weight : sw + V[v].extra_covered_weight);
            off += V[v].n_demand;
        }
        uint64_t k = 0;
        for (uint32_t j = 0; j < nc; j++) {
            first[j] = k;
            off = 0;
            for (size_t v = 0; v < n; v++) {
                for (uint64_t e = V[v].first[j]; e < V[v].first[j + 1]; e++) {
                    if (timed) tm[k] = V[v].time_ms[e] + (shift ? shift[v] : 0);
                    dem[k++] = off + V[v].demand[e];
                }
                off += V[v].n_demand;
            }
        }
        first[nc] = k;
        U.n_demand = nd, U.first = first, U.demand = dem, U.time_ms = tm, U.weight = w, U.covered = timed ? NULL : covd;
        U.base_time_ms = bt, U.radius_ms = pcenter ? 0 : V[0].radius_ms;
        U.extra_covered_weight = timed ? 0 : extra, U.total_weight = timed ? 0 : (total > 0 ? total : 1);
    }
    if (!st) st = cc_site_solve(ctx, &U, sp, sol);
    free(first), free(dem), free(w), free(covd), free(tm), free(bt);
    return st;
}

/* The writable arrays of a cc_robust_solution (the public struct shows them const). */
typedef struct rb_arrays {
    double *cov, *opt, *optb, *reg, *cross;
    bool *optp;
    uint32_t *ofirst, *osites, *S;
} rb_arrays;

/* ---- the time models --------------------------------------------------------------------------
 * p-median minimax and regret: minimise max_v g_v(S), g_v = a_v mean_v(S) + b_v (mean in seconds).
 * Heuristic: greedy on (maximum, sum), then best-improvement swaps; bound: the variants' own
 * bounds, GLPK (LP, or the integer programme when small or asked) or Lagrangian rounds over the
 * union p-median. */

typedef struct tmm {
    const cc_site_instance *v;
    size_t n;
    uint32_t nc;
    double *a, *b;      /* g_v(mean_s) = a_v mean_s + b_v */
    double *W;          /* per variant: population in the mean (weights > 0) */
    uint32_t **d, **d2; /* per variant per demand: time under S, and under S without one site (ms) */
    double *tot, *tot2; /* per variant: sum of w d, and of w d2 */
    /* p-centre (the polish after the union solve): g_v = a_v worst_v(S) + b_v */
    bool center;
    uint8_t **use;      /* per variant: pc_left_out is false (demand in the worst time) */
    uint32_t **low, **stamp, gen; /* per variant: scratch of tm_score */
    size_t *ord;        /* tm_swaps: variants by g without the site swapped out, worst first */
    double *gr;
} tmm;

/* Reset dd/tt to the base times, then take the sites S except position @p skip. */
static void tm_set(const tmm *m, uint32_t **dd, double *tt, const uint32_t *S, uint32_t q, uint32_t skip)
{
    for (size_t v = 0; v < m->n; v++) {
        const cc_site_instance *in = &m->v[v];
        double t = 0;
        for (uint32_t i = 0; i < in->n_demand; i++) {
            dd[v][i] = in->base_time_ms[i];
            if (in->weight[i] > 0) t += in->weight[i] * (double)dd[v][i];
        }
        for (uint32_t r = 0; r < q; r++) {
            if (r == skip) continue;
            uint32_t j = S[r];
            for (uint64_t k = in->first[j]; k < in->first[j + 1]; k++) {
                uint32_t i = in->demand[k];
                if (in->time_ms[k] < dd[v][i]) {
                    if (in->weight[i] > 0) t -= in->weight[i] * (double)(dd[v][i] - in->time_ms[k]);
                    dd[v][i] = in->time_ms[k];
                }
            }
        }
        tt[v] = t;
    }
}

/* g_v of variant v with times dd[v] (and sum tt[v] for the p-median) after adding j (UINT32_MAX: nothing) */
static double tm_g(tmm *m, size_t v, uint32_t *const *dd, const double *tt, uint32_t j)
{
    const cc_site_instance *in = &m->v[v];
    if (m->center) { /* the worst time over the demand in it */
        uint32_t z = 0, gen = ++m->gen;
        if (j != UINT32_MAX)
            for (uint64_t k = in->first[j]; k < in->first[j + 1]; k++) {
                uint32_t i = in->demand[k];
                m->low[v][i] = in->time_ms[k] < dd[v][i] ? in->time_ms[k] : dd[v][i];
                m->stamp[v][i] = gen;
            }
        for (uint32_t i = 0; i < in->n_demand; i++) {
            if (!m->use[v][i]) continue;
            uint32_t t = m->stamp[v][i] == gen ? m->low[v][i] : dd[v][i];
            if (t > z) z = t;
        }
        return m->a[v] * (z / 1000.0) + m->b[v];
    }
    double t = tt[v];
    if (j != UINT32_MAX)
        for (uint64_t k = in->first[j]; k < in->first[j + 1]; k++) {
            uint32_t i = in->demand[k];
            if (in->time_ms[k] < dd[v][i] && in->weight[i] > 0) t -= in->weight[i] * (double)(dd[v][i] - in->time_ms[k]);
        }
    return m->a[v] * (m->W[v] > 0 ? t / m->W[v] / 1000.0 : 0) + m->b[v];
}

/* (maximum, sum) of g with times dd/tt after adding j (UINT32_MAX: nothing) */
static void tm_score(tmm *m, uint32_t *const *dd, const double *tt, uint32_t j, double *mx, double *sum)
{
    double hi = -INFINITY, s = 0;
    for (size_t v = 0; v < m->n; v++) {
        double g = tm_g(m, v, dd, tt, j);
        if (g > hi) hi = g;
        s += g;
    }
    *mx = hi;
    *sum = s;
}

/* (mx, sum) better than (bmx, bsum) for a minimisation */
static bool better_min(double mx, double sum, double bmx, double bsum)
{
    return better(-mx, -sum, -bmx, -bsum);
}

/* greedy + swaps; returns q */
static uint32_t tm_heuristic(tmm *m, const cc__cons *c, cc__cstate *cs, uint32_t p, uint32_t *S, uint8_t *in_s)
{
    uint32_t q = 0;
    cc__cstate_reset(c, cs);
    tm_set(m, m->d, m->tot, S, 0, UINT32_MAX);
    while (q < p) {
        double bmx = INFINITY, bsum = INFINITY;
        uint32_t bj = UINT32_MAX;
        for (uint32_t j = 0; j < m->nc; j++) {
            if (in_s[j] || !cc__cstate_can_add(c, cs, j)) continue;
            double mx, sum;
            tm_score(m, m->d, m->tot, j, &mx, &sum);
            if (bj == UINT32_MAX || better_min(mx, sum, bmx, bsum)) bmx = mx, bsum = sum, bj = j;
        }
        if (bj == UINT32_MAX) break;
        double cmx, csum;
        tm_score(m, m->d, m->tot, UINT32_MAX, &cmx, &csum);
        if (!better_min(bmx, bsum, cmx, csum) && cs->deficit == 0) break;
        S[q++] = bj;
        in_s[bj] = 1;
        cc__cstate_add(c, cs, bj);
        tm_set(m, m->d, m->tot, S, q, UINT32_MAX);
    }
    return q;
}

/* Best-improvement swaps on (maximum, sum) from the sites S (q, flagged in in_s, counted in cs):
 * the maximum never grows. */
static void tm_swaps(cc_ctx *ctx, tmm *m, const cc__cons *c, cc__cstate *cs, uint32_t *S, uint32_t q, uint8_t *in_s)
{
    tm_set(m, m->d, m->tot, S, q, UINT32_MAX);
    for (int it = 0; it < 10000 && !cc__interrupted(ctx); it++) {
        double bmx, bsum;
        tm_score(m, m->d, m->tot, UINT32_MAX, &bmx, &bsum);
        uint32_t br = UINT32_MAX, bk = UINT32_MAX;
        for (uint32_t r = 0; r < q; r++) {
            tm_set(m, m->d2, m->tot2, S, q, r);
            /* the variants worst off without S[r] first: a swap that leaves one of them above the
             * best maximum so far cannot be better, and is dropped without the others */
            for (size_t v = 0; v < m->n; v++) m->ord[v] = v, m->gr[v] = tm_g(m, v, m->d2, m->tot2, UINT32_MAX);
            for (size_t a = 1; a < m->n; a++)
                for (size_t b = a; b > 0 && m->gr[m->ord[b]] > m->gr[m->ord[b - 1]]; b--) {
                    size_t t = m->ord[b];
                    m->ord[b] = m->ord[b - 1], m->ord[b - 1] = t;
                }
            for (uint32_t k = 0; k < m->nc; k++) {
                if (in_s[k] || !cc__cstate_can_swap(c, cs, S[r], k)) continue;
                double mx = -INFINITY, sum = 0, cut = bmx + 1e-9 * (1 + fabs(bmx));
                size_t e = 0;
                for (; e < m->n; e++) {
                    double g = tm_g(m, m->ord[e], m->d2, m->tot2, k);
                    if (g > cut) break;
                    mx = fmax(mx, g), sum += g;
                }
                if (e == m->n && better_min(mx, sum, bmx, bsum)) bmx = mx, bsum = sum, br = r, bk = k;
            }
        }
        if (br == UINT32_MAX) break;
        cc__cstate_remove(c, cs, S[br]);
        in_s[S[br]] = 0;
        S[br] = bk;
        in_s[bk] = 1;
        cc__cstate_add(c, cs, bk);
        tm_set(m, m->d, m->tot, S, q, UINT32_MAX);
    }
}

static size_t tm_nonzeros(const tmm *m)
{
    size_t nz = m->nc;
    for (size_t v = 0; v < m->n; v++) nz += 3 * (size_t)m->v[v].first[m->nc] + 1;
    return nz;
}

/* Area rows and the budget row of a GLPK model whose site columns are 1..nc. */
static bool glpk_site_rows(glp_prob *lp, const cc__cons *c, uint32_t nc, trip *t)
{
    int r = glp_add_rows(lp, 1);
    glp_set_row_bnds(lp, r, GLP_UP, 0.0, (double)c->p);
    for (uint32_t j = 1; j <= nc; j++)
        if (!tadd(t, r, (int)j, 1.0)) return false;
    for (uint32_t a = 0; c->area && a < c->n_areas; a++) {
        bool hasmax = c->amax[a] != UINT32_MAX, hasmin = c->amin[a] > 0;
        if (!hasmax && !hasmin) continue;
        r = glp_add_rows(lp, 1);
        if (hasmax && hasmin)
            glp_set_row_bnds(lp, r, c->amin[a] == c->amax[a] ? GLP_FX : GLP_DB, (double)c->amin[a], (double)c->amax[a]);
        else if (hasmax) glp_set_row_bnds(lp, r, GLP_UP, 0.0, (double)c->amax[a]);
        else glp_set_row_bnds(lp, r, GLP_LO, (double)c->amin[a], 0.0);
        for (uint32_t j = 0; j < nc; j++)
            if (c->area[j] == a && !tadd(t, r, (int)j + 1, 1.0)) return false;
    }
    return true;
}

/* GLPK on min Z, Z >= g_v(S) with the strong p-median assignment (z_e <= y_j, sum_e z_e <= 1 per
 * demand point, a pair's saving w (base - t)): LP bound (mip false) or exact. *lb: lower bound on
 * min max g (raised); *val and S/q: the MIP's answer when it has one. */
static cc_status tm_glpk(cc_ctx *ctx, const tmm *m, const cc__cons *c, bool mip, double tlim, double *lb, bool *proven, double *val,
                         uint32_t *S, uint32_t *q)
{
    glp_prob *lp = glp_create_prob();
    glp_set_obj_dir(lp, GLP_MIN);
    int nc = (int)m->nc;
    glp_add_cols(lp, nc);
    for (int j = 1; j <= nc; j++) {
        glp_set_col_bnds(lp, j, GLP_DB, 0.0, 1.0);
        if (mip) glp_set_col_kind(lp, j, GLP_BV);
    }
    int zc = glp_add_cols(lp, 1);
    glp_set_col_bnds(lp, zc, GLP_FR, 0.0, 0.0);
    glp_set_obj_coef(lp, zc, 1.0);
    trip t = {0};
    bool ok = true;
    for (size_t v = 0; v < m->n && ok; v++) {
        const cc_site_instance *in = &m->v[v];
        double sc = m->W[v] > 0 ? m->a[v] / m->W[v] / 1000.0 : 0, base = 0;
        for (uint32_t i = 0; i < in->n_demand; i++)
            if (in->weight[i] > 0) base += in->weight[i] * (double)in->base_time_ms[i];
        int *arow = calloc(in->n_demand ? in->n_demand : 1, sizeof(int));
        int gr = glp_add_rows(lp, 1); /* Z + sc sum saving z >= sc base + b */
        glp_set_row_bnds(lp, gr, GLP_LO, sc * base + m->b[v], 0.0);
        ok = arow && tadd(&t, gr, zc, 1.0);
        for (uint32_t j = 0; j < m->nc && ok; j++)
            for (uint64_t k = in->first[j]; k < in->first[j + 1] && ok; k++) {
                uint32_t i = in->demand[k];
                if (!(in->weight[i] > 0) || in->time_ms[k] >= in->base_time_ms[i]) continue;
                if (!arow[i]) {
                    arow[i] = glp_add_rows(lp, 1);
                    glp_set_row_bnds(lp, arow[i], GLP_UP, 0.0, 1.0);
                }
                int zcol = glp_add_cols(lp, 1), lr = glp_add_rows(lp, 1);
                glp_set_col_bnds(lp, zcol, GLP_DB, 0.0, 1.0);
                glp_set_row_bnds(lp, lr, GLP_UP, 0.0, 0.0); /* z - y_j <= 0 */
                double save = in->weight[i] * (double)(in->base_time_ms[i] - in->time_ms[k]);
                ok = tadd(&t, lr, zcol, 1.0) && tadd(&t, lr, (int)j + 1, -1.0) && tadd(&t, arow[i], zcol, 1.0) &&
                     (sc == 0 || tadd(&t, gr, zcol, sc * save));
            }
        free(arow);
    }
    if (ok) ok = glpk_site_rows(lp, c, m->nc, &t);
    if (!ok) {
        glp_delete_prob(lp);
        free(t.ia), free(t.ja), free(t.ar);
        return cc__fail(ctx, CC_ERR_NOMEM, "Out of memory");
    }
    glp_load_matrix(lp, (int)t.n, t.ia, t.ja, t.ar);
    free(t.ia), free(t.ja), free(t.ar);
    int term = glp_term_out(GLP_OFF);
    glp_smcp sp;
    glp_init_smcp(&sp);
    sp.msg_lev = GLP_MSG_OFF;
    sp.it_lim = 50 * (glp_get_num_rows(lp) + glp_get_num_cols(lp)) + 10000;
    int rc = glp_simplex(lp, &sp);
    *proven = false;
    if (rc == 0 && glp_get_status(lp) == GLP_OPT) {
        double v = glp_get_obj_val(lp);
        double b = v - 1e-7 * (fabs(v) + 1.0);
        if (b > *lb) *lb = b;
        if (mip) {
            glp_iocp ip;
            glp_init_iocp(&ip);
            ip.msg_lev = GLP_MSG_OFF;
            ip.mip_gap = 0.0;
            if (tlim > 0) ip.tm_lim = (int)fmin(tlim * 1000.0, 2e9);
            rc = glp_intopt(lp, &ip);
            int ms = glp_mip_status(lp);
            if ((ms == GLP_OPT || ms == GLP_FEAS) && S && q) {
                *val = glp_mip_obj_val(lp);
                uint32_t n = 0;
                for (int j = 1; j <= nc; j++)
                    if (glp_mip_col_val(lp, j) > 0.5) S[n++] = (uint32_t)(j - 1);
                *q = n;
                if (ms == GLP_OPT && rc == 0) {
                    if (*val > *lb) *lb = *val;
                    *proven = true;
                }
            }
        }
    }
    glp_term_out(term);
    glp_delete_prob(lp);
    return CC_OK;
}

/* The union p-median with populations scaled so that its objective times the returned scale is
 * sum_v coef_v mean_v(S) (seconds); coef[v] >= 0. */
static cc_status tm_union(cc_ctx *ctx, const tmm *m, const double *coef, const cc_site_params *sp, cc_site_solution **sol, double *scale)
{
    double *c2 = calloc(m->n, sizeof(double));
    if (!c2) return cc__fail(ctx, CC_ERR_NOMEM, "Out of memory");
    double s = 0;
    for (size_t v = 0; v < m->n; v++) {
        c2[v] = m->W[v] > 0 ? coef[v] / m->W[v] : 0;
        s += c2[v] * m->W[v];
    }
    cc_site_params up = *sp;
    up.model = CC_SITE_PMEDIAN;
    cc_status st = s > 0 ? union_solve(ctx, m->v, m->n, c2, NULL, false, &up, sol) : CC_OK;
    *scale = s;
    free(c2);
    return st;
}

/* Answer and score of the time models' search. */
typedef struct tm_answer {
    uint32_t *S, q;
    uint8_t *in_s;
    double mx, sum;
} tm_answer;

static void tm_take(tmm *m, tm_answer *A, const uint32_t *T, uint32_t q)
{
    for (uint32_t r = 0; r < A->q; r++) A->in_s[A->S[r]] = 0;
    memmove(A->S, T, q * sizeof(uint32_t));
    A->q = q;
    for (uint32_t r = 0; r < q; r++) A->in_s[A->S[r]] = 1;
    tm_set(m, m->d, m->tot, A->S, q, UINT32_MAX);
    tm_score(m, m->d, m->tot, UINT32_MAX, &A->mx, &A->sum);
}

/* Too large for the LP: max_v g_v(S) >= sum_v l_v g_v(S) for any convex l, whose minimum over S
 * the union p-median bounds from below; multiplicative updates move l towards the worst-off
 * variants, and the union's sites are answers too. */
static cc_status tm_lagrangian(cc_ctx *ctx, tmm *m, const cc_site_params *sp, const cc__cons *c, tm_answer *A, double *lb,
                               cc_robust_solution *R)
{
    size_t n = m->n;
    cc_status st = CC_OK;
    double *lam = calloc(n, sizeof(double)), *coef = calloc(n, sizeof(double));
    if (!lam || !coef) st = cc__fail(ctx, CC_ERR_NOMEM, "Out of memory");
    for (size_t v = 0; v < n && !st; v++) lam[v] = 1.0 / (double)n;
    cc_site_params up = *sp;
    up.exact = false;
    cc__cstate cs = {0};
    bool cs_ok = !st && !(st = cc__cstate_init(ctx, c, &cs));
    for (int it = 0; it < 4 && !st; it++) {
        double cb = 0, scale = 0;
        for (size_t v = 0; v < n; v++) coef[v] = lam[v] * m->a[v], cb += lam[v] * m->b[v];
        cc_site_solution *us = NULL;
        if ((st = tm_union(ctx, m, coef, &up, &us, &scale))) break;
        double b = (us ? us->bound * scale : 0) + cb;
        b -= 1e-9 * (fabs(b) + 1.0);
        bool gained = b > *lb;
        if (gained) *lb = b, R->bound_method = "lagrangian";
        if (us) {
            /* the union's sites as an answer, when they meet the limits */
            cc__cstate_reset(c, &cs);
            for (uint32_t r = 0; r < us->n_sites; r++) cc__cstate_add(c, &cs, us->sites[r]);
            tm_set(m, m->d2, m->tot2, us->sites, us->n_sites, UINT32_MAX);
            double mx, sum;
            tm_score(m, m->d2, m->tot2, UINT32_MAX, &mx, &sum);
            if (cc__cstate_ok(c, &cs) && better_min(mx, sum, A->mx, A->sum)) tm_take(m, A, us->sites, us->n_sites);
            cc_site_solution_destroy(us);
        }
        double lo = INFINITY, hi = -INFINITY, tot = 0;
        tm_set(m, m->d, m->tot, A->S, A->q, UINT32_MAX);
        for (size_t v = 0; v < n; v++) {
            double g = m->a[v] * (m->W[v] > 0 ? m->tot[v] / m->W[v] / 1000.0 : 0) + m->b[v];
            lo = fmin(lo, g), hi = fmax(hi, g);
        }
        for (size_t v = 0; v < n; v++) {
            double g = m->a[v] * (m->W[v] > 0 ? m->tot[v] / m->W[v] / 1000.0 : 0) + m->b[v];
            lam[v] *= exp(-3.0 * (hi - g) / (hi - lo + 1e-12));
            tot += lam[v];
        }
        for (size_t v = 0; v < n; v++) lam[v] /= tot;
        if (A->mx - *lb <= 1e-9 * (1 + fabs(A->mx))) break;
        if (!gained && it > 0) break; /* a round that does not raise the bound: the next ones rarely do (each is a union solve) */
    }
    if (cs_ok) cc__cstate_free(&cs);
    free(lam), free(coef);
    return st;
}

/* p-median, max_min and regret: heuristic, then bounds, into R (objective = max_v g_v). */
static cc_status tm_search(cc_ctx *ctx, tmm *m, const cc_robust_params *P, const cc_site_params *sp, const cc__cons *c, cc__cstate *cs,
                           uint8_t *in_s, uint32_t *S2, rb_arrays *W, cc_robust_solution *R)
{
    cc_status st = CC_OK;
    size_t n = m->n;
    tm_answer A = {.S = W->S, .in_s = in_s};
    A.q = tm_heuristic(m, c, cs, P->site.p, A.S, in_s);
    tm_swaps(ctx, m, c, cs, A.S, A.q, in_s);
    if (cc__interrupted(ctx)) return cc__fail(ctx, CC_ERR_INTERRUPTED, "Interrupted");
    tm_score(m, m->d, m->tot, UINT32_MAX, &A.mx, &A.sum);
    /* from the variants' own lower bounds: val_v(S) >= lb_v for every S, so max_v g_v(S) >=
     * max_v g_v(lb_v) (g_v increasing) */
    double lb = -INFINITY;
    for (size_t v = 0; v < n; v++) {
        double g = m->a[v] * W->optb[v] + m->b[v];
        if (g > lb) lb = g;
    }
    R->bound_method = "variant-bounds";
    bool mip_proven = false;
    size_t nz = tm_nonzeros(m);
    size_t lpmax = P->site.lp_max_nonzeros ? P->site.lp_max_nonzeros : 100000;
    size_t exmax = P->site.exact_max_nonzeros ? P->site.exact_max_nonzeros : 2000000;
    bool small = nz <= 20000;
    bool open = A.mx - lb > 1e-9 * (1 + fabs(A.mx));
    if (P->site.exact && nz > exmax)
        return cc__fail(ctx, CC_ERR_LIMIT, "The robust integer programme has %zu nonzeros, above the limit %zu of the exact solve", nz, exmax);
    if (open && !(nz <= lpmax || P->site.exact)) st = tm_lagrangian(ctx, m, sp, c, &A, &lb, R);
    open = A.mx - lb > 1e-9 * (1 + fabs(A.mx));
    if (!st && open && (nz <= lpmax || P->site.exact)) {
        bool proven = false, mip = P->site.exact || small;
        double val = INFINITY, lb0 = lb;
        uint32_t q2 = 0;
        st = tm_glpk(ctx, m, c, mip, P->site.time_limit_s > 0 ? P->site.time_limit_s : 600, &lb, &proven, &val, S2, &q2);
        if (!st && lb > lb0) R->bound_method = proven ? "mip" : "lp";
        mip_proven = proven;
        if (!st && q2 && val < A.mx - 1e-9 * (1 + fabs(A.mx))) tm_take(m, &A, S2, q2);
    }
    if (st) return st;
    /* an answer of GLPK or of the union: swaps that keep its maximum and lower the others */
    cc__cstate_reset(c, cs);
    for (uint32_t r = 0; r < A.q; r++) cc__cstate_add(c, cs, A.S[r]);
    tm_swaps(ctx, m, c, cs, A.S, A.q, in_s);
    tm_score(m, m->d, m->tot, UINT32_MAX, &A.mx, &A.sum);
    double mx = A.mx;
    if (mip_proven && fabs(lb - mx) <= 1e-6 * (1 + fabs(mx))) lb = mx;
    if (lb > mx) lb = mx; /* tolerance: the bound is never on the wrong side */
    R->n_sites = A.q;
    R->proven_optimal = mx - lb <= 1e-9 * (1 + fabs(mx));
    R->objective_value = R->objective_conservative = mx;
    R->bound = lb;
    return CC_OK;
}

/* The state of the time models' search over @p V with g_v from the objective (center: p-centre
 * worst times). tm_free releases it (also after a failed init). */
static cc_status tm_init(cc_ctx *ctx, const cc_site_instance *V, size_t n, const cc_robust_params *P, const rb_arrays *W, bool center,
                         tmm *m)
{
    *m = (tmm){.v = V, .n = n, .nc = V[0].n_candidates, .center = center};
    m->a = calloc(n, sizeof(double)), m->b = calloc(n, sizeof(double)), m->W = calloc(n, sizeof(double));
    m->tot = calloc(n, sizeof(double)), m->tot2 = calloc(n, sizeof(double));
    m->d = calloc(n, sizeof(uint32_t *)), m->d2 = calloc(n, sizeof(uint32_t *));
    m->use = calloc(n, sizeof(uint8_t *)), m->low = calloc(n, sizeof(uint32_t *)), m->stamp = calloc(n, sizeof(uint32_t *));
    m->ord = calloc(n, sizeof(size_t)), m->gr = calloc(n, sizeof(double));
    if (!m->a || !m->b || !m->W || !m->tot || !m->tot2 || !m->d || !m->d2 || !m->use || !m->low || !m->stamp || !m->ord || !m->gr)
        return cc__fail(ctx, CC_ERR_NOMEM, "Out of memory");
    for (size_t v = 0; v < n; v++) {
        size_t nd = V[v].n_demand ? V[v].n_demand : 1;
        if (!(m->d[v] = calloc(nd, sizeof(uint32_t))) || !(m->d2[v] = calloc(nd, sizeof(uint32_t))))
            return cc__fail(ctx, CC_ERR_NOMEM, "Out of memory");
        if (center) {
            if (!(m->use[v] = useful_pairs(&V[v])) || !(m->low[v] = calloc(nd, sizeof(uint32_t))) ||
                !(m->stamp[v] = calloc(nd, sizeof(uint32_t))))
                return cc__fail(ctx, CC_ERR_NOMEM, "Out of memory");
            for (uint32_t i = 0; i < V[v].n_demand; i++) m->use[v][i] = V[v].weight[i] > 0 && !pc_left_out(&V[v], m->use[v], i);
        }
        for (uint32_t i = 0; i < V[v].n_demand; i++)
            if (V[v].weight[i] > 0) m->W[v] += V[v].weight[i];
        double o = W->opt[v];
        if (P->objective != CC_ROBUST_MIN_MAX_REGRET) m->a[v] = 1, m->b[v] = 0;
        else if (!P->relative_regret) m->a[v] = 1, m->b[v] = -o;
        else if (o > 0) m->a[v] = 1 / o, m->b[v] = -1;
        else m->a[v] = 0, m->b[v] = 0;
    }
    return CC_OK;
}

static void tm_free(tmm *m)
{
    for (size_t v = 0; v < m->n; v++) {
        if (m->d) free(m->d[v]);
        if (m->d2) free(m->d2[v]);
        if (m->use) free(m->use[v]);
        if (m->low) free(m->low[v]);
        if (m->stamp) free(m->stamp[v]);
    }
    free(m->d), free(m->d2), free(m->use), free(m->low), free(m->stamp);
    free(m->a), free(m->b), free(m->W), free(m->tot), free(m->tot2), free(m->ord), free(m->gr);
}

/* p-median max_min and regret, and the polish of the p-centre's union answer: the limits, the
 * counts and the site flags around @p fn. */
typedef cc_status (*tm_fn)(cc_ctx *ctx, tmm *m, const cc_robust_params *P, const cc_site_params *sp, const cc__cons *c, cc__cstate *cs,
                           uint8_t *in_s, uint32_t *S2, rb_arrays *W, cc_robust_solution *R);

static cc_status tm_run(cc_ctx *ctx, const cc_site_instance *V, size_t n, const cc_robust_params *P, const cc_site_params *sp, rb_arrays *W,
                        cc_robust_solution *R, bool center, tm_fn fn)
{
    uint32_t nc = V[0].n_candidates;
    tmm m;
    cc__cons c = {0};
    cc__cstate cs = {0};
    bool cons_ok = false, cs_ok = false;
    uint8_t *in_s = calloc(nc ? nc : 1, 1);
    uint32_t *S2 = calloc(nc ? nc : 1, sizeof(uint32_t));
    cc_status st = tm_init(ctx, V, n, P, W, center, &m);
    if (!st && (!in_s || !S2)) st = cc__fail(ctx, CC_ERR_NOMEM, "Out of memory");
    if (!st && !(st = cc__cons_init(ctx, &V[0], P->site.p, &c))) cons_ok = true;
    if (!st && !(st = cc__cstate_init(ctx, &c, &cs))) cs_ok = true;
    if (!st) st = fn(ctx, &m, P, sp, &c, &cs, in_s, S2, W, R);
    if (cs_ok) cc__cstate_free(&cs);
    if (cons_ok) cc__cons_free(&c);
    tm_free(&m);
    free(in_s), free(S2);
    return st;
}

/* The p-centre's union answer (in W->S, R->n_sites) with the others' worst times lowered by swaps
 * that keep the maximum (minimax answers are many; this one is good for every variant too). */
static cc_status tm_polish(cc_ctx *ctx, tmm *m, const cc_robust_params *P, const cc_site_params *sp, const cc__cons *c, cc__cstate *cs,
                           uint8_t *in_s, uint32_t *S2, rb_arrays *W, cc_robust_solution *R)
{
    (void)P, (void)sp, (void)S2;
    cc__cstate_reset(c, cs);
    for (uint32_t r = 0; r < R->n_sites; r++) in_s[W->S[r]] = 1, cc__cstate_add(c, cs, W->S[r]);
    tm_swaps(ctx, m, c, cs, W->S, R->n_sites, in_s);
    if (cc__interrupted(ctx)) return cc__fail(ctx, CC_ERR_INTERRUPTED, "Interrupted");
    double mx, sum;
    tm_score(m, m->d, m->tot, UINT32_MAX, &mx, &sum);
    R->objective_value = R->objective_conservative = mx;
    R->bound = fmin(R->bound, mx);
    R->proven_optimal = mx - R->bound <= 1e-9 * (1 + fabs(mx));
    return CC_OK;
}

static cc_status solve_tm_minmax(cc_ctx *ctx, const cc_site_instance *V, size_t n, const cc_robust_params *P, const cc_site_params *sp,
                                 rb_arrays *W, cc_robust_solution *R)
{
    return tm_run(ctx, V, n, P, sp, W, R, false, tm_search);
}

/* p-median expected: the union p-median, weights w_v / W_v. */
static cc_status solve_tm_expected(cc_ctx *ctx, const cc_site_instance *V, size_t n, const cc_robust_params *P, const cc_site_params *sp,
                                   rb_arrays *W, cc_robust_solution *R)
{
    tmm m = {.v = V, .n = n, .nc = V[0].n_candidates};
    double *coef = calloc(n, sizeof(double));
    m.W = calloc(n, sizeof(double));
    cc_status st = (!coef || !m.W) ? cc__fail(ctx, CC_ERR_NOMEM, "Out of memory") : CC_OK;
    double ws = 0;
    for (size_t v = 0; v < n; v++) ws += P->weights ? P->weights[v] : 1.0;
    for (size_t v = 0; v < n && !st; v++) {
        coef[v] = (P->weights ? P->weights[v] : 1.0) / ws;
        for (uint32_t i = 0; i < V[v].n_demand; i++)
            if (V[v].weight[i] > 0) m.W[v] += V[v].weight[i];
    }
    cc_site_solution *sol = NULL;
    double scale = 0;
    if (!st && !(st = tm_union(ctx, &m, coef, sp, &sol, &scale))) {
        if (sol) {
            memcpy(W->S, sol->sites, sol->n_sites * sizeof(uint32_t));
            R->n_sites = sol->n_sites;
            R->objective_value = R->objective_conservative = sol->objective * scale;
            R->bound = sol->bound * scale;
            R->proven_optimal = sol->proven_optimal;
            cc_site_solution_destroy(sol);
        }
        R->bound_method = "pmedian-union";
    }
    free(coef), free(m.W);
    return st;
}

/* p-centre relative regret: variant v's times as ranks of t / o_v over every variant (o_v its own
 * answer, ms), so that one p-centre over the union minimises max_v max_i d_vi(S) / o_v exactly (the
 * p-centre depends on the order of the times only). Each instance of @p T is @p V's with time_ms,
 * base_time_ms and radius_ms replaced by ranks (1, 2, ...; a variant with o_v = 0, whose relative
 * regret is 0 whatever is chosen, gets rank 0 throughout); val[r] is the relative time of rank r. */
typedef struct rk_item {
    uint32_t t, o;   /* the value t / o */
    uint32_t *where; /* the slot that gets its rank */
} rk_item;

static int rk_cmp(const void *pa, const void *pb)
{
    const rk_item *a = pa, *b = pb;
    uint64_t x = (uint64_t)a->t * b->o, y = (uint64_t)b->t * a->o;
    return x < y ? -1 : x > y;
}

static cc_status rank_times(cc_ctx *ctx, const cc_site_instance *V, size_t n, const uint32_t *o, cc_site_instance *T, uint32_t **mem, double **val,
                            uint32_t *max_rank)
{
    uint32_t nc = V[0].n_candidates;
    size_t cnt = 0;
    for (size_t v = 0; v < n; v++) cnt += V[v].first[nc] + V[v].n_demand + 1;
    uint32_t *m = calloc(cnt ? cnt : 1, sizeof(uint32_t));
    rk_item *it = calloc(cnt ? cnt : 1, sizeof(rk_item));
    double *vl = calloc(cnt + 1, sizeof(double));
    if (!m || !it || !vl) {
        free(m), free(it), free(vl);
        return cc__fail(ctx, CC_ERR_NOMEM, "Out of memory");
    }
    size_t k = 0, used = 0;
    for (size_t v = 0; v < n; v++) {
        T[v] = V[v];
        uint32_t *tm = m + used, *bt = tm + V[v].first[nc], *rad = bt + V[v].n_demand;
        used += V[v].first[nc] + V[v].n_demand + 1;
        T[v].time_ms = tm, T[v].base_time_ms = bt;
        if (!o[v]) continue; /* ranks 0 */
        for (uint64_t e = 0; e < V[v].first[nc]; e++) it[k++] = (rk_item){V[v].time_ms[e], o[v], &tm[e]};
        for (uint32_t i = 0; i < V[v].n_demand; i++) it[k++] = (rk_item){V[v].base_time_ms[i], o[v], &bt[i]};
        if (V[v].radius_ms) it[k++] = (rk_item){V[v].radius_ms, o[v], rad};
    }
    qsort(it, k, sizeof(rk_item), rk_cmp);
    uint32_t r = 0;
    for (size_t q = 0; q < k; q++) {
        if (q == 0 || rk_cmp(&it[q - 1], &it[q]) != 0) r++, vl[r] = (double)it[q].t / it[q].o;
        *it[q].where = r;
    }
    used = 0;
    for (size_t v = 0; v < n; v++) {
        uint32_t *rad = m + used + V[v].first[nc] + V[v].n_demand;
        used += V[v].first[nc] + V[v].n_demand + 1;
        T[v].radius_ms = V[v].radius_ms && o[v] ? *rad : 0;
    }
    free(it);
    *mem = m;
    *val = vl;
    *max_rank = r;
    return CC_OK;
}

/* p-centre max_min and regret: one p-centre over the union of the variants' demand, solved with its
 * bound; for the absolute regret the times of v shifted by max_u opt_u - opt_v (whole milliseconds),
 * for the relative regret the times of every variant ranked by t / opt_v (rank_times). */
static cc_status solve_pcenter(cc_ctx *ctx, const cc_site_instance *V, size_t n, const cc_robust_params *P, const cc_site_params *sp,
                               rb_arrays *W, cc_robust_solution *R)
{
    double *coef = calloc(n, sizeof(double));
    uint32_t *shift = calloc(n, sizeof(uint32_t)), *o = calloc(n, sizeof(uint32_t)), *rmem = NULL;
    cc_site_instance *T = NULL;
    double *rval = NULL;
    cc_status st = (!coef || !shift || !o) ? cc__fail(ctx, CC_ERR_NOMEM, "Out of memory") : CC_OK;
    uint32_t M = 0, rmax = 0;
    bool regret = P->objective == CC_ROBUST_MIN_MAX_REGRET, rel = regret && P->relative_regret;
    for (size_t v = 0; v < n && !st; v++) {
        coef[v] = 1;
        o[v] = (uint32_t)llround(W->opt[v] * 1000.0);
        if (regret && o[v] > M) M = o[v];
    }
    for (size_t v = 0; v < n && !st && regret && !rel; v++) shift[v] = M - o[v];
    if (!st && rel) {
        if (!(T = calloc(n, sizeof(cc_site_instance)))) st = cc__fail(ctx, CC_ERR_NOMEM, "Out of memory");
        else st = rank_times(ctx, V, n, o, T, &rmem, &rval, &rmax);
    }
    cc_site_solution *sol = NULL;
    if (!st && !(st = union_solve(ctx, rel ? T : V, n, coef, regret && !rel ? shift : NULL, true, sp, &sol))) {
        memcpy(W->S, sol->sites, sol->n_sites * sizeof(uint32_t));
        R->n_sites = sol->n_sites;
        if (rel) {
            /* the union's bound is a rank (in "seconds": rank / 1000): no answer's worst rank is below
             * its ceiling, so no answer's relative regret is below that rank's value less 1 */
            double b = ceil(sol->bound * 1000.0 - 1e-6);
            R->bound = b >= 1 && b <= (double)rmax ? rval[(size_t)b] - 1 : -1;
            R->objective_value = R->objective_conservative = INFINITY; /* tm_polish scores the answer */
        } else {
            double off = regret ? M / 1000.0 : 0;
            R->objective_value = R->objective_conservative = sol->objective - off;
            R->bound = fmin(sol->bound - off, R->objective_value);
        }
        R->proven_optimal = sol->proven_optimal;
        R->bound_method = "pcenter-union";
        cc_site_solution_destroy(sol);
        st = tm_run(ctx, V, n, P, sp, W, R, true, tm_polish);
        /* the rank's value t_ms / o_ms and the answer's regret computed in seconds differ by rounding */
        if (!st && rel && R->proven_optimal) R->bound = R->objective_value;
    }
    free(coef), free(shift), free(o), free(T), free(rmem), free(rval);
    return st;
}

/* ---- the driver ---------------------------------------------------------------------------- */

/* The variants share their candidates; the weights of the expected objective are finite, >= 0, not all 0. */
static cc_status robust_check(cc_ctx *ctx, const cc_site_instance *V, size_t n, const cc_robust_params *P)
{
    if (!n || !V) return cc__fail(ctx, CC_ERR_PARAM, "Robust siting needs at least one variant");
    cc_site_model md = P->site.model;
    if (md != CC_SITE_MCLP && md != CC_SITE_LSCP && md != CC_SITE_PMEDIAN && md != CC_SITE_PCENTER)
        return cc__fail(ctx, CC_ERR_PARAM, "Robust siting supports the models mclp, lscp, pmedian and pcenter, not %s", cc_site_model_name(md));
    if (md == CC_SITE_LSCP && P->objective != CC_ROBUST_MAX_MIN)
        return cc__fail(ctx, CC_ERR_PARAM,
                        "Robust lscp finds the fewest sites that reach the target share in every variant (objective max_min); the objective %s is "
                        "not defined for it (a regret in sites or a weighted mean of shares would let a variant miss the target)",
                        cc_robust_objective_name(P->objective));
    if (md == CC_SITE_LSCP && !(P->site.target_share > 0 && P->site.target_share <= 1))
        return cc__fail(ctx, CC_ERR_PARAM, "The target share must be above 0 and at most 1, got %g", P->site.target_share);
    if (md == CC_SITE_PCENTER && P->objective == CC_ROBUST_EXPECTED)
        return cc__fail(ctx, CC_ERR_PARAM, "Robust pcenter minimises the worst time over every variant (max_min) or the worst regret; the objective expected (a weighted mean of worst times) is not supported");
    if (md == CC_SITE_PMEDIAN || md == CC_SITE_PCENTER)
        for (size_t v = 0; v < n; v++)
            if (!V[v].time_ms || !V[v].base_time_ms)
                return cc__fail(ctx, CC_ERR_PARAM, "Robust %s: variant %zu lacks its pair times or base times", cc_site_model_name(md), v);
    if (md != CC_SITE_LSCP && P->site.p < 1) return cc__fail(ctx, CC_ERR_PARAM, "Parameter p must be at least 1");
    uint32_t nc = V[0].n_candidates;
    for (size_t v = 1; v < n; v++)
        if (V[v].n_candidates != nc)
            return cc__fail(ctx, CC_ERR_PARAM, "Robust siting: variant %zu has %u candidates, variant 0 has %u (the candidates must be shared)",
                            v, V[v].n_candidates, nc);
    if (P->objective == CC_ROBUST_EXPECTED && P->weights) {
        double s = 0;
        for (size_t v = 0; v < n; v++) {
            if (!(P->weights[v] >= 0) || !isfinite(P->weights[v]))
                return cc__fail(ctx, CC_ERR_PARAM, "Parameter weights: variant %zu has weight %g (must be finite and >= 0)", v, P->weights[v]);
            s += P->weights[v];
        }
        if (!(s > 0)) return cc__fail(ctx, CC_ERR_PARAM, "Parameter weights: every weight is 0");
    }
    return CC_OK;
}

/* Each variant's own optimum (value, bound, sites), and how each own answer covers every variant. */
static cc_status own_optima(cc_ctx *ctx, const cc_site_instance *V, size_t n, const cc_site_params *sp, rb_arrays *W)
{
    cc_status st = CC_OK;
    for (size_t v = 0; v < n && !st; v++) {
        cc_site_solution *sol = NULL;
        if ((st = cc_site_solve(ctx, &V[v], sp, &sol))) break;
        W->opt[v] = sol->objective;
        W->optb[v] = sp->model == CC_SITE_MCLP ? fmax(sol->bound, sol->objective) : fmin(sol->bound, sol->objective);
        W->optp[v] = sol->proven_optimal;
        W->ofirst[v + 1] = W->ofirst[v] + sol->n_sites;
        memcpy(W->osites + W->ofirst[v], sol->sites, sol->n_sites * sizeof(uint32_t));
        cc_site_solution_destroy(sol);
    }
    for (size_t a = 0; a < n && !st; a++)
        for (size_t v = 0; v < n; v++)
            W->cross[a * n + v] = cc_site_robust_value(&V[v], sp->model, W->osites + W->ofirst[a], W->ofirst[a + 1] - W->ofirst[a]);
    return st;
}

/* The expected objective: one MCLP on the union of the variants, weighted. */
static cc_status solve_expected(cc_ctx *ctx, const cc_site_instance *V, size_t n, const cc_robust_params *P, const cc_site_params *sp,
                                rb_arrays *W, cc_robust_solution *R)
{
    cc_status st = CC_OK;
    double ws = 0;
    for (size_t v = 0; v < n; v++) ws += P->weights ? P->weights[v] : 1.0;
    double *coef = calloc(n, sizeof(double));
    if (!coef) st = cc__fail(ctx, CC_ERR_NOMEM, "Out of memory");
    for (size_t v = 0; v < n && !st; v++) coef[v] = (P->weights ? P->weights[v] : 1.0) / ws;
    cc_site_solution *sol = NULL;
    if (!st && !(st = union_solve(ctx, V, n, coef, NULL, false, sp, &sol))) {
        memcpy(W->S, sol->sites, sol->n_sites * sizeof(uint32_t));
        R->n_sites = sol->n_sites;
        R->objective_value = R->objective_conservative = sol->objective;
        R->bound = sol->bound;
        R->proven_optimal = sol->proven_optimal;
        R->bound_method = "mclp-union";
        cc_site_solution_destroy(sol);
    }
    free(coef);
    return st;
}

/* The answer of a max-min or regret search: sites S[0..q) with scores mn (the worst variant) and sum. */
typedef struct mm_answer {
    uint32_t *S, q;
    uint8_t *in_s;
    double mn, sum;
} mm_answer;

/* Replace the answer's sites by @p T[0..q) and score them. */
static void mm_take(mm *m, mm_answer *A, const uint32_t *T, uint32_t q)
{
    for (uint32_t r = 0; r < A->q; r++) {
        mm_add(m, A->S[r], -1);
        if (A->in_s) A->in_s[A->S[r]] = 0;
    }
    memcpy(A->S, T, q * sizeof(uint32_t));
    A->q = q;
    for (uint32_t r = 0; r < A->q; r++) {
        mm_add(m, A->S[r], +1);
        if (A->in_s) A->in_s[A->S[r]] = 1;
    }
    mm_score(m, m->cov, UINT32_MAX, &A->mn, &A->sum);
}

/* Too large for the LP: min_v f_v(S) <= sum_v l_v f_v(S) for any convex l, and max_S sum_v l_v a_v
 * cov_v(S) is an MCLP on the union whose bound cc_site_solve proves (a Lagrangian bound on the
 * variants' constraints); a few multiplicative updates move l towards the variants that are worst
 * off. The union's sites are candidate answers too. */
static cc_status lagrangian_rounds(cc_ctx *ctx, const cc_site_instance *V, size_t n, const cc_robust_params *P, const cc_site_params *sp,
                                   mm *m, mm_answer *A, double *ub, cc_robust_solution *R)
{
    cc_status st = CC_OK;
    double *lam = calloc(n, sizeof(double)), *coef = calloc(n, sizeof(double));
    uint32_t *T = calloc((size_t)P->site.p + 1, sizeof(uint32_t));
    if (!lam || !coef || !T) st = cc__fail(ctx, CC_ERR_NOMEM, "Out of memory");
    for (size_t v = 0; v < n && !st; v++) lam[v] = 1.0 / (double)n;
    cc_site_params up = *sp;
    up.exact = false;
    for (int it = 0; it < 4 && !st; it++) {
        double cb = 0;
        for (size_t v = 0; v < n; v++) coef[v] = lam[v] * m->a[v], cb += lam[v] * m->b[v];
        cc_site_solution *us = NULL;
        if ((st = union_solve(ctx, V, n, coef, NULL, false, &up, &us))) break;
        double lb = us->bound + cb + 1e-9 * (fabs(us->bound) + 1.0);
        if (lb < *ub) *ub = lb, R->bound_method = "lagrangian";
        /* the union's sites as an answer */
        double umn = INFINITY, usum = 0;
        for (size_t v = 0; v < n; v++) {
            double f = m->a[v] * cc_site_robust_coverage(&V[v], us->sites, us->n_sites) + m->b[v];
            umn = fmin(umn, f), usum += f;
        }
        if (better(umn, usum, A->mn, A->sum)) mm_take(m, A, us->sites, us->n_sites);
        cc_site_solution_destroy(us);
        /* weights towards the worst-off variants of the current answer */
        double lo = INFINITY, hi = -INFINITY, tot = 0;
        for (size_t v = 0; v < n; v++) {
            double f = m->a[v] * m->cov[v] + m->b[v];
            lo = fmin(lo, f), hi = fmax(hi, f);
        }
        for (size_t v = 0; v < n; v++) {
            double f = m->a[v] * m->cov[v] + m->b[v];
            lam[v] *= exp(-3.0 * (f - lo) / (hi - lo + 1e-12));
            tot += lam[v];
        }
        for (size_t v = 0; v < n; v++) lam[v] /= tot;
        if (*ub - A->mn <= 1e-9 * (1 + fabs(A->mn))) break;
    }
    free(lam), free(coef), free(T);
    return st;
}

/* The max-min or regret search from the heuristic answer: variant bounds, then the Lagrangian
 * rounds (large) or GLPK (LP or MIP), then the answer and its bound into @p R. */
static cc_status mm_search(cc_ctx *ctx, const cc_site_instance *V, size_t n, const cc_robust_params *P, const cc_site_params *sp, mm *m,
                           const cc__cons *c, cc__cstate *cs, uint8_t *in_s, uint32_t *S2, rb_arrays *W, cc_robust_solution *R)
{
    cc_status st = CC_OK;
    mm_answer A = {.S = W->S, .in_s = in_s};
    A.q = mm_heuristic(ctx, m, c, cs, P->site.p, A.S, in_s);
    if (cc__interrupted(ctx)) st = cc__fail(ctx, CC_ERR_INTERRUPTED, "Interrupted");
    mm_score(m, m->cov, UINT32_MAX, &A.mn, &A.sum);
    /* bound from the variants' own bounds: cov_v(S) <= opt_v <= hi_v; for the regret
     * forms f_v(opt_v) >= 0 is the trivial one */
    double ub = INFINITY;
    for (size_t v = 0; v < n; v++) {
        double f = m->a[v] * W->optb[v] + m->b[v]; /* max_min: a = 1, b = 0 or -need_v (lscp) */
        if (f < ub) ub = f;
    }
    if (P->objective != CC_ROBUST_MAX_MIN && ub < 0) ub = 0;
    R->bound_method = "variant-bounds";
    bool mip_proven = false;
    size_t nz = mm_nonzeros(m);
    size_t lpmax = P->site.lp_max_nonzeros ? P->site.lp_max_nonzeros : 100000;
    size_t exmax = P->site.exact_max_nonzeros ? P->site.exact_max_nonzeros : 2000000;
    bool small = nz <= 20000;
    if (P->site.exact && nz > exmax)
        st = cc__fail(ctx, CC_ERR_LIMIT, "The robust integer programme has %zu nonzeros, above the limit %zu of the exact solve", nz, exmax);
    if (!st && (ub - A.mn > 1e-9 * (1 + fabs(A.mn))) && !(nz <= lpmax || P->site.exact))
        st = lagrangian_rounds(ctx, V, n, P, sp, m, &A, &ub, R);
    if (!st && (ub - A.mn > 1e-9 * (1 + fabs(A.mn))) && (nz <= lpmax || P->site.exact)) {
        bool proven = false, mip = P->site.exact || small;
        double val = -INFINITY, ub0 = ub;
        uint32_t q2 = 0;
        st = mm_glpk(ctx, m, c, mip, P->site.time_limit_s > 0 ? P->site.time_limit_s : 600, A.S, A.q, &ub, &proven, &val, S2, &q2);
        if (!st && ub < ub0) R->bound_method = proven ? "mip" : "lp";
        mip_proven = proven;
        if (!st && q2 && val > A.mn + 1e-9 * (1 + fabs(A.mn))) { /* the MIP found better: take its sites */
            A.in_s = NULL;
            mm_take(m, &A, S2, q2);
        }
    }
    double mn = A.mn;
    /* a proven MIP optimum within GLPK's tolerance of the answer: the answer is optimal */
    if (mip_proven && fabs(ub - mn) <= 1e-6 * (1 + fabs(mn))) ub = mn;
    if (ub < mn) ub = mn; /* tolerance: the bound is never on the wrong side */
    R->n_sites = A.q;
    R->proven_optimal = ub - mn <= 1e-9 * (1 + fabs(mn));
    if (P->objective == CC_ROBUST_MAX_MIN) {
        R->objective_value = R->objective_conservative = mn;
        R->bound = ub;
    } else {
        R->objective_value = -mn;
        R->bound = fmax(0.0, -ub);
    }
    return st;
}

/* The max-min and regret objectives: f_v = a_v cov_v + b_v per variant, the worst one maximised. */
static cc_status solve_minmax(cc_ctx *ctx, const cc_site_instance *V, size_t n, const cc_robust_params *P, const cc_site_params *sp,
                              rb_arrays *W, cc_robust_solution *R, const double *need)
{
    cc_status st = CC_OK;
    uint32_t nc = V[0].n_candidates;
    const double *opt = W->opt;
    mm m = {.v = V, .n = n, .nc = nc};
    m.a = calloc(n, sizeof(double)), m.b = calloc(n, sizeof(double)), m.cov = calloc(n, sizeof(double));
    m.cnt = calloc(n, sizeof(uint32_t *));
    m.gain = calloc(n * (size_t)(nc ? nc : 1), sizeof(double));
    uint8_t *in_s = calloc(nc ? nc : 1, 1);
    uint32_t *S2 = calloc(nc ? nc : 1, sizeof(uint32_t));
    cc__cons c = {0};
    cc__cstate cs = {0};
    bool cons_ok = false, cs_ok = false;
    if (!m.a || !m.b || !m.cov || !m.cnt || !m.gain || !in_s || !S2) st = cc__fail(ctx, CC_ERR_NOMEM, "Out of memory");
    for (size_t v = 0; v < n && !st; v++) {
        if (!(m.cnt[v] = calloc(V[v].n_demand ? V[v].n_demand : 1, sizeof(uint32_t)))) st = cc__fail(ctx, CC_ERR_NOMEM, "Out of memory");
        m.cov[v] = base_cov(&V[v]);
        if (P->objective == CC_ROBUST_MAX_MIN) m.a[v] = 1, m.b[v] = need ? -need[v] : 0;
        else if (!P->relative_regret) m.a[v] = 1, m.b[v] = -opt[v];
        else if (opt[v] > 0) m.a[v] = 1 / opt[v], m.b[v] = -1;
        else m.a[v] = 0, m.b[v] = 0;
    }
    if (!st && !(st = cc__cons_init(ctx, &V[0], P->site.p, &c))) cons_ok = true;
    if (!st && !(st = cc__cstate_init(ctx, &c, &cs))) cs_ok = true;
    if (!st) st = mm_search(ctx, V, n, P, sp, &m, &c, &cs, in_s, S2, W, R);
    if (cs_ok) cc__cstate_free(&cs);
    if (cons_ok) cc__cons_free(&c);
    for (size_t v = 0; m.cnt && v < n; v++) free(m.cnt[v]);
    free(m.cnt), free(m.a), free(m.b), free(m.cov), free(m.gain), free(in_s), free(S2);
    return st;
}

/* Each variant's coverage and regret under the answer, the conservative objective and the gap. */
static void robust_regrets(const cc_site_instance *V, size_t n, const cc_robust_params *P, rb_arrays *W, cc_robust_solution *R)
{
    double worst_hi = R->model == CC_SITE_MCLP ? 0 : -INFINITY;
    for (size_t v = 0; v < n; v++) {
        W->cov[v] = cc_site_robust_value(&V[v], R->model, W->S, R->n_sites);
        double d = W->opt[v] - W->cov[v], dh = W->optb[v] - W->cov[v];
        if (R->model != CC_SITE_MCLP) d = -d, dh = -dh; /* minimised: value above the own answer */
        if (P->relative_regret) d = W->opt[v] > 0 ? d / W->opt[v] : 0, dh = W->optb[v] > 0 ? dh / W->optb[v] : 0;
        W->reg[v] = d;
        if (dh > worst_hi) worst_hi = dh;
    }
    if (P->objective == CC_ROBUST_MIN_MAX_REGRET) {
        R->objective_conservative = fmax(worst_hi, R->objective_value);
        double o = R->objective_conservative;
        R->gap = o > 0 ? (o - R->bound) / o : 0;
        if (R->gap <= 1e-12) R->gap = 0; /* rounding of the same figure computed two ways */
        if (R->gap > 0) R->proven_optimal = false;
    } else if (R->model == CC_SITE_MCLP) {
        double o = R->objective_value;
        R->gap = o > 0 ? (R->bound - o) / o : 0;
    } else {
        double o = R->objective_value;
        R->gap = o > 0 ? (o - R->bound) / o : 0;
    }
    if (R->gap < 0) R->gap = 0;
}

/* ---- robust LSCP ------------------------------------------------------------------------------
 * The fewest sites with cov_v(S) >= need_v in every variant: robust MCLP max_min on
 * f_v = cov_v - need_v for p = p0, p0 + 1, ...; the first p with an answer >= 0 is taken, and p
 * is proven too few when the bound of its max_min is < 0 (no p sites reach every need). */
static cc_status lscp_at(cc_ctx *ctx, const cc_site_instance *V, size_t n, const cc_robust_params *P, uint32_t p, const double *need,
                         rb_arrays *T, cc_robust_solution *Rp)
{
    cc_site_params sp = P->site;
    sp.model = CC_SITE_MCLP;
    sp.p = p;
    sp.curve_to = 0;
    cc_robust_params Q = *P;
    Q.objective = CC_ROBUST_MAX_MIN;
    Q.site = sp;
    memset(Rp, 0, sizeof(*Rp));
    cc_status st = own_optima(ctx, V, n, &sp, T);
    if (!st) st = solve_minmax(ctx, V, n, &Q, &sp, T, Rp, need);
    return st;
}

static cc_status solve_lscp(cc_ctx *ctx, const cc_site_instance *V, size_t n, const cc_robust_params *P, rb_arrays *W, double *total,
                            cc_robust_solution *R)
{
    cc_status st = CC_OK;
    uint32_t nc = V[0].n_candidates;
    double *need = calloc(n, sizeof(double));
    uint32_t *all = calloc(nc ? nc : 1, sizeof(uint32_t)), *bestS = calloc(nc ? nc : 1, sizeof(uint32_t));
    rb_arrays T = {0};
    T.cov = calloc(n, sizeof(double)), T.opt = calloc(n, sizeof(double)), T.optb = calloc(n, sizeof(double));
    T.reg = calloc(n, sizeof(double)), T.cross = calloc(n * n, sizeof(double)), T.optp = calloc(n, sizeof(bool));
    T.ofirst = calloc(n + 1, sizeof(uint32_t)), T.osites = calloc(n * (size_t)nc + 1, sizeof(uint32_t));
    T.S = calloc((size_t)nc + 1, sizeof(uint32_t));
    if (!need || !all || !bestS || !T.cov || !T.opt || !T.optb || !T.reg || !T.cross || !T.optp || !T.ofirst || !T.osites || !T.S)
        st = cc__fail(ctx, CC_ERR_NOMEM, "Out of memory");
    R->feasible = true;
    R->target_share = P->site.target_share;
    bool zero_ok = true;
    for (uint32_t j = 0; j < nc && !st; j++) all[j] = j;
    for (size_t v = 0; v < n && !st; v++) {
        double cb, tot;
        cc__site_weights(&V[v], true, &cb, &tot);
        total[v] = tot;
        double eps = 1e-9 * (tot + 1.0), goal = P->site.target_share * tot, reach = cc_site_robust_coverage(&V[v], all, nc);
        if (reach < goal - eps) { /* all candidates miss it: best effort, as the single-run LSCP */
            R->feasible = false;
            goal = reach;
        }
        need[v] = goal - eps;
        if (base_cov(&V[v]) < need[v]) zero_ok = false;
    }
    /* each variant's own LSCP answer, for comparison */
    cc_site_params own = P->site;
    own.curve_to = 0;
    for (size_t v = 0; v < n && !st; v++) {
        cc_site_solution *sol = NULL;
        if ((st = cc_site_solve(ctx, &V[v], &own, &sol))) break;
        W->opt[v] = sol->objective;
        W->optb[v] = sol->feasible && isfinite(sol->bound) ? sol->bound : sol->objective;
        W->optp[v] = sol->proven_optimal;
        W->ofirst[v + 1] = W->ofirst[v] + sol->n_sites;
        memcpy(W->osites + W->ofirst[v], sol->sites, sol->n_sites * sizeof(uint32_t));
        cc_site_solution_destroy(sol);
    }
    for (size_t a = 0; a < n && !st; a++)
        for (size_t v = 0; v < n; v++)
            W->cross[a * n + v] = cc_site_robust_coverage(&V[v], W->osites + W->ofirst[a], W->ofirst[a + 1] - W->ofirst[a]);
    /* p from the smallest allowed: the area minima, at least 1 */
    uint32_t p0 = 1, pmax = P->site.max_sites && P->site.max_sites < nc ? P->site.max_sites : nc, lb = UINT32_MAX, q = 0;
    uint64_t mins = 0;
    if (V[0].area_min)
        for (uint32_t a = 0; a < V[0].n_areas; a++) mins += V[0].area_min[a];
    if (mins > p0) p0 = mins > nc ? nc : (uint32_t)mins;
    if (V[0].area && V[0].area_max) { /* no more sites than the area maxima allow */
        uint64_t room = 0;
        uint32_t *cnt = calloc(V[0].n_areas + 1, sizeof(uint32_t));
        if (!cnt && !st) st = cc__fail(ctx, CC_ERR_NOMEM, "Out of memory");
        for (uint32_t j = 0; j < nc && cnt; j++) {
            uint32_t a = V[0].area[j];
            if (a >= V[0].n_areas) room++;
            else if (cnt[a] < V[0].area_max[a]) cnt[a]++, room++;
        }
        free(cnt);
        if (room < pmax) pmax = (uint32_t)room;
    }
    if (pmax < p0) pmax = p0;
    bool found = false;
    double best_mn = -INFINITY;
    const char *method = zero_ok ? "trivial" : "without-new-sites"; /* 0 sites miss some target */
    if (!st && zero_ok && mins == 0) { /* no new site needed */
        found = true, lb = 0, q = 0;
    }
    if (!st && !found && nc > 0 && pmax < nc) {
        /* the area limits may keep every set from a need: with as many sites as they allow, a
         * max_min bound below 0 proves it (then its answer is the best effort) */
        cc_robust_solution Rp;
        if (!(st = lscp_at(ctx, V, n, P, pmax, need, &T, &Rp)) && Rp.bound < 0) {
            best_mn = Rp.objective_value;
            q = Rp.n_sites;
            memcpy(bestS, T.S, q * sizeof(uint32_t));
            pmax = 0; /* skip the search */
            cc__info(ctx, "Robust lscp: the area limits keep every set of sites from the target in some variant (bound %.1f persons short)", -Rp.bound);
        }
    }
    for (uint32_t p = p0; p <= pmax && !st && !found && nc > 0; p++) {
        cc_robust_solution Rp;
        cc__progress(ctx, "Robust lscp: p", (double)(p - p0) / (double)(pmax - p0 + 1));
        if ((st = lscp_at(ctx, V, n, P, p, need, &T, &Rp))) break;
        if (Rp.bound < 0) method = Rp.bound_method; /* p sites cannot reach every need */
        else if (lb == UINT32_MAX) lb = p;
        if (Rp.objective_value >= 0 || Rp.objective_value > best_mn) {
            best_mn = Rp.objective_value;
            q = Rp.n_sites;
            memcpy(bestS, T.S, q * sizeof(uint32_t));
        }
        if (Rp.objective_value >= 0) found = true;
        cc__info(ctx, "Robust lscp: %u sites: worst variant %.1f persons %s its target (bound %.1f, %s)", p, fabs(Rp.objective_value),
                 Rp.objective_value >= 0 ? "above" : "below", Rp.bound, Rp.bound_method);
    }
    if (!st) {
        if (!found) R->feasible = false; /* the area limits stop it: the best worst-case answer */
        memcpy(W->S, bestS, q * sizeof(uint32_t));
        R->n_sites = q;
        R->objective_value = R->objective_conservative = q;
        R->bound = found ? (lb == UINT32_MAX ? q : lb) : NAN;
        if (found && R->bound > q) R->bound = q;
        R->proven_optimal = found && R->bound >= q;
        R->gap = found && q > 0 ? (q - R->bound) / (double)q : 0;
        R->bound_method = method;
        for (size_t v = 0; v < n; v++) {
            W->cov[v] = cc_site_robust_coverage(&V[v], W->S, q);
            W->reg[v] = (double)q - W->opt[v];
        }
    }
    free(need), free(all), free(bestS);
    free(T.cov), free(T.opt), free(T.optb), free(T.reg), free(T.cross), free(T.optp), free(T.ofirst), free(T.osites), free(T.S);
    return st;
}

cc_status cc_site_robust_solve(cc_ctx *ctx, const cc_site_instance *V, size_t n, const cc_robust_params *P, cc_robust_solution **out)
{
    *out = NULL;
    double t0 = cc__now();
    cc_status st;
    if ((st = robust_check(ctx, V, n, P))) return st;
    cc_robust_solution *R = calloc(1, sizeof(*R));
    if (!R) return cc__fail(ctx, CC_ERR_NOMEM, "Out of memory");
    R->objective = P->objective;
    R->relative_regret = P->relative_regret;
    R->n_variants = n;
    rb_arrays w = {0}, *W = &w;
    w.cov = calloc(n, sizeof(double)), w.opt = calloc(n, sizeof(double)), w.optb = calloc(n, sizeof(double));
    w.reg = calloc(n, sizeof(double)), w.cross = calloc(n * n, sizeof(double));
    w.optp = calloc(n, sizeof(bool));
    size_t room = P->site.model == CC_SITE_LSCP ? V[0].n_candidates : P->site.p; /* lscp: up to every candidate */
    w.ofirst = calloc(n + 1, sizeof(uint32_t)), w.osites = calloc(n * room + 1, sizeof(uint32_t));
    w.S = calloc(room + 1, sizeof(uint32_t));
    double *total = calloc(n, sizeof(double));
    R->total = total;
    R->cov = w.cov, R->opt = w.opt, R->opt_bound = w.optb, R->regret = w.reg, R->cross = w.cross, R->opt_proven = w.optp;
    R->own_first = w.ofirst, R->own_sites = w.osites, R->sites = w.S;
    if (!w.cov || !w.opt || !w.optb || !w.reg || !w.cross || !w.optp || !w.ofirst || !w.osites || !w.S || !total)
        st = cc__fail(ctx, CC_ERR_NOMEM, "Out of memory");
    cc_site_params sp = P->site;
    sp.curve_to = 0;
    R->model = sp.model;
    if (!st && sp.model == CC_SITE_LSCP) {
        if (!(st = solve_lscp(ctx, V, n, P, W, total, R))) {
            R->t_total_s = cc__now() - t0;
            *out = R;
            return CC_OK;
        }
    } else if (!st) {
        st = own_optima(ctx, V, n, &sp, W);
    }
    if (st) {
    } else if (sp.model == CC_SITE_PCENTER) {
        st = solve_pcenter(ctx, V, n, P, &sp, W, R);
    } else if (sp.model == CC_SITE_PMEDIAN) {
        st = P->objective == CC_ROBUST_EXPECTED ? solve_tm_expected(ctx, V, n, P, &sp, W, R) : solve_tm_minmax(ctx, V, n, P, &sp, W, R);
    } else if (P->objective == CC_ROBUST_EXPECTED) {
        st = solve_expected(ctx, V, n, P, &sp, W, R);
    } else {
        st = solve_minmax(ctx, V, n, P, &sp, W, R, NULL);
    }
    if (!st) {
        robust_regrets(V, n, P, W, R);
        R->t_total_s = cc__now() - t0;
        *out = R;
        return CC_OK;
    }
    cc_robust_solution_destroy(R);
    return st;
}
