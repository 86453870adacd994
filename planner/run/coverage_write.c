/*
 * coverage_write.c - outputs of a coverage run, written into the staging folder:
 * travel_time.tif (COG, one band per facility set), coverage.gpkg (isochrones, catchments,
 * facilities, demand_uncovered, coverage_by_admin) and summary.json.
 */
#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <glib.h>
#include <json-c/json.h>

#include "carecircle/cc_report.h"
#include "carecircle/cc_version.h"
#include "../isochrone/isochrone_internal.h"
#include "offroad_internal.h"
#include "run_internal.h"

#define NODATA_MIN (-9999.0)

static const char *set_name(const cc__cov_out *c, size_t k)
{
    return k == 0 ? "all" : k < c->n_sets ? c->fac->tier_name[k - 1] : "headline";
}

/* Facility sets with isochrones: all, each tier, and the headline tiers together when there are
 * several of them (tier value "headline"). */
static size_t n_iso(const cc__cov_out *c)
{
    return c->n_sets + (c->head_dtime != NULL);
}

/* Times (ms) of set @p k (< n_iso) per demand point, or per grid point when @p grid. */
static const uint32_t *set_times(const cc__cov_out *c, size_t k, bool grid)
{
    if (k < c->n_sets) return grid ? c->gtime + k * c->grid->n : c->dtime + k * c->dem->n;
    return grid ? c->head_gtime : c->head_dtime;
}

/* The headline's set (see cc__cov_out); the minimum over the headline tiers when several. */
static cc_status headline_prepare(cc__cov_out *c)
{
    const cc_coverage_result *r = c->res;
    size_t idx[64], n = 0;
    c->head_set = 0;
    for (size_t j = 0; j < r->n_headline; j++)
        for (size_t k = 1; k < c->n_sets && n < 64; k++)
            if (!strcmp(c->fac->tier_name[k - 1], r->headline_tiers[j])) idx[n++] = k;
    if (n == 1) c->head_set = idx[0];
    if (n < 2) return CC_OK;
    const size_t nd = c->dem->n, ng = c->grid->n;
    c->head_dtime = cc__malloc_array(nd ? nd : 1, sizeof(uint32_t));
    c->head_gtime = cc__malloc_array(ng ? ng : 1, sizeof(uint32_t));
    c->head_dfac = cc__malloc_array(nd ? nd : 1, sizeof(uint32_t));
    if (!c->head_dtime || !c->head_gtime || !c->head_dfac) return cc__fail(c->ctx, CC_ERR_NOMEM, "Out of memory");
    for (size_t i = 0; i < nd; i++) c->head_dtime[i] = CC_INF_COST, c->head_dfac[i] = CC_INVALID_ID;
    for (size_t i = 0; i < ng; i++) c->head_gtime[i] = CC_INF_COST;
    for (size_t j = 0; j < n; j++) { /* ties: the first headline tier's facility */
        const uint32_t *d = c->dtime + idx[j] * nd, *df = c->dfac + idx[j] * nd, *g = c->gtime + idx[j] * ng;
        for (size_t i = 0; i < nd; i++)
            if (d[i] < c->head_dtime[i]) c->head_dtime[i] = d[i], c->head_dfac[i] = df[i];
        for (size_t i = 0; i < ng; i++) c->head_gtime[i] = g[i] < c->head_gtime[i] ? g[i] : c->head_gtime[i];
    }
    c->head_set = c->n_sets;
    return CC_OK;
}

static double ms_to_min(uint32_t t)
{
    return t / 60000.0;
}

/* ---- raster ------------------------------------------------------------------------------- */

static cc_status write_raster(cc__cov_out *c)
{
    const cc__demand *g = c->grid;
    /* bands: all facilities, each tier, then the chain's leg 1, leg 2 and total, then the headline
     * tiers together when there are several; the headline's band carries CARECIRCLE_HEADLINE=YES
     * (QGIS's style and the report's map show it) */
    const size_t n_chain = c->chain_g ? 3 : 0, head_band = c->head_set < c->n_sets ? c->head_set : c->n_sets + n_chain;
    size_t ncell = (size_t)g->grid.w * g->grid.h, n_sets = c->n_sets + n_chain + (c->head_gtime != NULL);
    float **bands = cc__calloc_array(n_sets, sizeof(float *));
    char **names = cc__calloc_array(n_sets, sizeof(char *));
    const char **meta = cc__calloc_array(n_sets, sizeof(char *));
    char path[4200];
    cc_status st = CC_OK;
    if (!bands || !names || !meta) {
        st = cc__fail(c->ctx, CC_ERR_NOMEM, "Out of memory");
        goto out;
    }
    meta[head_band] = "CARECIRCLE_HEADLINE=YES";
    for (size_t k = 0; k < n_sets; k++) {
        char nm[400];
        static const char *const chain_band[] = {"chain: minutes from the nearest emergency station to the patient (drive)",
                                                 "chain: minutes from the patient to the nearest capable facility (drive)",
                                                 "chain: total minutes (dispatch + station to patient + on scene + patient to capable facility)"};
        if (k >= c->n_sets + n_chain) {
            GString *tl = g_string_new("");
            for (size_t j = 0; j < c->res->n_headline; j++) g_string_append_printf(tl, "%s%s", j ? ", " : "", c->res->headline_tiers[j]);
            snprintf(nm, sizeof(nm), c->res->emergency ? "minutes from the nearest facility of the headline tiers (%s) to the patient, dispatch included"
                                                       : "minutes to the nearest facility of the headline tiers (%s)",
                     tl->str);
            g_string_free(tl, TRUE);
        } else if (k >= c->n_sets)
            snprintf(nm, sizeof(nm), "%s", chain_band[k - c->n_sets]);
        else if (c->res->emergency)
            snprintf(nm, sizeof(nm), k == 0 ? "minutes from the nearest facility to the patient, dispatch included (%s)"
                                            : "minutes from the nearest facility of tier %s to the patient, dispatch included",
                     set_name(c, k));
        else
            snprintf(nm, sizeof(nm), k == 0 ? "minutes to the nearest facility (%s)" : "minutes to the nearest facility of tier %s",
                     set_name(c, k));
        if (!(bands[k] = cc__malloc_array(ncell, sizeof(float))) || !(names[k] = cc__strdup(nm))) {
            st = cc__fail(c->ctx, CC_ERR_NOMEM, "Out of memory for a %dx%d raster", g->grid.w, g->grid.h);
            goto out;
        }
        for (size_t i = 0; i < ncell; i++) bands[k][i] = (float)NODATA_MIN;
        const uint32_t *t = k < c->n_sets ? c->gtime + k * g->n : k < c->n_sets + n_chain ? c->chain_g + (k - c->n_sets) * g->n : c->head_gtime;
        for (size_t i = 0; i < g->n; i++)
            if (t[i] != CC_INF_COST) bands[k][g->cell[i]] = (float)ms_to_min(t[i]);
    }
    st = cc__write_cog(c->ctx, cc__stage_path(c->stage, "travel_time.tif", path, sizeof(path)), &g->grid, (int)n_sets, bands,
                       (const char *const *)names, meta, NODATA_MIN);
out:
    for (size_t k = 0; bands && k < n_sets; k++) free(bands[k]);
    for (size_t k = 0; names && k < n_sets; k++) free(names[k]);
    free(bands);
    free(names);
    free(meta);
    return st;
}

/* ---- GeoPackage layers --------------------------------------------------------------------------- */

typedef struct polys {
    OGRGeometryH *band;  /* n_sets * nb */
    OGRGeometryH *catch; /* n_fac */
    OGRGeometryH *chain; /* nb: bands of the chain's total (NULL: no chain) */
} polys;

