/*
 * reduce.c - from coverage sets to the reduced facility-location instance (site_internal.h).
 *
 * Pairs that cannot matter are dropped (demand covered already; a candidate no faster than the
 * existing facilities), and demand points whose pair lists are identical (same candidates,
 * same costs, same cap) are merged into one class with the summed weight. Merging is exact for
 * every model here: two such points are covered, or served at the same time, by any set of
 * sites alike. On a population raster, neighbouring cells joined to the same road stretch
 * usually share their list, so the instance shrinks several times.
 */
#include <stdlib.h>
#include <string.h>

#include "site_internal.h"

void cc__fl_free(cc__fl *fl)
{
    if (!fl) return;
    CC__FREE_ALL(fl->first, fl->dem, fl->cost, fl->dfirst, fl->dcand, fl->dcost, fl->w, fl->cap, fl->rep, fl->np_cap,
                 fl->np_w);
    memset(fl, 0, sizeof(*fl));
}

typedef struct dkey {
    uint64_t hash;
    uint32_t deg;
    uint32_t id;
} dkey;

static int cmp_dkey(const void *a, const void *b)
{
    const dkey *x = a, *y = b;
    if (x->deg != y->deg) return x->deg < y->deg ? -1 : 1;
    if (x->hash != y->hash) return x->hash < y->hash ? -1 : 1;
    return x->id < y->id ? -1 : x->id > y->id;
}

typedef struct capw {
    uint32_t cap;
    double w;
} capw;

static int cmp_capw(const void *a, const void *b)
{
    const capw *x = a, *y = b;
    return x->cap < y->cap ? -1 : x->cap > y->cap;
}

/* Scratch of cc__fl_reduce, freed together at the end. */
typedef struct reduce_tmp {
    uint32_t *deg, *stamp, *cls, *cid;
    uint64_t *tfirst, *pos;
    uint32_t *tcand, *tcost;
    dkey *keys;
    capw *np;
} reduce_tmp;

/* The input pairs of cc__fl_reduce (candidate -> demand CSR with optional costs and filters). */
typedef struct reduce_in {
    uint32_t n_cand, n_dem;
    const uint64_t *first;
    const uint32_t *dem, *cost, *keep_lt, *cap;
    const double *w;
    const uint8_t *skip;
} reduce_in;

/* Step 1: check the pairs (offsets, demand ids, duplicates) and count the kept pairs of each demand
 * point in t->deg; reports and returns the first problem. */
static cc_status count_kept_pairs(cc_ctx *ctx, const reduce_in *in, reduce_tmp *t)
{
    const uint32_t n_dem = in->n_dem;
    for (uint32_t j = 0; j < in->n_cand; j++) {
        if (in->first[j + 1] < in->first[j]) return cc__fail(ctx, CC_ERR_PARAM, "Coverage set offsets decrease at candidate %u", j);
        for (uint64_t e = in->first[j]; e < in->first[j + 1]; e++) {
            uint32_t i = in->dem[e];
            if (i >= n_dem)
                return cc__fail(ctx, CC_ERR_PARAM, "Candidate %u reaches demand point %u, but there are only %u", j, i, n_dem);
            if (t->stamp[i] == j + 1) return cc__fail(ctx, CC_ERR_PARAM, "Candidate %u lists demand point %u twice", j, i);
            t->stamp[i] = j + 1;
            if (!(in->w[i] > 0) || (in->skip && in->skip[i])) continue;
            if (in->keep_lt && !(in->cost[e] < in->keep_lt[i])) continue;
            if (t->deg[i] == UINT32_MAX)
                return cc__fail(ctx, CC_ERR_LIMIT, "Demand point %u is reached by too many candidates", i);
            t->deg[i]++;
        }
    }
    return CC_OK;
}

/* Step 2: demand without any useful pair is a constant part of the objective; for time models its
 * (cap, weight) pairs are kept merged by cap. Returns false when out of memory. */
