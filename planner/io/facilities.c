/*
 * facilities.c - facility points with a tier field, from any OGR point layer or a CSV with
 * longitude/latitude columns. Raw tier values map to named tiers ("3=hospital,4=hospital");
 * several values may share one name.
 */
#include <ctype.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include <cpl_conv.h>
#include <cpl_string.h>

#include "readers_internal.h"

void cc__facilities_free(cc__facilities *f)
{
    if (!f) return;
    for (size_t i = 0; i < f->n; i++) {
        if (f->name) free(f->name[i]);
        if (f->name_zh) free(f->name_zh[i]);
        if (f->tier_raw) free(f->tier_raw[i]);
    }
    for (size_t i = 0; i < f->n_tiers; i++) free(f->tier_name[i]);
    CC__FREE_ALL(f->x, f->y, f->lon, f->lat, f->name, f->name_zh, f->tier_raw, f->capacity, f->tier, f->fid, f->tier_name, f->tier_field);
    memset(f, 0, sizeof(*f));
}

void cc__normalise_value(const char *in, char *out, size_t n)
{
    while (*in && isspace((unsigned char)*in)) in++;
    size_t len = strlen(in);
    while (len && isspace((unsigned char)in[len - 1])) len--;
    char tmp[256];
    if (len >= sizeof(tmp)) len = sizeof(tmp) - 1;
    memcpy(tmp, in, len);
    tmp[len] = '\0';
    char *end;
    double v = cc_strtod(tmp, &end);
    if (len && *end == '\0' && isfinite(v) && v == floor(v) && fabs(v) < 1e15)
        snprintf(out, n, "%lld", (long long)v);
    else
        snprintf(out, n, "%s", tmp);
}

/* Parse "raw=name,raw=name" into parallel arrays (normalised raw values). */
static cc_status parse_tier_map(cc_ctx *ctx, const char *spec, char ***raw, char ***name, size_t *n)
{
    char **items = CSLTokenizeString2(spec, ",", CSLT_STRIPLEADSPACES | CSLT_STRIPENDSPACES);
    int count = CSLCount(items);
    cc_status st = CC_OK;
    *n = 0;
    *raw = cc__calloc_array((size_t)count, sizeof(char *));
    *name = cc__calloc_array((size_t)count, sizeof(char *));
    if (!*raw || !*name) {
        st = cc__fail(ctx, CC_ERR_NOMEM, "Out of memory");
        goto out;
    }
    if (count == 0) {
        st = cc__fail(ctx, CC_ERR_PARAM, "Parameter tiers is empty; expected e.g. \"1=village_clinic,2=township_health_centre\"");
        goto out;
    }
    for (int i = 0; i < count; i++) {
        const char *eq = strchr(items[i], '=');
        if (!eq || eq == items[i] || !eq[1]) {
            st = cc__fail(ctx, CC_ERR_PARAM, "Parameter tiers: item '%s' is not of the form value=name", items[i]);
            goto out;
        }
        char key[256], val[256];
        snprintf(key, sizeof(key), "%.*s", (int)(eq - items[i]), items[i]);
        cc__normalise_value(key, val, sizeof(val));
        for (size_t k = 0; k < *n; k++)
            if (strcmp((*raw)[k], val) == 0) {
                st = cc__fail(ctx, CC_ERR_PARAM, "Parameter tiers maps value '%s' twice", val);
                goto out;
            }
        const char *nm = eq + 1;
        for (const char *p = nm; *p; p++)
            if (*p == ' ' || *p == '"' || *p == '\'' || *p == ',') {
                st = cc__fail(ctx, CC_ERR_PARAM, "Parameter tiers: name '%s' must not contain spaces, quotes or commas", nm);
                goto out;
            }
        (*raw)[*n] = cc__strdup(val);
        (*name)[*n] = cc__strdup(nm);
        (*n)++;
        if (!(*raw)[*n - 1] || !(*name)[*n - 1]) {
            st = cc__fail(ctx, CC_ERR_NOMEM, "Out of memory");
            goto out;
        }
    }
out:
    CSLDestroy(items);
    return st;
}

static int tier_index(cc__facilities *f, const char *name)
{
    for (size_t i = 0; i < f->n_tiers; i++)
        if (strcmp(f->tier_name[i], name) == 0) return (int)i;
    return -1;
}

static int add_tier(cc__facilities *f, const char *name)
{
    int i = tier_index(f, name);
    if (i >= 0) return i;
    char **tn = cc__realloc_array(f->tier_name, f->n_tiers + 1, sizeof(char *));
    if (!tn) return -2;
    f->tier_name = tn;
    if (!(tn[f->n_tiers] = cc__strdup(name))) return -2;
    return (int)f->n_tiers++;
}