static void polys_free(polys *p, size_t nband, size_t nfac, size_t nchain)
{
    for (size_t i = 0; p->chain && i < nchain; i++)
        if (p->chain[i]) OGR_G_DestroyGeometry(p->chain[i]);
    free(p->chain);
    for (size_t i = 0; p->band && i < nband; i++)
        if (p->band[i]) OGR_G_DestroyGeometry(p->band[i]);
    for (size_t i = 0; p->catch && i < nfac; i++)
        if (p->catch[i]) OGR_G_DestroyGeometry(p->catch[i]);
    free(p->band);
    free(p->catch);
}

/* The isochrones of each facility set (all, each tier, the headline tiers when several), the
 * catchments and the chain's bands: independent tracings, done at once on up to --threads threads
 * (each with its own class raster and worker context). */
static cc_status make_polygons(cc__cov_out *c, polys *p)
{
    const cc__demand *g = c->grid;
    const size_t ncell = (size_t)g->grid.w * g->grid.h, n_sets = n_iso(c);
    const int n_task = (int)n_sets + 1 + (c->chain_g != NULL);
    p->band = cc__calloc_array(n_sets * c->nb, sizeof(OGRGeometryH));
    p->catch = cc__calloc_array(c->fac->n, sizeof(OGRGeometryH));
    if (c->chain_g) p->chain = cc__calloc_array(c->nb, sizeof(OGRGeometryH));
    int threads = cc_ctx_get_threads(c->ctx);
    if (threads > n_task) threads = n_task;
    if (threads < 1) threads = 1;
    (void)threads;
    cc_status *tst = cc__calloc_array((size_t)n_task, sizeof(cc_status));
    cc_ctx *w = cc__calloc_array((size_t)n_task, sizeof(cc_ctx));
    if (!p->band || !p->catch || (c->chain_g && !p->chain) || !tst || !w) {
        free(tst);
        free(w);
        return cc__fail(c->ctx, CC_ERR_NOMEM, "Out of memory for isochrones");
    }
    for (int k = 0; k < n_task; k++) cc__ctx_worker(c->ctx, &w[k]);
#ifdef _OPENMP
#pragma omp parallel for schedule(dynamic, 1) num_threads(threads)
#endif
    for (int k = 0; k < n_task; k++) {
        if (cc__interrupted(c->ctx)) {
            tst[k] = CC_ERR_INTERRUPTED;
            continue;
        }
        int32_t *cls = cc__calloc_array(ncell, sizeof(int32_t));
        if (!cls) {
            tst[k] = cc__fail(&w[k], CC_ERR_NOMEM, "Out of memory for isochrones");
            continue;
        }
        if (k == (int)n_sets) { /* catchments: each point's nearest facility */
            for (size_t i = 0; i < g->n; i++)
                if (c->gfac[i] != CC_INVALID_ID) cls[g->cell[i]] = (int32_t)c->gfac[i] + 1;
            tst[k] = cc__polygonize(&w[k], &g->grid, cls, (int32_t)c->fac->n, c->crs_wkt, p->catch);
        } else { /* bands of a set's times, or of the chain's total */
            const uint32_t *t = k < (int)n_sets ? set_times(c, (size_t)k, true) : c->chain_g + 2 * g->n;
            for (size_t i = 0; i < g->n; i++) {
                if (t[i] == CC_INF_COST) continue;
                for (size_t b = 0; b < c->nb; b++)
                    if (t[i] <= c->bands_ms[b]) {
                        cls[g->cell[i]] = (int32_t)b + 1;
                        break;
                    }
            }
            tst[k] = cc__polygonize(&w[k], &g->grid, cls, (int32_t)c->nb, c->crs_wkt, k < (int)n_sets ? p->band + k * c->nb : p->chain);
        }
        free(cls);
    }
    cc_status st = CC_OK;
    for (int k = 0; k < n_task; k++) {
        cc_status s = cc__ctx_worker_end(c->ctx, &w[k], st ? CC_OK : tst[k]);
        if (!st) st = s;
    }
    if (!st && cc__interrupted(c->ctx)) st = cc__fail(c->ctx, CC_ERR_INTERRUPTED, "Interrupted");
    free(tst);
    free(w);
    return st;
}

static cc_status create_fields(cc_ctx *ctx, OGRLayerH lyr, const char *const *names, const OGRFieldType *types, size_t n)
{
    cc_status st = CC_OK;
    for (size_t i = 0; i < n && !st; i++) st = cc__add_field(ctx, lyr, names[i], types[i]);
    return st;
}

/* People of the demand points whose time @p t (ms, one per point) falls in band @p b: above the
 * previous threshold, at most this one. */
static double band_population(const cc__cov_out *c, const uint32_t *t, size_t b)
{
    const uint32_t lo_ms = b ? c->bands_ms[b - 1] : 0;
    double pop = 0;
    for (size_t i = 0; i < c->dem->n; i++)
        if (t[i] != CC_INF_COST && t[i] <= c->bands_ms[b] && (b == 0 || t[i] > lo_ms)) pop += c->dem->pop[i];
    return pop;
}

static cc_status layer_isochrones(cc__cov_out *c, GDALDatasetH ds, const polys *p)
{
    cc_ctx *ctx = c->ctx;
    OGRLayerH lyr = cc__gpkg_layer(ctx, ds, "isochrones", wkbMultiPolygon, c->crs_wkt,
                                   "Travel-time bands to the nearest facility, overall (tier all), per tier, and to the headline tiers "
                                   "together (tier headline, when there are several)");
    if (!lyr) return CC_ERR_IO;
    static const char *const fn[] = {"tier", "band", "min_from", "min_to", "population", "population_cum", "area_km2"};
    static const OGRFieldType ft[] = {OFTString, OFTString, OFTReal, OFTReal, OFTReal, OFTReal, OFTReal};
    cc_status st = create_fields(ctx, lyr, fn, ft, 7);
    for (size_t k = 0; k < n_iso(c) && !st; k++) {
        double cum = 0;
        for (size_t b = 0; b < c->nb && !st; b++) {
            double lo = b ? c->bands_min[b - 1] : 0.0, pop = band_population(c, set_times(c, k, false), b);
            cum += pop;
            OGRFeatureH f = OGR_F_Create(OGR_L_GetLayerDefn(lyr));
            char band[64];
            snprintf(band, sizeof(band), "%g-%g", lo, c->bands_min[b]);
            OGR_F_SetFieldString(f, 0, set_name(c, k));
            OGR_F_SetFieldString(f, 1, band);
            OGR_F_SetFieldDouble(f, 2, lo);
            OGR_F_SetFieldDouble(f, 3, c->bands_min[b]);
            OGR_F_SetFieldDouble(f, 4, pop);
            OGR_F_SetFieldDouble(f, 5, cum);
            OGRGeometryH g = p->band[k * c->nb + b];
            OGR_F_SetFieldDouble(f, 6, g ? OGR_G_Area(g) / 1e6 : 0.0);
            if (g) OGR_F_SetGeometry(f, g);
            st = cc__gpkg_put(ctx, lyr, f, "isochrones");
        }
    }
    return st;
}

/* Bands of the emergency chain's total time (dispatch + station -> patient + on scene +
 * patient -> capable facility), fields as the isochrones layer. */
