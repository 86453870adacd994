/* cmd_run.c - `carecircle run`, `carecircle batch` and `carecircle report`: thin wrappers over
 * cc_scenario_*, cc_batch_* and cc_report_write. */
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli.h"
#ifdef CC_WITH_MPI
#include "carecircle/cc_mpi.h"
#endif

static bool valid_lang(const char *l)
{
    return !strcmp(l, "zh") || !strcmp(l, "en") || !strcmp(l, "zh,en") || !strcmp(l, "en,zh");
}

enum { R_OUT = 256, R_LANG, R_CHECK, R_THREADS, R_QUIET, R_VERBOSE, R_HELP, R_JOBS, R_FORCE, R_NOMAPS, R_BASE };

static void run_help(void)
{
    printf("Usage: carecircle run SCENARIO.yaml [--out DIR] [options]\n\n"
           "Run a scenario file: inputs, CRS, profile, speed factors (rainy season), closed roads,\n"
           "added or upgraded roads, facility changes, thresholds (see README.md, \"Scenarios\").\n"
           "The whole file is checked before any work; each problem is one line file:line:column.\n"
           "Writes the coverage outputs plus layer styles, project.qgs, map_<lang>.png/.pdf,\n"
           "report_<lang>.html and scenario.json (resolved scenario and content hash) into DIR.\n\n"
           "  --out DIR          output folder (default: the file's <out>)\n"
           "  --lang L           zh, en or zh,en (default: the file's report.lang, else zh)\n"
           "  --check            validate the file and exit (nothing is run or written)\n"
           "  --threads N        0 = all cores (default), -k = all but k\n"
           "  --quiet, --verbose less or more on stderr\n");
}

int cmd_run(int argc, char **argv)
{
    static const struct option lo[] = {{"out", 1, 0, R_OUT}, {"lang", 1, 0, R_LANG}, {"check", 0, 0, R_CHECK}, {"threads", 1, 0, R_THREADS},
                                       {"quiet", 0, 0, R_QUIET}, {"verbose", 0, 0, R_VERBOSE}, {"help", 0, 0, R_HELP}, {0, 0, 0, 0}};
    const char *out = NULL, *lang = NULL;
    bool check = false, quiet = false, verbose = false;
    int threads = 0, c;
    opterr = 0;
    optind = 1;
    while ((c = getopt_long(argc, argv, ":h", lo, NULL)) != -1) {
        switch (c) {
        case R_OUT: out = optarg; break;
        case R_LANG:
            if (!valid_lang(optarg)) {
                cli_usage_error("run", "--lang '%s' must be zh, en or zh,en", optarg);
                return CLI_EXIT_USAGE;
            }
            lang = optarg;
            break;
        case R_CHECK: check = true; break;
        case R_THREADS:
            if (cli_parse_int("run", "--threads", optarg, &threads)) return CLI_EXIT_USAGE;
            break;
        case R_QUIET: quiet = true; break;
        case R_VERBOSE: verbose = true; break;
        case 'h':
        case R_HELP: run_help(); return CLI_EXIT_OK;
        case ':': cli_usage_error("run", "option '%s' needs a value", argv[optind - 1]); return CLI_EXIT_USAGE;
        default: cli_usage_error("run", "unknown option '%s'", argv[optind - 1]); return CLI_EXIT_USAGE;
        }
    }
    if (optind != argc - 1) {
        cli_usage_error("run", optind >= argc ? "give one scenario file" : "unexpected argument '%s'", argv[argc - 1]);
        return CLI_EXIT_USAGE;
    }
    cli_env env;
    int rc = cli_setup(&env, quiet, verbose, threads);
    if (rc) return rc;
    cc_scenario *s = NULL;
    cc_coverage_result *r = NULL;
    cc_status st = cc_scenario_load(env.ctx, argv[optind], &s);
    if (!st && check) {
        printf("%s: valid scenario <%s>%s\n", argv[optind], cc_scenario_get_name(s),
               cc_scenario_has_siting(s) ? " (with a siting section)" : "");
    } else if (!st) {
        cc_scenario_run_opts ro = {.out_dir = out, .lang = lang};
        const char *od = out ? out : cc_scenario_get_out_dir(s);
        if (!od || !(st = cc_output_dir_check(env.ctx, od))) st = cc_scenario_run(env.ctx, s, &ro, &r);
        if (!st) cli_print_coverage(r, out ? out : cc_scenario_get_out_dir(s));
    }
    if (st) rc = cli_fail(&env, st);
    cc_coverage_result_destroy(r);
    cc_scenario_destroy(s);
    cli_teardown(&env);
    return rc;
}

