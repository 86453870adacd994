/* cmd_graph.c - `carecircle graph`: build the routable graph and report it, or export it as the
 * frozen problem that other tools load (nodes.csv, edges.csv). */
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "cli.h"

static void help(void)
{
    printf("Usage: carecircle graph --roads R [--export DIR] [options]\n\n"
           "Build the routable graph of R with a speed profile and print its size. With --export,\n"
           "write it as two CSV files that any tool can load:\n"
           "  DIR/nodes.csv  id,x,y,lon,lat    (x, y in the working CRS, metres; lon, lat in WGS84)\n"
           "  DIR/edges.csv  source,target,cost_ms    (one directed edge a line, integer milliseconds)\n"
           "Node ids are the engine's own (dense, 0-based, Hilbert order), so answers given by node id\n"
           "can be compared with carecircle's.\n\n"
           "Options:\n"
           "  --roads R              OSM .osm.pbf/.osm or any OGR line layer (GPKG, SHP, GeoJSON, PG:...)\n"
           "  --roads-layer NAME     layer of R (default: lines for OSM, else the first line layer)\n"
           "  --class-field F        road class field of R (default highway)\n"
           "  --speed-field F        km/h per road feature instead of the profile's class speeds\n"
           "  --profile NAME|FILE    ambulance (default), car, walk, or a YAML profile\n"
           "  --crs EPSG:n           working metric CRS (default: UTM zone of the roads' centre)\n"
           "  --order hilbert|input  node numbering (default hilbert: close in space, close in memory)\n"
           "  --export DIR           write DIR/nodes.csv and DIR/edges.csv (DIR is created if missing)\n"
           "  --json                 print the figures as one JSON object instead of text\n"
           "  --quiet, --verbose     less or more on stderr\n");
}

enum { O_ROADS = 256, O_ROADS_LAYER, O_CLASS, O_SPEED, O_PROFILE, O_CRS, O_ORDER, O_EXPORT, O_JSON };

static double now_s(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + 1e-9 * (double)ts.tv_nsec;
}