static bool nopair_constant(const reduce_in *in, reduce_tmp *t, cc__fl *fl)
{
    const uint32_t n_dem = in->n_dem, *cap = in->cap;
    const double *w = in->w;
    size_t n_np = 0;
    for (uint32_t i = 0; i < n_dem; i++) {
        if (!(w[i] > 0) || (in->skip && in->skip[i]) || t->deg[i]) continue;
        uint32_t ci = cap ? cap[i] : 1;
        fl->obj_const += w[i] * (double)ci;
        fl->w_nopair += w[i];
        if (ci > fl->max_cap_nopair) fl->max_cap_nopair = ci;
        n_np++;
    }
    if (!in->cost || !n_np) return true;
    if (!(t->np = cc__malloc_array(n_np, sizeof(capw)))) return false;
    capw *np = t->np;
    size_t k = 0;
    for (uint32_t i = 0; i < n_dem; i++)
        if (w[i] > 0 && !(in->skip && in->skip[i]) && !t->deg[i]) np[k++] = (capw){cap ? cap[i] : 1, w[i]};
    qsort(np, n_np, sizeof(capw), cmp_capw);
    size_t m = 0;
    for (size_t s = 0; s < n_np; s++) {
        if (m && np[m - 1].cap == np[s].cap)
            np[m - 1].w += np[s].w;
        else
            np[m++] = np[s];
    }
    fl->np_cap = cc__malloc_array(m, sizeof(uint32_t));
    fl->np_w = cc__malloc_array(m, sizeof(double));
    if (!fl->np_cap || !fl->np_w) return false;
    for (size_t s = 0; s < m; s++) {
        fl->np_cap[s] = np[s].cap;
        fl->np_w[s] = np[s].w;
    }
    fl->n_np = m;
    return true;
}

/* Step 3: transpose of the kept pairs, demand -> candidates (lists come out in ascending candidate
 * order). Returns false when out of memory. */
static bool transpose_kept(const reduce_in *in, reduce_tmp *t)
{
    const uint32_t n_dem = in->n_dem;
    const bool timed = in->cost != NULL;
    if (!(t->tfirst = cc__malloc_array((size_t)n_dem + 1, sizeof(uint64_t)))) return false;
    t->tfirst[0] = 0;
    for (uint32_t i = 0; i < n_dem; i++) t->tfirst[i + 1] = t->tfirst[i] + t->deg[i];
    uint64_t nt = t->tfirst[n_dem];
    t->tcand = cc__malloc_array(nt, sizeof(uint32_t));
    t->tcost = timed ? cc__malloc_array(nt, sizeof(uint32_t)) : NULL;
    t->pos = cc__malloc_array(n_dem, sizeof(uint64_t));
    if (!t->tcand || (timed && !t->tcost) || !t->pos) return false;
    memcpy(t->pos, t->tfirst, n_dem * sizeof(uint64_t));
    for (uint32_t j = 0; j < in->n_cand; j++)
        for (uint64_t e = in->first[j]; e < in->first[j + 1]; e++) {
            uint32_t i = in->dem[e];
            if (!t->deg[i]) continue;
            if (in->keep_lt && !(in->cost[e] < in->keep_lt[i])) continue;
            t->tcand[t->pos[i]] = j;
            if (timed) t->tcost[t->pos[i]] = in->cost[e];
            t->pos[i]++;
        }
    free(t->pos);
    t->pos = NULL;
    free(t->stamp);
    t->stamp = NULL;
    return true;
}

/* Is demand point i's list (and cap) the same as that of r? */
static bool same_list(const reduce_in *in, const reduce_tmp *t, uint32_t i, uint32_t r)
{
    if ((in->cap ? in->cap[i] != in->cap[r] : false)) return false;
    if (memcmp(t->tcand + t->tfirst[i], t->tcand + t->tfirst[r], t->deg[i] * sizeof(uint32_t))) return false;
    if (in->cost && memcmp(t->tcost + t->tfirst[i], t->tcost + t->tfirst[r], t->deg[i] * sizeof(uint32_t))) return false;
    return true;
}

/* Step 4: group identical lists: sort by (degree, hash, id), compare within equal keys. t->cls[i] =
 * representative (smallest id of the group, the first in the sorted run since ids break ties).
 * Returns false when out of memory; *n_cls = number of groups. */
