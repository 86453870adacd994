/*
 * cache.c - the prepared region on disk (cache_internal.h).
 */
#include <errno.h>
#include <fcntl.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

#include <glib.h>
#include <glib/gstdio.h>

#include "../graph/roads_internal.h"
#include "cache_internal.h"

static const char MAGIC[8] = {'C', 'C', 'P', 'R', 'E', 'P', '\r', '\n'};
#define ENDIAN_MARK 0x01020304u

/* Sections. Demand blocks (population, grid) are DEM_X.. and GRID_X.. in the same order. */
enum {
    S_META = 0,
    R_WAY_FIRST, R_X, R_Y, R_CLS, R_SURFACE, R_MAXSPEED, R_SPEED, R_ONEWAY, R_ROUNDABOUT, R_WAY_ID, R_STATUS, R_STRINGS, R_WKT,
    DEM_X, DEM_Y, DEM_POP, DEM_CELL, DEM_NAME, DEM_NAME_ZH, DEM_WKT,
    G_FWD_FIRST, G_FWD, G_FWD_ARC, G_BWD_FIRST, G_BWD, G_BWD_ARC, G_NODE_X, G_NODE_Y, G_ARC_U, G_ARC_V, G_COST_F, G_COST_B,
    G_ARC_LEN, G_ARC_WAY, G_ARC_FIRST, G_PT_X, G_PT_Y, G_PT_S, G_PT_ARC, G_NODE_SCC, G_WKT,
    S_FIRST, S_SEG, J_DEM,
    GRID_X, GRID_Y, GRID_POP, GRID_CELL, GRID_NAME, GRID_NAME_ZH, GRID_WKT,
    J_GRID,
    N_SECT
};

typedef struct prep_dem {
    uint64_t n, n_nan, n_zero;
    double gt[6], pop_total;
    int32_t w, h;
    uint32_t is_raster, pad;
} prep_dem;

typedef struct prep_meta {
    uint64_t null_mask; /* bit s: the pointer of section s was NULL */
    uint64_t n_ways, n_vertices, n_strings;
    prep_dem dem, grid;
    uint64_t n_way_vertices, n_pts, n_seg;
    double minx, miny, maxx, maxy, snap_x0, snap_y0, snap_cell;
    uint32_t n_nodes, n_edges, n_arcs, scc_count, scc_largest, snap_nx, snap_ny, has_grid;
    char crs_name[32];
} prep_meta;

typedef struct prep_hdr {
    char magic[8];
    uint32_t version, endian, sizes, n_sections;
    char ikey[64], tkey[64];
    uint64_t file_bytes;
    uint64_t sum; /* of the bytes above and the section table */
} prep_hdr;

typedef struct prep_sect {
    uint32_t id, elem;
    uint64_t count, offset, sum;
} prep_sect;

_Static_assert(sizeof(prep_hdr) % 8 == 0 && sizeof(prep_sect) % 8 == 0, "8-byte aligned header");
_Static_assert(N_SECT < 64, "null mask");

static uint32_t sizes_word(void)
{
    return (uint32_t)sizeof(size_t) | (uint32_t)sizeof(double) << 8 | (uint32_t)sizeof(cc__join) << 16 | (uint32_t)sizeof(cc_edge) << 24;
}

/* A 64-bit checksum over 8-byte words, h = rotl(h ^ w, 29) * P: each step is a bijection of w
 * and of h, so any change confined to one word always changes the sum; ~3 GB/s. */
static uint64_t checksum(const void *data, size_t n, uint64_t h)
{
    const unsigned char *p = data;
    const uint64_t P = 0x9E3779B97F4A7C15ull;
    size_t i = 0;
    for (; i + 8 <= n; i += 8) {
        uint64_t w;
        memcpy(&w, p + i, 8);
        h ^= w;
        h = (h << 29 | h >> 35) * P;
    }
    uint64_t w = 0;
    memcpy(&w, p + i, n - i);
    h ^= w ^ (uint64_t)n;
    h = (h << 29 | h >> 35) * P;
    return h ^ h >> 31;
}

struct cc__prep {
    char *path;
    const unsigned char *base;
    size_t len;
    bool mapped;
    prep_hdr hdr;
    char tkey[65];
    const prep_sect *sect; /* by id */
    prep_sect by_id[N_SECT];
    prep_meta meta;
};

/* ---- reading --------------------------------------------------------------------------------- */

/* The pages of the mapping wholly inside [off, off + len) given back (they stay in the page cache
 * and come back on the next access): the file is read twice, checksums then copies, and would
 * otherwise count in the process's memory on top of the copies. */
