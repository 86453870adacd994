/*
 * dijkstra.c - multi-source Dijkstra with 8-byte labels, integer millisecond costs and one of two
 * queues with lazy deletion: a binary heap (the default) or a monotone radix heap.
 *
 * Layout, measured on a 2.2-million-node graph (benchmarks/RESULTS.md): the search touches one
 * 8-byte label per node (cost with a settled bit, origin) and moves 8-byte queue entries without
 * writing positions back into labels. A node is pushed whenever its label improves and skipped
 * when popped after it settled, so the queue never holds more than nodes + edges entries and is
 * allocated once. Labels are reset through the list of nodes the previous search touched, so a
 * new search costs O(its own work), never O(nodes). With lazy 8-byte entries a binary heap
 * measured as fast as a 4-ary one on 30-minute searches and 5-10% faster on searches that settle
 * most of a 2.2-million-node graph; the earlier indexed 4-ary heap over four label arrays was
 * 10-25% slower than both.
 *
 * Queue (issue 19, both measured in one bench_scale process, CPU ns per settled node, git 04d4d0c):
 * the radix heap (Ahuja, Mehlhorn, Orlin & Tarjan 1990: 32 buckets keyed by the highest bit that
 * differs from the last popped key, buckets as stacks of 64-entry chunks from one pool of nodes +
 * edges entries, so no allocation while searching and ferries of hours cost nothing extra) is
 * 7-12% slower than the binary heap on 30-minute searches (Comoros 63 vs 56 ns, 2.2 M-node graph
 * 79 vs 73 ns) and on Comoros 8-hour searches (63 vs 56 ns), and level only on 8-hour searches
 * that settle 570 k nodes of the 2.2 M-node graph (110 vs 112 ns). Road keys are sparse (a settled
 * node per ~1,200 ms on a 30-minute Comoros search), so nearly every pop empties a bucket (6.23 M
 * bucket redistributions for 6.24 M pops) and each entry moves 2.5 times on average, while the
 * binary heap over a few hundred entries stays in L1. So the binary heap is the default and the
 * radix heap is kept behind cc__search_set_queue / CC__QUEUE_DEFAULT for the benchmarks and tests.
 * The heap's sift-down compares its two children directly: a loop over them cost 5% (118 vs
 * 112 ns on the 8-hour searches).
 *
 * Ties: every edge costs at least 1 ms (cc__cost_ms), so every offer that decides a node's label
 * comes from a node settled strictly before it; the label keeps the smallest (cost, origin)
 * offered, and labels do not depend on seed order, on the queue or on the order of equal-cost
 * pops. The settled list is in nondecreasing cost, but equal costs come out in an order that
 * depends on the queue: consumers that read it in order (cc__reach) sort it first.
 */
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>

#include "route_internal.h"

/* ---- radix heap ------------------------------------------------------------------------- */

/* Every chunk in the free list, every bucket empty. */
static void rq_reset(cc_search *s)
{
    for (uint32_t c = 0; c < s->n_chunks; c++) s->chunk_next[c] = c + 1 < s->n_chunks ? c + 1 : CC__RQ_NONE;
    s->free_chunk = 0;
    for (int b = 0; b < CC__RQ_BUCKETS; b++) s->rq_head[b] = CC__RQ_NONE, s->rq_fill[b] = CC__RQ_CHUNK, s->rq_min[b] = UINT32_MAX;
    s->rq_mask = 0;
    s->rq_last = 0;
}

/* Bucket of @p key: 0 when it equals the last popped key, else 1 + its highest bit that differs. */
static inline uint32_t rq_bucket(uint32_t key, uint32_t last)
{
    uint32_t x = key ^ last;
    return x ? 32u - (uint32_t)__builtin_clz(x) : 0u;
}

static inline void rq_push(cc_search *s, uint32_t cost, uint32_t node)
{
    const uint32_t b = rq_bucket(cost, s->rq_last);
    uint32_t h = s->rq_head[b];
    if (s->rq_fill[b] == CC__RQ_CHUNK) { /* top chunk full, or none: take one from the pool */
        uint32_t c = s->free_chunk;
        s->free_chunk = s->chunk_next[c];
        s->chunk_next[c] = h;
        s->rq_head[b] = h = c;
        s->rq_fill[b] = 0;
        s->rq_mask |= 1u << b;
    }
    s->heap[(size_t)h * CC__RQ_CHUNK + s->rq_fill[b]++] = (cc__heap_item){cost, node};
    if (cost < s->rq_min[b]) s->rq_min[b] = cost;
}

