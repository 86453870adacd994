/*
 * access_internal.h - travel times from demand locations to facilities.
 *
 * Model (README.md, "Travel-time model"): a point joins the network at the nearest point of
 * the nearest drivable arc by a straight off-road leg at the off-road speed, if that leg is at
 * most the maximum snap distance. Its time to a facility is its off-road leg + the network
 * time between the two join points (interpolated along the joined arcs, honouring oneway) +
 * the facility's off-road leg.
 *
 * Directions: CC_REVERSE computes patient -> facility (coverage, catchments); CC_FORWARD
 * computes facility -> patient (emergency stations dispatching ambulances).
 */
#ifndef CC_ACCESS_INTERNAL_H
#define CC_ACCESS_INTERNAL_H

#include <stdint.h>

#include "../graph/snap_internal.h"
#include "../route/route_internal.h"

/* Off-road leg in ms for @p d_m metres at @p kmh. */
static inline uint32_t cc__offroad_ms(double d_m, double kmh)
{
    double ms = d_m / (kmh / 3.6) * 1000.0;
    return ms < (double)CC_MAX_EDGE_COST ? (uint32_t)(ms + 0.5) : CC_MAX_EDGE_COST;
}

/* Time in ms to travel along arc @p a from position @p from to position @p to (metres from
 * u), CC_INF_COST when that direction is closed. */
static inline uint32_t cc__along(const cc_graph *g, uint32_t a, double from, double to)
{
    double len = g->arc_len_m[a], dist = to >= from ? to - from : from - to;
    /* no move (below a millimetre) costs nothing, whatever the arc's direction: a point on a
     * node is that node */
    if (dist < 1e-3) return 0;
    uint32_t c = to >= from ? g->arc_cost_f[a] : g->arc_cost_b[a];
    if (c == CC_INF_COST) return CC_INF_COST;
    double frac = len > 0 ? dist / len : 0.0;
    if (frac > 1.0) frac = 1.0;
    return (uint32_t)((double)c * frac + 0.5);
}

/* Join @p n points to the drivable network (nearest arc within the profile's maximum snap
 * distance, in parallel) and their off-road legs in ms (CC_INF_COST when not joined). Allocates
 * *join and *off (owned by the caller, also on failure); CC_ERR_INTERRUPTED on SIGINT/SIGTERM.
 * @p snap NULL (no road network): no point joins. */
cc_status cc__join_points(cc_ctx *ctx, const cc__snap_index *snap, const cc_profile *profile, const double *x,
                          const double *y, size_t n, cc__join **join, uint32_t **off);

/* Seeds (at most 2) for a facility joined at @p j with off-road leg @p off_ms:
 * REVERSE: costs from the arc ends to the facility; FORWARD: from the facility to the ends. */
size_t cc__facility_seeds(const cc_graph *g, cc__join j, uint32_t off_ms, uint32_t origin, cc_direction dir, cc_seed out[2]);

/* Time (without the location's own off-road leg) between a location joined at @p j and the
 * search's seeds, using settled labels of @p s; CC_INF_COST when unreachable. */
uint32_t cc__loc_time(const cc_search *s, cc_direction dir, cc__join j, uint32_t *origin);

/* Index of locations by arc and of arcs-with-locations by node, for bounded enumeration. */
typedef struct cc__loc_index {
    uint32_t n_arcs, n_nodes;
    uint32_t *arc_first; /* n_arcs + 1 */
    uint32_t *locs;      /* location ids grouped by arc */
    uint32_t *node_first;/* n_nodes + 1 */
    uint32_t *node_arcs; /* arcs with locations, by incident node */
} cc__loc_index;

cc_status cc__loc_index_build(cc_ctx *ctx, const cc_graph *g, const cc__join *join, size_t n, cc__loc_index *out);
void cc__loc_index_free(cc__loc_index *ix);

/* Per-thread workspace for bounded reach enumeration. */
typedef struct cc__reach_ws {
    cc_search *s;
    uint32_t *arc_stamp;
    uint32_t gen;
    uint32_t *loc;  /* reached locations */
    uint32_t *t_ms; /* their times (location off-road leg included) */
    size_t n;
    uint32_t *nodes, *nodes_tmp; /* the settled nodes in id order (n_nodes each) */
} cc__reach_ws;

cc_status cc__reach_ws_init(cc_ctx *ctx, const cc_graph *g, size_t n_loc, cc__reach_ws *ws);
void cc__reach_ws_free(cc__reach_ws *ws);

/* All locations within @p limit_ms of the facility joined at @p fj (off-road leg @p f_off):
 * a bounded Dijkstra, then every location on an arc that touches a settled node (or on the
 * facility's own arc). Results in ws->loc / ws->t_ms (ws->n of them), in an order that depends
 * only on the graph, the locations and the facility: the facility's arc, then the arcs of the
 * settled nodes taken in node id order (never in the search's pop order, which differs between
 * queues among equal costs), so consumers that sum in list order get the same bits whatever the
 * queue. Allocation-free. */
