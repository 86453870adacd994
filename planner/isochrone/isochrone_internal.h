/* isochrone_internal.h - polygons from travel times on a grid. */
#ifndef CC_ISOCHRONE_INTERNAL_H
#define CC_ISOCHRONE_INTERNAL_H

#include "../geo/geo_internal.h"

/* Polygonize a class raster: @p cls holds w*h values, 1..n_class for cells of a class, 0 for
 * none. Produces one (Multi)Polygon per class (NULL when the class is empty), in the working
 * CRS @p work_wkt (owned by the caller, free with OGR_G_DestroyGeometry). Uses GDALPolygonize
 * on an in-memory raster, 4-connected. */
cc_status cc__polygonize(cc_ctx *ctx, const cc__grid *grid, const int32_t *cls, int32_t n_class, const char *work_wkt,
                         OGRGeometryH *out);

#endif
