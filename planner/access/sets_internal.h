/*
 * sets_internal.h - the inputs of the siting models that come from the network: candidate
 * points generated along roads, and coverage sets built by bounded Dijkstra searches.
 */
#ifndef CC_SETS_INTERNAL_H
#define CC_SETS_INTERNAL_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "access_internal.h"
#include "../graph/roads_internal.h"

/* Points along roads: one every spacing_m metres along each arc of the chosen classes (the
 * middles of equal pieces, at least one per arc), arcs of faster roads first, dropping any
 * point closer than min_sep_m to one already kept (so junctions and short town streets do not
 * multiply candidates). Each point lies on its arc: join = (arc, s), off-road leg 0. */
typedef struct cc__road_pts {
    size_t n;
    double *x, *y;
    cc__join *join;
} cc__road_pts;

/* @p classes: comma list of road classes, or "all". Unknown names fail with the list of the
 * drivable classes present. */
cc_status cc__road_candidates(cc_ctx *ctx, const cc_graph *g, const cc_roads *roads, const char *classes, double spacing_m,
                              double min_sep_m, cc__road_pts *out);
void cc__road_pts_free(cc__road_pts *p);

/* Coverage sets: for candidate j, the demand points within limit_ms of it (direction dir:
 * REVERSE = patient -> site, FORWARD = site -> patient), each with its time when asked. */
/* How cc__sets_build searches: AUTO picks the hierarchy for many candidates per node
 * (CC__SETS_CH_MIN_CAND candidates and one per CC__SETS_CH_NODES_PER_CAND nodes or more; measured
 * in benchmarks/RESULTS.md, "Coverage sets on a contraction hierarchy"). Same sets either way. */
typedef enum cc__sets_method { CC__SETS_AUTO = 0, CC__SETS_DIJKSTRA = 1, CC__SETS_CH = 2 } cc__sets_method;
#define CC__SETS_CH_MIN_CAND 256
#define CC__SETS_CH_NODES_PER_CAND 16

/* Contraction hierarchies kept across the coverage-sets builds of several runs (a batch's
 * variants, robust siting's), one per distinct graph (its forward CSR, compared byte for byte:
 * the hierarchy depends on the edge costs, so a speed-factor variant has its own). Thread-safe;
 * a hierarchy is built once while the other runs that need it wait. ch_cache.c. */
/* The hierarchy of @p g: read from the cache folder (cc_ctx_get_cache_dir; <SHA-256 of the
 * graph's forward CSR>.ccch, checked) or built, then kept there for later runs. A file that cannot
 * be used is said in a warning and replaced. */
cc_status cc__ch_obtain(cc_ctx *ctx, const cc_graph *g, cc__ch *out);
typedef struct cc__ch_cache cc__ch_cache;
cc_status cc__ch_cache_create(cc_ctx *ctx, cc__ch_cache **out);
void cc__ch_cache_destroy(cc__ch_cache *c);
/* The hierarchy of @p g, built now or by an earlier call; held until cc__ch_cache_release(). */
cc_status cc__ch_cache_get(cc_ctx *ctx, cc__ch_cache *c, const cc_graph *g, const cc__ch **out);
void cc__ch_cache_release(cc__ch_cache *c, const cc__ch *ch);
/* Hierarchies built, and served to a later call. */
void cc__ch_cache_stats(cc__ch_cache *c, size_t *builds, size_t *hits);

typedef struct cc__sets_opts {
    cc_direction dir;
    uint32_t limit_ms;        /* search bound; times include delay_ms */
    uint32_t delay_ms;        /* added to every time (dispatch delay) */
    const uint32_t *keep_lt;  /* per demand point: keep the pair when time < keep_lt[i]; NULL: all */
    bool store_times;
    cc__sets_method method;   /* AUTO (0) unless a benchmark or test asks */
    cc__ch_cache *ch_cache;   /* where the hierarchy is taken from and kept; NULL: built for the call */
} cc__sets_opts;

typedef struct cc__sets {
    uint32_t n_cand, n_dem;
    uint64_t *first; /* n_cand + 1 */
    uint32_t *dem;
    uint32_t *t_ms;  /* NULL unless store_times */
    uint64_t settled; /* nodes settled by all searches */
    size_t bytes;     /* memory of first, dem and t_ms */
} cc__sets;

