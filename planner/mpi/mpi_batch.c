/*
 * mpi_batch.c - a batch over MPI ranks: the same variants, folders and outputs as cc_batch_run().
 *
 * Rank 0 runs the base with all its cores (every variant's maps and comparison need its
 * figures), tells the others whether it completed, then serves a dynamic queue of the variants,
 * largest first, to every rank: a rank asks for work by sending the outcome of its previous
 * variant, and gets the next index or -1 when the queue is empty. Rank 0 also works: a thread of
 * its own takes variants from the same queue while its main thread answers the others
 * (MPI_THREAD_FUNNELED: only the main thread calls MPI). When every rank has stopped, rank 0
 * writes manifest.json and comparison.csv from the collected outcomes with the single-machine
 * code, so the files are the same as a serial batch's except for the seconds.
 *
 * Messages are a few hundred bytes per variant (index, state, status, seconds, error line); the
 * outputs themselves are written by the rank that computed them into the shared batch folder.
 */
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include <glib.h>

#include "mpi_internal.h"
#include "../scenario/batch_job_internal.h"

/* Peak memory of a coverage run per byte of its inputs (roads + population + facilities files),
 * from peak RSS: demo run 132 MiB for 0.23 MiB of inputs, Comoros 201 MiB for 4.1 MiB, so about
 * 130 MiB + 18 x input bytes; rounded up (benchmarks/RESULTS.md, "Across machines"). */
#define PEAK_PER_INPUT_BYTE 24.0
#define PEAK_FIXED_BYTES (128.0 * 1048576.0)

typedef struct msg {
    int32_t index; /* variant just finished, -1 on the first request */
    int32_t pad;
    cc__variant_outcome o;
} msg;

typedef struct queue {
    cc__batch_job *job;
    cc_ctx *ctx;
    GMutex lock;
    size_t *order, n, next, finished, total;
    int threads;
} queue;

/* Next variant index from the queue, or -1 (empty, or interrupted). */
static int32_t take(queue *q)
{
    g_mutex_lock(&q->lock);
    int32_t i = q->next < q->n && !cc__interrupted(q->ctx) ? (int32_t)q->order[q->next++] : -1;
    g_mutex_unlock(&q->lock);
    return i;
}

static void finished_one(queue *q)
{
    g_mutex_lock(&q->lock);
    q->finished++;
    cc__progress(q->ctx, "Running variants", (double)q->finished / (double)q->total);
    g_mutex_unlock(&q->lock);
}

static gpointer local_worker(gpointer data)
{
    queue *q = data;
    for (int32_t i; (i = take(q)) >= 0;) {
        cc__batch_job_run(q->job, (size_t)i, q->threads);
        finished_one(q);
    }
    return NULL;
}

/* A variant's estimated cost: the costliest first, ties by index (the same order on every run). */
typedef cc__scored est;

/* Rank 0: the queue, its own worker thread and the answers to the other ranks. */
static cc_status coordinate(cc_ctx *ctx, cc_mpi *m, const cc_batch *b, cc__batch_job *j, int threads)
{
    const size_t n = cc_batch_get_variant_count(b);
    queue q = {.job = j, .ctx = ctx, .n = n - 1, .total = n, .finished = 1, .threads = threads};
    est *e = cc__calloc_array(n, sizeof(est));
    q.order = cc__calloc_array(n, sizeof(size_t));
    if (!e || !q.order) {
        free(e);
        free(q.order);
        return cc__fail(ctx, CC_ERR_NOMEM, "Out of memory");
    }
    for (size_t i = 1; i < n; i++) e[i - 1] = (est){cc__batch_job_estimate(j, i), (uint32_t)i};
    qsort(e, n - 1, sizeof(est), cc__cmp_scored_desc);
    for (size_t k = 0; k + 1 < n; k++) q.order[k] = e[k].id;
    free(e);
    g_mutex_init(&q.lock);
    GThread *th = g_thread_new("variants", local_worker, &q);
    int active = m->size - 1;
    while (active > 0) {
        msg in;
        int src = cc__mpi_recv_done(&in, (int)sizeof(in));
        if (in.index > 0 && (size_t)in.index < n) {
            in.o.error[sizeof(in.o.error) - 1] = '\0';
            cc__batch_job_set_outcome(j, (size_t)in.index, &in.o);
            finished_one(&q);
        }
        int32_t next = take(&q);
        MPI_Send(&next, 1, MPI_INT32_T, src, CC__TAG_WORK, MPI_COMM_WORLD);
        if (next < 0) active--;
    }
    g_thread_join(th);
    g_mutex_clear(&q.lock);
    free(q.order);
    return CC_OK;
}

