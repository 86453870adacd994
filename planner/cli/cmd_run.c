/* cmd_run.c - `carecircle run`, `carecircle batch` and `carecircle report`: thin wrappers over
 * cc_scenario_*, cc_batch_* and cc_report_write. */
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cpl_csv.h>
#include <cpl_string.h>
#include <cpl_vsi.h>

#include "cli.h"
#ifdef CC_WITH_MPI
#include "carecircle/cc_mpi.h"
#endif

enum { R_OUT = 256, R_LANG, R_CHECK, R_JOBS, R_FORCE, R_BASE, R_HEADLINE, R_TITLE, R_NO_REUSE };

/* The one positional argument of run, batch and report (what: "scenario file", ...). 0, or
 * CLI_EXIT_USAGE after a usage error. */
static int one_operand(const cli_cmd *cmd, int argc, char **argv, const char *what)
{
    if (optind == argc - 1) return 0;
    if (optind >= argc) return cli_usage_error(cmd->name, "give one %s", what);
    return cli_usage_error(cmd->name, "unexpected argument '%s'", argv[argc - 1]);
}

static void run_help(void)
{
    printf("Usage: carecircle run SCENARIO.yaml [--out DIR] [options]\n\n"
           "Run a scenario file: inputs, CRS, profile, speed factors (rainy season), closed roads,\n"
           "added or upgraded roads, facility changes, thresholds (see README.md, \"Scenarios\").\n"
           "The whole file is checked before any work; each problem is one line file:line:column.\n"
           "Writes the coverage outputs plus layer styles, project.qgs, map_<lang>.png/.pdf,\n"
           "report_<lang>.html and scenario.json (resolved scenario and content hash) into DIR.\n\n"
           "  --out DIR              output folder (default: the file's <out>)\n"
           "  --lang L               zh, en or zh,en (default: the file's report.lang, else zh)\n"
           "  --check                validate the file and exit (nothing is run or written)\n"
           "  --threads N            0 = all cores (default), -k = all but k\n"
           CLI_CACHE_HELP
           "  --quiet, --verbose     less or more on stderr\n");
}

int cmd_run(int argc, char **argv)
{
    static const struct option lo[] = {{"out", 1, 0, R_OUT}, {"lang", 1, 0, R_LANG}, {"check", 0, 0, R_CHECK}, CLI_THREADS_LONGOPT,
                                       CLI_LOG_LONGOPTS, CLI_CACHE_LONGOPTS, {0, 0, 0, 0}};
    const char *out = NULL, *lang = NULL;
    bool check = false;
    cli_cmd cmd = {.name = "run", .help = run_help};
    int c, rc;
    while ((c = cli_getopt(&cmd, argc, argv, ":h", lo)) != -1) {
        switch (c) {
        case CLI_OPT_EXIT: return cmd.rc;
        case R_OUT: out = optarg; break;
        case R_LANG:
            if (cli_parse_lang("run", optarg, &lang)) return CLI_EXIT_USAGE;
            break;
        case R_CHECK: check = true; break;
        }
    }
    if ((rc = one_operand(&cmd, argc, argv, "scenario file"))) return rc;
    cli_env env;
    if ((rc = cli_cmd_setup(&cmd, &env, false))) return rc;
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
        if (!st) cli_print_coverage("run", r, od);
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
           "unchanged since their last completed run are skipped. A sweep's variants write\n"
           "summary.json only unless the sweep's <set> or the base names outputs (set: {outputs:\n"
           "[all]}); the comparison has their figures either way. Writes DIR/manifest.json,\n"
           "DIR/comparison.csv, DIR/comparison.gpkg and DIR/report_<lang>.html.\n"
           "Exit status 0 when every variant completed or was skipped, 6 when any failed.\n\n"
           "  --out DIR              batch folder (default: the file's <out>)\n"
           "  --jobs N               variants at once (threads, default 1); the cores are shared among them\n"
           "  --force                re-run variants even when unchanged\n"
           "  --no-reuse             load every variant alone (by default variants with the same inputs\n"
           "                         share the roads, population and facilities read, and, when their\n"
           "                         profiles allow the same directions, the graph topology and joins)\n"
           "  --lang L               zh, en or zh,en (default: each scenario's report.lang, else zh)\n"
           "  --check                validate the batch file, the base and every variant, and exit\n"
           "  --threads N            cores in all (0 = all, default)\n"
           CLI_CACHE_HELP
           "  --quiet, --verbose     less or more on stderr\n");
}

