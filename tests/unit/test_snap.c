/* test_snap.c - the grid snapping index against brute force over every segment. */
#include <math.h>

#include "random_roads.h"
#include "graph/snap_internal.h"

static double brute(const cc_graph *g, double px, double py)
{
    double best = INFINITY;
    for (uint32_t a = 0; a < g->n_arcs; a++)
        for (uint32_t k = g->arc_first[a]; k + 1 < g->arc_first[a + 1]; k++) {
            double ax = g->pt_x[k], ay = g->pt_y[k], dx = g->pt_x[k + 1] - ax, dy = g->pt_y[k + 1] - ay;
            double l2 = dx * dx + dy * dy, t = l2 > 0 ? ((px - ax) * dx + (py - ay) * dy) / l2 : 0;
            t = t < 0 ? 0 : t > 1 ? 1 : t;
            double d = hypot(ax + t * dx - px, ay + t * dy - py);
            if (d < best) best = d;
        }
    return best;
}

/* The point at distance s along arc a. */
static void point_on_arc(const cc_graph *g, uint32_t a, double s, double *x, double *y)
{
    for (uint32_t k = g->arc_first[a]; k + 1 < g->arc_first[a + 1]; k++) {
        if (s <= g->pt_s[k + 1] + 1e-6 || k + 2 == g->arc_first[a + 1]) {
            double seg = g->pt_s[k + 1] - g->pt_s[k], t = seg > 0 ? (s - g->pt_s[k]) / seg : 0;
            *x = g->pt_x[k] + t * (g->pt_x[k + 1] - g->pt_x[k]);
            *y = g->pt_y[k] + t * (g->pt_y[k + 1] - g->pt_y[k]);
            return;
        }
    }
}

static void test_snap_vs_brute_force(void **state)
{
    (void)state;
    char dir[64], path[128];
    tu_tmpdir(dir, sizeof(dir));
    snprintf(path, sizeof(path), "%s/r.geojson", dir);
    for (uint64_t seed = 1; seed <= 4; seed++) {
        tu_random_roads(path, seed, 16, 120);
        cc_graph *g = tu_graph_read(ctx, path);
        cc__snap_index *ix;
        assert_int_equal(cc__snap_index_build(ctx, g, &ix), CC_OK);
        uint64_t rs = seed;
        for (int q = 0; q < 3000; q++) {
            double x = -1500 + tu_uniform(&rs) * 6300, y = -1500 + tu_uniform(&rs) * 6300;
            double maxd = q % 5 == 0 ? 50.0 : 2000.0;
            cc__join j = cc__snap(ix, x, y, maxd);
            double want = brute(g, x, y);
            if (want > maxd) {
                assert_int_equal(j.arc, CC_INVALID_ID);
                continue;
            }
            assert_int_not_equal(j.arc, CC_INVALID_ID);
            assert_true(fabs(j.d_m - want) < 1e-3);
            double sx = NAN, sy = NAN;
            assert_true(j.s_m >= 0 && j.s_m <= g->arc_len_m[j.arc] + 1e-3);
            point_on_arc(g, j.arc, j.s_m, &sx, &sy);
            assert_true(fabs(hypot(sx - x, sy - y) - want) < 1e-2);
        }
        assert_int_equal(cc__snap(ix, NAN, 0, 1000).arc, CC_INVALID_ID);
        /* a point on a node joins at an arc end exactly (s = 0 or s = length), so that one-way
         * arcs ending there do not make it unreachable (demo-district regression) */
        for (uint32_t a = 0; a < g->n_arcs; a++) {
            cc__join j = cc__snap(ix, g->node_x[g->arc_v[a]], g->node_y[g->arc_v[a]], 10.0);
            assert_int_not_equal(j.arc, CC_INVALID_ID);
            assert_true(j.d_m < 1e-6f);
            if (!(fabs(j.s_m) < 1e-9 || fabs(j.s_m - g->arc_len_m[j.arc]) < 1e-9))
                fail_msg("arc %u: s %.9f is neither 0 nor the length %.9f", j.arc, j.s_m, g->arc_len_m[j.arc]);
        }
        cc__snap_index_destroy(ix);
        cc_graph_destroy(g);
    }
    remove(path);
    rmdir(dir);
}

int main(void)
{
    const struct CMUnitTest tests[] = {cmocka_unit_test(test_snap_vs_brute_force)};
    return cmocka_run_group_tests(tests, tu_ctx_setup, tu_ctx_teardown);
}
