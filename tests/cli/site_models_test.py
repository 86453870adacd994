#!/usr/bin/python3
"""CLI and output tests of the availability and capacity siting models of `carecircle site`
(issue 17): MEXCLP and the capacitated MCLP, one case per CTest test.

Usage: site_models_test.py CASE  (environment: CC_BIN = carecircle binary, CC_SRC = source tree)
Exit 0 = pass, 1 = fail, 77 = skipped (CTest SKIP_RETURN_CODE), with the reason printed.
"""
import csv
import json
import os
import sys

import numpy as np
from osgeo import gdal, ogr

gdal.UseExceptions()
ogr.UseExceptions()

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import cli_test  # noqa: E402
from cli_test import DEMO, Fail, check, expect_error, run  # noqa: E402


def demo(out, *extra, fixed="county_hospital", outputs="gpkg"):
    return cli_test.site_demo(out, *extra, fixed=fixed, admin=False, outputs=outputs)


summary = cli_test.load_summary


def layer_rows(out, name):
    return [r for r, _ in cli_test.site_layer_rows(out, name)]


write_facilities = cli_test.write_lonlat_csv


def fixed_lonlat(tier):
    with open(f"{DEMO}/facilities.csv") as f:
        return [(float(r["lon"]), float(r["lat"])) for r in csv.DictReader(f) if r["tier"] == tier]


def station_reach(tmp, name, lonlat, minutes):
    """Cells within `minutes` (dispatch included) of one station, from an independent
    `carecircle coverage --emergency` run on that station alone (the travel-time raster)."""
    fac = os.path.join(tmp, f"{name}.csv")
    write_facilities(fac, [lonlat])
    out = os.path.join(tmp, f"cov-{name}")
    run(["coverage", "--roads", f"{DEMO}/roads.geojson", "--population", f"{DEMO}/population.asc", "--facilities", fac,
         "--emergency", "--minutes", f"{minutes:g}", "--out", out, "--quiet"])
    ds = gdal.Open(os.path.join(out, "travel_time.tif"))  # kept alive while its band is read
    t = ds.GetRasterBand(1).ReadAsArray()
    return (t >= 0) & (t <= minutes + 1e-6)


# ---- MEXCLP ---------------------------------------------------------------------------------

def case_mexclp_demo(tmp):
    """--model mexclp: the expected coverage in summary.json equals sum w (1 - q^n) with n the
    ambulances within T of each cell, n counted from independent single-station coverage runs;
    GLPK proves the answer; the GeoPackage carries the ambulances per station."""
    q, T = 0.3, 30
    out = os.path.join(tmp, "mx")
    p = run(demo(out, "--candidate-tiers", "township_health_centre", "--emergency", "--model", "mexclp",
                 "--busy-fraction", str(q), "-p", "5", "--max-per-station", "2", "--exact"))
    check("expected within 30 min" in p.stdout and "proven optimal" in p.stdout, p.stdout)
    s = summary(out)
    check(s["model"] == "mexclp", "model")
    sol, av, cov = s["solution"], s["availability"], s["coverage"]
    check(sol["unit"] == "expected persons served within the threshold" and sol["bound_kind"] == "upper", "unit")
    check(sol["proven_optimal"] and sol["gap"] == 0 and sol["bound"] >= sol["objective"] - 1e-3, "not proven with --exact")
    check(av["busy_fraction"] == q and av["ambulances_new"] == 5 and av["ambulances_existing"] == 1, f"availability {av}")
    sites = s["proposed_sites"]
    check(sum(x["ambulances"] for x in sites) == 5 and all(1 <= x["ambulances"] <= 2 for x in sites), "ambulances per station")
    check(av["stations_new"] == len(sites), "stations_new")
    # the GeoPackage: one row per station, its ambulances and expected gain
    rows = layer_rows(out, "proposed_sites")
    check(len(rows) == len(sites), "proposed_sites rows")
    for r, x in zip(sorted(rows, key=lambda r: r["rank"]), sites):
        check(r["ambulances"] == x["ambulances"] and abs(r["population_gained"] - x["population_gained"]) < 1e-3, f"gpkg row {r}")
    check(abs(sites[-1]["covered_cum"] - av["expected_covered_after"]) < 1e-2, "cumulative expected coverage")
    # independent count of ambulances within T of every cell
    pds = gdal.Open(f"{DEMO}/population.asc")
    pop = pds.GetRasterBand(1).ReadAsArray().astype(float)
    pop[pop < 0] = 0
    n_before = np.zeros(pop.shape)
    for k, ll in enumerate(fixed_lonlat("county_hospital")):
        n_before += station_reach(tmp, f"fixed{k}", ll, T)
    n_after = n_before.copy()
    for x in sites:
        n_after += x["ambulances"] * station_reach(tmp, f"site{x['rank']}", (x["lon"], x["lat"]), T)
    exp_before = float((pop * (1 - q ** n_before)).sum())
    exp_after = float((pop * (1 - q ** n_after)).sum())
    twice_after = float(pop[n_after >= 2].sum())
    for what, mine, ref in (("expected before", av["expected_covered_before"], exp_before),
                            ("expected after", av["expected_covered_after"], exp_after),
                            ("objective", sol["objective"], exp_after),
                            ("covered twice after", av["covered_twice_after"], twice_after),
                            ("covered after", cov["covered_after"], float(pop[n_after >= 1].sum()))):
        check(abs(mine - ref) <= 1e-4 * ref + 0.01, f"{what}: summary.json {mine:.3f}, independent {ref:.3f}")
    check(av["expected_covered_after"] > av["expected_covered_before"], "no gain")
    # a busier fleet expects less coverage from the same number of ambulances
    out2 = os.path.join(tmp, "mx2")
    run(demo(out2, "--candidate-tiers", "township_health_centre", "--emergency", "--model", "mexclp",
             "--busy-fraction", "0.6", "-p", "5", "--max-per-station", "2"))
    check(summary(out2)["availability"]["expected_covered_after"] < av["expected_covered_after"], "q = 0.6 not below q = 0.3")


