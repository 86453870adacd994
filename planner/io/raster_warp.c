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
