/* profile_load.c - profiles by built-in name (compiled in from datasets/profiles) or from a file. */
#include <stdlib.h>
#include <string.h>

#include "carecircle/cc_profile.h"
#include "io_internal.h"

/* Generated at build time from the YAML files in datasets/profiles (cmake/embed_profiles.cmake). */
typedef struct cc__builtin_profile {
    const char *name;
    const unsigned char *text;
    size_t len;
} cc__builtin_profile;
extern const cc__builtin_profile cc__builtin_profiles[];
extern const size_t cc__n_builtin_profiles;

const char *const *cc_profile_builtin_names(void)
{
    static const char *const names[] = {"ambulance", "car", "walk", NULL};
    return names;
}

const char *cc_profile_builtin_text(const char *name)
{
    for (size_t i = 0; name && i < cc__n_builtin_profiles; i++)
        if (!strcmp(cc__builtin_profiles[i].name, name)) return (const char *)cc__builtin_profiles[i].text;
    return NULL;
}

static bool looks_like_path(const char *s)
{
    size_t n = strlen(s);
    return strchr(s, '/') || (n > 5 && !strcmp(s + n - 5, ".yaml")) || (n > 4 && !strcmp(s + n - 4, ".yml"));
}

cc_status cc_profile_load(cc_ctx *ctx, const char *name_or_path, cc_profile **out)
{
    *out = NULL;
    if (!name_or_path || !*name_or_path) return cc__fail(ctx, CC_ERR_PARAM, "No profile given");
    if (!looks_like_path(name_or_path)) {
        for (size_t i = 0; i < cc__n_builtin_profiles; i++)
            if (!strcmp(cc__builtin_profiles[i].name, name_or_path)) {
                char src[96];
                snprintf(src, sizeof(src), "<builtin %s>", name_or_path);
                return cc_profile_parse(ctx, (const char *)cc__builtin_profiles[i].text, cc__builtin_profiles[i].len, src, out);
            }
        if (cc__input_check(ctx, name_or_path, "profile")) return CC_ERR_INPUT;
        FILE *f = fopen(name_or_path, "r");
        if (!f)
            return cc__fail(ctx, CC_ERR_PARAM, "Unknown profile <%s>: give ambulance, car, walk or the path of a YAML profile",
                            name_or_path);
        fclose(f);
    }
    char *text;
    size_t len;
    cc_status st = cc__read_text_file(ctx, name_or_path, "profile", &text, &len);
    if (st) return st;
    st = cc_profile_parse(ctx, text, len, name_or_path, out);
    free(text);
    return st;
}
