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

/* ---- contraction hierarchy (ch.c) ------------------------------------------------------------
 * Nodes are contracted one at a time in the order of a priority (edge difference as the ratio of
 * arcs added to arcs removed, the same for hops, and the contraction depth = deleted neighbours'
 * level), kept in an indexed heap with lazy updates; witness searches are bounded by a number of
 * settled nodes, so a missed witness only adds a shortcut (never a wrong distance). A shortcut
 * keeps its middle node. Costs are integer ms; shortcuts longer than CC_INF_COST - 1 are never
 * added (no search reports a cost above that). Every arc of the hierarchy joins a lower-ranked
 * node lo to a higher-ranked node hi and is either "up" (lo -> hi) or "down" (hi -> lo).
 * Positions: 0 = the highest rank, n - 1 the lowest; the four CSRs are indexed by position:
 *   upout[lo]  = (hi, w) for up arcs      (forward searches: upward phase)
 *   downin[lo] = (hi, w) for down arcs    (reverse searches: upward phase)
 *   downout[hi] = (lo, w) for down arcs   (forward searches: downward phase)
 *   upin[hi]   = (lo, w) for up arcs      (reverse searches: downward phase)
 * Heads are positions too. Immutable after build, shared by threads. */
typedef struct cc__ch {
    uint32_t n;
    uint32_t *pos;  /* node -> position */
    uint32_t *node; /* position -> node */
    uint32_t *upout_first, *downin_first, *downout_first, *upin_first; /* n + 1 each */
    cc_edge *upout, *downin, *downout, *upin;
    /* every arc once (for unpacking): position of lo and hi, cost, middle node (CC_INVALID_ID
     * for an arc of the graph), 1 = up */
    uint32_t n_arcs, n_shortcuts;
    uint32_t *arc_lo, *arc_hi, *arc_w, *arc_mid;
    uint8_t *arc_up;
    double build_s; /* wall seconds of cc__ch_build */
} cc__ch;

/* Hierarchy of the directed graph given as a forward CSR (n nodes; edges of u are
 * edges[first[u]] .. edges[first[u+1]-1]); parallel arcs (the cheapest is kept), self loops and
 * zero-cost arcs are allowed. @return CC_OK, CC_ERR_NOMEM. */
cc_status cc__ch_build_csr(cc_ctx *ctx, uint32_t n, const uint32_t *first, const cc_edge *edges, cc__ch *out);
cc_status cc__ch_build(cc_ctx *ctx, const cc_graph *g, cc__ch *out);
void cc__ch_free(cc__ch *ch);
/* The hierarchy on disk (issue 19: kept in the cache folder across runs). The key of a graph given
 * as a forward CSR (SHA-256 of the format version and the CSR's bytes): a hierarchy is a function
 * of it alone. cc__ch_serialise: the file's bytes (malloc'd, *len set; NULL when out of memory).
 * cc__ch_from_memory: a hierarchy from those bytes, built from the graph of @p key (NULL: any),
 * with the checksum compared when @p check_sum; false with the reason in @p why for anything
 * else (never an index out of range in what it returns). */
void cc__ch_key(uint32_t n, const uint32_t *first, const cc_edge *edges, uint8_t key[32]);
uint8_t *cc__ch_serialise(const cc__ch *ch, const uint8_t key[32], size_t *len);
bool cc__ch_from_memory(const uint8_t *buf, size_t len, const uint8_t key[32], bool check_sum, cc__ch *out, char *why, size_t n_why);
/* Bytes held by the hierarchy (CSRs, arc list, positions). */
size_t cc__ch_bytes(const cc__ch *ch);

/* Many-source bounded searches on the hierarchy, CC__CH_LANES sources at a time (PHAST with the
 * sweep restricted to the nodes that some lane reaches within the bound, and, when a selection is
 * given, to the nodes above a target: RPHAST's target selection). Each lane's costs are exactly
 * those of cc_search_run from the same seeds (every node within the limit; its cost). */
#define CC__CH_LANES 16
typedef struct cc__ch_batch {
    const cc__ch *ch;
    cc_direction dir;
    uint32_t *d;          /* n x CC__CH_LANES costs, by position (CC_INF_COST: not reached) */
    uint64_t *act, *seen; /* bitmaps by position */
    const uint64_t *sel;  /* NULL, or the positions to sweep (cc__ch_select) */
    uint32_t *touched;    /* positions with a cost in some lane, in no particular order */
    uint32_t n_touched;
    uint32_t limit_ms;
} cc__ch_batch;

cc_status cc__ch_batch_init(cc_ctx *ctx, const cc__ch *ch, cc_direction dir, const uint64_t *sel, cc__ch_batch *b);
void cc__ch_batch_free(cc__ch_batch *b);
/* Searches from seeds; seeds[i].origin is the lane (< CC__CH_LANES) of seed i. */
void cc__ch_batch_run(cc__ch_batch *b, const cc_seed *seeds, size_t n_seeds, uint32_t limit_ms);
/* Only the upward phase (point-to-point queries: lane costs are upward distances). */
void cc__ch_batch_upward(cc__ch_batch *b, const cc_seed *seeds, size_t n_seeds, uint32_t limit_ms);
/* Cost of @p node in @p lane after a run: CC_INF_COST when above the limit or not reached. */
static inline uint32_t cc__ch_batch_cost(const cc__ch_batch *b, uint32_t node, uint32_t lane)
{
    uint32_t c = b->d[(size_t)b->ch->pos[node] * CC__CH_LANES + lane];
    return c <= b->limit_ms ? c : CC_INF_COST;
}
/* Nodes within the limit after a run, summed over the lanes (without a selection: what
 * cc_search_run from each lane's seeds settles, summed). */
uint64_t cc__ch_batch_reached(const cc__ch_batch *b);
/* Positions whose costs matter for searches in @p dir when only @p targets (node ids) are read:
 * the targets and every node above one of them. Bitmap by position, malloc'ed into *sel. */
cc_status cc__ch_select(cc_ctx *ctx, const cc__ch *ch, cc_direction dir, const uint32_t *targets, size_t n_targets, uint64_t **sel);
/* Point-to-point cost s -> t (bidirectional upward searches, meeting at the lowest sum);
 * @p fw, @p bw: batches in FORWARD and REVERSE direction without selection. CC_INF_COST when t
 * is not reached within CC_INF_COST - 1. */
uint32_t cc__ch_query(cc__ch_batch *fw, cc__ch_batch *bw, uint32_t s, uint32_t t);

#endif
