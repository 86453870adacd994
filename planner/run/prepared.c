/*
 * prepared.c - regions prepared once and shared by the runs of one batch (issue 19).
 *
 * Two stages, each keyed on a SHA-256 of what shapes it:
 *   inputs   the roads as read (before edits), the population, the facilities as read and the
 *            admin areas. Key: the reader parameters of cc_inputs, the working CRS, the grid
 *            resolution, the region options and the bytes of every input file (with the sidecar
 *            files GDAL lists), hashed again by every run, so a file rewritten during a batch
 *            is read again, never served stale.
 *   topology the graph's nodes, arcs and edges, its snap index, the population joined to it and
 *            (village points) the travel-time grid joined to it. Key: the inputs key, the
 *            direction of travel every way allows under the run's profile (the only thing the
 *            topology depends on: cc__graph_way_speeds) and the maximum snap distance.
 * A run whose profile only changes speeds takes the shared topology and computes its own edge
 * costs (cc__graph_cost_view) and off-road legs; a run with road edits copies the shared roads,
 * edits the copy and builds its own graph and joins; a run with facility changes reads the
 * facility file (small) and applies them. Facilities are joined by every run (as few as they
 * are, their warnings then belong to the run). Shared data is never written after it is ready:
 * runs on other threads only read it, and every per-run array is the run's own.
 *
 * On disk (cache.c): with a cache folder, a miss of the inputs stage looks for the prepared
 * region <folder>/<disk key>.ccprep before reading anything. The disk key is the inputs key
 * without the facilities and the admin areas (every run reads those itself: a changed facility
 * file does not make the region stale). The file holds the roads as read (the way directions
 * under each run's profile and, for runs with road edits, the roads to edit come from them),
 * the population, and one topology with the disk topology key it was built for; a run whose
 * profile gives the same way directions and snap distance takes that topology, any other
 * builds its own and rewrites the file with it. A topology computed here is written there.
 */
#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>

#include <cpl_string.h>
#include <gdal.h>
#include <glib.h>
#include <glib/gstdio.h>

#include "../access/access_internal.h"
#include "../access/sets_internal.h"
#include "../graph/roads_internal.h"
#include "cache_internal.h"
#include "inputs_internal.h"

enum { ENTRY_LOADING = 0, ENTRY_READY = 1, ENTRY_FAILED = 2 };

typedef struct entry {
    struct entry *next;
    char key[65];
    int state;
    bool topo;          /* a topology entry, else an inputs entry */
    cc__region reg;     /* inputs: roads, dem, fac_own, admin; topology: graph, snap, djoin, grid, gjoin */
    size_t n_uses;
    char dkey[65];      /* inputs: the disk key */
    cc__prep *disk;     /* inputs: the prepared region read from the cache folder, or NULL */
} entry;

struct cc__region_pool {
    GMutex lock;
    GCond ready;
    entry *head;
    size_t hits_inputs, hits_topo, misses;
    cc__file_digests *digests; /* borrowed */
    char *cache_dir;           /* NULL: no disk cache */
    char *cache_file;          /* prepare: the file to write, NULL: <cache_dir>/<key>.ccprep */
    cc__ch_cache *hier;        /* contraction hierarchies of the runs' graphs (one per cost set) */
    bool write_only;
    char last_file[4096];      /* the prepared region last read or written */
    bool last_read;
    size_t last_bytes;
};

char **cc__input_file_list(cc_ctx *ctx, const char *path)
{
    /* an OSM .pbf is one file (GDAL's OSM driver lists no sidecar), and opening it through that
     * driver costs 0.1 s on Comoros: the list without it, for the same hash */
    size_t n = strlen(path);
    if (n > 4 && !g_ascii_strcasecmp(path + n - 4, ".pbf") && g_file_test(path, G_FILE_TEST_IS_REGULAR))
        return CSLAddString(NULL, path);
    cc__gdal_init();
    cc__gdal_begin(ctx);
    GDALDatasetH ds = GDALOpenEx(path, GDAL_OF_VECTOR | GDAL_OF_RASTER | GDAL_OF_READONLY, NULL, NULL, NULL);
    char **files = ds ? GDALGetFileList(ds) : NULL;
    if (ds) GDALClose(ds);
    cc__gdal_end(ctx);
    return files ? files : CSLAddString(NULL, path);
}

