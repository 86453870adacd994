/*
 * build.c - routable graph from road records and a speed profile.
 *
 * 1. Per way: speed (class x surface, maxspeed cap) and allowed directions (oneway tags,
 *    roundabouts and motorways one way when untagged).
 * 2. Junction detection: vertices of drivable ways are hashed by exact coordinates; a vertex
 *    seen twice or more (in two ways, or twice in one) or ending a way is a node. Everything
 *    else is geometry: on OSM extracts only about one vertex in eight becomes a node.
 * 3. Arcs between consecutive nodes of a way, with length and a cost each way (ms).
 * 4. Nodes renumbered along a Hilbert curve, so that nodes near in space are near in memory.
 * 5. Forward and reverse CSR with 8-byte edges (head, cost) and an arc id per edge.
 * 6. Strongly connected components (Tarjan, iterative) for the connectivity report.
 */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "roads_internal.h"
#include "graph_internal.h"

void cc_graph_destroy(cc_graph *g)
{
    if (!g) return;
    CC__FREE_ALL(g->fwd_first, g->fwd, g->fwd_arc, g->bwd_first, g->bwd, g->bwd_arc, g->node_x, g->node_y, g->arc_u,
                 g->arc_v, g->arc_cost_f, g->arc_cost_b, g->arc_len_m, g->arc_way, g->arc_first, g->pt_x, g->pt_y, g->pt_s,
                 g->pt_arc, g->node_scc, g->crs_wkt, g);
}

uint32_t cc_graph_get_node_count(const cc_graph *g) { return g->n_nodes; }
uint32_t cc_graph_get_edge_count(const cc_graph *g) { return g->n_edges; }
uint32_t cc_graph_get_arc_count(const cc_graph *g) { return g->n_arcs; }
uint32_t cc_graph_get_scc_count(const cc_graph *g) { return g->scc_count; }
uint32_t cc_graph_get_largest_scc(const cc_graph *g) { return g->scc_largest; }
const char *cc_graph_get_crs_wkt(const cc_graph *g) { return g->crs_wkt; }

size_t cc_graph_get_routing_bytes(const cc_graph *g)
{
    return 2 * ((size_t)g->n_nodes + 1) * sizeof(uint32_t) + 2 * (size_t)g->n_edges * (sizeof(cc_edge) + sizeof(uint32_t)) +
           (size_t)g->n_nodes * 2 * sizeof(double);
}

size_t cc_graph_get_geometry_bytes(const cc_graph *g)
{
    size_t npt = g->arc_first ? g->arc_first[g->n_arcs] : 0;
    return (size_t)g->n_arcs * (5 * sizeof(uint32_t) + sizeof(double)) + ((size_t)g->n_arcs + 1) * sizeof(uint32_t) +
           npt * (3 * sizeof(double) + sizeof(uint32_t)) + (size_t)g->n_nodes * sizeof(uint32_t);
}

void cc_graph_get_csr_ref(const cc_graph *g, const uint32_t **first, const cc_edge **edges)
{
    *first = g->fwd_first;
    *edges = g->fwd;
}

void cc_graph_get_node_xy(const cc_graph *g, uint32_t node, double *x, double *y)
{
    *x = g->node_x[node];
    *y = g->node_y[node];
}

/* ---- vertex hashing ---------------------------------------------------------------------- */

static inline uint64_t hash_xy(double x, double y)
{
    uint64_t a, b;
    x += 0.0; /* -0.0 -> +0.0 */
    y += 0.0;
    memcpy(&a, &x, 8);
    memcpy(&b, &y, 8);
    return cc__fmix64(a ^ cc__fmix64(b + 0x9e3779b97f4a7c15ULL));
}

/* ---- Hilbert order ------------------------------------------------------------------------ */

static uint32_t hilbert_d(uint32_t x, uint32_t y)
{
    const uint32_t n = 1u << 16;
    uint32_t d = 0;
    for (uint32_t s = n / 2; s > 0; s /= 2) {
        uint32_t rx = (x & s) > 0, ry = (y & s) > 0;
        d += s * s * ((3 * rx) ^ ry);
        if (ry == 0) {
            if (rx == 1) {
                x = n - 1 - x;
                y = n - 1 - y;
            }
            uint32_t t = x;
            x = y;
            y = t;
        }
    }
    return d;
}

