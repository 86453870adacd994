/*
 * demand.c - population as a raster (people per cell; nodata and NaN skipped) or as points
 * with a population field. Rasters are read block-row by block-row (GDAL block-wise I/O), so
 * memory grows with the number of valid cells, not with the raster size.
 */
#include <math.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include <cpl_conv.h>

#include "readers_internal.h"

void cc__demand_free(cc__demand *d)
{
    if (!d) return;
    CC__FREE_ALL(d->x, d->y, d->pop, d->cell);
    if (d->name)
        for (size_t i = 0; i < d->n; i++) free(d->name[i]);
    free(d->name);
    if (d->name_zh)
        for (size_t i = 0; i < d->n; i++) free(d->name_zh[i]);
    free(d->name_zh);
    free(d->grid.wkt);
    memset(d, 0, sizeof(*d));
}

static cc_status reserve(cc_ctx *ctx, cc__demand *d, size_t *cap, size_t need, bool names)
{
    if (need <= *cap) return CC_OK;
    size_t c = *cap ? *cap * 2 : 4096;
    while (c < need) c *= 2;
    const cc__column cols[] = {CC__COLUMN(d->x, true),       CC__COLUMN(d->y, true),     CC__COLUMN(d->pop, true),
                               CC__COLUMN(d->cell, true),    CC__COLUMN(d->name, names),
                               CC__COLUMN(d->name_zh, names && d->name_zh)};
    if (!cc__realloc_columns(cols, sizeof(cols) / sizeof(cols[0]), c)) return cc__fail(ctx, CC_ERR_NOMEM, "Out of memory reading population");
    *cap = c;
    return CC_OK;
}

static cc_status to_work(cc_ctx *ctx, OGRSpatialReferenceH src, const char *work_wkt, double *x, double *y, size_t n,
                         const char *path)
{
    OGRSpatialReferenceH dst = cc__srs_from_wkt(work_wkt);
    cc_status st = CC_OK;
    if (!dst) return cc__fail(ctx, CC_ERR_CRS, "Invalid working CRS");
    cc__gdal_begin(ctx);
    OGRCoordinateTransformationH ct = OCTNewCoordinateTransformation(src, dst);
    cc__gdal_end(ctx);
    if (!ct)
        st = cc__fail(ctx, CC_ERR_CRS, "Unable to transform '%s' to the working CRS: %s", path, cc__gdal_msg(ctx));
    else
        st = cc__transform_points(ctx, ct, x, y, n);
    if (ct) OCTDestroyCoordinateTransformation(ct);
    OSRDestroySpatialReference(dst);
    return st;
}

/* Densest population accepted: one person per square metre of a raster cell (10,000 in a 100 m
 * cell, 1,000,000 per km2; measured districts reach about 300,000 per km2), and fifty million
 * people at one village point (more than any metropolitan area). */
#define CC__MAX_PEOPLE_PER_M2 1.0
/* Peak memory of a raster run (measured, see read_raster): bytes per cell and base. */
#define CC__PEAK_BYTES_PER_CELL 256.0
#define CC__PEAK_BASE_BYTES (176.0 * 1048576.0)
#define CC__MAX_PEOPLE_PER_POINT 5e7

/* The raster's georeferencing into d->grid.gt: finite, cells with an area, north-up. */
static cc_status raster_geotransform(cc_ctx *ctx, GDALDatasetH ds, const char *path, cc__demand *d)
{
    if (GDALGetGeoTransform(ds, d->grid.gt) != CE_None)
        return cc__fail(ctx, CC_ERR_INPUT, "Population raster '%s' has no georeferencing (geotransform)", path);
    for (int k = 0; k < 6; k++)
        if (!isfinite(d->grid.gt[k]))
            return cc__fail(ctx, CC_ERR_INPUT, "Population raster '%s' has a non-finite georeferencing value (geotransform %d: %g)",
                            path, k, d->grid.gt[k]);
    if (d->grid.gt[1] == 0.0 || d->grid.gt[5] == 0.0)
        return cc__fail(ctx, CC_ERR_INPUT,
                        "Population raster '%s' has a pixel %s of 0; cells must have an area (fix its geotransform)", path,
                        d->grid.gt[1] == 0.0 ? "width" : "height");
    if (d->grid.gt[2] != 0.0 || d->grid.gt[4] != 0.0)
        return cc__fail(ctx, CC_ERR_INPUT, "Population raster '%s' is rotated; warp it north-up first (gdalwarp)", path);
    return CC_OK;
}

