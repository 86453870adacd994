/*
 * mexclp.c - the maximum expected covering location problem (Daskin 1983), see cc_mexclp.h.
 *
 * Heuristic: greedy (each ambulance where it adds the most expected coverage), then single
 * ambulance moves (from one station to another) while one improves. The expected coverage of a
 * point is concave in the number of ambulances reaching it, so greedy has the (1 - 1/e)
 * guarantee of submodular maximisation and the moves repair most of the rest.
 * Bound and exact answer: Daskin's integer programme,
 *     max  sum_i sum_k w_i (1 - q) q^(b_i + k - 1) y_ik
 *     s.t. sum_k y_ik <= sum_{j reaches i} x_j   (each i)
 *          sum_j x_j <= p,  0 <= x_j <= max_per_station integer,  y_ik in {0, 1}
 * whose coefficients fall with k, so y_i1, y_i2, ... fill in order and the optimum equals the
 * expected coverage. Its LP relaxation (GLPK simplex) is the upper bound; GLPK's branch and bound
 * solves it exactly when asked.
 */
#include <float.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include <glpk.h>

#include "carecircle/cc_mexclp.h"
#include "site_internal.h"

typedef struct sol_impl {
    cc_mexclp_solution pub; /* first: destroy casts */
    uint32_t *count;
} sol_impl;

void cc_mexclp_solution_destroy(cc_mexclp_solution *s)
{
    sol_impl *si = (sol_impl *)s;
    if (!si) return;
    free(si->count);
    free(si);
}

typedef struct mx {
    const cc_site_instance *in;
    double q;
    uint32_t p, maxps;
    const uint32_t *base;
    uint32_t *c;   /* new ambulances reaching each demand point */
    uint32_t *x;   /* ambulances per candidate */
    double *pw;    /* q^k, k = 0 .. kmax */
    uint32_t kmax;
} mx;

static double qpow(const mx *m, uint32_t k)
{
    return k <= m->kmax ? m->pw[k] : pow(m->q, (double)k);
}

static uint32_t base_of(const mx *m, uint32_t i)
{
    return m->base ? m->base[i] : 0;
}

/* Expected coverage added by one more ambulance at j. */
static double gain(const mx *m, uint32_t j)
{
    double g = 0;
    for (uint64_t e = m->in->first[j]; e < m->in->first[j + 1]; e++) {
        uint32_t i = m->in->demand[e];
        g += m->in->weight[i] * qpow(m, base_of(m, i) + m->c[i]);
    }
    return g * (1.0 - m->q);
}

static void place(mx *m, uint32_t j, int delta)
{
    m->x[j] = (uint32_t)((int)m->x[j] + delta);
    for (uint64_t e = m->in->first[j]; e < m->in->first[j + 1]; e++) m->c[m->in->demand[e]] = (uint32_t)((int)m->c[m->in->demand[e]] + delta);
}

static double objective(const mx *m)
{
    double f = 0;
    for (uint32_t i = 0; i < m->in->n_demand; i++) f += m->in->weight[i] * (1.0 - qpow(m, base_of(m, i) + m->c[i]));
    return f;
}

/* The best candidate for one more ambulance (ties: the lowest id); CC_INVALID_ID when none can take one. */
static uint32_t best_add(const mx *m, double *g_out)
{
    uint32_t best = CC_INVALID_ID;
    double bg = -1;
    for (uint32_t j = 0; j < m->in->n_candidates; j++) {
        if (m->x[j] >= m->maxps) continue;
        double g = gain(m, j);
        if (g > bg + 1e-12 * (fabs(bg) + 1)) {
            bg = g;
            best = j;
        }
    }
    *g_out = bg;
    return best;
}

static void heuristic(mx *m, cc_mexclp_solution *s)
{
    for (uint32_t k = 0; k < m->p; k++) {
        double g;
        uint32_t j = best_add(m, &g);
        if (j == CC_INVALID_ID) break;
        place(m, j, +1);
    }
    s->objective_greedy = objective(m);
    /* single moves: take one ambulance away from a, put it where it adds the most */
    double f = s->objective_greedy;
    for (int pass = 0; pass < 1000; pass++) {
        bool improved = false;
        for (uint32_t a = 0; a < m->in->n_candidates; a++) {
            if (!m->x[a]) continue;
            place(m, a, -1);
            double g;
            uint32_t b = best_add(m, &g);
            place(m, b, +1);
            double f2 = objective(m);
            if (b != a && f2 > f + 1e-9 * (fabs(f) + 1)) {
                f = f2;
                s->moves++;
                improved = true;
            } else {
                place(m, b, -1);
                place(m, a, +1);
            }
        }
        if (!improved) break;
    }
}

