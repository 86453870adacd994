/*
 * scenario.c - scenario files: parse and validate the whole file before any work, reporting
 * every problem as "file:line:column: message" (unknown keys with a did-you-mean, wrong types,
 * out-of-range values, missing files), then run it through cc_coverage_run().
 *
 * A scenario is built by applying YAML mappings onto a struct: the scenario file, then (in a
 * batch) a variant's overrides, so that a variant is validated exactly like a whole file.
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
#include "../io/inputs_internal.h"
#include "../io/write_internal.h"
#include "scenario_internal.h"

/* ---- problems ---------------------------------------------------------------------------------- */

void cc__sc_parser_init(sc_parser *p, cc_ctx *ctx, cc__yaml *y, const char *file, const char *dir)
{
    memset(p, 0, sizeof(*p));
    p->ctx = ctx;
    p->y = y;
    p->file = file;
    p->dir = dir;
}

void cc__sc_parser_free(sc_parser *p)
{
    free(p->msgs);
    p->msgs = NULL;
}

static void add_msg(sc_parser *p, const char *msg)
{
    size_t n = strlen(msg);
    if (p->len_msgs + n + 2 > p->cap_msgs) {
        size_t cap = (p->cap_msgs + n + 2) * 2;
        char *m = realloc(p->msgs, cap);
        if (!m) {
            p->nomem = true;
            return;
        }
        p->msgs = m;
        p->cap_msgs = cap;
    }
    if (p->len_msgs) p->msgs[p->len_msgs++] = '\n';
    memcpy(p->msgs + p->len_msgs, msg, n + 1);
    p->len_msgs += n;
    p->n_msgs++;
}

static void vproblem(sc_parser *p, const char *file, size_t line, size_t col, const char *fmt, va_list ap) CC__PRINTF(5, 0);
static void vproblem(sc_parser *p, const char *file, size_t line, size_t col, const char *fmt, va_list ap)
{
    char body[700], msg[900];
    vsnprintf(body, sizeof(body), fmt, ap);
    if (line)
        snprintf(msg, sizeof(msg), "%s:%zu:%zu: %s", file, line, col, body);
    else
        snprintf(msg, sizeof(msg), "%s: %s", file, body);
    p->n_problems++;
    add_msg(p, msg);
}

void cc__sc_problem(sc_parser *p, const yaml_node_t *n, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    vproblem(p, p->file, n ? n->start_mark.line + 1 : 0, n ? n->start_mark.column + 1 : 0, fmt, ap);
    va_end(ap);
}

static void problem_at(sc_parser *p, const sc_pos *pos, const char *fmt, ...) CC__PRINTF(3, 4);
static void problem_at(sc_parser *p, const sc_pos *pos, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    vproblem(p, pos->file ? pos->file : p->file, pos->line, pos->col, fmt, ap);
    va_end(ap);
}

cc_status cc__sc_parser_status(sc_parser *p)
{
    if (p->nomem) return cc__fail(p->ctx, CC_ERR_NOMEM, "Out of memory reading '%s'", p->file);
    if (!p->n_problems) return CC_OK;
    /* as many whole lines as fit in one message, then a count of the rest */
    char buf[CC__MAX_MSG - 8];
    size_t used = 0, shown = 0;
    const char *s = p->msgs;
    while (s && *s) {
        const char *e = strchr(s, '\n');
        size_t n = e ? (size_t)(e - s) : strlen(s);
        if (used + n + 60 >= sizeof(buf) && shown) break;
        if (n >= sizeof(buf) - 60) n = sizeof(buf) - 61;
        if (used) buf[used++] = '\n';
        memcpy(buf + used, s, n);
        used += n;
        shown++;
        s = e ? e + 1 : NULL;
    }
    buf[used] = '\0';
    if (shown < p->n_msgs)
        snprintf(buf + used, sizeof(buf) - used, "\n%s: ... and %zu more problems", p->file, p->n_msgs - shown);
    cc_status st = p->n_missing_files == p->n_problems ? CC_ERR_IO : CC_ERR_INPUT;
    return cc__fail_lines(p->ctx, st, buf);
}

/* ---- scalars ------------------------------------------------------------------------------------ */

const char *cc__sc_scalar(sc_parser *p, const yaml_node_t *n)
{
    const char *s = cc__yaml_scalar(n);
    if (!s || !p->subst) return s;
    const char *at = strstr(s, "{value}");
    if (!at) return s;
    snprintf(p->scratch, sizeof(p->scratch), "%.*s%s%s", (int)(at - s), s, p->subst, at + 7);
    return p->scratch;
}

static sc_pos pos_of(sc_parser *p, const yaml_node_t *n)
{
    sc_pos q = {p->file, n ? n->start_mark.line + 1 : 0, n ? n->start_mark.column + 1 : 0};
    return q;
}

static char *sdup(sc_parser *p, const char *s)
{
    char *d = s ? cc__strdup(s) : NULL;
    if (s && !d) p->nomem = true;
    return d;
}

static bool get_string(sc_parser *p, yaml_node_t *n, const char *key, char **out)
{
    const char *s = cc__sc_scalar(p, n);
    if (!s || !*s) {
        cc__sc_problem(p, n, "<%s> must be a text value", key);
        return false;
    }
    free(*out);
    *out = sdup(p, s);
    return true;
}

static bool get_number(sc_parser *p, yaml_node_t *n, const char *key, double lo, double hi, double *out)
{
    const char *s = cc__sc_scalar(p, n);
    char *end = NULL;
    if (!s) {
        cc__sc_problem(p, n, "<%s> must be a number", key);
        return false;
    }
    double v = strtod(s, &end);
    if (end == s || *end || !isfinite(v)) {
        cc__sc_problem(p, n, "<%s> must be a number, got '%s'", key, s);
        return false;
    }
    if (v < lo || v > hi) {
        cc__sc_problem(p, n, "<%s> must be between %g and %g, got %g", key, lo, hi, v);
        return false;
    }
    *out = v;
    return true;
}

