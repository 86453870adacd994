/*
 * solve.c - cc_site_solve(): checks the instance and parameters, reduces the coverage sets and
 * hands the reduced instance to the model's file; the cc__solver state, gap measures and result
 * assembly that the model files share (site_internal.h).
 *
 *  - budget.c: the budget pipeline (heuristic answer + proven bound + exact on request) that
 *    MCLP, p-median and the p-centre trials share.
 *  - mclp_pmedian.c: MCLP and p-median (one code path: they differ in the reduced costs only).
 *  - lscp.c: LSCP.   - pcenter.c: p-centre.
 */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "site_internal.h"

void cc_site_solution_destroy(cc_site_solution *s)
{
    cc__sol *si = (cc__sol *)s;
    if (!si) return;
    CC__FREE_ALL(si->sites, si->gain, si->cobj, si->cbound, si->count, si->served, si);
}

const char *cc_site_model_name(cc_site_model m)
{
    switch (m) {
    case CC_SITE_MCLP: return "mclp";
    case CC_SITE_LSCP: return "lscp";
    case CC_SITE_PMEDIAN: return "pmedian";
    case CC_SITE_PCENTER: return "pcenter";
    case CC_SITE_MEXCLP: return "mexclp";
    case CC_SITE_CMCLP: return "cmclp";
    case CC_SITE_DSM: return "dsm";
    case CC_SITE_CPMEDIAN: return "cpmedian";
    }
    return "unknown";
}

/* ---- the solver state ------------------------------------------------------------------------ */

void cc__solver_free(cc__solver *sv)
{
    cc__fl_free(&sv->fl);
    cc__cons_free(&sv->cons);
    cc__fl_ws_free(&sv->ws);
    free(sv->mu);
    cc__rowgen_destroy(sv->rg);
    CC__FREE_ALL(sv->S, sv->S2, sv->S3, sv->gain);
}

cc_status cc__solver_alloc(cc__solver *sv, uint32_t pmax)
{
    cc_status st;
    sv->pmax = pmax;
    size_t k = (size_t)(pmax > sv->fl.n_cand ? pmax : sv->fl.n_cand) + 1;
    sv->S = cc__malloc_array(k, sizeof(uint32_t));
    sv->S2 = cc__malloc_array(k, sizeof(uint32_t));
    sv->S3 = cc__malloc_array(k, sizeof(uint32_t));
    sv->gain = cc__malloc_array(k, sizeof(double));
    sv->mu = cc__malloc_array(sv->fl.n_dem ? sv->fl.n_dem : 1, sizeof(double));
    if (!sv->S || !sv->S2 || !sv->S3 || !sv->gain || !sv->mu) return cc__fail(sv->ctx, CC_ERR_NOMEM, "Out of memory for the solver");
    if ((st = cc__fl_ws_init(sv->ctx, &sv->fl, &sv->cons, pmax > sv->fl.n_cand ? pmax : sv->fl.n_cand, &sv->ws))) return st;
    if (!sv->fl.cost && !sv->fl.cap && (st = cc__rowgen_create(sv->ctx, &sv->fl, &sv->cons, &sv->rg))) return st;
    return CC_OK;
}

double cc__gap_den_mclp(const cc__solver *sv, double F)
{
    return sv->fl.obj_const + sv->fl.w_total - F;
}

double cc__gap_den_rel(const cc__solver *sv, double F)
{
    (void)sv;
    return fabs(F);
}

double cc__gap_of(cc__gap_fn den, const cc__solver *sv, double F, double LB)
{
    if (F - LB <= 1e-9 * (fabs(F) + 1.0)) return 0.0;
    double d = den(sv, F);
    return (F - LB) / (d > 1e-12 ? d : 1e-12);
}

