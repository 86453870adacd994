/*
 * site_write.c - outputs of a siting run, written into the staging folder:
 * sites.gpkg (proposed_sites, candidates, existing_facilities, isochrones before and after),
 * coverage_curve.csv and summary.json.
 */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <json-c/json.h>

#include "carecircle/cc_version.h"
#include "../isochrone/isochrone_internal.h"
#include "offroad_internal.h"
#include "run_internal.h"

/* A layer of sites.gpkg with its fields. *lyr is NULL when the layer could not be created
 * (CC_ERR_IO, reported); otherwise the status of adding the fields. */
static cc_status new_layer(cc__site_out *w, GDALDatasetH ds, const char *name, OGRwkbGeometryType type, const char *desc,
                           const char *const *names, const OGRFieldType *types, size_t n, OGRLayerH *lyr)
{
    cc_status st = CC_OK;
    if (!(*lyr = cc__gpkg_layer(w->ctx, ds, name, type, w->crs_wkt, desc))) return CC_ERR_IO;
    for (size_t i = 0; i < n && !st; i++) st = cc__add_field(w->ctx, *lyr, names[i], types[i]);
    return st;
}

static bool coverage_model(const cc_site_result *r)
{
    return r->model == CC_SITE_MCLP || r->model == CC_SITE_LSCP || r->model == CC_SITE_MEXCLP || r->model == CC_SITE_CMCLP ||
           r->model == CC_SITE_DSM;
}

/* Feature @p f (taken) at the point (@p x, @p y) written into @p lyr, named @p layer on failure. */
static cc_status put_point(cc_ctx *ctx, OGRLayerH lyr, OGRFeatureH f, double x, double y, const char *layer)
{
    OGRGeometryH g = OGR_G_CreateGeometry(wkbPoint);
    OGR_G_SetPoint_2D(g, 0, x, y);
    OGR_F_SetGeometryDirectly(f, g);
    return cc__gpkg_put(ctx, lyr, f, layer);
}

static cc_status layer_proposed(cc__site_out *w, GDALDatasetH ds)
{
    cc_ctx *ctx = w->ctx;
    const cc_site_result *r = w->res;
    char desc[256];
    snprintf(desc, sizeof(desc), "Proposed new sites in rank order (%s%s), each adding the most to those above it", w->model_name,
             r->emergency ? ", emergency-station mode" : "");
    const bool cov = coverage_model(r);
    static const char *const fn[] = {"rank", "name", "source", "admin", "lon", "lat", "population_gained", "covered_cum", "share_cum",
                                     "mean_minutes_saved", "population_served"};
    static const OGRFieldType ft[] = {OFTInteger, OFTString, OFTString, OFTString, OFTReal, OFTReal, OFTReal, OFTReal, OFTReal, OFTReal, OFTReal};
    OGRLayerH lyr;
    cc_status st = new_layer(w, ds, "proposed_sites", wkbPoint, desc, fn, ft, 11, &lyr);
    if (!lyr) return st;
    /* MEXCLP: the ambulances of each station (population_gained and covered_cum are expected persons) */
    if (!st && (r->model == CC_SITE_MEXCLP || r->model == CC_SITE_DSM)) st = cc__add_field(ctx, lyr, "ambulances", OFTInteger);
    /* CMCLP: the capacity of each site (population_served is then the persons assigned to it) */
    if (!st && (r->model == CC_SITE_CMCLP || r->model == CC_SITE_CPMEDIAN)) st = cc__add_field(ctx, lyr, "capacity_persons", OFTReal);
    /* the name in Chinese where it differs (generated road points), for the zh map, report and QGIS labels */
    bool any_zh = false;
    for (size_t k = 0; k < r->n_picks; k++) any_zh |= r->picks[k].name_zh != NULL;
    if (!st && any_zh) st = cc__add_field(ctx, lyr, "name_zh", OFTString);
    const int izh = any_zh ? OGR_FD_GetFieldIndex(OGR_L_GetLayerDefn(lyr), "name_zh") : -1;
    for (size_t k = 0; k < r->n_picks && !st; k++) {
        const cc_site_pick *p = &r->picks[k];
        OGRFeatureH f = OGR_F_Create(OGR_L_GetLayerDefn(lyr));
        OGR_F_SetFieldInteger(f, 0, (int)p->rank);
        OGR_F_SetFieldString(f, 1, p->name);
        OGR_F_SetFieldString(f, 2, p->source);
        if (p->admin) OGR_F_SetFieldString(f, 3, p->admin);
        OGR_F_SetFieldDouble(f, 4, p->lon);
        OGR_F_SetFieldDouble(f, 5, p->lat);
        if (cov) {
            OGR_F_SetFieldDouble(f, 6, p->gain_persons);
            OGR_F_SetFieldDouble(f, 7, p->covered_cum);
            OGR_F_SetFieldDouble(f, 8, p->share_cum);
        } else {
            OGR_F_SetFieldDouble(f, 9, p->saved_mean_s / 60.0);
        }
        OGR_F_SetFieldDouble(f, 10, p->served);
        if (r->model == CC_SITE_MEXCLP || r->model == CC_SITE_DSM) OGR_F_SetFieldInteger(f, 11, (int)p->ambulances);
        if (r->model == CC_SITE_CMCLP || r->model == CC_SITE_CPMEDIAN) OGR_F_SetFieldDouble(f, 11, p->capacity);
        if (izh >= 0) OGR_F_SetFieldString(f, izh, p->name_zh ? p->name_zh : p->name);
        st = put_point(ctx, lyr, f, p->x, p->y, "proposed_sites");
    }
    return st;
}

/* Robust siting, one variant's folder: the sites this variant would get if it were planned alone
 * (its own optimum), drawn on its map next to the robust set (the proposed sites). */