/* Ranks 1..N-1: ask, run, report, until told to stop. */
static void serve(cc__batch_job *j, int threads)
{
    msg out = {.index = -1};
    for (;;) {
        int32_t next = -1;
        MPI_Request rq;
        MPI_Send(&out, (int)sizeof(out), MPI_BYTE, 0, CC__TAG_DONE, MPI_COMM_WORLD);
        MPI_Irecv(&next, 1, MPI_INT32_T, 0, CC__TAG_WORK, MPI_COMM_WORLD, &rq);
        cc__mpi_wait(&rq, MPI_STATUS_IGNORE);
        if (next < 0) return;
        cc__batch_job_run(j, (size_t)next, threads);
        memset(&out, 0, sizeof(out));
        out.index = next;
        cc__batch_job_get_outcome(j, (size_t)next, &out.o);
    }
}

cc_status cc_mpi_batch_run(cc_ctx *ctx, cc_mpi *m, const cc_batch *b, const cc_batch_opts *opts, cc_batch_result **out)
{
    cc__batch_job *j = NULL;
    cc_status st;
    *out = NULL;
    if (m->size == 1) return cc_batch_run(ctx, b, opts, out);
    /* rank 0 proves the folder is carecircle's (or new) before any rank makes it: a check on every rank
     * would race with the ranks that have already made it */
    const char *dir = opts && opts->out_dir ? opts->out_dir : cc_batch_get_out_dir(b);
    st = m->rank == 0 && dir ? cc_output_dir_check(ctx, dir) : CC_OK;
    if (cc__mpi_max_int(st != CC_OK)) {
        if (!st) st = cc__fail(ctx, CC_ERR_PARAM, "MPI rank 0 refused the output folder (see its message)");
        goto out;
    }
    /* every rank makes the folder and hashes the variants; rank 0 first, so that the others find the
     * folder with its marker instead of one being made; all go on only if all could */
    if (m->rank == 0) st = cc__batch_job_begin(ctx, b, opts, &j);
    if (m->rank == 0 && !st) cc__batch_note_sweeps(ctx, b);
    if (cc__mpi_max_int(m->rank == 0 && st != CC_OK)) {
        if (!st) st = cc__fail(ctx, CC_ERR_IO, "MPI rank 0 could not prepare the batch folder (see its message)");
        goto out;
    }
    if (m->rank != 0) st = cc__batch_job_begin(ctx, b, opts, &j);
    if (cc__mpi_max_int(st != CC_OK)) {
        if (!st) st = cc__fail(ctx, CC_ERR_IO, "Another MPI rank could not prepare the batch folder (see its message)");
        goto out;
    }
    const int threads = cc_ctx_get_threads(ctx);
    const size_t n = cc_batch_get_variant_count(b);
    if (m->rank == 0) {
        double biggest = 0;
        for (size_t i = 0; i < n; i++) {
            const double in = cc__batch_job_input_bytes(j, i);
            if (in > biggest) biggest = in;
        }
        double per_rank = biggest * PEAK_PER_INPUT_BYTE + PEAK_FIXED_BYTES;
        cc__info(ctx, "Batch of %zu variants over %d MPI ranks into '%s', largest first; memory per rank about %.0f MiB "
                 "(largest inputs %.1f MiB; rank 0 also holds the batch results)",
                 n, m->size, cc__batch_job_get_dir(j), per_rank / 1048576.0, biggest / 1048576.0);
        cc__batch_job_run(j, 0, threads);
    }
    /* the base's outcome, to every rank */
    int base_ok = 0;
    if (m->rank == 0) {
        cc__variant_outcome o;
        cc__batch_job_get_outcome(j, 0, &o);
        base_ok = o.state != CC_VARIANT_FAILED;
        if (cc__interrupted(ctx)) base_ok = -1;
    }
    MPI_Request rq;
    MPI_Ibcast(&base_ok, 1, MPI_INT, 0, MPI_COMM_WORLD, &rq);
    cc__mpi_wait(&rq, MPI_STATUS_IGNORE);
    if (base_ok < 0) {
        st = cc__fail(ctx, CC_ERR_INTERRUPTED, "Interrupted");
        goto out;
    }
    cc__batch_job_set_base(j, base_ok == 1);
    if (m->rank == 0) {
        if ((st = coordinate(ctx, m, b, j, threads))) goto out;
        if (cc__interrupted(ctx)) {
            st = cc__fail(ctx, CC_ERR_INTERRUPTED, "Interrupted");
            goto out;
        }
        st = cc__batch_job_finish(j, out);
    } else {
        serve(j, threads);
    }
out:
    cc__batch_job_destroy(j);
    return st;
}
