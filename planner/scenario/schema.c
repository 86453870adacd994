/*
 * schema.c - what a scenario file may say: the keys of each section, their types and ranges,
 * applied onto a cc_scenario (a whole file, then a batch variant's overrides, so that a variant
 * is validated exactly like a whole file), and the cross-checks once every document is applied.
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

#include "carecircle/cc_coverage.h"
#include "carecircle/cc_report.h"
#include "carecircle/cc_site.h"
#include "carecircle/cc_version.h"
#include "../graph/graph_internal.h"
#include "../io/write_internal.h"
#include "scenario_internal.h"

#define FOR_PAIRS(p, n, kn, vn, k)                                                                                  \
    for (yaml_node_pair_t *pr_ = (n)->data.mapping.pairs.start; pr_ < (n)->data.mapping.pairs.top; pr_++)            \
        for (yaml_node_t *kn = yaml_document_get_node(&(p)->y->doc, pr_->key), *vn = yaml_document_get_node(&(p)->y->doc, pr_->value), \
                         *once_ = kn;                                                                               \
             once_; once_ = NULL)                                                                                   \
            for (const char *k = cc__yaml_scalar(kn); k; k = NULL)

/* ---- sections ------------------------------------------------------------------------------------ */

static const char *const top_keys[] = {"name", "title", "description", "out", "inputs", "crs", "profile", "speed_factors",
                                       "closed_roads", "added_roads", "facility_changes", "minutes", "uncovered_minutes",
                                       "resolution_m", "siting", "report", "headline", "offroad", "chain", "capacity_minutes", "outputs", NULL};
static const char *const input_keys[] = {"roads", "roads_layer", "class_field", "speed_field", "population", "population_field",
                                         "facilities", "facility_name_field", "lon_field", "lat_field", "facility_where",
                                         "tier_field", "tiers", "admin", "admin_name_field", "admin_code_field", "encoding",
                                         "capacity_field", NULL};
static const char *const factor_keys[] = {"class", "surface", "all", NULL};
static const char *const closed_keys[] = {"way_ids", "areas", "areas_layer", NULL};
static const char *const added_keys[] = {"path", "layer", "connect_m", "replaces", NULL};
static const char *const fchange_keys[] = {"add", "remove", "set_tier", NULL};
static const char *const siting_keys[] = {"model", "budget", "threshold_min", "candidates", "tier", "fixed_tiers",
                                          "candidate_tiers", "candidate_roads", "spacing_m", "target_share", "emergency",
                                          "dispatch_minutes", "max_per_area", "curve", "capable_tiers", "on_scene_minutes",
                                          "busy_fraction", "max_per_station", "outer_threshold_min", "alpha", "site_capacity", "capacity_field",
                                          "upgrade_tiers", "max_upgrades", NULL};
static const char *const report_keys[] = {"lang", "maps", NULL};
static const char *const offroad_keys[] = {"model", "friction", "dem", "landcover", "water", "ferries", "neighbours", "impassable_population",
                                            "impassable_max_m", NULL};
static const char *const chain_keys[] = {"station_tiers", "capable_tiers", "dispatch_minutes", "on_scene_minutes", NULL};
static const char *const siting_models[] = {"mclp", "lscp", "p_median", "p_center", "mexclp", "cmclp", "cp_median", "dsm", NULL};

static void ap_input(sc_parser *p, cc_scenario *s, const char *k, yaml_node_t *kn, yaml_node_t *v)
{
    (void)kn;
    if (!strcmp(k, "roads")) cc__sc_get_path(p, v, "inputs.roads", &s->roads);
    else if (!strcmp(k, "population")) cc__sc_get_path(p, v, "inputs.population", &s->population);
    else if (!strcmp(k, "facilities")) cc__sc_get_path(p, v, "inputs.facilities", &s->facilities);
    else if (!strcmp(k, "admin")) cc__sc_get_path(p, v, "inputs.admin", &s->admin);
    else if (!strcmp(k, "roads_layer")) cc__sc_get_text(p, v, "inputs.roads_layer", &s->roads_layer);
    else if (!strcmp(k, "class_field")) cc__sc_get_text(p, v, "inputs.class_field", &s->class_field);
    else if (!strcmp(k, "speed_field")) cc__sc_get_text(p, v, "inputs.speed_field", &s->speed_field);
    else if (!strcmp(k, "population_field")) cc__sc_get_text(p, v, "inputs.population_field", &s->population_field);
    else if (!strcmp(k, "facility_name_field")) cc__sc_get_text(p, v, "inputs.facility_name_field", &s->facility_name_field);
    else if (!strcmp(k, "lon_field")) cc__sc_get_text(p, v, "inputs.lon_field", &s->lon_field);
    else if (!strcmp(k, "lat_field")) cc__sc_get_text(p, v, "inputs.lat_field", &s->lat_field);
    else if (!strcmp(k, "facility_where")) cc__sc_get_text(p, v, "inputs.facility_where", &s->facility_where);
    else if (!strcmp(k, "capacity_field")) cc__sc_get_text(p, v, "inputs.capacity_field", &s->capacity_field);
    else if (!strcmp(k, "tier_field")) cc__sc_get_text(p, v, "inputs.tier_field", &s->tier_field);
    else if (!strcmp(k, "admin_name_field")) cc__sc_get_text(p, v, "inputs.admin_name_field", &s->admin_name_field);
    else if (!strcmp(k, "admin_code_field")) cc__sc_get_text(p, v, "inputs.admin_code_field", &s->admin_code_field);
    else if (!strcmp(k, "encoding")) cc__sc_get_text(p, v, "inputs.encoding", &s->encoding);
    else if (!strcmp(k, "tiers")) {
        if (v->type != YAML_MAPPING_NODE) {
            cc__sc_problem(p, v, "<inputs.tiers> must map tier values to names, e.g. {1: health_post, 2: health_centre}");
            return;
        }
        GString *g = g_string_new("");
        FOR_PAIRS(p, v, tk, tv, key)
        {
            const char *name = cc__sc_scalar(p, tv);
            bool bad = !name || !*name || !*key;
            for (const char *c = name; !bad && *c; c++) bad = *c == ' ' || *c == ',' || *c == '"' || *c == '\'';
            if (bad) {
                cc__sc_problem(p, tv, "<inputs.tiers.%s> must be a tier name without spaces, commas or quotes", key);
                continue;
            }
            g_string_append_printf(g, "%s%s=%s", g->len ? "," : "", key, name);
            (void)tk;
        }
        free(s->tiers);
        s->tiers = cc__sc_sdup(p, g->str);
        g_string_free(g, TRUE);
    }
}

