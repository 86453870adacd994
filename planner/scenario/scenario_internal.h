/* scenario_internal.h - scenario and batch files: their parsed form and the parser. */
#ifndef CC_SCENARIO_INTERNAL_H
#define CC_SCENARIO_INTERNAL_H

#include "carecircle/cc_scenario.h"
#include "../core/yaml_internal.h"

typedef struct sc_pos {
    const char *file; /* borrowed from the scenario or batch that owns the document */
    size_t line, col;
} sc_pos;

typedef struct sc_str {
    char *v;
    sc_pos pos;
} sc_str;

typedef struct sc_factor {
    char *key;
    double factor;
    sc_pos pos;
} sc_factor;

typedef struct sc_fchange {
    cc_facility_change c; /* strings owned */
    sc_pos pos;
} sc_fchange;

typedef struct sc_siting {
    char *model, *tier, *candidates;
    char *fixed_tiers, *candidate_tiers, *candidate_roads, *capable_tiers; /* comma lists */
    char *upgrade_tiers;                   /* comma list: facilities that may be made capable on the chain */
    double max_upgrades;                   /* with upgrade_tiers: at most this many (0: not given, default 2) */
    double budget, threshold_min, spacing_m, target_share, dispatch_min, max_per_area, curve, on_scene_min;
    double busy_fraction, max_per_station; /* mexclp; 0: not given */
    double outer_threshold_min, alpha;     /* dsm; 0 / NaN: not given */
    double site_capacity;                  /* cmclp, cp_median: persons one new site serves; 0: not given */
    char *capacity_field;                  /* cmclp, cp_median: capacity field of the facilities (overrides inputs.capacity_field) */
    bool emergency;
    sc_pos pos;
} sc_siting;

struct cc_scenario {
    char *file, *dir; /* source file and its folder */
    char *name, *title_zh, *title_en, *description;
    char *label_zh, *label_en; /* a batch variant's own title (shown under the map title) */
    sc_str out;
    sc_str roads, roads_layer, class_field, speed_field, population, population_field, facilities, facility_name_field,
        lon_field, lat_field, facility_where, tier_field, admin, admin_name_field, admin_code_field, encoding, crs, capacity_field;
    double capacity_min; /* capacity_minutes; 0: default */
    char *tiers; /* "value=name,..." */
    sc_str profile_ref;     /* built-in name or YAML path */
    cc_profile *profile;    /* inline profile, or loaded at finalize; speed factors applied */
    bool profile_inline;
    double minutes[CC_MAX_BANDS];
    size_t n_minutes;
    double uncovered_min, resolution_m;
    sc_factor *f_class, *f_surface;
    size_t n_f_class, n_f_surface;
    double f_all;
    sc_pos f_all_pos;
    int64_t *closed_ids;
    size_t n_closed_ids;
    sc_str closed_areas, closed_areas_layer;
    sc_str added, added_layer;
    double added_connect_m;
    int64_t *replaced_ids;
    size_t n_replaced_ids;
    sc_fchange *fchanges;
    size_t n_fchanges;
    sc_siting *siting;
    size_t n_siting;
    sc_pos siting_pos;
    char *lang;
    bool maps;
    char *headline; /* tiers counted as capable care, "a,b"; NULL: the highest level present */
    unsigned outputs; /* CC_OUT_* flags of key outputs; 0: not given (all) */
    bool sweep_light; /* a sweep's variant whose outputs were not given: summary only (batch.c) */
    /* off-road model (issue 16) */
    char *offroad_model; /* "straight" or "friction"; NULL: straight */
    sc_str off_friction, off_dem, off_landcover, off_water, off_ferries;
    double off_neighbours;
    int off_impassable;          /* 0: not given (nearest), 1: nearest, 2: none */
    double off_impassable_max_m; /* 0: not given (250) */
    /* the emergency chain (section chain:, issue 17) */
    bool chain;
    char *chain_station_tiers, *chain_capable_tiers; /* comma lists */
    double chain_dispatch_min, chain_on_scene_min;   /* NAN: default */
    sc_pos chain_pos;
};

/* Parsing state: one document applied onto a scenario (base, then a batch variant's overrides). */
typedef struct sc_parser {
    cc_ctx *ctx;
    cc__yaml *y;
    const char *file; /* for positions */
    const char *dir;  /* for relative paths */
    const char *subst; /* sweep value replacing "{value}" in scalars, or NULL */
    char scratch[1024];
    char *msgs;        /* problems, one per line */
    size_t n_msgs, len_msgs, cap_msgs;
    size_t n_problems, n_missing_files;
    bool nomem;
} sc_parser;

