/*
 * compare.c - the comparison of a batch: for each scenario and each admin area (and the whole
 * area), the population within each threshold and the change against the base, read from the
 * variants' outputs, written as comparison.csv, comparison.gpkg (layer "comparison", styled)
 * and the batch report.
 */
#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <glib.h>
#include <json-c/json.h>

#include "../io/json_read_internal.h"
#include "../io/write_internal.h"
#include "../report/report_internal.h"
#include "scenario_internal.h"

typedef struct cmp_admin {
    char *code, *name, *name_zh;
    double pop, within[CC_MAX_BANDS], no_road, unreachable;
    double head_within[CC_MAX_BANDS]; /* the headline tiers' (head_pop_le_T); NAN when the layer has none */
    OGRGeometryH geom;
} cmp_admin;

typedef struct cmp_var {
    const char *name, *state;
    bool ok;
    bool report[2]; /* report_zh.html, report_en.html in its folder (outputs may leave them out) */
    double total, within[CC_MAX_BANDS], no_road, unreachable;
    /* the headline (capable care, issue 14): its tiers joined with ',' ("" when summary.json has
     * none) and its figures (NAN when none) */
    char *head_tiers;
    double head_within[CC_MAX_BANDS];
    cmp_admin *adm;
    size_t n_adm;
    char *wkt;
} cmp_var;

static void var_free(cmp_var *v)
{
    for (size_t i = 0; i < v->n_adm; i++) {
        free(v->adm[i].code);
        free(v->adm[i].name);
        free(v->adm[i].name_zh);
        if (v->adm[i].geom) OGR_G_DestroyGeometry(v->adm[i].geom);
    }
    free(v->adm);
    free(v->wkt);
    free(v->head_tiers);
}

static double json_num_or_nan(json_object *o, const char *key)
{
    json_object *x = NULL;
    return o && json_object_object_get_ex(o, key, &x) && (json_object_is_type(x, json_type_double) || json_object_is_type(x, json_type_int))
               ? json_object_get_double(x)
               : NAN;
}

/* The admin areas' figures from summary.json's by_admin (a variant that wrote no GeoPackage);
 * entries that are not objects are left out, missing figures are NAN. */
static void admin_from_summary(cmp_var *v, json_object *ba, const double *minutes, size_t nb)
{
    size_t n = json_object_array_length(ba), k = 0;
    v->adm = cc__calloc_array(n ? n : 1, sizeof(cmp_admin));
    for (size_t i = 0; v->adm && i < n; i++) {
        json_object *o = json_object_array_get_idx(ba, i), *x = NULL, *w = NULL, *hw = NULL;
        if (!json_object_is_type(o, json_type_object)) continue;
        cmp_admin *a = &v->adm[k];
        const char *code = json_object_object_get_ex(o, "code", &x) ? json_object_get_string(x) : NULL;
        const char *name = json_object_object_get_ex(o, "name", &x) ? json_object_get_string(x) : NULL;
        a->code = cc__strdup(code ? code : "");
        a->name = cc__strdup(name ? name : "");
        if (!a->code || !a->name) { /* out of memory: the area is left out */
            CC__FREE_ALL(a->code, a->name);
            a->code = a->name = NULL;
            continue;
        }
        k++;
        a->name_zh = json_object_object_get_ex(o, "name_zh", &x) && json_object_get_string(x) ? cc__strdup(json_object_get_string(x)) : NULL;
        a->pop = json_num_or_nan(o, "population");
        a->no_road = json_num_or_nan(o, "population_no_road_access");
        a->unreachable = json_num_or_nan(o, "population_unreachable");
        if (!json_object_object_get_ex(o, "population_within_min", &w)) w = NULL;
        if (!json_object_object_get_ex(o, "headline_within_min", &hw)) hw = NULL;
        for (size_t b = 0; b < nb; b++) {
            char key[32];
            snprintf(key, sizeof(key), "%g", minutes[b]);
            a->within[b] = json_num_or_nan(w, key);
            a->head_within[b] = json_num_or_nan(hw, key);
        }
    }
    v->n_adm = k;
}

