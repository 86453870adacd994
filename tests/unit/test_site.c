/*
 * test_site.c - the siting solvers (cc_site_solve) on many small random instances:
 *  - the heuristic answer equals GLPK's exact optimum on most instances and is never more than
 *    2 % worse; the bound is never on the wrong side of the optimum;
 *  - GLPK's optimum equals a brute-force enumeration of every feasible set on tiny instances
 *    (so the exact path itself is checked);
 *  - every answer meets the area limits and the budget, and its reported objective equals the
 *    objective recomputed here from the instance;
 *  - an unreachable LSCP target is explained; results do not depend on the thread count;
 *  - malformed instances are refused with a message.
 */
#include <math.h>

#include "test_util.h"
#include "core/core_internal.h" /* cc__alloc_fail_after */

/* ---- random instances ----------------------------------------------------------------------- */

typedef struct inst {
    cc_site_instance in;
    uint64_t *first;
    uint32_t *dem, *t;
    double *w;
    uint8_t *covered;
    uint32_t *base;
    uint32_t *area, *amin, *amax;
} inst;

static void inst_free(inst *I)
{
    CC__FREE_ALL(I->first, I->dem, I->t, I->w, I->covered, I->base, I->area, I->amin, I->amax);
    memset(I, 0, sizeof(*I));
}

/* Candidates and demand points in the unit square; j reaches i when closer than radius, in
 * time dist * 1e6 ms. Existing facilities: a few random points (base times, covered flags).
 * Areas (when asked): vertical strips with random limits that some set can meet. */
static void make_inst(inst *I, uint64_t seed, uint32_t nc, uint32_t nd, double radius, bool areas, uint32_t p)
{
    uint64_t s = seed;
    memset(I, 0, sizeof(*I));
    double *cx = malloc(nc * sizeof(double)), *cy = malloc(nc * sizeof(double));
    double *dx = malloc(nd * sizeof(double)), *dy = malloc(nd * sizeof(double));
    for (uint32_t j = 0; j < nc; j++) {
        cx[j] = tu_uniform(&s);
        cy[j] = tu_uniform(&s);
    }
    I->w = malloc(nd * sizeof(double));
    I->covered = calloc(nd, 1);
    I->base = malloc(nd * sizeof(uint32_t));
    double fx[2] = {tu_uniform(&s), tu_uniform(&s)}, fy[2] = {tu_uniform(&s), tu_uniform(&s)};
    int nfix = (int)(tu_rand(&s) % 3);
    const uint32_t cap = (uint32_t)(radius * 1.5e6);
    for (uint32_t i = 0; i < nd; i++) {
        dx[i] = tu_uniform(&s);
        dy[i] = tu_uniform(&s);
        /* integer populations with some duplicates of location (to exercise merging) */
        if (i > 0 && tu_rand(&s) % 8 == 0) {
            dx[i] = dx[i - 1];
            dy[i] = dy[i - 1];
        }
        I->w[i] = (tu_rand(&s) % 10 == 0) ? 0.0 : (double)(1 + tu_rand(&s) % 200) + (tu_rand(&s) % 2 ? 0.5 : 0.0);
        uint32_t b = cap;
        for (int f = 0; f < nfix; f++) {
            double d = hypot(dx[i] - fx[f], dy[i] - fy[f]);
            if (d < radius) I->covered[i] = 1;
            uint32_t t = (uint32_t)(d * 1e6);
            if (t < b) b = t;
        }
        I->base[i] = b;
    }
    I->first = malloc((nc + 1) * sizeof(uint64_t));
    I->dem = malloc((size_t)nc * nd * sizeof(uint32_t));
    I->t = malloc((size_t)nc * nd * sizeof(uint32_t));
    uint64_t k = 0;
    for (uint32_t j = 0; j < nc; j++) {
        I->first[j] = k;
        for (uint32_t i = 0; i < nd; i++) {
            double d = hypot(cx[j] - dx[i], cy[j] - dy[i]);
            if (d < radius) {
                I->dem[k] = i;
                I->t[k] = (uint32_t)(d * 1e6);
                k++;
            }
        }
    }
    I->first[nc] = k;
    I->in = (cc_site_instance){.n_candidates = nc, .n_demand = nd, .first = I->first, .demand = I->dem, .time_ms = I->t,
                               .weight = I->w, .covered = I->covered, .base_time_ms = I->base, .radius_ms = cap};
    if (tu_rand(&s) % 3 == 0) I->in.extra_covered_weight = 100;
    if (areas) {
        uint32_t na = 2 + (uint32_t)(tu_rand(&s) % 3);
        I->area = malloc(nc * sizeof(uint32_t));
        I->amin = calloc(na, sizeof(uint32_t));
        I->amax = malloc(na * sizeof(uint32_t));
        uint32_t *nin = calloc(na, sizeof(uint32_t));
        for (uint32_t j = 0; j < nc; j++) {
            /* a few candidates outside every area */
            I->area[j] = tu_rand(&s) % 7 == 0 ? CC_INVALID_ID : (uint32_t)(cx[j] * na);
            if (I->area[j] != CC_INVALID_ID) nin[I->area[j]]++;
        }
        uint32_t summin = 0;
        for (uint32_t a = 0; a < na; a++) {
            I->amax[a] = 1 + (uint32_t)(tu_rand(&s) % 2);
            if (tu_rand(&s) % 3 == 0 && nin[a] > 0 && summin < p) {
                I->amin[a] = 1;
                summin++;
            }
        }
        free(nin);
        I->in.area = I->area;
        I->in.n_areas = na;
        I->in.area_min = I->amin;
        I->in.area_max = I->amax;
    }
    free(cx);
    free(cy);
    free(dx);
    free(dy);
}