static void batch_help(void)
{
    printf("Usage: carecircle batch BATCH.yaml [--out DIR] [--jobs N] [options]\n\n"
           "Run a base scenario and its variants (overrides or parameter sweeps, see README.md,\n"
           "\"Batches\") each into DIR/<variant>/; the base runs first. A variant that fails does\n"
           "not stop the others. Variants whose content hash (resolved scenario + input files) is\n"
           "unchanged since their last completed run are skipped. Writes DIR/manifest.json,\n"
           "DIR/comparison.csv, DIR/comparison.gpkg and DIR/report_<lang>.html.\n"
           "Exit status 0 when every variant completed or was skipped, 6 when any failed.\n\n"
           "  --out DIR          batch folder (default: the file's <out>)\n"
           "  --jobs N           variants at once (threads, default 1); the cores are shared among them\n"
           "  --force            re-run variants even when unchanged\n"
           "  --lang L           zh, en or zh,en (default: each scenario's report.lang, else zh)\n"
           "  --check            validate the batch file, the base and every variant, and exit\n"
           "  --threads N        cores in all (0 = all, default)\n"
           "  --quiet, --verbose less or more on stderr\n");
}

int cmd_batch(int argc, char **argv)
{
    static const struct option lo[] = {{"out", 1, 0, R_OUT}, {"lang", 1, 0, R_LANG}, {"check", 0, 0, R_CHECK}, {"threads", 1, 0, R_THREADS},
                                       {"jobs", 1, 0, R_JOBS}, {"force", 0, 0, R_FORCE}, {"quiet", 0, 0, R_QUIET},
                                       {"verbose", 0, 0, R_VERBOSE}, {"help", 0, 0, R_HELP}, {0, 0, 0, 0}};
    const char *out = NULL, *lang = NULL;
    bool check = false, quiet = false, verbose = false, force = false;
    int threads = 0, jobs = 1, c;
    opterr = 0;
    optind = 1;
    while ((c = getopt_long(argc, argv, ":hj:", lo, NULL)) != -1) {
        switch (c) {
        case R_OUT: out = optarg; break;
        case R_LANG:
            if (!valid_lang(optarg)) {
                cli_usage_error("batch", "--lang '%s' must be zh, en or zh,en", optarg);
                return CLI_EXIT_USAGE;
            }
            lang = optarg;
            break;
        case R_CHECK: check = true; break;
        case R_FORCE: force = true; break;
        case 'j':
        case R_JOBS:
            if (cli_parse_int("batch", "--jobs", optarg, &jobs)) return CLI_EXIT_USAGE;
            if (jobs < 1 || jobs > 64) {
                cli_usage_error("batch", "--jobs must be between 1 and 64, got %d", jobs);
                return CLI_EXIT_USAGE;
            }
            break;
        case R_THREADS:
            if (cli_parse_int("batch", "--threads", optarg, &threads)) return CLI_EXIT_USAGE;
            break;
        case R_QUIET: quiet = true; break;
        case R_VERBOSE: verbose = true; break;
        case 'h':
        case R_HELP: batch_help(); return CLI_EXIT_OK;
        case ':': cli_usage_error("batch", "option '%s' needs a value", argv[optind - 1]); return CLI_EXIT_USAGE;
        default: cli_usage_error("batch", "unknown option '%s'", argv[optind - 1]); return CLI_EXIT_USAGE;
        }
    }
    if (optind != argc - 1) {
        cli_usage_error("batch", optind >= argc ? "give one batch file" : "unexpected argument '%s'", argv[argc - 1]);
        return CLI_EXIT_USAGE;
    }
    cli_env env;
    int rc = cli_setup(&env, quiet, verbose, threads);
    if (rc) return rc;
    cc_batch *b = NULL;
    cc_batch_result *r = NULL;
#ifdef CC_WITH_MPI
    /* under mpirun/srun: the variants over the ranks */
    cc_mpi *mpi;
    if ((rc = cli_mpi_begin(&env, &mpi))) return rc;
#endif
    cc_status st = cc_batch_load(env.ctx, argv[optind], &b);
    if (!st && check) {
        if (env.mpi_rank <= 0) {
            printf("%s: valid batch, %zu variants:", argv[optind], cc_batch_get_variant_count(b));
            for (size_t i = 0; i < cc_batch_get_variant_count(b); i++) printf(" %s", cc_scenario_get_name(cc_batch_get_variant(b, i)));
            printf("\n");
        }
    } else if (!st && (out || cc_batch_get_out_dir(b)) && (st = cc_output_dir_check(env.ctx, out ? out : cc_batch_get_out_dir(b)))) {
        /* refused before any variant runs */
    } else if (!st) {
        cc_batch_opts bo = {.out_dir = out, .jobs = jobs, .force = force, .lang = lang};
#ifdef CC_WITH_MPI
        st = cc_mpi_batch_run(env.ctx, mpi, b, &bo, &r);
#else
        st = cc_batch_run(env.ctx, b, &bo, &r);
#endif
    }
    if (st) {
        rc = cli_fail(&env, st);
    } else if (r) {
        const char *dir = out ? out : cc_batch_get_out_dir(b);
        printf("%-24s %-8s %8s  %s\n", "variant", "state", "seconds", "error");
        for (size_t i = 0; i < r->n_variants; i++) {
            const cc_variant_result *v = &r->variants[i];
            static const char *const state[] = {"done", "skipped", "FAILED"};
            printf("%-24s %-8s %8.2f  %s\n", v->name, state[v->state], v->seconds, v->error);
        }
        printf("batch: %zu done, %zu skipped, %zu failed in %.2f s; %s/manifest.json %s/comparison.csv %s/comparison.gpkg\n",
               r->n_done, r->n_skipped, r->n_failed, r->seconds, dir, dir, dir);
        if (r->n_failed) {
            fprintf(stderr, "carecircle: error: %zu of %zu variants failed (see %s/manifest.json)\n", r->n_failed, r->n_variants, dir);
            rc = CLI_EXIT_BATCH;
        }
    }
    cc_batch_result_destroy(r);
    cc_batch_destroy(b);
#ifdef CC_WITH_MPI
    cc_mpi_finalize(mpi);
#endif
    cli_teardown(&env);
    return rc;
}

