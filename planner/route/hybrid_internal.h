/*
 * hybrid_internal.h - one multi-source search over the cells of a friction surface (implicit
 * graph, 8 or 16 neighbours) and the augmented road graph (cc__roadlink), in seconds (double),
 * keyed (time, origin): the nearest source, ties to the smaller origin, exactly as a Dijkstra
 * on the explicit graph would give.
 *
 * Node ids: cells 0 .. n_cells-1, then the road-link nodes (graph nodes, then transfer points).
 * CC_REVERSE: labels are times from each node TO the nearest source (a patient travelling
 * towards a facility: moves are costed in the patient's direction). CC_FORWARD: from the
 * sources to each node (a station driving to the patient).
 */
#ifndef CC_HYBRID_INTERNAL_H
#define CC_HYBRID_INTERNAL_H

#include "carecircle/cc_route.h"
#include "../graph/friction_internal.h"

struct cc__hyb_item {
    double cost;
    uint32_t origin, node;
};

typedef struct cc__hybrid {
    const cc__friction *f;
    const cc__roadlink *rl; /* NULL: off-road only */
    size_t n_cells, n;
    double *cost;     /* seconds; INFINITY: not reached */
    uint32_t *origin; /* source origin of the label */
    float *road_s;    /* seconds of the label's path spent on roads */
    uint32_t *pos;    /* heap position, or one of the marks below */
    struct cc__hyb_item *heap; /* keys stored with the node: no indirect loads while sifting */
    size_t heap_n, heap_cap;
    bool nomem;       /* the heap could not grow */
    uint64_t settled;
} cc__hybrid;

/* Bytes per cell and per road-link node of a search workspace (heap entries, 16 bytes each, only
 * for the frontier: counted as 4 bytes per node). */
#define CC__HYBRID_BYTES_PER_NODE (sizeof(double) + 2 * sizeof(uint32_t) + sizeof(float) + 4)

cc_status cc__hybrid_init(cc_ctx *ctx, const cc__friction *f, const cc__roadlink *rl, cc__hybrid *h);
void cc__hybrid_free(cc__hybrid *h);

/* A source: node id (cell or road-link node + n_cells), start time, origin (e.g. facility index). */
typedef struct cc__hybrid_seed {
    uint64_t node;
    double cost_s;
    uint32_t origin;
} cc__hybrid_seed;

/* Run the search from @p seeds (labels of a previous run are cleared), settling nodes up to
 * @p limit_s seconds (INFINITY: all); labels above the limit are left unreached (INFINITY).
 * Stops early when cc__interrupted(ctx) (then fails with CC_ERR_INTERRUPTED). */
cc_status cc__hybrid_run(cc_ctx *ctx, cc__hybrid *h, const cc__hybrid_seed *seeds, size_t n_seeds, cc_direction dir, double limit_s);

#endif