/* ---- independent evaluation and brute force --------------------------------------------------------- */

static double eval_sites(const cc_site_instance *in, cc_site_model m, const uint32_t *S, uint32_t q)
{
    uint32_t *best = malloc(in->n_demand * sizeof(uint32_t));
    for (uint32_t i = 0; i < in->n_demand; i++) best[i] = UINT32_MAX;
    for (uint32_t s = 0; s < q; s++)
        for (uint64_t e = in->first[S[s]]; e < in->first[S[s] + 1]; e++)
            if (in->time_ms[e] < best[in->demand[e]]) best[in->demand[e]] = in->time_ms[e];
    double v = 0, wsum = 0;
    if (m == CC_SITE_MCLP || m == CC_SITE_LSCP) {
        v = in->extra_covered_weight;
        for (uint32_t i = 0; i < in->n_demand; i++)
            if (in->covered[i] || best[i] != UINT32_MAX) v += in->weight[i];
    } else if (m == CC_SITE_PMEDIAN) {
        for (uint32_t i = 0; i < in->n_demand; i++) {
            uint32_t t = best[i] < in->base_time_ms[i] ? best[i] : in->base_time_ms[i];
            v += in->weight[i] * t;
            wsum += in->weight[i];
        }
        v = wsum > 0 ? v / wsum / 1000.0 : 0;
    } else {
        /* the worst time over the people someone reaches within the radius: those that neither
         * an existing facility nor any candidate reaches stay at the radius whatever is chosen */
        uint32_t *any = malloc(in->n_demand * sizeof(uint32_t)), z = 0;
        for (uint32_t i = 0; i < in->n_demand; i++) any[i] = UINT32_MAX;
        for (uint64_t e = 0; e < in->first[in->n_candidates]; e++)
            if (in->time_ms[e] < any[in->demand[e]]) any[in->demand[e]] = in->time_ms[e];
        for (uint32_t i = 0; i < in->n_demand; i++) {
            if (!(in->weight[i] > 0)) continue;
            if (in->radius_ms && in->base_time_ms[i] >= in->radius_ms && any[i] >= in->base_time_ms[i]) continue;
            uint32_t t = best[i] < in->base_time_ms[i] ? best[i] : in->base_time_ms[i];
            if (t > z) z = t;
        }
        free(any);
        v = z / 1000.0;
    }
    free(best);
    return v;
}

static bool limits_ok(const cc_site_instance *in, const uint32_t *S, uint32_t q, uint32_t p)
{
    if (q > p) return false;
    uint32_t cnt[8] = {0};
    for (uint32_t s = 0; s < q; s++) {
        if (S[s] >= in->n_candidates) return false;
        for (uint32_t t = 0; t < s; t++)
            if (S[t] == S[s]) return false;
        if (in->area && in->area[S[s]] != CC_INVALID_ID) cnt[in->area[S[s]]]++;
    }
    for (uint32_t a = 0; a < in->n_areas; a++)
        if (cnt[a] < in->area_min[a] || cnt[a] > in->area_max[a]) return false;
    return true;
}