/* Daskin's programme through GLPK: the LP relaxation (mip = false) or the integer optimum. */
static cc_status glpk_solve(cc_ctx *ctx, const mx *m, bool mip, double time_limit_s, const uint32_t *start, double *value, uint32_t *x_out,
                            bool *proven)
{
    const cc_site_instance *in = m->in;
    const uint32_t nc = in->n_candidates, nd = in->n_demand;
    cc_status st = CC_OK;
    /* transpose: candidates reaching each demand point */
    uint32_t *deg = cc__calloc_array((size_t)nd + 1, sizeof(uint32_t));
    size_t npairs = (size_t)in->first[nc];
    int *ia = cc__malloc_array(2 * npairs + (size_t)nd * m->p + nc + 2, sizeof(int));
    int *ja = cc__malloc_array(2 * npairs + (size_t)nd * m->p + nc + 2, sizeof(int));
    double *ar = cc__malloc_array(2 * npairs + (size_t)nd * m->p + nc + 2, sizeof(double));
    if (!deg || !ia || !ja || !ar) {
        st = cc__fail(ctx, CC_ERR_NOMEM, "Out of memory for the MEXCLP programme");
        goto out;
    }
    for (size_t e = 0; e < npairs; e++) deg[in->demand[e]]++;
    glp_prob *lp = glp_create_prob();
    glp_set_obj_dir(lp, GLP_MAX);
    glp_add_cols(lp, (int)nc);
    for (uint32_t j = 0; j < nc; j++) {
        glp_set_col_bnds(lp, (int)j + 1, GLP_DB, 0.0, (double)m->maxps);
        if (mip) glp_set_col_kind(lp, (int)j + 1, GLP_IV);
    }
    /* rows: 1 = budget, 1 + i + 1 = demand i */
    glp_add_rows(lp, (int)nd + 1);
    glp_set_row_bnds(lp, 1, GLP_UP, 0.0, (double)m->p);
    size_t nz = 0;
    for (uint32_t j = 0; j < nc; j++) {
        ++nz;
        ia[nz] = 1;
        ja[nz] = (int)j + 1;
        ar[nz] = 1.0;
    }
    for (uint32_t i = 0; i < nd; i++) glp_set_row_bnds(lp, (int)i + 2, GLP_UP, 0.0, 0.0);
    for (uint32_t j = 0; j < nc; j++)
        for (uint64_t e = in->first[j]; e < in->first[j + 1]; e++) {
            ++nz;
            ia[nz] = (int)in->demand[e] + 2;
            ja[nz] = (int)j + 1;
            ar[nz] = -1.0;
        }
    double cst = 0;
    for (uint32_t i = 0; i < nd; i++) {
        uint32_t b = base_of(m, i);
        cst += in->weight[i] * (1.0 - qpow(m, b));
        uint32_t K = deg[i] ? (uint32_t)(m->p < (uint64_t)deg[i] * m->maxps ? m->p : deg[i] * m->maxps) : 0;
        if (!K) continue;
        int c0 = glp_add_cols(lp, (int)K);
        for (uint32_t k = 0; k < K; k++) {
            glp_set_col_bnds(lp, c0 + (int)k, GLP_DB, 0.0, 1.0);
            if (mip) glp_set_col_kind(lp, c0 + (int)k, GLP_BV);
            glp_set_obj_coef(lp, c0 + (int)k, in->weight[i] * (1.0 - m->q) * qpow(m, b + k));
            ++nz;
            ia[nz] = (int)i + 2;
            ja[nz] = c0 + (int)k;
            ar[nz] = 1.0;
        }
    }
    glp_set_obj_coef(lp, 0, cst);
    glp_load_matrix(lp, (int)nz, ia, ja, ar);
    int term = glp_term_out(GLP_OFF);
    glp_smcp sp;
    glp_init_smcp(&sp);
    sp.msg_lev = GLP_MSG_OFF;
    int rc = glp_simplex(lp, &sp);
    if (rc != 0 || glp_get_status(lp) != GLP_OPT) {
        st = cc__fail(ctx, CC_ERR_INTERNAL, "GLPK could not solve the MEXCLP relaxation (code %d, status %d)", rc, glp_get_status(lp));
        goto done;
    }
    *value = glp_get_obj_val(lp);
    if (proven) *proven = false;
    if (mip) {
        (void)start;
        bool optimal;
        if ((st = cc__glpk_intopt(ctx, lp, time_limit_s, "MEXCLP", value, &optimal))) goto done;
        if (proven) *proven = optimal;
        for (uint32_t j = 0; x_out && j < nc; j++) x_out[j] = (uint32_t)llround(glp_mip_col_val(lp, (int)j + 1));
    }
done:
    glp_term_out(term);
    glp_delete_prob(lp);
out:
    free(deg);
    free(ia);
    free(ja);
    free(ar);
    return st;
}

