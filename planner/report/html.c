/*
 * html.c - self-contained HTML reports (one file: inline CSS, the map as a base64 PNG): coverage
 * by threshold, tier and township, uncovered villages ranked, proposed sites and their gains,
 * the comparison with the base scenario; and the batch report with the comparison table.
 */
#include <cpl_csv.h>
#include <cpl_vsi.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "carecircle/cc_version.h"
#include "../io/write_internal.h"
#include "report_internal.h"

/* Nothing wider than the window: the map with its border (box-sizing; it was 2 px too wide and the
 * page scrolled sideways at 1000 px), and a table wider than the window (a batch's comparison)
 * scrolls by itself (display:block with overflow-x), not the page; a chart shrinks (its viewBox). */
static const char css[] =
    "body{font-family:'Noto Sans CJK SC','Noto Sans',sans-serif;margin:2em auto;padding:0 1em;max-width:1100px;color:#222;line-height:1.45}"
    "h1{font-size:1.6em;margin-bottom:.2em}h2{font-size:1.2em;margin-top:1.8em;border-bottom:1px solid #ccc}"
    ".sub{color:#666}table{border-collapse:collapse;margin:.6em 0;font-size:.92em;display:block;max-width:100%;overflow-x:auto}"
    "th,td{border:1px solid #ccc;padding:.25em .6em;text-align:right}th{background:#f1f1f1}td.l,th.l{text-align:left}"
    "td{white-space:nowrap}td.l{white-space:normal;min-width:5.5em}.neg{color:#b2182b}.pos{color:#2166ac}img{max-width:100%;box-sizing:border-box;border:1px solid #ccc}svg{max-width:100%;height:auto}.note{color:#666;font-size:.85em}";

/* Labels of this file's own sections (the shared ones are in common.c). */
static const char *tr_html(const char *lang, const char *key)
{
    static const struct {
        const char *key, *zh, *en;
    } t[] = {
        {"h_chart_tier", "按机构级别的行车时间分布", "Population by travel time, per facility tier"},
        {"h_chart_batch", "各方案的行车时间分布", "Population by travel time, per scenario"},
        {"h_chart_admin", "按乡镇的行车时间分布（", "Population by travel time, per township ("},
        {"h_chart_admin_all", "所有机构；", "all facilities; "},
        {"h_chart_admin2", "分钟内占比低的乡镇在前）", "minutes: lowest share first)"},
        {"rest", "超出最大阈值或不可达", "Beyond the last threshold or not reached"},
        {"h_referral", "转诊距离：乡镇卫生院到最近的县级医院", "Referral: each township health centre to its nearest county hospital"},
        {"from", "卫生院", "Health centre"},
        {"to", "最近的县级医院", "Nearest county hospital"},
        {"km", "公里", "km"},
        {"done", "已完成", "done"},
        {"skipped", "未变，跳过", "skipped (unchanged)"},
        {"failed", "失败", "failed"},
        {"h_curve", "新址数量与覆盖比例（coverage_curve.csv）", "Covered share by number of new sites (coverage_curve.csv)"},
        {"curve_per_p", "每个 p 单独求解的最优方案", "Best answer for each p, solved on its own"},
        {"curve_nested", "最终方案按排名取前 p 个", "First p sites of the final answer, in rank order"},
        {"curve_bound", "上界（任何方案都不会超过）", "Bound (no choice of sites covers more)"},
        {"sites_axis", "新址数量 p", "new sites p"},
        {"h_access", "各村到各级机构的行车时间另见 access_by_village.csv / .xlsx。",
         "Minutes from every village to each tier: access_by_village.csv / .xlsx."},
    };
    bool zh = !strcmp(lang, "zh");
    for (size_t i = 0; i < sizeof(t) / sizeof(t[0]); i++)
        if (!strcmp(t[i].key, key)) return zh ? t[i].zh : t[i].en;
    return key;
}

/* People for people: in Chinese 万 (ten thousand) from 10,000 up ("30.18 万"), else "301,776". */
static const char *fmt_people(const char *lang, double v, char *buf, size_t n)
{
    if (!strcmp(lang, "zh") && fabs(v) >= 10000) {
        snprintf(buf, n, "%.2f 万", v / 10000.0);
        return buf;
    }
    return cc_report_count(v, buf, n);
}

/* Tiers in order of level (hospital, emergency station, township centre, village clinic, the
 * rest), not alphabetical. */
static size_t *tier_order(const rp_data *d)
{
    size_t *o = cc__calloc_array(d->n_tiers ? d->n_tiers : 1, sizeof(size_t));
    if (!o) return NULL;
    for (size_t i = 0; i < d->n_tiers; i++) o[i] = i;
    for (size_t i = 1; i < d->n_tiers; i++)
        for (size_t j = i; j > 0; j--) {
            int a = cc__tier_class(d->tier_name[o[j - 1]], o[j - 1]), b = cc__tier_class(d->tier_name[o[j]], o[j]);
            if (a > 4) a = 4;
            if (b > 4) b = 4;
            if (a <= b) break;
            size_t t = o[j];
            o[j] = o[j - 1];
            o[j - 1] = t;
        }
    return o;
}

/* Diverging bars: each row's change (persons) against the base, losses red, gains blue. */
static void svg_delta(GString *g, const char *lang, const char *const *labels, const double *delta, size_t n)
{
    const double lw = 230, bw = 560, rh = 24, top = 6, W = lw + bw + 20;
    double H = top + rh * (double)n + 10, mx = 0;
    for (size_t r = 0; r < n; r++)
        if (!isnan(delta[r]) && fabs(delta[r]) > mx) mx = fabs(delta[r]);
    if (mx <= 0) mx = 1;
    double x0 = lw + bw / 2;
    g_string_append_printf(g, "<svg role=\"img\" width=\"%.0f\" height=\"%.0f\" viewBox=\"0 0 %.0f %.0f\" font-size=\"12\" "
                              "font-family=\"Noto Sans CJK SC,Noto Sans,sans-serif\">\n<line x1=\"%.0f\" y1=\"0\" x2=\"%.0f\" y2=\"%.0f\" stroke=\"#888\"/>\n",
                           W, H, W, H, x0, x0, H);
    for (size_t r = 0; r < n; r++) {
        double y = top + rh * (double)r;
        g_string_append_printf(g, "<text x=\"%.0f\" y=\"%.1f\" text-anchor=\"end\">", lw - 8, y + 15);
        cc__xml_esc(g, labels[r]);
        g_string_append(g, "</text>\n");
        if (isnan(delta[r])) continue;
        double w = (bw / 2 - 70) * fabs(delta[r]) / mx;
        double x = delta[r] < 0 ? x0 - w : x0;
        char num[32];
        fmt_people(lang, fabs(delta[r]), num, sizeof(num));
        g_string_append_printf(g, "<rect x=\"%.2f\" y=\"%.1f\" width=\"%.2f\" height=\"%.0f\" fill=\"%s\"/>", x, y + 3, w, rh - 8,
                               delta[r] < 0 ? "#b2182b" : "#2166ac");
        g_string_append_printf(g, "<text x=\"%.1f\" y=\"%.1f\" text-anchor=\"%s\">%s%s</text>\n", delta[r] < 0 ? x - 4 : x + w + 4,
                               y + 15, delta[r] < 0 ? "end" : "start", delta[r] < -0.5 ? "−" : delta[r] > 0.5 ? "+" : "", num);
    }
    g_string_append(g, "</svg>\n");
}