static void ap_factor_map(sc_parser *p, const char *what, sc_factor **arr, size_t *n, const char *key, yaml_node_t *kn,
                          yaml_node_t *v)
{
    char label[200];
    snprintf(label, sizeof(label), "speed_factors.%s.%s", what, key);
    double f;
    if (!cc__sc_get_number(p, v, label, 0.01, 10.0, &f)) return;
    for (size_t i = 0; i < *n; i++)
        if (!strcmp((*arr)[i].key, key)) {
            (*arr)[i].factor = f;
            (*arr)[i].pos = cc__sc_pos_of(p, kn);
            return;
        }
    sc_factor *a = cc__realloc_array(*arr, *n + 1, sizeof(sc_factor));
    if (!a) {
        p->nomem = true;
        return;
    }
    *arr = a;
    a[*n] = (sc_factor){cc__sc_sdup(p, key), f, cc__sc_pos_of(p, kn)};
    (*n)++;
}

static void ap_factors(sc_parser *p, cc_scenario *s, const char *k, yaml_node_t *kn, yaml_node_t *v)
{
    if (!strcmp(k, "all")) {
        if (cc__sc_get_number(p, v, "speed_factors.all", 0.01, 10.0, &s->f_all)) s->f_all_pos = cc__sc_pos_of(p, kn);
        return;
    }
    bool cls = !strcmp(k, "class");
    if (v->type != YAML_MAPPING_NODE) {
        cc__sc_problem(p, v, "<speed_factors.%s> must map %s to factors, e.g. {%s: 0.7}", k, cls ? "road classes" : "surfaces",
                       cls ? "tertiary" : "unpaved");
        return;
    }
    FOR_PAIRS(p, v, fk, fv, key)
    {
        if (cls)
            ap_factor_map(p, "class", &s->f_class, &s->n_f_class, key, fk, fv);
        else
            ap_factor_map(p, "surface", &s->f_surface, &s->n_f_surface, key, fk, fv);
    }
}

static void ap_closed(sc_parser *p, cc_scenario *s, const char *k, yaml_node_t *kn, yaml_node_t *v)
{
    (void)kn;
    if (!strcmp(k, "way_ids")) cc__sc_get_int64_list(p, v, "closed_roads.way_ids", &s->closed_ids, &s->n_closed_ids);
    else if (!strcmp(k, "areas")) cc__sc_get_path(p, v, "closed_roads.areas", &s->closed_areas);
    else if (!strcmp(k, "areas_layer")) cc__sc_get_text(p, v, "closed_roads.areas_layer", &s->closed_areas_layer);
}

static void ap_offroad(sc_parser *p, cc_scenario *s, const char *k, yaml_node_t *kn, yaml_node_t *v)
{
    (void)kn;
    if (!strcmp(k, "model")) {
        char *m = NULL;
        if (!cc__sc_get_string(p, v, "offroad.model", &m)) return;
        if (strcmp(m, "straight") && strcmp(m, "friction")) {
            cc__sc_problem(p, v, "<offroad.model> must be straight or friction, got '%s'", m);
            free(m);
            return;
        }
        free(s->offroad_model);
        s->offroad_model = m;
    } else if (!strcmp(k, "friction")) cc__sc_get_path(p, v, "offroad.friction", &s->off_friction);
    else if (!strcmp(k, "dem")) cc__sc_get_path(p, v, "offroad.dem", &s->off_dem);
    else if (!strcmp(k, "landcover")) cc__sc_get_path(p, v, "offroad.landcover", &s->off_landcover);
    else if (!strcmp(k, "water")) cc__sc_get_path(p, v, "offroad.water", &s->off_water);
    else if (!strcmp(k, "ferries")) cc__sc_get_path(p, v, "offroad.ferries", &s->off_ferries);
    else if (!strcmp(k, "neighbours")) {
        double n = 0;
        if (!cc__sc_get_number(p, v, "offroad.neighbours", 8, 16, &n)) return;
        if (n != 8 && n != 16) {
            cc__sc_problem(p, v, "<offroad.neighbours> must be 8 or 16, got %g", n);
            return;
        }
        s->off_neighbours = n;
    } else if (!strcmp(k, "impassable_population")) {
        char *m = NULL;
        if (!cc__sc_get_string(p, v, "offroad.impassable_population", &m)) return;
        if (strcmp(m, "nearest") && strcmp(m, "none"))
            cc__sc_problem(p, v, "<offroad.impassable_population> must be nearest or none, got '%s'", m);
        else
            s->off_impassable = !strcmp(m, "none") ? 2 : 1;
        free(m);
    } else if (!strcmp(k, "impassable_max_m")) {
        cc__sc_get_number(p, v, "offroad.impassable_max_m", 1, 100000, &s->off_impassable_max_m);
    }
}

static void ap_added(sc_parser *p, cc_scenario *s, const char *k, yaml_node_t *kn, yaml_node_t *v)
{
    (void)kn;
    if (!strcmp(k, "path")) cc__sc_get_path(p, v, "added_roads.path", &s->added);
    else if (!strcmp(k, "layer")) cc__sc_get_text(p, v, "added_roads.layer", &s->added_layer);
    else if (!strcmp(k, "connect_m")) cc__sc_get_number(p, v, "added_roads.connect_m", 0.1, 5000, &s->added_connect_m);
    else if (!strcmp(k, "replaces")) cc__sc_get_int64_list(p, v, "added_roads.replaces", &s->replaced_ids, &s->n_replaced_ids);
}

static void ap_report(sc_parser *p, cc_scenario *s, const char *k, yaml_node_t *kn, yaml_node_t *v)
{
    (void)kn;
    if (!strcmp(k, "maps")) {
        cc__sc_get_bool(p, v, "report.maps", &s->maps);
        return;
    }
    /* lang: zh | en | [zh, en] */
    GString *g = g_string_new("");
    yaml_node_t *items[2] = {v, NULL};
    size_t ni = 1;
    if (v->type == YAML_SEQUENCE_NODE) {
        ni = 0;
        for (yaml_node_item_t *it = v->data.sequence.items.start; it < v->data.sequence.items.top && ni < 2; it++)
            items[ni++] = yaml_document_get_node(&p->y->doc, *it);
        if (v->data.sequence.items.top - v->data.sequence.items.start > 2 || ni == 0) {
            cc__sc_problem(p, v, "<report.lang> lists at most the two languages zh and en");
            g_string_free(g, TRUE);
            return;
        }
    }
    for (size_t i = 0; i < ni; i++) {
        const char *l = cc__sc_scalar(p, items[i]);
        if (!l || (strcmp(l, "zh") && strcmp(l, "en"))) {
            cc__sc_problem(p, items[i], "<report.lang> must be zh, en or [zh, en], got '%s'", l ? l : "(not a value)");
            g_string_free(g, TRUE);
            return;
        }
        g_string_append_printf(g, "%s%s", g->len ? "," : "", l);
    }
    free(s->lang);
    s->lang = cc__sc_sdup(p, g->str);
    g_string_free(g, TRUE);
}

