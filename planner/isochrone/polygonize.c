/*
 * polygonize.c - band and catchment polygons from a class raster.
 *
 * GDALPolygonize traces the boundaries of 4-connected regions of equal value in one pass
 * over the raster; the polygons of one class are gathered into one MultiPolygon (regions of
 * a class touch at most at corners, so the collection is valid without a union).
 */
#include <stdlib.h>
#include <string.h>

#include <gdal_alg.h>

#include "../core/omp_internal.h"
#include "isochrone_internal.h"

cc_status cc__polygonize(cc_ctx *ctx, const cc__grid *grid, const int32_t *cls, int32_t n_class, const char *work_wkt,
                         OGRGeometryH *out)
{
    cc_status st = CC_OK;
    GDALDatasetH mem = NULL, vds = NULL;
    OGRSpatialReferenceH gsrs = NULL, wsrs = NULL;
    OGRCoordinateTransformationH ct = NULL;
    uint8_t *mask = NULL;
    size_t n = (size_t)grid->w * (size_t)grid->h;

    for (int32_t k = 0; k < n_class; k++) out[k] = NULL;
    cc__gdal_init();
    if (!(mask = cc__malloc_array(n, 1))) return cc__fail(ctx, CC_ERR_NOMEM, "Out of memory polygonizing");
    for (size_t i = 0; i < n; i++) mask[i] = cls[i] > 0 ? 255 : 0;

    if (!(mem = cc__mem_dataset(ctx, grid->w, grid->h, grid->gt, NULL)) ||
        (st = cc__mem_add_band(ctx, mem, GDT_Int32, (void *)cls)) || (st = cc__mem_add_band(ctx, mem, GDT_Byte, mask))) {
        if (!st) st = CC_ERR_INTERNAL;
        goto out_nogdal;
    }
    cc__gdal_begin(ctx);
    GDALDriverH vdrv = GDALGetDriverByName("Memory");
    vds = vdrv ? GDALCreate(vdrv, "", 0, 0, 0, GDT_Unknown, NULL) : NULL;
    if (!vds) {
        st = cc__fail(ctx, CC_ERR_INTERNAL, "Unable to create an in-memory layer: %s", cc__gdal_msg(ctx));
        goto out;
    }
    GDALRasterBandH b1 = GDALGetRasterBand(mem, 1), b2 = GDALGetRasterBand(mem, 2);
    OGRLayerH lyr = GDALDatasetCreateLayer(vds, "poly", NULL, wkbPolygon, NULL);
    OGRFieldDefnH fdef = OGR_Fld_Create("cls", OFTInteger);
    OGR_L_CreateField(lyr, fdef, TRUE);
    OGR_Fld_Destroy(fdef);
    if (GDALPolygonize(b1, b2, lyr, 0, NULL, cc__gdal_progress, ctx) != CE_None) {
        if (cc__interrupted(ctx))
            st = cc__fail(ctx, CC_ERR_INTERRUPTED, "Interrupted while tracing polygons");
        else
            st = cc__fail(ctx, CC_ERR_INTERNAL, "Polygonizing travel times failed: %s", cc__gdal_msg(ctx));
        goto out;
    }
    gsrs = cc__srs_from_wkt(grid->wkt);
    wsrs = cc__srs_from_wkt(work_wkt);
    if (gsrs && wsrs && !OSRIsSame(gsrs, wsrs)) ct = OCTNewCoordinateTransformation(gsrs, wsrs);
    OGR_L_ResetReading(lyr);
    OGRFeatureH f;
    while ((f = OGR_L_GetNextFeature(lyr))) {
        int k = OGR_F_GetFieldAsInteger(f, 0);
        OGRGeometryH g = OGR_F_StealGeometry(f);
        OGR_F_Destroy(f);
        if (!g || k < 1 || k > n_class) {
            if (g) OGR_G_DestroyGeometry(g);
            continue;
        }
        if (!out[k - 1]) out[k - 1] = OGR_G_CreateGeometry(wkbMultiPolygon);
        OGR_G_AddGeometryDirectly(out[k - 1], g);
    }
    for (int32_t k = 0; k < n_class && !st; k++)
        if (out[k] && ct && OGR_G_Transform(out[k], ct) != OGRERR_NONE)
            st = cc__fail(ctx, CC_ERR_CRS, "Unable to transform polygons to the working CRS: %s", cc__gdal_msg(ctx));
out:
    cc__gdal_end(ctx);
out_nogdal:
    if (st)
        for (int32_t k = 0; k < n_class; k++)
            if (out[k]) {
                OGR_G_DestroyGeometry(out[k]);
                out[k] = NULL;
            }
    if (ct) OCTDestroyCoordinateTransformation(ct);
    if (gsrs) OSRDestroySpatialReference(gsrs);
    if (wsrs) OSRDestroySpatialReference(wsrs);
    if (mem) GDALClose(mem);
    if (vds) GDALClose(vds);
    free(mask);
    return st;
}