static void drop(const cc__prep *p, uint64_t off, uint64_t len)
{
    if (!p->mapped) return;
    const uint64_t pg = (uint64_t)sysconf(_SC_PAGESIZE);
    uint64_t a = (off + pg - 1) / pg * pg, b = (off + len) / pg * pg;
    if (b > a) madvise((void *)(p->base + a), (size_t)(b - a), MADV_DONTNEED);
}

static const char *check(cc__prep *p, bool verify_sums)
{
    if (p->len < sizeof(prep_hdr)) return "truncated (shorter than its header)";
    memcpy(&p->hdr, p->base, sizeof(prep_hdr));
    const prep_hdr *h = &p->hdr;
    if (memcmp(h->magic, MAGIC, 8)) return "not a carecircle prepared region";
    if (h->endian != ENDIAN_MARK) return "written on a machine of another byte order";
    if (h->version != CC__PREP_VERSION) return "written by another version of carecircle (another file format)";
    if (h->sizes != sizes_word()) return "written by a build with other type sizes";
    if (h->n_sections != N_SECT) return "wrong section count";
    if (h->file_bytes != p->len) return "truncated or extended (its length differs from the one in its header)";
    size_t table = sizeof(prep_hdr) + (size_t)N_SECT * sizeof(prep_sect);
    if (p->len < table) return "truncated (section table)";
    if (verify_sums) {
        uint64_t s = checksum(p->base, offsetof(prep_hdr, sum), 0);
        s = checksum(p->base + sizeof(prep_hdr), (size_t)N_SECT * sizeof(prep_sect), s);
        if (s != h->sum) return "header checksum mismatch";
    }
    memcpy(p->by_id, p->base + sizeof(prep_hdr), (size_t)N_SECT * sizeof(prep_sect));
    for (uint32_t i = 0; i < N_SECT; i++) {
        const prep_sect *s = &p->by_id[i];
        if (s->id != i) return "section table out of order";
        if (s->elem == 0 || s->elem > 4096 || s->offset % 8 || s->offset < table || s->offset > p->len) return "bad section table";
        if (s->count > (p->len - s->offset) / s->elem) return "a section runs past the end of the file";
        if (verify_sums && checksum(p->base + s->offset, (size_t)(s->count * s->elem), 0) != s->sum) return "section checksum mismatch";
        drop(p, s->offset, s->count * s->elem);
    }
    const prep_sect *m = &p->by_id[S_META];
    if (m->elem != sizeof(prep_meta) || m->count != 1) return "bad meta section";
    memcpy(&p->meta, p->base + m->offset, sizeof(prep_meta));
    memcpy(p->tkey, h->tkey, 64);
    p->tkey[64] = '\0';
    return NULL;
}

static cc__prep *prep_new(const void *buf, size_t len, bool mapped, bool verify_sums, char *why, size_t n_why)
{
    cc__prep *p = calloc(1, sizeof(*p));
    if (!p) {
        snprintf(why, n_why, "out of memory");
        return NULL;
    }
    p->base = buf;
    p->len = len;
    p->mapped = mapped;
    const char *e = check(p, verify_sums);
    if (e) {
        snprintf(why, n_why, "%s", e);
        free(p);
        return NULL;
    }
    return p;
}

cc__prep *cc__prep_from_memory(const void *buf, size_t len, bool verify_sums, char *why, size_t n_why)
{
    return prep_new(buf, len, false, verify_sums, why, n_why);
}

void cc__prep_close(cc__prep *p)
{
    if (!p) return;
    if (p->mapped) munmap((void *)p->base, p->len);
    free(p->path);
    free(p);
}

const char *cc__prep_path(const cc__prep *p)
{
    return p->path ? p->path : "(memory)";
}

const char *cc__prep_topology_key(const cc__prep *p)
{
    return p->tkey;
}

