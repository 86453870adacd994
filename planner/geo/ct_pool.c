/*
 * ct_pool.c - coordinate transformations kept for reuse. Creating one (PROJ finding and
 * instantiating the operation between two CRSs) costs far more than transforming thousands of
 * points, and a batch or a session reading many files of the same CRS pair would create the same
 * one again and again. Idle transformations are kept in a small process-wide pool keyed by the
 * pair; a caller takes one for its own use (a transformation is not safe to use from two threads
 * at once) and gives it back. The pool holds at most POOL_SIZE, the least recently used idle one
 * is replaced; what it holds stays until the process ends (reachable, not a leak).
 */
#include <pthread.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <cpl_conv.h>

#include "geo_internal.h"

#define POOL_SIZE 16

typedef struct pool_entry {
    char *key; /* "src key\x1fdst key" */
    uint64_t hash, used;
    OGRCoordinateTransformationH ct;
    bool busy;
} pool_entry;

static pthread_mutex_t pool_lock = PTHREAD_MUTEX_INITIALIZER;
static pool_entry pool[POOL_SIZE];
static uint64_t pool_clock;

static uint64_t fnv1a(const char *s)
{
    uint64_t h = 1469598103934665603ULL;
    for (; *s; s++) h = (h ^ (unsigned char)*s) * 1099511628211ULL;
    return h;
}

char *cc__ct_key(OGRSpatialReferenceH srs)
{
    char *wkt = NULL;
    const char *opts[] = {"FORMAT=WKT2_2019", NULL};
    if (!srs || OSRExportToWktEx(srs, &wkt, opts) != OGRERR_NONE || !wkt) {
        CPLFree(wkt);
        return NULL;
    }
    int n = 0;
    const int *map = OSRGetDataAxisToSRSAxisMapping(srs, &n);
    size_t len = strlen(wkt);
    char *k = malloc(len + 16 + 12 * (size_t)n);
    if (k) {
        char *p = k + len;
        memcpy(k, wkt, len);
        p += sprintf(p, "|axes");
        for (int i = 0; i < n; i++) p += sprintf(p, ",%d", map[i]);
    }
    CPLFree(wkt);
    return k;
}

/* The key of one side: the definition as given, or the SRS's key. The pool's own bookkeeping
 * uses plain malloc, not cc__malloc_array: without memory for a key the transformation is made
 * and used all the same, only not kept, so an allocation failure here is no error (and is not
 * one of the allocations tests/unit/test_oom.c makes fail). */
static char *side_key(OGRSpatialReferenceH srs, const char *def)
{
    if (!def) return cc__ct_key(srs);
    size_t n = strlen(def) + 1;
    char *k = malloc(n);
    if (k) memcpy(k, def, n);
    return k;
}

static OGRSpatialReferenceH srs_from_def(const char *def)
{
    OGRSpatialReferenceH s = OSRNewSpatialReference(NULL);
    if (s && OSRSetFromUserInput(s, def) != OGRERR_NONE) {
        OSRDestroySpatialReference(s);
        return NULL;
    }
    if (s) OSRSetAxisMappingStrategy(s, OAMS_TRADITIONAL_GIS_ORDER);
    return s;
}

OGRCoordinateTransformationH cc__ct_acquire(OGRSpatialReferenceH src, const char *src_def, OGRSpatialReferenceH dst,
                                            const char *dst_def)
{
    char *ks = side_key(src, src_def), *kd = side_key(dst, dst_def), *key = NULL;
    if (ks && kd && (key = malloc(strlen(ks) + strlen(kd) + 2))) sprintf(key, "%s\x1f%s", ks, kd);
    free(ks);
    free(kd);
    uint64_t h = key ? fnv1a(key) : 0;
    if (key) {
        pthread_mutex_lock(&pool_lock);
        for (int i = 0; i < POOL_SIZE; i++) {
            pool_entry *e = &pool[i];
            if (e->ct && !e->busy && e->hash == h && !strcmp(e->key, key)) {
                e->busy = true;
                e->used = ++pool_clock;
                pthread_mutex_unlock(&pool_lock);
                free(key);
                return e->ct;
            }
        }
        pthread_mutex_unlock(&pool_lock);
    }
    /* not pooled: create it from the handles given, or from the definitions */
    OGRSpatialReferenceH s = src ? src : srs_from_def(src_def), d = dst ? dst : srs_from_def(dst_def);
    OGRCoordinateTransformationH ct = s && d ? OCTNewCoordinateTransformation(s, d) : NULL;
    if (s && s != src) OSRDestroySpatialReference(s);
    if (d && d != dst) OSRDestroySpatialReference(d);
    if (ct && key) { /* keep it for the next caller, in a free slot or the least recently used idle one */
        pthread_mutex_lock(&pool_lock);
        pool_entry *slot = NULL;
        for (int i = 0; i < POOL_SIZE; i++) {
            pool_entry *e = &pool[i];
            if (!e->ct) {
                slot = e;
                break;
            }
            if (!e->busy && (!slot || e->used < slot->used)) slot = e;
        }
        if (slot) {
            if (slot->ct) OCTDestroyCoordinateTransformation(slot->ct);
            free(slot->key);
            *slot = (pool_entry){.key = key, .hash = h, .used = ++pool_clock, .ct = ct, .busy = true};
            key = NULL;
        }
        pthread_mutex_unlock(&pool_lock);
    }
    free(key);
    return ct;
}

void cc__ct_release(OGRCoordinateTransformationH ct)
{
    if (!ct) return;
    pthread_mutex_lock(&pool_lock);
    for (int i = 0; i < POOL_SIZE; i++)
        if (pool[i].ct == ct) {
            pool[i].busy = false;
            pthread_mutex_unlock(&pool_lock);
            return;
        }
    pthread_mutex_unlock(&pool_lock);
    OCTDestroyCoordinateTransformation(ct); /* not pooled: the caller's own */
}
