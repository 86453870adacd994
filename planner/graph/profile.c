/*
 * profile.c - speed profile parsing (YAML through libyaml) and speed look-up.
 *
 * The profile maps a road class to km/h. A way's speed is class speed x surface multiplier,
 * optionally capped at its posted maxspeed. Classes listed in not_drivable, or absent from
 * speeds_kmh, are not drivable; the second case is "unknown" and reported by the graph
 * builder with counts.
 */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "../core/yaml_internal.h"
#include "graph_internal.h"

void cc_profile_destroy(cc_profile *p)
{
    if (!p) return;
    for (size_t i = 0; i < p->n_classes; i++) free(p->class_name[i]);
    for (size_t i = 0; i < p->n_blocked; i++) free(p->blocked[i]);
    for (size_t i = 0; i < p->n_surfaces; i++) free(p->surface_name[i]);
    for (size_t i = 0; i < p->n_lc; i++) free(p->lc_name[i]);
    for (size_t i = 0; i < p->n_acc; i++) free(p->acc[i]);
    CC__FREE_ALL(p->class_name, p->class_kmh, p->blocked, p->surface_name, p->surface_mult, p->lc_name, p->lc_kmh, p->acc, p->name,
                 p->description, p);
}

const char *cc_profile_get_name(const cc_profile *p) { return p->name; }
const char *cc_profile_get_description(const cc_profile *p) { return p->description; }
double cc_profile_get_offroad_speed_kmh(const cc_profile *p) { return p->offroad_kmh; }
double cc_profile_get_max_snap_m(const cc_profile *p) { return p->max_snap_m; }
double cc__profile_ferry_kmh(const cc_profile *p) { return p->ferry_kmh; }
double cc__profile_ferry_wait_min(const cc_profile *p) { return p->ferry_wait_min; }
bool cc_profile_honours_oneway(const cc_profile *p) { return p->oneway_honour; }

double cc_profile_get_max_speed_kmh(const cc_profile *p)
{
    double v = 0.0, m = 1.0;
    for (size_t i = 0; i < p->n_classes; i++)
        if (p->class_kmh[i] > v) v = p->class_kmh[i];
    for (size_t i = 0; i < p->n_surfaces; i++)
        if (p->surface_mult[i] > m) m = p->surface_mult[i];
    return v * m;
}

static const char *const profile_keys[] = {"name", "description", "speeds_kmh", "not_drivable",
                                           "surface_multipliers", "maxspeed", "oneway",
                                           "offroad_speed_kmh", "max_snap_m", "landcover_kmh",
                                           "access_controlled", "ferry_kmh", "ferry_wait_min", NULL};

/* Read a mapping of name -> number into parallel arrays. */
static cc_status read_number_map(cc_ctx *ctx, cc__yaml *y, yaml_node_t *map, const char *what,
                                 double lo, double hi, char ***names, double **vals, size_t *n)
{
    if (map->type != YAML_MAPPING_NODE)
        return cc__yaml_fail(ctx, y, map, CC_ERR_INPUT, "<%s> must be a mapping of names to numbers", what);
    size_t cap = (size_t)(map->data.mapping.pairs.top - map->data.mapping.pairs.start);
    *names = cc__calloc_array(cap, sizeof(char *));
    *vals = cc__calloc_array(cap, sizeof(double));
    *n = 0;
    if (!*names || !*vals) return cc__fail(ctx, CC_ERR_NOMEM, "Out of memory reading profile");
    for (yaml_node_pair_t *pr = map->data.mapping.pairs.start; pr < map->data.mapping.pairs.top; pr++) {
        yaml_node_t *kn = yaml_document_get_node(&y->doc, pr->key);
        yaml_node_t *vn = yaml_document_get_node(&y->doc, pr->value);
        const char *k = cc__yaml_scalar(kn);
        if (!k || !*k) return cc__yaml_fail(ctx, y, kn, CC_ERR_INPUT, "Keys of <%s> must be non-empty strings", what);
        for (size_t i = 0; i < *n; i++)
            if (strcmp((*names)[i], k) == 0)
                return cc__yaml_fail(ctx, y, kn, CC_ERR_INPUT, "<%s> appears twice in <%s>", k, what);
        char key[160];
        snprintf(key, sizeof(key), "%s.%s", what, k);
        double v;
        cc_status st = cc__yaml_number(ctx, y, vn, key, lo, hi, &v);
        if (st) return st;
        if (!((*names)[*n] = cc__strdup(k))) return cc__fail(ctx, CC_ERR_NOMEM, "Out of memory reading profile");
        (*vals)[(*n)++] = v;
    }
    return CC_OK;
}

