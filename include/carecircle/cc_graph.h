/*
 * cc_graph.h - the routable graph: directed CSR (forward and reverse) over nodes at
 * intersections and dead ends, in Hilbert-curve order, with integer millisecond costs.
 */
#ifndef CC_GRAPH_H
#define CC_GRAPH_H

#include <stddef.h>
#include <stdint.h>

#include "cc_api.h"
#include "cc_ctx.h"
#include "cc_profile.h"
#include "cc_roads.h"
#include "cc_types.h"

#ifdef __cplusplus
extern "C" {
#endif

/** Opaque graph; immutable after build and safe to share between threads. */
typedef struct cc_graph cc_graph;

/** Node layouts. Hilbert order keeps nodes that are close in space close in memory. */
typedef enum cc_node_order {
    CC_ORDER_HILBERT = 0, /**< default */
    CC_ORDER_INPUT = 1    /**< order of first appearance in the road file (for benchmarks) */
} cc_node_order;

/** Options for cc_graph_build(); NULL means defaults. */
typedef struct cc_graph_opts {
    cc_node_order order;
} cc_graph_opts;

/** Build the graph from road records and a speed profile.
 *  A graph node is every vertex shared by two or more drivable ways (or repeated within one)
 *  and every way end; the vertices between them are geometry. Each piece between two nodes
 *  is an arc with a forward and a backward cost (length / speed, ms; CC_INF_COST when that
 *  direction is closed). Road classes that the profile does not know are reported once with
 *  their counts (warning) and not driven on.
 *  @param out new graph; caller owns it, free with cc_graph_destroy()
 *  @return CC_OK; CC_ERR_INPUT (no drivable way); CC_ERR_LIMIT (more than 2^31 nodes or
 *  edges); CC_ERR_NOMEM. Thread-safe with one ctx per thread. @since 0.1 */
CC_API cc_status cc_graph_build(cc_ctx *ctx, const cc_roads *roads, const cc_profile *profile,
                         const cc_graph_opts *opts, cc_graph **out);

/** Free a graph. NULL is a no-op. Not thread-safe for one object (distinct objects: thread-safe). @since 0.1 */
CC_API void cc_graph_destroy(cc_graph *g);

/** Counts: nodes, directed edges, arcs (undirected road pieces between nodes). Thread-safe (reads only). @since 0.1 */
CC_API uint32_t cc_graph_get_node_count(const cc_graph *g);
CC_API uint32_t cc_graph_get_edge_count(const cc_graph *g); /**< Thread-safe (reads only). @since 0.1 */
CC_API uint32_t cc_graph_get_arc_count(const cc_graph *g); /**< Thread-safe (reads only). @since 0.1 */
/** Number of strongly connected components and the node count of the largest. Thread-safe (reads only). @since 0.1 */
CC_API uint32_t cc_graph_get_scc_count(const cc_graph *g);
CC_API uint32_t cc_graph_get_largest_scc(const cc_graph *g); /**< Thread-safe (reads only). @since 0.1 */
/** Bytes held by the routing part (CSR both ways + node coordinates) and by arc geometry.
 *  Thread-safe (reads only). @since 0.1 */
CC_API size_t cc_graph_get_routing_bytes(const cc_graph *g);
CC_API size_t cc_graph_get_geometry_bytes(const cc_graph *g); /**< Thread-safe (reads only). @since 0.1 */
/** Working CRS as WKT (borrowed). Thread-safe (reads only). @since 0.1 */
CC_API const char *cc_graph_get_crs_wkt(const cc_graph *g);

/** Forward CSR access for external algorithms: the edges leaving node u are
 *  edges[first[u]] .. edges[first[u+1]-1]. Borrowed arrays, valid until the graph is
 *  destroyed. Thread-safe (reads only). @since 0.1 */
CC_API void cc_graph_get_csr_ref(const cc_graph *g, const uint32_t **first, const cc_edge **edges);

/** Node coordinates in the working CRS (metres). Thread-safe (reads only). @since 0.1 */
CC_API void cc_graph_get_node_xy(const cc_graph *g, uint32_t node, double *x, double *y);

/** Write the graph for peers (benchmarks): @p dir/nodes.csv (id,x,y,lon,lat) and
 *  @p dir/edges.csv (source,target,cost_ms), one directed edge a line.
 *  @return CC_OK, CC_ERR_IO. Thread-safe with one ctx per thread. @since 0.1 */
CC_API cc_status cc_graph_export(cc_ctx *ctx, const cc_graph *g, const char *dir);

#ifdef __cplusplus
}
#endif

#endif /* CC_GRAPH_H */
