/*
 * bench_memlat.c - what this machine allows: the latency of dependent random memory reads.
 *
 * Usage: bench_memlat [MAX_MIB] [ACCESSES]
 * Pointer chasing (each load gives the address of the next) over one random cycle through
 * 64-byte slots (Sattolo's algorithm, fixed seed) in buffers from 16 KiB to MAX_MIB (default
 * 1024 MiB, far beyond the caches): ns per access, for L1, L2, L3 and DRAM. A Dijkstra search
 * on a graph much larger than the caches pays about this per label it touches at random.
 * Prints one JSON object on stdout.
 */
#include <stdint.h>
#include <string.h>

#include "bench.h"
#include "bench_graph.h"

typedef struct slot {
    struct slot *next;
    char pad[64 - sizeof(struct slot *)];
} slot;

static double chase(size_t bytes, long accesses)
{
    size_t n = bytes / sizeof(slot);
    slot *buf = aligned_alloc(64, n * sizeof(slot));
    size_t *order = malloc(n * sizeof(size_t));
    if (!buf || !order) {
        fprintf(stderr, "bench_memlat: out of memory for %zu bytes\n", bytes);
        exit(1);
    }
    uint64_t st = 0x9E3779B97F4A7C15ULL;
    for (size_t i = 0; i < n; i++) order[i] = i;
    for (size_t i = n - 1; i > 0; i--) { /* Sattolo: one cycle through every slot */
        size_t j = (size_t)(bench_rand(&st) % i);
        size_t t = order[i];
        order[i] = order[j];
        order[j] = t;
    }
    for (size_t i = 0; i < n; i++) buf[order[i]].next = &buf[order[(i + 1) % n]];
    free(order);
    slot *p = &buf[0];
    for (size_t i = 0; i < n && i < (size_t)accesses; i++) p = p->next; /* warm the TLB and caches */
    double t0 = bench_now();
    for (long i = 0; i < accesses; i++) p = p->next;
    double dt = bench_now() - t0;
    if (p == NULL) printf("impossible\n"); /* keep the chain live */
    free(buf);
    return dt * 1e9 / (double)accesses;
}

int main(int argc, char **argv)
{
    long max_mib = argc > 1 ? atol(argv[1]) : 1024;
    long accesses = argc > 2 ? atol(argv[2]) : 20000000;
    if (max_mib < 1 || accesses < 1000) {
        fprintf(stderr, "usage: bench_memlat [MAX_MIB >= 1] [ACCESSES >= 1000]\n");
        return 2;
    }
    printf("{\"tool\": \"memlat\", \"accesses\": %ld, \"ns_per_access\": {", accesses);
    size_t sizes[] = {16 << 10, 256 << 10, 4 << 20, 32 << 20, 256 << 20, (size_t)max_mib << 20};
    int first = 1;
    for (size_t k = 0; k < sizeof(sizes) / sizeof(sizes[0]); k++) {
        if (sizes[k] > ((size_t)max_mib << 20)) continue;
        if (k + 1 < sizeof(sizes) / sizeof(sizes[0]) && sizes[k] == ((size_t)max_mib << 20)) continue;
        printf("%s\"%zu\": %.2f", first ? "" : ", ", sizes[k] >> 10, chase(sizes[k], accesses));
        fflush(stdout);
        first = 0;
    }
    printf("}, \"unit\": \"KiB buffer -> ns per dependent random read\"}\n");
    return 0;
}
