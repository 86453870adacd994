/*
 * report.c - deliverables of an output folder: read summary.json and coverage.gpkg (and the
 * base scenario's, for before/after figures), then write QGIS styles, the QGIS project, maps and
 * HTML reports in each language. The labels and formatting helpers are in common.c.
 */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <dirent.h>
#include <errno.h>
#include <sys/stat.h>
#include <unistd.h>

#include <gdal.h>

#include "carecircle/cc_version.h"
#include "../geo/geo_internal.h"
#include "../io/json_read_internal.h"
#include "../io/write_internal.h"
#include "report_internal.h"

/* ---- reading ------------------------------------------------------------------------------------ */

static void data_free(rp_data *d)
{
    json_object_put(d->summary);
    json_object_put(d->base);
    for (size_t b = 0; b < CC_MAX_BANDS; b++)
        if (d->band[b].geom) OGR_G_DestroyGeometry(d->band[b].geom);
    free(d->fac);
    for (size_t i = 0; i < d->n_adm; i++)
        if (d->adm[i].geom) OGR_G_DestroyGeometry(d->adm[i].geom);
    free(d->adm);
    for (size_t i = 0; i < d->n_road; i++)
        if (d->road[i].geom) OGR_G_DestroyGeometry(d->road[i].geom);
    free(d->road);
    free(d->unc);
    free(d->dot);
    free(d->site);
    free(d->own);
    free(d->layer);
    if (d->strs) g_string_chunk_free(d->strs); /* every text copied from the outputs */
}

/* Texts read from the outputs live in one GLib string chunk, freed with the data: a few large
 * blocks instead of an allocation per field. */
static char *keep(rp_data *d, const char *s)
{
    return s ? g_string_chunk_insert(d->strs, s) : NULL;
}

/* population_within_min of @p o for each threshold (NAN where absent); the file's figures are
 * checked like user input: a member of the wrong type is an error naming the file and the key. */
static cc_status jwithin(cc_ctx *ctx, const char *path, json_object *o, const char *where, const double *minutes,
                         size_t nb, double *out, bool *have)
{
    json_object *w = NULL;
    cc_status st;
    char wk[160];
    for (size_t b = 0; b < nb; b++) out[b] = NAN;
    if ((st = cc__json_get_obj(ctx, path, o, where, "population_within_min", false, &w))) return st;
    if (have) *have = w != NULL;
    if (!w) return CC_OK;
    snprintf(wk, sizeof(wk), "%s%spopulation_within_min", where ? where : "", where ? "." : "");
    for (size_t b = 0; b < nb; b++) {
        char k[32];
        snprintf(k, sizeof(k), "%g", minutes[b]);
        if ((st = cc__json_get_num(ctx, path, w, wk, k, false, &out[b]))) return st;
    }
    return CC_OK;
}

/* Optional number member (0 when absent or null). */
static cc_status jnum(cc_ctx *ctx, const char *path, json_object *o, const char *where, const char *k, double *out)
{
    *out = 0.0;
    return cc__json_get_num(ctx, path, o, where, k, false, out);
}

static cc_status summary_fields(cc_ctx *ctx, rp_data *d, const char *p);
static void read_base_summary(cc_ctx *ctx, rp_data *d);

static size_t tier_index(const rp_data *d, const char *name)
{
    size_t k = 0;
    while (k < d->n_tiers && strcmp(d->tier_name[k], name)) k++;
    return k;
}

/* The headline tiers and their figures: summary.json "headline" (the run's set), or the one
 * tier the caller names (its figures are in "tiers"). Another set needs the run itself. */
static cc_status read_headline(cc_ctx *ctx, rp_data *d, const char *path)
{
    json_object *h = NULL, *t = NULL;
    cc_status st;
    if ((st = cc__json_get_obj(ctx, path, d->summary, NULL, "headline", false, &h))) return st;
    if (h && (st = cc__json_get_arr(ctx, path, h, "headline", "tiers", false, &t))) return st;
    bool have = h && t;
    if (have)
        for (size_t i = 0; i < json_object_array_length(t) && d->n_head < RP_MAX_TIERS; i++) {
            size_t k = tier_index(d, json_object_get_string(json_object_array_get_idx(t, i)));
            if (k < d->n_tiers) d->head_name[d->n_head++] = d->tier_name[k];
        }
    if (have && ((st = jwithin(ctx, path, h, "headline", d->minutes, d->nb, d->head_within, NULL)) ||
                 (st = jnum(ctx, path, h, "headline", "population_unreachable", &d->head_unreachable))))
        return st;
    const char *want = d->o->headline;
    if (!want || !*want) {
        if (!have && d->n_tiers)
            cc__warn(ctx, "'%s' has no headline figures (written before carecircle 0.5): the key figures count every facility", path);
        return CC_OK;
    }
    char **names = g_strsplit(want, ",", -1);
    const char *sel[RP_MAX_TIERS];
    size_t ns = 0;
    for (char **n = names; *n && !st; n++) {
        g_strstrip(*n);
        if (!**n) continue;
        size_t k = tier_index(d, *n);
        if (k == d->n_tiers) {
            GString *g = g_string_new("");
            for (size_t j = 0; j < d->n_tiers; j++) g_string_append_printf(g, "%s%s", j ? ", " : "", d->tier_name[j]);
            st = cc__fail(ctx, CC_ERR_PARAM, "Parameter headline names tier '%s', which '%s' does not have (tiers: %s)", *n, path,
                          d->n_tiers ? g->str : "none");
            g_string_free(g, TRUE);
        } else if (ns < RP_MAX_TIERS) {
            bool dup = false;
            for (size_t j = 0; j < ns; j++) dup |= sel[j] == d->tier_name[k];
            if (!dup) sel[ns++] = d->tier_name[k];
        }
    }
    g_strfreev(names);
    if (st || !ns) return st;
    bool same = have && ns == d->n_head;
    for (size_t i = 0; same && i < ns; i++) {
        bool in = false;
        for (size_t j = 0; j < d->n_head; j++) in |= sel[i] == d->head_name[j];
        same = in;
    }
    if (same) return CC_OK;
    if (ns > 1)
        return cc__fail(ctx, CC_ERR_INPUT, "Parameter headline: the figure for %zu tiers together is not in '%s' (its headline counts %zu); "
                                           "run the coverage again with that headline",
                        ns, path, d->n_head);
    size_t k = tier_index(d, sel[0]);
    d->head_retarget = true;
    d->n_head = 1;
    d->head_name[0] = d->tier_name[k];
    memcpy(d->head_within, d->tier_within[k], sizeof(d->head_within));
    d->head_unreachable = d->tier_unreachable[k];
    return CC_OK;
}

static bool is_head(const rp_data *d, const char *tier)
{
    for (size_t i = 0; tier && i < d->n_head; i++)
        if (!strcmp(d->head_name[i], tier)) return true;
    return false;
}

/* A siting folder's summary.json: one threshold T, the population within it before (existing
 * facilities of the fixed tiers) and after (with the proposed sites); the headline is the fixed
 * tiers, which the new sites join. */
