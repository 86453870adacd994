/* common.c - logging, progress, signals and exit codes for the command-line program. */
#include <ctype.h>
#include <errno.h>
#include <pthread.h>
#include <time.h>
#include <math.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "cli.h"
#ifdef CC_WITH_MPI
#include "carecircle/cc_mpi.h"
#endif

volatile sig_atomic_t cli_interrupted;
const char *cli_command_line;

static void on_signal(int sig)
{
    if (cli_interrupted) {
        signal(sig, SIG_DFL); /* second signal: default action */
        raise(sig);
    }
    cli_interrupted = 1;
}

/* The library polls the interruption flag between steps; a step that does not poll (a cairo fill,
 * a GDAL call without a progress callback, a blocked system call) would hold the exit back. This
 * thread ends the process 0.7 s after the first signal if the run has not ended by then, removing
 * the staging folders first: every stop takes under a second and leaves no partial output. */
static void *watchdog(void *arg)
{
    (void)arg;
    sigset_t all; /* signals go to the run's thread, where they end blocked system calls */
    sigfillset(&all);
    pthread_sigmask(SIG_BLOCK, &all, NULL);
    for (;;) {
        struct timespec ts = {0, 50 * 1000 * 1000};
        nanosleep(&ts, NULL);
        if (!cli_interrupted) continue;
        for (int i = 0; i < 14; i++) nanosleep(&ts, NULL);
        cc_outputs_abandon();
        static const char msg[] = "\ncarecircle: error: Interrupted\n";
        ssize_t w = write(STDERR_FILENO, msg, sizeof(msg) - 1);
        (void)w;
        _exit(130);
    }
    return NULL;
}

/* A warning said before in this process (a robust run reads the facilities of every variant and
 * meets the same far clinic in each): true for a repeat. FNV-1a hashes of the texts; batch variants'
 * messages carry their variant's name, so each variant still says its own. Thread-safe (batch --jobs). */
static bool warned_before(const char *msg)
{
    static pthread_mutex_t mu = PTHREAD_MUTEX_INITIALIZER;
    static uint64_t seen[1024];
    static size_t n_seen;
    uint64_t h = 1469598103934665603ULL;
    for (const unsigned char *p = (const unsigned char *)msg; *p; p++) h = (h ^ *p) * 1099511628211ULL;
    bool again = false;
    pthread_mutex_lock(&mu);
    for (size_t i = 0; i < n_seen && !again; i++) again = seen[i] == h;
    if (!again && n_seen < sizeof(seen) / sizeof(seen[0])) seen[n_seen++] = h;
    pthread_mutex_unlock(&mu);
    return again;
}

static void log_cb(void *user, cc_log_level level, const char *msg)
{
    cli_env *env = user;
    if (level == CC_LOG_ERROR) return; /* printed once by cli_fail */
    if (level == CC_LOG_WARNING && warned_before(msg)) { /* said once; the repeats with --verbose */
        if (!env->verbose) return;
        char again[CLI_MAX_MSG + 32];
        snprintf(again, sizeof(again), "(warned before) %s", msg);
        log_cb(user, CC_LOG_DEBUG, again);
        return;
    }
    if (level == CC_LOG_INFO && env->quiet) return;
    if (level == CC_LOG_DEBUG && !env->verbose) return;
    if (env->progress_shown) {
        fputs("\r\033[K", stderr);
        env->progress_shown = 0;
    }
    const char *tag = level == CC_LOG_WARNING ? "warning: " : "";
    char mapped[CLI_MAX_MSG];
    if (env->flags) msg = cli_params_to_flags(msg, mapped, sizeof(mapped));
    if (env->mpi_rank >= 0)
        fprintf(stderr, "carecircle[rank %d]: %s%s\n", env->mpi_rank, tag, msg);
    else
        fprintf(stderr, "carecircle: %s%s\n", tag, msg);
}