static int cmp_values(const void *a, const void *b)
{
    const char *x = *(const char *const *)a, *y = *(const char *const *)b;
    char *ex, *ey;
    double vx = cc_strtod(x, &ex), vy = cc_strtod(y, &ey);
    if (*x && *y && !*ex && !*ey) return vx < vy ? -1 : vx > vy;
    return strcmp(x, y);
}

/* The field indexes of a facility layer (-1: absent). */
typedef struct fac_fields {
    int tier, name, zh, cap;
} fac_fields;

/* Find the tier, name, Chinese name and capacity fields of @p lyr; records the tier field's name in @p f. */
static cc_status find_fields(cc_ctx *ctx, const char *path, const cc__facilities_opts *o, OGRLayerH lyr, cc__facilities *f, fac_fields *ix)
{
    char fields[512];
    const char *lname = OGR_L_GetName(lyr);
    OGRFeatureDefnH fd = OGR_L_GetLayerDefn(lyr);
    cc__list_fields(fd, fields, sizeof(fields));
    int ftier = OGR_FD_GetFieldIndex(fd, o->tier_field ? o->tier_field : "tier");
    if (!o->tier_field && ftier < 0 && (ftier = OGR_FD_GetFieldIndex(fd, "级别")) < 0) ftier = OGR_FD_GetFieldIndex(fd, "等级");
    if (o->tier_field && ftier < 0)
        return cc__fail(ctx, CC_ERR_INPUT, "Facility layer <%s> in '%s' has no tier field <%s> (fields: %s)", lname, path, o->tier_field,
                        fields);
    if (o->tiers && ftier < 0)
        return cc__fail(ctx, CC_ERR_INPUT, "Facility layer <%s> in '%s' has no field <tier> for parameter tiers; name it with parameter tier_field (fields: %s)",
                        lname, path, fields);
    if (ftier >= 0 && !(f->tier_field = cc__strdup(OGR_Fld_GetNameRef(OGR_FD_GetFieldDefn(fd, ftier)))))
        return cc__fail(ctx, CC_ERR_NOMEM, "Out of memory reading facilities");
    int fname = OGR_FD_GetFieldIndex(fd, o->name_field ? o->name_field : "name");
    int fzh = OGR_FD_GetFieldIndex(fd, "name_zh");
    /* 名称 (name): the name when there is no "name" field, else the Chinese name */
    int fming = OGR_FD_GetFieldIndex(fd, "名称");
    if (!o->name_field && fname < 0) fname = fming;
    else if (fzh < 0 && fming >= 0 && fming != fname) fzh = fming;
    if (o->name_field && fname < 0)
        return cc__fail(ctx, CC_ERR_INPUT, "Facility layer <%s> in '%s' has no name field <%s> (fields: %s)", lname, path, o->name_field,
                        fields);
    int fcap = o->capacity_field ? OGR_FD_GetFieldIndex(fd, o->capacity_field) : -1;
    if (o->capacity_field && fcap < 0)
        return cc__fail(ctx, CC_ERR_INPUT, "Facility layer <%s> in '%s' has no capacity field <%s> (fields: %s)", lname, path,
                        o->capacity_field, fields);
    *ix = (fac_fields){ftier, fname, fzh, fcap};
    return CC_OK;
}

/* The layer's CRS (NULL when there is none); a CSV file without one is in WGS84 longitude/latitude
 * (*lonlat set, NULL returned: creating that CRS for every file costs more than reading a small one). */
static OGRSpatialReferenceH layer_srs(GDALDatasetH ds, OGRLayerH lyr, bool *lonlat)
{
    OGRSpatialReferenceH ls = OGR_L_GetSpatialRef(lyr), src = NULL;
    *lonlat = false;
    if (ls) {
        src = cc__srs_clone(ls);
    } else if (!strcmp(GDALGetDriverShortName(GDALGetDatasetDriver(ds)), "CSV")) {
        *lonlat = true; /* longitude/latitude in WGS 84: no CRS object, the transformations name it "EPSG:4326" */
    }
    return src;
}

/* The point of a feature (a one-point multipoint counts); false when it has none that is finite. */
static bool feature_point(OGRFeatureH ft, double *x, double *y)
{
    OGRGeometryH g = OGR_F_GetGeometryRef(ft);
    if (g && wkbFlatten(OGR_G_GetGeometryType(g)) == wkbMultiPoint && OGR_G_GetGeometryCount(g) == 1) g = OGR_G_GetGeometryRef(g, 0);
    *x = 0;
    *y = 0;
    if (g && !OGR_G_IsEmpty(g) && wkbFlatten(OGR_G_GetGeometryType(g)) == wkbPoint) {
        *x = OGR_G_GetX(g, 0);
        *y = OGR_G_GetY(g, 0);
    }
    return !(!g || OGR_G_IsEmpty(g) || wkbFlatten(OGR_G_GetGeometryType(g)) != wkbPoint || !isfinite(*x) || !isfinite(*y));
}