/* Best objective over every feasible set of at most p sites (maximise for MCLP). */
static double brute(const cc_site_instance *in, cc_site_model m, uint32_t p)
{
    uint32_t n = in->n_candidates, S[16];
    double best = m == CC_SITE_MCLP ? -1 : INFINITY;
    for (uint32_t mask = 0; mask < (1u << n); mask++) {
        uint32_t q = 0;
        for (uint32_t j = 0; j < n; j++)
            if (mask & (1u << j)) {
                if (q == p) goto next;
                S[q++] = j;
            }
        if (!limits_ok(in, S, q, p)) continue;
        double v = eval_sites(in, m, S, q);
        if (m == CC_SITE_MCLP ? v > best : v < best) best = v;
    next:;
    }
    return best;
}

static cc_site_solution *solve(cc_ctx *ctx, const cc_site_instance *in, cc_site_model m, uint32_t p, bool exact)
{
    cc_site_params pr = {.model = m, .p = p, .exact = exact, .target_share = 0.9};
    cc_site_solution *s = NULL;
    cc_status st = cc_site_solve(ctx, in, &pr, &s);
    if (st) fail_msg("cc_site_solve (%s, p=%u, exact=%d): %s", cc_site_model_name(m), p, exact, cc_ctx_last_error(ctx));
    return s;
}

static double rel_tol(double v)
{
    return 1e-6 * (fabs(v) + 1.0);
}

/* ---- tests -------------------------------------------------------------------------------------------- */

/* GLPK's exact optimum = brute force on tiny instances, for the three budget models. */
static void test_exact_equals_brute_force(void **state)
{
    (void)state;
    cc_ctx *ctx;
    cc_ctx_create(&ctx);
    const cc_site_model models[] = {CC_SITE_MCLP, CC_SITE_PMEDIAN, CC_SITE_PCENTER};
    int n = 0;
    for (uint64_t seed = 1; seed <= 40; seed++) {
        inst I;
        uint32_t p = 1 + (uint32_t)(seed % 3);
        make_inst(&I, seed * 7919, 8 + (uint32_t)(seed % 4), 25, 0.3, seed % 2 == 0, p);
        for (int k = 0; k < 3; k++) {
            cc_site_solution *ex = solve(ctx, &I.in, models[k], p, true);
            double bf = brute(&I.in, models[k], p);
            if (fabs(ex->objective - bf) > rel_tol(bf))
                fail_msg("seed %llu %s p=%u: GLPK %.6f, brute force %.6f", (unsigned long long)seed, cc_site_model_name(models[k]), p,
                         ex->objective, bf);
            assert_true(ex->proven_optimal);
            cc_site_solution_destroy(ex);
            n++;
        }
        inst_free(&I);
    }
    print_message("exact = brute force on %d tiny instances\n", n);
    cc_ctx_destroy(ctx);
}

typedef struct stats {
    int n, equal, greedy_equal;
    double worst, worst_greedy;
} stats;