/* A facility named by id or name. */
static bool facility_ref(sc_parser *p, yaml_node_t *m, const char *what, cc_facility_change *c)
{
    yaml_node_t *idn = cc__yaml_get(p->y, m, "id"), *nn = cc__yaml_get(p->y, m, "name");
    c->id = -1;
    if (!idn == !nn) {
        cc__sc_problem(p, m, "Each item of <%s> names a facility by <id> (its facility_id) or by <name>, not both", what);
        return false;
    }
    if (idn) {
        double id;
        char label[100];
        snprintf(label, sizeof(label), "%.80s.id", what);
        if (!cc__sc_get_number(p, idn, label, 0, 1e9, &id)) return false;
        if (id != floor(id)) {
            cc__sc_problem(p, idn, "<%s.id> must be a whole number", what);
            return false;
        }
        c->id = (long long)id;
        return true;
    }
    char *nm = NULL;
    if (!cc__sc_get_string(p, nn, "name", &nm)) return false;
    c->name = nm;
    return true;
}

static void free_fchange(sc_fchange *f)
{
    free((char *)f->c.name);
    free((char *)f->c.tier);
}

static void ap_fchanges(sc_parser *p, cc_scenario *s, const char *k, yaml_node_t *kn, yaml_node_t *v)
{
    (void)kn;
    static const char *const add_keys[] = {"name", "lon", "lat", "tier", NULL};
    static const char *const rm_keys[] = {"id", "name", NULL};
    static const char *const st_keys[] = {"id", "name", "tier", NULL};
    cc_facility_change_kind kind = !strcmp(k, "add") ? CC_FACILITY_ADD : !strcmp(k, "remove") ? CC_FACILITY_REMOVE : CC_FACILITY_SET_TIER;
    char what[64];
    snprintf(what, sizeof(what), "facility_changes.%s", k);
    if (v->type != YAML_SEQUENCE_NODE) {
        cc__sc_problem(p, v, "<%s> must be a list", what);
        return;
    }
    /* a list replaces the previous list of the same kind */
    size_t o = 0;
    for (size_t i = 0; i < s->n_fchanges; i++) {
        if (s->fchanges[i].c.kind == kind)
            free_fchange(&s->fchanges[i]);
        else
            s->fchanges[o++] = s->fchanges[i];
    }
    s->n_fchanges = o;
    for (yaml_node_item_t *it = v->data.sequence.items.start; it < v->data.sequence.items.top; it++) {
        yaml_node_t *m = yaml_document_get_node(&p->y->doc, *it);
        if (!cc__sc_check_keys(p, m, kind == CC_FACILITY_ADD ? add_keys : kind == CC_FACILITY_REMOVE ? rm_keys : st_keys, what)) continue;
        sc_fchange f = {.c = {.kind = kind, .id = -1}, .pos = cc__sc_pos_of(p, m)};
        bool ok = true;
        if (kind == CC_FACILITY_ADD) {
            yaml_node_t *n;
            char *nm = NULL, *tier = NULL;
            if ((n = cc__yaml_get(p->y, m, "name"))) ok &= cc__sc_get_string(p, n, "facility_changes.add.name", &nm);
            if (!(n = cc__yaml_get(p->y, m, "lon"))) {
                cc__sc_problem(p, m, "An added facility needs <lon> and <lat> (WGS84 degrees)");
                ok = false;
            } else {
                ok &= cc__sc_get_number(p, n, "facility_changes.add.lon", -180, 180, &f.c.lon);
            }
            if ((n = cc__yaml_get(p->y, m, "lat"))) ok &= cc__sc_get_number(p, n, "facility_changes.add.lat", -90, 90, &f.c.lat);
            else if (ok) {
                cc__sc_problem(p, m, "An added facility needs <lon> and <lat> (WGS84 degrees)");
                ok = false;
            }
            if (!(n = cc__yaml_get(p->y, m, "tier"))) {
                cc__sc_problem(p, m, "An added facility needs a <tier>");
                ok = false;
            } else {
                ok &= cc__sc_get_string(p, n, "facility_changes.add.tier", &tier);
            }
            f.c.name = nm;
            f.c.tier = tier;
        } else {
            ok &= facility_ref(p, m, what, &f.c);
            if (kind == CC_FACILITY_SET_TIER) {
                yaml_node_t *n = cc__yaml_get(p->y, m, "tier");
                char *tier = NULL;
                if (!n) {
                    cc__sc_problem(p, m, "Each item of <%s> needs the new <tier>", what);
                    ok = false;
                } else {
                    ok &= cc__sc_get_string(p, n, "facility_changes.set_tier.tier", &tier);
                }
                f.c.tier = tier;
            }
        }
        if (!ok) {
            free_fchange(&f);
            continue;
        }
        sc_fchange *a = cc__realloc_array(s->fchanges, s->n_fchanges + 1, sizeof(sc_fchange));
        if (!a) {
            free_fchange(&f);
            p->nomem = true;
            return;
        }
        s->fchanges = a;
        a[s->n_fchanges++] = f;
    }
}

static void free_siting(sc_siting *x)
{
    CC__FREE_ALL(x->model, x->tier, x->candidates, x->fixed_tiers, x->candidate_tiers, x->candidate_roads, x->capable_tiers, x->capacity_field,
                 x->upgrade_tiers);
}

/* A comma list from a text value or a sequence of them ("a,b" or [a, b]). */
static bool get_csv(sc_parser *p, yaml_node_t *n, const char *key, char **out)
{
    if (n->type != YAML_SEQUENCE_NODE) return cc__sc_get_string(p, n, key, out);
    GString *g = g_string_new(NULL);
    bool ok = true;
    for (yaml_node_item_t *it = n->data.sequence.items.start; it < n->data.sequence.items.top; it++) {
        yaml_node_t *e = yaml_document_get_node(&p->y->doc, *it);
        const char *v = e ? cc__sc_scalar(p, e) : NULL;
        if (!v || !*v || strchr(v, ',')) {
            cc__sc_problem(p, e ? e : n, "<%s> lists names (text values without commas)", key);
            ok = false;
            continue;
        }
        if (g->len) g_string_append_c(g, ',');
        g_string_append(g, v);
    }
    if (ok && !g->len) {
        cc__sc_problem(p, n, "<%s> is empty", key);
        ok = false;
    }
    if (ok) {
        free(*out);
        *out = cc__sc_sdup(p, g->str);
    }
    g_string_free(g, TRUE);
    return ok;
}