/* Facility @p i from feature @p ft (point @p x, @p y): name, raw tier, capacity. Sets *nomem when a
 * string could not be copied. */
static cc_status add_facility(cc_ctx *ctx, const char *path, const cc__facilities_opts *o, const fac_fields *ix, OGRFeatureH ft, double x,
                              double y, cc__facilities *f, bool *nomem)
{
    char raw[256] = "", nm[64];
    cc_status st = CC_OK;
    if (ix->tier >= 0 && OGR_F_IsFieldSetAndNotNull(ft, ix->tier)) cc__normalise_value(OGR_F_GetFieldAsString(ft, ix->tier), raw, sizeof(raw));
    snprintf(nm, sizeof(nm), "facility %lld", (long long)OGR_F_GetFID(ft));
    const char *name = ix->name >= 0 && OGR_F_IsFieldSetAndNotNull(ft, ix->name) ? OGR_F_GetFieldAsString(ft, ix->name) : nm;
    size_t i = f->n;
    f->x[i] = x;
    f->y[i] = y;
    f->fid[i] = OGR_F_GetFID(ft);
    f->name[i] = cc__strdup(name);
    if (f->name_zh) f->name_zh[i] = cc__strdup(OGR_F_IsFieldSetAndNotNull(ft, ix->zh) ? OGR_F_GetFieldAsString(ft, ix->zh) : name);
    f->tier_raw[i] = cc__strdup(raw);
    f->tier[i] = -1;
    if (ix->cap >= 0) {
        /* empty: no limit; else a finite number of at least 0 */
        const char *cv = OGR_F_IsFieldSetAndNotNull(ft, ix->cap) ? OGR_F_GetFieldAsString(ft, ix->cap) : "";
        char *end;
        while (*cv == ' ') cv++;
        double v = *cv ? cc_strtod(cv, &end) : NAN;
        if (*cv && (end == cv || *end != '\0' || !isfinite(v) || v < 0)) {
            st = cc__fail(ctx, CC_ERR_INPUT, "Facility <%s> in '%s' has capacity '%s' in field <%s>: give a number of at least 0, or leave it empty for no limit",
                          name, path, cv, o->capacity_field);
        }
        f->capacity[i] = v;
    }
    f->n++;
    *nomem = !f->name[i] || !f->tier_raw[i] || (f->name_zh && !f->name_zh[i]);
    return st;
}

/* Every feature with a usable point into @p f; counts the features read and those skipped. */
static cc_status read_features(cc_ctx *ctx, const char *path, const cc__facilities_opts *o, OGRLayerH lyr, const fac_fields *ix,
                               cc__facilities *f, size_t *n_feat, size_t *n_nogeom)
{
    size_t cap = 0;
    cc_status st = CC_OK;
    bool nomem = false;
    cc__gdal_begin(ctx);
    OGR_L_ResetReading(lyr);
    OGRFeatureH ft;
    while (!st && !nomem && (ft = OGR_L_GetNextFeature(lyr))) {
        if (++*n_feat > CC__MAX_FACILITIES) {
            OGR_F_Destroy(ft);
            st = cc__fail(ctx, CC_ERR_LIMIT, "Facility file '%s' holds more than %d facilities; at most %d are supported", path,
                          CC__MAX_FACILITIES, CC__MAX_FACILITIES);
            break;
        }
        double x, y;
        if (!feature_point(ft, &x, &y)) {
            (*n_nogeom)++;
            OGR_F_Destroy(ft);
            continue;
        }
        if (f->n == cap) {
            size_t c = cap ? cap * 2 : 256;
            const cc__column cols[] = {CC__COLUMN(f->x, true),        CC__COLUMN(f->y, true),
                                       CC__COLUMN(f->name, true),     CC__COLUMN(f->tier_raw, true),
                                       CC__COLUMN(f->tier, true),     CC__COLUMN(f->fid, true),
                                       CC__COLUMN(f->name_zh, ix->zh >= 0), CC__COLUMN(f->capacity, ix->cap >= 0)};
            if (!cc__realloc_columns(cols, sizeof(cols) / sizeof(cols[0]), c)) {
                OGR_F_Destroy(ft);
                nomem = true;
                break;
            }
            cap = c;
        }
        st = add_facility(ctx, path, o, ix, ft, x, y, f, &nomem);
        OGR_F_Destroy(ft);
    }
    if (nomem) {
        cc__gdal_end(ctx);
        return cc__fail(ctx, CC_ERR_NOMEM, "Out of memory reading facilities");
    }
    if (!st && cc__gdal_failures(ctx))
        st = cc__fail(ctx, CC_ERR_INPUT, "Unable to read facility layer <%s> in '%s' (truncated or corrupt?): %s", OGR_L_GetName(lyr), path,
                      cc__gdal_msg(ctx));
    cc__gdal_end(ctx);
    return st;
}

