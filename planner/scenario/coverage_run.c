/*
 * coverage_run.c - the coverage run end to end: read inputs, build the graph, join points to
 * the network, nearest facility of every tier for every demand point, per-facility reach,
 * accounting, isochrones and catchments, outputs staged and swapped in at the end.
 */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <json-c/json.h>

#include "carecircle/cc_coverage.h"
#include "carecircle/cc_version.h"
#include "../access/access_internal.h"
#include "../io/roads_edit_internal.h"
#include "../io/write_internal.h"
#include "../isochrone/isochrone_internal.h"
#include "../core/omp_internal.h"
#include "scenario_internal.h"

typedef struct result_impl {
    cc_coverage_result pub; /* first: destroy casts */
    double minutes[CC_MAX_BANDS];
    double within[CC_MAX_BANDS];
    cc_tier_result *tiers;
    double *tier_within;
    char **tier_names;
    char crs_name[32];
    char profile_name[128];
} result_impl;

void cc_coverage_result_destroy(cc_coverage_result *r)
{
    result_impl *ri = (result_impl *)r;
    if (!ri) return;
    for (size_t i = 0; i < ri->pub.n_tiers; i++) free(ri->tier_names[i]);
    free(ri->tier_names);
    free(ri->tiers);
    free(ri->tier_within);
    free(ri);
}

/* Everything a run holds; freed in one place. */
typedef struct run {
    cc_ctx *ctx;
    const cc_coverage_opts *o;
    cc_profile *profile_owned;
    const cc_profile *profile;
    cc_roads *roads;
    cc_graph *graph;
    cc__demand dem;       /* demand points */
    cc__demand grid;      /* grid cells for rasters when demand is points (else unused) */
    cc__facilities fac;
    cc__admin admin;
    bool have_admin;
    cc__snap_index *snap;
    cc__join *fjoin, *djoin, *gjoin;
    uint32_t *foff, *doff, *goff;
    size_t n_sets;        /* 1 + tiers */
    uint8_t *in_set;      /* n_sets * n_fac */
    uint32_t *dtime, *dfac; /* n_sets * n_dem */
    uint32_t *gtime, *gfac; /* n_sets * n_grid (point demand only) */
    double *reach;        /* n_fac * n_bands: population within band of each facility */
    int32_t *dadmin;      /* admin index per demand point, -1 none */
    size_t nb;
    double bands_min[CC_MAX_BANDS];
    uint32_t bands_ms[CC_MAX_BANDS];
    double uncovered_min;
    cc__stage stage;
    result_impl *res;
} run;

static void run_free(run *r)
{
    cc_profile_destroy(r->profile_owned);
    cc_roads_destroy(r->roads);
    cc_graph_destroy(r->graph);
    cc__demand_free(&r->dem);
    cc__demand_free(&r->grid);
    cc__facilities_free(&r->fac);
    if (r->have_admin) cc__admin_free(&r->admin);
    cc__snap_index_destroy(r->snap);
    free(r->fjoin);
    free(r->djoin);
    free(r->gjoin);
    free(r->foff);
    free(r->doff);
    free(r->goff);
    free(r->in_set);
    free(r->dtime);
    free(r->dfac);
    free(r->gtime);
    free(r->gfac);
    free(r->reach);
    free(r->dadmin);
    cc__stage_abort(&r->stage);
    cc_coverage_result_destroy((cc_coverage_result *)r->res);
}

/* ---- parameters ------------------------------------------------------------------------ */

cc_status cc__check_minutes(cc_ctx *ctx, const cc_coverage_opts *o, double *bands_min, uint32_t *bands_ms, size_t *nb)
{
    static const double dflt[] = {15, 30, 60};
    const double *m = o->minutes ? o->minutes : dflt;
    size_t n = o->minutes ? o->n_minutes : 3;
    if (n == 0 || n > CC_MAX_BANDS) return cc__fail(ctx, CC_ERR_PARAM, "Give between 1 and %d thresholds (--minutes), got %zu", CC_MAX_BANDS, n);
    for (size_t i = 0; i < n; i++) {
        if (!(m[i] > 0) || m[i] > 1440)
            return cc__fail(ctx, CC_ERR_PARAM, "Threshold %g minutes is out of range: give minutes above 0 and at most 1440 (a day)", m[i]);
        if (i && m[i] <= m[i - 1]) return cc__fail(ctx, CC_ERR_PARAM, "Thresholds must be strictly ascending (--minutes), got %g after %g", m[i], m[i - 1]);
        bands_min[i] = m[i];
        bands_ms[i] = (uint32_t)llround(m[i] * 60000.0);
    }
    *nb = n;
    return CC_OK;
}

