/*
 * offroad.c - the friction model's step of a coverage run (issue 16): build the friction surface
 * on the population grid (the working grid, cell for cell), link the roads to the cells they
 * pass through, and run one search per facility set over cells and roads together.
 *
 * Resampling when an input is not on the working grid (GDAL warp): bilinear for the DEM, mode
 * for a land-cover class raster, average for cover-fraction and friction rasters. Water is
 * burnt with all touched cells. A facility starts at the cell that holds it, with time 0.
 */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <json-c/json.h>

#include "../graph/friction_internal.h"
#include "../graph/roads_internal.h"
#include "../io/raster_warp_internal.h"
#include "../route/hybrid_internal.h"
#include "offroad_internal.h"
#include "../core/omp_internal.h"

#define NODATA_MIN -9999.0

cc_status cc__offroad_check(cc_ctx *ctx, const cc_offroad_opts *o)
{
    if (o->model != CC_OFFROAD_FRICTION) {
        if (o->impassable || o->impassable_max_m)
            return cc__fail(ctx, CC_ERR_PARAM, "Parameters impassable_population and impassable_max_m need parameter offroad friction");
        if (o->friction || o->dem || o->landcover || o->water || o->ferries)
            return cc__fail(ctx, CC_ERR_PARAM, "Parameters friction, dem, landcover, water and ferries need parameter offroad friction");
        return CC_OK;
    }
    if (o->neighbours != 0 && o->neighbours != 8 && o->neighbours != 16)
        return cc__fail(ctx, CC_ERR_PARAM, "Parameter neighbours must be 8 or 16, got %d", o->neighbours);
    if (o->impassable != CC_IMPASSABLE_NEAREST && o->impassable != CC_IMPASSABLE_NONE)
        return cc__fail(ctx, CC_ERR_PARAM, "Parameter impassable_population must be nearest or none");
    if (!(o->impassable_max_m >= 0 && o->impassable_max_m <= 100000))
        return cc__fail(ctx, CC_ERR_PARAM, "Parameter impassable_max_m must be from 0 to 100000 metres, got %g", o->impassable_max_m);
    if (o->friction && (o->dem || o->landcover))
        return cc__fail(ctx, CC_ERR_PARAM, "Parameter friction replaces landcover and dem: give either the friction raster or them");
    return CC_OK;
}

/* Cell sizes in metres per row: constant on a projected grid, from the WGS84 ellipsoid's radii of
 * curvature at the row's latitude on a geographic one. */
static cc_status cell_sizes(cc_ctx *ctx, const cc__grid *g, double *ex, double *ny)
{
    if (g->gt[2] != 0 || g->gt[4] != 0) return cc__fail(ctx, CC_ERR_INPUT, "The population raster is rotated; the friction model needs a north-up grid");
    OGRSpatialReferenceH srs = cc__srs_from_wkt(g->wkt);
    if (!srs) return cc__fail(ctx, CC_ERR_INPUT, "The population raster has no usable CRS");
    bool geo = OSRIsGeographic(srs);
    double unit = geo ? 1.0 : OSRGetLinearUnits(srs, NULL);
    OSRDestroySpatialReference(srs);
    for (int r = 0; r < g->h; r++) {
        if (geo) {
            const double a = 6378137.0, e2 = 0.00669437999014;
            double lat = (g->gt[3] + (r + 0.5) * g->gt[5]) * M_PI / 180.0;
            double s = sin(lat), q = 1.0 - e2 * s * s;
            ex[r] = fabs(g->gt[1]) * M_PI / 180.0 * a / sqrt(q) * cos(lat);
            ny[r] = fabs(g->gt[5]) * M_PI / 180.0 * a * (1.0 - e2) / (q * sqrt(q));
        } else {
            ex[r] = fabs(g->gt[1]) * unit;
            ny[r] = fabs(g->gt[5]) * unit;
        }
    }
    return CC_OK;
}

/* The working grid: the population raster's, or the working-CRS grid of village points
 * (cc__region_grid(), parameter resolution_m). */
static inline const cc__grid *work_grid(const cc__region *reg)
{
    return &cc__region_cells(reg)->grid;
}

/* Working-CRS points to pixel coordinates (column, row) of grid @p g. */
static cc_status to_pixels(cc_ctx *ctx, const char *work_wkt, const cc__grid *g, const double *x, const double *y, size_t n, double *px,
                           double *py)
{
    memcpy(px, x, n * sizeof(double));
    memcpy(py, y, n * sizeof(double));
    OGRSpatialReferenceH a = cc__srs_from_wkt(work_wkt), b = cc__srs_from_wkt(g->wkt);
    cc_status st = CC_OK;
    if (!a || !b) st = cc__fail(ctx, CC_ERR_INTERNAL, "Unable to read the CRS of the working grid");
    if (!st && !OSRIsSame(a, b)) {
        OGRCoordinateTransformationH ct = OCTNewCoordinateTransformation(a, b);
        if (!ct)
            st = cc__fail(ctx, CC_ERR_INPUT, "No transformation from the working CRS to the population raster's CRS");
        else
            st = cc__transform_points(ctx, ct, px, py, n);
        if (ct) OCTDestroyCoordinateTransformation(ct);
    }
    if (a) OSRDestroySpatialReference(a);
    if (b) OSRDestroySpatialReference(b);
    for (size_t i = 0; i < n && !st; i++) {
        px[i] = (px[i] - g->gt[0]) / g->gt[1];
        py[i] = (py[i] - g->gt[3]) / g->gt[5];
    }
    return st;
}