/* From DIR/comparison.csv, each variant's population within the 30-minute threshold (else the
 * middle one) and its change against the base, as text for the batch table ("" when absent):
 * the columns named @p pre + "pop_le_T" and @p pre + "delta_le_T" ("head_": the headline tiers',
 * their names into *@p tiers, which the caller frees). The file is read with GDAL's CSV parser:
 * quoted fields (several headline tiers, "a,b"; admin names with commas) keep their columns. */
typedef struct batch_change {
    char scenario[128], text[96];
} batch_change;

static size_t read_changes_of(const char *dir, const char *pre, batch_change *out, size_t cap, char *head, size_t nhead, char **tiers)
{
    char path[4200];
    snprintf(path, sizeof(path), "%s/comparison.csv", dir);
    head[0] = '\0';
    VSILFILE *f = VSIFOpenL(path, "rb");
    if (!f) return 0;
    int col_pop = -1, col_delta = -1, col_code = -1, col_tiers = -1;
    size_t n = 0, lp = strlen(pre);
    char mins[32] = "", dname[64];
    snprintf(dname, sizeof(dname), "%sdelta_le_", pre);
    char **cols = CSVReadParseLine2L(f, ',');
    const int nc = CSLCount(cols);
    /* the 30-minute columns, else the middle threshold's */
    int n_delta = 0, first_delta = -1;
    for (int i = 0; i < nc; i++) {
        if (!strcmp(cols[i], "admin_code")) col_code = i;
        if (!strcmp(cols[i], "headline_tiers")) col_tiers = i;
        if (!strncmp(cols[i], dname, strlen(dname))) {
            if (first_delta < 0) first_delta = i;
            n_delta++;
            if (!strcmp(cols[i] + strlen(dname), "30")) col_delta = i;
        }
    }
    if (col_delta < 0 && n_delta) col_delta = first_delta + n_delta / 2;
    if (col_delta >= 0) {
        snprintf(mins, sizeof(mins), "%s", cols[col_delta] + strlen(dname));
        char want[80];
        snprintf(want, sizeof(want), "%.*spop_le_%s", (int)lp, pre, mins);
        for (int i = 0; i < nc; i++)
            if (!strcmp(cols[i], want)) col_pop = i;
    }
    CSLDestroy(cols);
    if (col_delta < 0 || col_pop < 0 || col_code < 0) {
        VSIFCloseL(f);
        return 0;
    }
    snprintf(head, nhead, "within %s min (change)", mins);
    char **fields;
    while (n < cap && (fields = CSVReadParseLine2L(f, ','))) {
        const int nf = CSLCount(fields);
        if (nf <= col_delta || nf <= col_pop || nf <= col_code || fields[col_code][0]) { /* admin rows */
            CSLDestroy(fields);
            continue;
        }
        if (tiers && !*tiers && col_tiers >= 0 && col_tiers < nf && fields[col_tiers][0]) {
            char **tl = CSLTokenizeString2(fields[col_tiers], ",", 0); /* "a,b" as "a, b" */
            size_t len = 1;
            for (int i = 0; tl && tl[i]; i++) len += strlen(tl[i]) + 2;
            if ((*tiers = malloc(len))) {
                (*tiers)[0] = '\0';
                for (int i = 0; tl && tl[i]; i++) {
                    if (i) strcat(*tiers, ", ");
                    strcat(*tiers, tl[i]);
                }
            }
            CSLDestroy(tl);
        }
        batch_change *bc = &out[n++];
        snprintf(bc->scenario, sizeof(bc->scenario), "%s", fields[0]);
        char num[32];
        const char *d = fields[col_delta];
        if (!fields[col_pop][0]) {
            snprintf(bc->text, sizeof(bc->text), "-");
        } else {
            cc_report_count(atof(fields[col_pop]), num, sizeof(num));
            if (*d) {
                double dv = atof(d);
                char dn[32];
                cc_report_count(dv < 0 ? -dv : dv, dn, sizeof(dn));
                snprintf(bc->text, sizeof(bc->text), "%s (%s%s)", num, dv < 0 ? "-" : dv > 0 ? "+" : "", dn);
            } else {
                snprintf(bc->text, sizeof(bc->text), "%s", num);
            }
        }
        CSLDestroy(fields);
    }
    VSIFCloseL(f);
    return n;
}

