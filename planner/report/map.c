/*
 * map.c - the map for officials: A4 landscape, drawn once with cairo (vector PDF and a 200 dpi
 * PNG from the same code) and pango (text, with Noto Sans CJK for Chinese). Travel-time bands,
 * township boundaries and names, roads (closed and added ones marked), uncovered villages,
 * facilities by tier, proposed sites, title, legend, scale bar, north arrow and a key-figures box.
 */
#include <errno.h>
#include <math.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cairo-pdf.h>
#include <cairo.h>
#include <pango/pangocairo.h>
#include <png.h>

#include "carecircle/cc_version.h"
#include "report_internal.h"

#define PAGE_W 842.0 /* A4 landscape, points */
#define PAGE_H 595.0
#define PNG_DPI 200.0
#define FONT "Noto Sans CJK SC"

typedef struct mapctx {
    cairo_t *cr;
    const rp_data *d;
    const char *lang;
    double fx, fy, fw, fh; /* map frame, points */
    double scale, ox, oy;  /* points per metre, data origin */
} mapctx;

static void page_xy(const mapctx *m, double x, double y, double *px, double *py)
{
    *px = m->fx + (x - m->ox) * m->scale;
    *py = m->fy + m->fh - (y - m->oy) * m->scale;
}

#define BEYOND_RGB CC__BEYOND_RGB
#define BEYOND_RGB_F 165 / 255.0, 15 / 255.0, 21 / 255.0 /* CC__BEYOND_RGB in 0..1 */

static void set_rgb(cairo_t *cr, int r, int g, int b, double a)
{
    cairo_set_source_rgba(cr, r / 255.0, g / 255.0, b / 255.0, a);
}

/* Fill the current path (in the source already set), then outline it in colour (r, g, b) at width w. */
static void fill_outline(cairo_t *cr, double r, double g, double b, double w)
{
    cairo_fill_preserve(cr);
    cairo_set_source_rgb(cr, r, g, b);
    cairo_set_line_width(cr, w);
    cairo_stroke(cr);
}

const char *cc__head_label(const rp_data *d, const char *lang, char *buf, size_t n)
{
    bool zh = !strcmp(lang, "zh");
    if (!d->n_head) {
        snprintf(buf, n, "%s", zh ? "任一医疗机构" : "any facility");
        return buf;
    }
    cc__tier_list_label(lang, d->head_name, d->n_head, buf, n);
    if (d->is_site) { /* the proposed sites join the fixed tiers */
        size_t l = strlen(buf);
        snprintf(buf + l, n - l, "%s", zh ? "或新址" : " or a new site");
    }
    return cc__utf8_whole(buf);
}

/* The data credits line: OpenStreetMap and WorldPop when the inputs look like them. */
static const char *credits(const rp_data *d, const char *lang, char *buf, size_t n)
{
    bool zh = !strcmp(lang, "zh"), osm = false, wp = false;
    json_object *in, *v;
    if (json_object_object_get_ex(d->summary, "inputs", &in)) {
        const char *r = json_object_object_get_ex(in, "roads", &v) ? json_object_get_string(v) : NULL;
        const char *p = json_object_object_get_ex(in, "population", &v) ? json_object_get_string(v) : NULL;
        osm = r && (g_str_has_suffix(r, ".pbf") || g_str_has_suffix(r, ".osm") || strstr(r, "osm") || strstr(r, "OSM"));
        if (p) {
            char *lp = g_ascii_strdown(p, -1);
            wp = strstr(lp, "worldpop") || strstr(lp, "_ppp_") || strstr(lp, "ppp_20");
            g_free(lp);
        }
    }
    if (!osm && !wp) {
        snprintf(buf, n, "%s", zh ? "数据：道路、人口、医疗机构均为用户提供" : "Data: roads, population, facilities as given");
        return buf;
    }
    snprintf(buf, n, "%s%s%s%s%s", zh ? "数据：" : "Data: ", osm ? (zh ? "道路 © OpenStreetMap 贡献者 (ODbL)" : "roads © OpenStreetMap contributors (ODbL)") : "",
             osm && wp ? "; " : "", wp ? (zh ? "人口 WorldPop (www.worldpop.org, CC BY 4.0)" : "population WorldPop (www.worldpop.org, CC BY 4.0)") : "",
             zh ? "；其余为用户提供" : "; the rest as given");
    return buf;
}

/* ---- geometry --------------------------------------------------------------------------------- */

static void path_points(const mapctx *m, OGRGeometryH g, bool close)
{
    int n = OGR_G_GetPointCount(g);
    double lx = 0, ly = 0;
    for (int i = 0; i < n; i++) {
        double px, py;
        page_xy(m, OGR_G_GetX(g, i), OGR_G_GetY(g, i), &px, &py);
        if (i == 0) {
            cairo_move_to(m->cr, px, py);
        } else if (i == n - 1 || fabs(px - lx) + fabs(py - ly) > 0.2) { /* drop sub-0.2 pt steps */
            cairo_line_to(m->cr, px, py);
        } else {
            continue;
        }
        lx = px;
        ly = py;
    }
    if (close && n) cairo_close_path(m->cr);
}

static void path_geom(const mapctx *m, OGRGeometryH g)
{
    if (!g) return;
    switch (wkbFlatten(OGR_G_GetGeometryType(g))) {
    case wkbLineString: path_points(m, g, false); break;
    case wkbPolygon:
        for (int i = 0; i < OGR_G_GetGeometryCount(g); i++) path_points(m, OGR_G_GetGeometryRef(g, i), true);
        break;
    case wkbMultiPolygon:
    case wkbMultiLineString:
    case wkbGeometryCollection:
        for (int i = 0; i < OGR_G_GetGeometryCount(g); i++) path_geom(m, OGR_G_GetGeometryRef(g, i));
        break;
    default: break;
    }
}

/* ---- text ----------------------------------------------------------------------------------------- */

typedef enum { MEASURE = -1, LEFT = 0, CENTER = 1, RIGHT = 2 } anchor;

/* Draw @p s with its top-left (or top-centre/right) at (x, y); returns the height used.
 * With a < 0 nothing is drawn (measure only). Wrapped at @p wrap_w (when > 0), each paragraph in
 * at most @p max_lines lines (when > 0), the last ending in an ellipsis: user text (tier names,
 * scenario names) can be of any length, and the page's boxes are not. */
