/*
 * capacity.c - facilities that run out: people allocated to facilities in order of travel time
 * until each facility's capacity is used, and the enhanced two-step floating catchment area
 * (E2SFCA) accessibility index with a Gaussian distance decay.
 *
 * Allocation rule (nearest first, global): every (person, facility) pair within the threshold T
 * is taken in increasing travel time (ties: facility id, then demand id); a pair moves
 * min(people of the point not yet served, capacity left at the facility) to the facility. So a
 * person goes to the nearest facility that still has room, and a facility fills up with the
 * people nearest to it first. This is AccessMod's rule ("removes served population facility by
 * facility, outwards in travel time from the facility") taken over all facilities at once: the
 * answer then does not depend on the order in which facilities are processed, which AccessMod
 * leaves to the user. Overlapping catchments are resolved by time, not shared in proportion:
 * a proportional split would send part of a village to a farther facility while a nearer one
 * still has room, which patients do not do; the proportional view is what the E2SFCA index
 * gives. A point can be split between facilities when the nearest one fills up part-way.
 *
 * E2SFCA (Luo & Qi 2009) with the Gaussian decay of Dai (2010):
 *   W(t) = (exp(-t^2 / (2 T^2)) - exp(-1/2)) / (1 - exp(-1/2)) for t <= T, else 0
 *   R_j  = capacity_j / sum_i P_i W(t_ij)          (capacity per weighted person at facility j)
 *   A_i  = sum_j R_j W(t_ij)                        (capacity per person reachable from i)
 * Facilities without a capacity value take no part in the index.
 */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <json-c/json.h>

#include "run_internal.h"

double cc__e2sfca_weight(uint32_t t_ms, uint32_t T_ms)
{
    if (t_ms > T_ms || T_ms == 0) return 0.0;
    const double e = exp(-0.5), x = (double)t_ms / (double)T_ms;
    return (exp(-0.5 * x * x) - e) / (1.0 - e);
}

typedef struct pair {
    uint32_t t, f, i;
} pair;

static int cmp_pair(const void *a, const void *b)
{
    const pair *x = a, *y = b;
    if (x->t != y->t) return x->t < y->t ? -1 : 1;
    if (x->f != y->f) return x->f < y->f ? -1 : 1;
    return x->i < y->i ? -1 : x->i > y->i;
}

/* Every (location, facility) pair within T: one bounded search per facility. */
static cc_status gather_pairs(cc_ctx *ctx, const cc__capacity_in *in, const cc__join *lj, const uint32_t *lo, size_t n_loc, pair **out,
                              size_t *n_out)
{
    cc__loc_index ix;
    cc__reach_ws ws;
    cc_status st;
    size_t n = 0, cap = 0;
    pair *p = NULL;
    *out = NULL;
    *n_out = 0;
    if ((st = cc__loc_index_build(ctx, in->graph, lj, n_loc, &ix))) return st;
    if ((st = cc__reach_ws_init(ctx, in->graph, n_loc, &ws))) {
        cc__loc_index_free(&ix);
        return st;
    }
    const uint32_t limit = in->T_ms > in->delay_ms ? in->T_ms - in->delay_ms : 0;
    for (size_t f = 0; f < in->fac->n && !st && limit; f++) {
        if (cc__interrupted(ctx)) {
            st = cc__fail(ctx, CC_ERR_INTERRUPTED, "Interrupted");
            break;
        }
        cc__reach(&ws, in->graph, &ix, lj, lo, in->fjoin[f], in->foff[f], in->dir, limit);
        if (n + ws.n > cap) {
            size_t c = cap ? cap : 65536;
            while (c < n + ws.n) c *= 2;
            pair *q = cc__realloc_array(p, c, sizeof(pair));
            if (!q) {
                st = cc__fail(ctx, CC_ERR_NOMEM, "Out of memory for %zu facility-population pairs", n + ws.n);
                break;
            }
            p = q;
            cap = c;
        }
        for (size_t k = 0; k < ws.n; k++) p[n++] = (pair){ws.t_ms[k] + in->delay_ms, (uint32_t)f, ws.loc[k]};
    }
    cc__reach_ws_free(&ws);
    cc__loc_index_free(&ix);
    if (st) {
        free(p);
        return st;
    }
    qsort(p, n, sizeof(pair), cmp_pair);
    *out = p;
    *n_out = n;
    return CC_OK;
}

