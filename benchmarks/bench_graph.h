/* bench_graph.h - helpers shared by the graph benchmarks: loading the frozen problem exported by
 * `carecircle graph --export` (nodes.csv, edges.csv), the reached-set fingerprint that every peer
 * computes the same way, a seeded generator and the peak resident memory. */
#ifndef CC_BENCH_GRAPH_H
#define CC_BENCH_GRAPH_H

#include <errno.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "carecircle/cc_route.h"
#include "core/core_internal.h" /* cc__fmix64 */

/* MurmurHash3 fmix64 (cc__fmix64). The fingerprint of a reached set is the sum (mod 2^64) of
 * bench_mix64(node + 1) over its nodes: order-free, and two different sets collide with
 * probability about 2^-64. benchmarks/harness/gate.py computes the same. */
static inline uint64_t bench_mix64(uint64_t h)
{
    return cc__fmix64(h);
}

/* xorshift64* with a fixed seed: the same sequence on every machine. */
static inline uint64_t bench_rand(uint64_t *state)
{
    uint64_t x = *state;
    x ^= x >> 12;
    x ^= x << 25;
    x ^= x >> 27;
    *state = x;
    return x * 0x2545F4914F6CDD1DULL;
}

/* A figure in KiB of /proc/self/status (key with its colon, e.g. "VmRSS:"), 0 if unknown. */
static inline long bench_status_kb(const char *key)
{
    FILE *f = fopen("/proc/self/status", "r");
    char line[256];
    long kb = 0;
    size_t n = strlen(key);
    if (!f) return 0;
    while (fgets(line, sizeof(line), f))
        if (!strncmp(line, key, n)) kb = strtol(line + n, NULL, 10);
    fclose(f);
    return kb;
}

/* Peak resident set size of this process in KiB (VmHWM), 0 if unknown. */
static inline long bench_peak_rss_kb(void)
{
    return bench_status_kb("VmHWM:");
}

/* Current resident set size in KiB (VmRSS). */
static inline long bench_rss_kb(void)
{
    return bench_status_kb("VmRSS:");
}

/* Whole file into a NUL-terminated buffer; NULL (and a message on stderr) on failure. */
static inline char *bench_slurp(const char *path, size_t *len)
{
    FILE *f = fopen(path, "rb");
    char *buf = NULL;
    long n;
    if (!f || fseek(f, 0, SEEK_END) != 0 || (n = ftell(f)) < 0 || fseek(f, 0, SEEK_SET) != 0 || !(buf = malloc((size_t)n + 1)) ||
        fread(buf, 1, (size_t)n, f) != (size_t)n) {
        fprintf(stderr, "bench: unable to read '%s': %s\n", path, errno ? strerror(errno) : "short read");
        free(buf);
        if (f) fclose(f);
        return NULL;
    }
    fclose(f);
    buf[n] = '\0';
    if (len) *len = (size_t)n;
    return buf;
}

/* The exported graph: n nodes with coordinates, m directed edges. */
typedef struct bench_export {
    uint32_t n;
    size_t m;
    double *x, *y;
    uint32_t *src, *dst, *cost;
} bench_export;

static inline void bench_export_free(bench_export *e)
{
    free(e->x);
    free(e->y);
    free(e->src);
    free(e->dst);
    free(e->cost);
    memset(e, 0, sizeof(*e));
}

static inline const char *bench_next_line(const char *p)
{
    while (*p && *p != '\n') p++;
    return *p ? p + 1 : p;
}

/* Read DIR/nodes.csv (id,x,y,lon,lat; ids 0..n-1 in order) and DIR/edges.csv
 * (source,target,cost_ms). Returns 0, or -1 with a message on stderr. */