static double text_n(cairo_t *cr, double x, double y, const char *s, double size, bool bold, int r, int g, int b, anchor a,
                     bool halo, double wrap_w, int max_lines)
{
    bool draw = (int)a >= 0;
    PangoLayout *l = pango_cairo_create_layout(cr);
    PangoFontDescription *fd = pango_font_description_from_string(FONT);
    pango_font_description_set_absolute_size(fd, size * PANGO_SCALE);
    pango_font_description_set_weight(fd, bold ? PANGO_WEIGHT_BOLD : PANGO_WEIGHT_NORMAL);
    pango_layout_set_font_description(l, fd);
    if (wrap_w > 0) {
        pango_layout_set_width(l, (int)(wrap_w * PANGO_SCALE));
        pango_layout_set_wrap(l, PANGO_WRAP_WORD_CHAR);
        if (max_lines > 0) {
            pango_layout_set_height(l, -max_lines);
            pango_layout_set_ellipsize(l, PANGO_ELLIPSIZE_END);
        }
    }
    pango_layout_set_text(l, s, -1);
    PangoRectangle ink, log;
    pango_layout_get_extents(l, &ink, &log);
    double w = log.width / (double)PANGO_SCALE, h = log.height / (double)PANGO_SCALE;
    double x0 = a == LEFT ? x : a == CENTER ? x - w / 2 : x - w;
    if (!draw) {
        pango_font_description_free(fd);
        g_object_unref(l);
        return h;
    }
    if (halo) {
        cairo_move_to(cr, x0, y);
        pango_cairo_layout_path(cr, l);
        cairo_set_source_rgba(cr, 1, 1, 1, 0.85);
        cairo_set_line_width(cr, size * 0.28);
        cairo_set_line_join(cr, CAIRO_LINE_JOIN_ROUND);
        cairo_stroke(cr);
    }
    cairo_move_to(cr, x0, y);
    set_rgb(cr, r, g, b, 1);
    pango_cairo_show_layout(cr, l);
    pango_font_description_free(fd);
    g_object_unref(l);
    return h;
}

/* text_n with at most 2 lines a paragraph (legend entries). */
static double text(cairo_t *cr, double x, double y, const char *s, double size, bool bold, int r, int g, int b, anchor a,
                   bool halo, double wrap_w)
{
    return text_n(cr, x, y, s, size, bold, r, g, b, a, halo, wrap_w, 2);
}

static void measure(cairo_t *cr, const char *s, double size, bool bold, double *w, double *h)
{
    PangoLayout *l = pango_cairo_create_layout(cr);
    PangoFontDescription *fd = pango_font_description_from_string(FONT);
    pango_font_description_set_absolute_size(fd, size * PANGO_SCALE);
    pango_font_description_set_weight(fd, bold ? PANGO_WEIGHT_BOLD : PANGO_WEIGHT_NORMAL);
    pango_layout_set_font_description(l, fd);
    pango_layout_set_text(l, s, -1);
    PangoRectangle log;
    pango_layout_get_extents(l, NULL, &log);
    *w = log.width / (double)PANGO_SCALE;
    *h = log.height / (double)PANGO_SCALE;
    pango_font_description_free(fd);
    g_object_unref(l);
}

/* Boxes already taken on the page (labels, the main symbols, the scale bar and north arrow):
 * a label that would overlap one, or leave the frame, is moved or dropped. */
typedef struct boxes {
    double b[512][4]; /* x0, y0, x1, y1 */
    size_t n;
} boxes;

static void box_add(boxes *bx, double x0, double y0, double x1, double y1)
{
    if (bx->n < 512) {
        bx->b[bx->n][0] = x0;
        bx->b[bx->n][1] = y0;
        bx->b[bx->n][2] = x1;
        bx->b[bx->n][3] = y1;
        bx->n++;
    }
}

static bool box_free(const boxes *bx, const mapctx *m, double x0, double y0, double x1, double y1)
{
    if (x0 < m->fx + 2 || y0 < m->fy + 2 || x1 > m->fx + m->fw - 2 || y1 > m->fy + m->fh - 2) return false;
    for (size_t i = 0; i < bx->n; i++)
        if (x0 < bx->b[i][2] && x1 > bx->b[i][0] && y0 < bx->b[i][3] && y1 > bx->b[i][1]) return false;
    return true;
}

/* ---- symbols -------------------------------------------------------------------------------------- */

static const int tier_col[][3] = {{178, 24, 43}, {33, 102, 172}, {118, 42, 131}, {64, 64, 64},
                                  {230, 97, 1},  {1, 133, 113},  {140, 81, 10},  {77, 146, 33}};

static void tier_symbol(cairo_t *cr, int cls, double x, double y)
{
    int k = cls < 8 ? cls : 4;
    const int *c = tier_col[k];
    cairo_new_path(cr);
    switch (k) {
    case 0: cairo_rectangle(cr, x - 4, y - 4, 8, 8); break;
    case 1:
        cairo_move_to(cr, x, y - 5);
        cairo_line_to(cr, x + 4.6, y + 3.3);
        cairo_line_to(cr, x - 4.6, y + 3.3);
        cairo_close_path(cr);
        break;
    case 2: cairo_arc(cr, x, y, 3.3, 0, 2 * M_PI); break;
    case 3: cairo_arc(cr, x, y, 2.0, 0, 2 * M_PI); break;
    default:
        cairo_move_to(cr, x, y - 4);
        cairo_line_to(cr, x + 4, y);
        cairo_line_to(cr, x, y + 4);
        cairo_line_to(cr, x - 4, y);
        cairo_close_path(cr);
    }
    set_rgb(cr, c[0], c[1], c[2], 1);
    fill_outline(cr, 1, 1, 1, k == 3 ? 0.5 : 0.8);
    if (k == 0) { /* white cross */
        cairo_set_line_width(cr, 1.6);
        cairo_move_to(cr, x - 2.6, y);
        cairo_line_to(cr, x + 2.6, y);
        cairo_move_to(cr, x, y - 2.6);
        cairo_line_to(cr, x, y + 2.6);
        cairo_stroke(cr);
    }
}

static void star(cairo_t *cr, double x, double y, double R)
{
    cairo_new_path(cr);
    for (int i = 0; i < 10; i++) {
        double a = -M_PI / 2 + i * M_PI / 5, r = i % 2 ? R * 0.42 : R;
        if (i == 0)
            cairo_move_to(cr, x + r * cos(a), y + r * sin(a));
        else
            cairo_line_to(cr, x + r * cos(a), y + r * sin(a));
    }
    cairo_close_path(cr);
    cairo_set_source_rgb(cr, 1.0, 0.84, 0.0);
    fill_outline(cr, 0, 0, 0, 0.9);
}

static bool is_main(const char *cls)
{
    return cls && (!strcmp(cls, "motorway") || !strcmp(cls, "trunk") || !strcmp(cls, "primary") || !strcmp(cls, "secondary"));
}

/* A township boundary, on the map and in its legend: purple dash-dot. */
static void stroke_admin(cairo_t *cr)
{
    set_rgb(cr, 90, 60, 110, 0.9);
    cairo_set_line_width(cr, 0.9);
    double dash[] = {5, 2, 1, 2};
    cairo_set_dash(cr, dash, 4, 0);
    cairo_stroke(cr);
    cairo_set_dash(cr, NULL, 0, 0);
}

static void road_style(cairo_t *cr, const rp_road *r, int pass)
{
    (void)pass;
    cairo_set_dash(cr, NULL, 0, 0);
    if (r->status && !strcmp(r->status, "closed")) {
        set_rgb(cr, 203, 24, 29, 1);
        cairo_set_line_width(cr, 2.2);
        double dash[] = {4, 2.5};
        cairo_set_dash(cr, dash, 2, 0);
    } else if (r->status && !strcmp(r->status, "added")) {
        set_rgb(cr, 8, 81, 156, 1);
        cairo_set_line_width(cr, 2.0);
    } else if (r->status && !strcmp(r->status, "replaced")) {
        set_rgb(cr, 120, 120, 120, 1);
        cairo_set_line_width(cr, 0.8);
        double dash[] = {1, 1.5};
        cairo_set_dash(cr, dash, 2, 0);
    } else if (is_main(r->cls)) {
        set_rgb(cr, 55, 55, 55, 0.95);
        cairo_set_line_width(cr, 1.3);
    } else {
        set_rgb(cr, 95, 95, 95, 0.75);
        cairo_set_line_width(cr, 0.5);
    }
}

