/*
 * cc_profile.h - speed profiles: road class -> km/h, surface multipliers, maxspeed cap,
 * oneway handling, off-road speed and maximum snap distance.
 *
 * Profiles are YAML files (datasets/profiles/ambulance.yaml is the reference); the three
 * shipped profiles "ambulance" (default), "car" and "walk" are also compiled into the library.
 */
#ifndef CC_PROFILE_H
#define CC_PROFILE_H

#include <stdbool.h>
#include <stddef.h>

#include "cc_api.h"
#include "cc_ctx.h"

#ifdef __cplusplus
extern "C" {
#endif

/** Opaque speed profile; immutable after load apart from cc_profile_scale_class(). */
typedef struct cc_profile cc_profile;

/** Load a profile by built-in name ("ambulance", "car", "walk") or from a YAML file path
 *  (anything containing '/' or ending in .yaml/.yml, or a name that is not built in).
 *  @param out new profile; caller owns it, free with cc_profile_destroy()
 *  @return CC_OK; CC_ERR_IO (file unreadable); CC_ERR_INPUT (syntax, unknown key, wrong
 *  type, out-of-range value, with file:line:column). Thread-safe with one ctx per thread.
 *  @since 0.1 */
CC_API cc_status cc_profile_load(cc_ctx *ctx, const char *name_or_path, cc_profile **out);

/** Parse a profile from YAML text. @p source names it in messages (a path or "<builtin>").
 *  Thread-safe with one ctx per thread. @since 0.1 */
CC_API cc_status cc_profile_parse(cc_ctx *ctx, const char *text, size_t len, const char *source,
                           cc_profile **out);

/** Free a profile. NULL is a no-op. Not thread-safe for one object (distinct objects: thread-safe). @since 0.1 */
CC_API void cc_profile_destroy(cc_profile *p);

/** Profile name (borrowed; valid until the profile is destroyed). Thread-safe (reads only). @since 0.1 */
CC_API const char *cc_profile_get_name(const cc_profile *p);
/** Off-road speed in km/h (> 0). Thread-safe (reads only). @since 0.1 */
CC_API double cc_profile_get_offroad_speed_kmh(const cc_profile *p);
/** Maximum snap distance in metres (>= 0). Thread-safe (reads only). @since 0.1 */
CC_API double cc_profile_get_max_snap_m(const cc_profile *p);
/** Whether oneway tags restrict travel (false for walking). Thread-safe (reads only). @since 0.1 */
CC_API bool cc_profile_honours_oneway(const cc_profile *p);
/** The highest speed any way can get under the profile, km/h: the fastest class times the
 *  largest surface multiplier above 1 (posted maxspeeds only lower speeds). A trip of t hours
 *  on roads stays within this × t km of its start: the halo of tiled runs. Thread-safe (reads only). @since 0.3 */
CC_API double cc_profile_get_max_speed_kmh(const cc_profile *p);

/** Speed in km/h of a way of road class @p road_class with surface @p surface (NULL: none)
 *  and posted @p maxspeed_kmh (<= 0: none). Returns 0 for classes that are not drivable.
 *  @p known (may be NULL) is set false when the class is neither in speeds_kmh nor in
 *  not_drivable, so that callers can report unknown classes. Thread-safe. @since 0.1 */
CC_API double cc_profile_speed_kmh(const cc_profile *p, const char *road_class, const char *surface,
                                   double maxspeed_kmh, bool *known);

/** Multiply the speed of @p road_class (or of every class when NULL) by @p factor > 0, e.g.
 *  0.7 for a rainy season. @return CC_OK or CC_ERR_PARAM. Not thread-safe for one profile (it changes @p p);
 *  thread-safe with one ctx per thread otherwise. @since 0.1 */
CC_API cc_status cc_profile_scale_class(cc_ctx *ctx, cc_profile *p, const char *road_class, double factor);

/** Multiply the speed of ways whose OSM surface is @p surface by @p factor > 0 (at most 10):
 *  surfaces already in the profile's surface_multipliers are multiplied, others are added with
 *  @p factor. "unpaved" and "paved" stand for their whole OpenStreetMap family ("unpaved":
 *  unpaved, compacted, gravel, dirt, ground, earth, grass, mud, sand, ...; "paved": paved,
 *  asphalt, concrete, paving_stones, sett, ...). @return CC_OK, CC_ERR_PARAM, CC_ERR_NOMEM.
 *  Not thread-safe for one profile (it changes @p p); thread-safe with one ctx per thread otherwise. @since 0.2 */
CC_API cc_status cc_profile_scale_surface(cc_ctx *ctx, cc_profile *p, const char *surface, double factor);

/** Names of the built-in profiles, NULL-terminated (static). Thread-safe (pure). @since 0.1 */
CC_API const char *const *cc_profile_builtin_names(void);

/** YAML text of built-in profile @p name (static, NUL-terminated), or NULL. Thread-safe (pure). @since 0.1 */
CC_API const char *cc_profile_builtin_text(const char *name);

/** One-line description of a profile (borrowed). Thread-safe (reads only). @since 0.1 */
CC_API const char *cc_profile_get_description(const cc_profile *p);

#ifdef __cplusplus
}
#endif

#endif /* CC_PROFILE_H */