static cc_status check_opts(run *r)
{
    cc_ctx *ctx = r->ctx;
    const cc_coverage_opts *o = r->o;
    if (!o->roads) return cc__fail(ctx, CC_ERR_PARAM, "No road file given (--roads)");
    if (!o->population) return cc__fail(ctx, CC_ERR_PARAM, "No population file given (--population)");
    if (!o->facilities) return cc__fail(ctx, CC_ERR_PARAM, "No facility file given (--facilities)");
    if (!o->out_dir) return cc__fail(ctx, CC_ERR_PARAM, "No output folder given (--out)");
    cc_status st;
    if ((st = cc__check_minutes(ctx, o, r->bands_min, r->bands_ms, &r->nb))) return st;
    const double *m = r->bands_min;
    size_t n = r->nb;
    if (o->uncovered_minutes > 0) {
        if (o->uncovered_minutes > 1440) return cc__fail(ctx, CC_ERR_PARAM, "--uncovered-minutes must be at most 1440, got %g", o->uncovered_minutes);
        r->uncovered_min = o->uncovered_minutes;
    } else {
        r->uncovered_min = m[n / 2];
        for (size_t i = 0; i < n; i++)
            if (m[i] == 30) r->uncovered_min = 30;
    }
    if (o->resolution_m != 0 && (!(o->resolution_m >= 1) || o->resolution_m > 100000))
        return cc__fail(ctx, CC_ERR_PARAM, "--resolution must be between 1 and 100000 metres, got %g", o->resolution_m);
    return CC_OK;
}

/* ---- inputs ----------------------------------------------------------------------------- */

/* Scenario edits of the road records: closures by way id and by area, added roads. */
static cc_status edit_roads(run *r)
{
    cc_ctx *ctx = r->ctx;
    const cc_coverage_opts *o = r->o;
    cc_status st;
    size_t n;
    if (o->n_closed_way_ids) {
        if ((st = cc__roads_close_ids(ctx, r->roads, o->closed_way_ids, o->n_closed_way_ids, CC__WAY_CLOSED,
                                      "closed_roads", &n)))
            return st;
        cc__info(ctx, "Closed %zu road ways by id", n);
    }
    if (o->closed_areas) {
        cc__admin areas;
        cc__admin_opts ao = {.layer = o->closed_areas_layer};
        if ((st = cc__admin_read(ctx, o->closed_areas, &ao, r->roads->crs_wkt, &areas))) return st;
        st = cc__roads_close_areas(ctx, r->roads, areas.geom, areas.n, &n);
        cc__admin_free(&areas);
        if (st) return st;
        if (n == 0)
            cc__warn(ctx, "No road crosses the closure areas of '%s'; nothing is closed", o->closed_areas);
        else
            cc__info(ctx, "Closed %zu road segments inside the closure areas of '%s'", n, o->closed_areas);
    }
    if (o->added_roads) {
        cc_roads *add = NULL;
        cc_roads_opts ao = {.layer = o->added_roads_layer, .class_field = o->class_field, .speed_field = o->speed_field,
                            .crs = r->roads->crs_wkt};
        if ((st = cc_roads_read(ctx, o->added_roads, &ao, &add))) return st;
        size_t joined, loose;
        double connect = o->added_roads_connect_m > 0 ? o->added_roads_connect_m : 50.0;
        st = cc__roads_append(ctx, r->roads, add, connect, r->profile, &joined, &loose);
        size_t n_add = cc_roads_get_way_count(add);
        cc_roads_destroy(add);
        if (st) return st;
        cc__info(ctx, "Added %zu roads from '%s'; %zu ends joined to the network", n_add, o->added_roads, joined);
        if (loose)
            cc__warn(ctx, "%zu ends of the added roads of '%s' are farther than %g m from any drivable road and stay unjoined", loose,
                     o->added_roads, connect);
    }
    if (o->n_replaced_way_ids) {
        if ((st = cc__roads_close_ids(ctx, r->roads, o->replaced_way_ids, o->n_replaced_way_ids, CC__WAY_REPLACED,
                                      "added_roads.replaces", &n)))
            return st;
        cc__info(ctx, "%zu road ways replaced by added roads", n);
    }
    return CC_OK;
}

