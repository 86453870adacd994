/*
 * test_mexclp.c - availability-aware siting (MEXCLP, cc_mexclp_solve) on random small instances:
 *  - GLPK's exact optimum equals a brute-force enumeration of every placement on tiny instances;
 *  - on 200 random instances the heuristic is never above the optimum, never further from it than
 *    its reported gap, and its bound is never below the optimum; the reported objective equals
 *    the expected coverage recomputed here;
 *  - with q = 0 the optimum is MCLP's (cc_site_solve, exact);
 *  - bad parameters are refused.
 */
#include <math.h>

#include "test_util.h"
#include "carecircle/cc_mexclp.h"

typedef struct inst {
    cc_site_instance in;
    uint64_t *first;
    uint32_t *dem;
    double *w;
    uint32_t *base;
} inst;

static void inst_free(inst *I)
{
    free(I->first);
    free(I->dem);
    free(I->w);
    free(I->base);
}

/* Candidates and demand points uniform in the unit square; a candidate reaches the points within
 * @p radius. With @p with_base, some points are reached by 1 or 2 existing ambulances. */
static void make_inst(inst *I, uint64_t seed, uint32_t nc, uint32_t nd, double radius, bool with_base)
{
    uint64_t s = seed;
    memset(I, 0, sizeof(*I));
    tu_unit_square_sets(&s, nc, nd, radius, 1000, &I->first, &I->dem, &I->w);
    if (with_base) {
        I->base = malloc(nd * sizeof(uint32_t));
        for (uint32_t i = 0; i < nd; i++) I->base[i] = tu_rand(&s) % 4 == 0 ? 1 + (uint32_t)(tu_rand(&s) % 2) : 0;
    }
    I->in = (cc_site_instance){.n_candidates = nc, .n_demand = nd, .first = I->first, .demand = I->dem, .weight = I->w};
}

/* Expected coverage of a placement, from the instance. */
static double expected(const inst *I, const uint32_t *count, double q)
{
    uint32_t *c = calloc(I->in.n_demand, sizeof(uint32_t));
    for (uint32_t j = 0; j < I->in.n_candidates; j++)
        for (uint64_t e = I->first[j]; e < I->first[j + 1]; e++) c[I->dem[e]] += count[j];
    double f = 0;
    for (uint32_t i = 0; i < I->in.n_demand; i++) f += I->w[i] * (1 - pow(q, (double)(c[i] + (I->base ? I->base[i] : 0))));
    free(c);
    return f;
}

/* The best of every placement of p ambulances (several per station allowed, at most maxps). */
static double brute(const inst *I, uint32_t p, uint32_t maxps, double q, uint32_t *count, uint32_t j, uint32_t left)
{
    if (j == I->in.n_candidates) return expected(I, count, q);
    double best = -1;
    for (uint32_t k = 0; k <= left && k <= maxps; k++) {
        count[j] = k;
        double v = brute(I, p, maxps, q, count, j + 1, left - k);
        if (v > best) best = v;
    }
    count[j] = 0;
    return best;
}

static cc_mexclp_solution *solve(const inst *I, uint32_t p, double q, uint32_t maxps, bool exact)
{
    cc_mexclp_params pr = {.p = p, .busy_fraction = q, .max_per_station = maxps, .base_count = I->base, .exact = exact};
    cc_mexclp_solution *s = NULL;
    if (cc_mexclp_solve(ctx, &I->in, &pr, &s)) fail_msg("cc_mexclp_solve: %s", cc_ctx_last_error(ctx));
    return s;
}

static double tol(double v)
{
    return 1e-6 * (fabs(v) + 1);
}

