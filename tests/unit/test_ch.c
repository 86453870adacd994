/*
 * test_ch.c - the contraction hierarchy (planner/route/ch.c) against an independent O(n^2)
 * Dijkstra on explicit random graphs with one-way arcs, parallel arcs, zero-cost arcs, self
 * loops, arcs up to the largest edge cost (so that shortcuts pass CC_INF_COST) and disconnected
 * parts: the point-to-point query for every pair, and the many-source searches (16 lanes, each
 * with up to two seeds at offsets, both directions, with and without a limit, with and without
 * a target selection) for every node; and against cc_search on random graphs built by
 * cc__graph_from_edges (bounded reach sets node for node); and coverage sets from the hierarchy
 * (cc__sets_build_ch) equal to cc__sets_build's, pair for pair, on random road networks.
 */
#include <sys/stat.h>
#include <unistd.h>

#include "test_util.h"
#include "random_roads.h"
#include "access/sets_internal.h"
#include "graph/graph_internal.h"
#include "graph/snap_internal.h"
#include "route/route_internal.h"

/* Smallest seed cost + path cost, forward (seeds at tails) or reverse; UINT64_MAX: not within
 * limit (capped at CC_INF_COST - 1). */
static void ref_dijkstra(uint32_t n, size_t m, const uint32_t *es, const uint32_t *ed, const uint32_t *ec, bool reverse,
                         const cc_seed *seeds, size_t ns, uint32_t limit, uint64_t *cost)
{
    if (limit >= CC_INF_COST) limit = CC_INF_COST - 1;
    bool *done = calloc(n, 1);
    for (uint32_t v = 0; v < n; v++) cost[v] = UINT64_MAX;
    for (size_t i = 0; i < ns; i++)
        if (seeds[i].cost_ms <= limit && seeds[i].cost_ms < cost[seeds[i].node]) cost[seeds[i].node] = seeds[i].cost_ms;
    for (;;) {
        uint32_t u = CC_INVALID_ID;
        for (uint32_t v = 0; v < n; v++)
            if (!done[v] && cost[v] != UINT64_MAX && (u == CC_INVALID_ID || cost[v] < cost[u])) u = v;
        if (u == CC_INVALID_ID) break;
        done[u] = true;
        for (size_t e = 0; e < m; e++) {
            uint32_t from = reverse ? ed[e] : es[e], to = reverse ? es[e] : ed[e];
            if (from != u) continue;
            uint64_t c = cost[u] + ec[e];
            if (c <= limit && c < cost[to]) cost[to] = c;
        }
    }
    free(done);
}

static uint32_t random_cost(uint64_t *rs, int mix)
{
    uint64_t r = tu_rand(rs) % 100;
    if (r < 10) return 0;
    if (mix == 0 || r < 70) return 1 + (uint32_t)(tu_rand(rs) % 5) * 300;
    if (r < 95) return (1u << 20) + (uint32_t)(tu_rand(rs) % 4) * (1u << 18);
    return CC_MAX_EDGE_COST - (uint32_t)(tu_rand(rs) % 2);
}

static void csr_of(uint32_t n, size_t m, const uint32_t *es, const uint32_t *ed, const uint32_t *ec, uint32_t **first, cc_edge **edges)
{
    *first = calloc(n + 1, sizeof(uint32_t));
    *edges = malloc((m ? m : 1) * sizeof(cc_edge));
    for (size_t e = 0; e < m; e++) (*first)[es[e] + 1]++;
    for (uint32_t v = 0; v < n; v++) (*first)[v + 1] += (*first)[v];
    uint32_t *fill = malloc((n + 1) * sizeof(uint32_t));
    memcpy(fill, *first, (n + 1) * sizeof(uint32_t));
    for (size_t e = 0; e < m; e++) (*edges)[fill[es[e]]++] = (cc_edge){ed[e], ec[e]};
    free(fill);
}

