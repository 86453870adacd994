/*
 * from_edges.c - a routing-only graph from a directed edge list (benchmarks and tools that load
 * a frozen problem exported with cc_graph_export, or build synthetic graphs).
 *
 * The graph has forward and reverse CSR and node coordinates, but no arcs and no arc geometry:
 * it serves cc_search and nothing that snaps points or interpolates along arcs. Within a node,
 * edges keep their order in the input (a stable counting sort), so exporting a graph and loading
 * it back gives the same CSR arrays.
 */
#include <stdlib.h>
#include <string.h>

#include "graph_internal.h"

cc_status cc__graph_from_edges(cc_ctx *ctx, uint32_t n_nodes, size_t n_edges, const uint32_t *src, const uint32_t *dst,
                               const uint32_t *cost_ms, const double *x, const double *y, cc_graph **out)
{
    cc_graph *g = NULL;
    *out = NULL;
    if (n_nodes == 0 || n_nodes >= CC_INVALID_ID || n_edges >= (size_t)INT32_MAX)
        return cc__fail(ctx, CC_ERR_LIMIT, "Graph of %u nodes and %zu edges is outside the supported range", n_nodes, n_edges);
    for (size_t e = 0; e < n_edges; e++) {
        if (src[e] >= n_nodes || dst[e] >= n_nodes)
            return cc__fail(ctx, CC_ERR_INPUT, "Edge %zu (%u -> %u) names a node outside 0..%u", e, src[e], dst[e], n_nodes - 1);
        if (cost_ms[e] == 0)
            return cc__fail(ctx, CC_ERR_INPUT, "Edge %zu (%u -> %u) costs 0 ms; edges must cost at least 1 ms", e, src[e], dst[e]);
        if (cost_ms[e] > CC_MAX_EDGE_COST)
            return cc__fail(ctx, CC_ERR_INPUT, "Edge %zu (%u -> %u) costs %u ms, above the largest edge cost %u ms", e, src[e], dst[e],
                            cost_ms[e], (unsigned)CC_MAX_EDGE_COST);
    }
    if (!(g = calloc(1, sizeof(*g)))) goto nomem;
    g->n_nodes = n_nodes;
    g->n_edges = (uint32_t)n_edges;
    g->fwd_first = cc__calloc_array((size_t)n_nodes + 1, sizeof(uint32_t));
    g->bwd_first = cc__calloc_array((size_t)n_nodes + 1, sizeof(uint32_t));
    g->fwd = cc__malloc_array(n_edges ? n_edges : 1, sizeof(cc_edge));
    g->bwd = cc__malloc_array(n_edges ? n_edges : 1, sizeof(cc_edge));
    g->node_x = cc__malloc_array(n_nodes, sizeof(double));
    g->node_y = cc__malloc_array(n_nodes, sizeof(double));
    g->crs_wkt = cc__strdup("");
    if (!g->fwd_first || !g->bwd_first || !g->fwd || !g->bwd || !g->node_x || !g->node_y || !g->crs_wkt) goto nomem;
    for (size_t e = 0; e < n_edges; e++) {
        g->fwd_first[src[e] + 1]++;
        g->bwd_first[dst[e] + 1]++;
    }
    for (uint32_t u = 0; u < n_nodes; u++) {
        g->fwd_first[u + 1] += g->fwd_first[u];
        g->bwd_first[u + 1] += g->bwd_first[u];
    }
    /* fill using the first[] entries of the next node as cursors, then shift back */
    for (size_t e = 0; e < n_edges; e++) {
        g->fwd[g->fwd_first[src[e]]++] = (cc_edge){dst[e], cost_ms[e]};
        g->bwd[g->bwd_first[dst[e]]++] = (cc_edge){src[e], cost_ms[e]};
    }
    memmove(g->fwd_first + 1, g->fwd_first, (size_t)n_nodes * sizeof(uint32_t));
    memmove(g->bwd_first + 1, g->bwd_first, (size_t)n_nodes * sizeof(uint32_t));
    g->fwd_first[0] = g->bwd_first[0] = 0;
    for (uint32_t u = 0; u < n_nodes; u++) {
        g->node_x[u] = x ? x[u] : 0.0;
        g->node_y[u] = y ? y[u] : 0.0;
    }
    *out = g;
    return CC_OK;
nomem:
    cc_graph_destroy(g);
    return cc__fail(ctx, CC_ERR_NOMEM, "Out of memory building a graph of %u nodes and %zu edges", n_nodes, n_edges);
}
