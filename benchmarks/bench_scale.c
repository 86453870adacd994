/*
 * bench_scale.c - scaling and the hardware limit: a province-sized road graph made by tiling
 * real OSM extracts side by side, carecircle's bounded searches on it, and a textbook binary-heap
 * Dijkstra on the same graph as the yardstick.
 *
 * Usage: bench_scale --roads A [--roads B ...] --tiles N [--seed S] [--sources K] [--limit-ms L]
 *                    [--threads 1,2] [--runs R] [--layouts]
 *
 * 1. Reads the road files (each in its own UTM zone) and lays N tiles out on a square grid; each
 *    tile is a copy of one extract, chosen with a seeded generator, shifted so that tiles do not
 *    overlap. Neighbouring tiles are joined at their borders by 3 connector roads (class
 *    secondary, both ways) per side, between the way ends nearest to that side.
 * 2. Builds the graph with cc_graph_build (Hilbert order), timed; reports bytes per node/edge.
 * 3. K sources (random nodes, fixed seed): bounded forward searches with cc_search, OpenMP over
 *    sources, at each thread count, RUNS times: settled nodes per second per thread.
 * 4. The same searches with a plain binary-heap Dijkstra (lazy deletion, as with
 *    std::priority_queue; labels reset through a touched list so that it is not penalised by an
 *    O(n) clear), one thread. Both must give the same reached count and cost sum per source.
 * 5. A what-if: cc_search's algorithm with its four per-node label arrays interleaved into one
 *    16-byte record (pk_search below), one thread, same answers required.
 * 5b. cc_search's two queues (radix heap, the default, and binary heap) at one thread in the same
 *    process, runs alternating: CPU ns per settled node of each and the ratio.
 * 6. --layouts: the same graph built in input order (CC_ORDER_INPUT) and in a random order;
 *    cc_search at one thread on each.
 * Prints one JSON object on stdout. Run one size per process so that peak memory is per size.
 */
#include <math.h>
#include <stdbool.h>
#include <string.h>

#include "bench.h"
#include "bench_graph.h"
#include "carecircle/carecircle.h"
#include "core/omp_internal.h"
#include "graph/graph_internal.h"
#include "io/io_internal.h"
#include "route/route_internal.h"

#define MAX_FILES 8
#define MAX_THREADS 16
#define MAX_RUNS 32
#define CONNECT 3

typedef struct base {
    cc_roads *r;
    double minx, miny, maxx, maxy;
    size_t side[4][CONNECT]; /* vertex index of the way ends nearest to west, east, south, north */
} base;

static void die(cc_ctx *ctx, const char *what) { bench_die("bench_scale", ctx, what); }

/* The CONNECT way ends (of main roads) nearest to each side of the extract's vertex box. */
static void find_sides(base *b)
{
    const cc_roads *r = b->r;
    const char *mains[] = {"primary", "secondary", "tertiary", "unclassified", "residential", "trunk"};
    b->minx = b->miny = INFINITY;
    b->maxx = b->maxy = -INFINITY;
    for (size_t i = 0; i < r->n_vertices; i++) {
        if (r->x[i] < b->minx) b->minx = r->x[i];
        if (r->x[i] > b->maxx) b->maxx = r->x[i];
        if (r->y[i] < b->miny) b->miny = r->y[i];
        if (r->y[i] > b->maxy) b->maxy = r->y[i];
    }
    double best[4][CONNECT];
    for (int s = 0; s < 4; s++)
        for (int k = 0; k < CONNECT; k++) best[s][k] = INFINITY, b->side[s][k] = 0;
    for (size_t w = 0; w < r->n_ways; w++) {
        const char *cls = cc__strtab_get(&r->strings, r->cls[w]);
        bool main_road = false;
        for (size_t k = 0; k < sizeof(mains) / sizeof(mains[0]); k++)
            if (cls && !strcmp(cls, mains[k])) main_road = true;
        if (!main_road) continue;
        size_t ends[2] = {r->way_first[w], r->way_first[w + 1] - 1};
        for (int e = 0; e < 2; e++) {
            size_t i = ends[e];
            double d[4] = {r->x[i] - b->minx, b->maxx - r->x[i], r->y[i] - b->miny, b->maxy - r->y[i]};
            for (int s = 0; s < 4; s++) {
                bool dup = false;
                for (int k = 0; k < CONNECT; k++) dup |= best[s][k] < INFINITY && r->x[b->side[s][k]] == r->x[i] && r->y[b->side[s][k]] == r->y[i];
                if (dup) continue;
                for (int k = 0; k < CONNECT; k++) {
                    if (d[s] < best[s][k]) {
                        for (int j = CONNECT - 1; j > k; j--) best[s][j] = best[s][j - 1], b->side[s][j] = b->side[s][j - 1];
                        best[s][k] = d[s];
                        b->side[s][k] = i;
                        break;
                    }
                }
            }
        }
    }
}