/* What a pass over the raster's cells needs and counts. */
typedef struct raster_scan {
    double nd, scale, offset; /* nodata (when has_nd); people = value * scale + offset */
    bool has_nd, geographic;
    double lin;               /* metres per CRS unit (projected) */
    size_t cap, n_dense, n_neg;
    double max_seen, min_neg; /* the densest cell (times the limit) at max_r, max_c; the lowest value */
    int max_r, max_c;
} raster_scan;

/* The cells of raster row @p r (@p ww values from column @p c0) into @p d; people per cell above one
 * per square metre of the cell are not a population (the densest districts measured hold about
 * 0.3 per m2; the densest 100 m cells of WorldPop a few thousand): counted, as are negative cells. */
static cc_status scan_row(cc_ctx *ctx, raster_scan *sc, const double *row, int r, int c0, int ww, cc__demand *d)
{
    const double deg_m = 6371008.8 * M_PI / 180.0;
    double area_m2 = fabs(d->grid.gt[1] * d->grid.gt[5]) * sc->lin * sc->lin;
    if (sc->geographic) area_m2 *= deg_m * deg_m * fmax(0.0, cos((d->grid.gt[3] + (r + 0.5) * d->grid.gt[5]) * M_PI / 180.0));
    const double max_cell = fmax(area_m2 * CC__MAX_PEOPLE_PER_M2, 1.0);
    cc_status st;
    for (int c = c0; c < c0 + ww; c++) {
        double v = row[c - c0];
        if (sc->has_nd && (v == sc->nd || (isnan(sc->nd) && isnan(v)))) continue;
        v = v * sc->scale + sc->offset;
        if (isnan(v) || isinf(v)) {
            d->n_nan++;
            continue;
        }
        if (v > max_cell) {
            if (sc->n_dense++ == 0 || v / max_cell > sc->max_seen) {
                sc->max_seen = v / max_cell;
                sc->max_r = r;
                sc->max_c = c;
            }
            continue;
        }
        if (v < 0) {
            if (sc->n_neg++ == 0 || v < sc->min_neg) sc->min_neg = v;
            continue;
        }
        if ((st = reserve(ctx, d, &sc->cap, d->n + 1, false))) return st;
        d->x[d->n] = d->grid.gt[0] + (c + 0.5) * d->grid.gt[1];
        d->y[d->n] = d->grid.gt[3] + (r + 0.5) * d->grid.gt[5];
        d->pop[d->n] = v;
        d->cell[d->n] = (int64_t)r * d->grid.w + c;
        d->pop_total += v;
        if (v == 0) d->n_zero++;
        d->n++;
    }
    return CC_OK;
}

/* Too dense or negative cells found by the scan fail. */
static cc_status scan_check(cc_ctx *ctx, const raster_scan *sc, const char *path)
{
    if (sc->n_dense)
        return cc__fail(ctx, CC_ERR_INPUT,
                        "Population raster '%s' holds %zu cells above %g people per square metre of cell (the densest: row %d, "
                        "column %d, %.3g times the limit); is it people per cell, with the right scale?",
                        path, sc->n_dense, CC__MAX_PEOPLE_PER_M2, sc->max_r, sc->max_c, sc->max_seen);
    if (sc->n_neg)
        return cc__fail(ctx, CC_ERR_INPUT,
                        "Population raster '%s' holds %zu negative cells (minimum %g); people per cell must be >= 0 (set a nodata value for masked cells)",
                        path, sc->n_neg, sc->min_neg);
    return CC_OK;
}