/* outputs: what the coverage run writes besides summary.json ([summary, tables] or "raster,gpkg") */
static void ap_outputs(sc_parser *p, cc_scenario *s, yaml_node_t *v)
{
    char *list = NULL;
    const char *bad;
    if (!get_csv(p, v, "outputs", &list)) return;
    unsigned f;
    if (cc_coverage_outputs_parse(list, &f, &bad))
        cc__sc_problem(p, v, "<outputs>: unknown output '%.*s': use summary, raster, gpkg, tables, report or all", bad ? (int)strcspn(bad, ",") : 0,
                       bad ? bad : "");
    else if ((f & CC_OUT_REPORT) && (f & (CC_OUT_RASTER | CC_OUT_GPKG)) != (CC_OUT_RASTER | CC_OUT_GPKG))
        cc__sc_problem(p, v, "<outputs>: report needs raster and gpkg (the maps and the QGIS project are drawn from them)");
    else
        s->outputs = f;
    free(list);
}

/* chain: the emergency chain of the coverage run (dispatch + station -> patient + on scene +
 * patient -> capable facility). */
static void ap_chain(sc_parser *p, cc_scenario *s, const char *k, yaml_node_t *kn, yaml_node_t *v)
{
    (void)kn;
    s->chain = true;
    if (!strcmp(k, "station_tiers")) get_csv(p, v, "chain.station_tiers", &s->chain_station_tiers);
    else if (!strcmp(k, "capable_tiers")) get_csv(p, v, "chain.capable_tiers", &s->chain_capable_tiers);
    else if (!strcmp(k, "dispatch_minutes")) cc__sc_get_number(p, v, "chain.dispatch_minutes", 0, 120, &s->chain_dispatch_min);
    else if (!strcmp(k, "on_scene_minutes")) cc__sc_get_number(p, v, "chain.on_scene_minutes", 0, 240, &s->chain_on_scene_min);
}

