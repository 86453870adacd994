/*
 * batch_job_internal.h - a batch run in pieces, for the drivers that spread variants over
 * processes (planner/mpi): begin, run variants, record outcomes, finish.
 */
#ifndef CC_BATCH_JOB_INTERNAL_H
#define CC_BATCH_JOB_INTERNAL_H

#include <stdbool.h>
#include <stdint.h>

#include "carecircle/cc_scenario.h"
#include "../core/core_internal.h"

/* A batch run in pieces (batch.c): cc_batch_run() is begin, run the base, run the rest,
 * finish; planner/mpi runs the same pieces with the variants spread over MPI ranks. */
typedef struct cc__batch_job cc__batch_job;
/* What became of one variant, as a flat value that can travel between processes. */
typedef struct cc__variant_outcome {
    int32_t state;  /* cc_variant_state */
    int32_t status; /* cc_status */
    double seconds;
    char error[CC__MAX_MSG];
} cc__variant_outcome;
/* Hashes every variant and creates the batch folder; *out is freed with cc__batch_job_destroy(). */
cc_status cc__batch_job_begin(cc_ctx *ctx, const cc_batch *b, const cc_batch_opts *o, cc__batch_job **out);
/* Run variant i (0 = the base) into its folder with @p threads threads, or skip it when its content
 * hash is unchanged; the outcome is kept in the job. Thread-safe for distinct i. */
void cc__batch_job_run(cc__batch_job *j, size_t i, int threads);
/* One line saying how many sweep variants write summary.json only by default (none: nothing). */
void cc__batch_note_sweeps(cc_ctx *ctx, const cc_batch *b);
/* Whether the base completed (its outputs are then the "before" of every variant). */
void cc__batch_job_set_base(cc__batch_job *j, bool completed);
void cc__batch_job_get_outcome(const cc__batch_job *j, size_t i, cc__variant_outcome *out);
void cc__batch_job_set_outcome(cc__batch_job *j, size_t i, const cc__variant_outcome *in);
/* Expected relative cost of variant i (largest first): last run's seconds, else input bytes. */
double cc__batch_job_estimate(const cc__batch_job *j, size_t i);
/* Bytes of variant i's input files (roads, population, facilities). */
double cc__batch_job_input_bytes(const cc__batch_job *j, size_t i);
const char *cc__batch_job_get_dir(const cc__batch_job *j);
/* manifest.json, comparison.csv/.gpkg and the report from the outcomes; *out owned by the caller. */
cc_status cc__batch_job_finish(cc__batch_job *j, cc_batch_result **out);
void cc__batch_job_destroy(cc__batch_job *j);

#endif