static cc_status read_site_summary(cc_ctx *ctx, rp_data *d, const char *path)
{
    json_object *par = NULL, *cov = NULL;
    cc_status st;
    if ((st = cc__json_get_obj(ctx, path, d->summary, NULL, "parameters", true, &par)) ||
        (st = cc__json_get_obj(ctx, path, d->summary, NULL, "coverage", true, &cov)) ||
        (st = cc__json_get_num(ctx, path, par, "parameters", "minutes", true, &d->minutes[0])) ||
        (st = jnum(ctx, path, cov, "coverage", "population_total", &d->total)) ||
        (st = jnum(ctx, path, cov, "coverage", "population_no_road_access", &d->no_road)) ||
        (st = jnum(ctx, path, cov, "coverage", "covered_after", &d->within[0])) ||
        (st = jnum(ctx, path, cov, "coverage", "covered_before", &d->base_within[0])))
        return st;
    if (!(d->minutes[0] > 0) || d->minutes[0] > 1440)
        return cc__fail(ctx, CC_ERR_INPUT, "'%s': <parameters.minutes> is %g; a threshold is above 0 and at most 1440", path, d->minutes[0]);
    d->is_site = true;
    d->nb = 1;
    d->unreachable = NAN; /* not in a siting summary */
    d->have_base = true;
    d->base_head_within[0] = d->base_within[0];
    d->base_total = d->total;
    for (size_t b = 1; b < CC_MAX_BANDS; b++) d->base_head_within[b] = NAN;
    const char *s = NULL;
    if ((st = cc__json_get_str(ctx, path, par, "parameters", "crs", false, &s))) return st;
    if (s) snprintf(d->crs_name, sizeof(d->crs_name), "%s", s);
    s = NULL;
    if ((st = cc__json_get_str(ctx, path, par, "parameters", "profile", false, &s))) return st;
    if (s) snprintf(d->profile, sizeof(d->profile), "%s", s);
    json_object *dm = NULL, *off = NULL;
    if ((st = cc__json_get_obj(ctx, path, par, "parameters", "offroad", false, &off))) return st;
    d->friction = off != NULL;
    s = NULL;
    if ((st = cc__json_get_obj(ctx, path, d->summary, NULL, "demand", false, &dm))) return st;
    if (dm && (st = cc__json_get_str(ctx, path, dm, "demand", "kind", false, &s))) return st;
    d->points_demand = s && !strcmp(s, "points");
    /* a siting folder has no travel_time.tif: the size of a population cell for the map's cells */
    double cw = NAN, ch = NAN;
    if (dm && ((st = cc__json_get_num(ctx, path, dm, "demand", "cell_width", false, &cw)) ||
               (st = cc__json_get_num(ctx, path, dm, "demand", "cell_height", false, &ch))))
        return st;
    if (!d->points_demand && cw > 0 && ch > 0 && cw < 1e6 && ch < 1e6) d->cell_w = cw, d->cell_h = ch;
    s = NULL;
    if ((st = cc__json_get_str(ctx, path, par, "parameters", "fixed_tiers", false, &s))) return st;
    if (s) {
        char **names = g_strsplit(s, ",", -1);
        for (char **n = names; *n && d->n_head < RP_MAX_TIERS; n++)
            if (**n) d->head_name[d->n_head++] = keep(d, g_strstrip(*n));
        g_strfreev(names);
    }
    /* what the sites' gain counts, and (CMCLP) the population served within capacity as the "after" */
    s = NULL;
    if ((st = cc__json_get_str(ctx, path, d->summary, NULL, "model", false, &s))) return st;
    d->gain_label = "gain";
    if (s && !strcmp(s, "mexclp")) d->gain_label = "gain_expected";
    if (s && !strcmp(s, "dsm")) d->gain_label = "gain_twice";
    /* the time models rank sites by the mean time they save, not by people (the gain column held dashes) */
    /* (a robust study's variant names its model "pmedian (robust set)": the first word counts) */
    size_t mw = s ? strcspn(s, " ") : 0;
    d->gain_minutes = s && ((mw == 7 && !strncmp(s, "pmedian", 7)) || (mw == 7 && !strncmp(s, "pcenter", 7)) || !strcmp(s, "cpmedian"));
    if (d->gain_minutes) d->gain_label = "gain_minutes";
    if (s && !strcmp(s, "cmclp")) {
        json_object *capj = NULL;
        d->gain_label = "gain_served";
        if ((st = cc__json_get_obj(ctx, path, d->summary, NULL, "capacity", true, &capj)) ||
            (st = jnum(ctx, path, capj, "capacity", "served_after", &d->within[0])) ||
            (st = jnum(ctx, path, capj, "capacity", "served_before", &d->base_within[0])))
            return st;
        d->base_head_within[0] = d->base_within[0];
    }
    if (s && !strcmp(s, "cpmedian")) {
        json_object *capj = NULL;
        if ((st = cc__json_get_obj(ctx, path, d->summary, NULL, "capacity", true, &capj)) ||
            (st = jnum(ctx, path, capj, "capacity", "mean_minutes_before", &d->cpm_before)) ||
            (st = jnum(ctx, path, capj, "capacity", "mean_minutes_after", &d->cpm_after)) ||
            (st = jnum(ctx, path, capj, "capacity", "mean_minutes_after_capacity_ignored", &d->cpm_blind)) ||
            (st = jnum(ctx, path, capj, "capacity", "at_radius_after", &d->cpm_at_radius)) ||
            (st = jnum(ctx, path, par, "parameters", "radius_minutes", &d->cpm_radius)))
            return st;
        d->have_cpm = true;
    }
    d->head_within[0] = d->within[0];
    d->head_unreachable = NAN;
    return CC_OK;
}

static cc_status read_summary(cc_ctx *ctx, rp_data *d)
{
    char p[4200];
    cc_status st;
    snprintf(p, sizeof(p), "%s/summary.json", d->dir);
    if (access(p, F_OK) != 0)
        return cc__fail(ctx, CC_ERR_INPUT, "Unable to read '%s': is '%s' a carecircle output folder?", p, d->dir);
    if ((st = cc__json_load(ctx, p, false, &d->summary))) return st == CC_ERR_IO ? st : CC_ERR_INPUT;
    if ((st = summary_fields(ctx, d, p))) return st;
    if (d->o->base_dir) read_base_summary(ctx, d);
    return CC_OK;
}

/* The figures of a summary.json (d->summary, parsed), each checked for its type. */
static cc_status summary_fields(cc_ctx *ctx, rp_data *d, const char *p)
{
    cc_status st;
    json_object *m = NULL, *dem = NULL, *t = NULL;
    const char *s;
    const char *cmd = NULL;
    if ((st = cc__json_get_str(ctx, p, d->summary, NULL, "command", false, &cmd))) return st;
    if (cmd && !strcmp(cmd, "site")) return read_site_summary(ctx, d, p);
    if ((st = cc__json_get_arr(ctx, p, d->summary, NULL, "minutes", true, &m))) return st;
    d->nb = json_object_array_length(m);
    if (d->nb == 0 || d->nb > CC_MAX_BANDS)
        return cc__fail(ctx, CC_ERR_INPUT, "'%s': <minutes> has %zu thresholds (1 to %d expected)", p, d->nb, CC_MAX_BANDS);
    for (size_t b = 0; b < d->nb; b++) {
        if ((st = cc__json_idx_num(ctx, p, m, "minutes", b, &d->minutes[b]))) return st;
        if (d->minutes[b] <= 0 || d->minutes[b] > 1440)
            return cc__fail(ctx, CC_ERR_INPUT, "'%s': <minutes> item %zu is %g; thresholds are above 0 and at most 1440",
                            p, b + 1, d->minutes[b]);
    }
    if ((st = jwithin(ctx, p, d->summary, NULL, d->minutes, d->nb, d->within, NULL))) return st;
    if ((st = jnum(ctx, p, d->summary, NULL, "population_total", &d->total)) ||
        (st = jnum(ctx, p, d->summary, NULL, "population_no_road_access", &d->no_road)) ||
        (st = jnum(ctx, p, d->summary, NULL, "population_unreachable", &d->unreachable)) ||
        (st = jnum(ctx, p, d->summary, NULL, "population_beyond_max", &d->beyond)))
        return st;
    double um = 0;
    if ((st = jnum(ctx, p, d->summary, NULL, "uncovered_minutes", &um))) return st; /* read by the maps */
    d->unc_min = um;
    /* demand_uncovered counts the run's headline tiers (uncovered_counts, since issue 19's session
     * of 2026-12-06), any facility before */
    const char *uc = NULL;
    if ((st = cc__json_get_str(ctx, p, d->summary, NULL, "uncovered_counts", false, &uc))) return st;
    json_object *hj = NULL, *htj = NULL;
    if (uc && !strcmp(uc, "headline") && json_object_object_get_ex(d->summary, "headline", &hj) &&
        json_object_object_get_ex(hj, "tiers", &htj) && json_object_is_type(htj, json_type_array) && json_object_array_length(htj)) {
        GString *tl = g_string_new("");
        for (size_t i = 0; i < json_object_array_length(htj); i++) {
            const char *x = json_object_get_string(json_object_array_get_idx(htj, i));
            g_string_append_printf(tl, "%s%s", i ? "," : "", x ? x : "");
        }
        d->unc_tiers = keep(d, tl->str);
        g_string_free(tl, TRUE);
    }
    s = NULL;
    if ((st = cc__json_get_str(ctx, p, d->summary, NULL, "crs", false, &s))) return st;
    if (s) snprintf(d->crs_name, sizeof(d->crs_name), "%s", s);
    s = NULL;
    if ((st = cc__json_get_str(ctx, p, d->summary, NULL, "profile", false, &s))) return st;
    if (s) snprintf(d->profile, sizeof(d->profile), "%s", s);
    if ((st = cc__json_get_obj(ctx, p, d->summary, NULL, "demand", false, &dem))) return st;
    json_object *off = NULL;
    if ((st = cc__json_get_obj(ctx, p, d->summary, NULL, "offroad", false, &off))) return st;
    d->friction = off != NULL;
    s = NULL;
    if (dem && (st = cc__json_get_str(ctx, p, dem, "demand", "kind", false, &s))) return st;
    d->points_demand = s && !strcmp(s, "points");
    if ((st = cc__json_get_obj(ctx, p, d->summary, NULL, "tiers", false, &t))) return st;
    if (t) {
        json_object_object_foreach(t, name, tv)
        {
            if (d->n_tiers == RP_MAX_TIERS) break;
            char where[160];
            snprintf(where, sizeof(where), "tiers.%s", name);
            if (!json_object_is_type(tv, json_type_object))
                return cc__fail(ctx, CC_ERR_INPUT, "'%s': <%s> must be an object, not %s", p, where, cc__json_type_name(tv));
            size_t k = d->n_tiers++;
            d->tier_name[k] = keep(d, name);
            double nf, ns;
            if ((st = jwithin(ctx, p, tv, where, d->minutes, d->nb, d->tier_within[k], NULL)) ||
                (st = jnum(ctx, p, tv, where, "facilities", &nf)) || (st = jnum(ctx, p, tv, where, "facilities_snapped", &ns)))
                return st;
            if (nf < 0 || nf > INT32_MAX || ns < 0 || ns > INT32_MAX)
                return cc__fail(ctx, CC_ERR_INPUT, "'%s': <%s.facilities> counts must be between 0 and %d", p, where, INT32_MAX);
            d->tier_facilities[k] = (int)nf;
            d->tier_snapped[k] = (int)ns;
            if ((st = jnum(ctx, p, tv, where, "population_unreachable", &d->tier_unreachable[k]))) return st;
        }
    }
    return read_headline(ctx, d, p);
}

