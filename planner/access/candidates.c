/*
 * candidates.c - candidate sites generated along drivable roads (sites_build.h).
 *
 * Points sit at the middles of equal pieces of each arc (about spacing_m long), so a long
 * road gets one candidate per spacing and a short street one in its middle. Arcs of faster
 * roads are visited first and a point closer than min_sep_m to a kept one is dropped: where
 * roads are dense (a town grid, a junction where several arcs end) candidates keep their
 * distance and prefer the main roads, where an ambulance station or sub-centre would stand.
 */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "sets_internal.h"

void cc__road_pts_free(cc__road_pts *p)
{
    CC__FREE_ALL(p->x, p->y, p->join);
    memset(p, 0, sizeof(*p));
}

/* An arc with its speed (m per ms, the faster direction), fastest first. */
typedef cc__scored arc_key;

/* Point at distance s from the start of arc a. */
static void arc_point(const cc_graph *g, uint32_t a, double s, double *x, double *y)
{
    uint32_t k0 = g->arc_first[a], k1 = g->arc_first[a + 1] - 1;
    uint32_t k = k0;
    while (k + 1 < k1 && g->pt_s[k + 1] < s) k++;
    double s0 = g->pt_s[k], s1 = g->pt_s[k + 1], f = s1 > s0 ? (s - s0) / (s1 - s0) : 0.0;
    if (f < 0) f = 0;
    if (f > 1) f = 1;
    *x = g->pt_x[k] + f * (g->pt_x[k + 1] - g->pt_x[k]);
    *y = g->pt_y[k] + f * (g->pt_y[k + 1] - g->pt_y[k]);
}

/* Uniform hash grid of kept points, for the separation test. */
typedef struct sgrid {
    double cell;
    uint32_t nslot;
    int64_t *key;   /* cell key per slot, INT64_MIN = empty */
    uint32_t *head; /* first point of the cell */
    uint32_t *next; /* per point */
} sgrid;

static inline int64_t cell_key(int64_t cx, int64_t cy)
{
    return cx * 2147483647LL + cy;
}

static inline uint32_t slot_of(const sgrid *G, int64_t k)
{
    uint64_t h = (uint64_t)k * 0x9e3779b97f4a7c15ULL;
    return (uint32_t)(h >> 32) & (G->nslot - 1);
}

static bool too_close(const sgrid *G, const double *px, const double *py, double x, double y)
{
    int64_t cx = (int64_t)floor(x / G->cell), cy = (int64_t)floor(y / G->cell);
    for (int64_t dx = -1; dx <= 1; dx++)
        for (int64_t dy = -1; dy <= 1; dy++) {
            int64_t k = cell_key(cx + dx, cy + dy);
            for (uint32_t i = slot_of(G, k);; i = (i + 1) & (G->nslot - 1)) {
                if (G->key[i] == INT64_MIN) break;
                if (G->key[i] != k) continue;
                for (uint32_t p = G->head[i]; p != CC_INVALID_ID; p = G->next[p])
                    if (hypot(px[p] - x, py[p] - y) < G->cell) return true;
                break;
            }
        }
    return false;
}

static void grid_add(sgrid *G, uint32_t p, double x, double y)
{
    int64_t k = cell_key((int64_t)floor(x / G->cell), (int64_t)floor(y / G->cell));
    uint32_t i = slot_of(G, k);
    while (G->key[i] != INT64_MIN && G->key[i] != k) i = (i + 1) & (G->nslot - 1);
    if (G->key[i] == INT64_MIN) {
        G->key[i] = k;
        G->head[i] = CC_INVALID_ID;
    }
    G->next[p] = G->head[i];
    G->head[i] = p;
}