static void progress_cb(void *user, const char *step, double fraction)
{
    cli_env *env = user;
    if (env->quiet || !env->tty) return;
    int width = 30, fill = (int)(fraction * width + 0.5);
    if (fill > width) fill = width;
    fprintf(stderr, "\r\033[K%-34s [", step);
    for (int i = 0; i < width; i++) fputc(i < fill ? '#' : '.', stderr);
    fprintf(stderr, "] %3d%%", (int)(fraction * 100 + 0.5));
    env->progress_shown = fraction < 1.0;
    if (fraction >= 1.0) fputs("\r\033[K", stderr);
    fflush(stderr);
}

int cli_setup(cli_env *env, bool quiet, bool verbose, int threads)
{
    memset(env, 0, sizeof(*env));
    env->quiet = quiet;
    env->verbose = verbose;
    env->tty = isatty(STDERR_FILENO);
    env->mpi_rank = -1;
    if (cc_ctx_create(&env->ctx) != CC_OK) {
        fprintf(stderr, "carecircle: error: out of memory\n");
        return CLI_EXIT_RESOURCES;
    }
    cc_ctx_set_log(env->ctx, log_cb, env);
    cc_ctx_set_progress(env->ctx, progress_cb, env);
    cc_ctx_set_threads(env->ctx, threads);
    cc_ctx_set_interrupt_flag(env->ctx, &cli_interrupted);
    if (cli_command_line) cc_ctx_set_command(env->ctx, cli_command_line);
    static bool watching;
    pthread_t wt;
    if (!watching && pthread_create(&wt, NULL, watchdog, NULL) == 0) {
        pthread_detach(wt);
        watching = true;
    }
    struct sigaction sa;
    memset(&sa, 0, sizeof(sa));
    sa.sa_handler = on_signal;
    /* no SA_RESTART: a system call blocked when the signal comes (an open() that waits, a read on a
     * stalled file system) returns EINTR and the run ends; the library also polls the flag */
    sa.sa_flags = 0;
    sigemptyset(&sa.sa_mask);
    sigaction(SIGINT, &sa, NULL);
    sigaction(SIGTERM, &sa, NULL);
    sigaction(SIGHUP, &sa, NULL);  /* terminal closed */
    sigaction(SIGPIPE, &sa, NULL); /* stdout or stderr piped into a reader that quit */
    /* over a file-size limit, writes must fail with EFBIG (a clean error) instead of killing us */
    signal(SIGXFSZ, SIG_IGN);
    return CLI_EXIT_OK;
}

void cli_teardown(cli_env *env)
{
    cc_ctx_destroy(env->ctx);
    env->ctx = NULL;
}

int cli_exit_code(cc_status st)
{
    switch (st) {
    case CC_OK: return CLI_EXIT_OK;
    case CC_ERR_PARAM: return CLI_EXIT_USAGE;
    case CC_ERR_INPUT:
    case CC_ERR_CRS: return CLI_EXIT_INPUT;
    case CC_ERR_IO: return CLI_EXIT_IO;
    case CC_ERR_NOMEM:
    case CC_ERR_LIMIT: return CLI_EXIT_RESOURCES;
    case CC_ERR_INTERRUPTED: return CLI_EXIT_INTERRUPTED;
    case CC_ERR_INTERNAL: return CLI_EXIT_INTERNAL;
    }
    return CLI_EXIT_INTERNAL;
}

/* The library names its parameters by their field names ("parameter tier_field"); a command
 * whose parameters come from flags shows the flag instead ("option --tier-field"). */
