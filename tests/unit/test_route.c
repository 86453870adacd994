/*
 * test_route.c - Dijkstra (4-ary heap, stamps, multi-source, bounded, both directions)
 * against Bellman-Ford computed independently from the arc list (not the CSR).
 */
#include "random_roads.h"
#include "graph/graph_internal.h"

/* Bellman-Ford over arcs: dist[] from the seeds (forward) or to the seeds (reverse). */
static void bellman_ford(const cc_graph *g, const cc_seed *seeds, size_t ns, bool reverse, uint64_t *dist)
{
    const uint64_t INF = UINT64_MAX / 4;
    for (uint32_t v = 0; v < g->n_nodes; v++) dist[v] = INF;
    for (size_t i = 0; i < ns; i++)
        if (seeds[i].cost_ms < dist[seeds[i].node]) dist[seeds[i].node] = seeds[i].cost_ms;
    for (bool changed = true; changed;) {
        changed = false;
        for (uint32_t a = 0; a < g->n_arcs; a++) {
            uint32_t u = g->arc_u[a], v = g->arc_v[a];
            uint32_t cf = g->arc_cost_f[a], cb = g->arc_cost_b[a];
            /* forward search relaxes u->v with cf; reverse relaxes v->u with cf */
            uint32_t from1 = reverse ? v : u, to1 = reverse ? u : v, from2 = reverse ? u : v, to2 = reverse ? v : u;
            if (cf != CC_INF_COST && dist[from1] != INF && dist[from1] + cf < dist[to1]) {
                dist[to1] = dist[from1] + cf;
                changed = true;
            }
            if (cb != CC_INF_COST && dist[from2] != INF && dist[from2] + cb < dist[to2]) {
                dist[to2] = dist[from2] + cb;
                changed = true;
            }
        }
    }
}

static void check_against_bf(uint64_t seed)
{
    cc_graph *g = tu_random_graph(ctx, seed, 14, 260);
    cc_search *s;
    assert_int_equal(cc_search_create(ctx, g, &s), CC_OK);
    uint64_t *bf = malloc(sizeof(uint64_t) * g->n_nodes), *one = malloc(sizeof(uint64_t) * g->n_nodes);
    const uint64_t INF = UINT64_MAX / 4;
    uint64_t rs = seed * 7 + 1;
    for (int trial = 0; trial < 12; trial++) {
        size_t ns = 1 + tu_rand(&rs) % 4;
        cc_seed seeds[4];
        for (size_t i = 0; i < ns; i++)
            seeds[i] = (cc_seed){(uint32_t)(tu_rand(&rs) % g->n_nodes), (uint32_t)(tu_rand(&rs) % 50000), (uint32_t)i};
        cc_direction dir = (trial & 1) ? CC_REVERSE : CC_FORWARD;
        bellman_ford(g, seeds, ns, dir == CC_REVERSE, bf);
        /* bounded trials use a limit equal to some node's exact distance: the boundary is inclusive */
        uint32_t limit = CC_INF_COST;
        if (trial % 3 != 0) {
            uint32_t v = (uint32_t)(tu_rand(&rs) % g->n_nodes);
            while (bf[v] == INF) v = (v + 1) % g->n_nodes;
            limit = (uint32_t)bf[v];
        }
        cc_search_run(s, dir, seeds, ns, limit);
        size_t settled_expected = 0;
        for (uint32_t v = 0; v < g->n_nodes; v++) {
            uint64_t want = (bf[v] <= limit) ? bf[v] : INF;
            uint32_t got = cc_search_get_cost(s, v);
            if (want == INF)
                assert_int_equal(got, CC_INF_COST);
            else {
                assert_int_equal(got, want);
                settled_expected++;
            }
        }
        size_t n_settled;
        const uint32_t *settled = cc_search_get_settled_ref(s, &n_settled);
        assert_int_equal(n_settled, settled_expected);
        for (size_t i = 1; i < n_settled; i++) assert_true(cc_search_get_cost(s, settled[i - 1]) <= cc_search_get_cost(s, settled[i]));
        /* origin consistency: label = seed cost of the origin + distance from that seed */
        for (size_t i = 0; i < n_settled; i += 7) {
            uint32_t v = settled[i], o = cc_search_get_origin(s, v);
            assert_true(o < ns);
            bellman_ford(g, &seeds[o], 1, dir == CC_REVERSE, one);
            assert_int_equal(one[v], cc_search_get_cost(s, v));
        }
    }
    free(bf);
    free(one);
    cc_search_destroy(s);
    cc_graph_destroy(g);
}

static void test_dijkstra_vs_bellman_ford(void **state)
{
    (void)state;
    for (uint64_t seed = 1; seed <= 12; seed++) check_against_bf(seed);
}