/* "0–15 min", "15–30 min", ... and the rest. */
static void band_label(const char *lang, const double *minutes, size_t nb, size_t b, char *buf, size_t n)
{
    if (b >= nb) snprintf(buf, n, "%s", tr_html(lang, "rest"));
    else snprintf(buf, n, "%g–%g %s", b ? minutes[b - 1] : 0.0, minutes[b], cc__tr(lang, "minutes"));
}

/* The threshold the bars' shares are given at: 30 minutes when there is one, else the middle one. */
static size_t mid_band(const double *minutes, size_t nb)
{
    size_t mid = nb / 2;
    for (size_t b = 0; b < nb; b++)
        if (minutes[b] == 30) mid = b;
    return mid;
}

/* A horizontal stacked bar per row: the population within each travel-time band (band colours
 * of the map) and the rest in grey; inline SVG, no script. within[r][b] is cumulative. */
static void svg_bars(GString *g, const char *lang, const char *const *labels, const double (*within)[CC_MAX_BANDS], const double *total,
                     size_t n, const double *minutes, size_t nb)
{
    const double lw = 230, bw = 560, rh = 26, top = 8, W = lw + bw + 80;
    double H = top + rh * (double)n + 34;
    g_string_append_printf(g, "<svg role=\"img\" width=\"%.0f\" height=\"%.0f\" viewBox=\"0 0 %.0f %.0f\" "
                              "font-size=\"12\" font-family=\"Noto Sans CJK SC,Noto Sans,sans-serif\">\n", W, H, W, H);
    for (size_t r = 0; r < n; r++) {
        double y = top + rh * (double)r, x = lw, prev = 0;
        g_string_append_printf(g, "<text x=\"%.0f\" y=\"%.1f\" text-anchor=\"end\">", lw - 8, y + 15);
        cc__xml_esc(g, labels[r]);
        g_string_append(g, "</text>\n");
        if (!(total[r] > 0)) continue;
        for (size_t b = 0; b <= nb; b++) {
            double cum = b < nb ? within[r][b] : total[r];
            if (isnan(cum)) cum = prev;
            double w = bw * (cum - prev) / total[r];
            if (w > 0.05) {
                double rgb[3] = {0.75, 0.75, 0.75};
                if (b < nb) cc__band_rgb(b, nb, rgb);
                g_string_append_printf(g, "<rect x=\"%.2f\" y=\"%.1f\" width=\"%.2f\" height=\"%.0f\" fill=\"#%02x%02x%02x\"><title>",
                                       x, y + 3, w, rh - 8, (int)(rgb[0] * 255 + .5), (int)(rgb[1] * 255 + .5), (int)(rgb[2] * 255 + .5));
                char lab[96], num[32];
                band_label(lang, minutes, nb, b, lab, sizeof(lab));
                cc__xml_esc(g, lab);
                g_string_append_printf(g, ": %s</title></rect>\n", fmt_people(lang, cum - prev, num, sizeof(num)));
            }
            x += w > 0 ? w : 0;
            prev = cum;
        }
        /* share within the middle threshold, at the end of the bar */
        size_t mid = mid_band(minutes, nb);
        if (nb && !isnan(within[r][mid]))
            g_string_append_printf(g, "<text x=\"%.0f\" y=\"%.1f\">%.1f%%</text>\n", lw + bw + 6, y + 15, 100 * within[r][mid] / total[r]);
    }
    /* legend */
    double ly = top + rh * (double)n + 12, lx = lw;
    for (size_t b = 0; b <= nb; b++) {
        double rgb[3] = {0.75, 0.75, 0.75};
        char lab[96];
        if (b < nb) cc__band_rgb(b, nb, rgb);
        band_label(lang, minutes, nb, b, lab, sizeof(lab));
        g_string_append_printf(g, "<rect x=\"%.0f\" y=\"%.0f\" width=\"12\" height=\"12\" fill=\"#%02x%02x%02x\"/><text x=\"%.0f\" y=\"%.0f\">",
                               lx, ly, (int)(rgb[0] * 255 + .5), (int)(rgb[1] * 255 + .5), (int)(rgb[2] * 255 + .5), lx + 16, ly + 11);
        cc__xml_esc(g, lab);
        g_string_append(g, "</text>\n");
        lx += 16 + 12.0 * (double)g_utf8_strlen(lab, -1) * (strcmp(lang, "zh") ? 0.6 : 1.0) + 18;
    }
    g_string_append(g, "</svg>\n");
}

static void th_text(GString *g, const char *s, bool left);
static void td_text(GString *g, const char *s);

typedef struct adm_key {
    double share; /* within the middle threshold; 2 when unknown (last) */
    size_t i;
} adm_key;

static int cmp_adm_key(const void *pa, const void *pb)
{
    const adm_key *a = pa, *b = pb;
    if (a->share != b->share) return a->share < b->share ? -1 : 1;
    return a->i < b->i ? -1 : a->i > b->i;
}

/* Population by travel-time band per township, one bar each, townships with the lowest share
 * within the middle threshold first (where the report's reader should look). */
