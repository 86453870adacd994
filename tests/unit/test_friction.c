/*
 * test_friction.c - the off-road model's pieces (issue 16): cover fractions to speed, Tobler's
 * factor, moves that touch impassable cells, and the hybrid search over cells against a
 * Bellman-Ford over every move (both directions, with a slope, ties, a time limit).
 */
#include <math.h>

#include "test_util.h"
#include "graph/friction_internal.h"
#include "route/hybrid_internal.h"

static void test_fractions(void **s)
{
    (void)s;
    float tree[3] = {50, 40, NAN}, crops[3] = {50, 0, NAN}, water[3] = {0, 60, NAN};
    const float *fr[3] = {tree, crops, water};
    const double kmh[3] = {4.0, 2.5, 0.0};
    assert_float_equal(cc__speed_from_fractions(3, fr, kmh, 0), 100.0 / (50 / 4.0 + 50 / 2.5), 1e-12);
    assert_float_equal(cc__speed_from_fractions(3, fr, kmh, 1), 0.0, 0); /* water covers more than land */
    assert_float_equal(cc__speed_from_fractions(3, fr, kmh, 2), 0.0, 0); /* nothing known */
}

static void test_tobler(void **s)
{
    (void)s;
    assert_float_equal(cc__tobler_factor(0.0), 1.0, 1e-15);
    assert_float_equal(cc__tobler_factor(-0.05), exp(0.175), 1e-12); /* the fastest slope */
    assert_float_equal(cc__tobler_factor(0.15), exp(-3.5 * 0.15), 1e-12);
    assert_true(cc__tobler_factor(0.1) < cc__tobler_factor(-0.1)); /* uphill is slower */
}

static void make(cc__friction *f, int w, int h, int nb)
{
    double ex[16], ny[16];
    for (int r = 0; r < h; r++) ex[r] = 30.0, ny[r] = 20.0;
    assert_int_equal(cc__friction_init(ctx, w, h, nb, ex, ny, f), CC_OK);
    for (int i = 0; i < w * h; i++) f->spm[i] = 0.72f; /* 5 km/h */
}

static void test_moves(void **s)
{
    (void)s;
    cc__friction f;
    make(&f, 3, 3, 16);
    f.spm[4] = INFINITY; /* the centre */
    for (int k = 0; k < 16; k++) {
        double t = cc__friction_move_s(&f, 0, k);
        int c = cc__nb_dc[k], r = cc__nb_dr[k];
        if (c < 0 || r < 0 || c > 2 || r > 2) {
            assert_true(isinf(t)); /* off the grid */
        } else if ((c == 1 && r == 1) || k >= 8) {
            assert_true(isinf(t)); /* ends on, or (knight) passes, the centre */
        } else {
            assert_float_equal(t, hypot(c * 30.0, r * 20.0) * (double)0.72f, 1e-9);
        }
        /* opposite pairs */
        assert_int_equal(cc__nb_dc[k ^ 1], -c);
        assert_int_equal(cc__nb_dr[k ^ 1], -r);
    }
    f.spm[4] = 0.72f;
    f.spm[3] = 3.6f; /* the knight (0,0) -> (1,2) passes cells (0,1) and (1,1): mean of four */
    int k = 8;
    assert_int_equal(cc__nb_dc[k], 1);
    assert_int_equal(cc__nb_dr[k], 2);
    assert_float_equal(cc__friction_move_s(&f, 0, k), hypot(30.0, 40.0) * ((double)0.72f * 3 + (double)3.6f) / 4, 1e-9);
    cc__friction_free(&f);
}

