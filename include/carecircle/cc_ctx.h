/*
 * cc_ctx.h - the per-thread context: last error, log and progress callbacks, thread count,
 * interrupt flag.
 *
 * A context is used by one thread at a time. Library calls that run OpenMP loops create
 * their own per-thread state internally; the context passed in is only touched by the
 * calling thread.
 */
#ifndef CC_CTX_H
#define CC_CTX_H

#include <signal.h>
#include <stddef.h>

#include "cc_api.h"
#include "cc_status.h"

#ifdef __cplusplus
extern "C" {
#endif

/** Opaque context. Create with cc_ctx_create(), free with cc_ctx_destroy(). */
typedef struct cc_ctx cc_ctx;

/** Message levels for the log callback. */
typedef enum cc_log_level {
    CC_LOG_ERROR = 0,   /**< The failure that a call is about to return (also in last_error). */
    CC_LOG_WARNING = 1, /**< Something was skipped or adjusted; the run goes on. */
    CC_LOG_INFO = 2,    /**< Steps of a long run ("Building graph..."). */
    CC_LOG_DEBUG = 3    /**< Figures for developers (timings, sizes). */
} cc_log_level;

/** Log callback. @p msg is one line without a trailing newline, valid during the call. */
typedef void (*cc_log_fn)(void *user, cc_log_level level, const char *msg);

/** Progress callback: @p step names the step ("Snapping demand"), @p fraction runs 0..1;
 *  it is called from the thread that owns the context, at most a few hundred times a step. */
typedef void (*cc_progress_fn)(void *user, const char *step, double fraction);

/** Create a context with no callbacks, all cores, no interrupt flag.
 *  @param out new context; caller owns it, free with cc_ctx_destroy()
 *  @return CC_OK or CC_ERR_NOMEM. Thread-safe. @since 0.1 */
CC_API cc_status cc_ctx_create(cc_ctx **out);

/** Free a context. NULL is a no-op. Not thread-safe for one ctx: no call may be using it. @since 0.1 */
CC_API void cc_ctx_destroy(cc_ctx *ctx);

/** The message of the last failure reported in @p ctx, or "" if none: one line, except after
 *  scenario or batch validation, where each problem is one line ('\n'-separated). Borrowed;
 *  valid until the next call that uses @p ctx. Thread-safe with one ctx per thread (the text changes with the
 *  ctx's next call). @since 0.1 */
CC_API const char *cc_ctx_last_error(const cc_ctx *ctx);

/** Route log messages to @p fn (NULL: discard). Not thread-safe for one ctx: set it before the ctx is used.
 *  @since 0.1 */
CC_API void cc_ctx_set_log(cc_ctx *ctx, cc_log_fn fn, void *user);

/** Route progress reports to @p fn (NULL: none). Not thread-safe for one ctx: set it before the ctx is used.
 *  @since 0.1 */
CC_API void cc_ctx_set_progress(cc_ctx *ctx, cc_progress_fn fn, void *user);

/** Number of threads for parallel loops: 0 = all cores, -k = all but k (at least 1),
 *  k > 0 = exactly k. Without OpenMP every value means 1. Not thread-safe for one ctx: set it before the ctx
 *  is used. @since 0.1 */
CC_API void cc_ctx_set_threads(cc_ctx *ctx, int threads);

/** The number of threads that parallel loops will use (>= 1), resolved from the setting.
 *  Thread-safe with one ctx per thread. @since 0.1 */
CC_API int cc_ctx_get_threads(const cc_ctx *ctx);

/** Register a flag that a signal handler sets to ask long calls to stop. Long calls check it
 *  between steps and inside long loops and return CC_ERR_INTERRUPTED, leaving no partial
 *  output. Borrowed; must outlive every call using @p ctx. NULL removes it. Not thread-safe for one ctx: set
 *  it before the ctx is used (the flag may be raised from any thread). @since 0.1 */
CC_API void cc_ctx_set_interrupt_flag(cc_ctx *ctx, const volatile sig_atomic_t *flag);

/** Number of warnings logged through @p ctx since it was created. Thread-safe with one ctx per thread. @since 0.1 */
CC_API size_t cc_ctx_get_warning_count(const cc_ctx *ctx);

/** Record the command line that drives @p ctx (written with the version into the marker file
 *  .carecircle of every output folder; newlines become spaces). Not thread-safe for one ctx. @since 0.5 */
CC_API void cc_ctx_set_command(cc_ctx *ctx, const char *command);
/** The command recorded with cc_ctx_set_command() ("" when none). Thread-safe with one ctx per thread. @since 0.5 */
CC_API const char *cc_ctx_get_command(const cc_ctx *ctx);

/** Keep prepared regions (README "Prepared regions and the cache") in folder @p dir: coverage
 *  runs, scenario runs and batches look there for a region prepared from the same roads and
 *  population (content-hashed) before reading and building it, and write what they compute
 *  there. NULL or "": no disk cache (the default of the library). Not thread-safe for one ctx:
 *  set it before the ctx is used. @since 0.7 */
CC_API void cc_ctx_set_cache_dir(cc_ctx *ctx, const char *dir);
/** The folder set with cc_ctx_set_cache_dir(), or NULL. @since 0.7 */
CC_API const char *cc_ctx_get_cache_dir(const cc_ctx *ctx);

/** Whether @p dir may receive outputs (checked again by every run; call it to refuse before any
 *  work): a new folder, an empty one, or one carecircle wrote (marker file .carecircle); never "/",
 *  the working or home folder or a folder above them; symbolic links are followed.
 *  @return CC_OK, CC_ERR_PARAM (a folder that is not carecircle's, or a refused place), CC_ERR_IO.
 *  Thread-safe with one ctx per thread. @since 0.5 */
CC_API cc_status cc_output_dir_check(cc_ctx *ctx, const char *dir);

/** Remove the staging folders of every run in progress in this process (their previous outputs
 *  stay). For a program that must end at once, e.g. when a run has not stopped within a second of
 *  an interruption; those runs then fail. Safe from any thread, not from a signal handler. @since 0.5 */
CC_API void cc_outputs_abandon(void);

/** strtod for numbers people type, as every carecircle parameter reads them: decimal notation only.
 *  Hexadecimal ("0x10"), "inf", "nan" and "infinity" are not converted (*end == s, returns 0), so a
 *  "not a number" check refuses them instead of reading "0x10" as 16. Leading white space is skipped
 *  as strtod does; the C locale's decimal point. Thread-safe. @since 0.5 */
CC_API double cc_strtod(const char *s, char **end);

#ifdef __cplusplus
}
#endif

#endif /* CC_CTX_H */