static void check_graph(uint64_t seed)
{
    uint64_t rs = seed * 0x9E3779B97F4A7C15ULL + 3;
    uint32_t n = 2 + (uint32_t)(tu_rand(&rs) % 70);
    size_t m = (size_t)n * (1 + tu_rand(&rs) % 3);
    int mix = (int)(seed % 3);
    uint32_t parts = 1 + (uint32_t)(tu_rand(&rs) % 3); /* disconnected parts: arcs stay within node id % parts */
    uint32_t *es = malloc(m * 4), *ed = malloc(m * 4), *ec = malloc(m * 4);
    for (size_t e = 0; e < m; e++) {
        uint32_t a = (uint32_t)(tu_rand(&rs) % n), b = (uint32_t)(tu_rand(&rs) % n);
        if (n >= parts) b = b - b % parts + a % parts < n ? b - b % parts + a % parts : a;
        if (e > 0 && tu_rand(&rs) % 10 == 0) a = es[e - 1], b = ed[e - 1]; /* parallel arc */
        es[e] = a, ed[e] = b, ec[e] = random_cost(&rs, mix);
    }
    uint32_t *first;
    cc_edge *edges;
    csr_of(n, m, es, ed, ec, &first, &edges);
    cc__ch ch;
    assert_int_equal(cc__ch_build_csr(ctx, n, first, edges, &ch), CC_OK);
    /* the positions are a permutation */
    for (uint32_t v = 0; v < n; v++) assert_int_equal(ch.node[ch.pos[v]], v);
    cc__ch_batch fw, bw;
    assert_int_equal(cc__ch_batch_init(ctx, &ch, CC_FORWARD, NULL, &fw), CC_OK);
    assert_int_equal(cc__ch_batch_init(ctx, &ch, CC_REVERSE, NULL, &bw), CC_OK);
    uint64_t *want = malloc(n * sizeof(uint64_t));
    /* point to point, every pair */
    for (uint32_t s = 0; s < n; s++) {
        cc_seed sd = {s, 0, 0};
        ref_dijkstra(n, m, es, ed, ec, false, &sd, 1, CC_INF_COST, want);
        for (uint32_t t = 0; t < n; t++) {
            uint32_t got = cc__ch_query(&fw, &bw, s, t);
            if (want[t] == UINT64_MAX) assert_int_equal(got, CC_INF_COST);
            else assert_int_equal(got, want[t]);
        }
    }
    /* many sources: 16 lanes, each with 1-2 seeds at offsets */
    uint32_t *targets = malloc(n * 4);
    for (int trial = 0; trial < 8; trial++) {
        cc_direction dir = trial & 1 ? CC_REVERSE : CC_FORWARD;
        uint32_t limits[4] = {CC_INF_COST, 1500, (1u << 21) + 700, (uint32_t)(tu_rand(&rs) % (3u << 20))};
        uint32_t limit = limits[(trial >> 1) % 4];
        size_t nt = 0;
        for (uint32_t v = 0; v < n; v++)
            if (tu_rand(&rs) % 3 == 0) targets[nt++] = v;
        uint64_t *sel = NULL;
        if (trial >= 4) assert_int_equal(cc__ch_select(ctx, &ch, dir, targets, nt, &sel), CC_OK);
        cc__ch_batch b;
        assert_int_equal(cc__ch_batch_init(ctx, &ch, dir, sel, &b), CC_OK);
        for (int rep = 0; rep < 2; rep++) { /* a second batch on the same workspace */
            cc_seed seeds[2 * CC__CH_LANES], ls[2];
            size_t ns = 0;
            for (uint32_t k = 0; k < CC__CH_LANES; k++) {
                size_t c = 1 + tu_rand(&rs) % 2;
                for (size_t i = 0; i < c; i++)
                    seeds[ns++] = (cc_seed){(uint32_t)(tu_rand(&rs) % n), tu_rand(&rs) % 2 ? 0 : (uint32_t)(tu_rand(&rs) % 2000), k};
            }
            cc__ch_batch_run(&b, seeds, ns, limit);
            for (uint32_t k = 0; k < CC__CH_LANES; k++) {
                size_t nl = 0;
                for (size_t i = 0; i < ns; i++)
                    if (seeds[i].origin == k) ls[nl++] = seeds[i];
                ref_dijkstra(n, m, es, ed, ec, dir == CC_REVERSE, ls, nl, limit, want);
                if (sel) {
                    for (size_t i = 0; i < nt; i++) {
                        uint32_t v = targets[i], got = cc__ch_batch_cost(&b, v, k);
                        if (want[v] == UINT64_MAX) assert_int_equal(got, CC_INF_COST);
                        else assert_int_equal(got, want[v]);
                    }
                } else {
                    for (uint32_t v = 0; v < n; v++) {
                        uint32_t got = cc__ch_batch_cost(&b, v, k);
                        if (want[v] == UINT64_MAX) assert_int_equal(got, CC_INF_COST);
                        else assert_int_equal(got, want[v]);
                    }
                }
            }
        }
        cc__ch_batch_free(&b);
        free(sel);
    }
    free(targets);
    free(want);
    cc__ch_batch_free(&fw);
    cc__ch_batch_free(&bw);
    cc__ch_free(&ch);
    free(first);
    free(edges);
    free(es);
    free(ed);
    free(ec);
}