static int road_pass(const rp_road *r)
{
    if (r->status && strcmp(r->status, "open")) return 2;
    return is_main(r->cls) ? 1 : 0;
}

/* ---- the map ------------------------------------------------------------------------------------ */

static double nice_length(double max_m)
{
    double p = pow(10, floor(log10(max_m)));
    for (int i = 2; i >= 0; i--) {
        static const double f[] = {1, 2, 5};
        if (f[i] * p <= max_m) return f[i] * p;
    }
    return p;
}

static void scale_bar(const mapctx *m)
{
    cairo_t *cr = m->cr;
    double L = nice_length(120.0 / m->scale), w = L * m->scale;
    double x = m->fx + 14, y = m->fy + m->fh - 26;
    bool km = L >= 1000;
    char lab[64];
    snprintf(lab, sizeof(lab), "%g %s", km ? L / 1000 : L, cc__tr(m->lang, km ? "km" : "m"));
    cairo_set_source_rgba(cr, 1, 1, 1, 0.8);
    cairo_rectangle(cr, x - 8, y - 16, w + 34, 30);
    cairo_fill(cr);
    for (int i = 0; i < 4; i++) {
        cairo_rectangle(cr, x + i * w / 4, y, w / 4, 4);
        if (i % 2)
            cairo_set_source_rgb(cr, 1, 1, 1);
        else
            cairo_set_source_rgb(cr, 0.15, 0.15, 0.15);
        fill_outline(cr, 0.15, 0.15, 0.15, 0.5);
    }
    text(cr, x, y - 12, "0", 7, false, 40, 40, 40, CENTER, false, 0);
    text(cr, x + w, y - 12, lab, 7, false, 40, 40, 40, CENTER, false, 0);
}

static void north_arrow(const mapctx *m)
{
    cairo_t *cr = m->cr;
    double x = m->fx + m->fw - 26, y = m->fy + 34;
    cairo_new_path(cr);
    cairo_move_to(cr, x, y - 14);
    cairo_line_to(cr, x + 6, y + 6);
    cairo_line_to(cr, x, y + 2);
    cairo_close_path(cr);
    cairo_set_source_rgb(cr, 0.15, 0.15, 0.15);
    cairo_fill(cr);
    cairo_move_to(cr, x, y - 14);
    cairo_line_to(cr, x - 6, y + 6);
    cairo_line_to(cr, x, y + 2);
    cairo_close_path(cr);
    cairo_set_source_rgb(cr, 1, 1, 1);
    fill_outline(cr, 0.15, 0.15, 0.15, 0.7);
    text(cr, x, y - 28, cc__tr(m->lang, "north"), 9, true, 30, 30, 30, CENTER, true, 0);
}

/* Cells in reading order (rows top-down, then west to east), for merging runs. */
static int dot_row_order(const void *a, const void *b)
{
    const rp_dot *p = *(const rp_dot *const *)a, *q = *(const rp_dot *const *)b;
    if (p->y != q->y) return p->y < q->y ? 1 : -1;
    return (p->x > q->x) - (p->x < q->x);
}

static int u64_order(const void *a, const void *b)
{
    uint64_t p = *(const uint64_t *)a, q = *(const uint64_t *)b;
    return (p > q) - (p < q);
}

/* Cells smaller on the page than the square drawn for each (0.9 pt, so that one cell stays visible):
 * the squares overlap, and what shows is which bins of half a square hold a cell. One square per
 * bin, bins side by side on a bin row as one rectangle; a square moves by at most a quarter of its
 * side (0.23 pt, 0.6 pixel of the PNG). Comoros' 74,000 cells with no road access (WorldPop cells
 * turned to UTM, so no two on one row) were 74,000 overlapping squares, most of the PDF's time. */
static bool path_binned_cells(mapctx *m, const rp_dot *const *o, size_t n, double cw, double ch)
{
    double q = fmin(cw, ch) / 2;
    uint64_t *key = malloc(n * sizeof(*key));
    if (!key) return false;
    for (size_t i = 0; i < n; i++) {
        double px, py;
        page_xy(m, o[i]->x, o[i]->y, &px, &py);
        /* the page is 842 x 595 pt: bins fit 31 bits each way with room for cells off the page */
        uint64_t bx = (uint64_t)(int64_t)fmin(fmax(floor(px / q) + 1e9, 0), 2e9), by = (uint64_t)(int64_t)fmin(fmax(floor(py / q) + 1e9, 0), 2e9);
        key[i] = by << 32 | bx;
    }
    qsort(key, n, sizeof(*key), u64_order);
    for (size_t i = 0, j; i < n; i = j) {
        /* the run: bins of one bin row, each next to the last (repeats are the same bin) */
        for (j = i + 1; j < n && key[j] - key[j - 1] <= 1; j++) ;
        double x0 = ((double)(key[i] & 0xffffffffu) - 1e9 + 0.5) * q, x1 = ((double)(key[j - 1] & 0xffffffffu) - 1e9 + 0.5) * q;
        double y = ((double)(key[i] >> 32) - 1e9 + 0.5) * q;
        cairo_rectangle(m->cr, x0 - cw / 2, y - ch / 2, x1 - x0 + cw, ch);
    }
    free(key);
    return true;
}

/* The demand cells of one class (rp_dot kind) as one path filled once (nonzero), so that
 * neighbours leave no seams. Cells at least 0.9 pt on the page are drawn as they are, cells side by
 * side on one row as one rectangle (the union of their squares: the same area filled); smaller cells
 * by bins (path_binned_cells). */
static void fill_cells(mapctx *m, int kind, int r, int g, int b)
{
    cairo_t *cr = m->cr;
    const rp_data *d = m->d;
    double cw = fmax(d->cell_w * m->scale, 0.9), ch = fmax(d->cell_h * m->scale, 0.9);
    size_t n = 0;
    for (size_t i = 0; i < d->n_dot; i++) n += d->dot[i].kind == kind;
    if (!n) return;
    const rp_dot **o = malloc(n * sizeof(*o));
    size_t k = 0;
    for (size_t i = 0; o && i < d->n_dot; i++)
        if (d->dot[i].kind == kind) o[k++] = &d->dot[i];
    cairo_save(cr);
    cairo_set_fill_rule(cr, CAIRO_FILL_RULE_WINDING);
    cairo_new_path(cr);
    bool binned = o && (d->cell_w * m->scale < 0.9 || d->cell_h * m->scale < 0.9) && path_binned_cells(m, o, n, cw, ch);
    if (o && !binned) qsort(o, n, sizeof(*o), dot_row_order); /* out of memory: one rectangle per cell, as read */
    for (size_t i = 0, j = 0; !binned && i < d->n_dot; i = j) {
        const rp_dot *first;
        if (o) {
            if (i >= n) break;
            first = o[i];
        } else if ((first = &d->dot[i])->kind != kind) {
            j = i + 1;
            continue;
        }
        /* the run: the next cells of the same row, each one cell to the east of the last */
        const rp_dot *last = first;
        for (j = i + 1; o && j < n && o[j]->y == first->y && fabs(o[j]->x - last->x - d->cell_w) < 1e-6 * d->cell_w; j++) last = o[j];
        double px0, py, px1, py1;
        page_xy(m, first->x, first->y, &px0, &py);
        page_xy(m, last->x, last->y, &px1, &py1);
        cairo_rectangle(cr, px0 - cw / 2, py - ch / 2, px1 - px0 + cw, ch);
    }
    set_rgb(cr, r, g, b, 1);
    cairo_fill(cr);
    cairo_new_path(cr);
    cairo_restore(cr);
    free(o);
}

