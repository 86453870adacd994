/* yaml.c - libyaml document helpers with positioned error messages. */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "yaml_internal.h"

static cc_status syntax_error(cc_ctx *ctx, yaml_parser_t *parser, const char *source)
{
    return cc__fail(ctx, CC_ERR_INPUT, "%s:%zu:%zu: %s%s%s", source, parser->problem_mark.line + 1,
                    parser->problem_mark.column + 1, parser->problem ? parser->problem : "YAML syntax error",
                    parser->context ? " " : "", parser->context ? parser->context : "");
}

/* Limits checked on the event stream before any document is built: one document, nesting depth,
 * node count (aliases count as nodes wherever they are used, so a billion-laughs file stops too). */
static cc_status prescan(cc_ctx *ctx, const char *text, size_t len, const char *source)
{
    yaml_parser_t parser;
    yaml_event_t ev;
    if (!yaml_parser_initialize(&parser)) return cc__fail(ctx, CC_ERR_NOMEM, "Out of memory parsing '%s'", source);
    yaml_parser_set_input_string(&parser, (const unsigned char *)text, len);
    cc_status st = CC_OK;
    size_t depth = 0, docs = 0, nodes = 0;
    for (bool done = false; !done && !st;) {
        if (!yaml_parser_parse(&parser, &ev)) {
            st = syntax_error(ctx, &parser, source);
            break;
        }
        size_t line = ev.start_mark.line + 1, col = ev.start_mark.column + 1;
        switch (ev.type) {
        case YAML_STREAM_END_EVENT: done = true; break;
        case YAML_DOCUMENT_START_EVENT:
            if (++docs > 1)
                st = cc__fail(ctx, CC_ERR_INPUT, "%s:%zu:%zu: A second YAML document; the file must hold one document (remove "
                              "the '---' and what follows, or merge them)", source, line, col);
            break;
        case YAML_SEQUENCE_START_EVENT:
        case YAML_MAPPING_START_EVENT:
            if (++depth > CC__YAML_MAX_DEPTH)
                st = cc__fail(ctx, CC_ERR_INPUT, "%s:%zu:%zu: Nested more than %d levels deep", source, line, col,
                              CC__YAML_MAX_DEPTH);
            /* fall through */
        case YAML_SCALAR_EVENT:
        case YAML_ALIAS_EVENT:
            if (!st && ++nodes > CC__YAML_MAX_NODES)
                st = cc__fail(ctx, CC_ERR_INPUT, "%s:%zu:%zu: More than %d YAML values in one file", source, line, col,
                              CC__YAML_MAX_NODES);
            break;
        case YAML_SEQUENCE_END_EVENT:
        case YAML_MAPPING_END_EVENT: depth--; break;
        default: break;
        }
        yaml_event_delete(&ev);
    }
    yaml_parser_delete(&parser);
    return st;
}

typedef struct key_at {
    const char *k;
    const yaml_node_t *n;
} key_at;

static int key_cmp(const void *a, const void *b)
{
    const key_at *x = a, *y = b;
    int c = strcmp(x->k, y->k);
    if (c) return c;
    return x->n->start_mark.index < y->n->start_mark.index ? -1 : x->n->start_mark.index > y->n->start_mark.index;
}

/* A key given twice in one mapping is an error at its second place (YAML says keys are unique;
 * libyaml keeps both and a look-up would silently take one). Sorted per mapping: O(n log n). */