static void test_ch_vs_reference(void **state)
{
    (void)state;
    for (uint64_t seed = 1; seed <= 250; seed++) check_graph(seed);
}

/* A grid of side x side nodes with one-way streets, missing streets and random diagonals, as
 * roads are, built as the engine builds graphs (cc__graph_from_edges, costs >= 1 ms). */
static cc_graph *grid_roads(uint64_t *rs, uint32_t side)
{
    uint32_t n = side * side;
    size_t cap = (size_t)n * 6, m = 0;
    uint32_t *es = malloc(cap * 4), *ed = malloc(cap * 4), *ec = malloc(cap * 4);
    for (uint32_t y = 0; y < side; y++)
        for (uint32_t x = 0; x < side; x++) {
            uint32_t v = y * side + x;
            uint32_t nb[3] = {x + 1 < side ? v + 1 : CC_INVALID_ID, y + 1 < side ? v + side : CC_INVALID_ID,
                              x + 1 < side && y + 1 < side && tu_rand(rs) % 5 == 0 ? v + side + 1 : CC_INVALID_ID};
            for (int k = 0; k < 3; k++) {
                if (nb[k] == CC_INVALID_ID || tu_rand(rs) % 12 == 0) continue; /* a missing street */
                uint32_t c = 1 + (uint32_t)(tu_rand(rs) % 60000);
                int oneway = tu_rand(rs) % 6 == 0 ? 1 + (int)(tu_rand(rs) % 2) : 0;
                if (oneway != 2) es[m] = v, ed[m] = nb[k], ec[m++] = c;
                if (oneway != 1) es[m] = nb[k], ed[m] = v, ec[m++] = c + (uint32_t)(tu_rand(rs) % 3) * 1000;
            }
        }
    cc_graph *g;
    assert_int_equal(cc__graph_from_edges(ctx, n, m, es, ed, ec, NULL, NULL, &g), CC_OK);
    free(es);
    free(ed);
    free(ec);
    return g;
}

/* Larger graphs (grid_roads): every lane's bounded reach equals cc_search_run's, node for node,
 * in both directions. */
static void test_ch_vs_cc_search(void **state)
{
    (void)state;
    for (uint64_t seed = 1; seed <= 6; seed++) {
        uint64_t rs = seed * 7919 + 1;
        uint32_t side = 20 + (uint32_t)(tu_rand(&rs) % 25), n = side * side;
        cc_graph *g = grid_roads(&rs, side);
        cc__ch ch;
        assert_int_equal(cc__ch_build(ctx, g, &ch), CC_OK);
        cc_search *s;
        assert_int_equal(cc_search_create(ctx, g, &s), CC_OK);
        for (int d = 0; d < 2; d++) {
            cc_direction dir = d ? CC_REVERSE : CC_FORWARD;
            cc__ch_batch b;
            assert_int_equal(cc__ch_batch_init(ctx, &ch, dir, NULL, &b), CC_OK);
            const uint32_t limit = 300000 + (uint32_t)(tu_rand(&rs) % 600000);
            cc_seed seeds[2 * CC__CH_LANES];
            for (uint32_t k = 0; k < CC__CH_LANES; k++) {
                seeds[2 * k] = (cc_seed){(uint32_t)(tu_rand(&rs) % n), (uint32_t)(tu_rand(&rs) % 30000), k};
                seeds[2 * k + 1] = (cc_seed){(uint32_t)(tu_rand(&rs) % n), (uint32_t)(tu_rand(&rs) % 30000), k};
            }
            cc__ch_batch_run(&b, seeds, 2 * CC__CH_LANES, limit);
            size_t reached = 0;
            for (uint32_t k = 0; k < CC__CH_LANES; k++) {
                cc_search_run(s, dir, seeds + 2 * k, 2, limit);
                for (uint32_t v = 0; v < n; v++) {
                    assert_int_equal(cc__ch_batch_cost(&b, v, k), cc_search_get_cost(s, v));
                    reached += cc_search_get_cost(s, v) != CC_INF_COST;
                }
            }
            assert_true(reached > 16); /* the searches reach something */
            assert_true(reached < (size_t)16 * n); /* and the limit binds */
            cc__ch_batch_free(&b);
        }
        cc_search_destroy(s);
        cc__ch_free(&ch);
        cc_graph_destroy(g);
    }
}