static bool admin_chart(GString *g, const char *lang, const rp_data *d)
{
    const bool zh = !strcmp(lang, "zh");
    size_t n = d->n_adm, m = mid_band(d->minutes, d->nb);
    adm_key *order = cc__calloc_array(n, sizeof(adm_key));
    const char **labels = cc__calloc_array(n, sizeof(char *));
    double(*w)[CC_MAX_BANDS] = cc__calloc_array(n, sizeof(*w));
    double *tot = cc__calloc_array(n, sizeof(double));
    const bool ok = order && labels && w && tot;
    if (ok && d->nb) {
        for (size_t i = 0; i < n; i++) {
            const rp_admin *a = &d->adm[i];
            order[i] = (adm_key){a->pop > 0 && !isnan(a->within[m]) ? a->within[m] / a->pop : 2, i};
        }
        qsort(order, n, sizeof(adm_key), cmp_adm_key);
        for (size_t r = 0; r < n; r++) {
            const rp_admin *a = &d->adm[order[r].i];
            labels[r] = zh && a->name_zh && *a->name_zh ? a->name_zh : a->name ? a->name : "";
            memcpy(w[r], a->within, sizeof(w[0]));
            tot[r] = a->pop;
        }
        char h[600], hb[300], who[400];
        if (d->adm_head) /* the headline tiers' figures (capable care), as in the key figures */
            snprintf(who, sizeof(who), zh ? "到最近%s；" : "to the nearest %s; ", cc__head_label(d, lang, hb, sizeof(hb)));
        else
            snprintf(who, sizeof(who), "%s", tr_html(lang, "h_chart_admin_all"));
        snprintf(h, sizeof(h), "%s%s%s%g %s", tr_html(lang, "h_chart_admin"), who, zh ? "" : "within ", d->minutes[m], tr_html(lang, "h_chart_admin2"));
        g_string_append(g, "<h2>");
        cc__xml_esc(g, h);
        g_string_append(g, "</h2>\n");
        svg_bars(g, lang, labels, (const double(*)[CC_MAX_BANDS])w, tot, n, d->minutes, d->nb);
    }
    free(order), free(labels), free(w), free(tot);
    return ok;
}


/* The referral table of referrals.csv (written by the run next to the report), if any. */
/* A siting folder's coverage_curve.csv as a chart: the covered share for p = 0..n new sites, solved
 * for each p (solid), the first p sites of the final answer (dashed: nested, what building them in
 * rank order gives), and the bound (dots). Nothing when the file is absent or has no share column. */
static void curve_chart(GString *g, const char *lang, const char *dir)
{
    char path[4300];
    snprintf(path, sizeof(path), "%s/coverage_curve.csv", dir);
    VSILFILE *fp = VSIFOpenL(path, "rb");
    if (!fp) return;
    enum { MAXP = 200 };
    double share[MAXP], nested[MAXP], bound[MAXP], total_guess = NAN;
    int n = 0, c_share = -1, c_nested = -1, c_bound = -1, c_pop = -1;
    bool first = true;
    char **f;
    while (n < MAXP && (f = CSVReadParseLine2L(fp, ','))) { /* GDAL's CSV parser: quotes, commas in names */
        const int k = CSLCount(f);
        if (first) {
            first = false;
            for (int i = 0; i < k; i++) {
                if (!strcmp(f[i], "share_covered")) c_share = i;
                if (!strcmp(f[i], "share_covered_nested")) c_nested = i;
                if (!strcmp(f[i], "bound")) c_bound = i;
                if (!strcmp(f[i], "population_covered")) c_pop = i;
            }
            CSLDestroy(f);
            if (c_share < 0) break;
            continue;
        }
        if (k > c_share) {
            share[n] = strtod(f[c_share], NULL);
            nested[n] = c_nested >= 0 && c_nested < k && f[c_nested][0] ? strtod(f[c_nested], NULL) : NAN;
            double pop = c_pop >= 0 && c_pop < k ? strtod(f[c_pop], NULL) : NAN;
            if (pop > 0 && share[n] > 0) total_guess = pop / share[n];
            bound[n] = c_bound >= 0 && c_bound < k && f[c_bound][0] ? strtod(f[c_bound], NULL) : NAN;
            n++;
        }
        CSLDestroy(f);
    }
    VSIFCloseL(fp);
    if (n < 2) return;
    for (int i = 0; i < n; i++) bound[i] = total_guess > 0 ? bound[i] / total_guess : NAN;
    double lo = 1, hi = 0;
    for (int i = 0; i < n; i++) {
        lo = fmin(lo, share[i]);
        hi = fmax(hi, fmax(share[i], isnan(bound[i]) ? share[i] : fmin(bound[i], 1.0)));
    }
    lo = floor(lo * 100) / 100;
    hi = fmin(1.0, ceil(hi * 100 + 0.5) / 100);
    if (!(hi > lo)) hi = lo + 0.01;
    const double L = 60, R = 20, T = 14, B = 40, W = 640, H = 260, pw = W - L - R, ph = H - T - B;
#define CX(i) (L + pw * (double)(i) / (double)(n - 1))
#define CY(v) (T + ph * (1.0 - ((v) - lo) / (hi - lo)))
    g_string_append(g, "<h2>");
    cc__xml_esc(g, tr_html(lang, "h_curve"));
    g_string_append_printf(g, "</h2>\n<svg role=\"img\" width=\"%.0f\" height=\"%.0f\" viewBox=\"0 0 %.0f %.0f\" font-size=\"12\" "
                              "font-family=\"Noto Sans CJK SC,Noto Sans,sans-serif\">\n", W, H + 44, W, H + 44);
    for (int t = 0; t <= 4; t++) { /* y axis: shares */
        double v = lo + (hi - lo) * t / 4.0;
        g_string_append_printf(g, "<line x1=\"%.1f\" x2=\"%.1f\" y1=\"%.1f\" y2=\"%.1f\" stroke=\"#ddd\"/>"
                                  "<text x=\"%.1f\" y=\"%.1f\" text-anchor=\"end\">%.1f%%</text>\n",
                               L, L + pw, CY(v), CY(v), L - 6, CY(v) + 4, 100 * v);
    }
    for (int i = 0; i < n; i++)
        if (n <= 30 || i % ((n + 29) / 30) == 0)
            g_string_append_printf(g, "<text x=\"%.1f\" y=\"%.1f\" text-anchor=\"middle\">%d</text>\n", CX(i), T + ph + 16, i);
    g_string_append_printf(g, "<text x=\"%.1f\" y=\"%.1f\" text-anchor=\"middle\">", L + pw / 2, T + ph + 32);
    cc__xml_esc(g, tr_html(lang, "sites_axis"));
    g_string_append(g, "</text>\n<polyline fill=\"none\" stroke=\"#1a9850\" stroke-width=\"2.5\" points=\"");
    for (int i = 0; i < n; i++) g_string_append_printf(g, "%.1f,%.1f ", CX(i), CY(share[i]));
    g_string_append(g, "\"/>\n");
    bool any_nested = false;
    for (int i = 0; i < n; i++) any_nested |= !isnan(nested[i]);
    if (any_nested) {
        g_string_append(g, "<polyline fill=\"none\" stroke=\"#2166ac\" stroke-width=\"2\" stroke-dasharray=\"6,4\" points=\"");
        for (int i = 0; i < n; i++)
            if (!isnan(nested[i])) g_string_append_printf(g, "%.1f,%.1f ", CX(i), CY(nested[i]));
        g_string_append(g, "\"/>\n");
    }
    for (int i = 0; i < n; i++)
        if (!isnan(bound[i]) && bound[i] <= hi + 1e-9)
            g_string_append_printf(g, "<circle cx=\"%.1f\" cy=\"%.1f\" r=\"3\" fill=\"#d73027\"><title>%.2f%%</title></circle>\n", CX(i),
                                   CY(fmin(bound[i], hi)), 100 * bound[i]);
    /* legend */
    double ly = H + 8;
    g_string_append_printf(g, "<line x1=\"%.0f\" x2=\"%.0f\" y1=\"%.1f\" y2=\"%.1f\" stroke=\"#1a9850\" stroke-width=\"2.5\"/><text x=\"%.0f\" y=\"%.1f\">",
                           L, L + 24, ly, ly, L + 30, ly + 4);
    cc__xml_esc(g, tr_html(lang, "curve_per_p"));
    g_string_append(g, "</text>\n");
    if (any_nested) {
        g_string_append_printf(g, "<line x1=\"%.0f\" x2=\"%.0f\" y1=\"%.1f\" y2=\"%.1f\" stroke=\"#2166ac\" stroke-width=\"2\" stroke-dasharray=\"6,4\"/>"
                                  "<text x=\"%.0f\" y=\"%.1f\">", L, L + 24, ly + 16, ly + 16, L + 30, ly + 20);
        cc__xml_esc(g, tr_html(lang, "curve_nested"));
        g_string_append(g, "</text>\n");
    }
    g_string_append_printf(g, "<circle cx=\"%.0f\" cy=\"%.1f\" r=\"3\" fill=\"#d73027\"/><text x=\"%.0f\" y=\"%.1f\">", L + 12, ly + 32,
                           L + 30, ly + 36);
    cc__xml_esc(g, tr_html(lang, "curve_bound"));
    g_string_append(g, "</text>\n</svg>\n");
#undef CX
#undef CY
}

