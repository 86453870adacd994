/*
 * style.c - QGIS styles (QML) for every output layer, stored in the GeoPackage's layer_styles
 * table (QGIS's own schema: QGIS applies the row with useAsDefault when it opens the layer), a
 * QML next to the travel-time COG, and a QGIS project (project.qgs) with relative paths.
 *
 * Symbol layers are written with <prop k= v=/> properties, which every QGIS 3 release reads.
 */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <gdal.h>
#include <ogr_srs_api.h>

#include "carecircle/cc_version.h"
#include "../io/write_internal.h"
#include "report_internal.h"

#define QGIS_VERSION "3.22.16-Białowieża"

typedef struct rgb {
    int r, g, b;
} rgb;

static rgb band_color(size_t b, size_t nb)
{
    double c[3];
    cc__band_rgb(b, nb, c);
    return (rgb){(int)lround(c[0] * 255), (int)lround(c[1] * 255), (int)lround(c[2] * 255)};
}

/* tier classes: hospital, emergency station, township centre, village clinic, others */
static const rgb tier_rgb[] = {{178, 24, 43}, {33, 102, 172}, {118, 42, 131}, {64, 64, 64},
                               {230, 97, 1},  {1, 133, 113},  {140, 81, 10},  {77, 146, 33}};
static const char *const tier_shape[] = {"square", "triangle", "circle", "circle", "diamond", "pentagon", "diamond", "pentagon"};
static const double tier_size[] = {4.2, 4.2, 3.2, 2.0, 3.2, 3.2, 3.2, 3.2};

static void prop(GString *g, const char *k, const char *v)
{
    g_string_append_printf(g, "          <prop k=\"%s\" v=\"", k);
    cc__xml_esc(g, v);
    g_string_append(g, "\"/>\n");
}

static void propf(GString *g, const char *k, const char *fmt, ...) CC__PRINTF(3, 4);
static void propf(GString *g, const char *k, const char *fmt, ...)
{
    char v[256];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(v, sizeof(v), fmt, ap);
    va_end(ap);
    prop(g, k, v);
}

static void sym_open(GString *g, const char *type, const char *name, double alpha)
{
    g_string_append_printf(g, "      <symbol type=\"%s\" name=\"%s\" alpha=\"%g\" clip_to_extent=\"1\" force_rhr=\"0\">\n", type, name, alpha);
}

static void fill_layer(GString *g, rgb c, int alpha, rgb o, double ow, const char *ostyle)
{
    g_string_append(g, "        <layer class=\"SimpleFill\" enabled=\"1\" locked=\"0\" pass=\"0\">\n");
    propf(g, "color", "%d,%d,%d,%d", c.r, c.g, c.b, alpha);
    prop(g, "style", alpha ? "solid" : "no");
    propf(g, "outline_color", "%d,%d,%d,255", o.r, o.g, o.b);
    prop(g, "outline_style", ostyle);
    propf(g, "outline_width", "%g", ow);
    prop(g, "outline_width_unit", "MM");
    prop(g, "joinstyle", "round");
    g_string_append(g, "        </layer>\n");
}

static void marker_layer(GString *g, const char *shape, rgb c, double size, rgb o, double ow)
{
    g_string_append(g, "        <layer class=\"SimpleMarker\" enabled=\"1\" locked=\"0\" pass=\"0\">\n");
    prop(g, "name", shape);
    propf(g, "color", "%d,%d,%d,255", c.r, c.g, c.b);
    propf(g, "outline_color", "%d,%d,%d,255", o.r, o.g, o.b);
    propf(g, "outline_width", "%g", ow);
    prop(g, "outline_width_unit", "MM");
    propf(g, "size", "%g", size);
    prop(g, "size_unit", "MM");
    prop(g, "outline_style", "solid");
    prop(g, "scale_method", "diameter");
    g_string_append(g, "        </layer>\n");
}

static void line_layer(GString *g, rgb c, double w, const char *style)
{
    g_string_append(g, "        <layer class=\"SimpleLine\" enabled=\"1\" locked=\"0\" pass=\"0\">\n");
    propf(g, "line_color", "%d,%d,%d,255", c.r, c.g, c.b);
    propf(g, "line_width", "%g", w);
    prop(g, "line_width_unit", "MM");
    prop(g, "line_style", style);
    prop(g, "capstyle", "round");
    prop(g, "joinstyle", "round");
    g_string_append(g, "        </layer>\n");
}

static void tier_marker(GString *g, const char *name, int cls)
{
    int k = cls < 8 ? cls : 4;
    sym_open(g, "marker", name, 1);
    marker_layer(g, tier_shape[k], tier_rgb[k], tier_size[k], (rgb){255, 255, 255}, 0.3);
    if (k == 0) marker_layer(g, "cross_fill", (rgb){255, 255, 255}, 2.8, (rgb){255, 255, 255}, 0); /* white plus: hospital */
    g_string_append(g, "      </symbol>\n");
}

static void q_attr(GString *g, const char *field)
{
    g_string_append(g, "&quot;");
    cc__xml_esc(g, field);
    g_string_append(g, "&quot;");
}

/* ---- renderers per layer -------------------------------------------------------------------------- */

static bool is_head_tier(const rp_data *d, const char *tier)
{
    for (size_t i = 0; i < d->n_head; i++)
        if (!strcmp(d->head_name[i], tier)) return true;
    return false;
}

