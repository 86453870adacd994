/*
 * batch.c - batches of scenarios: a base scenario and its variants (overrides, or parameter
 * sweeps), each validated as a whole scenario, run into its own folder, skipped when its
 * content hash is unchanged, with a manifest and a comparison per admin area.
 *
 * Variants run as threads of this process (cc_batch_opts.jobs), each with its own cc_ctx and an equal
 * share of the cores for its OpenMP loops. Threads rather than child processes because the
 * library has no exit or abort paths (a variant's failure is a cc_status, so it cannot take the
 * others down), library users get batches without a carecircle binary on PATH, and a thread's
 * log lines are tagged with its variant in one stream.
 */
#include <ctype.h>
#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include <glib.h>
#include <glib/gstdio.h>
#include <json-c/json.h>

#include "carecircle/cc_report.h"
#include "carecircle/cc_version.h"
#include "../io/write_internal.h"
#include "scenario_internal.h"

void cc_batch_destroy(cc_batch *b)
{
    if (!b) return;
    for (size_t i = 0; i < b->n; i++) cc_scenario_destroy(b->v[i]);
    free(b->v);
    free(b->file);
    free(b->dir);
    free(b->base_file);
    free(b->out);
    free(b);
}

size_t cc_batch_get_variant_count(const cc_batch *b) { return b->n; }
const cc_scenario *cc_batch_get_variant(const cc_batch *b, size_t i) { return i < b->n ? b->v[i] : NULL; }
const char *cc_batch_get_out_dir(const cc_batch *b) { return b->out; }

static const char *const batch_keys[] = {"base", "out", "variants", "sweeps", "robust" /* robust: read by scenario/robust.c */, NULL};
static const char *const variant_keys[] = {"name", "title", "set", NULL};
static const char *const sweep_keys[] = {"name", "key", "values", "title", NULL};

static bool valid_name(const char *s)
{
    if (!s || !*s) return false;
    for (const char *c = s; *c; c++)
        if (!isalnum((unsigned char)*c) && *c != '_' && *c != '-' && *c != '.') return false;
    return strcmp(s, ".") && strcmp(s, "..");
}

static bool push(cc_batch *b, cc_scenario *s)
{
    cc_scenario **v = cc__realloc_array(b->v, b->n + 1, sizeof(cc_scenario *));
    if (!v) return false;
    b->v = v;
    v[b->n++] = s;
    return true;
}

/* A new variant: the base document applied, then @p set (or one swept key) from the batch. */
static cc_scenario *make_variant(sc_parser *p, cc_batch *b, cc__yaml *by, cc__yaml *sy, const char *name, yaml_node_t *namenode,
                                 yaml_node_t *title, yaml_node_t *set, const char *key, yaml_node_t *keynode, yaml_node_t *value,
                                 const char *subst)
{
    const size_t before = p->n_problems;
    cc_scenario *s = cc__scenario_new(b->base_file);
    if (!s) {
        p->nomem = true;
        return NULL;
    }
    /* base document */
    p->y = sy;
    p->file = b->base_file;
    p->dir = s->dir;
    p->subst = NULL;
    cc__scenario_apply(p, s, cc__yaml_root(sy));
    /* overrides from the batch document */
    p->y = by;
    p->file = b->file;
    p->dir = b->dir;
    p->subst = subst;
    if (set) cc__scenario_apply(p, s, set);
    if (key) cc__scenario_apply_key(p, s, key, keynode, value);
    if (title) {
        if (title->type == YAML_SCALAR_NODE) {
            const char *t = cc__sc_scalar(p, title);
            s->label_zh = cc__strdup(t ? t : "");
            s->label_en = cc__strdup(t ? t : "");
        } else if (title->type == YAML_MAPPING_NODE) {
            yaml_node_t *z = cc__yaml_get(by, title, "zh"), *e = cc__yaml_get(by, title, "en");
            const char *tz = z ? cc__sc_scalar(p, z) : NULL;
            s->label_zh = tz ? cc__strdup(tz) : NULL;
            const char *te = e ? cc__sc_scalar(p, e) : NULL;
            s->label_en = te ? cc__strdup(te) : NULL;
        } else {
            cc__sc_problem(p, title, "<title> must be text or {zh: ..., en: ...}");
        }
    }
    free(s->name);
    s->name = cc__strdup(name);
    if (!s->name) p->nomem = true;
    if (b->n > 0) { /* a variant, not the base itself */
        if (!valid_name(name))
            cc__sc_problem(p, namenode, "Variant name '%s' may hold only letters, digits, '_', '-' and '.' (it names a folder)",
                           name ? name : "");
        if (!strcmp(name, "base")) cc__sc_problem(p, namenode, "Variant name 'base' is reserved for the base scenario");
        for (size_t i = 0; i < b->n; i++)
            if (!strcmp(cc_scenario_get_name(b->v[i]), name)) cc__sc_problem(p, namenode, "Two variants are named '%s'", name);
    }
    p->subst = NULL;
    (void)before;
    cc__scenario_finalize(p, s);
    return s;
}

