/*
 * access.c - nearest-facility times (multi-source Dijkstra per facility set) and bounded
 * reach enumeration (coverage sets), see access_internal.h.
 */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "../core/omp_internal.h"
#include "access_internal.h"

cc_status cc__join_points(cc_ctx *ctx, const cc__snap_index *snap, const cc_profile *profile, const double *x,
                          const double *y, size_t n, cc__join **join, uint32_t **off)
{
    *join = cc__malloc_array(n, sizeof(cc__join));
    *off = cc__malloc_array(n, sizeof(uint32_t));
    if (!*join || !*off) return cc__fail(ctx, CC_ERR_NOMEM, "Out of memory joining %zu points to roads", n);
    if (!snap) { /* no road network (a friction surface only): no point joins */
        for (size_t i = 0; i < n; i++) (*join)[i] = (cc__join){.arc = CC_INVALID_ID, .d_m = INFINITY}, (*off)[i] = CC_INF_COST;
        return CC_OK;
    }
    cc__snap_many(snap, x, y, n, cc_profile_get_max_snap_m(profile), cc_ctx_get_threads(ctx), cc__interrupt_flag(ctx), *join);
    if (cc__interrupted(ctx)) return cc__fail(ctx, CC_ERR_INTERRUPTED, "Interrupted while joining points to roads");
    double kmh = cc_profile_get_offroad_speed_kmh(profile);
    for (size_t i = 0; i < n; i++) (*off)[i] = (*join)[i].arc == CC_INVALID_ID ? CC_INF_COST : cc__offroad_ms((*join)[i].d_m, kmh);
    return CC_OK;
}

size_t cc__facility_seeds(const cc_graph *g, cc__join j, uint32_t off_ms, uint32_t origin, cc_direction dir, cc_seed out[2])
{
    size_t n = 0;
    if (j.arc == CC_INVALID_ID) return 0;
    uint32_t a = j.arc;
    double L = g->arc_len_m[a];
    uint32_t cu = dir == CC_REVERSE ? cc__along(g, a, 0.0, j.s_m) : cc__along(g, a, j.s_m, 0.0);
    uint32_t cv = dir == CC_REVERSE ? cc__along(g, a, L, j.s_m) : cc__along(g, a, j.s_m, L);
    if (cu != CC_INF_COST) out[n++] = (cc_seed){g->arc_u[a], off_ms + cu, origin};
    if (cv != CC_INF_COST) out[n++] = (cc_seed){g->arc_v[a], off_ms + cv, origin};
    return n;
}

uint32_t cc__loc_time(const cc_search *s, cc_direction dir, cc__join j, uint32_t *origin)
{
    const cc_graph *g = s->g;
    uint32_t a = j.arc, best = CC_INF_COST, bo = CC_INVALID_ID;
    double L = g->arc_len_m[a];
    uint32_t u = g->arc_u[a], v = g->arc_v[a];
    uint32_t lu = cc__search_cost(s, u), lv = cc__search_cost(s, v);
    if (lu != CC_INF_COST) {
        uint32_t p = dir == CC_REVERSE ? cc__along(g, a, j.s_m, 0.0) : cc__along(g, a, 0.0, j.s_m);
        if (p != CC_INF_COST) {
            best = lu + p;
            bo = cc__search_origin(s, u);
        }
    }
    if (lv != CC_INF_COST) {
        uint32_t p = dir == CC_REVERSE ? cc__along(g, a, j.s_m, L) : cc__along(g, a, L, j.s_m);
        if (p != CC_INF_COST) {
            uint32_t t = lv + p;
            if (t < best || (t == best && cc__search_origin(s, v) < bo)) {
                best = t;
                bo = cc__search_origin(s, v);
            }
        }
    }
    if (origin) *origin = bo;
    return best;
}

/* ---- location index -------------------------------------------------------------------- */

void cc__loc_index_free(cc__loc_index *ix)
{
    CC__FREE_ALL(ix->arc_first, ix->locs, ix->node_first, ix->node_arcs);
    memset(ix, 0, sizeof(*ix));
}