static void test_exact_equals_brute_force(void **state)
{
    (void)state;
    int n = 0;
    for (uint64_t seed = 1; seed <= 40; seed++) {
        inst I;
        uint32_t nc = 3 + (uint32_t)(seed % 3), p = 1 + (uint32_t)(seed % 4), maxps = seed % 2 ? p : 2;
        double q = (double)(seed % 5) * 0.15;
        make_inst(&I, seed * 104729, nc, 15, 0.45, seed % 3 == 0);
        uint32_t cnt[8] = {0};
        double bf = brute(&I, p, maxps, q, cnt, 0, p);
        cc_mexclp_solution *x = solve(&I, p, q, maxps, true);
        if (fabs(x->objective - bf) > tol(bf)) fail_msg("seed %llu: GLPK %.6f, brute force %.6f", (unsigned long long)seed, x->objective, bf);
        assert_true(x->proven_optimal);
        cc_mexclp_solution_destroy(x);
        inst_free(&I);
        n++;
    }
    print_message("MEXCLP exact = brute force on %d tiny instances\n", n);
}

static void test_random(void **state)
{
    (void)state;
    int n = 0, equal = 0;
    double worst = 1, max_gap = 0;
    for (int k = 0; k < 200; k++) {
        uint64_t seed = 7919ULL * (uint64_t)(k + 1), s = seed;
        uint32_t nc = 8 + (uint32_t)(tu_rand(&s) % 13), nd = 25 + (uint32_t)(tu_rand(&s) % 36), p = 1 + (uint32_t)(tu_rand(&s) % 6);
        uint32_t maxps = tu_rand(&s) % 2 ? 0 : 1 + (uint32_t)(tu_rand(&s) % 3);
        double q = 0.05 + 0.5 * tu_uniform(&s), radius = 0.15 + 0.25 * tu_uniform(&s);
        inst I;
        make_inst(&I, seed, nc, nd, radius, k % 4 == 0);
        cc_mexclp_solution *h = solve(&I, p, q, maxps, false), *x = solve(&I, p, q, maxps, true);
        uint32_t mp = maxps ? maxps : p, sum = 0;
        for (uint32_t j = 0; j < nc; j++) {
            assert_true(h->count[j] <= mp);
            sum += h->count[j];
        }
        assert_true(sum <= p);
        double eh = expected(&I, h->count, q), ex = expected(&I, x->count, q);
        if (fabs(eh - h->objective) > tol(eh)) fail_msg("seed %llu: reported %.6f, recomputed %.6f", (unsigned long long)seed, h->objective, eh);
        assert_true(fabs(ex - x->objective) <= tol(ex));
        if (!x->proven_optimal) fail_msg("seed %llu: exact solve not proven", (unsigned long long)seed);
        double opt = x->objective;
        if (h->objective > opt + tol(opt)) fail_msg("seed %llu: heuristic %.6f above the optimum %.6f", (unsigned long long)seed, h->objective, opt);
        if (h->bound < opt - tol(opt)) fail_msg("seed %llu: bound %.6f below the optimum %.6f", (unsigned long long)seed, h->bound, opt);
        double gained = h->objective - h->objective_before;
        if (opt - h->objective > h->gap * gained + tol(opt))
            fail_msg("seed %llu: heuristic %.6f further from the optimum %.6f than its gap %.6f", (unsigned long long)seed, h->objective, opt, h->gap);
        assert_true(h->objective_greedy <= h->objective + tol(h->objective));
        assert_true(h->covered_twice <= h->covered_once + 1e-9);
        equal += fabs(h->objective - opt) <= tol(opt);
        if (opt > 0 && h->objective / opt < worst) worst = h->objective / opt;
        if (h->gap > max_gap) max_gap = h->gap;
        cc_mexclp_solution_destroy(h);
        cc_mexclp_solution_destroy(x);
        inst_free(&I);
        n++;
    }
    print_message("MEXCLP: heuristic = GLPK optimum on %d of %d random instances, worst ratio %.5f, largest gap reported %.4f\n", equal, n,
                  worst, max_gap);
    assert_true(equal >= n * 9 / 10);
}

