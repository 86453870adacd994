/* fuzz_facilities.c - the facility / CSV loader on fuzzed CSV text, with or without a tier map. */
#include <string.h>

#include "fuzz_common.h"
#include "io/readers_internal.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    const char *path = "/vsimem/fuzz/facilities.csv";
    static char *wkt;
    if (!wkt) {
        OGRSpatialReferenceH s = OSRNewSpatialReference(NULL);
        OSRImportFromEPSG(s, 32650);
        OSRExportToWkt(s, &wkt);
        OSRDestroySpatialReference(s);
    }
    fuzz_put(path, data, size);
    /* one read per input (a read is most of an execution): with a tier map for inputs of odd
     * length, else with the tiers found in the file */
    cc__facilities f;
    cc__facilities_opts o = {.tiers = size % 2 ? "1=a,2=b,3=c,c=c" : NULL};
    if (cc__facilities_read(fuzz_ctx, path, &o, wkt, &f) == CC_OK) {
        for (size_t i = 0; i < f.n; i++)
            if (f.tier[i] >= (int)f.n_tiers) abort();
        cc__facilities_free(&f);
    }
    VSIUnlink(path);
    fuzz_no_leftovers();
    return 0;
}
