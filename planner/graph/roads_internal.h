/*
 * roads_internal.h - road records (what the readers of planner/io produce and the graph is built
 * from) and their scenario edits (closures, added roads).
 */
#ifndef CC_ROADS_INTERNAL_H
#define CC_ROADS_INTERNAL_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <ogr_api.h>

#include "carecircle/cc_profile.h"
#include "carecircle/cc_roads.h"
#include "../core/core_internal.h"
#include "../core/strtab_internal.h"

enum { CC__ONEWAY_UNSET = 0, CC__ONEWAY_FWD = 1, CC__ONEWAY_BWD = 2, CC__ONEWAY_NO = 3 };

/* Scenario status of a way (cc_roads.status; NULL means every way is CC__WAY_BASE). Closed and
 * replaced ways stay in the records (for maps and the roads layer) but are never driven on. */
enum { CC__WAY_BASE = 0, CC__WAY_CLOSED = 1, CC__WAY_ADDED = 2, CC__WAY_REPLACED = 3 };

struct cc_roads {
    size_t n_ways, n_vertices;
    size_t *way_first;      /* n_ways + 1: vertices of way w are way_first[w] .. way_first[w+1]-1 */
    double *x, *y;          /* vertices in the working CRS, metres */
    uint32_t *cls;          /* road class string id (CC__NO_STRING when a speed field is used) */
    uint32_t *surface;      /* surface string id or CC__NO_STRING */
    float *maxspeed_kmh;    /* posted maxspeed, 0 when none or unparseable */
    float *speed_kmh;       /* from the speed field; < 0 when absent */
    uint8_t *oneway;        /* CC__ONEWAY_* */
    uint8_t *roundabout;    /* junction=roundabout */
    int64_t *way_id;        /* OSM id, or the OGR feature id */
    uint8_t *status;        /* CC__WAY_*, or NULL (all base): set by scenario edits (roads_edit.c) */
    cc__strtab strings;     /* classes and surfaces */
    char *crs_wkt;
    char crs_name[32];
    size_t cap_ways, cap_vertices;
};

/* A deep copy of @p r (for scenario edits on roads read once and shared). */
cc_status cc__roads_clone(cc_ctx *ctx, const cc_roads *r, cc_roads **out);

/* Give every way whose id is in @p ids the status @p status (CC__WAY_CLOSED or CC__WAY_REPLACED).
 * An id that matches no way fails with CC_ERR_INPUT, naming @p label ("closed_roads"). */
cc_status cc__roads_close_ids(cc_ctx *ctx, cc_roads *r, const int64_t *ids, size_t n, uint8_t status, const char *label,
                              size_t *n_ways);

/* Cut the closure polygons (working CRS) out of the network: every segment that intersects one
 * of them becomes part of a closed piece; the rest of the way stays open. */
cc_status cc__roads_close_areas(cc_ctx *ctx, cc_roads *r, OGRGeometryH *polys, size_t n_polys, size_t *n_segments);

/* Append the ways of @p add (already in the working CRS of @p r) with status CC__WAY_ADDED. Each
 * end of an added way is moved onto the nearest point of a drivable way of @p r within
 * @p connect_m metres (a vertex is inserted there when needed), so that it joins the network;
 * ends farther away stay loose (counted in @p n_loose). */
cc_status cc__roads_append(cc_ctx *ctx, cc_roads *r, const cc_roads *add, double connect_m, const cc_profile *p, size_t *n_joined,
                           size_t *n_loose);

#endif