cc_status cc__loc_index_build(cc_ctx *ctx, const cc_graph *g, const cc__join *join, size_t n, cc__loc_index *ix)
{
    memset(ix, 0, sizeof(*ix));
    ix->n_arcs = g->n_arcs;
    ix->n_nodes = g->n_nodes;
    ix->arc_first = cc__calloc_array((size_t)g->n_arcs + 1, sizeof(uint32_t));
    ix->node_first = cc__calloc_array((size_t)g->n_nodes + 1, sizeof(uint32_t));
    size_t nj = 0;
    for (size_t i = 0; i < n; i++) nj += join[i].arc != CC_INVALID_ID;
    ix->locs = cc__malloc_array(nj, sizeof(uint32_t));
    if (!ix->arc_first || !ix->node_first || !ix->locs || n >= UINT32_MAX) goto nomem;
    for (size_t i = 0; i < n; i++)
        if (join[i].arc != CC_INVALID_ID) ix->arc_first[join[i].arc + 1]++;
    size_t n_inc = 0;
    for (uint32_t a = 0; a < g->n_arcs; a++) {
        if (!ix->arc_first[a + 1]) continue;
        ix->node_first[g->arc_u[a] + 1]++;
        n_inc++;
        if (g->arc_v[a] != g->arc_u[a]) {
            ix->node_first[g->arc_v[a] + 1]++;
            n_inc++;
        }
    }
    for (uint32_t a = 0; a < g->n_arcs; a++) ix->arc_first[a + 1] += ix->arc_first[a];
    for (uint32_t v = 0; v < g->n_nodes; v++) ix->node_first[v + 1] += ix->node_first[v];
    if (!(ix->node_arcs = cc__malloc_array(n_inc, sizeof(uint32_t)))) goto nomem;
    uint32_t *pos = cc__malloc_array((size_t)(g->n_arcs > g->n_nodes ? g->n_arcs : g->n_nodes), sizeof(uint32_t));
    if (!pos) goto nomem;
    memcpy(pos, ix->arc_first, g->n_arcs * sizeof(uint32_t));
    for (size_t i = 0; i < n; i++)
        if (join[i].arc != CC_INVALID_ID) ix->locs[pos[join[i].arc]++] = (uint32_t)i;
    memcpy(pos, ix->node_first, g->n_nodes * sizeof(uint32_t));
    for (uint32_t a = 0; a < g->n_arcs; a++) {
        if (ix->arc_first[a + 1] == ix->arc_first[a]) continue;
        ix->node_arcs[pos[g->arc_u[a]]++] = a;
        if (g->arc_v[a] != g->arc_u[a]) ix->node_arcs[pos[g->arc_v[a]]++] = a;
    }
    free(pos);
    return CC_OK;
nomem:
    cc__loc_index_free(ix);
    return cc__fail(ctx, CC_ERR_NOMEM, "Out of memory indexing %zu locations", n);
}

/* ---- bounded reach ---------------------------------------------------------------------- */

cc_status cc__reach_ws_init(cc_ctx *ctx, const cc_graph *g, size_t n_loc, cc__reach_ws *ws)
{
    cc_status st;
    memset(ws, 0, sizeof(*ws));
    if ((st = cc_search_create(ctx, g, &ws->s))) return st;
    ws->arc_stamp = cc__calloc_array(g->n_arcs, sizeof(uint32_t));
    ws->loc = cc__malloc_array(n_loc, sizeof(uint32_t));
    ws->t_ms = cc__malloc_array(n_loc, sizeof(uint32_t));
    ws->nodes = cc__malloc_array(g->n_nodes, sizeof(uint32_t));
    ws->nodes_tmp = cc__malloc_array(g->n_nodes, sizeof(uint32_t));
    if (!ws->arc_stamp || !ws->loc || !ws->t_ms || !ws->nodes || !ws->nodes_tmp) {
        cc__reach_ws_free(ws);
        return cc__fail(ctx, CC_ERR_NOMEM, "Out of memory for a reach workspace");
    }
    return CC_OK;
}

void cc__reach_ws_free(cc__reach_ws *ws)
{
    cc_search_destroy(ws->s);
    free(ws->arc_stamp);
    free(ws->loc);
    free(ws->t_ms);
    free(ws->nodes);
    free(ws->nodes_tmp);
    memset(ws, 0, sizeof(*ws));
}

