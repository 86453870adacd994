/*
 * common.c - what the styles, the project, the maps and the HTML reports share: labels in
 * Chinese and English (one table), tier names and classes, band colours, number formatting and
 * XML escaping. Nothing here reads or writes a file.
 */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "carecircle/cc_version.h"
#include "report_internal.h"

/* ---- labels ------------------------------------------------------------------------------------ */

static const struct {
    const char *key, *zh, *en;
} labels[] = {
    {"title", "急救医疗服务可达性", "Access to emergency care"},
    {"legend_time", "到最近医疗机构的行车时间", "Travel time to the nearest facility"},
    {"minutes", "分钟", "min"},
    {"beyond", "超过 %g 分钟或无道路可达", "Beyond %g min or no road access"},
    {"facilities", "医疗机构", "Facilities"},
    {"proposed", "建议新址", "Proposed sites"},
    {"robust_sites", "稳健新址（所有情景共用一套）", "Robust sites (one set for every scenario)"},
    {"own_sites", "本情景单独规划的最优新址", "This scenario's own best sites"},
    {"roads", "道路", "Roads"},
    {"main_roads", "主要道路", "Main roads"},
    {"minor_roads", "其他道路", "Other roads"},
    {"closed_roads", "封闭道路", "Closed roads"},
    {"added_roads", "新建或改造道路", "Added or upgraded roads"},
    {"admin", "乡镇界", "Township boundary"},
    {"township", "乡镇", "Township"},
    {"location", "位置（纬度, 经度）", "Location (lat, lon)"},
    {"key_figures", "关键数字", "Key figures"},
    {"population", "总人口", "Population"},
    {"within", "%g 分钟内", "Within %g min"},
    {"before", "基线", "Base"},
    {"after", "本方案", "This scenario"},
    {"change", "变化", "Change"},
    {"scenario", "方案", "Scenario"},
    {"north", "北", "N"},
    {"km", "公里", "km"},
    {"m", "米", "m"},
    {"no_road", "无道路可达", "No road access"},
    {"impassable", "位于不可通行地块", "On impassable cells"},
    {"unreachable", "道路不通任何机构", "On roads reaching no facility"},
    {"cut_off", "被阻隔、无法到达任何机构", "Cut off from every facility by barriers"},
    {"footer", "carecircle %s · 坐标系 %s · 速度方案 %s · 行车时间 = 自由流道路时间 + 步行接驳",
     "carecircle %s · CRS %s · speed profile %s · travel time = free-flow road time + off-road walk"},
    {"h_cov_threshold", "按时间阈值的覆盖人口", "Population covered by threshold"},
    {"h_cov_tier", "按机构级别的覆盖人口", "Population covered by facility tier"},
    {"h_cov_admin", "按乡镇的覆盖人口", "Population covered by township"},
    {"h_uncovered", "未覆盖的村庄（按人口排序）", "Uncovered villages, ranked by population"},
    {"h_uncovered_cells", "未覆盖的人口格网（按人口排序）", "Uncovered population cells, ranked by population"},
    {"h_sites", "建议新址及其增益", "Proposed sites and their gains"},
    {"h_compare", "方案比较", "Scenario comparison"},
    {"h_map", "地图", "Map"},
    {"all_facilities", "全部机构", "All facilities"},
    {"existing_facilities", "现有机构", "Existing facilities"},
    {"with_proposed_sites", "现有机构 + 建议新址", "Existing facilities + proposed sites"},
    {"tier", "级别", "Tier"},
    {"count", "数量", "Number"},
    {"joined", "接入路网", "On the road network"},
    {"name", "名称", "Name"},
    {"code", "代码", "Code"},
    {"rank", "排名", "Rank"},
    {"status", "状态", "Status"},
    {"minutes_h", "分钟", "Minutes"},
    {"gain", "增益人口", "Population gained"},
    {"gain_expected", "期望增益人口（考虑救护车忙碌）", "Expected population gained (ambulances busy part of the time)"},
    {"gain_served", "新增服务人口（不超过容量）", "Population gained (served within capacity)"},
    {"gain_minutes", "平均时间缩短（分钟）", "Mean time saved (minutes)"},
    {"gain_twice", "新增双重覆盖人口（两辆及以上救护车可达）", "Population newly covered twice (two or more ambulances within the threshold)"},
    {"cpm_mean", "平均出行时间（不超过容量）", "Mean travel time (capacities respected)"},
    {"cpm_blind", "不考虑容量时", "if capacities were ignored"},
    {"cpm_radius", "无机构可接收、按搜索半径计的人口", "people no site can take, counted at the search radius"},
    {"min_short", "分钟", "min"},
    {"share", "比例", "Share"},
    {"beyond_s", "超出阈值", "beyond"},
    {"no_road_access", "无道路可达", "no road access"},
    {"impassable_s", "不可通行地块", "impassable cell"},
    {"cut_off_s", "被阻隔", "cut off by barriers"},
    {"unreachable_s", "路网不通", "unreachable"},
    {"report_intro", "本报告由 carecircle 根据道路、人口和医疗机构数据计算。覆盖人口指在给定分钟内可到达最近医疗机构的人口。",
     "carecircle computed this report from roads, population and facilities. Covered population: people who reach the nearest facility within the given minutes."},
    {"batch_title", "方案批量比较", "Scenario batch comparison"},
    {"variant", "方案", "Variant"},
    {"state", "状态", "State"},
    {"total", "全县", "Whole area"},
    {"report_link", "报告", "report"},
    {"none", "无", "none"},
    {"shown_of", "（共 %zu 个，显示前 %zu 个）", " (%zu in all, first %zu shown)"},
};

