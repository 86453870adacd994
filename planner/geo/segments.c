/*
 * segments.c - which road segments touch a set of polygons (closure areas of a scenario),
 * with GEOS prepared geometries (reentrant API) and a bounding-box pre-filter.
 */
#define GEOS_USE_ONLY_R_API
#include <geos_c.h>
#include <stdlib.h>

#include "geo_internal.h"

cc_status cc__segments_in_polygons(cc_ctx *ctx, OGRGeometryH *polys, size_t n_polys, const double *x, const double *y,
                                   const size_t *way_first, size_t n_ways, uint8_t *hit)
{
    cc_status st = CC_OK;
    GEOSContextHandle_t gh = GEOS_init_r();
    GEOSWKBReader *rd = gh ? GEOSWKBReader_create_r(gh) : NULL;
    GEOSGeometry **geo = cc__calloc_array(n_polys, sizeof(GEOSGeometry *));
    const GEOSPreparedGeometry **prep = cc__calloc_array(n_polys, sizeof(GEOSPreparedGeometry *));
    OGREnvelope *env = cc__calloc_array(n_polys, sizeof(OGREnvelope));
    if (!gh || !rd || !geo || !prep || !env) {
        st = cc__fail(ctx, CC_ERR_NOMEM, "Out of memory testing roads against closure areas");
        goto out;
    }
    for (size_t k = 0; k < n_polys; k++) {
        OGR_G_GetEnvelope(polys[k], &env[k]);
        size_t len = (size_t)OGR_G_WkbSize(polys[k]);
        unsigned char *wkb = malloc(len ? len : 1);
        if (!wkb || OGR_G_ExportToWkb(polys[k], wkbNDR, wkb) != OGRERR_NONE) {
            free(wkb);
            st = cc__fail(ctx, CC_ERR_NOMEM, "Out of memory converting closure areas");
            goto out;
        }
        geo[k] = GEOSWKBReader_read_r(gh, rd, wkb, len);
        free(wkb);
        prep[k] = geo[k] ? GEOSPrepare_r(gh, geo[k]) : NULL;
        if (!prep[k]) {
            st = cc__fail(ctx, CC_ERR_INPUT, "Closure area %zu is not a valid polygon", k + 1);
            goto out;
        }
    }
    for (size_t w = 0; w < n_ways && !st; w++) {
        for (size_t i = way_first[w]; i + 1 < way_first[w + 1]; i++) {
            hit[i] = 0;
            double x0 = x[i] < x[i + 1] ? x[i] : x[i + 1], x1 = x[i] < x[i + 1] ? x[i + 1] : x[i];
            double y0 = y[i] < y[i + 1] ? y[i] : y[i + 1], y1 = y[i] < y[i + 1] ? y[i + 1] : y[i];
            for (size_t k = 0; k < n_polys; k++) {
                if (x1 < env[k].MinX || x0 > env[k].MaxX || y1 < env[k].MinY || y0 > env[k].MaxY) continue;
                GEOSCoordSequence *cs = GEOSCoordSeq_create_r(gh, 2, 2);
                if (cs) {
                    GEOSCoordSeq_setXY_r(gh, cs, 0, x[i], y[i]);
                    GEOSCoordSeq_setXY_r(gh, cs, 1, x[i + 1], y[i + 1]);
                }
                GEOSGeometry *seg = cs ? GEOSGeom_createLineString_r(gh, cs) : NULL;
                char r = seg ? GEOSPreparedIntersects_r(gh, prep[k], seg) : 2;
                if (seg) GEOSGeom_destroy_r(gh, seg);
                if (r == 2) {
                    st = cc__fail(ctx, CC_ERR_INTERNAL, "GEOS failed testing a road segment against closure area %zu", k + 1);
                    break;
                }
                if (r == 1) {
                    hit[i] = 1;
                    break;
                }
            }
            if (st) break;
        }
        if (way_first[w + 1] > way_first[w]) hit[way_first[w + 1] - 1] = 0; /* last vertex starts no segment */
    }
out:
    for (size_t k = 0; k < n_polys; k++) {
        if (prep && prep[k]) GEOSPreparedGeom_destroy_r(gh, prep[k]);
        if (geo && geo[k]) GEOSGeom_destroy_r(gh, geo[k]);
    }
    CC__FREE_ALL(geo, prep, env);
    if (rd) GEOSWKBReader_destroy_r(gh, rd);
    if (gh) GEOS_finish_r(gh);
    return st;
}
