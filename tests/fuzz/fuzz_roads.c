/* fuzz_roads.c - the road loader and graph builder on fuzzed GeoJSON (FUZZ_EXT=.geojson) or
 * OSM XML (.osm): load, build the graph, snap a point; any input succeeds or fails cleanly. */
#include <string.h>

#include "fuzz_common.h"

#ifndef FUZZ_EXT
#define FUZZ_EXT ".geojson"
#endif

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    const char *path = "/vsimem/fuzz/roads" FUZZ_EXT;
    static cc_profile *prof;
    if (!prof && cc_profile_load(fuzz_ctx, "ambulance", &prof) != CC_OK) abort();
    fuzz_put(path, data, size);
    cc_roads *r = NULL;
    cc_roads_opts o = {0};
    if (cc_roads_read(fuzz_ctx, path, &o, &r) == CC_OK) {
        fuzz_graph_search(r, prof);
        cc_roads_destroy(r);
    } else if (r) {
        abort();
    }
    VSIUnlink(path);
    fuzz_no_leftovers();
    return 0;
}
