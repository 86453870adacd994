/*
 * ch.c - a contraction hierarchy over the CSR graph and many-source bounded searches on it
 * (issue 19), see route_internal.h.
 *
 * Preprocessing (Geisberger et al. 2008; the priority follows RoutingKit's
 * contraction_hierarchy.cpp): a dynamic graph of in- and out-lists per node; a node's priority is
 * 1000 * level + 1000 * arcs added / arcs removed + 1000 * hops added / hops removed + deleted
 * neighbours, where level is one more than the deepest contracted neighbour. Priorities sit in an
 * indexed min-heap; the top is recomputed before it is contracted (lazy update) and put back when
 * it is no longer the smallest; the neighbours of a contracted node are recomputed at once.
 * Witness searches: one Dijkstra per in-neighbour u over the uncontracted nodes without v, up to
 * the largest u -> v -> w cost and at most WITNESS_SETTLE settled nodes (SIM_SETTLE while only
 * estimating a priority); a shortcut is added when no path is found within the bound.
 *
 * Searches (PHAST, Delling et al. 2011, with the sweep pruned to the bound and to the targets,
 * RPHAST): CC__CH_LANES sources at once, one 64-byte vector of costs per node. Upward phase: the
 * nodes holding a cost within the bound, in increasing rank (positions descending, found in a
 * bitmap), relax their upward arcs in every lane; downward phase: the same nodes and every node
 * they reach within the bound, in decreasing rank, relax their downward arcs. A node is only
 * processed when some lane holds a cost within the bound, so the work follows the area reached,
 * not the graph; there is no priority queue (rank order is a topological order of both DAGs).
 */
#include <inttypes.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <glib.h>

#include "route_internal.h"
#include "../core/omp_internal.h"

#define WITNESS_SETTLE 500u
#define SIM_SETTLE 100u
#define NONE 0xFFFFFFFFu

/* ---- dynamic graph ------------------------------------------------------------------------ */

typedef struct darc {
    uint32_t node, w, mid, hops;
} darc;

typedef struct dlist {
    darc *a;
    uint32_t n, cap;
} dlist;

static bool dl_push(dlist *l, darc x)
{
    if (l->n == l->cap) {
        uint32_t c = l->cap ? 2 * l->cap : 4;
        darc *na = realloc(l->a, (size_t)c * sizeof(darc));
        if (!na) return false;
        l->a = na;
        l->cap = c;
    }
    l->a[l->n++] = x;
    return true;
}

static void dl_remove(dlist *l, uint32_t node)
{
    for (uint32_t i = 0; i < l->n; i++)
        if (l->a[i].node == node) {
            l->a[i] = l->a[--l->n];
            return;
        }
}

typedef struct builder {
    uint32_t n;
    dlist *out, *in;
    uint8_t *done;      /* contracted */
    uint32_t *level, *deleted;
    /* witness search */
    uint32_t *dist, *touched, n_touched;
    uint32_t *target, target_mark; /* witness targets: target[x] == target_mark */
    cc__heap_item *heap;
    size_t heap_n, heap_cap;
    /* priority heap (indexed) */
    int64_t *prio;
    uint32_t *hp, *hidx, hn; /* heap of nodes; hidx[v] = place of v (NONE when out) */
    uint32_t *mark;          /* last contraction (count) whose neighbours' update saw the node */
    /* result arcs */
    uint32_t *lo, *hi, *w, *mid;
    uint8_t *up;
    size_t na, cap;
    /* shortcuts of the node being contracted */
    darc *sc_from; /* (u, ...) pairs: node = u, mid = x, w, hops */
    size_t n_sc, cap_sc;
} builder;

/* Add arc x -> y or lower the cost of the existing one. */
static bool add_or_reduce(builder *b, uint32_t x, uint32_t y, uint32_t w, uint32_t mid, uint32_t hops)
{
    dlist *o = &b->out[x];
    for (uint32_t i = 0; i < o->n; i++)
        if (o->a[i].node == y) {
            if (w < o->a[i].w) {
                o->a[i].w = w, o->a[i].mid = mid, o->a[i].hops = hops;
                dlist *in = &b->in[y];
                for (uint32_t k = 0; k < in->n; k++)
                    if (in->a[k].node == x) in->a[k].w = w, in->a[k].mid = mid, in->a[k].hops = hops;
            }
            return true;
        }
    return dl_push(o, (darc){y, w, mid, hops}) && dl_push(&b->in[y], (darc){x, w, mid, hops});
}

static bool wheap_push(builder *b, uint32_t c, uint32_t v)
{
    if (b->heap_n == b->heap_cap) {
        size_t nc = b->heap_cap ? 2 * b->heap_cap : 1024;
        cc__heap_item *nh = realloc(b->heap, nc * sizeof(*nh));
        if (!nh) return false;
        b->heap = nh;
        b->heap_cap = nc;
    }
    size_t i = b->heap_n++;
    while (i > 0) {
        size_t p = (i - 1) / 2;
        if (b->heap[p].cost <= c) break;
        b->heap[i] = b->heap[p];
        i = p;
    }
    b->heap[i] = (cc__heap_item){c, v};
    return true;
}