static void r_isochrones(GString *g, const rp_data *d, const char *lang)
{
    GString *sy = g_string_new("");
    int key = 0, sym = 0;
    g_string_append(g, "  <renderer-v2 type=\"RuleRenderer\" symbollevels=\"0\" forceraster=\"0\" enableorderby=\"0\">\n"
                       "    <rules key=\"{root}\">\n");
    /* the group shown: the headline's (capable care, as on the map): its own bands when the
     * headline has several tiers, else its tier's, else all facilities' */
    for (size_t kk = 0; kk <= d->n_tiers + d->iso_head_set; kk++) {
        const bool head_group = d->iso_head_set && kk == 0;
        const size_t k = kk - d->iso_head_set;
        const char *tier = head_group ? "headline" : k == 0 ? "all" : d->tier_name[k - 1];
        char tb[300];
        const char *tl = head_group ? cc__head_label(d, lang, tb, sizeof(tb))
                         : k == 0   ? cc__tr(lang, "all_facilities")
                                    : cc__tier_label(lang, tier, tb, sizeof(tb));
        bool on = d->iso_head_set ? head_group : d->n_head ? !head_group && k > 0 && is_head_tier(d, tier) : k == 0;
        g_string_append_printf(g, "      <rule key=\"{r%d}\" checkstate=\"%d\" label=\"", key++, on);
        cc__xml_esc(g, tl);
        g_string_append(g, "\" filter=\"");
        q_attr(g, "tier");
        g_string_append(g, " = '");
        cc__xml_esc(g, tier);
        g_string_append(g, "'\">\n");
        for (size_t b = 0; b < d->nb; b++) {
            char lb[64];
            snprintf(lb, sizeof(lb), "%g–%g %s", b ? d->minutes[b - 1] : 0.0, d->minutes[b], cc__tr(lang, "minutes"));
            g_string_append_printf(g, "        <rule key=\"{r%d}\" symbol=\"%d\" label=\"%s\" filter=\"&quot;min_to&quot; = %.10g\"/>\n", key++,
                                   sym, lb, d->minutes[b]);
            char sn[32];
            snprintf(sn, sizeof(sn), "%d", sym++);
            sym_open(sy, "fill", sn, 0.75);
            rgb c = band_color(b, d->nb);
            fill_layer(sy, c, 255, c, 0.1, "no");
            g_string_append(sy, "      </symbol>\n");
        }
        g_string_append(g, "      </rule>\n");
    }
    g_string_append_printf(g, "    </rules>\n    <symbols>\n%s    </symbols>\n  </renderer-v2>\n", sy->str);
    g_string_free(sy, TRUE);
}

static void r_facilities(GString *g, const rp_data *d, const char *lang, const char *layer_field)
{
    GString *sy = g_string_new("");
    g_string_append_printf(g, "  <renderer-v2 type=\"categorizedSymbol\" attr=\"%s\" symbollevels=\"0\" forceraster=\"0\" enableorderby=\"0\">\n"
                              "    <categories>\n", layer_field);
    for (size_t k = 0; k < d->n_tiers; k++) {
        char tb[128], sn[32];
        g_string_append_printf(g, "      <category render=\"true\" symbol=\"%zu\" value=\"", k);
        cc__xml_esc(g, d->tier_name[k]);
        g_string_append(g, "\" label=\"");
        cc__xml_esc(g, cc__tier_label(lang, d->tier_name[k], tb, sizeof(tb)));
        g_string_append(g, "\"/>\n");
        snprintf(sn, sizeof(sn), "%zu", k);
        tier_marker(sy, sn, cc__tier_class(d->tier_name[k], k));
    }
    char sn[32];
    snprintf(sn, sizeof(sn), "%zu", d->n_tiers);
    g_string_append_printf(g, "      <category render=\"true\" symbol=\"%s\" value=\"\" label=\"%s\"/>\n", sn, lang && !strcmp(lang, "zh") ? "其他" : "other");
    sym_open(sy, "marker", sn, 1);
    marker_layer(sy, "circle", (rgb){150, 150, 150}, 2.0, (rgb){255, 255, 255}, 0.2);
    g_string_append(sy, "      </symbol>\n");
    g_string_append_printf(g, "    </categories>\n    <symbols>\n%s    </symbols>\n  </renderer-v2>\n", sy->str);
    g_string_free(sy, TRUE);
}

/* A single-symbol renderer: one symbol of type @p sym_type ("marker", "fill") made of @p layer. */
static void r_single(GString *g, const char *sym_type, const GString *layer)
{
    GString *sy = g_string_new("");
    sym_open(sy, sym_type, "0", 1);
    g_string_append(sy, layer->str);
    g_string_append(sy, "      </symbol>\n");
    g_string_append_printf(g, "  <renderer-v2 type=\"singleSymbol\" symbollevels=\"0\" forceraster=\"0\" enableorderby=\"0\">\n"
                              "    <symbols>\n%s    </symbols>\n  </renderer-v2>\n", sy->str);
    g_string_free(sy, TRUE);
}

/* Every area the same unfilled outline (catchments; admin areas without figures, purple dash-dot
 * as on the map). */
static void r_single_outline(GString *g, rgb o, double ow, const char *ostyle)
{
    GString *l = g_string_new("");
    fill_layer(l, (rgb){255, 255, 255}, 0, o, ow, ostyle);
    r_single(g, "fill", l);
    g_string_free(l, TRUE);
}

/* A siting folder's isochrones: the area within T after the proposed sites (filled), before them
 * (dashed outline). */
static void r_site_isochrones(GString *g, const char *lang)
{
    bool zh = lang && !strcmp(lang, "zh");
    GString *sy = g_string_new("");
    g_string_append(g, "  <renderer-v2 type=\"RuleRenderer\" symbollevels=\"0\" forceraster=\"0\" enableorderby=\"0\">\n    <rules key=\"{root}\">\n");
    g_string_append_printf(g, "      <rule key=\"{s0}\" symbol=\"0\" label=\"%s\" filter=\"&quot;state&quot; = 'after'\"/>\n",
                           zh ? "新址建成后" : "with the proposed sites");
    g_string_append_printf(g, "      <rule key=\"{s1}\" symbol=\"1\" label=\"%s\" filter=\"&quot;state&quot; = 'before'\"/>\n",
                           zh ? "现状" : "today");
    sym_open(sy, "fill", "0", 1);
    fill_layer(sy, (rgb){26, 152, 80}, 150, (rgb){26, 152, 80}, 0.2, "solid");
    g_string_append(sy, "      </symbol>\n");
    sym_open(sy, "fill", "1", 1);
    fill_layer(sy, (rgb){0, 0, 0}, 0, (rgb){0, 90, 50}, 0.5, "dash");
    g_string_append(sy, "      </symbol>\n");
    g_string_append_printf(g, "    </rules>\n    <symbols>\n%s    </symbols>\n  </renderer-v2>\n", sy->str);
    g_string_free(sy, TRUE);
}

