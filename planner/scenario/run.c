/*
 * run.c - running a scenario: its siting sections through cc_site_run(), then its coverage
 * through cc_coverage_run() with the proposed sites, both on the same inputs.
 */
#include <ctype.h>
#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include <cpl_string.h>
#include <glib.h>
#include <json-c/json.h>

#include "carecircle/cc_report.h"
#include "carecircle/cc_site.h"
#include "carecircle/cc_version.h"
#include "../graph/graph_internal.h"
#include "../io/write_internal.h"
#include "../run/run_internal.h"
#include "scenario_internal.h"

/* ---- siting ------------------------------------------------------------------------------------ */

typedef struct sc_sites {
    size_t n;
    char **dir, **name;            /* finished siting folders (siblings of the output) and their names in it */
    cc_site_result **res;
    cc_coverage_site *pick;
    size_t n_pick;
} sc_sites;

static void sites_free(sc_sites *x, bool remove_dirs)
{
    for (size_t i = 0; i < x->n; i++) {
        if (remove_dirs && x->dir[i]) cc__remove_tree(x->dir[i]);
        g_free(x->dir[i]);
        free(x->name[i]);
        cc_site_result_destroy(x->res[i]);
    }
    CC__FREE_ALL(x->dir, x->name, x->res, x->pick);
}

static cc_site_model site_model(const char *m)
{
    return !strcmp(m, "lscp")       ? CC_SITE_LSCP
           : !strcmp(m, "p_median") ? CC_SITE_PMEDIAN
           : !strcmp(m, "p_center") ? CC_SITE_PCENTER
           : !strcmp(m, "mexclp")   ? CC_SITE_MEXCLP
           : !strcmp(m, "dsm")      ? CC_SITE_DSM
           : !strcmp(m, "cmclp")    ? CC_SITE_CMCLP
           : !strcmp(m, "cp_median") ? CC_SITE_CPMEDIAN
                                    : CC_SITE_MCLP;
}

/* Run every siting model of the scenario, each into a sibling folder "<out>.siting-<k>" that
 * moves into the output folder as <siting> (or siting_<k>) when the coverage part lands. */
