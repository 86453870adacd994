/*
 * sets.c - coverage sets by bounded Dijkstra searches (sites_build.h).
 *
 * One bounded search per candidate (cc__reach: the search, then every demand point on an arc
 * that touches a settled node), OpenMP over candidates with one reach workspace per thread.
 * Each thread appends its pairs to its own chain of fixed-size blocks and records where each
 * of its candidates starts; after the loop the sets are copied into one CSR in candidate order
 * and each block is freed as soon as it has been copied, so the peak is the final size plus a
 * block per thread. The pairs of a candidate come out in the order cc__reach lists them (its
 * facility's arc, then the arcs of the settled nodes in node id order), which depends only on the
 * graph and the inputs, not on the search's queue: the result is the same at any thread count.
 */
#include <stdlib.h>
#include <string.h>

#include "../core/omp_internal.h"
#include "sets_internal.h"

#define BLOCK ((size_t)1 << 20) /* pairs per block */

void cc__sets_free(cc__sets *s)
{
    CC__FREE_ALL(s->first, s->dem, s->t_ms);
    memset(s, 0, sizeof(*s));
}

/* Kept pairs of the last reach into dem/t (when not NULL); returns their count. */
static size_t keep(const cc__reach_ws *ws, const cc__sets_opts *o, uint32_t *dem, uint32_t *t)
{
    size_t k = 0;
    for (size_t i = 0; i < ws->n; i++) {
        uint32_t d = ws->loc[i], tm = ws->t_ms[i];
        if (o->keep_lt && !(tm < o->keep_lt[d])) continue;
        if (dem) {
            dem[k] = d;
            if (t) t[k] = tm;
        }
        k++;
    }
    return k;
}

cc_status cc__sets_estimate(cc_ctx *ctx, const cc_graph *g, const cc__loc_index *ix, const cc__join *ljoin, const uint32_t *loff,
                            size_t n_dem, const cc__join *cjoin, const uint32_t *coff, size_t n_cand, const cc__sets_opts *o,
                            uint64_t *pairs)
{
    cc__reach_ws ws;
    cc_status st;
    *pairs = 0;
    if (n_cand == 0) return CC_OK;
    if ((st = cc__reach_ws_init(ctx, g, n_dem, &ws))) return st;
    size_t k = n_cand < 96 ? n_cand : 96;
    uint64_t sum = 0;
    for (size_t s = 0; s < k; s++) {
        size_t j = s * n_cand / k;
        cc__reach(&ws, g, ix, ljoin, loff, cjoin[j], coff[j] == CC_INF_COST ? 0 : coff[j] + o->delay_ms, o->dir,
                  o->limit_ms);
        if (cjoin[j].arc == CC_INVALID_ID) continue;
        sum += keep(&ws, o, NULL, NULL);
    }
    cc__reach_ws_free(&ws);
    *pairs = (uint64_t)((double)sum / (double)k * (double)n_cand + 0.5);
    return CC_OK;
}

typedef struct tstore {
    uint32_t **dem, **t;
    size_t n_blocks, cap_blocks;
    uint64_t pos; /* pairs written */
    uint64_t settled;
    cc_status st;
} tstore;

static bool store_put(tstore *s, bool times, uint32_t d, uint32_t tm)
{
    size_t b = (size_t)(s->pos / BLOCK), off = (size_t)(s->pos % BLOCK);
    if (b == s->n_blocks) {
        if (s->n_blocks == s->cap_blocks) {
            size_t c = s->cap_blocks ? 2 * s->cap_blocks : 16;
            uint32_t **nd = realloc(s->dem, c * sizeof(uint32_t *));
            if (!nd) return false;
            s->dem = nd;
            uint32_t **nt = realloc(s->t, c * sizeof(uint32_t *));
            if (!nt) return false;
            s->t = nt;
            s->cap_blocks = c;
        }
        s->dem[b] = cc__malloc_array(BLOCK, sizeof(uint32_t));
        s->t[b] = times ? cc__malloc_array(BLOCK, sizeof(uint32_t)) : NULL;
        if (!s->dem[b] || (times && !s->t[b])) {
            free(s->dem[b]);
            free(s->t[b]);
            return false;
        }
        s->n_blocks++;
    }
    s->dem[b][off] = d;
    if (times) s->t[b][off] = tm;
    s->pos++;
    return true;
}

