/* test_scenario.c - the model changes that scenarios make, on hand-made layers with known
 * geometry: surface speed factors, ways closed by id, closure areas cut out segment by segment,
 * added roads joined to the network, facility changes. */
#include <math.h>

#include "test_util.h"
#include "graph/graph_internal.h"
#include "io/readers_internal.h"
#include "graph/roads_internal.h"

/* W0 tertiary (0,0)-(250,0)-(500,0)-(750,0)-(1000,0)-(2000,0); W1 residential (1000,0)-(1000,1000) */
static const char *roads_json =
    TU_GEOJSON_HEAD
    "{\"type\":\"Feature\",\"properties\":{\"highway\":\"tertiary\"},\"geometry\":{\"type\":\"LineString\",\"coordinates\":[[0,0],[250,0],[500,0],[750,0],[1000,0],[2000,0]]}},"
    "{\"type\":\"Feature\",\"properties\":{\"highway\":\"residential\"},\"geometry\":{\"type\":\"LineString\",\"coordinates\":[[1000,0],[1000,1000]]}}"
    TU_GEOJSON_TAIL;

static char tmp[64];

static cc_roads *read_json(const char *name, const char *json)
{
    char path[160];
    snprintf(path, sizeof(path), "%s/%s", tu_tmpdir(tmp, sizeof(tmp)), name);
    tu_write(path, json);
    cc_roads_opts ro = {.crs = "EPSG:32650"};
    cc_roads *r = NULL;
    assert_int_equal(cc_roads_read(ctx, path, &ro, &r), CC_OK);
    remove(path);
    rmdir(tmp);
    return r;
}

static cc_graph *graph(const cc_roads *r, const cc_profile *p)
{
    cc_graph *g = NULL;
    assert_int_equal(cc_graph_build(ctx, r, p, NULL, &g), CC_OK);
    return g;
}

static bool has_vertex(const cc_roads *r, size_t w, double x, double y)
{
    for (size_t i = r->way_first[w]; i < r->way_first[w + 1]; i++)
        if (r->x[i] == x && r->y[i] == y) return true;
    return false;
}

static void test_surface_factors(void **state)
{
    (void)state;
    cc_profile *p;
    assert_int_equal(cc_profile_load(ctx, "ambulance", &p), CC_OK);
    assert_true(fabs(cc_profile_speed_kmh(p, "tertiary", "gravel", 0, NULL) - 35.0) < 1e-9);
    assert_int_equal(cc_profile_scale_surface(ctx, p, "unpaved", 0.5), CC_OK); /* the whole unpaved family */
    assert_true(fabs(cc_profile_speed_kmh(p, "tertiary", "gravel", 0, NULL) - 17.5) < 1e-9);
    assert_true(fabs(cc_profile_speed_kmh(p, "tertiary", "unpaved", 0, NULL) - 17.5) < 1e-9);
    assert_true(fabs(cc_profile_speed_kmh(p, "tertiary", "woodchips", 0, NULL) - 25.0) < 1e-9); /* new in the table */
    assert_true(fabs(cc_profile_speed_kmh(p, "tertiary", "asphalt", 0, NULL) - 50.0) < 1e-9);  /* paved: untouched */
    assert_int_equal(cc_profile_scale_surface(ctx, p, "asphalt", 0.8), CC_OK);
    assert_true(fabs(cc_profile_speed_kmh(p, "tertiary", "asphalt", 0, NULL) - 40.0) < 1e-9);
    assert_true(fabs(cc_profile_speed_kmh(p, "tertiary", "concrete", 0, NULL) - 50.0) < 1e-9);
    assert_int_equal(cc_profile_scale_surface(ctx, p, "paved", 0), CC_ERR_PARAM);
    assert_int_equal(cc_profile_scale_class(ctx, p, "tertary", 0.7), CC_ERR_PARAM);
    cc_profile_destroy(p);
}

static void test_close_ids(void **state)
{
    (void)state;
    cc_profile *p;
    assert_int_equal(cc_profile_load(ctx, "ambulance", &p), CC_OK);
    cc_roads *r = read_json("r.geojson", roads_json);
    cc_graph *g = graph(r, p);
    assert_int_equal(cc_graph_get_arc_count(g), 3); /* W0 split at (1000,0), W1 */
    cc_graph_destroy(g);
    size_t n;
    const int64_t ids[] = {1};
    assert_int_equal(cc__roads_close_ids(ctx, r, ids, 1, CC__WAY_CLOSED, "closed_roads", &n), CC_OK);
    assert_int_equal(n, 1);
    g = graph(r, p);
    assert_int_equal(cc_graph_get_arc_count(g), 1); /* (1000,0) is no junction any more */
    assert_int_equal(cc_graph_get_edge_count(g), 2);
    cc_graph_destroy(g);
    const int64_t bad[] = {0, 7};
    assert_int_equal(cc__roads_close_ids(ctx, r, bad, 2, CC__WAY_CLOSED, "closed_roads", &n), CC_ERR_INPUT);
    assert_non_null(strstr(cc_ctx_last_error(ctx), "way 7"));
    cc_roads_destroy(r);
    cc_profile_destroy(p);
}