static bool get_bool(sc_parser *p, yaml_node_t *n, const char *key, bool *out)
{
    const char *s = cc__sc_scalar(p, n);
    static const char *const yes[] = {"true", "yes", "on", "1", NULL}, *const no[] = {"false", "no", "off", "0", NULL};
    for (int i = 0; s && yes[i]; i++)
        if (!strcmp(s, yes[i])) return *out = true;
    for (int i = 0; s && no[i]; i++)
        if (!strcmp(s, no[i])) {
            *out = false;
            return true;
        }
    cc__sc_problem(p, n, "<%s> must be true or false, got '%s'", key, s ? s : "(not a value)");
    return false;
}

static bool is_remote(const char *s)
{
    return !strncmp(s, "PG:", 3) || !strncmp(s, "/vsi", 4) || strstr(s, "://") != NULL;
}

/* A path relative to the file that names it; checked to exist (unless a database or URL). */
static void get_path(sc_parser *p, yaml_node_t *n, const char *key, sc_str *out)
{
    char *v = NULL;
    if (!get_string(p, n, key, &v)) return;
    free(out->v);
    out->pos = pos_of(p, n);
    if (v[0] == '/' || is_remote(v) || !p->dir || !*p->dir) {
        out->v = v;
    } else {
        out->v = g_build_filename(p->dir, v, NULL);
        char *c = out->v ? sdup(p, out->v) : NULL;
        g_free(out->v);
        out->v = c;
        free(v);
    }
    if (!out->v || is_remote(out->v)) return;
    struct stat sb;
    if (stat(out->v, &sb) != 0) {
        p->n_missing_files++;
        cc__sc_problem(p, n, "<%s>: file '%s' does not exist", key, out->v);
    } else if (S_ISDIR(sb.st_mode) && !strstr(out->v, ".gdb")) {
        p->n_missing_files++;
        cc__sc_problem(p, n, "<%s>: '%s' is a folder, not a file", key, out->v);
    }
}

static void get_text(sc_parser *p, yaml_node_t *n, const char *key, sc_str *out)
{
    if (get_string(p, n, key, &out->v)) out->pos = pos_of(p, n);
}

static bool get_int64_list(sc_parser *p, yaml_node_t *n, const char *key, int64_t **out, size_t *nout)
{
    yaml_document_t *d = &p->y->doc;
    if (n->type != YAML_SEQUENCE_NODE) {
        cc__sc_problem(p, n, "<%s> must be a list of OSM way ids, e.g. [123456, 234567]", key);
        return false;
    }
    size_t cap = (size_t)(n->data.sequence.items.top - n->data.sequence.items.start), k = 0;
    int64_t *v = cc__calloc_array(cap, sizeof(int64_t));
    if (!v) {
        p->nomem = true;
        return false;
    }
    bool ok = true;
    for (yaml_node_item_t *it = n->data.sequence.items.start; it < n->data.sequence.items.top; it++) {
        yaml_node_t *e = yaml_document_get_node(d, *it);
        const char *s = cc__sc_scalar(p, e);
        char *end = NULL;
        errno = 0;
        long long x = s ? strtoll(s, &end, 10) : 0;
        if (!s || end == s || *end || errno) {
            cc__sc_problem(p, e, "Items of <%s> must be whole numbers (way ids), got '%s'", key, s ? s : "(not a value)");
            ok = false;
            continue;
        }
        v[k++] = (int64_t)x;
    }
    free(*out);
    *out = v;
    *nout = k;
    return ok;
}

/* Report unknown keys (all of them); true when @p n is a mapping. */
static bool check_keys(sc_parser *p, yaml_node_t *n, const char *const *allowed, const char *what)
{
    if (!n || n->type != YAML_MAPPING_NODE) {
        cc__sc_problem(p, n, "<%s> must be a mapping of keys to values", what);
        return false;
    }
    size_t na = 0;
    while (allowed[na]) na++;
    for (yaml_node_pair_t *pr = n->data.mapping.pairs.start; pr < n->data.mapping.pairs.top; pr++) {
        yaml_node_t *kn = yaml_document_get_node(&p->y->doc, pr->key);
        const char *k = cc__yaml_scalar(kn);
        if (!k) {
            cc__sc_problem(p, kn, "Keys of <%s> must be plain names", what);
            continue;
        }
        size_t i;
        for (i = 0; i < na; i++)
            if (!strcmp(k, allowed[i])) break;
        if (i < na) continue;
        const char *hint = cc__closest(k, allowed, na);
        if (hint)
            cc__sc_problem(p, kn, "Unknown key <%s> in %s (did you mean <%s>?)", k, what, hint);
        else
            cc__sc_problem(p, kn, "Unknown key <%s> in %s", k, what);
    }
    return true;
}

#define FOR_PAIRS(p, n, kn, vn, k)                                                                                  \
    for (yaml_node_pair_t *pr_ = (n)->data.mapping.pairs.start; pr_ < (n)->data.mapping.pairs.top; pr_++)            \
        for (yaml_node_t *kn = yaml_document_get_node(&(p)->y->doc, pr_->key), *vn = yaml_document_get_node(&(p)->y->doc, pr_->value), \
                         *once_ = kn;                                                                               \
             once_; once_ = NULL)                                                                                   \
            for (const char *k = cc__yaml_scalar(kn); k; k = NULL)

/* ---- sections ------------------------------------------------------------------------------------ */

static const char *const top_keys[] = {"name", "title", "description", "out", "inputs", "crs", "profile", "speed_factors",
                                       "closed_roads", "added_roads", "facility_changes", "minutes", "uncovered_minutes",
                                       "resolution_m", "siting", "report", NULL};
static const char *const input_keys[] = {"roads", "roads_layer", "class_field", "speed_field", "population", "population_field",
                                         "facilities", "facility_name_field", "lon_field", "lat_field", "facility_where",
                                         "tier_field", "tiers", "admin", "admin_name_field", "admin_code_field", NULL};
