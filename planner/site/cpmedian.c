/*
 * cpmedian.c - the capacitated p-median: at most p new sites, each serving at most C_j persons,
 * minimising the population-weighted mean time (capped at the search radius, as the p-median).
 * Assignment is fractional: the people of one demand class may be split between sites. A person
 * keeps the base time (nearest uncapacitated existing facility, or the radius) unless a site with
 * room takes them; capacitated existing facilities (inst->n_fixed) are sites that are always open,
 * outside the budget (j >= nnew in the reduced instance).
 *
 * With s_e = base_i - t_ij > 0 the time saved along pair e = (j, i), the mean time is
 * (sum_i w_i base_i - G(S)) / W with
 *
 *     G(S) = max  sum_e s_e y_e   s.t.  sum_j y_ij <= w_i,  sum_i y_ij <= C_j (j in S or existing),  y >= 0,
 *
 * a transportation problem, solved exactly as a minimum-cost flow (source -> site, capacity C_j ->
 * class, cost -s_e -> sink, capacity w_i) by successive shortest paths with potentials (Dijkstra
 * on reduced costs; Edmonds & Karp 1972), stopping when the cheapest path no longer saves time.
 * G is the value of an assignment game in the set of open sites, a monotone submodular function
 * (Shapley 1962: the optimal assignment is submodular in one side; sites with capacity C_j are
 * groups of unit copies), so, as for the capacitated MCLP:
 *  - heuristic: lazy greedy on G (each gain continues the flow of S with the site added), then
 *    swaps of one site for one candidate within a budget of flow evaluations;
 *  - bound: min of the data-dependent submodular bound G(S) + the p largest gains w.r.t. S
 *    (Nemhauser, Wolsey & Fisher 1978) and the LP relaxation of the integer programme (GLPK, the
 *    programme of cmclp.c with s_e as objective coefficients) when small;
 *  - exact: that programme by GLPK's branch and bound.
 */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "site_internal.h"

typedef struct mcf {
    const cc__fl *fl;
    uint32_t nc, nnew, nd;
    uint64_t np;
    const double *cap;
    double *sav;              /* per pair: time saved, ms (base - time) */
    uint64_t *tfirst, *tpair; /* class -> pairs */
    uint32_t *pcand;
    double *f, *out, *in, *basef, *pi; /* flow per pair, into each site, out of each class, on each class's base arc; potentials */
    uint8_t *open;
    double total;             /* G, person-ms saved */
    double eps;
    /* Dijkstra */
    double *dist;
    uint64_t *pred;           /* per node: the pair along which it was reached (UINT64_MAX: none) */
    uint32_t *pred_node;
    uint32_t *seen, *fin, gen; /* per node: dist valid / settled in search gen */
    uint32_t *settled;
    size_t n_settled;
    uint32_t *heap_n;         /* lazy binary heap of (dist, node) */
    double *heap_d;
    size_t heap_len, heap_cap;
    uint64_t work;            /* heap pops, for the search budget */
} mcf;

/* The network: source -> class i (capacity w_i) -> site j along pair e (cost t_e) -> sink (capacity
 * C_j), and class i -> sink directly at its base time (no limit): every person is routed, to a site
 * with room or to the base time; all costs are >= 0, so successive shortest paths from the zero
 * flow with potentials give the minimum cost (Edmonds & Karp 1972). Adding a site to an optimal
 * flow creates negative cycles rather than paths, so every set is solved from the zero flow.
 * Nodes: 0 source, 1 + j sites, 1 + nc + i classes, 1 + nc + nd sink. */
#define NS(c) 0u
#define NJ(c, j) (1u + (j))
#define NI(c, i) (1u + (c)->nc + (i))
#define NT(c) (1u + (c)->nc + (c)->nd)
#define BASE_ARC UINT64_MAX - 1 /* pred of the sink reached along a class's base arc */