static int cmp_u64(const void *a, const void *b)
{
    uint64_t x = *(const uint64_t *)a, y = *(const uint64_t *)b;
    return x < y ? -1 : x > y;
}

/* ---- strongly connected components (Tarjan, explicit stacks) -------------------------------- */

static cc_status compute_scc(cc_ctx *ctx, cc_graph *g)
{
    const uint32_t n = g->n_nodes, UNSET = CC_INVALID_ID;
    uint32_t *idx = cc__malloc_array(n, sizeof(uint32_t));
    uint32_t *low = cc__malloc_array(n, sizeof(uint32_t));
    uint32_t *stack = cc__malloc_array(n, sizeof(uint32_t));
    uint32_t *cs_node = cc__malloc_array(n, sizeof(uint32_t));
    uint32_t *cs_edge = cc__malloc_array(n, sizeof(uint32_t));
    uint32_t *comp = cc__malloc_array(n, sizeof(uint32_t));
    uint32_t *size = NULL;
    cc_status st = CC_OK;
    if (!idx || !low || !stack || !cs_node || !cs_edge || !comp) {
        st = cc__fail(ctx, CC_ERR_NOMEM, "Out of memory checking graph connectivity");
        goto out;
    }
    for (uint32_t i = 0; i < n; i++) idx[i] = comp[i] = UNSET;
    uint32_t counter = 0, sp = 0, ncomp = 0;
    for (uint32_t root = 0; root < n; root++) {
        if (idx[root] != UNSET) continue;
        uint32_t csp = 0;
        cs_node[csp] = root;
        cs_edge[csp++] = g->fwd_first[root];
        idx[root] = low[root] = counter++;
        stack[sp++] = root;
        while (csp) {
            uint32_t v = cs_node[csp - 1];
            uint32_t e = cs_edge[csp - 1];
            if (e < g->fwd_first[v + 1]) {
                cs_edge[csp - 1] = e + 1;
                uint32_t w = g->fwd[e].head;
                if (idx[w] == UNSET) {
                    idx[w] = low[w] = counter++;
                    stack[sp++] = w;
                    cs_node[csp] = w;
                    cs_edge[csp++] = g->fwd_first[w];
                } else if (comp[w] == UNSET && idx[w] < low[v]) {
                    low[v] = idx[w];
                }
                continue;
            }
            if (low[v] == idx[v]) {
                uint32_t w;
                do {
                    w = stack[--sp];
                    comp[w] = ncomp;
                } while (w != v);
                ncomp++;
            }
            csp--;
            if (csp) {
                uint32_t p = cs_node[csp - 1];
                if (low[v] < low[p]) low[p] = low[v];
            }
        }
    }
    if (!(size = cc__calloc_array(ncomp ? ncomp : 1, sizeof(uint32_t)))) {
        st = cc__fail(ctx, CC_ERR_NOMEM, "Out of memory checking graph connectivity");
        goto out;
    }
    for (uint32_t i = 0; i < n; i++) size[comp[i]]++;
    uint32_t big = 0;
    for (uint32_t c = 1; c < ncomp; c++)
        if (size[c] > size[big]) big = c;
    /* relabel: the largest component gets id 0 */
    for (uint32_t i = 0; i < n; i++) comp[i] = comp[i] == big ? 0 : (comp[i] == 0 ? big : comp[i]);
    g->scc_count = ncomp;
    g->scc_largest = ncomp ? size[big] : 0;
    g->node_scc = comp;
    comp = NULL;
out:
    CC__FREE_ALL(idx, low, stack, cs_node, cs_edge, comp, size);
    return st;
}

/* ---- build ------------------------------------------------------------------------------ */