static const struct {
    const char *param, *flag;
} param_flags[] = {
    {"roads", "--roads"}, {"roads_layer", "--roads-layer"}, {"class_field", "--class-field"}, {"speed_field", "--speed-field"},
    {"population", "--population"}, {"population_field", "--population-field"}, {"facilities", "--facilities"},
    {"facility_name_field", "--name-field"}, {"lon_field", "--lon-field"}, {"lat_field", "--lat-field"},
    {"facility_where", "--facility-where"}, {"tier_field", "--tier-field"}, {"tiers", "--tiers"}, {"admin", "--admin"},
    {"admin_name_field", "--admin-name-field"}, {"admin_code_field", "--admin-code-field"}, {"encoding", "--encoding"}, {"crs", "--crs"},
    {"profile", "--profile"}, {"resolution_m", "--resolution"}, {"out_dir", "--out"}, {"minutes", "--minutes"}, {"outputs", "--outputs"},
    {"uncovered_minutes", "--uncovered-minutes"}, {"p", "-p"}, {"curve_to", "--curve"}, {"target_share", "--target"},
    {"radius_minutes", "--radius"}, {"dispatch_minutes", "--dispatch-minutes"}, {"spacing_m", "--spacing"},
    {"max_per_area", "--max-per-area"}, {"min_per_area", "--min-per-area"}, {"candidates", "--candidates"},
    {"candidate_tiers", "--candidate-tiers"}, {"candidate_roads", "--candidate-roads"}, {"fixed_tiers", "--fixed-tiers"},
    {"candidate_name_field", "--candidate-name-field"}, {"exclude", "--exclude"}, {"max_subcentres", "--max-subcentres"},
    {"exact", "--exact"}, {"exact_max_nonzeros", "--exact-limit"}, {"time_limit_s", "--time-limit"},
    {"max_memory_bytes", "--max-memory"}, {"tile_cells", "--tile"}, {"halo_m", "--halo-km"}, {"model", "--model"},
    {"emergency", "--emergency"}, {"lang", "--lang"}, {"headline", "--headline"}, {"title", "--title"},
    {"offroad", "--offroad"}, {"friction", "--friction"}, {"dem", "--dem"},
    {"landcover", "--landcover"}, {"water", "--water"}, {"ferries", "--ferries"}, {"neighbours", "--neighbours"}, {"impassable_population", "--impassable-population"}, {"impassable_max_m", "--impassable-max-m"},
    {"chain", "--chain"}, {"station_tiers", "--station-tiers"},
    {"capable_tiers", "--capable-tiers"}, {"upgrade_tiers", "--upgrade-tiers"}, {"on_scene_minutes", "--on-scene-minutes"}, {"capacity_field", "--capacity"},
    {"capacity_minutes", "--capacity-minutes"}, {"busy_fraction", "--busy-fraction"}, {"max_per_station", "--max-per-station"}, {"outer_minutes", "--outer-minutes"}, {"alpha", "--alpha"}, {"capacity_persons", "--site-capacity"},
    {"objective", "--objective"}, {"regret", "--regret"}, {"scenarios", "--scenarios"},
};

static const char *flag_of(const char *name, size_t len)
{
    for (size_t i = 0; i < sizeof(param_flags) / sizeof(param_flags[0]); i++)
        if (strlen(param_flags[i].param) == len && !strncmp(param_flags[i].param, name, len)) return param_flags[i].flag;
    return NULL;
}

/* "Parameter p is 0" -> "Option -p is 0"; "give parameter candidate_tiers, candidates or
 * candidate_roads" -> "give option --candidate-tiers, --candidates or --candidate-roads". Names
 * without a flag stay as they are. */