static cc_status duplicate_keys(cc_ctx *ctx, cc__yaml *y)
{
    key_at *keys = NULL;
    size_t cap = 0;
    cc_status st = CC_OK;
    for (yaml_node_t *m = y->doc.nodes.start; m < y->doc.nodes.top && !st; m++) {
        if (m->type != YAML_MAPPING_NODE) continue;
        size_t n = (size_t)(m->data.mapping.pairs.top - m->data.mapping.pairs.start), k = 0;
        if (n < 2) continue;
        if (n > cap) {
            key_at *nk = cc__realloc_array(keys, n, sizeof(key_at));
            if (!nk) {
                st = cc__fail(ctx, CC_ERR_NOMEM, "Out of memory parsing '%s'", y->source);
                break;
            }
            keys = nk;
            cap = n;
        }
        for (yaml_node_pair_t *p = m->data.mapping.pairs.start; p < m->data.mapping.pairs.top; p++) {
            const yaml_node_t *kn = yaml_document_get_node(&y->doc, p->key);
            const char *ks = cc__yaml_scalar(kn);
            if (ks) keys[k++] = (key_at){ks, kn};
        }
        qsort(keys, k, sizeof(key_at), key_cmp);
        for (size_t i = 1; i < k && !st; i++)
            if (!strcmp(keys[i].k, keys[i - 1].k))
                st = cc__fail(ctx, CC_ERR_INPUT, "%s:%zu:%zu: <%s> appears twice in the same mapping (first at line %zu)",
                              y->source, keys[i].n->start_mark.line + 1, keys[i].n->start_mark.column + 1, keys[i].k,
                              keys[i - 1].n->start_mark.line + 1);
    }
    free(keys);
    return st;
}

cc_status cc__yaml_load(cc_ctx *ctx, const char *text, size_t len, const char *source, cc__yaml *y)
{
    yaml_parser_t parser;
    memset(y, 0, sizeof(*y));
    y->source = source;
    if (len > CC__YAML_MAX_BYTES)
        return cc__fail(ctx, CC_ERR_INPUT, "%s: larger than %zu KiB, the most a YAML file may hold", source,
                        CC__YAML_MAX_BYTES >> 10);
    cc_status st;
    if ((st = prescan(ctx, text, len, source))) return st;
    if (!yaml_parser_initialize(&parser)) return cc__fail(ctx, CC_ERR_NOMEM, "Out of memory parsing '%s'", source);
    yaml_parser_set_input_string(&parser, (const unsigned char *)text, len);
    if (!yaml_parser_load(&parser, &y->doc)) {
        st = syntax_error(ctx, &parser, source);
        yaml_parser_delete(&parser);
        return st;
    }
    yaml_parser_delete(&parser);
    y->loaded = true;
    if (!yaml_document_get_root_node(&y->doc))
        return cc__fail(ctx, CC_ERR_INPUT, "%s:1:1: The document is empty", source);
    return duplicate_keys(ctx, y);
}

void cc__yaml_free(cc__yaml *y)
{
    if (y && y->loaded) yaml_document_delete(&y->doc);
    if (y) y->loaded = false;
}

yaml_node_t *cc__yaml_root(cc__yaml *y)
{
    return yaml_document_get_root_node(&y->doc);
}

const char *cc__yaml_scalar(const yaml_node_t *n)
{
    if (!n || n->type != YAML_SCALAR_NODE) return NULL;
    return (const char *)n->data.scalar.value;
}

yaml_node_t *cc__yaml_get(cc__yaml *y, yaml_node_t *map, const char *key)
{
    if (!map || map->type != YAML_MAPPING_NODE) return NULL;
    for (yaml_node_pair_t *p = map->data.mapping.pairs.start; p < map->data.mapping.pairs.top; p++) {
        const char *k = cc__yaml_scalar(yaml_document_get_node(&y->doc, p->key));
        if (k && strcmp(k, key) == 0) return yaml_document_get_node(&y->doc, p->value);
    }
    return NULL;
}

cc_status cc__yaml_fail(cc_ctx *ctx, const cc__yaml *y, const yaml_node_t *n, cc_status st,
                        const char *fmt, ...)
{
    char msg[CC__MAX_MSG];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(msg, sizeof(msg), fmt, ap);
    va_end(ap);
    if (n)
        return cc__fail(ctx, st, "%s:%zu:%zu: %s", y->source, n->start_mark.line + 1,
                        n->start_mark.column + 1, msg);
    return cc__fail(ctx, st, "%s: %s", y->source, msg);
}

