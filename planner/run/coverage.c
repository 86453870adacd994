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
#include "../graph/roads_internal.h"
#include "../io/write_internal.h"
#include "../isochrone/isochrone_internal.h"
#include "../core/omp_internal.h"
#include "inputs_internal.h"
#include "run_internal.h"

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
    cc__region reg;       /* inputs, graph and joins */
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
    cc__region_free(&r->reg);
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

cc_status cc__check_minutes(cc_ctx *ctx, const double *minutes, size_t n_minutes, double *bands_min, uint32_t *bands_ms, size_t *nb)
{
    static const double dflt[] = {15, 30, 60};
    const double *m = minutes ? minutes : dflt;
    size_t n = minutes ? n_minutes : 3;
    if (n == 0 || n > CC_MAX_BANDS)
        return cc__fail(ctx, CC_ERR_PARAM, "Give between 1 and %d thresholds (parameter minutes), got %zu", CC_MAX_BANDS, n);
    for (size_t i = 0; i < n; i++) {
        char num[32];
        if (!(m[i] > 0) || m[i] > 1440 || llround(m[i] * 60000.0) < 1)
            return cc__fail(ctx, CC_ERR_PARAM,
                            "Threshold %s minutes is out of range: give minutes from 1 ms (0.0000167) to 1440 (a day)",
                            cc__num(num, m[i]));
        if (i && llround(m[i] * 60000.0) == llround(m[i - 1] * 60000.0))
            return cc__fail(ctx, CC_ERR_PARAM, "Thresholds %s and %s minutes are closer than 1 ms (parameter minutes)",
                            cc__num(num, m[i - 1]), cc__num((char[32]){0}, m[i]));
        if (i && m[i] <= m[i - 1]) return cc__fail(ctx, CC_ERR_PARAM, "Thresholds must be strictly ascending (parameter minutes), got %g after %g", m[i], m[i - 1]);
        bands_min[i] = m[i];
        bands_ms[i] = (uint32_t)llround(m[i] * 60000.0);
    }
    *nb = n;
    return CC_OK;
}

/* A coverage run needs facilities, reads admin areas and applies the scenario edits. */
static const cc__region_opts region_opts = {.need_facilities = true, .read_admin = true, .apply_edits = true};

