/*
 * bench_coverage.c - the coverage run on real data, phase by phase, at several thread counts.
 *
 * Usage: bench_coverage ROADS POPULATION FACILITIES [TIERS] [RUNS]
 * Prints, per thread count, the median over RUNS of each phase of cc_coverage_run (load, graph,
 * snap, search, polygons, write, total), then the search kernels alone: one full multi-source
 * search per facility set and a bounded 60-minute search from every facility, repeated, with
 * nodes settled per second per thread; and the memory of the graph in bytes per node and edge.
 */
#include <string.h>
#include <unistd.h>

#include "bench.h"
#include "carecircle/carecircle.h"
#include "access/access_internal.h"
#include "io/readers_internal.h"
#include "core/omp_internal.h"

static void die(cc_ctx *ctx, const char *what) { bench_die("bench_coverage", ctx, what); }

int main(int argc, char **argv)
{
    if (argc < 4) {
        fprintf(stderr, "usage: bench_coverage ROADS POPULATION FACILITIES [TIERS] [RUNS]\n");
        return 2;
    }
    const char *tiers = argc > 4 ? argv[4] : NULL;
    int runs = argc > 5 ? atoi(argv[5]) : 5;
    if (runs < 1) runs = 1;
    cc_ctx *ctx;
    cc_ctx_create(&ctx);
    bench_print_header("bench_coverage", cc__omp_max_threads(), runs, "");
    printf("data: roads %s, population %s, facilities %s%s%s\n", argv[1], argv[2], argv[3], tiers ? ", tiers " : "", tiers ? tiers : "");

    /* 1. whole runs, phase by phase */
    const char *names[] = {"load", "graph", "snap", "search", "polygons", "write", "total"};
    for (int threads = 1; threads <= 2; threads++) {
        double ph[7][64];
        cc_coverage_result *r = NULL;
        cc_ctx_set_threads(ctx, threads);
        for (int k = 0; k < runs && k < 64; k++) {
            char out[64];
            snprintf(out, sizeof(out), "/tmp/cc-bench-%d", (int)getpid());
            cc_coverage_opts o = {.in = {.roads = argv[1], .population = argv[2], .facilities = argv[3], .tiers = tiers}, .out_dir = out};
            if (cc_coverage_run(ctx, &o, &r)) die(ctx, "coverage run");
            double v[7] = {r->t_load_s, r->t_graph_s, r->t_snap_s, r->t_search_s, r->t_polygons_s, r->t_write_s, r->t_total_s};
            for (int p = 0; p < 7; p++) ph[p][k] = v[p];
            if (k + 1 < runs) cc_coverage_result_destroy(r);
        }
        printf("\ncoverage run, %d thread%s (median of %d):\n", threads, threads > 1 ? "s" : "", runs);
        for (int p = 0; p < 7; p++) printf("  %-10s %9.4f s\n", names[p], bench_median(ph[p], runs < 64 ? runs : 64));
        if (threads == 1)
            printf("  graph: %u nodes, %u edges, %u arcs from %zu way vertices; routing %zu B (%.1f B/node, %.1f B/edge), geometry %zu B\n",
                   r->graph_nodes, r->graph_edges, r->graph_arcs, r->way_vertices, r->graph_routing_bytes,
                   (double)r->graph_routing_bytes / r->graph_nodes, (double)r->graph_routing_bytes / r->graph_edges,
                   r->graph_geometry_bytes);
        cc_coverage_result_destroy(r);
    }

    /* 2. the search kernels alone */
    cc_roads *roads;
    cc_profile *prof;
    cc_graph *g;
    cc__facilities fac;
    cc__snap_index *ix;
    if (cc_roads_read(ctx, argv[1], NULL, &roads)) die(ctx, "roads");
    if (cc_profile_load(ctx, "ambulance", &prof)) die(ctx, "profile");
    if (cc_graph_build(ctx, roads, prof, NULL, &g)) die(ctx, "graph");
    cc__facilities_opts fo = {.tiers = tiers};
    if (cc__facilities_read(ctx, argv[3], &fo, cc_roads_get_crs_wkt(roads), &fac)) die(ctx, "facilities");
    if (cc__snap_index_build(ctx, g, &ix)) die(ctx, "snap index");
    cc__join *fj = malloc(fac.n * sizeof(*fj));
    uint32_t *foff = malloc(fac.n * sizeof(uint32_t));
    cc__snap_many(ix, fac.x, fac.y, fac.n, 2000, 1, NULL, fj);
    for (size_t f = 0; f < fac.n; f++) foff[f] = fj[f].arc == CC_INVALID_ID ? CC_INF_COST : cc__offroad_ms(fj[f].d_m, 5.0);
    printf("\nsearch kernels (graph %u nodes, %zu facilities):\n", g->n_nodes, fac.n);
    for (int threads = 1; threads <= 2; threads++) {
        int iters = 200;
        uint64_t settled = 0;
        double t0 = bench_now();
#ifdef _OPENMP
#pragma omp parallel num_threads(threads) reduction(+ : settled)
#endif
        {
            cc_search *s;
            cc_ctx *tctx;
            cc_ctx_create(&tctx);
            cc_search_create(tctx, g, &s);
#ifdef _OPENMP
#pragma omp for schedule(dynamic, 1)
#endif
            for (int it = 0; it < iters; it++) {
                for (size_t f = 0; f < fac.n; f++) {
                    cc_seed sd[2];
                    size_t ns = cc__facility_seeds(g, fj[f], foff[f], (uint32_t)f, CC_REVERSE, sd);
                    cc_search_run(s, CC_REVERSE, sd, ns, 60 * 60000);
                }
            }
            settled += cc_search_get_settled_total(s);
            cc_search_destroy(s);
            cc_ctx_destroy(tctx);
        }
        double dt = bench_now() - t0;
        printf("  bounded 60-min search from every facility, %d thread%s: %.1f us per search, %.2f M settled nodes/s (%.2f M per thread)\n",
               threads, threads > 1 ? "s" : "", dt * 1e6 / (iters * (double)fac.n), settled / dt / 1e6, settled / dt / 1e6 / threads);
    }
    cc_search *s;
    cc_search_create(ctx, g, &s);
    cc_seed *all = malloc(2 * fac.n * sizeof(cc_seed));
    size_t nall = 0;
    for (size_t f = 0; f < fac.n; f++) nall += cc__facility_seeds(g, fj[f], foff[f], (uint32_t)f, CC_REVERSE, all + nall);
    CC_BENCH("full multi-source search, all facilities", 500, { cc_search_run(s, CC_REVERSE, all, nall, CC_INF_COST); });
    cc_search_destroy(s);
    free(all);
    free(fj);
    free(foff);
    cc__snap_index_destroy(ix);
    cc__facilities_free(&fac);
    cc_graph_destroy(g);
    cc_profile_destroy(prof);
    cc_roads_destroy(roads);
    cc_ctx_destroy(ctx);
    return 0;
}