static const char *const factor_keys[] = {"class", "surface", "all", NULL};
static const char *const closed_keys[] = {"way_ids", "areas", "areas_layer", NULL};
static const char *const added_keys[] = {"path", "layer", "connect_m", "replaces", NULL};
static const char *const fchange_keys[] = {"add", "remove", "set_tier", NULL};
static const char *const siting_keys[] = {"model", "budget", "threshold_min", "candidates", "tier", "fixed_tiers",
                                          "candidate_tiers", "candidate_roads", "spacing_m", "target_share", "emergency",
                                          "dispatch_minutes", "max_per_area", "curve", NULL};
static const char *const report_keys[] = {"lang", "maps", NULL};
static const char *const siting_models[] = {"mclp", "lscp", "p_median", "p_center", NULL};

static void ap_input(sc_parser *p, cc_scenario *s, const char *k, yaml_node_t *kn, yaml_node_t *v)
{
    (void)kn;
    if (!strcmp(k, "roads")) get_path(p, v, "inputs.roads", &s->roads);
    else if (!strcmp(k, "population")) get_path(p, v, "inputs.population", &s->population);
    else if (!strcmp(k, "facilities")) get_path(p, v, "inputs.facilities", &s->facilities);
    else if (!strcmp(k, "admin")) get_path(p, v, "inputs.admin", &s->admin);
    else if (!strcmp(k, "roads_layer")) get_text(p, v, "inputs.roads_layer", &s->roads_layer);
    else if (!strcmp(k, "class_field")) get_text(p, v, "inputs.class_field", &s->class_field);
    else if (!strcmp(k, "speed_field")) get_text(p, v, "inputs.speed_field", &s->speed_field);
    else if (!strcmp(k, "population_field")) get_text(p, v, "inputs.population_field", &s->population_field);
    else if (!strcmp(k, "facility_name_field")) get_text(p, v, "inputs.facility_name_field", &s->facility_name_field);
    else if (!strcmp(k, "lon_field")) get_text(p, v, "inputs.lon_field", &s->lon_field);
    else if (!strcmp(k, "lat_field")) get_text(p, v, "inputs.lat_field", &s->lat_field);
    else if (!strcmp(k, "facility_where")) get_text(p, v, "inputs.facility_where", &s->facility_where);
    else if (!strcmp(k, "tier_field")) get_text(p, v, "inputs.tier_field", &s->tier_field);
    else if (!strcmp(k, "admin_name_field")) get_text(p, v, "inputs.admin_name_field", &s->admin_name_field);
    else if (!strcmp(k, "admin_code_field")) get_text(p, v, "inputs.admin_code_field", &s->admin_code_field);
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
        s->tiers = sdup(p, g->str);
        g_string_free(g, TRUE);
    }
}

static void ap_factor_map(sc_parser *p, const char *what, sc_factor **arr, size_t *n, const char *key, yaml_node_t *kn,
                          yaml_node_t *v)
{
    char label[200];
    snprintf(label, sizeof(label), "speed_factors.%s.%s", what, key);
    double f;
    if (!get_number(p, v, label, 0.01, 10.0, &f)) return;
    for (size_t i = 0; i < *n; i++)
        if (!strcmp((*arr)[i].key, key)) {
            (*arr)[i].factor = f;
            (*arr)[i].pos = pos_of(p, kn);
            return;
        }
    sc_factor *a = cc__realloc_array(*arr, *n + 1, sizeof(sc_factor));
    if (!a) {
        p->nomem = true;
        return;
    }
    *arr = a;
    a[*n] = (sc_factor){sdup(p, key), f, pos_of(p, kn)};
    (*n)++;
}

