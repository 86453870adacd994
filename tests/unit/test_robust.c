/*
 * test_robust.c - robust siting (cc_site_robust_solve, issue 18) on 250 small random MCLP
 * instances (about 150 with per-area maxima, half of them with minima too), 120 p-median and 120
 * p-centre ones (60 of each with per-area limits), with 2-5 variants over shared candidates, each
 * checked against a
 * brute-force enumeration of every feasible set of sites (independent of GLPK and of the heuristics):
 *  - max_min, min_max_regret (absolute and relative) and expected: the answer equals the
 *    enumerated optimum, or lies within the reported gap; the bound is never on the wrong side;
 *  - the reported per-variant coverage, regret and the cross table match a recomputation;
 *  - sites are distinct, at most p, and meet the per-area maxima and minima;
 *  - p-median (max_min = minimax mean time, regret absolute and relative, expected) and p-centre
 *    (max_min, absolute and relative regret): the same checks with the bound a lower bound;
 *  - robust LSCP on 200 instances (2-5 variants, targets 0.1-1, a third with per-area limits):
 *    the answer meets every variant's target (or its cap when all candidates miss it), its size
 *    equals the enumerated minimum or the reported lower bound is at most that minimum (never
 *    above), proven answers are minimal, and unreachable cases are reported as best effort;
 *  - LSCP with min_max_regret or expected, a target above 1, p-median without times, p-centre expected and mismatched candidate
 *    sets are refused with a message.
 */
#include <math.h>

#include "test_util.h"

typedef struct var {
    cc_site_instance in;
    uint64_t *first;
    uint32_t *dem;
    double *w;
    uint8_t *cov;
} var;

static uint64_t rs;
static uint32_t rnd(uint32_t n)
{
    rs = rs * 6364136223846793005ULL + 1442695040888963407ULL;
    return (uint32_t)((rs >> 33) % n);
}

static const uint32_t *g_amin; /* per-area minima of the next instances (NULL: none) */

static void make_var(var *V, uint32_t nc, uint32_t nd, const uint32_t *area, uint32_t n_areas, const uint32_t *amax)
{
    V->first = calloc(nc + 1, sizeof(uint64_t));
    V->dem = calloc((size_t)nc * nd + 1, sizeof(uint32_t));
    V->w = calloc(nd, sizeof(double));
    V->cov = calloc(nd, 1);
    uint64_t k = 0;
    for (uint32_t j = 0; j < nc; j++) {
        V->first[j] = k;
        uint32_t dens = 10 + rnd(30);
        for (uint32_t i = 0; i < nd; i++)
            if (rnd(100) < dens) V->dem[k++] = i;
    }
    V->first[nc] = k;
    for (uint32_t i = 0; i < nd; i++) {
        V->w[i] = (double)(1 + rnd(100));
        V->cov[i] = rnd(100) < 15;
    }
    V->in = (cc_site_instance){.n_candidates = nc, .n_demand = nd, .first = V->first, .demand = V->dem, .weight = V->w,
                               .covered = V->cov, .extra_covered_weight = (double)rnd(3) * 10.0,
                               .area = area, .n_areas = n_areas, .area_max = amax, .area_min = area ? g_amin : NULL};
}

static void free_var(var *V)
{
    free(V->first), free(V->dem), free(V->w), free(V->cov);
}

/* coverage of S (bitmask over candidates) in one variant, independently of the library */
static double cov_mask(const cc_site_instance *in, uint32_t mask)
{
    double c = in->extra_covered_weight;
    for (uint32_t i = 0; i < in->n_demand; i++) {
        bool hit = in->covered[i];
        for (uint32_t j = 0; j < in->n_candidates && !hit; j++) {
            if (!(mask >> j & 1)) continue;
            for (uint64_t k = in->first[j]; k < in->first[j + 1]; k++)
                if (in->demand[k] == i) { hit = true; break; }
        }
        if (hit) c += in->weight[i];
    }
    return c;
}

