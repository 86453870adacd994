/*
 * coverage_tables.c - the tables people open in Excel, next to the GeoPackage:
 *
 * access_by_village.csv / .xlsx: per village (point demand), or per block of about 1 km of
 * raster cells, the minutes to the nearest facility of every tier, that facility's name, the
 * admin area, lon/lat and the reason when no facility is reached. A block's population is the
 * sum of its cells; its place, times and admin area are those of its most populous cell.
 *
 * referrals.csv: each township health centre to its nearest county hospital (or sub-centre),
 * minutes and kilometres along the fastest route (off-road legs included) and straight-line km.
 *
 * CSV files are UTF-8 with a byte-order mark, so that Excel shows Chinese names; the XLSX file
 * goes through GDAL's XLSX driver. People are whole persons.
 */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <glib.h>
#include <cpl_string.h>

#include "run_internal.h"

/* A comma, then @p s as a CSV field. */
static void csv_text(GString *g, const char *s)
{
    g_string_append_c(g, ',');
    cc__csv_field(g, s);
}

static const char *set_label(const cc__cov_out *c, size_t k)
{
    return k == 0 ? "all" : c->fac->tier_name[k - 1];
}

static const char *fac_name(const cc__cov_out *c, uint32_t f)
{
    const cc__facilities *fa = c->fac;
    if (f == CC_INVALID_ID || f >= fa->n) return "";
    return fa->name_zh && fa->name_zh[f] && *fa->name_zh[f] ? fa->name_zh[f] : fa->name[f];
}

/* The tiers of a referral: township health centres refer to county hospitals / sub-centres. */
static bool is_township_tier(const char *t)
{
    return strstr(t, "township") || strstr(t, "health_centre") || strstr(t, "health_center");
}

static bool is_county_tier(const char *t)
{
    return strstr(t, "hospital") || strstr(t, "sub_centre") || strstr(t, "subcentre") || strstr(t, "sub-centre");
}

/* ---- access_by_village ---------------------------------------------------------------------- */

typedef struct acc_row {
    size_t rep;   /* demand point whose place and times stand for the row */
    double pop;   /* persons of the row */
    size_t cells; /* raster cells in the row (1 for a village) */
} acc_row;

static cc_status access_rows(cc__cov_out *c, acc_row **out, size_t *n_out)
{
    const cc__demand *d = c->dem;
    *out = NULL;
    *n_out = 0;
    if (!d->is_raster) {
        acc_row *r = cc__calloc_array(d->n ? d->n : 1, sizeof(acc_row));
        if (!r) return cc__fail(c->ctx, CC_ERR_NOMEM, "Out of memory");
        for (size_t i = 0; i < d->n; i++) r[i] = (acc_row){i, d->pop[i], 1};
        *out = r;
        *n_out = d->n;
        return CC_OK;
    }
    /* blocks of about 1 km of cells */
    double cell = fabs(d->grid.gt[1]);
    if (cell < 1.0) cell *= 111320.0; /* degrees: metres at the equator (blocks a little smaller away from it) */
    int k = cell > 0 ? (int)lround(1000.0 / cell) : 1;
    if (k < 1) k = 1;
    int bw = (d->grid.w + k - 1) / k, bh = (d->grid.h + k - 1) / k;
    size_t nblk = (size_t)bw * (size_t)bh;
    int64_t *slot = cc__malloc_array(nblk ? nblk : 1, sizeof(int64_t));
    acc_row *r = cc__calloc_array(d->n ? d->n : 1, sizeof(acc_row));
    if (!slot || !r) {
        free(slot);
        free(r);
        return cc__fail(c->ctx, CC_ERR_NOMEM, "Out of memory");
    }
    for (size_t b = 0; b < nblk; b++) slot[b] = -1;
    size_t n = 0;
    for (size_t i = 0; i < d->n; i++) {
        if (!(d->pop[i] > 0) || d->cell[i] < 0) continue;
        int row = (int)(d->cell[i] / d->grid.w), col = (int)(d->cell[i] % d->grid.w);
        size_t b = (size_t)(row / k) * (size_t)bw + (size_t)(col / k);
        if (slot[b] < 0) {
            slot[b] = (int64_t)n;
            r[n++] = (acc_row){i, 0, 0};
        }
        acc_row *a = &r[slot[b]];
        a->pop += d->pop[i];
        a->cells++;
        if (d->pop[i] > d->pop[a->rep]) a->rep = i;
    }
    free(slot);
    *out = r;
    *n_out = n;
    return CC_OK;
}

