/*
 * bench_reach.c - carecircle's side of the reach task: all nodes within a time limit from each
 * of many sources, on the frozen problem exported by `carecircle graph --export`.
 *
 * Usage: bench_reach --graph DIR --sources FILE --limit-ms L [--threads 1,2] [--runs 5]
 *                    [--answers FILE] [--relabel none|random] [--seed S]
 *
 * Loads DIR/nodes.csv and DIR/edges.csv into a routing graph (timed as "load"), then for each
 * thread count runs a bounded forward cc_search from every source, OpenMP over sources with one
 * workspace per thread (timed as "solve", RUNS times). Per source it records the number of
 * reached nodes (cost <= L), the sum of their costs and the fingerprint of the reached set
 * (bench_graph.h, computed in an untimed pass after the timed ones, as the peers' post-processing
 * is untimed too); these must be identical in every run at every thread count, and --answers
 * writes them (source,reached,sum_cost_ms,set_hash) for the correctness gate. With --relabel
 * random the node ids are shuffled with a fixed seed before the graph is built (to measure what
 * the node layout buys); answers are still given in the exported ids.
 * Prints one JSON object on stdout.
 */
#include <stdbool.h>
#include <string.h>

#include "bench.h"
#include "bench_graph.h"
#include "carecircle/carecircle.h"
#include "core/omp_internal.h"
#include "graph/graph_internal.h"
#include "route/route_internal.h"

#define MAX_THREADS 16
#define MAX_RUNS 64

typedef struct answer {
    uint64_t reached, sum_ms, hash;
} answer;

static void usage(void)
{
    fprintf(stderr, "usage: bench_reach --graph DIR --sources FILE --limit-ms L [--threads 1,2] [--runs 5] [--answers FILE]\n"
                    "                   [--relabel none|random] [--seed S]\n");
}

