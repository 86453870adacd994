/*
 * hybrid.c - the multi-source search over cells and roads (hybrid_internal.h): Dijkstra with a
 * radix heap (Ahuja, Mehlhorn, Orlin & Tarjan 1990) over the bits of the times, which order as the
 * times do (all of them at least +0.0) and never fall below the last one popped: an entry waits
 * in the bucket of the highest bit where it differs from that last time, and only the lowest
 * non-empty bucket is ever searched and spread out again. Entries with the last time itself
 * (bucket 0) come out in the order of (origin, node), so the search settles in the total order
 * (time, origin, node), whatever the queue (which of two paths of equal time and origin gives a
 * label its road part then does not depend on the queue). An improved label adds a new entry
 * and the old one is skipped when it comes out (lazy deletion). Cell moves are computed on the
 * fly from the friction surface; nothing per edge is stored. A cell at least two cells from the
 * border (one with 8 neighbours) relaxes its neighbours by fixed index offsets without bounds
 * checks, costing each move with the same operations, in the same order, as
 * cc__friction_move_rc (so the times are the same bit for bit). A search over cells alone (no
 * roads, no ferries) uses a bucket queue instead (run_dial below), with the same labels.
 */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "hybrid_internal.h"

#define ST_NONE 0u    /* not labelled */
#define ST_LABEL 1u   /* labelled, not settled */
#define ST_SETTLED 2u /* settled */
#define ST_BLOCKED 3u /* an impassable cell, not labelled (a ferry may still label it, as any offer) */

cc_status cc__hybrid_init(cc_ctx *ctx, const cc__friction *f, const cc__roadlink *rl, cc__hybrid *h)
{
    memset(h, 0, sizeof(*h));
    h->f = f;
    h->rl = rl;
    h->n_cells = (size_t)f->w * (size_t)f->h;
    h->n = h->n_cells + (rl ? rl->n : 0);
    if (h->n >= 0xFFFFFFFEu) return cc__fail(ctx, CC_ERR_LIMIT, "The off-road search has %zu cells and road nodes, more than 4 billion", h->n);
    h->cost = cc__malloc_array(h->n, sizeof(double));
    h->aux = cc__malloc_array(h->n, sizeof(struct cc__hyb_aux));
    h->state = cc__malloc_array(h->n, 1);
    h->dmv = cc__malloc_array((size_t)f->h * 16, sizeof(double));
    if (!h->cost || !h->aux || !h->state || !h->dmv) {
        cc__hybrid_free(h);
        return cc__fail(ctx, CC_ERR_NOMEM, "Out of memory for the off-road search (%zu cells and road nodes)", h->n);
    }
    return CC_OK;
}

void cc__hybrid_free(cc__hybrid *h)
{
    if (!h) return;
    CC__FREE_ALL(h->cost, h->aux, h->state, h->dmv);
    for (int b = 0; b < 65; b++) free(h->bk[b].a);
    for (int b = 0; b < CC__HYB_DIAL; b++) free(h->ring[b].a);
    free(h->over.a);
    memset(h, 0, sizeof(*h));
}

static inline struct cc__hyb_item item(double c, uint32_t origin, uint32_t node)
{
    struct cc__hyb_item it;
    c += 0.0; /* -0.0 -> +0.0 */
    memcpy(&it.t_bits, &c, sizeof(c));
    it.on = (uint64_t)origin << 32 | node;
    return it;
}

/* The bucket of time bits @p t: 0 when equal to the last popped, else 1 + the highest bit where they differ. */
static inline int bucket_of(const cc__hybrid *h, uint64_t t)
{
    uint64_t x = t ^ h->last;
    return x ? 64 - __builtin_clzll(x) : 0;
}

static inline void push(cc__hybrid *h, struct cc__hyb_item it)
{
    struct cc__hyb_bucket *b = &h->bk[bucket_of(h, it.t_bits)];
    if (b->n == b->cap) {
        size_t cap = b->cap ? 2 * b->cap : 256;
        struct cc__hyb_item *na = cc__realloc_array(b->a, cap, sizeof(*na));
        if (!na) {
            h->nomem = true;
            return;
        }
        b->a = na;
        b->cap = cap;
    }
    b->a[b->n++] = it;
}