/* Speeds (km/h) from a class raster or from NAME=PATH cover fractions into spm. */
static cc_status landcover_speeds(cc_ctx *ctx, const char *spec, const cc_profile *p, const cc__grid *g, cc__friction *f, bool *cfc)
{
    const size_t n = (size_t)g->w * g->h;
    cc_status st = CC_OK;
    float *buf = cc__malloc_array(n, sizeof(float));
    if (!buf) return cc__fail(ctx, CC_ERR_NOMEM, "Out of memory for the land-cover raster");
    if (!strchr(spec, '=')) { /* one class raster */
        if ((st = cc__raster_to_grid(ctx, spec, "land-cover", g, "mode", buf, cfc))) goto out;
        double cache[256];
        for (int i = 0; i < 256; i++) cache[i] = -2;
        size_t n_unknown = 0;
        char unknown[200] = "";
        for (size_t i = 0; i < n; i++) {
            float v = buf[i];
            if (!isfinite(v)) continue;
            long code = lround(v);
            double kmh;
            if (code >= 0 && code < 256 && cache[code] > -2) {
                kmh = cache[code];
            } else {
                char key[32];
                snprintf(key, sizeof(key), "%ld", code);
                kmh = cc__profile_landcover_kmh(p, key);
                if (code >= 0 && code < 256) cache[code] = kmh;
                if (kmh < 0 && strlen(unknown) < 150) {
                    char item[40];
                    snprintf(item, sizeof(item), "%s%ld", unknown[0] ? ", " : "", code);
                    if (!strstr(unknown, item)) strcat(unknown, item);
                }
            }
            if (kmh < 0) {
                n_unknown++;
                continue;
            }
            if (kmh > 0) f->spm[i] = (float)(3.6 / kmh);
        }
        if (n_unknown)
            cc__warn(ctx, "%zu cells of land-cover raster '%s' have classes without a speed in the profile's landcover_kmh (%s); they are impassable",
                     n_unknown, spec, unknown);
    } else { /* NAME=PATH cover fractions, combined by the weighted harmonic mean of their speeds */
        char *copy = cc__strdup(spec), *save = NULL;
        float *frac[32];
        double kmh[32];
        size_t nc = 0;
        if (!copy) {
            st = cc__fail(ctx, CC_ERR_NOMEM, "Out of memory");
            goto out;
        }
        for (char *t = strtok_r(copy, ",", &save); t && !st; t = strtok_r(NULL, ",", &save)) {
            char *eq = strchr(t, '=');
            while (*t == ' ') t++;
            if (!eq || eq == t || !eq[1]) {
                st = cc__fail(ctx, CC_ERR_PARAM, "Parameter landcover: <%s> is not NAME=PATH", t);
                break;
            }
            *eq = '\0';
            if (nc == 32) {
                st = cc__fail(ctx, CC_ERR_PARAM, "Parameter landcover names more than 32 fraction rasters");
                break;
            }
            kmh[nc] = cc__profile_landcover_kmh(p, t);
            if (kmh[nc] < 0) {
                st = cc__fail(ctx, CC_ERR_PARAM, "Parameter landcover names class <%s>, which has no speed in the profile's landcover_kmh", t);
                break;
            }
            if (!(frac[nc] = cc__malloc_array(n, sizeof(float)))) {
                st = cc__fail(ctx, CC_ERR_NOMEM, "Out of memory for the land-cover fractions");
                break;
            }
            nc++;
            bool c1 = false;
            st = cc__raster_to_grid(ctx, eq + 1, "land-cover fraction", g, "average", frac[nc - 1], &c1);
            if (cfc) *cfc = (nc == 1 ? c1 : (*cfc && c1));
        }
        if (!st)
            for (size_t i = 0; i < n; i++) {
                double v = cc__speed_from_fractions(nc, (const float *const *)frac, kmh, i);
                if (v > 0) f->spm[i] = (float)(3.6 / v);
            }
        for (size_t k = 0; k < nc; k++) free(frac[k]);
        free(copy);
    }
out:
    free(buf);
    return st;
}

static cc_status build_surface(cc_ctx *ctx, const cc_offroad_opts *o, const cc__region *reg, cc__friction *f, bool *cfc, cc_offroad_result *res)
{
    const cc__grid *g = work_grid(reg);
    const size_t n = (size_t)g->w * g->h;
    cc_status st;
    double *ex = cc__malloc_array((size_t)g->h, sizeof(double)), *ny = cc__malloc_array((size_t)g->h, sizeof(double));
    if (!ex || !ny) {
        free(ex);
        free(ny);
        return cc__fail(ctx, CC_ERR_NOMEM, "Out of memory");
    }
    st = cell_sizes(ctx, g, ex, ny);
    if (!st) st = cc__friction_init(ctx, g->w, g->h, o->neighbours ? o->neighbours : 16, ex, ny, f);
    free(ex);
    free(ny);
    if (st) return st;
    *cfc = true;
    if (o->friction) {
        if ((st = cc__raster_to_grid(ctx, o->friction, "friction", g, "average", f->spm, cfc))) return st;
        for (size_t i = 0; i < n; i++) {
            float v = f->spm[i];
            f->spm[i] = (isfinite(v) && v > 0) ? v * 60.0f : INFINITY; /* minutes per metre -> seconds per metre */
        }
    } else if (o->landcover) {
        if ((st = landcover_speeds(ctx, o->landcover, reg->profile, g, f, cfc))) return st;
    } else {
        float spm = (float)(3.6 / cc_profile_get_offroad_speed_kmh(reg->profile));
        for (size_t i = 0; i < n; i++) f->spm[i] = spm;
    }
    if (o->dem) {
        if (!(f->z = cc__malloc_array(n, sizeof(float)))) return cc__fail(ctx, CC_ERR_NOMEM, "Out of memory for the DEM");
        bool c1 = false;
        if ((st = cc__raster_to_grid(ctx, o->dem, "DEM", g, "bilinear", f->z, &c1))) return st;
        *cfc = *cfc && c1;
        for (size_t i = 0; i < n; i++)
            if (!isfinite(f->z[i])) f->spm[i] = INFINITY;
    }
    if (o->water) {
        uint8_t *wm = cc__malloc_array(n, 1);
        size_t nf = 0, nw = 0, np = 0;
        if (!wm) return cc__fail(ctx, CC_ERR_NOMEM, "Out of memory for the water mask");
        st = cc__barriers_to_grid(ctx, o->water, g, wm, &nf, &np);
        for (size_t i = 0; i < n && !st; i++)
            if (wm[i]) {
                nw += f->spm[i] < INFINITY;
                f->spm[i] = INFINITY;
            }
        free(wm);
        if (st) return st;
        res->water_barriers = nf;
        res->water_passable = np;
        cc__info(ctx, "Water: %zu features of '%s' make %zu cells impassable; %zu streams, ditches and drains are passable", nf, o->water,
                 nw, np);
    }
    return CC_OK;
}

/* The passable cell whose centre is nearest to pixel point (px, py), at most FERRY_JOIN_M metres
 * away, or -1 (a landing often lies at the end of a pier, in the coast's nodata cells). */
#define FERRY_JOIN_M 500.0
static int64_t nearest_passable(const cc__friction *f, double px, double py)
{
    int c0 = (int)floor(px), r0 = (int)floor(py);
    int64_t best = -1;
    double bd = FERRY_JOIN_M;
    if (r0 < -1000000 || r0 > f->h + 1000000 || c0 < -1000000 || c0 > f->w + 1000000) return -1;
    int rc = r0 < 0 ? 0 : r0 >= f->h ? f->h - 1 : r0;
    int kx = (int)ceil(FERRY_JOIN_M / f->ex[rc]) + 1, ky = (int)ceil(FERRY_JOIN_M / f->ny[rc]) + 1;
    for (int r = r0 - ky; r <= r0 + ky; r++)
        for (int c = c0 - kx; c <= c0 + kx; c++) {
            if (r < 0 || c < 0 || r >= f->h || c >= f->w || !(f->spm[(size_t)r * f->w + c] < INFINITY)) continue;
            double d = hypot((c + 0.5 - px) * f->ex[r], (r + 0.5 - py) * f->ny[r]);
            if (d <= bd) {
                bd = d;
                best = (int64_t)r * f->w + c;
            }
        }
    return best;
}

static int link_cmp(const void *a, const void *b)
{
    const int64_t *x = a, *y = b;
    return x[0] != y[0] ? (x[0] > y[0]) - (x[0] < y[0]) : (x[1] > y[1]) - (x[1] < y[1]);
}

/* Ferries: each line a link both ways between the passable cells nearest its ends, taking the
 * profile's boarding wait plus its length at the profile's ferry speed. */