typedef struct build_tmp {
    float *way_kmh;    /* per way; 0 = not drivable */
    uint8_t *way_dir;  /* bit 0 forward allowed, bit 1 backward allowed */
    uint32_t *rep;     /* per vertex: first vertex with the same coordinates */
    uint8_t *cnt;      /* per representative vertex: occurrences, saturating at 2 */
    uint32_t *node_of; /* per representative vertex: node id */
    uint32_t *slots;   /* hash table of vertex indices */
    uint32_t *unknown; /* ways per unknown class id */
} build_tmp;

static void free_tmp(build_tmp *t)
{
    CC__FREE_ALL(t->way_kmh, t->way_dir, t->rep, t->cnt, t->node_of, t->slots, t->unknown);
}

/* Speeds and directions of every way; warn once about classes the profile does not know. */
static cc_status way_speeds(cc_ctx *ctx, const cc_roads *r, const cc_profile *p, build_tmp *t, size_t *n_drivable)
{
    uint32_t nstr = r->strings.n;
    double *cls_kmh = cc__calloc_array(nstr, sizeof(double));
    double *surf_mult = cc__calloc_array(nstr, sizeof(double));
    bool *known = cc__calloc_array(nstr, sizeof(bool));
    t->unknown = cc__calloc_array(nstr, sizeof(uint32_t));
    t->way_kmh = cc__malloc_array(r->n_ways, sizeof(float));
    t->way_dir = cc__malloc_array(r->n_ways, sizeof(uint8_t));
    cc_status st = CC_OK;
    if (!cls_kmh || !surf_mult || !known || !t->unknown || !t->way_kmh || !t->way_dir) {
        st = cc__fail(ctx, CC_ERR_NOMEM, "Out of memory building graph");
        goto out;
    }
    for (uint32_t i = 0; i < nstr; i++) {
        cls_kmh[i] = cc__profile_class_kmh(p, r->strings.str[i], &known[i]);
        surf_mult[i] = cc__profile_surface_mult(p, r->strings.str[i]);
    }
    uint32_t motorway = cc__strtab_find(&r->strings, "motorway");
    *n_drivable = 0;
    for (size_t w = 0; w < r->n_ways; w++) {
        double kmh;
        if (r->speed_kmh[w] > 0) {
            kmh = r->speed_kmh[w];
        } else {
            uint32_t c = r->cls[w];
            if (c == CC__NO_STRING) {
                kmh = 0;
            } else {
                kmh = cls_kmh[c];
                if (!known[c]) t->unknown[c]++;
                if (kmh > 0 && r->surface[w] != CC__NO_STRING) kmh *= surf_mult[r->surface[w]];
                if (kmh > 0 && p->maxspeed_cap && r->maxspeed_kmh[w] > 0 && r->maxspeed_kmh[w] < kmh) kmh = r->maxspeed_kmh[w];
            }
        }
        if (r->status && (r->status[w] == CC__WAY_CLOSED || r->status[w] == CC__WAY_REPLACED)) kmh = 0; /* scenario closure */
        uint8_t dir = 3;
        if (p->oneway_honour) {
            switch (r->oneway[w]) {
            case CC__ONEWAY_FWD: dir = 1; break;
            case CC__ONEWAY_BWD: dir = 2; break;
            case CC__ONEWAY_NO: dir = 3; break;
            default: dir = (r->roundabout[w] || (motorway != CC__NO_STRING && r->cls[w] == motorway)) ? 1 : 3;
            }
        }
        t->way_kmh[w] = (float)kmh;
        t->way_dir[w] = kmh > 0 ? dir : 0;
        if (kmh > 0) (*n_drivable)++;
    }
    /* one warning listing unknown classes with their counts */
    char list[600] = "";
    size_t n_unknown = 0, ways_unknown = 0;
    for (uint32_t i = 0; i < nstr; i++) {
        if (!t->unknown[i]) continue;
        n_unknown++;
        ways_unknown += t->unknown[i];
        if (strlen(list) < sizeof(list) - 80) {
            char item[96];
            snprintf(item, sizeof(item), "%s%.48s (%u)", list[0] ? ", " : "", r->strings.str[i], t->unknown[i]);
            strcat(list, item);
        }
    }
    if (n_unknown)
        cc__warn(ctx, "Profile <%s> does not know %zu road classes, not driven on: %s [%zu ways]", p->name, n_unknown, list,
                 ways_unknown);
out:
    CC__FREE_ALL(cls_kmh, surf_mult, known);
    return st;
}

