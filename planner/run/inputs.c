/*
 * inputs.c - loading and joining the inputs of a run (inputs_internal.h): the one path by which
 * the coverage, siting and travel-time runs read roads, population, facilities and admin areas,
 * apply scenario edits, build the graph and join points to it.
 */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "../access/access_internal.h"
#include "../graph/roads_internal.h"
#include "../io/io_internal.h"
#include "inputs_internal.h"

void cc__region_free(cc__region *r)
{
    cc_profile_destroy(r->profile_owned);
    if (!r->roads_borrowed) cc_roads_destroy(r->roads);
    if (r->graph_view) cc__graph_view_destroy(r->graph);
    else cc_graph_destroy(r->graph);
    if (!r->borrowed) cc__demand_free(&r->dem);
    if (!r->topo_borrowed) {
        cc__snap_index_destroy(r->snap);
        cc__demand_free(&r->grid);
        CC__FREE_ALL(r->djoin, r->gjoin);
    }
    cc__facilities_free(&r->fac_own);
    if (r->have_admin && !r->borrowed) cc__admin_free(&r->admin);
    CC__FREE_ALL(r->fjoin, r->foff, r->doff, r->goff);
    memset(r, 0, sizeof(*r));
}

/* ---- reading ----------------------------------------------------------------------------------- */

static cc_roads_opts roads_opts(const cc_inputs *in, const cc__region_opts *o)
{
    return (cc_roads_opts){.layer = in->roads_layer, .class_field = in->class_field, .speed_field = in->speed_field,
                           .crs = o->work_wkt ? o->work_wkt : in->crs};
}

static cc__facilities_opts facilities_opts(const cc_inputs *in)
{
    return (cc__facilities_opts){.tier_field = in->tier_field, .tiers = in->tiers, .name_field = in->facility_name_field,
                                 .lon_field = in->lon_field, .lat_field = in->lat_field, .where = in->facility_where, .encoding = in->encoding,
                                 .capacity_field = in->capacity_field};
}

cc_status cc__inputs_profile(cc_ctx *ctx, const cc_inputs *in, cc_profile **owned, const cc_profile **out)
{
    if (in->profile_obj) {
        *out = in->profile_obj;
        return CC_OK;
    }
    cc_status st = cc_profile_load(ctx, in->profile ? in->profile : "ambulance", owned);
    *out = *owned;
    return st;
}

cc_status cc__inputs_facilities(cc_ctx *ctx, const cc_inputs *in, const char *work_wkt, cc__facilities *out)
{
    double t = cc__now();
    cc__info(ctx, "Reading facilities...");
    cc__facilities_opts fo = facilities_opts(in);
    cc_status st = cc__facilities_read(ctx, in->facilities, &fo, work_wkt, out);
    if (!st) cc__debug(ctx, "Facilities: read in %.3f s", cc__now() - t);
    return st;
}

static cc_status resolve_profile(cc_ctx *ctx, const cc_inputs *in, const cc__region_opts *o, cc__region *r)
{
    if (o->shared_profile) {
        r->profile = o->shared_profile;
        return CC_OK;
    }
    return cc__inputs_profile(ctx, in, &r->profile_owned, &r->profile);
}