static cc_status load_inputs(run *r)
{
    cc_ctx *ctx = r->ctx;
    const cc_coverage_opts *o = r->o;
    cc_status st;
    if ((st = cc__profile_resolve(ctx, o->profile, o->profile_obj, &r->profile_owned, &r->profile))) return st;
    cc__info(ctx, "Reading roads...");
    if ((st = cc_roads_read(ctx, o->roads, &CC__ROADS_OPTS(o), &r->roads))) return st;
    if (cc__interrupted(ctx)) return cc__fail(ctx, CC_ERR_INTERRUPTED, "Interrupted");
    if ((st = edit_roads(r))) return st;
    const char *wkt = r->roads->crs_wkt;
    double t = cc__now();
    cc__info(ctx, "Reading population...");
    cc__demand_opts dop = {.pop_field = o->population_field};
    if ((st = cc__demand_read(ctx, o->population, &dop, wkt, &r->dem))) return st;
    cc__debug(ctx, "Population: %zu points read in %.3f s", r->dem.n, cc__now() - t);
    t = cc__now();
    cc__info(ctx, "Reading facilities...");
    if ((st = cc__facilities_read(ctx, o->facilities, &CC__FACILITIES_OPTS(o), wkt, &r->fac))) return st;
    cc__debug(ctx, "Facilities: read in %.3f s", cc__now() - t);
    if (o->n_facility_changes) {
        if ((st = cc__facilities_apply(ctx, &r->fac, o->facility_changes, o->n_facility_changes, wkt))) return st;
        cc__info(ctx, "Facility changes applied: %zu facilities now", r->fac.n);
    }
    if (o->admin) {
        if ((st = cc__admin_read(ctx, o->admin, &CC__ADMIN_OPTS(o), wkt, &r->admin))) return st;
        r->have_admin = true;
    }
    return CC_OK;
}

/* ---- memory ---------------------------------------------------------------------------------- */

/* Bytes per evaluation point of the run: coordinates, population, cell, join, off-road leg,
 * time and facility per set, admin index, plus the reach workspaces' per-point buffers. */
static double bytes_per_point(size_t n_sets, int threads)
{
    return 8.0 * 3 + 8 + sizeof(cc__join) + 4 + 8.0 * (double)n_sets + 4 + 8.0 * threads + 16;
}

/* Refuse a run whose estimated memory exceeds 80% of the machine's, naming what to change. */
static cc_status check_memory(run *r, double n_points, double n_cells, const char *suggestion)
{
    uint64_t phys = cc__physical_memory();
    const int threads = cc_ctx_get_threads(r->ctx);
    const size_t n_sets = 1 + r->fac.n_tiers;
    double need = n_points * bytes_per_point(n_sets, threads) + n_cells * (4.0 * (double)n_sets + 5.0) +
                  (r->graph ? 2.0 * (double)(cc_graph_get_routing_bytes(r->graph) + cc_graph_get_geometry_bytes(r->graph)) : 0.0);
    cc__debug(r->ctx, "Memory estimate: %.0f MiB for %.0f points and %.0f raster cells (%zu facility sets)", need / 1048576.0, n_points,
              n_cells, n_sets);
    if (phys && need > 0.8 * (double)phys)
        return cc__fail(r->ctx, CC_ERR_LIMIT, "This run needs about %.1f GiB but the machine has %.1f GiB; %s", need / 1073741824.0,
                        (double)phys / 1073741824.0, suggestion);
    return CC_OK;
}