static void mcf_free(mcf *c)
{
    CC__FREE_ALL(c->sav, c->tfirst, c->tpair, c->pcand, c->f, c->out, c->in, c->basef, c->pi, c->open, c->dist, c->pred, c->pred_node, c->seen, c->fin, c->settled,
                 c->heap_n, c->heap_d);
}

static size_t mcf_nodes(const mcf *c)
{
    return (size_t)c->nc + c->nd + 2;
}

static cc_status mcf_init(cc_ctx *ctx, const cc__fl *fl, const double *cap, uint32_t nnew, mcf *c)
{
    memset(c, 0, sizeof(*c));
    c->fl = fl;
    c->nc = fl->n_cand;
    c->nnew = nnew;
    c->nd = fl->n_dem;
    c->np = fl->first[fl->n_cand];
    c->cap = cap;
    size_t np = c->np ? c->np : 1, nn = mcf_nodes(c);
    c->sav = cc__malloc_array(np, sizeof(double));
    c->tfirst = cc__calloc_array((size_t)c->nd + 2, sizeof(uint64_t));
    c->tpair = cc__malloc_array(np, sizeof(uint64_t));
    c->pcand = cc__malloc_array(np, sizeof(uint32_t));
    c->f = cc__calloc_array(np, sizeof(double));
    c->out = cc__calloc_array((size_t)c->nc + 1, sizeof(double));
    c->in = cc__calloc_array((size_t)c->nd + 1, sizeof(double));
    c->basef = cc__calloc_array((size_t)c->nd + 1, sizeof(double));
    c->pi = cc__calloc_array(nn, sizeof(double));
    c->open = cc__calloc_array((size_t)c->nc + 1, 1);
    c->dist = cc__malloc_array(nn, sizeof(double));
    c->pred = cc__malloc_array(nn, sizeof(uint64_t));
    c->pred_node = cc__malloc_array(nn, sizeof(uint32_t));
    c->seen = cc__calloc_array(nn, sizeof(uint32_t));
    c->fin = cc__calloc_array(nn, sizeof(uint32_t));
    c->settled = cc__malloc_array(nn, sizeof(uint32_t));
    c->heap_cap = 2 * np + 2 * nn + 1;
    c->heap_n = cc__malloc_array(c->heap_cap, sizeof(uint32_t));
    c->heap_d = cc__malloc_array(c->heap_cap, sizeof(double));
    if (!c->sav || !c->tfirst || !c->tpair || !c->pcand || !c->f || !c->out || !c->in || !c->basef || !c->pi || !c->open || !c->dist || !c->pred ||
        !c->pred_node || !c->seen || !c->fin || !c->settled || !c->heap_n || !c->heap_d) {
        mcf_free(c);
        return cc__fail(ctx, CC_ERR_NOMEM, "Out of memory for the capacitated p-median");
    }
    double wmax = 0;
    for (uint32_t i = 0; i < c->nd; i++) wmax = fmax(wmax, fl->w[i]);
    c->eps = 1e-9 * fmax(1.0, wmax);
    for (uint32_t j = 0; j < c->nc; j++)
        for (uint64_t e = fl->first[j]; e < fl->first[j + 1]; e++) {
            uint32_t i = fl->dem[e];
            c->pcand[e] = j;
            c->sav[e] = (double)fl->cap[i] - (double)fl->cost[e];
            c->tfirst[i + 1]++;
        }
    for (uint32_t i = 0; i < c->nd; i++) c->tfirst[i + 1] += c->tfirst[i];
    uint64_t *pos = cc__malloc_array((size_t)c->nd + 1, sizeof(uint64_t));
    if (!pos) {
        mcf_free(c);
        return cc__fail(ctx, CC_ERR_NOMEM, "Out of memory for the capacitated p-median");
    }
    memcpy(pos, c->tfirst, (size_t)c->nd * sizeof(uint64_t));
    for (uint64_t e = 0; e < c->np; e++) c->tpair[pos[fl->dem[e]]++] = e;
    free(pos);
    for (uint32_t j = nnew; j < c->nc; j++) c->open[j] = 1; /* the capacitated existing sites */
    return CC_OK;
}

