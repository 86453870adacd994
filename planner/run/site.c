/*
 * site_run.c - a siting study end to end (cc_site_run): read inputs, build the graph, join
 * everything to the network, make the candidates, time the demand to the existing facilities,
 * build the coverage sets, solve (with the curve p = 1..k), evaluate the answer exactly with
 * fresh searches, and write sites.gpkg, coverage_curve.csv and summary.json (staged).
 */
#include <glib.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "carecircle/cc_report.h"
#include "carecircle/cc_site.h"
#include "../core/omp_internal.h"
#include "../site/site_internal.h"
#include "../access/sets_internal.h"
#include "inputs_internal.h"
#include "offroad_internal.h"
#include "run_internal.h"

typedef struct result_impl {
    cc_site_result pub; /* first: destroy casts */
    cc_site_pick *picks;
    char **pick_name, **pick_admin, **pick_name_zh;
    cc_site_curve_point *curve;
    cc_site_solution *sol;
    uint32_t *upgraded;   /* upgrade_tiers: the facilities upgraded to capable */
    char **upgraded_name;
    double *curve_bound;  /* upgrade_tiers: per curve point, the largest bound over the upgrade sets */
    char crs_name[32];
    char profile_name[128];
} result_impl;

void cc_site_result_destroy(cc_site_result *r)
{
    result_impl *ri = (result_impl *)r;
    if (!ri) return;
    for (size_t i = 0; i < ri->pub.n_picks; i++) {
        free(ri->pick_name[i]);
        if (ri->pick_name_zh) free(ri->pick_name_zh[i]);
        free(ri->pick_admin[i]);
    }
    for (uint32_t k = 0; ri->upgraded_name && k < ri->pub.n_upgraded; k++) free(ri->upgraded_name[k]);
    CC__FREE_ALL(ri->pick_name, ri->pick_name_zh, ri->pick_admin, ri->picks, ri->curve, ri->upgraded, ri->upgraded_name, ri->curve_bound);
    cc_site_solution_destroy(ri->sol);
    free(ri);
}

typedef struct run {
    cc_ctx *ctx;
    const cc_site_opts *o;
    cc__region reg;      /* inputs, graph and joins */
    cc__facilities cpts; /* the candidate layer */
    bool have_cpts, have_excl;
    cc__admin excl;
    cc__join *pjoin;
    uint32_t *poff;
    uint8_t *fixed;      /* per facility */
    uint8_t *fac_cand;   /* per facility: an upgrade candidate */
    cc__cands cand;
    /* parameters */
    cc_site_model model;
    bool coverage_model;
    double minutes, radius_min, dispatch_min, spacing_m;
    double outer_min; /* DSM: r2 */
    uint32_t T_ms, R_ms, delay_ms, p, curve_to;
    cc_direction dir;
    /* the emergency chain (capable_tiers): every time gets on_scene_ms + the point's own leg to the
     * nearest capable facility (leg2_d for demand points, leg2_g for grid cells) */
    bool chain;
    uint32_t on_scene_ms;
    uint32_t *leg2_d, *leg2_g;
    double *cand_cap; /* CMCLP: capacity of each candidate, persons */
    /* CMCLP with parameter capacity_field: the facilities of fixed_tiers with a capacity value are
     * capacitated (capfix); their coverage sets follow the candidates' in sets (n_capfix of them,
     * facility ids in capfix_id); time0 is then the time to the uncapacitated fixed ones */
    uint8_t *capfix;
    uint32_t n_capfix, *capfix_id;
    double *capfix_cap;
    /* times to the existing facilities (ms, CC_INF_COST: none) */
    uint32_t *time0;
    uint32_t *keep_lt;
    cc__sets sets;
    bool sets_elsewhere; /* the sets were gathered by another process (planner/mpi) */
    /* upgrade_tiers over MPI: keep_super, while set, replaces keep_lt in one build of the sets of
     * every upgrade set at once (times stored); super holds them on rank 0, where each upgrade
     * set's own sets are its pairs (sets_from_super) */
    const uint32_t *keep_super;
    cc__sets super;
    /* evaluation */
    uint32_t *dtime[2], *dfac[2], *gtime[2], *gfac[2];
    /* the friction model (in.offroad): every time is a search over cells and roads from the cell
     * that holds a facility or candidate (fcell, ccell; -1: none passable) */
    bool fric;
    cc__offroad off;
    cc_offroad_result offres;
    int64_t *fcell, *ccell;
    cc__stage stage;
    result_impl *res;
} run;

static void cands_free(cc__cands *c)
{
    for (size_t i = 0; c->name && i < c->n; i++) free(c->name[i]);
    CC__FREE_ALL(c->x, c->y, c->lon, c->lat, c->join, c->off, c->source, c->name, c->admin, c->alone);
    memset(c, 0, sizeof(*c));
}

static void run_free(run *r)
{
    cc__region_free(&r->reg);
    if (r->have_cpts) cc__facilities_free(&r->cpts);
    if (r->have_excl) cc__admin_free(&r->excl);
    CC__FREE_ALL(r->pjoin, r->poff, r->fixed, r->fac_cand);
    cands_free(&r->cand);
    CC__FREE_ALL(r->time0, r->keep_lt, r->leg2_d, r->leg2_g, r->cand_cap, r->capfix, r->capfix_id, r->capfix_cap);
    cc__sets_free(&r->sets);
    cc__sets_free(&r->super);
    cc__offroad_free(&r->off);
    CC__FREE_ALL(r->fcell, r->ccell);
    for (int k = 0; k < 2; k++) {
        CC__FREE_ALL(r->dtime[k], r->dfac[k], r->gtime[k], r->gfac[k]);
    }
    cc__stage_abort(&r->stage);
    cc_site_result_destroy((cc_site_result *)r->res);
}

/* ---- parameters ------------------------------------------------------------------------------ */

/* A siting run applies the scenario edits and reads admin areas (per-area limits, site names);
 * facilities are optional (fixed and candidate tiers need them). */
static const cc__region_opts region_opts = {.read_admin = true, .apply_edits = true, .roads_optional = true};

/* MEXCLP: p ambulances, each busy a fraction of the time, at emergency stations. */
static cc_status check_mexclp(run *r)
{
    cc_ctx *ctx = r->ctx;
    const cc_site_opts *o = r->o;
    if (r->model != CC_SITE_MEXCLP) {
        if (o->busy_fraction != 0 || (o->max_per_station != 0 && r->model != CC_SITE_DSM))
            return cc__fail(ctx, CC_ERR_PARAM, "Parameter %s belongs to the model mexclp (parameter model)", o->busy_fraction != 0 ? "busy_fraction" : "max_per_station");
        return CC_OK;
    }
    if (!o->emergency) return cc__fail(ctx, CC_ERR_PARAM, "The model mexclp places ambulances: it needs the emergency-station mode (parameter emergency)");
    if (o->busy_fraction == 0)
        return cc__fail(ctx, CC_ERR_PARAM, "The model mexclp needs parameter busy_fraction: calls per hour x mean service hours / ambulances (0.1-0.3 without the county's data)");
    if (!(o->busy_fraction > 0 && o->busy_fraction < 1))
        return cc__fail(ctx, CC_ERR_PARAM, "Parameter busy_fraction is %s: give a share of time above 0 and below 1 (e.g. 0.2)", cc__num((char[32]){0}, o->busy_fraction));
    if (o->capable_tiers) return cc__fail(ctx, CC_ERR_PARAM, "The emergency chain (parameter capable_tiers) works with the models mclp and lscp (parameter model)");
    if (o->max_per_area > 0 || o->min_per_area > 0)
        return cc__fail(ctx, CC_ERR_PARAM, "Parameters max_per_area and min_per_area work with the models mclp, lscp, pmedian and pcenter (parameter model), not mexclp");
    uint32_t p = o->p ? o->p : 1;
    if (o->max_per_station > p)
        return cc__fail(ctx, CC_ERR_PARAM, "Parameter max_per_station (%u) is more than parameter p (%u ambulances)", o->max_per_station, p);
    return CC_OK;
}

/* The double standard model: r1 = parameter minutes (default 15), r2 = parameter outer_minutes
 * (default 30: DOMAIN.md's urban and rural response targets), share alpha within r1 (default 0.95). */
static cc_status check_dsm(run *r)
{
    cc_ctx *ctx = r->ctx;
    const cc_site_opts *o = r->o;
    if (r->model != CC_SITE_DSM) {
        if (o->outer_minutes != 0 || o->alpha != 0)
            return cc__fail(ctx, CC_ERR_PARAM, "Parameter %s belongs to the model dsm (parameter model)", o->outer_minutes != 0 ? "outer_minutes" : "alpha");
        return CC_OK;
    }
    if (!o->emergency) return cc__fail(ctx, CC_ERR_PARAM, "The model dsm places ambulances: it needs the emergency-station mode (parameter emergency)");
    if (o->capable_tiers) return cc__fail(ctx, CC_ERR_PARAM, "The emergency chain (parameter capable_tiers) works with the models mclp and lscp (parameter model)");
    if (o->max_per_area > 0 || o->min_per_area > 0)
        return cc__fail(ctx, CC_ERR_PARAM, "Parameters max_per_area and min_per_area work with the models mclp, lscp, pmedian and pcenter (parameter model), not dsm");
    double a = o->alpha == 0 ? 0.95 : o->alpha < 0 ? 0 : o->alpha;
    if (!(a <= 1)) return cc__fail(ctx, CC_ERR_PARAM, "Parameter alpha is %s: give a share of the population from 0 to 1 (e.g. 0.95)", cc__num((char[32]){0}, o->alpha));
    return CC_OK;
}

/* Capacitated MCLP: every new site serves at most its capacity. */
/* The capacitated models (cmclp, cpmedian)? */
static bool capacitated(cc_site_model m)
{
    return m == CC_SITE_CMCLP || m == CC_SITE_CPMEDIAN;
}

/* Capacitated MCLP and p-median: every new site serves at most its capacity. */
static cc_status check_cmclp(run *r)
{
    cc_ctx *ctx = r->ctx;
    const cc_site_opts *o = r->o;
    if (!(o->capacity_persons >= 0) || !isfinite(o->capacity_persons))
        return cc__fail(ctx, CC_ERR_PARAM, "Parameter capacity_persons is %s: give the persons one new site can serve, above 0",
                        cc__num((char[32]){0}, o->capacity_persons));
    if (!capacitated(r->model)) {
        if (o->capacity_persons != 0) return cc__fail(ctx, CC_ERR_PARAM, "Parameter capacity_persons belongs to the models cmclp and cpmedian (parameter model)");
        if (o->in.capacity_field) /* a scenario's capacity field serves its coverage run: not refused, but said */
            cc__warn(ctx, "Parameter capacity_field is read by the siting models cmclp and cpmedian only (parameter model); the model %s "
                          "places sites without capacities", cc_site_model_name(r->model));
        return CC_OK;
    }
    const char *m = cc_site_model_name(r->model);
    if (o->capacity_persons == 0 && !(o->in.capacity_field && o->candidate_tiers && !o->candidates && !o->candidate_roads))
        return cc__fail(ctx, CC_ERR_PARAM, "The model %s needs parameter capacity_persons (the persons one new site can serve)%s", m,
                        o->in.capacity_field ? ": parameter capacity_field gives it to facility candidates only" : "");
    if (o->capable_tiers) return cc__fail(ctx, CC_ERR_PARAM, "The emergency chain (parameter capable_tiers) works with the models mclp and lscp (parameter model)");
    if (o->max_per_area > 0 || o->min_per_area > 0)
        return cc__fail(ctx, CC_ERR_PARAM, "Parameters max_per_area and min_per_area work with the models mclp, lscp, pmedian and pcenter (parameter model), not %s", m);
    return CC_OK;
}

/* CMCLP: the capacity of every candidate: a facility candidate's value of parameter capacity_field
 * when it has one, else parameter capacity_persons. Facility candidates come first, in facility
 * order (make_candidates), so the two lists are walked together. */
static cc_status candidate_capacity(run *r, double **out)
{
    cc_ctx *ctx = r->ctx;
    const cc__facilities *fac = r->reg.fac;
    double *cap = cc__malloc_array(r->cand.n ? r->cand.n : 1, sizeof(double));
    if (!cap) return cc__fail(ctx, CC_ERR_NOMEM, "Out of memory");
    size_t f = 0;
    for (size_t j = 0; j < r->cand.n; j++) {
        double c = r->o->capacity_persons;
        bool from_field = false;
        if (r->cand.source[j] == CC__CAND_FACILITY && fac && fac->capacity) {
            while (f < fac->n && !(r->fac_cand[f] && fac->x[f] == r->cand.x[j] && fac->y[f] == r->cand.y[j])) f++;
            if (f < fac->n) {
                if (!isnan(fac->capacity[f])) {
                    c = fac->capacity[f];
                    from_field = true;
                }
                f++;
            }
        }
        if (from_field && !(c >= 0 && isfinite(c))) {
            free(cap);
            return cc__fail(ctx, CC_ERR_INPUT, "Candidate <%s> has capacity %s (parameter capacity_field): give a capacity of 0 or more persons",
                            r->cand.name[j], cc__num((char[32]){0}, c));
        }
        if (!from_field && !(c > 0)) {
            free(cap);
            return cc__fail(ctx, CC_ERR_PARAM, "Candidate <%s> has no capacity (parameter capacity_field is empty): give parameter capacity_persons",
                            r->cand.name[j]);
        }
        cap[j] = c;
    }
    *out = cap;
    return CC_OK;
}

/* Parameter outputs: the siting outputs only (no raster or tables), the report with sites.gpkg. */
static cc_status check_outputs(cc_ctx *ctx, const cc_site_opts *o)
{
    if (o->outputs & ~CC_OUT_ALL) return cc__fail(ctx, CC_ERR_PARAM, "Parameter outputs has unknown flags (0x%x)", o->outputs);
    if (o->outputs & (CC_OUT_RASTER | CC_OUT_TABLES))
        return cc__fail(ctx, CC_ERR_PARAM, "Outputs: %s is a coverage output; a siting run writes summary, gpkg and report",
                        (o->outputs & CC_OUT_RASTER) ? "raster" : "tables");
    unsigned f = cc__site_outputs(o);
    if ((f & CC_OUT_REPORT) && !(f & CC_OUT_GPKG))
        return cc__fail(ctx, CC_ERR_PARAM, "Outputs: report needs gpkg (the maps and the QGIS project are drawn from sites.gpkg): add it or leave report out");
    return CC_OK;
}

static cc_status check_opts(run *r)
{
    cc_ctx *ctx = r->ctx;
    const cc_site_opts *o = r->o;
    cc_status st;
    if ((st = cc__region_check(ctx, &o->in, &region_opts))) return st;
    if ((st = cc__offroad_check(ctx, &o->in.offroad))) return st;
    r->fric = o->in.offroad.model == CC_OFFROAD_FRICTION;
    if (!o->in.roads && o->candidate_roads)
        return cc__fail(ctx, CC_ERR_PARAM, "Parameter candidate_roads places candidates along the roads: it needs parameter roads");
    if (!o->out_dir) return cc__fail(ctx, CC_ERR_PARAM, "No output folder given (parameter out_dir)");
    if ((st = check_outputs(ctx, o))) return st;
    if (!o->candidates && !o->candidate_tiers && !o->candidate_roads)
        return cc__fail(ctx, CC_ERR_PARAM, "No candidate sites: give parameter candidate_tiers, candidates or candidate_roads");
    if ((o->candidate_tiers || o->fixed_tiers) && !o->in.facilities)
        return cc__fail(ctx, CC_ERR_PARAM, "Parameter %s needs the facility file (parameter facilities)",
                        o->candidate_tiers ? "candidate_tiers" : "fixed_tiers");
    if ((unsigned)o->model > CC_SITE_CPMEDIAN) return cc__fail(ctx, CC_ERR_PARAM, "Unknown model %d (parameter model)", (int)o->model);
    r->model = o->model;
    r->coverage_model = o->model == CC_SITE_MCLP || o->model == CC_SITE_LSCP || o->model == CC_SITE_MEXCLP || o->model == CC_SITE_CMCLP ||
                        o->model == CC_SITE_DSM;
    if ((st = check_mexclp(r)) || (st = check_cmclp(r)) || (st = check_dsm(r))) return st;
    r->minutes = o->minutes ? o->minutes : r->model == CC_SITE_DSM ? 15 : 30;
    if (!(r->minutes > 0) || r->minutes > 1440)
        return cc__fail(ctx, CC_ERR_PARAM, "Parameter minutes is %s: give minutes above 0 and at most 1440", cc__num((char[32]){0}, r->minutes));
    r->p = o->p ? o->p : 1;
    if (r->p > 100000) return cc__fail(ctx, CC_ERR_PARAM, "Parameter p is %u: give at most 100000 sites", r->p);
    r->curve_to = o->curve_to ? o->curve_to : r->p;
    if (r->model == CC_SITE_LSCP || r->model == CC_SITE_DSM) r->curve_to = 0;
    /* mexclp and the capacitated models solve the curve only when asked (parameter curve_to): each
     * point is a solve of its own */
    if ((r->model == CC_SITE_MEXCLP || capacitated(r->model)) && !o->curve_to) r->curve_to = 0;
    if (r->curve_to > 100000) return cc__fail(ctx, CC_ERR_PARAM, "Parameter curve_to is %u: give at most 100000", r->curve_to);
    /* sub-centre upgrades: at most max_subcentres per county (DOMAIN.md section 2: 1-2), before any work */
    const uint32_t subcentres = o->max_subcentres ? o->max_subcentres : 2;
    if (o->candidate_tiers && !o->emergency && r->model != CC_SITE_LSCP && r->p > subcentres)
        return cc__fail(ctx, CC_ERR_PARAM, "Parameter p (%u) asks for more upgrades than the cap of %u sub-centres per county (parameter max_subcentres)",
                        r->p, subcentres);
    if (r->model == CC_SITE_LSCP) {
        double t = o->target_share ? o->target_share : 0.95;
        if (!(t > 0 && t <= 1))
            return cc__fail(ctx, CC_ERR_PARAM, "Parameter target_share is %s: give a share above 0 and at most 1 (e.g. 0.95)", cc__num((char[32]){0}, t));
    }
    r->radius_min = o->radius_minutes ? o->radius_minutes : fmax(60.0, r->minutes);
    if (!(r->radius_min >= r->minutes) || r->radius_min > 1440)
        return cc__fail(ctx, CC_ERR_PARAM, "Parameter radius_minutes is %s: give at least parameter minutes (%s) and at most 1440",
                        cc__num((char[32]){0}, r->radius_min), cc__num((char[32]){0}, r->minutes));
    r->dispatch_min = 0;
    if (o->emergency) r->dispatch_min = o->dispatch_minutes == 0 ? 3.0 : o->dispatch_minutes < 0 ? 0.0 : o->dispatch_minutes;
    if (r->dispatch_min >= r->minutes)
        return cc__fail(ctx, CC_ERR_PARAM, "The dispatch delay (%g min) leaves no time to drive within %g minutes", r->dispatch_min, r->minutes);
    r->spacing_m = o->spacing_m ? o->spacing_m : 1000;
    if (!(r->spacing_m >= 10) || r->spacing_m > 1e6)
        return cc__fail(ctx, CC_ERR_PARAM, "Parameter spacing_m is %s: give between 10 and 1000000 metres", cc__num((char[32]){0}, r->spacing_m));
    if ((o->max_per_area > 0 || o->min_per_area > 0) && !o->in.admin)
        return cc__fail(ctx, CC_ERR_PARAM, "Parameters max_per_area and min_per_area need admin areas (parameter admin)");
    if (o->max_per_area > 0 && o->min_per_area > o->max_per_area)
        return cc__fail(ctx, CC_ERR_PARAM, "Parameter min_per_area (%d) is above parameter max_per_area (%d)", o->min_per_area, o->max_per_area);
    r->T_ms = (uint32_t)llround(r->minutes * 60000.0);
    r->R_ms = r->coverage_model ? r->T_ms : (uint32_t)llround(r->radius_min * 60000.0);
    if (r->model == CC_SITE_DSM) { /* the coverage sets reach to r2 */
        r->outer_min = o->outer_minutes ? o->outer_minutes : 30;
        if (!(r->outer_min > r->minutes) || r->outer_min > 1440)
            return cc__fail(ctx, CC_ERR_PARAM, "Parameter outer_minutes is %s: give more than parameter minutes (%s) and at most 1440",
                            cc__num((char[32]){0}, r->outer_min), cc__num((char[32]){0}, r->minutes));
        r->R_ms = (uint32_t)llround(r->outer_min * 60000.0);
    }
    r->delay_ms = (uint32_t)llround(r->dispatch_min * 60000.0);
    r->dir = o->emergency ? CC_FORWARD : CC_REVERSE;
    r->chain = o->capable_tiers != NULL;
    if (r->chain && !o->emergency)
        return cc__fail(ctx, CC_ERR_PARAM, "Parameter capable_tiers (the emergency chain) needs the emergency-station mode (parameter emergency)");
    if (r->chain && !r->coverage_model)
        return cc__fail(ctx, CC_ERR_PARAM, "The emergency chain (parameter capable_tiers) works with the models mclp and lscp (parameter model)");
    if (!r->chain && o->on_scene_minutes)
        return cc__fail(ctx, CC_ERR_PARAM, "Parameter on_scene_minutes belongs to the emergency chain (parameter capable_tiers)");
    if (r->chain && !o->in.facilities) return cc__fail(ctx, CC_ERR_PARAM, "Parameter capable_tiers needs the facility file (parameter facilities)");
    double on_scene = o->on_scene_minutes == 0 ? 10.0 : o->on_scene_minutes < 0 ? 0.0 : o->on_scene_minutes;
    if (!isfinite(on_scene) || on_scene > 240)
        return cc__fail(ctx, CC_ERR_PARAM, "Parameter on_scene_minutes is %g: give minutes from 0 to 240", o->on_scene_minutes);
    r->on_scene_ms = r->chain ? (uint32_t)llround(on_scene * 60000.0) : 0;
    if (o->upgrade_tiers) {
        if (!r->chain || r->model != CC_SITE_MCLP)
            return cc__fail(ctx, CC_ERR_PARAM, "Parameter upgrade_tiers upgrades facilities on the emergency chain: it needs parameter capable_tiers and the model mclp (parameter model)");
        if (!o->upgrade_tiers[strspn(o->upgrade_tiers, " ,")])
            return cc__fail(ctx, CC_ERR_PARAM, "Parameter upgrade_tiers names no tier: give a comma list of the tiers whose facilities may be upgraded");
    }
    return CC_OK;
}