static cc_status layer_chain_isochrones(cc__cov_out *c, GDALDatasetH ds, const polys *p)
{
    cc_ctx *ctx = c->ctx;
    OGRLayerH lyr = cc__gpkg_layer(ctx, ds, "chain_isochrones", wkbMultiPolygon, c->crs_wkt,
                                   "Bands of the emergency chain: dispatch + nearest station to the patient + on scene + patient to "
                                   "the nearest capable facility");
    if (!lyr) return CC_ERR_IO;
    static const char *const fn[] = {"band", "min_from", "min_to", "population", "population_cum", "area_km2"};
    static const OGRFieldType ft[] = {OFTString, OFTReal, OFTReal, OFTReal, OFTReal, OFTReal};
    cc_status st = create_fields(ctx, lyr, fn, ft, 6);
    const size_t nd = c->dem->n;
    const uint32_t *t = c->chain_d + 2 * nd;
    double cum = 0;
    for (size_t b = 0; b < c->nb && !st; b++) {
        double lo = b ? c->bands_min[b - 1] : 0.0, pop = band_population(c, t, b);
        cum += pop;
        OGRFeatureH f = OGR_F_Create(OGR_L_GetLayerDefn(lyr));
        char band[64];
        snprintf(band, sizeof(band), "%g-%g", lo, c->bands_min[b]);
        OGR_F_SetFieldString(f, 0, band);
        OGR_F_SetFieldDouble(f, 1, lo);
        OGR_F_SetFieldDouble(f, 2, c->bands_min[b]);
        OGR_F_SetFieldDouble(f, 3, pop);
        OGR_F_SetFieldDouble(f, 4, cum);
        OGRGeometryH g = p->chain[b];
        OGR_F_SetFieldDouble(f, 5, g ? OGR_G_Area(g) / 1e6 : 0.0);
        if (g) OGR_F_SetGeometry(f, g);
        st = cc__gpkg_put(ctx, lyr, f, "chain_isochrones");
    }
    return st;
}

static cc_status layer_catchments(cc__cov_out *c, GDALDatasetH ds, const polys *p, const double *served)
{
    cc_ctx *ctx = c->ctx;
    const cc__facilities *fac = c->fac;
    OGRLayerH lyr = cc__gpkg_layer(ctx, ds, "catchments", wkbMultiPolygon, c->crs_wkt,
                                   "Area nearest (by travel time) to each facility, with the population it serves");
    if (!lyr) return CC_ERR_IO;
    cc_status st;
    if ((st = cc__add_field(ctx, lyr, "facility_id", OFTInteger)) || (st = cc__add_field(ctx, lyr, "name", OFTString)) ||
        (st = cc__add_field(ctx, lyr, "tier", OFTString)) || (st = cc__add_field(ctx, lyr, "population", OFTReal)))
        return st;
    for (size_t b = 0; b < c->nb && !st; b++) {
        char nm[40];
        snprintf(nm, sizeof(nm), "pop_le_%g", c->bands_min[b]);
        st = cc__add_field(ctx, lyr, nm, OFTReal);
    }
    if (st || (st = cc__add_field(ctx, lyr, "area_km2", OFTReal))) return st;
    for (size_t f = 0; f < fac->n && !st; f++) {
        if (!p->catch[f]) continue;
        OGRFeatureH ft = OGR_F_Create(OGR_L_GetLayerDefn(lyr));
        OGR_F_SetFieldInteger(ft, 0, (int)f);
        OGR_F_SetFieldString(ft, 1, fac->name[f]);
        OGR_F_SetFieldString(ft, 2, fac->tier[f] >= 0 ? fac->tier_name[fac->tier[f]] : fac->tier_raw[f]);
        for (size_t b = 0; b <= c->nb; b++) OGR_F_SetFieldDouble(ft, 3 + (int)b, served[f * (c->nb + 1) + b]);
        OGR_F_SetFieldDouble(ft, 4 + (int)c->nb, OGR_G_Area(p->catch[f]) / 1e6);
        OGR_F_SetGeometry(ft, p->catch[f]);
        st = cc__gpkg_put(ctx, lyr, ft, "catchments");
    }
    return st;
}

static cc_status layer_facilities(cc__cov_out *c, GDALDatasetH ds, const double *served)
{
    cc_ctx *ctx = c->ctx;
    const cc__facilities *fac = c->fac;
    OGRLayerH lyr = cc__gpkg_layer(ctx, ds, "facilities", wkbPoint, c->crs_wkt,
                                   "Facilities with the population they serve (nearest) and reach within each threshold");
    if (!lyr) return CC_ERR_IO;
    static const char *const fn[] = {"facility_id", "name", "tier_value", "tier", "lon", "lat", "snapped", "snap_dist_m", "offroad_min"};
    static const OGRFieldType fty[] = {OFTInteger, OFTString, OFTString, OFTString, OFTReal, OFTReal, OFTInteger, OFTReal, OFTReal};
    cc_status st = create_fields(ctx, lyr, fn, fty, 9);
    for (size_t b = 0; b < c->nb && !st; b++) {
        char nm[40];
        snprintf(nm, sizeof(nm), "served_le_%g", c->bands_min[b]);
        st = cc__add_field(ctx, lyr, nm, OFTReal);
    }
    for (size_t b = 0; b < c->nb && !st; b++) {
        char nm[40];
        snprintf(nm, sizeof(nm), "reach_le_%g", c->bands_min[b]);
        st = cc__add_field(ctx, lyr, nm, OFTReal);
    }
    if (!st && fac->name_zh) st = cc__add_field(ctx, lyr, "name_zh", OFTString);
    if (st) return st;
    for (size_t f = 0; f < fac->n && !st; f++) {
        OGRFeatureH ft = OGR_F_Create(OGR_L_GetLayerDefn(lyr));
        bool snapped = c->fjoin[f].arc != CC_INVALID_ID;
        bool counted = c->fstart ? c->fstart[f] != 0 : snapped; /* friction model: started on a passable cell */
        OGR_F_SetFieldInteger(ft, 0, (int)f);
        OGR_F_SetFieldString(ft, 1, fac->name[f]);
        OGR_F_SetFieldString(ft, 2, fac->tier_raw[f]);
        if (fac->tier[f] >= 0) OGR_F_SetFieldString(ft, 3, fac->tier_name[fac->tier[f]]);
        OGR_F_SetFieldDouble(ft, 4, fac->lon[f]);
        OGR_F_SetFieldDouble(ft, 5, fac->lat[f]);
        OGR_F_SetFieldInteger(ft, 6, snapped);
        if (snapped) {
            OGR_F_SetFieldDouble(ft, 7, c->fjoin[f].d_m);
            OGR_F_SetFieldDouble(ft, 8, ms_to_min(c->foff[f]));
        }
        if (counted) {
            for (size_t b = 0; b < c->nb; b++) {
                OGR_F_SetFieldDouble(ft, 9 + (int)b, served[f * (c->nb + 1) + 1 + b]);
                OGR_F_SetFieldDouble(ft, 9 + (int)(c->nb + b), c->reach[f * c->nb + b]);
            }
        }
        if (fac->name_zh && fac->name_zh[f]) OGR_F_SetFieldString(ft, 9 + 2 * (int)c->nb, fac->name_zh[f]);
        OGRGeometryH pt = OGR_G_CreateGeometry(wkbPoint);
        OGR_G_SetPoint_2D(pt, 0, fac->x[f], fac->y[f]);
        OGR_F_SetGeometryDirectly(ft, pt);
        st = cc__gpkg_put(ctx, lyr, ft, "facilities");
    }
    return st;
}

/* Uncovered demand (population, demand id), most people first. */
typedef cc__scored uncovered;