static cc_status layer_own(cc__site_out *w, GDALDatasetH ds)
{
    static const char *const fn[] = {"rank", "name", "lon", "lat"};
    static const OGRFieldType ft[] = {OFTInteger, OFTString, OFTReal, OFTReal};
    OGRLayerH lyr;
    cc_status st = new_layer(w, ds, "own_optimum_sites", wkbPoint,
                             "Robust siting: the sites this variant would get if it were planned on its own (its own optimum)", fn, ft, 4, &lyr);
    if (!lyr) return st;
    for (size_t k = 0; k < w->n_own && !st; k++) {
        uint32_t j = w->own[k];
        OGRFeatureH f = OGR_F_Create(OGR_L_GetLayerDefn(lyr));
        OGR_F_SetFieldInteger(f, 0, (int)k + 1);
        OGR_F_SetFieldString(f, 1, w->cand->name[j]);
        OGR_F_SetFieldDouble(f, 2, w->cand->lon[j]);
        OGR_F_SetFieldDouble(f, 3, w->cand->lat[j]);
        st = put_point(w->ctx, lyr, f, w->cand->x[j], w->cand->y[j], "own_optimum_sites");
    }
    return st;
}

static cc_status layer_candidates(cc__site_out *w, GDALDatasetH ds)
{
    cc_ctx *ctx = w->ctx;
    const cc__cands *c = w->cand;
    const cc_site_result *r = w->res;
    static const char *const fn[] = {"candidate_id", "name", "source", "admin", "lon", "lat", "alone", "proposed_rank"};
    static const OGRFieldType ft[] = {OFTInteger, OFTString, OFTString, OFTString, OFTReal, OFTReal, OFTReal, OFTInteger};
    OGRLayerH lyr;
    cc_status st = new_layer(w, ds, "candidates", wkbPoint, "Every candidate site considered, with what it would add on its own and its rank when proposed", fn, ft, 8, &lyr);
    if (!lyr) return st;
    uint32_t *rank = cc__calloc_array(c->n ? c->n : 1, sizeof(uint32_t));
    if (!rank) return cc__fail(ctx, CC_ERR_NOMEM, "Out of memory");
    for (uint32_t k = 0; k < r->solution->n_sites; k++) rank[r->solution->sites[k]] = k + 1;
    for (size_t j = 0; j < c->n && !st; j++) {
        OGRFeatureH f = OGR_F_Create(OGR_L_GetLayerDefn(lyr));
        OGR_F_SetFieldInteger(f, 0, (int)j);
        OGR_F_SetFieldString(f, 1, c->name[j]);
        OGR_F_SetFieldString(f, 2, c->source[j] == CC__CAND_FACILITY ? "facility" : c->source[j] == CC__CAND_LAYER ? "candidate" : "road");
        if (w->admin && c->admin[j] >= 0) OGR_F_SetFieldString(f, 3, w->admin->name[c->admin[j]]);
        OGR_F_SetFieldDouble(f, 4, c->lon[j]);
        OGR_F_SetFieldDouble(f, 5, c->lat[j]);
        OGR_F_SetFieldDouble(f, 6, coverage_model(r) ? c->alone[j] : c->alone[j] / 60.0);
        if (rank[j]) OGR_F_SetFieldInteger(f, 7, (int)rank[j]);
        st = put_point(ctx, lyr, f, c->x[j], c->y[j], "candidates");
    }
    free(rank);
    return st;
}

/* summary.json "upgrade" (parameter upgrade_tiers): the facilities upgraded to capable. */
static json_object *upgrade_json(const cc__site_out *w)
{
    const cc_site_result *r = w->res;
    const cc__facilities *fac = w->fac;
    json_object *x = json_object_new_object(), *a = json_object_new_array();
    json_object_object_add(x, "candidates", json_object_new_int((int)r->upgrade_candidates));
    json_object_object_add(x, "sets_solved", json_object_new_int((int)r->upgrade_sets));
    json_object_object_add(x, "covered_without_upgrade", cc__json_num(r->covered_without_upgrade, 3));
    for (uint32_t k = 0; k < r->n_upgraded; k++) {
        uint32_t f = r->upgraded[k];
        json_object *e = json_object_new_object();
        json_object_object_add(e, "name", json_object_new_string(fac->name[f] ? fac->name[f] : ""));
        json_object_object_add(e, "id", json_object_new_int64((int64_t)f)); /* the feature's place in the facility file, from 0 */
        json_object_object_add(e, "fid", json_object_new_int64(fac->fid[f]));
        json_object_object_add(e, "tier", json_object_new_string(fac->tier[f] >= 0 ? fac->tier_name[fac->tier[f]] : ""));
        json_object_object_add(e, "lon", cc__json_num(fac->lon[f], 7));
        json_object_object_add(e, "lat", cc__json_num(fac->lat[f], 7));
        json_object_array_add(a, e);
    }
    json_object_object_add(x, "upgraded_facilities", a);
    return x;
}

/* The facilities upgraded to capable (parameter upgrade_tiers). */
static cc_status layer_upgraded(cc__site_out *w, GDALDatasetH ds)
{
    cc_ctx *ctx = w->ctx;
    const cc__facilities *fac = w->fac;
    const cc_site_result *r = w->res;
    static const char *const fn[] = {"name", "tier", "lon", "lat", "facility_id"};
    static const OGRFieldType ft[] = {OFTString, OFTString, OFTReal, OFTReal, OFTInteger};
    OGRLayerH lyr;
    cc_status st = new_layer(w, ds, "upgraded_facilities", wkbPoint, "Facilities upgraded to capable with the proposed stations (the emergency chain)", fn, ft, 5, &lyr);
    if (!lyr) return st;
    for (uint32_t k = 0; k < r->n_upgraded && !st; k++) {
        uint32_t f = r->upgraded[k];
        OGRFeatureH ft2 = OGR_F_Create(OGR_L_GetLayerDefn(lyr));
        OGR_F_SetFieldString(ft2, 0, fac->name[f]);
        if (fac->tier[f] >= 0) OGR_F_SetFieldString(ft2, 1, fac->tier_name[fac->tier[f]]);
        OGR_F_SetFieldDouble(ft2, 2, fac->lon[f]);
        OGR_F_SetFieldDouble(ft2, 3, fac->lat[f]);
        OGR_F_SetFieldInteger(ft2, 4, (int)f);
        st = put_point(ctx, lyr, ft2, fac->x[f], fac->y[f], "upgraded_facilities");
    }
    return st;
}