cc_status cc__region_pool_create(cc_ctx *ctx, cc__file_digests *digests, cc__region_pool **out)
{
    *out = calloc(1, sizeof(**out));
    if (!*out) return cc__fail(ctx, CC_ERR_NOMEM, "Out of memory");
    (*out)->digests = digests;
    g_mutex_init(&(*out)->lock);
    g_cond_init(&(*out)->ready);
    cc_status st = cc__ch_cache_create(ctx, &(*out)->hier);
    if (st) {
        cc__region_pool_destroy(*out);
        *out = NULL;
    }
    return st;
}

void cc__region_pool_destroy(cc__region_pool *p)
{
    if (!p) return;
    for (entry *e = p->head, *n; e; e = n) {
        n = e->next;
        cc__region_free(&e->reg);
        cc__prep_close(e->disk);
        free(e);
    }
    free(p->cache_dir);
    free(p->cache_file);
    cc__ch_cache_destroy(p->hier);
    g_mutex_clear(&p->lock);
    g_cond_clear(&p->ready);
    free(p);
}

struct cc__ch_cache *cc__region_pool_hierarchies(cc__region_pool *p)
{
    return p ? p->hier : NULL;
}

cc_status cc__region_pool_set_cache(cc_ctx *ctx, cc__region_pool *p, const char *dir, bool write_only, const char *file)
{
    free(p->cache_dir);
    free(p->cache_file);
    p->cache_dir = dir && *dir ? cc__strdup(dir) : NULL;
    p->cache_file = file && *file ? cc__strdup(file) : NULL;
    p->write_only = write_only;
    if ((dir && *dir && !p->cache_dir) || (file && *file && !p->cache_file)) return cc__fail(ctx, CC_ERR_NOMEM, "Out of memory");
    return CC_OK;
}

const char *cc__region_pool_cache_file(const cc__region_pool *p, bool *read, size_t *bytes)
{
    if (read) *read = p->last_read;
    if (bytes) *bytes = p->last_bytes;
    return p->last_file;
}

void cc__region_pool_stats(const cc__region_pool *p, size_t *inputs_reused, size_t *topology_reused)
{
    *inputs_reused = p ? p->hits_inputs : 0;
    *topology_reused = p ? p->hits_topo : 0;
}

/* ---- keys ---------------------------------------------------------------------------------------- */

static void put_str(GChecksum *c, const char *tag, const char *s)
{
    g_checksum_update(c, (const guchar *)tag, (gssize)strlen(tag) + 1);
    if (s) g_checksum_update(c, (const guchar *)s, (gssize)strlen(s) + 1);
    else g_checksum_update(c, (const guchar *)"\x01(null)", 8);
}

/* ---- digests of input files ------------------------------------------------------------------ */

typedef struct digest_entry {
    struct digest_entry *next;
    char *path;
    struct stat sb;
    unsigned char sha[32];
} digest_entry;

struct cc__file_digests {
    GMutex lock;
    digest_entry *head;
    size_t hashed, reused;
};

cc__file_digests *cc__file_digests_create(void)
{
    cc__file_digests *d = calloc(1, sizeof(*d));
    if (d) g_mutex_init(&d->lock);
    return d;
}

void cc__file_digests_destroy(cc__file_digests *d)
{
    if (!d) return;
    for (digest_entry *e = d->head, *n; e; e = n) {
        n = e->next;
        free(e->path);
        free(e);
    }
    g_mutex_clear(&d->lock);
    free(d);
}

void cc__file_digests_stats(const cc__file_digests *d, size_t *hashed, size_t *reused)
{
    *hashed = d ? d->hashed : 0;
    *reused = d ? d->reused : 0;
}

static bool same_file(const struct stat *a, const struct stat *b)
{
    return a->st_dev == b->st_dev && a->st_ino == b->st_ino && a->st_size == b->st_size &&
           a->st_mtim.tv_sec == b->st_mtim.tv_sec && a->st_mtim.tv_nsec == b->st_mtim.tv_nsec &&
           a->st_ctim.tv_sec == b->st_ctim.tv_sec && a->st_ctim.tv_nsec == b->st_ctim.tv_nsec;
}

