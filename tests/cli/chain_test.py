#!/usr/bin/python3
"""Tests of the emergency chain (`coverage --chain`, issue 17), one case per CTest test.

The chain time of a cell is dispatch + station -> patient (drive towards the patient) + on scene
+ patient -> nearest capable facility (drive towards the facility). The cases check it cell by
cell against two independent single-leg runs: `coverage --emergency` (station -> patient plus
the dispatch delay, the direction of `site --emergency`) and a plain `coverage` run (patient ->
facility).

Usage: chain_test.py CASE  (environment: CC_BIN = carecircle binary, CC_SRC = source tree)
Exit 0 = pass, 1 = fail, 77 = skipped (CTest SKIP_RETURN_CODE), with the reason printed.
"""
import json
import os
import sys

import numpy as np
from osgeo import gdal, ogr, osr

gdal.UseExceptions()
ogr.UseExceptions()

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import cli_test  # noqa: E402
from cli_test import COMOROS, DEMO, SKIP, Fail, check, run  # noqa: E402

NODATA = -9999.0


summary = cli_test.load_summary


def band(out, description):
    """The band of travel_time.tif with this description, as float64 minutes (NaN = nodata)."""
    ds = gdal.Open(os.path.join(out, "travel_time.tif"))
    for i in range(1, ds.RasterCount + 1):
        b = ds.GetRasterBand(i)
        if b.GetDescription() == description:
            a = b.ReadAsArray().astype(np.float64)
            a[a == NODATA] = np.nan
            return a
    raise Fail(f"{out}/travel_time.tif has no band {description!r}: "
               f"{[ds.GetRasterBand(i).GetDescription() for i in range(1, ds.RasterCount + 1)]}")


LEG1 = "chain: minutes from the nearest emergency station to the patient (drive)"
LEG2 = "chain: minutes from the patient to the nearest capable facility (drive)"
TOTAL = "chain: total minutes (dispatch + station to patient + on scene + patient to capable facility)"


def to_ms(a):
    """Float32 minutes back to integer milliseconds: exact below 256 minutes, where a Float32
    step is under 1 ms (0.92 ms at 255 minutes); -1 for nodata."""
    m = np.full(a.shape, -1, dtype=np.int64)
    ok = np.isfinite(a)
    m[ok] = np.rint(a[ok] * 60000.0).astype(np.int64)
    return m


def check_cells(chain_out, emerg_out, plain_out, station_tier, capable_tier, dispatch_min, on_scene_min):
    """Every cell's chain = dispatch + on scene + its two legs read from independent runs, to the
    millisecond; returns the number of cells checked."""
    leg1, leg2, tot = band(chain_out, LEG1), band(chain_out, LEG2), band(chain_out, TOTAL)
    resp = band(emerg_out, f"minutes from the nearest facility of tier {station_tier} to the patient, dispatch included")
    cap = band(plain_out, f"minutes to the nearest facility of tier {capable_tier}")
    d_ms, s_ms = round(dispatch_min * 60000), round(on_scene_min * 60000)
    big = np.nanmax(np.concatenate([tot[np.isfinite(tot)], resp[np.isfinite(resp)], cap[np.isfinite(cap)], [0.0]]))
    check(big < 256, f"times up to {big:.1f} min: above 256 min Float32 minutes no longer hold whole milliseconds")
    l1, l2, t, r, c = to_ms(leg1), to_ms(leg2), to_ms(tot), to_ms(resp), to_ms(cap)
    # nodata in the same cells
    check(np.array_equal(l1 < 0, r < 0), "leg 1 and the emergency run differ in which cells a station reaches")
    check(np.array_equal(l2 < 0, c < 0), "leg 2 and the plain run differ in which cells reach a capable facility")
    check(np.array_equal(t < 0, (l1 < 0) | (l2 < 0)), "the chain exists exactly where both legs exist")
    has1, has2, hast = l1 >= 0, l2 >= 0, t >= 0
    bad1 = np.count_nonzero(l1[has1] + d_ms != r[has1])
    bad2 = np.count_nonzero(l2[has2] != c[has2])
    badt = np.count_nonzero(t[hast] != d_ms + l1[hast] + s_ms + l2[hast])
    check(bad1 == 0, f"{bad1} cells: dispatch + leg 1 != the emergency run's time "
                     f"(max diff {np.max(np.abs(l1[has1] + d_ms - r[has1])) if bad1 else 0} ms)")
    check(bad2 == 0, f"{bad2} cells: leg 2 != the plain run's time to tier {capable_tier}")
    check(badt == 0, f"{badt} cells: total != dispatch + leg 1 + on scene + leg 2")
    check(np.count_nonzero(hast) > 0, "no cell has a chain")
    # the legs really differ in places (else a wrong direction or set could hide)
    check(np.count_nonzero(l1[hast] != l2[hast]) > 0, "the two legs are equal everywhere")
    return int(np.count_nonzero(hast))