/* q = 0: one ambulance is as good as many, so MEXCLP is MCLP with at most one per station. */
static void test_q0_is_mclp(void **state)
{
    (void)state;
    for (uint64_t seed = 1; seed <= 30; seed++) {
        inst I;
        uint32_t p = 1 + (uint32_t)(seed % 4);
        make_inst(&I, seed * 31337, 12, 40, 0.3, false);
        cc_mexclp_solution *x = solve(&I, p, 0.0, 1, true);
        cc_site_params pr = {.model = CC_SITE_MCLP, .p = p, .exact = true};
        cc_site_solution *m = NULL;
        if (cc_site_solve(ctx, &I.in, &pr, &m)) fail_msg("cc_site_solve: %s", cc_ctx_last_error(ctx));
        if (fabs(x->objective - m->objective) > tol(m->objective))
            fail_msg("seed %llu: MEXCLP(q=0) %.6f, MCLP %.6f", (unsigned long long)seed, x->objective, m->objective);
        cc_site_solution_destroy(m);
        cc_mexclp_solution_destroy(x);
        inst_free(&I);
    }
}

static void test_bad_params(void **state)
{
    (void)state;
    inst I;
    make_inst(&I, 5, 4, 10, 0.4, false);
    cc_mexclp_solution *s = NULL;
    cc_mexclp_params pr = {.p = 0, .busy_fraction = 0.2};
    assert_int_equal(cc_mexclp_solve(ctx, &I.in, &pr, &s), CC_ERR_PARAM);
    assert_non_null(strstr(cc_ctx_last_error(ctx), "Parameter p"));
    pr.p = 2;
    pr.busy_fraction = 1.0;
    assert_int_equal(cc_mexclp_solve(ctx, &I.in, &pr, &s), CC_ERR_PARAM);
    assert_non_null(strstr(cc_ctx_last_error(ctx), "busy_fraction"));
    assert_null(s);
    cc_mexclp_solution_destroy(NULL);
    inst_free(&I);
}

/* MEXCLP through cc_site_solve() (the siting run's path, with identical demand merged into
 * classes): on random instances with repeated demand points the exact answer equals brute force,
 * the ranked stations and their ambulance counts give the reported objective when recomputed on
 * the original instance, the gains add up, and the heuristic stays within its gap. */
