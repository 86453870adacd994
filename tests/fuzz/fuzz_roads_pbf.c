/* fuzz_roads_pbf.c - target fuzz_roads_osm: the input as an OSM .pbf through carecircle's reader
 * (planner/io/osm_pbf.c, decoded from memory: no file, no GDAL driver), then projected, built into a
 * graph and searched once; any input succeeds or fails cleanly. */
#include <math.h>
#include <string.h>

#include <ogr_srs_api.h>

#include "fuzz_common.h"
#include "io/osm_pbf_internal.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    static cc_profile *prof;
    static OGRSpatialReferenceH wgs;
    if (!prof && cc_profile_load(fuzz_ctx, "ambulance", &prof) != CC_OK) abort();
    if (!wgs) {
        wgs = OSRNewSpatialReference(NULL);
        OSRImportFromEPSG(wgs, 4326);
        OSRSetAxisMappingStrategy(wgs, OAMS_TRADITIONAL_GIS_ORDER);
    }
    cc_roads *r = calloc(1, sizeof(*r));
    if (!r) abort();
    cc__strtab_init(&r->strings);
    cc__osm_pbf_stats stats;
    if (cc__osm_pbf_decode(fuzz_ctx, "fuzz.osm.pbf", data, size, r, &stats) == CC_OK && r->n_ways > 0) {
        /* every vertex is a GDAL-rounded longitude/latitude inside the extent reported */
        for (size_t i = 0; i < r->n_vertices; i++)
            if (!(fabs(r->x[i]) <= 180 && fabs(r->y[i]) <= 90 && r->x[i] >= stats.ext[0] && r->x[i] <= stats.ext[2] &&
                  r->y[i] >= stats.ext[1] && r->y[i] <= stats.ext[3]))
                abort();
        if (cc__roads_project(fuzz_ctx, r, "fuzz.osm.pbf", wgs, stats.ext, NULL) == CC_OK && r->n_ways > 0) {
            fuzz_graph_search(r, prof);
        }
    }
    cc_roads_destroy(r);
    return 0;
}