const char *cli_params_to_flags(const char *msg, char *out, size_t n)
{
    size_t o = 0;
#define PUT(s, len)                                                                                                           \
    do {                                                                                                                      \
        size_t l_ = (len);                                                                                                    \
        if (o + l_ >= n) l_ = n - 1 - o;                                                                                      \
        memcpy(out + o, (s), l_);                                                                                             \
        o += l_;                                                                                                              \
    } while (0)
    const char *s = msg;
    while (*s && o + 1 < n) {
        bool cap = !strncmp(s, "Parameter", 9), low = !strncmp(s, "parameter", 9);
        bool word_start = s == msg || !(isalnum((unsigned char)s[-1]) || s[-1] == '_');
        if (!(cap || low) || !word_start) {
            PUT(s, 1);
            s++;
            continue;
        }
        const char *p = s + 9;
        if (*p == 's') p++;
        if (*p != ' ') {
            PUT(s, (size_t)(p - s));
            s = p;
            continue;
        }
        /* a list of names: "a", "a and b", "a, b or c" */
        const char *q = p + 1;
        bool any = false;
        char buf[512];
        size_t bo = 0;
        for (;;) {
            const char *w = q;
            while (isalnum((unsigned char)*q) || *q == '_') q++;
            const char *f = q > w ? flag_of(w, (size_t)(q - w)) : NULL;
            if (!f) {
                q = w;
                break;
            }
            any = true;
            bo += (size_t)snprintf(buf + bo, sizeof(buf) - bo, "%s", f);
            const char *sep = !strncmp(q, ", ", 2) ? ", " : !strncmp(q, " and ", 5) ? " and " : !strncmp(q, " or ", 4) ? " or " : NULL;
            if (!sep || bo + 8 >= sizeof(buf)) break;
            const char *after = q + strlen(sep), *w2 = after;
            while (isalnum((unsigned char)*w2) || *w2 == '_') w2++;
            if (!flag_of(after, (size_t)(w2 - after))) break;
            bo += (size_t)snprintf(buf + bo, sizeof(buf) - bo, "%s", sep);
            q = after;
        }
        if (!any) {
            PUT(s, (size_t)(p - s));
            s = p;
            continue;
        }
        const char *word = cap ? "Option" : "option";
        PUT(word, strlen(word));
        if (p - s == 10) PUT("s", 1);
        PUT(" ", 1);
        PUT(buf, bo);
        s = q;
    }
#undef PUT
    out[o] = '\0';
    return out;
}

int cli_fail(cli_env *env, cc_status st)
{
    if (env->progress_shown) fputs("\r\033[K", stderr);
    const char *msg = cc_ctx_last_error(env->ctx);
    if (!msg || !*msg) msg = cc_status_string(st);
    if (cli_interrupted && st != CC_OK) { /* whatever failed after a signal (EINTR, EPIPE) failed because of it */
        st = CC_ERR_INTERRUPTED;
        msg = "Interrupted";
    }
    char mapped[CLI_MAX_MSG];
    if (env->flags) msg = cli_params_to_flags(msg, mapped, sizeof(mapped));
    /* one line per problem (a scenario file may hold several) */
    for (const char *s = msg; *s;) {
        const char *e = strchr(s, '\n');
        int n = e ? (int)(e - s) : (int)strlen(s);
        fprintf(stderr, "carecircle: error: %.*s\n", n, s);
        s = e ? e + 1 : s + n;
    }
    return cli_exit_code(st);
}

int cli_usage_error(const char *cmd, const char *fmt, ...)
{
    va_list ap;
    fprintf(stderr, "carecircle %s: error: ", cmd);
    va_start(ap, fmt);
    vfprintf(stderr, fmt, ap);
    va_end(ap);
    fprintf(stderr, " (see 'carecircle %s --help')\n", cmd);
    return CLI_EXIT_USAGE;
}

int cli_parse_numbers(const char *s, double *out, int max)
{
    int n = 0;
    const char *p = s;
    while (*p) {
        char *end;
        errno = 0;
        double v = cc_strtod(p, &end);
        if (end == p || errno || !isfinite(v)) return -1;
        if (n == max) return -1;
        out[n++] = v;
        p = end;
        while (*p == ' ') p++;
        if (*p == ',') {
            p++;
            if (!*p) return -1;
        } else if (*p) {
            return -1;
        }
    }
    return n;
}

#ifdef CC_WITH_MPI
int cli_mpi_begin(cli_env *env, cc_mpi **mpi)
{
    *mpi = NULL;
    if (cc_mpi_init(env->ctx, NULL, NULL, mpi)) {
        int rc = cli_fail(env, CC_ERR_INTERNAL);
        cli_teardown(env);
        return rc;
    }
    if (cc_mpi_get_size(*mpi) > 1) {
        env->mpi_rank = cc_mpi_get_rank(*mpi);
        if (env->mpi_rank > 0) env->tty = false; /* one progress bar: rank 0's */
    }
    return 0;
}
#endif

