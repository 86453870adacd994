/*
 * bench_pmed.c - the p-median solver at large p, on instances built like Beasley's OR-Library
 * pmed1-40 (Beasley 1985: n vertices, m random edges of integer length 1..100 over a random
 * spanning tree, distances = shortest paths, every vertex a demand point of weight 1 and a
 * candidate). The OR-Library files are not reachable from this machine, so the instances are
 * generated with the same recipe, the sizes n, p of pmed15, 20, 25, 30, 34 and 40 and m = n^2/50
 * edges, and fixed seeds; what is measured is the solver's time (heuristic, bound) and its proven
 * gap against its own lower bound, not the published optima.
 *
 * Usage: bench_pmed [N,M,P ...]   default: the large-p sizes of pmed15, 20, 25, 30, 34, 40
 *        BENCH_PMED_EXACT=1 bench_pmed ...   also solves each with GLPK (the optimum, when proven)
 * Prints one line per instance.
 */
#include <stdint.h>
#include <string.h>

#include "bench.h"
#include "carecircle/carecircle.h"

static uint64_t rng(uint64_t *s)
{
    *s ^= *s << 13;
    *s ^= *s >> 7;
    *s ^= *s << 17;
    return *s;
}

/* All-pairs shortest paths of a random connected graph (Floyd-Warshall on n <= 1000). */
static uint32_t *make_dist(uint32_t n, uint32_t m, uint64_t seed)
{
    const uint32_t INF = UINT32_MAX / 4;
    uint32_t *d = malloc((size_t)n * n * sizeof(uint32_t));
    if (!d) return NULL;
    for (size_t k = 0; k < (size_t)n * n; k++) d[k] = INF;
    for (uint32_t i = 0; i < n; i++) d[(size_t)i * n + i] = 0;
    uint64_t s = seed;
    uint32_t e = 0;
    for (uint32_t i = 1; i < n && e < m; i++, e++) { /* a random spanning tree first: connected */
        uint32_t j = (uint32_t)(rng(&s) % i), w = 1 + (uint32_t)(rng(&s) % 100);
        if (w < d[(size_t)i * n + j]) d[(size_t)i * n + j] = d[(size_t)j * n + i] = w;
    }
    for (; e < m; e++) {
        uint32_t i = (uint32_t)(rng(&s) % n), j = (uint32_t)(rng(&s) % n), w = 1 + (uint32_t)(rng(&s) % 100);
        if (i != j && w < d[(size_t)i * n + j]) d[(size_t)i * n + j] = d[(size_t)j * n + i] = w;
    }
    for (uint32_t k = 0; k < n; k++)
        for (uint32_t i = 0; i < n; i++) {
            uint32_t dik = d[(size_t)i * n + k];
            if (dik >= INF) continue;
            uint32_t *di = d + (size_t)i * n, *dk = d + (size_t)k * n;
            for (uint32_t j = 0; j < n; j++)
                if (dik + dk[j] < di[j]) di[j] = dik + dk[j];
        }
    return d;
}

int main(int argc, char **argv)
{
    static const char *dflt[] = {"300,1800,100", "400,3200,133", "500,5000,167", "600,7200,200", "700,9800,233", "900,16200,90"};
    const char **sizes = argc > 1 ? (const char **)argv + 1 : dflt;
    int n_sizes = argc > 1 ? argc - 1 : (int)(sizeof(dflt) / sizeof(*dflt));
    cc_ctx *ctx;
    cc_ctx_create(&ctx);
    bench_print_header("bench_pmed", 1, 1, " (one solve per instance)");
    printf("%-5s %-6s %-4s %12s %12s %8s %9s %9s %9s %9s %s\n", "n", "m", "p", "objective", "bound", "gap_%", "heur_s", "bound_s",
           "total_s", "cpu_s", "bound_method");
    for (int k = 0; k < n_sizes; k++) {
        unsigned n, m, p;
        if (sscanf(sizes[k], "%u,%u,%u", &n, &m, &p) != 3 || n < 2 || n > 2000 || p < 1 || p >= n) {
            fprintf(stderr, "bench_pmed: bad size '%s' (N,M,P with 2 <= N <= 2000, 1 <= P < N)\n", sizes[k]);
            return 2;
        }
        uint32_t *d = make_dist(n, m, 1000003ULL * n + p);
        uint64_t *first = malloc((n + 1) * sizeof(uint64_t));
        uint32_t *dem = malloc((size_t)n * n * sizeof(uint32_t)), *t = malloc((size_t)n * n * sizeof(uint32_t));
        uint32_t *base = malloc(n * sizeof(uint32_t));
        double *w = malloc(n * sizeof(double));
        if (!d || !first || !dem || !t || !base || !w) bench_die("bench_pmed", NULL, "out of memory");
        uint32_t dmax = 0;
        for (size_t q = 0; q < (size_t)n * n; q++)
            if (d[q] > dmax) dmax = d[q];
        /* distances in seconds, as the solver's times are in milliseconds */
        uint32_t radius = (dmax + 1) * 1000;
        uint64_t q = 0;
        for (uint32_t j = 0; j < n; j++) {
            first[j] = q;
            for (uint32_t i = 0; i < n; i++) {
                dem[q] = i;
                t[q++] = d[(size_t)j * n + i] * 1000;
            }
        }
        first[n] = q;
        for (uint32_t i = 0; i < n; i++) {
            base[i] = radius;
            w[i] = 1;
        }
        cc_site_instance in = {.n_candidates = n, .n_demand = n, .first = first, .demand = dem, .time_ms = t, .weight = w,
                               .base_time_ms = base, .radius_ms = radius};
        cc_site_params prm = {.model = CC_SITE_PMEDIAN, .p = p, .exact = getenv("BENCH_PMED_EXACT") != NULL, .time_limit_s = 600,
                              .exact_max_nonzeros = 5000000};
        cc_site_solution *s = NULL;
        double t0 = bench_now(), c0 = bench_cpu_now();
        if (cc_site_solve(ctx, &in, &prm, &s) != CC_OK) bench_die("bench_pmed", ctx, "solve");
        double wall = bench_now() - t0, cpu = bench_cpu_now() - c0;
        /* objective as the OR-Library states it: the sum of distances */
        printf("%-5u %-6u %-4u %12.0f %12.1f %8.3f %9.2f %9.2f %9.2f %9.2f %s\n", n, m, p, s->objective * n, s->bound * n, 100 * s->gap,
               s->t_heuristic_s, s->t_bound_s, wall, cpu, s->bound_method);
        fflush(stdout);
        cc_site_solution_destroy(s);
        free(d), free(first), free(dem), free(t), free(base), free(w);
    }
    cc_ctx_destroy(ctx);
    return 0;
}
