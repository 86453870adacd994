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
#include <strings.h>
#include <sys/stat.h>

#include <glib.h>
#include <glib/gstdio.h>
#include <json-c/json.h>

#include "carecircle/cc_report.h"
#include "carecircle/cc_version.h"
#include "../io/json_read_internal.h"
#include "../io/write_internal.h"
#include "../access/sets_internal.h"
#include "../run/inputs_internal.h"
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
    if (b->names) g_hash_table_destroy(b->names);
    free(b);
}

size_t cc_batch_get_variant_count(const cc_batch *b) { return b->n; }
const cc_scenario *cc_batch_get_variant(const cc_batch *b, size_t i) { return i < b->n ? b->v[i] : NULL; }
const char *cc_batch_get_out_dir(const cc_batch *b) { return b->out; }

static const char *const batch_keys[] = {"base", "out", "variants", "sweeps", "robust" /* robust: read by scenario/robust.c */, NULL};
static const char *const variant_keys[] = {"name", "title", "set", NULL};
static const char *const sweep_keys[] = {"name", "key", "values", "title", "set", NULL};

static bool valid_name(const char *s)
{
    if (!s || !*s) return false;
    for (const char *c = s; *c; c++)
        if (!isalnum((unsigned char)*c) && *c != '_' && *c != '-' && *c != '.') return false;
    return strcmp(s, ".") && strcmp(s, "..");
}

/* A variant's folder must not collide with what carecircle writes into the batch folder
 * (manifest.json, comparison.csv, report_en.html ..., any case), hidden names or staging names. */
static bool reserved_name(const char *s)
{
    return s[0] == '.' || cc__is_output_name(s) || strstr(s, ".cc-tmp-") || strstr(s, ".cc-old-") ||
           !strcasecmp(s, "comparison.tmp.gpkg");
}

static bool push(cc_batch *b, cc_scenario *s)
{
    if (b->n == b->cap) {
        size_t c = b->cap ? 2 * b->cap : 16;
        cc_scenario **v = cc__realloc_array(b->v, c, sizeof(cc_scenario *));
        if (!v) return false;
        b->v = v;
        b->cap = c;
    }
    b->v[b->n++] = s;
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
        else if (valid_name(name) && reserved_name(name))
            cc__sc_problem(p, namenode, "Variant name '%s' is taken by a file carecircle writes into the batch folder (or is hidden)",
                           name);
        /* names seen so far in a hash set: linear in the number of variants */
        if (b->names && g_hash_table_contains(b->names, name)) cc__sc_problem(p, namenode, "Two variants are named '%s'", name);
        else if (b->names) g_hash_table_add(b->names, g_strdup(name));
    }
    p->subst = NULL;
    (void)before;
    /* a sweep's variants compare figures: by default they write summary.json only (the batch's
     * comparison reads their totals and admin areas from it), unless the base or the sweep names
     * outputs (issue 19: a 100-variant sweep at a few % of a fresh run each, not 80 %) */
    if (key && !s->outputs) {
        s->outputs = CC_OUT_SUMMARY;
        s->sweep_light = true;
    }
    cc__scenario_finalize(p, s);
    return s;
}

/* Loading a batch file: the file, the base scenario, then each variant and each sweep value,
 * every problem collected with its position (the scenario parser's machinery). */
typedef struct batch_load {
    cc_ctx *ctx;
    cc_batch *b;
    sc_parser p;
    bool parser_live;
    cc__yaml by, sy; /* the batch file and the base scenario */
    char *btext, *stext;
    yaml_node_t *root;
} batch_load;

/* Unknown keys of mapping @p m (what: "the batch", "a variant", "a sweep"), with a did-you-mean. */
static void check_keys(batch_load *L, yaml_node_t *m, const char *const *keys, const char *what)
{
    size_t nk = 0;
    while (keys[nk]) nk++;
    for (yaml_node_pair_t *pr = m->data.mapping.pairs.start; pr < m->data.mapping.pairs.top; pr++) {
        yaml_node_t *kn = yaml_document_get_node(&L->by.doc, pr->key);
        const char *k = cc__yaml_scalar(kn);
        size_t i = 0;
        while (k && keys[i] && strcmp(keys[i], k)) i++;
        if (!k || !keys[i]) {
            const char *hint = k ? cc__closest(k, keys, nk) : NULL;
            cc__sc_problem(&L->p, kn, "Unknown key <%s> in %s%s%s%s", k ? k : "?", what, hint ? " (did you mean <" : "", hint ? hint : "",
                           hint ? ">?)" : "");
        }
    }
}

