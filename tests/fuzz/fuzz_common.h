/* fuzz_common.h - shared set-up of the libFuzzer targets: GDAL quiet, a context, /vsimem files. */
#ifndef CC_FUZZ_COMMON_H
#define CC_FUZZ_COMMON_H

#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cpl_conv.h>
#include <cpl_error.h>
#include <cpl_string.h>
#include <cpl_vsi.h>
#include <gdal.h>

#include "carecircle/carecircle.h"
#include "core/core_internal.h"

static cc_ctx *fuzz_ctx;

static inline void CPL_STDCALL fuzz_quiet(CPLErr c, CPLErrorNum n, const char *m)
{
    (void)c;
    (void)n;
    (void)m;
}

int LLVMFuzzerInitialize(int *argc, char ***argv);
int LLVMFuzzerInitialize(int *argc, char ***argv)
{
    (void)argc;
    (void)argv;
    GDALAllRegister();
    CPLSetErrorHandler(fuzz_quiet);
    cc__gdal_init(); /* carecircle's one GDALAllRegister, before drivers are taken out below */
#ifdef FUZZ_GDAL_KEEP
    /* only the drivers this target is about: GDAL asks every registered driver whether it knows an
     * input that the named ones do not claim (about 200 of them, most of an execution on a junk
     * input), and would open inputs mutated into other formats with drivers fuzzed elsewhere */
    for (int i = GDALGetDriverCount() - 1; i >= 0; i--) {
        GDALDriverH d = GDALGetDriver(i);
        char name[80];
        snprintf(name, sizeof(name), ",%s,", GDALGetDriverShortName(d));
        if (!strstr("," FUZZ_GDAL_KEEP ",", name)) {
            GDALDeregisterDriver(d);
            GDALDestroyDriver(d);
        }
    }
#endif
    CPLSetConfigOption("GDAL_PAM_ENABLED", "NO");
    if (cc_ctx_create(&fuzz_ctx) != CC_OK) abort();
    cc_ctx_set_threads(fuzz_ctx, 1);
    return 0;
}

/* Abort when a read left a temporary in-memory file of carecircle's behind (decoded text copies
 * live under /vsimem/carecircle/enc while a file is open): one per failed read would grow memory
 * and slow every later /vsimem look-up for the life of an embedding process. */
static inline void fuzz_no_leftovers(void)
{
    char **left = VSIReadDir("/vsimem/carecircle/enc");
    int n = CSLCount(left);
    CSLDestroy(left);
    if (n > 0) {
        fprintf(stderr, "fuzz: %d temporary file(s) left in /vsimem/carecircle/enc\n", n);
        abort();
    }
}

/* Put the fuzz input in an in-memory file (copied: GDAL may keep reading it). */
static inline void fuzz_put(const char *path, const uint8_t *data, size_t size)
{
    GByte *copy = CPLMalloc(size ? size : 1);
    if (size) memcpy(copy, data, size);
    VSILFILE *f = VSIFileFromMemBuffer(path, copy, size, TRUE);
    if (f) VSIFCloseL(f);
}

/* Build the graph of the roads read and run one search from node 0 (both readers' fuzzers). */
static inline void fuzz_graph_search(const cc_roads *r, const cc_profile *prof)
{
    cc_graph *g = NULL;
    if (cc_graph_build(fuzz_ctx, r, prof, NULL, &g) != CC_OK) return;
    cc_search *s;
    if (cc_search_create(fuzz_ctx, g, &s) == CC_OK) {
        cc_seed seed = {0, 0, 0};
        cc_search_run(s, CC_FORWARD, &seed, 1, CC_INF_COST);
        cc_search_destroy(s);
    }
    cc_graph_destroy(g);
}

#endif