def check_figures(chain_out, plain_out, emerg_out, population, capable_tier, station_tier):
    """summary.json chain figures: equal to sums over the raster cells, never above either leg."""
    s, plain, emerg = summary(chain_out), summary(plain_out), summary(emerg_out)
    ch = s["chain"]
    pds = gdal.Open(population)
    nd = pds.GetRasterBand(1).GetNoDataValue()
    p = pds.GetRasterBand(1).ReadAsArray().astype(np.float64)
    del pds
    p[~np.isfinite(p) | (p <= 0) | ((p == nd) if nd is not None else False)] = 0.0
    tot = band(chain_out, TOTAL)
    leg2 = band(chain_out, LEG2)
    for key, T in ((k, float(k)) for k in ch["population_within_min"]):
        within = ch["population_within_min"][key]
        mine = float(np.sum(p[np.isfinite(tot) & (np.rint(np.nan_to_num(tot, nan=1e9) * 60000) <= round(T * 60000))]))
        check(abs(within - mine) <= 1e-6 * max(1.0, mine) + 0.01, f"chain within {key} min: summary {within}, raster sum {mine}")
        resp = ch["legs"]["station_to_patient"]["population_within_min_with_dispatch"][key]
        trans = ch["legs"]["patient_to_capable"]["population_within_min"][key]
        check(within <= resp + 1e-6 and within <= trans + 1e-6, f"chain within {key} min ({within}) is above a leg ({resp}, {trans})")
        check(abs(trans - plain["tiers"][capable_tier]["population_within_min"][key]) <= 0.01,
              f"leg 2 within {key} min differs from the plain run's tier {capable_tier}")
        check(abs(resp - emerg["tiers"][station_tier]["population_within_min"][key]) <= 0.01,
              f"dispatch + leg 1 within {key} min differs from the emergency run's tier {station_tier}")
    # the population-weighted mean of leg 2 over the people who reach a capable facility
    ok = np.isfinite(leg2) & (p > 0)
    mean2 = float(np.sum(p[ok] * leg2[ok]) / np.sum(p[ok]))
    check(abs(mean2 - ch["legs"]["patient_to_capable"]["mean_minutes"]) < 0.002, f"leg 2 mean {mean2} != summary")
    # chain_isochrones: cumulative population = the chain figures
    ds = ogr.Open(os.path.join(chain_out, "coverage.gpkg"))
    lyr = ds.GetLayerByName("chain_isochrones")
    check(lyr is not None, "coverage.gpkg lacks chain_isochrones")
    rows = {f.GetField("min_to"): f.GetField("population_cum") for f in lyr}
    for key in ch["population_within_min"]:
        check(abs(rows[float(key)] - ch["population_within_min"][key]) <= 0.01, f"chain_isochrones within {key} differs")


def demo_common(out, extra=()):
    return ["coverage", "--roads", f"{DEMO}/roads.geojson", "--population", f"{DEMO}/population.asc",
            "--facilities", f"{DEMO}/facilities.csv", "--tier-field", "tier", "--minutes", "15,30,45,60,90",
            "--out", out, "--quiet"] + list(extra)