static void heap_push(mcf *c, uint32_t v, double d)
{
    size_t k = c->heap_len++;
    while (k > 0) {
        size_t p = (k - 1) / 2;
        if (c->heap_d[p] <= d) break;
        c->heap_d[k] = c->heap_d[p];
        c->heap_n[k] = c->heap_n[p];
        k = p;
    }
    c->heap_d[k] = d;
    c->heap_n[k] = v;
}

static uint32_t heap_pop(mcf *c)
{
    uint32_t top = c->heap_n[0];
    size_t n = --c->heap_len;
    if (!n) return top;
    double d = c->heap_d[n];
    uint32_t v = c->heap_n[n];
    size_t k = 0;
    for (;;) {
        size_t l = 2 * k + 1;
        if (l >= n) break;
        if (l + 1 < n && c->heap_d[l + 1] < c->heap_d[l]) l++;
        if (c->heap_d[l] >= d) break;
        c->heap_d[k] = c->heap_d[l];
        c->heap_n[k] = c->heap_n[l];
        k = l;
    }
    c->heap_d[k] = d;
    c->heap_n[k] = v;
    return top;
}

static void relax(mcf *c, uint32_t v, double d, uint32_t from, uint64_t pred)
{
    if (c->seen[v] != c->gen) {
        c->seen[v] = c->gen;
        c->dist[v] = INFINITY;
    }
    if (c->fin[v] == c->gen || !(d < c->dist[v])) return;
    c->dist[v] = d;
    c->pred[v] = pred;
    c->pred_node[v] = from;
    heap_push(c, v, d);
}

/* One shortest path on reduced costs (all >= 0) from class node src to the sink (the successive
 * shortest path algorithm may start each path at any node with supply left; Ahuja, Magnanti &
 * Orlin 1993, 9.7); false when the sink is not reached. The potentials of the settled nodes grow
 * by their distance minus the sink's (the others by 0: only differences matter), so reduced costs
 * stay >= 0 (rounding is clamped at 0). Only the nodes it touches cost time. */
static bool dijkstra(mcf *c, uint32_t src)
{
    const cc__fl *fl = c->fl;
    c->gen++;
    c->heap_len = 0;
    c->n_settled = 0;
    const uint32_t t = NT(c);
    relax(c, src, 0, src, UINT64_MAX);
    bool found = false;
    while (c->heap_len) {
        uint32_t u = heap_pop(c);
        if (c->fin[u] == c->gen) continue;
        c->fin[u] = c->gen;
        c->settled[c->n_settled++] = u;
        c->work++;
        if (u == t) {
            found = true;
            break;
        }
        double du = c->dist[u], pu = c->pi[u];
        if (u <= c->nc) { /* a site: to the sink when it has room, back to the classes it serves */
            uint32_t j = u - 1;
            if (c->cap[j] - c->out[j] > c->eps) {
                relax(c, t, du + fmax(0.0, pu - c->pi[t]), u, UINT64_MAX);
                if (c->dist[t] <= du) continue; /* the sink is next: nothing beyond this node is shorter */
            }
            for (uint64_t e = fl->first[j]; e < fl->first[j + 1]; e++) {
                if (!(c->f[e] > c->eps)) continue;
                uint32_t v = NI(c, fl->dem[e]);
                relax(c, v, du + fmax(0.0, -(double)fl->cost[e] + pu - c->pi[v]), u, e);
            }
        } else { /* a class: to its base time, or to an open site that reaches it */
            uint32_t i = u - 1 - c->nc;
            relax(c, t, du + fmax(0.0, (double)fl->cap[i] + pu - c->pi[t]), u, BASE_ARC);
            if (c->dist[t] <= du) continue;
            for (uint64_t k = c->tfirst[i]; k < c->tfirst[i + 1]; k++) {
                uint64_t e = c->tpair[k];
                uint32_t j = c->pcand[e];
                if (!c->open[j]) continue;
                relax(c, NJ(c, j), du + fmax(0.0, (double)fl->cost[e] + pu - c->pi[NJ(c, j)]), u, e);
            }
        }
    }
    if (!found) return false;
    double D = c->dist[t];
    for (size_t k = 0; k < c->n_settled; k++) {
        uint32_t v = c->settled[k];
        c->pi[v] += c->dist[v] - D;
    }
    return true;
}