/* Every point the same marker (candidates, proposed sites). */
static void r_single_marker(GString *g, const char *shape, rgb c, double size, rgb o, double ow)
{
    GString *l = g_string_new("");
    marker_layer(l, shape, c, size, o, ow);
    r_single(g, "marker", l);
    g_string_free(l, TRUE);
}

/* A marker whose size is in map units (one demand cell), never drawn smaller than @p min_mm. */
static void cell_layer(GString *g, rgb c, double size_m, double min_mm)
{
    g_string_append(g, "        <layer class=\"SimpleMarker\" enabled=\"1\" locked=\"0\" pass=\"0\">\n");
    prop(g, "name", "square");
    propf(g, "color", "%d,%d,%d,255", c.r, c.g, c.b);
    propf(g, "outline_color", "%d,%d,%d,0", c.r, c.g, c.b);
    prop(g, "outline_style", "no");
    prop(g, "outline_width", "0");
    propf(g, "size", "%.6g", size_m);
    prop(g, "size_unit", "MapUnit");
    propf(g, "size_map_unit_scale", "3x:0,0,1,%g,0,0", min_mm);
    prop(g, "scale_method", "diameter");
    g_string_append(g, "        </layer>\n");
}

/* Uncovered demand: no road access (grey) and unreachable (purple) apart, the rest graduated by
 * people. Raster demand is drawn as its cells (squares one cell wide in map units, at least
 * 0.6 mm), so that tens of thousands of cells read as a surface, not as merging symbols; villages
 * as circles sized by people. */
static void r_uncovered(GString *g, const rp_data *d, const char *lang)
{
    bool zh = lang && !strcmp(lang, "zh");
    bool cells = !d->points_demand && d->cell_m > 0;
    double maxp = 0;
    for (size_t i = 0; i < d->n_unc; i++) maxp = fmax(maxp, d->unc[i].pop);
    /* classes by decades of people per cell or village, up to the largest */
    double br[6] = {0};
    size_t nc = 0;
    for (double b = 10; nc < 4 && b < maxp; b *= 10) br[++nc] = b;
    br[++nc] = 1e12;
    static const rgb ramp[] = {{252, 146, 114}, {239, 59, 44}, {165, 15, 21}, {103, 0, 13}, {60, 0, 8}};
    static const double dot_mm[] = {1.6, 2.4, 3.4, 4.6, 5.6};
    GString *sy = g_string_new("");
    g_string_append(g, "  <renderer-v2 type=\"RuleRenderer\" symbollevels=\"0\" forceraster=\"0\" enableorderby=\"0\">\n    <rules key=\"{root}\">\n");
    /* the statuses of both models: the friction model's people stand on impassable cells or are cut
     * off by barriers (without these two a friction run's cells were in no rule and QGIS drew none) */
    struct {
        const char *status, *status_friction, *zh, *en, *zh_friction, *en_friction;
        rgb c;
    } fixed[] = {{"no_road_access", "impassable_cell", "无道路可达", "no road access", "位于不可通行地块", "on impassable cells", {130, 130, 130}},
                 {"unreachable", "barrier_enclosed", "路网不通", "unreachable by road", "被阻隔、无法到达", "cut off by barriers", {118, 42, 131}}};
    int sym = 0;
    for (size_t k = 0; k < 2; k++, sym++) {
        g_string_append_printf(g, "      <rule key=\"{u%d}\" symbol=\"%d\" label=\"%s\" filter=\"&quot;status&quot; IN ('%s', '%s')\"/>\n", sym, sym,
                               d->friction ? (zh ? fixed[k].zh_friction : fixed[k].en_friction) : (zh ? fixed[k].zh : fixed[k].en),
                               fixed[k].status, fixed[k].status_friction);
        char sn[32];
        snprintf(sn, sizeof(sn), "%d", sym);
        sym_open(sy, "marker", sn, cells ? 1 : 0.9);
        if (cells) cell_layer(sy, fixed[k].c, d->cell_m, 0.6);
        else marker_layer(sy, "circle", fixed[k].c, 2.2, (rgb){255, 255, 255}, 0.2);
        g_string_append(sy, "      </symbol>\n");
    }
    g_string_append_printf(g, "      <rule key=\"{ub}\" label=\"%s\" filter=\"&quot;status&quot; = 'beyond'\">\n", zh ? "超出时间阈值" : "beyond the threshold");
    for (size_t k = 0; k < nc; k++, sym++) {
        char lb[96];
        const char *unit = zh ? "人" : "people";
        if (k + 1 == nc) snprintf(lb, sizeof(lb), "≥ %g %s", br[k], unit);
        else snprintf(lb, sizeof(lb), "%g–%g %s", br[k], br[k + 1], unit);
        g_string_append_printf(g, "        <rule key=\"{u%d}\" symbol=\"%d\" label=\"%s\" filter=\"&quot;population&quot; &gt;= %g AND &quot;population&quot; &lt; %g\"/>\n",
                               sym, sym, lb, br[k], br[k + 1]);
        char sn[32];
        snprintf(sn, sizeof(sn), "%d", sym);
        sym_open(sy, "marker", sn, cells ? 1 : 0.9);
        if (cells) cell_layer(sy, ramp[k], d->cell_m, 0.6);
        else marker_layer(sy, "circle", ramp[k], dot_mm[k], (rgb){120, 20, 20}, 0.3);
        g_string_append(sy, "      </symbol>\n");
    }
    g_string_append(g, "      </rule>\n");
    g_string_append_printf(g, "    </rules>\n    <symbols>\n%s    </symbols>\n  </renderer-v2>\n", sy->str);
    g_string_free(sy, TRUE);
}