/* Read the window's rows block by block (@p by rows at a time) and scan them. */
static cc_status scan_window(cc_ctx *ctx, GDALRasterBandH band, const char *path, const int win[4], int by, bool progress, raster_scan *sc,
                             cc__demand *d)
{
    const int c0 = win[0], rr0 = win[1], ww = win[2], wh = win[3];
    cc_status st = CC_OK;
    double *buf = cc__malloc_array((size_t)ww * (size_t)by, sizeof(double));
    if (!buf) return cc__fail(ctx, CC_ERR_NOMEM, "Out of memory reading '%s'", path);
    cc__gdal_begin(ctx);
    for (int r0 = rr0; r0 < rr0 + wh && !st; r0 += by) {
        int rows = rr0 + wh - r0 < by ? rr0 + wh - r0 : by;
        if (GDALRasterIO(band, GF_Read, c0, r0, ww, rows, buf, ww, rows, GDT_Float64, 0, 0) != CE_None) {
            st = cc__fail(ctx, CC_ERR_INPUT, "Unable to read population raster '%s' at rows %d-%d: %s", path, r0,
                          r0 + rows - 1, cc__gdal_msg(ctx));
            break;
        }
        for (int rr = 0; rr < rows && !st; rr++) st = scan_row(ctx, sc, buf + (size_t)rr * ww, r0 + rr, c0, ww, d);
        if (progress) cc__progress(ctx, "Reading population", (double)(r0 + rows) / d->grid.h);
        if (cc__interrupted(ctx)) st = cc__fail(ctx, CC_ERR_INTERRUPTED, "Interrupted while reading population");
    }
    cc__gdal_end(ctx);
    free(buf);
    return st;
}

static cc_status read_raster(cc_ctx *ctx, GDALDatasetH ds, const char *path, const cc__demand_opts *o, const char *work_wkt,
                             cc__demand *d)
{
    GDALRasterBandH band = GDALGetRasterBand(ds, 1);
    int w = GDALGetRasterXSize(ds), h = GDALGetRasterYSize(ds), has_nd = 0, bx, by;
    const bool win = o->win[2] > 0;
    int c0 = 0, rr0 = 0, ww = w, wh = h; /* the window read */
    if (win) {
        c0 = o->win[0], rr0 = o->win[1], ww = o->win[2], wh = o->win[3];
        if (c0 < 0 || rr0 < 0 || wh < 1 || c0 + ww > w || rr0 + wh > h)
            return cc__fail(ctx, CC_ERR_PARAM, "Window %d,%d %dx%d lies outside population raster '%s' (%d x %d cells)", c0, rr0, ww, wh,
                            path, w, h);
    }
    cc_status st = CC_OK;
    OGRSpatialReferenceH srs = NULL;

    if ((st = raster_geotransform(ctx, ds, path, d))) return st;
    OGRSpatialReferenceH rs = GDALGetSpatialRef(ds);
    if (!rs || OSRIsLocal(rs))
        return cc__fail(ctx, CC_ERR_CRS, "Population raster '%s' has no coordinate reference system; assign one (gdal_edit.py -a_srs EPSG:4326)",
                        path);
    srs = cc__srs_clone(rs);
    if (OSRExportToWkt(srs, &d->grid.wkt) != OGRERR_NONE) {
        OSRDestroySpatialReference(srs);
        return cc__fail(ctx, CC_ERR_CRS, "Unable to read the CRS of '%s'", path);
    }
    /* refuse rasters whose run cannot fit before reading a single block: peak memory measured with
     * /usr/bin/time -v (benchmarks/RESULTS.md, "Memory per raster cell") grows by about 128 bytes
     * per cell when every cell is populated (demand records, travel-time bands, class raster,
     * polygonising) above a base of about 125 MiB (libraries, PROJ database, roads of a county) */
    uint64_t phys = cc__physical_memory();
    double need = (double)ww * (double)wh * CC__PEAK_BYTES_PER_CELL + CC__PEAK_BASE_BYTES;
    if (phys && need > 0.8 * (double)phys) {
        OSRDestroySpatialReference(srs);
        return cc__fail(ctx, CC_ERR_LIMIT,
                        "Population raster '%s' has %d x %d cells: a run on it needs about %.1f GiB (%.0f bytes per cell), more than 80%% of this machine's %.1f GiB; crop it to the area of interest (gdal_translate -projwin) or use coarser cells (gdalwarp -tr)",
                        path, w, h, need / 1073741824.0, CC__PEAK_BYTES_PER_CELL, (double)phys / 1073741824.0);
    }
    d->grid.w = w;
    d->grid.h = h;
    d->is_raster = true;
    double nd = GDALGetRasterNoDataValue(band, &has_nd);
    if (!has_nd && !win) cc__warn(ctx, "Population raster '%s' has no nodata value: every cell counts as populated land", path);
    /* stored values are people x 1/scale - offset: applied, as GDAL's own tools would */
    int has_scale = 0, has_offset = 0;
    double scale = GDALGetRasterScale(band, &has_scale), offset = GDALGetRasterOffset(band, &has_offset);
    if (!has_scale) scale = 1.0;
    if (!has_offset) offset = 0.0;
    if (!isfinite(scale) || !isfinite(offset) || scale == 0.0) {
        OSRDestroySpatialReference(srs);
        return cc__fail(ctx, CC_ERR_INPUT, "Population raster '%s' has scale %g and offset %g: no number of people can come of them",
                        path, scale, offset);
    }
    if ((scale != 1.0 || offset != 0.0) && !win)
        cc__info(ctx, "Population raster '%s': cell values scaled by %g and offset by %g (the band's scale and offset)", path,
                 scale, offset);
    const bool geographic = OSRIsGeographic(srs) != 0;
    raster_scan sc = {.nd = nd, .scale = scale, .offset = offset, .has_nd = has_nd != 0, .geographic = geographic,
                      .lin = geographic ? 1.0 : OSRGetLinearUnits(srs, NULL)};
    GDALGetBlockSize(band, &bx, &by);
    if (by < 1 || by > 4096) by = 256;
    const int window[4] = {c0, rr0, ww, wh};
    if ((st = scan_window(ctx, band, path, window, by, !win, &sc, d)) || (st = scan_check(ctx, &sc, path))) goto out;
    if (d->n_nan) cc__warn(ctx, "Population raster '%s': %zu NaN or infinite cells treated as nodata", path, d->n_nan);
    if (d->n == 0 && win) goto out;
    if (d->n == 0) {
        st = cc__fail(ctx, CC_ERR_INPUT, "Population raster '%s' has no valid cells (all nodata)", path);
        goto out;
    }
    st = to_work(ctx, srs, work_wkt, d->x, d->y, d->n, path);
out:
    if (srs) OSRDestroySpatialReference(srs);
    return st;
}

