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
 * On the contraction hierarchy (cc__sets_build_ch) the candidates go 16 to a batch and the sets are
 * made in two passes, a count and then the pairs written straight into place (see there).
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

/* A thread's pairs: a list of blocks, each filled from the start; a candidate's pairs lie in one
 * block (a block larger than BLOCK holds one candidate that needed it). */
typedef struct tblock {
    uint32_t *dem, *t;
    size_t cap, used;
    uint64_t left; /* pairs not copied into the sets yet (finish) */
} tblock;

typedef struct tstore {
    tblock *b;
    size_t n_blocks, cap_blocks;
    uint64_t settled;
    cc_status st;
} tstore;

/* Where each candidate's pairs were stored: thread, block, offset. */
typedef struct cand_pos {
    uint32_t owner, block;
    size_t off;
} cand_pos;

/* Room for @p n pairs at the end of the current block, or a new block; false: out of memory. */
static bool store_reserve(tstore *S, bool times, size_t n)
{
    if (S->n_blocks && S->b[S->n_blocks - 1].cap - S->b[S->n_blocks - 1].used >= n) return true;
    if (S->n_blocks == S->cap_blocks) {
        size_t c = S->cap_blocks ? 2 * S->cap_blocks : 16;
        tblock *nb = realloc(S->b, c * sizeof(tblock));
        if (!nb) return false;
        S->b = nb;
        S->cap_blocks = c;
    }
    tblock *B = &S->b[S->n_blocks];
    memset(B, 0, sizeof(*B));
    B->cap = n > BLOCK ? n : BLOCK;
    B->dem = cc__malloc_array(B->cap, sizeof(uint32_t));
    B->t = times ? cc__malloc_array(B->cap, sizeof(uint32_t)) : NULL;
    if (!B->dem || (times && !B->t)) {
        free(B->dem);
        free(B->t);
        return false;
    }
    S->n_blocks++;
    return true;
}

/* The @p n reached people loc[i] with their times t[i] (those with t[i] < keep_lt[loc[i]] when
 * @p keep_lt is given) written to @p dem, and to @p t_out unless NULL; returns how many. The one
 * writer of the sets' pairs, for the per-candidate Dijkstra path and the hierarchy's lanes. */
static size_t store_reached(uint32_t *dem, uint32_t *t_out, const uint32_t *keep_lt, const uint32_t *loc, const uint32_t *t, size_t n)
{
    if (!keep_lt) {
        memcpy(dem, loc, n * sizeof(uint32_t));
        if (t_out) memcpy(t_out, t, n * sizeof(uint32_t));
        return n;
    }
    size_t k = 0;
    for (size_t i = 0; i < n; i++) {
        dem[k] = loc[i];
        if (t_out) t_out[k] = t[i];
        k += t[i] < keep_lt[loc[i]];
    }
    return k;
}

/* Candidate @p j's set through store_reached() into the thread's blocks; records where it went and
 * its count (out->first[j + 1]). false: out of memory. */
static bool store_block(tstore *S, int tid, bool times, const uint32_t *keep_lt, const uint32_t *loc, const uint32_t *t, size_t n,
                        size_t j, cand_pos *pos, cc__sets *out)
{
    if (!store_reserve(S, times, n)) return false;
    tblock *B = &S->b[S->n_blocks - 1];
    size_t k = store_reached(B->dem + B->used, times ? B->t + B->used : NULL, keep_lt, loc, t, n);
    pos[j] = (cand_pos){(uint32_t)tid, (uint32_t)(S->n_blocks - 1), B->used};
    B->used += k;
    B->left += k;
    out->first[j + 1] = k;
    return true;
}

/* After the searches: errors, then the sets assembled in candidate order from the threads' blocks,
 * each block freed as soon as all its pairs have been copied (so the peak stays near the final
 * size plus a block per thread, in whatever order the threads wrote their candidates); the blocks
 * are freed in any case. */
static cc_status finish(cc_ctx *ctx, tstore *ts, int threads, const cand_pos *pos, size_t n_cand, bool times, cc__sets *out)
{
    cc_status st = CC_OK;
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
        const uint64_t n = out->first[j + 1] - out->first[j], dst = out->first[j];
        if (!n) continue;
        tblock *B = &ts[pos[j].owner].b[pos[j].block];
        memcpy(out->dem + dst, B->dem + pos[j].off, n * sizeof(uint32_t));
        if (times) memcpy(out->t_ms + dst, B->t + pos[j].off, n * sizeof(uint32_t));
        if ((B->left -= n) == 0) { /* block fully read */
            free(B->dem);
            free(B->t);
            B->dem = B->t = NULL;
        }
    }
    out->bytes = (n_cand + 1) * sizeof(uint64_t) + (size_t)total * (times ? 8 : 4);
