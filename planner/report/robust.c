/*
 * robust.c - the report of a robust siting folder (carecircle site --scenarios, issue 18): the
 * objective in plain words for an official, the robust sites, each variant's figures, the regret
 * table (the robust set and each variant's own answer: the people each covers in every variant,
 * the regret there, the worst case), a chart of the coverage per variant (the robust set against
 * the variant's own answer) and each variant's map (drawn into <variant>/ by the siting writer).
 * Every figure comes from summary.json; people are whole persons (no 万 rounding: the regret
 * table is read to the person).
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

static const char *tr_rb(const char *lang, const char *key)
{
    static const struct {
        const char *key, *zh, *en;
    } t[] = {
        {"title", "稳健选址：一套新址应对所有情景", "Robust siting: one set of new sites for every scenario"},
        {"h_sites", "稳健新址", "The robust sites"},
        {"h_variants", "各情景的覆盖人口", "Coverage in each scenario"},
        {"h_regret", "遗憾值表：每个方案在每个情景下的覆盖人口与遗憾值", "Regret table: people covered by each answer in each scenario, and the regret"},
        {"regret_note", "每格上方为该方案在该情景下的覆盖人口，下方为遗憾值（该情景单独规划的最优方案覆盖人数减去该方案的覆盖人数）。第一行为稳健方案，其余各行为只为某一情景单独规划的方案。",
         "Each cell: the people the answer covers in the scenario (top) and its regret there (below: what the scenario's own best sites cover minus what this answer covers). "
         "The first row is the robust set; each other row is the answer planned for one scenario alone."},
        {"h_chart", "各情景的覆盖人口：稳健方案与该情景单独规划的最优方案", "People covered in each scenario: the robust set against the scenario's own best sites"},
        {"h_maps", "各情景地图（星号为稳健新址，蓝圈为该情景单独规划的最优新址）", "Map of each scenario (stars: the robust sites; blue rings: the scenario's own best sites)"},
        {"answer", "方案", "Answer"},
        {"robust_row", "稳健方案", "Robust set"},
        {"own_row", "单独规划：", "Planned for "},
        {"worst_cov", "最差情景覆盖人口", "Worst-case people covered"},
        {"worst_reg", "最大遗憾值", "Worst regret"},
        {"scenario", "情景", "Scenario"},
        {"weight", "权重", "Weight"},
        {"cov_robust", "稳健方案覆盖人口", "Covered by the robust set"},
        {"own_opt", "单独规划最优覆盖人口", "Covered by its own best sites"},
        {"own_bound", "单独规划上界", "Bound of its own best"},
        {"regret", "遗憾值（人）", "Regret (people)"},
        {"regret_share", "遗憾值（比例）", "Regret (share)"},
        {"proven", "已证明最优", "proven optimal"},
        {"rank", "序号", "Rank"},
        {"name", "名称", "Name"},
        {"lonlat", "经度, 纬度", "Longitude, latitude"},
        {"leg_robust", "稳健方案", "Robust set"},
        {"leg_own", "该情景单独规划的最优方案", "The scenario's own best sites"},
        {"report_link", "该情景的详细报告", "This scenario's full report"},
        {"people", "人", "people"},
    };
    bool zh = !strcmp(lang, "zh");
    for (size_t i = 0; i < sizeof(t) / sizeof(t[0]); i++)
        if (!strcmp(t[i].key, key)) return zh ? t[i].zh : t[i].en;
    return key;
}

typedef struct rb_var {
    const char *name;
    double cov, opt, optb, weight, regret_share;
    bool proven;
    json_object *by_own; /* [a]: what answer a (variant a's own) covers in this variant */
} rb_var;