static cc_status layer_uncovered(cc__cov_out *c, GDALDatasetH ds)
{
    cc_ctx *ctx = c->ctx;
    const cc__demand *d = c->dem;
    const uint32_t lim = (uint32_t)llround(c->uncovered_min * 60000.0);
    /* beyond the headline tiers (capable care), as the map's bands and the key figures count */
    const uint32_t *ht = set_times(c, c->head_set, false);
    const uint32_t *hf = c->head_set < c->n_sets ? c->dfac + c->head_set * d->n : c->head_dfac;
    char desc[300];
    snprintf(desc, sizeof(desc), "Populated %s beyond %g minutes of the headline tiers (the key figures' facilities), or without road "
             "access, ranked by population", d->is_raster ? "cells" : "villages", c->uncovered_min);
    OGRLayerH lyr = cc__gpkg_layer(ctx, ds, "demand_uncovered", wkbPoint, c->crs_wkt, desc);
    if (!lyr) return CC_ERR_IO;
    static const char *const fn[] = {"rank", "population", "minutes", "status", "nearest_facility", "snap_dist_m", "name", "admin"};
    static const OGRFieldType ft[] = {OFTInteger, OFTReal, OFTReal, OFTString, OFTString, OFTReal, OFTString, OFTString};
    cc_status st = create_fields(ctx, lyr, fn, ft, 8);
    if (!st && d->name_zh) st = cc__add_field(ctx, lyr, "name_zh", OFTString);
    /* lon/lat (WGS84) of each point, so that a cell or village can be found without GIS */
    const int ilon = d->name_zh ? 9 : 8;
    if (!st) st = cc__add_field(ctx, lyr, "lon", OFTReal);
    if (!st) st = cc__add_field(ctx, lyr, "lat", OFTReal);
    if (st) return st;
    uncovered *u = cc__malloc_array(d->n, sizeof(uncovered));
    if (!u) return cc__fail(ctx, CC_ERR_NOMEM, "Out of memory");
    size_t n = 0;
    for (size_t i = 0; i < d->n; i++)
        if (d->pop[i] > 0 && ht[i] > lim) u[n++] = (uncovered){d->pop[i], (uint32_t)i};
    qsort(u, n, sizeof(*u), cc__cmp_scored_desc);
    if (n > CC__MAX_UNCOVERED) {
        cc__warn(ctx, "demand_uncovered holds the %d most populated of %zu uncovered points", CC__MAX_UNCOVERED, n);
        n = CC__MAX_UNCOVERED;
    }
    double *lon = cc__malloc_array(n ? n : 1, sizeof(double)), *lat = cc__malloc_array(n ? n : 1, sizeof(double));
    if (!lon || !lat) {
        free(lon);
        free(lat);
        free(u);
        return cc__fail(ctx, CC_ERR_NOMEM, "Out of memory");
    }
    for (size_t r = 0; r < n; r++) lon[r] = d->x[u[r].id], lat[r] = d->y[u[r].id];
    st = cc__to_lonlat(ctx, c->crs_wkt, lon, lat, n);
    cc__gpkg_rows *w = NULL;
    if (!st) st = cc__gpkg_rows_open(ctx, ds, lyr, "demand_uncovered", &w);
    cc__gval v[11] = {{0}};
    for (size_t r = 0; r < n && !st; r++) {
        size_t i = u[r].id;
        memset(v, 0, sizeof(v));
        v[0] = (cc__gval){.kind = 'i', .i = (int64_t)(r + 1)};
        v[1] = (cc__gval){.kind = 'd', .d = d->pop[i]};
        const char *status = "beyond";
        if (c->dpass ? !c->dpass[i] : c->djoin[i].arc == CC_INVALID_ID)
            status = c->dpass ? "impassable_cell" : "no_road_access";
        else if (c->dpass && ht[i] == CC_INF_COST)
            status = "barrier_enclosed";
        else if (ht[i] == CC_INF_COST)
            status = "unreachable";
        else {
            v[2] = (cc__gval){.kind = 'd', .d = ms_to_min(ht[i])};
            if (hf[i] != CC_INVALID_ID) v[4] = (cc__gval){.kind = 's', .s = c->fac->name[hf[i]]};
        }
        v[3] = (cc__gval){.kind = 's', .s = status};
        v[5] = (cc__gval){.kind = 'd', .d = c->djoin[i].arc == CC_INVALID_ID ? -1.0 : c->djoin[i].d_m};
        if (d->name && d->name[i]) v[6] = (cc__gval){.kind = 's', .s = d->name[i]};
        if (d->name_zh && d->name_zh[i]) v[8] = (cc__gval){.kind = 's', .s = d->name_zh[i]};
        if (c->admin && c->dadmin[i] >= 0) v[7] = (cc__gval){.kind = 's', .s = c->admin->name[c->dadmin[i]]};
        v[ilon] = (cc__gval){.kind = 'd', .d = lon[r]};
        v[ilon + 1] = (cc__gval){.kind = 'd', .d = lat[r]};
        st = cc__gpkg_rows_put(w, d->x[i], d->y[i], v, ilon + 2);
    }
    st = cc__gpkg_rows_close(w, st);
    free(lon);
    free(lat);
    free(u);
    return st;
}

/* The figures of each admin area (c->adm_sums, a row of c->adm_ncol per area): population, no road
 * access, unreachable, within each threshold per facility set (nb a set), then within each
 * threshold of the headline tiers. The GeoPackage's coverage_by_admin and summary.json's by_admin
 * (what a batch's comparison reads when a variant writes no GeoPackage) are both these rows. */
static cc_status admin_sums(cc__cov_out *c)
{
    const size_t nd = c->dem->n, nb = c->nb, ns = c->n_sets, ncol = 3 + ns * nb + nb;
    const uint32_t *head = set_times(c, c->head_set, false);
    double *acc = cc__calloc_array(c->admin->n ? c->admin->n * ncol : 1, sizeof(double));
    if (!acc) return cc__fail(c->ctx, CC_ERR_NOMEM, "Out of memory");
    for (size_t i = 0; i < nd; i++) {
        int32_t k = c->dadmin[i];
        if (k < 0) continue;
        double p = c->dem->pop[i], *row = acc + (size_t)k * ncol;
        row[0] += p;
        if (c->dpass ? !c->dpass[i] : c->djoin[i].arc == CC_INVALID_ID)
            row[1] += p;
        else if (c->dtime[i] == CC_INF_COST)
            row[2] += p;
        for (size_t s = 0; s < ns; s++) {
            uint32_t t = c->dtime[s * nd + i];
            for (size_t b = 0; b < nb; b++)
                if (t <= c->bands_ms[b]) row[3 + s * nb + b] += p;
        }
        for (size_t b = 0; b < nb; b++)
            if (head[i] <= c->bands_ms[b]) row[3 + ns * nb + b] += p;
    }
    c->adm_sums = acc;
    c->adm_ncol = ncol;
    return CC_OK;
}