static void r_roads(GString *g, const char *lang)
{
    bool zh = lang && !strcmp(lang, "zh");
    struct {
        const char *label_zh, *label_en, *filter;
        rgb c;
        double w;
        const char *style;
    } rules[] = {
        {"封闭道路", "closed", "&quot;status&quot; = 'closed'", {203, 24, 29}, 1.2, "dash"},
        {"被替换道路", "replaced", "&quot;status&quot; = 'replaced'", {150, 150, 150}, 0.6, "dot"},
        {"新建或改造道路", "added or upgraded", "&quot;status&quot; = 'added'", {8, 81, 156}, 1.2, "solid"},
        {"主要道路", "main roads",
         "&quot;status&quot; = 'open' AND &quot;speed_kmh&quot; &gt; 0 AND &quot;class&quot; IN ('motorway','trunk','primary','secondary')",
         {80, 80, 80}, 0.8, "solid"},
        {"其他道路", "other roads", "&quot;status&quot; = 'open' AND &quot;speed_kmh&quot; &gt; 0 AND NOT (&quot;class&quot; IN ('motorway','trunk','primary','secondary'))",
         {150, 150, 150}, 0.25, "solid"},
    };
    GString *sy = g_string_new("");
    g_string_append(g, "  <renderer-v2 type=\"RuleRenderer\" symbollevels=\"0\" forceraster=\"0\" enableorderby=\"0\">\n    <rules key=\"{root}\">\n");
    for (size_t i = 0; i < sizeof(rules) / sizeof(rules[0]); i++) {
        g_string_append_printf(g, "      <rule key=\"{road%zu}\" symbol=\"%zu\" label=\"%s\" filter=\"%s\"/>\n", i, i,
                               zh ? rules[i].label_zh : rules[i].label_en, rules[i].filter);
        char sn[32];
        snprintf(sn, sizeof(sn), "%zu", i);
        sym_open(sy, "line", sn, 1);
        line_layer(sy, rules[i].c, rules[i].w, rules[i].style);
        g_string_append(sy, "      </symbol>\n");
    }
    g_string_append_printf(g, "    </rules>\n    <symbols>\n%s    </symbols>\n  </renderer-v2>\n", sy->str);
    g_string_free(sy, TRUE);
}

static const double share_breaks[] = {0, 0.5, 0.7, 0.85, 0.95, 1.0000001};
static const rgb share_rgb[] = {{215, 48, 39}, {252, 141, 89}, {254, 224, 139}, {145, 207, 96}, {26, 152, 80}};

/* @p field: a field name or a QGIS expression */
static void r_admin(GString *g, const char *field)
{
    GString *sy = g_string_new("");
    g_string_append(g, "  <renderer-v2 type=\"graduatedSymbol\" attr=\"");
    cc__xml_esc(g, field);
    g_string_append(g, "\" graduatedMethod=\"GraduatedColor\" symbollevels=\"0\" forceraster=\"0\" enableorderby=\"0\">\n    <ranges>\n");
    for (size_t i = 0; i < 5; i++) {
        g_string_append_printf(g, "      <range render=\"true\" symbol=\"%zu\" lower=\"%g\" upper=\"%g\" label=\"%g–%g %%\"/>\n", i, share_breaks[i],
                               share_breaks[i + 1], 100 * share_breaks[i], fmin(100.0, 100 * share_breaks[i + 1]));
        char sn[32];
        snprintf(sn, sizeof(sn), "%zu", i);
        sym_open(sy, "fill", sn, 1);
        fill_layer(sy, share_rgb[i], 110, (rgb){60, 60, 60}, 0.5, "solid"); /* semi-transparent: the bands show through */
        g_string_append(sy, "      </symbol>\n");
    }
    g_string_append_printf(g, "    </ranges>\n    <symbols>\n%s    </symbols>\n  </renderer-v2>\n", sy->str);
    g_string_free(sy, TRUE);
}

static void labeling(GString *g, const char *field)
{
    g_string_append(g, "  <labeling type=\"simple\">\n    <settings calloutType=\"simple\">\n");
    g_string_append_printf(g, "      <text-style fieldName=\"%s\" isExpression=\"0\" fontFamily=\"Noto Sans CJK SC\" fontSize=\"9\" "
                              "fontSizeUnit=\"Point\" textColor=\"30,30,30,255\" textOpacity=\"1\" fontWeight=\"50\">\n"
                              "        <text-buffer bufferDraw=\"1\" bufferSize=\"1\" bufferSizeUnits=\"MM\" bufferColor=\"255,255,255,255\" bufferOpacity=\"0.8\"/>\n"
                              "      </text-style>\n"
                              "      <placement placement=\"1\" priority=\"5\" offsetType=\"0\" dist=\"0\"/>\n"
                              "      <rendering obstacle=\"1\" scaleVisibility=\"0\" drawLabels=\"1\"/>\n",
                           field);
    g_string_append(g, "    </settings>\n  </labeling>\n");
}

