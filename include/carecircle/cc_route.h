/*
 * cc_route.h - Dijkstra searches over a cc_graph with a reusable per-thread workspace.
 *
 * A cc_search holds the labels, heap and settled list for one search at a time. It is
 * allocated once per thread (O(nodes) memory) and recycled: starting a new search costs
 * O(1), not O(nodes), because labels carry a generation stamp (RoutingKit-style).
 */
#ifndef CC_ROUTE_H
#define CC_ROUTE_H

#include <stddef.h>
#include <stdint.h>

#include "cc_api.h"
#include "cc_ctx.h"
#include "cc_graph.h"
#include "cc_types.h"

#ifdef __cplusplus
extern "C" {
#endif

/** Opaque search workspace; one per thread. */
typedef struct cc_search cc_search;

/** Direction of travel. FORWARD follows edges (costs are "from the seeds");
 *  REVERSE follows them backwards (costs are "to the seeds"). */
typedef enum cc_direction { CC_FORWARD = 0, CC_REVERSE = 1 } cc_direction;

/** A search seed: a node, its initial cost in ms, and an origin id carried to every node
 *  that the seed reaches first (e.g. the facility index, for catchments). */
typedef struct cc_seed {
    uint32_t node;
    uint32_t cost_ms;
    uint32_t origin;
} cc_seed;

/** Create a workspace for graph @p g (borrowed; must outlive the search).
 *  @return CC_OK or CC_ERR_NOMEM. Thread-safe with one ctx per thread. @since 0.1 */
CC_API cc_status cc_search_create(cc_ctx *ctx, const cc_graph *g, cc_search **out);

/** Free a workspace. NULL is a no-op. Not thread-safe for one object (distinct objects: thread-safe). @since 0.1 */
CC_API void cc_search_destroy(cc_search *s);

/** Multi-source Dijkstra from @p seeds (several seeds may share a node: the cheapest wins,
 *  ties to the smaller origin). Settles every node whose cost is <= @p limit_ms
 *  (CC_INF_COST: no limit). Allocation-free. Ties between equal costs are broken by the
 *  smaller origin, so the result does not depend on seed order. Not thread-safe for one search; thread-safe
 *  with one search per thread (the graph is shared read-only). @since 0.1 */
CC_API void cc_search_run(cc_search *s, cc_direction dir, const cc_seed *seeds, size_t n_seeds, uint32_t limit_ms);

/** Cost of @p node in the last search, CC_INF_COST when it was not settled.
 *  Thread-safe with one search per thread. @since 0.1 */
CC_API uint32_t cc_search_get_cost(const cc_search *s, uint32_t node);
/** Origin of @p node in the last search, CC_INVALID_ID when it was not settled.
 *  Thread-safe with one search per thread. @since 0.1 */
CC_API uint32_t cc_search_get_origin(const cc_search *s, uint32_t node);
/** The nodes settled by the last search, in settling order (non-decreasing cost; the order of
 *  nodes with equal costs is unspecified and depends on the queue: sort when it matters).
 *  Borrowed; valid until the next run. Thread-safe with one search per thread. @since 0.1 */
CC_API const uint32_t *cc_search_get_settled_ref(const cc_search *s, size_t *count);
/** Total nodes settled by this workspace since it was created (for benchmarks).
 *  Thread-safe with one search per thread. @since 0.1 */
CC_API uint64_t cc_search_get_settled_total(const cc_search *s);

#ifdef __cplusplus
}
#endif

#endif /* CC_ROUTE_H */