# ---- cases -----------------------------------------------------------------------------------

def case_demo(tmp):
    """Demo district: stations = emergency_station and township health centres; capable = county hospital."""
    for dispatch, on_scene in ((3, 10), (5, 0)):
        ch, em, pl = (os.path.join(tmp, f"{n}{dispatch}") for n in ("chain", "emerg", "plain"))
        args = ["--chain", "--station-tiers", "emergency_station", "--capable-tiers", "county_hospital",
                "--dispatch-minutes", str(dispatch), "--on-scene-minutes", str(on_scene)]
        p = run(demo_common(ch, args + ["--admin", f"{DEMO}/townships.geojson", "--lang", "zh,en"]))
        check("emergency chain" in p.stdout, "no chain line in the table")
        for lang, words in (("en", ["Emergency chain", "Whole chain", f"dispatch {dispatch} min", f"{on_scene} min on scene"]),
                            ("zh", ["急救链", "整条急救链", f"调度出车 {dispatch} 分钟", f"现场处置 {on_scene} 分钟"])):
            html = open(os.path.join(ch, f"report_{lang}.html"), encoding="utf-8").read()
            missing = [w for w in words if w not in html]
            check(not missing, f"report_{lang}.html lacks {missing}")
        run(demo_common(em, ["--emergency", "--dispatch-minutes", str(dispatch)]))
        run(demo_common(pl))
        n = check_cells(ch, em, pl, "emergency_station", "county_hospital", dispatch, on_scene)
        check_figures(ch, pl, em, f"{DEMO}/population.asc", "county_hospital", "emergency_station")
        s = summary(ch)["chain"]
        check(s["dispatch_minutes"] == dispatch and s["on_scene_minutes"] == on_scene, "parameters not in summary.json")
        check(summary(em)["emergency"]["direction"] == "facility_to_patient", "emergency run does not say its direction")
        print(f"demo dispatch {dispatch} on scene {on_scene}: {n} cells equal to the millisecond; "
              f"chain within 30 min {s['share_within_min']['30']:.4f}")
    # defaults: capable tiers county_hospital (+ sub_centre when present), dispatch 3, on scene 10
    d = os.path.join(tmp, "dflt")
    run(demo_common(d, ["--chain", "--station-tiers", "emergency_station,township_health_centre"]))
    s = summary(d)["chain"]
    check(s["capable_tiers"] == ["county_hospital"] and s["dispatch_minutes"] == 3 and s["on_scene_minutes"] == 10,
          f"defaults: {s['capable_tiers']}, {s['dispatch_minutes']}, {s['on_scene_minutes']}")
    check(s["station_tiers"] == ["emergency_station", "township_health_centre"], "station tiers not listed")


def case_bad_options(tmp):
    """Chain options without --chain, a chain without stations, unknown tiers: one line, exit 2."""
    out = os.path.join(tmp, "o")
    cases = [(["--chain"], "--station-tiers"),
             (["--station-tiers", "emergency_station"], "--chain"),
             (["--chain", "--station-tiers", "ambulance_base"], "ambulance_base"),
             (["--chain", "--station-tiers", "emergency_station", "--capable-tiers", "pci_centre"], "pci_centre"),
             (["--chain", "--station-tiers", "emergency_station", "--dispatch-minutes", "-1"], "--dispatch-minutes"),
             (["--chain", "--station-tiers", "emergency_station", "--on-scene-minutes", "x"], "--on-scene-minutes"),
             (["--dispatch-minutes", "4"], "--chain")]
    for extra, word in cases:
        p = run(demo_common(out, extra), expect=2)
        lines = [line for line in p.stderr.splitlines() if "error" in line]
        check(len(lines) == 1 and lines[0].startswith("carecircle") and "error:" in lines[0] and word in lines[0],
              f"{extra}: expected one error line naming {word}, got {p.stderr!r}")
        check(not os.path.exists(out), f"{extra}: output folder written")