typedef struct rb_data {
    const char *objective, *regret_kind;
    double minutes, obj, bound, gap;
    int p;
    bool proven, have_weights;
    const char *bound_method;
    size_t n;
    rb_var *v;
    json_object *sites;
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
    r->objective = jstr_or(j, "objective", "max_min");
    r->regret_kind = jstr_or(j, "regret", "absolute");
    r->minutes = jnum_or(par, "minutes", NAN);
    r->p = (int)jnum_or(par, "p", 0);
    r->obj = jnum_or(sol, "objective", NAN);
    r->bound = jnum_or(sol, "bound", NAN);
    r->gap = jnum_or(sol, "gap", NAN);
    r->bound_method = jstr_or(sol, "bound_method", "");
    json_object *pv;
    r->proven = json_object_object_get_ex(sol, "proven_optimal", &pv) && json_object_get_boolean(pv);
    r->n = json_object_array_length(vars);
    if (!(r->v = cc__calloc_array(r->n ? r->n : 1, sizeof(rb_var)))) return cc__fail(ctx, CC_ERR_NOMEM, "Out of memory");
    for (size_t i = 0; i < r->n; i++) {
        json_object *e = json_object_array_get_idx(vars, i);
        rb_var *v = &r->v[i];
        v->name = jstr_or(e, "name", "?");
        v->cov = jnum_or(e, "covered_robust_persons", NAN);
        v->opt = jnum_or(e, "own_optimum_persons", NAN);
        v->optb = jnum_or(e, "own_bound_persons", NAN);
        v->weight = jnum_or(e, "weight", NAN);
        v->regret_share = jnum_or(e, "regret_share", NAN);
        r->have_weights |= !isnan(v->weight);
        v->proven = json_object_object_get_ex(e, "own_optimum_proven", &pv) && json_object_get_boolean(pv);
        if (!json_object_object_get_ex(e, "covered_by_own_answers_persons", &v->by_own) || json_object_array_length(v->by_own) != r->n || isnan(v->cov) ||
            isnan(v->opt))
            return cc__fail(ctx, CC_ERR_INPUT, "'%s/summary.json': variant <%s> lacks its figures", dir, v->name);
    }
    return CC_OK;
}

/* What answer @p a (0: the robust set, a > 0: variant a-1's own) covers in variant @p v. */
static double answer_cov(const rb_data *r, size_t a, size_t v)
{
    return a == 0 ? r->v[v].cov : json_object_get_double(json_object_array_get_idx(r->v[v].by_own, a - 1));
}

static const char *count(double v, char *buf, size_t n) { return cc_report_count(v, buf, n); }

