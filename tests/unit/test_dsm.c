/*
 * test_dsm.c - the double standard model (Gendreau, Laporte & Semet 1997) through cc_site_solve on
 * random small instances, against a brute-force enumeration of every placement of p ambulances:
 *  - GLPK's exact answer (parameter exact) equals the brute-force optimum on 150 instances, and
 *    when no placement meets both standards the solver says so (feasible false, proven) and its
 *    bound on the share within r1 is not below the best share of any placement;
 *  - the heuristic alone (auto exact off) never beats the optimum, is within its reported gap of
 *    it, and its bound is never below the optimum (it equals the optimum on all 90 feasible ones);
 *  - every reported figure (twice covered, within r1, within r2) is recomputed here from the sites;
 *  - bad parameters are refused with a message naming the parameter.
 */
#include <math.h>

#include "test_util.h"

typedef struct inst {
    cc_site_instance in;
    uint64_t *first;
    uint32_t *dem, *t;
    double *w;
    uint32_t *b1, *b2;
    uint32_t r1, r2;
} inst;

static void inst_free(inst *I)
{
    free(I->first);
    free(I->dem);
    free(I->t);
    free(I->w);
    free(I->b1);
    free(I->b2);
}

/* Candidates and demand in the unit square, time = distance x 1000 ms; pairs up to r2. Existing
 * ambulances: some points have 1 or 2 within r1 (and as many within r2), some 1 within r2 only. */
static void make_inst(inst *I, uint64_t seed, uint32_t nc, uint32_t nd, uint32_t r1, uint32_t r2, bool with_base)
{
    uint64_t s = seed;
    memset(I, 0, sizeof(*I));
    double *cx = malloc(nc * sizeof(double)), *cy = malloc(nc * sizeof(double));
    I->first = calloc(nc + 1, sizeof(uint64_t));
    I->dem = malloc((size_t)nc * nd * sizeof(uint32_t) + 4);
    I->t = malloc((size_t)nc * nd * sizeof(uint32_t) + 4);
    I->w = malloc(nd * sizeof(double));
    I->b1 = calloc(nd, sizeof(uint32_t));
    I->b2 = calloc(nd, sizeof(uint32_t));
    double *dx = malloc(nd * sizeof(double)), *dy = malloc(nd * sizeof(double));
    for (uint32_t j = 0; j < nc; j++) cx[j] = tu_uniform(&s), cy[j] = tu_uniform(&s);
    for (uint32_t i = 0; i < nd; i++) {
        dx[i] = tu_uniform(&s), dy[i] = tu_uniform(&s);
        I->w[i] = 1 + (double)(tu_rand(&s) % 1000);
        if (with_base) {
            uint32_t k = (uint32_t)(tu_rand(&s) % 6);
            I->b1[i] = k == 0 ? 1 : k == 1 ? 2 : 0;
            I->b2[i] = I->b1[i] + (k == 2 ? 1 : 0);
        }
    }
    uint64_t n = 0;
    for (uint32_t j = 0; j < nc; j++) {
        for (uint32_t i = 0; i < nd; i++) {
            uint32_t t = (uint32_t)llround(1000 * hypot(cx[j] - dx[i], cy[j] - dy[i]));
            if (t <= r2) I->dem[n] = i, I->t[n++] = t;
        }
        I->first[j + 1] = n;
    }
    free(cx), free(cy), free(dx), free(dy);
    I->r1 = r1, I->r2 = r2;
    I->in = (cc_site_instance){.n_candidates = nc, .n_demand = nd, .first = I->first, .demand = I->dem, .time_ms = I->t, .weight = I->w};
}

typedef struct eval {
    double twice, c1, c2, reach2, W;
} eval;

/* The figures of a placement (count per candidate), from the instance. */
static eval evaluate(const inst *I, const uint32_t *count)
{
    uint32_t nd = I->in.n_demand;
    uint32_t *n1 = calloc(nd, sizeof(uint32_t)), *n2 = calloc(nd, sizeof(uint32_t));
    uint8_t *reach = calloc(nd, 1);
    for (uint32_t j = 0; j < I->in.n_candidates; j++)
        for (uint64_t e = I->first[j]; e < I->first[j + 1]; e++) {
            reach[I->dem[e]] = 1;
            n2[I->dem[e]] += count[j];
            if (I->t[e] <= I->r1) n1[I->dem[e]] += count[j];
        }
    eval v = {0};
    for (uint32_t i = 0; i < nd; i++) {
        double w = I->w[i];
        v.W += w;
        if (reach[i] || I->b2[i]) v.reach2 += w;
        if (n2[i] + I->b2[i] >= 1) v.c2 += w;
        if (n1[i] + I->b1[i] >= 1) v.c1 += w;
        if (n1[i] + I->b1[i] >= 2) v.twice += w;
    }
    free(n1), free(n2), free(reach);
    return v;
}