/* SHA-256 of the bytes of @p file into @p sha, from @p cache when it holds this very file. */
static cc_status file_digest(cc_ctx *ctx, const char *file, cc__file_digests *cache, unsigned char *buf, unsigned char sha[32])
{
    struct stat sb;
    bool known = cache && stat(file, &sb) == 0 && S_ISREG(sb.st_mode);
    if (known) {
        g_mutex_lock(&cache->lock);
        digest_entry *e = cache->head;
        while (e && (strcmp(e->path, file) || !same_file(&e->sb, &sb))) e = e->next;
        if (e) {
            memcpy(sha, e->sha, 32);
            cache->reused++;
        }
        g_mutex_unlock(&cache->lock);
        if (e) return CC_OK;
    }
    const time_t began = time(NULL);
    FILE *f = fopen(file, "rb");
    if (!f) return cc__fail(ctx, CC_ERR_IO, "Unable to read '%s' to hash it: %s", file, strerror(errno));
    GChecksum *c = g_checksum_new(G_CHECKSUM_SHA256);
    size_t k;
    cc_status st = CC_OK;
    while ((k = fread(buf, 1, 1 << 20, f)) > 0) g_checksum_update(c, buf, (gssize)k);
    if (ferror(f)) st = cc__fail(ctx, CC_ERR_IO, "Unable to read '%s' to hash it", file);
    fclose(f);
    gsize len = 32;
    g_checksum_get_digest(c, sha, &len);
    g_checksum_free(c);
    struct stat after;
    /* kept when the file is the one stat() saw, and old enough that no rewrite can share its times */
    if (!st && known && stat(file, &after) == 0 && same_file(&sb, &after) && sb.st_mtim.tv_sec + 2 <= began &&
        sb.st_ctim.tv_sec + 2 <= began) {
        digest_entry *e = calloc(1, sizeof(*e));
        if (e && (e->path = cc__strdup(file))) {
            e->sb = sb;
            memcpy(e->sha, sha, 32);
            g_mutex_lock(&cache->lock);
            e->next = cache->head;
            cache->head = e;
            cache->hashed++;
            g_mutex_unlock(&cache->lock);
        } else {
            free(e);
        }
    } else if (!st && cache) {
        g_mutex_lock(&cache->lock);
        cache->hashed++;
        g_mutex_unlock(&cache->lock);
    }
    return st;
}

cc_status cc__hash_input_files(cc_ctx *ctx, GChecksum *sum, const char *path, cc__file_digests *cache)
{
    char **files = cc__input_file_list(ctx, path);
    /* sorted, so that the order GDAL lists sidecars in does not matter */
    int n = CSLCount(files);
    for (int i = 1; i < n; i++)
        for (int j = i; j > 0 && strcmp(files[j - 1], files[j]) > 0; j--) {
            char *t = files[j];
            files[j] = files[j - 1];
            files[j - 1] = t;
        }
    cc_status st = CC_OK;
    unsigned char *buf = malloc(1 << 20), sha[32];
    if (!buf) st = cc__fail(ctx, CC_ERR_NOMEM, "Out of memory");
    for (int i = 0; i < n && !st; i++)
        if (!(st = file_digest(ctx, files[i], cache, buf, sha))) g_checksum_update(sum, sha, 32);
    free(buf);
    CSLDestroy(files);
    return st;
}

/* The path and bytes of the dataset at @p path into the key; false when it cannot be hashed (the run
 * then loads the usual way, and reports what it cannot read). */
static bool put_file(GChecksum *c, const char *path, cc__file_digests *cache)
{
    if (!path) return true;
    if (strstr(path, "://") || !strncmp(path, "PG:", 3) || !strncmp(path, "/vsi", 4)) return false; /* cannot be hashed */
    struct stat sb; /* a pipe or a device would be consumed by hashing it: only regular files */
    if (stat(path, &sb) != 0 || !S_ISREG(sb.st_mode)) return false;
    put_str(c, "file", path);
    cc_ctx quiet = {0}; /* a file that cannot be read here is reported by the load */
    return cc__hash_input_files(&quiet, c, path, cache) == CC_OK;
}

