/*
 * cc_mpi.h - the same batches and siting runs spread over the ranks of an MPI job (Open MPI).
 *
 * Only in builds configured with -DCC_WITH_MPI=ON (library carecircle_mpi); the single-machine
 * library and program hold no MPI symbol. Rank 0 coordinates and writes every shared output;
 * the other ranks compute and send their results to it. With one rank each function behaves
 * like its single-machine counterpart. Only the calling (main) thread talks MPI
 * (MPI_THREAD_FUNNELED); each rank uses OpenMP threads inside as on one machine.
 */
#ifndef CC_MPI_H
#define CC_MPI_H

#include "cc_api.h"
#include "cc_ctx.h"
#include "cc_scenario.h"
#include "cc_site.h"
#include "cc_site_robust.h"
#include "cc_status.h"
#include "cc_traveltime.h"

#ifdef __cplusplus
extern "C" {
#endif

/** An initialised MPI environment (MPI_COMM_WORLD). */
typedef struct cc_mpi cc_mpi;

/** Initialise MPI with MPI_THREAD_FUNNELED. @p argc / @p argv as given to main (may be NULL).
 *  @param out new environment; free with cc_mpi_finalize() (which calls MPI_Finalize).
 *  @return CC_OK, CC_ERR_INTERNAL (MPI could not start or lacks FUNNELED), CC_ERR_NOMEM. Not thread-safe: call
 *  once per process, from the thread that will make the MPI calls. @since 0.3 */
CC_API cc_status cc_mpi_init(cc_ctx *ctx, int *argc, char ***argv, cc_mpi **out);
/** Finalise MPI and free @p m. NULL is a no-op. Not thread-safe: call once per process, from the thread that
 *  called cc_mpi_init(). @since 0.3 */
CC_API void cc_mpi_finalize(cc_mpi *m);
/** This process's rank, 0..size-1. Thread-safe (reads only). @since 0.3 */
CC_API int cc_mpi_get_rank(const cc_mpi *m);
/** Number of ranks. Thread-safe (reads only). @since 0.3 */
CC_API int cc_mpi_get_size(const cc_mpi *m);

/** Run batch @p b (loaded on every rank from the same file) over the ranks: rank 0 runs the base
 *  with all its cores, then hands out the variants largest first (last run's time, else input
 *  size) from a dynamic queue to every rank, itself included, one variant at a time per rank;
 *  each variant runs as in cc_batch_run() (same folders, staging, content-hash skip). Rank 0
 *  then writes manifest.json and comparison.csv. A variant that fails is listed and the others
 *  go on. Before work starts rank 0 logs the estimated memory per rank.
 *  @param out rank 0: the batch result (free with cc_batch_result_destroy()); other ranks: NULL.
 *  @return as cc_batch_run(), the same on every rank for errors that stop the batch. Collective; not thread-safe for one cc_mpi (one MPI run at a time per process). @since 0.3 */
CC_API cc_status cc_mpi_batch_run(cc_ctx *ctx, cc_mpi *m, const cc_batch *b, const cc_batch_opts *opts, cc_batch_result **out);

/** cc_site_run() with the coverage sets built in blocks of candidates over the ranks: every rank
 *  loads the inputs and builds the graph (shared read-only by its threads), searches from the
 *  candidates of its blocks (block-cyclic over candidate ids), and rank 0 gathers the sets in
 *  their compact form (counts, demand ids, times), solves and writes the outputs. The sets, and
 *  so the answer, are identical to a single-machine run.
 *  @param out rank 0: the result (free with cc_site_result_destroy()); other ranks: NULL.
 *  Collective; not thread-safe for one cc_mpi (one MPI run at a time per process). @since 0.3 */
CC_API cc_status cc_mpi_site_run(cc_ctx *ctx, cc_mpi *m, const cc_site_opts *opts, cc_site_result **out);

/** cc_batch_site_robust() (robust siting across the variants of batch @p b, loaded on every rank)
 *  with every variant's coverage sets built over the ranks as in cc_mpi_site_run(): every rank
 *  loads each variant's inputs and builds its graph, searches from the candidates of its blocks,
 *  and rank 0 gathers the sets in candidate order (identical to a single-machine run's), then
 *  solves (each variant's own optimum and the robust set) and writes every output.
 *  @param out rank 0: the solution (free with cc_robust_solution_destroy()); other ranks: NULL.
 *  Collective; not thread-safe for one cc_mpi (one MPI run at a time per process). @since 0.5 */
CC_API cc_status cc_mpi_batch_site_robust(cc_ctx *ctx, cc_mpi *m, const cc_batch *b, const cc_site_robust_opts *tmpl, int objective, int regret,
                                          cc_robust_solution **out);

/** cc_traveltime_run() with the tiles shared out over the ranks: every rank makes the same plan;
 *  rank 0 serves the tiles from a dynamic queue (itself included), receives each tile's minutes
 *  (Float32, n_sets x tile cells) and figures, and writes travel_time.tif and summary.json,
 *  identical to a single-machine run. A failed tile stops the run (the raster would have a hole).
 *  @param out rank 0: the figures (free with cc_traveltime_result_destroy()); other ranks: NULL. Collective; not thread-safe for one cc_mpi (one MPI run at a time per process). @since 0.3 */
CC_API cc_status cc_mpi_traveltime_run(cc_ctx *ctx, cc_mpi *m, const cc_traveltime_opts *opts, cc_traveltime_result **out);

#ifdef __cplusplus
}
#endif
#endif