/* The chain's second leg of every demand point and grid cell: patient -> nearest facility of
 * capable_tiers (towards the facility), as coverage --chain computes it. */
static cc_status chain_leg2(run *r)
{
    cc_ctx *ctx = r->ctx;
    const cc__facilities *fac = r->reg.fac;
    uint8_t *cap_t = cc__calloc_array(fac->n_tiers + 1, 1), *set = cc__calloc_array(fac->n + 1, 1);
    const cc__demand *grid = r->reg.dem.is_raster ? &r->reg.dem : &r->reg.grid;
    uint32_t *fdummy = cc__malloc_array((r->reg.dem.n > grid->n ? r->reg.dem.n : grid->n) + 1, sizeof(uint32_t));
    cc_status st = CC_OK;
    size_t n_cap = 0;
    r->leg2_d = cc__malloc_array(r->reg.dem.n + 1, sizeof(uint32_t));
    if (!r->reg.dem.is_raster) r->leg2_g = cc__malloc_array(grid->n + 1, sizeof(uint32_t));
    if (!cap_t || !set || !fdummy || !r->leg2_d || (!r->reg.dem.is_raster && !r->leg2_g)) {
        st = cc__fail(ctx, CC_ERR_NOMEM, "Out of memory");
        goto out;
    }
    if ((st = cc__tier_flags(ctx, fac, r->o->in.facilities, r->o->capable_tiers, "capable_tiers", cap_t))) goto out;
    for (size_t f = 0; f < fac->n; f++) {
        set[f] = fac->tier[f] >= 0 && cap_t[fac->tier[f]] && (r->fric ? r->fcell[f] >= 0 : r->reg.fjoin[f].arc != CC_INVALID_ID);
        n_cap += set[f];
    }
    if (!n_cap) {
        st = cc__fail(ctx, CC_ERR_INPUT, "No facility of parameter capable_tiers (%s) %s", r->o->capable_tiers,
                      r->fric ? "stands on a passable cell of the friction surface" : "joins the road network");
        goto out;
    }
    cc__info(ctx, "Timing the population to the %zu capable facilities (the chain's second leg)...", n_cap);
    if (r->fric) { /* patient -> capable facility over cells and roads (the search's own direction, no delay) */
        cc__offroad_chain ch = {.capable = set, .leg2_d = r->leg2_d, .leg2_g = r->leg2_g};
        st = cc__offroad_chain_legs(ctx, &r->off, NULL, r->fcell, &ch);
        goto out;
    }
    st = cc__nearest(ctx, r->reg.graph, r->reg.fjoin, r->reg.foff, fac->n, set, 1, r->reg.djoin, r->reg.doff, r->reg.dem.n, CC_REVERSE,
                     r->leg2_d, fdummy);
    if (!st && !r->reg.dem.is_raster)
        st = cc__nearest(ctx, r->reg.graph, r->reg.fjoin, r->reg.foff, fac->n, set, 1, r->reg.gjoin, r->reg.goff, grid->n, CC_REVERSE,
                         r->leg2_g, fdummy);
out:
    CC__FREE_ALL(cap_t, set, fdummy);
    return st;
}

/* ---- inputs ------------------------------------------------------------------------------------- */

/* Which facilities stay (fixed tiers) and which may be upgraded (candidate tiers). */
static cc_status facility_roles(run *r)
{
    cc_ctx *ctx = r->ctx;
    const cc_site_opts *o = r->o;
    const cc__facilities *fac = r->reg.fac;
    uint8_t *fixed_t = cc__calloc_array(fac->n_tiers + 1, 1), *cand_t = cc__calloc_array(fac->n_tiers + 1, 1);
    r->fixed = cc__calloc_array(fac->n, 1);
    r->fac_cand = cc__calloc_array(fac->n, 1);
    cc_status st = CC_OK;
    if (!fixed_t || !cand_t || !r->fixed || !r->fac_cand) st = cc__fail(ctx, CC_ERR_NOMEM, "Out of memory");
    if (!st && o->fixed_tiers) st = cc__tier_flags(ctx, fac, o->in.facilities, o->fixed_tiers, "fixed_tiers", fixed_t);
    if (!st && o->candidate_tiers) st = cc__tier_flags(ctx, fac, o->in.facilities, o->candidate_tiers, "candidate_tiers", cand_t);
    for (size_t f = 0; !st && f < fac->n; f++) {
        int t = fac->tier[f];
        if (t < 0) continue;
        r->fixed[f] = fixed_t[t];
        r->fac_cand[f] = cand_t[t] && !fixed_t[t];
    }
    CC__FREE_ALL(fixed_t, cand_t);
    return st;
}

/* The region's inputs, then what only siting reads: the candidate layer and excluded areas. */
static cc_status load_inputs(run *r)
{
    cc_ctx *ctx = r->ctx;
    const cc_site_opts *o = r->o;
    cc_status st;
    if ((st = cc__region_load(ctx, &o->in, &region_opts, &r->reg))) return st;
    if (r->reg.fac && (st = facility_roles(r))) return st;
    const char *wkt = r->reg.roads->crs_wkt;
    if (o->candidates) {
        cc__info(ctx, "Reading candidate sites...");
        cc__facilities_opts co = {.name_field = o->candidate_name_field, .lon_field = o->in.lon_field, .lat_field = o->in.lat_field};
        if ((st = cc__facilities_read(ctx, o->candidates, &co, wkt, &r->cpts))) return st;
        r->have_cpts = true;
    }
    if (o->exclude) {
        cc__admin_opts xo = {.what = "exclusion area file", .may_overlap = true};
        if ((st = cc__admin_read(ctx, o->exclude, &xo, wkt, &r->excl))) return st;
        r->have_excl = true;
    }
    return CC_OK;
}

/* The friction model: the surface and the road links, and the cell of every facility. */
static cc_status offroad_prepare(run *r)
{
    cc_ctx *ctx = r->ctx;
    size_t nf = r->reg.fac ? r->reg.fac->n : 0, n_bad = 0;
    cc_status st;
    if ((st = cc__offroad_prepare(ctx, &r->o->in.offroad, &r->reg, &r->off, &r->offres))) return st;
    r->off.dir = r->dir; /* emergency: from the station to the patient, slopes taken its way */
    r->off.delay_ms = r->delay_ms;
    if (!(r->fcell = cc__malloc_array(nf ? nf : 1, sizeof(int64_t)))) return cc__fail(ctx, CC_ERR_NOMEM, "Out of memory");
    if (nf && (st = cc__offroad_cells(ctx, &r->off, r->reg.fac->x, r->reg.fac->y, nf, r->fcell, &n_bad))) return st;
    if (n_bad)
        cc__warn(ctx, "%zu of %zu facilities stand outside the friction surface or on a barrier or nodata cell and are left out", n_bad, nf);
    cc__offroad_warn_impassable(ctx, &r->off);
    return CC_OK;
}

static cc_status join_all(run *r)
{
    cc_ctx *ctx = r->ctx;
    cc_status st;
    if (r->fric) {
        if ((st = cc__offroad_join(ctx, &r->reg))) return st;
    } else if ((st = cc__region_join(ctx, &region_opts, &r->reg))) {
        return st;
    }
    if (r->have_cpts && (st = cc__join_points(ctx, r->reg.snap, r->reg.profile, r->cpts.x, r->cpts.y, r->cpts.n, &r->pjoin, &r->poff)))
        return st;
    if ((st = cc__region_grid(ctx, &r->reg))) return st;
    return r->fric ? offroad_prepare(r) : CC_OK; /* village points: the surface is on the grid */
}

/* ---- candidates -------------------------------------------------------------------------------------- */

static cc_status cand_push(cc__cands *c, double x, double y, double lon, double lat, cc__join j, uint32_t off, uint8_t src,
                           const char *name)
{
    size_t i = c->n++;
    c->x[i] = x;
    c->y[i] = y;
    c->lon[i] = lon;
    c->lat[i] = lat;
    c->join[i] = j;
    c->off[i] = off;
    c->source[i] = src;
    c->admin[i] = -1;
    c->name[i] = cc__strdup(name);
    return c->name[i] ? CC_OK : CC_ERR_NOMEM;
}

static cc_status make_candidates(run *r, cc_site_result *res)
{
    cc_ctx *ctx = r->ctx;
    cc_status st = CC_OK;
    cc__road_pts rp = {0};
    cc__cands *c = &r->cand;
    if (r->o->candidate_roads) {
        cc__info(ctx, "Placing candidates every %g m along roads...", r->spacing_m);
        if ((st = cc__road_candidates(ctx, r->reg.graph, r->reg.roads, r->o->candidate_roads, r->spacing_m, r->spacing_m / 2, &rp))) return st;
    }
    size_t cap = rp.n + ((r->reg.fac != NULL) ? r->reg.fac->n : 0) + (r->have_cpts ? r->cpts.n : 0);
    c->x = cc__malloc_array(cap, sizeof(double));
    c->y = cc__malloc_array(cap, sizeof(double));
    c->lon = cc__malloc_array(cap, sizeof(double));
    c->lat = cc__malloc_array(cap, sizeof(double));
    c->join = cc__malloc_array(cap, sizeof(cc__join));
    c->off = cc__malloc_array(cap, sizeof(uint32_t));
    c->source = cc__malloc_array(cap, 1);
    c->name = cc__calloc_array(cap, sizeof(char *));
    c->admin = cc__malloc_array(cap, sizeof(int32_t));
    if (!c->x || !c->y || !c->lon || !c->lat || !c->join || !c->off || !c->source || !c->name || !c->admin) goto nomem;
    uint32_t off_fac = 0, off_layer = 0;
    for (size_t f = 0; (r->reg.fac != NULL) && f < r->reg.fac->n; f++) {
        if (!r->fac_cand[f]) continue;
        if (r->reg.fjoin[f].arc == CC_INVALID_ID && !r->fric) {
            off_fac++;
            continue;
        }
        if (cand_push(c, r->reg.fac->x[f], r->reg.fac->y[f], r->reg.fac->lon[f], r->reg.fac->lat[f], r->reg.fjoin[f], r->reg.foff[f], CC__CAND_FACILITY,
                      r->reg.fac->name[f]))
            goto nomem;
        res->candidates_facility++;
    }
    for (size_t f = 0; r->have_cpts && f < r->cpts.n; f++) {
        if (r->pjoin[f].arc == CC_INVALID_ID && !r->fric) {
            off_layer++;
            continue;
        }
        if (cand_push(c, r->cpts.x[f], r->cpts.y[f], r->cpts.lon[f], r->cpts.lat[f], r->pjoin[f], r->poff[f], CC__CAND_LAYER,
                      r->cpts.name[f]))
            goto nomem;
        res->candidates_layer++;
    }
    if (rp.n) {
        /* lon/lat of the road points */
        double *lx = cc__malloc_array(rp.n, sizeof(double)), *ly = cc__malloc_array(rp.n, sizeof(double));
        if (!lx || !ly) {
            free(lx);
            free(ly);
            goto nomem;
        }
        memcpy(lx, rp.x, rp.n * sizeof(double));
        memcpy(ly, rp.y, rp.n * sizeof(double));
        st = cc__to_lonlat(ctx, r->reg.roads->crs_wkt, lx, ly, rp.n);
        for (size_t i = 0; !st && i < rp.n; i++) {
            char nm[160];
            const cc_graph *g = r->reg.graph;
            uint32_t cls = r->reg.roads->cls[g->arc_way[rp.join[i].arc]];
            snprintf(nm, sizeof(nm), "%s road point %zu", cls == CC__NO_STRING ? "road" : r->reg.roads->strings.str[cls], i + 1);
            if (cand_push(c, rp.x[i], rp.y[i], lx[i], ly[i], rp.join[i], 0, CC__CAND_ROAD, nm)) st = CC_ERR_NOMEM;
            else res->candidates_road++;
        }
        free(lx);
        free(ly);
        if (st == CC_ERR_NOMEM) goto nomem;
        if (st) goto out;
    }
    if (off_fac + off_layer)
        cc__warn(ctx, "%u candidate sites are farther than %g m from any drivable road and are left out", off_fac + off_layer,
                 cc_profile_get_max_snap_m(r->reg.profile));
    res->candidates_dropped_offroad = off_fac + off_layer;
    /* excluded areas */
    if (r->have_excl && c->n) {
        int32_t *in = cc__malloc_array(c->n, sizeof(int32_t));
        if (!in) goto nomem;
        if ((st = cc__points_in_polygons(ctx, r->excl.geom, r->excl.n, c->x, c->y, c->n, cc_ctx_get_threads(ctx), in))) {
            free(in);
            goto out;
        }
        size_t k = 0;
        for (size_t i = 0; i < c->n; i++) {
            if (in[i] >= 0) {
                free(c->name[i]);
                res->candidates_dropped_excluded++;
                uint32_t *n_src = c->source[i] == CC__CAND_FACILITY ? &res->candidates_facility
                                  : c->source[i] == CC__CAND_LAYER  ? &res->candidates_layer
                                                                    : &res->candidates_road;
                (*n_src)--;
                continue;
            }
            const cc__column cols[] = {CC__COLUMN(c->x, true),      CC__COLUMN(c->y, true),    CC__COLUMN(c->lon, true),
                                       CC__COLUMN(c->lat, true),    CC__COLUMN(c->join, true), CC__COLUMN(c->off, true),
                                       CC__COLUMN(c->source, true), CC__COLUMN(c->name, true)};
            cc__move_row(cols, sizeof(cols) / sizeof(cols[0]), k++, i);
        }
        for (size_t i = k; i < c->n; i++) c->name[i] = NULL;
        c->n = k;
        free(in);
        if (res->candidates_dropped_excluded)
            cc__info(ctx, "%u candidates lie in excluded areas of '%s' and are left out", res->candidates_dropped_excluded, r->o->exclude);
    }
    if (c->n == 0)
        st = cc__fail(ctx, CC_ERR_INPUT, "No candidate site is left (%u off the roads, %u in excluded areas); check the candidate options",
                      res->candidates_dropped_offroad, res->candidates_dropped_excluded);
    if (!st && r->reg.have_admin)
        st = cc__points_in_polygons(ctx, r->reg.admin.geom, r->reg.admin.n, c->x, c->y, c->n, cc_ctx_get_threads(ctx), c->admin);
    res->candidates_total = (uint32_t)c->n;
    goto out;
nomem:
    st = cc__fail(ctx, CC_ERR_NOMEM, "Out of memory making candidate sites");
out:
    cc__road_pts_free(&rp);
    return st;
}

/* The friction model: each candidate starts at the cell that holds it; candidates outside the
 * surface or on an impassable cell are left out (counted with those off the roads). */
static cc_status cand_cells(run *r, cc_site_result *res)
{
    cc__cands *c = &r->cand;
    size_t n_bad = 0, k = 0;
    cc_status st;
    if (!(r->ccell = cc__malloc_array(c->n ? c->n : 1, sizeof(int64_t)))) return cc__fail(r->ctx, CC_ERR_NOMEM, "Out of memory");
    if ((st = cc__offroad_cells(r->ctx, &r->off, c->x, c->y, c->n, r->ccell, &n_bad))) return st;
    for (size_t i = 0; i < c->n; i++) {
        if (r->ccell[i] < 0) {
            free(c->name[i]);
            uint32_t *n_src = c->source[i] == CC__CAND_FACILITY ? &res->candidates_facility
                              : c->source[i] == CC__CAND_LAYER  ? &res->candidates_layer
                                                                : &res->candidates_road;
            (*n_src)--;
            continue;
        }
        c->x[k] = c->x[i], c->y[k] = c->y[i], c->lon[k] = c->lon[i], c->lat[k] = c->lat[i];
        c->join[k] = c->join[i], c->off[k] = c->off[i], c->source[k] = c->source[i], c->name[k] = c->name[i];
        c->admin[k] = c->admin[i], r->ccell[k] = r->ccell[i];
        k++;
    }
    for (size_t i = k; i < c->n; i++) c->name[i] = NULL;
    c->n = k;
    res->candidates_dropped_offroad += (uint32_t)n_bad;
    res->candidates_total = (uint32_t)k;
    if (n_bad) cc__warn(r->ctx, "%zu candidate sites stand outside the friction surface or on an impassable cell and are left out", n_bad);
    if (k == 0) return cc__fail(r->ctx, CC_ERR_INPUT, "No candidate site stands on a passable cell of the friction surface");
    return CC_OK;
}

