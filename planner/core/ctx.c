/* ctx.c - per-thread context, messages, checked allocation, clocks, GDAL error capture. */

#include <ctype.h>
#include <errno.h>
#include <pthread.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <cpl_error.h>
#include <gdal.h>
#include <ogr_api.h>

#include "core_internal.h"
#include "omp_internal.h"

cc_status cc_ctx_create(cc_ctx **out)
{
    cc_ctx *ctx = calloc(1, sizeof(*ctx));
    if (!ctx) return CC_ERR_NOMEM;
    *out = ctx;
    return CC_OK;
}

void cc_ctx_destroy(cc_ctx *ctx)
{
    if (!ctx) return;
    /* GDAL/PROJ messages raised outside any cc__gdal_begin (worker threads, library internals)
     * were held back: one summarising line, unless an error already explains the run's end */
    char first[CC__MAX_MSG];
    size_t n = cc__gdal_stray_take(first, sizeof(first));
    if (n && ctx->log_fn) {
        char line[CC__MAX_MSG + 160];
        snprintf(line, sizeof(line), "GDAL/PROJ reported %zu message%s outside carecircle's checks; the first: %s", n,
                 n == 1 ? "" : "s", first);
        ctx->log_fn(ctx->log_user, ctx->last_error[0] ? CC_LOG_DEBUG : CC_LOG_WARNING, line);
    }
    free(ctx);
}

const char *cc_ctx_last_error(const cc_ctx *ctx)
{
    return ctx ? ctx->last_error : "";
}

void cc_ctx_set_log(cc_ctx *ctx, cc_log_fn fn, void *user)
{
    ctx->log_fn = fn;
    ctx->log_user = user;
}

void cc_ctx_set_progress(cc_ctx *ctx, cc_progress_fn fn, void *user)
{
    ctx->progress_fn = fn;
    ctx->progress_user = user;
}

void cc_ctx_set_threads(cc_ctx *ctx, int threads)
{
    ctx->threads_setting = threads;
}

const char *cc__num(char *buf, double v)
{
    for (int prec = 6; prec <= 17; prec++) {
        snprintf(buf, 32, "%.*g", prec, v);
        if (strtod(buf, NULL) == v || !isfinite(v)) break;
    }
    return buf;
}

double cc_strtod(const char *s, char **end)
{
    const char *p = s;
    while (isspace((unsigned char)*p)) p++;
    if (*p == '+' || *p == '-') p++;
    if (!(isdigit((unsigned char)*p) || (*p == '.' && isdigit((unsigned char)p[1]))) ||
        (p[0] == '0' && (p[1] == 'x' || p[1] == 'X'))) {
        if (end) *end = (char *)s;
        return 0.0;
    }
    return strtod(s, end);
}

int cc_ctx_get_threads(const cc_ctx *ctx)
{
    int cores = cc__omp_max_threads();
    int t = ctx->threads_setting;
    if (t == 0) return cores;
    if (t < 0) t = cores + t;
    if (t < 1) t = 1;
    return t;
}

void cc_ctx_set_interrupt_flag(cc_ctx *ctx, const volatile sig_atomic_t *flag)
{
    ctx->interrupt_flag = flag;
}

void cc_ctx_set_command(cc_ctx *ctx, const char *command)
{
    snprintf(ctx->command, sizeof(ctx->command), "%s", command ? command : "");
    for (char *c = ctx->command; *c; c++)
        if (*c == '\n' || *c == '\r') *c = ' ';
}

void cc_ctx_set_cache_dir(cc_ctx *ctx, const char *dir)
{
    snprintf(ctx->cache_dir, sizeof(ctx->cache_dir), "%s", dir ? dir : "");
}

const char *cc_ctx_get_cache_dir(const cc_ctx *ctx)
{
    return ctx->cache_dir[0] ? ctx->cache_dir : NULL;
}

const char *cc_ctx_get_command(const cc_ctx *ctx)
{
    return ctx->command;
}

size_t cc_ctx_get_warning_count(const cc_ctx *ctx)
{
    return ctx->warnings;
}

CC__PRINTF(3, 0) static void vlog(cc_ctx *ctx, cc_log_level level, const char *fmt, va_list ap)
{
    char buf[CC__MAX_MSG];
    if (!ctx->log_fn) return;
    vsnprintf(buf, sizeof(buf), fmt, ap);
    ctx->log_fn(ctx->log_user, level, buf);
}

cc_status cc__fail(cc_ctx *ctx, cc_status st, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(ctx->last_error, sizeof(ctx->last_error), fmt, ap);
    va_end(ap);
    /* keep the message to one line whatever GDAL appended */
    for (char *p = ctx->last_error; *p; p++)
        if (*p == '\n' || *p == '\r') *p = ' ';
    if (ctx->log_fn) ctx->log_fn(ctx->log_user, CC_LOG_ERROR, ctx->last_error);
    return st;
}

