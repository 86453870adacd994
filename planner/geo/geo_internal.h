/*
 * geo_internal.h - geometry below the graph: coordinate reference systems and transforms,
 * raster grids and in-memory rasters, point-in-polygon and segment-in-polygon tests (GEOS).
 * Nothing here reads a file or knows about roads.
 */
#ifndef CC_GEO_INTERNAL_H
#define CC_GEO_INTERNAL_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <gdal.h>
#include <ogr_api.h>
#include <ogr_srs_api.h>

#include "../core/core_internal.h"

/* A north-up raster grid: geotransform and CRS. */
typedef struct cc__grid {
    int w, h;
    double gt[6];
    char *wkt; /* grid CRS */
} cc__grid;

/* Build a spatial reference from user text ("EPSG:32650", WKT, PROJ); traditional GIS order. */
cc_status cc__srs_from_user(cc_ctx *ctx, const char *text, OGRSpatialReferenceH *out);
/* The EPSG code of the WGS84 UTM zone containing lon/lat (32601..32660, 32701..32760). */
int cc__utm_epsg(double lon, double lat);
/* Check that @p srs is projected with metre units. */
/* Warn (naming the CRS and the data's extent) when the data's extent (@p minx.. in @p data_srs)
 * lies outside the area of use PROJ gives for @p crs, by more than 3 degrees; false when warned. */
bool cc__check_area_of_use(cc_ctx *ctx, OGRSpatialReferenceH crs, OGRSpatialReferenceH data_srs, double minx, double miny,
                           double maxx, double maxy, const char *what);
cc_status cc__check_metric(cc_ctx *ctx, OGRSpatialReferenceH srs, const char *label);
/* Name "EPSG:n" of an SRS when it has an authority code, else "custom". */
void cc__srs_name(OGRSpatialReferenceH srs, char *buf, size_t n);
/* Clone a SRS and set OAMS_TRADITIONAL_GIS_ORDER; NULL on failure. */
OGRSpatialReferenceH cc__srs_clone(OGRSpatialReferenceH srs);
/* SRS from WKT (traditional GIS axis order). */
OGRSpatialReferenceH cc__srs_from_wkt(const char *wkt);
/* Points of the CRS @p crs_wkt to WGS84 longitude/latitude, in place (points that fail become NaN). */
cc_status cc__to_lonlat(cc_ctx *ctx, const char *crs_wkt, double *x, double *y, size_t n);
/* A transformation from one CRS to another for the caller's sole use, from a process-wide pool
 * of idle ones (creating one costs PROJ about a millisecond; see ct_pool.c). Each side is given as
 * a handle (the pool key is then its WKT2 and axis order) or as a definition @p src_def / @p dst_def
 * ("EPSG:4326", a WKT; traditional GIS order; the key is the text, and the SRS is only built when
 * the pool has no such transformation; given both, the text is the key and the handle makes the
 * transformation, so the text must describe it). NULL on failure, with GDAL's error set. Thread-safe.
 * Give it back with cc__ct_release, never destroy it. */
OGRCoordinateTransformationH cc__ct_acquire(OGRSpatialReferenceH src, const char *src_def, OGRSpatialReferenceH dst,
                                            const char *dst_def);
void cc__ct_release(OGRCoordinateTransformationH ct);
/* The pool key of an SRS (its WKT2 and axis order; a new string, NULL on failure), to pass as
 * the definition beside the handle when one SRS is used for several transformations. */
char *cc__ct_key(OGRSpatialReferenceH srs);
/* One cell at the centre of a grid (geotransform @p gt, @p w x @p h cells, CRS @p src_wkt), as a
 * box in CRS @p dst_wkt (the cell's outline densified): its width and height. No transformation
 * when either CRS is missing. false when it cannot be transformed. The maps and styles draw
 * demand cells this size (the report from travel_time.tif; siting, which writes none, from
 * summary.json). */
bool cc__grid_cell_size(const double gt[6], int w, int h, const char *src_wkt, const char *dst_wkt, double *cw, double *ch);
/* Transform n points in place (strided arrays). Points that fail become NaN. */
cc_status cc__transform_points(cc_ctx *ctx, OGRCoordinateTransformationH ct, double *x, double *y, size_t n);

/* An in-memory dataset (MEM driver) with no bands; add bands over caller buffers with
 * cc__mem_add_band (no copy, no zeroing). The buffers must outlive the dataset. */
GDALDatasetH cc__mem_dataset(cc_ctx *ctx, int w, int h, const double *gt, const char *wkt);
cc_status cc__mem_add_band(cc_ctx *ctx, GDALDatasetH ds, GDALDataType type, void *data);


#include <ogr_api.h>

/* For each point, the index of the first polygon that contains it (boundary included), or
 * -1. GEOS prepared geometries, one GEOS context per thread, bounding-box pre-filter. */
cc_status cc__points_in_polygons(cc_ctx *ctx, OGRGeometryH *polys, size_t n_polys, const double *x, const double *y, size_t n,
                                 int threads, int32_t *out);

/* Segment i -> i+1 of each way (vertices way_first[w] .. way_first[w+1]-1) gets hit[i] = 1 when
 * it intersects (crosses, touches or lies in) any of the polygons, else 0; hit has one entry per
 * vertex (the last vertex of a way gets 0). Single-threaded; GEOS prepared geometries. */
cc_status cc__segments_in_polygons(cc_ctx *ctx, OGRGeometryH *polys, size_t n_polys, const double *x, const double *y,
                                   const size_t *way_first, size_t n_ways, uint8_t *hit);

#endif
