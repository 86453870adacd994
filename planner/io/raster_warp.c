/*
 * raster_warp.c - rasters and barrier layers onto the working grid of the off-road model.
 *
 * A raster on exactly the working grid (same size, geotransform and CRS) is read cell for
 * cell, without resampling. Any other raster (or a list of tiles, mosaicked) is warped with
 * GDALWarp to the grid with the resampling the caller names: bilinear for elevation, average
 * for cover fractions and friction, mode for land-cover classes. Nodata becomes NaN.
 * Barrier layers (water) are burnt with ALL_TOUCHED, so that a line is a 4-connected chain of
 * cells that no move of the search can jump (see friction_internal.h).
 */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <gdal_alg.h>
#include <gdal_utils.h>

#include "raster_warp_internal.h"

static bool same_grid(GDALDatasetH ds, const cc__grid *g)
{
    double gt[6];
    if (GDALGetRasterXSize(ds) != g->w || GDALGetRasterYSize(ds) != g->h) return false;
    if (GDALGetGeoTransform(ds, gt) != CE_None) return false;
    double res = fabs(g->gt[1]);
    for (int i = 0; i < 6; i++)
        if (fabs(gt[i] - g->gt[i]) > 1e-6 * res) return false;
    const char *wkt = GDALGetProjectionRef(ds);
    if (!wkt || !*wkt || !g->wkt) return false;
    OGRSpatialReferenceH a = OSRNewSpatialReference(wkt), b = OSRNewSpatialReference(g->wkt);
    bool same = a && b && OSRIsSame(a, b);
    OSRDestroySpatialReference(a);
    OSRDestroySpatialReference(b);
    return same;
}

/* Split a comma list of paths; returns the count (at most max). */
static size_t split_paths(char *buf, char **out, size_t max)
{
    size_t n = 0;
    char *save = NULL;
    for (char *t = strtok_r(buf, ",", &save); t && n < max; t = strtok_r(NULL, ",", &save)) {
        while (*t == ' ') t++;
        if (*t) out[n++] = t;
    }
    return n;
}