/* Labels with numbers: literal formats per language (no run-time format strings). */
const char *cc__tr_within(const char *lang, double m, char *buf, size_t n)
{
    if (lang && !strcmp(lang, "zh"))
        snprintf(buf, n, "%g 分钟内", m);
    else
        snprintf(buf, n, "Within %g min", m);
    return buf;
}

const char *cc__tr_beyond(const char *lang, double m, char *buf, size_t n)
{
    if (lang && !strcmp(lang, "zh"))
        snprintf(buf, n, "超过 %g 分钟或无道路可达", m);
    else
        snprintf(buf, n, "Beyond %g min or no road access", m);
    return buf;
}

const char *cc__tr_footer(const char *lang, const char *crs, const char *profile, char *buf, size_t n)
{
    if (lang && !strcmp(lang, "zh"))
        snprintf(buf, n, "carecircle %s · 坐标系 %s · 速度方案 %s · 行车时间 = 自由流道路时间 + 步行接驳", CC_VERSION_STRING, crs, profile);
    else
        snprintf(buf, n, "carecircle %s · CRS %s · speed profile %s · travel time = free-flow road time + off-road walk", CC_VERSION_STRING, crs,
                 profile);
    return buf;
}

const char *cc__tr_shown_of(const char *lang, size_t total, size_t shown, char *buf, size_t n)
{
    if (lang && !strcmp(lang, "zh"))
        snprintf(buf, n, "（共 %zu 个，显示前 %zu 个）", total, shown);
    else
        snprintf(buf, n, "(%zu in all, first %zu shown)", total, shown);
    return buf;
}

const char *cc__tr(const char *lang, const char *key)
{
    bool zh = lang && !strcmp(lang, "zh");
    for (size_t i = 0; i < sizeof(labels) / sizeof(labels[0]); i++)
        if (!strcmp(labels[i].key, key)) return zh ? labels[i].zh : labels[i].en;
    return key;
}

static const struct {
    const char *tier, *zh, *en;
} tier_labels[] = {
    {"county_hospital", "县医院", "County hospital"},
    {"hospital", "医院", "Hospital"},
    {"emergency_station", "120急救站", "120 emergency station"},
    {"township_health_centre", "乡镇卫生院", "Township health centre"},
    {"township_health_center", "乡镇卫生院", "Township health centre"},
    {"sub_centre", "县域医疗次中心", "County sub-centre"},
    {"village_clinic", "村卫生室", "Village clinic"},
    {"health_centre", "卫生中心", "Health centre"},
    {"health_post", "卫生所", "Health post"},
};