/* The area studied (townships, grey: beyond every band) and the travel-time bands. */
static void draw_areas(mapctx *m)
{
    cairo_t *cr = m->cr;
    const rp_data *d = m->d;
    /* the area studied (townships): grey = beyond every band */
    for (size_t i = 0; i < d->n_adm; i++) {
        cairo_new_path(cr);
        path_geom(m, d->adm[i].geom);
        set_rgb(cr, 222, 222, 222, 1);
        cairo_fill(cr);
    }
    /* travel-time bands, far first; a siting folder: the area within T with the new sites (light),
     * today's area over it (dark), so that the gain shows */
    if (d->is_site) {
        static const int sc[2][3] = {{145, 207, 96}, {26, 152, 80}};
        for (int b = 0; b < 2; b++) {
            if (!d->band[b].geom) continue;
            cairo_new_path(cr);
            path_geom(m, d->band[b].geom);
            set_rgb(cr, sc[b][0], sc[b][1], sc[b][2], 0.9);
            cairo_fill(cr);
        }
    }
    for (size_t b = d->nb; !d->is_site && b-- > 0;) {
        if (!d->band[b].geom) continue;
        double c[3];
        cc__band_rgb(b, d->nb, c);
        cairo_new_path(cr);
        path_geom(m, d->band[b].geom);
        cairo_set_source_rgba(cr, c[0], c[1], c[2], 0.9);
        cairo_fill(cr);
    }
    /* people beyond the last band, under the roads (cells read from travel_time.tif) */
    if (d->cell_w > 0 && d->cell_h > 0 && !d->points_demand) fill_cells(m, 3, BEYOND_RGB);
}

/* Roads (minor, main, then scenario edits on top) and township boundaries. */
static void draw_roads(mapctx *m)
{
    cairo_t *cr = m->cr;
    const rp_data *d = m->d;
    /* roads: minor, main, then scenario edits on top */
    cairo_set_line_cap(cr, CAIRO_LINE_CAP_ROUND);
    cairo_set_line_join(cr, CAIRO_LINE_JOIN_ROUND);
    for (int pass = 0; pass < 3; pass++)
        for (size_t i = 0; i < d->n_road; i++) {
            if (road_pass(&d->road[i]) != pass) continue;
            cairo_new_path(cr);
            path_geom(m, d->road[i].geom);
            road_style(cr, &d->road[i], pass);
            cairo_stroke(cr);
        }
    cairo_set_dash(cr, NULL, 0, 0);
    /* township boundaries */
    for (size_t i = 0; i < d->n_adm; i++) {
        cairo_new_path(cr);
        path_geom(m, d->adm[i].geom);
        stroke_admin(cr);
    }
}

/* Uncovered demand. */
static void draw_uncovered(mapctx *m)
{
    cairo_t *cr = m->cr;
    const rp_data *d = m->d;
    /* uncovered demand: villages beyond the threshold (red rings, the 30 largest), and every
     * point or cell with no road access (grey) or on roads that reach no facility (purple) */
    if (d->points_demand)
        for (size_t i = 0; i < d->n_unc && i < 30; i++) {
            if (d->unc[i].status && strcmp(d->unc[i].status, "beyond")) continue;
            double px, py;
            page_xy(m, d->unc[i].x, d->unc[i].y, &px, &py);
            cairo_new_path(cr);
            cairo_arc(cr, px, py, 2.6, 0, 2 * M_PI);
            set_rgb(cr, 215, 48, 39, 1);
            cairo_set_line_width(cr, 1.0);
            cairo_stroke(cr);
        }
    if (d->cell_w > 0 && d->cell_h > 0 && !d->points_demand) {
        fill_cells(m, 1, 120, 120, 120); /* no road access */
        fill_cells(m, 2, 118, 42, 131);  /* unreachable */
    } else {
        for (size_t i = 0; i < d->n_dot; i++) {
            if (!d->dot[i].kind || d->dot[i].kind == 3) continue;
            double px, py;
            page_xy(m, d->dot[i].x, d->dot[i].y, &px, &py);
            cairo_new_path(cr);
            cairo_rectangle(cr, px - 3, py - 3, 6, 6); /* a village: a square, unlike the round clinics */
            if (d->dot[i].kind == 1) set_rgb(cr, 120, 120, 120, 1);
            else set_rgb(cr, 118, 42, 131, 1);
            fill_outline(cr, 1, 1, 1, 0.6);
        }
    }
}

/* What labels keep clear of; NULL when out of memory (no labels then). */
static boxes *label_obstacles(mapctx *m)
{
    const rp_data *d = m->d;
    /* labels avoid each other, the main facility symbols, the proposed sites, the scale bar and
     * the north arrow, and stay inside the frame; a label that fits nowhere is dropped */
    boxes *bx = calloc(1, sizeof(boxes));
    if (!bx) return NULL;
    box_add(bx, m->fx + 4, m->fy + m->fh - 44, m->fx + 180, m->fy + m->fh); /* scale bar (widest) */
    box_add(bx, m->fx + m->fw - 40, m->fy, m->fx + m->fw, m->fy + 48);      /* north arrow */
    for (size_t f = 0; f < d->n_fac; f++) {
        if (!d->fac[f].tier || cc__tier_class(d->fac[f].tier, 0) > 2 || !d->fac[f].snapped) continue;
        double fx, fy;
        page_xy(m, d->fac[f].x, d->fac[f].y, &fx, &fy);
        box_add(bx, fx - 5, fy - 5, fx + 5, fy + 5);
    }
    for (size_t i = 0; i < d->n_site; i++) {
        double px, py;
        page_xy(m, d->site[i].x, d->site[i].y, &px, &py);
        box_add(bx, px - 8, py - 8, px + 8, py + 8);
    }
    return bx;
}

static void label_townships(mapctx *m, boxes *bx)
{
    cairo_t *cr = m->cr;
    const rp_data *d = m->d;
    bool zh = !strcmp(m->lang, "zh");
    /* township names, at a point inside the township: there, below, above or beside it */
    for (size_t i = 0; bx && i < d->n_adm; i++) {
        const char *nm = zh && d->adm[i].name_zh && *d->adm[i].name_zh ? d->adm[i].name_zh : d->adm[i].name;
        if (!nm || !d->adm[i].geom) continue;
        double px, py, tw, th;
        page_xy(m, d->adm[i].lx, d->adm[i].ly, &px, &py);
        measure(cr, nm, 9.5, true, &tw, &th);
        static const double off[][2] = {{0, -6}, {0, 8}, {0, -22}, {0, 22}, {40, -6}, {-40, -6}};
        for (size_t o = 0; o < sizeof(off) / sizeof(off[0]); o++) {
            double cx = px + off[o][0], cy = py + off[o][1];
            if (!box_free(bx, m, cx - tw / 2, cy, cx + tw / 2, cy + th)) continue;
            text(cr, cx, cy, nm, 9.5, true, 60, 40, 80, CENTER, true, 0);
            box_add(bx, cx - tw / 2, cy, cx + tw / 2, cy + th);
            break;
        }
    }
}