/* The minimum-cost routing of everyone for the open sites, from the zero flow, one class after
 * the other: G = the person-ms saved against everyone at the base time. */
static double mcf_eval(mcf *c)
{
    const cc__fl *fl = c->fl;
    memset(c->f, 0, (size_t)(c->np ? c->np : 1) * sizeof(double));
    memset(c->out, 0, ((size_t)c->nc + 1) * sizeof(double));
    memset(c->in, 0, ((size_t)c->nd + 1) * sizeof(double));
    memset(c->basef, 0, ((size_t)c->nd + 1) * sizeof(double));
    memset(c->pi, 0, mcf_nodes(c) * sizeof(double));
    const uint32_t t = NT(c);
    for (uint32_t i0 = 0; i0 < c->nd; i0++) {
        const uint32_t src = NI(c, i0);
        bool any = false; /* no open site reaches the class: its only path is its base time (no search, potentials unchanged) */
        for (uint64_t k = c->tfirst[i0]; k < c->tfirst[i0 + 1] && !any; k++) any = c->open[c->pcand[c->tpair[k]]] != 0;
        if (!any) {
            c->basef[i0] = fl->w[i0];
            c->in[i0] = fl->w[i0];
            continue;
        }
        while (fl->w[i0] - c->in[i0] > c->eps && dijkstra(c, src)) {
            double b = fl->w[i0] - c->in[i0];
            for (uint32_t v = t; v != src;) {
                uint32_t u = c->pred_node[v];
                uint64_t e = c->pred[v];
                if (v == t) {
                    if (e != BASE_ARC) b = fmin(b, c->cap[u - 1] - c->out[u - 1]);
                } else if (v > c->nc) { /* a class, from a site backwards along pair e */
                    b = fmin(b, c->f[e]);
                }
                v = u;
            }
            if (!(b > c->eps)) break; /* only rounding is left */
            for (uint32_t v = t; v != src;) {
                uint32_t u = c->pred_node[v];
                uint64_t e = c->pred[v];
                if (v == t) {
                    if (e == BASE_ARC)
                        c->basef[u - 1 - c->nc] += b;
                    else
                        c->out[u - 1] += b;
                } else if (v > c->nc) {
                    c->f[e] = fmax(0.0, c->f[e] - b);
                } else {
                    c->f[e] += b;
                }
                v = u;
            }
            c->in[i0] += b;
        }
    }
    double g = 0;
    for (uint64_t e = 0; e < c->np; e++) g += c->f[e] * c->sav[e];
    c->total = g;
    return g;
}

/* G(S) (the flow of S, the capacitated existing sites open, stays in the state). */
static double mcf_value(mcf *c, const uint32_t *S, uint32_t q)
{
    memset(c->open, 0, c->nnew);
    for (uint32_t k = 0; k < q; k++) c->open[S[k]] = 1;
    return mcf_eval(c);
}

/* Gain of opening j on top of the open sites, whose value is G. */
static double mcf_gain(mcf *c, uint32_t j, double G)
{
    if (c->open[j]) return 0;
    c->open[j] = 1;
    double g = mcf_eval(c) - G;
    c->open[j] = 0;
    return g;
}

static int cmp_desc(const void *a, const void *b)
{
    double x = *(const double *)a, y = *(const double *)b;
    return x > y ? -1 : x < y;
}

/* Lazy greedy on G (submodular): S gets up to p sites, gain[k] their gains; the state ends as
 * the optimal flow of S. */