static void ap_factors(sc_parser *p, cc_scenario *s, const char *k, yaml_node_t *kn, yaml_node_t *v)
{
    if (!strcmp(k, "all")) {
        if (get_number(p, v, "speed_factors.all", 0.01, 10.0, &s->f_all)) s->f_all_pos = pos_of(p, kn);
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
    if (!strcmp(k, "way_ids")) get_int64_list(p, v, "closed_roads.way_ids", &s->closed_ids, &s->n_closed_ids);
    else if (!strcmp(k, "areas")) get_path(p, v, "closed_roads.areas", &s->closed_areas);
    else if (!strcmp(k, "areas_layer")) get_text(p, v, "closed_roads.areas_layer", &s->closed_areas_layer);
}

static void ap_added(sc_parser *p, cc_scenario *s, const char *k, yaml_node_t *kn, yaml_node_t *v)
{
    (void)kn;
    if (!strcmp(k, "path")) get_path(p, v, "added_roads.path", &s->added);
    else if (!strcmp(k, "layer")) get_text(p, v, "added_roads.layer", &s->added_layer);
    else if (!strcmp(k, "connect_m")) get_number(p, v, "added_roads.connect_m", 0.1, 5000, &s->added_connect_m);
    else if (!strcmp(k, "replaces")) get_int64_list(p, v, "added_roads.replaces", &s->replaced_ids, &s->n_replaced_ids);
}

static void ap_report(sc_parser *p, cc_scenario *s, const char *k, yaml_node_t *kn, yaml_node_t *v)
{
    (void)kn;
    if (!strcmp(k, "maps")) {
        get_bool(p, v, "report.maps", &s->maps);
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
    s->lang = sdup(p, g->str);
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
        if (!get_number(p, idn, label, 0, 1e9, &id)) return false;
        if (id != floor(id)) {
            cc__sc_problem(p, idn, "<%s.id> must be a whole number", what);
            return false;
        }
        c->id = (long long)id;
        return true;
    }
    char *nm = NULL;
    if (!get_string(p, nn, "name", &nm)) return false;
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
        if (!check_keys(p, m, kind == CC_FACILITY_ADD ? add_keys : kind == CC_FACILITY_REMOVE ? rm_keys : st_keys, what)) continue;
        sc_fchange f = {.c = {.kind = kind, .id = -1}, .pos = pos_of(p, m)};
        bool ok = true;
        if (kind == CC_FACILITY_ADD) {
            yaml_node_t *n;
            char *nm = NULL, *tier = NULL;
            if ((n = cc__yaml_get(p->y, m, "name"))) ok &= get_string(p, n, "facility_changes.add.name", &nm);
            if (!(n = cc__yaml_get(p->y, m, "lon"))) {
                cc__sc_problem(p, m, "An added facility needs <lon> and <lat> (WGS84 degrees)");
                ok = false;
            } else {
                ok &= get_number(p, n, "facility_changes.add.lon", -180, 180, &f.c.lon);
            }
            if ((n = cc__yaml_get(p->y, m, "lat"))) ok &= get_number(p, n, "facility_changes.add.lat", -90, 90, &f.c.lat);
            else if (ok) {
                cc__sc_problem(p, m, "An added facility needs <lon> and <lat> (WGS84 degrees)");
                ok = false;
            }
            if (!(n = cc__yaml_get(p->y, m, "tier"))) {
                cc__sc_problem(p, m, "An added facility needs a <tier>");
                ok = false;
            } else {
                ok &= get_string(p, n, "facility_changes.add.tier", &tier);
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
                    ok &= get_string(p, n, "facility_changes.set_tier.tier", &tier);
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
    free(x->model);
    free(x->tier);
    free(x->candidates);
    free(x->fixed_tiers);
    free(x->candidate_tiers);
    free(x->candidate_roads);
}

/* A comma list from a text value or a sequence of them ("a,b" or [a, b]). */
static bool get_csv(sc_parser *p, yaml_node_t *n, const char *key, char **out)
{
    if (n->type != YAML_SEQUENCE_NODE) return get_string(p, n, key, out);
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
        *out = sdup(p, g->str);
    }
    g_string_free(g, TRUE);
    return ok;
}

static void ap_siting(sc_parser *p, cc_scenario *s, yaml_node_t *v)
{
    for (size_t i = 0; i < s->n_siting; i++) free_siting(&s->siting[i]);
    s->n_siting = 0;
    s->siting_pos = pos_of(p, v);
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
        if (!check_keys(p, m, siting_keys, "siting")) continue;
        sc_siting x = {.pos = pos_of(p, m), .dispatch_min = NAN};
        yaml_node_t *n2;
        int model = -1;
        if (!(n2 = cc__yaml_get(p->y, m, "model"))) {
            cc__sc_problem(p, m, "A siting model needs <model> (mclp | lscp | p_median | p_center)");
        } else {
            const char *ms = cc__sc_scalar(p, n2);
            for (int j = 0; ms && siting_models[j]; j++)
                if (!strcmp(ms, siting_models[j])) model = j;
            if (ms && !strcmp(ms, "p_centre")) model = 3;
            if (model < 0) {
                const char *hint = ms ? cc__closest(ms, siting_models, 4) : NULL;
                cc__sc_problem(p, n2, "<siting.model> must be mclp, lscp, p_median or p_center, got '%s'%s%s%s", ms ? ms : "",
                               hint ? " (did you mean " : "", hint ? hint : "", hint ? "?)" : "");
            } else {
                x.model = sdup(p, siting_models[model]);
            }
        }
        if ((n2 = cc__yaml_get(p->y, m, "budget"))) {
            if (get_number(p, n2, "siting.budget", 1, 10000, &x.budget) && x.budget != floor(x.budget))
                cc__sc_problem(p, n2, "<siting.budget> is a number of new sites and must be whole, got %g", x.budget);
        } else if (model >= 0 && model != 1) {
            cc__sc_problem(p, m, "Siting model %s needs a <budget> (number of new sites)", siting_models[model]);
        }
        if ((n2 = cc__yaml_get(p->y, m, "threshold_min"))) get_number(p, n2, "siting.threshold_min", 0.1, 1440, &x.threshold_min);
        else if (model == 0 || model == 1)
            cc__sc_problem(p, m, "Siting model %s needs <threshold_min>", siting_models[model]);
        if ((n2 = cc__yaml_get(p->y, m, "candidates"))) {
            sc_str c = {0};
            get_path(p, n2, "siting.candidates", &c);
            x.candidates = c.v;
        }
        if ((n2 = cc__yaml_get(p->y, m, "tier"))) get_string(p, n2, "siting.tier", &x.tier);
        if ((n2 = cc__yaml_get(p->y, m, "fixed_tiers"))) get_csv(p, n2, "siting.fixed_tiers", &x.fixed_tiers);
        if ((n2 = cc__yaml_get(p->y, m, "candidate_tiers"))) get_csv(p, n2, "siting.candidate_tiers", &x.candidate_tiers);
        if ((n2 = cc__yaml_get(p->y, m, "candidate_roads"))) get_csv(p, n2, "siting.candidate_roads", &x.candidate_roads);
        if ((n2 = cc__yaml_get(p->y, m, "spacing_m"))) get_number(p, n2, "siting.spacing_m", 10, 100000, &x.spacing_m);
        if ((n2 = cc__yaml_get(p->y, m, "target_share"))) {
            if (get_number(p, n2, "siting.target_share", 0, 1, &x.target_share) && x.target_share <= 0)
                cc__sc_problem(p, n2, "<siting.target_share> must be above 0 (a share of the population, e.g. 0.95)");
        }
        if ((n2 = cc__yaml_get(p->y, m, "emergency"))) get_bool(p, n2, "siting.emergency", &x.emergency);
        if ((n2 = cc__yaml_get(p->y, m, "dispatch_minutes"))) get_number(p, n2, "siting.dispatch_minutes", 0, 60, &x.dispatch_min);
        if ((n2 = cc__yaml_get(p->y, m, "max_per_area")) && get_number(p, n2, "siting.max_per_area", 1, 10000, &x.max_per_area) &&
            x.max_per_area != floor(x.max_per_area))
            cc__sc_problem(p, n2, "<siting.max_per_area> must be whole, got %g", x.max_per_area);
        if ((n2 = cc__yaml_get(p->y, m, "curve")) && get_number(p, n2, "siting.curve", 1, 1000, &x.curve) && x.curve != floor(x.curve))
            cc__sc_problem(p, n2, "<siting.curve> must be whole, got %g", x.curve);
        if (!x.candidates && !x.candidate_tiers && !x.candidate_roads)
            x.candidate_roads = sdup(p, "all"); /* default: every drivable road, one candidate per spacing_m */
        s->siting[s->n_siting++] = x;
    }
}

static void ap_minutes(sc_parser *p, cc_scenario *s, yaml_node_t *v)
{
    double m[CC_MAX_BANDS];
    size_t n = 0;
    bool ok = true;
    if (v->type == YAML_SCALAR_NODE) {
        ok = get_number(p, v, "minutes", 0.1, 1440, &m[0]);
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
            if (!get_number(p, e, "minutes", 0.1, 1440, &x)) {
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
        get_string(p, v, "title", &s->title_zh);
        free(s->title_en);
        s->title_en = sdup(p, s->title_zh);
        return;
    }
    static const char *const keys[] = {"zh", "en", NULL};
    if (!check_keys(p, v, keys, "title")) return;
    yaml_node_t *n;
    if ((n = cc__yaml_get(p->y, v, "zh"))) get_string(p, n, "title.zh", &s->title_zh);
    if ((n = cc__yaml_get(p->y, v, "en"))) get_string(p, n, "title.en", &s->title_en);
}

static void ap_profile(sc_parser *p, cc_scenario *s, yaml_node_t *v)
{
    if (v->type == YAML_MAPPING_NODE) {
        cc_profile *prof = NULL;
        cc_status st = cc__profile_from_node(p->ctx, p->y, v, p->file, &prof);
        if (st == CC_ERR_NOMEM) p->nomem = true;
        if (st) {
            p->n_problems++;
            add_msg(p, cc_ctx_last_error(p->ctx));
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
        get_text(p, v, "profile", &s->profile_ref);
    } else if (strchr(t, '/') || strstr(t, ".yaml") || strstr(t, ".yml")) {
        get_path(p, v, "profile", &s->profile_ref);
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
    if (!check_keys(p, v, keys, what)) return;
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
        if (!get_string(p, v, "name", &nm)) return;
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
    else if (!strcmp(k, "description")) get_string(p, v, "description", &s->description);
    else if (!strcmp(k, "out")) {
        char *o = NULL;
        if (!get_string(p, v, "out", &o)) return;
        free(s->out.v);
        s->out.pos = pos_of(p, v);
        if (o[0] == '/' || !p->dir || !*p->dir) {
            s->out.v = o;
        } else {
            char *j = g_build_filename(p->dir, o, NULL);
            s->out.v = sdup(p, j);
            g_free(j);
            free(o);
        }
    } else if (!strcmp(k, "inputs")) ap_section(p, s, "inputs", v, input_keys, ap_input);
    else if (!strcmp(k, "crs")) get_text(p, v, "crs", &s->crs);
    else if (!strcmp(k, "profile")) ap_profile(p, s, v);
    else if (!strcmp(k, "speed_factors")) ap_section(p, s, "speed_factors", v, factor_keys, ap_factors);
    else if (!strcmp(k, "closed_roads")) ap_section(p, s, "closed_roads", v, closed_keys, ap_closed);
    else if (!strcmp(k, "added_roads")) ap_section(p, s, "added_roads", v, added_keys, ap_added);
    else if (!strcmp(k, "facility_changes")) ap_section(p, s, "facility_changes", v, fchange_keys, ap_fchanges);
    else if (!strcmp(k, "minutes")) ap_minutes(p, s, v);
    else if (!strcmp(k, "uncovered_minutes")) get_number(p, v, "uncovered_minutes", 0.1, 1440, &s->uncovered_min);
    else if (!strcmp(k, "resolution_m")) get_number(p, v, "resolution_m", 1, 100000, &s->resolution_m);
    else if (!strcmp(k, "siting")) ap_siting(p, s, v);
    else if (!strcmp(k, "report")) ap_section(p, s, "report", v, report_keys, ap_report);
}

void cc__scenario_apply(sc_parser *p, cc_scenario *s, yaml_node_t *root)
{
    if (!check_keys(p, root, top_keys, "the scenario")) return;
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
               {"added_roads", added_keys, ap_added}, {"report", report_keys, ap_report}};
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
    free(s->file);
    free(s->dir);
    free(s->name);
    free(s->title_zh);
    free(s->title_en);
    free(s->label_zh);
    free(s->label_en);
    free(s->description);
    sc_str *strs[] = {&s->out, &s->roads, &s->roads_layer, &s->class_field, &s->speed_field, &s->population, &s->population_field,
                      &s->facilities, &s->facility_name_field, &s->lon_field, &s->lat_field, &s->facility_where, &s->tier_field,
                      &s->admin, &s->admin_name_field, &s->admin_code_field, &s->crs, &s->profile_ref, &s->closed_areas,
                      &s->closed_areas_layer, &s->added, &s->added_layer};
    for (size_t i = 0; i < sizeof(strs) / sizeof(strs[0]); i++) str_free(strs[i]);
    free(s->tiers);
    cc_profile_destroy(s->profile);
    for (size_t i = 0; i < s->n_f_class; i++) free(s->f_class[i].key);
    for (size_t i = 0; i < s->n_f_surface; i++) free(s->f_surface[i].key);
    free(s->f_class);
    free(s->f_surface);
    free(s->closed_ids);
    free(s->replaced_ids);
    for (size_t i = 0; i < s->n_fchanges; i++) free_fchange(&s->fchanges[i]);
    free(s->fchanges);
    for (size_t i = 0; i < s->n_siting; i++) free_siting(&s->siting[i]);
    free(s->siting);
    free(s->lang);
    free(s);
}

/* Check facility changes against the facility file itself (small), so that a typo in a name
 * or id is reported with its position before any work. */
static void check_facility_changes(sc_parser *p, cc_scenario *s)
{
    cc__facilities f;
    cc__facilities_opts fo = {.tier_field = s->tier_field.v, .tiers = s->tiers, .name_field = s->facility_name_field.v,
                              .lon_field = s->lon_field.v, .lat_field = s->lat_field.v, .where = s->facility_where.v};
    static const char wgs84[] = "GEOGCS[\"WGS 84\",DATUM[\"WGS_1984\",SPHEROID[\"WGS 84\",6378137,298.257223563]],"
                                "PRIMEM[\"Greenwich\",0],UNIT[\"degree\",0.0174532925199433],AUTHORITY[\"EPSG\",\"4326\"]]";
    cc_log_fn fn = p->ctx->log_fn;
    p->ctx->log_fn = NULL; /* the run reads the file again and warns then */
    cc_status st = cc__facilities_read(p->ctx, s->facilities.v, &fo, wgs84, &f);
    p->ctx->log_fn = fn;
    if (st) {
        if (st == CC_ERR_NOMEM) p->nomem = true;
        problem_at(p, &s->facilities.pos, "%s", cc_ctx_last_error(p->ctx));
        return;
    }
    for (size_t k = 0; k < s->n_fchanges; k++) {
        const cc_facility_change *c = &s->fchanges[k].c;
        if (c->kind == CC_FACILITY_ADD) continue;
        if (c->id >= 0) {
            if ((size_t)c->id >= f.n)
                problem_at(p, &s->fchanges[k].pos, "No facility has id %lld in '%s' (ids run from 0 to %zu)", c->id, s->facilities.v,
                           f.n - 1);
            continue;
        }
        size_t hits = 0;
        for (size_t i = 0; i < f.n; i++) hits += strcmp(f.name[i], c->name) == 0;
        if (hits == 0) {
            const char *hint = cc__closest(c->name, (const char *const *)f.name, f.n);
            problem_at(p, &s->fchanges[k].pos, "No facility is named <%s> in '%s'%s%s%s", c->name, s->facilities.v,
                       hint ? " (did you mean <" : "", hint ? hint : "", hint ? ">?)" : "");
        } else if (hits > 1) {
            problem_at(p, &s->fchanges[k].pos, "%zu facilities are named <%s> in '%s'; name it by id", hits, c->name, s->facilities.v);
        }
    }
    cc__facilities_free(&f);
}

void cc__scenario_finalize(sc_parser *p, cc_scenario *s)
{
    const size_t problems_before = p->n_problems;
    const sc_pos none = {s->file, 0, 0};
    if (!s->roads.v) problem_at(p, &none, "Missing required key <inputs.roads>");
    if (!s->population.v) problem_at(p, &none, "Missing required key <inputs.population>");
    if (!s->facilities.v) problem_at(p, &none, "Missing required key <inputs.facilities>");
    if ((s->lon_field.v == NULL) != (s->lat_field.v == NULL))
        problem_at(p, s->lon_field.v ? &s->lon_field.pos : &s->lat_field.pos, "Give both <inputs.lon_field> and <inputs.lat_field>");
    if (s->n_minutes == 0) {
        static const double dflt[] = {15, 30, 60};
        memcpy(s->minutes, dflt, sizeof(dflt));
        s->n_minutes = 3;
    }
    if (!s->lang && !(s->lang = sdup(p, "zh"))) return;
    /* profile and speed factors */
    if (!s->profile) {
        const char *ref = s->profile_ref.v ? s->profile_ref.v : "ambulance";
        cc_status st = cc_profile_load(p->ctx, ref, &s->profile);
        if (st) {
            if (st == CC_ERR_NOMEM) p->nomem = true;
            problem_at(p, &s->profile_ref.pos, "%s", cc_ctx_last_error(p->ctx));
            return;
        }
    }
    for (size_t i = 0; i < s->n_f_class; i++) {
        bool known = false;
        cc__profile_class_kmh(s->profile, s->f_class[i].key, &known);
        if (!known || cc__profile_class_kmh(s->profile, s->f_class[i].key, &known) <= 0) {
            const char *hint = cc__closest(s->f_class[i].key, (const char *const *)s->profile->class_name, s->profile->n_classes);
            problem_at(p, &s->f_class[i].pos, "Profile <%s> has no drivable road class <%s>%s%s%s", cc_profile_get_name(s->profile),
                       s->f_class[i].key, hint ? " (did you mean <" : "", hint ? hint : "", hint ? ">?)" : "");
            continue;
        }
        if (cc_profile_scale_class(p->ctx, s->profile, s->f_class[i].key, s->f_class[i].factor)) p->nomem = true;
    }
    for (size_t i = 0; i < s->n_f_surface; i++)
        if (cc_profile_scale_surface(p->ctx, s->profile, s->f_surface[i].key, s->f_surface[i].factor)) p->nomem = true;
    if (s->f_all > 0 && cc_profile_scale_class(p->ctx, s->profile, NULL, s->f_all)) p->nomem = true;
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

static json_object *resolved(const cc_scenario *s)
{
    json_object *j = json_object_new_object(), *x, *a;
    jstr(j, "name", s->name);
    jstr(j, "title_zh", s->title_zh);
    jstr(j, "title_en", s->title_en);
    jstr(j, "label_zh", s->label_zh);
    jstr(j, "label_en", s->label_en);
    x = json_object_new_object();
    jstr(x, "roads", s->roads.v);
    jstr(x, "roads_layer", s->roads_layer.v);
    jstr(x, "class_field", s->class_field.v);
    jstr(x, "speed_field", s->speed_field.v);
    jstr(x, "population", s->population.v);
    jstr(x, "population_field", s->population_field.v);
    jstr(x, "facilities", s->facilities.v);
    jstr(x, "facility_name_field", s->facility_name_field.v);
    jstr(x, "lon_field", s->lon_field.v);
    jstr(x, "lat_field", s->lat_field.v);
    jstr(x, "facility_where", s->facility_where.v);
    jstr(x, "tier_field", s->tier_field.v);
    jstr(x, "tiers", s->tiers);
    jstr(x, "admin", s->admin.v);
    jstr(x, "admin_name_field", s->admin_name_field.v);
    jstr(x, "admin_code_field", s->admin_code_field.v);
    json_object_object_add(j, "inputs", x);
    jstr(j, "crs", s->crs.v);
    /* the profile after speed factors: every number that sets a speed */
    const cc_profile *pr = s->profile;
    x = json_object_new_object();
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
    json_object_object_add(j, "profile", x);
    a = json_object_new_array();
    for (size_t i = 0; i < s->n_minutes; i++) json_object_array_add(a, jnum(s->minutes[i]));
    json_object_object_add(j, "minutes", a);
    if (s->uncovered_min > 0) json_object_object_add(j, "uncovered_minutes", jnum(s->uncovered_min));
    if (s->resolution_m > 0) json_object_object_add(j, "resolution_m", jnum(s->resolution_m));
    x = json_object_new_object();
    a = json_object_new_array();
    for (size_t i = 0; i < s->n_closed_ids; i++) json_object_array_add(a, json_object_new_int64(s->closed_ids[i]));
    json_object_object_add(x, "way_ids", a);
    jstr(x, "areas", s->closed_areas.v);
    jstr(x, "areas_layer", s->closed_areas_layer.v);
    json_object_object_add(j, "closed_roads", x);
    x = json_object_new_object();
    jstr(x, "path", s->added.v);
    jstr(x, "layer", s->added_layer.v);
    json_object_object_add(x, "connect_m", jnum(s->added_connect_m > 0 ? s->added_connect_m : 50));
    a = json_object_new_array();
    for (size_t i = 0; i < s->n_replaced_ids; i++) json_object_array_add(a, json_object_new_int64(s->replaced_ids[i]));
    json_object_object_add(x, "replaces", a);
    json_object_object_add(j, "added_roads", x);
    a = json_object_new_array();
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
    json_object_object_add(j, "facility_changes", a);
    a = json_object_new_array();
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
        if (s->siting[i].max_per_area > 0) json_object_object_add(e, "max_per_area", jnum(s->siting[i].max_per_area));
        if (s->siting[i].curve > 0) json_object_object_add(e, "curve", jnum(s->siting[i].curve));
        json_object_array_add(a, e);
    }
    json_object_object_add(j, "siting", a);
    x = json_object_new_object();
    jstr(x, "lang", s->lang);
    json_object_object_add(x, "maps", json_object_new_boolean(s->maps));
    json_object_object_add(j, "report", x);
    return j;
}

cc_status cc_scenario_to_json(cc_ctx *ctx, const cc_scenario *s, char **out)
{
    json_object *j = resolved(s);
    const char *t = j ? json_object_to_json_string_ext(j, JSON_C_TO_STRING_PRETTY | JSON_C_TO_STRING_SPACED | JSON_C_TO_STRING_NOSLASHESCAPE) : NULL;
    *out = t ? cc__strdup(t) : NULL;
    json_object_put(j);
    return *out ? CC_OK : cc__fail(ctx, CC_ERR_NOMEM, "Out of memory");
}

/* SHA-256 of every file GDAL lists for the dataset at @p path (or the file alone). */
static cc_status hash_input(cc_ctx *ctx, GChecksum *sum, const char *path, bool *hashable)
{
    if (!path) return CC_OK;
    g_checksum_update(sum, (const guchar *)path, (gssize)strlen(path) + 1);
    if (is_remote(path)) {
        *hashable = false;
        return CC_OK;
    }
    cc__gdal_init();
    cc__gdal_begin(ctx);
    GDALDatasetH ds = GDALOpenEx(path, GDAL_OF_VECTOR | GDAL_OF_RASTER | GDAL_OF_READONLY, NULL, NULL, NULL);
    char **files = ds ? GDALGetFileList(ds) : NULL;
    if (ds) GDALClose(ds);
    cc__gdal_end(ctx);
    if (!files) files = CSLAddString(NULL, path);
    /* sorted, so that the order GDAL lists sidecars in does not matter */
    int n = CSLCount(files);
    for (int i = 1; i < n; i++)
        for (int j = i; j > 0 && strcmp(files[j - 1], files[j]) > 0; j--) {
            char *t = files[j];
            files[j] = files[j - 1];
            files[j - 1] = t;
        }
    cc_status st = CC_OK;
    unsigned char *buf = malloc(1 << 20);
    if (!buf) st = cc__fail(ctx, CC_ERR_NOMEM, "Out of memory");
    for (int i = 0; i < n && !st; i++) {
        FILE *f = fopen(files[i], "rb");
        if (!f) {
            st = cc__fail(ctx, CC_ERR_IO, "Unable to read '%s' to hash it: %s", files[i], strerror(errno));
            break;
        }
        size_t k;
        while ((k = fread(buf, 1, 1 << 20, f)) > 0) g_checksum_update(sum, buf, (gssize)k);
        if (ferror(f)) st = cc__fail(ctx, CC_ERR_IO, "Unable to read '%s' to hash it", files[i]);
        fclose(f);
    }
    free(buf);
    CSLDestroy(files);
    return st;
}

cc_status cc_scenario_hash(cc_ctx *ctx, const cc_scenario *s, char hex[65], bool *hashable)
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
    const char *inputs[] = {s->roads.v, s->population.v, s->facilities.v, s->admin.v, s->closed_areas.v, s->added.v};
    for (size_t i = 0; i < sizeof(inputs) / sizeof(inputs[0]) && !st; i++) st = hash_input(ctx, sum, inputs[i], hashable);
    for (size_t i = 0; i < s->n_siting && !st; i++) st = hash_input(ctx, sum, s->siting[i].candidates, hashable);
    if (!st) snprintf(hex, 65, "%s", g_checksum_get_string(sum));
    g_checksum_free(sum);
    free(json);
    return st;
}

/* ---- run ---------------------------------------------------------------------------------------- */

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
    free(x->dir);
    free(x->name);
    free(x->res);
    free(x->pick);
}

static cc_site_model site_model(const char *m)
{
    return !strcmp(m, "lscp") ? CC_SITE_LSCP : !strcmp(m, "p_median") ? CC_SITE_PMEDIAN : !strcmp(m, "p_center") ? CC_SITE_PCENTER : CC_SITE_MCLP;
}

/* Run every siting model of the scenario, each into a sibling folder "<out>.siting-<k>" that
 * moves into the output folder as <siting> (or siting_<k>) when the coverage part lands. */
static cc_status run_siting(cc_ctx *ctx, const cc_scenario *s, const char *out_dir, sc_sites *x)
{
    if (s->n_closed_ids || s->closed_areas.v || s->added.v || s->n_replaced_ids || s->n_fchanges)
        return cc__fail(ctx, CC_ERR_PARAM,
                        "%s:%zu:%zu: <siting> cannot yet be combined with closed_roads, added_roads or facility_changes: the "
                        "siting engine reads the roads and facilities as they are (run the siting in a scenario without them)",
                        s->siting_pos.file ? s->siting_pos.file : s->file, s->siting_pos.line, s->siting_pos.col);
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
            .roads = s->roads.v, .population = s->population.v, .out_dir = x->dir[i], .facilities = s->facilities.v,
            .fixed_tiers = q->fixed_tiers, .candidate_tiers = q->candidate_tiers, .candidates = q->candidates,
            .candidate_roads = q->candidate_roads, .spacing_m = q->spacing_m, .admin = s->admin.v,
            .admin_name_field = s->admin_name_field.v, .admin_code_field = s->admin_code_field.v,
            .max_per_area = (int)q->max_per_area, .model = site_model(q->model), .minutes = q->threshold_min,
            .p = (uint32_t)q->budget, .curve_to = (uint32_t)q->curve, .target_share = q->target_share,
            .emergency = q->emergency, .dispatch_minutes = !isfinite(q->dispatch_min) ? 0 : q->dispatch_min > 0 ? q->dispatch_min : -1,
            .profile_obj = s->profile, .crs = s->crs.v, .tier_field = s->tier_field.v, .tiers = s->tiers,
            .facility_name_field = s->facility_name_field.v, .lon_field = s->lon_field.v, .lat_field = s->lat_field.v,
            .facility_where = s->facility_where.v, .population_field = s->population_field.v, .roads_layer = s->roads_layer.v,
            .class_field = s->class_field.v, .speed_field = s->speed_field.v, .resolution_m = s->resolution_m};
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
        if (rr->model == CC_SITE_MCLP || rr->model == CC_SITE_LSCP)
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
            bool cov = x->res[i]->model == CC_SITE_MCLP || x->res[i]->model == CC_SITE_LSCP;
            x->pick[x->n_pick++] = (cc_coverage_site){.rank = pk->rank, .name = pk->name, .tier = s->siting[i].tier,
                                                      .model = s->siting[i].model, .lon = pk->lon, .lat = pk->lat,
                                                      .gain = cov ? pk->gain : pk->gain / 60.0, .share_cum = cov ? pk->share_cum : NAN};
        }
    return CC_OK;
}