/* The key of the inputs stage into @p key and the disk key (without the facilities and admin
 * areas, which every run reads itself) into @p dkey. */
static bool inputs_key(const cc_inputs *in, const cc__region_opts *o, cc__file_digests *cache, char key[65], char dkey[65])
{
    GChecksum *d = g_checksum_new(G_CHECKSUM_SHA256);
    put_str(d, "prepared-region-v1", NULL);
    const char *const df[][2] = {{"roads", in->roads}, {"roads_layer", in->roads_layer}, {"class_field", in->class_field},
                                 {"speed_field", in->speed_field}, {"population", in->population},
                                 {"population_field", in->population_field}, {"encoding", in->encoding}, {"crs", in->crs}};
    for (size_t i = 0; i < sizeof(df) / sizeof(df[0]); i++) put_str(d, df[i][0], df[i][1]);
    char dnum[64];
    snprintf(dnum, sizeof(dnum), "%a", in->resolution_m);
    put_str(d, "resolution_m", dnum);
    bool dok = put_file(d, in->roads, cache) && put_file(d, in->population, cache);
    if (dok) snprintf(dkey, 65, "%s", g_checksum_get_string(d));
    else dkey[0] = '\0';
    g_checksum_free(d);
    if (!dok) return false;
    GChecksum *c = g_checksum_new(G_CHECKSUM_SHA256);
    put_str(c, "inputs-v1", NULL);
    const char *const f[][2] = {{"roads", in->roads}, {"roads_layer", in->roads_layer}, {"class_field", in->class_field},
                                {"speed_field", in->speed_field}, {"population", in->population},
                                {"population_field", in->population_field}, {"facilities", in->facilities},
                                {"facility_name_field", in->facility_name_field}, {"lon_field", in->lon_field},
                                {"lat_field", in->lat_field}, {"facility_where", in->facility_where},
                                {"capacity_field", in->capacity_field}, {"tier_field", in->tier_field}, {"tiers", in->tiers},
                                {"admin", in->admin}, {"admin_name_field", in->admin_name_field},
                                {"admin_code_field", in->admin_code_field}, {"encoding", in->encoding}, {"crs", in->crs}};
    for (size_t i = 0; i < sizeof(f) / sizeof(f[0]); i++) put_str(c, f[i][0], f[i][1]);
    char num[64];
    snprintf(num, sizeof(num), "%a %d %d", in->resolution_m, o->need_facilities, o->read_admin);
    put_str(c, "opts", num);
    bool ok = put_file(c, in->roads, cache) && put_file(c, in->population, cache) && put_file(c, in->facilities, cache) &&
              (!o->read_admin || put_file(c, in->admin, cache));
    if (ok) snprintf(key, 65, "%s", g_checksum_get_string(c));
    g_checksum_free(c);
    return ok;
}

static void topo_key(const char *ikey, const uint8_t *way_dir, size_t n_ways, double max_snap_m, char key[65])
{
    GChecksum *c = g_checksum_new(G_CHECKSUM_SHA256);
    put_str(c, "topology-v1", ikey);
    g_checksum_update(c, way_dir, (gssize)n_ways);
    char num[64];
    snprintf(num, sizeof(num), "%a", max_snap_m);
    put_str(c, "max_snap_m", num);
    snprintf(key, 65, "%s", g_checksum_get_string(c));
    g_checksum_free(c);
}

/* The ready entry with @p key; or a new one in ENTRY_LOADING for the caller to fill (*mine); or
 * NULL when it failed for another run (the caller then loads the usual way). */
