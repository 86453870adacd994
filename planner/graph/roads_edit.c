/*
 * roads_edit.c - scenario edits of road records before the graph is built: ways closed by id,
 * closure areas cut out of the network, added (or upgraded) roads merged in and joined to the
 * existing network. Closed and replaced ways stay in the records with a status, so that maps
 * and the roads layer can show them; the graph builder never drives on them.
 */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "../geo/geo_internal.h"
#include "roads_internal.h"

static cc_status ensure_status(cc_ctx *ctx, cc_roads *r)
{
    if (r->status) return CC_OK;
    if (!(r->status = cc__calloc_array(r->cap_ways ? r->cap_ways : 1, sizeof(uint8_t))))
        return cc__fail(ctx, CC_ERR_NOMEM, "Out of memory editing roads");
    return CC_OK;
}

static int cmp_i64(const void *a, const void *b)
{
    int64_t x = *(const int64_t *)a, y = *(const int64_t *)b;
    return x < y ? -1 : x > y;
}

cc_status cc__roads_close_ids(cc_ctx *ctx, cc_roads *r, const int64_t *ids, size_t n, uint8_t status, const char *label,
                              size_t *n_ways)
{
    cc_status st;
    *n_ways = 0;
    if (n == 0) return CC_OK;
    if ((st = ensure_status(ctx, r))) return st;
    int64_t *sorted = cc__malloc_array(n, sizeof(int64_t));
    bool *seen = cc__calloc_array(n, sizeof(bool));
    if (!sorted || !seen) {
        free(sorted);
        free(seen);
        return cc__fail(ctx, CC_ERR_NOMEM, "Out of memory editing roads");
    }
    memcpy(sorted, ids, n * sizeof(int64_t));
    qsort(sorted, n, sizeof(int64_t), cmp_i64);
    for (size_t w = 0; w < r->n_ways; w++) {
        int64_t *hit = bsearch(&r->way_id[w], sorted, n, sizeof(int64_t), cmp_i64);
        if (!hit) continue;
        seen[hit - sorted] = true;
        r->status[w] = status;
        (*n_ways)++;
    }
    st = CC_OK;
    for (size_t i = 0; i < n && !st; i++)
        if (!seen[i] && !(i > 0 && sorted[i] == sorted[i - 1]))
            st = cc__fail(ctx, CC_ERR_INPUT, "%s: way %lld is not a road of the road file (check the OSM way id)", label,
                          (long long)sorted[i]);
    free(sorted);
    free(seen);
    return st;
}

/* Replace the vertex and way arrays of @p r by pieces: maximal runs of segments of one way with
 * the same hit flag; pieces of hit segments become closed ways. */