/* The style body (renderer and labels) of one layer; NULL for layers without a style. */
static char *style_body(const rp_data *d, const rp_layer *L, const char *lang, bool *labels)
{
    GString *g = g_string_new("");
    *labels = false;
    char field[300];
    double mid = d->minutes[d->nb / 2];
    for (size_t b = 0; b < d->nb; b++)
        if (d->minutes[b] == 30) mid = 30;
    if (!strcmp(L->name, "isochrones") && d->is_site) r_site_isochrones(g, lang);
    else if (!strcmp(L->name, "isochrones")) r_isochrones(g, d, lang);
    else if (!strcmp(L->name, "existing_facilities")) r_facilities(g, d, lang, "tier");
    else if (!strcmp(L->name, "candidates")) r_single_marker(g, "circle", (rgb){150, 150, 150}, 1.2, (rgb){255, 255, 255}, 0.1);
    else if (!strcmp(L->name, "catchments")) r_single_outline(g, (rgb){90, 90, 90}, 0.3, "dash");
    else if (!strcmp(L->name, "facilities")) r_facilities(g, d, lang, "tier");
    else if (!strcmp(L->name, "demand_uncovered")) r_uncovered(g, d, lang);
    else if (!strcmp(L->name, "roads")) r_roads(g, lang);
    else if (!strcmp(L->name, "proposed_sites")) r_single_marker(g, "star", (rgb){255, 215, 0}, 7.0, (rgb){0, 0, 0}, 0.5);
    /* robust siting, a variant's folder: its own best sites, a blue disc drawn under the stars (a ring around a shared site) */
    else if (!strcmp(L->name, "own_optimum_sites")) r_single_marker(g, "circle", (rgb){0, 90, 200}, 9.0, (rgb){255, 255, 255}, 0.6);
    else if (!strcmp(L->name, "admin_areas")) {
        r_single_outline(g, (rgb){90, 60, 110}, 0.4, "dash dot");
        bool has_zh = false;
        for (size_t i = 0; i < d->n_adm; i++) has_zh |= d->adm[i].name_zh != NULL;
        labeling(g, lang && !strcmp(lang, "zh") && has_zh ? "name_zh" : "name");
        *labels = true;
    } else if (!strcmp(L->name, "coverage_by_admin")) {
        /* the share of the headline tiers (capable care) when the layer has it, as in the report */
        if (d->adm_head && d->head_retarget)
            snprintf(field, sizeof(field), "\"pop_le_%g_%s\" / \"population\"", mid, d->head_name[0]);
        else
            snprintf(field, sizeof(field), d->adm_head ? "head_share_le_%g" : "share_le_%g", mid);
        r_admin(g, field);
        bool has_zh = false;
        for (size_t i = 0; i < d->n_adm; i++) has_zh |= d->adm[i].name_zh != NULL;
        labeling(g, lang && !strcmp(lang, "zh") && has_zh ? "name_zh" : "name");
        *labels = true;
    } else {
        g_string_free(g, TRUE);
        return NULL;
    }
    g_string_append(g, "  <blendMode>0</blendMode>\n  <featureBlendMode>0</featureBlendMode>\n  <layerOpacity>1</layerOpacity>\n");
    return g_string_free(g, FALSE);
}

static char *qml_doc(const char *body, bool labels)
{
    return g_strdup_printf("<!DOCTYPE qgis PUBLIC 'http://mrcc.com/qgis.dtd' 'SYSTEM'>\n"
                           "<qgis version=\"%s\" styleCategories=\"AllStyleCategories\" labelsEnabled=\"%d\" hasScaleBasedVisibilityFlag=\"0\">\n%s</qgis>\n",
                           QGIS_VERSION, labels, body);
}

/* ---- layer_styles -------------------------------------------------------------------------------- */

cc_status cc__layer_styles_put(cc_ctx *ctx, const char *gpkg, const char *const *layers, const char *const *geom_cols,
                               const char *const *qml, size_t n)
{
    cc_status st = CC_OK;
    cc__gdal_init();
    cc__gdal_begin(ctx);
    GDALDatasetH ds = GDALOpenEx(gpkg, GDAL_OF_VECTOR | GDAL_OF_UPDATE, NULL, NULL, NULL);
    if (!ds) {
        cc__gdal_end(ctx);
        return cc__fail(ctx, CC_ERR_IO, "Unable to open '%s' to store layer styles: %s", gpkg, cc__gdal_msg(ctx));
    }
    OGRLayerH l = GDALDatasetGetLayerByName(ds, "layer_styles");
    if (!l) {
        const char *lco[] = {"DESCRIPTION=QGIS layer styles (QML), one default per layer", NULL};
        l = GDALDatasetCreateLayer(ds, "layer_styles", NULL, wkbNone, (char **)lco);
        static const struct {
            const char *name;
            OGRFieldType t;
            int width;
        } f[] = {{"f_table_catalog", OFTString, 256}, {"f_table_schema", OFTString, 256}, {"f_table_name", OFTString, 256},
                 {"f_geometry_column", OFTString, 256}, {"styleName", OFTString, 30},     {"styleQML", OFTString, 0},
                 {"styleSLD", OFTString, 0},          {"useAsDefault", OFTInteger, 0},   {"description", OFTString, 0},
                 {"owner", OFTString, 30},            {"ui", OFTString, 30},             {"update_time", OFTDateTime, 0}};
        for (size_t i = 0; l && i < sizeof(f) / sizeof(f[0]); i++) {
            OGRFieldDefnH fd = OGR_Fld_Create(f[i].name, f[i].t);
            if (f[i].width) OGR_Fld_SetWidth(fd, f[i].width);
            if (!strcmp(f[i].name, "useAsDefault")) OGR_Fld_SetSubType(fd, OFSTBoolean);
            if (OGR_L_CreateField(l, fd, TRUE) != OGRERR_NONE) l = NULL;
            OGR_Fld_Destroy(fd);
        }
        if (!l) st = cc__fail(ctx, CC_ERR_IO, "Unable to create table layer_styles in '%s': %s", gpkg, cc__gdal_msg(ctx));
    }
    if (!st) {
        GDALDatasetStartTransaction(ds, FALSE);
        for (size_t i = 0; i < n && !st; i++) {
            /* replace an earlier default of ours for this layer */
            char sql[512];
            snprintf(sql, sizeof(sql), "DELETE FROM layer_styles WHERE f_table_name = '%s' AND styleName = 'carecircle'", layers[i]);
            OGRLayerH r = GDALDatasetExecuteSQL(ds, sql, NULL, NULL);
            if (r) GDALDatasetReleaseResultSet(ds, r);
            OGRFeatureH ft = OGR_F_Create(OGR_L_GetLayerDefn(l));
            OGR_F_SetFieldString(ft, OGR_F_GetFieldIndex(ft, "f_table_catalog"), "");
            OGR_F_SetFieldString(ft, OGR_F_GetFieldIndex(ft, "f_table_schema"), "");
            OGR_F_SetFieldString(ft, OGR_F_GetFieldIndex(ft, "f_table_name"), layers[i]);
            OGR_F_SetFieldString(ft, OGR_F_GetFieldIndex(ft, "f_geometry_column"), geom_cols[i]);
            OGR_F_SetFieldString(ft, OGR_F_GetFieldIndex(ft, "styleName"), "carecircle");
            OGR_F_SetFieldString(ft, OGR_F_GetFieldIndex(ft, "styleQML"), qml[i]);
            OGR_F_SetFieldString(ft, OGR_F_GetFieldIndex(ft, "styleSLD"), "");
            OGR_F_SetFieldInteger(ft, OGR_F_GetFieldIndex(ft, "useAsDefault"), 1);
            OGR_F_SetFieldString(ft, OGR_F_GetFieldIndex(ft, "description"), "carecircle " CC_VERSION_STRING " default style");
            OGR_F_SetFieldString(ft, OGR_F_GetFieldIndex(ft, "owner"), "");
            OGR_F_SetFieldString(ft, OGR_F_GetFieldIndex(ft, "ui"), "");
            if (OGR_L_CreateFeature(l, ft) != OGRERR_NONE)
                st = cc__fail(ctx, CC_ERR_IO, "Unable to store the style of <%s> in '%s': %s", layers[i], gpkg, cc__gdal_msg(ctx));
            OGR_F_Destroy(ft);
        }
        if (!st && GDALDatasetCommitTransaction(ds) != OGRERR_NONE)
            st = cc__fail(ctx, CC_ERR_IO, "Unable to store layer styles in '%s': %s", gpkg, cc__gdal_msg(ctx));
    }
    cc__gdal_end(ctx);
    if (cc__gdal_close(ds) && !st) st = cc__fail(ctx, CC_ERR_IO, "Unable to finish '%s'", gpkg);
    return st;
}

