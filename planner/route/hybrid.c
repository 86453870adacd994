/*
 * hybrid.c - the multi-source search over cells and roads (hybrid_internal.h): Dijkstra with an
 * indexed 4-ary heap keyed (time, origin). Cell moves are computed on the fly from the friction
 * surface; nothing per edge is stored.
 */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "hybrid_internal.h"

#define POS_NONE 0xFFFFFFFFu    /* not labelled */
#define POS_SETTLED 0xFFFFFFFEu /* settled */

cc_status cc__hybrid_init(cc_ctx *ctx, const cc__friction *f, const cc__roadlink *rl, cc__hybrid *h)
{
    memset(h, 0, sizeof(*h));
    h->f = f;
    h->rl = rl;
    h->n_cells = (size_t)f->w * (size_t)f->h;
    h->n = h->n_cells + (rl ? rl->n : 0);
    if (h->n >= POS_SETTLED) return cc__fail(ctx, CC_ERR_LIMIT, "The off-road search has %zu cells and road nodes, more than 4 billion", h->n);
    h->cost = cc__malloc_array(h->n, sizeof(double));
    h->origin = cc__malloc_array(h->n, sizeof(uint32_t));
    h->road_s = cc__malloc_array(h->n, sizeof(float));
    h->pos = cc__malloc_array(h->n, sizeof(uint32_t));
    h->heap_cap = h->n < 65536 ? h->n + 1 : 65536;
    h->heap = cc__malloc_array(h->heap_cap, sizeof(struct cc__hyb_item));
    if (!h->cost || !h->origin || !h->road_s || !h->pos || !h->heap) {
        cc__hybrid_free(h);
        return cc__fail(ctx, CC_ERR_NOMEM, "Out of memory for the off-road search (%zu cells and road nodes)", h->n);
    }
    if (h->nomem) return cc__fail(ctx, CC_ERR_NOMEM, "Out of memory for the off-road search's frontier");
    return CC_OK;
}

void cc__hybrid_free(cc__hybrid *h)
{
    if (!h) return;
    CC__FREE_ALL(h->cost, h->origin, h->road_s, h->pos, h->heap);
    memset(h, 0, sizeof(*h));
}

/* (cost, origin) of a before b */
static inline bool less(const struct cc__hyb_item *a, const struct cc__hyb_item *b)
{
    return a->cost < b->cost || (a->cost == b->cost && a->origin < b->origin);
}

static inline void sift_up(cc__hybrid *h, size_t i, struct cc__hyb_item v)
{
    while (i > 0) {
        size_t p = (i - 1) / 4;
        if (!less(&v, &h->heap[p])) break;
        h->heap[i] = h->heap[p];
        h->pos[h->heap[i].node] = (uint32_t)i;
        i = p;
    }
    h->heap[i] = v;
    h->pos[v.node] = (uint32_t)i;
}

static inline void sift_down(cc__hybrid *h, size_t i)
{
    struct cc__hyb_item v = h->heap[i];
    const size_t n = h->heap_n;
    for (;;) {
        size_t c = 4 * i + 1;
        if (c >= n) break;
        size_t best = c, end = c + 4 < n ? c + 4 : n;
        for (size_t k = c + 1; k < end; k++)
            if (less(&h->heap[k], &h->heap[best])) best = k;
        if (!less(&h->heap[best], &v)) break;
        h->heap[i] = h->heap[best];
        h->pos[h->heap[i].node] = (uint32_t)i;
        i = best;
    }
    h->heap[i] = v;
    h->pos[v.node] = (uint32_t)i;
}

static inline void offer(cc__hybrid *h, uint32_t v, double c, uint32_t origin, float road)
{
    uint32_t p = h->pos[v];
    if (p == POS_SETTLED) return;
    if (p == POS_NONE) {
        if (h->heap_n == h->heap_cap) {
            size_t cap = 2 * h->heap_cap;
            struct cc__hyb_item *nh = cc__realloc_array(h->heap, cap, sizeof(*nh));
            if (!nh) {
                h->nomem = true;
                return;
            }
            h->heap = nh;
            h->heap_cap = cap;
        }
        h->cost[v] = c;
        h->origin[v] = origin;
        h->road_s[v] = road;
        sift_up(h, h->heap_n++, (struct cc__hyb_item){c, origin, v});
        return;
    }
    if (c < h->cost[v] || (c == h->cost[v] && origin < h->origin[v])) {
        h->cost[v] = c;
        h->origin[v] = origin;
        h->road_s[v] = road;
        sift_up(h, p, (struct cc__hyb_item){c, origin, v});
    }
}

static inline uint32_t pop(cc__hybrid *h)
{
    uint32_t top = h->heap[0].node;
    h->heap_n--;
    if (h->heap_n) {
        h->heap[0] = h->heap[h->heap_n];
        sift_down(h, 0);
    }
    h->pos[top] = POS_SETTLED;
    return top;
}