static cc_status layer_existing(cc__site_out *w, GDALDatasetH ds)
{
    cc_ctx *ctx = w->ctx;
    const cc__facilities *fac = w->fac;
    static const char *const fn[] = {"name", "tier", "lon", "lat", "snapped"};
    static const OGRFieldType ft[] = {OFTString, OFTString, OFTReal, OFTReal, OFTInteger};
    OGRLayerH lyr;
    cc_status st = new_layer(w, ds, "existing_facilities", wkbPoint, "Existing facilities of the fixed tiers, which stay and count as covering already", fn, ft, 5, &lyr);
    if (!lyr) return st;
    for (size_t f = 0; fac && f < fac->n && !st; f++) {
        if (!w->fixed[f]) continue;
        OGRFeatureH ft2 = OGR_F_Create(OGR_L_GetLayerDefn(lyr));
        OGR_F_SetFieldString(ft2, 0, fac->name[f]);
        if (fac->tier[f] >= 0) OGR_F_SetFieldString(ft2, 1, fac->tier_name[fac->tier[f]]);
        OGR_F_SetFieldDouble(ft2, 2, fac->lon[f]);
        OGR_F_SetFieldDouble(ft2, 3, fac->lat[f]);
        OGR_F_SetFieldInteger(ft2, 4, w->fjoin[f].arc != CC_INVALID_ID);
        st = put_point(ctx, lyr, ft2, fac->x[f], fac->y[f], "existing_facilities");
    }
    return st;
}

/* The area within T before and after, traced on the grid. */
static cc_status layer_isochrones(cc__site_out *w, GDALDatasetH ds)
{
    cc_ctx *ctx = w->ctx;
    const cc__demand *g = w->grid;
    const cc_site_result *r = w->res;
    char desc[200];
    snprintf(desc, sizeof(desc), "Area within %g minutes of a facility, before (existing facilities) and after (with the proposed sites)",
             r->minutes);
    static const char *const fn[] = {"state", "minutes", "population", "share", "area_km2"};
    static const OGRFieldType ft[] = {OFTString, OFTReal, OFTReal, OFTReal, OFTReal};
    OGRLayerH lyr;
    cc_status st = new_layer(w, ds, "isochrones", wkbMultiPolygon, desc, fn, ft, 5, &lyr);
    if (!lyr) return st;
    size_t ncell = (size_t)g->grid.w * g->grid.h;
    int32_t *cls = cc__malloc_array(ncell, sizeof(int32_t));
    if (!cls) return cc__fail(ctx, CC_ERR_NOMEM, "Out of memory for isochrones");
    for (int k = 0; k < 2 && !st; k++) {
        const uint32_t *t = k ? w->gtime_after : w->gtime_before;
        memset(cls, 0, ncell * sizeof(int32_t));
        for (size_t i = 0; i < g->n; i++)
            if (t[i] <= w->T_ms) cls[g->cell[i]] = 1;
        OGRGeometryH poly = NULL;
        if ((st = cc__polygonize(ctx, &g->grid, cls, 1, w->crs_wkt, &poly))) break;
        double pop = k ? r->covered_after : r->covered_before;
        OGRFeatureH f = OGR_F_Create(OGR_L_GetLayerDefn(lyr));
        OGR_F_SetFieldString(f, 0, k ? "after" : "before");
        OGR_F_SetFieldDouble(f, 1, r->minutes);
        OGR_F_SetFieldDouble(f, 2, pop);
        OGR_F_SetFieldDouble(f, 3, r->population_total > 0 ? pop / r->population_total : 0);
        OGR_F_SetFieldDouble(f, 4, poly ? OGR_G_Area(poly) / 1e6 : 0.0);
        if (poly) OGR_F_SetGeometryDirectly(f, poly);
        st = cc__gpkg_put(ctx, lyr, f, "isochrones");
    }
    free(cls);
    return st;
}

/* Who is still left out with the proposed sites: populated points beyond T (or with no road
 * access, or on roads that reach no facility), ranked by population, as coverage writes it. */
typedef struct unc_i {
    double pop;
    uint32_t i;
} unc_i;

static int cmp_unc(const void *a, const void *b)
{
    const unc_i *x = a, *y = b;
    if (x->pop != y->pop) return x->pop > y->pop ? -1 : 1;
    return x->i < y->i ? -1 : x->i > y->i;
}

static cc_status layer_uncovered(cc__site_out *w, GDALDatasetH ds)
{
    cc_ctx *ctx = w->ctx;
    const cc__demand *d = w->dem;
    char desc[200];
    snprintf(desc, sizeof(desc), "Populated %s beyond %g minutes with the proposed sites, or without road access, ranked by population",
             d->is_raster ? "cells" : "villages", w->res->minutes);
    static const char *const fn[] = {"rank", "population", "minutes", "status", "name"};
    static const OGRFieldType ft[] = {OFTInteger, OFTReal, OFTReal, OFTString, OFTString};
    OGRLayerH lyr;
    cc_status st = new_layer(w, ds, "demand_uncovered", wkbPoint, desc, fn, ft, 5, &lyr);
    if (!st && d->name_zh) st = cc__add_field(ctx, lyr, "name_zh", OFTString);
    /* where each point is: township (with admin areas) and lon/lat, as in coverage.gpkg */
    const int iadm = d->name_zh ? 6 : 5;
    if (!st) st = cc__add_field(ctx, lyr, "admin", OFTString);
    if (!st) st = cc__add_field(ctx, lyr, "lon", OFTReal);
    if (!st) st = cc__add_field(ctx, lyr, "lat", OFTReal);
    if (st) return st;
    unc_i *u = cc__malloc_array(d->n ? d->n : 1, sizeof(unc_i));
    if (!u) return cc__fail(ctx, CC_ERR_NOMEM, "Out of memory");
    size_t n = 0;
    for (size_t i = 0; i < d->n; i++)
        if (d->pop[i] > 0 && w->dtime_after[i] > w->T_ms) u[n++] = (unc_i){d->pop[i], (uint32_t)i};
    qsort(u, n, sizeof(*u), cmp_unc);
    if (n > CC__MAX_UNCOVERED) { /* as coverage.gpkg's */
        cc__warn(ctx, "demand_uncovered holds the %d most populated of %zu uncovered points", CC__MAX_UNCOVERED, n);
        n = CC__MAX_UNCOVERED;
    }
    double *lon = cc__malloc_array(n ? n : 1, sizeof(double)), *lat = cc__malloc_array(n ? n : 1, sizeof(double));
    int32_t *adm = cc__malloc_array(n ? n : 1, sizeof(int32_t));
    if (!lon || !lat || !adm) st = cc__fail(ctx, CC_ERR_NOMEM, "Out of memory");
    for (size_t k = 0; k < n && !st; k++) lon[k] = d->x[u[k].i], lat[k] = d->y[u[k].i], adm[k] = -1;
    if (!st && w->admin && n) st = cc__points_in_polygons(ctx, w->admin->geom, w->admin->n, lon, lat, n, cc_ctx_get_threads(ctx), adm);
    if (!st) st = cc__to_lonlat(ctx, w->crs_wkt, lon, lat, n);
    cc__gpkg_rows *rw = NULL;
    if (!st) st = cc__gpkg_rows_open(ctx, ds, lyr, "demand_uncovered", &rw);
    cc__gval v[9];
    for (size_t k = 0; k < n && !st; k++) {
        size_t i = u[k].i;
        memset(v, 0, sizeof(v));
        v[0] = (cc__gval){.kind = 'i', .i = (int64_t)(k + 1)};
        v[1] = (cc__gval){.kind = 'd', .d = d->pop[i]};
        const char *status = "beyond";
        if (w->dpass && !w->dpass[i]) status = "impassable_cell"; /* as coverage writes it */
        else if (w->djoin && w->djoin[i].arc == CC_INVALID_ID) status = "no_road_access";
        else if (w->dtime_after[i] == CC_INF_COST) status = "unreachable";
        else v[2] = (cc__gval){.kind = 'd', .d = w->dtime_after[i] / 60000.0};
        v[3] = (cc__gval){.kind = 's', .s = status};
        if (d->name && d->name[i]) v[4] = (cc__gval){.kind = 's', .s = d->name[i]};
        if (d->name_zh && d->name_zh[i]) v[5] = (cc__gval){.kind = 's', .s = d->name_zh[i]};
        if (adm[k] >= 0) v[iadm] = (cc__gval){.kind = 's', .s = w->admin->name[adm[k]]};
        v[iadm + 1] = (cc__gval){.kind = 'd', .d = lon[k]};
        v[iadm + 2] = (cc__gval){.kind = 'd', .d = lat[k]};
        st = cc__gpkg_rows_put(rw, d->x[i], d->y[i], v, iadm + 3);
    }
    st = cc__gpkg_rows_close(rw, st);
    free(lon);
    free(lat);
    free(adm);
    free(u);
    return st;
}

