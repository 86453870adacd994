/*
 * bench_reach.c - carecircle's side of the reach task: all nodes within a time limit from each
 * of many sources, on the frozen problem exported by `carecircle graph --export`.
 *
 * Usage: bench_reach --graph DIR --sources FILE --limit-ms L [--threads 1,2] [--runs 5]
 *                    [--answers FILE] [--relabel none|random] [--seed S]
 *                    [--method dijkstra|ch|both] [--ch-answers FILE]
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
 *
 * --method ch (issue 19) answers the same sources on a contraction hierarchy instead: the hierarchy
 * is built from the loaded graph in every run (timed apart as "prepare", wall and CPU; its first priorities on every thread from 4,096 nodes),
 * then the sources, in node order (neighbours share a batch), are answered 16 at a time by the
 * hierarchy's 16-lane bounded searches (cc__ch_batch_run; OpenMP over the groups, one batch
 * workspace per thread), each lane's reached count and cost sum read off the batch (timed as its
 * "solve"). Its fingerprints come from an untimed pass on the hierarchy; every source's answer
 * (count, cost sum, fingerprint) is compared with an untimed bounded Dijkstra from that source and
 * the program fails, naming the first differing source, when one differs. --method both runs the
 * two methods in one process, runs alternating (Dijkstra at each thread count, then the
 * hierarchy's prepare and searches at each thread count); --answers then holds Dijkstra's answers
 * and --ch-answers the hierarchy's (with --method ch, --answers holds the hierarchy's).
 * The default, dijkstra, does what bench_reach did before --method existed.
 * Prints one JSON object on stdout: the hierarchy's figures under "ch".
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

#define METHOD_DIJKSTRA 1
#define METHOD_CH 2

typedef struct answer {
    uint64_t reached, sum_ms, hash;
} answer;

static void usage(void)
{
    fprintf(stderr, "usage: bench_reach --graph DIR --sources FILE --limit-ms L [--threads 1,2] [--runs 5] [--answers FILE]\n"
                    "                   [--relabel none|random] [--seed S] [--method dijkstra|ch|both] [--ch-answers FILE]\n");
}

/* Sources sorted by node (the graph's Hilbert order: neighbours share a batch), ties by index. */
static const uint32_t *sort_nodes;
static int cmp_by_node(const void *a, const void *b)
{
    uint32_t x = *(const uint32_t *)a, y = *(const uint32_t *)b;
    if (sort_nodes[x] != sort_nodes[y]) return sort_nodes[x] < sort_nodes[y] ? -1 : 1;
    return x < y ? -1 : x > y;
}

/* One group of up to CC__CH_LANES sources (order[k0 .. k0 + nk - 1], indices into @p sources) on
 * the hierarchy: each lane's reached count and cost sum into ans[index]; with @p orig (NULL: no
 * relabelling, identity) also the fingerprint of each lane's reached set. */
static void ch_group(cc__ch_batch *b, const uint32_t *sources, const uint32_t *order, long k0, int nk, uint32_t limit_ms,
                     const uint32_t *orig, bool hash, answer *ans)
{
    cc_seed sd[CC__CH_LANES] = {{0, 0, 0}};
    uint64_t cnt[CC__CH_LANES] = {0}, sum[CC__CH_LANES] = {0}, h[CC__CH_LANES] = {0};
    for (int k = 0; k < nk; k++) sd[k] = (cc_seed){sources[order[k0 + k]], 0, (uint32_t)k};
    cc__ch_batch_run(b, sd, (size_t)nk, limit_ms);
    const uint32_t lim = b->limit_ms;
    for (uint32_t t = 0; t < b->n_touched; t++) {
        const uint32_t p = b->touched[t];
        const uint32_t *dp = b->d + (size_t)p * CC__CH_LANES;
        for (int k = 0; k < CC__CH_LANES; k++) {
            const uint32_t in = dp[k] <= lim;
            cnt[k] += in;
            sum[k] += in ? dp[k] : 0;
        }
        if (hash) {
            const uint32_t v = b->ch->node[p];
            const uint64_t hv = bench_mix64((uint64_t)(orig ? orig[v] : v) + 1);
            for (int k = 0; k < nk; k++)
                if (dp[k] <= lim) h[k] += hv;
        }
    }
    for (int k = 0; k < nk; k++) {
        answer *a = &ans[order[k0 + k]];
        a->reached = cnt[k];
        a->sum_ms = sum[k];
        if (hash) a->hash = h[k];
    }
}