/* Smallest entry (among equal keys, the last pushed) into *out; false when the queue is empty.
 * When bucket 0 is empty, the first non-empty bucket is emptied: its smallest key (kept while
 * pushing) becomes the last popped key and each of its entries moves to a lower bucket. */
static inline bool rq_pop(cc_search *s, cc__heap_item *out)
{
    if (!(s->rq_mask & 1u)) {
        if (!s->rq_mask) return false;
        const uint32_t b = (uint32_t)__builtin_ctz(s->rq_mask);
        uint32_t h = s->rq_head[b], fill = s->rq_fill[b];
        s->rq_head[b] = CC__RQ_NONE;
        s->rq_fill[b] = CC__RQ_CHUNK;
        s->rq_mask &= ~(1u << b);
        s->rq_last = s->rq_min[b];
        s->rq_min[b] = UINT32_MAX;
        if (fill == 1 && s->chunk_next[h] == CC__RQ_NONE) { /* one entry (sparse keys): pop it at once */
            *out = s->heap[(size_t)h * CC__RQ_CHUNK];
            s->chunk_next[h] = s->free_chunk;
            s->free_chunk = h;
            return true;
        }
        for (uint32_t c = h, f = fill; c != CC__RQ_NONE; f = CC__RQ_CHUNK) {
            const cc__heap_item *it = s->heap + (size_t)c * CC__RQ_CHUNK;
            for (uint32_t i = 0; i < f; i++) rq_push(s, it[i].cost, it[i].node);
            uint32_t next = s->chunk_next[c];
            s->chunk_next[c] = s->free_chunk;
            s->free_chunk = c;
            c = next;
        }
    }
    uint32_t h = s->rq_head[0];
    *out = s->heap[(size_t)h * CC__RQ_CHUNK + --s->rq_fill[0]];
    if (s->rq_fill[0] == 0) { /* top chunk empty: back to the pool; the next one down is full */
        s->rq_head[0] = s->chunk_next[h];
        s->chunk_next[h] = s->free_chunk;
        s->free_chunk = h;
        s->rq_fill[0] = CC__RQ_CHUNK;
        if (s->rq_head[0] == CC__RQ_NONE) s->rq_mask &= ~1u;
    }
    return true;
}

cc_status cc_search_create(cc_ctx *ctx, const cc_graph *g, cc_search **out)
{
    cc_search *s = calloc(1, sizeof(*s));
    *out = NULL;
    if (!s) return cc__fail(ctx, CC_ERR_NOMEM, "Out of memory creating a search workspace");
    s->g = g;
    s->n = g->n_nodes;
    s->queue = CC__QUEUE_DEFAULT;
    size_t chunks = cc__search_chunks(g);
    if (chunks >= CC__RQ_NONE) {
        free(s);
        return cc__fail(ctx, CC_ERR_LIMIT, "A search workspace for %u nodes and %u edges needs too many queue chunks", g->n_nodes,
                        g->n_edges);
    }
    s->n_chunks = (uint32_t)chunks;
    s->heap_cap = chunks * CC__RQ_CHUNK; /* >= nodes + edges + 1 */
    s->lab = cc__malloc_array(s->n, sizeof(cc__label));
    s->touched = cc__malloc_array(s->n, sizeof(uint32_t));
    s->heap = cc__malloc_array(s->heap_cap, sizeof(cc__heap_item));
    s->chunk_next = cc__malloc_array(s->n_chunks, sizeof(uint32_t));
    s->settled = cc__malloc_array(s->n, sizeof(uint32_t));
    if (!s->lab || !s->touched || !s->heap || !s->chunk_next || !s->settled) {
        cc_search_destroy(s);
        return cc__fail(ctx, CC_ERR_NOMEM, "Out of memory creating a search workspace (%u nodes, %u edges)", g->n_nodes,
                        g->n_edges);
    }
    for (uint32_t v = 0; v < s->n; v++) s->lab[v] = (cc__label){CC_INF_COST, CC_INVALID_ID};
    rq_reset(s);
    *out = s;
    return CC_OK;
}

void cc_search_destroy(cc_search *s)
{
    if (!s) return;
    free(s->lab);
    free(s->touched);
    free(s->heap);
    free(s->chunk_next);
    free(s->settled);
    free(s);
}

void cc__search_set_queue(cc_search *s, cc__queue_kind q)
{
    s->queue = q;
}

uint32_t cc_search_get_cost(const cc_search *s, uint32_t node)
{
    return node < s->n ? cc__search_cost(s, node) : CC_INF_COST;
}