/* The objective and its proof in plain words, with the run's figures. */
static void sec_intro(GString *g, const rb_data *r, const char *lang)
{
    bool zh = !strcmp(lang, "zh");
    char a[32], b[32], s[1200];
    size_t worst = 0; /* the variant where the answer does worst (coverage, or regret) */
    bool regret = !strcmp(r->objective, "min_max_regret"), rel = regret && !strcmp(r->regret_kind, "relative");
    for (size_t v = 1; v < r->n; v++) {
        double x = regret ? (rel ? r->v[v].regret_share : r->v[v].opt - r->v[v].cov) : -r->v[v].cov;
        double y = regret ? (rel ? r->v[worst].regret_share : r->v[worst].opt - r->v[worst].cov) : -r->v[worst].cov;
        if (x > y) worst = v;
    }
    const char *wn = r->n ? r->v[worst].name : "";
    if (!strcmp(r->objective, "max_min")) {
        if (zh)
            snprintf(s, sizeof(s), "下列 %d 个新址的选择原则是：让 %zu 个情景中最差的情况尽量好。无论出现哪种情景，至少有 %s 人在 %g 分钟内能到达医疗机构（最差的情景是“%s”）。",
                     r->p, r->n, count(r->obj, a, sizeof(a)), r->minutes, wn);
        else
            snprintf(s, sizeof(s), "The %d sites below were chosen so that the worst of the %zu scenarios is as good as possible: whichever scenario happens, "
                     "at least %s people live within %g minutes of a facility (the worst case is scenario “%s”).",
                     r->p, r->n, count(r->obj, a, sizeof(a)), r->minutes, wn);
    } else if (regret) {
        char amount[64];
        if (rel) snprintf(amount, sizeof(amount), "%.2f%%", 100 * r->obj);
        else snprintf(amount, sizeof(amount), "%s %s", count(r->obj, a, sizeof(a)), tr_rb(lang, "people"));
        if (zh)
            snprintf(s, sizeof(s), "下列 %d 个新址的选择原则是：在每个情景下，与只为该情景单独规划的最优新址相比，少覆盖的人数（“遗憾值”%s）尽量小。"
                     "遗憾值最大的情景是“%s”：少覆盖 %s。",
                     r->p, rel ? "，按比例计" : "", wn, amount);
        else
            snprintf(s, sizeof(s), "The %d sites below were chosen so that in every scenario they fall as little as possible short of the best sites "
                     "that scenario alone would get (the “regret”%s). Where they fall shortest, in scenario “%s”, they cover %s fewer%s.",
                     r->p, rel ? ", as a share" : "", wn, amount, rel ? " people than that scenario's own best sites" : "");
    } else {
        if (zh)
            snprintf(s, sizeof(s), "下列 %d 个新址的选择原则是：按各情景出现的频率加权（权重见下表），平均覆盖人数最多：平均 %s 人在 %g 分钟内能到达医疗机构。",
                     r->p, count(r->obj, a, sizeof(a)), r->minutes);
        else
            snprintf(s, sizeof(s), "The %d sites below were chosen to cover the most people on average over the scenarios, each weighted by how often it "
                     "happens (weights below): on average %s people live within %g minutes of a facility.",
                     r->p, count(r->obj, a, sizeof(a)), r->minutes);
    }
    g_string_append(g, "<p class=\"objective\">");
    cc__xml_esc(g, s);
    g_string_append(g, "</p>\n<p class=\"bound\">");
    /* the proof */
    if (rel) snprintf(b, sizeof(b), "%.2f%%", 100 * r->bound);
    else count(r->bound, b, sizeof(b));
    if (r->proven)
        snprintf(s, sizeof(s), zh ? "该方案已证明最优（%s）。" : "This answer is proven optimal (%s).", r->bound_method);
    else if (regret)
        snprintf(s, sizeof(s), zh ? "质量保证：任何 %d 个新址的最大遗憾值都不会低于 %s（下界，%s）；差距 %.2f%%。"
                                  : "Proof of quality: no choice of %d sites has a worst regret below %s (lower bound, %s); the gap is %.2f%%.",
                 r->p, b, r->bound_method, 100 * r->gap);
    else
        snprintf(s, sizeof(s), zh ? "质量保证：任何 %d 个新址都不会超过 %s（上界，%s）；差距 %.2f%%。"
                                  : "Proof of quality: no choice of %d sites does better than %s (upper bound, %s); the gap is %.2f%%.",
                 r->p, b, r->bound_method, 100 * r->gap);
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
        cc__html_td(g, jstr_or(e, "name", ""));
        g_string_append_printf(g, "<td>%.5f, %.5f</td></tr>\n", jnum_or(e, "lon", NAN), jnum_or(e, "lat", NAN));
    }
    g_string_append(g, "</table>\n");
}

static void td_count(GString *g, double v, const char *cls)
{
    char b[32];
    g_string_append_printf(g, "<td class=\"%s\">%s</td>", cls, isnan(v) ? "–" : count(v, b, sizeof(b)));
}

/* Per variant: weight, the robust set's coverage, the own optimum and its bound, the regret. */
static void sec_variants(GString *g, const rb_data *r, const char *lang)
{
    g_string_append(g, "<h2>");
    cc__xml_esc(g, tr_rb(lang, "h_variants"));
    g_string_append(g, "</h2>\n<table class=\"variants\"><tr>");
    cc__html_th(g, tr_rb(lang, "scenario"), true);
    if (r->have_weights) cc__html_th(g, tr_rb(lang, "weight"), false);
    static const char *const h[] = {"cov_robust", "own_opt", "own_bound", "regret", "regret_share"};
    for (size_t k = 0; k < 5; k++) cc__html_th(g, tr_rb(lang, h[k]), false);
    g_string_append(g, "</tr>\n");
    for (size_t v = 0; v < r->n; v++) {
        const rb_var *x = &r->v[v];
        g_string_append(g, "<tr data-variant=\"");
        cc__xml_esc(g, x->name);
        g_string_append(g, "\">");
        cc__html_td(g, x->name);
        if (r->have_weights) g_string_append_printf(g, "<td class=\"weight\">%g</td>", isnan(x->weight) ? 0 : x->weight);
        td_count(g, x->cov, "cov");
        td_count(g, x->opt, "opt");
        g_string_append_printf(g, "<td class=\"bound\">%s%s</td>", count(x->optb, (char[32]){0}, 32),
                               x->proven ? (strcmp(lang, "zh") ? " (proven)" : "（已证明）") : "");
        td_count(g, x->opt - x->cov, "reg");
        g_string_append_printf(g, "<td class=\"share\">%.2f%%</td></tr>\n", 100 * x->regret_share);
    }
    g_string_append(g, "</table>\n");
}

