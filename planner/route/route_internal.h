/* route_internal.h - the search workspace, visible to modules that read labels in bulk. */
#ifndef CC_ROUTE_INTERNAL_H
#define CC_ROUTE_INTERNAL_H

#include "carecircle/cc_route.h"
#include "../graph/graph_internal.h"

/* Bit 31 of a label's cost marks a settled node (costs stay below CC_INF_COST = 2^31 - 1). */
#define CC__SETTLED 0x80000000u

/* What a search keeps about one node: 8 bytes, so that the labels of a 2-million-node graph
 * (16 MiB) stay far smaller than with one array per field. cost == CC_INF_COST: not touched. */
typedef struct cc__label {
    uint32_t cost;   /* ms, | CC__SETTLED once settled */
    uint32_t origin; /* seed origin of the best offer (ties: smaller origin) */
} cc__label;

/* A queue entry: cost when pushed and node. Entries go stale when the node improves or settles
 * (lazy deletion): no positions to maintain while sifting or moving between buckets. */
typedef struct cc__heap_item {
    uint32_t cost, node;
} cc__heap_item;

/* The priority queues of the search (dijkstra.c). Both give the same labels; only the order of
 * equal-cost nodes in the settled list differs. The binary heap is the default (measured faster
 * except on long searches over millions of nodes, benchmarks/RESULTS.md); the radix heap stays
 * for the benchmarks (bench_scale runs both in one process) and the cross-check tests. */
typedef enum cc__queue_kind {
    CC__QUEUE_RADIX = 0, /* monotone radix heap, 32 buckets of chunks */
    CC__QUEUE_HEAP = 1   /* binary heap, lazy deletion */
} cc__queue_kind;

/* Radix heap: keys are 31-bit costs; bucket b > 0 holds entries whose key differs from the last
 * popped key first in bit b - 1, bucket 0 those equal to it. A bucket is a stack of chunks of
 * CC__RQ_CHUNK entries (only the top chunk partly filled) taken from one pool. */
#define CC__RQ_BUCKETS 32
#define CC__RQ_CHUNK 64u
#define CC__RQ_NONE 0xFFFFFFFFu

struct cc_search {
    const cc_graph *g;
    uint32_t n;
    cc__queue_kind queue;
    cc__label *lab;      /* per node */
    uint32_t *touched;   /* nodes labelled by the last search, reset at the start of the next */
    uint32_t n_touched;
    cc__heap_item *heap; /* the binary heap, or the radix heap's chunk pool: room for nodes + edges
                            entries (the most a search can push) and a chunk per bucket */
    size_t heap_n, heap_cap;
    uint32_t *chunk_next; /* radix heap: next chunk down a bucket's stack, or in the free list */
    uint32_t n_chunks, free_chunk;
    uint32_t rq_head[CC__RQ_BUCKETS]; /* top chunk of each bucket, CC__RQ_NONE when empty */
    uint32_t rq_fill[CC__RQ_BUCKETS]; /* entries in the top chunk (CC__RQ_CHUNK when empty) */
    uint32_t rq_min[CC__RQ_BUCKETS];  /* smallest key in each bucket (UINT32_MAX when empty) */
    uint32_t rq_mask;                 /* bit b: bucket b is not empty */
    uint32_t rq_last;                 /* last popped key */
    uint32_t *settled;
    uint32_t n_settled;
    uint64_t settled_total;
};

/* Chunks in the radix heap's pool for graph @p g: every entry a search can push, plus the
 * partly filled top chunk of every bucket and the chunk being redistributed. */
static inline size_t cc__search_chunks(const cc_graph *g)
{
    return ((size_t)g->n_nodes + g->n_edges + 1 + CC__RQ_CHUNK - 1) / CC__RQ_CHUNK + CC__RQ_BUCKETS + 2;
}

/* Bytes of one search workspace on graph @p g: label, touched and settled list per node, queue
 * entries for nodes + edges (and a chunk per bucket, a link per chunk). */
static inline size_t cc__search_bytes(const cc_graph *g)
{
    return (size_t)g->n_nodes * (sizeof(cc__label) + 2 * sizeof(uint32_t)) +
           cc__search_chunks(g) * (CC__RQ_CHUNK * sizeof(cc__heap_item) + sizeof(uint32_t));
}

/* The queue of a new workspace; -DCC__QUEUE_DEFAULT=CC__QUEUE_RADIX builds the whole program on
 * the radix heap (how scripts/same_outputs showed that outputs do not depend on the queue). */
#ifndef CC__QUEUE_DEFAULT
#define CC__QUEUE_DEFAULT CC__QUEUE_HEAP
#endif

/* Which queue the next runs of @p s use (benchmarks and tests). */
void cc__search_set_queue(cc_search *s, cc__queue_kind q);

/* Cost of @p v when it was settled in the last run, else CC_INF_COST. Hot path. */
static inline uint32_t cc__search_cost(const cc_search *s, uint32_t v)
{
    uint32_t c = s->lab[v].cost;
    return (c & CC__SETTLED) ? (c & ~CC__SETTLED) : CC_INF_COST;
}

/* Origin of a settled node (only meaningful when cc__search_cost(s, v) != CC_INF_COST). */
static inline uint32_t cc__search_origin(const cc_search *s, uint32_t v)
{
    return s->lab[v].origin;
}

#endif
