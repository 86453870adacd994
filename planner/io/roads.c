/*
 * roads.c - reading road networks through OGR into road records in the working CRS.
 *
 * OSM files come through GDAL's OSM driver with carecircle's osmconf, so highway, oneway,
 * surface, maxspeed and junction are plain fields of the "lines" layer. Any other OGR line
 * layer works with a class field (default "highway") or a speed field.
 */
#include <math.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "io_internal.h"
#include "osm_pbf_internal.h"

/* Grow array p to cap elements; on failure p is kept (and freed by its owner). */
#define GROW(p, cap) grow((void **)&(p), (cap), sizeof(*(p)))

static bool grow(void **p, size_t cap, size_t size)
{
    void *q = cc__realloc_array(*p, cap, size);
    if (q) *p = q;
    return q != NULL;
}

static int reserve_ways(cc_roads *r, size_t need)
{
    if (need <= r->cap_ways) return 0;
    size_t cap = r->cap_ways ? r->cap_ways * 2 : 64;
    while (cap < need) cap *= 2;
    if (!GROW(r->way_first, cap + 1) || !GROW(r->cls, cap) || !GROW(r->surface, cap) ||
        !GROW(r->maxspeed_kmh, cap) || !GROW(r->speed_kmh, cap) || !GROW(r->oneway, cap) ||
        !GROW(r->roundabout, cap) || !GROW(r->way_id, cap))
        return -1;
    r->cap_ways = cap;
    return 0;
}

static int reserve_vertices(cc_roads *r, size_t need)
{
    if (need <= r->cap_vertices) return 0;
    size_t cap = r->cap_vertices ? r->cap_vertices * 2 : 1024;
    while (cap < need) cap *= 2;
    if (!GROW(r->x, cap) || !GROW(r->y, cap)) return -1;
    r->cap_vertices = cap;
    return 0;
}

typedef struct read_state {
    cc_ctx *ctx;
    cc_roads *r;
    const char *path;
    const char *lname; /* layer name, for messages */
    int f_class, f_speed, f_oneway, f_surface, f_maxspeed, f_junction, f_osmid;
    bool geographic;
    size_t n_features, skip_no_class, skip_geom_type, skip_short, skip_nonfinite, skip_range;
    double *bx, *by; /* scratch for OGR_G_GetPoints */
    size_t bcap;
    double minx, miny, maxx, maxy;
} read_state;

