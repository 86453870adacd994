/*
 * resolve.c - a parsed scenario as what runs and records take: the resolved scenario as JSON
 * (scenario.json), its content hash (batches skip unchanged variants), and the inputs of its
 * runs (one cc_inputs for the coverage and the siting parts).
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
#include "../run/inputs_internal.h"
#include "scenario_internal.h"

const char *cc_scenario_get_name(const cc_scenario *s) { return s->name; }
const char *cc_scenario_get_out_dir(const cc_scenario *s) { return s->out.v; }
bool cc_scenario_has_siting(const cc_scenario *s) { return s->n_siting > 0; }

/* ---- resolved JSON and content hash ------------------------------------------------------------- */

static void jstr(json_object *o, const char *k, const char *v)
{
    if (v) json_object_object_add(o, k, json_object_new_string(v));
}

static json_object *jnum(double v)
{
    char b[64];
    snprintf(b, sizeof(b), "%.17g", v);
    return json_object_new_double_s(v, b);
}

/* The input files and their fields. */
static json_object *resolved_inputs(const cc_scenario *s)
{
    /* key, value: in this order (the content hash depends on it) */
    const char *const kv[][2] = {
        {"roads", s->roads.v}, {"roads_layer", s->roads_layer.v}, {"class_field", s->class_field.v}, {"speed_field", s->speed_field.v},
        {"population", s->population.v}, {"population_field", s->population_field.v}, {"facilities", s->facilities.v},
        {"facility_name_field", s->facility_name_field.v}, {"lon_field", s->lon_field.v}, {"lat_field", s->lat_field.v},
        {"facility_where", s->facility_where.v}, {"capacity_field", s->capacity_field.v}, {"tier_field", s->tier_field.v},
        {"tiers", s->tiers}, {"admin", s->admin.v}, {"admin_name_field", s->admin_name_field.v},
        {"admin_code_field", s->admin_code_field.v}, {"encoding", s->encoding.v}};
    json_object *x = json_object_new_object();
    for (size_t i = 0; i < sizeof(kv) / sizeof(kv[0]); i++) jstr(x, kv[i][0], kv[i][1]);
    return x;
}

/* The profile after speed factors: every number that sets a speed. */
static json_object *resolved_profile(const cc_scenario *s)
{
    json_object *x = json_object_new_object(), *a;
    const cc_profile *pr = s->profile;
    jstr(x, "name", pr->name);
    a = json_object_new_object();
    for (size_t i = 0; i < pr->n_classes; i++) json_object_object_add(a, pr->class_name[i], jnum(pr->class_kmh[i]));
    json_object_object_add(x, "speeds_kmh", a);
    a = json_object_new_array();
    for (size_t i = 0; i < pr->n_blocked; i++) json_object_array_add(a, json_object_new_string(pr->blocked[i]));
    json_object_object_add(x, "not_drivable", a);
    a = json_object_new_object();
    for (size_t i = 0; i < pr->n_surfaces; i++) json_object_object_add(a, pr->surface_name[i], jnum(pr->surface_mult[i]));
    json_object_object_add(x, "surface_multipliers", a);
    jstr(x, "maxspeed", pr->maxspeed_cap ? "cap" : "ignore");
    jstr(x, "oneway", pr->oneway_honour ? "honour" : "ignore");
    json_object_object_add(x, "offroad_speed_kmh", jnum(pr->offroad_kmh));
    json_object_object_add(x, "max_snap_m", jnum(pr->max_snap_m));
    if (s->off_ferries.v) { /* only with ferries: other scenarios keep their hash */
        json_object_object_add(x, "ferry_kmh", jnum(pr->ferry_kmh));
        json_object_object_add(x, "ferry_wait_min", jnum(pr->ferry_wait_min));
    }
    return x;
}

static json_object *resolved_offroad(const cc_scenario *s)
{
    json_object *x = json_object_new_object();
    jstr(x, "model", s->offroad_model ? s->offroad_model : "straight");
    jstr(x, "friction", s->off_friction.v);
    jstr(x, "dem", s->off_dem.v);
    jstr(x, "landcover", s->off_landcover.v);
    jstr(x, "water", s->off_water.v);
    jstr(x, "ferries", s->off_ferries.v);
    if (s->offroad_model && !strcmp(s->offroad_model, "friction"))
        json_object_object_add(x, "neighbours", json_object_new_int(s->off_neighbours > 0 ? (int)s->off_neighbours : 16));
    if (s->off_impassable) jstr(x, "impassable_population", s->off_impassable == 2 ? "none" : "nearest"); /* only when given: hashes stay */
    if (s->off_impassable_max_m > 0) json_object_object_add(x, "impassable_max_m", jnum(s->off_impassable_max_m));
    return x;
}

