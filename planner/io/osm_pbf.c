/*
 * osm_pbf.c - OSM .pbf roads at disk speed: the file's blocks are inflated (zlib) and decoded in
 * parallel, only the highway ways and the nodes they use are kept. Blocks are inflated with
 * libdeflate (Debian libdeflate-dev) when the build finds it, else with zlib.
 *
 * The road records are the ones GDAL's OSM driver gives with carecircle's osmconf (issue 19): the
 * same ways in file order (closed ways tagged as areas go to GDAL's polygon layer, not to the
 * lines), the same vertices (node coordinates rounded to 1e-7 degree as GDAL stores them, nodes
 * missing from the file left out, ways with fewer than two nodes found dropped) and the same tags
 * (highway, oneway, surface, maxspeed, junction; a repeated key keeps its last value). The
 * protobuf wire format is decoded here directly (varints and length-delimited fields, every length
 * checked against its enclosing message), so that no per-message allocation slows the decoder.
 * A road window (use_bbox: the tiles of a travel-time raster) keeps the ways GDAL's spatial filter
 * keeps (OGRLayer::FilterGeometry's tests, GEOS for the undecided ones). GDAL stays the reader of
 * every other format, of /vsi paths, of reads that need OGR options (layer, attribute filter, other
 * class or speed fields) and of files using features this reader does not know;
 * CARECIRCLE_OSM_READER=gdal forces it for .pbf files too.
 */
#include <errno.h>
#include <fcntl.h>
#include <math.h>
#include <pthread.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

#ifdef CC_HAVE_LIBDEFLATE
#include <libdeflate.h>
#else
#include <zlib.h>
#endif

#include "io_internal.h"
#include "osm_pbf_internal.h"

enum { PBF_OK = 0, PBF_CORRUPT = 1, PBF_NOMEM = 2, PBF_UNSUPPORTED = 3 };

#define PBF_MAX_HEADER (64u * 1024u)         /* BlobHeader limit of the format */
#define PBF_MAX_BLOB (32u * 1024u * 1024u)   /* Blob limit of the format (raw and compressed) */

/* ---- protobuf wire format ---------------------------------------------------------------- */

typedef struct pb {
    const uint8_t *p, *end;
} pb;

static int pb_varint(pb *r, uint64_t *v)
{
    uint64_t x = 0;
    for (int shift = 0; shift < 64; shift += 7) {
        if (r->p >= r->end) return -1;
        uint8_t b = *r->p++;
        x |= (uint64_t)(b & 0x7f) << shift;
        if (!(b & 0x80)) {
            *v = x;
            return 0;
        }
    }
    return -1;
}

static int64_t zigzag(uint64_t v)
{
    return (int64_t)(v >> 1) ^ -(int64_t)(v & 1);
}

/* Next field key: 1 at the end of the message, -1 when malformed. */
static int pb_key(pb *r, uint32_t *field, uint32_t *wt)
{
    uint64_t k;
    if (r->p >= r->end) return 1;
    if (pb_varint(r, &k) || (k >> 3) == 0 || (k >> 3) > 0x1fffffff) return -1;
    *field = (uint32_t)(k >> 3);
    *wt = (uint32_t)(k & 7);
    return 0;
}

static int pb_bytes(pb *r, pb *sub)
{
    uint64_t n;
    if (pb_varint(r, &n) || n > (uint64_t)(r->end - r->p)) return -1;
    sub->p = r->p;
    sub->end = r->p + n;
    r->p += n;
    return 0;
}

static int pb_skip(pb *r, uint32_t wt)
{
    uint64_t v;
    pb sub;
    switch (wt) {
    case 0: return pb_varint(r, &v);
    case 1:
        if (r->end - r->p < 8) return -1;
        r->p += 8;
        return 0;
    case 2: return pb_bytes(r, &sub);
    case 5:
        if (r->end - r->p < 4) return -1;
        r->p += 4;
        return 0;
    default: return -1;
    }
}

/* A field of a message to keep: its number and where its value goes (a length-delimited field's
 * bytes in sub, a varint in v; the other pointer NULL). The last occurrence wins; a field of
 * another wire type, or not listed, is skipped. */
typedef struct pb_field {
    uint32_t num;
    pb *sub;
    uint64_t *v;
} pb_field;

/* Reads message m into the listed fields: 0, or -1 when malformed. */
static int pb_fields(pb m, const pb_field *fs, size_t n)
{
    uint32_t f, wt;
    int k;
    while ((k = pb_key(&m, &f, &wt)) == 0) {
        const pb_field *x = NULL;
        for (size_t i = 0; i < n && !x; i++)
            if (fs[i].num == f && wt == (fs[i].sub ? 2u : 0u)) x = &fs[i];
        if (x ? (x->sub ? pb_bytes(&m, x->sub) : pb_varint(&m, x->v)) : pb_skip(&m, wt)) return -1;
    }
    return k < 0 ? -1 : 0;
}

/* Count of varints in a packed field (each ends in a byte without the high bit). */
static size_t pb_count_varints(pb r)
{
    size_t n = 0;
    for (const uint8_t *q = r.p; q < r.end; q++) n += !(*q & 0x80);
    return n;
}

/* ---- blocks ------------------------------------------------------------------------------ */

enum { TAG_HIGHWAY, TAG_ONEWAY, TAG_SURFACE, TAG_MAXSPEED, TAG_JUNCTION, N_TAGS };
#define NO_TAG UINT32_MAX

typedef struct pbf_way {
    int64_t id;
    size_t ref0;            /* first node reference in the block's refs */
    uint32_t nref;
    uint32_t tag[N_TAGS];   /* offsets of NUL-terminated values in the block's pool, NO_TAG when absent */
} pbf_way;

typedef struct pbf_block {
    uint64_t off;           /* the Blob message in the file */
    uint32_t len;
    uint8_t *raw;           /* inflated PrimitiveBlock kept for the node pass (NULL: decode again) */
    size_t raw_len;
    bool has_nodes, raw_owned;
    pbf_way *ways;
    size_t n_ways, cap_ways;
    int64_t *refs;
    size_t n_refs, cap_refs;
    char *pool;
    size_t n_pool, cap_pool;
    int err;
    char msg[120];
} pbf_block;

/* Kinds of strings of a block's string table, for the tag tests of a way. */
enum { S_OTHER, S_HIGHWAY, S_ONEWAY, S_SURFACE, S_MAXSPEED, S_JUNCTION, S_AREA, S_POLYKEY, S_YES, S_NO, S_PLATFORM,
       S_PUBLIC_TRANSPORT };

typedef struct str {
    const uint8_t *s;
    uint32_t len;           /* up to the first NUL, as GDAL sees the string */
    uint8_t kind;
} str;

typedef struct block_view {
    str *strs;
    size_t n_strs;
    pb *groups;
    size_t n_groups;
    int64_t lat_off, lon_off;
    int32_t gran;
} block_view;

static bool eq(const str *s, const char *lit)
{
    size_t n = strlen(lit);
    return s->len == n && memcmp(s->s, lit, n) == 0;
}