static void read_var(cc_ctx *ctx, cmp_var *v, const char *dir, const double *minutes, size_t nb)
{
    char p[4300];
    for (size_t b = 0; b < nb; b++) v->within[b] = v->head_within[b] = NAN;
    snprintf(p, sizeof(p), "%s/summary.json", dir);
    json_object *j = NULL, *w = NULL;
    cc_ctx *q = NULL;
    if (access(p, F_OK) != 0 || cc_ctx_create(&q) != CC_OK) return;
    /* read like user input: a malformed summary leaves the variant out of the comparison, with a warning */
    v->no_road = v->unreachable = NAN;
    bool good = !cc__json_load(q, p, false, &j) && !cc__json_get_num(q, p, j, NULL, "population_total", false, &v->total) &&
                !cc__json_get_num(q, p, j, NULL, "population_no_road_access", false, &v->no_road) &&
                !cc__json_get_num(q, p, j, NULL, "population_unreachable", false, &v->unreachable) &&
                !cc__json_get_obj(q, p, j, NULL, "population_within_min", false, &w);
    for (size_t b = 0; good && w && b < nb; b++) {
        char k[32];
        snprintf(k, sizeof(k), "%g", minutes[b]);
        good = !cc__json_get_num(q, p, w, "population_within_min", k, false, &v->within[b]);
    }
    if (!good) {
        cc__warn(ctx, "%s: variant left out of the comparison", cc_ctx_last_error(q));
        cc_ctx_destroy(q);
        json_object_put(j);
        return;
    }
    /* the headline's tiers and figures, when the summary has them (written since carecircle 0.5) */
    json_object *h = NULL, *ht = NULL, *hw = NULL;
    if (json_object_object_get_ex(j, "headline", &h) && json_object_object_get_ex(h, "tiers", &ht) &&
        json_object_is_type(ht, json_type_array) && json_object_object_get_ex(h, "population_within_min", &hw)) {
        GString *tl = g_string_new(""); /* the whole list, however long: variants are told apart by it */
        for (size_t i = 0; i < json_object_array_length(ht); i++) {
            const char *t = json_object_get_string(json_object_array_get_idx(ht, i));
            g_string_append_printf(tl, "%s%s", i ? "," : "", t ? t : "");
        }
        v->head_tiers = g_string_free(tl, FALSE);
        for (size_t b = 0; b < nb; b++) {
            char k[32];
            json_object *x = NULL;
            snprintf(k, sizeof(k), "%g", minutes[b]);
            v->head_within[b] = json_object_object_get_ex(hw, k, &x) && (json_object_is_type(x, json_type_double) ||
                                                                        json_object_is_type(x, json_type_int))
                                    ? json_object_get_double(x)
                                    : NAN;
        }
    }
    cc_ctx_destroy(q);
    v->ok = true;
    for (int k = 0; k < 2; k++) {
        snprintf(p, sizeof(p), "%s/report_%s.html", dir, k ? "en" : "zh");
        v->report[k] = access(p, F_OK) == 0;
    }
    snprintf(p, sizeof(p), "%s/coverage.gpkg", dir);
    json_object *in = NULL, *adm = NULL, *ba = NULL;
    bool no_gpkg = access(p, F_OK) != 0;
    if (no_gpkg && json_object_object_get_ex(j, "by_admin", &ba) && json_object_is_type(ba, json_type_array))
        admin_from_summary(v, ba, minutes, nb); /* the geometry: another variant's (cc__batch_compare) */
    else if (no_gpkg && json_object_object_get_ex(j, "inputs", &in) && json_object_object_get_ex(in, "admin", &adm))
        cc__warn(ctx, "Variant '%s' wrote no coverage.gpkg and its summary.json has no by_admin (an earlier carecircle wrote it): its admin "
                      "areas are not in the comparison", v->name);
    json_object_put(j);
    if (no_gpkg || cc__input_check(ctx, p, "variant output")) return;
    cc__gdal_begin(ctx);
    GDALDatasetH ds = GDALOpenEx(p, GDAL_OF_VECTOR | GDAL_OF_READONLY, NULL, NULL, NULL);
    cc__gdal_end(ctx);
    if (!ds) return;
    OGRLayerH l = GDALDatasetGetLayerByName(ds, "coverage_by_admin");
    if (l) {
        size_t n = (size_t)OGR_L_GetFeatureCount(l, TRUE), k = 0;
        v->adm = cc__calloc_array(n, sizeof(cmp_admin));
        if (OGR_L_GetSpatialRef(l)) {
            char *w2 = NULL;
            OSRExportToWkt(OGR_L_GetSpatialRef(l), &w2);
            v->wkt = w2 ? cc__strdup(w2) : NULL;
            CPLFree(w2);
        }
        OGRFeatureH f;
        OGR_L_ResetReading(l);
        while (v->adm && k < n && (f = OGR_L_GetNextFeature(l))) {
            cmp_admin *a = &v->adm[k++];
            a->code = cc__strdup(OGR_F_GetFieldAsString(f, OGR_F_GetFieldIndex(f, "code")));
            a->name = cc__strdup(OGR_F_GetFieldAsString(f, OGR_F_GetFieldIndex(f, "name")));
            a->pop = OGR_F_GetFieldAsDouble(f, OGR_F_GetFieldIndex(f, "population"));
            int fz = OGR_F_GetFieldIndex(f, "name_zh"), fr = OGR_F_GetFieldIndex(f, "pop_no_road_access"),
                fu = OGR_F_GetFieldIndex(f, "pop_unreachable");
            a->name_zh = fz >= 0 && OGR_F_IsFieldSetAndNotNull(f, fz) ? cc__strdup(OGR_F_GetFieldAsString(f, fz)) : NULL;
            a->no_road = fr >= 0 ? OGR_F_GetFieldAsDouble(f, fr) : NAN;
            a->unreachable = fu >= 0 ? OGR_F_GetFieldAsDouble(f, fu) : NAN;
            for (size_t b = 0; b < nb; b++) {
                char nm[48];
                snprintf(nm, sizeof(nm), "pop_le_%g", minutes[b]);
                int fi = OGR_F_GetFieldIndex(f, nm);
                a->within[b] = fi >= 0 ? OGR_F_GetFieldAsDouble(f, fi) : NAN;
                snprintf(nm, sizeof(nm), "head_pop_le_%g", minutes[b]);
                fi = OGR_F_GetFieldIndex(f, nm);
                a->head_within[b] = fi >= 0 && OGR_F_IsFieldSetAndNotNull(f, fi) ? OGR_F_GetFieldAsDouble(f, fi) : NAN;
            }
            OGRGeometryH g = OGR_F_GetGeometryRef(f);
            a->geom = g ? OGR_G_Clone(g) : NULL;
            OGR_F_Destroy(f);
        }
        v->n_adm = k;
    }
    GDALClose(ds);
}