/* Coverage sets on random road networks with one-way roads (random_roads.h): random demand points
 * and candidates, both directions, limits from 1 to 8 minutes, a dispatch delay, candidates'
 * own off-road legs, with and without a keep filter and times, 1 and 2 threads: the hierarchy's
 * sets equal cc__sets_build's pair for pair (ids, times, order). */
static void test_sets_ch_equal(void **state)
{
    (void)state;
    char dir[64], path[128];
    tu_tmpdir(dir, sizeof(dir));
    snprintf(path, sizeof(path), "%s/roads.geojson", dir);
    cc_profile *p;
    assert_int_equal(cc_profile_load(ctx, "ambulance", &p), CC_OK);
    uint64_t checked = 0;
    for (uint64_t seed = 1; seed <= 4; seed++) {
        tu_random_roads(path, seed * 1000 + 7, 24, 700);
        cc_graph *g = tu_graph_read(ctx, path);
        remove(path);
        uint64_t rs = seed * 31 + 5;
        const size_t nd = 4000, nc = 150;
        double *x = malloc((nd + nc) * sizeof(double)), *y = malloc((nd + nc) * sizeof(double));
        for (size_t i = 0; i < nd + nc; i++) x[i] = tu_uniform(&rs) * 200.0 * 24, y[i] = tu_uniform(&rs) * 200.0 * 24;
        cc__snap_index *snap;
        cc__join *join;
        uint32_t *off;
        assert_int_equal(cc__snap_index_build(ctx, g, &snap), CC_OK);
        assert_int_equal(cc__join_points(ctx, snap, p, x, y, nd + nc, &join, &off), CC_OK);
        cc__loc_index ix;
        assert_int_equal(cc__loc_index_build(ctx, g, join, nd, &ix), CC_OK);
        cc__ch ch;
        assert_int_equal(cc__ch_build(ctx, g, &ch), CC_OK);
        uint32_t *keep = malloc(nd * sizeof(uint32_t));
        for (size_t i = 0; i < nd; i++) keep[i] = (uint32_t)(tu_rand(&rs) % 400000);
        cc__ch_cache *cache;
        assert_int_equal(cc__ch_cache_create(ctx, &cache), CC_OK);
        for (int v = 0; v < 8; v++) {
            cc__sets_opts o = {.dir = v & 1 ? CC_REVERSE : CC_FORWARD,
                               .limit_ms = 60000u * (1 + (uint32_t)(tu_rand(&rs) % 8)),
                               .delay_ms = v & 2 ? 45000 : 0,
                               .keep_lt = v & 4 ? keep : NULL,
                               .store_times = !(v & 4),
                               .method = CC__SETS_DIJKSTRA};
            cc_ctx_set_threads(ctx, 1 + v % 2);
            cc__sets A, B;
            assert_int_equal(cc__sets_build(ctx, g, &ix, join, off, nd, join + nd, off + nd, nc, &o, &A), CC_OK);
            assert_int_equal(cc__sets_build_ch(ctx, &ch, g, &ix, join, off, nd, join + nd, off + nd, nc, &o, v >= 4, &B), CC_OK);
            if (v < 4) assert_int_equal(A.settled, B.settled); /* without a selection: the nodes within the limit */
            { /* and through cc__sets_build's switch: built for the call (v == 1), else from a cache
               * kept across the calls (one build for the graph, then hits) */
                cc__sets C;
                cc__sets_opts oc = o;
                oc.method = CC__SETS_CH;
                oc.ch_cache = v == 1 ? NULL : cache;
                assert_int_equal(cc__sets_build(ctx, g, &ix, join, off, nd, join + nd, off + nd, nc, &oc, &C), CC_OK);
                assert_int_equal(cc__sets_digest(&A), cc__sets_digest(&C));
                assert_memory_equal(A.first, C.first, (nc + 1) * sizeof(uint64_t));
                if (A.first[nc]) assert_memory_equal(A.dem, C.dem, A.first[nc] * sizeof(uint32_t));
                if (A.t_ms && A.first[nc]) assert_memory_equal(A.t_ms, C.t_ms, A.first[nc] * sizeof(uint32_t));
                assert_int_equal(A.settled, C.settled);
                cc__sets_free(&C);
            }
            assert_int_equal(A.n_cand, B.n_cand);
            assert_memory_equal(A.first, B.first, (nc + 1) * sizeof(uint64_t));
            uint64_t total = A.first[nc];
            assert_true(total > 0);
            if (total) assert_memory_equal(A.dem, B.dem, total * sizeof(uint32_t));
            assert_true(!A.t_ms == !B.t_ms);
            if (A.t_ms && total) assert_memory_equal(A.t_ms, B.t_ms, total * sizeof(uint32_t));
            assert_int_equal(cc__sets_digest(&A), cc__sets_digest(&B));
            checked += total;
            cc__sets_free(&A);
            cc__sets_free(&B);
        }
        cc_ctx_set_threads(ctx, 1);
        size_t builds, hits;
        cc__ch_cache_stats(cache, &builds, &hits);
        assert_int_equal(builds, 1); /* one graph: built once, */
        assert_int_equal(hits, 6);   /* taken by the 6 later calls that used the cache */
        cc__ch_cache_destroy(cache);
        free(keep);
        cc__ch_free(&ch);
        cc__loc_index_free(&ix);
        free(join);
        free(off);
        cc__snap_index_destroy(snap);
        free(x);
        free(y);
        cc_graph_destroy(g);
    }
    assert_true(checked > 10000); /* the sets are not trivially empty */
    rmdir(dir);
    cc_profile_destroy(p);
}

