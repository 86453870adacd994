/*
 * report_internal.h - the report module: what it reads from an output folder, and the pieces
 * that turn it into QGIS styles, a QGIS project, maps and an HTML report. Computes no measures:
 * every number comes from summary.json and coverage.gpkg.
 */
#ifndef CC_REPORT_INTERNAL_H
#define CC_REPORT_INTERNAL_H

#include <stdbool.h>
#include <stddef.h>

#include <glib.h>
#include <json-c/json.h>
#include <cpl_conv.h>
#include <ogr_api.h>
#include <ogr_srs_api.h>

#include "carecircle/cc_coverage.h"
#include "carecircle/cc_report.h"
#include "../core/core_internal.h"

#define RP_MAX_TIERS 32

typedef struct rp_band {
    double min_from, min_to, pop, pop_cum;
    OGRGeometryH geom; /* owned; NULL when empty */
} rp_band;

typedef struct rp_fac {
    double x, y;
    char *name, *name_zh, *tier;
    bool snapped;
} rp_fac;

typedef struct rp_admin {
    char *name, *name_zh, *code;
    double pop, within[CC_MAX_BANDS], share[CC_MAX_BANDS];
    double base_within[CC_MAX_BANDS]; /* NAN when no base */
    double lx, ly;                    /* label point */
    OGRGeometryH geom;
} rp_admin;

typedef struct rp_road {
    char *cls, *status;
    OGRGeometryH geom;
} rp_road;

typedef struct rp_unc {
    int rank;
    double pop, minutes, x, y;
    double lon, lat; /* WGS84; NAN when the layer has none (written before lon/lat were added) */
    char *status, *name, *name_zh, *admin;
} rp_unc;

/* One uncovered demand point (all of them, for the map): kind 0 beyond the threshold,
 * 1 no road access, 2 unreachable by road. */
/* People beyond the last band, on the maps and in the QGIS raster style: a dark red past the bands'
 * green-yellow-orange ramp (#a50f15). */
#define CC__BEYOND_RGB 165, 15, 21

struct rp_data;
/* People on the roads beyond the last band of the headline tiers (all facilities without a headline):
 * population - no road access - unreachable - within the last band, from summary.json; 0 below half a
 * person. */
double cc__rp_beyond_last(const struct rp_data *d);

typedef struct rp_dot {
    double x, y, pop;
    int kind;
} rp_dot;

typedef struct rp_site {
    double x, y, gain;
    char *name, *name_zh, *tier;
    bool has_gain;
} rp_site;

/* One vector layer of coverage.gpkg (for styles and the project). */
typedef struct rp_layer {
    char *name, *geom_col;
    OGRwkbGeometryType type;
    long long count;
    char *wkt;       /* CRS the layer is stored in (NULL: none) */
    char authid[32]; /* "EPSG:4326"; "" when it has no authority code */
} rp_layer;