static inline void visit_arc(cc__reach_ws *ws, const cc_graph *g, const cc__loc_index *ix, const cc__join *ljoin,
                             const uint32_t *loff, uint32_t a, cc__join fj, uint32_t f_off, cc_direction dir, uint32_t limit_ms)
{
    if (ws->arc_stamp[a] == ws->gen) return;
    ws->arc_stamp[a] = ws->gen;
    for (uint32_t k = ix->arc_first[a]; k < ix->arc_first[a + 1]; k++) {
        uint32_t l = ix->locs[k];
        uint32_t t = cc__loc_time(ws->s, dir, ljoin[l], NULL);
        if (a == fj.arc) {
            uint32_t d = dir == CC_REVERSE ? cc__along(g, a, ljoin[l].s_m, fj.s_m) : cc__along(g, a, fj.s_m, ljoin[l].s_m);
            if (d != CC_INF_COST && d + f_off < t) t = d + f_off;
        }
        if (t == CC_INF_COST) continue;
        t += loff[l];
        if (t <= limit_ms) {
            ws->loc[ws->n] = l;
            ws->t_ms[ws->n] = t;
            ws->n++;
        }
    }
}

/* @p n node ids from @p in sorted ascending into @p out (@p tmp: scratch of n), ids below
 * @p n_nodes: insertion sort when short, else LSD radix sort in as few passes of at most 11-bit
 * digits as the ids need. */
void cc__sort_nodes(const uint32_t *in, size_t n, uint32_t n_nodes, uint32_t *out, uint32_t *tmp)
{
    if (n < 64) {
        for (size_t i = 0; i < n; i++) {
            uint32_t x = in[i];
            size_t j = i;
            for (; j > 0 && out[j - 1] > x; j--) out[j] = out[j - 1];
            out[j] = x;
        }
        return;
    }
    int bits = 1;
    while (bits < 32 && (n_nodes - 1) >> bits) bits++;
    int passes = (bits + 10) / 11, digit = (bits + passes - 1) / passes, shift = 0; /* 13 bits: 2 x 7 */
    const uint32_t mask = (1u << digit) - 1;
    /* the last pass writes into out: start in out when the number of passes is odd */
    const uint32_t *src = in;
    uint32_t *dst = passes % 2 ? out : tmp;
    for (int p = 0; p < passes; p++, shift += digit) {
        uint32_t count[2048];
        memset(count, 0, ((size_t)mask + 1) * sizeof(uint32_t));
        for (size_t i = 0; i < n; i++) count[(src[i] >> shift) & mask]++;
        uint32_t sum = 0;
        for (uint32_t d = 0; d <= mask; d++) {
            uint32_t c = count[d];
            count[d] = sum;
            sum += c;
        }
        for (size_t i = 0; i < n; i++) dst[count[(src[i] >> shift) & mask]++] = src[i];
        src = dst;
        dst = dst == out ? tmp : out;
    }
}

void cc__reach(cc__reach_ws *ws, const cc_graph *g, const cc__loc_index *ix, const cc__join *ljoin, const uint32_t *loff,
               cc__join fj, uint32_t f_off, cc_direction dir, uint32_t limit_ms)
{
    cc_seed seeds[2];
    ws->n = 0;
    if (fj.arc == CC_INVALID_ID) return;
    if (++ws->gen == 0) {
        memset(ws->arc_stamp, 0, (size_t)g->n_arcs * sizeof(uint32_t));
        ws->gen = 1;
    }
    size_t ns = cc__facility_seeds(g, fj, f_off, 0, dir, seeds);
    cc_search_run(ws->s, dir, seeds, ns, limit_ms);
    visit_arc(ws, g, ix, ljoin, loff, fj.arc, fj, f_off, dir, limit_ms);
    size_t n_settled;
    const uint32_t *settled = cc_search_get_settled_ref(ws->s, &n_settled);
    cc__sort_nodes(settled, n_settled, g->n_nodes, ws->nodes, ws->nodes_tmp);
    for (size_t i = 0; i < n_settled; i++) {
        uint32_t x = ws->nodes[i];
        for (uint32_t k = ix->node_first[x]; k < ix->node_first[x + 1]; k++)
            visit_arc(ws, g, ix, ljoin, loff, ix->node_arcs[k], fj, f_off, dir, limit_ms);
    }
}

/* ---- bounded reach from the lanes of a contraction-hierarchy batch ------------------------ */

