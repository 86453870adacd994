/*
 * traveltime.c - the travel-time raster of a large region in tiles with a halo (cc_traveltime.h).
 *
 * Each tile reads its window of the population raster and only the roads crossing the window
 * grown by the halo (an OGR spatial filter), builds that network, joins its cells and every
 * facility, and runs the multi-source searches of cc__nearest: the same code as a coverage run
 * on a smaller network. Tiles are independent; the writer stitches them in any order.
 */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cpl_string.h>
#include <json-c/json.h>
#include <ogr_srs_api.h>

#include "carecircle/cc_version.h"
#include "../access/access_internal.h"
#include "../io/io_internal.h"
#include "inputs_internal.h"
#include "offroad_internal.h"
#include "run_internal.h"
#include "traveltime_internal.h"

/* ---- plan --------------------------------------------------------------------------------- */

void cc__tt_plan_free(cc__tt_plan *p)
{
    cc_profile_destroy(p->profile_owned);
    free(p->grid.wkt);
    free(p->work_wkt);
    cc__facilities_free(&p->fac);
    free(p->in_set);
    memset(p, 0, sizeof(*p));
}

void cc__tt_tile_rect(const cc__tt_plan *p, int k, int r[4])
{
    int tx = k % p->nx, ty = k / p->nx;
    r[0] = tx * p->tile;
    r[1] = ty * p->tile;
    r[2] = p->grid.w - r[0] < p->tile ? p->grid.w - r[0] : p->tile;
    r[3] = p->grid.h - r[1] < p->tile ? p->grid.h - r[1] : p->tile;
}

/* A tile reads its population window first, then the roads near it; facilities and the
 * profile come from the plan. */
static const cc__region_opts plan_region_opts = {.need_facilities = true, .roads_optional = true};

static cc_status check_opts(cc_ctx *ctx, const cc_traveltime_opts *opts, cc__tt_plan *p)
{
    const cc_inputs *in = &opts->in;
    const cc_edits *e = &in->edits;
    cc_status st;
    if ((st = cc__region_check(ctx, in, &plan_region_opts))) return st;
    if ((st = cc__offroad_check(ctx, &in->offroad))) return st;
    if (!opts->out_dir) return cc__fail(ctx, CC_ERR_PARAM, "No output folder given (parameter out_dir)");
    if (e->n_closed_way_ids || e->closed_areas || e->added_roads || e->n_replaced_way_ids || e->n_facility_changes)
        return cc__fail(ctx, CC_ERR_PARAM, "A tiled travel-time run takes no scenario edits (closed or added roads, facility changes)");
    if ((st = cc__check_minutes(ctx, opts->minutes, opts->n_minutes, p->bands_min, p->bands_ms, &p->nb))) return st;
    p->tile = opts->tile_cells ? opts->tile_cells : 512;
    if (p->tile < 16 || p->tile > 16384)
        return cc__fail(ctx, CC_ERR_PARAM, "Parameter tile_cells is %d: give between 16 and 16384 cells", p->tile);
    if (opts->halo_m != 0 && (!(opts->halo_m > 0) || opts->halo_m > 5e6))
        return cc__fail(ctx, CC_ERR_PARAM, "Parameter halo_m is %s m: give above 0 and at most 5000 km", cc__num((char[32]){0}, opts->halo_m));
    return CC_OK;
}