static OGRGeometryH square(double x0, double y0, double x1, double y1)
{
    char wkt[256];
    snprintf(wkt, sizeof(wkt), "POLYGON ((%g %g,%g %g,%g %g,%g %g,%g %g))", x0, y0, x1, y0, x1, y1, x0, y1, x0, y0);
    OGRGeometryH g = NULL;
    char *w = wkt;
    assert_int_equal(OGR_G_CreateFromWkt(&w, NULL, &g), OGRERR_NONE);
    return g;
}

static void test_close_areas(void **state)
{
    (void)state;
    cc_profile *p;
    assert_int_equal(cc_profile_load(ctx, "ambulance", &p), CC_OK);
    cc_roads *r = read_json("r.geojson", roads_json);
    OGRGeometryH sq = square(400, -100, 600, 100); /* touches segments 250-500 and 500-750 of W0 */
    size_t n;
    assert_int_equal(cc__roads_close_areas(ctx, r, &sq, 1, &n), CC_OK);
    assert_int_equal(n, 2);
    assert_int_equal(r->n_ways, 4); /* W0 open (0..250), closed (250..750), open (750..2000); W1 */
    assert_int_equal(r->status[0], CC__WAY_BASE);
    assert_int_equal(r->status[1], CC__WAY_CLOSED);
    assert_int_equal(r->status[2], CC__WAY_BASE);
    assert_int_equal(r->status[3], CC__WAY_BASE);
    assert_true(has_vertex(r, 1, 250, 0) && has_vertex(r, 1, 750, 0) && !has_vertex(r, 1, 1000, 0));
    assert_true(r->way_id[0] == r->way_id[1] && r->way_id[1] == r->way_id[2]); /* pieces keep the way id */
    cc_graph *g = graph(r, p);
    assert_int_equal(cc_graph_get_arc_count(g), 4); /* (0,250) alone; (750,1000), (1000,2000), W1 */
    cc_graph_destroy(g);
    /* an area touching nothing closes nothing */
    OGRGeometryH far = square(5000, 5000, 6000, 6000);
    assert_int_equal(cc__roads_close_areas(ctx, r, &far, 1, &n), CC_OK);
    assert_int_equal(n, 0);
    assert_int_equal(r->n_ways, 4);
    OGR_G_DestroyGeometry(sq);
    OGR_G_DestroyGeometry(far);
    cc_roads_destroy(r);
    cc_profile_destroy(p);
}

static void test_added_roads(void **state)
{
    (void)state;
    cc_profile *p;
    assert_int_equal(cc_profile_load(ctx, "ambulance", &p), CC_OK);
    cc_roads *r = read_json("r.geojson", roads_json);
    /* A: starts 30 m from W0's end vertex; B: starts 20 m beside the middle of segment 1000-2000;
     * C: far from everything */
    cc_roads *add = read_json("a.geojson",
        TU_GEOJSON_HEAD
        "{\"type\":\"Feature\",\"properties\":{\"highway\":\"secondary\",\"surface\":\"gravel\"},\"geometry\":{\"type\":\"LineString\",\"coordinates\":[[2000,30],[2000,500]]}},"
        "{\"type\":\"Feature\",\"properties\":{\"highway\":\"secondary\"},\"geometry\":{\"type\":\"LineString\",\"coordinates\":[[1500,20],[1500,800]]}},"
        "{\"type\":\"Feature\",\"properties\":{\"highway\":\"secondary\"},\"geometry\":{\"type\":\"LineString\",\"coordinates\":[[5000,5000],[6000,5000]]}}"
        TU_GEOJSON_TAIL);
    size_t joined, loose;
    assert_int_equal(cc__roads_append(ctx, r, add, 50, p, &joined, &loose), CC_OK);
    assert_int_equal(joined, 2);
    assert_int_equal(loose, 4);
    assert_int_equal(r->n_ways, 5);
    assert_true(r->x[r->way_first[2]] == 2000 && r->y[r->way_first[2]] == 0); /* A moved onto W0's end */
    assert_true(r->x[r->way_first[3]] == 1500 && r->y[r->way_first[3]] == 0); /* B joined mid-segment ... */
    assert_true(has_vertex(r, 0, 1500, 0));                                     /* ... where W0 got a vertex */
    assert_int_equal(r->status[2], CC__WAY_ADDED);
    const char *surf = cc__strtab_get(&r->strings, r->surface[2]);
    assert_string_equal(surf, "gravel"); /* attributes come along */
    cc_graph *g = graph(r, p);
    double x, y;
    bool node_1500 = false;
    for (uint32_t i = 0; i < cc_graph_get_node_count(g); i++) {
        cc_graph_get_node_xy(g, i, &x, &y);
        node_1500 |= x == 1500 && y == 0;
    }
    assert_true(node_1500);
    assert_int_equal(cc_graph_get_scc_count(g), 2); /* the network with A and B, and C alone */
    cc_graph_destroy(g);
    cc_roads_destroy(add);
    cc_roads_destroy(r);
    cc_profile_destroy(p);
}