cc_status cc__loc_along_build(cc_ctx *ctx, const cc_graph *g, const cc__loc_index *ix, const cc__join *ljoin, const uint32_t *loff,
                              cc_direction dir, uint32_t **pu, uint32_t **pv)
{
    const size_t n = ix->arc_first[ix->n_arcs];
    *pu = cc__malloc_array(n ? n : 1, sizeof(uint32_t));
    *pv = cc__malloc_array(n ? n : 1, sizeof(uint32_t));
    if (!*pu || !*pv) {
        CC__FREE_ALL(*pu, *pv);
        *pu = *pv = NULL;
        return cc__fail(ctx, CC_ERR_NOMEM, "Out of memory for the times along %zu located arcs' points", n);
    }
    for (uint32_t a = 0; a < ix->n_arcs; a++) {
        const double L = g->arc_len_m[a];
        for (uint32_t k = ix->arc_first[a]; k < ix->arc_first[a + 1]; k++) {
            const uint32_t l = ix->locs[k];
            const cc__join j = ljoin[l];
            uint32_t p = dir == CC_REVERSE ? cc__along(g, a, j.s_m, 0.0) : cc__along(g, a, 0.0, j.s_m);
            (*pu)[k] = p == CC_INF_COST ? CC_INF_COST : p + loff[l];
            p = dir == CC_REVERSE ? cc__along(g, a, j.s_m, L) : cc__along(g, a, L, j.s_m);
            (*pv)[k] = p == CC_INF_COST ? CC_INF_COST : p + loff[l];
        }
    }
    return CC_OK;
}

void cc__reach_lanes_ix_free(cc__reach_lanes_ix *lx)
{
    CC__FREE_ALL(lx->opos, lx->flags, lx->pu, lx->pv, lx->bound, lx->npts);
    memset(lx, 0, sizeof(*lx));
}

cc_status cc__reach_lanes_ix_build(cc_ctx *ctx, const cc_graph *g, const cc__ch *ch, const cc__loc_index *ix, const cc__join *ljoin,
                                   const uint32_t *loff, cc_direction dir, uint32_t limit_ms, const uint32_t *keep_lt,
                                   cc__reach_lanes_ix *lx)
{
    cc_status st;
    memset(lx, 0, sizeof(*lx));
    lx->ix = ix;
    lx->ch = ch;
    lx->limit_ms = limit_ms >= CC_INF_COST ? CC_INF_COST - 1 : limit_ms;
    const size_t ne = ix->node_first[ix->n_nodes], ns = ix->arc_first[ix->n_arcs];
    if ((st = cc__loc_along_build(ctx, g, ix, ljoin, loff, dir, &lx->pu, &lx->pv))) return st;
    lx->opos = cc__malloc_array(ne ? ne : 1, sizeof(uint32_t));
    lx->flags = cc__malloc_array(ne ? ne : 1, 1);
    lx->bound = cc__malloc_array(ns ? ns : 1, sizeof(uint32_t));
    lx->npts = cc__malloc_array((size_t)ix->n_nodes + 1, sizeof(uint32_t));
    if (!lx->opos || !lx->flags || !lx->bound || !lx->npts) {
        cc__reach_lanes_ix_free(lx);
        return cc__fail(ctx, CC_ERR_NOMEM, "Out of memory indexing %zu located points by node", ns);
    }
    uint32_t max_arc = 0;
    for (uint32_t x = 0; x < ix->n_nodes; x++) {
        uint64_t np = 0;
        for (uint32_t e = ix->node_first[x]; e < ix->node_first[x + 1]; e++) {
            const uint32_t a = ix->node_arcs[e], u = g->arc_u[a], v = g->arc_v[a], o = x == u ? v : u;
            lx->opos[e] = ch->pos[o];
            /* bit 0: x is the arc's v end (its times along the arc are pv); bit 1: x comes first
             * among the ends in id order (or the arc is a loop), so x lists the arc when reached */
            lx->flags[e] = (uint8_t)((x == v && u != v) | (x <= o) << 1);
            const uint32_t c = ix->arc_first[a + 1] - ix->arc_first[a];
            np += c;
            if (c > max_arc) max_arc = c;
        }
        lx->npts[x] = np > UINT32_MAX ? UINT32_MAX : (uint32_t)np;
    }
    lx->max_arc = max_arc;
    for (uint32_t a = 0; a < ix->n_arcs; a++)
        for (uint32_t k = ix->arc_first[a]; k < ix->arc_first[a + 1]; k++) {
            uint32_t bd = lx->limit_ms + 1;
            if (keep_lt && keep_lt[ix->locs[k]] < bd) bd = keep_lt[ix->locs[k]];
            lx->bound[k] = bd;
        }
    return CC_OK;
}

