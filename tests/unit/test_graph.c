/* test_graph.c - graph building on a hand-made layer with known nodes, arcs, costs and SCCs. */
#include "test_util.h"
#include "graph/graph_internal.h"

/*
 *  (0,1000) <-L6 oneway-- (1000,1000)
 *                              |  L2
 *     L4 bridge   L3           |
 *  (0,0)--+--(500,0)--------(1000,0)      L1 = (0,0)-(500,0)-(1000,0), tertiary 50 km/h
 *         |    |                          L3 = (500,-500)-(500,0)-(500,500) residential 30
 *                                         L4 = (250,-300)-(250,300) secondary, crosses L1 with no shared vertex
 *  L5 footway (1000,1000)-(2000,1000); L7 unknown class (0,0)-(0,-100)
 */
static const char *cross_json =
    TU_GEOJSON_HEAD
    "{\"type\":\"Feature\",\"properties\":{\"highway\":\"tertiary\"},\"geometry\":{\"type\":\"LineString\",\"coordinates\":[[0,0],[500,0],[1000,0]]}},"
    "{\"type\":\"Feature\",\"properties\":{\"highway\":\"tertiary\"},\"geometry\":{\"type\":\"LineString\",\"coordinates\":[[1000,0],[1000,1000]]}},"
    "{\"type\":\"Feature\",\"properties\":{\"highway\":\"residential\"},\"geometry\":{\"type\":\"LineString\",\"coordinates\":[[500,-500],[500,0],[500,500]]}},"
    "{\"type\":\"Feature\",\"properties\":{\"highway\":\"secondary\"},\"geometry\":{\"type\":\"LineString\",\"coordinates\":[[250,-300],[250,300]]}},"
    "{\"type\":\"Feature\",\"properties\":{\"highway\":\"footway\"},\"geometry\":{\"type\":\"LineString\",\"coordinates\":[[1000,1000],[2000,1000]]}},"
    "{\"type\":\"Feature\",\"properties\":{\"highway\":\"unclassified\",\"oneway\":\"yes\"},\"geometry\":{\"type\":\"LineString\",\"coordinates\":[[1000,1000],[0,1000]]}},"
    "{\"type\":\"Feature\",\"properties\":{\"highway\":\"bus_guideway\"},\"geometry\":{\"type\":\"LineString\",\"coordinates\":[[0,0],[0,-100]]}},"
    "{\"type\":\"Feature\",\"properties\":{\"highway\":\"tertiary\"},\"geometry\":{\"type\":\"LineString\",\"coordinates\":[[7,7]]}}"
    TU_GEOJSON_TAIL;

static uint32_t node_at(const cc_graph *g, double x, double y)
{
    for (uint32_t i = 0; i < cc_graph_get_node_count(g); i++) {
        double nx, ny;
        cc_graph_get_node_xy(g, i, &nx, &ny);
        if (nx == x && ny == y) return i;
    }
    return CC_INVALID_ID;
}

/* cost of the edge u -> v, or CC_INF_COST */
static uint32_t edge_cost(const cc_graph *g, uint32_t u, uint32_t v)
{
    const uint32_t *first;
    const cc_edge *e;
    cc_graph_get_csr_ref(g, &first, &e);
    for (uint32_t k = first[u]; k < first[u + 1]; k++)
        if (e[k].head == v) return e[k].cost_ms;
    return CC_INF_COST;
}

static void build(cc_node_order order, cc_graph **g, cc_roads **r)
{
    char dir[64], path[128];
    tu_tmpdir(dir, sizeof(dir));
    snprintf(path, sizeof(path), "%s/roads.geojson", dir);
    tu_write(path, cross_json);
    cc_roads_opts ro = {.crs = "EPSG:32650"};
    cc_profile *p;
    assert_int_equal(cc_profile_load(ctx, "ambulance", &p), CC_OK);
    tu_logged.warnings = 0;
    assert_int_equal(cc_roads_read(ctx, path, &ro, r), CC_OK);
    assert_int_equal(tu_logged.warnings, 1); /* the single-vertex line */
    assert_non_null(strstr(tu_logged.last, "1 empty or single-vertex"));
    cc_graph_opts go = {.order = order};
    assert_int_equal(cc_graph_build(ctx, *r, p, &go, g), CC_OK);
    assert_int_equal(tu_logged.warnings, 2); /* + the unknown class */
    assert_non_null(strstr(tu_logged.last, "bus_guideway (1)"));
    cc_profile_destroy(p);
    remove(path);
    rmdir(dir);
}

