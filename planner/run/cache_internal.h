/*
 * cache_internal.h - the prepared region on disk (issue 19): the roads as read, the population,
 * the graph's topology, its snap index and the population (and, for village points, the
 * travel-time grid) joined to it, in one versioned file that later processes read instead of
 * reading the roads and population and building, snapping and joining again.
 *
 * File layout (all integers in the writer's byte order, which the header records and the reader
 * checks, with the sizes of size_t, double and the join record):
 *   header    magic "CCPREP\r\n", format version, byte-order mark, sizes, section count, the
 *             inputs key (file name) and the topology key it was built for, the file's length,
 *             and a checksum of the header and the section table
 *   table     per section: id, element size, element count, offset (8-byte aligned), checksum
 *   sections  flat arrays, each starting on an 8-byte boundary
 * The file is mapped read-only and every section checked before anything is used; the arrays
 * are then copied into the structs the runs own (cc_roads, cc__demand, cc_graph, ...), since
 * those free their arrays one by one (benchmarks/RESULTS.md gives what the copy costs).
 *
 * A file that cannot be used because it is for other inputs is "not this one" (a debug line);
 * a damaged file (truncated, checksum, version, byte order, inconsistent arrays) gives one
 * warning naming it and is ignored: the run computes afresh and rewrites it.
 */
#ifndef CC_RUN_CACHE_INTERNAL_H
#define CC_RUN_CACHE_INTERNAL_H

#include <stdbool.h>
#include <stddef.h>

#include "inputs_internal.h"

/* The version of the file format; bump it when a section or the meaning of one changes. */
#define CC__PREP_VERSION 1
/* The file name suffix of a prepared region: <inputs key>.ccprep */
#define CC__PREP_SUFFIX ".ccprep"

typedef struct cc__prep cc__prep;

/* Open and check the prepared region @p path for inputs key @p ikey (NULL: any key). *out is
 * NULL when there is no usable file: absent or for other inputs (a debug line on @p ctx), or
 * damaged (one warning naming the file). Only out-of-memory is an error. */
cc_status cc__prep_open(cc_ctx *ctx, const char *path, const char *ikey, cc__prep **out);
/* The same checks on a file already in memory (borrowed, must outlive the result); with
 * !verify_sums the checksums are not compared (fuzzing reaches the structural checks). NULL and
 * the reason in @p why when the buffer cannot be used. */
cc__prep *cc__prep_from_memory(const void *buf, size_t len, bool verify_sums, char *why, size_t n_why);
void cc__prep_close(cc__prep *p);
const char *cc__prep_path(const cc__prep *p);
/* The topology key the file's topology was built for. */
const char *cc__prep_topology_key(const cc__prep *p);

/* Copies of the roads as read and the population (owned by the caller). NULL, or the reason the
 * file cannot be used (the caller warns and computes afresh). */
const char *cc__prep_inputs(const cc__prep *p, cc_roads **roads, cc__demand *dem);
/* Copies of the topology into @p t (graph, snap, djoin and, for village points, grid and gjoin;
 * owned by @p t), for the demand of @p dem. NULL, or the reason the file cannot be used. */
const char *cc__prep_topology(const cc__prep *p, const cc__demand *dem, cc__region *t);

/* Write the prepared region to @p path through a temporary file in the same folder and a
 * rename (concurrent writers of the same file leave one complete file). A failure is one
 * warning; the run goes on. @p bytes: the file's size when written (may be NULL). */
bool cc__prep_write(cc_ctx *ctx, const char *path, const char *ikey, const char *tkey, const cc_roads *roads, const cc__demand *dem,
                    const cc__region *t, size_t *bytes);

#endif