/* Hash every vertex of drivable ways by exact coordinates: t->rep points at the first vertex with the
 * same coordinates, t->cnt counts its occurrences (saturating at 2). Returns false when out of memory. */
static bool find_junctions(const cc_roads *r, build_tmp *t)
{
    uint32_t nslot = 1024;
    while (nslot < 2 * r->n_vertices) nslot *= 2;
    t->slots = cc__malloc_array(nslot, sizeof(uint32_t));
    t->rep = cc__malloc_array(r->n_vertices, sizeof(uint32_t));
    t->cnt = cc__calloc_array(r->n_vertices, sizeof(uint8_t));
    t->node_of = cc__malloc_array(r->n_vertices, sizeof(uint32_t));
    if (!t->slots || !t->rep || !t->cnt || !t->node_of) return false;
    memset(t->slots, 0xff, (size_t)nslot * sizeof(uint32_t));
    for (size_t w = 0; w < r->n_ways; w++) {
        if (!t->way_dir[w]) continue;
        for (size_t i = r->way_first[w]; i < r->way_first[w + 1]; i++) {
            uint32_t h = (uint32_t)hash_xy(r->x[i], r->y[i]) & (nslot - 1);
            for (;;) {
                uint32_t j = t->slots[h];
                if (j == CC_INVALID_ID) {
                    t->slots[h] = (uint32_t)i;
                    t->rep[i] = (uint32_t)i;
                    t->cnt[i] = 1;
                    break;
                }
                if (r->x[j] == r->x[i] && r->y[j] == r->y[i]) {
                    t->rep[i] = j;
                    if (t->cnt[j] < 2) t->cnt[j]++;
                    break;
                }
                h = (h + 1) & (nslot - 1);
            }
        }
    }
    free(t->slots);
    t->slots = NULL;
    return true;
}

typedef struct build_counts {
    size_t n_nodes, n_arcs, n_pts, n_way_vertices;
} build_counts;

/* Number the nodes (way ends and shared vertices) in way order and count arcs and arc points, so the
 * graph arrays can be sized exactly before they are filled. */
static void count_nodes_arcs(const cc_roads *r, build_tmp *t, build_counts *c)
{
    memset(t->node_of, 0xff, r->n_vertices * sizeof(uint32_t));
    for (size_t w = 0; w < r->n_ways; w++) {
        if (!t->way_dir[w]) continue;
        size_t a = r->way_first[w], b = r->way_first[w + 1];
        c->n_way_vertices += b - a;
        size_t start = a;
        for (size_t i = a; i < b; i++) {
            uint32_t rep = t->rep[i];
            bool is_node = i == a || i == b - 1 || t->cnt[rep] >= 2;
            if (!is_node) continue;
            if (t->node_of[rep] == CC_INVALID_ID) t->node_of[rep] = (uint32_t)c->n_nodes++;
            if (i > a) {
                c->n_arcs++;
                c->n_pts += i - start + 1;
                start = i;
            }
        }
    }
}