static cc__heap_item wheap_pop(builder *b)
{
    cc__heap_item top = b->heap[0], last = b->heap[--b->heap_n];
    size_t i = 0, n = b->heap_n;
    for (;;) {
        size_t c = 2 * i + 1;
        if (c >= n) break;
        if (c + 1 < n && b->heap[c + 1].cost < b->heap[c].cost) c++;
        if (last.cost <= b->heap[c].cost) break;
        b->heap[i] = b->heap[c];
        i = c;
    }
    if (n) b->heap[i] = last;
    return top;
}

/* Dijkstra from u over uncontracted nodes, never through @p skip, up to cost @p bound and
 * @p max_settle settled nodes; results in b->dist (NONE = not reached). It also stops once the
 * @p n_targets nodes marked in b->target are all settled: their costs are then final, and the
 * rest of the search could change nothing the caller reads (the caller reads only the targets),
 * so the shortcuts, and the hierarchy, are those of the full search. */
static bool witness(builder *b, uint32_t u, uint32_t skip, uint64_t bound, uint32_t max_settle, uint32_t n_targets)
{
    for (uint32_t i = 0; i < b->n_touched; i++) b->dist[b->touched[i]] = NONE;
    b->n_touched = 0;
    b->heap_n = 0;
    b->dist[u] = 0;
    b->touched[b->n_touched++] = u;
    if (!wheap_push(b, 0, u)) return false;
    uint32_t settled = 0;
    while (b->heap_n) {
        cc__heap_item t = wheap_pop(b);
        if (t.cost != b->dist[t.node]) continue;
        if (t.cost > bound || ++settled > max_settle) break;
        if (b->target[t.node] == b->target_mark && --n_targets == 0) break;
        const dlist *o = &b->out[t.node];
        for (uint32_t i = 0; i < o->n; i++) {
            uint32_t x = o->a[i].node;
            if (x == skip) continue;
            uint64_t c = (uint64_t)t.cost + o->a[i].w;
            if (c > bound) continue;
            if (b->dist[x] == NONE) b->touched[b->n_touched++] = x;
            else if (b->dist[x] <= c) continue;
            b->dist[x] = (uint32_t)c;
            if (!wheap_push(b, (uint32_t)c, x)) return false;
        }
    }
    return true;
}

/* Shortcuts needed to contract v (into b->sc_from when @p record), their count and hops. */
static bool shortcuts(builder *b, uint32_t v, uint32_t max_settle, bool record, uint32_t *added, uint32_t *added_hops)
{
    const dlist *in = &b->in[v], *out = &b->out[v];
    uint32_t max_out = 0;
    *added = *added_hops = 0;
    b->n_sc = 0;
    for (uint32_t j = 0; j < out->n; j++)
        if (out->a[j].w > max_out) max_out = out->a[j].w;
    for (uint32_t i = 0; i < in->n; i++) {
        uint32_t u = in->a[i].node, n_targets = 0;
        /* the out-neighbours this search must price (a node listed twice counts once) */
        if (++b->target_mark == 0) { /* wrapped: clear the marks */
            memset(b->target, 0, (size_t)b->n * sizeof(uint32_t));
            b->target_mark = 1;
        }
        for (uint32_t j = 0; j < out->n; j++) {
            uint32_t x = out->a[j].node;
            if (x != u && b->target[x] != b->target_mark) {
                b->target[x] = b->target_mark;
                n_targets++;
            }
        }
        if (!n_targets) continue; /* nothing to price from u */
        if (!witness(b, u, v, (uint64_t)in->a[i].w + max_out, max_settle, n_targets)) return false;
        for (uint32_t j = 0; j < out->n; j++) {
            uint32_t x = out->a[j].node;
            if (x == u) continue;
            uint64_t c = (uint64_t)in->a[i].w + out->a[j].w;
            if (c > CC_INF_COST - 1) continue; /* beyond every search's limit */
            if (b->dist[x] != NONE && b->dist[x] <= c) continue;
            (*added)++;
            *added_hops += in->a[i].hops + out->a[j].hops;
            if (record) {
                if (b->n_sc == b->cap_sc) {
                    size_t nc = b->cap_sc ? 2 * b->cap_sc : 64;
                    darc *ns = realloc(b->sc_from, 2 * nc * sizeof(darc));
                    if (!ns) return false;
                    b->sc_from = ns;
                    b->cap_sc = nc;
                }
                b->sc_from[2 * b->n_sc] = (darc){u, (uint32_t)c, v, in->a[i].hops + out->a[j].hops};
                b->sc_from[2 * b->n_sc + 1] = (darc){x, 0, 0, 0};
                b->n_sc++;
            }
        }
    }
    return true;
}

static bool priority(builder *b, uint32_t v, int64_t *p)
{
    uint32_t added, added_hops;
    if (!shortcuts(b, v, SIM_SETTLE, false, &added, &added_hops)) return false;
    uint32_t removed = 1 + b->in[v].n + b->out[v].n, removed_hops = 1;
    for (uint32_t i = 0; i < b->in[v].n; i++) removed_hops += b->in[v].a[i].hops;
    for (uint32_t i = 0; i < b->out[v].n; i++) removed_hops += b->out[v].a[i].hops;
    *p = 1 + 1000 * (int64_t)b->level[v] + 1000 * (int64_t)added / removed + 1000 * (int64_t)added_hops / removed_hops +
         (int64_t)b->deleted[v];
    return true;
}

/* indexed min-heap on (prio, node) */
static inline bool hless(const builder *b, uint32_t x, uint32_t y)
{
    return b->prio[x] < b->prio[y] || (b->prio[x] == b->prio[y] && x < y);
}