cc_status cc_batch_load(cc_ctx *ctx, const char *path, cc_batch **out)
{
    char *btext = NULL, *stext = NULL;
    size_t blen = 0, slen = 0;
    cc__yaml by = {0}, sy = {0};
    cc_status st;
    sc_parser p;
    bool parser_live = false;
    cc_batch *b = calloc(1, sizeof(*b));
    *out = NULL;
    if (!b) return cc__fail(ctx, CC_ERR_NOMEM, "Out of memory");
    if ((st = cc__read_text_file(ctx, path, "batch file", &btext, &blen))) goto out;
    if ((st = cc__yaml_load(ctx, btext, blen, path, &by))) goto out;
    char *d = g_path_get_dirname(path);
    b->file = cc__strdup(path);
    b->dir = cc__strdup(d);
    g_free(d);
    if (!b->file || !b->dir) {
        st = cc__fail(ctx, CC_ERR_NOMEM, "Out of memory");
        goto out;
    }
    cc__sc_parser_init(&p, ctx, &by, b->file, b->dir);
    parser_live = true;
    yaml_node_t *root = cc__yaml_root(&by), *n;
    if (root->type != YAML_MAPPING_NODE) {
        cc__sc_problem(&p, root, "A batch file is a mapping with <base> and <variants> or <sweeps>");
        st = cc__sc_parser_status(&p);
        goto out;
    }
    /* the same unknown-key check as scenario sections */
    for (yaml_node_pair_t *pr = root->data.mapping.pairs.start; pr < root->data.mapping.pairs.top; pr++) {
        yaml_node_t *kn = yaml_document_get_node(&by.doc, pr->key);
        const char *k = cc__yaml_scalar(kn);
        size_t i = 0;
        while (k && batch_keys[i] && strcmp(batch_keys[i], k)) i++;
        if (!k || !batch_keys[i]) {
            const char *hint = k ? cc__closest(k, batch_keys, 4) : NULL;
            cc__sc_problem(&p, kn, "Unknown key <%s> in the batch%s%s%s", k ? k : "?", hint ? " (did you mean <" : "", hint ? hint : "",
                           hint ? ">?)" : "");
        }
    }
    if ((n = cc__yaml_get(&by, root, "out"))) {
        const char *o = cc__yaml_scalar(n);
        if (!o || !*o) {
            cc__sc_problem(&p, n, "<out> must be a folder name");
        } else {
            char *j = o[0] == '/' ? g_strdup(o) : g_build_filename(b->dir, o, NULL);
            b->out = cc__strdup(j);
            g_free(j);
        }
    }
    yaml_node_t *base = cc__yaml_get(&by, root, "base");
    const char *bs = cc__yaml_scalar(base);
    if (!base || !bs || !*bs) {
        cc__sc_problem(&p, base ? base : root, "The batch needs <base>: the path of the base scenario file");
        st = cc__sc_parser_status(&p);
        goto out;
    }
    char *bj = bs[0] == '/' ? g_strdup(bs) : g_build_filename(b->dir, bs, NULL);
    b->base_file = cc__strdup(bj);
    g_free(bj);
    if (!b->base_file) {
        st = cc__fail(ctx, CC_ERR_NOMEM, "Out of memory");
        goto out;
    }
    if ((st = cc__read_text_file(ctx, b->base_file, "base scenario file", &stext, &slen))) {
        if (st == CC_ERR_IO) p.n_missing_files++;
        cc__sc_problem(&p, base, "%s", cc_ctx_last_error(ctx));
        st = cc__sc_parser_status(&p);
        goto out;
    }
    if ((st = cc__yaml_load(ctx, stext, slen, b->base_file, &sy))) goto out;
    /* the base alone first: its problems would repeat in every variant */
    cc_scenario *s0 = make_variant(&p, b, &by, &sy, "base", base, NULL, NULL, NULL, NULL, NULL, NULL);
    if (s0) {
        free(s0->name);
        s0->name = cc__strdup("base");
    }
    if (!s0 || !s0->name || !push(b, s0)) {
        cc_scenario_destroy(s0);
        p.nomem = true;
    }
    if (p.n_problems || p.nomem) {
        st = cc__sc_parser_status(&p);
        goto out;
    }
    /* variants */
    yaml_node_t *vars = cc__yaml_get(&by, root, "variants"), *sweeps = cc__yaml_get(&by, root, "sweeps");
    if (vars && vars->type != YAML_SEQUENCE_NODE) cc__sc_problem(&p, vars, "<variants> must be a list of {name, title, set}");
    if (sweeps && sweeps->type != YAML_SEQUENCE_NODE) cc__sc_problem(&p, sweeps, "<sweeps> must be a list of {name, key, values}");
    if (!vars && !sweeps) cc__sc_problem(&p, root, "The batch has neither <variants> nor <sweeps>");
    for (yaml_node_item_t *it = vars && vars->type == YAML_SEQUENCE_NODE ? vars->data.sequence.items.start : NULL;
         it && it < vars->data.sequence.items.top && !p.nomem; it++) {
        yaml_node_t *m = yaml_document_get_node(&by.doc, *it);
        if (m->type != YAML_MAPPING_NODE) {
            cc__sc_problem(&p, m, "Each variant is a mapping {name, title, set}");
            continue;
        }
        for (yaml_node_pair_t *pr = m->data.mapping.pairs.start; pr < m->data.mapping.pairs.top; pr++) {
            yaml_node_t *kn = yaml_document_get_node(&by.doc, pr->key);
            const char *k = cc__yaml_scalar(kn);
            size_t i = 0;
            while (k && variant_keys[i] && strcmp(variant_keys[i], k)) i++;
            if (!k || !variant_keys[i]) {
                const char *hint = k ? cc__closest(k, variant_keys, 3) : NULL;
                cc__sc_problem(&p, kn, "Unknown key <%s> in a variant%s%s%s", k ? k : "?", hint ? " (did you mean <" : "", hint ? hint : "",
                               hint ? ">?)" : "");
            }
        }
        yaml_node_t *nn = cc__yaml_get(&by, m, "name"), *set = cc__yaml_get(&by, m, "set");
        const char *name = cc__yaml_scalar(nn);
        if (!name) {
            cc__sc_problem(&p, m, "A variant needs a <name> (it names its output folder)");
            continue;
        }
        if (set && set->type != YAML_MAPPING_NODE) {
            cc__sc_problem(&p, set, "<set> must be a mapping of scenario keys, e.g. {speed_factors: {all: 0.8}}");
            continue;
        }
        cc_scenario *s = make_variant(&p, b, &by, &sy, name, nn, cc__yaml_get(&by, m, "title"), set, NULL, NULL, NULL, NULL);
        if (s && !push(b, s)) {
            cc_scenario_destroy(s);
            p.nomem = true;
        }
    }
    for (yaml_node_item_t *it = sweeps && sweeps->type == YAML_SEQUENCE_NODE ? sweeps->data.sequence.items.start : NULL;
         it && it < sweeps->data.sequence.items.top && !p.nomem; it++) {
        yaml_node_t *m = yaml_document_get_node(&by.doc, *it);
        if (m->type != YAML_MAPPING_NODE) {
            cc__sc_problem(&p, m, "Each sweep is a mapping {name, key, values}");
            continue;
        }
        for (yaml_node_pair_t *pr = m->data.mapping.pairs.start; pr < m->data.mapping.pairs.top; pr++) {
            yaml_node_t *kn = yaml_document_get_node(&by.doc, pr->key);
            const char *k = cc__yaml_scalar(kn);
            size_t i = 0;
            while (k && sweep_keys[i] && strcmp(sweep_keys[i], k)) i++;
            if (!k || !sweep_keys[i]) {
                const char *hint = k ? cc__closest(k, sweep_keys, 4) : NULL;
                cc__sc_problem(&p, kn, "Unknown key <%s> in a sweep%s%s%s", k ? k : "?", hint ? " (did you mean <" : "", hint ? hint : "",
                               hint ? ">?)" : "");
            }
        }
        yaml_node_t *nn = cc__yaml_get(&by, m, "name"), *kn = cc__yaml_get(&by, m, "key"), *vn = cc__yaml_get(&by, m, "values");
        const char *tmpl = cc__yaml_scalar(nn), *key = cc__yaml_scalar(kn);
        if (!tmpl || !strstr(tmpl, "{value}")) {
            cc__sc_problem(&p, nn ? nn : m, "A sweep needs a <name> template with {value}, e.g. \"tertiary_{value}\"");
            continue;
        }
        if (!key) {
            cc__sc_problem(&p, m, "A sweep needs the dotted <key> it varies, e.g. speed_factors.class.tertiary");
            continue;
        }
        if (!vn || vn->type != YAML_SEQUENCE_NODE || vn->data.sequence.items.top == vn->data.sequence.items.start) {
            cc__sc_problem(&p, vn ? vn : m, "A sweep needs a non-empty list of <values>");
            continue;
        }
        for (yaml_node_item_t *vi = vn->data.sequence.items.start; vi < vn->data.sequence.items.top && !p.nomem; vi++) {
            yaml_node_t *val = yaml_document_get_node(&by.doc, *vi);
            const char *vs = cc__yaml_scalar(val);
            if (!vs) {
                cc__sc_problem(&p, val, "Sweep values must be single values");
                continue;
            }
            char name[256];
            const char *at = strstr(tmpl, "{value}");
            snprintf(name, sizeof(name), "%.*s%s%s", (int)(at - tmpl), tmpl, vs, at + 7);
            cc_scenario *s = make_variant(&p, b, &by, &sy, name, val, cc__yaml_get(&by, m, "title"), NULL, key, kn, val, vs);
            if (s && !push(b, s)) {
                cc_scenario_destroy(s);
                p.nomem = true;
            }
        }
    }
    st = cc__sc_parser_status(&p);
out:
    if (parser_live) cc__sc_parser_free(&p);
    cc__yaml_free(&by);
    cc__yaml_free(&sy);
    free(btext);
    free(stext);
    if (st) cc_batch_destroy(b);
    else *out = b;
    return st;
}