static cc_status run_siting(cc_ctx *ctx, const cc_scenario *s, const cc_inputs *in, const char *out_dir, sc_sites *x)
{
    x->dir = cc__calloc_array(s->n_siting, sizeof(char *));
    x->name = cc__calloc_array(s->n_siting, sizeof(char *));
    x->res = cc__calloc_array(s->n_siting, sizeof(cc_site_result *));
    if (!x->dir || !x->name || !x->res) return cc__fail(ctx, CC_ERR_NOMEM, "Out of memory");
    x->n = s->n_siting;
    cc_status st = CC_OK;
    size_t n_pick = 0;
    for (size_t i = 0; i < s->n_siting && !st; i++) {
        const sc_siting *q = &s->siting[i];
        char nm[32];
        if (s->n_siting == 1) snprintf(nm, sizeof(nm), "siting");
        else snprintf(nm, sizeof(nm), "siting_%zu", i + 1);
        x->name[i] = cc__strdup(nm);
        x->dir[i] = g_strdup_printf("%s.%s", out_dir, nm);
        if (!x->name[i] || !x->dir[i]) return cc__fail(ctx, CC_ERR_NOMEM, "Out of memory");
        cc_site_opts so = {
            .in = *in, .out_dir = x->dir[i], .fixed_tiers = q->fixed_tiers, .candidate_tiers = q->candidate_tiers,
            .candidates = q->candidates, .candidate_roads = q->candidate_roads, .spacing_m = q->spacing_m,
            .max_per_area = (int)q->max_per_area, .model = site_model(q->model), .minutes = q->threshold_min,
            .p = (uint32_t)q->budget, .curve_to = (uint32_t)q->curve, .target_share = q->target_share, .emergency = q->emergency,
            .dispatch_minutes = !isfinite(q->dispatch_min) ? 0 : q->dispatch_min > 0 ? q->dispatch_min : -1,
            .capable_tiers = q->capable_tiers,
            .on_scene_minutes = !isfinite(q->on_scene_min) ? 0 : q->on_scene_min > 0 ? q->on_scene_min : -1,
            .busy_fraction = q->busy_fraction, .max_per_station = (uint32_t)q->max_per_station,
            .outer_minutes = q->outer_threshold_min, .alpha = !isfinite(q->alpha) ? 0 : q->alpha > 0 ? q->alpha : -1,
            .capacity_persons = q->site_capacity, .upgrade_tiers = q->upgrade_tiers, .max_subcentres = (uint32_t)q->max_upgrades};
        if (q->capacity_field) so.in.capacity_field = q->capacity_field;
        if (so.model == CC_SITE_LSCP && q->budget > 0) so.p = 0;
        cc__info(ctx, "Siting %zu of %zu: %s", i + 1, s->n_siting, q->model);
        if ((st = cc_site_run(ctx, &so, &x->res[i]))) {
            /* name the scenario line, keep the engine's message */
            const char *m = cc_ctx_last_error(ctx);
            char *msg = cc__strdup(m ? m : "");
            st = cc__fail(ctx, st, "%s:%zu:%zu: siting (%s): %s", q->pos.file ? q->pos.file : s->file, q->pos.line, q->pos.col,
                          q->model, msg ? msg : "");
            free(msg);
            break;
        }
        n_pick += x->res[i]->n_picks;
        const cc_site_result *rr = x->res[i];
        if (rr->model == CC_SITE_MEXCLP)
            cc__info(ctx, "Siting %s: %u ambulances at %zu stations; expected within %g min %.0f -> %.0f people; bound %.0f, gap %.4g%s; outputs in %s/",
                     q->model, rr->ambulances_new, rr->n_picks, rr->minutes, rr->expected_before, rr->expected_after, rr->solution->bound,
                     rr->solution->gap, rr->solution->proven_optimal ? " (proven optimal)" : "", x->name[i]);
        else if (rr->model == CC_SITE_DSM)
            cc__info(ctx, "Siting %s: %u ambulances at %zu stations; within %g min %.0f -> %.0f people (alpha %s), twice %.0f -> %.0f; outputs in %s/",
                     q->model, rr->ambulances_new, rr->n_picks, rr->minutes, rr->covered_before, rr->covered_after,
                     rr->solution->alpha_met ? "met" : "not met", rr->twice_before, rr->twice_after, x->name[i]);
        else if (rr->model == CC_SITE_CMCLP)
            cc__info(ctx, "Siting %s: %zu new sites; served within %g min, capacities respected, %.0f -> %.0f people; bound %.0f, gap %.4g%s; outputs in %s/",
                     q->model, rr->n_picks, rr->minutes, rr->served_before, rr->served_after, rr->solution->bound, rr->solution->gap,
                     rr->solution->proven_optimal ? " (proven optimal)" : "", x->name[i]);
        else if (rr->model == CC_SITE_CPMEDIAN)
            cc__info(ctx, "Siting %s: %zu new sites; mean time, capacities respected, %.2f -> %.2f min; bound %.2f min, gap %.4g%s; outputs in %s/",
                     q->model, rr->n_picks, rr->cap_mean_s_before / 60, rr->cap_mean_s_after / 60, rr->solution->bound / 60, rr->solution->gap,
                     rr->solution->proven_optimal ? " (proven optimal)" : "", x->name[i]);
        else if (rr->model == CC_SITE_MCLP || rr->model == CC_SITE_LSCP)
            cc__info(ctx, "Siting %s: %zu new sites; within %g min %.0f -> %.0f people (%+.0f); bound %.0f %s, gap %.4g%s; outputs in %s/",
                     q->model, rr->n_picks, rr->minutes, rr->covered_before, rr->covered_after, rr->covered_after - rr->covered_before,
                     rr->solution->bound, rr->model == CC_SITE_MCLP ? "people" : "sites", rr->solution->gap,
                     rr->solution->proven_optimal ? " (proven optimal)" : "", x->name[i]);
        else
            cc__info(ctx, "Siting %s: %zu new sites; mean time %.1f -> %.1f min, worst %.1f -> %.1f min; gap %.4g%s; outputs in %s/",
                     q->model, rr->n_picks, rr->mean_s_before / 60, rr->mean_s_after / 60, rr->worst_s_before / 60,
                     rr->worst_s_after / 60, rr->solution->gap, rr->solution->proven_optimal ? " (proven optimal)" : "", x->name[i]);
    }
    if (st) return st;
    x->pick = cc__calloc_array(n_pick ? n_pick : 1, sizeof(cc_coverage_site));
    if (!x->pick) return cc__fail(ctx, CC_ERR_NOMEM, "Out of memory");
    for (size_t i = 0; i < x->n; i++)
        for (size_t k = 0; k < x->res[i]->n_picks; k++) {
            const cc_site_pick *pk = &x->res[i]->picks[k];
            bool cov = x->res[i]->model == CC_SITE_MCLP || x->res[i]->model == CC_SITE_LSCP || x->res[i]->model == CC_SITE_MEXCLP ||
                       x->res[i]->model == CC_SITE_DSM;
            x->pick[x->n_pick++] = (cc_coverage_site){.rank = pk->rank, .name = pk->name, .tier = s->siting[i].tier,
                                                      .model = s->siting[i].model, .lon = pk->lon, .lat = pk->lat,
                                                      .gain_persons = pk->gain_persons, .saved_mean_s = pk->saved_mean_s,
                                                      .share_cum = cov ? pk->share_cum : NAN, .name_zh = pk->name_zh};
        }
    return CC_OK;
}

