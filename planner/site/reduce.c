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
    free(fl->first);
    free(fl->dem);
    free(fl->cost);
    free(fl->dfirst);
    free(fl->dcand);
    free(fl->dcost);
    free(fl->w);
    free(fl->cap);
    free(fl->rep);
    free(fl->np_cap);
    free(fl->np_w);
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

static inline uint64_t mix64(uint64_t z)
{
    z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ULL;
    z = (z ^ (z >> 27)) * 0x94d049bb133111ebULL;
    return z ^ (z >> 31);
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

cc_status cc__fl_reduce(cc_ctx *ctx, uint32_t n_cand, uint32_t n_dem, const uint64_t *first, const uint32_t *dem,
                        const uint32_t *cost, const uint32_t *keep_lt, const double *w, const uint8_t *skip,
                        const uint32_t *cap, cc__fl *fl)
{
    cc_status st = CC_OK;
    uint32_t *deg = NULL, *stamp = NULL, *cls = NULL, *cid = NULL;
    uint64_t *tfirst = NULL, *pos = NULL;
    uint32_t *tcand = NULL, *tcost = NULL;
    dkey *keys = NULL;
    capw *np = NULL;
    memset(fl, 0, sizeof(*fl));
    fl->n_cand = n_cand;
    const bool timed = cost != NULL;

    deg = cc__calloc_array(n_dem, sizeof(uint32_t));
    stamp = cc__calloc_array(n_dem, sizeof(uint32_t));
    if (!deg || !stamp) goto nomem;
    if (first[0] != 0) {
        st = cc__fail(ctx, CC_ERR_PARAM, "Coverage sets must start at offset 0");
        goto out;
    }
    /* 1. validate, count kept pairs per demand point */
    for (uint32_t j = 0; j < n_cand; j++) {
        if (first[j + 1] < first[j]) {
            st = cc__fail(ctx, CC_ERR_PARAM, "Coverage set offsets decrease at candidate %u", j);
            goto out;
        }
        for (uint64_t e = first[j]; e < first[j + 1]; e++) {
            uint32_t i = dem[e];
            if (i >= n_dem) {
                st = cc__fail(ctx, CC_ERR_PARAM, "Candidate %u reaches demand point %u, but there are only %u", j, i, n_dem);
                goto out;
            }
            if (stamp[i] == j + 1) {
                st = cc__fail(ctx, CC_ERR_PARAM, "Candidate %u lists demand point %u twice", j, i);
                goto out;
            }
            stamp[i] = j + 1;
            if (!(w[i] > 0) || (skip && skip[i])) continue;
            if (keep_lt && !(cost[e] < keep_lt[i])) continue;
            if (deg[i] == UINT32_MAX) {
                st = cc__fail(ctx, CC_ERR_LIMIT, "Demand point %u is reached by too many candidates", i);
                goto out;
            }
            deg[i]++;
        }
    }
    /* 2. demand without any useful pair: constant part */
    size_t n_np = 0;
    for (uint32_t i = 0; i < n_dem; i++) {
        if (!(w[i] > 0) || (skip && skip[i]) || deg[i]) continue;
        uint32_t ci = cap ? cap[i] : 1;
        fl->obj_const += w[i] * (double)ci;
        fl->w_nopair += w[i];
        if (ci > fl->max_cap_nopair) fl->max_cap_nopair = ci;
        n_np++;
    }
    if (timed && n_np) {
        if (!(np = cc__malloc_array(n_np, sizeof(capw)))) goto nomem;
        size_t k = 0;
        for (uint32_t i = 0; i < n_dem; i++)
            if (w[i] > 0 && !(skip && skip[i]) && !deg[i]) np[k++] = (capw){cap ? cap[i] : 1, w[i]};
        qsort(np, n_np, sizeof(capw), cmp_capw);
        size_t m = 0;
        for (size_t t = 0; t < n_np; t++) {
            if (m && np[m - 1].cap == np[t].cap)
                np[m - 1].w += np[t].w;
            else
                np[m++] = np[t];
        }
        fl->np_cap = cc__malloc_array(m, sizeof(uint32_t));
        fl->np_w = cc__malloc_array(m, sizeof(double));
        if (!fl->np_cap || !fl->np_w) goto nomem;
        for (size_t t = 0; t < m; t++) {
            fl->np_cap[t] = np[t].cap;
            fl->np_w[t] = np[t].w;
        }
        fl->n_np = m;
    }
    /* 3. transpose of the kept pairs (lists come out in ascending candidate order) */
    if (!(tfirst = cc__malloc_array((size_t)n_dem + 1, sizeof(uint64_t)))) goto nomem;
    tfirst[0] = 0;
    for (uint32_t i = 0; i < n_dem; i++) tfirst[i + 1] = tfirst[i] + deg[i];
    uint64_t nt = tfirst[n_dem];
    tcand = cc__malloc_array(nt, sizeof(uint32_t));
    tcost = timed ? cc__malloc_array(nt, sizeof(uint32_t)) : NULL;
    pos = cc__malloc_array(n_dem, sizeof(uint64_t));
    if (!tcand || (timed && !tcost) || !pos) goto nomem;
    memcpy(pos, tfirst, n_dem * sizeof(uint64_t));
    for (uint32_t j = 0; j < n_cand; j++)
        for (uint64_t e = first[j]; e < first[j + 1]; e++) {
            uint32_t i = dem[e];
            if (!deg[i]) continue;
            if (keep_lt && !(cost[e] < keep_lt[i])) continue;
            tcand[pos[i]] = j;
            if (timed) tcost[pos[i]] = cost[e];
            pos[i]++;
        }
    free(pos);
    pos = NULL;
    free(stamp);
    stamp = NULL;

    /* 4. group identical lists: sort by (degree, hash, id), compare within equal keys */
    uint32_t n_live = 0;
    for (uint32_t i = 0; i < n_dem; i++) n_live += deg[i] > 0;
    if (!(keys = cc__malloc_array(n_live, sizeof(dkey)))) goto nomem;
    uint32_t k = 0;
    for (uint32_t i = 0; i < n_dem; i++) {
        if (!deg[i]) continue;
        uint64_t h = mix64(0x9e3779b97f4a7c15ULL ^ (uint64_t)(cap ? cap[i] : 1));
        for (uint64_t e = tfirst[i]; e < tfirst[i + 1]; e++)
            h = mix64(h ^ ((uint64_t)tcand[e] << 32 | (timed ? tcost[e] : 0)));
        keys[k++] = (dkey){h, deg[i], i};
    }
    qsort(keys, n_live, sizeof(dkey), cmp_dkey);
    if (!(cls = cc__malloc_array(n_dem, sizeof(uint32_t)))) goto nomem;
    for (uint32_t i = 0; i < n_dem; i++) cls[i] = CC_INVALID_ID;
    /* representatives: cls[i] = rep demand id for members (rep = smallest id of the group,
     * the first in the sorted run since ids break ties) */
    uint32_t n_cls = 0;
    for (uint32_t a = 0; a < n_live;) {
        uint32_t b = a + 1;
        while (b < n_live && keys[b].deg == keys[a].deg && keys[b].hash == keys[a].hash) b++;
        /* within [a, b): usually one group; compare each with the earlier representatives */
        for (uint32_t t = a; t < b; t++) {
            uint32_t i = keys[t].id;
            for (uint32_t u = a; u < t; u++) {
                uint32_t r = keys[u].id;
                if (cls[r] != r) continue; /* not a representative */
                if ((cap ? cap[i] != cap[r] : false)) continue;
                if (memcmp(tcand + tfirst[i], tcand + tfirst[r], deg[i] * sizeof(uint32_t))) continue;
                if (timed && memcmp(tcost + tfirst[i], tcost + tfirst[r], deg[i] * sizeof(uint32_t))) continue;
                cls[i] = r;
                break;
            }
            if (cls[i] == CC_INVALID_ID) {
                cls[i] = i;
                n_cls++;
            }
        }
        a = b;
    }
    free(keys);
    keys = NULL;
    /* class ids in ascending order of representative */
    fl->n_dem = n_cls;
    fl->w = cc__calloc_array(n_cls, sizeof(double));
    fl->rep = cc__malloc_array(n_cls, sizeof(uint32_t));
    fl->cap = cap ? cc__malloc_array(n_cls, sizeof(uint32_t)) : NULL;
    fl->dfirst = cc__malloc_array((size_t)n_cls + 1, sizeof(uint64_t));
    if (!fl->w || !fl->rep || (cap && !fl->cap) || !fl->dfirst) goto nomem;
    /* class id of each representative; members find theirs through cls */
    if (!(cid = cc__malloc_array(n_dem, sizeof(uint32_t)))) goto nomem;
    uint32_t c = 0;
    for (uint32_t i = 0; i < n_dem; i++) {
        if (cls[i] != i) continue;
        fl->rep[c] = i;
        if (cap) fl->cap[c] = cap[i];
        cid[i] = c++;
    }
    /* members: weight sums in ascending demand id order */
    for (uint32_t i = 0; i < n_dem; i++)
        if (cls[i] != CC_INVALID_ID) fl->w[cid[cls[i]]] += w[i];
    for (uint32_t t = 0; t < n_cls; t++) fl->w_total += fl->w[t];
    /* transpose of the classes: the representatives' lists */
    fl->dfirst[0] = 0;
    for (uint32_t t = 0; t < n_cls; t++) fl->dfirst[t + 1] = fl->dfirst[t] + deg[fl->rep[t]];
    uint64_t np_ = fl->dfirst[n_cls];
    fl->dcand = cc__malloc_array(np_, sizeof(uint32_t));
    fl->dcost = timed ? cc__malloc_array(np_, sizeof(uint32_t)) : NULL;
    if (!fl->dcand || (timed && !fl->dcost)) goto nomem;
    for (uint32_t t = 0; t < n_cls; t++) {
        uint32_t r = fl->rep[t];
        memcpy(fl->dcand + fl->dfirst[t], tcand + tfirst[r], deg[r] * sizeof(uint32_t));
        if (timed) memcpy(fl->dcost + fl->dfirst[t], tcost + tfirst[r], deg[r] * sizeof(uint32_t));
    }
    free(tcand);
    free(tcost);
    free(tfirst);
    tcand = tcost = NULL;
    tfirst = NULL;
    /* forward CSR of the classes */
    fl->first = cc__calloc_array((size_t)n_cand + 1, sizeof(uint64_t));
    fl->dem = cc__malloc_array(np_, sizeof(uint32_t));
    fl->cost = timed ? cc__malloc_array(np_, sizeof(uint32_t)) : NULL;
    if (!fl->first || !fl->dem || (timed && !fl->cost)) goto nomem;
    for (uint64_t e = 0; e < np_; e++) fl->first[fl->dcand[e] + 1]++;
    for (uint32_t j = 0; j < n_cand; j++) fl->first[j + 1] += fl->first[j];
    if (!(pos = cc__malloc_array((size_t)n_cand + 1, sizeof(uint64_t)))) goto nomem;
    memcpy(pos, fl->first, ((size_t)n_cand + 1) * sizeof(uint64_t));
    for (uint32_t t = 0; t < n_cls; t++)
        for (uint64_t e = fl->dfirst[t]; e < fl->dfirst[t + 1]; e++) {
            uint32_t j = fl->dcand[e];
            fl->dem[pos[j]] = t;
            if (timed) fl->cost[pos[j]] = fl->dcost[e];
            pos[j]++;
        }
    goto out;
nomem:
    st = cc__fail(ctx, CC_ERR_NOMEM, "Out of memory reducing the coverage sets (%u candidates, %u demand points)", n_cand, n_dem);
out:
    free(deg);
    free(stamp);
    free(cls);
    free(cid);
    free(tfirst);
    free(pos);
    free(tcand);
    free(tcost);
    free(keys);
    free(np);
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