/* The admin area of demand point @p i, its Chinese name first; "" when none. */
static const char *row_admin(const cc__cov_out *c, size_t i)
{
    if (!c->admin || c->dadmin[i] < 0) return "";
    const int32_t a = c->dadmin[i];
    return c->admin->name_zh && c->admin->name_zh[a] && *c->admin->name_zh[a] ? c->admin->name_zh[a] : c->admin->name[a];
}

/* Why demand point @p i reaches no facility: "no_road_access", "unreachable" or "". */
static const char *row_reason(const cc__cov_out *c, size_t i)
{
    return c->djoin[i].arc == CC_INVALID_ID ? "no_road_access" : c->dtime[i] == CC_INF_COST ? "unreachable" : "";
}

/* access_by_village.csv (with a byte-order mark): one row per village or block of cells. */
static cc_status access_csv(cc__cov_out *c, const acc_row *rows, size_t n, const double *lon, const double *lat)
{
    const cc__demand *d = c->dem;
    const size_t nd = d->n, ns = c->n_sets;
    cc_status st;
    GString *g = g_string_new("\xEF\xBB\xBF");
    g_string_append(g, d->is_raster ? "block_id,cells" : "village_id,name,name_zh");
    g_string_append(g, ",admin,lon,lat,population_persons");
    for (size_t k = 0; k < ns; k++) g_string_append_printf(g, ",minutes_%s,facility_%s", set_label(c, k), set_label(c, k));
    g_string_append(g, ",reason\n");
    for (size_t r = 0; r < n; r++) {
        size_t i = rows[r].rep;
        if (d->is_raster) {
            g_string_append_printf(g, "%zu,%zu", r + 1, rows[r].cells);
        } else {
            g_string_append_printf(g, "%zu", i);
            char nm[32];
            snprintf(nm, sizeof(nm), "village %zu", i);
            csv_text(g, d->name && d->name[i] ? d->name[i] : nm);
            csv_text(g, d->name_zh && d->name_zh[i] ? d->name_zh[i] : "");
        }
        csv_text(g, row_admin(c, i));
        g_string_append_printf(g, ",%.6f,%.6f,%.0f", lon[r], lat[r], round(rows[r].pop));
        for (size_t k = 0; k < ns; k++) {
            uint32_t t = c->dtime[k * nd + i];
            if (t == CC_INF_COST) g_string_append(g, ",");
            else g_string_append_printf(g, ",%.1f", t / 60000.0);
            csv_text(g, t == CC_INF_COST ? "" : fac_name(c, c->dfac[k * nd + i]));
        }
        g_string_append_printf(g, ",%s\n", row_reason(c, i));
    }
    char path[4300];
    st = cc__write_text(c->ctx, cc__stage_path(c->stage, "access_by_village.csv", path, sizeof(path)), g->str);
    g_string_free(g, TRUE);
    return st;
}

/* The fields of access_by_village.xlsx, as the CSV's columns. */
static cc_status access_xlsx_fields(cc__cov_out *c, OGRLayerH lyr)
{
    cc_ctx *ctx = c->ctx;
    const cc__demand *d = c->dem;
    const size_t ns = c->n_sets;
    cc_status st;
    if (d->is_raster) {
        st = cc__add_field(ctx, lyr, "block_id", OFTInteger64);
        if (!st) st = cc__add_field(ctx, lyr, "cells", OFTInteger64);
    } else {
        st = cc__add_field(ctx, lyr, "village_id", OFTInteger64);
        if (!st) st = cc__add_field(ctx, lyr, "name", OFTString);
        if (!st) st = cc__add_field(ctx, lyr, "name_zh", OFTString);
    }
    static const char *const fn[] = {"admin", "lon", "lat", "population_persons"};
    static const OGRFieldType ft[] = {OFTString, OFTReal, OFTReal, OFTInteger64};
    for (int q = 0; q < 4 && !st; q++) st = cc__add_field(ctx, lyr, fn[q], ft[q]);
    for (size_t k = 0; k < ns && !st; k++) {
        char nm[160];
        snprintf(nm, sizeof(nm), "minutes_%s", set_label(c, k));
        st = cc__add_field(ctx, lyr, cc__utf8_whole(nm), OFTReal);
        snprintf(nm, sizeof(nm), "facility_%s", set_label(c, k));
        if (!st) st = cc__add_field(ctx, lyr, cc__utf8_whole(nm), OFTString);
    }
    if (!st) st = cc__add_field(ctx, lyr, "reason", OFTString);
    return st;
}

