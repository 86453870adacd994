/* random_roads.h - random road networks as GeoJSON (EPSG:32650) for property tests. */
#ifndef CC_RANDOM_ROADS_H
#define CC_RANDOM_ROADS_H

#include "test_util.h"

/* @p n_ways ways over a jittered grid of side @p side: each way walks 1..4 steps between
 * neighbouring grid points (so ways share vertices at grid points), with a random class,
 * surface and oneway value. Some ways are footways (not drivable). */
static inline void tu_random_roads(const char *path, uint64_t seed, int side, int n_ways)
{
    static const char *classes[] = {"primary", "secondary", "tertiary", "residential", "track", "footway"};
    static const char *oneway[] = {"", "", "", "yes", "-1", "no"};
    uint64_t s = seed;
    double *gx = malloc(sizeof(double) * side * side), *gy = malloc(sizeof(double) * side * side);
    for (int i = 0; i < side * side; i++) {
        gx[i] = (i % side) * 200.0 + tu_uniform(&s) * 120.0;
        gy[i] = (i / side) * 200.0 + tu_uniform(&s) * 120.0;
    }
    tu_buf b = {0};
    tu_printf(&b, "%s", TU_GEOJSON_HEAD);
    for (int w = 0; w < n_ways; w++) {
        int at = (int)(tu_rand(&s) % (uint64_t)(side * side)), steps = 1 + (int)(tu_rand(&s) % 4);
        const char *cls = classes[tu_rand(&s) % 6], *ow = oneway[tu_rand(&s) % 6];
        tu_printf(&b, "%s{\"type\":\"Feature\",\"properties\":{\"highway\":\"%s\"%s%s%s%s},\"geometry\":{\"type\":\"LineString\",\"coordinates\":[",
                  w ? "," : "", cls, *ow ? ",\"oneway\":\"" : "", ow, *ow ? "\"" : "", tu_rand(&s) % 4 == 0 ? ",\"surface\":\"gravel\"" : "");
        tu_printf(&b, "[%.3f,%.3f]", gx[at], gy[at]);
        for (int k = 0; k < steps; k++) {
            int x = at % side, y = at / side, d = (int)(tu_rand(&s) % 4);
            if (d == 0 && x + 1 < side) x++;
            else if (d == 1 && x > 0) x--;
            else if (d == 2 && y + 1 < side) y++;
            else if (d == 3 && y > 0) y--;
            int nxt = y * side + x;
            if (nxt == at) continue;
            /* an intermediate geometry vertex half-way, off the straight line */
            tu_printf(&b, ",[%.3f,%.3f]", 0.5 * (gx[at] + gx[nxt]) + 7.0, 0.5 * (gy[at] + gy[nxt]) - 5.0);
            tu_printf(&b, ",[%.3f,%.3f]", gx[nxt], gy[nxt]);
            at = nxt;
        }
        tu_printf(&b, "]}}");
    }
    tu_printf(&b, "%s", TU_GEOJSON_TAIL);
    tu_write(path, b.s);
    free(b.s);
    free(gx);
    free(gy);
}

/* A random road file read and built into a graph (ambulance profile, EPSG:32650). */
static inline cc_graph *tu_random_graph(cc_ctx *c, uint64_t seed, int side, int ways)
{
    char dir[64], path[128];
    tu_tmpdir(dir, sizeof(dir));
    snprintf(path, sizeof(path), "%s/r.geojson", dir);
    tu_random_roads(path, seed, side, ways);
    cc_graph *g = tu_graph_read(c, path);
    remove(path);
    rmdir(dir);
    return g;
}

#endif