/* The population raster's grid, without reading a cell. */
static cc_status read_grid(cc_ctx *ctx, const char *path, cc__grid *g)
{
    cc_status st = CC_OK;
    if ((st = cc__input_check(ctx, path, "population file"))) return st;
    cc__gdal_init();
    cc__gdal_begin(ctx);
    GDALDatasetH ds = GDALOpenEx(path, GDAL_OF_RASTER | GDAL_OF_VECTOR | GDAL_OF_READONLY, NULL, NULL, NULL);
    cc__gdal_end(ctx);
    if (!ds) return cc__fail(ctx, CC_ERR_IO, "Unable to open population file '%s': %s", path, cc__gdal_msg(ctx));
    OGRSpatialReferenceH rs = GDALGetSpatialRef(ds);
    if (GDALGetRasterCount(ds) < 1)
        st = cc__fail(ctx, CC_ERR_INPUT, "Population '%s' is not a raster; a tiled run needs a population raster (use coverage for village points)", path);
    else if (GDALGetGeoTransform(ds, g->gt) != CE_None)
        st = cc__fail(ctx, CC_ERR_INPUT, "Population raster '%s' has no georeferencing (geotransform)", path);
    else if (g->gt[2] != 0.0 || g->gt[4] != 0.0)
        st = cc__fail(ctx, CC_ERR_INPUT, "Population raster '%s' is rotated; warp it north-up first (gdalwarp)", path);
    else if (!rs || OSRIsLocal(rs))
        st = cc__fail(ctx, CC_ERR_CRS, "Population raster '%s' has no coordinate reference system; assign one (gdal_edit.py -a_srs EPSG:4326)", path);
    else if (OSRExportToWkt(rs, &g->wkt) != OGRERR_NONE)
        st = cc__fail(ctx, CC_ERR_CRS, "Unable to read the CRS of '%s'", path);
    g->w = GDALGetRasterXSize(ds);
    g->h = GDALGetRasterYSize(ds);
    int has_nd = 0;
    if (!st) GDALGetRasterNoDataValue(GDALGetRasterBand(ds, 1), &has_nd);
    if (!st && !has_nd) cc__warn(ctx, "Population raster '%s' has no nodata value: every cell counts as populated land", path);
    GDALClose(ds);
    return st;
}

/* The working CRS: the one given, else the UTM zone of the raster's centre. */
static cc_status work_crs(cc_ctx *ctx, const char *user, const cc__grid *g, cc__tt_plan *p)
{
    OGRSpatialReferenceH dst = NULL;
    cc_status st;
    if (user) {
        if ((st = cc__srs_from_user(ctx, user, &dst))) return st;
        if ((st = cc__check_metric(ctx, dst, user))) goto out;
    } else {
        double cx = g->gt[0] + 0.5 * g->w * g->gt[1], cy = g->gt[3] + 0.5 * g->h * g->gt[5];
        OGRSpatialReferenceH src = cc__srs_from_wkt(g->wkt), wgs = OSRNewSpatialReference(NULL);
        OSRImportFromEPSG(wgs, 4326);
        OSRSetAxisMappingStrategy(wgs, OAMS_TRADITIONAL_GIS_ORDER);
        cc__gdal_begin(ctx);
        OGRCoordinateTransformationH ct = src ? OCTNewCoordinateTransformation(src, wgs) : NULL;
        int ok = ct && OCTTransform(ct, 1, &cx, &cy, NULL);
        if (ct) OCTDestroyCoordinateTransformation(ct);
        cc__gdal_end(ctx);
        if (src) OSRDestroySpatialReference(src);
        OSRDestroySpatialReference(wgs);
        if (!ok) return cc__fail(ctx, CC_ERR_CRS, "Unable to find the longitude/latitude of the population raster's centre: %s", cc__gdal_msg(ctx));
        dst = OSRNewSpatialReference(NULL);
        OSRImportFromEPSG(dst, cc__utm_epsg(cx, cy));
        OSRSetAxisMappingStrategy(dst, OAMS_TRADITIONAL_GIS_ORDER);
    }
    cc__srs_name(dst, p->work_name, sizeof(p->work_name));
    st = OSRExportToWkt(dst, &p->work_wkt) == OGRERR_NONE ? CC_OK : cc__fail(ctx, CC_ERR_CRS, "Unable to express the working CRS as WKT");
out:
    OSRDestroySpatialReference(dst);
    return st;
}

