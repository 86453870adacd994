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
           "  --admin-name-field F   --admin-code-field F   (default name, code)\n"
           "  --encoding E           text of CSV files and shapefiles: GBK, UTF-8, ... (default: detected)\n\n"
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
           CLI_OFFROAD_HELP
           "Run:\n"
           "  --out DIR              output folder; replaced only when the run completes\n"
           "  --lang L               maps and report in zh, en or zh,en (default zh); also QGIS styles\n"
           "                         (layer_styles), project.qgs, travel_time.qml\n"
           "  --title TEXT           title of the maps and report (default: a generic one)\n"
           "  --outputs LIST         what to write besides summary.json: raster (travel_time.tif), gpkg\n"
           "                         (coverage.gpkg), tables (access_by_village, referrals), report\n"
           "                         (styles, project.qgs, maps, HTML; needs raster and gpkg), summary\n"
           "                         (nothing else), all (default)\n"
           "  --headline TIERS       comma list of the tiers that count as capable care in the headline\n"
           "                         figure, maps and report (default: the highest level present,\n"
           "                         e.g. county_hospital; every tier stays in the tables)\n"
           "  --threads N            0 = all cores (default), -k = all but k\n"
           CLI_CACHE_HELP
           "  --quiet, --verbose     less or more on stderr\n");
}

enum {
    O_UNCOV = CLI_O_OWN, O_RES, O_OUT, O_LANG, O_HEADLINE, O_TITLE,
    O_EMERG, O_CHAIN, O_STATIONS, O_CAPABLE, O_DISPATCH, O_ONSCENE, O_CAPACITY, O_CAPMIN, O_OUTPUTS
};

/* Tiers by level (hospital, emergency station, township centre, village clinic or health post,
 * the rest in their order), as the report lists them. */
static int tier_level(const char *t)
{
    if (strstr(t, "hospital")) return 0;
    if (strstr(t, "emergency") || strstr(t, "station") || strstr(t, "ambulance")) return 1;
    if (strstr(t, "township") || strstr(t, "centre") || strstr(t, "center")) return 2;
    if (strstr(t, "village") || strstr(t, "clinic") || strstr(t, "post")) return 3;
    return 4;
}

/* A number of minutes in [0, max] for @p opt; the library reads 0 as "default", so 0 is passed
 * as -1 ("none"). */
static int parse_minutes_opt(const char *opt, const char *s, double max, double *out)
{
    char *end;
    double v = cc_strtod(s, &end);
    if (*end || end == s || !(v >= 0) || v > max) return cli_usage_error("coverage", "%s '%s' must be a number of minutes from 0 to %g", opt, s, max);
    *out = v == 0 ? -1 : v;
    return 0;
}

