/*
 * pcenter.c - p-centre: binary search over the distinct times, each trial radius a covering
 * problem solved by the MCLP heuristic with unit weights (Daskin 1995, ch. 5; Minieka 1970); a
 * radius is proven infeasible when the MCLP bound at that radius leaves demand uncovered.
 */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "site_internal.h"

/* ---- p-centre ------------------------------------------------------------------------------------- */

typedef struct pc {
    cc__solver *base;       /* the timed instance */
    uint32_t *radii;
    size_t n_radii;
    uint64_t *f2;       /* scratch CSR for a trial radius */
    uint32_t *d2;
    double *w1;
    uint8_t *skip;
} pc;

/* Coverage instance at radius r: class c must be covered when cap_c > r; j covers it when
 * cost_jc <= r. Unit weight per class of the timed instance. */
static cc_status pc_instance(pc *P, uint32_t r, cc__solver *sv)
{
    const cc__fl *tf = &P->base->fl;
    uint64_t k = 0;
    P->f2[0] = 0;
    for (uint32_t j = 0; j < tf->n_cand; j++) {
        for (uint64_t e = tf->first[j]; e < tf->first[j + 1]; e++) {
            uint32_t c = tf->dem[e];
            if (tf->cost[e] <= r && tf->cap[c] > r) P->d2[k++] = c;
        }
        P->f2[j + 1] = k;
    }
    for (uint32_t c = 0; c < tf->n_dem; c++) P->skip[c] = !(tf->cap[c] > r);
    cc__fl_free(&sv->fl);
    return cc__fl_reduce(sv->ctx, tf->n_cand, tf->n_dem, P->f2, P->d2, NULL, NULL, P->w1, P->skip, NULL, &sv->fl);
}

/* Objective of S on the timed instance: the worst time (ms). */
static uint32_t pc_worst(const cc__fl *tf, const uint32_t *S, uint32_t q, uint32_t *d1)
{
    cc__fl_eval(tf, S, q, d1);
    uint32_t z = tf->max_cap_nopair;
    for (uint32_t c = 0; c < tf->n_dem; c++)
        if (d1[c] > z) z = d1[c];
    return z;
}

typedef struct pc_trial {
    bool feasible;     /* the heuristic covered everything */
    bool infeasible;   /* proven: no set of p sites covers everything */
    uint32_t q;
} pc_trial;

static cc_status pc_try(pc *P, cc__solver *sv, uint32_t ri, uint32_t p, bool exact, bool prove, uint32_t *S_out, pc_trial *t)
{
    cc_status st;
    memset(t, 0, sizeof(*t));
    if ((st = pc_instance(P, P->radii[ri], sv))) return st;
    if (sv->fl.w_nopair > 0) { /* demand that no candidate reaches within r */
        t->infeasible = true;
        return CC_OK;
    }
    if (sv->fl.n_dem == 0) {
        t->feasible = true;
        return CC_OK;
    }
    cc__fl_ws_free(&sv->ws);
    if ((st = cc__fl_ws_init(sv->ctx, &sv->fl, &sv->cons, sv->pmax, &sv->ws))) return st;
    sv->mu_warm = false;
    free(sv->mu);
    if (!(sv->mu = cc__malloc_array(sv->fl.n_dem, sizeof(double)))) return cc__fail(sv->ctx, CC_ERR_NOMEM, "Out of memory");
    int lag = sv->lag_iter;
    if (!prove) sv->lag_iter = 0;
    size_t lpmax = sv->lp_max;
    if (!prove) sv->lp_max = 0;
    cc__bres r;
    st = cc__solve_budget(sv, p, cc__gap_den_rel, exact, false, &r);
    sv->lag_iter = lag;
    sv->lp_max = lpmax;
    if (st) return st;
    t->q = r.q;
    memcpy(S_out, sv->S, r.q * sizeof(uint32_t));
    t->feasible = r.F <= 0.5;       /* unit weights: F counts uncovered classes */
    t->infeasible = r.LB > 1e-6;    /* a bound above 0: something stays uncovered */
    return CC_OK;
}