cc_status cc__tt_plan_make(cc_ctx *ctx, const cc_traveltime_opts *opts, cc__tt_plan *p)
{
    const cc_inputs *o = &opts->in;
    cc_status st;
    memset(p, 0, sizeof(*p));
    p->o = opts;
    if ((st = check_opts(ctx, opts, p))) return st;
    if ((st = cc__inputs_profile(ctx, o, &p->profile_owned, &p->profile))) return st;
    if ((st = read_grid(ctx, o->population, &p->grid))) return st;
    if ((st = work_crs(ctx, o->crs, &p->grid, p))) return st;
    p->nx = (p->grid.w + p->tile - 1) / p->tile;
    p->ny = (p->grid.h + p->tile - 1) / p->tile;
    p->vmax_kmh = cc_profile_get_max_speed_kmh(p->profile);
    if (opts->halo_m > 0)
        p->halo_m = opts->halo_m;
    else if (o->speed_field)
        return cc__fail(ctx, CC_ERR_PARAM,
                        "With a speed field (parameter speed_field) the highest speed is not known before reading every road; give the halo "
                        "(parameter halo_m)");
    else
        p->halo_m = p->vmax_kmh / 3.6 * (p->bands_min[p->nb - 1] * 60.0) + 2.0 * cc_profile_get_max_snap_m(p->profile);
    if (!(p->halo_m > 0)) return cc__fail(ctx, CC_ERR_PARAM, "Profile <%s> has no drivable road class: no halo", cc_profile_get_name(p->profile));
    if ((st = cc__inputs_facilities(ctx, o, p->work_wkt, &p->fac))) return st;
    p->n_sets = 1 + p->fac.n_tiers;
    if (!(p->in_set = cc__calloc_array(p->n_sets * p->fac.n, 1))) return cc__fail(ctx, CC_ERR_NOMEM, "Out of memory");
    for (size_t f = 0; f < p->fac.n; f++) {
        p->in_set[f] = 1;
        if (p->fac.tier[f] >= 0) p->in_set[(size_t)(1 + p->fac.tier[f]) * p->fac.n + f] = 1;
    }
    cc__info(ctx, "Travel-time raster %d x %d cells in %d tiles of %d; working CRS %s; halo %.1f km (%.0f km/h x %g min + 2 x %g m snap)",
             p->grid.w, p->grid.h, p->nx * p->ny, p->tile, p->work_name, p->halo_m / 1000.0, p->vmax_kmh, p->bands_min[p->nb - 1],
             cc_profile_get_max_snap_m(p->profile));
    return CC_OK;
}

/* ---- one tile ------------------------------------------------------------------------------ */

/* A tile's readers and graph build talk per tile; their messages go one level down (info and
 * warnings to debug) so that a run of a thousand tiles prints its own progress only. */
typedef struct quiet_log {
    cc_log_fn fn;
    void *user;
} quiet_log;

static void quiet(void *user, cc_log_level level, const char *msg)
{
    const quiet_log *q = user;
    (void)level;
    if (q->fn) q->fn(q->user, CC_LOG_DEBUG, msg);
}

typedef struct tile_work {
    cc__region reg;
    uint32_t *dtime, *dfac;
    /* the friction model: the region is the tile grown by the halo; per demand point its cell in
     * the whole raster and whether it is a cell of the tile itself and passable */
    bool fric;
    int64_t *full_cell;
    uint8_t *in_tile, *pass;
} tile_work;

static void tile_work_free(tile_work *t)
{
    cc__region_free(&t->reg);
    CC__FREE_ALL(t->dtime, t->dfac, t->full_cell, t->in_tile, t->pass);
}

/* ---- one tile with the friction model ---------------------------------------------------------- */

/* Cells of the halo: the halo in metres over the smallest cell side of the raster (a grid in
 * degrees: the east-west side at the latitude farthest from the equator), plus the two cells a
 * knight's move crosses. */
static int cells_for_m(const cc__tt_plan *p, double m);
static int halo_cells(const cc__tt_plan *p)
{
    return cells_for_m(p, p->halo_m);
}

/* Cells of the population grid spanning @p m metres at least (its narrowest cell side), plus 2. */
static int cells_for_m(const cc__tt_plan *p, double m)
{
    const cc__grid *g = &p->grid;
    OGRSpatialReferenceH s = cc__srs_from_wkt(g->wkt);
    bool geo = s && OSRIsGeographic(s);
    double lin = s && !geo ? OSRGetLinearUnits(s, NULL) : 1.0;
    if (s) OSRDestroySpatialReference(s);
    double ex = fabs(g->gt[1]) * lin, ny = fabs(g->gt[5]) * lin;
    if (geo) {
        double lat = fmax(fabs(g->gt[3]), fabs(g->gt[3] + g->h * g->gt[5]));
        ex *= 111320.0 * cos(fmin(lat, 89.0) * M_PI / 180.0);
        ny *= 110574.0;
    }
    double side = fmin(ex, ny);
    double n = side > 0 ? ceil(m / side) + 2 : 1e9;
    return n > 1e8 ? 100000000 : (int)n;
}

/* The demand of the grown window read with whole-raster cell indices, moved onto the window's own
 * grid (the friction surface is built on it), remembering which points are the tile's. */
