/* write.c - staged output folders, COG, GeoPackage and text writers. */

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <ftw.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cpl_error.h>
#include <json-c/json.h>
#include <cpl_string.h>

#include "write_internal.h"

static int rm_entry(const char *path, const struct stat *sb, int flag, struct FTW *ftw)
{
    (void)sb;
    (void)flag;
    (void)ftw;
    return remove(path);
}

void cc__remove_tree(const char *path)
{
    nftw(path, rm_entry, 16, FTW_DEPTH | FTW_PHYS);
}

/* An existing folder may be replaced when empty or when it holds a carecircle output. */
static bool replaceable(const char *dir)
{
    char p[4200];
    struct stat sb;
    snprintf(p, sizeof(p), "%s/summary.json", dir);
    if (stat(p, &sb) == 0) return true;
    snprintf(p, sizeof(p), "%s/.carecircle", dir);
    if (stat(p, &sb) == 0) return true;
    DIR *d = opendir(dir);
    if (!d) return false;
    struct dirent *e;
    bool empty = true;
    while ((e = readdir(d)))
        if (strcmp(e->d_name, ".") && strcmp(e->d_name, "..")) empty = false;
    closedir(d);
    return empty;
}

cc_status cc__stage_begin(cc_ctx *ctx, const char *dir, cc__stage *s)
{
    struct stat sb;
    memset(s, 0, sizeof(*s));
    size_t len = strlen(dir);
    while (len > 1 && dir[len - 1] == '/') len--;
    if (len == 0 || len + 20 >= sizeof(s->final_dir))
        return cc__fail(ctx, CC_ERR_PARAM, "Output folder name '%s' is empty or too long", dir);
    snprintf(s->final_dir, sizeof(s->final_dir), "%.*s", (int)len, dir);
    if (stat(s->final_dir, &sb) == 0) {
        if (!S_ISDIR(sb.st_mode))
            return cc__fail(ctx, CC_ERR_IO, "Output path '%s' exists and is not a folder", s->final_dir);
        if (!replaceable(s->final_dir))
            return cc__fail(ctx, CC_ERR_IO,
                            "Output folder '%s' exists and is not a carecircle output folder; choose a new folder or empty it",
                            s->final_dir);
    }
    snprintf(s->tmp_dir, sizeof(s->tmp_dir), "%s.cc-tmp-XXXXXX", s->final_dir);
    if (!mkdtemp(s->tmp_dir))
        return cc__fail(ctx, CC_ERR_IO, "Unable to create output folder next to '%s': %s", s->final_dir, strerror(errno));
    chmod(s->tmp_dir, 0755);
    char marker[4200];
    FILE *f = fopen(cc__stage_path(s, ".carecircle", marker, sizeof(marker)), "w");
    if (!f) {
        int e = errno;
        rmdir(s->tmp_dir);
        return cc__fail(ctx, CC_ERR_IO, "Unable to write in output folder '%s': %s", s->tmp_dir, strerror(e));
    }
    fputs("carecircle output folder\n", f);
    fclose(f);
    s->active = true;
    return CC_OK;
}

const char *cc__stage_path(const cc__stage *s, const char *name, char *buf, size_t n)
{
    snprintf(buf, n, "%s/%s", s->tmp_dir, name);
    return buf;
}

cc_status cc__stage_commit(cc_ctx *ctx, cc__stage *s)
{
    struct stat sb;
    if (!s->active) return CC_OK;
    if (stat(s->final_dir, &sb) == 0) {
        if (renameat2(AT_FDCWD, s->tmp_dir, AT_FDCWD, s->final_dir, RENAME_EXCHANGE) != 0) {
            /* file systems without RENAME_EXCHANGE: move the old one aside, then rename */
            char old[4200];
            snprintf(old, sizeof(old), "%s.cc-old-%ld", s->final_dir, (long)getpid());
            if (rename(s->final_dir, old) != 0 || rename(s->tmp_dir, s->final_dir) != 0) {
                int e = errno;
                rename(old, s->final_dir);
                return cc__fail(ctx, CC_ERR_IO, "Unable to move outputs into '%s': %s", s->final_dir, strerror(e));
            }
            cc__remove_tree(old);
        } else {
            cc__remove_tree(s->tmp_dir); /* now holds the previous outputs */
        }
    } else if (rename(s->tmp_dir, s->final_dir) != 0) {
        return cc__fail(ctx, CC_ERR_IO, "Unable to move outputs into '%s': %s", s->final_dir, strerror(errno));
    }
    s->active = false;
    return CC_OK;
}

void cc__stage_abort(cc__stage *s)
{
    if (s && s->active) cc__remove_tree(s->tmp_dir);
    if (s) s->active = false;
}

