/*
 * cc_scenario.h - scenario files and batches.
 *
 * A scenario file (YAML) describes a coverage run completely: inputs, CRS, speed profile,
 * speed factors per road class or surface (a rainy season), closed roads (a polygon layer or
 * OSM way ids), added or upgraded roads (a line layer), facility changes, thresholds, siting
 * models and budgets, and the deliverables' language. A batch file names a base scenario and
 * its variants (overrides, or parameter sweeps) and runs each into its own folder.
 *
 * The whole file is validated before any work: every problem (unknown key with a "did you
 * mean", wrong type, out-of-range value, missing file) is one line "file:line:column: ...".
 * The schema is documented in README.md ("Scenarios" and "Batches").
 */
#ifndef CC_SCENARIO_H
#define CC_SCENARIO_H

#include <stdbool.h>
#include <stddef.h>

#include "cc_api.h"
#include "cc_coverage.h"
#include "cc_ctx.h"

#ifdef __cplusplus
extern "C" {
#endif

/** A parsed and validated scenario. Immutable after load. */
typedef struct cc_scenario cc_scenario;

/** Parse and validate scenario file @p path. Relative paths in the file are relative to its
 *  folder. On failure the message in @p ctx holds one line per problem (at most as many as fit
 *  in a message, then a count of the rest).
 *  @param out new scenario; caller owns it, free with cc_scenario_destroy()
 *  @return CC_OK; CC_ERR_IO (the file cannot be read, or only missing files); CC_ERR_INPUT
 *  (syntax, unknown key, wrong type, out-of-range value); CC_ERR_NOMEM. Thread-safe with one ctx per thread.
 *  @since 0.2 */
CC_API cc_status cc_scenario_load(cc_ctx *ctx, const char *path, cc_scenario **out);

/** Free a scenario. NULL is a no-op. Not thread-safe for one object (distinct objects: thread-safe). @since 0.2 */
CC_API void cc_scenario_destroy(cc_scenario *s);

/** Name of the scenario (its <name>, else the file name without extension). Borrowed.
 *  Thread-safe (reads only). @since 0.2 */
CC_API const char *cc_scenario_get_name(const cc_scenario *s);

/** Output folder given by the file's <out> key (resolved), or NULL. Borrowed. Thread-safe (reads only). @since 0.2 */
CC_API const char *cc_scenario_get_out_dir(const cc_scenario *s);

/** True when the scenario has a <siting> section (run by cc_scenario_run() before the coverage).
 *  Thread-safe (reads only). @since 0.2 */
CC_API bool cc_scenario_has_siting(const cc_scenario *s);

/** The resolved scenario as canonical JSON text (every default filled in, paths resolved).
 *  @param out new string; caller frees it with free() @return CC_OK or CC_ERR_NOMEM. Thread-safe with one ctx
 *  per thread. @since 0.2 */
CC_API cc_status cc_scenario_to_json(cc_ctx *ctx, const cc_scenario *s, char **out);

/** Content hash (SHA-256, 64 hex digits and NUL in @p hex) of the resolved scenario, the
 *  carecircle version and the SHA-256 of the bytes of every input file (all files GDAL lists for
 *  a dataset, e.g. a shapefile's .shp/.shx/.dbf/.prj). @p hashable is set false when an input cannot be
 *  hashed (a PostGIS connection): such a scenario is never considered unchanged.
 *  @return CC_OK, CC_ERR_IO, CC_ERR_NOMEM. Thread-safe with one ctx per thread. @since 0.2 */
CC_API cc_status cc_scenario_hash(cc_ctx *ctx, const cc_scenario *s, char hex[65], bool *hashable);

/** Options of cc_scenario_run(). */
typedef struct cc_scenario_run_opts {
    const char *out_dir;  /**< output folder; NULL: the scenario's <out>, else required */
    const char *lang;     /**< deliverables' language(s): "zh", "en" or "zh,en"; NULL: the scenario's */
    const char *base_dir; /**< outputs of the base scenario (batches): before/after figures; may be NULL */
    const char *scenario_label; /**< name shown in maps and reports; NULL: the scenario's name */
    const char *content_hash;   /**< hash recorded in scenario.json; NULL: cc_scenario_hash() (batches pass
                                     one that also covers the base) */
} cc_scenario_run_opts;

/** Run a scenario end to end. Each <siting> section runs first through cc_site_run() on the
 *  scenario's inputs with its edits (speed factors, closed and added roads, facility changes),
 *  into the folder "siting" (several: "siting_<k>") of the output folder; then the coverage runs
 *  through cc_coverage_run() on the same inputs with the proposed sites added: outputs, QGIS
 *  styles and project, maps and report in the output folder, plus scenario.json (resolved
 *  scenario and content hash). A failed siting section fails the run, naming its line.
 *  @param out figures; free with cc_coverage_result_destroy(); may be NULL
 *  @return as cc_coverage_run(). Thread-safe with one ctx per thread. Distinct output folders may run
 *  concurrently. @since 0.2 */
CC_API cc_status cc_scenario_run(cc_ctx *ctx, const cc_scenario *s, const cc_scenario_run_opts *opts, cc_coverage_result **out);

/* ---- batches ---------------------------------------------------------------------------------- */

/** A parsed and validated batch: the base scenario and its variants (base first). */
typedef struct cc_batch cc_batch;

/** Parse and validate batch file @p path, its base scenario and every variant (each variant is
 *  the base with the variant's overrides applied, validated as a whole).
 *  @return as cc_scenario_load(). Thread-safe with one ctx per thread. @since 0.2 */
CC_API cc_status cc_batch_load(cc_ctx *ctx, const char *path, cc_batch **out);

/** Free a batch. NULL is a no-op. Not thread-safe for one object (distinct objects: thread-safe). @since 0.2 */
CC_API void cc_batch_destroy(cc_batch *b);

/** Number of variants, the base included (it is variant 0, named "base"). Thread-safe (reads only). @since 0.2 */
CC_API size_t cc_batch_get_variant_count(const cc_batch *b);
/** Variant @p i (borrowed scenario, valid until the batch is destroyed). Thread-safe (reads only). @since 0.2 */
CC_API const cc_scenario *cc_batch_get_variant(const cc_batch *b, size_t i);
/** Output folder given by the batch file's <out> key (resolved), or NULL. Thread-safe (reads only). @since 0.2 */
CC_API const char *cc_batch_get_out_dir(const cc_batch *b);

/** Options of cc_batch_run(). */
typedef struct cc_batch_opts {
    const char *out_dir; /**< batch folder (one sub-folder per variant); NULL: the file's <out> */
    int jobs;            /**< variants run at once (threads); 0: 1 */
    bool force;          /**< re-run variants even when their content hash is unchanged */
    const char *lang;    /**< deliverables' language(s); NULL: each scenario's */
    bool no_reuse;       /**< load every variant alone instead of sharing the inputs read, the graph
                              topology and the joins between variants with the same inputs
                              (@since 0.6) */
} cc_batch_opts;

/** What happened to one variant. */
typedef enum cc_variant_state {
    CC_VARIANT_DONE = 0,    /**< ran and completed */
    CC_VARIANT_SKIPPED = 1, /**< unchanged since its last completed run (same content hash) */
    CC_VARIANT_FAILED = 2   /**< failed: @c status and @c error say why; its folder is untouched */
} cc_variant_state;

typedef struct cc_variant_result {
    const char *name;
    cc_variant_state state;
    cc_status status;
    const char *error;    /**< "" unless failed */
    double seconds;
    const char *out_dir;
    const char *content_hash;
} cc_variant_result;

typedef struct cc_batch_result {
    size_t n_variants, n_done, n_skipped, n_failed;
    const cc_variant_result *variants;
    double seconds;
} cc_batch_result;

/** Run every variant into <out_dir>/<name>/, the base first (its figures are the "before" of
 *  the others), then the variants @p opts->jobs at a time, each in its own thread with its own
 *  context. A variant's failure does not stop the others. Completed variants whose content
 *  hash is unchanged are skipped. Writes <out_dir>/manifest.json (state, error, hash and time
 *  of every variant), comparison.csv and comparison.gpkg (population within each threshold per
 *  scenario and admin area, and the change against the base) and the batch report.
 *  @return CC_OK when the batch ran (even if variants failed: see @p out), or the error that
 *  stopped it (unwritable batch folder, interrupted). Thread-safe with one ctx per thread. A batch runs its
 *  variants on its own threads (parameter jobs). @since 0.2 */
CC_API cc_status cc_batch_run(cc_ctx *ctx, const cc_batch *b, const cc_batch_opts *opts, cc_batch_result **out);

/** Free a batch result. NULL is a no-op. Not thread-safe for one object (distinct objects: thread-safe). @since 0.2 */
CC_API void cc_batch_result_destroy(cc_batch_result *r);

#ifdef __cplusplus
}
#endif

#endif /* CC_SCENARIO_H */
