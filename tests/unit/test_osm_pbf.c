/* test_osm_pbf.c - the OSM .pbf reader (planner/io/osm_pbf.c) against GDAL's OSM driver: the same
 * road records, field by field, on files made here (tag and geometry cases) and on the real
 * extracts of ../shared/data (skipped when absent); broken files fail cleanly. */
#include <math.h>
#include <zlib.h>

#include "test_util.h"

#include "io/osm_pbf_internal.h"

/* ---- a small PBF writer ------------------------------------------------------------------ */

typedef struct wb {
    uint8_t *p;
    size_t n, cap;
} wb;

static void wb_put(wb *b, const void *d, size_t n)
{
    if (b->n + n > b->cap) {
        b->cap = (b->n + n) * 2 + 64;
        b->p = realloc(b->p, b->cap);
        assert_non_null(b->p);
    }
    if (n) memcpy(b->p + b->n, d, n);
    b->n += n;
}

static void wb_varint(wb *b, uint64_t v)
{
    uint8_t c[10];
    int k = 0;
    do {
        c[k] = (uint8_t)(v & 0x7f);
        v >>= 7;
        if (v) c[k] |= 0x80;
        k++;
    } while (v);
    wb_put(b, c, (size_t)k);
}

static uint64_t zz(int64_t v)
{
    return ((uint64_t)v << 1) ^ (uint64_t)(v >> 63);
}

static void wb_key(wb *b, uint32_t field, uint32_t wt)
{
    wb_varint(b, (uint64_t)field << 3 | wt);
}

static void wb_sub(wb *b, uint32_t field, const wb *sub)
{
    wb_key(b, field, 2);
    wb_varint(b, sub->n);
    wb_put(b, sub->p, sub->n);
}

static void wb_str(wb *b, uint32_t field, const char *s)
{
    wb_key(b, field, 2);
    wb_varint(b, strlen(s));
    wb_put(b, s, strlen(s));
}

/* One file block: BlobHeader + Blob (zlib-compressed when @p zip). */
static void put_blob(wb *file, const char *type, const wb *data, bool zip)
{
    wb blob = {0}, hdr = {0};
    if (zip) {
        uLongf zn = compressBound(data->n);
        uint8_t *z = malloc(zn);
        assert_int_equal(compress(z, &zn, data->p, data->n), Z_OK);
        wb_key(&blob, 2, 0);
        wb_varint(&blob, data->n);
        wb_key(&blob, 3, 2);
        wb_varint(&blob, zn);
        wb_put(&blob, z, zn);
        free(z);
    } else {
        wb_sub(&blob, 1, data);
    }
    wb_str(&hdr, 1, type);
    wb_key(&hdr, 3, 0);
    wb_varint(&hdr, blob.n);
    uint8_t be[4] = {(uint8_t)(hdr.n >> 24), (uint8_t)(hdr.n >> 16), (uint8_t)(hdr.n >> 8), (uint8_t)hdr.n};
    wb_put(file, be, 4);
    wb_put(file, hdr.p, hdr.n);
    wb_put(file, blob.p, blob.n);
    free(blob.p);
    free(hdr.p);
}

/* The string table of the way block. */
static const char *const S[] = {"", "highway", "residential", "oneway", "yes", "surface", "paved", "maxspeed", "50",
                                "junction", "roundabout", "amenity", "parking", "area", "no", "building",
                                "primary", "-1", "30 mph", "waterway", "river", "track", "platform", "name", "x"};
enum { E, HW, RES, ONEW, YES, SURF, PAVED, MAXS, M50, JUNC, RBT, AMEN, PARK, AREA, NO, BLD, PRIM, M1, MPH, WW, RIVER,
       TRACK, PLAT, NAME, X };

typedef struct tway {
    int64_t id;
    int nt;
    int tags[10]; /* key, value pairs (indices of S) */
    int nr;
    int64_t refs[8];
} tway;