static void read_base_summary(cc_ctx *ctx, rp_data *d)
{
    char p[4200];
    {
        snprintf(p, sizeof(p), "%s/summary.json", d->o->base_dir);
        bool have = false;
        /* the base folder's figures are optional: an unreadable or malformed file is a warning */
        cc_ctx *quiet = NULL;
        if (cc_ctx_create(&quiet) == CC_OK) {
            if (!cc__json_load(quiet, p, false, &d->base) &&
                !jwithin(quiet, p, d->base, NULL, d->minutes, d->nb, d->base_within, &have) &&
                !jnum(quiet, p, d->base, NULL, "population_total", &d->base_total)) {
                d->have_base = have;
                /* the base's headline: the same single tier, else its own headline object */
                json_object *bt = NULL, *bh = NULL;
                for (size_t b = 0; b < CC_MAX_BANDS; b++) d->base_head_within[b] = NAN;
                if (d->n_head == 1 && !cc__json_get_obj(quiet, p, d->base, NULL, "tiers", false, &bt) && bt &&
                    json_object_object_get_ex(bt, d->head_name[0], &bh) && json_object_is_type(bh, json_type_object))
                    jwithin(quiet, p, bh, "tiers", d->minutes, d->nb, d->base_head_within, NULL);
                else if (d->n_head && !cc__json_get_obj(quiet, p, d->base, NULL, "headline", false, &bh) && bh)
                    jwithin(quiet, p, bh, "headline", d->minutes, d->nb, d->base_head_within, NULL);
                else if (!d->n_head)
                    memcpy(d->base_head_within, d->base_within, sizeof(d->base_within));
            } else {
                d->have_base = false;
                cc__warn(ctx, "Base outputs are unusable (%s): no before/after figures", cc_ctx_last_error(quiet));
            }
            cc_ctx_destroy(quiet);
        }
    }
}

cc_status cc__report_summary_check(cc_ctx *ctx, const char *path, const char *text, size_t len)
{
    static const cc_report_opts dflt;
    rp_data d = {.dir = "", .o = &dflt, .strs = g_string_chunk_new(4096)};
    cc_status st = cc__json_parse(ctx, path, text, len, &d.summary);
    if (!st) st = summary_fields(ctx, &d, path);
    data_free(&d);
    return st;
}

static char *fstr_d(rp_data *d, OGRFeatureH f, const char *field)
{
    int i = OGR_F_GetFieldIndex(f, field);
    if (i < 0 || !OGR_F_IsFieldSetAndNotNull(f, i)) return NULL;
    return keep(d, OGR_F_GetFieldAsString(f, i));
}
#define fstr(f, field) fstr_d(d, (f), (field))

static double fnum(OGRFeatureH f, const char *field, double dflt)
{
    int i = OGR_F_GetFieldIndex(f, field);
    if (i < 0 || !OGR_F_IsFieldSetAndNotNull(f, i)) return dflt;
    return OGR_F_GetFieldAsDouble(f, i);
}

static void grow_extent(rp_data *d, OGRGeometryH g)
{
    if (!g || OGR_G_IsEmpty(g)) return;
    OGREnvelope e;
    OGR_G_GetEnvelope(g, &e);
    d->minx = fmin(d->minx, e.MinX);
    d->miny = fmin(d->miny, e.MinY);
    d->maxx = fmax(d->maxx, e.MaxX);
    d->maxy = fmax(d->maxy, e.MaxY);
}

/* A new zeroed slot at the end of the array *@p arr of *@p n elements of @p size bytes (capacity
 * *@p cap, doubled when full); NULL when out of memory. */
static void *grow_slot(void *arr, size_t *n, size_t *cap, size_t size)
{
    char **a = arr;
    if (*n == *cap) {
        size_t c = *cap ? *cap * 2 : 64;
        char *p = cc__realloc_array(*a, c, size);
        if (!p) return NULL;
        memset(p + *n * size, 0, (c - *n) * size);
        *a = p;
        *cap = c;
    }
    return *a + (*n)++ * size;
}

/* One feature into @p d (@p cap: the capacity of the array it grows); false when out of memory. */
typedef bool (*rp_row_fn)(rp_data *d, OGRFeatureH f, size_t *cap);

/* The first @p max_rows features of layer @p l (none when NULL), each through @p row; false when out of memory. */
static bool read_layer(rp_data *d, OGRLayerH l, rp_row_fn row, size_t max_rows)
{
    size_t cap = 0;
    OGRFeatureH f;
    if (!l) return true;
    OGR_L_ResetReading(l);
    for (size_t k = 0; k < max_rows && (f = OGR_L_GetNextFeature(l)); k++) {
        bool ok = row(d, f, &cap);
        OGR_F_Destroy(f);
        if (!ok) return false;
    }
    return true;
}

/* "EPSG:4326" for a CRS with an authority code, else "". */
static void authid_of(OGRSpatialReferenceH sr, char *out, size_t n)
{
    out[0] = 0;
    if (!sr) return;
    const char *a = OSRGetAuthorityName(sr, NULL), *c = OSRGetAuthorityCode(sr, NULL);
    if (a && c) snprintf(out, n, "%s:%s", a, c);
}

/* Envelope @p e (in CRS @p src_wkt) in the working CRS, in place; false when it cannot be transformed. */
/* The transformation from @p src_wkt to the working CRS into *ct (NULL when none is needed: the
 * same CRS, or either unknown); false when it cannot be made. */
static bool work_ct(const rp_data *d, const char *src_wkt, OGRCoordinateTransformationH *ct)
{
    *ct = NULL;
    if (!src_wkt || !d->crs_wkt) return true;
    OGRSpatialReferenceH s = OSRNewSpatialReference(src_wkt), w = OSRNewSpatialReference(d->crs_wkt);
    bool ok = s && w;
    if (ok && !OSRIsSame(s, w)) {
        OSRSetAxisMappingStrategy(s, OAMS_TRADITIONAL_GIS_ORDER);
        OSRSetAxisMappingStrategy(w, OAMS_TRADITIONAL_GIS_ORDER);
        ok = (*ct = OCTNewCoordinateTransformation(s, w)) != NULL;
    }
    if (s) OSRDestroySpatialReference(s);
    if (w) OSRDestroySpatialReference(w);
    return ok;
}

static bool env_to_work(const rp_data *d, const char *src_wkt, OGREnvelope *e)
{
    OGRCoordinateTransformationH ct;
    if (!work_ct(d, src_wkt, &ct)) return false;
    if (!ct) return true;
    double x0, y0, x1, y1;
    bool ok = OCTTransformBounds(ct, e->MinX, e->MinY, e->MaxX, e->MaxY, &x0, &y0, &x1, &y1, 21);
    if (ok) *e = (OGREnvelope){.MinX = x0, .MinY = y0, .MaxX = x1, .MaxY = y1};
    OCTDestroyCoordinateTransformation(ct);
    return ok;
}

static void grow_project(rp_data *d, const OGREnvelope *e)
{
    if (!isfinite(e->MinX) || !isfinite(e->MaxY) || e->MinX > e->MaxX) return;
    d->px0 = fmin(d->px0, e->MinX);
    d->py0 = fmin(d->py0, e->MinY);
    d->px1 = fmax(d->px1, e->MaxX);
    d->py1 = fmax(d->py1, e->MaxY);
}