cc_status cc__hybrid_run(cc_ctx *ctx, cc__hybrid *h, const cc__hybrid_seed *seeds, size_t n_seeds, cc_direction dir, double limit_s)
{
    const cc__friction *f = h->f;
    const cc__roadlink *rl = h->rl;
    const size_t nc = h->n_cells;
    for (size_t i = 0; i < h->n; i++) {
        h->cost[i] = INFINITY;
        h->pos[i] = POS_NONE;
    }
    h->heap_n = 0;
    h->settled = 0;
    h->nomem = false;
    for (size_t i = 0; i < n_seeds; i++) {
        uint64_t v = seeds[i].node;
        if (v >= h->n) return cc__fail(ctx, CC_ERR_INTERNAL, "Off-road search seed %llu out of range", (unsigned long long)v);
        if (v < nc && !(f->spm[v] < INFINITY)) continue; /* an impassable cell starts nothing */
        offer(h, (uint32_t)v, seeds[i].cost_s, seeds[i].origin, 0.0f);
    }
    const int n_nb = f->n_nb;
    const int w = f->w;
    while (h->heap_n) {
        uint32_t x = pop(h);
        const double cx = h->cost[x];
        if (cx > limit_s) { /* everything left is beyond the limit: unreached */
            h->pos[x] = POS_NONE;
            h->cost[x] = INFINITY;
            for (size_t i = 0; i < h->heap_n; i++) {
                h->pos[h->heap[i].node] = POS_NONE;
                h->cost[h->heap[i].node] = INFINITY;
            }
            h->heap_n = 0;
            break;
        }
        const uint32_t ox = h->origin[x];
        const float rx = h->road_s[x];
        if ((++h->settled & 0xFFFFF) == 0 && cc__interrupted(ctx)) return cc__fail(ctx, CC_ERR_INTERRUPTED, "Interrupted");
        if (x < nc) {
            const int cx_col = (int)(x % (uint32_t)w), cx_row = (int)(x / (uint32_t)w);
            for (int k = 0; k < n_nb; k++) {
                int c = cx_col + cc__nb_dc[k], r = cx_row + cc__nb_dr[k];
                if (c < 0 || c >= w || r < 0 || r >= f->h) continue;
                uint32_t y = (uint32_t)r * (uint32_t)w + (uint32_t)c;
                if (h->pos[y] == POS_SETTLED || !(f->spm[y] < INFINITY)) continue;
                /* reverse: the patient moves y -> x, the move from y by the opposite offset
                 * (offsets are listed in opposite pairs) */
                double t = dir == CC_REVERSE ? cc__friction_move_rc(f, c, r, k ^ 1) : cc__friction_move_rc(f, cx_col, cx_row, k);
                if (t < INFINITY) offer(h, y, cx + t, ox, rx);
            }
            if (f->n_links) { /* ferries: links are stored both ways with the same time */
                size_t lo = 0, hi = f->n_links;
                while (lo < hi) {
                    size_t mid = (lo + hi) / 2;
                    if (f->link_from[mid] < (int64_t)x) lo = mid + 1;
                    else hi = mid;
                }
                for (; lo < f->n_links && f->link_from[lo] == (int64_t)x; lo++) {
                    uint32_t y = (uint32_t)f->link_to[lo];
                    if (h->pos[y] != POS_SETTLED) offer(h, y, cx + f->link_s[lo], ox, rx + (float)f->link_s[lo]);
                }
            }
            if (rl) {
                size_t first, n;
                cc__roadlink_cell_tps(rl, x, &first, &n);
                for (size_t i = 0; i < n; i++) offer(h, (uint32_t)(nc + rl->by_cell_tp[first + i]), cx, ox, rx);
            }
        } else {
            uint32_t u = (uint32_t)(x - nc);
            const uint32_t *first = dir == CC_REVERSE ? rl->bwd_first : rl->fwd_first;
            const uint32_t *to = dir == CC_REVERSE ? rl->bwd_to : rl->fwd_to;
            const double *s = dir == CC_REVERSE ? rl->bwd_s : rl->fwd_s;
            for (uint32_t e = first[u]; e < first[u + 1]; e++) offer(h, (uint32_t)(nc + to[e]), cx + s[e], ox, rx + (float)s[e]);
            if (u >= rl->n_nodes) {
                int64_t cell = rl->tp_cell[u - rl->n_nodes];
                if (f->spm[cell] < INFINITY) offer(h, (uint32_t)cell, cx, ox, rx);
            }
        }
    }
    if (h->nomem) return cc__fail(ctx, CC_ERR_NOMEM, "Out of memory for the off-road search's frontier");
    return CC_OK;
}