/* Seed order must not change labels or origins (ties broken by origin id). */
static void test_seed_order_independent(void **state)
{
    (void)state;
    cc_graph *g = tu_random_graph(ctx, 99, 12, 200);
    cc_search *a, *b;
    assert_int_equal(cc_search_create(ctx, g, &a), CC_OK);
    assert_int_equal(cc_search_create(ctx, g, &b), CC_OK);
    cc_seed seeds[6], rev[6];
    uint64_t rs = 5;
    for (int i = 0; i < 6; i++) seeds[i] = (cc_seed){(uint32_t)(tu_rand(&rs) % g->n_nodes), 0, (uint32_t)i};
    for (int i = 0; i < 6; i++) rev[i] = seeds[5 - i];
    cc_search_run(a, CC_REVERSE, seeds, 6, CC_INF_COST);
    cc_search_run(b, CC_REVERSE, rev, 6, CC_INF_COST);
    for (uint32_t v = 0; v < g->n_nodes; v++) {
        assert_int_equal(cc_search_get_cost(a, v), cc_search_get_cost(b, v));
        assert_int_equal(cc_search_get_origin(a, v), cc_search_get_origin(b, v));
    }
    cc_search_destroy(a);
    cc_search_destroy(b);
    cc_graph_destroy(g);
}

/* Exact ties: the middle of a symmetric road is equally far from both ends; its origin must be
 * the smaller seed origin, whatever the seed order and direction. */
static void test_exact_ties(void **state)
{
    (void)state;
    char dir[64], path[128];
    tu_tmpdir(dir, sizeof(dir));
    snprintf(path, sizeof(path), "%s/sym.geojson", dir);
    tu_write(path, TU_GEOJSON_HEAD
             "{\"type\":\"Feature\",\"properties\":{\"highway\":\"primary\"},\"geometry\":{\"type\":\"LineString\",\"coordinates\":[[0,0],[1000,0]]}},"
             "{\"type\":\"Feature\",\"properties\":{\"highway\":\"primary\"},\"geometry\":{\"type\":\"LineString\",\"coordinates\":[[1000,0],[2000,0]]}},"
             "{\"type\":\"Feature\",\"properties\":{\"highway\":\"primary\"},\"geometry\":{\"type\":\"LineString\",\"coordinates\":[[1000,0],[1000,500]]}}"
             TU_GEOJSON_TAIL);
    cc_graph *g = tu_graph_read(ctx, path);
    uint32_t a = CC_INVALID_ID, b = CC_INVALID_ID, m = CC_INVALID_ID, t = CC_INVALID_ID;
    for (uint32_t v = 0; v < g->n_nodes; v++) {
        if (g->node_x[v] == 0) a = v;
        if (g->node_x[v] == 2000) b = v;
        if (g->node_x[v] == 1000 && g->node_y[v] == 0) m = v;
        if (g->node_y[v] == 500) t = v;
    }
    assert_true(a != CC_INVALID_ID && b != CC_INVALID_ID && m != CC_INVALID_ID && t != CC_INVALID_ID);
    cc_search *s;
    assert_int_equal(cc_search_create(ctx, g, &s), CC_OK);
    for (int order = 0; order < 2; order++)
        for (int d = 0; d < 2; d++) {
            cc_seed sd[2] = {{a, 0, 5}, {b, 0, 3}};
            if (order) {
                cc_seed tmp = sd[0];
                sd[0] = sd[1];
                sd[1] = tmp;
            }
            cc_search_run(s, d ? CC_REVERSE : CC_FORWARD, sd, 2, CC_INF_COST);
            assert_int_equal(cc_search_get_cost(s, m), cc_search_get_cost(s, a) + 51429); /* 1000 m at 70 km/h ... */
            assert_int_equal(cc_search_get_origin(s, m), 3);
            assert_int_equal(cc_search_get_origin(s, t), 3); /* ... and beyond it */
        }
    cc_search_destroy(s);
    cc_graph_destroy(g);
    remove(path);
    rmdir(dir);
}

/* Reusing one workspace for many searches gives the same answer as fresh ones. */
static void test_workspace_reuse(void **state)
{
    (void)state;
    cc_graph *g = tu_random_graph(ctx, 7, 12, 200);
    cc_search *reused, *fresh;
    assert_int_equal(cc_search_create(ctx, g, &reused), CC_OK);
    for (uint32_t src = 0; src < g->n_nodes; src += 5) {
        cc_seed sd = {src, 0, 0};
        cc_search_run(reused, CC_FORWARD, &sd, 1, 200000);
        assert_int_equal(cc_search_create(ctx, g, &fresh), CC_OK);
        cc_search_run(fresh, CC_FORWARD, &sd, 1, 200000);
        for (uint32_t v = 0; v < g->n_nodes; v++) assert_int_equal(cc_search_get_cost(reused, v), cc_search_get_cost(fresh, v));
        cc_search_destroy(fresh);
    }
    cc_search_destroy(reused);
    cc_graph_destroy(g);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_dijkstra_vs_bellman_ford),
        cmocka_unit_test(test_seed_order_independent),
        cmocka_unit_test(test_exact_ties),
        cmocka_unit_test(test_workspace_reuse),
    };
    return cmocka_run_group_tests(tests, tu_ctx_setup, tu_ctx_teardown);
}
