/*
 * test_queue.c - the search's two priority queues (radix heap, the default, and binary heap)
 * against an independent O(n^2) Dijkstra on explicit random graphs: many equal edge costs,
 * edge costs above 2^20 ms (up to the largest edge cost), several seeds with origins, limits.
 * Every node's cost and origin must match; the settled list must hold exactly the nodes within
 * the limit, in nondecreasing cost. Reach lists (cc__reach, read in list order by the coverage
 * sums and the coverage sets) must come out the same, element by element, with either queue.
 */
#include "test_util.h"
#include "access/access_internal.h"
#include "graph/graph_internal.h"
#include "graph/snap_internal.h"
#include "route/route_internal.h"

/* Labels as the search defines them: for every node the smallest (cost, origin) over all seeds
 * and paths, where a path from seed s costs s.cost_ms + the sum of its edge costs; nodes above
 * limit (capped at CC_INF_COST - 1) are not reached. Plain array scan, no queue. Edges are given
 * as lists (src, dst, cost), forward: seeds at tails; reverse: seeds at heads. */
static void simple_dijkstra(uint32_t n, size_t m, const uint32_t *es, const uint32_t *ed, const uint32_t *ec, bool reverse,
                            const cc_seed *seeds, size_t ns, uint32_t limit, uint64_t *cost, uint32_t *origin)
{
    const uint64_t INF = UINT64_MAX;
    if (limit >= CC_INF_COST) limit = CC_INF_COST - 1;
    bool *done = calloc(n, 1);
    for (uint32_t v = 0; v < n; v++) cost[v] = INF, origin[v] = CC_INVALID_ID;
    for (size_t i = 0; i < ns; i++) {
        uint32_t v = seeds[i].node;
        if (v >= n || seeds[i].cost_ms > limit) continue;
        if (seeds[i].cost_ms < cost[v] || (seeds[i].cost_ms == cost[v] && seeds[i].origin < origin[v]))
            cost[v] = seeds[i].cost_ms, origin[v] = seeds[i].origin;
    }
    for (;;) {
        uint32_t u = CC_INVALID_ID;
        for (uint32_t v = 0; v < n; v++)
            if (!done[v] && cost[v] != INF && (u == CC_INVALID_ID || cost[v] < cost[u] || (cost[v] == cost[u] && origin[v] < origin[u])))
                u = v;
        if (u == CC_INVALID_ID) break;
        done[u] = true;
        for (size_t e = 0; e < m; e++) {
            uint32_t from = reverse ? ed[e] : es[e], to = reverse ? es[e] : ed[e];
            if (from != u || done[to]) continue;
            uint64_t c = cost[u] + ec[e];
            if (c > limit) continue;
            if (c < cost[to] || (c == cost[to] && origin[u] < origin[to])) cost[to] = c, origin[to] = origin[u];
        }
    }
    free(done);
}

/* Edge costs: mostly from a few small values (many equal labels), some large (> 2^20 ms), a few
 * up to the largest edge cost. */
static uint32_t random_cost(uint64_t *rs, int mix)
{
    uint64_t r = tu_rand(rs) % 100;
    if (mix == 0 || r < 70) return 1 + (uint32_t)(tu_rand(rs) % 3) * 500;
    if (r < 95) return (1u << 20) + (uint32_t)(tu_rand(rs) % 4) * (1u << 18);
    return CC_MAX_EDGE_COST - (uint32_t)(tu_rand(rs) % 2);
}