static void csv_num(GString *g, double v, int dec)
{
    if (isnan(v))
        g_string_append(g, ",");
    else if (dec == 0)
        g_string_append_printf(g, ",%.0f", fabs(v) < 0.5 ? 0.0 : round(v));
    else
        g_string_append_printf(g, ",%.*f", dec, v);
}

/* The rows of the comparison: per scenario, the total then each admin area (matched to the base
 * by code), with the change against the base where both have the figure. Caller frees *rows. */
static cc_status cmp_rows(cc_ctx *ctx, const cc_batch *b, const cmp_var *v, size_t n, size_t nb, rp_cmp_row **rows_out, size_t *n_out)
{
    rp_cmp_row *rows = NULL;
    size_t n_rows = 0, cap = 0;
    for (size_t i = 0; i < n; i++) {
        for (size_t a = 0; a <= v[i].n_adm; a++) {
            if (n_rows == cap) {
                cap = cap ? cap * 2 : 64;
                rp_cmp_row *r = cc__realloc_array(rows, cap, sizeof(rp_cmp_row));
                if (!r) {
                    free(rows);
                    return cc__fail(ctx, CC_ERR_NOMEM, "Out of memory");
                }
                rows = r;
            }
            rp_cmp_row *r = &rows[n_rows++];
            memset(r, 0, sizeof(*r));
            r->scenario = v[i].name;
            r->state = v[i].state;
            r->report[0] = v[i].report[0];
            r->report[1] = v[i].report[1];
            r->label_zh = i < b->n ? b->v[i]->label_zh : NULL;
            r->label_en = i < b->n ? b->v[i]->label_en : NULL;
            const cmp_admin *ad = a ? &v[i].adm[a - 1] : NULL;
            r->code = ad ? ad->code : NULL;
            r->name = ad ? ad->name : NULL;
            r->name_zh = ad ? ad->name_zh : NULL;
            r->pop = ad ? ad->pop : v[i].ok ? v[i].total : NAN;
            r->no_road = ad ? ad->no_road : v[i].ok ? v[i].no_road : NAN;
            r->unreachable = ad ? ad->unreachable : v[i].ok ? v[i].unreachable : NAN;
            const cmp_admin *bd = NULL;
            if (ad)
                for (size_t q = 0; q < v[0].n_adm; q++)
                    if (!strcmp(v[0].adm[q].code, ad->code)) bd = &v[0].adm[q];
            r->have_delta = v[0].ok && v[i].ok && (!ad || bd);
            for (size_t k = 0; k < nb; k++) {
                r->within[k] = ad ? ad->within[k] : v[i].ok ? v[i].within[k] : NAN;
                r->delta[k] = r->have_delta ? r->within[k] - (bd ? bd->within[k] : v[0].within[k]) : NAN;
                /* the headline's: compared only when the base counts the same tiers */
                r->head_within[k] = ad ? ad->head_within[k] : v[i].ok ? v[i].head_within[k] : NAN;
                r->head_delta[k] = r->have_delta && !g_strcmp0(v[i].head_tiers, v[0].head_tiers)
                                       ? r->head_within[k] - (bd ? bd->head_within[k] : v[0].head_within[k])
                                       : NAN;
            }
            r->head_tiers = v[i].head_tiers;
        }
        if (!v[i].ok) { /* a failed variant still gets its (empty) total row */
            rows[n_rows - 1].pop = rows[n_rows - 1].no_road = rows[n_rows - 1].unreachable = NAN;
            for (size_t k = 0; k < nb; k++) rows[n_rows - 1].within[k] = NAN;
        }
    }
    *rows_out = rows;
    *n_out = n_rows;
    return CC_OK;
}