typedef struct bf {
    double best;        /* best twice-covered among feasible placements (-1: none) */
    double best_c1_r2;  /* best within r1 among placements that meet r2 (-1: none) */
    double best_c1;     /* best within r1 among all placements */
} bf;

static void brute(const inst *I, uint32_t maxps, double alpha, uint32_t *count, uint32_t j, uint32_t left, bf *out)
{
    if (j == I->in.n_candidates) {
        if (left) return; /* exactly p ambulances */
        eval v = evaluate(I, count);
        double eps = 1e-9 * (v.W + 1);
        bool r2 = v.c2 >= v.reach2 - eps, a = v.c1 >= alpha * v.W - eps;
        if (r2 && a && v.twice > out->best) out->best = v.twice;
        if (r2 && v.c1 > out->best_c1_r2) out->best_c1_r2 = v.c1;
        if (v.c1 > out->best_c1) out->best_c1 = v.c1;
        return;
    }
    for (uint32_t k = 0; k <= left && k <= maxps; k++) {
        count[j] = k;
        brute(I, maxps, alpha, count, j + 1, left - k, out);
    }
    count[j] = 0;
}

static cc_site_solution *solve(const inst *I, uint32_t p, uint32_t maxps, double alpha, bool exact)
{
    cc_site_params pr = {.model = CC_SITE_DSM, .p = p, .max_per_station = maxps, .alpha = alpha, .inner_ms = I->r1, .outer_ms = I->r2,
                         .base_count = I->b1, .base_count_outer = I->b2, .exact = exact, .auto_exact_nonzeros = -1};
    cc_site_solution *s = NULL;
    if (cc_site_solve(ctx, &I->in, &pr, &s)) fail_msg("cc_site_solve: %s", cc_ctx_last_error(ctx));
    return s;
}

static double tol(double v)
{
    return 1e-6 * (fabs(v) + 1);
}

/* The solution's placement per candidate, checked (p ambulances, at most maxps at one), and its
 * figures recomputed and compared with the reported ones. */
static eval check_solution(const inst *I, const cc_site_solution *s, uint32_t p, uint32_t maxps, double alpha)
{
    uint32_t count[16] = {0}, sum = 0;
    assert_non_null(s->site_count);
    for (uint32_t k = 0; k < s->n_sites; k++) {
        assert_true(s->site_count[k] >= 1 && s->site_count[k] <= maxps);
        count[s->sites[k]] = s->site_count[k];
        sum += s->site_count[k];
    }
    assert_int_equal(sum, p);
    eval v = evaluate(I, count);
    if (fabs(v.twice - s->objective) > tol(v.twice)) fail_msg("objective %.6f, recomputed %.6f", s->objective, v.twice);
    assert_true(fabs(v.c1 - s->covered_once) <= tol(v.c1));
    assert_true(fabs(v.c2 - s->outer_after) <= tol(v.c2));
    assert_true(fabs(v.reach2 - s->outer_reachable) <= tol(v.reach2));
    double eps = 1e-9 * (v.W + 1);
    assert_int_equal(s->feasible, v.c2 >= v.reach2 - eps && v.c1 >= alpha * v.W - eps);
    double gsum = s->covered_twice_before;
    for (uint32_t k = 0; k < s->n_sites; k++) gsum += s->site_gain[k];
    assert_true(fabs(gsum - s->objective) <= tol(gsum));
    return v;
}