cc_scenario *cc__scenario_new(const char *file);
void cc__sc_parser_init(sc_parser *p, cc_ctx *ctx, cc__yaml *y, const char *file, const char *dir);
void cc__sc_parser_free(sc_parser *p);
void cc__sc_problem(sc_parser *p, const yaml_node_t *n, const char *fmt, ...) CC__PRINTF(3, 4);
/* Apply mapping @p root (a whole scenario file, or a variant's overrides) onto @p s. */
void cc__scenario_apply(sc_parser *p, cc_scenario *s, yaml_node_t *root);
/* Apply one dotted key ("speed_factors.class.tertiary") with value node @p v (sweeps). */
void cc__scenario_apply_key(sc_parser *p, cc_scenario *s, const char *dotted, yaml_node_t *keynode, yaml_node_t *v);
/* Cross-checks after every document is applied: required inputs, profile, factors, facility changes. */
void cc__scenario_finalize(sc_parser *p, cc_scenario *s);
/* The field names (and road layer) the scenario gives, checked against its input files'
 * layer definitions (check.c); one problem per name that a layer does not have. */
void cc__scenario_check_fields(sc_parser *p, const cc_scenario *s);
/* Add one problem line (the messages of the parser). */
void cc__sc_add_msg(sc_parser *p, const char *msg);
/* Typed getters (parse.c): each reports its own problem and returns false (or leaves *out)
 * when the value is missing or wrong. */
void cc__sc_problem_at(sc_parser *p, const sc_pos *pos, const char *fmt, ...) CC__PRINTF(3, 4);
sc_pos cc__sc_pos_of(sc_parser *p, const yaml_node_t *n);
char *cc__sc_sdup(sc_parser *p, const char *s);
bool cc__sc_get_string(sc_parser *p, yaml_node_t *n, const char *key, char **out);
bool cc__sc_get_number(sc_parser *p, yaml_node_t *n, const char *key, double lo, double hi, double *out);
bool cc__sc_get_bool(sc_parser *p, yaml_node_t *n, const char *key, bool *out);
bool cc__sc_is_remote(const char *s);
void cc__sc_get_path(sc_parser *p, yaml_node_t *n, const char *key, sc_str *out);
void cc__sc_get_text(sc_parser *p, yaml_node_t *n, const char *key, sc_str *out);
bool cc__sc_get_int64_list(sc_parser *p, yaml_node_t *n, const char *key, int64_t **out, size_t *nout);
/* Report unknown keys (all of them, with a did-you-mean); true when @p n is a mapping. */
bool cc__sc_check_keys(sc_parser *p, yaml_node_t *n, const char *const *allowed, const char *what);

/* The parser's verdict: CC_OK, or the problems as the ctx message. */
cc_status cc__sc_parser_status(sc_parser *p);
/* Text of the scalar (after sweep substitution), or NULL. */
const char *cc__sc_scalar(sc_parser *p, const yaml_node_t *n);

/* The scenario as resolved (every default filled in), as a new JSON object (resolve.c). */
struct json_object;
struct json_object *cc__scenario_resolved(const cc_scenario *s);
/* The inputs of the scenario's runs: paths, reader options, profile, CRS and edits. The arrays
 * of facility changes are owned by @p s and the result borrows from it; *fc (caller frees) holds
 * the flattened facility changes. */
cc_status cc__scenario_inputs(cc_ctx *ctx, const cc_scenario *s, cc_inputs *in, cc_facility_change **fc);
/* cc_scenario_run() with the coverage part's region taken through @p pool (batches; NULL: alone). */
typedef struct cc__region_pool cc__region_pool;
typedef struct cc__file_digests cc__file_digests;
/* cc_scenario_hash with the digests of a batch's input files (@p cache; NULL: none). */
cc_status cc__scenario_hash(cc_ctx *ctx, const cc_scenario *s, cc__file_digests *cache, char hex[65], bool *hashable);
cc_status cc__scenario_run_pooled(cc_ctx *ctx, const cc_scenario *s, const cc_scenario_run_opts *ro, cc__region_pool *pool,
                                  cc_coverage_result **out);

/* ---- batches (batch.c, compare.c) ------------------------------------------------------------ */
/* Most variants in one batch (sweeps expanded), checked before any variant is built. */
#define CC_MAX_VARIANTS 1000

struct cc_batch {
    char *file, *dir, *base_file, *out;
    size_t n, cap;
    cc_scenario **v;         /* v[0] = base */
    struct _GHashTable *names; /* variant names seen while loading */
};

/* Parse @p text as a batch manifest.json and look up variant @p name's time as the scheduler does
 * (fuzzing, tests): 1e12 x seconds, or -1. */
double cc__batch_manifest_check(cc_ctx *ctx, const char *path, const char *text, size_t len, const char *name);

/* comparison.csv, comparison.gpkg and the batch report from the variants' outputs. */
cc_status cc__batch_compare(cc_ctx *ctx, const cc_batch *b, const char *dir, const cc_variant_result *res, size_t n, const char *lang);


#include "batch_job_internal.h"

#endif