static bool feasible(uint32_t mask, uint32_t nc, uint32_t p, const uint32_t *area, uint32_t n_areas, const uint32_t *amax)
{
    if ((uint32_t)__builtin_popcount(mask) > p) return false;
    if (!area) return true;
    uint32_t cnt[8] = {0};
    for (uint32_t j = 0; j < nc; j++)
        if (mask >> j & 1 && area[j] != CC_INVALID_ID) cnt[area[j]]++;
    for (uint32_t a = 0; a < n_areas; a++)
        if (cnt[a] > amax[a] || (g_amin && cnt[a] < g_amin[a])) return false;
    return true;
}

static void test_random(void **state)
{
    (void)state;
    cc_ctx *ctx = NULL;
    cc_ctx_create(&ctx);
    int equal = 0, total = 0, heur_equal = 0, heur_total = 0;
    for (int t = 0; t < 250; t++) { /* 150 mixed, then 100 with per-area limits (issue 18) */
        rs = 1000 + (uint64_t)t;
        uint32_t nc = 5 + rnd(6), nd = 8 + rnd(20), nv = 2 + rnd(4), p = 1 + rnd(3);
        uint32_t area[16], amax[4], amin[4] = {0}, n_areas = 0;
        bool areas = rnd(3) == 0 || t >= 150;
        g_amin = NULL;
        if (areas) {
            n_areas = 2;
            for (uint32_t j = 0; j < nc; j++) area[j] = rnd(3) == 0 ? CC_INVALID_ID : rnd(2);
            area[0] = 0, area[1] = 1;
            amax[0] = 1, amax[1] = 1 + rnd(2);
            if (t % 2 == 0) { /* a minimum: at least one site in area 1 (issue 18, per-area limits) */
                amin[1] = 1;
                g_amin = amin;
            }
        }
        var V[5];
        cc_site_instance in[5];
        for (uint32_t v = 0; v < nv; v++) {
            make_var(&V[v], nc, nd, areas ? area : NULL, n_areas, areas ? amax : NULL);
            in[v] = V[v].in;
        }
        double wts[5];
        for (uint32_t v = 0; v < nv; v++) wts[v] = (double)(1 + rnd(6));
        /* enumeration */
        double cv[1024][5];
        bool ok[1024];
        double optv[5] = {0};
        for (uint32_t m = 0; m < (1u << nc); m++) {
            ok[m] = feasible(m, nc, p, areas ? area : NULL, n_areas, amax);
            if (!ok[m]) continue;
            for (uint32_t v = 0; v < nv; v++) {
                cv[m][v] = cov_mask(&in[v], m);
                if (cv[m][v] > optv[v]) optv[v] = cv[m][v];
            }
        }
        for (int oh = 0; oh < 8; oh++) {
            int o = oh % 4;
            bool heur = oh >= 4; /* heuristic and variant bounds only: no GLPK for max_min / regret */
            cc_robust_params P = {.objective = o == 3 ? CC_ROBUST_EXPECTED : o == 0 ? CC_ROBUST_MAX_MIN : CC_ROBUST_MIN_MAX_REGRET,
                                  .relative_regret = o == 2, .weights = o == 3 ? wts : NULL};
            P.site.model = CC_SITE_MCLP;
            P.site.p = p;
            if (heur) P.site.lp_max_nonzeros = 1;
            cc_robust_solution *R = NULL;
            assert_int_equal(cc_site_robust_solve(ctx, in, nv, &P, &R), CC_OK);
            /* the variants' own optima bracket the enumerated ones */
            for (uint32_t v = 0; v < nv; v++) {
                assert_true(R->opt[v] <= optv[v] + 1e-6);
                assert_true(R->opt_bound[v] >= optv[v] - 1e-6);
            }
            /* the answer: distinct, feasible */
            uint32_t mask = 0;
            assert_true(R->n_sites <= p);
            for (uint32_t r = 0; r < R->n_sites; r++) {
                assert_true(R->sites[r] < nc);
                assert_false(mask >> R->sites[r] & 1);
                mask |= 1u << R->sites[r];
            }
            assert_true(ok[mask]);
            for (uint32_t v = 0; v < nv; v++) assert_true(fabs(R->cov[v] - cv[mask][v]) < 1e-6);
            /* best value over every feasible set, in the objective's own sense */
            double best = o == 1 || o == 2 ? INFINITY : -INFINITY, mine = 0, ws = 0;
            for (uint32_t v = 0; v < nv; v++) ws += wts[v];
            for (uint32_t m = 0; m < (1u << nc); m++) {
                if (!ok[m]) continue;
                double val;
                if (o == 0) {
                    val = INFINITY;
                    for (uint32_t v = 0; v < nv; v++) val = fmin(val, cv[m][v]);
                } else if (o == 3) {
                    val = 0;
                    for (uint32_t v = 0; v < nv; v++) val += wts[v] / ws * cv[m][v];
                } else {
                    val = 0;
                    for (uint32_t v = 0; v < nv; v++) {
                        double r = R->opt[v] - cv[m][v];
                        if (o == 2) r = R->opt[v] > 0 ? r / R->opt[v] : 0;
                        val = fmax(val, r);
                    }
                }
                if (m == mask) mine = val;
                if (o == 1 || o == 2 ? val < best : val > best) best = val;
            }
            double tol = 1e-6 * (1 + fabs(best));
            assert_true(fabs(mine - R->objective_value) < tol);
            if (o == 1 || o == 2) {
                assert_true(R->bound <= best + tol);             /* lower bound on the optimal regret */
                assert_true(R->objective_value >= best - tol);
                if (R->proven_optimal) assert_true(R->objective_value <= best + tol);
                assert_true(R->objective_value - best <= R->gap * R->objective_conservative + tol);
                for (uint32_t v = 0; v < nv; v++) {
                    double r = R->opt[v] - R->cov[v];
                    if (o == 2) r = R->opt[v] > 0 ? r / R->opt[v] : 0;
                    assert_true(fabs(r - R->regret[v]) < 1e-6);
                }
            } else {
                assert_true(R->bound >= best - tol);             /* upper bound on the optimum */
                assert_true(R->objective_value <= best + tol);
                if (R->proven_optimal) assert_true(R->objective_value >= best - tol);
                assert_true(best - R->objective_value <= R->gap * R->objective_value + tol);
            }
            /* cross table: own answer of a evaluated in v */
            for (uint32_t a = 0; a < nv; a++) {
                uint32_t om = 0;
                for (uint32_t k = R->own_first[a]; k < R->own_first[a + 1]; k++) om |= 1u << R->own_sites[k];
                for (uint32_t v = 0; v < nv; v++) assert_true(fabs(R->cross[a * nv + v] - cv[om][v]) < 1e-6);
            }
            if (heur) {
                heur_total++;
                if (fabs(R->objective_value - best) < tol) heur_equal++;
                if (strcmp(R->bound_method, "variant-bounds") == 0) assert_true(o == 3 || strcmp(R->bound_method, "mip"));
            } else {
                total++;
                if (fabs(R->objective_value - best) < tol) equal++;
            }
            cc_robust_solution_destroy(R);
        }
        for (uint32_t v = 0; v < nv; v++) free_var(&V[v]);
    }
    print_message("robust: %d of %d answers equal the enumerated optimum (GLPK where small); heuristic alone %d of %d\n", equal,
                  total, heur_equal, heur_total);
    assert_int_equal(total, 1000);
    assert_true(equal >= total * 98 / 100);
    cc_ctx_destroy(ctx);
}