/* The regret table: rows the answers, columns the variants (covered over regret), the worst case. */
static void sec_regret(GString *g, const rb_data *r, const char *lang)
{
    char b[32];
    g_string_append(g, "<h2>");
    cc__xml_esc(g, tr_rb(lang, "h_regret"));
    g_string_append(g, "</h2>\n<p class=\"note\">");
    cc__xml_esc(g, tr_rb(lang, "regret_note"));
    g_string_append(g, "</p>\n<table class=\"regret\"><tr>");
    cc__html_th(g, tr_rb(lang, "answer"), true);
    for (size_t v = 0; v < r->n; v++) cc__html_th(g, r->v[v].name, false);
    cc__html_th(g, tr_rb(lang, "worst_cov"), false);
    cc__html_th(g, tr_rb(lang, "worst_reg"), false);
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
        double wc = INFINITY, wr = -INFINITY;
        for (size_t v = 0; v < r->n; v++) {
            double c = answer_cov(r, a, v), rg = r->v[v].opt - c;
            wc = fmin(wc, c);
            wr = fmax(wr, rg);
            g_string_append_printf(g, "<td><span class=\"cov\">%s</span><br>", count(c, b, sizeof(b)));
            g_string_append_printf(g, "<span class=\"reg note\">%s</span></td>", count(rg, b, sizeof(b)));
        }
        g_string_append_printf(g, "<td class=\"worst_cov\"><b>%s</b></td>", count(wc, b, sizeof(b)));
        g_string_append_printf(g, "<td class=\"worst_reg\"><b>%s</b></td></tr>\n", count(wr, b, sizeof(b)));
    }
    g_string_append(g, "</table>\n");
}

/* A "nice" step for about @p n ticks over @p span. */
static double nice_step(double span, int n)
{
    double raw = span / n, mag = pow(10, floor(log10(raw > 0 ? raw : 1))), f = raw / mag;
    return (f < 1.5 ? 1 : f < 3.5 ? 2 : f < 7.5 ? 5 : 10) * mag;
}

/* Dot plot: per variant, the robust set's coverage (gold dot) and the variant's own best sites'
 * (blue ring), joined by the regret; inline SVG, no script. */
