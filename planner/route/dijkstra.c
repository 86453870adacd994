/*
 * dijkstra.c - multi-source Dijkstra with a 4-ary indexed heap (decrease-key), integer
 * millisecond costs and O(1) reset by generation stamps.
 *
 * The 4-ary heap halves the depth of a binary heap and keeps the four children of a node in
 * one cache line (8-byte items); with positions kept per node each node enters the heap at
 * most once, so the heap never holds more than n items and never needs to grow.
 * Ties are broken by origin id so that multi-source results do not depend on seed order.
 */
#include <stdlib.h>
#include <string.h>

#include "route_internal.h"

cc_status cc_search_create(cc_ctx *ctx, const cc_graph *g, cc_search **out)
{
    cc_search *s = calloc(1, sizeof(*s));
    *out = NULL;
    if (!s) return cc__fail(ctx, CC_ERR_NOMEM, "Out of memory creating a search workspace");
    s->g = g;
    s->n = g->n_nodes;
    s->stamp = cc__calloc_array(s->n, sizeof(uint32_t));
    s->cost = cc__malloc_array(s->n, sizeof(uint32_t));
    s->origin = cc__malloc_array(s->n, sizeof(uint32_t));
    s->pos = cc__malloc_array(s->n, sizeof(uint32_t));
    s->heap = cc__malloc_array(s->n, sizeof(cc__heap_item));
    s->settled = cc__malloc_array(s->n, sizeof(uint32_t));
    if (!s->stamp || !s->cost || !s->origin || !s->pos || !s->heap || !s->settled) {
        cc_search_destroy(s);
        return cc__fail(ctx, CC_ERR_NOMEM, "Out of memory creating a search workspace (%u nodes)", g->n_nodes);
    }
    *out = s;
    return CC_OK;
}

void cc_search_destroy(cc_search *s)
{
    if (!s) return;
    free(s->stamp);
    free(s->cost);
    free(s->origin);
    free(s->pos);
    free(s->heap);
    free(s->settled);
    free(s);
}

uint32_t cc_search_get_cost(const cc_search *s, uint32_t node)
{
    return node < s->n ? cc__search_cost(s, node) : CC_INF_COST;
}

uint32_t cc_search_get_origin(const cc_search *s, uint32_t node)
{
    return (node < s->n && cc__search_cost(s, node) != CC_INF_COST) ? s->origin[node] : CC_INVALID_ID;
}

const uint32_t *cc_search_get_settled_ref(const cc_search *s, size_t *count)
{
    *count = s->n_settled;
    return s->settled;
}

uint64_t cc_search_get_settled_total(const cc_search *s)
{
    return s->settled_total;
}

/* (key, origin) order: smaller cost first, then smaller origin. */
static inline int less(const cc_search *s, cc__heap_item a, cc__heap_item b)
{
    return a.key < b.key || (a.key == b.key && s->origin[a.node] < s->origin[b.node]);
}

static inline void sift_up(cc_search *s, uint32_t i)
{
    cc__heap_item it = s->heap[i];
    while (i > 0) {
        uint32_t p = (i - 1) >> 2;
        if (!less(s, it, s->heap[p])) break;
        s->heap[i] = s->heap[p];
        s->pos[s->heap[i].node] = i + 1;
        i = p;
    }
    s->heap[i] = it;
    s->pos[it.node] = i + 1;
}

static inline void sift_down(cc_search *s, uint32_t i)
{
    cc__heap_item it = s->heap[i];
    const uint32_t n = s->heap_n;
    for (;;) {
        uint32_t c = 4 * i + 1;
        if (c >= n) break;
        uint32_t best = c, end = c + 4 < n ? c + 4 : n;
        for (uint32_t k = c + 1; k < end; k++)
            if (less(s, s->heap[k], s->heap[best])) best = k;
        if (!less(s, s->heap[best], it)) break;
        s->heap[i] = s->heap[best];
        s->pos[s->heap[i].node] = i + 1;
        i = best;
    }
    s->heap[i] = it;
    s->pos[it.node] = i + 1;
}

/* Offer cost @p c with origin @p o to node @p v. */
static inline void relax(cc_search *s, uint32_t v, uint32_t c, uint32_t o)
{
    if (s->stamp[v] != s->gen) {
        s->stamp[v] = s->gen;
        s->cost[v] = c;
        s->origin[v] = o;
        s->heap[s->heap_n] = (cc__heap_item){c, v};
        s->heap_n++;
        sift_up(s, s->heap_n - 1);
        return;
    }
    uint32_t p = s->pos[v];
    if (p == 0) return; /* settled */
    if (c < s->cost[v] || (c == s->cost[v] && o < s->origin[v])) {
        s->cost[v] = c;
        s->origin[v] = o;
        s->heap[p - 1].key = c;
        sift_up(s, p - 1);
    }
}

void cc_search_run(cc_search *s, cc_direction dir, const cc_seed *seeds, size_t n_seeds, uint32_t limit_ms)
{
    const cc_graph *g = s->g;
    const uint32_t *first = dir == CC_FORWARD ? g->fwd_first : g->bwd_first;
    const cc_edge *edges = dir == CC_FORWARD ? g->fwd : g->bwd;

    if (++s->gen == 0) { /* stamps wrapped after 2^32 searches: clear once */
        memset(s->stamp, 0, (size_t)s->n * sizeof(uint32_t));
        s->gen = 1;
    }
    s->heap_n = 0;
    s->n_settled = 0;
    for (size_t i = 0; i < n_seeds; i++)
        if (seeds[i].node < s->n && seeds[i].cost_ms <= limit_ms && seeds[i].cost_ms < CC_INF_COST)
            relax(s, seeds[i].node, seeds[i].cost_ms, seeds[i].origin);

    while (s->heap_n) {
        cc__heap_item top = s->heap[0];
        if (top.key > limit_ms) break;
        uint32_t u = top.node;
        s->heap_n--;
        if (s->heap_n) {
            s->heap[0] = s->heap[s->heap_n];
            sift_down(s, 0);
        }
        s->pos[u] = 0;
        s->settled[s->n_settled++] = u;
        const uint32_t cu = top.key, ou = s->origin[u];
        for (uint32_t e = first[u], end = first[u + 1]; e < end; e++) {
            uint32_t c = cu + edges[e].cost_ms;
            if (c <= limit_ms) relax(s, edges[e].head, c, ou);
        }
    }
    /* nodes still in the heap are beyond the limit: mark them unsettled-for-good */
    for (uint32_t i = 0; i < s->heap_n; i++) s->pos[s->heap[i].node] = CC_INVALID_ID;
    s->settled_total += s->n_settled;
}