/* Allocate the node and arc arrays of g for the counted sizes. Returns false when out of memory. */
static bool alloc_arcs(cc_graph *g, size_t n_nodes, size_t n_arcs, size_t n_pts)
{
    return (g->node_x = cc__malloc_array(n_nodes, sizeof(double))) && (g->node_y = cc__malloc_array(n_nodes, sizeof(double))) &&
           (g->arc_u = cc__malloc_array(n_arcs, sizeof(uint32_t))) && (g->arc_v = cc__malloc_array(n_arcs, sizeof(uint32_t))) &&
           (g->arc_cost_f = cc__malloc_array(n_arcs, sizeof(uint32_t))) &&
           (g->arc_cost_b = cc__malloc_array(n_arcs, sizeof(uint32_t))) &&
           (g->arc_len_m = cc__malloc_array(n_arcs, sizeof(double))) && (g->arc_way = cc__malloc_array(n_arcs, sizeof(uint32_t))) &&
           (g->arc_first = cc__malloc_array(n_arcs + 1, sizeof(uint32_t))) &&
           (g->pt_x = cc__malloc_array(n_pts, sizeof(double))) && (g->pt_y = cc__malloc_array(n_pts, sizeof(double))) &&
           (g->pt_s = cc__malloc_array(n_pts, sizeof(double))) && (g->pt_arc = cc__malloc_array(n_pts, sizeof(uint32_t)));
}

/* Cut every drivable way at its nodes into arcs: points with running length, end nodes, length and
 * the cost each way (CC_INF_COST where the way is one way). Returns the number of arc points. */
static size_t fill_arcs(const cc_roads *r, const build_tmp *t, cc_graph *g)
{
    size_t ai = 0, pi = 0;
    for (size_t w = 0; w < r->n_ways; w++) {
        if (!t->way_dir[w]) continue;
        size_t a = r->way_first[w], b = r->way_first[w + 1];
        size_t start = a;
        double kmh = t->way_kmh[w];
        for (size_t i = a + 1; i < b; i++) {
            uint32_t rep = t->rep[i];
            if (!(i == b - 1 || t->cnt[rep] >= 2)) continue;
            double len = 0;
            g->arc_first[ai] = (uint32_t)pi;
            for (size_t k = start; k <= i; k++) {
                if (k > start) len += hypot(r->x[k] - r->x[k - 1], r->y[k] - r->y[k - 1]);
                g->pt_x[pi] = r->x[k];
                g->pt_y[pi] = r->y[k];
                g->pt_s[pi] = len;
                g->pt_arc[pi] = (uint32_t)ai;
                pi++;
            }
            g->arc_u[ai] = t->node_of[t->rep[start]];
            g->arc_v[ai] = t->node_of[rep];
            g->arc_len_m[ai] = len;
            g->arc_way[ai] = (uint32_t)w;
            g->arc_cost_f[ai] = (t->way_dir[w] & 1) ? cc__cost_ms(len, kmh) : CC_INF_COST;
            g->arc_cost_b[ai] = (t->way_dir[w] & 2) ? cc__cost_ms(len, kmh) : CC_INF_COST;
            ai++;
            start = i;
        }
    }
    g->arc_first[g->n_arcs] = (uint32_t)pi;
    return pi;
}

/* Node coordinates from their representative vertex, and the bounding box of all arc points. */
static void node_coords_bbox(const cc_roads *r, const build_tmp *t, cc_graph *g, size_t n_pts)
{
    for (size_t i = 0; i < r->n_vertices; i++) {
        if (t->node_of[i] == CC_INVALID_ID) continue;
        g->node_x[t->node_of[i]] = r->x[i];
        g->node_y[t->node_of[i]] = r->y[i];
    }
    g->minx = g->miny = INFINITY;
    g->maxx = g->maxy = -INFINITY;
    for (size_t i = 0; i < n_pts; i++) {
        if (g->pt_x[i] < g->minx) g->minx = g->pt_x[i];
        if (g->pt_x[i] > g->maxx) g->maxx = g->pt_x[i];
        if (g->pt_y[i] < g->miny) g->miny = g->pt_y[i];
        if (g->pt_y[i] > g->maxy) g->maxy = g->pt_y[i];
    }
}

/* Renumber nodes along a Hilbert curve (nodes near in space become near in memory). keys and perm are
 * caller-owned scratch of n_nodes entries; perm ends as old -> new id. */