cc_status cc__exact_size_check(cc__solver *sv, size_t nnz, const char *what)
{
    if (nnz <= sv->mip_max) return CC_OK;
    return cc__fail(sv->ctx, CC_ERR_LIMIT,
                    "The %s has %zu non-zeros (%u candidates, %u demand classes after merging identical demand), above the limit of %zu "
                    "for an exact solve; drop parameter exact (the bound and gap still come with the answer) or reduce the candidates",
                    what, nnz, sv->fl.n_cand, sv->fl.n_dem, sv->mip_max);
}

/* ---- result assembly ----------------------------------------------------------------------------- */

cc_status cc__sol_new(cc_ctx *ctx, const cc_site_params *pr, uint32_t q, uint32_t n_curve, cc__sol **out)
{
    cc__sol *si = calloc(1, sizeof(*si));
    if (!si) return cc__fail(ctx, CC_ERR_NOMEM, "Out of memory");
    si->sites = cc__malloc_array(q ? q : 1, sizeof(uint32_t));
    si->gain = cc__malloc_array(q ? q : 1, sizeof(double));
    si->cobj = cc__malloc_array(n_curve ? n_curve : 1, sizeof(double));
    si->cbound = cc__malloc_array(n_curve ? n_curve : 1, sizeof(double));
    if (!si->sites || !si->gain || !si->cobj || !si->cbound) {
        cc_site_solution_destroy(&si->pub);
        return cc__fail(ctx, CC_ERR_NOMEM, "Out of memory");
    }
    si->pub.model = pr->model;
    si->pub.n_sites = q;
    si->pub.sites = si->sites;
    si->pub.site_gain = si->gain;
    si->pub.n_curve = n_curve;
    si->pub.curve_objective = si->cobj;
    si->pub.curve_bound = si->cbound;
    si->pub.feasible = true;
    *out = si;
    return CC_OK;
}

static int cmp_tw(const void *a, const void *b)
{
    const cc__tw *x = a, *y = b;
    return x->t < y->t ? -1 : x->t > y->t;
}

uint32_t cc__tw_quantile(cc__tw *v, size_t n, double q, double total)
{
    qsort(v, n, sizeof(cc__tw), cmp_tw);
    double cum = 0;
    uint32_t res = 0;
    for (size_t i = 0; i < n; i++) {
        cum += v[i].w;
        res = v[i].t;
        if (cum >= q * total - 1e-12 * total) break;
    }
    return res;
}

/* Population-weighted 90th percentile of the times under S, and the weight at or beyond the
 * radius; d1 must hold the class times under S. */
cc_status cc__percentile90_ms(cc_ctx *ctx, const cc__fl *fl, const uint32_t *d1, uint32_t radius, double *p90, double *at_radius)
{
    size_t n = fl->n_dem + fl->n_np;
    cc__tw *v = cc__malloc_array(n ? n : 1, sizeof(cc__tw));
    *at_radius = 0;
    if (!v) return cc__fail(ctx, CC_ERR_NOMEM, "Out of memory");
    size_t k = 0;
    double tot = 0;
    for (uint32_t c = 0; c < fl->n_dem; c++) v[k++] = (cc__tw){d1[c], fl->w[c]};
    for (size_t i = 0; i < fl->n_np; i++) v[k++] = (cc__tw){fl->np_cap[i], fl->np_w[i]};
    for (size_t i = 0; i < k; i++) {
        tot += v[i].w;
        if (radius && v[i].t >= radius) *at_radius += v[i].w;
    }
    *p90 = cc__tw_quantile(v, k, 0.9, tot);
    free(v);
    return CC_OK;
}

/* Weight covered before any new site (extra_covered_weight, plus the demand marked covered when
 * count_covered) and the total weight (total_weight, or the sum of the weights when 0). */
void cc__site_weights(const cc_site_instance *in, bool count_covered, double *covered_before, double *total)
{
    double cb = in->extra_covered_weight, wsum = in->extra_covered_weight;
    for (uint32_t i = 0; i < in->n_demand; i++) {
        wsum += in->weight[i];
        if (count_covered && in->covered && in->covered[i]) cb += in->weight[i];
    }
    *covered_before = cb;
    *total = in->total_weight > 0 ? in->total_weight : wsum;
}