cc_status cc__reach_lanes_init(cc_ctx *ctx, const cc_graph *g, cc__reach_lanes *w)
{
    memset(w, 0, sizeof(*w));
    w->nodes = cc__malloc_array(g->n_nodes ? g->n_nodes : 1, sizeof(uint32_t));
    w->tmp = cc__malloc_array(g->n_nodes ? g->n_nodes : 1, sizeof(uint32_t));
    w->scratch = cc__malloc_array(g->n_nodes ? g->n_nodes : 1, sizeof(uint32_t));
    if (!w->nodes || !w->tmp || !w->scratch) {
        cc__reach_lanes_free(w);
        return cc__fail(ctx, CC_ERR_NOMEM, "Out of memory for a reach workspace");
    }
    return CC_OK;
}

void cc__reach_lanes_free(cc__reach_lanes *w)
{
    CC__FREE_ALL(w->nodes, w->tmp, w->scratch);
    memset(w, 0, sizeof(*w));
}

/* Lane @p k's points on the facility's own arc: as cc__reach (cc__loc_time, then along the arc);
 * counted, or written to dem (and t) when dem is not NULL. */
static void lane_fac_arc(cc__reach_lanes *w, const cc__reach_lanes_ix *lx, const cc_graph *g, const cc__join *ljoin,
                         const uint32_t *loff, const cc__ch_batch *b, uint32_t k, cc__join fj, uint32_t f_off, cc_direction dir,
                         uint32_t *dem, uint32_t *t_out)
{
    const cc__loc_index *ix = lx->ix;
    const uint32_t a = fj.arc, limit = lx->limit_ms;
    const uint32_t lu = cc__ch_batch_cost(b, g->arc_u[a], k), lv = cc__ch_batch_cost(b, g->arc_v[a], k);
    const double L = g->arc_len_m[a];
    for (uint32_t s = ix->arc_first[a]; s < ix->arc_first[a + 1]; s++) {
        const uint32_t l = ix->locs[s];
        const cc__join j = ljoin[l];
        uint32_t t = CC_INF_COST;
        if (lu != CC_INF_COST) {
            uint32_t p = dir == CC_REVERSE ? cc__along(g, a, j.s_m, 0.0) : cc__along(g, a, 0.0, j.s_m);
            if (p != CC_INF_COST) t = lu + p;
        }
        if (lv != CC_INF_COST) {
            uint32_t p = dir == CC_REVERSE ? cc__along(g, a, j.s_m, L) : cc__along(g, a, L, j.s_m);
            if (p != CC_INF_COST && lv + p < t) t = lv + p;
        }
        uint32_t d = dir == CC_REVERSE ? cc__along(g, a, j.s_m, fj.s_m) : cc__along(g, a, fj.s_m, j.s_m);
        if (d != CC_INF_COST && d + f_off < t) t = d + f_off;
        if (t == CC_INF_COST) continue;
        t += loff[l];
        if (t <= limit && t < lx->bound[s]) {
            if (dem) {
                dem[w->n[k]] = l;
                if (t_out) t_out[w->n[k]] = t;
            }
            w->n[k]++;
        }
    }
}

/* Lanes (bits of a 16-bit mask) whose cost in @p d (16 lanes) is within @p limit. */
static inline uint32_t lanes_within(const uint32_t *d, uint32_t limit)
{
    uint32_t m = 0;
    for (int k = 0; k < CC__CH_LANES; k++) m |= (uint32_t)(d[k] <= limit) << k;
    return m;
}

/* The walk of cc__reach_lanes_run; MODE 0 counts, 1 writes ids, 2 ids and times (constants, so
 * that each is compiled on its own: counting has no stores and vectorizes). */