static void draw_facilities(mapctx *m)
{
    cairo_t *cr = m->cr;
    const rp_data *d = m->d;
    /* facilities: lower tiers first so that hospitals stay visible */
    for (int cls = 7; cls >= 0; cls--)
        for (size_t i = 0; i < d->n_fac; i++) {
            size_t k = 0;
            while (k < d->n_tiers && (!d->fac[i].tier || strcmp(d->tier_name[k], d->fac[i].tier))) k++;
            int c = d->fac[i].tier ? cc__tier_class(d->fac[i].tier, k) : 7;
            if ((c < 8 ? c : 4) != cls) continue;
            double px, py;
            page_xy(m, d->fac[i].x, d->fac[i].y, &px, &py);
            tier_symbol(cr, c, px, py);
        }
}

static void label_facilities(mapctx *m, boxes *bx)
{
    cairo_t *cr = m->cr;
    const rp_data *d = m->d;
    bool zh = !strcmp(m->lang, "zh");
    /* names of hospitals, then 120 stations (at most 12): right, left, above or below the symbol */
    for (int cls = 0; bx && cls <= 1; cls++)
        for (size_t i = 0, shown = 0; i < d->n_fac && shown < 12; i++) {
            if (!d->fac[i].tier || cc__tier_class(d->fac[i].tier, 0) != cls || !d->fac[i].snapped) continue;
            const char *nm = zh && d->fac[i].name_zh && *d->fac[i].name_zh ? d->fac[i].name_zh : d->fac[i].name;
            if (!nm) continue;
            double px, py, tw, th;
            page_xy(m, d->fac[i].x, d->fac[i].y, &px, &py);
            measure(cr, nm, 7, false, &tw, &th);
            const double pos[][2] = {{px + 6, py - th / 2}, {px - 6 - tw, py - th / 2}, {px + 5, py - 4 - th}, {px + 5, py + 4},
                                     {px - 5 - tw, py - 4 - th}, {px - 5 - tw, py + 4}, {px - tw / 2, py - 6 - th}, {px - tw / 2, py + 6}};
            for (size_t o = 0; o < sizeof(pos) / sizeof(pos[0]); o++) {
                double x0 = pos[o][0], y0 = pos[o][1];
                if (!box_free(bx, m, x0, y0, x0 + tw, y0 + th)) continue;
                text(cr, x0, y0, nm, 7, false, 40, 20, 20, LEFT, true, 0);
                box_add(bx, x0, y0, x0 + tw, y0 + th);
                shown++;
                break;
            }
        }
}

/* The proposed sites: stars numbered P1, P2, ... */
static void draw_sites(mapctx *m)
{
    cairo_t *cr = m->cr;
    const rp_data *d = m->d;
    for (size_t i = 0; i < d->n_site; i++) {
        double px, py;
        page_xy(m, d->site[i].x, d->site[i].y, &px, &py);
        star(cr, px, py, 8);
        char lb[32];
        snprintf(lb, sizeof(lb), "P%zu", i + 1);
        text(cr, px + 8, py - 14, lb, 8, true, 0, 0, 0, LEFT, true, 0);
    }
}

/* Robust siting, a variant's map: the sites this variant would get on its own, blue rings numbered
 * O1, O2, ..., drawn under the stars (a ring around a star: the robust set has that site too; an own
 * site next to a robust one never cuts its star). */
static void own_ring(cairo_t *cr, double x, double y, double R)
{
    cairo_new_path(cr);
    cairo_arc(cr, x, y, R, 0, 2 * M_PI);
    set_rgb(cr, 255, 255, 255, 1);
    cairo_set_line_width(cr, 4.2);
    cairo_stroke_preserve(cr);
    set_rgb(cr, 0, 90, 200, 1);
    cairo_set_line_width(cr, 2.2);
    cairo_stroke(cr);
}

static void draw_own_sites(mapctx *m)
{
    const rp_data *d = m->d;
    for (size_t i = 0; i < d->n_own; i++) {
        double px, py;
        page_xy(m, d->own[i].x, d->own[i].y, &px, &py);
        own_ring(m->cr, px, py, 11);
        char lb[32];
        snprintf(lb, sizeof(lb), "O%zu", i + 1);
        text(m->cr, px, py + 12, lb, 8, true, 0, 90, 200, CENTER, true, 0);
    }
}

static void draw_frame_content(mapctx *m)
{
    cairo_t *cr = m->cr;
    cairo_save(cr);
    cairo_rectangle(cr, m->fx, m->fy, m->fw, m->fh);
    cairo_clip(cr);
    cairo_set_source_rgb(cr, 0.97, 0.98, 0.99);
    cairo_paint(cr);
    cairo_set_fill_rule(cr, CAIRO_FILL_RULE_EVEN_ODD);
    draw_areas(m);
    draw_roads(m);
    draw_uncovered(m);
    boxes *bx = label_obstacles(m);
    label_townships(m, bx);
    draw_facilities(m);
    label_facilities(m, bx);
    free(bx);
    draw_own_sites(m); /* under the stars */
    draw_sites(m);
    scale_bar(m);
    north_arrow(m);
    cairo_restore(cr);
    cairo_rectangle(cr, m->fx, m->fy, m->fw, m->fh);
    cairo_set_source_rgb(cr, 0.3, 0.3, 0.3);
    cairo_set_line_width(cr, 0.8);
    cairo_stroke(cr);
}

static double legend_swatch(cairo_t *cr, double x, double y, double r, double g, double b, const char *label)
{
    cairo_rectangle(cr, x, y + 1.5, 18, 10);
    cairo_set_source_rgb(cr, r, g, b);
    fill_outline(cr, 0.5, 0.5, 0.5, 0.4);
    double h = text(cr, x + 24, y, label, 8.5, false, 30, 30, 30, LEFT, false, 170);
    return fmax(h, 13) + 2;
}

static double legend_line(mapctx *m, double x, double y, const rp_road *proto, const char *label)
{
    cairo_t *cr = m->cr;
    cairo_new_path(cr);
    cairo_move_to(cr, x, y + 6.5);
    cairo_line_to(cr, x + 18, y + 6.5);
    road_style(cr, proto, 0);
    cairo_stroke(cr);
    cairo_set_dash(cr, NULL, 0, 0);
    return fmax(text(cr, x + 24, y, label, 8.5, false, 30, 30, 30, LEFT, false, 170), 13) + 2;
}

static double heading(cairo_t *cr, double x, double y, const char *s)
{
    return text_n(cr, x, y, s, 9.5, true, 20, 20, 20, LEFT, false, 200, 3) + 4;
}