/* Bellman-Ford over every move: times TO the seeds (reverse) or FROM them (forward). */
static void bellman_ford(const cc__friction *f, const int64_t *seeds, size_t ns, cc_direction dir, double *d)
{
    const size_t n = (size_t)f->w * f->h;
    for (size_t i = 0; i < n; i++) d[i] = INFINITY;
    for (size_t i = 0; i < ns; i++) d[seeds[i]] = 0;
    for (bool ch = true; ch;) {
        ch = false;
        for (size_t a = 0; a < n; a++)
            for (int k = 0; k < f->n_nb; k++) {
                double t = cc__friction_move_s(f, (int64_t)a, k);
                if (isinf(t)) continue;
                size_t b = a + (size_t)((int64_t)cc__nb_dr[k] * f->w + cc__nb_dc[k]);
                /* move a -> b: reverse relaxes a from b, forward b from a */
                size_t from = dir == CC_REVERSE ? b : a, to = dir == CC_REVERSE ? a : b;
                if (d[from] + t < d[to] - 1e-12) {
                    d[to] = d[from] + t;
                    ch = true;
                }
            }
    }
}

static void test_search_vs_bellman_ford(void **s)
{
    (void)s;
    for (int nb = 8; nb <= 16; nb += 8) {
        cc__friction f;
        make(&f, 9, 7, nb);
        f.z = malloc(63 * sizeof(float));
        for (int i = 0; i < 63; i++) {
            f.z[i] = (float)(3.0 * (i % 9) + 2.0 * ((i * 7) % 5));
            f.spm[i] = (float)(0.5 + 0.1 * (i % 4));
        }
        f.spm[20] = f.spm[29] = f.spm[38] = INFINITY; /* a short wall */
        cc__hybrid h;
        assert_int_equal(cc__hybrid_init(ctx, &f, NULL, &h), CC_OK);
        int64_t seeds[2] = {0, 62};
        cc__hybrid_seed sd[2] = {{.node = 0, .origin = 0}, {.node = 62, .origin = 1}};
        double ref[63];
        for (int dir = 0; dir < 2; dir++) {
            assert_int_equal(cc__hybrid_run(ctx, &h, sd, 2, (cc_direction)dir, INFINITY), CC_OK);
            bellman_ford(&f, seeds, 2, (cc_direction)dir, ref);
            for (int i = 0; i < 63; i++) {
                if (isinf(ref[i])) {
                    assert_true(isinf(cc__hybrid_cost(&h, i)));
                } else {
                    assert_float_equal(cc__hybrid_cost(&h, i), ref[i], 1e-9);
                }
            }
        }
        /* directions differ on a slope */
        double fwd[63];
        bellman_ford(&f, seeds, 2, CC_FORWARD, fwd);
        bellman_ford(&f, seeds, 2, CC_REVERSE, ref);
        double diff = 0;
        for (int i = 0; i < 63; i++)
            if (!isinf(ref[i])) diff = fmax(diff, fabs(ref[i] - fwd[i]));
        assert_true(diff > 1.0);
        /* a time limit leaves the farther cells unreached and keeps the nearer ones */
        assert_int_equal(cc__hybrid_run(ctx, &h, sd, 2, CC_REVERSE, 100.0), CC_OK);
        for (int i = 0; i < 63; i++) {
            if (ref[i] <= 100.0)
                assert_float_equal(cc__hybrid_cost(&h, i), ref[i], 1e-9);
            else
                assert_true(isinf(cc__hybrid_cost(&h, i)));
        }
        cc__hybrid_free(&h);
        cc__friction_free(&f);
    }
}

static void test_ties(void **s)
{
    (void)s;
    cc__friction f;
    make(&f, 5, 1, 8);
    cc__hybrid h;
    assert_int_equal(cc__hybrid_init(ctx, &f, NULL, &h), CC_OK);
    /* the middle cell is as far from both: the smaller origin wins whatever the seed order */
    cc__hybrid_seed sd[2] = {{.node = 4, .origin = 3}, {.node = 0, .origin = 7}};
    assert_int_equal(cc__hybrid_run(ctx, &h, sd, 2, CC_REVERSE, INFINITY), CC_OK);
    assert_int_equal(cc__hybrid_origin(&h, 2), 3);
    assert_int_equal(cc__hybrid_origin(&h, 1), 7);
    cc__hybrid_free(&h);
    cc__friction_free(&f);
}