cc_status cc_mexclp_solve(cc_ctx *ctx, const cc_site_instance *in, const cc_mexclp_params *pr, cc_mexclp_solution **out)
{
    *out = NULL;
    if (!pr->p) return cc__fail(ctx, CC_ERR_PARAM, "Parameter p is 0: place at least one ambulance");
    if (!(pr->busy_fraction >= 0 && pr->busy_fraction < 1))
        return cc__fail(ctx, CC_ERR_PARAM, "Parameter busy_fraction is %g: give a share of time from 0 to below 1 (e.g. 0.2)", pr->busy_fraction);
    if (!in->first || !in->weight || (in->first[in->n_candidates] && !in->demand))
        return cc__fail(ctx, CC_ERR_PARAM, "Malformed siting instance (missing arrays)");
    for (uint64_t e = 0; e < in->first[in->n_candidates]; e++)
        if (in->demand[e] >= in->n_demand) return cc__fail(ctx, CC_ERR_PARAM, "Demand id %u out of range (%u demand points)", in->demand[e], in->n_demand);
    cc_status st = CC_OK;
    sol_impl *si = calloc(1, sizeof(*si));
    mx m = {.in = in, .q = pr->busy_fraction, .p = pr->p, .maxps = pr->max_per_station ? pr->max_per_station : pr->p, .base = pr->base_count};
    uint32_t maxb = 0;
    for (uint32_t i = 0; m.base && i < in->n_demand; i++) maxb = m.base[i] > maxb ? m.base[i] : maxb;
    m.kmax = maxb + pr->p + 1;
    m.c = cc__calloc_array((size_t)in->n_demand + 1, sizeof(uint32_t));
    m.x = cc__calloc_array((size_t)in->n_candidates + 1, sizeof(uint32_t));
    m.pw = cc__malloc_array((size_t)m.kmax + 1, sizeof(double));
    uint32_t *xe = cc__calloc_array((size_t)in->n_candidates + 1, sizeof(uint32_t));
    if (!si || !m.c || !m.x || !m.pw || !xe) {
        st = cc__fail(ctx, CC_ERR_NOMEM, "Out of memory for MEXCLP");
        goto out;
    }
    m.pw[0] = 1.0;
    for (uint32_t k = 1; k <= m.kmax; k++) m.pw[k] = m.pw[k - 1] * m.q;
    cc_mexclp_solution *s = &si->pub;
    s->n_candidates = in->n_candidates;
    s->objective_before = objective(&m);
    for (uint32_t i = 0; i < in->n_demand; i++) s->covered_twice_before += base_of(&m, i) >= 2 ? in->weight[i] : 0.0;
    heuristic(&m, s);
    s->objective = objective(&m);
    double lp;
    if ((st = glpk_solve(ctx, &m, false, 0, NULL, &lp, NULL, NULL))) goto out;
    s->bound = fmax(lp * (1 + 1e-9) + 1e-9, s->objective);
    if (pr->exact) {
        double v;
        bool proven = false;
        if ((st = glpk_solve(ctx, &m, true, pr->time_limit_s, m.x, &v, xe, &proven))) goto out;
        if (v > s->objective + 1e-9 * (fabs(v) + 1)) { /* the exact answer is better: take it */
            memset(m.c, 0, (size_t)in->n_demand * sizeof(uint32_t));
            memset(m.x, 0, (size_t)in->n_candidates * sizeof(uint32_t));
            for (uint32_t j = 0; j < in->n_candidates; j++)
                for (uint32_t k = 0; k < xe[j]; k++) place(&m, j, +1);
            s->objective = objective(&m);
        }
        if (proven) {
            s->bound = fmax(s->objective, v);
            s->proven_optimal = fabs(v - s->objective) <= 1e-9 * (fabs(v) + 1);
        }
    }
    for (uint32_t i = 0; i < in->n_demand; i++) {
        uint32_t n = base_of(&m, i) + m.c[i];
        s->covered_once += n >= 1 ? in->weight[i] : 0.0;
        s->covered_twice += n >= 2 ? in->weight[i] : 0.0;
    }
    double gained = s->objective - s->objective_before;
    s->gap = s->bound - s->objective <= 1e-9 * (fabs(s->bound) + 1) ? 0.0 : gained > 0 ? (s->bound - s->objective) / gained : INFINITY;
    if (s->gap == 0) s->proven_optimal = true;
    si->count = m.x;
    m.x = NULL;
    s->count = si->count;
    *out = s;
    si = NULL;
out:
    cc_mexclp_solution_destroy((cc_mexclp_solution *)si);
    free(m.c);
    free(m.x);
    free(m.pw);
    free(xe);
    return st;
}