static json_object *resolved_closed_roads(const cc_scenario *s)
{
    json_object *x = json_object_new_object(), *a;
    a = json_object_new_array();
    for (size_t i = 0; i < s->n_closed_ids; i++) json_object_array_add(a, json_object_new_int64(s->closed_ids[i]));
    json_object_object_add(x, "way_ids", a);
    jstr(x, "areas", s->closed_areas.v);
    jstr(x, "areas_layer", s->closed_areas_layer.v);
    return x;
}

static json_object *resolved_added_roads(const cc_scenario *s)
{
    json_object *x = json_object_new_object(), *a;
    jstr(x, "path", s->added.v);
    jstr(x, "layer", s->added_layer.v);
    json_object_object_add(x, "connect_m", jnum(s->added_connect_m > 0 ? s->added_connect_m : 50));
    a = json_object_new_array();
    for (size_t i = 0; i < s->n_replaced_ids; i++) json_object_array_add(a, json_object_new_int64(s->replaced_ids[i]));
    json_object_object_add(x, "replaces", a);
    return x;
}

static json_object *resolved_facility_changes(const cc_scenario *s)
{
    json_object *a = json_object_new_array();
    for (size_t i = 0; i < s->n_fchanges; i++) {
        const cc_facility_change *c = &s->fchanges[i].c;
        json_object *e = json_object_new_object();
        jstr(e, "change", c->kind == CC_FACILITY_ADD ? "add" : c->kind == CC_FACILITY_REMOVE ? "remove" : "set_tier");
        if (c->id >= 0) json_object_object_add(e, "id", json_object_new_int64(c->id));
        jstr(e, "name", c->name);
        if (c->kind == CC_FACILITY_ADD) {
            json_object_object_add(e, "lon", jnum(c->lon));
            json_object_object_add(e, "lat", jnum(c->lat));
        }
        jstr(e, "tier", c->tier);
        json_object_array_add(a, e);
    }
    return a;
}

static json_object *resolved_siting(const cc_scenario *s)
{
    json_object *a = json_object_new_array();
    for (size_t i = 0; i < s->n_siting; i++) {
        json_object *e = json_object_new_object();
        jstr(e, "model", s->siting[i].model);
        if (s->siting[i].budget > 0) json_object_object_add(e, "budget", jnum(s->siting[i].budget));
        if (s->siting[i].threshold_min > 0) json_object_object_add(e, "threshold_min", jnum(s->siting[i].threshold_min));
        jstr(e, "candidates", s->siting[i].candidates);
        jstr(e, "tier", s->siting[i].tier);
        jstr(e, "fixed_tiers", s->siting[i].fixed_tiers);
        jstr(e, "candidate_tiers", s->siting[i].candidate_tiers);
        jstr(e, "candidate_roads", s->siting[i].candidate_roads);
        if (s->siting[i].spacing_m > 0) json_object_object_add(e, "spacing_m", jnum(s->siting[i].spacing_m));
        if (s->siting[i].target_share > 0) json_object_object_add(e, "target_share", jnum(s->siting[i].target_share));
        json_object_object_add(e, "emergency", json_object_new_boolean(s->siting[i].emergency));
        if (isfinite(s->siting[i].dispatch_min)) json_object_object_add(e, "dispatch_minutes", jnum(s->siting[i].dispatch_min));
        jstr(e, "capable_tiers", s->siting[i].capable_tiers);
        if (isfinite(s->siting[i].on_scene_min)) json_object_object_add(e, "on_scene_minutes", jnum(s->siting[i].on_scene_min));
        if (s->siting[i].max_per_area > 0) json_object_object_add(e, "max_per_area", jnum(s->siting[i].max_per_area));
        if (s->siting[i].curve > 0) json_object_object_add(e, "curve", jnum(s->siting[i].curve));
        if (s->siting[i].busy_fraction > 0) json_object_object_add(e, "busy_fraction", jnum(s->siting[i].busy_fraction)); /* only when set: older hashes stay */
        if (s->siting[i].max_per_station > 0) json_object_object_add(e, "max_per_station", jnum(s->siting[i].max_per_station));
        if (s->siting[i].outer_threshold_min > 0) json_object_object_add(e, "outer_threshold_min", jnum(s->siting[i].outer_threshold_min)); /* dsm, only when set */
        if (isfinite(s->siting[i].alpha)) json_object_object_add(e, "alpha", jnum(s->siting[i].alpha));
        if (s->siting[i].site_capacity > 0) json_object_object_add(e, "site_capacity", jnum(s->siting[i].site_capacity)); /* only when set */
        jstr(e, "capacity_field", s->siting[i].capacity_field);
        jstr(e, "upgrade_tiers", s->siting[i].upgrade_tiers); /* only when set: older hashes stay */
        if (s->siting[i].max_upgrades > 0) json_object_object_add(e, "max_upgrades", jnum(s->siting[i].max_upgrades));
        json_object_array_add(a, e);
    }
    return a;
}