static const char wgs84[] = "GEOGCS[\"WGS 84\",DATUM[\"WGS_1984\",SPHEROID[\"WGS 84\",6378137,298.257223563]],"
                            "PRIMEM[\"Greenwich\",0],UNIT[\"degree\",0.0174532925199433],AUTHORITY[\"EPSG\",\"4326\"]]";

static void read_fac(cc__facilities *f)
{
    char path[160];
    snprintf(path, sizeof(path), "%s/f.csv", tu_tmpdir(tmp, sizeof(tmp)));
    tu_write(path, "lon,lat,name,tier\n117.1,34.1,A,hospital\n117.2,34.2,B,clinic\n117.3,34.3,C,clinic\n117.4,34.4,C,clinic\n");
    assert_int_equal(cc__facilities_read(ctx, path, NULL, wgs84, f), CC_OK);
    remove(path);
    rmdir(tmp);
}

static void test_facility_changes(void **state)
{
    (void)state;
    cc__facilities f;
    read_fac(&f);
    cc_facility_change ch[] = {
        {.kind = CC_FACILITY_SET_TIER, .id = -1, .name = "B", .tier = "station"},
        {.kind = CC_FACILITY_REMOVE, .id = 0},
        {.kind = CC_FACILITY_ADD, .id = -1, .name = "D", .lon = 117.5, .lat = 34.5, .tier = "hospital"},
    };
    assert_int_equal(cc__facilities_apply(ctx, &f, ch, 3, wgs84), CC_OK);
    assert_int_equal(f.n, 4);
    assert_string_equal(f.name[0], "B");
    assert_string_equal(f.tier_name[f.tier[0]], "station");
    assert_string_equal(f.name[3], "D");
    assert_string_equal(f.tier_name[f.tier[3]], "hospital");
    assert_true(f.x[3] == 117.5 && f.y[3] == 34.5 && f.lon[3] == 117.5);
    cc__facilities_free(&f);
    read_fac(&f);
    cc_facility_change amb = {.kind = CC_FACILITY_REMOVE, .id = -1, .name = "C"};
    assert_int_equal(cc__facilities_apply(ctx, &f, &amb, 1, wgs84), CC_ERR_INPUT);
    assert_non_null(strstr(cc_ctx_last_error(ctx), "2 facilities are named <C>"));
    cc_facility_change none = {.kind = CC_FACILITY_SET_TIER, .id = 9, .tier = "x"};
    assert_int_equal(cc__facilities_apply(ctx, &f, &none, 1, wgs84), CC_ERR_INPUT);
    assert_non_null(strstr(cc_ctx_last_error(ctx), "no facility with id 9"));
    cc__facilities_free(&f);
}

/* cc_report_count: the counts of the reports, the maps and the CLI's tables (one formatter). */
static void test_report_count(void **state)
{
    (void)state;
    static const struct {
        double v;
        const char *want;
    } cases[] = {{0, "0"},          {7, "7"},           {999, "999"},       {1000, "1,000"},         {1234567.8, "1,234,568"},
                 {-0.4, "0"},       {-1234, "-1,234"},  {999999.5, "1,000,000"}, {123456789012.0, "123,456,789,012"}};
    char buf[32];
    for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
        assert_ptr_equal(cc_report_count(cases[i].v, buf, sizeof(buf)), buf);
        assert_string_equal(buf, cases[i].want);
    }
    char small[5]; /* truncated, still a string */
    cc_report_count(1234567, small, sizeof(small));
    assert_true(strlen(small) < sizeof(small));
    assert_true(strncmp(small, "1,23", strlen(small)) == 0);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_surface_factors), cmocka_unit_test(test_close_ids), cmocka_unit_test(test_close_areas),
        cmocka_unit_test(test_added_roads), cmocka_unit_test(test_facility_changes), cmocka_unit_test(test_report_count),
    };
    return cmocka_run_group_tests(tests, tu_ctx_log_setup, tu_ctx_teardown);
}