static void test_exact_and_heuristic_vs_brute_force(void **state)
{
    (void)state;
    int n = 0, infeasible = 0, heur_equal = 0, heur_missed = 0;
    double worst = 1, max_gap = 0;
    for (int k = 0; k < 150; k++) {
        uint64_t seed = 104729ULL * (uint64_t)(k + 1), s = seed;
        uint32_t nc = 3 + (uint32_t)(tu_rand(&s) % 4), nd = 10 + (uint32_t)(tu_rand(&s) % 21), p = 1 + (uint32_t)(tu_rand(&s) % 4);
        uint32_t maxps = 1 + (uint32_t)(tu_rand(&s) % 2);
        if (maxps * nc < p) maxps = 2;
        uint32_t r1 = 150 + (uint32_t)(tu_rand(&s) % 250), r2 = r1 + 100 + (uint32_t)(tu_rand(&s) % 700);
        double alpha = (double)(tu_rand(&s) % 4) * 0.2; /* 0, 0.2, 0.4, 0.6 */
        inst I;
        make_inst(&I, seed, nc, nd, r1, r2, k % 3 == 0);
        uint32_t cnt[16] = {0};
        bf b = {-1, -1, -1};
        brute(&I, maxps, alpha, cnt, 0, p, &b);
        cc_site_solution *x = solve(&I, p, maxps, alpha, true), *h = solve(&I, p, maxps, alpha, false);
        eval vx = check_solution(&I, x, p, maxps, alpha);
        check_solution(&I, h, p, maxps, alpha);
        if (b.best < 0) { /* no placement meets both standards */
            infeasible++;
            if (x->feasible || h->feasible) fail_msg("instance %d: no placement is feasible, the solver says feasible", k);
            assert_true(x->infeasible_proven);
            double want = b.best_c1_r2 >= 0 ? b.best_c1_r2 : b.best_c1;
            if (!(x->best_share_bound * vx.W >= want - tol(want)))
                fail_msg("instance %d: share bound %.6f below the best share %.6f", k, x->best_share_bound, want / vx.W);
            assert_true(x->best_share_bound + 1e-9 >= x->best_share);
            assert_true(isnan(x->bound));
        } else {
            if (!x->feasible) fail_msg("instance %d: brute force finds a feasible placement (%.3f), GLPK none", k, b.best);
            if (fabs(x->objective - b.best) > tol(b.best)) fail_msg("instance %d: GLPK %.6f, brute force %.6f", k, x->objective, b.best);
            assert_true(x->proven_optimal);
            assert_true(x->bound >= b.best - tol(b.best));
            if (!h->feasible) {
                heur_missed++; /* a heuristic may miss a feasible plan; it must not claim one */
            } else {
                if (h->objective > b.best + tol(b.best)) fail_msg("instance %d: heuristic %.6f above the optimum %.6f", k, h->objective, b.best);
                if (h->bound < b.best - tol(b.best)) fail_msg("instance %d: bound %.6f below the optimum %.6f", k, h->bound, b.best);
                double gained = h->objective - h->covered_twice_before;
                if (b.best - h->objective > h->gap * gained + tol(b.best))
                    fail_msg("instance %d: optimum %.6f beyond the reported gap %.6g of %.6f", k, b.best, h->gap, h->objective);
                heur_equal += fabs(h->objective - b.best) <= tol(b.best);
                if (b.best > 0 && h->objective / b.best < worst) worst = h->objective / b.best;
                if (isfinite(h->gap) && h->gap > max_gap) max_gap = h->gap;
            }
        }
        cc_site_solution_destroy(x);
        cc_site_solution_destroy(h);
        inst_free(&I);
        n++;
    }
    print_message("DSM: GLPK = brute force on %d instances (%d with no feasible placement); heuristic: %d equal, %d found no feasible plan, "
                  "worst %.4f of the optimum, largest gap %.4f\n",
                  n, infeasible, heur_equal, heur_missed, worst, max_gap);
    assert_true(infeasible > 5 && infeasible < n - 50); /* both kinds of instance are tested */
}

/* alpha = 0 and an r2 that every point meets already (an existing ambulance): the DSM is the "most population covered twice"
 * problem; with one ambulance allowed per station and no existing ones, one placement of two
 * ambulances covers twice exactly the points both stations reach. */