static void report_help(void)
{
    printf("Usage: carecircle report DIR [--lang L] [options]\n\n"
           "(Re)write the deliverables of a coverage output folder DIR: QGIS styles in\n"
           "coverage.gpkg's layer_styles table, project.qgs, travel_time.qml, map_<lang>.png,\n"
           "map_<lang>.pdf and report_<lang>.html. A proposed_sites point layer added to\n"
           "coverage.gpkg is styled, drawn and tabulated.\n\n"
           "  --lang L           zh, en or zh,en (default zh)\n"
           "  --base DIR         outputs of the base scenario: before/after figures\n"
           "  --quiet, --verbose less or more on stderr\n");
}

int cmd_report(int argc, char **argv)
{
    static const struct option lo[] = {{"lang", 1, 0, R_LANG}, {"base", 1, 0, R_BASE}, {"quiet", 0, 0, R_QUIET},
                                       {"verbose", 0, 0, R_VERBOSE}, {"help", 0, 0, R_HELP}, {0, 0, 0, 0}};
    cc_report_opts o = {0};
    bool quiet = false, verbose = false;
    int c;
    opterr = 0;
    optind = 1;
    while ((c = getopt_long(argc, argv, ":h", lo, NULL)) != -1) {
        switch (c) {
        case R_LANG:
            if (!valid_lang(optarg)) {
                cli_usage_error("report", "--lang '%s' must be zh, en or zh,en", optarg);
                return CLI_EXIT_USAGE;
            }
            o.lang = optarg;
            break;
        case R_BASE: o.base_dir = optarg; break;
        case R_QUIET: quiet = true; break;
        case R_VERBOSE: verbose = true; break;
        case 'h':
        case R_HELP: report_help(); return CLI_EXIT_OK;
        case ':': cli_usage_error("report", "option '%s' needs a value", argv[optind - 1]); return CLI_EXIT_USAGE;
        default: cli_usage_error("report", "unknown option '%s'", argv[optind - 1]); return CLI_EXIT_USAGE;
        }
    }
    if (optind != argc - 1) {
        cli_usage_error("report", optind >= argc ? "give one output folder" : "unexpected argument '%s'", argv[argc - 1]);
        return CLI_EXIT_USAGE;
    }
    cli_env env;
    int rc = cli_setup(&env, quiet, verbose, 0);
    if (rc) return rc;
    cc_status st = cc_report_write(env.ctx, argv[optind], &o);
    if (st) rc = cli_fail(&env, st);
    else if (!quiet) printf("report: deliverables written in %s\n", argv[optind]);
    cli_teardown(&env);
    return rc;
}