static cc_status layer_admin(cc__cov_out *c, GDALDatasetH ds)
{
    cc_ctx *ctx = c->ctx;
    const cc__admin *a = c->admin;
    const size_t nb = c->nb, ns = c->n_sets;
    OGRLayerH lyr = cc__gpkg_layer(ctx, ds, "coverage_by_admin", wkbMultiPolygon, c->crs_wkt,
                                   "Population within each threshold per admin area (township), overall and per tier");
    if (!lyr) return CC_ERR_IO;
    cc_status st;
    if ((st = cc__add_field(ctx, lyr, "code", OFTString)) || (st = cc__add_field(ctx, lyr, "name", OFTString)) ||
        (st = cc__add_field(ctx, lyr, "population", OFTReal)) || (st = cc__add_field(ctx, lyr, "pop_no_road_access", OFTReal)) ||
        (st = cc__add_field(ctx, lyr, "pop_unreachable", OFTReal)))
        return st;
    for (size_t k = 0; k < ns && !st; k++)
        for (size_t b = 0; b < nb && !st; b++) {
            char nm[120];
            if (k == 0)
                snprintf(nm, sizeof(nm), "pop_le_%g", c->bands_min[b]);
            else
                snprintf(nm, sizeof(nm), "pop_le_%g_%s", c->bands_min[b], set_name(c, k));
            st = cc__add_field(ctx, lyr, nm, OFTReal);
        }
    for (size_t b = 0; b < nb && !st; b++) {
        char nm[60];
        snprintf(nm, sizeof(nm), "share_le_%g", c->bands_min[b]);
        st = cc__add_field(ctx, lyr, nm, OFTReal);
    }
    if (!st && a->name_zh) st = cc__add_field(ctx, lyr, "name_zh", OFTString);
    /* the headline tiers (capable care: what the key figures count), people and share per threshold */
    for (size_t b = 0; b < nb && !st; b++) {
        char nm[60];
        snprintf(nm, sizeof(nm), "head_pop_le_%g", c->bands_min[b]);
        st = cc__add_field(ctx, lyr, nm, OFTReal);
    }
    for (size_t b = 0; b < nb && !st; b++) {
        char nm[60];
        snprintf(nm, sizeof(nm), "head_share_le_%g", c->bands_min[b]);
        st = cc__add_field(ctx, lyr, nm, OFTReal);
    }
    if (st) return st;
    const int head_field = 2 + (int)(3 + ns * nb + nb) + (a->name_zh != NULL);
    const size_t ncol = c->adm_ncol;
    const double *acc = c->adm_sums;
    for (size_t k = 0; k < a->n && !st; k++) {
        const double *row = acc + k * ncol;
        OGRFeatureH f = OGR_F_Create(OGR_L_GetLayerDefn(lyr));
        OGR_F_SetFieldString(f, 0, a->code[k]);
        OGR_F_SetFieldString(f, 1, a->name[k]);
        const size_t nc = 3 + ns * nb; /* the columns before the shares */
        for (size_t j = 0; j < nc; j++) OGR_F_SetFieldDouble(f, 2 + (int)j, row[j]);
        for (size_t b = 0; b < nb; b++) OGR_F_SetFieldDouble(f, 2 + (int)(nc + b), row[0] > 0 ? row[3 + b] / row[0] : 0.0);
        if (a->name_zh && a->name_zh[k]) OGR_F_SetFieldString(f, 2 + (int)(nc + nb), a->name_zh[k]);
        for (size_t b = 0; b < nb; b++) {
            OGR_F_SetFieldDouble(f, head_field + (int)b, row[nc + b]);
            OGR_F_SetFieldDouble(f, head_field + (int)(nb + b), row[0] > 0 ? row[nc + b] / row[0] : 0.0);
        }
        OGRGeometryH g = OGR_G_ForceToMultiPolygon(OGR_G_Clone(a->geom[k]));
        OGR_F_SetGeometryDirectly(f, g);
        st = cc__gpkg_put(ctx, lyr, f, "coverage_by_admin");
    }
    return st;
}

/* Every road read (with scenario edits): class, surface, effective speed and scenario status,
 * so that GIS staff and the map see closed, added and slowed roads. */
cc_status cc__write_roads_layer(cc_ctx *ctx, GDALDatasetH ds, const char *crs_wkt, const cc_roads *r, const cc_profile *profile)
{
    static const char *const status_name[] = {"open", "closed", "added", "replaced"};
    OGRLayerH lyr = cc__gpkg_layer(ctx, ds, "roads", wkbLineString, crs_wkt,
                                   "Roads as used by the run: class, surface, speed (km/h, 0 = not driven on) and scenario status");
    if (!lyr) return CC_ERR_IO;
    static const char *const fn[] = {"way_id", "class", "surface", "speed_kmh", "status"};
    static const OGRFieldType ft[] = {OFTInteger64, OFTString, OFTString, OFTReal, OFTString};
    cc_status st = create_fields(ctx, lyr, fn, ft, 5);
    for (size_t w = 0; w < r->n_ways && !st; w++) {
        uint8_t status = r->status ? r->status[w] : CC__WAY_BASE;
        const char *cls = r->cls[w] == CC__NO_STRING ? NULL : cc__strtab_get(&r->strings, r->cls[w]);
        const char *surf = r->surface[w] == CC__NO_STRING ? NULL : cc__strtab_get(&r->strings, r->surface[w]);
        double kmh = r->speed_kmh[w] > 0 ? r->speed_kmh[w] : cls ? cc_profile_speed_kmh(profile, cls, surf, r->maxspeed_kmh[w], NULL) : 0;
        if (status == CC__WAY_CLOSED || status == CC__WAY_REPLACED) kmh = 0;
        OGRFeatureH f = OGR_F_Create(OGR_L_GetLayerDefn(lyr));
        OGR_F_SetFieldInteger64(f, 0, r->way_id[w]);
        if (cls) OGR_F_SetFieldString(f, 1, cls);
        if (surf) OGR_F_SetFieldString(f, 2, surf);
        OGR_F_SetFieldDouble(f, 3, kmh);
        OGR_F_SetFieldString(f, 4, status_name[status < 4 ? status : 0]);
        OGRGeometryH g = OGR_G_CreateGeometry(wkbLineString);
        for (size_t i = r->way_first[w]; i < r->way_first[w + 1]; i++) OGR_G_AddPoint_2D(g, r->x[i], r->y[i]);
        OGR_F_SetGeometryDirectly(f, g);
        st = cc__gpkg_put(ctx, lyr, f, "roads");
    }
    return st;
}

cc_status cc__write_admin_layer(cc_ctx *ctx, GDALDatasetH ds, const char *crs_wkt, const cc__admin *a)
{
    OGRLayerH lyr = cc__gpkg_layer(ctx, ds, "admin_areas", wkbMultiPolygon, crs_wkt, "Admin areas (townships) as read: code and name");
    if (!lyr) return CC_ERR_IO;
    cc_status st;
    if ((st = cc__add_field(ctx, lyr, "code", OFTString)) || (st = cc__add_field(ctx, lyr, "name", OFTString))) return st;
    if (a->name_zh && (st = cc__add_field(ctx, lyr, "name_zh", OFTString))) return st;
    for (size_t k = 0; k < a->n && !st; k++) {
        OGRFeatureH f = OGR_F_Create(OGR_L_GetLayerDefn(lyr));
        if (a->code[k]) OGR_F_SetFieldString(f, 0, a->code[k]);
        if (a->name[k]) OGR_F_SetFieldString(f, 1, a->name[k]);
        if (a->name_zh && a->name_zh[k]) OGR_F_SetFieldString(f, 2, a->name_zh[k]);
        OGR_F_SetGeometryDirectly(f, OGR_G_ForceToMultiPolygon(OGR_G_Clone(a->geom[k])));
        st = cc__gpkg_put(ctx, lyr, f, "admin_areas");
    }
    return st;
}

/* Population served by each facility as the nearest one: column 0 all reachable, then within
 * each threshold; n_fac rows of nb + 1. Caller frees. */
static double *served_population(const cc__cov_out *c)
{
    const size_t w = c->nb + 1;
    double *served = cc__calloc_array(c->fac->n * w, sizeof(double));
    if (!served) return NULL;
    for (size_t i = 0; i < c->dem->n; i++) {
        uint32_t f = c->dfac[i];
        if (f == CC_INVALID_ID) continue;
        served[f * w] += c->dem->pop[i];
        for (size_t b = 0; b < c->nb; b++)
            if (c->dtime[i] <= c->bands_ms[b]) served[f * w + 1 + b] += c->dem->pop[i];
    }
    return served;
}

