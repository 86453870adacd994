/*
 * robust.c - the report of a robust siting folder (carecircle site --scenarios, issue 18): the
 * objective in plain words for an official, the robust sites, each variant's figures, the regret
 * table (the robust set and each variant's own answer: the people each covers in every variant,
 * the regret there, the worst case), a chart of the coverage per variant (the robust set against
 * the variant's own answer) and each variant's map (drawn into <variant>/ by the siting writer).
 * Every figure comes from summary.json and is shown in the unit of the model's measure
 * (cc__robust_measure: people covered for mclp and lscp, minutes of mean or worst travel time for
 * p-median and p-centre, better lower); people are whole persons (no 万 rounding: the regret
 * table is read to the person). LSCP's objective is a count of sites: its tables are the sites
 * each answer needs and the share it covers in each variant.
 */
#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "carecircle/cc_version.h"
#include "../io/write_internal.h"
#include "report_internal.h"

/* ---- what the figures measure ------------------------------------------------------------------------------------- */

static const cc__robust_measure measures[] = {
    {"mclp", "covered", "persons", "覆盖人口", "people covered", "人", "people", 1, 0, true, NULL, NULL},
    {"lscp", "covered", "persons", "覆盖人口", "people covered", "人", "people", 1, 0, true, "个新址", "sites"},
    {"pmedian", "mean_time", "s", "人口加权平均就医时间", "population-weighted mean travel time", "分钟", "minutes", 1.0 / 60, 2, false, NULL, NULL},
    {"pcenter", "worst_time", "s", "最长就医时间", "longest travel time", "分钟", "minutes", 1.0 / 60, 2, false, NULL, NULL},
};
/* LSCP's chart and regret table: the covered share of each variant, in per cent */
static const cc__robust_measure share_measure = {"lscp", "covered_share", "share", "覆盖比例", "covered share", "%", "%", 100, 1, true, NULL, NULL};

const cc__robust_measure *cc__robust_measure_of(const char *model)
{
    for (size_t i = 0; model && i < sizeof(measures) / sizeof(measures[0]); i++)
        if (!strcmp(measures[i].model, model)) return &measures[i];
    return NULL;
}

const char *cc__robust_fmt(const cc__robust_measure *m, double v, char *buf, size_t n)
{
    if (isnan(v)) snprintf(buf, n, "–");
    else if (m->decimals == 0) cc_report_count(v * m->scale, buf, n);
    else {
        double x = v * m->scale, half = 0.5 * pow(10, -m->decimals);
        snprintf(buf, n, "%.*f", m->decimals, fabs(x) < half ? 0.0 : x); /* no "-0.0" */
    }
    return buf;
}

double cc__robust_regret(const cc__robust_measure *m, double own, double value) { return m->higher_better ? own - value : value - own; }

static const char *tr_rb(const char *lang, const char *key)
{
    static const struct {
        const char *key, *zh, *en;
    } t[] = {
        {"title", "稳健选址：一套新址应对所有情景", "Robust siting: one set of new sites for every scenario"},
        {"h_sites", "稳健新址", "The robust sites"},
        {"h_variants", "各情景的结果", "Each scenario"},
        {"h_regret", "遗憾值表：每个方案在每个情景下的结果与遗憾值", "Regret table: each answer in each scenario, and the regret"},
        {"h_regret_lscp", "各方案在每个情景下的覆盖人口与覆盖比例", "People covered and covered share of each answer in each scenario"},
        {"lscp_note", "每格上方为该方案在该情景下的覆盖人口，下方为覆盖比例。第一行为稳健方案，其余各行为只为某一情景单独规划的最少新址。",
         "Each cell: the people the answer covers in the scenario (top) and the covered share (below). The first row is the robust set; each other row "
         "is the fewest sites planned for one scenario alone."},
        {"h_chart", "各情景的结果：稳健方案与该情景单独规划的最优方案", "Each scenario: the robust set against the scenario's own best sites"},
        {"h_maps", "各情景地图（星号为稳健新址，蓝圈为该情景单独规划的最优新址）", "Map of each scenario (stars: the robust sites; blue rings: the scenario's own best sites)"},
        {"answer", "方案", "Answer"},
        {"robust_row", "稳健方案", "Robust set"},
        {"own_row", "单独规划：", "Planned for "},
        {"worst_val", "最差情景", "Worst case"},
        {"worst_reg", "最大遗憾值", "Worst regret"},
        {"worst_share", "最差情景覆盖比例", "Worst covered share"},
        {"met", "所有情景达标", "Every target met"},
        {"yes", "是", "yes"},
        {"no", "否", "no"},
        {"n_sites", "新址数", "Sites"},
        {"scenario", "情景", "Scenario"},
        {"weight", "权重", "Weight"},
        {"own_sites", "单独规划最少新址数", "Its own fewest sites"},
        {"own_sites_bound", "单独规划新址数下界", "Lower bound of its own"},
        {"extra_sites", "稳健方案多用的新址", "Extra sites of the robust set"},
        {"regret_share", "遗憾值（比例）", "Regret (share)"},
        {"rank", "序号", "Rank"},
        {"name", "名称", "Name"},
        {"lonlat", "经度, 纬度", "Longitude, latitude"},
        {"leg_robust", "稳健方案", "Robust set"},
        {"leg_own", "该情景单独规划的最优方案", "The scenario's own best sites"},
        {"report_link", "该情景的详细报告", "This scenario's full report"},
    };
    bool zh = !strcmp(lang, "zh");
    for (size_t i = 0; i < sizeof(t) / sizeof(t[0]); i++)
        if (!strcmp(t[i].key, key)) return zh ? t[i].zh : t[i].en;
    return key;
}

typedef struct rb_var {
    const char *name;
    double cov, opt, optb, weight, regret_share;
    double total, share, extra; /* LSCP: the denominator of the share, the robust set's share, its extra sites */
    bool proven;
    json_object *by_own; /* [a]: the value of answer a (variant a's own) in this variant */
} rb_var;

