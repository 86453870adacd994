/*
 * mpi_site.c - coverage sets for siting built over MPI ranks, solved on rank 0.
 *
 * Every rank runs cc_site_run() up to the coverage sets: it loads the inputs, builds the graph
 * once (shared read-only by its OpenMP threads), snaps demand and candidates; all of this is
 * deterministic, so every rank holds the same candidates in the same order. The candidates are
 * then cut into blocks of consecutive ids dealt out round-robin (block-cyclic: block b goes to
 * rank b mod N, so dense and sparse parts of a region are spread evenly); each rank searches
 * from the candidates of its blocks with the single-machine builder (cc__sets_build on the
 * block's slice; the friction model's searches over cells and roads through the job's slice
 * builder), and sends rank 0 its sets in their compact form: a count per candidate, then
 * the demand ids, then the times (when the model needs them), in chunks so that no MPI count
 * overflows. Rank 0 puts the blocks back in candidate order, which gives exactly the sets of a
 * single-machine run (a candidate's pairs depend only on the graph), and goes on to solve and
 * write; the other ranks stop there.
 *
 * Failures are agreed before any bulk data moves: each rank sends a header (status, candidates,
 * pairs, settled nodes), rank 0 answers go or stop to all, so no rank is left waiting.
 */
#include <stdlib.h>
#include <string.h>

#include "mpi_internal.h"
#include "../access/sets_internal.h"

#define CHUNK ((size_t)1 << 26) /* elements per message: far below INT_MAX */

typedef struct header {
    int32_t status;
    int32_t pad;
    uint64_t n_cand, n_pairs, settled;
} header;

typedef struct part {
    uint32_t *count; /* pairs per candidate of this rank, in block order */
    uint32_t *dem, *t;
    uint64_t n_cand, n_pairs, settled;
} part;

static void part_free(part *p)
{
    CC__FREE_ALL(p->count, p->dem, p->t);
    memset(p, 0, sizeof(*p));
}

/* Candidates per block: about 8 blocks per rank for balance, at most 4096 for memory, at least 1. */
static size_t block_size(size_t n_cand, int size)
{
    size_t b = (n_cand + (size_t)size * 8 - 1) / ((size_t)size * 8);
    return b < 1 ? 1 : b > 4096 ? 4096 : b;
}

/* The sets of this rank's blocks, concatenated in block order. */
static cc_status build_mine(cc_ctx *ctx, const cc_mpi *m, const cc__sets_job *jb, size_t B, part *p)
{
    const size_t n = jb->n_cand, nb = (n + B - 1) / B;
    const bool times = jb->o->store_times;
    cc_status st = CC_OK;
    for (size_t b = (size_t)m->rank; b < nb; b += (size_t)m->size) p->n_cand += (b + 1) * B < n ? B : n - b * B;
    p->count = cc__malloc_array(p->n_cand ? p->n_cand : 1, sizeof(uint32_t));
    if (!p->count) return cc__fail(ctx, CC_ERR_NOMEM, "Out of memory");
    size_t at = 0, cap = 0;
    for (size_t b = (size_t)m->rank; b < nb && !st; b += (size_t)m->size) {
        const size_t j0 = b * B, len = j0 + B < n ? B : n - j0;
        cc__sets s;
        if ((st = jb->slice ? jb->slice(jb->slice_user, ctx, j0, len, &s)
                            : cc__sets_build(ctx, jb->g, jb->ix, jb->ljoin, jb->loff, jb->n_dem, jb->cjoin + j0, jb->coff + j0, len, jb->o, &s)))
            break;
        const uint64_t np = s.first[len];
        if (p->n_pairs + np > cap) {
            size_t nc = cap ? cap : 1 << 16;
            while (nc < p->n_pairs + np) nc *= 2;
            uint32_t *d = cc__realloc_array(p->dem, nc, sizeof(uint32_t));
            if (d) p->dem = d;
            uint32_t *t = times && d ? cc__realloc_array(p->t, nc, sizeof(uint32_t)) : NULL;
            if (t) p->t = t;
            if (!d || (times && !t)) {
                cc__sets_free(&s);
                st = cc__fail(ctx, CC_ERR_NOMEM, "Out of memory for the coverage sets of this rank (%llu pairs)",
                              (unsigned long long)(p->n_pairs + np));
                break;
            }
            cap = nc;
        }
        for (size_t k = 0; k < len; k++) p->count[at + k] = (uint32_t)(s.first[k + 1] - s.first[k]);
        if (np) {
            memcpy(p->dem + p->n_pairs, s.dem, np * sizeof(uint32_t));
            if (times) memcpy(p->t + p->n_pairs, s.t_ms, np * sizeof(uint32_t));
        }
        at += len;
        p->n_pairs += np;
        p->settled += s.settled;
        cc__sets_free(&s);
    }
    return st;
}