/* ---- times to the existing facilities ------------------------------------------------------------------ */

/* Nearest time (ms, with the dispatch delay) from the facilities flagged in @p in_set, for the
 * given points; fac_out gets the index of the nearest. */
static cc_status nearest_of(run *r, const cc__join *fj, const uint32_t *fo, size_t nf, const uint8_t *in_set, const cc__join *lj,
                            const uint32_t *lo, size_t nl, uint32_t *t_out, uint32_t *f_out)
{
    /* the chain: the rest of it (on scene + leg 2) is the point's own, from the same arrays */
    const uint32_t *leg2 = !r->chain ? NULL : lj == r->reg.djoin ? r->leg2_d : r->leg2_g;
    cc_status st;
    if (nf == 0) {
        for (size_t i = 0; i < nl; i++) {
            t_out[i] = CC_INF_COST;
            if (f_out) f_out[i] = CC_INVALID_ID;
        }
        return CC_OK;
    }
    uint32_t *fdummy = f_out ? NULL : cc__malloc_array(nl, sizeof(uint32_t));
    if (!f_out && !fdummy) return cc__fail(r->ctx, CC_ERR_NOMEM, "Out of memory");
    st = cc__nearest(r->ctx, r->reg.graph, fj, fo, nf, in_set, 1, lj, lo, nl, r->dir, t_out, f_out ? f_out : fdummy);
    free(fdummy);
    if (st) return st;
    for (size_t i = 0; i < nl; i++) {
        if (t_out[i] == CC_INF_COST) continue;
        if (leg2 && leg2[i] == CC_INF_COST) {
            t_out[i] = CC_INF_COST;
            if (f_out) f_out[i] = CC_INVALID_ID;
            continue;
        }
        uint64_t t = (uint64_t)t_out[i] + r->delay_ms + (leg2 ? (uint64_t)r->on_scene_ms + leg2[i] : 0);
        t_out[i] = t >= CC_INF_COST ? CC_INF_COST - 1 : (uint32_t)t;
    }
    return CC_OK;
}

/* CMCLP with parameter capacity_field: which facilities of fixed_tiers are capacitated (a value in
 * the field, and within reach of a road or on a passable cell); capfix holds two flags per facility:
 * [f] capacitated, [nf + f] fixed and not capacitated. */
static cc_status capacitated_fixed(run *r, cc_site_result *res)
{
    const cc__facilities *fac = r->reg.fac;
    size_t nf = fac ? fac->n : 0;
    if (!capacitated(r->model) || !fac || !fac->capacity || !nf) return CC_OK;
    r->capfix = cc__calloc_array(2 * nf, 1);
    r->capfix_id = cc__malloc_array(nf, sizeof(uint32_t));
    r->capfix_cap = cc__malloc_array(nf, sizeof(double));
    if (!r->capfix || !r->capfix_id || !r->capfix_cap) return cc__fail(r->ctx, CC_ERR_NOMEM, "Out of memory");
    for (size_t f = 0; f < nf; f++) {
        bool joined = r->fric ? r->fcell[f] >= 0 : r->reg.fjoin[f].arc != CC_INVALID_ID;
        bool cap = r->fixed[f] && !isnan(fac->capacity[f]);
        r->capfix[nf + f] = r->fixed[f] && !cap;
        if (!cap || !joined) continue;
        r->capfix[f] = 1;
        r->capfix_id[r->n_capfix] = (uint32_t)f;
        r->capfix_cap[r->n_capfix++] = fac->capacity[f];
    }
    res->capacitated_existing = r->n_capfix;
    if (r->n_capfix)
        cc__info(r->ctx, "%u existing facilities have a capacity (parameter capacity_field) and share their people with the new sites", r->n_capfix);
    return CC_OK;
}

/* The friction model's times (delay included) of @p n points through the chain: plus on scene and
 * the point's own leg 2 (@p leg2), none without it. */
static void fric_chain_tail(const run *r, const uint32_t *leg2, uint32_t *t, uint32_t *fac, size_t n)
{
    if (!r->chain) return;
    for (size_t i = 0; i < n; i++) {
        if (t[i] == CC_INF_COST) continue;
        if (leg2[i] == CC_INF_COST) {
            t[i] = CC_INF_COST;
            if (fac) fac[i] = CC_INVALID_ID;
            continue;
        }
        uint64_t x = (uint64_t)t[i] + r->on_scene_ms + leg2[i];
        t[i] = x >= CC_INF_COST ? CC_INF_COST - 1 : (uint32_t)x;
    }
}

static cc_status base_times(run *r, cc_site_result *res)
{
    cc_ctx *ctx = r->ctx;
    size_t nf = (r->reg.fac != NULL) ? r->reg.fac->n : 0;
    if (!(r->time0 = cc__malloc_array(r->reg.dem.n, sizeof(uint32_t)))) return cc__fail(ctx, CC_ERR_NOMEM, "Out of memory");
    for (size_t f = 0; f < nf; f++) res->fixed_facilities += r->fixed[f] && (r->fric ? r->fcell[f] >= 0 : r->reg.fjoin[f].arc != CC_INVALID_ID);
    if (r->o->fixed_tiers && res->fixed_facilities == 0)
        cc__warn(ctx, "No facility of parameter fixed_tiers (%s) is within reach of a road; nothing counts as covered already", r->o->fixed_tiers);
    cc__info(ctx, "Timing the population to the %u existing facilities...", res->fixed_facilities);
    cc_status st;
    if ((st = capacitated_fixed(r, res))) return st;
    const uint8_t *set = r->capfix ? r->capfix + nf : r->fixed; /* the uncapacitated ones */
    if (r->fric) {
        if ((st = cc__offroad_nearest(ctx, &r->off, NULL, r->fcell, set, nf, r->time0, NULL, NULL, NULL))) return st;
        fric_chain_tail(r, r->leg2_d, r->time0, NULL, r->reg.dem.n);
        return CC_OK;
    }
    return nearest_of(r, r->reg.fjoin, r->reg.foff, nf, set, r->reg.djoin, r->reg.doff, r->reg.dem.n, r->time0, NULL);
}

/* ---- coverage sets ------------------------------------------------------------------------------------------ */

/* Figures of the built sets, and what each candidate adds on its own. */
static cc_status sets_figures(run *r, cc_site_result *res)
{
    cc__debug(r->ctx, "Coverage sets digest %016llx (%llu pairs)", (unsigned long long)cc__sets_digest(&r->sets),
              (unsigned long long)r->sets.first[r->sets.n_cand]);
    res->pairs = r->sets.first[r->sets.n_cand];
    res->sets_bytes = r->sets.bytes;
    res->bytes_per_pair = res->pairs ? (double)r->sets.bytes / (double)res->pairs : (r->coverage_model ? 4.0 : 8.0);
    res->settled_nodes = r->sets.settled;
    if (!(r->cand.alone = cc__calloc_array(r->cand.n ? r->cand.n : 1, sizeof(double)))) return cc__fail(r->ctx, CC_ERR_NOMEM, "Out of memory");
    for (size_t j = 0; j < r->cand.n; j++) {
        double a = 0;
        for (uint64_t e = r->sets.first[j]; e < r->sets.first[j + 1]; e++) {
            uint32_t i = r->sets.dem[e];
            if (r->coverage_model)
                a += r->reg.dem.pop[i];
            else
                a += r->reg.dem.pop[i] * (double)(r->keep_lt[i] - r->sets.t_ms[e]) / 1000.0;
        }
        r->cand.alone[j] = a;
    }
    return CC_OK;
}

/* The sources of the coverage sets: the candidates, then the capacitated existing facilities. */
typedef struct set_src {
    cc__join *join;
    uint32_t *off;
    int64_t *cell;
    size_t n;
} set_src;

static void set_src_free(set_src *s)
{
    CC__FREE_ALL(s->join, s->off, s->cell);
}

static cc_status set_sources(run *r, set_src *s)
{
    size_t nc = r->cand.n, n = nc + r->n_capfix;
    s->n = n;
    s->join = cc__malloc_array(n ? n : 1, sizeof(cc__join));
    s->off = cc__malloc_array(n ? n : 1, sizeof(uint32_t));
    s->cell = r->fric ? cc__malloc_array(n ? n : 1, sizeof(int64_t)) : NULL;
    if (!s->join || !s->off || (r->fric && !s->cell)) return cc__fail(r->ctx, CC_ERR_NOMEM, "Out of memory");
    for (size_t k = 0; k < n; k++) {
        uint32_t f = k < nc ? 0 : r->capfix_id[k - nc];
        s->join[k] = k < nc ? r->cand.join[k] : r->reg.fjoin[f];
        s->off[k] = k < nc ? r->cand.off[k] : r->reg.foff[f];
        if (s->cell) s->cell[k] = k < nc ? r->ccell[k] : r->fcell[f];
    }
    return CC_OK;
}

static cc_status build_sets_from(run *r, cc_site_result *res, const set_src *src);

static cc_status build_sets(run *r, cc_site_result *res)
{
    set_src src = {0};
    cc_status st = set_sources(r, &src);
    if (!st) st = build_sets_from(r, res, &src);
    set_src_free(&src);
    return st;
}

/* The friction model's sets of candidates [j0, j0 + len) (MPI: a rank's blocks). */
typedef struct fric_slice_job {
    run *r;
    const set_src *src;
} fric_slice_job;

static cc_status fric_slice(void *user, cc_ctx *ctx, size_t j0, size_t len, cc__sets *out)
{
    const fric_slice_job *j = user;
    return cc__offroad_sets(ctx, &j->r->off, j->src->cell + j0, len, j->r->keep_lt, j->r->R_ms, !j->r->coverage_model || j->r->keep_super, out);
}

/* Which pairs the sets keep: demand point i's pair when its time < keep_lt[i] (0: none). */
static void keep_fill(run *r)
{
    size_t nd = r->reg.dem.n;
    for (size_t i = 0; i < nd; i++) {
        if (r->chain) {
            /* a station covers i through the chain when dispatch + drive + on scene + leg 2 <= T */
            uint64_t rest = (uint64_t)r->on_scene_ms + r->leg2_d[i];
            r->keep_lt[i] = r->time0[i] <= r->T_ms || r->leg2_d[i] == CC_INF_COST || rest > r->T_ms ? 0 : (uint32_t)(r->T_ms - rest + 1);
        } else if (r->model == CC_SITE_MEXCLP)
            r->keep_lt[i] = r->T_ms + 1; /* MEXCLP: a second ambulance adds expected coverage */
        else if (r->model == CC_SITE_DSM)
            r->keep_lt[i] = r->R_ms + 1; /* DSM: every pair within r2 */
        else if (r->coverage_model)
            r->keep_lt[i] = r->time0[i] <= r->T_ms ? 0 : r->T_ms + 1; /* only demand not covered yet */
        else
            r->keep_lt[i] = r->time0[i] < r->R_ms ? r->time0[i] : r->R_ms; /* only faster than now */
    }
}

static cc_status build_sets_from(run *r, cc_site_result *res, const set_src *src)
{
    cc_ctx *ctx = r->ctx;
    cc_status st;
    size_t nd = r->reg.dem.n;
    if (!(r->keep_lt = cc__malloc_array(nd ? nd : 1, sizeof(uint32_t)))) return cc__fail(ctx, CC_ERR_NOMEM, "Out of memory");
    if (r->keep_super)
        memcpy(r->keep_lt, r->keep_super, nd * sizeof(uint32_t));
    else
        keep_fill(r);
    if (r->fric) {
        cc__info(ctx, "Building coverage sets for %zu candidates over cells and roads...", r->cand.n);
        if (ctx->sets_dist) { /* across processes (planner/mpi): each rank searches from its blocks of candidates */
            fric_slice_job fj = {r, src};
            cc__sets_opts so = {.store_times = !r->coverage_model || r->keep_super};
            cc__sets_job job = {.n_dem = nd, .n_cand = src->n, .o = &so, .slice = fric_slice, .slice_user = &fj};
            bool root = true;
            if ((st = ctx->sets_dist->build(ctx->sets_dist, ctx, &job, &r->sets, &root))) return st;
            if (!root) {
                r->sets_elsewhere = true;
                return CC_OK;
            }
        } else if ((st = cc__offroad_sets(ctx, &r->off, src->cell, src->n, r->keep_lt, r->R_ms, !r->coverage_model || r->keep_super, &r->sets))) {
            return st;
        }
        double avail = r->o->max_memory_bytes ? (double)r->o->max_memory_bytes : 0.5 * (double)cc__physical_memory();
        if (avail > 0 && 3.0 * (double)r->sets.bytes > avail)
            return cc__fail(ctx, CC_ERR_LIMIT, "The coverage sets need %.0f MiB (three copies while solving), more than the %.0f MiB allowed; use a larger parameter spacing_m or a coarser population grid",
                            3.0 * (double)r->sets.bytes / 1048576.0, avail / 1048576.0);
        return r->keep_super ? CC_OK : sets_figures(r, res);
    }
    /* demand that no pair can matter for (covered already) is left out of the location index,
     * so the searches never enumerate it */
    cc__join *mj = cc__malloc_array(nd, sizeof(cc__join));
    if (!mj) return cc__fail(ctx, CC_ERR_NOMEM, "Out of memory");
    for (size_t i = 0; i < nd; i++) {
        mj[i] = r->reg.djoin[i];
        if (r->keep_lt[i] == 0) mj[i].arc = CC_INVALID_ID;
    }
    cc__loc_index ix;
    if ((st = cc__loc_index_build(ctx, r->reg.graph, mj, nd, &ix))) {
        free(mj);
        return st;
    }
    cc__sets_opts so = {.dir = r->dir, .limit_ms = r->R_ms, .delay_ms = r->delay_ms, .keep_lt = r->keep_lt,
                        .store_times = !r->coverage_model || r->model == CC_SITE_DSM || r->keep_super, .ch_cache = ctx->ch_cache};
    uint64_t est;
    if ((st = cc__sets_estimate(ctx, r->reg.graph, &ix, mj, r->reg.doff, nd, src->join, src->off, src->n, &so, &est))) goto out;
    size_t pb = cc__sets_pair_bytes(&so);
    double need = (double)est * pb * 3.0 + (double)r->cand.n * 8; /* the sets, and the solver's transpose and reduced copy */
    double avail = r->o->max_memory_bytes ? (double)r->o->max_memory_bytes : 0.5 * (double)cc__physical_memory();
    cc__info(ctx, "Coverage sets: about %.0f pairs (%zu candidates x %.0f demand points each), %.1f MiB", (double)est, r->cand.n,
             r->cand.n ? (double)est / r->cand.n : 0.0, (double)est * pb / 1048576.0);
    if (avail > 0 && need > avail) {
        st = cc__fail(ctx, CC_ERR_LIMIT,
                      "The coverage sets would need about %.0f MiB (%.0f pairs: %zu candidates each reaching about %.0f demand points "
                      "within %g minutes, %zu bytes a pair, three copies while solving), more than the %.0f MiB allowed (%s); use a "
                      "a larger parameter spacing_m, fewer parameter candidate_roads classes, a smaller parameter %s, or a coarser population grid",
                      need / 1048576.0, (double)est, r->cand.n, r->cand.n ? (double)est / r->cand.n : 0.0,
                      r->coverage_model ? r->minutes : r->radius_min, pb, avail / 1048576.0,
                      r->o->max_memory_bytes ? "parameter max_memory_bytes" : "half of this machine's memory", r->coverage_model ? "minutes" : "radius_minutes");
        goto out;
    }
    cc__info(ctx, "Building coverage sets for %zu candidates...", r->cand.n);
    if (ctx->sets_dist) { /* across processes (planner/mpi): the same sets on the root */
        cc__sets_job job = {r->reg.graph, &ix, mj, r->reg.doff, nd, src->join, src->off, src->n, &so, est, NULL, NULL};
        bool root = true;
        if ((st = ctx->sets_dist->build(ctx->sets_dist, ctx, &job, &r->sets, &root))) goto out;
        if (!root) {
            r->sets_elsewhere = true;
            goto out;
        }
    } else if ((st = cc__sets_build(ctx, r->reg.graph, &ix, mj, r->reg.doff, nd, src->join, src->off, src->n, &so, &r->sets))) {
        goto out;
    }
    st = r->keep_super ? CC_OK : sets_figures(r, res);
out:
    cc__loc_index_free(&ix);
    free(mj);
    return st;
}

/* Demand point @p i can travel at all: it has road access (straight model) or stands on a
 * passable cell (friction model). */
static bool has_access(const run *r, size_t i)
{
    return r->fric ? r->off.f.spm[r->off.dcell[i]] < INFINITY : r->reg.djoin[i].arc != CC_INVALID_ID;
}

/* ---- solving --------------------------------------------------------------------------------------------------- */

/* MEXCLP, DSM: ambulances within @p limit_ms (dispatch delay included) of each demand point, from
 * fresh bounded searches: one at each facility of fixed_tiers, and mult[s] at candidate sites[s]. */
static cc_status ambulance_counts(run *r, const uint32_t *sites, const uint32_t *mult, size_t ns, uint32_t limit_ms, uint32_t *cnt)
{
    cc_ctx *ctx = r->ctx;
    cc_status st;
    size_t nf = (r->reg.fac != NULL) ? r->reg.fac->n : 0;
    memset(cnt, 0, r->reg.dem.n * sizeof(uint32_t));
    if (r->fric) { /* from the cells the stations stand on, over cells and roads */
        int64_t *cell = cc__malloc_array(nf + ns ? nf + ns : 1, sizeof(int64_t));
        uint32_t *m = cc__malloc_array(nf + ns ? nf + ns : 1, sizeof(uint32_t));
        st = (!cell || !m) ? cc__fail(ctx, CC_ERR_NOMEM, "Out of memory") : CC_OK;
        for (size_t k = 0; k < nf + ns && !st; k++) {
            cell[k] = k < nf ? r->fcell[k] : r->ccell[sites[k - nf]];
            m[k] = k < nf ? (r->fixed[k] ? 1 : 0) : mult[k - nf];
        }
        if (!st) st = cc__offroad_count_mult(ctx, &r->off, cell, m, nf + ns, r->T_ms, cnt);
        free(cell);
        free(m);
        return st;
    }
    cc__loc_index ix;
    cc__reach_ws ws;
    if ((st = cc__loc_index_build(ctx, r->reg.graph, r->reg.djoin, r->reg.dem.n, &ix))) return st;
    if ((st = cc__reach_ws_init(ctx, r->reg.graph, r->reg.dem.n, &ws))) {
        cc__loc_index_free(&ix);
        return st;
    }
    for (size_t k = 0; k < nf + ns; k++) {
        cc__join j = k < nf ? r->reg.fjoin[k] : r->cand.join[sites[k - nf]];
        uint32_t off = k < nf ? r->reg.foff[k] : r->cand.off[sites[k - nf]];
        uint32_t m = k < nf ? (r->fixed[k] ? 1 : 0) : mult[k - nf];
        if (!m || j.arc == CC_INVALID_ID) continue;
        cc__reach(&ws, r->reg.graph, &ix, r->reg.djoin, r->reg.doff, j, off + r->delay_ms, r->dir, limit_ms);
        for (size_t e = 0; e < ws.n; e++) cnt[ws.loc[e]] += m;
    }
    cc__reach_ws_free(&ws);
    cc__loc_index_free(&ix);
    return CC_OK;
}

