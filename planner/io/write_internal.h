/*
 * write_internal.h - writing outputs: a staged output folder that replaces the previous one
 * only when complete, Cloud-Optimised GeoTIFFs, GeoPackage layers, text files.
 */
#ifndef CC_WRITE_INTERNAL_H
#define CC_WRITE_INTERNAL_H

#include "readers_internal.h"

/* Staging: outputs go to a hidden sibling folder "<dir>.cc-tmp-XXXXXX" created at the start;
 * commit swaps it with <dir> (renameat2 RENAME_EXCHANGE, atomic) and removes the old
 * contents; abort removes the staging folder. <dir> must pass cc__out_check (a symbolic link is
 * followed: its target is replaced, the link stays). Staging folders of dead carecircle processes
 * next to <dir> are removed (with a warning). */
typedef struct cc__stage {
    char final_dir[4096];
    char tmp_dir[4160];
    bool active;
} cc__stage;

/* Whether carecircle may write into or replace @p dir: refused up front for "/", the working and
 * home folders (and folders above them), a symbolic link to nothing, a non-folder, and a
 * non-empty folder without carecircle's marker (.carecircle) that is not an earlier carecircle
 * output either. @p resolved: the real path to write (symbolic links followed). */
cc_status cc__out_check(cc_ctx *ctx, const char *dir, char *resolved, size_t n);
/* Write the marker .carecircle (version, command; @p staging: this process id) into @p dir. */
cc_status cc__marker_write(cc_ctx *ctx, const char *dir, bool staging);
/* A name carecircle writes into output folders (summary.json, manifest.json, ...), any case. */
bool cc__is_output_name(const char *name);

/* Whether @p dir is the staging folder of a run in progress in this process. */
bool cc__stage_is_live(const char *dir);

cc_status cc__stage_begin(cc_ctx *ctx, const char *dir, cc__stage *s);
/* Path of @p name inside the staging folder (static per stage buffer is avoided: writes to buf). */
const char *cc__stage_path(const cc__stage *s, const char *name, char *buf, size_t n);
cc_status cc__stage_commit(cc_ctx *ctx, cc__stage *s);
/* Folder @p name inside stage @p s (a robust run's per-variant outputs): created with its marker
 * and counted as live (written in place by cc_report_write) until cc__stage_sub_end(); it moves
 * with the stage. @p sub is never committed or aborted itself. */
cc_status cc__stage_sub(cc_ctx *ctx, const cc__stage *s, const char *name, cc__stage *sub);
void cc__stage_sub_end(cc__stage *sub);
void cc__stage_abort(cc__stage *s);
/* Remove a folder and everything in it (no error: best effort). */
void cc__remove_tree(const char *path);

/* Write bands of float minutes (nodata @p nodata) as a COG with DEFLATE and overviews.
 * @p band_meta: NULL, or per band NULL or one "KEY=VALUE" metadata item of the band (e.g. which
 * band is the headline's, for the report and QGIS). */
cc_status cc__write_cog(cc_ctx *ctx, const char *path, const cc__grid *grid, int n_bands, float *const *bands,
                        const char *const *band_names, const char *const *band_meta, double nodata);

/* GeoPackage helpers. */
GDALDatasetH cc__gpkg_create(cc_ctx *ctx, const char *path);
OGRLayerH cc__gpkg_layer(cc_ctx *ctx, GDALDatasetH ds, const char *name, OGRwkbGeometryType type, const char *work_wkt,
                         const char *description);
cc_status cc__add_field(cc_ctx *ctx, OGRLayerH lyr, const char *name, OGRFieldType type);
/* Close a GeoPackage made with cc__gpkg_create: the spatial indexes of its layers are packed
 * (bulk-loaded, in one transaction) when @p st is CC_OK, then the file is closed; returns @p st,
 * else the first failure (message names @p path). Every GeoPackage with layers from
 * cc__gpkg_layer must be closed with it, or their spatial indexes stay empty. */
cc_status cc__gpkg_close(cc_ctx *ctx, GDALDatasetH ds, const char *path, cc_status st);
/* Write feature @p f (taken: destroyed whatever happens) into @p lyr; a failure names @p layer. */
cc_status cc__gpkg_put(cc_ctx *ctx, OGRLayerH lyr, OGRFeatureH f, const char *layer);

/* Many point features of one fresh layer of cc__gpkg_layer, written straight through GDAL's own
 * SQLite connection (issue 19): rows bound to a prepared multi-row INSERT, so that a layer of a
 * hundred thousand points costs SQLite's inserts and no OGR feature per row (Comoros' 114,113
 * uncovered cells: 0.45 s through OGR_L_CreateFeature). The feature count (gpkg_ogr_contents),
 * the extent (gpkg_contents) and the spatial index come out as GDAL would have written them.
 * Falls back to OGR features when GDAL gives no SQLite handle. Use: open after the fields are
 * created, one put per feature (fids 1, 2, ... in order), close (also after a failure). */
typedef struct cc__gpkg_rows cc__gpkg_rows;
typedef struct cc__gval {
    char kind; /* 0: null (unset), 'i' integer, 'd' real, 's' text (copied) */
    int64_t i;
    double d;
    const char *s;
} cc__gval;
/* The writer in *out (NULL on failure, reported). @p layer names the layer in messages. */
cc_status cc__gpkg_rows_open(cc_ctx *ctx, GDALDatasetH ds, OGRLayerH lyr, const char *layer, cc__gpkg_rows **out);
/* One point (@p x, @p y in the layer's CRS) with the layer's fields in order: @p v holds one value
 * a field, @p nv of them (a count other than the layer's fields is refused). */
cc_status cc__gpkg_rows_put(cc__gpkg_rows *w, double x, double y, const cc__gval *v, int nv);
/* Finish (the last rows, the count, the extent); returns @p st, else the first failure. */
cc_status cc__gpkg_rows_close(cc__gpkg_rows *w, cc_status st);

/* Close a dataset that was written; true when GDAL reported a failure while flushing. */
bool cc__gdal_close(GDALDatasetH ds);

cc_status cc__write_text(cc_ctx *ctx, const char *path, const char *text);

struct _GString;
/* Append @p s (NULL: empty) to CSV text @p g as one field: quoted, quotes doubled, when it holds a
 * comma, a quote or a line break (RFC 4180). */
void cc__csv_field(struct _GString *g, const char *s);

struct json_object;
/* @p v as a JSON number printed with @p decimals decimals; NULL (JSON null) when not finite. */
struct json_object *cc__json_num(double v, int decimals);
/* Write @p j as pretty-printed JSON (slashes unescaped) to @p path; @p j stays the caller's. */
cc_status cc__write_json(cc_ctx *ctx, const char *path, struct json_object *j);

#endif
