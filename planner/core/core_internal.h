/*
 * core_internal.h - helpers every module uses: failure reporting, logging, progress,
 * checked allocation, timing, GDAL error capture. Never installed.
 */
#ifndef CC_CORE_INTERNAL_H
#define CC_CORE_INTERNAL_H

#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "carecircle/cc_ctx.h"
#include "carecircle/cc_status.h"

#if defined(__GNUC__)
#define CC__PRINTF(a, b) __attribute__((format(printf, a, b)))
#else
#define CC__PRINTF(a, b)
#endif

/* Defensive branches (SQLite/H3 ALWAYS/NEVER): assert in debug builds, plain test otherwise. */
#ifdef NDEBUG
#define CC_ALWAYS(x) (x)
#define CC_NEVER(x) (x)
#else
#include <assert.h>
#define CC_ALWAYS(x) ((x) ? 1 : (assert(0), 0))
#define CC_NEVER(x) ((x) ? (assert(0), 1) : 0)
#endif

#define CC__MAX_MSG 1024

struct cc_ctx {
    char last_error[CC__MAX_MSG];
    cc_log_fn log_fn;
    void *log_user;
    cc_progress_fn progress_fn;
    void *progress_user;
    int threads_setting;
    const volatile sig_atomic_t *interrupt_flag;
    size_t warnings;
    /* GDAL error capture (see cc__gdal_begin) */
    char gdal_msg[CC__MAX_MSG];
    int gdal_depth;
    size_t gdal_failures; /* CE_Failure/CE_Fatal seen since the outermost cc__gdal_begin */
    /* builder of coverage sets across processes (planner/mpi), NULL: this process alone */
    const struct cc__sets_dist *sets_dist;
    /* contraction hierarchies kept across runs (a batch's region pool, robust siting), NULL: each
     * coverage-sets build makes its own (planner/access/ch_cache.c) */
    struct cc__ch_cache *ch_cache;
    /* the command that made this context's outputs (recorded in output folder markers) */
    char command[CC__MAX_MSG];
    /* folder of prepared regions on disk ("" : none; cc_ctx_set_cache_dir) */
    char cache_dir[4096];
};

/* Record @p st with a formatted message in ctx (and log it at ERROR level); returns @p st so
 * that the caller can write `return cc__fail(ctx, CC_ERR_IO, "Unable to open <%s>", p);`. */
cc_status cc__fail(cc_ctx *ctx, cc_status st, const char *fmt, ...) CC__PRINTF(3, 4);

/* Like cc__fail with several problems, one per line ('\n'-separated; validation of a whole
 * scenario file): the only message that may span lines. */
cc_status cc__fail_lines(cc_ctx *ctx, cc_status st, const char *lines);

void cc__warn(cc_ctx *ctx, const char *fmt, ...) CC__PRINTF(2, 3);

/* A context for one task of a parallel region (independent outputs written at once): @p parent's
 * log callback (called from the worker's thread), interrupt flag and command, one thread, no
 * progress bar, its own error message and GDAL error capture. cc__ctx_worker_end adds its warnings
 * to @p parent and, when @p st is an error, copies its message (logged already) and returns @p st. */
void cc__ctx_worker(const cc_ctx *parent, cc_ctx *w);
cc_status cc__ctx_worker_end(cc_ctx *parent, const cc_ctx *w, cc_status st);

/* GDAL/PROJ messages raised outside cc__gdal_begin since the last call: their count, and the
 * first in @p first (the handler that holds them back is installed by cc__gdal_init). */
size_t cc__gdal_stray_take(char *first, size_t n);

/* @p v in the fewest digits that read back as @p v (%g would print 1440.0000001 as "1440" and
 * make a range error contradict itself). Writes to @p buf (>= 32 bytes), returns it. */
const char *cc__num(char *buf, double v);
void cc__info(cc_ctx *ctx, const char *fmt, ...) CC__PRINTF(2, 3);
void cc__debug(cc_ctx *ctx, const char *fmt, ...) CC__PRINTF(2, 3);

/* Progress of the current step, 0..1 (rate-limited by the caller's loop structure). */
void cc__progress(cc_ctx *ctx, const char *step, double fraction);

/* True when the interrupt flag is raised. */
bool cc__interrupted(const cc_ctx *ctx);
/* The interrupt flag itself (may be NULL), for polling inside parallel loops. */
const volatile sig_atomic_t *cc__interrupt_flag(const cc_ctx *ctx);
/* A GDALProgressFunc that reports progress to ctx (pProgressArg = ctx) and aborts the GDAL
 * operation when the interrupt flag is raised. */
int cc__gdal_progress(double fraction, const char *msg, void *ctx);

/* Overflow-checked array allocation (GDAL VSIMalloc2, Linux kernel kcalloc). NULL on
 * overflow or failure. n == 0 returns a valid minimal allocation. */
