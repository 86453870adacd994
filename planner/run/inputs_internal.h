/*
 * inputs_internal.h - one way to load and join the inputs of a run (cc_inputs.h), shared by
 * the coverage, siting and tiled travel-time runs, scenarios (through them) and MPI ranks.
 *
 *   cc__region_load()   profile, roads (+ edits), population, facilities (+ changes), admin areas
 *   cc__region_build()  the graph
 *   cc__region_join()   the snap index; facilities and demand joined to the network
 *   cc__region_grid()   village points only: the working-CRS grid of the travel-time raster
 *
 * A region owns everything it loads; cc__region_free() releases it (also after a failure at
 * any step).
 */
#ifndef CC_RUN_INPUTS_INTERNAL_H
#define CC_RUN_INPUTS_INTERNAL_H

#include <stdbool.h>

#include "carecircle/cc_inputs.h"
#include "../graph/snap_internal.h"
#include "../io/readers_internal.h"

/* How a run loads its inputs. Zero-initialised: the whole population, roads in the CRS of
 * cc_inputs.crs (or the UTM zone of their centre), facilities read when given. */
typedef struct cc__region_opts {
    bool need_facilities;    /* fail when no facility file is given or none joins the network */
    bool read_admin;         /* read cc_inputs.admin when given */
    bool apply_edits;        /* apply cc_inputs.edits (a tiled run refuses them before loading) */
    const char *work_wkt;    /* working CRS given as WKT (tiles); overrides cc_inputs.crs */
    int win[4];              /* raster demand: read only this window (see cc__demand_opts.win) */
    double halo_m;           /* > 0: read the population first, then only the roads crossing its
                              * extent grown by halo_m (an OGR spatial filter); needs work_wkt */
    const cc__facilities *shared_fac; /* facilities read once elsewhere (borrowed; tiles) */
    const cc_profile *shared_profile; /* profile resolved once elsewhere (borrowed; tiles) */
    bool roads_optional;     /* with a friction raster (cc_inputs.offroad.friction) and a population
                              * raster the roads may be left out: r->roads is then an empty network
                              * in the working CRS (cc_inputs.crs, else the UTM zone of the raster's
                              * centre) and cc__region_build() leaves r->graph NULL */
    bool defer_facility_join; /* cc__region_from_pool(): leave r->fjoin NULL when the topology is
                              * shared (the caller joins the facilities, and warns, in its order) */
    cc_roads *pre_roads;     /* roads and population already read (the prepared-region cache): */
    cc__demand *pre_dem;     /* cc__region_load() takes them over (even when it fails) instead of
                              * reading cc_inputs.roads and .population; no halo, no edits */
} cc__region_opts;

typedef struct cc__region {
    const cc_inputs *in;      /* borrowed */
    cc_profile *profile_owned;
    const cc_profile *profile;
    cc_roads *roads;
    cc_graph *graph;          /* NULL until cc__region_build() */
    cc__snap_index *snap;
    cc__demand dem;           /* demand points */
    cc__demand grid;          /* village points: travel-time grid cells (cc__region_grid); else empty */
    cc__facilities fac_own;
    const cc__facilities *fac; /* &fac_own, the shared facilities, or NULL when none were read */
    cc__admin admin;
    bool have_admin;
    cc__join *fjoin, *djoin, *gjoin;
    uint32_t *foff, *doff, *goff;
    size_t fac_joined;        /* facilities within the snap distance of a drivable road */
    /* a region from a pool (prepared.c): what it borrows is not freed with it */
    bool borrowed;            /* dem and admin */
    bool roads_borrowed;      /* roads (no road edits) */
    bool topo_borrowed;       /* snap, djoin, grid, gjoin */
    bool graph_view;          /* graph: costs of its own over a shared topology (cc__graph_cost_view) */
    double t_load_s, t_graph_s, t_snap_s;
} cc__region;

/* The parameters that name a file and the grid resolution, checked before any work: a missing
 * required path fails with CC_ERR_PARAM naming the parameter ("roads", "population",
 * "facilities"). */
cc_status cc__region_check(cc_ctx *ctx, const cc_inputs *in, const cc__region_opts *o);
/* Read everything; the parameters that name a file are checked first (a missing required path
 * fails with CC_ERR_PARAM naming the parameter: "roads", "population", "facilities"). */
cc_status cc__region_load(cc_ctx *ctx, const cc_inputs *in, const cc__region_opts *o, cc__region *r);
/* Build the graph of the loaded roads. With @p allow_empty, a network without a drivable road
 * is not an error: r->graph stays NULL (a tile whose halo holds no road). */
cc_status cc__region_build(cc_ctx *ctx, cc__region *r, bool allow_empty);
/* Build the snap index and join the facilities and the demand points to the network. Warns
 * about facilities off the network; fails when no demand point (or, with need_facilities, no
 * facility) joins it. */
cc_status cc__region_join(cc_ctx *ctx, const cc__region_opts *o, cc__region *r);
/* Village points: cells of the working-CRS grid over the network and the villages at
 * cc_inputs.resolution_m (cc__region_grid_cells() of them), joined to the network. */