json_object *cc__scenario_resolved(const cc_scenario *s)
{
    json_object *j = json_object_new_object(), *x, *a;
    jstr(j, "name", s->name);
    jstr(j, "title_zh", s->title_zh);
    jstr(j, "title_en", s->title_en);
    jstr(j, "label_zh", s->label_zh);
    jstr(j, "label_en", s->label_en);
    json_object_object_add(j, "inputs", resolved_inputs(s));
    jstr(j, "crs", s->crs.v);
    json_object_object_add(j, "profile", resolved_profile(s));
    a = json_object_new_array();
    for (size_t i = 0; i < s->n_minutes; i++) json_object_array_add(a, jnum(s->minutes[i]));
    json_object_object_add(j, "minutes", a);
    if (s->uncovered_min > 0) json_object_object_add(j, "uncovered_minutes", jnum(s->uncovered_min));
    if (s->headline) json_object_object_add(j, "headline", json_object_new_string(s->headline));
    if (s->outputs) { /* only when given: older scenarios keep their hash */
        static const char *const nm[] = {"raster", "gpkg", "tables", "report", "summary"};
        a = json_object_new_array();
        for (int k = 0; k < 5; k++)
            if (s->outputs & (1u << k)) json_object_array_add(a, json_object_new_string(nm[k]));
        json_object_object_add(j, "outputs", a);
    }
    if (s->resolution_m > 0) json_object_object_add(j, "resolution_m", jnum(s->resolution_m));
    if (s->offroad_model || s->off_friction.v || s->off_dem.v || s->off_landcover.v || s->off_water.v || s->off_ferries.v) { /* only with the section: older scenarios keep their hash */
        json_object_object_add(j, "offroad", resolved_offroad(s));
    }
    if (s->capacity_min > 0) json_object_object_add(j, "capacity_minutes", jnum(s->capacity_min));
    json_object_object_add(j, "closed_roads", resolved_closed_roads(s));
    json_object_object_add(j, "added_roads", resolved_added_roads(s));
    json_object_object_add(j, "facility_changes", resolved_facility_changes(s));
    json_object_object_add(j, "siting", resolved_siting(s));
    x = json_object_new_object();
    jstr(x, "lang", s->lang);
    json_object_object_add(x, "maps", json_object_new_boolean(s->maps));
    json_object_object_add(j, "report", x);
    if (s->chain) {
        x = json_object_new_object();
        jstr(x, "station_tiers", s->chain_station_tiers);
        jstr(x, "capable_tiers", s->chain_capable_tiers);
        if (isfinite(s->chain_dispatch_min)) json_object_object_add(x, "dispatch_minutes", jnum(s->chain_dispatch_min));
        if (isfinite(s->chain_on_scene_min)) json_object_object_add(x, "on_scene_minutes", jnum(s->chain_on_scene_min));
        json_object_object_add(j, "chain", x);
    }
    return j;
}

cc_status cc_scenario_to_json(cc_ctx *ctx, const cc_scenario *s, char **out)
{
    json_object *j = cc__scenario_resolved(s);
    const char *t = j ? json_object_to_json_string_ext(j, JSON_C_TO_STRING_PRETTY | JSON_C_TO_STRING_SPACED | JSON_C_TO_STRING_NOSLASHESCAPE) : NULL;
    *out = t ? cc__strdup(t) : NULL;
    json_object_put(j);
    return *out ? CC_OK : cc__fail(ctx, CC_ERR_NOMEM, "Out of memory");
}

/* SHA-256 of every file GDAL lists for the dataset at @p path (or the file alone). */
static cc_status hash_input(cc_ctx *ctx, GChecksum *sum, const char *path, cc__file_digests *cache, bool *hashable)
{
    if (!path) return CC_OK;
    g_checksum_update(sum, (const guchar *)path, (gssize)strlen(path) + 1);
    if (cc__sc_is_remote(path)) {
        *hashable = false;
        return CC_OK;
    }
    cc_status st0 = cc__input_check(ctx, path, "input file");
    if (st0) return st0;
    return cc__hash_input_files(ctx, sum, path, cache);
}

