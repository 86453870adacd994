/* admin.c - admin areas (townships): polygons with a name and code, in the working CRS. */
#include <stdlib.h>
#include <string.h>

#include <glib.h>

#include "readers_internal.h"

void cc__admin_free(cc__admin *a)
{
    if (!a) return;
    for (size_t i = 0; i < a->n; i++) {
        free(a->name[i]);
        free(a->code[i]);
        if (a->name_zh) free(a->name_zh[i]);
        if (a->geom[i]) OGR_G_DestroyGeometry(a->geom[i]);
    }
    CC__FREE_ALL(a->name, a->code, a->name_zh, a->geom);
    memset(a, 0, sizeof(*a));
}

typedef struct env_at {
    OGREnvelope e;
    size_t i;
} env_at;

static int env_cmp(const void *a, const void *b)
{
    const env_at *x = a, *y = b;
    return x->e.MinX < y->e.MinX ? -1 : x->e.MinX > y->e.MinX;
}

/* Admin areas people are counted in must be valid and must not overlap (a person in two areas is
 * counted twice; a self-intersecting ring can hold nobody): warned, naming the first and the size
 * of the overlap. Pairs found by a sweep over envelopes sorted by west edge. */
static cc_status check_admin_geometry(cc_ctx *ctx, const char *path, const char *What, bool overlaps, const cc__admin *a)
{
    size_t n_invalid = 0, first_invalid = 0, n_pairs = 0, pa = 0, pb = 0;
    double first_area = 0, total_area = 0;
    bool *valid = cc__calloc_array(a->n, sizeof(bool));
    env_at *ev = cc__malloc_array(a->n, sizeof(env_at));
    if (!valid || !ev) {
        free(valid);
        free(ev);
        return cc__fail(ctx, CC_ERR_NOMEM, "Out of memory checking admin areas");
    }
    cc__gdal_begin(ctx);
    for (size_t i = 0; i < a->n; i++) {
        valid[i] = OGR_G_IsValid(a->geom[i]) != 0;
        if (!valid[i] && n_invalid++ == 0) first_invalid = i;
        OGR_G_GetEnvelope(a->geom[i], &ev[i].e);
        ev[i].i = i;
    }
    qsort(ev, a->n, sizeof(env_at), env_cmp);
    for (size_t u = 0; overlaps && u < a->n; u++)
        for (size_t v = u + 1; v < a->n && ev[v].e.MinX < ev[u].e.MaxX; v++) {
            size_t i = ev[u].i, j = ev[v].i;
            if (!valid[i] || !valid[j] || ev[v].e.MinY >= ev[u].e.MaxY || ev[v].e.MaxY <= ev[u].e.MinY) continue;
            if (!OGR_G_Overlaps(a->geom[i], a->geom[j]) && !OGR_G_Within(a->geom[i], a->geom[j]) &&
                !OGR_G_Within(a->geom[j], a->geom[i]))
                continue;
            OGRGeometryH x = OGR_G_Intersection(a->geom[i], a->geom[j]);
            double ar = x ? OGR_G_Area(x) : 0;
            if (x) OGR_G_DestroyGeometry(x);
            if (!(ar > 1.0)) continue; /* square metres: shared edges and slivers of rounding are not overlaps */
            total_area += ar;
            if (n_pairs++ == 0) {
                pa = i < j ? i : j;
                pb = i < j ? j : i;
                first_area = ar;
            }
        }
    cc__gdal_end(ctx);
    if (n_invalid)
        cc__warn(ctx,
                 "%s '%s': %zu area%s not a valid polygon (self-intersecting or badly nested rings), the first "
                 "'%s'; %s may be %s wrongly: repair the file (ogr2ogr -makevalid)",
                 What, path, n_invalid, n_invalid == 1 ? " is" : "s are", a->name[first_invalid],
                 overlaps ? (n_invalid == 1 ? "people in it" : "people in them") : "roads and sites in or near it",
                 overlaps ? "counted" : "placed");
    if (n_pairs)
        cc__warn(ctx,
                 "%s '%s': %zu pair%s of areas overlap (%.3f km2 in all), the first '%s' and '%s' by %.3f km2; "
                 "people in an overlap are counted in each area",
                 What, path, n_pairs, n_pairs == 1 ? "" : "s", total_area / 1e6, a->name[pa], a->name[pb], first_area / 1e6);
    free(valid);
    free(ev);
    return CC_OK;
}

