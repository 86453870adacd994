/*
 * bench_ch.c - coverage sets by per-candidate bounded Dijkstra (cc__sets_build, today's method)
 * against 16-lane many-source searches on a contraction hierarchy (cc__sets_build_ch), in one
 * process, alternating runs; every set is compared pair for pair (ids and times) and the program
 * stops at the first difference. Also: the hierarchy's preprocessing time and memory, and the
 * searches alone (no enumeration of the people reached).
 *
 * Usage: bench_ch ROADS POPULATION FACILITIES TIERS FIXED_TIER [RUNS] [MINUTES] [sets]
 * e.g.   bench_ch /tmp/prov16/roads.gpkg /tmp/prov16/population.tif /tmp/prov16/facilities.gpkg \
 *            1=health_post,2=health_centre,3=hospital,4=hospital hospital 5 30
 * Candidates: every 1000 m along all drivable roads (as bench_site). Two workloads:
 *   all:  every joined demand point, times kept (p-median / p-centre sets);
 *   mclp: only demand not within MINUTES of a FIXED_TIER facility, no times (MCLP sets, as bench_site).
 * Coverage sets three ways in each run: Dijkstra per candidate; the hierarchy built beforehand
 * (cc__sets_build_ch, what a prepared region that keeps its hierarchy pays); and cc__sets_build
 * with the hierarchy method, which builds the hierarchy for the call (its time included).
 * "sets" as the last argument: only the coverage sets (no searches-alone and reach sections);
 * "ch": the same, with Dijkstra run only once per row (the reference; while tuning the hierarchy).
 * Figures: medians over RUNS of wall and process CPU seconds.
 */
#include <string.h>
#include <unistd.h>

#include "bench.h"
#include "carecircle/carecircle.h"
#include "access/access_internal.h"
#include "access/sets_internal.h"
#include "core/omp_internal.h"
#include "io/readers_internal.h"

static void die(cc_ctx *ctx, const char *what) { bench_die("bench_ch", ctx, what); }

static void same_sets(const cc__sets *a, const cc__sets *b, const char *what)
{
    bool ok = a->n_cand == b->n_cand && a->n_dem == b->n_dem && !memcmp(a->first, b->first, (a->n_cand + 1) * sizeof(uint64_t));
    uint64_t total = ok ? a->first[a->n_cand] : 0;
    ok = ok && !memcmp(a->dem, b->dem, total * sizeof(uint32_t));
    ok = ok && (!a->t_ms) == (!b->t_ms) && (!a->t_ms || !memcmp(a->t_ms, b->t_ms, total * sizeof(uint32_t)));
    if (!ok) {
        fprintf(stderr, "bench_ch: %s: the sets differ\n", what);
        for (uint32_t j = 0; j < a->n_cand && j < b->n_cand; j++)
            if (a->first[j + 1] - a->first[j] != b->first[j + 1] - b->first[j]) {
                fprintf(stderr, "  first: candidate %u has %llu pairs, %llu with the hierarchy\n", j,
                        (unsigned long long)(a->first[j + 1] - a->first[j]), (unsigned long long)(b->first[j + 1] - b->first[j]));
                break;
            }
        exit(1);
    }
}

typedef struct workload {
    const char *name;
    const cc__loc_index *li;
    const cc__join *dj;
    cc__sets_opts so;
} workload;