cc_status cc__prep_open(cc_ctx *ctx, const char *path, const char *ikey, cc__prep **out)
{
    *out = NULL;
    int fd = open(path, O_RDONLY | O_CLOEXEC);
    if (fd < 0) {
        if (errno == ENOENT)
            cc__debug(ctx, "No prepared region in the cache for these inputs ('%s' absent: not prepared yet, or an input file or a "
                           "reader option changed since)", path);
        else
            cc__warn(ctx, "Unable to read the prepared region '%s': %s; computing it afresh", path, strerror(errno));
        return CC_OK;
    }
    struct stat sb;
    void *map = MAP_FAILED;
    if (fstat(fd, &sb) == 0 && sb.st_size > 0) map = mmap(NULL, (size_t)sb.st_size, PROT_READ, MAP_PRIVATE, fd, 0);
    close(fd);
    if (map == MAP_FAILED) {
        cc__warn(ctx, "Ignoring the prepared region '%s': %s; computing it afresh", path, sb.st_size == 0 ? "empty file" : strerror(errno));
        return CC_OK;
    }
    char why[200];
    cc__prep *p = prep_new(map, (size_t)sb.st_size, true, true, why, sizeof(why));
    if (!p) {
        munmap(map, (size_t)sb.st_size);
        cc__warn(ctx, "Ignoring the prepared region '%s': %s; computing it afresh", path, why);
        return CC_OK;
    }
    if (!(p->path = cc__strdup(path))) {
        cc__prep_close(p);
        return cc__fail(ctx, CC_ERR_NOMEM, "Out of memory");
    }
    if (ikey && strncmp(p->hdr.ikey, ikey, 64)) {
        cc__debug(ctx, "The prepared region '%s' is for other inputs (key %.16s..., these are %.16s...): not used", path, p->hdr.ikey, ikey);
        cc__prep_close(p);
        return CC_OK;
    }
    *out = p;
    return CC_OK;
}

/* A malloc'ed copy of section @p id holding @p count elements of @p elem bytes (one extra zero
 * element of room when @p count is 0, so that empty arrays are not NULL); *ok false when the
 * section does not hold that. A section recorded as NULL gives NULL. */
static void *copy_any(const cc__prep *p, int id, size_t elem, uint64_t count, bool nullable, bool *ok)
{
    const prep_sect *s = &p->by_id[id];
    if (!*ok) return NULL;
    if (p->meta.null_mask >> id & 1) {
        /* only an array that may be absent, or one of no elements */
        if (s->count || (count && !nullable)) *ok = false;
        return NULL;
    }
    if (s->elem != elem || s->count != count) {
        *ok = false;
        return NULL;
    }
    void *d = malloc(count ? (size_t)count * elem : elem);
    if (!d) {
        *ok = false;
        return NULL;
    }
    if (count) memcpy(d, p->base + s->offset, (size_t)count * elem);
    else memset(d, 0, elem);
    drop(p, s->offset, count * elem);
    return d;
}

/* An array that is always there (unless empty), and one that may be absent (NULL). */
static void *copy(const cc__prep *p, int id, size_t elem, uint64_t count, bool *ok)
{
    return copy_any(p, id, elem, count, false, ok);
}

static void *copy_opt(const cc__prep *p, int id, size_t elem, uint64_t count, bool *ok)
{
    return copy_any(p, id, elem, count, true, ok);
}

/* A NUL-terminated string section (NULL when recorded as NULL). */
static char *copy_str(const cc__prep *p, int id, bool *ok)
{
    const prep_sect *s = &p->by_id[id];
    if (!*ok || p->meta.null_mask >> id & 1) return NULL;
    if (s->elem != 1 || s->count == 0 || p->base[s->offset + s->count - 1] != '\0') {
        *ok = false;
        return NULL;
    }
    return copy_opt(p, id, 1, s->count, ok);
}

/* Names: per entry a byte 1 followed by the NUL-terminated name, or a byte 0 (no name). */
static char **copy_names(const cc__prep *p, int id, uint64_t n, bool *ok)
{
    const prep_sect *s = &p->by_id[id];
    if (!*ok || p->meta.null_mask >> id & 1) return NULL;
    char **v = cc__calloc_array(n ? n : 1, sizeof(char *));
    if (!v || s->elem != 1) {
        free(v);
        *ok = false;
        return NULL;
    }
    const char *b = (const char *)p->base + s->offset, *end = b + s->count;
    for (uint64_t i = 0; i < n && *ok; i++) {
        if (b >= end) *ok = false;
        else if (*b++ == 1) {
            const char *z = memchr(b, '\0', (size_t)(end - b));
            if (!z || !(v[i] = cc__strdup(b))) *ok = false;
            else b = z + 1;
        }
    }
    if (*ok && b != end) *ok = false;
    if (!*ok) {
        for (uint64_t i = 0; i < n; i++) free(v[i]);
        free(v);
        return NULL;
    }
    return v;
}

