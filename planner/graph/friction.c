/*
 * friction.c - the friction surface of the off-road model and the links between the road graph
 * and the cells it passes through (friction_internal.h). No file is read here: the run warps
 * and rasterises the inputs onto the working grid (io/raster_warp.c) and fills the surface.
 */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "friction_internal.h"

cc_status cc__friction_init(cc_ctx *ctx, int w, int h, int n_nb, const double *ex, const double *ny, cc__friction *f)
{
    memset(f, 0, sizeof(*f));
    if (w <= 0 || h <= 0) return cc__fail(ctx, CC_ERR_INTERNAL, "Friction surface of %d x %d cells", w, h);
    if (n_nb != 8 && n_nb != 16) return cc__fail(ctx, CC_ERR_PARAM, "Parameter neighbours must be 8 or 16, got %d", n_nb);
    f->w = w;
    f->h = h;
    f->n_nb = n_nb;
    size_t n = (size_t)w * (size_t)h;
    f->spm = cc__malloc_array(n, sizeof(float));
    f->ex = cc__malloc_array((size_t)h, sizeof(double));
    f->ny = cc__malloc_array((size_t)h, sizeof(double));
    f->dk = cc__calloc_array((size_t)h * 16, sizeof(double));
    if (!f->spm || !f->ex || !f->ny || !f->dk) {
        cc__friction_free(f);
        return cc__fail(ctx, CC_ERR_NOMEM, "Out of memory for a friction surface of %d x %d cells", w, h);
    }
    for (size_t i = 0; i < n; i++) f->spm[i] = INFINITY;
    memcpy(f->ex, ex, (size_t)h * sizeof(double));
    memcpy(f->ny, ny, (size_t)h * sizeof(double));
    for (int r = 0; r < h; r++)
        for (int k = 0; k < 16; k++) {
            int dc = cc__nb_dc[k], dr = cc__nb_dr[k], rb = r + dr;
            if (rb < 0 || rb >= h) continue;
            f->dk[(size_t)r * 16 + k] = hypot(dc * 0.5 * (ex[r] + ex[rb]), dr * 0.5 * (ny[r] + ny[rb]));
        }
    return CC_OK;
}

void cc__friction_free(cc__friction *f)
{
    if (!f) return;
    CC__FREE_ALL(f->spm, f->z, f->ex, f->ny, f->dk, f->link_from, f->link_to, f->link_s);
    memset(f, 0, sizeof(*f));
}

double cc__speed_from_fractions(size_t n_classes, const float *const *frac, const double *kmh, size_t cell)
{
    double w_pass = 0, w_block = 0, inv = 0;
    for (size_t k = 0; k < n_classes; k++) {
        float v = frac[k][cell];
        if (!(v > 0)) continue; /* NaN (nodata) or 0 */
        if (kmh[k] > 0) {
            w_pass += v;
            inv += v / kmh[k];
        } else {
            w_block += v;
        }
    }
    if (w_pass <= 0 || w_block >= w_pass) return 0.0;
    return w_pass / inv;
}

/* ---- road links ------------------------------------------------------------------------------ */

void cc__roadlink_free(cc__roadlink *rl)
{
    if (!rl) return;
    CC__FREE_ALL(rl->tp_cell, rl->fwd_first, rl->fwd_to, rl->fwd_s, rl->bwd_first, rl->bwd_to, rl->bwd_s, rl->by_cell_key, rl->by_cell_tp,
                 rl->cell_has_tp);
    memset(rl, 0, sizeof(*rl));
}

typedef struct vec {
    void *p;
    size_t n, cap, sz;
} vec;

static int vec_push(vec *v, const void *item)
{
    if (v->n == v->cap) {
        size_t cap = v->cap ? 2 * v->cap : 1024;
        void *p = realloc(v->p, cap * v->sz);
        if (!p) return -1;
        v->p = p;
        v->cap = cap;
    }
    memcpy((char *)v->p + v->n * v->sz, item, v->sz);
    v->n++;
    return 0;
}

typedef struct ledge {
    uint32_t from, to;
    double s;
} ledge;

typedef struct tpos {
    int64_t cell;
    double s_m; /* along the arc */
} tpos;

static int cmp_double(const void *a, const void *b)
{
    double x = *(const double *)a, y = *(const double *)b;
    return x < y ? -1 : x > y;
}