def case_mexclp_bad(tmp):
    """Absurd MEXCLP parameters: one line naming the flag, exit 2, no output folder."""
    out = os.path.join(tmp, "bad-out")
    base = ["--candidate-tiers", "township_health_centre", "--emergency", "--model", "mexclp"]
    for q in ("0", "1", "-0.1", "1.5", "x"):
        expect_error(tmp, demo(out, *base, "--busy-fraction", q), 2, "--busy-fraction", "above 0 and below 1")
    expect_error(tmp, demo(out, *base), 2, "--busy-fraction")
    expect_error(tmp, demo(out, "--candidate-tiers", "township_health_centre", "--model", "mexclp", "--busy-fraction", "0.2"), 2,
                 "--emergency")
    expect_error(tmp, demo(out, *base, "--busy-fraction", "0.2", "-p", "13", "--max-per-station", "2"), 2,
                 "-p", "--max-per-station", "6 candidate")
    expect_error(tmp, demo(out, *base, "--busy-fraction", "0.2", "-p", "2", "--max-per-station", "3"), 2, "--max-per-station")
    expect_error(tmp, demo(out, "--candidate-tiers", "township_health_centre", "--busy-fraction", "0.2"), 2,
                 "--busy-fraction", "mexclp")
    p = run(["site", "--help"])
    check("mexclp" in p.stdout and "--busy-fraction" in p.stdout, "help text")


def case_mexclp_scenario(tmp):
    """A scenario's siting section runs mexclp with the figures of the same `site` command line, is
    echoed in scenario.json, and a busy fraction of 1 is one file:line:column error."""
    extra = ("siting:\n  - {model: mexclp, budget: 3, threshold_min: 30, busy_fraction: 0.25, max_per_station: 2, emergency: true,\n"
             "     candidate_tiers: [township_health_centre], fixed_tiers: [county_hospital]}\n")
    out, cli = cli_test.scenario_and_cli(tmp, extra, cli_test.village_args("site") + [
        "--fixed-tiers", "county_hospital", "--candidate-tiers", "township_health_centre", "--emergency", "--model", "mexclp",
        "--busy-fraction", "0.25", "-p", "3", "--max-per-station", "2", "--minutes", "30"])
    a, b = summary(os.path.join(out, "siting")), summary(cli)
    check(a["model"] == "mexclp" and a["availability"] == b["availability"], f"scenario {a.get('availability')} != CLI {b['availability']}")
    check([x["name"] for x in a["proposed_sites"]] == [x["name"] for x in b["proposed_sites"]], "different stations")
    with open(os.path.join(out, "scenario.json")) as f:
        echo = json.load(f)["scenario"]["siting"][0]
    check(echo["busy_fraction"] == 0.25 and echo["max_per_station"] == 2, f"scenario.json siting: {echo}")
    bad = cli_test.demo_scenario(tmp, "siting:\n  {model: mexclp, budget: 2, threshold_min: 30, busy_fraction: 1}\n", name="bad.yaml", maps=False)
    p = run(["run", bad, "--check"], expect=3)
    check(f"{bad}:" in p.stderr and "<siting.busy_fraction>" in p.stderr and "below 1" in p.stderr, f"busy fraction 1: {p.stderr!r}")
    bad = cli_test.demo_scenario(tmp, "siting:\n  {model: mexclp, budget: 2, threshold_min: 30}\n", name="bad2.yaml", maps=False)
    p = run(["run", bad, "--check"], expect=3)
    check("<busy_fraction>" in p.stderr, f"mexclp without busy fraction: {p.stderr!r}")


# ---- double standard model -------------------------------------------------------------------

def station_times(tmp, name, lonlat, minutes):
    """Travel times (minutes, dispatch included; NaN beyond) from one station, from an independent
    `carecircle coverage --emergency` run on that station alone with threshold `minutes`."""
    fac = os.path.join(tmp, f"{name}.csv")
    write_facilities(fac, [lonlat])
    out = os.path.join(tmp, f"cov-{name}")
    run(["coverage", "--roads", f"{DEMO}/roads.geojson", "--population", f"{DEMO}/population.asc", "--facilities", fac,
         "--emergency", "--minutes", f"{minutes:g}", "--out", out, "--quiet"])
    ds = gdal.Open(os.path.join(out, "travel_time.tif"))
    t = ds.GetRasterBand(1).ReadAsArray().astype(float)
    t[t < 0] = np.nan
    return t


def facilities_of(tier):
    with open(f"{DEMO}/facilities.csv") as f:
        return [(r["name"], (float(r["lon"]), float(r["lat"]))) for r in csv.DictReader(f) if r["tier"] == tier]


