/* gdal_util.c - opening vector datasets (OSM with carecircle's osmconf), text files, field lists. */
#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/stat.h>

#include <cpl_conv.h>
#include <cpl_string.h>
#include <cpl_vsi.h>

#include "io_internal.h"
#include "osm_pbf_internal.h"

/* carecircle's OSM driver configuration: the road tags become fields of the "lines" layer
 * instead of being buried in other_tags. Written once to /vsimem. */
static const char osmconf[] =
    "closed_ways_are_polygons=aeroway,amenity,boundary,building,craft,geological,historic,landuse,"
    "leisure,military,natural,office,place,shop,sport,tourism,highway=platform,public_transport=platform\n"
    "report_all_nodes=no\nreport_all_ways=no\n"
    "[points]\nosm_id=yes\nattributes=name,amenity,healthcare,emergency\n"
    "[lines]\nosm_id=yes\nattributes=name,highway,oneway,surface,maxspeed,junction,tracktype\n"
    "[multipolygons]\nosm_id=yes\nattributes=name,boundary,admin_level,amenity,healthcare\n"
    "[multilinestrings]\nosm_id=yes\nattributes=name,type\n"
    "[other_relations]\nosm_id=yes\nattributes=name,type\n";

#define OSMCONF_PATH "/vsimem/carecircle/osmconf.ini"

static void ensure_osmconf(void)
{
    static int done;
#ifdef _OPENMP
#pragma omp critical(cc_osmconf)
#endif
    {
        if (!done) {
            VSILFILE *f = VSIFileFromMemBuffer(OSMCONF_PATH, (GByte *)osmconf, sizeof(osmconf) - 1, FALSE);
            if (f) VSIFCloseL(f);
            done = 1;
        }
    }
}

/* The CSV open options for files whose coordinate columns are not named: the usual English
 * names and the Chinese 经度 (longitude) / 纬度 (latitude). */
const char *const cc__csv_default_oo[] = {
    "X_POSSIBLE_NAMES=lon,longitude,lng,long,x,X,Lon,Longitude,LON,LONGITUDE,经度,东经",
    "Y_POSSIBLE_NAMES=lat,latitude,y,Y,Lat,Latitude,LAT,LATITUDE,纬度,北纬", "KEEP_GEOM_COLUMNS=YES", "AUTODETECT_TYPE=YES", NULL};

static bool ends_with(const char *s, const char *suffix)
{
    size_t ls = strlen(s), lx = strlen(suffix);
    return ls >= lx && strcasecmp(s + ls - lx, suffix) == 0;
}

cc_status cc__input_check(cc_ctx *ctx, const char *path, const char *what)
{
    struct stat sb;
    if (!path || !strncmp(path, "/vsi", 4) || strstr(path, ":") || stat(path, &sb) != 0) return CC_OK;
    const char *kind = S_ISFIFO(sb.st_mode) ? "a named pipe (FIFO)" : S_ISCHR(sb.st_mode) ? "a character device"
                       : S_ISBLK(sb.st_mode)  ? "a block device"
                       : S_ISSOCK(sb.st_mode) ? "a socket"
                                              : NULL;
    if (kind) return cc__fail(ctx, CC_ERR_INPUT, "%s '%s' is %s, not a file: give a regular file", what, path, kind);
    return CC_OK;
}

GDALDatasetH cc__open_vector(cc_ctx *ctx, const char *path, const char *what, bool *is_osm)
{
    GDALDatasetH ds = NULL;
    char gz[4096];
    cc__gdal_init();
    *is_osm = false;
    if (cc__input_check(ctx, path, what)) return NULL;
    if (strncmp(path, "PG:", 3) != 0) {
        VSIStatBufL sb;
        if (VSIStatL(path, &sb) != 0) {
            cc__fail(ctx, CC_ERR_IO, "Unable to open %s '%s': %s", what, path, strerror(errno ? errno : ENOENT));
            return NULL;
        }
        if (VSI_ISDIR(sb.st_mode) && !ends_with(path, ".gdb")) {
            cc__fail(ctx, CC_ERR_IO, "Unable to open %s '%s': it is a directory", what, path);
            return NULL;
        }
    }
    cc__gdal_begin(ctx);
    if (ends_with(path, ".osm.pbf") || ends_with(path, ".pbf") || ends_with(path, ".osm") ||
        ends_with(path, ".osm.gz")) {
        const char *drivers[] = {"OSM", NULL};
        const char *oo[] = {"CONFIG_FILE=" OSMCONF_PATH, NULL};
        ensure_osmconf();
        const char *p = path;
        if (ends_with(path, ".osm.gz")) {
            snprintf(gz, sizeof(gz), "/vsigzip/%s", path);
            p = gz;
        }
        ds = GDALOpenEx(p, GDAL_OF_VECTOR | GDAL_OF_READONLY, drivers, oo, NULL);
        if (ds) *is_osm = true;
    } else {
        const char *drivers_csv[] = {"CSV", NULL};
        if (ends_with(path, ".csv"))
            ds = GDALOpenEx(path, GDAL_OF_VECTOR | GDAL_OF_READONLY, drivers_csv, cc__csv_default_oo, NULL);
        else
            ds = GDALOpenEx(path, GDAL_OF_VECTOR | GDAL_OF_READONLY, NULL, NULL, NULL);
    }
    cc__gdal_end(ctx);
    if (!ds) {
        cc__fail(ctx, CC_ERR_IO, "Unable to open %s '%s' as a vector dataset: %s", what, path, cc__gdal_msg(ctx));
        return NULL;
    }
    return ds;
}

