/* scenario_internal.h - pieces of the end-to-end runs. */
#ifndef CC_SCENARIO_INTERNAL_H
#define CC_SCENARIO_INTERNAL_H

#include "carecircle/cc_coverage.h"
#include "../access/access_internal.h"
#include "../io/write_internal.h"

/* What the coverage writer needs (all borrowed). Arrays of times are n_sets rows: row 0 all
 * facilities, row k+1 tier k. */
/* The thresholds of @p o (default 15, 30, 60): 1..CC_MAX_BANDS, each in (0, 1440], strictly
 * ascending, into minutes and ms; CC_ERR_PARAM with the rule broken. Coverage and tiled runs. */
cc_status cc__check_minutes(cc_ctx *ctx, const cc_coverage_opts *o, double *bands_min, uint32_t *bands_ms, size_t *nb);

typedef struct cc__cov_out {
    cc_ctx *ctx;
    const cc_coverage_opts *o;
    const cc_profile *profile;
    const cc_graph *graph;
    const cc_roads *roads;
    const char *crs_wkt;
    const cc__demand *dem;  /* demand points */
    const cc__demand *grid; /* raster cells (== dem for raster demand) */
    const cc__facilities *fac;
    const cc__admin *admin; /* NULL: none */
    const cc__join *fjoin;
    const uint32_t *foff;
    const cc__join *djoin;
    const uint32_t *dtime, *dfac;
    const uint32_t *gtime, *gfac;
    size_t n_sets;
    const double *reach; /* n_fac * nb */
    const int32_t *dadmin;
    size_t nb;
    const double *bands_min;
    const uint32_t *bands_ms;
    double uncovered_min;
    cc__stage *stage;
    cc_coverage_result *res; /* timings t_polygons_s and t_write_s are filled in */
} cc__cov_out;

cc_status cc__coverage_write(cc__cov_out *c);


/* ---- scenario files (scenario.c) ------------------------------------------------------------ */
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
    char *fixed_tiers, *candidate_tiers, *candidate_roads; /* comma lists */
    double budget, threshold_min, spacing_m, target_share, dispatch_min, max_per_area, curve;
    bool emergency;
    sc_pos pos;
} sc_siting;

struct cc_scenario {
    char *file, *dir; /* source file and its folder */
    char *name, *title_zh, *title_en, *description;
    char *label_zh, *label_en; /* a batch variant's own title (shown under the map title) */
    sc_str out;
    sc_str roads, roads_layer, class_field, speed_field, population, population_field, facilities, facility_name_field,
        lon_field, lat_field, facility_where, tier_field, admin, admin_name_field, admin_code_field, crs;
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
/* The parser's verdict: CC_OK, or the problems as the ctx message. */
cc_status cc__sc_parser_status(sc_parser *p);
/* Text of the scalar (after sweep substitution), or NULL. */
const char *cc__sc_scalar(sc_parser *p, const yaml_node_t *n);

/* ---- batches (batch.c, compare.c) ------------------------------------------------------------ */
struct cc_batch {
    char *file, *dir, *base_file, *out;
    size_t n;
    cc_scenario **v; /* v[0] = base */
};

/* comparison.csv, comparison.gpkg and the batch report from the variants' outputs. */
cc_status cc__batch_compare(cc_ctx *ctx, const cc_batch *b, const char *dir, const cc_variant_result *res, size_t n, const char *lang);


/* ---- a batch run in pieces (batch.c): cc_batch_run() is begin, run the base, run the rest,
 * finish; planner/mpi runs the same pieces with the variants spread over MPI ranks. */
typedef struct cc__batch_job cc__batch_job;
/* What became of one variant, as a flat value that can travel between processes. */
typedef struct cc__variant_outcome {
    int32_t state;  /* cc_variant_state */
    int32_t status; /* cc_status */
    double seconds;
    char error[CC__MAX_MSG];
} cc__variant_outcome;
/* Hashes every variant and creates the batch folder; *out is freed with cc__batch_job_destroy(). */
cc_status cc__batch_job_begin(cc_ctx *ctx, const cc_batch *b, const cc_batch_opts *o, cc__batch_job **out);
/* Run variant i (0 = the base) into its folder with @p threads threads, or skip it when its content
 * hash is unchanged; the outcome is kept in the job. Thread-safe for distinct i. */
void cc__batch_job_run(cc__batch_job *j, size_t i, int threads);
/* Whether the base completed (its outputs are then the "before" of every variant). */
void cc__batch_job_set_base(cc__batch_job *j, bool completed);
void cc__batch_job_get_outcome(const cc__batch_job *j, size_t i, cc__variant_outcome *out);
void cc__batch_job_set_outcome(cc__batch_job *j, size_t i, const cc__variant_outcome *in);
/* Expected relative cost of variant i (largest first): last run's seconds, else input bytes. */
double cc__batch_job_estimate(const cc__batch_job *j, size_t i);
/* Bytes of variant i's input files (roads, population, facilities). */
double cc__batch_job_input_bytes(const cc__batch_job *j, size_t i);
const char *cc__batch_job_get_dir(const cc__batch_job *j);
/* manifest.json, comparison.csv/.gpkg and the report from the outcomes; *out owned by the caller. */
cc_status cc__batch_job_finish(cc__batch_job *j, cc_batch_result **out);
void cc__batch_job_destroy(cc__batch_job *j);

#endif