/* Closures by way id and by area, added roads, replaced ways. */
cc_status cc__region_edit_roads(cc_ctx *ctx, const cc_inputs *in, cc__region *r)
{
    const cc_edits *e = &in->edits;
    cc_status st;
    size_t n;
    if (e->n_closed_way_ids) {
        if ((st = cc__roads_close_ids(ctx, r->roads, e->closed_way_ids, e->n_closed_way_ids, CC__WAY_CLOSED, "closed_roads", &n)))
            return st;
        cc__info(ctx, "Closed %zu road ways by id", n);
    }
    if (e->closed_areas) {
        cc__admin areas;
        cc__admin_opts ao = {.layer = e->closed_areas_layer, .what = "closure area file", .may_overlap = true};
        if ((st = cc__admin_read(ctx, e->closed_areas, &ao, r->roads->crs_wkt, &areas))) return st;
        st = cc__roads_close_areas(ctx, r->roads, areas.geom, areas.n, &n);
        cc__admin_free(&areas);
        if (st) return st;
        if (n == 0)
            cc__warn(ctx, "No road crosses the closure areas of '%s'; nothing is closed", e->closed_areas);
        else
            cc__info(ctx, "Closed %zu road segments inside the closure areas of '%s'", n, e->closed_areas);
    }
    if (e->added_roads) {
        cc_roads *add = NULL;
        cc_roads_opts ao = {.layer = e->added_roads_layer, .class_field = in->class_field, .speed_field = in->speed_field,
                            .crs = r->roads->crs_wkt};
        if ((st = cc_roads_read(ctx, e->added_roads, &ao, &add))) return st;
        size_t joined, loose;
        double connect = e->added_roads_connect_m > 0 ? e->added_roads_connect_m : 50.0;
        st = cc__roads_append(ctx, r->roads, add, connect, r->profile, &joined, &loose);
        size_t n_add = cc_roads_get_way_count(add);
        cc_roads_destroy(add);
        if (st) return st;
        cc__info(ctx, "Added %zu roads from '%s'; %zu ends joined to the network", n_add, e->added_roads, joined);
        if (loose)
            cc__warn(ctx, "%zu ends of the added roads of '%s' are farther than %g m from any drivable road and stay unjoined", loose,
                     e->added_roads, connect);
    }
    if (e->n_replaced_way_ids) {
        if ((st = cc__roads_close_ids(ctx, r->roads, e->replaced_way_ids, e->n_replaced_way_ids, CC__WAY_REPLACED, "added_roads.replaces",
                                      &n)))
            return st;
        cc__info(ctx, "%zu road ways replaced by added roads", n);
    }
    return CC_OK;
}

static cc_status read_population(cc_ctx *ctx, const cc_inputs *in, const cc__region_opts *o, const char *wkt, cc__region *r)
{
    double t = cc__now();
    cc__info(ctx, "Reading population...");
    cc__demand_opts dop = {.pop_field = in->population_field, .encoding = in->encoding, .win = {o->win[0], o->win[1], o->win[2], o->win[3]}};
    cc_status st = cc__demand_read(ctx, in->population, &dop, wkt, &r->dem);
    if (!st) cc__debug(ctx, "Population: %zu points read in %.3f s", r->dem.n, cc__now() - t);
    return st;
}

/* Tiles: only the roads that cross the population's extent grown by the halo. */
static cc_status read_roads_near(cc_ctx *ctx, const cc_inputs *in, const cc__region_opts *o, cc__region *r)
{
    double minx = INFINITY, miny = INFINITY, maxx = -INFINITY, maxy = -INFINITY;
    for (size_t i = 0; i < r->dem.n; i++) {
        minx = fmin(minx, r->dem.x[i]);
        maxx = fmax(maxx, r->dem.x[i]);
        miny = fmin(miny, r->dem.y[i]);
        maxy = fmax(maxy, r->dem.y[i]);
    }
    cc_roads_opts ro = roads_opts(in, o);
    ro.use_bbox = true;
    ro.bbox[0] = minx - o->halo_m;
    ro.bbox[1] = miny - o->halo_m;
    ro.bbox[2] = maxx + o->halo_m;
    ro.bbox[3] = maxy + o->halo_m;
    return cc_roads_read(ctx, in->roads, &ro, &r->roads);
}

/* Roads may be left out: a pure off-road run over an external friction surface. */
static bool roadless(const cc_inputs *in, const cc__region_opts *o)
{
    return !in->roads && o->roads_optional && in->offroad.model == CC_OFFROAD_FRICTION && in->offroad.friction;
}

