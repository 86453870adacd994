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

/* "a, b, c" list of the field names of a layer definition ("none" when there are none). */
void cc__list_fields(OGRFeatureDefnH fd, char *buf, size_t n);

/* Read a whole text file (NUL-terminated) into a new buffer. */
cc_status cc__read_text_file(cc_ctx *ctx, const char *path, const char *what, char **text, size_t *len);

/* Parse an OSM maxspeed value ("50", "30 mph", "RU:rural"...) in km/h; 0 when unusable. */
double cc__parse_maxspeed(const char *s);

#endif
