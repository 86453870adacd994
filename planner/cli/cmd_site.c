/* cmd_site.c - `carecircle site`: options -> cc_site_run -> a readable table. */
#include <getopt.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "cli.h"
#ifdef CC_WITH_MPI
#include "carecircle/cc_mpi.h"
#endif

static void help(void)
{
    printf("Usage: carecircle site --roads R --population P --out DIR <candidates> [options]\n\n"
           "Where to put new sub-centres or emergency stations: proposes sites, proves how close they are to the\n"
           "best possible (bound and gap), and writes DIR/sites.gpkg (proposed_sites, candidates, existing_facilities,\n"
           "isochrones before/after), DIR/coverage_curve.csv and DIR/summary.json, and prints a table.\n\n"
           "Inputs:\n"
           "  --roads R              OSM .osm.pbf/.osm or any OGR line layer (GPKG, SHP, GeoJSON, PG:...)\n"
           "  --roads-layer NAME     --class-field F   --speed-field F   (as for coverage)\n"
           "  --population P         population raster (people per cell) or village points\n"
           "  --population-field F   population field of village points (default population or pop)\n"
           "  --facilities F         existing facilities (GPKG, GeoJSON, SHP, or CSV with lon/lat columns)\n"
           "  --tier-field F --tiers MAP --name-field F --facility-where SQL --lon-field F --lat-field F\n"
           "  --encoding E           text of CSV files and shapefiles: GBK, UTF-8, ... (default: detected)\n"
           "  --fixed-tiers LIST     tiers whose facilities stay and count as covering already, e.g. hospital\n\n"
           "Candidates (at least one source):\n"
           "  --candidate-tiers LIST facilities of these tiers may be upgraded (e.g. township_health_centre)\n"
           "  --candidates F         a point layer of candidate sites (--candidate-name-field F)\n"
           "  --candidate-roads LIST points along drivable roads of these classes (or all), every --spacing\n"
           "  --spacing M            metres between generated candidates (default 1000; none closer than M/2)\n"
           "  --exclude A            polygons where no new site may stand\n\n"
           "Model:\n"
           "  --model M              mclp (default): p sites, most population within --minutes\n"
           "                         lscp: fewest sites reaching --target share within --minutes\n"
           "                         pmedian: p sites, least population-weighted mean time\n"
           "                         pcenter: p sites, least worst time (90th percentile reported too)\n"
           "                         mexclp (with --emergency): p ambulances, most expected population within\n"
           "                         --minutes when each is busy --busy-fraction of the time (Daskin 1983)\n"
           "                         dsm (with --emergency): p ambulances; everybody a station can reach within\n"
           "                         --outer-minutes covered within it, a share --alpha within --minutes, most\n"
           "                         population within --minutes of two ambulances (Gendreau et al. 1997)\n"
           "                         cmclp: p sites, each serving at most its capacity, most population\n"
           "                         served within --minutes (people may be split between sites)\n"
           "                         cpmedian: p sites, each serving at most its capacity, least mean time\n"
           "                         (capped at --radius; people no site can take stay at their time)\n"
           "  -p N                   new sites (mexclp, dsm: new ambulances) (default 1)\n"
           "  --busy-fraction Q      mexclp: share of time an ambulance is out on a call, above 0 and below 1\n"
           "                         (calls per hour x mean service hours / ambulances; 0.1-0.3 without data)\n"
           "  --max-per-station K    mexclp: at most K new ambulances at one station (default p); dsm: (default 2)\n"
           "  --outer-minutes R2     dsm: the outer standard, above --minutes (default 30; --minutes default 15)\n"
           "  --alpha A              dsm: share of the population within --minutes, 0 to 1 (default 0.95)\n"
           "  --site-capacity N      cmclp, cpmedian: persons one new site can serve\n"
           "  --capacity FIELD       cmclp, cpmedian: capacity field of the facilities: --candidate-tiers take\n"
           "                         it (empty: --site-capacity); --fixed-tiers with a value are capacitated\n"
           "  --curve K              coverage_curve.csv for 1..K sites (default p)\n"
           "  --minutes T            threshold (default 30)\n"
           "  --target S             lscp: covered share to reach (default 0.95)\n"
           "  --radius MIN           pmedian/pcenter: search radius; times are capped there (default 60)\n"
           "  --emergency            emergency-station mode: station -> patient, plus the dispatch delay;\n"
           "                         reports backup coverage (two or more stations within T)\n"
           "  --dispatch-minutes D   dispatch delay in emergency mode (default 3)\n"
           "  --capable-tiers LIST   with --emergency (mclp, lscp): optimise the emergency chain, dispatch +\n"
           "                         station -> patient + on scene + patient -> nearest facility of LIST\n"
           "  --on-scene-minutes S   time on scene in the chain (default 10)\n"
           "  --upgrade-tiers LIST   with --capable-tiers (mclp): facilities of LIST may also be upgraded to\n"
           "                         capable, at most --max-subcentres of them, chosen with the stations\n\n"
           "Constraints:\n"
           "  --admin A              admin-area polygons (townships) (--admin-name-field, --admin-code-field)\n"
           "  --max-per-area K       at most K new sites per admin area\n"
           "  --min-per-area K       at least K new sites per admin area\n"
           "  --max-subcentres N     with --candidate-tiers (not --emergency) or --upgrade-tiers: at most N upgrades (default 2)\n\n"
           "Solver:\n"
           "  --exact                also solve the integer programme with GLPK (refused when too large)\n"
           "  --time-limit S         time limit of --exact in seconds (default 600)\n"
           "  --exact-limit N        largest integer programme --exact accepts, in non-zeros (default 2000000)\n\n"
           "Across scenarios (robust siting; models mclp, lscp (max_min), pmedian, pcenter; with --max-per-area, --min-per-area, --emergency):\n"
           "  --scenarios B          a batch file: one set of p sites for the base and every variant (inputs from the\n"
           "                         scenarios; writes DIR/sites.gpkg (robust_sites), DIR/summary.json, DIR/regret.csv,\n"
           "                         DIR/report_<lang>.html and DIR/<variant>/ with the robust set's map in each variant)\n"
           "  --objective O          max_min (default): best worst case (coverage; pmedian, pcenter: time); min_max_regret:\n"
           "                         smallest worst loss against each variant's own optimum; expected: weighted mean\n"
           "                         (weights from the batch's robust: section; not pcenter)\n"
           "  --regret R             min_max_regret: absolute (default, persons or seconds) or relative (share of the\n"
           "                         optimum)\n\n"
           CLI_OFFROAD_HELP
           "Run:\n"
           "  --out DIR              output folder; replaced only when the run completes\n"
           "  --lang L               map_<lang>.png/.pdf and report_<lang>.html in zh, en or zh,en (default zh);\n"
           "                         also QGIS styles in sites.gpkg and project.qgs, as for coverage\n"
           "  --title TEXT           title of the maps and report\n"
           "  --outputs LIST         what to write besides summary.json and coverage_curve.csv (robust: regret.csv\n"
           "                         and each variant's summary.json): gpkg (sites.gpkg), report (styles, project.qgs,\n"
           "                         maps, HTML; needs gpkg), summary (nothing else), all (default)\n"
           "  --max-memory MIB       refuse coverage sets above this (default: half of the machine's memory)\n"
           "  --profile NAME|FILE    ambulance (default), car, walk, or a YAML profile\n"
           "  --crs EPSG:n           working metric CRS (default: UTM zone of the roads' centre)\n"
           "  --resolution M         isochrone grid cell for village points (default 100)\n"
           "  --threads N            0 = all cores (default), -k = all but k\n"
           CLI_CACHE_HELP
           "                         (also the contraction hierarchy of the coverage sets)\n"
           "  --quiet, --verbose     less or more on stderr\n\n"
           "Bound and gap: the bound is a proven limit on the best possible answer (upper for mclp, lower for the\n"
           "others). mclp gap = (bound - covered) / population gained; others (objective - bound) / objective.\n");
}