/* comparison.csv: one line per row (population, within, share and change per threshold), written
 * through a temporary file. */
static cc_status cmp_csv(cc_ctx *ctx, const char *dir, const rp_cmp_row *rows, size_t n_rows, const double *minutes, size_t nb)
{
    cc_status st = CC_OK;
    GString *csv = g_string_new("scenario,state,admin_code,admin_name,population,pop_no_road_access,pop_unreachable");
    for (size_t k = 0; k < nb; k++) g_string_append_printf(csv, ",pop_le_%g", minutes[k]);
    for (size_t k = 0; k < nb; k++) g_string_append_printf(csv, ",share_le_%g", minutes[k]);
    for (size_t k = 0; k < nb; k++) g_string_append_printf(csv, ",delta_le_%g", minutes[k]);
    /* the headline tiers' (capable care): what the variants' key figures count */
    g_string_append(csv, ",headline_tiers");
    for (size_t k = 0; k < nb; k++) g_string_append_printf(csv, ",head_pop_le_%g", minutes[k]);
    for (size_t k = 0; k < nb; k++) g_string_append_printf(csv, ",head_share_le_%g", minutes[k]);
    for (size_t k = 0; k < nb; k++) g_string_append_printf(csv, ",head_delta_le_%g", minutes[k]);
    g_string_append(csv, "\n");
    for (size_t i = 0; i < n_rows; i++) {
        const rp_cmp_row *r = &rows[i];
        cc__csv_field(csv, r->scenario);
        g_string_append_c(csv, ',');
        cc__csv_field(csv, r->state);
        g_string_append_c(csv, ',');
        cc__csv_field(csv, r->code ? r->code : "");
        g_string_append_c(csv, ',');
        cc__csv_field(csv, r->code ? (r->name ? r->name : "") : "total");
        /* people are whole persons in every CSV */
        csv_num(csv, r->pop, 0);
        csv_num(csv, r->no_road, 0);
        csv_num(csv, r->unreachable, 0);
        for (size_t k = 0; k < nb; k++) csv_num(csv, r->within[k], 0);
        for (size_t k = 0; k < nb; k++) csv_num(csv, r->pop > 0 ? r->within[k] / r->pop : NAN, 5);
        /* the change of the rounded figures, so that the columns add up */
        for (size_t k = 0; k < nb; k++) csv_num(csv, r->have_delta ? round(r->within[k]) - round(r->within[k] - r->delta[k]) : NAN, 0);
        g_string_append_c(csv, ',');
        cc__csv_field(csv, r->head_tiers ? r->head_tiers : "");
        for (size_t k = 0; k < nb; k++) csv_num(csv, r->head_within[k], 0);
        for (size_t k = 0; k < nb; k++) csv_num(csv, r->pop > 0 ? r->head_within[k] / r->pop : NAN, 5);
        for (size_t k = 0; k < nb; k++)
            csv_num(csv, isnan(r->head_delta[k]) ? NAN : round(r->head_within[k]) - round(r->head_within[k] - r->head_delta[k]), 0);
        g_string_append_c(csv, '\n');
    }
    char path[4300], tmp[4400];
    snprintf(path, sizeof(path), "%s/comparison.csv", dir);
    snprintf(tmp, sizeof(tmp), "%s.tmp", path);
    if (!(st = cc__write_text(ctx, tmp, csv->str)) && rename(tmp, path) != 0)
        st = cc__fail(ctx, CC_ERR_IO, "Unable to write '%s': %s", path, strerror(errno));
    g_string_free(csv, TRUE);
    return st;
}