/* After the searches: errors, then the sets assembled in candidate order from the threads' blocks,
 * each block freed as soon as all its pairs have been copied (so the peak stays near the final
 * size plus a block per thread, in whatever order the threads wrote their candidates); the blocks
 * are freed in any case. */
static cc_status finish(cc_ctx *ctx, tstore *ts, int threads, const uint64_t *start, const uint32_t *owner, size_t n_cand, bool times,
                        cc__sets *out)
{
    cc_status st = CC_OK;
    uint64_t **left = cc__calloc_array((size_t)threads, sizeof(uint64_t *)); /* pairs of each block not copied yet */
    if (!left) st = cc__fail(ctx, CC_ERR_NOMEM, "Out of memory assembling the coverage sets");
    for (int t = 0; !st && t < threads; t++) {
        if (!(left[t] = cc__malloc_array(ts[t].n_blocks ? ts[t].n_blocks : 1, sizeof(uint64_t)))) {
            st = cc__fail(ctx, CC_ERR_NOMEM, "Out of memory assembling the coverage sets");
            break;
        }
        for (size_t b = 0; b < ts[t].n_blocks; b++) left[t][b] = b + 1 < ts[t].n_blocks ? BLOCK : ts[t].pos - (uint64_t)b * BLOCK;
    }
    for (int t = 0; t < threads; t++) {
        out->settled += ts[t].settled;
        if (ts[t].st && !st)
            st = cc__fail(ctx, ts[t].st, "Out of memory building the coverage sets (%zu candidates, %d threads)", n_cand, threads);
    }
    if (st) goto out;
    if (cc__interrupted(ctx)) {
        st = cc__fail(ctx, CC_ERR_INTERRUPTED, "Interrupted");
        goto out;
    }
    /* assemble in candidate order, freeing blocks once copied */
    out->first[0] = 0;
    for (size_t j = 0; j < n_cand; j++) out->first[j + 1] += out->first[j];
    uint64_t total = out->first[n_cand];
    out->dem = cc__malloc_array(total ? total : 1, sizeof(uint32_t));
    out->t_ms = times ? cc__malloc_array(total ? total : 1, sizeof(uint32_t)) : NULL;
    if (!out->dem || (times && !out->t_ms)) {
        st = cc__fail(ctx, CC_ERR_NOMEM, "Out of memory for %llu coverage pairs", (unsigned long long)total);
        goto out;
    }
    for (size_t j = 0; j < n_cand; j++) {
        tstore *S = &ts[owner[j]];
        uint64_t *Lb = left[owner[j]];
        uint64_t p = start[j], n = out->first[j + 1] - out->first[j], dst = out->first[j];
        while (n > 0) {
            size_t b = (size_t)(p / BLOCK), off = (size_t)(p % BLOCK);
            size_t m = BLOCK - off < n ? BLOCK - off : (size_t)n;
            memcpy(out->dem + dst, S->dem[b] + off, m * sizeof(uint32_t));
            if (times) memcpy(out->t_ms + dst, S->t[b] + off, m * sizeof(uint32_t));
            p += m;
            dst += m;
            n -= m;
            if ((Lb[b] -= m) == 0) { /* block b fully read */
                free(S->dem[b]);
                S->dem[b] = NULL;
                if (times) {
                    free(S->t[b]);
                    S->t[b] = NULL;
                }
            }
        }
    }
    out->bytes = (n_cand + 1) * sizeof(uint64_t) + (size_t)total * (times ? 8 : 4);
out:
    for (int t = 0; t < threads; t++) {
        for (size_t b = 0; b < ts[t].n_blocks; b++) {
            free(ts[t].dem[b]);
            if (ts[t].t) free(ts[t].t[b]);
        }
        free(ts[t].dem);
        free(ts[t].t);
        if (left) free(left[t]);
    }
    free(left);
    return st;
}