/* The per-area limits (max_per_area, min_per_area over the admin areas of the candidates) into
 * @p in; the arrays are the caller's to free. Nothing when no limit is asked. */
static cc_status area_limits(run *r, cc_site_instance *in, uint32_t **area_out, uint32_t **amin_out, uint32_t **amax_out)
{
    cc_ctx *ctx = r->ctx;
    const cc_site_opts *o = r->o;
    if (!r->reg.have_admin || !(o->max_per_area > 0 || o->min_per_area > 0)) return CC_OK;
    uint32_t *area = *area_out = cc__malloc_array(r->cand.n ? r->cand.n : 1, sizeof(uint32_t));
    uint32_t *amin = *amin_out = cc__malloc_array(r->reg.admin.n ? r->reg.admin.n : 1, sizeof(uint32_t));
    uint32_t *amax = *amax_out = cc__malloc_array(r->reg.admin.n ? r->reg.admin.n : 1, sizeof(uint32_t));
    uint32_t *nin = cc__calloc_array(r->reg.admin.n ? r->reg.admin.n : 1, sizeof(uint32_t));
    if (!area || !amin || !amax || !nin) {
        free(nin);
        return cc__fail(ctx, CC_ERR_NOMEM, "Out of memory");
    }
    for (size_t j = 0; j < r->cand.n; j++) {
        area[j] = r->cand.admin[j] >= 0 ? (uint32_t)r->cand.admin[j] : CC_INVALID_ID;
        if (r->cand.admin[j] >= 0) nin[r->cand.admin[j]]++;
    }
    for (size_t a = 0; a < r->reg.admin.n; a++) {
        amax[a] = o->max_per_area > 0 ? (uint32_t)o->max_per_area : UINT32_MAX;
        amin[a] = o->min_per_area > 0 ? (uint32_t)o->min_per_area : 0;
        if (amin[a] > nin[a]) {
            cc_status st = cc__fail(ctx, CC_ERR_PARAM, "Admin area <%s> has %u candidate sites, fewer than parameter min_per_area (%d)",
                                    r->reg.admin.name[a], nin[a], o->min_per_area);
            free(nin);
            return st;
        }
    }
    free(nin);
    in->area = area;
    in->n_areas = (uint32_t)r->reg.admin.n;
    in->area_min = amin;
    in->area_max = amax;
    if (o->min_per_area > 0 && (uint64_t)o->min_per_area * r->reg.admin.n > (r->model == CC_SITE_LSCP ? r->cand.n : r->p))
        return cc__fail(ctx, CC_ERR_PARAM, "Parameter min_per_area (%d) in %zu admin areas needs %llu sites, more than parameter p (%u)",
                        o->min_per_area, r->reg.admin.n, (unsigned long long)o->min_per_area * r->reg.admin.n, r->p);
    return CC_OK;
}

static cc_status solve(run *r, cc_site_result *res)
{
    cc_ctx *ctx = r->ctx;
    const cc_site_opts *o = r->o;
    cc_status st;
    size_t nd = r->reg.dem.n;
    double *w = cc__malloc_array(nd, sizeof(double));
    uint8_t *covered = cc__malloc_array(nd, 1);
    uint32_t *base = cc__malloc_array(nd, sizeof(uint32_t));
    uint32_t *area = NULL, *amin = NULL, *amax = NULL, *base2 = NULL;
    if (!w || !covered || !base) {
        st = cc__fail(ctx, CC_ERR_NOMEM, "Out of memory");
        goto out;
    }
    for (size_t i = 0; i < nd; i++) {
        bool road = has_access(r, i);
        w[i] = r->coverage_model || road ? r->reg.dem.pop[i] : 0.0; /* time models: the mean over people with road access */
        covered[i] = r->time0[i] <= r->T_ms;
        base[i] = r->time0[i] < r->R_ms ? r->time0[i] : r->R_ms;
    }
    cc_site_instance in = {.n_candidates = (uint32_t)r->cand.n, .n_demand = (uint32_t)nd, .first = r->sets.first, .demand = r->sets.dem,
                           .time_ms = r->sets.t_ms, .weight = w, .covered = r->coverage_model ? covered : NULL,
                           .base_time_ms = r->coverage_model ? NULL : base, .radius_ms = r->coverage_model ? 0 : r->R_ms};
    if ((st = area_limits(r, &in, &area, &amin, &amax))) goto out;
    cc_site_params pr = {.model = r->model, .p = r->p, .curve_to = r->curve_to, .target_share = o->target_share ? o->target_share : 0.95,
                         .exact = o->exact, .time_limit_s = o->time_limit_s,
                         .exact_max_nonzeros = o->exact_max_nonzeros};
    /* sub-centre upgrades: at most max_subcentres per county (DOMAIN.md section 2: 1-2) */
    if (o->candidate_tiers && !o->emergency) {
        uint32_t cap = o->max_subcentres ? o->max_subcentres : 2; /* p within it: check_opts */
        if (r->model != CC_SITE_LSCP && r->curve_to > cap) r->curve_to = pr.curve_to = cap;
        pr.max_sites = cap;
    }
    if (pr.curve_to > r->cand.n) pr.curve_to = (uint32_t)r->cand.n;
    if (r->model == CC_SITE_MEXCLP) {
        pr.busy_fraction = o->busy_fraction;
        pr.max_per_station = o->max_per_station;
        pr.curve_to = r->curve_to; /* ambulances 1..curve_to, as many as the stations hold */
        uint64_t hold = (uint64_t)(o->max_per_station ? o->max_per_station : r->p) * r->cand.n;
        if (pr.curve_to > hold) pr.curve_to = (uint32_t)hold;
        if ((st = ambulance_counts(r, NULL, NULL, 0, r->T_ms, base))) goto out;
        pr.base_count = base;
        if ((uint64_t)(o->max_per_station ? o->max_per_station : r->p) * r->cand.n < r->p) {
            st = cc__fail(ctx, CC_ERR_PARAM, "Parameter p (%u ambulances) is more than the %zu candidate stations hold (parameter max_per_station %u)", r->p,
                          r->cand.n, o->max_per_station);
            goto out;
        }
    } else if (r->model == CC_SITE_DSM) {
        pr.alpha = o->alpha == 0 ? 0.95 : o->alpha < 0 ? 0 : o->alpha;
        pr.max_per_station = o->max_per_station ? o->max_per_station : 2; /* Gendreau et al. 1997: p_j = 2 */
        pr.inner_ms = r->T_ms;
        pr.outer_ms = r->R_ms;
        if (!(base2 = cc__malloc_array(nd ? nd : 1, sizeof(uint32_t)))) {
            st = cc__fail(ctx, CC_ERR_NOMEM, "Out of memory");
            goto out;
        }
        if ((st = ambulance_counts(r, NULL, NULL, 0, r->T_ms, base)) || (st = ambulance_counts(r, NULL, NULL, 0, r->R_ms, base2))) goto out;
        pr.base_count = base;
        pr.base_count_outer = base2;
        if ((uint64_t)pr.max_per_station * r->cand.n < r->p) {
            st = cc__fail(ctx, CC_ERR_PARAM, "Parameter p (%u ambulances) is more than the %zu candidate stations hold (parameter max_per_station %u)", r->p,
                          r->cand.n, pr.max_per_station);
            goto out;
        }
    } else if (r->model != CC_SITE_LSCP && r->p > r->cand.n) {
        st = cc__fail(ctx, CC_ERR_PARAM, "Parameter p (%u) is more than the %zu candidate sites", r->p, r->cand.n);
        goto out;
    }
    if (capacitated(r->model)) {
        pr.capacity_persons = o->capacity_persons;
        if ((st = candidate_capacity(r, &r->cand_cap))) goto out;
        in.capacity = r->cand_cap;
        in.n_fixed = r->n_capfix;
        in.fixed_first = r->sets.first + r->cand.n;
        in.fixed_capacity = r->capfix_cap;
    }
    st = cc_site_solve(ctx, &in, &pr, &((result_impl *)res)->sol);
out:
    CC__FREE_ALL(w, covered, base, area, amin, amax, base2);
    return st;
}

/* ---- upgrading facilities to capable on the chain (upgrade_tiers) ------------------------------------------------------- */

/* The maximum number of upgrade sets solved (each a chain MCLP of its own). */
#define UPGRADE_MAX_SETS 5000

/* Drops what one solve of an upgrade set made, so the next set starts afresh. */
static void upgrade_reset(run *r, cc_site_result *res)
{
    CC__FREE_ALL(r->time0, r->keep_lt, r->cand.alone);
    cc__sets_free(&r->sets);
    res->fixed_facilities = 0;
    cc_site_solution_destroy(((result_impl *)res)->sol);
    ((result_impl *)res)->sol = NULL;
}

/* Leg 2 of upgrade set @p pick (k facility slots into @p legs, per point nl values each): the
 * elementwise minimum of today's leg (@p base) and each upgraded facility's own leg. */
static void upgrade_leg(uint32_t *leg, const uint32_t *base, const uint32_t *legs, size_t nl, const uint32_t *pick, uint32_t k)
{
    memcpy(leg, base, nl * sizeof(uint32_t));
    for (uint32_t a = 0; a < k; a++) {
        const uint32_t *l = legs + (size_t)pick[a] * nl;
        for (size_t i = 0; i < nl; i++)
            if (l[i] < leg[i]) leg[i] = l[i];
    }
}

/* An upgrade set's sets from those of every set (r->super, times stored): the pairs whose time is
 * below this set's keep_lt, in the same order, so the same sets as a build of their own. */
static cc_status sets_from_super(run *r, cc_site_result *res)
{
    const cc__sets *a = &r->super;
    size_t nd = r->reg.dem.n;
    if (!(r->keep_lt = cc__malloc_array(nd ? nd : 1, sizeof(uint32_t)))) return cc__fail(r->ctx, CC_ERR_NOMEM, "Out of memory");
    keep_fill(r);
    uint64_t n = 0;
    for (uint64_t e = 0; e < a->first[a->n_cand]; e++) n += a->t_ms[e] < r->keep_lt[a->dem[e]];
    r->sets = (cc__sets){.n_cand = a->n_cand, .n_dem = a->n_dem, .settled = a->settled};
    r->sets.first = cc__malloc_array((size_t)a->n_cand + 1, sizeof(uint64_t));
    r->sets.dem = cc__malloc_array(n ? n : 1, sizeof(uint32_t));
    if (!r->sets.first || !r->sets.dem) return cc__fail(r->ctx, CC_ERR_NOMEM, "Out of memory for the coverage sets");
    n = 0;
    for (uint32_t j = 0; j < a->n_cand; j++) {
        r->sets.first[j] = n;
        for (uint64_t e = a->first[j]; e < a->first[j + 1]; e++)
            if (a->t_ms[e] < r->keep_lt[a->dem[e]]) r->sets.dem[n++] = a->dem[e];
    }
    r->sets.first[a->n_cand] = n;
    r->sets.bytes = ((size_t)a->n_cand + 1) * sizeof(uint64_t) + (size_t)n * sizeof(uint32_t);
    return sets_figures(r, res);
}

static cc_status upgrade_solve(run *r, cc_site_result *res)
{
    cc_status st;
    if ((st = base_times(r, res)) || (st = r->super.first ? sets_from_super(r, res) : build_sets(r, res)) || (st = solve(r, res))) return st;
    return CC_OK;
}

/* The chain MCLP with upgrades: every set of 0..max_subcentres facilities of upgrade_tiers (not
 * capable already; on the roads, or on a passable cell of the friction surface) is made capable in
 * turn, its leg 2 the minimum of today's and each upgraded facility's own (each timed once, on the
 * roads or over cells and roads as chain_leg2() times today's), and solved; the best objective
 * wins. The bound is the largest bound over the sets: the optimum of the joint model is the best
 * over the sets, and no set's optimum is above its bound. The winning set is solved again to be
 * evaluated. */
static cc_status chain_upgrade(run *r, cc_site_result *res)
{
    cc_ctx *ctx = r->ctx;
    const cc_site_opts *o = r->o;
    const cc__facilities *fac = r->reg.fac;
    const cc__demand *grid = r->reg.dem.is_raster ? &r->reg.dem : &r->reg.grid;
    size_t nd = r->reg.dem.n, ng = r->reg.dem.is_raster ? 0 : grid->n, nf = fac->n, nu = 0;
    uint32_t U = o->max_subcentres ? o->max_subcentres : 2;
    uint8_t *up_t = cc__calloc_array(fac->n_tiers + 1, 1), *cap_t = cc__calloc_array(fac->n_tiers + 1, 1), *one = cc__calloc_array(nf + 1, 1);
    uint32_t *ids = cc__malloc_array(nf + 1, sizeof(uint32_t)), *fdummy = cc__malloc_array((nd > ng ? nd : ng) + 1, sizeof(uint32_t));
    uint32_t *legs_d = NULL, *legs_g = NULL, *base_d = NULL, *base_g = NULL, *pick = NULL, *best = NULL;
    double *cb = NULL;
    cc_status st = CC_OK;
    if (!up_t || !cap_t || !one || !ids || !fdummy) goto nomem;
    if ((st = cc__tier_flags(ctx, fac, o->in.facilities, o->upgrade_tiers, "upgrade_tiers", up_t)) ||
        (st = cc__tier_flags(ctx, fac, o->in.facilities, o->capable_tiers, "capable_tiers", cap_t)))
        goto out;
    char left_out[400] = "";
    size_t n_left_out = 0;
    for (size_t f = 0; f < nf; f++) {
        if (fac->tier[f] < 0 || !up_t[fac->tier[f]] || cap_t[fac->tier[f]]) continue;
        if (r->fric ? r->fcell[f] >= 0 : r->reg.fjoin[f].arc != CC_INVALID_ID) {
            ids[nu++] = (uint32_t)f;
        } else if (r->fric && n_left_out++ < 4 && strlen(left_out) < sizeof(left_out) - 100) { /* named below */
            char item[100];
            snprintf(item, sizeof(item), "%s'%.60s'", left_out[0] ? ", " : "", fac->name[f] ? fac->name[f] : "");
            strcat(left_out, item);
        }
    }
    if (n_left_out)
        cc__warn(ctx, "%zu facilit%s of parameter upgrade_tiers stand%s outside the friction surface or on an impassable cell and cannot be upgraded: %s%s",
                 n_left_out, n_left_out == 1 ? "y" : "ies", n_left_out == 1 ? "s" : "", left_out, n_left_out > 4 ? ", ..." : "");
    if (!nu) {
        st = cc__fail(ctx, CC_ERR_INPUT, "No facility of parameter upgrade_tiers (%s) that is not capable already %s", o->upgrade_tiers,
                      r->fric ? "stands on a passable cell of the friction surface" : "joins the road network");
        goto out;
    }
    if (U > nu) {
        st = cc__fail(ctx, CC_ERR_PARAM, "Parameter max_subcentres (%u) is more than the %zu facilities of parameter upgrade_tiers that may be upgraded", U, nu);
        goto out;
    }
    /* sets of 0..U of nu: sum of binomials, stopped past the limit */
    double n_sets = 0, c = 1;
    for (uint32_t k = 0; k <= U && n_sets <= UPGRADE_MAX_SETS; k++) {
        n_sets += c;
        c = c * (double)(nu - k) / (double)(k + 1);
    }
    if (n_sets > UPGRADE_MAX_SETS) {
        st = cc__fail(ctx, CC_ERR_LIMIT, "Upgrading up to %u of %zu facilities (parameters max_subcentres, upgrade_tiers) makes more than %d upgrade sets to solve; give fewer tiers or a smaller parameter max_subcentres",
                      U, nu, UPGRADE_MAX_SETS);
        goto out;
    }
    res->upgrade_candidates = (uint32_t)nu;
    /* each candidate's own leg 2, once */
    legs_d = cc__malloc_array(nu * nd + 1, sizeof(uint32_t));
    legs_g = ng ? cc__malloc_array(nu * ng, sizeof(uint32_t)) : NULL;
    base_d = cc__malloc_array(nd + 1, sizeof(uint32_t));
    base_g = ng ? cc__malloc_array(ng, sizeof(uint32_t)) : NULL;
    pick = cc__calloc_array(U + 1, sizeof(uint32_t));
    best = cc__calloc_array(U + 1, sizeof(uint32_t));
    if (!legs_d || (ng && (!legs_g || !base_g)) || !base_d || !pick || !best) goto nomem;
    memcpy(base_d, r->leg2_d, nd * sizeof(uint32_t));
    if (ng) memcpy(base_g, r->leg2_g, ng * sizeof(uint32_t));
    cc__info(ctx, "Timing the population to each of the %zu facilities that may be upgraded...", nu);
    for (size_t u = 0; u < nu && !st; u++) {
        one[ids[u]] = 1;
        if (r->fric) { /* patient -> that facility over cells and roads, as chain_leg2() times today's leg */
            cc__offroad_chain ch = {.capable = one, .leg2_d = legs_d + u * nd, .leg2_g = ng ? legs_g + u * ng : NULL};
            st = cc__offroad_chain_legs(ctx, &r->off, NULL, r->fcell, &ch);
            one[ids[u]] = 0;
            continue;
        }
        st = cc__nearest(ctx, r->reg.graph, r->reg.fjoin, r->reg.foff, nf, one, 1, r->reg.djoin, r->reg.doff, nd, CC_REVERSE, legs_d + u * nd, fdummy);
        if (!st && ng)
            st = cc__nearest(ctx, r->reg.graph, r->reg.fjoin, r->reg.foff, nf, one, 1, r->reg.gjoin, r->reg.goff, ng, CC_REVERSE, legs_g + u * ng, fdummy);
        one[ids[u]] = 0;
    }
    if (st) goto out;
    if (ctx->sets_dist) { /* over MPI ranks: the sets of every upgrade set in one distributed build, then the sets one by one on rank 0 */
        uint32_t *kl = cc__malloc_array(nd ? nd : 1, sizeof(uint32_t));
        if (!kl) goto nomem;
        for (size_t i = 0; i < nd; i++) { /* a pair any set may keep: the shortest leg 2 of all, whoever covers the point already */
            uint32_t l = base_d[i];
            for (size_t u = 0; u < nu; u++)
                if (legs_d[u * nd + i] < l) l = legs_d[u * nd + i];
            uint64_t rest = (uint64_t)r->on_scene_ms + l;
            kl[i] = l == CC_INF_COST || rest > r->T_ms ? 0 : (uint32_t)(r->T_ms - rest + 1);
        }
        r->keep_super = kl;
        st = build_sets(r, res);
        r->keep_super = NULL;
        free(kl);
        if (st || r->sets_elsewhere) goto out; /* an MPI rank other than 0: its part is sent */
        r->super = r->sets;
        memset(&r->sets, 0, sizeof(r->sets));
        CC__FREE_ALL(r->keep_lt);
    }
    cc__info(ctx, "Solving the chain MCLP for each of the %.0f upgrade sets (0 to %u of %zu facilities)...", n_sets, U, nu);
    double best_obj = -1, bound = -INFINITY;
    uint32_t best_k = 0, n_curve = 0;
    for (uint32_t k = 0; k <= U && !st; k++) {
        for (uint32_t a = 0; a < k; a++) pick[a] = a;
        for (;;) {
            upgrade_leg(r->leg2_d, base_d, legs_d, nd, pick, k);
            if (ng) upgrade_leg(r->leg2_g, base_g, legs_g, ng, pick, k);
            if ((st = upgrade_solve(r, res))) break;
            const cc_site_solution *s = ((result_impl *)res)->sol;
            res->upgrade_sets++;
            if (s->bound > bound) bound = s->bound;
            if (k == 0) res->covered_without_upgrade = s->objective;
            if (!cb) {
                n_curve = s->n_curve;
                if (!(cb = cc__malloc_array(n_curve + 1, sizeof(double)))) goto nomem;
                for (uint32_t q = 0; q < n_curve; q++) cb[q] = -INFINITY;
            }
            for (uint32_t q = 0; q < n_curve && q < s->n_curve; q++)
                if (s->curve_bound[q] > cb[q]) cb[q] = s->curve_bound[q];
            if (s->objective > best_obj + 1e-9 * (best_obj + 1)) { /* ties: the fewest upgrades, first in file order */
                best_obj = s->objective;
                best_k = k;
                memcpy(best, pick, k * sizeof(uint32_t));
            }
            upgrade_reset(r, res);
            if (cc__interrupted(ctx)) {
                st = cc__fail(ctx, CC_ERR_INTERRUPTED, "Interrupted");
                break;
            }
            /* the next k-subset of 0..nu-1 in lexicographic order */
            int a = (int)k - 1;
            while (a >= 0 && pick[a] == nu - k + (uint32_t)a) a--;
            if (a < 0) break;
            pick[a]++;
            for (uint32_t b = (uint32_t)a + 1; b < k; b++) pick[b] = pick[b - 1] + 1;
        }
    }
    if (st) goto out;
    /* the winner, solved again for the evaluation; its bound and gap over all the sets */
    upgrade_leg(r->leg2_d, base_d, legs_d, nd, best, best_k);
    if (ng) upgrade_leg(r->leg2_g, base_g, legs_g, ng, best, best_k);
    if ((st = upgrade_solve(r, res))) goto out;
    result_impl *ri = (result_impl *)res;
    cc_site_solution *s = ri->sol;
    if (s->bound > bound) bound = s->bound;
    s->bound = bound;
    double gain = s->objective - s->covered_before;
    s->gap = bound - s->objective <= 1e-9 * (s->objective + 1) ? 0 : (bound - s->objective) / fmax(gain, 1e-12);
    s->proven_optimal = s->gap == 0;
    if (!(ri->upgraded = cc__malloc_array(best_k + 1, sizeof(uint32_t))) || !(ri->upgraded_name = cc__calloc_array(best_k + 1, sizeof(char *))))
        goto nomem;
    res->n_upgraded = best_k;
    for (uint32_t a = 0; a < best_k; a++) {
        ri->upgraded[a] = ids[best[a]];
        if (!(ri->upgraded_name[a] = cc__strdup(fac->name[ids[best[a]]] ? fac->name[ids[best[a]]] : ""))) goto nomem;
    }
    res->upgraded = ri->upgraded;
    res->upgraded_names = (const char *const *)ri->upgraded_name;
    for (uint32_t q = 0; q < n_curve && q < s->n_curve; q++)
        if (s->curve_bound[q] > cb[q]) cb[q] = s->curve_bound[q];
    ri->curve_bound = cb;
    cb = NULL;
    cc__info(ctx, "Best upgrade set: %u of %zu facilities, covering %.0f persons (no upgrade: %.0f)", best_k, nu, s->objective,
             res->covered_without_upgrade);
    goto out;
nomem:
    st = cc__fail(ctx, CC_ERR_NOMEM, "Out of memory");
out:
    CC__FREE_ALL(up_t, cap_t, one, ids, fdummy, legs_d, legs_g, base_d, base_g, pick, best, cb);
    return st;
}