static cc_status write_gpkg(cc__site_out *w)
{
    char path[4200];
    GDALDatasetH ds = cc__gpkg_create(w->ctx, cc__stage_path(w->stage, "sites.gpkg", path, sizeof(path)));
    if (!ds) return CC_ERR_IO;
    cc_status st = CC_OK;
    cc__gdal_begin(w->ctx);
    if (GDALDatasetStartTransaction(ds, FALSE) != OGRERR_NONE)
        st = cc__fail(w->ctx, CC_ERR_IO, "Unable to start writing '%s': %s", path, cc__gdal_msg(w->ctx));
    if (!st) st = layer_proposed(w, ds);
    if (!st && w->own) st = layer_own(w, ds);
    if (!st) st = layer_candidates(w, ds);
    if (!st && w->fac) st = layer_existing(w, ds);
    if (!st && w->fac && w->o->upgrade_tiers) st = layer_upgraded(w, ds);
    if (!st) st = layer_isochrones(w, ds);
    if (!st) st = layer_uncovered(w, ds);
    /* what the siting map draws under the sites: the roads and the township boundaries */
    if (!st && w->roads) st = cc__write_roads_layer(w->ctx, ds, w->crs_wkt, w->roads, w->profile);
    if (!st && w->admin) st = cc__write_admin_layer(w->ctx, ds, w->crs_wkt, w->admin);
    if (!st && GDALDatasetCommitTransaction(ds) != OGRERR_NONE)
        st = cc__fail(w->ctx, CC_ERR_IO, "Unable to write '%s': %s", path, cc__gdal_msg(w->ctx));
    cc__gdal_end(w->ctx);
    return cc__gpkg_close(w->ctx, ds, path, st);
}

/* ---- coverage_curve.csv ---------------------------------------------------------------------------- */

static void csv_num(FILE *f, double v, int dec, bool last)
{
    if (isfinite(v))
        fprintf(f, "%.*f", dec, v);
    fputc(last ? '\n' : ',', f);
}

static cc_status write_curve(cc__site_out *w)
{
    char path[4200];
    const cc_site_result *r = w->res;
    cc__stage_path(w->stage, "coverage_curve.csv", path, sizeof(path));
    FILE *f = fopen(path, "w");
    if (!f) return cc__fail(w->ctx, CC_ERR_IO, "Unable to write '%s'", path);
    const bool cov = coverage_model(r);
    /* population_covered: the best answer found for each p, solved separately (the sites of p = 3
     * need not include those of p = 2); population_covered_nested: the first p sites of the final
     * answer in rank order (each adds the most to those above it), which never decreases as a
     * plan built site by site */
    if (cov)
        fputs("p,population_covered,share_covered,population_gained,bound,gap,population_covered_nested,share_covered_nested\n", f);
    else
        fprintf(f, "p,%s,bound_minutes,gap\n", r->model == CC_SITE_PMEDIAN || r->model == CC_SITE_CPMEDIAN ? "mean_minutes" : "worst_minutes");
    /* p = 0: before the new sites (cmclp: served within capacity; mexclp: expected coverage) */
    const double c0 = r->model == CC_SITE_CMCLP ? r->served_before : r->model == CC_SITE_MEXCLP ? r->expected_before : r->covered_before;
    if (cov) {
        double sh0 = r->population_total > 0 ? c0 / r->population_total : 0;
        fprintf(f, "0,%.3f,%.6f,0,%.3f,0,%.3f,%.6f\n", c0, sh0, c0, c0, sh0);
    }
    for (size_t k = 0; k < r->n_curve; k++) {
        const cc_site_curve_point *c = &r->curve[k];
        fprintf(f, "%u,", c->p);
        if (cov) {
            csv_num(f, c->covered, 3, false);
            csv_num(f, c->share, 6, false);
            csv_num(f, c->covered - c0, 3, false);
            csv_num(f, c->bound, 3, false);
            csv_num(f, c->gap, 6, false);
            bool have = c->p >= 1 && c->p <= r->n_picks;
            csv_num(f, have ? r->picks[c->p - 1].covered_cum : NAN, 3, false);
            csv_num(f, have ? r->picks[c->p - 1].share_cum : NAN, 6, true);
        } else {
            csv_num(f, c->objective / 60.0, 4, false);
            csv_num(f, c->bound / 60.0, 4, false);
            csv_num(f, c->gap, 6, true);
        }
    }
    int e1 = ferror(f), e2 = fclose(f);
    if (e1 || e2) return cc__fail(w->ctx, CC_ERR_IO, "Unable to write '%s'", path);
    return CC_OK;
}