static const char *primary_lang(const rp_data *d)
{
    return d->o->lang && !strncmp(d->o->lang, "en", 2) ? "en" : "zh";
}

static char *raster_body(const rp_data *d, const char *lang)
{
    GString *g = g_string_new("");
    double maxm = d->minutes[d->nb - 1];
    /* the headline's band (capable care, as on the map); band 1 (all facilities) when not found */
    g_string_append_printf(g, "  <pipe>\n    <rasterrenderer type=\"singlebandpseudocolor\" band=\"%d\" opacity=\"0.8\" alphaBand=\"-1\" "
                              "classificationMin=\"0\" classificationMax=\"%g\" nodataColor=\"\">\n"
                              "      <rastershader>\n        <colorrampshader colorRampType=\"DISCRETE\" classificationMode=\"1\" clip=\"0\" "
                              "minimumValue=\"0\" maximumValue=\"%g\">\n",
                           d->tif_head_band > 0 ? d->tif_head_band : 1, maxm, maxm);
    for (size_t b = 0; b < d->nb; b++) {
        rgb c = band_color(b, d->nb);
        g_string_append_printf(g, "          <item alpha=\"255\" value=\"%g\" label=\"%g–%g %s\" color=\"#%02x%02x%02x\"/>\n", d->minutes[b],
                               b ? d->minutes[b - 1] : 0.0, d->minutes[b], cc__tr(lang, "minutes"), c.r, c.g, c.b);
    }
    static const int beyond[3] = {CC__BEYOND_RGB};
    g_string_append_printf(g, "          <item alpha=\"255\" value=\"inf\" label=\"&gt; %g %s\" color=\"#%02x%02x%02x\"/>\n", maxm,
                           cc__tr(lang, "minutes"), beyond[0], beyond[1], beyond[2]);
    g_string_append(g, "        </colorrampshader>\n      </rastershader>\n    </rasterrenderer>\n"
                       "    <brightnesscontrast brightness=\"0\" contrast=\"0\" gamma=\"1\"/>\n"
                       "    <huesaturation saturation=\"0\" grayscaleMode=\"0\" colorizeOn=\"0\" colorizeStrength=\"100\" colorizeRed=\"255\" colorizeGreen=\"128\" colorizeBlue=\"128\"/>\n"
                       "    <rasterresampler maxOversampling=\"2\"/>\n  </pipe>\n  <blendMode>0</blendMode>\n");
    return g_string_free(g, FALSE);
}

cc_status cc__styles_write(cc_ctx *ctx, rp_data *d)
{
    const char *lang = primary_lang(d);
    const char **names = cc__calloc_array(d->n_layer, sizeof(char *)), **cols = cc__calloc_array(d->n_layer, sizeof(char *));
    char **qml = cc__calloc_array(d->n_layer, sizeof(char *));
    size_t n = 0;
    cc_status st = CC_OK;
    if (!names || !cols || !qml) st = cc__fail(ctx, CC_ERR_NOMEM, "Out of memory");
    for (size_t i = 0; i < d->n_layer && !st; i++) {
        bool labels;
        char *body = style_body(d, &d->layer[i], lang, &labels);
        if (!body) continue;
        names[n] = d->layer[i].name;
        cols[n] = d->layer[i].geom_col;
        qml[n++] = qml_doc(body, labels);
        g_free(body);
    }
    if (!st) st = cc__layer_styles_put(ctx, d->gpkg, names, cols, (const char *const *)qml, n);
    if (!st && d->have_tif) {
        char *body = raster_body(d, lang), *doc = qml_doc(body, false), path[4300];
        snprintf(path, sizeof(path), "%s/travel_time.qml", d->dir);
        st = cc__write_text(ctx, path, doc);
        g_free(body);
        g_free(doc);
    }
    for (size_t i = 0; qml && i < n; i++) g_free(qml[i]);
    free(names);
    free(cols);
    free(qml);
    return st;
}

/* ---- project ------------------------------------------------------------------------------------- */

/* A CRS as QGIS stores it. @p wkt NULL: the working CRS. */
static void srs_xml(GString *g, const rp_data *d, const char *wkt, const char *authid)
{
    if (!wkt) {
        wkt = d->crs_wkt;
        authid = d->crs_name;
    }
    g_string_append(g, "<spatialrefsys nativeFormat=\"Wkt\">\n  <wkt>");
    cc__xml_esc(g, wkt ? wkt : "");
    g_string_append(g, "</wkt>\n  <authid>");
    cc__xml_esc(g, authid ? authid : "");
    g_string_append(g, "</authid>\n  <description>");
    cc__xml_esc(g, authid ? authid : "");
    g_string_append(g, "</description>\n</spatialrefsys>\n");
}

/* Layer ids: QGIS replaces ids of 10 characters or fewer when it reads a project (they would not
 * be unique enough), and the layer tree would then point at nothing; "carecircle_" + the layer
 * name is longer than that and stays the same from run to run. */
