/* raster_mem.c - in-memory rasters (GDAL MEM driver) over the caller's buffers, for GDAL's
 * algorithms (polygonize) and for copies into files; no file is read or written here. */
#include <stdio.h>

#include "geo_internal.h"

GDALDatasetH cc__mem_dataset(cc_ctx *ctx, int w, int h, const double *gt, const char *wkt)
{
    cc__gdal_init();
    cc__gdal_begin(ctx);
    GDALDriverH mdrv = GDALGetDriverByName("MEM");
    GDALDatasetH ds = mdrv ? GDALCreate(mdrv, "", w, h, 0, GDT_Byte, NULL) : NULL;
    if (ds) {
        GDALSetGeoTransform(ds, (double *)gt);
        if (wkt) GDALSetProjection(ds, wkt);
    }
    cc__gdal_end(ctx);
    if (!ds) cc__fail(ctx, CC_ERR_INTERNAL, "Unable to create an in-memory raster: %s", cc__gdal_msg(ctx));
    return ds;
}

cc_status cc__mem_add_band(cc_ctx *ctx, GDALDatasetH ds, GDALDataType type, void *data)
{
    char ptr[64];
    snprintf(ptr, sizeof(ptr), "DATAPOINTER=%p", data);
    const char *opts[] = {ptr, NULL};
    cc__gdal_begin(ctx);
    CPLErr e = GDALAddBand(ds, type, (char **)opts);
    cc__gdal_end(ctx);
    if (e != CE_None) return cc__fail(ctx, CC_ERR_INTERNAL, "Unable to add an in-memory band: %s", cc__gdal_msg(ctx));
    return CC_OK;
}

