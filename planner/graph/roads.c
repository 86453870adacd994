/* roads.c - road records: their lifetime and getters (readers in planner/io fill them). */
#include <stdlib.h>

#include "roads_internal.h"

void cc_roads_destroy(cc_roads *r)
{
    if (!r) return;
    CC__FREE_ALL(r->way_first, r->x, r->y, r->cls, r->surface, r->maxspeed_kmh, r->speed_kmh, r->oneway, r->roundabout,
                 r->way_id, r->status, r->crs_wkt);
    cc__strtab_free(&r->strings);
    free(r);
}

size_t cc_roads_get_way_count(const cc_roads *r) { return r->n_ways; }
size_t cc_roads_get_vertex_count(const cc_roads *r) { return r->n_vertices; }
const char *cc_roads_get_crs_wkt(const cc_roads *r) { return r->crs_wkt; }
const char *cc_roads_get_crs_name(const cc_roads *r) { return r->crs_name; }