/* Every vector layer of the file (for the styles and the project) and the working CRS; false when out of memory. */
static bool read_layer_list(rp_data *d, GDALDatasetH ds)
{
    int nl = GDALDatasetGetLayerCount(ds);
    if (!(d->layer = cc__calloc_array((size_t)nl, sizeof(rp_layer)))) goto nomem;
    for (int li = 0; li < nl; li++) {
        OGRLayerH l = GDALDatasetGetLayer(ds, li);
        const char *ln = OGR_L_GetName(l);
        OGRwkbGeometryType gt = OGR_L_GetGeomType(l);
        if (gt == wkbNone || !strcmp(ln, "layer_styles")) continue;
        rp_layer *L = &d->layer[d->n_layer++];
        L->name = keep(d, ln);
        L->geom_col = keep(d, OGR_L_GetGeometryColumn(l));
        L->type = wkbFlatten(gt);
        L->count = (long long)OGR_L_GetFeatureCount(l, TRUE);
        if (!L->name || !L->geom_col) goto nomem;
        if (OGR_L_GetSpatialRef(l)) {
            char *w = NULL;
            OSRExportToWkt(OGR_L_GetSpatialRef(l), &w);
            L->wkt = keep(d, w);
            CPLFree(w);
            authid_of(OGR_L_GetSpatialRef(l), L->authid, sizeof(L->authid));
            /* the working CRS: that of the first layer not in lon/lat (proposed sites may be) */
            if (!d->crs_wkt && !OSRIsGeographic(OGR_L_GetSpatialRef(l))) d->crs_wkt = L->wkt;
        }
    }
    return true;
nomem:
    return false;
}

/* The project extent: every layer, in the working CRS; facilities only through those joined to
 * the roads (fac_row), so that one facility with bad coordinates does not shrink the map to a dot. */
static void project_extent(rp_data *d, GDALDatasetH ds)
{
    d->px0 = d->py0 = INFINITY;
    d->px1 = d->py1 = -INFINITY;
    for (size_t i = 0; i < d->n_layer; i++) {
        OGREnvelope e;
        OGRLayerH ll = GDALDatasetGetLayerByName(ds, d->layer[i].name);
        if (!ll || !strcmp(d->layer[i].name, "facilities") || !strcmp(d->layer[i].name, "existing_facilities") ||
            OGR_L_GetExtent(ll, &e, TRUE) != OGRERR_NONE)
            continue;
        if (env_to_work(d, d->layer[i].wkt, &e)) grow_project(d, &e);
    }
}

/* The map's bands from the isochrones: the headline tiers' (their union when several), else all
 * facilities'; for a siting folder, the areas within T before and after the proposed sites. */
static void read_isochrones(rp_data *d, GDALDatasetH ds)
{
    OGRLayerH l;
    OGRFeatureH f;
    if ((l = GDALDatasetGetLayerByName(ds, "isochrones"))) {
        /* several headline tiers: their own bands (tier "headline") when the layer has them */
        bool head_set = false;
        if (d->n_head > 1 && !d->is_site && OGR_L_SetAttributeFilter(l, "tier = 'headline'") == OGRERR_NONE) {
            head_set = d->iso_head_set = OGR_L_GetFeatureCount(l, TRUE) > 0;
            OGR_L_SetAttributeFilter(l, NULL);
        }
        OGR_L_ResetReading(l);
        while ((f = OGR_L_GetNextFeature(l))) {
            char *tier = fstr(f, "tier");
            double to = fnum(f, "min_to", -1);
            OGRGeometryH g = OGR_F_GetGeometryRef(f);
            if (d->is_site) { /* before / after the proposed sites: the band is the area within T after */
                char *state = fstr(f, "state");
                grow_extent(d, g);
                if (state && !strcmp(state, "after") && g && !d->band[0].geom) {
                    d->band[0].min_to = d->minutes[0];
                    d->band[0].geom = OGR_G_Clone(g);
                } else if (state && !strcmp(state, "before") && g && !d->band[1].geom) { /* band 1: today's area (nb is 1) */
                    d->band[1].min_to = d->minutes[0];
                    d->band[1].geom = OGR_G_Clone(g);
                }
                OGR_F_Destroy(f);
                continue;
            }
            if (tier && !strcmp(tier, "all")) grow_extent(d, g);
            /* the map's bands: the headline tiers' (their union when several), else all facilities' */
            if (tier && (head_set ? !strcmp(tier, "headline") : d->n_head ? is_head(d, tier) : !strcmp(tier, "all")))
                for (size_t b = 0; b < d->nb; b++)
                    if (fabs(d->minutes[b] - to) < 1e-9) {
                        d->band[b].min_from = fnum(f, "min_from", 0);
                        d->band[b].min_to = to;
                        if (g && !d->band[b].geom) {
                            d->band[b].geom = OGR_G_Clone(g);
                        } else if (g) {
                            OGRGeometryH u = OGR_G_Union(d->band[b].geom, g);
                            if (u) {
                                OGR_G_DestroyGeometry(d->band[b].geom);
                                d->band[b].geom = u;
                            }
                        }
                    }
            OGR_F_Destroy(f);
        }
    }
}

/* A facility (a siting folder's existing ones give its tiers). */
static bool fac_row(rp_data *d, OGRFeatureH f, size_t *cap)
{
    rp_fac *x = grow_slot(&d->fac, &d->n_fac, cap, sizeof(*x));
    if (!x) return false;
    OGRGeometryH g = OGR_F_GetGeometryRef(f);
    if (g) {
        x->x = OGR_G_GetX(g, 0);
        x->y = OGR_G_GetY(g, 0);
    }
    x->name = fstr(f, "name");
    x->name_zh = fstr(f, "name_zh");
    x->tier = fstr(f, "tier");
    if (!x->tier) x->tier = fstr(f, "tier_value");
    x->snapped = fnum(f, "snapped", 1) != 0;
    if (d->is_site && x->tier) { /* the tiers of a siting folder: from its existing facilities */
        size_t k = tier_index(d, x->tier);
        if (k == d->n_tiers && k < RP_MAX_TIERS) {
            d->tier_name[d->n_tiers++] = x->tier;
            for (size_t b = 0; b < CC_MAX_BANDS; b++) d->tier_within[k][b] = NAN;
        }
        if (k < RP_MAX_TIERS) {
            d->tier_facilities[k]++;
            d->tier_snapped[k] += x->snapped;
        }
    }
    if (x->snapped) grow_extent(d, g); /* a facility far off the roads (bad coordinates) must not set the map extent */
    return true;
}

/* The field of coverage_by_admin with the people within @p m minutes that the township figures
 * show: the headline tiers' (head_pop_le_M; pop_le_M_<tier> when the report takes another single
 * tier than the run) when @p head, else all facilities' (pop_le_M). */
static const char *adm_key(const rp_data *d, bool head, double m, char *buf, size_t n)
{
    if (!head) snprintf(buf, n, "pop_le_%g", m);
    else if (d->head_retarget) snprintf(buf, n, "pop_le_%g_%s", m, d->head_name[0]);
    else snprintf(buf, n, "head_pop_le_%g", m);
    return buf;
}

/* A township with its figures, or a siting folder's boundary and name only. */
static bool admin_row(rp_data *d, OGRFeatureH f, size_t *cap)
{
    char key[200];
    if (!d->n_adm) /* the headline's figures when the layer has them (written since issue 19's session of 2026-12-06) */
        d->adm_head = !d->is_site && d->n_head && d->nb && OGR_F_GetFieldIndex(f, adm_key(d, true, d->minutes[0], key, sizeof(key))) >= 0;
    rp_admin *a = grow_slot(&d->adm, &d->n_adm, cap, sizeof(*a));
    if (!a) return false;
    a->name = fstr(f, "name");
    a->name_zh = fstr(f, "name_zh");
    a->code = fstr(f, "code");
    a->pop = fnum(f, "population", 0);
    for (size_t b = 0; b < d->nb; b++) {
        a->within[b] = fnum(f, adm_key(d, d->adm_head, d->minutes[b], key, sizeof(key)), NAN);
        a->share[b] = a->pop > 0 ? a->within[b] / a->pop : NAN;
        a->base_within[b] = NAN;
    }
    OGRGeometryH g = OGR_F_GetGeometryRef(f);
    if (g) {
        a->geom = OGR_G_Clone(g);
        OGRGeometryH ps = OGR_G_PointOnSurface(g);
        if (ps) {
            a->lx = OGR_G_GetX(ps, 0);
            a->ly = OGR_G_GetY(ps, 0);
            OGR_G_DestroyGeometry(ps);
        }
    }
    grow_extent(d, g);
    return true;
}

/* A drawn road (open drivable, closed, added, replaced); roads not drivable are not drawn. */
static bool road_row(rp_data *d, OGRFeatureH f, size_t *cap)
{
    double kmh = fnum(f, "speed_kmh", 0);
    char *status = fstr(f, "status");
    if (kmh <= 0 && (!status || !strcmp(status, "open"))) return true;
    rp_road *r = grow_slot(&d->road, &d->n_road, cap, sizeof(*r));
    if (!r) return false;
    r->cls = fstr(f, "class");
    r->status = status;
    OGRGeometryH g = OGR_F_GetGeometryRef(f);
    r->geom = g ? OGR_G_Clone(g) : NULL;
    return true;
}

