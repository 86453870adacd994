/*
 * json_read_internal.h - reading back carecircle's own JSON files (summary.json, scenario.json,
 * manifest.json) as untrusted input: size and depth caps, regular files only, and typed look-ups
 * that fail with one line naming the file and the key ("'DIR/summary.json': <tiers> must be an
 * object, not an array") instead of handing NULL to the caller.
 */
#ifndef CC_JSON_READ_INTERNAL_H
#define CC_JSON_READ_INTERNAL_H

#include <stdbool.h>
#include <stddef.h>

#include <json-c/json.h>

#include "../core/core_internal.h"

/* Largest JSON file read back (bytes) and deepest nesting accepted. */
#define CC__JSON_MAX_BYTES ((size_t)64 << 20)
#define CC__JSON_MAX_DEPTH 64

/* Parse @p path (a regular file, at most CC__JSON_MAX_BYTES) whose top level must be an object.
 * @p what names the file in messages ("summary.json"). On failure *out is NULL and the error is
 * recorded; when @p quiet_missing and the file does not exist, returns CC_ERR_IO without recording. */
cc_status cc__json_load(cc_ctx *ctx, const char *path, bool quiet_missing, json_object **out);
/* Parse @p len bytes of @p text (same checks as cc__json_load; @p path names it in messages). */
cc_status cc__json_parse(cc_ctx *ctx, const char *path, const char *text, size_t len, json_object **out);

/* Typed members of object @p o (named @p where in messages: NULL at the top level, else e.g.
 * "demand"). Absent members: CC_OK with *out untouched when !required, else an error. A member of
 * the wrong type (null included) is always an error, except null for an optional number (carecircle
 * writes null for a figure it could not compute: *out untouched). Numbers must be finite. */
cc_status cc__json_get_obj(cc_ctx *ctx, const char *path, json_object *o, const char *where, const char *key,
                           bool required, json_object **out);
cc_status cc__json_get_arr(cc_ctx *ctx, const char *path, json_object *o, const char *where, const char *key,
                           bool required, json_object **out);
cc_status cc__json_get_str(cc_ctx *ctx, const char *path, json_object *o, const char *where, const char *key,
                           bool required, const char **out);
cc_status cc__json_get_num(cc_ctx *ctx, const char *path, json_object *o, const char *where, const char *key,
                           bool required, double *out);
/* Element @p i of an array as a finite number (@p where names the array). */
cc_status cc__json_idx_num(cc_ctx *ctx, const char *path, json_object *a, const char *where, size_t i, double *out);

/* "an object", "an array", "null", "a number", "a string", "true or false" */
const char *cc__json_type_name(json_object *v);

#endif
