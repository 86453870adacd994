/*
 * cc_roads.h - reading road networks through GDAL/OGR into road records in one metric CRS.
 *
 * Sources: OpenStreetMap .osm.pbf / .osm / .osm.gz through GDAL's OSM driver (tags highway,
 * oneway, surface, maxspeed, junction), or any OGR line layer (GeoPackage, Shapefile, GeoJSON,
 * a PostGIS connection string "PG:...") with a road-class field or a speed field.
 */
#ifndef CC_ROADS_H
#define CC_ROADS_H

#include <stddef.h>
#include <stdint.h>

#include <stdbool.h>

#include "cc_api.h"
#include "cc_ctx.h"

#ifdef __cplusplus
extern "C" {
#endif

/** Opaque road records (ways as polylines in the working CRS, with class, surface, oneway,
 *  maxspeed). Immutable after reading. */
typedef struct cc_roads cc_roads;

/** Options for cc_roads_read(). Zero-initialise; NULL strings mean the default. */
typedef struct cc_roads_opts {
    const char *layer;          /**< layer name; default: "lines" for OSM, else the first layer */
    const char *class_field;    /**< road class field; default "highway" */
    const char *speed_field;    /**< km/h per feature, overrides the profile's class speed */
    const char *oneway_field;   /**< default "oneway" when present */
    const char *surface_field;  /**< default "surface" when present */
    const char *maxspeed_field; /**< default "maxspeed" when present */
    const char *where;          /**< extra OGR attribute filter */
    const char *crs;            /**< working CRS ("EPSG:32650", WKT, PROJ string); NULL: the
                                     UTM zone of the centre of the roads' extent */
    bool use_bbox;              /**< read only the ways that cross @p bbox (needs @p crs); an
                                     empty result is then not an error (0 ways). @since 0.3 */
    double bbox[4];             /**< minx, miny, maxx, maxy in the working CRS, metres */
} cc_roads_opts;

/** Read roads from @p path into the working CRS.
 *  Lines are split into separate ways at multi-part boundaries; consecutive duplicate
 *  vertices are dropped; features without a class (and without a speed field value), empty
 *  or single-vertex lines, and lines with non-finite coordinates are skipped and counted
 *  (one warning per kind).
 *  @param out new roads; caller owns them, free with cc_roads_destroy()
 *  @return CC_OK; CC_ERR_IO (cannot open); CC_ERR_INPUT (no line layer, no class/speed field,
 *  no usable feature); CC_ERR_CRS (no CRS, or @p opts->crs not a metric projected CRS);
 *  CC_ERR_NOMEM. Thread-safe with one ctx per thread. @since 0.1 */
CC_API cc_status cc_roads_read(cc_ctx *ctx, const char *path, const cc_roads_opts *opts, cc_roads **out);

/** Free roads. NULL is a no-op. Not thread-safe for one object (distinct objects: thread-safe). @since 0.1 */
CC_API void cc_roads_destroy(cc_roads *r);

/** Number of ways (polylines) kept. Thread-safe (reads only). @since 0.1 */
CC_API size_t cc_roads_get_way_count(const cc_roads *r);
/** Number of vertices kept. Thread-safe (reads only). @since 0.1 */
CC_API size_t cc_roads_get_vertex_count(const cc_roads *r);
/** Working CRS as WKT (borrowed; valid until the roads are destroyed). Thread-safe (reads only). @since 0.1 */
CC_API const char *cc_roads_get_crs_wkt(const cc_roads *r);
/** Working CRS as "EPSG:n" when it has an EPSG code, else "custom" (borrowed). Thread-safe (reads only). @since 0.1 */
CC_API const char *cc_roads_get_crs_name(const cc_roads *r);

#ifdef __cplusplus
}
#endif

#endif /* CC_ROADS_H */