static cc_status build_ferries(cc_ctx *ctx, const cc_offroad_opts *o, const cc__region *reg, cc__friction *f, cc_offroad_result *res)
{
    size_t n = 0;
    double *ends = NULL, *len = NULL;
    cc_status st = cc__lines_ends_to_grid(ctx, o->ferries, "ferry", work_grid(reg), &n, &ends, &len);
    if (st) return st;
    double kmh = cc__profile_ferry_kmh(reg->profile), wait_s = 60.0 * cc__profile_ferry_wait_min(reg->profile);
    int64_t *tmp = cc__malloc_array(2 * (n ? n : 1), 3 * sizeof(int64_t));
    f->link_from = cc__malloc_array(2 * (n ? n : 1), sizeof(int64_t));
    f->link_to = cc__malloc_array(2 * (n ? n : 1), sizeof(int64_t));
    f->link_s = cc__malloc_array(2 * (n ? n : 1), sizeof(double));
    if (!tmp || !f->link_from || !f->link_to || !f->link_s) {
        st = cc__fail(ctx, CC_ERR_NOMEM, "Out of memory for the ferries");
        goto out;
    }
    size_t m = 0;
    for (size_t i = 0; i < n; i++) {
        int64_t a = nearest_passable(f, ends[4 * i], ends[4 * i + 1]), b = nearest_passable(f, ends[4 * i + 2], ends[4 * i + 3]);
        if (a < 0 || b < 0 || a == b) {
            res->ferries_unlinked++;
            continue;
        }
        double s = wait_s + len[i] / (kmh / 3.6);
        union { double d; int64_t i; } u = {.d = s};
        int64_t *q = tmp + 3 * m;
        q[0] = a, q[1] = b, q[2] = u.i;
        q[3] = b, q[4] = a, q[5] = u.i;
        m += 2;
        res->ferries_linked++;
    }
    qsort(tmp, m, 3 * sizeof(int64_t), link_cmp);
    for (size_t k = 0; k < m; k++) {
        union { double d; int64_t i; } u = {.i = tmp[3 * k + 2]};
        f->link_from[k] = tmp[3 * k];
        f->link_to[k] = tmp[3 * k + 1];
        f->link_s[k] = u.d;
    }
    f->n_links = m;
    cc__info(ctx, "Ferries: %zu of %zu lines of '%s' link two passable cells (wait %g min, %g km/h)", res->ferries_linked, n, o->ferries,
             wait_s / 60.0, kmh);
    if (res->ferries_unlinked)
        cc__warn(ctx, "%zu ferry lines of '%s' end farther than %g m from any passable cell (or join one cell to itself) and are left out",
                 res->ferries_unlinked, o->ferries, FERRY_JOIN_M);
out:
    free(tmp);
    free(ends);
    free(len);
    return st;
}

/* Road links: arc vertices in pixels, access-controlled arcs entered only at their nodes. */
static cc_status build_links(cc_ctx *ctx, const cc__region *reg, const cc__friction *f, cc__roadlink *rl)
{
    const cc_graph *g = reg->graph;
    size_t nv = g->arc_first[g->n_arcs];
    double *px = cc__malloc_array(nv ? nv : 1, sizeof(double)), *py = cc__malloc_array(nv ? nv : 1, sizeof(double));
    uint8_t *ok = cc__malloc_array(g->n_arcs ? g->n_arcs : 1, 1);
    cc_status st = CC_OK;
    if (!px || !py || !ok) st = cc__fail(ctx, CC_ERR_NOMEM, "Out of memory linking roads to cells");
    if (!st) st = to_pixels(ctx, reg->roads->crs_wkt, work_grid(reg), g->pt_x, g->pt_y, nv, px, py);
    for (uint32_t a = 0; a < g->n_arcs && !st; a++) {
        uint32_t w = g->arc_way[a];
        uint32_t cls = reg->roads->cls ? reg->roads->cls[w] : CC__NO_STRING;
        ok[a] = !(cls != CC__NO_STRING && cc__profile_access_controlled(reg->profile, cc__strtab_get(&reg->roads->strings, cls)));
    }
    if (!st) st = cc__roadlink_build(ctx, g, px, py, ok, f, rl);
    free(px);
    free(py);
    free(ok);
    return st;
}

static inline uint32_t to_ms(double s)
{
    if (!(s < INFINITY)) return CC_INF_COST;
    double ms = floor(s * 1000.0 + 0.5);
    return ms >= (double)CC_INF_COST ? CC_INF_COST - 1 : (uint32_t)ms;
}

/* A label in whole milliseconds plus the model's delay (the emergency dispatch), as the road
 * model adds it. */
static inline uint32_t with_delay(const cc__offroad *w, uint32_t t)
{
    if (t == CC_INF_COST || !w->delay_ms) return t;
    uint64_t s = (uint64_t)t + w->delay_ms;
    return s >= CC_INF_COST ? CC_INF_COST - 1 : (uint32_t)s;
}

/* Demand point @p i's time (ms, delay included) in the labels of search @p h. */
static inline uint32_t dem_ms(const cc__offroad *w, const cc__hybrid *h, size_t i)
{
    return with_delay(w, to_ms(cc__offroad_dem_cost(w, h, i)));
}

/* The bound of a search whose times, delay included, must stay within @p limit_ms (seconds). */
static inline double search_limit_s(const cc__offroad *w, uint32_t limit_ms)
{
    if (limit_ms == CC_INF_COST) return INFINITY;
    return limit_ms < w->delay_ms ? -1.0 : (limit_ms - w->delay_ms) / 1000.0 + 0.001;
}

/* ---- the prepared model: surface, ferries, road links ------------------------------------------ */

cc_status cc__offroad_join(cc_ctx *ctx, cc__region *reg)
{
    /* the straight joins only describe the points in the outputs; the friction model links cells
     * and roads itself, so a point far from any road is no error here */
    cc_status st;
    if (!reg->graph) { /* no roads: every point off the network */
        size_t nf = reg->fac ? reg->fac->n : 0, nd = reg->dem.n;
        reg->fjoin = cc__malloc_array(nf ? nf : 1, sizeof(cc__join));
        reg->foff = cc__malloc_array(nf ? nf : 1, sizeof(uint32_t));
        reg->djoin = cc__malloc_array(nd ? nd : 1, sizeof(cc__join));
        reg->doff = cc__malloc_array(nd ? nd : 1, sizeof(uint32_t));
        if (!reg->fjoin || !reg->foff || !reg->djoin || !reg->doff) return cc__fail(ctx, CC_ERR_NOMEM, "Out of memory");
        for (size_t i = 0; i < nf; i++) reg->fjoin[i] = (cc__join){.arc = CC_INVALID_ID, .d_m = INFINITY}, reg->foff[i] = CC_INF_COST;
        for (size_t i = 0; i < nd; i++) reg->djoin[i] = (cc__join){.arc = CC_INVALID_ID, .d_m = INFINITY}, reg->doff[i] = CC_INF_COST;
        return CC_OK;
    }
    if ((st = cc__snap_index_build(ctx, reg->graph, &reg->snap))) return st;
    if (reg->fac && (st = cc__join_points(ctx, reg->snap, reg->profile, reg->fac->x, reg->fac->y, reg->fac->n, &reg->fjoin, &reg->foff)))
        return st;
    return cc__join_points(ctx, reg->snap, reg->profile, reg->dem.x, reg->dem.y, reg->dem.n, &reg->djoin, &reg->doff);
}