static void *xmalloc(size_t n)
{
    void *p = malloc(n ? n : 1);
    if (!p) die(NULL, "out of memory");
    return p;
}

/* Tiled roads: ntiles copies of the bases on a grid, plus connector ways. */
static cc_roads *tile_roads(base *bases, int nb, int ntiles, uint64_t seed, double *tile_w, double *tile_h)
{
    int cols = (int)ceil(sqrt((double)ntiles));
    double W = 0, H = 0;
    for (int k = 0; k < nb; k++) {
        if (bases[k].maxx - bases[k].minx > W) W = bases[k].maxx - bases[k].minx;
        if (bases[k].maxy - bases[k].miny > H) H = bases[k].maxy - bases[k].miny;
    }
    W += 2000, H += 2000; /* 2 km between tiles, bridged by the connectors */
    *tile_w = W, *tile_h = H;
    int *which = xmalloc((size_t)ntiles * sizeof(int));
    uint64_t st = seed * 0x9E3779B97F4A7C15ULL + 7;
    size_t nw = 0, nv = 0;
    for (int t = 0; t < ntiles; t++) {
        which[t] = (int)(bench_rand(&st) % (uint64_t)nb);
        nw += bases[which[t]].r->n_ways;
        nv += bases[which[t]].r->n_vertices;
    }
    nw += (size_t)ntiles * 2 * CONNECT, nv += (size_t)ntiles * 4 * CONNECT;
    cc_roads *R = calloc(1, sizeof(*R));
    if (!R) die(NULL, "out of memory");
    cc__strtab_init(&R->strings);
    R->way_first = xmalloc((nw + 1) * sizeof(size_t));
    R->x = xmalloc(nv * sizeof(double));
    R->y = xmalloc(nv * sizeof(double));
    R->cls = xmalloc(nw * sizeof(uint32_t));
    R->surface = xmalloc(nw * sizeof(uint32_t));
    R->maxspeed_kmh = xmalloc(nw * sizeof(float));
    R->speed_kmh = xmalloc(nw * sizeof(float));
    R->oneway = xmalloc(nw * sizeof(uint8_t));
    R->roundabout = xmalloc(nw * sizeof(uint8_t));
    R->way_id = xmalloc(nw * sizeof(int64_t));
    R->crs_wkt = cc__strdup(bases[0].r->crs_wkt);
    snprintf(R->crs_name, sizeof(R->crs_name), "tiled");
    /* map each base's string ids into R's table once */
    uint32_t *smap[MAX_FILES];
    for (int k = 0; k < nb; k++) {
        const cc__strtab *s = &bases[k].r->strings;
        smap[k] = xmalloc((s->n + 1) * sizeof(uint32_t));
        for (uint32_t i = 0; i < s->n; i++) smap[k][i] = cc__strtab_intern(&R->strings, s->str[i]);
    }
    uint32_t secondary = cc__strtab_intern(&R->strings, "secondary");
    size_t w = 0, v = 0;
    R->way_first[0] = 0;
    for (int t = 0; t < ntiles; t++) {
        const base *b = &bases[which[t]];
        const cc_roads *r = b->r;
        double ox = (t % cols) * W - b->minx, oy = (t / cols) * H - b->miny;
        for (size_t i = 0; i < r->n_vertices; i++) {
            R->x[v + i] = r->x[i] + ox;
            R->y[v + i] = r->y[i] + oy;
        }
        for (size_t k = 0; k < r->n_ways; k++, w++) {
            R->way_first[w + 1] = v + r->way_first[k + 1];
            R->cls[w] = r->cls[k] == CC__NO_STRING ? CC__NO_STRING : smap[which[t]][r->cls[k]];
            R->surface[w] = r->surface[k] == CC__NO_STRING ? CC__NO_STRING : smap[which[t]][r->surface[k]];
            R->maxspeed_kmh[w] = r->maxspeed_kmh[k];
            R->speed_kmh[w] = r->speed_kmh[k];
            R->oneway[w] = r->oneway[k];
            R->roundabout[w] = r->roundabout[k];
            R->way_id[w] = (int64_t)t * 100000000 + r->way_id[k];
        }
        v += r->n_vertices;
    }
    /* connectors: east side of tile t to the west side of its right neighbour, north side to
     * the south side of the tile above */
    for (int t = 0; t < ntiles; t++) {
        int nbr[2] = {(t % cols) + 1 < cols && t + 1 < ntiles ? t + 1 : -1, t + cols < ntiles ? t + cols : -1};
        int from_side[2] = {1, 3}, to_side[2] = {0, 2};
        for (int d = 0; d < 2; d++) {
            if (nbr[d] < 0) continue;
            const base *a = &bases[which[t]], *c = &bases[which[nbr[d]]];
            double ax = (t % cols) * W - a->minx, ay = (t / cols) * H - a->miny;
            double cx = (nbr[d] % cols) * W - c->minx, cy = (nbr[d] / cols) * H - c->miny;
            for (int k = 0; k < CONNECT; k++) {
                size_t i = a->side[from_side[d]][k], j = c->side[to_side[d]][k];
                R->x[v] = a->r->x[i] + ax, R->y[v] = a->r->y[i] + ay;
                R->x[v + 1] = c->r->x[j] + cx, R->y[v + 1] = c->r->y[j] + cy;
                v += 2;
                R->way_first[w + 1] = v;
                R->cls[w] = secondary;
                R->surface[w] = CC__NO_STRING;
                R->maxspeed_kmh[w] = 0;
                R->speed_kmh[w] = -1;
                R->oneway[w] = CC__ONEWAY_NO;
                R->roundabout[w] = 0;
                R->way_id[w] = -(int64_t)w;
                w++;
            }
        }
    }
    R->n_ways = w, R->n_vertices = v;
    R->cap_ways = nw, R->cap_vertices = nv;
    for (int k = 0; k < nb; k++) free(smap[k]);
    free(which);
    return R;
}