/* The legend's travel-time bands and who is left out; returns y below them. */
static double legend_bands(mapctx *m, double x, double y, const char *hl)
{
    cairo_t *cr = m->cr;
    const rp_data *d = m->d;
    char buf[256], n1[32];
    bool zh = !strcmp(m->lang, "zh");
    if (d->n_head) {
        char hb[480];
        snprintf(hb, sizeof(hb), zh ? "到最近%s的行车时间" : "Travel time to the nearest %s", hl);
        y += heading(cr, x, y, hb);
    } else {
        y += heading(cr, x, y, cc__tr(m->lang, "legend_time"));
    }
    if (d->is_site) {
        snprintf(buf, sizeof(buf), zh ? "%g 分钟内（现状）" : "Within %g min today", d->minutes[0]);
        y += legend_swatch(cr, x, y, 26 / 255.0, 152 / 255.0, 80 / 255.0, buf);
        snprintf(buf, sizeof(buf), zh ? "%g 分钟内（新址建成后新增）" : "Within %g min with the new sites", d->minutes[0]);
        y += legend_swatch(cr, x, y, 145 / 255.0, 207 / 255.0, 96 / 255.0, buf);
    }
    for (size_t b = 0; !d->is_site && b < d->nb; b++) {
        double c[3];
        cc__band_rgb(b, d->nb, c);
        snprintf(buf, sizeof(buf), "%g–%g %s", b ? d->minutes[b - 1] : 0.0, d->minutes[b], cc__tr(m->lang, "minutes"));
        y += legend_swatch(cr, x, y, c[0], c[1], c[2], buf);
    }
    /* people on the network beyond the last band (their cells drawn from travel_time.tif) */
    if (!d->is_site && !d->points_demand && d->nb && d->have_tif) {
        double beyond = cc__rp_beyond_last(d);
        snprintf(buf, sizeof(buf), zh ? "超过 %g 分钟（%s 人）" : "Beyond %g min (%s people)", d->minutes[d->nb - 1], cc_report_count(beyond, n1, sizeof(n1)));
        y += legend_swatch(cr, x, y, BEYOND_RGB_F, buf);
    }
    if (d->n_adm) /* the townships' own fill under the bands: where nobody lives or beyond every band */
        y += legend_swatch(cr, x, y, 222 / 255.0, 222 / 255.0, 222 / 255.0, zh ? "区域内其余地方" : "Rest of the area");
    /* who is left out: no road within reach, or roads that reach no facility */
    if (d->friction) /* the friction model: people on water, no-data or outside the surface */
        snprintf(buf, sizeof(buf), zh ? "位于不可通行地块（%s 人）" : "On impassable cells (%s people)", cc_report_count(d->no_road, n1, sizeof(n1)));
    else
        snprintf(buf, sizeof(buf), zh ? "无道路可达（%s 人）" : "No road access (%s people)", cc_report_count(d->no_road, n1, sizeof(n1)));
    y += legend_swatch(cr, x, y, 120 / 255.0, 120 / 255.0, 120 / 255.0, buf);
    double unr = d->n_head ? d->head_unreachable : d->unreachable;
    if (!isnan(unr)) {
        if (d->friction) /* passable, but walled off from every facility by water or impassable land */
            snprintf(buf, sizeof(buf), zh ? "被阻隔、无法到达（%s 人）" : "Cut off by barriers (%s people)", cc_report_count(unr, n1, sizeof(n1)));
        else
            snprintf(buf, sizeof(buf), zh ? "道路不通（%s 人）" : "Unreachable by road (%s people)", cc_report_count(unr, n1, sizeof(n1)));
        y += legend_swatch(cr, x, y, 118 / 255.0, 42 / 255.0, 131 / 255.0, buf);
    }
    return y;
}

/* The legend's facility tiers, uncovered villages and proposed sites; returns y below them. */
static double legend_symbols(mapctx *m, double x, double y)
{
    cairo_t *cr = m->cr;
    const rp_data *d = m->d;
    char buf[256], tb[128];
    y += 6;
    y += heading(cr, x, y, cc__tr(m->lang, "facilities"));
    for (size_t k = 0; k < d->n_tiers; k++) {
        tier_symbol(cr, cc__tier_class(d->tier_name[k], k), x + 9, y + 6.5);
        snprintf(buf, sizeof(buf), "%s (%d)", cc__tier_label(m->lang, d->tier_name[k], tb, sizeof(tb)), d->tier_facilities[k]);
        y += fmax(text(cr, x + 24, y, buf, 8.5, false, 30, 30, 30, LEFT, false, 170), 13) + 2;
    }
    if (d->points_demand && d->n_unc) {
        cairo_new_path(cr);
        cairo_arc(cr, x + 9, y + 6.5, 2.6, 0, 2 * M_PI);
        set_rgb(cr, 215, 48, 39, 1);
        cairo_set_line_width(cr, 1.0);
        cairo_stroke(cr);
        char ub[420];
        double um = 30;
        json_object *jv;
        if (json_object_object_get_ex(d->summary, "uncovered_minutes", &jv)) um = json_object_get_double(jv);
        char hl[300];
        if (d->unc_tiers && *d->unc_tiers && !strcmp(m->lang, "zh")) /* beyond the headline tiers, as the bands */
            snprintf(ub, sizeof(ub), "未覆盖村庄（距最近%s超过 %g 分钟）", cc__tiers_label(m->lang, d->unc_tiers, hl, sizeof(hl)), um);
        else if (d->unc_tiers && *d->unc_tiers)
            snprintf(ub, sizeof(ub), "Uncovered villages (beyond %g min of a %s)", um, cc__tiers_label(m->lang, d->unc_tiers, hl, sizeof(hl)));
        else if (!strcmp(m->lang, "zh"))
            snprintf(ub, sizeof(ub), "未覆盖村庄（超过 %g 分钟）", um);
        else
            snprintf(ub, sizeof(ub), "Uncovered villages (beyond %g min)", um);
        y += fmax(text(cr, x + 24, y, ub, 8.5, false, 30, 30, 30, LEFT, false, 170), 13) + 2;
    }
    if (d->n_site) {
        star(cr, x + 9, y + 6.5, 7);
        snprintf(buf, sizeof(buf), "%s (%zu)", cc__tr(m->lang, d->n_own ? "robust_sites" : "proposed"), d->n_site);
        y += fmax(text(cr, x + 24, y, buf, 8.5, false, 30, 30, 30, LEFT, false, 170), 14) + 2;
    }
    if (d->n_own) {
        own_ring(cr, x + 9, y + 6.5, 6);
        snprintf(buf, sizeof(buf), "%s (%zu)", cc__tr(m->lang, "own_sites"), d->n_own);
        y += fmax(text(cr, x + 24, y, buf, 8.5, false, 30, 30, 30, LEFT, false, 170), 14) + 2;
    }
    return y;
}

/* The legend's roads and township boundaries; returns y below them. */
static double legend_roads(mapctx *m, double x, double y)
{
    cairo_t *cr = m->cr;
    const rp_data *d = m->d;
    if (d->n_road) {
        y += 6;
        y += heading(cr, x, y, cc__tr(m->lang, "roads"));
        bool closed = false, added = false;
        for (size_t i = 0; i < d->n_road; i++) {
            closed |= d->road[i].status && !strcmp(d->road[i].status, "closed");
            added |= d->road[i].status && !strcmp(d->road[i].status, "added");
        }
        rp_road p = {.cls = "primary", .status = "open"};
        y += legend_line(m, x, y, &p, cc__tr(m->lang, "main_roads"));
        p.cls = "residential";
        y += legend_line(m, x, y, &p, cc__tr(m->lang, "minor_roads"));
        if (closed) {
            p.status = "closed";
            y += legend_line(m, x, y, &p, cc__tr(m->lang, "closed_roads"));
        }
        if (added) {
            p.status = "added";
            y += legend_line(m, x, y, &p, cc__tr(m->lang, "added_roads"));
        }
    }
    if (d->n_adm) {
        cairo_new_path(cr);
        cairo_move_to(cr, x, y + 6.5);
        cairo_line_to(cr, x + 18, y + 6.5);
        stroke_admin(cr);
        y += fmax(text(cr, x + 24, y, cc__tr(m->lang, "admin"), 8.5, false, 30, 30, 30, LEFT, false, 170), 13) + 2;
    }
    return y;
}