static uint8_t classify(const str *s)
{
    /* carecircle's osmconf closed_ways_are_polygons (keys; highway=platform and
     * public_transport=platform are tested as key=value) */
    static const char *const polykeys[] = {"aeroway", "amenity", "boundary", "building", "craft", "geological",
                                           "historic", "landuse", "leisure", "military", "natural", "office",
                                           "place", "shop", "sport", "tourism"};
    if (eq(s, "highway")) return S_HIGHWAY;
    if (eq(s, "oneway")) return S_ONEWAY;
    if (eq(s, "surface")) return S_SURFACE;
    if (eq(s, "maxspeed")) return S_MAXSPEED;
    if (eq(s, "junction")) return S_JUNCTION;
    if (eq(s, "area")) return S_AREA;
    if (eq(s, "yes")) return S_YES;
    if (eq(s, "no")) return S_NO;
    if (eq(s, "platform")) return S_PLATFORM;
    if (eq(s, "public_transport")) return S_PUBLIC_TRANSPORT;
    for (size_t i = 0; i < sizeof(polykeys) / sizeof(polykeys[0]); i++)
        if (eq(s, polykeys[i])) return S_POLYKEY;
    return S_OTHER;
}

static void block_fail(pbf_block *b, int err, const char *what)
{
    if (b->err) return;
    b->err = err;
    snprintf(b->msg, sizeof(b->msg), "%s", what);
}

static void view_free(block_view *v)
{
    free(v->strs);
    free(v->groups);
    memset(v, 0, sizeof(*v));
}

/* Top level of a PrimitiveBlock: string table, groups, granularity and offsets. */
static int view_parse(const uint8_t *p, size_t n, block_view *v, pbf_block *b)
{
    pb r = {p, p + n}, sub;
    uint32_t f, wt;
    int k;
    size_t cap_groups = 0;
    memset(v, 0, sizeof(*v));
    v->gran = 100;
    while ((k = pb_key(&r, &f, &wt)) == 0) {
        uint64_t x;
        if (f == 1 && wt == 2) { /* StringTable */
            if (pb_bytes(&r, &sub)) goto corrupt;
            if (v->strs) goto corrupt; /* one string table a block */
            size_t ns = 0;
            pb t = sub;
            uint32_t tf, twt;
            while ((k = pb_key(&t, &tf, &twt)) == 0) {
                if (pb_skip(&t, twt)) goto corrupt;
                ns++;
            }
            if (k < 0) goto corrupt;
            if (!(v->strs = cc__calloc_array(ns ? ns : 1, sizeof(*v->strs)))) goto nomem;
            t = sub;
            while (pb_key(&t, &tf, &twt) == 0) {
                pb s;
                if (tf == 1 && twt == 2) {
                    if (pb_bytes(&t, &s)) goto corrupt;
                    str *e = &v->strs[v->n_strs++];
                    e->s = s.p;
                    const uint8_t *z = memchr(s.p, 0, (size_t)(s.end - s.p));
                    e->len = (uint32_t)((z ? z : s.end) - s.p);
                    e->kind = classify(e);
                } else if (pb_skip(&t, twt))
                    goto corrupt;
            }
        } else if (f == 2 && wt == 2) { /* PrimitiveGroup */
            if (pb_bytes(&r, &sub)) goto corrupt;
            if (v->n_groups == cap_groups) {
                size_t nc = cap_groups ? 2 * cap_groups : 4;
                pb *g = cc__realloc_array(v->groups, nc, sizeof(*g));
                if (!g) goto nomem;
                v->groups = g;
                cap_groups = nc;
            }
            v->groups[v->n_groups++] = sub;
        } else if (f == 17 && wt == 0) {
            if (pb_varint(&r, &x)) goto corrupt;
            v->gran = (int32_t)x;
        } else if (f == 19 && wt == 0) {
            if (pb_varint(&r, &x)) goto corrupt;
            v->lat_off = (int64_t)x;
        } else if (f == 20 && wt == 0) {
            if (pb_varint(&r, &x)) goto corrupt;
            v->lon_off = (int64_t)x;
        } else if (pb_skip(&r, wt))
            goto corrupt;
    }
    if (k < 0) goto corrupt;
    return 0;
corrupt:
    view_free(v);
    block_fail(b, PBF_CORRUPT, "malformed PrimitiveBlock");
    return -1;
nomem:
    view_free(v);
    block_fail(b, PBF_NOMEM, "out of memory");
    return -1;
}

/* Copy string @p s (NUL-terminated) into the block's pool; its offset or NO_TAG when out of memory. */
static uint32_t pool_add(pbf_block *b, const str *s)
{
    size_t need = b->n_pool + s->len + 1;
    if (need > UINT32_MAX - 1) return NO_TAG;
    if (need > b->cap_pool) {
        size_t nc = b->cap_pool ? 2 * b->cap_pool : 4096;
        while (nc < need) nc *= 2;
        char *q = realloc(b->pool, nc);
        if (!q) return NO_TAG;
        b->pool = q;
        b->cap_pool = nc;
    }
    uint32_t off = (uint32_t)b->n_pool;
    memcpy(b->pool + off, s->s, s->len);
    b->pool[off + s->len] = '\0';
    b->n_pool = need;
    return off;
}

/* One Way message: kept when it is a line for GDAL (not a closed way tagged as an area) with a
 * highway tag. */
static int way_parse(pb w, const block_view *v, pbf_block *b)
{
    uint64_t uid = 0;
    pb keys = {0}, vals = {0}, refs = {0};
    const pb_field fs[] = {{1, NULL, &uid}, {2, &keys, NULL}, {3, &vals, NULL}, {8, &refs, NULL}};
    if (pb_fields(w, fs, sizeof(fs) / sizeof(fs[0]))) return -1;
    int64_t id = (int64_t)uid;
    size_t nk = keys.p ? pb_count_varints(keys) : 0, nv = vals.p ? pb_count_varints(vals) : 0;
    if (nk != nv) return -1;
    size_t nr = refs.p ? pb_count_varints(refs) : 0;
    if (nr < 2) return 0; /* GDAL discards ways of fewer than two nodes */
    if (nr > UINT32_MAX) return -1;
    /* tags: the values kept, and whether a closed way is an area */
    const str *tag[N_TAGS] = {0};
    bool area = false, area_decided = false;
    pb kr = keys, vr = vals;
    for (size_t i = 0; i < nk; i++) {
        uint64_t ki, vi;
        if (pb_varint(&kr, &ki) || pb_varint(&vr, &vi) || ki >= v->n_strs || vi >= v->n_strs) return -1;
        const str *ks = &v->strs[ki], *vs = &v->strs[vi];
        switch (ks->kind) {
        case S_HIGHWAY: tag[TAG_HIGHWAY] = vs; break;
        case S_ONEWAY: tag[TAG_ONEWAY] = vs; break;
        case S_SURFACE: tag[TAG_SURFACE] = vs; break;
        case S_MAXSPEED: tag[TAG_MAXSPEED] = vs; break;
        case S_JUNCTION: tag[TAG_JUNCTION] = vs; break;
        default: break;
        }
        /* GDAL's IsClosedWayTaggedAsPolygon: area=yes/no decides at once; before that, a key of
         * closed_ways_are_polygons (or highway=platform, public_transport=platform) makes an area */
        if (area_decided) continue;
        if (ks->kind == S_AREA && (vs->kind == S_YES || vs->kind == S_NO)) {
            area = vs->kind == S_YES;
            area_decided = true;
            continue;
        }
        if (area) continue;
        if (ks->kind == S_POLYKEY ||
            ((ks->kind == S_HIGHWAY || ks->kind == S_PUBLIC_TRANSPORT) && vs->kind == S_PLATFORM))
            area = true;
    }
    if (!tag[TAG_HIGHWAY]) return 0;
    /* references (delta-coded) */
    if (b->n_refs + nr > b->cap_refs) {
        size_t nc = b->cap_refs ? 2 * b->cap_refs : 4096;
        while (nc < b->n_refs + nr) nc *= 2;
        int64_t *q = cc__realloc_array(b->refs, nc, sizeof(*q));
        if (!q) return -2;
        b->refs = q;
        b->cap_refs = nc;
    }
    int64_t *out = b->refs + b->n_refs, id_acc = 0;
    pb rr = refs;
    for (size_t i = 0; i < nr; i++) {
        uint64_t x;
        if (pb_varint(&rr, &x)) return -1;
        id_acc = (int64_t)((uint64_t)id_acc + (uint64_t)zigzag(x));
        out[i] = id_acc;
    }
    if (out[0] == out[nr - 1] && area) return 0; /* GDAL's polygon layer, not a line */
    if (b->n_ways == b->cap_ways) {
        size_t nc = b->cap_ways ? 2 * b->cap_ways : 256;
        pbf_way *q = cc__realloc_array(b->ways, nc, sizeof(*q));
        if (!q) return -2;
        b->ways = q;
        b->cap_ways = nc;
    }
    pbf_way *pw = &b->ways[b->n_ways];
    pw->id = id;
    pw->ref0 = b->n_refs;
    pw->nref = (uint32_t)nr;
    for (int t = 0; t < N_TAGS; t++) {
        pw->tag[t] = NO_TAG;
        if (tag[t] && (pw->tag[t] = pool_add(b, tag[t])) == NO_TAG) return -2;
    }
    b->n_refs += nr;
    b->n_ways++;
    return 0;
}

