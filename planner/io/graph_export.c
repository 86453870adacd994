/*
 * graph_export.c - the frozen problem for peers (benchmarks): nodes with coordinates in the
 * working CRS and in WGS84, directed edges with integer millisecond costs.
 */
#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>

#include "../graph/graph_internal.h"
#include "io_internal.h"
#include "write_internal.h"

/* Open @p dir/@p name for writing (its path in @p path) and write the header line; reports a
 * failure and returns NULL. */
static FILE *open_csv(cc_ctx *ctx, const char *dir, const char *name, const char *header, char *path, size_t n)
{
    snprintf(path, n, "%s/%s", dir, name);
    FILE *f = fopen(path, "w");
    if (!f) {
        cc__fail(ctx, CC_ERR_IO, "Unable to write '%s': %s", path, strerror(errno));
        return NULL;
    }
    fputs(header, f);
    return f;
}

/* Close a file opened with open_csv; a failed write (full disk) is reported. */
static cc_status close_csv(cc_ctx *ctx, FILE *f, const char *path)
{
    return fclose(f) != 0 ? cc__fail(ctx, CC_ERR_IO, "Unable to write '%s'", path) : CC_OK;
}

cc_status cc_graph_export(cc_ctx *ctx, const cc_graph *g, const char *given)
{
    char path[4200], dir[4096];
    cc_status st0 = cc__out_check(ctx, given, dir, sizeof(dir)); /* a folder of carecircle's own, never "/" */
    if (st0) return st0;
    cc_status st = CC_OK;
    double *lon = cc__malloc_array(g->n_nodes, sizeof(double)), *lat = cc__malloc_array(g->n_nodes, sizeof(double));
    FILE *f = NULL;
    if (!lon || !lat) {
        st = cc__fail(ctx, CC_ERR_NOMEM, "Out of memory exporting the graph");
        goto out;
    }
    if (mkdir(dir, 0777) != 0 && errno != EEXIST) {
        st = cc__fail(ctx, CC_ERR_IO, "Unable to create folder '%s': %s", given, strerror(errno));
        goto out;
    }
    if ((st = cc__marker_write(ctx, dir, false))) goto out;
    memcpy(lon, g->node_x, g->n_nodes * sizeof(double));
    memcpy(lat, g->node_y, g->n_nodes * sizeof(double));
    if ((st = cc__to_lonlat(ctx, g->crs_wkt, lon, lat, g->n_nodes))) goto out;
    if (!(f = open_csv(ctx, dir, "nodes.csv", "id,x,y,lon,lat\n", path, sizeof(path)))) {
        st = CC_ERR_IO;
        goto out;
    }
    for (uint32_t i = 0; i < g->n_nodes; i++)
        fprintf(f, "%u,%.3f,%.3f,%.8f,%.8f\n", i, g->node_x[i], g->node_y[i], lon[i], lat[i]);
    st = close_csv(ctx, f, path);
    f = NULL;
    if (st) goto out;
    if (!(f = open_csv(ctx, dir, "edges.csv", "source,target,cost_ms\n", path, sizeof(path)))) {
        st = CC_ERR_IO;
        goto out;
    }
    for (uint32_t u = 0; u < g->n_nodes; u++)
        for (uint32_t e = g->fwd_first[u]; e < g->fwd_first[u + 1]; e++) fprintf(f, "%u,%u,%u\n", u, g->fwd[e].head, g->fwd[e].cost_ms);
    st = close_csv(ctx, f, path);
    f = NULL;
out:
    if (f) fclose(f);
    free(lon);
    free(lat);
    return st;
}
