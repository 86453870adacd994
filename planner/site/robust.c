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


/* MCLP over the union of (variant, demand) with the populations of variant v times coef[v]:
 * its objective is sum_v coef_v cov_v(S), and its bound bounds that sum over every S. */
static cc_status union_solve(cc_ctx *ctx, const cc_site_instance *V, size_t n, const double *coef, const cc_site_params *sp,
                             cc_site_solution **sol)
{
    uint32_t nc = V[0].n_candidates;
    uint64_t np = 0;
    uint32_t nd = 0;
    for (size_t v = 0; v < n; v++) np += V[v].first[nc], nd += V[v].n_demand;
    uint64_t *first = calloc((size_t)nc + 1, sizeof(uint64_t));
    uint32_t *dem = calloc(np ? np : 1, sizeof(uint32_t));
    double *w = calloc(nd ? nd : 1, sizeof(double));
    uint8_t *covd = calloc(nd ? nd : 1, 1);
    cc_status st = CC_OK;
    if (!first || !dem || !w || !covd) st = cc__fail(ctx, CC_ERR_NOMEM, "Out of memory");
    cc_site_instance U = V[0];
    if (!st) {
        double extra = 0, total = 0;
        uint32_t off = 0;
        for (size_t v = 0; v < n; v++) {
            double wv = coef[v], sw = 0;
            for (uint32_t i = 0; i < V[v].n_demand; i++) {
                w[off + i] = wv * V[v].weight[i];
                covd[off + i] = V[v].covered ? V[v].covered[i] : 0;
                sw += V[v].weight[i];
            }
            extra += wv * V[v].extra_covered_weight;
            total += wv * (V[v].total_weight > 0 ? V[v].total_weight : sw + V[v].extra_covered_weight);
            off += V[v].n_demand;
        }
        uint64_t k = 0;
        for (uint32_t j = 0; j < nc; j++) {
            first[j] = k;
            off = 0;
            for (size_t v = 0; v < n; v++) {
                for (uint64_t e = V[v].first[j]; e < V[v].first[j + 1]; e++) dem[k++] = off + V[v].demand[e];
                off += V[v].n_demand;
            }
        }
        first[nc] = k;
        U.n_demand = nd, U.first = first, U.demand = dem, U.time_ms = NULL, U.weight = w, U.covered = covd;
        U.extra_covered_weight = extra, U.total_weight = total > 0 ? total : 1;
        st = cc_site_solve(ctx, &U, sp, sol);
    }
    free(first), free(dem), free(w), free(covd);
    return st;
}

/* ---- the driver ---------------------------------------------------------------------------- */

/* The writable arrays of a cc_robust_solution (the public struct shows them const). */
typedef struct rb_arrays {
    double *cov, *opt, *optb, *reg, *cross;
    bool *optp;
    uint32_t *ofirst, *osites, *S;
} rb_arrays;

/* The variants share their candidates; the weights of the expected objective are finite, >= 0, not all 0. */
static cc_status robust_check(cc_ctx *ctx, const cc_site_instance *V, size_t n, const cc_robust_params *P)
{
    if (!n || !V) return cc__fail(ctx, CC_ERR_PARAM, "Robust siting needs at least one variant");
    if (P->site.model != CC_SITE_MCLP)
        return cc__fail(ctx, CC_ERR_PARAM, "Robust siting supports the model mclp only, not %s", cc_site_model_name(P->site.model));
    if (P->site.p < 1) return cc__fail(ctx, CC_ERR_PARAM, "Parameter p must be at least 1");
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
        W->optb[v] = fmax(sol->bound, sol->objective);
        W->optp[v] = sol->proven_optimal;
        W->ofirst[v + 1] = W->ofirst[v] + sol->n_sites;
        memcpy(W->osites + W->ofirst[v], sol->sites, sol->n_sites * sizeof(uint32_t));
        cc_site_solution_destroy(sol);
    }
    for (size_t a = 0; a < n && !st; a++)
        for (size_t v = 0; v < n; v++)
            W->cross[a * n + v] = cc_site_robust_coverage(&V[v], W->osites + W->ofirst[a], W->ofirst[a + 1] - W->ofirst[a]);
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
    if (!st && !(st = union_solve(ctx, V, n, coef, sp, &sol))) {
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
        if ((st = union_solve(ctx, V, n, coef, &up, &us))) break;
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
        double f = P->objective == CC_ROBUST_MAX_MIN ? W->optb[v] : 0.0;
        if (P->objective != CC_ROBUST_MAX_MIN) f = m->a[v] * W->optb[v] + m->b[v];
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
                              rb_arrays *W, cc_robust_solution *R)
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
        if (P->objective == CC_ROBUST_MAX_MIN) m.a[v] = 1, m.b[v] = 0;
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
    double worst_hi = 0;
    for (size_t v = 0; v < n; v++) {
        W->cov[v] = cc_site_robust_coverage(&V[v], W->S, R->n_sites);
        double d = W->opt[v] - W->cov[v], dh = W->optb[v] - W->cov[v];
        if (P->relative_regret) d = W->opt[v] > 0 ? d / W->opt[v] : 0, dh = W->optb[v] > 0 ? dh / W->optb[v] : 0;
        W->reg[v] = d;
        if (dh > worst_hi) worst_hi = dh;
    }
    if (P->objective == CC_ROBUST_MIN_MAX_REGRET) {
        R->objective_conservative = fmax(worst_hi, R->objective_value);
        double o = R->objective_conservative;
        R->gap = o > 0 ? (o - R->bound) / o : 0;
        if (R->gap > 0) R->proven_optimal = false;
    } else {
        double o = R->objective_value;
        R->gap = o > 0 ? (R->bound - o) / o : 0;
    }
    if (R->gap < 0) R->gap = 0;
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
    w.ofirst = calloc(n + 1, sizeof(uint32_t)), w.osites = calloc(n * (size_t)P->site.p + 1, sizeof(uint32_t));
    w.S = calloc((size_t)P->site.p + 1, sizeof(uint32_t));
    R->cov = w.cov, R->opt = w.opt, R->opt_bound = w.optb, R->regret = w.reg, R->cross = w.cross, R->opt_proven = w.optp;
    R->own_first = w.ofirst, R->own_sites = w.osites, R->sites = w.S;
    if (!w.cov || !w.opt || !w.optb || !w.reg || !w.cross || !w.optp || !w.ofirst || !w.osites || !w.S)
        st = cc__fail(ctx, CC_ERR_NOMEM, "Out of memory");
    cc_site_params sp = P->site;
    sp.curve_to = 0;
    if (!st) st = own_optima(ctx, V, n, &sp, W);
    if (!st && P->objective == CC_ROBUST_EXPECTED) st = solve_expected(ctx, V, n, P, &sp, W, R);
    else if (!st) st = solve_minmax(ctx, V, n, P, &sp, W, R);
    if (!st) {
        robust_regrets(V, n, P, W, R);
        R->t_total_s = cc__now() - t0;
        *out = R;
        return CC_OK;
    }
    cc_robust_solution_destroy(R);
    return st;
}