/* Append one linestring as a way with the attributes of feature @p f. */
static cc_status add_line(read_state *s, OGRGeometryH line, OGRFeatureH f, uint32_t cls, double speed)
{
    cc_roads *r = s->r;
    int np = OGR_G_GetPointCount(line);
    if (np < 2) {
        s->skip_short++;
        return CC_OK;
    }
    if ((size_t)np > s->bcap) {
        size_t cap = (size_t)np * 2;
        if (!GROW(s->bx, cap) || !GROW(s->by, cap)) return cc__fail(s->ctx, CC_ERR_NOMEM, "Out of memory reading roads");
        s->bcap = cap;
    }
    OGR_G_GetPoints(line, s->bx, sizeof(double), s->by, sizeof(double), NULL, 0);
    if (reserve_ways(r, r->n_ways + 1) || reserve_vertices(r, r->n_vertices + (size_t)np))
        return cc__fail(s->ctx, CC_ERR_NOMEM, "Out of memory reading roads");
    size_t start = r->n_vertices, k = start;
    for (int i = 0; i < np; i++) {
        double x = s->bx[i], y = s->by[i];
        if (!isfinite(x) || !isfinite(y)) {
            s->skip_nonfinite++;
            return CC_OK;
        }
        if (s->geographic && (fabs(x) > 180.0 || fabs(y) > 90.0)) {
            s->skip_range++;
            return CC_OK;
        }
        if (k > start && r->x[k - 1] == x && r->y[k - 1] == y) continue; /* consecutive duplicate */
        r->x[k] = x;
        r->y[k] = y;
        k++;
    }
    if (k - start < 2) {
        s->skip_short++;
        return CC_OK;
    }
    for (size_t i = start; i < k; i++) {
        if (r->x[i] < s->minx) s->minx = r->x[i];
        if (r->x[i] > s->maxx) s->maxx = r->x[i];
        if (r->y[i] < s->miny) s->miny = r->y[i];
        if (r->y[i] > s->maxy) s->maxy = r->y[i];
    }
    size_t w = r->n_ways;
    r->way_first[w] = start;
    r->n_vertices = k;
    r->way_first[w + 1] = k;
    r->cls[w] = cls;
    r->speed_kmh[w] = (float)speed;
    r->surface[w] = CC__NO_STRING;
    r->maxspeed_kmh[w] = 0.0f;
    r->oneway[w] = CC__ONEWAY_UNSET;
    r->roundabout[w] = 0;
    if (s->f_surface >= 0 && OGR_F_IsFieldSetAndNotNull(f, s->f_surface)) {
        const char *v = OGR_F_GetFieldAsString(f, s->f_surface);
        if (*v && (r->surface[w] = cc__strtab_intern(&r->strings, v)) == CC__NO_STRING)
            return cc__fail(s->ctx, CC_ERR_NOMEM, "Out of memory reading roads");
    }
    if (s->f_maxspeed >= 0 && OGR_F_IsFieldSetAndNotNull(f, s->f_maxspeed))
        r->maxspeed_kmh[w] = (float)cc__parse_maxspeed(OGR_F_GetFieldAsString(f, s->f_maxspeed));
    if (s->f_oneway >= 0 && OGR_F_IsFieldSetAndNotNull(f, s->f_oneway))
        r->oneway[w] = cc__parse_oneway(OGR_F_GetFieldAsString(f, s->f_oneway));
    if (s->f_junction >= 0 && OGR_F_IsFieldSetAndNotNull(f, s->f_junction))
        r->roundabout[w] = strcmp(OGR_F_GetFieldAsString(f, s->f_junction), "roundabout") == 0;
    if (s->f_osmid >= 0 && OGR_F_IsFieldSetAndNotNull(f, s->f_osmid))
        r->way_id[w] = OGR_F_GetFieldAsInteger64(f, s->f_osmid);
    else
        r->way_id[w] = OGR_F_GetFID(f);
    r->n_ways++;
    return CC_OK;
}

static cc_status add_geometry(read_state *s, OGRGeometryH g, OGRFeatureH f, uint32_t cls, double speed)
{
    OGRwkbGeometryType t = wkbFlatten(OGR_G_GetGeometryType(g));
    cc_status st = CC_OK;
    if (t == wkbLineString) return add_line(s, g, f, cls, speed);
    if (t == wkbMultiLineString || t == wkbGeometryCollection) {
        int n = OGR_G_GetGeometryCount(g);
        bool any = false;
        for (int i = 0; i < n && !st; i++) {
            OGRGeometryH sub = OGR_G_GetGeometryRef(g, i);
            if (wkbFlatten(OGR_G_GetGeometryType(sub)) == wkbLineString) {
                st = add_line(s, sub, f, cls, speed);
                any = true;
            }
        }
        if (!any) s->skip_geom_type++;
        return st;
    }
    if (t == wkbCircularString || t == wkbCompoundCurve || t == wkbMultiCurve) {
        OGRGeometryH lin = OGR_G_GetLinearGeometry(g, 0, NULL);
        if (lin) {
            st = add_geometry(s, lin, f, cls, speed);
            OGR_G_DestroyGeometry(lin);
        }
        return st;
    }
    s->skip_geom_type++;
    return CC_OK;
}