static int cmp_u32(const void *a, const void *b)
{
    uint32_t x = *(const uint32_t *)a, y = *(const uint32_t *)b;
    return x < y ? -1 : x > y;
}

/* Trivial bound: every class at best at its fastest candidate (or cap). */
static uint32_t pc_trivial_bound(const cc__fl *tf)
{
    uint32_t lb = tf->max_cap_nopair;
    for (uint32_t c = 0; c < tf->n_dem; c++) {
        uint32_t b = tf->cap[c];
        for (uint64_t e = tf->dfirst[c]; e < tf->dfirst[c + 1]; e++)
            if (tf->dcost[e] < b) b = tf->dcost[e];
        if (b > lb) lb = b;
    }
    return lb;
}

/* A search over radius indices: lo = largest radius known infeasible (-1: none), hi = smallest
 * known feasible, with its sites in S (q). */
typedef struct pc_search {
    long lo, hi;
    uint32_t *S, q;
    uint32_t *tmp; /* scratch sites of a trial */
} pc_search;

/* A trial found a cover at radius index i: it becomes the answer. */
static void pc_take(pc_search *ps, long i, const pc_trial *t)
{
    ps->hi = i;
    ps->q = t->q;
    memcpy(ps->S, ps->tmp, ps->q * sizeof(uint32_t));
}

/* Heuristic binary search for the smallest feasible radius (a heuristic failure counts as
 * infeasible for the search, not for the bound). */
static cc_status pc_bisect_heuristic(pc *P, cc__solver *sv, uint32_t p, pc_search *ps)
{
    cc_status st;
    pc_trial t;
    while (ps->hi - ps->lo > 1) {
        if (cc__interrupted(sv->ctx)) return cc__fail(sv->ctx, CC_ERR_INTERRUPTED, "Interrupted");
        long mid = ps->lo + (ps->hi - ps->lo) / 2;
        if ((st = pc_try(P, sv, (uint32_t)mid, p, false, false, ps->tmp, &t))) return st;
        if (t.feasible)
            pc_take(ps, mid, &t);
        else
            ps->lo = mid;
    }
    return CC_OK;
}

/* Bound: prove the radius just below the answer infeasible; failing that, the largest provable one
 * by bisection. *a: index of the largest radius proven infeasible (-1: none). */
static cc_status pc_prove(pc *P, cc__solver *sv, uint32_t p, pc_search *ps, long *a)
{
    cc_status st;
    pc_trial t;
    while (ps->hi - 1 > *a) {
        if ((st = pc_try(P, sv, (uint32_t)(ps->hi - 1), p, false, true, ps->tmp, &t))) return st;
        if (t.feasible) { /* the proof attempt found a cover at a smaller radius */
            pc_take(ps, ps->hi - 1, &t);
            continue;
        }
        if (t.infeasible) {
            *a = ps->hi - 1;
            break;
        }
        long b = ps->hi - 1; /* (a: proven infeasible, b: not proven) */
        while (b - *a > 1) {
            long mid = *a + (b - *a) / 2;
            if ((st = pc_try(P, sv, (uint32_t)mid, p, false, true, ps->tmp, &t))) return st;
            if (t.feasible) {
                pc_take(ps, mid, &t);
                b = mid;
            } else if (t.infeasible) {
                *a = mid;
            } else {
                b = mid;
            }
        }
        break;
    }
    return CC_OK;
}