/* No road file: an empty network in the working CRS, @p work_wkt (a tile's), the one given or
 * the UTM zone of the population raster's centre. */
static cc_status empty_roads(cc_ctx *ctx, const cc_inputs *in, const char *work_wkt, cc_roads **out)
{
    cc_status st = CC_OK;
    OGRSpatialReferenceH dst = NULL;
    cc_roads *r = calloc(1, sizeof(*r));
    if (!r || !(r->way_first = calloc(1, sizeof(size_t)))) {
        free(r);
        return cc__fail(ctx, CC_ERR_NOMEM, "Out of memory");
    }
    cc__strtab_init(&r->strings);
    if (work_wkt) {
        if (!(dst = cc__srs_from_wkt(work_wkt))) st = cc__fail(ctx, CC_ERR_CRS, "Unable to read the working CRS");
    } else if (in->crs) {
        if (!(st = cc__srs_from_user(ctx, in->crs, &dst))) st = cc__check_metric(ctx, dst, in->crs);
    } else {
        cc__gdal_init();
        cc__gdal_begin(ctx);
        GDALDatasetH ds = GDALOpenEx(in->population, GDAL_OF_RASTER | GDAL_OF_READONLY, NULL, NULL, NULL);
        cc__gdal_end(ctx);
        double gt[6];
        OGRSpatialReferenceH src = ds && GDALGetSpatialRef(ds) ? cc__srs_clone(GDALGetSpatialRef(ds)) : NULL;
        if (!ds || !src || GDALGetGeoTransform(ds, gt) != CE_None) {
            st = cc__fail(ctx, CC_ERR_PARAM, "Without roads the working CRS comes from the population raster; '%s' is not a georeferenced raster: give parameter crs",
                          in->population);
        } else {
            double cx = gt[0] + 0.5 * GDALGetRasterXSize(ds) * gt[1], cy = gt[3] + 0.5 * GDALGetRasterYSize(ds) * gt[5];
            OGRSpatialReferenceH wgs = OSRNewSpatialReference(NULL);
            OSRImportFromEPSG(wgs, 4326);
            OSRSetAxisMappingStrategy(wgs, OAMS_TRADITIONAL_GIS_ORDER);
            OSRSetAxisMappingStrategy(src, OAMS_TRADITIONAL_GIS_ORDER);
            OGRCoordinateTransformationH ct = OCTNewCoordinateTransformation(src, wgs);
            int ok = ct && OCTTransform(ct, 1, &cx, &cy, NULL);
            if (ct) OCTDestroyCoordinateTransformation(ct);
            OSRDestroySpatialReference(wgs);
            if (!ok) st = cc__fail(ctx, CC_ERR_CRS, "Unable to find the longitude/latitude of the centre of '%s'; give parameter crs", in->population);
            else {
                dst = OSRNewSpatialReference(NULL);
                OSRImportFromEPSG(dst, cc__utm_epsg(cx, cy));
            }
        }
        if (src) OSRDestroySpatialReference(src);
        if (ds) GDALClose(ds);
    }
    if (!st) {
        OSRSetAxisMappingStrategy(dst, OAMS_TRADITIONAL_GIS_ORDER);
        cc__srs_name(dst, r->crs_name, sizeof(r->crs_name));
        if (OSRExportToWkt(dst, &r->crs_wkt) != OGRERR_NONE) st = cc__fail(ctx, CC_ERR_CRS, "Unable to express the working CRS as WKT");
    }
    if (dst) OSRDestroySpatialReference(dst);
    if (st) cc_roads_destroy(r);
    else {
        cc__info(ctx, "No roads: travel over the friction surface only, working CRS %s", r->crs_name);
        *out = r;
    }
    return st;
}