/* ---- exact evaluation of the answer ------------------------------------------------------------------------------------ */

/* Mean, worst and 90th percentile over populated demand that reaches a facility. */
static void time_stats(const run *r, const uint32_t *t, double *mean_s, double *worst_s, double *p90_s)
{
    size_t n = 0;
    cc__tw *v = cc__malloc_array(r->reg.dem.n, sizeof(cc__tw));
    double sum = 0, wsum = 0;
    uint32_t worst = 0;
    for (size_t i = 0; i < r->reg.dem.n; i++) {
        if (!(r->reg.dem.pop[i] > 0) || t[i] == CC_INF_COST) continue;
        sum += r->reg.dem.pop[i] * (double)t[i];
        wsum += r->reg.dem.pop[i];
        if (t[i] > worst) worst = t[i];
        if (v) v[n++] = (cc__tw){t[i], r->reg.dem.pop[i]};
    }
    *mean_s = wsum > 0 ? sum / wsum / 1000.0 : NAN;
    *worst_s = wsum > 0 ? worst / 1000.0 : NAN;
    *p90_s = NAN;
    if (v && n) *p90_s = cc__tw_quantile(v, n, 0.9, wsum) / 1000.0;
    free(v);
}

/* Backup coverage: demand within T of two or more facilities, before (the first @p nf of the @p nt
 * facilities) and after the new sites: bounded searches on the roads, or on the friction surface
 * from the cells @p fc the facilities stand on (friction model). */
static cc_status backup_coverage(run *r, cc_site_result *res, const cc__join *fj, const uint32_t *fo, const int64_t *fc, const uint8_t *set,
                                 size_t nf, size_t nt)
{
    cc_ctx *ctx = r->ctx;
    cc_status st = CC_OK;
    size_t nd = r->reg.dem.n;
    uint8_t *cnt = cc__calloc_array(nd ? 2 * nd : 1, 1);
    if (!cnt) return cc__fail(ctx, CC_ERR_NOMEM, "Out of memory evaluating the sites");
    if (fc) {
        uint32_t *tail = NULL; /* the chain: on scene + leg 2 after the drive */
        if (r->chain) {
            if (!(tail = cc__malloc_array(nd ? nd : 1, sizeof(uint32_t)))) {
                st = cc__fail(ctx, CC_ERR_NOMEM, "Out of memory evaluating the sites");
                goto out;
            }
            for (size_t i = 0; i < nd; i++) tail[i] = r->leg2_d[i] == CC_INF_COST ? CC_INF_COST : r->on_scene_ms + r->leg2_d[i];
        }
        st = cc__offroad_count_within(ctx, &r->off, fc, set, nf, r->T_ms, tail, cnt);
        if (!st) st = cc__offroad_count_within(ctx, &r->off, fc, set, nt, r->T_ms, tail, cnt + nd);
        free(tail);
        if (st) goto out;
    } else {
        cc__loc_index ix;
        cc__reach_ws ws;
        if ((st = cc__loc_index_build(ctx, r->reg.graph, r->reg.djoin, nd, &ix))) goto out;
        if ((st = cc__reach_ws_init(ctx, r->reg.graph, nd, &ws))) {
            cc__loc_index_free(&ix);
            goto out;
        }
        for (size_t f = 0; f < nt; f++) {
            if (!set[f] || fj[f].arc == CC_INVALID_ID) continue;
            cc__reach(&ws, r->reg.graph, &ix, r->reg.djoin, r->reg.doff, fj[f], fo[f] + r->delay_ms, r->dir, r->T_ms);
            for (size_t k = 0; k < ws.n; k++) {
                uint32_t i = ws.loc[k];
                if (r->chain && (r->leg2_d[i] == CC_INF_COST || (uint64_t)ws.t_ms[k] + r->on_scene_ms + r->leg2_d[i] > r->T_ms)) continue;
                if (f < nf && cnt[i] < 2) cnt[i]++;
                if (cnt[nd + i] < 2) cnt[nd + i]++;
            }
        }
        cc__reach_ws_free(&ws);
        cc__loc_index_free(&ix);
    }
    for (size_t i = 0; i < nd; i++) {
        if (cnt[i] >= 2) res->backup_before += r->reg.dem.pop[i];
        if (cnt[nd + i] >= 2) res->backup_after += r->reg.dem.pop[i];
    }
out:
    free(cnt);
    return st;
}

/* The population not covered before and with no candidate within T. */
static cc_status unreachable_by_candidates(run *r, cc_site_result *res)
{
    uint8_t *reach = cc__calloc_array(r->reg.dem.n ? r->reg.dem.n : 1, 1);
    if (!reach) return cc__fail(r->ctx, CC_ERR_NOMEM, "Out of memory evaluating the sites");
    for (uint64_t e = 0; e < r->sets.first[r->cand.n]; e++) /* the candidates' pairs only; DSM: the sets reach to r2 */
        if (!r->sets.t_ms || r->sets.t_ms[e] <= r->T_ms) reach[r->sets.dem[e]] = 1;
    for (size_t i = 0; i < r->reg.dem.n; i++)
        if (r->time0[i] > r->T_ms && !reach[i]) res->unreachable_by_candidates += r->reg.dem.pop[i];
    free(reach);
    return CC_OK;
}

/* A generated road point's name: after the nearest village within 5 km (point demand with names),
 * else its admin area, with its lon/lat, so that people can find it. NULL when out of memory. */
static char *road_point_name(const run *r, const cc_site_pick *pk, bool zh)
{
    const cc__demand *dm = &r->reg.dem;
    double best = 5000.0 * 5000.0;
    size_t bi = SIZE_MAX;
    for (size_t i = 0; dm->name && i < dm->n; i++) {
        if (!dm->name[i] || !*dm->name[i]) continue;
        double dx = dm->x[i] - pk->x, dy = dm->y[i] - pk->y;
        if (dx * dx + dy * dy < best) {
            best = dx * dx + dy * dy;
            bi = i;
        }
    }
    const char *adm_zh = NULL;
    if (pk->admin && r->reg.have_admin && r->reg.admin.name_zh)
        for (size_t a = 0; a < r->reg.admin.n && !adm_zh; a++)
            if (r->reg.admin.name[a] && !strcmp(r->reg.admin.name[a], pk->admin)) adm_zh = r->reg.admin.name_zh[a];
    char *nm;
    if (zh && bi != SIZE_MAX)
        nm = g_strdup_printf("%s附近 (%.4f, %.4f)", dm->name_zh && dm->name_zh[bi] && *dm->name_zh[bi] ? dm->name_zh[bi] : dm->name[bi],
                             pk->lon, pk->lat);
    else if (bi != SIZE_MAX)
        nm = g_strdup_printf("near %s%s%s (%.4f, %.4f)", dm->name[bi], dm->name_zh && dm->name_zh[bi] ? " " : "",
                             dm->name_zh && dm->name_zh[bi] ? dm->name_zh[bi] : "", pk->lon, pk->lat);
    else if (pk->admin)
        nm = g_strdup_printf("%s%s (%.4f, %.4f)", zh && adm_zh && *adm_zh ? adm_zh : pk->admin, zh ? "道路点" : "", pk->lon, pk->lat);
    else
        nm = g_strdup_printf("%s (%.4f, %.4f)", zh ? "道路点" : "road point", pk->lon, pk->lat);
    char *cp = nm ? cc__strdup(nm) : NULL;
    g_free(nm);
    return cp;
}

/* Pick @p s (candidate @p j): rank, name (a road point's after the nearest village or its admin
 * area), source, admin area and place. */
static cc_status describe_pick(run *r, result_impl *ri, size_t s, uint32_t j)
{
    cc_site_pick *pk = &ri->picks[s];
    pk->rank = (uint32_t)s + 1;
    if (!(ri->pick_name[s] = cc__strdup(r->cand.name[j]))) goto nomem;
    pk->name = ri->pick_name[s];
    pk->source = r->cand.source[j] == CC__CAND_FACILITY ? "facility" : r->cand.source[j] == CC__CAND_LAYER ? "candidate" : "road";
    if (r->reg.have_admin && r->cand.admin[j] >= 0) {
        if (!(ri->pick_admin[s] = cc__strdup(r->reg.admin.name[r->cand.admin[j]]))) goto nomem;
        pk->admin = ri->pick_admin[s];
    }
    pk->x = r->cand.x[j];
    pk->y = r->cand.y[j];
    pk->lon = r->cand.lon[j];
    pk->lat = r->cand.lat[j];
    if (r->cand.source[j] != CC__CAND_FACILITY && r->cand.source[j] != CC__CAND_LAYER) {
        char *cp = road_point_name(r, pk, false), *zh = cp ? road_point_name(r, pk, true) : NULL;
        if (!zh) {
            free(cp);
            goto nomem;
        }
        free(ri->pick_name[s]);
        ri->pick_name[s] = cp;
        pk->name = cp;
        free(ri->pick_name_zh[s]);
        ri->pick_name_zh[s] = zh;
        pk->name_zh = zh;
    }
    return CC_OK;
nomem:
    return cc__fail(r->ctx, CC_ERR_NOMEM, "Out of memory evaluating the sites");
}

/* The proposed sites as the result's picks: described, with their gains, cumulative coverage and
 * the population each serves (nearest to it within the threshold after). @p nf: the facilities
 * before the sites in dfac; @p before: the population covered before the sites. */
static cc_status make_picks(run *r, cc_site_result *res, size_t nf, double before)
{
    const cc_site_solution *sol = ((result_impl *)res)->sol;
    size_t ns = sol->n_sites;
    result_impl *ri = (result_impl *)res;
    cc_status st = CC_OK;
    double *served = NULL;
    ri->picks = cc__calloc_array(ns ? ns : 1, sizeof(cc_site_pick));
    ri->pick_name = cc__calloc_array(ns ? ns : 1, sizeof(char *));
    ri->pick_name_zh = cc__calloc_array(ns ? ns : 1, sizeof(char *));
    ri->pick_admin = cc__calloc_array(ns ? ns : 1, sizeof(char *));
    if (!ri->picks || !ri->pick_name || !ri->pick_name_zh || !ri->pick_admin || !(served = cc__calloc_array(ns ? ns : 1, sizeof(double)))) goto nomem;
    uint32_t lim = r->coverage_model ? r->T_ms : r->R_ms;
    for (size_t i = 0; i < r->reg.dem.n; i++) {
        uint32_t f = r->dfac[1][i];
        if (f != CC_INVALID_ID && f >= nf && r->dtime[1][i] <= lim) served[f - nf] += r->reg.dem.pop[i];
    }
    double wall = 0;
    if (!r->coverage_model)
        for (size_t i = 0; i < r->reg.dem.n; i++)
            if (has_access(r, i)) wall += r->reg.dem.pop[i];
    double cum = before;
    for (size_t s = 0; s < ns; s++) {
        cc_site_pick *pk = &ri->picks[s];
        if ((st = describe_pick(r, ri, s, sol->sites[s]))) goto out;
        pk->gain_persons = r->coverage_model ? sol->site_gain[s] : NAN;
        pk->saved_mean_s = r->coverage_model ? NAN : (wall > 0 ? sol->site_gain[s] / wall : 0);
        if (r->coverage_model) cum += sol->site_gain[s];
        pk->covered_cum = r->coverage_model ? cum : NAN;
        pk->share_cum = r->coverage_model && res->population_total > 0 ? cum / res->population_total : NAN;
        pk->served = served[s];
        ri->pub.n_picks = s + 1;
    }
    ri->pub.picks = ri->picks;
    goto out;
nomem:
    st = cc__fail(r->ctx, CC_ERR_NOMEM, "Out of memory evaluating the sites");
out:
    free(served);
    return st;
}

/* Nearest facility and time to each demand point and grid cell, before (k = 0: the first @p nf of
 * the facilities) and after the new sites (k = 1: all @p nt), into dtime/dfac and gtime/gfac. */
static cc_status nearest_before_after(run *r, const cc__join *fj, const uint32_t *fo, const int64_t *fc, const uint8_t *set, size_t nf, size_t nt)
{
    cc_status st;
    const cc__demand *grid = r->reg.dem.is_raster ? &r->reg.dem : &r->reg.grid;
    const cc__join *gj = r->reg.dem.is_raster ? r->reg.djoin : r->reg.gjoin;
    const uint32_t *go = r->reg.dem.is_raster ? r->reg.doff : r->reg.goff;
    for (int k = 0; k < 2; k++) {
        r->dtime[k] = cc__malloc_array(r->reg.dem.n, sizeof(uint32_t));
        r->dfac[k] = cc__malloc_array(r->reg.dem.n, sizeof(uint32_t));
        if (!r->dtime[k] || !r->dfac[k]) return cc__fail(r->ctx, CC_ERR_NOMEM, "Out of memory evaluating the sites");
        if (!r->reg.dem.is_raster) {
            r->gtime[k] = cc__malloc_array(grid->n, sizeof(uint32_t));
            r->gfac[k] = cc__malloc_array(grid->n, sizeof(uint32_t));
            if (!r->gtime[k] || !r->gfac[k]) return cc__fail(r->ctx, CC_ERR_NOMEM, "Out of memory evaluating the sites");
        }
        if (fc && (st = cc__offroad_nearest(r->ctx, &r->off, NULL, fc, set, k ? nt : nf, r->dtime[k], r->dfac[k], r->gtime[k], r->gfac[k]))) return st;
        if (fc) {
            fric_chain_tail(r, r->leg2_d, r->dtime[k], r->dfac[k], r->reg.dem.n);
            if (r->gtime[k]) fric_chain_tail(r, r->leg2_g, r->gtime[k], r->gfac[k], grid->n);
        }
        if (!fc && (st = nearest_of(r, fj, fo, k ? nt : nf, set, r->reg.djoin, r->reg.doff, r->reg.dem.n, r->dtime[k], r->dfac[k]))) return st;
        if (!r->reg.dem.is_raster && (st = nearest_of(r, fj, fo, k ? nt : nf, set, gj, go, grid->n, r->gtime[k], r->gfac[k]))) return st;
    }
    return CC_OK;
}

/* The answer evaluated afresh: the existing facilities and the new sites joined, nearest times before
 * and after, coverage and time figures, backup coverage, the picks, and a cross-check of the solver's
 * covered population. */