/* The hierarchy cache serves a graph with the same forward CSR (another graph object built from
 * the same edges), builds another for other costs (one edge 1 ms dearer: a speed change), waits
 * for nothing it does not need, drops the least recently used unheld entries beyond its size, and
 * every hierarchy it serves answers as one built for that graph. */
static void test_ch_cache_keys(void **state)
{
    (void)state;
    const uint32_t side = 12, n = side * side;
    uint32_t *es = malloc(n * 4 * 4), *ed = malloc(n * 4 * 4), *ec = malloc(n * 4 * 4);
    size_t m = 0;
    uint64_t rs = 99;
    for (uint32_t y = 0; y < side; y++)
        for (uint32_t x = 0; x < side; x++) {
            uint32_t v = y * side + x;
            if (x + 1 < side) es[m] = v, ed[m] = v + 1, ec[m++] = 1000 + (uint32_t)(tu_rand(&rs) % 9000);
            if (x + 1 < side) es[m] = v + 1, ed[m] = v, ec[m++] = 1000 + (uint32_t)(tu_rand(&rs) % 9000);
            if (y + 1 < side) es[m] = v, ed[m] = v + side, ec[m++] = 1000 + (uint32_t)(tu_rand(&rs) % 9000);
            if (y + 1 < side) es[m] = v + side, ed[m] = v, ec[m++] = 1000 + (uint32_t)(tu_rand(&rs) % 9000);
        }
    cc_graph *g[12];
    for (int k = 0; k < 12; k++) {
        if (k >= 2) ec[k] += 1; /* graphs 2..11: each other costs than all before */
        assert_int_equal(cc__graph_from_edges(ctx, n, m, es, ed, ec, NULL, NULL, &g[k]), CC_OK);
    }
    cc__ch_cache *c;
    assert_int_equal(cc__ch_cache_create(ctx, &c), CC_OK);
    const cc__ch *h0, *h1, *h2;
    assert_int_equal(cc__ch_cache_get(ctx, c, g[0], &h0), CC_OK);
    assert_int_equal(cc__ch_cache_get(ctx, c, g[1], &h1), CC_OK);
    assert_ptr_equal(h0, h1); /* same edges and costs, another graph object */
    assert_int_equal(cc__ch_cache_get(ctx, c, g[2], &h2), CC_OK);
    assert_ptr_not_equal(h0, h2); /* one cost differs */
    size_t builds, hits;
    cc__ch_cache_stats(c, &builds, &hits);
    assert_int_equal(builds, 2);
    assert_int_equal(hits, 1);
    /* each served hierarchy answers as its own graph's: point-to-point costs against cc_search */
    cc__ch_batch fw, bw;
    cc_search *s;
    for (int k = 0; k < 2; k++) {
        const cc__ch *h = k ? h2 : h0;
        cc_graph *gk = k ? g[2] : g[0];
        assert_int_equal(cc_search_create(ctx, gk, &s), CC_OK);
        assert_int_equal(cc__ch_batch_init(ctx, h, CC_FORWARD, NULL, &fw), CC_OK);
        assert_int_equal(cc__ch_batch_init(ctx, h, CC_REVERSE, NULL, &bw), CC_OK);
        cc_seed sd = {0, 0, 0};
        cc_search_run(s, CC_FORWARD, &sd, 1, CC_INF_COST - 1);
        for (uint32_t t = 0; t < n; t++) assert_int_equal(cc__ch_query(&fw, &bw, 0, t), cc_search_get_cost(s, t));
        cc__ch_batch_free(&fw);
        cc__ch_batch_free(&bw);
        cc_search_destroy(s);
    }
    /* held entries stay; beyond 8 entries the least recently used unheld ones go */
    cc__ch_cache_release(c, h1);
    cc__ch_cache_release(c, h2);
    for (int k = 3; k < 12; k++) {
        const cc__ch *h;
        assert_int_equal(cc__ch_cache_get(ctx, c, g[k], &h), CC_OK);
        cc__ch_cache_release(c, h);
    }
    const cc__ch *again;
    assert_int_equal(cc__ch_cache_get(ctx, c, g[0], &again), CC_OK);
    assert_ptr_equal(again, h0); /* held twice, released once: kept */
    cc__ch_cache_release(c, again);
    cc__ch_cache_release(c, h0);
    cc__ch_cache_stats(c, &builds, &hits);
    assert_int_equal(builds, 11);
    assert_int_equal(hits, 2);
    assert_int_equal(cc__ch_cache_get(ctx, c, g[2], &h2), CC_OK); /* dropped (least recently used): built again */
    cc__ch_cache_release(c, h2);
    cc__ch_cache_stats(c, &builds, &hits);
    assert_int_equal(builds, 12);
    cc__ch_cache_destroy(c);
    for (int k = 0; k < 12; k++) cc_graph_destroy(g[k]);
    free(es);
    free(ed);
    free(ec);
}