/* ---- the time models (p-median, p-centre) ---------------------------------------------------- */

typedef struct tvar {
    cc_site_instance in;
    uint64_t *first;
    uint32_t *dem, *t, *base;
    double *w;
} tvar;

#define T_RADIUS 60000u

static void make_tvar(tvar *V, uint32_t nc, uint32_t nd, const uint32_t *area, uint32_t n_areas, const uint32_t *amin,
                      const uint32_t *amax)
{
    V->first = calloc(nc + 1, sizeof(uint64_t));
    V->dem = calloc((size_t)nc * nd + 1, sizeof(uint32_t));
    V->t = calloc((size_t)nc * nd + 1, sizeof(uint32_t));
    V->base = calloc(nd, sizeof(uint32_t));
    V->w = calloc(nd, sizeof(double));
    uint64_t k = 0;
    for (uint32_t j = 0; j < nc; j++) {
        V->first[j] = k;
        uint32_t dens = 15 + rnd(40);
        for (uint32_t i = 0; i < nd; i++)
            if (rnd(100) < dens) {
                V->dem[k] = i;
                V->t[k++] = 500 * rnd(130); /* 0 to 64.5 min: some beyond the radius, some no faster */
            }
    }
    V->first[nc] = k;
    for (uint32_t i = 0; i < nd; i++) {
        V->w[i] = rnd(10) == 0 ? 0.0 : (double)(1 + rnd(100));
        V->base[i] = rnd(4) == 0 ? T_RADIUS : 1000 * (10 + rnd(50)); /* capped at the radius */
    }
    V->in = (cc_site_instance){.n_candidates = nc, .n_demand = nd, .first = V->first, .demand = V->dem, .time_ms = V->t,
                               .weight = V->w, .base_time_ms = V->base, .radius_ms = T_RADIUS, .area = area, .n_areas = n_areas,
                               .area_min = amin, .area_max = amax};
}