static void hup(builder *b, uint32_t i)
{
    uint32_t v = b->hp[i];
    while (i > 0) {
        uint32_t p = (i - 1) / 2;
        if (!hless(b, v, b->hp[p])) break;
        b->hp[i] = b->hp[p];
        b->hidx[b->hp[i]] = i;
        i = p;
    }
    b->hp[i] = v;
    b->hidx[v] = i;
}

static void hdown(builder *b, uint32_t i)
{
    uint32_t v = b->hp[i];
    for (;;) {
        uint32_t c = 2 * i + 1;
        if (c >= b->hn) break;
        if (c + 1 < b->hn && hless(b, b->hp[c + 1], b->hp[c])) c++;
        if (!hless(b, b->hp[c], v)) break;
        b->hp[i] = b->hp[c];
        b->hidx[b->hp[i]] = i;
        i = c;
    }
    b->hp[i] = v;
    b->hidx[v] = i;
}

static bool add_result(builder *b, uint32_t lo, uint32_t hi, uint32_t w, uint32_t mid, bool up)
{
    if (b->na == b->cap) {
        size_t c = b->cap ? 2 * b->cap : 1024;
        uint32_t *a = realloc(b->lo, c * 4), *h, *ww, *m;
        uint8_t *u;
        if (!a) return false;
        b->lo = a;
        if (!(h = realloc(b->hi, c * 4))) return false;
        b->hi = h;
        if (!(ww = realloc(b->w, c * 4))) return false;
        b->w = ww;
        if (!(m = realloc(b->mid, c * 4))) return false;
        b->mid = m;
        if (!(u = realloc(b->up, c))) return false;
        b->up = u;
        b->cap = c;
    }
    b->lo[b->na] = lo, b->hi[b->na] = hi, b->w[b->na] = w, b->mid[b->na] = mid, b->up[b->na] = up;
    b->na++;
    return true;
}

/* Contract v: record its arcs to uncontracted neighbours, detach it, add its shortcuts. */
static bool contract(builder *b, uint32_t v)
{
    uint32_t added, added_hops;
    if (!shortcuts(b, v, WITNESS_SETTLE, true, &added, &added_hops)) return false;
    dlist *in = &b->in[v], *out = &b->out[v];
    for (uint32_t i = 0; i < out->n; i++) {
        const darc *a = &out->a[i];
        if (!add_result(b, v, a->node, a->w, a->mid, true)) return false;
        dl_remove(&b->in[a->node], v);
    }
    for (uint32_t i = 0; i < in->n; i++) {
        const darc *a = &in->a[i];
        if (!add_result(b, v, a->node, a->w, a->mid, false)) return false;
        dl_remove(&b->out[a->node], v);
    }
    for (size_t k = 0; k < b->n_sc; k++) {
        const darc *s = &b->sc_from[2 * k];
        if (!add_or_reduce(b, s->node, b->sc_from[2 * k + 1].node, s->w, s->mid, s->hops)) return false;
    }
    b->done[v] = 1;
    return true;
}

static void builder_free(builder *b)
{
    for (uint32_t v = 0; b->out && v < b->n; v++) free(b->out[v].a);
    for (uint32_t v = 0; b->in && v < b->n; v++) free(b->in[v].a);
    CC__FREE_ALL(b->out, b->in, b->done, b->level, b->deleted, b->dist, b->touched, b->heap, b->prio, b->hp, b->hidx, b->mark, b->target, b->lo, b->hi,
                 b->w, b->mid, b->up, b->sc_from);
}

void cc__ch_free(cc__ch *ch)
{
    CC__FREE_ALL(ch->pos, ch->node, ch->upout_first, ch->downin_first, ch->downout_first, ch->upin_first, ch->upout, ch->downin,
                 ch->downout, ch->upin, ch->arc_lo, ch->arc_hi, ch->arc_w, ch->arc_mid, ch->arc_up);
    memset(ch, 0, sizeof(*ch));
}

size_t cc__ch_bytes(const cc__ch *ch)
{
    return (size_t)ch->n * 2 * 4 + ((size_t)ch->n + 1) * 4 * 4 + (size_t)ch->n_arcs * 2 * sizeof(cc_edge) +
           (size_t)ch->n_arcs * (4 * 4 + 1);
}

/* One CSR by key position from the arc list: key = lo (from_lo) or hi, head = the other end. */
static bool make_csr(const cc__ch *ch, bool want_up, bool from_lo, uint32_t **first, cc_edge **edges)
{
    const uint32_t n = ch->n;
    size_t m = 0;
    for (uint32_t a = 0; a < ch->n_arcs; a++) m += ch->arc_up[a] == want_up;
    *first = cc__calloc_array((size_t)n + 1, sizeof(uint32_t));
    *edges = cc__malloc_array(m ? m : 1, sizeof(cc_edge));
    if (!*first || !*edges) return false;
    for (uint32_t a = 0; a < ch->n_arcs; a++)
        if (ch->arc_up[a] == want_up) (*first)[(from_lo ? ch->arc_lo[a] : ch->arc_hi[a]) + 1]++;
    for (uint32_t p = 0; p < n; p++) (*first)[p + 1] += (*first)[p];
    uint32_t *fill = cc__malloc_array((size_t)n + 1, sizeof(uint32_t));
    if (!fill) return false;
    memcpy(fill, *first, ((size_t)n + 1) * sizeof(uint32_t));
    for (uint32_t a = 0; a < ch->n_arcs; a++)
        if (ch->arc_up[a] == want_up) {
            uint32_t k = from_lo ? ch->arc_lo[a] : ch->arc_hi[a], h = from_lo ? ch->arc_hi[a] : ch->arc_lo[a];
            (*edges)[fill[k]++] = (cc_edge){h, ch->arc_w[a]};
        }
    free(fill);
    return true;
}