/* Ways of a block (pass 1); notes whether it also holds nodes. */
static void block_ways(const uint8_t *p, size_t n, pbf_block *b)
{
    block_view v;
    if (view_parse(p, n, &v, b)) return;
    for (size_t g = 0; g < v.n_groups && !b->err; g++) {
        pb gr = v.groups[g], sub;
        uint32_t f, wt;
        int k = 0; /* read after the loop even when an earlier group's error stops it at once */
        while (!b->err && (k = pb_key(&gr, &f, &wt)) == 0) {
            if (wt == 2 && (f == 1 || f == 2)) {
                if (pb_bytes(&gr, &sub)) k = -1;
                b->has_nodes = true;
            } else if (f == 3 && wt == 2) {
                int e = pb_bytes(&gr, &sub) ? -1 : way_parse(sub, &v, b);
                if (e == -2) block_fail(b, PBF_NOMEM, "out of memory");
                if (e == -1) k = -1;
            } else if (pb_skip(&gr, wt))
                k = -1;
            if (k < 0) block_fail(b, PBF_CORRUPT, "malformed Way or PrimitiveGroup");
        }
        if (k < 0) block_fail(b, PBF_CORRUPT, "malformed PrimitiveGroup");
    }
    view_free(&v);
}

/* ---- nodes ------------------------------------------------------------------------------- */

typedef struct node_table {
    int64_t *id;            /* sorted, distinct: every node a kept way refers to */
    int32_t *lon, *lat;     /* GDAL's integer coordinates (1e-7 degree) */
    uint8_t *found;
    size_t n;
} node_table;

static ptrdiff_t node_find(const node_table *t, int64_t id)
{
    size_t lo = 0, hi = t->n;
    while (lo < hi) {
        size_t mid = lo + (hi - lo) / 2;
        if (t->id[mid] < id)
            lo = mid + 1;
        else
            hi = mid;
    }
    return lo < t->n && t->id[lo] == id ? (ptrdiff_t)lo : -1;
}

/* Position of the first id >= @p id, searched from @p *hint: galloping forwards when the ids come
 * in ascending order (as in sorted files), binary search over everything otherwise. */
static size_t node_lower(const node_table *t, int64_t id, size_t *hint)
{
    size_t lo = 0, hi = t->n, h = *hint;
    if (h < t->n && t->id[h] <= id) {
        size_t step = 1;
        lo = h;
        while (lo + step < t->n && t->id[lo + step] <= id) {
            lo += step;
            step *= 2;
        }
        hi = lo + step < t->n ? lo + step : t->n;
    } else if (h > 0 && h <= t->n && t->id[h - 1] < id) {
        lo = h;
        hi = h;
    }
    while (lo < hi) {
        size_t mid = lo + (hi - lo) / 2;
        if (t->id[mid] < id)
            lo = mid + 1;
        else
            hi = mid;
    }
    *hint = lo;
    return lo;
}

/* GDAL: dfLat = 1e-9 * (offset + granularity * lat), an error outside the globe, then stored as
 * (int)floor(deg * 1e7 + 0.5). */
static int node_put(const node_table *t, const block_view *v, int64_t id, int64_t lat, int64_t lon, size_t *hint)
{
    double dlat = .000000001 * ((double)v->lat_off + ((double)v->gran * (double)lat));
    double dlon = .000000001 * ((double)v->lon_off + ((double)v->gran * (double)lon));
    if (!(dlon >= -180 && dlon <= 180 && dlat >= -90 && dlat <= 90)) return -1;
    size_t i = node_lower(t, id, hint);
    if (i < t->n && t->id[i] == id) {
        t->lon[i] = (int32_t)floor(dlon * 1e7 + 0.5);
        t->lat[i] = (int32_t)floor(dlat * 1e7 + 0.5);
        t->found[i] = 1;
    }
    return 0;
}

static int dense_parse(pb d, const block_view *v, const node_table *t)
{
    size_t hint = 0;
    pb ids = {0}, lats = {0}, lons = {0};
    const pb_field fs[] = {{1, &ids, NULL}, {8, &lats, NULL}, {9, &lons, NULL}};
    if (pb_fields(d, fs, sizeof(fs) / sizeof(fs[0]))) return -1;
    int64_t id = 0, lat = 0, lon = 0;
    while (ids.p && ids.p < ids.end) {
        uint64_t a, b, c;
        if (pb_varint(&ids, &a) || !lats.p || pb_varint(&lats, &b) || !lons.p || pb_varint(&lons, &c)) return -1;
        id = (int64_t)((uint64_t)id + (uint64_t)zigzag(a));
        lat = (int64_t)((uint64_t)lat + (uint64_t)zigzag(b));
        lon = (int64_t)((uint64_t)lon + (uint64_t)zigzag(c));
        if (node_put(t, v, id, lat, lon, &hint)) return -1;
    }
    return 0;
}

static int node_parse(pb nd, const block_view *v, const node_table *t)
{
    uint64_t id = 0, lat = 0, lon = 0;
    size_t hint = 0;
    const pb_field fs[] = {{1, NULL, &id}, {8, NULL, &lat}, {9, NULL, &lon}};
    return pb_fields(nd, fs, sizeof(fs) / sizeof(fs[0])) || node_put(t, v, zigzag(id), zigzag(lat), zigzag(lon), &hint) ? -1 : 0;
}

