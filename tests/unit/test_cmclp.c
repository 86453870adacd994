/*
 * test_cmclp.c - the capacitated MCLP (cc_site_solve with CC_SITE_CMCLP) on random small instances:
 *  - GLPK's exact optimum equals a brute-force enumeration of every set of p sites, each set's
 *    served population computed here by an independent maximum flow (a dense Edmonds-Karp);
 *  - the heuristic is never above the optimum, never further from it than its reported gap, and
 *    its bound is never below the optimum; the served figures add up and respect the capacities;
 *  - per-candidate capacities (inst->capacity) and demand covered already;
 *  - with capacities above the population it is MCLP's optimum;
 *  - capacitated existing facilities (inst->n_fixed): one flow over existing and new sites; GLPK
 *    = brute force, the heuristic within its gap, covered_before = what the existing serve alone;
 *  - bad parameters are refused.
 */
#include <math.h>

#include "test_util.h"

typedef struct inst {
    cc_site_instance in;
    uint64_t *first;
    uint32_t *dem;
    double *w, *cap;
    uint8_t *covered;
} inst;

static void inst_free(inst *I)
{
    free(I->first);
    free(I->dem);
    free(I->w);
    free(I->cap);
    free(I->covered);
}

static void make_inst(inst *I, uint64_t seed, uint32_t nc, uint32_t nd, double radius, bool percand, bool with_covered)
{
    uint64_t s = seed;
    memset(I, 0, sizeof(*I));
    tu_unit_square_sets(&s, nc, nd, radius, 500, &I->first, &I->dem, &I->w);
    if (percand) {
        I->cap = malloc(nc * sizeof(double));
        for (uint32_t j = 0; j < nc; j++) I->cap[j] = (double)(tu_rand(&s) % 1500);
    }
    if (with_covered) {
        I->covered = calloc(nd, 1);
        for (uint32_t i = 0; i < nd; i++) I->covered[i] = tu_rand(&s) % 5 == 0;
    }
    I->in = (cc_site_instance){.n_candidates = nc, .n_demand = nd, .first = I->first, .demand = I->dem, .weight = I->w,
                               .covered = I->covered, .capacity = I->cap};
}

/* Persons served by the sites with mask bits set: a maximum flow on a dense matrix
 * (source 0, candidates 1..nc, demand nc+1..nc+nd, sink nc+nd+1), Edmonds-Karp. */
static double served(const inst *I, uint32_t mask, double C)
{
    const uint32_t nc = I->in.n_candidates, nd = I->in.n_demand, n = nc + nd + 2, t = n - 1;
    double *r = calloc((size_t)n * n, sizeof(double));
    int *par = malloc(n * sizeof(int)), *q = malloc(n * sizeof(int));
    for (uint32_t j = 0; j < nc; j++) {
        if (!(mask >> j & 1)) continue;
        r[0 * n + 1 + j] = I->cap ? I->cap[j] : C;
        for (uint64_t e = I->first[j]; e < I->first[j + 1]; e++)
            if (!(I->covered && I->covered[I->dem[e]])) r[(1 + j) * n + 1 + nc + I->dem[e]] = 1e18;
    }
    for (uint32_t i = 0; i < nd; i++) r[(1 + nc + i) * n + t] = I->covered && I->covered[i] ? 0 : I->w[i];
    double flow = 0;
    for (;;) {
        for (uint32_t v = 0; v < n; v++) par[v] = -1;
        par[0] = 0;
        int h = 0, tl = 0;
        q[tl++] = 0;
        while (h < tl && par[t] < 0) {
            int u = q[h++];
            for (uint32_t v = 0; v < n; v++)
                if (par[v] < 0 && r[(size_t)u * n + v] > 1e-9) {
                    par[v] = u;
                    q[tl++] = (int)v;
                }
        }
        if (par[t] < 0) break;
        double b = 1e300;
        for (uint32_t v = t; v != 0; v = (uint32_t)par[v]) b = fmin(b, r[(size_t)par[v] * n + v]);
        for (uint32_t v = t; v != 0; v = (uint32_t)par[v]) {
            r[(size_t)par[v] * n + v] -= b;
            r[(size_t)v * n + par[v]] += b;
        }
        flow += b;
    }
    free(r);
    free(par);
    free(q);
    return flow;
}

