/*
 * consumer.c - a program outside the carecircle tree, built against an installed carecircle
 * (find_package or pkg-config; tests/consumer/run.sh), using only the public API: it loads the
 * built-in ambulance profile, runs the coverage of the demo district and prints the population
 * within 30 minutes, which must be positive.
 * Usage: consumer DEMO_DIR OUT_DIR
 */
#include <carecircle/carecircle.h>

#include <stdio.h>
#include <stdlib.h>

int main(int argc, char **argv)
{
    if (argc != 3) {
        fprintf(stderr, "Usage: %s DEMO_DIR OUT_DIR\n", argv[0]);
        return 2;
    }
    char roads[4096], pop[4096], fac[4096];
    snprintf(roads, sizeof(roads), "%s/roads.geojson", argv[1]);
    snprintf(pop, sizeof(pop), "%s/population.asc", argv[1]);
    snprintf(fac, sizeof(fac), "%s/facilities.csv", argv[1]);

    int rc = 1;
    cc_ctx *ctx = NULL;
    cc_profile *profile = NULL;
    cc_coverage_result *res = NULL;
    cc_status st = cc_ctx_create(&ctx);
    if (st != CC_OK) {
        fprintf(stderr, "consumer: cc_ctx_create: %s\n", cc_status_string(st));
        return 1;
    }
    if ((st = cc_profile_load(ctx, "ambulance", &profile)) != CC_OK) goto fail;
    const double minutes[] = {15, 30, 60};
    cc_coverage_opts o = {0};
    o.in.roads = roads;
    o.in.population = pop;
    o.in.facilities = fac;
    o.out_dir = argv[2];
    o.in.profile_obj = profile;
    o.minutes = minutes;
    o.n_minutes = sizeof(minutes) / sizeof(minutes[0]);
    o.in.tier_field = "tier";
    if ((st = cc_coverage_run(ctx, &o, &res)) != CC_OK) goto fail;

    printf("carecircle %s, profile %s\n", CC_VERSION_STRING, cc_profile_get_name(profile));
    printf("population within 30 minutes: %.0f of %.0f\n", res->population_within[1], res->population_total);
    if (!(res->population_within[1] > 0)) {
        fprintf(stderr, "consumer: no population within 30 minutes\n");
        goto out;
    }
    rc = 0;
    goto out;
fail:
    fprintf(stderr, "consumer: %s: %s\n", cc_status_string(st), cc_ctx_last_error(ctx));
out:
    cc_coverage_result_destroy(res);
    cc_profile_destroy(profile);
    cc_ctx_destroy(ctx);
    return rc;
}