/* ---- joining points to the network ---------------------------------------------------------- */

static cc_status join_points(run *r, const double *x, const double *y, size_t n, cc__join **join, uint32_t **off)
{
    return cc__join_points(r->ctx, r->snap, r->profile, x, y, n, join, off);
}

static cc_status join_all(run *r)
{
    cc_ctx *ctx = r->ctx;
    cc_status st;
    if ((st = cc__snap_index_build(ctx, r->graph, &r->snap))) return st;
    if ((st = join_points(r, r->fac.x, r->fac.y, r->fac.n, &r->fjoin, &r->foff))) return st;
    if ((st = join_points(r, r->dem.x, r->dem.y, r->dem.n, &r->djoin, &r->doff))) return st;
    /* facilities off the network: warn with names and distances */
    size_t n_off = 0;
    char list[400] = "";
    for (size_t f = 0; f < r->fac.n; f++) {
        if (r->fjoin[f].arc != CC_INVALID_ID) continue;
        if (n_off++ < 4 && strlen(list) < sizeof(list) - 100) {
            char item[100];
            snprintf(item, sizeof(item), "%s%.60s", list[0] ? ", " : "", r->fac.name[f]);
            strcat(list, item);
        }
    }
    double max_snap = cc_profile_get_max_snap_m(r->profile);
    if (n_off == r->fac.n)
        return cc__fail(ctx, CC_ERR_INPUT, "None of the %zu facilities in '%s' is within %g m of a drivable road in '%s'; do the files cover the same area?",
                        r->fac.n, r->o->facilities, max_snap, r->o->roads);
    if (n_off)
        cc__warn(ctx, "%zu of %zu facilities are farther than %g m from any drivable road and are left out: %s%s", n_off, r->fac.n, max_snap, list,
                 n_off > 4 ? ", ..." : "");
    size_t n_on = 0;
    for (size_t i = 0; i < r->dem.n; i++) n_on += r->djoin[i].arc != CC_INVALID_ID;
    if (n_on == 0)
        return cc__fail(ctx, CC_ERR_INPUT, "None of the %zu population points in '%s' is within %g m of a drivable road in '%s'; do the files cover the same area?",
                        r->dem.n, r->o->population, max_snap, r->o->roads);
    if (!r->dem.is_raster) {
        /* point demand: a working-CRS grid for the travel-time raster and polygons */
        const cc_graph *g = r->graph;
        double minx = g->minx, miny = g->miny, maxx = g->maxx, maxy = g->maxy;
        for (size_t i = 0; i < r->dem.n; i++) {
            minx = fmin(minx, r->dem.x[i]);
            maxx = fmax(maxx, r->dem.x[i]);
            miny = fmin(miny, r->dem.y[i]);
            maxy = fmax(maxy, r->dem.y[i]);
        }
        double res = r->o->resolution_m > 0 ? r->o->resolution_m : 100.0;
        double cells = ceil((maxx - minx) / res + 1) * ceil((maxy - miny) / res + 1);
        if ((st = check_memory(r, (double)r->dem.n + cells, cells, "use a coarser --resolution for the travel-time grid"))) return st;
        if ((st = cc__grid_points(ctx, minx, miny, maxx, maxy, res, r->roads->crs_wkt, (size_t)50000000, &r->grid))) return st;
        if ((st = join_points(r, r->grid.x, r->grid.y, r->grid.n, &r->gjoin, &r->goff))) return st;
    }
    return CC_OK;
}

/* ---- searches ------------------------------------------------------------------------------- */

