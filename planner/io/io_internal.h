/* io_internal.h - road records and GDAL helpers shared by the readers and writers. */
#ifndef CC_IO_INTERNAL_H
#define CC_IO_INTERNAL_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <gdal.h>
#include <ogr_api.h>
#include <ogr_srs_api.h>

#include "carecircle/cc_roads.h"
#include "../core/core_internal.h"
#include "../geo/geo_internal.h"
#include "../graph/roads_internal.h"

/* Refuse named pipes, devices and sockets by type before anything opens them (an open() of a FIFO
 * waits for a writer for ever); other paths (missing, /vsi..., PG:...) pass to the opener. */
cc_status cc__input_check(cc_ctx *ctx, const char *path, const char *what);

/* Open a vector dataset; OSM files get carecircle's own osmconf (tags as fields). */
GDALDatasetH cc__open_vector(cc_ctx *ctx, const char *path, const char *what, bool *is_osm);

/* CSV open options naming the usual coordinate columns (lon/lat, longitude/latitude, 经度/纬度). */
extern const char *const cc__csv_default_oo[];

/* Text encodings (encoding.c): UTF-8 and GB18030 byte structure; the detected encoding of a
 * text ("UTF-8", "GB18030") or NULL when it is neither. */
bool cc__utf8_valid(const char *s, size_t n);
bool cc__gb18030_valid(const char *s, size_t n);
const char *cc__detect_encoding(const char *s, size_t n);

/* Open a vector dataset like cc__open_vector, decoding the text of CSV files and shapefiles
 * from @p encoding (NULL or "auto": detected among UTF-8, UTF-8 with BOM and GBK/GB18030, one
 * warning and Latin-1 when neither fits). @p csv_oo: CSV open options (NULL: the default
 * coordinate names). A decoded CSV is a /vsimem copy whose path is left in @p tmp; close
 * with cc__close_vector(ds, tmp). */
GDALDatasetH cc__open_vector_enc(cc_ctx *ctx, const char *path, const char *what, const char *encoding, const char *const *csv_oo,
                                 bool *is_osm, char *tmp, size_t ntmp);
void cc__close_vector(GDALDatasetH ds, const char *tmp);

/* "a, b, c" list of the field names of a layer definition ("none" when there are none). */
void cc__list_fields(OGRFeatureDefnH fd, char *buf, size_t n);

/* Read a whole text file (NUL-terminated) into a new buffer. */
cc_status cc__read_text_file(cc_ctx *ctx, const char *path, const char *what, char **text, size_t *len);

/* Parse an OSM maxspeed value ("50", "30 mph", "RU:rural"...) in km/h; 0 when unusable. */
double cc__parse_maxspeed(const char *s);

/* The road window o->bbox (working CRS o->crs) as bounds in @p dst, edges densified so that the
 * rectangle holds the whole window (roads.c's filter and osm_pbf.c's lon/lat window). */
cc_status cc__roads_window_bounds(cc_ctx *ctx, const cc_roads_opts *o, OGRSpatialReferenceH dst, const char *path, double *x0,
                                  double *y0, double *x1, double *y1);

#endif