/* ---- MEXCLP through cc_site_solve() ------------------------------------------------------------ */

/* Expected coverage added by k more ambulances at j, given c (new ones reaching each point). */
static double gain_k(const cc_site_instance *in, double q, const uint32_t *base, const uint32_t *c, uint32_t j, uint32_t k)
{
    double g = 0, qk = pow(q, (double)k);
    for (uint64_t e = in->first[j]; e < in->first[j + 1]; e++) {
        uint32_t i = in->demand[e];
        uint32_t n = (base ? base[i] : 0) + c[i];
        g += in->weight[i] * pow(q, (double)n) * (1.0 - qk);
    }
    return g;
}

/* Demand points with the same existing ambulances and the same candidates are one class (exact:
 * the objective is a sum over points of w f(base, chosen candidates)); on raster demand this
 * shrinks the programme many times. */
typedef struct mx_red {
    cc_site_instance in;
    uint64_t *first;
    uint32_t *demand, *base;
    double *weight;
} mx_red;

typedef struct hid {
    uint64_t h;
    uint32_t i;
} hid;

static int cmp_hid(const void *a, const void *b)
{
    const hid *x = a, *y = b;
    return x->h < y->h ? -1 : x->h > y->h ? 1 : x->i < y->i ? -1 : x->i > y->i;
}

static void mx_red_free(mx_red *r)
{
    CC__FREE_ALL(r->first, r->demand, r->base, r->weight);
}