static inline void offer(cc__hybrid *h, uint32_t v, double c, uint32_t origin, float road)
{
    const uint8_t sv = h->state[v];
    if (sv == ST_SETTLED) return;
    if (sv == ST_LABEL && !(c < h->cost[v] || (c == h->cost[v] && origin < h->aux[v].origin))) return;
    h->cost[v] = c;
    h->aux[v] = (struct cc__hyb_aux){origin, road};
    h->state[v] = ST_LABEL;
    push(h, item(c, origin, v));
}

/* The next node to settle, skipping entries an improvement made stale; UINT32_MAX when none. */
static inline uint32_t pop(cc__hybrid *h)
{
    for (;;) {
        struct cc__hyb_bucket *b0 = &h->bk[0];
        if (!b0->n) { /* the lowest non-empty bucket: its least time becomes the last, its entries spread below */
            int i = 1;
            while (i < 65 && !h->bk[i].n) i++;
            if (i == 65) return UINT32_MAX;
            struct cc__hyb_bucket *bi = &h->bk[i];
            uint64_t lo = bi->a[0].t_bits;
            for (size_t k = 1; k < bi->n; k++) lo = bi->a[k].t_bits < lo ? bi->a[k].t_bits : lo;
            h->last = lo;
            const size_t n = bi->n;
            bi->n = 0;
            for (size_t k = 0; k < n; k++) push(h, bi->a[k]); /* every one lands in a bucket below i */
            if (h->nomem) return UINT32_MAX;
        }
        /* bucket 0: the entries at the last time, the least (origin, node) first */
        size_t best = 0;
        for (size_t k = 1; k < b0->n; k++) best = b0->a[k].on < b0->a[best].on ? k : best;
        struct cc__hyb_item top = b0->a[best];
        b0->a[best] = b0->a[--b0->n];
        const uint32_t v = (uint32_t)top.on, o = (uint32_t)(top.on >> 32);
        if (h->state[v] != ST_LABEL) continue; /* settled already: a stale entry */
        if (item(h->cost[v], o, v).t_bits != top.t_bits || h->aux[v].origin != o) continue; /* improved since: stale */
        h->state[v] = ST_SETTLED;
        return v;
    }
}

/* Every node still queued becomes unreached (a run stopped at its limit). */
static void drop_queued(cc__hybrid *h)
{
    for (int b = 0; b < 65; b++) {
        for (size_t k = 0; k < h->bk[b].n; k++) {
            const uint32_t v = (uint32_t)h->bk[b].a[k].on;
            if (h->state[v] == ST_SETTLED) continue; /* a stale entry of a settled node */
            h->state[v] = ST_NONE;
            h->cost[v] = INFINITY;
        }
        h->bk[b].n = 0;
    }
}

/* Seconds of the move between interior cell @p x and its neighbour @p y = x + off (move @p k of
 * x), costed in the direction of travel (reverse: y -> x, move k ^ 1 of y) with length @p d:
 * cc__friction_move_rc's operations in its order (a sum of two or four frictions is the same in
 * either direction: the same cells, added in the other order). INFINITY: a cell is impassable. */
static inline double move_interior(const float *spm, const float *z, size_t x, size_t y, int w, int k, double d, cc_direction dir)
{
    double sum = (double)spm[x] + (double)spm[y];
    double t;
    if (k < 8) {
        if (!(sum < INFINITY)) return INFINITY;
        t = d * sum / 2;
    } else {
        const int dc = cc__nb_dc[k], dr = cc__nb_dr[k];
        size_t i1, i2;
        if (dr == 2 || dr == -2) {
            i1 = x + (ptrdiff_t)(dr / 2) * w;
            i2 = i1 + (ptrdiff_t)dc;
        } else {
            i1 = x + (ptrdiff_t)(dc / 2);
            i2 = i1 + (ptrdiff_t)dr * w;
        }
        sum += (double)spm[i1] + (double)spm[i2];
        if (!(sum < INFINITY)) return INFINITY;
        t = d * sum / 4;
    }
    if (z) t /= cc__tobler_factor(dir == CC_REVERSE ? ((double)z[x] - (double)z[y]) / d : ((double)z[y] - (double)z[x]) / d);
    return t;
}

/*
 * The search over cells alone (no roads, no ferries: every move costs at least t_min > 0): Dial's
 * buckets of width w = t_min / 2, so a node's label is final when its bucket comes up (a move
 * from a bucket lands at least two buckets later, even with the rounding of the times and of
 * the bucket index), and a bucket's nodes are settled in the order they were labelled, which
 * follows the rows and keeps neighbourhoods in cache. The labels do not depend on that order:
 * a node's final label is the least (time, origin) over its neighbours' final labels plus the
 * move (each a double sum of the same operands), and the road seconds are all 0. The nodes
 * settled, and those left unreached beyond the limit, are those of the ordered search. Times of
 * 2^50 buckets or more (far beyond any real journey) would make the index inexact: then the run
 * is redone in the total order.
 */