/* A path of the batch file, relative to its folder; NULL when out of memory. */
static char *batch_path(const cc_batch *b, const char *rel)
{
    char *j = rel[0] == '/' ? g_strdup(rel) : g_build_filename(b->dir, rel, NULL);
    char *r = cc__strdup(j);
    g_free(j);
    return r;
}

/* The batch file read and parsed, its folder known, its top-level keys checked, <out> taken. */
static cc_status load_file(batch_load *L, const char *path)
{
    cc_status st;
    cc_batch *b = L->b;
    size_t blen = 0;
    if ((st = cc__read_text_file(L->ctx, path, "batch file", &L->btext, &blen))) return st;
    if ((st = cc__yaml_load(L->ctx, L->btext, blen, path, &L->by))) return st;
    char *d = g_path_get_dirname(path);
    b->file = cc__strdup(path);
    b->dir = cc__strdup(d);
    g_free(d);
    if (!b->file || !b->dir) return cc__fail(L->ctx, CC_ERR_NOMEM, "Out of memory");
    cc__sc_parser_init(&L->p, L->ctx, &L->by, b->file, b->dir);
    L->parser_live = true;
    L->root = cc__yaml_root(&L->by);
    if (L->root->type != YAML_MAPPING_NODE) {
        cc__sc_problem(&L->p, L->root, "A batch file is a mapping with <base> and <variants> or <sweeps>");
        return cc__sc_parser_status(&L->p);
    }
    check_keys(L, L->root, batch_keys, "the batch");
    yaml_node_t *n = cc__yaml_get(&L->by, L->root, "out");
    if (n) {
        const char *o = cc__yaml_scalar(n);
        if (!o || !*o)
            cc__sc_problem(&L->p, n, "<out> must be a folder name");
        else if (!(b->out = batch_path(b, o)))
            L->p.nomem = true;
    }
    return CC_OK;
}

/* The base scenario, read and validated alone first: its problems would repeat in every variant. */
static cc_status load_base(batch_load *L)
{
    cc_status st;
    cc_batch *b = L->b;
    yaml_node_t *base = cc__yaml_get(&L->by, L->root, "base");
    const char *bs = cc__yaml_scalar(base);
    if (!base || !bs || !*bs) {
        cc__sc_problem(&L->p, base ? base : L->root, "The batch needs <base>: the path of the base scenario file");
        return cc__sc_parser_status(&L->p);
    }
    if (!(b->base_file = batch_path(b, bs))) return cc__fail(L->ctx, CC_ERR_NOMEM, "Out of memory");
    size_t slen = 0;
    if ((st = cc__read_text_file(L->ctx, b->base_file, "base scenario file", &L->stext, &slen))) {
        if (st == CC_ERR_IO) L->p.n_missing_files++;
        cc__sc_problem(&L->p, base, "%s", cc_ctx_last_error(L->ctx));
        return cc__sc_parser_status(&L->p);
    }
    if ((st = cc__yaml_load(L->ctx, L->stext, slen, b->base_file, &L->sy))) return st;
    cc_scenario *s0 = make_variant(&L->p, b, &L->by, &L->sy, "base", base, NULL, NULL, NULL, NULL, NULL, NULL);
    if (s0) {
        free(s0->name);
        s0->name = cc__strdup("base");
    }
    if (!s0 || !s0->name || !push(b, s0)) {
        cc_scenario_destroy(s0);
        L->p.nomem = true;
    }
    return L->p.n_problems || L->p.nomem ? cc__sc_parser_status(&L->p) : CC_OK;
}

static size_t seq_len(const yaml_node_t *n)
{
    return n && n->type == YAML_SEQUENCE_NODE ? (size_t)(n->data.sequence.items.top - n->data.sequence.items.start) : 0;
}

/* The number of variants, sweeps expanded, checked before any variant is built. */
static cc_status check_count(batch_load *L, yaml_node_t *vars, yaml_node_t *sweeps)
{
    size_t total = seq_len(vars);
    for (yaml_node_item_t *it = seq_len(sweeps) ? sweeps->data.sequence.items.start : NULL; it && it < sweeps->data.sequence.items.top; it++)
        total += seq_len(cc__yaml_get(&L->by, yaml_document_get_node(&L->by.doc, *it), "values"));
    if (total <= CC_MAX_VARIANTS) return CC_OK;
    cc__sc_problem(&L->p, sweeps ? sweeps : vars,
                   "The batch expands to %zu variants (sweeps included); at most %d are allowed: split it into several batches", total,
                   CC_MAX_VARIANTS);
    return cc__sc_parser_status(&L->p);
}

