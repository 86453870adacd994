/* graph_internal.h - the profile and graph structures (never installed). */
#ifndef CC_GRAPH_INTERNAL_H
#define CC_GRAPH_INTERNAL_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "carecircle/cc_graph.h"
#include "carecircle/cc_profile.h"
#include "carecircle/cc_types.h"
#include "../core/core_internal.h"

struct cc_profile {
    char *name, *description;
    size_t n_classes;
    char **class_name;
    double *class_kmh;
    size_t n_blocked;
    char **blocked;
    size_t n_surfaces;
    char **surface_name;
    double *surface_mult;
    bool maxspeed_cap;
    bool oneway_honour;
    double offroad_kmh;
    double max_snap_m;
    /* off-road friction model (issue 16): walking km/h per land-cover class (a class code of a
     * class raster, or the name of a fraction raster); classes entered only at junctions */
    size_t n_lc;
    char **lc_name;
    double *lc_kmh;
    size_t n_acc;
    char **acc;
    double ferry_kmh, ferry_wait_min; /* ferries of the friction model: crossing speed, boarding wait */
};

/* Walking km/h of land-cover class @p name in the profile, or the built-in default for the
 * Copernicus (CGLC) fraction names; -1 when the class is unknown. */
double cc__profile_landcover_kmh(const cc_profile *p, const char *name);
/* Ferries of the friction model: crossing speed (km/h) and boarding wait (minutes). */
double cc__profile_ferry_kmh(const cc_profile *p);
double cc__profile_ferry_wait_min(const cc_profile *p);
/* Whether road class @p cls is access-controlled (entered only at its junctions). */
bool cc__profile_access_controlled(const cc_profile *p, const char *cls);

/*
 * The graph. Routing data (CSR both ways, 8-byte edges) is separate from the arc geometry
 * used for snapping and for interpolating along the arc a point joins.
 * An arc is one road piece between two nodes u -> v (the digitising direction) with a cost
 * each way (CC_INF_COST when closed). Every directed edge knows its arc (fwd_arc/bwd_arc).
 */
struct cc_graph {
    uint32_t n_nodes, n_edges, n_arcs;
    /* forward CSR: edges leaving u */
    uint32_t *fwd_first; /* n_nodes + 1 */
    cc_edge *fwd;        /* n_edges */
    uint32_t *fwd_arc;   /* n_edges */
    /* reverse CSR: edges entering v, head = tail of the forward edge */
    uint32_t *bwd_first;
    cc_edge *bwd;
    uint32_t *bwd_arc;
    double *node_x, *node_y;
    /* arcs */
    uint32_t *arc_u, *arc_v;
    uint32_t *arc_cost_f, *arc_cost_b; /* ms; CC_INF_COST = closed */
    double *arc_len_m;
    uint32_t *arc_way;     /* index of the source way in the roads */
    uint32_t *arc_first;   /* n_arcs + 1, into pt_* */
    double *pt_x, *pt_y;   /* arc polyline vertices */
    double *pt_s;          /* distance from the arc start to each vertex, metres */
    uint32_t *pt_arc;      /* arc of each vertex */
    /* diagnostics */
    uint32_t scc_count, scc_largest;
    uint32_t *node_scc;    /* component id per node; the largest has id 0 */
    size_t n_way_vertices; /* vertices of the drivable ways the graph came from */
    char *crs_wkt;
    double minx, miny, maxx, maxy;
};

/* A routing-only graph (CSR both ways and coordinates, no arcs) from a directed edge list:
 * edge e runs src[e] -> dst[e] at cost_ms[e]. x, y may be NULL (coordinates 0). For benchmarks
 * and tools loading an exported graph; cc_search works on it, snapping does not.
 * @return CC_OK, CC_ERR_INPUT (a node id out of range, an edge above CC_MAX_EDGE_COST),
 * CC_ERR_LIMIT, CC_ERR_NOMEM. */
cc_status cc__graph_from_edges(cc_ctx *ctx, uint32_t n_nodes, size_t n_edges, const uint32_t *src, const uint32_t *dst,
                               const uint32_t *cost_ms, const double *x, const double *y, cc_graph **out);

/* Class speed in km/h before surface and maxspeed; 0 = not drivable. *known as in
 * cc_profile_speed_kmh. */
double cc__profile_class_kmh(const cc_profile *p, const char *cls, bool *known);
double cc__profile_surface_mult(const cc_profile *p, const char *surface);

/* Speed (km/h, 0: not drivable) and allowed directions (bit 0 along the way, bit 1 against it)
 * of every way of @p r under profile @p p, as cc_graph_build() computes them (with its warning
 * about unknown classes). The way directions are all that the graph's topology depends on: two
 * profiles that give the same directions give the same nodes, arcs and edges. Arrays malloc'ed. */

cc_status cc__graph_way_speeds(cc_ctx *ctx, const cc_roads *r, const cc_profile *p, float **way_kmh, uint8_t **way_dir,
                               size_t *n_drivable);
/* A view of @p base (built from the same roads with the same way directions) with its own
 * costs from @p way_kmh: every array but the arc costs and the edges is borrowed from @p base,
 * which must outlive the view. Free with cc__graph_view_destroy(), never cc_graph_destroy(). */
cc_status cc__graph_cost_view(cc_ctx *ctx, const cc_graph *base, const float *way_kmh, const uint8_t *way_dir, cc_graph **out);
void cc__graph_view_destroy(cc_graph *g);

#include "../core/yaml_internal.h"
/* A profile from mapping @p root of a loaded document (profile file or inline in a scenario). */
cc_status cc__profile_from_node(cc_ctx *ctx, cc__yaml *y, yaml_node_t *root, const char *source, cc_profile **out);

/* Travel cost in ms for @p len_m metres at @p kmh, rounded, at least 1 ms (so that Dijkstra's
 * tie-breaking by origin is exact, see planner/route/dijkstra.c), at most CC_MAX_EDGE_COST. */
static inline uint32_t cc__cost_ms(double len_m, double kmh)
{
    double ms = len_m / (kmh / 3.6) * 1000.0;
    if (!(ms < (double)CC_MAX_EDGE_COST)) return CC_MAX_EDGE_COST;
    return ms < 1.0 ? 1 : (uint32_t)(ms + 0.5);
}

#endif