/* Solve p-centre for budget p: the sites in S (q), the worst time and the bound (ms). */
static cc_status pc_solve(pc *P, cc__solver *sv, uint32_t p, uint32_t *S, uint32_t *q_out, uint32_t *z_out, uint32_t *lb_out,
                          bool *proven)
{
    cc_status st;
    const cc__fl *tf = &P->base->fl;
    pc_search ps = {.S = S, .tmp = cc__malloc_array((size_t)sv->pmax + 1, sizeof(uint32_t))};
    if (!ps.tmp) return cc__fail(sv->ctx, CC_ERR_NOMEM, "Out of memory");
    uint32_t lb = pc_trivial_bound(tf);
    /* a first answer: the greedy for the mean time (it meets the area limits) */
    cc__solver *bs = P->base;
    bs->cons.p = p;
    if ((st = cc__fl_greedy(sv->ctx, &bs->fl, &bs->cons, &bs->ws, S, bs->gain, &ps.q))) goto out;
    uint32_t z0 = pc_worst(tf, S, ps.q, bs->ws.d1);
    long a = -1;
    ps.lo = -1;
    ps.hi = (long)P->n_radii - 1;
    for (size_t i = 0; i < P->n_radii; i++) {
        if (P->radii[i] < lb) ps.lo = a = (long)i;
        if (P->radii[i] == z0) ps.hi = (long)i;
    }
    if ((st = pc_bisect_heuristic(P, sv, p, &ps)) || (st = pc_prove(P, sv, p, &ps, &a))) goto out;
    if (a >= 0 && P->radii[a + 1] > lb) lb = P->radii[a + 1];
    uint32_t z = pc_worst(tf, S, ps.q, P->base->ws.d1);
    if (lb > z) lb = z;
    *q_out = ps.q;
    *z_out = z;
    *lb_out = lb;
    *proven = lb >= z;
out:
    free(ps.tmp);
    return st;
}

/* A second cc__solver for the trial coverage instances: the options and area limits of sv (borrowed
 * arrays, never freed through tr), its own instance, workspace and site arrays for budgets up to pm. */
static cc_status pc_trial_solver(cc__solver *sv, uint32_t pm, cc__solver *tr)
{
    const cc__fl *tf = &sv->fl;
    *tr = *sv;
    memset(&tr->fl, 0, sizeof(tr->fl));
    memset(&tr->ws, 0, sizeof(tr->ws));
    tr->mu = NULL;
    tr->swaps = tr->lag_its = 0;
    tr->t_heur = tr->t_bound = tr->t_exact = 0;
    tr->pmax = pm > tf->n_cand ? pm : tf->n_cand;
    tr->S = cc__malloc_array((size_t)tr->pmax + 1, sizeof(uint32_t));
    tr->S2 = cc__malloc_array((size_t)tr->pmax + 1, sizeof(uint32_t));
    tr->S3 = cc__malloc_array((size_t)tr->pmax + 1, sizeof(uint32_t));
    tr->gain = cc__malloc_array((size_t)tr->pmax + 1, sizeof(double));
    if (!tr->S || !tr->S2 || !tr->S3 || !tr->gain) return CC_ERR_NOMEM;
    return CC_OK;
}

/* Release what the trial cc__solver owns and add its counters to sv. */
static void pc_trial_free(cc__solver *sv, cc__solver *tr)
{
    sv->swaps += tr->swaps;
    sv->lag_its += tr->lag_its;
    sv->t_bound += tr->t_bound;
    cc__fl_free(&tr->fl);
    cc__fl_ws_free(&tr->ws);
    CC__FREE_ALL(tr->mu, tr->S, tr->S2, tr->S3, tr->gain);
}

/* Scratch of the p-centre search. Returns false when out of memory. */
static bool pc_alloc(pc *P, const cc__fl *tf)
{
    uint64_t pairs = tf->first[tf->n_cand];
    P->radii = cc__malloc_array(pairs + tf->n_dem + 1, sizeof(uint32_t));
    P->f2 = cc__malloc_array((size_t)tf->n_cand + 1, sizeof(uint64_t));
    P->d2 = cc__malloc_array(pairs ? pairs : 1, sizeof(uint32_t));
    P->w1 = cc__malloc_array(tf->n_dem ? tf->n_dem : 1, sizeof(double));
    P->skip = cc__malloc_array(tf->n_dem ? tf->n_dem : 1, 1);
    if (!P->radii || !P->f2 || !P->d2 || !P->w1 || !P->skip) return false;
    for (uint32_t c = 0; c < tf->n_dem; c++) P->w1[c] = 1.0;
    return true;
}

static void pc_free(pc *P)
{
    CC__FREE_ALL(P->radii, P->f2, P->d2, P->w1, P->skip);
}