/* The runs of arc @p a inside cells: each run's cell and middle position along the arc. */
static int arc_runs(const cc_graph *g, uint32_t a, const double *vx, const double *vy, const cc__friction *f, vec *out)
{
    out->n = 0;
    int64_t cur = -2;
    double s_in = 0, s_last = 0;
    for (uint32_t i = g->arc_first[a]; i + 1 < g->arc_first[a + 1]; i++) {
        double x0 = vx[i], y0 = vy[i], x1 = vx[i + 1], y1 = vy[i + 1];
        double s0 = g->pt_s[i], s1 = g->pt_s[i + 1];
        /* parameters where the segment crosses a grid line, in order */
        if (!isfinite(x0) || !isfinite(y0) || !isfinite(x1) || !isfinite(y1)) continue;
        double dx = x1 - x0, dy = y1 - y0;
        /* clamp to the grid (plus one cell): crossings outside it do not matter */
        double need = 4.0 + fabs(dx) + fabs(dy);
        if (need > 4.0 * ((double)f->w + f->h) + 8) need = 4.0 * ((double)f->w + f->h) + 8;
        double buf[256], *ts = buf;
        if (need > 256 && !(ts = malloc((size_t)need * sizeof(double)))) return -1;
        size_t nt = 0, cap = need > 256 ? (size_t)need : 256;
        ts[nt++] = 0.0;
        if (dx != 0) {
            double lo = fmax(fmin(x0, x1), -1.0), hi = fmin(fmax(x0, x1), f->w + 1.0);
            for (double c = floor(lo) + 1; c < hi && nt + 2 < cap; c++) ts[nt++] = (c - x0) / dx;
        }
        if (dy != 0) {
            double lo = fmax(fmin(y0, y1), -1.0), hi = fmin(fmax(y0, y1), f->h + 1.0);
            for (double c = floor(lo) + 1; c < hi && nt + 2 < cap; c++) ts[nt++] = (c - y0) / dy;
        }
        qsort(ts, nt, sizeof(double), cmp_double);
        ts[nt++] = 1.0;
        for (size_t p = 0; p + 1 < nt; p++) {
            double ta = ts[p], tb = ts[p + 1];
            if (tb <= ta) continue;
            double tm = 0.5 * (ta + tb);
            double mx = x0 + tm * dx, my = y0 + tm * dy;
            int64_t cell = -1;
            if (mx >= 0 && my >= 0 && mx < f->w && my < f->h) cell = (int64_t)floor(my) * f->w + (int64_t)floor(mx);
            double sa = s0 + ta * (s1 - s0), sb = s0 + tb * (s1 - s0);
            if (cell != cur) {
                if (cur >= 0 && f->spm[cur] < INFINITY) {
                    tpos t = {cur, 0.5 * (s_in + s_last)};
                    if (vec_push(out, &t)) {
                        if (ts != buf) free(ts);
                        return -1;
                    }
                }
                cur = cell;
                s_in = sa;
            }
            s_last = sb;
        }
        if (ts != buf) free(ts);
    }
    if (cur >= 0 && f->spm[cur] < INFINITY) {
        tpos t = {cur, 0.5 * (s_in + s_last)};
        if (vec_push(out, &t)) return -1;
    }
    return 0;
}

static int add_piece(vec *edges, uint32_t u, uint32_t v, uint32_t cf_ms, uint32_t cb_ms, double share)
{
    if (cf_ms < CC_INF_COST) {
        ledge e = {u, v, cf_ms / 1000.0 * share};
        if (vec_push(edges, &e)) return -1;
    }
    if (cb_ms < CC_INF_COST) {
        ledge e = {v, u, cb_ms / 1000.0 * share};
        if (vec_push(edges, &e)) return -1;
    }
    return 0;
}

static int cmp_i64_pair(const void *a, const void *b)
{
    const int64_t *x = a, *y = b;
    if (x[0] != y[0]) return x[0] < y[0] ? -1 : 1;
    return x[1] < y[1] ? -1 : x[1] > y[1];
}

/* CSR of @p edges keyed by their tail (fwd) or head (bwd). */
static int build_csr(const ledge *e, size_t ne, uint32_t n, bool by_head, uint32_t **first, uint32_t **to, double **s)
{
    *first = calloc((size_t)n + 1, sizeof(uint32_t));
    *to = cc__malloc_array(ne ? ne : 1, sizeof(uint32_t));
    *s = cc__malloc_array(ne ? ne : 1, sizeof(double));
    if (!*first || !*to || !*s) return -1;
    for (size_t i = 0; i < ne; i++) (*first)[(by_head ? e[i].to : e[i].from) + 1]++;
    for (uint32_t i = 0; i < n; i++) (*first)[i + 1] += (*first)[i];
    uint32_t *fill = cc__malloc_array((size_t)n + 1, sizeof(uint32_t));
    if (!fill) return -1;
    memcpy(fill, *first, ((size_t)n + 1) * sizeof(uint32_t));
    for (size_t i = 0; i < ne; i++) {
        uint32_t key = by_head ? e[i].to : e[i].from;
        uint32_t k = fill[key]++;
        (*to)[k] = by_head ? e[i].from : e[i].to;
        (*s)[k] = e[i].s;
    }
    free(fill);
    return 0;
}