static OGRLayerH pick_layer(cc_ctx *ctx, GDALDatasetH ds, const char *path, const char *name, bool is_osm)
{
    OGRLayerH lyr = NULL;
    if (name) {
        lyr = GDALDatasetGetLayerByName(ds, name);
        if (!lyr) cc__fail(ctx, CC_ERR_INPUT, "Road file '%s' has no layer <%s>", path, name);
        return lyr;
    }
    if (is_osm) return GDALDatasetGetLayerByName(ds, "lines");
    int n = GDALDatasetGetLayerCount(ds);
    for (int i = 0; i < n; i++) {
        OGRLayerH l = GDALDatasetGetLayer(ds, i);
        OGRwkbGeometryType t = wkbFlatten(OGR_L_GetGeomType(l));
        if (t == wkbLineString || t == wkbMultiLineString) return l;
    }
    if (n > 0) return GDALDatasetGetLayer(ds, 0);
    cc__fail(ctx, CC_ERR_INPUT, "Road file '%s' has no layers", path);
    return NULL;
}

static int opt_field(OGRFeatureDefnH fd, const char *given, const char *dflt)
{
    return OGR_FD_GetFieldIndex(fd, given ? given : dflt);
}

/* Choose the working CRS (user's, or the UTM zone of the centre of the roads' extent),
 * transform every vertex into it, and drop ways that fail to transform. */
static cc_status project_roads(read_state *s, OGRSpatialReferenceH src, const cc_roads_opts *o)
{
    cc_ctx *ctx = s->ctx;
    cc_roads *r = s->r;
    OGRSpatialReferenceH dst = NULL, wgs = NULL;
    OGRCoordinateTransformationH ct = NULL;
    cc_status st;

    if (o->crs) {
        if ((st = cc__srs_from_user(ctx, o->crs, &dst))) return st;
        if ((st = cc__check_metric(ctx, dst, o->crs))) goto out;
        char what[4200];
        snprintf(what, sizeof(what), "'%s'", s->path);
        cc__check_area_of_use(ctx, dst, src, s->minx, s->miny, s->maxx, s->maxy, what);
    } else {
        double cx = 0.5 * (s->minx + s->maxx), cy = 0.5 * (s->miny + s->maxy);
        wgs = OSRNewSpatialReference(NULL);
        OSRImportFromEPSG(wgs, 4326);
        OSRSetAxisMappingStrategy(wgs, OAMS_TRADITIONAL_GIS_ORDER);
        cc__gdal_begin(ctx);
        OGRCoordinateTransformationH toll = OCTNewCoordinateTransformation(src, wgs);
        int ok = toll && OCTTransform(toll, 1, &cx, &cy, NULL);
        if (toll) OCTDestroyCoordinateTransformation(toll);
        cc__gdal_end(ctx);
        if (!ok) {
            st = cc__fail(ctx, CC_ERR_CRS, "Unable to find longitude/latitude of the road network centre in '%s': %s",
                          s->path, cc__gdal_msg(ctx));
            goto out;
        }
        dst = OSRNewSpatialReference(NULL);
        OSRImportFromEPSG(dst, cc__utm_epsg(cx, cy));
        OSRSetAxisMappingStrategy(dst, OAMS_TRADITIONAL_GIS_ORDER);
    }
    cc__srs_name(dst, r->crs_name, sizeof(r->crs_name));
    if (OSRExportToWkt(dst, &r->crs_wkt) != OGRERR_NONE) {
        st = cc__fail(ctx, CC_ERR_CRS, "Unable to express the working CRS as WKT");
        goto out;
    }
    cc__gdal_begin(ctx);
    ct = OCTNewCoordinateTransformation(src, dst);
    cc__gdal_end(ctx);
    if (!ct) {
        st = cc__fail(ctx, CC_ERR_CRS, "Unable to transform roads of '%s' to %s: %s", s->path, r->crs_name, cc__gdal_msg(ctx));
        goto out;
    }
    if ((st = cc__transform_points(ctx, ct, r->x, r->y, r->n_vertices))) goto out;
    /* drop ways with points that did not transform */
    size_t w_out = 0, v_out = 0, dropped = 0;
    for (size_t w = 0; w < r->n_ways; w++) {
        size_t a = r->way_first[w], b = r->way_first[w + 1];
        bool bad = false;
        for (size_t i = a; i < b; i++)
            if (isnan(r->x[i])) bad = true;
        if (bad) {
            dropped++;
            continue;
        }
        memmove(r->x + v_out, r->x + a, (b - a) * sizeof(double));
        memmove(r->y + v_out, r->y + a, (b - a) * sizeof(double));
        r->way_first[w_out] = v_out;
        const cc__column cols[] = {CC__COLUMN(r->cls, true),       CC__COLUMN(r->surface, true), CC__COLUMN(r->maxspeed_kmh, true),
                                   CC__COLUMN(r->speed_kmh, true), CC__COLUMN(r->oneway, true),  CC__COLUMN(r->roundabout, true),
                                   CC__COLUMN(r->way_id, true)};
        cc__move_row(cols, sizeof(cols) / sizeof(cols[0]), w_out, w);
        v_out += b - a;
        w_out++;
    }
    r->n_ways = w_out;
    r->n_vertices = v_out;
    r->way_first[w_out] = v_out;
    if (dropped) cc__warn(ctx, "Skipped %zu road lines of '%s' that could not be transformed to %s", dropped, s->path, r->crs_name);
    st = CC_OK;
out:
    if (ct) OCTDestroyCoordinateTransformation(ct);
    if (dst) OSRDestroySpatialReference(dst);
    if (wgs) OSRDestroySpatialReference(wgs);
    return st;
}

