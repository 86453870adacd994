/*
 * hybrid.c - the multi-source search over cells and roads (hybrid_internal.h): Dijkstra with a
 * 4-ary heap of (time, origin, node) entries and lazy deletion: an improved label pushes a new
 * entry and the old one is skipped when it comes out (it no longer matches the node's label), so
 * sifting writes nothing outside the heap (the indexed heap of an earlier version wrote every
 * moved entry's position back into its node: a cache miss per level). Cell moves are computed on
 * the fly from the friction surface; nothing per edge is stored.
 */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "hybrid_internal.h"

#define ST_NONE 0u    /* not labelled */
#define ST_LABEL 1u   /* labelled, not settled */
#define ST_SETTLED 2u /* settled */

cc_status cc__hybrid_init(cc_ctx *ctx, const cc__friction *f, const cc__roadlink *rl, cc__hybrid *h)
{
    memset(h, 0, sizeof(*h));
    h->f = f;
    h->rl = rl;
    h->n_cells = (size_t)f->w * (size_t)f->h;
    h->n = h->n_cells + (rl ? rl->n : 0);
    if (h->n >= 0xFFFFFFFEu) return cc__fail(ctx, CC_ERR_LIMIT, "The off-road search has %zu cells and road nodes, more than 4 billion", h->n);
    h->node = cc__malloc_array(h->n, sizeof(struct cc__hyb_node));
    h->state = cc__malloc_array(h->n, 1);
    h->heap_cap = h->n < 65536 ? h->n + 1 : 65536;
    h->heap = cc__malloc_array(h->heap_cap, sizeof(struct cc__hyb_item));
    if (!h->node || !h->state || !h->heap) {
        cc__hybrid_free(h);
        return cc__fail(ctx, CC_ERR_NOMEM, "Out of memory for the off-road search (%zu cells and road nodes)", h->n);
    }
    return CC_OK;
}

void cc__hybrid_free(cc__hybrid *h)
{
    if (!h) return;
    CC__FREE_ALL(h->node, h->state, h->heap);
    memset(h, 0, sizeof(*h));
}

/* (time, origin, node) of a before b: a total order, so the settling order (and with it which
 * of two paths of equal time and origin gives a label its road part) does not depend on the heap.
 * Written without branches: the heap's comparisons are the search's least predictable. */
static inline bool less(const struct cc__hyb_item *a, const struct cc__hyb_item *b)
{
    return (a->t_bits < b->t_bits) | ((a->t_bits == b->t_bits) & (a->on < b->on));
}

static inline struct cc__hyb_item item(double c, uint32_t origin, uint32_t node)
{
    struct cc__hyb_item it;
    c += 0.0; /* -0.0 -> +0.0 */
    memcpy(&it.t_bits, &c, sizeof(c));
    it.on = (uint64_t)origin << 32 | node;
    return it;
}

static inline void sift_up(cc__hybrid *h, size_t i, struct cc__hyb_item v)
{
    struct cc__hyb_item *hp = h->heap;
    while (i > 0) {
        size_t p = (i - 1) / 4;
        if (!less(&v, &hp[p])) break;
        hp[i] = hp[p];
        i = p;
    }
    hp[i] = v;
}

static inline void sift_down(cc__hybrid *h, size_t i)
{
    struct cc__hyb_item *hp = h->heap;
    struct cc__hyb_item v = hp[i];
    const size_t n = h->heap_n;
    for (;;) {
        size_t c = 4 * i + 1;
        if (c >= n) break;
        size_t best = c, end = c + 4 < n ? c + 4 : n;
        for (size_t k = c + 1; k < end; k++) best = less(&hp[k], &hp[best]) ? k : best;
        if (!less(&hp[best], &v)) break;
        hp[i] = hp[best];
        i = best;
    }
    hp[i] = v;
}

static inline void offer(cc__hybrid *h, uint32_t v, double c, uint32_t origin, float road)
{
    const uint8_t sv = h->state[v];
    if (sv == ST_SETTLED) return;
    struct cc__hyb_node *nv = &h->node[v];
    if (sv == ST_LABEL && !(c < nv->cost || (c == nv->cost && origin < nv->origin))) return;
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
    *nv = (struct cc__hyb_node){c, origin, road};
    h->state[v] = ST_LABEL;
    sift_up(h, h->heap_n++, item(c, origin, v));
}

/* The next node to settle, skipping entries an improvement made stale; UINT32_MAX when none. */
static inline uint32_t pop(cc__hybrid *h)
{
    while (h->heap_n) {
        struct cc__hyb_item top = h->heap[0];
        h->heap_n--;
        if (h->heap_n) {
            h->heap[0] = h->heap[h->heap_n];
            sift_down(h, 0);
        }
        const uint32_t v = (uint32_t)top.on, o = (uint32_t)(top.on >> 32);
        if (h->state[v] != ST_LABEL) continue; /* settled already: a stale entry */
        const struct cc__hyb_node *nt = &h->node[v];
        if (item(nt->cost, o, v).t_bits != top.t_bits || nt->origin != o) continue; /* improved since: stale */
        h->state[v] = ST_SETTLED;
        return v;
    }
    return UINT32_MAX;
}

cc_status cc__hybrid_run(cc_ctx *ctx, cc__hybrid *h, const cc__hybrid_seed *seeds, size_t n_seeds, cc_direction dir, double limit_s)
{
    const cc__friction *f = h->f;
    const cc__roadlink *rl = h->rl;
    const size_t nc = h->n_cells;
    for (size_t i = 0; i < h->n; i++) h->node[i] = (struct cc__hyb_node){INFINITY, 0, 0.0f};
    memset(h->state, ST_NONE, h->n);
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
    for (;;) {
        uint32_t x = pop(h);
        if (x == UINT32_MAX) break;
        const double cx = h->node[x].cost;
        if (cx > limit_s) { /* everything left is beyond the limit: unreached */
            h->state[x] = ST_NONE;
            h->node[x].cost = INFINITY;
            for (size_t i = 0; i < h->heap_n; i++) {
                const uint32_t v = (uint32_t)h->heap[i].on;
                if (h->state[v] == ST_SETTLED) continue; /* a stale entry of a settled node */
                h->state[v] = ST_NONE;
                h->node[v].cost = INFINITY;
            }
            h->heap_n = 0;
            break;
        }
        const uint32_t ox = h->node[x].origin;
        const float rx = h->node[x].road_s;
        if ((++h->settled & 0xFFFFF) == 0 && cc__interrupted(ctx)) return cc__fail(ctx, CC_ERR_INTERRUPTED, "Interrupted");
        if (x < nc) {
            const int cx_col = (int)(x % (uint32_t)w), cx_row = (int)(x / (uint32_t)w);
            for (int k = 0; k < n_nb; k++) {
                int c = cx_col + cc__nb_dc[k], r = cx_row + cc__nb_dr[k];
                if (c < 0 || c >= w || r < 0 || r >= f->h) continue;
                uint32_t y = (uint32_t)r * (uint32_t)w + (uint32_t)c;
                if (h->state[y] == ST_SETTLED || !(f->spm[y] < INFINITY)) continue;
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
                    offer(h, y, cx + f->link_s[lo], ox, rx + (float)f->link_s[lo]);
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