/* Memory of the surface, a search workspace per thread and the output raster, checked before any
 * work; bytes per cell into *per_cell. */
static cc_status check_memory(cc_ctx *ctx, const cc_offroad_opts *o, size_t ncell, int n_threads, double *per_cell)
{
    *per_cell = sizeof(float) * (1.0 + (o->dem ? 1 : 0)) + (double)CC__HYBRID_BYTES_PER_NODE * n_threads + 3.0 * sizeof(float) + 1.0;
    uint64_t phys = cc__physical_memory();
    if (phys && *per_cell * (double)ncell > 0.8 * (double)phys)
        return cc__fail(ctx, CC_ERR_LIMIT, "The friction model needs about %.1f GiB for %zu cells (%.0f bytes per cell) but the machine has %.1f GiB; crop the population raster, use coarser cells or fewer threads",
                        *per_cell * (double)ncell / 1073741824.0, ncell, *per_cell, (double)phys / 1073741824.0);
    return CC_OK;
}

/* The road links of the search, or NULL when the region has no drivable road (a tile whose halo
 * holds none): the search is then over the cells only. */
static inline const cc__roadlink *links(const cc__offroad *w)
{
    return w->reg->graph ? &w->rl : NULL;
}

static int run_threads(cc_ctx *ctx)
{
    int n = cc_ctx_get_threads(ctx);
    return n < 1 ? 1 : n;
}

double cc__offroad_impassable_max_m(const cc_offroad_opts *o)
{
    return o->impassable != CC_IMPASSABLE_NEAREST ? 0.0 : o->impassable_max_m > 0 ? o->impassable_max_m : CC_IMPASSABLE_MAX_M_DEFAULT;
}

/* People on an impassable cell (parameter impassable nearest): the cell takes the time of the
 * passable cell whose centre is nearest to its own, at most max_m away (the distance of a move
 * between them, hypot(dc * mean ex, dr * mean ny), as a search's step; ties to the first in row
 * order), plus that distance walked at that cell's seconds per metre (flat: the impassable cell
 * has no trustworthy elevation). Farther away they stay impassable. */
static cc_status move_impassable(cc_ctx *ctx, const cc_offroad_opts *o, cc__offroad *w, cc_offroad_result *res)
{
    const double max_m = cc__offroad_impassable_max_m(o);
    const cc__demand *dem = &w->reg->dem;
    const cc__friction *f = &w->f;
    w->move_max_m = max_m;
    if (!(max_m > 0)) return CC_OK;
    for (size_t i = 0; i < dem->n; i++) {
        int64_t c0 = w->dcell[i];
        if (f->spm[c0] < INFINITY) continue;
        if (!w->dwalk_s) {
            if (!w->dcell_own) {
                if (!(w->dcell_own = cc__malloc_array(dem->n ? dem->n : 1, sizeof(int64_t)))) return cc__fail(ctx, CC_ERR_NOMEM, "Out of memory");
                memcpy(w->dcell_own, w->dcell, dem->n * sizeof(int64_t));
                w->dcell = w->dcell_own;
            }
            if (!(w->dwalk_s = cc__calloc_array(dem->n ? dem->n : 1, sizeof(double)))) return cc__fail(ctx, CC_ERR_NOMEM, "Out of memory");
        }
        const int r0 = (int)(c0 / f->w), col0 = (int)(c0 % f->w);
        const int ky = (int)floor(max_m / f->ny[r0]) + 1;
        int64_t best = -1;
        double bd = INFINITY;
        for (int r = r0 - ky; r <= r0 + ky; r++) {
            if (r < 0 || r >= f->h) continue;
            const double ex = 0.5 * (f->ex[r0] + f->ex[r]), ny = 0.5 * (f->ny[r0] + f->ny[r]);
            const int kx = (int)floor(max_m / ex) + 1; /* this row's columns within max_m */
            for (int c = col0 - kx; c <= col0 + kx; c++) {
                if (c < 0 || c >= f->w || !(f->spm[(size_t)r * f->w + c] < INFINITY)) continue;
                double d = hypot((c - col0) * ex, (r - r0) * ny);
                if (d <= max_m && d < bd) {
                    bd = d;
                    best = (int64_t)r * f->w + c;
                }
            }
        }
        if (best < 0) continue;
        w->dcell_own[i] = best;
        w->dwalk_s[i] = bd * (double)f->spm[best];
        res->population_moved += dem->pop[i];
        res->points_moved++;
        if (bd > res->moved_max_m) res->moved_max_m = bd;
    }
    if (res->points_moved)
        cc__info(ctx, "%.0f people on %zu impassable cells take the time of the nearest passable cell (at most %.0f m away, the farthest %.0f m)",
                 res->population_moved, res->points_moved, max_m, res->moved_max_m);
    return CC_OK;
}

cc_status cc__offroad_prepare(cc_ctx *ctx, const cc_offroad_opts *o, const cc__region *reg, cc__offroad *w, cc_offroad_result *res)
{
    memset(w, 0, sizeof(*w));
    memset(res, 0, sizeof(*res));
    w->reg = reg;
    w->dir = CC_REVERSE;
    const cc__demand *dem = &reg->dem;
    if (!dem->is_raster && !reg->grid.n)
        return cc__fail(ctx, CC_ERR_INTERNAL, "Village points need the travel-time grid before the friction model");
    const cc__grid *g = work_grid(reg);
    const size_t ncell = (size_t)g->w * g->h;
    cc_status st;
    double t0 = cc__now();
    res->used = true;
    res->cells = ncell;
    if ((st = check_memory(ctx, o, ncell, run_threads(ctx), &res->bytes_per_cell))) return st;
    cc__info(ctx, "Building the friction surface (%d x %d cells)...", g->w, g->h);
    if ((st = build_surface(ctx, o, reg, &w->f, &res->cell_for_cell, res))) return st;
    for (size_t i = 0; i < ncell; i++) res->cells_passable += w->f.spm[i] < INFINITY;
    if (o->ferries && (st = build_ferries(ctx, o, reg, &w->f, res))) return st;
    if (reg->graph && (st = build_links(ctx, reg, &w->f, &w->rl))) return st;
    if (dem->is_raster) {
        w->dcell = dem->cell;
    } else { /* each village starts at the cell that holds it */
        double *px = cc__malloc_array(dem->n ? dem->n : 1, sizeof(double)), *py = cc__malloc_array(dem->n ? dem->n : 1, sizeof(double));
        w->dcell_own = cc__malloc_array(dem->n ? dem->n : 1, sizeof(int64_t));
        st = (!px || !py || !w->dcell_own) ? cc__fail(ctx, CC_ERR_NOMEM, "Out of memory") : CC_OK;
        if (!st) st = to_pixels(ctx, reg->roads->crs_wkt, g, dem->x, dem->y, dem->n, px, py);
        for (size_t i = 0; i < dem->n && !st; i++) {
            int c = (int)floor(px[i]), r = (int)floor(py[i]);
            c = c < 0 ? 0 : c >= g->w ? g->w - 1 : c; /* the grid covers every village; guard the edges */
            r = r < 0 ? 0 : r >= g->h ? g->h - 1 : r;
            w->dcell_own[i] = (int64_t)r * g->w + c;
        }
        free(px);
        free(py);
        if (st) return st;
        w->dcell = w->dcell_own;
    }
    if ((st = move_impassable(ctx, o, w, res))) return st;
    res->transfer_points = w->rl.n_tp;
    res->neighbours = w->f.n_nb;
    res->t_surface_s = cc__now() - t0;
    cc__info(ctx, "Friction surface: %zu of %zu cells passable, %u road-cell transfer points (%.2f s)", res->cells_passable, ncell,
             w->rl.n_tp, res->t_surface_s);
    return CC_OK;
}