out:
    for (int t = 0; t < threads; t++) {
        for (size_t b = 0; b < ts[t].n_blocks; b++) {
            free(ts[t].b[b].dem);
            free(ts[t].b[b].t);
        }
        free(ts[t].b);
    }
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
    cand_pos *pos = cc__calloc_array(n_cand ? n_cand : 1, sizeof(cand_pos));
    out->first = cc__calloc_array(n_cand + 1, sizeof(uint64_t));
    if (!ts || !pos || !out->first) {
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
            if (S->st || cc__interrupted(ctx) || cjoin[j].arc == CC_INVALID_ID) continue;
            cc__reach(&ws, g, ix, ljoin, loff, cjoin[j], coff[j] + o->delay_ms, o->dir, o->limit_ms);
            size_t n_settled;
            cc_search_get_settled_ref(ws.s, &n_settled);
            S->settled += n_settled;
            if (!store_block(S, tid, times, o->keep_lt, ws.loc, ws.t_ms, ws.n, j, pos, out)) S->st = CC_ERR_NOMEM;
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
    st = finish(ctx, ts, threads, pos, n_cand, times, out);
out:
    CC__FREE_ALL(ts, pos);
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

/* One batch of the hierarchy path: the search from its candidates' facilities, then each lane's
 * people (the same lists as cc__reach, keep filter applied): counted when @p dem is NULL, else
 * written straight into the sets (cc__reach_lanes_run). */
static void run_batch(const cc_graph *g, const cc__join *ljoin, const uint32_t *loff, const cc__join *cjoin, const uint32_t *coff,
                      const cc__sets_opts *o, const cand_key *order, size_t k0, size_t nk, const cc__reach_lanes_ix *lx, cc__ch_batch *b,
                      cc__reach_lanes *w, cc__sets *out)
{
    cc_seed seeds[2 * CC__CH_LANES];
    cc__join fj[CC__CH_LANES];
    uint32_t foff[CC__CH_LANES];
    uint32_t *dem[CC__CH_LANES], *tm[CC__CH_LANES];
    uint64_t cnt[CC__CH_LANES];
    size_t ns = 0;
    for (size_t k = 0; k < nk; k++) {
        const uint32_t j = order[k0 + k].j;
        fj[k] = cjoin[j];
        foff[k] = coff[j] + o->delay_ms;
        ns += cc__facility_seeds(g, fj[k], foff[k], (uint32_t)k, o->dir, seeds + ns);
        if (out->dem) {
            dem[k] = out->dem + out->first[j];
            tm[k] = out->t_ms ? out->t_ms + out->first[j] : NULL;
            cnt[k] = out->first[j + 1] - out->first[j];
        }
    }
    cc__ch_batch_run(b, seeds, ns, o->limit_ms);
    cc__reach_lanes_run(w, lx, g, ljoin, loff, b, fj, foff, (uint32_t)nk, o->dir, out->dem ? dem : NULL, out->t_ms ? tm : NULL, cnt);
}

typedef struct tstate {
    uint64_t settled;
    cc_status st;
} tstate;

/* Two passes over the batches: the first counts each candidate's pairs (no stores: the counting
 * loop vectorizes), the second runs the searches again (a few per cent of listing the people) and
 * writes every set straight into its place in the final arrays. Storing the pairs in per-thread
 * blocks and copying them into place, as the Dijkstra path does, made first-touch page faults and
 * the copy a third of the build (bench_ch, perf). */
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
    cc__reach_lanes_ix lx = {0};
    tstate *ts = cc__calloc_array((size_t)threads, sizeof(tstate));
    uint32_t *targets = cc__malloc_array(g->n_nodes ? g->n_nodes : 1, sizeof(uint32_t));
    cand_key *order = cc__malloc_array(n_cand ? n_cand : 1, sizeof(cand_key));
    uint64_t *sel = NULL;
    out->first = cc__calloc_array(n_cand + 1, sizeof(uint64_t));
    if (!ts || !targets || !order || !out->first) {
        st = cc__fail(ctx, CC_ERR_NOMEM, "Out of memory for the coverage sets of %zu candidates", n_cand);
        goto out;
    }
    size_t nt = 0, nv = 0;
    for (uint32_t x = 0; x < g->n_nodes; x++)
        if (ix->node_first[x + 1] > ix->node_first[x]) targets[nt++] = x;
    if (restrict_targets && (st = cc__ch_select(ctx, ch, o->dir, targets, nt, &sel))) goto out;
    if ((st = cc__reach_lanes_ix_build(ctx, g, ch, ix, ljoin, loff, o->dir, o->limit_ms, o->keep_lt, &lx))) goto out;
    for (size_t j = 0; j < n_cand; j++)
        if (cjoin[j].arc != CC_INVALID_ID) order[nv++] = (cand_key){g->arc_u[cjoin[j].arc], (uint32_t)j};
    qsort(order, nv, sizeof(cand_key), cmp_cand_key);
    const size_t n_batches = (nv + L - 1) / L;
    const bool times = o->store_times;
    for (int pass = 0; pass < 2 && !st; pass++) {
        size_t done = 0;
#ifdef _OPENMP
#pragma omp parallel num_threads(threads)
#endif
        {
            int tid = cc__omp_thread_num();
            tstate *S = &ts[tid];
            cc__reach_lanes w;
            cc__ch_batch b;
            cc_ctx tctx = {0}; /* thread-private: the message is rebuilt below */
            S->st = cc__reach_lanes_init(&tctx, g, &w);
            if (!S->st) S->st = cc__ch_batch_init(&tctx, ch, o->dir, sel, &b);
            else memset(&b, 0, sizeof(b));
#ifdef _OPENMP
#pragma omp for schedule(dynamic, 1)
#endif
            for (size_t bi = 0; bi < n_batches; bi++) {
                const size_t k0 = bi * L, nk = nv - k0 < L ? nv - k0 : L;
                if (S->st || cc__interrupted(ctx)) continue;
                run_batch(g, ljoin, loff, cjoin, coff, o, order, k0, nk, &lx, &b, &w, out);
                if (pass == 0) {
                    for (size_t k = 0; k < nk; k++) out->first[order[k0 + k].j + 1] = w.n[k];
                    S->settled += sel ? b.n_touched : cc__ch_batch_reached(&b); /* without a selection: as cc__sets_build counts */
                }
                size_t dn;
#ifdef _OPENMP
#pragma omp atomic capture
#endif
                dn = ++done;
                if (tid == 0 && (dn & 3) == 0) cc__progress(ctx, "Building coverage sets", 0.5 * pass + 0.5 * (double)dn / (double)n_batches);
            }
            cc__reach_lanes_free(&w);
            cc__ch_batch_free(&b);
        }
        for (int t = 0; t < threads; t++)
            if (ts[t].st && !st)
                st = cc__fail(ctx, ts[t].st, "Out of memory building the coverage sets (%zu candidates, %d threads)", n_cand, threads);
        if (!st && cc__interrupted(ctx)) st = cc__fail(ctx, CC_ERR_INTERRUPTED, "Interrupted");
        if (st || pass) break;
        /* between the passes: the counts into offsets, the arrays of the sets */
        for (size_t j = 0; j < n_cand; j++) out->first[j + 1] += out->first[j];
        const uint64_t total = out->first[n_cand];
        out->dem = cc__malloc_array(total ? total : 1, sizeof(uint32_t));
        out->t_ms = times ? cc__malloc_array(total ? total : 1, sizeof(uint32_t)) : NULL;
        if (!out->dem || (times && !out->t_ms))
            st = cc__fail(ctx, CC_ERR_NOMEM, "Out of memory for %llu coverage pairs", (unsigned long long)total);
        out->bytes = (n_cand + 1) * sizeof(uint64_t) + (size_t)total * (times ? 8 : 4);
    }
    cc__progress(ctx, "Building coverage sets", 1.0);
    for (int t = 0; t < threads; t++) out->settled += ts[t].settled;
out:
    cc__reach_lanes_ix_free(&lx);
    CC__FREE_ALL(ts, targets, order, sel);
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
    cc_status st;
    memset(out, 0, sizeof(*out));
    if (o->ch_cache) {
        const cc__ch *ch;
        if ((st = cc__ch_cache_get(ctx, o->ch_cache, g, &ch))) return st;
        st = cc__sets_build_ch(ctx, ch, g, ix, ljoin, loff, n_dem, cjoin, coff, n_cand, o, false, out);
        cc__ch_cache_release(o->ch_cache, ch);
        return st;
    }
    cc__ch ch;
    if ((st = cc__ch_obtain(ctx, g, &ch))) return st;
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
