/*
 * encoding.c - text encodings of CSV files and shapefile attribute tables (DBF).
 *
 * Files made in China are often GBK (what Excel and older GIS software write) rather than
 * UTF-8, and a shapefile's DBF rarely says which. Without a declared encoding, the text is
 * checked: valid UTF-8 (with or without a byte-order mark) is read as it is, otherwise text
 * that is well-formed GB18030 (a superset of GBK and GB2312) is decoded with GDAL's
 * CPLRecode, and anything else is read as Latin-1 with one warning. An explicit encoding
 * (parameter encoding) skips the detection. Decoding itself is GDAL's (iconv); only the
 * byte structure is checked here.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include <cpl_conv.h>
#include <cpl_string.h>
#include <cpl_vsi.h>

#include "io_internal.h"

/* Length of the valid UTF-8 sequence at p (1..4), or 0 when the byte there starts none. */
static size_t utf8_seq(const unsigned char *p, const unsigned char *e)
{
    unsigned c = *p, min;
    size_t k;
    if (c < 0x80) return 1;
    if ((c & 0xE0) == 0xC0) k = 1, min = 0x80, c &= 0x1F;
    else if ((c & 0xF0) == 0xE0) k = 2, min = 0x800, c &= 0x0F;
    else if ((c & 0xF8) == 0xF0) k = 3, min = 0x10000, c &= 0x07;
    else return 0;
    if ((size_t)(e - p) <= k) return 0;
    for (size_t j = 1; j <= k; j++) {
        if ((p[j] & 0xC0) != 0x80) return 0;
        c = (c << 6) | (p[j] & 0x3F);
    }
    if (c < min || c > 0x10FFFF || (c >= 0xD800 && c <= 0xDFFF)) return 0;
    return k + 1;
}

/* Length of the well-formed GB18030 sequence at p (1, 2 or 4), or 0. */
static size_t gb_seq(const unsigned char *p, const unsigned char *e)
{
    unsigned c = *p;
    if (c < 0x80) return 1;
    if (c < 0x81 || c > 0xFE || e - p < 2) return 0;
    if ((p[1] >= 0x40 && p[1] <= 0x7E) || (p[1] >= 0x80 && p[1] <= 0xFE)) return 2;
    if (e - p >= 4 && p[1] >= 0x30 && p[1] <= 0x39 && p[2] >= 0x81 && p[2] <= 0xFE && p[3] >= 0x30 && p[3] <= 0x39) return 4;
    return 0;
}

/* Bytes that start no valid sequence (each skipped alone). */
static size_t count_errors(const char *s, size_t n, size_t (*seq)(const unsigned char *, const unsigned char *))
{
    const unsigned char *p = (const unsigned char *)s, *e = p + n;
    size_t bad = 0;
    while (p < e) {
        size_t k = seq(p, e);
        if (!k) bad++, k = 1;
        p += k;
    }
    return bad;
}

bool cc__utf8_valid(const char *s, size_t n)
{
    return count_errors(s, n, utf8_seq) == 0;
}

bool cc__gb18030_valid(const char *s, size_t n)
{
    return count_errors(s, n, gb_seq) == 0;
}

const char *cc__detect_encoding(const char *s, size_t n)
{
    if (cc__utf8_valid(s, n)) return "UTF-8";
    if (cc__gb18030_valid(s, n)) return "GB18030";
    return NULL;
}

/* Text that is neither: UTF-8 when most of its non-ASCII characters are valid UTF-8 (GBK text
 * almost never is), else GB18030; the bytes that do not decode are replaced (U+FFFD for UTF-8,
 * iconv's replacement for GB18030). A new string. */
static char *decode_best(const char *s, size_t n, const char **enc)
{
    const unsigned char *q = (const unsigned char *)s, *qe = q + n;
    size_t multi = 0, bad = 0;
    while (q < qe) {
        size_t k = utf8_seq(q, qe);
        if (!k) bad++, k = 1;
        else multi += k > 1;
        q += k;
    }
    if (bad * 10 > multi) {
        *enc = "GB18030";
        return CPLRecode(s, "GB18030", CPL_ENC_UTF8);
    }
    *enc = "UTF-8";
    const unsigned char *p = (const unsigned char *)s, *e = p + n;
    char *out = CPLMalloc(3 * n + 1), *o = out;
    while (p < e) {
        size_t k = utf8_seq(p, e);
        if (k) {
            memcpy(o, p, k);
            o += k;
            p += k;
        } else {
            memcpy(o, "\xEF\xBF\xBD", 3);
            o += 3;
            p++;
        }
    }
    *o = '\0';
    return out;
}

static bool ends_with(const char *s, const char *suffix)
{
    size_t ls = strlen(s), lx = strlen(suffix);
    return ls >= lx && strcasecmp(s + ls - lx, suffix) == 0;
}

static bool is_utf8_name(const char *enc)
{
    return !strcasecmp(enc, "UTF-8") || !strcasecmp(enc, "UTF8");
}

