/*
 * snap_internal.h - joining points to the network: the nearest point on any drivable arc.
 *
 * A uniform grid over the segments of every arc answers nearest-segment queries by searching
 * rings of cells outwards until no unvisited cell can hold a nearer segment. Read-only after
 * build, so threads query it concurrently without locks (GEOS's STRtree offers nearest
 * queries too, but through per-item callbacks and without a thread-safety promise for
 * concurrent queries; this grid is about 150 lines and answers a query in well under a µs).
 */
#ifndef CC_SNAP_INTERNAL_H
#define CC_SNAP_INTERNAL_H

#include <signal.h>
#include <stdint.h>

#include "graph_internal.h"

typedef struct cc__snap_index cc__snap_index;

/* Where a point joins the network. */
typedef struct cc__join {
    uint32_t arc;  /* CC_INVALID_ID: farther than the maximum snap distance */
    float d_m;     /* straight off-road distance, metres */
    double s_m;    /* position along the arc from its start node u, metres, in [0, length] */
} cc__join;

cc_status cc__snap_index_build(cc_ctx *ctx, const cc_graph *g, cc__snap_index **out);
void cc__snap_index_destroy(cc__snap_index *ix);
size_t cc__snap_index_bytes(const cc__snap_index *ix);
/* The parts of an index (for the prepared-region cache, planner/run/cache.c): the grid origin,
 * cell size and shape, and its two arrays (first: nx*ny + 1 entries, seg: first[nx*ny]). */
typedef struct cc__snap_parts {
    double x0, y0, cell;
    uint32_t nx, ny;
    const uint32_t *first, *seg;
} cc__snap_parts;
cc__snap_parts cc__snap_index_parts(const cc__snap_index *ix);
/* An index over @p g from parts saved earlier for the same graph; takes ownership of the
 * malloc'ed @p first and @p seg (freed also on failure). */
cc_status cc__snap_index_from_parts(cc_ctx *ctx, const cc_graph *g, double x0, double y0, double cell, uint32_t nx, uint32_t ny,
                                    uint32_t *first, uint32_t *seg, cc__snap_index **out);

/* Nearest point on any arc within @p max_d metres of (x, y). Thread-safe. Ties: lower point
 * index (deterministic). */
cc__join cc__snap(const cc__snap_index *ix, double x, double y, double max_d);

/* Snap n points in parallel (OpenMP, @p threads). Stops early (leaving the rest unset) when
 * @p cancel is non-NULL and raised; the caller checks it afterwards. */
void cc__snap_many(const cc__snap_index *ix, const double *x, const double *y, size_t n, double max_d,
                   int threads, const volatile sig_atomic_t *cancel, cc__join *out);

#endif