def case_dsm_demo(tmp):
    """--model dsm: within r1, within r2 and covered twice within r1 in summary.json equal the counts
    of ambulances within r1 and r2 of every cell from independent single-station coverage runs (the
    existing hospital holds one ambulance, each proposed station its ambulances); the r2 standard
    covers everybody some station reaches within r2 (the reachable population from the runs of every
    candidate); GLPK proves the answer; the GeoPackage carries the ambulances per station."""
    r1, r2, alpha = 15, 30, 0.7
    out = os.path.join(tmp, "dsm")
    p = run(demo(out, "--candidate-tiers", "township_health_centre", "--emergency", "--model", "dsm", "-p", "8",
                 "--alpha", str(alpha), "--outer-minutes", str(r2)))
    check("proven optimal" in p.stdout and "alpha 70%: met" in p.stdout and "all covered" in p.stdout, p.stdout)
    s = summary(out)
    check(s["model"] == "dsm", "model")
    sol, ds, cov = s["solution"], s["double_standard"], s["coverage"]
    check(sol["unit"] == "persons within the threshold of two or more ambulances" and sol["bound_kind"] == "upper", "unit")
    check(sol["feasible"] and sol["proven_optimal"] and sol["gap"] == 0 and sol["bound"] >= sol["objective"] - 1e-3, f"solution {sol}")
    check(ds["minutes"] == r1 and ds["outer_minutes"] == r2 and ds["alpha"] == alpha and ds["max_per_station"] == 2, f"parameters {ds}")
    check(ds["ambulances_new"] == 8 and ds["ambulances_existing"] == 1 and ds["alpha_met"] and ds["outer_met"], f"double_standard {ds}")
    sites = s["proposed_sites"]
    check(sum(x["ambulances"] for x in sites) == 8 and all(1 <= x["ambulances"] <= 2 for x in sites), "ambulances per station")
    rows = layer_rows(out, "proposed_sites")
    check(len(rows) == len(sites), "proposed_sites rows")
    for r, x in zip(sorted(rows, key=lambda r: r["rank"]), sites):
        check(r["ambulances"] == x["ambulances"] and abs(r["population_gained"] - x["population_gained"]) < 1e-3, f"gpkg row {r}")
    check(abs(sites[-1]["covered_cum"] - ds["covered_twice_after"]) < 1e-2, "cumulative covered twice")
    # independent counts
    pds = gdal.Open(f"{DEMO}/population.asc")
    pop = pds.GetRasterBand(1).ReadAsArray().astype(float)
    pop[pop < 0] = 0
    times = {name: station_times(tmp, f"c{k}", ll, r2) for k, (name, ll) in enumerate(facilities_of("township_health_centre"))}
    fixed = [station_times(tmp, f"f{k}", ll, r2) for k, (_, ll) in enumerate(facilities_of("county_hospital"))]
    within = lambda t, m: np.nan_to_num(t, nan=1e9) <= m + 1e-6  # noqa: E731
    n1b = sum(within(t, r1) for t in fixed).astype(float)
    n2b = sum(within(t, r2) for t in fixed).astype(float)
    n1a, n2a = n1b.copy(), n2b.copy()
    for x in sites:
        n1a += x["ambulances"] * within(times[x["name"]], r1)
        n2a += x["ambulances"] * within(times[x["name"]], r2)
    reach = (n2b >= 1) | np.any([within(t, r2) for t in times.values()], axis=0)
    tot = float(pop.sum())
    for what, mine, ref in (("within r1 before", ds["within_minutes_before"], pop[n1b >= 1].sum()),
                            ("within r1 after", ds["within_minutes_after"], pop[n1a >= 1].sum()),
                            ("coverage after", cov["covered_after"], pop[n1a >= 1].sum()),
                            ("within r2 before", ds["within_outer_before"], pop[n2b >= 1].sum()),
                            ("within r2 after", ds["within_outer_after"], pop[n2a >= 1].sum()),
                            ("reachable within r2", ds["within_outer_reachable"], pop[reach].sum()),
                            ("covered twice before", ds["covered_twice_before"], pop[n1b >= 2].sum()),
                            ("covered twice after", ds["covered_twice_after"], pop[n1a >= 2].sum()),
                            ("objective", sol["objective"], pop[n1a >= 2].sum())):
        check(abs(mine - float(ref)) <= 1e-4 * float(ref) + 0.01, f"{what}: summary.json {mine:.3f}, independent {float(ref):.3f}")
    check(pop[n1a >= 1].sum() >= alpha * tot - 0.01, "alpha not met in the independent count")
    check(pop[reach & (n2a < 1)].sum() < 0.01, "someone reachable within r2 is not covered within r2")
    check(ds["covered_twice_after"] > 0.5 * tot, "covered twice implausibly small")


def case_dsm_infeasible(tmp):
    """alpha that no plan can meet: the run still proposes its best plan (exit 0), says in stdout and
    summary.json that the standards are not met, and bounds the share within r1 any plan reaches."""
    out = os.path.join(tmp, "dsm")
    p = run(demo(out, "--candidate-tiers", "township_health_centre", "--emergency", "--model", "dsm", "-p", "3"))
    check("cannot be met" in p.stdout and "NOT met" in p.stdout, p.stdout)
    s = summary(out)
    ds, sol = s["double_standard"], s["solution"]
    check(ds["alpha"] == 0.95 and ds["minutes"] == 15 and ds["outer_minutes"] == 30, f"defaults {ds}")
    check(not ds["feasible"] and not ds["alpha_met"] and ds["infeasible_proven"], f"double_standard {ds}")
    share = ds["within_minutes_after"] / s["coverage"]["population_total"]
    check(share < 0.95 and share <= ds["best_share_within_minutes_bound"] + 1e-9 and ds["best_share_within_minutes_bound"] < 0.95,
          f"share {share}, bound {ds['best_share_within_minutes_bound']}")
    check(sol["bound"] is None and sol["gap"] is None and not sol["feasible"], f"solution {sol}")
    check(len(s["proposed_sites"]) >= 1, "no plan proposed")


def case_dsm_scenario(tmp):
    """A scenario's siting section runs dsm with the figures of the same `site` command line, is
    echoed in scenario.json, and an r2 not above r1 or an alpha above 1 is one file:line:column error."""
    extra = ("siting:\n  - {model: dsm, budget: 6, threshold_min: 15, outer_threshold_min: 30, alpha: 0.5, max_per_station: 2,\n"
             "     emergency: true, candidate_tiers: [township_health_centre], fixed_tiers: [county_hospital]}\n")
    out, cli = cli_test.scenario_and_cli(tmp, extra, cli_test.village_args("site") + [
        "--fixed-tiers", "county_hospital", "--candidate-tiers", "township_health_centre", "--emergency", "--model", "dsm",
        "--alpha", "0.5", "-p", "6", "--max-per-station", "2", "--minutes", "15", "--outer-minutes", "30"])
    a, b = summary(os.path.join(out, "siting")), summary(cli)
    check(a["model"] == "dsm" and a["double_standard"] == b["double_standard"], f"scenario {a.get('double_standard')} != CLI {b['double_standard']}")
    check([x["name"] for x in a["proposed_sites"]] == [x["name"] for x in b["proposed_sites"]], "different stations")
    with open(os.path.join(out, "scenario.json")) as f:
        echo = json.load(f)["scenario"]["siting"][0]
    check(echo["outer_threshold_min"] == 30 and echo["alpha"] == 0.5, f"scenario.json siting: {echo}")
    bad = cli_test.demo_scenario(tmp, "siting:\n  {model: dsm, budget: 2, threshold_min: 30, outer_threshold_min: 20}\n", name="bad.yaml",
                                 maps=False)
    p = run(["run", bad, "--check"], expect=3)
    check(f"{bad}:" in p.stderr and "<siting.outer_threshold_min>" in p.stderr and "above" in p.stderr, f"r2 below r1: {p.stderr!r}")
    bad = cli_test.demo_scenario(tmp, "siting:\n  {model: dsm, budget: 2, alpha: 1.5}\n", name="bad2.yaml", maps=False)
    p = run(["run", bad, "--check"], expect=3)
    check("<siting.alpha>" in p.stderr, f"alpha 1.5: {p.stderr!r}")