static void check_one(uint64_t seed)
{
    uint64_t rs = seed * 0x9E3779B97F4A7C15ULL + 11;
    uint32_t n = 2 + (uint32_t)(tu_rand(&rs) % 120);
    size_t m = (size_t)n * (1 + tu_rand(&rs) % 4);
    int mix = (int)(seed % 3);
    uint32_t *es = malloc(m * sizeof(uint32_t)), *ed = malloc(m * sizeof(uint32_t)), *ec = malloc(m * sizeof(uint32_t));
    for (size_t e = 0; e < m; e++) {
        es[e] = (uint32_t)(tu_rand(&rs) % n);
        ed[e] = (uint32_t)(tu_rand(&rs) % n);
        ec[e] = random_cost(&rs, mix);
    }
    cc_graph *g;
    assert_int_equal(cc__graph_from_edges(ctx, n, m, es, ed, ec, NULL, NULL, &g), CC_OK);
    cc_search *q[2];
    assert_int_equal(cc_search_create(ctx, g, &q[0]), CC_OK);
    assert_int_equal(cc_search_create(ctx, g, &q[1]), CC_OK);
    cc__search_set_queue(q[0], CC__QUEUE_RADIX);
    cc__search_set_queue(q[1], CC__QUEUE_HEAP);
    uint64_t *want = malloc(n * sizeof(uint64_t));
    uint32_t *want_o = malloc(n * sizeof(uint32_t));
    for (int trial = 0; trial < 8; trial++) {
        cc_seed seeds[6];
        size_t ns = 1 + tu_rand(&rs) % 6;
        for (size_t i = 0; i < ns; i++) {
            uint32_t c = tu_rand(&rs) % 2 ? 0 : (uint32_t)(tu_rand(&rs) % 3) * 500; /* equal seed costs too */
            if (tu_rand(&rs) % 8 == 0) c = (1u << 21) + (uint32_t)(tu_rand(&rs) % 1000);
            seeds[i] = (cc_seed){(uint32_t)(tu_rand(&rs) % n), c, (uint32_t)(tu_rand(&rs) % 4)}; /* shared origins */
        }
        uint32_t limits[4] = {CC_INF_COST, 1000, (1u << 21) + 700, (uint32_t)(tu_rand(&rs) % (3u << 20))};
        uint32_t limit = limits[trial % 4];
        cc_direction dir = (trial & 1) ? CC_REVERSE : CC_FORWARD;
        simple_dijkstra(n, m, es, ed, ec, dir == CC_REVERSE, seeds, ns, limit, want, want_o);
        size_t reached = 0;
        for (uint32_t v = 0; v < n; v++) reached += want[v] != UINT64_MAX;
        for (int k = 0; k < 2; k++) {
            cc_search_run(q[k], dir, seeds, ns, limit);
            for (uint32_t v = 0; v < n; v++) {
                if (want[v] == UINT64_MAX) {
                    assert_int_equal(cc_search_get_cost(q[k], v), CC_INF_COST);
                    assert_int_equal(cc_search_get_origin(q[k], v), CC_INVALID_ID);
                } else {
                    assert_int_equal(cc_search_get_cost(q[k], v), want[v]);
                    assert_int_equal(cc_search_get_origin(q[k], v), want_o[v]);
                }
            }
            size_t n_settled;
            const uint32_t *set = cc_search_get_settled_ref(q[k], &n_settled);
            assert_int_equal(n_settled, reached);
            for (size_t i = 0; i < n_settled; i++) {
                assert_true(want[set[i]] != UINT64_MAX);
                if (i) assert_true(cc_search_get_cost(q[k], set[i - 1]) <= cc_search_get_cost(q[k], set[i]));
            }
        }
    }
    free(want);
    free(want_o);
    cc_search_destroy(q[0]);
    cc_search_destroy(q[1]);
    cc_graph_destroy(g);
    free(es);
    free(ed);
    free(ec);
}

static void test_queues_vs_simple_dijkstra(void **state)
{
    (void)state;
    for (uint64_t seed = 1; seed <= 300; seed++) check_one(seed);
}

/* A long chain of equal 1 ms edges fanning out (tens of thousands of equal-cost entries, many
 * chunks per bucket), then one huge edge: both queues settle the same nodes at the same costs,
 * and one workspace reused for both directions and limits gives what a fresh one gives. */
