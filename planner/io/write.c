/* write.c - staged output folders, COG, GeoPackage and text writers. */

#include <dirent.h>
#include <errno.h>
#include <inttypes.h>
#include <fcntl.h>
#include <ftw.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <pthread.h>
#include <signal.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cpl_error.h>
#include <glib.h>
#include <json-c/json.h>
#include <cpl_conv.h>
#include <cpl_string.h>
#include <sqlite3.h>

#include "carecircle/cc_version.h"
#include "write_internal.h"

static int rm_entry(const char *path, const struct stat *sb, int flag, struct FTW *ftw)
{
    (void)sb;
    (void)flag;
    (void)ftw;
    return remove(path);
}

void cc__remove_tree(const char *path)
{
    nftw(path, rm_entry, 16, FTW_DEPTH | FTW_PHYS);
}

/* ---- ownership of output folders (issue 15) ------------------------------------------------------
 * carecircle replaces or writes into a folder only when it can show the folder is its own: empty,
 * or holding the marker file .carecircle that it writes first into every output folder (first line
 * CC__MARKER_LINE, then its version and the command), or, for outputs written before the marker
 * carried a version, holding summary.json/manifest.json/nodes.csv and nothing but file names
 * carecircle writes (and variant folders that pass the same test). */
#define CC__MARKER_LINE "carecircle output folder"

static const char *const output_names[] = {
    ".carecircle", "summary.json", "scenario.json", "coverage.gpkg", "travel_time.tif", "travel_time.qml", "project.qgs",
    "sites.gpkg", "coverage_curve.csv", "manifest.json", "comparison.csv", "comparison.gpkg", "map_zh.png", "map_en.png",
    "map_zh.pdf", "map_en.pdf", "report_zh.html", "report_en.html", "nodes.csv", "edges.csv", "access_by_village.csv",
    "access_by_village.xlsx", "referrals.csv", "access_index.tif", "offroad.tif", "regret.csv", NULL};

bool cc__is_output_name(const char *name)
{
    for (size_t i = 0; output_names[i]; i++)
        if (!strcasecmp(name, output_names[i])) return true;
    return false;
}

static bool has_marker(int dfd)
{
    int fd = openat(dfd, ".carecircle", O_RDONLY | O_NOFOLLOW | O_NONBLOCK | O_CLOEXEC);
    if (fd < 0) return false;
    struct stat sb;
    char buf[sizeof(CC__MARKER_LINE)];
    bool ok = fstat(fd, &sb) == 0 && S_ISREG(sb.st_mode) && read(fd, buf, sizeof(buf)) == (ssize_t)sizeof(buf) &&
              !memcmp(buf, CC__MARKER_LINE "\n", sizeof(buf));
    close(fd);
    return ok;
}

/* How an existing folder stands: 0 empty, 1 carecircle's (marker), 2 an earlier carecircle output
 * without a marker, -1 not carecircle's (@p stranger: the first entry that shows it). */
static int folder_owner(const char *dir, int depth, char *stranger, size_t n)
{
    int dfd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
    if (dfd < 0) {
        snprintf(stranger, n, "(unreadable: %s)", strerror(errno));
        return -1;
    }
    if (has_marker(dfd)) {
        close(dfd);
        return 1;
    }
    DIR *d = fdopendir(dfd);
    if (!d) {
        close(dfd);
        snprintf(stranger, n, "(unreadable)");
        return -1;
    }
    struct dirent *e;
    int state = 0;
    bool anchor = false;
    while ((e = readdir(d))) {
        if (!strcmp(e->d_name, ".") || !strcmp(e->d_name, "..")) continue;
        if (state == 0) state = 2;
        struct stat sb;
        if (fstatat(dirfd(d), e->d_name, &sb, AT_SYMLINK_NOFOLLOW) != 0) continue;
        if (S_ISREG(sb.st_mode) && cc__is_output_name(e->d_name)) {
            anchor |= !strcmp(e->d_name, "summary.json") || !strcmp(e->d_name, "manifest.json") || !strcmp(e->d_name, "nodes.csv");
            continue;
        }
        if (S_ISDIR(sb.st_mode) && depth == 0) { /* a batch folder: variant folders that are outputs themselves */
            char sub[4400], who[300];
            snprintf(sub, sizeof(sub), "%s/%s", dir, e->d_name);
            if (folder_owner(sub, 1, who, sizeof(who)) >= 0) continue;
        }
        snprintf(stranger, n, "%s", e->d_name);
        state = -1;
        break;
    }
    closedir(d);
    if (state == 2 && !anchor) {
        snprintf(stranger, n, "(no summary.json, manifest.json or nodes.csv)");
        state = -1;
    }
    return state;
}

/* Folders never used as output folders whatever they hold: "/", the working folder, the home
 * folder and any folder that contains one of them. */
static const char *protected_folder(const char *real)
{
    static const char *const what[] = {"the root folder", "the working folder or a folder above it",
                                       "the home folder or a folder above it"};
    char cwd[4096], home[4096];
    const char *h = getenv("HOME");
    const char *cand[3] = {"/", getcwd(cwd, sizeof(cwd)), h && *h && realpath(h, home) ? home : NULL};
    for (int i = 0; i < 3; i++) {
        if (!cand[i]) continue;
        size_t l = strlen(real);
        if (!strcmp(real, "/") || (!strncmp(cand[i], real, l) && (cand[i][l] == '/' || cand[i][l] == '\0')))
            return what[!strcmp(real, "/") ? 0 : i];
    }
    return NULL;
}

cc_status cc__out_check(cc_ctx *ctx, const char *dir, char *resolved, size_t n)
{
    struct stat sb;
    size_t len = strlen(dir);
    while (len > 1 && dir[len - 1] == '/') len--;
    if (len == 0 || len + 80 >= n || len >= 4000)
        return cc__fail(ctx, CC_ERR_PARAM, "Output folder name '%s' is empty or too long", dir);
    char given[4096], real[4096];
    snprintf(given, sizeof(given), "%.*s", (int)len, dir);
    if (lstat(given, &sb) == 0) {
        /* symbolic links are followed to their target, which must be a folder; never replaced */
        if (!realpath(given, real))
            return cc__fail(ctx, CC_ERR_IO, "Output folder '%s' is a symbolic link to a missing target: %s", given,
                            strerror(errno));
        if (stat(real, &sb) != 0 || !S_ISDIR(sb.st_mode))
            return cc__fail(ctx, CC_ERR_IO, "Output path '%s' exists and is not a folder", given);
    } else {
        /* a new folder: its parent resolved, then the name */
        char parent[4096];
        const char *slash = strrchr(given, '/');
        const char *base = slash ? slash + 1 : given;
        snprintf(parent, sizeof(parent), "%.*s", slash ? (int)(slash - given) : 1, slash ? (slash == given ? "/" : given) : ".");
        if (!strcmp(base, ".") || !strcmp(base, ".."))
            return cc__fail(ctx, CC_ERR_PARAM, "Output folder '%s' names no folder of its own", given);
        if (!realpath(parent, real)) snprintf(real, sizeof(real), "%s", parent); /* reported when created */
        size_t rl = strlen(real);
        if (rl + strlen(base) + 2 > sizeof(real))
            return cc__fail(ctx, CC_ERR_PARAM, "Output folder name '%s' is too long", given);
        memcpy(real + rl, "/", rl && real[rl - 1] == '/' ? 0 : 2);
        rl = strlen(real);
        memcpy(real + rl, base, strlen(base) + 1);
    }
    const char *prot = protected_folder(real);
    if (prot)
        return cc__fail(ctx, CC_ERR_PARAM, "Output folder '%s' is %s; give a new folder for the outputs, e.g. '%s/out'",
                        given, prot, strcmp(real, "/") ? real : "");
    if (stat(real, &sb) == 0) {
        char who[300] = "";
        if (folder_owner(real, 0, who, sizeof(who)) < 0)
            return cc__fail(ctx, CC_ERR_IO,
                            "Output folder '%s' is not a carecircle output folder: it has no carecircle marker and holds "
                            "'%s'; choose a new folder or empty it",
                            given, who);
    }
    snprintf(resolved, n, "%s", real);
    return CC_OK;
}

cc_status cc_output_dir_check(cc_ctx *ctx, const char *dir)
{
    char real[4096];
    return cc__out_check(ctx, dir, real, sizeof(real));
}

/* Written to a temporary name and renamed: a process reading the marker (another MPI rank checking
 * the same folder) sees the old one or the new one, never a truncated file. */