cc_status cc_scenario_run(cc_ctx *ctx, const cc_scenario *s, const cc_scenario_run_opts *ro, cc_coverage_result **out)
{
    return cc__scenario_run_pooled(ctx, s, ro, NULL, out);
}

cc_status cc__scenario_run_pooled(cc_ctx *ctx, const cc_scenario *s, const cc_scenario_run_opts *ro, cc__region_pool *pool,
                                  cc_coverage_result **out)
{
    static const cc_scenario_run_opts dflt;
    if (!ro) ro = &dflt;
    if (out) *out = NULL;
    const char *out_dir = ro->out_dir ? ro->out_dir : s->out.v;
    if (!out_dir)
        return cc__fail(ctx, CC_ERR_PARAM, "Scenario '%s' names no output folder: give <out> in the file or parameter out_dir", s->file);
    char hex[65] = "";
    bool hashable = true;
    cc_status st = CC_OK;
    if (ro->content_hash)
        snprintf(hex, sizeof(hex), "%s", ro->content_hash);
    else if ((st = cc_scenario_hash(ctx, s, hex, &hashable)))
        return st;
    json_object *j = json_object_new_object();
    json_object_object_add(j, "carecircle_version", json_object_new_string(CC_VERSION_STRING));
    json_object_object_add(j, "scenario_file", json_object_new_string(s->file));
    json_object_object_add(j, "content_hash", json_object_new_string(hashable ? hex : ""));
    json_object_object_add(j, "scenario", cc__scenario_resolved(s));
    const char *json = json_object_to_json_string_ext(j, JSON_C_TO_STRING_PRETTY | JSON_C_TO_STRING_SPACED | JSON_C_TO_STRING_NOSLASHESCAPE);

    cc_facility_change *fc = NULL;
    cc_inputs in;
    if ((st = cc__scenario_inputs(ctx, s, &in, &fc))) {
        json_object_put(j);
        return st;
    }
    cc_report_opts rep = {.lang = ro->lang ? ro->lang : s->lang, .title_zh = s->title_zh, .title_en = s->title_en,
                          .scenario = ro->scenario_label ? ro->scenario_label : s->name, .scenario_zh = s->label_zh,
                          .scenario_en = s->label_en, .base_dir = ro->base_dir, .no_maps = !s->maps};
    cc_coverage_opts o = {.in = in, .out_dir = out_dir, .minutes = s->minutes, .n_minutes = s->n_minutes,
                          .uncovered_minutes = s->uncovered_min, .scenario_json = json, .report = &rep,
                          .headline = s->headline, .outputs = s->outputs,
                          .chain = s->chain, .capacity_minutes = s->capacity_min,
                          .station_tiers = s->chain_station_tiers, .capable_tiers = s->chain_capable_tiers,
                          /* the library reads 0 as "default": an explicit 0 is "none" (-1) */
                          .dispatch_minutes = !isfinite(s->chain_dispatch_min) ? 0 : s->chain_dispatch_min > 0 ? s->chain_dispatch_min : -1,
                          .on_scene_minutes = !isfinite(s->chain_on_scene_min) ? 0 : s->chain_on_scene_min > 0 ? s->chain_on_scene_min : -1};
    sc_sites sx = {0};
    if (s->n_siting && !(st = run_siting(ctx, s, &in, out_dir, &sx))) {
        o.proposed_sites = sx.pick;
        o.n_proposed_sites = sx.n_pick;
        o.extra_dirs = (const char *const *)sx.dir;
        o.extra_names = (const char *const *)sx.name;
        o.n_extra_dirs = sx.n;
    }
    if (!st) st = cc__coverage_run_pooled(ctx, &o, pool, out);
    sites_free(&sx, true); /* moved into the outputs when the run landed; removed otherwise */
    free(fc);
    json_object_put(j);
    return st;
}