static void referral_table(GString *g, const char *lang, const char *dir)
{
    char path[4300];
    snprintf(path, sizeof(path), "%s/referrals.csv", dir);
    VSILFILE *fp = VSIFOpenL(path, "rb");
    if (!fp) return;
    char tb[128];
    bool first = true, with_adm = false;
    char **f;
    /* the township column only when a health centre has one (no admin areas: no empty column) */
    while (!with_adm && (f = CSVReadParseLine2L(fp, ','))) { /* GDAL's CSV parser: quotes, commas in names */
        if (first) first = false;
        else with_adm = CSLCount(f) >= 13 && f[4][0];
        CSLDestroy(f);
    }
    VSIRewindL(fp);
    first = true;
    for (; (f = CSVReadParseLine2L(fp, ',')) != NULL; CSLDestroy(f)) {
        const int n = CSLCount(f);
        if (first) { /* header */
            first = false;
            g_string_append(g, "<h2>");
            cc__xml_esc(g, tr_html(lang, "h_referral"));
            g_string_append(g, "</h2>\n<table><tr>");
            th_text(g, tr_html(lang, "from"), true);
            if (with_adm) th_text(g, cc__tr(lang, "township"), true);
            th_text(g, tr_html(lang, "to"), true);
            th_text(g, cc__tr(lang, "tier"), true);
            th_text(g, cc__tr(lang, "minutes_h"), false);
            char h[64];
            snprintf(h, sizeof(h), "%s", tr_html(lang, "km"));
            th_text(g, h, false);
            g_string_append(g, "</tr>\n");
            continue;
        }
        if (n < 13) continue;
        bool zh = !strcmp(lang, "zh");
        g_string_append(g, "<tr>");
        td_text(g, zh && f[2][0] ? f[2] : f[1]);
        if (with_adm) td_text(g, f[4]);
        if (f[5][0]) {
            td_text(g, zh && f[7][0] ? f[7] : f[6]);
            td_text(g, cc__tier_label(lang, f[8], tb, sizeof(tb)));
            g_string_append_printf(g, "<td>%s</td><td>%s</td>", f[9], f[10][0] ? f[10] : "–");
        } else {
            td_text(g, cc__tr(lang, !strcmp(f[12], "no_road_access") ? "no_road_access" : "unreachable_s"));
            g_string_append(g, "<td></td><td>–</td><td>–</td>");
        }
        g_string_append(g, "</tr>\n");
    }
    VSIFCloseL(fp);
    if (!first) g_string_append(g, "</table>\n");
}

static void head(GString *g, const char *lang, const char *title)
{
    g_string_append_printf(g, "<!DOCTYPE html>\n<html lang=\"%s\">\n<head>\n<meta charset=\"utf-8\">\n<title>", !strcmp(lang, "zh") ? "zh-CN" : "en");
    cc__xml_esc(g, title);
    g_string_append_printf(g, "</title>\n<style>%s</style>\n</head>\n<body>\n", css);
}

static void cell_num(GString *g, const char *lang, double v)
{
    char b[32];
    if (isnan(v))
        g_string_append(g, "<td>–</td>");
    else
        g_string_append_printf(g, "<td>%s</td>", fmt_people(lang, v, b, sizeof(b)));
}

static void cell_pop_share(GString *g, const char *lang, double v, double total)
{
    char b[32];
    if (isnan(v))
        g_string_append(g, "<td>–</td>");
    else
        g_string_append_printf(g, "<td>%s (%.1f%%)</td>", fmt_people(lang, v, b, sizeof(b)), total > 0 ? 100 * v / total : 0.0);
}