cc_status cc__roads_project(cc_ctx *ctx, cc_roads *r, const char *path, OGRSpatialReferenceH src, const double ext[4],
                            const cc_roads_opts *o)
{
    static const cc_roads_opts defaults;
    read_state s = {.ctx = ctx, .r = r, .path = path, .minx = ext[0], .miny = ext[1], .maxx = ext[2], .maxy = ext[3]};
    return project_roads(&s, src, o ? o : &defaults);
}

cc_status cc__roads_window_bounds(cc_ctx *ctx, const cc_roads_opts *o, OGRSpatialReferenceH dst, const char *path, double *x0,
                                  double *y0, double *x1, double *y1)
{
    OGRSpatialReferenceH work = NULL;
    cc_status st;
    if (!o->crs) return cc__fail(ctx, CC_ERR_PARAM, "Reading roads of '%s' in a window needs the working CRS", path);
    if (!(o->bbox[0] < o->bbox[2]) || !(o->bbox[1] < o->bbox[3]))
        return cc__fail(ctx, CC_ERR_PARAM, "Road window for '%s' is empty or not finite", path);
    if ((st = cc__srs_from_user(ctx, o->crs, &work))) return st;
    cc__gdal_begin(ctx);
    OGRCoordinateTransformationH ct = OCTNewCoordinateTransformation(work, dst);
    int ok = ct && OCTTransformBounds(ct, o->bbox[0], o->bbox[1], o->bbox[2], o->bbox[3], x0, y0, x1, y1, 21);
    cc__gdal_end(ctx);
    if (ct) OCTDestroyCoordinateTransformation(ct);
    OSRDestroySpatialReference(work);
    if (!ok) return cc__fail(ctx, CC_ERR_CRS, "Unable to transform the road window to the CRS of '%s': %s", path, cc__gdal_msg(ctx));
    return CC_OK;
}

/* Restrict @p lyr to the features crossing o->bbox (working CRS), in the layer's CRS @p src. */
static cc_status set_bbox_filter(cc_ctx *ctx, OGRLayerH lyr, OGRSpatialReferenceH src, const cc_roads_opts *o, const char *path)
{
    double x0, y0, x1, y1;
    cc_status st = cc__roads_window_bounds(ctx, o, src, path, &x0, &y0, &x1, &y1);
    if (!st) OGR_L_SetSpatialFilterRect(lyr, x0, y0, x1, y1);
    return st;
}

/* Find the class, speed and attribute fields of the layer and check that the ones asked for (or
 * needed) are there; reports the first missing one with the fields the layer has. */
