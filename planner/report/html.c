/*
 * html.c - self-contained HTML reports (one file: inline CSS, the map as a base64 PNG): coverage
 * by threshold, tier and township, uncovered villages ranked, proposed sites and their gains,
 * the comparison with the base scenario; and the batch report with the comparison table.
 */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "carecircle/cc_version.h"
#include "../io/write_internal.h"
#include "report_internal.h"

static const char css[] =
    "body{font-family:'Noto Sans CJK SC','Noto Sans',sans-serif;margin:2em auto;max-width:1100px;color:#222;line-height:1.45}"
    "h1{font-size:1.6em;margin-bottom:.2em}h2{font-size:1.2em;margin-top:1.8em;border-bottom:1px solid #ccc}"
    ".sub{color:#666}table{border-collapse:collapse;margin:.6em 0;font-size:.92em}"
    "th,td{border:1px solid #ccc;padding:.25em .6em;text-align:right}th{background:#f1f1f1}td.l,th.l{text-align:left}"
    ".neg{color:#b2182b}.pos{color:#2166ac}img{max-width:100%;border:1px solid #ccc}.note{color:#666;font-size:.85em}";

static void head(GString *g, const char *lang, const char *title)
{
    g_string_append_printf(g, "<!DOCTYPE html>\n<html lang=\"%s\">\n<head>\n<meta charset=\"utf-8\">\n<title>", !strcmp(lang, "zh") ? "zh-CN" : "en");
    cc__xml_esc(g, title);
    g_string_append_printf(g, "</title>\n<style>%s</style>\n</head>\n<body>\n", css);
}

static void cell_num(GString *g, double v)
{
    char b[32];
    if (isnan(v))
        g_string_append(g, "<td>–</td>");
    else
        g_string_append_printf(g, "<td>%s</td>", cc__fmt_int(v, b, sizeof(b)));
}

static void cell_pop_share(GString *g, double v, double total)
{
    char b[32];
    if (isnan(v))
        g_string_append(g, "<td>–</td>");
    else
        g_string_append_printf(g, "<td>%s (%.1f%%)</td>", cc__fmt_int(v, b, sizeof(b)), total > 0 ? 100 * v / total : 0.0);
}

static void cell_delta(GString *g, double v)
{
    char b[32];
    if (isnan(v)) {
        g_string_append(g, "<td>–</td>");
        return;
    }
    g_string_append_printf(g, "<td class=\"%s\">%s%s</td>", v < -0.5 ? "neg" : v > 0.5 ? "pos" : "", v > 0.5 ? "+" : "", cc__fmt_int(v, b, sizeof(b)));
}

static void th_text(GString *g, const char *s, bool left)
{
    g_string_append_printf(g, "<th%s>", left ? " class=\"l\"" : "");
    cc__xml_esc(g, s);
    g_string_append(g, "</th>");
}

static void td_text(GString *g, const char *s)
{
    g_string_append(g, "<td class=\"l\">");
    cc__xml_esc(g, s ? s : "");
    g_string_append(g, "</td>");
}

static void th_minutes(GString *g, const char *lang, const double *m, size_t nb)
{
    for (size_t b = 0; b < nb; b++) {
        char h[64];
        cc__tr_within(lang, m[b], h, sizeof(h));
        th_text(g, h, false);
    }
}