/* Every node's first priority, on up to @p threads threads: each is computed on the same
 * uncontracted graph, so they are independent; a thread other than the first searches with its
 * own copy of the witness workspace (the graph itself is only read). The same priorities as one
 * thread, in any order. */
static bool initial_priorities(builder *b, int threads)
{
    const uint32_t n = b->n;
    if (threads < 1 || n < 4096) threads = 1; /* small graphs: not worth the threads */
    builder *tb = cc__calloc_array((size_t)threads, sizeof(builder));
    bool ok = tb != NULL;
    for (int t = 0; ok && t < threads; t++) {
        tb[t] = *b;
        if (t == 0) continue;
        tb[t].heap = NULL, tb[t].heap_n = tb[t].heap_cap = 0;
        tb[t].sc_from = NULL, tb[t].n_sc = tb[t].cap_sc = 0;
        tb[t].n_touched = 0, tb[t].target_mark = 0;
        tb[t].dist = cc__malloc_array(n, sizeof(uint32_t));
        tb[t].touched = cc__malloc_array(n, sizeof(uint32_t));
        tb[t].target = cc__calloc_array(n, sizeof(uint32_t));
        if (!tb[t].dist || !tb[t].touched || !tb[t].target) ok = false;
        else
            for (uint32_t v = 0; v < n; v++) tb[t].dist[v] = NONE;
    }
    if (ok) {
        bool failed = false;
#ifdef _OPENMP
#pragma omp parallel for schedule(dynamic, 512) num_threads(threads) reduction(|| : failed)
#endif
        for (uint32_t v = 0; v < n; v++)
            if (!priority(&tb[cc__omp_thread_num()], v, &b->prio[v])) failed = true;
        ok = !failed;
    }
    if (tb) { /* the first thread's workspace is b's own, grown in place */
        b->heap = tb[0].heap, b->heap_n = 0, b->heap_cap = tb[0].heap_cap;
        b->n_touched = tb[0].n_touched, b->target_mark = tb[0].target_mark;
        b->sc_from = tb[0].sc_from, b->cap_sc = tb[0].cap_sc, b->n_sc = 0;
        for (int t = 1; t < threads; t++) CC__FREE_ALL(tb[t].dist, tb[t].touched, tb[t].target, tb[t].heap, tb[t].sc_from);
    }
    free(tb);
    return ok;
}