/* ---- running ------------------------------------------------------------------------------------- */

typedef struct vres {
    cc_variant_result pub;
    char error[CC__MAX_MSG];
    char hash[65];
    char *dir;
    bool hashable;
} vres;

typedef struct cc_batch_result_impl {
    cc_batch_result pub;
    vres *v;
    cc_variant_result *arr;
} res_impl;

void cc_batch_result_destroy(cc_batch_result *r)
{
    res_impl *ri = (res_impl *)r;
    if (!ri) return;
    for (size_t i = 0; i < ri->pub.n_variants; i++) free(ri->v[i].dir);
    free(ri->v);
    free(ri->arr);
    free(ri);
}

struct cc__batch_job {
    const cc_batch *b;
    cc_batch_opts o;
    cc_ctx *main;
    res_impl *res;
    char *dir;            /* batch folder (owned) */
    const char *base_dir; /* completed base outputs, or NULL */
    GMutex lock;
    size_t next, finished, total;
    int threads_each;
    double t0;
};
typedef struct cc__batch_job pool;

typedef struct tagged {
    pool *pl;
    const char *name;
} tagged;

static void forward_log(void *user, cc_log_level level, const char *msg)
{
    tagged *t = user;
    if (!t->pl->main->log_fn) return;
    char line[CC__MAX_MSG + 80];
    snprintf(line, sizeof(line), "[%s] %s", t->name, msg);
    g_mutex_lock(&t->pl->lock);
    t->pl->main->log_fn(t->pl->main->log_user, level, line);
    g_mutex_unlock(&t->pl->lock);
}

