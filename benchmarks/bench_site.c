/*
 * bench_site.c - siting on real data: the coverage-set build at 1 and 2 threads (nodes settled
 * per second per thread, pairs, bytes per pair), the MCLP solver for p = 1..10 with its bound,
 * and whole `site` runs (MCLP p = 1..5 at 30 minutes, and the emergency-station mode).
 *
 * Usage: bench_site ROADS POPULATION FACILITIES TIERS FIXED_TIER [RUNS]
 * e.g.   bench_site comores.osm.pbf com_ppp_2020_UNadj.tif who.csv \
 *            1=health_post,2=health_centre,3=hospital,4=hospital hospital 5
 * Candidates: every 1000 m along all drivable roads. Figures are medians over RUNS.
 */
#include <string.h>
#include <unistd.h>

#include "bench.h"
#include "carecircle/carecircle.h"
#include "access/access_internal.h"
#include "core/omp_internal.h"
#include "io/readers_internal.h"
#include "access/sets_internal.h"

static void die(cc_ctx *ctx, const char *what) { bench_die("bench_site", ctx, what); }

int main(int argc, char **argv)
{
    if (argc < 6) {
        fprintf(stderr, "usage: bench_site ROADS POPULATION FACILITIES TIERS FIXED_TIER [RUNS]\n");
        return 2;
    }
    const char *roads_p = argv[1], *pop_p = argv[2], *fac_p = argv[3], *tiers = argv[4], *fixed = argv[5];
    int runs = argc > 6 ? atoi(argv[6]) : 5;
    if (runs < 1 || runs > 64) runs = 5;
    const uint32_t T_ms = 30 * 60000;
    cc_ctx *ctx;
    cc_ctx_create(&ctx);
    bench_print_header("bench_site", cc__omp_max_threads(), runs, " (medians)");
    printf("data: roads %s, population %s, facilities %s (%s, fixed %s)\n", roads_p, pop_p, fac_p, tiers, fixed);

    /* ---- inputs, graph, joins, candidates, times to the fixed facilities ---- */
    cc_roads *roads;
    cc_profile *prof;
    cc_graph *g;
    cc__demand dem;
    cc__facilities fac;
    cc__snap_index *ix;
    if (cc_roads_read(ctx, roads_p, NULL, &roads)) die(ctx, "roads");
    if (cc_profile_load(ctx, "ambulance", &prof)) die(ctx, "profile");
    if (cc_graph_build(ctx, roads, prof, NULL, &g)) die(ctx, "graph");
    cc__demand_opts dop = {0};
    if (cc__demand_read(ctx, pop_p, &dop, cc_roads_get_crs_wkt(roads), &dem)) die(ctx, "population");
    cc__facilities_opts fo = {.tiers = tiers};
    if (cc__facilities_read(ctx, fac_p, &fo, cc_roads_get_crs_wkt(roads), &fac)) die(ctx, "facilities");
    if (cc__snap_index_build(ctx, g, &ix)) die(ctx, "snap index");
    cc__join *dj, *fj;
    uint32_t *doff, *foff;
    if (cc__join_points(ctx, ix, prof, dem.x, dem.y, dem.n, &dj, &doff)) die(ctx, "join population");
    if (cc__join_points(ctx, ix, prof, fac.x, fac.y, fac.n, &fj, &foff)) die(ctx, "join facilities");
    int ftier = -1;
    for (size_t k = 0; k < fac.n_tiers; k++)
        if (!strcmp(fac.tier_name[k], fixed)) ftier = (int)k;
    if (ftier < 0) {
        fprintf(stderr, "bench_site: no tier %s\n", fixed);
        return 2;
    }
    uint8_t *in_set = calloc(fac.n, 1);
    for (size_t f = 0; f < fac.n; f++) in_set[f] = fac.tier[f] == ftier;
    double t0 = bench_now();
    cc__road_pts rp;
    if (cc__road_candidates(ctx, g, roads, "all", 1000, 500, &rp)) die(ctx, "candidates");
    double t_cand = bench_now() - t0;
    uint32_t *coff = calloc(rp.n, sizeof(uint32_t));
    uint32_t *time0 = malloc(dem.n * sizeof(uint32_t)), *fnear = malloc(dem.n * sizeof(uint32_t));
    if (cc__nearest(ctx, g, fj, foff, fac.n, in_set, 1, dj, doff, dem.n, CC_REVERSE, time0, fnear)) die(ctx, "nearest");
    uint32_t *keep = malloc(dem.n * sizeof(uint32_t));
    size_t uncovered = 0;
    for (size_t i = 0; i < dem.n; i++) {
        keep[i] = time0[i] <= T_ms ? 0 : T_ms + 1;
        uncovered += keep[i] != 0;
    }
    /* as the run does: demand covered already stays out of the location index */
    cc__join *mj = malloc(dem.n * sizeof(*mj));
    for (size_t i = 0; i < dem.n; i++) {
        mj[i] = dj[i];
        if (keep[i] == 0) mj[i].arc = CC_INVALID_ID;
    }
    cc__loc_index li;
    if (cc__loc_index_build(ctx, g, mj, dem.n, &li)) die(ctx, "location index");
    printf("\ngraph %u nodes, %u edges; %zu demand points (%zu not within 30 min of a %s); %zu road candidates (placed in %.4f s)\n",
           g->n_nodes, g->n_edges, dem.n, uncovered, fixed, rp.n, t_cand);

    /* ---- coverage sets at 1 and 2 threads ---- */
    cc__sets_opts so = {.dir = CC_REVERSE, .limit_ms = T_ms, .keep_lt = keep};
    cc__sets sets = {0};
    printf("\ncoverage sets, MCLP at 30 minutes (pairs kept only for demand not covered yet):\n");
    for (int th = 1; th <= 2; th++) {
        double tv[64], te[64];
        uint64_t settled = 0;
        cc_ctx_set_threads(ctx, th);
        for (int r = 0; r < runs; r++) {
            uint64_t est;
            double a = bench_now();
            if (cc__sets_estimate(ctx, g, &li, mj, doff, dem.n, rp.join, coff, rp.n, &so, &est)) die(ctx, "estimate");
            te[r] = bench_now() - a;
            cc__sets_free(&sets);
            a = bench_now();
            if (cc__sets_build(ctx, g, &li, mj, doff, dem.n, rp.join, coff, rp.n, &so, &sets)) die(ctx, "sets");
            tv[r] = bench_now() - a;
            settled = sets.settled;
        }
        double tb = bench_median(tv, runs), tes = bench_median(te, runs);
        printf("  %d thread%s: build %.4f s (estimate from 96 candidates %.4f s); %llu nodes settled, %.2f M/s (%.2f M/s per thread); "
               "%llu pairs, %.1f M pairs/s\n",
               th, th > 1 ? "s" : " ", tb, tes, (unsigned long long)settled, settled / tb / 1e6, settled / tb / 1e6 / th,
               (unsigned long long)sets.first[sets.n_cand], sets.first[sets.n_cand] / tb / 1e6);
    }
    /* the searches alone, to separate the Dijkstra from the enumeration of the people reached */
    for (int th = 1; th <= 2; th++) {
        double tv[64];
        uint64_t settled = 0;
        for (int r = 0; r < runs; r++) {
            settled = 0;
            double a = bench_now();
#ifdef _OPENMP
#pragma omp parallel num_threads(th) reduction(+ : settled)
#endif
            {
                cc_search *sr;
                cc_ctx *tctx;
                cc_ctx_create(&tctx);
                cc_search_create(tctx, g, &sr);
#ifdef _OPENMP
#pragma omp for schedule(dynamic, 4)
#endif
                for (size_t j = 0; j < rp.n; j++) {
                    cc_seed sd[2];
                    size_t ns = cc__facility_seeds(g, rp.join[j], 0, 0, CC_REVERSE, sd);
                    cc_search_run(sr, CC_REVERSE, sd, ns, T_ms);
                }
                settled += cc_search_get_settled_total(sr);
                cc_search_destroy(sr);
                cc_ctx_destroy(tctx);
            }
            tv[r] = bench_now() - a;
        }
        double tb = bench_median(tv, runs);
        printf("  the bounded searches alone, %d thread%s: %.4f s, %.2f M settled nodes/s (%.2f M/s per thread)\n", th, th > 1 ? "s" : " ",
               tb, settled / tb / 1e6, settled / tb / 1e6 / th);
    }
    printf("  memory: %zu bytes for %llu pairs = %.3f bytes per (candidate, demand) pair (4-byte demand id + 8-byte offsets per candidate)\n",
           sets.bytes, (unsigned long long)sets.first[sets.n_cand], (double)sets.bytes / (double)sets.first[sets.n_cand]);

    /* ---- the MCLP solver: p = 1..10 with the bound of each ---- */
    double *w = malloc(dem.n * sizeof(double));
    uint8_t *cov = malloc(dem.n);
    for (size_t i = 0; i < dem.n; i++) {
        w[i] = dem.pop[i];
        cov[i] = time0[i] <= T_ms;
    }
    cc_site_instance in = {.n_candidates = (uint32_t)rp.n, .n_demand = (uint32_t)dem.n, .first = sets.first, .demand = sets.dem,
                           .weight = w, .covered = cov};
    printf("\nMCLP solver, p = 1..10 with the bound of each (cc_site_solve, curve_to = 10, p = 10):\n");
    for (int th = 1; th <= 2; th++) {
        double tv[64], tr[64], th_[64], tbd[64];
        cc_site_solution *s = NULL;
        cc_ctx_set_threads(ctx, th);
        for (int r = 0; r < runs; r++) {
            cc_site_params pr = {.model = CC_SITE_MCLP, .p = 10, .curve_to = 10};
            cc_site_solution_destroy(s);
            double a = bench_now();
            if (cc_site_solve(ctx, &in, &pr, &s)) die(ctx, "solve");
            tv[r] = bench_now() - a;
            tr[r] = s->t_reduce_s;
            th_[r] = s->t_heuristic_s;
            tbd[r] = s->t_bound_s;
        }
        printf("  %d thread%s: %.3f s (reduce %.3f: %u classes, %llu pairs; heuristics %.3f; bounds %.3f)\n", th, th > 1 ? "s" : " ",
               bench_median(tv, runs), bench_median(tr, runs), s->demand_classes, (unsigned long long)s->pairs_reduced,
               bench_median(th_, runs), bench_median(tbd, runs));
        if (th == 1)
            for (uint32_t k = 0; k < s->n_curve; k++)
                printf("    p=%2u covered %.1f, bound %.1f, gap %.5f of the population gained\n", k + 1, s->curve_objective[k],
                       s->curve_bound[k],
                       s->curve_bound[k] - s->curve_objective[k] <= 1e-9 * s->curve_objective[k]
                           ? 0.0
                           : (s->curve_bound[k] - s->curve_objective[k]) / (s->curve_objective[k] - s->covered_before));
        cc_site_solution_destroy(s);
    }

    /* ---- whole runs ---- */
    const char *modes[] = {"MCLP p = 5 (curve 1..5) at 30 min", "emergency-station mode, MCLP p = 5 at 30 min (3 min dispatch)"};
    for (int mode = 0; mode < 2; mode++) {
        printf("\nwhole run, %s:\n", modes[mode]);
        for (int th = 1; th <= 2; th++) {
            double ph[9][64];
            cc_site_result *res = NULL;
            cc_ctx_set_threads(ctx, th);
            for (int r = 0; r < runs; r++) {
                char out[64];
                snprintf(out, sizeof(out), "/tmp/cc-bench-site-%d", (int)getpid());
                cc_site_opts o = {.in = {.roads = roads_p, .population = pop_p, .facilities = fac_p, .tiers = tiers}, .fixed_tiers = fixed,
                                  .candidate_roads = "all", .spacing_m = 1000, .p = 5, .minutes = 30, .emergency = mode == 1,
                                  .out_dir = out};
                cc_site_result_destroy(res);
                if (cc_site_run(ctx, &o, &res)) die(ctx, "site run");
                double v[9] = {res->t_load_s, res->t_graph_s, res->t_snap_s, res->t_sets_s, res->t_solve_s, res->t_eval_s, res->t_write_s,
                               res->t_total_s, 0};
                for (int k = 0; k < 8; k++) ph[k][r] = v[k];
            }
            const char *nm[] = {"load", "graph", "snap+cand", "sets", "solve", "evaluate", "write", "total"};
            printf("  %d thread%s:", th, th > 1 ? "s" : " ");
            for (int k = 0; k < 8; k++) printf(" %s %.3f", nm[k], bench_median(ph[k], runs));
            printf(" s\n");
            if (th == 2) {
                const cc_site_solution *s = res->solution;
                printf("  covered within 30 min: %.1f before, %.1f after (%.2f%% -> %.2f%%); bound %.1f, gap %.5f (%s)%s\n",
                       res->covered_before, res->covered_after, 100 * res->covered_before / res->population_total,
                       100 * res->covered_after / res->population_total, s->bound, s->gap, s->bound_method,
                       s->proven_optimal ? ", proven optimal" : "");
                for (size_t k = 0; k < res->n_picks; k++)
                    printf("    rank %zu: +%.1f (cum %.1f, %.2f%%) at %.5f, %.5f (%s)\n", k + 1, res->picks[k].gain_persons, res->picks[k].covered_cum,
                           100 * res->picks[k].share_cum, res->picks[k].lon, res->picks[k].lat, res->picks[k].name);
                for (size_t k = 0; k < res->n_curve; k++)
                    printf("    curve p=%u: covered %.1f (%.2f%%), bound %.1f, gap %.5f\n", res->curve[k].p, res->curve[k].covered,
                           100 * res->curve[k].share, res->curve[k].bound, res->curve[k].gap);
                printf("  backup (>= 2 within 30 min): %.1f before, %.1f after; %u candidates, %llu pairs, %.3f bytes/pair\n",
                       res->backup_before, res->backup_after, res->candidates_total, (unsigned long long)res->pairs, res->bytes_per_pair);
            }
            cc_site_result_destroy(res);
        }
    }
    cc__sets_free(&sets);
    cc__loc_index_free(&li);
    free(w);
    free(cov);
    free(keep);
    free(time0);
    free(fnear);
    free(coff);
    free(in_set);
    free(dj);
    free(mj);
    free(fj);
    free(doff);
    free(foff);
    cc__road_pts_free(&rp);
    cc__snap_index_destroy(ix);
    cc__facilities_free(&fac);
    cc__demand_free(&dem);
    cc_graph_destroy(g);
    cc_profile_destroy(prof);
    cc_roads_destroy(roads);
    cc_ctx_destroy(ctx);
    return 0;
}
