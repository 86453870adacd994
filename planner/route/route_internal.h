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

/* A heap entry: cost when pushed and node. Entries go stale when the node improves or settles
 * (lazy deletion): no positions to maintain while sifting. */
typedef struct cc__heap_item {
    uint32_t cost, node;
} cc__heap_item;

struct cc_search {
    const cc_graph *g;
    uint32_t n;
    cc__label *lab;      /* per node */
    uint32_t *touched;   /* nodes labelled by the last search, reset at the start of the next */
    uint32_t n_touched;
    cc__heap_item *heap; /* capacity nodes + edges: the most a search can push */
    size_t heap_n, heap_cap;
    uint32_t *settled;
    uint32_t n_settled;
    uint64_t settled_total;
};

/* Bytes of one search workspace on graph @p g: label, touched and settled list per node, heap
 * entries for nodes + edges. */
static inline size_t cc__search_bytes(const cc_graph *g)
{
    return (size_t)g->n_nodes * (sizeof(cc__label) + 2 * sizeof(uint32_t)) +
           ((size_t)g->n_nodes + g->n_edges + 1) * sizeof(cc__heap_item);
}

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