/* An output folder that completed with this content hash. */
static bool up_to_date(const char *dir, const char *hash)
{
    char *sj = g_build_filename(dir, "summary.json", NULL), *scj = g_build_filename(dir, "scenario.json", NULL);
    bool ok = false;
    if (g_file_test(sj, G_FILE_TEST_EXISTS)) {
        json_object *j = json_object_from_file(scj), *h;
        if (j && json_object_object_get_ex(j, "content_hash", &h) && !strcmp(json_object_get_string(h), hash)) ok = true;
        json_object_put(j);
    }
    g_free(sj);
    g_free(scj);
    return ok;
}

void cc__batch_job_run(cc__batch_job *pl, size_t i, int threads)
{
    vres *v = &pl->res->v[i];
    const cc_scenario *s = pl->b->v[i];
    double t0 = cc__now();
    cc_ctx *ctx = NULL;
    if (cc_ctx_create(&ctx) != CC_OK) {
        v->pub.state = CC_VARIANT_FAILED;
        v->pub.status = CC_ERR_NOMEM;
        snprintf(v->error, sizeof(v->error), "Out of memory");
        return;
    }
    v->error[0] = '\0'; /* drops the "Not run" that stands until an outcome is recorded */
    tagged tg = {pl, s->name};
    cc_ctx_set_log(ctx, forward_log, &tg);
    cc_ctx_set_threads(ctx, threads);
    cc_ctx_set_interrupt_flag(ctx, pl->main->interrupt_flag);
    cc_status st = CC_OK;
    if (!v->hashable || pl->o.force || !up_to_date(v->dir, v->hash)) {
        cc_scenario_run_opts ro = {.out_dir = v->dir, .lang = pl->o.lang, .base_dir = i ? pl->base_dir : NULL,
                                   .content_hash = v->hashable ? v->hash : ""};
        st = cc_scenario_run(ctx, s, &ro, NULL);
        v->pub.state = st ? CC_VARIANT_FAILED : CC_VARIANT_DONE;
    } else {
        v->pub.state = CC_VARIANT_SKIPPED;
        forward_log(&tg, CC_LOG_INFO, "Unchanged since its last completed run: skipped");
    }
    v->pub.status = st;
    if (st) {
        snprintf(v->error, sizeof(v->error), "%s", cc_ctx_last_error(ctx));
        char msg[CC__MAX_MSG + 40];
        snprintf(msg, sizeof(msg), "Failed: %s", v->error);
        forward_log(&tg, CC_LOG_WARNING, msg);
    }
    v->pub.seconds = cc__now() - t0;
    cc_ctx_destroy(ctx);
}