static cc_status localise(cc_ctx *tc, const cc__tt_plan *p, const int r[4], const int win[4], tile_work *t)
{
    cc__demand *d = &t->reg.dem;
    const int64_t W = p->grid.w;
    t->full_cell = cc__malloc_array(d->n ? d->n : 1, sizeof(int64_t));
    t->in_tile = cc__malloc_array(d->n ? d->n : 1, 1);
    t->pass = cc__malloc_array(d->n ? d->n : 1, 1);
    if (!t->full_cell || !t->in_tile || !t->pass) return cc__fail(tc, CC_ERR_NOMEM, "Out of memory");
    for (size_t i = 0; i < d->n; i++) {
        int64_t c = d->cell[i], row = c / W, col = c % W;
        t->full_cell[i] = c;
        t->in_tile[i] = col >= r[0] && col < r[0] + r[2] && row >= r[1] && row < r[1] + r[3];
        d->cell[i] = (row - win[1]) * win[2] + (col - win[0]);
    }
    d->grid.gt[0] += win[0] * d->grid.gt[1];
    d->grid.gt[3] += win[1] * d->grid.gt[5];
    d->grid.w = win[2];
    d->grid.h = win[3];
    return CC_OK;
}

/* The tile grown by the halo is one friction-model region: a trip of at most T_max from a tile
 * cell stays inside it (no speed on or off the roads above the halo's), so the tile's times
 * within T_max equal those of the whole raster. */
static cc_status tile_compute_friction(cc_ctx *tc, const cc__tt_plan *p, const int r[4], tile_work *t, double *sums)
{
    int hc = halo_cells(p);
    const int mc = cells_for_m(p, cc__offroad_impassable_max_m(&p->o->in.offroad)); /* people on impassable cells move at most that */
    if (mc > hc) hc = mc;
    int win[4];
    win[0] = r[0] - hc < 0 ? 0 : r[0] - hc;
    win[1] = r[1] - hc < 0 ? 0 : r[1] - hc;
    win[2] = (r[0] + r[2] + hc > p->grid.w ? p->grid.w : r[0] + r[2] + hc) - win[0];
    win[3] = (r[1] + r[3] + hc > p->grid.h ? p->grid.h : r[1] + r[3] + hc) - win[1];
    const cc__region_opts ro = {.work_wkt = p->work_wkt, .win = {win[0], win[1], win[2], win[3]}, .halo_m = p->halo_m,
                                .shared_fac = &p->fac, .shared_profile = p->profile, .roads_optional = true};
    cc__region *g = &t->reg;
    cc_status st;
    t->fric = true;
    if ((st = cc__region_load(tc, &p->o->in, &ro, g))) return st;
    if (g->dem.n == 0) return CC_OK;
    sums[CC__TT_WAYS] = (double)cc_roads_get_way_count(g->roads);
    if ((st = cc__region_build(tc, g, true)) || (st = localise(tc, p, r, win, t))) return st;
    size_t own = 0;
    for (size_t i = 0; i < g->dem.n; i++) own += t->in_tile[i];
    if (!own) { /* people in the halo only: nothing of this tile to compute */
        g->dem.n = 0;
        return CC_OK;
    }
    cc__offroad w;
    cc_offroad_result res;
    const size_t nf = p->fac.n, nd = g->dem.n;
    int64_t *fcell = cc__malloc_array(nf ? nf : 1, sizeof(int64_t));
    size_t n_bad;
    st = fcell ? cc__offroad_prepare(tc, &p->o->in.offroad, g, &w, &res) : cc__fail(tc, CC_ERR_NOMEM, "Out of memory");
    if (!st && cc__offroad_max_speed_ms(&w) * 3.6 > p->halo_m / (p->bands_min[p->nb - 1] * 60.0) * 3.6 + 1e-9)
        st = cc__fail(tc, CC_ERR_PARAM, "Off-road speeds reach %.1f km/h, above the %.1f km/h the halo allows for %g minutes; give a larger halo (parameter halo_m)",
                      cc__offroad_max_speed_ms(&w) * 3.6, p->halo_m / (p->bands_min[p->nb - 1] * 60.0) * 3.6, p->bands_min[p->nb - 1]);
    if (!st) st = cc__offroad_cells(tc, &w, p->fac.x, p->fac.y, nf, fcell, &n_bad);
    if (!st) {
        t->dtime = cc__malloc_array(p->n_sets * nd, sizeof(uint32_t));
        t->dfac = cc__malloc_array(p->n_sets * nd, sizeof(uint32_t));
        if (!t->dtime || !t->dfac) st = cc__fail(tc, CC_ERR_NOMEM, "Out of memory for travel times of %zu cells", nd);
    }
    for (size_t s = 0; s < p->n_sets && !st; s++)
        st = cc__offroad_nearest(tc, &w, NULL, fcell, p->in_set + s * nf, nf, t->dtime + s * nd, t->dfac + s * nd, NULL, NULL);
    for (size_t i = 0; i < nd && !st; i++) {
        t->pass[i] = w.f.spm[w.dcell[i]] < INFINITY; /* its own cell, or the passable cell it was moved to */
        if (t->in_tile[i] && w.dwalk_s && w.dcell[i] != g->dem.cell[i]) {
            double d_m = w.dwalk_s[i] / w.f.spm[w.dcell[i]]; /* the move's length */
            sums[CC__TT_MOVED] += g->dem.pop[i];
            sums[CC__TT_MOVED_N] += 1;
            if (d_m > sums[CC__TT_MOVED_MAX_M]) sums[CC__TT_MOVED_MAX_M] = d_m;
        }
    }
    cc__offroad_free(&w);
    free(fcell);
    return st;
}