def case_scenario(tmp):
    """A scenario's chain: section gives the figures of `coverage --chain` on the same inputs
    (village points), is echoed in scenario.json, and a bad key is one file:line:column error."""
    extra = ("minutes: [15, 30, 60]\nchain:\n  station_tiers: [emergency_station, township_health_centre]\n"
             "  capable_tiers: [county_hospital]\n  dispatch_minutes: 4\n  on_scene_minutes: 0\n")
    out, cli = cli_test.scenario_and_cli(tmp, extra, cli_test.village_args("coverage") + [
        "--chain", "--station-tiers", "emergency_station,township_health_centre", "--capable-tiers", "county_hospital",
        "--dispatch-minutes", "4", "--on-scene-minutes", "0"])
    a, b = summary(out)["chain"], summary(cli)["chain"]
    check(a["dispatch_minutes"] == 4 and a["on_scene_minutes"] == 0, f"scenario chain parameters: {a['dispatch_minutes']}, {a['on_scene_minutes']}")
    check(a["population_within_min"] == b["population_within_min"], f"scenario {a['population_within_min']} != CLI {b['population_within_min']}")
    with open(os.path.join(out, "scenario.json")) as f:
        echo = json.load(f)["scenario"]["chain"]
    check(echo["station_tiers"] == "emergency_station,township_health_centre" and echo["on_scene_minutes"] == 0,
          f"scenario.json chain: {echo}")
    bad = cli_test.demo_scenario(tmp, "chain:\n  station_tiers: [emergency_station]\n  on_scene_minuts: 5\n", name="bad.yaml", maps=False)
    p = run(["run", bad, "--check"], expect=3)
    check(f"{bad}:14:3:" in p.stderr and "<on_scene_minuts>" in p.stderr and "did you mean <on_scene_minutes>" in p.stderr,
          f"bad chain key: {p.stderr!r}")
    bad = cli_test.demo_scenario(tmp, "chain:\n  capable_tiers: [county_hospital]\n", name="bad2.yaml", maps=False)
    p = run(["run", bad, "--check"], expect=3)
    check("<station_tiers>" in p.stderr, f"chain without stations: {p.stderr!r}")


