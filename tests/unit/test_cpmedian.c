/*
 * test_cpmedian.c - the capacitated p-median (cc_site_solve with CC_SITE_CPMEDIAN) on random small
 * instances, with and without capacitated existing facilities:
 *  - GLPK's exact optimum equals a brute-force enumeration of every set of at most p sites, each
 *    set's mean time computed here by an independent transportation LP (GLPK's simplex on a
 *    different formulation: every person assigned, to a site or to the base time, with equality
 *    rows), not by the solver's minimum-cost flow;
 *  - every reported objective equals that LP for the reported sites; the heuristic is never
 *    better than the optimum nor further from it than its gap; the bound is never above it;
 *    no site serves more than its capacity;
 *  - with capacities above the population it is the p-median's optimum;
 *  - bad parameters are refused.
 */
#include <glpk.h>
#include <math.h>

#include "test_util.h"

typedef struct inst {
    cc_site_instance in;     /* the solver's view: nc new candidates, nf capacitated existing */
    uint32_t nc, nf, nd;
    uint64_t *first;         /* nc + nf sites */
    uint32_t *dem, *tms, *base;
    double *w, *cap;         /* cap: nc + nf */
} inst;

static void inst_free(inst *I)
{
    free(I->first);
    free(I->dem);
    free(I->tms);
    free(I->base);
    free(I->w);
    free(I->cap);
}

#define RADIUS 3600000u

static void make_inst(inst *I, uint64_t seed, uint32_t nc, uint32_t nf, uint32_t nd, double radius, double C, bool one_cap)
{
    uint64_t s = seed;
    memset(I, 0, sizeof(*I));
    I->nc = nc, I->nf = nf, I->nd = nd;
    tu_unit_square_sets(&s, nc + nf, nd, radius, 500, &I->first, &I->dem, &I->w);
    uint64_t np = I->first[nc + nf];
    I->tms = malloc((np ? np : 1) * sizeof(uint32_t));
    I->base = malloc(nd * sizeof(uint32_t));
    I->cap = malloc((nc + nf) * sizeof(double));
    for (uint32_t i = 0; i < nd; i++) /* a third has an uncapacitated existing facility nearer than the radius */
        I->base[i] = tu_rand(&s) % 3 == 0 ? 600000u + (uint32_t)(tu_rand(&s) % 2400000u) : RADIUS;
    for (uint64_t e = 0; e < np; e++) I->tms[e] = 60000u + (uint32_t)(tu_rand(&s) % 3000000u);
    for (uint32_t j = 0; j < nc + nf; j++) I->cap[j] = one_cap && j < nc ? C : (double)(tu_rand(&s) % 1500);
    I->in = (cc_site_instance){.n_candidates = nc, .n_demand = nd, .first = I->first, .demand = I->dem, .time_ms = I->tms, .weight = I->w,
                               .base_time_ms = I->base, .radius_ms = RADIUS, .capacity = one_cap ? NULL : I->cap,
                               .n_fixed = nf, .fixed_first = nf ? I->first + nc : NULL, .fixed_capacity = nf ? I->cap + nc : NULL};
}

/* Mean time (s) with the sites of mask (bits over nc + nf) open: min sum t y + sum base u,
 * sum_j y_ij + u_i = w_i, sum_i y_ij <= cap_j, y, u >= 0; pairs of every open site, whatever
 * their time (an assignment slower than the base is simply never chosen). */
