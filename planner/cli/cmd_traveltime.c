/* cmd_traveltime.c - `carecircle traveltime`: the travel-time raster of a large region in tiles
 * with a halo (cc_traveltime.h); under mpirun the tiles are spread over the ranks. */
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli.h"
#ifdef CC_WITH_MPI
#include "carecircle/cc_mpi.h"
#endif

static void help(void)
{
    printf("Usage: carecircle traveltime --roads R --population RASTER --facilities F --out DIR [options]\n\n"
           "The travel-time raster of a province or a country, tile by tile: each tile of the population\n"
           "grid reads only the roads within a halo of (highest profile speed x largest threshold + twice\n"
           "the snap distance) around it, so memory follows the tile, not the region. Every cell reached\n"
           "within the largest threshold gets the minutes of a whole-region run; cells beyond it are nodata.\n"
           "Writes DIR/travel_time.tif (COG, minutes, one band for all facilities and one per tier) and\n"
           "DIR/summary.json. Under mpirun (MPI builds) the tiles are shared out over the ranks.\n\n"
           "Inputs (as for coverage): --roads, --roads-layer, --class-field, --speed-field, --population\n"
           "  (a raster), --facilities, --lon-field, --lat-field, --tier-field, --tiers, --name-field,\n"
           "  --facility-where, --profile, --crs (default: UTM zone of the raster's centre)\n\n"
           "Tiling:\n"
           "  --minutes LIST         thresholds in minutes (default 15,30,60); the largest sets the halo\n"
           "  --tile N               tile side in raster cells (default 512)\n"
           "  --halo-km K            halo in km instead of the profile's (needed with --speed-field)\n\n"
           CLI_OFFROAD_HELP
           "Run:\n"
           "  --out DIR              output folder; replaced only when the run completes\n"
           "  --threads N            0 = all cores (default), -k = all but k\n"
           "  --quiet, --verbose     less or more on stderr\n"
           "Roads in .osm.pbf are scanned whole by every tile; for a province convert them once to a\n"
           "GeoPackage (ogr2ogr roads.gpkg r.osm.pbf lines), whose spatial index each tile uses.\n");
}

enum { O_TILE = CLI_O_OWN, O_HALO, O_OUT };

static void print_result(const cc_traveltime_result *r, const char *out_dir)
{
    char a[32], b[32];
    double tot = r->population_total > 0 ? r->population_total : 1;
    printf("carecircle traveltime: %d x %d cells in %d tiles of %d (%d with people), halo %.1f km\n", r->width, r->height, r->tiles,
           r->tile_cells, r->tiles_with_people, r->halo_m / 1000.0);
    for (size_t k = 0; k < r->n_minutes; k++)
        printf("  within %6g min: %s of %s people (%.1f%%)\n", r->minutes[k], cc_report_count(r->population_within[k], a, sizeof(a)),
               cc_report_count(r->population_total, b, sizeof(b)), 100 * r->population_within[k] / tot);
    printf("  no road access: %s (%.1f%%); no facility within %g min: %s (%.1f%%)\n",
           cc_report_count(r->population_no_road_access, a, sizeof(a)), 100 * r->population_no_road_access / tot, r->max_minutes,
           cc_report_count(r->population_beyond, b, sizeof(b)), 100 * r->population_beyond / tot);
    printf("  %.0f road ways read over all halos; %.2f s\n", r->road_ways_read, r->t_total_s);
    printf("outputs: %s/travel_time.tif %s/summary.json\n", out_dir, out_dir);
}

int cmd_traveltime(int argc, char **argv)
{
    static const struct option lo[] = {CLI_INPUT_LONGOPTS,
                                       CLI_MINUTES_LONGOPT,
                                       {"tile", 1, 0, O_TILE},
                                       {"halo-km", 1, 0, O_HALO},
                                       {"out", 1, 0, O_OUT},
                                       CLI_THREADS_LONGOPT,
                                       CLI_LOG_LONGOPTS,
                                       {0, 0, 0, 0}};
    cc_traveltime_opts t = {0};
    cli_cmd cmd = {.name = "traveltime", .help = help};
    int c, rc;
    char *end;
    while ((c = cli_getopt(&cmd, argc, argv, ":h", lo)) != -1) {
        switch (c) {
        case CLI_OPT_EXIT: return cmd.rc;
        CLI_INPUT_CASES(t);
        case O_TILE: {
            long v = strtol(optarg, &end, 10);
            if (*end || end == optarg || v < 16 || v > 16384)
                return cli_usage_error("traveltime", "--tile '%s' must be a number of cells from 16 to 16384", optarg);
            t.tile_cells = (int)v;
            break;
        }
        case O_HALO:
            t.halo_m = cc_strtod(optarg, &end) * 1000.0;
            if (*end || end == optarg || !(t.halo_m > 0) || t.halo_m > 5e6)
                return cli_usage_error("traveltime", "--halo-km '%s' must be a number of km above 0 and at most 5000", optarg);
            break;
        case O_OUT: t.out_dir = optarg; break;
        }
    }
    if ((rc = cli_inputs_done(&cmd, argc, argv, &t.in, true, t.out_dir, &t.minutes, &t.n_minutes))) return rc;
    if (t.in.admin)
        return cli_usage_error("traveltime", "--admin is not used by a travel-time raster (use coverage for per-area tables)");
    cli_env env;
    struct cc_mpi *mpi;
    if ((rc = cli_cmd_start(&cmd, &env, true, &mpi))) return rc;
    cc_traveltime_result *r = NULL;
    cc_status st0 = t.out_dir ? cc_output_dir_check(env.ctx, t.out_dir) : CC_OK;
    if (st0) { /* before any work */
        rc = cli_fail(&env, st0);
        cli_teardown(&env);
        return rc;
    }
#ifdef CC_WITH_MPI
    cc_status st = cc_mpi_traveltime_run(env.ctx, mpi, &t, &r);
#else
    cc_status st = cc_traveltime_run(env.ctx, &t, &r);
#endif
    if (st)
        rc = cli_fail(&env, st);
    else if (r) /* MPI: rank 0 only */
        print_result(r, t.out_dir);
    cc_traveltime_result_destroy(r);
    cli_cmd_end(&env, mpi);
    return rc;
}