enum {
    O_FIXED = CLI_O_OWN, O_CTIERS, O_CANDS, O_CNAME, O_CROADS, O_SPACING, O_EXCLUDE, O_MODEL, O_CURVE, O_MINUTES, O_TARGET, O_RADIUS, O_EMERG, O_DISPATCH, O_MAXA, O_MINA, O_MAXSUB, O_EXACT, O_TLIM, O_XLIM, O_OUT, O_MAXMEM, O_RES, O_LANG, O_TITLE, O_CAPABLE, O_ONSCENE, O_SCEN, O_OBJ, O_REGRET, O_BUSY, O_MAXPS, O_SCAP, O_CAPF, O_OUTER, O_ALPHA, O_UPGRADE, O_OUTPUTS
};

static bool parse_double(const char *opt, const char *s, double lo, double hi, double *out)
{
    char *end;
    double v = cc_strtod(s, &end);
    if (end == s || *end || !isfinite(v) || v < lo || v > hi) {
        cli_usage_error("site", "%s '%s' must be a number between %g and %g", opt, s, lo, hi);
        return false;
    }
    *out = v;
    return true;
}

static bool parse_int(const char *opt, const char *s, long lo, long hi, long *out)
{
    char *end;
    long v = strtol(s, &end, 10);
    if (end == s || *end || v < lo || v > hi) {
        cli_usage_error("site", "%s '%s' must be a whole number between %ld and %ld", opt, s, lo, hi);
        return false;
    }
    *out = v;
    return true;
}