/* The fields of the comparison layer: names, then population, share and change per threshold. */
static cc_status cmp_fields(cc_ctx *ctx, OGRLayerH lyr, const double *minutes, size_t nb)
{
    static const char *const fn[] = {"scenario", "state", "admin_code", "admin_name", "population"};
    static const OGRFieldType ft[] = {OFTString, OFTString, OFTString, OFTString, OFTReal};
    cc_status st = lyr ? CC_OK : CC_ERR_IO;
    for (size_t i = 0; i < 5 && !st; i++) st = cc__add_field(ctx, lyr, fn[i], ft[i]);
    for (int part = 0; part < 6 && !st; part++) {
        static const char *const pre[] = {"pop", "share", "delta", "head_pop", "head_share", "head_delta"};
        if (part == 3) st = cc__add_field(ctx, lyr, "headline_tiers", OFTString);
        for (size_t k = 0; k < nb && !st; k++) {
            char nm[48];
            snprintf(nm, sizeof(nm), "%s_le_%g", pre[part], minutes[k]);
            st = cc__add_field(ctx, lyr, nm, OFTReal);
        }
    }
    return st;
}

/* One feature per row; admin rows take the area's geometry (rows are in (variant, admin) order),
 * totals have none. */
static cc_status cmp_features(cc_ctx *ctx, OGRLayerH lyr, const cmp_var *v, size_t n, const rp_cmp_row *rows, size_t n_rows,
                              size_t nb, const char *path)
{
    cc_status st = CC_OK;
    for (size_t i = 0, vi = 0, ai = 0; i < n_rows && !st; i++) {
        const rp_cmp_row *r = &rows[i];
        while (vi < n && strcmp(v[vi].name, r->scenario)) {
            vi++;
            ai = 0;
        }
        OGRFeatureH f = OGR_F_Create(OGR_L_GetLayerDefn(lyr));
        OGR_F_SetFieldString(f, 0, r->scenario);
        OGR_F_SetFieldString(f, 1, r->state);
        if (r->code) OGR_F_SetFieldString(f, 2, r->code);
        OGR_F_SetFieldString(f, 3, r->code ? (r->name ? r->name : "") : "total");
        if (!isnan(r->pop)) OGR_F_SetFieldDouble(f, 4, r->pop);
        for (size_t k = 0; k < nb; k++) {
            if (!isnan(r->within[k])) OGR_F_SetFieldDouble(f, 5 + (int)k, r->within[k]);
            if (r->pop > 0 && !isnan(r->within[k])) OGR_F_SetFieldDouble(f, 5 + (int)(nb + k), r->within[k] / r->pop);
            if (r->have_delta) OGR_F_SetFieldDouble(f, 5 + (int)(2 * nb + k), r->delta[k]);
            const int h0 = 5 + (int)(3 * nb) + 1; /* after headline_tiers */
            if (!isnan(r->head_within[k])) OGR_F_SetFieldDouble(f, h0 + (int)k, r->head_within[k]);
            if (r->pop > 0 && !isnan(r->head_within[k])) OGR_F_SetFieldDouble(f, h0 + (int)(nb + k), r->head_within[k] / r->pop);
            if (!isnan(r->head_delta[k])) OGR_F_SetFieldDouble(f, h0 + (int)(2 * nb + k), r->head_delta[k]);
        }
        if (r->head_tiers && *r->head_tiers) OGR_F_SetFieldString(f, 5 + (int)(3 * nb), r->head_tiers);
        if (r->code && vi < n && ai < v[vi].n_adm && v[vi].adm[ai].geom)
            OGR_F_SetGeometryDirectly(f, OGR_G_ForceToMultiPolygon(OGR_G_Clone(v[vi].adm[ai].geom)));
        if (r->code) ai++;
        if (OGR_L_CreateFeature(lyr, f) != OGRERR_NONE) st = cc__fail(ctx, CC_ERR_IO, "Unable to write '%s': %s", path, cc__gdal_msg(ctx));
        OGR_F_Destroy(f);
    }
    return st;
}