static void ap_siting(sc_parser *p, cc_scenario *s, yaml_node_t *v)
{
    for (size_t i = 0; i < s->n_siting; i++) free_siting(&s->siting[i]);
    s->n_siting = 0;
    s->siting_pos = cc__sc_pos_of(p, v);
    yaml_node_t *one[1] = {v};
    size_t n = v->type == YAML_SEQUENCE_NODE ? (size_t)(v->data.sequence.items.top - v->data.sequence.items.start) : 1;
    if (v->type != YAML_SEQUENCE_NODE && v->type != YAML_MAPPING_NODE) {
        cc__sc_problem(p, v, "<siting> must be a mapping (one model) or a list of them");
        return;
    }
    sc_siting *a = cc__realloc_array(s->siting, n ? n : 1, sizeof(sc_siting));
    if (!a) {
        p->nomem = true;
        return;
    }
    s->siting = a;
    for (size_t i = 0; i < n; i++) {
        yaml_node_t *m = v->type == YAML_SEQUENCE_NODE ? yaml_document_get_node(&p->y->doc, v->data.sequence.items.start[i]) : one[0];
        if (!cc__sc_check_keys(p, m, siting_keys, "siting")) continue;
        sc_siting x = {.pos = cc__sc_pos_of(p, m), .dispatch_min = NAN, .on_scene_min = NAN, .alpha = NAN};
        yaml_node_t *n2;
        int model = -1;
        if (!(n2 = cc__yaml_get(p->y, m, "model"))) {
            cc__sc_problem(p, m, "A siting model needs <model> (mclp | lscp | p_median | p_center | mexclp | cmclp | cp_median | dsm)");
        } else {
            const char *ms = cc__sc_scalar(p, n2);
            for (int j = 0; ms && siting_models[j]; j++)
                if (!strcmp(ms, siting_models[j])) model = j;
            if (ms && !strcmp(ms, "p_centre")) model = 3;
            if (ms && !strcmp(ms, "cpmedian")) model = 6;
            if (model < 0) {
                const char *hint = ms ? cc__closest(ms, siting_models, 8) : NULL;
                cc__sc_problem(p, n2, "<siting.model> must be mclp, lscp, p_median, p_center, mexclp, cmclp, cp_median or dsm, got '%s'%s%s%s", ms ? ms : "",
                               hint ? " (did you mean " : "", hint ? hint : "", hint ? "?)" : "");
            } else {
                x.model = cc__sc_sdup(p, siting_models[model]);
            }
        }
        if ((n2 = cc__yaml_get(p->y, m, "budget"))) {
            if (cc__sc_get_number(p, n2, "siting.budget", 1, 10000, &x.budget) && x.budget != floor(x.budget))
                cc__sc_problem(p, n2, "<siting.budget> is a number of new sites and must be whole, got %g", x.budget);
        } else if (model >= 0 && model != 1) {
            cc__sc_problem(p, m, "Siting model %s needs a <budget> (number of new sites)", siting_models[model]);
        }
        if ((n2 = cc__yaml_get(p->y, m, "threshold_min"))) cc__sc_get_number(p, n2, "siting.threshold_min", 0.1, 1440, &x.threshold_min);
        else if (model == 0 || model == 1 || model == 4 || model == 5)
            cc__sc_problem(p, m, "Siting model %s needs <threshold_min>", siting_models[model]);
        /* the capacitated models: persons one new site serves, or a capacity field of the facilities */
        if ((n2 = cc__yaml_get(p->y, m, "site_capacity")) && cc__sc_get_number(p, n2, "siting.site_capacity", 0, 1e12, &x.site_capacity) &&
            !(x.site_capacity > 0))
            cc__sc_problem(p, n2, "<siting.site_capacity> is the persons one new site can serve, above 0, got %g", x.site_capacity);
        if ((n2 = cc__yaml_get(p->y, m, "capacity_field"))) cc__sc_get_string(p, n2, "siting.capacity_field", &x.capacity_field);
        if ((model == 5 || model == 6) && !x.site_capacity && !x.capacity_field)
            cc__sc_problem(p, m, "Siting model %s needs <site_capacity> (persons one new site can serve) or <capacity_field>", siting_models[model]);
        if (model >= 0 && model != 5 && model != 6 && (x.site_capacity > 0 || x.capacity_field))
            cc__sc_problem(p, m, "<siting.site_capacity> and <siting.capacity_field> belong to the models cmclp and cp_median");
        if ((n2 = cc__yaml_get(p->y, m, "busy_fraction"))) {
            if (cc__sc_get_number(p, n2, "siting.busy_fraction", 0, 1, &x.busy_fraction) && !(x.busy_fraction > 0 && x.busy_fraction < 1))
                cc__sc_problem(p, n2, "<siting.busy_fraction> is a share of time above 0 and below 1 (e.g. 0.2), got %g", x.busy_fraction);
        } else if (model == 4) {
            cc__sc_problem(p, m, "Siting model mexclp needs <busy_fraction> (calls per hour x mean service hours / ambulances)");
        }
        if ((n2 = cc__yaml_get(p->y, m, "max_per_station")) && cc__sc_get_number(p, n2, "siting.max_per_station", 1, 10000, &x.max_per_station) &&
            x.max_per_station != floor(x.max_per_station))
            cc__sc_problem(p, n2, "<siting.max_per_station> must be whole, got %g", x.max_per_station);
        /* the double standard model: r2 above r1 (threshold_min, default 15), alpha a share */
        const bool dsm = model >= 0 && !strcmp(siting_models[model], "dsm");
        if ((n2 = cc__yaml_get(p->y, m, "outer_threshold_min"))) {
            if (!dsm) cc__sc_problem(p, n2, "<siting.outer_threshold_min> belongs to the model dsm");
            else if (cc__sc_get_number(p, n2, "siting.outer_threshold_min", 0.1, 1440, &x.outer_threshold_min) &&
                     !(x.outer_threshold_min > (x.threshold_min > 0 ? x.threshold_min : 15)))
                cc__sc_problem(p, n2, "<siting.outer_threshold_min> (%g) must be above <threshold_min> (%g)", x.outer_threshold_min,
                               x.threshold_min > 0 ? x.threshold_min : 15);
        }
        if ((n2 = cc__yaml_get(p->y, m, "alpha"))) {
            if (!dsm) cc__sc_problem(p, n2, "<siting.alpha> belongs to the model dsm");
            else cc__sc_get_number(p, n2, "siting.alpha", 0, 1, &x.alpha);
        }
        if ((n2 = cc__yaml_get(p->y, m, "candidates"))) {
            sc_str c = {0};
            cc__sc_get_path(p, n2, "siting.candidates", &c);
            x.candidates = c.v;
        }
        if ((n2 = cc__yaml_get(p->y, m, "tier"))) cc__sc_get_string(p, n2, "siting.tier", &x.tier);
        if ((n2 = cc__yaml_get(p->y, m, "fixed_tiers"))) get_csv(p, n2, "siting.fixed_tiers", &x.fixed_tiers);
        if ((n2 = cc__yaml_get(p->y, m, "candidate_tiers"))) get_csv(p, n2, "siting.candidate_tiers", &x.candidate_tiers);
        if ((n2 = cc__yaml_get(p->y, m, "candidate_roads"))) get_csv(p, n2, "siting.candidate_roads", &x.candidate_roads);
        if ((n2 = cc__yaml_get(p->y, m, "spacing_m"))) cc__sc_get_number(p, n2, "siting.spacing_m", 10, 100000, &x.spacing_m);
        if ((n2 = cc__yaml_get(p->y, m, "target_share"))) {
            if (cc__sc_get_number(p, n2, "siting.target_share", 0, 1, &x.target_share) && x.target_share <= 0)
                cc__sc_problem(p, n2, "<siting.target_share> must be above 0 (a share of the population, e.g. 0.95)");
        }
        if ((n2 = cc__yaml_get(p->y, m, "emergency"))) cc__sc_get_bool(p, n2, "siting.emergency", &x.emergency);
        if ((n2 = cc__yaml_get(p->y, m, "dispatch_minutes"))) cc__sc_get_number(p, n2, "siting.dispatch_minutes", 0, 60, &x.dispatch_min);
        if ((n2 = cc__yaml_get(p->y, m, "capable_tiers"))) get_csv(p, n2, "siting.capable_tiers", &x.capable_tiers);
        if ((n2 = cc__yaml_get(p->y, m, "on_scene_minutes"))) cc__sc_get_number(p, n2, "siting.on_scene_minutes", 0, 240, &x.on_scene_min);
        if ((n2 = cc__yaml_get(p->y, m, "upgrade_tiers"))) get_csv(p, n2, "siting.upgrade_tiers", &x.upgrade_tiers);
        if ((n2 = cc__yaml_get(p->y, m, "max_upgrades"))) {
            if (!x.upgrade_tiers) cc__sc_problem(p, n2, "<siting.max_upgrades> belongs to <siting.upgrade_tiers>");
            else if (cc__sc_get_number(p, n2, "siting.max_upgrades", 1, 100, &x.max_upgrades) && x.max_upgrades != floor(x.max_upgrades))
                cc__sc_problem(p, n2, "<siting.max_upgrades> must be whole, got %g", x.max_upgrades);
        }
        if ((n2 = cc__yaml_get(p->y, m, "max_per_area")) && cc__sc_get_number(p, n2, "siting.max_per_area", 1, 10000, &x.max_per_area) &&
            x.max_per_area != floor(x.max_per_area))
            cc__sc_problem(p, n2, "<siting.max_per_area> must be whole, got %g", x.max_per_area);
        if ((n2 = cc__yaml_get(p->y, m, "curve")) && cc__sc_get_number(p, n2, "siting.curve", 1, 1000, &x.curve) && x.curve != floor(x.curve))
            cc__sc_problem(p, n2, "<siting.curve> must be whole, got %g", x.curve);
        if (!x.candidates && !x.candidate_tiers && !x.candidate_roads)
            x.candidate_roads = cc__sc_sdup(p, "all"); /* default: every drivable road, one candidate per spacing_m */
        s->siting[s->n_siting++] = x;
    }
}

static void ap_minutes(sc_parser *p, cc_scenario *s, yaml_node_t *v)
{
    double m[CC_MAX_BANDS];
    size_t n = 0;
    bool ok = true;
    if (v->type == YAML_SCALAR_NODE) {
        ok = cc__sc_get_number(p, v, "minutes", 0.1, 1440, &m[0]);
        n = 1;
    } else if (v->type == YAML_SEQUENCE_NODE) {
        for (yaml_node_item_t *it = v->data.sequence.items.start; it < v->data.sequence.items.top; it++) {
            yaml_node_t *e = yaml_document_get_node(&p->y->doc, *it);
            if (n == CC_MAX_BANDS) {
                cc__sc_problem(p, e, "<minutes> lists at most %d thresholds", CC_MAX_BANDS);
                ok = false;
                break;
            }
            double x;
            if (!cc__sc_get_number(p, e, "minutes", 0.1, 1440, &x)) {
                ok = false;
                continue;
            }
            if (n && x <= m[n - 1]) {
                cc__sc_problem(p, e, "<minutes> must be strictly ascending, got %g after %g", x, m[n - 1]);
                ok = false;
            }
            m[n++] = x;
        }
        if (n == 0 && ok) {
            cc__sc_problem(p, v, "<minutes> is empty");
            ok = false;
        }
    } else {
        cc__sc_problem(p, v, "<minutes> must be a list of thresholds, e.g. [15, 30, 60]");
        ok = false;
    }
    if (!ok) return;
    memcpy(s->minutes, m, n * sizeof(double));
    s->n_minutes = n;
}