static void cell_delta(GString *g, const char *lang, double v)
{
    char b[32];
    if (isnan(v)) {
        g_string_append(g, "<td>–</td>");
        return;
    }
    g_string_append_printf(g, "<td class=\"%s\">%s%s</td>", v < -0.5 ? "neg" : v > 0.5 ? "pos" : "", v > 0.5 ? "+" : "",
                           fmt_people(lang, v, b, sizeof(b)));
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

/* The emergency chain (summary.json "chain", coverage --chain): what the legs are, and each
 * leg's and the whole chain's population within each threshold. Nothing when absent. */
static void chain_section(GString *g, const rp_data *d, const char *lang)
{
    json_object *ch, *legs, *l1, *l2, *w, *v;
    if (!json_object_object_get_ex(d->summary, "chain", &ch) || !json_object_object_get_ex(ch, "legs", &legs) ||
        !json_object_object_get_ex(legs, "station_to_patient", &l1) || !json_object_object_get_ex(legs, "patient_to_capable", &l2))
        return;
    const bool zh = !strcmp(lang, "zh");
    double disp = json_object_object_get_ex(ch, "dispatch_minutes", &v) ? json_object_get_double(v) : NAN;
    double scene = json_object_object_get_ex(ch, "on_scene_minutes", &v) ? json_object_get_double(v) : NAN;
    GString *st = g_string_new(NULL), *cap = g_string_new(NULL);
    json_object *a;
    if (json_object_object_get_ex(ch, "station_tiers", &a))
        for (size_t i = 0; i < json_object_array_length(a); i++) {
            char tb[128];
            g_string_append_printf(st, "%s%s", i ? ", " : "", cc__tier_label(lang, json_object_get_string(json_object_array_get_idx(a, i)), tb, sizeof(tb)));
        }
    if (json_object_object_get_ex(ch, "capable_tiers", &a))
        for (size_t i = 0; i < json_object_array_length(a); i++) {
            char tb[128];
            g_string_append_printf(cap, "%s%s", i ? ", " : "", cc__tier_label(lang, json_object_get_string(json_object_array_get_idx(a, i)), tb, sizeof(tb)));
        }
    g_string_append(g, "<h2>");
    cc__xml_esc(g, zh ? "急救链：呼救到送达有救治能力的医院" : "Emergency chain: from the call to a capable hospital");
    g_string_append(g, "</h2>\n<p>");
    char txt[2048];
    if (zh)
        snprintf(txt, sizeof(txt),
                 "急救链时间 = 调度出车 %g 分钟 + 救护车从最近的急救站（%s）开到患者处 + 现场处置 %g 分钟 + 从患者处送到最近的有救治能力的医院（%s）。"
                 "两段行车方向相反：第一段朝患者行驶，第二段朝医院行驶（单行道按各自方向）。只有整条链在时限内，患者才算在时限内得到救治。",
                 disp, st->str, scene, cap->str);
    else
        snprintf(txt, sizeof(txt),
                 "Chain time = dispatch %g min + the ambulance's drive from the nearest emergency station (%s) to the patient + %g min on "
                 "scene + the drive from the patient to the nearest capable facility (%s). The two drives run in opposite directions: "
                 "the first towards the patient, the second towards the hospital (oneway streets each their own way). A patient is "
                 "treated within a threshold only when the whole chain fits in it.",
                 disp, st->str, scene, cap->str);
    cc__xml_esc(g, txt);
    g_string_append(g, "</p>\n<table><tr>");
    g_string_free(st, TRUE);
    g_string_free(cap, TRUE);
    th_text(g, zh ? "环节" : "Leg", true);
    th_text(g, zh ? "平均分钟" : "Mean minutes", false);
    th_minutes(g, lang, d->minutes, d->nb);
    g_string_append(g, "</tr>\n");
    struct {
        json_object *o;
        const char *within_key, *label_zh, *label_en;
    } rows[] = {{l1, "population_within_min_with_dispatch", "调度 + 急救站到患者", "Dispatch + station to patient"},
                {l2, "population_within_min", "患者到有救治能力的医院", "Patient to capable facility"},
                {ch, "population_within_min", "整条急救链", "Whole chain"}};
    for (size_t r = 0; r < 3; r++) {
        g_string_append(g, "<tr>");
        td_text(g, zh ? rows[r].label_zh : rows[r].label_en);
        double mean = json_object_object_get_ex(rows[r].o, "mean_minutes", &v) && v ? json_object_get_double(v) : NAN;
        if (r == 0) mean += disp; /* the row is the response time: dispatch included */
        if (isnan(mean))
            g_string_append(g, "<td>–</td>");
        else
            g_string_append_printf(g, "<td>%.1f</td>", mean);
        for (size_t b = 0; b < d->nb; b++) {
            char k[32];
            snprintf(k, sizeof(k), "%g", d->minutes[b]);
            double x = json_object_object_get_ex(rows[r].o, rows[r].within_key, &w) && json_object_object_get_ex(w, k, &v)
                           ? json_object_get_double(v)
                           : NAN;
            cell_pop_share(g, lang, x, d->total);
        }
        g_string_append(g, "</tr>\n");
    }
    g_string_append(g, "</table>\n");
}

/* The headline (issue 14): which tiers the key figures count, and their figure within each threshold. */
static void sec_headline(GString *g, const rp_data *d, const char *lang)
{
    const bool zh = !strcmp(lang, "zh");
    char hl[400], n1[32];
    if (d->n_head) {
        g_string_append(g, "<p class=\"headline\"><b>");
        cc__xml_esc(g, zh ? "关键数字只计" : "Key figures count ");
        cc__xml_esc(g, cc__tier_list_label(lang, d->head_name, d->n_head, hl, sizeof(hl))); /* the tiers; a siting's sites below */
        if (d->is_site) cc__xml_esc(g, zh ? "及建议新址" : " and the proposed sites"); /* which join the fixed tiers */
        g_string_append(g, "</b>");
        for (size_t b = 0; b < d->nb; b++) {
            char wl[64];
            g_string_append(g, b ? (zh ? "；" : "; ") : (zh ? "：" : ": "));
            cc__xml_esc(g, cc__tr_within(lang, d->minutes[b], wl, sizeof(wl)));
            g_string_append_printf(g, " %s (%.1f%%)", fmt_people(lang, d->head_within[b], n1, sizeof(n1)),
                                   d->total > 0 ? 100 * d->head_within[b] / d->total : 0.0);
        }
        if (d->is_site) { /* one threshold: the same figure without the proposed sites */
            g_string_append_printf(g, zh ? "。现状（不含建议新址）：%s (%.1f%%)。" : ". Today, without the proposed sites: %s (%.1f%%).",
                                   fmt_people(lang, d->base_within[0], n1, sizeof(n1)), d->total > 0 ? 100 * d->base_within[0] / d->total : 0.0);
        } else {
            cc__xml_esc(g, zh ? "。全部机构（含村卫生室）的数字见下表。" : ". All facilities (village clinics included): the tables below.");
        }
        g_string_append(g, "</p>\n");
    }

}

/* Coverage by threshold: population within each, no road access, unreachable. */
static void sec_thresholds(GString *g, const rp_data *d, const char *lang)
{
    char n1[32];
    g_string_append(g, "<h2>");
    cc__xml_esc(g, cc__tr(lang, "h_cov_threshold"));
    g_string_append(g, "</h2>\n<table><tr>");
    th_text(g, cc__tr(lang, "population"), true);
    th_minutes(g, lang, d->minutes, d->nb);
    th_text(g, cc__tr(lang, d->friction ? "impassable" : "no_road"), false);
    th_text(g, cc__tr(lang, d->friction ? "cut_off" : "unreachable"), false);
    g_string_append_printf(g, "</tr>\n<tr><td class=\"l\">%s</td>", fmt_people(lang, d->total, n1, sizeof(n1)));
    for (size_t b = 0; b < d->nb; b++) cell_pop_share(g, lang, d->within[b], d->total);
    cell_pop_share(g, lang, d->no_road, d->total);
    cell_pop_share(g, lang, d->unreachable, d->total);
    g_string_append(g, "</tr>\n</table>\n");

}

/* The heading and header row of the coverage-by-tier table, up to the first row's <tr>; returns
 * how many facilities joined the network. */
static size_t tier_table_open(GString *g, const rp_data *d, const char *lang)
{
    g_string_append(g, "<h2>");
    cc__xml_esc(g, cc__tr(lang, "h_cov_tier"));
    g_string_append(g, "</h2>\n<table><tr>");
    th_text(g, cc__tr(lang, "tier"), true);
    th_text(g, cc__tr(lang, "count"), false);
    th_text(g, cc__tr(lang, "joined"), false);
    th_minutes(g, lang, d->minutes, d->nb);
    g_string_append(g, "</tr>\n<tr>");
    size_t n_joined = 0;
    for (size_t i = 0; i < d->n_fac; i++) n_joined += d->fac[i].snapped;
    return n_joined;
}

/* A siting folder: its summary has no figure per tier, only the existing facilities of the fixed
 * tiers (before) and the same with the proposed sites (after): two rows that say which is which,
 * instead of an "all facilities" row holding the after figure beside one facility and a dash per
 * tier. */
static void sec_tiers_site(GString *g, const rp_data *d, const char *lang)
{
    const bool zh = !strcmp(lang, "zh");
    char tb[128];
    GString *tiers = g_string_new("");
    for (size_t k = 0; k < d->n_head; k++)
        g_string_append_printf(tiers, "%s%s", k ? (zh ? "、" : ", ") : "", cc__tier_label(lang, d->head_name[k], tb, sizeof(tb)));
    size_t n_joined = tier_table_open(g, d, lang);
    char label[512];
    snprintf(label, sizeof(label), zh ? "%s（%s）" : "%s (%s)", cc__tr(lang, "existing_facilities"), tiers->len ? tiers->str : "–");
    td_text(g, label);
    g_string_append_printf(g, "<td>%zu</td><td>%zu</td>", d->n_fac, n_joined);
    cell_pop_share(g, lang, d->base_within[0], d->total);
    g_string_append(g, "</tr>\n<tr>");
    td_text(g, cc__tr(lang, "with_proposed_sites"));
    g_string_append_printf(g, "<td>%zu</td><td>%zu</td>", d->n_fac + d->n_site, n_joined + d->n_site);
    cell_pop_share(g, lang, d->within[0], d->total);
    g_string_append(g, "</tr>\n</table>\n");
    g_string_free(tiers, TRUE);
}

/* Coverage by tier (all facilities first, then tiers by level), the chain section and the same as a chart; false when out of memory. */
static bool sec_tiers(GString *g, const rp_data *d, const char *lang)
{
    char tb[128];
    if (d->is_site) {
        sec_tiers_site(g, d, lang);
        return true;
    }
    size_t n_joined = tier_table_open(g, d, lang);
    td_text(g, cc__tr(lang, "all_facilities"));
    g_string_append_printf(g, "<td>%zu</td><td>%zu</td>", d->n_fac, n_joined);
    for (size_t b = 0; b < d->nb; b++) cell_pop_share(g, lang, d->within[b], d->total);
    g_string_append(g, "</tr>\n");
    size_t *order = tier_order(d);
    if (!order) {
        return false;
    }
    for (size_t kk = 0; kk < d->n_tiers; kk++) {
        size_t k = order[kk];
        g_string_append(g, "<tr>");
        td_text(g, cc__tier_label(lang, d->tier_name[k], tb, sizeof(tb)));
        g_string_append_printf(g, "<td>%d</td><td>%d</td>", d->tier_facilities[k], d->tier_snapped[k]);
        for (size_t b = 0; b < d->nb; b++) cell_pop_share(g, lang, d->tier_within[k][b], d->total);
        g_string_append(g, "</tr>\n");
    }
    g_string_append(g, "</table>\n");
    chain_section(g, d, lang);

    /* the same as a chart: population by travel-time band, all facilities then each tier */
    {
        size_t nr = d->n_tiers + 1;
        const char **labels = cc__calloc_array(nr, sizeof(char *));
        double(*w)[CC_MAX_BANDS] = cc__calloc_array(nr, sizeof(*w));
        double *tot = cc__calloc_array(nr, sizeof(double));
        char(*lb)[128] = cc__calloc_array(nr, sizeof(*lb));
        if (!labels || !w || !tot || !lb) {
            free(labels), free(w), free(tot), free(lb), free(order);
            return false;
        }
        labels[0] = cc__tr(lang, "all_facilities");
        memcpy(w[0], d->within, sizeof(w[0]));
        tot[0] = d->total;
        for (size_t kk = 0; kk < d->n_tiers; kk++) {
            size_t k = order[kk];
            labels[kk + 1] = cc__tier_label(lang, d->tier_name[k], lb[kk + 1], sizeof(lb[0]));
            memcpy(w[kk + 1], d->tier_within[k], sizeof(w[0]));
            tot[kk + 1] = d->total;
        }
        g_string_append(g, "<h2>");
        cc__xml_esc(g, tr_html(lang, "h_chart_tier"));
        g_string_append(g, "</h2>\n");
        svg_bars(g, lang, labels, (const double(*)[CC_MAX_BANDS])w, tot, nr, d->minutes, d->nb);
        free(labels), free(w), free(tot), free(lb);
    }
    free(order);

    return true;
}

/* Coverage by township, with the change against the base and a chart; false when out of memory. */
static bool sec_admin(GString *g, const rp_data *d, const char *lang)
{
    const bool zh = !strcmp(lang, "zh");
    if (d->n_adm && !d->adm_outline_only) {
        g_string_append(g, "<h2>");
        cc__xml_esc(g, cc__tr(lang, "h_cov_admin"));
        if (d->adm_head) { /* which facilities the figures count */
            char hb[300], who[400];
            snprintf(who, sizeof(who), zh ? "（到最近%s）" : " (to the nearest %s)", cc__head_label(d, lang, hb, sizeof(hb)));
            cc__xml_esc(g, who);
        }
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
            cell_num(g, lang, a->pop);
            for (size_t b = 0; b < d->nb; b++) cell_pop_share(g, lang, a->within[b], a->pop);
            if (d->have_base)
                for (size_t b = 0; b < d->nb; b++) cell_delta(g, lang, a->within[b] - a->base_within[b]);
            g_string_append(g, "</tr>\n");
        }
        g_string_append(g, "</table>\n");
        if (!admin_chart(g, lang, d)) return false;
    }

    return true;
}