static void hilbert_renumber(cc_graph *g, uint64_t *keys, uint32_t *perm)
{
    const size_t n_nodes = g->n_nodes, n_arcs = g->n_arcs;
    double sx = 65535.0 / fmax(g->maxx - g->minx, 1e-9), sy = 65535.0 / fmax(g->maxy - g->miny, 1e-9);
    double s = fmin(sx, sy);
    for (size_t i = 0; i < n_nodes; i++) {
        uint32_t hx = (uint32_t)((g->node_x[i] - g->minx) * s), hy = (uint32_t)((g->node_y[i] - g->miny) * s);
        keys[i] = ((uint64_t)hilbert_d(hx, hy) << 32) | (uint64_t)i;
    }
    qsort(keys, n_nodes, sizeof(uint64_t), cmp_u64);
    for (size_t k = 0; k < n_nodes; k++) perm[(uint32_t)keys[k]] = (uint32_t)k; /* old -> new */
    double *tmp = (double *)keys;                                                  /* reuse: 8 bytes each */
    for (size_t i = 0; i < n_nodes; i++) tmp[perm[i]] = g->node_x[i];
    memcpy(g->node_x, tmp, n_nodes * sizeof(double));
    for (size_t i = 0; i < n_nodes; i++) tmp[perm[i]] = g->node_y[i];
    memcpy(g->node_y, tmp, n_nodes * sizeof(double));
    for (size_t a = 0; a < n_arcs; a++) {
        g->arc_u[a] = perm[g->arc_u[a]];
        g->arc_v[a] = perm[g->arc_v[a]];
    }
}

/* Place the edge u -> v (cost, arc a) in the forward CSR of u and the reverse CSR of v. */
static void put_edge(cc_graph *g, uint32_t *fpos, uint32_t *bpos, uint32_t u, uint32_t v, uint32_t cost, size_t a)
{
    uint32_t e = fpos[u]++, f = bpos[v]++;
    g->fwd[e] = (cc_edge){v, cost};
    g->fwd_arc[e] = (uint32_t)a;
    g->bwd[f] = (cc_edge){u, cost};
    g->bwd_arc[f] = (uint32_t)a;
}

/* Count the edges of every node both ways (loops dropped: they never shorten a path) and turn the
 * counts into CSR offsets. */
static void csr_offsets(cc_graph *g)
{
    for (size_t a = 0; a < g->n_arcs; a++) {
        uint32_t u = g->arc_u[a], v = g->arc_v[a];
        if (u == v) continue;
        if (g->arc_cost_f[a] != CC_INF_COST) {
            g->fwd_first[u + 1]++;
            g->bwd_first[v + 1]++;
        }
        if (g->arc_cost_b[a] != CC_INF_COST) {
            g->fwd_first[v + 1]++;
            g->bwd_first[u + 1]++;
        }
    }
    for (size_t i = 0; i < g->n_nodes; i++) {
        g->fwd_first[i + 1] += g->fwd_first[i];
        g->bwd_first[i + 1] += g->bwd_first[i];
    }
}

/* Forward and reverse CSR (8-byte edges, arc id per edge). perm, when not NULL, is reused as scratch.
 * Returns CC_ERR_LIMIT (reported) when there are too many edges, CC_ERR_NOMEM (not reported) when out
 * of memory. */
