/*
 * bench_hybrid.c - the friction model's raster search alone (issue 16): cc__hybrid_run over an
 * N x N surface of 30 m cells with smooth speeds of 2-5 km/h and a band of impassable cells (the
 * surface of benchmarks/offroad_grass.py, generated here without numpy), 16 neighbours, three
 * start cells, no roads; optionally a DEM of smooth hills (Tobler's function, anisotropic).
 *
 * Prints the median search time per cell over R runs (CPU time of the process: one thread, so
 * a shared machine's load does not count) and a digest of every label (cost bits,
 * origin, road seconds): two builds that print the same digest give the same times bit for bit.
 *
 * Usage: bench_hybrid [N=1000] [R=5] [dem=0|1] [neighbours=16]
 *        bench_hybrid FRICTION.tif R COL,ROW...   (a friction raster in minutes per metre on a
 *        projected north-up grid, nodata or <= 0 impassable, as benchmarks/offroad_grass.py
 *        writes it; 16 neighbours; start cells by column and row)
 */
#include <math.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <gdal.h>

#include "bench.h"
#include "core/core_internal.h"
#include "route/hybrid_internal.h"

static uint64_t rng_state = 7;
static double rnd(void) /* xorshift64*, uniform in [0, 1) */
{
    rng_state ^= rng_state >> 12;
    rng_state ^= rng_state << 25;
    rng_state ^= rng_state >> 27;
    return (double)((rng_state * 2685821657736338717ULL) >> 11) / 9007199254740992.0;
}

/* A smooth field: blocks of @p block cells of random values, bilinearly blended, scaled to [lo, hi]. */
static void smooth_field(float *out, int n, int block, double lo, double hi)
{
    int nb = n / block + 2;
    double *b = malloc((size_t)nb * nb * sizeof(double));
    for (int i = 0; i < nb * nb; i++) b[i] = rnd();
    double mn = INFINITY, mx = -INFINITY;
    for (int r = 0; r < n; r++)
        for (int c = 0; c < n; c++) {
            double y = (double)r / block, x = (double)c / block;
            int i = (int)y, j = (int)x;
            double fy = y - i, fx = x - j;
            double v = (1 - fy) * ((1 - fx) * b[i * nb + j] + fx * b[i * nb + j + 1]) + fy * ((1 - fx) * b[(i + 1) * nb + j] + fx * b[(i + 1) * nb + j + 1]);
            out[(size_t)r * n + c] = (float)v;
            mn = fmin(mn, v), mx = fmax(mx, v);
        }
    for (size_t i = 0; i < (size_t)n * n; i++) out[i] = (float)(lo + (hi - lo) * (out[i] - mn) / (mx - mn));
    free(b);
}

/* The surface of a friction raster (minutes per metre) and its start cells; returns the run count. */
static int from_raster(cc_ctx *ctx, int argc, char **argv, cc__friction *f, cc__hybrid_seed *seeds, size_t *n_seeds)
{
    GDALAllRegister();
    GDALDatasetH ds = GDALOpen(argv[1], GA_ReadOnly);
    if (!ds) bench_die("bench_hybrid", NULL, argv[1]);
    int w = GDALGetRasterXSize(ds), h = GDALGetRasterYSize(ds), ok = 0;
    double gt[6];
    GDALGetGeoTransform(ds, gt);
    GDALRasterBandH b = GDALGetRasterBand(ds, 1);
    double nd = GDALGetRasterNoDataValue(b, &ok);
    double *ex = malloc((size_t)h * sizeof(double)), *ny = malloc((size_t)h * sizeof(double));
    for (int r = 0; r < h; r++) ex[r] = fabs(gt[1]), ny[r] = fabs(gt[5]);
    if (cc__friction_init(ctx, w, h, 16, ex, ny, f)) bench_die("bench_hybrid", ctx, "surface");
    if (GDALRasterIO(b, GF_Read, 0, 0, w, h, f->spm, w, h, GDT_Float32, 0, 0) != CE_None) bench_die("bench_hybrid", NULL, "reading the raster");
    for (size_t i = 0; i < (size_t)w * h; i++) {
        float v = f->spm[i];
        f->spm[i] = (isfinite(v) && v > 0 && !(ok && v == (float)nd)) ? v * 60.0f : INFINITY; /* as the friction model reads it */
    }
    GDALClose(ds);
    free(ex);
    free(ny);
    *n_seeds = 0;
    for (int i = 3; i < argc && *n_seeds < 16; i++) {
        int c, r;
        if (sscanf(argv[i], "%d,%d", &c, &r) != 2 || c < 0 || r < 0 || c >= w || r >= h) bench_die("bench_hybrid", NULL, "a start cell COL,ROW");
        seeds[*n_seeds] = (cc__hybrid_seed){(uint64_t)r * w + c, 0, (uint32_t)*n_seeds};
        ++*n_seeds;
    }
    return argc > 2 ? atoi(argv[2]) : 5;
}