/* Copy a sidecar (.prj, .csvt) of @p path next to the recoded copy. */
static void copy_sidecar(const char *path, const char *copy, const char *ext)
{
    char src[4096], dst[4096];
    snprintf(src, sizeof(src), "%s", CPLResetExtension(path, ext));
    snprintf(dst, sizeof(dst), "%s", CPLResetExtension(copy, ext));
    VSIStatBufL sb;
    if (VSIStatL(src, &sb) == 0) CPLCopyFile(dst, src);
}

/* A CSV file: read it whole; UTF-8 is opened as it is, anything else is decoded into a
 * /vsimem copy with the same base name (so the layer keeps its name). */
static GDALDatasetH open_csv(cc_ctx *ctx, const char *path, const char *what, const char *encoding, const char *const *oo,
                             char *tmp, size_t ntmp)
{
    static int counter;
    GDALDatasetH ds = NULL;
    const char *drivers[] = {"CSV", NULL};
    GByte *buf = NULL;
    vsi_l_offset len = 0;
    cc__gdal_begin(ctx);
    int ok = VSIIngestFile(NULL, path, &buf, &len, (GIntBig)1 << 30);
    cc__gdal_end(ctx);
    if (!ok) { /* over 1 GiB (or unreadable): GDAL reads it as it is, without detection */
        cc__gdal_begin(ctx);
        ds = GDALOpenEx(path, GDAL_OF_VECTOR | GDAL_OF_READONLY, drivers, oo, NULL);
        cc__gdal_end(ctx);
        if (!ds) cc__fail(ctx, CC_ERR_IO, "Unable to open %s '%s' as CSV: %s", what, path, cc__gdal_msg(ctx));
        return ds;
    }
    const char *text = (const char *)buf;
    size_t n = (size_t)len;
    if (n >= 3 && !memcmp(text, "\xEF\xBB\xBF", 3)) text += 3, n -= 3;
    const char *enc = encoding ? encoding : cc__detect_encoding(text, n);
    char *utf8 = NULL;
    if (!enc) {
        utf8 = decode_best(text, n, &enc);
        cc__warn(ctx, "The text of %s '%s' is neither UTF-8 nor GBK/GB18030; it is read as %s with the characters that do not decode "
                      "replaced, so names may be wrong: give its encoding with parameter encoding",
                 what, path, strcmp(enc, "UTF-8") ? "GBK/GB18030" : "UTF-8");
    }
    cc__gdal_begin(ctx);
    if (!utf8 && is_utf8_name(enc)) {
        ds = GDALOpenEx(path, GDAL_OF_VECTOR | GDAL_OF_READONLY, drivers, oo, NULL);
    } else {
        if (!utf8) {
            if (!encoding) cc__info(ctx, "%s '%s': text decoded from %s", what, path, enc);
            utf8 = CPLRecode(text, enc, CPL_ENC_UTF8);
        }
        int id;
#ifdef _OPENMP
#pragma omp atomic capture
#endif
        id = ++counter;
        snprintf(tmp, ntmp, "/vsimem/carecircle/enc/%d/%s", id, CPLGetFilename(path));
        VSILFILE *f = VSIFOpenL(tmp, "wb");
        if (f) {
            VSIFWriteL(utf8, 1, strlen(utf8), f);
            VSIFCloseL(f);
            copy_sidecar(path, tmp, "prj");
            copy_sidecar(path, tmp, "csvt");
            ds = GDALOpenEx(tmp, GDAL_OF_VECTOR | GDAL_OF_READONLY, drivers, oo, NULL);
        }
        if (!ds) { /* nobody closes a copy that did not open: without this, every failed open left
                    * its decoded copy in /vsimem for the life of the process */
            char dir[4096];
            snprintf(dir, sizeof(dir), "%s", CPLGetPath(tmp));
            VSIRmdirRecursive(dir);
            tmp[0] = '\0';
        }
        CPLFree(utf8);
    }
    cc__gdal_end(ctx);
    VSIFree(buf);
    if (!ds) cc__fail(ctx, CC_ERR_IO, "Unable to open %s '%s' as CSV: %s", what, path, cc__gdal_msg(ctx));
    return ds;
}

/* Concatenated string attributes of a layer read without recoding, to check their encoding. */
static char *layer_text(OGRLayerH lyr, size_t *n)
{
    OGRFeatureDefnH fd = OGR_L_GetLayerDefn(lyr);
    int nf = OGR_FD_GetFieldCount(fd);
    size_t cap = 4096, len = 0;
    char *s = malloc(cap);
    if (!s) return NULL;
    for (int i = 0; i < nf; i++) {
        const char *v = OGR_Fld_GetNameRef(OGR_FD_GetFieldDefn(fd, i));
        size_t k = strlen(v);
        if (len + k + 2 > cap) break;
        memcpy(s + len, v, k);
        len += k;
        s[len++] = '\n';
    }
    OGR_L_ResetReading(lyr);
    OGRFeatureH ft;
    while ((ft = OGR_L_GetNextFeature(lyr))) {
        for (int i = 0; i < nf; i++) {
            if (OGR_Fld_GetType(OGR_FD_GetFieldDefn(fd, i)) != OFTString || !OGR_F_IsFieldSetAndNotNull(ft, i)) continue;
            const char *v = OGR_F_GetFieldAsString(ft, i);
            size_t k = strlen(v);
            if (len + k + 2 > cap) {
                while (len + k + 2 > cap) cap *= 2;
                char *t = realloc(s, cap);
                if (!t) {
                    OGR_F_Destroy(ft);
                    free(s);
                    return NULL;
                }
                s = t;
            }
            memcpy(s + len, v, k);
            len += k;
            s[len++] = '\n';
        }
        OGR_F_Destroy(ft);
    }
    OGR_L_ResetReading(lyr);
    *n = len;
    return s;
}