/* Sites proposed by a scenario's siting section, in WGS84 (the report reprojects them). */
static cc_status layer_proposed(cc__cov_out *c, GDALDatasetH ds)
{
    cc_ctx *ctx = c->ctx;
    OGRLayerH lyr = cc__gpkg_layer(ctx, ds, "proposed_sites", wkbPoint, SRS_WKT_WGS84_LAT_LONG,
                                   "Sites proposed by the scenario's siting section (details in its siting folder)");
    if (!lyr) return CC_ERR_IO;
    static const char *const fn[] = {"rank", "name", "tier", "model", "gain", "share_cum", "lon", "lat"};
    static const OGRFieldType ft[] = {OFTInteger, OFTString, OFTString, OFTString, OFTReal, OFTReal, OFTReal, OFTReal};
    cc_status st = create_fields(ctx, lyr, fn, ft, 8);
    bool any_zh = false; /* the zh deliverables' name of generated road points */
    for (size_t i = 0; i < c->o->n_proposed_sites; i++) any_zh |= c->o->proposed_sites[i].name_zh != NULL;
    if (!st && any_zh) st = cc__add_field(ctx, lyr, "name_zh", OFTString);
    for (size_t i = 0; i < c->o->n_proposed_sites && !st; i++) {
        const cc_coverage_site *q = &c->o->proposed_sites[i];
        OGRFeatureH f = OGR_F_Create(OGR_L_GetLayerDefn(lyr));
        OGR_F_SetFieldInteger(f, 0, (int)q->rank);
        if (q->name) OGR_F_SetFieldString(f, 1, q->name);
        if (q->tier) OGR_F_SetFieldString(f, 2, q->tier);
        if (q->model) OGR_F_SetFieldString(f, 3, q->model);
        /* persons for coverage models, minutes saved on average for time models */
        OGR_F_SetFieldDouble(f, 4, isfinite(q->gain_persons) ? q->gain_persons : q->saved_mean_s / 60.0);
        if (isfinite(q->share_cum)) OGR_F_SetFieldDouble(f, 5, q->share_cum);
        OGR_F_SetFieldDouble(f, 6, q->lon);
        OGR_F_SetFieldDouble(f, 7, q->lat);
        if (any_zh) OGR_F_SetFieldString(f, 8, q->name_zh ? q->name_zh : q->name ? q->name : "");
        OGRGeometryH g = OGR_G_CreateGeometry(wkbPoint);
        OGR_G_SetPoint_2D(g, 0, q->lon, q->lat);
        OGR_F_SetGeometryDirectly(f, g);
        st = cc__gpkg_put(ctx, lyr, f, "proposed_sites");
    }
    return st;
}

/* Move finished folders (a scenario's siting outputs) into the staged output folder. */
static cc_status move_extra_dirs(cc__cov_out *c)
{
    char path[4200];
    for (size_t i = 0; i < c->o->n_extra_dirs; i++) {
        cc__stage_path(c->stage, c->o->extra_names[i], path, sizeof(path));
        if (rename(c->o->extra_dirs[i], path) != 0)
            return cc__fail(c->ctx, CC_ERR_IO, "Unable to move '%s' into the outputs: %s", c->o->extra_dirs[i], strerror(errno));
    }
    return CC_OK;
}

static cc_status write_gpkg(cc__cov_out *c, const polys *p)
{
    char path[4200];
    double *served = served_population(c);
    if (!served) return cc__fail(c->ctx, CC_ERR_NOMEM, "Out of memory");
    GDALDatasetH ds = cc__gpkg_create(c->ctx, cc__stage_path(c->stage, "coverage.gpkg", path, sizeof(path)));
    if (!ds) {
        free(served);
        return CC_ERR_IO;
    }
    cc_status st = CC_OK;
    cc__gdal_begin(c->ctx);
    if (GDALDatasetStartTransaction(ds, FALSE) != OGRERR_NONE)
        st = cc__fail(c->ctx, CC_ERR_IO, "Unable to start writing '%s': %s", path, cc__gdal_msg(c->ctx));
    if (!st) st = layer_isochrones(c, ds, p);
    if (!st && c->chain_d) st = layer_chain_isochrones(c, ds, p);
    if (!st) st = layer_catchments(c, ds, p, served);
    if (!st) st = layer_facilities(c, ds, served);
    if (!st) st = layer_uncovered(c, ds);
    if (!st && c->admin) st = layer_admin(c, ds);
    if (!st && c->o->n_proposed_sites) st = layer_proposed(c, ds);
    if (!st && c->roads) st = cc__write_roads_layer(c->ctx, ds, c->crs_wkt, c->roads, c->profile);
    if (!st && c->capacity) st = cc__capacity_layers(c, ds);
    if (!st && GDALDatasetCommitTransaction(ds) != OGRERR_NONE)
        st = cc__fail(c->ctx, CC_ERR_IO, "Unable to write '%s': %s", path, cc__gdal_msg(c->ctx));
    cc__gdal_end(c->ctx);
    st = cc__gpkg_close(c->ctx, ds, path, st);
    free(served);
    return st;
}

/* ---- summary.json ------------------------------------------------------------------------------ */

static json_object *by_minutes(const cc__cov_out *c, const double *v, int decimals)
{
    json_object *o = json_object_new_object();
    for (size_t b = 0; b < c->nb; b++) {
        char key[32];
        snprintf(key, sizeof(key), "%g", c->bands_min[b]);
        json_object_object_add(o, key, cc__json_num(v[b], decimals));
    }
    return o;
}

static json_object *tier_list(const char *list)
{
    json_object *a = json_object_new_array();
    char buf[512], *save = NULL;
    snprintf(buf, sizeof(buf), "%s", list ? list : "");
    for (char *t = strtok_r(buf, ",", &save); t; t = strtok_r(NULL, ",", &save)) {
        while (*t == ' ') t++;
        size_t len = strlen(t);
        while (len && t[len - 1] == ' ') t[--len] = '\0';
        if (len) json_object_array_add(a, json_object_new_string(t));
    }
    return a;
}

/* summary.json "chain": the whole chain within each threshold, and each leg. */
static json_object *chain_json(const cc__cov_out *c)
{
    const cc_chain_result *ch = c->res->chain;
    const double tot = c->res->population_total;
    double share[CC_MAX_BANDS];
    json_object *j = json_object_new_object(), *x;
    json_object_object_add(j, "station_tiers", tier_list(c->chain_station_tiers));
    json_object_object_add(j, "capable_tiers", tier_list(c->chain_capable_tiers));
    json_object_object_add(j, "stations", json_object_new_int((int)ch->stations));
    json_object_object_add(j, "capable_facilities", json_object_new_int((int)ch->capable_facilities));
    json_object_object_add(j, "dispatch_minutes", cc__json_num(ch->dispatch_minutes, 3));
    json_object_object_add(j, "on_scene_minutes", cc__json_num(ch->on_scene_minutes, 3));
    json_object_object_add(j, "population_within_min", by_minutes(c, ch->population_within, 3));
    for (size_t b = 0; b < c->nb; b++) share[b] = tot > 0 ? ch->population_within[b] / tot : 0;
    json_object_object_add(j, "share_within_min", by_minutes(c, share, 5));
    json_object_object_add(j, "population_without_chain", cc__json_num(ch->population_without_chain, 3));
    json_object_object_add(j, "mean_minutes", cc__json_num(ch->mean_total_s / 60.0, 3));
    json_object *legs = json_object_new_object();
    x = json_object_new_object();
    json_object_object_add(x, "direction", json_object_new_string("facility_to_patient"));
    json_object_object_add(x, "mean_minutes", cc__json_num(ch->mean_station_to_patient_s / 60.0, 3));
    json_object_object_add(x, "population_within_min_with_dispatch", by_minutes(c, ch->response_within, 3));
    json_object_object_add(legs, "station_to_patient", x);
    x = json_object_new_object();
    json_object_object_add(x, "direction", json_object_new_string("patient_to_facility"));
    json_object_object_add(x, "mean_minutes", cc__json_num(ch->mean_patient_to_capable_s / 60.0, 3));
    json_object_object_add(x, "population_within_min", by_minutes(c, ch->transport_within, 3));
    json_object_object_add(legs, "patient_to_capable", x);
    json_object_object_add(j, "legs", legs);
    json_object_object_add(j, "search_s", cc__json_num(ch->t_search_s, 4));
    return j;
}

/* summary.json "by_admin": each admin area's figures (the GeoPackage's coverage_by_admin without
 * the per-tier columns and the geometry), so that a batch compares admin areas of variants that
 * write summary.json only. */
