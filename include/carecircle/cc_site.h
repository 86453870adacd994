/*
 * cc_site.h - siting: where to put new sub-centres or emergency stations, with a proven bound
 * on how far the proposal can be from the best possible one.
 *
 * Two layers:
 *  - cc_site_solve() solves a facility-location model over abstract candidates and demand
 *    points given as coverage sets (candidate -> demand points it reaches, with the time when
 *    the model needs it). Heuristics (lazy greedy, then swap/interchange local search) give the
 *    answer; a relaxation (Lagrangian, the LP relaxation through GLPK, or the submodular
 *    greedy bound) proves how good it is; GLPK's branch and bound solves the integer
 *    programme exactly when asked and the instance is small enough.
 *  - cc_site_run() does a whole study: reads roads, population and facilities, makes the
 *    candidates (upgradeable facilities, a candidate layer, points along roads), builds the
 *    coverage sets with bounded Dijkstra searches, solves, and writes sites.gpkg,
 *    coverage_curve.csv and summary.json into a folder.
 *
 * Models (objective in engine units: persons, sites, seconds):
 *  - CC_SITE_MCLP (Church & ReVelle 1974): at most p new sites maximising the population
 *    within the threshold, existing facilities counting as covering already.
 *  - CC_SITE_LSCP (Toregas et al. 1971): the fewest new sites that bring the covered share to
 *    a target.
 *  - CC_SITE_PMEDIAN (Hakimi 1964; Teitz & Bart 1968): at most p new sites minimising the
 *    population-weighted mean time to the nearest facility.
 *  - CC_SITE_PCENTER (Hakimi 1965): at most p new sites minimising the worst time, over the
 *    people that an existing facility or some candidate reaches within the search radius (the
 *    others stay beyond it whatever is chosen; they are reported, not minimised).
 *
 * Bound and gap: every solution carries a bound on the optimum of its model (an upper bound
 * for MCLP, a lower bound for the others) and the relative gap between them. A gap of 0.004
 * means that no choice of sites can be more than 0.4 % better than the proposal (for MCLP:
 * than the population the proposal gains). The bound is a proof, not an estimate.
 */
#ifndef CC_SITE_H
#define CC_SITE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "cc_api.h"
#include "cc_ctx.h"
#include "cc_inputs.h"
#include "cc_profile.h"

