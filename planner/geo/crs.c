/* crs.c - spatial references (PROJ through OGR's API), the UTM zone of a place, transforms. */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>

#include "geo_internal.h"

OGRSpatialReferenceH cc__srs_clone(OGRSpatialReferenceH srs)
{
    OGRSpatialReferenceH c = srs ? OSRClone(srs) : NULL;
    if (c) OSRSetAxisMappingStrategy(c, OAMS_TRADITIONAL_GIS_ORDER);
    return c;
}

OGRSpatialReferenceH cc__srs_from_wkt(const char *wkt)
{
    OGRSpatialReferenceH s = OSRNewSpatialReference(NULL);
    if (!s) return NULL;
    if (OSRImportFromWkt(s, (char **)&wkt) != OGRERR_NONE) {
        OSRDestroySpatialReference(s);
        return NULL;
    }
    OSRSetAxisMappingStrategy(s, OAMS_TRADITIONAL_GIS_ORDER);
    return s;
}

cc_status cc__srs_from_user(cc_ctx *ctx, const char *text, OGRSpatialReferenceH *out)
{
    OGRSpatialReferenceH s = OSRNewSpatialReference(NULL);
    *out = NULL;
    if (!s) return cc__fail(ctx, CC_ERR_NOMEM, "Out of memory creating a spatial reference");
    cc__gdal_begin(ctx);
    OGRErr e = OSRSetFromUserInput(s, text);
    cc__gdal_end(ctx);
    if (e != OGRERR_NONE) {
        OSRDestroySpatialReference(s);
        return cc__fail(ctx, CC_ERR_CRS, "Unable to understand CRS '%s': %s", text, cc__gdal_msg(ctx));
    }
    OSRSetAxisMappingStrategy(s, OAMS_TRADITIONAL_GIS_ORDER);
    *out = s;
    return CC_OK;
}

int cc__utm_epsg(double lon, double lat)
{
    int zone = (int)floor((lon + 180.0) / 6.0) + 1;
    if (zone < 1) zone = 1;
    if (zone > 60) zone = 60;
    return (lat >= 0 ? 32600 : 32700) + zone;
}

cc_status cc__check_metric(cc_ctx *ctx, OGRSpatialReferenceH srs, const char *label)
{
    char *unit = NULL;
    if (!OSRIsProjected(srs))
        return cc__fail(ctx, CC_ERR_CRS, "CRS %s is not a projected CRS; give a metric one such as a UTM zone (EPSG:326xx)", label);
    double f = OSRGetLinearUnits(srs, &unit);
    if (fabs(f - 1.0) > 1e-9)
        return cc__fail(ctx, CC_ERR_CRS, "CRS %s has units <%s>, carecircle needs metres", label, unit ? unit : "?");
    return CC_OK;
}

bool cc__check_area_of_use(cc_ctx *ctx, OGRSpatialReferenceH crs, OGRSpatialReferenceH data_srs, double minx, double miny,
                           double maxx, double maxy, const char *what)
{
    double w, so, e, no;
    const char *area = NULL;
    if (!crs || !data_srs || !OSRGetAreaOfUse(crs, &w, &so, &e, &no, &area) || !isfinite(w) || !isfinite(so)) return true;
    OGRSpatialReferenceH wgs = OSRNewSpatialReference(NULL);
    OSRImportFromEPSG(wgs, 4326);
    OSRSetAxisMappingStrategy(wgs, OAMS_TRADITIONAL_GIS_ORDER);
    cc__gdal_begin(ctx);
    OGRCoordinateTransformationH ct = OCTNewCoordinateTransformation(data_srs, wgs);
    /* corners, edge midpoints and centre of the data's extent in longitude/latitude */
    double x[9], y[9];
    int ok[9] = {0}, k = 0;
    for (int i = 0; i < 3; i++)
        for (int j = 0; j < 3; j++, k++) {
            x[k] = minx + 0.5 * i * (maxx - minx);
            y[k] = miny + 0.5 * j * (maxy - miny);
        }
    bool have = ct && OCTTransformEx(ct, 9, x, y, NULL, ok);
    if (ct) OCTDestroyCoordinateTransformation(ct);
    cc__gdal_end(ctx);
    OSRDestroySpatialReference(wgs);
    if (!have) return true;
    double lo0 = INFINITY, lo1 = -INFINITY, la0 = INFINITY, la1 = -INFINITY;
    for (k = 0; k < 9; k++)
        if (ok[k] && isfinite(x[k]) && isfinite(y[k])) {
            lo0 = fmin(lo0, x[k]), lo1 = fmax(lo1, x[k]), la0 = fmin(la0, y[k]), la1 = fmax(la1, y[k]);
        }
    if (!(lo0 <= lo1)) return true;
    /* inside when within 3 degrees of the area (a neighbouring UTM zone distorts lengths by under
     * 0.6%); an area that crosses the antimeridian (west > east) is tested both ways round */
    const double m = 3.0;
    bool lat_in = la0 >= so - m && la1 <= no + m;
    bool lon_in = w <= e ? (lo0 >= w - m && lo1 <= e + m)
                         : ((lo0 >= w - m || lo0 <= e + m) && (lo1 >= w - m || lo1 <= e + m));
    if (lat_in && lon_in) return true;
    char name[64];
    cc__srs_name(crs, name, sizeof(name));
    cc__warn(ctx,
             "CRS %s is meant for longitudes %g to %g and latitudes %g to %g (%s), but %s spans longitudes %.4g to %.4g "
             "and latitudes %.4g to %.4g: distances and travel times may be distorted; choose a CRS for this area",
             name, w, e, so, no, area ? area : "its area of use", what, lo0, lo1, la0, la1);
    return false;
}