/* The key figures box, at the bottom of the panel (@p y: the legend's end, @p w wide, down to
 * @p bottom): the headline tiers @p hl only (capable care). */
static void key_figures(mapctx *m, double x, double y, double w, double bottom, const char *hl)
{
    cairo_t *cr = m->cr;
    const rp_data *d = m->d;
    char tb[128], n1[32], n2[32], n3[32];
    bool zh = !strcmp(m->lang, "zh");
    double unr = d->n_head ? d->head_unreachable : d->unreachable;
    GString *g = g_string_new(""), *note = g_string_new(""); /* note: which tiers the figures leave out */
    const double *hw = d->n_head ? d->head_within : d->within;
    g_string_append_printf(g, "%s: %s\n", cc__tr(m->lang, "population"), cc_report_count(d->total, n1, sizeof(n1)));
    g_string_append_printf(g, zh ? "可达%s：\n" : "Reaching a %s:\n", hl);
    for (size_t b = 0; b < d->nb; b++) {
        char wl[64];
        cc__tr_within(m->lang, d->minutes[b], wl, sizeof(wl));
        double sh = d->total > 0 ? 100 * hw[b] / d->total : 0;
        g_string_append_printf(g, "  %s: %s (%.1f%%)\n", wl, cc_report_count(hw[b], n1, sizeof(n1)), sh);
    }
    double tot = d->total > 0 ? d->total : 1;
    if (d->friction)
        g_string_append_printf(g, zh ? "不可通行地块：%s (%.1f%%)\n" : "On impassable cells: %s (%.1f%%)\n", cc_report_count(d->no_road, n1, sizeof(n1)),
                               100 * d->no_road / tot);
    else
        g_string_append_printf(g, zh ? "无道路可达：%s (%.1f%%)\n" : "No road access: %s (%.1f%%)\n", cc_report_count(d->no_road, n1, sizeof(n1)),
                               100 * d->no_road / tot);
    if (!isnan(unr) && d->friction)
        g_string_append_printf(g, zh ? "被阻隔：%s (%.1f%%)" : "Cut off by barriers: %s (%.1f%%)", cc_report_count(unr, n1, sizeof(n1)), 100 * unr / tot);
    else if (!isnan(unr))
        g_string_append_printf(g, zh ? "道路不通：%s (%.1f%%)" : "Unreachable by road: %s (%.1f%%)", cc_report_count(unr, n1, sizeof(n1)), 100 * unr / tot);
    else
        g_string_truncate(g, g->len - 1); /* no trailing newline */
    if (d->n_head) {
        char tl[400] = "";
        for (size_t k = 0; k < d->n_tiers; k++) {
            bool h = false;
            for (size_t j = 0; j < d->n_head; j++) h |= !strcmp(d->head_name[j], d->tier_name[k]);
            if (h) continue;
            size_t l = strlen(tl);
            snprintf(tl + l, sizeof(tl) - l, "%s%s", l ? (zh ? "、" : ", ") : "", cc__tier_label_in_text(m->lang, d->tier_name[k], tb, sizeof(tb)));
        }
        if (*tl) g_string_printf(note, zh ? "\n（只计%s；%s见报告表格）" : "\n(counts %s only; %s: see the report's tables)", hl, tl);
    }
    size_t k30 = d->nb / 2;
    for (size_t b = 0; b < d->nb; b++)
        if (d->minutes[b] == 30) k30 = b;
    double box_h;
    GString *ba = g_string_new("");
    if (d->have_base && !isnan(d->base_head_within[k30])) {
        char wl[64];
        cc__tr_within(m->lang, d->minutes[k30], wl, sizeof(wl));
        double diff = hw[k30] - d->base_head_within[k30];
        g_string_append_printf(ba, "%s\n%s %s → %s %s\n%s %s%s", wl, cc__tr(m->lang, "before"), cc_report_count(d->base_head_within[k30], n1, sizeof(n1)),
                               cc__tr(m->lang, "after"), cc_report_count(hw[k30], n2, sizeof(n2)), cc__tr(m->lang, "change"),
                               diff > 0 ? "+" : "", cc_report_count(diff, n3, sizeof(n3)));
    }
    /* the note goes when the box would not fit under the legend (long tier names, many tiers):
     * the figures stay, the report's tables say the rest */
    for (int pass = 0; pass < 2; pass++) {
        if (pass == 1) g_string_truncate(g, g->len - note->len);
        else g_string_append(g, note->str);
        box_h = 10 + text(cr, 0, 0, cc__tr(m->lang, "key_figures"), 9.5, true, 0, 0, 0, MEASURE, false, 200) + 4 +
                text_n(cr, 0, 0, g->str, 8.3, false, 0, 0, 0, MEASURE, false, w - 12, 3) +
                (ba->len ? 3 + text(cr, 0, 0, ba->str, 8.3, true, 0, 0, 0, MEASURE, false, w - 12) : 0);
        if (!note->len || y + 8 + box_h <= bottom) break;
    }
    double by = fmax(y + 8, bottom - box_h);
    cairo_rectangle(cr, x - 4, by, w, bottom - by);
    cairo_set_source_rgb(cr, 1, 1, 1);
    fill_outline(cr, 0.35, 0.35, 0.35, 0.7);
    double ty = by + 5;
    ty += heading(cr, x + 2, ty, cc__tr(m->lang, "key_figures"));
    ty += text_n(cr, x + 2, ty, g->str, 8.3, false, 20, 20, 20, LEFT, false, w - 12, 3);
    if (ba->len) {
        ty += 3;
        text(cr, x + 2, ty, ba->str, 8.3, true, 20, 20, 20, LEFT, false, w - 12);
    }
    g_string_free(g, TRUE);
    g_string_free(note, TRUE);
    g_string_free(ba, TRUE);
}

static void legend(mapctx *m, double x, double y, double w, double bottom)
{
    char hl[400];
    cc__head_label(m->d, m->lang, hl, sizeof(hl));
    y = legend_bands(m, x, y, hl);
    y = legend_symbols(m, x, y);
    y = legend_roads(m, x, y);
    key_figures(m, x, y, w, bottom, hl);
}

