/*
 * check.c - the field names a scenario gives (tier_field, facility_name_field, lon_field,
 * lat_field, population_field, admin_name_field, admin_code_field, class_field, speed_field,
 * roads_layer) checked against the layers of its input files when it is loaded, so that
 * `run --check` reports a typo with the position of its key and the fields present, before any
 * work. Only the layer definitions are read (no features). A file that does not open is left to
 * the run, which reports it with the reader's own message.
 */
#include <stdio.h>
#include <string.h>
#include <strings.h>

#include <gdal.h>
#include <ogr_api.h>

#include "../io/io_internal.h"
#include "scenario_internal.h"

#define MAX_FIELDS 256

/* The field names of @p fd, borrowed from it. */
static size_t field_names(OGRFeatureDefnH fd, const char **names)
{
    int nf = OGR_FD_GetFieldCount(fd);
    size_t n = 0;
    for (int i = 0; i < nf && n < MAX_FIELDS; i++) names[n++] = OGR_Fld_GetNameRef(OGR_FD_GetFieldDefn(fd, i));
    return n;
}

/* One problem when the field named by @p f (scenario key @p key) is not in layer @p fd. */
static void check_field(sc_parser *p, OGRFeatureDefnH fd, const char *what, const char *lname, const char *path, const sc_str *f,
                        const char *key)
{
    if (!f->v || OGR_FD_GetFieldIndex(fd, f->v) >= 0) return;
    const char *names[MAX_FIELDS];
    size_t n = field_names(fd, names);
    const char *hint = cc__closest(f->v, names, n);
    char fields[512];
    cc__list_fields(fd, fields, sizeof(fields));
    cc__sc_problem_at(p, &f->pos, "<%s>: %s layer <%s> in '%s' has no field <%s>%s%s%s; its fields are: %s", key, what, lname, path, f->v,
                      hint ? " (did you mean <" : "", hint ? hint : "", hint ? ">?)" : "", fields);
}

static bool is_csv(GDALDatasetH ds)
{
    GDALDriverH drv = GDALGetDatasetDriver(ds);
    return drv && !strcmp(GDALGetDriverShortName(drv), "CSV");
}

static bool has_text_ext(const char *path)
{
    size_t n = strlen(path);
    return n > 4 && (!strcasecmp(path + n - 4, ".csv") || !strcasecmp(path + n - 4, ".shp") || !strcasecmp(path + n - 4, ".dbf"));
}

/* A field parameter to check and its scenario key; csv_only: a coordinate column, which only names
 * something in a CSV file. */
typedef struct field_check {
    const sc_str *f;
    const char *key;
    bool csv_only;
} field_check;

/* Check the fields @p fc name against the first layer of the @p what vector file @p path. */
static void check_layer_fields(sc_parser *p, const char *path, const char *what, const char *encoding, const field_check *fc, size_t n)
{
    char tmp[4096] = "", file_what[64];
    bool is_osm;
    snprintf(file_what, sizeof(file_what), "%s file", what);
    GDALDatasetH ds = cc__open_vector_enc(p->ctx, path, file_what, encoding, NULL, &is_osm, tmp, sizeof(tmp));
    if (!ds) return;
    OGRLayerH lyr = GDALDatasetGetLayer(ds, 0);
    for (size_t i = 0; lyr && i < n; i++)
        if (!fc[i].csv_only || is_csv(ds)) check_field(p, OGR_L_GetLayerDefn(lyr), what, OGR_L_GetName(lyr), path, fc[i].f, fc[i].key);
    cc__close_vector(ds, tmp);
}

static void check_facilities(sc_parser *p, const cc_scenario *s)
{
    if (!s->facilities.v || !(s->tier_field.v || s->facility_name_field.v || s->lon_field.v)) return;
    const field_check fc[] = {{&s->tier_field, "inputs.tier_field", false},
                              {&s->facility_name_field, "inputs.facility_name_field", false},
                              {&s->lon_field, "inputs.lon_field", true},
                              {&s->lat_field, "inputs.lat_field", true}};
    check_layer_fields(p, s->facilities.v, "facility", s->encoding.v, fc, sizeof(fc) / sizeof(fc[0]));
}