cc_status cc_scenario_run(cc_ctx *ctx, const cc_scenario *s, const cc_scenario_run_opts *ro, cc_coverage_result **out)
{
    static const cc_scenario_run_opts dflt;
    if (!ro) ro = &dflt;
    if (out) *out = NULL;
    const char *out_dir = ro->out_dir ? ro->out_dir : s->out.v;
    if (!out_dir)
        return cc__fail(ctx, CC_ERR_PARAM, "Scenario '%s' names no output folder: give <out> in the file or --out", s->file);
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
    json_object_object_add(j, "scenario", resolved(s));
    const char *json = json_object_to_json_string_ext(j, JSON_C_TO_STRING_PRETTY | JSON_C_TO_STRING_SPACED | JSON_C_TO_STRING_NOSLASHESCAPE);

    cc_facility_change *fc = cc__calloc_array(s->n_fchanges, sizeof(cc_facility_change));
    if (!fc) {
        json_object_put(j);
        return cc__fail(ctx, CC_ERR_NOMEM, "Out of memory");
    }
    for (size_t i = 0; i < s->n_fchanges; i++) fc[i] = s->fchanges[i].c;
    cc_report_opts rep = {.lang = ro->lang ? ro->lang : s->lang, .title_zh = s->title_zh, .title_en = s->title_en,
                          .scenario = ro->scenario_label ? ro->scenario_label : s->name, .scenario_zh = s->label_zh,
                          .scenario_en = s->label_en, .base_dir = ro->base_dir, .no_maps = !s->maps};
    cc_coverage_opts o = {
        .roads = s->roads.v, .population = s->population.v, .facilities = s->facilities.v, .out_dir = out_dir, .admin = s->admin.v,
        .profile_obj = s->profile, .crs = s->crs.v, .minutes = s->minutes, .n_minutes = s->n_minutes,
        .uncovered_minutes = s->uncovered_min, .tier_field = s->tier_field.v, .tiers = s->tiers,
        .facility_name_field = s->facility_name_field.v, .lon_field = s->lon_field.v, .lat_field = s->lat_field.v,
        .facility_where = s->facility_where.v, .population_field = s->population_field.v, .roads_layer = s->roads_layer.v,
        .class_field = s->class_field.v, .speed_field = s->speed_field.v, .admin_name_field = s->admin_name_field.v,
        .admin_code_field = s->admin_code_field.v, .resolution_m = s->resolution_m, .closed_way_ids = s->closed_ids,
        .n_closed_way_ids = s->n_closed_ids, .closed_areas = s->closed_areas.v, .closed_areas_layer = s->closed_areas_layer.v,
        .added_roads = s->added.v, .added_roads_layer = s->added_layer.v, .added_roads_connect_m = s->added_connect_m,
        .replaced_way_ids = s->replaced_ids, .n_replaced_way_ids = s->n_replaced_ids, .facility_changes = fc,
        .n_facility_changes = s->n_fchanges, .scenario_json = json, .report = &rep};
    sc_sites sx = {0};
    if (s->n_siting && !(st = run_siting(ctx, s, out_dir, &sx))) {
        o.proposed_sites = sx.pick;
        o.n_proposed_sites = sx.n_pick;
        o.extra_dirs = (const char *const *)sx.dir;
        o.extra_names = (const char *const *)sx.name;
        o.n_extra_dirs = sx.n;
    }
    if (!st) st = cc_coverage_run(ctx, &o, out);
    sites_free(&sx, true); /* moved into the outputs when the run landed; removed otherwise */
    free(fc);
    json_object_put(j);
    return st;
}