typedef struct rb_data {
    const cc__robust_measure *m;
    bool lscp;
    const char *objective, *regret_kind;
    double minutes, obj, bound, gap, target_share;
    int p;
    bool proven, have_weights, feasible;
    const char *bound_method, *bound_method_zh; /* zh: the method in words */
    size_t n;
    rb_var *v;
    json_object *sites, *own_sites; /* own_sites: LSCP, per variant the count of its own answer's sites */
} rb_data;

static double jnum_or(json_object *o, const char *k, double d)
{
    json_object *x;
    return o && json_object_object_get_ex(o, k, &x) && (json_object_is_type(x, json_type_double) || json_object_is_type(x, json_type_int))
               ? json_object_get_double(x)
               : d;
}

static const char *jstr_or(json_object *o, const char *k, const char *d)
{
    json_object *x;
    return o && json_object_object_get_ex(o, k, &x) && json_object_is_type(x, json_type_string) ? json_object_get_string(x) : d;
}

/* The bound's method in Chinese words for the zh report (the names of summary.json otherwise). */
static const char *method_zh(const char *m)
{
    static const char *const t[][2] = {{"lagrangian", "拉格朗日松弛"}, {"lp", "线性规划松弛"}, {"mip", "整数规划求解"},
                                       {"variant-bounds", "各情景单独的界"}, {"pmedian-union", "合并各情景的 p-中位问题"},
                                       {"pcenter-union", "合并各情景的 p-中心问题"}, {"mclp-union", "合并各情景的最大覆盖问题"},
                                       {"without-new-sites", "不建新址时的结果"}, {"trivial", "平凡界"}};
    for (size_t i = 0; m && i < sizeof(t) / sizeof(t[0]); i++)
        if (!strcmp(m, t[i][0])) return t[i][1];
    return m;
}

/* summary.json's key @p a_@p b (b may be NULL) of the model's measure, e.g. covered_robust_persons. */
static double jkey(json_object *o, const char *a, const char *b, const char *c)
{
    char k[96];
    snprintf(k, sizeof(k), "%s%s%s", a, b, c);
    return jnum_or(o, k, NAN);
}

/* summary.json of a robust folder into @p r (borrowed from @p j); CC_ERR_INPUT naming the file. */
static cc_status rb_read(cc_ctx *ctx, const char *dir, json_object *j, rb_data *r)
{
    json_object *sol = NULL, *par = NULL, *vars = NULL;
    json_object_object_get_ex(j, "solution", &sol);
    json_object_object_get_ex(j, "parameters", &par);
    json_object_object_get_ex(j, "robust_sites", &r->sites);
    if (!json_object_object_get_ex(j, "variants", &vars) || !json_object_is_type(vars, json_type_array) || !sol ||
        !json_object_is_type(r->sites, json_type_array))
        return cc__fail(ctx, CC_ERR_INPUT, "'%s/summary.json' is not the summary of a robust siting run (solution, robust_sites, variants)", dir);
    const char *model = jstr_or(j, "model", "mclp");
    if (!(r->m = cc__robust_measure_of(model)))
        return cc__fail(ctx, CC_ERR_INPUT, "'%s/summary.json': model '%s' is not one of robust siting's (mclp, lscp, pmedian, pcenter)", dir, model);
    const cc__robust_measure *m = r->m;
    r->lscp = m->objective_unit_en != NULL;
    r->objective = jstr_or(j, "objective", "max_min");
    r->regret_kind = jstr_or(j, "regret", "absolute");
    r->minutes = jnum_or(par, "minutes", NAN);
    r->target_share = jnum_or(par, "target_share", NAN);
    r->obj = jnum_or(sol, "objective", NAN);
    r->p = (int)jnum_or(par, "p", r->lscp ? jnum_or(sol, "sites", 0) : 0);
    r->bound = jnum_or(sol, "bound", NAN);
    r->gap = jnum_or(sol, "gap", NAN);
    r->bound_method = jstr_or(sol, "bound_method", "");
    r->bound_method_zh = method_zh(r->bound_method);
    json_object *pv;
    r->proven = json_object_object_get_ex(sol, "proven_optimal", &pv) && json_object_get_boolean(pv);
    r->feasible = !json_object_object_get_ex(sol, "feasible", &pv) || json_object_get_boolean(pv);
    r->n = json_object_array_length(vars);
    if (!(r->v = cc__calloc_array(r->n ? r->n : 1, sizeof(rb_var)))) return cc__fail(ctx, CC_ERR_NOMEM, "Out of memory");
    char by[96];
    snprintf(by, sizeof(by), "%s_by_own_answers_%s", m->what, m->unit);
    for (size_t i = 0; i < r->n; i++) {
        json_object *e = json_object_array_get_idx(vars, i);
        rb_var *v = &r->v[i];
        v->name = jstr_or(e, "name", "?");
        v->cov = jkey(e, m->what, "_robust_", m->unit);
        v->weight = jnum_or(e, "weight", NAN);
        r->have_weights |= !isnan(v->weight);
        v->proven = json_object_object_get_ex(e, "own_optimum_proven", &pv) && json_object_get_boolean(pv);
        if (r->lscp) { /* the own answers are counts of sites; the regret is the extra sites */
            v->opt = jnum_or(e, "own_optimum_sites", NAN);
            v->optb = jnum_or(e, "own_bound_sites", NAN);
            v->extra = jnum_or(e, "extra_sites", NAN);
            v->total = jnum_or(e, "total_persons", NAN);
            v->share = jnum_or(e, "covered_share_robust", NAN);
        } else {
            v->opt = jkey(e, "own_optimum_", m->unit, "");
            v->optb = jkey(e, "own_bound_", m->unit, "");
            v->regret_share = jnum_or(e, "regret_share", NAN);
        }
        if (!json_object_object_get_ex(e, by, &v->by_own) || !json_object_is_type(v->by_own, json_type_array) ||
            json_object_array_length(v->by_own) != r->n || isnan(v->cov) || isnan(v->opt) || (r->lscp && isnan(v->total)))
            return cc__fail(ctx, CC_ERR_INPUT, "'%s/summary.json': variant <%s> lacks its figures", dir, v->name);
    }
    return CC_OK;
}