static inline uint64_t dial_index(cc__hybrid *h, double c)
{
    const double q = c * h->dial_inv_w;
    if (q < 0x1p50) return (uint64_t)q;
    h->dial_far = true; /* beyond 2^50 buckets (or NaN) an index may not be exact: the run is redone in order */
    return (uint64_t)1 << 50;
}

static inline void ids_append(cc__hybrid *h, struct cc__hyb_ids *b, uint32_t v)
{
    if (b->n == b->cap) {
        size_t cap = b->cap ? 2 * b->cap : 256;
        uint32_t *na = cc__realloc_array(b->a, cap, sizeof(*na));
        if (!na) {
            h->nomem = true;
            return;
        }
        b->a = na;
        b->cap = cap;
    }
    b->a[b->n++] = v;
}

struct dial_q {
    uint64_t cur, over_min;
    size_t in_ring;
};

static inline __attribute__((always_inline)) void dial_push(cc__hybrid *h, struct dial_q *q, uint32_t v, double c)
{
    uint64_t i = dial_index(h, c);
    if (i < q->cur) i = q->cur; /* not expected (a move costs two buckets at least): settled with the current bucket */
    if (i - q->cur < CC__HYB_DIAL) {
        ids_append(h, &h->ring[i & (CC__HYB_DIAL - 1)], v);
        q->in_ring++;
    } else {
        ids_append(h, &h->over, v);
        q->over_min = i < q->over_min ? i : q->over_min;
    }
}

static inline __attribute__((always_inline)) void dial_offer(cc__hybrid *h, struct dial_q *q, uint32_t v, double c, uint32_t origin,
                                                             float road)
{
    const uint8_t sv = h->state[v];
    if (sv == ST_SETTLED) return;
    if (sv == ST_LABEL && !(c < h->cost[v] || (c == h->cost[v] && origin < h->aux[v].origin))) return;
    h->cost[v] = c;
    h->aux[v] = (struct cc__hyb_aux){origin, road};
    h->state[v] = ST_LABEL;
    dial_push(h, q, v, c);
}

static void dial_drop(cc__hybrid *h, struct cc__hyb_ids *b)
{
    for (size_t k = 0; k < b->n; k++) {
        const uint32_t v = b->a[k];
        if (h->state[v] == ST_SETTLED) continue;
        h->state[v] = ST_NONE;
        h->cost[v] = INFINITY;
    }
    b->n = 0;
}

