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
           "  --resolution M         travel-time grid cell in metres for village points (default 100)\n"
           "  --emergency            times from the facility to the patient (ambulances leaving emergency\n"
           "                         stations; oneway streets taken that way) plus the dispatch delay\n\n"
           "Emergency chain (dispatch + station -> patient + on scene + patient -> capable facility):\n"
           "  --chain                compute the chain (raster bands, chain_isochrones, summary.json chain)\n"
           "  --station-tiers LIST   tiers whose facilities dispatch ambulances (required with --chain)\n"
           "  --capable-tiers LIST   tiers that treat the key diseases (default county_hospital,sub_centre)\n"
           "  --dispatch-minutes D   dispatch delay (default 3), for --chain and --emergency\n"
           "  --on-scene-minutes S   time on scene (default 10)\n\n"
           "Capacity (facility_capacity, capacity_by_admin, access_index.tif, summary.json capacity):\n"
           "  --capacity FIELD       facility capacity field (people a facility can serve; empty = no limit):\n"
           "                         people go to the nearest facility with room within the threshold\n"
           "  --capacity-minutes T   that threshold, also the E2SFCA catchment (default --uncovered-minutes)\n\n"
           "Run:\n"
           "  --out DIR              output folder; replaced only when the run completes\n"
           "  --lang L               maps and report in zh, en or zh,en (default zh); also QGIS styles\n"
           "                         (layer_styles), project.qgs, travel_time.qml\n"
           "  --threads N            0 = all cores (default), -k = all but k\n"
           "  --quiet, --verbose     less or more on stderr\n");
}

enum {
    O_MINUTES = CLI_O_OWN, O_UNCOV, O_RES, O_OUT, O_THREADS, O_QUIET, O_VERBOSE, O_HELP, O_LANG, O_EMERG, O_CHAIN, O_STATIONS,
    O_CAPABLE, O_DISPATCH, O_ONSCENE, O_CAPACITY, O_CAPMIN
};

/* A number of minutes in [0, max] for @p opt; the library reads 0 as "default", so 0 is passed
 * as -1 ("none"). */
static int parse_minutes_opt(const char *opt, const char *s, double max, double *out)
{
    char *end;
    double v = strtod(s, &end);
    if (*end || end == s || !(v >= 0) || v > max) {
        cli_usage_error("coverage", "%s '%s' must be a number of minutes from 0 to %g", opt, s, max);
        return CLI_EXIT_USAGE;
    }
    *out = v == 0 ? -1 : v;
    return 0;
}

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
    double tot = r->population_total > 0 ? r->population_total : 1;
    printf("no road access: %s (%.1f%%), on roads without any facility reachable: %s (%.1f%%), beyond %g min: %s (%.1f%%)\n",
           cli_thousands(r->population_no_road_access, a, sizeof(a)), 100 * r->population_no_road_access / tot,
           cli_thousands(r->population_unreachable, b, sizeof(b)), 100 * r->population_unreachable / tot, r->minutes[r->n_minutes - 1],
           cli_thousands(r->population_beyond, c, sizeof(c)), 100 * r->population_beyond / tot);
    if (r->emergency) printf("times from the facility to the patient, dispatch delay %g min included\n", r->dispatch_minutes);
    if (r->capacity) {
        const cc_capacity_result *k = r->capacity;
        printf("capacity within %g min (nearest first): served %s (%.1f%%), unserved %s (%.1f%%), no facility within reach %s (%.1f%%); "
               "%u of %u facilities over capacity; E2SFCA mean %.3f per 1,000 people\n",
               k->minutes, cli_thousands(k->population_served, a, sizeof(a)), 100.0 * k->population_served / tot,
               cli_thousands(k->population_unserved_within, b, sizeof(b)), 100.0 * k->population_unserved_within / tot,
               cli_thousands(k->population_no_access, c, sizeof(c)), 100.0 * k->population_no_access / tot, k->facilities_over_capacity,
               k->facilities_with_capacity, k->mean_access_per_1000);
    }
    if (r->chain) {
        const cc_chain_result *ch = r->chain;
        printf("%-24s", "emergency chain");
        for (size_t k = 0; k < r->n_minutes; k++) {
            char cell[48];
            snprintf(cell, sizeof(cell), "%s (%5.1f%%)", cli_thousands(ch->population_within[k], a, sizeof(a)),
                     100.0 * ch->population_within[k] / tot);
            printf("%20s", cell);
        }
        printf("\nchain = dispatch %g + station -> patient (mean %.1f) + on scene %g + patient -> capable facility (mean %.1f) min; "
               "%u stations, %u capable facilities; no chain: %s (%.1f%%)\n",
               ch->dispatch_minutes, ch->mean_station_to_patient_s / 60.0, ch->on_scene_minutes, ch->mean_patient_to_capable_s / 60.0,
               ch->stations, ch->capable_facilities, cli_thousands(ch->population_without_chain, b, sizeof(b)),
               100.0 * ch->population_without_chain / tot);
    }
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
        {"lang", 1, 0, O_LANG}, {"emergency", 0, 0, O_EMERG}, {"chain", 0, 0, O_CHAIN}, {"station-tiers", 1, 0, O_STATIONS},
        {"capable-tiers", 1, 0, O_CAPABLE}, {"dispatch-minutes", 1, 0, O_DISPATCH}, {"on-scene-minutes", 1, 0, O_ONSCENE},
        {"capacity", 1, 0, O_CAPACITY}, {"capacity-minutes", 1, 0, O_CAPMIN},
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
        case O_THREADS:
            if (cli_parse_int("coverage", "--threads", optarg, &threads)) return CLI_EXIT_USAGE;
            break;
        case O_EMERG: o.emergency = true; break;
        case O_CHAIN: o.chain = true; break;
        case O_STATIONS: o.station_tiers = optarg; break;
        case O_CAPABLE: o.capable_tiers = optarg; break;
        case O_DISPATCH:
            if (parse_minutes_opt("--dispatch-minutes", optarg, 120, &o.dispatch_minutes)) return CLI_EXIT_USAGE;
            break;
        case O_ONSCENE:
            if (parse_minutes_opt("--on-scene-minutes", optarg, 240, &o.on_scene_minutes)) return CLI_EXIT_USAGE;
            break;
        case O_CAPACITY: o.in.capacity_field = optarg; break;
        case O_CAPMIN:
            o.capacity_minutes = strtod(optarg, &end);
            if (*end || end == optarg || !(o.capacity_minutes > 0) || o.capacity_minutes > 1440) {
                cli_usage_error("coverage", "--capacity-minutes '%s' must be a number of minutes above 0 and at most 1440", optarg);
                return CLI_EXIT_USAGE;
            }
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