static void add(batch_load *L, cc_scenario *s)
{
    if (s && !push(L->b, s)) {
        cc_scenario_destroy(s);
        L->p.nomem = true;
    }
}

/* Each entry of <variants>: {name, title, set}. */
static void add_variants(batch_load *L, yaml_node_t *vars)
{
    for (yaml_node_item_t *it = seq_len(vars) ? vars->data.sequence.items.start : NULL; it && it < vars->data.sequence.items.top && !L->p.nomem;
         it++) {
        yaml_node_t *m = yaml_document_get_node(&L->by.doc, *it);
        if (m->type != YAML_MAPPING_NODE) {
            cc__sc_problem(&L->p, m, "Each variant is a mapping {name, title, set}");
            continue;
        }
        check_keys(L, m, variant_keys, "a variant");
        yaml_node_t *nn = cc__yaml_get(&L->by, m, "name"), *set = cc__yaml_get(&L->by, m, "set");
        const char *name = cc__yaml_scalar(nn);
        if (!name) {
            cc__sc_problem(&L->p, m, "A variant needs a <name> (it names its output folder)");
            continue;
        }
        if (set && set->type != YAML_MAPPING_NODE) {
            cc__sc_problem(&L->p, set, "<set> must be a mapping of scenario keys, e.g. {speed_factors: {all: 0.8}}");
            continue;
        }
        add(L, make_variant(&L->p, L->b, &L->by, &L->sy, name, nn, cc__yaml_get(&L->by, m, "title"), set, NULL, NULL, NULL, NULL));
    }
}

/* One sweep {name, key, values}: a variant per value, named by the template with {value}. */
static void add_sweep(batch_load *L, yaml_node_t *m)
{
    check_keys(L, m, sweep_keys, "a sweep");
    yaml_node_t *nn = cc__yaml_get(&L->by, m, "name"), *kn = cc__yaml_get(&L->by, m, "key"), *vn = cc__yaml_get(&L->by, m, "values");
    const char *tmpl = cc__yaml_scalar(nn), *key = cc__yaml_scalar(kn);
    if (!tmpl || !strstr(tmpl, "{value}")) {
        cc__sc_problem(&L->p, nn ? nn : m, "A sweep needs a <name> template with {value}, e.g. \"tertiary_{value}\"");
        return;
    }
    if (!key) {
        cc__sc_problem(&L->p, m, "A sweep needs the dotted <key> it varies, e.g. speed_factors.class.tertiary");
        return;
    }
    if (!seq_len(vn)) {
        cc__sc_problem(&L->p, vn ? vn : m, "A sweep needs a non-empty list of <values>");
        return;
    }
    yaml_node_t *set = cc__yaml_get(&L->by, m, "set"); /* keys every variant of the sweep sets besides <key> */
    if (set && set->type != YAML_MAPPING_NODE) {
        cc__sc_problem(&L->p, set, "<set> must be a mapping of scenario keys, e.g. {outputs: [summary]}");
        return;
    }
    for (yaml_node_item_t *vi = vn->data.sequence.items.start; vi < vn->data.sequence.items.top && !L->p.nomem; vi++) {
        yaml_node_t *val = yaml_document_get_node(&L->by.doc, *vi);
        const char *vs = cc__yaml_scalar(val);
        if (!vs) {
            cc__sc_problem(&L->p, val, "Sweep values must be single values");
            continue;
        }
        char name[256];
        const char *at = strstr(tmpl, "{value}");
        snprintf(name, sizeof(name), "%.*s%s%s", (int)(at - tmpl), tmpl, vs, at + 7);
        add(L, make_variant(&L->p, L->b, &L->by, &L->sy, name, val, cc__yaml_get(&L->by, m, "title"), set, key, kn, val, vs));
    }
}

static void add_sweeps(batch_load *L, yaml_node_t *sweeps)
{
    for (yaml_node_item_t *it = seq_len(sweeps) ? sweeps->data.sequence.items.start : NULL;
         it && it < sweeps->data.sequence.items.top && !L->p.nomem; it++) {
        yaml_node_t *m = yaml_document_get_node(&L->by.doc, *it);
        if (m->type != YAML_MAPPING_NODE)
            cc__sc_problem(&L->p, m, "Each sweep is a mapping {name, key, values}");
        else
            add_sweep(L, m);
    }
}