GDALDatasetH cc__open_vector_enc(cc_ctx *ctx, const char *path, const char *what, const char *encoding, const char *const *csv_oo,
                                 bool *is_osm, char *tmp, size_t ntmp)
{
    tmp[0] = '\0';
    *is_osm = false;
    if (encoding && !*encoding) encoding = NULL;
    if (encoding && !strcasecmp(encoding, "auto")) encoding = NULL;
    /* FIFOs, devices and sockets are refused before anything opens them (issue 15) */
    if (strncmp(path, "PG:", 3) && cc__input_check(ctx, path, what)) return NULL;
    bool is_csv = ends_with(path, ".csv") || ends_with(path, ".tsv") || ends_with(path, ".txt");
    if (strncmp(path, "PG:", 3) && (csv_oo || is_csv)) {
        cc__gdal_init();
        VSIStatBufL sb;
        if (VSIStatL(path, &sb) != 0) {
            cc__fail(ctx, CC_ERR_IO, "Unable to open %s '%s': No such file or directory", what, path);
            return NULL;
        }
        return open_csv(ctx, path, what, encoding, csv_oo ? csv_oo : cc__csv_default_oo, tmp, ntmp);
    }
    bool is_shp = ends_with(path, ".shp") || ends_with(path, ".dbf");
    if (!is_shp) return cc__open_vector(ctx, path, what, is_osm);
    cc__gdal_init();
    VSIStatBufL sb;
    if (VSIStatL(path, &sb) != 0) {
        cc__fail(ctx, CC_ERR_IO, "Unable to open %s '%s': No such file or directory", what, path);
        return NULL;
    }
    const char *drivers[] = {"ESRI Shapefile", NULL};
    char opt[160];
    GDALDatasetH ds = NULL;
    if (encoding) {
        snprintf(opt, sizeof(opt), "ENCODING=%s", encoding);
        const char *oo[] = {opt, NULL};
        cc__gdal_begin(ctx);
        ds = GDALOpenEx(path, GDAL_OF_VECTOR | GDAL_OF_READONLY, drivers, oo, NULL);
        cc__gdal_end(ctx);
    } else {
        /* no declared encoding: GDAL does not recode (StringsAsUTF8 is false); check the text */
        cc__gdal_begin(ctx);
        ds = GDALOpenEx(path, GDAL_OF_VECTOR | GDAL_OF_READONLY, drivers, NULL, NULL);
        cc__gdal_end(ctx);
        OGRLayerH lyr = ds ? GDALDatasetGetLayer(ds, 0) : NULL;
        if (lyr && !OGR_L_TestCapability(lyr, OLCStringsAsUTF8)) {
            size_t n = 0;
            char *text = layer_text(lyr, &n);
            const char *enc = text ? cc__detect_encoding(text, n) : "UTF-8";
            free(text);
            if (!enc) {
                cc__warn(ctx, "The text of %s '%s' is neither UTF-8 nor GBK/GB18030 and the shapefile names no encoding (.cpg); it is read "
                              "as Latin-1 (ISO-8859-1), so names may be wrong: give its encoding with parameter encoding",
                         what, path);
                enc = "ISO-8859-1";
            }
            if (strcmp(enc, "UTF-8")) {
                cc__info(ctx, "%s '%s': text decoded from %s", what, path, enc);
                GDALClose(ds);
                snprintf(opt, sizeof(opt), "ENCODING=%s", enc);
                const char *oo[] = {opt, NULL};
                cc__gdal_begin(ctx);
                ds = GDALOpenEx(path, GDAL_OF_VECTOR | GDAL_OF_READONLY, drivers, oo, NULL);
                cc__gdal_end(ctx);
            }
        }
    }
    if (!ds) cc__fail(ctx, CC_ERR_IO, "Unable to open %s '%s' as a shapefile: %s", what, path, cc__gdal_msg(ctx));
    return ds;
}

void cc__close_vector(GDALDatasetH ds, const char *tmp)
{
    if (ds) GDALClose(ds);
    if (tmp && tmp[0]) {
        char dir[4096];
        snprintf(dir, sizeof(dir), "%s", CPLGetPath(tmp));
        VSIRmdirRecursive(dir);
    }
}
