/*
 * heur.c - heuristics on the reduced facility-location instance (site_internal.h): lazy
 * greedy, fast swap/interchange local search, ranking of a solution, and the submodular
 * ("online") bound that any set yields.
 *
 * Savings G(S) = F(empty) - F(S) are monotone and submodular in S for every model here
 * (coverage and facility location alike), which is what makes the lazy greedy exact to
 * implement and the online bound valid.
 */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "../core/omp_internal.h"
#include "site_internal.h"

typedef struct gj {
    double g;
    uint32_t j;
} gj;

cc_status cc__fl_ws_init(cc_ctx *ctx, const cc__fl *fl, const cc__cons *c, uint32_t p, cc__fl_ws *ws)
{
    memset(ws, 0, sizeof(*ws));
    size_t n = fl->n_dem ? fl->n_dem : 1, m = fl->n_cand ? fl->n_cand : 1;
    ws->d1 = cc__malloc_array(n, sizeof(uint32_t));
    ws->d2 = cc__malloc_array(n, sizeof(uint32_t));
    ws->phi = cc__malloc_array(n, sizeof(uint32_t));
    ws->bucket = cc__malloc_array(n, sizeof(uint32_t));
    ws->gain = cc__malloc_array(m, sizeof(double));
    ws->extra = cc__calloc_array(m, sizeof(double));
    ws->touched = cc__malloc_array(m, sizeof(uint32_t));
    ws->in_s = cc__calloc_array(m, 1);
    ws->bucket_first = cc__malloc_array((size_t)p + 2, sizeof(uint32_t));
    ws->aff = cc__malloc_array(n, sizeof(uint32_t));
    ws->aff_d1 = cc__malloc_array(n, sizeof(uint32_t));
    ws->cstamp = cc__calloc_array(n, sizeof(uint32_t));
    ws->T = cc__malloc_array((size_t)p + 2, sizeof(uint32_t));
    ws->in2 = cc__calloc_array(m, 1);
    ws->gj = cc__malloc_array(m, sizeof(gj));
    ws->acnt = cc__calloc_array(c->n_areas ? c->n_areas : 1, sizeof(uint32_t));
    bool cs_ok = ws->acnt && cc__cstate_init(ctx, c, &ws->cs) == CC_OK;
    if (!ws->d1 || !ws->d2 || !ws->phi || !ws->bucket || !ws->gain || !ws->extra || !ws->touched || !ws->in_s || !ws->bucket_first ||
        !ws->aff || !ws->aff_d1 || !ws->cstamp || !ws->T || !ws->in2 || !ws->gj || !cs_ok) {
        cc__fl_ws_free(ws);
        return cc__fail(ctx, CC_ERR_NOMEM, "Out of memory for the siting heuristics");
    }
    return CC_OK;
}

void cc__fl_ws_free(cc__fl_ws *ws)
{
    CC__FREE_ALL(ws->d1, ws->d2, ws->phi, ws->bucket, ws->gain, ws->extra, ws->touched, ws->in_s, ws->bucket_first,
                 ws->aff, ws->aff_d1, ws->cstamp, ws->T, ws->in2, ws->gj, ws->acnt);
    cc__cstate_free(&ws->cs);
    memset(ws, 0, sizeof(*ws));
}

static inline uint32_t cap_of(const cc__fl *fl, uint32_t c)
{
    return fl->cap ? fl->cap[c] : 1;
}

/* Objective decrease if j joins the sites behind d1. */
static inline double gain_of(const cc__fl *fl, const uint32_t *d1, uint32_t j)
{
    double g = 0;
    if (!fl->cost) {
        for (uint64_t e = fl->first[j]; e < fl->first[j + 1]; e++) {
            uint32_t c = fl->dem[e];
            if (d1[c]) g += fl->w[c];
        }
    } else {
        for (uint64_t e = fl->first[j]; e < fl->first[j + 1]; e++) {
            uint32_t c = fl->dem[e], t = fl->cost[e];
            if (t < d1[c]) g += fl->w[c] * (double)(d1[c] - t);
        }
    }
    return g;
}