/* ---- textbook Dijkstra: binary heap of (cost, node) with lazy deletion ----------------------- */
typedef struct pq_item {
    uint32_t key, node;
} pq_item;

typedef struct plain_ws {
    uint32_t *dist;
    uint8_t *done;
    uint32_t *touched;
    size_t n_touched;
    pq_item *heap;
    size_t heap_n, heap_cap;
} plain_ws;

static void pq_push(plain_ws *w, pq_item it)
{
    if (w->heap_n == w->heap_cap) {
        w->heap_cap *= 2;
        w->heap = realloc(w->heap, w->heap_cap * sizeof(pq_item));
        if (!w->heap) die(NULL, "out of memory");
    }
    size_t i = w->heap_n++;
    while (i > 0) {
        size_t p = (i - 1) / 2;
        if (w->heap[p].key <= it.key) break;
        w->heap[i] = w->heap[p];
        i = p;
    }
    w->heap[i] = it;
}

static pq_item pq_pop(plain_ws *w)
{
    pq_item top = w->heap[0], last = w->heap[--w->heap_n];
    size_t i = 0, n = w->heap_n;
    for (;;) {
        size_t c = 2 * i + 1;
        if (c >= n) break;
        if (c + 1 < n && w->heap[c + 1].key < w->heap[c].key) c++;
        if (last.key <= w->heap[c].key) break;
        w->heap[i] = w->heap[c];
        i = c;
    }
    if (n) w->heap[i] = last;
    return top;
}

/* Reached count and cost sum within limit from src. */
static void plain_dijkstra(const cc_graph *g, plain_ws *w, uint32_t src, uint32_t limit, uint64_t *reached, uint64_t *sum)
{
    for (size_t k = 0; k < w->n_touched; k++) w->dist[w->touched[k]] = UINT32_MAX, w->done[w->touched[k]] = 0;
    w->n_touched = 0;
    w->heap_n = 0;
    w->dist[src] = 0;
    w->touched[w->n_touched++] = src;
    pq_push(w, (pq_item){0, src});
    uint64_t cnt = 0, s = 0;
    while (w->heap_n) {
        pq_item it = pq_pop(w);
        uint32_t u = it.node;
        if (w->done[u]) continue;
        w->done[u] = 1;
        cnt++;
        s += it.key;
        for (uint32_t e = g->fwd_first[u]; e < g->fwd_first[u + 1]; e++) {
            uint32_t v = g->fwd[e].head, c = it.key + g->fwd[e].cost_ms;
            if (c <= limit && c < w->dist[v]) {
                if (w->dist[v] == UINT32_MAX) w->touched[w->n_touched++] = v;
                w->dist[v] = c;
                pq_push(w, (pq_item){c, v});
            }
        }
    }
    *reached = cnt;
    *sum = s;
}


/* ---- what-if: cc_search's algorithm with its per-node labels interleaved -------------------------
 * The same 4-ary indexed heap, generation stamps and (cost, origin) tie-break as
 * planner/route/dijkstra.c, but stamp, cost, origin and heap position of a node sit in one
 * 16-byte record instead of four arrays: a node touched for the first time costs one cache line
 * instead of four. Not the engine's code: a probe of what that layout would buy. */
