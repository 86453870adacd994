/* main.c - the carecircle program: dispatch to subcommands. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#ifdef __GLIBC__
#include <malloc.h>
#endif

#include "cli.h"

/* The heap's freed memory kept for the next allocation instead of being returned to the kernel and
 * faulted in again: allocations up to 32 MiB from the heap (not a fresh mmap each; cairo copies the
 * 18 MB font table of Noto Sans CJK into one for every PDF map, the PNG surface is 15 MB), the top
 * of the heap trimmed only above 256 MiB, grown 16 MiB at a time. Page faults are dear on the
 * virtual machines carecircle is measured on (a fifth of a demo run's time): the demo coverage run
 * 9 % and Comoros' 6 % faster in wall time, peak memory 1-6 MiB more (farm-bench, paired). The
 * program's policy, not the library's: set before anything is allocated. */
static void keep_heap(void)
{
#ifdef __GLIBC__
    mallopt(M_MMAP_THRESHOLD, 32 << 20);
    mallopt(M_TRIM_THRESHOLD, 256 << 20);
    mallopt(M_TOP_PAD, 16 << 20);
#endif
}

static void usage(FILE *f)
{
    fprintf(f,
            "carecircle %s - rural emergency-coverage planner\n\n"
            "Usage: carecircle <command> [options]\n\n"
            "Commands:\n"
            "  coverage   who reaches care within 15/30/60 minutes: travel-time raster, isochrones,\n"
            "             catchments, covered population per tier and admin area\n"
            "  traveltime the travel-time raster of a province or country, in tiles with a halo\n"
            "             (spread over the ranks under mpirun in MPI builds)\n"
            "  prepare    read roads and population, build the graph and snap once; later runs reuse it\n"
            "  run        run a scenario file (YAML): inputs, speeds, closures, added roads, facility changes\n"
            "  batch      run a base scenario and its variants; comparison table and layer\n"
            "  report     (re)write styles, QGIS project, maps and HTML report of an output folder\n"
            "  profiles   list the built-in speed profiles, or print one as YAML\n"
            "  graph      build the routable graph, report its size, export it (nodes.csv, edges.csv)\n"
            "  site       where to put new sub-centres or emergency stations (MCLP, LSCP, p-median,\n"
            "             p-centre), with a proven bound and gap\n"
            "  version    print the version (--verbose: and the glibc tunables the run starts with)\n\n"
            "Run 'carecircle <command> --help' for the options of a command.\n",
            CC_VERSION_STRING);
}

int main(int argc, char **argv)
{
    keep_heap();
    if (argc < 2) {
        usage(stderr);
        return CLI_EXIT_USAGE;
    }
    const char *cmd = argv[1];
    /* the command line, recorded in the marker file of every output folder */
    static char line[1024];
    size_t n = 0;
    for (int i = 0; i < argc && n + 4 < sizeof(line); i++) {
        bool q = strpbrk(argv[i], " \t'\"") != NULL;
        int w = snprintf(line + n, sizeof(line) - n, "%s%s%s%s", i ? " " : "", q ? "'" : "", i ? argv[i] : "carecircle",
                         q ? "'" : "");
        if (w < 0) break;
        n += (size_t)w;
        if (n >= sizeof(line)) n = sizeof(line) - 1;
    }
    cli_command_line = line;
    if (!strcmp(cmd, "coverage")) return cmd_coverage(argc - 1, argv + 1);
    if (!strcmp(cmd, "profiles")) return cmd_profiles(argc - 1, argv + 1);
    if (!strcmp(cmd, "graph")) return cmd_graph(argc - 1, argv + 1);
    if (!strcmp(cmd, "site")) return cmd_site(argc - 1, argv + 1);
    if (!strcmp(cmd, "prepare")) return cmd_prepare(argc - 1, argv + 1);
    if (!strcmp(cmd, "traveltime")) return cmd_traveltime(argc - 1, argv + 1);
    if (!strcmp(cmd, "run")) return cmd_run(argc - 1, argv + 1);
    if (!strcmp(cmd, "batch")) return cmd_batch(argc - 1, argv + 1);
    if (!strcmp(cmd, "report")) return cmd_report(argc - 1, argv + 1);
    if (!strcmp(cmd, "version") || !strcmp(cmd, "--version")) {
        printf("carecircle %s\n", CC_VERSION_STRING);
        if (argc > 2 && !strcmp(argv[2], "--verbose")) { /* what the launcher gave (planner/cli/launcher.c) */
            const char *t = getenv("GLIBC_TUNABLES");
            printf("glibc tunables: %s\n", t && *t ? t : "(none)");
        }
        return CLI_EXIT_OK;
    }
    if (!strcmp(cmd, "help") || !strcmp(cmd, "--help") || !strcmp(cmd, "-h")) {
        usage(stdout);
        return CLI_EXIT_OK;
    }
    fprintf(stderr, "carecircle: error: unknown command '%s' (see 'carecircle --help')\n", cmd);
    return CLI_EXIT_USAGE;
}