static cc_status build_csr(cc_ctx *ctx, cc_graph *g, uint32_t *perm)
{
    const size_t n_nodes = g->n_nodes, n_arcs = g->n_arcs;
    size_t m = 0;
    for (size_t a = 0; a < n_arcs; a++) {
        if (g->arc_u[a] == g->arc_v[a]) continue; /* loops never shorten a path */
        m += (g->arc_cost_f[a] != CC_INF_COST) + (g->arc_cost_b[a] != CC_INF_COST);
    }
    if (m >= INT32_MAX) return cc__fail(ctx, CC_ERR_LIMIT, "Road network too large: %zu edges", m);
    g->n_edges = (uint32_t)m;
    if (!(g->fwd_first = cc__calloc_array(n_nodes + 1, sizeof(uint32_t))) ||
        !(g->bwd_first = cc__calloc_array(n_nodes + 1, sizeof(uint32_t))) || !(g->fwd = cc__malloc_array(m, sizeof(cc_edge))) ||
        !(g->bwd = cc__malloc_array(m, sizeof(cc_edge))) || !(g->fwd_arc = cc__malloc_array(m, sizeof(uint32_t))) ||
        !(g->bwd_arc = cc__malloc_array(m, sizeof(uint32_t))))
        return CC_ERR_NOMEM;
    csr_offsets(g);
    uint32_t *fpos = perm ? perm : cc__malloc_array(n_nodes, sizeof(uint32_t)); /* reuse scratch */
    uint32_t *bpos = cc__malloc_array(n_nodes, sizeof(uint32_t));
    cc_status st = CC_ERR_NOMEM;
    if (!fpos || !bpos) goto out;
    memcpy(fpos, g->fwd_first, n_nodes * sizeof(uint32_t));
    memcpy(bpos, g->bwd_first, n_nodes * sizeof(uint32_t));
    for (size_t a = 0; a < n_arcs; a++) {
        uint32_t u = g->arc_u[a], v = g->arc_v[a];
        if (u == v) continue;
        if (g->arc_cost_f[a] != CC_INF_COST) put_edge(g, fpos, bpos, u, v, g->arc_cost_f[a], a);
        if (g->arc_cost_b[a] != CC_INF_COST) put_edge(g, fpos, bpos, v, u, g->arc_cost_b[a], a);
    }
    st = CC_OK;
out:
    if (fpos != perm) free(fpos);
    free(bpos);
    return st;
}

cc_status cc__graph_way_speeds(cc_ctx *ctx, const cc_roads *r, const cc_profile *p, float **way_kmh, uint8_t **way_dir,
                               size_t *n_drivable)
{
    build_tmp t = {0};
    cc_status st = way_speeds(ctx, r, p, &t, n_drivable);
    if (!st) {
        *way_kmh = t.way_kmh;
        *way_dir = t.way_dir;
        t.way_kmh = NULL;
        t.way_dir = NULL;
    }
    free_tmp(&t);
    return st;
}

void cc__graph_view_destroy(cc_graph *g)
{
    if (!g) return;
    CC__FREE_ALL(g->arc_cost_f, g->arc_cost_b, g->fwd, g->bwd, g);
}

cc_status cc__graph_cost_view(cc_ctx *ctx, const cc_graph *base, const float *way_kmh, const uint8_t *way_dir, cc_graph **out)
{
    *out = NULL;
    cc_graph *g = malloc(sizeof(*g));
    if (!g) return cc__fail(ctx, CC_ERR_NOMEM, "Out of memory");
    *g = *base; /* topology, geometry and components borrowed */
    g->arc_cost_f = cc__malloc_array(base->n_arcs ? base->n_arcs : 1, sizeof(uint32_t));
    g->arc_cost_b = cc__malloc_array(base->n_arcs ? base->n_arcs : 1, sizeof(uint32_t));
    g->fwd = cc__malloc_array(base->n_edges ? base->n_edges : 1, sizeof(cc_edge));
    g->bwd = cc__malloc_array(base->n_edges ? base->n_edges : 1, sizeof(cc_edge));
    if (!g->arc_cost_f || !g->arc_cost_b || !g->fwd || !g->bwd) {
        cc__graph_view_destroy(g);
        return cc__fail(ctx, CC_ERR_NOMEM, "Out of memory");
    }
    /* as fill_arcs(): the same length, the same speed, the same rounding */
    for (uint32_t a = 0; a < base->n_arcs; a++) {
        uint32_t w = base->arc_way[a];
        double kmh = way_kmh[w];
        g->arc_cost_f[a] = (way_dir[w] & 1) ? cc__cost_ms(base->arc_len_m[a], kmh) : CC_INF_COST;
        g->arc_cost_b[a] = (way_dir[w] & 2) ? cc__cost_ms(base->arc_len_m[a], kmh) : CC_INF_COST;
    }
    /* the edges keep their places (same directions); an edge along its arc's digitising
     * direction (u -> v) takes the forward cost */
    for (uint32_t u = 0; u < base->n_nodes; u++)
        for (uint32_t e = base->fwd_first[u]; e < base->fwd_first[u + 1]; e++) {
            uint32_t a = base->fwd_arc[e];
            bool along = base->arc_u[a] == u;
            g->fwd[e] = (cc_edge){base->fwd[e].head, along ? g->arc_cost_f[a] : g->arc_cost_b[a]};
        }
    for (uint32_t v = 0; v < base->n_nodes; v++)
        for (uint32_t e = base->bwd_first[v]; e < base->bwd_first[v + 1]; e++) {
            uint32_t a = base->bwd_arc[e];
            bool along = base->arc_v[a] == v;
            g->bwd[e] = (cc_edge){base->bwd[e].head, along ? g->arc_cost_f[a] : g->arc_cost_b[a]};
        }
    *out = g;
    return CC_OK;
}