static double lp_mean(const inst *I, uint32_t mask, double *served)
{
    const uint32_t ns = I->nc + I->nf;
    glp_prob *lp = glp_create_prob();
    glp_set_obj_dir(lp, GLP_MIN);
    glp_add_rows(lp, (int)(I->nd + ns));
    for (uint32_t i = 0; i < I->nd; i++) glp_set_row_bnds(lp, (int)i + 1, GLP_FX, I->w[i], I->w[i]);
    for (uint32_t j = 0; j < ns; j++) glp_set_row_bnds(lp, (int)(I->nd + j + 1), GLP_UP, 0, I->cap[j]);
    int col = 0;
    int ind[3];
    double val[3];
    for (uint32_t i = 0; i < I->nd; i++) { /* u_i */
        col = glp_add_cols(lp, 1);
        glp_set_col_bnds(lp, col, GLP_LO, 0, 0);
        glp_set_obj_coef(lp, col, (double)I->base[i]);
        ind[1] = (int)i + 1, val[1] = 1;
        glp_set_mat_col(lp, col, 1, ind, val);
    }
    int first_y = col + 1;
    for (uint32_t j = 0; j < ns; j++) {
        if (!(mask >> j & 1)) continue;
        for (uint64_t e = I->first[j]; e < I->first[j + 1]; e++) {
            col = glp_add_cols(lp, 1);
            glp_set_col_bnds(lp, col, GLP_LO, 0, 0);
            glp_set_obj_coef(lp, col, (double)I->tms[e]);
            ind[1] = (int)I->dem[e] + 1, val[1] = 1;
            ind[2] = (int)(I->nd + j + 1), val[2] = 1;
            glp_set_mat_col(lp, col, 2, ind, val);
        }
    }
    glp_smcp sp;
    glp_init_smcp(&sp);
    sp.msg_lev = GLP_MSG_OFF;
    int rc = glp_simplex(lp, &sp);
    if (rc || glp_get_status(lp) != GLP_OPT) fail_msg("independent LP: rc %d status %d", rc, glp_get_status(lp));
    double wsum = 0;
    for (uint32_t i = 0; i < I->nd; i++) wsum += I->w[i];
    double v = glp_get_obj_val(lp) / wsum / 1000.0;
    if (served) {
        col = first_y;
        for (uint32_t j = 0; j < ns; j++) {
            served[j] = 0;
            if (!(mask >> j & 1)) continue;
            for (uint64_t e = I->first[j]; e < I->first[j + 1]; e++) served[j] += glp_get_col_prim(lp, col++);
        }
    }
    glp_delete_prob(lp);
    return v;
}

static double brute(const inst *I, uint32_t p)
{
    uint32_t fmask = ((1u << I->nf) - 1) << I->nc;
    double best = INFINITY;
    for (uint32_t m = 0; m < (1u << I->nc); m++)
        if ((uint32_t)__builtin_popcount(m) <= p) best = fmin(best, lp_mean(I, m | fmask, NULL));
    return best;
}

static double tol(double v)
{
    return 1e-6 * (fabs(v) + 1);
}

static cc_site_solution *solve(const inst *I, uint32_t p, double C, bool exact)
{
    cc_site_params pr = {.model = CC_SITE_CPMEDIAN, .p = p, .capacity_persons = C, .exact = exact};
    cc_site_solution *s = NULL;
    if (cc_site_solve(ctx, &I->in, &pr, &s)) fail_msg("cc_site_solve: %s", cc_ctx_last_error(ctx));
    return s;
}

static void test_random(void **state)
{
    (void)state;
    int n = 0, equal = 0, with_fixed = 0, binding = 0;
    double max_gap = 0;
    for (int k = 0; k < 150; k++) {
        uint64_t seed = 15485863ULL * (uint64_t)(k + 1), s = seed;
        uint32_t nc = 3 + (uint32_t)(tu_rand(&s) % 6), nf = k % 3 == 0 ? 1 + (uint32_t)(tu_rand(&s) % 2) : 0;
        uint32_t nd = 8 + (uint32_t)(tu_rand(&s) % 16), p = 1 + (uint32_t)(tu_rand(&s) % 3);
        if (p > nc) p = nc;
        double C = 100 + (double)(tu_rand(&s) % 1500), radius = 0.25 + 0.3 * tu_uniform(&s);
        inst I;
        make_inst(&I, seed, nc, nf, nd, radius, C, k % 2 == 1);
        uint32_t fmask = ((1u << nf) - 1) << nc;
        double opt = brute(&I, p);
        cc_site_solution *h = solve(&I, p, C, false), *x = solve(&I, p, C, true);
        if (fabs(x->objective - opt) > tol(opt)) fail_msg("seed %llu: GLPK %.6f, brute force %.6f", (unsigned long long)seed, x->objective, opt);
        assert_true(x->proven_optimal);
        if (fabs(h->covered_before - lp_mean(&I, fmask, NULL)) > tol(opt))
            fail_msg("seed %llu: mean before %.6f, LP %.6f", (unsigned long long)seed, h->covered_before, lp_mean(&I, fmask, NULL));
        for (int v = 0; v < 2; v++) {
            const cc_site_solution *a = v ? x : h;
            assert_true(a->n_sites <= p);
            uint32_t mask = fmask;
            double gsum = 0, wsum = 0, served[16];
            for (uint32_t r = 0; r < a->n_sites; r++) {
                mask |= 1u << a->sites[r];
                gsum += a->site_gain[r];
                assert_true(a->sites[r] < nc);
                assert_true(a->site_served[r] <= I.cap[a->sites[r]] + 1e-6);
            }
            double mine = lp_mean(&I, mask, served);
            if (fabs(mine - a->objective) > tol(mine))
                fail_msg("seed %llu (%s): reported %.6f, independent LP %.6f", (unsigned long long)seed, v ? "exact" : "heuristic", a->objective, mine);
            for (uint32_t i = 0; i < nd; i++) wsum += I.w[i];
            /* gains are person-seconds saved: before - after = sum of gains / population */
            assert_true(fabs(a->covered_before - gsum / wsum - a->objective) <= tol(a->objective));
            assert_true(a->objective >= opt - tol(opt));
            if (a->bound > opt + tol(opt)) fail_msg("seed %llu: bound %.6f above the optimum %.6f", (unsigned long long)seed, a->bound, opt);
            if (a->objective - opt > a->gap * a->objective + tol(opt))
                fail_msg("seed %llu: %.6f further from the optimum %.6f than its gap %.6f", (unsigned long long)seed, a->objective, opt, a->gap);
            assert_true(a->unserved_within >= -1e-6);
        }
        equal += fabs(h->objective - opt) <= tol(opt);
        with_fixed += nf > 0;
        binding += h->unserved_within > 1;
        if (h->gap > max_gap) max_gap = h->gap;
        cc_site_solution_destroy(h);
        cc_site_solution_destroy(x);
        inst_free(&I);
        n++;
    }
    print_message("CPMEDIAN: GLPK = brute force (independent LP per set) on %d random instances (%d with capacitated existing, %d with people "
                  "left at the radius by capacity); heuristic = optimum on %d, largest gap reported %.4f\n",
                  n, with_fixed, binding, equal, max_gap);
    assert_true(equal >= n * 8 / 10);
    assert_true(with_fixed >= 40 && binding >= 10);
}