cc_status cc__marker_write(cc_ctx *ctx, const char *dir, bool staging)
{
    char p[4200], tmp[4300];
    snprintf(p, sizeof(p), "%s/.carecircle", dir);
    snprintf(tmp, sizeof(tmp), "%s/.carecircle.tmp-%ld", dir, (long)getpid());
    FILE *f = fopen(tmp, "w");
    if (!f) return cc__fail(ctx, CC_ERR_IO, "Unable to write in output folder '%s': %s", dir, strerror(errno));
    fprintf(f, CC__MARKER_LINE "\nversion %s\ncommand %s\n", CC_VERSION_STRING,
            ctx->command[0] ? ctx->command : "(library call)");
    if (staging) fprintf(f, "staging pid %ld\n", (long)getpid());
    if (fclose(f) != 0) {
        unlink(tmp);
        return cc__fail(ctx, CC_ERR_IO, "Unable to write '%s': %s", p, strerror(errno));
    }
    if (rename(tmp, p) != 0) {
        int e = errno;
        unlink(tmp);
        return cc__fail(ctx, CC_ERR_IO, "Unable to write '%s': %s", p, strerror(e));
    }
    return CC_OK;
}

/* Staging folders <final>.cc-tmp-XXXXXX (and <final>.cc-old-PID) of carecircle's own whose
 * process is gone (killed with SIGKILL, power cut): removed, and counted in a warning. */
static void remove_stale_staging(cc_ctx *ctx, const char *final_dir)
{
    char parent[4096];
    const char *slash = strrchr(final_dir, '/');
    if (!slash) return;
    snprintf(parent, sizeof(parent), "%.*s", slash == final_dir ? 1 : (int)(slash - final_dir), final_dir);
    const char *base = slash + 1;
    size_t bl = strlen(base), removed = 0;
    DIR *d = opendir(parent);
    if (!d) return;
    struct dirent *e;
    while ((e = readdir(d))) {
        const char *tail = e->d_name + bl;
        if (strncmp(e->d_name, base, bl) || (strncmp(tail, ".cc-tmp-", 8) && strncmp(tail, ".cc-old-", 8))) continue;
        char p[4400];
        snprintf(p, sizeof(p), "%s/%s", parent, e->d_name);
        struct stat sb;
        if (lstat(p, &sb) != 0 || !S_ISDIR(sb.st_mode)) continue;
        int dfd = open(p, O_RDONLY | O_DIRECTORY | O_CLOEXEC | O_NOFOLLOW);
        if (dfd < 0) continue;
        long pid = -1;
        if (has_marker(dfd)) {
            int fd = openat(dfd, ".carecircle", O_RDONLY | O_CLOEXEC | O_NOFOLLOW);
            char buf[1200] = "";
            ssize_t got = fd >= 0 ? read(fd, buf, sizeof(buf) - 1) : -1;
            if (fd >= 0) close(fd);
            buf[got > 0 ? got : 0] = '\0';
            const char *pl = strstr(buf, "\nstaging pid ");
            if (pl) pid = strtol(pl + 13, NULL, 10);
        }
        close(dfd);
        if (!strncmp(tail, ".cc-old-", 8)) pid = strtol(tail + 8, NULL, 10); /* moved aside by that process */
        if (pid <= 0 || pid == (long)getpid() || kill((pid_t)pid, 0) == 0 || errno != ESRCH) continue;
        cc__remove_tree(p);
        removed++;
    }
    closedir(d);
    if (removed)
        cc__warn(ctx, "Removed %zu staging folder%s of an interrupted earlier run next to '%s'", removed,
                 removed == 1 ? "" : "s", final_dir);
}

/* Staging folders of the runs in progress, for cc_outputs_abandon (a program ending at once). */
#define CC__MAX_LIVE_STAGES 64
static pthread_mutex_t live_lock = PTHREAD_MUTEX_INITIALIZER;
static char live[CC__MAX_LIVE_STAGES][4160];

static void live_set_locked(const char *dir, bool on)
{
    for (int i = 0; i < CC__MAX_LIVE_STAGES; i++) {
        if (on && !live[i][0]) {
            snprintf(live[i], sizeof(live[i]), "%s", dir);
            break;
        }
        if (!on && !strcmp(live[i], dir)) {
            live[i][0] = '\0';
            break;
        }
    }
}

static void live_set(const char *dir, bool on)
{
    pthread_mutex_lock(&live_lock);
    live_set_locked(dir, on);
    pthread_mutex_unlock(&live_lock);
}

bool cc__stage_is_live(const char *dir)
{
    size_t l = strlen(dir);
    while (l > 1 && dir[l - 1] == '/') l--;
    bool found = false;
    pthread_mutex_lock(&live_lock);
    for (int i = 0; i < CC__MAX_LIVE_STAGES && !found; i++)
        found = live[i][0] && strlen(live[i]) == l && !strncmp(live[i], dir, l);
    pthread_mutex_unlock(&live_lock);
    return found;
}

void cc_outputs_abandon(void)
{
    /* the run may still be writing into its staging folder: renamed first, so that no new file
     * can appear in it by its path, then removed (again, if a file opened before came back) */
    pthread_mutex_lock(&live_lock);
    for (int i = 0; i < CC__MAX_LIVE_STAGES; i++)
        if (live[i][0]) {
            char gone[4200];
            size_t l = strnlen(live[i], sizeof(live[i]) - 1);
            memcpy(gone, live[i], l);
            memcpy(gone + l, "-x", 3);
            const char *p = rename(live[i], gone) == 0 ? gone : live[i];
            for (int k = 0; k < 5; k++) {
                cc__remove_tree(p);
                struct stat sb;
                if (lstat(p, &sb) != 0) break;
            }
            live[i][0] = '\0';
        }
    pthread_mutex_unlock(&live_lock);
}

cc_status cc__stage_begin(cc_ctx *ctx, const char *dir, cc__stage *s)
{
    cc_status st;
    memset(s, 0, sizeof(*s));
    if ((st = cc__out_check(ctx, dir, s->final_dir, sizeof(s->final_dir)))) return st;
    remove_stale_staging(ctx, s->final_dir);
    snprintf(s->tmp_dir, sizeof(s->tmp_dir), "%s.cc-tmp-XXXXXX", s->final_dir);
    pthread_mutex_lock(&live_lock); /* created and registered at once: cc_outputs_abandon sees it */
    bool made = mkdtemp(s->tmp_dir) != NULL;
    int e = errno;
    if (made) live_set_locked(s->tmp_dir, true);
    pthread_mutex_unlock(&live_lock);
    if (!made) return cc__fail(ctx, CC_ERR_IO, "Unable to create output folder next to '%s': %s", dir, strerror(e));
    chmod(s->tmp_dir, 0755);
    if ((st = cc__marker_write(ctx, s->tmp_dir, true))) {
        live_set(s->tmp_dir, false);
        cc__remove_tree(s->tmp_dir);
        return st;
    }
    s->active = true;
    return CC_OK;
}

cc_status cc__stage_sub(cc_ctx *ctx, const cc__stage *s, const char *name, cc__stage *sub)
{
    memset(sub, 0, sizeof(*sub));
    int k1 = snprintf(sub->final_dir, sizeof(sub->final_dir), "%s/%s", s->final_dir, name);
    int k2 = snprintf(sub->tmp_dir, sizeof(sub->tmp_dir), "%s/%s", s->tmp_dir, name);
    if (k1 < 0 || k2 < 0 || (size_t)k1 >= sizeof(sub->final_dir) || (size_t)k2 >= sizeof(sub->tmp_dir))
        return cc__fail(ctx, CC_ERR_IO, "Output folder name too long: '%s/%s'", s->final_dir, name);
    if (mkdir(sub->tmp_dir, 0755) != 0 && errno != EEXIST)
        return cc__fail(ctx, CC_ERR_IO, "Unable to create output folder '%s': %s", sub->tmp_dir, strerror(errno));
    cc_status st = cc__marker_write(ctx, sub->tmp_dir, false);
    if (!st) live_set(sub->tmp_dir, true);
    return st;
}

void cc__stage_sub_end(cc__stage *sub)
{
    if (sub->tmp_dir[0]) live_set(sub->tmp_dir, false);
    memset(sub, 0, sizeof(*sub));
}

const char *cc__stage_path(const cc__stage *s, const char *name, char *buf, size_t n)
{
    snprintf(buf, n, "%s/%s", s->tmp_dir, name);
    return buf;
}

cc_status cc__stage_commit(cc_ctx *ctx, cc__stage *s)
{
    struct stat sb;
    if (!s->active) return CC_OK;
    if (stat(s->final_dir, &sb) == 0) {
        if (renameat2(AT_FDCWD, s->tmp_dir, AT_FDCWD, s->final_dir, RENAME_EXCHANGE) != 0) {
            /* file systems without RENAME_EXCHANGE: move the old one aside, then rename */
            char old[4200];
            snprintf(old, sizeof(old), "%s.cc-old-%ld", s->final_dir, (long)getpid());
            if (rename(s->final_dir, old) != 0 || rename(s->tmp_dir, s->final_dir) != 0) {
                int e = errno;
                rename(old, s->final_dir);
                return cc__fail(ctx, CC_ERR_IO, "Unable to move outputs into '%s': %s", s->final_dir, strerror(e));
            }
            cc__remove_tree(old);
        } else {
            cc__remove_tree(s->tmp_dir); /* now holds the previous outputs */
        }
    } else if (rename(s->tmp_dir, s->final_dir) != 0) {
        return cc__fail(ctx, CC_ERR_IO, "Unable to move outputs into '%s': %s", s->final_dir, strerror(errno));
    }
    live_set(s->tmp_dir, false);
    s->active = false;
    return CC_OK;
}