static bool copy_demand(const cc__prep *p, int base, const prep_dem *m, cc__demand *d)
{
    bool ok = true;
    memset(d, 0, sizeof(*d));
    d->n = (size_t)m->n;
    d->x = copy(p, base + 0, sizeof(double), m->n, &ok);
    d->y = copy(p, base + 1, sizeof(double), m->n, &ok);
    d->pop = copy(p, base + 2, sizeof(double), m->n, &ok);
    d->cell = copy_opt(p, base + 3, sizeof(int64_t), m->n, &ok);
    d->name = copy_names(p, base + 4, m->n, &ok);
    d->name_zh = copy_names(p, base + 5, m->n, &ok);
    d->grid.wkt = copy_str(p, base + 6, &ok);
    d->is_raster = m->is_raster != 0;
    d->grid.w = m->w;
    d->grid.h = m->h;
    memcpy(d->grid.gt, m->gt, sizeof(d->grid.gt));
    d->pop_total = m->pop_total;
    d->n_nan = (size_t)m->n_nan;
    d->n_zero = (size_t)m->n_zero;
    if (ok && d->is_raster && !d->cell && d->n) ok = false;
    if (ok && d->is_raster && d->cell)
        for (size_t i = 0; i < d->n && ok; i++) ok = d->cell[i] >= -1 && d->cell[i] < (int64_t)d->grid.w * d->grid.h;
    if (!ok) cc__demand_free(d);
    return ok;
}

static bool monotone(const uint32_t *a, size_t n, uint32_t last)
{
    if (!a || a[0] != 0) return false;
    for (size_t i = 0; i < n; i++)
        if (a[i] > a[i + 1]) return false;
    return a[n] == last;
}

static bool below(const uint32_t *a, size_t n, uint32_t lim)
{
    for (size_t i = 0; i < n; i++)
        if (a[i] >= lim) return false;
    return true;
}

const char *cc__prep_inputs(const cc__prep *p, cc_roads **roads, cc__demand *dem)
{
    const prep_meta *m = &p->meta;
    bool ok = true;
    *roads = NULL;
    memset(dem, 0, sizeof(*dem));
    if (m->n_ways >= UINT32_MAX || m->n_vertices >= ((uint64_t)1 << 40)) return "bad road counts";
    cc_roads *r = calloc(1, sizeof(*r));
    if (!r) return "out of memory";
    cc__strtab_init(&r->strings);
    r->n_ways = (size_t)m->n_ways;
    r->n_vertices = (size_t)m->n_vertices;
    r->cap_ways = r->n_ways;
    r->cap_vertices = r->n_vertices;
    r->way_first = copy(p, R_WAY_FIRST, sizeof(size_t), m->n_ways + 1, &ok);
    r->x = copy(p, R_X, sizeof(double), m->n_vertices, &ok);
    r->y = copy(p, R_Y, sizeof(double), m->n_vertices, &ok);
    r->cls = copy(p, R_CLS, sizeof(uint32_t), m->n_ways, &ok);
    r->surface = copy(p, R_SURFACE, sizeof(uint32_t), m->n_ways, &ok);
    r->maxspeed_kmh = copy(p, R_MAXSPEED, sizeof(float), m->n_ways, &ok);
    r->speed_kmh = copy(p, R_SPEED, sizeof(float), m->n_ways, &ok);
    r->oneway = copy(p, R_ONEWAY, 1, m->n_ways, &ok);
    r->roundabout = copy(p, R_ROUNDABOUT, 1, m->n_ways, &ok);
    r->way_id = copy(p, R_WAY_ID, sizeof(int64_t), m->n_ways, &ok);
    r->status = copy_opt(p, R_STATUS, 1, m->n_ways, &ok);
    r->crs_wkt = copy_str(p, R_WKT, &ok);
    memcpy(r->crs_name, m->crs_name, sizeof(r->crs_name));
    r->crs_name[sizeof(r->crs_name) - 1] = '\0';
    /* way_first: from 0, non-decreasing, ending at the vertex count */
    if (ok && (!r->way_first || r->way_first[0] != 0 || r->way_first[r->n_ways] != r->n_vertices || !r->crs_wkt)) ok = false;
    for (size_t w = 0; ok && w < r->n_ways; w++) ok = r->way_first[w] <= r->way_first[w + 1];
    /* the class and surface strings, interned in their id order */
    const prep_sect *s = &p->by_id[R_STRINGS];
    if (ok && s->elem == 1) {
        const char *b = (const char *)p->base + s->offset, *end = b + s->count;
        for (uint64_t i = 0; i < m->n_strings && ok; i++) {
            const char *z = b < end ? memchr(b, '\0', (size_t)(end - b)) : NULL;
            if (!z || cc__strtab_intern(&r->strings, b) != (uint32_t)i) ok = false;
            else b = z + 1;
        }
        if (b != end) ok = false;
    } else {
        ok = false;
    }
    for (size_t w = 0; ok && w < r->n_ways; w++)
        ok = (r->cls[w] == CC__NO_STRING || r->cls[w] < r->strings.n) && (r->surface[w] == CC__NO_STRING || r->surface[w] < r->strings.n);
    if (ok) ok = copy_demand(p, DEM_X, &m->dem, dem);
    if (!ok) {
        cc_roads_destroy(r);
        return "its roads or population are inconsistent";
    }
    *roads = r;
    return NULL;
}