typedef struct rp_data {
    const char *dir;
    char gpkg[4200], tif[4200];
    json_object *summary, *base; /* base: NULL when none */
    size_t nb;
    double minutes[CC_MAX_BANDS], within[CC_MAX_BANDS], base_within[CC_MAX_BANDS];
    double total, no_road, unreachable, beyond, base_total;
    bool have_base, points_demand;
    size_t n_tiers;
    char *tier_name[RP_MAX_TIERS];
    double tier_within[RP_MAX_TIERS][CC_MAX_BANDS];
    int tier_facilities[RP_MAX_TIERS], tier_snapped[RP_MAX_TIERS];
    double tier_unreachable[RP_MAX_TIERS];
    /* headline (issue 14): the tiers counted as capable care in the key figures and the map's
     * bands; n_head 0: all facilities (no tiers, or an old summary.json without "headline") */
    size_t n_head;
    const char *head_name[RP_MAX_TIERS];
    double head_within[CC_MAX_BANDS], head_unreachable;
    double base_head_within[CC_MAX_BANDS]; /* the base run's headline figures; NAN when unknown */
    bool head_retarget;   /* the report's headline (one tier) is not the run's: its tier's fields and band */
    bool adm_head;        /* the township figures (adm[].within, share) are the headline's, not all facilities' */
    int tif_head_band;    /* travel_time.tif's band of the headline (1-based; 0: not found) */
    bool iso_head_set;    /* the isochrones layer has the headline tiers' own bands (tier "headline") */
    const char *unc_tiers; /* demand_uncovered: beyond unc_min of these tiers (joined with ','); NULL: of any facility */
    double unc_min;
    char crs_name[64], profile[128];
    char *crs_wkt;
    rp_band band[CC_MAX_BANDS]; /* tier "all" */
    rp_fac *fac;
    size_t n_fac;
    rp_admin *adm;
    size_t n_adm;
    bool adm_outline_only; /* admin areas without figures (admin_areas of a siting folder): map only */
    rp_road *road;
    size_t n_road;
    rp_unc *unc;
    size_t n_unc, n_unc_total;
    rp_dot *dot;
    size_t n_dot;
    rp_site *site;
    size_t n_site;
    rp_site *own; /* robust siting, a variant's folder: the variant's own optimum (own_optimum_sites) */
    size_t n_own;
    rp_layer *layer;
    size_t n_layer;
    bool have_tif;
    double minx, miny, maxx, maxy; /* map extent, working CRS */
    double px0, py0, px1, py1;     /* project extent, working CRS: every layer (facilities off the roads left out) */
    char *tif_wkt;                 /* CRS of travel_time.tif (the population grid's) */
    char tif_authid[32];
    double cell_m;                 /* size of a demand cell in working-CRS units (raster demand); 0: unknown */
    double cell_w, cell_h;         /* its width and height there (the map's cells); 0: unknown */
    const cc_report_opts *o;
    bool is_site; /* a siting folder (carecircle site): sites.gpkg, one threshold, before/after */
    bool friction;          /* off-road friction model: those without access stand on impassable cells, not off the roads */
    bool gain_minutes;      /* siting with a time model: the sites' gain is mean minutes saved */
    const char *gain_label; /* siting: the label key of the sites' gain ("gain"; MEXCLP expected, CMCLP served persons) */
    bool have_cpm;          /* capacitated p-median: mean minutes with capacities respected, before/after, ignored; people at the radius */
    double cpm_before, cpm_after, cpm_blind, cpm_at_radius, cpm_radius;
    bool nomem;
    GStringChunk *strs; /* every text above that came from the outputs */
} rp_data;

/* i18n: the label for @p key in language @p lang ("zh" or "en"). Never NULL. */
const char *cc__tr(const char *lang, const char *key);
const char *cc__tr_within(const char *lang, double m, char *buf, size_t n);
const char *cc__tr_beyond(const char *lang, double m, char *buf, size_t n);
const char *cc__tr_footer(const char *lang, const char *crs, const char *profile, char *buf, size_t n);
const char *cc__tr_shown_of(const char *lang, size_t total, size_t shown, char *buf, size_t n);
/* A tier name for people ("county_hospital" -> "县医院" / "County hospital"). */
const char *cc__tier_label(const char *lang, const char *tier, char *buf, size_t n);
/* Visual class of a tier: 0 hospital, 1 emergency station, 2 township centre, 3 village clinic
 * or health post, 4.. others. */
int cc__tier_class(const char *tier, size_t index);

/* The headline tiers for people: "县医院" / "county hospital", joined with 、 / " or ". */
const char *cc__head_label(const rp_data *d, const char *lang, char *buf, size_t n);
/* A tier's label inside a sentence: cc__tier_label, English with a small first letter. */
const char *cc__tier_label_in_text(const char *lang, const char *tier, char *buf, size_t n);
/* The same from tier names: @p n_tiers of them, or joined with ',' ("county_hospital,township_health_centre"). */
const char *cc__tier_list_label(const char *lang, const char *const *tiers, size_t n_tiers, char *buf, size_t n);
const char *cc__tiers_label(const char *lang, const char *tiers, char *buf, size_t n);

/* Colour of travel-time band @p b of @p nb, as 0..1 RGB. */
void cc__band_rgb(size_t b, size_t nb, double rgb[3]);

/* styles and project (style.c) */
cc_status cc__styles_write(cc_ctx *ctx, rp_data *d);
cc_status cc__project_write(cc_ctx *ctx, rp_data *d);
/* QML of the comparison layer (batches), for its own GeoPackage. */
char *cc__qml_comparison(const char *field, const char *const *scenarios, size_t n);
cc_status cc__layer_styles_put(cc_ctx *ctx, const char *gpkg, const char *const *layers, const char *const *geom_cols,
                               const char *const *qml, size_t n);