static void check_cross(cc_node_order order)
{
    cc_graph *g;
    cc_roads *r;
    build(order, &g, &r);
    assert_int_equal(cc_roads_get_way_count(r), 7);
    assert_int_equal(cc_graph_get_node_count(g), 9);
    assert_int_equal(cc_graph_get_arc_count(g), 7);
    assert_int_equal(cc_graph_get_edge_count(g), 13);
    uint32_t o = node_at(g, 0, 0), m = node_at(g, 500, 0), e = node_at(g, 1000, 0), ne = node_at(g, 1000, 1000), nw = node_at(g, 0, 1000);
    assert_int_not_equal(m, CC_INVALID_ID);
    assert_int_equal(node_at(g, 250, 0), CC_INVALID_ID); /* the bridge makes no junction */
    assert_int_not_equal(node_at(g, 250, 300), CC_INVALID_ID);
    assert_int_equal(edge_cost(g, o, m), 36000);   /* 500 m at 50 km/h */
    assert_int_equal(edge_cost(g, m, o), 36000);
    assert_int_equal(edge_cost(g, e, ne), 72000);  /* 1000 m at 50 km/h */
    assert_int_equal(edge_cost(g, ne, nw), 90000); /* 1000 m at 40 km/h, one way */
    assert_int_equal(edge_cost(g, nw, ne), CC_INF_COST);
    assert_int_equal(edge_cost(g, node_at(g, 500, -500), m), 60000); /* 500 m at 30 km/h */
    assert_int_equal(edge_cost(g, node_at(g, 250, -300), node_at(g, 250, 300)), 36000); /* 600 m at 60 */
    assert_int_equal(cc_graph_get_scc_count(g), 3);
    assert_int_equal(cc_graph_get_largest_scc(g), 6);
    assert_int_equal(g->n_way_vertices, 12);
    cc_graph_destroy(g);
    cc_roads_destroy(r);
}

static void test_cross_hilbert(void **state)
{
    (void)state;
    check_cross(CC_ORDER_HILBERT);
}

static void test_cross_input_order(void **state)
{
    (void)state;
    check_cross(CC_ORDER_INPUT);
}

static void test_no_drivable(void **state)
{
    (void)state;
    char dir[64], path[128];
    tu_tmpdir(dir, sizeof(dir));
    snprintf(path, sizeof(path), "%s/roads.geojson", dir);
    tu_write(path, TU_GEOJSON_HEAD "{\"type\":\"Feature\",\"properties\":{\"highway\":\"footway\"},\"geometry\":{\"type\":\"LineString\",\"coordinates\":[[0,0],[1,1]]}}" TU_GEOJSON_TAIL);
    cc_roads *r;
    cc_graph *g = NULL;
    cc_profile *p;
    assert_int_equal(cc_roads_read(ctx, path, NULL, &r), CC_OK);
    assert_int_equal(cc_profile_load(ctx, "ambulance", &p), CC_OK);
    assert_int_equal(cc_graph_build(ctx, r, p, NULL, &g), CC_ERR_INPUT);
    assert_null(g);
    assert_non_null(strstr(cc_ctx_last_error(ctx), "No road is drivable with profile <ambulance>"));
    cc_profile_destroy(p);
    cc_roads_destroy(r);
    remove(path);
    rmdir(dir);
}

static void test_roads_errors(void **state)
{
    (void)state;
    char dir[64], path[160];
    cc_roads *r = NULL;
    tu_tmpdir(dir, sizeof(dir));
    assert_int_equal(cc_roads_read(ctx, "/nonexistent/roads.gpkg", NULL, &r), CC_ERR_IO);
    assert_non_null(strstr(cc_ctx_last_error(ctx), "'/nonexistent/roads.gpkg'"));
    snprintf(path, sizeof(path), "%s/empty.geojson", dir);
    tu_write(path, TU_GEOJSON_HEAD TU_GEOJSON_TAIL);
    assert_int_equal(cc_roads_read(ctx, path, NULL, &r), CC_ERR_INPUT);
    remove(path);
    snprintf(path, sizeof(path), "%s/points.geojson", dir);
    tu_write(path, TU_GEOJSON_HEAD "{\"type\":\"Feature\",\"properties\":{\"highway\":\"primary\"},\"geometry\":{\"type\":\"Point\",\"coordinates\":[0,0]}}" TU_GEOJSON_TAIL);
    assert_int_equal(cc_roads_read(ctx, path, NULL, &r), CC_ERR_INPUT);
    assert_non_null(strstr(cc_ctx_last_error(ctx), "no line geometries"));
    remove(path);
    snprintf(path, sizeof(path), "%s/noclass.geojson", dir);
    tu_write(path, TU_GEOJSON_HEAD "{\"type\":\"Feature\",\"properties\":{\"kind\":\"primary\"},\"geometry\":{\"type\":\"LineString\",\"coordinates\":[[0,0],[1,1]]}}" TU_GEOJSON_TAIL);
    assert_int_equal(cc_roads_read(ctx, path, NULL, &r), CC_ERR_INPUT);
    assert_non_null(strstr(cc_ctx_last_error(ctx), "has no road class field <highway> (fields: kind)"));
    cc_roads_opts ro = {.speed_field = "kind"};
    assert_int_equal(cc_roads_read(ctx, path, &ro, &r), CC_ERR_INPUT); /* "primary" is no speed */
    cc_roads_opts geo = {.crs = "EPSG:4326"};
    assert_int_equal(cc_roads_read(ctx, path, &geo, &r), CC_ERR_INPUT);
    remove(path);
    snprintf(path, sizeof(path), "%s/ok.geojson", dir);
    tu_write(path, TU_GEOJSON_HEAD "{\"type\":\"Feature\",\"properties\":{\"highway\":\"primary\"},\"geometry\":{\"type\":\"LineString\",\"coordinates\":[[0,0],[1,1]]}}" TU_GEOJSON_TAIL);
    assert_int_equal(cc_roads_read(ctx, path, &geo, &r), CC_ERR_CRS); /* not a metric CRS */
    assert_non_null(strstr(cc_ctx_last_error(ctx), "not a projected CRS"));
    assert_null(r);
    remove(path);
    rmdir(dir);
}