const char *cc__prep_topology(const cc__prep *p, const cc__demand *dem, cc__region *t)
{
    const prep_meta *m = &p->meta;
    bool ok = true;
    if (m->n_pts >= UINT32_MAX || m->n_seg >= UINT32_MAX || m->dem.n != dem->n) return "bad topology counts";
    cc_graph *g = calloc(1, sizeof(*g));
    if (!g) return "out of memory";
    g->n_nodes = m->n_nodes;
    g->n_edges = m->n_edges;
    g->n_arcs = m->n_arcs;
    g->fwd_first = copy(p, G_FWD_FIRST, 4, (uint64_t)m->n_nodes + 1, &ok);
    g->fwd = copy(p, G_FWD, sizeof(cc_edge), m->n_edges, &ok);
    g->fwd_arc = copy(p, G_FWD_ARC, 4, m->n_edges, &ok);
    g->bwd_first = copy(p, G_BWD_FIRST, 4, (uint64_t)m->n_nodes + 1, &ok);
    g->bwd = copy(p, G_BWD, sizeof(cc_edge), m->n_edges, &ok);
    g->bwd_arc = copy(p, G_BWD_ARC, 4, m->n_edges, &ok);
    g->node_x = copy(p, G_NODE_X, 8, m->n_nodes, &ok);
    g->node_y = copy(p, G_NODE_Y, 8, m->n_nodes, &ok);
    g->arc_u = copy(p, G_ARC_U, 4, m->n_arcs, &ok);
    g->arc_v = copy(p, G_ARC_V, 4, m->n_arcs, &ok);
    g->arc_cost_f = copy(p, G_COST_F, 4, m->n_arcs, &ok);
    g->arc_cost_b = copy(p, G_COST_B, 4, m->n_arcs, &ok);
    g->arc_len_m = copy(p, G_ARC_LEN, 8, m->n_arcs, &ok);
    g->arc_way = copy(p, G_ARC_WAY, 4, m->n_arcs, &ok);
    g->arc_first = copy(p, G_ARC_FIRST, 4, (uint64_t)m->n_arcs + 1, &ok);
    g->pt_x = copy(p, G_PT_X, 8, m->n_pts, &ok);
    g->pt_y = copy(p, G_PT_Y, 8, m->n_pts, &ok);
    g->pt_s = copy(p, G_PT_S, 8, m->n_pts, &ok);
    g->pt_arc = copy(p, G_PT_ARC, 4, m->n_pts, &ok);
    g->node_scc = copy(p, G_NODE_SCC, 4, m->n_nodes, &ok);
    g->crs_wkt = copy_str(p, G_WKT, &ok);
    g->scc_count = m->scc_count;
    g->scc_largest = m->scc_largest;
    g->n_way_vertices = (size_t)m->n_way_vertices;
    g->minx = m->minx;
    g->miny = m->miny;
    g->maxx = m->maxx;
    g->maxy = m->maxy;
    /* every index the searches and the snapping follow lies in range */
    ok = ok && g->fwd && g->bwd && monotone(g->fwd_first, g->n_nodes, g->n_edges) && monotone(g->bwd_first, g->n_nodes, g->n_edges) &&
         monotone(g->arc_first, g->n_arcs, (uint32_t)m->n_pts) && below(g->fwd_arc, g->n_edges, g->n_arcs) &&
         below(g->bwd_arc, g->n_edges, g->n_arcs) && below(g->arc_u, g->n_arcs, g->n_nodes) && below(g->arc_v, g->n_arcs, g->n_nodes) &&
         below(g->pt_arc, (size_t)m->n_pts, g->n_arcs);
    for (uint32_t e = 0; ok && e < g->n_edges; e++) ok = g->fwd[e].head < g->n_nodes && g->bwd[e].head < g->n_nodes;
    for (uint32_t a = 0; ok && a < g->n_arcs; a++) ok = g->arc_first[a + 1] - g->arc_first[a] >= 2;
    uint32_t *first = NULL, *seg = NULL;
    /* the snap grid as cc__snap_index_build makes it: cells of at least 20 m (a query's cell
     * index then stays in range for any point within the snap distance of the grid) */
    size_t ncell = (size_t)m->snap_nx * m->snap_ny;
    if (ok && (m->snap_nx == 0 || m->snap_ny == 0 || ncell > ((size_t)1 << 32) || !(m->snap_cell >= 20.0) || !isfinite(m->snap_cell) ||
               !isfinite(m->snap_x0) || !isfinite(m->snap_y0)))
        ok = false;
    first = copy(p, S_FIRST, 4, ncell + 1, &ok);
    seg = copy(p, S_SEG, 4, m->n_seg, &ok);
    ok = ok && monotone(first, ncell, (uint32_t)m->n_seg);
    for (size_t k = 0; ok && k < m->n_seg; k++) ok = (uint64_t)seg[k] + 1 < m->n_pts && g->pt_arc[seg[k]] == g->pt_arc[seg[k] + 1];
    cc__join *dj = copy(p, J_DEM, sizeof(cc__join), m->dem.n, &ok);
    for (size_t i = 0; ok && i < m->dem.n; i++) ok = dj[i].arc == CC_INVALID_ID || dj[i].arc < g->n_arcs;
    cc__demand grid = {0};
    cc__join *gj = NULL;
    if (ok && m->has_grid) {
        ok = copy_demand(p, GRID_X, &m->grid, &grid);
        gj = copy(p, J_GRID, sizeof(cc__join), m->grid.n, &ok);
        for (size_t i = 0; ok && i < m->grid.n; i++) ok = gj[i].arc == CC_INVALID_ID || gj[i].arc < g->n_arcs;
    }
    cc_ctx quiet = {0};
    cc__snap_index *ix = NULL;
    if (ok) {
        ok = !cc__snap_index_from_parts(&quiet, g, m->snap_x0, m->snap_y0, m->snap_cell, m->snap_nx, m->snap_ny, first, seg, &ix);
        first = seg = NULL;
    }
    if (!ok) {
        CC__FREE_ALL(first, seg, dj, gj);
        cc__demand_free(&grid);
        cc_graph_destroy(g);
        return "its topology is inconsistent";
    }
    t->graph = g;
    t->snap = ix;
    t->djoin = dj;
    t->grid = grid;
    t->gjoin = gj;
    return NULL;
}