cc_status cc__ch_build_csr(cc_ctx *ctx, uint32_t n, const uint32_t *first, const cc_edge *edges, cc__ch *out)
{
    struct timespec t0, t1;
    clock_gettime(CLOCK_MONOTONIC, &t0);
    memset(out, 0, sizeof(*out));
    builder B = {0}, *b = &B;
    b->n = n;
    b->out = cc__calloc_array(n ? n : 1, sizeof(dlist));
    b->in = cc__calloc_array(n ? n : 1, sizeof(dlist));
    b->done = cc__calloc_array(n ? n : 1, 1);
    b->level = cc__calloc_array(n ? n : 1, sizeof(uint32_t));
    b->deleted = cc__calloc_array(n ? n : 1, sizeof(uint32_t));
    b->dist = cc__malloc_array(n ? n : 1, sizeof(uint32_t));
    b->touched = cc__malloc_array(n ? n : 1, sizeof(uint32_t));
    b->prio = cc__malloc_array(n ? n : 1, sizeof(int64_t));
    b->hp = cc__malloc_array(n ? n : 1, sizeof(uint32_t));
    b->hidx = cc__malloc_array(n ? n : 1, sizeof(uint32_t));
    b->mark = cc__malloc_array(n ? n : 1, sizeof(uint32_t));
    b->target = cc__calloc_array(n ? n : 1, sizeof(uint32_t));
    if (!b->target || !b->mark || !b->out || !b->in || !b->done || !b->level || !b->deleted || !b->dist || !b->touched || !b->prio || !b->hp || !b->hidx) goto nomem;
    for (uint32_t v = 0; v < n; v++) b->dist[v] = NONE, b->mark[v] = NONE;
    for (uint32_t u = 0; u < n; u++)
        for (uint32_t e = first[u]; e < first[u + 1]; e++)
            if (edges[e].head != u && edges[e].head < n && edges[e].cost_ms < CC_INF_COST &&
                !add_or_reduce(b, u, edges[e].head, edges[e].cost_ms, CC_INVALID_ID, 1))
                goto nomem;
    if (!initial_priorities(b, cc_ctx_get_threads(ctx))) goto nomem;
    for (uint32_t v = 0; v < n; v++) b->hp[v] = v;
    b->hn = n;
    for (uint32_t i = n / 2; i-- > 0;) hdown(b, i);
    for (uint32_t v = 0; v < n; v++) b->hidx[b->hp[v]] = v;
    out->n = n;
    out->pos = cc__malloc_array(n ? n : 1, sizeof(uint32_t));
    out->node = cc__malloc_array(n ? n : 1, sizeof(uint32_t));
    if (!out->pos || !out->node) goto nomem;
    uint32_t rank = 0;
    while (b->hn) {
        uint32_t v = b->hp[0];
        int64_t p;
        if (!priority(b, v, &p)) goto nomem;
        if (p != b->prio[v]) { /* lazy update: contract only if still the smallest */
            b->prio[v] = p;
            hdown(b, 0);
            if (b->hp[0] != v) continue;
        }
        /* out of the heap */
        b->hidx[v] = NONE;
        b->hp[0] = b->hp[--b->hn];
        if (b->hn) {
            b->hidx[b->hp[0]] = 0;
            hdown(b, 0);
        }
        /* neighbours before detaching */
        uint32_t nn = b->in[v].n + b->out[v].n;
        uint32_t *nbr = cc__malloc_array(nn ? nn : 1, sizeof(uint32_t));
        if (!nbr) goto nomem;
        for (uint32_t i = 0; i < b->in[v].n; i++) nbr[i] = b->in[v].a[i].node;
        for (uint32_t i = 0; i < b->out[v].n; i++) nbr[b->in[v].n + i] = b->out[v].a[i].node;
        if (!contract(b, v)) {
            free(nbr);
            goto nomem;
        }
        out->pos[v] = n - 1 - rank;
        out->node[n - 1 - rank] = v;
        rank++;
        for (uint32_t i = 0; i < nn; i++) {
            uint32_t x = nbr[i];
            if (b->done[x] || b->hidx[x] == NONE || b->mark[x] == rank) continue; /* in and out neighbour: once */
            b->mark[x] = rank;
            b->deleted[x]++;
            if (b->level[x] < b->level[v] + 1) b->level[x] = b->level[v] + 1;
            int64_t px;
            if (!priority(b, x, &px)) {
                free(nbr);
                goto nomem;
            }
            if (px != b->prio[x]) {
                int64_t old = b->prio[x];
                b->prio[x] = px;
                if (px < old) hup(b, b->hidx[x]);
                else hdown(b, b->hidx[x]);
            }
        }
        free(nbr);
    }
    /* arcs by position */
    out->n_arcs = (uint32_t)b->na;
    out->arc_lo = b->lo, out->arc_hi = b->hi, out->arc_w = b->w, out->arc_mid = b->mid, out->arc_up = b->up;
    b->lo = b->hi = b->w = b->mid = NULL;
    b->up = NULL;
    for (uint32_t a = 0; a < out->n_arcs; a++) {
        out->arc_lo[a] = out->pos[out->arc_lo[a]];
        out->arc_hi[a] = out->pos[out->arc_hi[a]];
        out->n_shortcuts += out->arc_mid[a] != CC_INVALID_ID;
    }
    if (!make_csr(out, true, true, &out->upout_first, &out->upout) || !make_csr(out, false, true, &out->downin_first, &out->downin) ||
        !make_csr(out, false, false, &out->downout_first, &out->downout) || !make_csr(out, true, false, &out->upin_first, &out->upin))
        goto nomem;
    builder_free(b);
    clock_gettime(CLOCK_MONOTONIC, &t1);
    out->build_s = (double)(t1.tv_sec - t0.tv_sec) + 1e-9 * (double)(t1.tv_nsec - t0.tv_nsec);
    return CC_OK;
nomem:
    builder_free(b);
    cc__ch_free(out);
    return cc__fail(ctx, CC_ERR_NOMEM, "Out of memory building a contraction hierarchy of %u nodes", n);
}

cc_status cc__ch_build(cc_ctx *ctx, const cc_graph *g, cc__ch *out)
{
    return cc__ch_build_csr(ctx, g->n_nodes, g->fwd_first, g->fwd, out);
}

/* ---- on disk ---------------------------------------------------------------------------------
 * Header, then pos[n], node[n], arc_lo, arc_hi, arc_w, arc_mid (uint32 each), arc_up (bytes); the
 * four CSRs are rebuilt from the arc list on reading. Native byte order (the endian word refuses
 * another machine's file). */
#define CH_MAGIC "CCCH\r\n\x1a\n"
#define CH_VERSION 1u
#define CH_ENDIAN 0x01020304u

typedef struct ch_hdr {
    char magic[8];
    uint32_t version, endian, n, n_arcs;
    uint8_t key[32]; /* cc__ch_key of the graph it was built from */
    uint8_t sum[32]; /* SHA-256 of everything after the header */
} ch_hdr;

static void sha256(const void *const *parts, const size_t *lens, int n_parts, uint8_t out[32])
{
    GChecksum *c = g_checksum_new(G_CHECKSUM_SHA256);
    for (int i = 0; i < n_parts; i++)
        if (lens[i]) g_checksum_update(c, parts[i], (gssize)lens[i]);
    gsize len = 32;
    g_checksum_get_digest(c, out, &len);
    g_checksum_free(c);
}

void cc__ch_key(uint32_t n, const uint32_t *first, const cc_edge *edges, uint8_t key[32])
{
    const uint32_t head[3] = {CH_VERSION, n, n ? first[n] : 0};
    const void *parts[3] = {head, first, edges};
    const size_t lens[3] = {sizeof(head), ((size_t)n + 1) * sizeof(uint32_t), (size_t)head[2] * sizeof(cc_edge)};
    sha256(parts, lens, 3, key);
}