double cc__offroad_max_speed_ms(const cc__offroad *w)
{
    const size_t n = (size_t)w->f.w * w->f.h;
    float lo = INFINITY;
    for (size_t i = 0; i < n; i++)
        if (w->f.spm[i] > 0 && w->f.spm[i] < lo) lo = w->f.spm[i];
    return lo < INFINITY ? (w->f.z ? cc__tobler_factor(-0.05) : 1.0) / lo : 0.0;
}

void cc__offroad_free(cc__offroad *w)
{
    cc__roadlink_free(&w->rl);
    cc__friction_free(&w->f);
    free(w->dcell_own);
    free(w->dwalk_s);
    memset(w, 0, sizeof(*w));
}

cc_status cc__offroad_cells(cc_ctx *ctx, const cc__offroad *w, const double *x, const double *y, size_t n, int64_t *cell, size_t *n_bad)
{
    const cc__grid *g = work_grid(w->reg);
    double *px = cc__malloc_array(n ? n : 1, sizeof(double)), *py = cc__malloc_array(n ? n : 1, sizeof(double));
    cc_status st = (!px || !py) ? cc__fail(ctx, CC_ERR_NOMEM, "Out of memory") : CC_OK;
    if (!st) st = to_pixels(ctx, w->reg->roads->crs_wkt, g, x, y, n, px, py);
    *n_bad = 0;
    for (size_t i = 0; i < n && !st; i++) {
        cell[i] = -1;
        if (px[i] >= 0 && py[i] >= 0 && px[i] < g->w && py[i] < g->h) cell[i] = (int64_t)floor(py[i]) * g->w + (int64_t)floor(px[i]);
        if (cell[i] >= 0 && !(w->f.spm[cell[i]] < INFINITY)) cell[i] = -1;
        *n_bad += cell[i] < 0;
    }
    free(px);
    free(py);
    return st;
}

/* Seeds of the sources flagged in @p in_set (NULL: all) that stand on a passable cell. */
static size_t make_seeds(const int64_t *src_cell, const uint8_t *in_set, size_t n_src, cc__hybrid_seed *seeds)
{
    size_t ns = 0;
    for (size_t i = 0; i < n_src; i++)
        if ((!in_set || in_set[i]) && src_cell[i] >= 0) seeds[ns++] = (cc__hybrid_seed){.node = (uint64_t)src_cell[i], .cost_s = 0, .origin = (uint32_t)i};
    return ns;
}

cc_status cc__offroad_nearest(cc_ctx *ctx, const cc__offroad *w, cc__hybrid *h, const int64_t *src_cell, const uint8_t *in_set, size_t n_src,
                              uint32_t *dtime, uint32_t *dfac, uint32_t *gtime, uint32_t *gfac)
{
    const cc__demand *dem = &w->reg->dem;
    cc__hybrid own = {0};
    cc__hybrid_seed *seeds = cc__malloc_array(n_src ? n_src : 1, sizeof(cc__hybrid_seed));
    cc_status st = seeds ? CC_OK : cc__fail(ctx, CC_ERR_NOMEM, "Out of memory");
    if (!st && !h) {
        st = cc__hybrid_init(ctx, &w->f, links(w), &own);
        h = &own;
    }
    if (!st) st = cc__hybrid_run(ctx, h, seeds, make_seeds(src_cell, in_set, n_src, seeds), w->dir, INFINITY);
    for (size_t i = 0; i < dem->n && !st; i++) {
        int64_t c = w->dcell[i];
        dtime[i] = dem_ms(w, h, i);
        if (dfac) dfac[i] = dtime[i] == CC_INF_COST ? CC_INVALID_ID : cc__hybrid_origin(h, (size_t)c);
    }
    for (size_t c = 0; gtime && !st && c < (size_t)w->f.w * w->f.h; c++) { /* village points: every cell of the grid */
        gtime[c] = with_delay(w, to_ms(cc__hybrid_cost(h, c)));
        if (gfac) gfac[c] = gtime[c] == CC_INF_COST ? CC_INVALID_ID : cc__hybrid_origin(h, (size_t)c);
    }
    cc__hybrid_free(&own);
    free(seeds);
    return st;
}

/* ---- one bounded search per source, OpenMP over sources ------------------------------------------ */

/* Called with the labels of source @p i's own search (thread @p tid); writes only what belongs
 * to @p i (or per-thread state). */
typedef void (*each_fn)(void *user, int tid, size_t i, const cc__hybrid *h);

/* One search per source i with src_cell[i] >= 0 (and in_set[i], when given), bounded by
 * @p limit_ms, each handed to @p fn; @p h0 (may be NULL) is thread 0's workspace. */
static cc_status each_source(cc_ctx *ctx, const cc__offroad *w, cc__hybrid *h0, const int64_t *src_cell, const uint8_t *in_set, size_t n_src,
                             uint32_t limit_ms, each_fn fn, void *user, uint64_t *settled)
{
    const int threads = run_threads(ctx);
    cc_status *tst = cc__calloc_array((size_t)threads, sizeof(cc_status)), st = CC_OK;
    if (!tst) return cc__fail(ctx, CC_ERR_NOMEM, "Out of memory");
    const double limit_s = search_limit_s(w, limit_ms);
    uint64_t n_settled = 0;
#ifdef _OPENMP
#pragma omp parallel num_threads(threads) reduction(+ : n_settled)
#endif
    {
        const int tid = cc__omp_thread_num();
        cc_ctx tctx = {0}; /* thread-private messages; the interrupt flag is shared */
        tctx.interrupt_flag = ctx->interrupt_flag;
        cc__hybrid own = {0}, *hp = h0;
        if (tid != 0 || !h0) {
            tst[tid] = cc__hybrid_init(&tctx, &w->f, links(w), &own);
            hp = &own;
        }
#ifdef _OPENMP
#pragma omp for schedule(dynamic, 1)
#endif
        for (size_t i = 0; i < n_src; i++) {
            if (tst[tid] || src_cell[i] < 0 || (in_set && !in_set[i])) continue;
            cc__hybrid_seed seed = {.node = (uint64_t)src_cell[i], .cost_s = 0, .origin = (uint32_t)i};
            if ((tst[tid] = cc__hybrid_run(&tctx, hp, &seed, 1, w->dir, limit_s))) continue;
            n_settled += hp->settled;
            fn(user, tid, i, hp);
        }
        cc__hybrid_free(&own);
    }
    for (int t = 0; t < threads && !st; t++)
        if (tst[t] == CC_ERR_INTERRUPTED)
            st = cc__fail(ctx, CC_ERR_INTERRUPTED, "Interrupted");
        else if (tst[t])
            st = cc__fail(ctx, tst[t], "Out of memory for the off-road search workspaces of %d threads", threads);
    free(tst);
    if (settled) *settled += n_settled;
    return st;
}