int main(int argc, char **argv)
{
    const bool file = argc > 1 && strstr(argv[1], ".tif");
    const int n = argc > 1 && !file ? atoi(argv[1]) : 1000, dem = !file && argc > 3 ? atoi(argv[3]) : 0;
    int runs = !file && argc > 2 ? atoi(argv[2]) : 5;
    const int nbh = !file && argc > 4 ? atoi(argv[4]) : 16;
    if (n < 20 || runs < 1) {
        fprintf(stderr, "usage: bench_hybrid [N>=20] [runs] [dem 0|1] [neighbours 8|16]\n");
        return 2;
    }
    cc_ctx *ctx = NULL;
    if (cc_ctx_create(&ctx)) bench_die("bench_hybrid", NULL, "context");
    cc__friction f;
    cc__hybrid_seed seeds[16] = {{(uint64_t)(n / 5) * n + n / 5, 0, 0}, {(uint64_t)(n / 2) * n + n / 2, 0, 1}, {(uint64_t)(n / 7) * n + 4 * n / 5, 0, 2}};
    size_t n_seeds = 3;
    if (file) {
        runs = from_raster(ctx, argc, argv, &f, seeds, &n_seeds);
        goto search;
    }
    double *ex = malloc((size_t)n * sizeof(double)), *ny = malloc((size_t)n * sizeof(double));
    for (int r = 0; r < n; r++) ex[r] = ny[r] = 30.0;
    if (cc__friction_init(ctx, n, n, nbh, ex, ny, &f)) bench_die("bench_hybrid", ctx, "surface");
    smooth_field(f.spm, n, 20, 2.0, 5.0);
    for (size_t i = 0; i < (size_t)n * n; i++) f.spm[i] = (float)(3.6 / f.spm[i]); /* km/h -> s/m */
    for (int r = n / 3; r < n / 3 + 5; r++)
        for (int c = n / 10; c < n - n / 10; c++) f.spm[(size_t)r * n + c] = INFINITY;
    if (dem) {
        f.z = malloc((size_t)n * n * sizeof(float));
        smooth_field(f.z, n, 50, 0.0, 400.0);
    }
    free(ex);
    free(ny);
search:;
    cc__hybrid h;
    if (cc__hybrid_init(ctx, &f, NULL, &h)) bench_die("bench_hybrid", ctx, "workspace");
    double *t = malloc((size_t)runs * sizeof(double));
    uint64_t digest = 0;
    for (int k = 0; k < runs; k++) {
        double t0 = bench_cpu_now(); /* CPU time: the machine may be shared */
        if (cc__hybrid_run(ctx, &h, seeds, n_seeds, CC_REVERSE, INFINITY)) bench_die("bench_hybrid", ctx, "search");
        t[k] = bench_cpu_now() - t0;
        uint64_t d = 1469598103934665603ULL;
        for (size_t i = 0; i < h.n; i++) {
            uint64_t bits;
            const double ci = cc__hybrid_cost(&h, i);
            memcpy(&bits, &ci, 8);
            uint32_t rb;
            const float ri = cc__hybrid_road_s(&h, i);
            memcpy(&rb, &ri, 4);
            uint64_t v = bits ^ ((uint64_t)(ci < INFINITY ? cc__hybrid_origin(&h, i) : 0xFFFFFFFFu) << 7) ^ ((uint64_t)(ci < INFINITY ? rb : 0) << 29);
            d = (d ^ v) * 1099511628211ULL;
        }
        if (k && d != digest) fprintf(stderr, "bench_hybrid: run %d gave another digest\n", k);
        digest = d;
    }
    double med = bench_median(t, runs);
    bench_print_header("bench_hybrid", 1, runs, "");
    printf("%d x %d cells, %d neighbours, %s: search %.3f s of CPU (median) = %.0f ns per cell (%llu settled); digest %016llx\n", f.w, f.h, f.n_nb,
           file ? argv[1] : dem ? "DEM (Tobler)" : "isotropic", med, med / ((double)f.w * f.h) * 1e9, (unsigned long long)h.settled,
           (unsigned long long)digest);
    cc__hybrid_free(&h);
    cc__friction_free(&f);
    free(t);
    cc_ctx_destroy(ctx);
    return 0;
}