/* The uncovered villages or cells, ranked by population, with their place and township. */
static void sec_uncovered(GString *g, const rp_data *d, const char *lang)
{
    const bool zh = !strcmp(lang, "zh");
    g_string_append(g, "<h2>");
    cc__xml_esc(g, cc__tr(lang, d->points_demand ? "h_uncovered" : "h_uncovered_cells"));
    if (d->unc_tiers && *d->unc_tiers) { /* beyond what: the headline tiers */
        char hl[300], who[400];
        cc__tiers_label(lang, d->unc_tiers, hl, sizeof(hl));
        if (zh) snprintf(who, sizeof(who), "：距最近%s超过 %g 分钟", hl, d->unc_min);
        else snprintf(who, sizeof(who), ": more than %g min from the nearest %s", d->unc_min, hl);
        cc__xml_esc(g, who);
    }
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
        /* the township column when there are townships; where each point is, always */
        bool with_adm = d->n_adm > 0;
        for (size_t i = 0; i < shown && !with_adm; i++) with_adm = d->unc[i].admin && *d->unc[i].admin;
        g_string_append(g, "<table><tr>");
        th_text(g, cc__tr(lang, "rank"), false);
        if (d->points_demand) th_text(g, cc__tr(lang, "name"), true);
        if (with_adm) th_text(g, cc__tr(lang, "township"), true);
        th_text(g, cc__tr(lang, "location"), true);
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
            if (with_adm) td_text(g, adm);
            if (isnan(u->lon) || isnan(u->lat)) {
                g_string_append(g, "<td class=\"l\">–</td>");
            } else { /* latitude first, as map search boxes take it */
                char loc[64];
                snprintf(loc, sizeof(loc), "%.5f, %.5f", u->lat, u->lon);
                td_text(g, loc);
            }
            cell_num(g, lang, u->pop);
            if (isnan(u->minutes))
                g_string_append(g, "<td>–</td>");
            else
                g_string_append_printf(g, "<td>%.1f</td>", u->minutes);
            const char *st = u->status && !strcmp(u->status, "no_road_access")    ? "no_road_access"
                             : u->status && !strcmp(u->status, "impassable_cell") ? "impassable_s"
                             : u->status && !strcmp(u->status, "unreachable")  ? "unreachable_s"
                             : u->status && !strcmp(u->status, "barrier_enclosed") ? "cut_off_s"
                                                                               : "beyond_s";
            td_text(g, cc__tr(lang, st));
            g_string_append(g, "</tr>\n");
        }
        g_string_append(g, "</table>\n");
    }

}

