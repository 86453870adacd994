/* cmd_coverage.c - `carecircle coverage`: options -> cc_coverage_run -> a readable table. */
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli.h"

static void help(void)
{
    printf("Usage: carecircle coverage --roads R --population P --facilities F --out DIR [options]\n\n"
           "Who can reach care within each threshold: writes DIR/travel_time.tif (COG, minutes),\n"
           "DIR/coverage.gpkg (isochrones, catchments, facilities, demand_uncovered,\n"
           "coverage_by_admin) and DIR/summary.json, and prints a table.\n\n"
           "Inputs:\n"
           "  --roads R              OSM .osm.pbf/.osm or any OGR line layer (GPKG, SHP, GeoJSON, PG:...)\n"
           "  --roads-layer NAME     layer of R (default: lines for OSM, else the first line layer)\n"
           "  --class-field F        road class field of R (default highway)\n"
           "  --speed-field F        km/h per road feature instead of the profile's class speeds\n"
           "  --population P         population raster (people per cell) or village points\n"
           "  --population-field F   population field of village points (default population or pop)\n"
           "  --facilities F         facility points (GPKG, GeoJSON, SHP, or CSV with lon/lat columns)\n"
           "  --lon-field F --lat-field F   coordinate columns of a CSV (default lon/lat, x/y, ...)\n"
           "  --tier-field F         facility tier field (default tier, when present)\n"
           "  --tiers MAP            value=name pairs, e.g. 1=health_post,2=health_centre,3=hospital,4=hospital\n"
           "  --name-field F         facility name field (default name)\n"
           "  --facility-where SQL   OGR filter on facilities, e.g. \"amenity IN ('hospital','clinic')\"\n"
           "  --admin A              admin-area polygons (townships) for coverage_by_admin\n"
           "  --admin-name-field F   --admin-code-field F   (default name, code)\n\n"
           "Model:\n"
           "  --profile NAME|FILE    ambulance (default), car, walk, or a YAML profile\n"
           "  --minutes LIST         thresholds in minutes (default 15,30,60)\n"
           "  --uncovered-minutes T  threshold for demand_uncovered (default 30)\n"
           "  --crs EPSG:n           working metric CRS (default: UTM zone of the roads' centre)\n"
           "  --resolution M         travel-time grid cell in metres for village points (default 100)\n\n"
           "Run:\n"
           "  --out DIR              output folder; replaced only when the run completes\n"
           "  --lang L               maps and report in zh, en or zh,en (default zh); also QGIS styles\n"
           "                         (layer_styles), project.qgs, travel_time.qml\n"
           "  --title TEXT           title of the maps and report (default: a generic one)\n"
           "  --headline TIERS       comma list of the tiers that count as capable care in the headline\n"
           "                         figure, maps and report (default: the highest level present,\n"
           "                         e.g. county_hospital; every tier stays in the tables)\n"
           "  --threads N            0 = all cores (default), -k = all but k\n"
           "  --quiet, --verbose     less or more on stderr\n");
}

enum {
    O_MINUTES = CLI_O_OWN, O_UNCOV, O_RES, O_OUT, O_THREADS, O_QUIET, O_VERBOSE, O_HELP, O_LANG, O_HEADLINE, O_TITLE
};

void cli_print_coverage(const cc_coverage_result *r, const char *out_dir)
{
    char a[32], b[32], c[32];
    printf("carecircle coverage: %s people, %u facilities (%u joined to roads), profile %s, %s\n",
           cli_thousands(r->population_total, a, sizeof(a)), r->facilities_total, r->facilities_snapped, r->profile_name, r->crs_name);
    printf("%-24s", "population within");
    for (size_t k = 0; k < r->n_minutes; k++) {
        char h[32];
        snprintf(h, sizeof(h), "%g min", r->minutes[k]);
        printf("%20s", h);
    }
    printf("\n");
    for (size_t t = 0; t <= r->n_tiers; t++) {
        const double *w = t == 0 ? r->population_within : r->tiers[t - 1].population_within;
        char name[64];
        snprintf(name, sizeof(name), "%s", t == 0 ? "all facilities" : r->tiers[t - 1].name);
        printf("%-24.24s", name);
        for (size_t k = 0; k < r->n_minutes; k++) {
            char cell[48];
            double share = r->population_total > 0 ? 100.0 * w[k] / r->population_total : 0;
            snprintf(cell, sizeof(cell), "%s (%5.1f%%)", cli_thousands(w[k], a, sizeof(a)), share);
            printf("%20s", cell);
        }
        printf("\n");
    }
    if (r->n_headline) {
        printf("%-24s", "headline:");
        for (size_t k = 0; k < r->n_headline; k++) printf("%s%s", k ? "+" : "", r->headline_tiers[k]);
        printf("\n");
    }
    double tot = r->population_total > 0 ? r->population_total : 1;
    printf("no road access: %s (%.1f%%), on roads without any facility reachable: %s (%.1f%%), beyond %g min: %s (%.1f%%)\n",
           cli_thousands(r->population_no_road_access, a, sizeof(a)), 100 * r->population_no_road_access / tot,
           cli_thousands(r->population_unreachable, b, sizeof(b)), 100 * r->population_unreachable / tot, r->minutes[r->n_minutes - 1],
           cli_thousands(r->population_beyond, c, sizeof(c)), 100 * r->population_beyond / tot);
    printf("graph: %u nodes from %zu way vertices, %u edges; %.2f s (load %.2f, graph %.3f, snap %.3f, search %.3f, polygons %.2f, write %.2f)\n",
           r->graph_nodes, r->way_vertices, r->graph_edges, r->t_total_s, r->t_load_s, r->t_graph_s, r->t_snap_s, r->t_search_s,
           r->t_polygons_s, r->t_write_s);
    printf("outputs: %s/travel_time.tif %s/coverage.gpkg %s/summary.json %s/project.qgs\n", out_dir, out_dir, out_dir, out_dir);
}

