/* roads_edit_internal.h - scenario edits of road records (closures, added roads). */
#ifndef CC_ROADS_EDIT_INTERNAL_H
#define CC_ROADS_EDIT_INTERNAL_H

#include "carecircle/cc_profile.h"
#include "io_internal.h"

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
