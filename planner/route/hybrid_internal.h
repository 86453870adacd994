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

/* A heap entry keyed (time, origin, node) as two unsigned integers compared in order: the bits of
 * a time of at least +0.0 order as the time does, then origin << 32 | node. */
struct cc__hyb_item {
    uint64_t t_bits, on;
};

/* A node's label is split: its time (cost[], 8 bytes, the only part a relaxation reads) and what
 * is written with it and read only when the node is settled (aux[], 8 bytes). */
struct cc__hyb_aux {
    uint32_t origin; /* source origin of the label */
    float road_s;    /* seconds of the label's path spent on roads */
};

#define CC__HYB_DIAL 1024 /* buckets on the ring of the cells-only bucket queue, a power of two */

typedef struct cc__hybrid {
    const cc__friction *f;
    const cc__roadlink *rl; /* NULL: off-road only */
    size_t n_cells, n;
    double *cost;            /* seconds; INFINITY: not reached (cc__hybrid_cost()) */
    struct cc__hyb_aux *aux; /* cc__hybrid_origin(), cc__hybrid_road_s() */
    uint8_t *state;          /* not labelled, labelled, settled, impassable cell (hybrid.c): a byte per node, dense in cache */
    double *dmv;             /* h x 16: length of the move costed when cell row r relaxes its neighbour k (per run's direction) */
    /* the queue: a radix heap over the time's bits (hybrid.c), entries (time, origin, node),
     * stale ones skipped when popped */
    struct cc__hyb_bucket {
        struct cc__hyb_item *a;
        size_t n, cap;
    } bk[65];
    uint64_t last; /* the time bits of the last entry popped */
    /* the bucket queue of a search over cells alone (no roads, no ferries; hybrid.c): buckets of
     * times [i w, (i + 1) w) with w half the cheapest move, node ids, on a ring of CC__HYB_DIAL
     * buckets, those beyond it in an overflow list */
    struct cc__hyb_ids {
        uint32_t *a;
        size_t n, cap;
    } ring[CC__HYB_DIAL], over;
    double dial_inv_w; /* 1 / w */
    bool dial_far;     /* a time beyond 2^50 buckets: the run is redone in order */
    bool nomem;       /* the heap could not grow */
    uint64_t settled;
} cc__hybrid;

/* Bytes per cell and per road-link node of a search workspace (queue entries, 16 bytes each, only
 * for the frontier and its stale entries: counted as 4 bytes per node). */
#define CC__HYBRID_BYTES_PER_NODE (sizeof(double) + sizeof(struct cc__hyb_aux) + 1 + 4)

/* The label of node @p i after a run: seconds (INFINITY: not reached) and the source's origin. */
static inline double cc__hybrid_cost(const cc__hybrid *h, size_t i)
{
    return h->cost[i];
}
static inline uint32_t cc__hybrid_origin(const cc__hybrid *h, size_t i)
{
    return h->aux[i].origin;
}
/* Seconds of node @p i's label spent on roads (and ferries). */
static inline float cc__hybrid_road_s(const cc__hybrid *h, size_t i)
{
    return h->aux[i].road_s;
}

cc_status cc__hybrid_init(cc_ctx *ctx, const cc__friction *f, const cc__roadlink *rl, cc__hybrid *h);
void cc__hybrid_free(cc__hybrid *h);

/* A source: node id (cell or road-link node + n_cells), start time, origin (e.g. facility index). */
typedef struct cc__hybrid_seed {
    uint64_t node;
    double cost_s;
    uint32_t origin;
} cc__hybrid_seed;

/* Run the search from @p seeds (labels of a previous run are cleared), with the labels of a search
 * settling nodes in the order of (time, origin, node id) (over cells alone, the bucket queue
 * settles in another order with the same labels: hybrid.c run_dial) up to
 * @p limit_s seconds (INFINITY: all); labels above the limit are left unreached (INFINITY).
 * Stops early when cc__interrupted(ctx) (then fails with CC_ERR_INTERRUPTED). */
cc_status cc__hybrid_run(cc_ctx *ctx, cc__hybrid *h, const cc__hybrid_seed *seeds, size_t n_seeds, cc_direction dir, double limit_s);

#endif