static gpointer worker(gpointer data)
{
    pool *pl = data;
    for (;;) {
        g_mutex_lock(&pl->lock);
        size_t i = pl->next < pl->b->n ? pl->next++ : SIZE_MAX;
        g_mutex_unlock(&pl->lock);
        if (i == SIZE_MAX) break;
        cc__batch_job_run(pl, i, pl->threads_each);
        g_mutex_lock(&pl->lock);
        pl->finished++;
        if (pl->main->progress_fn) pl->main->progress_fn(pl->main->progress_user, "Running variants", (double)pl->finished / pl->total);
        g_mutex_unlock(&pl->lock);
    }
    return NULL;
}

static const char *state_name(cc_variant_state s)
{
    return s == CC_VARIANT_DONE ? "done" : s == CC_VARIANT_SKIPPED ? "skipped" : "failed";
}

static cc_status write_manifest(cc_ctx *ctx, const cc_batch *b, const char *dir, res_impl *ri)
{
    json_object *j = json_object_new_object(), *a = json_object_new_array();
    json_object_object_add(j, "carecircle_version", json_object_new_string(CC_VERSION_STRING));
    json_object_object_add(j, "batch_file", json_object_new_string(b->file));
    json_object_object_add(j, "base_scenario", json_object_new_string(b->base_file));
    json_object_object_add(j, "done", json_object_new_int((int)ri->pub.n_done));
    json_object_object_add(j, "skipped", json_object_new_int((int)ri->pub.n_skipped));
    json_object_object_add(j, "failed", json_object_new_int((int)ri->pub.n_failed));
    for (size_t i = 0; i < ri->pub.n_variants; i++) {
        const vres *v = &ri->v[i];
        json_object *e = json_object_new_object();
        json_object_object_add(e, "name", json_object_new_string(v->pub.name));
        json_object_object_add(e, "state", json_object_new_string(state_name(v->pub.state)));
        json_object_object_add(e, "folder", json_object_new_string(v->pub.name));
        json_object_object_add(e, "content_hash", json_object_new_string(v->hashable ? v->hash : ""));
        if (v->pub.state == CC_VARIANT_FAILED) {
            json_object_object_add(e, "status", json_object_new_string(cc_status_string(v->pub.status)));
            json_object_object_add(e, "error", json_object_new_string(v->error));
        }
        char sec[32];
        snprintf(sec, sizeof(sec), "%.3f", v->pub.seconds);
        json_object_object_add(e, "seconds", json_object_new_double_s(v->pub.seconds, sec));
        json_object_array_add(a, e);
    }
    json_object_object_add(j, "variants", a);
    char *path = g_build_filename(dir, "manifest.json", NULL), *tmp = g_strconcat(path, ".tmp", NULL);
    cc_status st = cc__write_json(ctx, tmp, j);
    if (!st && rename(tmp, path) != 0) st = cc__fail(ctx, CC_ERR_IO, "Unable to write '%s': %s", path, strerror(errno));
    g_free(path);
    g_free(tmp);
    json_object_put(j);
    return st;
}

