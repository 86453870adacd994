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