/* The facilities' raw tier values, sorted (numbers by value); NULL when out of memory. */
static char **sorted_tier_values(const cc__facilities *f)
{
    char **vals = cc__malloc_array(f->n, sizeof(char *));
    if (!vals) return NULL;
    memcpy(vals, f->tier_raw, f->n * sizeof(char *));
    qsort(vals, f->n, sizeof(char *), cmp_values);
    return vals;
}

/* The values of parameter tiers that no facility has (a typo, or the wrong field) fail, listing the values present. */
static cc_status check_tier_map(cc_ctx *ctx, const char *path, const cc__facilities *f, char **map_raw, size_t n_map)
{
    char missing[256] = "", present[256] = "";
    for (size_t k = 0; k < n_map; k++) {
        bool hit = false;
        for (size_t i = 0; i < f->n && !hit; i++) hit = strcmp(map_raw[k], f->tier_raw[i]) == 0;
        if (!hit && strlen(missing) + strlen(map_raw[k]) + 4 < sizeof(missing)) {
            if (missing[0]) strcat(missing, ", ");
            strcat(missing, map_raw[k]);
        }
    }
    if (!missing[0]) return CC_OK;
    char **vals = sorted_tier_values(f);
    if (!vals) return cc__fail(ctx, CC_ERR_NOMEM, "Out of memory reading facilities");
    for (size_t i = 0; i < f->n; i++) {
        if (i && !strcmp(vals[i], vals[i - 1])) continue;
        const char *v = vals[i][0] ? vals[i] : "(empty)";
        if (strlen(present) + strlen(v) + 8 >= sizeof(present)) {
            strcat(present, ", ...");
            break;
        }
        if (present[0]) strcat(present, ", ");
        strcat(present, v);
    }
    free(vals);
    return cc__fail(ctx, CC_ERR_PARAM, "Parameter tiers names value%s %s that no facility of '%s' has in field <%s>; the values present are: %s",
                    strchr(missing, ',') ? "s" : "", missing, path, f->tier_field ? f->tier_field : "tier", present);
}

/* Each facility's tier: from the map of parameter tiers, or every distinct value in sorted order. */
static cc_status assign_tiers(cc_ctx *ctx, const char *path, const cc__facilities_opts *o, bool have_tier_field, char **map_raw,
                              char **map_name, size_t n_map, cc__facilities *f)
{
    size_t n_unmapped = 0;
    char unmapped_list[256] = "";
    if (have_tier_field && !o->tiers) {
        char **vals = sorted_tier_values(f);
        if (!vals) return cc__fail(ctx, CC_ERR_NOMEM, "Out of memory reading facilities");
        for (size_t i = 0; i < f->n; i++)
            if (vals[i][0] && add_tier(f, vals[i]) < 0) {
                free(vals);
                return cc__fail(ctx, CC_ERR_NOMEM, "Out of memory reading facilities");
            }
        free(vals);
    }
    for (size_t i = 0; i < f->n; i++) {
        if (!f->tier_raw[i][0]) continue;
        if (o->tiers) {
            for (size_t k = 0; k < n_map; k++)
                if (strcmp(map_raw[k], f->tier_raw[i]) == 0) f->tier[i] = tier_index(f, map_name[k]);
            if (f->tier[i] < 0) {
                n_unmapped++;
                if (!strstr(unmapped_list, f->tier_raw[i]) && strlen(unmapped_list) + strlen(f->tier_raw[i]) + 4 < sizeof(unmapped_list)) {
                    if (unmapped_list[0]) strcat(unmapped_list, ", ");
                    strcat(unmapped_list, f->tier_raw[i]);
                }
            }
        } else {
            f->tier[i] = tier_index(f, f->tier_raw[i]);
        }
    }
    cc_status st;
    if (o->tiers && (st = check_tier_map(ctx, path, f, map_raw, n_map))) return st;
    if (n_unmapped)
        cc__warn(ctx, "%zu facilities of '%s' have tier values not named in parameter tiers (%s); they count for all facilities only", n_unmapped,
                 path, unmapped_list);
    return CC_OK;
}

/* Impossible coordinates, before any transformation (PROJ would only say "Invalid latitude"). */
static cc_status check_lonlat(cc_ctx *ctx, const char *path, GDALDatasetH ds, const cc__facilities *f)
{
    bool csv = !strcmp(GDALGetDriverShortName(GDALGetDatasetDriver(ds)), "CSV");
    for (size_t i = 0; i < f->n; i++) {
        double x = f->x[i], y = f->y[i];
        if (fabs(x) <= 180 && fabs(y) <= 90) continue;
        char where[80];
        if (csv) snprintf(where, sizeof(where), "line %lld", (long long)f->fid[i] + 1);
        else snprintf(where, sizeof(where), "feature %lld", (long long)f->fid[i]);
        bool swapped = fabs(y) <= 180 && fabs(x) <= 90;
        return cc__fail(ctx, CC_ERR_INPUT, "Facility file '%s' %s (<%.60s>): %s %g, %s %g is not a place on Earth%s", path, where, f->name[i],
                        "longitude", x, "latitude", y,
                        swapped ? "; longitude and latitude look swapped" : " (longitude -180..180, latitude -90..90)");
    }
    return CC_OK;
}