/* The value of answer @p a (0: the robust set, a > 0: variant a-1's own) in variant @p v. */
static double answer_val(const rb_data *r, size_t a, size_t v)
{
    return a == 0 ? r->v[v].cov : json_object_get_double(json_object_array_get_idx(r->v[v].by_own, a - 1));
}

/* The value of variant @p v's own answer there (its own optimum; LSCP: what its own fewest sites cover). */
static double own_val(const rb_data *r, size_t v) { return r->lscp ? answer_val(r, v + 1, v) : r->v[v].opt; }

static const char *unit_of(const cc__robust_measure *m, const char *lang) { return strcmp(lang, "zh") ? m->unit_en : m->unit_zh; }
static const char *label_of(const cc__robust_measure *m, const char *lang) { return strcmp(lang, "zh") ? m->label_en : m->label_zh; }

/* "1,234 people", "23.4 minutes", "1,234 人", "23.4 分钟" */
static const char *with_unit(const cc__robust_measure *m, double v, const char *lang, char *buf, size_t n)
{
    char b[48];
    snprintf(buf, n, "%s %s", cc__robust_fmt(m, v, b, sizeof(b)), unit_of(m, lang));
    return buf;
}

/* LSCP: the fewest sites that bring every variant to the target share, and their proof. */
static void intro_lscp(GString *g, const rb_data *r, const char *lang)
{
    bool zh = !strcmp(lang, "zh");
    char s[1200];
    if (r->feasible)
        snprintf(s, sizeof(s), zh ? "下列 %d 个新址是让全部 %zu 个情景都达到 %.4g%% 人口在 %g 分钟内能到达医疗机构所需的最少新址。"
                                  : "The %d sites below are the fewest new sites that bring each of the %zu scenarios to %.4g%% of people within %g minutes of a facility.",
                 r->p, r->n, 100 * r->target_share, r->minutes);
    else
        snprintf(s, sizeof(s), zh ? "即使用上所有候选地点，也不是每个情景都能达到 %.4g%% 人口在 %g 分钟内能到达医疗机构；下列 %d 个新址是尽力而为的方案（各情景的目标降为所有候选地点能达到的覆盖）。"
                                  : "Not every scenario can reach %.4g%% of people within %g minutes of a facility even with every candidate site; the %d sites below "
                                    "are the best effort (each scenario's target capped at what all candidates reach).",
                 100 * r->target_share, r->minutes, r->p);
    g_string_append(g, "<p class=\"objective\">");
    cc__xml_esc(g, s);
    g_string_append(g, "</p>\n<p class=\"bound\">");
    if (r->proven)
        snprintf(s, sizeof(s), zh ? "已证明最少：%d 个新址无法让每个情景都达标（%s）。" : "Proven minimal: %d sites cannot bring every scenario to the target (%s).",
                 r->p - 1, zh ? r->bound_method_zh : r->bound_method);
    else
        snprintf(s, sizeof(s), zh ? "质量保证：至少需要 %.0f 个新址（下界，%s）；差距 %.2f%%。"
                                  : "Proof of quality: no fewer than %.0f sites can do it (lower bound, %s); the gap is %.2f%%.",
                 r->bound, zh ? r->bound_method_zh : r->bound_method, 100 * r->gap);
    cc__xml_esc(g, s);
    g_string_append(g, "</p>\n");
}