cc_status cc__read_text_file(cc_ctx *ctx, const char *path, const char *what, char **text, size_t *len)
{
    char *buf = NULL;
    size_t cap = 0, n = 0;
    *text = NULL;
    cc_status st0 = cc__input_check(ctx, path, what);
    if (st0) return st0;
    if (!strncmp(path, "/vsimem/", 8)) { /* in-memory files (fuzzing, embedding programs) */
        vsi_l_offset mn = 0;
        GByte *mb = VSIGetMemFileBuffer(path, &mn, FALSE);
        if (!mb) return cc__fail(ctx, CC_ERR_IO, "Unable to open %s '%s': No such file or directory", what, path);
        if (mn > ((vsi_l_offset)64 << 20)) return cc__fail(ctx, CC_ERR_INPUT, "%s '%s' is larger than 64 MiB", what, path);
        if (memchr(mb, '\0', (size_t)mn))
            return cc__fail(ctx, CC_ERR_INPUT, "%s '%s' is not a text file (it holds NUL bytes)", what, path);
        if (!(buf = malloc((size_t)mn + 1))) return cc__fail(ctx, CC_ERR_NOMEM, "Out of memory reading '%s'", path);
        memcpy(buf, mb, (size_t)mn);
        buf[mn] = '\0';
        *text = buf;
        *len = (size_t)mn;
        return CC_OK;
    }
    FILE *f = fopen(path, "rb");
    if (!f) return cc__fail(ctx, CC_ERR_IO, "Unable to open %s '%s': %s", what, path, strerror(errno));
    for (;;) {
        if (n + 4096 + 1 > cap) {
            size_t ncap = cap ? cap * 2 : 8192;
            if (ncap > ((size_t)64 << 20)) {
                fclose(f);
                free(buf);
                return cc__fail(ctx, CC_ERR_INPUT, "%s '%s' is larger than 64 MiB", what, path);
            }
            char *nb = realloc(buf, ncap);
            if (!nb) {
                fclose(f);
                free(buf);
                return cc__fail(ctx, CC_ERR_NOMEM, "Out of memory reading '%s'", path);
            }
            buf = nb;
            cap = ncap;
        }
        size_t got = fread(buf + n, 1, cap - n - 1, f);
        n += got;
        if (got == 0) break;
    }
    int err = ferror(f);
    fclose(f);
    if (err) {
        free(buf);
        return cc__fail(ctx, CC_ERR_IO, "Unable to read %s '%s'", what, path);
    }
    buf[n] = '\0';
    if (memchr(buf, '\0', n)) {
        free(buf);
        return cc__fail(ctx, CC_ERR_INPUT, "%s '%s' is not a text file (it holds NUL bytes)", what, path);
    }
    *text = buf;
    *len = n;
    return CC_OK;
}

void cc__list_fields(OGRFeatureDefnH fd, char *buf, size_t n)
{
    buf[0] = '\0';
    int nf = OGR_FD_GetFieldCount(fd);
    for (int i = 0; i < nf && strlen(buf) + 40 < n; i++) {
        if (i) strcat(buf, ", ");
        strncat(buf, OGR_Fld_GetNameRef(OGR_FD_GetFieldDefn(fd, i)), 32);
    }
    if (nf == 0) snprintf(buf, n, "none");
}

double cc__parse_maxspeed(const char *s)
{
    char *end;
    if (!s) return 0.0;
    while (*s == ' ') s++;
    double v = cc_strtod(s, &end);
    if (end == s || !isfinite(v) || v <= 0 || v > 400) return 0.0;
    while (*end == ' ') end++;
    if (strncmp(end, "mph", 3) == 0) return v * 1.609344;
    if (*end == '\0' || strncmp(end, "km/h", 4) == 0 || strncmp(end, "kmh", 3) == 0) return v;
    if (*end == ';') return v; /* "50;30": first value */
    return 0.0;
}

uint8_t cc__parse_oneway(const char *s)
{
    if (!s || !*s) return CC__ONEWAY_UNSET;
    if (!strcasecmp(s, "yes") || !strcasecmp(s, "true") || !strcmp(s, "1")) return CC__ONEWAY_FWD;
    if (!strcmp(s, "-1") || !strcasecmp(s, "reverse")) return CC__ONEWAY_BWD;
    if (!strcasecmp(s, "no") || !strcasecmp(s, "false") || !strcmp(s, "0")) return CC__ONEWAY_NO;
    return CC__ONEWAY_UNSET;
}