static cc_status read_string_list(cc_ctx *ctx, cc__yaml *y, yaml_node_t *seq, const char *what,
                                  char ***out, size_t *n)
{
    if (seq->type != YAML_SEQUENCE_NODE)
        return cc__yaml_fail(ctx, y, seq, CC_ERR_INPUT, "<%s> must be a list of names", what);
    size_t cap = (size_t)(seq->data.sequence.items.top - seq->data.sequence.items.start);
    *out = cc__calloc_array(cap, sizeof(char *));
    *n = 0;
    if (!*out) return cc__fail(ctx, CC_ERR_NOMEM, "Out of memory reading profile");
    for (yaml_node_item_t *it = seq->data.sequence.items.start; it < seq->data.sequence.items.top; it++) {
        yaml_node_t *in = yaml_document_get_node(&y->doc, *it);
        const char *s = cc__yaml_scalar(in);
        if (!s || !*s) return cc__yaml_fail(ctx, y, in, CC_ERR_INPUT, "Items of <%s> must be non-empty strings", what);
        if (!((*out)[(*n)++] = cc__strdup(s))) return cc__fail(ctx, CC_ERR_NOMEM, "Out of memory reading profile");
    }
    return CC_OK;
}

cc_status cc_profile_parse(cc_ctx *ctx, const char *text, size_t len, const char *source, cc_profile **out)
{
    cc__yaml y;
    cc_status st;
    *out = NULL;
    if ((st = cc__yaml_load(ctx, text, len, source, &y)) == CC_OK) st = cc__profile_from_node(ctx, &y, cc__yaml_root(&y), source, out);
    cc__yaml_free(&y);
    return st;
}

/* The profile held by mapping @p root of an already loaded document (a profile file, or a
 * profile written inline in a scenario file); messages carry the document's positions. */
cc_status cc__profile_from_node(cc_ctx *ctx, cc__yaml *yp, yaml_node_t *root, const char *source, cc_profile **out)
{
    static const char *const on_off_max[] = {"ignore", "cap", NULL};
    static const char *const on_off_oneway[] = {"honour", "ignore", NULL};
    cc__yaml *y = yp;
    cc_status st;
    cc_profile *p = NULL;
    yaml_node_t *n;

    *out = NULL;
    if ((st = cc__yaml_check_map(ctx, y, root, profile_keys, "profile"))) goto out;
    st = CC_ERR_NOMEM;
    if (!(p = calloc(1, sizeof(*p)))) {
        st = cc__fail(ctx, CC_ERR_NOMEM, "Out of memory reading profile");
        goto out;
    }
    p->oneway_honour = true;
    p->offroad_kmh = 5.0;
    p->max_snap_m = 2000.0;
    p->ferry_kmh = 5.0;       /* geohealthaccess travel-speeds.json (DOMAIN.md §3a) */
    p->ferry_wait_min = 60.0; /* an assumption (no published figure): one hour to board */

    n = cc__yaml_get(y, root, "name");
    if (n && !cc__yaml_scalar(n)) {
        st = cc__yaml_fail(ctx, y, n, CC_ERR_INPUT, "<name> must be a string");
        goto out;
    }
    p->name = cc__strdup(n ? cc__yaml_scalar(n) : source);
    n = cc__yaml_get(y, root, "description");
    p->description = cc__strdup(n && cc__yaml_scalar(n) ? cc__yaml_scalar(n) : "");
    if (!p->name || !p->description) {
        st = cc__fail(ctx, CC_ERR_NOMEM, "Out of memory reading profile");
        goto out;
    }

    if (!(n = cc__yaml_get(y, root, "speeds_kmh"))) {
        st = cc__yaml_fail(ctx, y, root, CC_ERR_INPUT, "Missing required key <speeds_kmh>");
        goto out;
    }
    if ((st = read_number_map(ctx, y, n, "speeds_kmh", 0.0, 300.0, &p->class_name, &p->class_kmh, &p->n_classes)))
        goto out;
    for (size_t i = 0; i < p->n_classes; i++) {
        if (p->class_kmh[i] <= 0) {
            st = cc__yaml_fail(ctx, y, n, CC_ERR_INPUT,
                               "Speed of <%s> must be above 0 km/h (list the class under not_drivable instead)",
                               p->class_name[i]);
            goto out;
        }
    }
    if ((n = cc__yaml_get(y, root, "not_drivable"))) {
        if ((st = read_string_list(ctx, y, n, "not_drivable", &p->blocked, &p->n_blocked))) goto out;
        for (size_t i = 0; i < p->n_blocked; i++)
            for (size_t j = 0; j < p->n_classes; j++)
                if (strcmp(p->blocked[i], p->class_name[j]) == 0) {
                    st = cc__yaml_fail(ctx, y, n, CC_ERR_INPUT, "Class <%s> is both in speeds_kmh and in not_drivable",
                                       p->blocked[i]);
                    goto out;
                }
    }
    if ((n = cc__yaml_get(y, root, "surface_multipliers")) &&
        (st = read_number_map(ctx, y, n, "surface_multipliers", 0.01, 2.0, &p->surface_name, &p->surface_mult,
                              &p->n_surfaces)))
        goto out;
    if ((n = cc__yaml_get(y, root, "maxspeed"))) {
        int c;
        if ((st = cc__yaml_choice(ctx, y, n, "maxspeed", on_off_max, &c))) goto out;
        p->maxspeed_cap = (c == 1);
    }
    if ((n = cc__yaml_get(y, root, "oneway"))) {
        int c;
        if ((st = cc__yaml_choice(ctx, y, n, "oneway", on_off_oneway, &c))) goto out;
        p->oneway_honour = (c == 0);
    }
    if ((n = cc__yaml_get(y, root, "offroad_speed_kmh")) &&
        (st = cc__yaml_number(ctx, y, n, "offroad_speed_kmh", 0.1, 50.0, &p->offroad_kmh)))
        goto out;
    if ((n = cc__yaml_get(y, root, "max_snap_m")) &&
        (st = cc__yaml_number(ctx, y, n, "max_snap_m", 0.0, 100000.0, &p->max_snap_m)))
        goto out;
    if ((n = cc__yaml_get(y, root, "landcover_kmh")) &&
        (st = read_number_map(ctx, y, n, "landcover_kmh", 0.0, 50.0, &p->lc_name, &p->lc_kmh, &p->n_lc)))
        goto out;
    if ((n = cc__yaml_get(y, root, "access_controlled")) && (st = read_string_list(ctx, y, n, "access_controlled", &p->acc, &p->n_acc)))
        goto out;
    if ((n = cc__yaml_get(y, root, "ferry_kmh")) && (st = cc__yaml_number(ctx, y, n, "ferry_kmh", 0.1, 200.0, &p->ferry_kmh))) goto out;
    if ((n = cc__yaml_get(y, root, "ferry_wait_min")) &&
        (st = cc__yaml_number(ctx, y, n, "ferry_wait_min", 0.0, 100000.0, &p->ferry_wait_min)))
        goto out;
    *out = p;
    p = NULL;
    st = CC_OK;
out:
    cc_profile_destroy(p);
    return st;
}