/* The objective and its proof in plain words, with the run's figures, for the model's measure. */
static void sec_intro(GString *g, const rb_data *r, const char *lang)
{
    if (r->lscp) {
        intro_lscp(g, r, lang);
        return;
    }
    const cc__robust_measure *m = r->m;
    bool zh = !strcmp(lang, "zh"), cov = m->higher_better;
    char a[64], b[64], s[1400];
    size_t worst = 0; /* the variant where the answer does worst (its value, or its regret) */
    bool regret = !strcmp(r->objective, "min_max_regret"), rel = regret && !strcmp(r->regret_kind, "relative");
    for (size_t v = 0; v < r->n; v++) {
        double x = regret ? (rel ? r->v[v].regret_share : cc__robust_regret(m, r->v[v].opt, r->v[v].cov)) : (cov ? -r->v[v].cov : r->v[v].cov);
        double y = regret ? (rel ? r->v[worst].regret_share : cc__robust_regret(m, r->v[worst].opt, r->v[worst].cov))
                          : (cov ? -r->v[worst].cov : r->v[worst].cov);
        if (x > y) worst = v;
    }
    const char *wn = r->n ? r->v[worst].name : "", *lab = label_of(m, lang);
    if (!strcmp(r->objective, "max_min")) {
        if (cov && zh)
            snprintf(s, sizeof(s), "下列 %d 个新址的选择原则是：让 %zu 个情景中最差的情况尽量好。无论出现哪种情景，至少有 %s 在 %g 分钟内能到达医疗机构（最差的情景是“%s”）。",
                     r->p, r->n, with_unit(m, r->obj, lang, a, sizeof(a)), r->minutes, wn);
        else if (cov)
            snprintf(s, sizeof(s), "The %d sites below were chosen so that the worst of the %zu scenarios is as good as possible: whichever scenario happens, "
                     "at least %s live within %g minutes of a facility (the worst case is scenario “%s”).",
                     r->p, r->n, with_unit(m, r->obj, lang, a, sizeof(a)), r->minutes, wn);
        else if (zh)
            snprintf(s, sizeof(s), "下列 %d 个新址的选择原则是：让 %zu 个情景中最差的情况尽量好。无论出现哪种情景，%s都不超过 %s（最差的情景是“%s”）。",
                     r->p, r->n, lab, with_unit(m, r->obj, lang, a, sizeof(a)), wn);
        else
            snprintf(s, sizeof(s), "The %d sites below were chosen so that the worst of the %zu scenarios is as good as possible: whichever scenario happens, "
                     "the %s to the nearest facility is at most %s (the worst case is scenario “%s”).",
                     r->p, r->n, lab, with_unit(m, r->obj, lang, a, sizeof(a)), wn);
    } else if (regret) {
        char amount[64];
        if (rel) snprintf(amount, sizeof(amount), "%.2f%%", 100 * r->obj);
        else with_unit(m, r->obj, lang, amount, sizeof(amount));
        if (zh)
            snprintf(s, sizeof(s), "下列 %d 个新址的选择原则是：在每个情景下，与只为该情景单独规划的最优新址相比，%s（“遗憾值”%s）尽量小。"
                     "遗憾值最大的情景是“%s”：%s%s。",
                     r->p, cov ? "少覆盖的人数" : (m->what[0] == 'm' ? "平均就医时间多出的部分" : "最长就医时间多出的部分"), rel ? "，按比例计" : "", wn,
                     cov ? "少覆盖 " : "多出 ", amount);
        else if (cov)
            snprintf(s, sizeof(s), "The %d sites below were chosen so that in every scenario they fall as little as possible short of the best sites "
                     "that scenario alone would get (the “regret”%s). Where they fall shortest, in scenario “%s”, they cover %s fewer%s.",
                     r->p, rel ? ", as a share" : "", wn, amount, rel ? " people than that scenario's own best sites" : "");
        else
            snprintf(s, sizeof(s), "The %d sites below were chosen so that in every scenario they fall as little as possible short of the best sites "
                     "that scenario alone would get (the “regret”%s). Where they fall shortest, in scenario “%s”, the %s is %s longer than with "
                     "that scenario's own best sites.",
                     r->p, rel ? ", as a share" : "", wn, lab, amount);
    } else {
        if (cov && zh)
            snprintf(s, sizeof(s), "下列 %d 个新址的选择原则是：按各情景出现的频率加权（权重见下表），平均覆盖人数最多：平均 %s 在 %g 分钟内能到达医疗机构。",
                     r->p, with_unit(m, r->obj, lang, a, sizeof(a)), r->minutes);
        else if (cov)
            snprintf(s, sizeof(s), "The %d sites below were chosen to cover the most people on average over the scenarios, each weighted by how often it "
                     "happens (weights below): on average %s live within %g minutes of a facility.",
                     r->p, with_unit(m, r->obj, lang, a, sizeof(a)), r->minutes);
        else if (zh)
            snprintf(s, sizeof(s), "下列 %d 个新址的选择原则是：按各情景出现的频率加权（权重见下表），%s的加权平均最短：%s。",
                     r->p, lab, with_unit(m, r->obj, lang, a, sizeof(a)));
        else
            snprintf(s, sizeof(s), "The %d sites below were chosen to make the %s as short as possible on average over the scenarios, each weighted by how "
                     "often it happens (weights below): %s on average.",
                     r->p, lab, with_unit(m, r->obj, lang, a, sizeof(a)));
    }
    g_string_append(g, "<p class=\"objective\">");
    cc__xml_esc(g, s);
    g_string_append(g, "</p>\n<p class=\"bound\">");
    /* the proof: an upper bound for coverage max_min and expected, a lower bound otherwise */
    if (rel) snprintf(b, sizeof(b), "%.2f%%", 100 * r->bound);
    else with_unit(m, r->bound, lang, b, sizeof(b));
    if (r->proven)
        snprintf(s, sizeof(s), zh ? "该方案已证明最优（%s）。" : "This answer is proven optimal (%s).", zh ? r->bound_method_zh : r->bound_method);
    else if (regret)
        snprintf(s, sizeof(s), zh ? "质量保证：任何 %d 个新址的最大遗憾值都不会低于 %s（下界，%s）；差距 %.2f%%。"
                                  : "Proof of quality: no choice of %d sites has a worst regret below %s (lower bound, %s); the gap is %.2f%%.",
                 r->p, b, zh ? r->bound_method_zh : r->bound_method, 100 * r->gap);
    else if (cov)
        snprintf(s, sizeof(s), zh ? "质量保证：任何 %d 个新址都不会超过 %s（上界，%s）；差距 %.2f%%。"
                                  : "Proof of quality: no choice of %d sites does better than %s (upper bound, %s); the gap is %.2f%%.",
                 r->p, b, zh ? r->bound_method_zh : r->bound_method, 100 * r->gap);
    else
        snprintf(s, sizeof(s), zh ? "质量保证：任何 %d 个新址都不能使该值低于 %s（下界，%s）；差距 %.2f%%。"
                                  : "Proof of quality: no choice of %d sites brings it below %s (lower bound, %s); the gap is %.2f%%.",
                 r->p, b, zh ? r->bound_method_zh : r->bound_method, 100 * r->gap);
    cc__xml_esc(g, s);
    g_string_append(g, "</p>\n");
}

