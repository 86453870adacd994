/*
 * pip.c - points in polygons with GEOS prepared geometries (reentrant API, one context per
 * thread, as "contexts must only be used from a single thread at a time").
 */
#define GEOS_USE_ONLY_R_API
#include <geos_c.h>
#include <stdlib.h>

#include "../core/omp_internal.h"
#include "geo_internal.h"

typedef struct env {
    double minx, maxx, miny, maxy;
} env;

cc_status cc__points_in_polygons(cc_ctx *ctx, OGRGeometryH *polys, size_t n_polys, const double *x, const double *y, size_t n,
                                 int threads, int32_t *out)
{
    unsigned char **wkb = cc__calloc_array(n_polys, sizeof(unsigned char *));
    size_t *wkb_len = cc__calloc_array(n_polys, sizeof(size_t));
    env *e = cc__calloc_array(n_polys, sizeof(env));
    int failed = 0;
    cc_status st = CC_OK;
    if (!wkb || !wkb_len || !e) {
        st = cc__fail(ctx, CC_ERR_NOMEM, "Out of memory");
        goto out;
    }
    for (size_t k = 0; k < n_polys; k++) {
        OGREnvelope oe;
        OGR_G_GetEnvelope(polys[k], &oe);
        e[k] = (env){oe.MinX, oe.MaxX, oe.MinY, oe.MaxY};
        wkb_len[k] = (size_t)OGR_G_WkbSize(polys[k]);
        if (!(wkb[k] = malloc(wkb_len[k])) || OGR_G_ExportToWkb(polys[k], wkbNDR, wkb[k]) != OGRERR_NONE) {
            st = cc__fail(ctx, CC_ERR_NOMEM, "Out of memory converting admin areas");
            goto out;
        }
    }
    (void)threads;
#ifdef _OPENMP
#pragma omp parallel num_threads(threads) reduction(| : failed)
#endif
    {
        GEOSContextHandle_t gh = GEOS_init_r();
        GEOSWKBReader *rd = gh ? GEOSWKBReader_create_r(gh) : NULL;
        GEOSGeometry **geo = calloc(n_polys ? n_polys : 1, sizeof(GEOSGeometry *));
        const GEOSPreparedGeometry **prep = calloc(n_polys ? n_polys : 1, sizeof(GEOSPreparedGeometry *));
        if (!gh || !rd || !geo || !prep) failed = 1;
        for (size_t k = 0; k < n_polys && !failed; k++) {
            geo[k] = GEOSWKBReader_read_r(gh, rd, wkb[k], wkb_len[k]);
            prep[k] = geo[k] ? GEOSPrepare_r(gh, geo[k]) : NULL;
            if (!prep[k]) failed = 1;
        }
#ifdef _OPENMP
#pragma omp for schedule(static, 4096)
#endif
        for (size_t i = 0; i < n; i++) {
            out[i] = -1;
            if (failed) continue;
            for (size_t k = 0; k < n_polys; k++) {
                if (x[i] < e[k].minx || x[i] > e[k].maxx || y[i] < e[k].miny || y[i] > e[k].maxy) continue;
                GEOSGeometry *pt = GEOSGeom_createPointFromXY_r(gh, x[i], y[i]);
                char hit = pt ? GEOSPreparedIntersects_r(gh, prep[k], pt) : 2;
                if (pt) GEOSGeom_destroy_r(gh, pt);
                if (hit == 2) failed = 1;
                if (hit == 1) {
                    out[i] = (int32_t)k;
                    break;
                }
            }
        }
        for (size_t k = 0; k < n_polys; k++) {
            if (prep && prep[k]) GEOSPreparedGeom_destroy_r(gh, prep[k]);
            if (geo && geo[k]) GEOSGeom_destroy_r(gh, geo[k]);
        }
        free(geo);
        free(prep);
        if (rd) GEOSWKBReader_destroy_r(gh, rd);
        if (gh) GEOS_finish_r(gh);
    }
    if (failed) st = cc__fail(ctx, CC_ERR_INPUT, "Unable to test points against admin areas (invalid polygon geometry?)");
out:
    if (wkb)
        for (size_t k = 0; k < n_polys; k++) free(wkb[k]);
    CC__FREE_ALL(wkb, wkb_len, e);
    return st;
}