/* Everything but the final figures; CC_OK with no graph when the tile has no people or its halo
 * holds no drivable road. */
static cc_status tile_compute(cc_ctx *tc, const cc__tt_plan *p, const int r[4], tile_work *t, double *sums)
{
    const cc__region_opts ro = {.work_wkt = p->work_wkt, .win = {r[0], r[1], r[2], r[3]}, .halo_m = p->halo_m,
                                .shared_fac = &p->fac, .shared_profile = p->profile};
    cc__region *g = &t->reg;
    cc_status st;
    if ((st = cc__region_load(tc, &p->o->in, &ro, g))) return st;
    if (g->dem.n == 0) return CC_OK;
    sums[CC__TT_WAYS] = (double)cc_roads_get_way_count(g->roads);
    if ((st = cc__region_build(tc, g, true))) return st;
    if (!g->graph) return CC_OK;
    if ((st = cc__region_join(tc, &ro, g))) return st;
    t->dtime = cc__malloc_array(p->n_sets * g->dem.n, sizeof(uint32_t));
    t->dfac = cc__malloc_array(p->n_sets * g->dem.n, sizeof(uint32_t));
    if (!t->dtime || !t->dfac) return cc__fail(tc, CC_ERR_NOMEM, "Out of memory for travel times of %zu cells", g->dem.n);
    return cc__nearest(tc, g->graph, g->fjoin, g->foff, p->fac.n, p->in_set, p->n_sets, g->djoin, g->doff, g->dem.n, CC_REVERSE,
                       t->dtime, t->dfac);
}

cc_status cc__tt_tile_run(cc_ctx *ctx, const cc__tt_plan *p, int k, float *vals, double *sums)
{
    int r[4];
    cc__tt_tile_rect(p, k, r);
    const size_t ncell = (size_t)r[2] * (size_t)r[3];
    for (size_t i = 0; i < p->n_sets * ncell; i++) vals[i] = CC__TT_NODATA;
    memset(sums, 0, CC__TT_NSUMS * sizeof(double));
    quiet_log q = {ctx->log_fn, ctx->log_user};
    cc_ctx tc = *ctx;
    tc.log_fn = quiet;
    tc.log_user = &q;
    tile_work t = {0};
    cc_status st = p->o->in.offroad.model == CC_OFFROAD_FRICTION ? tile_compute_friction(&tc, p, r, &t, sums) : tile_compute(&tc, p, r, &t, sums);
    ctx->warnings = tc.warnings;
    if (st) {
        tile_work_free(&t);
        return cc__fail(ctx, st, "Tile %d (columns %d-%d, rows %d-%d): %s", k, r[0], r[0] + r[2] - 1, r[1], r[1] + r[3] - 1, tc.last_error);
    }
    const uint32_t tmax = p->bands_ms[p->nb - 1];
    const int64_t W = p->grid.w;
    sums[CC__TT_PEOPLE_TILE] = 0;
    for (size_t i = 0; i < t.reg.dem.n; i++) {
        if (t.fric && !t.in_tile[i]) continue; /* a cell of the halo */
        double pop = t.reg.dem.pop[i];
        sums[CC__TT_PEOPLE_TILE] = 1;
        sums[CC__TT_TOTAL] += pop;
        if (t.fric ? !t.pass[i] : (!t.reg.graph || t.reg.djoin[i].arc == CC_INVALID_ID)) { /* friction: an impassable cell */
            sums[CC__TT_NOROAD] += pop;
            continue;
        }
        const int64_t cell = t.fric ? t.full_cell[i] : t.reg.dem.cell[i];
        size_t local = (size_t)(cell / W - r[1]) * (size_t)r[2] + (size_t)(cell % W - r[0]);
        uint32_t t0 = t.dtime[i];
        if (t0 > tmax) sums[CC__TT_BEYOND] += pop;
        for (size_t b = 0; b < p->nb; b++)
            if (t0 <= p->bands_ms[b]) sums[CC__TT_WITHIN + b] += pop;
        for (size_t s = 0; s < p->n_sets; s++) {
            uint32_t ts = t.dtime[s * t.reg.dem.n + i];
            if (ts <= tmax) vals[s * ncell + local] = (float)(ts / 60000.0);
        }
    }
    tile_work_free(&t);
    return CC_OK;
}