static cc_status read_points(cc_ctx *ctx, GDALDatasetH ds, const char *path, const cc__demand_opts *o, const char *work_wkt,
                             cc__demand *d)
{
    OGRLayerH lyr = o->layer ? GDALDatasetGetLayerByName(ds, o->layer) : GDALDatasetGetLayer(ds, 0);
    size_t cap = 0, n_null = 0, n_badgeom = 0, n_feat = 0;
    cc_status st = CC_OK;
    OGRSpatialReferenceH srs = NULL;
    if (!lyr) return cc__fail(ctx, CC_ERR_INPUT, "Population file '%s' has no layer%s%s", path, o->layer ? " " : "", o->layer ? o->layer : "");
    OGRFeatureDefnH fd = OGR_L_GetLayerDefn(lyr);
    int fpop = -1;
    if (o->pop_field)
        fpop = OGR_FD_GetFieldIndex(fd, o->pop_field);
    else if ((fpop = OGR_FD_GetFieldIndex(fd, "population")) < 0)
        fpop = OGR_FD_GetFieldIndex(fd, "pop");
    if (fpop < 0)
        return cc__fail(ctx, CC_ERR_INPUT, "Population layer <%s> in '%s' has no population field <%s>; name it with parameter population_field",
                        OGR_L_GetName(lyr), path, o->pop_field ? o->pop_field : "population");
    int fname = OGR_FD_GetFieldIndex(fd, o->name_field ? o->name_field : "name");
    if (!o->name_field && fname < 0) fname = OGR_FD_GetFieldIndex(fd, "名称");
    int fzh = OGR_FD_GetFieldIndex(fd, "name_zh");
    if (fzh >= 0 && !(d->name_zh = cc__calloc_array(1, sizeof(char *)))) return cc__fail(ctx, CC_ERR_NOMEM, "Out of memory reading population");
    OGRSpatialReferenceH ls = OGR_L_GetSpatialRef(lyr);
    if (!ls) {
        if (strcmp(GDALGetDriverShortName(GDALGetDatasetDriver(ds)), "CSV") != 0)
            return cc__fail(ctx, CC_ERR_CRS, "Population layer <%s> in '%s' has no coordinate reference system", OGR_L_GetName(lyr), path);
        srs = OSRNewSpatialReference(NULL);
        OSRImportFromEPSG(srs, 4326);
        OSRSetAxisMappingStrategy(srs, OAMS_TRADITIONAL_GIS_ORDER);
    } else {
        srs = cc__srs_clone(ls);
    }
    d->is_raster = false;
    cc__gdal_begin(ctx);
    OGR_L_ResetReading(lyr);
    OGRFeatureH f;
    while (!st && (f = OGR_L_GetNextFeature(lyr))) {
        n_feat++;
        OGRGeometryH g = OGR_F_GetGeometryRef(f);
        if (g && wkbFlatten(OGR_G_GetGeometryType(g)) == wkbMultiPoint && OGR_G_GetGeometryCount(g) > 0)
            g = OGR_G_GetGeometryRef(g, 0);
        if (!g || OGR_G_IsEmpty(g) || wkbFlatten(OGR_G_GetGeometryType(g)) != wkbPoint) {
            n_badgeom++;
        } else if (!OGR_F_IsFieldSetAndNotNull(f, fpop)) {
            n_null++;
        } else {
            double v = OGR_F_GetFieldAsDouble(f, fpop), x = OGR_G_GetX(g, 0), y = OGR_G_GetY(g, 0);
            if (!isfinite(v) || !isfinite(x) || !isfinite(y)) {
                n_null++;
            } else if (v < 0) {
                st = cc__fail(ctx, CC_ERR_INPUT, "Population layer <%s> in '%s', feature %lld: population %g must be >= 0",
                              OGR_L_GetName(lyr), path, (long long)OGR_F_GetFID(f), v);
            } else if (v > CC__MAX_PEOPLE_PER_POINT) {
                st = cc__fail(ctx, CC_ERR_INPUT,
                              "Population layer <%s> in '%s', feature %lld: population %g is above %g, more than any city holds",
                              OGR_L_GetName(lyr), path, (long long)OGR_F_GetFID(f), v, CC__MAX_PEOPLE_PER_POINT);
            } else if (!(st = reserve(ctx, d, &cap, d->n + 1, true))) {
                d->x[d->n] = x;
                d->y[d->n] = y;
                d->pop[d->n] = v;
                d->cell[d->n] = -1;
                d->name[d->n] = cc__strdup(fname >= 0 ? OGR_F_GetFieldAsString(f, fname) : "");
                if (d->name_zh) d->name_zh[d->n] = cc__strdup(OGR_F_GetFieldAsString(f, fzh));
                d->pop_total += v;
                if (v == 0) d->n_zero++;
                d->n++;
                if (!d->name[d->n - 1] || (d->name_zh && !d->name_zh[d->n - 1]))
                    st = cc__fail(ctx, CC_ERR_NOMEM, "Out of memory reading population");
            }
        }
        OGR_F_Destroy(f);
    }
    if (!st && cc__gdal_failures(ctx))
        st = cc__fail(ctx, CC_ERR_INPUT, "Unable to read population layer <%s> in '%s' (truncated or corrupt?): %s", OGR_L_GetName(lyr),
                      path, cc__gdal_msg(ctx));
    cc__gdal_end(ctx);
    if (st) goto out;
    if (n_badgeom || n_null)
        cc__warn(ctx, "Population layer '%s': skipped %zu features without a point geometry and %zu without a population value",
                 path, n_badgeom, n_null);
    if (d->n == 0) {
        st = cc__fail(ctx, CC_ERR_INPUT, "Population layer <%s> in '%s' has no usable points (%zu features)", OGR_L_GetName(lyr), path,
                      n_feat);
        goto out;
    }
    st = to_work(ctx, srs, work_wkt, d->x, d->y, d->n, path);
out:
    if (srs) OSRDestroySpatialReference(srs);
    return st;
}