cc_status cc_scenario_hash(cc_ctx *ctx, const cc_scenario *s, char hex[65], bool *hashable)
{
    return cc__scenario_hash(ctx, s, NULL, hex, hashable);
}

/* The hash reads the version, the resolved scenario, and per input its path and the SHA-256 of
 * each of its files (not the bytes themselves, since issue 19): a batch hashes each file once
 * (@p cache) for all its variants and its prepared-region keys. */
cc_status cc__scenario_hash(cc_ctx *ctx, const cc_scenario *s, cc__file_digests *cache, char hex[65], bool *hashable)
{
    char *json = NULL;
    cc_status st = cc_scenario_to_json(ctx, s, &json);
    if (st) return st;
    GChecksum *sum = g_checksum_new(G_CHECKSUM_SHA256);
    *hashable = true;
    const char *ver = "carecircle " CC_VERSION_STRING "\n";
    g_checksum_update(sum, (const guchar *)ver, (gssize)strlen(ver));
    g_checksum_update(sum, (const guchar *)json, (gssize)strlen(json));
    /* the profile needs no file hash: the resolved JSON holds every number of it */
    const char *inputs[] = {s->roads.v,    s->population.v, s->facilities.v,     s->admin.v,    s->closed_areas.v,
                            s->added.v,    s->off_friction.v, s->off_dem.v,      s->off_landcover.v, s->off_water.v,
                            s->off_ferries.v};
    for (size_t i = 0; i < sizeof(inputs) / sizeof(inputs[0]) && !st; i++) st = hash_input(ctx, sum, inputs[i], cache, hashable);
    for (size_t i = 0; i < s->n_siting && !st; i++) st = hash_input(ctx, sum, s->siting[i].candidates, cache, hashable);
    if (!st) snprintf(hex, 65, "%s", g_checksum_get_string(sum));
    g_checksum_free(sum);
    free(json);
    return st;
}

/* ---- run ---------------------------------------------------------------------------------------- */


/* ---- the inputs of the scenario's runs --------------------------------------------------------- */

cc_status cc__scenario_inputs(cc_ctx *ctx, const cc_scenario *s, cc_inputs *in, cc_facility_change **fc)
{
    *fc = cc__calloc_array(s->n_fchanges ? s->n_fchanges : 1, sizeof(cc_facility_change));
    if (!*fc) return cc__fail(ctx, CC_ERR_NOMEM, "Out of memory");
    for (size_t i = 0; i < s->n_fchanges; i++) (*fc)[i] = s->fchanges[i].c;
    *in = (cc_inputs){
        .roads = s->roads.v, .roads_layer = s->roads_layer.v, .class_field = s->class_field.v, .speed_field = s->speed_field.v,
        .population = s->population.v, .population_field = s->population_field.v, .facilities = s->facilities.v,
        .facility_name_field = s->facility_name_field.v, .lon_field = s->lon_field.v, .lat_field = s->lat_field.v,
        .facility_where = s->facility_where.v, .capacity_field = s->capacity_field.v, .tier_field = s->tier_field.v, .tiers = s->tiers,
        .admin = s->admin.v, .admin_name_field = s->admin_name_field.v, .admin_code_field = s->admin_code_field.v, .encoding = s->encoding.v,
        .crs = s->crs.v,
        .profile_obj = s->profile, .resolution_m = s->resolution_m,
        .edits = {.closed_way_ids = s->closed_ids, .n_closed_way_ids = s->n_closed_ids, .closed_areas = s->closed_areas.v,
                  .closed_areas_layer = s->closed_areas_layer.v, .added_roads = s->added.v, .added_roads_layer = s->added_layer.v,
                  .added_roads_connect_m = s->added_connect_m, .replaced_way_ids = s->replaced_ids,
                  .n_replaced_way_ids = s->n_replaced_ids, .facility_changes = *fc, .n_facility_changes = s->n_fchanges},
        .offroad = {.model = s->offroad_model && !strcmp(s->offroad_model, "friction") ? CC_OFFROAD_FRICTION : CC_OFFROAD_STRAIGHT,
                    .friction = s->off_friction.v, .dem = s->off_dem.v, .landcover = s->off_landcover.v, .water = s->off_water.v,
                    .ferries = s->off_ferries.v, .neighbours = (int)s->off_neighbours,
                    .impassable = s->off_impassable == 2 ? CC_IMPASSABLE_NONE : CC_IMPASSABLE_NEAREST, .impassable_max_m = s->off_impassable_max_m}};
    return CC_OK;
}