void cc__capacity_free(cc__capacity *c)
{
    CC__FREE_ALL(c->served, c->demand_nearest, c->ratio, c->index_d, c->index_g, c->served_d);
    memset(c, 0, sizeof(*c));
}

cc_status cc__capacity_compute(cc_ctx *ctx, const cc__capacity_in *in, cc__capacity *c)
{
    const size_t nf = in->fac->n, nd = in->dem->n;
    const double *capf = in->fac->capacity;
    cc_status st;
    pair *p = NULL;
    size_t np = 0;
    double t0 = cc__now();
    memset(c, 0, sizeof(*c));
    c->T_ms = in->T_ms;
    c->served = cc__calloc_array(nf + 1, sizeof(double));
    c->demand_nearest = cc__calloc_array(nf + 1, sizeof(double));
    c->ratio = cc__calloc_array(nf + 1, sizeof(double));
    c->index_d = cc__calloc_array(nd + 1, sizeof(double));
    c->served_d = cc__calloc_array(nd + 1, sizeof(double));
    double *rem_cap = cc__malloc_array(nf + 1, sizeof(double)), *denom = cc__calloc_array(nf + 1, sizeof(double));
    double *rem_pop = cc__malloc_array(nd + 1, sizeof(double));
    if (!c->served || !c->demand_nearest || !c->ratio || !c->index_d || !c->served_d || !rem_cap || !denom || !rem_pop) {
        st = cc__fail(ctx, CC_ERR_NOMEM, "Out of memory for the capacity allocation");
        goto out;
    }
    cc__info(ctx, "Allocating people to facilities by capacity within %g minutes...", in->T_ms / 60000.0);
    if ((st = gather_pairs(ctx, in, in->djoin, in->doff, nd, &p, &np))) goto out;
    c->n_pairs = np;

    /* allocation, nearest first */
    for (size_t f = 0; f < nf; f++) rem_cap[f] = isnan(capf[f]) ? INFINITY : capf[f];
    for (size_t i = 0; i < nd; i++) rem_pop[i] = in->dem->pop[i];
    for (size_t k = 0; k < np; k++) {
        uint32_t f = p[k].f, i = p[k].i;
        if (rem_pop[i] <= 0 || rem_cap[f] <= 0) continue;
        double a = rem_pop[i] < rem_cap[f] ? rem_pop[i] : rem_cap[f];
        c->served[f] += a;
        c->served_d[i] += a;
        rem_pop[i] -= a;
        rem_cap[f] -= a;
    }
    /* accounting: served + unserved within T + no facility within T = population */
    for (size_t i = 0; i < nd; i++) {
        double pop = in->dem->pop[i];
        uint32_t t = in->dtime[i];
        if (t != CC_INF_COST && t <= in->T_ms) {
            c->pop_served += c->served_d[i];
            c->pop_unserved += pop - c->served_d[i];
            if (in->dfac[i] != CC_INVALID_ID) c->demand_nearest[in->dfac[i]] += pop;
        } else {
            c->pop_no_access += pop;
            if (c->served_d[i] > 0) {
                st = cc__fail(ctx, CC_ERR_INTERNAL, "Capacity allocation served a point beyond the threshold");
                goto out;
            }
        }
        c->pop_total += pop;
    }

    /* E2SFCA: step 1 per facility, step 2 per demand point */
    for (size_t k = 0; k < np; k++)
        if (!isnan(capf[p[k].f])) denom[p[k].f] += in->dem->pop[p[k].i] * cc__e2sfca_weight(p[k].t, in->T_ms);
    for (size_t f = 0; f < nf; f++) c->ratio[f] = isnan(capf[f]) ? NAN : denom[f] > 0 ? capf[f] / denom[f] : 0.0;
    for (size_t k = 0; k < np; k++)
        if (!isnan(capf[p[k].f])) c->index_d[p[k].i] += c->ratio[p[k].f] * cc__e2sfca_weight(p[k].t, in->T_ms);
    double wsum = 0, isum = 0;
    for (size_t i = 0; i < nd; i++) { /* over everyone: no facility within T is an index of 0 */
        wsum += in->dem->pop[i];
        isum += in->dem->pop[i] * c->index_d[i];
    }
    c->mean_index = wsum > 0 ? isum / wsum : NAN;
    for (size_t f = 0; f < nf; f++) {
        c->facilities_with_capacity += !isnan(capf[f]);
        c->facilities_over += !isnan(capf[f]) && c->demand_nearest[f] > capf[f];
    }

    /* the raster grid of village points: the index per cell needs its own pairs */
    if (in->grid != in->dem) {
        free(p);
        p = NULL;
        if (!(c->index_g = cc__calloc_array(in->grid->n + 1, sizeof(double)))) {
            st = cc__fail(ctx, CC_ERR_NOMEM, "Out of memory for the accessibility index grid");
            goto out;
        }
        if ((st = gather_pairs(ctx, in, in->gjoin, in->goff, in->grid->n, &p, &np))) goto out;
        for (size_t k = 0; k < np; k++)
            if (!isnan(capf[p[k].f])) c->index_g[p[k].i] += c->ratio[p[k].f] * cc__e2sfca_weight(p[k].t, in->T_ms);
    }
    c->t_s = cc__now() - t0;
out:
    free(p);
    free(rem_cap);
    free(denom);
    free(rem_pop);
    return st;
}