static void block_nodes(const uint8_t *p, size_t n, pbf_block *b, const node_table *t)
{
    block_view v;
    if (view_parse(p, n, &v, b)) return;
    for (size_t g = 0; g < v.n_groups && !b->err; g++) {
        pb gr = v.groups[g], sub;
        uint32_t f, wt;
        int k = 0; /* read after the loop even when an earlier group's error stops it at once */
        while (!b->err && (k = pb_key(&gr, &f, &wt)) == 0) {
            int e = 0;
            if (wt == 2 && (f == 1 || f == 2))
                e = pb_bytes(&gr, &sub) ? -1 : f == 1 ? node_parse(sub, &v, t) : dense_parse(sub, &v, t);
            else if (pb_skip(&gr, wt))
                e = -1;
            if (e) block_fail(b, PBF_CORRUPT, "malformed node or coordinates outside the globe");
        }
        if (k < 0) block_fail(b, PBF_CORRUPT, "malformed PrimitiveGroup");
    }
    view_free(&v);
}

/* ---- blobs ------------------------------------------------------------------------------- */

/* The PrimitiveBlock of a Blob: raw (pointing into the file) or inflated into a new buffer. */
static int blob_data(const uint8_t *buf, pbf_block *b, uint8_t **data, size_t *n, bool *owned)
{
    pb r = {buf + b->off, buf + b->off + b->len}, raw = {0}, z = {0};
    uint32_t f, wt;
    int k;
    uint64_t raw_size = 0;
    bool other = false;
    *data = NULL;
    *owned = false;
    while ((k = pb_key(&r, &f, &wt)) == 0) {
        if (f == 1 && wt == 2) {
            if (pb_bytes(&r, &raw)) k = -1;
        } else if (f == 2 && wt == 0) {
            if (pb_varint(&r, &raw_size)) k = -1;
        } else if (f == 3 && wt == 2) {
            if (pb_bytes(&r, &z)) k = -1;
        } else if (f >= 4 && f <= 7) {
            other = true;
            if (pb_skip(&r, wt)) k = -1;
        } else if (pb_skip(&r, wt))
            k = -1;
        if (k < 0) break;
    }
    if (k < 0) {
        block_fail(b, PBF_CORRUPT, "malformed Blob");
        return -1;
    }
    if (raw.p) {
        *data = (uint8_t *)raw.p;
        *n = (size_t)(raw.end - raw.p);
        return 0;
    }
    if (!z.p) {
        block_fail(b, other ? PBF_UNSUPPORTED : PBF_CORRUPT, other ? "compression other than zlib" : "Blob without data");
        return -1;
    }
    if (raw_size == 0 || raw_size > PBF_MAX_BLOB) {
        block_fail(b, PBF_CORRUPT, "Blob raw_size missing or above 32 MiB");
        return -1;
    }
    uint8_t *out = malloc((size_t)raw_size);
    if (!out) {
        block_fail(b, PBF_NOMEM, "out of memory");
        return -1;
    }
#ifdef CC_HAVE_LIBDEFLATE
    /* libdeflate: the same zlib stream and Adler-32 check as zlib's uncompress(), about twice as fast */
    size_t got = 0;
    struct libdeflate_decompressor *dd = libdeflate_alloc_decompressor();
    if (!dd) {
        free(out);
        block_fail(b, PBF_NOMEM, "out of memory");
        return -1;
    }
    bool ok = libdeflate_zlib_decompress(dd, z.p, (size_t)(z.end - z.p), out, (size_t)raw_size, &got) == LIBDEFLATE_SUCCESS;
    libdeflate_free_decompressor(dd);
#else
    uLongf got = (uLongf)raw_size;
    bool ok = uncompress(out, &got, z.p, (uLong)(z.end - z.p)) == Z_OK;
#endif
    if (!ok || got != raw_size) {
        free(out);
        block_fail(b, PBF_CORRUPT, "zlib data that does not inflate to raw_size");
        return -1;
    }
    *data = out;
    *n = (size_t)got;
    *owned = true;
    return 0;
}

/* The blobs of the file, in order; the OSMHeader checked for required features. */
static int scan_blobs(const uint8_t *buf, size_t len, pbf_block **blocks, size_t *n_blocks, char *msg, size_t msz,
                      bool *recognised)
{
    size_t pos = 0, n = 0, cap = 0;
    pbf_block *bl = NULL;
    bool header_seen = false;
    int err = PBF_OK;
    while (pos < len && !err) {
        if (len - pos < 4) {
            snprintf(msg, msz, "truncated BlobHeader length at byte %zu", pos);
            err = PBF_CORRUPT;
            break;
        }
        uint32_t hl = (uint32_t)buf[pos] << 24 | (uint32_t)buf[pos + 1] << 16 | (uint32_t)buf[pos + 2] << 8 | buf[pos + 3];
        pos += 4;
        if (hl == 0 || hl > PBF_MAX_HEADER || hl > len - pos) {
            snprintf(msg, msz, "BlobHeader of %u bytes at byte %zu", hl, pos - 4);
            err = PBF_CORRUPT;
            break;
        }
        pb h = {buf + pos, buf + pos + hl}, type = {0};
        uint32_t f, wt;
        uint64_t ds = UINT64_MAX;
        const pb_field fs[] = {{1, &type, NULL}, {3, NULL, &ds}};
        int k = pb_fields(h, fs, sizeof(fs) / sizeof(fs[0])) ? -1 : 1;
        pos += hl;
        if (k > 0 && type.p && ((type.end - type.p == 9 && !memcmp(type.p, "OSMHeader", 9)) ||
                                 (type.end - type.p == 7 && !memcmp(type.p, "OSMData", 7))))
            *recognised = true;
        if (k < 0 || !type.p || ds > PBF_MAX_BLOB || ds > len - pos) {
            snprintf(msg, msz, "malformed BlobHeader at byte %zu", pos - hl - 4);
            err = PBF_CORRUPT;
            break;
        }
        size_t tl = (size_t)(type.end - type.p);
        bool is_header = tl == 9 && memcmp(type.p, "OSMHeader", 9) == 0;
        bool is_data = tl == 7 && memcmp(type.p, "OSMData", 7) == 0;
        if (is_header || is_data) {
            if (n == cap) {
                size_t nc = cap ? 2 * cap : 64;
                pbf_block *q = cc__realloc_array(bl, nc, sizeof(*q));
                if (!q) {
                    err = PBF_NOMEM;
                    snprintf(msg, msz, "out of memory");
                    break;
                }
                bl = q;
                cap = nc;
            }
            memset(&bl[n], 0, sizeof(bl[n]));
            bl[n].off = pos;
            bl[n].len = (uint32_t)ds;
            if (is_header) {
                /* HeaderBlock: required features (4) must all be known */
                uint8_t *data;
                size_t dn;
                bool owned;
                if (blob_data(buf, &bl[n], &data, &dn, &owned)) {
                    err = bl[n].err;
                    snprintf(msg, msz, "OSMHeader: %s", bl[n].msg);
                    break;
                }
                pb hb = {data, data + dn}, s;
                while (!err && (k = pb_key(&hb, &f, &wt)) == 0) {
                    if (f == 4 && wt == 2) {
                        if (pb_bytes(&hb, &s)) {
                            k = -1;
                            break;
                        }
                        size_t sl = (size_t)(s.end - s.p);
                        if (!((sl == 14 && !memcmp(s.p, "OsmSchema-V0.6", 14)) || (sl == 10 && !memcmp(s.p, "DenseNodes", 10)))) {
                            snprintf(msg, msz, "required feature '%.*s'", (int)(sl > 60 ? 60 : sl), (const char *)s.p);
                            err = PBF_UNSUPPORTED;
                        }
                    } else if (pb_skip(&hb, wt)) {
                        k = -1;
                        break;
                    }
                }
                if (owned) free(data);
                if (!err && k < 0) {
                    snprintf(msg, msz, "malformed OSMHeader");
                    err = PBF_CORRUPT;
                }
                header_seen = true;
            } else {
                n++;
            }
        }
        pos += (size_t)ds;
    }
    if (!err && !header_seen) {
        snprintf(msg, msz, "no OSMHeader block");
        err = PBF_CORRUPT;
    }
    if (err) {
        free(bl);
        return err;
    }
    *blocks = bl;
    *n_blocks = n;
    return PBF_OK;
}