cc_status cc__region_check(cc_ctx *ctx, const cc_inputs *in, const cc__region_opts *o)
{
    if (!in->roads && !roadless(in, o))
        return cc__fail(ctx, CC_ERR_PARAM, o->roads_optional ? "No road file given (parameter roads; it may be left out only with parameter friction)"
                                                             : "No road file given (parameter roads)");
    if (!in->population) return cc__fail(ctx, CC_ERR_PARAM, "No population file given (parameter population)");
    if (o->need_facilities && !in->facilities && !o->shared_fac)
        return cc__fail(ctx, CC_ERR_PARAM, "No facility file given (parameter facilities)");
    if (in->resolution_m != 0 && (!(in->resolution_m >= 1) || in->resolution_m > 100000))
        return cc__fail(ctx, CC_ERR_PARAM, "Parameter resolution_m must be between 1 and 100000 metres, got %g", in->resolution_m);
    if (o->halo_m > 0 && !o->work_wkt) return cc__fail(ctx, CC_ERR_INTERNAL, "A halo needs the working CRS");
    return CC_OK;
}

cc_status cc__region_load(cc_ctx *ctx, const cc_inputs *in, const cc__region_opts *o, cc__region *r)
{
    static const cc__region_opts dflt;
    if (!o) o = &dflt;
    memset(r, 0, sizeof(*r));
    r->in = in;
    if (o->pre_roads) { /* taken over, whatever happens next */
        r->roads = o->pre_roads;
        r->dem = *o->pre_dem;
        memset(o->pre_dem, 0, sizeof(*o->pre_dem));
    }
    double t0 = cc__now();
    cc_status st;
    if ((st = cc__region_check(ctx, in, o))) return st;
    if ((st = resolve_profile(ctx, in, o, r))) return st;
    if (in->facilities && !o->shared_fac) { /* the facility cap before the roads are read (issue 15) */
        cc__facilities_opts fo = facilities_opts(in);
        if ((st = cc__facilities_precount(ctx, in->facilities, &fo))) return st;
    }
    if (o->halo_m > 0) {
        if ((st = read_population(ctx, in, o, o->work_wkt, r))) return st;
        if (r->dem.n == 0) return CC_OK; /* an empty tile: nothing else to read */
        if (roadless(in, o)) {
            if ((st = empty_roads(ctx, in, o->work_wkt, &r->roads))) return st;
        } else if ((st = read_roads_near(ctx, in, o, r))) {
            return st;
        }
    } else if (o->pre_roads) {
        /* read already */
    } else if (roadless(in, o)) {
        if ((st = empty_roads(ctx, in, o->work_wkt, &r->roads))) return st;
    } else {
        cc__info(ctx, "Reading roads...");
        cc_roads_opts ro = roads_opts(in, o);
        if ((st = cc_roads_read(ctx, in->roads, &ro, &r->roads))) return st;
        if (cc__interrupted(ctx)) return cc__fail(ctx, CC_ERR_INTERRUPTED, "Interrupted");
    }
    if (o->apply_edits && (st = cc__region_edit_roads(ctx, in, r))) return st;
    const char *wkt = r->roads->crs_wkt;
    if (o->halo_m <= 0 && !o->pre_roads && (st = read_population(ctx, in, o, wkt, r))) return st;
    if (o->shared_fac) {
        r->fac = o->shared_fac;
    } else if (in->facilities) {
        if ((st = cc__inputs_facilities(ctx, in, wkt, &r->fac_own))) return st;
        r->fac = &r->fac_own;
        if (o->apply_edits && in->edits.n_facility_changes) {
            if ((st = cc__facilities_apply(ctx, &r->fac_own, in->edits.facility_changes, in->edits.n_facility_changes, wkt))) return st;
            cc__info(ctx, "Facility changes applied: %zu facilities now", r->fac_own.n);
        }
    }
    if (o->read_admin && in->admin) {
        cc__admin_opts ao = {.name_field = in->admin_name_field, .code_field = in->admin_code_field, .encoding = in->encoding};
        if ((st = cc__admin_read(ctx, in->admin, &ao, wkt, &r->admin))) return st;
        r->have_admin = true;
    }
    r->t_load_s = cc__now() - t0;
    return CC_OK;
}