static void ap_title(sc_parser *p, cc_scenario *s, yaml_node_t *v)
{
    if (v->type == YAML_SCALAR_NODE) {
        cc__sc_get_string(p, v, "title", &s->title_zh);
        free(s->title_en);
        s->title_en = cc__sc_sdup(p, s->title_zh);
        return;
    }
    static const char *const keys[] = {"zh", "en", NULL};
    if (!cc__sc_check_keys(p, v, keys, "title")) return;
    yaml_node_t *n;
    if ((n = cc__yaml_get(p->y, v, "zh"))) cc__sc_get_string(p, n, "title.zh", &s->title_zh);
    if ((n = cc__yaml_get(p->y, v, "en"))) cc__sc_get_string(p, n, "title.en", &s->title_en);
}

static void ap_profile(sc_parser *p, cc_scenario *s, yaml_node_t *v)
{
    if (v->type == YAML_MAPPING_NODE) {
        cc_profile *prof = NULL;
        cc_status st = cc__profile_from_node(p->ctx, p->y, v, p->file, &prof);
        if (st == CC_ERR_NOMEM) p->nomem = true;
        if (st) {
            p->n_problems++;
            cc__sc_add_msg(p, cc_ctx_last_error(p->ctx));
            return;
        }
        cc_profile_destroy(s->profile);
        s->profile = prof;
        s->profile_inline = true;
        free(s->profile_ref.v);
        s->profile_ref.v = NULL;
        return;
    }
    const char *t = cc__sc_scalar(p, v);
    if (!t || !*t) {
        cc__sc_problem(p, v, "<profile> must be a built-in name (ambulance, car, walk), a YAML file or an inline profile");
        return;
    }
    bool builtin = cc_profile_builtin_text(t) != NULL;
    if (builtin) {
        cc__sc_get_text(p, v, "profile", &s->profile_ref);
    } else if (strchr(t, '/') || strstr(t, ".yaml") || strstr(t, ".yml")) {
        cc__sc_get_path(p, v, "profile", &s->profile_ref);
    } else {
        const char *const *names = cc_profile_builtin_names();
        size_t nn = 0;
        while (names[nn]) nn++;
        const char *hint = cc__closest(t, names, nn);
        cc__sc_problem(p, v, "<profile> '%s' is neither a built-in profile (ambulance, car, walk) nor a .yaml file%s%s%s", t,
                       hint ? " (did you mean " : "", hint ? hint : "", hint ? "?)" : "");
        return;
    }
    cc_profile_destroy(s->profile);
    s->profile = NULL;
    s->profile_inline = false;
}

static void ap_section(sc_parser *p, cc_scenario *s, const char *what, yaml_node_t *v, const char *const *keys,
                       void (*fn)(sc_parser *, cc_scenario *, const char *, yaml_node_t *, yaml_node_t *))
{
    if (!cc__sc_check_keys(p, v, keys, what)) return;
    FOR_PAIRS(p, v, kn, vn, k)
    {
        size_t i = 0;
        while (keys[i] && strcmp(keys[i], k)) i++;
        if (keys[i]) fn(p, s, k, kn, vn);
    }
}

static void ap_top(sc_parser *p, cc_scenario *s, const char *k, yaml_node_t *kn, yaml_node_t *v)
{
    (void)kn;
    if (!strcmp(k, "name")) {
        char *nm = NULL;
        if (!cc__sc_get_string(p, v, "name", &nm)) return;
        bool ok = *nm != '\0';
        for (const char *c = nm; *c; c++)
            if (!isalnum((unsigned char)*c) && *c != '_' && *c != '-' && *c != '.') ok = false;
        if (!ok) {
            cc__sc_problem(p, v, "<name> may hold only letters, digits, '_', '-' and '.' (it names the output folder), got '%s'", nm);
            free(nm);
            return;
        }
        free(s->name);
        s->name = nm;
    } else if (!strcmp(k, "title")) ap_title(p, s, v);
    else if (!strcmp(k, "description")) cc__sc_get_string(p, v, "description", &s->description);
    else if (!strcmp(k, "out")) {
        char *o = NULL;
        if (!cc__sc_get_string(p, v, "out", &o)) return;
        free(s->out.v);
        s->out.pos = cc__sc_pos_of(p, v);
        if (o[0] == '/' || !p->dir || !*p->dir) {
            s->out.v = o;
        } else {
            char *j = g_build_filename(p->dir, o, NULL);
            s->out.v = cc__sc_sdup(p, j);
            g_free(j);
            free(o);
        }
    } else if (!strcmp(k, "inputs")) ap_section(p, s, "inputs", v, input_keys, ap_input);
    else if (!strcmp(k, "crs")) cc__sc_get_text(p, v, "crs", &s->crs);
    else if (!strcmp(k, "profile")) ap_profile(p, s, v);
    else if (!strcmp(k, "speed_factors")) ap_section(p, s, "speed_factors", v, factor_keys, ap_factors);
    else if (!strcmp(k, "closed_roads")) ap_section(p, s, "closed_roads", v, closed_keys, ap_closed);
    else if (!strcmp(k, "added_roads")) ap_section(p, s, "added_roads", v, added_keys, ap_added);
    else if (!strcmp(k, "facility_changes")) ap_section(p, s, "facility_changes", v, fchange_keys, ap_fchanges);
    else if (!strcmp(k, "minutes")) ap_minutes(p, s, v);
    else if (!strcmp(k, "uncovered_minutes")) cc__sc_get_number(p, v, "uncovered_minutes", 0.1, 1440, &s->uncovered_min);
    else if (!strcmp(k, "resolution_m")) cc__sc_get_number(p, v, "resolution_m", 1, 100000, &s->resolution_m);
    else if (!strcmp(k, "capacity_minutes")) cc__sc_get_number(p, v, "capacity_minutes", 0.1, 1440, &s->capacity_min);
    else if (!strcmp(k, "siting")) ap_siting(p, s, v);
    else if (!strcmp(k, "report")) ap_section(p, s, "report", v, report_keys, ap_report);
    else if (!strcmp(k, "headline")) {
        free(s->headline);
        s->headline = NULL;
        get_csv(p, v, "headline", &s->headline);
    }
    else if (!strcmp(k, "outputs")) ap_outputs(p, s, v);
    else if (!strcmp(k, "offroad")) ap_section(p, s, "offroad", v, offroad_keys, ap_offroad);
    else if (!strcmp(k, "chain")) {
        s->chain = true;
        s->chain_pos = cc__sc_pos_of(p, v);
        ap_section(p, s, "chain", v, chain_keys, ap_chain);
        if (!s->chain_station_tiers) cc__sc_problem(p, v, "<chain> needs <station_tiers>: the tiers whose facilities dispatch ambulances");
    }
}