cc_status cc__raster_to_grid(cc_ctx *ctx, const char *paths, const char *what, const cc__grid *g, const char *resampling, float *out,
                             bool *cell_for_cell)
{
    cc__gdal_init();
    char *buf = cc__strdup(paths);
    if (!buf) return cc__fail(ctx, CC_ERR_NOMEM, "Out of memory");
    char *names[64];
    size_t n = split_paths(buf, names, 64);
    GDALDatasetH src[64] = {0};
    cc_status st = CC_OK;
    if (cell_for_cell) *cell_for_cell = false;
    if (n == 0) st = cc__fail(ctx, CC_ERR_PARAM, "No file given for the %s raster", what);
    for (size_t i = 0; i < n && !st; i++) {
        cc__gdal_begin(ctx);
        src[i] = GDALOpenEx(names[i], GDAL_OF_RASTER | GDAL_OF_READONLY, NULL, NULL, NULL);
        cc__gdal_end(ctx);
        if (!src[i])
            st = cc__fail(ctx, CC_ERR_IO, "Unable to open %s raster '%s': %s", what, names[i], cc__gdal_msg(ctx));
        else if (GDALGetRasterCount(src[i]) < 1)
            st = cc__fail(ctx, CC_ERR_INPUT, "%s raster '%s' has no band", what, names[i]);
        else if (!GDALGetProjectionRef(src[i]) || !*GDALGetProjectionRef(src[i]))
            st = cc__fail(ctx, CC_ERR_INPUT, "%s raster '%s' has no CRS", what, names[i]);
    }
    const size_t ncell = (size_t)g->w * g->h;
    if (!st) { /* pre-flight: cell sizes more than 10 times apart (degrees taken as 111 km) */
        double sgt[6];
        OGRSpatialReferenceH a = OSRNewSpatialReference(GDALGetProjectionRef(src[0])), b = OSRNewSpatialReference(g->wkt);
        if (a && b && GDALGetGeoTransform(src[0], sgt) == CE_None) {
            double ra = fabs(sgt[1]) * (OSRIsGeographic(a) ? 111320.0 : OSRGetLinearUnits(a, NULL));
            double rb = fabs(g->gt[1]) * (OSRIsGeographic(b) ? 111320.0 : OSRGetLinearUnits(b, NULL));
            if (ra > 10 * rb || rb > 10 * ra)
                cc__warn(ctx, "%s raster '%s' has cells of about %.0f m, the working grid %.0f m: more than 10 times apart", what, names[0],
                         ra, rb);
        }
        if (a) OSRDestroySpatialReference(a);
        if (b) OSRDestroySpatialReference(b);
    }
    if (!st && n == 1 && same_grid(src[0], g)) {
        GDALRasterBandH b = GDALGetRasterBand(src[0], 1);
        int has_nd = 0;
        double nd = GDALGetRasterNoDataValue(b, &has_nd);
        cc__gdal_begin(ctx);
        CPLErr e = GDALRasterIO(b, GF_Read, 0, 0, g->w, g->h, out, g->w, g->h, GDT_Float32, 0, 0);
        cc__gdal_end(ctx);
        if (e != CE_None) {
            st = cc__fail(ctx, CC_ERR_IO, "Unable to read %s raster '%s': %s", what, names[0], cc__gdal_msg(ctx));
        } else {
            if (has_nd)
                for (size_t i = 0; i < ncell; i++)
                    if (out[i] == (float)nd) out[i] = NAN;
            if (cell_for_cell) *cell_for_cell = true;
        }
    } else if (!st) {
        for (size_t i = 0; i < ncell; i++) out[i] = NAN;
        GDALDatasetH dst = cc__mem_dataset(ctx, g->w, g->h, g->gt, g->wkt);
        if (!dst) st = CC_ERR_INTERNAL;
        if (!st && !(st = cc__mem_add_band(ctx, dst, GDT_Float32, out))) {
            GDALSetRasterNoDataValue(GDALGetRasterBand(dst, 1), NAN);
            char *argv[] = {"-r", (char *)resampling, "-dstnodata", "nan", NULL}; /* dst pre-filled with NaN: no INIT_DEST, which would
                                                                                 * blank the overlap of earlier tiles */
            cc__gdal_begin(ctx);
            GDALWarpAppOptions *wo = GDALWarpAppOptionsNew(argv, NULL);
            int err = 0;
            GDALDatasetH r = wo ? GDALWarp(NULL, dst, (int)n, src, wo, &err) : NULL;
            GDALWarpAppOptionsFree(wo);
            cc__gdal_end(ctx);
            if (!r || err) st = cc__fail(ctx, CC_ERR_INPUT, "Unable to warp %s raster '%s' to the working grid: %s", what, paths, cc__gdal_msg(ctx));
            else GDALFlushCache(dst);
        }
        if (dst) GDALClose(dst);
    }
    for (size_t i = 0; i < n; i++)
        if (src[i]) GDALClose(src[i]);
    free(buf);
    return st;
}