/* ---- writing --------------------------------------------------------------------------------- */

typedef struct part {
    const void *data;
    size_t elem;
    uint64_t count;
    void *owned; /* a buffer made for the file (names, strings), freed after writing */
} part;

static void put(part *pt, prep_meta *m, int id, const void *data, size_t elem, uint64_t count)
{
    pt[id] = (part){.data = data, .elem = elem, .count = data ? count : 0};
    if (!data) m->null_mask |= (uint64_t)1 << id;
}

static void put_str(part *pt, prep_meta *m, int id, const char *s)
{
    put(pt, m, id, s, 1, s ? strlen(s) + 1 : 0);
}

static bool put_names(part *pt, prep_meta *m, int id, char *const *names, size_t n)
{
    if (!names) {
        put(pt, m, id, NULL, 1, 0);
        return true;
    }
    size_t len = 0;
    for (size_t i = 0; i < n; i++) len += 1 + (names[i] ? strlen(names[i]) + 1 : 0);
    char *b = malloc(len ? len : 1), *q = b;
    if (!b) return false;
    for (size_t i = 0; i < n; i++) {
        *q++ = names[i] ? 1 : 0;
        if (names[i]) {
            size_t k = strlen(names[i]) + 1;
            memcpy(q, names[i], k);
            q += k;
        }
    }
    put(pt, m, id, b, 1, len);
    pt[id].owned = b;
    return true;
}

static bool put_demand(part *pt, prep_meta *m, int base, prep_dem *dm, const cc__demand *d)
{
    *dm = (prep_dem){.n = d->n, .n_nan = d->n_nan, .n_zero = d->n_zero, .pop_total = d->pop_total, .w = d->grid.w, .h = d->grid.h,
                     .is_raster = d->is_raster};
    memcpy(dm->gt, d->grid.gt, sizeof(dm->gt));
    put(pt, m, base + 0, d->x, 8, d->n);
    put(pt, m, base + 1, d->y, 8, d->n);
    put(pt, m, base + 2, d->pop, 8, d->n);
    put(pt, m, base + 3, d->cell, 8, d->n);
    put_str(pt, m, base + 6, d->grid.wkt);
    return put_names(pt, m, base + 4, d->name, d->n) && put_names(pt, m, base + 5, d->name_zh, d->n);
}