cc_status cc__roads_close_areas(cc_ctx *ctx, cc_roads *r, OGRGeometryH *polys, size_t n_polys, size_t *n_segments)
{
    cc_status st;
    uint8_t *hit = NULL;
    cc_roads nr = {0};
    *n_segments = 0;
    if ((st = ensure_status(ctx, r))) return st;
    if (!(hit = cc__calloc_array(r->n_vertices, 1))) return cc__fail(ctx, CC_ERR_NOMEM, "Out of memory editing roads");
    if ((st = cc__segments_in_polygons(ctx, polys, n_polys, r->x, r->y, r->way_first, r->n_ways, hit))) goto out;
    size_t nw = 0, nv = 0;
    for (size_t w = 0; w < r->n_ways; w++) {
        size_t a = r->way_first[w], b = r->way_first[w + 1];
        size_t start = a;
        for (size_t i = a; i + 1 < b; i++) {
            *n_segments += hit[i];
            if (i + 2 == b || hit[i + 1] != hit[i]) {
                nw++;
                nv += i + 2 - start;
                start = i + 1;
            }
        }
    }
    if (*n_segments == 0) goto out;
    if (!(nr.way_first = cc__malloc_array(nw + 1, sizeof(size_t))) || !(nr.x = cc__malloc_array(nv, sizeof(double))) ||
        !(nr.y = cc__malloc_array(nv, sizeof(double))) || !(nr.cls = cc__malloc_array(nw, sizeof(uint32_t))) ||
        !(nr.surface = cc__malloc_array(nw, sizeof(uint32_t))) || !(nr.maxspeed_kmh = cc__malloc_array(nw, sizeof(float))) ||
        !(nr.speed_kmh = cc__malloc_array(nw, sizeof(float))) || !(nr.oneway = cc__malloc_array(nw, sizeof(uint8_t))) ||
        !(nr.roundabout = cc__malloc_array(nw, sizeof(uint8_t))) || !(nr.way_id = cc__malloc_array(nw, sizeof(int64_t))) ||
        !(nr.status = cc__malloc_array(nw, sizeof(uint8_t)))) {
        st = cc__fail(ctx, CC_ERR_NOMEM, "Out of memory editing roads");
        goto out;
    }
    size_t ow = 0, ov = 0;
    for (size_t w = 0; w < r->n_ways; w++) {
        size_t a = r->way_first[w], b = r->way_first[w + 1];
        size_t start = a;
        for (size_t i = a; i + 1 < b; i++) {
            if (!(i + 2 == b || hit[i + 1] != hit[i])) continue;
            size_t end = i + 1; /* inclusive */
            nr.way_first[ow] = ov;
            for (size_t k = start; k <= end; k++, ov++) {
                nr.x[ov] = r->x[k];
                nr.y[ov] = r->y[k];
            }
            nr.cls[ow] = r->cls[w];
            nr.surface[ow] = r->surface[w];
            nr.maxspeed_kmh[ow] = r->maxspeed_kmh[w];
            nr.speed_kmh[ow] = r->speed_kmh[w];
            nr.oneway[ow] = r->oneway[w];
            nr.roundabout[ow] = r->roundabout[w];
            nr.way_id[ow] = r->way_id[w];
            nr.status[ow] = hit[i] ? CC__WAY_CLOSED : r->status[w];
            ow++;
            start = end;
        }
    }
    nr.way_first[ow] = ov;
    /* swap the arrays in */
#define SWAP(f)              \
    do {                     \
        void *tmp_ = r->f;   \
        r->f = nr.f;         \
        nr.f = tmp_;         \
    } while (0)
    SWAP(way_first);
    SWAP(x);
    SWAP(y);
    SWAP(cls);
    SWAP(surface);
    SWAP(maxspeed_kmh);
    SWAP(speed_kmh);
    SWAP(oneway);
    SWAP(roundabout);
    SWAP(way_id);
    SWAP(status);
#undef SWAP
    r->n_ways = r->cap_ways = ow;
    r->n_vertices = r->cap_vertices = ov;
out:
    CC__FREE_ALL(hit, nr.way_first, nr.x, nr.y, nr.cls, nr.surface, nr.maxspeed_kmh, nr.speed_kmh, nr.oneway,
                 nr.roundabout, nr.way_id, nr.status);
    return st;
}

static bool drivable(const cc_roads *r, const cc_profile *p, size_t w)
{
    if (r->status && r->status[w] != CC__WAY_BASE && r->status[w] != CC__WAY_ADDED) return false;
    if (r->speed_kmh[w] > 0) return true;
    const char *cls = cc__strtab_get(&r->strings, r->cls[w]);
    const char *surf = r->surface[w] == CC__NO_STRING ? NULL : cc__strtab_get(&r->strings, r->surface[w]);
    return cls && cc_profile_speed_kmh(p, cls, surf, r->maxspeed_kmh[w], NULL) > 0;
}

static cc_status grow(cc_ctx *ctx, cc_roads *r, size_t ways, size_t verts)
{
#define G(f, n)                                                  \
    do {                                                         \
        void *p_ = cc__realloc_array(r->f, (n), sizeof(*r->f));  \
        if (!p_) return cc__fail(ctx, CC_ERR_NOMEM, "Out of memory editing roads"); \
        r->f = p_;                                               \
    } while (0)
    if (ways > r->cap_ways) {
        G(way_first, ways + 1);
        G(cls, ways);
        G(surface, ways);
        G(maxspeed_kmh, ways);
        G(speed_kmh, ways);
        G(oneway, ways);
        G(roundabout, ways);
        G(way_id, ways);
        G(status, ways);
        r->cap_ways = ways;
    }
    if (verts > r->cap_vertices) {
        G(x, verts);
        G(y, verts);
        r->cap_vertices = verts;
    }
#undef G
    return CC_OK;
}

/* Join (*px, *py) to the nearest point of a drivable way of r (ways [0, n_base)) within
 * max_d: an existing vertex when the nearest point is one (or within 1 cm of one), else a new
 * vertex inserted into that way. Returns the distance, or -1 when nothing is near enough. */
