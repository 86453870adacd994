/* cli.h - shared pieces of the carecircle command-line program. */
#ifndef CC_CLI_H
#define CC_CLI_H

#include <getopt.h>
#include <signal.h>
#include <stdbool.h>
#include <stddef.h>

#include "carecircle/carecircle.h"
#include "carecircle/cc_report.h"
#include "carecircle/cc_scenario.h"

/* Exit codes (README.md, "Exit codes"). */
enum {
    CLI_EXIT_OK = 0,
    CLI_EXIT_USAGE = 2,       /* bad command line or parameter value */
    CLI_EXIT_INPUT = 3,       /* unusable input data or CRS */
    CLI_EXIT_IO = 4,          /* cannot read or write a file */
    CLI_EXIT_RESOURCES = 5,   /* out of memory, or the job is too large */
    CLI_EXIT_BATCH = 6,       /* a batch ran, but one or more variants failed (see manifest.json) */
    CLI_EXIT_INTERNAL = 70,   /* a bug (EX_SOFTWARE) */
    CLI_EXIT_INTERRUPTED = 130
};

typedef struct cli_env {
    cc_ctx *ctx;
    bool quiet, verbose, tty;
    int progress_shown;
    int mpi_rank; /* -1: not an MPI run; else messages carry "[rank N]" (MPI builds, issue 8) */
    bool flags;   /* the command takes its parameters as flags: messages name flags, not parameters */
} cli_env;

extern volatile sig_atomic_t cli_interrupted;

/* Context with log/progress callbacks writing to stderr; signal handlers installed. */
/* "carecircle coverage --roads ..." as typed (set by main), for output folder markers */
extern const char *cli_command_line;