static void test_many_equal_and_reuse(void **state)
{
    (void)state;
    const uint32_t n = 40000;
    size_t m = 0;
    uint32_t *es = malloc(3 * n * sizeof(uint32_t)), *ed = malloc(3 * n * sizeof(uint32_t)), *ec = malloc(3 * n * sizeof(uint32_t));
    for (uint32_t v = 1; v < n; v++) { /* a tree: v's parent (v - 1) / 8, all edges 1 ms, both ways */
        es[m] = (v - 1) / 8, ed[m] = v, ec[m++] = 1;
        es[m] = v, ed[m] = (v - 1) / 8, ec[m++] = 1;
    }
    es[m] = 0, ed[m] = n - 1, ec[m++] = CC_MAX_EDGE_COST; /* never the shortest */
    es[m] = n - 2, ed[m] = 0, ec[m++] = (1u << 25) + 3;
    cc_graph *g;
    assert_int_equal(cc__graph_from_edges(ctx, n, m, es, ed, ec, NULL, NULL, &g), CC_OK);
    cc_search *r, *h, *fresh;
    assert_int_equal(cc_search_create(ctx, g, &r), CC_OK);
    assert_int_equal(cc_search_create(ctx, g, &h), CC_OK);
    cc__search_set_queue(h, CC__QUEUE_HEAP);
    uint32_t limits[3] = {CC_INF_COST, 4, 6};
    for (int t = 0; t < 6; t++) {
        cc_seed sd[2] = {{0, 0, 1}, {(uint32_t)(t * 977 % n), 1, 0}};
        cc_direction dir = t & 1 ? CC_REVERSE : CC_FORWARD;
        cc_search_run(r, dir, sd, 2, limits[t % 3]);
        cc_search_run(h, dir, sd, 2, limits[t % 3]);
        assert_int_equal(cc_search_create(ctx, g, &fresh), CC_OK);
        cc_search_run(fresh, dir, sd, 2, limits[t % 3]);
        size_t nr, nh;
        const uint32_t *sr = cc_search_get_settled_ref(r, &nr);
        cc_search_get_settled_ref(h, &nh);
        assert_int_equal(nr, nh);
        for (size_t i = 1; i < nr; i++) assert_true(cc_search_get_cost(r, sr[i - 1]) <= cc_search_get_cost(r, sr[i]));
        for (uint32_t v = 0; v < n; v++) {
            assert_int_equal(cc_search_get_cost(r, v), cc_search_get_cost(h, v));
            assert_int_equal(cc_search_get_origin(r, v), cc_search_get_origin(h, v));
            assert_int_equal(cc_search_get_cost(r, v), cc_search_get_cost(fresh, v));
            assert_int_equal(cc_search_get_origin(r, v), cc_search_get_origin(fresh, v));
        }
        cc_search_destroy(fresh);
    }
    /* unbounded from node 0 forward: depth d of the 8-ary tree costs d ms; the leaf n - 1 too */
    cc_seed s0 = {0, 0, 0};
    cc_search_run(r, CC_FORWARD, &s0, 1, CC_INF_COST);
    uint32_t depth = 0;
    for (uint32_t v = n - 1; v; v = (v - 1) / 8) depth++;
    assert_int_equal(cc_search_get_cost(r, n - 1), depth);
    cc_search_destroy(r);
    cc_search_destroy(h);
    cc_graph_destroy(g);
    free(es);
    free(ed);
    free(ec);
}

/* A square grid of residential roads with exact 200 m spacing (every block costs the same, so
 * most nodes tie with others) and demand points scattered over it: cc__reach from the same
 * facilities gives the same list, in the same order, with the radix heap and the binary heap,
 * although the two settle equal-cost nodes in different orders. */