static cc_status sets_build_dijkstra(cc_ctx *ctx, const cc_graph *g, const cc__loc_index *ix, const cc__join *ljoin, const uint32_t *loff,
                                     size_t n_dem, const cc__join *cjoin, const uint32_t *coff, size_t n_cand, const cc__sets_opts *o,
                                     cc__sets *out)
{
    const int threads = cc_ctx_get_threads(ctx);
    cc_status st = CC_OK;
    memset(out, 0, sizeof(*out));
    if (n_cand >= UINT32_MAX || n_dem >= UINT32_MAX) return cc__fail(ctx, CC_ERR_LIMIT, "Too many candidates or demand points");
    out->n_cand = (uint32_t)n_cand;
    out->n_dem = (uint32_t)n_dem;
    tstore *ts = cc__calloc_array((size_t)threads, sizeof(tstore));
    uint64_t *start = cc__malloc_array(n_cand ? n_cand : 1, sizeof(uint64_t)); /* position in its thread's stream */
    uint32_t *owner = cc__malloc_array(n_cand ? n_cand : 1, sizeof(uint32_t));
    out->first = cc__malloc_array(n_cand + 1, sizeof(uint64_t));
    if (!ts || !start || !owner || !out->first) {
        st = cc__fail(ctx, CC_ERR_NOMEM, "Out of memory for the coverage sets of %zu candidates", n_cand);
        goto out;
    }
    size_t done = 0;
    const bool times = o->store_times;
#ifdef _OPENMP
#pragma omp parallel num_threads(threads)
#endif
    {
        int tid = cc__omp_thread_num();
        tstore *S = &ts[tid];
        cc__reach_ws ws;
        cc_ctx tctx = {0}; /* thread-private: the message is rebuilt below */
        S->st = cc__reach_ws_init(&tctx, g, n_dem, &ws);
#ifdef _OPENMP
#pragma omp for schedule(dynamic, 4)
#endif
        for (size_t j = 0; j < n_cand; j++) {
            owner[j] = (uint32_t)tid;
            start[j] = S->pos;
            out->first[j + 1] = 0;
            if (S->st || cc__interrupted(ctx) || cjoin[j].arc == CC_INVALID_ID) continue;
            cc__reach(&ws, g, ix, ljoin, loff, cjoin[j], coff[j] + o->delay_ms, o->dir, o->limit_ms);
            size_t n_settled;
            cc_search_get_settled_ref(ws.s, &n_settled);
            S->settled += n_settled;
            uint64_t c0 = S->pos;
            for (size_t i = 0; i < ws.n; i++) {
                uint32_t d = ws.loc[i], tm = ws.t_ms[i];
                if (o->keep_lt && !(tm < o->keep_lt[d])) continue;
                if (!store_put(S, times, d, tm)) {
                    S->st = CC_ERR_NOMEM;
                    break;
                }
            }
            out->first[j + 1] = S->pos - c0;
            size_t dn;
#ifdef _OPENMP
#pragma omp atomic capture
#endif
            dn = ++done;
            if (tid == 0 && (dn & 63) == 0) cc__progress(ctx, "Building coverage sets", (double)dn / (double)n_cand);
        }
        cc__reach_ws_free(&ws);
    }
    cc__progress(ctx, "Building coverage sets", 1.0);
    st = finish(ctx, ts, threads, start, owner, n_cand, times, out);
out:
    CC__FREE_ALL(ts, start, owner);
    if (st) cc__sets_free(out);
    return st;
}

/* Candidates in the order of their arc's first node (graph nodes are in Hilbert order), so that
 * the CC__CH_LANES candidates of a batch lie close together and share most of their sweep. */
typedef struct cand_key {
    uint32_t key, j;
} cand_key;

static int cmp_cand_key(const void *a, const void *b)
{
    const cand_key *x = a, *y = b;
    if (x->key != y->key) return x->key < y->key ? -1 : 1;
    return x->j < y->j ? -1 : x->j > y->j;
}