/* reach: population within each band of each facility on its own */
typedef struct reach_job {
    const cc__demand *dem;
    const cc__offroad *w;
    size_t nb;
    const uint32_t *bands_ms;
    double *reach;
} reach_job;

static void reach_one(void *user, int tid, size_t i, const cc__hybrid *h)
{
    (void)tid;
    const reach_job *j = user;
    double acc[CC_MAX_BANDS] = {0};
    for (size_t k = 0; k < j->dem->n; k++) {
        uint32_t t = dem_ms(j->w, h, k);
        for (size_t b = 0; b < j->nb; b++)
            if (t <= j->bands_ms[b]) acc[b] += j->dem->pop[k];
    }
    for (size_t b = 0; b < j->nb; b++) j->reach[i * j->nb + b] = acc[b]; /* one write per task */
}

/* coverage sets: per candidate, the demand points within the limit that it would improve */
typedef struct sets_job {
    const cc__demand *dem;
    const cc__offroad *w;
    const uint32_t *keep_lt;
    uint32_t limit_ms;
    bool store_times;
    uint32_t **dem_of, **t_of; /* per candidate */
    size_t *n_of;
    bool nomem;
} sets_job;

static void sets_one(void *user, int tid, size_t j, const cc__hybrid *h)
{
    (void)tid;
    sets_job *s = user;
    size_t n = 0, cap = 0;
    uint32_t *d = NULL, *t = NULL;
    for (size_t i = 0; i < s->dem->n; i++) {
        if (s->keep_lt && !s->keep_lt[i]) continue;
        uint32_t tm = dem_ms(s->w, h, i);
        if (tm > s->limit_ms || (s->keep_lt && !(tm < s->keep_lt[i]))) continue;
        if (n == cap) {
            cap = cap ? 2 * cap : 256;
            uint32_t *nd = realloc(d, cap * sizeof(uint32_t)), *nt = s->store_times ? realloc(t, cap * sizeof(uint32_t)) : NULL;
            if (nd) d = nd;
            if (nt) t = nt;
            if (!nd || (s->store_times && !nt)) {
                s->nomem = true; /* benign race: only ever set to true */
                free(d);
                free(t);
                return;
            }
        }
        d[n] = (uint32_t)i;
        if (s->store_times) t[n] = tm;
        n++;
    }
    s->dem_of[j] = d;
    s->t_of[j] = t;
    s->n_of[j] = n;
}

cc_status cc__offroad_sets(cc_ctx *ctx, const cc__offroad *w, const int64_t *cand_cell, size_t n_cand, const uint32_t *keep_lt, uint32_t limit_ms,
                           bool store_times, cc__sets *out)
{
    memset(out, 0, sizeof(*out));
    const cc__demand *dem = &w->reg->dem;
    sets_job s = {.dem = dem, .w = w, .keep_lt = keep_lt, .limit_ms = limit_ms, .store_times = store_times,
                  .dem_of = cc__calloc_array(n_cand ? n_cand : 1, sizeof(uint32_t *)),
                  .t_of = cc__calloc_array(n_cand ? n_cand : 1, sizeof(uint32_t *)), .n_of = cc__calloc_array(n_cand ? n_cand : 1, sizeof(size_t))};
    cc_status st = (!s.dem_of || !s.t_of || !s.n_of) ? cc__fail(ctx, CC_ERR_NOMEM, "Out of memory") : CC_OK;
    if (!st) st = each_source(ctx, w, NULL, cand_cell, NULL, n_cand, limit_ms, sets_one, &s, &out->settled);
    if (!st && s.nomem) st = cc__fail(ctx, CC_ERR_NOMEM, "Out of memory for the coverage sets");
    uint64_t total = 0;
    for (size_t j = 0; !st && j < n_cand; j++) total += s.n_of[j];
    if (!st) {
        out->n_cand = (uint32_t)n_cand;
        out->n_dem = (uint32_t)dem->n;
        out->first = cc__malloc_array(n_cand + 1, sizeof(uint64_t));
        out->dem = cc__malloc_array(total ? total : 1, sizeof(uint32_t));
        if (store_times) out->t_ms = cc__malloc_array(total ? total : 1, sizeof(uint32_t));
        if (!out->first || !out->dem || (store_times && !out->t_ms)) st = cc__fail(ctx, CC_ERR_NOMEM, "Out of memory for the coverage sets");
    }
    if (!st) {
        uint64_t e = 0;
        for (size_t j = 0; j < n_cand; j++) {
            out->first[j] = e;
            if (s.n_of[j]) memcpy(out->dem + e, s.dem_of[j], s.n_of[j] * sizeof(uint32_t));
            if (store_times && s.n_of[j]) memcpy(out->t_ms + e, s.t_of[j], s.n_of[j] * sizeof(uint32_t));
            e += s.n_of[j];
        }
        out->first[n_cand] = e;
        out->bytes = (n_cand + 1) * sizeof(uint64_t) + e * (store_times ? 8 : 4);
    }
    for (size_t j = 0; s.dem_of && j < n_cand; j++) {
        free(s.dem_of[j]);
        if (s.t_of) free(s.t_of[j]);
    }
    CC__FREE_ALL(s.dem_of, s.t_of, s.n_of);
    if (st) {
        CC__FREE_ALL(out->first, out->dem, out->t_ms);
        memset(out, 0, sizeof(*out));
    }
    return st;
}

/* within: how many sources (at most 2) reach each demand point within the limit */
typedef struct count_job {
    const cc__demand *dem;
    const cc__offroad *w;
    uint32_t limit_ms;
    const uint32_t *tail_ms; /* NULL: none */
    uint8_t *cnt;
} count_job;

static void count_one(void *user, int tid, size_t i, const cc__hybrid *h)
{
    (void)tid;
    (void)i;
    count_job *c = user;
    for (size_t k = 0; k < c->dem->n; k++) {
        uint64_t t = dem_ms(c->w, h, k);
        if (c->tail_ms) t = t == CC_INF_COST || c->tail_ms[k] == CC_INF_COST ? CC_INF_COST : t + c->tail_ms[k];
        if (t <= c->limit_ms && c->cnt[k] < 2) c->cnt[k]++;
    }
}

cc_status cc__offroad_count_within(cc_ctx *ctx, const cc__offroad *w, const int64_t *src_cell, const uint8_t *in_set, size_t n_src,
                                   uint32_t limit_ms, const uint32_t *tail_ms, uint8_t *cnt)
{
    /* one workspace and one thread: the counts are shared (and this runs once per evaluation) */
    count_job c = {.dem = &w->reg->dem, .w = w, .limit_ms = limit_ms, .tail_ms = tail_ms, .cnt = cnt};
    cc__hybrid h = {0};
    cc_status st = cc__hybrid_init(ctx, &w->f, links(w), &h);
    const double limit_s = search_limit_s(w, limit_ms);
    for (size_t i = 0; i < n_src && !st; i++) {
        if (src_cell[i] < 0 || (in_set && !in_set[i])) continue;
        cc__hybrid_seed seed = {.node = (uint64_t)src_cell[i], .cost_s = 0, .origin = (uint32_t)i};
        if (!(st = cc__hybrid_run(ctx, &h, &seed, 1, w->dir, limit_s))) count_one(&c, 0, i, &h);
    }
    cc__hybrid_free(&h);
    return st;
}