/* ---- writer --------------------------------------------------------------------------------- */

void cc__tt_writer_abort(cc__tt_writer *w)
{
    if (w->ds) GDALClose(w->ds);
    w->ds = NULL;
    cc__stage_abort(&w->stage);
}

cc_status cc__tt_writer_open(cc_ctx *ctx, const cc__tt_plan *p, cc__tt_writer *w)
{
    cc_status st;
    memset(w, 0, sizeof(*w));
    if ((st = cc__stage_begin(ctx, p->o->out_dir, &w->stage))) return st;
    cc__stage_path(&w->stage, "travel_time.tiles.tif", w->tmp_path, sizeof(w->tmp_path));
    const char *co[] = {"TILED=YES", "BLOCKXSIZE=256", "BLOCKYSIZE=256", "COMPRESS=DEFLATE", "ZLEVEL=1", "BIGTIFF=IF_SAFER", NULL};
    cc__gdal_begin(ctx);
    GDALDriverH drv = GDALGetDriverByName("GTiff");
    w->ds = drv ? GDALCreate(drv, w->tmp_path, p->grid.w, p->grid.h, (int)p->n_sets, GDT_Float32, (char **)co) : NULL;
    cc__gdal_end(ctx);
    if (!w->ds) return cc__fail(ctx, CC_ERR_IO, "Unable to create '%s': %s", w->tmp_path, cc__gdal_msg(ctx));
    GDALSetGeoTransform(w->ds, (double *)p->grid.gt);
    GDALSetProjection(w->ds, p->grid.wkt);
    for (size_t s = 0; s < p->n_sets; s++) {
        char nm[200];
        snprintf(nm, sizeof(nm), s == 0 ? "minutes to the nearest facility (%s)" : "minutes to the nearest facility of tier %s",
                 s == 0 ? "all" : p->fac.tier_name[s - 1]);
        GDALRasterBandH b = GDALGetRasterBand(w->ds, (int)s + 1);
        GDALSetRasterNoDataValue(b, CC__TT_NODATA);
        GDALSetDescription(b, nm);
        GDALSetRasterUnitType(b, "min");
        /* untouched blocks read back as nodata */
        GDALFillRaster(b, CC__TT_NODATA, 0);
    }
    return CC_OK;
}

cc_status cc__tt_writer_put(cc_ctx *ctx, const cc__tt_plan *p, cc__tt_writer *w, int k, const float *vals)
{
    int r[4];
    cc__tt_tile_rect(p, k, r);
    cc__gdal_begin(ctx);
    CPLErr e = GDALDatasetRasterIO(w->ds, GF_Write, r[0], r[1], r[2], r[3], (void *)vals, r[2], r[3], GDT_Float32, (int)p->n_sets, NULL,
                                   0, 0, 0);
    cc__gdal_end(ctx);
    if (e != CE_None) return cc__fail(ctx, CC_ERR_IO, "Unable to write tile %d to '%s': %s", k, w->tmp_path, cc__gdal_msg(ctx));
    return CC_OK;
}