static void blocks_free(pbf_block *bl, size_t n)
{
    for (size_t i = 0; bl && i < n; i++) {
        if (bl[i].raw_owned) free(bl[i].raw);
        free(bl[i].ways);
        free(bl[i].refs);
        free(bl[i].pool);
    }
    free(bl);
}

/* Sort @p a (n ids) with LSD radix sort on bytes, using @p tmp (n ids); passes whose byte is the
 * same in every id are skipped (ids of one extract share their high bytes). */
static void sort_ids(int64_t *a, int64_t *tmp, size_t n)
{
    uint64_t all_or = 0, all_and = ~(uint64_t)0;
    for (size_t i = 0; i < n; i++) {
        uint64_t u = (uint64_t)a[i] ^ ((uint64_t)1 << 63);
        all_or |= u;
        all_and &= u;
    }
    int64_t *src = a, *dst = tmp;
    for (int shift = 0; shift < 64; shift += 8) {
        if ((((all_or ^ all_and) >> shift) & 0xff) == 0) continue;
        size_t count[257] = {0};
        for (size_t i = 0; i < n; i++) count[((((uint64_t)src[i] ^ ((uint64_t)1 << 63)) >> shift) & 0xff) + 1]++;
        for (int d = 0; d < 256; d++) count[d + 1] += count[d];
        for (size_t i = 0; i < n; i++) dst[count[(((uint64_t)src[i] ^ ((uint64_t)1 << 63)) >> shift) & 0xff]++] = src[i];
        int64_t *x = src;
        src = dst;
        dst = x;
    }
    if (src != a) memcpy(a, src, n * sizeof(*a));
}

/* ---- road records ------------------------------------------------------------------------ */

/* Grow array p to cap elements; on failure p is kept (and freed by its owner). */
#define GROW(p, cap) grow((void **)&(p), (cap), sizeof(*(p)))

static bool grow(void **p, size_t cap, size_t size)
{
    void *q = cc__realloc_array(*p, cap, size);
    if (q) *p = q;
    return q != NULL;
}

static int reserve(cc_roads *r, size_t ways, size_t vertices)
{
    if (ways > r->cap_ways) {
        if (!GROW(r->way_first, ways + 1) || !GROW(r->cls, ways) || !GROW(r->surface, ways) ||
            !GROW(r->maxspeed_kmh, ways) || !GROW(r->speed_kmh, ways) || !GROW(r->oneway, ways) ||
            !GROW(r->roundabout, ways) || !GROW(r->way_id, ways))
            return -1;
        r->cap_ways = ways;
    }
    if (vertices > r->cap_vertices) {
        if (!GROW(r->x, vertices) || !GROW(r->y, vertices)) return -1;
        r->cap_vertices = vertices;
    }
    return 0;
}

typedef struct counts {
    size_t n_features, skip_no_class, skip_short;
    double ext[4];
} counts;

/* A road window as GDAL's OGR_L_SetSpatialFilterRect applies it (OGRLayer::FilterGeometry): ways
 * whose envelope misses the rectangle are out; inside when the envelope is within it or a vertex
 * is in it; otherwise GEOS decides (OGR_G_Intersects with the rectangle). */
typedef struct window {
    bool on;
    double x0, y0, x1, y1;
    OGRGeometryH rect;
} window;

static bool window_keeps(const window *win, const double *x, const double *y, size_t n)
{
    if (!win->on) return true;
    double ex0 = INFINITY, ey0 = INFINITY, ex1 = -INFINITY, ey1 = -INFINITY;
    for (size_t i = 0; i < n; i++) {
        if (x[i] < ex0) ex0 = x[i];
        if (x[i] > ex1) ex1 = x[i];
        if (y[i] < ey0) ey0 = y[i];
        if (y[i] > ey1) ey1 = y[i];
    }
    if (ex1 < win->x0 || ey1 < win->y0 || win->x1 < ex0 || win->y1 < ey0) return false;
    if (ex0 >= win->x0 && ey0 >= win->y0 && ex1 <= win->x1 && ey1 <= win->y1) return true;
    for (size_t i = 0; i < n; i++)
        if (x[i] >= win->x0 && x[i] <= win->x1 && y[i] >= win->y0 && y[i] <= win->y1) return true;
    OGRGeometryH ls = OGR_G_CreateGeometry(wkbLineString);
    if (!ls) return true;
    OGR_G_SetPoints(ls, (int)n, x, sizeof(double), y, sizeof(double), NULL, 0);
    bool hit = OGR_G_Intersects(ls, win->rect) != 0;
    OGR_G_DestroyGeometry(ls);
    return hit;
}

/* The lines of GDAL's "lines" layer with a highway, as add_line of roads.c makes them. */
/* Every feature of GDAL's "lines" layer with a highway (all ways whose nodes were found at least
 * twice), in file order and lon/lat: the parsed file, before any window. kind[w] tells what
 * roads.c's add_line would do with it. */
enum { FEAT_ROAD = 0, FEAT_NO_CLASS = 1, FEAT_SHORT = 2 };

typedef struct parsed {
    cc_roads *r;            /* every feature as a way (no class: cls CC__NO_STRING; short: one vertex) */
    uint8_t *kind;          /* FEAT_* per way */
    cc__osm_pbf_stats stats;
} parsed;

static void parsed_free(parsed *p)
{
    if (!p) return;
    cc_roads_destroy(p->r);
    free(p->kind);
    free(p);
}