uint8_t *cc__ch_serialise(const cc__ch *ch, const uint8_t key[32], size_t *len)
{
    const size_t n = ch->n, a = ch->n_arcs;
    const size_t body = 4 * (2 * n + 4 * a) + a;
    uint8_t *buf = malloc(sizeof(ch_hdr) + body);
    if (!buf) return NULL;
    ch_hdr h = {.version = CH_VERSION, .endian = CH_ENDIAN, .n = ch->n, .n_arcs = ch->n_arcs};
    memcpy(h.magic, CH_MAGIC, 8);
    memcpy(h.key, key, 32);
    uint8_t *p = buf + sizeof(h);
    const void *src[7] = {ch->pos, ch->node, ch->arc_lo, ch->arc_hi, ch->arc_w, ch->arc_mid, ch->arc_up};
    const size_t sz[7] = {4 * n, 4 * n, 4 * a, 4 * a, 4 * a, 4 * a, a};
    for (int i = 0; i < 7; i++) {
        if (sz[i]) memcpy(p, src[i], sz[i]);
        p += sz[i];
    }
    const void *part = buf + sizeof(h);
    sha256(&part, &body, 1, h.sum);
    memcpy(buf, &h, sizeof(h));
    *len = sizeof(h) + body;
    return buf;
}

#define REFUSE(...)                                                                                                    \
    do {                                                                                                               \
        snprintf(why, n_why, __VA_ARGS__);                                                                             \
        goto bad;                                                                                                      \
    } while (0)

bool cc__ch_from_memory(const uint8_t *buf, size_t len, const uint8_t key[32], bool check_sum, cc__ch *out, char *why, size_t n_why)
{
    memset(out, 0, sizeof(*out));
    ch_hdr h;
    if (len < sizeof(h)) REFUSE("shorter than its header (%zu bytes)", len);
    memcpy(&h, buf, sizeof(h));
    if (memcmp(h.magic, CH_MAGIC, 8)) REFUSE("not a carecircle hierarchy file");
    if (h.endian != CH_ENDIAN) REFUSE("written on a machine of another byte order");
    if (h.version != CH_VERSION) REFUSE("format version %u, this carecircle reads %u", h.version, CH_VERSION);
    const uint64_t n = h.n, a = h.n_arcs;
    if (n >= CC_INVALID_ID || a >= CC_INVALID_ID) REFUSE("%" PRIu64 " nodes and %" PRIu64 " arcs: too many", n, a);
    const uint64_t body = 4 * (2 * n + 4 * a) + a;
    if ((uint64_t)len - sizeof(h) != body) REFUSE("%zu bytes, %" PRIu64 " expected for %" PRIu64 " nodes and %" PRIu64 " arcs", len, body + sizeof(h), n, a);
    if (key && memcmp(h.key, key, 32)) REFUSE("built from another graph");
    if (check_sum) {
        uint8_t sum[32];
        const void *part = buf + sizeof(h);
        const size_t blen = (size_t)body;
        sha256(&part, &blen, 1, sum);
        if (memcmp(sum, h.sum, 32)) REFUSE("checksum mismatch (a damaged file)");
    }
    out->n = (uint32_t)n;
    out->n_arcs = (uint32_t)a;
    out->pos = cc__malloc_array(n ? n : 1, 4);
    out->node = cc__malloc_array(n ? n : 1, 4);
    out->arc_lo = cc__malloc_array(a ? a : 1, 4);
    out->arc_hi = cc__malloc_array(a ? a : 1, 4);
    out->arc_w = cc__malloc_array(a ? a : 1, 4);
    out->arc_mid = cc__malloc_array(a ? a : 1, 4);
    out->arc_up = cc__malloc_array(a ? a : 1, 1);
    if (!out->pos || !out->node || !out->arc_lo || !out->arc_hi || !out->arc_w || !out->arc_mid || !out->arc_up) REFUSE("out of memory");
    const uint8_t *p = buf + sizeof(h);
    void *dst[7] = {out->pos, out->node, out->arc_lo, out->arc_hi, out->arc_w, out->arc_mid, out->arc_up};
    const size_t sz[7] = {4 * n, 4 * n, 4 * a, 4 * a, 4 * a, 4 * a, a};
    for (int i = 0; i < 7; i++) {
        if (sz[i]) memcpy(dst[i], p, sz[i]);
        p += sz[i];
    }
    /* what the searches rely on: positions a permutation, every arc from a lower to a higher rank
     * (a larger position to a smaller), costs below infinity, middle nodes in range */
    for (uint32_t v = 0; v < n; v++)
        if (out->pos[v] >= n || out->node[out->pos[v]] != v) REFUSE("node %u: positions are not a permutation", v);
    for (uint32_t i = 0; i < a; i++) {
        if (out->arc_lo[i] >= n || out->arc_hi[i] >= out->arc_lo[i]) REFUSE("arc %u does not go up the ranks", i);
        if (out->arc_up[i] > 1 || out->arc_w[i] >= CC_INF_COST || (out->arc_mid[i] != CC_INVALID_ID && out->arc_mid[i] >= n))
            REFUSE("arc %u: a direction, cost or middle node out of range", i);
        out->n_shortcuts += out->arc_mid[i] != CC_INVALID_ID;
    }
    if (!make_csr(out, true, true, &out->upout_first, &out->upout) || !make_csr(out, false, true, &out->downin_first, &out->downin) ||
        !make_csr(out, false, false, &out->downout_first, &out->downout) || !make_csr(out, true, false, &out->upin_first, &out->upin))
        REFUSE("out of memory");
    why[0] = '\0';
    return true;
bad:
    cc__ch_free(out);
    return false;
}
#undef REFUSE