/* ---- summary.json ----------------------------------------------------------------------------------- */

/* Capacitated p-median: capacities, mean times with them respected, and who is left at the radius. */
static json_object *capacity_pmedian_json(const cc__site_out *w)
{
    const cc_site_result *r = w->res;
    json_object *a = json_object_new_object();
    json_object_object_add(a, "model", json_object_new_string("capacitated p-median: each site serves at most its capacity; the people of a demand "
                                                              "point may be split between sites; people no site can take keep their time to the "
                                                              "nearest uncapacitated facility, or the radius"));
    if (w->o->capacity_persons > 0) json_object_object_add(a, "capacity_persons", cc__json_num(w->o->capacity_persons, 3));
    if (w->o->in.capacity_field) json_object_object_add(a, "capacity_field", json_object_new_string(w->o->in.capacity_field));
    json_object_object_add(a, "capacitated_existing", json_object_new_int64(r->capacitated_existing));
    json_object_object_add(a, "capacity_new_sites", cc__json_num(r->capacity_new, 3));
    json_object_object_add(a, "served_by_new_sites", cc__json_num(r->served_new, 3));
    json_object_object_add(a, "mean_minutes_before", cc__json_num(r->cap_mean_s_before / 60.0, 4));
    json_object_object_add(a, "mean_minutes_after", cc__json_num(r->cap_mean_s_after / 60.0, 4));
    json_object_object_add(a, "mean_minutes_after_capacity_ignored", cc__json_num(r->mean_s_blind_after / 60.0, 4));
    json_object_object_add(a, "at_radius_after", cc__json_num(r->at_radius_after, 3));
    json_object_object_add(a, "unserved_within_radius", cc__json_num(r->unserved_within_new, 3));
    json_object_object_add(a, "definition", json_object_new_string("means over the people with road access, times capped at parameters.radius_minutes; "
                                                                   "unserved_within_radius: people left at the radius although a site reaches them "
                                                                   "(its capacity is used up)"));
    return a;
}

/* CMCLP: capacities and what the new sites serve. */
static json_object *capacity_json(const cc__site_out *w)
{
    const cc_site_result *r = w->res;
    double tot = r->population_total;
    json_object *a = json_object_new_object();
    json_object_object_add(a, "model", json_object_new_string("capacitated MCLP: each new site serves at most its capacity; the people of a "
                                                              "demand point may be split between sites; existing facilities with a capacity "
                                                              "value serve at most it, in the same assignment; those without one are not capacitated"));
    if (w->o->capacity_persons > 0) json_object_object_add(a, "capacity_persons", cc__json_num(w->o->capacity_persons, 3));
    if (w->o->in.capacity_field) json_object_object_add(a, "capacity_field", json_object_new_string(w->o->in.capacity_field));
    json_object_object_add(a, "capacity_new_sites", cc__json_num(r->capacity_new, 3));
    json_object_object_add(a, "served_by_new_sites", cc__json_num(r->served_new, 3));
    json_object_object_add(a, "capacitated_existing", json_object_new_int64(r->capacitated_existing));
    json_object_object_add(a, "served_before", cc__json_num(r->served_before, 3));
    json_object_object_add(a, "served_after", cc__json_num(r->served_after, 3));
    json_object_object_add(a, "served_share_before", cc__json_num(tot > 0 ? r->served_before / tot : 0, 6));
    json_object_object_add(a, "served_share_after", cc__json_num(tot > 0 ? r->served_after / tot : 0, 6));
    json_object_object_add(a, "within_reach_beyond_capacity", cc__json_num(r->unserved_within_new, 3));
    json_object_object_add(a, "definition", json_object_new_string("served_after = served_before + the sites' gains (existing capacitated facilities "
                                                                   "may hand people to new sites, so served_by_new_sites can exceed the gain); "
                                                                   "covered_after = served_after + within_reach_beyond_capacity (capacity ignored)"));
    return a;
}

/* MEXCLP: the ambulances, the busy fraction and the expected and double coverage before and after. */
static json_object *availability_json(const cc__site_out *w)
{
    const cc_site_result *r = w->res;
    double tot = r->population_total;
    json_object *a = json_object_new_object();
    json_object_object_add(a, "model", json_object_new_string("MEXCLP (Daskin 1983): each ambulance busy independently with probability busy_fraction"));
    json_object_object_add(a, "busy_fraction", cc__json_num(r->busy_fraction, 6));
    json_object_object_add(a, "max_per_station", json_object_new_int((int)(w->o->max_per_station ? w->o->max_per_station : r->p)));
    json_object_object_add(a, "ambulances_existing", json_object_new_int((int)r->ambulances_existing));
    json_object_object_add(a, "ambulances_new", json_object_new_int((int)r->ambulances_new));
    json_object_object_add(a, "stations_new", json_object_new_int((int)r->n_picks));
    json_object_object_add(a, "expected_covered_before", cc__json_num(r->expected_before, 3));
    json_object_object_add(a, "expected_covered_after", cc__json_num(r->expected_after, 3));
    json_object_object_add(a, "expected_share_before", cc__json_num(tot > 0 ? r->expected_before / tot : 0, 6));
    json_object_object_add(a, "expected_share_after", cc__json_num(tot > 0 ? r->expected_after / tot : 0, 6));
    json_object_object_add(a, "covered_twice_before", cc__json_num(r->twice_before, 3));
    json_object_object_add(a, "covered_twice_after", cc__json_num(r->twice_after, 3));
    json_object_object_add(a, "covered_twice_definition", json_object_new_string("population within the threshold of two or more ambulances (stations holding two count twice)"));
    return a;
}

/* DSM: the two standards, the share alpha, and the population within r1, r2 and covered twice within
 * r1 before and after (fresh searches), and whether the standards are met. */