static double covered_before(const inst *I)
{
    double c = 0;
    for (uint32_t i = 0; I->covered && i < I->in.n_demand; i++) c += I->covered[i] ? I->w[i] : 0;
    return c;
}

/* The best set of at most p sites. */
static double brute(const inst *I, uint32_t p, double C)
{
    double best = 0;
    for (uint32_t m = 0; m < (1u << I->in.n_candidates); m++)
        if ((uint32_t)__builtin_popcount(m) <= p) best = fmax(best, served(I, m, C));
    return best + covered_before(I);
}

static double tol(double v)
{
    return 1e-6 * (fabs(v) + 1);
}

static cc_site_solution *solve(const inst *I, uint32_t p, double C, bool exact)
{
    cc_site_params pr = {.model = CC_SITE_CMCLP, .p = p, .capacity_persons = C, .exact = exact};
    cc_site_solution *s = NULL;
    if (cc_site_solve(ctx, &I->in, &pr, &s)) fail_msg("cc_site_solve: %s", cc_ctx_last_error(ctx));
    return s;
}

static void test_random(void **state)
{
    (void)state;
    int n = 0, equal = 0;
    double max_gap = 0;
    for (int k = 0; k < 150; k++) {
        uint64_t seed = 104723ULL * (uint64_t)(k + 1), s = seed;
        uint32_t nc = 4 + (uint32_t)(tu_rand(&s) % 6), nd = 10 + (uint32_t)(tu_rand(&s) % 20), p = 1 + (uint32_t)(tu_rand(&s) % 3);
        if (p > nc) p = nc;
        double C = 200 + (double)(tu_rand(&s) % 2000), radius = 0.2 + 0.3 * tu_uniform(&s);
        inst I;
        make_inst(&I, seed, nc, nd, radius, k % 3 == 1, k % 4 == 2);
        double opt = brute(&I, p, C);
        cc_site_solution *h = solve(&I, p, C, false), *x = solve(&I, p, C, true);
        if (fabs(x->objective - opt) > tol(opt))
            fail_msg("seed %llu: GLPK %.6f, brute force %.6f", (unsigned long long)seed, x->objective, opt);
        assert_true(x->proven_optimal);
        for (int v = 0; v < 2; v++) {
            const cc_site_solution *a = v ? x : h;
            assert_true(a->n_sites <= p);
            assert_non_null(a->site_served);
            uint32_t mask = 0;
            double sum = 0, gsum = 0;
            for (uint32_t r = 0; r < a->n_sites; r++) {
                uint32_t j = a->sites[r];
                mask |= 1u << j;
                sum += a->site_served[r];
                gsum += a->site_gain[r];
                assert_true(a->site_served[r] <= (I.cap ? I.cap[j] : C) + 1e-6);
            }
            double mine = served(&I, mask, C) + covered_before(&I);
            if (fabs(mine - a->objective) > tol(mine))
                fail_msg("seed %llu: reported %.6f, recomputed %.6f", (unsigned long long)seed, a->objective, mine);
            assert_true(fabs(a->covered_before + sum - a->objective) <= tol(a->objective));
            assert_true(fabs(a->covered_before + gsum - a->objective) <= tol(a->objective));
            assert_true(a->objective <= opt + tol(opt));
            if (a->bound < opt - tol(opt)) fail_msg("seed %llu: bound %.6f below the optimum %.6f", (unsigned long long)seed, a->bound, opt);
            if (opt - a->objective > a->gap * (a->objective - a->covered_before) + tol(opt))
                fail_msg("seed %llu: %.6f further from the optimum %.6f than its gap %.6f", (unsigned long long)seed, a->objective, opt, a->gap);
            assert_true(a->unserved_within >= -1e-6);
        }
        equal += fabs(h->objective - opt) <= tol(opt);
        if (h->gap > max_gap) max_gap = h->gap;
        cc_site_solution_destroy(h);
        cc_site_solution_destroy(x);
        inst_free(&I);
        n++;
    }
    print_message("CMCLP: GLPK = brute force on %d random instances; heuristic = optimum on %d, largest gap reported %.4f\n", n, equal,
                  max_gap);
    assert_true(equal >= n * 8 / 10);
}