/* The headline tiers' change when comparison.csv has it for the base (their names into *@p tiers,
 * which the caller frees), else all facilities' (*@p tiers NULL). */
static size_t read_changes(const char *dir, batch_change *out, size_t cap, char *head, size_t nhead, char **tiers)
{
    size_t n = read_changes_of(dir, "head_", out, cap, head, nhead, tiers);
    if (n && *tiers && strcmp(out[0].text, "-")) return n;
    free(*tiers);
    *tiers = NULL;
    return read_changes_of(dir, "", out, cap, head, nhead, NULL);
}

int cmd_batch(int argc, char **argv)
{
    static const struct option lo[] = {{"out", 1, 0, R_OUT},     {"lang", 1, 0, R_LANG},   {"check", 0, 0, R_CHECK}, CLI_THREADS_LONGOPT,
                                       {"jobs", 1, 0, R_JOBS},   {"force", 0, 0, R_FORCE}, CLI_LOG_LONGOPTS,         {"no-reuse", 0, 0, R_NO_REUSE},
                                       CLI_CACHE_LONGOPTS, {0, 0, 0, 0}};
    const char *out = NULL, *lang = NULL;
    bool check = false, force = false, no_reuse = false;
    cli_cmd cmd = {.name = "batch", .help = batch_help};
    int jobs = 1, c, rc;
    while ((c = cli_getopt(&cmd, argc, argv, ":hj:", lo)) != -1) {
        switch (c) {
        case CLI_OPT_EXIT: return cmd.rc;
        case R_OUT: out = optarg; break;
        case R_LANG:
            if (cli_parse_lang("batch", optarg, &lang)) return CLI_EXIT_USAGE;
            break;
        case R_CHECK: check = true; break;
        case R_FORCE: force = true; break;
        case R_NO_REUSE: no_reuse = true; break;
        case 'j':
        case R_JOBS:
            if (cli_parse_int("batch", "--jobs", optarg, &jobs)) return CLI_EXIT_USAGE;
            if (jobs < 1 || jobs > 64) return cli_usage_error("batch", "--jobs must be between 1 and 64, got %d", jobs);
            break;
        }
    }
    if ((rc = one_operand(&cmd, argc, argv, "batch file"))) return rc;
    cli_env env;
    struct cc_mpi *mpi; /* under mpirun/srun: the variants over the ranks */
    if ((rc = cli_cmd_start(&cmd, &env, false, &mpi))) return rc;
    cc_batch *b = NULL;
    cc_batch_result *r = NULL;
    cc_status st = cc_batch_load(env.ctx, argv[optind], &b);
    bool distributed = false;
#ifdef CC_WITH_MPI
    distributed = mpi && cc_mpi_get_size(mpi) > 1;
#endif
    if (!st && check) {
        if (env.mpi_rank <= 0) {
            printf("%s: valid batch, %zu variants:", argv[optind], cc_batch_get_variant_count(b));
            for (size_t i = 0; i < cc_batch_get_variant_count(b); i++) printf(" %s", cc_scenario_get_name(cc_batch_get_variant(b, i)));
            printf("\n");
        }
    } else if (!st && !distributed && (out || cc_batch_get_out_dir(b)) &&
               (st = cc_output_dir_check(env.ctx, out ? out : cc_batch_get_out_dir(b)))) {
        /* refused before any variant runs (across MPI ranks, rank 0 checks inside cc_mpi_batch_run, before
         * any rank makes the folder) */
    } else if (!st) {
        cc_batch_opts bo = {.out_dir = out, .jobs = jobs, .force = force, .lang = lang, .no_reuse = no_reuse};
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
        batch_change *ch = calloc(r->n_variants + 1, sizeof(*ch));
        char head[64] = "";
        char *tiers = NULL;
        size_t n_ch = ch ? read_changes(dir, ch, r->n_variants + 1, head, sizeof(head), &tiers) : 0;
        printf("%-24s %-8s %8s  %-28s %s\n", "variant", "state", "seconds", head[0] ? head : "", "error");
        for (size_t i = 0; i < r->n_variants; i++) {
            const cc_variant_result *v = &r->variants[i];
            static const char *const state[] = {"done", "skipped", "FAILED"};
            const char *chg = "";
            for (size_t k = 0; k < n_ch; k++)
                if (!strcmp(ch[k].scenario, v->name)) chg = ch[k].text;
            printf("%-24s %-8s %8.2f  %-28s %s\n", v->name, state[v->state], v->seconds, chg, v->error);
        }
        free(ch);
        if (n_ch && tiers) printf("(people reaching the headline tiers: %s)\n", tiers);
        free(tiers);
        printf("batch: %zu done, %zu skipped, %zu failed in %.2f s; %s/manifest.json %s/comparison.csv %s/comparison.gpkg\n",
               r->n_done, r->n_skipped, r->n_failed, r->seconds, dir, dir, dir);
        if (r->n_failed) {
            fprintf(stderr, "carecircle: error: %zu of %zu variants failed (see %s/manifest.json)\n", r->n_failed, r->n_variants, dir);
            rc = CLI_EXIT_BATCH;
        }
    }
    cc_batch_result_destroy(r);
    cc_batch_destroy(b);
    cli_cmd_end(&env, mpi);
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
           "  --headline TIERS   tiers counted as capable care in the key figures (default: those of\n"
           "                     the run, summary.json \"headline\"; one tier, or the run's own set)\n"
           "  --title TEXT       title of the maps and report\n"
           "  --quiet, --verbose less or more on stderr\n");
}

