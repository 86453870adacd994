/* roads.c - road records: their lifetime and getters (readers in planner/io fill them). */
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>

#include "roads_internal.h"

void cc_roads_destroy(cc_roads *r)
{
    if (!r) return;
    CC__FREE_ALL(r->way_first, r->x, r->y, r->cls, r->surface, r->maxspeed_kmh, r->speed_kmh, r->oneway, r->roundabout,
                 r->way_id, r->status, r->crs_wkt);
    cc__strtab_free(&r->strings);
    free(r);
}

size_t cc_roads_get_way_count(const cc_roads *r) { return r->n_ways; }
size_t cc_roads_get_vertex_count(const cc_roads *r) { return r->n_vertices; }
const char *cc_roads_get_crs_wkt(const cc_roads *r) { return r->crs_wkt; }
const char *cc_roads_get_crs_name(const cc_roads *r) { return r->crs_name; }


/* A copy of n elements of @p src (NULL stays NULL), with room for cap of them. */
static void *dup_array(const void *src, size_t n, size_t cap, size_t size, bool *ok)
{
    if (!src) return NULL;
    void *d = cc__malloc_array(cap ? cap : 1, size);
    if (!d) {
        *ok = false;
        return NULL;
    }
    if (n) memcpy(d, src, n * size);
    return d;
}

cc_status cc__roads_clone(cc_ctx *ctx, const cc_roads *r, cc_roads **out)
{
    *out = NULL;
    cc_roads *c = calloc(1, sizeof(*c));
    if (!c) return cc__fail(ctx, CC_ERR_NOMEM, "Out of memory copying roads");
    bool ok = true;
    const size_t nw = r->n_ways, nv = r->n_vertices;
    c->n_ways = c->cap_ways = nw;
    c->n_vertices = c->cap_vertices = nv;
    c->way_first = dup_array(r->way_first, nw + 1, nw + 1, sizeof(size_t), &ok);
    c->x = dup_array(r->x, nv, nv, sizeof(double), &ok);
    c->y = dup_array(r->y, nv, nv, sizeof(double), &ok);
    c->cls = dup_array(r->cls, nw, nw, sizeof(uint32_t), &ok);
    c->surface = dup_array(r->surface, nw, nw, sizeof(uint32_t), &ok);
    c->maxspeed_kmh = dup_array(r->maxspeed_kmh, nw, nw, sizeof(float), &ok);
    c->speed_kmh = dup_array(r->speed_kmh, nw, nw, sizeof(float), &ok);
    c->oneway = dup_array(r->oneway, nw, nw, sizeof(uint8_t), &ok);
    c->roundabout = dup_array(r->roundabout, nw, nw, sizeof(uint8_t), &ok);
    c->way_id = dup_array(r->way_id, nw, nw, sizeof(int64_t), &ok);
    c->status = dup_array(r->status, nw, nw, sizeof(uint8_t), &ok);
    c->crs_wkt = r->crs_wkt ? cc__strdup(r->crs_wkt) : NULL;
    if (r->crs_wkt && !c->crs_wkt) ok = false;
    memcpy(c->crs_name, r->crs_name, sizeof(c->crs_name));
    cc__strtab_init(&c->strings);
    /* interned in order, every string keeps its id */
    for (uint32_t i = 0; i < r->strings.n && ok; i++)
        if (cc__strtab_intern(&c->strings, r->strings.str[i]) != i) ok = false;
    if (!ok) {
        cc_roads_destroy(c);
        return cc__fail(ctx, CC_ERR_NOMEM, "Out of memory copying roads");
    }
    *out = c;
    return CC_OK;
}