static json_object *double_standard_json(const cc__site_out *w)
{
    const cc_site_result *r = w->res;
    const cc_site_solution *s = r->solution;
    double tot = r->population_total;
    json_object *a = json_object_new_object();
    json_object_object_add(a, "model", json_object_new_string("double standard model (Gendreau, Laporte & Semet 1997): everybody a station can reach "
                                                               "within outer_minutes covered within it, a share alpha within minutes, most population "
                                                               "within minutes of two or more ambulances"));
    json_object_object_add(a, "minutes", cc__json_num(r->minutes, 3));
    json_object_object_add(a, "outer_minutes", cc__json_num(r->outer_minutes, 3));
    json_object_object_add(a, "alpha", cc__json_num(r->alpha, 6));
    json_object_object_add(a, "max_per_station", json_object_new_int((int)(w->o->max_per_station ? w->o->max_per_station : 2)));
    json_object_object_add(a, "ambulances_existing", json_object_new_int((int)r->ambulances_existing));
    json_object_object_add(a, "ambulances_new", json_object_new_int((int)r->ambulances_new));
    json_object_object_add(a, "stations_new", json_object_new_int((int)r->n_picks));
    json_object_object_add(a, "within_minutes_before", cc__json_num(r->covered_before, 3));
    json_object_object_add(a, "within_minutes_after", cc__json_num(r->covered_after, 3));
    json_object_object_add(a, "share_within_minutes_after", cc__json_num(tot > 0 ? r->covered_after / tot : 0, 6));
    json_object_object_add(a, "within_outer_before", cc__json_num(r->outer_before, 3));
    json_object_object_add(a, "within_outer_after", cc__json_num(r->outer_after, 3));
    json_object_object_add(a, "within_outer_reachable", cc__json_num(r->outer_reachable, 3));
    json_object_object_add(a, "covered_twice_before", cc__json_num(r->twice_before, 3));
    json_object_object_add(a, "covered_twice_after", cc__json_num(r->twice_after, 3));
    json_object_object_add(a, "alpha_met", json_object_new_boolean(s->alpha_met));
    json_object_object_add(a, "outer_met", json_object_new_boolean(s->outer_met));
    json_object_object_add(a, "feasible", json_object_new_boolean(s->feasible));
    if (!s->feasible) {
        json_object_object_add(a, "infeasible_proven", json_object_new_boolean(s->infeasible_proven));
        json_object_object_add(a, "best_share_within_minutes_bound", cc__json_num(s->best_share_bound, 6));
    }
    json_object_object_add(a, "definition", json_object_new_string(
        "times include the dispatch delay; within_outer_reachable: people within outer_minutes of an existing or candidate station, "
        "to whom the outer standard applies (nobody can cover the others); alpha is a share of population_total; covered twice: "
        "within minutes of two or more ambulances (a station with two counts twice); when feasible is false the sites are the best "
        "plan found (outer standard first, then the share within minutes up to alpha, then covered twice)"));
    return a;
}

/* summary.json "parameters": what the run was asked. */
static json_object *summary_parameters(const cc__site_out *w)
{
    const cc_site_result *r = w->res;
    const cc_site_opts *o = w->o;
    json_object *x = json_object_new_object();
    json_object_object_add(x, "minutes", cc__json_num(r->minutes, 3));
    if (!coverage_model(r)) json_object_object_add(x, "radius_minutes", cc__json_num(r->radius_minutes, 3));
    if (r->emergency) json_object_object_add(x, "dispatch_minutes", cc__json_num(r->dispatch_minutes, 3));
    json_object_object_add(x, "direction", json_object_new_string(r->emergency ? "facility_to_patient" : "patient_to_facility"));
    if (r->chain) {
        json_object *ch = json_object_new_object();
        json_object_object_add(ch, "capable_tiers", json_object_new_string(o->capable_tiers));
        json_object_object_add(ch, "on_scene_minutes", cc__json_num(r->on_scene_minutes, 3));
        json_object_object_add(ch, "time", json_object_new_string("dispatch + station to patient + on scene + patient to the nearest capable facility"));
        if (o->upgrade_tiers) {
            json_object_object_add(ch, "upgrade_tiers", json_object_new_string(o->upgrade_tiers));
            json_object_object_add(ch, "max_upgrades", json_object_new_int((int)(o->max_subcentres ? o->max_subcentres : 2)));
        }
        json_object_object_add(x, "chain", ch);
    }
    if (r->model == CC_SITE_DSM) {
        json_object_object_add(x, "outer_minutes", cc__json_num(r->outer_minutes, 3));
        json_object_object_add(x, "alpha", cc__json_num(r->alpha, 6));
    }
    if (r->model == CC_SITE_LSCP) json_object_object_add(x, "target_share", cc__json_num(o->target_share ? o->target_share : 0.95, 4));
    else json_object_object_add(x, "p", json_object_new_int((int)r->p));
    if (o->fixed_tiers) json_object_object_add(x, "fixed_tiers", json_object_new_string(o->fixed_tiers));
    if (o->candidate_tiers) json_object_object_add(x, "candidate_tiers", json_object_new_string(o->candidate_tiers));
    if (o->candidate_roads) {
        json_object_object_add(x, "candidate_roads", json_object_new_string(o->candidate_roads));
        json_object_object_add(x, "spacing_m", cc__json_num(o->spacing_m ? o->spacing_m : 1000, 1));
    }
    if (o->max_per_area > 0) json_object_object_add(x, "max_per_area", json_object_new_int(o->max_per_area));
    if (o->min_per_area > 0) json_object_object_add(x, "min_per_area", json_object_new_int(o->min_per_area));
    if (o->candidate_tiers && !o->emergency) json_object_object_add(x, "max_subcentres", json_object_new_int((int)(o->max_subcentres ? o->max_subcentres : 2)));
    json_object_object_add(x, "exact", json_object_new_boolean(o->exact));
    if (o->in.offroad.model == CC_OFFROAD_FRICTION) { /* the straight model's summary stays as it was */
        json_object *of = cc__offroad_summary_json(&o->in.offroad, -1);
        json_object_object_add(of, "impassable_population", cc__offroad_impassable_json(&o->in.offroad, r->population_moved, r->points_moved, r->moved_max_m));
        json_object_object_add(x, "offroad", of);
    }
    json_object_object_add(x, "profile", json_object_new_string(r->profile_name));
    json_object_object_add(x, "crs", json_object_new_string(r->crs_name));
    return x;
}