static int write_answers(const char *path, long ns, const uint32_t *sources, const uint32_t *orig, const answer *a)
{
    FILE *f = fopen(path, "w");
    if (!f) {
        fprintf(stderr, "bench_reach: unable to write '%s'\n", path);
        return -1;
    }
    fprintf(f, "source,reached,sum_cost_ms,set_hash\n");
    for (long i = 0; i < ns; i++)
        fprintf(f, "%u,%llu,%llu,%016llx\n", orig ? orig[sources[i]] : sources[i], (unsigned long long)a[i].reached,
                (unsigned long long)a[i].sum_ms, (unsigned long long)a[i].hash);
    return fclose(f) != 0 ? -1 : 0;
}

int main(int argc, char **argv)
{
    const char *dir = NULL, *sources_path = NULL, *answers_path = NULL, *ch_answers_path = NULL, *threads_arg = "1,2", *relabel = "none",
               *method_arg = "dijkstra";
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
        else if (!strcmp(a, "--ch-answers")) ch_answers_path = v;
        else if (!strcmp(a, "--relabel")) relabel = v;
        else if (!strcmp(a, "--seed")) seed = strtoull(v, NULL, 10);
        else if (!strcmp(a, "--method")) method_arg = v;
        else {
            usage();
            return 2;
        }
        i++;
    }
    const int method = !strcmp(method_arg, "dijkstra") ? METHOD_DIJKSTRA
                       : !strcmp(method_arg, "ch")     ? METHOD_CH
                       : !strcmp(method_arg, "both")   ? METHOD_DIJKSTRA | METHOD_CH
                                                       : 0;
    if (!dir || !sources_path || limit < 0 || limit >= (long)CC_INF_COST || runs < 1 || runs > MAX_RUNS ||
        (strcmp(relabel, "none") && strcmp(relabel, "random")) || !method || (ch_answers_path && !(method & METHOD_CH))) {
        usage();
        return 2;
    }
    const bool use_dj = method & METHOD_DIJKSTRA, use_ch = method & METHOD_CH;
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
    answer *ans_ch = calloc((size_t)ns, sizeof(answer)), *first_ch = calloc((size_t)ns, sizeof(answer));
    answer *ref = calloc((size_t)ns, sizeof(answer));
    uint32_t *order = malloc(((size_t)ns + 1) * sizeof(uint32_t));
    static double times[MAX_THREADS][MAX_RUNS], cpu[MAX_THREADS][MAX_RUNS];
    static double ch_times[MAX_THREADS][MAX_RUNS], ch_cpu[MAX_THREADS][MAX_RUNS], prep_s[MAX_RUNS], prep_cpu[MAX_RUNS];
    uint64_t settled_per_run = 0;
    bool have_first = false, have_first_ch = false, consistent = true, consistent_ch = true;
    /* one workspace per thread, for the largest thread count; runs alternate between the thread
     * counts (1, 2, 1, 2, ...) so that a drift in the machine's speed hits both alike */
    int max_nt = 1;
    for (int ti = 0; ti < n_threads; ti++) max_nt = thread_list[ti] > max_nt ? thread_list[ti] : max_nt;
    cc_search *ws[MAX_THREADS];
    if (use_dj)
        for (int k = 0; k < max_nt; k++)
            if (cc_search_create(ctx, g, &ws[k])) {
                fprintf(stderr, "bench_reach: %s\n", cc_ctx_last_error(ctx));
                return 1;
            }
    /* the hierarchy: built once before the warm-up run, then again in every timed run (its
     * "prepare"); the batches keep a pointer to ch, which each rebuild fills again */
    cc__ch ch;
    cc__ch_batch bt[MAX_THREADS];
    memset(&ch, 0, sizeof(ch));
    const long n_groups = (ns + CC__CH_LANES - 1) / CC__CH_LANES;
    if (use_ch) {
        if (cc__ch_build(ctx, g, &ch)) {
            fprintf(stderr, "bench_reach: %s\n", cc_ctx_last_error(ctx));
            return 1;
        }
        for (int k = 0; k < max_nt; k++)
            if (cc__ch_batch_init(ctx, &ch, CC_FORWARD, NULL, &bt[k])) {
                fprintf(stderr, "bench_reach: %s\n", cc_ctx_last_error(ctx));
                return 1;
            }
    }
    for (int r = -1; r < runs; r++) { /* r = -1: warm-up (starts the threads, warms the caches) */
        for (int ti = 0; ti < n_threads && use_dj; ti++) {
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
        if (!use_ch) continue;
        if (r >= 0) { /* prepare: the hierarchy from the loaded graph, one thread */
            cc__ch_free(&ch);
            double t1 = bench_now(), c1 = bench_cpu_now();
            if (cc__ch_build(ctx, g, &ch)) {
                fprintf(stderr, "bench_reach: %s\n", cc_ctx_last_error(ctx));
                return 1;
            }
            prep_s[r] = bench_now() - t1;
            prep_cpu[r] = bench_cpu_now() - c1;
        }
        for (int ti = 0; ti < n_threads; ti++) {
            int nt = thread_list[ti];
            (void)nt; /* only OpenMP uses it */
            double t1 = bench_now(), c1 = bench_cpu_now();
            for (long i = 0; i < ns; i++) order[i] = (uint32_t)i;
            sort_nodes = sources;
            qsort(order, (size_t)ns, sizeof(uint32_t), cmp_by_node);
#ifdef _OPENMP
#pragma omp parallel for num_threads(nt) schedule(dynamic, 1)
#endif
            for (long gi = 0; gi < n_groups; gi++) {
                const long k0 = gi * CC__CH_LANES;
                const int nk = ns - k0 < CC__CH_LANES ? (int)(ns - k0) : CC__CH_LANES;
                ch_group(&bt[cc__omp_thread_num()], sources, order, k0, nk, (uint32_t)limit, orig, false, ans_ch);
            }
            double dt = bench_now() - t1, dc = bench_cpu_now() - c1;
            if (r < 0) continue;
            ch_times[ti][r] = dt;
            ch_cpu[ti][r] = dc;
            if (!have_first_ch) {
                memcpy(first_ch, ans_ch, (size_t)ns * sizeof(answer));
                have_first_ch = true;
            } else {
                for (long i = 0; i < ns; i++)
                    if (first_ch[i].reached != ans_ch[i].reached || first_ch[i].sum_ms != ans_ch[i].sum_ms) consistent_ch = false;
            }
        }
    }
    for (int k = 0; k < max_nt && use_dj; k++) cc_search_destroy(ws[k]);
    /* the reference answers with the reached-set fingerprints for the gate, untimed (peers
     * post-process untimed too): a bounded Dijkstra per source */
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
            ref[i] = (answer){cnt, sum, h};
            if (use_dj && (cnt != first[i].reached || sum != first[i].sum_ms)) consistent = false;
            first[i].hash = h;
        }
        cc_search_destroy(s);
    }
    if (!use_dj)
        for (long i = 0; i < ns; i++) settled_per_run += ref[i].reached;
    if (!consistent) {
        fprintf(stderr, "bench_reach: answers differ between runs or thread counts\n");
        return 1;
    }
    if (use_ch) {
        /* the hierarchy's own fingerprints (untimed, one thread), then every source against the
         * bounded Dijkstra: count, cost sum and reached set */
        for (long gi = 0; gi < n_groups; gi++) {
            const long k0 = gi * CC__CH_LANES;
            ch_group(&bt[0], sources, order, k0, ns - k0 < CC__CH_LANES ? (int)(ns - k0) : CC__CH_LANES, (uint32_t)limit, orig, true,
                     ans_ch);
        }
        for (long i = 0; i < ns; i++) {
            if (ans_ch[i].reached != first_ch[i].reached || ans_ch[i].sum_ms != first_ch[i].sum_ms) consistent_ch = false;
            first_ch[i].hash = ans_ch[i].hash;
        }
        if (!consistent_ch) {
            fprintf(stderr, "bench_reach: the hierarchy's answers differ between runs or thread counts\n");
            return 1;
        }
        for (long i = 0; i < ns; i++)
            if (first_ch[i].reached != ref[i].reached || first_ch[i].sum_ms != ref[i].sum_ms || first_ch[i].hash != ref[i].hash) {
                fprintf(stderr,
                        "bench_reach: source %u (number %ld of %ld in the sources file): the hierarchy reached %llu nodes, cost sum %llu ms, set %016llx; "
                        "Dijkstra %llu nodes, %llu ms, set %016llx\n",
                        orig ? orig[sources[i]] : sources[i], i + 1, ns, (unsigned long long)first_ch[i].reached,
                        (unsigned long long)first_ch[i].sum_ms, (unsigned long long)first_ch[i].hash, (unsigned long long)ref[i].reached,
                        (unsigned long long)ref[i].sum_ms, (unsigned long long)ref[i].hash);
                return 1;
            }
    }
    if (answers_path && write_answers(answers_path, ns, sources, orig, use_dj ? first : first_ch)) return 1;
    if (ch_answers_path && write_answers(ch_answers_path, ns, sources, orig, first_ch)) return 1;
    printf("{\"tool\": \"carecircle\", \"graph\": \"%s\", \"nodes\": %u, \"edges\": %zu, \"sources\": %ld, \"limit_ms\": %ld, "
           "\"relabel\": \"%s\", \"method\": \"%s\", \"load_s\": %.6f, \"settled_per_run\": %llu, \"routing_bytes\": %zu, "
           "\"workspace_bytes_per_node\": %zu",
           dir, ex.n, ex.m, ns, limit, relabel, method_arg, load_s, (unsigned long long)settled_per_run, cc_graph_get_routing_bytes(g),
           cc__search_bytes(g) / (g->n_nodes ? g->n_nodes : 1));
    if (use_dj) {
        printf(", \"solve_s\": {");
        bench_print_per_thread(thread_list, n_threads, &times[0][0], MAX_RUNS, runs);
        printf("}, \"cpu_s\": {");
        bench_print_per_thread(thread_list, n_threads, &cpu[0][0], MAX_RUNS, runs);
        printf("}");
    }
    if (use_ch) {
        const size_t n1 = ch.n ? ch.n : 1, words = (n1 + 63) / 64;
        const size_t batch_bytes = n1 * CC__CH_LANES * sizeof(uint32_t) + 2 * words * sizeof(uint64_t) + n1 * sizeof(uint32_t);
        printf(", \"ch\": {\"lanes\": %d, \"groups\": %ld, \"arcs\": %u, \"shortcuts\": %u, \"bytes\": %zu, \"bytes_per_node\": %.2f, "
               "\"batch_bytes_per_node\": %.2f, \"agree_dijkstra\": true, \"prepare_s\": [",
               CC__CH_LANES, n_groups, ch.n_arcs, ch.n_shortcuts, cc__ch_bytes(&ch), (double)cc__ch_bytes(&ch) / (double)n1,
               (double)batch_bytes / (double)n1);
        for (int r = 0; r < runs; r++) printf("%s%.6f", r ? ", " : "", prep_s[r]);
        printf("], \"prepare_cpu_s\": [");
        for (int r = 0; r < runs; r++) printf("%s%.6f", r ? ", " : "", prep_cpu[r]);
        printf("], \"solve_s\": {");
        bench_print_per_thread(thread_list, n_threads, &ch_times[0][0], MAX_RUNS, runs);
        printf("}, \"cpu_s\": {");
        bench_print_per_thread(thread_list, n_threads, &ch_cpu[0][0], MAX_RUNS, runs);
        printf("}}");
    }
    printf(", \"peak_rss_kb\": %ld}\n", bench_peak_rss_kb());
    for (int k = 0; k < max_nt && use_ch; k++) cc__ch_batch_free(&bt[k]);
    cc__ch_free(&ch);
    free(ans);
    free(first);
    free(ans_ch);
    free(first_ch);
    free(ref);
    free(order);
    free(sources);
    free(perm);
    free(orig);
    cc_graph_destroy(g);
    cc_ctx_destroy(ctx);
    bench_export_free(&ex);
    return 0;
}
