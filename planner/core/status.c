/* status.c - static descriptions of cc_status values. */
#include "carecircle/cc_status.h"

const char *cc_status_string(cc_status st)
{
    switch (st) {
    case CC_OK: return "success";
    case CC_ERR_PARAM: return "invalid parameter";
    case CC_ERR_IO: return "I/O error";
    case CC_ERR_INPUT: return "unusable input data";
    case CC_ERR_CRS: return "coordinate reference system error";
    case CC_ERR_NOMEM: return "out of memory";
    case CC_ERR_LIMIT: return "job too large";
    case CC_ERR_INTERRUPTED: return "interrupted";
    case CC_ERR_INTERNAL: return "internal error";
    }
    return "unknown status";
}