/* The search over cells alone (a bucket queue, labels settled bucket by bucket) against the same
 * search in the total order (time, origin, node), forced by a ferry link that never helps: the
 * same labels bit for bit (time, origin, road seconds) and the same nodes settled, on random
 * surfaces with impassable cells, with and without a slope, with many exact ties (uniform
 * friction), both directions, 8 and 16 neighbours, sources at different start times (one far
 * beyond what the buckets index exactly), limits. */
static void test_bucket_vs_ordered(void **s)
{
    (void)s;
    uint64_t rs = 16;
    for (int trial = 0; trial < 48; trial++) {
        const int w = 40, hh = 16, n = w * hh, nb = trial % 2 ? 16 : 8;
        const bool slope = trial % 3 == 1, uniform = trial % 3 == 2;
        cc__friction f;
        make(&f, w, hh, nb);
        if (slope) f.z = malloc((size_t)n * sizeof(float));
        for (int i = 0; i < n; i++) {
            if (!uniform) f.spm[i] = (float)(0.3 + 1.7 * tu_uniform(&rs));
            if (tu_uniform(&rs) < 0.1) f.spm[i] = INFINITY;
            if (slope) f.z[i] = (float)(40.0 * tu_uniform(&rs));
        }
        cc__hybrid_seed sd[4];
        for (int k = 0; k < 4; k++) {
            sd[k].node = tu_rand(&rs) % (uint64_t)n;
            sd[k].origin = (uint32_t)(tu_rand(&rs) % 3);
            sd[k].cost_s = k == 3 ? 0.0 : (double)(tu_rand(&rs) % 3) * 15.0;
        }
        if (trial % 16 == 5) sd[0].cost_s = 1e20; /* beyond the bucket queue's exact indices: redone in order */
        const double limit = trial % 4 == 3 ? 120.0 + 10.0 * (trial % 7) : INFINITY;
        const cc_direction dir = trial % 8 < 4 ? CC_REVERSE : CC_FORWARD;
        cc__hybrid a, b;
        assert_int_equal(cc__hybrid_init(ctx, &f, NULL, &a), CC_OK);
        assert_int_equal(cc__hybrid_run(ctx, &a, sd, 4, dir, limit), CC_OK);
        /* the ordered search: a ferry between two neighbouring passable cells, slower than any path */
        int c0 = 0;
        while (c0 + 1 < n && !(f.spm[c0] < INFINITY && f.spm[c0 + 1] < INFINITY && (c0 + 1) % w)) c0++;
        f.n_links = 2;
        f.link_from = malloc(2 * sizeof(int64_t)), f.link_to = malloc(2 * sizeof(int64_t)), f.link_s = malloc(2 * sizeof(double));
        f.link_from[0] = c0, f.link_to[0] = c0 + 1, f.link_from[1] = c0 + 1, f.link_to[1] = c0;
        f.link_s[0] = f.link_s[1] = 1e7;
        assert_int_equal(cc__hybrid_init(ctx, &f, NULL, &b), CC_OK);
        assert_int_equal(cc__hybrid_run(ctx, &b, sd, 4, dir, limit), CC_OK);
        size_t reached = 0;
        for (int i = 0; i < n; i++) {
            const double ca = cc__hybrid_cost(&a, i), cb = cc__hybrid_cost(&b, i);
            assert_memory_equal(&ca, &cb, sizeof(double));
            if (ca < INFINITY) {
                reached++;
                assert_int_equal(cc__hybrid_origin(&a, i), cc__hybrid_origin(&b, i));
                assert_true(cc__hybrid_road_s(&a, i) == 0.0f && cc__hybrid_road_s(&b, i) == 0.0f);
            }
        }
        assert_int_equal(a.settled, b.settled);
        assert_int_equal(a.settled, reached);
        assert_true(reached > 0);
        cc__hybrid_free(&a);
        cc__hybrid_free(&b);
        cc__friction_free(&f);
    }
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_fractions),
        cmocka_unit_test(test_tobler),
        cmocka_unit_test(test_moves),
        cmocka_unit_test(test_search_vs_bellman_ford),
        cmocka_unit_test(test_ties),
        cmocka_unit_test(test_bucket_vs_ordered),
    };
    return cmocka_run_group_tests(tests, tu_ctx_setup, tu_ctx_teardown);
}