const char *cc__tier_label(const char *lang, const char *tier, char *buf, size_t n)
{
    bool zh = lang && !strcmp(lang, "zh");
    for (size_t i = 0; i < sizeof(tier_labels) / sizeof(tier_labels[0]); i++)
        if (!strcmp(tier_labels[i].tier, tier)) return zh ? tier_labels[i].zh : tier_labels[i].en;
    snprintf(buf, n, "%s", tier);
    for (char *c = buf; *c; c++)
        if (*c == '_') *c = ' ';
    return cc__utf8_whole(buf);
}

int cc__tier_class(const char *tier, size_t index)
{
    if (strstr(tier, "hospital")) return 0;
    if (strstr(tier, "emergency") || strstr(tier, "station") || strstr(tier, "ambulance")) return 1;
    if (strstr(tier, "township") || strstr(tier, "centre") || strstr(tier, "center")) return 2;
    if (strstr(tier, "village") || strstr(tier, "clinic") || strstr(tier, "post")) return 3;
    return 4 + (int)(index % 4);
}

void cc__band_rgb(size_t b, size_t nb, double rgb[3])
{
    /* ColorBrewer RdYlGn, reversed: green (near) to red (far) */
    static const double ramp[][3] = {{26, 152, 80}, {145, 207, 96}, {217, 239, 139}, {254, 224, 139}, {252, 141, 89}, {215, 48, 39}};
    const double nr = sizeof(ramp) / sizeof(ramp[0]) - 1;
    double t = nb > 1 ? (double)b / (double)(nb - 1) * 0.8 : 0.0; /* stop short of the darkest red */
    double pos = t * nr;
    size_t i = (size_t)floor(pos);
    if (i >= (size_t)nr) i = (size_t)nr - 1;
    double f = pos - (double)i;
    for (int k = 0; k < 3; k++) rgb[k] = (ramp[i][k] * (1 - f) + ramp[i + 1][k] * f) / 255.0;
}

const char *cc_report_count(double v, char *buf, size_t n)
{
    char tmp[64];
    snprintf(tmp, sizeof(tmp), "%.0f", fabs(v) < 0.5 ? 0.0 : v);
    size_t len = strlen(tmp), o = 0;
    const char *d = tmp;
    if (*d == '-') {
        if (o + 1 < n) buf[o++] = '-';
        d++;
        len--;
    }
    for (size_t i = 0; i < len && o + 2 < n; i++) {
        buf[o++] = d[i];
        if ((len - i - 1) % 3 == 0 && i + 1 < len) buf[o++] = ',';
    }
    buf[o] = '\0';
    return buf;
}

void cc__xml_esc(GString *g, const char *s)
{
    if (!s) return;
    char *e = g_markup_escape_text(s, -1);
    g_string_append(g, e);
    g_free(e);
}

const char *cc__tier_label_in_text(const char *lang, const char *tier, char *buf, size_t n)
{
    char tb[128];
    snprintf(buf, n, "%s", cc__tier_label(lang, tier, tb, sizeof(tb)));
    /* English labels are written for a legend ("Township health centre"); inside a sentence the
     * first letter is small, but not an acronym's ("CHC") */
    if (strcmp(lang, "zh") && buf[0] >= 'A' && buf[0] <= 'Z' && !(buf[1] >= 'A' && buf[1] <= 'Z')) buf[0] = (char)(buf[0] - 'A' + 'a');
    return cc__utf8_whole(buf);
}

const char *cc__tier_list_label(const char *lang, const char *const *tiers, size_t n_tiers, char *buf, size_t n)
{
    const bool zh = !strcmp(lang, "zh");
    buf[0] = 0;
    for (size_t i = 0; i < n_tiers; i++) {
        char one[160];
        cc__tier_label_in_text(lang, tiers[i], one, sizeof(one));
        size_t l = strlen(buf);
        snprintf(buf + l, n - l, "%s%s", i ? (zh ? "、" : " or ") : "", one);
    }
    return cc__utf8_whole(buf);
}

const char *cc__tiers_label(const char *lang, const char *tiers, char *buf, size_t n)
{
    char **t = g_strsplit(tiers, ",", -1);
    cc__tier_list_label(lang, (const char *const *)t, g_strv_length(t), buf, n);
    g_strfreev(t);
    return buf;
}