static cc_status compute(run *r)
{
    cc_ctx *ctx = r->ctx;
    cc_status st;
    const size_t nf = r->fac.n;
    r->n_sets = 1 + r->fac.n_tiers;
    if (!(r->in_set = cc__calloc_array(r->n_sets * nf, 1))) return cc__fail(ctx, CC_ERR_NOMEM, "Out of memory");
    for (size_t f = 0; f < nf; f++) {
        r->in_set[f] = 1;
        if (r->fac.tier[f] >= 0) r->in_set[(size_t)(1 + r->fac.tier[f]) * nf + f] = 1;
    }
    r->dtime = cc__malloc_array(r->n_sets * r->dem.n, sizeof(uint32_t));
    r->dfac = cc__malloc_array(r->n_sets * r->dem.n, sizeof(uint32_t));
    if (!r->dtime || !r->dfac) return cc__fail(ctx, CC_ERR_NOMEM, "Out of memory for travel times of %zu points", r->dem.n);
    cc__info(ctx, "Computing travel times...");
    if ((st = cc__nearest(ctx, r->graph, r->fjoin, r->foff, nf, r->in_set, r->n_sets, r->djoin, r->doff, r->dem.n, CC_REVERSE, r->dtime,
                          r->dfac)))
        return st;
    if (!r->dem.is_raster) {
        r->gtime = cc__malloc_array(r->n_sets * r->grid.n, sizeof(uint32_t));
        r->gfac = cc__malloc_array(r->n_sets * r->grid.n, sizeof(uint32_t));
        if (!r->gtime || !r->gfac) return cc__fail(ctx, CC_ERR_NOMEM, "Out of memory for the travel-time grid");
        if ((st = cc__nearest(ctx, r->graph, r->fjoin, r->foff, nf, r->in_set, r->n_sets, r->gjoin, r->goff, r->grid.n, CC_REVERSE,
                              r->gtime, r->gfac)))
            return st;
    }
    if (cc__interrupted(ctx)) return cc__fail(ctx, CC_ERR_INTERRUPTED, "Interrupted");

    /* per-facility reach: population within each band of each facility (bounded searches) */
    cc__loc_index ix;
    if ((st = cc__loc_index_build(ctx, r->graph, r->djoin, r->dem.n, &ix))) return st;
    if (!(r->reach = cc__calloc_array(nf * r->nb, sizeof(double)))) {
        cc__loc_index_free(&ix);
        return cc__fail(ctx, CC_ERR_NOMEM, "Out of memory");
    }
    const int threads = cc_ctx_get_threads(ctx);
    cc_status *tst = cc__calloc_array((size_t)threads, sizeof(cc_status));
    if (!tst) {
        cc__loc_index_free(&ix);
        return cc__fail(ctx, CC_ERR_NOMEM, "Out of memory");
    }
    const uint32_t limit = r->bands_ms[r->nb - 1];
#ifdef _OPENMP
#pragma omp parallel num_threads(threads)
#endif
    {
        cc__reach_ws ws;
        int tid = cc__omp_thread_num();
        cc_ctx tctx = {0}; /* thread-private context: messages merged below */
        tst[tid] = cc__reach_ws_init(&tctx, r->graph, r->dem.n, &ws);
        if (!tst[tid]) {
#ifdef _OPENMP
#pragma omp for schedule(dynamic, 1)
#endif
            for (size_t f = 0; f < nf; f++) {
                double acc[CC_MAX_BANDS] = {0};
                if (cc__interrupted(ctx)) continue;
                cc__reach(&ws, r->graph, &ix, r->djoin, r->doff, r->fjoin[f], r->foff[f], CC_REVERSE, limit);
                for (size_t k = 0; k < ws.n; k++) {
                    double p = r->dem.pop[ws.loc[k]];
                    for (size_t b = 0; b < r->nb; b++)
                        if (ws.t_ms[k] <= r->bands_ms[b]) acc[b] += p;
                }
                for (size_t b = 0; b < r->nb; b++) r->reach[f * r->nb + b] = acc[b]; /* one write per task */
            }
        }
        cc__reach_ws_free(&ws);
    }
    for (int t = 0; t < threads && !st; t++)
        if (tst[t]) st = cc__fail(ctx, tst[t], "Out of memory for per-thread search workspaces (%d threads)", threads);
    if (!st && cc__interrupted(ctx)) st = cc__fail(ctx, CC_ERR_INTERRUPTED, "Interrupted while computing reach");
    free(tst);
    cc__loc_index_free(&ix);
    return st;
}

