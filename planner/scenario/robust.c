/*
 * robust.c - robust siting across the variants of a batch (issue 18): the batch file's
 * optional <robust> section and the driver behind `carecircle site --scenarios batch.yaml`.
 *
 *   robust:
 *     objective: max_min | min_max_regret | expected
 *     regret: absolute | relative          # min_max_regret
 *     weights: {base: 8, rainy_season: 4}  # expected: per variant name (months per year); others 0
 *
 * The section is read here from the batch file (batch.c only accepts the key); every variant's
 * inputs come from cc__scenario_inputs(), edits included, and the study runs through
 * cc_site_robust_run().
 */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "carecircle/cc_site_robust.h"
#include "../core/yaml_internal.h"
#include "../io/io_internal.h"
#include "scenario_internal.h"

static const char *const robust_keys[] = {"objective", "regret", "weights", NULL};
static const char *const objectives[] = {"max_min", "min_max_regret", "expected", NULL};
static const char *const regrets[] = {"absolute", "relative", NULL};

/* Read the <robust> section (if any): objective, regret and weights (n, by variant). */
static cc_status read_section(cc_ctx *ctx, const cc_batch *b, bool *have, int *objective, int *regret, double *w)
{
    char *text = NULL;
    size_t len = 0;
    cc__yaml y = {0};
    cc_status st = cc__read_text_file(ctx, b->file, "batch file", &text, &len);
    if (!st) st = cc__yaml_load(ctx, text, len, b->file, &y);
    yaml_node_t *r = st ? NULL : cc__yaml_get(&y, cc__yaml_root(&y), "robust");
    *have = r != NULL;
    if (r && !(st = cc__yaml_check_map(ctx, &y, r, robust_keys, "robust"))) {
        yaml_node_t *n;
        if ((n = cc__yaml_get(&y, r, "objective"))) st = cc__yaml_choice(ctx, &y, n, "objective", objectives, objective);
        if (!st && (n = cc__yaml_get(&y, r, "regret"))) st = cc__yaml_choice(ctx, &y, n, "regret", regrets, regret);
        if (!st && (n = cc__yaml_get(&y, r, "weights"))) {
            if (n->type != YAML_MAPPING_NODE) {
                st = cc__yaml_fail(ctx, &y, n, CC_ERR_INPUT, "<weights> must map variant names to weights, e.g. {base: 8, rainy_season: 4}");
            } else {
                for (size_t v = 0; v < b->n; v++) w[v] = 0;
                for (yaml_node_pair_t *pr = n->data.mapping.pairs.start; pr < n->data.mapping.pairs.top && !st; pr++) {
                    yaml_node_t *k = yaml_document_get_node(&y.doc, pr->key), *val = yaml_document_get_node(&y.doc, pr->value);
                    const char *name = cc__yaml_scalar(k);
                    size_t v = 0;
                    while (name && v < b->n && strcmp(cc_scenario_get_name(b->v[v]), name) && !(v == 0 && !strcmp(name, "base"))) v++;
                    if (!name || v == b->n)
                        st = cc__yaml_fail(ctx, &y, k, CC_ERR_INPUT, "<weights> names <%s>, which is not a variant of the batch", name ? name : "?");
                    else
                        st = cc__yaml_number(ctx, &y, val, "weights", 0, 1e9, &w[v]);
                }
            }
        }
    }
    cc__yaml_free(&y);
    free(text);
    return st;
}

cc_status cc_batch_site_robust(cc_ctx *ctx, const cc_batch *b, const cc_site_robust_opts *tmpl, int objective, int regret,
                               cc_robust_solution **out)
{
    size_t n = b->n;
    cc_inputs *in = calloc(n, sizeof(cc_inputs));
    cc_facility_change **fc = calloc(n, sizeof(cc_facility_change *));
    const char **names = calloc(n, sizeof(char *));
    double *w = calloc(n, sizeof(double));
    cc_status st = (!in || !fc || !names || !w) ? cc__fail(ctx, CC_ERR_NOMEM, "Out of memory") : CC_OK;
    for (size_t v = 0; v < n && !st; v++) w[v] = 1;
    bool have = false;
    int obj = CC_ROBUST_MAX_MIN, reg = 0;
    if (!st) st = read_section(ctx, b, &have, &obj, &reg, w);
    if (objective >= 0) obj = objective; /* the command line wins */
    if (regret >= 0) reg = regret;
    for (size_t v = 0; v < n && !st; v++) {
        st = cc__scenario_inputs(ctx, b->v[v], &in[v], &fc[v]);
        names[v] = v ? cc_scenario_get_name(b->v[v]) : "base";
        if (!st && tmpl->site.in.admin) { /* admin areas given with the site options replace the scenarios' (per-area limits) */
            in[v].admin = tmpl->site.in.admin;
            in[v].admin_name_field = tmpl->site.in.admin_name_field;
            in[v].admin_code_field = tmpl->site.in.admin_code_field;
        }
    }
    if (!st) {
        cc_site_robust_opts o = *tmpl;
        o.n_variants = n;
        o.variants = in;
        o.names = names;
        o.objective = (cc_robust_objective)obj;
        o.relative_regret = reg == 1;
        o.weights = w;
        st = cc_site_robust_run(ctx, &o, out);
    }
    for (size_t v = 0; fc && v < n; v++) free(fc[v]);
    free(fc);
    free(in);
    free(names);
    free(w);
    return st;
}