void cc__stage_abort(cc__stage *s)
{
    /* removed while still registered: a process ended mid-removal has cc_outputs_abandon finish it */
    if (s && s->active) cc__remove_tree(s->tmp_dir);
    if (s && s->active) live_set(s->tmp_dir, false);
    if (s) s->active = false;
}

cc_status cc__write_cog(cc_ctx *ctx, const char *path, const cc__grid *grid, int n_bands, float *const *bands,
                        const char *const *band_names, const char *const *band_meta, double nodata)
{
    cc_status st = CC_OK;
    GDALDatasetH out = NULL;
    GDALDatasetH mem = cc__mem_dataset(ctx, grid->w, grid->h, grid->gt, grid->wkt);
    if (!mem) return CC_ERR_INTERNAL;
    for (int b = 0; b < n_bands && !st; b++) {
        if ((st = cc__mem_add_band(ctx, mem, GDT_Float32, bands[b]))) break;
        GDALRasterBandH band = GDALGetRasterBand(mem, b + 1);
        GDALSetRasterNoDataValue(band, nodata);
        GDALSetDescription(band, band_names[b]);
        GDALSetRasterUnitType(band, "min");
        const char *eq = band_meta && band_meta[b] ? strchr(band_meta[b], '=') : NULL;
        if (eq) {
            char key[64];
            snprintf(key, sizeof(key), "%.*s", (int)(eq - band_meta[b]), band_meta[b]);
            GDALSetMetadataItem(band, key, eq + 1, NULL);
        }
    }
    cc__gdal_begin(ctx);
    GDALDriverH cog = GDALGetDriverByName("COG");
    const char *opts[] = {"COMPRESS=DEFLATE", "PREDICTOR=YES", "BLOCKSIZE=256", "OVERVIEWS=AUTO", "RESAMPLING=NEAREST",
                          "NUM_THREADS=ALL_CPUS", NULL};
    if (!st && !cog) st = cc__fail(ctx, CC_ERR_INTERNAL, "GDAL has no COG driver");
    /* One pass (issue 19). Left to itself, the COG driver computes the overviews into a temporary
     * GeoTIFF (compressed with ZSTD, one fresh ZSTD context per strip: 38 % of a Comoros run's
     * page faults) and then copies the bands and that file into the COG. Here the overviews are
     * built first, in memory, on the MEM dataset (nearest neighbour, the levels the driver would
     * choose: halving until both sides fit in one 256 tile); the driver then finds them and
     * writes the COG in one pass (GTiff COPY_SRC_OVERVIEWS). The full-resolution bands and the
     * first overview are the pixels of the two-pass write; the MEM builder rounds the smaller
     * levels' sizes up (1270 rows: 635, 318, 159 instead of 635, 317, 158), so their pixels are
     * taken a half cell apart. */
    int levels[32], n_levels = 0;
    for (int tw = grid->w, th = grid->h, f = 2; (tw > 256 || th > 256) && n_levels < 32; f *= 2, tw /= 2, th /= 2)
        levels[n_levels++] = f;
    if (!st && n_levels && GDALBuildOverviews(mem, "NEAREST", n_levels, levels, 0, NULL, NULL, NULL) != CE_None)
        st = cc__fail(ctx, CC_ERR_NOMEM, "Unable to build the overviews of '%s': %s", path, cc__gdal_msg(ctx));
    if (!st && !(out = GDALCreateCopy(cog, path, mem, FALSE, (char **)opts, cc__gdal_progress, ctx)))
        st = cc__interrupted(ctx) ? cc__fail(ctx, CC_ERR_INTERRUPTED, "Interrupted while writing '%s'", path)
                                  : cc__fail(ctx, CC_ERR_IO, "Unable to write '%s': %s", path, cc__gdal_msg(ctx));
    if (out && cc__gdal_close(out) && !st) st = cc__fail(ctx, CC_ERR_IO, "Unable to finish '%s': %s", path, cc__gdal_msg(ctx));
    GDALClose(mem);
    cc__gdal_end(ctx);
    return st;
}

bool cc__gdal_close(GDALDatasetH ds)
{
    CPLErrorReset();
    GDALClose(ds); /* returns void before GDAL 3.7: read the error state instead */
    return CPLGetLastErrorType() == CE_Failure || CPLGetLastErrorType() == CE_Fatal;
}

static bool sql_run(cc_ctx *ctx, GDALDatasetH ds, const char *sql);

GDALDatasetH cc__gpkg_create(cc_ctx *ctx, const char *path)
{
    cc__gdal_init();
    cc__gdal_begin(ctx);
    GDALDriverH drv = GDALGetDriverByName("GPKG");
    GDALDatasetH ds = drv ? GDALCreate(drv, path, 0, 0, 0, GDT_Unknown, NULL) : NULL;
    /* the spatial indexes waiting for cc__gpkg_close (see index_prepare) */
    if (ds && !sql_run(ctx, ds, "CREATE TEMP TABLE IF NOT EXISTS cc_rtree_pending(tbl TEXT, col TEXT, trig TEXT)")) {
        GDALClose(ds);
        ds = NULL;
    }
    cc__gdal_end(ctx);
    if (!ds) cc__fail(ctx, CC_ERR_IO, "Unable to create GeoPackage '%s': %s", path, cc__gdal_msg(ctx));
    return ds;
}

/* ---- GeoPackage spatial indexes, bulk-loaded (issue 19) ------------------------------------------
 * A GeoPackage layer's spatial index is an SQLite R*Tree (rtree_<table>_<column>) kept in step by
 * triggers. GDAL 3.6 fills it at close with one INSERT per feature, each a top-down R*Tree
 * insertion: 0.4 s of CPU for Comoros' 44,000 uncovered cells, more than all the inserts of the
 * features. Here the index is created empty by GDAL itself (SQL function CreateSpatialIndex: the
 * virtual table, its triggers, the gpkg_extensions row), its insert trigger is set aside while
 * the features go in, and at close the tree is packed bottom-up (Sort-Tile-Recursive, Leutenegger,
 * Lopez & Edgington 1997) straight into the R*Tree's node, rowid and parent tables, in SQLite's
 * node format (rtree.c: 2-byte depth in the root, 2-byte cell count, cells of a 64-bit id and
 * four 32-bit floats, big-endian; minima rounded down and maxima up as SQLite rounds them); then
 * the insert trigger comes back. The boxes are read with GDAL's own ST_MinX... (what the trigger
 * would have stored). SQLite's rtreecheck() accepts the result (tests/cli/output_test.py). The
 * pending tables and their insert triggers are listed in a TEMP table of the connection, so that
 * nothing of it reaches the file. */

#define PENDING_TABLE "temp.cc_rtree_pending"

/* Run one SQL statement; false when GDAL reported a failure. */
static bool sql_run(cc_ctx *ctx, GDALDatasetH ds, const char *sql)
{
    size_t before = cc__gdal_failures(ctx);
    OGRLayerH r = GDALDatasetExecuteSQL(ds, sql, NULL, NULL);
    if (r) GDALDatasetReleaseResultSet(ds, r);
    return cc__gdal_failures(ctx) == before;
}

/* The first column of the first row of @p sql as a new string in *out: CC_ERR_IO (no message)
 * when there is none, CC_ERR_NOMEM (reported) when it cannot be copied. */
static cc_status sql_string(cc_ctx *ctx, GDALDatasetH ds, const char *sql, char **out)
{
    *out = NULL;
    OGRLayerH r = GDALDatasetExecuteSQL(ds, sql, NULL, NULL);
    if (!r) return CC_ERR_IO;
    OGRFeatureH f = OGR_L_GetNextFeature(r);
    bool have = f && OGR_F_GetFieldCount(f) > 0 && OGR_F_IsFieldSetAndNotNull(f, 0);
    if (have) *out = cc__strdup(OGR_F_GetFieldAsString(f, 0));
    if (f) OGR_F_Destroy(f);
    GDALDatasetReleaseResultSet(ds, r);
    if (have && !*out) return cc__fail(ctx, CC_ERR_NOMEM, "Out of memory");
    return have ? CC_OK : CC_ERR_IO;
}

/* The index of @p table starts empty; its insert trigger waits in PENDING_TABLE until
 * cc__gpkg_close. */