def case_dsm_bad(tmp):
    """Absurd DSM parameters: one line naming the flag, exit 2, no output folder."""
    out = os.path.join(tmp, "bad-out")
    base = ["--candidate-tiers", "township_health_centre", "--emergency", "--model", "dsm"]
    for a in ("-0.1", "1.5", "x"):
        expect_error(tmp, demo(out, *base, "--alpha", a), 2, "--alpha")
    expect_error(tmp, demo(out, *base, "--outer-minutes", "15"), 2, "--outer-minutes", "--minutes")
    expect_error(tmp, demo(out, *base, "--minutes", "40"), 2, "--outer-minutes", "--minutes")
    expect_error(tmp, demo(out, "--candidate-tiers", "township_health_centre", "--model", "dsm"), 2, "--emergency")
    expect_error(tmp, demo(out, "--candidate-tiers", "township_health_centre", "--alpha", "0.5"), 2, "--alpha", "dsm")
    expect_error(tmp, demo(out, *base, "-p", "13"), 2, "-p", "--max-per-station", "6 candidate")
    p = run(["site", "--help"])
    check("dsm" in p.stdout and "--outer-minutes" in p.stdout and "--alpha" in p.stdout, "help text")


# ---- capacitated MCLP -----------------------------------------------------------------------

def site_reach(tmp, name, lonlat, minutes):
    """Cells within `minutes` of one site (patient -> site), from an independent `carecircle
    coverage` run on that site alone."""
    fac = os.path.join(tmp, f"{name}.csv")
    write_facilities(fac, [lonlat])
    out = os.path.join(tmp, f"cov-{name}")
    run(["coverage", "--roads", f"{DEMO}/roads.geojson", "--population", f"{DEMO}/population.asc", "--facilities", fac,
         "--minutes", f"{minutes:g}", "--out", out, "--quiet"])
    ds = gdal.Open(os.path.join(out, "travel_time.tif"))
    t = ds.GetRasterBand(1).ReadAsArray()
    return (t >= 0) & (t <= minutes + 1e-6)


def max_served(pop, reaches, caps):
    """Persons the sites can serve (fractional assignment, capacities caps) among the cells of
    pop: the transportation LP solved by scipy (HiGHS), an independent computation."""
    from scipy.optimize import linprog
    cells = np.flatnonzero(pop.ravel() > 0)
    w = pop.ravel()[cells]
    pairs = [(k, c) for k, r in enumerate(reaches) for c in np.flatnonzero(r.ravel()[cells])]
    if not pairs:
        return 0.0
    n = len(pairs)
    rows, cols, vals = [], [], []
    for e, (k, c) in enumerate(pairs):
        rows += [c, len(cells) + k]
        cols += [e, e]
        vals += [1.0, 1.0]
    from scipy.sparse import csr_matrix
    A = csr_matrix((vals, (rows, cols)), shape=(len(cells) + len(reaches), n))
    b = np.concatenate([w, np.array(caps, dtype=float)])
    res = linprog(-np.ones(n), A_ub=A, b_ub=b, bounds=(0, None), method="highs")
    if res.status != 0:
        raise Fail(f"linprog: {res.message}")
    return float(-res.fun)