/* Heuristic against exact on many random instances, for every model. */
static void run_random(cc_site_model m, int n_inst, stats *out)
{
    cc_ctx *ctx;
    cc_ctx_create(&ctx);
    memset(out, 0, sizeof(*out));
    out->worst = out->worst_greedy = 1.0;
    for (int k = 0; k < n_inst; k++) {
        uint64_t seed = 1000003ULL * (uint64_t)(k + 1) + (uint64_t)m;
        uint64_t s = seed;
        uint32_t nc = 15 + (uint32_t)(tu_rand(&s) % 26), nd = 30 + (uint32_t)(tu_rand(&s) % 51);
        uint32_t p = 1 + (uint32_t)(tu_rand(&s) % 5);
        double radius = 0.12 + 0.2 * tu_uniform(&s);
        inst I;
        make_inst(&I, seed, nc, nd, radius, k % 3 == 0, p);
        cc_site_solution *h = solve(ctx, &I.in, m, p, false);
        cc_site_solution *x = solve(ctx, &I.in, m, p, true);
        /* constraints and reported objectives */
        uint32_t budget = m == CC_SITE_LSCP ? I.in.n_candidates : p;
        if (!limits_ok(&I.in, h->sites, h->n_sites, budget)) {
            fprintf(stderr, "seed %llu p %u q %u areas %u:", (unsigned long long)seed, p, h->n_sites, I.in.n_areas);
            for (uint32_t t = 0; t < h->n_sites; t++) fprintf(stderr, " %u(a%d)", h->sites[t], I.in.area ? (int)I.in.area[h->sites[t]] : -1);
            for (uint32_t a = 0; a < I.in.n_areas; a++) fprintf(stderr, " [%u..%u]", I.in.area_min[a], I.in.area_max[a]);
            fprintf(stderr, "\n");
        }
        assert_true(limits_ok(&I.in, h->sites, h->n_sites, budget));
        assert_true(limits_ok(&I.in, x->sites, x->n_sites, budget));
        if (m == CC_SITE_LSCP) {
            double cov_h = eval_sites(&I.in, m, h->sites, h->n_sites), cov_x = eval_sites(&I.in, m, x->sites, x->n_sites);
            assert_int_equal(h->feasible, x->feasible);
            if (h->feasible) {
                assert_true(cov_h >= 0.9 * h->total_weight - rel_tol(cov_h));
                assert_true(cov_x >= 0.9 * x->total_weight - rel_tol(cov_x));
                assert_true(x->proven_optimal);
                if (h->objective < x->objective) fail_msg("LSCP seed %llu: heuristic %g sites < exact %g", (unsigned long long)seed, h->objective, x->objective);
                if (h->bound > x->objective + 1e-9) fail_msg("LSCP seed %llu: bound %g above optimum %g", (unsigned long long)seed, h->bound, x->objective);
                if (h->objective > x->objective + 1) fail_msg("LSCP seed %llu: heuristic %g sites, optimum %g", (unsigned long long)seed, h->objective, x->objective);
                out->equal += h->objective == x->objective;
                double ratio = h->objective > 0 ? x->objective / h->objective : 1;
                if (ratio < out->worst) out->worst = ratio;
            } else {
                out->equal++;
            }
        } else {
            double eh = eval_sites(&I.in, m, h->sites, h->n_sites), ex = eval_sites(&I.in, m, x->sites, x->n_sites);
            if (fabs(eh - h->objective) > rel_tol(eh))
                fail_msg("%s seed %llu: reported %.6f, recomputed %.6f", cc_site_model_name(m), (unsigned long long)seed, h->objective, eh);
            assert_true(fabs(ex - x->objective) <= rel_tol(ex));
            if (!x->proven_optimal) fail_msg("%s seed %llu: exact solve not proven", cc_site_model_name(m), (unsigned long long)seed);
            double opt = x->objective;
            if (getenv("CC_TEST_VERBOSE") && fabs(h->objective - opt) > rel_tol(opt))
                fprintf(stderr, "%s seed %llu nc %u nd %u p %u areas %u: heuristic %.3f optimum %.3f bound %.3f (%s) greedy %.3f swaps %d\n",
                        cc_site_model_name(m), (unsigned long long)seed, nc, nd, p, I.in.n_areas, h->objective, opt, h->bound,
                        h->bound_method, h->objective_greedy, h->swaps);
            if (m == CC_SITE_MCLP) {
                if (h->objective > opt + rel_tol(opt)) fail_msg("MCLP seed %llu: heuristic %.6f above optimum %.6f", (unsigned long long)seed, h->objective, opt);
                if (h->bound < opt - rel_tol(opt)) fail_msg("MCLP seed %llu: upper bound %.6f below optimum %.6f (%s)", (unsigned long long)seed, h->bound, opt, h->bound_method);
                double ratio = opt > 0 ? h->objective / opt : 1;
                if (ratio < out->worst) out->worst = ratio;
            } else {
                if (h->objective < opt - rel_tol(opt)) fail_msg("%s seed %llu: heuristic %.6f below optimum %.6f", cc_site_model_name(m), (unsigned long long)seed, h->objective, opt);
                if (h->bound > opt + rel_tol(opt)) fail_msg("%s seed %llu: lower bound %.6f above optimum %.6f (%s)", cc_site_model_name(m), (unsigned long long)seed, h->bound, opt, h->bound_method);
                double ratio = h->objective > 0 ? opt / h->objective : 1;
                if (ratio < out->worst) out->worst = ratio;
            }
            if (!(h->gap >= 0)) fail_msg("negative gap %g", h->gap);
            if (m != CC_SITE_PCENTER) { /* the greedy answer alone, for the record */
                double g = h->objective_greedy;
                out->greedy_equal += fabs(g - opt) <= rel_tol(opt);
                double rg = m == CC_SITE_MCLP ? (opt > 0 ? g / opt : 1) : (g > 0 ? opt / g : 1);
                if (rg < out->worst_greedy) out->worst_greedy = rg;
            }
            out->equal += fabs(h->objective - opt) <= rel_tol(opt);
        }
        out->n++;
        cc_site_solution_destroy(h);
        cc_site_solution_destroy(x);
        inst_free(&I);
    }
    cc_ctx_destroy(ctx);
}