/* The same rows as the CSV into layer @p lyr of access_by_village.xlsx at @p path. */
static cc_status access_xlsx_rows(cc__cov_out *c, OGRLayerH lyr, const char *path, const acc_row *rows, size_t n, const double *lon,
                                  const double *lat)
{
    cc_ctx *ctx = c->ctx;
    const cc__demand *d = c->dem;
    const size_t nd = d->n, ns = c->n_sets;
    cc_status st = CC_OK;
    cc__gdal_begin(ctx);
    for (size_t r = 0; r < n && !st; r++) {
        size_t i = rows[r].rep;
        OGRFeatureH f = OGR_F_Create(OGR_L_GetLayerDefn(lyr));
        int q = 0;
        if (d->is_raster) {
            OGR_F_SetFieldInteger64(f, q++, (GIntBig)(r + 1));
            OGR_F_SetFieldInteger64(f, q++, (GIntBig)rows[r].cells);
        } else {
            OGR_F_SetFieldInteger64(f, q++, (GIntBig)i);
            if (d->name && d->name[i]) OGR_F_SetFieldString(f, q, d->name[i]);
            q++;
            if (d->name_zh && d->name_zh[i]) OGR_F_SetFieldString(f, q, d->name_zh[i]);
            q++;
        }
        if (c->admin && c->dadmin[i] >= 0) OGR_F_SetFieldString(f, q, row_admin(c, i));
        q++;
        OGR_F_SetFieldDouble(f, q++, lon[r]);
        OGR_F_SetFieldDouble(f, q++, lat[r]);
        OGR_F_SetFieldInteger64(f, q++, (GIntBig)llround(rows[r].pop));
        for (size_t k = 0; k < ns; k++) {
            uint32_t t = c->dtime[k * nd + i];
            if (t != CC_INF_COST) {
                OGR_F_SetFieldDouble(f, q, round(t / 6000.0) / 10.0);
                OGR_F_SetFieldString(f, q + 1, fac_name(c, c->dfac[k * nd + i]));
            }
            q += 2;
        }
        const char *why = row_reason(c, i);
        if (*why) OGR_F_SetFieldString(f, q, why);
        if (OGR_L_CreateFeature(lyr, f) != OGRERR_NONE) st = cc__fail(ctx, CC_ERR_IO, "Unable to write '%s': %s", path, cc__gdal_msg(ctx));
        OGR_F_Destroy(f);
    }
    cc__gdal_end(ctx);
    return st;
}