def case_site(tmp):
    """site --emergency --capable-tiers optimises the chain: GLPK's exact optimum equals the
    heuristic (or lies within its gap), and the chain coverage before and after, recomputed by
    `coverage --chain` with the proposed stations added to the facility file, equals the site
    run's figures."""
    import csv
    out = os.path.join(tmp, "site")
    common = ["--roads", f"{DEMO}/roads.geojson", "--population", f"{DEMO}/population.asc"]
    for exact in (False, True):
        o = out + ("x" if exact else "")
        run(["site"] + common + ["--facilities", f"{DEMO}/facilities.csv", "--fixed-tiers", "emergency_station", "--emergency",
                                 "--capable-tiers", "county_hospital", "--candidate-roads", "primary,secondary,tertiary", "--spacing",
                                 "2000", "-p", "2", "--minutes", "45", "--out", o, "--quiet"] + (["--exact"] if exact else []))
    heur, ex = summary(out), summary(out + "x")
    check(heur["parameters"]["chain"]["capable_tiers"] == "county_hospital", "summary.json lacks the chain parameters")
    h_cov, x_cov = heur["coverage"]["covered_after"], ex["coverage"]["covered_after"]
    check(x_cov <= heur["solution"]["bound"] + 1e-6, f"exact optimum {x_cov} above the heuristic's bound {heur['solution']['bound']}")
    gained = h_cov - heur["coverage"]["covered_before"]
    check(x_cov - h_cov <= heur["solution"]["gap"] * gained + 1e-3, f"heuristic {h_cov} further from the optimum {x_cov} than its gap {heur['solution']['gap']}")
    check(ex["solution"]["proven_optimal"], "the exact solve is not proven optimal")
    # independent evaluation: coverage --chain with the proposed stations as facilities
    ds = ogr.Open(os.path.join(out + "x", "sites.gpkg"))
    sites = [(f.GetField("lon"), f.GetField("lat")) for f in ds.GetLayerByName("proposed_sites")]
    del ds
    check(len(sites) == 2, f"{len(sites)} proposed sites")
    fac = os.path.join(tmp, "fac.csv")
    with open(f"{DEMO}/facilities.csv", encoding="utf-8") as f, open(fac, "w", encoding="utf-8", newline="") as g:
        r = csv.DictReader(f)
        w = csv.DictWriter(g, fieldnames=r.fieldnames)
        w.writeheader()
        for row in r:
            w.writerow(row)
        for k, (lon, lat) in enumerate(sites):
            w.writerow({"lon": repr(lon), "lat": repr(lat), "name": f"new station {k}", "tier": "emergency_station"})
    for f_csv, want, label in ((f"{DEMO}/facilities.csv", ex["coverage"]["covered_before"], "before"), (fac, x_cov, "after")):
        o = os.path.join(tmp, "cov-" + label)
        run(["coverage"] + common + ["--facilities", f_csv, "--tier-field", "tier", "--chain", "--station-tiers", "emergency_station",
                                     "--capable-tiers", "county_hospital", "--minutes", "45", "--out", o, "--quiet"])
        got = summary(o)["chain"]["population_within_min"]["45"]
        print(f"chain siting {label}: site {want:.2f}, coverage --chain {got:.2f}")
        check(abs(got - want) <= 0.01, f"chain coverage {label}: site says {want}, coverage --chain says {got}")
    # the scenario's siting section takes the same keys and gives the same answer
    sc = os.path.join(tmp, "s.yaml")
    with open(sc, "w") as f:
        f.write("name: chainsite\n" + cli_test.demo_inputs(villages=False, admin=False) + """siting:
  - {model: mclp, budget: 2, threshold_min: 45, emergency: true, fixed_tiers: [emergency_station],
     capable_tiers: [county_hospital], on_scene_minutes: 10, candidate_roads: [primary, secondary, tertiary], spacing_m: 2000}
report:
  maps: false
""")
    o = os.path.join(tmp, "scen")
    run(["run", sc, "--out", o, "--quiet"])
    got = summary(os.path.join(o, "siting"))
    check(got["parameters"]["chain"]["capable_tiers"] == "county_hospital", "the scenario's siting does not optimise the chain")
    check(abs(got["coverage"]["covered_after"] - h_cov) <= 0.01,
          f"scenario siting covers {got['coverage']['covered_after']}, site covers {h_cov}")