int cmd_coverage(int argc, char **argv)
{
    static const struct option lo[] = {
        CLI_INPUT_LONGOPTS,
        {"minutes", 1, 0, O_MINUTES},
        {"uncovered-minutes", 1, 0, O_UNCOV}, {"resolution", 1, 0, O_RES}, {"out", 1, 0, O_OUT},
        {"threads", 1, 0, O_THREADS}, {"quiet", 0, 0, O_QUIET}, {"verbose", 0, 0, O_VERBOSE}, {"help", 0, 0, O_HELP},
        {"lang", 1, 0, O_LANG}, {"headline", 1, 0, O_HEADLINE}, {"title", 1, 0, O_TITLE},
        {0, 0, 0, 0}};
    cc_coverage_opts o = {0};
    cc_report_opts rep = {0};
    o.report = &rep;
    double minutes[CC_MAX_BANDS];
    bool quiet = false, verbose = false;
    int threads = 0, c;
    char *end;
    opterr = 0;
    optind = 1;
    while ((c = getopt_long(argc, argv, ":h", lo, NULL)) != -1) {
        switch (c) {
        CLI_INPUT_CASES(o);
        case O_MINUTES:
            if (cli_parse_minutes("coverage", optarg, minutes, &o.n_minutes)) return CLI_EXIT_USAGE;
            o.minutes = minutes;
            break;
        case O_UNCOV:
            o.uncovered_minutes = strtod(optarg, &end);
            if (*end || end == optarg || !(o.uncovered_minutes > 0)) {
                cli_usage_error("coverage", "--uncovered-minutes '%s' must be a number above 0", optarg);
                return CLI_EXIT_USAGE;
            }
            break;
        case O_RES:
            o.in.resolution_m = strtod(optarg, &end);
            if (*end || end == optarg || !(o.in.resolution_m > 0)) {
                cli_usage_error("coverage", "--resolution '%s' must be a number of metres above 0", optarg);
                return CLI_EXIT_USAGE;
            }
            break;
        case O_OUT: o.out_dir = optarg; break;
        case O_LANG:
            if (strcmp(optarg, "zh") && strcmp(optarg, "en") && strcmp(optarg, "zh,en") && strcmp(optarg, "en,zh")) {
                cli_usage_error("coverage", "--lang '%s' must be zh, en or zh,en", optarg);
                return CLI_EXIT_USAGE;
            }
            rep.lang = optarg;
            break;
        case O_HEADLINE: o.headline = optarg; break;
        case O_TITLE: rep.title_zh = rep.title_en = optarg; break;
        case O_THREADS:
            if (cli_parse_int("coverage", "--threads", optarg, &threads)) return CLI_EXIT_USAGE;
            break;
        case O_QUIET: quiet = true; break;
        case O_VERBOSE: verbose = true; break;
        case 'h':
        case O_HELP: help(); return CLI_EXIT_OK;
        case ':': cli_usage_error("coverage", "option '%s' needs a value", argv[optind - 1]); return CLI_EXIT_USAGE;
        default: cli_usage_error("coverage", "unknown option '%s'", argv[optind - 1]); return CLI_EXIT_USAGE;
        }
    }
    if (optind < argc) {
        cli_usage_error("coverage", "unexpected argument '%s'", argv[optind]);
        return CLI_EXIT_USAGE;
    }
    const char *missing = !o.in.roads ? "--roads" : !o.in.population ? "--population" : !o.in.facilities ? "--facilities" : !o.out_dir ? "--out" : NULL;
    if (missing) {
        cli_usage_error("coverage", "%s is required", missing);
        return CLI_EXIT_USAGE;
    }
    cli_env env;
    int rc = cli_setup(&env, quiet, verbose, threads);
    if (rc) return rc;
    env.flags = true;
    cc_coverage_result *r = NULL;
    cc_status st = cc_coverage_run(env.ctx, &o, &r);
    if (st) {
        rc = cli_fail(&env, st);
    } else {
        cli_print_coverage(r, o.out_dir);
        cc_coverage_result_destroy(r);
    }
    cli_teardown(&env);
    return rc;
}