def case_cmclp_demo(tmp):
    """--model cmclp at 15 minutes with binding capacities: GLPK proves the answer, and an
    enumeration of every pair of the 6 candidates, each pair's served population an independent
    transportation LP (scipy) over reach sets from single-site coverage runs, finds the same
    optimum; summary.json and sites.gpkg give served <= capacity and the split of the people in
    reach (served, beyond capacity, covered before)."""
    import itertools
    T, C = 15, 20000
    out = os.path.join(tmp, "cm")
    p = run(demo(out, "--candidate-tiers", "township_health_centre", "--model", "cmclp", "--site-capacity", str(C), "-p", "2",
                 "--minutes", str(T), "--exact"))
    check("capacities respected" in p.stdout and "proven optimal" in p.stdout, p.stdout)
    s = summary(out)
    sol, cap, cov = s["solution"], s["capacity"], s["coverage"]
    check(s["model"] == "cmclp" and sol["unit"] == "persons served within the threshold, capacities respected", "model/unit")
    check(sol["proven_optimal"] and sol["bound_kind"] == "upper", "not proven with --exact")
    sites = s["proposed_sites"]
    check(len(sites) == 2 and all(x["capacity_persons"] == C and x["population_served"] <= C + 1e-3 for x in sites), f"sites {sites}")
    check(abs(sum(x["population_served"] for x in sites) - cap["served_by_new_sites"]) < 1e-2, "served per site do not add up")
    check(abs(cov["covered_before"] + cap["served_by_new_sites"] - sol["objective"]) < 1e-2, "objective != covered before + served")
    check(abs(cap["served_after"] + cap["within_reach_beyond_capacity"] - cov["covered_after"]) < 1e-2, "served + beyond != covered after")
    check(cap["within_reach_beyond_capacity"] > 1000, "capacities do not bind: the test would not test them")
    rows = {r["name"]: r for r in layer_rows(out, "proposed_sites")}
    for x in sites:
        r = rows[x["name"]]
        check(r["capacity_persons"] == C and abs(r["population_served"] - x["population_served"]) < 1e-3, f"gpkg row {r}")
    # independent: every pair of candidates
    pds = gdal.Open(f"{DEMO}/population.asc")
    pop = pds.GetRasterBand(1).ReadAsArray().astype(float)
    pop[pop < 0] = 0
    before = np.zeros(pop.shape, dtype=bool)
    for k, ll in enumerate(fixed_lonlat("county_hospital")):
        before |= site_reach(tmp, f"fixed{k}", ll, T)
    check(abs(float(pop[before].sum()) - cov["covered_before"]) <= 1e-4 * cov["covered_before"], "covered before")
    rest = np.where(before, 0.0, pop)
    with open(f"{DEMO}/facilities.csv") as f:
        cands = [r for r in csv.DictReader(f) if r["tier"] == "township_health_centre"]
    reach = {r["name"]: site_reach(tmp, f"c{k}", (float(r["lon"]), float(r["lat"])), T) for k, r in enumerate(cands)}
    best, best_pair = -1, None
    for a, b in itertools.combinations(sorted(reach), 2):
        v = max_served(rest, [reach[a], reach[b]], [C, C])
        if v > best:
            best, best_pair = v, {a, b}
    mine = max_served(rest, [reach[x["name"]] for x in sites], [C, C])
    check(abs(mine - cap["served_by_new_sites"]) <= 1e-4 * mine + 0.01, f"served {cap['served_by_new_sites']:.3f}, LP {mine:.3f}")
    check(abs(best - cap["served_by_new_sites"]) <= 1e-4 * best + 0.01,
          f"enumeration finds {best:.3f} with {best_pair}, carecircle {cap['served_by_new_sites']:.3f} with {[x['name'] for x in sites]}")
    check(sol["bound"] >= cov["covered_before"] + best - 0.01, "bound below the optimum")


def case_cmclp_field(tmp):
    """Per-candidate capacities from the facility file (--capacity FIELD), an empty value taking
    --site-capacity; a negative value is a one-line error naming the facility."""
    fac = os.path.join(tmp, "fac.csv")
    with open(f"{DEMO}/facilities.csv") as f:
        rows = list(csv.DictReader(f))
    caps = {}
    for k, r in enumerate(rows):
        r["served_persons"] = ""
        if r["tier"] == "township_health_centre" and k % 2 == 0:
            r["served_persons"] = str(1000 * (k + 1))
            caps[r["name"]] = 1000.0 * (k + 1)
    with open(fac, "w", newline="") as f:
        w = csv.DictWriter(f, fieldnames=list(rows[0].keys()))
        w.writeheader()
        w.writerows(rows)
    out = os.path.join(tmp, "cf")
    args = ["site", "--roads", f"{DEMO}/roads.geojson", "--population", f"{DEMO}/population.asc", "--facilities", fac,
            "--fixed-tiers", "county_hospital", "--candidate-tiers", "township_health_centre", "--model", "cmclp",
            "--capacity", "served_persons", "--site-capacity", "5000", "-p", "6", "--max-subcentres", "6", "--minutes", "15", "--quiet"]
    run(args + ["--out", out])
    s = summary(out)
    check(s["capacity"]["capacity_field"] == "served_persons", "capacity_field not echoed")
    for x in s["proposed_sites"]:
        want = caps.get(x["name"], 5000.0)
        check(x["capacity_persons"] == want, f"{x['name']}: capacity {x['capacity_persons']}, file says {want}")
        check(x["population_served"] <= want + 1e-3, f"{x['name']} over capacity")
    check(abs(s["capacity"]["capacity_new_sites"] - sum(x["capacity_persons"] for x in s["proposed_sites"])) < 1e-6, "capacity_new_sites")
    bad_name = next(r["name"] for r in rows if r["tier"] == "township_health_centre")
    for r in rows:
        if r["name"] == bad_name:
            r["served_persons"] = "-3"
    with open(fac, "w", newline="") as f:
        w = csv.DictWriter(f, fieldnames=list(rows[0].keys()))
        w.writeheader()
        w.writerows(rows)
    expect_error(tmp, args, 3, bad_name, "served_persons", fac)


