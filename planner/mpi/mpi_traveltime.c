/*
 * mpi_traveltime.c - the tiled travel-time raster over MPI ranks (cc_traveltime.h).
 *
 * Every rank makes the same plan (raster grid, working CRS, halo, facilities). Rank 0 owns the
 * output folder and serves a dynamic queue of tiles, in tile order: a rank asks for work by
 * sending the outcome of its previous tile (status, figures, then the tile's minutes as Float32,
 * n_sets x tile cells, at most 1 MiB per band for 512 x 512 tiles) and gets the next tile index,
 * or -1 when the queue is empty or a tile failed. Rank 0 also computes tiles in a thread of its
 * own while its main thread answers the others (MPI_THREAD_FUNNELED). The tiles land in the same
 * GeoTIFF as in a single-machine run and the figures are added in tile order, so the outputs do
 * not depend on the number of ranks. A failed tile stops the run: the raster would have a hole.
 */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include <glib.h>

#include "mpi_internal.h"
#include "../run/traveltime_internal.h"

enum { TAG_TILE_DATA = 103 };

typedef struct tile_msg {
    int32_t index; /* tile just computed, -1 on the first request */
    int32_t status;
    double sums[CC__TT_NSUMS];
    char error[512];
} tile_msg;

typedef struct tqueue {
    cc_ctx *ctx;
    const cc__tt_plan *p;
    cc__tt_writer *w;
    double *sums;
    GMutex lock;       /* queue, writer and figures */
    int next, n, finished;
    cc_status failed;  /* first failure (stops the queue) */
    char error[512];
} tqueue;

static int take(tqueue *q)
{
    g_mutex_lock(&q->lock);
    int k = q->next < q->n && !q->failed && !cc__interrupted(q->ctx) ? q->next++ : -1;
    g_mutex_unlock(&q->lock);
    return k;
}

/* Store a computed tile (any rank's): writer and figures, under the lock. */
static void land(tqueue *q, int k, cc_status st, const char *error, const double *sums, const float *vals)
{
    g_mutex_lock(&q->lock);
    if (!st && !q->failed) {
        st = cc__tt_writer_put(q->ctx, q->p, q->w, k, vals);
        if (st) error = cc_ctx_last_error(q->ctx);
    }
    if (st && !q->failed) {
        q->failed = st;
        snprintf(q->error, sizeof(q->error), "%s", error);
    }
    if (!st) memcpy(q->sums + (size_t)k * CC__TT_NSUMS, sums, CC__TT_NSUMS * sizeof(double));
    q->finished++;
    cc__progress(q->ctx, "Tiles", (double)q->finished / q->n);
    g_mutex_unlock(&q->lock);
}

static gpointer local_worker(gpointer data)
{
    tqueue *q = data;
    cc_ctx c = *q->ctx; /* its own error buffer; logs through the same callback */
    float *vals = cc__malloc_array(q->p->n_sets * (size_t)q->p->tile * (size_t)q->p->tile, sizeof(float));
    double sums[CC__TT_NSUMS];
    for (int k; (k = take(q)) >= 0;) {
        cc_status st = vals ? cc__tt_tile_run(&c, q->p, k, vals, sums) : cc__fail(&c, CC_ERR_NOMEM, "Out of memory for a tile");
        land(q, k, st, c.last_error, sums, vals);
    }
    free(vals);
    return NULL;
}

/* Rank 0: the queue, its own worker thread and the answers to the other ranks. */
static void coordinate(cc_mpi *m, tqueue *q, float *vals)
{
    GThread *th = g_thread_new("tiles", local_worker, q);
    int active = m->size - 1;
    while (active > 0) {
        tile_msg in;
        int src = cc__mpi_recv_done(&in, (int)sizeof(in));
        if (in.index >= 0 && in.index < q->n) {
            in.error[sizeof(in.error) - 1] = '\0';
            if (in.status == CC_OK) {
                int r[4];
                cc__tt_tile_rect(q->p, in.index, r);
                int count = (int)(q->p->n_sets * (size_t)r[2] * (size_t)r[3]);
                MPI_Recv(vals, count, MPI_FLOAT, src, TAG_TILE_DATA, MPI_COMM_WORLD, MPI_STATUS_IGNORE);
            }
            land(q, in.index, (cc_status)in.status, in.error, in.sums, vals);
        }
        int32_t next = take(q);
        MPI_Send(&next, 1, MPI_INT32_T, src, CC__TAG_WORK, MPI_COMM_WORLD);
        if (next < 0) active--;
    }
    g_thread_join(th);
}

