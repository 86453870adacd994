/* bench.h - tiny benchmark helpers (H3 benchmark.h style): monotonic clock, medians. */
#ifndef CC_BENCH_H
#define CC_BENCH_H

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "carecircle/cc_ctx.h"
#include "carecircle/cc_version.h"

/* The short git commit of the working folder, "unknown" outside a repository. */
static inline const char *bench_git_sha(void)
{
    static char sha[64] = "unknown";
    FILE *p = popen("git rev-parse --short HEAD 2>/dev/null", "r");
    if (p) {
        if (fgets(sha, sizeof(sha), p)) sha[strcspn(sha, "\n")] = 0;
        pclose(p);
    }
    return sha;
}

/* The first line of a benchmark's output: program, version, commit, host, cores, runs per figure
 * (then @p note). */
static inline void bench_print_header(const char *prog, int cores, int runs, const char *note)
{
    char host[128] = "?";
    gethostname(host, sizeof(host));
    printf("%s: carecircle %s (git %s), host %s, %d cores, %d runs per figure%s\n", prog, CC_VERSION_STRING, bench_git_sha(), host, cores, runs, note);
}

/* Stop a benchmark program on a failed step, with the library's message. */
static inline void bench_die(const char *prog, cc_ctx *ctx, const char *what)
{
    fprintf(stderr, "%s: %s: %s\n", prog, what, ctx ? cc_ctx_last_error(ctx) : "failed");
    exit(1);
}

static inline double bench_now(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + 1e-9 * (double)ts.tv_nsec;
}

/* CPU seconds used by the whole process (all threads): with bench_now() it tells how much of
 * the machine a run really got, on a machine shared with other work. */
static inline double bench_cpu_now(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_PROCESS_CPUTIME_ID, &ts);
    return (double)ts.tv_sec + 1e-9 * (double)ts.tv_nsec;
}

static int bench_cmp_double(const void *a, const void *b)
{
    double x = *(const double *)a, y = *(const double *)b;
    return x < y ? -1 : x > y;
}

/* Median of n values (sorts in place). */
static inline double bench_median(double *v, int n)
{
    qsort(v, (size_t)n, sizeof(double), bench_cmp_double);
    return n % 2 ? v[n / 2] : 0.5 * (v[n / 2 - 1] + v[n / 2]);
}

/* CC_BENCH(name, iters, { body }): runs body iters times, prints µs per iteration. */
#define CC_BENCH(name, iters, body)                                                          \
    do {                                                                                     \
        double t0_ = bench_now();                                                            \
        for (long i_ = 0; i_ < (long)(iters); i_++) body;                                    \
        double us_ = (bench_now() - t0_) * 1e6 / (double)(iters);                            \
        printf("  %-44s %12.1f us/iter (%ld iters)\n", name, us_, (long)(iters));            \
    } while (0)

/* JSON members "<threads>": [runs...] for each thread count; row ti of @p v starts at v + ti * stride. */
static inline void bench_print_per_thread(const int *threads, int n_threads, const double *v, size_t stride, int runs)
{
    for (int ti = 0; ti < n_threads; ti++) {
        printf("%s\"%d\": [", ti ? ", " : "", threads[ti]);
        for (int r = 0; r < runs; r++) printf("%s%.6f", r ? ", " : "", v[(size_t)ti * stride + (size_t)r]);
        printf("]");
    }
}

#endif
