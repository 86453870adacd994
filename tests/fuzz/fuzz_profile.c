/* fuzz_profile.c - the YAML speed-profile parser: any input parses or fails cleanly. */
#include <string.h>

#include "fuzz_common.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    cc_profile *p = NULL;
    cc_status st = cc_profile_parse(fuzz_ctx, (const char *)data, size, "fuzz.yaml", &p);
    if (st == CC_OK) {
        bool known;
        /* exercise the look-ups on whatever was parsed */
        (void)cc_profile_speed_kmh(p, "primary", "gravel", 30, &known);
        (void)cc_profile_speed_kmh(p, "", NULL, 0, &known);
        if (!(cc_profile_get_offroad_speed_kmh(p) > 0)) abort();
        cc_profile_destroy(p);
    } else if (p) {
        abort(); /* a failed parse must not return an object */
    }
    return 0;
}