static void check_stats(const char *name, const stats *s)
{
    print_message("%-8s %d instances: heuristic = optimum on %d (%.0f%%), worst ratio %.4f", name, s->n, s->equal,
                  100.0 * s->equal / s->n, s->worst);
    if (!strcmp(name, "mclp") || !strcmp(name, "pmedian"))
        print_message("; greedy alone = optimum on %d, worst %.4f", s->greedy_equal, s->worst_greedy);
    print_message("\n");
    assert_true(s->equal >= (s->n * 8) / 10); /* "on most" */
    assert_true(s->worst >= 0.98);            /* never below 98 % of the optimum */
}

static void test_random_mclp(void **state)
{
    (void)state;
    stats s;
    run_random(CC_SITE_MCLP, 150, &s);
    check_stats("mclp", &s);
}

static void test_random_pmedian(void **state)
{
    (void)state;
    stats s;
    run_random(CC_SITE_PMEDIAN, 100, &s);
    check_stats("pmedian", &s);
}

/* The p-median at large p (a third of the points, as OR-Library's pmed5/10/15/20/25): every point a
 * demand of weight 1 and a candidate, Euclidean times, no existing facility. Single swaps stop
 * 0.3-0.7 % above the optimum on such instances (benchmarks/bench_pmed.c); the deeper variable
 * neighbourhood search must reach GLPK's proven optimum here, and the bound must stay below it. */
static void test_pmedian_large_p(void **state)
{
    (void)state;
    cc_ctx *ctx;
    cc_ctx_create(&ctx);
    for (uint64_t seed = 1; seed <= 3; seed++) {
        const uint32_t n = 120, p = 40;
        uint64_t s = 77 * seed;
        double x[120], y[120], w[120];
        uint32_t base[120];
        uint64_t first[121];
        uint32_t *dem = malloc((size_t)n * n * sizeof(uint32_t)), *t = malloc((size_t)n * n * sizeof(uint32_t));
        assert_non_null(dem);
        assert_non_null(t);
        for (uint32_t i = 0; i < n; i++) {
            x[i] = tu_uniform(&s);
            y[i] = tu_uniform(&s);
            w[i] = 1;
            base[i] = 2000000; /* 2,000 s: beyond every distance (at most sqrt(2) * 1e6 ms) */
        }
        uint64_t k = 0;
        for (uint32_t j = 0; j < n; j++) {
            first[j] = k;
            for (uint32_t i = 0; i < n; i++, k++) {
                dem[k] = i;
                t[k] = (uint32_t)(hypot(x[i] - x[j], y[i] - y[j]) * 1e6);
            }
        }
        first[n] = k;
        cc_site_instance in = {.n_candidates = n, .n_demand = n, .first = first, .demand = dem, .time_ms = t, .weight = w,
                               .base_time_ms = base, .radius_ms = 2000000};
        cc_site_solution *h = solve(ctx, &in, CC_SITE_PMEDIAN, p, false), *e = solve(ctx, &in, CC_SITE_PMEDIAN, p, true);
        assert_true(e->proven_optimal);
        print_message("pmedian n %u p %u seed %llu: heuristic %.4f s, optimum %.4f s, bound %.4f s\n", n, p, (unsigned long long)seed,
                      h->objective, e->objective, h->bound);
        if (h->objective > e->objective + rel_tol(e->objective))
            fail_msg("seed %llu: heuristic %.6f above the optimum %.6f", (unsigned long long)seed, h->objective, e->objective);
        if (h->bound > e->objective + rel_tol(e->objective))
            fail_msg("seed %llu: bound %.6f above the optimum %.6f", (unsigned long long)seed, h->bound, e->objective);
        cc_site_solution_destroy(h);
        cc_site_solution_destroy(e);
        free(dem);
        free(t);
    }
    cc_ctx_destroy(ctx);
}

static void test_random_pcenter(void **state)
{
    (void)state;
    stats s;
    run_random(CC_SITE_PCENTER, 100, &s);
    check_stats("pcenter", &s);
}

static void test_random_lscp(void **state)
{
    (void)state;
    stats s;
    run_random(CC_SITE_LSCP, 100, &s);
    check_stats("lscp", &s);
}