static void check_population(sc_parser *p, const cc_scenario *s)
{
    if (!s->population.v || !s->population_field.v) return;
    char tmp[4096] = "";
    GDALDatasetH ds;
    if (has_text_ext(s->population.v)) {
        bool is_osm;
        ds = cc__open_vector_enc(p->ctx, s->population.v, "population file", s->encoding.v, NULL, &is_osm, tmp, sizeof(tmp));
    } else {
        cc__gdal_begin(p->ctx);
        ds = GDALOpenEx(s->population.v, GDAL_OF_RASTER | GDAL_OF_VECTOR | GDAL_OF_READONLY, NULL, NULL, NULL);
        cc__gdal_end(p->ctx);
    }
    if (!ds) return;
    if (GDALGetRasterCount(ds) == 0 && GDALDatasetGetLayerCount(ds) > 0) { /* village points; a raster has no fields */
        OGRLayerH lyr = GDALDatasetGetLayer(ds, 0);
        check_field(p, OGR_L_GetLayerDefn(lyr), "population", OGR_L_GetName(lyr), s->population.v, &s->population_field,
                    "inputs.population_field");
    }
    cc__close_vector(ds, tmp);
}

static void check_admin(sc_parser *p, const cc_scenario *s)
{
    if (!s->admin.v || !(s->admin_name_field.v || s->admin_code_field.v)) return;
    const field_check fc[] = {{&s->admin_name_field, "inputs.admin_name_field", false},
                              {&s->admin_code_field, "inputs.admin_code_field", false}};
    check_layer_fields(p, s->admin.v, "admin area", s->encoding.v, fc, sizeof(fc) / sizeof(fc[0]));
}

static void check_roads(sc_parser *p, const cc_scenario *s)
{
    if (!s->roads.v || !(s->roads_layer.v || s->class_field.v || s->speed_field.v)) return;
    bool is_osm;
    GDALDatasetH ds = cc__open_vector(p->ctx, s->roads.v, "road file", &is_osm);
    if (!ds) return;
    OGRLayerH lyr = NULL;
    if (s->roads_layer.v) {
        if (!(lyr = GDALDatasetGetLayerByName(ds, s->roads_layer.v))) {
            const char *names[MAX_FIELDS];
            char list[512] = "";
            int nl = GDALDatasetGetLayerCount(ds);
            size_t n = 0;
            for (int i = 0; i < nl && n < MAX_FIELDS; i++) {
                names[n] = OGR_L_GetName(GDALDatasetGetLayer(ds, i));
                if (strlen(list) + strlen(names[n]) + 3 < sizeof(list)) {
                    if (n) strcat(list, ", ");
                    strcat(list, names[n]);
                }
                n++;
            }
            const char *hint = cc__closest(s->roads_layer.v, names, n);
            cc__sc_problem_at(p, &s->roads_layer.pos, "<inputs.roads_layer>: road file '%s' has no layer <%s>%s%s%s; its layers are: %s",
                              s->roads.v, s->roads_layer.v, hint ? " (did you mean <" : "", hint ? hint : "", hint ? ">?)" : "",
                              n ? list : "none");
        }
    } else if (is_osm) {
        lyr = GDALDatasetGetLayerByName(ds, "lines");
    } else { /* the reader's choice: the first line layer, else the first layer */
        int nl = GDALDatasetGetLayerCount(ds);
        for (int i = 0; i < nl && !lyr; i++) {
            OGRwkbGeometryType t = wkbFlatten(OGR_L_GetGeomType(GDALDatasetGetLayer(ds, i)));
            if (t == wkbLineString || t == wkbMultiLineString) lyr = GDALDatasetGetLayer(ds, i);
        }
        if (!lyr && nl > 0) lyr = GDALDatasetGetLayer(ds, 0);
    }
    if (lyr) {
        OGRFeatureDefnH fd = OGR_L_GetLayerDefn(lyr);
        check_field(p, fd, "road", OGR_L_GetName(lyr), s->roads.v, &s->class_field, "inputs.class_field");
        check_field(p, fd, "road", OGR_L_GetName(lyr), s->roads.v, &s->speed_field, "inputs.speed_field");
    }
    GDALClose(ds);
}

void cc__scenario_check_fields(sc_parser *p, const cc_scenario *s)
{
    cc_log_fn fn = p->ctx->log_fn;
    p->ctx->log_fn = NULL; /* encoding warnings come again when the run reads the files */
    check_roads(p, s);
    check_facilities(p, s);
    check_population(p, s);
    check_admin(p, s);
    p->ctx->log_fn = fn;
}