static void send_all(const uint32_t *a, uint64_t n, int tag)
{
    for (uint64_t k = 0; k < n; k += CHUNK) {
        MPI_Request rq;
        int c = (int)(n - k < CHUNK ? n - k : CHUNK);
        MPI_Isend(a + k, c, MPI_UINT32_T, 0, tag, MPI_COMM_WORLD, &rq);
        cc__mpi_wait(&rq, MPI_STATUS_IGNORE);
    }
}

static void recv_all(uint32_t *a, uint64_t n, int from, int tag)
{
    for (uint64_t k = 0; k < n; k += CHUNK) {
        MPI_Request rq;
        int c = (int)(n - k < CHUNK ? n - k : CHUNK);
        MPI_Irecv(a + k, c, MPI_UINT32_T, from, tag, MPI_COMM_WORLD, &rq);
        cc__mpi_wait(&rq, MPI_STATUS_IGNORE);
    }
}

enum { TAG_HEAD = 201, TAG_COUNT = 202, TAG_DEM = 203, TAG_TIME = 204 };

static cc_status dist_build(const cc__sets_dist *d, cc_ctx *ctx, const cc__sets_job *jb, cc__sets *out, bool *root)
{
    const cc_mpi *m = d->user;
    const size_t n = jb->n_cand, B = block_size(n, m->size), nb = (n + B - 1) / B;
    const bool times = jb->o->store_times;
    part mine = {0};
    part *parts = NULL;
    cc_status st;
    memset(out, 0, sizeof(*out));
    *root = m->rank == 0;
    if (m->rank == 0 && !jb->est_pairs) {
        cc__info(ctx, "Coverage sets over %d MPI ranks: %zu candidates in %zu blocks of %zu", m->size, n, nb, B);
    } else if (m->rank == 0) {
        const double pb = (double)cc__sets_pair_bytes(jb->o), share = (double)jb->est_pairs / m->size;
        cc__info(ctx, "Coverage sets over %d MPI ranks: %zu candidates in %zu blocks of %zu; memory per rank about %.1f MiB "
                 "for its sets (rank 0: %.1f MiB, all of them), besides the graph and inputs every rank holds",
                 m->size, n, nb, B, share * pb / 1048576.0, (double)jb->est_pairs * pb * 2 / 1048576.0);
    }
    st = build_mine(ctx, m, jb, B, &mine);
    if (m->rank != 0) {
        header h = {.status = st, .n_cand = mine.n_cand, .n_pairs = mine.n_pairs, .settled = mine.settled};
        MPI_Request rq;
        int go = 0;
        MPI_Isend(&h, (int)sizeof(h), MPI_BYTE, 0, TAG_HEAD, MPI_COMM_WORLD, &rq);
        cc__mpi_wait(&rq, MPI_STATUS_IGNORE);
        MPI_Ibcast(&go, 1, MPI_INT, 0, MPI_COMM_WORLD, &rq);
        cc__mpi_wait(&rq, MPI_STATUS_IGNORE);
        if (!st && go) {
            send_all(mine.count, mine.n_cand, TAG_COUNT);
            send_all(mine.dem, mine.n_pairs, TAG_DEM);
            if (times) send_all(mine.t, mine.n_pairs, TAG_TIME);
        } else if (!st) {
            st = cc__fail(ctx, CC_ERR_INTERRUPTED, "Stopped: another MPI rank failed building its coverage sets");
        }
        part_free(&mine);
        return st;
    }
    /* rank 0: headers, the decision, then every part */
    parts = calloc((size_t)m->size, sizeof(part));
    header *hs = calloc((size_t)m->size, sizeof(header));
    if (!st && (!parts || !hs)) st = cc__fail(ctx, CC_ERR_NOMEM, "Out of memory");
    int failed_rank = -1;
    cc_status failed_st = CC_OK;
    for (int r = 1; r < m->size; r++) {
        header h;
        MPI_Request rq;
        MPI_Irecv(&h, (int)sizeof(h), MPI_BYTE, r, TAG_HEAD, MPI_COMM_WORLD, &rq);
        cc__mpi_wait(&rq, MPI_STATUS_IGNORE);
        if (hs) hs[r] = h;
        if (h.status && failed_rank < 0) {
            failed_rank = r;
            failed_st = (cc_status)h.status;
        }
    }
    uint64_t total = mine.n_pairs, settled = mine.settled;
    for (int r = 1; hs && r < m->size; r++) total += hs[r].n_pairs, settled += hs[r].settled;
    if (!st && failed_rank >= 0)
        st = cc__fail(ctx, failed_st, "MPI rank %d failed building its coverage sets (%s); see its message", failed_rank,
                      cc_status_string(failed_st));
    if (!st) {
        out->first = cc__malloc_array(n + 1, sizeof(uint64_t));
        out->dem = cc__malloc_array(total ? total : 1, sizeof(uint32_t));
        out->t_ms = times ? cc__malloc_array(total ? total : 1, sizeof(uint32_t)) : NULL;
        for (int r = 1; r < m->size && out->first; r++) {
            parts[r].n_cand = hs[r].n_cand;
            parts[r].n_pairs = hs[r].n_pairs;
            parts[r].count = cc__malloc_array(hs[r].n_cand ? hs[r].n_cand : 1, sizeof(uint32_t));
            parts[r].dem = cc__malloc_array(hs[r].n_pairs ? hs[r].n_pairs : 1, sizeof(uint32_t));
            parts[r].t = times ? cc__malloc_array(hs[r].n_pairs ? hs[r].n_pairs : 1, sizeof(uint32_t)) : NULL;
            if (!parts[r].count || !parts[r].dem || (times && !parts[r].t)) out->first = (free(out->first), NULL);
        }
        if (!out->first || !out->dem || (times && !out->t_ms))
            st = cc__fail(ctx, CC_ERR_NOMEM, "Out of memory gathering %llu coverage pairs on rank 0", (unsigned long long)total);
    }
    int go = st == CC_OK;
    MPI_Request rq;
    MPI_Ibcast(&go, 1, MPI_INT, 0, MPI_COMM_WORLD, &rq);
    cc__mpi_wait(&rq, MPI_STATUS_IGNORE);
    if (st) goto out;
    for (int r = 1; r < m->size; r++) {
        recv_all(parts[r].count, parts[r].n_cand, r, TAG_COUNT);
        recv_all(parts[r].dem, parts[r].n_pairs, r, TAG_DEM);
        if (times) recv_all(parts[r].t, parts[r].n_pairs, r, TAG_TIME);
    }
    parts[0] = mine;
    memset(&mine, 0, sizeof(mine));
    /* candidate order: block b comes next from rank b mod N's stream */
    uint64_t *cc_at = calloc((size_t)m->size, sizeof(uint64_t)), *pp_at = calloc((size_t)m->size, sizeof(uint64_t));
    if (!cc_at || !pp_at) {
        free(cc_at);
        free(pp_at);
        st = cc__fail(ctx, CC_ERR_NOMEM, "Out of memory");
        goto out;
    }
    out->n_cand = (uint32_t)n;
    out->n_dem = (uint32_t)jb->n_dem;
    out->first[0] = 0;
    uint64_t e = 0;
    for (size_t b = 0; b < nb; b++) {
        const int r = (int)(b % (size_t)m->size);
        const size_t j0 = b * B, len = j0 + B < n ? B : n - j0;
        part *p = &parts[r];
        uint64_t np = 0;
        for (size_t k = 0; k < len; k++) {
            np += p->count[cc_at[r] + k];
            out->first[j0 + k + 1] = out->first[j0 + k] + p->count[cc_at[r] + k];
        }
        memcpy(out->dem + e, p->dem + pp_at[r], np * sizeof(uint32_t));
        if (times) memcpy(out->t_ms + e, p->t + pp_at[r], np * sizeof(uint32_t));
        e += np;
        cc_at[r] += len;
        pp_at[r] += np;
    }
    free(cc_at);
    free(pp_at);
    out->settled = settled;
    out->bytes = (n + 1) * sizeof(uint64_t) + (size_t)total * (times ? 8 : 4);
    cc__info(ctx, "Gathered %llu coverage pairs from %d ranks (%.1f MiB received)", (unsigned long long)total, m->size,
             (double)(total - parts[0].n_pairs) * (times ? 8 : 4) / 1048576.0);
out:
    for (int r = 0; parts && r < m->size; r++) part_free(&parts[r]);
    free(parts);
    free(hs);
    part_free(&mine);
    if (st) cc__sets_free(out);
    return st;
}