static cc_status find_fields(read_state *s, OGRLayerH lyr, const cc_roads_opts *o)
{
    cc_ctx *ctx = s->ctx;
    char fields[512];
    OGRFeatureDefnH fd = OGR_L_GetLayerDefn(lyr);
    const char *class_name = o->class_field ? o->class_field : "highway";
    s->f_class = OGR_FD_GetFieldIndex(fd, class_name);
    s->f_speed = o->speed_field ? OGR_FD_GetFieldIndex(fd, o->speed_field) : -1;
    cc__list_fields(fd, fields, sizeof(fields));
    if (OGR_L_GetFeatureCount(lyr, FALSE) == 0) /* -1 when counting is expensive (OSM) */
        return cc__fail(ctx, CC_ERR_INPUT, "Road layer <%s> in '%s' has no features", s->lname, s->path);
    if (o->speed_field && s->f_speed < 0)
        return cc__fail(ctx, CC_ERR_INPUT, "Road layer <%s> in '%s' has no speed field <%s> (fields: %s)", s->lname, s->path,
                        o->speed_field, fields);
    if (s->f_class < 0 && (o->class_field || s->f_speed < 0))
        return cc__fail(ctx, CC_ERR_INPUT,
                        "Road layer <%s> in '%s' has no road class field <%s> (fields: %s); name one with parameter class_field or give parameter speed_field",
                        s->lname, s->path, class_name, fields);
    s->f_oneway = opt_field(fd, o->oneway_field, "oneway");
    s->f_surface = opt_field(fd, o->surface_field, "surface");
    s->f_maxspeed = opt_field(fd, o->maxspeed_field, "maxspeed");
    s->f_junction = OGR_FD_GetFieldIndex(fd, "junction");
    s->f_osmid = OGR_FD_GetFieldIndex(fd, "osm_id");
    if (o->oneway_field && s->f_oneway < 0)
        return cc__fail(ctx, CC_ERR_INPUT, "Road layer <%s> in '%s' has no oneway field <%s> (fields: %s)", s->lname, s->path,
                        o->oneway_field, fields);
    return CC_OK;
}

/* The CRS of the layer (OSM files without one are WGS 84, lon/lat order); a layer without a CRS
 * is an error, since a guess would put the roads in the wrong place. Caller owns *src. */
static cc_status layer_srs(const read_state *s, OGRLayerH lyr, bool is_osm, OGRSpatialReferenceH *src)
{
    OGRSpatialReferenceH lsrs = OGR_L_GetSpatialRef(lyr);
    if (lsrs) {
        *src = cc__srs_clone(lsrs);
    } else if (is_osm) {
        *src = OSRNewSpatialReference(NULL);
        OSRImportFromEPSG(*src, 4326);
        OSRSetAxisMappingStrategy(*src, OAMS_TRADITIONAL_GIS_ORDER);
    } else {
        return cc__fail(s->ctx, CC_ERR_CRS,
                        "Road layer <%s> in '%s' has no coordinate reference system; assign one (e.g. ogr2ogr -a_srs EPSG:4326)",
                        s->lname, s->path);
    }
    return CC_OK;
}

/* The user's where clause, and on class-only layers "class IS NOT NULL" so that OGR skips
 * features without a class early (matters for OSM: waterways, railways). */
static cc_status set_attribute_filter(const read_state *s, OGRLayerH lyr, const cc_roads_opts *o)
{
    char filter[600];
    OGRFeatureDefnH fd = OGR_L_GetLayerDefn(lyr);
    if (s->f_class >= 0 && s->f_speed < 0)
        snprintf(filter, sizeof(filter), "\"%s\" IS NOT NULL%s%s%s", OGR_Fld_GetNameRef(OGR_FD_GetFieldDefn(fd, s->f_class)),
                 o->where ? " AND (" : "", o->where ? o->where : "", o->where ? ")" : "");
    else
        snprintf(filter, sizeof(filter), "%s", o->where ? o->where : "");
    cc__gdal_begin(s->ctx);
    OGRErr fe = filter[0] ? OGR_L_SetAttributeFilter(lyr, filter) : OGRERR_NONE;
    cc__gdal_end(s->ctx);
    if (fe != OGRERR_NONE)
        return cc__fail(s->ctx, CC_ERR_PARAM, "Invalid road filter '%s' for '%s': %s", filter, s->path, cc__gdal_msg(s->ctx));
    return CC_OK;
}

