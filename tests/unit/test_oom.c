/*
 * test_oom.c - out of memory: make the k-th allocation of the library fail, for every k through
 * a whole coverage run (profile, roads, graph, demand, facilities, snapping, searches, outputs).
 * Each run must end with CC_OK or CC_ERR_NOMEM (never another status, a crash or, under
 * AddressSanitizer, a leak), and leave no output folder behind when it fails (H3 testH3Memory.c,
 * libuv test-loop-oom.c).
 */
#include <sys/stat.h>

#include "test_util.h"
#include "core/core_internal.h"

static char dir[64];

static int setup(void **state)
{
    (void)state;
    tu_tmpdir(dir, sizeof(dir));
    return 0;
}

static int teardown(void **state)
{
    (void)state;
    char cmd[200];
    snprintf(cmd, sizeof(cmd), "rm -rf %s", dir);
    return system(cmd) != 0;
}

static void every_allocation_fails_cleanly(const char *pop_file, bool chain_capacity)
{
    const char *src = getenv("CC_SRC") ? getenv("CC_SRC") : ".";
    char roads[512], pop[512], fac[512], adm[512], out[128];
    snprintf(roads, sizeof(roads), "%s/datasets/demo/roads.geojson", src);
    snprintf(pop, sizeof(pop), "%s/datasets/demo/%s", src, pop_file);
    snprintf(fac, sizeof(fac), "%s/datasets/demo/facilities.csv", src);
    snprintf(adm, sizeof(adm), "%s/datasets/demo/townships.geojson", src);
    snprintf(out, sizeof(out), "%s/out-%s%s", dir, pop_file, chain_capacity ? "-chain" : "");
    cc_ctx *ctx;
    assert_int_equal(cc_ctx_create(&ctx), CC_OK);
    cc_ctx_set_threads(ctx, 1); /* the failure countdown is not thread-safe */
    cc_coverage_opts o = {.in = {.roads = roads, .population = pop, .facilities = fac, .admin = adm, .tier_field = "tier",
                                 .resolution_m = 500},
                          .out_dir = out};
    if (chain_capacity) { /* the emergency chain and the capacity allocation (issue 17) too */
        o.chain = true;
        o.station_tiers = "emergency_station";
        o.in.capacity_field = "township"; /* any numeric field will do */
    }
    int failures = 0, k;
    for (k = 1; k < 100000; k++) {
        cc__alloc_fail_after(k);
        cc_coverage_result *r = NULL;
        cc_status st = cc_coverage_run(ctx, &o, &r);
        bool fired = cc__alloc_fail_fired();
        cc__alloc_fail_after(0);
        if (st == CC_OK && fired) fail_msg("allocation %d failed, but the run succeeded: an unchecked allocation", k);
        if (st == CC_OK) {
            assert_non_null(r);
            cc_coverage_result_destroy(r);
            break; /* the k-th allocation was never reached: every earlier one was tested */
        }
        if (st != CC_ERR_NOMEM) fail_msg("allocation %d failed, but the run returned %s: %s", k, cc_status_string(st), cc_ctx_last_error(ctx));
        assert_null(r);
        struct stat sb;
        assert_true(stat(out, &sb) != 0); /* nothing written */
        failures++;
    }
    printf("coverage run on %s: %d allocations each failed once, all reported CC_ERR_NOMEM\n", pop_file, failures);
    assert_true(failures > 100);
    cc_ctx_destroy(ctx);
}

static void test_village_points(void **state)
{
    (void)state;
    every_allocation_fails_cleanly("villages.geojson", false);
}

static void test_chain_capacity(void **state)
{
    (void)state;
    every_allocation_fails_cleanly("villages.geojson", true);
}

static void test_population_raster(void **state)
{
    (void)state;
    every_allocation_fails_cleanly("population.asc", false);
}

/* One case per process when named (ctest runs them side by side: each is minutes under
 * AddressSanitizer), all three without an argument. */
int main(int argc, char **argv)
{
    const struct CMUnitTest tests[] = {cmocka_unit_test(test_village_points), cmocka_unit_test(test_population_raster),
                                       cmocka_unit_test(test_chain_capacity)};
    const char *names[] = {"villages", "raster", "chain"};
    if (argc > 1) {
        for (size_t i = 0; i < sizeof(names) / sizeof(*names); i++)
            if (!strcmp(argv[1], names[i])) return _cmocka_run_group_tests(names[i], &tests[i], 1, setup, teardown);
        fprintf(stderr, "test_oom: unknown case '%s' (villages, raster or chain)\n", argv[1]);
        return 2;
    }
    return cmocka_run_group_tests(tests, setup, teardown);
}
