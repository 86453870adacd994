/*
 * test_access.c - the travel-time model end to end on a hand-made case whose times are
 * computed by hand (README.md, "Travel-time model"):
 *
 *   (0,1000) <------- C (two-way, 2000 m) ------ (1000,1000)
 *      |                                              |
 *      C                                              B (two-way, 1000 m)
 *      |                                              |
 *   (0,0) ---------- A (one way east, 1000 m) ---> (1000,0)        D: (3000,0)-(4000,0), disconnected
 *
 * Every road 36 km/h (100 ms per metre); off-road 3.6 km/h (1000 ms per metre); snap <= 100 m.
 * Facility F (tier a) at (600,10): joins A at 600 m, 10 m off road.
 * Facility G (tier b) at (0,1005): joins C at its corner (0,1000), 5 m off road.
 *   P1 (200,-20)  pop 100: to F 20 s + 40 s along A + 10 s = 70 s; to G 20+80+100+100+5 = 305 s
 *   P2 (800,5)    pop 10 : F is behind it on one-way A: 5+20+100+200+60+10 = 395 s; to G 5+20+100+100+5 = 230 s
 *   P3 (1050,400) pop 1  : joins B at 400 m: to F 50+60+200+60+10 = 380 s; to G 50+60+100+5 = 215 s
 *   P4 (5000,5000) pop 1000: no road access.   P5 (3500,10) pop 7: on D, unreachable.
 */
#include <math.h>

#include "test_util.h"

static char dir[64];

static int setup(void **state)
{
    (void)state;
    cc_ctx_create(&ctx);
    tu_tmpdir(dir, sizeof(dir));
    char p[160];
    snprintf(p, sizeof(p), "%s/roads.geojson", dir);
    tu_write(p, TU_GEOJSON_HEAD
             "{\"type\":\"Feature\",\"properties\":{\"highway\":\"a\",\"speed\":36,\"oneway\":\"yes\"},\"geometry\":{\"type\":\"LineString\",\"coordinates\":[[0,0],[1000,0]]}},"
             "{\"type\":\"Feature\",\"properties\":{\"highway\":\"b\",\"speed\":36},\"geometry\":{\"type\":\"LineString\",\"coordinates\":[[1000,0],[1000,1000]]}},"
             "{\"type\":\"Feature\",\"properties\":{\"highway\":\"c\",\"speed\":36},\"geometry\":{\"type\":\"LineString\",\"coordinates\":[[1000,1000],[0,1000],[0,0]]}},"
             "{\"type\":\"Feature\",\"properties\":{\"highway\":\"d\",\"speed\":36},\"geometry\":{\"type\":\"LineString\",\"coordinates\":[[3000,0],[4000,0]]}}"
             TU_GEOJSON_TAIL);
    snprintf(p, sizeof(p), "%s/fac.geojson", dir);
    tu_write(p, TU_GEOJSON_HEAD
             "{\"type\":\"Feature\",\"properties\":{\"name\":\"F\",\"tier\":\"a\"},\"geometry\":{\"type\":\"Point\",\"coordinates\":[600,10]}},"
             "{\"type\":\"Feature\",\"properties\":{\"name\":\"G\",\"tier\":\"b\"},\"geometry\":{\"type\":\"Point\",\"coordinates\":[0,1005]}}"
             TU_GEOJSON_TAIL);
    snprintf(p, sizeof(p), "%s/pop.geojson", dir);
    tu_write(p, TU_GEOJSON_HEAD
             "{\"type\":\"Feature\",\"properties\":{\"name\":\"P1\",\"pop\":100},\"geometry\":{\"type\":\"Point\",\"coordinates\":[200,-20]}},"
             "{\"type\":\"Feature\",\"properties\":{\"name\":\"P2\",\"pop\":10},\"geometry\":{\"type\":\"Point\",\"coordinates\":[800,5]}},"
             "{\"type\":\"Feature\",\"properties\":{\"name\":\"P3\",\"pop\":1},\"geometry\":{\"type\":\"Point\",\"coordinates\":[1050,400]}},"
             "{\"type\":\"Feature\",\"properties\":{\"name\":\"P4\",\"pop\":1000},\"geometry\":{\"type\":\"Point\",\"coordinates\":[5000,5000]}},"
             "{\"type\":\"Feature\",\"properties\":{\"name\":\"P5\",\"pop\":7},\"geometry\":{\"type\":\"Point\",\"coordinates\":[3500,10]}}"
             TU_GEOJSON_TAIL);
    snprintf(p, sizeof(p), "%s/profile.yaml", dir);
    tu_write(p, "name: test\nspeeds_kmh: {a: 36, b: 36, c: 36, d: 36}\noffroad_speed_kmh: 3.6\nmax_snap_m: 100\n");
    return 0;
}

