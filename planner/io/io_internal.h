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
#include "../core/strtab_internal.h"

enum { CC__ONEWAY_UNSET = 0, CC__ONEWAY_FWD = 1, CC__ONEWAY_BWD = 2, CC__ONEWAY_NO = 3 };

/* Scenario status of a way (cc_roads.status; NULL means every way is CC__WAY_BASE). Closed and
 * replaced ways stay in the records (for maps and the roads layer) but are never driven on. */
enum { CC__WAY_BASE = 0, CC__WAY_CLOSED = 1, CC__WAY_ADDED = 2, CC__WAY_REPLACED = 3 };

struct cc_roads {
    size_t n_ways, n_vertices;
    size_t *way_first;      /* n_ways + 1: vertices of way w are way_first[w] .. way_first[w+1]-1 */
    double *x, *y;          /* vertices in the working CRS, metres */
    uint32_t *cls;          /* road class string id (CC__NO_STRING when a speed field is used) */
    uint32_t *surface;      /* surface string id or CC__NO_STRING */
    float *maxspeed_kmh;    /* posted maxspeed, 0 when none or unparseable */
    float *speed_kmh;       /* from the speed field; < 0 when absent */
    uint8_t *oneway;        /* CC__ONEWAY_* */
    uint8_t *roundabout;    /* junction=roundabout */
    int64_t *way_id;        /* OSM id, or the OGR feature id */
    uint8_t *status;        /* CC__WAY_*, or NULL (all base): set by scenario edits (roads_edit.c) */
    cc__strtab strings;     /* classes and surfaces */
    char *crs_wkt;
    char crs_name[32];
    size_t cap_ways, cap_vertices;
};

/* Open a vector dataset; OSM files get carecircle's own osmconf (tags as fields). */
GDALDatasetH cc__open_vector(cc_ctx *ctx, const char *path, const char *what, bool *is_osm);

/* Build a spatial reference from user text ("EPSG:32650", WKT, PROJ); traditional GIS order. */
cc_status cc__srs_from_user(cc_ctx *ctx, const char *text, OGRSpatialReferenceH *out);
/* The EPSG code of the WGS84 UTM zone containing lon/lat (32601..32660, 32701..32760). */
int cc__utm_epsg(double lon, double lat);
/* Check that @p srs is projected with metre units. */
cc_status cc__check_metric(cc_ctx *ctx, OGRSpatialReferenceH srs, const char *label);
/* Name "EPSG:n" of an SRS when it has an authority code, else "custom". */
void cc__srs_name(OGRSpatialReferenceH srs, char *buf, size_t n);
/* Clone a SRS and set OAMS_TRADITIONAL_GIS_ORDER; NULL on failure. */
OGRSpatialReferenceH cc__srs_clone(OGRSpatialReferenceH srs);
/* SRS from WKT (traditional GIS axis order). */
OGRSpatialReferenceH cc__srs_from_wkt(const char *wkt);
/* Transform n points in place (strided arrays). Points that fail become NaN. */
cc_status cc__transform_points(cc_ctx *ctx, OGRCoordinateTransformationH ct, double *x, double *y, size_t n);

/* "a, b, c" list of the field names of a layer definition ("none" when there are none). */
void cc__list_fields(OGRFeatureDefnH fd, char *buf, size_t n);

/* Read a whole text file (NUL-terminated) into a new buffer. */
cc_status cc__read_text_file(cc_ctx *ctx, const char *path, const char *what, char **text, size_t *len);

/* Parse an OSM maxspeed value ("50", "30 mph", "RU:rural"...) in km/h; 0 when unusable. */
double cc__parse_maxspeed(const char *s);

#endif
