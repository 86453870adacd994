/*
 * ch_cache.c - contraction hierarchies kept for the runs that share a graph (issue 19), see
 * sets_internal.h.
 *
 * A hierarchy is a function of the graph's forward CSR alone (cc__ch_build), so an entry keeps a
 * copy of the CSR it was built from and serves a graph whose CSR is the same, byte for byte (a
 * 64-bit hash picks the candidates, the bytes decide): a speed-factor variant, whose edge costs
 * differ, gets a hierarchy of its own; variants that only move facilities, change the population
 * or the siting parameters share one. One run builds an entry while the others that need it
 * wait; at most MAX_ENTRIES are kept, the least recently used that no run holds dropped first.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <glib.h>
#include <glib/gstdio.h>

#include "sets_internal.h"

#define MAX_ENTRIES 8

enum { LOADING = 0, READY = 1 };

typedef struct ch_entry {
    struct ch_entry *next;
    uint64_t hash;
    uint32_t n, m;
    uint32_t *first;
    cc_edge *edges;
    int state;
    size_t holds;
    uint64_t used; /* clock of the last get */
    cc__ch ch;
} ch_entry;

struct cc__ch_cache {
    GMutex lock;
    GCond ready;
    ch_entry *head;
    uint64_t clock;
    size_t builds, hits;
};

static uint64_t csr_hash(const cc_graph *g)
{
    uint64_t h = 1469598103934665603ULL;
    const uint8_t *p = (const uint8_t *)g->fwd_first;
    size_t nb = ((size_t)g->n_nodes + 1) * sizeof(uint32_t);
    for (int part = 0; part < 2; part++) {
        /* 8 bytes a step: FNV-1a over words (the bytes themselves are compared on a hit) */
        size_t i = 0;
        for (; i + 8 <= nb; i += 8) {
            uint64_t w;
            memcpy(&w, p + i, 8);
            h = (h ^ w) * 1099511628211ULL;
        }
        for (; i < nb; i++) h = (h ^ p[i]) * 1099511628211ULL;
        p = (const uint8_t *)g->fwd;
        nb = (size_t)g->n_edges * sizeof(cc_edge);
    }
    return h ^ ((uint64_t)g->n_nodes << 32 | g->n_edges);
}

static bool same_csr(const ch_entry *e, uint64_t h, const cc_graph *g)
{
    return e->hash == h && e->n == g->n_nodes && e->m == g->n_edges &&
           !memcmp(e->first, g->fwd_first, ((size_t)g->n_nodes + 1) * sizeof(uint32_t)) &&
           (!g->n_edges || !memcmp(e->edges, g->fwd, (size_t)g->n_edges * sizeof(cc_edge)));
}

static void entry_free(ch_entry *e)
{
    if (!e) return;
    cc__ch_free(&e->ch);
    free(e->first);
    free(e->edges);
    free(e);
}

/* <cache folder>/<key>.ccch (g_free it); NULL without a cache folder. */
static char *disk_path(cc_ctx *ctx, const uint8_t key[32])
{
    const char *dir = cc_ctx_get_cache_dir(ctx);
    if (!dir) return NULL;
    char hex[65];
    for (int i = 0; i < 32; i++) snprintf(hex + 2 * i, 3, "%02x", key[i]);
    char *name = g_strdup_printf("%s.ccch", hex), *path = g_build_filename(dir, name, NULL);
    g_free(name);
    return path;
}

cc_status cc__ch_obtain(cc_ctx *ctx, const cc_graph *g, cc__ch *out)
{
    uint8_t key[32];
    cc__ch_key(g->n_nodes, g->fwd_first, g->fwd, key);
    char *path = disk_path(ctx, key);
    if (path && g_file_test(path, G_FILE_TEST_IS_REGULAR)) {
        double t = cc__now();
        gchar *buf = NULL;
        gsize len = 0;
        char why[200] = "unreadable";
        GError *err = NULL;
        if (g_file_get_contents(path, &buf, &len, &err) && cc__ch_from_memory((const uint8_t *)buf, len, key, true, out, why, sizeof(why))) {
            g_free(buf);
            cc__debug(ctx, "Contraction hierarchy of %u nodes read from '%s' (%.3f s)", out->n, path, cc__now() - t);
            g_free(path);
            return CC_OK;
        }
        if (err) snprintf(why, sizeof(why), "%s", err->message);
        g_clear_error(&err);
        g_free(buf);
        cc__warn(ctx, "Contraction hierarchy file '%s' is not used (%s): built again", path, why);
    }
    cc_status st = cc__ch_build(ctx, g, out);
    if (!st) cc__debug(ctx, "Contraction hierarchy of %u nodes: %u shortcuts, %.3f s", out->n, out->n_shortcuts, out->build_s);
    if (!st && path) {
        /* kept for later runs on the same graph; written to a temporary name and renamed */
        size_t len = 0;
        uint8_t *buf = cc__ch_serialise(out, key, &len);
        GError *err = NULL;
        char *dir = g_path_get_dirname(path);
        if (!buf)
            cc__warn(ctx, "Unable to keep the contraction hierarchy in '%s': out of memory", path);
        else if (g_mkdir_with_parents(dir, 0755) != 0 || !g_file_set_contents(path, (const gchar *)buf, (gssize)len, &err))
            cc__warn(ctx, "Unable to keep the contraction hierarchy in '%s': %s", path, err ? err->message : g_strerror(errno));
        else
            cc__debug(ctx, "Contraction hierarchy kept in '%s' (%zu bytes)", path, len);
        g_clear_error(&err);
        g_free(dir);
        free(buf);
    }
    g_free(path);
    return st;
}