/* The hierarchy on disk (cc__ch_serialise / cc__ch_from_memory / cc__ch_obtain): what is read is
 * what was built, array for array; another graph's key, a damaged byte, a short file, another
 * version, positions that are not a permutation or an arc that goes down the ranks are refused
 * with a reason; cc__ch_obtain reads a kept file, and replaces a damaged one. */
static bool same_ch(const cc__ch *a, const cc__ch *b)
{
    if (a->n != b->n || a->n_arcs != b->n_arcs || a->n_shortcuts != b->n_shortcuts) return false;
    const size_t n = a->n, m = a->n_arcs;
    if (memcmp(a->pos, b->pos, n * 4) || memcmp(a->node, b->node, n * 4) || memcmp(a->arc_lo, b->arc_lo, m * 4) ||
        memcmp(a->arc_hi, b->arc_hi, m * 4) || memcmp(a->arc_w, b->arc_w, m * 4) || memcmp(a->arc_mid, b->arc_mid, m * 4) ||
        memcmp(a->arc_up, b->arc_up, m))
        return false;
    const uint32_t *fa[4] = {a->upout_first, a->downin_first, a->downout_first, a->upin_first},
                   *fb[4] = {b->upout_first, b->downin_first, b->downout_first, b->upin_first};
    const cc_edge *ea[4] = {a->upout, a->downin, a->downout, a->upin}, *eb[4] = {b->upout, b->downin, b->downout, b->upin};
    for (int k = 0; k < 4; k++)
        if (memcmp(fa[k], fb[k], (n + 1) * 4) || memcmp(ea[k], eb[k], fa[k][n] * sizeof(cc_edge))) return false;
    return true;
}