cc_status cc__admin_read(cc_ctx *ctx, const char *path, const cc__admin_opts *o, const char *work_wkt, cc__admin *a)
{
    static const cc__admin_opts defaults;
    bool is_osm;
    cc_status st = CC_OK;
    OGRSpatialReferenceH dst = NULL;
    OGRCoordinateTransformationH ct = NULL;
    size_t cap = 0, n_bad = 0;
    memset(a, 0, sizeof(*a));
    if (!o) o = &defaults;
    const char *what = o->what ? o->what : "admin area file";
    char What[64];
    snprintf(What, sizeof(What), "%c%s", g_ascii_toupper(what[0]), what + 1);
    char tmp[4096];
    GDALDatasetH ds = cc__open_vector_enc(ctx, path, what, o->encoding, NULL, &is_osm, tmp, sizeof(tmp));
    if (!ds) return CC_ERR_IO;
    OGRLayerH lyr = o->layer ? GDALDatasetGetLayerByName(ds, o->layer) : GDALDatasetGetLayer(ds, 0);
    if (!lyr) {
        st = cc__fail(ctx, CC_ERR_INPUT, "%s '%s' has no layer %s", What, path, o->layer ? o->layer : "");
        goto out;
    }
    OGRFeatureDefnH fd = OGR_L_GetLayerDefn(lyr);
    int fname = OGR_FD_GetFieldIndex(fd, o->name_field ? o->name_field : "name");
    if (!o->name_field && fname < 0) fname = OGR_FD_GetFieldIndex(fd, "名称");
    int fcode = OGR_FD_GetFieldIndex(fd, o->code_field ? o->code_field : "code");
    int fzh = OGR_FD_GetFieldIndex(fd, "name_zh");
    if (o->name_field && fname < 0) {
        st = cc__fail(ctx, CC_ERR_INPUT, "Layer <%s> of %s \'%s\' has no name field <%s>", OGR_L_GetName(lyr), what, path, o->name_field);
        goto out;
    }
    if (o->code_field && fcode < 0) {
        st = cc__fail(ctx, CC_ERR_INPUT, "Layer <%s> of %s \'%s\' has no code field <%s>", OGR_L_GetName(lyr), what, path, o->code_field);
        goto out;
    }
    OGRSpatialReferenceH ls = OGR_L_GetSpatialRef(lyr);
    if (!ls) {
        st = cc__fail(ctx, CC_ERR_CRS, "Layer <%s> of %s \'%s\' has no coordinate reference system", OGR_L_GetName(lyr), what, path);
        goto out;
    }
    OGRSpatialReferenceH src = cc__srs_clone(ls);
    dst = cc__srs_from_wkt(work_wkt);
    cc__gdal_begin(ctx);
    ct = dst ? OCTNewCoordinateTransformation(src, dst) : NULL;
    cc__gdal_end(ctx);
    OSRDestroySpatialReference(src);
    if (!ct) {
        st = cc__fail(ctx, CC_ERR_CRS, "Unable to transform the areas of %s '%s' to the working CRS: %s", what, path, cc__gdal_msg(ctx));
        goto out;
    }
    cc__gdal_begin(ctx);
    OGR_L_ResetReading(lyr);
    OGRFeatureH f;
    while (!st && (f = OGR_L_GetNextFeature(lyr))) {
        OGRGeometryH g = OGR_F_GetGeometryRef(f);
        OGRwkbGeometryType t = g ? wkbFlatten(OGR_G_GetGeometryType(g)) : wkbUnknown;
        if (!g || OGR_G_IsEmpty(g) || (t != wkbPolygon && t != wkbMultiPolygon)) {
            n_bad++;
            OGR_F_Destroy(f);
            continue;
        }
        if (a->n == cap) {
            size_t c = cap ? cap * 2 : 64;
            char **n1 = cc__realloc_array(a->name, c, sizeof(char *));
            if (n1) a->name = n1;
            char **n2 = cc__realloc_array(a->code, c, sizeof(char *));
            if (n2) a->code = n2;
            OGRGeometryH *n3 = cc__realloc_array(a->geom, c, sizeof(OGRGeometryH));
            if (n3) a->geom = n3;
            char **n4 = fzh >= 0 ? cc__realloc_array(a->name_zh, c, sizeof(char *)) : NULL;
            if (n4) a->name_zh = n4;
            if (!n1 || !n2 || !n3 || (fzh >= 0 && !n4)) {
                OGR_F_Destroy(f);
                st = cc__fail(ctx, CC_ERR_NOMEM, "Out of memory reading admin areas");
                break;
            }
            cap = c;
        }
        char fb[32];
        snprintf(fb, sizeof(fb), "%lld", (long long)OGR_F_GetFID(f));
        OGRGeometryH gc = OGR_G_Clone(g);
        a->name[a->n] = cc__strdup(fname >= 0 ? OGR_F_GetFieldAsString(f, fname) : fb);
        a->code[a->n] = cc__strdup(fcode >= 0 ? OGR_F_GetFieldAsString(f, fcode) : fb);
        a->geom[a->n] = gc;
        if (fzh >= 0) a->name_zh[a->n] = cc__strdup(OGR_F_GetFieldAsString(f, fzh));
        a->n++;
        if (!a->name[a->n - 1] || !a->code[a->n - 1] || (fzh >= 0 && !a->name_zh[a->n - 1]))
            st = cc__fail(ctx, CC_ERR_NOMEM, "Out of memory reading admin areas");
        else if (!gc || OGR_G_Transform(gc, ct) != OGRERR_NONE)
            st = cc__fail(ctx, CC_ERR_CRS, "Unable to transform area %lld of %s '%s': %s", (long long)OGR_F_GetFID(f), what, path,
                          cc__gdal_msg(ctx));
        OGR_F_Destroy(f);
    }
    if (!st && cc__gdal_failures(ctx))
        st = cc__fail(ctx, CC_ERR_INPUT, "Unable to read layer <%s> of %s '%s' (truncated or corrupt?): %s", OGR_L_GetName(lyr), what, path,
                      cc__gdal_msg(ctx));
    cc__gdal_end(ctx);
    if (st) goto out;
    if (n_bad) cc__warn(ctx, "%s '%s': skipped %zu features that are not polygons", What, path, n_bad);
    if (a->n == 0) st = cc__fail(ctx, CC_ERR_INPUT, "Layer <%s> of %s \'%s\' has no polygons", OGR_L_GetName(lyr), what, path);
    else st = check_admin_geometry(ctx, path, What, !o->may_overlap, a);
out:
    if (ct) OCTDestroyCoordinateTransformation(ct);
    if (dst) OSRDestroySpatialReference(dst);
    cc__close_vector(ds, tmp);
    if (st) cc__admin_free(a);
    return st;
}