/* An uncovered point for the map's no-road and unreachable classes. */
static bool dot_row(rp_data *d, OGRFeatureH f, size_t *cap)
{
    OGRGeometryH g = OGR_F_GetGeometryRef(f);
    int si = OGR_F_GetFieldIndex(f, "status");
    const char *status = si >= 0 && OGR_F_IsFieldSetAndNotNull(f, si) ? OGR_F_GetFieldAsString(f, si) : "";
    if (!g || OGR_G_IsEmpty(g)) return true;
    rp_dot *x = grow_slot(&d->dot, &d->n_dot, cap, sizeof(*x));
    if (!x) return false;
    x->x = OGR_G_GetX(g, 0);
    x->y = OGR_G_GetY(g, 0);
    x->pop = fnum(f, "population", 0);
    /* grey: no road access, or (friction model) on an impassable cell, which the summary counts as such */
    x->kind = !strcmp(status, "no_road_access") || !strcmp(status, "impassable_cell") ? 1 : !strcmp(status, "unreachable") ? 2 : 0;
    return true;
}

/* An uncovered point for the report's list. */
static bool unc_row(rp_data *d, OGRFeatureH f, size_t *cap)
{
    rp_unc *u = grow_slot(&d->unc, &d->n_unc, cap, sizeof(*u));
    if (!u) return false;
    double rk = fnum(f, "rank", 0); /* an edited file may hold any number: no overflowing cast */
    u->rank = rk >= 0 && rk <= 1e9 ? (int)rk : 0;
    u->pop = fnum(f, "population", 0);
    u->minutes = fnum(f, "minutes", NAN);
    u->status = fstr(f, "status");
    u->name = fstr(f, "name");
    u->name_zh = fstr(f, "name_zh");
    u->admin = fstr(f, "admin");
    u->lon = fnum(f, "lon", NAN);
    u->lat = fnum(f, "lat", NAN);
    OGRGeometryH g = OGR_F_GetGeometryRef(f);
    if (g) {
        u->x = OGR_G_GetX(g, 0);
        u->y = OGR_G_GetY(g, 0);
    }
    return true;
}

/* The facilities, townships, drawn roads and uncovered points (every one for the map's classes, the
 * first 50 for the report's list); false when out of memory. */
static bool read_layers(rp_data *d, GDALDatasetH ds)
{
    OGRLayerH fac = GDALDatasetGetLayerByName(ds, "facilities");
    if (!fac) fac = GDALDatasetGetLayerByName(ds, "existing_facilities");
    OGRLayerH adm = GDALDatasetGetLayerByName(ds, "coverage_by_admin");
    if (!adm && (adm = GDALDatasetGetLayerByName(ds, "admin_areas"))) d->adm_outline_only = true; /* boundaries and names only */
    OGRLayerH unc = GDALDatasetGetLayerByName(ds, "demand_uncovered");
    if (unc) d->n_unc_total = (size_t)OGR_L_GetFeatureCount(unc, TRUE);
    bool ok = read_layer(d, fac, fac_row, SIZE_MAX) && read_layer(d, adm, admin_row, SIZE_MAX) &&
              read_layer(d, GDALDatasetGetLayerByName(ds, "roads"), road_row, SIZE_MAX);
    /* the map's no-road and unreachable classes: the points beyond the last band are not drawn from
     * here (a raster's from travel_time.tif, villages from the list), so SQLite leaves them out
     * (on Comoros most of the 114,000 rows) */
    bool filtered = unc && OGR_L_SetAttributeFilter(unc, "status IS NULL OR status <> 'beyond'") == OGRERR_NONE;
    ok = ok && read_layer(d, unc, dot_row, SIZE_MAX);
    if (filtered) OGR_L_SetAttributeFilter(unc, NULL);
    return ok && read_layer(d, unc, unc_row, 50);
}

/* The proposed sites, in the working CRS; false when out of memory. */
/* The points of site layer @p name (proposed_sites; own_optimum_sites of a robust run's variant
 * folder) into @p out, in the working CRS, growing the map extent. */
static bool read_site_layer(rp_data *d, GDALDatasetH ds, const char *name, rp_site **out, size_t *n_out)
{
    OGRLayerH l;
    OGRFeatureH f;
    bool ok = false;
    size_t cap_site = 0;
    OGRSpatialReferenceH work = NULL; /* the sites: their CRS to the working CRS */
    OGRCoordinateTransformationH ct = NULL;
    if ((l = GDALDatasetGetLayerByName(ds, name))) {
        OGR_L_ResetReading(l);
        OGRSpatialReferenceH ls = OGR_L_GetSpatialRef(l);
        work = d->crs_wkt ? OSRNewSpatialReference(d->crs_wkt) : NULL;
        if (ls && work && !OSRIsSame(ls, work)) {
            OSRSetAxisMappingStrategy(work, OAMS_TRADITIONAL_GIS_ORDER);
            OGRSpatialReferenceH src = OSRClone(ls);
            OSRSetAxisMappingStrategy(src, OAMS_TRADITIONAL_GIS_ORDER);
            ct = OCTNewCoordinateTransformation(src, work);
            OSRDestroySpatialReference(src);
        }
        while ((f = OGR_L_GetNextFeature(l))) {
            OGRGeometryH g = OGR_F_GetGeometryRef(f);
            if (!g || wkbFlatten(OGR_G_GetGeometryType(g)) != wkbPoint) {
                OGR_F_Destroy(f);
                continue;
            }
            rp_site *s = grow_slot(out, n_out, &cap_site, sizeof(*s));
            if (!s) {
                OGR_F_Destroy(f);
                goto nomem;
            }
            s->x = OGR_G_GetX(g, 0);
            s->y = OGR_G_GetY(g, 0);
            if (ct) OCTTransform(ct, 1, &s->x, &s->y, NULL);
            s->name = fstr(f, "name");
            s->name_zh = fstr(f, "name_zh");
            s->tier = fstr(f, "tier");
            s->gain = fnum(f, "gain", NAN);
            if (isnan(s->gain)) s->gain = fnum(f, "population_gain", NAN);
            if (isnan(s->gain)) s->gain = fnum(f, "population_gained", NAN);
            if (d->gain_minutes) s->gain = fnum(f, "mean_minutes_saved", NAN);
            s->has_gain = !isnan(s->gain);
            d->minx = fmin(d->minx, s->x);
            d->maxx = fmax(d->maxx, s->x);
            d->miny = fmin(d->miny, s->y);
            d->maxy = fmax(d->maxy, s->y);
            OGR_F_Destroy(f);
        }
    }
    ok = true;
nomem:
    if (ct) OCTDestroyCoordinateTransformation(ct);
    if (work) OSRDestroySpatialReference(work);
    return ok;
}

static bool read_sites(rp_data *d, GDALDatasetH ds)
{
    return read_site_layer(d, ds, "proposed_sites", &d->site, &d->n_site) &&
           read_site_layer(d, ds, "own_optimum_sites", &d->own, &d->n_own);
}

static cc_status read_gpkg(cc_ctx *ctx, rp_data *d)
{
    cc__gdal_init();
    if (cc__input_check(ctx, d->gpkg, "Output file")) return CC_ERR_INPUT;
    cc__gdal_begin(ctx);
    GDALDatasetH ds = GDALOpenEx(d->gpkg, GDAL_OF_VECTOR | GDAL_OF_READONLY, NULL, NULL, NULL);
    cc__gdal_end(ctx);
    if (!ds) return cc__fail(ctx, CC_ERR_IO, "Unable to open '%s': %s", d->gpkg, cc__gdal_msg(ctx));
    cc_status st = CC_OK;
    d->minx = d->miny = INFINITY;
    d->maxx = d->maxy = -INFINITY;
    bool ok = read_layer_list(d, ds);
    if (ok) {
        project_extent(d, ds);
        read_isochrones(d, ds);
    }
    ok = ok && read_layers(d, ds) && read_sites(d, ds);
    if (!ok || d->nomem) st = cc__fail(ctx, CC_ERR_NOMEM, "Out of memory reading '%s'", d->gpkg);
    GDALClose(ds);
    if (!st && !isfinite(d->minx)) st = cc__fail(ctx, CC_ERR_INPUT, "'%s' holds no geometry to map", d->gpkg);
    if (!st) grow_project(d, &(OGREnvelope){.MinX = d->minx, .MinY = d->miny, .MaxX = d->maxx, .MaxY = d->maxy});
    return st;
}