static void free_tvar(tvar *V)
{
    free(V->first), free(V->dem), free(V->t), free(V->base), free(V->w);
}

/* p-median mean time or p-centre worst time (s) of the sites in mask, independently of the library:
 * the p-centre leaves out demand that no facility or candidate reaches within the radius */
static double tval(const cc_site_instance *in, bool center, uint32_t mask)
{
    double tw = 0, ws = 0, worst = 0;
    for (uint32_t i = 0; i < in->n_demand; i++) {
        if (!(in->weight[i] > 0)) continue;
        uint32_t d = in->base_time_ms[i];
        bool useful = false;
        for (uint32_t j = 0; j < in->n_candidates; j++)
            for (uint64_t k = in->first[j]; k < in->first[j + 1]; k++)
                if (in->demand[k] == i) {
                    if (in->time_ms[k] < in->base_time_ms[i]) useful = true;
                    if (mask >> j & 1 && in->time_ms[k] < d) d = in->time_ms[k];
                }
        if (center) {
            if (in->base_time_ms[i] >= in->radius_ms && !useful) continue;
            if (d > worst) worst = d;
        } else {
            tw += in->weight[i] * d;
            ws += in->weight[i];
        }
    }
    return center ? worst / 1000.0 : (ws > 0 ? tw / ws / 1000.0 : 0);
}