static void sec_sites(GString *g, const rb_data *r, const char *lang)
{
    g_string_append(g, "<h2>");
    cc__xml_esc(g, tr_rb(lang, "h_sites"));
    g_string_append(g, "</h2>\n<table class=\"sites\"><tr>");
    cc__html_th(g, tr_rb(lang, "rank"), false);
    cc__html_th(g, tr_rb(lang, "name"), true);
    cc__html_th(g, tr_rb(lang, "lonlat"), false);
    g_string_append(g, "</tr>\n");
    for (size_t k = 0; k < json_object_array_length(r->sites); k++) {
        json_object *e = json_object_array_get_idx(r->sites, k);
        g_string_append_printf(g, "<tr><td>%d</td>", (int)jnum_or(e, "rank", (double)k + 1));
        const char *nzh = !strcmp(lang, "zh") ? jstr_or(e, "name_zh", NULL) : NULL; /* a road point's name in Chinese */
        cc__html_td(g, nzh && *nzh ? nzh : jstr_or(e, "name", ""));
        g_string_append_printf(g, "<td>%.5f, %.5f</td></tr>\n", jnum_or(e, "lon", NAN), jnum_or(e, "lat", NAN));
    }
    g_string_append(g, "</table>\n");
}

static void td_val(GString *g, const cc__robust_measure *m, double v, const char *cls)
{
    char b[48];
    g_string_append_printf(g, "<td class=\"%s\">%s</td>", cls, cc__robust_fmt(m, v, b, sizeof(b)));
}

/* A column heading "<what> (<unit>)". */
static void th_unit(GString *g, const char *what, const char *unit, const char *lang)
{
    GString *h = g_string_new(what);
    g_string_append_printf(h, strcmp(lang, "zh") ? " (%s)" : "（%s）", unit);
    cc__html_th(g, h->str, false);
    g_string_free(h, TRUE);
}

/* Per variant: weight, the robust set's value, the own optimum and its bound, the regret (LSCP: the
 * robust set's coverage and share, the variant's own fewest sites and their bound, the extra sites). */
static void sec_variants(GString *g, const rb_data *r, const char *lang)
{
    const cc__robust_measure *m = r->m;
    bool zh = !strcmp(lang, "zh");
    const char *u = unit_of(m, lang);
    g_string_append(g, "<h2>");
    cc__xml_esc(g, tr_rb(lang, "h_variants"));
    g_string_append(g, "</h2>\n<table class=\"variants\"><tr>");
    cc__html_th(g, tr_rb(lang, "scenario"), true);
    if (r->have_weights) cc__html_th(g, tr_rb(lang, "weight"), false);
    char h[160];
    if (r->lscp) {
        snprintf(h, sizeof(h), zh ? "稳健方案%s" : "Robust set: %s", label_of(m, lang));
        th_unit(g, h, u, lang);
        th_unit(g, zh ? "稳健方案覆盖比例" : "Robust set: covered share", "%", lang);
        th_unit(g, tr_rb(lang, "own_sites"), zh ? m->objective_unit_zh : m->objective_unit_en, lang);
        th_unit(g, tr_rb(lang, "own_sites_bound"), zh ? m->objective_unit_zh : m->objective_unit_en, lang);
        th_unit(g, tr_rb(lang, "extra_sites"), zh ? m->objective_unit_zh : m->objective_unit_en, lang);
    } else {
        snprintf(h, sizeof(h), zh ? "稳健方案%s" : "Robust set: %s", label_of(m, lang));
        th_unit(g, h, u, lang);
        snprintf(h, sizeof(h), zh ? "单独规划最优%s" : "Its own best sites: %s", label_of(m, lang));
        th_unit(g, h, u, lang);
        th_unit(g, zh ? "单独规划最优的界" : "Bound of its own best", u, lang);
        th_unit(g, zh ? "遗憾值" : "Regret", u, lang);
        cc__html_th(g, tr_rb(lang, "regret_share"), false);
    }
    g_string_append(g, "</tr>\n");
    for (size_t v = 0; v < r->n; v++) {
        const rb_var *x = &r->v[v];
        char b[48];
        g_string_append(g, "<tr data-variant=\"");
        cc__xml_esc(g, x->name);
        g_string_append(g, "\">");
        cc__html_td(g, x->name);
        if (r->have_weights) g_string_append_printf(g, "<td class=\"weight\">%g</td>", isnan(x->weight) ? 0 : x->weight);
        td_val(g, m, x->cov, "cov");
        if (r->lscp) {
            td_val(g, &share_measure, x->share, "share_cov");
            g_string_append_printf(g, "<td class=\"opt\">%.0f</td>", x->opt);
            g_string_append_printf(g, "<td class=\"bound\">%.0f%s</td>", x->optb, x->proven ? (zh ? "（已证明）" : " (proven)") : "");
            g_string_append_printf(g, "<td class=\"reg\">%.0f</td></tr>\n", x->extra);
            continue;
        }
        td_val(g, m, x->opt, "opt");
        g_string_append_printf(g, "<td class=\"bound\">%s%s</td>", cc__robust_fmt(m, x->optb, b, sizeof(b)), x->proven ? (zh ? "（已证明）" : " (proven)") : "");
        td_val(g, m, cc__robust_regret(m, x->opt, x->cov), "reg");
        g_string_append_printf(g, "<td class=\"share\">%.2f%%</td></tr>\n", 100 * x->regret_share);
    }
    g_string_append(g, "</table>\n");
}

/* LSCP's table of answers: per answer its count of sites, what it covers in each variant (people and
 * share), the worst share and whether every variant reaches the target, as regret.csv. */