static inline __attribute__((always_inline)) void lanes_walk(cc__reach_lanes *w, const cc__reach_lanes_ix *lx, const cc__ch_batch *b,
                                                             size_t nn, uint32_t all, const cc__join *fj, uint32_t *const *dem,
                                                             uint32_t *const *t_out, const uint64_t *cnt, const int MODE)
{
    const cc__loc_index *ix = lx->ix;
    const cc__ch *ch = lx->ch;
    const uint32_t limit = lx->limit_ms;
    const uint32_t *D = b->d;
    for (size_t i = 0; i < nn; i++) {
        const uint32_t x = w->nodes[i];
        const uint32_t *dx = D + (size_t)ch->pos[x] * CC__CH_LANES;
        const uint32_t mx = lanes_within(dx, limit) & all;
        if (!mx) continue;
        for (uint32_t e = ix->node_first[x]; e < ix->node_first[x + 1]; e++) {
            const uint32_t a = ix->node_arcs[e], fl = lx->flags[e];
            const uint32_t *dy = D + (size_t)lx->opos[e] * CC__CH_LANES;
            uint32_t vis = fl & 2 ? mx : mx & ~lanes_within(dy, limit); /* else listed from the other end */
            const uint32_t s0 = ix->arc_first[a], s1 = ix->arc_first[a + 1];
            const uint32_t *px = fl & 1 ? lx->pv : lx->pu, *py = fl & 1 ? lx->pu : lx->pv, *bd = lx->bound;
            while (vis) {
                const uint32_t k = (uint32_t)__builtin_ctz(vis);
                vis &= vis - 1;
                if (a == fj[k].arc) continue; /* listed first */
                const uint32_t cx = dx[k], cy = dy[k]; /* cx <= limit, cy <= CC_INF_COST: no overflow */
                size_t n = w->n[k];
                if (MODE == 0) {
                    uint32_t c = 0;
                    for (uint32_t s = s0; s < s1; s++) {
                        const uint32_t tx = cx + px[s], ty = cy + py[s], t = tx < ty ? tx : ty;
                        c += t < bd[s];
                    }
                    n += c;
                } else {
                    /* branch-free: every point is written at n, n moves on when it is kept; the
                     * lane's exact count stops the writes before they pass its end (the next
                     * candidate's pairs, maybe another thread's) */
                    uint32_t *ol = dem[k], *ot = MODE == 2 ? t_out[k] : NULL;
                    const size_t end = (size_t)cnt[k];
                    for (uint32_t s = s0; s < s1 && n < end; s++) {
                        const uint32_t tx = cx + px[s], ty = cy + py[s], t = tx < ty ? tx : ty;
                        ol[n] = ix->locs[s];
                        if (MODE == 2) ot[n] = t;
                        n += t < bd[s];
                    }
                }
                w->n[k] = n;
            }
        }
    }
}

void cc__reach_lanes_run(cc__reach_lanes *w, const cc__reach_lanes_ix *lx, const cc_graph *g, const cc__join *ljoin,
                         const uint32_t *loff, const cc__ch_batch *b, const cc__join *fj, const uint32_t *f_off, uint32_t n_lanes,
                         cc_direction dir, uint32_t *const *dem, uint32_t *const *t_out, const uint64_t *cnt)
{
    const cc__ch *ch = lx->ch;
    /* the batch's reached nodes with located arcs, in id order */
    size_t nn = 0;
    for (uint32_t i = 0; i < b->n_touched; i++) {
        const uint32_t x = ch->node[b->touched[i]];
        if (lx->npts[x]) w->scratch[nn++] = x;
    }
    cc__sort_nodes(w->scratch, nn, g->n_nodes, w->nodes, w->tmp);
    uint32_t all = 0;
    for (uint32_t k = 0; k < CC__CH_LANES; k++) {
        w->n[k] = 0;
        if (k >= n_lanes || fj[k].arc == CC_INVALID_ID) continue;
        all |= 1u << k;
        lane_fac_arc(w, lx, g, ljoin, loff, b, k, fj[k], f_off[k], dir, dem ? dem[k] : NULL, dem && t_out ? t_out[k] : NULL);
    }
    if (!dem) lanes_walk(w, lx, b, nn, all, fj, NULL, NULL, NULL, 0);
    else if (!t_out) lanes_walk(w, lx, b, nn, all, fj, dem, NULL, cnt, 1);
    else lanes_walk(w, lx, b, nn, all, fj, dem, t_out, cnt, 2);
}

/* ---- nearest facility per set ----------------------------------------------------------- */

typedef struct fac_on_arc {
    uint32_t arc, fac;
} fac_on_arc;

static int cmp_fac_on_arc(const void *a, const void *b)
{
    const fac_on_arc *x = a, *y = b;
    if (x->arc != y->arc) return x->arc < y->arc ? -1 : 1;
    return x->fac < y->fac ? -1 : x->fac > y->fac;
}