static entry *acquire(cc__region_pool *p, const char *key, bool topo, bool *mine)
{
    *mine = false;
    g_mutex_lock(&p->lock);
    entry *e = p->head;
    while (e && (e->topo != topo || strcmp(e->key, key))) e = e->next;
    if (!e) {
        if ((e = calloc(1, sizeof(*e)))) {
            snprintf(e->key, sizeof(e->key), "%s", key);
            e->topo = topo;
            e->next = p->head;
            p->head = e;
            *mine = true;
            p->misses++;
        }
    } else {
        while (e->state == ENTRY_LOADING) g_cond_wait(&p->ready, &p->lock);
        if (e->state == ENTRY_FAILED) e = NULL;
        else {
            e->n_uses++;
            if (topo) p->hits_topo++;
            else p->hits_inputs++;
        }
    }
    g_mutex_unlock(&p->lock);
    return e;
}

static void publish(cc__region_pool *p, entry *e, bool ok)
{
    g_mutex_lock(&p->lock);
    e->state = ok ? ENTRY_READY : ENTRY_FAILED;
    e->reg.in = NULL; /* the creating run's inputs; never read again */
    if (!ok) cc__region_free(&e->reg);
    g_cond_broadcast(&p->ready);
    g_mutex_unlock(&p->lock);
}

/* ---- stages -------------------------------------------------------------------------------------- */

static bool has_road_edits(const cc_edits *e)
{
    return e->n_closed_way_ids || e->closed_areas || e->added_roads || e->n_replaced_way_ids;
}

/* The topology of @p in's roads (shared, unedited) for ways directed as @p way_dir: built,
 * snapped and joined in a context of its own whose messages are dropped (a failure leaves the
 * entry failed and the run loads the usual way, reporting the failure itself). */
static cc_status make_topology(cc_ctx *ctx, const cc__region *base, const cc__region *r, const cc__region_opts *o, entry *e)
{
    cc_ctx *q = NULL;
    cc_status st = cc_ctx_create(&q);
    if (st) return cc__fail(ctx, st, "Out of memory");
    cc_ctx_set_threads(q, cc_ctx_get_threads(ctx));
    cc_ctx_set_interrupt_flag(q, cc__interrupt_flag(ctx));
    cc__region *t = &e->reg;
    t->in = r->in;
    t->profile = r->profile;
    t->roads = base->roads;
    t->dem = base->dem;
    if (!(st = cc_graph_build(q, base->roads, r->profile, NULL, &t->graph)) && !(st = cc__snap_index_build(q, t->graph, &t->snap)) &&
        !(st = cc__join_points(q, t->snap, r->profile, base->dem.x, base->dem.y, base->dem.n, &t->djoin, &t->doff))) {
        size_t n_on = 0;
        for (size_t i = 0; i < base->dem.n; i++) n_on += t->djoin[i].arc != CC_INVALID_ID;
        if (n_on == 0 && o->halo_m <= 0) st = CC_ERR_INPUT;
        else if (!base->dem.is_raster) st = cc__region_grid(q, t);
    }
    /* borrowed from the inputs entry: not this entry's to free */
    t->roads = NULL;
    memset(&t->dem, 0, sizeof(t->dem));
    t->profile = NULL;
    CC__FREE_ALL(t->doff, t->goff); /* off-road legs depend on the profile: each run's own */
    t->doff = t->goff = NULL;
    cc_ctx_destroy(q);
    return st;
}

/* <cache_dir>/<dkey>.ccprep (g_free it), or the pool's explicit file. */
static char *disk_path(const cc__region_pool *p, const char *dkey)
{
    if (p->cache_file) return g_strdup(p->cache_file);
    char name[80];
    snprintf(name, sizeof(name), "%s%s", dkey, CC__PREP_SUFFIX);
    return g_build_filename(p->cache_dir, name, NULL);
}

/* The inputs @p b and topology @p e written to the cache folder. */
static void save(cc_ctx *ctx, cc__region_pool *pool, const entry *b, const cc__region *base, const entry *e, const char *dtkey)
{
    char *path = disk_path(pool, b->dkey);
    double t = cc__now();
    size_t bytes = 0;
    if (path && cc__prep_write(ctx, path, b->dkey, dtkey, base->roads, &base->dem, &e->reg, &bytes)) {
        cc__info(ctx, "Prepared region written to '%s' (%.1f MB, %.3f s)", path, bytes / 1e6, cc__now() - t);
        g_mutex_lock(&pool->lock);
        snprintf(pool->last_file, sizeof(pool->last_file), "%s", path);
        pool->last_read = false;
        pool->last_bytes = bytes;
        g_mutex_unlock(&pool->lock);
    }
    g_free(path);
}