/* The curve: for each k, the objective is achievable and the bound valid against brute force. */
static void test_curve(void **state)
{
    (void)state;
    cc_ctx *ctx;
    cc_ctx_create(&ctx);
    for (uint64_t seed = 1; seed <= 10; seed++) {
        inst I;
        make_inst(&I, seed * 31337, 11, 40, 0.25, false, 4);
        cc_site_params pr = {.model = CC_SITE_MCLP, .p = 2, .curve_to = 4};
        cc_site_solution *s;
        assert_int_equal(cc_site_solve(ctx, &I.in, &pr, &s), CC_OK);
        assert_int_equal(s->n_curve, 4);
        for (uint32_t k = 0; k < 4; k++) {
            double opt = brute(&I.in, CC_SITE_MCLP, k + 1);
            assert_true(s->curve_objective[k] <= opt + rel_tol(opt));
            assert_true(s->curve_bound[k] >= opt - rel_tol(opt));
            if (k) assert_true(s->curve_objective[k] >= s->curve_objective[k - 1] - rel_tol(opt));
        }
        cc_site_solution_destroy(s);
        inst_free(&I);
    }
    cc_ctx_destroy(ctx);
}

/* An unreachable LSCP target: feasible = false, with the population no candidate reaches and
 * the best share. */
static void test_lscp_infeasible(void **state)
{
    (void)state;
    cc_ctx *ctx;
    cc_ctx_create(&ctx);
    /* 3 candidates, 5 demand points; point 4 (weight 50) is reached by nobody */
    uint64_t first[] = {0, 2, 4, 5};
    uint32_t dem[] = {0, 1, 1, 2, 3};
    double w[] = {10, 20, 30, 40, 50};
    cc_site_instance in = {.n_candidates = 3, .n_demand = 5, .first = first, .demand = dem, .weight = w};
    cc_site_params pr = {.model = CC_SITE_LSCP, .target_share = 0.95};
    cc_site_solution *s;
    assert_int_equal(cc_site_solve(ctx, &in, &pr, &s), CC_OK);
    assert_false(s->feasible);
    assert_true(fabs(s->unreachable_weight - 50) < 1e-9);
    assert_true(fabs(s->best_share - 100.0 / 150.0) < 1e-9);
    assert_true(fabs(s->best_share_bound - 100.0 / 150.0) < 1e-9);
    assert_int_equal(s->n_sites, 3); /* every candidate adds something */
    cc_site_solution_destroy(s);
    /* a target the existing coverage already meets needs no site */
    uint8_t cov[] = {1, 1, 1, 1, 0};
    in.covered = cov;
    pr.target_share = 0.6;
    assert_int_equal(cc_site_solve(ctx, &in, &pr, &s), CC_OK);
    assert_true(s->feasible);
    assert_int_equal(s->n_sites, 0);
    assert_true(s->proven_optimal);
    cc_site_solution_destroy(s);
    /* a budget too small: reachable in principle, not with 1 site */
    in.covered = NULL;
    pr.target_share = 0.6; /* needs 90: sites 0 (30) + 1 (50) or 1+2 (90) */
    pr.max_sites = 1;
    assert_int_equal(cc_site_solve(ctx, &in, &pr, &s), CC_OK);
    assert_false(s->feasible);
    assert_true(s->best_share_bound < 0.6);
    cc_site_solution_destroy(s);
    cc_ctx_destroy(ctx);
}

/* Identical answers at 1, 2 and 4 threads on an instance large enough for the parallel loops. */
static void test_threads(void **state)
{
    (void)state;
    cc_ctx *ctx;
    cc_ctx_create(&ctx);
    inst I;
    make_inst(&I, 4242, 400, 3000, 0.12, true, 6);
    const cc_site_model models[] = {CC_SITE_MCLP, CC_SITE_PMEDIAN, CC_SITE_LSCP};
    for (int k = 0; k < 3; k++) {
        cc_site_solution *s[3];
        int th[3] = {1, 2, 4};
        for (int t = 0; t < 3; t++) {
            cc_ctx_set_threads(ctx, th[t]);
            cc_site_params pr = {.model = models[k], .p = 6, .curve_to = 3, .target_share = 0.8};
            assert_int_equal(cc_site_solve(ctx, &I.in, &pr, &s[t]), CC_OK);
        }
        for (int t = 1; t < 3; t++) {
            assert_int_equal(s[t]->n_sites, s[0]->n_sites);
            assert_memory_equal(s[t]->sites, s[0]->sites, s[0]->n_sites * sizeof(uint32_t));
            assert_memory_equal(&s[t]->objective, &s[0]->objective, sizeof(double));
            assert_memory_equal(&s[t]->bound, &s[0]->bound, sizeof(double));
        }
        for (int t = 0; t < 3; t++) cc_site_solution_destroy(s[t]);
    }
    inst_free(&I);
    cc_ctx_destroy(ctx);
}