cc_status cc__html_write(cc_ctx *ctx, rp_data *d, const char *lang, const char *png_path, const char *html_path)
{
    bool zh = !strcmp(lang, "zh");
    gchar *png = NULL;
    gsize png_len = 0;
    if (!g_file_get_contents(png_path, &png, &png_len, NULL)) return cc__fail(ctx, CC_ERR_IO, "Unable to read '%s'", png_path);
    gchar *b64 = g_base64_encode((const guchar *)png, png_len);
    g_free(png);
    GString *g = g_string_new("");
    char tb[128], n1[32];
    const char *title = zh ? d->o->title_zh : d->o->title_en;
    if (!title || !*title) title = cc__tr(lang, "title");
    head(g, lang, title);
    g_string_append(g, "<h1>");
    cc__xml_esc(g, title);
    g_string_append(g, "</h1>\n<p class=\"sub\">");
    const char *scen = zh ? d->o->scenario_zh : d->o->scenario_en;
    if (!scen || !*scen) scen = d->o->scenario;
    if (scen) {
        cc__xml_esc(g, cc__tr(lang, "scenario"));
        g_string_append(g, ": ");
        cc__xml_esc(g, scen);
        g_string_append(g, " · ");
    }
    g_string_append_printf(g, "%s %s · %s</p>\n<p>", d->crs_name, d->profile, "carecircle " CC_VERSION_STRING);
    cc__xml_esc(g, cc__tr(lang, "report_intro"));
    g_string_append(g, "</p>\n<h2>");
    cc__xml_esc(g, cc__tr(lang, "h_map"));
    g_string_append_printf(g, "</h2>\n<img alt=\"map\" src=\"data:image/png;base64,%s\">\n", b64);
    g_free(b64);

    /* the headline (issue 14): which tiers the key figures count, and their figure within each threshold */
    if (d->n_head) {
        GString *hl = g_string_new("");
        for (size_t k = 0; k < d->n_head; k++)
            g_string_append_printf(hl, "%s%s", k ? (zh ? "、" : " or ") : "", cc__tier_label(lang, d->head_name[k], tb, sizeof(tb)));
        g_string_append(g, "<p class=\"headline\"><b>");
        cc__xml_esc(g, zh ? "关键数字只计" : "Key figures count ");
        cc__xml_esc(g, hl->str);
        g_string_append(g, "</b>");
        for (size_t b = 0; b < d->nb; b++) {
            char wl[64];
            g_string_append(g, b ? (zh ? "；" : "; ") : (zh ? "：" : ": "));
            cc__xml_esc(g, cc__tr_within(lang, d->minutes[b], wl, sizeof(wl)));
            g_string_append_printf(g, " %s (%.1f%%)", cc__fmt_int(d->head_within[b], n1, sizeof(n1)),
                                   d->total > 0 ? 100 * d->head_within[b] / d->total : 0.0);
        }
        cc__xml_esc(g, zh ? "。全部机构（含村卫生室）的数字见下表。" : ". All facilities (village clinics included): the tables below.");
        g_string_append(g, "</p>\n");
        g_string_free(hl, TRUE);
    }

    /* coverage by threshold */
    g_string_append(g, "<h2>");
    cc__xml_esc(g, cc__tr(lang, "h_cov_threshold"));
    g_string_append(g, "</h2>\n<table><tr>");
    th_text(g, cc__tr(lang, "population"), true);
    th_minutes(g, lang, d->minutes, d->nb);
    th_text(g, cc__tr(lang, "no_road"), false);
    th_text(g, cc__tr(lang, "unreachable"), false);
    g_string_append_printf(g, "</tr>\n<tr><td class=\"l\">%s</td>", cc__fmt_int(d->total, n1, sizeof(n1)));
    for (size_t b = 0; b < d->nb; b++) cell_pop_share(g, d->within[b], d->total);
    cell_pop_share(g, d->no_road, d->total);
    cell_pop_share(g, d->unreachable, d->total);
    g_string_append(g, "</tr>\n</table>\n");

    /* by tier */
    g_string_append(g, "<h2>");
    cc__xml_esc(g, cc__tr(lang, "h_cov_tier"));
    g_string_append(g, "</h2>\n<table><tr>");
    th_text(g, cc__tr(lang, "tier"), true);
    th_text(g, cc__tr(lang, "count"), false);
    th_text(g, cc__tr(lang, "joined"), false);
    th_minutes(g, lang, d->minutes, d->nb);
    g_string_append(g, "</tr>\n<tr>");
    td_text(g, cc__tr(lang, "all_facilities"));
    g_string_append_printf(g, "<td>%zu</td><td></td>", d->n_fac);
    for (size_t b = 0; b < d->nb; b++) cell_pop_share(g, d->within[b], d->total);
    g_string_append(g, "</tr>\n");
    for (size_t k = 0; k < d->n_tiers; k++) {
        g_string_append(g, "<tr>");
        td_text(g, cc__tier_label(lang, d->tier_name[k], tb, sizeof(tb)));
        g_string_append_printf(g, "<td>%d</td><td>%d</td>", d->tier_facilities[k], d->tier_snapped[k]);
        for (size_t b = 0; b < d->nb; b++) cell_pop_share(g, d->tier_within[k][b], d->total);
        g_string_append(g, "</tr>\n");
    }
    g_string_append(g, "</table>\n");

    /* by township */
    if (d->n_adm) {
        g_string_append(g, "<h2>");
        cc__xml_esc(g, cc__tr(lang, "h_cov_admin"));
        g_string_append(g, "</h2>\n<table><tr>");
        th_text(g, cc__tr(lang, "code"), true);
        th_text(g, cc__tr(lang, "township"), true);
        th_text(g, cc__tr(lang, "population"), false);
        th_minutes(g, lang, d->minutes, d->nb);
        if (d->have_base)
            for (size_t b = 0; b < d->nb; b++) {
                char h[96];
                snprintf(h, sizeof(h), "%s (%g)", cc__tr(lang, "change"), d->minutes[b]);
                th_text(g, h, false);
            }
        g_string_append(g, "</tr>\n");
        for (size_t i = 0; i < d->n_adm; i++) {
            const rp_admin *a = &d->adm[i];
            g_string_append(g, "<tr>");
            td_text(g, a->code);
            td_text(g, zh && a->name_zh && *a->name_zh ? a->name_zh : a->name);
            cell_num(g, a->pop);
            for (size_t b = 0; b < d->nb; b++) cell_pop_share(g, a->within[b], a->pop);
            if (d->have_base)
                for (size_t b = 0; b < d->nb; b++) cell_delta(g, a->within[b] - a->base_within[b]);
            g_string_append(g, "</tr>\n");
        }
        g_string_append(g, "</table>\n");
    }

    /* uncovered, ranked */
    g_string_append(g, "<h2>");
    cc__xml_esc(g, cc__tr(lang, d->points_demand ? "h_uncovered" : "h_uncovered_cells"));
    g_string_append(g, "</h2>\n");
    if (d->n_unc == 0) {
        g_string_append_printf(g, "<p>%s</p>\n", cc__tr(lang, "none"));
    } else {
        size_t shown = d->n_unc < 20 ? d->n_unc : 20;
        if (d->n_unc_total > shown) {
            char s[128];
            cc__tr_shown_of(lang, d->n_unc_total, shown, s, sizeof(s));
            g_string_append(g, "<p class=\"note\">");
            cc__xml_esc(g, s);
            g_string_append(g, "</p>\n");
        }
        g_string_append(g, "<table><tr>");
        th_text(g, cc__tr(lang, "rank"), false);
        if (d->points_demand) th_text(g, cc__tr(lang, "name"), true);
        th_text(g, cc__tr(lang, "township"), true);
        th_text(g, cc__tr(lang, "population"), false);
        th_text(g, cc__tr(lang, "minutes_h"), false);
        th_text(g, cc__tr(lang, "status"), true);
        g_string_append(g, "</tr>\n");
        for (size_t i = 0; i < shown; i++) {
            const rp_unc *u = &d->unc[i];
            g_string_append_printf(g, "<tr><td>%d</td>", u->rank);
            if (d->points_demand) td_text(g, zh && u->name_zh && *u->name_zh ? u->name_zh : u->name);
            const char *adm = u->admin;
            for (size_t k = 0; zh && adm && k < d->n_adm; k++) /* the township's Chinese name, when the layer has one */
                if (d->adm[k].name && !strcmp(d->adm[k].name, adm) && d->adm[k].name_zh && *d->adm[k].name_zh) adm = d->adm[k].name_zh;
            td_text(g, adm);
            cell_num(g, u->pop);
            if (isnan(u->minutes))
                g_string_append(g, "<td>–</td>");
            else
                g_string_append_printf(g, "<td>%.1f</td>", u->minutes);
            const char *st = u->status && !strcmp(u->status, "no_road_access") ? "no_road_access"
                             : u->status && !strcmp(u->status, "unreachable")  ? "unreachable_s"
                                                                               : "beyond_s";
            td_text(g, cc__tr(lang, st));
            g_string_append(g, "</tr>\n");
        }
        g_string_append(g, "</table>\n");
    }

    /* proposed sites */
    if (d->n_site) {
        g_string_append(g, "<h2>");
        cc__xml_esc(g, cc__tr(lang, "h_sites"));
        g_string_append(g, "</h2>\n<table><tr><th></th>");
        th_text(g, cc__tr(lang, "name"), true);
        th_text(g, cc__tr(lang, "tier"), true);
        th_text(g, cc__tr(lang, "gain"), false);
        g_string_append(g, "</tr>\n");
        for (size_t i = 0; i < d->n_site; i++) {
            g_string_append_printf(g, "<tr><td>P%zu</td>", i + 1);
            td_text(g, d->site[i].name);
            td_text(g, d->site[i].tier ? cc__tier_label(lang, d->site[i].tier, tb, sizeof(tb)) : "");
            cell_num(g, d->site[i].has_gain ? d->site[i].gain : NAN);
            g_string_append(g, "</tr>\n");
        }
        g_string_append(g, "</table>\n");
    }

    /* comparison with the base */
    if (d->have_base) {
        g_string_append(g, "<h2>");
        cc__xml_esc(g, cc__tr(lang, "h_compare"));
        g_string_append(g, "</h2>\n<table><tr><th></th>");
        th_minutes(g, lang, d->minutes, d->nb);
        g_string_append(g, "</tr>\n<tr>");
        td_text(g, cc__tr(lang, "before"));
        for (size_t b = 0; b < d->nb; b++) cell_pop_share(g, d->base_within[b], d->base_total);
        g_string_append(g, "</tr>\n<tr>");
        td_text(g, cc__tr(lang, "after"));
        for (size_t b = 0; b < d->nb; b++) cell_pop_share(g, d->within[b], d->total);
        g_string_append(g, "</tr>\n<tr>");
        td_text(g, cc__tr(lang, "change"));
        for (size_t b = 0; b < d->nb; b++) cell_delta(g, d->within[b] - d->base_within[b]);
        g_string_append(g, "</tr>\n</table>\n");
    }
    g_string_append(g, "</body>\n</html>\n");
    cc_status st = cc__write_text(ctx, html_path, g->str);
    g_string_free(g, TRUE);
    return st;
}