int cmd_graph(int argc, char **argv)
{
    static const struct option lo[] = {{"roads", 1, 0, O_ROADS},     {"roads-layer", 1, 0, O_ROADS_LAYER}, {"class-field", 1, 0, O_CLASS},
                                       {"speed-field", 1, 0, O_SPEED}, {"profile", 1, 0, O_PROFILE},       {"crs", 1, 0, O_CRS},
                                       {"order", 1, 0, O_ORDER},     {"export", 1, 0, O_EXPORT},           {"json", 0, 0, O_JSON},
                                       CLI_LOG_LONGOPTS,             {0, 0, 0, 0}};
    cc_roads_opts ro = {0};
    cc_graph_opts go = {.order = CC_ORDER_HILBERT};
    const char *roads_path = NULL, *profile_name = "ambulance", *export_dir = NULL;
    bool json = false;
    cli_cmd cmd = {.name = "graph", .help = help, .threads = 1};
    int c, rc;
    while ((c = cli_getopt(&cmd, argc, argv, ":h", lo)) != -1) {
        switch (c) {
        case CLI_OPT_EXIT: return cmd.rc;
        case O_ROADS: roads_path = optarg; break;
        case O_ROADS_LAYER: ro.layer = optarg; break;
        case O_CLASS: ro.class_field = optarg; break;
        case O_SPEED: ro.speed_field = optarg; break;
        case O_PROFILE: profile_name = optarg; break;
        case O_CRS: ro.crs = optarg; break;
        case O_ORDER:
            if (!strcmp(optarg, "hilbert")) {
                go.order = CC_ORDER_HILBERT;
            } else if (!strcmp(optarg, "input")) {
                go.order = CC_ORDER_INPUT;
            } else {
                return cli_usage_error("graph", "--order '%s' must be hilbert or input", optarg);
            }
            break;
        case O_EXPORT: export_dir = optarg; break;
        case O_JSON: json = true; break;
        }
    }
    if ((rc = cli_no_operands(&cmd, argc, argv)) || (rc = cli_require(&cmd, roads_path ? NULL : "--roads"))) return rc;
    if (export_dir && !*export_dir) return cli_usage_error("graph", "--export needs a folder name");
    cli_env env;
    if ((rc = cli_cmd_setup(&cmd, &env, true))) return rc;
    cc_profile *prof = NULL;
    cc_roads *roads = NULL;
    cc_graph *g = NULL;
    cc_status st;
    double t0 = now_s(), t_read, t_build, t_export = 0;
    if (export_dir && (st = cc_output_dir_check(env.ctx, export_dir))) goto fail; /* before any work */
    if ((st = cc_profile_load(env.ctx, profile_name, &prof))) goto fail;
    if ((st = cc_roads_read(env.ctx, roads_path, &ro, &roads))) goto fail;
    t_read = now_s() - t0;
    t0 = now_s();
    if ((st = cc_graph_build(env.ctx, roads, prof, &go, &g))) goto fail;
    t_build = now_s() - t0;
    if (export_dir) {
        t0 = now_s();
        if ((st = cc_graph_export(env.ctx, g, export_dir))) goto fail;
        t_export = now_s() - t0;
    }
    {
        uint32_t n = cc_graph_get_node_count(g), m = cc_graph_get_edge_count(g);
        size_t rb = cc_graph_get_routing_bytes(g), gb = cc_graph_get_geometry_bytes(g);
        if (json) {
            printf("{\"roads\": \"%s\", \"profile\": \"%s\", \"crs\": \"%s\", \"order\": \"%s\", \"ways\": %zu, \"way_vertices\": %zu, "
                   "\"nodes\": %u, \"edges\": %u, \"arcs\": %u, \"scc_count\": %u, \"largest_scc\": %u, \"routing_bytes\": %zu, "
                   "\"geometry_bytes\": %zu, \"read_s\": %.6f, \"build_s\": %.6f, \"export_s\": %.6f%s%s%s}\n",
                   roads_path, cc_profile_get_name(prof), cc_roads_get_crs_name(roads), go.order == CC_ORDER_INPUT ? "input" : "hilbert",
                   cc_roads_get_way_count(roads), cc_roads_get_vertex_count(roads), n, m, cc_graph_get_arc_count(g), cc_graph_get_scc_count(g),
                   cc_graph_get_largest_scc(g), rb, gb, t_read, t_build, t_export, export_dir ? ", \"export\": \"" : "",
                   export_dir ? export_dir : "", export_dir ? "\"" : "");
        } else {
            char a[32], b[32];
            printf("carecircle graph: %s nodes, %s directed edges, %u arcs from %zu ways (profile %s, %s)\n", cc_report_count(n, a, sizeof(a)),
                   cc_report_count(m, b, sizeof(b)), cc_graph_get_arc_count(g), cc_roads_get_way_count(roads), cc_profile_get_name(prof),
                   cc_roads_get_crs_name(roads));
            printf("strongly connected components: %u, the largest has %u nodes (%.1f%%)\n", cc_graph_get_scc_count(g),
                   cc_graph_get_largest_scc(g), n ? 100.0 * cc_graph_get_largest_scc(g) / n : 0.0);
            printf("memory: routing %zu B (%.1f B per node + edge pair), arc geometry %zu B\n", rb, n ? (double)rb / n : 0.0, gb);
            printf("time: read %.3f s, build %.3f s%s", t_read, t_build, export_dir ? "" : "\n");
            if (export_dir) printf(", export %.3f s\nexported: %s/nodes.csv %s/edges.csv\n", t_export, export_dir, export_dir);
        }
    }
    goto done;
fail:
    rc = cli_fail(&env, st);
done:
    cc_graph_destroy(g);
    cc_roads_destroy(roads);
    cc_profile_destroy(prof);
    cli_teardown(&env);
    return rc;
}