/* One feature: its class and speed (checked), then its lines as ways, or a count of why it was
 * skipped. */
static cc_status read_feature(read_state *s, OGRFeatureH f, const cc_roads_opts *o)
{
    cc_ctx *ctx = s->ctx;
    uint32_t cls = CC__NO_STRING;
    double speed = -1.0;
    if (s->f_class >= 0 && OGR_F_IsFieldSetAndNotNull(f, s->f_class)) {
        const char *c = OGR_F_GetFieldAsString(f, s->f_class);
        if (*c && (cls = cc__strtab_intern(&s->r->strings, c)) == CC__NO_STRING)
            return cc__fail(ctx, CC_ERR_NOMEM, "Out of memory reading roads");
    }
    if (s->f_speed >= 0 && OGR_F_IsFieldSetAndNotNull(f, s->f_speed)) {
        speed = OGR_F_GetFieldAsDouble(f, s->f_speed);
        if (!(speed > 0.0) || speed > 400.0)
            return cc__fail(ctx, CC_ERR_INPUT,
                            "Road layer <%s> in '%s', feature %lld: speed %s km/h in field <%s> must be above 0 and at most 400",
                            s->lname, s->path, (long long)OGR_F_GetFID(f), OGR_F_GetFieldAsString(f, s->f_speed), o->speed_field);
    }
    OGRGeometryH g = OGR_F_GetGeometryRef(f);
    if (cls == CC__NO_STRING && speed < 0)
        s->skip_no_class++;
    else if (!g || OGR_G_IsEmpty(g))
        s->skip_short++;
    else
        return add_geometry(s, g, f, cls, speed);
    return CC_OK;
}

/* Read every feature of the filtered layer; any failure while reading (a truncated or corrupt
 * file) is an error, never a silent subset. */
static cc_status read_features(read_state *s, OGRLayerH lyr, const cc_roads_opts *o)
{
    cc_ctx *ctx = s->ctx;
    cc_status st = CC_OK;
    cc__gdal_begin(ctx);
    OGR_L_ResetReading(lyr);
    OGRFeatureH f;
    while (!st && (f = OGR_L_GetNextFeature(lyr))) {
        s->n_features++;
        st = read_feature(s, f, o);
        OGR_F_Destroy(f);
        if (!st && (s->n_features & 4095) == 0 && cc__interrupted(ctx))
            st = cc__fail(ctx, CC_ERR_INTERRUPTED, "Interrupted while reading roads");
    }
    if (!st && cc__gdal_failures(ctx))
        st = cc__fail(ctx, CC_ERR_INPUT, "Unable to read road layer <%s> in '%s' (truncated or corrupt?): %s", s->lname, s->path,
                      cc__gdal_msg(ctx));
    cc__gdal_end(ctx);
    return st;
}

/* Warn about skipped features; a layer that gave no way is an error saying why (a window of a
 * larger region may hold no road: an empty network, not an error). */