static int teardown(void **state)
{
    (void)state;
    char cmd[200];
    snprintf(cmd, sizeof(cmd), "rm -rf %s", dir);
    if (system(cmd) != 0) return -1;
    cc_ctx_destroy(ctx);
    return 0;
}

static void test_hand_computed(void **state)
{
    (void)state;
    char roads[160], fac[160], pop[160], prof[160], out[160];
    snprintf(roads, sizeof(roads), "%s/roads.geojson", dir);
    snprintf(fac, sizeof(fac), "%s/fac.geojson", dir);
    snprintf(pop, sizeof(pop), "%s/pop.geojson", dir);
    snprintf(prof, sizeof(prof), "%s/profile.yaml", dir);
    snprintf(out, sizeof(out), "%s/out", dir);
    /* thresholds around the hand-computed times: 70 s, 215/230 s, 380/395 s */
    const double minutes[] = {69.999 / 60, 70.001 / 60, 229.999 / 60, 230.001 / 60, 379.999 / 60, 380.001 / 60, 395.001 / 60};
    cc_coverage_opts o = {.in = {.roads = roads, .population = pop, .facilities = fac, .profile = prof, .crs = "EPSG:32650",
                                 .speed_field = "speed", .population_field = "pop", .resolution_m = 50},
                          .out_dir = out, .minutes = minutes, .n_minutes = 7};
    cc_coverage_result *r;
    assert_int_equal(cc_coverage_run(ctx, &o, &r), CC_OK);
    assert_float_equal(r->population_total, 1118, 1e-9);
    assert_float_equal(r->population_no_road_access, 1000, 1e-9);
    assert_float_equal(r->population_unreachable, 7, 1e-9);
    assert_float_equal(r->population_beyond, 0, 1e-9);
    /* all facilities: P1 70 s (F), P3 215 s (G), P2 230 s (G) */
    const double all[] = {0, 100, 101, 111, 111, 111, 111};
    for (int b = 0; b < 7; b++) assert_float_equal(r->population_within[b], all[b], 1e-9);
    assert_int_equal(r->n_tiers, 2);
    assert_string_equal(r->tiers[0].name, "a");
    assert_string_equal(r->tiers[1].name, "b");
    /* tier a (F only): P1 70 s, P3 380 s, P2 395 s */
    const double ta[] = {0, 100, 100, 100, 100, 101, 111};
    /* tier b (G only): P3 215 s, P2 230 s, P1 305 s */
    const double tb[] = {0, 0, 1, 11, 111, 111, 111};
    for (int b = 0; b < 7; b++) {
        assert_float_equal(r->tiers[0].population_within[b], ta[b], 1e-9);
        assert_float_equal(r->tiers[1].population_within[b], tb[b], 1e-9);
    }
    assert_int_equal(r->facilities_snapped, 2);
    assert_int_equal(r->demand_points, 5);
    assert_int_equal(r->demand_with_road_access, 4);
    cc_coverage_result_destroy(r);
}

int main(void)
{
    const struct CMUnitTest tests[] = {cmocka_unit_test(test_hand_computed)};
    return cmocka_run_group_tests(tests, setup, teardown);
}