static void test_time_models(void **state)
{
    (void)state;
    cc_ctx *ctx = NULL;
    cc_ctx_create(&ctx);
    int equal[2] = {0}, total[2] = {0}, proven[2] = {0}, rel_equal = 0, rel_proven = 0, rel_total = 0; /* rel: p-centre relative regret */
    for (int model = 0; model < 2; model++) {
        bool center = model == 1;
        for (int t = 0; t < 120; t++) {
            rs = 5000 + (uint64_t)t + 1000u * (uint64_t)model;
            uint32_t nc = 5 + rnd(5), nd = 6 + rnd(14), nv = 2 + rnd(4), p = 1 + rnd(3);
            uint32_t area[16], amax[2], amin[2] = {0}, n_areas = 0;
            bool areas = t % 2 == 0;
            if (areas) {
                n_areas = 2;
                for (uint32_t j = 0; j < nc; j++) area[j] = rnd(3) == 0 ? CC_INVALID_ID : rnd(2);
                area[0] = 0, area[1] = 1;
                amax[0] = 1, amax[1] = 1 + rnd(2);
                amin[1] = t % 4 == 0 ? 1 : 0;
            }
            g_amin = areas ? amin : NULL;
            tvar V[5];
            cc_site_instance in[5];
            for (uint32_t v = 0; v < nv; v++) {
                make_tvar(&V[v], nc, nd, areas ? area : NULL, n_areas, areas ? amin : NULL, areas ? amax : NULL);
                in[v] = V[v].in;
            }
            double wts[5], ws = 0;
            for (uint32_t v = 0; v < nv; v++) ws += wts[v] = (double)(1 + rnd(6));
            static double val[1024][5];
            static bool ok[1024];
            double optv[5];
            for (uint32_t v = 0; v < nv; v++) optv[v] = INFINITY;
            for (uint32_t m = 0; m < (1u << nc); m++) {
                ok[m] = feasible(m, nc, p, areas ? area : NULL, n_areas, amax);
                if (!ok[m]) continue;
                for (uint32_t v = 0; v < nv; v++) {
                    val[m][v] = tval(&in[v], center, m);
                    optv[v] = fmin(optv[v], val[m][v]);
                }
            }
            int nobj = center ? 3 : 4; /* p-centre: max_min, absolute and relative regret (expected is refused) */
            for (int o = 0; o < nobj; o++) {
                for (int heur = 0; heur < (center ? 1 : 2); heur++) {
                    cc_robust_params P = {.objective = o == 3 ? CC_ROBUST_EXPECTED : o == 0 ? CC_ROBUST_MAX_MIN : CC_ROBUST_MIN_MAX_REGRET,
                                          .relative_regret = o == 2, .weights = o == 3 ? wts : NULL};
                    P.site.model = center ? CC_SITE_PCENTER : CC_SITE_PMEDIAN;
                    P.site.p = p;
                    if (heur) P.site.lp_max_nonzeros = 1; /* the Lagrangian rounds instead of GLPK */
                    cc_robust_solution *R = NULL;
                    assert_int_equal(cc_site_robust_solve(ctx, in, nv, &P, &R), CC_OK);
                    assert_int_equal(R->model, P.site.model);
                    for (uint32_t v = 0; v < nv; v++) {
                        assert_true(R->opt[v] >= optv[v] - 1e-6);      /* own answer: a value some set reaches */
                        assert_true(R->opt_bound[v] <= optv[v] + 1e-6); /* own bound: below the optimum */
                    }
                    uint32_t mask = 0;
                    assert_true(R->n_sites <= p);
                    for (uint32_t r = 0; r < R->n_sites; r++) {
                        assert_true(R->sites[r] < nc);
                        assert_false(mask >> R->sites[r] & 1);
                        mask |= 1u << R->sites[r];
                    }
                    assert_true(ok[mask]); /* the limits hold (maxima and minima) */
                    for (uint32_t v = 0; v < nv; v++) {
                        assert_true(fabs(R->cov[v] - val[mask][v]) < 1e-6);
                        assert_true(fabs(cc_site_robust_value(&in[v], P.site.model, R->sites, R->n_sites) - val[mask][v]) < 1e-6);
                    }
                    bool rg = o == 1 || o == 2;
                    double best = INFINITY, mine = 0;
                    for (uint32_t m = 0; m < (1u << nc); m++) {
                        if (!ok[m]) continue;
                        double x = o == 3 ? 0 : -INFINITY;
                        for (uint32_t v = 0; v < nv; v++) {
                            if (o == 0) x = fmax(x, val[m][v]);
                            else if (o == 3) x += wts[v] / ws * val[m][v];
                            else {
                                double r = val[m][v] - R->opt[v];
                                if (o == 2) r = R->opt[v] > 0 ? r / R->opt[v] : 0;
                                x = fmax(x, r);
                            }
                        }
                        if (m == mask) mine = x;
                        best = fmin(best, x);
                    }
                    double tol = 1e-6 * (1 + fabs(best));
                    assert_true(fabs(mine - R->objective_value) < tol);
                    assert_true(R->bound <= best + tol);            /* a lower bound: never above the optimum */
                    assert_true(R->objective_value >= best - tol);
                    if (R->proven_optimal) assert_true(R->objective_value <= best + tol);
                    double den = rg ? R->objective_conservative : R->objective_value;
                    assert_true(R->objective_value - best <= R->gap * fabs(den) + tol);
                    for (uint32_t v = 0; v < nv && rg; v++) {
                        double r = R->cov[v] - R->opt[v];
                        if (o == 2) r = R->opt[v] > 0 ? r / R->opt[v] : 0;
                        assert_true(fabs(r - R->regret[v]) < 1e-6);
                        assert_true(fabs(cc_site_robust_regret(R, v, R->cov[v]) - (R->cov[v] - R->opt[v])) < 1e-9);
                    }
                    for (uint32_t a = 0; a < nv; a++) {
                        uint32_t om = 0;
                        for (uint32_t k = R->own_first[a]; k < R->own_first[a + 1]; k++) om |= 1u << R->own_sites[k];
                        assert_true(ok[om]);
                        for (uint32_t v = 0; v < nv; v++) assert_true(fabs(R->cross[a * nv + v] - val[om][v]) < 1e-6);
                    }
                    if (!heur) {
                        total[model]++;
                        if (fabs(R->objective_value - best) < tol) equal[model]++;
                        if (R->proven_optimal) proven[model]++;
                        if (center && o == 2) {
                            rel_total++;
                            rel_equal += fabs(R->objective_value - best) < tol;
                            rel_proven += R->proven_optimal;
                        }
                    }
                    cc_robust_solution_destroy(R);
                }
            }
            for (uint32_t v = 0; v < nv; v++) free_tvar(&V[v]);
        }
    }
    g_amin = NULL;
    print_message("robust pmedian: %d of %d answers equal the enumerated optimum (%d proven); pcenter %d of %d (%d proven)\n", equal[0],
                  total[0], proven[0], equal[1], total[1], proven[1]);
    assert_int_equal(total[0], 480);
    assert_int_equal(total[1], 360);
    print_message("robust pcenter relative regret (ranked times): %d of %d equal the enumerated optimum (%d proven)\n", rel_equal, rel_total, rel_proven);
    assert_int_equal(rel_total, 120);
    assert_true(rel_equal >= rel_total * 98 / 100);
    assert_true(equal[0] >= total[0] * 98 / 100);
    assert_true(equal[1] >= total[1] * 98 / 100);
    cc_ctx_destroy(ctx);
}