/* The proposed sites and their gains. */
static void sec_sites(GString *g, const rp_data *d, const char *lang)
{
    char tb[128];
    if (d->n_site) {
        g_string_append(g, "<h2>");
        cc__xml_esc(g, cc__tr(lang, "h_sites"));
        g_string_append(g, "</h2>\n<table><tr><th></th>");
        th_text(g, cc__tr(lang, "name"), true);
        th_text(g, cc__tr(lang, "tier"), true);
        th_text(g, cc__tr(lang, d->gain_label ? d->gain_label : "gain"), false);
        g_string_append(g, "</tr>\n");
        for (size_t i = 0; i < d->n_site; i++) {
            g_string_append_printf(g, "<tr><td>P%zu</td>", i + 1);
            td_text(g, !strcmp(lang, "zh") && d->site[i].name_zh && *d->site[i].name_zh ? d->site[i].name_zh : d->site[i].name);
            td_text(g, d->site[i].tier ? cc__tier_label(lang, d->site[i].tier, tb, sizeof(tb)) : "");
            if (d->gain_minutes && d->site[i].has_gain)
                g_string_append_printf(g, "<td>%.2f</td>", d->site[i].gain);
            else
                cell_num(g, lang, d->site[i].has_gain ? d->site[i].gain : NAN);
            g_string_append(g, "</tr>\n");
        }
        g_string_append(g, "</table>\n");
    }

}

