/*
 * cc_status.h - status codes returned by every fallible carecircle function.
 *
 * Every fallible call returns a cc_status; CC_OK (0) means success. The human-readable
 * detail of a failure (which file, layer, feature, field or parameter, and what is wrong)
 * is kept in the caller's context and read with cc_ctx_last_error().
 */
#ifndef CC_STATUS_H
#define CC_STATUS_H

#include "cc_api.h"

#ifdef __cplusplus
extern "C" {
#endif

/** Status of a carecircle call. Values are stable: the command-line program maps them to
 *  exit codes (see README.md, "Exit codes"). */
typedef enum cc_status {
    CC_OK = 0,              /**< Success. */
    CC_ERR_PARAM = 1,       /**< An argument or option is out of range or malformed. */
    CC_ERR_IO = 2,          /**< A file could not be opened, read or written. */
    CC_ERR_INPUT = 3,       /**< Input data is unusable: missing field, empty layer, wrong
                                 geometry type, corrupt content, no CRS, negative population. */
    CC_ERR_CRS = 4,         /**< A coordinate reference system is missing or unusable. */
    CC_ERR_NOMEM = 5,       /**< Memory allocation failed. */
    CC_ERR_LIMIT = 6,       /**< The job would not fit in memory or exceeds a hard size limit. */
    CC_ERR_INTERRUPTED = 7, /**< The caller's interrupt flag was raised (SIGINT, SIGTERM). */
    CC_ERR_INTERNAL = 8     /**< A defensive check failed: a bug in carecircle. */
} cc_status;

/** A short static English description of @p st ("invalid parameter", "I/O error", ...).
 *  Never NULL; unknown values give "unknown status". Thread-safe. @since 0.1 */
CC_API const char *cc_status_string(cc_status st);

#ifdef __cplusplus
}
#endif

#endif /* CC_STATUS_H */