/* Parse the class list into a flag per string id; "all" selects every class. */
static cc_status select_classes(cc_ctx *ctx, const cc_graph *g, const cc_roads *roads, const char *classes, uint8_t *sel, bool *all)
{
    *all = !classes || !strcmp(classes, "all") || !*classes;
    if (*all) return CC_OK;
    char *buf = cc__strdup(classes), *save = NULL;
    if (!buf) return cc__fail(ctx, CC_ERR_NOMEM, "Out of memory");
    cc_status st = CC_OK;
    int n_names = 0;
    for (char *tok = strtok_r(buf, ",", &save); tok && !st; tok = strtok_r(NULL, ",", &save)) {
        while (*tok == ' ') tok++;
        size_t len = strlen(tok);
        while (len && tok[len - 1] == ' ') tok[--len] = '\0';
        if (!len) continue;
        n_names++;
        uint32_t id = cc__strtab_find(&roads->strings, tok);
        bool drivable = false;
        for (uint32_t a = 0; id != CC__NO_STRING && a < g->n_arcs && !drivable; a++) drivable = roads->cls[g->arc_way[a]] == id;
        if (drivable) {
            sel[id] = 1;
            continue;
        }
        /* list the drivable classes present */
        char list[512] = "";
        uint8_t *seen = cc__calloc_array(roads->strings.n ? roads->strings.n : 1, 1);
        for (uint32_t a = 0; seen && a < g->n_arcs; a++) {
            uint32_t c = roads->cls[g->arc_way[a]];
            if (c == CC__NO_STRING || seen[c]) continue;
            seen[c] = 1;
            if (strlen(list) + strlen(roads->strings.str[c]) + 3 < sizeof(list)) {
                if (list[0]) strcat(list, ", ");
                strcat(list, roads->strings.str[c]);
            }
        }
        free(seen);
        st = cc__fail(ctx, CC_ERR_PARAM, "Road class <%s> of parameter candidate_roads is not among the drivable roads (classes present: %s)", tok,
                      list[0] ? list : "none");
    }
    free(buf);
    if (!st && n_names == 0)
        st = cc__fail(ctx, CC_ERR_PARAM, "Parameter candidate_roads is '%s': it names no road class (give classes, or all)", classes);
    return st;
}

cc_status cc__road_candidates(cc_ctx *ctx, const cc_graph *g, const cc_roads *roads, const char *classes, double spacing_m,
                              double min_sep_m, cc__road_pts *out)
{
    cc_status st = CC_OK;
    arc_key *keys = NULL;
    uint8_t *sel = NULL;
    sgrid G = {0};
    bool all;
    memset(out, 0, sizeof(*out));
    if (!(spacing_m >= 1)) return cc__fail(ctx, CC_ERR_PARAM, "Parameter spacing_m must be at least 1 metre, got %g", spacing_m);
    if (!(sel = cc__calloc_array(roads->strings.n ? roads->strings.n : 1, 1))) goto nomem;
    if ((st = select_classes(ctx, g, roads, classes, sel, &all))) goto out;
    size_t n_arcs = 0, cap = 0;
    if (!(keys = cc__malloc_array(g->n_arcs ? g->n_arcs : 1, sizeof(arc_key)))) goto nomem;
    for (uint32_t a = 0; a < g->n_arcs; a++) {
        uint32_t c = roads->cls[g->arc_way[a]];
        if (!all && (c == CC__NO_STRING || !sel[c])) continue;
        uint32_t cm = g->arc_cost_f[a] < g->arc_cost_b[a] ? g->arc_cost_f[a] : g->arc_cost_b[a];
        double len = g->arc_len_m[a];
        keys[n_arcs++] = (arc_key){cm > 0 && cm != CC_INF_COST ? len / cm : 0.0, a};
        double pieces = ceil(len / spacing_m);
        cap += pieces < 1 ? 1 : (size_t)pieces;
    }
    qsort(keys, n_arcs, sizeof(arc_key), cc__cmp_scored_desc);
    out->x = cc__malloc_array(cap ? cap : 1, sizeof(double));
    out->y = cc__malloc_array(cap ? cap : 1, sizeof(double));
    out->join = cc__malloc_array(cap ? cap : 1, sizeof(cc__join));
    G.cell = min_sep_m > 0.01 ? min_sep_m : 0.01;
    G.nslot = 64;
    while (G.nslot < 2 * cap + 64) G.nslot *= 2;
    G.key = cc__malloc_array(G.nslot, sizeof(int64_t));
    G.head = cc__malloc_array(G.nslot, sizeof(uint32_t));
    G.next = cc__malloc_array(cap ? cap : 1, sizeof(uint32_t));
    if (!out->x || !out->y || !out->join || !G.key || !G.head || !G.next) goto nomem;
    for (uint32_t i = 0; i < G.nslot; i++) G.key[i] = INT64_MIN;
    for (size_t k = 0; k < n_arcs; k++) {
        uint32_t a = keys[k].id;
        double len = g->arc_len_m[a];
        double pieces = ceil(len / spacing_m);
        uint32_t n = pieces < 1 ? 1 : (uint32_t)pieces;
        for (uint32_t i = 0; i < n; i++) {
            double s = (i + 0.5) * len / n, x, y;
            arc_point(g, a, s, &x, &y);
            if (too_close(&G, out->x, out->y, x, y)) continue;
            uint32_t id = (uint32_t)out->n++;
            out->x[id] = x;
            out->y[id] = y;
            out->join[id] = (cc__join){a, 0.0f, s};
            grid_add(&G, id, x, y);
        }
    }
    goto out;
nomem:
    st = cc__fail(ctx, CC_ERR_NOMEM, "Out of memory generating candidates along roads");
out:
    CC__FREE_ALL(keys, sel, G.key, G.head, G.next);
    if (st) cc__road_pts_free(out);
    return st;
}