cc_status cc_graph_build(cc_ctx *ctx, const cc_roads *r, const cc_profile *p, const cc_graph_opts *opts, cc_graph **out)
{
    build_tmp t = {0};
    build_counts c = {0};
    cc_graph *g = NULL;
    cc_status st;
    size_t n_drivable = 0;
    uint64_t *keys = NULL;
    uint32_t *perm = NULL;
    const cc_node_order order = opts ? opts->order : CC_ORDER_HILBERT;

    *out = NULL;
    if (r->n_vertices >= (size_t)INT32_MAX) return cc__fail(ctx, CC_ERR_LIMIT, "Road network has more than 2^31 vertices");
    if ((st = way_speeds(ctx, r, p, &t, &n_drivable))) goto out;
    if (n_drivable == 0) {
        st = cc__fail(ctx, CC_ERR_INPUT, "No road is drivable with profile <%s> (%zu ways read)", p->name, r->n_ways);
        goto out;
    }
    if (!(g = calloc(1, sizeof(*g))) || !(g->crs_wkt = cc__strdup(r->crs_wkt))) goto nomem;
    if (!find_junctions(r, &t)) goto nomem;
    count_nodes_arcs(r, &t, &c);
    if (c.n_nodes >= INT32_MAX || c.n_arcs >= INT32_MAX / 2 || c.n_pts >= UINT32_MAX) {
        st = cc__fail(ctx, CC_ERR_LIMIT, "Road network too large: %zu nodes, %zu arcs", c.n_nodes, c.n_arcs);
        goto out;
    }
    g->n_nodes = (uint32_t)c.n_nodes;
    g->n_arcs = (uint32_t)c.n_arcs;
    g->n_way_vertices = c.n_way_vertices;
    if (!alloc_arcs(g, c.n_nodes, c.n_arcs, c.n_pts)) goto nomem;
    node_coords_bbox(r, &t, g, fill_arcs(r, &t, g));
    if (order == CC_ORDER_HILBERT && c.n_nodes > 1) {
        if (!(keys = cc__malloc_array(c.n_nodes, sizeof(uint64_t))) || !(perm = cc__malloc_array(c.n_nodes, sizeof(uint32_t))))
            goto nomem;
        hilbert_renumber(g, keys, perm);
    }
    if ((st = build_csr(ctx, g, perm)) == CC_ERR_NOMEM) goto nomem;
    if (st || (st = compute_scc(ctx, g))) goto out;
    cc__info(ctx, "Graph: %u nodes (%.1f%% of %zu way vertices), %u directed edges, %u arcs; largest strongly connected component %u nodes (%.1f%%) of %u",
             g->n_nodes, 100.0 * g->n_nodes / (double)(c.n_way_vertices ? c.n_way_vertices : 1), c.n_way_vertices, g->n_edges,
             g->n_arcs, g->scc_largest, 100.0 * g->scc_largest / (double)(g->n_nodes ? g->n_nodes : 1), g->scc_count);
    *out = g;
    g = NULL;
    goto out;
nomem:
    st = cc__fail(ctx, CC_ERR_NOMEM, "Out of memory building graph (%zu ways, %zu vertices)", r->n_ways, r->n_vertices);
out:
    free(keys);
    free(perm);
    free_tmp(&t);
    cc_graph_destroy(g);
    return st;
}