/* ---- outputs ----------------------------------------------------------------------------------- */

cc_status cc__capacity_layers(cc__cov_out *co, GDALDatasetH ds)
{
    cc_ctx *ctx = co->ctx;
    const cc__capacity *c = co->capacity;
    const cc__facilities *fac = co->fac;
    cc_status st = CC_OK;
    OGRLayerH lyr = cc__gpkg_layer(ctx, ds, "facility_capacity", wkbPoint, co->crs_wkt,
                                   "Facilities with their capacity, the people they serve (nearest first within the capacity "
                                   "threshold), the demand beyond their capacity and their E2SFCA supply ratio");
    if (!lyr) return CC_ERR_IO;
    static const char *const fn[] = {"facility_id", "name", "tier", "capacity", "demand_nearest", "served", "over_capacity",
                                     "capacity_left", "ratio_per_1000"};
    static const OGRFieldType ft[] = {OFTInteger, OFTString, OFTString, OFTReal, OFTReal, OFTReal, OFTReal, OFTReal, OFTReal};
    for (size_t k = 0; k < 9 && !st; k++) st = cc__add_field(ctx, lyr, fn[k], ft[k]);
    for (size_t f = 0; f < fac->n && !st; f++) {
        OGRFeatureH x = OGR_F_Create(OGR_L_GetLayerDefn(lyr));
        double cap = fac->capacity[f];
        OGR_F_SetFieldInteger(x, 0, (int)f);
        OGR_F_SetFieldString(x, 1, fac->name[f]);
        OGR_F_SetFieldString(x, 2, fac->tier[f] >= 0 ? fac->tier_name[fac->tier[f]] : fac->tier_raw[f]);
        if (!isnan(cap)) OGR_F_SetFieldDouble(x, 3, cap);
        OGR_F_SetFieldDouble(x, 4, c->demand_nearest[f]);
        OGR_F_SetFieldDouble(x, 5, c->served[f]);
        if (!isnan(cap)) {
            OGR_F_SetFieldDouble(x, 6, c->demand_nearest[f] > cap ? c->demand_nearest[f] - cap : 0.0);
            OGR_F_SetFieldDouble(x, 7, cap - c->served[f] > 0 ? cap - c->served[f] : 0.0);
            OGR_F_SetFieldDouble(x, 8, 1000.0 * c->ratio[f]);
        }
        OGRGeometryH pt = OGR_G_CreateGeometry(wkbPoint);
        OGR_G_SetPoint_2D(pt, 0, fac->x[f], fac->y[f]);
        OGR_F_SetGeometryDirectly(x, pt);
        st = cc__gpkg_put(ctx, lyr, x, "facility_capacity");
    }
    if (st || !co->admin) return st;
    const cc__admin *a = co->admin;
    lyr = cc__gpkg_layer(ctx, ds, "capacity_by_admin", wkbMultiPolygon, co->crs_wkt,
                         "Per admin area: people served by a facility with room, unserved within the threshold, without a "
                         "facility within it, and the population-weighted mean E2SFCA index");
    if (!lyr) return CC_ERR_IO;
    static const char *const an[] = {"code", "name", "population", "served", "unserved_within", "no_access", "access_per_1000"};
    static const OGRFieldType at[] = {OFTString, OFTString, OFTReal, OFTReal, OFTReal, OFTReal, OFTReal};
    for (size_t k = 0; k < 7 && !st; k++) st = cc__add_field(ctx, lyr, an[k], at[k]);
    if (st) return st;
    double *acc = cc__calloc_array(a->n * 5 + 1, sizeof(double));
    if (!acc) return cc__fail(ctx, CC_ERR_NOMEM, "Out of memory");
    for (size_t i = 0; i < co->dem->n; i++) {
        int32_t k = co->dadmin[i];
        if (k < 0) continue;
        double pop = co->dem->pop[i], *row = acc + (size_t)k * 5;
        uint32_t t = co->dtime[i];
        row[0] += pop;
        if (t != CC_INF_COST && t <= c->T_ms) {
            row[1] += c->served_d[i];
            row[2] += pop - c->served_d[i];
        } else {
            row[3] += pop;
        }
        row[4] += pop * c->index_d[i];
    }
    for (size_t k = 0; k < a->n && !st; k++) {
        const double *row = acc + k * 5;
        OGRFeatureH x = OGR_F_Create(OGR_L_GetLayerDefn(lyr));
        OGR_F_SetFieldString(x, 0, a->code[k]);
        OGR_F_SetFieldString(x, 1, a->name[k]);
        for (int j = 0; j < 4; j++) OGR_F_SetFieldDouble(x, 2 + j, row[j]);
        if (row[0] > 0) OGR_F_SetFieldDouble(x, 6, 1000.0 * row[4] / row[0]);
        OGR_F_SetGeometryDirectly(x, OGR_G_ForceToMultiPolygon(OGR_G_Clone(a->geom[k])));
        st = cc__gpkg_put(ctx, lyr, x, "capacity_by_admin");
    }
    free(acc);
    return st;
}

