/*
 * cc_types.h - basic types and constants shared by the public headers.
 */
#ifndef CC_TYPES_H
#define CC_TYPES_H

#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

/** Dense ids run 0..n-1; this marks "none". */
#define CC_INVALID_ID UINT32_MAX

/** Travel costs are integer milliseconds in uint32_t. CC_INF_COST marks "not reached"; it is
 *  chosen so that INF + any edge cost (<= CC_MAX_EDGE_COST) does not overflow. */
#define CC_INF_COST 0x7fffffffu
/** Largest cost of one edge (about 12 days); longer edges are clamped with a warning. */
#define CC_MAX_EDGE_COST 0x3fffffffu

#ifndef __cplusplus
_Static_assert(CC_INF_COST + CC_INF_COST > CC_INF_COST, "INF + INF must not overflow uint32_t");
_Static_assert(CC_INF_COST + CC_MAX_EDGE_COST <= UINT32_MAX, "INF + edge cost must not overflow");
#endif

/** A directed edge in a CSR adjacency array: head node and cost in milliseconds. */
typedef struct cc_edge {
    uint32_t head;
    uint32_t cost_ms;
} cc_edge;

/** A plain longitude/latitude pair in degrees (WGS84). */
typedef struct cc_lonlat {
    double lon, lat;
} cc_lonlat;

#ifdef __cplusplus
}
#endif

#endif /* CC_TYPES_H */