/* Coordinates: WGS84 for output, working CRS @p work_wkt for snapping. */
static cc_status transform_facilities(cc_ctx *ctx, const char *path, OGRSpatialReferenceH src, const char *work_wkt, cc__facilities *f)
{
    OGRCoordinateTransformationH ct = NULL, ctll = NULL;
    cc_status st = CC_OK;
    if (!(f->lon = cc__malloc_array(f->n, sizeof(double))) || !(f->lat = cc__malloc_array(f->n, sizeof(double))))
        return cc__fail(ctx, CC_ERR_NOMEM, "Out of memory reading facilities");
    memcpy(f->lon, f->x, f->n * sizeof(double));
    memcpy(f->lat, f->y, f->n * sizeof(double));
    cc__gdal_begin(ctx); /* from the pool: a CSV's own WGS 84 is named by its code, a layer's CRS by itself */
    ct = work_wkt ? cc__ct_acquire(src, src ? NULL : "EPSG:4326", NULL, work_wkt) : NULL;
    ctll = cc__ct_acquire(src, src ? NULL : "EPSG:4326", NULL, "EPSG:4326");
    cc__gdal_end(ctx);
    if (!ct || !ctll) st = cc__fail(ctx, CC_ERR_CRS, "Unable to transform facilities of '%s' to the working CRS: %s", path, cc__gdal_msg(ctx));
    if (!st && !(st = cc__transform_points(ctx, ct, f->x, f->y, f->n))) st = cc__transform_points(ctx, ctll, f->lon, f->lat, f->n);
    cc__ct_release(ct);
    cc__ct_release(ctll);
    return st;
}

cc_status cc__facilities_read(cc_ctx *ctx, const char *path, const cc__facilities_opts *o, const char *work_wkt,
                              cc__facilities *f)
{
    static const cc__facilities_opts defaults;
    GDALDatasetH ds = NULL;
    OGRSpatialReferenceH src = NULL;
    char **map_raw = NULL, **map_name = NULL;
    size_t n_map = 0, n_nogeom = 0, n_feat = 0;
    char tmp[4096] = "";
    cc_status st = CC_OK;
    bool is_osm;
    fac_fields ix = {-1, -1, -1, -1};

    memset(f, 0, sizeof(*f));
    if (!o) o = &defaults;
    if (o->lon_field || o->lat_field) {
        if (!o->lon_field || !o->lat_field) return cc__fail(ctx, CC_ERR_PARAM, "Give both parameters lon_field and lat_field");
        char xo[160], yo[160];
        snprintf(xo, sizeof(xo), "X_POSSIBLE_NAMES=%s", o->lon_field);
        snprintf(yo, sizeof(yo), "Y_POSSIBLE_NAMES=%s", o->lat_field);
        const char *oo[] = {xo, yo, "KEEP_GEOM_COLUMNS=YES", "AUTODETECT_TYPE=YES", NULL};
        if (!(ds = cc__open_vector_enc(ctx, path, "facility file", o->encoding, oo, &is_osm, tmp, sizeof(tmp)))) return CC_ERR_IO;
    } else if (!(ds = cc__open_vector_enc(ctx, path, "facility file", o->encoding, NULL, &is_osm, tmp, sizeof(tmp)))) {
        return CC_ERR_IO;
    }
    OGRLayerH lyr = o->layer ? GDALDatasetGetLayerByName(ds, o->layer) : GDALDatasetGetLayer(ds, 0);
    if (!lyr) {
        st = cc__fail(ctx, CC_ERR_INPUT, "Facility file '%s' has no layer %s", path, o->layer ? o->layer : "");
        goto out;
    }
    const char *lname = OGR_L_GetName(lyr);
    if ((st = find_fields(ctx, path, o, lyr, f, &ix))) goto out;
    if (o->tiers && (st = parse_tier_map(ctx, o->tiers, &map_raw, &map_name, &n_map))) goto out;
    for (size_t i = 0; i < n_map; i++)
        if (add_tier(f, map_name[i]) < 0) goto nomem;

    bool lonlat;
    if (!(src = layer_srs(ds, lyr, &lonlat)) && !lonlat) {
        st = cc__fail(ctx, CC_ERR_CRS, "Facility layer <%s> in '%s' has no coordinate reference system", lname, path);
        goto out;
    }
    if (o->where) {
        cc__gdal_begin(ctx);
        OGRErr e = OGR_L_SetAttributeFilter(lyr, o->where);
        cc__gdal_end(ctx);
        if (e != OGRERR_NONE) {
            st = cc__fail(ctx, CC_ERR_PARAM, "Invalid facility filter '%s' for '%s': %s", o->where, path, cc__gdal_msg(ctx));
            goto out;
        }
    }
    /* the count when the driver knows it (CSV would read the file once more for it: read_features stops at the cap) */
    GIntBig n_known = strcmp(GDALGetDriverShortName(GDALGetDatasetDriver(ds)), "CSV") ? OGR_L_GetFeatureCount(lyr, FALSE) : -1;
    if (n_known > CC__MAX_FACILITIES) {
        st = cc__fail(ctx, CC_ERR_LIMIT, "Facility file '%s' holds %lld facilities; at most %d are supported", path, (long long)n_known,
                      CC__MAX_FACILITIES);
        goto out;
    }
    if ((st = read_features(ctx, path, o, lyr, &ix, f, &n_feat, &n_nogeom))) goto out;
    if (n_nogeom)
        cc__warn(ctx, "Facility file '%s': skipped %zu of %zu features without a usable point (missing coordinates or not points)", path,
                 n_nogeom, n_feat);
    if (f->n == 0) {
        st = cc__fail(ctx, CC_ERR_INPUT, "Facility layer <%s> in '%s' has no usable points (%zu features)%s", lname, path, n_feat,
                      n_feat && !OGR_L_GetSpatialRef(lyr) ? "; for CSV files name the coordinate columns with parameters lon_field and lat_field" : "");
        goto out;
    }
    if ((st = assign_tiers(ctx, path, o, ix.tier >= 0, map_raw, map_name, n_map, f))) goto out;
    if ((!src || OSRIsGeographic(src)) && (st = check_lonlat(ctx, path, ds, f))) goto out;
    if ((st = transform_facilities(ctx, path, src, work_wkt, f))) goto out;
    cc__info(ctx, "Read %zu facilities from '%s' (%zu tiers)", f->n, path, f->n_tiers);
    goto out;
nomem:
    st = cc__fail(ctx, CC_ERR_NOMEM, "Out of memory reading facilities");
out:
    for (size_t i = 0; i < n_map; i++) {
        free(map_raw[i]);
        free(map_name[i]);
    }
    free(map_raw);
    free(map_name);
    if (src) OSRDestroySpatialReference(src);
    cc__close_vector(ds, tmp);
    if (st) cc__facilities_free(f);
    return st;
}