static cc_status index_prepare(cc_ctx *ctx, GDALDatasetH ds, const char *table, const char *col)
{
    char *q = NULL, *trig = NULL;
    cc_status st = CC_OK;
    cc__gdal_begin(ctx);
    q = CPLStrdup(CPLSPrintf("SELECT CreateSpatialIndex('%s', '%s')", table, col));
    if (!sql_run(ctx, ds, q)) goto fail;
    CPLFree(q);
    q = CPLStrdup(CPLSPrintf("SELECT sql FROM sqlite_master WHERE type = 'trigger' AND name = 'rtree_%s_%s_insert'", table, col));
    /* copied with GDAL's allocator, like the SQL text: this step's only failure is GDAL's, so
     * that a caller of cc__gpkg_layer (NULL: an I/O error) reports it rightly */
    OGRLayerH r = GDALDatasetExecuteSQL(ds, q, NULL, NULL);
    OGRFeatureH f = r ? OGR_L_GetNextFeature(r) : NULL;
    if (f && OGR_F_IsFieldSetAndNotNull(f, 0)) trig = CPLStrdup(OGR_F_GetFieldAsString(f, 0));
    if (f) OGR_F_Destroy(f);
    if (r) GDALDatasetReleaseResultSet(ds, r);
    if (!trig) goto fail;
    if (!sql_run(ctx, ds, "CREATE TEMP TABLE IF NOT EXISTS cc_rtree_pending(tbl TEXT, col TEXT, trig TEXT)")) goto fail;
    CPLFree(q);
    q = CPLStrdup(CPLSPrintf("DROP TRIGGER \"rtree_%s_%s_insert\"", table, col));
    if (!sql_run(ctx, ds, q)) goto fail;
    char *lit = CPLEscapeString(trig, -1, CPLES_SQL); /* quotes doubled */
    CPLFree(q);
    q = CPLStrdup(CPLSPrintf("INSERT INTO " PENDING_TABLE " VALUES ('%s', '%s', '%s')", table, col, lit));
    CPLFree(lit);
    if (!sql_run(ctx, ds, q)) goto fail;
    goto out;
fail:
    st = cc__fail(ctx, CC_ERR_IO, "Unable to create the spatial index of layer <%s> in '%s': %s", table, GDALGetDescription(ds), cc__gdal_msg(ctx));
out:
    cc__gdal_end(ctx);
    CPLFree(q);
    CPLFree(trig);
    return st;
}

/* One entry of the tree: a feature (leaves) or a node (above), its box as SQLite stores it. */
typedef struct rt_entry {
    int64_t id;
    float box[4]; /* minx, maxx, miny, maxy */
} rt_entry;

/* SQLite's rtreeValueDown / rtreeValueUp: the nearest float below (above) a double. */
static float rt_down(double d)
{
    float f = (float)d;
    if (f > d) f = (float)(d * (d < 0 ? 1.0 + 1.0 / 8388608.0 : 1.0 - 1.0 / 8388608.0));
    return f;
}

static float rt_up(double d)
{
    float f = (float)d;
    if (f < d) f = (float)(d * (d < 0 ? 1.0 - 1.0 / 8388608.0 : 1.0 + 1.0 / 8388608.0));
    return f;
}

/* ---- boxes recorded as the features are written ----------------------------------------------
 * The boxes of a layer whose index waits (index_prepare) are kept as cc__gpkg_put writes its
 * features (fid and envelope: what the insert trigger would have stored, GDAL's ST_MinX... of the
 * same geometry), so that the index is packed without reading every geometry back through GDAL's
 * SQL (12 % of a Comoros coverage run for its 114,000 uncovered cells). index_load takes them when
 * every feature of the layer came through cc__gpkg_put (the counts agree), else reads them back.
 * Process-wide, by layer handle, under a mutex: GeoPackages of batch variants are written at once. */
typedef struct rt_rec {
    GDALDatasetH ds;
    OGRLayerH lyr;
    rt_entry *e;
    size_t n, cap, n_put;
    bool failed; /* out of memory once: read back instead */
    bool exact;  /* every feature of the layer came through cc__gpkg_rows: no count to compare */
} rt_rec;

static GMutex rec_lock;
static GHashTable *rec_table; /* OGRLayerH -> rt_rec */

static void rec_free(gpointer p)
{
    rt_rec *r = p;
    free(r->e);
    free(r);
}

static void rec_start(GDALDatasetH ds, OGRLayerH lyr)
{
    rt_rec *r = calloc(1, sizeof(*r));
    g_mutex_lock(&rec_lock);
    if (!rec_table) rec_table = g_hash_table_new_full(g_direct_hash, g_direct_equal, NULL, rec_free);
    if (r) {
        r->ds = ds, r->lyr = lyr;
        g_hash_table_replace(rec_table, lyr, r);
    }
    g_mutex_unlock(&rec_lock);
}

/* One feature of @p r written (rec_lock held): its box when @p env (not empty). */
static void rec_add(rt_rec *r, int64_t fid, const OGREnvelope *env)
{
    if (!r || r->failed) return;
    r->n_put++;
    if (!env) return;
    if (r->n == r->cap) {
        size_t c = r->cap ? 2 * r->cap : 1024;
        rt_entry *ne = realloc(r->e, c * sizeof(*ne));
        if (ne) r->e = ne, r->cap = c;
        else r->failed = true;
    }
    if (!r->failed) r->e[r->n++] = (rt_entry){fid, {rt_down(env->MinX), rt_up(env->MaxX), rt_down(env->MinY), rt_up(env->MaxY)}};
}

static void rec_put(OGRLayerH lyr, OGRFeatureH f)
{
    OGRGeometryH g = OGR_F_GetGeometryRef(f);
    OGREnvelope env;
    bool has = g && !OGR_G_IsEmpty(g);
    if (has) OGR_G_GetEnvelope(g, &env);
    g_mutex_lock(&rec_lock);
    rec_add(rec_table ? g_hash_table_lookup(rec_table, lyr) : NULL, OGR_F_GetFID(f), has ? &env : NULL);
    g_mutex_unlock(&rec_lock);
}

/* The boxes recorded for layer @p table of @p ds when they are all of its features (taken: *out,
 * *n; the caller frees), else false. */
static bool rec_take(GDALDatasetH ds, const char *table, rt_entry **out, size_t *n)
{
    OGRLayerH lyr = GDALDatasetGetLayerByName(ds, table);
    g_mutex_lock(&rec_lock);
    rt_rec *r = rec_table && lyr ? g_hash_table_lookup(rec_table, lyr) : NULL;
    bool exact = r && r->exact;
    g_mutex_unlock(&rec_lock);
    /* (GDAL's count of a layer written by cc__gpkg_rows is not asked: it has not seen the rows) */
    GIntBig count = lyr && !exact ? OGR_L_GetFeatureCount(lyr, TRUE) : -1;
    bool ok = false;
    g_mutex_lock(&rec_lock);
    r = rec_table && lyr ? g_hash_table_lookup(rec_table, lyr) : NULL;
    if (r && r->ds == ds && !r->failed && (r->exact || (count >= 0 && (size_t)count == r->n_put))) {
        *out = r->e, *n = r->n;
        r->e = NULL, r->n = r->cap = 0;
        ok = true;
    }
    g_mutex_unlock(&rec_lock);
    return ok;
}

static gboolean rec_of_ds(gpointer key, gpointer value, gpointer ds)
{
    (void)key;
    return ((rt_rec *)value)->ds == ds;
}

/* Forget every layer of @p ds (it is being closed). */
static void rec_end(GDALDatasetH ds)
{
    g_mutex_lock(&rec_lock);
    if (rec_table) g_hash_table_foreach_remove(rec_table, rec_of_ds, ds);
    g_mutex_unlock(&rec_lock);
}

static int rt_cmp_x(const void *a, const void *b)
{
    const rt_entry *p = a, *q = b;
    float x = p->box[0] + p->box[1], y = q->box[0] + q->box[1];
    return x < y ? -1 : x > y ? 1 : (p->id > q->id) - (p->id < q->id);
}

static int rt_cmp_y(const void *a, const void *b)
{
    const rt_entry *p = a, *q = b;
    float x = p->box[2] + p->box[3], y = q->box[2] + q->box[3];
    return x < y ? -1 : x > y ? 1 : (p->id > q->id) - (p->id < q->id);
}

static void put_be(uint8_t *p, uint64_t v, int bytes)
{
    for (int i = bytes - 1; i >= 0; i--) *p++ = (uint8_t)(v >> (8 * i));
}

/* Node @p no holding @p n entries, in SQLite's node format, into @p buf of @p node_size bytes. */
static void node_bytes(uint8_t *buf, int64_t no, int depth, const rt_entry *e, size_t n, size_t node_size)
{
    memset(buf, 0, node_size);
    put_be(buf, no == 1 ? (uint64_t)depth : 0, 2);
    put_be(buf + 2, n, 2);
    for (size_t i = 0; i < n; i++) {
        uint8_t *c = buf + 4 + 24 * i;
        put_be(c, (uint64_t)e[i].id, 8);
        for (int k = 0; k < 4; k++) {
            uint32_t u;
            memcpy(&u, &e[i].box[k], 4);
            put_be(c + 8 + 4 * k, u, 4);
        }
    }
}

