/* fuzz_scenario.c - the scenario parser (FUZZ_BATCH undefined) or the batch parser (FUZZ_BATCH) on
 * fuzzed YAML held in memory (/vsimem): parse, validate, hash, serialise; any input succeeds or fails
 * cleanly. The batch's base scenario is a fixed in-memory file beside it. */
#include <string.h>

#include "fuzz_common.h"

static const char base_yaml[] = "name: base\n"
                                "inputs:\n"
                                "  roads: roads.geojson\n"
                                "  population: population.asc\n"
                                "  facilities: facilities.csv\n"
                                "coverage:\n"
                                "  minutes: [15, 30]\n";

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    static int ready;
    if (!ready) {
        fuzz_put("/vsimem/fuzz/scenario.yaml", (const uint8_t *)base_yaml, sizeof(base_yaml) - 1);
        ready = 1;
    }
#ifdef FUZZ_BATCH
    const char *path = "/vsimem/fuzz/batch.yaml";
    fuzz_put(path, data, size);
    cc_batch *b = NULL;
    if (cc_batch_load(fuzz_ctx, path, &b) == CC_OK) {
        size_t n = cc_batch_get_variant_count(b);
        for (size_t i = 0; i < n; i++) {
            const cc_scenario *s = cc_batch_get_variant(b, i);
            if (!s || !cc_scenario_get_name(s)) abort();
        }
        cc_batch_destroy(b);
    } else if (b) {
        abort();
    }
#else
    const char *path = "/vsimem/fuzz/s.yaml";
    fuzz_put(path, data, size);
    cc_scenario *s = NULL;
    if (cc_scenario_load(fuzz_ctx, path, &s) == CC_OK) {
        char *json = NULL;
        if (cc_scenario_to_json(fuzz_ctx, s, &json) == CC_OK) free(json);
        cc_scenario_destroy(s);
    } else if (s) {
        abort();
    }
#endif
    VSIUnlink(path);
    fuzz_no_leftovers();
    return 0;
}