static void test_ch_file(void **state)
{
    (void)state;
    char why[200];
    for (uint64_t seed = 1; seed <= 40; seed++) {
        uint64_t rs = seed * 0x2545F4914F6CDD1DULL + 11;
        uint32_t n = 2 + (uint32_t)(tu_rand(&rs) % 60);
        size_t m = (size_t)n * (1 + tu_rand(&rs) % 3);
        uint32_t *es = malloc(m * 4), *ed = malloc(m * 4), *ec = malloc(m * 4);
        for (size_t e = 0; e < m; e++)
            es[e] = (uint32_t)(tu_rand(&rs) % n), ed[e] = (uint32_t)(tu_rand(&rs) % n), ec[e] = random_cost(&rs, (int)(seed % 3));
        uint32_t *first;
        cc_edge *edges;
        csr_of(n, m, es, ed, ec, &first, &edges);
        cc__ch ch, back;
        assert_int_equal(cc__ch_build_csr(ctx, n, first, edges, &ch), CC_OK);
        uint8_t key[32], other[32];
        cc__ch_key(n, first, edges, key);
        edges[0].cost_ms ^= 1; /* one cost: another graph */
        cc__ch_key(n, first, edges, other);
        edges[0].cost_ms ^= 1;
        assert_memory_not_equal(key, other, 32);
        size_t len;
        uint8_t *buf = cc__ch_serialise(&ch, key, &len);
        assert_non_null(buf);
        assert_true(cc__ch_from_memory(buf, len, key, true, &back, why, sizeof(why)));
        assert_true(same_ch(&ch, &back));
        cc__ch_free(&back);
        assert_false(cc__ch_from_memory(buf, len, other, true, &back, why, sizeof(why)));
        assert_non_null(strstr(why, "another graph"));
        assert_false(cc__ch_from_memory(buf, len - 1, key, true, &back, why, sizeof(why)));
        assert_false(cc__ch_from_memory(buf, 40, key, true, &back, why, sizeof(why)));
        /* any byte after the header changed: the checksum */
        const size_t hdr = len - (4 * (2 * (size_t)n + 4 * (size_t)ch.n_arcs) + ch.n_arcs);
        for (int k = 0; k < 8; k++) {
            size_t at = hdr + tu_rand(&rs) % (len - hdr);
            buf[at] ^= (uint8_t)(1 + tu_rand(&rs) % 255);
            assert_false(cc__ch_from_memory(buf, len, key, true, &back, why, sizeof(why)));
            assert_non_null(strstr(why, "checksum"));
            /* without the comparison: refused by the structure or accepted with every index in range */
            if (cc__ch_from_memory(buf, len, key, false, &back, why, sizeof(why))) {
                for (uint32_t v = 0; v < back.n; v++) assert_true(back.pos[v] < back.n && back.node[back.pos[v]] == v);
                for (uint32_t a = 0; a < back.n_arcs; a++) assert_true(back.arc_hi[a] < back.arc_lo[a] && back.arc_lo[a] < back.n);
                cc__ch_free(&back);
            }
            free(buf); /* a fresh copy for the next byte */
            buf = cc__ch_serialise(&ch, key, &len);
        }
        /* the structure, with the checksum left out of it */
        uint32_t *pos = (uint32_t *)(void *)(buf + hdr);
        uint32_t keep = pos[0];
        pos[0] = n; /* a position out of range */
        assert_false(cc__ch_from_memory(buf, len, key, false, &back, why, sizeof(why)));
        pos[0] = pos[n > 1 ? 1 : 0]; /* two nodes at one position (n = 1: itself, still a permutation) */
        if (n > 1) assert_false(cc__ch_from_memory(buf, len, key, false, &back, why, sizeof(why)));
        pos[0] = keep;
        if (ch.n_arcs) {
            uint32_t *lo = pos + 2 * n, *hi = lo + ch.n_arcs;
            uint32_t t = lo[0];
            lo[0] = hi[0], hi[0] = t; /* down the ranks */
            assert_false(cc__ch_from_memory(buf, len, key, false, &back, why, sizeof(why)));
            assert_non_null(strstr(why, "up the ranks"));
            hi[0] = lo[0], lo[0] = t;
        }
        buf[8] ^= 2; /* the version */
        assert_false(cc__ch_from_memory(buf, len, key, true, &back, why, sizeof(why)));
        assert_non_null(strstr(why, "version"));
        free(buf);
        cc__ch_free(&ch);
        free(first);
        free(edges);
        free(es);
        free(ed);
        free(ec);
    }
    /* kept in the cache folder, read back, a damaged file replaced */
    const uint32_t side = 9, n = side * side;
    uint32_t es[4 * 81], ed[4 * 81], ec[4 * 81];
    size_t m = 0;
    uint64_t rs = 5;
    for (uint32_t v = 0; v < n; v++) {
        if (v % side + 1 < side) es[m] = v, ed[m] = v + 1, ec[m++] = 500 + (uint32_t)(tu_rand(&rs) % 5000);
        if (v + side < n) es[m] = v + side, ed[m] = v, ec[m++] = 500 + (uint32_t)(tu_rand(&rs) % 5000);
    }
    cc_graph *g;
    assert_int_equal(cc__graph_from_edges(ctx, n, m, es, ed, ec, NULL, NULL, &g), CC_OK);
    char dir[] = "/tmp/cc-test-chfile-XXXXXX";
    assert_non_null(mkdtemp(dir));
    cc_ctx_set_cache_dir(ctx, dir);
    cc__ch built, read, again;
    assert_int_equal(cc__ch_obtain(ctx, g, &built), CC_OK);
    uint8_t key[32];
    cc__ch_key(g->n_nodes, g->fwd_first, g->fwd, key);
    char path[200];
    int o = snprintf(path, sizeof(path), "%s/", dir);
    for (int i = 0; i < 32; i++) o += snprintf(path + o, sizeof(path) - (size_t)o, "%02x", key[i]);
    snprintf(path + o, sizeof(path) - (size_t)o, ".ccch");
    struct stat sb;
    assert_int_equal(stat(path, &sb), 0);
    size_t warned = cc_ctx_get_warning_count(ctx);
    assert_int_equal(cc__ch_obtain(ctx, g, &read), CC_OK);
    assert_true(same_ch(&built, &read));
    assert_int_equal(cc_ctx_get_warning_count(ctx), warned); /* read, not rebuilt: nothing to say */
    FILE *f = fopen(path, "r+b");
    assert_non_null(f);
    fseek(f, (long)sb.st_size - 3, SEEK_SET);
    fputc(0x5a, f);
    fclose(f);
    assert_int_equal(cc__ch_obtain(ctx, g, &again), CC_OK); /* damaged: said, built again, replaced */
    assert_true(same_ch(&built, &again));
    assert_int_equal(cc_ctx_get_warning_count(ctx), warned + 1);
    cc__ch_free(&again);
    assert_int_equal(cc__ch_obtain(ctx, g, &again), CC_OK);
    assert_int_equal(cc_ctx_get_warning_count(ctx), warned + 1); /* the replacement reads */
    cc_ctx_set_cache_dir(ctx, NULL);
    unlink(path);
    rmdir(dir);
    cc__ch_free(&built);
    cc__ch_free(&read);
    cc__ch_free(&again);
    cc_graph_destroy(g);
}