cc_status cc__barriers_to_grid(cc_ctx *ctx, const char *path, const cc__grid *g, uint8_t *out, size_t *n_features,
                               size_t *n_passable)
{
    cc__gdal_init();
    memset(out, 0, (size_t)g->w * g->h);
    *n_features = 0;
    *n_passable = 0;
    cc__gdal_begin(ctx);
    GDALDatasetH src = GDALOpenEx(path, GDAL_OF_VECTOR | GDAL_OF_READONLY, NULL, NULL, NULL);
    cc__gdal_end(ctx);
    if (!src) return cc__fail(ctx, CC_ERR_IO, "Unable to open water file '%s': %s", path, cc__gdal_msg(ctx));
    cc_status st = CC_OK;
    int nl = GDALDatasetGetLayerCount(src);
    if (nl < 1) st = cc__fail(ctx, CC_ERR_INPUT, "Water file '%s' has no vector layer", path);
    OGRLayerH layers[64];
    int n_use = 0;
    for (int i = 0; i < nl && i < 64 && !st; i++) {
        OGRLayerH l = GDALDatasetGetLayer(src, i);
        if (!OGR_L_GetSpatialRef(l)) {
            st = cc__fail(ctx, CC_ERR_INPUT, "Water file '%s' layer '%s' has no CRS", path, OGR_L_GetName(l));
            break;
        }
        if (OGR_FD_GetFieldIndex(OGR_L_GetLayerDefn(l), "waterway") >= 0) {
            cc__gdal_begin(ctx);
            OGRErr e = OGR_L_SetAttributeFilter(l, "waterway IN (" CC__PASSABLE_WATERWAYS ")");
            if (e == OGRERR_NONE) *n_passable += (size_t)OGR_L_GetFeatureCount(l, 1);
            if (e == OGRERR_NONE)
                e = OGR_L_SetAttributeFilter(l, "waterway IS NULL OR waterway NOT IN (" CC__PASSABLE_WATERWAYS ")");
            cc__gdal_end(ctx);
            if (e != OGRERR_NONE) {
                st = cc__fail(ctx, CC_ERR_INPUT, "Water file '%s' layer '%s': unable to select waterways by class: %s", path,
                              OGR_L_GetName(l), cc__gdal_msg(ctx));
                break;
            }
        }
        *n_features += (size_t)OGR_L_GetFeatureCount(l, 1);
        layers[n_use++] = l;
    }
    GDALDatasetH dst = NULL;
    if (!st) {
        dst = cc__mem_dataset(ctx, g->w, g->h, g->gt, g->wkt);
        if (!dst) st = CC_ERR_INTERNAL;
    }
    if (!st && !(st = cc__mem_add_band(ctx, dst, GDT_Byte, out))) {
        int band = 1;
        double burn = 1.0;
        char *opts[] = {"ALL_TOUCHED=TRUE", NULL};
        cc__gdal_begin(ctx);
        CPLErr e = GDALRasterizeLayers(dst, 1, &band, n_use, layers, NULL, NULL, &burn, opts, NULL, NULL);
        cc__gdal_end(ctx);
        if (e != CE_None) st = cc__fail(ctx, CC_ERR_INPUT, "Unable to rasterise water file '%s': %s", path, cc__gdal_msg(ctx));
        else GDALFlushCache(dst);
    }
    if (dst) GDALClose(dst);
    GDALClose(src);
    return st;
}

/* Great-circle metres between two lon/lat points (mean Earth radius 6371008.8 m). */
static double haversine_m(double lon0, double lat0, double lon1, double lat1)
{
    const double d2r = M_PI / 180.0;
    double dlat = (lat1 - lat0) * d2r, dlon = (lon1 - lon0) * d2r;
    double a = sin(dlat / 2) * sin(dlat / 2) + cos(lat0 * d2r) * cos(lat1 * d2r) * sin(dlon / 2) * sin(dlon / 2);
    return 2.0 * 6371008.8 * asin(sqrt(a < 1 ? a : 1));
}

