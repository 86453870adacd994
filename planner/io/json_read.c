/* json_read.c - carecircle's own JSON files read back as untrusted input (json_read_internal.h). */
#include <errno.h>
#include <fcntl.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "json_read_internal.h"

const char *cc__json_type_name(json_object *v)
{
    switch (json_object_get_type(v)) {
    case json_type_null: return "null";
    case json_type_boolean: return "true or false";
    case json_type_double:
    case json_type_int: return "a number";
    case json_type_object: return "an object";
    case json_type_array: return "an array";
    case json_type_string: return "a string";
    }
    return "of unknown type";
}

cc_status cc__json_parse(cc_ctx *ctx, const char *path, const char *text, size_t len, json_object **out)
{
    *out = NULL;
    if (len > CC__JSON_MAX_BYTES)
        return cc__fail(ctx, CC_ERR_INPUT, "'%s' is larger than %zu MiB", path, CC__JSON_MAX_BYTES >> 20);
    if (len > (size_t)INT32_MAX) return cc__fail(ctx, CC_ERR_INPUT, "'%s' is too large", path);
    json_tokener *tok = json_tokener_new_ex(CC__JSON_MAX_DEPTH);
    if (!tok) return cc__fail(ctx, CC_ERR_NOMEM, "Out of memory reading '%s'", path);
    json_object *j = json_tokener_parse_ex(tok, text, (int)len);
    enum json_tokener_error e = json_tokener_get_error(tok);
    size_t used = json_tokener_get_parse_end(tok);
    json_tokener_free(tok);
    if (!j || e != json_tokener_success) {
        json_object_put(j);
        if (e == json_tokener_continue || e == json_tokener_success)
            return cc__fail(ctx, CC_ERR_INPUT, "'%s' is not valid JSON: it ends early (truncated?)", path);
        return cc__fail(ctx, CC_ERR_INPUT, "'%s' is not valid JSON: %s near byte %zu", path, json_tokener_error_desc(e),
                        used);
    }
    for (size_t i = used; i < len; i++)
        if (text[i] != ' ' && text[i] != '\n' && text[i] != '\r' && text[i] != '\t') {
            json_object_put(j);
            return cc__fail(ctx, CC_ERR_INPUT, "'%s' is not valid JSON: text after the end at byte %zu", path, i);
        }
    if (!json_object_is_type(j, json_type_object)) {
        cc_status st = cc__fail(ctx, CC_ERR_INPUT, "'%s' must hold a JSON object, not %s", path, cc__json_type_name(j));
        json_object_put(j);
        return st;
    }
    *out = j;
    return CC_OK;
}

cc_status cc__json_load(cc_ctx *ctx, const char *path, bool quiet_missing, json_object **out)
{
    *out = NULL;
    struct stat sb;
    if (stat(path, &sb) != 0) {
        if (quiet_missing && errno == ENOENT) return CC_ERR_IO;
        return cc__fail(ctx, CC_ERR_IO, "Unable to read '%s': %s", path, strerror(errno));
    }
    if (!S_ISREG(sb.st_mode)) return cc__fail(ctx, CC_ERR_INPUT, "'%s' is not a regular file", path);
    if ((size_t)sb.st_size > CC__JSON_MAX_BYTES)
        return cc__fail(ctx, CC_ERR_INPUT, "'%s' is larger than %zu MiB", path, CC__JSON_MAX_BYTES >> 20);
    int fd = open(path, O_RDONLY | O_NONBLOCK | O_CLOEXEC);
    if (fd < 0) return cc__fail(ctx, CC_ERR_IO, "Unable to read '%s': %s", path, strerror(errno));
    if (fstat(fd, &sb) != 0 || !S_ISREG(sb.st_mode) || (size_t)sb.st_size > CC__JSON_MAX_BYTES) {
        close(fd);
        return cc__fail(ctx, CC_ERR_INPUT, "'%s' is not a regular file of at most %zu MiB", path, CC__JSON_MAX_BYTES >> 20);
    }
    size_t cap = (size_t)sb.st_size + 1, n = 0;
    char *buf = malloc(cap);
    if (!buf) {
        close(fd);
        return cc__fail(ctx, CC_ERR_NOMEM, "Out of memory reading '%s'", path);
    }
    for (;;) {
        if (n == cap) break; /* grew while reading: parse what the size promised */
        ssize_t got = read(fd, buf + n, cap - n);
        if (got < 0 && errno == EINTR) continue;
        if (got < 0) {
            int e = errno;
            close(fd);
            free(buf);
            return cc__fail(ctx, CC_ERR_IO, "Unable to read '%s': %s", path, strerror(e));
        }
        if (got == 0) break;
        n += (size_t)got;
    }
    close(fd);
    cc_status st = cc__json_parse(ctx, path, buf, n, out);
    free(buf);
    return st;
}