void cc__srs_name(OGRSpatialReferenceH srs, char *buf, size_t n)
{
    const char *auth = OSRGetAuthorityName(srs, NULL);
    const char *code = OSRGetAuthorityCode(srs, NULL);
    if (auth && code)
        snprintf(buf, n, "%s:%s", auth, code);
    else
        snprintf(buf, n, "custom");
}

cc_status cc__transform_points(cc_ctx *ctx, OGRCoordinateTransformationH ct, double *x, double *y, size_t n)
{
    enum { CHUNK = 1 << 16 };
    int ok[CHUNK];
    for (size_t i = 0; i < n; i += CHUNK) {
        int m = (int)(n - i < CHUNK ? n - i : CHUNK);
        if (!OCTTransformEx(ct, m, x + i, y + i, NULL, ok)) {
            for (int k = 0; k < m; k++)
                if (!ok[k]) x[i + k] = y[i + k] = NAN;
        } else {
            for (int k = 0; k < m; k++)
                if (!ok[k] || !isfinite(x[i + k]) || !isfinite(y[i + k])) x[i + k] = y[i + k] = NAN;
        }
        if (cc__interrupted(ctx)) return cc__fail(ctx, CC_ERR_INTERRUPTED, "Interrupted while transforming coordinates");
    }
    return CC_OK;
}

/* Points of the CRS @p crs_wkt (metres) to WGS84 longitude/latitude, in place. */
cc_status cc__to_lonlat(cc_ctx *ctx, const char *crs_wkt, double *x, double *y, size_t n)
{
    cc_status st;
    OGRSpatialReferenceH src = cc__srs_from_wkt(crs_wkt), wgs = OSRNewSpatialReference(NULL);
    OSRImportFromEPSG(wgs, 4326);
    OSRSetAxisMappingStrategy(wgs, OAMS_TRADITIONAL_GIS_ORDER);
    cc__gdal_begin(ctx);
    OGRCoordinateTransformationH ct = src ? OCTNewCoordinateTransformation(src, wgs) : NULL;
    cc__gdal_end(ctx);
    if (!ct) st = cc__fail(ctx, CC_ERR_CRS, "Unable to transform points to longitude/latitude: %s", cc__gdal_msg(ctx));
    else st = cc__transform_points(ctx, ct, x, y, n);
    if (ct) OCTDestroyCoordinateTransformation(ct);
    if (src) OSRDestroySpatialReference(src);
    OSRDestroySpatialReference(wgs);
    return st;
}

bool cc__grid_cell_size(const double gt[6], int w, int h, const char *src_wkt, const char *dst_wkt, double *cw, double *ch)
{
    double cx = gt[0] + w / 2.0 * gt[1], cy = gt[3] + h / 2.0 * gt[5];
    double x0 = cx, y0 = cy, x1 = cx + fabs(gt[1]), y1 = cy + fabs(gt[5]);
    if (src_wkt && *src_wkt && dst_wkt && *dst_wkt) {
        OGRCoordinateTransformationH ct = cc__ct_acquire(NULL, src_wkt, NULL, dst_wkt);
        if (!ct) return false;
        double a0, b0, a1, b1; /* the cell's outline, densified: its box in the other CRS */
        bool ok = OCTTransformBounds(ct, x0, y0, x1, y1, &a0, &b0, &a1, &b1, 21) != 0;
        cc__ct_release(ct);
        if (!ok) return false;
        x0 = a0, y0 = b0, x1 = a1, y1 = b1;
    }
    *cw = fabs(x1 - x0);
    *ch = fabs(y1 - y0);
    return isfinite(*cw) && isfinite(*ch) && *cw > 0 && *ch > 0;
}