static cc_status check_read(const read_state *s, OGRLayerH lyr, const cc_roads_opts *o)
{
    cc_ctx *ctx = s->ctx;
    size_t skipped = s->skip_no_class + s->skip_geom_type + s->skip_short + s->skip_nonfinite + s->skip_range;
    if (skipped)
        cc__warn(ctx,
                 "Skipped %zu of %zu road features in '%s': %zu without class or speed, %zu not lines, %zu empty or single-vertex, %zu with non-finite coordinates, %zu with out-of-range coordinates",
                 skipped, s->n_features, s->path, s->skip_no_class, s->skip_geom_type, s->skip_short, s->skip_nonfinite, s->skip_range);
    if (s->r->n_ways > 0 || o->use_bbox) return CC_OK;
    if (s->n_features == 0)
        return cc__fail(ctx, CC_ERR_INPUT, "Road layer <%s> in '%s' has no features%s", s->lname, s->path,
                        s->f_speed < 0 ? " with a road class" : "");
    if (s->skip_geom_type == s->n_features)
        return cc__fail(ctx, CC_ERR_INPUT, "Road layer <%s> in '%s' has no line geometries (type %s)", s->lname, s->path,
                        OGRGeometryTypeToName(OGR_L_GetGeomType(lyr)));
    return cc__fail(ctx, CC_ERR_INPUT, "Road layer <%s> in '%s' has no usable line features (%zu read, all skipped)", s->lname,
                    s->path, s->n_features);
}

cc_status cc_roads_read(cc_ctx *ctx, const char *path, const cc_roads_opts *opts, cc_roads **out)
{
    static const cc_roads_opts defaults;
    const cc_roads_opts *o = opts ? opts : &defaults;
    read_state s = {.ctx = ctx, .path = path, .minx = INFINITY, .miny = INFINITY, .maxx = -INFINITY, .maxy = -INFINITY};
    cc_status st = CC_OK;
    bool is_osm = false;
    GDALDatasetH ds = NULL;
    OGRSpatialReferenceH src = NULL;

    *out = NULL;
    if (cc__osm_pbf_applies(path, o)) { /* OSM .pbf: osm_pbf.c, GDAL only for what it leaves */
        bool fallback;
        if ((st = cc__osm_pbf_read(ctx, path, o, out, &fallback)) || !fallback) return st;
    }
    if (!(s.r = calloc(1, sizeof(*s.r)))) return cc__fail(ctx, CC_ERR_NOMEM, "Out of memory reading roads");
    cc__strtab_init(&s.r->strings);
    if (reserve_ways(s.r, 1) || reserve_vertices(s.r, 2)) {
        st = cc__fail(ctx, CC_ERR_NOMEM, "Out of memory reading roads");
        goto out;
    }
    s.r->way_first[0] = 0;
    if (!(ds = cc__open_vector(ctx, path, "road file", &is_osm))) {
        st = CC_ERR_IO;
        goto out;
    }
    OGRLayerH lyr = pick_layer(ctx, ds, path, o->layer, is_osm);
    if (!lyr) {
        st = CC_ERR_INPUT;
        goto out;
    }
    s.lname = OGR_L_GetName(lyr);
    if ((st = find_fields(&s, lyr, o)) || (st = layer_srs(&s, lyr, is_osm, &src))) goto out;
    s.geographic = OSRIsGeographic(src);
    if (o->use_bbox && (st = set_bbox_filter(ctx, lyr, src, o, path))) goto out;
    if ((st = set_attribute_filter(&s, lyr, o))) goto out;
    double t_read = cc__now();
    if ((st = read_features(&s, lyr, o)) || (st = check_read(&s, lyr, o))) goto out;
    cc__debug(ctx, "Roads: %zu features read in %.3f s", s.n_features, cc__now() - t_read);
    double t_proj = cc__now();
    if ((st = project_roads(&s, src, o))) goto out;
    cc__debug(ctx, "Roads: %zu vertices transformed to %s in %.3f s", s.r->n_vertices, s.r->crs_name, cc__now() - t_proj);
    if (s.r->n_ways == 0 && !o->use_bbox) {
        st = cc__fail(ctx, CC_ERR_INPUT, "No road line of '%s' could be transformed to %s", path, s.r->crs_name);
        goto out;
    }
    cc__info(ctx, "Read %zu road ways (%zu vertices) from '%s', working CRS %s", s.r->n_ways, s.r->n_vertices, path,
             s.r->crs_name);
    *out = s.r;
    s.r = NULL;
out:
    free(s.bx);
    free(s.by);
    if (src) OSRDestroySpatialReference(src);
    if (ds) GDALClose(ds);
    cc_roads_destroy(s.r);
    return st;
}
