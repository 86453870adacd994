/* fuzz_artefacts.c - carecircle's own files read back (summary.json for report, manifest.json and
 * a variant's scenario.json for batch) on fuzzed JSON from memory: every reader checks each member's
 * type; any input is accepted or refused with one message, never a crash. */
#include <string.h>

#include <json-c/json.h>

#include "fuzz_common.h"
#include "io/json_read_internal.h"
#include "report/report_internal.h"
#include "scenario/scenario_internal.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    const char *text = (const char *)data;
    if (cc__report_summary_check(fuzz_ctx, "summary.json", text, size) != CC_OK && !*cc_ctx_last_error(fuzz_ctx)) abort();
    double est = cc__batch_manifest_check(fuzz_ctx, "manifest.json", text, size, "base");
    if (!(est == -1 || est >= 0)) abort();
    json_object *j = NULL;
    const char *h = NULL;
    if (cc__json_parse(fuzz_ctx, "scenario.json", text, size, &j) == CC_OK) {
        if (cc__json_get_str(fuzz_ctx, "scenario.json", j, NULL, "content_hash", true, &h) == CC_OK && !h) abort();
        json_object_put(j);
    } else if (j) {
        abort();
    }
    return 0;
}