void cc__scenario_apply(sc_parser *p, cc_scenario *s, yaml_node_t *root)
{
    if (!cc__sc_check_keys(p, root, top_keys, "the scenario")) return;
    FOR_PAIRS(p, root, kn, vn, k)
    {
        size_t i = 0;
        while (top_keys[i] && strcmp(top_keys[i], k)) i++;
        if (top_keys[i]) ap_top(p, s, k, kn, vn);
    }
}

void cc__scenario_apply_key(sc_parser *p, cc_scenario *s, const char *dotted, yaml_node_t *keynode, yaml_node_t *v)
{
    char buf[256];
    snprintf(buf, sizeof(buf), "%s", dotted);
    char *part[4] = {0};
    size_t np = 0;
    for (char *save = NULL, *t = strtok_r(buf, ".", &save); t && np < 4; t = strtok_r(NULL, ".", &save)) part[np++] = t;
    size_t i = 0;
    if (np >= 1)
        while (top_keys[i] && strcmp(top_keys[i], part[0])) i++;
    if (np == 0 || !top_keys[i]) {
        const char *hint = np ? cc__closest(part[0], top_keys, 16) : NULL;
        cc__sc_problem(p, keynode, "Unknown scenario key <%s>%s%s%s", dotted, hint ? " (did you mean <" : "", hint ? hint : "",
                       hint ? ">?)" : "");
        return;
    }
    if (np == 1) {
        ap_top(p, s, part[0], keynode, v);
        return;
    }
    struct {
        const char *name;
        const char *const *keys;
        void (*fn)(sc_parser *, cc_scenario *, const char *, yaml_node_t *, yaml_node_t *);
    } sec[] = {{"inputs", input_keys, ap_input}, {"speed_factors", factor_keys, ap_factors}, {"closed_roads", closed_keys, ap_closed},
               {"added_roads", added_keys, ap_added}, {"report", report_keys, ap_report}, {"offroad", offroad_keys, ap_offroad},
               {"chain", chain_keys, ap_chain}};
    for (size_t j = 0; j < sizeof(sec) / sizeof(sec[0]); j++) {
        if (strcmp(sec[j].name, part[0])) continue;
        size_t q = 0;
        while (sec[j].keys[q] && strcmp(sec[j].keys[q], part[1])) q++;
        if (!sec[j].keys[q]) {
            const char *hint = cc__closest(part[1], sec[j].keys, 16);
            cc__sc_problem(p, keynode, "Unknown key <%s> in %s%s%s%s", part[1], part[0], hint ? " (did you mean <" : "",
                           hint ? hint : "", hint ? ">?)" : "");
            return;
        }
        if (np == 2) {
            sec[j].fn(p, s, part[1], keynode, v);
            return;
        }
        if (np == 3 && !strcmp(part[0], "speed_factors") && strcmp(part[1], "all")) {
            if (!strcmp(part[1], "class"))
                ap_factor_map(p, "class", &s->f_class, &s->n_f_class, part[2], keynode, v);
            else
                ap_factor_map(p, "surface", &s->f_surface, &s->n_f_surface, part[2], keynode, v);
            return;
        }
    }
    cc__sc_problem(p, keynode, "Key <%s> cannot be swept: sweep a single value such as speed_factors.class.tertiary, "
                               "speed_factors.all, uncovered_minutes or added_roads.connect_m", dotted);
}

/* ---- finalize ------------------------------------------------------------------------------------ */

cc_scenario *cc__scenario_new(const char *file)
{
    cc_scenario *s = calloc(1, sizeof(*s));
    if (!s) return NULL;
    s->file = cc__strdup(file);
    char *d = g_path_get_dirname(file);
    s->dir = cc__strdup(d);
    g_free(d);
    char *b = g_path_get_basename(file), *dot = strrchr(b, '.');
    if (dot && dot != b) *dot = '\0';
    s->name = cc__strdup(b);
    g_free(b);
    s->maps = true;
    s->chain_dispatch_min = s->chain_on_scene_min = NAN;
    if (!s->file || !s->dir || !s->name) {
        cc_scenario_destroy(s);
        return NULL;
    }
    return s;
}

static void str_free(sc_str *x)
{
    free(x->v);
    x->v = NULL;
}

void cc_scenario_destroy(cc_scenario *s)
{
    if (!s) return;
    CC__FREE_ALL(s->file, s->dir, s->name, s->title_zh, s->title_en, s->label_zh, s->label_en, s->description);
    sc_str *strs[] = {&s->out, &s->roads, &s->roads_layer, &s->class_field, &s->speed_field, &s->population, &s->population_field,
                      &s->facilities, &s->facility_name_field, &s->lon_field, &s->lat_field, &s->facility_where, &s->tier_field,
                      &s->capacity_field, &s->admin, &s->admin_name_field, &s->admin_code_field, &s->encoding, &s->crs, &s->profile_ref,
                      &s->closed_areas, &s->closed_areas_layer, &s->added, &s->added_layer, &s->off_friction, &s->off_dem,
                      &s->off_landcover, &s->off_water, &s->off_ferries};
    for (size_t i = 0; i < sizeof(strs) / sizeof(strs[0]); i++) str_free(strs[i]);
    free(s->offroad_model);
    free(s->tiers);
    cc_profile_destroy(s->profile);
    for (size_t i = 0; i < s->n_f_class; i++) free(s->f_class[i].key);
    for (size_t i = 0; i < s->n_f_surface; i++) free(s->f_surface[i].key);
    CC__FREE_ALL(s->f_class, s->f_surface, s->closed_ids, s->replaced_ids);
    for (size_t i = 0; i < s->n_fchanges; i++) free_fchange(&s->fchanges[i]);
    free(s->fchanges);
    for (size_t i = 0; i < s->n_siting; i++) free_siting(&s->siting[i]);
    CC__FREE_ALL(s->siting, s->lang, s->headline, s->chain_station_tiers, s->chain_capable_tiers, s);
}

/* Check facility changes against the facility file itself (small), so that a typo in a name
 * or id is reported with its position before any work. */