/* The candidate radii: every distinct pair time and cap. People that neither an existing facility
 * nor any candidate reaches within the radius stay at the radius whatever is chosen: they would make
 * every answer "the radius", so the worst time is taken over the others (they are reported as
 * unreachable_weight). */
static void pc_radii(pc *P, cc__solver *sv)
{
    cc__fl *tf = &sv->fl;
    if (sv->inst->radius_ms) {
        uint32_t fl_max = 0;
        for (size_t i = 0; i < tf->n_np; i++)
            if (tf->np_cap[i] < sv->inst->radius_ms && tf->np_cap[i] > fl_max) fl_max = tf->np_cap[i];
        tf->max_cap_nopair = fl_max;
    }
    size_t nr = 0;
    for (uint64_t e = 0; e < tf->first[tf->n_cand]; e++) P->radii[nr++] = tf->cost[e];
    for (uint32_t c = 0; c < tf->n_dem; c++) P->radii[nr++] = tf->cap[c];
    P->radii[nr++] = tf->max_cap_nopair;
    qsort(P->radii, nr, sizeof(uint32_t), cmp_u32);
    size_t m = 0;
    for (size_t i = 0; i < nr; i++)
        if (!m || P->radii[m - 1] != P->radii[i]) P->radii[m++] = P->radii[i];
    P->n_radii = m;
}

/* The answer of a p-centre solve for budget p: sites S (q), worst time z, bound lb (ms). */
typedef struct pc_answer {
    uint32_t *S, q, z, lb;
    bool proven;
} pc_answer;

/* Exact decisions at the radii between the bound and the answer, by bisection (GLPK integer
 * programme per radius); a time limit keeps what is proven. */
static cc_status pc_exact(pc *P, cc__solver *sv, cc__solver *tr, pc_answer *ans)
{
    cc_status st;
    cc__fl *tf = &sv->fl;
    if ((st = cc__exact_size_check(sv, cc__fl_lp_nonzeros(tf), "covering integer programme"))) return st;
    long a = -1, b = -1;
    for (size_t i = 0; i < P->n_radii; i++) {
        if (P->radii[i] < ans->lb) a = (long)i;
        if (P->radii[i] <= ans->z) b = (long)i;
    }
    uint32_t *tmp = tr->S3;
    tr->tlim = sv->tlim;
    bool exact_ok = true;
    while (b - a > 1) {
        long mid = a + (b - a) / 2;
        if ((st = pc_instance(P, P->radii[mid], tr))) return st;
        if (tr->fl.w_nopair > 0) {
            a = mid;
            continue;
        }
        cc__fl_ws_free(&tr->ws);
        if ((st = cc__fl_ws_init(sv->ctx, &tr->fl, &tr->cons, tr->pmax, &tr->ws))) return st;
        tr->cons.p = sv->pr->p;
        cc__lp_out lo;
        if ((st = cc__fl_glpk(sv->ctx, &tr->fl, &tr->cons, true, tr->tlim, NULL, 0, tmp, &lo))) return st;
        if (lo.solved && lo.value <= 0.5) {
            b = mid;
            ans->q = lo.q;
            memcpy(ans->S, tmp, ans->q * sizeof(uint32_t));
        } else if (lo.solved) {
            a = mid;
        } else {
            exact_ok = false; /* time limit: keep what is proven */
            break;
        }
    }
    ans->z = pc_worst(tf, ans->S, ans->q, sv->ws.d1);
    if (a >= 0 && P->radii[a + 1] > ans->lb) ans->lb = P->radii[a + 1];
    if (ans->lb > ans->z) ans->lb = ans->z;
    ans->proven = exact_ok && ans->lb >= ans->z;
    return CC_OK;
}

/* The solution of a p-centre solve: sites ranked by time saved (the p-median gain) on the timed
 * instance, worst time, bound, 90th percentile. */