static bool group_lists(const reduce_in *in, reduce_tmp *t, uint32_t *n_cls)
{
    const uint32_t n_dem = in->n_dem;
    uint32_t n_live = 0;
    for (uint32_t i = 0; i < n_dem; i++) n_live += t->deg[i] > 0;
    if (!(t->keys = cc__malloc_array(n_live, sizeof(dkey)))) return false;
    dkey *keys = t->keys;
    uint32_t k = 0;
    for (uint32_t i = 0; i < n_dem; i++) {
        if (!t->deg[i]) continue;
        uint64_t h = cc__mix64(0x9e3779b97f4a7c15ULL ^ (uint64_t)(in->cap ? in->cap[i] : 1));
        for (uint64_t e = t->tfirst[i]; e < t->tfirst[i + 1]; e++)
            h = cc__mix64(h ^ ((uint64_t)t->tcand[e] << 32 | (in->cost ? t->tcost[e] : 0)));
        keys[k++] = (dkey){h, t->deg[i], i};
    }
    qsort(keys, n_live, sizeof(dkey), cmp_dkey);
    if (!(t->cls = cc__malloc_array(n_dem, sizeof(uint32_t)))) return false;
    uint32_t *cls = t->cls;
    for (uint32_t i = 0; i < n_dem; i++) cls[i] = CC_INVALID_ID;
    *n_cls = 0;
    for (uint32_t a = 0; a < n_live;) {
        uint32_t b = a + 1;
        while (b < n_live && keys[b].deg == keys[a].deg && keys[b].hash == keys[a].hash) b++;
        /* within [a, b): usually one group; compare each with the earlier representatives */
        for (uint32_t s = a; s < b; s++) {
            uint32_t i = keys[s].id;
            for (uint32_t u = a; u < s; u++) {
                uint32_t r = keys[u].id;
                if (cls[r] != r) continue; /* not a representative */
                if (!same_list(in, t, i, r)) continue;
                cls[i] = r;
                break;
            }
            if (cls[i] == CC_INVALID_ID) {
                cls[i] = i;
                (*n_cls)++;
            }
        }
        a = b;
    }
    free(t->keys);
    t->keys = NULL;
    return true;
}

/* Step 5: the classes in ascending order of representative, with their cap, summed weight (in
 * ascending demand id order) and candidate lists. Returns false when out of memory. */
static bool class_lists(const reduce_in *in, reduce_tmp *t, uint32_t n_cls, cc__fl *fl)
{
    const uint32_t n_dem = in->n_dem, *cap = in->cap;
    const bool timed = in->cost != NULL;
    fl->n_dem = n_cls;
    fl->w = cc__calloc_array(n_cls, sizeof(double));
    fl->rep = cc__malloc_array(n_cls, sizeof(uint32_t));
    fl->cap = cap ? cc__malloc_array(n_cls, sizeof(uint32_t)) : NULL;
    fl->dfirst = cc__malloc_array((size_t)n_cls + 1, sizeof(uint64_t));
    if (!fl->w || !fl->rep || (cap && !fl->cap) || !fl->dfirst) return false;
    /* class id of each representative; members find theirs through cls */
    if (!(t->cid = cc__malloc_array(n_dem, sizeof(uint32_t)))) return false;
    uint32_t c = 0;
    for (uint32_t i = 0; i < n_dem; i++) {
        if (t->cls[i] != i) continue;
        fl->rep[c] = i;
        if (cap) fl->cap[c] = cap[i];
        t->cid[i] = c++;
    }
    for (uint32_t i = 0; i < n_dem; i++)
        if (t->cls[i] != CC_INVALID_ID) fl->w[t->cid[t->cls[i]]] += in->w[i];
    for (uint32_t s = 0; s < n_cls; s++) fl->w_total += fl->w[s];
    fl->dfirst[0] = 0;
    for (uint32_t s = 0; s < n_cls; s++) fl->dfirst[s + 1] = fl->dfirst[s] + t->deg[fl->rep[s]];
    uint64_t np_ = fl->dfirst[n_cls];
    fl->dcand = cc__malloc_array(np_, sizeof(uint32_t));
    fl->dcost = timed ? cc__malloc_array(np_, sizeof(uint32_t)) : NULL;
    if (!fl->dcand || (timed && !fl->dcost)) return false;
    for (uint32_t s = 0; s < n_cls; s++) {
        uint32_t r = fl->rep[s];
        memcpy(fl->dcand + fl->dfirst[s], t->tcand + t->tfirst[r], t->deg[r] * sizeof(uint32_t));
        if (timed) memcpy(fl->dcost + fl->dfirst[s], t->tcost + t->tfirst[r], t->deg[r] * sizeof(uint32_t));
    }
    CC__FREE_ALL(t->tcand, t->tcost, t->tfirst);
    t->tcand = t->tcost = NULL;
    t->tfirst = NULL;
    return true;
}