static inline int bench_export_load(const char *dir, bench_export *e)
{
    char path[4096];
    size_t len, cap;
    char *buf;
    const char *p;
    memset(e, 0, sizeof(*e));
    snprintf(path, sizeof(path), "%s/nodes.csv", dir);
    if (!(buf = bench_slurp(path, &len))) return -1;
    cap = 1024;
    e->x = malloc(cap * sizeof(double));
    e->y = malloc(cap * sizeof(double));
    for (p = bench_next_line(buf); *p; p = bench_next_line(p)) {
        char *end;
        unsigned long id = strtoul(p, &end, 10);
        if (end == p || *end != ',' || id != e->n) {
            fprintf(stderr, "bench: '%s' line %u: expected node id %u\n", path, e->n + 2, e->n);
            free(buf);
            bench_export_free(e);
            return -1;
        }
        if (e->n == cap) {
            cap *= 2;
            e->x = realloc(e->x, cap * sizeof(double));
            e->y = realloc(e->y, cap * sizeof(double));
        }
        e->x[e->n] = strtod(end + 1, &end);
        e->y[e->n] = strtod(end + 1, &end);
        e->n++;
    }
    free(buf);
    snprintf(path, sizeof(path), "%s/edges.csv", dir);
    if (!(buf = bench_slurp(path, &len))) {
        bench_export_free(e);
        return -1;
    }
    cap = len / 8 + 16;
    e->src = malloc(cap * sizeof(uint32_t));
    e->dst = malloc(cap * sizeof(uint32_t));
    e->cost = malloc(cap * sizeof(uint32_t));
    for (p = bench_next_line(buf); *p; p = bench_next_line(p)) {
        char *end, *end2, *end3;
        unsigned long s = strtoul(p, &end, 10), t = strtoul(end + 1, &end2, 10), c = strtoul(end2 + 1, &end3, 10);
        if (end == p || *end != ',' || *end2 != ',' || end3 == end2 + 1 || s >= e->n || t >= e->n || c > 0x3fffffffUL) {
            fprintf(stderr, "bench: '%s' line %zu: expected source,target,cost_ms with ids below %u\n", path, e->m + 2, e->n);
            free(buf);
            bench_export_free(e);
            return -1;
        }
        e->src[e->m] = (uint32_t)s;
        e->dst[e->m] = (uint32_t)t;
        e->cost[e->m] = (uint32_t)c;
        e->m++;
    }
    free(buf);
    return 0;
}

/* Node ids, one a line (a first line that is not a number is a header). Returns the count,
 * or -1 with a message. */
static inline long bench_sources_load(const char *path, uint32_t n_nodes, uint32_t **out)
{
    size_t len, cap = 64, k = 0;
    char *buf = bench_slurp(path, &len);
    const char *p;
    uint32_t *v;
    if (!buf) return -1;
    v = malloc(cap * sizeof(uint32_t));
    for (p = buf; *p; p = bench_next_line(p)) {
        char *end;
        unsigned long id = strtoul(p, &end, 10);
        if (end == p) {
            if (p == buf) continue; /* header */
            if (*p == '\n' || *p == '\r') continue;
            fprintf(stderr, "bench: '%s': '%.20s' is not a node id\n", path, p);
            free(buf);
            free(v);
            return -1;
        }
        if (id >= n_nodes) {
            fprintf(stderr, "bench: '%s': node %lu is outside the graph (%u nodes)\n", path, id, n_nodes);
            free(buf);
            free(v);
            return -1;
        }
        if (k == cap) v = realloc(v, (cap *= 2) * sizeof(uint32_t));
        v[k++] = (uint32_t)id;
    }
    free(buf);
    *out = v;
    return (long)k;
}

/* One search from @p src within @p limit_ms on workspace @p s: the nodes it reached and the sum of
 * their costs (the answer every kernel benchmark compares between runs and peers). */
static inline void bench_search_one(cc_search *s, uint32_t src, uint32_t limit_ms, uint64_t *reached, uint64_t *sum_ms)
{
    cc_seed seed = {src, 0, 0};
    cc_search_run(s, CC_FORWARD, &seed, 1, limit_ms);
    size_t cnt;
    const uint32_t *set = cc_search_get_settled_ref(s, &cnt);
    uint64_t sum = 0;
    for (size_t k = 0; k < cnt; k++) sum += cc_search_get_cost(s, set[k]);
    *reached = cnt;
    *sum_ms = sum;
}

#endif