void cc__batch_job_destroy(cc__batch_job *j)
{
    if (!j) return;
    cc_batch_result_destroy(j->res ? &j->res->pub : NULL);
    g_mutex_clear(&j->lock);
    free(j->dir);
    free(j);
}

cc_status cc__batch_job_begin(cc_ctx *ctx, const cc_batch *b, const cc_batch_opts *opts, cc__batch_job **out)
{
    static const cc_batch_opts dflt;
    const cc_batch_opts *o = opts ? opts : &dflt;
    const char *dir = o->out_dir ? o->out_dir : b->out;
    cc_status st = CC_OK;
    *out = NULL;
    if (!dir) return cc__fail(ctx, CC_ERR_PARAM, "Batch '%s' names no output folder: give <out> in the file or parameter out_dir", b->file);
    if (g_mkdir_with_parents(dir, 0755) != 0) return cc__fail(ctx, CC_ERR_IO, "Unable to create batch folder '%s': %s", dir, strerror(errno));
    pool *pl = calloc(1, sizeof(*pl));
    if (!pl) return cc__fail(ctx, CC_ERR_NOMEM, "Out of memory");
    g_mutex_init(&pl->lock);
    pl->b = b;
    pl->o = *o;
    pl->main = ctx;
    pl->total = b->n;
    pl->t0 = cc__now();
    res_impl *ri = calloc(1, sizeof(*ri));
    pl->res = ri;
    pl->dir = cc__strdup(dir);
    if (!ri || !pl->dir || !(ri->v = cc__calloc_array(b->n, sizeof(vres))) || !(ri->arr = cc__calloc_array(b->n, sizeof(cc_variant_result)))) {
        cc__batch_job_destroy(pl);
        return cc__fail(ctx, CC_ERR_NOMEM, "Out of memory");
    }
    ri->pub.n_variants = b->n;
    /* content hashes: a variant's includes the base's, since its maps show the base's figures */
    for (size_t i = 0; i < b->n && !st; i++) {
        vres *v = &ri->v[i];
        v->pub.name = b->v[i]->name;
        /* until its outcome arrives, a variant counts as failed: one that never ran is never "done" */
        v->pub.state = CC_VARIANT_FAILED;
        v->pub.status = CC_ERR_INTERNAL;
        snprintf(v->error, sizeof(v->error), "Not run");
        if (!(v->dir = g_build_filename(dir, b->v[i]->name, NULL))) st = cc__fail(ctx, CC_ERR_NOMEM, "Out of memory");
        char own[65];
        if (!st && !(st = cc_scenario_hash(ctx, b->v[i], own, &v->hashable))) {
            /* the deliverables' language chosen on the command line changes the outputs too */
            char both[200];
            snprintf(both, sizeof(both), "%s%s%s%s", own, i ? ri->v[0].hash : "", o->lang ? "lang=" : "", o->lang ? o->lang : "");
            gchar *h = g_compute_checksum_for_string(G_CHECKSUM_SHA256, both, -1);
            snprintf(v->hash, sizeof(v->hash), "%s", i || o->lang ? h : own);
            g_free(h);
            if (i && !ri->v[0].hashable) v->hashable = false;
        }
    }
    size_t n_unhashable = 0;
    const char *remote = NULL;
    for (size_t i = 0; i < b->n && !st; i++) {
        if (ri->v[i].hashable) continue;
        n_unhashable++;
        const cc_scenario *s = b->v[i];
        const char *in[] = {s->roads.v, s->population.v, s->facilities.v, s->admin.v, s->added.v, s->closed_areas.v};
        for (size_t k = 0; k < sizeof(in) / sizeof(in[0]) && !remote; k++)
            if (in[k] && cc__sc_is_remote(in[k])) remote = in[k];
    }
    if (n_unhashable && !o->force) {
        /* a connection string may hold a password: name only its kind */
        char shown[80];
        if (remote && !strncmp(remote, "PG:", 3)) snprintf(shown, sizeof(shown), "PG: PostgreSQL/PostGIS");
        else if (remote && strstr(remote, "://")) snprintf(shown, sizeof(shown), "%.*s", (int)(strstr(remote, "://") - remote + 3), remote);
        else snprintf(shown, sizeof(shown), "%.40s", remote ? remote : "?");
        cc__info(ctx, "%zu of %zu variants read inputs from a database or URL (%s) whose content carecircle cannot hash, so it cannot "
                      "tell whether they changed: those variants run again every time instead of being skipped",
                 n_unhashable, b->n, shown);
    }
    if (st) {
        cc__batch_job_destroy(pl);
        return st;
    }
    *out = pl;
    return CC_OK;
}