static cc_status write_access(cc__cov_out *c)
{
    cc_ctx *ctx = c->ctx;
    const cc__demand *d = c->dem;
    acc_row *rows = NULL;
    size_t n = 0;
    cc_status st = access_rows(c, &rows, &n);
    if (st) return st;
    double *lon = cc__malloc_array(n ? n : 1, sizeof(double)), *lat = cc__malloc_array(n ? n : 1, sizeof(double));
    if (!lon || !lat) {
        st = cc__fail(ctx, CC_ERR_NOMEM, "Out of memory");
        goto out;
    }
    for (size_t r = 0; r < n; r++) lon[r] = d->x[rows[r].rep], lat[r] = d->y[rows[r].rep];
    if ((st = cc__to_lonlat(ctx, c->crs_wkt, lon, lat, n))) goto out;
    if ((st = access_csv(c, rows, n, lon, lat))) goto out;

    /* the same rows as an Excel workbook */
    char path[4300];
    cc__stage_path(c->stage, "access_by_village.xlsx", path, sizeof(path));
    cc__gdal_begin(ctx);
    GDALDriverH drv = GDALGetDriverByName("XLSX");
    GDALDatasetH ds = drv ? GDALCreate(drv, path, 0, 0, 0, GDT_Unknown, NULL) : NULL;
    OGRLayerH lyr = ds ? GDALDatasetCreateLayer(ds, "access_by_village", NULL, wkbNone, NULL) : NULL;
    cc__gdal_end(ctx);
    if (!lyr) {
        if (ds) GDALClose(ds);
        st = cc__fail(ctx, CC_ERR_IO, "Unable to create '%s' (GDAL's XLSX driver): %s", path, cc__gdal_msg(ctx));
        goto out;
    }
    st = access_xlsx_fields(c, lyr);
    if (!st) st = access_xlsx_rows(c, lyr, path, rows, n, lon, lat);
    if (cc__gdal_close(ds) && !st) st = cc__fail(ctx, CC_ERR_IO, "Unable to finish '%s'", path);
out:
    CC__FREE_ALL(rows, lon, lat);
    return st;
}

/* ---- referrals -------------------------------------------------------------------------------- */

/* Road metres of the fastest route from facility @p i to the seeds of search @p s (reverse
 * search from the county facilities): the partial arc at @p i, the node path (each step along
 * an edge whose cost accounts exactly for the difference of labels), the partial arc at the
 * target and both off-road legs. */
static double route_m(const cc__cov_out *c, const cc_search *s, size_t i, uint32_t target)
{
    const cc_graph *g = c->graph;
    cc__join j = c->fjoin[i], tj = c->fjoin[target];
    uint32_t a = j.arc;
    double L = g->arc_len_m[a];
    /* which end of the facility's arc the route leaves by */
    uint32_t u = g->arc_u[a], v = g->arc_v[a], x;
    uint32_t lu = cc__search_cost(s, u), lv = cc__search_cost(s, v);
    uint32_t pu = cc__along(g, a, j.s_m, 0.0), pv = cc__along(g, a, j.s_m, L);
    uint64_t tu = lu != CC_INF_COST && pu != CC_INF_COST ? (uint64_t)lu + pu : UINT64_MAX;
    uint64_t tv = lv != CC_INF_COST && pv != CC_INF_COST ? (uint64_t)lv + pv : UINT64_MAX;
    double m = j.d_m + tj.d_m;
    if (tu <= tv) {
        x = u;
        m += j.s_m;
    } else {
        x = v;
        m += L - j.s_m;
    }
    /* the seeds of the target: its arc's end nodes at their seed costs */
    cc_seed seeds[2];
    size_t ns = cc__facility_seeds(g, tj, c->foff[target], target, CC_REVERSE, seeds);
    for (uint32_t steps = 0; steps <= g->n_nodes; steps++) {
        uint32_t cx = cc__search_cost(s, x);
        for (size_t q = 0; q < ns; q++)
            if (seeds[q].node == x && seeds[q].cost_ms == cx)
                return m + (x == g->arc_u[tj.arc] ? tj.s_m : g->arc_len_m[tj.arc] - tj.s_m);
        bool moved = false;
        for (uint32_t e = g->fwd_first[x]; e < g->fwd_first[x + 1] && !moved; e++) {
            uint32_t w = g->fwd[e].head, cw = cc__search_cost(s, w);
            if (cw != CC_INF_COST && cw + g->fwd[e].cost_ms == cx && cc__search_origin(s, w) == target) {
                m += g->arc_len_m[g->fwd_arc[e]];
                x = w;
                moved = true;
            }
        }
        if (!moved) return NAN;
    }
    return NAN;
}

