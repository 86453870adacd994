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
        if (o->friction || o->dem || o->landcover || o->water || o->ferries)
            return cc__fail(ctx, CC_ERR_PARAM, "Parameters friction, dem, landcover, water and ferries need parameter offroad friction");
        return CC_OK;
    }
    if (o->neighbours != 0 && o->neighbours != 8 && o->neighbours != 16)
        return cc__fail(ctx, CC_ERR_PARAM, "Parameter neighbours must be 8 or 16, got %d", o->neighbours);
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
    const cc__grid *g = &reg->dem.grid;
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
    cc_status st = cc__lines_ends_to_grid(ctx, o->ferries, "ferry", &reg->dem.grid, &n, &ends, &len);
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
    if (!st) st = to_pixels(ctx, reg->roads->crs_wkt, &reg->dem.grid, g->pt_x, g->pt_y, nv, px, py);
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

cc_status cc__offroad_compute(cc_ctx *ctx, const cc_offroad_opts *o, const cc__region *reg, size_t n_sets, const uint8_t *in_set,
                              uint32_t *dtime, uint32_t *dfac, uint8_t *dpass, uint8_t *fstart, double *reach, size_t nb, const uint32_t *bands_ms,
                              cc__stage *stage, cc_offroad_result *res)
{
    const cc__demand *dem = &reg->dem;
    if (!dem->is_raster)
        return cc__fail(ctx, CC_ERR_PARAM, "The friction model needs a population raster (parameter population); village points are not supported yet");
    const cc__grid *g = &dem->grid;
    const size_t ncell = (size_t)g->w * g->h, nf = reg->fac->n, nd = dem->n;
    cc__friction f = {0};
    cc__roadlink rl = {0};
    cc__hybrid h = {0};
    cc__hybrid_seed *seeds = NULL;
    int64_t *fcell = NULL;
    double *fx = NULL, *fy = NULL;
    float *bands[3] = {NULL, NULL, NULL};
    cc_status st;
    double t0 = cc__now();
    memset(res, 0, sizeof(*res));
    res->used = true;
    res->cells = ncell;

    /* memory: surface, a search workspace per thread, the output raster, checked before any work */
    int n_threads = cc_ctx_get_threads(ctx);
    if (n_threads < 1) n_threads = 1;
    double per_cell = sizeof(float) * (1.0 + (o->dem ? 1 : 0)) + (double)CC__HYBRID_BYTES_PER_NODE * n_threads + 3.0 * sizeof(float) + 1.0;
    uint64_t phys = cc__physical_memory();
    if (phys && per_cell * (double)ncell > 0.8 * (double)phys)
        return cc__fail(ctx, CC_ERR_LIMIT, "The friction model needs about %.1f GiB for %zu cells (%.0f bytes per cell) but the machine has %.1f GiB; crop the population raster, use coarser cells or fewer threads",
                        per_cell * (double)ncell / 1073741824.0, ncell, per_cell, (double)phys / 1073741824.0);

    cc__info(ctx, "Building the friction surface (%d x %d cells)...", g->w, g->h);
    if ((st = build_surface(ctx, o, reg, &f, &res->cell_for_cell, res))) goto out;
    for (size_t i = 0; i < ncell; i++) res->cells_passable += f.spm[i] < INFINITY;
    if (o->ferries && (st = build_ferries(ctx, o, reg, &f, res))) goto out;
    if ((st = build_links(ctx, reg, &f, &rl))) goto out;
    res->transfer_points = rl.n_tp;
    res->neighbours = f.n_nb;
    res->t_surface_s = cc__now() - t0;
    cc__info(ctx, "Friction surface: %zu of %zu cells passable, %u road-cell transfer points (%.2f s)", res->cells_passable, ncell, rl.n_tp,
             res->t_surface_s);

    /* facilities: the cell that holds each one */
    fcell = cc__malloc_array(nf ? nf : 1, sizeof(int64_t));
    fx = cc__malloc_array(nf ? nf : 1, sizeof(double));
    fy = cc__malloc_array(nf ? nf : 1, sizeof(double));
    seeds = cc__malloc_array(nf ? nf : 1, sizeof(cc__hybrid_seed));
    if (!fcell || !fx || !fy || !seeds) {
        st = cc__fail(ctx, CC_ERR_NOMEM, "Out of memory");
        goto out;
    }
    if ((st = to_pixels(ctx, reg->roads->crs_wkt, g, reg->fac->x, reg->fac->y, nf, fx, fy))) goto out;
    size_t n_bad = 0;
    char list[400] = "";
    for (size_t i = 0; i < nf; i++) {
        fcell[i] = -1;
        if (fx[i] >= 0 && fy[i] >= 0 && fx[i] < g->w && fy[i] < g->h) fcell[i] = (int64_t)floor(fy[i]) * g->w + (int64_t)floor(fx[i]);
        if (fcell[i] < 0 || !(f.spm[fcell[i]] < INFINITY)) {
            if (n_bad++ < 4 && strlen(list) < sizeof(list) - 100) {
                char item[100];
                snprintf(item, sizeof(item), "%s%.60s", list[0] ? ", " : "", reg->fac->name[i]);
                strcat(list, item);
            }
            fcell[i] = -1;
        }
    }
    for (size_t i = 0; i < nf; i++) fstart[i] = fcell[i] >= 0;
    if (n_bad == nf) {
        st = cc__fail(ctx, CC_ERR_INPUT, "None of the %zu facilities of '%s' stands on a passable cell of the friction surface", nf, reg->in->facilities);
        goto out;
    }
    if (n_bad)
        cc__warn(ctx, "%zu of %zu facilities stand outside the friction surface or on a barrier or nodata cell and are left out: %s%s", n_bad, nf, list,
                 n_bad > 4 ? ", ..." : "");

    {
        double p_block = 0, p_all = 0;
        for (size_t i = 0; i < nd; i++) {
            p_all += dem->pop[i];
            if (!(f.spm[dem->cell[i]] < INFINITY)) p_block += dem->pop[i];
        }
        if (p_block > 0)
            cc__warn(ctx, "%.0f people (%.1f%%) live on impassable cells (water, nodata or outside the friction inputs) and get no time; "
                          "they are listed as impassable_cell",
                     p_block, p_all > 0 ? 100.0 * p_block / p_all : 0.0);
    }
    if ((st = cc__hybrid_init(ctx, &f, &rl, &h))) goto out;
    for (int b = 0; b < 3; b++)
        if (!(bands[b] = cc__malloc_array(ncell, sizeof(float)))) {
            st = cc__fail(ctx, CC_ERR_NOMEM, "Out of memory for the off-road raster");
            goto out;
        }
    double t1 = cc__now();
    double pop_reached = 0, off_sum = 0, road_sum = 0;
    for (size_t k = 0; k < n_sets; k++) {
        size_t ns = 0;
        for (size_t i = 0; i < nf; i++)
            if (in_set[k * nf + i] && fcell[i] >= 0) seeds[ns++] = (cc__hybrid_seed){.node = (uint64_t)fcell[i], .cost_s = 0, .origin = (uint32_t)i};
        if ((st = cc__hybrid_run(ctx, &h, seeds, ns, CC_REVERSE, INFINITY))) goto out;
        res->nodes_settled += h.settled;
        for (size_t i = 0; i < nd; i++) {
            int64_t c = dem->cell[i];
            uint32_t t = to_ms(h.cost[c]);
            dtime[k * nd + i] = t;
            dfac[k * nd + i] = t == CC_INF_COST ? CC_INVALID_ID : h.origin[c];
            if (k == 0) {
                double pop = dem->pop[i];
                dpass[i] = f.spm[c] < INFINITY;
                if (!dpass[i])
                    res->population_impassable += pop;
                else if (t == CC_INF_COST)
                    res->population_enclosed += pop;
                else {
                    pop_reached += pop;
                    road_sum += pop * h.road_s[c];
                    off_sum += pop * (h.cost[c] - h.road_s[c]);
                }
            }
        }
        if (k == 0)
            for (size_t c = 0; c < ncell; c++) {
                bands[0][c] = h.cost[c] < INFINITY ? (float)(h.cost[c] / 60.0) : (float)NODATA_MIN;
                bands[1][c] = h.cost[c] < INFINITY ? (float)(h.road_s[c] / 60.0) : (float)NODATA_MIN;
            }
    }
    /* reach of each facility on its own, searches bounded by the largest threshold: one search
     * workspace per thread (thread 0 reuses the one above); each facility's row is its own */
    {
        const int threads = n_threads;
        cc_status *tst = cc__calloc_array((size_t)threads, sizeof(cc_status));
        if (!tst) {
            st = cc__fail(ctx, CC_ERR_NOMEM, "Out of memory");
            goto out;
        }
        const double limit_s = bands_ms[nb - 1] / 1000.0 + 0.001;
#ifdef _OPENMP
#pragma omp parallel num_threads(threads)
#endif
        {
            const int tid = cc__omp_thread_num();
            cc_ctx tctx = {0}; /* thread-private messages; the interrupt flag is shared */
            tctx.interrupt_flag = ctx->interrupt_flag;
            cc__hybrid own = {0}, *hp = &h;
            cc__hybrid_seed seed;
            if (tid != 0) {
                tst[tid] = cc__hybrid_init(&tctx, &f, &rl, &own);
                hp = &own;
            }
#ifdef _OPENMP
#pragma omp for schedule(dynamic, 1)
#endif
            for (size_t i = 0; i < nf; i++) {
                double acc[CC_MAX_BANDS] = {0};
                if (tst[tid] || fcell[i] < 0) {
                    for (size_t b = 0; b < nb; b++) reach[i * nb + b] = 0;
                    continue;
                }
                seed = (cc__hybrid_seed){.node = (uint64_t)fcell[i], .cost_s = 0, .origin = (uint32_t)i};
                if ((tst[tid] = cc__hybrid_run(&tctx, hp, &seed, 1, CC_REVERSE, limit_s))) continue;
#ifdef _OPENMP
#pragma omp atomic
#endif
                res->nodes_settled += hp->settled;
                for (size_t j = 0; j < nd; j++) {
                    uint32_t t = to_ms(hp->cost[dem->cell[j]]);
                    for (size_t b = 0; b < nb; b++)
                        if (t <= bands_ms[b]) acc[b] += dem->pop[j];
                }
                for (size_t b = 0; b < nb; b++) reach[i * nb + b] = acc[b];
            }
            if (tid != 0) cc__hybrid_free(&own);
        }
        for (int t = 0; t < threads && !st; t++)
            if (tst[t] == CC_ERR_INTERRUPTED)
                st = cc__fail(ctx, CC_ERR_INTERRUPTED, "Interrupted");
            else if (tst[t])
                st = cc__fail(ctx, tst[t], "Out of memory for the off-road search workspaces of %d threads", threads);
        free(tst);
        if (st) goto out;
    }
    res->mean_offroad_min = pop_reached > 0 ? off_sum / pop_reached / 60.0 : NAN;
    res->mean_road_min = pop_reached > 0 ? road_sum / pop_reached / 60.0 : NAN;

    /* on foot to the nearest road: a walking-only search from every cell a road passes through */
    {
        cc__hybrid hw = {0};
        size_t nseed = 0;
        cc__hybrid_seed *ws = cc__malloc_array(rl.n_tp ? rl.n_tp : 1, sizeof(cc__hybrid_seed));
        if (!ws) {
            st = cc__fail(ctx, CC_ERR_NOMEM, "Out of memory");
            goto out;
        }
        for (uint32_t t = 0; t < rl.n_tp; t++) ws[nseed++] = (cc__hybrid_seed){.node = (uint64_t)rl.tp_cell[t], .cost_s = 0, .origin = 0};
        cc__hybrid_free(&h); /* reuse the memory */
        st = cc__hybrid_init(ctx, &f, NULL, &hw);
        if (!st) st = cc__hybrid_run(ctx, &hw, ws, nseed, CC_REVERSE, INFINITY);
        res->nodes_settled += hw.settled;
        free(ws);
        if (!st) {
            static const double lim_min[3] = {15, 30, 60};
            for (size_t i = 0; i < nd; i++) {
                double c = hw.cost[dem->cell[i]];
                for (int b = 0; b < 3; b++)
                    if (c <= lim_min[b] * 60.0) res->population_road_on_foot[b] += dem->pop[i];
            }
            for (size_t c = 0; c < ncell; c++) bands[2][c] = hw.cost[c] < INFINITY ? (float)(hw.cost[c] / 60.0) : (float)NODATA_MIN;
        }
        cc__hybrid_free(&hw);
        if (st) goto out;
    }
    res->t_search_s = cc__now() - t1;
    res->bytes_per_cell = per_cell;
    {
        char path[4400];
        const char *names[3] = {"minutes to the nearest facility, every cell (friction model)", "minutes of that time spent on roads",
                                "minutes on foot to the nearest road"};
        st = cc__write_cog(ctx, cc__stage_path(stage, "offroad.tif", path, sizeof(path)), g, 3, bands, names, NODATA_MIN);
    }
out:
    for (int b = 0; b < 3; b++) free(bands[b]);
    cc__hybrid_free(&h);
    cc__roadlink_free(&rl);
    cc__friction_free(&f);
    free(seeds);
    free(fcell);
    free(fx);
    free(fy);
    return st;
}