cc_status cc__ch_cache_create(cc_ctx *ctx, cc__ch_cache **out)
{
    cc__ch_cache *c = calloc(1, sizeof(*c));
    *out = NULL;
    if (!c) return cc__fail(ctx, CC_ERR_NOMEM, "Out of memory");
    g_mutex_init(&c->lock);
    g_cond_init(&c->ready);
    *out = c;
    return CC_OK;
}

void cc__ch_cache_destroy(cc__ch_cache *c)
{
    if (!c) return;
    for (ch_entry *e = c->head, *nx; e; e = nx) {
        nx = e->next;
        entry_free(e);
    }
    g_mutex_clear(&c->lock);
    g_cond_clear(&c->ready);
    free(c);
}

/* Drop the least recently used entries that no run holds beyond MAX_ENTRIES (lock held). */
static void trim(cc__ch_cache *c)
{
    for (;;) {
        size_t n = 0;
        ch_entry **victim = NULL;
        for (ch_entry **pe = &c->head; *pe; pe = &(*pe)->next) {
            n++;
            if ((*pe)->state == READY && !(*pe)->holds && (!victim || (*pe)->used < (*victim)->used)) victim = pe;
        }
        if (n <= MAX_ENTRIES || !victim) return;
        ch_entry *e = *victim;
        *victim = e->next;
        entry_free(e);
    }
}

cc_status cc__ch_cache_get(cc_ctx *ctx, cc__ch_cache *c, const cc_graph *g, const cc__ch **out)
{
    const uint64_t h = csr_hash(g);
    *out = NULL;
    g_mutex_lock(&c->lock);
    for (;;) {
        ch_entry *e = c->head;
        while (e && !same_csr(e, h, g)) e = e->next;
        if (!e) break;
        if (e->state == READY) {
            e->holds++;
            e->used = ++c->clock;
            c->hits++;
            g_mutex_unlock(&c->lock);
            cc__debug(ctx, "Contraction hierarchy of %u nodes taken from an earlier run", e->ch.n);
            *out = &e->ch;
            return CC_OK;
        }
        g_cond_wait(&c->ready, &c->lock); /* another run builds it */
    }
    ch_entry *e = calloc(1, sizeof(*e));
    if (e) {
        e->hash = h, e->n = g->n_nodes, e->m = g->n_edges, e->state = LOADING, e->holds = 1;
        e->first = cc__malloc_array((size_t)g->n_nodes + 1, sizeof(uint32_t));
        e->edges = cc__malloc_array(g->n_edges ? g->n_edges : 1, sizeof(cc_edge));
        if (!e->first || !e->edges) {
            entry_free(e);
            e = NULL;
        } else {
            memcpy(e->first, g->fwd_first, ((size_t)g->n_nodes + 1) * sizeof(uint32_t));
            if (g->n_edges) memcpy(e->edges, g->fwd, (size_t)g->n_edges * sizeof(cc_edge));
            e->next = c->head;
            c->head = e;
        }
    }
    g_mutex_unlock(&c->lock);
    if (!e) return cc__fail(ctx, CC_ERR_NOMEM, "Out of memory");
    cc_status st = cc__ch_obtain(ctx, g, &e->ch);
    g_mutex_lock(&c->lock);
    if (st) { /* unlisted; a waiting run tries for itself */
        for (ch_entry **pe = &c->head; *pe; pe = &(*pe)->next)
            if (*pe == e) {
                *pe = e->next;
                break;
            }
        entry_free(e);
    } else {
        e->state = READY;
        e->used = ++c->clock;
        c->builds++;
        *out = &e->ch;
        cc__debug(ctx, "Contraction hierarchy of %u nodes: %u shortcuts (kept for later runs)", e->ch.n, e->ch.n_shortcuts);
        trim(c);
    }
    g_cond_broadcast(&c->ready);
    g_mutex_unlock(&c->lock);
    return st;
}

void cc__ch_cache_release(cc__ch_cache *c, const cc__ch *ch)
{
    if (!c || !ch) return;
    g_mutex_lock(&c->lock);
    for (ch_entry *e = c->head; e; e = e->next)
        if (&e->ch == ch) {
            e->holds--;
            break;
        }
    trim(c);
    g_mutex_unlock(&c->lock);
}

void cc__ch_cache_stats(cc__ch_cache *c, size_t *builds, size_t *hits)
{
    g_mutex_lock(&c->lock);
    *builds = c->builds;
    *hits = c->hits;
    g_mutex_unlock(&c->lock);
}
