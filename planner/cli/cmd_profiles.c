/* cmd_profiles.c - `carecircle profiles [NAME]`: list built-in profiles or print one. */
#include <stdio.h>
#include <string.h>

#include "cli.h"

int cmd_profiles(int argc, char **argv)
{
    if (argc > 1 && (!strcmp(argv[1], "--help") || !strcmp(argv[1], "-h"))) {
        printf("Usage: carecircle profiles [NAME]\n\nWithout NAME, list the built-in speed profiles; with NAME, print its YAML\n"
               "(a starting point for your own profile, passed with --profile FILE).\n");
        return CLI_EXIT_OK;
    }
    if (argc > 1) {
        const char *t = cc_profile_builtin_text(argv[1]);
        if (!t) {
            fprintf(stderr, "carecircle: error: unknown profile '%s' (built in: ambulance, car, walk)\n", argv[1]);
            return CLI_EXIT_USAGE;
        }
        fputs(t, stdout);
        return CLI_EXIT_OK;
    }
    cc_ctx *ctx;
    if (cc_ctx_create(&ctx)) return CLI_EXIT_RESOURCES;
    for (const char *const *n = cc_profile_builtin_names(); *n; n++) {
        cc_profile *p;
        if (cc_profile_load(ctx, *n, &p) == CC_OK) {
            printf("%-10s %s (off-road %g km/h, snap <= %g m)\n", *n, cc_profile_get_description(p), cc_profile_get_offroad_speed_kmh(p),
                   cc_profile_get_max_snap_m(p));
            cc_profile_destroy(p);
        } else {
            fprintf(stderr, "carecircle: error: %s\n", cc_ctx_last_error(ctx));
            cc_ctx_destroy(ctx);
            return CLI_EXIT_INTERNAL;
        }
    }
    cc_ctx_destroy(ctx);
    return CLI_EXIT_OK;
}