cc_status cc__fail_lines(cc_ctx *ctx, cc_status st, const char *lines)
{
    snprintf(ctx->last_error, sizeof(ctx->last_error), "%s", lines);
    for (char *p = ctx->last_error; *p; p++)
        if (*p == '\r') *p = ' ';
    if (ctx->log_fn) ctx->log_fn(ctx->log_user, CC_LOG_ERROR, ctx->last_error);
    return st;
}

void cc__ctx_worker(const cc_ctx *parent, cc_ctx *w)
{
    memset(w, 0, sizeof(*w));
    w->log_fn = parent->log_fn;
    w->log_user = parent->log_user;
    w->threads_setting = 1;
    w->interrupt_flag = parent->interrupt_flag;
    memcpy(w->command, parent->command, sizeof(w->command));
}

cc_status cc__ctx_worker_end(cc_ctx *parent, const cc_ctx *w, cc_status st)
{
    parent->warnings += w->warnings;
    if (st && w->last_error[0]) memcpy(parent->last_error, w->last_error, sizeof(parent->last_error));
    else if (st) return cc__fail(parent, st, "%s", st == CC_ERR_INTERRUPTED ? "Interrupted" : "Failed in a parallel task");
    return st;
}

void cc__warn(cc_ctx *ctx, const char *fmt, ...)
{
    va_list ap;
    ctx->warnings++;
    va_start(ap, fmt);
    vlog(ctx, CC_LOG_WARNING, fmt, ap);
    va_end(ap);
}

void cc__info(cc_ctx *ctx, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    vlog(ctx, CC_LOG_INFO, fmt, ap);
    va_end(ap);
}

void cc__debug(cc_ctx *ctx, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    vlog(ctx, CC_LOG_DEBUG, fmt, ap);
    va_end(ap);
}

void cc__progress(cc_ctx *ctx, const char *step, double fraction)
{
    if (ctx->progress_fn) ctx->progress_fn(ctx->progress_user, step, fraction);
}

bool cc__interrupted(const cc_ctx *ctx)
{
    return ctx->interrupt_flag && *ctx->interrupt_flag;
}

const volatile sig_atomic_t *cc__interrupt_flag(const cc_ctx *ctx)
{
    return ctx->interrupt_flag;
}

int cc__gdal_progress(double fraction, const char *msg, void *arg)
{
    cc_ctx *ctx = arg;
    (void)msg;
    (void)fraction;
    return !cc__interrupted(ctx);
}

/* ---- allocation ---------------------------------------------------------------------- */

static long alloc_fail_countdown;
static bool alloc_fail_fired;

void cc__alloc_fail_after(long k)
{
    alloc_fail_countdown = k;
    alloc_fail_fired = false;
}

bool cc__alloc_fail_fired(void)
{
    return alloc_fail_fired;
}

static bool alloc_should_fail(void)
{
    if (alloc_fail_countdown <= 0) return false;
    if (--alloc_fail_countdown != 0) return false;
    alloc_fail_fired = true;
    return true;
}

void *cc__calloc_array(size_t n, size_t size)
{
    if (alloc_should_fail()) return NULL;
    if (n == 0 || size == 0) return calloc(1, 1);
    if (n > SIZE_MAX / size) return NULL;
    return calloc(n, size);
}

void *cc__malloc_array(size_t n, size_t size)
{
    if (alloc_should_fail()) return NULL;
    if (n == 0 || size == 0) return malloc(1);
    if (n > SIZE_MAX / size) return NULL;
    return malloc(n * size);
}

void *cc__realloc_array(void *p, size_t n, size_t size)
{
    if (alloc_should_fail()) return NULL;
    if (n == 0 || size == 0) return realloc(p, 1);
    if (n > SIZE_MAX / size) return NULL;
    return realloc(p, n * size);
}

bool cc__realloc_columns(const cc__column *cols, size_t n_cols, size_t n)
{
    bool ok = true;
    for (size_t i = 0; i < n_cols; i++) {
        if (!cols[i].on) continue;
        void *old, *q;
        memcpy(&old, cols[i].ptr, sizeof(old));
        if ((q = cc__realloc_array(old, n, cols[i].size)))
            memcpy(cols[i].ptr, &q, sizeof(q));
        else
            ok = false;
    }
    return ok;
}

void cc__move_row(const cc__column *cols, size_t n_cols, size_t to, size_t from)
{
    for (size_t i = 0; i < n_cols; i++) {
        if (!cols[i].on) continue;
        char *base;
        memcpy(&base, cols[i].ptr, sizeof(base));
        memmove(base + to * cols[i].size, base + from * cols[i].size, cols[i].size);
    }
}