/* The rows of one of the R*Tree's tables (node, rowid, parent). Through SQLite itself when GDAL
 * gives its connection (GDAL 3.6: GDALGetInternalHandle "SQLITE_HANDLE"): one prepared INSERT,
 * values bound, one step a row. Else multi-row INSERT statements through GDAL's ExecuteSQL, 500
 * rows each, blobs as hex: GDAL scans a statement's whole text case-insensitively several times
 * before running it, which on megabytes of node hex cost more than the inserts themselves (perf,
 * Comoros' 114,000 uncovered cells: 6 % of a coverage run in tolower). */
/* A row of the rowid table: feature id, its leaf node. */
typedef struct rt_pair {
    int64_t id, node;
} rt_pair;

static int rt_pair_cmp(const void *a, const void *b)
{
    const rt_pair *p = a, *q = b;
    return (p->id > q->id) - (p->id < q->id);
}

typedef struct rt_sink {
    sqlite3_stmt *st;
    GString *sql;
    size_t head, rows;
} rt_sink;

static bool sink_open(cc_ctx *ctx, sqlite3 *db, rt_sink *s, const char *table)
{
    memset(s, 0, sizeof(*s));
    char *q = sqlite3_mprintf("INSERT INTO \"%w\" VALUES (?, ?)", table);
    if (!q) return false;
    if (db && sqlite3_prepare_v2(db, q, -1, &s->st, NULL) != SQLITE_OK) {
        cc__debug(ctx, "Spatial index through GDAL's SQL: %s", sqlite3_errmsg(db));
        s->st = NULL;
    }
    if (!s->st) {
        s->sql = g_string_sized_new(1 << 16);
        g_string_printf(s->sql, "INSERT INTO \"%s\" VALUES ", table);
        s->head = s->sql->len;
    }
    sqlite3_free(q);
    return true;
}

static void sink_close(rt_sink *s)
{
    if (s->st) sqlite3_finalize(s->st);
    if (s->sql) g_string_free(s->sql, TRUE);
    memset(s, 0, sizeof(*s));
}

/* Send the rows waiting (the SQL path) when there are 500 of them or @p force. */
static bool sink_flush(cc_ctx *ctx, GDALDatasetH ds, rt_sink *s, bool force)
{
    if (s->st || !s->rows || (!force && s->rows < 500)) return true;
    bool ok = sql_run(ctx, ds, s->sql->str);
    g_string_truncate(s->sql, s->head);
    s->rows = 0;
    return ok;
}

/* One row (@p a, @p b), or (@p a, blob) when @p blob. */
static bool sink_row(cc_ctx *ctx, GDALDatasetH ds, rt_sink *s, int64_t a, int64_t b, const uint8_t *blob, size_t len)
{
    if (s->st) {
        sqlite3_bind_int64(s->st, 1, a);
        if (blob) sqlite3_bind_blob(s->st, 2, blob, (int)len, SQLITE_STATIC);
        else sqlite3_bind_int64(s->st, 2, b);
        int rc = sqlite3_step(s->st);
        sqlite3_reset(s->st);
        return rc == SQLITE_DONE; /* the caller says why, from sqlite3_errmsg */
    }
    if (s->sql->len > s->head) g_string_append_c(s->sql, ',');
    s->rows++;
    if (!blob) {
        g_string_append_printf(s->sql, "(%" PRId64 ",%" PRId64 ")", a, b);
    } else {
        static const char d[] = "0123456789ABCDEF";
        g_string_append_printf(s->sql, "(%" PRId64 ",X'", a);
        for (size_t i = 0; i < len; i++) {
            g_string_append_c(s->sql, d[blob[i] >> 4]);
            g_string_append_c(s->sql, d[blob[i] & 15]);
        }
        g_string_append(s->sql, "')");
    }
    return sink_flush(ctx, ds, s, false);
}

/* The boxes of the non-empty geometries of @p table, as the insert trigger would have computed
 * them (GDAL's ST_MinX...), rounded as SQLite stores them: *out (caller frees), *n. */
static cc_status read_boxes(cc_ctx *ctx, GDALDatasetH ds, const char *table, const char *col, rt_entry **out, size_t *n)
{
    rt_entry *e = NULL;
    size_t cap = 0;
    *n = 0;
    const size_t before = cc__gdal_failures(ctx);
    OGRLayerH r = GDALDatasetExecuteSQL(ds,
        CPLSPrintf("SELECT fid, ST_MinX(\"%s\"), ST_MaxX(\"%s\"), ST_MinY(\"%s\"), ST_MaxY(\"%s\") FROM \"%s\" "
                   "WHERE \"%s\" NOT NULL AND NOT ST_IsEmpty(\"%s\")", col, col, col, col, table, col, col), NULL, NULL);
    if (!r) return cc__fail(ctx, CC_ERR_IO, "Unable to read the geometries of layer <%s>: %s", table, cc__gdal_msg(ctx));
    OGRFeatureH f;
    cc_status st = CC_OK;
    while (!st && (f = OGR_L_GetNextFeature(r))) {
        if (*n == cap) {
            cap = cap ? 2 * cap : 4096;
            rt_entry *ne = realloc(e, cap * sizeof(*e));
            if (!ne) st = cc__fail(ctx, CC_ERR_NOMEM, "Out of memory for the spatial index of layer <%s>", table);
            else e = ne;
        }
        if (!st) {
            rt_entry *x = &e[(*n)++];
            x->id = OGR_F_GetFID(f);
            x->box[0] = rt_down(OGR_F_GetFieldAsDouble(f, 0));
            x->box[1] = rt_up(OGR_F_GetFieldAsDouble(f, 1));
            x->box[2] = rt_down(OGR_F_GetFieldAsDouble(f, 2));
            x->box[3] = rt_up(OGR_F_GetFieldAsDouble(f, 3));
        }
        OGR_F_Destroy(f);
    }
    GDALDatasetReleaseResultSet(ds, r);
    if (!st && cc__gdal_failures(ctx) != before)
        st = cc__fail(ctx, CC_ERR_IO, "Unable to read the geometries of layer <%s>: %s", table, cc__gdal_msg(ctx));
    if (st) free(e);
    *out = st ? NULL : e;
    return st;
}