/* ---- many-source searches ----------------------------------------------------------------- */

typedef uint32_t lanes __attribute__((vector_size(CC__CH_LANES * 4)));

/* An AVX2 and a plain x86-64 build of the lane loops, chosen when the library loads. GCC 12
 * exports a cloned function's dispatcher whatever -fvisibility says, so the clones are static
 * and the library's functions call them (package.exports: only the public API is exported). */
#if defined(__x86_64__) && defined(__GNUC__) && !defined(__clang__)
#define CLONES static __attribute__((target_clones("avx2", "default")))
#else
#define CLONES static
#endif

cc_status cc__ch_batch_init(cc_ctx *ctx, const cc__ch *ch, cc_direction dir, const uint64_t *sel, cc__ch_batch *b)
{
    memset(b, 0, sizeof(*b));
    b->ch = ch;
    b->dir = dir;
    b->sel = sel;
    size_t n = ch->n ? ch->n : 1, words = (n + 63) / 64;
    size_t bytes = n * CC__CH_LANES * sizeof(uint32_t);
    b->d = aligned_alloc(64, (bytes + 63) / 64 * 64);
    b->act = cc__calloc_array(words, sizeof(uint64_t));
    b->seen = cc__calloc_array(words, sizeof(uint64_t));
    b->touched = cc__malloc_array(n, sizeof(uint32_t));
    if (!b->d || !b->act || !b->seen || !b->touched) {
        cc__ch_batch_free(b);
        return cc__fail(ctx, CC_ERR_NOMEM, "Out of memory for a search workspace on a contraction hierarchy (%u nodes)", ch->n);
    }
    for (size_t i = 0; i < n * CC__CH_LANES; i++) b->d[i] = CC_INF_COST;
    return CC_OK;
}

void cc__ch_batch_free(cc__ch_batch *b)
{
    CC__FREE_ALL(b->d, b->act, b->seen, b->touched);
    memset(b, 0, sizeof(*b));
}

static inline void touch(cc__ch_batch *b, uint32_t p)
{
    uint64_t bit = 1ull << (p & 63);
    if (!(b->seen[p >> 6] & bit)) {
        b->seen[p >> 6] |= bit;
        b->touched[b->n_touched++] = p;
    }
}

static inline __attribute__((always_inline)) uint32_t lanes_min(const lanes *x)
{
    uint32_t m = (*x)[0];
    for (int k = 1; k < CC__CH_LANES; k++) m = (*x)[k] < m ? (*x)[k] : m;
    return m;
}

/* Relax the arcs of position p (edges[first[p]..first[p+1]-1], heads are positions) in every lane. */
static inline __attribute__((always_inline)) void relax_node(cc__ch_batch *b, uint32_t p, const uint32_t *first, const cc_edge *edges,
                                                             bool use_sel)
{
    lanes *d = (lanes *)b->d;
    const lanes dp = d[p];
    const uint32_t m = lanes_min(&dp), limit = b->limit_ms;
    if (m > limit) return;
    for (uint32_t e = first[p], end = first[p + 1]; e < end; e++) {
        const uint32_t q = edges[e].head, w = edges[e].cost_ms;
        if (m + w > limit) continue;
        if (use_sel && !(b->sel[q >> 6] >> (q & 63) & 1)) continue;
        touch(b, q);
        lanes nd = dp + w, dq = d[q];
        lanes lt = (lanes)(nd < dq);
        d[q] = (nd & lt) | (dq & ~lt);
        b->act[q >> 6] |= 1ull << (q & 63);
    }
}

static void seed_lanes(cc__ch_batch *b, const cc_seed *seeds, size_t n_seeds, uint32_t limit_ms)
{
    for (uint32_t i = 0; i < b->n_touched; i++) {
        uint32_t p = b->touched[i];
        for (int k = 0; k < CC__CH_LANES; k++) b->d[(size_t)p * CC__CH_LANES + k] = CC_INF_COST;
        b->seen[p >> 6] = 0;
    }
    b->n_touched = 0;
    if (limit_ms >= CC_INF_COST) limit_ms = CC_INF_COST - 1;
    b->limit_ms = limit_ms;
    for (size_t i = 0; i < n_seeds; i++) {
        if (seeds[i].node >= b->ch->n || seeds[i].cost_ms > limit_ms || seeds[i].origin >= CC__CH_LANES) continue;
        uint32_t p = b->ch->pos[seeds[i].node];
        uint32_t *c = &b->d[(size_t)p * CC__CH_LANES + seeds[i].origin];
        touch(b, p);
        if (seeds[i].cost_ms < *c) *c = seeds[i].cost_ms;
        b->act[p >> 6] |= 1ull << (p & 63);
    }
}

/* Nodes in increasing rank (positions descending): upward arcs. */
static inline __attribute__((always_inline)) void phase_up(cc__ch_batch *b)
{
    const cc__ch *ch = b->ch;
    const uint32_t *first = b->dir == CC_FORWARD ? ch->upout_first : ch->downin_first;
    const cc_edge *edges = b->dir == CC_FORWARD ? ch->upout : ch->downin;
    uint32_t top = 0;
    for (uint32_t i = 0; i < b->n_touched; i++) top = b->touched[i] > top ? b->touched[i] : top;
    if (!b->n_touched) return;
    for (int64_t wi = top >> 6; wi >= 0; wi--) {
        uint64_t x;
        while ((x = b->act[wi])) {
            int bit = 63 - __builtin_clzll(x);
            b->act[wi] = x & ~(1ull << bit);
            relax_node(b, (uint32_t)wi * 64 + (uint32_t)bit, first, edges, false);
        }
    }
}