static void print_table(const cc_site_result *r, const cc_site_opts *o)
{
    char a[32], b[32], c[32], d[32];
    const cc_site_solution *s = r->solution;
    const bool cov = r->model == CC_SITE_MCLP || r->model == CC_SITE_LSCP || r->model == CC_SITE_MEXCLP || r->model == CC_SITE_CMCLP ||
                     r->model == CC_SITE_DSM;
    const bool cap = r->model == CC_SITE_CMCLP;
    const bool cpm = r->model == CC_SITE_CPMEDIAN;
    const bool mx = r->model == CC_SITE_MEXCLP || r->model == CC_SITE_DSM;
    const bool dsm = r->model == CC_SITE_DSM;
    const double tot = r->population_total > 0 ? r->population_total : 1;
    printf("carecircle site: %s%s, %u candidates (%u facilities, %u from the layer, %u along roads), %u existing facilities, %s, %s\n",
           cc_site_model_name(r->model), r->emergency ? " (emergency stations)" : "", r->candidates_total, r->candidates_facility,
           r->candidates_layer, r->candidates_road, r->fixed_facilities, r->profile_name, r->crs_name);
    if (r->model == CC_SITE_LSCP && !s->feasible) {
        printf("target %.1f%% within %g min cannot be reached: %s people are beyond %g min of every candidate (%s without road access);\n"
               "the best share reachable is %.2f%% (no choice of sites exceeds %.2f%%). Proposed: the %u sites that reach it.\n",
               100 * (o->target_share ? o->target_share : 0.95), r->minutes, cc_report_count(r->unreachable_by_candidates, a, sizeof(a)),
               r->minutes, cc_report_count(r->population_no_road_access, b, sizeof(b)), 100 * s->best_share, 100 * s->best_share_bound,
               s->n_sites);
    }
    if (mx)
        printf("%4s %4s %16s %16s %8s %14s  %-14s %s\n", "rank", "amb.", dsm ? "twice gained" : "expected gain", dsm ? "covered twice" : "expected",
               "share", "served", "admin", "name");
    else if (cap)
        printf("%4s %12s %16s %16s %8s  %-14s %s\n", "rank", "capacity", "served", "served (cum.)", "share", "admin", "name");
    else if (cov)
        printf("%4s %16s %16s %8s %14s  %-14s %s\n", "rank", "gained", "covered", "share", "served", "admin", "name");
    else if (cpm)
        printf("%4s %16s %12s %14s  %-14s %s\n", "rank", "mean min saved", "capacity", "served", "admin", "name");
    else
        printf("%4s %16s %14s  %-14s %s\n", "rank", "mean min saved", "served", "admin", "name");
    const size_t shown = r->n_picks > 30 ? 25 : r->n_picks;
    for (size_t k = 0; k < shown; k++) {
        const cc_site_pick *p = &r->picks[k];
        if (mx)
            printf("%4u %4u %16s %16s %7.2f%% %14s  %-14.*s %s\n", p->rank, p->ambulances, cc_report_count(p->gain_persons, a, sizeof(a)),
                   cc_report_count(p->covered_cum, b, sizeof(b)), 100 * p->share_cum, cc_report_count(p->served, c, sizeof(c)),
                   cli_fit(p->admin ? p->admin : "-", 14), p->admin ? p->admin : "-", p->name);
        else if (cap)
            printf("%4u %12s %16s %16s %7.2f%%  %-14.*s %s\n", p->rank, cc_report_count(p->capacity, a, sizeof(a)), cc_report_count(p->served, c, sizeof(c)),
                   cc_report_count(p->covered_cum, b, sizeof(b)), 100 * p->share_cum, cli_fit(p->admin ? p->admin : "-", 14), p->admin ? p->admin : "-", p->name);
        else if (cov)
            printf("%4u %16s %16s %7.2f%% %14s  %-14.*s %s\n", p->rank, cc_report_count(p->gain_persons, a, sizeof(a)),
                   cc_report_count(p->covered_cum, b, sizeof(b)), 100 * p->share_cum, cc_report_count(p->served, c, sizeof(c)),
                   cli_fit(p->admin ? p->admin : "-", 14), p->admin ? p->admin : "-", p->name);
        else if (cpm)
            printf("%4u %16.3f %12s %14s  %-14.*s %s\n", p->rank, p->saved_mean_s / 60.0, cc_report_count(p->capacity, a, sizeof(a)),
                   cc_report_count(p->served, c, sizeof(c)), cli_fit(p->admin ? p->admin : "-", 14), p->admin ? p->admin : "-", p->name);
        else
            printf("%4u %16.3f %14s  %-14.*s %s\n", p->rank, p->saved_mean_s / 60.0, cc_report_count(p->served, c, sizeof(c)), cli_fit(p->admin ? p->admin : "-", 14),
                   p->admin ? p->admin : "-", p->name);
    }
    if (shown < r->n_picks) printf("   ... %zu more sites in %s/sites.gpkg (layer proposed_sites)\n", r->n_picks - shown, o->out_dir);
    if (r->chain) printf("times are the emergency chain: dispatch %g + station -> patient + on scene %g + patient -> nearest facility of %s\n",
                         r->dispatch_minutes, r->on_scene_minutes, o->capable_tiers);
    if (o->upgrade_tiers) {
        printf("upgraded to capable: %u of %u facilities of %s (%u upgrade sets solved; best with no upgrade: %s covered)\n", r->n_upgraded,
               r->upgrade_candidates, o->upgrade_tiers, r->upgrade_sets, cc_report_count(r->covered_without_upgrade, a, sizeof(a)));
        for (uint32_t k = 0; k < r->n_upgraded; k++) printf("  upgrade: %s (facility %u of the file, from 0)\n", r->upgraded_names[k], r->upgraded[k]);
    }
    printf("within %g min%s: before %s (%.2f%%), after %s (%.2f%%) of %s people\n", r->minutes, r->emergency ? " (dispatch included)" : "",
           cc_report_count(r->covered_before, a, sizeof(a)), 100 * r->covered_before / tot, cc_report_count(r->covered_after, b, sizeof(b)),
           100 * r->covered_after / tot, cc_report_count(r->population_total, c, sizeof(c)));
    if (r->model == CC_SITE_MCLP)
        printf("bound: no %u new sites can cover more than %s (gap %.3f%% of the population gained, %s)%s\n", r->p,
               cc_report_count(s->bound, a, sizeof(a)), 100 * s->gap, s->bound_method, s->proven_optimal ? ": proven optimal" : "");
    else if (dsm) {
        const double a_ = r->alpha;
        printf("double standard: within %g min (r1) before %s (%.2f%%), after %s (%.2f%%), alpha %.0f%%%s\n", r->minutes,
               cc_report_count(r->covered_before, a, sizeof(a)), 100 * r->covered_before / tot, cc_report_count(r->covered_after, b, sizeof(b)),
               100 * r->covered_after / tot, 100 * a_, s->alpha_met ? ": met" : ": NOT met");
        printf("within %g min (r2): before %s, after %s of the %s people a station can reach within it%s\n", r->outer_minutes,
               cc_report_count(r->outer_before, a, sizeof(a)), cc_report_count(r->outer_after, b, sizeof(b)),
               cc_report_count(r->outer_reachable, c, sizeof(c)), s->outer_met ? ": all covered" : ": NOT all covered");
        printf("within %g min of two or more ambulances: before %s (%.2f%%), after %s (%.2f%%); %u existing + %u new ambulances\n", r->minutes,
               cc_report_count(r->twice_before, a, sizeof(a)), 100 * r->twice_before / tot, cc_report_count(r->twice_after, b, sizeof(b)),
               100 * r->twice_after / tot, r->ambulances_existing, r->ambulances_new);
        if (s->feasible)
            printf("bound: no %u new ambulances can cover more than %s twice (gap %.3f%% of the population newly covered twice, %s)%s\n", r->p,
                   cc_report_count(s->bound, a, sizeof(a)), 100 * s->gap, s->bound_method, s->proven_optimal ? ": proven optimal" : "");
        else
            printf("the standards cannot be met%s with %u new ambulances: the best plan found has %.2f%% within %g min; no plan exceeds %.2f%%%s.\n"
                   "Proposed: that plan (outer standard first, then the share within %g min). Add ambulances or lower --alpha.\n",
                   s->infeasible_proven ? "" : " (not proven: no plan found, try --exact)", r->p, 100 * s->best_share, r->minutes,
                   100 * s->best_share_bound, s->outer_met ? "" : " (the outer standard is not met either)", r->minutes);
    } else if (mx) {
        printf("expected within %g min (each ambulance busy %.0f%% of the time): before %s (%.2f%%, %u ambulances), after %s (%.2f%%, %u new)\n",
               r->minutes, 100 * r->busy_fraction, cc_report_count(r->expected_before, a, sizeof(a)), 100 * r->expected_before / tot,
               r->ambulances_existing, cc_report_count(r->expected_after, b, sizeof(b)), 100 * r->expected_after / tot, r->ambulances_new);
        printf("bound: no %u new ambulances can serve more than %s expected (gap %.3f%% of the expected gain, %s)%s\n", r->p,
               cc_report_count(s->bound, a, sizeof(a)), 100 * s->gap, s->bound_method, s->proven_optimal ? ": proven optimal" : "");
        printf("within %g min of two or more ambulances: before %s (%.2f%%), after %s (%.2f%%)\n", r->minutes,
               cc_report_count(r->twice_before, a, sizeof(a)), 100 * r->twice_before / tot, cc_report_count(r->twice_after, b, sizeof(b)),
               100 * r->twice_after / tot);
    } else if (cap) {
        printf("served within %g min, capacities respected: before %s, after %s (%.2f%%); %s within reach of a %ssite but beyond its capacity\n",
               r->minutes, cc_report_count(r->served_before, a, sizeof(a)), cc_report_count(s->objective, b, sizeof(b)), 100 * s->objective / tot,
               cc_report_count(r->unserved_within_new, c, sizeof(c)), r->capacitated_existing ? "capacitated " : "new ");
        if (r->capacitated_existing) printf("%u existing facilities have a capacity and share their people with the new sites\n", r->capacitated_existing);
        printf("bound: no %u new sites can serve more than %s (gap %.3f%% of the population they serve, %s)%s%s\n", r->p,
               cc_report_count(s->bound, a, sizeof(a)), 100 * s->gap, s->bound_method, s->proven_optimal ? ": proven optimal" : "",
               s->local_search_skipped ? " (too large for the swap search: greedy answer)" : "");
    } else if (r->model == CC_SITE_LSCP && s->feasible)
        printf("bound: at least %.0f new sites are needed for %.1f%% (gap %.2f%%, %s)%s\n", s->bound,
               100 * (o->target_share ? o->target_share : 0.95), 100 * s->gap, s->bound_method, s->proven_optimal ? ": proven optimal" : "");
    else if (r->model == CC_SITE_PMEDIAN)
        printf("mean time (capped at %g min): %.2f min; bound: no %u new sites do better than %.2f min (gap %.3f%%, %s)%s\n",
               r->radius_minutes, s->objective / 60, r->p, s->bound / 60, 100 * s->gap, s->bound_method,
               s->proven_optimal ? ": proven optimal" : "");
    else if (cpm) {
        printf("mean time (capped at %g min), capacities respected: before %.2f min, after %.2f min (%.2f min if capacities were ignored); "
               "%s at the radius, %s of them reached by a site that is full\n",
               r->radius_minutes, r->cap_mean_s_before / 60, s->objective / 60, r->mean_s_blind_after / 60, cc_report_count(r->at_radius_after, a, sizeof(a)),
               cc_report_count(r->unserved_within_new, b, sizeof(b)));
        if (r->capacitated_existing) printf("%u existing facilities have a capacity and share their people with the new sites\n", r->capacitated_existing);
        printf("bound: no %u new sites do better than %.2f min (gap %.3f%%, %s)%s%s\n", r->p, s->bound / 60, 100 * s->gap, s->bound_method,
               s->proven_optimal ? ": proven optimal" : "", s->local_search_skipped ? " (swap search stopped at its budget)" : "");
    } else if (r->model == CC_SITE_PCENTER)
        printf("worst time (capped at %g min): %.2f min, 90th percentile %.2f min; bound: no %u new sites do better than %.2f min (gap %.2f%%)%s\n",
               r->radius_minutes, s->objective / 60, s->p90_s / 60, r->p, s->bound / 60, 100 * s->gap,
               s->proven_optimal ? ": proven optimal" : "");
    { /* "none" before when nobody reached a facility (no existing facilities kept) */
        char t[6][24];
        const double v[6] = {r->mean_s_before, r->mean_s_after, r->p90_s_before, r->p90_s_after, r->worst_s_before, r->worst_s_after};
        for (int k = 0; k < 6; k++) {
            if (isfinite(v[k])) snprintf(t[k], sizeof(t[k]), "%.2f", v[k] / 60);
            else snprintf(t[k], sizeof(t[k]), "none");
        }
        printf("mean time %s -> %s min, 90th percentile %s -> %s min, worst %s -> %s min (people reaching a facility)\n", t[0], t[1],
               t[2], t[3], t[4], t[5]);
    }
    printf("backup (two or more facilities within %g min): before %s (%.2f%%), after %s (%.2f%%)\n", r->minutes,
           cc_report_count(r->backup_before, a, sizeof(a)), 100 * r->backup_before / tot, cc_report_count(r->backup_after, b, sizeof(b)),
           100 * r->backup_after / tot);
    if (r->n_curve > 1 && r->model != CC_SITE_LSCP) {
        printf("curve:");
        for (size_t k = 0; k < r->n_curve; k++) {
            const cc_site_curve_point *cp = &r->curve[k];
            if (cov)
                printf(" p=%u %.2f%%", cp->p, 100 * cp->share);
            else
                printf(" p=%u %.2f min", cp->p, cp->objective / 60);
        }
        printf("\n");
    }
    printf("coverage sets: %llu pairs, %s bytes (%.1f per pair), %llu nodes settled; %u demand classes after merging\n",
           (unsigned long long)r->pairs, cc_report_count((double)r->sets_bytes, d, sizeof(d)), r->bytes_per_pair,
           (unsigned long long)r->settled_nodes, s->demand_classes);
    printf("time %.2f s (load %.2f, graph %.3f, snap %.3f, sets %.3f, solve %.3f, evaluate %.3f, write %.2f)\n", r->t_total_s, r->t_load_s,
           r->t_graph_s, r->t_snap_s, r->t_sets_s, r->t_solve_s, r->t_eval_s, r->t_write_s);
    printf("outputs:");
    if (!o->outputs || (o->outputs & CC_OUT_GPKG)) printf(" %s/sites.gpkg", o->out_dir);
    printf(" %s/coverage_curve.csv %s/summary.json", o->out_dir, o->out_dir);
    if (!o->outputs || (o->outputs & CC_OUT_REPORT)) printf(" %s/project.qgs", o->out_dir);
    printf("\n");
}