cc_status cc__demand_read(cc_ctx *ctx, const char *path, const cc__demand_opts *o, const char *work_wkt, cc__demand *d)
{
    static const cc__demand_opts defaults;
    cc_status st;
    memset(d, 0, sizeof(*d));
    if (!o) o = &defaults;
    cc__gdal_init();
    VSIStatBufL sb;
    if ((st = cc__input_check(ctx, path, "population file"))) return st;
    if (strncmp(path, "PG:", 3) != 0 && VSIStatL(path, &sb) != 0)
        return cc__fail(ctx, CC_ERR_IO, "Unable to open population file '%s': No such file or directory", path);
    char tmp[4096] = "";
    GDALDatasetH ds;
    size_t lp = strlen(path);
    bool text = lp > 4 && (!strcasecmp(path + lp - 4, ".csv") || !strcasecmp(path + lp - 4, ".shp") || !strcasecmp(path + lp - 4, ".dbf"));
    if (text) { /* village points whose names may be GBK */
        bool is_osm;
        if (!(ds = cc__open_vector_enc(ctx, path, "population file", o->encoding, NULL, &is_osm, tmp, sizeof(tmp)))) return CC_ERR_IO;
    } else {
        cc__gdal_begin(ctx);
        ds = GDALOpenEx(path, GDAL_OF_RASTER | GDAL_OF_VECTOR | GDAL_OF_READONLY, NULL, NULL, NULL);
        cc__gdal_end(ctx);
        if (!ds) return cc__fail(ctx, CC_ERR_IO, "Unable to open population file '%s': %s", path, cc__gdal_msg(ctx));
    }
    if (GDALGetRasterCount(ds) > 0)
        st = read_raster(ctx, ds, path, o, work_wkt, d);
    else if (GDALDatasetGetLayerCount(ds) > 0)
        st = read_points(ctx, ds, path, o, work_wkt, d);
    else
        st = cc__fail(ctx, CC_ERR_INPUT, "Population file '%s' has neither a raster band nor a vector layer", path);
    cc__close_vector(ds, tmp);
    if (st) cc__demand_free(d);
    return st;
}