void *cc__calloc_array(size_t n, size_t size);
void *cc__malloc_array(size_t n, size_t size);
void *cc__realloc_array(void *p, size_t n, size_t size);
char *cc__strdup(const char *s);
/* Parallel arrays (columns of one table) resized together to n elements: each column that is on
 * is reallocated in turn and keeps its old block when that fails. false when any failed. Build
 * the list with CC__COLUMN(pointer lvalue, on). */
typedef struct cc__column {
    void *ptr; /* address of the column's pointer */
    size_t size;
    bool on;
} cc__column;
#define CC__COLUMN(p, on) {(void *)&(p), sizeof(*(p)), (on)}
bool cc__realloc_columns(const cc__column *cols, size_t n_cols, size_t n);
/* Row @p from copied to row @p to in every column that is on: compacting a table in place. */
void cc__move_row(const cc__column *cols, size_t n_cols, size_t to, size_t from);
/* Free each of n pointers (free(NULL) is a no-op): the one way a destroy frees its list of
 * arrays. Use through CC__FREE_ALL(p1, p2, ...), which reads every pointer before freeing any. */
void cc__free_each(void *const *ptrs, size_t n);
#define CC__FREE_ALL(...) \
    cc__free_each((void *const[]){__VA_ARGS__}, sizeof((void *const[]){__VA_ARGS__}) / sizeof(void *))

/* Test hook: make the k-th allocation from now fail (k >= 1), 0 = never. Not thread-safe;
 * for single-threaded OOM tests only (H3 testH3Memory.c). */
void cc__alloc_fail_after(long k);
/* Whether the failure set by cc__alloc_fail_after has happened since. */
bool cc__alloc_fail_fired(void);

/* Level of care of a facility tier from its name (tier.c): 3 hospital or county sub-centre,
 * 2 township / health centre, 1 village clinic or health post, 0 anything else (120 emergency
 * stations included). The default headline tiers are those of the highest level present. */
int cc__tier_level(const char *tier);
/* Whether a tier name is one whose level carecircle knows (cc__tier_level above 0) or an emergency
 * (120) station: what a misspelt tier is not. */
bool cc__tier_recognised(const char *tier);
/* A value with a dense id, for sorting with qsort in an order that does not depend on the
 * platform: by value, ties broken by ascending id (candidate arcs by speed, violated rows,
 * uncovered demand, jobs by cost, reduced costs). */
typedef struct cc__scored {
    double v;
    uint32_t id;
} cc__scored;
int cc__cmp_scored_asc(const void *a, const void *b);  /* value ascending, then id */
int cc__cmp_scored_desc(const void *a, const void *b); /* value descending, then id */

/* MurmurHash3's 64-bit finaliser (fmix64): the graph build's vertex hash and the benchmarks'
 * reached-set fingerprint (benchmarks/harness/gate.py computes the same). */
static inline uint64_t cc__fmix64(uint64_t h)
{
    h ^= h >> 33;
    h *= 0xff51afd7ed558ccdULL;
    h ^= h >> 33;
    h *= 0xc4ceb9fe1a85ec53ULL;
    h ^= h >> 33;
    return h;
}

/* SplitMix64 finaliser (Steele, Lea & Flood 2014): a well-mixed 64-bit hash of z. */
static inline uint64_t cc__mix64(uint64_t z)
{
    z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ULL;
    z = (z ^ (z >> 27)) * 0x94d049bb133111ebULL;
    return z ^ (z >> 31);
}

/* Monotonic clock in seconds. */
double cc__now(void);

/* Capture GDAL/OGR/CPL error messages into ctx while a GDAL call sequence runs:
 * cc__gdal_begin(ctx); ... GDAL calls ...; cc__gdal_end(ctx);
 * cc__gdal_msg(ctx) returns the last CPLE message seen (or ""), for "Unable to ...: %s". */
void cc__gdal_begin(cc_ctx *ctx);
void cc__gdal_end(cc_ctx *ctx);
const char *cc__gdal_msg(const cc_ctx *ctx);
/* Number of GDAL failures (CE_Failure, CE_Fatal) since the outermost cc__gdal_begin. */
size_t cc__gdal_failures(const cc_ctx *ctx);

/* Register GDAL drivers once (thread-safe). */
void cc__gdal_init(void);

/* Approximate physical memory of the machine in bytes (0 if unknown). */
uint64_t cc__physical_memory(void);

/* @p buf without a last UTF-8 character cut short: text cut to a buffer by bytes (snprintf) may end
 * inside a character, which HTML, QGIS, GDAL and pango refuse; returns @p buf. */
char *cc__utf8_whole(char *buf);

#endif /* CC_CORE_INTERNAL_H */