static void sec_regret_lscp(GString *g, const rb_data *r, const char *lang)
{
    char b[48];
    g_string_append(g, "<h2>");
    cc__xml_esc(g, tr_rb(lang, "h_regret_lscp"));
    g_string_append(g, "</h2>\n<p class=\"note\">");
    cc__xml_esc(g, tr_rb(lang, "lscp_note"));
    g_string_append(g, "</p>\n<table class=\"regret\"><tr>");
    cc__html_th(g, tr_rb(lang, "answer"), true);
    cc__html_th(g, tr_rb(lang, "n_sites"), false);
    for (size_t v = 0; v < r->n; v++) cc__html_th(g, r->v[v].name, false);
    cc__html_th(g, tr_rb(lang, "worst_share"), false);
    cc__html_th(g, tr_rb(lang, "met"), false);
    g_string_append(g, "</tr>\n");
    for (size_t a = 0; a <= r->n; a++) {
        g_string_append(g, a == 0 ? "<tr data-answer=\"robust\" style=\"background:#fff7d6\">" : "<tr data-answer=\"own_");
        if (a) {
            cc__xml_esc(g, r->v[a - 1].name);
            g_string_append(g, "\">");
        }
        GString *lab = g_string_new(a == 0 ? tr_rb(lang, "robust_row") : tr_rb(lang, "own_row"));
        if (a) g_string_append(lab, r->v[a - 1].name);
        cc__html_td(g, lab->str);
        g_string_free(lab, TRUE);
        g_string_append_printf(g, "<td class=\"sites\">%.0f</td>", a == 0 ? (double)r->p : r->v[a - 1].opt);
        double worst = INFINITY;
        bool met = true;
        for (size_t v = 0; v < r->n; v++) {
            double c = answer_val(r, a, v), sh = r->v[v].total > 0 ? c / r->v[v].total : 0;
            worst = fmin(worst, sh);
            met &= sh >= r->target_share - 1e-9 * (1 + 1 / fmax(r->v[v].total, 1));
            g_string_append_printf(g, "<td><span class=\"cov\">%s</span><br>", cc__robust_fmt(r->m, c, b, sizeof(b)));
            g_string_append_printf(g, "<span class=\"share note\">%.2f%%</span></td>", 100 * sh);
        }
        g_string_append_printf(g, "<td class=\"worst_share\"><b>%.2f%%</b></td><td class=\"met\">%s</td></tr>\n", 100 * worst,
                               tr_rb(lang, met ? "yes" : "no"));
    }
    g_string_append(g, "</table>\n");
}

/* The regret table: rows the answers, columns the variants (value over regret), the worst case. */
static void sec_regret(GString *g, const rb_data *r, const char *lang)
{
    if (r->lscp) {
        sec_regret_lscp(g, r, lang);
        return;
    }
    const cc__robust_measure *m = r->m;
    bool zh = !strcmp(lang, "zh");
    char b[48], note[900];
    g_string_append(g, "<h2>");
    cc__xml_esc(g, tr_rb(lang, "h_regret"));
    g_string_append(g, "</h2>\n<p class=\"note\">");
    if (zh)
        snprintf(note, sizeof(note), "每格上方为该方案在该情景下的%s（%s），下方为遗憾值：比该情景单独规划的最优方案%s的部分（%s）。第一行为稳健方案，其余各行为只为某一情景单独规划的方案。",
                 m->label_zh, m->unit_zh, m->higher_better ? "少覆盖" : "多出", m->unit_zh);
    else
        snprintf(note, sizeof(note), "Each cell: the %s of the answer in the scenario (top, %s) and its regret there (below: how much %s than with the "
                 "scenario's own best sites, %s). The first row is the robust set; each other row is the answer planned for one scenario alone.",
                 m->label_en, m->unit_en, m->higher_better ? "fewer people it covers" : "longer it is", m->unit_en);
    cc__xml_esc(g, note);
    g_string_append(g, "</p>\n<table class=\"regret\"><tr>");
    cc__html_th(g, tr_rb(lang, "answer"), true);
    for (size_t v = 0; v < r->n; v++) cc__html_th(g, r->v[v].name, false);
    th_unit(g, tr_rb(lang, "worst_val"), unit_of(m, lang), lang);
    th_unit(g, tr_rb(lang, "worst_reg"), unit_of(m, lang), lang);
    g_string_append(g, "</tr>\n");
    for (size_t a = 0; a <= r->n; a++) {
        g_string_append(g, a == 0 ? "<tr data-answer=\"robust\" style=\"background:#fff7d6\">" : "<tr data-answer=\"own_");
        if (a) {
            cc__xml_esc(g, r->v[a - 1].name);
            g_string_append(g, "\">");
        }
        GString *lab = g_string_new(a == 0 ? tr_rb(lang, "robust_row") : tr_rb(lang, "own_row"));
        if (a) g_string_append(lab, r->v[a - 1].name);
        cc__html_td(g, lab->str);
        g_string_free(lab, TRUE);
        double wc = m->higher_better ? INFINITY : -INFINITY, wr = -INFINITY;
        for (size_t v = 0; v < r->n; v++) {
            double c = answer_val(r, a, v), rg = cc__robust_regret(m, r->v[v].opt, c);
            wc = m->higher_better ? fmin(wc, c) : fmax(wc, c);
            wr = fmax(wr, rg);
            g_string_append_printf(g, "<td><span class=\"cov\">%s</span><br>", cc__robust_fmt(m, c, b, sizeof(b)));
            g_string_append_printf(g, "<span class=\"reg note\">%s</span></td>", cc__robust_fmt(m, rg, b, sizeof(b)));
        }
        g_string_append_printf(g, "<td class=\"worst_cov\"><b>%s</b></td>", cc__robust_fmt(m, wc, b, sizeof(b)));
        g_string_append_printf(g, "<td class=\"worst_reg\"><b>%s</b></td></tr>\n", cc__robust_fmt(m, wr, b, sizeof(b)));
    }
    g_string_append(g, "</table>\n");
}

/* A "nice" step for about @p n ticks over @p span. */
static double nice_step(double span, int n)
{
    double raw = span / n, mag = pow(10, floor(log10(raw > 0 ? raw : 1))), f = raw / mag;
    return (f < 1.5 ? 1 : f < 3.5 ? 2 : f < 7.5 ? 5 : 10) * mag;
}

/* Dot plot: per variant, the robust set's value (gold dot) and the variant's own best sites' (blue
 * ring), joined by the regret; the axis in the measure's shown unit (LSCP: the covered share, %);
 * inline SVG, no script. data-value holds summary.json's figure. */