/* Capacities above the whole population and no existing capacitated: the p-median. */
static void test_large_capacity_is_pmedian(void **state)
{
    (void)state;
    for (uint64_t seed = 1; seed <= 30; seed++) {
        inst I;
        uint32_t p = 1 + (uint32_t)(seed % 3);
        make_inst(&I, seed * 7777, 9, 0, 30, 0.35, 1e9, true);
        /* the p-median keeps only pairs faster than the base time, as the run does */
        cc_site_solution *x = solve(&I, p, 1e9, true);
        cc_site_params pr = {.model = CC_SITE_PMEDIAN, .p = p, .exact = true};
        cc_site_solution *m = NULL;
        if (cc_site_solve(ctx, &I.in, &pr, &m)) fail_msg("cc_site_solve: %s", cc_ctx_last_error(ctx));
        if (fabs(x->objective - m->objective) > tol(m->objective))
            fail_msg("seed %llu: CPMEDIAN(C = inf) %.6f, PMEDIAN %.6f", (unsigned long long)seed, x->objective, m->objective);
        if (fabs(x->p90_s - m->p90_s) > 1e-3) fail_msg("seed %llu: p90 %.3f, PMEDIAN %.3f", (unsigned long long)seed, x->p90_s, m->p90_s);
        assert_true(x->unserved_within <= 1e-6);
        cc_site_solution_destroy(m);
        cc_site_solution_destroy(x);
        inst_free(&I);
    }
}

static void test_bad_params(void **state)
{
    (void)state;
    inst I;
    make_inst(&I, 3, 4, 1, 12, 0.4, 100, true);
    cc_site_solution *s = NULL;
    const double cs[] = {0.0, -5.0, INFINITY, NAN};
    for (size_t k = 0; k < sizeof(cs) / sizeof(cs[0]); k++) {
        cc_site_params pr = {.model = CC_SITE_CPMEDIAN, .p = 1, .capacity_persons = cs[k]};
        assert_int_equal(cc_site_solve(ctx, &I.in, &pr, &s), CC_ERR_PARAM);
        assert_non_null(strstr(cc_ctx_last_error(ctx), "capacity_persons"));
        assert_null(s);
    }
    cc_site_params pr = {.model = CC_SITE_CPMEDIAN, .p = 1, .capacity_persons = 100};
    I.cap[4] = -1; /* the existing facility */
    assert_int_equal(cc_site_solve(ctx, &I.in, &pr, &s), CC_ERR_PARAM);
    assert_non_null(strstr(cc_ctx_last_error(ctx), "Existing facility 0"));
    I.cap[4] = 10;
    pr.p = 5;
    assert_int_equal(cc_site_solve(ctx, &I.in, &pr, &s), CC_ERR_PARAM);
    assert_non_null(strstr(cc_ctx_last_error(ctx), "Parameter p"));
    assert_string_equal(cc_site_model_name(CC_SITE_CPMEDIAN), "cpmedian");
    inst_free(&I);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_random),
        cmocka_unit_test(test_large_capacity_is_pmedian),
        cmocka_unit_test(test_bad_params),
    };
    return cmocka_run_group_tests(tests, tu_ctx_setup, tu_ctx_teardown);
}