def case_cmclp_existing(tmp):
    """--capacity FIELD capacitates the existing facilities of --fixed-tiers that carry a value:
    the county hospital (capacity 3,000) serves at most 3,000 of the people within 15 minutes,
    one assignment over it and the new sites (so a new site gains the people the full hospital
    cannot serve). GLPK's optimum equals an enumeration of every pair of candidates, each pair's
    served population an independent transportation LP (scipy) over the hospital and the pair;
    served_before is the hospital's 3,000 (not the capacity-blind coverage); the report shows it
    as "before"."""
    import itertools
    T, C, H = 15, 20000, 3000
    fac = os.path.join(tmp, "fac.csv")
    with open(f"{DEMO}/facilities.csv") as f:
        rows = list(csv.DictReader(f))
    for r in rows:
        r["beds_persons"] = str(H) if r["tier"] == "county_hospital" else ""
    with open(fac, "w", newline="") as f:
        w = csv.DictWriter(f, fieldnames=list(rows[0].keys()))
        w.writeheader()
        w.writerows(rows)
    out = os.path.join(tmp, "ce")
    p = run(["site", "--roads", f"{DEMO}/roads.geojson", "--population", f"{DEMO}/population.asc", "--facilities", fac,
             "--fixed-tiers", "county_hospital", "--candidate-tiers", "township_health_centre", "--model", "cmclp",
             "--capacity", "beds_persons", "--site-capacity", str(C), "-p", "2", "--minutes", str(T), "--exact",
             "--lang", "en", "--out", out])
    check("proven optimal" in p.stdout, p.stdout)
    s = summary(out)
    sol, cap, cov = s["solution"], s["capacity"], s["coverage"]
    check(cap["capacitated_existing"] == 1, f"capacitated_existing {cap['capacitated_existing']}")
    pds = gdal.Open(f"{DEMO}/population.asc")
    pop = pds.GetRasterBand(1).ReadAsArray().astype(float)
    pop[pop < 0] = 0
    hosp = site_reach(tmp, "hosp", fixed_lonlat("county_hospital")[0], T)
    blind = float(pop[hosp].sum())
    check(blind > 2 * H, f"the hospital reaches {blind:.0f}: its capacity would not bind")
    check(abs(cov["covered_before"] - blind) <= 1e-4 * blind, f"covered_before {cov['covered_before']} (capacity ignored) != {blind}")
    check(abs(cap["served_before"] - H) < 1e-3, f"served_before {cap['served_before']}, the hospital's capacity is {H}")
    with open(f"{DEMO}/facilities.csv") as f:
        cands = [r for r in csv.DictReader(f) if r["tier"] == "township_health_centre"]
    reach = {r["name"]: site_reach(tmp, f"c{k}", (float(r["lon"]), float(r["lat"])), T) for k, r in enumerate(cands)}
    best = max(max_served(pop, [hosp, reach[a], reach[b]], [H, C, C]) for a, b in itertools.combinations(sorted(reach), 2))
    check(abs(best - cap["served_after"]) <= 1e-4 * best + 0.01, f"enumeration {best:.3f}, carecircle served_after {cap['served_after']:.3f}")
    check(abs(sol["objective"] - cap["served_after"]) < 1e-2, "objective != served_after")
    gains = sum(x["population_gained"] for x in s["proposed_sites"])
    check(abs(cap["served_before"] + gains - cap["served_after"]) < 1e-2, "served_before + gains != served_after")
    check(abs(cap["served_after"] + cap["within_reach_beyond_capacity"] - cov["covered_after"]) < 1e-2, "served + beyond != covered after")
    with open(os.path.join(out, "report_en.html"), encoding="utf-8") as f:
        html = f.read()
    check(f"{H:,.0f}" in html and f"{blind:,.0f}" not in html, "report: before is served within capacity, not the capacity-blind coverage")
    # an empty field leaves the hospital uncapacitated: the old figures
    for r in rows:
        r["beds_persons"] = ""
    with open(fac, "w", newline="") as f:
        w = csv.DictWriter(f, fieldnames=list(rows[0].keys()))
        w.writeheader()
        w.writerows(rows)
    out2 = os.path.join(tmp, "ce2")
    run(["site", "--roads", f"{DEMO}/roads.geojson", "--population", f"{DEMO}/population.asc", "--facilities", fac,
         "--fixed-tiers", "county_hospital", "--candidate-tiers", "township_health_centre", "--model", "cmclp",
         "--capacity", "beds_persons", "--site-capacity", str(C), "-p", "2", "--minutes", str(T), "--quiet", "--out", out2])
    s2 = summary(out2)
    check(s2["capacity"]["capacitated_existing"] == 0 and abs(s2["capacity"]["served_before"] - blind) <= 1e-4 * blind,
          "an empty capacity leaves the hospital uncapacitated")


def site_times(tmp, name, lonlat):
    """Minutes from every cell to one site (patient -> site), NaN where it is not reached, from an
    independent `carecircle coverage` run on that site alone (its travel-time raster)."""
    fac = os.path.join(tmp, f"{name}.csv")
    write_facilities(fac, [lonlat])
    out = os.path.join(tmp, f"covt-{name}")
    run(["coverage", "--roads", f"{DEMO}/roads.geojson", "--population", f"{DEMO}/population.asc", "--facilities", fac,
         "--minutes", "60", "--out", out, "--quiet"])
    ds = gdal.Open(os.path.join(out, "travel_time.tif"))
    b = ds.GetRasterBand(1)
    t = b.ReadAsArray().astype(float)
    nd = b.GetNoDataValue()
    t[(t < 0) | (t == nd) if nd is not None else (t < 0)] = np.nan
    return t


def min_cost_saving(pop, base, times, caps):
    """Person-minutes the sites save against everyone at the base time, capacities caps, fractional
    assignment: the transportation LP solved by scipy (HiGHS), an independent computation."""
    from scipy.optimize import linprog
    from scipy.sparse import csr_matrix
    cells = np.flatnonzero(pop.ravel() > 0)
    w, b0 = pop.ravel()[cells], base.ravel()[cells]
    pairs = []
    for k, t in enumerate(times):
        tc = t.ravel()[cells]
        for c in np.flatnonzero(np.isfinite(tc) & (tc < b0)):
            pairs.append((k, c, b0[c] - tc[c]))
    if not pairs:
        return 0.0
    rows, cols, vals = [], [], []
    for e, (k, c, _) in enumerate(pairs):
        rows += [c, len(cells) + k]
        cols += [e, e]
        vals += [1.0, 1.0]
    A = csr_matrix((vals, (rows, cols)), shape=(len(cells) + len(times), len(pairs)))
    res = linprog(-np.array([p[2] for p in pairs]), A_ub=A, b_ub=np.concatenate([w, np.array(caps, dtype=float)]), bounds=(0, None),
                  method="highs")
    if res.status != 0:
        raise Fail(f"linprog: {res.message}")
    return float(-res.fun)