static uint32_t greedy(mcf *c, uint32_t p, double *ub, uint32_t *S, double *gain)
{
    const cc__fl *fl = c->fl;
    double Gs = mcf_value(c, NULL, 0);
    for (uint32_t j = 0; j < c->nnew; j++) {
        double a = 0;
        for (uint64_t e = fl->first[j]; e < fl->first[j + 1]; e++) a += fl->w[fl->dem[e]] * c->sav[e];
        ub[j] = a; /* alone and uncapacitated: an upper bound on any gain */
    }
    uint32_t q = 0;
    while (q < p) {
        uint32_t best = CC_INVALID_ID;
        double bg = 0;
        for (;;) {
            uint32_t top = CC_INVALID_ID;
            for (uint32_t j = 0; j < c->nnew; j++)
                if (!c->open[j] && ub[j] > 0 && (top == CC_INVALID_ID || ub[j] > ub[top])) top = j;
            if (top == CC_INVALID_ID) break;
            double g = mcf_gain(c, top, Gs);
            ub[top] = g;
            double next = 0;
            for (uint32_t j = 0; j < c->nnew; j++)
                if (!c->open[j] && j != top && ub[j] > next) next = ub[j];
            if (g >= next - 1e-12 * (next + 1)) {
                best = top;
                bg = g;
                break;
            }
        }
        if (best == CC_INVALID_ID || !(bg > 0)) break;
        c->open[best] = 1;
        Gs += bg;
        S[q] = best;
        gain[q] = bg;
        q++;
    }
    mcf_value(c, S, q);
    return q;
}

/* Swaps of one site for one candidate, best improvement per pass, within a budget of heap pops
 * (deterministic); *stopped when it ran out. */
#define CPMEDIAN_SWAP_WORK 200000000ULL
static int swaps(mcf *c, uint32_t *S, uint32_t q, double *G, uint8_t *in_s, bool *stopped)
{
    int moves = 0;
    *stopped = false;
    c->work = 0;
    for (int pass = 0; pass < 100 && !*stopped; pass++) {
        double best = *G;
        uint32_t bk = 0, bj = CC_INVALID_ID;
        for (uint32_t k = 0; k < q && !*stopped; k++) {
            uint32_t old = S[k];
            for (uint32_t j = 0; j < c->nnew; j++) {
                if (in_s[j]) continue;
                if (c->work > CPMEDIAN_SWAP_WORK) {
                    *stopped = true;
                    break;
                }
                S[k] = j;
                double v = mcf_value(c, S, q);
                if (v > best + 1e-9 * (best + 1)) {
                    best = v;
                    bk = k;
                    bj = j;
                }
            }
            S[k] = old;
        }
        if (bj == CC_INVALID_ID) break;
        in_s[S[bk]] = 0;
        S[bk] = bj;
        in_s[bj] = 1;
        *G = best;
        moves++;
    }
    mcf_value(c, S, q);
    return moves;
}

/* Data-dependent submodular bound: G(S) + the p largest gains w.r.t. S (an upper bound on G). */
static double online_bound(mcf *c, const uint32_t *S, uint32_t q, uint32_t p, double *scratch)
{
    double G = mcf_value(c, S, q);
    uint32_t n = 0;
    for (uint32_t j = 0; j < c->nnew; j++)
        if (!c->open[j]) scratch[n++] = mcf_gain(c, j, G);
    qsort(scratch, n, sizeof(double), cmp_desc);
    double b = G;
    for (uint32_t k = 0; k < p && k < n; k++) b += scratch[k];
    return b;
}

