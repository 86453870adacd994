/* test_profile.c - speed profiles: built-in values, speed rules, and positioned errors. */
#include "test_util.h"

static void test_ambulance_values(void **state)
{
    (void)state;
    cc_profile *p;
    bool known;
    assert_int_equal(cc_profile_load(ctx, "ambulance", &p), CC_OK);
    assert_string_equal(cc_profile_get_name(p), "ambulance");
    assert_float_equal(cc_profile_speed_kmh(p, "motorway", NULL, 0, &known), 90.0, 1e-12);
    assert_true(known);
    assert_float_equal(cc_profile_speed_kmh(p, "motorway_link", NULL, 0, NULL), 45.0, 1e-12);
    assert_float_equal(cc_profile_speed_kmh(p, "primary_link", NULL, 0, NULL), 35.0, 1e-12);
    assert_float_equal(cc_profile_speed_kmh(p, "track", "gravel", 0, NULL), 14.0, 1e-12);
    assert_float_equal(cc_profile_speed_kmh(p, "residential", "asphalt", 0, NULL), 30.0, 1e-12);
    /* maxspeed is ignored by the ambulance profile */
    assert_float_equal(cc_profile_speed_kmh(p, "primary", NULL, 30, NULL), 70.0, 1e-12);
    /* not drivable, but known */
    assert_float_equal(cc_profile_speed_kmh(p, "footway", NULL, 0, &known), 0.0, 0);
    assert_true(known);
    /* unknown class */
    assert_float_equal(cc_profile_speed_kmh(p, "bus_guideway", NULL, 0, &known), 0.0, 0);
    assert_false(known);
    assert_float_equal(cc_profile_get_offroad_speed_kmh(p), 5.0, 0);
    assert_float_equal(cc_profile_get_max_snap_m(p), 2000.0, 0);
    assert_true(cc_profile_honours_oneway(p));
    cc_profile_destroy(p);
}

static void test_car_and_walk(void **state)
{
    (void)state;
    cc_profile *car, *walk;
    assert_int_equal(cc_profile_load(ctx, "car", &car), CC_OK);
    assert_float_equal(cc_profile_speed_kmh(car, "primary", NULL, 50, NULL), 50.0, 1e-12);
    assert_float_equal(cc_profile_speed_kmh(car, "primary", "unpaved", 60, NULL), 49.0, 1e-12);
    assert_float_equal(cc_profile_speed_kmh(car, "primary", NULL, 0, NULL), 70.0, 1e-12);
    assert_int_equal(cc_profile_load(ctx, "walk", &walk), CC_OK);
    assert_false(cc_profile_honours_oneway(walk));
    assert_float_equal(cc_profile_speed_kmh(walk, "footway", NULL, 0, NULL), 5.0, 0);
    assert_float_equal(cc_profile_speed_kmh(walk, "motorway", NULL, 0, NULL), 0.0, 0);
    cc_profile_destroy(car);
    cc_profile_destroy(walk);
}

/* Each bad profile must fail with CC_ERR_INPUT and a message holding @p expect. */
static void expect_error(const char *yaml, const char *expect)
{
    cc_profile *p = NULL;
    cc_status st = cc_profile_parse(ctx, yaml, strlen(yaml), "bad.yaml", &p);
    assert_int_equal(st, CC_ERR_INPUT);
    assert_null(p);
    const char *msg = cc_ctx_last_error(ctx);
    if (!strstr(msg, expect)) fail_msg("message '%s' lacks '%s'", msg, expect);
    assert_null(strchr(msg, '\n'));
}

static void test_errors(void **state)
{
    (void)state;
    expect_error("name: x\nspeed_kmh:\n  primary: 50\n", "bad.yaml:2:1: Unknown key <speed_kmh> in profile (did you mean <speeds_kmh>?)");
    expect_error("speeds_kmh:\n  primary: -5\n", "bad.yaml:2:12: <speeds_kmh.primary> must be between 0 and 300, got -5");
    expect_error("speeds_kmh:\n  primary: fast\n", "<speeds_kmh.primary> must be a number, got 'fast'");
    expect_error("speeds_kmh: 5\n", "bad.yaml:1:13: <speeds_kmh> must be a mapping");
    expect_error("speeds_kmh:\n  primary: 0\n", "Speed of <primary> must be above 0 km/h");
    expect_error("speeds_kmh: {primary: 50}\nnot_drivable: [primary]\n", "Class <primary> is both in speeds_kmh and in not_drivable");
    expect_error("speeds_kmh: {primary: 50}\nmaxspeed: sometimes\n", "<maxspeed> must be one of ignore | cap, got 'sometimes'");
    expect_error("speeds_kmh: {primary: 50}\noffroad_speed_kmh: 0\n", "<offroad_speed_kmh> must be between 0.1 and 50");
    expect_error("speeds_kmh: {primary: 50\n", "bad.yaml:2:1:");
    expect_error("name: x\n", "Missing required key <speeds_kmh>");
    expect_error("", "The document is empty");
    expect_error("speeds_kmh: {primary: 50, primary: 60}\n", "<primary> appears twice");
}

static void test_load_errors(void **state)
{
    (void)state;
    cc_profile *p = NULL;
    assert_int_equal(cc_profile_load(ctx, "/nonexistent/profile.yaml", &p), CC_ERR_IO);
    assert_non_null(strstr(cc_ctx_last_error(ctx), "'/nonexistent/profile.yaml'"));
    assert_int_equal(cc_profile_load(ctx, "bicycle", &p), CC_ERR_PARAM);
    assert_non_null(strstr(cc_ctx_last_error(ctx), "Unknown profile <bicycle>"));
    assert_null(p);
}

static void test_scale(void **state)
{
    (void)state;
    cc_profile *p;
    assert_int_equal(cc_profile_load(ctx, "ambulance", &p), CC_OK);
    assert_int_equal(cc_profile_scale_class(ctx, p, "tertiary", 0.7), CC_OK);
    assert_float_equal(cc_profile_speed_kmh(p, "tertiary", NULL, 0, NULL), 35.0, 1e-12);
    assert_int_equal(cc_profile_scale_class(ctx, p, "hovercraft", 0.7), CC_ERR_PARAM);
    assert_int_equal(cc_profile_scale_class(ctx, p, NULL, -1), CC_ERR_PARAM);
    cc_profile_destroy(p);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_ambulance_values), cmocka_unit_test(test_car_and_walk), cmocka_unit_test(test_errors),
        cmocka_unit_test(test_load_errors), cmocka_unit_test(test_scale),
    };
    return cmocka_run_group_tests(tests, tu_ctx_setup, tu_ctx_teardown);
}