/* Ways that exercise what GDAL does with tags and geometry. */
static const tway WAYS[] = {
    {10, 1, {HW, RES}, 3, {1, 2, 3}},
    {11, 5, {HW, PRIM, ONEW, YES, SURF, PAVED, MAXS, M50, JUNC, RBT}, 2, {3, 4}},
    {12, 2, {HW, RES, AMEN, PARK}, 4, {1, 2, 3, 1}},            /* closed + amenity: GDAL's polygons */
    {13, 3, {HW, RES, AMEN, PARK, AREA, NO}, 4, {1, 2, 3, 1}},  /* area=no: a line */
    {14, 3, {AREA, YES, HW, RES, BLD, YES}, 4, {4, 5, 6, 4}},   /* area=yes: polygons */
    {15, 1, {HW, PLAT}, 4, {4, 5, 6, 4}},                       /* closed highway=platform: polygons */
    {16, 1, {HW, PLAT}, 3, {4, 5, 6}},                          /* open highway=platform: a line */
    {17, 1, {HW, RES}, 4, {4, 5, 6, 4}},                        /* closed highway: a line */
    {18, 1, {WW, RIVER}, 2, {1, 2}},                            /* no highway */
    {19, 2, {HW, TRACK, ONEW, M1}, 4, {2, 999, 5, 6}},          /* a missing node: left out */
    {20, 1, {HW, TRACK}, 2, {2, 998}},                          /* one node found: dropped */
    {21, 1, {HW, E}, 2, {1, 2}},                                /* empty highway: no class */
    {22, 2, {HW, RES, HW, PRIM}, 2, {5, 6}},                    /* repeated key: the last */
    {23, 2, {HW, RES, MAXS, MPH}, 3, {6, 6, 7}},                /* repeated node */
    {24, 1, {HW, RES}, 2, {7, 7}},                              /* all one point: single vertex */
    {25, 1, {HW, RES}, 1, {3}},                                 /* one reference: no feature */
    {26, 2, {NAME, X, HW, RES}, 2, {8, 9}},                     /* plain (non-dense) nodes */
};

/* A PBF file: header, dense nodes 1-7 (zlib), plain nodes 8-9, the ways (raw or zlib). */
static wb make_pbf(bool zip_ways, int granularity)
{
    wb file = {0}, hb = {0}, pbk = {0}, st = {0}, grp = {0}, dn = {0}, ids = {0}, lats = {0}, lons = {0};
    wb_str(&hb, 4, "OsmSchema-V0.6");
    wb_str(&hb, 4, "DenseNodes");
    put_blob(&file, "OSMHeader", &hb, false);

    /* nodes in Comoros, coordinates in units of granularity nanodegrees (with offsets) */
    static const double lon[] = {43.2500001, 43.2512345, 43.2523456, 43.2534567, 43.26, 43.27, 43.2812349};
    static const double lat[] = {-11.7000004, -11.7012345, -11.7023456, -11.7034567, -11.71, -11.72, -11.7312341};
    int64_t lat_off = 123, lon_off = -77;
    int64_t pid = 0, plat = 0, plon = 0;
    wb_str(&st, 1, "");
    for (int i = 0; i < 7; i++) {
        int64_t la = (int64_t)llround((lat[i] * 1e9 - (double)lat_off) / granularity);
        int64_t lo = (int64_t)llround((lon[i] * 1e9 - (double)lon_off) / granularity);
        wb_varint(&ids, zz((i + 1) - pid));
        wb_varint(&lats, zz(la - plat));
        wb_varint(&lons, zz(lo - plon));
        pid = i + 1;
        plat = la;
        plon = lo;
    }
    wb_sub(&dn, 1, &ids);
    wb_sub(&dn, 8, &lats);
    wb_sub(&dn, 9, &lons);
    wb_sub(&grp, 2, &dn);
    wb_sub(&pbk, 1, &st);
    wb_sub(&pbk, 2, &grp);
    wb_key(&pbk, 17, 0);
    wb_varint(&pbk, (uint64_t)granularity);
    wb_key(&pbk, 19, 0);
    wb_varint(&pbk, (uint64_t)lat_off);
    wb_key(&pbk, 20, 0);
    wb_varint(&pbk, (uint64_t)lon_off);
    put_blob(&file, "OSMData", &pbk, true);

    /* two plain nodes (granularity 100, no offsets) */
    wb pb2 = {0}, st2 = {0}, g2 = {0};
    wb_str(&st2, 1, "");
    for (int i = 0; i < 2; i++) {
        wb nd = {0};
        wb_key(&nd, 1, 0);
        wb_varint(&nd, zz(8 + i));
        wb_key(&nd, 8, 0);
        wb_varint(&nd, zz(-117000000 - 12345 * (i + 1)));
        wb_key(&nd, 9, 0);
        wb_varint(&nd, zz(432900000 + 54321 * (i + 1)));
        wb_sub(&g2, 1, &nd);
        free(nd.p);
    }
    wb_sub(&pb2, 1, &st2);
    wb_sub(&pb2, 2, &g2);
    put_blob(&file, "OSMData", &pb2, false);

    /* the ways */
    wb pb3 = {0}, st3 = {0}, g3 = {0};
    for (size_t i = 0; i < sizeof(S) / sizeof(S[0]); i++) wb_str(&st3, 1, S[i]);
    for (size_t w = 0; w < sizeof(WAYS) / sizeof(WAYS[0]); w++) {
        const tway *t = &WAYS[w];
        wb way = {0}, k = {0}, v = {0}, r = {0};
        for (int j = 0; j < t->nt; j++) {
            wb_varint(&k, (uint64_t)t->tags[2 * j]);
            wb_varint(&v, (uint64_t)t->tags[2 * j + 1]);
        }
        int64_t prev = 0;
        for (int j = 0; j < t->nr; j++) {
            wb_varint(&r, zz(t->refs[j] - prev));
            prev = t->refs[j];
        }
        wb_key(&way, 1, 0);
        wb_varint(&way, (uint64_t)t->id);
        if (t->nt) {
            wb_sub(&way, 2, &k);
            wb_sub(&way, 3, &v);
        }
        wb_sub(&way, 8, &r);
        wb_sub(&g3, 3, &way);
        free(way.p);
        free(k.p);
        free(v.p);
        free(r.p);
    }
    wb_sub(&pb3, 1, &st3);
    wb_sub(&pb3, 2, &g3);
    put_blob(&file, "OSMData", &pb3, zip_ways);

    wb *all[] = {&hb, &pbk, &st, &grp, &dn, &ids, &lats, &lons, &pb2, &st2, &g2, &pb3, &st3, &g3};
    for (size_t i = 0; i < sizeof(all) / sizeof(all[0]); i++) free(all[i]->p);
    return file;
}