cc_status cc__sets_build_ch(cc_ctx *ctx, const cc__ch *ch, const cc_graph *g, const cc__loc_index *ix, const cc__join *ljoin,
                            const uint32_t *loff, size_t n_dem, const cc__join *cjoin, const uint32_t *coff, size_t n_cand,
                            const cc__sets_opts *o, bool restrict_targets, cc__sets *out)
{
    const int threads = cc_ctx_get_threads(ctx);
    const uint32_t L = CC__CH_LANES;
    cc_status st = CC_OK;
    memset(out, 0, sizeof(*out));
    if (n_cand >= UINT32_MAX || n_dem >= UINT32_MAX) return cc__fail(ctx, CC_ERR_LIMIT, "Too many candidates or demand points");
    out->n_cand = (uint32_t)n_cand;
    out->n_dem = (uint32_t)n_dem;
    tstore *ts = cc__calloc_array((size_t)threads, sizeof(tstore));
    uint64_t *start = cc__calloc_array(n_cand ? n_cand : 1, sizeof(uint64_t));
    uint32_t *owner = cc__calloc_array(n_cand ? n_cand : 1, sizeof(uint32_t));
    uint32_t *targets = cc__malloc_array(g->n_nodes ? g->n_nodes : 1, sizeof(uint32_t));
    cand_key *order = cc__malloc_array(n_cand ? n_cand : 1, sizeof(cand_key));
    uint64_t *sel = NULL;
    uint32_t *pu = NULL, *pv = NULL;
    out->first = cc__calloc_array(n_cand + 1, sizeof(uint64_t));
    if (!ts || !start || !owner || !targets || !order || !out->first) {
        st = cc__fail(ctx, CC_ERR_NOMEM, "Out of memory for the coverage sets of %zu candidates", n_cand);
        goto out;
    }
    size_t nt = 0, nv = 0;
    for (uint32_t x = 0; x < g->n_nodes; x++)
        if (ix->node_first[x + 1] > ix->node_first[x]) targets[nt++] = x;
    if (restrict_targets && (st = cc__ch_select(ctx, ch, o->dir, targets, nt, &sel))) goto out;
    if ((st = cc__loc_along_build(ctx, g, ix, ljoin, loff, o->dir, &pu, &pv))) goto out;
    for (size_t j = 0; j < n_cand; j++)
        if (cjoin[j].arc != CC_INVALID_ID) order[nv++] = (cand_key){g->arc_u[cjoin[j].arc], (uint32_t)j};
    qsort(order, nv, sizeof(cand_key), cmp_cand_key);
    const size_t n_batches = (nv + L - 1) / L;
    size_t done = 0;
    const bool times = o->store_times;
#ifdef _OPENMP
#pragma omp parallel num_threads(threads)
#endif
    {
        int tid = cc__omp_thread_num();
        tstore *S = &ts[tid];
        cc__reach_ws ws;
        cc__ch_batch b;
        cc_ctx tctx = {0}; /* thread-private: the message is rebuilt in finish() */
        uint32_t *scratch = cc__malloc_array(g->n_nodes ? g->n_nodes : 1, sizeof(uint32_t));
        S->st = cc__reach_ws_init(&tctx, g, n_dem, &ws);
        if (!S->st) S->st = cc__ch_batch_init(&tctx, ch, o->dir, sel, &b);
        else memset(&b, 0, sizeof(b));
        if (!scratch && !S->st) S->st = CC_ERR_NOMEM;
#ifdef _OPENMP
#pragma omp for schedule(dynamic, 1)
#endif
        for (size_t bi = 0; bi < n_batches; bi++) {
            const size_t k0 = bi * L, nk = nv - k0 < L ? nv - k0 : L;
            for (size_t k = 0; k < nk; k++) owner[order[k0 + k].j] = (uint32_t)tid, start[order[k0 + k].j] = S->pos;
            if (S->st || cc__interrupted(ctx)) continue;
            cc_seed seeds[2 * CC__CH_LANES];
            size_t ns = 0;
            for (size_t k = 0; k < nk; k++) {
                const uint32_t j = order[k0 + k].j;
                ns += cc__facility_seeds(g, cjoin[j], coff[j] + o->delay_ms, (uint32_t)k, o->dir, seeds + ns);
            }
            cc__ch_batch_run(&b, seeds, ns, o->limit_ms);
            S->settled += sel ? b.n_touched : cc__ch_batch_reached(&b); /* without a selection: as cc__sets_build counts */
            const size_t nn = cc__reach_ch_nodes(&ws, g, ix, &b, scratch);
            for (size_t k = 0; k < nk && !S->st; k++) {
                const uint32_t j = order[k0 + k].j;
                start[j] = S->pos;
                cc__reach_ch(&ws, g, ix, ljoin, loff, cjoin[j], coff[j] + o->delay_ms, o->dir, o->limit_ms, &b, (uint32_t)k, nn, pu, pv);
                uint64_t c0 = S->pos;
                for (size_t i = 0; i < ws.n; i++) {
                    uint32_t d = ws.loc[i], tm = ws.t_ms[i];
                    if (o->keep_lt && !(tm < o->keep_lt[d])) continue;
                    if (!store_put(S, times, d, tm)) {
                        S->st = CC_ERR_NOMEM;
                        break;
                    }
                }
                out->first[j + 1] = S->pos - c0;
            }
            size_t dn;
#ifdef _OPENMP
#pragma omp atomic capture
#endif
            dn = ++done;
            if (tid == 0 && (dn & 3) == 0) cc__progress(ctx, "Building coverage sets", (double)dn / (double)n_batches);
        }
        cc__reach_ws_free(&ws);
        cc__ch_batch_free(&b);
        free(scratch);
    }
    cc__progress(ctx, "Building coverage sets", 1.0);
    st = finish(ctx, ts, threads, start, owner, n_cand, times, out);
out:
    CC__FREE_ALL(ts, start, owner, targets, order, sel, pu, pv);
    if (st) cc__sets_free(out);
    return st;
}