/* Pack the features' boxes of @p table into its (empty) R*Tree and restore the insert trigger. */
static cc_status index_load(cc_ctx *ctx, GDALDatasetH ds, const char *table, const char *col, const char *trig)
{
    cc_status st = CC_OK;
    rt_entry *e = NULL, *up = NULL;
    size_t n = 0;
    char rt[600], tn[700];
    snprintf(rt, sizeof(rt), "rtree_%s_%s", table, col);
    rt_sink sk[3] = {{0}}; /* node, rowid, parent */
    rt_pair *leaf = NULL;
    size_t n_leaf = 0;
    uint8_t *blob = NULL;
    sqlite3 *db = NULL;
    cc__gdal_begin(ctx);
    if (!rec_take(ds, table, &e, &n) && (st = read_boxes(ctx, ds, table, col, &e, &n))) goto out;
    char *len = NULL;
    if ((st = sql_string(ctx, ds, CPLSPrintf("SELECT length(data) FROM \"%s_node\" WHERE nodeno = 1", rt), &len)) == CC_ERR_NOMEM) goto out;
    st = CC_OK;
    size_t node_size = len ? (size_t)strtoul(len, NULL, 10) : 0;
    free(len);
    if (node_size < 4 + 2 * 24) goto fail;
    const size_t m = (node_size - 4) / 24; /* cells a node holds */
    if (n > 0) {
        /* level by level: STR-pack the entries into nodes, the nodes' boxes become the next level */
        db = GDALGetInternalHandle(ds, "SQLITE_HANDLE");
        static const char *const suffix[3] = {"node", "rowid", "parent"};
        for (int k = 0; k < 3; k++) {
            snprintf(tn, sizeof(tn), "%s_%s", rt, suffix[k]);
            if (!sink_open(ctx, db, &sk[k], tn)) goto nomem;
        }
        if (!(blob = malloc(node_size))) goto nomem;
        int64_t next_no = 2;
        int depth = 0;
        if (!sql_run(ctx, ds, CPLSPrintf("DELETE FROM \"%s_node\"", rt))) goto fail;
        /* the depth is known once the levels are: count them first */
        int levels = 1;
        for (size_t k = n; k > m; k = (k + m - 1) / m) levels++;
        if (!(up = cc__malloc_array((n + m - 1) / m, sizeof(*up))) || !(leaf = cc__malloc_array(n, sizeof(*leaf)))) goto nomem;
        for (size_t cnt = n;; depth++) {
            const bool root = cnt <= m;
            size_t nodes = 0;
            if (!root) { /* Sort-Tile-Recursive: vertical slices by x, runs of m by y within each */
                size_t leaves = (cnt + m - 1) / m, s = (size_t)ceil(sqrt((double)leaves)), slice = s * m;
                qsort(e, cnt, sizeof(*e), rt_cmp_x);
                for (size_t a = 0; a < cnt; a += slice) qsort(e + a, cnt - a < slice ? cnt - a : slice, sizeof(*e), rt_cmp_y);
            }
            for (size_t a = 0; a < cnt; a += m) {
                size_t k = cnt - a < m ? cnt - a : m;
                int64_t no = root ? 1 : next_no++;
                rt_entry *u = &up[nodes++];
                u->id = no;
                u->box[0] = u->box[2] = INFINITY;
                u->box[1] = u->box[3] = -INFINITY;
                for (size_t i = a; i < a + k; i++) {
                    u->box[0] = fminf(u->box[0], e[i].box[0]);
                    u->box[1] = fmaxf(u->box[1], e[i].box[1]);
                    u->box[2] = fminf(u->box[2], e[i].box[2]);
                    u->box[3] = fmaxf(u->box[3], e[i].box[3]);
                    if (depth == 0) leaf[n_leaf++] = (rt_pair){e[i].id, no}; /* written below, by id */
                    else if (!sink_row(ctx, ds, &sk[2], e[i].id, no, NULL, 0)) goto fail;
                }
                node_bytes(blob, no, levels - 1, e + a, k, node_size);
                if (!sink_row(ctx, ds, &sk[0], no, 0, blob, node_size)) goto fail;
            }
            if (depth == 0) { /* the rowid table in key order: SQLite appends instead of inserting at random */
                qsort(leaf, n_leaf, sizeof(*leaf), rt_pair_cmp);
                for (size_t i = 0; i < n_leaf; i++)
                    if (!sink_row(ctx, ds, &sk[1], leaf[i].id, leaf[i].node, NULL, 0)) goto fail;
            }
            if (root) break;
            memcpy(e, up, nodes * sizeof(*e));
            cnt = nodes;
        }
        if (!sink_flush(ctx, ds, &sk[0], true) || !sink_flush(ctx, ds, &sk[1], true) || !sink_flush(ctx, ds, &sk[2], true)) goto fail;
    }
    if (!sql_run(ctx, ds, trig)) goto fail;
    if (!sql_run(ctx, ds, CPLSPrintf("DELETE FROM " PENDING_TABLE " WHERE tbl = '%s'", table))) goto fail;
    goto out;
nomem:
    st = cc__fail(ctx, CC_ERR_NOMEM, "Out of memory for the spatial index of layer <%s>", table);
    goto out;
fail:
    st = cc__fail(ctx, CC_ERR_IO, "Unable to build the spatial index of layer <%s> in '%s': %s", table, GDALGetDescription(ds),
                  cc__gdal_failures(ctx) || !db ? cc__gdal_msg(ctx) : sqlite3_errmsg(db));
out:
    cc__gdal_end(ctx);
    for (int k = 0; k < 3; k++) sink_close(&sk[k]);
    free(leaf);
    free(blob);
    free(e);
    free(up);
    return st;
}

cc_status cc__gpkg_close(cc_ctx *ctx, GDALDatasetH ds, const char *path, cc_status st)
{
    if (!ds) return st;
    if (!st) {
        /* the pending indexes, in one transaction */
        size_t np = 0;
        char **tbl = NULL, **col = NULL, **trig = NULL;
        cc__gdal_begin(ctx);
        OGRLayerH r = GDALDatasetExecuteSQL(ds, "SELECT tbl, col, trig FROM " PENDING_TABLE, NULL, NULL);
        OGRFeatureH f;
        while (r && (f = OGR_L_GetNextFeature(r))) {
            char **a = realloc(tbl, (np + 1) * sizeof(char *)), **b = a ? realloc(col, (np + 1) * sizeof(char *)) : NULL,
                 **c = b ? realloc(trig, (np + 1) * sizeof(char *)) : NULL;
            if (a) tbl = a;
            if (b) col = b;
            if (c) trig = c;
            if (c) {
                tbl[np] = cc__strdup(OGR_F_GetFieldAsString(f, 0));
                col[np] = cc__strdup(OGR_F_GetFieldAsString(f, 1));
                trig[np] = cc__strdup(OGR_F_GetFieldAsString(f, 2));
                np++;
            }
            OGR_F_Destroy(f);
            if (!c || !tbl[np - 1] || !col[np - 1] || !trig[np - 1]) st = cc__fail(ctx, CC_ERR_NOMEM, "Out of memory");
            if (st) break;
        }
        if (r) GDALDatasetReleaseResultSet(ds, r);
        cc__gdal_end(ctx);
        /* GDAL's messages captured, so that a failed COMMIT (the disk full) says so */
        cc__gdal_begin(ctx);
        bool tx = np && !st && GDALDatasetStartTransaction(ds, FALSE) == OGRERR_NONE;
        for (size_t i = 0; i < np && !st; i++) st = index_load(ctx, ds, tbl[i], col[i], trig[i]);
        if (tx && !st && GDALDatasetCommitTransaction(ds) != OGRERR_NONE)
            st = cc__fail(ctx, CC_ERR_IO, "Unable to write '%s': %s", path, cc__gdal_msg(ctx));
        else if (tx && st)
            GDALDatasetRollbackTransaction(ds);
        cc__gdal_end(ctx);
        for (size_t i = 0; i < np; i++) {
            free(tbl[i]);
            free(col[i]);
            free(trig[i]);
        }
        free(tbl);
        free(col);
        free(trig);
    }
    rec_end(ds);
    cc__gdal_begin(ctx);
    if (cc__gdal_close(ds) && !st) st = cc__fail(ctx, CC_ERR_IO, "Unable to finish '%s': %s", path, cc__gdal_msg(ctx));
    cc__gdal_end(ctx);
    return st;
}

OGRLayerH cc__gpkg_layer(cc_ctx *ctx, GDALDatasetH ds, const char *name, OGRwkbGeometryType type, const char *work_wkt,
                         const char *description)
{
    OGRSpatialReferenceH srs = work_wkt ? cc__srs_from_wkt(work_wkt) : NULL;
    char desc[512];
    snprintf(desc, sizeof(desc), "DESCRIPTION=%s", description ? description : "");
    /* the spatial index is made here, empty, and packed by cc__gpkg_close */
    const char *opts[] = {"SPATIAL_INDEX=NO", desc, NULL};
    cc__gdal_begin(ctx);
    OGRLayerH lyr = GDALDatasetCreateLayer(ds, name, srs, type, (char **)opts);
    cc__gdal_end(ctx);
    if (srs) OSRDestroySpatialReference(srs);
    if (!lyr) cc__fail(ctx, CC_ERR_IO, "Unable to create layer <%s>: %s", name, cc__gdal_msg(ctx));
    if (lyr && type != wkbNone && index_prepare(ctx, ds, name, OGR_L_GetGeometryColumn(lyr))) return NULL;
    if (lyr && type != wkbNone) rec_start(ds, lyr);
    return lyr;
}

cc_status cc__gpkg_put(cc_ctx *ctx, OGRLayerH lyr, OGRFeatureH f, const char *layer)
{
    OGRErr e = OGR_L_CreateFeature(lyr, f);
    if (e == OGRERR_NONE) rec_put(lyr, f); /* its box for the spatial index */
    OGR_F_Destroy(f);
    if (e != OGRERR_NONE) return cc__fail(ctx, CC_ERR_IO, "Unable to write a feature of layer <%s>: %s", layer, cc__gdal_msg(ctx));
    return CC_OK;
}

/* ---- point layers straight through SQLite (cc__gpkg_rows, issue 19) ---------------------------
 * Measured on Comoros' 114,113 uncovered cells (11 columns): OGR_L_CreateFeature 0.45 s; SQLite
 * itself, one prepared single-row INSERT 0.25 s (0.17 s without the table's AUTOINCREMENT, which
 * rewrites sqlite_sequence at every statement), 64 rows a statement 0.11 s. The rows wait in the
 * writer until a statement's worth is there; the feature-count trigger that GDAL keeps on the
 * table is set aside while they go in, and the count is set once at the end. */
#define ROWS_BATCH 64
#define POINT_BLOB 29 /* GeoPackage header without envelope (8) + WKB point (21) */

struct cc__gpkg_rows {
    cc_ctx *ctx;
    GDALDatasetH ds;
    OGRLayerH lyr;
    char *layer;
    int nf;
    sqlite3 *db;               /* NULL: OGR features (no SQLite handle from GDAL) */
    sqlite3_stmt *many;        /* ROWS_BATCH rows */
    char *head;                /* INSERT INTO ... VALUES */
    char *trigger;             /* the feature-count trigger set aside, to put back */
    int32_t srs_id;
    int64_t fid, fid0;         /* the last one given; the largest at open (0: the layer was empty) */
    size_t n, pending;
    cc__gval *val;             /* ROWS_BATCH x nf, texts as offsets into text */
    uint8_t (*geom)[POINT_BLOB];
    int64_t *fids;
    double (*xy)[2];           /* the rows' points, for the spatial index's boxes (one lock a statement) */
    GString *text;
    double ext[4];             /* min x, min y, max x, max y */
    cc_status st;
};