/* Identical demand points merge into one class without changing the answer. */
static void test_merge(void **state)
{
    (void)state;
    cc_ctx *ctx;
    cc_ctx_create(&ctx);
    /* demand 0 and 1 identical (both reached by candidates 0 and 1), 2 by 1 only */
    uint64_t first[] = {0, 2, 5};
    uint32_t dem[] = {0, 1, 0, 1, 2};
    double w[] = {5, 7, 11};
    cc_site_instance in = {.n_candidates = 2, .n_demand = 3, .first = first, .demand = dem, .weight = w};
    cc_site_params pr = {.model = CC_SITE_MCLP, .p = 1};
    cc_site_solution *s;
    assert_int_equal(cc_site_solve(ctx, &in, &pr, &s), CC_OK);
    assert_int_equal(s->demand_classes, 2);
    assert_int_equal(s->n_sites, 1);
    assert_int_equal(s->sites[0], 1);
    assert_true(fabs(s->objective - 23) < 1e-12);
    assert_true(fabs(s->bound - 23) < 1e-9);
    assert_true(s->proven_optimal);
    cc_site_solution_destroy(s);
    cc_ctx_destroy(ctx);
}

static void expect_param(cc_ctx *ctx, const cc_site_instance *in, const cc_site_params *pr, const char *needle)
{
    cc_site_solution *s = NULL;
    cc_status st = cc_site_solve(ctx, in, pr, &s);
    if (st == CC_OK) fail_msg("expected a failure mentioning '%s'", needle);
    assert_null(s);
    if (!strstr(cc_ctx_last_error(ctx), needle)) fail_msg("message '%s' lacks '%s'", cc_ctx_last_error(ctx), needle);
}

static void test_bad_instances(void **state)
{
    (void)state;
    cc_ctx *ctx;
    cc_ctx_create(&ctx);
    uint64_t first[] = {0, 2, 3};
    uint32_t dem[] = {0, 1, 1};
    double w[] = {1, 2};
    cc_site_instance in = {.n_candidates = 2, .n_demand = 2, .first = first, .demand = dem, .weight = w};
    cc_site_params pr = {.model = CC_SITE_MCLP, .p = 0};
    expect_param(ctx, &in, &pr, "at least 1");
    pr.p = 1;
    pr.model = CC_SITE_LSCP;
    pr.target_share = 1.5;
    expect_param(ctx, &in, &pr, "target share");
    pr.model = CC_SITE_PMEDIAN;
    expect_param(ctx, &in, &pr, "needs pair times");
    pr.model = CC_SITE_MCLP;
    uint32_t bad[] = {0, 5, 1};
    in.demand = bad;
    expect_param(ctx, &in, &pr, "reaches demand point 5");
    uint32_t dup[] = {0, 0, 1};
    in.demand = dup;
    expect_param(ctx, &in, &pr, "twice");
    in.demand = dem;
    double negw[] = {1, -2};
    in.weight = negw;
    expect_param(ctx, &in, &pr, "weight");
    in.weight = w;
    uint32_t area[] = {0, 0}, amin[] = {2}, amax[] = {3};
    in.area = area;
    in.n_areas = 1;
    in.area_min = amin;
    in.area_max = amax;
    expect_param(ctx, &in, &pr, "minima");
    amin[0] = 3;
    pr.p = 3;
    expect_param(ctx, &in, &pr, "only 2 candidates");
    in.n_candidates = 0;
    expect_param(ctx, &in, &pr, "no candidate");
    cc_ctx_destroy(ctx);
}

/* The size limit of --exact is a clear refusal, not a hang. */
static void test_exact_limit(void **state)
{
    (void)state;
    cc_ctx *ctx;
    cc_ctx_create(&ctx);
    inst I;
    make_inst(&I, 99, 60, 300, 0.3, false, 3);
    cc_site_params pr = {.model = CC_SITE_MCLP, .p = 3, .exact = true, .exact_max_nonzeros = 100};
    cc_site_solution *s = NULL;
    assert_int_equal(cc_site_solve(ctx, &I.in, &pr, &s), CC_ERR_LIMIT);
    assert_non_null(strstr(cc_ctx_last_error(ctx), "non-zeros"));
    inst_free(&I);
    cc_ctx_destroy(ctx);
}

/* Every allocation failure comes back as CC_ERR_NOMEM (no crash, no leak under ASan), for
 * every model: the k-th allocation fails, for k = 1, 2, ... until a solve gets through. */