cc_status cc__lines_ends_to_grid(cc_ctx *ctx, const char *path, const char *what, const cc__grid *g, size_t *n, double **ends,
                                 double **len_m)
{
    cc__gdal_init();
    *n = 0;
    *ends = NULL;
    *len_m = NULL;
    cc__gdal_begin(ctx);
    GDALDatasetH src = GDALOpenEx(path, GDAL_OF_VECTOR | GDAL_OF_READONLY, NULL, NULL, NULL);
    cc__gdal_end(ctx);
    if (!src) return cc__fail(ctx, CC_ERR_IO, "Unable to open %s file '%s': %s", what, path, cc__gdal_msg(ctx));
    cc_status st = CC_OK;
    size_t cap = 0;
    OGRSpatialReferenceH ll = OSRNewSpatialReference(NULL), gs = cc__srs_from_wkt(g->wkt);
    OSRImportFromEPSG(ll, 4326);
    OSRSetAxisMappingStrategy(ll, OAMS_TRADITIONAL_GIS_ORDER);
    if (!gs) st = cc__fail(ctx, CC_ERR_INTERNAL, "Unable to read the CRS of the working grid");
    OGRCoordinateTransformationH to_grid = gs ? OCTNewCoordinateTransformation(ll, gs) : NULL;
    if (!st && !to_grid) st = cc__fail(ctx, CC_ERR_INPUT, "No transformation from WGS84 to the population raster's CRS");
    int nl = GDALDatasetGetLayerCount(src);
    for (int i = 0; i < nl && !st; i++) {
        OGRLayerH l = GDALDatasetGetLayer(src, i);
        OGRSpatialReferenceH ls = OGR_L_GetSpatialRef(l);
        if (!ls) {
            st = cc__fail(ctx, CC_ERR_INPUT, "%s file '%s' layer '%s' has no CRS", what, path, OGR_L_GetName(l));
            break;
        }
        OGRCoordinateTransformationH to_ll = OCTNewCoordinateTransformation(ls, ll);
        if (!to_ll) {
            st = cc__fail(ctx, CC_ERR_INPUT, "%s file '%s' layer '%s': no transformation to WGS84", what, path, OGR_L_GetName(l));
            break;
        }
        OGR_L_ResetReading(l);
        OGRFeatureH ft;
        while (!st && (ft = OGR_L_GetNextFeature(l))) {
            OGRGeometryH geom = OGR_F_GetGeometryRef(ft);
            OGRwkbGeometryType t = geom ? wkbFlatten(OGR_G_GetGeometryType(geom)) : wkbUnknown;
            if (t != wkbLineString && t != wkbMultiLineString) {
                OGR_F_Destroy(ft);
                continue;
            }
            OGRGeometryH c = OGR_G_Clone(geom);
            if (OGR_G_Transform(c, to_ll) != OGRERR_NONE) {
                OGR_G_DestroyGeometry(c);
                OGR_F_Destroy(ft);
                st = cc__fail(ctx, CC_ERR_INPUT, "%s file '%s': unable to transform feature %lld to WGS84", what, path,
                              (long long)OGR_F_GetFID(ft));
                break;
            }
            int np = t == wkbLineString ? 1 : OGR_G_GetGeometryCount(c);
            double len = 0, e[4] = {NAN, NAN, NAN, NAN};
            for (int k = 0; k < np; k++) {
                OGRGeometryH part = t == wkbLineString ? c : OGR_G_GetGeometryRef(c, k);
                int m = OGR_G_GetPointCount(part);
                for (int j = 1; j < m; j++)
                    len += haversine_m(OGR_G_GetX(part, j - 1), OGR_G_GetY(part, j - 1), OGR_G_GetX(part, j), OGR_G_GetY(part, j));
                if (m > 0 && isnan(e[0])) {
                    e[0] = OGR_G_GetX(part, 0);
                    e[1] = OGR_G_GetY(part, 0);
                }
                if (m > 0) {
                    e[2] = OGR_G_GetX(part, m - 1);
                    e[3] = OGR_G_GetY(part, m - 1);
                }
            }
            OGR_G_DestroyGeometry(c);
            OGR_F_Destroy(ft);
            if (isnan(e[0])) continue;
            double x[2] = {e[0], e[2]}, y[2] = {e[1], e[3]};
            if ((st = cc__transform_points(ctx, to_grid, x, y, 2))) break;
            if (*n == cap) {
                size_t nc = cap ? 2 * cap : 16;
                double *ne = cc__realloc_array(*ends, nc * 4, sizeof(double)), *nl2 = ne ? cc__realloc_array(*len_m, nc, sizeof(double)) : NULL;
                if (ne) *ends = ne;
                if (nl2) *len_m = nl2;
                if (!ne || !nl2) {
                    st = cc__fail(ctx, CC_ERR_NOMEM, "Out of memory reading %s file '%s'", what, path);
                    break;
                }
                cap = nc;
            }
            double *q = *ends + 4 * *n;
            for (int k = 0; k < 2; k++) {
                q[2 * k] = (x[k] - g->gt[0]) / g->gt[1];
                q[2 * k + 1] = (y[k] - g->gt[3]) / g->gt[5];
            }
            (*len_m)[(*n)++] = len;
        }
        OCTDestroyCoordinateTransformation(to_ll);
    }
    if (to_grid) OCTDestroyCoordinateTransformation(to_grid);
    if (gs) OSRDestroySpatialReference(gs);
    OSRDestroySpatialReference(ll);
    GDALClose(src);
    if (st) {
        free(*ends);
        free(*len_m);
        *ends = NULL;
        *len_m = NULL;
        *n = 0;
    }
    return st;
}