double cc_profile_speed_kmh(const cc_profile *p, const char *road_class, const char *surface,
                            double maxspeed_kmh, bool *known)
{
    double v = 0.0;
    if (known) *known = false;
    if (!road_class) return 0.0;
    for (size_t i = 0; i < p->n_blocked; i++)
        if (strcmp(p->blocked[i], road_class) == 0) {
            if (known) *known = true;
            return 0.0;
        }
    for (size_t i = 0; i < p->n_classes; i++)
        if (strcmp(p->class_name[i], road_class) == 0) {
            v = p->class_kmh[i];
            if (known) *known = true;
            break;
        }
    if (v <= 0.0) return 0.0;
    if (surface)
        for (size_t i = 0; i < p->n_surfaces; i++)
            if (strcmp(p->surface_name[i], surface) == 0) {
                v *= p->surface_mult[i];
                break;
            }
    if (p->maxspeed_cap && maxspeed_kmh > 0.0 && maxspeed_kmh < v) v = maxspeed_kmh;
    return v;
}

cc_status cc_profile_scale_class(cc_ctx *ctx, cc_profile *p, const char *road_class, double factor)
{
    if (!(factor > 0.0) || factor > 10.0)
        return cc__fail(ctx, CC_ERR_PARAM, "Speed factor must be above 0 and at most 10, got %g", factor);
    bool found = false;
    for (size_t i = 0; i < p->n_classes; i++)
        if (!road_class || strcmp(p->class_name[i], road_class) == 0) {
            p->class_kmh[i] *= factor;
            found = true;
        }
    if (!found)
        return cc__fail(ctx, CC_ERR_PARAM, "Profile <%s> has no drivable class <%s>", p->name, road_class);
    return CC_OK;
}

