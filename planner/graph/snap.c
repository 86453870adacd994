/*
 * snap.c - nearest-segment queries on a uniform grid (see geo_internal.h).
 *
 * Segment k joins pt[k] and pt[k+1] of the same arc. Each segment is listed in every grid cell
 * that its bounding box touches. A query visits rings of cells around the query cell; after
 * ring r, any unvisited segment lies at least r * cell + (distance from the point to the
 * border of its own cell) away, which gives the stopping rule.
 */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "../core/omp_internal.h"
#include "snap_internal.h"

struct cc__snap_index {
    const cc_graph *g;
    double x0, y0, cell;
    uint32_t nx, ny;
    uint32_t *first; /* nx*ny + 1 */
    uint32_t *seg;   /* point index k of segment (pt[k], pt[k+1]) */
};

void cc__snap_index_destroy(cc__snap_index *ix)
{
    if (!ix) return;
    CC__FREE_ALL(ix->first, ix->seg, ix);
}

size_t cc__snap_index_bytes(const cc__snap_index *ix)
{
    return ((size_t)ix->nx * ix->ny + 1) * sizeof(uint32_t) + (size_t)ix->first[(size_t)ix->nx * ix->ny] * sizeof(uint32_t);
}

cc__snap_parts cc__snap_index_parts(const cc__snap_index *ix)
{
    return (cc__snap_parts){.x0 = ix->x0, .y0 = ix->y0, .cell = ix->cell, .nx = ix->nx, .ny = ix->ny, .first = ix->first, .seg = ix->seg};
}

cc_status cc__snap_index_from_parts(cc_ctx *ctx, const cc_graph *g, double x0, double y0, double cell, uint32_t nx, uint32_t ny,
                                    uint32_t *first, uint32_t *seg, cc__snap_index **out)
{
    cc__snap_index *ix = calloc(1, sizeof(*ix));
    *out = NULL;
    if (!ix) {
        CC__FREE_ALL(first, seg);
        return cc__fail(ctx, CC_ERR_NOMEM, "Out of memory");
    }
    *ix = (cc__snap_index){.g = g, .x0 = x0, .y0 = y0, .cell = cell, .nx = nx, .ny = ny, .first = first, .seg = seg};
    *out = ix;
    return CC_OK;
}

static inline uint32_t clampi(double v, uint32_t n)
{
    if (!(v > 0)) return 0;
    if (v >= n) return n - 1;
    return (uint32_t)v;
}

cc_status cc__snap_index_build(cc_ctx *ctx, const cc_graph *g, cc__snap_index **out)
{
    cc__snap_index *ix = calloc(1, sizeof(*ix));
    size_t npt = g->arc_first[g->n_arcs], nseg = 0;
    *out = NULL;
    if (!ix) return cc__fail(ctx, CC_ERR_NOMEM, "Out of memory building the snapping index");
    ix->g = g;
    for (uint32_t a = 0; a < g->n_arcs; a++) nseg += g->arc_first[a + 1] - g->arc_first[a] - 1;
    double w = fmax(g->maxx - g->minx, 1.0), h = fmax(g->maxy - g->miny, 1.0);
    /* about one segment per cell on average, never below 20 m, at most ~4M cells */
    double cell = fmax(sqrt(w * h / (double)(nseg ? nseg : 1)), 20.0);
    while ((w / cell + 1) * (h / cell + 1) > 4.0e6) cell *= 1.5;
    ix->cell = cell;
    ix->x0 = g->minx;
    ix->y0 = g->miny;
    ix->nx = (uint32_t)(w / cell) + 1;
    ix->ny = (uint32_t)(h / cell) + 1;
    size_t ncell = (size_t)ix->nx * ix->ny;
    ix->first = cc__calloc_array(ncell + 1, sizeof(uint32_t));
    if (!ix->first) goto nomem;
    /* two passes: count, then fill */
    for (int pass = 0; pass < 2; pass++) {
        for (uint32_t a = 0; a < g->n_arcs; a++) {
            for (uint32_t k = g->arc_first[a]; k + 1 < g->arc_first[a + 1]; k++) {
                double ax = g->pt_x[k], ay = g->pt_y[k], bx = g->pt_x[k + 1], by = g->pt_y[k + 1];
                uint32_t cx0 = clampi((fmin(ax, bx) - ix->x0) / cell, ix->nx), cx1 = clampi((fmax(ax, bx) - ix->x0) / cell, ix->nx);
                uint32_t cy0 = clampi((fmin(ay, by) - ix->y0) / cell, ix->ny), cy1 = clampi((fmax(ay, by) - ix->y0) / cell, ix->ny);
                for (uint32_t cy = cy0; cy <= cy1; cy++)
                    for (uint32_t cx = cx0; cx <= cx1; cx++) {
                        size_t c = (size_t)cy * ix->nx + cx;
                        if (pass == 0)
                            ix->first[c + 1]++;
                        else
                            ix->seg[ix->first[c]++] = k;
                    }
            }
        }
        if (pass == 0) {
            for (size_t c = 0; c < ncell; c++) {
                if ((uint64_t)ix->first[c + 1] + ix->first[c] >= UINT32_MAX) {
                    cc__snap_index_destroy(ix);
                    return cc__fail(ctx, CC_ERR_LIMIT, "Snapping index too large");
                }
                ix->first[c + 1] += ix->first[c];
            }
            if (!(ix->seg = cc__malloc_array(ix->first[ncell], sizeof(uint32_t)))) goto nomem;
        } else {
            /* first[c] now points at the end of cell c: shift back */
            memmove(ix->first + 1, ix->first, ncell * sizeof(uint32_t));
            ix->first[0] = 0;
        }
    }
    (void)npt;
    *out = ix;
    return CC_OK;
nomem:
    cc__snap_index_destroy(ix);
    return cc__fail(ctx, CC_ERR_NOMEM, "Out of memory building the snapping index (%zu segments)", nseg);
}