/* Each run's off-road legs from the shared joins, at its profile's off-road speed. */
static cc_status off_legs(cc_ctx *ctx, const cc__join *j, size_t n, double kmh, uint32_t **out)
{
    *out = cc__malloc_array(n ? n : 1, sizeof(uint32_t));
    if (!*out) return cc__fail(ctx, CC_ERR_NOMEM, "Out of memory");
    for (size_t i = 0; i < n; i++) (*out)[i] = j[i].arc == CC_INVALID_ID ? CC_INF_COST : cc__offroad_ms(j[i].d_m, kmh);
    return CC_OK;
}

cc_status cc__region_from_pool(cc_ctx *ctx, cc__region_pool *pool, const cc_inputs *in, const cc__region_opts *o, cc__region *r,
                               bool *used)
{
    *used = false;
    memset(r, 0, sizeof(*r));
    if (!pool || o->halo_m > 0 || o->work_wkt || o->win[2] || o->shared_fac || o->shared_profile) return CC_OK;
    if (!in->roads || in->offroad.model != CC_OFFROAD_STRAIGHT) return CC_OK; /* the friction model links cells itself */
    cc_status st;
    if ((st = cc__region_check(ctx, in, o))) return st;
    char ikey[65], dkey[65];
    if (!inputs_key(in, o, pool->digests, ikey, dkey)) return CC_OK;
    bool mine;
    entry *b = acquire(pool, ikey, false, &mine);
    if (!b) return CC_OK;
    if (mine) {
        /* the inputs as read, without the run's edits */
        cc__region_opts lo = *o;
        lo.apply_edits = false;
        snprintf(b->dkey, sizeof(b->dkey), "%s", dkey);
        cc_roads *pre_roads = NULL;
        cc__demand pre_dem = {0};
        if (pool->cache_dir && !pool->write_only) {
            double td = cc__now();
            char *path = disk_path(pool, dkey);
            st = path ? cc__prep_open(ctx, path, dkey, &b->disk) : cc__fail(ctx, CC_ERR_NOMEM, "Out of memory");
            const char *why = b->disk ? cc__prep_inputs(b->disk, &pre_roads, &pre_dem) : NULL;
            if (why) {
                cc__warn(ctx, "Ignoring the prepared region '%s': %s; computing it afresh", path, why);
                cc__prep_close(b->disk);
                b->disk = NULL;
            } else if (b->disk) {
                cc__info(ctx, "Roads and population read from the prepared region '%s' (%.3f s)", path, cc__now() - td);
                lo.pre_roads = pre_roads;
                lo.pre_dem = &pre_dem;
            }
            g_free(path);
            if (st) {
                publish(pool, b, false);
                return st;
            }
        }
        st = cc__region_load(ctx, in, &lo, &b->reg);
        /* the profile is each run's own */
        cc_profile_destroy(b->reg.profile_owned);
        b->reg.profile_owned = NULL;
        b->reg.profile = NULL;
        publish(pool, b, !st);
        if (st) return st; /* the usual load would fail the same way: reading comes before edits */
    }
    double t0 = cc__now();
    const cc__region *base = &b->reg;
    r->in = in;
    r->borrowed = true;
    r->dem = base->dem;
    if (base->have_admin) {
        r->admin = base->admin;
        r->have_admin = true;
    }
    if (o->shared_profile) r->profile = o->shared_profile;
    else if ((st = cc__inputs_profile(ctx, in, &r->profile_owned, &r->profile))) goto fail;
    const bool edit_roads = o->apply_edits && has_road_edits(&in->edits);
    if (edit_roads) {
        if ((st = cc__roads_clone(ctx, base->roads, &r->roads)) || (st = cc__region_edit_roads(ctx, in, r))) goto fail;
    } else {
        r->roads = base->roads;
        r->roads_borrowed = true;
    }
    if (base->fac && o->apply_edits && in->edits.n_facility_changes) {
        const char *wkt = base->roads->crs_wkt;
        if ((st = cc__inputs_facilities(ctx, in, wkt, &r->fac_own))) goto fail;
        r->fac = &r->fac_own;
        if ((st = cc__facilities_apply(ctx, &r->fac_own, in->edits.facility_changes, in->edits.n_facility_changes, wkt))) goto fail;
        cc__info(ctx, "Facility changes applied: %zu facilities now", r->fac_own.n);
    } else {
        r->fac = base->fac;
    }
    r->t_load_s = cc__now() - t0;
    if (edit_roads) {
        /* a graph of its own from the edited copy; the joins too */
        if ((st = cc__region_build(ctx, r, false)) || (st = cc__region_join(ctx, o, r))) goto fail;
        if (!r->dem.is_raster && (st = cc__region_grid(ctx, r))) goto fail;
        *used = true;
        return CC_OK;
    }
    /* speeds only: the topology the way directions give, shared */
    float *way_kmh = NULL;
    uint8_t *way_dir = NULL;
    size_t n_drivable = 0;
    double t = cc__now();
    if ((st = cc__graph_way_speeds(ctx, r->roads, r->profile, &way_kmh, &way_dir, &n_drivable))) goto fail;
    if (n_drivable == 0) {
        CC__FREE_ALL(way_kmh, way_dir);
        st = cc__fail(ctx, CC_ERR_INPUT, "No road is drivable with profile <%s> (%zu ways read)", r->profile->name, r->roads->n_ways);
        goto fail;
    }
    char tkey[65], dtkey[65];
    topo_key(ikey, way_dir, r->roads->n_ways, cc_profile_get_max_snap_m(r->profile), tkey);
    topo_key(b->dkey, way_dir, r->roads->n_ways, cc_profile_get_max_snap_m(r->profile), dtkey);
    entry *e = acquire(pool, tkey, true, &mine);
    if (e && mine) {
        bool ok = false, from_disk = false;
        if (b->disk && !strcmp(cc__prep_topology_key(b->disk), dtkey)) {
            double td = cc__now();
            const char *why = cc__prep_topology(b->disk, &base->dem, &e->reg);
            if (why) {
                cc__warn(ctx, "Ignoring the prepared region '%s': %s; computing it afresh", cc__prep_path(b->disk), why);
            } else {
                ok = from_disk = true;
                cc__info(ctx, "Graph, snapping and joins read from the prepared region '%s' (%.3f s)", cc__prep_path(b->disk), cc__now() - td);
                g_mutex_lock(&pool->lock);
                snprintf(pool->last_file, sizeof(pool->last_file), "%s", cc__prep_path(b->disk));
                pool->last_read = true;
                g_mutex_unlock(&pool->lock);
            }
        } else if (b->disk) {
            cc__debug(ctx, "The prepared region '%s' holds the graph of a profile with other road directions or snap distance; building this one",
                      cc__prep_path(b->disk));
        }
        if (!ok) ok = !make_topology(ctx, base, r, o, e);
        if (ok && !from_disk && pool->cache_dir) save(ctx, pool, b, base, e, dtkey);
        publish(pool, e, ok);
        if (!ok) e = NULL;
    }
    if (!e) { /* the topology could not be shared: this run's own, with its own messages */
        CC__FREE_ALL(way_kmh, way_dir);
        if ((st = cc__region_build(ctx, r, false)) || (st = cc__region_join(ctx, o, r))) goto fail;
        if (!r->dem.is_raster && (st = cc__region_grid(ctx, r))) goto fail;
        *used = true;
        return CC_OK;
    }
    const cc__region *tp = &e->reg;
    st = cc__graph_cost_view(ctx, tp->graph, way_kmh, way_dir, &r->graph);
    CC__FREE_ALL(way_kmh, way_dir);
    if (st) goto fail;
    r->graph_view = true;
    r->t_graph_s = cc__now() - t;
    t = cc__now();
    r->snap = tp->snap;
    r->djoin = tp->djoin;
    r->grid = tp->grid;
    r->gjoin = tp->gjoin;
    r->topo_borrowed = true;
    const double kmh = cc_profile_get_offroad_speed_kmh(r->profile);
    if ((st = off_legs(ctx, r->djoin, r->dem.n, kmh, &r->doff))) goto fail;
    if (!r->dem.is_raster && (st = off_legs(ctx, r->gjoin, r->grid.n, kmh, &r->goff))) goto fail;
    if (r->fac && !o->defer_facility_join) {
        if ((st = cc__join_points(ctx, r->snap, r->profile, r->fac->x, r->fac->y, r->fac->n, &r->fjoin, &r->foff))) goto fail;
        if ((st = cc__region_check_facilities(ctx, o, r))) goto fail;
    }
    r->t_snap_s = cc__now() - t;
    *used = true;
    return CC_OK;
fail:
    cc__region_free(r);
    *used = true; /* failed as the usual load would: the run reports it */
    return st;
}