/* `--scenarios batch.yaml`: one set of sites for every variant of the batch (issue 18). */
/* The closing "outputs:" line of a robust run: the files it wrote (the reports only when they are
 * there: --no-maps, one language) and the variants' folders that are there. */
static void robust_outputs(const char *out, unsigned outputs, const cc_batch *b, size_t n)
{
    printf("outputs:");
    if (!outputs || (outputs & CC_OUT_GPKG)) printf(" %s/sites.gpkg", out);
    printf(" %s/summary.json %s/regret.csv", out, out);
    static const char *const rep[] = {"report_zh.html", "report_en.html"};
    char path[4300];
    for (size_t k = 0; k < 2; k++) {
        snprintf(path, sizeof(path), "%s/%s", out, rep[k]);
        if (access(path, F_OK) == 0) printf(" %s", path);
    }
    size_t folders = 0;
    for (size_t v = 0; v < n; v++) {
        snprintf(path, sizeof(path), "%s/%s/summary.json", out, v ? cc_scenario_get_name(cc_batch_get_variant(b, v)) : "base");
        folders += access(path, F_OK) == 0;
    }
    if (folders == n)
        printf(", and one folder per variant, %s/<variant>/ (the robust set evaluated there: %s)", out,
               !outputs || (outputs & CC_OUT_REPORT) ? "sites, summary, map, report" : (outputs & CC_OUT_GPKG) ? "sites, summary" : "summary");
    else if (folders) printf(", and %s/<variant>/ for %zu of the %zu variants", out, folders, n);
    printf("\n");
}