static cc_status evaluate(run *r, cc_site_result *res)
{
    cc_ctx *ctx = r->ctx;
    cc_status st = CC_OK;
    const cc_site_solution *sol = ((result_impl *)res)->sol;
    size_t nf = (r->reg.fac != NULL) ? r->reg.fac->n : 0, ns = sol->n_sites, nt = nf + ns;
    cc__join *fj = cc__malloc_array(nt ? nt : 1, sizeof(cc__join));
    uint32_t *fo = cc__malloc_array(nt ? nt : 1, sizeof(uint32_t));
    uint8_t *set = cc__calloc_array(nt ? nt : 1, 1);
    int64_t *fc = r->fric ? cc__malloc_array(nt ? nt : 1, sizeof(int64_t)) : NULL; /* friction model: the cells the facilities stand on */
    if (!fj || !fo || !set || (r->fric && !fc)) {
        st = cc__fail(ctx, CC_ERR_NOMEM, "Out of memory evaluating the sites");
        goto out;
    }
    for (size_t f = 0; f < nf; f++) {
        fj[f] = r->reg.fjoin[f];
        fo[f] = r->reg.foff[f];
        set[f] = r->fixed[f];
        if (fc) fc[f] = r->fcell[f];
    }
    for (size_t s = 0; s < ns; s++) {
        uint32_t j = sol->sites[s];
        fj[nf + s] = r->cand.join[j];
        fo[nf + s] = r->cand.off[j];
        set[nf + s] = 1;
        if (fc) fc[nf + s] = r->ccell[j];
    }
    if ((st = nearest_before_after(r, fj, fo, fc, set, nf, nt))) goto out;
    /* coverage, times, per-site figures */
    double before = 0, after = 0;
    for (size_t i = 0; i < r->reg.dem.n; i++) {
        res->population_total += r->reg.dem.pop[i];
        if (!has_access(r, i)) res->population_no_road_access += r->reg.dem.pop[i];
        before += r->dtime[0][i] <= r->T_ms ? r->reg.dem.pop[i] : 0;
        after += r->dtime[1][i] <= r->T_ms ? r->reg.dem.pop[i] : 0;
    }
    res->covered_before = before;
    res->covered_after = after;
    time_stats(r, r->dtime[0], &res->mean_s_before, &res->worst_s_before, &res->p90_s_before);
    time_stats(r, r->dtime[1], &res->mean_s_after, &res->worst_s_after, &res->p90_s_after);
    if ((st = backup_coverage(r, res, fj, fo, fc, set, nf, nt))) goto out;
    if (r->coverage_model && (st = unreachable_by_candidates(r, res))) goto out;
    if ((st = make_picks(r, res, nf, before))) goto out;
    /* the solver's covered population must equal the fresh evaluation (a cross-check) */
    double solver_cov = r->model == CC_SITE_MCLP ? sol->objective : sol->covered_share * sol->total_weight;
    if (r->coverage_model && fabs(solver_cov - after) > 1e-6 * fmax(1.0, after) + 1e-6)
        st = cc__fail(ctx, CC_ERR_INTERNAL, "The solver's covered population %.3f differs from the evaluation %.3f", solver_cov, after);
out:
    CC__FREE_ALL(fj, fo, set, fc);
    return st;
}

/* MEXCLP: expected coverage and double coverage before and after, from fresh searches (the
 * ambulances of each station counted), checked against the solver's objective; the picks' gains
 * and cumulative figures become expected persons. */
static cc_status evaluate_mexclp(run *r, cc_site_result *res)
{
    cc_ctx *ctx = r->ctx;
    const cc_site_solution *sol = ((result_impl *)res)->sol;
    size_t nd = r->reg.dem.n, nf = (r->reg.fac != NULL) ? r->reg.fac->n : 0;
    double q = r->o->busy_fraction;
    cc_status st = CC_OK;
    uint32_t *c0 = cc__malloc_array(nd ? nd : 1, sizeof(uint32_t)), *c1 = cc__malloc_array(nd ? nd : 1, sizeof(uint32_t));
    if (!c0 || !c1) {
        st = cc__fail(ctx, CC_ERR_NOMEM, "Out of memory evaluating the ambulances");
        goto out;
    }
    if ((st = ambulance_counts(r, NULL, NULL, 0, r->T_ms, c0)) || (st = ambulance_counts(r, sol->sites, sol->site_count, sol->n_sites, r->T_ms, c1))) goto out;
    res->busy_fraction = q;
    for (size_t f = 0; f < nf; f++) res->ambulances_existing += r->fixed[f] && r->reg.fjoin[f].arc != CC_INVALID_ID;
    for (uint32_t s = 0; s < sol->n_sites; s++) res->ambulances_new += sol->site_count[s];
    for (size_t i = 0; i < nd; i++) {
        double w = r->reg.dem.pop[i];
        res->expected_before += w * (1.0 - pow(q, (double)c0[i]));
        res->expected_after += w * (1.0 - pow(q, (double)c1[i]));
        res->twice_before += c0[i] >= 2 ? w : 0.0;
        res->twice_after += c1[i] >= 2 ? w : 0.0;
    }
    if (fabs(res->expected_after - sol->objective) > 1e-6 * fmax(1.0, res->expected_after) + 1e-6) {
        st = cc__fail(ctx, CC_ERR_INTERNAL, "The solver's expected coverage %.3f differs from the evaluation %.3f", sol->objective, res->expected_after);
        goto out;
    }
    double cum = res->expected_before;
    result_impl *ri = (result_impl *)res;
    for (size_t s = 0; s < ri->pub.n_picks; s++) {
        cc_site_pick *pk = &ri->picks[s];
        pk->ambulances = sol->site_count[s];
        cum += sol->site_gain[s];
        pk->covered_cum = cum;
        pk->share_cum = res->population_total > 0 ? cum / res->population_total : NAN;
    }
out:
    free(c0);
    free(c1);
    return st;
}

/* DSM: population within r1 and r2 of an ambulance and within r1 of two or more, before and after,
 * from fresh searches (the ambulances of each station counted), checked against the solver; the
 * picks' gains and cumulative figures become persons covered twice within r1. */
static cc_status evaluate_dsm(run *r, cc_site_result *res)
{
    cc_ctx *ctx = r->ctx;
    const cc_site_solution *sol = ((result_impl *)res)->sol;
    size_t nd = r->reg.dem.n, nf = (r->reg.fac != NULL) ? r->reg.fac->n : 0;
    cc_status st = CC_OK;
    uint32_t *c[4];
    for (int k = 0; k < 4; k++) c[k] = cc__malloc_array(nd ? nd : 1, sizeof(uint32_t));
    uint8_t *reach = cc__calloc_array(nd ? nd : 1, 1);
    if (!c[0] || !c[1] || !c[2] || !c[3] || !reach) {
        st = cc__fail(ctx, CC_ERR_NOMEM, "Out of memory evaluating the ambulances");
        goto out;
    }
    if ((st = ambulance_counts(r, NULL, NULL, 0, r->T_ms, c[0])) || (st = ambulance_counts(r, sol->sites, sol->site_count, sol->n_sites, r->T_ms, c[1])) ||
        (st = ambulance_counts(r, NULL, NULL, 0, r->R_ms, c[2])) || (st = ambulance_counts(r, sol->sites, sol->site_count, sol->n_sites, r->R_ms, c[3])))
        goto out;
    for (uint64_t e = 0; e < r->sets.first[r->sets.n_cand]; e++) reach[r->sets.dem[e]] = 1; /* some candidate within r2 */
    res->outer_minutes = r->outer_min;
    res->alpha = r->o->alpha == 0 ? 0.95 : r->o->alpha < 0 ? 0 : r->o->alpha;
    for (size_t f = 0; f < nf; f++) res->ambulances_existing += r->fixed[f] && r->reg.fjoin[f].arc != CC_INVALID_ID;
    for (uint32_t s = 0; s < sol->n_sites; s++) res->ambulances_new += sol->site_count[s];
    double within1 = 0;
    for (size_t i = 0; i < nd; i++) {
        double w = r->reg.dem.pop[i];
        res->twice_before += c[0][i] >= 2 ? w : 0.0;
        res->twice_after += c[1][i] >= 2 ? w : 0.0;
        within1 += c[1][i] >= 1 ? w : 0.0;
        res->outer_before += c[2][i] >= 1 ? w : 0.0;
        res->outer_after += c[3][i] >= 1 ? w : 0.0;
        res->outer_reachable += reach[i] || c[2][i] >= 1 ? w : 0.0;
    }
    const double tl = 1e-6 * fmax(1.0, res->population_total) + 1e-6;
    if (fabs(res->twice_after - sol->objective) > tl || fabs(within1 - res->covered_after) > tl || fabs(res->outer_after - sol->outer_after) > tl) {
        st = cc__fail(ctx, CC_ERR_INTERNAL, "The solver's figures (covered twice within r1 %.3f, within r2 %.3f) differ from the evaluation (%.3f, %.3f; within r1 %.3f and %.3f)",
                      sol->objective, sol->outer_after, res->twice_after, res->outer_after, within1, res->covered_after);
        goto out;
    }
    double cum = res->twice_before;
    result_impl *ri = (result_impl *)res;
    for (size_t s = 0; s < ri->pub.n_picks; s++) {
        cc_site_pick *pk = &ri->picks[s];
        pk->ambulances = sol->site_count[s];
        cum += sol->site_gain[s];
        pk->covered_cum = cum;
        pk->share_cum = res->population_total > 0 ? cum / res->population_total : NAN;
    }
out:
    for (int k = 0; k < 4; k++) free(c[k]);
    free(reach);
    return st;
}

/* CMCLP: each pick's capacity and the persons assigned to it (the solver's maximum flow), the
 * served total; checked: nothing above a capacity, and served + beyond capacity + covered before
 * = the population within T after (the fresh evaluation). */
static cc_status evaluate_cmclp(run *r, cc_site_result *res)
{
    const cc_site_solution *sol = ((result_impl *)res)->sol;
    result_impl *ri = (result_impl *)res;
    res->served_before = sol->covered_before;
    res->served_after = sol->objective;
    double cum = sol->covered_before;
    for (size_t s = 0; s < ri->pub.n_picks; s++) {
        cc_site_pick *pk = &ri->picks[s];
        uint32_t j = sol->sites[s];
        pk->capacity = r->cand_cap[j];
        pk->served = sol->site_served[s];
        cum += sol->site_gain[s];
        pk->covered_cum = cum;
        pk->share_cum = res->population_total > 0 ? cum / res->population_total : NAN;
        res->served_new += sol->site_served[s];
        res->capacity_new += r->cand_cap[j];
        if (pk->served > pk->capacity * (1 + 1e-9) + 1e-6)
            return cc__fail(r->ctx, CC_ERR_INTERNAL, "Site <%s> serves %.3f persons, above its capacity %.3f", pk->name, pk->served, pk->capacity);
    }
    res->unserved_within_new = sol->unserved_within;
    double sum = res->served_after + res->unserved_within_new;
    if (fabs(sum - res->covered_after) > 1e-6 * fmax(1.0, res->covered_after) + 1e-6)
        return cc__fail(r->ctx, CC_ERR_INTERNAL, "Served %.3f + beyond capacity %.3f differ from the %.3f within the threshold",
                        res->served_after, res->unserved_within_new, res->covered_after);
    if (!r->n_capfix && fabs(res->served_before - res->covered_before) > 1e-6 * fmax(1.0, res->covered_before) + 1e-6)
        return cc__fail(r->ctx, CC_ERR_INTERNAL, "Served before %.3f differs from the %.3f covered before by uncapacitated facilities",
                        res->served_before, res->covered_before);
    return CC_OK;
}

/* Capacitated p-median: each pick's capacity and the persons assigned to it, the mean times with
 * the capacities respected; checked: nothing above a capacity, and the mean after is never below
 * the capacity-blind mean of the fresh evaluation (nearest facility, capped at the radius, over the
 * people with road access). */
static cc_status evaluate_cpmedian(run *r, cc_site_result *res)
{
    const cc_site_solution *sol = ((result_impl *)res)->sol;
    result_impl *ri = (result_impl *)res;
    for (size_t s = 0; s < ri->pub.n_picks; s++) {
        cc_site_pick *pk = &ri->picks[s];
        uint32_t j = sol->sites[s];
        pk->capacity = r->cand_cap[j];
        pk->served = sol->site_served[s];
        res->served_new += pk->served;
        res->capacity_new += pk->capacity;
        if (pk->served > pk->capacity * (1 + 1e-9) + 1e-6)
            return cc__fail(r->ctx, CC_ERR_INTERNAL, "Site <%s> serves %.3f persons, above its capacity %.3f", pk->name, pk->served, pk->capacity);
    }
    res->cap_mean_s_before = sol->covered_before;
    res->cap_mean_s_after = sol->objective;
    res->at_radius_after = sol->unreachable_weight;
    res->unserved_within_new = sol->unserved_within;
    double sum = 0, wsum = 0;
    for (size_t i = 0; i < r->reg.dem.n; i++) {
        if (!has_access(r, i) || !(r->reg.dem.pop[i] > 0)) continue;
        uint32_t t = r->dtime[1][i] < r->R_ms ? r->dtime[1][i] : r->R_ms;
        sum += r->reg.dem.pop[i] * (double)t;
        wsum += r->reg.dem.pop[i];
    }
    double blind = wsum > 0 ? sum / wsum / 1000.0 : 0;
    if (sol->objective < blind - 1e-6 * (blind + 1))
        return cc__fail(r->ctx, CC_ERR_INTERNAL, "The capacitated mean time %.3f s is below the nearest-facility mean %.3f s", sol->objective, blind);
    res->mean_s_blind_after = blind;
    return CC_OK;
}

static cc_status make_curve(run *r, cc_site_result *res)
{
    result_impl *ri = (result_impl *)res;
    const cc_site_solution *s = ri->sol;
    size_t n = s->n_curve;
    if (!(ri->curve = cc__calloc_array(n ? n : 1, sizeof(cc_site_curve_point)))) return cc__fail(r->ctx, CC_ERR_NOMEM, "Out of memory");
    for (size_t k = 0; k < n; k++) {
        cc_site_curve_point *c = &ri->curve[k];
        c->p = (uint32_t)k + 1;
        c->objective = s->curve_objective[k];
        c->bound = ri->curve_bound ? ri->curve_bound[k] : s->curve_bound[k]; /* upgrades: the largest over the sets */
        if (r->model == CC_SITE_LSCP) {
            c->share = s->curve_objective[k];
            c->covered = c->share * s->total_weight;
            c->bound = NAN;
            c->gap = NAN;
        } else if (r->model == CC_SITE_MCLP || r->model == CC_SITE_CMCLP || r->model == CC_SITE_MEXCLP) {
            /* covered: cmclp served within capacity, mexclp expected coverage */
            c->covered = c->objective;
            c->share = res->population_total > 0 ? c->objective / res->population_total : 0;
            double gain = c->objective - s->covered_before;
            c->gap = c->bound - c->objective <= 1e-9 * (c->objective + 1) ? 0 : (c->bound - c->objective) / fmax(gain, 1e-12);
        } else {
            c->covered = c->share = NAN;
            c->gap = c->objective - c->bound <= 1e-9 * (c->objective + 1) ? 0 : (c->objective - c->bound) / fmax(c->objective, 1e-12);
        }
    }
    ri->pub.curve = ri->curve;
    ri->pub.n_curve = n;
    return CC_OK;
}

cc_status cc_site_run(cc_ctx *ctx, const cc_site_opts *opts, cc_site_result **out)
{
    run r = {.ctx = ctx, .o = opts};
    cc_status st;
    double t0 = cc__now(), t;
    if (out) *out = NULL;
    if (!opts) return cc__fail(ctx, CC_ERR_PARAM, "No options");
    if ((st = check_opts(&r))) goto out;
    if (!(r.res = calloc(1, sizeof(*r.res)))) {
        st = cc__fail(ctx, CC_ERR_NOMEM, "Out of memory");
        goto out;
    }
    cc_site_result *res = &r.res->pub;
    if ((st = cc__stage_begin(ctx, opts->out_dir, &r.stage))) goto out;
    if ((st = load_inputs(&r))) goto out;
    res->t_load_s = cc__now() - t0;
    t = cc__now();
    if ((st = cc__region_build(ctx, &r.reg, !opts->in.roads))) goto out; /* no roads: a friction surface only */
    res->t_graph_s = cc__now() - t;
    t = cc__now();
    cc__info(ctx, "Joining population, facilities and candidates to roads...");
    if ((st = join_all(&r)) || (st = make_candidates(&r, res))) goto out;
    if (r.fric && (st = cand_cells(&r, res))) goto out;
    if (r.fric) {
        res->population_moved = r.offres.population_moved;
        res->points_moved = r.offres.points_moved;
        res->moved_max_m = r.offres.moved_max_m;
    }
    res->t_snap_s = cc__now() - t;
    if (cc__interrupted(ctx)) {
        st = cc__fail(ctx, CC_ERR_INTERRUPTED, "Interrupted");
        goto out;
    }
    t = cc__now();
    if (r.chain && (st = chain_leg2(&r))) goto out;
    if (opts->upgrade_tiers) { /* every upgrade set solved: the times are together */
        if ((st = chain_upgrade(&r, res)) || r.sets_elsewhere) goto out; /* MPI: rank 0 solves the sets and writes */
        res->t_solve_s = cc__now() - t;
    } else {
        if ((st = base_times(&r, res)) || (st = build_sets(&r, res))) goto out;
        if (r.sets_elsewhere) goto out; /* an MPI rank other than 0: its part is sent; no outputs */
        res->t_sets_s = cc__now() - t;
        t = cc__now();
        if ((st = solve(&r, res))) goto out;
        res->t_solve_s = cc__now() - t;
    }
    res->solution = r.res->sol;
    t = cc__now();
    if ((st = evaluate(&r, res)) || (r.model == CC_SITE_MEXCLP && (st = evaluate_mexclp(&r, res))) ||
        (r.model == CC_SITE_CMCLP && (st = evaluate_cmclp(&r, res))) || (r.model == CC_SITE_DSM && (st = evaluate_dsm(&r, res))) ||
        (r.model == CC_SITE_CPMEDIAN && (st = evaluate_cpmedian(&r, res))) ||
        (st = make_curve(&r, res))) goto out;
    res->t_eval_s = cc__now() - t;
    res->model = r.model;
    res->emergency = opts->emergency;
    res->minutes = r.minutes;
    res->radius_minutes = r.coverage_model ? NAN : r.radius_min;
    res->dispatch_minutes = r.dispatch_min;
    res->chain = r.chain;
    res->on_scene_minutes = r.on_scene_ms / 60000.0;
    res->p = r.model == CC_SITE_LSCP ? r.res->sol->n_sites : r.p;
    snprintf(r.res->crs_name, sizeof(r.res->crs_name), "%s", r.reg.roads->crs_name);
    snprintf(r.res->profile_name, sizeof(r.res->profile_name), "%s", cc_profile_get_name(r.reg.profile));
    res->crs_name = r.res->crs_name;
    res->profile_name = r.res->profile_name;
    if (cc__interrupted(ctx)) {
        st = cc__fail(ctx, CC_ERR_INTERRUPTED, "Interrupted");
        goto out;
    }
    t = cc__now();
    uint8_t *dpass = NULL; /* friction: which demand points stand on a passable cell */
    if (r.fric) {
        if (!(dpass = cc__malloc_array(r.reg.dem.n ? r.reg.dem.n : 1, 1))) {
            st = cc__fail(ctx, CC_ERR_NOMEM, "Out of memory");
            goto out;
        }
        for (size_t i = 0; i < r.reg.dem.n; i++) dpass[i] = has_access(&r, i);
    }
    cc__site_out w = {.ctx = ctx, .o = opts, .crs_wkt = r.reg.roads->crs_wkt, .dem = &r.reg.dem, .grid = r.reg.dem.is_raster ? &r.reg.dem : &r.reg.grid,
                      .fac = (r.reg.fac != NULL) ? r.reg.fac : NULL, .fixed = r.fixed, .fjoin = r.reg.fjoin, .djoin = r.fric ? NULL : r.reg.djoin, .dpass = dpass, .admin = r.reg.have_admin ? &r.reg.admin : NULL, .roads = r.reg.roads, .profile = r.reg.profile,
                      .cand = &r.cand, .gtime_before = r.reg.dem.is_raster ? r.dtime[0] : r.gtime[0],
                      .gtime_after = r.reg.dem.is_raster ? r.dtime[1] : r.gtime[1], .dtime_before = r.dtime[0], .dtime_after = r.dtime[1],
                      .T_ms = r.T_ms, .model_name = cc_site_model_name(r.model), .stage = &r.stage, .res = res};
    res->t_total_s = cc__now() - t0; /* provisional, for summary.json */
    st = cc__site_write(&w);
    free(dpass);
    if (st) goto out;
    /* the same deliverables as a coverage run: styles in sites.gpkg, project.qgs, maps, report */
    if ((cc__site_outputs(opts) & CC_OUT_REPORT) && (st = cc_report_write(ctx, r.stage.tmp_dir, opts->report))) goto out;
    res->t_write_s = cc__now() - t;
    if ((st = cc__run_commit(ctx, &r.stage))) goto out;
    res->t_total_s = cc__now() - t0;
    if (out) {
        *out = res;
        r.res = NULL;
    }
out:
    run_free(&r);
    return st;
}