static size_t edit_distance(const char *a, const char *b)
{
    size_t la = strlen(a), lb = strlen(b);
    if (la > 64 || lb > 64) return 99;
    size_t prev[65], cur[65];
    for (size_t j = 0; j <= lb; j++) prev[j] = j;
    for (size_t i = 1; i <= la; i++) {
        cur[0] = i;
        for (size_t j = 1; j <= lb; j++) {
            size_t sub = prev[j - 1] + (a[i - 1] != b[j - 1]);
            size_t del = prev[j] + 1, ins = cur[j - 1] + 1;
            cur[j] = sub < del ? (sub < ins ? sub : ins) : (del < ins ? del : ins);
        }
        memcpy(prev, cur, (lb + 1) * sizeof(size_t));
    }
    return prev[lb];
}

const char *cc__closest(const char *word, const char *const *choices, size_t n)
{
    const char *best = NULL;
    size_t best_d = 99, lim = strlen(word) / 3;
    if (lim < 2) lim = 2;
    for (size_t i = 0; i < n && choices[i]; i++) {
        size_t d = edit_distance(word, choices[i]);
        if (d < best_d) {
            best_d = d;
            best = choices[i];
        }
    }
    return best_d <= lim ? best : NULL;
}

cc_status cc__yaml_check_map(cc_ctx *ctx, const cc__yaml *y, yaml_node_t *n,
                             const char *const *allowed, const char *what)
{
    if (!n || n->type != YAML_MAPPING_NODE)
        return cc__yaml_fail(ctx, y, n, CC_ERR_INPUT, "<%s> must be a mapping of keys to values", what);
    size_t na = 0;
    while (allowed[na]) na++;
    for (yaml_node_pair_t *p = n->data.mapping.pairs.start; p < n->data.mapping.pairs.top; p++) {
        yaml_node_t *kn = yaml_document_get_node((yaml_document_t *)&y->doc, p->key);
        const char *k = cc__yaml_scalar(kn);
        if (!k) return cc__yaml_fail(ctx, y, kn, CC_ERR_INPUT, "Keys of <%s> must be plain strings", what);
        size_t i;
        for (i = 0; i < na; i++)
            if (strcmp(k, allowed[i]) == 0) break;
        if (i < na) continue;
        const char *hint = cc__closest(k, allowed, na);
        if (hint)
            return cc__yaml_fail(ctx, y, kn, CC_ERR_INPUT, "Unknown key <%s> in %s (did you mean <%s>?)", k, what, hint);
        return cc__yaml_fail(ctx, y, kn, CC_ERR_INPUT, "Unknown key <%s> in %s", k, what);
    }
    return CC_OK;
}

cc_status cc__yaml_number(cc_ctx *ctx, const cc__yaml *y, const yaml_node_t *n, const char *key,
                          double lo, double hi, double *out)
{
    const char *s = cc__yaml_scalar(n);
    char *end = NULL;
    if (!s) return cc__yaml_fail(ctx, y, n, CC_ERR_INPUT, "<%s> must be a number", key);
    double v = cc_strtod(s, &end);
    if (end == s || *end != '\0' || !isfinite(v))
        return cc__yaml_fail(ctx, y, n, CC_ERR_INPUT, "<%s> must be a number, got '%s'", key, s);
    if (v < lo || v > hi)
        return cc__yaml_fail(ctx, y, n, CC_ERR_INPUT, "<%s> must be between %g and %g, got %s", key, lo, hi, s);
    *out = v;
    return CC_OK;
}

cc_status cc__yaml_choice(cc_ctx *ctx, const cc__yaml *y, const yaml_node_t *n, const char *key,
                          const char *const *choices, int *out)
{
    const char *s = cc__yaml_scalar(n);
    char list[256] = "";
    for (int i = 0; choices[i]; i++) {
        if (s && strcmp(s, choices[i]) == 0) {
            *out = i;
            return CC_OK;
        }
        strncat(list, i ? " | " : "", sizeof(list) - strlen(list) - 1);
        strncat(list, choices[i], sizeof(list) - strlen(list) - 1);
    }
    return cc__yaml_fail(ctx, y, n, CC_ERR_INPUT, "<%s> must be one of %s, got '%s'", key, list, s ? s : "(not a string)");
}