void cc__reach(cc__reach_ws *ws, const cc_graph *g, const cc__loc_index *ix, const cc__join *ljoin, const uint32_t *loff,
               cc__join fj, uint32_t f_off, cc_direction dir, uint32_t limit_ms);

/* @p n node ids from @p in sorted ascending into @p out (@p tmp: scratch of n), ids below
 * @p n_nodes. */
void cc__sort_nodes(const uint32_t *in, size_t n, uint32_t n_nodes, uint32_t *out, uint32_t *tmp);

/* For the lanes of contraction-hierarchy batches: the time in direction @p dir between each
 * located point (in ix->locs order) and its arc's first (*pu) and second (*pv) node, its off-road
 * leg included (CC_INF_COST when that direction of the arc is closed): what cc__reach computes
 * again for every facility. */
cc_status cc__loc_along_build(cc_ctx *ctx, const cc_graph *g, const cc__loc_index *ix, const cc__join *ljoin, const uint32_t *loff,
                              cc_direction dir, uint32_t **pu, uint32_t **pv);

/* The located points by node, for listing the people that the lanes of a contraction-hierarchy
 * batch reach; built once per coverage-sets build (direction, limit and keep filter fixed), read
 * by every thread. Per entry of ix->node_arcs (node x, arc a): the hierarchy position of a's other
 * end and flags (bit 0: x is a's v end; bit 1: x lists a when reached, because the other end has
 * a larger id or a is a loop; else x lists it only when the other end is not reached). Per point
 * (ix->locs order): its times to the arc's ends (cc__loc_along_build) and the bound its time must
 * stay under (limit + 1, or keep_lt of the point when smaller). */
typedef struct cc__reach_lanes_ix {
    const cc__loc_index *ix;
    const cc__ch *ch;
    uint32_t limit_ms;
    uint32_t *opos;
    uint8_t *flags;
    uint32_t *pu, *pv, *bound;
    uint32_t *npts;   /* per node: points on its located arcs (a bound on what it lists) */
    uint32_t max_arc; /* most points on one arc */
} cc__reach_lanes_ix;

cc_status cc__reach_lanes_ix_build(cc_ctx *ctx, const cc_graph *g, const cc__ch *ch, const cc__loc_index *ix, const cc__join *ljoin,
                                   const uint32_t *loff, cc_direction dir, uint32_t limit_ms, const uint32_t *keep_lt,
                                   cc__reach_lanes_ix *lx);
void cc__reach_lanes_ix_free(cc__reach_lanes_ix *lx);

/* Per-thread workspace: how many points each lane reached (n[k]) and sorting room. */
typedef struct cc__reach_lanes {
    size_t n[CC__CH_LANES];
    uint32_t *nodes, *tmp, *scratch; /* n_nodes each */
} cc__reach_lanes;

cc_status cc__reach_lanes_init(cc_ctx *ctx, const cc_graph *g, cc__reach_lanes *w);
void cc__reach_lanes_free(cc__reach_lanes *w);

/* After a batch run from the seeds of facilities fj[k] (cc__facility_seeds with origin = lane k
 * and off-road leg f_off[k]) with the limit of @p lx: each lane's reached points kept by lx's
 * bound, the same list in the same order as cc__reach from that facility followed by its keep
 * filter (the facility's arc, then the arcs of the reached nodes in node id order, each once).
 * @p dem NULL: only counted into w->n[k]; else written to dem[k] (ids) and t_out[k] (times,
 * unless t_out is NULL), where @p cnt[k] must be lane k's count from a counting run (no write
 * goes past it). Lanes whose facility is not joined list nothing. The nodes are walked once for
 * all lanes (a node's lane costs and the other ends' read once), the points of an arc once per
 * lane that lists it. */
void cc__reach_lanes_run(cc__reach_lanes *w, const cc__reach_lanes_ix *lx, const cc_graph *g, const cc__join *ljoin,
                         const uint32_t *loff, const cc__ch_batch *b, const cc__join *fj, const uint32_t *f_off, uint32_t n_lanes,
                         cc_direction dir, uint32_t *const *dem, uint32_t *const *t_out, const uint64_t *cnt);

/* Nearest facility of each set for every location.
 * Facility f belongs to set k when in_set[k * n_fac + f] != 0. Output arrays are
 * n_sets * n_loc, row k for set k: time in ms (CC_INF_COST: unreachable or no road access)
 * and facility index (CC_INVALID_ID). One Dijkstra per set (in parallel), then the locations
 * in parallel. */
cc_status cc__nearest(cc_ctx *ctx, const cc_graph *g, const cc__join *fjoin, const uint32_t *foff, size_t n_fac,
                      const uint8_t *in_set, size_t n_sets, const cc__join *ljoin, const uint32_t *loff, size_t n_loc,
                      cc_direction dir, uint32_t *time_ms, uint32_t *fac);

#endif