void cli_print_coverage(const char *cmd, const cc_coverage_result *r, const char *out_dir)
{
    char a[32], b[32], c[32];
    size_t order[64], n_order = 0;
    for (int lv = 0; lv <= 4; lv++)
        for (size_t t = 0; t < r->n_tiers && n_order < 64; t++)
            if (tier_level(r->tiers[t].name) == lv) order[n_order++] = t;
    printf("carecircle %s: %s people, %u facilities (%u %s), profile %s, %s\n", cmd, cc_report_count(r->population_total, a, sizeof(a)),
           r->facilities_total, r->facilities_snapped, r->offroad.used ? "on passable cells" : "joined to roads", r->profile_name,
           r->crs_name);
    printf("%-24s", "population within");
    for (size_t k = 0; k < r->n_minutes; k++) {
        char h[32];
        snprintf(h, sizeof(h), "%g min", r->minutes[k]);
        printf("%20s", h);
    }
    printf("\n");
    for (size_t tt = 0; tt <= n_order; tt++) {
        size_t t = tt ? order[tt - 1] + 1 : 0;
        const double *w = t == 0 ? r->population_within : r->tiers[t - 1].population_within;
        const char *name = t == 0 ? "all facilities" : r->tiers[t - 1].name;
        printf("%-24.*s", cli_fit(name, 24), name);
        for (size_t k = 0; k < r->n_minutes; k++) {
            char cell[48];
            double share = r->population_total > 0 ? 100.0 * w[k] / r->population_total : 0;
            snprintf(cell, sizeof(cell), "%s (%5.1f%%)", cc_report_count(w[k], a, sizeof(a)), share);
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
    if (r->offroad.used) {
        const cc_offroad_result *q = &r->offroad;
        printf("on impassable cells (water, nodata, outside the surface): %s (%.1f%%), enclosed by barriers: %s (%.1f%%), beyond %g min: %s (%.1f%%)\n",
               cc_report_count(r->population_no_road_access, a, sizeof(a)), 100 * r->population_no_road_access / tot,
               cc_report_count(r->population_unreachable, b, sizeof(b)), 100 * r->population_unreachable / tot, r->minutes[r->n_minutes - 1],
               cc_report_count(r->population_beyond, c, sizeof(c)), 100 * r->population_beyond / tot);
        printf("friction model (%d neighbours): mean %.1f min off-road + %.1f min on roads; road on foot within 15/30/60 min: %.1f%% / %.1f%% / %.1f%%\n",
               q->neighbours, q->mean_offroad_min, q->mean_road_min, 100 * q->population_road_on_foot[0] / tot,
               100 * q->population_road_on_foot[1] / tot, 100 * q->population_road_on_foot[2] / tot);
    } else {
        printf("no road access: %s (%.1f%%), on roads without any facility reachable: %s (%.1f%%), beyond %g min: %s (%.1f%%)\n",
               cc_report_count(r->population_no_road_access, a, sizeof(a)), 100 * r->population_no_road_access / tot,
               cc_report_count(r->population_unreachable, b, sizeof(b)), 100 * r->population_unreachable / tot, r->minutes[r->n_minutes - 1],
               cc_report_count(r->population_beyond, c, sizeof(c)), 100 * r->population_beyond / tot);
    }
    if (r->emergency) printf("times from the facility to the patient, dispatch delay %g min included\n", r->dispatch_minutes);
    if (r->capacity) {
        const cc_capacity_result *k = r->capacity;
        printf("capacity within %g min (nearest first): served %s (%.1f%%), unserved %s (%.1f%%), no facility within reach %s (%.1f%%); "
               "%u of %u facilities over capacity; E2SFCA mean %.3f per 1,000 people\n",
               k->minutes, cc_report_count(k->population_served, a, sizeof(a)), 100.0 * k->population_served / tot,
               cc_report_count(k->population_unserved_within, b, sizeof(b)), 100.0 * k->population_unserved_within / tot,
               cc_report_count(k->population_no_access, c, sizeof(c)), 100.0 * k->population_no_access / tot, k->facilities_over_capacity,
               k->facilities_with_capacity, k->mean_access_per_1000);
    }
    if (r->chain) {
        const cc_chain_result *ch = r->chain;
        printf("%-24s", "emergency chain");
        for (size_t k = 0; k < r->n_minutes; k++) {
            char cell[48];
            snprintf(cell, sizeof(cell), "%s (%5.1f%%)", cc_report_count(ch->population_within[k], a, sizeof(a)),
                     100.0 * ch->population_within[k] / tot);
            printf("%20s", cell);
        }
        printf("\nchain = dispatch %g + station -> patient (mean %.1f) + on scene %g + patient -> capable facility (mean %.1f) min; "
               "%u stations, %u capable facilities; no chain: %s (%.1f%%)\n",
               ch->dispatch_minutes, ch->mean_station_to_patient_s / 60.0, ch->on_scene_minutes, ch->mean_patient_to_capable_s / 60.0,
               ch->stations, ch->capable_facilities, cc_report_count(ch->population_without_chain, b, sizeof(b)),
               100.0 * ch->population_without_chain / tot);
    }
    printf("graph: %u nodes from %zu way vertices, %u edges; %.2f s (load %.2f, graph %.3f, snap %.3f, search %.3f, polygons %.2f, write %.2f)\n",
           r->graph_nodes, r->way_vertices, r->graph_edges, r->t_total_s, r->t_load_s, r->t_graph_s, r->t_snap_s, r->t_search_s,
           r->t_polygons_s, r->t_write_s);
    printf("outputs:");
    if (r->outputs & CC_OUT_RASTER) printf(" %s/travel_time.tif", out_dir);
    if (r->outputs & CC_OUT_GPKG) printf(" %s/coverage.gpkg", out_dir);
    printf(" %s/summary.json", out_dir);
    if (r->outputs & CC_OUT_REPORT) printf(" %s/project.qgs", out_dir);
    printf("\n");
}

int cmd_coverage(int argc, char **argv)
{
    static const struct option lo[] = {
        CLI_INPUT_LONGOPTS,
        CLI_MINUTES_LONGOPT,
        {"uncovered-minutes", 1, 0, O_UNCOV}, {"resolution", 1, 0, O_RES}, {"out", 1, 0, O_OUT},
        {"lang", 1, 0, O_LANG}, {"headline", 1, 0, O_HEADLINE}, {"title", 1, 0, O_TITLE}, {"outputs", 1, 0, O_OUTPUTS},
        {"emergency", 0, 0, O_EMERG}, {"chain", 0, 0, O_CHAIN},
        {"station-tiers", 1, 0, O_STATIONS}, {"capable-tiers", 1, 0, O_CAPABLE}, {"dispatch-minutes", 1, 0, O_DISPATCH},
        {"on-scene-minutes", 1, 0, O_ONSCENE}, {"capacity", 1, 0, O_CAPACITY}, {"capacity-minutes", 1, 0, O_CAPMIN},
        CLI_THREADS_LONGOPT, CLI_LOG_LONGOPTS, CLI_CACHE_LONGOPTS,
        {0, 0, 0, 0}};
    cc_coverage_opts o = {0};
    cc_report_opts rep = {0};
    o.report = &rep;
    cli_cmd cmd = {.name = "coverage", .help = help};
    int c, rc;
    char *end;
    while ((c = cli_getopt(&cmd, argc, argv, ":h", lo)) != -1) {
        switch (c) {
        case CLI_OPT_EXIT: return cmd.rc;
        CLI_INPUT_CASES(o);
        case O_UNCOV:
            o.uncovered_minutes = cc_strtod(optarg, &end);
            if (*end || end == optarg || !(o.uncovered_minutes > 0))
                return cli_usage_error("coverage", "--uncovered-minutes '%s' must be a number above 0", optarg);
            break;
        case O_RES:
            o.in.resolution_m = cc_strtod(optarg, &end);
            if (*end || end == optarg || !(o.in.resolution_m > 0))
                return cli_usage_error("coverage", "--resolution '%s' must be a number of metres above 0", optarg);
            break;
        case O_OUT: o.out_dir = optarg; break;
        case O_OUTPUTS: {
            const char *bad;
            if (cc_coverage_outputs_parse(optarg, &o.outputs, &bad))
                return cli_usage_error("coverage", "--outputs '%s': unknown output '%.*s': use summary, raster, gpkg, tables, report or all, comma-separated",
                                       optarg, bad ? (int)strcspn(bad, ",") : 0, bad ? bad : "");
            break;
        }
        case O_LANG:
            if (cli_parse_lang("coverage", optarg, &rep.lang)) return CLI_EXIT_USAGE;
            break;
        case O_HEADLINE: o.headline = optarg; break;
        case O_TITLE: rep.title_zh = rep.title_en = optarg; break;
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
            o.capacity_minutes = cc_strtod(optarg, &end);
            if (*end || end == optarg || !(o.capacity_minutes > 0) || o.capacity_minutes > 1440)
                return cli_usage_error("coverage", "--capacity-minutes '%s' must be a number of minutes above 0 and at most 1440", optarg);
            break;
        }
    }
    if ((rc = cli_inputs_done(&cmd, argc, argv, &o.in, true, o.out_dir, &o.minutes, &o.n_minutes))) return rc;
    cli_env env;
    if ((rc = cli_cmd_setup(&cmd, &env, true))) return rc;
    cc_coverage_result *r = NULL;
    cc_status st = cc_coverage_run(env.ctx, &o, &r);
    if (st) {
        rc = cli_fail(&env, st);
    } else {
        cli_print_coverage("coverage", r, o.out_dir);
        cc_coverage_result_destroy(r);
    }
    cli_teardown(&env);
    return rc;
}