/* A cost view over a graph built with one profile, with the speeds of another that allows the same
 * directions, equals the graph built with the other profile: arc costs and both CSRs, edge by edge
 * (what batch variants that only change speeds share, issue 19). */
static void test_cost_view(void **state)
{
    (void)state;
    char dir[64], path[128];
    tu_tmpdir(dir, sizeof(dir));
    snprintf(path, sizeof(path), "%s/roads.geojson", dir);
    tu_write(path, cross_json);
    cc_roads_opts ro = {.crs = "EPSG:32650"};
    cc_roads *r = NULL;
    cc_profile *pa = NULL, *pb = NULL;
    assert_int_equal(cc_roads_read(ctx, path, &ro, &r), CC_OK);
    assert_int_equal(cc_profile_load(ctx, "ambulance", &pa), CC_OK);
    assert_int_equal(cc_profile_load(ctx, "ambulance", &pb), CC_OK);
    assert_int_equal(cc_profile_scale_class(ctx, pb, "tertiary", 0.7), CC_OK);
    assert_int_equal(cc_profile_scale_class(ctx, pb, NULL, 1.13), CC_OK);
    cc_graph *ga = NULL, *gb = NULL, *view = NULL;
    assert_int_equal(cc_graph_build(ctx, r, pa, NULL, &ga), CC_OK);
    assert_int_equal(cc_graph_build(ctx, r, pb, NULL, &gb), CC_OK);
    float *kmh = NULL;
    uint8_t *wdir = NULL, *adir = NULL;
    float *akmh = NULL;
    size_t nd = 0, nda = 0;
    assert_int_equal(cc__graph_way_speeds(ctx, r, pb, &kmh, &wdir, &nd), CC_OK);
    assert_int_equal(cc__graph_way_speeds(ctx, r, pa, &akmh, &adir, &nda), CC_OK);
    assert_int_equal(nd, nda);
    assert_memory_equal(wdir, adir, cc_roads_get_way_count(r)); /* same topology */
    assert_int_equal(cc__graph_cost_view(ctx, ga, kmh, wdir, &view), CC_OK);
    assert_int_equal(view->n_edges, gb->n_edges);
    assert_int_equal(view->n_arcs, gb->n_arcs);
    size_t differ = 0;
    for (uint32_t a = 0; a < gb->n_arcs; a++) {
        assert_int_equal(view->arc_cost_f[a], gb->arc_cost_f[a]);
        assert_int_equal(view->arc_cost_b[a], gb->arc_cost_b[a]);
        differ += ga->arc_cost_f[a] != gb->arc_cost_f[a];
    }
    assert_true(differ > 0); /* the speeds did change */
    for (uint32_t e = 0; e < gb->n_edges; e++) {
        assert_int_equal(view->fwd[e].head, gb->fwd[e].head);
        assert_int_equal(view->fwd[e].cost_ms, gb->fwd[e].cost_ms);
        assert_int_equal(view->bwd[e].head, gb->bwd[e].head);
        assert_int_equal(view->bwd[e].cost_ms, gb->bwd[e].cost_ms);
    }
    /* the view's own arrays only: the base is untouched and freed on its own */
    cc__graph_view_destroy(view);
    cc_graph_destroy(ga);
    cc_graph_destroy(gb);
    free(kmh);
    free(wdir);
    free(akmh);
    free(adir);
    cc_profile_destroy(pa);
    cc_profile_destroy(pb);
    cc_roads_destroy(r);
    remove(path);
    rmdir(dir);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_cross_hilbert), cmocka_unit_test(test_cross_input_order), cmocka_unit_test(test_no_drivable),
        cmocka_unit_test(test_roads_errors), cmocka_unit_test(test_cost_view),
    };
    return cmocka_run_group_tests(tests, tu_ctx_log_setup, tu_ctx_teardown);
}