static cc_status run_dial(cc_ctx *ctx, cc__hybrid *h, const cc__hybrid_seed *seeds, size_t n_seeds, cc_direction dir, double limit_s,
                          const ptrdiff_t *off, int margin)
{
    const cc__friction *f = h->f;
    const int n_nb = f->n_nb, w = f->w;
    struct dial_q q = {0, UINT64_MAX, 0};
    for (int b = 0; b < CC__HYB_DIAL; b++) h->ring[b].n = 0;
    h->over.n = 0;
    for (size_t i = 0; i < n_seeds; i++) {
        const uint64_t v = seeds[i].node;
        if (!(f->spm[v] < INFINITY)) continue; /* an impassable cell starts nothing */
        dial_offer(h, &q, (uint32_t)v, seeds[i].cost_s + 0.0, seeds[i].origin, 0.0f);
    }
    bool beyond = false;
    while (!beyond && !h->nomem && !h->dial_far) {
        if (!h->ring[q.cur & (CC__HYB_DIAL - 1)].n) { /* the next non-empty bucket */
            uint64_t next = UINT64_MAX;
            if (q.in_ring)
                for (uint64_t i = q.cur + 1;; i++)
                    if (h->ring[i & (CC__HYB_DIAL - 1)].n) {
                        next = i;
                        break;
                    }
            if (next == UINT64_MAX && !h->over.n) break;
            q.cur = next < q.over_min ? next : q.over_min;
            if (q.over_min - q.cur < CC__HYB_DIAL) { /* overflow entries now within the ring's reach */
                size_t keep = 0;
                q.over_min = UINT64_MAX;
                for (size_t k = 0; k < h->over.n; k++) {
                    const uint32_t v = h->over.a[k];
                    if (h->state[v] != ST_LABEL) continue; /* settled since */
                    const uint64_t i = dial_index(h, h->cost[v]);
                    if (i - q.cur < CC__HYB_DIAL) {
                        ids_append(h, &h->ring[i & (CC__HYB_DIAL - 1)], v);
                        q.in_ring++;
                    } else {
                        h->over.a[keep++] = v;
                        q.over_min = i < q.over_min ? i : q.over_min;
                    }
                }
                h->over.n = keep;
                continue; /* the bucket may have been filled from the overflow list only: look again */
            }
        }
        struct cc__hyb_ids *b = &h->ring[q.cur & (CC__HYB_DIAL - 1)];
        for (size_t j = 0; j < b->n; j++) { /* b->n may grow: see dial_push */
            const uint32_t x = b->a[j];
            if (h->state[x] != ST_LABEL) continue; /* settled already (a node labelled twice in this bucket) */
            h->state[x] = ST_SETTLED;
            const double cx = h->cost[x];
            if (cx > limit_s) { /* unreached; every later bucket is beyond the limit too */
                h->cost[x] = INFINITY;
                beyond = true;
                continue;
            }
            const uint32_t ox = h->aux[x].origin;
            const float rx = h->aux[x].road_s;
            if ((++h->settled & 0xFFFFF) == 0 && cc__interrupted(ctx)) return cc__fail(ctx, CC_ERR_INTERRUPTED, "Interrupted");
            const int cx_col = (int)(x % (uint32_t)w), cx_row = (int)(x / (uint32_t)w);
            if (cx_col >= margin && cx_col < w - margin && cx_row >= margin && cx_row < f->h - margin) {
                const double *d = h->dmv + (size_t)cx_row * 16;
                for (int k = 0; k < n_nb; k++) {
                    const size_t y = (size_t)((ptrdiff_t)x + off[k]);
                    if (h->state[y] >= ST_SETTLED) continue; /* settled, or an impassable cell */
                    const double t = move_interior(f->spm, f->z, x, y, w, k, d[k], dir);
                    if (t < INFINITY) dial_offer(h, &q, (uint32_t)y, cx + t, ox, rx);
                }
            } else {
                for (int k = 0; k < n_nb; k++) {
                    int c = cx_col + cc__nb_dc[k], r = cx_row + cc__nb_dr[k];
                    if (c < 0 || c >= w || r < 0 || r >= f->h) continue;
                    uint32_t y = (uint32_t)r * (uint32_t)w + (uint32_t)c;
                    if (h->state[y] == ST_SETTLED || !(f->spm[y] < INFINITY)) continue;
                    double t = dir == CC_REVERSE ? cc__friction_move_rc(f, c, r, k ^ 1) : cc__friction_move_rc(f, cx_col, cx_row, k);
                    if (t < INFINITY) dial_offer(h, &q, y, cx + t, ox, rx);
                }
            }
        }
        q.in_ring -= b->n;
        b->n = 0;
        /* a settled bucket keeps no more than a first array: the ring holds the memory of the
         * buckets in use, not of every bucket it ever had */
        if (b->cap > 256) {
            free(b->a);
            *b = (struct cc__hyb_ids){0};
        }
    }
    /* a run stopped at its limit: every node still queued becomes unreached */
    dial_drop(h, &h->over);
    for (int b = 0; b < CC__HYB_DIAL; b++) dial_drop(h, &h->ring[b]);
    if (h->nomem) return cc__fail(ctx, CC_ERR_NOMEM, "Out of memory for the off-road search's frontier");
    return CC_OK;
}