/* Ranks 1..N-1: ask, compute, send, until told to stop. */
static void serve(cc_ctx *ctx, const cc__tt_plan *p)
{
    float *vals = cc__malloc_array(p->n_sets * (size_t)p->tile * (size_t)p->tile, sizeof(float));
    tile_msg out = {.index = -1};
    for (;;) {
        int32_t next = -1;
        MPI_Request rq;
        MPI_Send(&out, (int)sizeof(out), MPI_BYTE, 0, CC__TAG_DONE, MPI_COMM_WORLD);
        if (out.index >= 0 && out.status == CC_OK) {
            int r[4];
            cc__tt_tile_rect(p, out.index, r);
            MPI_Send(vals, (int)(p->n_sets * (size_t)r[2] * (size_t)r[3]), MPI_FLOAT, 0, TAG_TILE_DATA, MPI_COMM_WORLD);
        }
        MPI_Irecv(&next, 1, MPI_INT32_T, 0, CC__TAG_WORK, MPI_COMM_WORLD, &rq);
        cc__mpi_wait(&rq, MPI_STATUS_IGNORE);
        if (next < 0) break;
        memset(&out, 0, sizeof(out));
        out.index = next;
        out.status = vals ? cc__tt_tile_run(ctx, p, next, vals, out.sums) : cc__fail(ctx, CC_ERR_NOMEM, "Out of memory for a tile");
        if (out.status) snprintf(out.error, sizeof(out.error), "%s", cc_ctx_last_error(ctx));
    }
    free(vals);
}

/* Roads bytes one tile's halo box is expected to read, from the file size and the share of the
 * raster's extent the box covers; x 24 for the peak of reading and building (as for batches). */
static double estimate_rank_bytes(const cc__tt_plan *p)
{
    struct stat sb;
    double roads = stat(p->o->in.roads, &sb) == 0 ? (double)sb.st_size : 0.0;
    double cell_m = 0.5 * (fabs(p->grid.gt[1]) + fabs(p->grid.gt[5]));
    if (fabs(p->grid.gt[1]) < 0.1) cell_m *= 111320.0; /* degrees */
    double tile_m = p->tile * cell_m, side = tile_m + 2 * p->halo_m;
    double region = (double)p->grid.w * cell_m * (double)p->grid.h * cell_m;
    double share = region > 0 ? fmin(1.0, side * side / region) : 1.0;
    return 128.0 * 1048576.0 + 24.0 * roads * share + 2.0 * 4.0 * (double)p->n_sets * p->tile * p->tile;
}

cc_status cc_mpi_traveltime_run(cc_ctx *ctx, cc_mpi *m, const cc_traveltime_opts *opts, cc_traveltime_result **out)
{
    cc__tt_plan p;
    cc__tt_writer w = {0};
    double t0 = cc__now();
    double *sums = NULL;
    *out = NULL;
    if (m->size == 1) return cc_traveltime_run(ctx, opts, out);
    float *vals = NULL;
    cc_status st = cc__tt_plan_make(ctx, opts, &p);
    const int nt = st ? 0 : cc__tt_n_tiles(&p);
    if (!st && m->rank == 0) {
        sums = cc__calloc_array((size_t)nt * CC__TT_NSUMS, sizeof(double));
        vals = cc__malloc_array(p.n_sets * (size_t)p.tile * (size_t)p.tile, sizeof(float));
        st = !sums || !vals ? cc__fail(ctx, CC_ERR_NOMEM, "Out of memory for %d tiles", nt) : cc__tt_writer_open(ctx, &p, &w);
    }
    /* all go on only if every rank could plan and rank 0 could open the output */
    if (cc__mpi_max_int(st != CC_OK)) {
        if (!st) st = cc__fail(ctx, CC_ERR_INPUT, "Another MPI rank could not prepare the tiled run (see its message)");
        goto out;
    }
    if (m->rank == 0) {
        /* rank 0 also writes the whole raster through GDAL's block cache, then copies it to the COG */
        double raster = 4.0 * (double)p.n_sets * p.grid.w * p.grid.h, cache = (double)GDALGetCacheMax64();
        cc__info(ctx, "%d tiles over %d MPI ranks; memory per rank about %.0f MiB (a tile of %d cells and its halo of %.1f km), "
                 "rank 0 up to %.0f MiB more for the output raster",
                 nt, m->size, estimate_rank_bytes(&p) / 1048576.0, p.tile, p.halo_m / 1000.0, fmin(raster, cache) / 1048576.0);
        tqueue q = {.ctx = ctx, .p = &p, .w = &w, .sums = sums, .n = nt};
        g_mutex_init(&q.lock);
        coordinate(m, &q, vals);
        g_mutex_clear(&q.lock);
        if (q.failed) st = cc__fail(ctx, q.failed, "%s", q.error);
        if (!st && cc__interrupted(ctx)) st = cc__fail(ctx, CC_ERR_INTERRUPTED, "Interrupted");
        if (!st) st = cc__tt_writer_finish(ctx, &p, &w, sums, t0, out);
    } else {
        serve(ctx, &p);
    }
out:
    cc__tt_writer_abort(&w);
    CC__FREE_ALL(vals, sums);
    cc__tt_plan_free(&p);
    return st;
}