uint32_t cc_search_get_origin(const cc_search *s, uint32_t node)
{
    return (node < s->n && cc__search_cost(s, node) != CC_INF_COST) ? s->lab[node].origin : CC_INVALID_ID;
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

static inline void push(cc_search *s, uint32_t cost, uint32_t node)
{
    size_t i = s->heap_n++;
    while (i > 0) {
        size_t p = (i - 1) >> 1;
        if (s->heap[p].cost <= cost) break;
        s->heap[i] = s->heap[p];
        i = p;
    }
    s->heap[i] = (cc__heap_item){cost, node};
}

static inline cc__heap_item pop(cc_search *s)
{
    cc__heap_item top = s->heap[0], last = s->heap[--s->heap_n];
    const size_t n = s->heap_n;
    size_t i = 0;
    for (;;) {
        size_t c = 2 * i + 1;
        if (c >= n) break;
        if (c + 1 < n && s->heap[c + 1].cost < s->heap[c].cost) c++;
        if (last.cost <= s->heap[c].cost) break;
        s->heap[i] = s->heap[c];
        i = c;
    }
    if (n) s->heap[i] = last;
    return top;
}

/* Offer (c, o) to an unsettled node v; true when it improves v's label (the caller pushes). */
static inline bool improve(cc_search *s, uint32_t v, uint32_t c, uint32_t o)
{
    cc__label *l = &s->lab[v];
    if (l->cost == CC_INF_COST) {
        s->touched[s->n_touched++] = v;
    } else if (l->cost & CC__SETTLED || c > l->cost || (c == l->cost && o >= l->origin)) {
        return false;
    }
    l->cost = c;
    l->origin = o;
    return true;
}

/* Settle @p u (popped with its label's cost) and offer its edges; @p radix is a constant at each
 * call, so each queue gets its own inlined loop (forced: left to itself GCC made this a call
 * with a branch per edge, 5-10% of the search's time). */
static inline __attribute__((always_inline)) void settle(cc_search *s, const uint32_t *first, const cc_edge *edges, uint32_t u, uint32_t limit_ms, bool radix)
{
    cc__label *lu = &s->lab[u];
    const uint32_t cu = lu->cost, ou = lu->origin;
    lu->cost |= CC__SETTLED;
    s->settled[s->n_settled++] = u;
    for (uint32_t e = first[u], end = first[u + 1]; e < end; e++) {
        uint32_t c = cu + edges[e].cost_ms, v = edges[e].head;
        if (c <= limit_ms && improve(s, v, c, ou)) {
            if (radix)
                rq_push(s, c, v);
            else
                push(s, c, v);
        }
    }
}

void cc_search_run(cc_search *s, cc_direction dir, const cc_seed *seeds, size_t n_seeds, uint32_t limit_ms)
{
    const cc_graph *g = s->g;
    const uint32_t *first = dir == CC_FORWARD ? g->fwd_first : g->bwd_first;
    const cc_edge *edges = dir == CC_FORWARD ? g->fwd : g->bwd;

    for (uint32_t i = 0; i < s->n_touched; i++) s->lab[s->touched[i]] = (cc__label){CC_INF_COST, CC_INVALID_ID};
    s->n_touched = 0;
    s->heap_n = 0;
    s->n_settled = 0;
    if (s->rq_mask) rq_reset(s); /* never after a finished run: every run empties its queue */
    s->rq_last = 0;
    if (limit_ms >= CC_INF_COST) limit_ms = CC_INF_COST - 1;
    /* seeds: label all, then push each seeded node once (the touched list holds each once) */
    for (size_t i = 0; i < n_seeds; i++)
        if (seeds[i].node < s->n && seeds[i].cost_ms <= limit_ms)
            (void)improve(s, seeds[i].node, seeds[i].cost_ms, seeds[i].origin);

    if (s->queue == CC__QUEUE_HEAP) {
        for (uint32_t i = 0; i < s->n_touched; i++) push(s, s->lab[s->touched[i]].cost, s->touched[i]);
        while (s->heap_n) {
            cc__heap_item top = pop(s);
            if (s->lab[top.node].cost != top.cost) continue; /* stale: improved since, or settled already */
            settle(s, first, edges, top.node, limit_ms, false);
        }
    } else {
        for (uint32_t i = 0; i < s->n_touched; i++) rq_push(s, s->lab[s->touched[i]].cost, s->touched[i]);
        cc__heap_item top;
        while (rq_pop(s, &top)) {
            if (s->lab[top.node].cost != top.cost) continue; /* stale, as above */
            settle(s, first, edges, top.node, limit_ms, true);
        }
    }
    s->settled_total += s->n_settled;
}