/* The QGIS style of the comparison layer, coloured by the change at 30 minutes (or the middle
 * threshold), stored in the GeoPackage at tmp. */
static cc_status cmp_style(cc_ctx *ctx, const char *tmp, const cmp_var *v, size_t n, const double *minutes, size_t nb, bool head)
{
    cc_status st = CC_OK;
    double mid = minutes[nb / 2];
    for (size_t k = 0; k < nb; k++)
        if (minutes[k] == 30) mid = 30;
    char field[48];
    snprintf(field, sizeof(field), head ? "head_delta_le_%g" : "delta_le_%g", mid); /* capable care, as the maps */
    const char **names = cc__calloc_array(n, sizeof(char *));
    if (!names) st = cc__fail(ctx, CC_ERR_NOMEM, "Out of memory");
    for (size_t i = 0; names && i < n; i++) names[i] = v[i].name;
    char *qml = names ? cc__qml_comparison(field, names, n) : NULL;
    const char *layer = "comparison", *col = "geom";
    if (qml) st = cc__layer_styles_put(ctx, tmp, &layer, &col, (const char *const *)&qml, 1);
    g_free(qml);
    free(names);
    return st;
}

/* comparison.gpkg: the comparison layer (one feature per scenario and admin area, plus
 * geometry-less totals), styled, written through a temporary file. */
static cc_status cmp_gpkg(cc_ctx *ctx, const char *dir, const cmp_var *v, size_t n, const rp_cmp_row *rows, size_t n_rows,
                          const double *minutes, size_t nb, bool head)
{
    cc_status st;
    char path[4300], tmp[4400];
    snprintf(path, sizeof(path), "%s/comparison.gpkg", dir);
    snprintf(tmp, sizeof(tmp), "%s/.comparison.tmp.gpkg", dir);
    remove(tmp);
    GDALDatasetH ds = cc__gpkg_create(ctx, tmp);
    if (!ds) return CC_ERR_IO;
    const char *wkt = NULL;
    for (size_t i = 0; i < n && !wkt; i++) wkt = v[i].wkt;
    OGRLayerH lyr = cc__gpkg_layer(ctx, ds, "comparison", wkbMultiPolygon, wkt,
                                   "Population within each threshold per scenario and admin area, and the change against the base");
    st = cmp_fields(ctx, lyr, minutes, nb);
    cc__gdal_begin(ctx);
    if (!st && GDALDatasetStartTransaction(ds, FALSE) != OGRERR_NONE)
        st = cc__fail(ctx, CC_ERR_IO, "Unable to start writing '%s': %s", path, cc__gdal_msg(ctx));
    if (!st) st = cmp_features(ctx, lyr, v, n, rows, n_rows, nb, path);
    if (!st && GDALDatasetCommitTransaction(ds) != OGRERR_NONE) /* e.g. the disk full */
        st = cc__fail(ctx, CC_ERR_IO, "Unable to write '%s': %s", path, cc__gdal_msg(ctx));
    cc__gdal_end(ctx);
    st = cc__gpkg_close(ctx, ds, tmp, st);
    if (!st) st = cmp_style(ctx, tmp, v, n, minutes, nb, head);
    if (!st && rename(tmp, path) != 0) st = cc__fail(ctx, CC_ERR_IO, "Unable to write '%s': %s", path, strerror(errno));
    if (st) remove(tmp);
    return st;
}