const char *cc__batch_job_get_dir(const cc__batch_job *j) { return j->dir; }

void cc__batch_job_set_base(cc__batch_job *j, bool completed) { j->base_dir = completed ? j->res->v[0].dir : NULL; }

void cc__batch_job_get_outcome(const cc__batch_job *j, size_t i, cc__variant_outcome *out)
{
    const vres *v = &j->res->v[i];
    out->state = (int32_t)v->pub.state;
    out->status = (int32_t)v->pub.status;
    out->seconds = v->pub.seconds;
    snprintf(out->error, sizeof(out->error), "%s", v->error);
}

void cc__batch_job_set_outcome(cc__batch_job *j, size_t i, const cc__variant_outcome *in)
{
    vres *v = &j->res->v[i];
    v->pub.state = (cc_variant_state)in->state;
    v->pub.status = (cc_status)in->status;
    v->pub.seconds = in->seconds;
    snprintf(v->error, sizeof(v->error), "%.*s", (int)sizeof(in->error) - 1, in->error);
}

/* Expected cost of variant i, to hand out the largest first: its time in the last manifest of this
 * batch folder, else the size of its input files (bytes of roads + population + facilities). */
double cc__batch_job_estimate(const cc__batch_job *j, size_t i)
{
    const cc_scenario *s = j->b->v[i];
    double est = -1;
    char *mp = g_build_filename(j->dir, "manifest.json", NULL);
    json_object *m = json_object_from_file(mp), *vs;
    g_free(mp);
    if (m && json_object_object_get_ex(m, "variants", &vs) && json_object_is_type(vs, json_type_array)) {
        for (size_t k = 0; k < json_object_array_length(vs); k++) {
            json_object *e = json_object_array_get_idx(vs, k), *nm, *sec, *state;
            if (json_object_object_get_ex(e, "name", &nm) && !strcmp(json_object_get_string(nm), s->name) &&
                json_object_object_get_ex(e, "state", &state) && !strcmp(json_object_get_string(state), "done") &&
                json_object_object_get_ex(e, "seconds", &sec))
                est = 1e12 * json_object_get_double(sec); /* measured times rank above any byte count */
        }
    }
    json_object_put(m);
    return est >= 0 ? est : cc__batch_job_input_bytes(j, i);
}

