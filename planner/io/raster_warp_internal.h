/* raster_warp_internal.h - rasters and barrier layers onto the working grid (off-road model). */
#ifndef CC_RASTER_WARP_INTERNAL_H
#define CC_RASTER_WARP_INTERNAL_H

#include <stdbool.h>

#include "io_internal.h"

/* Band 1 of @p paths (one raster, or a comma list of tiles mosaicked) on grid @p g, as float,
 * nodata and cells outside every raster NaN. A raster on exactly the grid is read cell for cell
 * (*cell_for_cell = true, may be NULL); others are warped with GDAL resampling @p resampling
 * ("bilinear", "average", "mode", "near"). @p what names the input in messages ("DEM"). */
cc_status cc__raster_to_grid(cc_ctx *ctx, const char *paths, const char *what, const cc__grid *g, const char *resampling, float *out,
                             bool *cell_for_cell);

/* The waterway classes that do not bar walkers: small waterways one wades or jumps (OSM wiki,
 * waterway=stream / ditch / drain), as an OGR SQL list for an attribute filter. */
#define CC__PASSABLE_WATERWAYS "'stream','ditch','drain'"

/* The barrier features of every layer of @p path burnt as 1 into @p out (w*h bytes, others 0), all
 * cells touched: every feature, except that in a layer with a `waterway` field the features whose
 * waterway is one of CC__PASSABLE_WATERWAYS are passable and left out (*n_passable counts them).
 * *n_features counts the barriers. */
cc_status cc__barriers_to_grid(cc_ctx *ctx, const char *path, const cc__grid *g, uint8_t *out, size_t *n_features,
                               size_t *n_passable);

/* The lines of every layer of @p path (e.g. OSM route=ferry): *n of them, their two ends in pixel
 * coordinates (column, row) of grid @p g as (*ends)[4i .. 4i+3] = start column, row, end column,
 * row, and their great-circle lengths in metres (*len_m). Other geometries are skipped. @p what
 * names the input in messages ("ferry"). Caller frees *ends and *len_m. */
cc_status cc__lines_ends_to_grid(cc_ctx *ctx, const char *path, const char *what, const cc__grid *g, size_t *n, double **ends,
                                 double **len_m);

#endif