int main(int argc, char **argv)
{
    if (argc < 6) {
        fprintf(stderr, "usage: bench_ch ROADS POPULATION FACILITIES TIERS FIXED_TIER [RUNS] [MINUTES]\n");
        return 2;
    }
    const char *roads_p = argv[1], *pop_p = argv[2], *fac_p = argv[3], *tiers = argv[4], *fixed = argv[5];
    int runs = argc > 6 ? atoi(argv[6]) : 5;
    if (runs < 1 || runs > 64) runs = 5;
    const int minutes = argc > 7 ? atoi(argv[7]) : 30;
    const uint32_t T_ms = (uint32_t)minutes * 60000u;
    const bool ch_quick = argc > 8 && !strcmp(argv[8], "ch");
    const bool sets_only = ch_quick || (argc > 8 && !strcmp(argv[8], "sets"));
    cc_ctx *ctx;
    cc_ctx_create(&ctx);
    bench_print_header("bench_ch", cc__omp_max_threads(), runs, " (medians)");
    double la[3] = {0};
    if (getloadavg(la, 3) == 3) printf("load average at start: %.2f %.2f %.2f\n", la[0], la[1], la[2]);
    printf("data: roads %s, population %s, facilities %s (%s, fixed %s), %d min\n", roads_p, pop_p, fac_p, tiers, fixed, minutes);

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
        fprintf(stderr, "bench_ch: no tier %s\n", fixed);
        return 2;
    }
    uint8_t *in_set = calloc(fac.n, 1);
    for (size_t f = 0; f < fac.n; f++) in_set[f] = fac.tier[f] == ftier;
    cc__road_pts rp;
    if (cc__road_candidates(ctx, g, roads, "all", 1000, 500, &rp)) die(ctx, "candidates");
    uint32_t *coff = calloc(rp.n, sizeof(uint32_t));
    uint32_t *time0 = malloc(dem.n * sizeof(uint32_t)), *fnear = malloc(dem.n * sizeof(uint32_t));
    if (cc__nearest(ctx, g, fj, foff, fac.n, in_set, 1, dj, doff, dem.n, CC_REVERSE, time0, fnear)) die(ctx, "nearest");
    uint32_t *keep = malloc(dem.n * sizeof(uint32_t));
    cc__join *mj = malloc(dem.n * sizeof(*mj));
    size_t uncovered = 0;
    for (size_t i = 0; i < dem.n; i++) {
        keep[i] = time0[i] <= T_ms ? 0 : T_ms + 1;
        uncovered += keep[i] != 0;
        mj[i] = dj[i];
        if (keep[i] == 0) mj[i].arc = CC_INVALID_ID;
    }
    cc__loc_index li_all, li_mclp;
    if (cc__loc_index_build(ctx, g, dj, dem.n, &li_all)) die(ctx, "location index");
    if (cc__loc_index_build(ctx, g, mj, dem.n, &li_mclp)) die(ctx, "location index");
    printf("graph %u nodes, %u edges; %zu demand points (%zu not within %d min of a %s); %zu road candidates\n", g->n_nodes, g->n_edges,
           dem.n, uncovered, minutes, fixed, rp.n);

    /* ---- preprocessing ---- */
    cc__ch ch;
    double c0 = bench_cpu_now();
    if (cc__ch_build(ctx, g, &ch)) die(ctx, "contraction hierarchy");
    double ch_cpu = bench_cpu_now() - c0;
    size_t chb = cc__ch_bytes(&ch);
    printf("\ncontraction hierarchy: %.3f s wall, %.3f s CPU (first priorities on %d threads, the rest on one); %u arcs (%u shortcuts, %.2f per node; graph edges %u); "
           "%zu bytes = %.1f bytes per node, %.1f bytes per arc (4 CSRs of 8-byte arcs use each arc twice; the arc list with "
           "middle nodes 17 bytes per arc)\n",
           ch.build_s, ch_cpu, cc_ctx_get_threads(ctx), ch.n_arcs, ch.n_shortcuts, (double)ch.n_shortcuts / g->n_nodes, g->n_edges, chb, (double)chb / g->n_nodes,
           (double)chb / (ch.n_arcs ? ch.n_arcs : 1));
    printf("  search workspace per thread: %zu bytes (16 lanes x 4 bytes per node + bitmaps + touched list)\n",
           (size_t)g->n_nodes * (CC__CH_LANES * 4 + 4) + 2 * (((size_t)g->n_nodes + 63) / 64) * 8);

    /* ---- the searches alone, 1 thread ---- */
    if (!sets_only) {
        cc_search *sr;
        cc__ch_batch b;
        if (cc_search_create(ctx, g, &sr)) die(ctx, "search");
        if (cc__ch_batch_init(ctx, &ch, CC_REVERSE, NULL, &b)) die(ctx, "batch");
        double tv[64], tc[64];
        uint64_t settled = 0, touched = 0;
        for (int r = 0; r < runs; r++) {
            double a = bench_now();
            settled = 0;
            for (size_t j = 0; j < rp.n; j++) {
                cc_seed sd[2];
                size_t ns = cc__facility_seeds(g, rp.join[j], 0, 0, CC_REVERSE, sd);
                cc_search_run(sr, CC_REVERSE, sd, ns, T_ms);
                settled += sr->n_settled;
            }
            tv[r] = bench_now() - a;
            a = bench_now();
            touched = 0;
            for (size_t j0 = 0; j0 < rp.n; j0 += CC__CH_LANES) { /* candidates in their own order here: no grouping */
                cc_seed sd[2 * CC__CH_LANES];
                size_t ns = 0;
                for (size_t k = 0; k < CC__CH_LANES && j0 + k < rp.n; k++) ns += cc__facility_seeds(g, rp.join[j0 + k], 0, (uint32_t)k, CC_REVERSE, sd + ns);
                cc__ch_batch_run(&b, sd, ns, T_ms);
                touched += b.n_touched;
            }
            tc[r] = bench_now() - a;
        }
        printf("\nsearches alone, 1 thread, %zu candidates, reverse, %d min, no targets (every node):\n", rp.n, minutes);
        printf("  bounded Dijkstra per candidate: %.4f s (%llu nodes settled)\n", bench_median(tv, runs), (unsigned long long)settled);
        printf("  hierarchy, 16 candidates a batch in candidate order (not grouped): %.4f s (%llu nodes processed)\n", bench_median(tc, runs),
               (unsigned long long)touched);
        cc_search_destroy(sr);
        cc__ch_batch_free(&b);
    }

    /* ---- reach (the peers' task): every node within the limit of each of 500 random nodes, forward ---- */
    if (!sets_only) {
        enum { NS = 500 };
        uint32_t src[NS];
        uint64_t rs = 42;
        for (int i = 0; i < NS; i++) {
            uint64_t z = (rs += 0x9e3779b97f4a7c15ULL);
            z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ULL;
            z = (z ^ (z >> 27)) * 0x94d049bb133111ebULL;
            src[i] = (uint32_t)((z ^ (z >> 31)) % g->n_nodes);
        }
        /* in node (Hilbert) order, so that a batch's sources are neighbours */
        for (int i = 1; i < NS; i++)
            for (int k = i; k > 0 && src[k - 1] > src[k]; k--) {
                uint32_t t = src[k];
                src[k] = src[k - 1], src[k - 1] = t;
            }
        cc_search *sr;
        cc__ch_batch b;
        if (cc_search_create(ctx, g, &sr)) die(ctx, "search");
        if (cc__ch_batch_init(ctx, &ch, CC_FORWARD, NULL, &b)) die(ctx, "batch");
        static uint64_t cnt_d[NS], sum_d[NS], cnt_h[NS], sum_h[NS];
        double tv[64], tc[64];
        for (int r = 0; r < runs; r++) {
            double a = bench_cpu_now();
            for (int i = 0; i < NS; i++) {
                cc_seed sd = {src[i], 0, 0};
                cc_search_run(sr, CC_FORWARD, &sd, 1, T_ms);
                size_t n;
                const uint32_t *set = cc_search_get_settled_ref(sr, &n);
                uint64_t sum = 0;
                for (size_t k = 0; k < n; k++) sum += cc__search_cost(sr, set[k]);
                cnt_d[i] = n, sum_d[i] = sum;
            }
            tv[r] = bench_cpu_now() - a;
            a = bench_cpu_now();
            for (int i0 = 0; i0 < NS; i0 += CC__CH_LANES) {
                cc_seed sd[CC__CH_LANES];
                int nk = NS - i0 < CC__CH_LANES ? NS - i0 : CC__CH_LANES;
                for (int k = 0; k < nk; k++) sd[k] = (cc_seed){src[i0 + k], 0, (uint32_t)k};
                cc__ch_batch_run(&b, sd, (size_t)nk, T_ms);
                uint64_t c[CC__CH_LANES] = {0}, sm[CC__CH_LANES] = {0};
                for (uint32_t t = 0; t < b.n_touched; t++) {
                    const uint32_t *dp = b.d + (size_t)b.touched[t] * CC__CH_LANES;
                    for (int k = 0; k < CC__CH_LANES; k++) {
                        uint32_t in = dp[k] <= b.limit_ms;
                        c[k] += in;
                        sm[k] += in ? dp[k] : 0;
                    }
                }
                for (int k = 0; k < nk; k++) cnt_h[i0 + k] = c[k], sum_h[i0 + k] = sm[k];
            }
            tc[r] = bench_cpu_now() - a;
            for (int i = 0; i < NS; i++)
                if (cnt_d[i] != cnt_h[i] || sum_d[i] != sum_h[i]) {
                    fprintf(stderr, "bench_ch: reach from node %u differs: %llu nodes / %llu ms, hierarchy %llu / %llu\n", src[i],
                            (unsigned long long)cnt_d[i], (unsigned long long)sum_d[i], (unsigned long long)cnt_h[i],
                            (unsigned long long)sum_h[i]);
                    return 1;
                }
        }
        uint64_t tot = 0;
        for (int i = 0; i < NS; i++) tot += cnt_d[i];
        double md = bench_median(tv, runs), mh = bench_median(tc, runs);
        printf("\nreach, %d random sources (seed 42, in node order), forward, %d min, 1 thread, CPU seconds: cc_search %.4f s, "
               "hierarchy 16 a batch %.4f s, ratio %.2fx; %llu nodes reached in all, count and cost sum equal for every source\n",
               NS, minutes, md, mh, md / mh, (unsigned long long)tot);
        cc_search_destroy(sr);
        cc__ch_batch_free(&b);
    }

    /* ---- coverage sets ---- */
    workload wl[2] = {
        {"all demand, times kept", &li_all, dj, {.dir = CC_REVERSE, .limit_ms = T_ms, .store_times = true, .method = CC__SETS_DIJKSTRA}},
        {"MCLP: demand not covered yet, no times", &li_mclp, mj, {.dir = CC_REVERSE, .limit_ms = T_ms, .keep_lt = keep, .method = CC__SETS_DIJKSTRA}},
    };
    for (int w = 0; w < 2; w++) {
        printf("\ncoverage sets, %s:\n", wl[w].name);
        for (int th = 1; th <= 2; th++) {
            double dw[64], dc[64], hw[64], hc[64], sw[64], sc[64];
            cc__sets A = {0}, B = {0}, C = {0};
            cc_ctx_set_threads(ctx, th);
            for (int r = 0; r < runs; r++) {
                double a, ac;
                cc__sets_free(&B);
                if (r == 0 || !ch_quick) {
                    cc__sets_free(&A);
                    a = bench_now(), ac = bench_cpu_now();
                    if (cc__sets_build(ctx, g, wl[w].li, wl[w].dj, doff, dem.n, rp.join, coff, rp.n, &wl[w].so, &A)) die(ctx, "sets");
                    dw[r] = bench_now() - a, dc[r] = bench_cpu_now() - ac;
                } else {
                    dw[r] = dw[0], dc[r] = dc[0];
                }
                a = bench_now(), ac = bench_cpu_now();
                if (cc__sets_build_ch(ctx, &ch, g, wl[w].li, wl[w].dj, doff, dem.n, rp.join, coff, rp.n, &wl[w].so, false, &B)) die(ctx, "sets ch");
                hw[r] = bench_now() - a, hc[r] = bench_cpu_now() - ac;
                same_sets(&A, &B, wl[w].name);
                if (A.settled != B.settled) {
                    fprintf(stderr, "bench_ch: settled nodes differ: %llu, %llu\n", (unsigned long long)A.settled, (unsigned long long)B.settled);
                    return 1;
                }
                cc__sets_free(&C);
                cc__sets_opts so_ch = wl[w].so;
                so_ch.method = CC__SETS_CH;
                a = bench_now(), ac = bench_cpu_now();
                if (cc__sets_build(ctx, g, wl[w].li, wl[w].dj, doff, dem.n, rp.join, coff, rp.n, &so_ch, &C)) die(ctx, "sets ch + build");
                sw[r] = bench_now() - a, sc[r] = bench_cpu_now() - ac;
                same_sets(&A, &C, wl[w].name);
            }
            double mdw = bench_median(dw, runs), mdc = bench_median(dc, runs), mhw = bench_median(hw, runs), mhc = bench_median(hc, runs);
            double msw = bench_median(sw, runs), msc = bench_median(sc, runs);
            printf("  %d thread%s: Dijkstra %.4f s wall %.4f s CPU; hierarchy %.4f s wall %.4f s CPU (ratio wall %.2fx CPU %.2fx); "
                   "hierarchy built in the call %.4f s wall %.4f s CPU (ratio wall %.2fx CPU %.2fx); %llu pairs, %llu nodes settled, "
                   "identical in every run\n",
                   th, th > 1 ? "s" : " ", mdw, mdc, mhw, mhc, mdw / mhw, mdc / mhc, msw, msc, mdw / msw, mdc / msc,
                   (unsigned long long)A.first[A.n_cand], (unsigned long long)A.settled);
            cc__sets_free(&A);
            cc__sets_free(&B);
            cc__sets_free(&C);
        }
    }
    if (getloadavg(la, 3) == 3) printf("\nload average at end: %.2f %.2f %.2f\n", la[0], la[1], la[2]);
    cc__ch_free(&ch);
    cc__loc_index_free(&li_all);
    cc__loc_index_free(&li_mclp);
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