/* The name of variant @p v of @p b in the robust tables ("base" for the first). */
static const char *vname(const cc_batch *b, size_t v)
{
    return v ? cc_scenario_get_name(cc_batch_get_variant(b, v)) : "base";
}

static int robust_main(const cli_cmd *cmd, cc_site_opts *o, const char *batch, int objective, int regret)
{
    if (o->in.roads || o->in.population || o->in.facilities) {
        cli_usage_error("site", "with --scenarios the inputs come from the batch's scenarios: drop --roads, --population and --facilities");
        return CLI_EXIT_USAGE;
    }
    if (!o->out_dir) {
        cli_usage_error("site", "--out is required");
        return CLI_EXIT_USAGE;
    }
    if (!o->candidates && !o->candidate_tiers && !o->candidate_roads) {
        cli_usage_error("site", "give candidate sites: --candidate-tiers, --candidates or --candidate-roads");
        return CLI_EXIT_USAGE;
    }
    cli_env env;
    struct cc_mpi *mpi;
    int rc = cli_cmd_start(cmd, &env, true, &mpi);
    if (rc) return rc;
    cc_batch *b = NULL;
    cc_robust_solution *R = NULL;
    cc_site_robust_opts ro = {.site = *o};
    cc_status st = cc_batch_load(env.ctx, batch, &b);
#ifdef CC_WITH_MPI
    /* under mpirun/srun: every variant's coverage sets over the ranks, solved and written on rank 0 */
    if (!st) st = cc_mpi_batch_site_robust(env.ctx, mpi, b, &ro, objective, regret, &R);
#else
    if (!st) st = cc_batch_site_robust(env.ctx, b, &ro, objective, regret, &R);
#endif
    if (st) {
        rc = cli_fail(&env, st);
    } else if (R && R->model == CC_SITE_LSCP) {
        printf("carecircle site --scenarios: lscp over %zu variants, %u sites for a covered share of %.4g in every variant%s\n", R->n_variants,
               R->n_sites, R->target_share, R->feasible ? "" : " (not reachable in every variant: best effort, see summary.json)");
        printf("%-24s %14s %14s %14s %10s\n", "variant", "covered share", "own sites", "own bound", "extra");
        for (size_t v = 0; v < R->n_variants; v++)
            printf("%-24.*s %14.4f %14.0f %14.0f %10.0f\n", cli_fit(vname(b, v), 24), vname(b, v),
                   R->total[v] > 0 ? R->cov[v] / R->total[v] : 0, R->opt[v], R->opt_bound[v], R->regret[v]);
        printf("sites %u, lower bound %.6g (%s), gap %.4g%%%s\n", R->n_sites, R->bound, R->bound_method, 100 * R->gap,
               R->proven_optimal ? ": proven minimal" : "");
        robust_outputs(o->out_dir, o->outputs, b, R->n_variants);
    } else if (R) { /* MPI: rank 0 only */
        bool rg = R->objective == CC_ROBUST_MIN_MAX_REGRET, tm = R->model != CC_SITE_MCLP;
        printf("carecircle site --scenarios: %s %s%s over %zu variants, %u sites\n", cc_site_model_name(R->model), cc_robust_objective_name(R->objective),
               rg ? (R->relative_regret ? " (relative regret)" : " (absolute regret)") : "", R->n_variants, R->n_sites);
        printf("%-24s %14s %14s %14s %10s\n", "variant", R->model == CC_SITE_PMEDIAN ? "mean time s" : tm ? "worst time s" : "covered",
               "own optimum", "own bound", "regret");
        for (size_t v = 0; v < R->n_variants; v++)
            printf("%-24.*s %14.*f %14.*f %14.*f %10.*f\n", cli_fit(vname(b, v), 24), vname(b, v), tm, R->cov[v], tm,
                   R->opt[v], tm, R->opt_bound[v], tm, cc_site_robust_regret(R, v, R->cov[v]));
        printf("objective %.6g, bound %.6g (%s, %s), gap %.4g%%%s\n", R->objective_value, R->bound, rg || tm ? "lower" : "upper",
               R->bound_method, 100 * R->gap, R->proven_optimal ? ": proven optimal" : "");
        robust_outputs(o->out_dir, o->outputs, b, R->n_variants);
    }
    cc_robust_solution_destroy(R);
    cc_batch_destroy(b);
    cli_cmd_end(&env, mpi);
    return rc;
}