static void layer_id(char *buf, size_t n, const char *name)
{
    snprintf(buf, n, "carecircle_%s", name);
}

static const char *geom_kind(OGRwkbGeometryType t)
{
    switch (t) {
    case wkbPoint:
    case wkbMultiPoint: return "Point";
    case wkbLineString:
    case wkbMultiLineString: return "Line";
    case wkbPolygon:
    case wkbMultiPolygon: return "Polygon";
    default: return "No geometry";
    }
}

static const char *const layer_order[] = {"proposed_sites", "own_optimum_sites", "facilities", "existing_facilities", "candidates", "demand_uncovered", "roads",
                                          "admin_areas", "coverage_by_admin", "catchments", "isochrones", NULL};

static const char *layer_title(const char *name, const char *lang)
{
    bool zh = !strcmp(lang, "zh");
    static const struct {
        const char *n, *zh, *en;
    } t[] = {{"proposed_sites", "建议新址", "Proposed sites"},
             {"own_optimum_sites", "本情景单独规划的最优新址", "This scenario's own best sites"},
             {"facilities", "医疗机构", "Facilities"},
             {"existing_facilities", "现有医疗机构", "Existing facilities"},
             {"candidates", "候选地点", "Candidate sites"},
             {"demand_uncovered", "未覆盖人口", "Uncovered population"},
             {"roads", "道路", "Roads"},
             {"coverage_by_admin", "乡镇覆盖率", "Coverage by township"},
             {"admin_areas", "乡镇边界", "Townships"},
             {"catchments", "服务范围", "Catchments"},
             {"isochrones", "行车时间圈", "Travel-time bands"},
             {"travel_time", "行车时间（栅格）", "Travel time (raster)"}};
    for (size_t i = 0; i < sizeof(t) / sizeof(t[0]); i++)
        if (!strcmp(t[i].n, name)) return zh ? t[i].zh : t[i].en;
    return name;
}

cc_status cc__project_write(cc_ctx *ctx, rp_data *d)
{
    const char *lang = primary_lang(d);
    GString *tree = g_string_new(""), *layers = g_string_new("");
    /* vector layers in drawing order (top first), then the other vector layers, then the raster */
    const rp_layer *ord[64];
    size_t no = 0;
    for (size_t k = 0; layer_order[k]; k++)
        for (size_t i = 0; i < d->n_layer && no < 64; i++)
            if (!strcmp(d->layer[i].name, layer_order[k])) ord[no++] = &d->layer[i];
    for (size_t i = 0; i < d->n_layer && no < 64; i++) {
        bool listed = false;
        for (size_t k = 0; layer_order[k]; k++) listed |= !strcmp(d->layer[i].name, layer_order[k]);
        if (!listed) ord[no++] = &d->layer[i];
    }
    for (size_t i = 0; i < no; i++) {
        const rp_layer *L = ord[i];
        bool labels = false;
        char *body = style_body(d, L, lang, &labels);
        bool visible = strcmp(L->name, "catchments") && strcmp(L->name, "coverage_by_admin") && strcmp(L->name, "candidates");
        const char *gp = strrchr(d->gpkg, '/') ? strrchr(d->gpkg, '/') + 1 : d->gpkg; /* coverage.gpkg or sites.gpkg */
        char id[96];
        layer_id(id, sizeof(id), L->name);
        g_string_append_printf(tree, "    <layer-tree-layer id=\"%s\" name=\"", id);
        cc__xml_esc(tree, layer_title(L->name, lang));
        g_string_append_printf(tree, "\" source=\"./%s|layername=%s\" providerKey=\"ogr\" checked=\"Qt::%s\" expanded=\"%d\">\n"
                                     "      <customproperties/>\n    </layer-tree-layer>\n",
                               gp, L->name, visible ? "Checked" : "Unchecked", visible);
        g_string_append_printf(layers, "  <maplayer type=\"vector\" geometry=\"%s\" labelsEnabled=\"%d\" autoRefreshEnabled=\"0\" "
                                       "readOnly=\"0\" hasScaleBasedVisibilityFlag=\"0\" styleCategories=\"AllStyleCategories\">\n",
                               geom_kind(L->type), labels);
        g_string_append_printf(layers, "    <id>%s</id>\n    <datasource>./%s|layername=%s</datasource>\n    <layername>", id, gp, L->name);
        cc__xml_esc(layers, layer_title(L->name, lang));
        g_string_append(layers, "</layername>\n    <srs>\n");
        srs_xml(layers, d, L->wkt, L->authid); /* the CRS the layer is stored in (proposed sites may be lon/lat) */
        g_string_append(layers, "    </srs>\n    <provider encoding=\"UTF-8\">ogr</provider>\n");
        if (body) g_string_append(layers, body);
        g_string_append(layers, "  </maplayer>\n");
        g_free(body);
    }
    if (d->have_tif) {
        char *body = raster_body(d, lang);
        char id[96], hb[300], title[400];
        layer_id(id, sizeof(id), "travel_time");
        /* the band shown, named: "到最近县医院的行车时间（栅格）" */
        if (d->n_head && d->tif_head_band > 0)
            snprintf(title, sizeof(title), !strcmp(lang, "zh") ? "到最近%s的行车时间（栅格）" : "Travel time to the nearest %s (raster)",
                     cc__head_label(d, lang, hb, sizeof(hb)));
        else
            snprintf(title, sizeof(title), "%s", layer_title("travel_time", lang));
        g_string_append_printf(tree, "    <layer-tree-layer id=\"%s\" name=\"", id);
        cc__xml_esc(tree, title);
        g_string_append(tree, "\" source=\"./travel_time.tif\" providerKey=\"gdal\" checked=\"Qt::Unchecked\" expanded=\"0\">\n"
                              "      <customproperties/>\n    </layer-tree-layer>\n");
        g_string_append_printf(layers, "  <maplayer type=\"raster\" autoRefreshEnabled=\"0\" hasScaleBasedVisibilityFlag=\"0\" styleCategories=\"AllStyleCategories\">\n"
                                       "    <id>%s</id>\n    <datasource>./travel_time.tif</datasource>\n    <layername>", id);
        cc__xml_esc(layers, title);
        g_string_append(layers, "</layername>\n    <srs>\n");
        srs_xml(layers, d, d->tif_wkt, d->tif_authid); /* the population grid's CRS (EPSG:4326 for WorldPop) */
        g_string_append(layers, "    </srs>\n    <provider>gdal</provider>\n");
        g_string_append(layers, body);
        g_string_append(layers, "  </maplayer>\n");
        g_free(body);
    }
    GString *g = g_string_new("");
    const char *title = !strcmp(lang, "zh") ? d->o->title_zh : d->o->title_en;
    g_string_append_printf(g, "<!DOCTYPE qgis PUBLIC 'http://mrcc.com/qgis.dtd' 'SYSTEM'>\n<qgis projectname=\"\" version=\"%s\">\n"
                              "  <homePath path=\"\"/>\n  <title>",
                           QGIS_VERSION);
    cc__xml_esc(g, title ? title : cc__tr(lang, "title"));
    g_string_append(g, "</title>\n  <projectCrs>\n");
    srs_xml(g, d, NULL, NULL);
    g_string_append_printf(g, "  </projectCrs>\n  <layer-tree-group>\n    <customproperties/>\n%s  </layer-tree-group>\n", tree->str);
    /* the view QGIS opens on: every layer (the project extent), 2 % margin */
    double dx = (d->px1 - d->px0) * 0.02, dy = (d->py1 - d->py0) * 0.02;
    double x0 = d->px0 - dx, y0 = d->py0 - dy, x1 = d->px1 + dx, y1 = d->py1 + dy;
    g_string_append_printf(g, "  <ProjectViewSettings UseProjectScales=\"0\" rotation=\"0\">\n    <Scales/>\n"
                              "    <DefaultViewExtent xmin=\"%.3f\" ymin=\"%.3f\" xmax=\"%.3f\" ymax=\"%.3f\">\n",
                           x0, y0, x1, y1);
    srs_xml(g, d, NULL, NULL);
    g_string_append(g, "    </DefaultViewExtent>\n  </ProjectViewSettings>\n");
    g_string_append_printf(g, "  <mapcanvas name=\"theMapCanvas\" annotationsVisible=\"1\">\n    <units>meters</units>\n    <extent>\n"
                              "      <xmin>%.3f</xmin>\n      <ymin>%.3f</ymin>\n      <xmax>%.3f</xmax>\n      <ymax>%.3f</ymax>\n    </extent>\n"
                              "    <rotation>0</rotation>\n    <destinationsrs>\n",
                           x0, y0, x1, y1);
    srs_xml(g, d, NULL, NULL);
    g_string_append_printf(g, "    </destinationsrs>\n  </mapcanvas>\n  <projectlayers>\n%s  </projectlayers>\n"
                              "  <properties>\n    <Paths>\n      <Absolute type=\"bool\">false</Absolute>\n    </Paths>\n"
                              "    <SpatialRefSys>\n      <ProjectionsEnabled type=\"int\">1</ProjectionsEnabled>\n    </SpatialRefSys>\n"
                              "  </properties>\n</qgis>\n",
                           layers->str);
    char path[4300];
    snprintf(path, sizeof(path), "%s/project.qgs", d->dir);
    cc_status st = cc__write_text(ctx, path, g->str);
    g_string_free(g, TRUE);
    g_string_free(tree, TRUE);
    g_string_free(layers, TRUE);
    return st;
}