int cli_parse_int(const char *cmd, const char *opt, const char *s, int *out)
{
    char *end;
    errno = 0;
    long v = strtol(s, &end, 10);
    if (*end || end == s) return cli_usage_error(cmd, "%s '%s' must be an integer", opt, s);
    if (errno == ERANGE || v < -1024 || v > 1024) /* an integer, but not one we take: say which we take */
        return cli_usage_error(cmd, "%s %s is out of range: give an integer from -1024 to 1024", opt, s);
    *out = (int)v;
    return 0;
}

int cli_parse_minutes(const char *cmd, const char *s, double *minutes, size_t *n)
{
    int k = cli_parse_numbers(s, minutes, CC_MAX_BANDS);
    if (k <= 0)
        return cli_usage_error(cmd, "--minutes '%s' is not a comma-separated list of at most %d numbers", s, CC_MAX_BANDS);
    *n = (size_t)k;
    return 0;
}

int cli_offroad_opt(const char *cmd, int c, const char *arg, cc_offroad_opts *o)
{
    if (c == CLI_O_IMPASSABLE) {
        if (strcmp(arg, "nearest") && strcmp(arg, "none")) return cli_usage_error(cmd, "--impassable-population '%s' must be nearest or none", arg);
        o->impassable = !strcmp(arg, "none") ? CC_IMPASSABLE_NONE : CC_IMPASSABLE_NEAREST;
    } else if (c == CLI_O_IMPASSABLE_M) {
        char *end;
        double v = cc_strtod(arg, &end);
        if (*end || end == arg || !(v > 0 && v <= 100000))
            return cli_usage_error(cmd, "--impassable-max-m '%s' must be a distance in metres above 0, at most 100000", arg);
        o->impassable_max_m = v;
    } else if (c == CLI_O_NEIGHBOURS) {
        if (strcmp(arg, "8") && strcmp(arg, "16")) return cli_usage_error(cmd, "--neighbours '%s' must be 8 or 16", arg);
        o->neighbours = atoi(arg);
    } else if (!strcmp(arg, "straight") || !strcmp(arg, "friction")) {
        o->model = !strcmp(arg, "friction") ? CC_OFFROAD_FRICTION : CC_OFFROAD_STRAIGHT;
    } else {
        return cli_usage_error(cmd, "--offroad '%s' must be straight or friction", arg);
    }
    return 0;
}

int cli_parse_lang(const char *cmd, const char *s, const char **out)
{
    if (strcmp(s, "zh") && strcmp(s, "en") && strcmp(s, "zh,en") && strcmp(s, "en,zh"))
        return cli_usage_error(cmd, "--lang '%s' must be zh, en or zh,en", s);
    *out = s;
    return 0;
}

int cli_getopt(cli_cmd *cmd, int argc, char **argv, const char *shortopts, const struct option *lo)
{
    int c;
    if (!cmd->started) {
        opterr = 0;
        optind = 1;
        cmd->started = true;
    }
    while ((c = getopt_long(argc, argv, shortopts, lo, NULL)) != -1) {
        switch (c) {
        case CLI_O_THREADS:
            if ((cmd->rc = cli_parse_int(cmd->name, "--threads", optarg, &cmd->threads))) return CLI_OPT_EXIT;
            break;
        case CLI_O_MINUTES:
            if ((cmd->rc = cli_parse_minutes(cmd->name, optarg, cmd->minutes, &cmd->n_minutes))) return CLI_OPT_EXIT;
            break;
        case CLI_O_CACHE_DIR:
            if (!*optarg) {
                cmd->rc = cli_usage_error(cmd->name, "--cache-dir needs a folder");
                return CLI_OPT_EXIT;
            }
            cmd->cache_dir = optarg;
            break;
        case CLI_O_NO_CACHE: cmd->no_cache = true; break;
        case CLI_O_QUIET: cmd->quiet = true; break;
        case CLI_O_VERBOSE: cmd->verbose = true; break;
        case 'h':
        case CLI_O_HELP:
            cmd->help();
            cmd->rc = CLI_EXIT_OK;
            return CLI_OPT_EXIT;
        case ':':
        case '?':
            cli_usage_error(cmd->name, c == ':' ? "option '%s' needs a value" : "unknown option '%s'", argv[optind - 1]);
            cmd->rc = CLI_EXIT_USAGE;
            return CLI_OPT_EXIT;
        default: return c;
        }
    }
    return -1;
}