static void put_le(uint8_t *p, uint64_t v, int bytes)
{
    for (int i = 0; i < bytes; i++) p[i] = (uint8_t)(v >> (8 * i));
}

/* A statement of @p rows rows of @p w, NULL (the failure reported when @p report). */
static sqlite3_stmt *rows_stmt(cc__gpkg_rows *w, size_t rows, bool report)
{
    const int per = w->nf + 2;
    GString *q = g_string_new(w->head);
    for (size_t r = 0; r < rows; r++) {
        g_string_append(q, r ? ",(?" : "(?");
        for (int k = 1; k < per; k++) g_string_append(q, ",?");
        g_string_append_c(q, ')');
    }
    sqlite3_stmt *st = NULL;
    if (sqlite3_prepare_v2(w->db, q->str, (int)q->len, &st, NULL) != SQLITE_OK) {
        if (report) cc__fail(w->ctx, CC_ERR_IO, "Unable to write layer <%s> of '%s': %s", w->layer, GDALGetDescription(w->ds), sqlite3_errmsg(w->db));
        st = NULL;
    }
    g_string_free(q, TRUE);
    return st;
}

/* The rows waiting go in (one statement). */
static cc_status rows_flush(cc__gpkg_rows *w)
{
    if (!w->pending || w->st) return w->st;
    sqlite3_stmt *st = w->pending == ROWS_BATCH ? w->many : rows_stmt(w, w->pending, true);
    if (!st) return w->st = CC_ERR_IO;
    const int per = w->nf + 2;
    for (size_t r = 0; r < w->pending; r++) {
        int b = (int)r * per;
        sqlite3_bind_int64(st, b + 1, w->fids[r]);
        sqlite3_bind_blob(st, b + 2, w->geom[r], POINT_BLOB, SQLITE_STATIC);
        for (int k = 0; k < w->nf; k++) {
            const cc__gval *v = &w->val[r * (size_t)w->nf + (size_t)k];
            int i = b + 3 + k;
            if (v->kind == 'i') sqlite3_bind_int64(st, i, v->i);
            else if (v->kind == 'd' && isfinite(v->d)) sqlite3_bind_double(st, i, v->d);
            else if (v->kind == 's') sqlite3_bind_text(st, i, w->text->str + v->i, -1, SQLITE_STATIC);
            else sqlite3_bind_null(st, i);
        }
    }
    int rc = sqlite3_step(st);
    sqlite3_reset(st);
    if (st != w->many) sqlite3_finalize(st);
    if (rc == SQLITE_DONE) { /* their boxes for the packed R-tree, as cc__gpkg_put records them */
        g_mutex_lock(&rec_lock);
        rt_rec *rr = rec_table ? g_hash_table_lookup(rec_table, w->lyr) : NULL;
        for (size_t r = 0; r < w->pending; r++)
            rec_add(rr, w->fids[r], &(OGREnvelope){w->xy[r][0], w->xy[r][0], w->xy[r][1], w->xy[r][1]});
        g_mutex_unlock(&rec_lock);
    }
    w->pending = 0;
    g_string_truncate(w->text, 0);
    if (rc != SQLITE_DONE)
        return w->st = cc__fail(w->ctx, CC_ERR_IO, "Unable to write layer <%s> of '%s': %s", w->layer, GDALGetDescription(w->ds), sqlite3_errmsg(w->db));
    return CC_OK;
}

/* Run @p sql on @p db; false (no message) when SQLite refuses it. */
static bool db_exec(sqlite3 *db, const char *sql)
{
    return sql && sqlite3_exec(db, sql, NULL, NULL, NULL) == SQLITE_OK;
}

/* The first column of the first row of @p sql (one text parameter @p arg): integer in *i or a
 * copy of the text in *s. 1: found; 0: no row, NULL or SQLite refused; -1: out of memory. */
static int db_one(sqlite3 *db, const char *sql, const char *arg, int64_t *i, char **s)
{
    sqlite3_stmt *st = NULL;
    int found = 0;
    if (sqlite3_prepare_v2(db, sql, -1, &st, NULL) != SQLITE_OK) return 0;
    if (arg) sqlite3_bind_text(st, 1, arg, -1, SQLITE_TRANSIENT);
    if (sqlite3_step(st) == SQLITE_ROW && sqlite3_column_type(st, 0) != SQLITE_NULL) {
        found = 1;
        if (i) *i = sqlite3_column_int64(st, 0);
        if (s && !(*s = cc__strdup((const char *)sqlite3_column_text(st, 0)))) found = -1;
    }
    sqlite3_finalize(st);
    return found;
}

static cc_status rows_free(cc__gpkg_rows *w, cc_status st)
{
    free(w->trigger);
    free(w->head);
    free(w->val);
    free(w->geom);
    free(w->fids);
    free(w->xy);
    if (w->text) g_string_free(w->text, TRUE);
    free(w->layer);
    free(w);
    return st;
}

cc_status cc__gpkg_rows_open(cc_ctx *ctx, GDALDatasetH ds, OGRLayerH lyr, const char *layer, cc__gpkg_rows **out)
{
    *out = NULL;
    cc__gpkg_rows *w = cc__calloc_array(1, sizeof(*w));
    if (!w) return cc__fail(ctx, CC_ERR_NOMEM, "Out of memory writing layer <%s>", layer);
    OGRFeatureDefnH defn = OGR_L_GetLayerDefn(lyr);
    w->ctx = ctx, w->ds = ds, w->lyr = lyr;
    w->nf = OGR_FD_GetFieldCount(defn);
    w->ext[0] = w->ext[1] = INFINITY;
    w->ext[2] = w->ext[3] = -INFINITY;
    if (!(w->layer = cc__strdup(OGR_L_GetName(lyr))) || !(w->val = cc__malloc_array(ROWS_BATCH * (size_t)(w->nf ? w->nf : 1), sizeof(*w->val))) ||
        !(w->geom = cc__malloc_array(ROWS_BATCH, sizeof(*w->geom))) || !(w->fids = cc__malloc_array(ROWS_BATCH, sizeof(*w->fids))) ||
        !(w->xy = cc__malloc_array(ROWS_BATCH, sizeof(*w->xy))))
        return rows_free(w, cc__fail(ctx, CC_ERR_NOMEM, "Out of memory writing layer <%s>", layer));
    w->text = g_string_sized_new(4096);
    /* CARECIRCLE_GPKG_WRITER=ogr: every feature through OGR (the path when GDAL gives no handle;
     * the tests compare the two) */
    const char *env = getenv("CARECIRCLE_GPKG_WRITER");
    const bool force_ogr = env && !strcmp(env, "ogr");
    sqlite3 *db = force_ogr ? NULL : GDALGetInternalHandle(ds, "SQLITE_HANDLE");
    if (!db) {
        cc__debug(ctx, "Layer <%s> written feature by feature (%s)", layer, force_ogr ? "CARECIRCLE_GPKG_WRITER=ogr" : "GDAL gives no SQLite handle");
        *out = w;
        return CC_OK;
    }
    /* what SQLite refuses here leaves the layer to OGR: nothing has been written yet */
    int64_t srs = 0, last = 0;
    const char *fidc = OGR_L_GetFIDColumn(lyr), *geomc = OGR_L_GetGeometryColumn(lyr);
    char *q = NULL;
    bool ok = fidc && *fidc && geomc && *geomc &&
              db_one(db, "SELECT srs_id FROM gpkg_geometry_columns WHERE lower(table_name) = lower(?)", w->layer, &srs, NULL) == 1 &&
              srs >= INT32_MIN && srs <= INT32_MAX;
    if (ok) {
        q = sqlite3_mprintf("SELECT COALESCE(MAX(\"%w\"), 0) FROM \"%w\"", fidc, w->layer);
        ok = q && db_one(db, q, NULL, &last, NULL) == 1;
        sqlite3_free(q);
    }
    if (ok) {
        GString *h = g_string_new(NULL);
        q = sqlite3_mprintf("INSERT INTO \"%w\" (\"%w\", \"%w\"", w->layer, fidc, geomc);
        ok = q != NULL;
        g_string_append(h, q ? q : "");
        sqlite3_free(q);
        for (int k = 0; k < w->nf && ok; k++) {
            q = sqlite3_mprintf(", \"%w\"", OGR_Fld_GetNameRef(OGR_FD_GetFieldDefn(defn, k)));
            ok = q != NULL;
            g_string_append(h, q ? q : "");
            sqlite3_free(q);
        }
        g_string_append(h, ") VALUES ");
        w->head = g_string_free(h, FALSE);
    }
    w->db = db;
    w->srs_id = (int32_t)srs, w->fid = w->fid0 = last;
    ok = ok && (w->many = rows_stmt(w, ROWS_BATCH, false)) != NULL;
    if (ok) { /* the feature-count trigger set aside until the end (its SQL kept as SQLite has it) */
        char *name = g_strdup_printf("trigger_insert_feature_count_%s", w->layer);
        int found = db_one(db, "SELECT sql FROM sqlite_master WHERE type = 'trigger' AND name = ?", name, NULL, &w->trigger);
        if (found == 1) {
            q = sqlite3_mprintf("DROP TRIGGER \"%w\"", name);
            ok = db_exec(db, q);
            sqlite3_free(q);
            if (!ok) free(w->trigger), w->trigger = NULL;
        }
        g_free(name);
        if (found < 0) {
            sqlite3_finalize(w->many);
            return rows_free(w, cc__fail(ctx, CC_ERR_NOMEM, "Out of memory writing layer <%s>", layer));
        }
    }
    if (!ok) {
        cc__debug(ctx, "Layer <%s> written feature by feature: %s", layer, sqlite3_errmsg(db));
        if (w->many) sqlite3_finalize(w->many);
        w->many = NULL, w->db = NULL;
    }
    g_mutex_lock(&rec_lock);
    rt_rec *r = rec_table ? g_hash_table_lookup(rec_table, lyr) : NULL;
    if (r && w->db) r->exact = true;
    g_mutex_unlock(&rec_lock);
    *out = w;
    return CC_OK;
}