static cc_status mx_reduce(cc_ctx *ctx, const cc_site_instance *in, const uint32_t *base, mx_red *r)
{
    const uint32_t nc = in->n_candidates, nd = in->n_demand;
    const size_t np = (size_t)in->first[nc];
    cc_status st = CC_OK;
    uint64_t *tf = cc__calloc_array((size_t)nd + 1, sizeof(uint64_t));
    uint32_t *tc = cc__malloc_array(np ? np : 1, sizeof(uint32_t));
    uint32_t *cls = cc__malloc_array(nd ? nd : 1, sizeof(uint32_t));
    uint32_t *reps = cc__malloc_array(nd ? nd : 1, sizeof(uint32_t));
    hid *v = cc__malloc_array(nd ? nd : 1, sizeof(hid));
    memset(r, 0, sizeof(*r));
    if (!tf || !tc || !cls || !reps || !v) goto nomem;
    for (size_t e = 0; e < np; e++) tf[in->demand[e] + 1]++;
    for (uint32_t i = 0; i < nd; i++) tf[i + 1] += tf[i];
    {
        uint64_t *pos = cc__malloc_array((size_t)nd + 1, sizeof(uint64_t));
        if (!pos) goto nomem;
        memcpy(pos, tf, ((size_t)nd + 1) * sizeof(uint64_t));
        for (uint32_t j = 0; j < nc; j++)
            for (uint64_t e = in->first[j]; e < in->first[j + 1]; e++) tc[pos[in->demand[e]]++] = j; /* ascending j */
        free(pos);
    }
    for (uint32_t i = 0; i < nd; i++) {
        uint64_t h = 1469598103934665603ull ^ (base ? base[i] : 0);
        h *= 1099511628211ull;
        for (uint64_t e = tf[i]; e < tf[i + 1]; e++) h = (h ^ tc[e]) * 1099511628211ull;
        h = (h ^ (tf[i + 1] - tf[i])) * 1099511628211ull;
        v[i] = (hid){h, i};
    }
    qsort(v, nd, sizeof(hid), cmp_hid);
    uint32_t ncls = 0;
    for (uint32_t a = 0; a < nd;) {
        uint32_t b = a;
        while (b < nd && v[b].h == v[a].h) b++;
        uint32_t c0 = ncls; /* classes made in this hash group */
        for (uint32_t k = a; k < b; k++) {
            uint32_t i = v[k].i, c = CC_INVALID_ID;
            for (uint32_t cc = c0; cc < ncls && c == CC_INVALID_ID; cc++) {
                uint32_t q = reps[cc];
                if ((base ? base[q] : 0) != (base ? base[i] : 0) || tf[q + 1] - tf[q] != tf[i + 1] - tf[i]) continue;
                if (!memcmp(tc + tf[q], tc + tf[i], (size_t)(tf[i + 1] - tf[i]) * sizeof(uint32_t))) c = cc;
            }
            if (c == CC_INVALID_ID) {
                c = ncls++;
                reps[c] = i;
            }
            cls[i] = c;
        }
        a = b;
    }
    r->first = cc__calloc_array((size_t)nc + 1, sizeof(uint64_t));
    r->base = cc__calloc_array(ncls ? ncls : 1, sizeof(uint32_t));
    r->weight = cc__calloc_array(ncls ? ncls : 1, sizeof(double));
    size_t nrp = 0;
    for (uint32_t c = 0; c < ncls; c++) nrp += (size_t)(tf[reps[c] + 1] - tf[reps[c]]);
    r->demand = cc__malloc_array(nrp ? nrp : 1, sizeof(uint32_t));
    if (!r->first || !r->base || !r->weight || !r->demand) goto nomem;
    for (uint32_t i = 0; i < nd; i++) r->weight[cls[i]] += in->weight[i];
    for (uint32_t c = 0; c < ncls; c++) {
        r->base[c] = base ? base[reps[c]] : 0;
        for (uint64_t e = tf[reps[c]]; e < tf[reps[c] + 1]; e++) r->first[tc[e] + 1]++;
    }
    for (uint32_t j = 0; j < nc; j++) r->first[j + 1] += r->first[j];
    {
        uint64_t *pos = cc__malloc_array((size_t)nc + 1, sizeof(uint64_t));
        if (!pos) goto nomem;
        memcpy(pos, r->first, ((size_t)nc + 1) * sizeof(uint64_t));
        for (uint32_t c = 0; c < ncls; c++)
            for (uint64_t e = tf[reps[c]]; e < tf[reps[c] + 1]; e++) r->demand[pos[tc[e]]++] = c;
        free(pos);
    }
    r->in = (cc_site_instance){.n_candidates = nc, .n_demand = ncls, .first = r->first, .demand = r->demand, .weight = r->weight};
    goto out;
nomem:
    st = cc__fail(ctx, CC_ERR_NOMEM, "Out of memory for MEXCLP");
    mx_red_free(r);
out:
    CC__FREE_ALL(tf, tc, cls, reps, v);
    return st;
}