static double connect_point(cc_ctx *ctx, cc_roads *r, size_t n_base, const cc_profile *p, double *px, double *py, double max_d,
                            cc_status *st)
{
    double best = INFINITY, bx = 0, by = 0, bt = 0;
    size_t bseg = 0;
    *st = CC_OK;
    for (size_t w = 0; w < n_base; w++) {
        if (!drivable(r, p, w)) continue;
        for (size_t i = r->way_first[w]; i + 1 < r->way_first[w + 1]; i++) {
            double ax = r->x[i], ay = r->y[i], dx = r->x[i + 1] - ax, dy = r->y[i + 1] - ay;
            double l2 = dx * dx + dy * dy, t = l2 > 0 ? ((*px - ax) * dx + (*py - ay) * dy) / l2 : 0;
            t = t < 0 ? 0 : t > 1 ? 1 : t;
            double qx = ax + t * dx, qy = ay + t * dy, d = hypot(*px - qx, *py - qy);
            if (d < best) {
                best = d;
                bx = qx;
                by = qy;
                bt = t;
                bseg = i;
            }
        }
    }
    if (!(best <= max_d)) return -1;
    double seg_len = hypot(r->x[bseg + 1] - r->x[bseg], r->y[bseg + 1] - r->y[bseg]);
    if (bt * seg_len < 0.01) {
        bx = r->x[bseg];
        by = r->y[bseg];
    } else if ((1 - bt) * seg_len < 0.01) {
        bx = r->x[bseg + 1];
        by = r->y[bseg + 1];
    } else {
        /* insert a vertex after bseg: shift the vertices and the way starts behind it */
        if ((*st = grow(ctx, r, r->n_ways, r->n_vertices + 1))) return -1;
        memmove(r->x + bseg + 2, r->x + bseg + 1, (r->n_vertices - bseg - 1) * sizeof(double));
        memmove(r->y + bseg + 2, r->y + bseg + 1, (r->n_vertices - bseg - 1) * sizeof(double));
        r->x[bseg + 1] = bx;
        r->y[bseg + 1] = by;
        r->n_vertices++;
        for (size_t w = 0; w <= r->n_ways; w++)
            if (r->way_first[w] > bseg) r->way_first[w]++;
    }
    *px = bx;
    *py = by;
    return best;
}

cc_status cc__roads_append(cc_ctx *ctx, cc_roads *r, const cc_roads *add, double connect_m, const cc_profile *p, size_t *n_joined,
                           size_t *n_loose)
{
    cc_status st;
    *n_joined = *n_loose = 0;
    if ((st = ensure_status(ctx, r))) return st;
    const size_t n_base = r->n_ways;
    if ((st = grow(ctx, r, r->n_ways + add->n_ways, r->n_vertices + add->n_vertices))) return st;
    for (size_t w = 0; w < add->n_ways; w++) {
        size_t a = add->way_first[w], b = add->way_first[w + 1];
        if ((st = grow(ctx, r, r->n_ways + 1, r->n_vertices + (b - a) + 2))) return st;
        size_t nw = r->n_ways, v0 = r->n_vertices;
        memcpy(r->x + v0, add->x + a, (b - a) * sizeof(double));
        memcpy(r->y + v0, add->y + a, (b - a) * sizeof(double));
        uint32_t cls = CC__NO_STRING, surf = CC__NO_STRING;
        if (add->cls[w] != CC__NO_STRING &&
            (cls = cc__strtab_intern(&r->strings, cc__strtab_get(&add->strings, add->cls[w]))) == CC__NO_STRING)
            return cc__fail(ctx, CC_ERR_NOMEM, "Out of memory editing roads");
        if (add->surface[w] != CC__NO_STRING &&
            (surf = cc__strtab_intern(&r->strings, cc__strtab_get(&add->strings, add->surface[w]))) == CC__NO_STRING)
            return cc__fail(ctx, CC_ERR_NOMEM, "Out of memory editing roads");
        r->cls[nw] = cls;
        r->surface[nw] = surf;
        r->maxspeed_kmh[nw] = add->maxspeed_kmh[w];
        r->speed_kmh[nw] = add->speed_kmh[w];
        r->oneway[nw] = add->oneway[w];
        r->roundabout[nw] = add->roundabout[w];
        r->way_id[nw] = add->way_id[w];
        r->status[nw] = CC__WAY_ADDED;
        r->n_vertices += b - a;
        r->way_first[nw] = v0;
        r->way_first[nw + 1] = r->n_vertices;
        r->n_ways++;
        /* join both ends to the existing network (insertions only move vertices of base ways,
         * which all lie before the new way) */
        for (int end = 0; end < 2; end++) {
            size_t vi = end ? r->way_first[nw + 1] - 1 : r->way_first[nw];
            double x = r->x[vi], y = r->y[vi];
            double d = connect_point(ctx, r, n_base, p, &x, &y, connect_m, &st);
            if (st) return st;
            vi = end ? r->way_first[nw + 1] - 1 : r->way_first[nw]; /* may have moved */
            if (d < 0) {
                (*n_loose)++;
                continue;
            }
            r->x[vi] = x;
            r->y[vi] = y;
            (*n_joined)++;
        }
        /* the way must still have two distinct vertices */
        size_t fa = r->way_first[nw], fb = r->way_first[nw + 1];
        if (fb - fa == 2 && r->x[fa] == r->x[fa + 1] && r->y[fa] == r->y[fa + 1])
            return cc__fail(ctx, CC_ERR_INPUT, "Added road %lld collapses to a point when joined to the network",
                            (long long)add->way_id[w]);
    }
    return CC_OK;
}