int cmd_report(int argc, char **argv)
{
    static const struct option lo[] = {{"lang", 1, 0, R_LANG}, {"base", 1, 0, R_BASE}, {"headline", 1, 0, R_HEADLINE},
                                       {"title", 1, 0, R_TITLE}, CLI_LOG_LONGOPTS, {0, 0, 0, 0}};
    cc_report_opts o = {0};
    cli_cmd cmd = {.name = "report", .help = report_help};
    int c, rc;
    while ((c = cli_getopt(&cmd, argc, argv, ":h", lo)) != -1) {
        switch (c) {
        case CLI_OPT_EXIT: return cmd.rc;
        case R_LANG:
            if (cli_parse_lang("report", optarg, &o.lang)) return CLI_EXIT_USAGE;
            break;
        case R_BASE: o.base_dir = optarg; break;
        case R_HEADLINE: o.headline = optarg; break;
        case R_TITLE: o.title_zh = o.title_en = optarg; break;
        }
    }
    if ((rc = one_operand(&cmd, argc, argv, "output folder"))) return rc;
    cli_env env;
    if ((rc = cli_cmd_setup(&cmd, &env, false))) return rc;
    cc_status st = cc_report_write(env.ctx, argv[optind], &o);
    if (st) rc = cli_fail(&env, st);
    else if (!cmd.quiet) printf("report: deliverables written in %s\n", argv[optind]);
    cli_teardown(&env);
    return rc;
}