/* Per-admin figures of the base run, matched by code (else name). */
static void read_base_admin(cc_ctx *ctx, rp_data *d)
{
    char p[4200];
    snprintf(p, sizeof(p), "%s/coverage.gpkg", d->o->base_dir);
    struct stat sb;
    if (stat(p, &sb) != 0 || !S_ISREG(sb.st_mode)) return;
    cc__gdal_begin(ctx);
    GDALDatasetH ds = GDALOpenEx(p, GDAL_OF_VECTOR | GDAL_OF_READONLY, NULL, NULL, NULL);
    cc__gdal_end(ctx);
    if (!ds) return;
    OGRLayerH l = GDALDatasetGetLayerByName(ds, "coverage_by_admin");
    OGRFeatureH f;
    if (l) {
        OGR_L_ResetReading(l);
        while ((f = OGR_L_GetNextFeature(l))) {
            char *code = fstr(f, "code"), *name = fstr(f, "name");
            for (size_t i = 0; i < d->n_adm; i++) {
                rp_admin *a = &d->adm[i];
                bool same = code && a->code ? !strcmp(code, a->code) : (name && a->name && !strcmp(name, a->name));
                if (!same) continue;
                for (size_t b = 0; b < d->nb; b++) { /* the same figure as this run's: unknown when the base lacks it */
                    char k[200];
                    a->base_within[b] = fnum(f, adm_key(d, d->adm_head, d->minutes[b], k, sizeof(k)), NAN);
                }
            }
            OGR_F_Destroy(f);
        }
    }
    GDALClose(ds);
}

double cc__rp_beyond_last(const rp_data *d)
{
    double unr = d->n_head ? d->head_unreachable : d->unreachable;
    const double *hw = d->n_head ? d->head_within : d->within;
    double b = d->nb ? d->total - d->no_road - (isnan(unr) ? 0 : unr) - hw[d->nb - 1] : 0;
    return b < 0.5 ? 0 : b;
}

/* travel_time.tif's bands of the headline (1-based, into @p out, at most @p max; their count): the
 * band marked CARECIRCLE_HEADLINE=YES by the run; else (folders written before the mark, or the
 * report's own headline, --headline) the bands of the headline tiers, or of all facilities when
 * there is none, found by the descriptions the run gives them (either direction). */
static int head_bands(const rp_data *d, GDALDatasetH ds, int *out, int max)
{
    const int n = GDALGetRasterCount(ds);
    for (int b = 1; b <= n && !d->head_retarget && max > 0; b++) {
        const char *v = GDALGetMetadataItem(GDALGetRasterBand(ds, b), "CARECIRCLE_HEADLINE", NULL);
        if (v && !strcmp(v, "YES")) {
            out[0] = b;
            return 1;
        }
    }
    int k = 0;
    for (int b = 1; b <= n && k < max; b++) {
        const char *desc = GDALGetDescription(GDALGetRasterBand(ds, b));
        bool want = !d->n_head && (!strcmp(desc, "minutes to the nearest facility (all)") ||
                                   !strcmp(desc, "minutes from the nearest facility to the patient, dispatch included (all)"));
        for (size_t h = 0; h < d->n_head && !want; h++) {
            char to[300], from[300];
            snprintf(to, sizeof(to), "minutes to the nearest facility of tier %s", d->head_name[h]);
            snprintf(from, sizeof(from), "minutes from the nearest facility of tier %s to the patient, dispatch included", d->head_name[h]);
            want = !strcmp(desc, to) || !strcmp(desc, from);
        }
        if (want) out[k++] = b;
    }
    return k;
}

/* The cells beyond the last threshold (kind 3 dots): the headline's bands @p hb of travel_time.tif
 * (head_bands; their minimum when several), cells with a time above the last band. Nothing for
 * villages or a siting folder (their maps show other things), nor when no band is found (an older
 * folder). False only when out of memory. */
/* The headline's minutes of every cell of travel_time.tif (their minimum over the bands @p hb):
 * *out (w x h, caller frees; NULL when there is nothing to draw or no band could be read). Reads
 * only what summary.json gave (the report's first step), so that it runs beside read_gpkg. False
 * only when out of memory. */
static bool decode_beyond(const rp_data *d, GDALDatasetH ds, const int *hb, int n_hb, float **out)
{
    *out = NULL;
    if (d->is_site || d->points_demand || !d->nb) return true;
    if (cc__rp_beyond_last(d) == 0) return true; /* nobody beyond: nothing to draw, no band to decode */
    int w = GDALGetRasterXSize(ds), h = GDALGetRasterYSize(ds);
    if (w <= 0 || h <= 0 || (size_t)w * (size_t)h > (size_t)1 << 31) return true;
    float *t = NULL, *row = NULL;
    int used = 0;
    for (int j = 0; j < n_hb; j++) {
        GDALRasterBandH band = GDALGetRasterBand(ds, hb[j]);
        int has_nd = 0;
        double nd = GDALGetRasterNoDataValue(band, &has_nd);
        /* strips of whole tile rows: one RasterIO call spans a row of tiles, which GDAL decodes
         * on the dataset's NUM_THREADS (tif_decode) */
        int bw = 0, bh = 0;
        GDALGetBlockSize(band, &bw, &bh);
        const int strip = bh > 0 && bh <= 1024 ? bh : 1;
        if (!t && !(t = cc__malloc_array((size_t)w * h, sizeof(float)))) return false;
        if (!row && !(row = cc__malloc_array((size_t)w * strip, sizeof(float)))) {
            free(t);
            return false;
        }
        for (int y0 = 0; y0 < h && used >= 0; y0 += strip) {
            const int nr = h - y0 < strip ? h - y0 : strip;
            if (GDALRasterIO(band, GF_Read, 0, y0, w, nr, row, w, nr, GDT_Float32, 0, 0) != CE_None) {
                used = -1;
                break;
            }
            for (size_t i = 0; i < (size_t)w * nr; i++) {
                float v = row[i], *ti = t + (size_t)y0 * w + i;
                if (!isfinite(v) || (has_nd && v == (float)nd) || v < 0) v = NAN;
                if (!used || (!isnan(v) && (isnan(*ti) || v < *ti))) *ti = v;
            }
        }
        if (used < 0) break;
        used++;
    }
    free(row);
    if (used <= 0) free(t);
    else *out = t;
    return true;
}

/* The cells of @p t (decode_beyond) beyond the last band, placed in the working CRS. */
static bool read_beyond(rp_data *d, const float *t, int w, int h, const double gt[6], const char *wkt)
{
    if (!t) return true;
    double last = d->minutes[d->nb - 1];
    size_t n = 0;
    for (size_t i = 0; i < (size_t)w * h; i++) n += !isnan(t[i]) && t[i] > last;
    OGRCoordinateTransformationH ct = NULL;
    if (n && !work_ct(d, wkt, &ct)) n = 0; /* cells that cannot be placed are not drawn */
    double *px = n ? cc__malloc_array(n, sizeof(double)) : NULL, *py = n ? cc__malloc_array(n, sizeof(double)) : NULL;
    int *placed = n && ct ? cc__malloc_array(n, sizeof(int)) : NULL;
    rp_dot *dot = n ? cc__realloc_array(d->dot, d->n_dot + n, sizeof(rp_dot)) : NULL;
    bool mem = !n || (px && py && dot && (!ct || placed));
    if (dot) d->dot = dot;
    if (n && mem) {
        size_t k = 0;
        for (int y = 0; y < h; y++)
            for (int x = 0; x < w; x++) {
                float v = t[(size_t)y * w + x];
                if (isnan(v) || !(v > last)) continue;
                px[k] = gt[0] + (x + 0.5) * gt[1] + (y + 0.5) * gt[2];
                py[k++] = gt[3] + (x + 0.5) * gt[4] + (y + 0.5) * gt[5];
            }
        if (ct) OCTTransformEx(ct, (int)n, px, py, NULL, placed); /* one call for every cell */
        for (size_t i = 0; i < n; i++)
            d->dot[d->n_dot++] = (rp_dot){.x = px[i], .y = py[i], .pop = 0, .kind = !ct || placed[i] ? 3 : 0};
    }
    if (ct) OCTDestroyCoordinateTransformation(ct);
    free(px);
    free(py);
    free(placed);
    return mem;
}

/* The travel-time COG's CRS (the population grid's: EPSG:4326 for WorldPop), its extent in the
 * project extent, and the size of a demand cell in working-CRS units. */
/* travel_time.tif opened and its headline cells decoded (tif_decode, beside read_gpkg), then
 * placed (tif_place, after it: the working CRS, the project extent and the dots are read_gpkg's). */
typedef struct tif_read {
    GDALDatasetH ds;
    int hb[64], n_hb;
    float *t; /* the headline's minutes (decode_beyond) */
    bool nomem;
} tif_read;