cc_status cc__with_fixed(cc_ctx *ctx, const cc_site_instance *in, uint64_t **first, uint32_t **dem, uint32_t **tms)
{
    *first = NULL;
    *dem = NULL;
    if (tms) *tms = NULL;
    if (!in->n_fixed) return CC_OK;
    const uint32_t nc = in->n_candidates, nf = in->n_fixed;
    uint64_t nca = in->first[nc] - in->first[0], nfa = 0;
    for (uint32_t k = 0; k < nf; k++) {
        if (in->fixed_first[k + 1] < in->fixed_first[k]) return cc__fail(ctx, CC_ERR_PARAM, "The offsets of existing facility %u decrease", k);
        nfa += in->fixed_first[k + 1] - in->fixed_first[k];
    }
    uint64_t n = nca + nfa;
    uint64_t *f = cc__malloc_array((size_t)nc + nf + 1, sizeof(uint64_t));
    uint32_t *d = cc__malloc_array(n ? n : 1, sizeof(uint32_t));
    uint32_t *t = tms ? cc__malloc_array(n ? n : 1, sizeof(uint32_t)) : NULL;
    if (!f || !d || (tms && !t)) {
        CC__FREE_ALL(f, d, t);
        return cc__fail(ctx, CC_ERR_NOMEM, "Out of memory for the capacitated existing facilities");
    }
    uint64_t e = 0;
    for (uint32_t j = 0; j < nc + nf; j++) {
        f[j] = e;
        uint64_t a = j < nc ? in->first[j] : in->fixed_first[j - nc], b = j < nc ? in->first[j + 1] : in->fixed_first[j - nc + 1];
        for (uint64_t k = a; k < b; k++, e++) {
            d[e] = in->demand[k];
            if (t) t[e] = in->time_ms[k];
        }
    }
    f[nc + nf] = e;
    *first = f;
    *dem = d;
    if (tms) *tms = t;
    return CC_OK;
}

/* ---- entry ------------------------------------------------------------------------------------------ */

static cc_status check(cc_ctx *ctx, const cc_site_instance *in, const cc_site_params *pr)
{
    if (!in || !pr) return cc__fail(ctx, CC_ERR_PARAM, "No instance or parameters");
    if ((unsigned)pr->model > CC_SITE_CPMEDIAN) return cc__fail(ctx, CC_ERR_PARAM, "Unknown siting model %d", (int)pr->model);
    if (in->n_candidates == 0) return cc__fail(ctx, CC_ERR_PARAM, "There are no candidate sites");
    if (!in->first || !in->weight || (!in->demand && in->first[in->n_candidates] > 0))
        return cc__fail(ctx, CC_ERR_PARAM, "The instance lacks its coverage sets or weights");
    const bool timed = pr->model == CC_SITE_PMEDIAN || pr->model == CC_SITE_PCENTER || pr->model == CC_SITE_CPMEDIAN;
    if (timed && (!in->time_ms || !in->base_time_ms))
        return cc__fail(ctx, CC_ERR_PARAM, "The %s model needs pair times and base times", cc_site_model_name(pr->model));
    for (uint32_t i = 0; i < in->n_demand; i++)
        if (!(in->weight[i] >= 0) || !isfinite(in->weight[i]))
            return cc__fail(ctx, CC_ERR_PARAM, "Demand point %u has weight %g; weights must be finite and not negative", i, in->weight[i]);
    if (!(in->extra_covered_weight >= 0) || !(in->total_weight >= 0))
        return cc__fail(ctx, CC_ERR_PARAM, "Covered and total weights must not be negative");
    if (pr->model == CC_SITE_LSCP) {
        if (!(pr->target_share > 0 && pr->target_share <= 1))
            return cc__fail(ctx, CC_ERR_PARAM, "The target share must be above 0 and at most 1, got %g", pr->target_share);
    } else if (pr->p == 0) {
        return cc__fail(ctx, CC_ERR_PARAM, "The number of new sites p must be at least 1");
    }
    if (pr->curve_to > in->n_candidates)
        return cc__fail(ctx, CC_ERR_PARAM, "A curve to %u sites needs at least as many candidates (there are %u)", pr->curve_to,
                        in->n_candidates);
    if (timed)
        for (uint32_t i = 0; i < in->n_demand; i++)
            if (in->base_time_ms[i] >= CC_INF_COST)
                return cc__fail(ctx, CC_ERR_PARAM, "Demand point %u has no base time; cap it at the search radius", i);
    return CC_OK;
}

