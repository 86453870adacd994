/* roads.c - road records: their lifetime and getters (readers in planner/io fill them). */
#include <stdlib.h>

#include "roads_internal.h"

void cc_roads_destroy(cc_roads *r)
{
    if (!r) return;
    free(r->way_first);
    free(r->x);
    free(r->y);
    free(r->cls);
    free(r->surface);
    free(r->maxspeed_kmh);
    free(r->speed_kmh);
    free(r->oneway);
    free(r->roundabout);
    free(r->way_id);
    free(r->status);
    free(r->crs_wkt);
    cc__strtab_free(&r->strings);
    free(r);
}

size_t cc_roads_get_way_count(const cc_roads *r) { return r->n_ways; }
size_t cc_roads_get_vertex_count(const cc_roads *r) { return r->n_vertices; }
const char *cc_roads_get_crs_wkt(const cc_roads *r) { return r->crs_wkt; }
const char *cc_roads_get_crs_name(const cc_roads *r) { return r->crs_name; }

