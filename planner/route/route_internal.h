/* route_internal.h - the search workspace, visible to modules that read labels in bulk. */
#ifndef CC_ROUTE_INTERNAL_H
#define CC_ROUTE_INTERNAL_H

#include "carecircle/cc_route.h"
#include "../graph/graph_internal.h"

typedef struct cc__heap_item {
    uint32_t key;  /* cost in ms */
    uint32_t node;
} cc__heap_item;

struct cc_search {
    const cc_graph *g;
    uint32_t n;
    uint32_t gen;     /* current generation; labels with stamp != gen are unset */
    uint32_t *stamp;  /* per node */
    uint32_t *cost;   /* per node, valid when stamp == gen */
    uint32_t *origin; /* per node, valid when stamp == gen */
    uint32_t *pos;    /* heap position + 1, 0 = settled (valid when stamp == gen) */
    cc__heap_item *heap;
    uint32_t heap_n;
    uint32_t *settled;
    uint32_t n_settled;
    uint64_t settled_total;
};

/* Label of @p v when it was settled in the last run, else CC_INF_COST. Hot path. */
static inline uint32_t cc__search_cost(const cc_search *s, uint32_t v)
{
    return (s->stamp[v] == s->gen && s->pos[v] == 0) ? s->cost[v] : CC_INF_COST;
}

#endif