static cc_status write_summary(cc_ctx *ctx, const cc__tt_plan *p, const cc__tt_writer *w, const cc_traveltime_result *res)
{
    char path[4300];
    json_object *j = json_object_new_object(), *mins = json_object_new_array(), *within = json_object_new_object(), *sets = json_object_new_array();
    json_object_object_add(j, "carecircle_version", json_object_new_string(CC_VERSION_STRING));
    json_object_object_add(j, "kind", json_object_new_string("traveltime"));
    json_object_object_add(j, "profile", json_object_new_string(cc_profile_get_name(p->profile)));
    json_object_object_add(j, "crs", json_object_new_string(p->work_name));
    json_object *share = json_object_new_object();
    for (size_t b = 0; b < res->n_minutes; b++) {
        char key[32];
        snprintf(key, sizeof(key), "%g", res->minutes[b]);
        json_object_array_add(mins, cc__json_num(res->minutes[b], 3));
        json_object_object_add(within, key, cc__json_num(res->population_within[b], 3));
        json_object_object_add(share, key, cc__json_num(res->population_total > 0 ? res->population_within[b] / res->population_total : 0.0, 5));
    }
    for (size_t s = 0; s < p->n_sets; s++) json_object_array_add(sets, json_object_new_string(s == 0 ? "all" : p->fac.tier_name[s - 1]));
    json_object_object_add(j, "minutes", mins);
    json_object_object_add(j, "bands", sets);
    json_object_object_add(j, "population_total", cc__json_num(res->population_total, 3));
    json_object_object_add(j, "population_no_road_access", cc__json_num(res->population_no_road_access, 3));
    /* coverage's population_beyond_max + population_unreachable: a tile cannot tell them apart */
    json_object_object_add(j, "population_beyond_max_or_unreachable", cc__json_num(res->population_beyond, 3));
    json_object_object_add(j, "population_within_min", within);
    json_object_object_add(j, "share_within_min", share);
    json_object *t = json_object_new_object();
    json_object_object_add(t, "width", json_object_new_int(res->width));
    json_object_object_add(t, "height", json_object_new_int(res->height));
    json_object_object_add(t, "tile_cells", json_object_new_int(res->tile_cells));
    json_object_object_add(t, "tiles", json_object_new_int(res->tiles));
    json_object_object_add(t, "tiles_with_people", json_object_new_int(res->tiles_with_people));
    json_object_object_add(t, "halo_m", cc__json_num(res->halo_m, 1));
    json_object_object_add(t, "max_speed_kmh", cc__json_num(res->max_speed_kmh, 3));
    json_object_object_add(t, "road_ways_read", cc__json_num(res->road_ways_read, 0));
    json_object_object_add(j, "tiling", t);
    if (p->o->in.offroad.model == CC_OFFROAD_FRICTION) { /* the straight model's summary stays as it was */
        json_object *of = cc__offroad_summary_json(&p->o->in.offroad, halo_cells(p));
        json_object_object_add(of, "impassable_population", cc__offroad_impassable_json(&p->o->in.offroad, res->population_moved, res->points_moved, res->moved_max_m));
        json_object_object_add(j, "offroad", of);
    }
    json_object_object_add(j, "seconds", cc__json_num(res->t_total_s, 3));
    cc_status st = cc__write_json(ctx, cc__stage_path(&w->stage, "summary.json", path, sizeof(path)), j);
    json_object_put(j);
    return st;
}

