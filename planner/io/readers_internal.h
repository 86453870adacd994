/*
 * readers_internal.h - demand (population raster or village points), facilities and admin
 * areas, read through GDAL/OGR and transformed into the working CRS.
 */
#ifndef CC_READERS_INTERNAL_H
#define CC_READERS_INTERNAL_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "io_internal.h"

/* Evaluation points: demand (population) or grid cells (for the travel-time raster). */
typedef struct cc__demand {
    size_t n;
    double *x, *y;   /* working CRS, metres */
    double *pop;     /* persons (0 for grid-only cells) */
    int64_t *cell;   /* raster cell index row*w+col, or -1 */
    char **name;     /* village names (point demand), may be NULL */
    char **name_zh;  /* Chinese village names from a "name_zh" field (maps and reports in Chinese), or NULL */
    bool is_raster;  /* demand points are the cells of the population raster */
    cc__grid grid;   /* population grid, or the working-CRS grid built for point demand */
    double pop_total;
    size_t n_nan, n_zero;
} cc__demand;

typedef struct cc__demand_opts {
    const char *pop_field; /* point demand: population field (default "population" or "pop") */
    const char *layer;
    const char *name_field;
    const char *encoding;  /* text of CSV/DBF files; NULL: detected */
    int win[4];            /* raster demand: read only columns win[0].. +win[2], rows win[1].. +win[3]
                            * (win[2] == 0: the whole raster); cells keep their whole-grid index and
                            * an empty window is not an error */
} cc__demand_opts;

cc_status cc__demand_read(cc_ctx *ctx, const char *path, const cc__demand_opts *o, const char *work_wkt, cc__demand *out);
void cc__demand_free(cc__demand *d);

/* A grid of @p res_m metres over [minx,maxx]x[miny,maxy] in the working CRS; every cell
 * becomes an evaluation point (pop 0). Refuses grids over @p max_cells. */
cc_status cc__grid_points(cc_ctx *ctx, double minx, double miny, double maxx, double maxy, double res_m,
                          const char *work_wkt, size_t max_cells, cc__demand *out);

typedef struct cc__facilities {
    size_t n;
    double *x, *y;     /* working CRS */
    double *lon, *lat; /* WGS84 */
    char **name;
    char **name_zh;    /* from a "name_zh" field when the layer has one (Chinese maps), else NULL */
    char **tier_raw;   /* normalised raw tier value ("" when none) */
    int *tier;         /* tier index, -1 when the value is not mapped */
    int64_t *fid;
    size_t n_tiers;
    char **tier_name;
    char *tier_field;  /* actual field name used, or NULL */
    double *capacity;  /* with cc__facilities_opts.capacity_field: capacity per facility (persons,
                          beds, staff: whatever the field holds), NAN when the value is empty
                          (no limit); else NULL */
} cc__facilities;

/* The most facilities one file may give (after parameter where): all of China's ~1.07 million
 * medical and health institutions (2023, ~580,000 of them village clinics) are about this many,
 * while a county has hundreds to a few thousand. More is not a facility list (every point of
 * interest of a country, say) and is refused with CC_ERR_LIMIT before the run does any work. */
#define CC__MAX_FACILITIES 1000000

typedef struct cc__facilities_opts {
    const char *tier_field; /* default "tier" when present */
    const char *tiers;      /* "1=health_post,2=health_centre,3=hospital,4=hospital" */
    const char *name_field; /* default "name" when present */
    const char *lon_field, *lat_field; /* CSV coordinate columns */
    const char *layer;
    const char *where;      /* OGR attribute filter */
    const char *encoding;   /* text of CSV/DBF files; NULL: detected (UTF-8, GBK/GB18030) */
    const char *capacity_field; /* numeric field read into cc__facilities.capacity; NULL: none */
} cc__facilities_opts;

cc_status cc__facilities_read(cc_ctx *ctx, const char *path, const cc__facilities_opts *o, const char *work_wkt,
                              cc__facilities *out);
/* The facility count of @p path (after parameter where) against CC__MAX_FACILITIES, before the
 * roads are read: from the layer's own count where the format keeps one, for CSV from its lines
 * (and, only past the cap, from a count of its rows). Other problems are left to the reader. */
cc_status cc__facilities_precount(cc_ctx *ctx, const char *path, const cc__facilities_opts *o);
void cc__facilities_free(cc__facilities *f);

#include "carecircle/cc_inputs.h"
/* Apply scenario changes: tier changes and removals name facilities by their index in @p f as
 * read (or unique name); additions (WGS84) are appended. CC_ERR_INPUT names a change that
 * matches nothing (or several). */
cc_status cc__facilities_apply(cc_ctx *ctx, cc__facilities *f, const cc_facility_change *ch, size_t n, const char *work_wkt);

/* Admin areas: polygons in the working CRS, as OGR geometries (owned). */
typedef struct cc__admin {
    size_t n;
    char **name;
    char **code;
    char **name_zh; /* from a "name_zh" field when the layer has one (maps in Chinese), else NULL */
    OGRGeometryH *geom;
} cc__admin;

typedef struct cc__admin_opts {
    const char *name_field; /* default: "name" when present */
    const char *code_field; /* default: "code" when present */
    const char *layer;
    const char *encoding;   /* text of CSV/DBF files; NULL: detected */
    const char *what;       /* the file in messages, e.g. "closure area file"; NULL: "admin area file" */
    bool may_overlap;       /* areas that nobody is counted in (closures, exclusions): overlaps are not warned */
} cc__admin_opts;

cc_status cc__admin_read(cc_ctx *ctx, const char *path, const cc__admin_opts *o, const char *work_wkt, cc__admin *out);
void cc__admin_free(cc__admin *a);

/* Normalise a raw attribute value: trimmed; integral numbers printed without decimals. */
void cc__normalise_value(const char *in, char *out, size_t n);

#endif