static void sec_chart(GString *g, const rb_data *r, const char *lang)
{
    if (!r->n) return;
    const cc__robust_measure *m = r->lscp ? &share_measure : r->m;
    double *rv = g_new(double, r->n), *ov = g_new(double, r->n); /* summary.json's units */
    double lo = INFINITY, hi = -INFINITY;
    for (size_t v = 0; v < r->n; v++) {
        double t = r->lscp ? r->v[v].total : 1;
        rv[v] = r->lscp ? (t > 0 ? r->v[v].cov / t : 0) : r->v[v].cov;
        ov[v] = r->lscp ? (t > 0 ? own_val(r, v) / t : 0) : own_val(r, v);
        lo = fmin(lo, fmin(rv[v], ov[v]) * m->scale);
        hi = fmax(hi, fmax(rv[v], ov[v]) * m->scale);
    }
    double unit_step = m->decimals ? pow(10, -m->decimals) : 1;
    double pad = fmax((hi - lo) * 0.08, fmax(fabs(hi) * 0.002, unit_step));
    double step = nice_step(hi - lo + 2 * pad, 5);
    lo = floor((lo - pad) / step) * step;
    hi = ceil((hi + pad) / step) * step;
    if (lo < 0) lo = 0;
    const double lw = 200, bw = 560, rh = 28, top = 10, W = lw + bw + 110;
    double H = top + rh * (double)r->n + 80;
    g_string_append(g, "<h2>");
    cc__xml_esc(g, tr_rb(lang, "h_chart"));
    g_string_append_printf(g, "</h2>\n<svg class=\"chart\" role=\"img\" width=\"%.0f\" height=\"%.0f\" viewBox=\"0 0 %.0f %.0f\" font-size=\"12\" "
                              "font-family=\"Noto Sans CJK SC,Noto Sans,sans-serif\">\n", W, H, W, H);
#define XP(val) (lw + bw * ((val) * m->scale - lo) / (hi - lo))
    double ya = top + rh * (double)r->n + 4;
    g_string_append_printf(g, "<line x1=\"%.0f\" y1=\"%.1f\" x2=\"%.0f\" y2=\"%.1f\" stroke=\"#888\"/>\n", lw, ya, lw + bw, ya);
    char b[48];
    for (double t = lo; t <= hi + step * 1e-6; t += step) {
        double x = lw + bw * (t - lo) / (hi - lo);
        g_string_append_printf(g, "<line x1=\"%.1f\" y1=\"%.0f\" x2=\"%.1f\" y2=\"%.1f\" stroke=\"#e4e4e4\"/>"
                                  "<text x=\"%.1f\" y=\"%.1f\" text-anchor=\"middle\" fill=\"#555\">%s</text>\n",
                               x, top, x, ya, x, ya + 15, cc__robust_fmt(m, t / m->scale, b, sizeof(b)));
    }
    /* the axis title: what is measured, in which unit */
    g_string_append_printf(g, "<text class=\"axis\" x=\"%.0f\" y=\"%.1f\" text-anchor=\"middle\" fill=\"#333\">", lw + bw / 2, ya + 33);
    GString *ax = g_string_new(label_of(m, lang));
    g_string_append_printf(ax, strcmp(lang, "zh") ? " (%s)" : "（%s）", unit_of(m, lang));
    cc__xml_esc(g, ax->str);
    g_string_free(ax, TRUE);
    g_string_append(g, "</text>\n");
    for (size_t v = 0; v < r->n; v++) {
        const rb_var *x = &r->v[v];
        double y = top + rh * (double)v + rh / 2;
        g_string_append_printf(g, "<text x=\"%.0f\" y=\"%.1f\" text-anchor=\"end\">", lw - 10, y + 4);
        cc__xml_esc(g, x->name);
        g_string_append(g, "</text>\n");
        g_string_append_printf(g, "<line x1=\"%.1f\" y1=\"%.1f\" x2=\"%.1f\" y2=\"%.1f\" stroke=\"#b2182b\" stroke-width=\"2\"/>\n", XP(rv[v]), y, XP(ov[v]), y);
        g_string_append(g, "<circle class=\"own\" data-variant=\"");
        cc__xml_esc(g, x->name);
        g_string_append_printf(g, "\" data-value=\"%.6f\" cx=\"%.1f\" cy=\"%.1f\" r=\"7\" fill=\"none\" stroke=\"#005ac8\" stroke-width=\"2.2\"><title>", ov[v],
                               XP(ov[v]), y);
        cc__xml_esc(g, tr_rb(lang, "leg_own"));
        g_string_append_printf(g, ": %s</title></circle>\n", cc__robust_fmt(m, ov[v], b, sizeof(b)));
        g_string_append(g, "<circle class=\"robust\" data-variant=\"");
        cc__xml_esc(g, x->name);
        g_string_append_printf(g, "\" data-value=\"%.6f\" cx=\"%.1f\" cy=\"%.1f\" r=\"5\" fill=\"#ffd600\" stroke=\"#000\" stroke-width=\"0.8\"><title>", rv[v],
                               XP(rv[v]), y);
        cc__xml_esc(g, tr_rb(lang, "leg_robust"));
        g_string_append_printf(g, ": %s</title></circle>\n", cc__robust_fmt(m, rv[v], b, sizeof(b)));
        /* at the end of the row the robust set minus the own best, signed: "−1,234" people fewer,
         * "+2.50" minutes longer (the regret), or the other way when the robust set does better */
        double diff = rv[v] - ov[v];
        g_string_append_printf(g, "<text class=\"regret\" x=\"%.0f\" y=\"%.1f\" fill=\"#b2182b\">%s%s</text>\n", lw + bw + 8, y + 4,
                               diff < 0 ? "−" : "+", cc__robust_fmt(m, fabs(diff), b, sizeof(b)));
    }
#undef XP
    double ly = ya + 56;
    g_string_append_printf(g, "<circle cx=\"%.0f\" cy=\"%.0f\" r=\"5\" fill=\"#ffd600\" stroke=\"#000\" stroke-width=\"0.8\"/><text x=\"%.0f\" y=\"%.0f\">",
                           lw + 6, ly, lw + 16, ly + 4);
    cc__xml_esc(g, tr_rb(lang, "leg_robust"));
    g_string_append_printf(g, "</text>\n<circle cx=\"%.0f\" cy=\"%.0f\" r=\"7\" fill=\"none\" stroke=\"#005ac8\" stroke-width=\"2.2\"/><text x=\"%.0f\" y=\"%.0f\">",
                           lw + 176, ly, lw + 188, ly + 4);
    cc__xml_esc(g, tr_rb(lang, "leg_own"));
    g_string_append_printf(g, "</text>\n<text x=\"%.0f\" y=\"%.0f\" fill=\"#b2182b\">", lw + 430, ly + 4);
    GString *rl = g_string_new("");
    if (!strcmp(lang, "zh")) g_string_append_printf(rl, "红线/数字：稳健方案减单独规划最优（%s）", unit_of(m, lang));
    else g_string_append_printf(rl, "red line / figure: robust set minus its own best (%s)", unit_of(m, lang));
    cc__xml_esc(g, rl->str);
    g_string_free(rl, TRUE);
    g_string_append(g, "</text>\n</svg>\n");
    g_free(rv);
    g_free(ov);
}

