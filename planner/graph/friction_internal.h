/*
 * friction_internal.h - the off-road model (issue 16): a friction surface on the working grid
 * (seconds per metre per cell, impassable cells, elevation for Tobler's hiking function) and the
 * links between the road graph and the cells it passes through. The raster graph is implicit:
 * a cell's neighbours and the cost of a move are computed when the search needs them.
 *
 * Conventions (README "Off-road travel (friction model)"; tests/reference/offroad_reference.py
 * computes the same independently):
 *   - moves: 8 neighbours (rook and bishop), or 16 (plus the knight's moves of r.cost -k);
 *   - a move's length d is planar: hypot(dc * ex, dr * ny) with ex, ny the cell size in metres
 *     (mean of the two rows for grids in degrees);
 *   - its friction is the mean of the cells it passes through: start and end for 8-neighbour
 *     moves, and for a knight's move also the two cells it crosses between them (as r.cost -k);
 *     every one of them must be passable;
 *   - with a DEM, the time is divided by Tobler's factor exp(-3.5 (|S + 0.05| - 0.05)), S the
 *     slope (z_end - z_start) / d in the direction of travel: 1 on the flat, 1.19 at the best
 *     downhill slope of -5 %, 0.50 at +15 % (Tobler 1993, as AccessMod's walking mode).
 */
#ifndef CC_FRICTION_INTERNAL_H
#define CC_FRICTION_INTERNAL_H

#include <math.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "graph_internal.h"

/* Offsets of the 16 moves: the first 8 are rook and bishop moves, then the knight's. Listed in
 * opposite pairs: move k ^ 1 is move k backwards. */
static const int cc__nb_dc[16] = {1, -1, 0, 0, 1, -1, 1, -1, 1, -1, 1, -1, 2, -2, 2, -2};
static const int cc__nb_dr[16] = {0, 0, 1, -1, 1, -1, -1, 1, 2, -2, -2, 2, 1, -1, -1, 1};

typedef struct cc__friction {
    int w, h;
    int n_nb;      /* 8 or 16 */
    float *spm;    /* seconds per metre per cell; INFINITY: impassable (barrier, nodata, outside) */
    float *z;      /* elevation, metres, or NULL: no slope */
    double *ex, *ny; /* cell size in metres per row (east-west, north-south) */
    double *dk;      /* h x 16: length of move k starting in row r (rows outside: 0) */
    /* timed links between two cells (ferries), both directions stored, sorted by link_from */
    size_t n_links;
    int64_t *link_from, *link_to;
    double *link_s;
} cc__friction;

/* Allocate a w x h surface with every cell impassable, no elevation, and per-row cell sizes
 * copied from @p ex and @p ny (h values each). */
cc_status cc__friction_init(cc_ctx *ctx, int w, int h, int n_nb, const double *ex, const double *ny, cc__friction *f);
void cc__friction_free(cc__friction *f);

/* Tobler's factor (speed relative to the flat) for slope @p s (rise over run). */
static inline double cc__tobler_factor(double s)
{
    return exp(-3.5 * (fabs(s + 0.05) - 0.05));
}

/* Speed (km/h) of a cell from cover fractions: the weighted harmonic mean over the classes with
 * a speed above 0, weights the fractions; 0 (impassable) when the classes with speed 0 (water)
 * cover half the cell or more, or when no fraction is known (all NaN or zero). */
double cc__speed_from_fractions(size_t n_classes, const float *const *frac, const double *kmh, size_t cell);

/* Seconds to move from cell @p a by move @p k (index into cc__nb_*), or INFINITY when the move
 * leaves the grid or touches an impassable cell. */
static inline double cc__friction_move_rc(const cc__friction *f, int ca, int ra, int k)
{
    const int w = f->w;
    const int dc = cc__nb_dc[k], dr = cc__nb_dr[k];
    const int cb = ca + dc, rb = ra + dr;
    if (cb < 0 || cb >= w || rb < 0 || rb >= f->h) return INFINITY;
    const int64_t a = (int64_t)ra * w + ca, b = (int64_t)rb * w + cb;
    double sum = (double)f->spm[a] + (double)f->spm[b];
    const double d = f->dk[(size_t)ra * 16 + (size_t)k];
    double t;
    if (k < 8) {
        if (!(sum < INFINITY)) return INFINITY;
        t = d * sum / 2; /* a constant power of two: a multiplication, exactly as the division */
    } else { /* knight: the two cells crossed between start and end */
        int64_t i1, i2;
        if (dr == 2 || dr == -2) {
            i1 = (int64_t)(ra + dr / 2) * w + ca;
            i2 = (int64_t)(ra + dr / 2) * w + cb;
        } else {
            i1 = (int64_t)ra * w + (ca + dc / 2);
            i2 = (int64_t)rb * w + (ca + dc / 2);
        }
        sum += (double)f->spm[i1] + (double)f->spm[i2];
        if (!(sum < INFINITY)) return INFINITY;
        t = d * sum / 4;
    }
    if (f->z) t /= cc__tobler_factor(((double)f->z[b] - (double)f->z[a]) / d);
    return t;
}

/* Seconds to move from cell @p a by move @p k (index into cc__nb_*), or INFINITY when the move
 * leaves the grid or touches an impassable cell. */
static inline double cc__friction_move_s(const cc__friction *f, int64_t a, int k)
{
    return cc__friction_move_rc(f, (int)(a % f->w), (int)(a / f->w), k);
}

/*
 * Road links. The augmented road graph has the graph's nodes (ids 0 .. n_nodes-1) and transfer
 * points (n_nodes .. n_nodes + n_tp - 1): one where an arc passes through a passable cell (a
 * contiguous run of the arc inside that cell; the point sits at the middle of the run), except
 * on arcs of access-controlled classes, which are entered only at their nodes (from the roads
 * that meet them there). An arc becomes a chain node - transfer points - node; each piece costs
 * the arc's cost in that direction times its share of the arc's length. Moving between a
 * transfer point and its cell costs nothing.
 */
typedef struct cc__roadlink {
    uint32_t n_nodes, n_tp, n;    /* n = n_nodes + n_tp */
    int64_t *tp_cell;             /* cell of each transfer point */
    uint32_t *fwd_first, *fwd_to; /* edges leaving each node */
    double *fwd_s;
    uint32_t *bwd_first, *bwd_to; /* edges entering each node (bwd_to = their tail) */
    double *bwd_s;
    /* cell -> transfer points: tp ids sorted by cell */
    int64_t *by_cell_key;
    uint32_t *by_cell_tp;
    uint8_t *cell_has_tp;         /* bitmap over cells */
} cc__roadlink;

/* Build the links of graph @p g on surface @p f. @p vx, @p vy are the arc polyline vertices
 * (g->pt_x/pt_y order) in pixel coordinates of the grid (column, row; cell (c, r) spans
 * [c, c+1) x [r, r+1)). @p transfer_ok[a] = 0 marks an access-controlled arc (NULL: all 1). */
cc_status cc__roadlink_build(cc_ctx *ctx, const cc_graph *g, const double *vx, const double *vy, const uint8_t *transfer_ok,
                             const cc__friction *f, cc__roadlink *out);
void cc__roadlink_free(cc__roadlink *rl);
/* The transfer points of @p cell: *first index into by_cell_tp, *n of them. */
void cc__roadlink_cell_tps(const cc__roadlink *rl, int64_t cell, size_t *first, size_t *n);

#endif