/* The variants and sweeps of the batch, after the base. */
static cc_status load_variants(batch_load *L)
{
    cc_status st;
    yaml_node_t *vars = cc__yaml_get(&L->by, L->root, "variants"), *sweeps = cc__yaml_get(&L->by, L->root, "sweeps");
    if (vars && vars->type != YAML_SEQUENCE_NODE) cc__sc_problem(&L->p, vars, "<variants> must be a list of {name, title, set}");
    if (sweeps && sweeps->type != YAML_SEQUENCE_NODE) cc__sc_problem(&L->p, sweeps, "<sweeps> must be a list of {name, key, values}");
    if (!vars && !sweeps) cc__sc_problem(&L->p, L->root, "The batch has neither <variants> nor <sweeps>");
    if ((st = check_count(L, vars, sweeps))) return st;
    if (!(L->b->names = g_hash_table_new_full(g_str_hash, g_str_equal, g_free, NULL))) L->p.nomem = true;
    add_variants(L, vars);
    add_sweeps(L, sweeps);
    return cc__sc_parser_status(&L->p);
}

cc_status cc_batch_load(cc_ctx *ctx, const char *path, cc_batch **out)
{
    batch_load L = {.ctx = ctx};
    cc_status st;
    *out = NULL;
    if (!(L.b = calloc(1, sizeof(*L.b)))) return cc__fail(ctx, CC_ERR_NOMEM, "Out of memory");
    if (!(st = load_file(&L, path)) && !(st = load_base(&L))) st = load_variants(&L);
    if (L.parser_live) cc__sc_parser_free(&L.p);
    cc__yaml_free(&L.by);
    cc__yaml_free(&L.sy);
    free(L.btext);
    free(L.stext);
    if (st)
        cc_batch_destroy(L.b);
    else
        *out = L.b;
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
    cc__region_pool *regions; /* inputs and topology shared by the variants; NULL with no_reuse */
    cc__file_digests *digests; /* SHA-256 of the input files, each read once for the whole batch */
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

/* An output folder that completed with this content hash. Its scenario.json is read like user
 * input: when unreadable or malformed (edited, truncated by a crash) the variant is run again,
 * with a warning naming the file and the key. */
static bool up_to_date(cc_ctx *ctx, const char *dir, const char *hash)
{
    char *sj = g_build_filename(dir, "summary.json", NULL), *scj = g_build_filename(dir, "scenario.json", NULL);
    bool ok = false;
    if (g_file_test(sj, G_FILE_TEST_EXISTS) && g_file_test(scj, G_FILE_TEST_EXISTS)) {
        json_object *j = NULL;
        const char *h = NULL;
        cc_ctx *q = NULL;
        if (cc_ctx_create(&q) == CC_OK) {
            if (cc__json_load(q, scj, false, &j) || cc__json_get_str(q, scj, j, NULL, "content_hash", true, &h))
                cc__warn(ctx, "%s; running the variant again", cc_ctx_last_error(q));
            else
                ok = !strcmp(h, hash);
            cc_ctx_destroy(q);
        }
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
    cc_ctx_set_command(ctx, pl->main->command);
    cc_status st = CC_OK;
    if (!v->hashable || pl->o.force || !up_to_date(ctx, v->dir, v->hash)) {
        cc_scenario_run_opts ro = {.out_dir = v->dir, .lang = pl->o.lang, .base_dir = i ? pl->base_dir : NULL,
                                   .content_hash = v->hashable ? v->hash : ""};
        ctx->ch_cache = cc__region_pool_hierarchies(pl->regions); /* siting sections: the hierarchies of the variants' graphs */
        st = cc__scenario_run_pooled(ctx, s, &ro, pl->regions, NULL);
        ctx->ch_cache = NULL;
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
    cc__region_pool_destroy(j->regions);
    cc__file_digests_destroy(j->digests);
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
    /* the batch folder must be carecircle's (marker) or new: manifest.json and comparison.* go into it */
    char real[4096];
    if ((st = cc__out_check(ctx, dir, real, sizeof(real)))) return st;
    if (g_mkdir_with_parents(real, 0755) != 0) return cc__fail(ctx, CC_ERR_IO, "Unable to create batch folder '%s': %s", dir, strerror(errno));
    if ((st = cc__marker_write(ctx, real, false))) return st;
    dir = real;
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
    if (!(pl->digests = cc__file_digests_create())) {
        cc__batch_job_destroy(pl);
        return cc__fail(ctx, CC_ERR_NOMEM, "Out of memory");
    }
    if (!o->no_reuse && ((st = cc__region_pool_create(ctx, pl->digests, &pl->regions)) ||
                         (st = cc__region_pool_set_cache(ctx, pl->regions, cc_ctx_get_cache_dir(ctx), false, NULL)))) {
        cc__batch_job_destroy(pl);
        return st;
    }
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
        if (!st && !(st = cc__scenario_hash(ctx, b->v[i], pl->digests, own, &v->hashable))) {
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

void cc__batch_note_sweeps(cc_ctx *ctx, const cc_batch *b)
{
    size_t n_light = 0;
    for (size_t i = 0; i < b->n; i++) n_light += b->v[i]->sweep_light;
    if (n_light)
        cc__info(ctx, "%zu sweep variant%s write%s summary.json only, the default of sweeps (the comparison and the batch report have their "
                      "figures, admin areas included); set: {outputs: [all]} in a sweep gives its variants every output",
                 n_light, n_light == 1 ? "" : "s", n_light == 1 ? "s" : "");
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

/* 1e12 x the seconds variant @p name took in manifest @p m when it completed, else -1; every
 * member read is checked for its type (a malformed entry ends the search). */
static double manifest_seconds(cc_ctx *q, const char *mp, json_object *m, const char *name)
{
    json_object *vs = NULL;
    double est = -1;
    if (cc__json_get_arr(q, mp, m, NULL, "variants", false, &vs) || !vs) return -1;
    for (size_t k = 0; k < json_object_array_length(vs); k++) {
        json_object *e = json_object_array_get_idx(vs, k);
        const char *nm = NULL, *state = NULL;
        double sec = -1;
        if (!json_object_is_type(e, json_type_object) || cc__json_get_str(q, mp, e, "variants", "name", false, &nm) ||
            cc__json_get_str(q, mp, e, "variants", "state", false, &state) ||
            cc__json_get_num(q, mp, e, "variants", "seconds", false, &sec))
            break;
        if (nm && state && !strcmp(nm, name) && !strcmp(state, "done") && sec >= 0)
            est = 1e12 * sec; /* measured times rank above any byte count */
    }
    return est;
}

double cc__batch_manifest_check(cc_ctx *ctx, const char *path, const char *text, size_t len, const char *name)
{
    json_object *m = NULL;
    double est = cc__json_parse(ctx, path, text, len, &m) ? -1 : manifest_seconds(ctx, path, m, name);
    json_object_put(m);
    return est;
}

/* Expected cost of variant i, to hand out the largest first: its time in the last manifest of this
 * batch folder, else the size of its input files (bytes of roads + population + facilities). */
double cc__batch_job_estimate(const cc__batch_job *j, size_t i)
{
    const cc_scenario *s = j->b->v[i];
    double est = -1;
    char *mp = g_build_filename(j->dir, "manifest.json", NULL);
    json_object *m = NULL;
    cc_ctx *q = NULL;
    /* a hint only: a missing or malformed manifest (checked like user input) falls back to sizes */
    if (cc_ctx_create(&q) == CC_OK) {
        if (g_file_test(mp, G_FILE_TEST_EXISTS) && !cc__json_load(q, mp, false, &m)) est = manifest_seconds(q, mp, m, s->name);
        cc_ctx_destroy(q);
    }
    g_free(mp);
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
    if (pl->regions) {
        size_t ni, nt;
        cc__region_pool_stats(pl->regions, &ni, &nt);
        cc__info(ctx, "Prepared regions reused: inputs by %zu variants, graph topology and joins by %zu", ni, nt);
        size_t hb = 0, hh = 0;
        cc__ch_cache_stats(cc__region_pool_hierarchies(pl->regions), &hb, &hh);
        if (hb + hh) cc__info(ctx, "Contraction hierarchies for coverage sets: %zu built, %zu reused by later variants", hb, hh);
    }
    size_t nh, nr;
    cc__file_digests_stats(pl->digests, &nh, &nr);
    cc__debug(ctx, "Input files hashed: %zu read, %zu digests reused", nh, nr);
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
    cc__batch_note_sweeps(ctx, b);
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