static const struct option site_longopts[] = {
    CLI_INPUT_LONGOPTS,
    {"fixed-tiers", 1, 0, O_FIXED}, {"candidate-tiers", 1, 0, O_CTIERS},
    {"candidates", 1, 0, O_CANDS}, {"candidate-name-field", 1, 0, O_CNAME}, {"candidate-roads", 1, 0, O_CROADS},
    {"spacing", 1, 0, O_SPACING}, {"exclude", 1, 0, O_EXCLUDE}, {"model", 1, 0, O_MODEL}, {"curve", 1, 0, O_CURVE},
    {"minutes", 1, 0, O_MINUTES}, {"target", 1, 0, O_TARGET}, {"radius", 1, 0, O_RADIUS}, {"emergency", 0, 0, O_EMERG},
    {"dispatch-minutes", 1, 0, O_DISPATCH}, {"capable-tiers", 1, 0, O_CAPABLE}, {"upgrade-tiers", 1, 0, O_UPGRADE}, {"on-scene-minutes", 1, 0, O_ONSCENE}, {"max-per-area", 1, 0, O_MAXA}, {"min-per-area", 1, 0, O_MINA},
    {"max-subcentres", 1, 0, O_MAXSUB}, {"exact", 0, 0, O_EXACT}, {"time-limit", 1, 0, O_TLIM}, {"exact-limit", 1, 0, O_XLIM}, {"out", 1, 0, O_OUT},
    {"max-memory", 1, 0, O_MAXMEM}, {"resolution", 1, 0, O_RES}, {"lang", 1, 0, O_LANG}, {"title", 1, 0, O_TITLE}, {"outputs", 1, 0, O_OUTPUTS},
    {"scenarios", 1, 0, O_SCEN}, {"objective", 1, 0, O_OBJ}, {"regret", 1, 0, O_REGRET},
    {"busy-fraction", 1, 0, O_BUSY}, {"max-per-station", 1, 0, O_MAXPS}, {"site-capacity", 1, 0, O_SCAP}, {"capacity", 1, 0, O_CAPF},
    {"outer-minutes", 1, 0, O_OUTER}, {"alpha", 1, 0, O_ALPHA},
    CLI_THREADS_LONGOPT, CLI_LOG_LONGOPTS, CLI_CACHE_LONGOPTS, {0, 0, 0, 0}};