static inline void add_site(const cc__fl *fl, uint32_t *d1, uint32_t j)
{
    for (uint64_t e = fl->first[j]; e < fl->first[j + 1]; e++) {
        uint32_t c = fl->dem[e], t = fl->cost ? fl->cost[e] : 0;
        if (t < d1[c]) d1[c] = t;
    }
}

static void reset_d1(const cc__fl *fl, uint32_t *d1)
{
    for (uint32_t c = 0; c < fl->n_dem; c++) d1[c] = cap_of(fl, c);
}

/* gain of every candidate behind d1, in parallel (each sum by one thread: deterministic) */
static void all_gains(const cc__fl *fl, const uint32_t *d1, double *gain, int threads)
{
    (void)threads;
#ifdef _OPENMP
#pragma omp parallel for schedule(dynamic, 64) num_threads(threads) if (fl->first[fl->n_cand] > 200000)
#endif
    for (uint32_t j = 0; j < fl->n_cand; j++) gain[j] = gain_of(fl, d1, j);
}

/* ---- lazy greedy ------------------------------------------------------------------------------- */

typedef struct hitem {
    double g;
    uint32_t j;
    uint32_t stamp;
} hitem;

static inline bool hbetter(hitem a, hitem b)
{
    return a.g > b.g || (a.g == b.g && a.j < b.j);
}

static void hdown(hitem *h, uint32_t n, uint32_t i)
{
    hitem it = h[i];
    for (;;) {
        uint32_t l = 2 * i + 1;
        if (l >= n) break;
        uint32_t b = l;
        if (l + 1 < n && hbetter(h[l + 1], h[l])) b = l + 1;
        if (!hbetter(h[b], it)) break;
        h[i] = h[b];
        i = b;
    }
    h[i] = it;
}

cc_status cc__fl_greedy(cc_ctx *ctx, const cc__fl *fl, const cc__cons *c, cc__fl_ws *ws, uint32_t *S, double *gain, uint32_t *q_out)
{
    cc__cstate cs = ws->cs;
    cc_status st;
    hitem *h = cc__malloc_array(fl->n_cand, sizeof(hitem));
    if (!h) return cc__fail(ctx, CC_ERR_NOMEM, "Out of memory for the greedy heap");
    cc__cstate_reset(c, &cs);
    reset_d1(fl, ws->d1);
    all_gains(fl, ws->d1, ws->gain, cc_ctx_get_threads(ctx));
    uint32_t n = fl->n_cand;
    for (uint32_t j = 0; j < n; j++) h[j] = (hitem){ws->gain[j], j, 0};
    for (uint32_t i = n / 2; i-- > 0;) hdown(h, n, i);
    uint32_t q = 0;
    bool forced = false;
    while (q < c->p && n > 0) {
        hitem top = h[0];
        uint32_t j = top.j, a = c->area ? c->area[j] : CC_INVALID_ID;
        bool drop = a != CC_INVALID_ID && cs.cnt[a] >= c->amax[a];
        if (!forced && cs.deficit >= c->p - q) forced = true;
        if (forced && (a == CC_INVALID_ID || cs.cnt[a] >= c->amin[a])) drop = true;
        if (drop) { /* never eligible again: areas only fill up, the forced phase lasts */
            h[0] = h[--n];
            if (n) hdown(h, n, 0);
            continue;
        }
        if (top.stamp != q) { /* stale: gains only shrink as sites are added */
            h[0].g = gain_of(fl, ws->d1, j);
            h[0].stamp = q;
            hdown(h, n, 0);
            continue;
        }
        if (!(top.g > 0) && !forced) {
            if (cs.deficit == 0) break;
            forced = true; /* nothing helps any more: fill the minima */
            continue;
        }
        h[0] = h[--n];
        if (n) hdown(h, n, 0);
        S[q] = j;
        gain[q] = top.g;
        add_site(fl, ws->d1, j);
        cc__cstate_add(c, &cs, j);
        q++;
    }
    st = cs.deficit ? cc__fail(ctx, CC_ERR_INTERNAL, "Greedy left %u area minima unmet", cs.deficit) : CC_OK;
    *q_out = q;
    free(h);
    return st;
}

/* ---- interchange ---------------------------------------------------------------------------------- */