cc_status cc__grid_points(cc_ctx *ctx, double minx, double miny, double maxx, double maxy, double res_m, const char *work_wkt,
                          size_t max_cells, cc__demand *d)
{
    memset(d, 0, sizeof(*d));
    if (!(res_m > 0)) return cc__fail(ctx, CC_ERR_PARAM, "Grid resolution must be above 0 m, got %g", res_m);
    double x0 = floor(minx / res_m) * res_m, y1 = ceil(maxy / res_m) * res_m;
    double wd = ceil((maxx - x0) / res_m), hd = ceil((y1 - miny) / res_m);
    if (wd < 1) wd = 1;
    if (hd < 1) hd = 1;
    if (wd * hd > (double)max_cells)
        return cc__fail(ctx, CC_ERR_LIMIT, "A %g m travel-time grid over this area would have %.0f cells (limit %zu); use a coarser parameter resolution_m",
                        res_m, wd * hd, max_cells);
    int w = (int)wd, h = (int)hd;
    size_t n = (size_t)w * (size_t)h;
    d->x = cc__malloc_array(n, sizeof(double));
    d->y = cc__malloc_array(n, sizeof(double));
    d->pop = cc__calloc_array(n, sizeof(double));
    d->cell = cc__malloc_array(n, sizeof(int64_t));
    d->grid.wkt = cc__strdup(work_wkt);
    if (!d->x || !d->y || !d->pop || !d->cell || !d->grid.wkt) {
        cc__demand_free(d);
        return cc__fail(ctx, CC_ERR_NOMEM, "Out of memory for a %dx%d travel-time grid", w, h);
    }
    d->grid.w = w;
    d->grid.h = h;
    d->grid.gt[0] = x0;
    d->grid.gt[1] = res_m;
    d->grid.gt[3] = y1;
    d->grid.gt[5] = -res_m;
    for (int r = 0; r < h; r++)
        for (int c = 0; c < w; c++) {
            size_t i = (size_t)r * w + c;
            d->x[i] = x0 + (c + 0.5) * res_m;
            d->y[i] = y1 - (r + 0.5) * res_m;
            d->cell[i] = (int64_t)i;
        }
    d->n = n;
    d->is_raster = true;
    return CC_OK;
}