cc_status cc__capacity_raster(cc__cov_out *co)
{
    const cc__demand *g = co->grid;
    const double *idx = co->capacity->index_g ? co->capacity->index_g : co->capacity->index_d;
    size_t ncell = (size_t)g->grid.w * g->grid.h;
    float *b = cc__malloc_array(ncell + 1, sizeof(float));
    char path[4200];
    if (!b) return cc__fail(co->ctx, CC_ERR_NOMEM, "Out of memory for a %dx%d raster", g->grid.w, g->grid.h);
    for (size_t i = 0; i < ncell; i++) b[i] = -9999.0f;
    /* raster demand: populated cells; village points: every grid cell joined to a road */
    for (size_t i = 0; i < g->n; i++)
        if (co->grid != co->dem || co->dem->pop[i] > 0) b[g->cell[i]] = (float)(1000.0 * idx[i]);
    const char *name = "E2SFCA accessibility: capacity per 1,000 people (Gaussian decay within the capacity threshold)";
    cc_status st = cc__write_cog(co->ctx, cc__stage_path(co->stage, "access_index.tif", path, sizeof(path)), &g->grid, 1, &b,
                                 (const char *const *)&name, NULL, -9999.0);
    free(b);
    return st;
}

json_object *cc__capacity_json(const cc__cov_out *co)
{
    const cc__capacity *c = co->capacity;
    json_object *j = json_object_new_object(), *x;
    json_object_object_add(j, "field", json_object_new_string(co->o->in.capacity_field));
    json_object_object_add(j, "minutes", cc__json_num(c->T_ms / 60000.0, 3));
    json_object_object_add(j, "rule", json_object_new_string("nearest_first"));
    json_object_object_add(j, "facilities_with_capacity", json_object_new_int((int)c->facilities_with_capacity));
    json_object_object_add(j, "facilities_over_capacity", json_object_new_int((int)c->facilities_over));
    json_object_object_add(j, "population_served", cc__json_num(c->pop_served, 3));
    json_object_object_add(j, "population_unserved_within", cc__json_num(c->pop_unserved, 3));
    json_object_object_add(j, "population_no_access", cc__json_num(c->pop_no_access, 3));
    json_object_object_add(j, "accounting_residual", cc__json_num(c->pop_total - (c->pop_served + c->pop_unserved + c->pop_no_access), 6));
    json_object_object_add(j, "pairs", json_object_new_int64((int64_t)c->n_pairs));
    x = json_object_new_object();
    json_object_object_add(x, "method", json_object_new_string("E2SFCA"));
    json_object_object_add(x, "decay", json_object_new_string("gaussian: (exp(-t^2/(2 T^2)) - exp(-1/2)) / (1 - exp(-1/2)), 0 beyond T"));
    json_object_object_add(x, "unit", json_object_new_string("capacity per 1,000 people"));
    json_object_object_add(x, "mean", cc__json_num(1000.0 * c->mean_index, 6));
    json_object_object_add(j, "access_index", x);
    json_object_object_add(j, "search_s", cc__json_num(c->t_s, 4));
    return j;
}