/* summary.json "solution": the answer and its proof. */
static json_object *summary_solution(const cc__site_out *w)
{
    const cc_site_result *r = w->res;
    const cc_site_solution *s = r->solution;
    json_object *x = json_object_new_object();
    const char *unit = r->model == CC_SITE_MEXCLP ? "expected persons served within the threshold"
                       : r->model == CC_SITE_CMCLP ? "persons served within the threshold, capacities respected"
                       : r->model == CC_SITE_DSM   ? "persons within the threshold of two or more ambulances"
                       : coverage_model(r) ? (r->model == CC_SITE_MCLP ? "persons within the threshold" : "new sites")
                       : r->model == CC_SITE_PMEDIAN ? "mean minutes"
                       : r->model == CC_SITE_CPMEDIAN ? "mean minutes, capacities respected" : "worst minutes";
    double scale = coverage_model(r) ? 1.0 : 1.0 / 60.0;
    json_object_object_add(x, "objective", cc__json_num(s->objective * scale, 4));
    json_object_object_add(x, "bound", cc__json_num(s->bound * scale, 4));
    json_object_object_add(x, "unit", json_object_new_string(unit));
    const bool upper = r->model == CC_SITE_MCLP || r->model == CC_SITE_MEXCLP || r->model == CC_SITE_CMCLP || r->model == CC_SITE_DSM;
    json_object_object_add(x, "bound_kind", json_object_new_string(upper ? "upper" : "lower"));
    json_object_object_add(x, "gap", cc__json_num(s->gap, 6));
    json_object_object_add(x, "gap_definition",
                           json_object_new_string(r->model == CC_SITE_MCLP     ? "(bound - objective) / population gained"
                                                  : r->model == CC_SITE_MEXCLP ? "(bound - objective) / expected population gained"
                                                  : r->model == CC_SITE_CMCLP  ? "(bound - objective) / population served by the new sites"
                                                  : r->model == CC_SITE_DSM    ? "(bound - objective) / population newly covered twice (null: standards not met)"
                                                                               : "(objective - bound) / objective"));
    json_object_object_add(x, "proven_optimal", json_object_new_boolean(s->proven_optimal));
    json_object_object_add(x, "bound_method", json_object_new_string(s->bound_method));
    if (r->model == CC_SITE_DSM) json_object_object_add(x, "feasible", json_object_new_boolean(s->feasible));
    if (r->model == CC_SITE_LSCP) {
        json_object_object_add(x, "feasible", json_object_new_boolean(s->feasible));
        json_object_object_add(x, "best_share", cc__json_num(s->best_share, 6));
        json_object_object_add(x, "best_share_bound", cc__json_num(s->best_share_bound, 6));
    }
    if (r->model == CC_SITE_MCLP || r->model == CC_SITE_PMEDIAN || r->model == CC_SITE_MEXCLP || r->model == CC_SITE_CMCLP || r->model == CC_SITE_DSM ||
        r->model == CC_SITE_CPMEDIAN)
        json_object_object_add(x, "objective_greedy", cc__json_num(s->objective_greedy * scale, 4));
    json_object_object_add(x, "local_search_swaps", json_object_new_int(s->swaps));
    if (r->model == CC_SITE_CMCLP || r->model == CC_SITE_CPMEDIAN)
        json_object_object_add(x, "local_search_skipped", json_object_new_boolean(s->local_search_skipped));
    json_object_object_add(x, "lagrangian_iterations", json_object_new_int(s->lagrange_iterations));
    return x;
}

static json_object *summary_sites(const cc__site_out *w)
{
    const cc_site_result *r = w->res;
    json_object *x = json_object_new_array();
    for (size_t k = 0; k < r->n_picks; k++) {
        const cc_site_pick *p = &r->picks[k];
        json_object *pj = json_object_new_object();
        json_object_object_add(pj, "rank", json_object_new_int((int)p->rank));
        json_object_object_add(pj, "name", json_object_new_string(p->name));
        if (p->name_zh) json_object_object_add(pj, "name_zh", json_object_new_string(p->name_zh)); /* the zh deliverables' name */
        json_object_object_add(pj, "source", json_object_new_string(p->source));
        if (p->admin) json_object_object_add(pj, "admin", json_object_new_string(p->admin));
        json_object_object_add(pj, "lon", cc__json_num(p->lon, 7));
        json_object_object_add(pj, "lat", cc__json_num(p->lat, 7));
        if (coverage_model(r)) {
            json_object_object_add(pj, "population_gained", cc__json_num(p->gain_persons, 3));
            json_object_object_add(pj, "covered_cum", cc__json_num(p->covered_cum, 3));
            json_object_object_add(pj, "share_cum", cc__json_num(p->share_cum, 6));
        } else {
            json_object_object_add(pj, "mean_minutes_saved", cc__json_num(p->saved_mean_s / 60.0, 5));
        }
        json_object_object_add(pj, "population_served", cc__json_num(p->served, 3));
        if (r->model == CC_SITE_MEXCLP || r->model == CC_SITE_DSM) json_object_object_add(pj, "ambulances", json_object_new_int((int)p->ambulances));
        if (r->model == CC_SITE_CMCLP || r->model == CC_SITE_CPMEDIAN) json_object_object_add(pj, "capacity_persons", cc__json_num(p->capacity, 3));
        json_object_array_add(x, pj);
    }
    return x;
}

/* summary.json "coverage": before and after. */
static json_object *summary_coverage(const cc__site_out *w)
{
    const cc_site_result *r = w->res;
    json_object *x = json_object_new_object();
    json_object_object_add(x, "population_total", cc__json_num(r->population_total, 3));
    json_object_object_add(x, "population_no_road_access", cc__json_num(r->population_no_road_access, 3));
    json_object_object_add(x, "covered_before", cc__json_num(r->covered_before, 3));
    json_object_object_add(x, "covered_after", cc__json_num(r->covered_after, 3));
    json_object_object_add(x, "share_before", cc__json_num(r->population_total > 0 ? r->covered_before / r->population_total : 0, 6));
    json_object_object_add(x, "share_after", cc__json_num(r->population_total > 0 ? r->covered_after / r->population_total : 0, 6));
    json_object_object_add(x, "backup_before", cc__json_num(r->backup_before, 3));
    json_object_object_add(x, "backup_after", cc__json_num(r->backup_after, 3));
    json_object_object_add(x, "mean_minutes_before", cc__json_num(r->mean_s_before / 60.0, 4));
    json_object_object_add(x, "mean_minutes_after", cc__json_num(r->mean_s_after / 60.0, 4));
    json_object_object_add(x, "p90_minutes_before", cc__json_num(r->p90_s_before / 60.0, 4));
    json_object_object_add(x, "p90_minutes_after", cc__json_num(r->p90_s_after / 60.0, 4));
    json_object_object_add(x, "worst_minutes_before", cc__json_num(r->worst_s_before / 60.0, 4));
    json_object_object_add(x, "worst_minutes_after", cc__json_num(r->worst_s_after / 60.0, 4));
    if (coverage_model(r)) json_object_object_add(x, "population_no_candidate_within_threshold", cc__json_num(r->unreachable_by_candidates, 3));
    return x;
}