/* What the options of carecircle site set. */
typedef struct site_args {
    cc_site_opts o;
    cc_report_opts rep;
    const char *scenarios;
    int objective, regret; /* -1: not given */
} site_args;

/* Whether the comma list @p list has the item @p name. */
static bool has_item(const char *list, const char *name)
{
    size_t n = strlen(name);
    for (const char *p = list; p; p = strchr(p, ',') ? strchr(p, ',') + 1 : NULL)
        if (!strncmp(p, name, n) && (p[n] == ',' || !p[n])) return true;
    return false;
}

/* One option of carecircle site (not an input option) into @p a: 0, or the exit code of a usage error. */
static int site_option(int c, site_args *a)
{
    long iv;
    double dv;
    switch (c) {
    case O_FIXED: a->o.fixed_tiers = optarg; break;
    case O_CTIERS: a->o.candidate_tiers = optarg; break;
    case O_CANDS: a->o.candidates = optarg; break;
    case O_CNAME: a->o.candidate_name_field = optarg; break;
    case O_CROADS: a->o.candidate_roads = optarg; break;
    case O_SPACING:
        if (!parse_double("--spacing", optarg, 10, 1e6, &a->o.spacing_m)) return CLI_EXIT_USAGE;
        break;
    case O_EXCLUDE: a->o.exclude = optarg; break;
    case O_MODEL:
        if (!strcmp(optarg, "mclp")) a->o.model = CC_SITE_MCLP;
        else if (!strcmp(optarg, "lscp")) a->o.model = CC_SITE_LSCP;
        else if (!strcmp(optarg, "pmedian") || !strcmp(optarg, "p-median")) a->o.model = CC_SITE_PMEDIAN;
        else if (!strcmp(optarg, "pcenter") || !strcmp(optarg, "pcentre") || !strcmp(optarg, "p-center") || !strcmp(optarg, "p-centre"))
            a->o.model = CC_SITE_PCENTER;
        else if (!strcmp(optarg, "mexclp")) a->o.model = CC_SITE_MEXCLP;
        else if (!strcmp(optarg, "cmclp")) a->o.model = CC_SITE_CMCLP;
        else if (!strcmp(optarg, "dsm")) a->o.model = CC_SITE_DSM;
        else if (!strcmp(optarg, "cpmedian") || !strcmp(optarg, "cp-median")) a->o.model = CC_SITE_CPMEDIAN;
        else {
            return cli_usage_error("site", "--model '%s' is not one of mclp, lscp, pmedian, pcenter, mexclp, cmclp, cpmedian, dsm", optarg);
        }
        break;
    case 'p':
        if (!parse_int("-p", optarg, 1, 100000, &iv)) return CLI_EXIT_USAGE;
        a->o.p = (uint32_t)iv;
        break;
    case O_CURVE:
        if (!parse_int("--curve", optarg, 1, 100000, &iv)) return CLI_EXIT_USAGE;
        a->o.curve_to = (uint32_t)iv;
        break;
    case O_MINUTES:
        if (!parse_double("--minutes", optarg, 0.01, 1440, &a->o.minutes)) return CLI_EXIT_USAGE;
        break;
    case O_TARGET:
        if (!parse_double("--target", optarg, 1e-9, 1, &a->o.target_share)) return CLI_EXIT_USAGE;
        break;
    case O_RADIUS:
        if (!parse_double("--radius", optarg, 0.01, 1440, &a->o.radius_minutes)) return CLI_EXIT_USAGE;
        break;
    case O_EMERG: a->o.emergency = true; break;
    case O_DISPATCH:
        if (!parse_double("--dispatch-minutes", optarg, 0, 120, &dv)) return CLI_EXIT_USAGE;
        a->o.dispatch_minutes = dv == 0 ? -1 : dv; /* the library reads 0 as "default" */
        break;
    case O_CAPABLE: a->o.capable_tiers = optarg; break;
    case O_UPGRADE: a->o.upgrade_tiers = optarg; break;
    case O_ONSCENE:
        if (!parse_double("--on-scene-minutes", optarg, 0, 240, &dv)) return CLI_EXIT_USAGE;
        a->o.on_scene_minutes = dv == 0 ? -1 : dv;
        break;
    case O_MAXA:
        if (!parse_int("--max-per-area", optarg, 1, 100000, &iv)) return CLI_EXIT_USAGE;
        a->o.max_per_area = (int)iv;
        break;
    case O_MINA:
        if (!parse_int("--min-per-area", optarg, 0, 100000, &iv)) return CLI_EXIT_USAGE;
        a->o.min_per_area = (int)iv;
        break;
    case O_MAXSUB:
        if (!parse_int("--max-subcentres", optarg, 1, 100000, &iv)) return CLI_EXIT_USAGE;
        a->o.max_subcentres = (uint32_t)iv;
        break;
    case O_EXACT: a->o.exact = true; break;
    case O_TLIM:
        if (!parse_double("--time-limit", optarg, 1, 1e7, &a->o.time_limit_s)) return CLI_EXIT_USAGE;
        break;
    case O_XLIM:
        if (!parse_double("--exact-limit", optarg, 1, 1e12, &dv)) return CLI_EXIT_USAGE;
        a->o.exact_max_nonzeros = (size_t)dv;
        break;
    case O_OUT: a->o.out_dir = optarg; break;
    case O_MAXMEM:
        if (!parse_double("--max-memory", optarg, 1, 1e9, &dv)) return CLI_EXIT_USAGE;
        a->o.max_memory_bytes = (size_t)(dv * 1048576.0);
        break;
    case O_RES:
        if (!parse_double("--resolution", optarg, 1, 100000, &a->o.in.resolution_m)) return CLI_EXIT_USAGE;
        break;
    case O_LANG:
        if (cli_parse_lang("site", optarg, &a->rep.lang)) return CLI_EXIT_USAGE;
        break;
    case O_TITLE: a->rep.title_zh = a->rep.title_en = optarg; break;
    case O_OUTPUTS: {
        const char *bad = NULL;
        if (cc_coverage_outputs_parse(optarg, &a->o.outputs, &bad))
            return cli_usage_error("site", "--outputs '%s': unknown output '%.*s': use summary, gpkg, report or all, comma-separated", optarg,
                                   bad ? (int)strcspn(bad, ",") : 0, bad ? bad : "");
        for (const char *const *t = (const char *const[]){"raster", "tables", NULL}; *t; t++)
            if (has_item(optarg, *t))
                return cli_usage_error("site", "--outputs '%s': %s is a coverage output; a siting run writes summary, gpkg and report", optarg, *t);
        a->o.outputs &= ~(unsigned)(CC_OUT_RASTER | CC_OUT_TABLES); /* "all" of a siting run; the library refuses report without gpkg */
        break;
    }
    case O_SCEN: a->scenarios = optarg; break;
    case O_OBJ:
        a->objective = !strcmp(optarg, "max_min") ? 0 : !strcmp(optarg, "min_max_regret") ? 1 : !strcmp(optarg, "expected") ? 2 : -2;
        if (a->objective == -2) return cli_usage_error("site", "--objective '%s' is not one of max_min, min_max_regret, expected", optarg);
        break;
    case O_BUSY: {
        char *end;
        dv = cc_strtod(optarg, &end);
        if (end == optarg || *end || !(dv > 0 && dv < 1))
            return cli_usage_error("site", "--busy-fraction '%s' must be a share of time above 0 and below 1 (e.g. 0.2)", optarg);
        a->o.busy_fraction = dv;
        break;
    }
    case O_SCAP: {
        char *end;
        dv = cc_strtod(optarg, &end);
        if (end == optarg || *end || !(dv > 0) || !isfinite(dv))
            return cli_usage_error("site", "--site-capacity '%s' must be a number of persons above 0", optarg);
        a->o.capacity_persons = dv;
        break;
    }
    case O_CAPF: a->o.in.capacity_field = optarg; break;
    case O_MAXPS:
        if (!parse_int("--max-per-station", optarg, 1, 100000, &iv)) return CLI_EXIT_USAGE;
        a->o.max_per_station = (uint32_t)iv;
        break;
    case O_OUTER:
        if (!parse_double("--outer-minutes", optarg, 0.01, 1440, &a->o.outer_minutes)) return CLI_EXIT_USAGE;
        break;
    case O_ALPHA:
        if (!parse_double("--alpha", optarg, 0, 1, &dv)) return CLI_EXIT_USAGE;
        a->o.alpha = dv == 0 ? -1 : dv; /* the library reads 0 as "default" */
        break;
    case O_REGRET:
        a->regret = !strcmp(optarg, "absolute") ? 0 : !strcmp(optarg, "relative") ? 1 : -2;
        if (a->regret == -2) return cli_usage_error("site", "--regret '%s' is not one of absolute, relative", optarg);
        break;
    }
    return 0;
}