static void check_facility_changes(sc_parser *p, cc_scenario *s)
{
    cc__facilities f;
    cc__facilities_opts fo = {.tier_field = s->tier_field.v, .tiers = s->tiers, .name_field = s->facility_name_field.v,
                              .lon_field = s->lon_field.v, .lat_field = s->lat_field.v, .where = s->facility_where.v,
                              .encoding = s->encoding.v};
    static const char wgs84[] = "GEOGCS[\"WGS 84\",DATUM[\"WGS_1984\",SPHEROID[\"WGS 84\",6378137,298.257223563]],"
                                "PRIMEM[\"Greenwich\",0],UNIT[\"degree\",0.0174532925199433],AUTHORITY[\"EPSG\",\"4326\"]]";
    cc_log_fn fn = p->ctx->log_fn;
    p->ctx->log_fn = NULL; /* the run reads the file again and warns then */
    cc_status st = cc__facilities_read(p->ctx, s->facilities.v, &fo, wgs84, &f);
    p->ctx->log_fn = fn;
    if (st) {
        if (st == CC_ERR_NOMEM) p->nomem = true;
        cc__sc_problem_at(p, &s->facilities.pos, "%s", cc_ctx_last_error(p->ctx));
        return;
    }
    for (size_t k = 0; k < s->n_fchanges; k++) {
        const cc_facility_change *c = &s->fchanges[k].c;
        if (c->kind == CC_FACILITY_ADD) continue;
        if (c->id >= 0) {
            if ((size_t)c->id >= f.n)
                cc__sc_problem_at(p, &s->fchanges[k].pos, "No facility has id %lld in '%s' (ids run from 0 to %zu)", c->id, s->facilities.v,
                           f.n - 1);
            continue;
        }
        size_t hits = 0;
        for (size_t i = 0; i < f.n; i++) hits += strcmp(f.name[i], c->name) == 0;
        if (hits == 0) {
            const char *hint = cc__closest(c->name, (const char *const *)f.name, f.n);
            cc__sc_problem_at(p, &s->fchanges[k].pos, "No facility is named <%s> in '%s'%s%s%s", c->name, s->facilities.v,
                       hint ? " (did you mean <" : "", hint ? hint : "", hint ? ">?)" : "");
        } else if (hits > 1) {
            cc__sc_problem_at(p, &s->fchanges[k].pos, "%zu facilities are named <%s> in '%s'; name it by id", hits, c->name, s->facilities.v);
        }
    }
    cc__facilities_free(&f);
}

void cc__scenario_finalize(sc_parser *p, cc_scenario *s)
{
    const size_t problems_before = p->n_problems;
    const sc_pos none = {s->file, 0, 0};
    if (!s->roads.v) cc__sc_problem_at(p, &none, "Missing required key <inputs.roads>");
    if (!s->population.v) cc__sc_problem_at(p, &none, "Missing required key <inputs.population>");
    if (!s->facilities.v) cc__sc_problem_at(p, &none, "Missing required key <inputs.facilities>");
    if ((s->lon_field.v == NULL) != (s->lat_field.v == NULL))
        cc__sc_problem_at(p, s->lon_field.v ? &s->lon_field.pos : &s->lat_field.pos, "Give both <inputs.lon_field> and <inputs.lat_field>");
    if (s->n_minutes == 0) {
        static const double dflt[] = {15, 30, 60};
        memcpy(s->minutes, dflt, sizeof(dflt));
        s->n_minutes = 3;
    }
    if (!s->lang && !(s->lang = cc__sc_sdup(p, "zh"))) return;
    /* profile and speed factors */
    if (!s->profile) {
        const char *ref = s->profile_ref.v ? s->profile_ref.v : "ambulance";
        cc_status st = cc_profile_load(p->ctx, ref, &s->profile);
        if (st) {
            if (st == CC_ERR_NOMEM) p->nomem = true;
            cc__sc_problem_at(p, &s->profile_ref.pos, "%s", cc_ctx_last_error(p->ctx));
            return;
        }
    }
    for (size_t i = 0; i < s->n_f_class; i++) {
        bool known = false;
        cc__profile_class_kmh(s->profile, s->f_class[i].key, &known);
        if (!known || cc__profile_class_kmh(s->profile, s->f_class[i].key, &known) <= 0) {
            const char *hint = cc__closest(s->f_class[i].key, (const char *const *)s->profile->class_name, s->profile->n_classes);
            cc__sc_problem_at(p, &s->f_class[i].pos, "Profile <%s> has no drivable road class <%s>%s%s%s", cc_profile_get_name(s->profile),
                       s->f_class[i].key, hint ? " (did you mean <" : "", hint ? hint : "", hint ? ">?)" : "");
            continue;
        }
        if (cc_profile_scale_class(p->ctx, s->profile, s->f_class[i].key, s->f_class[i].factor)) p->nomem = true;
    }
    for (size_t i = 0; i < s->n_f_surface; i++)
        if (cc_profile_scale_surface(p->ctx, s->profile, s->f_surface[i].key, s->f_surface[i].factor)) p->nomem = true;
    if (s->f_all > 0 && cc_profile_scale_class(p->ctx, s->profile, NULL, s->f_all)) p->nomem = true;
    /* field names against the files' layer definitions, when the files and keys are sound */
    if (problems_before == 0 && p->n_problems == 0) cc__scenario_check_fields(p, s);
    /* reading the facility file is only worth it when everything it depends on is sound */
    if (s->n_fchanges && s->facilities.v && problems_before == 0 && p->n_problems == 0) check_facility_changes(p, s);
}

cc_status cc_scenario_load(cc_ctx *ctx, const char *path, cc_scenario **out)
{
    char *text = NULL;
    size_t len = 0;
    cc__yaml y = {0};
    cc_status st;
    sc_parser p;
    cc_scenario *s = NULL;
    *out = NULL;
    if ((st = cc__read_text_file(ctx, path, "scenario file", &text, &len))) return st;
    if ((st = cc__yaml_load(ctx, text, len, path, &y))) goto out;
    if (!(s = cc__scenario_new(path))) {
        st = cc__fail(ctx, CC_ERR_NOMEM, "Out of memory");
        goto out;
    }
    cc__sc_parser_init(&p, ctx, &y, s->file, s->dir);
    cc__scenario_apply(&p, s, cc__yaml_root(&y));
    if (!p.nomem) cc__scenario_finalize(&p, s);
    st = cc__sc_parser_status(&p);
    cc__sc_parser_free(&p);
    if (!st) {
        *out = s;
        s = NULL;
    }
out:
    cc_scenario_destroy(s);
    cc__yaml_free(&y);
    free(text);
    return st;
}