static cc_status write_summary(cc__site_out *w)
{
    const cc_site_result *r = w->res;
    const cc_site_solution *s = r->solution;
    const cc_site_opts *o = w->o;
    char path[4200];
    json_object *j = json_object_new_object(), *x;
    if (!j) return cc__fail(w->ctx, CC_ERR_NOMEM, "Out of memory");
    json_object_object_add(j, "carecircle_version", json_object_new_string(CC_VERSION_STRING));
    json_object_object_add(j, "command", json_object_new_string("site"));
    /* what this folder holds besides coverage_curve.csv (parameter outputs), as coverage's */
    x = json_object_new_array();
    static const struct {
        unsigned flag;
        const char *name;
    } held[] = {{CC_OUT_GPKG, "gpkg"}, {CC_OUT_REPORT, "report"}, {CC_OUT_SUMMARY, "summary"}};
    for (size_t k = 0; k < sizeof(held) / sizeof(held[0]); k++)
        if (cc__site_outputs(o) & held[k].flag) json_object_array_add(x, json_object_new_string(held[k].name));
    json_object_object_add(j, "outputs", x);
    json_object_object_add(j, "model", json_object_new_string(w->model_name));
    json_object_object_add(j, "emergency_mode", json_object_new_boolean(r->emergency));
    x = json_object_new_object();
    if (o->in.roads) json_object_object_add(x, "roads", json_object_new_string(o->in.roads)); /* none: the friction surface only */
    json_object_object_add(x, "population", json_object_new_string(o->in.population));
    if (o->in.facilities) json_object_object_add(x, "facilities", json_object_new_string(o->in.facilities));
    if (o->candidates) json_object_object_add(x, "candidates", json_object_new_string(o->candidates));
    if (o->in.admin) json_object_object_add(x, "admin", json_object_new_string(o->in.admin));
    if (o->exclude) json_object_object_add(x, "exclude", json_object_new_string(o->exclude));
    json_object_object_add(j, "inputs", x);
    x = json_object_new_object();
    json_object_object_add(x, "kind", json_object_new_string(w->dem->is_raster ? "raster" : "points"));
    double cw, ch;
    if (w->dem->is_raster && cc__grid_cell_size(w->dem->grid.gt, w->dem->grid.w, w->dem->grid.h, w->dem->grid.wkt, w->crs_wkt, &cw, &ch)) { /* the maps draw cells this size (no travel_time.tif here) */
        json_object_object_add(x, "cell_width", cc__json_num(cw, 3));
        json_object_object_add(x, "cell_height", cc__json_num(ch, 3));
    }
    json_object_object_add(j, "demand", x);
    json_object_object_add(j, "parameters", summary_parameters(w));
    json_object_object_add(j, "solution", summary_solution(w));
    json_object_object_add(j, "proposed_sites", summary_sites(w));
    if (o->upgrade_tiers) json_object_object_add(j, "upgrade", upgrade_json(w));
    json_object_object_add(j, "coverage", summary_coverage(w));
    if (r->model == CC_SITE_MEXCLP) json_object_object_add(j, "availability", availability_json(w));
    if (r->model == CC_SITE_CMCLP) json_object_object_add(j, "capacity", capacity_json(w));
    if (r->model == CC_SITE_DSM) json_object_object_add(j, "double_standard", double_standard_json(w));
    if (r->model == CC_SITE_CPMEDIAN) json_object_object_add(j, "capacity", capacity_pmedian_json(w));
    json_object_object_add(j, "counts", CC__JSON_NUMS({"candidates", (double)(r->candidates_total), -1},
        {"candidates_from_facilities", (double)(r->candidates_facility), -1},
        {"candidates_from_layer", (double)(r->candidates_layer), -1},
        {"candidates_along_roads", (double)(r->candidates_road), -1},
        {"candidates_dropped_off_road", (double)(r->candidates_dropped_offroad), -1},
        {"candidates_dropped_excluded", (double)(r->candidates_dropped_excluded), -1},
        {"existing_facilities", (double)(r->fixed_facilities), -1}, {"demand_points", (double)((int64_t)w->dem->n), -1},
        {"pairs", (double)((int64_t)r->pairs), -1}, {"sets_bytes", (double)((int64_t)r->sets_bytes), -1},
        {"bytes_per_pair", r->bytes_per_pair, 3}, {"settled_nodes", (double)((int64_t)r->settled_nodes), -1},
        {"demand_classes", (double)(s->demand_classes), -1},
        {"pairs_after_reduction", (double)((int64_t)s->pairs_reduced), -1}));
    json_object_object_add(j, "timings_s", CC__JSON_NUMS({"load", r->t_load_s, 4}, {"graph", r->t_graph_s, 4},
        {"snap_and_candidates", r->t_snap_s, 4}, {"coverage_sets", r->t_sets_s, 4}, {"solve", r->t_solve_s, 4},
        {"solve_heuristic", s->t_heuristic_s, 4}, {"solve_bound", s->t_bound_s, 4}, {"solve_exact", s->t_exact_s, 4},
        {"evaluate", r->t_eval_s, 4}));
    cc_status st = cc__write_json(w->ctx, cc__stage_path(w->stage, "summary.json", path, sizeof(path)), j);
    json_object_put(j);
    return st;
}

cc_status cc__site_write(cc__site_out *w)
{
    cc_status st;
    cc__info(w->ctx, "Writing outputs...");
    if ((cc__site_outputs(w->o) & CC_OUT_GPKG) && (st = write_gpkg(w))) return st;
    if ((st = write_curve(w))) return st;
    return write_summary(w);
}