cc_status cc__tt_writer_finish(cc_ctx *ctx, const cc__tt_plan *p, cc__tt_writer *w, const double *sums, double t0,
                               cc_traveltime_result **out)
{
    cc_status st = CC_OK;
    char path[4300];
    cc_traveltime_result *res = calloc(1, sizeof(*res));
    if (!res) return cc__fail(ctx, CC_ERR_NOMEM, "Out of memory");
    res->width = p->grid.w;
    res->height = p->grid.h;
    res->tile_cells = p->tile;
    res->tiles = cc__tt_n_tiles(p);
    res->halo_m = p->halo_m;
    res->max_speed_kmh = p->vmax_kmh;
    res->n_minutes = p->nb;
    res->max_minutes = p->bands_min[p->nb - 1];
    res->n_sets = p->n_sets;
    memcpy(res->minutes, p->bands_min, p->nb * sizeof(double));
    for (int k = 0; k < res->tiles; k++) { /* in tile order, whoever computed them */
        const double *s = sums + (size_t)k * CC__TT_NSUMS;
        res->population_total += s[CC__TT_TOTAL];
        res->population_no_road_access += s[CC__TT_NOROAD];
        res->population_beyond += s[CC__TT_BEYOND];
        res->road_ways_read += s[CC__TT_WAYS];
        res->population_moved += s[CC__TT_MOVED];
        res->points_moved += (size_t)s[CC__TT_MOVED_N];
        if (s[CC__TT_MOVED_MAX_M] > res->moved_max_m) res->moved_max_m = s[CC__TT_MOVED_MAX_M];
        res->tiles_with_people += s[CC__TT_PEOPLE_TILE] > 0;
        for (size_t b = 0; b < p->nb; b++) res->population_within[b] += s[CC__TT_WITHIN + b];
    }
    /* overviews and the cloud-optimised copy: the layout QGIS reads fastest */
    double t_cog = cc__now();
    cc__gdal_begin(ctx);
    GDALDriverH cog = GDALGetDriverByName("COG");
    const char *opts[] = {"COMPRESS=DEFLATE", "PREDICTOR=YES", "BLOCKSIZE=256", "OVERVIEWS=AUTO", "RESAMPLING=NEAREST", "NUM_THREADS=ALL_CPUS", NULL};
    GDALDatasetH cp = NULL;
    if (!cog) st = cc__fail(ctx, CC_ERR_INTERNAL, "GDAL has no COG driver");
    if (!st && !(cp = GDALCreateCopy(cog, cc__stage_path(&w->stage, "travel_time.tif", path, sizeof(path)), w->ds, FALSE, (char **)opts,
                                     cc__gdal_progress, ctx)))
        st = cc__interrupted(ctx) ? cc__fail(ctx, CC_ERR_INTERRUPTED, "Interrupted while writing '%s'", path)
                                  : cc__fail(ctx, CC_ERR_IO, "Unable to write '%s': %s", path, cc__gdal_msg(ctx));
    if (cp && cc__gdal_close(cp) && !st) st = cc__fail(ctx, CC_ERR_IO, "Unable to finish '%s': %s", path, cc__gdal_msg(ctx));
    cc__gdal_end(ctx);
    GDALClose(w->ds);
    w->ds = NULL;
    remove(w->tmp_path);
    cc__debug(ctx, "Tiles computed and stitched in %.3f s; travel_time.tif (COG) copied in %.3f s", t_cog - t0, cc__now() - t_cog);
    res->t_total_s = cc__now() - t0;
    if (!st) st = write_summary(ctx, p, w, res);
    if (!st) st = cc__stage_commit(ctx, &w->stage);
    if (!st) {
        double pct = res->population_total > 0 ? 100.0 * res->population_within[p->nb - 1] / res->population_total : 0.0;
        cc__info(ctx, "%.0f of %.0f people (%.1f%%) within %g min of a facility; %d of %d tiles hold people; %.0f road ways read over all halos",
                 res->population_within[p->nb - 1], res->population_total, pct, res->max_minutes, res->tiles_with_people, res->tiles,
                 res->road_ways_read);
    }
    if (!st && out)
        *out = res;
    else
        cc_traveltime_result_destroy(res);
    return st;
}

void cc_traveltime_result_destroy(cc_traveltime_result *r)
{
    free(r);
}

/* ---- the single-machine loop ---------------------------------------------------------------- */

cc_status cc_traveltime_run(cc_ctx *ctx, const cc_traveltime_opts *opts, cc_traveltime_result **out)
{
    cc__tt_plan p;
    cc__tt_writer w = {0};
    double t0 = cc__now();
    float *vals = NULL;
    double *sums = NULL;
    if (out) *out = NULL;
    cc_status st = cc__tt_plan_make(ctx, opts, &p);
    if (st) goto out;
    if ((st = cc__tt_writer_open(ctx, &p, &w))) goto out;
    const int nt = cc__tt_n_tiles(&p);
    vals = cc__malloc_array(p.n_sets * (size_t)p.tile * (size_t)p.tile, sizeof(float));
    sums = cc__calloc_array((size_t)nt * CC__TT_NSUMS, sizeof(double));
    if (!vals || !sums) {
        st = cc__fail(ctx, CC_ERR_NOMEM, "Out of memory for a tile of %d cells", p.tile);
        goto out;
    }
    for (int k = 0; k < nt && !st; k++) {
        if ((st = cc__tt_tile_run(ctx, &p, k, vals, sums + (size_t)k * CC__TT_NSUMS))) break;
        st = cc__tt_writer_put(ctx, &p, &w, k, vals);
        cc__progress(ctx, "Tiles", (double)(k + 1) / nt);
        if (!st && cc__interrupted(ctx)) st = cc__fail(ctx, CC_ERR_INTERRUPTED, "Interrupted after %d of %d tiles", k + 1, nt);
    }
    if (!st) st = cc__tt_writer_finish(ctx, &p, &w, sums, t0, out);
out:
    cc__tt_writer_abort(&w);
    CC__FREE_ALL(vals, sums);
    cc__tt_plan_free(&p);
    return st;
}