/* ---- carecircle prepare ---------------------------------------------------------------------- */

cc_status cc_prepare_region(cc_ctx *ctx, const cc_inputs *in, const char *out, char *file, size_t n_file, size_t *bytes)
{
    if (file && n_file) file[0] = '\0';
    if (bytes) *bytes = 0;
    if (!out) out = cc_ctx_get_cache_dir(ctx);
    if (!out) return cc__fail(ctx, CC_ERR_PARAM, "No folder to write the prepared region to (parameter out)");
    if (in->offroad.model != CC_OFFROAD_STRAIGHT)
        return cc__fail(ctx, CC_ERR_PARAM, "A prepared region serves the straight off-road model only (parameter offroad)");
    if (in->edits.n_closed_way_ids || in->edits.closed_areas || in->edits.added_roads || in->edits.n_replaced_way_ids ||
        in->edits.n_facility_changes)
        return cc__fail(ctx, CC_ERR_PARAM, "A prepared region is made from the inputs as read, without scenario edits");
    size_t n = strlen(out);
    const bool to_file = n > strlen(CC__PREP_SUFFIX) && !strcmp(out + n - strlen(CC__PREP_SUFFIX), CC__PREP_SUFFIX);
    if (!to_file && g_file_test(out, G_FILE_TEST_EXISTS) && !g_file_test(out, G_FILE_TEST_IS_DIR))
        return cc__fail(ctx, CC_ERR_PARAM, "'%s' is a file, not a folder: give a folder, or a file name ending in %s (parameter out)", out,
                        CC__PREP_SUFFIX);
    const cc__region_opts ro = {.need_facilities = in->facilities != NULL, .read_admin = true};
    cc__region_pool *pool = NULL;
    cc__region r;
    bool used = false;
    cc_status st;
    if ((st = cc__region_pool_create(ctx, NULL, &pool)) ||
        (st = cc__region_pool_set_cache(ctx, pool, to_file ? "." : out, true, to_file ? out : NULL)) ||
        (st = cc__region_from_pool(ctx, pool, in, &ro, &r, &used))) {
        /* the roads and population were fine but the facilities or admin areas were not: the
         * command failed, and leaves nothing behind */
        bool read = false;
        const char *f = pool ? cc__region_pool_cache_file(pool, &read, NULL) : "";
        if (f[0] && !read) g_unlink(f);
        goto done;
    }
    if (!used) {
        /* an input that cannot be hashed: unreadable (reported as a run would) or not a file */
        st = cc__region_load(ctx, in, &ro, &r);
        cc__region_free(&r);
        if (!st) {
            st = cc__fail(ctx, CC_ERR_PARAM, "These inputs cannot be prepared: the roads and population must be files (not a database or a URL)");
        }
        goto done;
    }
    cc__region_free(&r);
    bool read = false;
    size_t nb = 0;
    const char *f = cc__region_pool_cache_file(pool, &read, &nb);
    if (!f[0]) st = cc__fail(ctx, CC_ERR_IO, "Unable to write the prepared region into '%s'", out);
    else {
        if (file && n_file) snprintf(file, n_file, "%s", f);
        if (bytes) *bytes = nb;
    }
done:
    cc__region_pool_destroy(pool);
    return st;
}