/* ---- comparison -------------------------------------------------------------------------- */

/* The roads of @p path read by GDAL or by carecircle's own reader, whole or in the window of @p o. */
static cc_roads *read_window(cc_ctx *ctx, const char *path, bool gdal, const cc_roads_opts *o)
{
    cc_roads *r = NULL;
    if (gdal)
        setenv("CARECIRCLE_OSM_READER", "gdal", 1);
    else
        unsetenv("CARECIRCLE_OSM_READER");
    cc_status st = cc_roads_read(ctx, path, o, &r);
    unsetenv("CARECIRCLE_OSM_READER");
    if (st) fail_msg("%s reading %s%s: %s", gdal ? "GDAL" : "osm_pbf", path, o ? " in a window" : "", cc_ctx_last_error(ctx));
    return r;
}

static cc_roads *read_with(cc_ctx *ctx, const char *path, bool gdal)
{
    return read_window(ctx, path, gdal, NULL);
}

static const char *sget(const cc_roads *r, uint32_t id)
{
    return id == CC__NO_STRING ? "(none)" : cc__strtab_get(&r->strings, id);
}

/* Every field of every way, exactly (coordinates bit for bit). */
static void assert_same_roads(const cc_roads *a, const cc_roads *b)
{
    assert_int_equal(a->n_ways, b->n_ways);
    assert_int_equal(a->n_vertices, b->n_vertices);
    assert_string_equal(a->crs_name, b->crs_name);
    for (size_t w = 0; w < a->n_ways; w++) {
        if (a->way_id[w] != b->way_id[w]) fail_msg("way %zu: id %lld against %lld", w, (long long)a->way_id[w], (long long)b->way_id[w]);
        assert_int_equal(a->way_first[w + 1], b->way_first[w + 1]);
        assert_string_equal(sget(a, a->cls[w]), sget(b, b->cls[w]));
        assert_string_equal(sget(a, a->surface[w]), sget(b, b->surface[w]));
        assert_true(a->maxspeed_kmh[w] == b->maxspeed_kmh[w]);
        assert_true(a->speed_kmh[w] == b->speed_kmh[w]);
        assert_int_equal(a->oneway[w], b->oneway[w]);
        assert_int_equal(a->roundabout[w], b->roundabout[w]);
    }
    for (size_t i = 0; i < a->n_vertices; i++)
        if (a->x[i] != b->x[i] || a->y[i] != b->y[i])
            fail_msg("vertex %zu: %.17g %.17g against %.17g %.17g", i, a->x[i], a->y[i], b->x[i], b->y[i]);
}

/* Windows (as the tiles of a travel-time raster read them): the same ways as GDAL's spatial
 * filter, including ways that only cross a window between two vertices, and empty windows. */