/* The comparison with the base scenario. */
static void sec_compare(GString *g, const rp_data *d, const char *lang)
{
    if (d->have_base) {
        g_string_append(g, "<h2>");
        cc__xml_esc(g, cc__tr(lang, "h_compare"));
        g_string_append(g, "</h2>\n<table><tr><th></th>");
        th_minutes(g, lang, d->minutes, d->nb);
        g_string_append(g, "</tr>\n<tr>");
        td_text(g, cc__tr(lang, "before"));
        for (size_t b = 0; b < d->nb; b++) cell_pop_share(g, lang, d->base_within[b], d->base_total);
        g_string_append(g, "</tr>\n<tr>");
        td_text(g, cc__tr(lang, "after"));
        for (size_t b = 0; b < d->nb; b++) cell_pop_share(g, lang, d->within[b], d->total);
        g_string_append(g, "</tr>\n<tr>");
        td_text(g, cc__tr(lang, "change"));
        for (size_t b = 0; b < d->nb; b++) cell_delta(g, lang, d->within[b] - d->base_within[b]);
        g_string_append(g, "</tr>\n</table>\n");
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

    sec_headline(g, d, lang);
    sec_thresholds(g, d, lang);
    if (!sec_tiers(g, d, lang)) {
        g_string_free(g, TRUE);
        return cc__fail(ctx, CC_ERR_NOMEM, "Out of memory");
    }
    if (!sec_admin(g, d, lang)) {
        g_string_free(g, TRUE);
        return cc__fail(ctx, CC_ERR_NOMEM, "Out of memory");
    }
    referral_table(g, lang, d->dir);
    char acc[4300];
    snprintf(acc, sizeof(acc), "%s/access_by_village.csv", d->dir);
    if (g_file_test(acc, G_FILE_TEST_EXISTS)) {
        g_string_append(g, "<p class=\"note\">");
        cc__xml_esc(g, tr_html(lang, "h_access"));
        g_string_append(g, "</p>\n");
    }

    sec_uncovered(g, d, lang);
    sec_sites(g, d, lang);
    if (d->have_cpm) { /* capacitated p-median: the mean the model minimises, with capacities respected */
        const char *mn = cc__tr(lang, "min_short");
        char pb[64];
        g_string_append(g, "<p class=\"note\">");
        cc__xml_esc(g, cc__tr(lang, "cpm_mean"));
        g_string_append_printf(g, " (&le; %.0f %s): ", d->cpm_radius, mn);
        cc__xml_esc(g, cc__tr(lang, "before"));
        g_string_append_printf(g, " %.2f %s &rarr; ", d->cpm_before, mn);
        cc__xml_esc(g, cc__tr(lang, "after"));
        g_string_append_printf(g, " %.2f %s (", d->cpm_after, mn);
        cc__xml_esc(g, cc__tr(lang, "cpm_blind"));
        g_string_append_printf(g, " %.2f %s); ", d->cpm_blind, mn);
        cc__xml_esc(g, cc__tr(lang, "cpm_radius"));
        g_string_append(g, ": ");
        cc__xml_esc(g, cc_report_count(d->cpm_at_radius, pb, sizeof(pb)));
        g_string_append(g, "</p>\n");
    }
    if (d->is_site) curve_chart(g, lang, d->dir);
    sec_compare(g, d, lang);
    g_string_append(g, "</body>\n</html>\n");
    cc_status st = cc__write_text(ctx, html_path, g->str);
    g_string_free(g, TRUE);
    return st;
}

/* A batch row's scenario for people: its title from batch.yaml, "Base" for the base, else its id. */
static const char *row_label(const char *lang, const rp_cmp_row *r, const char *base)
{
    const char *t = !strcmp(lang, "zh") ? r->label_zh : r->label_en;
    if (t && *t) return t;
    if (base && !strcmp(r->scenario, base)) return cc__tr(lang, "before");
    return r->scenario;
}

cc_status cc__html_batch(cc_ctx *ctx, const char *path, const char *lang, const char *batch_file, const double *minutes, size_t nb,
                         const rp_cmp_row *rows, size_t n_rows, const char *head_tiers)
{
    GString *g = g_string_new("");
    /* what the figures count: " (to the nearest county hospital)", "" for all facilities */
    char hl[300], who[400] = "";
    if (head_tiers && *head_tiers)
        snprintf(who, sizeof(who), !strcmp(lang, "zh") ? "（到最近%s）" : " (to the nearest %s)", cc__tiers_label(lang, head_tiers, hl, sizeof(hl)));
    head(g, lang, cc__tr(lang, "batch_title"));
    g_string_append(g, "<h1>");
    cc__xml_esc(g, cc__tr(lang, "batch_title"));
    g_string_append(g, "</h1>\n<p class=\"sub\">");
    cc__xml_esc(g, batch_file);
    g_string_append(g, " · carecircle " CC_VERSION_STRING "</p>\n");
    bool zh = !strcmp(lang, "zh");
    /* chart: each scenario's population by travel-time band */
    {
        size_t nr = 0;
        for (size_t i = 0; i < n_rows; i++) nr += rows[i].code == NULL;
        const char **labels = cc__calloc_array(nr ? nr : 1, sizeof(char *));
        double(*w)[CC_MAX_BANDS] = cc__calloc_array(nr ? nr : 1, sizeof(*w));
        double *tot = cc__calloc_array(nr ? nr : 1, sizeof(double));
        if (!labels || !w || !tot) {
            free(labels), free(w), free(tot);
            g_string_free(g, TRUE);
            return cc__fail(ctx, CC_ERR_NOMEM, "Out of memory");
        }
        size_t k = 0, mid = nb / 2;
        for (size_t b = 0; b < nb; b++)
            if (minutes[b] == 30) mid = b;
        double *dl = cc__calloc_array(nr ? nr : 1, sizeof(double));
        for (size_t i = 0; i < n_rows; i++) {
            if (rows[i].code) continue;
            labels[k] = row_label(lang, &rows[i], rows[0].scenario);
            memcpy(w[k], rows[i].within, sizeof(w[k]));
            if (dl) dl[k] = rows[i].have_delta && nb ? rows[i].delta[mid] : NAN;
            tot[k++] = rows[i].pop;
        }
        if (dl && nr > 1 && nb) {
            char h[600];
            if (zh) snprintf(h, sizeof(h), "与基线相比 %g 分钟内人口的变化%s", minutes[mid], who);
            else snprintf(h, sizeof(h), "Change in the population within %g min against the base%s", minutes[mid], who);
            g_string_append(g, "<h2>");
            cc__xml_esc(g, h);
            g_string_append(g, "</h2>\n");
            svg_delta(g, lang, labels + 1, dl + 1, nr - 1);
        }
        g_string_append(g, "<h2>");
        cc__xml_esc(g, tr_html(lang, "h_chart_batch"));
        cc__xml_esc(g, who);
        g_string_append(g, "</h2>\n");
        svg_bars(g, lang, labels, (const double(*)[CC_MAX_BANDS])w, tot, nr, minutes, nb);
        free(labels), free(w), free(tot), free(dl);
    }
    for (int part = 0; part < 2; part++) {
        g_string_append(g, "<h2>");
        cc__xml_esc(g, cc__tr(lang, part == 0 ? "h_compare" : "h_cov_admin"));
        cc__xml_esc(g, who);
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
        if (part == 0) {
            th_text(g, cc__tr(lang, "no_road"), false);
            th_text(g, cc__tr(lang, "unreachable"), false);
        }
        g_string_append(g, "</tr>\n");
        for (size_t i = 0; i < n_rows; i++) {
            const rp_cmp_row *r = &rows[i];
            if ((part == 0) != (r->code == NULL)) continue;
            /* the variant's own title from batch.yaml in the report's language, else its id */
            const char *shown = row_label(lang, r, rows[0].scenario);
            g_string_append(g, "<tr><td class=\"l\">");
            if (part == 0 && strcmp(r->state, "failed") && r->report[strcmp(lang, "zh") ? 1 : 0]) {
                g_string_append(g, "<a href=\"");
                cc__xml_esc(g, r->scenario);
                g_string_append_printf(g, "/report_%s.html\">", lang);
                cc__xml_esc(g, shown);
                g_string_append(g, "</a>");
            } else {
                cc__xml_esc(g, shown);
            }
            g_string_append(g, "</td>");
            if (part == 0) td_text(g, tr_html(lang, r->state)); /* done, skipped, failed in the report's language */
            if (part == 1) {
                td_text(g, r->code);
                td_text(g, zh && r->name_zh && *r->name_zh ? r->name_zh : r->name);
            }
            cell_num(g, lang, r->pop);
            for (size_t b = 0; b < nb; b++) cell_pop_share(g, lang, r->within[b], r->pop);
            for (size_t b = 0; b < nb; b++) cell_delta(g, lang, r->have_delta ? r->delta[b] : NAN);
            if (part == 0) {
                cell_pop_share(g, lang, r->no_road, r->pop);
                cell_pop_share(g, lang, r->unreachable, r->pop);
            }
            g_string_append(g, "</tr>\n");
        }
        g_string_append(g, "</table>\n");
    }
    g_string_append(g, "</body>\n</html>\n");
    cc_status st = cc__write_text(ctx, path, g->str);
    g_string_free(g, TRUE);
    return st;
}

void cc__html_head(GString *g, const char *lang, const char *title) { head(g, lang, title); }
void cc__html_th(GString *g, const char *s, bool left) { th_text(g, s, left); }
void cc__html_td(GString *g, const char *s) { td_text(g, s); }