/* ---- comparison layer (batches) ----------------------------------------------------------------- */

char *cc__qml_comparison(const char *field, const char *const *scenarios, size_t n)
{
    static const double br[] = {-1e18, -1000, -100, -0.5, 0.5, 100, 1000, 1e18};
    static const rgb col[] = {{178, 24, 43}, {239, 138, 98}, {253, 219, 199}, {247, 247, 247}, {209, 229, 240}, {103, 169, 207}, {33, 102, 172}};
    static const char *const lab[] = {"< -1000", "-1000 – -100", "-100 – 0", "0", "0 – 100", "100 – 1000", "> 1000"};
    GString *g = g_string_new(""), *sy = g_string_new("");
    int key = 0, sym = 0;
    g_string_append(g, "  <renderer-v2 type=\"RuleRenderer\" symbollevels=\"0\" forceraster=\"0\" enableorderby=\"0\">\n    <rules key=\"{root}\">\n");
    for (size_t s = 0; s < n; s++) {
        g_string_append_printf(g, "      <rule key=\"{c%d}\" checkstate=\"%d\" label=\"", key++, s == (n > 1 ? 1 : 0));
        cc__xml_esc(g, scenarios[s]);
        g_string_append(g, "\" filter=\"&quot;scenario&quot; = '");
        cc__xml_esc(g, scenarios[s]);
        g_string_append(g, "' AND &quot;admin_code&quot; IS NOT NULL\">\n");
        for (size_t i = 0; i < 7; i++) {
            g_string_append_printf(g, "        <rule key=\"{c%d}\" symbol=\"%d\" label=\"", key++, sym);
            cc__xml_esc(g, lab[i]); /* "< -1000": XML attributes take no bare '<' */
            g_string_append_printf(g, "\" filter=\"&quot;%s&quot; &gt;= %g AND &quot;%s&quot; &lt; %g\"/>\n", field, br[i], field, br[i + 1]);
            char sn[32];
            snprintf(sn, sizeof(sn), "%d", sym++);
            sym_open(sy, "fill", sn, 0.85);
            fill_layer(sy, col[i], 255, (rgb){70, 70, 70}, 0.3, "solid");
            g_string_append(sy, "      </symbol>\n");
        }
        g_string_append(g, "      </rule>\n");
    }
    g_string_append_printf(g, "    </rules>\n    <symbols>\n%s    </symbols>\n  </renderer-v2>\n", sy->str);
    g_string_free(sy, TRUE);
    char *doc = qml_doc(g->str, false);
    g_string_free(g, TRUE);
    return doc;
}