cc_status cc__offroad_count_mult(cc_ctx *ctx, const cc__offroad *w, const int64_t *src_cell, const uint32_t *mult, size_t n_src, uint32_t limit_ms,
                                 uint32_t *cnt)
{
    const cc__demand *dem = &w->reg->dem;
    cc__hybrid h = {0};
    cc_status st = cc__hybrid_init(ctx, &w->f, links(w), &h);
    const double limit_s = search_limit_s(w, limit_ms);
    for (size_t i = 0; i < n_src && !st; i++) {
        if (src_cell[i] < 0 || !mult[i]) continue;
        cc__hybrid_seed seed = {.node = (uint64_t)src_cell[i], .cost_s = 0, .origin = (uint32_t)i};
        if ((st = cc__hybrid_run(ctx, &h, &seed, 1, w->dir, limit_s))) break;
        for (size_t k = 0; k < dem->n; k++)
            if (dem_ms(w, &h, k) <= limit_ms) cnt[k] += mult[i];
    }
    cc__hybrid_free(&h);
    return st;
}

cc_status cc__offroad_chain_legs(cc_ctx *ctx, const cc__offroad *w, cc__hybrid *h, const int64_t *fcell, cc__offroad_chain *chain)
{
    const size_t nf = w->reg->fac ? w->reg->fac->n : 0;
    cc__offroad leg = *w; /* a shallow copy: the same surface and links, the leg's own direction */
    leg.delay_ms = 0;
    chain->n_station = chain->n_capable = 0;
    for (size_t f = 0; f < nf; f++) {
        chain->n_station += chain->station && chain->station[f] && fcell[f] >= 0;
        chain->n_capable += chain->capable[f] && fcell[f] >= 0;
    }
    cc_status st = CC_OK;
    if (chain->station) { /* leg 1: the ambulance drives from the station to the patient */
        leg.dir = CC_FORWARD;
        st = cc__offroad_nearest(ctx, &leg, h, fcell, chain->station, nf, chain->leg1_d, NULL, chain->leg1_g, NULL);
    }
    if (!st) { /* leg 2: the patient is carried to the capable facility */
        leg.dir = CC_REVERSE;
        st = cc__offroad_nearest(ctx, &leg, h, fcell, chain->capable, nf, chain->leg2_d, NULL, chain->leg2_g, NULL);
    }
    return st;
}

/* ---- the coverage run's step, in named steps ------------------------------------------------------ */

/* Facilities: the cell that holds each one; a warning naming those left out, an error when none
 * is left. */
static cc_status facility_cells(cc_ctx *ctx, const cc__offroad *w, int64_t *fcell, uint8_t *fstart)
{
    const cc__facilities *fac = w->reg->fac;
    size_t nf = fac->n, n_bad;
    cc_status st = cc__offroad_cells(ctx, w, fac->x, fac->y, nf, fcell, &n_bad);
    if (st) return st;
    char list[400] = "";
    size_t k = 0;
    for (size_t i = 0; i < nf; i++) {
        fstart[i] = fcell[i] >= 0;
        if (fcell[i] >= 0 || k++ >= 4 || strlen(list) >= sizeof(list) - 100) continue;
        char item[100];
        snprintf(item, sizeof(item), "%s%.60s", list[0] ? ", " : "", fac->name[i]);
        strcat(list, item);
    }
    if (n_bad == nf)
        return cc__fail(ctx, CC_ERR_INPUT, "None of the %zu facilities of '%s' stands on a passable cell of the friction surface", nf,
                        w->reg->in->facilities);
    if (n_bad)
        cc__warn(ctx, "%zu of %zu facilities stand outside the friction surface or on a barrier or nodata cell and are left out: %s%s", n_bad, nf,
                 list, n_bad > 4 ? ", ..." : "");
    return CC_OK;
}

void cc__offroad_warn_impassable(cc_ctx *ctx, const cc__offroad *w)
{
    const cc__demand *dem = &w->reg->dem;
    double p_block = 0, p_all = 0;
    for (size_t i = 0; i < dem->n; i++) {
        p_all += dem->pop[i];
        if (!(w->f.spm[w->dcell[i]] < INFINITY)) p_block += dem->pop[i];
    }
    if (p_block > 0 && w->move_max_m > 0)
        cc__warn(ctx, "%.0f people (%.1f%%) live on impassable cells (water, nodata or outside the friction inputs) with no passable cell "
                      "within %.0f m and get no time; they are listed as impassable_cell",
                 p_block, p_all > 0 ? 100.0 * p_block / p_all : 0.0, w->move_max_m);
    else if (p_block > 0)
        cc__warn(ctx, "%.0f people (%.1f%%) live on impassable cells (water, nodata or outside the friction inputs) and get no time; "
                      "they are listed as impassable_cell",
                 p_block, p_all > 0 ? 100.0 * p_block / p_all : 0.0);
}

/* One search per facility set: times and nearest facilities of the demand points; the first set
 * (all facilities) also gives the accounting figures and the first two bands of the raster. */
static cc_status set_searches(cc_ctx *ctx, const cc__offroad *w, cc__hybrid *h, const int64_t *fcell, size_t n_sets, const uint8_t *in_set,
                              uint32_t *dtime, uint32_t *dfac, uint32_t *gtime, uint32_t *gfac, uint8_t *dpass, float *bands[3], cc_offroad_result *res)
{
    const cc__demand *dem = &w->reg->dem;
    const size_t nf = w->reg->fac->n, nd = dem->n, ncell = (size_t)w->f.w * w->f.h;
    double pop_reached = 0, off_sum = 0, road_sum = 0;
    for (size_t k = 0; k < n_sets; k++) {
        cc_status st = cc__offroad_nearest(ctx, w, h, fcell, in_set + k * nf, nf, dtime + k * nd, dfac + k * nd, gtime ? gtime + k * ncell : NULL,
                                           gfac ? gfac + k * ncell : NULL);
        if (st) return st;
        res->nodes_settled += h->settled;
        if (k) continue;
        for (size_t i = 0; i < nd; i++) {
            int64_t c = w->dcell[i];
            double pop = dem->pop[i];
            dpass[i] = w->f.spm[c] < INFINITY;
            if (!dpass[i])
                res->population_impassable += pop;
            else if (dtime[i] == CC_INF_COST)
                res->population_enclosed += pop;
            else {
                pop_reached += pop;
                road_sum += pop * cc__hybrid_road_s(h, (size_t)c);
                off_sum += pop * (cc__offroad_dem_cost(w, h, i) - cc__hybrid_road_s(h, (size_t)c));
            }
        }
        for (size_t c = 0; c < ncell; c++) {
            const double hc = cc__hybrid_cost(h, c);
            bands[0][c] = hc < INFINITY ? (float)(hc / 60.0) : (float)NODATA_MIN;
            bands[1][c] = hc < INFINITY ? (float)(cc__hybrid_road_s(h, (size_t)c) / 60.0) : (float)NODATA_MIN;
        }
    }
    res->mean_offroad_min = pop_reached > 0 ? off_sum / pop_reached / 60.0 : NAN;
    res->mean_road_min = pop_reached > 0 ? road_sum / pop_reached / 60.0 : NAN;
    return CC_OK;
}