cc_status cc__write_cog(cc_ctx *ctx, const char *path, const cc__grid *grid, int n_bands, float *const *bands,
                        const char *const *band_names, double nodata)
{
    cc_status st = CC_OK;
    GDALDatasetH out = NULL;
    GDALDatasetH mem = cc__mem_dataset(ctx, grid->w, grid->h, grid->gt, grid->wkt);
    if (!mem) return CC_ERR_INTERNAL;
    for (int b = 0; b < n_bands && !st; b++) {
        if ((st = cc__mem_add_band(ctx, mem, GDT_Float32, bands[b]))) break;
        GDALRasterBandH band = GDALGetRasterBand(mem, b + 1);
        GDALSetRasterNoDataValue(band, nodata);
        GDALSetDescription(band, band_names[b]);
        GDALSetRasterUnitType(band, "min");
    }
    cc__gdal_begin(ctx);
    GDALDriverH cog = GDALGetDriverByName("COG");
    const char *opts[] = {"COMPRESS=DEFLATE", "PREDICTOR=YES", "BLOCKSIZE=256", "OVERVIEWS=AUTO", "RESAMPLING=NEAREST",
                          "NUM_THREADS=ALL_CPUS", NULL};
    if (!st && !cog) st = cc__fail(ctx, CC_ERR_INTERNAL, "GDAL has no COG driver");
    if (!st && !(out = GDALCreateCopy(cog, path, mem, FALSE, (char **)opts, cc__gdal_progress, ctx)))
        st = cc__interrupted(ctx) ? cc__fail(ctx, CC_ERR_INTERRUPTED, "Interrupted while writing '%s'", path)
                                  : cc__fail(ctx, CC_ERR_IO, "Unable to write '%s': %s", path, cc__gdal_msg(ctx));
    if (out && cc__gdal_close(out) && !st) st = cc__fail(ctx, CC_ERR_IO, "Unable to finish '%s': %s", path, cc__gdal_msg(ctx));
    GDALClose(mem);
    cc__gdal_end(ctx);
    return st;
}

bool cc__gdal_close(GDALDatasetH ds)
{
    CPLErrorReset();
    GDALClose(ds); /* returns void before GDAL 3.7: read the error state instead */
    return CPLGetLastErrorType() == CE_Failure || CPLGetLastErrorType() == CE_Fatal;
}

GDALDatasetH cc__gpkg_create(cc_ctx *ctx, const char *path)
{
    cc__gdal_init();
    cc__gdal_begin(ctx);
    GDALDriverH drv = GDALGetDriverByName("GPKG");
    GDALDatasetH ds = drv ? GDALCreate(drv, path, 0, 0, 0, GDT_Unknown, NULL) : NULL;
    cc__gdal_end(ctx);
    if (!ds) cc__fail(ctx, CC_ERR_IO, "Unable to create GeoPackage '%s': %s", path, cc__gdal_msg(ctx));
    return ds;
}

OGRLayerH cc__gpkg_layer(cc_ctx *ctx, GDALDatasetH ds, const char *name, OGRwkbGeometryType type, const char *work_wkt,
                         const char *description)
{
    OGRSpatialReferenceH srs = work_wkt ? cc__srs_from_wkt(work_wkt) : NULL;
    char desc[512];
    snprintf(desc, sizeof(desc), "DESCRIPTION=%s", description ? description : "");
    const char *opts[] = {"SPATIAL_INDEX=YES", desc, NULL};
    cc__gdal_begin(ctx);
    OGRLayerH lyr = GDALDatasetCreateLayer(ds, name, srs, type, (char **)opts);
    cc__gdal_end(ctx);
    if (srs) OSRDestroySpatialReference(srs);
    if (!lyr) cc__fail(ctx, CC_ERR_IO, "Unable to create layer <%s>: %s", name, cc__gdal_msg(ctx));
    return lyr;
}

cc_status cc__add_field(cc_ctx *ctx, OGRLayerH lyr, const char *name, OGRFieldType type)
{
    OGRFieldDefnH f = OGR_Fld_Create(name, type);
    OGRErr e = OGR_L_CreateField(lyr, f, TRUE);
    OGR_Fld_Destroy(f);
    if (e != OGRERR_NONE) return cc__fail(ctx, CC_ERR_IO, "Unable to create field <%s>", name);
    return CC_OK;
}

cc_status cc__write_text(cc_ctx *ctx, const char *path, const char *text)
{
    FILE *f = fopen(path, "w");
    if (!f) return cc__fail(ctx, CC_ERR_IO, "Unable to write '%s': %s", path, strerror(errno));
    size_t n = strlen(text);
    size_t w = fwrite(text, 1, n, f);
    int e1 = ferror(f);
    int e2 = fclose(f);
    if (w != n || e1 || e2) return cc__fail(ctx, CC_ERR_IO, "Unable to write '%s': %s", path, strerror(errno ? errno : EIO));
    return CC_OK;
}

json_object *cc__json_num(double v, int decimals)
{
    if (!isfinite(v)) return NULL;
    char buf[64];
    snprintf(buf, sizeof(buf), "%.*f", decimals, v);
    return json_object_new_double_s(v, buf);
}

cc_status cc__write_json(cc_ctx *ctx, const char *path, json_object *j)
{
    return cc__write_text(ctx, path,
                          json_object_to_json_string_ext(j, JSON_C_TO_STRING_PRETTY | JSON_C_TO_STRING_SPACED | JSON_C_TO_STRING_NOSLASHESCAPE));
}