bool cc__prep_write(cc_ctx *ctx, const char *path, const char *ikey, const char *tkey, const cc_roads *roads, const cc__demand *dem,
                    const cc__region *t, size_t *bytes)
{
    part pt[N_SECT];
    memset(pt, 0, sizeof(pt));
    prep_meta m;
    memset(&m, 0, sizeof(m));
    const cc_graph *g = t->graph;
    bool ok = true;
    /* roads */
    m.n_ways = roads->n_ways;
    m.n_vertices = roads->n_vertices;
    m.n_strings = roads->strings.n;
    memcpy(m.crs_name, roads->crs_name, sizeof(m.crs_name));
    put(pt, &m, R_WAY_FIRST, roads->way_first, sizeof(size_t), roads->n_ways + 1);
    put(pt, &m, R_X, roads->x, 8, roads->n_vertices);
    put(pt, &m, R_Y, roads->y, 8, roads->n_vertices);
    put(pt, &m, R_CLS, roads->cls, 4, roads->n_ways);
    put(pt, &m, R_SURFACE, roads->surface, 4, roads->n_ways);
    put(pt, &m, R_MAXSPEED, roads->maxspeed_kmh, 4, roads->n_ways);
    put(pt, &m, R_SPEED, roads->speed_kmh, 4, roads->n_ways);
    put(pt, &m, R_ONEWAY, roads->oneway, 1, roads->n_ways);
    put(pt, &m, R_ROUNDABOUT, roads->roundabout, 1, roads->n_ways);
    put(pt, &m, R_WAY_ID, roads->way_id, 8, roads->n_ways);
    put(pt, &m, R_STATUS, roads->status, 1, roads->n_ways);
    put_str(pt, &m, R_WKT, roads->crs_wkt);
    size_t slen = 0;
    for (uint32_t i = 0; i < roads->strings.n; i++) slen += strlen(roads->strings.str[i]) + 1;
    char *sb = malloc(slen ? slen : 1);
    if (sb) {
        char *q = sb;
        for (uint32_t i = 0; i < roads->strings.n; i++) {
            size_t k = strlen(roads->strings.str[i]) + 1;
            memcpy(q, roads->strings.str[i], k);
            q += k;
        }
        put(pt, &m, R_STRINGS, sb, 1, slen);
        pt[R_STRINGS].owned = sb;
    } else {
        ok = false;
    }
    ok = ok && put_demand(pt, &m, DEM_X, &m.dem, dem);
    /* graph */
    m.n_nodes = g->n_nodes;
    m.n_edges = g->n_edges;
    m.n_arcs = g->n_arcs;
    m.scc_count = g->scc_count;
    m.scc_largest = g->scc_largest;
    m.n_way_vertices = g->n_way_vertices;
    m.n_pts = g->arc_first[g->n_arcs];
    m.minx = g->minx;
    m.miny = g->miny;
    m.maxx = g->maxx;
    m.maxy = g->maxy;
    put(pt, &m, G_FWD_FIRST, g->fwd_first, 4, (uint64_t)g->n_nodes + 1);
    put(pt, &m, G_FWD, g->fwd, sizeof(cc_edge), g->n_edges);
    put(pt, &m, G_FWD_ARC, g->fwd_arc, 4, g->n_edges);
    put(pt, &m, G_BWD_FIRST, g->bwd_first, 4, (uint64_t)g->n_nodes + 1);
    put(pt, &m, G_BWD, g->bwd, sizeof(cc_edge), g->n_edges);
    put(pt, &m, G_BWD_ARC, g->bwd_arc, 4, g->n_edges);
    put(pt, &m, G_NODE_X, g->node_x, 8, g->n_nodes);
    put(pt, &m, G_NODE_Y, g->node_y, 8, g->n_nodes);
    put(pt, &m, G_ARC_U, g->arc_u, 4, g->n_arcs);
    put(pt, &m, G_ARC_V, g->arc_v, 4, g->n_arcs);
    put(pt, &m, G_COST_F, g->arc_cost_f, 4, g->n_arcs);
    put(pt, &m, G_COST_B, g->arc_cost_b, 4, g->n_arcs);
    put(pt, &m, G_ARC_LEN, g->arc_len_m, 8, g->n_arcs);
    put(pt, &m, G_ARC_WAY, g->arc_way, 4, g->n_arcs);
    put(pt, &m, G_ARC_FIRST, g->arc_first, 4, (uint64_t)g->n_arcs + 1);
    put(pt, &m, G_PT_X, g->pt_x, 8, m.n_pts);
    put(pt, &m, G_PT_Y, g->pt_y, 8, m.n_pts);
    put(pt, &m, G_PT_S, g->pt_s, 8, m.n_pts);
    put(pt, &m, G_PT_ARC, g->pt_arc, 4, m.n_pts);
    put(pt, &m, G_NODE_SCC, g->node_scc, 4, g->n_nodes);
    put_str(pt, &m, G_WKT, g->crs_wkt);
    cc__snap_parts sp = cc__snap_index_parts(t->snap);
    m.snap_x0 = sp.x0;
    m.snap_y0 = sp.y0;
    m.snap_cell = sp.cell;
    m.snap_nx = sp.nx;
    m.snap_ny = sp.ny;
    m.n_seg = sp.first[(size_t)sp.nx * sp.ny];
    put(pt, &m, S_FIRST, sp.first, 4, (uint64_t)sp.nx * sp.ny + 1);
    put(pt, &m, S_SEG, sp.seg, 4, m.n_seg);
    put(pt, &m, J_DEM, t->djoin, sizeof(cc__join), dem->n);
    m.has_grid = !dem->is_raster;
    if (m.has_grid) {
        ok = ok && put_demand(pt, &m, GRID_X, &m.grid, &t->grid);
        put(pt, &m, J_GRID, t->gjoin, sizeof(cc__join), t->grid.n);
    } else {
        for (int id = GRID_X; id <= J_GRID; id++) put(pt, &m, id, NULL, id == J_GRID ? sizeof(cc__join) : 1, 0);
        m.grid = (prep_dem){0};
        /* elem sizes the reader expects even for empty sections */
        pt[GRID_X].elem = pt[GRID_Y].elem = pt[GRID_POP].elem = pt[GRID_CELL].elem = 8;
    }
    put(pt, &m, S_META, &m, sizeof(m), 1);
    for (int i = 0; i < N_SECT; i++)
        if (!pt[i].elem) pt[i].elem = 1;
    /* header and table */
    prep_hdr h;
    memset(&h, 0, sizeof(h));
    memcpy(h.magic, MAGIC, 8);
    h.version = CC__PREP_VERSION;
    h.endian = ENDIAN_MARK;
    h.sizes = sizes_word();
    h.n_sections = N_SECT;
    memcpy(h.ikey, ikey, 64);
    memcpy(h.tkey, tkey, 64);
    prep_sect tab[N_SECT];
    uint64_t off = sizeof(prep_hdr) + sizeof(tab);
    for (int i = 0; i < N_SECT; i++) {
        size_t n = (size_t)(pt[i].count * pt[i].elem);
        tab[i] = (prep_sect){.id = (uint32_t)i, .elem = (uint32_t)pt[i].elem, .count = pt[i].count, .offset = off,
                             .sum = checksum(pt[i].data ? pt[i].data : "", pt[i].data ? n : 0, 0)};
        off += (n + 7) & ~(size_t)7;
    }
    h.file_bytes = off;
    h.sum = checksum(&h, offsetof(prep_hdr, sum), 0);
    h.sum = checksum(tab, sizeof(tab), h.sum);
    /* a temporary file beside the target, renamed over it when complete */
    char *dir = g_path_get_dirname(path), *tmp = NULL;
    int fd = -1;
    FILE *f = NULL;
    const char *err = NULL;
    if (ok && g_mkdir_with_parents(dir, 0755) != 0) err = strerror(errno);
    if (ok && !err) {
        tmp = g_strdup_printf("%s.tmp-XXXXXX", path);
        if ((fd = g_mkstemp(tmp)) < 0 || !(f = fdopen(fd, "wb"))) err = strerror(errno);
        else fd = -1;
    }
    static const char zeros[8] = {0};
    if (ok && !err) {
        bool w = fwrite(&h, sizeof(h), 1, f) == 1 && fwrite(tab, sizeof(tab), 1, f) == 1;
        for (int i = 0; i < N_SECT && w; i++) {
            size_t n = (size_t)(pt[i].count * pt[i].elem);
            if (n) w = fwrite(pt[i].data, 1, n, f) == n;
            if (w && n % 8) w = fwrite(zeros, 1, 8 - n % 8, f) == 8 - n % 8;
        }
        if (!w) err = strerror(errno);
        /* the file's mode as the umask allows (mkstemp makes it 0600) */
        mode_t um = umask(0);
        umask(um);
        if (fchmod(fileno(f), 0644 & ~um) != 0 && !err) err = strerror(errno);
        if (fclose(f) != 0 && !err) err = strerror(errno);
        f = NULL;
        if (!err && rename(tmp, path) != 0) err = strerror(errno);
        if (err) g_unlink(tmp);
    }
    if (fd >= 0) close(fd);
    if (!ok) cc__warn(ctx, "Unable to write the prepared region '%s': out of memory", path);
    else if (err) cc__warn(ctx, "Unable to write the prepared region '%s': %s", path, err);
    else if (bytes) *bytes = (size_t)off;
    for (int i = 0; i < N_SECT; i++) free(pt[i].owned);
    g_free(dir);
    g_free(tmp);
    return ok && !err;
}