static void compare_windows(cc_ctx *ctx, const char *path, const cc_roads *whole)
{
    double x0 = INFINITY, y0 = INFINITY, x1 = -INFINITY, y1 = -INFINITY;
    for (size_t i = 0; i < whole->n_vertices; i++) {
        if (whole->x[i] < x0) x0 = whole->x[i];
        if (whole->x[i] > x1) x1 = whole->x[i];
        if (whole->y[i] < y0) y0 = whole->y[i];
        if (whole->y[i] > y1) y1 = whole->y[i];
    }
    char crs[32];
    snprintf(crs, sizeof(crs), "%s", whole->crs_name);
    size_t total = 0, n_win = 0;
    for (int k = 0; k < 12; k++) {
        cc_roads_opts o = {.crs = crs, .use_bbox = true};
        if (k < 4) { /* quarters */
            double mx = 0.5 * (x0 + x1), my = 0.5 * (y0 + y1);
            o.bbox[0] = k & 1 ? mx : x0;
            o.bbox[2] = k & 1 ? x1 : mx;
            o.bbox[1] = k & 2 ? my : y0;
            o.bbox[3] = k & 2 ? y1 : my;
        } else if (k < 11) { /* small windows around vertices, many ways cut */
            size_t v = (size_t)(k - 4) * (whole->n_vertices / 7) + 3;
            double half = k % 2 ? 150.0 : 900.0;
            o.bbox[0] = whole->x[v] - half;
            o.bbox[2] = whole->x[v] + half;
            o.bbox[1] = whole->y[v] - half;
            o.bbox[3] = whole->y[v] + half * 0.5;
        } else { /* beyond the roads: empty */
            o.bbox[0] = x1 + 10000;
            o.bbox[2] = x1 + 20000;
            o.bbox[1] = y1 + 10000;
            o.bbox[3] = y1 + 20000;
        }
        cc_roads *g = read_window(ctx, path, true, &o), *n = read_window(ctx, path, false, &o);
        assert_same_roads(g, n);
        if (k == 11) assert_int_equal(n->n_ways, 0);
        total += n->n_ways;
        n_win++;
        cc_roads_destroy(g);
        cc_roads_destroy(n);
    }
    assert_true(total > whole->n_ways / 2); /* the windows did hold roads */
    (void)n_win;
}

static void compare_file_windows(const char *path, bool windows)
{
    cc_ctx *ctx;
    assert_int_equal(cc_ctx_create(&ctx), CC_OK);
    cc_roads *g = read_with(ctx, path, true), *n = read_with(ctx, path, false);
    if (windows) compare_windows(ctx, path, n);
    assert_true(n->n_ways > 0);
    assert_same_roads(g, n);
    cc_roads_destroy(g);
    cc_roads_destroy(n);
    cc_ctx_destroy(ctx);
}

static void compare_file(const char *path)
{
    compare_file_windows(path, false);
}

static void write_file(const char *path, const wb *f)
{
    FILE *fp = fopen(path, "wb");
    assert_non_null(fp);
    assert_int_equal(fwrite(f->p, 1, f->n, fp), f->n);
    fclose(fp);
}

/* The made-up file: GDAL and osm_pbf agree, and the ways kept are the ones GDAL's rules keep. */
static void test_made_file(void **state)
{
    (void)state;
    char dir[64], path[128];
    tu_tmpdir(dir, sizeof(dir));
    for (int variant = 0; variant < 2; variant++) {
        wb f = make_pbf(variant == 1, variant ? 1000 : 100);
        snprintf(path, sizeof(path), "%s/made%d.osm.pbf", dir, variant);
        write_file(path, &f);
        free(f.p);
        compare_file(path);
        /* the expected ways, in file order (independent of both readers) */
        cc_ctx *ctx;
        assert_int_equal(cc_ctx_create(&ctx), CC_OK);
        cc_roads *r = read_with(ctx, path, false);
        static const int64_t want[] = {10, 11, 13, 16, 17, 19, 22, 23, 26};
        assert_int_equal(r->n_ways, sizeof(want) / sizeof(want[0]));
        for (size_t i = 0; i < r->n_ways; i++) assert_int_equal(r->way_id[i], want[i]);
        assert_string_equal(sget(r, r->cls[6]), "primary");       /* way 22: last highway */
        assert_int_equal(r->way_first[6] - r->way_first[5], 3); /* way 19: node 999 left out */
        assert_int_equal(r->oneway[1], 1);
        assert_int_equal(r->roundabout[1], 1);
        assert_string_equal(sget(r, r->surface[1]), "paved");
        assert_true(fabs(r->maxspeed_kmh[7] - 30 * 1.609344) < 1e-3);
        cc_roads_destroy(r);
        cc_ctx_destroy(ctx);
        unlink(path);
    }
    rmdir(dir);
}

/* A file rewritten in place (same path, same size, within the same second) is read anew, not
 * taken from the reader's in-process cache. */