/* The first priorities are computed on several threads from 4,096 nodes: the hierarchy is the same,
 * byte for byte, as on one thread (and so as exact as the one the tests above check). */
static void test_ch_threads_same(void **state)
{
    (void)state;
    for (uint64_t seed = 1; seed <= 3; seed++) {
        uint64_t rs = seed * 104729 + 3;
        cc_graph *g = grid_roads(&rs, 70 + (uint32_t)seed * 5);
        assert_true(g->n_nodes >= 4096);
        cc__ch one, two;
        cc_ctx_set_threads(ctx, 1);
        assert_int_equal(cc__ch_build(ctx, g, &one), CC_OK);
        cc_ctx_set_threads(ctx, 2);
        assert_int_equal(cc__ch_build(ctx, g, &two), CC_OK);
        cc_ctx_set_threads(ctx, 1);
        assert_true(same_ch(&one, &two));
        cc__ch_free(&one);
        cc__ch_free(&two);
        cc_graph_destroy(g);
    }
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_ch_vs_reference),
        cmocka_unit_test(test_ch_vs_cc_search),
        cmocka_unit_test(test_ch_threads_same),
        cmocka_unit_test(test_sets_ch_equal),
        cmocka_unit_test(test_ch_cache_keys),
        cmocka_unit_test(test_ch_file),
    };
    return cmocka_run_group_tests(tests, tu_ctx_setup, tu_ctx_teardown);
}