/* ---- robust siting across variants (issue 18) ------------------------------------------------------------------------- */

#include <json-c/json.h>
#include "carecircle/cc_site_robust.h"
#include "../report/report_internal.h"

typedef struct rob_var {
    run r;
    cc_site_opts o;
    cc_site_result res;
    double *w;
    uint8_t *covered;
    uint32_t *base; /* time models: time to the existing facilities, capped at the radius */
} rob_var;

/* One variant's coverage sets over the base's candidates (@p base NULL: this is the base, whose
 * candidates are made here), as an instance of the model: covered flags (coverage models) or base
 * times capped at the radius and weights of the people with road access (time models), as a single
 * siting run builds them. */
static cc_status robust_variant(cc_ctx *ctx, rob_var *V, const cc__cands *base, cc_site_instance *in)
{
    run *r = &V->r;
    cc_status st;
    /* the friction model: each variant builds its own surface from its own inputs (join_all) */
    if ((st = check_opts(r)) || (st = load_inputs(r)) || (st = cc__region_build(ctx, &r->reg, !r->o->in.roads)) || (st = join_all(r))) return st;
    if (!base) {
        if ((st = make_candidates(r, &V->res))) return st;
        if (r->fric && (st = cand_cells(r, &V->res))) return st; /* the base's candidates: those on a passable cell */
    } else {
        r->cand.n = base->n;
        if (r->reg.snap) {
            if ((st = cc__join_points(ctx, r->reg.snap, r->reg.profile, base->x, base->y, base->n, &r->cand.join, &r->cand.off))) return st;
        } else { /* the friction surface only: no road to join */
            r->cand.join = cc__malloc_array(base->n ? base->n : 1, sizeof(cc__join));
            r->cand.off = cc__malloc_array(base->n ? base->n : 1, sizeof(uint32_t));
            if (!r->cand.join || !r->cand.off) return cc__fail(ctx, CC_ERR_NOMEM, "Out of memory");
            for (size_t j = 0; j < base->n; j++) r->cand.join[j] = (cc__join){.arc = CC_INVALID_ID, .d_m = INFINITY}, r->cand.off[j] = CC_INF_COST;
        }
        if (r->fric) { /* the base's candidates on this variant's surface; one on an impassable cell here covers nothing here */
            size_t n_bad = 0;
            if (!(r->ccell = cc__malloc_array(base->n ? base->n : 1, sizeof(int64_t)))) return cc__fail(ctx, CC_ERR_NOMEM, "Out of memory");
            if ((st = cc__offroad_cells(ctx, &r->off, base->x, base->y, base->n, r->ccell, &n_bad))) return st;
            if (n_bad)
                cc__warn(ctx, "%zu of the %zu candidate sites stand on an impassable cell of this variant's friction surface and cover nobody in it",
                         n_bad, base->n);
        }
    }
    if (r->chain && (st = chain_leg2(r))) return st;
    if ((st = base_times(r, &V->res)) || (st = build_sets(r, &V->res))) return st;
    size_t nd = r->reg.dem.n;
    V->w = cc__malloc_array(nd ? nd : 1, sizeof(double));
    V->covered = cc__malloc_array(nd ? nd : 1, 1);
    V->base = cc__malloc_array(nd ? nd : 1, sizeof(uint32_t));
    if (!V->w || !V->covered || !V->base) return cc__fail(ctx, CC_ERR_NOMEM, "Out of memory");
    for (size_t i = 0; i < nd; i++) {
        V->w[i] = r->coverage_model || has_access(r, i) ? r->reg.dem.pop[i] : 0.0;
        V->covered[i] = r->time0[i] <= r->T_ms;
        V->base[i] = r->time0[i] < r->R_ms ? r->time0[i] : r->R_ms;
    }
    *in = (cc_site_instance){.n_candidates = (uint32_t)r->cand.n, .n_demand = (uint32_t)nd, .first = r->sets.first,
                             .demand = r->sets.dem, .weight = V->w, .covered = r->coverage_model ? V->covered : NULL,
                             .time_ms = r->coverage_model ? NULL : r->sets.t_ms, .base_time_ms = r->coverage_model ? NULL : V->base,
                             .radius_ms = r->coverage_model ? 0 : r->R_ms};
    return CC_OK;
}

static json_object *jarr(const double *v, size_t n, size_t stride, int dec)
{
    json_object *a = json_object_new_array();
    for (size_t i = 0; i < n; i++) json_object_array_add(a, cc__json_num(v[i * stride], dec));
    return a;
}

/* The name of robust site @p k: as the base's folder names it (a road point after its nearest village
 * or admin area, with its lon/lat), else the candidate's. */
static const char *robust_site_name(const run *b, const cc_robust_solution *R, uint32_t k)
{
    const cc_site_result *res = b->res ? &b->res->pub : NULL;
    if (res && k < res->n_picks && res->picks[k].name) return res->picks[k].name;
    return b->cand.name[R->sites[k]];
}

/* summary.json of every robust model: the objective, the model, the parameters, the solution with
 * its bound and the robust sites (named as in the base's folder); the variants are the caller's. */
static json_object *robust_summary(const cc_site_robust_opts *o, const run *b, const cc_robust_solution *R)
{
    const cc__cands *c = &b->cand;
    bool lscp = R->model == CC_SITE_LSCP, tmod = R->model == CC_SITE_PMEDIAN || R->model == CC_SITE_PCENTER;
    json_object *j = json_object_new_object();
    json_object_object_add(j, "objective", json_object_new_string(cc_robust_objective_name(R->objective)));
    json_object_object_add(j, "model", json_object_new_string(cc_site_model_name(R->model)));
    if (R->objective == CC_ROBUST_MIN_MAX_REGRET)
        json_object_object_add(j, "regret", json_object_new_string(R->relative_regret ? "relative" : "absolute"));
    json_object *par = json_object_new_object();
    if (lscp) json_object_object_add(par, "target_share", cc__json_num(R->target_share, 6));
    else json_object_object_add(par, "p", json_object_new_int((int)b->p));
    json_object_object_add(par, "minutes", cc__json_num(b->minutes, 3));
    if (tmod) json_object_object_add(par, "radius_minutes", cc__json_num(b->radius_min, 3));
    if (o->site.max_per_area > 0) json_object_object_add(par, "max_per_area", json_object_new_int(o->site.max_per_area));
    if (o->site.min_per_area > 0) json_object_object_add(par, "min_per_area", json_object_new_int(o->site.min_per_area));
    json_object_object_add(par, "emergency", json_object_new_boolean(o->site.emergency));
    json_object_object_add(j, "parameters", par);
    json_object *sol = json_object_new_object();
    if (lscp) json_object_object_add(sol, "sites", json_object_new_int((int)R->n_sites));
    json_object_object_add(sol, "objective", cc__json_num(R->objective_value, 6));
    if (!lscp) json_object_object_add(sol, "objective_conservative", cc__json_num(R->objective_conservative, 6));
    json_object_object_add(sol, "bound", isfinite(R->bound) ? cc__json_num(R->bound, 6) : NULL);
    /* an upper bound for coverage max_min and expected; a lower one for a regret, a time or a count of sites */
    bool upper = R->model == CC_SITE_MCLP && R->objective != CC_ROBUST_MIN_MAX_REGRET;
    json_object_object_add(sol, "bound_kind", json_object_new_string(upper ? "upper" : "lower"));
    json_object_object_add(sol, "gap", cc__json_num(R->gap, 9));
    json_object_object_add(sol, "proven_optimal", json_object_new_boolean(R->proven_optimal));
    json_object_object_add(sol, "bound_method", json_object_new_string(R->bound_method ? R->bound_method : ""));
    if (lscp) json_object_object_add(sol, "feasible", json_object_new_boolean(R->feasible));
    json_object_object_add(sol, "seconds", cc__json_num(R->t_total_s, 3));
    json_object_object_add(j, "solution", sol);
    json_object *sites = json_object_new_array();
    for (uint32_t k = 0; k < R->n_sites; k++) {
        uint32_t s = R->sites[k];
        json_object *e = json_object_new_object();
        json_object_object_add(e, "rank", json_object_new_int((int)k + 1));
        json_object_object_add(e, "name", json_object_new_string(robust_site_name(b, R, k)));
        const cc_site_result *br = b->res ? &b->res->pub : NULL; /* a road point's name in Chinese (the zh report) */
        if (br && k < br->n_picks && br->picks[k].name_zh) json_object_object_add(e, "name_zh", json_object_new_string(br->picks[k].name_zh));
        json_object_object_add(e, "lon", cc__json_num(c->lon[s], 7));
        json_object_object_add(e, "lat", cc__json_num(c->lat[s], 7));
        json_object_array_add(sites, e);
    }
    json_object_object_add(j, "robust_sites", sites);
    return j;
}

/* Robust lscp: regret.csv becomes a table of covered shares (rows: the robust set and each
 * variant's own LSCP answer; per variant the covered persons and share; the sites; whether every
 * variant reaches the target), and summary.json carries the target and per-variant shares. */
static cc_status robust_write_lscp(cc_ctx *ctx, const cc_site_robust_opts *o, const run *b, const cc_robust_solution *R, cc__stage *stage)
{
    char path[4200];
    size_t n = R->n_variants;
    double eps_share = 1e-9;
    FILE *f = fopen(cc__stage_path(stage, "regret.csv", path, sizeof(path)), "w");
    if (!f) return cc__fail(ctx, CC_ERR_IO, "Unable to create '%s'", path);
    fprintf(f, "answer,sites");
    for (size_t v = 0; v < n; v++) fprintf(f, ",covered_%s_persons", o->names[v]);
    for (size_t v = 0; v < n; v++) fprintf(f, ",covered_share_%s", o->names[v]);
    fprintf(f, ",worst_covered_share,every_target_met\n");
    for (size_t a = 0; a <= n; a++) {
        const double *cv = a == 0 ? R->cov : R->cross + (a - 1) * n;
        uint32_t ns = a == 0 ? R->n_sites : R->own_first[a] - R->own_first[a - 1];
        double worst = INFINITY;
        bool met = true;
        if (a == 0) fprintf(f, "robust_lscp,%u", ns);
        else fprintf(f, "own_%s,%u", o->names[a - 1], ns);
        for (size_t v = 0; v < n; v++) fprintf(f, ",%lld", llround(cv[v]));
        for (size_t v = 0; v < n; v++) {
            double sh = R->total[v] > 0 ? cv[v] / R->total[v] : 0;
            worst = fmin(worst, sh);
            met &= sh >= R->target_share - eps_share * (1 + 1 / fmax(R->total[v], 1));
            fprintf(f, ",%.6f", sh);
        }
        fprintf(f, ",%.6f,%s\n", worst, met ? "yes" : "no");
    }
    if (fclose(f) != 0) return cc__fail(ctx, CC_ERR_IO, "Unable to write '%s'", path);
    json_object *j = robust_summary(o, b, R);
    json_object *vars = json_object_new_array();
    for (size_t v = 0; v < n; v++) {
        json_object *e = json_object_new_object();
        json_object_object_add(e, "name", json_object_new_string(o->names[v]));
        json_object_object_add(e, "total_persons", cc__json_num(R->total[v], 1));
        json_object_object_add(e, "covered_robust_persons", cc__json_num(R->cov[v], 1));
        json_object_object_add(e, "covered_share_robust", cc__json_num(R->total[v] > 0 ? R->cov[v] / R->total[v] : 0, 6));
        json_object_object_add(e, "own_optimum_sites", cc__json_num(R->opt[v], 0));
        json_object_object_add(e, "own_bound_sites", cc__json_num(R->opt_bound[v], 0));
        json_object_object_add(e, "own_optimum_proven", json_object_new_boolean(R->opt_proven[v]));
        json_object_object_add(e, "extra_sites", cc__json_num(R->regret[v], 0));
        json_object *cs = json_object_new_array();
        for (size_t a = 0; a < n; a++)
            json_object_array_add(cs, cc__json_num(R->total[v] > 0 ? R->cross[a * n + v] / R->total[v] : 0, 6));
        json_object_object_add(e, "covered_share_by_own_answers", cs);
        json_object_object_add(e, "covered_by_own_answers_persons", jarr(R->cross + v, n, n, 1));
        json_object_array_add(vars, e);
    }
    json_object_object_add(j, "variants", vars);
    cc_status st = cc__write_json(ctx, cc__stage_path(stage, "summary.json", path, sizeof(path)), j);
    json_object_put(j);
    return st;
}

/* sites.gpkg of a robust study: layer robust_sites. */
static cc_status robust_gpkg(cc_ctx *ctx, const run *b, const cc_robust_solution *R, cc__stage *stage)
{
    char path[4200];
    const cc__cands *c = &b->cand;
    GDALDatasetH ds = cc__gpkg_create(ctx, cc__stage_path(stage, "sites.gpkg", path, sizeof(path)));
    if (!ds) return CC_ERR_IO;
    cc_status st = CC_OK;
    OGRLayerH lyr = cc__gpkg_layer(ctx, ds, "robust_sites", wkbPoint, b->reg.roads->crs_wkt,
                                   "One set of new sites for every variant of the batch (robust siting)");
    if (!lyr) st = CC_ERR_IO;
    static const char *const fn[] = {"rank", "candidate_id", "name", "source", "lon", "lat"};
    static const OGRFieldType ft[] = {OFTInteger, OFTInteger, OFTString, OFTString, OFTReal, OFTReal};
    for (size_t i = 0; i < 6 && !st; i++) st = cc__add_field(ctx, lyr, fn[i], ft[i]);
    for (uint32_t k = 0; k < R->n_sites && !st; k++) {
        uint32_t j = R->sites[k];
        OGRFeatureH f = OGR_F_Create(OGR_L_GetLayerDefn(lyr));
        OGR_F_SetFieldInteger(f, 0, (int)k + 1);
        OGR_F_SetFieldInteger(f, 1, (int)j);
        OGR_F_SetFieldString(f, 2, robust_site_name(b, R, k));
        OGR_F_SetFieldString(f, 3, c->source[j] == CC__CAND_FACILITY ? "facility" : c->source[j] == CC__CAND_LAYER ? "candidate" : "road");
        OGR_F_SetFieldDouble(f, 4, c->lon[j]);
        OGR_F_SetFieldDouble(f, 5, c->lat[j]);
        OGRGeometryH g = OGR_G_CreateGeometry(wkbPoint);
        OGR_G_SetPoint_2D(g, 0, c->x[j], c->y[j]);
        OGR_F_SetGeometryDirectly(f, g);
        if (OGR_L_CreateFeature(lyr, f) != OGRERR_NONE) st = cc__fail(ctx, CC_ERR_IO, "Unable to write a feature of layer <robust_sites>: %s", cc__gdal_msg(ctx));
        OGR_F_Destroy(f);
    }
    return cc__gpkg_close(ctx, ds, path, st);
}

static cc_status robust_write(cc_ctx *ctx, const cc_site_robust_opts *o, const run *b, const cc_robust_solution *R, cc__stage *stage)
{
    char path[4200];
    size_t n = R->n_variants;
    cc_status st;
    if ((cc__site_outputs(&o->site) & CC_OUT_GPKG) && (st = robust_gpkg(ctx, b, R, stage))) return st;
    if (R->model == CC_SITE_LSCP) return robust_write_lscp(ctx, o, b, R, stage);
    /* regret.csv: rows = answers (the robust set, each variant's own optimum), per variant the
     * value and the regret against the variant's own optimum, in the model's measure (persons
     * covered; the time models' mean or worst time, seconds, lower is better) */
    const cc__robust_measure *m = cc__robust_measure_of(cc_site_model_name(R->model));
    if (!m) return cc__fail(ctx, CC_ERR_INTERNAL, "Robust siting has no measure for model %s", cc_site_model_name(R->model));
    FILE *f = fopen(cc__stage_path(stage, "regret.csv", path, sizeof(path)), "w");
    if (!f) return cc__fail(ctx, CC_ERR_IO, "Unable to create '%s'", path);
    const bool tmod = !m->higher_better;
    const char *what = m->what, *unit = m->unit;
    fprintf(f, "answer");
    for (size_t v = 0; v < n; v++) fprintf(f, ",%s_%s_%s", what, o->names[v], unit);
    for (size_t v = 0; v < n; v++) fprintf(f, ",regret_%s_%s", o->names[v], unit);
    fprintf(f, ",worst_%s_%s,worst_regret_%s\n", what, unit, unit);
    for (size_t a = 0; a <= n; a++) {
        const double *cv = a == 0 ? R->cov : R->cross + (a - 1) * n;
        double wc = tmod ? -INFINITY : INFINITY, wr = tmod ? -INFINITY : 0;
        if (a == 0) fprintf(f, "robust_%s", cc_robust_objective_name(R->objective));
        else fprintf(f, "own_%s", o->names[a - 1]);
        for (size_t v = 0; v < n; v++) {
            wc = tmod ? fmax(wc, cv[v]) : fmin(wc, cv[v]);
            if (tmod) fprintf(f, ",%.1f", cv[v]);
            else fprintf(f, ",%lld", llround(cv[v]));
        }
        for (size_t v = 0; v < n; v++) {
            double rg = cc_site_robust_regret(R, v, cv[v]);
            wr = fmax(wr, rg);
            if (tmod) fprintf(f, ",%.1f", fabs(rg) < 0.05 ? 0.0 : rg); /* no "-0.0" */
            else fprintf(f, ",%lld", llround(rg));
        }
        if (tmod) fprintf(f, ",%.1f,%.1f\n", wc, fabs(wr) < 0.05 ? 0.0 : wr);
        else fprintf(f, ",%lld,%lld\n", llround(wc), llround(wr));
    }
    if (fclose(f) != 0) return cc__fail(ctx, CC_ERR_IO, "Unable to write '%s'", path);
    json_object *j = robust_summary(o, b, R);
    json_object *vars = json_object_new_array();
    for (size_t v = 0; v < n; v++) {
        json_object *e = json_object_new_object();
        json_object_object_add(e, "name", json_object_new_string(o->names[v]));
        if (o->weights && R->objective == CC_ROBUST_EXPECTED) json_object_object_add(e, "weight", cc__json_num(o->weights[v], 6));
        char key[64];
        double rg = cc_site_robust_regret(R, v, R->cov[v]);
        snprintf(key, sizeof(key), "%s_robust_%s", what, unit);
        json_object_object_add(e, key, cc__json_num(R->cov[v], tmod ? 3 : 1));
        snprintf(key, sizeof(key), "own_optimum_%s", unit);
        json_object_object_add(e, key, cc__json_num(R->opt[v], tmod ? 3 : 1));
        snprintf(key, sizeof(key), "own_bound_%s", unit);
        json_object_object_add(e, key, cc__json_num(R->opt_bound[v], tmod ? 3 : 1));
        json_object_object_add(e, "own_optimum_proven", json_object_new_boolean(R->opt_proven[v]));
        snprintf(key, sizeof(key), "regret_%s", unit);
        json_object_object_add(e, key, cc__json_num(rg, tmod ? 3 : 1));
        json_object_object_add(e, "regret_share", cc__json_num(R->opt[v] > 0 ? rg / R->opt[v] : 0, 6));
        snprintf(key, sizeof(key), "%s_by_own_answers_%s", what, unit);
        json_object_object_add(e, key, jarr(R->cross + v, n, n, tmod ? 3 : 1));
        json_object_array_add(vars, e);
    }
    json_object_object_add(j, "variants", vars);
    st = cc__write_json(ctx, cc__stage_path(stage, "summary.json", path, sizeof(path)), j);
    json_object_put(j);
    return st;
}