static void tif_decode(cc_ctx *ctx, const rp_data *d, int threads, tif_read *r)
{
    cc__gdal_begin(ctx);
    char nt[32];
    snprintf(nt, sizeof(nt), "NUM_THREADS=%d", threads > 0 ? threads : 1);
    const char *const oo[] = {nt, NULL};
    r->ds = GDALOpenEx(d->tif, GDAL_OF_RASTER | GDAL_OF_READONLY, NULL, oo, NULL);
    cc__gdal_end(ctx);
    if (!r->ds) return;
    r->n_hb = head_bands(d, r->ds, r->hb, 64);
    double gt[6];
    const char *wkt = GDALGetProjectionRef(r->ds);
    if (wkt && *wkt && GDALGetGeoTransform(r->ds, gt) == CE_None && !decode_beyond(d, r->ds, r->hb, r->n_hb, &r->t)) r->nomem = true;
}

static void tif_place(rp_data *d, tif_read *r)
{
    GDALDatasetH ds = r->ds;
    if (r->nomem) d->nomem = true;
    if (!ds) return;
    double gt[6];
    const char *wkt = GDALGetProjectionRef(ds);
    d->tif_head_band = r->n_hb == 1 ? r->hb[0] : 0; /* the band QGIS and the styles draw */
    if (wkt && *wkt && GDALGetGeoTransform(ds, gt) == CE_None) {
        d->tif_wkt = keep(d, wkt);
        OGRSpatialReferenceH sr = OSRNewSpatialReference(wkt);
        authid_of(sr, d->tif_authid, sizeof(d->tif_authid));
        double w = GDALGetRasterXSize(ds), h = GDALGetRasterYSize(ds);
        OGREnvelope e = {.MinX = fmin(gt[0], gt[0] + w * gt[1]), .MaxX = fmax(gt[0], gt[0] + w * gt[1]),
                         .MinY = fmin(gt[3], gt[3] + h * gt[5]), .MaxY = fmax(gt[3], gt[3] + h * gt[5])};
        if (env_to_work(d, wkt, &e)) grow_project(d, &e);
        double cw, ch; /* one cell, at the centre of the grid, in the working CRS */
        if (cc__grid_cell_size(gt, (int)w, (int)h, wkt, d->crs_wkt, &cw, &ch)) {
            d->cell_m = sqrt(cw * ch);
            d->cell_w = cw;
            d->cell_h = ch;
        }
        if (sr) OSRDestroySpatialReference(sr);
        if (!read_beyond(d, r->t, (int)w, (int)h, gt, wkt)) d->nomem = true;
    }
    free(r->t);
    r->t = NULL;
}

static void tif_close(tif_read *r)
{
    free(r->t);
    if (r->ds) GDALClose(r->ds);
    memset(r, 0, sizeof(*r));
}

/* The maps (PDF and PNG of each language) drawn at once on up to --threads threads, beside the
 * layer styles and project.qgs: each page is its own cairo surface over read-only data, and each
 * thread has its own context (messages) and pango font map; then each language's HTML report,
 * which embeds its PNG. */
static cc_status maps_and_reports(cc_ctx *ctx, rp_data *d, const char *dir, bool zh, bool en)
{
    enum { MAX_PAGES = 4 };
    struct page {
        const char *lang;
        bool png;
        char path[4300];
        cc_status st;
        double secs;
    } pg[MAX_PAGES];
    int n = 0;
    for (int k = 0; k < 2; k++) {
        const char *l = k == 0 ? "zh" : "en";
        if ((k == 0 && !zh) || (k == 1 && !en)) continue;
        for (int png = 0; png < 2; png++) {
            struct page *p = &pg[n++];
            memset(p, 0, sizeof(*p));
            p->lang = l;
            p->png = png;
            char path[sizeof(p->path)]; /* not straight into p->path: GCC 12 -Wrestrict sees an overlap with dir */
            snprintf(path, sizeof(path), "%s/map_%s.%s", dir, l, png ? "png" : "pdf");
            memcpy(p->path, path, sizeof(path));
        }
    }
    /* one more task: the layer styles and project.qgs, which read the same data and write other
     * files (coverage.gpkg's layer_styles, travel_time.qml, project.qgs) */
    const int tasks = n + 1;
    int threads = cc_ctx_get_threads(ctx);
    if (threads > tasks) threads = tasks;
    if (threads < 1) threads = 1;
    (void)threads;
    cc_ctx *w = cc__calloc_array((size_t)tasks, sizeof(*w)); /* each task's own context: messages */
    if (!w) return cc__fail(ctx, CC_ERR_NOMEM, "Out of memory");
    for (int i = 0; i < tasks; i++) cc__ctx_worker(ctx, &w[i]);
    cc_status st_styles = CC_OK;
    double t_styles = 0, t_project = 0;
#ifdef _OPENMP
#pragma omp parallel for schedule(dynamic, 1) num_threads(threads)
#endif
    for (int i = 0; i < tasks; i++) {
        double t = cc__now();
        if (i == n) { /* styles first (coverage.gpkg, travel_time.qml), then the project */
            st_styles = cc__interrupted(ctx) ? CC_ERR_INTERRUPTED : cc__styles_write(&w[i], d);
            t_styles = cc__now() - t;
            t = cc__now();
            if (!st_styles) st_styles = cc__project_write(&w[i], d);
            t_project = cc__now() - t;
            continue;
        }
        pg[i].st = cc__interrupted(ctx) ? CC_ERR_INTERRUPTED : cc__map_write(&w[i], d, pg[i].lang, pg[i].png, pg[i].path);
        pg[i].secs = cc__now() - t;
    }
    cc_status st = cc__ctx_worker_end(ctx, &w[n], st_styles);
    if (!st) {
        cc__debug(ctx, "Layer styles written in %.3f s", t_styles);
        cc__debug(ctx, "project.qgs written in %.3f s", t_project);
    }
    for (int i = 0; i < n; i++) {
        cc_status s = cc__ctx_worker_end(ctx, &w[i], st ? CC_OK : pg[i].st);
        if (!st && !(st = s)) cc__debug(ctx, "map_%s.%s drawn in %.3f s", pg[i].lang, pg[i].png ? "png" : "pdf", pg[i].secs);
    }
    free(w);
    if (st) return st;
    for (int i = 1; i < n; i += 2) { /* the PNG pages */
        char html[4300];
        snprintf(html, sizeof(html), "%s/report_%s.html", dir, pg[i].lang);
        double t = cc__now();
        st = cc__html_write(ctx, d, pg[i].lang, pg[i].path, html);
        cc__debug(ctx, "report_%s.html written in %.3f s", pg[i].lang, cc__now() - t);
        if (st) return st;
        if (cc__interrupted(ctx)) return cc__fail(ctx, CC_ERR_INTERRUPTED, "Interrupted");
    }
    return CC_OK;
}

/* Reads the outputs in @p dir and writes the deliverables into @p out (the same folder, or its
 * staging copy). */