static void test_hand_made(void **state)
{
    (void)state;
    /* 3 candidates, 4 points: candidate 0 reaches {0,1,2} within r1, 1 reaches {1,2}, 2 reaches {2,3} */
    uint64_t first[] = {0, 3, 5, 7};
    uint32_t dem[] = {0, 1, 2, 1, 2, 2, 3}, t[] = {100, 100, 100, 100, 100, 100, 100};
    double w[] = {10, 20, 30, 40};
    cc_site_instance in = {.n_candidates = 3, .n_demand = 4, .first = first, .demand = dem, .time_ms = t, .weight = w};
    uint32_t one[] = {1, 1, 1, 1}; /* an existing ambulance 30 minutes away of everybody: r2 met already */
    cc_site_params pr = {.model = CC_SITE_DSM, .p = 2, .max_per_station = 1, .alpha = 0, .inner_ms = 200, .outer_ms = 400,
                         .base_count_outer = one};
    cc_site_solution *s = NULL;
    assert_int_equal(cc_site_solve(ctx, &in, &pr, &s), CC_OK);
    /* {0,1}: twice {1,2} = 50; {0,2}: {2} = 30; {1,2}: {2} = 30 -> 0 and 1 */
    assert_true(s->feasible);
    assert_true(fabs(s->objective - 50) < 1e-9);
    assert_int_equal(s->n_sites, 2);
    assert_true(s->proven_optimal);
    cc_site_solution_destroy(s);
    /* alpha 1: everybody within r1 forces candidate 2 (point 3) and 0 (point 0): twice = {2} = 30 */
    pr.alpha = 1;
    assert_int_equal(cc_site_solve(ctx, &in, &pr, &s), CC_OK);
    assert_true(s->feasible && s->alpha_met);
    assert_true(fabs(s->objective - 30) < 1e-9);
    cc_site_solution_destroy(s);
    /* without the existing ambulance r2 alone forces candidates 0 and 2 (points 0 and 3) */
    pr.alpha = 0;
    pr.base_count_outer = NULL;
    assert_int_equal(cc_site_solve(ctx, &in, &pr, &s), CC_OK);
    assert_true(s->feasible && s->outer_met);
    assert_true(fabs(s->objective - 30) < 1e-9);
    cc_site_solution_destroy(s);
    pr.alpha = 1;
    /* one ambulance cannot put everybody within r1: infeasible, proven, best share 60 / 100 (candidate 0) */
    pr.p = 1;
    assert_int_equal(cc_site_solve(ctx, &in, &pr, &s), CC_OK);
    assert_false(s->feasible);
    assert_true(s->infeasible_proven);
    assert_false(s->alpha_met);
    assert_true(s->best_share_bound >= 0.6 - 1e-9 && s->best_share_bound <= 1);
    cc_site_solution_destroy(s);
}

static void test_bad_params(void **state)
{
    (void)state;
    inst I;
    make_inst(&I, 9, 3, 10, 300, 500, false);
    cc_site_solution *s = NULL;
    const double alphas[] = {-0.1, 1.5, NAN};
    for (size_t k = 0; k < sizeof(alphas) / sizeof(alphas[0]); k++) {
        cc_site_params pr = {.model = CC_SITE_DSM, .p = 2, .alpha = alphas[k], .inner_ms = 300, .outer_ms = 500};
        assert_int_equal(cc_site_solve(ctx, &I.in, &pr, &s), CC_ERR_PARAM);
        assert_non_null(strstr(cc_ctx_last_error(ctx), "Parameter alpha"));
        assert_null(s);
    }
    cc_site_params pr = {.model = CC_SITE_DSM, .p = 2, .alpha = 0.5, .inner_ms = 500, .outer_ms = 500};
    assert_int_equal(cc_site_solve(ctx, &I.in, &pr, &s), CC_ERR_PARAM);
    assert_non_null(strstr(cc_ctx_last_error(ctx), "outer_minutes"));
    pr = (cc_site_params){.model = CC_SITE_DSM, .p = 7, .alpha = 0.5, .inner_ms = 300, .outer_ms = 500};
    assert_int_equal(cc_site_solve(ctx, &I.in, &pr, &s), CC_ERR_PARAM); /* 3 stations x 2 < 7 */
    assert_non_null(strstr(cc_ctx_last_error(ctx), "max_per_station"));
    assert_string_equal(cc_site_model_name(CC_SITE_DSM), "dsm");
    inst_free(&I);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_exact_and_heuristic_vs_brute_force),
        cmocka_unit_test(test_hand_made),
        cmocka_unit_test(test_bad_params),
    };
    return cmocka_run_group_tests(tests, tu_ctx_setup, tu_ctx_teardown);
}