int cli_no_operands(const cli_cmd *cmd, int argc, char **argv)
{
    if (optind >= argc) return 0;
    return cli_usage_error(cmd->name, "unexpected argument '%s'", argv[optind]);
}

int cli_require(const cli_cmd *cmd, const char *missing)
{
    if (!missing) return 0;
    return cli_usage_error(cmd->name, "%s is required", missing);
}

char *cli_cache_dir(const cli_cmd *cmd)
{
    if (cmd->no_cache) return NULL;
    if (cmd->cache_dir) return strdup(cmd->cache_dir);
    /* the XDG base directory rule: $XDG_CACHE_HOME when absolute, else ~/.cache */
    const char *xdg = getenv("XDG_CACHE_HOME"), *home = getenv("HOME");
    char buf[4096];
    if (xdg && xdg[0] == '/') snprintf(buf, sizeof(buf), "%s/carecircle", xdg);
    else if (home && home[0]) snprintf(buf, sizeof(buf), "%s/.cache/carecircle", home);
    else return NULL;
    return strdup(buf);
}

int cli_cmd_setup(const cli_cmd *cmd, cli_env *env, bool flags)
{
    int rc = cli_setup(env, cmd->quiet, cmd->verbose, cmd->threads);
    if (!rc) {
        env->flags = flags;
        char *dir = cli_cache_dir(cmd);
        cc_ctx_set_cache_dir(env->ctx, dir);
        free(dir);
    }
    return rc;
}

int cli_cmd_start(const cli_cmd *cmd, cli_env *env, bool flags, struct cc_mpi **mpi)
{
    int rc = cli_cmd_setup(cmd, env, flags);
    *mpi = NULL;
#ifdef CC_WITH_MPI
    if (!rc) rc = cli_mpi_begin(env, mpi);
#endif
    return rc;
}

void cli_cmd_end(cli_env *env, struct cc_mpi *mpi)
{
#ifdef CC_WITH_MPI
    cc_mpi_finalize(mpi);
#else
    (void)mpi;
#endif
    cli_teardown(env);
}

int cli_inputs_done(const cli_cmd *cmd, int argc, char **argv, const cc_inputs *in, bool need_facilities, const char *out_dir,
                    const double **minutes, size_t *n_minutes)
{
    int rc = cli_no_operands(cmd, argc, argv);
    if (rc) return rc;
    if (minutes && cmd->n_minutes) {
        *minutes = cmd->minutes;
        *n_minutes = cmd->n_minutes;
    }
    /* --roads may be left out with --friction (coverage, site, traveltime: travel over the friction surface only) */
    bool roads_optional = (!strcmp(cmd->name, "coverage") || !strcmp(cmd->name, "site") || !strcmp(cmd->name, "traveltime")) &&
                          in->offroad.model == CC_OFFROAD_FRICTION && in->offroad.friction;
    return cli_require(cmd, !in->roads && !roads_optional       ? "--roads"
                            : !in->population                   ? "--population"
                            : need_facilities && !in->facilities ? "--facilities"
                            : !out_dir                          ? "--out"
                                                                : NULL);
}

int cli_fit(const char *s, int max)
{
    int n = 0;
    while (n < max && s[n]) n++;
    if (s[n] && n > 0) /* cut: back to the start of the character the column would split */
        while (n > 0 && ((unsigned char)s[n] & 0xC0) == 0x80) n--;
    return n;
}