static cc_status assemble_all(cc_ctx *ctx, const pbf_block *bl, size_t nb, const node_table *t, parsed *p)
{
    cc_roads *r = p->r;
    size_t n_ways = 0, n_vert = 0;
    for (size_t i = 0; i < nb; i++) {
        n_ways += bl[i].n_ways;
        n_vert += bl[i].n_refs;
    }
    if (reserve(r, n_ways ? n_ways : 1, n_vert ? n_vert : 2) || !(p->kind = malloc(n_ways ? n_ways : 1)))
        return cc__fail(ctx, CC_ERR_NOMEM, "Out of memory reading roads");
    r->way_first[0] = 0;
    for (size_t i = 0; i < nb; i++) {
        const pbf_block *b = &bl[i];
        for (size_t j = 0; j < b->n_ways; j++) {
            const pbf_way *w = &b->ways[j];
            size_t start = r->n_vertices, k = start, found = 0;
            for (uint32_t q = 0; q < w->nref; q++) {
                ptrdiff_t ix = node_find(t, b->refs[w->ref0 + q]);
                if (ix < 0 || !t->found[ix]) continue;
                found++;
                double x = t->lon[ix] / 1e7, y = t->lat[ix] / 1e7;
                if (k > start && r->x[k - 1] == x && r->y[k - 1] == y) continue; /* consecutive duplicate */
                r->x[k] = x;
                r->y[k] = y;
                k++;
            }
            if (found < 2) continue; /* GDAL discards the way: not a feature */
            size_t wi = r->n_ways;
            const char *hw = b->pool + w->tag[TAG_HIGHWAY];
            p->kind[wi] = !*hw ? FEAT_NO_CLASS : k - start < 2 ? FEAT_SHORT : FEAT_ROAD;
            r->cls[wi] = CC__NO_STRING;
            if (*hw && (r->cls[wi] = cc__strtab_intern(&r->strings, hw)) == CC__NO_STRING)
                return cc__fail(ctx, CC_ERR_NOMEM, "Out of memory reading roads");
            r->way_first[wi] = start;
            r->n_vertices = k;
            r->way_first[wi + 1] = k;
            r->speed_kmh[wi] = -1.0f;
            r->surface[wi] = CC__NO_STRING;
            r->maxspeed_kmh[wi] = 0.0f;
            r->oneway[wi] = CC__ONEWAY_UNSET;
            r->roundabout[wi] = 0;
            if (w->tag[TAG_SURFACE] != NO_TAG && b->pool[w->tag[TAG_SURFACE]] &&
                (r->surface[wi] = cc__strtab_intern(&r->strings, b->pool + w->tag[TAG_SURFACE])) == CC__NO_STRING)
                return cc__fail(ctx, CC_ERR_NOMEM, "Out of memory reading roads");
            if (w->tag[TAG_MAXSPEED] != NO_TAG) r->maxspeed_kmh[wi] = (float)cc__parse_maxspeed(b->pool + w->tag[TAG_MAXSPEED]);
            if (w->tag[TAG_ONEWAY] != NO_TAG) r->oneway[wi] = cc__parse_oneway(b->pool + w->tag[TAG_ONEWAY]);
            if (w->tag[TAG_JUNCTION] != NO_TAG) r->roundabout[wi] = strcmp(b->pool + w->tag[TAG_JUNCTION], "roundabout") == 0;
            r->way_id[wi] = w->id;
            r->n_ways++;
        }
    }
    return CC_OK;
}

/* The road records of the features in window @p win (all without one), as roads.c makes them:
 * counted as features, then skipped without class or as single-vertex, else copied; strings
 * interned in the order roads.c interns them (the class before the single-vertex test). */
static cc_status select_ways(cc_ctx *ctx, const parsed *p, const window *win, cc_roads *r, counts *c)
{
    const cc_roads *a = p->r;
    if (reserve(r, a->n_ways ? a->n_ways : 1, a->n_vertices ? a->n_vertices : 2))
        return cc__fail(ctx, CC_ERR_NOMEM, "Out of memory reading roads");
    r->way_first[0] = 0;
    for (size_t w = 0; w < a->n_ways; w++) {
        size_t s0 = a->way_first[w], s1 = a->way_first[w + 1];
        if (!window_keeps(win, a->x + s0, a->y + s0, s1 - s0)) continue;
        c->n_features++;
        if (p->kind[w] == FEAT_NO_CLASS) {
            c->skip_no_class++;
            continue;
        }
        uint32_t cls = cc__strtab_intern(&r->strings, cc__strtab_get(&a->strings, a->cls[w]));
        if (cls == CC__NO_STRING) return cc__fail(ctx, CC_ERR_NOMEM, "Out of memory reading roads");
        if (p->kind[w] == FEAT_SHORT) {
            c->skip_short++;
            continue;
        }
        size_t wi = r->n_ways, start = r->n_vertices, n = s1 - s0;
        memcpy(r->x + start, a->x + s0, n * sizeof(double));
        memcpy(r->y + start, a->y + s0, n * sizeof(double));
        for (size_t v = start; v < start + n; v++) {
            if (r->x[v] < c->ext[0]) c->ext[0] = r->x[v];
            if (r->x[v] > c->ext[2]) c->ext[2] = r->x[v];
            if (r->y[v] < c->ext[1]) c->ext[1] = r->y[v];
            if (r->y[v] > c->ext[3]) c->ext[3] = r->y[v];
        }
        r->cls[wi] = cls;
        r->way_first[wi] = start;
        r->n_vertices = start + n;
        r->way_first[wi + 1] = start + n;
        r->speed_kmh[wi] = a->speed_kmh[w];
        r->surface[wi] = CC__NO_STRING;
        if (a->surface[w] != CC__NO_STRING &&
            (r->surface[wi] = cc__strtab_intern(&r->strings, cc__strtab_get(&a->strings, a->surface[w]))) == CC__NO_STRING)
            return cc__fail(ctx, CC_ERR_NOMEM, "Out of memory reading roads");
        r->maxspeed_kmh[wi] = a->maxspeed_kmh[w];
        r->oneway[wi] = a->oneway[w];
        r->roundabout[wi] = a->roundabout[w];
        r->way_id[wi] = a->way_id[w];
        r->n_ways++;
    }
    return CC_OK;
}

/* ---- the reader -------------------------------------------------------------------------- */

/* A file this reader does not handle (GDAL may): no error recorded, stats->unsupported set. */
static cc_status unsupported(cc_ctx *ctx, const char *path, const char *why, cc__osm_pbf_stats *stats)
{
    cc__debug(ctx, "Roads: '%s' left to GDAL's OSM driver (%s)", path, why);
    stats->unsupported = true;
    return CC_ERR_INPUT;
}