/* Each variant's map (its folder's map_<lang>.png, embedded) and a link to its report. */
static void sec_maps(GString *g, const rb_data *r, const char *out, const char *lang)
{
    g_string_append(g, "<h2>");
    cc__xml_esc(g, tr_rb(lang, "h_maps"));
    g_string_append(g, "</h2>\n");
    for (size_t v = 0; v < r->n; v++) {
        char png[4400];
        gchar *data = NULL;
        gsize len = 0;
        snprintf(png, sizeof(png), "%s/%s/map_%s.png", out, r->v[v].name, lang);
        g_string_append(g, "<h3>");
        cc__xml_esc(g, r->v[v].name);
        g_string_append(g, "</h3>\n<p><a href=\"");
        cc__xml_esc(g, r->v[v].name);
        g_string_append_printf(g, "/report_%s.html\">", lang);
        cc__xml_esc(g, tr_rb(lang, "report_link"));
        g_string_append(g, "</a></p>\n");
        if (!g_file_get_contents(png, &data, &len, NULL)) continue;
        gchar *b64 = g_base64_encode((const guchar *)data, len);
        g_free(data);
        g_string_append(g, "<img class=\"map\" data-variant=\"");
        cc__xml_esc(g, r->v[v].name);
        g_string_append_printf(g, "\" alt=\"map\" src=\"data:image/png;base64,%s\">\n", b64);
        g_free(b64);
    }
}

cc_status cc__html_robust(cc_ctx *ctx, const char *dir, const char *out, json_object *summary, const cc_report_opts *o, const char *lang)
{
    rb_data r = {0};
    cc_status st = rb_read(ctx, dir, summary, &r);
    if (st) {
        free(r.v);
        return st;
    }
    bool zh = !strcmp(lang, "zh");
    const char *title = zh ? o->title_zh : o->title_en;
    if (!title || !*title) title = tr_rb(lang, "title");
    GString *g = g_string_new("");
    cc__html_head(g, lang, title);
    g_string_append(g, "<h1>");
    cc__xml_esc(g, title);
    bool rg = !strcmp(r.objective, "min_max_regret"), rel = rg && !strcmp(r.regret_kind, "relative");
    bool cov = r.m->higher_better;
    const char *on = r.lscp ? (zh ? "所有情景都达标的最少新址（lscp，max_min）" : "fewest sites that reach the target in every scenario (lscp, max_min)")
                     : !strcmp(r.objective, "max_min")
                         ? (cov ? (zh ? "最差情景覆盖最大（max_min）" : "largest worst-case coverage (max_min)")
                                : (zh ? "最差情景时间最短（max_min）" : "shortest worst-case time (max_min)"))
                     : rg ? (zh ? (rel ? "最大相对遗憾值最小（min_max_regret）" : "最大遗憾值最小（min_max_regret）")
                                : (rel ? "smallest worst relative regret (min_max_regret)" : "smallest worst regret (min_max_regret)"))
                          : cov ? (zh ? "加权平均覆盖最大（expected）" : "largest weighted mean coverage (expected)")
                                : (zh ? "加权平均时间最短（expected）" : "shortest weighted mean time (expected)");
    g_string_append(g, "</h1>\n<p class=\"sub\">");
    cc__xml_esc(g, on);
    g_string_append_printf(g, " · %s · p = %d · %g %s · %zu %s · carecircle " CC_VERSION_STRING "</p>\n", r.m->model, r.p, r.minutes,
                           cc__tr(lang, "minutes"), r.n, zh ? "个情景" : "scenarios");
    sec_intro(g, &r, lang);
    sec_sites(g, &r, lang);
    sec_variants(g, &r, lang);
    sec_regret(g, &r, lang);
    sec_chart(g, &r, lang);
    sec_maps(g, &r, out, lang);
    g_string_append(g, "</body>\n</html>\n");
    /* written aside and renamed: `carecircle report` rewrites it in place, never leaving half a file */
    char path[4300], tmp[4400];
    snprintf(path, sizeof(path), "%s/report_%s.html", out, lang);
    snprintf(tmp, sizeof(tmp), "%s.tmp-%ld", path, (long)getpid());
    st = cc__write_text(ctx, tmp, g->str);
    if (!st && rename(tmp, path) != 0) st = cc__fail(ctx, CC_ERR_IO, "Unable to write '%s': %s", path, strerror(errno));
    if (st) unlink(tmp);
    g_string_free(g, TRUE);
    free(r.v);
    return st;
}