static bool path_ends(const char *s, const char *suffix)
{
    size_t ls = strlen(s), lx = strlen(suffix);
    return ls >= lx && strcasecmp(s + ls - lx, suffix) == 0;
}

/* Lines of a text file, counted up to @p stop (a CSV holds at most one feature per line after its
 * header; quoted fields may span lines, so this is an upper bound of its features). -1: unreadable. */
static long long count_lines(const char *path, long long stop)
{
    VSILFILE *fp = VSIFOpenL(path, "rb");
    if (!fp) return -1;
    char *buf = malloc(1 << 16);
    if (!buf) {
        VSIFCloseL(fp);
        return -1;
    }
    long long lines = 0;
    size_t k, last = 0;
    while (lines <= stop && (k = VSIFReadL(buf, 1, 1 << 16, fp)) > 0) {
        for (const char *p = buf, *e = buf + k; (p = memchr(p, '\n', (size_t)(e - p))); p++) lines++;
        last = k;
    }
    if (last && buf[last - 1] != '\n') lines++; /* a last line without its newline */
    free(buf);
    VSIFCloseL(fp);
    return lines;
}

cc_status cc__facilities_precount(cc_ctx *ctx, const char *path, const cc__facilities_opts *o)
{
    static const cc__facilities_opts defaults;
    if (!o) o = &defaults;
    if (!path || !strncmp(path, "PG:", 3)) return CC_OK;
    cc_status st = cc__input_check(ctx, path, "facility file");
    if (st) return st;
    cc__gdal_init();
    bool csv = o->lon_field || path_ends(path, ".csv") || path_ends(path, ".tsv") || path_ends(path, ".txt");
    /* a CSV of at most header + cap lines cannot hold more: settled without parsing it */
    if (csv && count_lines(path, (long long)CC__MAX_FACILITIES + 1) <= (long long)CC__MAX_FACILITIES + 1) return CC_OK;
    GDALDatasetH ds = NULL;
    char tmp[4096] = "";
    bool is_osm = false;
    if (csv) {
        char xo[160], yo[160];
        snprintf(xo, sizeof(xo), "X_POSSIBLE_NAMES=%s", o->lon_field ? o->lon_field : "");
        snprintf(yo, sizeof(yo), "Y_POSSIBLE_NAMES=%s", o->lat_field ? o->lat_field : "");
        const char *oo[] = {xo, yo, "KEEP_GEOM_COLUMNS=YES", "AUTODETECT_TYPE=YES", NULL};
        ds = cc__open_vector_enc(ctx, path, "facility file", o->encoding, o->lon_field && o->lat_field ? oo : NULL, &is_osm, tmp,
                                 sizeof(tmp));
    } else {
        /* opened quietly and without text detection: the reader reports a failure in its own words */
        const char *shp[] = {"ESRI Shapefile", NULL};
        cc__gdal_begin(ctx);
        ds = GDALOpenEx(path, GDAL_OF_VECTOR | GDAL_OF_READONLY, path_ends(path, ".shp") || path_ends(path, ".dbf") ? shp : NULL, NULL, NULL);
        cc__gdal_end(ctx);
        is_osm = ds && !strcmp(GDALGetDriverShortName(GDALGetDatasetDriver(ds)), "OSM");
    }
    if (!ds) return csv ? CC_ERR_IO : CC_OK;
    OGRLayerH lyr = is_osm ? NULL : o->layer ? GDALDatasetGetLayerByName(ds, o->layer) : GDALDatasetGetLayer(ds, 0);
    GIntBig n = -1;
    if (lyr) {
        cc__gdal_begin(ctx);
        if (!o->where || OGR_L_SetAttributeFilter(lyr, o->where) == OGRERR_NONE) n = OGR_L_GetFeatureCount(lyr, csv);
        cc__gdal_end(ctx);
    }
    cc__close_vector(ds, tmp);
    if (n > CC__MAX_FACILITIES)
        return cc__fail(ctx, CC_ERR_LIMIT, "Facility file '%s' holds %lld facilities; at most %d are supported", path, (long long)n,
                        CC__MAX_FACILITIES);
    return CC_OK;
}