/* MEXCLP, CMCLP and CPMEDIAN with a curve: each budget k = 1..curve_to solved on its own (heuristic
 * and its own bound, no exact solve), then the answer for p; the curve is attached to it. */
static cc_status solve_with_curve(cc_ctx *ctx, const cc_site_instance *inst, const cc_site_params *params, cc_site_solution **out)
{
    const uint32_t n = params->curve_to;
    double *co = cc__malloc_array(n, sizeof(double)), *cb = cc__malloc_array(n, sizeof(double));
    cc_status st = CC_OK;
    if (!co || !cb) {
        CC__FREE_ALL(co, cb);
        return cc__fail(ctx, CC_ERR_NOMEM, "Out of memory");
    }
    for (uint32_t k = 1; k <= n && !st; k++) {
        cc_site_params q = *params;
        q.p = k;
        q.curve_to = 0;
        q.exact = false;
        cc_site_solution *s = NULL;
        cc__progress(ctx, "Solving the curve", (double)(k - 1) / n);
        if (!(st = cc_site_solve(ctx, inst, &q, &s))) {
            co[k - 1] = s->objective;
            cb[k - 1] = s->bound;
        }
        cc_site_solution_destroy(s);
    }
    cc_site_params q = *params;
    q.curve_to = 0;
    if (!st) st = cc_site_solve(ctx, inst, &q, out);
    if (st) {
        CC__FREE_ALL(co, cb);
        return st;
    }
    cc__sol *si = (cc__sol *)*out;
    CC__FREE_ALL(si->cobj, si->cbound);
    si->cobj = co;
    si->cbound = cb;
    si->pub.n_curve = n;
    si->pub.curve_objective = co;
    si->pub.curve_bound = cb;
    return CC_OK;
}