static cc_status report_in(cc_ctx *ctx, const char *dir, const char *out, const cc_report_opts *opts)
{
    static const cc_report_opts dflt;
    const cc_report_opts *o = opts ? opts : &dflt;
    const char *lang = o->lang ? o->lang : "zh";
    bool zh = false, en = false;
    if (!strcmp(lang, "zh")) zh = true;
    else if (!strcmp(lang, "en")) en = true;
    else if (!strcmp(lang, "zh,en") || !strcmp(lang, "en,zh")) zh = en = true;
    else return cc__fail(ctx, CC_ERR_PARAM, "Unknown report language '%s': use zh, en or zh,en", lang);
    /* maps, reports and styles are written into @p dir: only into a folder of carecircle's own */
    char owned[4096];
    cc_status st1 = cc__out_check(ctx, dir, owned, sizeof(owned));
    if (st1) return st1;
    /* titles and scenario name from scenario.json when the caller gives none (carecircle report) */
    cc_report_opts oo = *o;
    char sp[4200];
    snprintf(sp, sizeof(sp), "%s/scenario.json", dir);
    json_object *sj = NULL, *sc = NULL;
    if ((!o->title_zh || !o->title_en || !o->scenario) && access(sp, F_OK) == 0) {
        cc_status st0;
        if ((st0 = cc__json_load(ctx, sp, false, &sj)) ||
            (st0 = cc__json_get_obj(ctx, sp, sj, NULL, "scenario", false, &sc))) {
            json_object_put(sj);
            return st0;
        }
        static const char *const keys[] = {"title_zh", "title_en", "name", "label_zh", "label_en"};
        const char **dst[] = {&oo.title_zh, &oo.title_en, &oo.scenario, &oo.scenario_zh, &oo.scenario_en};
        for (size_t k = 0; sc && k < 5; k++) {
            const char *v = NULL;
            if ((st0 = cc__json_get_str(ctx, sp, sc, "scenario", keys[k], false, &v))) {
                json_object_put(sj);
                return st0;
            }
            if (!*dst[k] && v) *dst[k] = v;
        }
    }
    o = &oo;
    /* a robust siting folder (site --scenarios): its own report; the maps are its variants' */
    snprintf(sp, sizeof(sp), "%s/summary.json", dir);
    json_object *rj = NULL;
    if (access(sp, F_OK) == 0 && !cc__json_load(ctx, sp, false, &rj) && json_object_object_get_ex(rj, "robust_sites", NULL)) {
        cc_status str = CC_OK;
        for (int k = 0; k < 2 && !str && !o->no_maps; k++)
            if ((k == 0 && zh) || (k == 1 && en)) str = cc__html_robust(ctx, dir, out, rj, o, k == 0 ? "zh" : "en");
        json_object_put(rj);
        json_object_put(sj);
        return str;
    }
    json_object_put(rj);
    rp_data d = {.dir = dir, .o = o, .strs = g_string_chunk_new(4096)};
    cc_status st;
    struct stat sb;
    snprintf(d.tif, sizeof(d.tif), "%s/travel_time.tif", dir);
    d.have_tif = stat(d.tif, &sb) == 0;
    double t0 = cc__now();
    if ((st = read_summary(ctx, &d))) goto out;
    snprintf(d.gpkg, sizeof(d.gpkg), "%s/%s", dir, d.is_site ? "sites.gpkg" : "coverage.gpkg");
    if (access(d.gpkg, F_OK) != 0) { /* a folder written with --outputs that left the GeoPackage out */
        json_object *outs = NULL;
        st = json_object_object_get_ex(d.summary, "outputs", &outs)
                 ? cc__fail(ctx, CC_ERR_IO, "'%s' holds no %s: it was written with the outputs %s only, and the report is drawn from it; run again with all outputs",
                            dir, d.is_site ? "sites.gpkg" : "coverage.gpkg", json_object_to_json_string_ext(outs, JSON_C_TO_STRING_PLAIN))
                 : cc__fail(ctx, CC_ERR_IO, "'%s' holds no %s, which the report is drawn from", dir, d.is_site ? "sites.gpkg" : "coverage.gpkg");
        goto out;
    }
    /* the GeoPackage and the raster's headline cells at once (each its own GDAL dataset; the
     * raster's task reads only what summary.json gave), then the cells placed */
    tif_read tr = {0};
    cc__gdal_init(); /* GDAL's drivers, before either task opens a file */
    {
        cc_ctx wc;
        cc__ctx_worker(ctx, &wc);
        const int threads = cc_ctx_get_threads(ctx) > 0 ? cc_ctx_get_threads(ctx) : 1;
        cc_status sg = CC_OK;
#ifdef _OPENMP
#pragma omp parallel sections num_threads(2) if (threads > 1 && d.have_tif)
#endif
        {
#ifdef _OPENMP
#pragma omp section
#endif
            {
                sg = read_gpkg(ctx, &d);
                if (!sg && d.have_base) read_base_admin(ctx, &d);
            }
#ifdef _OPENMP
#pragma omp section
#endif
            {
                if (d.have_tif) tif_decode(&wc, &d, threads, &tr);
            }
        }
        cc__ctx_worker_end(ctx, &wc, CC_OK);
        if (!sg) tif_place(&d, &tr);
        tif_close(&tr);
        if ((st = sg)) goto out;
    }
    if (d.nomem) {
        st = cc__fail(ctx, CC_ERR_NOMEM, "Out of memory reading '%s'", d.gpkg);
        goto out;
    }
    /* read from @p dir, written to @p out */
    d.dir = out;
    snprintf(d.gpkg, sizeof(d.gpkg), "%s/%s", out, d.is_site ? "sites.gpkg" : "coverage.gpkg");
    dir = out;
    cc__debug(ctx, "Outputs read back for the report in %.3f s", cc__now() - t0);
    if (o->no_maps) {
        t0 = cc__now();
        if ((st = cc__styles_write(ctx, &d))) goto out;
        cc__debug(ctx, "Layer styles written in %.3f s", cc__now() - t0);
        t0 = cc__now();
        if ((st = cc__project_write(ctx, &d))) goto out;
        cc__debug(ctx, "project.qgs written in %.3f s", cc__now() - t0);
        goto out;
    }
    st = maps_and_reports(ctx, &d, dir, zh, en); /* the styles and the project beside the maps */
out:
    data_free(&d);
    json_object_put(sj);
    return st;
}

/* A copy of @p name from @p from into @p to: a hard link (same file system, no bytes copied) for
 * files the report never writes (travel_time.tif, summary.json ...), a real copy for the others
 * (coverage.gpkg's layer_styles table is rewritten in place, maps and reports are overwritten). */
static cc_status stage_entry(cc_ctx *ctx, const char *from, const char *to, const char *name)
{
    char a[4600], b[4600];
    snprintf(a, sizeof(a), "%s/%s", from, name);
    snprintf(b, sizeof(b), "%s/%s", to, name);
    /* files the report writes (or rewrites in place) are copied: a link would share the inode */
    bool written = !strcmp(name, "coverage.gpkg") || !strcmp(name, "sites.gpkg") || !strcmp(name, "project.qgs") || !strncmp(name, "travel_time.q", 13) ||
                   !strncmp(name, "map_", 4) || !strncmp(name, "report_", 7);
    if (!written && link(a, b) == 0) return CC_OK;
    FILE *in = fopen(a, "rb"), *o = in ? fopen(b, "wb") : NULL;
    char buf[65536];
    size_t k;
    bool bad = !in || !o;
    while (!bad && (k = fread(buf, 1, sizeof(buf), in)) > 0) bad = fwrite(buf, 1, k, o) != k;
    bad |= in && ferror(in);
    if (in) fclose(in);
    if (o && fclose(o) != 0) bad = true;
    return bad ? cc__fail(ctx, CC_ERR_IO, "Unable to copy '%s' to stage the report: %s", a, strerror(errno)) : CC_OK;
}

cc_status cc_report_write(cc_ctx *ctx, const char *dir, const cc_report_opts *opts)
{
    /* a folder this process is staging (a run writing its deliverables) is written in place; any
     * other output folder gets a staged copy that replaces it only when every deliverable is
     * written, so an interruption or a full disk never leaves a truncated map */
    if (cc__stage_is_live(dir)) return report_in(ctx, dir, dir, opts);
    char owned[4096], sj[4200];
    cc_status st = cc__out_check(ctx, dir, owned, sizeof(owned));
    if (st) return st;
    snprintf(sj, sizeof(sj), "%s/summary.json", owned);
    if (access(sj, F_OK) != 0) return report_in(ctx, dir, dir, opts); /* fails, naming the folder */
    /* a robust siting folder (site --scenarios): each variant's folder is a siting folder whose
     * deliverables are staged as usual; then the study's report, which embeds their maps, is
     * written in place (report_<lang>.html, each replaced whole) */
    json_object *rj = NULL, *vars = NULL;
    if (!cc__json_load(ctx, sj, false, &rj) && json_object_object_get_ex(rj, "robust_sites", NULL) &&
        json_object_object_get_ex(rj, "variants", &vars) && json_object_is_type(vars, json_type_array)) {
        static const cc_report_opts dflt;
        cc_report_opts vo = opts ? *opts : dflt;
        for (size_t v = 0; v < json_object_array_length(vars) && !st; v++) {
            json_object *nm = NULL;
            const char *name = json_object_object_get_ex(json_object_array_get_idx(vars, v), "name", &nm) ? json_object_get_string(nm) : NULL;
            if (!name || !*name || strchr(name, '/') || !strcmp(name, ".") || !strcmp(name, "..")) {
                st = cc__fail(ctx, CC_ERR_INPUT, "'%s': variant %zu has no usable name", sj, v);
                break;
            }
            char sub[4400];
            snprintf(sub, sizeof(sub), "%s/%s", owned, name);
            vo.scenario = name;
            st = cc_report_write(ctx, sub, &vo);
        }
        json_object_put(rj);
        return st ? st : report_in(ctx, dir, dir, opts);
    }
    json_object_put(rj);
    cc__stage stage;
    if ((st = cc__stage_begin(ctx, dir, &stage))) return st;
    DIR *dd = opendir(owned);
    struct dirent *e;
    if (!dd) st = cc__fail(ctx, CC_ERR_IO, "Unable to read folder '%s': %s", dir, strerror(errno));
    while (!st && (e = readdir(dd))) {
        struct stat sb;
        char p[4400];
        snprintf(p, sizeof(p), "%s/%s", owned, e->d_name);
        if (!strcmp(e->d_name, ".carecircle") || lstat(p, &sb) != 0 || !S_ISREG(sb.st_mode)) continue;
        st = stage_entry(ctx, owned, stage.tmp_dir, e->d_name);
    }
    if (dd) closedir(dd);
    if (!st) st = report_in(ctx, dir, stage.tmp_dir, opts);
    if (!st && cc__interrupted(ctx)) st = cc__fail(ctx, CC_ERR_INTERRUPTED, "Interrupted");
    if (!st) st = cc__stage_commit(ctx, &stage);
    cc__stage_abort(&stage);
    return st;
}