static cc_status run(cc_ctx *ctx, cc__hybrid *h, const cc__hybrid_seed *seeds, size_t n_seeds, cc_direction dir, double limit_s,
                     bool allow_dial)
{
    const cc__friction *f = h->f;
    const cc__roadlink *rl = h->rl;
    const size_t nc = h->n_cells;
    for (size_t i = 0; i < h->n; i++) h->cost[i] = INFINITY, h->aux[i] = (struct cc__hyb_aux){0, 0.0f};
    float s_min = INFINITY; /* the least friction of a passable cell */
    for (size_t i = 0; i < nc; i++) {
        const bool pass = f->spm[i] < INFINITY;
        h->state[i] = pass ? ST_NONE : ST_BLOCKED;
        s_min = pass && f->spm[i] < s_min ? f->spm[i] : s_min;
    }
    memset(h->state + nc, ST_NONE, h->n - nc);
    for (int b = 0; b < 65; b++) h->bk[b].n = 0;
    h->last = 0;
    h->settled = 0;
    h->nomem = false;
    const int n_nb = f->n_nb;
    const int w = f->w;
    /* the lengths of the moves an interior cell of row r relaxes: reverse, the move k ^ 1 from the
     * neighbour's row (as cc__friction_move_rc(f, c, r, k ^ 1)) */
    ptrdiff_t off[16];
    for (int k = 0; k < 16; k++) off[k] = (ptrdiff_t)cc__nb_dr[k] * w + cc__nb_dc[k];
    for (int r = 0; r < f->h; r++)
        for (int k = 0; k < 16; k++) {
            const int rb = r + cc__nb_dr[k];
            h->dmv[(size_t)r * 16 + (size_t)k] = dir != CC_REVERSE      ? f->dk[(size_t)r * 16 + (size_t)k]
                                                 : rb >= 0 && rb < f->h ? f->dk[(size_t)rb * 16 + (size_t)(k ^ 1)]
                                                                        : 0.0;
        }
    const int margin = n_nb > 8 ? 2 : 1;
    /* cells alone, every move at least t_min > 0 (Tobler's factor is at most exp(0.175) < 1.25)
     * and sources at times >= 0: the bucket queue (run_dial) */
    double d_min = INFINITY;
    for (int r = 0; r < f->h; r++)
        for (int k = 0; k < n_nb; k++) {
            const double d = f->dk[(size_t)r * 16 + (size_t)k];
            d_min = d > 0.0 && d < d_min ? d : d_min;
        }
    const double t_min = (double)s_min * d_min / (f->z ? 1.25 : 1.0);
    bool dial = allow_dial && !rl && !f->n_links && t_min > 1e-6 && t_min < 1e12;
    for (size_t i = 0; i < n_seeds && dial; i++) dial = seeds[i].node < h->n && seeds[i].cost_s >= 0.0;
    if (dial) {
        h->dial_inv_w = 2.0 / t_min;
        h->dial_far = false;
        const cc_status st = run_dial(ctx, h, seeds, n_seeds, dir, limit_s, off, margin);
        if (st == CC_OK && h->dial_far) return run(ctx, h, seeds, n_seeds, dir, limit_s, false); /* times too far for exact buckets */
        return st;
    }
    for (size_t i = 0; i < n_seeds; i++) {
        uint64_t v = seeds[i].node;
        if (v >= h->n) return cc__fail(ctx, CC_ERR_INTERNAL, "Off-road search seed %llu out of range", (unsigned long long)v);
        if (v < nc && !(f->spm[v] < INFINITY)) continue; /* an impassable cell starts nothing */
        offer(h, (uint32_t)v, seeds[i].cost_s, seeds[i].origin, 0.0f);
    }
    for (;;) {
        uint32_t x = pop(h);
        if (x == UINT32_MAX) break;
        const double cx = h->cost[x];
        if (cx > limit_s) { /* everything left is beyond the limit: unreached */
            h->state[x] = ST_NONE;
            h->cost[x] = INFINITY;
            drop_queued(h);
            break;
        }
        const uint32_t ox = h->aux[x].origin;
        const float rx = h->aux[x].road_s;
        if ((++h->settled & 0xFFFFF) == 0 && cc__interrupted(ctx)) return cc__fail(ctx, CC_ERR_INTERRUPTED, "Interrupted");
        if (x < nc) {
            const int cx_col = (int)(x % (uint32_t)w), cx_row = (int)(x / (uint32_t)w);
            if (cx_col >= margin && cx_col < w - margin && cx_row >= margin && cx_row < f->h - margin) {
                const double *d = h->dmv + (size_t)cx_row * 16;
                for (int k = 0; k < n_nb; k++) {
                    const size_t y = (size_t)((ptrdiff_t)x + off[k]);
                    if (h->state[y] >= ST_SETTLED) continue; /* settled, or an impassable cell */
                    const double t = move_interior(f->spm, f->z, x, y, w, k, d[k], dir);
                    if (t < INFINITY) offer(h, (uint32_t)y, cx + t, ox, rx);
                }
            } else {
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

cc_status cc__hybrid_run(cc_ctx *ctx, cc__hybrid *h, const cc__hybrid_seed *seeds, size_t n_seeds, cc_direction dir, double limit_s)
{
    return run(ctx, h, seeds, n_seeds, dir, limit_s, true);
}