int main(int argc, char **argv)
{
    const char *dir = NULL, *sources_path = NULL, *answers_path = NULL, *threads_arg = "1,2", *relabel = "none";
    long limit = -1;
    int runs = 5;
    uint64_t seed = 42;
    for (int i = 1; i < argc; i++) {
        const char *a = argv[i], *v = i + 1 < argc ? argv[i + 1] : NULL;
        if (!v) {
            usage();
            return 2;
        }
        if (!strcmp(a, "--graph")) dir = v;
        else if (!strcmp(a, "--sources")) sources_path = v;
        else if (!strcmp(a, "--limit-ms")) limit = strtol(v, NULL, 10);
        else if (!strcmp(a, "--threads")) threads_arg = v;
        else if (!strcmp(a, "--runs")) runs = atoi(v);
        else if (!strcmp(a, "--answers")) answers_path = v;
        else if (!strcmp(a, "--relabel")) relabel = v;
        else if (!strcmp(a, "--seed")) seed = strtoull(v, NULL, 10);
        else {
            usage();
            return 2;
        }
        i++;
    }
    if (!dir || !sources_path || limit < 0 || limit >= (long)CC_INF_COST || runs < 1 || runs > MAX_RUNS ||
        (strcmp(relabel, "none") && strcmp(relabel, "random"))) {
        usage();
        return 2;
    }
    int thread_list[MAX_THREADS], n_threads = 0;
    for (const char *p = threads_arg; *p && n_threads < MAX_THREADS;) {
        char *end;
        long t = strtol(p, &end, 10);
        if (end == p || t < 1 || t > MAX_THREADS) {
            usage();
            return 2;
        }
        thread_list[n_threads++] = (int)t;
        p = *end == ',' ? end + 1 : end;
    }

    /* load: parse the export and build the CSR */
    double t0 = bench_now();
    bench_export ex;
    if (bench_export_load(dir, &ex)) return 1;
    uint32_t *perm = NULL, *orig = NULL; /* perm[old] = new, orig[new] = old */
    if (!strcmp(relabel, "random")) {
        perm = malloc(ex.n * sizeof(uint32_t));
        orig = malloc(ex.n * sizeof(uint32_t));
        for (uint32_t i = 0; i < ex.n; i++) orig[i] = i;
        uint64_t st = seed * 2654435761u + 1;
        for (uint32_t i = ex.n - 1; i > 0; i--) {
            uint32_t j = (uint32_t)(bench_rand(&st) % (i + 1));
            uint32_t t = orig[i];
            orig[i] = orig[j];
            orig[j] = t;
        }
        for (uint32_t i = 0; i < ex.n; i++) perm[orig[i]] = i;
        for (size_t e = 0; e < ex.m; e++) {
            ex.src[e] = perm[ex.src[e]];
            ex.dst[e] = perm[ex.dst[e]];
        }
    }
    cc_ctx *ctx;
    cc_graph *g;
    if (cc_ctx_create(&ctx)) return 1;
    if (cc__graph_from_edges(ctx, ex.n, ex.m, ex.src, ex.dst, ex.cost, NULL, NULL, &g)) {
        fprintf(stderr, "bench_reach: %s\n", cc_ctx_last_error(ctx));
        return 1;
    }
    double load_s = bench_now() - t0;
    uint32_t *sources;
    long ns = bench_sources_load(sources_path, ex.n, &sources);
    if (ns < 0) return 1;
    if (perm)
        for (long i = 0; i < ns; i++) sources[i] = perm[sources[i]];

    answer *ans = calloc((size_t)ns, sizeof(answer)), *first = calloc((size_t)ns, sizeof(answer));
    double times[MAX_THREADS][MAX_RUNS], cpu[MAX_THREADS][MAX_RUNS];
    uint64_t settled_per_run = 0;
    bool have_first = false, consistent = true;
    /* one workspace per thread, for the largest thread count; runs alternate between the thread
     * counts (1, 2, 1, 2, ...) so that a drift in the machine's speed hits both alike */
    int max_nt = 1;
    for (int ti = 0; ti < n_threads; ti++) max_nt = thread_list[ti] > max_nt ? thread_list[ti] : max_nt;
    cc_search *ws[MAX_THREADS];
    for (int k = 0; k < max_nt; k++)
        if (cc_search_create(ctx, g, &ws[k])) {
            fprintf(stderr, "bench_reach: %s\n", cc_ctx_last_error(ctx));
            return 1;
        }
    for (int r = -1; r < runs; r++) { /* r = -1: warm-up (starts the threads, warms the caches) */
        for (int ti = 0; ti < n_threads; ti++) {
            int nt = thread_list[ti];
            (void)nt; /* only OpenMP uses it */
            double t1 = bench_now(), c1 = bench_cpu_now();
#ifdef _OPENMP
#pragma omp parallel for num_threads(nt) schedule(dynamic, 4)
#endif
            for (long i = 0; i < ns; i++) {
                bench_search_one(ws[cc__omp_thread_num()], sources[i], (uint32_t)limit, &ans[i].reached, &ans[i].sum_ms);
            }
            double dt = bench_now() - t1, dc = bench_cpu_now() - c1;
            if (r < 0) continue;
            times[ti][r] = dt;
            cpu[ti][r] = dc;
            uint64_t settled = 0;
            for (long i = 0; i < ns; i++) settled += ans[i].reached;
            if (!have_first) {
                memcpy(first, ans, (size_t)ns * sizeof(answer));
                settled_per_run = settled;
                have_first = true;
            } else {
                for (long i = 0; i < ns; i++)
                    if (first[i].reached != ans[i].reached || first[i].sum_ms != ans[i].sum_ms) consistent = false;
            }
        }
    }
    for (int k = 0; k < max_nt; k++) cc_search_destroy(ws[k]);
    /* the reached-set fingerprints for the gate, untimed (peers post-process untimed too) */
    {
        cc_search *s;
        if (cc_search_create(ctx, g, &s)) return 1;
        for (long i = 0; i < ns; i++) {
            cc_seed seed1 = {sources[i], 0, 0};
            cc_search_run(s, CC_FORWARD, &seed1, 1, (uint32_t)limit);
            size_t cnt;
            const uint32_t *set = cc_search_get_settled_ref(s, &cnt);
            uint64_t sum = 0, h = 0;
            for (size_t k = 0; k < cnt; k++) {
                sum += cc_search_get_cost(s, set[k]);
                h += bench_mix64((uint64_t)(orig ? orig[set[k]] : set[k]) + 1);
            }
            if (cnt != first[i].reached || sum != first[i].sum_ms) consistent = false;
            first[i].hash = h;
        }
        cc_search_destroy(s);
    }
    if (!consistent) {
        fprintf(stderr, "bench_reach: answers differ between runs or thread counts\n");
        return 1;
    }
    if (answers_path) {
        FILE *f = fopen(answers_path, "w");
        if (!f) {
            fprintf(stderr, "bench_reach: unable to write '%s'\n", answers_path);
            return 1;
        }
        fprintf(f, "source,reached,sum_cost_ms,set_hash\n");
        for (long i = 0; i < ns; i++)
            fprintf(f, "%u,%llu,%llu,%016llx\n", orig ? orig[sources[i]] : sources[i], (unsigned long long)first[i].reached,
                    (unsigned long long)first[i].sum_ms, (unsigned long long)first[i].hash);
        if (fclose(f) != 0) return 1;
    }
    printf("{\"tool\": \"carecircle\", \"graph\": \"%s\", \"nodes\": %u, \"edges\": %zu, \"sources\": %ld, \"limit_ms\": %ld, "
           "\"relabel\": \"%s\", \"load_s\": %.6f, \"settled_per_run\": %llu, \"routing_bytes\": %zu, "
           "\"workspace_bytes_per_node\": %zu, \"solve_s\": {",
           dir, ex.n, ex.m, ns, limit, relabel, load_s, (unsigned long long)settled_per_run, cc_graph_get_routing_bytes(g),
           cc__search_bytes(g) / (g->n_nodes ? g->n_nodes : 1));
    bench_print_per_thread(thread_list, n_threads, &times[0][0], MAX_RUNS, runs);
    printf("}, \"cpu_s\": {");
    bench_print_per_thread(thread_list, n_threads, &cpu[0][0], MAX_RUNS, runs);
    printf("}, \"peak_rss_kb\": %ld}\n", bench_peak_rss_kb());
    free(ans);
    free(first);
    free(sources);
    free(perm);
    free(orig);
    cc_graph_destroy(g);
    cc_ctx_destroy(ctx);
    bench_export_free(&ex);
    return 0;
}