int cmd_site(int argc, char **argv)
{
    site_args a = {.objective = -1, .regret = -1};
    cc_site_opts *o = &a.o;
    o->report = &a.rep;
    cli_cmd cmd = {.name = "site", .help = help};
    int c, rc;
    while ((c = cli_getopt(&cmd, argc, argv, ":hp:", site_longopts)) != -1) {
        switch (c) {
        case CLI_OPT_EXIT: return cmd.rc;
        CLI_INPUT_CASES(a.o);
        default:
            if ((rc = site_option(c, &a))) return rc;
        }
    }
    if (a.scenarios) {
        if ((rc = cli_no_operands(&cmd, argc, argv))) return rc;
        return robust_main(&cmd, o, a.scenarios, a.objective, a.regret);
    }
    if (a.objective >= 0 || a.regret >= 0) return cli_usage_error("site", "--objective and --regret need --scenarios (a batch file)");
    if ((rc = cli_inputs_done(&cmd, argc, argv, &o->in, false, o->out_dir, NULL, NULL))) return rc;
    if (!o->candidates && !o->candidate_tiers && !o->candidate_roads)
        return cli_usage_error("site", "give candidate sites: --candidate-tiers, --candidates or --candidate-roads");
    cli_env env;
    struct cc_mpi *mpi;
    if ((rc = cli_cmd_start(&cmd, &env, true, &mpi))) return rc;
    cc_site_result *r = NULL;
#ifdef CC_WITH_MPI
    /* under mpirun/srun: coverage sets over the ranks, solved on rank 0 */
    cc_status st = cc_mpi_site_run(env.ctx, mpi, o, &r);
#else
    cc_status st = cc_site_run(env.ctx, o, &r);
#endif
    if (st) {
        rc = cli_fail(&env, st);
    } else if (r) { /* MPI: rank 0 only */
        print_table(r, o);
        cc_site_result_destroy(r);
    }
    cli_cmd_end(&env, mpi);
    return rc;
}