/* d1, d2, phi of every class for the sites S; returns F(S). */
static double assign(const cc__fl *fl, cc__fl_ws *ws, const uint32_t *S, uint32_t q)
{
    for (uint32_t c = 0; c < fl->n_dem; c++) {
        ws->d1[c] = ws->d2[c] = cap_of(fl, c);
        ws->phi[c] = CC_INVALID_ID;
    }
    for (uint32_t s = 0; s < q; s++) {
        uint32_t j = S[s];
        for (uint64_t e = fl->first[j]; e < fl->first[j + 1]; e++) {
            uint32_t c = fl->dem[e], t = fl->cost ? fl->cost[e] : 0;
            if (t < ws->d1[c]) {
                ws->d2[c] = ws->d1[c];
                ws->d1[c] = t;
                ws->phi[c] = s;
            } else if (t < ws->d2[c]) {
                ws->d2[c] = t;
            }
        }
    }
    double f = fl->obj_const;
    for (uint32_t c = 0; c < fl->n_dem; c++) f += fl->w[c] * (double)ws->d1[c];
    return f;
}

int cc__fl_interchange(cc_ctx *ctx, const cc__fl *fl, const cc__cons *c, cc__fl_ws *ws, uint32_t *S, uint32_t *q_io)
{
    cc__cstate cs = ws->cs;
    cc__cstate_reset(c, &cs);
    uint32_t q = *q_io;
    const int threads = cc_ctx_get_threads(ctx);
    memset(ws->in_s, 0, fl->n_cand);
    for (uint32_t s = 0; s < q; s++) {
        ws->in_s[S[s]] = 1;
        cc__cstate_add(c, &cs, S[s]);
    }
    int moves = 0;
    double f = assign(fl, ws, S, q);
    /* gains once; after each move only the classes whose best time changed are revisited
     * (through the transpose), which costs a fraction of a pass over all pairs */
    all_gains(fl, ws->d1, ws->gain, threads);
    ws->evals += fl->first[fl->n_cand];
    for (int pass = 0; pass < 10000; pass++) {
        if (cc__interrupted(ctx)) break;
        const double eps = 1e-9 * (fabs(f) + 1.0);
        /* classes by the site that serves them */
        memset(ws->bucket_first, 0, ((size_t)q + 2) * sizeof(uint32_t));
        for (uint32_t cl = 0; cl < fl->n_dem; cl++)
            if (ws->phi[cl] != CC_INVALID_ID) ws->bucket_first[ws->phi[cl] + 2]++;
        for (uint32_t s = 0; s < q; s++) ws->bucket_first[s + 2] += ws->bucket_first[s + 1];
        for (uint32_t cl = 0; cl < fl->n_dem; cl++)
            if (ws->phi[cl] != CC_INVALID_ID) ws->bucket[ws->bucket_first[ws->phi[cl] + 1]++] = cl;
        double best = eps;
        uint32_t best_s = CC_INVALID_ID, best_k = CC_INVALID_ID;
        if (q < c->p)
            for (uint32_t k = 0; k < fl->n_cand; k++)
                if (!ws->in_s[k] && ws->gain[k] > best && cc__cstate_can_add(c, &cs, k)) {
                    best = ws->gain[k];
                    best_k = k;
                }
        for (uint32_t s = 0; s < q; s++) {
            double loss = 0;
            uint32_t nt = 0;
            for (uint32_t b = ws->bucket_first[s]; b < ws->bucket_first[s + 1]; b++) {
                uint32_t cl = ws->bucket[b];
                double wc = fl->w[cl];
                uint32_t d1 = ws->d1[cl], d2 = ws->d2[cl];
                if (d2 <= d1) continue; /* served as well without s: no loss, no extra */
                loss += wc * (double)(d2 - d1);
                for (uint64_t e = fl->dfirst[cl]; e < fl->dfirst[cl + 1]; e++) {
                    uint32_t t = fl->dcost ? fl->dcost[e] : 0;
                    uint32_t mx = t > d1 ? t : d1;
                    if (t >= d2 || mx >= d2) continue;
                    uint32_t k = fl->dcand[e];
                    if (ws->extra[k] == 0) ws->touched[nt++] = k;
                    ws->extra[k] += wc * (double)(d2 - mx);
                }
            }
            ws->evals += ws->bucket_first[s + 1] - ws->bucket_first[s];
            for (uint32_t k = 0; k < fl->n_cand; k++) {
                if (ws->in_s[k]) continue;
                double profit = ws->gain[k] + ws->extra[k] - loss;
                if (profit > best && cc__cstate_can_swap(c, &cs, S[s], k)) {
                    best = profit;
                    best_s = s;
                    best_k = k;
                }
            }
            for (uint32_t t = 0; t < nt; t++) ws->extra[ws->touched[t]] = 0;
        }
        if (best_k == CC_INVALID_ID) break;
        /* the classes the move can change, with their best time before it */
        uint32_t old = best_s == CC_INVALID_ID ? CC_INVALID_ID : S[best_s];
        uint32_t na = 0;
        if (++ws->cgen == 0) {
            memset(ws->cstamp, 0, (size_t)fl->n_dem * sizeof(uint32_t));
            ws->cgen = 1;
        }
        for (int side = 0; side < 2; side++) {
            uint32_t j = side ? best_k : old;
            if (j == CC_INVALID_ID) continue;
            for (uint64_t e = fl->first[j]; e < fl->first[j + 1]; e++) {
                uint32_t cl = fl->dem[e];
                if (ws->cstamp[cl] == ws->cgen) continue;
                ws->cstamp[cl] = ws->cgen;
                ws->aff[na] = cl;
                ws->aff_d1[na++] = ws->d1[cl];
            }
        }
        /* apply, and keep it only if the objective really went down */
        if (best_s == CC_INVALID_ID) {
            S[q++] = best_k;
            cc__cstate_add(c, &cs, best_k);
        } else {
            S[best_s] = best_k;
            cc__cstate_remove(c, &cs, old);
            cc__cstate_add(c, &cs, best_k);
            ws->in_s[old] = 0;
        }
        ws->in_s[best_k] = 1;
        double f2 = assign(fl, ws, S, q);
        if (!(f2 < f - 0.5 * eps)) {
            if (best_s == CC_INVALID_ID) {
                q--;
                cc__cstate_remove(c, &cs, best_k);
            } else {
                S[best_s] = old;
                cc__cstate_remove(c, &cs, best_k);
                cc__cstate_add(c, &cs, old);
                ws->in_s[old] = 1;
            }
            ws->in_s[best_k] = 0;
            assign(fl, ws, S, q);
            break;
        }
        f = f2;
        moves++;
        for (uint32_t a = 0; a < na; a++) {
            uint32_t cl = ws->aff[a], o1 = ws->aff_d1[a], n1 = ws->d1[cl];
            if (o1 == n1) continue;
            double wc = fl->w[cl];
            for (uint64_t e = fl->dfirst[cl]; e < fl->dfirst[cl + 1]; e++) {
                uint32_t t = fl->dcost ? fl->dcost[e] : 0;
                double d = (double)(n1 > t ? n1 - t : 0) - (double)(o1 > t ? o1 - t : 0);
                ws->gain[fl->dcand[e]] += wc * d;
            }
        }
    }
    *q_io = q;
    return moves;
}