void cc__free_each(void *const *ptrs, size_t n)
{
    for (size_t i = 0; i < n; i++) free(ptrs[i]);
}

char *cc__strdup(const char *s)
{
    if (!s) return NULL;
    size_t n = strlen(s) + 1;
    char *d = cc__malloc_array(n, 1);
    if (d) memcpy(d, s, n);
    return d;
}

double cc__now(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + 1e-9 * (double)ts.tv_nsec;
}

uint64_t cc__physical_memory(void)
{
    long pages = sysconf(_SC_PHYS_PAGES);
    long psize = sysconf(_SC_PAGE_SIZE);
    if (pages <= 0 || psize <= 0) return 0;
    return (uint64_t)pages * (uint64_t)psize;
}

/* ---- GDAL error capture ---------------------------------------------------------------- */

static void CPL_STDCALL gdal_handler(CPLErr cls, CPLErrorNum num, const char *msg)
{
    (void)num;
    cc_ctx *ctx = CPLGetErrorHandlerUserData();
    if (!ctx || !msg) return;
    /* the first failure is kept: later ones are mostly its consequences (a full disk's "database
     * or disk is full", then "cannot rollback - no transaction is active") */
    const bool first_failure = (cls == CE_Failure || cls == CE_Fatal) && ctx->gdal_failures == 0;
    if (cls == CE_Failure || cls == CE_Fatal) ctx->gdal_failures++;
    if (first_failure || (cls == CE_Warning && !ctx->gdal_msg[0])) {
        /* "sqlite3_exec(<a whole statement>) failed: <why>": the statement cut to its start, so
         * that the reason is read (GDAL quotes a page of SQL before it) */
        const char *why = strstr(msg, ") failed: ");
        if (why && !strncmp(msg, "sqlite3_", 8) && why - msg > 80)
            snprintf(ctx->gdal_msg, sizeof(ctx->gdal_msg), "%.60s...%s", msg, why);
        else
            snprintf(ctx->gdal_msg, sizeof(ctx->gdal_msg), "%s", msg);
        for (char *p = ctx->gdal_msg; *p; p++)
            if (*p == '\n' || *p == '\r') *p = ' ';
    }
}

void cc__gdal_begin(cc_ctx *ctx)
{
    if (ctx->gdal_depth++ == 0) {
        ctx->gdal_msg[0] = '\0';
        ctx->gdal_failures = 0;
    }
    CPLPushErrorHandlerEx(gdal_handler, ctx);
}

void cc__gdal_end(cc_ctx *ctx)
{
    CPLPopErrorHandler();
    if (ctx->gdal_depth > 0) ctx->gdal_depth--;
}

const char *cc__gdal_msg(const cc_ctx *ctx)
{
    return ctx->gdal_msg[0] ? ctx->gdal_msg : "not a recognised format, or a corrupt file";
}

size_t cc__gdal_failures(const cc_ctx *ctx)
{
    return ctx->gdal_failures;
}

/* The process-wide GDAL error handler (threads and calls without a cc__gdal_begin): messages are
 * counted and the first kept, never printed one by one (a transform of 1,000 bad points would
 * print 1,000 lines). */
static pthread_mutex_t stray_lock = PTHREAD_MUTEX_INITIALIZER;
static size_t stray_n;
static char stray_first[CC__MAX_MSG];

static void CPL_STDCALL stray_handler(CPLErr cls, CPLErrorNum num, const char *msg)
{
    (void)num;
    if (cls == CE_None || cls == CE_Debug || !msg) return;
    pthread_mutex_lock(&stray_lock);
    if (stray_n++ == 0) {
        snprintf(stray_first, sizeof(stray_first), "%s", msg);
        for (char *p = stray_first; *p; p++)
            if (*p == '\n' || *p == '\r') *p = ' ';
    }
    pthread_mutex_unlock(&stray_lock);
    if (cls == CE_Fatal) fprintf(stderr, "carecircle: error: GDAL: %s\n", msg); /* GDAL aborts next */
}

size_t cc__gdal_stray_take(char *first, size_t n)
{
    pthread_mutex_lock(&stray_lock);
    size_t k = stray_n;
    snprintf(first, n, "%s", stray_first);
    stray_n = 0;
    stray_first[0] = '\0';
    pthread_mutex_unlock(&stray_lock);
    return k;
}

void cc__gdal_init(void)
{
    /* GDALAllRegister is idempotent; guard against concurrent first calls. */
    static int done;
#ifdef _OPENMP
#pragma omp critical(cc_gdal_init)
#endif
    {
        if (!done) {
            GDALAllRegister();
            CPLSetErrorHandler(stray_handler);
            done = 1;
        }
    }
}