/* map (map.c): the page of language @p lang as a PNG (200 dpi) or a PDF at @p path. Reads @p d
 * only, so that several pages can be drawn at once (one cairo surface and pango font map each). */
cc_status cc__map_write(cc_ctx *ctx, const rp_data *d, const char *lang, bool png, const char *path);

/* HTML (html.c) */
cc_status cc__html_write(cc_ctx *ctx, rp_data *d, const char *lang, const char *png_path, const char *html_path);

/* Batch report (html.c): the comparison table of a batch, linking each variant's report. */
typedef struct rp_cmp_row {
    const char *scenario, *state, *code, *name; /* code NULL: the total row */
    const char *label_zh, *label_en, *name_zh;  /* a variant's titles, the area's Chinese name; may be NULL */
    double pop, within[CC_MAX_BANDS], delta[CC_MAX_BANDS];
    /* the headline tiers' (capable care): their names joined with ',' ("" unknown), figures and change
     * against the base (NAN when unknown, or when the base's headline counts other tiers) */
    const char *head_tiers;
    double head_within[CC_MAX_BANDS], head_delta[CC_MAX_BANDS];
    double no_road, unreachable;                /* persons without road access, on roads reaching no facility */
    bool have_delta;
    bool report[2]; /* the variant's report_zh.html, report_en.html exist (linked) */
} rp_cmp_row;
/* @p head_tiers: the headline tiers the rows' figures count, joined with ','; NULL: all facilities. */
cc_status cc__html_batch(cc_ctx *ctx, const char *path, const char *lang, const char *batch_file, const double *minutes, size_t nb,
                         const rp_cmp_row *rows, size_t n_rows, const char *head_tiers);

/* Robust siting (robust.c): report_<lang>.html of the robust folder @p dir (written into @p out)
 * from its summary.json @p summary: the objective in plain words, the sites, the regret table
 * and its chart, and each variant's map (<variant>/map_<lang>.png). */
cc_status cc__html_robust(cc_ctx *ctx, const char *dir, const char *out, json_object *summary, const cc_report_opts *o, const char *lang);

/* What the figures of a robust siting study measure (robust.c), one descriptor per model: the value
 * of an answer in a variant (persons covered; p-median's population-weighted mean time and
 * p-centre's worst time, seconds in summary.json, shown in minutes), its direction and how it is
 * shown. summary.json and regret.csv name it <what>_..._<unit> (covered_robust_persons,
 * mean_time_robust_s, regret_s). The regret is always "how much worse than the variant's own best":
 * own - value when higher is better, value - own when lower is. LSCP's answers are valued by their
 * coverage too; its objective is a count of sites (objective_unit_*). */
typedef struct cc__robust_measure {
    const char *model;               /* cc_site_model_name() */
    const char *what, *unit;         /* key stem and unit in summary.json / regret.csv */
    const char *label_zh, *label_en; /* the value in words ("覆盖人口", "people covered") */
    const char *unit_zh, *unit_en;   /* the unit shown ("人", "people"; "分钟", "minutes") */
    double scale;                    /* shown = stored x scale (seconds -> minutes: 1/60) */
    int decimals;                    /* shown decimals; 0: whole numbers with thousands separators */
    bool higher_better;
    const char *objective_unit_zh, *objective_unit_en; /* LSCP: the objective counts sites; else NULL */
} cc__robust_measure;

/* The descriptor of model @p model ("mclp", "lscp", "pmedian", "pcenter"), NULL for another. */
const cc__robust_measure *cc__robust_measure_of(const char *model);
/* @p v (summary.json's unit) as shown: "1,234" or "23.4"; "–" for NaN. */
const char *cc__robust_fmt(const cc__robust_measure *m, double v, char *buf, size_t n);
/* How much worse @p value is than @p own (summary.json's unit). */
double cc__robust_regret(const cc__robust_measure *m, double own, double value);

/* Pieces of the HTML reports shared with robust.c (html.c). */
void cc__html_head(GString *g, const char *lang, const char *title);
void cc__html_th(GString *g, const char *s, bool left);
void cc__html_td(GString *g, const char *s);

/* XML/HTML escaping into a GString. */
void cc__xml_esc(GString *g, const char *s);

/* Parse @p text as a summary.json and check every figure the report reads (fuzzing, tests). */
cc_status cc__report_summary_check(cc_ctx *ctx, const char *path, const char *text, size_t len);

#endif