static cc_status check_opts(run *r)
{
    cc_ctx *ctx = r->ctx;
    const cc_coverage_opts *o = r->o;
    cc_status st;
    if ((st = cc__region_check(ctx, &o->in, &region_opts))) return st;
    if (!o->out_dir) return cc__fail(ctx, CC_ERR_PARAM, "No output folder given (parameter out_dir)");
    if ((st = cc__check_minutes(ctx, o->minutes, o->n_minutes, r->bands_min, r->bands_ms, &r->nb))) return st;
    const double *m = r->bands_min;
    size_t n = r->nb;
    if (o->uncovered_minutes > 0) {
        if (o->uncovered_minutes > 1440)
            return cc__fail(ctx, CC_ERR_PARAM, "Parameter uncovered_minutes must be at most 1440, got %s", cc__num((char[32]){0}, o->uncovered_minutes));
        r->uncovered_min = o->uncovered_minutes;
    } else {
        r->uncovered_min = m[n / 2];
        for (size_t i = 0; i < n; i++)
            if (m[i] == 30) r->uncovered_min = 30;
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
    const size_t n_sets = 1 + r->reg.fac->n_tiers;
    double need = n_points * bytes_per_point(n_sets, threads) + n_cells * (4.0 * (double)n_sets + 5.0) +
                  (r->reg.graph ? 2.0 * (double)(cc_graph_get_routing_bytes(r->reg.graph) + cc_graph_get_geometry_bytes(r->reg.graph)) : 0.0);
    cc__debug(r->ctx, "Memory estimate: %.0f MiB for %.0f points and %.0f raster cells (%zu facility sets)", need / 1048576.0, n_points,
              n_cells, n_sets);
    if (phys && need > 0.8 * (double)phys)
        return cc__fail(r->ctx, CC_ERR_LIMIT, "This run needs about %.1f GiB but the machine has %.1f GiB; %s", need / 1073741824.0,
                        (double)phys / 1073741824.0, suggestion);
    return CC_OK;
}

/* ---- searches ------------------------------------------------------------------------------- */

static cc_status compute(run *r)
{
    cc_ctx *ctx = r->ctx;
    cc_status st;
    const size_t nf = r->reg.fac->n;
    r->n_sets = 1 + r->reg.fac->n_tiers;
    if (!(r->in_set = cc__calloc_array(r->n_sets * nf, 1))) return cc__fail(ctx, CC_ERR_NOMEM, "Out of memory");
    for (size_t f = 0; f < nf; f++) {
        r->in_set[f] = 1;
        if (r->reg.fac->tier[f] >= 0) r->in_set[(size_t)(1 + r->reg.fac->tier[f]) * nf + f] = 1;
    }
    r->dtime = cc__malloc_array(r->n_sets * r->reg.dem.n, sizeof(uint32_t));
    r->dfac = cc__malloc_array(r->n_sets * r->reg.dem.n, sizeof(uint32_t));
    if (!r->dtime || !r->dfac) return cc__fail(ctx, CC_ERR_NOMEM, "Out of memory for travel times of %zu points", r->reg.dem.n);
    cc__info(ctx, "Computing travel times...");
    if ((st = cc__nearest(ctx, r->reg.graph, r->reg.fjoin, r->reg.foff, nf, r->in_set, r->n_sets, r->reg.djoin, r->reg.doff, r->reg.dem.n, CC_REVERSE, r->dtime,
                          r->dfac)))
        return st;
    if (!r->reg.dem.is_raster) {
        r->gtime = cc__malloc_array(r->n_sets * r->reg.grid.n, sizeof(uint32_t));
        r->gfac = cc__malloc_array(r->n_sets * r->reg.grid.n, sizeof(uint32_t));
        if (!r->gtime || !r->gfac) return cc__fail(ctx, CC_ERR_NOMEM, "Out of memory for the travel-time grid");
        if ((st = cc__nearest(ctx, r->reg.graph, r->reg.fjoin, r->reg.foff, nf, r->in_set, r->n_sets, r->reg.gjoin, r->reg.goff, r->reg.grid.n, CC_REVERSE,
                              r->gtime, r->gfac)))
            return st;
    }
    if (cc__interrupted(ctx)) return cc__fail(ctx, CC_ERR_INTERRUPTED, "Interrupted");

    /* per-facility reach: population within each band of each facility (bounded searches) */
    cc__loc_index ix;
    if ((st = cc__loc_index_build(ctx, r->reg.graph, r->reg.djoin, r->reg.dem.n, &ix))) return st;
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
        tst[tid] = cc__reach_ws_init(&tctx, r->reg.graph, r->reg.dem.n, &ws);
        if (!tst[tid]) {
#ifdef _OPENMP
#pragma omp for schedule(dynamic, 1)
#endif
            for (size_t f = 0; f < nf; f++) {
                double acc[CC_MAX_BANDS] = {0};
                if (cc__interrupted(ctx)) continue;
                cc__reach(&ws, r->reg.graph, &ix, r->reg.djoin, r->reg.doff, r->reg.fjoin[f], r->reg.foff[f], CC_REVERSE, limit);
                for (size_t k = 0; k < ws.n; k++) {
                    double p = r->reg.dem.pop[ws.loc[k]];
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
    if (!r->reg.have_admin) return CC_OK;
    if (!(r->dadmin = cc__malloc_array(r->reg.dem.n, sizeof(int32_t)))) return cc__fail(ctx, CC_ERR_NOMEM, "Out of memory");
    return cc__points_in_polygons(ctx, r->reg.admin.geom, r->reg.admin.n, r->reg.dem.x, r->reg.dem.y, r->reg.dem.n, cc_ctx_get_threads(ctx), r->dadmin);
}

/* ---- accounting ----------------------------------------------------------------------------- */

static cc_status account(run *r)
{
    result_impl *ri = calloc(1, sizeof(*ri));
    cc_ctx *ctx = r->ctx;
    if (!ri) return cc__fail(ctx, CC_ERR_NOMEM, "Out of memory");
    r->res = ri;
    cc_coverage_result *p = &ri->pub;
    const size_t nd = r->reg.dem.n, nt = r->reg.fac->n_tiers, nb = r->nb;
    ri->tiers = cc__calloc_array(nt, sizeof(cc_tier_result));
    ri->tier_within = cc__calloc_array(nt * nb, sizeof(double));
    ri->tier_names = cc__calloc_array(nt, sizeof(char *));
    if (!ri->tiers || !ri->tier_within || !ri->tier_names) return cc__fail(ctx, CC_ERR_NOMEM, "Out of memory");
    p->n_minutes = nb;
    p->minutes = ri->minutes;
    p->population_within = ri->within;
    memcpy(ri->minutes, r->bands_min, nb * sizeof(double));
    for (size_t i = 0; i < nd; i++) {
        double pop = r->reg.dem.pop[i];
        p->population_total += pop;
        if (r->reg.djoin[i].arc == CC_INVALID_ID) {
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
        if (!(ri->tier_names[k] = cc__strdup(r->reg.fac->tier_name[k]))) return cc__fail(ctx, CC_ERR_NOMEM, "Out of memory");
        ri->tiers[k].name = ri->tier_names[k];
        ri->tiers[k].population_within = ri->tier_within + k * nb;
        for (size_t f = 0; f < r->reg.fac->n; f++)
            if (r->reg.fac->tier[f] == (int)k) {
                ri->tiers[k].facilities++;
                ri->tiers[k].facilities_snapped += r->reg.fjoin[f].arc != CC_INVALID_ID;
            }
    }
    p->facilities_total = (uint32_t)r->reg.fac->n;
    for (size_t f = 0; f < r->reg.fac->n; f++) p->facilities_snapped += r->reg.fjoin[f].arc != CC_INVALID_ID;
    p->graph_nodes = r->reg.graph->n_nodes;
    p->graph_edges = r->reg.graph->n_edges;
    p->graph_arcs = r->reg.graph->n_arcs;
    p->graph_routing_bytes = cc_graph_get_routing_bytes(r->reg.graph);
    p->graph_geometry_bytes = cc_graph_get_geometry_bytes(r->reg.graph);
    p->way_vertices = r->reg.graph->n_way_vertices;
    p->demand_points = nd;
    p->demand_is_raster = r->reg.dem.is_raster;
    snprintf(ri->crs_name, sizeof(ri->crs_name), "%s", r->reg.roads->crs_name);
    snprintf(ri->profile_name, sizeof(ri->profile_name), "%s", cc_profile_get_name(r->reg.profile));
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
        .ctx = r->ctx, .o = r->o, .profile = r->reg.profile, .graph = r->reg.graph, .roads = r->reg.roads, .crs_wkt = r->reg.roads->crs_wkt, .dem = &r->reg.dem,
        .grid = r->reg.dem.is_raster ? &r->reg.dem : &r->reg.grid, .fac = r->reg.fac, .admin = r->reg.have_admin ? &r->reg.admin : NULL,
        .fjoin = r->reg.fjoin, .foff = r->reg.foff, .djoin = r->reg.djoin, .dtime = r->dtime, .dfac = r->dfac,
        .gtime = r->reg.dem.is_raster ? r->dtime : r->gtime, .gfac = r->reg.dem.is_raster ? r->dfac : r->gfac, .n_sets = r->n_sets,
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
    if ((st = cc__region_load(ctx, &opts->in, &region_opts, &r.reg))) goto out;
    if ((st = check_memory(&r, (double)r.reg.dem.n, r.reg.dem.is_raster ? (double)r.reg.dem.grid.w * r.reg.dem.grid.h : 0.0,
                           "crop the population raster to the area of interest, use coarser cells, or map fewer tiers")))
        goto out;
    double t_load = cc__now() - t0;
    if ((st = cc__region_build(ctx, &r.reg, false))) goto out;
    double t_graph = r.reg.t_graph_s;
    t = cc__now();
    cc__info(ctx, "Joining facilities and population to roads...");
    if ((st = cc__region_join(ctx, &region_opts, &r.reg))) goto out;
    if (!r.reg.dem.is_raster) {
        double cells = cc__region_grid_cells(&r.reg);
        if ((st = check_memory(&r, (double)r.reg.dem.n + cells, cells, "use a coarser resolution_m for the travel-time grid")) ||
            (st = cc__region_grid(ctx, &r.reg)))
            goto out;
    }
    if ((st = assign_admin(&r))) goto out;
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