static void test_reach_order_same_for_both_queues(void **state)
{
    (void)state;
    const int side = 30;
    char dir[64], path[128];
    tu_tmpdir(dir, sizeof(dir));
    snprintf(path, sizeof(path), "%s/grid.geojson", dir);
    tu_buf b = {0};
    tu_printf(&b, "%s", TU_GEOJSON_HEAD);
    for (int k = 0; k < side; k++) /* one way per row and per column */
        for (int d = 0; d < 2; d++) {
            tu_printf(&b, "%s{\"type\":\"Feature\",\"properties\":{\"highway\":\"residential\"},\"geometry\":{\"type\":\"LineString\",\"coordinates\":[",
                      k || d ? "," : "");
            for (int i = 0; i < side; i++)
                tu_printf(&b, "%s[%d,%d]", i ? "," : "", d ? k * 200 : i * 200, d ? i * 200 : k * 200);
            tu_printf(&b, "]}}");
        }
    tu_printf(&b, "%s", TU_GEOJSON_TAIL);
    tu_write(path, b.s);
    free(b.s);
    cc_graph *g = tu_graph_read(ctx, path);
    cc_profile *p;
    assert_int_equal(cc_profile_load(ctx, "ambulance", &p), CC_OK);
    remove(path);
    rmdir(dir);
    /* demand points at random, some exactly on nodes and on block midpoints (more ties) */
    const size_t n_loc = 3000;
    double *x = malloc(n_loc * sizeof(double)), *y = malloc(n_loc * sizeof(double));
    uint64_t rs = 77;
    for (size_t i = 0; i < n_loc; i++) {
        if (i % 3 == 0) {
            x[i] = (double)(tu_rand(&rs) % (uint64_t)(2 * side - 1)) * 100.0;
            y[i] = (double)(tu_rand(&rs) % (uint64_t)side) * 200.0;
        } else {
            x[i] = tu_uniform(&rs) * 200.0 * (side - 1);
            y[i] = tu_uniform(&rs) * 200.0 * (side - 1);
        }
    }
    cc__snap_index *snap;
    cc__join *join;
    uint32_t *off;
    assert_int_equal(cc__snap_index_build(ctx, g, &snap), CC_OK);
    assert_int_equal(cc__join_points(ctx, snap, p, x, y, n_loc, &join, &off), CC_OK);
    cc__loc_index ix;
    assert_int_equal(cc__loc_index_build(ctx, g, join, n_loc, &ix), CC_OK);
    cc__reach_ws wr, wh;
    assert_int_equal(cc__reach_ws_init(ctx, g, n_loc, &wr), CC_OK);
    assert_int_equal(cc__reach_ws_init(ctx, g, n_loc, &wh), CC_OK);
    cc__search_set_queue(wr.s, CC__QUEUE_RADIX);
    cc__search_set_queue(wh.s, CC__QUEUE_HEAP);
    size_t differ = 0, total = 0;
    for (size_t f = 0; f < n_loc; f += 97) {
        if (join[f].arc == CC_INVALID_ID) continue;
        for (int d = 0; d < 2; d++) {
            cc_direction dd = d ? CC_REVERSE : CC_FORWARD;
            uint32_t limit = 60000 + (uint32_t)(f % 5) * 30000;
            cc__reach(&wr, g, &ix, join, off, join[f], off[f], dd, limit);
            cc__reach(&wh, g, &ix, join, off, join[f], off[f], dd, limit);
            assert_int_equal(wr.n, wh.n);
            assert_true(wr.n > 10);
            total += wr.n;
            for (size_t i = 0; i < wr.n; i++) {
                assert_int_equal(wr.loc[i], wh.loc[i]);
                assert_int_equal(wr.t_ms[i], wh.t_ms[i]);
            }
            /* the searches themselves did settle equal costs in different orders */
            size_t na, nb;
            const uint32_t *sa = cc_search_get_settled_ref(wr.s, &na), *sb = cc_search_get_settled_ref(wh.s, &nb);
            assert_int_equal(na, nb);
            differ += memcmp(sa, sb, na * sizeof(uint32_t)) != 0;
        }
    }
    assert_true(total > 1000);
    assert_true(differ > 0); /* else this test would show nothing */
    cc__reach_ws_free(&wr);
    cc__reach_ws_free(&wh);
    cc__loc_index_free(&ix);
    free(join);
    free(off);
    cc__snap_index_destroy(snap);
    free(x);
    free(y);
    cc_graph_destroy(g);
    cc_profile_destroy(p);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_queues_vs_simple_dijkstra),
        cmocka_unit_test(test_many_equal_and_reuse),
        cmocka_unit_test(test_reach_order_same_for_both_queues),
    };
    return cmocka_run_group_tests(tests, tu_ctx_setup, tu_ctx_teardown);
}