static cc_status check_params(cc_ctx *ctx, const cc_site_instance *in, const cc_site_params *pr)
{
    const uint32_t nc = in->n_candidates;
    if (!pr->p) return cc__fail(ctx, CC_ERR_PARAM, "Parameter p is 0: give at least one new site");
    if (!in->time_ms || !in->base_time_ms) return cc__fail(ctx, CC_ERR_PARAM, "The cpmedian model needs pair times and base times");
    if (!in->capacity && !(pr->capacity_persons > 0 && isfinite(pr->capacity_persons)))
        return cc__fail(ctx, CC_ERR_PARAM, "Parameter capacity_persons is %g: give the persons one new site can serve, above 0", pr->capacity_persons);
    for (uint32_t j = 0; in->capacity && j < nc; j++)
        if (!(in->capacity[j] >= 0) || !isfinite(in->capacity[j]))
            return cc__fail(ctx, CC_ERR_PARAM, "Candidate %u has capacity %g (parameter capacity_persons): capacities must be finite and not negative", j,
                            in->capacity[j]);
    for (uint32_t k = 0; k < in->n_fixed; k++)
        if (!in->fixed_capacity || !(in->fixed_capacity[k] >= 0) || !isfinite(in->fixed_capacity[k]))
            return cc__fail(ctx, CC_ERR_PARAM, "Existing facility %u has capacity %g: capacities must be finite and not negative", k,
                            in->fixed_capacity ? in->fixed_capacity[k] : NAN);
    if (in->n_fixed && !in->fixed_first) return cc__fail(ctx, CC_ERR_PARAM, "The capacitated existing facilities lack their coverage sets");
    if (in->area) return cc__fail(ctx, CC_ERR_PARAM, "The capacitated model takes no per-area limits");
    if (pr->p > nc) return cc__fail(ctx, CC_ERR_PARAM, "Parameter p (%u) is more than the %u candidate sites", pr->p, nc);
    return CC_OK;
}

/* Rank the q sites of S: each saves the most on top of those before it. */
static void rank_sites(mcf *c, const uint32_t *S, uint32_t q, uint8_t *in_s, cc__sol *si)
{
    double Gs = mcf_value(c, NULL, 0);
    for (uint32_t r = 0; r < q; r++) {
        uint32_t best = CC_INVALID_ID;
        double bg = -1;
        for (uint32_t k = 0; k < q; k++) {
            if (in_s[S[k]]) continue;
            double g = mcf_gain(c, S[k], Gs);
            if (g > bg + 1e-12 * (fabs(bg) + 1)) {
                bg = g;
                best = S[k];
            }
        }
        in_s[best] = 1;
        c->open[best] = 1;
        Gs += bg;
        si->sites[r] = best;
        si->gain[r] = bg / 1000.0; /* person-seconds */
    }
    mcf_eval(c); /* the flow of all of S stays in the state */
}

/* Figures of the final flow: 90th percentile of the times (each class split along its flows, the
 * rest at its base time), the people at the radius, and those at the radius although an open site
 * reaches them (its capacity is used up). */
static cc_status flow_figures(cc_ctx *ctx, const mcf *c, uint32_t radius, double *p90, double *at_r, double *unserved)
{
    const cc__fl *fl = c->fl;
    size_t n = (size_t)c->np + c->nd + fl->n_np;
    cc__tw *v = cc__malloc_array(n ? n : 1, sizeof(cc__tw));
    if (!v) return cc__fail(ctx, CC_ERR_NOMEM, "Out of memory for the capacitated p-median");
    size_t k = 0;
    double tot = 0;
    *at_r = *unserved = 0;
    for (uint32_t i = 0; i < c->nd; i++) {
        double rest = fl->w[i];
        bool reached = false;
        for (uint64_t q = c->tfirst[i]; q < c->tfirst[i + 1]; q++) {
            uint64_t e = c->tpair[q];
            reached |= c->open[c->pcand[e]] != 0;
            if (c->f[e] > 0) {
                v[k++] = (cc__tw){fl->cost[e], c->f[e]};
                rest -= c->f[e];
            }
        }
        if (rest < 0) rest = 0;
        v[k++] = (cc__tw){fl->cap[i], rest};
        if (radius && fl->cap[i] >= radius && reached) *unserved += rest;
    }
    for (size_t i = 0; i < fl->n_np; i++) v[k++] = (cc__tw){fl->np_cap[i], fl->np_w[i]};
    for (size_t i = 0; i < k; i++) {
        tot += v[i].w;
        if (radius && v[i].t >= radius) *at_r += v[i].w;
    }
    *p90 = cc__tw_quantile(v, k, 0.9, tot);
    free(v);
    return CC_OK;
}

