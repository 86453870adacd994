/*
 * cons.c - area limits (at least / at most k new sites per admin area) and the site budget.
 *
 * The areas partition the candidates (a candidate outside every area is free), so with the
 * budget p they form a generalised partition matroid with lower bounds: a partial solution can
 * be completed exactly when, after each pick, the minima still unmet fit in the sites left.
 */
#include <stdlib.h>
#include <string.h>

#include "site_internal.h"

void cc__cons_free(cc__cons *c)
{
    free(c->amin);
    free(c->amax);
    memset(c, 0, sizeof(*c));
}

cc_status cc__cons_init(cc_ctx *ctx, const cc_site_instance *inst, uint32_t p, cc__cons *c)
{
    memset(c, 0, sizeof(*c));
    c->n_cand = inst->n_candidates;
    c->p = p;
    if (!inst->area || inst->n_areas == 0) return CC_OK;
    c->area = inst->area;
    c->n_areas = inst->n_areas;
    c->amin = cc__calloc_array(c->n_areas, sizeof(uint32_t));
    c->amax = cc__malloc_array(c->n_areas, sizeof(uint32_t));
    uint32_t *n_in = cc__calloc_array(c->n_areas, sizeof(uint32_t));
    cc_status st = CC_OK;
    if (!c->amin || !c->amax || !n_in) {
        st = cc__fail(ctx, CC_ERR_NOMEM, "Out of memory");
        goto out;
    }
    for (uint32_t j = 0; j < c->n_cand; j++) {
        uint32_t a = c->area[j];
        if (a == CC_INVALID_ID) continue;
        if (a >= c->n_areas) {
            st = cc__fail(ctx, CC_ERR_PARAM, "Candidate %u lies in area %u, but there are only %u areas", j, a, c->n_areas);
            goto out;
        }
        n_in[a]++;
    }
    uint64_t sum_min = 0;
    for (uint32_t a = 0; a < c->n_areas; a++) {
        c->amin[a] = inst->area_min ? inst->area_min[a] : 0;
        c->amax[a] = inst->area_max ? inst->area_max[a] : UINT32_MAX;
        if (c->amin[a] > c->amax[a]) {
            st = cc__fail(ctx, CC_ERR_PARAM, "Area %u asks for at least %u and at most %u sites", a, c->amin[a], c->amax[a]);
            goto out;
        }
        if (c->amin[a] > n_in[a]) {
            st = cc__fail(ctx, CC_ERR_PARAM, "Area %u asks for at least %u new sites but has only %u candidates", a, c->amin[a], n_in[a]);
            goto out;
        }
        sum_min += c->amin[a];
    }
    if (sum_min > p) {
        st = cc__fail(ctx, CC_ERR_PARAM, "The per-area minima add up to %llu sites, more than the %u allowed", (unsigned long long)sum_min, p);
        goto out;
    }
    c->min_total = (uint32_t)sum_min;
out:
    free(n_in);
    if (st) cc__cons_free(c);
    return st;
}

cc_status cc__cstate_init(cc_ctx *ctx, const cc__cons *c, cc__cstate *s)
{
    memset(s, 0, sizeof(*s));
    if (!(s->cnt = cc__calloc_array(c->n_areas ? c->n_areas : 1, sizeof(uint32_t)))) return cc__fail(ctx, CC_ERR_NOMEM, "Out of memory");
    cc__cstate_reset(c, s);
    return CC_OK;
}

void cc__cstate_free(cc__cstate *s)
{
    free(s->cnt);
    memset(s, 0, sizeof(*s));
}

void cc__cstate_reset(const cc__cons *c, cc__cstate *s)
{
    if (c->n_areas) memset(s->cnt, 0, c->n_areas * sizeof(uint32_t));
    s->chosen = 0;
    s->deficit = c->min_total;
}

static inline uint32_t area_of(const cc__cons *c, uint32_t j)
{
    return c->area ? c->area[j] : CC_INVALID_ID;
}

void cc__cstate_add(const cc__cons *c, cc__cstate *s, uint32_t j)
{
    uint32_t a = area_of(c, j);
    s->chosen++;
    if (a == CC_INVALID_ID) return;
    if (s->cnt[a] < c->amin[a]) s->deficit--;
    s->cnt[a]++;
}

void cc__cstate_remove(const cc__cons *c, cc__cstate *s, uint32_t j)
{
    uint32_t a = area_of(c, j);
    s->chosen--;
    if (a == CC_INVALID_ID) return;
    s->cnt[a]--;
    if (s->cnt[a] < c->amin[a]) s->deficit++;
}

bool cc__cstate_can_add(const cc__cons *c, const cc__cstate *s, uint32_t j)
{
    if (s->chosen >= c->p) return false;
    uint32_t a = area_of(c, j);
    uint32_t left_after = c->p - s->chosen - 1;
    if (a == CC_INVALID_ID) return s->deficit <= left_after;
    if (s->cnt[a] >= c->amax[a]) return false;
    uint32_t d = s->deficit - (s->cnt[a] < c->amin[a] ? 1u : 0u);
    return d <= left_after;
}

bool cc__cstate_can_swap(const cc__cons *c, const cc__cstate *s, uint32_t j, uint32_t k)
{
    uint32_t aj = area_of(c, j), ak = area_of(c, k);
    if (aj == ak) return true;
    if (aj != CC_INVALID_ID && s->cnt[aj] <= c->amin[aj]) return false;
    if (ak != CC_INVALID_ID && s->cnt[ak] >= c->amax[ak]) return false;
    return true;
}

bool cc__cstate_ok(const cc__cons *c, const cc__cstate *s)
{
    if (s->chosen > c->p) return false;
    for (uint32_t a = 0; a < c->n_areas; a++)
        if (s->cnt[a] < c->amin[a] || s->cnt[a] > c->amax[a]) return false;
    return true;
}
