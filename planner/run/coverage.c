/*
 * coverage_run.c - the coverage run end to end: read inputs, build the graph, join points to
 * the network, nearest facility of every tier for every demand point, per-facility reach,
 * accounting, isochrones and catchments, outputs staged and swapped in at the end.
 */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <glib.h>
#include <json-c/json.h>

#include "carecircle/cc_coverage.h"
#include "carecircle/cc_version.h"
#include "../access/access_internal.h"
#include "../graph/roads_internal.h"
#include "../io/write_internal.h"
#include "../isochrone/isochrone_internal.h"
#include "../core/omp_internal.h"
#include "inputs_internal.h"
#include "offroad_internal.h"
#include "run_internal.h"

typedef struct result_impl {
    cc_coverage_result pub; /* first: destroy casts */
    double minutes[CC_MAX_BANDS];
    double within[CC_MAX_BANDS];
    cc_tier_result *tiers;
    double *tier_within;
    char **tier_names;
    double head_within[CC_MAX_BANDS];
    const char **head_names; /* into tier_names */
    char crs_name[32];
    char profile_name[128];
    cc_chain_result chain;
    cc_capacity_result capacity;
    double ch_within[CC_MAX_BANDS], ch_resp[CC_MAX_BANDS], ch_trans[CC_MAX_BANDS];
} result_impl;

void cc_coverage_result_destroy(cc_coverage_result *r)
{
    result_impl *ri = (result_impl *)r;
    if (!ri) return;
    for (size_t i = 0; i < ri->pub.n_tiers; i++) free(ri->tier_names[i]);
    CC__FREE_ALL(ri->tier_names, ri->tiers, ri->tier_within, ri->head_names, ri);
}

/* Everything a run holds; freed in one place. */
typedef struct run {
    cc_ctx *ctx;
    const cc_coverage_opts *o;
    unsigned outputs;     /* CC_OUT_* flags of what to write (opts' 0 made all) */
    cc__region reg;       /* inputs, graph and joins */
    size_t n_sets;        /* 1 + tiers */
    uint8_t *in_set;      /* n_sets * n_fac */
    uint32_t *dtime, *dfac; /* n_sets * n_dem */
    uint32_t *gtime, *gfac; /* n_sets * n_grid (point demand only) */
    double *reach;        /* n_fac * n_bands: population within band of each facility */
    int32_t *dadmin;      /* admin index per demand point, -1 none */
    uint8_t *dpass;       /* friction model: 1 when the demand point's cell is passable; NULL: straight model */
    uint8_t *fstart;      /* friction model: 1 when the facility stands on a passable cell */
    cc_offroad_result offroad;
    size_t nb;
    double bands_min[CC_MAX_BANDS];
    uint32_t bands_ms[CC_MAX_BANDS];
    double uncovered_min;
    uint8_t *head;        /* per tier: counted in the headline */
    size_t n_head;
    cc_direction dir;     /* REVERSE: patient -> facility; FORWARD (emergency): facility -> patient */
    uint32_t delay_ms;    /* emergency: dispatch delay added to every time */
    /* the emergency chain (opts->chain): rows leg 1 (station -> patient), leg 2 (patient ->
     * capable facility), total (dispatch + leg 1 + on scene + leg 2), ms */
    uint32_t dispatch_ms, on_scene_ms;
    uint8_t *station_fac, *capable_fac; /* per facility */
    char capable_names[512];            /* the capable tiers as used (default resolved) */
    uint32_t *ch_d, *ch_g;              /* 3 * n_dem, 3 * n_grid (points only; raster: ch_d) */
    uint32_t ch_stations, ch_capable;   /* friction model: the stations and capable facilities on passable cells */
    double t_chain_s;
    cc__capacity cap;                   /* with in.capacity_field */
    bool have_cap;
    uint32_t cap_ms;
    cc__stage stage;
    result_impl *res;
} run;

static void run_free(run *r)
{
    cc__region_free(&r->reg);
    CC__FREE_ALL(r->in_set, r->dtime, r->dfac, r->gtime, r->gfac, r->reach, r->dadmin, r->head, r->dpass, r->fstart, r->station_fac,
                 r->capable_fac, r->ch_d, r->ch_g);
    cc__capacity_free(&r->cap);
    cc__stage_abort(&r->stage);
    cc_coverage_result_destroy((cc_coverage_result *)r->res);
}

/* ---- parameters ------------------------------------------------------------------------ */