/* Find the facility a change names: by id (index) or by unique exact name. */
static cc_status find_facility(cc_ctx *ctx, const cc__facilities *f, const cc_facility_change *c, size_t n_orig, size_t *out)
{
    if (c->id >= 0) {
        if ((size_t)c->id >= n_orig)
            return cc__fail(ctx, CC_ERR_INPUT, "Facility change: there is no facility with id %lld (ids run from 0 to %zu)", c->id,
                            n_orig ? n_orig - 1 : 0);
        *out = (size_t)c->id;
        return CC_OK;
    }
    size_t hits = 0;
    for (size_t i = 0; i < n_orig; i++)
        if (c->name && strcmp(f->name[i], c->name) == 0) {
            if (!hits) *out = i;
            hits++;
        }
    if (hits == 0) return cc__fail(ctx, CC_ERR_INPUT, "Facility change: no facility is named <%s>", c->name ? c->name : "");
    if (hits > 1)
        return cc__fail(ctx, CC_ERR_INPUT, "Facility change: %zu facilities are named <%s>; name it by id instead", hits, c->name);
    return CC_OK;
}

cc_status cc__facilities_apply(cc_ctx *ctx, cc__facilities *f, const cc_facility_change *ch, size_t n, const char *work_wkt)
{
    const size_t n_orig = f->n;
    size_t n_add = 0;
    cc_status st = CC_OK;
    bool *removed = cc__calloc_array(n_orig, sizeof(bool));
    OGRSpatialReferenceH wgs = NULL, dst = NULL;
    OGRCoordinateTransformationH ct = NULL;
    if (!removed) return cc__fail(ctx, CC_ERR_NOMEM, "Out of memory");
    /* a tier that the file does not have and that names no level of care is most likely misspelt
     * ("hospitall"): it would count as a tier of its own, never as care; said once per tier */
    for (size_t k = 0; k < n; k++) {
        const char *t = ch[k].kind == CC_FACILITY_REMOVE ? NULL : ch[k].tier;
        if (!t || tier_index(f, t) >= 0 || cc__tier_recognised(t)) continue;
        bool said = false;
        for (size_t j = 0; j < k && !said; j++)
            said = ch[j].kind != CC_FACILITY_REMOVE && ch[j].tier && !strcmp(ch[j].tier, t);
        if (said) continue;
        char known[512] = "";
        for (size_t j = 0; j < f->n_tiers; j++) {
            size_t l = strlen(known);
            snprintf(known + l, sizeof(known) - l, "%s%s", j ? ", " : "", f->tier_name[j]);
        }
        cc__warn(ctx,
                 "Facility changes give the tier <%s>, which no facility of the facility file has and which names no level "
                 "of care (tiers of the file: %s): it counts as a tier of its own, never as capable care; check its spelling",
                 t, known[0] ? known : "none");
    }
    for (size_t k = 0; k < n && !st; k++) {
        size_t i = 0;
        if (ch[k].kind == CC_FACILITY_ADD) {
            n_add++;
            continue;
        }
        if ((st = find_facility(ctx, f, &ch[k], n_orig, &i))) break;
        if (ch[k].kind == CC_FACILITY_REMOVE) {
            removed[i] = true;
        } else {
            int t = ch[k].tier ? add_tier(f, ch[k].tier) : -2;
            char *raw = ch[k].tier ? cc__strdup(ch[k].tier) : NULL;
            if (t < 0 || !raw) {
                free(raw);
                st = cc__fail(ctx, CC_ERR_NOMEM, "Out of memory");
                break;
            }
            free(f->tier_raw[i]);
            f->tier_raw[i] = raw;
            f->tier[i] = t;
        }
    }
    if (st) goto out;
    /* removals: compact in place */
    size_t o = 0;
    for (size_t i = 0; i < n_orig; i++) {
        if (removed[i]) {
            free(f->name[i]);
            if (f->name_zh) free(f->name_zh[i]);
            free(f->tier_raw[i]);
            continue;
        }
        const cc__column cols[] = {CC__COLUMN(f->x, true),    CC__COLUMN(f->y, true),        CC__COLUMN(f->lon, true),
                                   CC__COLUMN(f->lat, true),  CC__COLUMN(f->name, true),     CC__COLUMN(f->tier_raw, true),
                                   CC__COLUMN(f->tier, true), CC__COLUMN(f->fid, true),      CC__COLUMN(f->name_zh, f->name_zh != NULL),
                                   CC__COLUMN(f->capacity, f->capacity != NULL)};
        cc__move_row(cols, sizeof(cols) / sizeof(cols[0]), o++, i);
    }
    f->n = o;
    if (n_add) {
        size_t cap = f->n + n_add;
        const cc__column cols[] = {CC__COLUMN(f->x, true),         CC__COLUMN(f->y, true),
                                   CC__COLUMN(f->lon, true),       CC__COLUMN(f->lat, true),
                                   CC__COLUMN(f->name, true),      CC__COLUMN(f->tier_raw, true),
                                   CC__COLUMN(f->tier, true),      CC__COLUMN(f->fid, true),
                                   CC__COLUMN(f->name_zh, f->name_zh != NULL), CC__COLUMN(f->capacity, f->capacity != NULL)};
        if (!cc__realloc_columns(cols, sizeof(cols) / sizeof(cols[0]), cap)) {
            st = cc__fail(ctx, CC_ERR_NOMEM, "Out of memory");
            goto out;
        }
        wgs = OSRNewSpatialReference(NULL);
        OSRImportFromEPSG(wgs, 4326);
        OSRSetAxisMappingStrategy(wgs, OAMS_TRADITIONAL_GIS_ORDER);
        dst = cc__srs_from_wkt(work_wkt);
        cc__gdal_begin(ctx);
        ct = dst ? OCTNewCoordinateTransformation(wgs, dst) : NULL;
        cc__gdal_end(ctx);
        if (!ct) {
            st = cc__fail(ctx, CC_ERR_CRS, "Unable to transform added facilities to the working CRS: %s", cc__gdal_msg(ctx));
            goto out;
        }
        for (size_t k = 0; k < n; k++) {
            if (ch[k].kind != CC_FACILITY_ADD) continue;
            size_t i = f->n;
            int t = ch[k].tier ? add_tier(f, ch[k].tier) : -1;
            f->name[i] = cc__strdup(ch[k].name ? ch[k].name : "new facility");
            if (f->name_zh) f->name_zh[i] = cc__strdup(ch[k].name ? ch[k].name : "新机构");
            f->tier_raw[i] = cc__strdup(ch[k].tier ? ch[k].tier : "");
            f->fid[i] = -1;
            f->tier[i] = t;
            if (f->capacity) f->capacity[i] = NAN; /* an added facility has no limit */
            f->lon[i] = f->x[i] = ch[k].lon;
            f->lat[i] = f->y[i] = ch[k].lat;
            f->n++;
            if (!f->name[i] || !f->tier_raw[i] || t == -2 || (f->name_zh && !f->name_zh[i])) {
                st = cc__fail(ctx, CC_ERR_NOMEM, "Out of memory");
                goto out;
            }
            if ((st = cc__transform_points(ctx, ct, f->x + i, f->y + i, 1))) goto out;
            if (!isfinite(f->x[i])) {
                st = cc__fail(ctx, CC_ERR_INPUT, "Added facility <%s> at %g, %g cannot be placed in the working CRS", f->name[i],
                              ch[k].lon, ch[k].lat);
                goto out;
            }
        }
    }
    if (f->n == 0) st = cc__fail(ctx, CC_ERR_INPUT, "The facility changes remove every facility");
out:
    if (ct) OCTDestroyCoordinateTransformation(ct);
    if (wgs) OSRDestroySpatialReference(wgs);
    if (dst) OSRDestroySpatialReference(dst);
    free(removed);
    return st;
}