#ifdef __cplusplus
extern "C" {
#endif

/** Facility-location models. */
struct cc_report_opts;

typedef enum cc_site_model {
    CC_SITE_MCLP = 0,    /**< maximal covering: p sites, most population within the threshold */
    CC_SITE_LSCP = 1,    /**< set covering: fewest sites reaching a target covered share */
    CC_SITE_PMEDIAN = 2, /**< p sites, least population-weighted mean time */
    CC_SITE_PCENTER = 3, /**< p sites, least worst time */
    CC_SITE_MEXCLP = 4,  /**< p ambulances, most expected population within the threshold when each
                              is busy a fraction of the time (Daskin 1983; cc_mexclp.h) (@since 0.5) */
    CC_SITE_CMCLP = 5,   /**< capacitated MCLP: p sites, each serving at most its capacity, most
                              population served within the threshold (assignment fractional) (@since 0.5) */
    CC_SITE_DSM = 6,     /**< double standard model (Gendreau, Laporte & Semet 1997): p ambulances, everybody
                              within the outer standard r2, a share alpha within r1, most population within
                              r1 of two or more ambulances (@since 0.5) */
    CC_SITE_CPMEDIAN = 7 /**< capacitated p-median: p sites, each serving at most its capacity, least
                              population-weighted mean time (capped at the radius; people no site can
                              take stay at their base time) (assignment fractional) (@since 0.5) */
} cc_site_model;

/** Name of a model ("mclp", "lscp", "pmedian", "pcenter", "mexclp", "cmclp", "dsm", "cpmedian"); static. Thread-safe (pure). @since 0.1 */
CC_API const char *cc_site_model_name(cc_site_model m);

/** A siting instance over abstract candidates 0..n_candidates-1 and demand points
 *  0..n_demand-1. All arrays are borrowed for the duration of the call.
 *
 *  Coverage sets are in CSR form: candidate j reaches demand[first[j]] .. demand[first[j+1]-1]
 *  (no duplicates within one candidate), in time_ms[...] milliseconds.
 *
 *  Coverage models (MCLP, LSCP): a pair means "j covers the demand point"; time_ms is not
 *  read. Demand points with covered[i] != 0 are covered already by the existing facilities.
 *  Time models (p-median, p-centre): a demand point's time is the smaller of base_time_ms[i]
 *  (its time to the nearest existing facility, capped at the search radius) and the times of
 *  the chosen candidates that reach it; pairs with time_ms >= base_time_ms[i] never matter. */
typedef struct cc_site_instance {
    uint32_t n_candidates;
    uint32_t n_demand;
    const uint64_t *first;         /**< n_candidates + 1 offsets into demand/time_ms */
    const uint32_t *demand;        /**< demand ids of the pairs */
    const uint32_t *time_ms;       /**< time of each pair; required for time models, else NULL */
    const double *weight;          /**< population of each demand point, finite and >= 0 */
    const uint8_t *covered;        /**< coverage models: covered already (NULL: none) */
    const uint32_t *base_time_ms;  /**< time models: required, see above */
    uint32_t radius_ms;            /**< time models: search radius (times at or above it count as
                                        "not reached"); 0: none */
    double extra_covered_weight;   /**< coverage models: population covered already that is not
                                        among the demand points (added to every objective) */
    double total_weight;           /**< denominator of covered shares; 0: the sum of weights plus
                                        extra_covered_weight */
    /* constraints: a partition of candidates into areas, at least area_min[a] and at most
     * area_max[a] sites in area a */
    const uint32_t *area;          /**< area of each candidate, CC_INVALID_ID for none; NULL: none */
    uint32_t n_areas;
    const uint32_t *area_min;      /**< per area; NULL: 0 */
    const uint32_t *area_max;      /**< per area; NULL: no limit */
    const double *capacity;        /**< CMCLP: persons each candidate can serve (finite, >= 0); NULL:
                                        params.capacity_persons for every candidate (@since 0.5) */
    /* CMCLP and capacitated p-median (@since 0.5): existing facilities that are capacitated; they
     * are always open, need no budget and share the people they reach with the new sites (one
     * assignment over both). Their pairs lie in the same demand/time_ms arrays. Demand reached
     * by an uncapacitated existing facility is given through covered (CMCLP) or base_time_ms
     * (p-median) as before. */
    uint32_t n_fixed;              /**< capacitated existing facilities (0: none) */
    const uint64_t *fixed_first;   /**< n_fixed + 1 offsets into demand/time_ms */
    const double *fixed_capacity;  /**< persons each can serve (finite, >= 0) */
} cc_site_instance;

/** How to solve. Zero-initialise, then set the model and p (or target_share). */
typedef struct cc_site_params {
    cc_site_model model;
    uint32_t p;                 /**< MCLP, p-median, p-centre: at most p new sites (>= 1) */
    uint32_t curve_to;          /**< MCLP, p-median, p-centre: also solve for 1..curve_to sites
                                     (heuristic and bound for each; the exact solve is for p only) */
    double target_share;        /**< LSCP: covered share to reach, in (0, 1] */
    uint32_t max_sites;         /**< LSCP: at most this many sites (0: no limit) */
    bool exact;                 /**< also solve the integer programme with GLPK (refused with
                                     CC_ERR_LIMIT above exact_max_nonzeros) */
    double time_limit_s;        /**< limit for the exact solve; 0: 600 s. When it is reached the
                                     best solution and bound found so far are returned */
    size_t exact_max_nonzeros;  /**< size limit of the integer programme; 0: 2,000,000 */
    size_t lp_max_nonzeros;     /**< size up to which the LP relaxation is solved for the bound
                                     when the Lagrangian leaves a gap; 0: 100,000
                                     (a tenth of it for the p-median LP) */
    int lagrange_iterations;    /**< subgradient iterations; 0: 400; < 0: none */
    double gap_tolerance;       /**< stop improving the bound below this relative gap; 0: 1e-4 */
    /* MEXCLP (@since 0.5): p is the number of ambulances; inst->covered, extra_covered_weight,
     * area limits and curve_to are not read */
    double busy_fraction;       /**< MEXCLP: q in (0, 1), the share of time an ambulance is out */
    uint32_t max_per_station;   /**< MEXCLP: at most this many new ambulances at one candidate (0: p) */
    const uint32_t *base_count; /**< MEXCLP: per demand point, existing ambulances within reach (NULL: none) */
    double capacity_persons;    /**< CMCLP: persons one new site can serve, when inst->capacity is NULL
                                     (@since 0.5) */
    /* DSM (@since 0.5): p ambulances (p, max_per_station: 0 = 2, base_count: existing ambulances within
     * r1); inst->time_ms is required (pairs at or below outer_ms reach within r2, at or below inner_ms
     * within r1); inst->covered, area limits and curve_to are not read */
    uint32_t inner_ms, outer_ms; /**< DSM: the standards r1 < r2, ms */
    double alpha;               /**< DSM: share of the population to cover within r1, in [0, 1] */
    const uint32_t *base_count_outer; /**< DSM: per demand point, existing ambulances within r2 (NULL: none) */
    long auto_exact_nonzeros;   /**< DSM: solve exactly with GLPK when the merged programme has at most
                                     this many non-zeros (0: 20,000; < 0: only when parameter exact) */
} cc_site_params;

/** A solution. Times in seconds, populations in persons. */
typedef struct cc_site_solution {
    cc_site_model model;
    uint32_t n_sites;
    const uint32_t *sites;      /**< chosen candidates in rank order: each adds the most to the
                                     ones ranked before it */
    const double *site_gain;    /**< per rank: MCLP/LSCP persons newly covered; p-median and
                                     p-centre: person-seconds of travel saved */
    double objective;           /**< MCLP: covered population (existing + new); LSCP: sites;
                                     p-median: mean time, s; p-centre: worst time, s */
    double bound;               /**< upper bound (MCLP) or lower bound (others) on the optimum */
    double gap;                 /**< relative gap: MCLP (bound - objective) / (objective - covered
                                     before); others (objective - bound) / objective; 0 = proven */
    bool proven_optimal;
    const char *bound_method;   /**< "lagrangian", "lp", "greedy-submodular", "mip", "trivial",
                                     "capacity" (CMCLP: the p largest capacities) */
    double covered_before;      /**< coverage models: population covered by existing facilities */
    double covered_share;       /**< coverage models: objective / total weight */
    double total_weight;
    bool feasible;              /**< LSCP: the target can be reached (false: sites = best effort) */
    double best_share;          /**< LSCP: the largest covered share reachable under the constraints
                                     (of the greedy answer; the bound is best_share_bound) */
    double best_share_bound;    /**< LSCP: no choice of sites covers more than this share */
    double unreachable_weight;  /**< coverage models: population that is not covered and that no
                                     candidate reaches; time models: population at the radius */
    double p90_s;               /**< time models: population-weighted 90th percentile time, s */
    uint32_t n_curve;           /**< points of the curve: index k is k + 1 sites */
    const double *curve_objective; /**< objective for k + 1 sites (LSCP: covered share of the first
                                        k + 1 ranked sites) */
    const double *curve_bound;  /**< bound for k + 1 sites (LSCP: NaN) */
    double objective_greedy;    /**< objective of the greedy answer, before local search */
    uint32_t demand_classes;    /**< demand points after merging identical ones */
    uint64_t pairs_reduced;     /**< pairs after reduction */
    double t_reduce_s, t_heuristic_s, t_bound_s, t_exact_s, t_total_s;
    int swaps;                  /**< improving swaps made by the local search */
    int lagrange_iterations;    /**< subgradient iterations run */
    /* MEXCLP (@since 0.5): objective and bound are expected covered persons, covered_before the
     * expected coverage of the existing ambulances, covered_share the share within reach of at
     * least one ambulance; sites are the stations that receive ambulances, ranked */
    const uint32_t *site_count; /**< MEXCLP: new ambulances at each ranked site; NULL for other models */
    double covered_once;        /**< MEXCLP: population within reach of one or more ambulances (after) */
    double covered_twice_before, covered_twice; /**< MEXCLP: within reach of two or more ambulances */
    /* CMCLP (@since 0.5): objective = covered_before + persons the new sites serve (maximum flow);
     * covered_share = share within reach of an existing or new site, capacity ignored; gap as MCLP */
    const double *site_served;  /**< CMCLP: persons each ranked site serves; NULL for other models */
    double unserved_within;     /**< CMCLP: persons within reach of a new or capacitated existing site
                                     but beyond the capacities; CPMEDIAN: persons left at the radius
                                     although an open site reaches them (capacities used up) */
    /* CPMEDIAN (@since 0.5): objective, bound mean times (s) with the assignment that respects the
     * capacities; covered_before is the mean time before (the capacitated existing facilities
     * respecting theirs); site_served the persons assigned to each ranked site; site_gain
     * person-seconds saved; p90_s and unreachable_weight of the assignment */
    bool local_search_skipped;  /**< CMCLP: the swap search stopped at its budget of 3,000 flow
                                     evaluations (the answer may improve on a smaller instance) */
    /* DSM (@since 0.5): objective and bound are persons within r1 of two or more ambulances (existing
     * included), covered_before/covered_once persons within r1 before/after, covered_twice(_before) as
     * MEXCLP; feasible = both standards met; when not, objective is that of the best plan found, bound
     * and gap are NaN, best_share is its share within r1 and best_share_bound an upper bound on any
     * plan's share within r1 (with the r2 standard when it can be met); site_count as MEXCLP */
    double outer_before, outer_after; /**< DSM: persons within r2 of an ambulance */
    double outer_reachable;     /**< DSM: persons within r2 of an existing or candidate station (the r2
                                     standard applies to them) */
    bool outer_met, alpha_met;  /**< DSM: every reachable person within r2; share alpha within r1 */
    bool infeasible_proven;     /**< DSM: no plan meets both standards (LP or branch and bound) */
} cc_site_solution;

/** Solve @p inst for @p params.
 *  @param out new solution; caller owns it, free with cc_site_solution_destroy()
 *  @return CC_OK; CC_ERR_PARAM (malformed instance, p = 0, target out of (0,1], demand id out of
 *  range, constraints that no choice of sites can meet: the message says which);
 *  CC_ERR_LIMIT (exact solve requested above the size limit: the message gives the size);
 *  CC_ERR_NOMEM; CC_ERR_INTERRUPTED. Results do not depend on the thread count of @p ctx.
 *  Not thread-safe for one ctx; GLPK is only called from the calling thread. @since 0.1 */
CC_API cc_status cc_site_solve(cc_ctx *ctx, const cc_site_instance *inst, const cc_site_params *params, cc_site_solution **out);

/** Free a solution. NULL is a no-op. Not thread-safe for one object (distinct objects: thread-safe). @since 0.1 */
CC_API void cc_site_solution_destroy(cc_site_solution *s);

/* ---- the whole study ------------------------------------------------------------------------- */

/** Options of cc_site_run(). Zero-initialise, then set the inputs (roads, population), the
 *  output folder and a candidate source (candidates, candidate_tiers or candidate_roads). */
typedef struct cc_site_opts {
    cc_inputs in;                /**< inputs (roads, population; facilities for fixed_tiers and
                                      candidate_tiers; admin areas for the per-area limits),
                                      profile, CRS and scenario edits */
    const char *out_dir;         /**< required: output folder (replaced only when the run completes) */
    const char *fixed_tiers;     /**< comma list of tier names whose facilities stay and count as
                                      covering already (e.g. "hospital") */
    const char *candidate_tiers; /**< comma list of tier names whose facilities are upgrade
                                      candidates (e.g. "township_health_centre") */
    const char *candidates;      /**< candidate point layer (any OGR points, or CSV lon/lat) */
    const char *candidate_name_field; /**< name field of @c candidates; default "name" */
    const char *candidate_roads; /**< comma list of road classes along which candidates are
                                      generated, or "all" for every drivable class */
    double spacing_m;            /**< generated candidates: one every spacing_m metres along the
                                      roads (default 1000); none closer than half of it */
    int max_per_area;            /**< at most this many new sites per admin area (<= 0: no limit) */
    int min_per_area;            /**< at least this many new sites per admin area (<= 0: none) */
    const char *exclude;         /**< polygons where no new site may stand */
    cc_site_model model;
    double minutes;              /**< threshold T in minutes (default 30) */
    uint32_t p;                  /**< new sites (MCLP, p-median, p-centre; default 1) */
    uint32_t curve_to;           /**< coverage_curve.csv for p = 1..curve_to (default p) */
    double target_share;         /**< LSCP target share of the population within T (default 0.95) */
    double radius_minutes;       /**< p-median/p-centre: search radius; times are capped here
                                      (default 60, at least T) */
    bool emergency;              /**< emergency-station mode: station -> patient plus dispatch delay */
    double dispatch_minutes;     /**< emergency mode: dispatch delay (default 3; < 0: 0) */
    const char *capable_tiers;   /**< emergency mode, MCLP and LSCP: optimise the emergency chain
                                      (dispatch + station -> patient + on scene + patient -> nearest
                                      facility of these tiers, a comma list) instead of the first leg
                                      (@since 0.5) */
    double on_scene_minutes;     /**< with capable_tiers: time on scene (default 10; < 0: 0) (@since 0.5) */
    uint32_t max_subcentres;     /**< with candidate_tiers: at most this many upgrades (default 2);
                                      with upgrade_tiers: at most this many upgraded facilities */
    const char *upgrade_tiers;   /**< chain MCLP: facilities of these tiers (a comma list) may be
                                      upgraded to capable, at most max_subcentres of them, chosen
                                      jointly with the p stations by solving every upgrade set
                                      (@since 0.5) */
    bool exact;                  /**< also solve exactly with GLPK (refused when too large) */
    double time_limit_s;         /**< for the exact solve, seconds (default 600) */
    size_t exact_max_nonzeros;   /**< largest integer programme the exact solve accepts (0: 2,000,000) */
    size_t max_memory_bytes;     /**< coverage sets larger than this are refused (0: half of RAM) */
    const struct cc_report_opts *report; /**< deliverables (styles in sites.gpkg, project.qgs, maps,
                                              report; as for coverage); NULL: defaults (zh). @since 0.5 */
    /* MEXCLP (model CC_SITE_MEXCLP, @since 0.5): p ambulances at candidate stations; each facility
     * of fixed_tiers holds one ambulance already (DOMAIN.md section 7: one per township centre) */
    double busy_fraction;        /**< MEXCLP: required, in (0, 1): calls per hour x mean service
                                      hours / ambulances (DOMAIN.md: 0.1-0.3 without 120 data) */
    uint32_t max_per_station;    /**< MEXCLP: at most this many new ambulances at one station (0: p) */
    /* capacitated MCLP (model CC_SITE_CMCLP, @since 0.5): each new site serves at most its capacity,
     * people split between sites that reach them; with in.capacity_field, the facilities of
     * fixed_tiers that have a value in it are capacitated too (empty: not capacitated) */
    double capacity_persons;     /**< CMCLP: persons one new site can serve (> 0); facility candidates
                                      take the value of in.capacity_field instead when it is not empty */
    /* double standard model (model CC_SITE_DSM, @since 0.5): minutes is r1 (default 15, DOMAIN.md
     * urban response target), p ambulances, max_per_station (default 2), existing stations as MEXCLP */
    double outer_minutes;        /**< DSM: r2, above minutes (default 30, DOMAIN.md rural response target) */
    double alpha;                /**< DSM: share within r1, in [0, 1] (default 0.95; < 0: 0) */
    unsigned outputs;            /**< what to write besides summary.json and coverage_curve.csv (a robust
                                      study: summary.json, regret.csv and each variant's summary.json and
                                      coverage_curve.csv): CC_OUT_GPKG (sites.gpkg), CC_OUT_REPORT (styles,
                                      project.qgs, maps, HTML reports; needs CC_OUT_GPKG), CC_OUT_SUMMARY
                                      (flags of cc_coverage.h, as cc_coverage_outputs_parse() gives them;
                                      CC_OUT_RASTER and CC_OUT_TABLES are refused); 0: all. @since 0.8 */
} cc_site_opts;

/** One proposed site. */
typedef struct cc_site_pick {
    uint32_t rank;
    const char *name;            /**< facility or candidate name, or "road km ..." */
    const char *source;          /**< "facility", "candidate" or "road" */
    const char *admin;           /**< admin area name or NULL */
    double x, y, lon, lat;
    double gain_persons;         /**< MCLP/LSCP: persons newly within T; NaN for time models */
    double saved_mean_s;         /**< p-median/p-centre: mean travel time saved over the whole
                                      population, seconds; NaN for coverage models */
    double covered_cum;          /**< population within T with this site and those above it */
    double share_cum;
    double served;               /**< population for which this is the nearest facility (within T
                                      for coverage models, within the radius for time models) */
    uint32_t ambulances;         /**< MEXCLP: new ambulances at this station (gain_persons and
                                      covered_cum are then expected persons); 0 for other models
                                      (@since 0.5) */
    double capacity;             /**< CMCLP: persons this site can serve (served is then the persons
                                      assigned to it, gain_persons and covered_cum served persons);
                                      0 for other models (@since 0.5) */
    const char *name_zh;         /**< the name in Chinese for the zh deliverables where it differs (a
                                      road point's "…附近 (lon, lat)" / "道路点 (lon, lat)"); NULL:
                                      use @c name (@since 0.5) */
} cc_site_pick;

/** One point of the coverage curve (p = 1..curve_to, or the LSCP greedy sequence). */
typedef struct cc_site_curve_point {
    uint32_t p;
    double objective, bound, gap, covered, share;
} cc_site_curve_point;

/** Figures of a study (also written to summary.json). */
typedef struct cc_site_result {
    cc_site_model model;
    bool emergency;
    double minutes, radius_minutes, dispatch_minutes;
    bool chain;                  /**< times are the emergency chain (capable_tiers given) (@since 0.5) */
    double on_scene_minutes;     /**< with chain (@since 0.5) */
    /* upgrade_tiers (@since 0.5): the facilities upgraded to capable (ids into the facility file's
     * features, in its order), how many could be, how many upgrade sets were solved, and the best
     * coverage with no upgrade (the same p stations) */
    uint32_t n_upgraded, upgrade_candidates, upgrade_sets;
    const uint32_t *upgraded;
    const char *const *upgraded_names;
    double covered_without_upgrade;
    uint32_t p;
    double population_total, population_no_road_access;
    double covered_before, covered_after;            /**< within T */
    double backup_before, backup_after;              /**< within T of two or more facilities */
    double mean_s_before, mean_s_after;              /**< over population with road access that
                                                          reaches a facility */
    double worst_s_before, worst_s_after, p90_s_before, p90_s_after;
    double unreachable_by_candidates;                /**< not covered, no candidate within T */
    size_t n_picks;
    const cc_site_pick *picks;
    size_t n_curve;
    const cc_site_curve_point *curve;
    const cc_site_solution *solution;                /**< the solver's answer for p */
    uint32_t candidates_total, candidates_facility, candidates_layer, candidates_road;
    uint32_t candidates_dropped_excluded, candidates_dropped_offroad;
    uint32_t fixed_facilities;
    uint64_t pairs;                                  /**< (candidate, demand) pairs stored */
    size_t sets_bytes;                               /**< memory of the coverage sets */
    double bytes_per_pair;
    uint64_t settled_nodes;                          /**< by the coverage-set searches */
    const char *crs_name, *profile_name;
    double t_load_s, t_graph_s, t_snap_s, t_sets_s, t_solve_s, t_curve_s, t_eval_s, t_write_s, t_total_s;
    /* MEXCLP (@since 0.5), from fresh searches (an independent check of the solver) */
    double busy_fraction;
    uint32_t ambulances_existing, ambulances_new;
    double expected_before, expected_after;          /**< expected population served within T */
    double twice_before, twice_after;                /**< within T of two or more ambulances */
    /* CMCLP (@since 0.5) */
    double served_new;                               /**< persons the new sites serve */
    double unserved_within_new;                      /**< within T of a new site (and of no existing
                                                          facility) but beyond the capacities */
    double capacity_new;                             /**< sum of the new sites' capacities */
    /* friction model (@since 0.6): people on impassable cells given the time of the nearest passable cell */
    double population_moved, moved_max_m;
    size_t points_moved;
    /* DSM (@since 0.5), from fresh searches; twice_before/after and ambulances_* as MEXCLP (within r1) */
    double outer_minutes, alpha;
    double outer_before, outer_after;                /**< within r2 of an ambulance */
    double outer_reachable;                          /**< within r2 of an existing or candidate station */
    uint32_t capacitated_existing;                   /**< facilities of fixed_tiers with a capacity
                                                          value (in.capacity_field): they serve at most
                                                          it, in one assignment with the new sites */
    double served_before, served_after;              /**< served within T, capacities respected (the
                                                          uncapacitated existing facilities serve all
                                                          within their reach) */
    /* capacitated p-median (@since 0.5) */
    double cap_mean_s_before, cap_mean_s_after;      /**< mean time (capped at the radius, over people
                                                          with road access), capacities respected */
    double mean_s_blind_after;                       /**< the same mean to the nearest facility,
                                                          capacities ignored (never above cap_mean_s_after) */
    double at_radius_after;                          /**< persons at the radius after (no site took them) */
} cc_site_result;

/** Run a siting study end to end and write sites.gpkg, coverage_curve.csv and summary.json
 *  into @p opts->out_dir (staged: a failed or interrupted run leaves no partial output).
 *  @param out figures; caller owns them, free with cc_site_result_destroy(); may be NULL
 *  @return CC_OK; CC_ERR_PARAM (bad option); CC_ERR_IO; CC_ERR_INPUT; CC_ERR_CRS;
 *  CC_ERR_LIMIT (coverage sets would not fit in memory, or parameter exact on a too large
 *  instance: the message says what to change); CC_ERR_NOMEM; CC_ERR_INTERRUPTED. Thread-safe with one ctx per
 *  thread. @since 0.1 */
CC_API cc_status cc_site_run(cc_ctx *ctx, const cc_site_opts *opts, cc_site_result **out);

/** Free a result. NULL is a no-op. Not thread-safe for one object (distinct objects: thread-safe). @since 0.1 */
CC_API void cc_site_result_destroy(cc_site_result *r);

#ifdef __cplusplus
}
#endif

#endif /* CC_SITE_H */