cc_status cc__run_commit(cc_ctx *ctx, cc__stage *stage)
{
    if (cc__interrupted(ctx)) return cc__fail(ctx, CC_ERR_INTERRUPTED, "Interrupted");
    return cc__stage_commit(ctx, stage);
}

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
static const cc__region_opts region_opts = {.need_facilities = true, .read_admin = true, .apply_edits = true, .roads_optional = true};

static cc_status check_opts(run *r)
{
    cc_ctx *ctx = r->ctx;
    const cc_coverage_opts *o = r->o;
    cc_status st;
    if ((st = cc__region_check(ctx, &o->in, &region_opts))) return st;
    if ((st = cc__offroad_check(ctx, &o->in.offroad))) return st;
    if (!o->out_dir) return cc__fail(ctx, CC_ERR_PARAM, "No output folder given (parameter out_dir)");
    if (o->outputs & ~CC_OUT_ALL) return cc__fail(ctx, CC_ERR_PARAM, "Parameter outputs has unknown flags (0x%x)", o->outputs);
    r->outputs = (o->outputs ? o->outputs : CC_OUT_ALL) | CC_OUT_SUMMARY;
    if ((r->outputs & CC_OUT_REPORT) && (r->outputs & (CC_OUT_RASTER | CC_OUT_GPKG)) != (CC_OUT_RASTER | CC_OUT_GPKG))
        return cc__fail(ctx, CC_ERR_PARAM, "Outputs: report needs raster and gpkg (the maps and the QGIS project are drawn from them): add them or leave report out");
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
    double dispatch = o->dispatch_minutes == 0 ? 3.0 : o->dispatch_minutes < 0 ? 0.0 : o->dispatch_minutes;
    double on_scene = o->on_scene_minutes == 0 ? 10.0 : o->on_scene_minutes < 0 ? 0.0 : o->on_scene_minutes;
    if (!isfinite(dispatch) || dispatch > 120)
        return cc__fail(ctx, CC_ERR_PARAM, "Parameter dispatch_minutes is %g: give minutes from 0 to 120", o->dispatch_minutes);
    if (!isfinite(on_scene) || on_scene > 240)
        return cc__fail(ctx, CC_ERR_PARAM, "Parameter on_scene_minutes is %g: give minutes from 0 to 240", o->on_scene_minutes);
    r->dir = o->emergency ? CC_FORWARD : CC_REVERSE;
    r->delay_ms = o->emergency ? (uint32_t)llround(dispatch * 60000.0) : 0;
    r->dispatch_ms = (uint32_t)llround(dispatch * 60000.0);
    r->on_scene_ms = (uint32_t)llround(on_scene * 60000.0);
    double capm = o->capacity_minutes > 0 ? o->capacity_minutes : r->uncovered_min;
    if (!(capm > 0) || capm > 1440) return cc__fail(ctx, CC_ERR_PARAM, "Parameter capacity_minutes is %g: give minutes above 0 and at most 1440", capm);
    if (o->capacity_minutes > 0 && !o->in.capacity_field)
        return cc__fail(ctx, CC_ERR_PARAM, "Parameter capacity_minutes needs the facilities' capacity field (parameter capacity_field)");
    r->cap_ms = (uint32_t)llround(capm * 60000.0);
    if (o->chain && (!o->station_tiers || !*o->station_tiers))
        return cc__fail(ctx, CC_ERR_PARAM, "The emergency chain needs the tiers of the emergency stations (parameter station_tiers)");
    if (!o->chain && (o->station_tiers || o->capable_tiers || o->on_scene_minutes))
        return cc__fail(ctx, CC_ERR_PARAM, "Parameters station_tiers, capable_tiers and on_scene_minutes belong to the emergency chain (parameter chain)");
    if (!o->chain && !o->emergency && o->dispatch_minutes)
        return cc__fail(ctx, CC_ERR_PARAM, "Parameter dispatch_minutes belongs to the emergency chain or the emergency direction (parameters chain, emergency)");
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

/* Add the dispatch delay (emergency direction) to every finite time. */
static void add_delay(uint32_t *t, size_t n, uint32_t delay_ms)
{
    if (!delay_ms) return;
    for (size_t i = 0; i < n; i++)
        if (t[i] != CC_INF_COST) t[i] = (uint64_t)t[i] + delay_ms >= CC_INF_COST ? CC_INF_COST - 1 : t[i] + delay_ms;
}

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
    if (r->o->in.offroad.model == CC_OFFROAD_FRICTION) {
        if (!(r->dpass = cc__malloc_array(r->reg.dem.n ? r->reg.dem.n : 1, 1)) || !(r->fstart = cc__malloc_array(nf ? nf : 1, 1)) ||
            !(r->reach = cc__calloc_array(nf * r->nb, sizeof(double))))
            return cc__fail(ctx, CC_ERR_NOMEM, "Out of memory");
        if (!r->reg.dem.is_raster) { /* village points: every cell of the grid too */
            r->gtime = cc__malloc_array(r->n_sets * r->reg.grid.n, sizeof(uint32_t));
            r->gfac = cc__malloc_array(r->n_sets * r->reg.grid.n, sizeof(uint32_t));
            if (!r->gtime || !r->gfac) return cc__fail(ctx, CC_ERR_NOMEM, "Out of memory for the travel-time grid");
        }
        /* the emergency chain's legs with the same surface (chain_roles() ran first) */
        cc__offroad_chain ch = {.station = r->station_fac, .capable = r->capable_fac};
        if (r->o->chain) {
            const size_t nd = r->reg.dem.n, ng = r->reg.grid.n;
            if (!(r->ch_d = cc__malloc_array(3 * nd + 1, sizeof(uint32_t))) ||
                (!r->reg.dem.is_raster && !(r->ch_g = cc__malloc_array(3 * ng + 1, sizeof(uint32_t)))))
                return cc__fail(ctx, CC_ERR_NOMEM, "Out of memory for the emergency chain");
            ch.leg1_d = r->ch_d, ch.leg2_d = r->ch_d + nd;
            if (r->ch_g) ch.leg1_g = r->ch_g, ch.leg2_g = r->ch_g + ng;
        }
        st = cc__offroad_compute(ctx, &r->o->in.offroad, &r->reg, r->dir, r->delay_ms, r->n_sets, r->in_set, r->dtime, r->dfac, r->gtime, r->gfac, r->dpass,
                                 r->fstart, r->reach, r->nb, r->bands_ms, r->o->chain ? &ch : NULL, &r->stage, &r->offroad);
        if (!st && r->o->chain) {
            if (!ch.n_station)
                return cc__fail(ctx, CC_ERR_INPUT, "No facility of parameter station_tiers (%s) stands on a passable cell of the friction surface", r->o->station_tiers);
            if (!ch.n_capable)
                return cc__fail(ctx, CC_ERR_INPUT, "No facility of parameter capable_tiers (%s) stands on a passable cell of the friction surface", r->capable_names);
            r->ch_stations = (uint32_t)ch.n_station;
            r->ch_capable = (uint32_t)ch.n_capable;
        }
        return st;
    }
    if ((st = cc__nearest(ctx, r->reg.graph, r->reg.fjoin, r->reg.foff, nf, r->in_set, r->n_sets, r->reg.djoin, r->reg.doff, r->reg.dem.n, r->dir, r->dtime,
                          r->dfac)))
        return st;
    add_delay(r->dtime, r->n_sets * r->reg.dem.n, r->delay_ms);
    if (!r->reg.dem.is_raster) {
        r->gtime = cc__malloc_array(r->n_sets * r->reg.grid.n, sizeof(uint32_t));
        r->gfac = cc__malloc_array(r->n_sets * r->reg.grid.n, sizeof(uint32_t));
        if (!r->gtime || !r->gfac) return cc__fail(ctx, CC_ERR_NOMEM, "Out of memory for the travel-time grid");
        if ((st = cc__nearest(ctx, r->reg.graph, r->reg.fjoin, r->reg.foff, nf, r->in_set, r->n_sets, r->reg.gjoin, r->reg.goff, r->reg.grid.n, r->dir,
                              r->gtime, r->gfac)))
            return st;
        add_delay(r->gtime, r->n_sets * r->reg.grid.n, r->delay_ms);
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
    /* emergency: the drive may take the largest threshold less the dispatch delay */
    const uint32_t limit = r->bands_ms[r->nb - 1] > r->delay_ms ? r->bands_ms[r->nb - 1] - r->delay_ms : 0;
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
                if (cc__interrupted(ctx) || !limit) continue;
                cc__reach(&ws, r->reg.graph, &ix, r->reg.djoin, r->reg.doff, r->reg.fjoin[f], r->reg.foff[f], r->dir, limit);
                for (size_t k = 0; k < ws.n; k++) {
                    double p = r->reg.dem.pop[ws.loc[k]];
                    for (size_t b = 0; b < r->nb; b++)
                        if ((uint64_t)ws.t_ms[k] + r->delay_ms <= r->bands_ms[b]) acc[b] += p;
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

/* ---- the emergency chain ------------------------------------------------------------------- */

/* Which facilities are stations and which are capable; the default capable tiers are those of
 * capable_tiers_for_chain (DOMAIN.md section 7) that the facility file has. */
static cc_status chain_roles(run *r)
{
    cc_ctx *ctx = r->ctx;
    const cc_coverage_opts *o = r->o;
    const cc__facilities *fac = r->reg.fac;
    static const char *const dflt[] = {"county_hospital", "sub_centre"};
    uint8_t *st_t = cc__calloc_array(fac->n_tiers + 1, 1), *cap_t = cc__calloc_array(fac->n_tiers + 1, 1);
    r->station_fac = cc__calloc_array(fac->n + 1, 1);
    r->capable_fac = cc__calloc_array(fac->n + 1, 1);
    cc_status st = CC_OK;
    if (!st_t || !cap_t || !r->station_fac || !r->capable_fac) st = cc__fail(ctx, CC_ERR_NOMEM, "Out of memory");
    if (!st) st = cc__tier_flags(ctx, fac, o->in.facilities, o->station_tiers, "station_tiers", st_t);
    if (!st && o->capable_tiers) {
        st = cc__tier_flags(ctx, fac, o->in.facilities, o->capable_tiers, "capable_tiers", cap_t);
        snprintf(r->capable_names, sizeof(r->capable_names), "%s", o->capable_tiers);
    } else if (!st) {
        for (size_t d = 0; d < 2; d++)
            for (size_t k = 0; k < fac->n_tiers; k++)
                if (!strcmp(fac->tier_name[k], dflt[d])) {
                    cap_t[k] = 1;
                    size_t len = strlen(r->capable_names);
                    snprintf(r->capable_names + len, sizeof(r->capable_names) - len, "%s%s", len ? "," : "", dflt[d]);
                }
        if (!r->capable_names[0])
            st = cc__fail(ctx, CC_ERR_PARAM,
                          "The facilities of '%s' have no tier county_hospital or sub_centre; name the tiers that can treat the key diseases "
                          "(parameter capable_tiers)",
                          o->in.facilities);
    }
    /* the friction model: the facilities on a passable cell take part, counted by its search */
    const bool fric = o->in.offroad.model == CC_OFFROAD_FRICTION;
    size_t n_st = 0, n_cap = 0;
    for (size_t f = 0; !st && f < fac->n; f++) {
        int t = fac->tier[f];
        if (t < 0 || (!fric && r->reg.fjoin[f].arc == CC_INVALID_ID)) continue;
        r->station_fac[f] = st_t[t];
        r->capable_fac[f] = cap_t[t];
        n_st += st_t[t];
        n_cap += cap_t[t];
    }
    if (!st && !fric && !n_st) st = cc__fail(ctx, CC_ERR_INPUT, "No facility of parameter station_tiers (%s) joins the road network", o->station_tiers);
    if (!st && !fric && !n_cap) st = cc__fail(ctx, CC_ERR_INPUT, "No facility of parameter capable_tiers (%s) joins the road network", r->capable_names);
    if (!st && !fric) {
        r->res->chain.stations = (uint32_t)n_st;
        r->res->chain.capable_facilities = (uint32_t)n_cap;
    }
    free(st_t);
    free(cap_t);
    return st;
}

static void chain_total(const run *r, uint32_t *out, size_t n);

/* The two legs and the total for @p n points: leg 1 from the nearest station towards the point
 * (CC_FORWARD: the ambulance drives to the patient, oneway streets taken that way), leg 2 from
 * the point to the nearest capable facility (CC_REVERSE: the patient is carried there), each
 * with the point's own off-road leg; total = dispatch + leg 1 + on scene + leg 2. */
static cc_status chain_legs(run *r, const cc__join *lj, const uint32_t *lo, size_t n, uint32_t *out)
{
    cc_ctx *ctx = r->ctx;
    const size_t nf = r->reg.fac->n;
    uint32_t *fdummy = cc__malloc_array(n + 1, sizeof(uint32_t));
    if (!fdummy) return cc__fail(ctx, CC_ERR_NOMEM, "Out of memory for the emergency chain of %zu points", n);
    cc_status st = cc__nearest(ctx, r->reg.graph, r->reg.fjoin, r->reg.foff, nf, r->station_fac, 1, lj, lo, n, CC_FORWARD, out, fdummy);
    if (!st) st = cc__nearest(ctx, r->reg.graph, r->reg.fjoin, r->reg.foff, nf, r->capable_fac, 1, lj, lo, n, CC_REVERSE, out + n, fdummy);
    free(fdummy);
    if (st) return st;
    chain_total(r, out, n);
    return CC_OK;
}

/* Row 3 of the chain of @p n points: dispatch + leg 1 + on scene + leg 2 (CC_INF_COST when a leg
 * is missing). */
static void chain_total(const run *r, uint32_t *out, size_t n)
{
    for (size_t i = 0; i < n; i++) {
        uint32_t a = out[i], b = out[n + i];
        uint64_t t = (uint64_t)r->dispatch_ms + a + r->on_scene_ms + b;
        out[2 * n + i] = a == CC_INF_COST || b == CC_INF_COST ? CC_INF_COST : t >= CC_INF_COST ? CC_INF_COST - 1 : (uint32_t)t;
    }
}

static cc_status compute_chain(run *r)
{
    cc_ctx *ctx = r->ctx;
    cc_status st;
    double t0 = cc__now();
    const size_t nd = r->reg.dem.n;
    if (r->o->in.offroad.model == CC_OFFROAD_FRICTION) { /* the legs came with the travel times, over cells and roads */
        r->res->chain.stations = r->ch_stations;
        r->res->chain.capable_facilities = r->ch_capable;
        chain_total(r, r->ch_d, nd);
        if (r->ch_g) chain_total(r, r->ch_g, r->reg.grid.n);
    } else {
        if ((st = chain_roles(r))) return st;
        cc__info(ctx, "Computing the emergency chain (%u stations, %u capable facilities)...", r->res->chain.stations, r->res->chain.capable_facilities);
        if (!(r->ch_d = cc__malloc_array(3 * nd, sizeof(uint32_t)))) return cc__fail(ctx, CC_ERR_NOMEM, "Out of memory for the emergency chain");
        if ((st = chain_legs(r, r->reg.djoin, r->reg.doff, nd, r->ch_d))) return st;
    }
    if (!r->reg.dem.is_raster && r->o->in.offroad.model != CC_OFFROAD_FRICTION) {
        const size_t ng = r->reg.grid.n;
        if (!(r->ch_g = cc__malloc_array(3 * ng, sizeof(uint32_t)))) return cc__fail(ctx, CC_ERR_NOMEM, "Out of memory for the emergency chain");
        if ((st = chain_legs(r, r->reg.gjoin, r->reg.goff, ng, r->ch_g))) return st;
    }
    /* figures: within each threshold, means of each leg over the people it exists for */
    result_impl *ri = r->res;
    cc_chain_result *c = &ri->chain;
    double w1 = 0, s1 = 0, w2 = 0, s2 = 0, wt = 0, st_ = 0;
    for (size_t i = 0; i < nd; i++) {
        double p = r->reg.dem.pop[i];
        uint32_t a = r->ch_d[i], b = r->ch_d[nd + i], t = r->ch_d[2 * nd + i];
        if (a != CC_INF_COST) {
            w1 += p;
            s1 += p * a;
            for (size_t k = 0; k < r->nb; k++)
                if ((uint64_t)a + r->dispatch_ms <= r->bands_ms[k]) ri->ch_resp[k] += p;
        }
        if (b != CC_INF_COST) {
            w2 += p;
            s2 += p * b;
            for (size_t k = 0; k < r->nb; k++)
                if (b <= r->bands_ms[k]) ri->ch_trans[k] += p;
        }
        if (t == CC_INF_COST) {
            c->population_without_chain += p;
            continue;
        }
        wt += p;
        st_ += p * t;
        for (size_t k = 0; k < r->nb; k++)
            if (t <= r->bands_ms[k]) ri->ch_within[k] += p;
    }
    c->dispatch_minutes = r->dispatch_ms / 60000.0;
    c->on_scene_minutes = r->on_scene_ms / 60000.0;
    c->population_within = ri->ch_within;
    c->response_within = ri->ch_resp;
    c->transport_within = ri->ch_trans;
    c->mean_station_to_patient_s = w1 > 0 ? s1 / w1 / 1000.0 : NAN;
    c->mean_patient_to_capable_s = w2 > 0 ? s2 / w2 / 1000.0 : NAN;
    c->mean_total_s = wt > 0 ? st_ / wt / 1000.0 : NAN;
    c->t_search_s = cc__now() - t0;
    ri->pub.chain = c;
    return CC_OK;
}

/* ---- admin areas ---------------------------------------------------------------------------- */

static cc_status assign_admin(run *r)
{
    cc_ctx *ctx = r->ctx;
    if (!r->reg.have_admin) return CC_OK;
    if (!(r->dadmin = cc__malloc_array(r->reg.dem.n, sizeof(int32_t)))) return cc__fail(ctx, CC_ERR_NOMEM, "Out of memory");
    return cc__points_in_polygons(ctx, r->reg.admin.geom, r->reg.admin.n, r->reg.dem.x, r->reg.dem.y, r->reg.dem.n, cc_ctx_get_threads(ctx), r->dadmin);
}

/* ---- headline tiers ------------------------------------------------------------------------- */

/* The tiers that count as capable care: those named by opts->headline, else the tiers of the
 * highest level of care present (cc__tier_level). A name that matches no tier is an error naming
 * the tiers present. */
static cc_status resolve_headline(run *r)
{
    cc_ctx *ctx = r->ctx;
    const cc__facilities *f = r->reg.fac;
    size_t nt = f->n_tiers;
    if (!nt) return CC_OK; /* no tiers: the headline is all facilities */
    if (!(r->head = calloc(nt, 1))) return cc__fail(ctx, CC_ERR_NOMEM, "Out of memory");
    const char *h = r->o->headline;
    if (h && *h) {
        char **names = g_strsplit(h, ",", -1);
        cc_status st = CC_OK;
        for (char **n = names; *n && !st; n++) {
            g_strstrip(*n);
            if (!**n) continue;
            size_t k = 0;
            while (k < nt && strcmp(f->tier_name[k], *n)) k++;
            if (k == nt) {
                GString *g = g_string_new("");
                for (size_t j = 0; j < nt; j++) g_string_append_printf(g, "%s%s", j ? ", " : "", f->tier_name[j]);
                st = cc__fail(ctx, CC_ERR_PARAM, "Parameter headline names tier '%s', which no facility has (tiers present: %s)", *n, g->str);
                g_string_free(g, TRUE);
            } else if (!r->head[k]) {
                r->head[k] = 1;
                r->n_head++;
            }
        }
        g_strfreev(names);
        if (st) return st;
        if (r->n_head) return CC_OK;
    }
    int top = -1;
    for (size_t k = 0; k < nt; k++) top = cc__tier_level(f->tier_name[k]) > top ? cc__tier_level(f->tier_name[k]) : top;
    for (size_t k = 0; k < nt; k++)
        if (cc__tier_level(f->tier_name[k]) == top) {
            r->head[k] = 1;
            r->n_head++;
        }
    return CC_OK;
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
        if (r->dpass ? !r->dpass[i] : r->reg.djoin[i].arc == CC_INVALID_ID) {
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
        uint32_t th = r->n_head ? CC_INF_COST : t; /* nearest headline facility */
        for (size_t k = 0; k < nt; k++) {
            uint32_t tk = r->dtime[(k + 1) * nd + i];
            if (tk == CC_INF_COST) ri->tiers[k].population_unreachable += pop;
            for (size_t b = 0; b < nb; b++)
                if (tk <= r->bands_ms[b]) ri->tier_within[k * nb + b] += pop;
            if (r->n_head && r->head[k] && tk < th) th = tk;
        }
        if (th == CC_INF_COST) p->headline_unreachable += pop;
        for (size_t b = 0; b < nb; b++)
            if (th <= r->bands_ms[b]) ri->head_within[b] += pop;
    }
    p->headline_within = ri->head_within;
    if (r->n_head) {
        if (!(ri->head_names = cc__calloc_array(r->n_head, sizeof(char *)))) return cc__fail(ctx, CC_ERR_NOMEM, "Out of memory");
        p->headline_tiers = ri->head_names;
    }
    p->n_tiers = nt;
    p->tiers = ri->tiers;
    for (size_t k = 0; k < nt; k++) {
        if (!(ri->tier_names[k] = cc__strdup(r->reg.fac->tier_name[k]))) return cc__fail(ctx, CC_ERR_NOMEM, "Out of memory");
        ri->tiers[k].name = ri->tier_names[k];
        if (r->n_head && r->head[k]) ri->head_names[p->n_headline++] = ri->tier_names[k];
        ri->tiers[k].population_within = ri->tier_within + k * nb;
        for (size_t f = 0; f < r->reg.fac->n; f++)
            if (r->reg.fac->tier[f] == (int)k) {
                ri->tiers[k].facilities++;
                ri->tiers[k].facilities_snapped += r->fstart ? r->fstart[f] : r->reg.fjoin[f].arc != CC_INVALID_ID;
            }
    }
    p->facilities_total = (uint32_t)r->reg.fac->n;
    for (size_t f = 0; f < r->reg.fac->n; f++) p->facilities_snapped += r->fstart ? r->fstart[f] : r->reg.fjoin[f].arc != CC_INVALID_ID;
    if (r->reg.graph) { /* no roads: zero */
        p->graph_nodes = r->reg.graph->n_nodes;
        p->graph_edges = r->reg.graph->n_edges;
        p->graph_arcs = r->reg.graph->n_arcs;
        p->graph_routing_bytes = cc_graph_get_routing_bytes(r->reg.graph);
        p->graph_geometry_bytes = cc_graph_get_geometry_bytes(r->reg.graph);
        p->way_vertices = r->reg.graph->n_way_vertices;
    }
    p->demand_points = nd;
    p->demand_is_raster = r->reg.dem.is_raster;
    snprintf(ri->crs_name, sizeof(ri->crs_name), "%s", r->reg.roads->crs_name);
    snprintf(ri->profile_name, sizeof(ri->profile_name), "%s", cc_profile_get_name(r->reg.profile));
    p->crs_name = ri->crs_name;
    p->offroad = r->offroad;
    p->profile_name = ri->profile_name;
    p->emergency = r->o->emergency;
    p->dispatch_minutes = r->o->emergency ? r->delay_ms / 60000.0 : 0.0;
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
        .reach = r->reach, .dadmin = r->dadmin, .dpass = r->dpass, .fstart = r->fstart, .nb = r->nb, .bands_min = r->bands_min, .bands_ms = r->bands_ms,
        .uncovered_min = r->uncovered_min, .stage = &r->stage, .res = &r->res->pub,
        .chain_d = r->ch_d, .chain_g = r->reg.dem.is_raster ? r->ch_d : r->ch_g, .chain_station_tiers = r->o->station_tiers,
        .chain_capable_tiers = r->capable_names, .capacity = r->have_cap ? &r->cap : NULL, .outputs = r->outputs,
    };
    return cc__coverage_write(&co);
}

cc_status cc_coverage_outputs_parse(const char *list, unsigned *flags, const char **bad)
{
    static const struct {
        const char *name;
        unsigned flag;
    } names[] = {{"summary", CC_OUT_SUMMARY}, {"raster", CC_OUT_RASTER}, {"gpkg", CC_OUT_GPKG}, {"tables", CC_OUT_TABLES}, {"report", CC_OUT_REPORT}, {"all", CC_OUT_ALL}};
    unsigned f = CC_OUT_SUMMARY;
    if (bad) *bad = NULL;
    if (!list || !*list) return CC_ERR_PARAM;
    for (const char *p = list;;) {
        const char *e = strchr(p, ',');
        size_t n = e ? (size_t)(e - p) : strlen(p), k = 0;
        while (k < sizeof(names) / sizeof(names[0]) && (strlen(names[k].name) != n || strncmp(names[k].name, p, n))) k++;
        if (k == sizeof(names) / sizeof(names[0])) {
            if (bad) *bad = p;
            return CC_ERR_PARAM;
        }
        f |= names[k].flag;
        if (!e) break;
        p = e + 1;
    }
    *flags = f; /* never 0, which would mean "all" to cc_coverage_opts */
    return CC_OK;
}

cc_status cc_coverage_run(cc_ctx *ctx, const cc_coverage_opts *opts, cc_coverage_result **out)
{
    return cc__coverage_run_pooled(ctx, opts, NULL, out);
}

cc_status cc__coverage_run_pooled(cc_ctx *ctx, const cc_coverage_opts *opts, cc__region_pool *pool, cc_coverage_result **out)
{
    run r = {.ctx = ctx, .o = opts};
    bool pooled = false;
    cc_status st;
    double t0 = cc__now(), t;
    cc__region_pool *own_pool = NULL; /* a run alone with a cache folder: a pool of its own over the disk cache */
    cc__file_digests *own_digests = NULL;
    if (out) *out = NULL;
    if (!pool && cc_ctx_get_cache_dir(ctx)) {
        if (!(own_digests = cc__file_digests_create())) {
            st = cc__fail(ctx, CC_ERR_NOMEM, "Out of memory");
            goto out;
        }
        if ((st = cc__region_pool_create(ctx, own_digests, &own_pool)) ||
            (st = cc__region_pool_set_cache(ctx, own_pool, cc_ctx_get_cache_dir(ctx), false, NULL)))
            goto out;
        pool = own_pool;
    }
    if ((st = check_opts(&r))) goto out;
    /* claim the output folder first: an unwritable folder fails before any work */
    if ((st = cc__stage_begin(ctx, opts->out_dir, &r.stage))) goto out;
    /* in a batch: the inputs, graph topology and joins another variant prepared (the friction
     * model links cells and roads itself and loads the usual way) */
    cc__region_opts pool_opts = region_opts;
    pool_opts.defer_facility_join = true; /* joined below, after the headline is checked, as without a pool */
    if (pool && opts->in.offroad.model != CC_OFFROAD_FRICTION && (st = cc__region_from_pool(ctx, pool, &opts->in, &pool_opts, &r.reg, &pooled)))
        goto out;
    if (!pooled && (st = cc__region_load(ctx, &opts->in, &region_opts, &r.reg))) goto out;
    if ((st = resolve_headline(&r))) goto out;
    if ((st = check_memory(&r, (double)r.reg.dem.n, r.reg.dem.is_raster ? (double)r.reg.dem.grid.w * r.reg.dem.grid.h : 0.0,
                           "crop the population raster to the area of interest, use coarser cells, or map fewer tiers")))
        goto out;
    double t_load = cc__now() - t0;
    if (!pooled && (st = cc__region_build(ctx, &r.reg, !opts->in.roads))) goto out; /* no roads: a friction surface only */
    double t_graph = r.reg.t_graph_s;
    t = cc__now();
    cc__info(ctx, "Joining facilities and population to roads...");
    if (pooled) {
        /* joined already, but for the facilities of a shared topology */
        if (r.reg.fac && !r.reg.fjoin &&
            ((st = cc__join_points(ctx, r.reg.snap, r.reg.profile, r.reg.fac->x, r.reg.fac->y, r.reg.fac->n, &r.reg.fjoin, &r.reg.foff)) ||
             (st = cc__region_check_facilities(ctx, &region_opts, &r.reg))))
            goto out;
    } else if (opts->in.offroad.model == CC_OFFROAD_FRICTION) {
        if ((st = cc__offroad_join(ctx, &r.reg))) goto out;
    } else if ((st = cc__region_join(ctx, &region_opts, &r.reg))) {
        goto out;
    }
    if (!r.reg.dem.is_raster) {
        double cells = cc__region_grid_cells(&r.reg);
        if ((st = check_memory(&r, (double)r.reg.dem.n + cells, cells, "use a coarser resolution_m for the travel-time grid")) ||
            (!pooled && (st = cc__region_grid(ctx, &r.reg))))
            goto out;
    }
    if ((st = assign_admin(&r))) goto out;
    double t_snap = cc__now() - t;
    t = cc__now();
    /* the friction model times the chain's legs with its travel times: the roles first */
    if (opts->chain && opts->in.offroad.model == CC_OFFROAD_FRICTION && (st = chain_roles(&r))) goto out;
    if ((st = compute(&r))) goto out;
    double t_search = cc__now() - t;
    if ((st = account(&r))) goto out;
    if (opts->chain && (st = compute_chain(&r))) goto out;
    if (opts->in.capacity_field) {
        cc__capacity_in ci = {.graph = r.reg.graph, .fac = r.reg.fac, .fjoin = r.reg.fjoin, .foff = r.reg.foff, .dem = &r.reg.dem,
                              .grid = cc__region_cells(&r.reg), .djoin = r.reg.djoin, .gjoin = r.reg.dem.is_raster ? r.reg.djoin : r.reg.gjoin,
                              .doff = r.reg.doff, .goff = r.reg.dem.is_raster ? r.reg.doff : r.reg.goff, .dtime = r.dtime, .dfac = r.dfac,
                              .T_ms = r.cap_ms, .delay_ms = r.delay_ms, .dir = r.dir};
        if ((st = cc__capacity_compute(ctx, &ci, &r.cap))) goto out;
        r.have_cap = true;
        cc_capacity_result *cr = &r.res->capacity;
        *cr = (cc_capacity_result){.minutes = r.cap_ms / 60000.0, .population_served = r.cap.pop_served,
                                   .population_unserved_within = r.cap.pop_unserved, .population_no_access = r.cap.pop_no_access,
                                   .facilities_with_capacity = (uint32_t)r.cap.facilities_with_capacity,
                                   .facilities_over_capacity = (uint32_t)r.cap.facilities_over, .mean_access_per_1000 = 1000.0 * r.cap.mean_index,
                                   .t_s = r.cap.t_s};
        r.res->pub.capacity = cr;
    }
    cc_coverage_result *p = &r.res->pub;
    p->outputs = r.outputs;
    p->t_load_s = t_load;
    p->t_graph_s = t_graph;
    p->t_snap_s = t_snap;
    p->t_search_s = t_search;
    if (cc__interrupted(ctx)) {
        st = cc__fail(ctx, CC_ERR_INTERRUPTED, "Interrupted");
        goto out;
    }
    if ((st = write_outputs(&r)) || (st = cc__run_commit(ctx, &r.stage))) goto out;
    p->t_total_s = cc__now() - t0;
    if (out) {
        *out = p;
        r.res = NULL;
    }
out:
    run_free(&r);
    cc__region_pool_destroy(own_pool); /* after the run, which borrows from it */
    cc__file_digests_destroy(own_digests);
    return st;
}