/* ---- the graph and the joins ------------------------------------------------------------------ */

cc_status cc__region_build(cc_ctx *ctx, cc__region *r, bool allow_empty)
{
    double t = cc__now();
    if (allow_empty && (!r->roads || cc_roads_get_way_count(r->roads) == 0)) return CC_OK;
    cc__info(ctx, "Building graph...");
    cc_status st = cc_graph_build(ctx, r->roads, r->profile, NULL, &r->graph);
    if (st == CC_ERR_INPUT && allow_empty) return CC_OK; /* no drivable road */
    r->t_graph_s = cc__now() - t;
    return st;
}

/* Facilities off the network: a warning with names and distances; none at all is an error
 * when the run needs them. */
cc_status cc__region_check_facilities(cc_ctx *ctx, const cc__region_opts *o, cc__region *r)
{
    const cc__facilities *f = r->fac;
    size_t n_off = 0;
    char list[400] = "";
    for (size_t i = 0; i < f->n; i++) {
        if (r->fjoin[i].arc != CC_INVALID_ID) continue;
        if (n_off++ < 4 && strlen(list) < sizeof(list) - 100) {
            char item[100];
            snprintf(item, sizeof(item), "%s%.60s", list[0] ? ", " : "", f->name[i]);
            strcat(list, item);
        }
    }
    r->fac_joined = f->n - n_off;
    double max_snap = cc_profile_get_max_snap_m(r->profile);
    /* far outside the road network: a sign or digit error in the coordinates, named one by one */
    const cc_graph *g = r->graph;
    size_t n_far = 0;
    for (size_t i = 0; i < f->n && g && g->n_nodes; i++) {
        if (r->fjoin[i].arc != CC_INVALID_ID) continue;
        double dx = f->x[i] < g->minx ? g->minx - f->x[i] : f->x[i] > g->maxx ? f->x[i] - g->maxx : 0;
        double dy = f->y[i] < g->miny ? g->miny - f->y[i] : f->y[i] > g->maxy ? f->y[i] - g->maxy : 0;
        double d = sqrt(dx * dx + dy * dy);
        if (!(d > 50000.0) && isfinite(d)) continue;
        if (n_far++ < 10)
            cc__warn(ctx, "Facility <%.60s> of '%s' (longitude %.5f, latitude %.5f) lies %.0f km outside the road network's extent; "
                          "check its coordinates (a wrong sign or swapped longitude and latitude?)",
                     f->name[i], r->in->facilities, f->lon[i], f->lat[i], isfinite(d) ? d / 1000.0 : INFINITY);
    }
    if (n_off == f->n && o->need_facilities)
        return cc__fail(ctx, CC_ERR_INPUT,
                        "None of the %zu facilities in '%s' is within %g m of a drivable road in '%s'; do the files cover the same area?", f->n,
                        r->in->facilities, max_snap, r->in->roads);
    if (n_off)
        cc__warn(ctx, "%zu of %zu facilities are farther than %g m from any drivable road and are left out: %s%s", n_off, f->n, max_snap, list,
                 n_off > 4 ? ", ..." : "");
    return CC_OK;
}