static cc_status write_referrals(cc__cov_out *c)
{
    cc_ctx *ctx = c->ctx;
    const cc__facilities *f = c->fac;
    if (!c->graph || f->n_tiers == 0) return CC_OK;
    bool any_from = false, any_to = false;
    for (size_t t = 0; t < f->n_tiers; t++) {
        any_from |= is_township_tier(f->tier_name[t]);
        any_to |= is_county_tier(f->tier_name[t]);
    }
    if (!any_from || !any_to) return CC_OK;
    cc_seed *seeds = cc__malloc_array(2 * f->n, sizeof(cc_seed));
    if (!seeds) return cc__fail(ctx, CC_ERR_NOMEM, "Out of memory");
    size_t n_seeds = 0;
    for (size_t i = 0; i < f->n; i++)
        if (f->tier[i] >= 0 && is_county_tier(f->tier_name[f->tier[i]]) && c->fjoin[i].arc != CC_INVALID_ID)
            n_seeds += cc__facility_seeds(c->graph, c->fjoin[i], c->foff[i], (uint32_t)i, CC_REVERSE, seeds + n_seeds);
    cc_search *s = NULL;
    cc_status st = cc_search_create(ctx, c->graph, &s);
    if (st) {
        free(seeds);
        return st;
    }
    cc_search_run(s, CC_REVERSE, seeds, n_seeds, CC_INF_COST);
    free(seeds);
    GString *g = g_string_new("\xEF\xBB\xBF"
                              "from_id,from_name,from_name_zh,from_tier,admin,to_id,to_name,to_name_zh,to_tier,minutes,route_km,straight_km,"
                              "reason\n");
    for (size_t i = 0; i < f->n; i++) {
        if (f->tier[i] < 0 || !is_township_tier(f->tier_name[f->tier[i]])) continue;
        g_string_append_printf(g, "%zu", i);
        csv_text(g, f->name[i]);
        csv_text(g, f->name_zh ? f->name_zh[i] : "");
        csv_text(g, f->tier_name[f->tier[i]]);
        /* the admin area the centre lies in */
        const char *adm = "";
        for (size_t k = 0; c->admin && k < c->admin->n && !*adm; k++) {
            OGRGeometryH pt = OGR_G_CreateGeometry(wkbPoint);
            OGR_G_SetPoint_2D(pt, 0, f->x[i], f->y[i]);
            if (c->admin->geom[k] && OGR_G_Contains(c->admin->geom[k], pt))
                adm = c->admin->name_zh && c->admin->name_zh[k] && *c->admin->name_zh[k] ? c->admin->name_zh[k] : c->admin->name[k];
            OGR_G_DestroyGeometry(pt);
        }
        csv_text(g, adm);
        uint32_t origin = CC_INVALID_ID, t = CC_INF_COST;
        if (c->fjoin[i].arc != CC_INVALID_ID) {
            t = cc__loc_time(s, CC_REVERSE, c->fjoin[i], &origin);
            if (t != CC_INF_COST) t += c->foff[i];
        }
        if (t == CC_INF_COST || origin == CC_INVALID_ID) {
            g_string_append_printf(g, ",,,,,,,,%s\n", c->fjoin[i].arc == CC_INVALID_ID ? "no_road_access" : "unreachable");
            continue;
        }
        double km = route_m(c, s, i, origin) / 1000.0;
        double sk = hypot(f->x[i] - f->x[origin], f->y[i] - f->y[origin]) / 1000.0;
        g_string_append_printf(g, ",%u", origin);
        csv_text(g, f->name[origin]);
        csv_text(g, f->name_zh ? f->name_zh[origin] : "");
        csv_text(g, f->tier_name[f->tier[origin]]);
        if (isnan(km)) g_string_append_printf(g, ",%.1f,,%.1f,\n", t / 60000.0, sk);
        else g_string_append_printf(g, ",%.1f,%.1f,%.1f,\n", t / 60000.0, km, sk);
    }
    cc_search_destroy(s);
    char path[4300];
    st = cc__write_text(ctx, cc__stage_path(c->stage, "referrals.csv", path, sizeof(path)), g->str);
    g_string_free(g, TRUE);
    return st;
}

cc_status cc__coverage_tables(cc__cov_out *c)
{
    cc_status st = write_access(c);
    if (!st) st = write_referrals(c);
    return st;
}