/* Bytes one pair needs. */
static inline size_t cc__sets_pair_bytes(const cc__sets_opts *o)
{
    return o->store_times ? 8 : 4;
}

/* Estimated pairs, from a fixed sample of candidates (every k-th). */
cc_status cc__sets_estimate(cc_ctx *ctx, const cc_graph *g, const cc__loc_index *ix, const cc__join *ljoin, const uint32_t *loff,
                            size_t n_dem, const cc__join *cjoin, const uint32_t *coff, size_t n_cand, const cc__sets_opts *o,
                            uint64_t *pairs);

/* Build every set: OpenMP over candidates, one reach workspace per thread, pairs written in
 * per-thread blocks and assembled in candidate order (the result does not depend on the
 * thread count). With the hierarchy (o->method, AUTO by size): a contraction hierarchy of @p g
 * (from o->ch_cache, else built for the call), then cc__sets_build_ch without target selection (the same sets and the
 * same settled count). Reports progress; honours the interrupt flag. */
cc_status cc__sets_build(cc_ctx *ctx, const cc_graph *g, const cc__loc_index *ix, const cc__join *ljoin, const uint32_t *loff,
                         size_t n_dem, const cc__join *cjoin, const uint32_t *coff, size_t n_cand, const cc__sets_opts *o, cc__sets *out);
void cc__sets_free(cc__sets *s);

/* The same sets as cc__sets_build(), pair for pair and in the same order, from many-source
 * searches on the contraction hierarchy @p ch of @p g: candidates in batches of CC__CH_LANES
 * (neighbours in node order), one 16-lane search per batch, then the people of every lane in one
 * walk of the batch's reached nodes (cc__reach_lanes_run: cc__reach's lists); a first pass over
 * the batches counts the pairs, a second writes them into place. @p restrict_targets: the searches skip the nodes not above a located arc's end
 * (RPHAST); out->settled then counts the nodes processed, else (as cc__sets_build) the nodes
 * within the limit of each candidate. */
cc_status cc__sets_build_ch(cc_ctx *ctx, const cc__ch *ch, const cc_graph *g, const cc__loc_index *ix, const cc__join *ljoin,
                            const uint32_t *loff, size_t n_dem, const cc__join *cjoin, const uint32_t *coff, size_t n_cand,
                            const cc__sets_opts *o, bool restrict_targets, cc__sets *out);

/* Everything cc__sets_build() needs, for builders that split the candidates (planner/mpi). */
typedef struct cc__sets_job {
    const cc_graph *g;
    const cc__loc_index *ix;
    const cc__join *ljoin;
    const uint32_t *loff;
    size_t n_dem;
    const cc__join *cjoin;
    const uint32_t *coff;
    size_t n_cand;
    const cc__sets_opts *o;
    uint64_t est_pairs; /* cc__sets_estimate(); 0: not estimated */
    /* another builder of the sets of candidates [j0, j0 + len), the same as it gives them in a
     * whole build (the friction model's searches over cells and roads); NULL: cc__sets_build() on
     * the slices of cjoin and coff */
    cc_status (*slice)(void *user, cc_ctx *ctx, size_t j0, size_t len, cc__sets *out);
    void *slice_user;
} cc__sets_job;

/* A builder of the whole sets that replaces cc__sets_build() when set in the cc_ctx (MPI: each
 * rank searches from its blocks of candidates, rank 0 gathers). It returns the same sets as
 * cc__sets_build() where *root is set; elsewhere *root is false, out is empty and the caller
 * stops after the sets (it neither solves nor writes). */
typedef struct cc__sets_dist {
    cc_status (*build)(const struct cc__sets_dist *d, cc_ctx *ctx, const cc__sets_job *job, cc__sets *out, bool *root);
    void *user;
} cc__sets_dist;

/* A digest of the sets (FNV-1a over counts, ids and times), logged at debug level so that runs
 * can be compared set for set. */
uint64_t cc__sets_digest(const cc__sets *s);

#endif