/* ---- admin areas ---------------------------------------------------------------------------- */

static cc_status assign_admin(run *r)
{
    cc_ctx *ctx = r->ctx;
    if (!r->have_admin) return CC_OK;
    if (!(r->dadmin = cc__malloc_array(r->dem.n, sizeof(int32_t)))) return cc__fail(ctx, CC_ERR_NOMEM, "Out of memory");
    return cc__points_in_polygons(ctx, r->admin.geom, r->admin.n, r->dem.x, r->dem.y, r->dem.n, cc_ctx_get_threads(ctx), r->dadmin);
}

/* ---- accounting ----------------------------------------------------------------------------- */

static cc_status account(run *r)
{
    result_impl *ri = calloc(1, sizeof(*ri));
    cc_ctx *ctx = r->ctx;
    if (!ri) return cc__fail(ctx, CC_ERR_NOMEM, "Out of memory");
    r->res = ri;
    cc_coverage_result *p = &ri->pub;
    const size_t nd = r->dem.n, nt = r->fac.n_tiers, nb = r->nb;
    ri->tiers = cc__calloc_array(nt, sizeof(cc_tier_result));
    ri->tier_within = cc__calloc_array(nt * nb, sizeof(double));
    ri->tier_names = cc__calloc_array(nt, sizeof(char *));
    if (!ri->tiers || !ri->tier_within || !ri->tier_names) return cc__fail(ctx, CC_ERR_NOMEM, "Out of memory");
    p->n_minutes = nb;
    p->minutes = ri->minutes;
    p->population_within = ri->within;
    memcpy(ri->minutes, r->bands_min, nb * sizeof(double));
    for (size_t i = 0; i < nd; i++) {
        double pop = r->dem.pop[i];
        p->population_total += pop;
        if (r->djoin[i].arc == CC_INVALID_ID) {
            p->population_no_road_access += pop;
            continue;
        }
        p->demand_with_road_access++;
        uint32_t t = r->dtime[i];
        if (t == CC_INF_COST)
            p->population_unreachable += pop;
        else if (t > r->bands_ms[nb - 1])
            p->population_beyond += pop;
        for (size_t b = 0; b < nb; b++)
            if (t <= r->bands_ms[b]) ri->within[b] += pop;
        for (size_t k = 0; k < nt; k++) {
            uint32_t tk = r->dtime[(k + 1) * nd + i];
            if (tk == CC_INF_COST) ri->tiers[k].population_unreachable += pop;
            for (size_t b = 0; b < nb; b++)
                if (tk <= r->bands_ms[b]) ri->tier_within[k * nb + b] += pop;
        }
    }
    p->n_tiers = nt;
    p->tiers = ri->tiers;
    for (size_t k = 0; k < nt; k++) {
        if (!(ri->tier_names[k] = cc__strdup(r->fac.tier_name[k]))) return cc__fail(ctx, CC_ERR_NOMEM, "Out of memory");
        ri->tiers[k].name = ri->tier_names[k];
        ri->tiers[k].population_within = ri->tier_within + k * nb;
        for (size_t f = 0; f < r->fac.n; f++)
            if (r->fac.tier[f] == (int)k) {
                ri->tiers[k].facilities++;
                ri->tiers[k].facilities_snapped += r->fjoin[f].arc != CC_INVALID_ID;
            }
    }
    p->facilities_total = (uint32_t)r->fac.n;
    for (size_t f = 0; f < r->fac.n; f++) p->facilities_snapped += r->fjoin[f].arc != CC_INVALID_ID;
    p->graph_nodes = r->graph->n_nodes;
    p->graph_edges = r->graph->n_edges;
    p->graph_arcs = r->graph->n_arcs;
    p->graph_routing_bytes = cc_graph_get_routing_bytes(r->graph);
    p->graph_geometry_bytes = cc_graph_get_geometry_bytes(r->graph);
    p->way_vertices = r->graph->n_way_vertices;
    p->demand_points = nd;
    p->demand_is_raster = r->dem.is_raster;
    snprintf(ri->crs_name, sizeof(ri->crs_name), "%s", r->roads->crs_name);
    snprintf(ri->profile_name, sizeof(ri->profile_name), "%s", cc_profile_get_name(r->profile));
    p->crs_name = ri->crs_name;
    p->profile_name = ri->profile_name;
    /* the identity must hold to rounding; a failure here is a bug */
    double sum = ri->within[nb - 1] + p->population_beyond + p->population_no_road_access + p->population_unreachable;
    if (fabs(sum - p->population_total) > 1e-6 * fmax(1.0, p->population_total))
        return cc__fail(ctx, CC_ERR_INTERNAL, "Population accounting does not add up: %.3f != %.3f", sum, p->population_total);
    return CC_OK;
}