static void test_refusals(void **state)
{
    (void)state;
    cc_ctx *ctx = NULL;
    cc_ctx_create(&ctx);
    rs = 7;
    var A, B;
    make_var(&A, 6, 10, NULL, 0, NULL);
    make_var(&B, 7, 10, NULL, 0, NULL);
    cc_site_instance in[2] = {A.in, B.in};
    cc_robust_params P = {.objective = CC_ROBUST_MAX_MIN};
    P.site.model = CC_SITE_MCLP;
    P.site.p = 2;
    cc_robust_solution *R = NULL;
    assert_int_equal(cc_site_robust_solve(ctx, in, 2, &P, &R), CC_ERR_PARAM);
    assert_non_null(strstr(cc_ctx_last_error(ctx), "candidates must be shared"));
    assert_null(R);
    in[1] = A.in;
    P.site.model = CC_SITE_LSCP; /* lscp: max_min only, with a target in (0, 1] */
    P.site.target_share = 0.9;
    P.objective = CC_ROBUST_MIN_MAX_REGRET;
    assert_int_equal(cc_site_robust_solve(ctx, in, 2, &P, &R), CC_ERR_PARAM);
    assert_non_null(strstr(cc_ctx_last_error(ctx), "not defined for it"));
    P.objective = CC_ROBUST_EXPECTED;
    assert_int_equal(cc_site_robust_solve(ctx, in, 2, &P, &R), CC_ERR_PARAM);
    assert_non_null(strstr(cc_ctx_last_error(ctx), "not defined for it"));
    P.objective = CC_ROBUST_MAX_MIN;
    P.site.target_share = 1.5;
    assert_int_equal(cc_site_robust_solve(ctx, in, 2, &P, &R), CC_ERR_PARAM);
    assert_non_null(strstr(cc_ctx_last_error(ctx), "target share"));
    assert_null(R);
    P.site.model = CC_SITE_MEXCLP;
    assert_int_equal(cc_site_robust_solve(ctx, in, 2, &P, &R), CC_ERR_PARAM);
    assert_non_null(strstr(cc_ctx_last_error(ctx), "mclp, lscp, pmedian and pcenter"));
    P.site.model = CC_SITE_PMEDIAN; /* without pair times */
    assert_int_equal(cc_site_robust_solve(ctx, in, 2, &P, &R), CC_ERR_PARAM);
    assert_non_null(strstr(cc_ctx_last_error(ctx), "pair times"));
    P.site.model = CC_SITE_PCENTER; /* expected: refused with the reason */
    P.objective = CC_ROBUST_EXPECTED;
    assert_int_equal(cc_site_robust_solve(ctx, in, 2, &P, &R), CC_ERR_PARAM);
    assert_non_null(strstr(cc_ctx_last_error(ctx), "weighted mean of worst times"));
    P.objective = CC_ROBUST_MAX_MIN;
    P.site.model = CC_SITE_MCLP;
    double w[2] = {0, 0};
    P.objective = CC_ROBUST_EXPECTED;
    P.weights = w;
    assert_int_equal(cc_site_robust_solve(ctx, in, 2, &P, &R), CC_ERR_PARAM);
    assert_non_null(strstr(cc_ctx_last_error(ctx), "every weight is 0"));
    free_var(&A), free_var(&B);
    cc_ctx_destroy(ctx);
}