typedef struct pk_label {
    uint32_t stamp, cost, origin, pos;
} pk_label;

typedef struct pk_item {
    uint32_t key, node;
} pk_item;

typedef struct pk_ws {
    pk_label *lab;
    pk_item *heap;
    uint32_t heap_n, gen;
    uint32_t *settled;
    uint32_t n_settled;
} pk_ws;

static inline int pk_less(const pk_ws *w, pk_item a, pk_item b)
{
    return a.key < b.key || (a.key == b.key && w->lab[a.node].origin < w->lab[b.node].origin);
}

static inline void pk_up(pk_ws *w, uint32_t i)
{
    pk_item it = w->heap[i];
    while (i > 0) {
        uint32_t p = (i - 1) >> 2;
        if (!pk_less(w, it, w->heap[p])) break;
        w->heap[i] = w->heap[p];
        w->lab[w->heap[i].node].pos = i + 1;
        i = p;
    }
    w->heap[i] = it;
    w->lab[it.node].pos = i + 1;
}

static inline void pk_down(pk_ws *w, uint32_t i)
{
    pk_item it = w->heap[i];
    const uint32_t n = w->heap_n;
    for (;;) {
        uint32_t c = 4 * i + 1;
        if (c >= n) break;
        uint32_t best = c, end = c + 4 < n ? c + 4 : n;
        for (uint32_t k = c + 1; k < end; k++)
            if (pk_less(w, w->heap[k], w->heap[best])) best = k;
        if (!pk_less(w, w->heap[best], it)) break;
        w->heap[i] = w->heap[best];
        w->lab[w->heap[i].node].pos = i + 1;
        i = best;
    }
    w->heap[i] = it;
    w->lab[it.node].pos = i + 1;
}

static inline void pk_relax(pk_ws *w, uint32_t v, uint32_t c, uint32_t o)
{
    pk_label *l = &w->lab[v];
    if (l->stamp != w->gen) {
        l->stamp = w->gen;
        l->cost = c;
        l->origin = o;
        w->heap[w->heap_n] = (pk_item){c, v};
        w->heap_n++;
        pk_up(w, w->heap_n - 1);
        return;
    }
    if (l->pos == 0) return;
    if (c < l->cost || (c == l->cost && o < l->origin)) {
        l->cost = c;
        l->origin = o;
        w->heap[l->pos - 1].key = c;
        pk_up(w, l->pos - 1);
    }
}

static void pk_search(const cc_graph *g, pk_ws *w, uint32_t src, uint32_t limit, uint64_t *reached, uint64_t *sum)
{
    w->gen++;
    w->heap_n = 0;
    w->n_settled = 0;
    pk_relax(w, src, 0, 0);
    uint64_t s = 0;
    while (w->heap_n) {
        pk_item top = w->heap[0];
        if (top.key > limit) break;
        uint32_t u = top.node;
        w->heap_n--;
        if (w->heap_n) {
            w->heap[0] = w->heap[w->heap_n];
            pk_down(w, 0);
        }
        w->lab[u].pos = 0;
        w->settled[w->n_settled++] = u;
        s += top.key;
        const uint32_t ou = w->lab[u].origin;
        for (uint32_t e = g->fwd_first[u], end = g->fwd_first[u + 1]; e < end; e++) {
            uint32_t c = top.key + g->fwd[e].cost_ms;
            if (c <= limit) pk_relax(w, g->fwd[e].head, c, ou);
        }
    }
    for (uint32_t i = 0; i < w->heap_n; i++) w->lab[w->heap[i].node].pos = CC_INVALID_ID;
    *reached = w->n_settled;
    *sum = s;
}

/* cc_search (with queue q) from every source at nt threads; returns seconds, fills per-source answers. */
static double run_cc_queue(cc_ctx *ctx, const cc_graph *g, const uint32_t *src, int ns, uint32_t limit, int nt, uint64_t *reached,
                           uint64_t *sum, double *cpu_s, cc__queue_kind q)
{
    cc_search *ws[MAX_THREADS];
    for (int k = 0; k < nt; k++) {
        if (cc_search_create(ctx, g, &ws[k])) die(ctx, "search workspace");
        cc__search_set_queue(ws[k], q);
    }
    double t0 = bench_now(), c0 = bench_cpu_now();
#ifdef _OPENMP
#pragma omp parallel for num_threads(nt) schedule(dynamic, 1)
#endif
    for (int i = 0; i < ns; i++) {
        bench_search_one(ws[cc__omp_thread_num()], src[i], limit, &reached[i], &sum[i]);
    }
    double dt = bench_now() - t0;
    if (cpu_s) *cpu_s = bench_cpu_now() - c0;
    for (int k = 0; k < nt; k++) cc_search_destroy(ws[k]);
    return dt;
}