def case_cpmedian_demo(tmp):
    """--model cpmedian (capacity 20,000 per new site, binding): GLPK proves the answer, and an
    enumeration of every pair of the 6 candidates, each pair's saving an independent transportation
    LP (scipy) over travel times from single-site coverage runs (base: the county hospital, capped at
    the 60-minute radius), finds the same optimum; no site serves more than its capacity; the mean
    with capacities respected is above the capacity-blind one; reports name the saving (zh, en)."""
    import itertools
    C, R = 20000, 60
    out = os.path.join(tmp, "cp")
    p = run(demo(out, "--candidate-tiers", "township_health_centre", "--model", "cpmedian", "--site-capacity", str(C), "-p", "2", "--exact",
                 "--lang", "zh,en", outputs="all"))
    check("capacities respected" in p.stdout and "proven optimal" in p.stdout, p.stdout)
    s = summary(out)
    sol, cap, cov = s["solution"], s["capacity"], s["coverage"]
    check(s["model"] == "cpmedian" and sol["unit"] == "mean minutes, capacities respected" and sol["bound_kind"] == "lower", "model/unit")
    check(sol["proven_optimal"] and abs(sol["objective"] - cap["mean_minutes_after"]) < 1e-3, "objective")
    check(sol["bound"] <= sol["objective"] + 1e-6, "bound above the objective")
    sites = s["proposed_sites"]
    check(len(sites) == 2 and all(x["capacity_persons"] == C and x["population_served"] <= C + 1e-3 for x in sites), f"sites {sites}")
    check(cap["mean_minutes_after"] > cap["mean_minutes_after_capacity_ignored"] + 0.1, "capacities do not bind: the test would not test them")
    rows = {r["name"]: r for r in layer_rows(out, "proposed_sites")}
    for x in sites:
        check(rows[x["name"]]["capacity_persons"] == C, f"gpkg row {rows[x['name']]}")
    pds = gdal.Open(f"{DEMO}/population.asc")
    pop = pds.GetRasterBand(1).ReadAsArray().astype(float)
    pop[pop < 0] = 0
    th = site_times(tmp, "hosp", fixed_lonlat("county_hospital")[0])
    base = np.where(np.isfinite(th), np.minimum(th, R), R)
    with open(f"{DEMO}/facilities.csv") as f:
        cands = [r for r in csv.DictReader(f) if r["tier"] == "township_health_centre"]
    times = {r["name"]: site_times(tmp, f"c{k}", (float(r["lon"]), float(r["lat"]))) for k, r in enumerate(cands)}
    w_access = cov["population_total"] - cov["population_no_road_access"]
    mine = (cap["mean_minutes_before"] - cap["mean_minutes_after"]) * w_access
    best, best_pair = -1, None
    for a, b in itertools.combinations(sorted(times), 2):
        v = min_cost_saving(pop, base, [times[a], times[b]], [C, C])
        if v > best:
            best, best_pair = v, {a, b}
    check(abs(best - mine) <= 2e-4 * best + 1, f"enumeration saves {best:.1f} person-min with {best_pair}, carecircle {mine:.1f} with "
          f"{[x['name'] for x in sites]}")
    lp = min_cost_saving(pop, base, [times[x["name"]] for x in sites], [C, C])
    check(abs(lp - mine) <= 2e-4 * lp + 1, f"the proposed pair saves {lp:.1f} person-min by the LP, carecircle says {mine:.1f}")
    for lang, label in (("en", "capacities respected"), ("zh", "不超过容量")):
        with open(os.path.join(out, f"report_{lang}.html"), encoding="utf-8") as f:
            check(label in f.read(), f"cpmedian report_{lang} says '{label}'")


def case_capacity_scenario(tmp):
    """A scenario's siting section runs cmclp and cp_median with site_capacity (the figures of the
    same `site` command lines), echoes them in scenario.json; a capacitated model without a
    capacity, or a capacity on another model, is one file:line:column error."""
    extra = ("siting:\n  - {model: cmclp, budget: 2, threshold_min: 15, site_capacity: 20000,\n"
             "     candidate_tiers: [township_health_centre], fixed_tiers: [county_hospital]}\n"
             "  - {model: cp_median, budget: 2, site_capacity: 20000,\n"
             "     candidate_tiers: [township_health_centre], fixed_tiers: [county_hospital]}\n")
    common = cli_test.village_args("site") + ["--fixed-tiers", "county_hospital", "--candidate-tiers", "township_health_centre",
                                              "--site-capacity", "20000", "-p", "2"]
    out, cli = cli_test.scenario_and_cli(tmp, extra, common + ["--model", "cmclp", "--minutes", "15"])
    a, b = summary(os.path.join(out, "siting_1")), summary(cli)
    check(a["model"] == "cmclp" and a["capacity"] == b["capacity"], f"scenario {a.get('capacity')} != CLI {b['capacity']}")
    check([x["name"] for x in a["proposed_sites"]] == [x["name"] for x in b["proposed_sites"]], "different sites (cmclp)")
    cli2 = os.path.join(tmp, "cli-cp")
    run(common + ["--model", "cpmedian", "--out", cli2, "--quiet"])
    a, b = summary(os.path.join(out, "siting_2")), summary(cli2)
    check(a["model"] == "cpmedian" and a["capacity"] == b["capacity"], f"scenario {a.get('capacity')} != CLI {b['capacity']}")
    check([x["name"] for x in a["proposed_sites"]] == [x["name"] for x in b["proposed_sites"]], "different sites (cpmedian)")
    with open(os.path.join(out, "scenario.json")) as f:
        echo = json.load(f)["scenario"]["siting"]
    check(echo[0]["site_capacity"] == 20000 and echo[1]["model"] == "cp_median", f"scenario.json siting: {echo}")
    bad = cli_test.demo_scenario(tmp, "siting:\n  {model: cmclp, budget: 2, threshold_min: 30}\n", name="bad.yaml", maps=False)
    p = run(["run", bad, "--check"], expect=3)
    check(f"{bad}:" in p.stderr and "<site_capacity>" in p.stderr, f"cmclp without capacity: {p.stderr!r}")
    bad = cli_test.demo_scenario(tmp, "siting:\n  {model: p_median, budget: 2, site_capacity: 100}\n", name="bad2.yaml", maps=False)
    p = run(["run", bad, "--check"], expect=3)
    check("cmclp and cp_median" in p.stderr, f"capacity on p_median: {p.stderr!r}")
    bad = cli_test.demo_scenario(tmp, "siting:\n  {model: cp_median, budget: 2, site_capacity: -5}\n", name="bad3.yaml", maps=False)
    p = run(["run", bad, "--check"], expect=3)
    check("<siting.site_capacity>" in p.stderr, f"negative capacity: {p.stderr!r}")


