/* test_util.h - helpers shared by the unit tests (cmocka). */
#ifndef CC_TEST_UTIL_H
#define CC_TEST_UTIL_H

#include <math.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <cmocka.h>

#include "carecircle/carecircle.h"

/* A fresh temporary folder for one test; returns its path (static buffer per call site). */
static inline const char *tu_tmpdir(char *buf, size_t n)
{
    snprintf(buf, n, "/tmp/cc-unit-XXXXXX");
    if (!mkdtemp(buf)) fail_msg("mkdtemp failed");
    return buf;
}

/* The graph of the road file @p path (EPSG:32650, ambulance profile); the roads and the profile
 * are freed. */
static inline cc_graph *tu_graph_read(cc_ctx *c, const char *path)
{
    cc_roads *r;
    cc_profile *p;
    cc_graph *g;
    cc_roads_opts ro = {.crs = "EPSG:32650"};
    assert_int_equal(cc_roads_read(c, path, &ro, &r), CC_OK);
    assert_int_equal(cc_profile_load(c, "ambulance", &p), CC_OK);
    assert_int_equal(cc_graph_build(c, r, p, NULL, &g), CC_OK);
    cc_profile_destroy(p);
    cc_roads_destroy(r);
    return g;
}

static inline void tu_write(const char *path, const char *text)
{
    FILE *f = fopen(path, "w");
    if (!f) fail_msg("cannot write %s", path);
    fputs(text, f);
    fclose(f);
}

/* A GeoJSON FeatureCollection in EPSG:32650 (metres), so that lengths are exact. */
#define TU_GEOJSON_HEAD \
    "{\"type\":\"FeatureCollection\",\"crs\":{\"type\":\"name\",\"properties\":{\"name\":\"urn:ogc:def:crs:EPSG::32650\"}},\"features\":["
#define TU_GEOJSON_TAIL "]}"

/* Simple growable string. */
typedef struct tu_buf {
    char *s;
    size_t n, cap;
} tu_buf;

static inline void tu_printf(tu_buf *b, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
static inline void tu_printf(tu_buf *b, const char *fmt, ...)
{
    va_list ap;
    for (;;) {
        va_start(ap, fmt);
        int k = vsnprintf(b->s ? b->s + b->n : NULL, b->s ? b->cap - b->n : 0, fmt, ap);
        va_end(ap);
        if (b->s && (size_t)k < b->cap - b->n) {
            b->n += (size_t)k;
            return;
        }
        b->cap = (b->cap + (size_t)k + 1) * 2;
        b->s = realloc(b->s, b->cap);
        if (!b->s) fail_msg("out of memory");
    }
}

/* Tiny deterministic PRNG (splitmix64). */
static inline uint64_t tu_rand(uint64_t *state)
{
    uint64_t z = (*state += 0x9e3779b97f4a7c15ULL);
    z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ULL;
    z = (z ^ (z >> 27)) * 0x94d049bb133111ebULL;
    return z ^ (z >> 31);
}

static inline double tu_uniform(uint64_t *state)
{
    return (double)(tu_rand(state) >> 11) * (1.0 / 9007199254740992.0);
}

/* Coverage sets of @p nc candidates and @p nd demand points uniform in the unit square, drawn from
 * *s: a candidate covers the points within @p radius; weights 1..max_w. Allocates *first (nc + 1),
 * *dem and *w. */
static inline void tu_unit_square_sets(uint64_t *s, uint32_t nc, uint32_t nd, double radius, uint64_t max_w, uint64_t **first, uint32_t **dem,
                                       double **w)
{
    double *cx = malloc(nc * sizeof(double)), *cy = malloc(nc * sizeof(double));
    double *dx = malloc(nd * sizeof(double)), *dy = malloc(nd * sizeof(double));
    *first = calloc(nc + 1, sizeof(uint64_t));
    *dem = malloc((size_t)nc * nd * sizeof(uint32_t) + 4);
    *w = malloc(nd * sizeof(double));
    for (uint32_t j = 0; j < nc; j++) {
        cx[j] = tu_uniform(s);
        cy[j] = tu_uniform(s);
    }
    for (uint32_t i = 0; i < nd; i++) {
        dx[i] = tu_uniform(s);
        dy[i] = tu_uniform(s);
        (*w)[i] = 1 + (double)(tu_rand(s) % max_w);
    }
    uint64_t n = 0;
    for (uint32_t j = 0; j < nc; j++) {
        for (uint32_t i = 0; i < nd; i++)
            if (hypot(cx[j] - dx[i], cy[j] - dy[i]) <= radius) (*dem)[n++] = i;
        (*first)[j + 1] = n;
    }
    free(cx);
    free(cy);
    free(dx);
    free(dy);
}

/* A context per test group: setup/teardown for cmocka_run_group_tests. */
static cc_ctx *ctx;

static inline int tu_ctx_setup(void **state)
{
    (void)state;
    return cc_ctx_create(&ctx) != CC_OK;
}

static inline int tu_ctx_teardown(void **state)
{
    (void)state;
    cc_ctx_destroy(ctx);
    ctx = NULL;
    return 0;
}

/* Log callback that counts warnings and keeps the last one. */
typedef struct tu_log {
    int warnings;
    char last[1024];
} tu_log;

static inline void tu_log_cb(void *user, cc_log_level level, const char *msg)
{
    tu_log *l = user;
    if (level == CC_LOG_WARNING) {
        l->warnings++;
        snprintf(l->last, sizeof(l->last), "%s", msg);
    }
}

/* A context per test group whose warnings are counted in tu_logged. */
static tu_log tu_logged;

static inline int tu_ctx_log_setup(void **state)
{
    if (tu_ctx_setup(state)) return -1;
    cc_ctx_set_log(ctx, tu_log_cb, &tu_logged);
    return 0;
}

#endif