cc_status cc__sets_build(cc_ctx *ctx, const cc_graph *g, const cc__loc_index *ix, const cc__join *ljoin, const uint32_t *loff,
                         size_t n_dem, const cc__join *cjoin, const uint32_t *coff, size_t n_cand, const cc__sets_opts *o, cc__sets *out)
{
    bool use_ch = o->method == CC__SETS_CH;
    if (o->method == CC__SETS_AUTO)
        use_ch = n_cand >= CC__SETS_CH_MIN_CAND && (uint64_t)n_cand * CC__SETS_CH_NODES_PER_CAND >= g->n_nodes;
    if (!use_ch) return sets_build_dijkstra(ctx, g, ix, ljoin, loff, n_dem, cjoin, coff, n_cand, o, out);
    cc__ch ch;
    cc_status st;
    memset(out, 0, sizeof(*out));
    if ((st = cc__ch_build(ctx, g, &ch))) return st;
    cc__debug(ctx, "Contraction hierarchy of %u nodes: %u shortcuts, %.3f s", ch.n, ch.n_shortcuts, ch.build_s);
    st = cc__sets_build_ch(ctx, &ch, g, ix, ljoin, loff, n_dem, cjoin, coff, n_cand, o, false, out);
    cc__ch_free(&ch);
    return st;
}

uint64_t cc__sets_digest(const cc__sets *s)
{
    uint64_t h = 1469598103934665603ULL;
#define MIX(v)                                                                                                         \
    do {                                                                                                               \
        h ^= (uint64_t)(v);                                                                                            \
        h *= 1099511628211ULL;                                                                                         \
    } while (0)
    MIX(s->n_cand);
    MIX(s->n_dem);
    for (uint32_t j = 0; j < s->n_cand; j++) MIX(s->first[j + 1] - s->first[j]);
    const uint64_t total = s->n_cand ? s->first[s->n_cand] : 0;
    for (uint64_t e = 0; e < total; e++) {
        MIX(s->dem[e]);
        if (s->t_ms) MIX(s->t_ms[e]);
    }
#undef MIX
    return h;
}