static json_object *admin_json(const cc__cov_out *c)
{
    const cc__admin *a = c->admin;
    const size_t nb = c->nb, h0 = 3 + c->n_sets * nb;
    json_object *arr = json_object_new_array();
    for (size_t k = 0; k < a->n; k++) {
        const double *row = c->adm_sums + k * c->adm_ncol;
        json_object *o = json_object_new_object();
        json_object_object_add(o, "code", json_object_new_string(a->code[k] ? a->code[k] : ""));
        json_object_object_add(o, "name", json_object_new_string(a->name[k] ? a->name[k] : ""));
        if (a->name_zh && a->name_zh[k]) json_object_object_add(o, "name_zh", json_object_new_string(a->name_zh[k]));
        json_object_object_add(o, "population", cc__json_num(row[0], 3));
        json_object_object_add(o, "population_no_road_access", cc__json_num(row[1], 3));
        json_object_object_add(o, "population_unreachable", cc__json_num(row[2], 3));
        json_object_object_add(o, "population_within_min", by_minutes(c, row + 3, 3));
        json_object_object_add(o, "headline_within_min", by_minutes(c, row + h0, 3));
        json_object_array_add(arr, o);
    }
    return arr;
}

static cc_status write_summary(cc__cov_out *c)
{
    const cc_coverage_result *r = c->res;
    const cc_coverage_opts *o = c->o;
    json_object *j = json_object_new_object(), *x;
    double share[CC_MAX_BANDS];
    char path[4200];
    if (!j) return cc__fail(c->ctx, CC_ERR_NOMEM, "Out of memory");
    json_object_object_add(j, "carecircle_version", json_object_new_string(CC_VERSION_STRING));
    json_object_object_add(j, "command", json_object_new_string("coverage"));
    /* what this folder holds (issue 19: a batch may keep only what it compares) */
    x = json_object_new_array();
    static const char *const out_names[] = {"raster", "gpkg", "tables", "report", "summary"};
    for (int k = 0; k < 5; k++)
        if (c->outputs & (1u << k)) json_object_array_add(x, json_object_new_string(out_names[k]));
    json_object_object_add(j, "outputs", x);
    x = json_object_new_object();
    if (o->in.roads) json_object_object_add(x, "roads", json_object_new_string(o->in.roads)); /* none: the friction surface only */
    json_object_object_add(x, "population", json_object_new_string(o->in.population));
    json_object_object_add(x, "facilities", json_object_new_string(o->in.facilities));
    if (o->in.admin) json_object_object_add(x, "admin", json_object_new_string(o->in.admin));
    json_object_object_add(j, "inputs", x);
    json_object_object_add(j, "profile", json_object_new_string(r->profile_name));
    json_object_object_add(j, "crs", json_object_new_string(r->crs_name));
    x = json_object_new_array();
    for (size_t b = 0; b < c->nb; b++) {
        char mb[32];
        snprintf(mb, sizeof(mb), "%g", c->bands_min[b]);
        json_object_array_add(x, json_object_new_double_s(c->bands_min[b], mb));
    }
    json_object_object_add(j, "minutes", x);
    json_object_object_add(j, "population_total", cc__json_num(r->population_total, 3));
    json_object_object_add(j, "population_no_road_access", cc__json_num(r->population_no_road_access, 3));
    json_object_object_add(j, "population_unreachable", cc__json_num(r->population_unreachable, 3));
    json_object_object_add(j, "population_beyond_max", cc__json_num(r->population_beyond, 3));
    json_object_object_add(j, "population_within_min", by_minutes(c, r->population_within, 3));
    for (size_t b = 0; b < c->nb; b++) share[b] = r->population_total > 0 ? r->population_within[b] / r->population_total : 0;
    json_object_object_add(j, "share_within_min", by_minutes(c, share, 5));
    x = json_object_new_object();
    for (size_t k = 0; k < r->n_tiers; k++) {
        const cc_tier_result *t = &r->tiers[k];
        json_object *tj = json_object_new_object();
        json_object_object_add(tj, "facilities", json_object_new_int((int)t->facilities));
        json_object_object_add(tj, "facilities_snapped", json_object_new_int((int)t->facilities_snapped));
        json_object_object_add(tj, "population_within_min", by_minutes(c, t->population_within, 3));
        json_object_object_add(tj, "population_unreachable", cc__json_num(t->population_unreachable, 3));
        json_object_object_add(x, t->name, tj);
    }
    json_object_object_add(j, "tiers", x);
    /* the headline: capable care only (issue 14); every tier above stays */
    x = json_object_new_object();
    json_object *ht = json_object_new_array();
    for (size_t k = 0; k < r->n_headline; k++) json_object_array_add(ht, json_object_new_string(r->headline_tiers[k]));
    json_object_object_add(x, "tiers", ht);
    json_object_object_add(x, "population_within_min", by_minutes(c, r->headline_within, 3));
    for (size_t b = 0; b < c->nb; b++) share[b] = r->population_total > 0 ? r->headline_within[b] / r->population_total : 0;
    json_object_object_add(x, "share_within_min", by_minutes(c, share, 5));
    json_object_object_add(x, "population_unreachable", cc__json_num(r->headline_unreachable, 3));
    json_object_object_add(j, "headline", x);
    json_object_object_add(j, "facilities_total", json_object_new_int((int)r->facilities_total));
    json_object_object_add(j, "facilities_snapped", json_object_new_int((int)r->facilities_snapped));
    json_object_object_add(j, "graph", CC__JSON_NUMS({"nodes", (double)(r->graph_nodes), -1},
        {"edges", (double)(r->graph_edges), -1}, {"arcs", (double)(r->graph_arcs), -1},
        {"way_vertices", (double)((int64_t)r->way_vertices), -1},
        {"strongly_connected_components", (double)(c->graph ? c->graph->scc_count : 0), -1},
        {"largest_component_nodes", (double)(c->graph ? c->graph->scc_largest : 0), -1},
        {"routing_bytes", (double)((int64_t)r->graph_routing_bytes), -1},
        {"geometry_bytes", (double)((int64_t)r->graph_geometry_bytes), -1}));
    x = json_object_new_object();
    json_object_object_add(x, "kind", json_object_new_string(r->demand_is_raster ? "raster" : "points"));
    json_object_object_add(x, "points", json_object_new_int64((int64_t)r->demand_points));
    json_object_object_add(x, "points_with_road_access", json_object_new_int64((int64_t)r->demand_with_road_access));
    json_object_object_add(j, "demand", x);
    json_object_object_add(j, "uncovered_minutes", cc__json_num(c->uncovered_min, 2));
    /* demand_uncovered: beyond uncovered_minutes of the headline tiers (before: of any facility) */
    json_object_object_add(j, "uncovered_counts", json_object_new_string("headline"));
    double resid = r->population_total - (r->population_within[c->nb - 1] + r->population_beyond + r->population_no_road_access +
                                          r->population_unreachable);
    json_object_object_add(j, "accounting_residual", cc__json_num(resid, 6));
    if (r->offroad.used) { /* the straight model's summary stays as it was */
        x = json_object_new_object();
        const cc_offroad_result *q = &r->offroad;
        json_object *y = json_object_new_object();
        json_object_object_add(x, "model", json_object_new_string("friction"));
        json_object_object_add(x, "neighbours", json_object_new_int(q->neighbours));
        if (o->in.offroad.friction) json_object_object_add(x, "friction", json_object_new_string(o->in.offroad.friction));
        if (o->in.offroad.dem) json_object_object_add(x, "dem", json_object_new_string(o->in.offroad.dem));
        if (o->in.offroad.landcover) json_object_object_add(x, "landcover", json_object_new_string(o->in.offroad.landcover));
        if (o->in.offroad.water) {
            json_object_object_add(x, "water", json_object_new_string(o->in.offroad.water));
            json_object_object_add(x, "water_barrier_features", json_object_new_int64((int64_t)q->water_barriers));
            json_object_object_add(x, "water_passable_features", json_object_new_int64((int64_t)q->water_passable));
        }
        if (o->in.offroad.ferries) {
            json_object_object_add(x, "ferries", json_object_new_string(o->in.offroad.ferries));
            json_object_object_add(x, "ferries_linked", json_object_new_int64((int64_t)q->ferries_linked));
            json_object_object_add(x, "ferries_unlinked", json_object_new_int64((int64_t)q->ferries_unlinked));
        }
        json_object_object_add(x, "inputs_cell_for_cell", json_object_new_boolean(q->cell_for_cell));
        json_object_object_add(x, "cells", json_object_new_int64((int64_t)q->cells));
        json_object_object_add(x, "cells_passable", json_object_new_int64((int64_t)q->cells_passable));
        json_object_object_add(x, "transfer_points", json_object_new_int64((int64_t)q->transfer_points));
        json_object_object_add(x, "population_impassable_cell", cc__json_num(q->population_impassable, 3));
        json_object_object_add(x, "population_barrier_enclosed", cc__json_num(q->population_enclosed, 3));
        json_object_object_add(x, "impassable_population", cc__offroad_impassable_json(&o->in.offroad, q->population_moved, q->points_moved, q->moved_max_m));
        json_object_object_add(x, "mean_offroad_minutes", cc__json_num(q->mean_offroad_min, 3));
        json_object_object_add(x, "mean_road_minutes", cc__json_num(q->mean_road_min, 3));
        json_object_object_add(y, "15", cc__json_num(q->population_road_on_foot[0], 3));
        json_object_object_add(y, "30", cc__json_num(q->population_road_on_foot[1], 3));
        json_object_object_add(y, "60", cc__json_num(q->population_road_on_foot[2], 3));
        json_object_object_add(x, "population_road_on_foot_within_min", y);
        json_object_object_add(x, "bytes_per_cell", cc__json_num(q->bytes_per_cell, 1));
        json_object_object_add(x, "t_surface_s", cc__json_num(q->t_surface_s, 4));
        json_object_object_add(x, "t_search_s", cc__json_num(q->t_search_s, 4));
        json_object_object_add(x, "nodes_settled", json_object_new_int64((int64_t)q->nodes_settled));
        json_object_object_add(j, "offroad", x);
    }
    if (r->emergency) {
        x = json_object_new_object();
        json_object_object_add(x, "direction", json_object_new_string("facility_to_patient"));
        json_object_object_add(x, "dispatch_minutes", cc__json_num(r->dispatch_minutes, 3));
        json_object_object_add(j, "emergency", x);
    }
    if (r->chain) json_object_object_add(j, "chain", chain_json(c));
    if (c->adm_sums) json_object_object_add(j, "by_admin", admin_json(c));
    if (c->capacity) json_object_object_add(j, "capacity", cc__capacity_json(c));
    json_object_object_add(j, "timings_s", CC__JSON_NUMS({"load", r->t_load_s, 4}, {"graph", r->t_graph_s, 4},
        {"snap", r->t_snap_s, 4}, {"search", r->t_search_s, 4}, {"polygons", r->t_polygons_s, 4}, {"write", r->t_write_s, 4}));
    cc_status st = cc__write_json(c->ctx, cc__stage_path(c->stage, "summary.json", path, sizeof(path)), j);
    json_object_put(j);
    return st;
}