cc_status cc__solve_mexclp_site(cc_ctx *ctx, const cc_site_instance *in0, const cc_site_params *pr, cc__sol **out)
{
    *out = NULL;
    if (!pr->p) return cc__fail(ctx, CC_ERR_PARAM, "Parameter p is 0: place at least one ambulance");
    if (!(pr->busy_fraction > 0 && pr->busy_fraction < 1))
        return cc__fail(ctx, CC_ERR_PARAM, "Parameter busy_fraction is %g: give a share of time above 0 and below 1 (e.g. 0.2)", pr->busy_fraction);
    if (in0->n_candidates == 0) return cc__fail(ctx, CC_ERR_PARAM, "There are no candidate sites");
    if (!in0->first || !in0->weight || (in0->first[in0->n_candidates] && !in0->demand))
        return cc__fail(ctx, CC_ERR_PARAM, "The instance lacks its coverage sets or weights");
    if (pr->max_per_station && (uint64_t)pr->max_per_station * in0->n_candidates < pr->p)
        return cc__fail(ctx, CC_ERR_PARAM, "Parameter p (%u ambulances) is more than %u candidate stations hold at parameter max_per_station %u",
                        pr->p, in0->n_candidates, pr->max_per_station);
    for (uint32_t i = 0; i < in0->n_demand; i++)
        if (!(in0->weight[i] >= 0) || !isfinite(in0->weight[i]))
            return cc__fail(ctx, CC_ERR_PARAM, "Demand point %u has weight %g; weights must be finite and not negative", i, in0->weight[i]);
    for (uint64_t e = 0; e < in0->first[in0->n_candidates]; e++)
        if (in0->demand[e] >= in0->n_demand) return cc__fail(ctx, CC_ERR_PARAM, "Demand id %u out of range (%u demand points)", in0->demand[e], in0->n_demand);
    double t0 = cc__now();
    mx_red red;
    cc_status st = mx_reduce(ctx, in0, pr->base_count, &red);
    if (st) return st;
    const cc_site_instance *in = &red.in;
    double t_red = cc__now() - t0;
    cc_mexclp_params mp = {.p = pr->p, .busy_fraction = pr->busy_fraction, .max_per_station = pr->max_per_station, .base_count = red.base,
                           .exact = pr->exact, .time_limit_s = pr->time_limit_s};
    cc_mexclp_solution *ms = NULL;
    if ((st = cc_mexclp_solve(ctx, in, &mp, &ms))) {
        mx_red_free(&red);
        return st;
    }
    uint32_t ns = 0;
    for (uint32_t j = 0; j < in->n_candidates; j++) ns += ms->count[j] > 0;
    cc__sol *si = NULL;
    uint32_t *c = cc__calloc_array((size_t)in->n_demand + 1, sizeof(uint32_t));
    uint8_t *used = cc__calloc_array((size_t)in->n_candidates + 1, 1);
    if (!c || !used) {
        st = cc__fail(ctx, CC_ERR_NOMEM, "Out of memory for MEXCLP");
        goto out;
    }
    if ((st = cc__sol_new(ctx, pr, ns, 0, &si))) goto out;
    if (!(si->count = cc__malloc_array(ns ? ns : 1, sizeof(uint32_t)))) {
        st = cc__fail(ctx, CC_ERR_NOMEM, "Out of memory for MEXCLP");
        goto out;
    }
    /* rank the stations: each adds the most expected coverage (with all its ambulances) to those before it */
    for (uint32_t r = 0; r < ns; r++) {
        uint32_t best = CC_INVALID_ID;
        double bg = -1;
        for (uint32_t j = 0; j < in->n_candidates; j++) {
            if (!ms->count[j] || used[j]) continue;
            double g = gain_k(in, pr->busy_fraction, red.base, c, j, ms->count[j]);
            if (g > bg + 1e-12 * (fabs(bg) + 1)) {
                bg = g;
                best = j;
            }
        }
        used[best] = 1;
        si->sites[r] = best;
        si->gain[r] = bg;
        si->count[r] = ms->count[best];
        for (uint64_t e = in->first[best]; e < in->first[best + 1]; e++) c[in->demand[e]] += ms->count[best];
    }
    double wsum = 0;
    for (uint32_t i = 0; i < in->n_demand; i++) wsum += in->weight[i];
    cc_site_solution *s = &si->pub;
    s->site_count = si->count;
    s->objective = ms->objective;
    s->bound = ms->bound;
    s->gap = ms->gap;
    s->proven_optimal = ms->proven_optimal;
    s->bound_method = pr->exact ? (ms->proven_optimal ? "mip" : "lp") : "lp";
    s->covered_before = ms->objective_before;
    s->total_weight = in->total_weight > 0 ? in->total_weight : wsum;
    s->covered_once = ms->covered_once;
    s->covered_share = s->total_weight > 0 ? s->covered_once / s->total_weight : 0;
    s->covered_twice = ms->covered_twice;
    s->covered_twice_before = ms->covered_twice_before;
    s->objective_greedy = ms->objective_greedy;
    s->swaps = ms->moves;
    s->demand_classes = in->n_demand;
    s->pairs_reduced = in->first[in->n_candidates];
    s->t_reduce_s = t_red;
    s->t_heuristic_s = s->t_total_s = cc__now() - t0 - t_red;
    *out = si;
    si = NULL;
out:
    cc_site_solution_destroy(si ? &si->pub : NULL);
    cc_mexclp_solution_destroy(ms);
    mx_red_free(&red);
    free(c);
    free(used);
    return st;
}