cc_status cc__batch_compare(cc_ctx *ctx, const cc_batch *b, const char *dir, const cc_variant_result *res, size_t n, const char *lang)
{
    const cc_scenario *base = b->v[0];
    const size_t nb = base->n_minutes;
    const double *minutes = base->minutes;
    cc_status st = CC_OK;
    cmp_var *v = cc__calloc_array(n, sizeof(cmp_var));
    rp_cmp_row *rows = NULL;
    size_t n_rows = 0;
    if (!v) return cc__fail(ctx, CC_ERR_NOMEM, "Out of memory");
    cc__gdal_init();
    for (size_t i = 0; i < n; i++) {
        v[i].name = res[i].name;
        v[i].state = res[i].state == CC_VARIANT_DONE ? "done" : res[i].state == CC_VARIANT_SKIPPED ? "skipped" : "failed";
        if (res[i].state != CC_VARIANT_FAILED) read_var(ctx, &v[i], res[i].out_dir, minutes, nb);
    }
    /* admin areas read from summary.json have no geometry: the same area's (by code) of the first
     * variant that has it, the base's first */
    GHashTable *geom = g_hash_table_new(g_str_hash, g_str_equal);
    for (size_t i = 0; i < n; i++)
        for (size_t a = 0; a < v[i].n_adm; a++)
            if (v[i].adm[a].geom && !g_hash_table_contains(geom, v[i].adm[a].code))
                g_hash_table_insert(geom, v[i].adm[a].code, v[i].adm[a].geom);
    for (size_t i = 0; i < n; i++)
        for (size_t a = 0; a < v[i].n_adm; a++) {
            OGRGeometryH g = v[i].adm[a].geom ? NULL : g_hash_table_lookup(geom, v[i].adm[a].code);
            if (g) v[i].adm[a].geom = OGR_G_Clone(g);
        }
    g_hash_table_destroy(geom);
    /* the headline (capable care) is what the comparison map and the report show when every
     * variant that ran counts the base's headline tiers; else all facilities, as before */
    bool head = n && v[0].ok && v[0].head_tiers && v[0].head_tiers[0];
    for (size_t i = 1; i < n && head; i++) head = !v[i].ok || !g_strcmp0(v[i].head_tiers, v[0].head_tiers);
    if (n && v[0].ok && v[0].head_tiers && v[0].head_tiers[0] && !head)
        cc__warn(ctx, "The variants' headlines count other tiers than the base's (%s): the comparison map and report compare all facilities",
                 v[0].head_tiers);
    if ((st = cmp_rows(ctx, b, v, n, nb, &rows, &n_rows)) || (st = cmp_csv(ctx, dir, rows, n_rows, minutes, nb)) ||
        (st = cmp_gpkg(ctx, dir, v, n, rows, n_rows, minutes, nb, head)))
        goto out;
    if (head)
        for (size_t i = 0; i < n_rows; i++) { /* the report's figures: the headline's */
            memcpy(rows[i].within, rows[i].head_within, sizeof(rows[i].within));
            memcpy(rows[i].delta, rows[i].head_delta, sizeof(rows[i].delta));
        }
    /* the batch report, in each language */
    for (int k = 0; k < 2 && !st; k++) {
        const char *l = k ? "en" : "zh";
        if (!strstr(lang ? lang : "zh", l)) continue;
        char path[4300];
        snprintf(path, sizeof(path), "%s/report_%s.html", dir, l);
        st = cc__html_batch(ctx, path, l, b->file, minutes, nb, rows, n_rows, head ? v[0].head_tiers : NULL);
    }
out:
    for (size_t i = 0; i < n; i++) var_free(&v[i]);
    free(v);
    free(rows);
    return st;
}