static void test_rewritten(void **state)
{
    (void)state;
    char dir[64], path[128];
    tu_tmpdir(dir, sizeof(dir));
    snprintf(path, sizeof(path), "%s/same.osm.pbf", dir);
    wb f = make_pbf(false, 100);
    write_file(path, &f);
    cc_ctx *ctx;
    assert_int_equal(cc_ctx_create(&ctx), CC_OK);
    cc_roads *a = read_with(ctx, path, false);
    /* the same bytes but one way id changed (11 -> 27 keeps the varint length) */
    static const uint8_t pat[] = {0x08, 11};
    uint8_t *hit = memmem(f.p, f.n, pat, sizeof(pat));
    assert_non_null(hit);
    hit[1] = 27;
    write_file(path, &f);
    cc_roads *b = read_with(ctx, path, false), *g = read_with(ctx, path, true);
    assert_int_equal(a->way_id[1], 11);
    assert_int_equal(b->way_id[1], 27);
    assert_same_roads(g, b);
    cc_roads_destroy(a);
    cc_roads_destroy(b);
    cc_roads_destroy(g);
    cc_ctx_destroy(ctx);
    free(f.p);
    unlink(path);
    rmdir(dir);
}

/* Every truncation and many byte flips of the made-up file: success or one clean error. */
static void test_broken(void **state)
{
    (void)state;
    wb f = make_pbf(true, 100);
    cc_ctx *ctx;
    assert_int_equal(cc_ctx_create(&ctx), CC_OK);
    cc_ctx_set_log(ctx, NULL, NULL);
    size_t fails = 0;
    for (size_t cut = 0; cut < f.n; cut++) {
        cc_roads *r = calloc(1, sizeof(*r));
        cc__strtab_init(&r->strings);
        cc__osm_pbf_stats stats;
        cc_status st = cc__osm_pbf_decode(ctx, "cut.pbf", f.p, cut, r, &stats);
        if (st) {
            fails++;
            assert_non_null(strstr(cc_ctx_last_error(ctx), "'cut.pbf'"));
        }
        cc_roads_destroy(r);
    }
    assert_true(fails > f.n / 2);
    uint8_t *copy = malloc(f.n);
    for (size_t i = 0; i < f.n; i++) {
        for (int bit = 0; bit < 8; bit += 3) {
            memcpy(copy, f.p, f.n);
            copy[i] ^= (uint8_t)(1u << bit);
            cc_roads *r = calloc(1, sizeof(*r));
            cc__strtab_init(&r->strings);
            cc__osm_pbf_stats stats;
            (void)cc__osm_pbf_decode(ctx, "flip.pbf", copy, f.n, r, &stats);
            cc_roads_destroy(r);
        }
    }
    free(copy);
    /* through the public reader: a truncated file is an error naming it, no records */
    char dir[64], path[128];
    tu_tmpdir(dir, sizeof(dir));
    snprintf(path, sizeof(path), "%s/cut.osm.pbf", dir);
    f.n -= 7;
    write_file(path, &f);
    cc_roads *r = NULL;
    assert_int_equal(cc_roads_read(ctx, path, NULL, &r), CC_ERR_INPUT);
    assert_null(r);
    assert_non_null(strstr(cc_ctx_last_error(ctx), path));
    unlink(path);
    rmdir(dir);
    free(f.p);
    cc_ctx_destroy(ctx);
}

static void real_file(const char *rel)
{
    char path[1024];
    const char *data = getenv("CC_SHARED_DATA");
    const char *src = getenv("CC_SRC") ? getenv("CC_SRC") : ".";
    if (data)
        snprintf(path, sizeof(path), "%s/%s", data, rel);
    else
        snprintf(path, sizeof(path), "%s/../shared/data/%s", src, rel);
    if (access(path, R_OK) != 0) {
        fprintf(stderr, "skipped: %s not found (real data absent)\n", path);
        skip();
    }
    compare_file_windows(path, strstr(rel, "comores") != NULL); /* windows: Comoros, the traveltime case */
}

static void test_comoros(void **state)
{
    (void)state;
    real_file("comoros_geohealthaccess/comores-2021-04-08.osm.pbf");
}

static void test_andorra(void **state)
{
    (void)state;
    real_file("osm_test_extracts/andorra-2013-05-28.osm.pbf");
}

static void test_liechtenstein(void **state)
{
    (void)state;
    real_file("osm_test_extracts/liechtenstein-2013-08-03.osm.pbf");
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_made_file), cmocka_unit_test(test_rewritten),   cmocka_unit_test(test_broken),
        cmocka_unit_test(test_comoros),
        cmocka_unit_test(test_andorra),   cmocka_unit_test(test_liechtenstein),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