double cc__batch_job_input_bytes(const cc__batch_job *j, size_t i)
{
    const cc_scenario *s = j->b->v[i];
    const char *files[] = {s->roads.v, s->population.v, s->facilities.v};
    double bytes = 0;
    for (size_t k = 0; k < 3; k++) {
        struct stat sb;
        if (files[k] && stat(files[k], &sb) == 0) bytes += (double)sb.st_size;
    }
    return bytes;
}

cc_status cc__batch_job_finish(cc__batch_job *pl, cc_batch_result **out)
{
    cc_ctx *ctx = pl->main;
    const cc_batch *b = pl->b;
    res_impl *ri = pl->res;
    cc_status st;
    *out = NULL;
    for (size_t i = 0; i < b->n; i++) {
        vres *v = &ri->v[i];
        v->pub.error = v->error;
        v->pub.out_dir = v->dir;
        v->pub.content_hash = v->hash;
        ri->arr[i] = v->pub;
        ri->pub.n_done += v->pub.state == CC_VARIANT_DONE;
        ri->pub.n_skipped += v->pub.state == CC_VARIANT_SKIPPED;
        ri->pub.n_failed += v->pub.state == CC_VARIANT_FAILED;
    }
    ri->pub.variants = ri->arr;
    if ((st = write_manifest(ctx, b, pl->dir, ri))) return st;
    if ((st = cc__batch_compare(ctx, b, pl->dir, ri->arr, b->n, pl->o.lang ? pl->o.lang : b->v[0]->lang))) return st;
    ri->pub.seconds = cc__now() - pl->t0;
    *out = &ri->pub;
    pl->res = NULL; /* the caller owns it now */
    return CC_OK;
}

cc_status cc_batch_run(cc_ctx *ctx, const cc_batch *b, const cc_batch_opts *opts, cc_batch_result **out)
{
    cc_status st;
    cc__batch_job *pl = NULL;
    *out = NULL;
    if ((st = cc__batch_job_begin(ctx, b, opts, &pl))) return st;
    const int cores = cc_ctx_get_threads(ctx);
    int jobs = pl->o.jobs > 0 ? pl->o.jobs : 1;
    if ((size_t)jobs > b->n - 1 && b->n > 1) jobs = (int)(b->n - 1);
    /* the base first, with every core */
    cc__info(ctx, "Batch of %zu variants into '%s' (%d at a time)", b->n, pl->dir, jobs);
    cc__batch_job_run(pl, 0, cores);
    pl->finished = 1;
    pl->next = 1;
    cc__batch_job_set_base(pl, pl->res->v[0].pub.state != CC_VARIANT_FAILED);
    if (cc__interrupted(ctx)) {
        st = cc__fail(ctx, CC_ERR_INTERRUPTED, "Interrupted");
        goto out;
    }
    pl->threads_each = cores / jobs > 0 ? cores / jobs : 1;
    GThread **th = cc__calloc_array((size_t)jobs, sizeof(GThread *));
    if (!th) {
        st = cc__fail(ctx, CC_ERR_NOMEM, "Out of memory");
        goto out;
    }
    if (jobs == 1) {
        worker(pl);
    } else {
        for (int j = 0; j < jobs; j++) th[j] = g_thread_new("variant", worker, pl);
        for (int j = 0; j < jobs; j++) g_thread_join(th[j]);
    }
    free(th);
    if (cc__interrupted(ctx)) {
        st = cc__fail(ctx, CC_ERR_INTERRUPTED, "Interrupted");
        goto out;
    }
    st = cc__batch_job_finish(pl, out);
out:
    cc__batch_job_destroy(pl);
    return st;
}