cc_status cc__nearest(cc_ctx *ctx, const cc_graph *g, const cc__join *fjoin, const uint32_t *foff, size_t n_fac,
                      const uint8_t *in_set, size_t n_sets, const cc__join *ljoin, const uint32_t *loff, size_t n_loc,
                      cc_direction dir, uint32_t *time_ms, uint32_t *fac)
{
    const int threads = cc_ctx_get_threads(ctx);
    cc_status st = CC_OK;
    cc_search **ws = cc__calloc_array(n_sets, sizeof(cc_search *));
    cc_seed *seeds = cc__malloc_array(2 * n_fac * n_sets, sizeof(cc_seed));
    fac_on_arc *foa = cc__malloc_array(n_fac, sizeof(fac_on_arc));
    size_t n_foa = 0;
    if (!ws || !seeds || !foa) {
        st = cc__fail(ctx, CC_ERR_NOMEM, "Out of memory computing travel times");
        goto out;
    }
    for (size_t k = 0; k < n_sets && !st; k++) st = cc_search_create(ctx, g, &ws[k]);
    if (st) goto out;
    for (size_t f = 0; f < n_fac; f++)
        if (fjoin[f].arc != CC_INVALID_ID) foa[n_foa++] = (fac_on_arc){fjoin[f].arc, (uint32_t)f};
    qsort(foa, n_foa, sizeof(*foa), cmp_fac_on_arc);

    /* one multi-source search per set, sets in parallel (each with its own workspace) */
    (void)threads;
#ifdef _OPENMP
#pragma omp parallel for schedule(dynamic, 1) num_threads(threads)
#endif
    for (size_t k = 0; k < n_sets; k++) {
        cc_seed *sk = seeds + 2 * n_fac * k;
        size_t ns = 0;
        for (size_t f = 0; f < n_fac; f++)
            if (in_set[k * n_fac + f]) ns += cc__facility_seeds(g, fjoin[f], foff[f], (uint32_t)f, dir, sk + ns);
        cc_search_run(ws[k], dir, sk, ns, CC_INF_COST);
    }

    /* every location, every set */
    const volatile sig_atomic_t *cancel = cc__interrupt_flag(ctx);
#ifdef _OPENMP
#pragma omp parallel for schedule(static, 4096) num_threads(threads)
#endif
    for (size_t i = 0; i < n_loc; i++) {
        if (cancel && *cancel) continue;
        cc__join j = ljoin[i];
        for (size_t k = 0; k < n_sets; k++) {
            uint32_t t = CC_INF_COST, o = CC_INVALID_ID;
            if (j.arc != CC_INVALID_ID) {
                t = cc__loc_time(ws[k], dir, j, &o);
                /* facilities on the same arc: direct travel along it */
                size_t lo = 0, hi = n_foa;
                while (lo < hi) {
                    size_t mid = (lo + hi) / 2;
                    if (foa[mid].arc < j.arc) lo = mid + 1; else hi = mid;
                }
                for (size_t q = lo; q < n_foa && foa[q].arc == j.arc; q++) {
                    uint32_t f = foa[q].fac;
                    if (!in_set[k * n_fac + f]) continue;
                    uint32_t d = dir == CC_REVERSE ? cc__along(g, j.arc, j.s_m, fjoin[f].s_m) : cc__along(g, j.arc, fjoin[f].s_m, j.s_m);
                    if (d == CC_INF_COST) continue;
                    d += foff[f];
                    if (d < t || (d == t && f < o)) {
                        t = d;
                        o = f;
                    }
                }
                if (t != CC_INF_COST) t += loff[i];
                if (t >= CC_INF_COST) {
                    t = CC_INF_COST;
                    o = CC_INVALID_ID;
                }
            }
            time_ms[k * n_loc + i] = t;
            fac[k * n_loc + i] = t == CC_INF_COST ? CC_INVALID_ID : o;
        }
    }
    if (cc__interrupted(ctx)) st = cc__fail(ctx, CC_ERR_INTERRUPTED, "Interrupted while computing travel times");
out:
    if (ws)
        for (size_t k = 0; k < n_sets; k++) cc_search_destroy(ws[k]);
    free(ws);
    free(seeds);
    free(foa);
    return st;
}
