/* bench_osm_read.c - reading an OSM .pbf into road records (issue 19): GDAL's OSM driver against
 * carecircle's own reader (planner/io/osm_pbf.c) at 1 and 2 threads, and libreadosm's parser
 * (Debian libreadosm-dev, when built with it) doing the least the same job needs: every node's
 * coordinates kept, the highway ways and their references kept. Alternating runs, medians. Every
 * carecircle read parses the file anew (the reader's in-process reuse is cleared before each).
 *
 *   bench_osm_read FILE.osm.pbf [RUNS]
 *   bench_osm_read FILE.osm.pbf RUNS own      carecircle's reader alone (for a profiler)
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "bench.h"
#include "carecircle/carecircle.h"
#include "io/io_internal.h"
#include "io/osm_pbf_internal.h"

#ifdef CC_BENCH_READOSM
#include <readosm.h>

typedef struct ro_acc {
    int64_t *nid;
    int32_t *nlon, *nlat;
    size_t nn, capn;
    int64_t *refs;
    size_t nr, capr;
    size_t ways;
} ro_acc;

static int ro_node(const void *user, const readosm_node *n)
{
    ro_acc *a = (ro_acc *)user;
    if (a->nn == a->capn) {
        a->capn = a->capn ? 2 * a->capn : 1 << 16;
        a->nid = realloc(a->nid, a->capn * sizeof(*a->nid));
        a->nlon = realloc(a->nlon, a->capn * sizeof(*a->nlon));
        a->nlat = realloc(a->nlat, a->capn * sizeof(*a->nlat));
        if (!a->nid || !a->nlon || !a->nlat) return READOSM_ABORT;
    }
    a->nid[a->nn] = n->id;
    a->nlon[a->nn] = (int32_t)(n->longitude * 1e7);
    a->nlat[a->nn] = (int32_t)(n->latitude * 1e7);
    a->nn++;
    return READOSM_OK;
}

static int ro_way(const void *user, const readosm_way *w)
{
    ro_acc *a = (ro_acc *)user;
    bool hw = false;
    for (int i = 0; i < w->tag_count; i++)
        if (strcmp(w->tags[i].key, "highway") == 0) hw = true;
    if (!hw) return READOSM_OK;
    if (a->nr + (size_t)w->node_ref_count > a->capr) {
        a->capr = (a->nr + (size_t)w->node_ref_count) * 2;
        a->refs = realloc(a->refs, a->capr * sizeof(*a->refs));
        if (!a->refs) return READOSM_ABORT;
    }
    memcpy(a->refs + a->nr, w->node_refs, (size_t)w->node_ref_count * sizeof(*a->refs));
    a->nr += (size_t)w->node_ref_count;
    a->ways++;
    return READOSM_OK;
}

static size_t run_readosm(const char *path)
{
    const void *h;
    ro_acc a = {0};
    if (readosm_open(path, &h) != READOSM_OK) return 0;
    int rc = readosm_parse(h, &a, ro_node, ro_way, NULL);
    readosm_close(h);
    size_t ways = rc == READOSM_OK ? a.ways : 0;
    free(a.nid);
    free(a.nlon);
    free(a.nlat);
    free(a.refs);
    return ways;
}
#endif

static size_t run_carecircle(cc_ctx *ctx, const char *path, bool gdal)
{
    cc_roads *r = NULL;
    if (gdal)
        setenv("CARECIRCLE_OSM_READER", "gdal", 1);
    else
        unsetenv("CARECIRCLE_OSM_READER");
    cc__osm_pbf_cache_clear(); /* a cold parse every time (the file itself stays in the page cache) */
    if (cc_roads_read(ctx, path, NULL, &r)) bench_die("bench_osm_read", ctx, "reading roads");
    size_t n = r->n_ways;
    cc_roads_destroy(r);
    return n;
}

int main(int argc, char **argv)
{
    if (argc < 2) {
        fprintf(stderr, "usage: bench_osm_read FILE.osm.pbf [RUNS]\n");
        return 2;
    }
    const char *path = argv[1];
    int runs = argc > 2 ? atoi(argv[2]) : 5;
    if (runs < 1 || runs > 100) runs = 5;
    enum { GDAL, OWN1, OWN2, READOSM, N };
    static const char *const name[N] = {"GDAL OSM driver (cc_roads_read)", "carecircle osm_pbf, 1 thread",
                                        "carecircle osm_pbf, 2 threads", "libreadosm parse (nodes + highway ways only)"};
    double t[N][100], c[N][100];
    size_t ways[N] = {0};
    cc_ctx *ctx;
    if (cc_ctx_create(&ctx)) return 1;
    cc_ctx_set_log(ctx, NULL, NULL);
    if (argc > 3 && strcmp(argv[3], "own") == 0) {
        cc_ctx_set_threads(ctx, 1);
        for (int k = 0; k < runs; k++) run_carecircle(ctx, path, false);
        cc_ctx_destroy(ctx);
        return 0;
    }
    run_carecircle(ctx, path, true); /* warm-up: GDAL's drivers and PROJ loaded, file in cache */
    run_carecircle(ctx, path, false);
    for (int k = 0; k < runs; k++) {
        for (int m = 0; m < N; m++) {
            double w0 = bench_now(), c0 = bench_cpu_now();
            switch (m) {
            case GDAL:
                cc_ctx_set_threads(ctx, 0);
                ways[m] = run_carecircle(ctx, path, true);
                break;
            case OWN1:
            case OWN2:
                cc_ctx_set_threads(ctx, m == OWN1 ? 1 : 2);
                ways[m] = run_carecircle(ctx, path, false);
                break;
            case READOSM:
#ifdef CC_BENCH_READOSM
                ways[m] = run_readosm(path);
#endif
                break;
            }
            t[m][k] = bench_now() - w0;
            c[m][k] = bench_cpu_now() - c0;
        }
    }
    printf("bench_osm_read %s, %d runs (median wall s / cpu s), commit %s\n", path, runs, bench_git_sha());
    double g = bench_median(t[GDAL], runs);
    for (int m = 0; m < N; m++) {
#ifndef CC_BENCH_READOSM
        if (m == READOSM) continue;
#endif
        double wm = bench_median(t[m], runs), cm = bench_median(c[m], runs);
        printf("  %-46s %8.4f s wall %8.4f s cpu  %6zu ways  GDAL/this %.1fx\n", name[m], wm, cm, ways[m], g / wm);
    }
    cc_ctx_destroy(ctx);
    return 0;
}
