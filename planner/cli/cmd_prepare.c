/* cmd_prepare.c - `carecircle prepare`: the prepared region written once for later runs
 * (cc_prepare_region; README "Prepared regions and the cache"). */
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli.h"

static void help(void)
{
    printf("Usage: carecircle prepare --roads R --population P [--facilities F ...] [--out DIR|FILE.ccprep]\n\n"
           "Read the roads and the population once, build the graph, snap and join the population to it,\n"
           "and save it all as a prepared region: later coverage, run and batch commands with the same\n"
           "roads, population and reader options find it in the cache folder and skip that work.\n"
           "Takes the input options of coverage; facilities and admin areas, when given, are read and\n"
           "checked as coverage would, but every run reads them itself (they are not in the file).\n\n"
           "  --roads R, --population P, --facilities F, --profile NAME|FILE, --crs EPSG:n, ...\n"
           "                         as for coverage (see 'carecircle coverage --help')\n"
           "  --resolution M         travel-time grid cell in metres for village points (default 100)\n"
           "  --out DIR|FILE.ccprep  folder to write <key>.ccprep into (default: the cache folder), or a\n"
           "                         file name ending in .ccprep\n"
           CLI_CACHE_HELP
           "  --threads N            0 = all cores (default), -k = all but k\n"
           "  --quiet, --verbose     less or more on stderr\n");
}

enum { O_RES = CLI_O_OWN, O_OUT };

int cmd_prepare(int argc, char **argv)
{
    static const struct option lo[] = {CLI_INPUT_LONGOPTS, {"resolution", 1, 0, O_RES}, {"out", 1, 0, O_OUT},
                                       CLI_THREADS_LONGOPT, CLI_LOG_LONGOPTS, CLI_CACHE_LONGOPTS, {0, 0, 0, 0}};
    struct {
        cc_inputs in;
    } o = {0};
    const char *out = NULL;
    cli_cmd cmd = {.name = "prepare", .help = help};
    int c, rc;
    char *end;
    while ((c = cli_getopt(&cmd, argc, argv, ":h", lo)) != -1) {
        switch (c) {
        case CLI_OPT_EXIT: return cmd.rc;
        CLI_INPUT_CASES(o);
        case O_RES:
            o.in.resolution_m = cc_strtod(optarg, &end);
            if (*end || end == optarg || !(o.in.resolution_m > 0))
                return cli_usage_error("prepare", "--resolution '%s' must be a number of metres above 0", optarg);
            break;
        case O_OUT: out = optarg; break;
        }
    }
    if ((rc = cli_no_operands(&cmd, argc, argv)) ||
        (rc = cli_require(&cmd, !o.in.roads ? "--roads" : !o.in.population ? "--population" : NULL)))
        return rc;
    if (cmd.no_cache && !out) return cli_usage_error("prepare", "--no-cache leaves no folder to write to: give --out");
    cli_env env;
    if ((rc = cli_cmd_setup(&cmd, &env, true))) return rc;
    char file[4096];
    size_t bytes = 0;
    cc_status st = cc_prepare_region(env.ctx, &o.in, out, file, sizeof(file), &bytes);
    if (st) rc = cli_fail(&env, st);
    else printf("carecircle prepare: %s (%.2f MB)\n", file, bytes / 1e6);
    cli_teardown(&env);
    return rc;
}