/* ---- ranking and the online bound ------------------------------------------------------------------ */

void cc__fl_rank(const cc__fl *fl, cc__fl_ws *ws, uint32_t *S, uint32_t q, double *gain)
{
    reset_d1(fl, ws->d1);
    for (uint32_t r = 0; r < q; r++) {
        uint32_t bi = r;
        double bg = -1;
        for (uint32_t s = r; s < q; s++) {
            double g = gain_of(fl, ws->d1, S[s]);
            if (g > bg || (g == bg && S[s] < S[bi])) {
                bg = g;
                bi = s;
            }
        }
        uint32_t t = S[r];
        S[r] = S[bi];
        S[bi] = t;
        gain[r] = bg;
        add_site(fl, ws->d1, S[r]);
    }
}

static int cmp_gj(const void *a, const void *b)
{
    const gj *x = a, *y = b;
    if (x->g != y->g) return x->g > y->g ? -1 : 1;
    return x->j < y->j ? -1 : x->j > y->j;
}

double cc__fl_online_bound(const cc__fl *fl, const cc__cons *c, cc__fl_ws *ws, const uint32_t *S, uint32_t q)
{
    reset_d1(fl, ws->d1);
    for (uint32_t s = 0; s < q; s++) add_site(fl, ws->d1, S[s]);
    double f = fl->obj_const;
    for (uint32_t cl = 0; cl < fl->n_dem; cl++) f += fl->w[cl] * (double)ws->d1[cl];
    all_gains(fl, ws->d1, ws->gain, 1);
    gj *v = ws->gj;
    uint32_t *cnt = ws->acnt;
    if (c->n_areas) memset(cnt, 0, c->n_areas * sizeof(uint32_t));
    uint32_t n = 0;
    for (uint32_t j = 0; j < fl->n_cand; j++)
        if (ws->gain[j] > 0) v[n++] = (gj){ws->gain[j], j};
    qsort(v, n, sizeof(gj), cmp_gj);
    double sum = 0;
    uint32_t taken = 0;
    for (uint32_t t = 0; t < n && taken < c->p; t++) {
        uint32_t a = c->area ? c->area[v[t].j] : CC_INVALID_ID;
        if (a != CC_INVALID_ID) {
            if (cnt[a] >= c->amax[a]) continue;
            cnt[a]++;
        }
        sum += v[t].g;
        taken++;
    }
    double lb = f - sum;
    return lb > fl->obj_const ? lb : fl->obj_const;
}