/* Capacitated existing facilities: the instance has nc + nf sites in its sets, the last nf are
 * existing (always open, capacities fcap); brute force over the nc new ones with the same dense
 * maximum flow over all of them (an independent computation). */
static void test_fixed_capacitated(void **state)
{
    (void)state;
    int n = 0, equal = 0, helped = 0;
    for (int k = 0; k < 120; k++) {
        uint64_t seed = 7919ULL * (uint64_t)(k + 3), s = seed;
        uint32_t nc = 3 + (uint32_t)(tu_rand(&s) % 6), nf = 1 + (uint32_t)(tu_rand(&s) % 3), nd = 10 + (uint32_t)(tu_rand(&s) % 20);
        uint32_t p = 1 + (uint32_t)(tu_rand(&s) % 3);
        if (p > nc) p = nc;
        double C = 200 + (double)(tu_rand(&s) % 2000), radius = 0.2 + 0.3 * tu_uniform(&s);
        inst A; /* all nc + nf sites, for the brute force */
        make_inst(&A, seed, nc + nf, nd, radius, true, k % 4 == 2);
        for (uint32_t j = 0; j < nc && k % 2; j++) A.cap[j] = C; /* half the cases: one capacity for every new site */
        cc_site_instance in = A.in;
        in.n_candidates = nc;
        in.capacity = k % 2 ? NULL : A.cap;
        in.n_fixed = nf;
        in.fixed_first = A.first + nc;
        in.fixed_capacity = A.cap + nc;
        uint32_t fmask = ((1u << nf) - 1) << nc;
        double base = served(&A, fmask, C) + covered_before(&A), opt = base;
        for (uint32_t m = 0; m < (1u << nc); m++)
            if ((uint32_t)__builtin_popcount(m) <= p) opt = fmax(opt, served(&A, m | fmask, C) + covered_before(&A));
        cc_site_params pr = {.model = CC_SITE_CMCLP, .p = p, .capacity_persons = C};
        cc_site_solution *h = NULL, *x = NULL;
        if (cc_site_solve(ctx, &in, &pr, &h)) fail_msg("cc_site_solve: %s", cc_ctx_last_error(ctx));
        pr.exact = true;
        if (cc_site_solve(ctx, &in, &pr, &x)) fail_msg("cc_site_solve: %s", cc_ctx_last_error(ctx));
        if (fabs(x->objective - opt) > tol(opt)) fail_msg("seed %llu: GLPK %.6f, brute force %.6f", (unsigned long long)seed, x->objective, opt);
        for (int v = 0; v < 2; v++) {
            const cc_site_solution *a = v ? x : h;
            if (fabs(a->covered_before - base) > tol(base))
                fail_msg("seed %llu: served before %.6f, recomputed %.6f", (unsigned long long)seed, a->covered_before, base);
            uint32_t mask = 0;
            double gsum = 0;
            for (uint32_t r = 0; r < a->n_sites; r++) {
                mask |= 1u << a->sites[r];
                gsum += a->site_gain[r];
                assert_true(a->sites[r] < nc);
                assert_true(a->site_served[r] <= A.cap[a->sites[r]] + 1e-6);
            }
            assert_true(a->n_sites <= p);
            double mine = served(&A, mask | fmask, C) + covered_before(&A);
            if (fabs(mine - a->objective) > tol(mine))
                fail_msg("seed %llu: reported %.6f, recomputed %.6f", (unsigned long long)seed, a->objective, mine);
            assert_true(fabs(a->covered_before + gsum - a->objective) <= tol(a->objective));
            if (a->bound < opt - tol(opt)) fail_msg("seed %llu: bound %.6f below the optimum %.6f", (unsigned long long)seed, a->bound, opt);
            if (opt - a->objective > a->gap * (a->objective - a->covered_before) + tol(opt))
                fail_msg("seed %llu: %.6f further from the optimum %.6f than its gap %.6f", (unsigned long long)seed, a->objective, opt, a->gap);
        }
        equal += fabs(h->objective - opt) <= tol(opt);
        /* a new site took people an existing facility reached but could not serve */
        helped += opt > base + 1e-6 && served(&A, fmask, C) < served(&A, ((1u << (nc + nf)) - 1), 1e18) - 1e-6;
        cc_site_solution_destroy(h);
        cc_site_solution_destroy(x);
        inst_free(&A);
        n++;
    }
    print_message("CMCLP with capacitated existing facilities: GLPK = brute force on %d; heuristic = optimum on %d; %d with over-full existing\n", n,
                  equal, helped);
    assert_true(equal >= n * 8 / 10);
    assert_true(helped > 10);
}

