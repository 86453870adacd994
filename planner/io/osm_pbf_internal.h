/* osm_pbf_internal.h - the OSM .pbf road reader (osm_pbf.c) and what it shares with roads.c. */
#ifndef CC_OSM_PBF_INTERNAL_H
#define CC_OSM_PBF_INTERNAL_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "io_internal.h"

typedef struct cc__osm_pbf_stats {
    size_t blocks, ways, nodes, nodes_missing, bytes_per_node;
    size_t n_features, skip_no_class, skip_short; /* as roads.c counts GDAL's features */
    double ext[4];                                /* lon/lat extent of the kept vertices */
    bool unsupported;                             /* a feature of the file this reader leaves to GDAL */
} cc__osm_pbf_stats;

/* Whether .pbf @p path with options @p o is read by osm_pbf.c (not GDAL): a .pbf path outside /vsi,
 * no OGR-only option (layer, where, speed/oneway/surface/maxspeed fields, a class field other than
 * highway; a window is fine: applied as GDAL's spatial filter is), and CARECIRCLE_OSM_READER not
 * "gdal". */
bool cc__osm_pbf_applies(const char *path, const cc_roads_opts *o);

/* Read the roads of @p path (longitude/latitude, then projected as roads.c does). When the file
 * uses what this reader does not know (another compression, an unknown required feature), or is
 * not a regular file, *fallback is set and CC_OK returned with *out NULL: read it with GDAL. */
cc_status cc__osm_pbf_read(cc_ctx *ctx, const char *path, const cc_roads_opts *o, cc_roads **out, bool *fallback);

/* Decode the PBF bytes @p buf into road records @p r (longitude/latitude, not projected; @p r
 * initialised and empty). @p path names the input in messages. On failure stats->unsupported tells
 * a file that GDAL may read from a broken one (then no error is recorded in @p ctx). */
cc_status cc__osm_pbf_decode(cc_ctx *ctx, const char *path, const uint8_t *buf, size_t len, cc_roads *r,
                             cc__osm_pbf_stats *stats);

/* Forget the parsed file that cc__osm_pbf_read keeps for the next read of the same file (benchmarks
 * of a cold read; memory back). */
void cc__osm_pbf_cache_clear(void);

/* roads.c: project lon/lat records @p r (extent @p ext: minx, miny, maxx, maxy in @p src) to the
 * working CRS, dropping ways that fail to transform. */
cc_status cc__roads_project(cc_ctx *ctx, cc_roads *r, const char *path, OGRSpatialReferenceH src, const double ext[4],
                            const cc_roads_opts *o);

/* gdal_util.c: an OSM oneway value as CC__ONEWAY_*. */
uint8_t cc__parse_oneway(const char *s);

#endif