/* The robust set as the answer of variant @p v's own siting study, in rank order: for the coverage
 * models its gains (persons newly covered) and covered population, with the variant's own bound
 * for p sites (no p sites cover more; LSCP: the trivial bound, everybody, as no bound for this
 * count is known); for the time models its mean or worst time (seconds, the robust solver's), the
 * gains as person-seconds of the population-weighted mean saved by each rank, and as bound the
 * variant's own lower bound (no p sites do better there). Owned by the variant's result. */
static cc_status robust_as_solution(cc_ctx *ctx, const cc_site_instance *in, const cc_robust_solution *R, size_t v, cc_site_solution **out)
{
    cc__sol *s = calloc(1, sizeof(*s));
    uint32_t ns = R->n_sites;
    if (!s || !(s->sites = cc__malloc_array(ns ? ns : 1, sizeof(uint32_t))) || !(s->gain = cc__malloc_array(ns ? ns : 1, sizeof(double)))) {
        if (s) free(s->sites);
        free(s);
        return cc__fail(ctx, CC_ERR_NOMEM, "Out of memory");
    }
    memcpy(s->sites, R->sites, ns * sizeof(uint32_t));
    bool tmod = R->model == CC_SITE_PMEDIAN || R->model == CC_SITE_PCENTER;
    cc_site_model gm = tmod ? CC_SITE_PMEDIAN : CC_SITE_MCLP; /* what the gains count */
    double total = 0;
    for (uint32_t i = 0; i < in->n_demand; i++) total += in->weight[i];
    double before = cc_site_robust_value(in, gm, R->sites, 0), prev = before;
    for (uint32_t k = 0; k < ns; k++) {
        double c = cc_site_robust_value(in, gm, R->sites, k + 1);
        s->gain[k] = tmod ? (prev - c) * total : c - prev;
        prev = c;
    }
    cc_site_solution *p = &s->pub;
    p->n_sites = ns;
    p->sites = s->sites;
    p->site_gain = s->gain;
    p->objective = R->cov[v];
    p->total_weight = total;
    p->feasible = true;
    if (tmod) {
        p->model = R->model;
        p->bound = fmin(R->opt_bound[v], R->cov[v]);
        p->gap = p->objective - p->bound <= 1e-9 * (p->objective + 1) ? 0 : (p->objective - p->bound) / fmax(p->objective, 1e-12);
        p->bound_method = "robust: the variant's own bound";
        p->covered_before = NAN;
        p->covered_share = NAN;
        p->p90_s = NAN;
    } else {
        p->model = CC_SITE_MCLP;
        bool lscp = R->model == CC_SITE_LSCP;
        p->bound = lscp ? total : fmax(R->opt_bound[v], R->cov[v]);
        p->gap = p->bound - p->objective <= 1e-9 * (p->objective + 1) ? 0 : (p->bound - p->objective) / fmax(p->objective - before, 1e-12);
        p->bound_method = lscp ? "trivial" : "robust: the variant's own bound";
        p->covered_before = before;
        p->covered_share = total > 0 ? p->objective / total : 0;
    }
    p->proven_optimal = p->gap == 0;
    *out = p;
    return CC_OK;
}

/* The robust set's time in variant @p v from the fresh searches of evaluate() (r->dtime[1]) against
 * the robust solver's: the population-weighted mean (p-median) or the worst (p-centre, over the
 * demand some facility or candidate reaches within the radius) of the times capped at the radius,
 * over the people with road access. Disagreement is an internal error (exit 70). */
static cc_status robust_check_time(run *r, const cc_site_instance *in, const cc_robust_solution *R, size_t v, cc_site_result *res)
{
    size_t nd = r->reg.dem.n;
    uint8_t *useful = NULL;
    if (R->model == CC_SITE_PCENTER) {
        if (!(useful = cc__calloc_array(nd ? nd : 1, 1))) return cc__fail(r->ctx, CC_ERR_NOMEM, "Out of memory");
        for (uint64_t k = 0; k < in->first[in->n_candidates]; k++)
            if (in->time_ms[k] < in->base_time_ms[in->demand[k]]) useful[in->demand[k]] = 1;
    }
    double sum = 0, wsum = 0, at_radius = 0;
    uint32_t worst = 0;
    for (size_t i = 0; i < nd; i++) {
        double w = in->weight[i];
        if (!(w > 0)) continue;
        uint32_t t = r->dtime[1][i] < r->R_ms ? r->dtime[1][i] : r->R_ms;
        sum += w * (double)t;
        wsum += w;
        if (t >= r->R_ms) at_radius += w;
        bool left_out = useful && r->R_ms && in->base_time_ms[i] >= r->R_ms && !useful[i];
        if (!left_out && t > worst) worst = t;
    }
    free(useful);
    double fresh = R->model == CC_SITE_PMEDIAN ? (wsum > 0 ? sum / wsum / 1000.0 : 0) : worst / 1000.0;
    ((result_impl *)res)->sol->unreachable_weight = at_radius;
    if (fabs(fresh - R->cov[v]) > 1e-6 * fmax(1.0, fresh))
        return cc__fail(r->ctx, CC_ERR_INTERNAL, "The robust solver's %s %.3f s in variant %zu differs from the evaluation %.3f s",
                        R->model == CC_SITE_PMEDIAN ? "mean time" : "worst time", R->cov[v], v + 1, fresh);
    return CC_OK;
}

/* Folder <name>/ of variant @p v: the robust set evaluated afresh in this variant (as a siting run's
 * outputs: sites.gpkg with the variant's own optimum as layer own_optimum_sites, summary.json,
 * coverage_curve.csv) and its deliverables (map, report, project) with the variant's roads, closed
 * ones included. The fresh evaluation must agree with the robust solver's coverage or time, for
 * every model (exit 70). */
static cc_status variant_outputs(cc_ctx *ctx, const cc_site_robust_opts *o, rob_var *V, const cc_site_instance *in,
                                 const cc_robust_solution *R, size_t v, cc__stage *stage)
{
    run *r = &V->r;
    cc_status st;
    cc_site_solution *sol = NULL;
    if (!(r->res = calloc(1, sizeof(*r->res)))) return cc__fail(ctx, CC_ERR_NOMEM, "Out of memory");
    if ((st = robust_as_solution(ctx, in, R, v, &sol))) return st;
    r->res->sol = sol;
    cc_site_result *res = &r->res->pub;
    res->solution = sol;
    const cc_site_result *sr = &V->res; /* the figures of this variant's coverage sets */
    res->candidates_total = sr->candidates_total, res->candidates_facility = sr->candidates_facility;
    res->candidates_layer = sr->candidates_layer, res->candidates_road = sr->candidates_road;
    res->candidates_dropped_excluded = sr->candidates_dropped_excluded, res->candidates_dropped_offroad = sr->candidates_dropped_offroad;
    res->fixed_facilities = sr->fixed_facilities, res->pairs = sr->pairs, res->sets_bytes = sr->sets_bytes;
    res->bytes_per_pair = sr->bytes_per_pair, res->settled_nodes = sr->settled_nodes;
    bool tmod = R->model == CC_SITE_PMEDIAN || R->model == CC_SITE_PCENTER;
    if ((st = evaluate(r, res)) || (tmod && (st = robust_check_time(r, in, R, v, res))) || (st = make_curve(r, res))) return st;
    res->model = tmod ? R->model : CC_SITE_MCLP;
    res->minutes = r->minutes;
    res->radius_minutes = tmod ? r->radius_min : NAN;
    res->dispatch_minutes = r->dispatch_min;
    res->p = R->n_sites;
    snprintf(r->res->crs_name, sizeof(r->res->crs_name), "%s", r->reg.roads->crs_name);
    snprintf(r->res->profile_name, sizeof(r->res->profile_name), "%s", cc_profile_get_name(r->reg.profile));
    res->crs_name = r->res->crs_name;
    res->profile_name = r->res->profile_name;
    res->t_total_s = R->t_total_s;
    if (r->fric) {
        res->population_moved = r->offres.population_moved;
        res->points_moved = r->offres.points_moved;
        res->moved_max_m = r->offres.moved_max_m;
    }
    const cc_site_opts *so = r->o;
    uint8_t *dpass = NULL; /* friction: which demand points stand on a passable cell */
    if (r->fric) {
        if (!(dpass = cc__malloc_array(r->reg.dem.n ? r->reg.dem.n : 1, 1))) return cc__fail(ctx, CC_ERR_NOMEM, "Out of memory");
        for (size_t i = 0; i < r->reg.dem.n; i++) dpass[i] = has_access(r, i);
    }
    cc__stage sub;
    if ((st = cc__stage_sub(ctx, stage, o->names[v], &sub))) {
        free(dpass);
        return st;
    }
    char model_name[64]; /* the report reads the model from its first word */
    snprintf(model_name, sizeof(model_name), "%s (robust set)", R->model == CC_SITE_LSCP ? "lscp" : cc_site_model_name(res->model));
    cc__site_out w = {.ctx = ctx, .o = so, .crs_wkt = r->reg.roads->crs_wkt, .dem = &r->reg.dem, .grid = r->reg.dem.is_raster ? &r->reg.dem : &r->reg.grid,
                      .fac = r->reg.fac, .fixed = r->fixed, .fjoin = r->reg.fjoin, .djoin = r->fric ? NULL : r->reg.djoin, .dpass = dpass, .admin = r->reg.have_admin ? &r->reg.admin : NULL,
                      .roads = r->reg.roads, .profile = r->reg.profile, .cand = &r->cand,
                      .gtime_before = r->reg.dem.is_raster ? r->dtime[0] : r->gtime[0], .gtime_after = r->reg.dem.is_raster ? r->dtime[1] : r->gtime[1],
                      .dtime_before = r->dtime[0], .dtime_after = r->dtime[1], .T_ms = r->T_ms, .model_name = model_name, .stage = &sub,
                      .res = res, .own = R->own_sites + R->own_first[v], .n_own = R->own_first[v + 1] - R->own_first[v]};
    st = cc__site_write(&w);
    free(dpass);
    if (!st && so->report && (cc__site_outputs(so) & CC_OUT_REPORT)) {
        cc_report_opts ro = *so->report;
        ro.scenario = o->names[v];
        ro.base_dir = NULL;
        st = cc_report_write(ctx, sub.tmp_dir, &ro);
    }
    cc__stage_sub_end(&sub);
    return st;
}

/* variant_outputs() for variant @p v, whose candidates are the base's (@p base: places and names
 * borrowed for the writing, its own joins and figures kept). */
static cc_status robust_variant_outputs(cc_ctx *ctx, const cc_site_robust_opts *o, rob_var *V, const cc__cands *base, const cc_site_instance *in,
                                        const cc_robust_solution *R, size_t v, cc__stage *stage)
{
    cc__cands *c = &V->r.cand;
    if (c == base) return variant_outputs(ctx, o, V, in, R, v, stage);
    cc__cands keep = *c;
    c->x = base->x, c->y = base->y, c->lon = base->lon, c->lat = base->lat, c->source = base->source, c->name = base->name, c->admin = base->admin;
    cc_status st = variant_outputs(ctx, o, V, in, R, v, stage);
    c->x = keep.x, c->y = keep.y, c->lon = keep.lon, c->lat = keep.lat, c->source = keep.source, c->name = keep.name, c->admin = keep.admin;
    return st;
}

cc_status cc_site_robust_run(cc_ctx *ctx, const cc_site_robust_opts *o, cc_robust_solution **out)
{
    if (out) *out = NULL;
    if (!o || !o->n_variants || !o->variants || !o->names) return cc__fail(ctx, CC_ERR_PARAM, "Robust siting needs at least one variant");
    cc_site_model md = o->site.model;
    if (md == CC_SITE_LSCP && o->objective != CC_ROBUST_MAX_MIN)
        return cc__fail(ctx, CC_ERR_PARAM,
                        "Robust lscp finds the fewest sites that reach the target share in every variant (parameter objective max_min); the objective %s is "
                        "not defined for it (a regret in sites or a weighted mean of shares would let a variant miss the target)",
                        cc_robust_objective_name(o->objective));
    if (md != CC_SITE_MCLP && md != CC_SITE_LSCP && md != CC_SITE_PMEDIAN && md != CC_SITE_PCENTER)
        return cc__fail(ctx, CC_ERR_PARAM, "Robust siting supports the models mclp, lscp, pmedian and pcenter (parameter model), not %s", cc_site_model_name(md));
    if (md == CC_SITE_PCENTER && o->objective == CC_ROBUST_EXPECTED)
        return cc__fail(ctx, CC_ERR_PARAM, "Robust pcenter minimises the worst time over every variant (objective max_min) or the worst regret (min_max_regret); "
                                           "the objective expected (a weighted mean of worst times) is not supported");
    if (o->site.upgrade_tiers) /* each variant would need its own upgrade sets: one set of sites and upgrades over all is not built */
        return cc__fail(ctx, CC_ERR_PARAM, "Parameter upgrade_tiers (upgrading facilities on the emergency chain) works for one scenario, not in robust "
                                           "siting over a batch (parameter scenarios)");
    if (!o->site.out_dir) return cc__fail(ctx, CC_ERR_PARAM, "No output folder given (parameter out_dir)");
    cc_status cst = check_outputs(ctx, &o->site);
    if (cst) return cst;
    size_t n = o->n_variants;
    rob_var *V = cc__calloc_array(n, sizeof(rob_var));
    cc_site_instance *in = cc__calloc_array(n, sizeof(cc_site_instance));
    cc__stage stage = {0};
    bool staged = false;
    cc_robust_solution *R = NULL;
    bool elsewhere = false;
    cc_status st = (!V || !in) ? cc__fail(ctx, CC_ERR_NOMEM, "Out of memory") : CC_OK;
    /* variants whose graphs have the same costs (facility or population changes) share the
     * hierarchy of their coverage sets: kept for this run unless the caller keeps them already */
    cc__ch_cache *own_hier = NULL;
    if (!st && !ctx->ch_cache && !(st = cc__ch_cache_create(ctx, &own_hier))) ctx->ch_cache = own_hier;
    if (!st && !(st = cc__stage_begin(ctx, o->site.out_dir, &stage))) staged = true;
    for (size_t v = 0; v < n && !st; v++) {
        V[v].o = o->site;
        V[v].o.in = o->variants[v];
        V[v].r = (run){.ctx = ctx, .o = &V[v].o};
        cc__info(ctx, "Robust siting: coverage sets of variant %zu of %zu (%s)...", v + 1, n, o->names[v]);
        st = robust_variant(ctx, &V[v], v ? &V[0].r.cand : NULL, &in[v]);
        elsewhere |= V[v].r.sets_elsewhere; /* an MPI rank other than 0: its part of the sets is sent */
    }
    if (elsewhere) goto out;
    if (!st && md != CC_SITE_LSCP && V[0].r.p > V[0].r.cand.n)
        st = cc__fail(ctx, CC_ERR_PARAM, "Parameter p (%u) is more than the %zu candidate sites", V[0].r.p, V[0].r.cand.n);
    /* the per-area limits: over the base's admin areas, the same for every variant (the candidates are the base's) */
    uint32_t *area = NULL, *amin = NULL, *amax = NULL;
    cc_site_instance lim = {0};
    if (!st) st = area_limits(&V[0].r, &lim, &area, &amin, &amax);
    for (size_t v = 0; v < n && !st; v++)
        in[v].area = lim.area, in[v].n_areas = lim.n_areas, in[v].area_min = lim.area_min, in[v].area_max = lim.area_max;
    if (!st) {
        cc_robust_params P = {.objective = o->objective, .relative_regret = o->relative_regret, .weights = o->weights};
        P.site = (cc_site_params){.model = md, .p = V[0].r.p, .exact = o->site.exact, .time_limit_s = o->site.time_limit_s,
                                  .exact_max_nonzeros = o->site.exact_max_nonzeros,
                                  .target_share = o->site.target_share ? o->site.target_share : 0.95};
        st = cc_site_robust_solve(ctx, in, n, &P, &R);
    }
    CC__FREE_ALL(area, amin, amax);
    /* the robust set in each variant (folder, map, report), then the study's report: the objective,
     * the sites, the regret table and its chart, in the model's measure */
    for (size_t v = 0; v < n && !st; v++) {
        cc__info(ctx, "Robust siting: the robust set in variant %zu of %zu (%s): evaluation, map and report...", v + 1, n, o->names[v]);
        st = robust_variant_outputs(ctx, o, &V[v], &V[0].r.cand, &in[v], R, v, &stage);
    }
    if (!st) st = robust_write(ctx, o, &V[0].r, R, &stage); /* the sites named as in the base's folder */
    if (!st && o->site.report && (cc__site_outputs(&o->site) & CC_OUT_REPORT)) st = cc_report_write(ctx, stage.tmp_dir, o->site.report);
    if (!st) st = cc__stage_commit(ctx, &stage), staged = false;
out:
    if (staged) cc__stage_abort(&stage);
    for (size_t v = 0; V && v < n; v++) {
        run_free(&V[v].r);
        free(V[v].w);
        free(V[v].covered);
        free(V[v].base);
    }
    free(V);
    free(in);
    if (own_hier) {
        size_t nb = 0, nh = 0;
        cc__ch_cache_stats(own_hier, &nb, &nh);
        if (nb + nh) cc__debug(ctx, "Contraction hierarchies: %zu built, %zu reused by later variants", nb, nh);
        ctx->ch_cache = NULL;
        cc__ch_cache_destroy(own_hier);
    }
    if (!st && out) *out = R;
    else cc_robust_solution_destroy(R);
    return st;
}