cc_status cc__solve_cpmedian(cc_ctx *ctx, const cc_site_instance *in, const cc_site_params *pr, cc__sol **out)
{
    *out = NULL;
    const uint32_t nnew = in->n_candidates, nc = nnew + in->n_fixed;
    cc_status st = check_params(ctx, in, pr);
    if (st) return st;
    double t0 = cc__now();
    cc__fl fl = {0};
    mcf c = {0};
    cc__sol *si = NULL;
    double *cap = NULL, *ub = NULL, *gain = NULL, *scratch = NULL;
    uint32_t *S = NULL, *S2 = NULL;
    uint8_t *in_s = NULL;
    uint64_t *first = NULL;
    uint32_t *dem = NULL, *tms = NULL;
    if ((st = cc__with_fixed(ctx, in, &first, &dem, &tms))) return st;
    st = cc__fl_reduce(ctx, nc, in->n_demand, first ? first : in->first, first ? dem : in->demand, first ? tms : in->time_ms, in->base_time_ms,
                       in->weight, NULL, in->base_time_ms, &fl);
    CC__FREE_ALL(first, dem, tms);
    if (st) return st;
    double t_red = cc__now() - t0;
    cap = cc__malloc_array((size_t)nc + 1, sizeof(double));
    ub = cc__malloc_array((size_t)nc + 1, sizeof(double));
    gain = cc__malloc_array((size_t)nc + 1, sizeof(double));
    scratch = cc__malloc_array((size_t)nc + 1, sizeof(double));
    S = cc__malloc_array((size_t)nc + 1, sizeof(uint32_t));
    S2 = cc__malloc_array((size_t)nc + 1, sizeof(uint32_t));
    in_s = cc__calloc_array((size_t)nc + 1, 1);
    if (!cap || !ub || !gain || !scratch || !S || !S2 || !in_s) {
        st = cc__fail(ctx, CC_ERR_NOMEM, "Out of memory for the capacitated p-median");
        goto out;
    }
    for (uint32_t j = 0; j < nnew; j++) cap[j] = in->capacity ? in->capacity[j] : pr->capacity_persons;
    for (uint32_t j = nnew; j < nc; j++) cap[j] = in->fixed_capacity[j - nnew];
    if ((st = mcf_init(ctx, &fl, cap, nnew, &c))) goto out;
    /* the cost without any site taking anyone: every class at its base time */
    double base = fl.obj_const, w_all = fl.w_total + fl.w_nopair;
    for (uint32_t i = 0; i < fl.n_dem; i++) base += fl.w[i] * (double)fl.cap[i];
    double total;
    {
        double cb_unused;
        cc__site_weights(in, false, &cb_unused, &total);
    }
    const double G0 = mcf_value(&c, NULL, 0);
    /* heuristic */
    double t1 = cc__now();
    uint32_t q = greedy(&c, pr->p, ub, S, gain);
    double G = c.total, Gg = G;
    for (uint32_t k = 0; k < q; k++) in_s[S[k]] = 1;
    int moves = 0;
    bool stopped = false;
    if (q) moves = swaps(&c, S, q, &G, in_s, &stopped);
    double t_heur = cc__now() - t1;
    /* bound on G */
    t1 = cc__now();
    double bound = online_bound(&c, S, q, pr->p, scratch);
    const char *method = "greedy-submodular";
    size_t lp_max = pr->lp_max_nonzeros ? pr->lp_max_nonzeros : 100000;
    if (bound - G > 1e-9 * (fabs(G) + 1) && cc__cap_glpk_nonzeros(&fl) <= lp_max) {
        double v, b;
        if ((st = cc__cap_glpk(ctx, &fl, cap, nnew, c.sav, pr->p, false, 60, &v, &b, NULL, NULL, NULL))) goto out;
        if (b < bound) {
            bound = b;
            method = "lp";
        }
    }
    double t_bound = cc__now() - t1, t_exact = 0;
    bool proven = false;
    if (pr->exact) {
        t1 = cc__now();
        size_t mip_max = pr->exact_max_nonzeros ? pr->exact_max_nonzeros : 2000000;
        if (cc__cap_glpk_nonzeros(&fl) > mip_max) {
            st = cc__fail(ctx, CC_ERR_LIMIT,
                          "The capacitated p-median programme has %zu non-zeros (%u candidates, %u demand classes), above the limit of %zu for an "
                          "exact solve; drop parameter exact (the bound and gap still come with the answer) or reduce the candidates",
                          cc__cap_glpk_nonzeros(&fl), nnew, fl.n_dem, mip_max);
            goto out;
        }
        double v, b;
        uint32_t q2 = 0;
        if ((st = cc__cap_glpk(ctx, &fl, cap, nnew, c.sav, pr->p, true, pr->time_limit_s, &v, &b, &proven, S2, &q2))) goto out;
        double G2 = mcf_value(&c, S2, q2);
        if (G2 > G + 1e-9 * (fabs(G) + 1)) {
            memcpy(S, S2, q2 * sizeof(uint32_t));
            q = q2;
            G = G2;
        }
        if (proven)
            bound = fmax(G, b);
        else if (b < bound) {
            bound = b;
            method = "lp";
        }
        t_exact = cc__now() - t1;
    }
    bound = fmax(bound, G);
    if ((st = cc__sol_new(ctx, pr, q, 0, &si))) goto out;
    if (!(si->served = cc__malloc_array(q ? q : 1, sizeof(double)))) {
        st = cc__fail(ctx, CC_ERR_NOMEM, "Out of memory for the capacitated p-median");
        goto out;
    }
    memset(in_s, 0, (size_t)nc + 1);
    rank_sites(&c, S, q, in_s, si);
    for (uint32_t r = 0; r < q; r++) si->served[r] = c.out[si->sites[r]];
    double p90 = 0, at_r = 0, unserved = 0;
    if ((st = flow_figures(ctx, &c, in->radius_ms, &p90, &at_r, &unserved))) goto out;
    cc_site_solution *s = &si->pub;
    double mean = w_all > 0 ? (base - c.total) / w_all / 1000.0 : 0, lb = w_all > 0 ? (base - bound) / w_all / 1000.0 : 0;
    s->site_served = si->served;
    s->objective = mean;
    s->bound = fmin(lb, mean);
    s->objective_greedy = w_all > 0 ? (base - Gg) / w_all / 1000.0 : 0;
    s->gap = mean - s->bound <= 1e-9 * (mean + 1) ? 0.0 : mean > 0 ? (mean - s->bound) / mean : INFINITY;
    s->proven_optimal = s->gap == 0;
    s->bound_method = proven ? "mip" : method;
    s->covered_before = w_all > 0 ? (base - G0) / w_all / 1000.0 : 0; /* mean time before, s (capacities respected) */
    s->total_weight = total;
    s->p90_s = p90 / 1000.0;
    s->unreachable_weight = at_r;
    s->unserved_within = unserved;
    s->swaps = moves;
    s->local_search_skipped = stopped;
    s->demand_classes = fl.n_dem;
    s->pairs_reduced = fl.first[fl.n_cand];
    s->t_reduce_s = t_red;
    s->t_heuristic_s = t_heur;
    s->t_bound_s = t_bound;
    s->t_exact_s = t_exact;
    s->t_total_s = cc__now() - t0;
    *out = si;
    si = NULL;
out:
    cc_site_solution_destroy(si ? &si->pub : NULL);
    mcf_free(&c);
    cc__fl_free(&fl);
    CC__FREE_ALL(cap, ub, gain, scratch, S, S2, in_s);
    return st;
}
