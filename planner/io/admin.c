/* admin.c - admin areas (townships): polygons with a name and code, in the working CRS. */
#include <stdlib.h>
#include <string.h>

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
    char tmp[4096];
    GDALDatasetH ds = cc__open_vector_enc(ctx, path, "admin area file", o->encoding, NULL, &is_osm, tmp, sizeof(tmp));
    if (!ds) return CC_ERR_IO;
    OGRLayerH lyr = o->layer ? GDALDatasetGetLayerByName(ds, o->layer) : GDALDatasetGetLayer(ds, 0);
    if (!lyr) {
        st = cc__fail(ctx, CC_ERR_INPUT, "Admin area file '%s' has no layer %s", path, o->layer ? o->layer : "");
        goto out;
    }
    OGRFeatureDefnH fd = OGR_L_GetLayerDefn(lyr);
    int fname = OGR_FD_GetFieldIndex(fd, o->name_field ? o->name_field : "name");
    if (!o->name_field && fname < 0) fname = OGR_FD_GetFieldIndex(fd, "名称");
    int fcode = OGR_FD_GetFieldIndex(fd, o->code_field ? o->code_field : "code");
    int fzh = OGR_FD_GetFieldIndex(fd, "name_zh");
    if (o->name_field && fname < 0) {
        st = cc__fail(ctx, CC_ERR_INPUT, "Admin layer <%s> in '%s' has no name field <%s>", OGR_L_GetName(lyr), path, o->name_field);
        goto out;
    }
    if (o->code_field && fcode < 0) {
        st = cc__fail(ctx, CC_ERR_INPUT, "Admin layer <%s> in '%s' has no code field <%s>", OGR_L_GetName(lyr), path, o->code_field);
        goto out;
    }
    OGRSpatialReferenceH ls = OGR_L_GetSpatialRef(lyr);
    if (!ls) {
        st = cc__fail(ctx, CC_ERR_CRS, "Admin layer <%s> in '%s' has no coordinate reference system", OGR_L_GetName(lyr), path);
        goto out;
    }
    OGRSpatialReferenceH src = cc__srs_clone(ls);
    dst = cc__srs_from_wkt(work_wkt);
    cc__gdal_begin(ctx);
    ct = dst ? OCTNewCoordinateTransformation(src, dst) : NULL;
    cc__gdal_end(ctx);
    OSRDestroySpatialReference(src);
    if (!ct) {
        st = cc__fail(ctx, CC_ERR_CRS, "Unable to transform admin areas of '%s' to the working CRS: %s", path, cc__gdal_msg(ctx));
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
            st = cc__fail(ctx, CC_ERR_CRS, "Unable to transform admin area %lld of '%s': %s", (long long)OGR_F_GetFID(f), path,
                          cc__gdal_msg(ctx));
        OGR_F_Destroy(f);
    }
    if (!st && cc__gdal_failures(ctx))
        st = cc__fail(ctx, CC_ERR_INPUT, "Unable to read admin layer <%s> in '%s' (truncated or corrupt?): %s", OGR_L_GetName(lyr), path,
                      cc__gdal_msg(ctx));
    cc__gdal_end(ctx);
    if (st) goto out;
    if (n_bad) cc__warn(ctx, "Admin area file '%s': skipped %zu features that are not polygons", path, n_bad);
    if (a->n == 0) st = cc__fail(ctx, CC_ERR_INPUT, "Admin layer <%s> in '%s' has no polygons", OGR_L_GetName(lyr), path);
out:
    if (ct) OCTDestroyCoordinateTransformation(ct);
    if (dst) OSRDestroySpatialReference(dst);
    cc__close_vector(ds, tmp);
    if (st) cc__admin_free(a);
    return st;
}