static void test_out_of_memory(void **state)
{
    (void)state;
    cc_ctx *ctx;
    cc_ctx_create(&ctx);
    cc_ctx_set_threads(ctx, 1); /* the failing allocator is not thread-safe */
    inst I;
    make_inst(&I, 777, 14, 40, 0.3, true, 3);
    const cc_site_model models[] = {CC_SITE_MCLP, CC_SITE_LSCP, CC_SITE_PMEDIAN, CC_SITE_PCENTER};
    for (int m = 0; m < 4; m++) {
        long k;
        for (k = 1; k < 100000; k++) {
            cc_site_params pr = {.model = models[m], .p = 3, .curve_to = 2, .target_share = 0.8, .exact = k % 2 == 0};
            cc_site_solution *s = NULL;
            cc__alloc_fail_after(k);
            cc_status st = cc_site_solve(ctx, &I.in, &pr, &s);
            cc__alloc_fail_after(0);
            if (st == CC_OK) {
                cc_site_solution_destroy(s);
                break;
            }
            if (st != CC_ERR_NOMEM)
                fail_msg("%s: allocation %ld failed gives status %d (%s)", cc_site_model_name(models[m]), k, st, cc_ctx_last_error(ctx));
            assert_null(s);
        }
        print_message("%-8s survived %ld failing allocations\n", cc_site_model_name(models[m]), k - 1);
        assert_true(k > 10);
    }
    inst_free(&I);
    cc_ctx_destroy(ctx);
}

/* The whole run on the demo district (village points): allocation failures anywhere in it
 * come back as CC_ERR_NOMEM with no output folder left behind. */
static void test_run_out_of_memory(void **state)
{
    (void)state;
    char src[1024], roads[1100], pop[1100], fac[1100], adm[1100], out[128], dir[64];
    snprintf(src, sizeof(src), "%s", __FILE__);
    char *cut = strstr(src, "tests/unit/test_site.c");
    if (!cut) skip();
    *cut = '\0';
    snprintf(roads, sizeof(roads), "%sdatasets/demo/roads.geojson", src);
    snprintf(pop, sizeof(pop), "%sdatasets/demo/villages.geojson", src);
    snprintf(fac, sizeof(fac), "%sdatasets/demo/facilities.csv", src);
    snprintf(adm, sizeof(adm), "%sdatasets/demo/townships.geojson", src);
    tu_tmpdir(dir, sizeof(dir));
    snprintf(out, sizeof(out), "%s/out", dir);
    cc_ctx *ctx;
    cc_ctx_create(&ctx);
    cc_ctx_set_threads(ctx, 1);
    cc_site_opts o = {.in = {.roads = roads, .population = pop, .population_field = "population", .facilities = fac, .admin = adm},
                      .fixed_tiers = "county_hospital", .candidate_roads = "primary,secondary", .max_per_area = 1, .p = 2,
                      .minutes = 15, .out_dir = out};
    long k, fails = 0;
    for (k = 1; k < 100000; k++) {
        cc_site_result *r = NULL;
        cc__alloc_fail_after(k);
        cc_status st = cc_site_run(ctx, &o, &r);
        cc__alloc_fail_after(0);
        if (st == CC_OK) {
            assert_non_null(r);
            cc_site_result_destroy(r);
            break;
        }
        if (st != CC_ERR_NOMEM) fail_msg("allocation %ld failed gives status %d (%s)", k, st, cc_ctx_last_error(ctx));
        assert_null(r);
        if (access(out, F_OK) == 0) fail_msg("allocation %ld failed but '%s' exists", k, out);
        fails++;
    }
    print_message("whole run survived %ld failing allocations (of about %ld)\n", fails, k);
    assert_true(fails > 50);
    char cmd[200];
    snprintf(cmd, sizeof(cmd), "rm -rf %s", dir);
    assert_int_equal(system(cmd), 0);
    cc_ctx_destroy(ctx);
}

int main(int argc, char **argv)
{
    if (argc > 1) cmocka_set_test_filter(argv[1]); /* e.g. test_site 'test_random_*' */
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_merge),
        cmocka_unit_test(test_bad_instances),
        cmocka_unit_test(test_exact_limit),
        cmocka_unit_test(test_lscp_infeasible),
        cmocka_unit_test(test_exact_equals_brute_force),
        cmocka_unit_test(test_curve),
        cmocka_unit_test(test_random_mclp),
        cmocka_unit_test(test_random_pmedian),
        cmocka_unit_test(test_pmedian_large_p),
        cmocka_unit_test(test_random_pcenter),
        cmocka_unit_test(test_random_lscp),
        cmocka_unit_test(test_threads),
        cmocka_unit_test(test_out_of_memory),
        cmocka_unit_test(test_run_out_of_memory),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