static cc_status pc_result(cc__solver *sv, const pc_answer *ans, const double *cobj, const double *cb, cc__sol **out)
{
    const cc_site_params *pr = sv->pr;
    cc__fl *tf = &sv->fl;
    const uint32_t nc = pr->curve_to, q = ans->q, z = ans->z, lb = ans->lb;
    cc__sol *si = NULL;
    cc_status st;
    cc__fl_rank(tf, &sv->ws, ans->S, q, sv->gain);
    if ((st = cc__sol_new(sv->ctx, pr, q, nc, &si))) return st;
    memcpy(si->sites, ans->S, q * sizeof(uint32_t));
    for (uint32_t t = 0; t < q; t++) si->gain[t] = sv->gain[t] / 1000.0;
    memcpy(si->cobj, cobj, nc * sizeof(double));
    memcpy(si->cbound, cb, nc * sizeof(double));
    cc_site_solution *s = &si->pub;
    s->objective = z / 1000.0;
    s->bound = lb / 1000.0;
    s->gap = z > 0 ? (double)(z - lb) / z : 0;
    s->proven_optimal = ans->proven || z == lb;
    s->bound_method = pr->exact ? "mip" : "covering-lp";
    double wsum = 0;
    for (uint32_t i = 0; i < sv->inst->n_demand; i++) wsum += sv->inst->weight[i];
    s->total_weight = wsum;
    cc__fl_eval(tf, si->sites, q, sv->ws.d1);
    double at_r, p90;
    if ((st = cc__percentile90_ms(sv->ctx, tf, sv->ws.d1, sv->inst->radius_ms, &p90, &at_r))) {
        cc_site_solution_destroy(&si->pub);
        return st;
    }
    s->p90_s = p90 / 1000.0;
    s->unreachable_weight = at_r;
    s->objective_greedy = NAN;
    *out = si;
    return CC_OK;
}

/* p-centre: the smallest worst time with p new sites, the curve first, then the answer for p. */
cc_status cc__solve_pcenter(cc__solver *sv, cc__sol **out)
{
    cc_ctx *ctx = sv->ctx;
    const cc_site_params *pr = sv->pr;
    cc_status st;
    uint32_t nc = pr->curve_to, pm = pr->p > nc ? pr->p : nc;
    if ((st = cc__solver_alloc(sv, pm))) return st;
    cc__solver tr;
    pc P = {.base = sv};
    pc_answer ans = {0};
    double *cobj = NULL, *cb = NULL;
    bool ok = pc_alloc(&P, &sv->fl);
    ans.S = cc__malloc_array((size_t)pm + 1, sizeof(uint32_t));
    cobj = cc__malloc_array(nc ? nc : 1, sizeof(double));
    cb = cc__malloc_array(nc ? nc : 1, sizeof(double));
    if (pc_trial_solver(sv, pm, &tr) || !ok || !ans.S || !cobj || !cb) {
        st = cc__fail(ctx, CC_ERR_NOMEM, "Out of memory for the p-centre search");
        goto out;
    }
    pc_radii(&P, sv);
    double t0 = cc__now();
    for (uint32_t k = 1; k <= nc; k++) {
        if (k < sv->cons.min_total) {
            cobj[k - 1] = cb[k - 1] = NAN;
            continue;
        }
        cc__progress(ctx, "Solving the curve", (double)(k - 1) / nc);
        if ((st = pc_solve(&P, &tr, k, ans.S, &ans.q, &ans.z, &ans.lb, &ans.proven))) goto out;
        cobj[k - 1] = ans.z / 1000.0;
        cb[k - 1] = ans.lb / 1000.0;
    }
    if ((st = pc_solve(&P, &tr, pr->p, ans.S, &ans.q, &ans.z, &ans.lb, &ans.proven))) goto out;
    sv->t_heur += cc__now() - t0;
    if (pr->exact && !ans.proven) {
        double t1 = cc__now();
        if ((st = pc_exact(&P, sv, &tr, &ans))) goto out;
        sv->t_exact += cc__now() - t1;
    }
    st = pc_result(sv, &ans, cobj, cb, out);
out:
    pc_trial_free(sv, &tr);
    pc_free(&P);
    CC__FREE_ALL(ans.S, cobj, cb);
    return st;
}