cc_status cc_site_solve(cc_ctx *ctx, const cc_site_instance *inst, const cc_site_params *params, cc_site_solution **out)
{
    cc_status st;
    *out = NULL;
    if (inst && params && params->curve_to &&
        (params->model == CC_SITE_MEXCLP || params->model == CC_SITE_CMCLP || params->model == CC_SITE_CPMEDIAN))
        return solve_with_curve(ctx, inst, params, out);
    if (inst && params && params->model == CC_SITE_MEXCLP) { /* its own solver (mexclp.c) */
        cc__sol *ms = NULL;
        if ((st = cc__solve_mexclp_site(ctx, inst, params, &ms))) return st;
        *out = &ms->pub;
        return CC_OK;
    }
    if ((st = check(ctx, inst, params))) return st;
    if (params->model == CC_SITE_CMCLP) { /* its own solver (cmclp.c) */
        cc__sol *cs = NULL;
        if ((st = cc__solve_cmclp(ctx, inst, params, &cs))) return st;
        *out = &cs->pub;
        return CC_OK;
    }
    if (params->model == CC_SITE_DSM) { /* its own solver (dsm.c) */
        cc__sol *ds = NULL;
        if ((st = cc__solve_dsm(ctx, inst, params, &ds))) return st;
        *out = &ds->pub;
        return CC_OK;
    }
    if (params->model == CC_SITE_CPMEDIAN) { /* its own solver (cpmedian.c) */
        cc__sol *cs = NULL;
        if ((st = cc__solve_cpmedian(ctx, inst, params, &cs))) return st;
        *out = &cs->pub;
        return CC_OK;
    }
    double t0 = cc__now();
    cc__solver sv = {.ctx = ctx, .inst = inst, .pr = params};
    sv.tol = params->gap_tolerance > 0 ? params->gap_tolerance : 1e-4;
    sv.lag_iter = params->lagrange_iterations == 0 ? 400 : params->lagrange_iterations < 0 ? 0 : params->lagrange_iterations;
    sv.lp_max = params->lp_max_nonzeros ? params->lp_max_nonzeros : 100000;
    sv.mip_max = params->exact_max_nonzeros ? params->exact_max_nonzeros : 2000000;
    sv.tlim = params->time_limit_s > 0 ? params->time_limit_s : 600;
    cc__sol *si = NULL;
    const bool timed = params->model == CC_SITE_PMEDIAN || params->model == CC_SITE_PCENTER;
    uint32_t p_cons = params->model == CC_SITE_LSCP ? (params->max_sites ? params->max_sites : inst->n_candidates)
                                                    : (params->p > params->curve_to ? params->p : params->curve_to);
    if ((st = cc__cons_init(ctx, inst, p_cons, &sv.cons))) goto out;
    if (params->model != CC_SITE_LSCP && sv.cons.min_total > params->p) {
        st = cc__fail(ctx, CC_ERR_PARAM, "The per-area minima need %u sites, more than p = %u", sv.cons.min_total, params->p);
        goto out;
    }
    cc__info(ctx, "Reducing coverage sets...");
    if (timed)
        st = cc__fl_reduce(ctx, inst->n_candidates, inst->n_demand, inst->first, inst->demand, inst->time_ms, inst->base_time_ms,
                           inst->weight, NULL, inst->base_time_ms, &sv.fl);
    else
        st = cc__fl_reduce(ctx, inst->n_candidates, inst->n_demand, inst->first, inst->demand, NULL, NULL, inst->weight, inst->covered,
                           NULL, &sv.fl);
    if (st) goto out;
    double t_red = cc__now() - t0;
    cc__debug(ctx, "Reduced %llu pairs over %u demand points to %llu pairs over %u classes in %.3f s",
              (unsigned long long)inst->first[inst->n_candidates], inst->n_demand, (unsigned long long)sv.fl.first[sv.fl.n_cand],
              sv.fl.n_dem, t_red);
    cc__info(ctx, "Solving %s...", cc_site_model_name(params->model));
    switch (params->model) {
    case CC_SITE_MCLP:
    case CC_SITE_PMEDIAN: st = cc__solve_mclp_pmedian(&sv, &si); break;
    case CC_SITE_LSCP: st = cc__solve_lscp(&sv, &si); break;
    case CC_SITE_PCENTER: st = cc__solve_pcenter(&sv, &si); break;
    case CC_SITE_MEXCLP:
    case CC_SITE_CMCLP:
    case CC_SITE_DSM: break; /* handled above */
    case CC_SITE_CPMEDIAN: break; /* handled above */
    }
    if (st) goto out;
    si->pub.demand_classes = sv.fl.n_dem;
    si->pub.pairs_reduced = sv.fl.first[sv.fl.n_cand];
    si->pub.t_reduce_s = t_red;
    si->pub.t_heuristic_s = sv.t_heur;
    si->pub.t_bound_s = sv.t_bound;
    si->pub.t_exact_s = sv.t_exact;
    si->pub.swaps = sv.swaps;
    si->pub.lagrange_iterations = sv.lag_its;
    si->pub.t_total_s = cc__now() - t0;
    if (!si->pub.bound_method) si->pub.bound_method = "trivial";
    *out = &si->pub;
out:
    cc__solver_free(&sv);
    return st;
}