static cc_status parse(cc_ctx *ctx, const char *path, const uint8_t *buf, size_t len, parsed *p)
{
    cc__osm_pbf_stats *stats = &p->stats;
    pbf_block *bl = NULL;
    size_t nb = 0;
    node_table t = {0};
    char msg[160];
    cc_status st = CC_OK;
    int threads = cc_ctx_get_threads(ctx);
    (void)threads; /* without OpenMP */
    memset(stats, 0, sizeof(*stats));
    stats->ext[0] = stats->ext[1] = INFINITY;
    stats->ext[2] = stats->ext[3] = -INFINITY;

    bool recognised = false;
    int e = scan_blobs(buf, len, &bl, &nb, msg, sizeof(msg), &recognised);
    if (e == PBF_UNSUPPORTED) return unsupported(ctx, path, msg, stats);
    if (e == PBF_NOMEM) return cc__fail(ctx, CC_ERR_NOMEM, "Out of memory reading roads");
    /* as through GDAL: a file that is no OSM PBF at all cannot be opened (I/O error); a PBF that
     * breaks off or is damaged is bad input */
    if (e && !recognised)
        return cc__fail(ctx, CC_ERR_IO, "Unable to open road file '%s' as a vector dataset: not a recognised format (no OSM PBF block at the start: %s)",
                        path, msg);
    if (e) return cc__fail(ctx, CC_ERR_INPUT, "Unable to read road file '%s' (truncated or corrupt?): %s", path, msg);
    stats->blocks = nb;

    /* pass 1: ways (parallel over blocks); node blocks keep their inflated data for pass 2 while
     * that stays below 1 GiB in all, and are inflated again otherwise */
    size_t kept = 0;
#pragma omp parallel for schedule(dynamic, 1) num_threads(threads) reduction(+ : kept)
    for (size_t i = 0; i < nb; i++) {
        uint8_t *data;
        size_t dn;
        bool owned;
        if (blob_data(buf, &bl[i], &data, &dn, &owned)) continue;
        block_ways(data, dn, &bl[i]);
        if (bl[i].has_nodes && !bl[i].err) {
            bl[i].raw = data;
            bl[i].raw_len = dn;
            bl[i].raw_owned = owned;
            kept += owned ? dn : 0;
        } else if (owned)
            free(data);
    }
    for (size_t i = 0; i < nb && !e; i++)
        if (bl[i].err) e = bl[i].err, snprintf(msg, sizeof(msg), "block %zu: %s", i + 1, bl[i].msg);
    if (e) goto fail;
    if (kept > ((size_t)1 << 30))
        for (size_t i = 0; i < nb; i++)
            if (bl[i].raw_owned) {
                free(bl[i].raw);
                bl[i].raw = NULL;
                bl[i].raw_owned = false;
            }
    if (cc__interrupted(ctx)) {
        st = cc__fail(ctx, CC_ERR_INTERRUPTED, "Interrupted while reading roads");
        goto out;
    }

    /* the nodes the kept ways use: sorted, distinct */
    size_t nref = 0;
    for (size_t i = 0; i < nb; i++) nref += bl[i].n_refs;
    if (!(t.id = cc__malloc_array(nref ? nref : 1, sizeof(*t.id)))) goto nomem;
    for (size_t i = 0; i < nb; i++) {
        if (bl[i].n_refs) memcpy(t.id + t.n, bl[i].refs, bl[i].n_refs * sizeof(*t.id));
        t.n += bl[i].n_refs;
        stats->ways += bl[i].n_ways;
    }
    int64_t *tmp = cc__malloc_array(t.n ? t.n : 1, sizeof(*tmp));
    if (!tmp) goto nomem;
    sort_ids(t.id, tmp, t.n);
    free(tmp);
    size_t u = 0;
    for (size_t i = 0; i < t.n; i++)
        if (u == 0 || t.id[i] != t.id[u - 1]) t.id[u++] = t.id[i];
    t.n = u;
    if (!(t.lon = cc__malloc_array(u ? u : 1, sizeof(*t.lon))) || !(t.lat = cc__malloc_array(u ? u : 1, sizeof(*t.lat))) ||
        !(t.found = cc__calloc_array(u ? u : 1, 1)))
        goto nomem;
    stats->nodes = u;

    /* pass 2: nodes (parallel over the blocks holding some) */
#pragma omp parallel for schedule(dynamic, 1) num_threads(threads)
    for (size_t i = 0; i < nb; i++) {
        if (!bl[i].has_nodes) continue;
        uint8_t *data = bl[i].raw;
        size_t dn = bl[i].raw_len;
        bool owned = false;
        if (!data && blob_data(buf, &bl[i], &data, &dn, &owned)) continue;
        block_nodes(data, dn, &bl[i], &t);
        if (owned) free(data);
    }
    for (size_t i = 0; i < nb && !e; i++)
        if (bl[i].err) e = bl[i].err, snprintf(msg, sizeof(msg), "block %zu: %s", i + 1, bl[i].msg);
    if (e) goto fail;
    for (size_t i = 0; i < t.n; i++) stats->nodes_missing += !t.found[i];

    if ((st = assemble_all(ctx, bl, nb, &t, p))) goto out;
    stats->bytes_per_node = sizeof(*t.id) + sizeof(*t.lon) + sizeof(*t.lat) + 1;
    goto out;
fail:
    if (e == PBF_NOMEM) goto nomem;
    if (e == PBF_UNSUPPORTED)
        st = unsupported(ctx, path, msg, stats);
    else
        st = cc__fail(ctx, CC_ERR_INPUT, "Unable to read road file '%s' (truncated or corrupt?): %s", path, msg);
    goto out;
nomem:
    st = cc__fail(ctx, CC_ERR_NOMEM, "Out of memory reading roads");
out:
    blocks_free(bl, nb);
    free(t.id);
    free(t.lon);
    free(t.lat);
    free(t.found);
    return st;
}

static parsed *parsed_new(void)
{
    parsed *p = calloc(1, sizeof(*p));
    if (p && !(p->r = calloc(1, sizeof(*p->r)))) {
        free(p);
        return NULL;
    }
    if (p) cc__strtab_init(&p->r->strings);
    return p;
}

/* Records of the window (all without one) of parsed file @p p into empty @p r; @p stats gets the
 * file's figures and the window's counts. */
static cc_status select_into(cc_ctx *ctx, const parsed *p, const window *win, cc_roads *r, cc__osm_pbf_stats *stats)
{
    counts c = {.ext = {INFINITY, INFINITY, -INFINITY, -INFINITY}};
    cc_status st = select_ways(ctx, p, win, r, &c);
    *stats = p->stats;
    stats->n_features = c.n_features;
    stats->skip_no_class = c.skip_no_class;
    stats->skip_short = c.skip_short;
    memcpy(stats->ext, c.ext, sizeof(c.ext));
    return st;
}

cc_status cc__osm_pbf_decode(cc_ctx *ctx, const char *path, const uint8_t *buf, size_t len, cc_roads *r, cc__osm_pbf_stats *stats)
{
    static const window none;
    parsed *p = parsed_new();
    memset(stats, 0, sizeof(*stats));
    if (!p) return cc__fail(ctx, CC_ERR_NOMEM, "Out of memory reading roads");
    cc_status st = parse(ctx, path, buf, len, p);
    if (st)
        stats->unsupported = p->stats.unsupported;
    else
        st = select_into(ctx, p, &none, r, stats);
    parsed_free(p);
    return st;
}

/* The last file parsed in this process, reused while its path, size and content hash stay the
 * same: the tiles of a travel-time raster and the variants of a batch read the same .pbf again and
 * again. A changed file (even rewritten in place within the same second) is parsed again. One file
 * at a time, behind a mutex. */
static struct {
    pthread_mutex_t lock;
    parsed *p;
    char *path;
    size_t size;
    uint64_t hash;
} cache = {.lock = PTHREAD_MUTEX_INITIALIZER};

/* A fast 64-bit hash of the whole file (8 bytes a step; several GB/s): change detection only. */
static uint64_t content_hash(const uint8_t *p, size_t n)
{
    uint64_t h = 0x9e3779b97f4a7c15u ^ n, w;
    size_t i = 0;
    for (; i + 8 <= n; i += 8) {
        memcpy(&w, p + i, 8);
        h = (h ^ w) * 0xff51afd7ed558ccdu;
        h ^= h >> 32;
    }
    w = 0;
    if (i < n) memcpy(&w, p + i, n - i);
    h = (h ^ w) * 0xc4ceb9fe1a85ec53u;
    return h ^ (h >> 29);
}

static bool cache_matches(const char *path, size_t size, uint64_t hash)
{
    return cache.p && strcmp(cache.path, path) == 0 && cache.size == size && cache.hash == hash;
}

static void cache_put(const char *path, size_t size, uint64_t hash, parsed *p)
{
    char *dup = cc__strdup(path);
    if (!dup) {
        parsed_free(p);
        return;
    }
    parsed_free(cache.p);
    free(cache.path);
    cache.p = p;
    cache.path = dup;
    cache.size = size;
    cache.hash = hash;
}