static void draw_page(cairo_t *cr, const rp_data *d, const char *lang)
{
    mapctx m = {.cr = cr, .d = d, .lang = lang, .fx = 22, .fy = 70, .fw = 582, .fh = 492};
    bool zh = !strcmp(lang, "zh");
    cairo_set_source_rgb(cr, 1, 1, 1);
    cairo_paint(cr);
    /* fit the extent into the frame (4 % margin), centred */
    double w = d->maxx - d->minx, h = d->maxy - d->miny;
    double pad = 0.04 * fmax(w, h);
    w += 2 * pad;
    h += 2 * pad;
    m.scale = fmin(m.fw / fmax(w, 1), m.fh / fmax(h, 1));
    m.ox = d->minx - pad - (m.fw / m.scale - w) / 2;
    m.oy = d->miny - pad - (m.fh / m.scale - h) / 2;
    const char *title = zh ? d->o->title_zh : d->o->title_en;
    text_n(cr, 22, 14, title && *title ? title : cc__tr(lang, "title"), 19, true, 15, 15, 15, LEFT, false, 790, 1);
    char sub[1200];
    const char *scen = zh ? d->o->scenario_zh : d->o->scenario_en;
    if (!scen || !*scen) scen = d->o->scenario;
    char tl[64] = "";
    for (size_t b = 0; b < d->nb; b++) {
        char x[40];
        snprintf(x, sizeof(x), "%s%g", b ? "/" : "", d->minutes[b]);
        strncat(tl, x, sizeof(tl) - strlen(tl) - 1);
    }
    char hl[400], lt[480];
    cc__head_label(d, lang, hl, sizeof(hl));
    if (d->n_head) snprintf(lt, sizeof(lt), zh ? "到最近%s的行车时间" : "Travel time to the nearest %s", hl);
    else snprintf(lt, sizeof(lt), "%s", cc__tr(lang, "legend_time"));
    if (scen)
        snprintf(sub, sizeof(sub), "%s: %s  ·  %s %s %s", cc__tr(lang, "scenario"), scen, lt, tl, cc__tr(lang, "minutes"));
    else
        snprintf(sub, sizeof(sub), "%s %s %s", lt, tl, cc__tr(lang, "minutes"));
    text_n(cr, 22, 44, sub, 10.5, false, 80, 80, 80, LEFT, false, 790, 1); /* one line: the frame starts below it */
    draw_frame_content(&m);
    legend(&m, 620, 70, 200, 562);
    char foot[512], cred[512];
    cc__tr_footer(lang, d->crs_name, d->profile, foot, sizeof(foot));
    text_n(cr, 22, 567, foot, 7, false, 110, 110, 110, LEFT, false, 790, 1);
    text_n(cr, 22, 578, credits(d, lang, cred, sizeof(cred)), 7, false, 110, 110, 110, LEFT, false, 790, 1);
}

static cc_status surface_status(cc_ctx *ctx, cairo_surface_t *s, const char *path)
{
    cairo_status_t cs = cairo_surface_status(s);
    if (cs != CAIRO_STATUS_SUCCESS) return cc__fail(ctx, CC_ERR_IO, "Unable to draw '%s': %s", path, cairo_status_to_string(cs));
    return CC_OK;
}

/* The PNG of an RGB24 image surface, through libpng: no row filter and zlib's default level. A
 * map is mostly flat colour, where libpng's adaptive filters (what cairo_surface_write_to_png
 * leaves on) cost more than they save: on a Comoros map 43 ms and 336 KiB against 110 ms and
 * 400 KiB (issue 19). The resolution goes into pHYs, so that printing keeps the map's scale. */
static cc_status png_write(cc_ctx *ctx, cairo_surface_t *is, const char *path)
{
    const int w = cairo_image_surface_get_width(is), h = cairo_image_surface_get_height(is);
    const int stride = cairo_image_surface_get_stride(is);
    const unsigned char *data = cairo_image_surface_get_data(is);
    if (!data || w <= 0 || h <= 0) return cc__fail(ctx, CC_ERR_INTERNAL, "Unable to write '%s': no image", path);
    unsigned char *row = cc__malloc_array((size_t)w, 3);
    FILE *f = row ? fopen(path, "wb") : NULL;
    png_structp png = f ? png_create_write_struct(PNG_LIBPNG_VER_STRING, NULL, NULL, NULL) : NULL;
    png_infop info = png ? png_create_info_struct(png) : NULL;
    cc_status st = CC_OK;
    if (!row) st = cc__fail(ctx, CC_ERR_NOMEM, "Out of memory writing '%s'", path);
    else if (!f) st = cc__fail(ctx, CC_ERR_IO, "Unable to write '%s': %s", path, strerror(errno));
    else if (!info) st = cc__fail(ctx, CC_ERR_NOMEM, "Out of memory writing '%s'", path);
    else if (setjmp(png_jmpbuf(png))) { /* libpng's error path: nothing set after setjmp is read here */
        st = cc__fail(ctx, CC_ERR_IO, "Unable to write '%s': %s", path, ferror(f) ? strerror(errno) : "PNG encoder error");
    } else {
        png_init_io(png, f);
        png_set_IHDR(png, info, (png_uint_32)w, (png_uint_32)h, 8, PNG_COLOR_TYPE_RGB, PNG_INTERLACE_NONE,
                     PNG_COMPRESSION_TYPE_DEFAULT, PNG_FILTER_TYPE_DEFAULT);
        const png_uint_32 ppm = (png_uint_32)lround(PNG_DPI / 0.0254);
        png_set_pHYs(png, info, ppm, ppm, PNG_RESOLUTION_METER);
        png_set_filter(png, PNG_FILTER_TYPE_BASE, PNG_FILTER_NONE);
        png_set_compression_level(png, 6);
        png_write_info(png, info);
        for (int y = 0; y < h; y++) {
            const uint32_t *px = (const uint32_t *)(const void *)(data + (size_t)y * stride); /* CAIRO_FORMAT_RGB24: 0x00RRGGBB */
            for (int x = 0; x < w; x++) {
                row[3 * x] = (unsigned char)(px[x] >> 16);
                row[3 * x + 1] = (unsigned char)(px[x] >> 8);
                row[3 * x + 2] = (unsigned char)px[x];
            }
            png_write_row(png, row);
        }
        png_write_end(png, info);
    }
    if (png) png_destroy_write_struct(&png, info ? &info : NULL);
    if (f && fclose(f) != 0 && !st) st = cc__fail(ctx, CC_ERR_IO, "Unable to write '%s': %s", path, strerror(errno));
    free(row);
    return st;
}

cc_status cc__map_write(cc_ctx *ctx, const rp_data *d, const char *lang, bool png, const char *path)
{
    cc_status st = CC_OK;
    if (!png) {
        /* PDF: vector, text as text */
        cairo_surface_t *ps = cairo_pdf_surface_create(path, PAGE_W, PAGE_H);
        if ((st = surface_status(ctx, ps, path))) {
            cairo_surface_destroy(ps);
            return st;
        }
        cairo_pdf_surface_set_metadata(ps, CAIRO_PDF_METADATA_CREATOR, "carecircle " CC_VERSION_STRING);
        cairo_t *cr = cairo_create(ps);
        draw_page(cr, d, lang);
        cairo_show_page(cr);
        cairo_destroy(cr);
        cairo_surface_finish(ps);
        st = surface_status(ctx, ps, path);
        cairo_surface_destroy(ps);
        return st;
    }
    /* PNG at 200 dpi */
    const double k = PNG_DPI / 72.0;
    cairo_surface_t *is = cairo_image_surface_create(CAIRO_FORMAT_RGB24, (int)lround(PAGE_W * k), (int)lround(PAGE_H * k));
    if ((st = surface_status(ctx, is, path))) {
        cairo_surface_destroy(is);
        return st;
    }
    cairo_t *cr = cairo_create(is);
    cairo_scale(cr, k, k);
    draw_page(cr, d, lang);
    cairo_destroy(cr);
    cairo_surface_flush(is);
    if (!(st = surface_status(ctx, is, path))) st = png_write(ctx, is, path);
    cairo_surface_destroy(is);
    return st;
}