/* On foot to the nearest road: a walking-only search from every cell a road passes through. */
static cc_status road_on_foot(cc_ctx *ctx, const cc__offroad *w, float *band, cc_offroad_result *res)
{
    const cc__demand *dem = &w->reg->dem;
    const size_t ncell = (size_t)w->f.w * w->f.h;
    cc__hybrid hw = {0};
    cc__hybrid_seed *ws = cc__malloc_array(w->rl.n_tp ? w->rl.n_tp : 1, sizeof(cc__hybrid_seed));
    if (!ws) return cc__fail(ctx, CC_ERR_NOMEM, "Out of memory");
    for (uint32_t t = 0; t < w->rl.n_tp; t++) ws[t] = (cc__hybrid_seed){.node = (uint64_t)w->rl.tp_cell[t], .cost_s = 0, .origin = 0};
    cc_status st = cc__hybrid_init(ctx, &w->f, NULL, &hw);
    if (!st) st = cc__hybrid_run(ctx, &hw, ws, w->rl.n_tp, CC_REVERSE, INFINITY);
    res->nodes_settled += hw.settled;
    free(ws);
    if (!st) {
        static const double lim_min[3] = {15, 30, 60};
        for (size_t i = 0; i < dem->n; i++) {
            double c = cc__offroad_dem_cost(w, &hw, i);
            for (int b = 0; b < 3; b++)
                if (c <= lim_min[b] * 60.0) res->population_road_on_foot[b] += dem->pop[i];
        }
        for (size_t c = 0; c < ncell; c++) band[c] = cc__hybrid_cost(&hw, c) < INFINITY ? (float)(cc__hybrid_cost(&hw, c) / 60.0) : (float)NODATA_MIN;
    }
    cc__hybrid_free(&hw);
    return st;
}

cc_status cc__offroad_compute(cc_ctx *ctx, const cc_offroad_opts *o, const cc__region *reg, cc_direction dir, uint32_t delay_ms, size_t n_sets,
                              const uint8_t *in_set,
                              uint32_t *dtime, uint32_t *dfac, uint32_t *gtime, uint32_t *gfac, uint8_t *dpass, uint8_t *fstart, double *reach, size_t nb,
                              const uint32_t *bands_ms, cc__offroad_chain *chain, cc__stage *stage, cc_offroad_result *res)
{
    cc__offroad w;
    cc__hybrid h = {0};
    int64_t *fcell = NULL;
    float *bands[3] = {NULL, NULL, NULL};
    cc_status st = cc__offroad_prepare(ctx, o, reg, &w, res);
    const size_t nf = reg->fac->n, ncell = res->cells;
    if (st) goto out;
    w.dir = dir;
    w.delay_ms = delay_ms;
    if (!(fcell = cc__malloc_array(nf ? nf : 1, sizeof(int64_t)))) {
        st = cc__fail(ctx, CC_ERR_NOMEM, "Out of memory");
        goto out;
    }
    if ((st = facility_cells(ctx, &w, fcell, fstart))) goto out;
    cc__offroad_warn_impassable(ctx, &w);
    if ((st = cc__hybrid_init(ctx, &w.f, links(&w), &h))) goto out;
    for (int b = 0; b < 3; b++)
        if (!(bands[b] = cc__malloc_array(ncell, sizeof(float)))) {
            st = cc__fail(ctx, CC_ERR_NOMEM, "Out of memory for the off-road raster");
            goto out;
        }
    double t1 = cc__now();
    if ((st = set_searches(ctx, &w, &h, fcell, n_sets, in_set, dtime, dfac, gtime, gfac, dpass, bands, res))) goto out;
    if (chain && (st = cc__offroad_chain_legs(ctx, &w, &h, fcell, chain))) goto out;
    /* reach of each facility on its own, searches bounded by the largest threshold (thread 0
     * reuses the workspace above); each facility's row is its own */
    reach_job rj = {.dem = &reg->dem, .w = &w, .nb = nb, .bands_ms = bands_ms, .reach = reach};
    for (size_t i = 0; i < nf * nb; i++) reach[i] = 0;
    if ((st = each_source(ctx, &w, &h, fcell, NULL, nf, bands_ms[nb - 1], reach_one, &rj, &res->nodes_settled))) goto out;
    cc__hybrid_free(&h); /* reuse the memory */
    if ((st = road_on_foot(ctx, &w, bands[2], res))) goto out;
    res->t_search_s = cc__now() - t1;
    {
        char path[4400];
        const char *names[3] = {"minutes to the nearest facility, every cell (friction model)", "minutes of that time spent on roads",
                                "minutes on foot to the nearest road"};
        st = cc__write_cog(ctx, cc__stage_path(stage, "offroad.tif", path, sizeof(path)), work_grid(reg), 3, bands, names, NULL, NODATA_MIN);
    }
out:
    for (int b = 0; b < 3; b++) free(bands[b]);
    cc__hybrid_free(&h);
    cc__offroad_free(&w);
    free(fcell);
    return st;
}

json_object *cc__offroad_impassable_json(const cc_offroad_opts *q, double population_moved, size_t points_moved, double moved_max_m)
{
    json_object *x = json_object_new_object();
    if (!x) return NULL;
    json_object_object_add(x, "rule", json_object_new_string(q->impassable == CC_IMPASSABLE_NONE ? "none" : "nearest"));
    if (q->impassable != CC_IMPASSABLE_NONE) {
        json_object_object_add(x, "max_m", cc__json_num(cc__offroad_impassable_max_m(q), 1));
        json_object_object_add(x, "means", json_object_new_string("people on an impassable cell take the time of the nearest passable cell within max_m, "
                                                                  "plus the walk to it at that cell's speed"));
    }
    json_object_object_add(x, "population_moved", cc__json_num(population_moved, 3));
    json_object_object_add(x, "cells_moved", json_object_new_int64((int64_t)points_moved));
    json_object_object_add(x, "farthest_move_m", cc__json_num(moved_max_m, 1));
    return x;
}

json_object *cc__offroad_summary_json(const cc_offroad_opts *q, int halo_cells)
{
    json_object *f = json_object_new_object();
    if (!f) return NULL;
    json_object_object_add(f, "model", json_object_new_string("friction"));
    json_object_object_add(f, "neighbours", json_object_new_int(q->neighbours ? q->neighbours : 16));
    if (q->friction) json_object_object_add(f, "friction", json_object_new_string(q->friction));
    if (q->dem) json_object_object_add(f, "dem", json_object_new_string(q->dem));
    if (q->landcover) json_object_object_add(f, "landcover", json_object_new_string(q->landcover));
    if (q->water) json_object_object_add(f, "water", json_object_new_string(q->water));
    if (q->ferries) json_object_object_add(f, "ferries", json_object_new_string(q->ferries));
    if (halo_cells >= 0) json_object_object_add(f, "halo_cells", json_object_new_int(halo_cells));
    json_object_object_add(f, "no_road_access_means", json_object_new_string("on an impassable cell (water, nodata, outside the friction inputs)"));
    return f;
}