/* ---- outputs -------------------------------------------------------------------------------- */

static cc_status write_outputs(run *r)
{
    cc__cov_out co = {
        .ctx = r->ctx, .o = r->o, .profile = r->profile, .graph = r->graph, .roads = r->roads, .crs_wkt = r->roads->crs_wkt, .dem = &r->dem,
        .grid = r->dem.is_raster ? &r->dem : &r->grid, .fac = &r->fac, .admin = r->have_admin ? &r->admin : NULL,
        .fjoin = r->fjoin, .foff = r->foff, .djoin = r->djoin, .dtime = r->dtime, .dfac = r->dfac,
        .gtime = r->dem.is_raster ? r->dtime : r->gtime, .gfac = r->dem.is_raster ? r->dfac : r->gfac, .n_sets = r->n_sets,
        .reach = r->reach, .dadmin = r->dadmin, .nb = r->nb, .bands_min = r->bands_min, .bands_ms = r->bands_ms,
        .uncovered_min = r->uncovered_min, .stage = &r->stage, .res = &r->res->pub,
    };
    return cc__coverage_write(&co);
}

cc_status cc_coverage_run(cc_ctx *ctx, const cc_coverage_opts *opts, cc_coverage_result **out)
{
    run r = {.ctx = ctx, .o = opts};
    cc_status st;
    double t0 = cc__now(), t;
    if (out) *out = NULL;
    if ((st = check_opts(&r))) goto out;
    /* claim the output folder first: an unwritable folder fails before any work */
    if ((st = cc__stage_begin(ctx, opts->out_dir, &r.stage))) goto out;
    if ((st = load_inputs(&r))) goto out;
    if ((st = check_memory(&r, (double)r.dem.n, r.dem.is_raster ? (double)r.dem.grid.w * r.dem.grid.h : 0.0,
                           "crop the population raster to the area of interest, use coarser cells, or map fewer tiers")))
        goto out;
    double t_load = cc__now() - t0;
    t = cc__now();
    cc__info(ctx, "Building graph...");
    if ((st = cc_graph_build(ctx, r.roads, r.profile, NULL, &r.graph))) goto out;
    double t_graph = cc__now() - t;
    t = cc__now();
    cc__info(ctx, "Joining facilities and population to roads...");
    if ((st = join_all(&r)) || (st = assign_admin(&r))) goto out;
    double t_snap = cc__now() - t;
    t = cc__now();
    if ((st = compute(&r))) goto out;
    double t_search = cc__now() - t;
    if ((st = account(&r))) goto out;
    cc_coverage_result *p = &r.res->pub;
    p->t_load_s = t_load;
    p->t_graph_s = t_graph;
    p->t_snap_s = t_snap;
    p->t_search_s = t_search;
    if (cc__interrupted(ctx)) {
        st = cc__fail(ctx, CC_ERR_INTERRUPTED, "Interrupted");
        goto out;
    }
    if ((st = write_outputs(&r))) goto out;
    if (cc__interrupted(ctx)) {
        st = cc__fail(ctx, CC_ERR_INTERRUPTED, "Interrupted");
        goto out;
    }
    if ((st = cc__stage_commit(ctx, &r.stage))) goto out;
    p->t_total_s = cc__now() - t0;
    if (out) {
        *out = p;
        r.res = NULL;
    }
out:
    run_free(&r);
    return st;
}