cc_status cc_mpi_site_run(cc_ctx *ctx, cc_mpi *m, const cc_site_opts *opts, cc_site_result **out)
{
    if (out) *out = NULL;
    if (m->size == 1) return cc_site_run(ctx, opts, out);
    const cc__sets_dist d = {dist_build, m};
    ctx->sets_dist = &d;
    cc_site_result *r = NULL;
    cc_status st = cc_site_run(ctx, opts, &r);
    ctx->sets_dist = NULL;
    if (out) *out = r; /* NULL on ranks other than 0 */
    else cc_site_result_destroy(r);
    return st;
}

cc_status cc_mpi_batch_site_robust(cc_ctx *ctx, cc_mpi *m, const cc_batch *b, const cc_site_robust_opts *tmpl, int objective, int regret,
                                   cc_robust_solution **out)
{
    if (out) *out = NULL;
    if (m->size == 1) return cc_batch_site_robust(ctx, b, tmpl, objective, regret, out);
    const cc__sets_dist d = {dist_build, m};
    ctx->sets_dist = &d;
    cc_robust_solution *r = NULL;
    cc_status st = cc_batch_site_robust(ctx, b, tmpl, objective, regret, &r);
    ctx->sets_dist = NULL;
    if (out) *out = r; /* NULL on ranks other than 0 */
    else cc_robust_solution_destroy(r);
    return st;
}