json_object *cc__json_nums(const cc__json_kv *kv, size_t n)
{
    json_object *o = json_object_new_object();
    for (size_t i = 0; i < n; i++)
        json_object_object_add(o, kv[i].key, kv[i].decimals < 0 ? json_object_new_int64((int64_t)kv[i].v) : cc__json_num(kv[i].v, kv[i].decimals));
    return o;
}

/* travel_time.tif (and the capacity raster) then the tables, and coverage.gpkg, independent files, written at once
 * on two threads when --threads allows: each task with its own context (messages, GDAL's error
 * capture) and its own copy of the outputs' description. */
static cc_status write_raster_and_gpkg(cc__cov_out *c, const polys *p)
{
    cc__cov_out tc[2] = {*c, *c};
    cc_ctx w[2];
    cc_status st[2] = {CC_OK, CC_OK};
    double secs[2] = {0, 0}, tsecs = 0;
    bool want[2] = {(c->outputs & (CC_OUT_RASTER | CC_OUT_TABLES)) != 0, (c->outputs & CC_OUT_GPKG) != 0};
    int threads = cc_ctx_get_threads(c->ctx) > 1 && want[0] && want[1] ? 2 : 1;
    (void)threads;
    for (int k = 0; k < 2; k++) {
        cc__ctx_worker(c->ctx, &w[k]);
        tc[k].ctx = &w[k];
    }
#ifdef _OPENMP
#pragma omp parallel for schedule(dynamic, 1) num_threads(threads)
#endif
    for (int k = 0; k < 2; k++) {
        double t = cc__now();
        if (!want[k]) continue;
        if (k == 0) {
            if (c->outputs & CC_OUT_RASTER) st[0] = write_raster(&tc[0]);
            if (!st[0] && (c->outputs & CC_OUT_RASTER) && tc[0].capacity) st[0] = cc__capacity_raster(&tc[0]);
            /* the tables too: the GeoPackage is the longer task (Comoros: 0.29 s against 0.45 s) */
            double t2 = cc__now();
            if (!st[0] && (c->outputs & CC_OUT_TABLES)) st[0] = cc__coverage_tables(&tc[0]);
            tsecs = cc__now() - t2;
        } else {
            st[1] = write_gpkg(&tc[1], p);
        }
        secs[k] = cc__now() - t;
    }
    cc_status s0 = cc__ctx_worker_end(c->ctx, &w[0], st[0]);
    cc_status s1 = cc__ctx_worker_end(c->ctx, &w[1], s0 ? CC_OK : st[1]);
    if (!s0 && (c->outputs & CC_OUT_RASTER)) cc__debug(c->ctx, "travel_time.tif written in %.3f s", secs[0] - tsecs);
    if (!s0 && (c->outputs & CC_OUT_TABLES)) cc__debug(c->ctx, "tables written in %.3f s", tsecs);
    if (!s0 && !s1 && want[1]) cc__debug(c->ctx, "coverage.gpkg written in %.3f s%s", secs[1], threads > 1 ? " (beside travel_time.tif)" : "");
    return s0 ? s0 : s1;
}

cc_status cc__coverage_write(cc__cov_out *c)
{
    cc_status st = CC_OK;
    polys p = {0};
    char path[4200];
    double t = cc__now();
    /* the headline's times serve the raster, the GeoPackage and the admin areas' figures (not the tables) */
    if (c->outputs & (CC_OUT_RASTER | CC_OUT_GPKG) || c->admin) st = headline_prepare(c);
    if (!st && c->admin) st = admin_sums(c);
    if (!st && (c->outputs & CC_OUT_GPKG)) { /* the isochrones and catchments are layers of the GeoPackage */
        cc__info(c->ctx, "Tracing isochrones and catchments...");
        st = make_polygons(c, &p);
    }
    c->res->t_polygons_s = cc__now() - t;
    t = cc__now();
    if (!st) {
        cc__info(c->ctx, "Writing outputs...");
        st = write_raster_and_gpkg(c, &p);
    }
    c->res->t_write_s = cc__now() - t;
    double t2 = cc__now();
    if (!st) st = write_summary(c);
    cc__debug(c->ctx, "summary.json written in %.3f s", cc__now() - t2);
    if (!st && c->o->scenario_json) st = cc__write_text(c->ctx, cc__stage_path(c->stage, "scenario.json", path, sizeof(path)), c->o->scenario_json);
    if (!st && (c->outputs & CC_OUT_REPORT)) {
        t = cc__now();
        st = cc_report_write(c->ctx, c->stage->tmp_dir, c->o->report);
        cc__debug(c->ctx, "Styles, project, maps and report written in %.3f s", cc__now() - t);
    }
    if (!st) st = move_extra_dirs(c);
    polys_free(&p, n_iso(c) * c->nb, c->fac->n, c->nb);
    CC__FREE_ALL(c->head_dtime, c->head_gtime, c->head_dfac, c->adm_sums);
    c->head_dtime = c->head_gtime = c->head_dfac = NULL;
    c->adm_sums = NULL;
    return st;
}