cc_status cc__gpkg_rows_put(cc__gpkg_rows *w, double x, double y, const cc__gval *v, int nv)
{
    if (w->st) return w->st;
    if (nv != w->nf) return w->st = cc__fail(w->ctx, CC_ERR_IO, "Layer <%s> has %d fields, %d values given", w->layer, w->nf, nv);
    if (!w->db) { /* OGR features */
        OGRFeatureH f = OGR_F_Create(OGR_L_GetLayerDefn(w->lyr));
        for (int k = 0; k < w->nf; k++) {
            if (v[k].kind == 'i') OGR_F_SetFieldInteger64(f, k, v[k].i);
            else if (v[k].kind == 'd' && isfinite(v[k].d)) OGR_F_SetFieldDouble(f, k, v[k].d);
            else if (v[k].kind == 's') OGR_F_SetFieldString(f, k, v[k].s);
        }
        OGRGeometryH pt = OGR_G_CreateGeometry(wkbPoint);
        OGR_G_SetPoint_2D(pt, 0, x, y);
        OGR_F_SetGeometryDirectly(f, pt);
        w->n++;
        return w->st = cc__gpkg_put(w->ctx, w->lyr, f, w->layer);
    }
    size_t r = w->pending;
    uint8_t *g = w->geom[r];
    uint64_t bx, by;
    memcpy(&bx, &x, 8);
    memcpy(&by, &y, 8);
    g[0] = 'G', g[1] = 'P', g[2] = 0, g[3] = 1; /* version 0; little-endian, no envelope */
    put_le(g + 4, (uint32_t)w->srs_id, 4);
    g[8] = 1; /* WKB little-endian */
    put_le(g + 9, 1, 4);
    put_le(g + 13, bx, 8);
    put_le(g + 21, by, 8);
    w->fids[r] = ++w->fid;
    cc__gval *dst = &w->val[r * (size_t)w->nf];
    for (int k = 0; k < w->nf; k++) {
        dst[k] = v[k];
        if (v[k].kind == 's') { /* by offset: the buffer may move */
            dst[k].i = (int64_t)w->text->len;
            g_string_append_len(w->text, v[k].s ? v[k].s : "", (gssize)strlen(v[k].s ? v[k].s : ""));
            g_string_append_c(w->text, '\0');
        }
    }
    w->ext[0] = fmin(w->ext[0], x), w->ext[1] = fmin(w->ext[1], y);
    w->ext[2] = fmax(w->ext[2], x), w->ext[3] = fmax(w->ext[3], y);
    w->xy[r][0] = x, w->xy[r][1] = y;
    w->n++;
    if (++w->pending == ROWS_BATCH) return rows_flush(w);
    return CC_OK;
}

cc_status cc__gpkg_rows_close(cc__gpkg_rows *w, cc_status st)
{
    if (!w) return st;
    if (w->db) {
        if (!st) st = rows_flush(w);
        if (w->many) sqlite3_finalize(w->many);
        /* the count, the extent and the time of the last change, as GDAL keeps them */
        /* the rows this writer added to a layer empty at open (GDAL leaves a new layer's count NULL
         * until it closes it); counted when the layer held rows before */
        char *q = w->fid0 == 0 ? sqlite3_mprintf("UPDATE gpkg_ogr_contents SET feature_count = %lld WHERE lower(table_name) = lower('%q')",
                                                 (long long)w->n, w->layer)
                               : sqlite3_mprintf("UPDATE gpkg_ogr_contents SET feature_count = (SELECT COUNT(*) FROM \"%w\") "
                                                 "WHERE lower(table_name) = lower('%q')", w->layer, w->layer);
        int64_t has = 0;
        if (!st && db_one(w->db, "SELECT COUNT(*) FROM sqlite_master WHERE name = 'gpkg_ogr_contents'", NULL, &has, NULL) == 1 && has &&
            !db_exec(w->db, q))
            st = cc__fail(w->ctx, CC_ERR_IO, "Unable to write the feature count of layer <%s> of '%s': %s", w->layer, GDALGetDescription(w->ds), sqlite3_errmsg(w->db));
        sqlite3_free(q);
        if (!st && w->n) {
            q = sqlite3_mprintf("UPDATE gpkg_contents SET min_x = CASE WHEN min_x IS NULL OR min_x > %.17g THEN %.17g ELSE min_x END, "
                                "min_y = CASE WHEN min_y IS NULL OR min_y > %.17g THEN %.17g ELSE min_y END, "
                                "max_x = CASE WHEN max_x IS NULL OR max_x < %.17g THEN %.17g ELSE max_x END, "
                                "max_y = CASE WHEN max_y IS NULL OR max_y < %.17g THEN %.17g ELSE max_y END, "
                                "last_change = strftime('%%Y-%%m-%%dT%%H:%%M:%%fZ', 'now') "
                                "WHERE lower(table_name) = lower('%q')",
                                w->ext[0], w->ext[0], w->ext[1], w->ext[1], w->ext[2], w->ext[2], w->ext[3], w->ext[3], w->layer);
            if (!db_exec(w->db, q))
                st = cc__fail(w->ctx, CC_ERR_IO, "Unable to write the extent of layer <%s> of '%s': %s", w->layer, GDALGetDescription(w->ds), sqlite3_errmsg(w->db));
            sqlite3_free(q);
        }
        if (w->trigger && !db_exec(w->db, w->trigger) && !st)
            st = cc__fail(w->ctx, CC_ERR_IO, "Unable to restore the feature-count trigger of layer <%s> of '%s': %s", w->layer, GDALGetDescription(w->ds), sqlite3_errmsg(w->db));
    }
    return rows_free(w, st);
}

cc_status cc__add_field(cc_ctx *ctx, OGRLayerH lyr, const char *name, OGRFieldType type)
{
    OGRFieldDefnH f = OGR_Fld_Create(name, type);
    OGRErr e = OGR_L_CreateField(lyr, f, TRUE);
    OGR_Fld_Destroy(f);
    if (e != OGRERR_NONE) return cc__fail(ctx, CC_ERR_IO, "Unable to create field <%s>", name);
    return CC_OK;
}

cc_status cc__write_text(cc_ctx *ctx, const char *path, const char *text)
{
    FILE *f = fopen(path, "w");
    if (!f) return cc__fail(ctx, CC_ERR_IO, "Unable to write '%s': %s", path, strerror(errno));
    size_t n = strlen(text);
    size_t w = fwrite(text, 1, n, f);
    int e1 = ferror(f);
    int e2 = fclose(f);
    if (w != n || e1 || e2) return cc__fail(ctx, CC_ERR_IO, "Unable to write '%s': %s", path, strerror(errno ? errno : EIO));
    return CC_OK;
}

json_object *cc__json_num(double v, int decimals)
{
    if (!isfinite(v)) return NULL;
    char buf[64];
    snprintf(buf, sizeof(buf), "%.*f", decimals, v);
    return json_object_new_double_s(v, buf);
}

cc_status cc__write_json(cc_ctx *ctx, const char *path, json_object *j)
{
    return cc__write_text(ctx, path,
                          json_object_to_json_string_ext(j, JSON_C_TO_STRING_PRETTY | JSON_C_TO_STRING_SPACED | JSON_C_TO_STRING_NOSLASHESCAPE));
}

void cc__csv_field(GString *g, const char *s)
{
    if (!s) s = "";
    if (!strpbrk(s, ",\"\n\r")) {
        g_string_append(g, s);
        return;
    }
    g_string_append_c(g, '"');
    for (const char *p = s; *p; p++) {
        if (*p == '"') g_string_append_c(g, '"');
        g_string_append_c(g, *p);
    }
    g_string_append_c(g, '"');
}