/* cc_search with its default queue */
static double run_cc(cc_ctx *ctx, const cc_graph *g, const uint32_t *src, int ns, uint32_t limit, int nt, uint64_t *reached, uint64_t *sum,
                     double *cpu_s)
{
    return run_cc_queue(ctx, g, src, ns, limit, nt, reached, sum, cpu_s, CC__QUEUE_DEFAULT);
}

static int cmp_xy(const void *a, const void *b, void *arg)
{
    const cc_graph *g = arg;
    uint32_t i = *(const uint32_t *)a, j = *(const uint32_t *)b;
    if (g->node_x[i] != g->node_x[j]) return g->node_x[i] < g->node_x[j] ? -1 : 1;
    if (g->node_y[i] != g->node_y[j]) return g->node_y[i] < g->node_y[j] ? -1 : 1;
    return 0;
}

/* map[node of a] = node of b with the same coordinates (node coordinates are unique). */
static uint32_t *match_nodes(const cc_graph *a, const cc_graph *b)
{
    uint32_t n = a->n_nodes, *ia = xmalloc(n * sizeof(uint32_t)), *ib = xmalloc(n * sizeof(uint32_t)), *map = xmalloc(n * sizeof(uint32_t));
    for (uint32_t i = 0; i < n; i++) ia[i] = ib[i] = i;
    qsort_r(ia, n, sizeof(uint32_t), cmp_xy, (void *)a);
    qsort_r(ib, n, sizeof(uint32_t), cmp_xy, (void *)b);
    for (uint32_t i = 0; i < n; i++) map[ia[i]] = ib[i];
    free(ia);
    free(ib);
    return map;
}

static double median_of(double *v, int n)
{
    double tmp[MAX_RUNS];
    memcpy(tmp, v, (size_t)n * sizeof(double));
    return bench_median(tmp, n);
}