cc_status cc__html_batch(cc_ctx *ctx, const char *path, const char *lang, const char *batch_file, const double *minutes, size_t nb,
                         const rp_cmp_row *rows, size_t n_rows)
{
    GString *g = g_string_new("");
    head(g, lang, cc__tr(lang, "batch_title"));
    g_string_append(g, "<h1>");
    cc__xml_esc(g, cc__tr(lang, "batch_title"));
    g_string_append(g, "</h1>\n<p class=\"sub\">");
    cc__xml_esc(g, batch_file);
    g_string_append(g, " · carecircle " CC_VERSION_STRING "</p>\n");
    for (int part = 0; part < 2; part++) {
        g_string_append(g, "<h2>");
        cc__xml_esc(g, cc__tr(lang, part == 0 ? "h_compare" : "h_cov_admin"));
        g_string_append(g, "</h2>\n<table><tr>");
        th_text(g, cc__tr(lang, "variant"), true);
        if (part == 0) th_text(g, cc__tr(lang, "state"), true);
        if (part == 1) {
            th_text(g, cc__tr(lang, "code"), true);
            th_text(g, cc__tr(lang, "name"), true);
        }
        th_text(g, cc__tr(lang, "population"), false);
        th_minutes(g, lang, minutes, nb);
        for (size_t b = 0; b < nb; b++) {
            char h[96];
            snprintf(h, sizeof(h), "%s (%g)", cc__tr(lang, "change"), minutes[b]);
            th_text(g, h, false);
        }
        g_string_append(g, "</tr>\n");
        for (size_t i = 0; i < n_rows; i++) {
            const rp_cmp_row *r = &rows[i];
            if ((part == 0) != (r->code == NULL)) continue;
            g_string_append(g, "<tr><td class=\"l\">");
            if (part == 0 && strcmp(r->state, "failed")) {
                g_string_append(g, "<a href=\"");
                cc__xml_esc(g, r->scenario);
                g_string_append_printf(g, "/report_%s.html\">", lang);
                cc__xml_esc(g, r->scenario);
                g_string_append(g, "</a>");
            } else {
                cc__xml_esc(g, r->scenario);
            }
            g_string_append(g, "</td>");
            if (part == 0) td_text(g, r->state);
            if (part == 1) {
                td_text(g, r->code);
                td_text(g, r->name);
            }
            cell_num(g, r->pop);
            for (size_t b = 0; b < nb; b++) cell_pop_share(g, r->within[b], r->pop);
            for (size_t b = 0; b < nb; b++) cell_delta(g, r->have_delta ? r->delta[b] : NAN);
            g_string_append(g, "</tr>\n");
        }
        g_string_append(g, "</table>\n");
    }
    g_string_append(g, "</body>\n</html>\n");
    cc_status st = cc__write_text(ctx, path, g->str);
    g_string_free(g, TRUE);
    return st;
}