/* Robust LSCP against enumeration: the fewest sites (within the area limits) whose coverage
 * reaches need_v = min(target x total_v, coverage of every candidate) in every variant. */
static void test_lscp(void **state)
{
    (void)state;
    cc_ctx *ctx = NULL;
    cc_ctx_create(&ctx);
    int equal = 0, proven = 0, capped = 0, unreachable = 0, zero = 0;
    for (int t = 0; t < 200; t++) {
        rs = 50000 + (uint64_t)t;
        uint32_t nc = 5 + rnd(6), nd = 8 + rnd(20), nv = 2 + rnd(4);
        static const double targets[] = {0.1, 0.5, 0.7, 0.8, 0.9, 0.95, 0.99, 1.0};
        double target = targets[rnd(8)];
        uint32_t area[16], amax[4], amin[4] = {0}, n_areas = 0;
        bool areas = t % 3 == 0;
        g_amin = NULL;
        if (areas) {
            n_areas = 2;
            for (uint32_t j = 0; j < nc; j++) area[j] = rnd(3) == 0 ? CC_INVALID_ID : rnd(2);
            area[0] = 0, area[1] = 1;
            amax[0] = 1 + rnd(2), amax[1] = 1 + rnd(3);
            if (t % 2 == 0) {
                amin[1] = 1;
                g_amin = amin;
            }
        }
        var V[5];
        cc_site_instance in[5];
        double need[5];
        bool cap = false;
        for (uint32_t v = 0; v < nv; v++) {
            make_var(&V[v], nc, nd, areas ? area : NULL, n_areas, areas ? amax : NULL);
            in[v] = V[v].in;
            double tot = in[v].extra_covered_weight;
            for (uint32_t i = 0; i < nd; i++) tot += in[v].weight[i];
            double goal = target * tot, eps = 1e-9 * (tot + 1.0), reach = cov_mask(&in[v], (1u << nc) - 1);
            if (reach < goal - eps) goal = reach, cap = true;
            need[v] = goal - eps;
        }
        /* enumeration: the smallest feasible set meeting every need */
        uint32_t kmin = UINT32_MAX;
        for (uint32_t mask = 0; mask < (1u << nc); mask++) {
            uint32_t k = (uint32_t)__builtin_popcount(mask);
            if (k >= kmin || !feasible(mask, nc, nc, areas ? area : NULL, n_areas, amax)) continue;
            bool ok = true;
            for (uint32_t v = 0; v < nv && ok; v++) ok = cov_mask(&in[v], mask) >= need[v];
            if (ok) kmin = k;
        }
        cc_robust_params P = {.objective = CC_ROBUST_MAX_MIN};
        P.site.model = CC_SITE_LSCP;
        P.site.target_share = target;
        cc_robust_solution *R = NULL;
        assert_int_equal(cc_site_robust_solve(ctx, in, nv, &P, &R), CC_OK);
        assert_int_equal(R->model, CC_SITE_LSCP);
        /* sites: distinct, within the area limits; reported coverage recomputed */
        uint32_t mask = 0;
        for (uint32_t r = 0; r < R->n_sites; r++) {
            assert_true(R->sites[r] < nc);
            assert_false(mask >> R->sites[r] & 1);
            mask |= 1u << R->sites[r];
        }
        assert_true(feasible(mask, nc, nc, areas ? area : NULL, n_areas, amax));
        bool meets = true;
        for (uint32_t v = 0; v < nv; v++) {
            double c = cov_mask(&in[v], mask);
            assert_true(fabs(c - R->cov[v]) < 1e-6);
            meets &= c >= need[v];
        }
        if (kmin == UINT32_MAX) { /* the area limits stop every set: best effort, no claim */
            unreachable++;
            assert_false(R->feasible);
            assert_false(R->proven_optimal);
        } else {
            assert_true(meets);
            assert_true(R->n_sites >= kmin);
            assert_true(R->bound <= (double)kmin + 1e-9); /* never on the wrong side */
            assert_true(R->bound <= (double)R->n_sites + 1e-9);
            assert_true(R->feasible == !cap);
            if (R->proven_optimal) {
                assert_int_equal(R->n_sites, kmin);
                assert_true(R->gap == 0);
                proven++;
            } else {
                assert_true(R->gap > 0);
            }
            equal += R->n_sites == kmin;
            zero += kmin == 0;
            capped += cap;
        }
        cc_robust_solution_destroy(R);
        for (uint32_t v = 0; v < nv; v++) free_var(&V[v]);
    }
    g_amin = NULL;
    printf("robust lscp: %d of 200 equal to enumeration, %d proven minimal, %d capped (all candidates miss a target), %d unreachable "
           "under the area limits, %d needing no site\n",
           equal, proven, capped, unreachable, zero);
    assert_true(200 - unreachable >= 120 && capped >= 20 && unreachable >= 10); /* every kind of case is exercised */
    assert_true(equal >= 200 - unreachable - 5);
    cc_ctx_destroy(ctx);
}

int main(void)
{
    const struct CMUnitTest tests[] = {cmocka_unit_test(test_random), cmocka_unit_test(test_time_models), cmocka_unit_test(test_lscp),
                                       cmocka_unit_test(test_refusals)};
    return cmocka_run_group_tests(tests, NULL, NULL);
}