static void sec_chart(GString *g, const rb_data *r, const char *lang)
{
    if (!r->n) return;
    double lo = INFINITY, hi = -INFINITY;
    for (size_t v = 0; v < r->n; v++) {
        lo = fmin(lo, fmin(r->v[v].cov, r->v[v].opt));
        hi = fmax(hi, fmax(r->v[v].cov, r->v[v].opt));
    }
    double pad = fmax((hi - lo) * 0.08, fmax(hi * 0.002, 1));
    double step = nice_step(hi - lo + 2 * pad, 5);
    lo = floor((lo - pad) / step) * step;
    hi = ceil((hi + pad) / step) * step;
    if (lo < 0) lo = 0;
    const double lw = 200, bw = 560, rh = 28, top = 10, W = lw + bw + 110;
    double H = top + rh * (double)r->n + 60;
    g_string_append(g, "<h2>");
    cc__xml_esc(g, tr_rb(lang, "h_chart"));
    g_string_append_printf(g, "</h2>\n<svg class=\"chart\" role=\"img\" width=\"%.0f\" height=\"%.0f\" viewBox=\"0 0 %.0f %.0f\" font-size=\"12\" "
                              "font-family=\"Noto Sans CJK SC,Noto Sans,sans-serif\">\n", W, H, W, H);
#define XP(val) (lw + bw * ((val) - lo) / (hi - lo))
    double ya = top + rh * (double)r->n + 4;
    g_string_append_printf(g, "<line x1=\"%.0f\" y1=\"%.1f\" x2=\"%.0f\" y2=\"%.1f\" stroke=\"#888\"/>\n", lw, ya, lw + bw, ya);
    char b[32];
    for (double t = lo; t <= hi + step * 1e-6; t += step) {
        double x = XP(t);
        g_string_append_printf(g, "<line x1=\"%.1f\" y1=\"%.0f\" x2=\"%.1f\" y2=\"%.1f\" stroke=\"#e4e4e4\"/>"
                                  "<text x=\"%.1f\" y=\"%.1f\" text-anchor=\"middle\" fill=\"#555\">%s</text>\n",
                               x, top, x, ya, x, ya + 15, count(t, b, sizeof(b)));
    }
    for (size_t v = 0; v < r->n; v++) {
        const rb_var *x = &r->v[v];
        double y = top + rh * (double)v + rh / 2;
        g_string_append_printf(g, "<text x=\"%.0f\" y=\"%.1f\" text-anchor=\"end\">", lw - 10, y + 4);
        cc__xml_esc(g, x->name);
        g_string_append(g, "</text>\n");
        g_string_append_printf(g, "<line x1=\"%.1f\" y1=\"%.1f\" x2=\"%.1f\" y2=\"%.1f\" stroke=\"#b2182b\" stroke-width=\"2\"/>\n", XP(x->cov), y, XP(x->opt), y);
        g_string_append_printf(g, "<circle class=\"own\" data-variant=\"%s\" data-persons=\"%.1f\" cx=\"%.1f\" cy=\"%.1f\" r=\"7\" fill=\"none\" "
                                  "stroke=\"#005ac8\" stroke-width=\"2.2\"><title>",
                               x->name, x->opt, XP(x->opt), y);
        cc__xml_esc(g, tr_rb(lang, "leg_own"));
        g_string_append_printf(g, ": %s</title></circle>\n", count(x->opt, b, sizeof(b)));
        g_string_append_printf(g, "<circle class=\"robust\" data-variant=\"%s\" data-persons=\"%.1f\" cx=\"%.1f\" cy=\"%.1f\" r=\"5\" fill=\"#ffd600\" "
                                  "stroke=\"#000\" stroke-width=\"0.8\"><title>",
                               x->name, x->cov, XP(x->cov), y);
        cc__xml_esc(g, tr_rb(lang, "leg_robust"));
        g_string_append_printf(g, ": %s</title></circle>\n", count(x->cov, b, sizeof(b)));
        g_string_append_printf(g, "<text x=\"%.0f\" y=\"%.1f\" fill=\"#b2182b\">−%s</text>\n", lw + bw + 8, y + 4, count(x->opt - x->cov, b, sizeof(b)));
    }
#undef XP
    double ly = ya + 32;
    g_string_append_printf(g, "<circle cx=\"%.0f\" cy=\"%.0f\" r=\"5\" fill=\"#ffd600\" stroke=\"#000\" stroke-width=\"0.8\"/><text x=\"%.0f\" y=\"%.0f\">",
                           lw + 6, ly, lw + 16, ly + 4);
    cc__xml_esc(g, tr_rb(lang, "leg_robust"));
    g_string_append_printf(g, "</text>\n<circle cx=\"%.0f\" cy=\"%.0f\" r=\"7\" fill=\"none\" stroke=\"#005ac8\" stroke-width=\"2.2\"/><text x=\"%.0f\" y=\"%.0f\">",
                           lw + 176, ly, lw + 188, ly + 4);
    cc__xml_esc(g, tr_rb(lang, "leg_own"));
    g_string_append_printf(g, "</text>\n<text x=\"%.0f\" y=\"%.0f\" fill=\"#b2182b\">", lw + 430, ly + 4);
    cc__xml_esc(g, !strcmp(lang, "zh") ? "红线/数字：遗憾值（人）" : "red line / figure: regret (people)");
    g_string_append(g, "</text>\n</svg>\n");
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
    const char *on = !strcmp(r.objective, "max_min") ? (zh ? "最差情景覆盖最大（max_min）" : "largest worst-case coverage (max_min)")
                     : rg ? (zh ? (rel ? "最大相对遗憾值最小（min_max_regret）" : "最大遗憾值最小（min_max_regret）")
                                : (rel ? "smallest worst relative regret (min_max_regret)" : "smallest worst regret (min_max_regret)"))
                          : (zh ? "加权平均覆盖最大（expected）" : "largest weighted mean coverage (expected)");
    g_string_append(g, "</h1>\n<p class=\"sub\">");
    cc__xml_esc(g, on);
    g_string_append_printf(g, " · p = %d · %g %s · %zu %s · carecircle " CC_VERSION_STRING "</p>\n", r.p, r.minutes, cc__tr(lang, "minutes"), r.n,
                           zh ? "个情景" : "scenarios");
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