cc_status cc__roadlink_build(cc_ctx *ctx, const cc_graph *g, const double *vx, const double *vy, const uint8_t *transfer_ok,
                             const cc__friction *f, cc__roadlink *rl)
{
    memset(rl, 0, sizeof(*rl));
    vec runs = {.sz = sizeof(tpos)}, edges = {.sz = sizeof(ledge)}, cells = {.sz = sizeof(int64_t)};
    cc_status st = CC_OK;
    uint32_t next = g->n_nodes;
    for (uint32_t a = 0; a < g->n_arcs && !st; a++) {
        uint32_t u = g->arc_u[a], v = g->arc_v[a];
        uint32_t cf = g->arc_cost_f[a], cb = g->arc_cost_b[a];
        double len = g->arc_len_m[a];
        runs.n = 0;
        if ((!transfer_ok || transfer_ok[a]) && len > 0 && arc_runs(g, a, vx, vy, f, &runs)) {
            st = cc__fail(ctx, CC_ERR_NOMEM, "Out of memory linking roads to cells");
            break;
        }
        const tpos *t = runs.p;
        uint32_t prev = u;
        double s_prev = 0;
        int bad = 0;
        for (size_t k = 0; k < runs.n && !bad; k++) {
            if ((uint64_t)next + 1 >= CC_INVALID_ID) {
                st = cc__fail(ctx, CC_ERR_LIMIT, "Too many road-cell transfer points");
                bad = 1;
                break;
            }
            uint32_t id = next++;
            bad |= vec_push(&cells, &t[k].cell);
            double sm = fmin(fmax(t[k].s_m, s_prev), len);
            bad |= add_piece(&edges, prev, id, cf, cb, (sm - s_prev) / len);
            prev = id;
            s_prev = sm;
        }
        if (!bad) bad |= add_piece(&edges, prev, v, cf, cb, len > 0 ? (len - s_prev) / len : 1.0);
        if (bad && !st) st = cc__fail(ctx, CC_ERR_NOMEM, "Out of memory linking roads to cells");
    }
    free(runs.p);
    if (st) goto fail;
    rl->n_nodes = g->n_nodes;
    rl->n_tp = next - g->n_nodes;
    rl->n = next;
    rl->tp_cell = cells.p;
    cells.p = NULL;
    if (build_csr(edges.p, edges.n, rl->n, false, &rl->fwd_first, &rl->fwd_to, &rl->fwd_s) ||
        build_csr(edges.p, edges.n, rl->n, true, &rl->bwd_first, &rl->bwd_to, &rl->bwd_s)) {
        st = cc__fail(ctx, CC_ERR_NOMEM, "Out of memory linking roads to cells");
        goto fail;
    }
    /* cell -> transfer points */
    size_t ncell = (size_t)f->w * f->h;
    int64_t *pairs = cc__malloc_array(rl->n_tp ? 2 * (size_t)rl->n_tp : 2, sizeof(int64_t));
    rl->by_cell_key = cc__malloc_array(rl->n_tp ? rl->n_tp : 1, sizeof(int64_t));
    rl->by_cell_tp = cc__malloc_array(rl->n_tp ? rl->n_tp : 1, sizeof(uint32_t));
    rl->cell_has_tp = calloc(ncell / 8 + 1, 1);
    if (!pairs || !rl->by_cell_key || !rl->by_cell_tp || !rl->cell_has_tp) {
        free(pairs);
        st = cc__fail(ctx, CC_ERR_NOMEM, "Out of memory linking roads to cells");
        goto fail;
    }
    for (uint32_t i = 0; i < rl->n_tp; i++) {
        pairs[2 * i] = rl->tp_cell[i];
        pairs[2 * i + 1] = (int64_t)i + rl->n_nodes;
    }
    qsort(pairs, rl->n_tp, 2 * sizeof(int64_t), cmp_i64_pair);
    for (uint32_t i = 0; i < rl->n_tp; i++) {
        rl->by_cell_key[i] = pairs[2 * i];
        rl->by_cell_tp[i] = (uint32_t)pairs[2 * i + 1];
        rl->cell_has_tp[pairs[2 * i] >> 3] |= (uint8_t)(1u << (pairs[2 * i] & 7));
    }
    free(pairs);
    free(edges.p);
    return CC_OK;
fail:
    free(edges.p);
    free(cells.p);
    cc__roadlink_free(rl);
    return st;
}

void cc__roadlink_cell_tps(const cc__roadlink *rl, int64_t cell, size_t *first, size_t *n)
{
    *first = 0;
    *n = 0;
    if (!(rl->cell_has_tp[cell >> 3] & (1u << (cell & 7)))) return;
    size_t lo = 0, hi = rl->n_tp;
    while (lo < hi) {
        size_t mid = (lo + hi) / 2;
        if (rl->by_cell_key[mid] < cell)
            lo = mid + 1;
        else
            hi = mid;
    }
    size_t e = lo;
    while (e < rl->n_tp && rl->by_cell_key[e] == cell) e++;
    *first = lo;
    *n = e - lo;
}