/* Squared distance from (px,py) to segment k, and the parameter t in [0,1] of the foot. */
static inline double seg_dist2(const cc_graph *g, uint32_t k, double px, double py, double *t)
{
    double ax = g->pt_x[k], ay = g->pt_y[k];
    double dx = g->pt_x[k + 1] - ax, dy = g->pt_y[k + 1] - ay;
    double l2 = dx * dx + dy * dy, u = 0.0;
    if (l2 > 0) {
        u = ((px - ax) * dx + (py - ay) * dy) / l2;
        u = u < 0 ? 0 : (u > 1 ? 1 : u);
    }
    double qx = ax + u * dx - px, qy = ay + u * dy - py;
    *t = u;
    return qx * qx + qy * qy;
}

cc__join cc__snap(const cc__snap_index *ix, double x, double y, double max_d)
{
    cc__join j = {CC_INVALID_ID, 0.0f, 0.0};
    if (!isfinite(x) || !isfinite(y)) return j;
    const cc_graph *g = ix->g;
    const double cell = ix->cell;
    double fx = (x - ix->x0) / cell, fy = (y - ix->y0) / cell;
    /* a point outside the grid: distance to the grid box is a lower bound for everything */
    double ox = fx < 0 ? -fx : (fx > ix->nx ? fx - ix->nx : 0), oy = fy < 0 ? -fy : (fy > ix->ny ? fy - ix->ny : 0);
    if (hypot(ox, oy) * cell > max_d) return j;
    int64_t cx = (int64_t)floor(fx), cy = (int64_t)floor(fy);
    if (cx < 0) cx = 0;
    if (cy < 0) cy = 0;
    if (cx >= ix->nx) cx = ix->nx - 1;
    if (cy >= ix->ny) cy = ix->ny - 1;
    /* distance from the point to the border of its (clamped) cell, for the stopping rule */
    double inx = fmin(fx - (double)cx, (double)cx + 1 - fx), iny = fmin(fy - (double)cy, (double)cy + 1 - fy);
    double margin = fmax(fmin(inx, iny), 0.0) * cell;
    double best = INFINITY, best_t = 0, max2 = max_d * max_d;
    uint32_t best_k = UINT32_MAX;
    int64_t rmax = (int64_t)(max_d / cell) + 2;
    int64_t lim = (int64_t)(ix->nx > ix->ny ? ix->nx : ix->ny);
    if (rmax > lim) rmax = lim;
    for (int64_t r = 0; r <= rmax; r++) {
        for (int64_t yy = cy - r; yy <= cy + r; yy++) {
            if (yy < 0 || yy >= ix->ny) continue;
            int64_t step = (yy == cy - r || yy == cy + r) ? 1 : 2 * r;
            for (int64_t xx = cx - r; xx <= cx + r; xx += step ? step : 1) {
                if (xx < 0 || xx >= ix->nx) continue;
                size_t c = (size_t)yy * ix->nx + (size_t)xx;
                for (uint32_t i = ix->first[c]; i < ix->first[c + 1]; i++) {
                    uint32_t k = ix->seg[i];
                    double t, d2 = seg_dist2(g, k, x, y, &t);
                    if (d2 < best || (d2 == best && k < best_k)) {
                        best = d2;
                        best_k = k;
                        best_t = t;
                    }
                }
                if (r == 0) break;
            }
        }
        double reach = (double)r * cell + margin; /* nothing unvisited is nearer than this */
        if (best <= reach * reach || reach > max_d) break;
    }
    if (best_k == UINT32_MAX || best > max2) return j;
    uint32_t a = g->pt_arc[best_k];
    double seglen = g->pt_s[best_k + 1] - g->pt_s[best_k];
    double s = best_t >= 1.0 ? g->pt_s[best_k + 1] : g->pt_s[best_k] + best_t * seglen;
    j.arc = a;
    j.s_m = s < 0 ? 0 : (s > g->arc_len_m[a] ? g->arc_len_m[a] : s);
    j.d_m = (float)sqrt(best);
    return j;
}

void cc__snap_many(const cc__snap_index *ix, const double *x, const double *y, size_t n, double max_d, int threads,
                   const volatile sig_atomic_t *cancel, cc__join *out)
{
    const size_t chunk = 4096;
    (void)threads;
#ifdef _OPENMP
#pragma omp parallel for schedule(dynamic, 1) num_threads(threads)
#endif
    for (size_t c = 0; c < (n + chunk - 1) / chunk; c++) {
        if (cancel && *cancel) continue; /* OpenMP loops cannot break: skip the remaining chunks */
        size_t end = (c + 1) * chunk < n ? (c + 1) * chunk : n;
        for (size_t i = c * chunk; i < end; i++) out[i] = cc__snap(ix, x[i], y[i], max_d);
    }
}