/* ---- variable neighbourhood search ----------------------------------------------------------------- */

static inline uint64_t vns_rand(uint64_t *s)
{
    uint64_t z = (*s += 0x9e3779b97f4a7c15ULL);
    z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ULL;
    z = (z ^ (z >> 27)) * 0x94d049bb133111ebULL;
    return z ^ (z >> 31);
}

int cc__fl_vns(cc_ctx *ctx, const cc__fl *fl, const cc__cons *c, cc__fl_ws *ws, uint32_t *S, uint32_t *q_io, int iters, double f_stop,
               bool deep)
{
    uint32_t q = *q_io;
    if (q == 0 || fl->n_cand <= q) return 0;
    uint32_t *T = ws->T;
    uint8_t *in = ws->in2;
    uint64_t rng = 0x5eed5eedULL ^ ((uint64_t)fl->n_cand << 20) ^ q;
    double f = cc__fl_eval(fl, S, q, ws->d1);
    uint32_t kmax = deep ? (q / 10 < 3 ? 3 : q / 10 > 10 ? 10 : q / 10) : 3;
    if (kmax > q) kmax = q;
    const int idle_max = deep ? 200 : 30;
    uint32_t k = 1;
    int improved = 0, idle = 0;
    for (int it = 0; it < iters && f > f_stop && idle < idle_max; it++) {
        if (cc__interrupted(ctx)) break;
        /* shake: k random swaps that keep the limits */
        uint32_t qt = q;
        memcpy(T, S, q * sizeof(uint32_t));
        cc__cstate cs = ws->cs; /* (the interchange below reuses it) */
        cc__cstate_reset(c, &cs);
        memset(in, 0, fl->n_cand);
        for (uint32_t s = 0; s < qt; s++) {
            cc__cstate_add(c, &cs, T[s]);
            in[T[s]] = 1;
        }
        for (uint32_t m = 0; m < k; m++) {
            for (int tries = 0; tries < 32; tries++) {
                uint32_t s = (uint32_t)(vns_rand(&rng) % qt), j = (uint32_t)(vns_rand(&rng) % fl->n_cand);
                if (in[j] || !cc__cstate_can_swap(c, &cs, T[s], j)) continue;
                cc__cstate_remove(c, &cs, T[s]);
                cc__cstate_add(c, &cs, j);
                in[T[s]] = 0;
                in[j] = 1;
                T[s] = j;
                break;
            }
        }
        cc__fl_interchange(ctx, fl, c, ws, T, &qt);
        double ft = cc__fl_eval(fl, T, qt, ws->d1);
        if (ft < f - 1e-9 * (fabs(f) + 1.0)) {
            memcpy(S, T, qt * sizeof(uint32_t));
            q = qt;
            f = ft;
            k = 1;
            improved++;
            idle = 0;
        } else {
            k = k % kmax + 1;
            idle++;
        }
    }
    *q_io = q;
    return improved;
}