CLONES void batch_upward(cc__ch_batch *b, const cc_seed *seeds, size_t n_seeds,
                                                                          uint32_t limit_ms)
{
    seed_lanes(b, seeds, n_seeds, limit_ms);
    phase_up(b);
}

CLONES void batch_run(cc__ch_batch *b, const cc_seed *seeds, size_t n_seeds,
                                                                       uint32_t limit_ms)
{
    seed_lanes(b, seeds, n_seeds, limit_ms);
    phase_up(b);
    /* downward: every node reached, in decreasing rank (positions ascending) */
    const cc__ch *ch = b->ch;
    const uint32_t *first = b->dir == CC_FORWARD ? ch->downout_first : ch->upin_first;
    const cc_edge *edges = b->dir == CC_FORWARD ? ch->downout : ch->upin;
    if (!b->n_touched) return;
    uint32_t lo = UINT32_MAX;
    for (uint32_t i = 0; i < b->n_touched; i++) {
        uint32_t p = b->touched[i];
        if (b->sel && !(b->sel[p >> 6] >> (p & 63) & 1)) continue;
        b->act[p >> 6] |= 1ull << (p & 63);
        lo = p < lo ? p : lo;
    }
    if (lo == UINT32_MAX) return;
    const size_t words = ((size_t)ch->n + 63) / 64;
    for (size_t wi = lo >> 6; wi < words; wi++) {
        uint64_t x;
        while ((x = b->act[wi])) {
            int bit = __builtin_ctzll(x);
            b->act[wi] = x & (x - 1);
            if (b->sel)
                relax_node(b, (uint32_t)wi * 64 + (uint32_t)bit, first, edges, true);
            else
                relax_node(b, (uint32_t)wi * 64 + (uint32_t)bit, first, edges, false);
        }
    }
}

CLONES uint64_t batch_reached(const cc__ch_batch *b)
{
    const lanes *d = (const lanes *)b->d;
    lanes acc = {0};
    for (uint32_t i = 0; i < b->n_touched; i++) acc -= (lanes)(d[b->touched[i]] <= b->limit_ms); /* true = all ones = -1 */
    uint64_t n = 0;
    for (int k = 0; k < CC__CH_LANES; k++) n += acc[k];
    return n;
}

void cc__ch_batch_upward(cc__ch_batch *b, const cc_seed *seeds, size_t n_seeds, uint32_t limit_ms)
{
    batch_upward(b, seeds, n_seeds, limit_ms);
}

void cc__ch_batch_run(cc__ch_batch *b, const cc_seed *seeds, size_t n_seeds, uint32_t limit_ms)
{
    batch_run(b, seeds, n_seeds, limit_ms);
}

uint64_t cc__ch_batch_reached(const cc__ch_batch *b)
{
    return batch_reached(b);
}

cc_status cc__ch_select(cc_ctx *ctx, const cc__ch *ch, cc_direction dir, const uint32_t *targets, size_t n_targets, uint64_t **sel)
{
    size_t words = ((size_t)ch->n + 63) / 64;
    uint64_t *s = cc__calloc_array(words ? words : 1, sizeof(uint64_t));
    *sel = NULL;
    if (!s) return cc__fail(ctx, CC_ERR_NOMEM, "Out of memory selecting the targets of a contraction hierarchy");
    for (size_t i = 0; i < n_targets; i++)
        if (targets[i] < ch->n) {
            uint32_t p = ch->pos[targets[i]];
            s[p >> 6] |= 1ull << (p & 63);
        }
    /* the nodes whose downward arcs lead to p: FORWARD downin[p], REVERSE upout[p]; they are higher
     * (smaller positions), so one pass from the lowest rank up closes the set */
    const uint32_t *first = dir == CC_FORWARD ? ch->downin_first : ch->upout_first;
    const cc_edge *edges = dir == CC_FORWARD ? ch->downin : ch->upout;
    for (uint32_t p = ch->n; p-- > 0;) {
        if (!(s[p >> 6] >> (p & 63) & 1)) continue;
        for (uint32_t e = first[p]; e < first[p + 1]; e++) s[edges[e].head >> 6] |= 1ull << (edges[e].head & 63);
    }
    *sel = s;
    return CC_OK;
}

uint32_t cc__ch_query(cc__ch_batch *fw, cc__ch_batch *bw, uint32_t s, uint32_t t)
{
    cc_seed a = {s, 0, 0}, z = {t, 0, 0};
    cc__ch_batch_upward(fw, &a, 1, CC_INF_COST - 1);
    cc__ch_batch_upward(bw, &z, 1, CC_INF_COST - 1);
    uint64_t best = CC_INF_COST;
    for (uint32_t i = 0; i < fw->n_touched; i++) {
        uint32_t p = fw->touched[i];
        uint64_t c = (uint64_t)fw->d[(size_t)p * CC__CH_LANES] + bw->d[(size_t)p * CC__CH_LANES];
        if (c < best) best = c;
    }
    return best <= CC_INF_COST - 1 ? (uint32_t)best : CC_INF_COST;
}