static cc_status get(cc_ctx *ctx, const char *path, json_object *o, const char *where, const char *key, bool required,
                     json_type want, const char *want_name, json_object **out)
{
    json_object *v;
    if (!o || !json_object_is_type(o, json_type_object) || !json_object_object_get_ex(o, key, &v)) {
        if (!required) return CC_OK;
        return cc__fail(ctx, CC_ERR_INPUT, "'%s' has no <%s%s%s>", path, where ? where : "", where ? "." : "", key);
    }
    json_type t = json_object_get_type(v);
    bool ok = t == want || (want == json_type_double && t == json_type_int);
    if (ok && want == json_type_double && !isfinite(json_object_get_double(v))) ok = false;
    if (!ok)
        return cc__fail(ctx, CC_ERR_INPUT, "'%s': <%s%s%s> must be %s, not %s", path, where ? where : "", where ? "." : "",
                        key, want_name, t == json_type_double ? "a non-finite number" : cc__json_type_name(v));
    *out = v;
    return CC_OK;
}

cc_status cc__json_get_obj(cc_ctx *ctx, const char *path, json_object *o, const char *where, const char *key,
                           bool required, json_object **out)
{
    return get(ctx, path, o, where, key, required, json_type_object, "an object", out);
}

cc_status cc__json_get_arr(cc_ctx *ctx, const char *path, json_object *o, const char *where, const char *key,
                           bool required, json_object **out)
{
    return get(ctx, path, o, where, key, required, json_type_array, "an array", out);
}

cc_status cc__json_get_str(cc_ctx *ctx, const char *path, json_object *o, const char *where, const char *key,
                           bool required, const char **out)
{
    json_object *v = NULL;
    cc_status st = get(ctx, path, o, where, key, required, json_type_string, "a string", &v);
    if (!st && v) *out = json_object_get_string(v);
    return st;
}

cc_status cc__json_get_num(cc_ctx *ctx, const char *path, json_object *o, const char *where, const char *key,
                           bool required, double *out)
{
    json_object *v = NULL;
    if (!required && o && json_object_object_get_ex(o, key, &v) && json_object_is_type(v, json_type_null))
        return CC_OK; /* carecircle writes null for a figure that could not be computed */
    cc_status st = get(ctx, path, o, where, key, required, json_type_double, "a finite number", &v);
    if (!st && v) *out = json_object_get_double(v);
    return st;
}

cc_status cc__json_idx_num(cc_ctx *ctx, const char *path, json_object *a, const char *where, size_t i, double *out)
{
    json_object *v = json_object_array_get_idx(a, i);
    json_type t = json_object_get_type(v);
    if (!v || (t != json_type_double && t != json_type_int) || !isfinite(json_object_get_double(v)))
        return cc__fail(ctx, CC_ERR_INPUT, "'%s': <%s> item %zu must be a finite number, not %s", path, where, i + 1,
                        v && t == json_type_double ? "a non-finite number" : cc__json_type_name(v));
    *out = json_object_get_double(v);
    return CC_OK;
}
