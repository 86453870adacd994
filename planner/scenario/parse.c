/*
 * parse.c - the scenario parser's machinery: problems collected as "file:line:column: message"
 * (every problem of a file, not only the first), positions, and typed getters for scalars,
 * numbers in a range, booleans, paths (relative to the file, checked to exist), id lists and
 * key sets with a did-you-mean. The keys themselves are in schema.c.
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

void cc__sc_add_msg(sc_parser *p, const char *msg)
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
    cc__sc_add_msg(p, msg);
}

void cc__sc_problem(sc_parser *p, const yaml_node_t *n, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    vproblem(p, p->file, n ? n->start_mark.line + 1 : 0, n ? n->start_mark.column + 1 : 0, fmt, ap);
    va_end(ap);
}

void cc__sc_problem_at(sc_parser *p, const sc_pos *pos, const char *fmt, ...) CC__PRINTF(3, 4);
void cc__sc_problem_at(sc_parser *p, const sc_pos *pos, const char *fmt, ...)
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

sc_pos cc__sc_pos_of(sc_parser *p, const yaml_node_t *n)
{
    sc_pos q = {p->file, n ? n->start_mark.line + 1 : 0, n ? n->start_mark.column + 1 : 0};
    return q;
}

char *cc__sc_sdup(sc_parser *p, const char *s)
{
    char *d = s ? cc__strdup(s) : NULL;
    if (s && !d) p->nomem = true;
    return d;
}

bool cc__sc_get_string(sc_parser *p, yaml_node_t *n, const char *key, char **out)
{
    const char *s = cc__sc_scalar(p, n);
    if (!s || !*s) {
        cc__sc_problem(p, n, "<%s> must be a text value", key);
        return false;
    }
    free(*out);
    *out = cc__sc_sdup(p, s);
    return true;
}

bool cc__sc_get_number(sc_parser *p, yaml_node_t *n, const char *key, double lo, double hi, double *out)
{
    const char *s = cc__sc_scalar(p, n);
    char *end = NULL;
    if (!s) {
        cc__sc_problem(p, n, "<%s> must be a number", key);
        return false;
    }
    double v = cc_strtod(s, &end);
    if (end == s || *end || !isfinite(v)) {
        cc__sc_problem(p, n, "<%s> must be a number, got '%s'", key, s);
        return false;
    }
    if (v < lo || v > hi) {
        cc__sc_problem(p, n, "<%s> must be between %g and %g, got %s", key, lo, hi, s);
        return false;
    }
    *out = v;
    return true;
}

bool cc__sc_get_bool(sc_parser *p, yaml_node_t *n, const char *key, bool *out)
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

bool cc__sc_is_remote(const char *s)
{
    return !strncmp(s, "PG:", 3) || !strncmp(s, "/vsi", 4) || strstr(s, "://") != NULL;
}

/* A path relative to the file that names it; checked to exist (unless a database or URL). */
void cc__sc_get_path(sc_parser *p, yaml_node_t *n, const char *key, sc_str *out)
{
    char *v = NULL;
    if (!cc__sc_get_string(p, n, key, &v)) return;
    free(out->v);
    out->pos = cc__sc_pos_of(p, n);
    if (v[0] == '/' || cc__sc_is_remote(v) || !p->dir || !*p->dir) {
        out->v = v;
    } else {
        out->v = g_build_filename(p->dir, v, NULL);
        char *c = out->v ? cc__sc_sdup(p, out->v) : NULL;
        g_free(out->v);
        out->v = c;
        free(v);
    }
    if (!out->v || cc__sc_is_remote(out->v)) return;
    struct stat sb;
    if (stat(out->v, &sb) != 0) {
        p->n_missing_files++;
        cc__sc_problem(p, n, "<%s>: file '%s' does not exist", key, out->v);
    } else if (S_ISDIR(sb.st_mode) && !strstr(out->v, ".gdb")) {
        p->n_missing_files++;
        cc__sc_problem(p, n, "<%s>: '%s' is a folder, not a file", key, out->v);
    }
}

void cc__sc_get_text(sc_parser *p, yaml_node_t *n, const char *key, sc_str *out)
{
    if (cc__sc_get_string(p, n, key, &out->v)) out->pos = cc__sc_pos_of(p, n);
}

bool cc__sc_get_int64_list(sc_parser *p, yaml_node_t *n, const char *key, int64_t **out, size_t *nout)
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
bool cc__sc_check_keys(sc_parser *p, yaml_node_t *n, const char *const *allowed, const char *what)
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