cc_status cc__region_join(cc_ctx *ctx, const cc__region_opts *o, cc__region *r)
{
    static const cc__region_opts dflt;
    if (!o) o = &dflt;
    double t = cc__now();
    cc_status st;
    if ((st = cc__snap_index_build(ctx, r->graph, &r->snap))) return st;
    if (r->fac) {
        if ((st = cc__join_points(ctx, r->snap, r->profile, r->fac->x, r->fac->y, r->fac->n, &r->fjoin, &r->foff))) return st;
        if (!o->shared_fac && (st = cc__region_check_facilities(ctx, o, r))) return st;
    }
    if ((st = cc__join_points(ctx, r->snap, r->profile, r->dem.x, r->dem.y, r->dem.n, &r->djoin, &r->doff))) return st;
    if (o->halo_m <= 0) {
        size_t n_on = 0;
        for (size_t i = 0; i < r->dem.n; i++) n_on += r->djoin[i].arc != CC_INVALID_ID;
        if (n_on == 0)
            return cc__fail(ctx, CC_ERR_INPUT,
                            "None of the %zu population points in '%s' is within %g m of a drivable road in '%s'; do the files cover the same area?",
                            r->dem.n, r->in->population, cc_profile_get_max_snap_m(r->profile), r->in->roads);
    }
    r->t_snap_s = cc__now() - t;
    return CC_OK;
}

/* The extent of the network and the villages, in the working CRS. */
static void grid_extent(const cc__region *r, double e[4])
{
    const cc_graph *g = r->graph;
    e[0] = g->minx;
    e[1] = g->miny;
    e[2] = g->maxx;
    e[3] = g->maxy;
    for (size_t i = 0; i < r->dem.n; i++) {
        e[0] = fmin(e[0], r->dem.x[i]);
        e[2] = fmax(e[2], r->dem.x[i]);
        e[1] = fmin(e[1], r->dem.y[i]);
        e[3] = fmax(e[3], r->dem.y[i]);
    }
}

static double grid_res_m(const cc__region *r)
{
    return r->in->resolution_m > 0 ? r->in->resolution_m : 100.0;
}

double cc__region_grid_cells(const cc__region *r)
{
    if (r->dem.is_raster) return 0;
    double e[4], res = grid_res_m(r);
    grid_extent(r, e);
    return ceil((e[2] - e[0]) / res + 1) * ceil((e[3] - e[1]) / res + 1);
}

cc_status cc__region_grid(cc_ctx *ctx, cc__region *r)
{
    if (r->dem.is_raster) return CC_OK;
    double e[4], t = cc__now();
    grid_extent(r, e);
    cc_status st = cc__grid_points(ctx, e[0], e[1], e[2], e[3], grid_res_m(r), r->roads->crs_wkt, (size_t)50000000, &r->grid);
    if (!st) st = cc__join_points(ctx, r->snap, r->profile, r->grid.x, r->grid.y, r->grid.n, &r->gjoin, &r->goff);
    r->t_snap_s += cc__now() - t;
    return st;
}

/* ---- tiers ------------------------------------------------------------------------------------- */

cc_status cc__tier_flags(cc_ctx *ctx, const cc__facilities *fac, const char *facilities_path, const char *list, const char *param,
                         uint8_t *flag_per_tier)
{
    char *buf = cc__strdup(list), *save = NULL;
    cc_status st = CC_OK;
    if (!buf) return cc__fail(ctx, CC_ERR_NOMEM, "Out of memory");
    for (char *t = strtok_r(buf, ",", &save); t && !st; t = strtok_r(NULL, ",", &save)) {
        while (*t == ' ') t++;
        size_t len = strlen(t);
        while (len && t[len - 1] == ' ') t[--len] = '\0';
        if (!len) continue;
        size_t k = 0;
        while (k < fac->n_tiers && strcmp(fac->tier_name[k], t)) k++;
        if (k == fac->n_tiers) {
            char names[400] = "";
            for (size_t i = 0; i < fac->n_tiers && strlen(names) < 300; i++) {
                if (i) strcat(names, ", ");
                strncat(names, fac->tier_name[i], 60);
            }
            st = cc__fail(ctx, CC_ERR_PARAM, "Parameter %s names tier <%s>, but the facilities of '%s' have tiers: %s%s", param, t,
                          facilities_path, names[0] ? names : "none",
                          fac->tier_field ? "" : " (no tier field; name it with parameter tier_field)");
        } else {
            flag_per_tier[k] = 1;
        }
    }
    free(buf);
    return st;
}
