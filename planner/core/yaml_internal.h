/*
 * yaml_internal.h - reading YAML documents through libyaml's document API, with errors that
 * name source:line:column and suggest the closest known key ("did you mean").
 */
#ifndef CC_YAML_INTERNAL_H
#define CC_YAML_INTERNAL_H

#include <stdbool.h>
#include <stddef.h>
#include <yaml.h>

#include "core_internal.h"

typedef struct cc__yaml {
    yaml_document_t doc;
    bool loaded;
    const char *source; /* borrowed: file name for messages */
} cc__yaml;

/* Limits of every YAML file (profiles, scenarios, batches), checked before the document is built. */
#define CC__YAML_MAX_BYTES ((size_t)4 << 20)
#define CC__YAML_MAX_DEPTH 64
#define CC__YAML_MAX_NODES 1000000

/* Parse @p text as one YAML document. Syntax errors become CC_ERR_INPUT with line:column; so do a
 * second document, a key twice in one mapping, and the limits above. */
cc_status cc__yaml_load(cc_ctx *ctx, const char *text, size_t len, const char *source, cc__yaml *y);
void cc__yaml_free(cc__yaml *y);

yaml_node_t *cc__yaml_root(cc__yaml *y);
/* Value of @p key in mapping @p map, or NULL when absent (or map is not a mapping). */
yaml_node_t *cc__yaml_get(cc__yaml *y, yaml_node_t *map, const char *key);
/* The scalar text of @p n, or NULL when @p n is not a scalar. */
const char *cc__yaml_scalar(const yaml_node_t *n);

/* Fail with "source:line:col: message" at node @p n (n may be NULL: no position). */
cc_status cc__yaml_fail(cc_ctx *ctx, const cc__yaml *y, const yaml_node_t *n, cc_status st,
                        const char *fmt, ...) CC__PRINTF(5, 6);

/* Check that @p n is a mapping whose keys are all in @p allowed (NULL-terminated).
 * @p what names the mapping in messages ("profile", "speeds_kmh"). */
cc_status cc__yaml_check_map(cc_ctx *ctx, const cc__yaml *y, yaml_node_t *n,
                             const char *const *allowed, const char *what);

/* Scalar number in [lo, hi]; @p key names it in messages. */
cc_status cc__yaml_number(cc_ctx *ctx, const cc__yaml *y, const yaml_node_t *n, const char *key,
                          double lo, double hi, double *out);

/* Scalar that must be one of @p choices (NULL-terminated); index returned in @p out. */
cc_status cc__yaml_choice(cc_ctx *ctx, const cc__yaml *y, const yaml_node_t *n, const char *key,
                          const char *const *choices, int *out);

/* The closest of @p choices to @p word by edit distance (<= 2 edits, or <= a third of the
 * word), or NULL. */
const char *cc__closest(const char *word, const char *const *choices, size_t n);

#endif