static void test_site_solve_path(void **state)
{
    (void)state;
    int n = 0, equal = 0;
    for (int k = 0; k < 120; k++) {
        uint64_t seed = 15485863ULL * (uint64_t)(k + 1), s = seed;
        uint32_t nc = 3 + (uint32_t)(tu_rand(&s) % 3), p = 1 + (uint32_t)(tu_rand(&s) % 4);
        uint32_t maxps = tu_rand(&s) % 2 ? 0 : 1 + (uint32_t)(tu_rand(&s) % 2);
        if (maxps && maxps * nc < p) maxps = p;
        double q = 0.05 + 0.6 * tu_uniform(&s);
        inst I;
        make_inst(&I, seed, nc, 12, 0.45, k % 3 == 0);
        /* repeat every demand point (same candidates, same base): the classes must merge them */
        uint32_t nd = I.in.n_demand;
        uint64_t *first = calloc(nc + 1, sizeof(uint64_t));
        uint32_t *dem = malloc(2 * I.first[nc] * sizeof(uint32_t) + 4), *base = NULL;
        double *w = malloc(2 * nd * sizeof(double));
        for (uint32_t j = 0; j < nc; j++) {
            uint64_t m = first[j];
            for (uint64_t e = I.first[j]; e < I.first[j + 1]; e++) {
                dem[m++] = I.dem[e];
                dem[m++] = I.dem[e] + nd;
            }
            first[j + 1] = m;
        }
        for (uint32_t i = 0; i < nd; i++) {
            w[i] = I.w[i] * 0.25;
            w[i + nd] = I.w[i] * 0.75;
        }
        if (I.base) {
            base = malloc(2 * nd * sizeof(uint32_t));
            for (uint32_t i = 0; i < nd; i++) base[i] = base[i + nd] = I.base[i];
        }
        cc_site_instance in2 = {.n_candidates = nc, .n_demand = 2 * nd, .first = first, .demand = dem, .weight = w};
        uint32_t cnt[8] = {0};
        double bf = brute(&I, p, maxps ? maxps : p, q, cnt, 0, p);
        for (int exact = 0; exact < 2; exact++) {
            cc_site_params pr = {.model = CC_SITE_MEXCLP, .p = p, .busy_fraction = q, .max_per_station = maxps, .base_count = base, .exact = exact};
            cc_site_solution *x = NULL;
            if (cc_site_solve(ctx, &in2, &pr, &x)) fail_msg("cc_site_solve: %s", cc_ctx_last_error(ctx));
            assert_int_equal(x->model, CC_SITE_MEXCLP);
            assert_non_null(x->site_count);
            uint32_t count[8] = {0}, sum = 0;
            double gsum = 0;
            for (uint32_t r = 0; r < x->n_sites; r++) {
                assert_true(x->site_count[r] >= 1 && x->site_count[r] <= (maxps ? maxps : p));
                count[x->sites[r]] = x->site_count[r];
                sum += x->site_count[r];
                gsum += x->site_gain[r];
                if (r) assert_true(x->site_gain[r] <= x->site_gain[r - 1] + tol(x->site_gain[r - 1])); /* greedy order of a submodular gain */
            }
            assert_true(sum <= p);
            double e = expected(&I, count, q), before = expected(&I, (uint32_t[8]){0}, q);
            if (fabs(e - x->objective) > tol(e)) fail_msg("seed %llu: reported %.6f, recomputed %.6f", (unsigned long long)seed, x->objective, e);
            assert_true(fabs(before - x->covered_before) <= tol(before));
            assert_true(fabs(x->covered_before + gsum - x->objective) <= tol(x->objective));
            assert_true(x->objective <= bf + tol(bf));
            assert_true(x->bound >= bf - tol(bf));
            assert_true(bf - x->objective <= x->gap * (x->objective - x->covered_before) + tol(bf));
            assert_true(x->demand_classes <= nd);
            if (exact) {
                if (fabs(x->objective - bf) > tol(bf)) fail_msg("seed %llu: GLPK %.6f, brute force %.6f", (unsigned long long)seed, x->objective, bf);
                assert_true(x->proven_optimal);
            } else {
                equal += fabs(x->objective - bf) <= tol(bf);
            }
            cc_site_solution_destroy(x);
        }
        free(first);
        free(dem);
        free(w);
        free(base);
        inst_free(&I);
        n++;
    }
    print_message("MEXCLP via cc_site_solve: exact = brute force on %d instances; heuristic = optimum on %d\n", n, equal);
}

static void test_site_solve_bad_params(void **state)
{
    (void)state;
    inst I;
    make_inst(&I, 9, 3, 10, 0.4, false);
    cc_site_solution *s = NULL;
    const double qs[] = {0.0, 1.0, -0.2, 1.5, NAN};
    for (size_t k = 0; k < sizeof(qs) / sizeof(qs[0]); k++) {
        cc_site_params pr = {.model = CC_SITE_MEXCLP, .p = 2, .busy_fraction = qs[k]};
        assert_int_equal(cc_site_solve(ctx, &I.in, &pr, &s), CC_ERR_PARAM);
        assert_non_null(strstr(cc_ctx_last_error(ctx), "Parameter busy_fraction"));
        assert_null(s);
    }
    cc_site_params pr = {.model = CC_SITE_MEXCLP, .p = 7, .busy_fraction = 0.2, .max_per_station = 2};
    assert_int_equal(cc_site_solve(ctx, &I.in, &pr, &s), CC_ERR_PARAM);
    assert_non_null(strstr(cc_ctx_last_error(ctx), "max_per_station"));
    assert_string_equal(cc_site_model_name(CC_SITE_MEXCLP), "mexclp");
    inst_free(&I);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_exact_equals_brute_force),
        cmocka_unit_test(test_random),
        cmocka_unit_test(test_q0_is_mclp),
        cmocka_unit_test(test_bad_params),
        cmocka_unit_test(test_site_solve_path),
        cmocka_unit_test(test_site_solve_bad_params),
    };
    return cmocka_run_group_tests(tests, tu_ctx_setup, tu_ctx_teardown);
}