int main(int argc, char **argv)
{
    const char *files[MAX_FILES];
    int nf = 0, ntiles = 1, ns = 200, runs = 3, layouts = 0;
    long limit = 1800000;
    uint64_t seed = 42;
    int thread_list[MAX_THREADS], n_threads = 0;
    const char *threads_arg = "1,2";
    for (int i = 1; i < argc; i++) {
        const char *a = argv[i], *v = i + 1 < argc ? argv[i + 1] : NULL;
        if (!strcmp(a, "--layouts")) {
            layouts = 1;
            continue;
        }
        if (!v) goto usage;
        if (!strcmp(a, "--roads") && nf < MAX_FILES) files[nf++] = v;
        else if (!strcmp(a, "--tiles")) ntiles = atoi(v);
        else if (!strcmp(a, "--seed")) seed = strtoull(v, NULL, 10);
        else if (!strcmp(a, "--sources")) ns = atoi(v);
        else if (!strcmp(a, "--limit-ms")) limit = atol(v);
        else if (!strcmp(a, "--threads")) threads_arg = v;
        else if (!strcmp(a, "--runs")) runs = atoi(v);
        else goto usage;
        i++;
    }
    for (const char *p = threads_arg; *p && n_threads < MAX_THREADS;) {
        char *end;
        long t = strtol(p, &end, 10);
        if (end == p || t < 1 || t > MAX_THREADS) goto usage;
        thread_list[n_threads++] = (int)t;
        p = *end == ',' ? end + 1 : end;
    }
    if (!nf || ntiles < 1 || ns < 1 || runs < 1 || runs > MAX_RUNS || limit < 0 || limit >= (long)CC_INF_COST) goto usage;

    cc_ctx *ctx;
    cc_profile *prof;
    if (cc_ctx_create(&ctx) || cc_profile_load(ctx, "ambulance", &prof)) die(NULL, "context");
    base bases[MAX_FILES];
    double t0 = bench_now();
    for (int k = 0; k < nf; k++) {
        if (cc_roads_read(ctx, files[k], NULL, &bases[k].r)) die(ctx, files[k]);
        find_sides(&bases[k]);
    }
    double read_s = bench_now() - t0, tw, th;
    t0 = bench_now();
    cc_roads *R = tile_roads(bases, nf, ntiles, seed, &tw, &th);
    double tile_s = bench_now() - t0;
    for (int k = 0; k < nf; k++) cc_roads_destroy(bases[k].r);
    size_t roads_bytes = R->n_vertices * 2 * sizeof(double) + R->n_ways * (sizeof(size_t) + 4 + 4 + 4 + 4 + 1 + 1 + 8);
    long rss_before = bench_rss_kb();
    cc_graph *g;
    cc_graph_opts go = {.order = CC_ORDER_HILBERT};
    t0 = bench_now();
    if (cc_graph_build(ctx, R, prof, &go, &g)) die(ctx, "graph build");
    double build_s = bench_now() - t0;
    long rss_graph = bench_rss_kb();
    long peak_build = bench_peak_rss_kb();
    uint32_t n = g->n_nodes;

    uint32_t *src = xmalloc((size_t)ns * sizeof(uint32_t));
    uint64_t st = seed + 1000003;
    for (int i = 0; i < ns; i++) src[i] = (uint32_t)(bench_rand(&st) % n);
    uint64_t *reached = xmalloc((size_t)ns * 8), *sum = xmalloc((size_t)ns * 8), *reached2 = xmalloc((size_t)ns * 8),
             *sum2 = xmalloc((size_t)ns * 8);
    double times[MAX_THREADS][MAX_RUNS], cpu[MAX_THREADS][MAX_RUNS];
    uint64_t settled = 0;
    bool agree_threads = true;
    for (int r = 0; r < runs; r++) /* runs alternate between thread counts: a drift hits both alike */
        for (int ti = 0; ti < n_threads; ti++) {
            times[ti][r] = run_cc(ctx, g, src, ns, (uint32_t)limit, thread_list[ti], reached2, sum2, &cpu[ti][r]);
            if (ti == 0 && r == 0) {
                memcpy(reached, reached2, (size_t)ns * 8);
                memcpy(sum, sum2, (size_t)ns * 8);
                for (int i = 0; i < ns; i++) settled += reached[i];
            } else if (memcmp(reached, reached2, (size_t)ns * 8) || memcmp(sum, sum2, (size_t)ns * 8)) {
                agree_threads = false;
            }
        }
    /* the textbook yardstick */
    plain_ws pw = {.dist = xmalloc(n * sizeof(uint32_t)), .done = calloc(n, 1), .touched = xmalloc(n * sizeof(uint32_t)), .heap_cap = 1024};
    pw.heap = xmalloc(pw.heap_cap * sizeof(pq_item));
    for (uint32_t i = 0; i < n; i++) pw.dist[i] = UINT32_MAX;
    double plain_t[MAX_RUNS], plain_c[MAX_RUNS], c0;
    bool agree_plain = true;
    for (int r = 0; r < runs; r++) {
        t0 = bench_now(), c0 = bench_cpu_now();
        for (int i = 0; i < ns; i++) plain_dijkstra(g, &pw, src[i], (uint32_t)limit, &reached2[i], &sum2[i]);
        plain_t[r] = bench_now() - t0, plain_c[r] = bench_cpu_now() - c0;
        if (memcmp(reached, reached2, (size_t)ns * 8) || memcmp(sum, sum2, (size_t)ns * 8)) agree_plain = false;
    }
    /* cc_search's two queues, one thread, runs alternating (radix heap first, then binary heap) */
    double q_t[2][MAX_RUNS], q_c[2][MAX_RUNS];
    bool agree_queues = true;
    for (int r = 0; r < runs; r++)
        for (int q = 0; q < 2; q++) {
            q_t[q][r] = run_cc_queue(ctx, g, src, ns, (uint32_t)limit, 1, reached2, sum2, &q_c[q][r], q ? CC__QUEUE_HEAP : CC__QUEUE_RADIX);
            if (memcmp(reached, reached2, (size_t)ns * 8) || memcmp(sum, sum2, (size_t)ns * 8)) agree_queues = false;
        }
    /* the interleaved-label what-if on the same graph and sources */
    pk_ws pk = {.lab = calloc(n, sizeof(pk_label)), .heap = xmalloc(n * sizeof(pk_item)), .settled = xmalloc(n * sizeof(uint32_t))};
    if (!pk.lab) die(NULL, "out of memory");
    double packed_t[MAX_RUNS], packed_c[MAX_RUNS];
    bool agree_packed = true;
    for (int r = 0; r < runs; r++) {
        t0 = bench_now(), c0 = bench_cpu_now();
        for (int i = 0; i < ns; i++) pk_search(g, &pk, src[i], (uint32_t)limit, &reached2[i], &sum2[i]);
        packed_t[r] = bench_now() - t0, packed_c[r] = bench_cpu_now() - c0;
        if (memcmp(reached, reached2, (size_t)ns * 8) || memcmp(sum, sum2, (size_t)ns * 8)) agree_packed = false;
    }
    free(pk.lab);
    free(pk.heap);
    free(pk.settled);
    /* plain Dijkstra on the random layout too (below), so both kernels are compared on both */
    double plain_random_t = -1;
    free(pw.dist);
    free(pw.done);
    free(pw.touched);
    free(pw.heap);

    printf("{\"tool\": \"carecircle\", \"tiles\": %d, \"tile_w_m\": %.0f, \"tile_h_m\": %.0f, \"seed\": %llu, \"ways\": %zu, "
           "\"way_vertices\": %zu, \"nodes\": %u, \"edges\": %u, \"arcs\": %u, \"largest_scc\": %u, \"read_s\": %.4f, \"tile_s\": %.4f, "
           "\"build_s\": %.4f, \"roads_bytes\": %zu, \"routing_bytes\": %zu, \"geometry_bytes\": %zu, \"workspace_bytes_per_node\": %zu, "
           "\"rss_before_build_kb\": %ld, \"rss_after_build_kb\": %ld, \"peak_rss_build_kb\": %ld, \"sources\": %d, \"limit_ms\": %ld, "
           "\"settled_per_run\": %llu, \"agree_threads\": %s, \"agree_plain\": %s, \"solve_s\": {",
           ntiles, tw, th, (unsigned long long)seed, R->n_ways, R->n_vertices, n, g->n_edges, g->n_arcs, g->scc_largest, read_s, tile_s,
           build_s, roads_bytes, cc_graph_get_routing_bytes(g), cc_graph_get_geometry_bytes(g),
           cc__search_bytes(g) / (n ? n : 1), rss_before, rss_graph, peak_build, ns, limit,
           (unsigned long long)settled, agree_threads ? "true" : "false", agree_plain ? "true" : "false");
    bench_print_per_thread(thread_list, n_threads, &times[0][0], MAX_RUNS, runs);
    printf("}, \"cpu_s\": {");
    bench_print_per_thread(thread_list, n_threads, &cpu[0][0], MAX_RUNS, runs);
    printf("}, \"plain_heap_s\": [");
    for (int r = 0; r < runs; r++) printf("%s%.6f", r ? ", " : "", plain_t[r]);
    printf("], \"plain_heap_cpu_s\": [");
    for (int r = 0; r < runs; r++) printf("%s%.6f", r ? ", " : "", plain_c[r]);
    printf("], \"packed_labels_s\": [");
    for (int r = 0; r < runs; r++) printf("%s%.6f", r ? ", " : "", packed_t[r]);
    printf("], \"packed_labels_cpu_s\": [");
    for (int r = 0; r < runs; r++) printf("%s%.6f", r ? ", " : "", packed_c[r]);
    printf("], \"agree_packed\": %s", agree_packed ? "true" : "false");
    const char *qname[2] = {"radix", "heap"};
    for (int q = 0; q < 2; q++) {
        printf(", \"queue_%s_cpu_s\": [", qname[q]);
        for (int r = 0; r < runs; r++) printf("%s%.6f", r ? ", " : "", q_c[q][r]);
        printf("], \"queue_%s_s\": [", qname[q]);
        for (int r = 0; r < runs; r++) printf("%s%.6f", r ? ", " : "", q_t[q][r]);
        printf("]");
    }
    double qr = median_of(q_c[0], runs), qh = median_of(q_c[1], runs);
    printf(", \"queue_ns_per_settled_cpu\": {\"radix\": %.1f, \"heap\": %.1f}, \"queue_heap_over_radix_cpu\": %.3f, \"agree_queues\": %s",
           settled ? qr * 1e9 / (double)settled : 0.0, settled ? qh * 1e9 / (double)settled : 0.0, qr > 0 ? qh / qr : 0.0,
           agree_queues ? "true" : "false");
    fflush(stdout);

    if (layouts) {
        /* input order: rebuild from the same roads */
        cc_graph *gi;
        go.order = CC_ORDER_INPUT;
        if (cc_graph_build(ctx, R, prof, &go, &gi)) die(ctx, "graph build (input order)");
        uint32_t *map = match_nodes(g, gi), *src_i = xmalloc((size_t)ns * sizeof(uint32_t));
        for (int i = 0; i < ns; i++) src_i[i] = map[src[i]];
        double ti_t[MAX_RUNS], ti_c[MAX_RUNS];
        bool agree_layout = true;
        for (int r = 0; r < runs; r++) {
            ti_t[r] = run_cc(ctx, gi, src_i, ns, (uint32_t)limit, 1, reached2, sum2, &ti_c[r]);
            if (memcmp(reached, reached2, (size_t)ns * 8) || memcmp(sum, sum2, (size_t)ns * 8)) agree_layout = false;
        }
        free(map);
        cc_graph_destroy(gi);
        /* random order: relabel the Hilbert graph with a seeded shuffle */
        uint32_t *perm = xmalloc(n * sizeof(uint32_t)), *ord = xmalloc(n * sizeof(uint32_t));
        for (uint32_t i = 0; i < n; i++) ord[i] = i;
        uint64_t s2 = seed * 31 + 17;
        for (uint32_t i = n - 1; i > 0; i--) {
            uint32_t j = (uint32_t)(bench_rand(&s2) % (i + 1)), t = ord[i];
            ord[i] = ord[j];
            ord[j] = t;
        }
        for (uint32_t i = 0; i < n; i++) perm[ord[i]] = i;
        uint32_t *es = xmalloc(g->n_edges * sizeof(uint32_t)), *ed = xmalloc(g->n_edges * sizeof(uint32_t)),
                 *ec = xmalloc(g->n_edges * sizeof(uint32_t));
        size_t m = 0;
        for (uint32_t u = 0; u < n; u++)
            for (uint32_t e = g->fwd_first[u]; e < g->fwd_first[u + 1]; e++) es[m] = perm[u], ed[m] = perm[g->fwd[e].head], ec[m++] = g->fwd[e].cost_ms;
        cc_graph *gr;
        if (cc__graph_from_edges(ctx, n, m, es, ed, ec, NULL, NULL, &gr)) die(ctx, "random relabel");
        free(es);
        free(ed);
        free(ec);
        for (int i = 0; i < ns; i++) src_i[i] = perm[src[i]];
        double tr_t[MAX_RUNS], tr_c[MAX_RUNS];
        for (int r = 0; r < runs; r++) {
            tr_t[r] = run_cc(ctx, gr, src_i, ns, (uint32_t)limit, 1, reached2, sum2, &tr_c[r]);
            if (memcmp(reached, reached2, (size_t)ns * 8) || memcmp(sum, sum2, (size_t)ns * 8)) agree_layout = false;
        }
        /* the textbook Dijkstra on the random layout */
        plain_ws pr = {.dist = xmalloc(n * sizeof(uint32_t)), .done = calloc(n, 1), .touched = xmalloc(n * sizeof(uint32_t)), .heap_cap = 1024};
        pr.heap = xmalloc(pr.heap_cap * sizeof(pq_item));
        for (uint32_t i = 0; i < n; i++) pr.dist[i] = UINT32_MAX;
        double pr_t[MAX_RUNS], pr_c[MAX_RUNS];
        for (int r = 0; r < runs; r++) {
            t0 = bench_now(), c0 = bench_cpu_now();
            for (int i = 0; i < ns; i++) plain_dijkstra(gr, &pr, src_i[i], (uint32_t)limit, &reached2[i], &sum2[i]);
            pr_t[r] = bench_now() - t0, pr_c[r] = bench_cpu_now() - c0;
        }
        plain_random_t = median_of(pr_t, runs);
        free(pr.dist);
        free(pr.done);
        free(pr.touched);
        free(pr.heap);
        cc_graph_destroy(gr);
        free(perm);
        free(ord);
        free(src_i);
        printf(", \"layout_s\": {\"hilbert\": %.6f, \"input\": %.6f, \"random\": %.6f}, \"plain_heap_random_s\": %.6f, "
               "\"layout_cpu_s\": {\"hilbert\": %.6f, \"input\": %.6f, \"random\": %.6f}, \"plain_heap_random_cpu_s\": %.6f, "
               "\"agree_layouts\": %s",
               median_of(times[0], runs), median_of(ti_t, runs), median_of(tr_t, runs), plain_random_t, median_of(cpu[0], runs),
               median_of(ti_c, runs), median_of(tr_c, runs), median_of(pr_c, runs), agree_layout ? "true" : "false");
    }
    printf(", \"peak_rss_kb\": %ld}\n", bench_peak_rss_kb());
    free(src);
    free(reached);
    free(sum);
    free(reached2);
    free(sum2);
    cc_graph_destroy(g);
    cc_roads_destroy(R);
    cc_profile_destroy(prof);
    cc_ctx_destroy(ctx);
    return agree_threads && agree_plain && agree_packed && agree_queues ? 0 : 1;
usage:
    fprintf(stderr, "usage: bench_scale --roads A [--roads B ...] --tiles N [--seed S] [--sources K] [--limit-ms L]\n"
                    "                   [--threads 1,2] [--runs R] [--layouts]\n");
    return 2;
}