def case_capacity_curve(tmp):
    """--curve K for cmclp, cpmedian and mexclp: coverage_curve.csv has p = 1..K, each point the
    objective of a separate `-p k` run and its own bound on the right side (upper for cmclp and
    mexclp, lower for cpmedian); row 0 is the figure before (served within capacity, expected)."""
    cases = [("cmclp", ["--model", "cmclp", "--site-capacity", "20000", "--minutes", "15", "--candidate-tiers", "township_health_centre",
                        "--max-subcentres", "3"], 3, "population_covered", True),
             ("cpmedian", ["--model", "cpmedian", "--site-capacity", "20000", "--candidate-tiers", "township_health_centre"], 2,
              "mean_minutes", False),
             ("mexclp", ["--model", "mexclp", "--emergency", "--busy-fraction", "0.3", "--candidate-tiers", "township_health_centre"], 3,
              "population_covered", True)]
    for name, args, K, col, upper in cases:
        out = os.path.join(tmp, f"curve-{name}")
        run(demo(out, *args, "-p", str(K), "--curve", str(K)))
        with open(os.path.join(out, "coverage_curve.csv")) as f:
            rows = list(csv.DictReader(f))
        pts = [r for r in rows if int(r["p"]) >= 1]
        check([int(r["p"]) for r in pts] == list(range(1, K + 1)), f"{name}: curve rows {[r['p'] for r in rows]}")
        s = summary(out)
        if upper:
            before = s["capacity"]["served_before"] if name == "cmclp" else s["availability"]["expected_covered_before"]
            r0 = [r for r in rows if int(r["p"]) == 0]
            check(r0 and abs(float(r0[0][col]) - before) < 0.01, f"{name}: row 0 {r0} != before {before}")
        for r in pts:
            k = int(r["p"])
            v, b = float(r[col]), float(r["bound" if upper else "bound_minutes"])
            check(b >= v - 1e-3 if upper else b <= v + 1e-4, f"{name} p={k}: bound {b} on the wrong side of {v}")
            one = os.path.join(tmp, f"one-{name}-{k}")
            run(demo(one, *args, "-p", str(k)))
            sk = summary(one)["solution"]["objective"]
            check(abs(sk - v) <= 1e-3 * max(1.0, abs(v)), f"{name} p={k}: curve {v}, separate run {sk}")


def case_cmclp_bad(tmp):
    """Absurd capacitated parameters: one line naming the flag, exit 2, no output folder."""
    out = os.path.join(tmp, "bad-out")
    base = ["--candidate-tiers", "township_health_centre", "--model", "cmclp"]
    for c in ("-5", "0", "x", "inf"):
        expect_error(tmp, demo(out, *base, "--site-capacity", c), 2, "--site-capacity")
    expect_error(tmp, demo(out, *base), 2, "--site-capacity")
    expect_error(tmp, demo(out, *base, "--site-capacity", "5000", "-p", "7", "--max-subcentres", "9"), 2, "-p", "6 candidate")
    expect_error(tmp, demo(out, "--candidate-tiers", "township_health_centre", "--site-capacity", "5000"), 2, "--site-capacity", "cmclp")
    cp = ["--candidate-tiers", "township_health_centre", "--model", "cpmedian"]
    expect_error(tmp, demo(out, *cp), 2, "--site-capacity", "cpmedian")
    expect_error(tmp, demo(out, *cp, "--site-capacity", "-1"), 2, "--site-capacity")
    expect_error(tmp, demo(out, *cp, "--site-capacity", "5000", "--capacity", "no_such_field"), 3, "no_such_field")
    p = run(["site", "--help"])
    check("cmclp" in p.stdout and "cpmedian" in p.stdout and "--site-capacity" in p.stdout, "help text")


def case_report_labels(tmp):
    """What an official reads: the report of a cmclp run gives the population served within
    capacity as "after" (not the coverage that ignores capacity) and names the sites' gain as
    served within capacity; a mexclp report names it expected; zh and en."""
    cm = os.path.join(tmp, "cm")
    run(demo(cm, "--candidate-tiers", "township_health_centre", "--model", "cmclp", "--site-capacity", "500", "-p", "2",
             "--lang", "zh,en", outputs="all"))
    s = summary(cm)
    served, covered = s["capacity"]["served_after"], s["coverage"]["covered_after"]
    check(covered - served > 100, f"the case must leave people beyond capacity (served {served}, covered {covered})")
    # en writes persons in full, zh in 万 (10,000) with two decimals
    for lang, label, fmt in (("en", "Population gained (served within capacity)", lambda v: f"{v:,.0f}"),
                             ("zh", "新增服务人口（不超过容量）", lambda v: f"{v / 1e4:.2f} 万")):
        with open(os.path.join(cm, f"report_{lang}.html"), encoding="utf-8") as f:
            html = f.read()
        check(f"<th>{label}</th>" in html, f"cmclp report_{lang}: gain column named '{label}'")
        check(fmt(served) in html, f"cmclp report_{lang}: shows served within capacity {fmt(served)}")
        check(fmt(covered) not in html, f"cmclp report_{lang}: does not show the capacity-blind {fmt(covered)}")
    mx = os.path.join(tmp, "mx")
    run(demo(mx, "--candidate-tiers", "township_health_centre", "--emergency", "--model", "mexclp", "--busy-fraction", "0.3",
             "-p", "2", "--lang", "zh,en", outputs="all"))
    for lang, label in (("en", "Expected population gained"), ("zh", "期望增益人口")):
        with open(os.path.join(mx, f"report_{lang}.html"), encoding="utf-8") as f:
            check(label in f.read(), f"mexclp report_{lang}: gain column says '{label}'")


if __name__ == "__main__":
    sys.exit(cli_test.main(globals(), __doc__))