def case_site_upgrade(tmp):
    """site --emergency --capable-tiers --upgrade-tiers upgrades up to --max-subcentres facilities to
    capable jointly with the stations: its coverage is at least that of the stations alone and of
    every single upgrade solved separately (a copy of facilities.csv with that facility's tier made
    capable); `coverage --chain` with the upgraded facility made capable and the stations added
    gives the covered population the summary states; bad inputs are one-line errors."""
    import csv
    common = ["--roads", f"{DEMO}/roads.geojson", "--population", f"{DEMO}/population.asc", "--fixed-tiers", "emergency_station",
              "--emergency", "--capable-tiers", "county_hospital", "--candidate-roads", "primary,secondary,tertiary", "--spacing", "2000",
              "-p", "2", "--minutes", "45", "--quiet"]
    with open(f"{DEMO}/facilities.csv", encoding="utf-8") as f:
        r = csv.DictReader(f)
        fields, rows = r.fieldnames, list(r)

    def write_fac(path, capable=(), stations=()):
        with open(path, "w", encoding="utf-8", newline="") as g:
            w = csv.DictWriter(g, fieldnames=fields)
            w.writeheader()
            for i, row in enumerate(rows):
                row = dict(row)
                if i in capable:
                    row["tier"] = "county_hospital"
                w.writerow(row)
            for k, (lon, lat) in enumerate(stations):
                w.writerow({"lon": repr(lon), "lat": repr(lat), "name": f"new station {k}", "tier": "emergency_station"})

    out = os.path.join(tmp, "joint")
    p = run(["site"] + common + ["--facilities", f"{DEMO}/facilities.csv", "--upgrade-tiers", "township_health_centre", "--out", out])
    j = summary(out)
    up = j["upgrade"]
    joint = j["coverage"]["covered_after"]
    check(j["parameters"]["chain"]["upgrade_tiers"] == "township_health_centre", "summary.json lacks upgrade_tiers")
    check(j["parameters"]["chain"]["max_upgrades"] == 2, "summary.json lacks max_upgrades (default 2)")
    ths = [i for i, row in enumerate(rows) if row["tier"] == "township_health_centre"]
    check(up["candidates"] == len(ths), f"{up['candidates']} upgrade candidates, the file has {len(ths)} township health centres")
    check(up["sets_solved"] == 1 + len(ths) + len(ths) * (len(ths) - 1) // 2, f"{up['sets_solved']} upgrade sets solved")
    chosen = [u["id"] for u in up["upgraded_facilities"]]
    check(1 <= len(chosen) <= 2 and all(c in ths for c in chosen), f"upgraded facilities {up['upgraded_facilities']}")
    for u in up["upgraded_facilities"]:
        check(rows[u["id"]]["name"] == u["name"], f"upgraded facility {u} is not row {u['id']} of the file")
    ds = ogr.Open(os.path.join(out, "sites.gpkg"))
    names = sorted(f.GetField("name") for f in ds.GetLayerByName("upgraded_facilities"))
    del ds
    check(names == sorted(u["name"] for u in up["upgraded_facilities"]), f"layer upgraded_facilities holds {names}")
    check(all(u["name"] in p.stdout for u in up["upgraded_facilities"]), "the table does not name the upgraded facilities")
    check(j["solution"]["bound"] >= joint - 1e-6, "bound below the objective")
    # (1) no upgrade, and every single upgrade, solved separately
    o = os.path.join(tmp, "none")
    run(["site"] + common + ["--facilities", f"{DEMO}/facilities.csv", "--out", o])
    none = summary(o)["coverage"]["covered_after"]
    print(f"upgrade siting: joint {joint:.2f}, no upgrade {none:.2f}, chosen {up['upgraded_facilities']}")
    check(joint >= none - 1e-6, f"joint {joint} below the stations alone {none}")
    check(abs(up["covered_without_upgrade"] - none) <= 0.01, f"covered_without_upgrade {up['covered_without_upgrade']} != {none}")
    for i in ths:
        fac = os.path.join(tmp, f"fac{i}.csv")
        write_fac(fac, capable=(i,))
        o = os.path.join(tmp, f"one{i}")
        run(["site"] + common + ["--facilities", fac, "--out", o])
        one = summary(o)["coverage"]["covered_after"]
        print(f"  upgrading {rows[i]['name']} alone: {one:.2f}")
        check(joint >= one - 1e-6, f"joint {joint} below the single upgrade of {rows[i]['name']} ({one})")
        check(one <= j["solution"]["bound"] + 1e-6, f"single upgrade {one} above the joint bound {j['solution']['bound']}")
    # (2) coverage --chain with the upgrade and the stations in the facility file
    ds = ogr.Open(os.path.join(out, "sites.gpkg"))
    sites = [(f.GetField("lon"), f.GetField("lat")) for f in ds.GetLayerByName("proposed_sites")]
    del ds
    fac = os.path.join(tmp, "fac_after.csv")
    write_fac(fac, capable=set(chosen), stations=sites)
    o = os.path.join(tmp, "cov")
    run(["coverage", "--roads", f"{DEMO}/roads.geojson", "--population", f"{DEMO}/population.asc", "--facilities", fac,
         "--tier-field", "tier", "--chain", "--station-tiers", "emergency_station", "--capable-tiers", "county_hospital",
         "--minutes", "45", "--out", o, "--quiet"])
    got = summary(o)["chain"]["population_within_min"]["45"]
    print(f"  coverage --chain with the upgrade and the stations: {got:.2f}")
    check(abs(got - joint) <= 0.01, f"coverage --chain says {got}, the siting summary {joint}")
    check(abs(j["solution"]["objective"] - joint) <= 0.01, "objective differs from covered_after")
    # (3) bad inputs
    base = ["site"] + common + ["--facilities", f"{DEMO}/facilities.csv"]
    cli_test.expect_error(tmp, base + ["--upgrade-tiers", "township_health_centre", "--max-subcentres", "7"], 2, "--max-subcentres", "6")
    cli_test.expect_error(tmp, base + ["--upgrade-tiers", ""], 2, "--upgrade-tiers")
    cli_test.expect_error(tmp, base + ["--upgrade-tiers", "village_clinic", "--max-subcentres", "5"], 5, "5000", "--max-subcentres")
    # robust siting over a batch has no upgrade sets: refused, not ignored
    rob = ["site", "--scenarios", f"{DEMO}/batch.yaml"] + [a for a in common if a not in ("--roads", f"{DEMO}/roads.geojson", "--population",
                                                                                         f"{DEMO}/population.asc")]
    cli_test.expect_error(tmp, rob + ["--upgrade-tiers", "township_health_centre"], 2, "--upgrade-tiers", "--scenarios")
    cli_test.expect_error(tmp, base + ["--upgrade-tiers", "township_health_centre", "--model", "lscp"], 2, "--upgrade-tiers", "mclp")


def utm_length(coords_lonlat):
    src, dst = osr.SpatialReference(), osr.SpatialReference()
    src.ImportFromEPSG(4326)
    dst.ImportFromEPSG(32650)
    src.SetAxisMappingStrategy(osr.OAMS_TRADITIONAL_GIS_ORDER)
    dst.SetAxisMappingStrategy(osr.OAMS_TRADITIONAL_GIS_ORDER)
    tr = osr.CoordinateTransformation(src, dst)
    pts = [tr.TransformPoint(x, y)[:2] for x, y in coords_lonlat]
    return sum(((a[0] - b[0]) ** 2 + (a[1] - b[1]) ** 2) ** 0.5 for a, b in zip(pts, pts[1:]))


def case_oneway(tmp):
    """A oneway road W -> E and a two-way detour: the station and the hospital stand at E, the
    village at W. The ambulance (E -> W, towards the patient) must take the detour; the patient
    (W -> E, towards the hospital) takes the oneway road. Reversing the oneway swaps the legs."""
    W, E, N = (117.60, 34.85), (117.65, 34.85), (117.625, 34.88)
    direct, detour = utm_length([W, E]), utm_length([W, N, E])
    kmh = 70.0  # ambulance, primary, paved
    for oneway, slow_leg in (("yes", "station_to_patient"), ("-1", "patient_to_capable")):
        d = os.path.join(tmp, f"in{oneway}")
        os.makedirs(d)
        roads = {"type": "FeatureCollection", "features": [
            {"type": "Feature", "properties": {"highway": "primary", "oneway": oneway, "surface": "asphalt"},
             "geometry": {"type": "LineString", "coordinates": [list(W), list(E)]}},
            {"type": "Feature", "properties": {"highway": "primary", "surface": "asphalt"},
             "geometry": {"type": "LineString", "coordinates": [list(W), list(N), list(E)]}}]}
        vill = {"type": "FeatureCollection", "features": [
            {"type": "Feature", "properties": {"name": "West", "population": 1000},
             "geometry": {"type": "Point", "coordinates": list(W)}}]}
        with open(os.path.join(d, "roads.geojson"), "w") as f:
            json.dump(roads, f)
        with open(os.path.join(d, "villages.geojson"), "w") as f:
            json.dump(vill, f)
        with open(os.path.join(d, "fac.csv"), "w") as f:
            f.write(f"lon,lat,name,tier\n{E[0]},{E[1]},Station E,emergency_station\n{E[0]},{E[1]},Hospital E,county_hospital\n")
        out = os.path.join(tmp, f"out{oneway}")
        run(["coverage", "--roads", f"{d}/roads.geojson", "--population", f"{d}/villages.geojson", "--facilities", f"{d}/fac.csv",
             "--chain", "--station-tiers", "emergency_station", "--capable-tiers", "county_hospital", "--on-scene-minutes", "0",
             "--crs", "EPSG:32650", "--minutes", "10,30", "--out", out, "--quiet", "--resolution", "500"])
        legs = summary(out)["chain"]["legs"]
        fast_leg = "patient_to_capable" if slow_leg == "station_to_patient" else "station_to_patient"
        want_slow, want_fast = detour / (kmh / 3.6) / 60, direct / (kmh / 3.6) / 60
        got_slow, got_fast = legs[slow_leg]["mean_minutes"], legs[fast_leg]["mean_minutes"]
        print(f"oneway={oneway}: {slow_leg} {got_slow:.3f} min (detour {want_slow:.3f}), {fast_leg} {got_fast:.3f} min (direct {want_fast:.3f})")
        check(abs(got_slow - want_slow) < 0.01, f"oneway={oneway}: {slow_leg} took {got_slow} min, the detour takes {want_slow}")
        check(abs(got_fast - want_fast) < 0.01, f"oneway={oneway}: {fast_leg} took {got_fast} min, the direct road takes {want_fast}")
        tot = summary(out)["chain"]["mean_minutes"]
        check(abs(tot - (3 + got_slow + got_fast)) < 0.002, f"oneway={oneway}: total {tot} != 3 + legs")


def case_comoros(tmp):
    """Comoros: health centres as stations, hospitals capable. Cell by cell as for the demo, and
    the shares the issue measured independently (67.6 %, 3.7 %, 16.7 %)."""
    pbf = os.path.join(COMOROS, "comores-2021-04-08.osm.pbf")
    if not os.path.exists(pbf):
        print(f"SKIP: {COMOROS} is not present (real-data chain check needs ../shared/data)")
        return SKIP
    pop = os.path.join(COMOROS, "com_ppp_2020_UNadj.tif")
    common = ["coverage", "--roads", pbf, "--population", pop,
              "--facilities", os.path.join(COMOROS, "who_public_health_facilities_comoros.csv"),
              "--tier-field", "tier", "--tiers", "1=health_post,2=health_centre,3=hospital,4=hospital", "--quiet"]
    em, pl = os.path.join(tmp, "emerg"), os.path.join(tmp, "plain")
    run(common + ["--emergency", "--out", em])
    run(common + ["--out", pl])
    shares = {}
    for on_scene in (10, 0):
        ch = os.path.join(tmp, f"chain{on_scene}")
        run(common + ["--chain", "--station-tiers", "health_centre", "--capable-tiers", "hospital",
                      "--on-scene-minutes", str(on_scene), "--out", ch])
        n = check_cells(ch, em, pl, "health_centre", "hospital", 3, on_scene)
        check_figures(ch, pl, em, pop, "hospital", "health_centre")
        s = summary(ch)
        shares[on_scene] = s["chain"]["share_within_min"]["30"]
        resp = s["chain"]["legs"]["station_to_patient"]["population_within_min_with_dispatch"]["30"] / s["population_total"]
        print(f"comoros on scene {on_scene}: {n} cells equal to the millisecond; dispatch + leg 1 within 30 min {resp:.4f}, "
              f"chain within 30 min {shares[on_scene]:.4f}")
        check(abs(resp - 0.676) <= 0.0006, f"dispatch + station -> patient within 30 min: {resp:.4f}, the issue measured 0.676")
    check(abs(shares[10] - 0.037) <= 0.0006, f"chain within 30 min, 10 min on scene: {shares[10]:.4f}, the issue measured 0.037")
    check(abs(shares[0] - 0.167) <= 0.0006, f"chain within 30 min, no time on scene: {shares[0]:.4f}, the issue measured 0.167")


if __name__ == "__main__":
    sys.exit(cli_test.main(globals(), __doc__))