/* OpenStreetMap's surface values, by family (wiki "Key:surface"). */
static const char *const unpaved_family[] = {"unpaved", "compacted", "fine_gravel", "gravel", "shells", "rock", "pebblestone",
                                             "ground", "dirt", "earth", "grass", "grass_paver", "metal_grid", "mud", "sand",
                                             "woodchips", "snow", "ice", "salt", NULL};
static const char *const paved_family[] = {"paved", "asphalt", "chipseal", "concrete", "concrete:lanes", "concrete:plates",
                                           "paving_stones", "paving_stones:lanes", "grass_paver", "sett", "unhewn_cobblestone",
                                           "cobblestone", "bricks", "metal", "wood", "stepping_stones", "rubber", "tiles", NULL};

static cc_status scale_one_surface(cc_ctx *ctx, cc_profile *p, const char *surface, double factor)
{
    for (size_t i = 0; i < p->n_surfaces; i++)
        if (strcmp(p->surface_name[i], surface) == 0) {
            p->surface_mult[i] *= factor;
            return CC_OK;
        }
    char **names = cc__realloc_array(p->surface_name, p->n_surfaces + 1, sizeof(char *));
    if (names) p->surface_name = names;
    double *mult = cc__realloc_array(p->surface_mult, p->n_surfaces + 1, sizeof(double));
    if (mult) p->surface_mult = mult;
    if (!names || !mult || !(p->surface_name[p->n_surfaces] = cc__strdup(surface)))
        return cc__fail(ctx, CC_ERR_NOMEM, "Out of memory scaling surface speeds");
    p->surface_mult[p->n_surfaces++] = factor;
    return CC_OK;
}

cc_status cc_profile_scale_surface(cc_ctx *ctx, cc_profile *p, const char *surface, double factor)
{
    if (!(factor > 0.0) || factor > 10.0)
        return cc__fail(ctx, CC_ERR_PARAM, "Speed factor must be above 0 and at most 10, got %g", factor);
    if (!surface || !*surface) return cc__fail(ctx, CC_ERR_PARAM, "Surface name is empty");
    const char *const *family = !strcmp(surface, "unpaved") ? unpaved_family : !strcmp(surface, "paved") ? paved_family : NULL;
    if (!family) return scale_one_surface(ctx, p, surface, factor);
    cc_status st = CC_OK;
    for (size_t i = 0; family[i] && !st; i++) st = scale_one_surface(ctx, p, family[i], factor);
    return st;
}

double cc__profile_class_kmh(const cc_profile *p, const char *cls, bool *known)
{
    *known = false;
    if (!cls) return 0.0;
    for (size_t i = 0; i < p->n_blocked; i++)
        if (strcmp(p->blocked[i], cls) == 0) {
            *known = true;
            return 0.0;
        }
    for (size_t i = 0; i < p->n_classes; i++)
        if (strcmp(p->class_name[i], cls) == 0) {
            *known = true;
            return p->class_kmh[i];
        }
    return 0.0;
}

double cc__profile_surface_mult(const cc_profile *p, const char *surface)
{
    if (surface)
        for (size_t i = 0; i < p->n_surfaces; i++)
            if (strcmp(p->surface_name[i], surface) == 0) return p->surface_mult[i];
    return 1.0;
}

/* Walking speeds by Copernicus (CGLC) land-cover fraction class: the geohealthaccess table
 * (BLSQ/geohealthaccess resources, ../shared/DOMAIN.md §3a [V]); 0 = impassable. */
static const struct {
    const char *name;
    double kmh;
} lc_default[] = {{"BuiltUp", 5.0},   {"Grass", 4.86}, {"MossLichen", 4.86}, {"Tree", 4.0},          {"Bare", 3.0},
                  {"Shrub", 3.0},     {"Crops", 2.5},  {"Snow", 1.62},       {"SeasonalWater", 0.5}, {"PermanentWater", 0.0}};

double cc__profile_landcover_kmh(const cc_profile *p, const char *name)
{
    for (size_t i = 0; i < p->n_lc; i++)
        if (strcmp(p->lc_name[i], name) == 0) return p->lc_kmh[i];
    for (size_t i = 0; i < sizeof(lc_default) / sizeof(lc_default[0]); i++)
        if (strcmp(lc_default[i].name, name) == 0) return lc_default[i].kmh;
    return -1.0;
}

bool cc__profile_access_controlled(const cc_profile *p, const char *cls)
{
    if (!cls) return false;
    if (p->n_acc == 0) return !strcmp(cls, "motorway") || !strcmp(cls, "motorway_link");
    for (size_t i = 0; i < p->n_acc; i++)
        if (strcmp(p->acc[i], cls) == 0) return true;
    return false;
}