double cc__region_grid_cells(const cc__region *r);
cc_status cc__region_grid(cc_ctx *ctx, cc__region *r);
void cc__region_free(cc__region *r);
/* Closures, added roads and replaced ways of in->edits applied to r->roads. */
cc_status cc__region_edit_roads(cc_ctx *ctx, const cc_inputs *in, cc__region *r);
/* Facilities off the network: a warning naming them; none joined is an error with need_facilities. */
cc_status cc__region_check_facilities(cc_ctx *ctx, const cc__region_opts *o, cc__region *r);

/* Regions prepared once and shared by the runs of a batch (prepared.c): the inputs as read and
 * the topology of the graph with its joins, each keyed on a SHA-256 of what shapes it. Runs on
 * several threads take from one pool; what they take is read-only. */
typedef struct cc__region_pool cc__region_pool;
/* The files of the dataset at @p path that its content hash reads (GDAL's file list, sidecars
 * included; an OSM .pbf alone without opening it), or the path alone; CSLDestroy() it. */
char **cc__input_file_list(cc_ctx *ctx, const char *path);
/* SHA-256 digests of input files, remembered for a batch so that each file is read and hashed
 * once however many variants and keys name it (issue 19). Keyed on the path and what stat()
 * says of the file (device, inode, size, modification and change times, nanoseconds); a digest
 * is kept only for a file whose times were at least 2 s old when its reading began (git's
 * "racy" rule: a file rewritten within the same clock tick as it was hashed would otherwise
 * keep its old digest). A rewritten file has a new change time: read and hashed again.
 * Thread-safe. */
typedef struct cc__file_digests cc__file_digests;
cc__file_digests *cc__file_digests_create(void);
void cc__file_digests_destroy(cc__file_digests *d);
/* How many files were hashed, and how many digests were served from the cache. */
void cc__file_digests_stats(const cc__file_digests *d, size_t *hashed, size_t *reused);
/* The SHA-256 digests of those files' bytes, in sorted order, into @p sum (a GChecksum *): what
 * scenario content hashes and the batch's prepared-region keys read. @p cache: digests of the
 * batch (NULL: every file read and hashed). */
typedef struct _GChecksum GChecksum;
cc_status cc__hash_input_files(cc_ctx *ctx, GChecksum *sum, const char *path, cc__file_digests *cache);
/* @p digests: the batch's (borrowed, outlives the pool), NULL: none. */
cc_status cc__region_pool_create(cc_ctx *ctx, cc__file_digests *digests, cc__region_pool **out);
void cc__region_pool_destroy(cc__region_pool *p);
/* Keep prepared regions on disk in folder @p dir too (cache.c): a pool miss looks for
 * <dir>/<key>.ccprep before computing, and what is computed is written there. NULL: no disk
 * cache. With @p write_only the folder is not read (carecircle prepare computes afresh); with
 * @p file the region is written to that file instead of <dir>/<key>.ccprep. */
cc_status cc__region_pool_set_cache(cc_ctx *ctx, cc__region_pool *p, const char *dir, bool write_only, const char *file);
/* The file the pool last read or wrote a prepared region from or to ("" when none), and whether
 * it was read (not computed); its size in bytes. */
const char *cc__region_pool_cache_file(const cc__region_pool *p, bool *read, size_t *bytes);
/* The contraction hierarchies kept with the pool's regions for the coverage sets of its runs
 * (cc__ch_cache, keyed on each graph's costs: a speed-factor variant has its own); NULL for a
 * NULL pool. A run takes them through its cc_ctx (ch_cache). */
struct cc__ch_cache *cc__region_pool_hierarchies(cc__region_pool *p);
/* How many runs took the inputs, and the topology, that an earlier run prepared. */
void cc__region_pool_stats(const cc__region_pool *p, size_t *inputs_reused, size_t *topology_reused);
/* Load, build, join and (village points) grid region @p r through @p pool: what @p in shares
 * with an earlier run is taken from it, the rest made and offered to later runs. *used false
 * (with CC_OK): the pool cannot serve these inputs (a database, a tile, ...), r is empty and the
 * caller loads the usual way. With *used true a failure is the run's, as the usual load
 * would report it. */
cc_status cc__region_from_pool(cc_ctx *ctx, cc__region_pool *pool, const cc_inputs *in, const cc__region_opts *o, cc__region *r,
                               bool *used);

/* The profile of @p in: the loaded one, or the named one (default "ambulance") loaded into
 * *owned, which the caller destroys. */
cc_status cc__inputs_profile(cc_ctx *ctx, const cc_inputs *in, cc_profile **owned, const cc_profile **out);
/* The facilities of @p in, read into the CRS @p work_wkt with the reader options of @p in. */
cc_status cc__inputs_facilities(cc_ctx *ctx, const cc_inputs *in, const char *work_wkt, cc__facilities *out);

/* The grid every raster output of the region is on: the population raster's, or the
 * working-CRS grid of village points. */
static inline const cc__demand *cc__region_cells(const cc__region *r)
{
    return r->dem.is_raster ? &r->dem : &r->grid;
}

/* Indices of the tiers named in the comma list @p list (flag_per_tier[k] = 1); an unknown name
 * fails naming the parameter @p param and the tiers there are. */
cc_status cc__tier_flags(cc_ctx *ctx, const cc__facilities *fac, const char *facilities_path, const char *list, const char *param,
                         uint8_t *flag_per_tier);

#endif