/* roads.c's set_bbox_filter for this reader: the window (working CRS) as a lon/lat rectangle. */
static cc_status window_make(cc_ctx *ctx, const cc_roads_opts *o, OGRSpatialReferenceH wgs, const char *path, window *win)
{
    cc_status st = cc__roads_window_bounds(ctx, o, wgs, path, &win->x0, &win->y0, &win->x1, &win->y1);
    if (st) return st;
    /* the rectangle OGR_L_SetSpatialFilterRect makes */
    OGRGeometryH ring = OGR_G_CreateGeometry(wkbLinearRing);
    win->rect = OGR_G_CreateGeometry(wkbPolygon);
    if (!ring || !win->rect) {
        if (ring) OGR_G_DestroyGeometry(ring);
        return cc__fail(ctx, CC_ERR_NOMEM, "Out of memory reading roads");
    }
    OGR_G_AddPoint_2D(ring, win->x0, win->y0);
    OGR_G_AddPoint_2D(ring, win->x0, win->y1);
    OGR_G_AddPoint_2D(ring, win->x1, win->y1);
    OGR_G_AddPoint_2D(ring, win->x1, win->y0);
    OGR_G_AddPoint_2D(ring, win->x0, win->y0);
    OGR_G_AddGeometryDirectly(win->rect, ring);
    win->on = true;
    return CC_OK;
}

void cc__osm_pbf_cache_clear(void)
{
    pthread_mutex_lock(&cache.lock);
    parsed_free(cache.p);
    free(cache.path);
    cache.p = NULL;
    cache.path = NULL;
    pthread_mutex_unlock(&cache.lock);
}

static bool ends_with(const char *s, const char *suffix)
{
    size_t ls = strlen(s), lx = strlen(suffix);
    return ls >= lx && strcasecmp(s + ls - lx, suffix) == 0;
}

bool cc__osm_pbf_applies(const char *path, const cc_roads_opts *o)
{
    const char *env = getenv("CARECIRCLE_OSM_READER");
    if (env && strcmp(env, "gdal") == 0) return false;
    if (!ends_with(path, ".pbf") || strncmp(path, "/vsi", 4) == 0) return false;
    if (o && (o->layer || o->where || o->speed_field || o->oneway_field || o->surface_field ||
              o->maxspeed_field || (o->class_field && strcmp(o->class_field, "highway") != 0)))
        return false;
    return true;
}

cc_status cc__osm_pbf_read(cc_ctx *ctx, const char *path, const cc_roads_opts *o, cc_roads **out, bool *fallback)
{
    cc_status st = CC_OK;
    cc_roads *r = NULL;
    uint8_t *map = NULL;
    size_t len = 0;
    OGRSpatialReferenceH wgs = NULL;
    cc__osm_pbf_stats stats;
    window win = {0};
    *out = NULL;
    *fallback = false;

    int fd = open(path, O_RDONLY | O_CLOEXEC);
    struct stat sb;
    if (fd < 0) return cc__fail(ctx, CC_ERR_IO, "Unable to open road file '%s': %s", path, strerror(errno));
    if (fstat(fd, &sb) != 0 || !S_ISREG(sb.st_mode)) {
        close(fd);
        *fallback = true;
        return CC_OK;
    }
    len = (size_t)sb.st_size;
    if (len == 0) {
        close(fd);
        return cc__fail(ctx, CC_ERR_IO, "Unable to open road file '%s' as a vector dataset: not a recognised format (empty file)", path);
    }
    map = mmap(NULL, len, PROT_READ, MAP_PRIVATE, fd, 0);
    close(fd);
    if (map == MAP_FAILED) return cc__fail(ctx, CC_ERR_IO, "Unable to read road file '%s': %s", path, strerror(errno));

    double t0 = cc__now();
    if (!(r = calloc(1, sizeof(*r)))) {
        st = cc__fail(ctx, CC_ERR_NOMEM, "Out of memory reading roads");
        goto out;
    }
    cc__strtab_init(&r->strings);
    wgs = OSRNewSpatialReference(NULL);
    OSRImportFromEPSG(wgs, 4326);
    OSRSetAxisMappingStrategy(wgs, OAMS_TRADITIONAL_GIS_ORDER);
    if (o && o->use_bbox && (st = window_make(ctx, o, wgs, path, &win))) goto out;
    uint64_t hash = content_hash(map, len);
    pthread_mutex_lock(&cache.lock);
    bool reused = cache_matches(path, len, hash);
    if (!reused) {
        parsed *p = parsed_new();
        if (!p)
            st = cc__fail(ctx, CC_ERR_NOMEM, "Out of memory reading roads");
        else if ((st = parse(ctx, path, map, len, p))) {
            if (p->stats.unsupported) {
                *fallback = true;
                st = CC_OK;
            }
            parsed_free(p);
            pthread_mutex_unlock(&cache.lock);
            goto out;
        } else
            cache_put(path, len, hash, p);
    }
    if (!st) st = cache.p ? select_into(ctx, cache.p, &win, r, &stats) : cc__fail(ctx, CC_ERR_NOMEM, "Out of memory reading roads");
    pthread_mutex_unlock(&cache.lock);
    if (st) goto out;
    if (*fallback) goto out;
    size_t skipped = stats.skip_no_class + stats.skip_short;
    if (skipped)
        cc__warn(ctx,
                 "Skipped %zu of %zu road features in '%s': %zu without class or speed, %zu not lines, %zu empty or single-vertex, %zu with non-finite coordinates, %zu with out-of-range coordinates",
                 skipped, stats.n_features, path, stats.skip_no_class, (size_t)0, stats.skip_short, (size_t)0, (size_t)0);
    if (r->n_ways == 0 && !win.on) { /* a window of a larger region may hold no road */
        if (stats.n_features == 0)
            st = cc__fail(ctx, CC_ERR_INPUT, "Road layer <lines> in '%s' has no features with a road class", path);
        else
            st = cc__fail(ctx, CC_ERR_INPUT, "Road layer <lines> in '%s' has no usable line features (%zu read, all skipped)",
                          path, stats.n_features);
        goto out;
    }
    cc__debug(ctx, "Roads: %zu features read in %.3f s (OSM PBF reader%s: %zu blocks, %zu highway ways, %zu nodes used, %zu missing, %zu bytes a node)",
              stats.n_features, cc__now() - t0, reused ? ", file parsed earlier in this process" : "", stats.blocks, stats.ways,
              stats.nodes, stats.nodes_missing, stats.bytes_per_node);
    double t_proj = cc__now();
    if ((st = cc__roads_project(ctx, r, path, wgs, stats.ext, o))) goto out;
    cc__debug(ctx, "Roads: %zu vertices transformed to %s in %.3f s", r->n_vertices, r->crs_name, cc__now() - t_proj);
    if (r->n_ways == 0 && !win.on) {
        st = cc__fail(ctx, CC_ERR_INPUT, "No road line of '%s' could be transformed to %s", path, r->crs_name);
        goto out;
    }
    cc__info(ctx, "Read %zu road ways (%zu vertices) from '%s', working CRS %s", r->n_ways, r->n_vertices, path, r->crs_name);
    *out = r;
    r = NULL;
out:
    if (win.rect) OGR_G_DestroyGeometry(win.rect);
    if (wgs) OSRDestroySpatialReference(wgs);
    munmap(map, len);
    cc_roads_destroy(r);
    return st;
}