/* Capacities above the whole population: the capacitated model is MCLP. */
static void test_large_capacity_is_mclp(void **state)
{
    (void)state;
    for (uint64_t seed = 1; seed <= 30; seed++) {
        inst I;
        uint32_t p = 1 + (uint32_t)(seed % 3);
        make_inst(&I, seed * 7777, 9, 30, 0.3, false, seed % 2 == 0);
        cc_site_solution *x = solve(&I, p, 1e9, true);
        cc_site_params pr = {.model = CC_SITE_MCLP, .p = p, .exact = true};
        cc_site_solution *m = NULL;
        if (cc_site_solve(ctx, &I.in, &pr, &m)) fail_msg("cc_site_solve: %s", cc_ctx_last_error(ctx));
        if (fabs(x->objective - m->objective) > tol(m->objective))
            fail_msg("seed %llu: CMCLP(C = inf) %.6f, MCLP %.6f", (unsigned long long)seed, x->objective, m->objective);
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
    make_inst(&I, 3, 4, 12, 0.4, false, false);
    cc_site_solution *s = NULL;
    const double cs[] = {0.0, -5.0, INFINITY, NAN};
    for (size_t k = 0; k < sizeof(cs) / sizeof(cs[0]); k++) {
        cc_site_params pr = {.model = CC_SITE_CMCLP, .p = 1, .capacity_persons = cs[k]};
        assert_int_equal(cc_site_solve(ctx, &I.in, &pr, &s), CC_ERR_PARAM);
        assert_non_null(strstr(cc_ctx_last_error(ctx), "capacity_persons"));
        assert_null(s);
    }
    double cap[4] = {10, -1, 10, 10};
    I.in.capacity = cap;
    cc_site_params pr = {.model = CC_SITE_CMCLP, .p = 1};
    assert_int_equal(cc_site_solve(ctx, &I.in, &pr, &s), CC_ERR_PARAM);
    I.in.capacity = NULL;
    pr.capacity_persons = 100;
    pr.p = 5;
    assert_int_equal(cc_site_solve(ctx, &I.in, &pr, &s), CC_ERR_PARAM);
    assert_non_null(strstr(cc_ctx_last_error(ctx), "Parameter p"));
    assert_string_equal(cc_site_model_name(CC_SITE_CMCLP), "cmclp");
    inst_free(&I);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_random),
        cmocka_unit_test(test_large_capacity_is_mclp),
        cmocka_unit_test(test_fixed_capacitated),
        cmocka_unit_test(test_bad_params),
    };
    return cmocka_run_group_tests(tests, tu_ctx_setup, tu_ctx_teardown);
}
