/* fuzz_prep.c - the prepared-region reader (planner/run/cache.c), from memory: any file is either
 * refused with a reason or gives roads, population and a topology whose every index is in range
 * (exercised here by walking the graph both ways, the arcs' geometry and the snap index). The
 * first byte chooses whether checksums are compared (a fuzzer rarely forges them: without the
 * comparison it reaches the structural checks behind them), and with its top bit set the input is a
 * contraction hierarchy file instead (planner/route/ch.c cc__ch_from_memory): refused with a reason
 * or a hierarchy whose searches stay in range (exercised by a many-source search from every node). */
#include <string.h>

#include "fuzz_common.h"
#include "route/route_internal.h"
#include "run/cache_internal.h"

static int hierarchy(const uint8_t *data, size_t size, bool sums)
{
    char why[200];
    cc__ch ch;
    if (!cc__ch_from_memory(data, size, NULL, sums, &ch, why, sizeof(why))) {
        if (!why[0]) abort(); /* a refusal gives its reason */
        return 0;
    }
    static cc_ctx *ctx; /* one for the process: no per-run set-up */
    if (ctx || cc_ctx_create(&ctx) == CC_OK) {
        for (int d = 0; d < 2; d++) {
            cc__ch_batch b;
            if (cc__ch_batch_init(ctx, &ch, d ? CC_REVERSE : CC_FORWARD, NULL, &b)) continue;
            cc_seed seeds[CC__CH_LANES];
            for (uint32_t v = 0; v < ch.n; v += CC__CH_LANES) {
                size_t k = 0;
                for (; k < CC__CH_LANES && v + k < ch.n; k++) seeds[k] = (cc_seed){(uint32_t)(v + k), 0, (uint32_t)k};
                cc__ch_batch_run(&b, seeds, k, 3600000);
                volatile uint32_t s = 0;
                for (uint32_t u = 0; u < ch.n; u++) s += cc__ch_batch_cost(&b, u, 0);
                (void)s;
            }
            cc__ch_batch_free(&b);
        }
    }
    cc__ch_free(&ch);
    return 0;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    if (size < 1) return 0;
    bool sums = data[0] & 1;
    if (data[0] & 0x80) return hierarchy(data + 1, size - 1, sums);
    /* a copy of its own, 8-byte aligned as a mapping would be, so that ASan sees every overrun */
    uint8_t *buf = malloc(size - 1 ? size - 1 : 1);
    if (!buf) return 0;
    memcpy(buf, data + 1, size - 1);
    char why[200];
    cc__prep *p = cc__prep_from_memory(buf, size - 1, sums, why, sizeof(why));
    if (!p) {
        if (!why[0]) abort(); /* a refusal gives its reason */
        free(buf);
        return 0;
    }
    cc_roads *roads = NULL;
    cc__demand dem = {0};
    if (!cc__prep_inputs(p, &roads, &dem)) {
        volatile double s = 0;
        for (size_t w = 0; w < roads->n_ways; w++)
            for (size_t k = roads->way_first[w]; k < roads->way_first[w + 1]; k++) s += roads->x[k] + roads->y[k];
        cc__region t = {0};
        if (!cc__prep_topology(p, &dem, &t)) {
            const cc_graph *g = t.graph;
            for (uint32_t u = 0; u < g->n_nodes; u++) {
                for (uint32_t e = g->fwd_first[u]; e < g->fwd_first[u + 1]; e++) s += g->node_x[g->fwd[e].head] + g->arc_len_m[g->fwd_arc[e]];
                for (uint32_t e = g->bwd_first[u]; e < g->bwd_first[u + 1]; e++) s += g->node_y[g->bwd[e].head];
            }
            for (uint32_t a = 0; a < g->n_arcs; a++) s += g->node_x[g->arc_u[a]] + g->pt_s[g->arc_first[a + 1] - 1];
            for (size_t i = 0; i < dem.n && i < 64; i++) {
                cc__join j = cc__snap(t.snap, dem.x[i], dem.y[i], 5000.0);
                if (j.arc != CC_INVALID_ID && j.arc >= g->n_arcs) abort();
            }
            (void)s;
            cc__snap_index_destroy(t.snap);
            cc_graph_destroy(t.graph);
            cc__demand_free(&t.grid);
            free(t.djoin);
            free(t.gjoin);
        }
        cc_roads_destroy(roads);
        cc__demand_free(&dem);
    }
    cc__prep_close(p);
    free(buf);
    return 0;
}