int cli_setup(cli_env *env, bool quiet, bool verbose, int threads);
void cli_teardown(cli_env *env);
#define CLI_MAX_MSG 4096
/* @p msg with the library's "parameter NAME" shown as the command-line flag ("option --flag"). */
const char *cli_params_to_flags(const char *msg, char *out, size_t n);
/* Print "carecircle: error: <last error>" and return the exit code for @p st. */
int cli_fail(cli_env *env, cc_status st);
int cli_exit_code(cc_status st);
/* Print "carecircle CMD: error: ... (see --help)"; returns CLI_EXIT_USAGE. */
int cli_usage_error(const char *cmd, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
/* How many bytes of @p s a table column of @p max bytes shows without cutting a UTF-8 character
 * (printf's "%.*s" precision: a Chinese township or tier name cut by bytes is not text). */
int cli_fit(const char *s, int max);

/* Parse "15,30,60" into at most @p max numbers. Returns count, or -1 on error. */
int cli_parse_numbers(const char *s, double *out, int max);
/* An integer option of -1024..1024 (--threads, --jobs) / a --minutes list of at most CC_MAX_BANDS
 * numbers: 0, or CLI_EXIT_USAGE after a usage error naming @p cmd. */
int cli_parse_int(const char *cmd, const char *opt, const char *s, int *out);
int cli_parse_minutes(const char *cmd, const char *s, double *minutes, size_t *n);

/* A --lang value: zh, en or zh,en (either order). 0, or CLI_EXIT_USAGE after a usage error. */
int cli_parse_lang(const char *cmd, const char *s, const char **out);

/* ---- option parsing shared by the commands ----
 * Every command takes --quiet, --verbose and --help/-h (CLI_LOG_LONGOPTS); the running ones also
 * --threads N (CLI_THREADS_LONGOPT). cli_getopt() handles those, a missing value and an unknown
 * option, and hands the command its own options:
 *     cli_cmd cmd = {.name = "coverage", .help = help};
 *     while ((c = cli_getopt(&cmd, argc, argv, ":h", lo)) != -1) {
 *         switch (c) {
 *         case CLI_OPT_EXIT: return cmd.rc;
 *         case O_OUT: ...
 *         }
 *     }
 */
enum { CLI_O_THREADS = 1000, CLI_O_QUIET, CLI_O_VERBOSE, CLI_O_HELP, CLI_O_MINUTES, CLI_O_CACHE_DIR, CLI_O_NO_CACHE, CLI_OPT_EXIT = -2 };
/* --cache-dir DIR and --no-cache (coverage, run, batch, prepare): the folder of prepared regions
 * (README "Prepared regions and the cache"); cli_cmd_setup() hands it to the context. */
#define CLI_CACHE_LONGOPTS {"cache-dir", 1, 0, CLI_O_CACHE_DIR}, {"no-cache", 0, 0, CLI_O_NO_CACHE}
#define CLI_CACHE_HELP                                                                                                        \
    "  --cache-dir DIR        folder of prepared regions (roads, population, graph and snapping saved\n"                     \
    "                         for later runs; default $XDG_CACHE_HOME/carecircle or ~/.cache/carecircle)\n"                  \
    "  --no-cache             neither read nor write prepared regions\n"
#define CLI_LOG_LONGOPTS {"quiet", 0, 0, CLI_O_QUIET}, {"verbose", 0, 0, CLI_O_VERBOSE}, {"help", 0, 0, CLI_O_HELP}
#define CLI_THREADS_LONGOPT {"threads", 1, 0, CLI_O_THREADS}
/* --minutes 15,30,60 (coverage, traveltime): into cmd->minutes / cmd->n_minutes */
#define CLI_MINUTES_LONGOPT {"minutes", 1, 0, CLI_O_MINUTES}
typedef struct cli_cmd {
    const char *name;   /* the command, for messages */
    void (*help)(void); /* prints its usage */
    int threads;        /* --threads, 0 when not given */
    double minutes[CC_MAX_BANDS];
    size_t n_minutes;   /* --minutes, 0 when not given */
    bool quiet, verbose;
    const char *cache_dir; /* --cache-dir */
    bool no_cache;         /* --no-cache */
    int rc;             /* after CLI_OPT_EXIT: the exit code (0 after --help) */
    bool started;
} cli_cmd;
/* The next option of the command (getopt_long over shortopts and lo), -1 at the end, or
 * CLI_OPT_EXIT when the command must return cmd->rc (help printed, or a usage error). */
int cli_getopt(cli_cmd *cmd, int argc, char **argv, const char *shortopts, const struct option *lo);
/* Usage error for an argument left after the options; 0 when there is none. */
int cli_no_operands(const cli_cmd *cmd, int argc, char **argv);
/* Usage error "<missing> is required" when missing is not NULL (the first required flag not
 * given); 0 otherwise. */
int cli_require(const cli_cmd *cmd, const char *missing);
/* cli_setup with the command's --quiet, --verbose and --threads; flags says whether messages name
 * the command's flags (the command takes its parameters as flags). */
int cli_cmd_setup(const cli_cmd *cmd, cli_env *env, bool flags);
/* After the options of a command that takes the shared inputs (coverage, site, traveltime): no
 * argument left, --minutes handed to *minutes / *n_minutes when given (both NULL: the command has
 * no --minutes list), and --roads, --population, --facilities (when need_facilities) and --out
 * required. 0, or CLI_EXIT_USAGE after a usage error. */
int cli_inputs_done(const cli_cmd *cmd, int argc, char **argv, const cc_inputs *in, bool need_facilities, const char *out_dir,
                    const double **minutes, size_t *n_minutes);
struct cc_mpi;
/* cli_cmd_setup for a command that runs across machines under mpirun (site, traveltime, batch):
 * MPI builds also start MPI (cli_mpi_begin) into *mpi; other builds set *mpi to NULL. 0, or the
 * exit code after tearing @p env down. cli_cmd_end finalises MPI (MPI builds) and tears down. */
int cli_cmd_start(const cli_cmd *cmd, cli_env *env, bool flags, struct cc_mpi **mpi);
void cli_cmd_end(cli_env *env, struct cc_mpi *mpi);

int cmd_coverage(int argc, char **argv);
void cli_print_coverage(const char *cmd, const cc_coverage_result *r, const char *out_dir);
/* scenarios, batches and deliverables (issue 5) */
int cmd_run(int argc, char **argv);
int cmd_batch(int argc, char **argv);
int cmd_report(int argc, char **argv);
int cmd_profiles(int argc, char **argv);
int cmd_graph(int argc, char **argv);
int cmd_site(int argc, char **argv);
int cmd_traveltime(int argc, char **argv);
int cmd_prepare(int argc, char **argv);
/* The folder of prepared regions of @p cmd: --cache-dir, else $XDG_CACHE_HOME/carecircle (or
 * ~/.cache/carecircle); NULL with --no-cache (or no home folder). free() it. */
char *cli_cache_dir(const cli_cmd *cmd);


#ifdef CC_WITH_MPI
struct cc_mpi;
/* Start MPI for a command that runs across ranks (README, "Running across machines"): on ranks
 * > 0 the log lines carry the rank and there is no progress bar. 0, or the exit code after
 * tearing @p env down. */
int cli_mpi_begin(cli_env *env, struct cc_mpi **mpi);
#endif

/* The input options that `coverage`, `site` and `traveltime` share (roads, population, facilities,
 * admin areas, profile, CRS): their getopt ids, their long options and the cases that store them
 * into the cc_inputs member @c in of an options struct. A command's own option ids start at
 * CLI_O_OWN. */
enum {
    CLI_O_ROADS = 256, CLI_O_ROADS_LAYER, CLI_O_CLASS, CLI_O_SPEED, CLI_O_POP, CLI_O_POPF, CLI_O_FAC, CLI_O_LON, CLI_O_LAT,
    CLI_O_TIERF, CLI_O_TIERS, CLI_O_NAMEF, CLI_O_FWHERE, CLI_O_ADMIN, CLI_O_ADMINN, CLI_O_ADMINC, CLI_O_PROFILE, CLI_O_CRS,
    CLI_O_ENC, CLI_O_OFFROAD, CLI_O_FRICTION, CLI_O_DEM, CLI_O_LANDCOVER, CLI_O_WATER, CLI_O_FERRIES, CLI_O_NEIGHBOURS, CLI_O_IMPASSABLE, CLI_O_IMPASSABLE_M, CLI_O_OWN
};
#define CLI_INPUT_LONGOPTS                                                                                                    \
    {"roads", 1, 0, CLI_O_ROADS}, {"roads-layer", 1, 0, CLI_O_ROADS_LAYER}, {"class-field", 1, 0, CLI_O_CLASS},                \
        {"speed-field", 1, 0, CLI_O_SPEED}, {"population", 1, 0, CLI_O_POP}, {"population-field", 1, 0, CLI_O_POPF},           \
        {"facilities", 1, 0, CLI_O_FAC}, {"lon-field", 1, 0, CLI_O_LON}, {"lat-field", 1, 0, CLI_O_LAT},                       \
        {"tier-field", 1, 0, CLI_O_TIERF}, {"tiers", 1, 0, CLI_O_TIERS}, {"name-field", 1, 0, CLI_O_NAMEF},                    \
        {"facility-where", 1, 0, CLI_O_FWHERE}, {"admin", 1, 0, CLI_O_ADMIN}, {"admin-name-field", 1, 0, CLI_O_ADMINN},        \
        {"admin-code-field", 1, 0, CLI_O_ADMINC}, {"profile", 1, 0, CLI_O_PROFILE}, {"crs", 1, 0, CLI_O_CRS}, \
        {"encoding", 1, 0, CLI_O_ENC}, {"offroad", 1, 0, CLI_O_OFFROAD}, {"friction", 1, 0, CLI_O_FRICTION},                  \
        {"dem", 1, 0, CLI_O_DEM}, {"landcover", 1, 0, CLI_O_LANDCOVER}, {"water", 1, 0, CLI_O_WATER},                          \
        {"ferries", 1, 0, CLI_O_FERRIES}, {"neighbours", 1, 0, CLI_O_NEIGHBOURS},                                              \
        {"impassable-population", 1, 0, CLI_O_IMPASSABLE}, {"impassable-max-m", 1, 0, CLI_O_IMPASSABLE_M}
#define CLI_INPUT_CASES(o)                                                                                                    \
    case CLI_O_ROADS: (o).in.roads = optarg; break;                                                                              \
    case CLI_O_ROADS_LAYER: (o).in.roads_layer = optarg; break;                                                                  \
    case CLI_O_CLASS: (o).in.class_field = optarg; break;                                                                        \
    case CLI_O_SPEED: (o).in.speed_field = optarg; break;                                                                        \
    case CLI_O_POP: (o).in.population = optarg; break;                                                                           \
    case CLI_O_POPF: (o).in.population_field = optarg; break;                                                                    \
    case CLI_O_FAC: (o).in.facilities = optarg; break;                                                                           \
    case CLI_O_LON: (o).in.lon_field = optarg; break;                                                                            \
    case CLI_O_LAT: (o).in.lat_field = optarg; break;                                                                            \
    case CLI_O_TIERF: (o).in.tier_field = optarg; break;                                                                         \
    case CLI_O_TIERS: (o).in.tiers = optarg; break;                                                                              \
    case CLI_O_NAMEF: (o).in.facility_name_field = optarg; break;                                                                \
    case CLI_O_FWHERE: (o).in.facility_where = optarg; break;                                                                    \
    case CLI_O_ADMIN: (o).in.admin = optarg; break;                                                                              \
    case CLI_O_ADMINN: (o).in.admin_name_field = optarg; break;                                                                  \
    case CLI_O_ADMINC: (o).in.admin_code_field = optarg; break;                                                                  \
    case CLI_O_PROFILE: (o).in.profile = optarg; break;                                                                          \
    case CLI_O_CRS: (o).in.crs = optarg; break;                                                                                  \
    case CLI_O_ENC: (o).in.encoding = optarg; break;                                                                             \
    case CLI_O_OFFROAD:                                                                                                          \
    case CLI_O_NEIGHBOURS:                                                                                                       \
    case CLI_O_IMPASSABLE:                                                                                                       \
    case CLI_O_IMPASSABLE_M:                                                                                                     \
        if (cli_offroad_opt(cmd.name, c, optarg, &(o).in.offroad)) return CLI_EXIT_USAGE;                                     \
        break;                                                                                                                   \
    case CLI_O_FRICTION: (o).in.offroad.friction = optarg; break;                                                                \
    case CLI_O_DEM: (o).in.offroad.dem = optarg; break;                                                                          \
    case CLI_O_LANDCOVER: (o).in.offroad.landcover = optarg; break;                                                              \
    case CLI_O_WATER: (o).in.offroad.water = optarg; break;                                                                      \
    case CLI_O_FERRIES: (o).in.offroad.ferries = optarg; break

/* --offroad straight|friction, --neighbours 8|16, --impassable-population nearest|none and
 * --impassable-max-m M into @p o; 0, or CLI_EXIT_USAGE after a usage
 * error naming @p cmd. */
int cli_offroad_opt(const char *cmd, int c, const char *arg, cc_offroad_opts *o);
/* The help lines of the off-road options (coverage, site, traveltime). */
#define CLI_OFFROAD_HELP                                                                                                      \
    "Off-road travel (README \"Off-road travel\"):\n"                                                                          \
    "  --offroad MODEL        straight (default: a straight leg to the nearest road) or friction\n"                           \
    "                         (one search over the cells of the population raster and the roads)\n"                           \
    "  --friction RASTER      minutes per metre (Malaria Atlas Project convention; nodata impassable);\n"                     \
    "                         replaces --landcover and --dem\n"                                                                \
    "  --landcover L          class raster (class code -> km/h in the profile's landcover_kmh), or\n"                         \
    "                         NAME=PATH,... cover-fraction rasters (e.g. Tree=tree.tif,Crops=crops.tif)\n"                     \
    "  --dem D[,D...]         elevation raster or tiles: Tobler's hiking function, uphill and downhill differ\n"              \
    "  --water W              polygons and lines, impassable except on a road across them\n"                                   \
    "  --ferries F            lines (OSM route=ferry): links between the cells at their ends (profile\n"                      \
    "                         ferry_wait_min, default 60, plus the length at ferry_kmh, default 5)\n"                          \
    "  --neighbours 8|16      moves between cells (default 16: with the knight's moves of r.cost -k)\n"                        \
    "  --impassable-population nearest|none\n"                                                                                  \
    "                         people on water or nodata cells: the time of the nearest passable cell\n"                       \
    "                         within --impassable-max-m M metres (default 250) plus the walk (nearest,\n"                      \
    "                         the default), or no time (none)\n\n"

#endif