/* Step 6: forward CSR of the classes, candidate -> classes. Returns false when out of memory. */
static bool class_csr(reduce_tmp *t, cc__fl *fl, bool timed)
{
    const uint32_t n_cand = fl->n_cand, n_cls = fl->n_dem;
    uint64_t np_ = fl->dfirst[n_cls];
    fl->first = cc__calloc_array((size_t)n_cand + 1, sizeof(uint64_t));
    fl->dem = cc__malloc_array(np_, sizeof(uint32_t));
    fl->cost = timed ? cc__malloc_array(np_, sizeof(uint32_t)) : NULL;
    if (!fl->first || !fl->dem || (timed && !fl->cost)) return false;
    for (uint64_t e = 0; e < np_; e++) fl->first[fl->dcand[e] + 1]++;
    for (uint32_t j = 0; j < n_cand; j++) fl->first[j + 1] += fl->first[j];
    if (!(t->pos = cc__malloc_array((size_t)n_cand + 1, sizeof(uint64_t)))) return false;
    memcpy(t->pos, fl->first, ((size_t)n_cand + 1) * sizeof(uint64_t));
    for (uint32_t s = 0; s < n_cls; s++)
        for (uint64_t e = fl->dfirst[s]; e < fl->dfirst[s + 1]; e++) {
            uint32_t j = fl->dcand[e];
            fl->dem[t->pos[j]] = s;
            if (timed) fl->cost[t->pos[j]] = fl->dcost[e];
            t->pos[j]++;
        }
    return true;
}

cc_status cc__fl_reduce(cc_ctx *ctx, uint32_t n_cand, uint32_t n_dem, const uint64_t *first, const uint32_t *dem,
                        const uint32_t *cost, const uint32_t *keep_lt, const double *w, const uint8_t *skip,
                        const uint32_t *cap, cc__fl *fl)
{
    const reduce_in in = {n_cand, n_dem, first, dem, cost, keep_lt, cap, w, skip};
    reduce_tmp t = {0};
    cc_status st = CC_OK;
    uint32_t n_cls = 0;
    memset(fl, 0, sizeof(*fl));
    fl->n_cand = n_cand;

    t.deg = cc__calloc_array(n_dem, sizeof(uint32_t));
    t.stamp = cc__calloc_array(n_dem, sizeof(uint32_t));
    if (!t.deg || !t.stamp) goto nomem;
    if (first[0] != 0) {
        st = cc__fail(ctx, CC_ERR_PARAM, "Coverage sets must start at offset 0");
        goto out;
    }
    if ((st = count_kept_pairs(ctx, &in, &t))) goto out;
    if (!nopair_constant(&in, &t, fl) || !transpose_kept(&in, &t) || !group_lists(&in, &t, &n_cls) ||
        !class_lists(&in, &t, n_cls, fl) || !class_csr(&t, fl, cost != NULL))
        goto nomem;
    goto out;
nomem:
    st = cc__fail(ctx, CC_ERR_NOMEM, "Out of memory reducing the coverage sets (%u candidates, %u demand points)", n_cand, n_dem);
out:
    CC__FREE_ALL(t.deg, t.stamp, t.cls, t.cid, t.tfirst, t.pos, t.tcand, t.tcost, t.keys, t.np);
    if (st) cc__fl_free(fl);
    return st;
}

double cc__fl_eval(const cc__fl *fl, const uint32_t *S, uint32_t q, uint32_t *d1)
{
    for (uint32_t c = 0; c < fl->n_dem; c++) d1[c] = fl->cap ? fl->cap[c] : 1;
    for (uint32_t s = 0; s < q; s++) {
        uint32_t j = S[s];
        for (uint64_t e = fl->first[j]; e < fl->first[j + 1]; e++) {
            uint32_t c = fl->dem[e], t = fl->cost ? fl->cost[e] : 0;
            if (t < d1[c]) d1[c] = t;
        }
    }
    double f = fl->obj_const;
    for (uint32_t c = 0; c < fl->n_dem; c++) f += fl->w[c] * (double)d1[c];
    return f;
}
