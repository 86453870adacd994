#!/usr/bin/python3
"""What a run writes (`coverage --outputs`, the scenario key `outputs`, issue 19), one case per CTest test.

A batch of many variants may keep only what it compares: `--outputs summary` writes summary.json
alone, `raster`, `gpkg`, `tables` and `report` add the travel-time raster, the GeoPackage, the
village tables and the deliverables. The cases check that a folder holds exactly what was asked,
that what it holds is what a full run writes (the figures do not depend on the outputs), that
nonsense is refused before any work, and that a batch whose sweep keeps only summaries compares
the same figures, links only the reports that exist and re-runs a variant whose outputs change.
Case gpkg_writer: the large point layers (demand_uncovered of coverage.gpkg and sites.gpkg) go
straight through SQLite; what they hold is what OGR's feature-by-feature path writes
(CARECIRCLE_GPKG_WRITER=ogr), and the file is a valid GeoPackage with sound spatial indexes.

Usage: outputs_test.py CASE  (environment: CC_BIN = carecircle binary, CC_SRC = source tree)
Exit 0 = pass, 1 = fail, 77 = skipped (CTest SKIP_RETURN_CODE), with the reason printed.
"""
import csv
import json
import os
import re
import sqlite3
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import cli_test  # noqa: E402
from cli_test import DEMO, check, demo_args, run  # noqa: E402

# what differs between two runs of the same figures: wall times and the outputs' own list
VOLATILE = {"timings_s", "outputs"}


def figures(folder):
    with open(os.path.join(folder, "summary.json"), encoding="utf-8") as f:
        j = json.load(f)
    return {k: v for k, v in j.items() if k not in VOLATILE}


def listing(folder):
    return sorted(n for n in os.listdir(folder) if not n.startswith("."))


def case_coverage(tmp):
    full = os.path.join(tmp, "full")
    run(demo_args(full))
    with open(os.path.join(full, "summary.json"), encoding="utf-8") as f:
        check(json.load(f)["outputs"] == ["raster", "gpkg", "tables", "report", "summary"], "a full run's summary.json does not list every output")
    want = {
        "summary": ["summary.json"],
        "raster,gpkg": ["coverage.gpkg", "summary.json", "travel_time.tif"],
        "tables": ["access_by_village.csv", "access_by_village.xlsx", "referrals.csv", "summary.json"],
        "summary,raster,gpkg,report": None,  # everything but the tables
    }
    everything = listing(full)
    for arg, files in want.items():
        out = os.path.join(tmp, re.sub(r"\W", "_", arg))
        p = run(demo_args(out, ["--outputs", arg]))
        got = listing(out)
        if files is None:
            files = [n for n in everything if not n.startswith(("access_by_village", "referrals"))]
        check(got == files, f"--outputs {arg}: the folder holds {got}, expected {files}")
        check(figures(out) == figures(full), f"--outputs {arg}: summary.json's figures differ from a full run's")
        with open(os.path.join(out, "summary.json"), encoding="utf-8") as f:
            names = json.load(f)["outputs"]
        for n in ("raster", "gpkg", "tables", "report"):
            check((n in names) == (n in arg.split(",")), f"--outputs {arg}: summary.json lists {names}")
        # the closing line names only files that exist
        line = [x for x in p.stdout.splitlines() if x.startswith("outputs:")]
        check(len(line) == 1, f"--outputs {arg}: no 'outputs:' line in {p.stdout!r}")
        for path in line[0].split()[1:]:
            check(os.path.exists(path), f"--outputs {arg}: the outputs line names {path}, which was not written")
        # what was written is what the full run wrote
        for n in got:
            if n.endswith((".csv", ".json")) and n != "summary.json":
                with open(os.path.join(out, n), "rb") as a, open(os.path.join(full, n), "rb") as b:
                    check(a.read() == b.read(), f"--outputs {arg}: {n} differs from a full run's")
        if "travel_time.tif" in got:
            from osgeo import gdal
            a, b = gdal.Open(os.path.join(out, "travel_time.tif")), gdal.Open(os.path.join(full, "travel_time.tif"))
            check(a.RasterCount == b.RasterCount, f"--outputs {arg}: travel_time.tif has {a.RasterCount} bands, a full run's {b.RasterCount}")
            for k in range(1, a.RasterCount + 1):
                check(a.GetRasterBand(k).ReadRaster() == b.GetRasterBand(k).ReadRaster(), f"--outputs {arg}: band {k} differs")
        if "coverage.gpkg" in got:
            from osgeo import ogr
            a, b = ogr.Open(os.path.join(out, "coverage.gpkg")), ogr.Open(os.path.join(full, "coverage.gpkg"))
            for i in range(b.GetLayerCount()):
                lb = b.GetLayer(i)
                if lb.GetName() == "layer_styles":  # written by the report (styles), with report only
                    continue
                la = a.GetLayerByName(lb.GetName())
                check(la is not None, f"--outputs {arg}: coverage.gpkg lacks layer {lb.GetName()}")
                fa = [f.ExportToJson() for f in la]
                fb = [f.ExportToJson() for f in lb]
                check(fa == fb, f"--outputs {arg}: layer {lb.GetName()} differs from a full run's")
    # the report of a folder without its GeoPackage: one line saying why, nothing written
    light = os.path.join(tmp, "summary")
    p = run(["report", light, "--lang", "en"], expect=None)
    err = p.stderr.strip().splitlines()
    check(p.returncode != 0 and len(err) == 1 and "holds no coverage.gpkg" in err[0] and 'outputs ["summary"]' in err[0],
          f"report of a summary-only folder: exit {p.returncode}, {p.stderr!r}")
    check(listing(light) == ["summary.json"], f"report of a summary-only folder wrote {listing(light)}")
    # nonsense, refused before anything is written
    for arg, msg in (("report", "report needs raster and gpkg"), ("raster,bogus", "unknown output 'bogus'"), ("", "unknown output ''")):
        out = os.path.join(tmp, "bad")
        p = run(demo_args(out, ["--outputs", arg]), expect=2)
        err = p.stderr.strip().splitlines()
        check(len(err) == 1 and msg in err[0], f"--outputs '{arg}': expected one line with '{msg}', got {p.stderr!r}")
        check(not os.path.exists(out), f"--outputs '{arg}': the output folder was created")
    print(f"--outputs: {len(want)} selections hold what was asked, with a full run's figures and files; 3 refusals")


def write_batch(path, sweep_set=None, variant_set=None, base=None):
    lines = [f"base: {json.dumps(os.path.abspath(base or os.path.join(DEMO, 'scenario.yaml')))}",
             "variants:",
             "  - name: rainy",
             "    set: " + json.dumps(dict({"speed_factors": {"class": {"tertiary": 0.7}}}, **(variant_set or {}))),
             "sweeps:",
             "  - name: \"all_x{value}\"",
             "    key: speed_factors.all",
             "    values: [0.8, 0.9]"]
    if sweep_set is not None:
        lines.append("    set: " + json.dumps(sweep_set))
    with open(path, "w", encoding="utf-8") as f:
        f.write("\n".join(lines) + "\n")


def comparison(folder):
    with open(os.path.join(folder, "comparison.csv"), encoding="utf-8") as f:
        return list(csv.DictReader(f))


def comparison_features(folder):
    """comparison.gpkg's rows: (scenario, admin_name) -> (geometry blob, figures rounded to 1e-3)."""
    con = sqlite3.connect(os.path.join(folder, "comparison.gpkg"))
    try:
        cur = con.execute("SELECT * FROM comparison ORDER BY fid")
        names = [d[0] for d in cur.description]
        out = {}
        for row in cur:
            r = dict(zip(names, row))
            figs = {k: round(v, 3) if isinstance(v, float) else v for k, v in r.items() if k not in ("fid", "geom")}
            out[(r["scenario"], r["admin_name"])] = (r["geom"], figs)
        return out
    finally:
        con.close()


def admin_table(gpkg):
    """coverage_by_admin of a GeoPackage: code -> its figures."""
    con = sqlite3.connect(gpkg)
    try:
        cur = con.execute("SELECT * FROM coverage_by_admin")
        names = [d[0] for d in cur.description]
        return {r["code"]: r for r in (dict(zip(names, row)) for row in cur)}
    finally:
        con.close()


def case_batch(tmp):
    """A sweep's variants write summary.json only unless the base or the sweep names outputs; the
    comparison is the same either way, admin areas (figures from summary.json's by_admin, geometry
    from the base's GeoPackage) included."""
    plain, light, full = (os.path.join(tmp, n + ".yaml") for n in ("plain", "light", "full"))
    write_batch(plain)
    write_batch(light, sweep_set={"outputs": ["summary"]})
    write_batch(full, sweep_set={"outputs": ["all"]})
    p = run(["batch", plain, "--out", os.path.join(tmp, "d"), "--jobs", "1"])
    run(["batch", light, "--out", os.path.join(tmp, "l"), "--jobs", "1", "--quiet"])
    run(["batch", full, "--out", os.path.join(tmp, "p"), "--jobs", "1", "--quiet"])
    info = [x for x in p.stderr.splitlines() if "sweep variant" in x]
    check(len(info) == 1 and "2 sweep variants write summary.json only" in info[0] and "{outputs: [all]}" in info[0],
          f"the default batch does not say once that its sweep writes summaries only: {p.stderr!r}")
    check("wrote no coverage.gpkg" not in p.stderr, f"a warning about admin areas left out: {p.stderr!r}")
    for v in ("all_x0.8", "all_x0.9"):
        for d in ("d", "l"):
            got = listing(os.path.join(tmp, d, v))
            check(got == ["scenario.json", "summary.json"], f"{d}/{v}: a summary-only sweep variant holds {got}")
            check(figures(os.path.join(tmp, d, v)) == figures(os.path.join(tmp, "p", v)), f"{d}/{v}: figures differ from the full batch's")
        check("travel_time.tif" in listing(os.path.join(tmp, "p", v)), f"{v}: set: {{outputs: [all]}} did not give every output")
        # summary.json's by_admin is the GeoPackage's coverage_by_admin
        with open(os.path.join(tmp, "p", v, "summary.json"), encoding="utf-8") as f:
            by = json.load(f)["by_admin"]
        tab = admin_table(os.path.join(tmp, "p", v, "coverage.gpkg"))
        check(sorted(a["code"] for a in by) == sorted(tab) and len(by) > 1, f"{v}: by_admin codes {[a['code'] for a in by]} against {sorted(tab)}")
        for a in by:
            t = tab.get(a["code"], {})
            pairs = [(a["population"], t.get("population")), (a["population_no_road_access"], t.get("pop_no_road_access")),
                     (a["population_unreachable"], t.get("pop_unreachable"))]
            pairs += [(a["population_within_min"][m], t.get(f"pop_le_{m}")) for m in ("15", "30", "60")]
            pairs += [(a["headline_within_min"][m], t.get(f"head_pop_le_{m}")) for m in ("15", "30", "60")]
            check(all(g is not None and abs(x - g) < 1e-3 for x, g in pairs) and a["name"] == t.get("name") and a.get("name_zh") == t.get("name_zh"),
                  f"{v}: by_admin {a} differs from coverage_by_admin {t}")
    for v in ("base", "rainy"):
        check(listing(os.path.join(tmp, "d", v)) == listing(os.path.join(tmp, "p", v)), f"{v}: not the full outputs without a <set> of outputs")
    # the comparison: every row the same, admin rows of summary-only variants included, and their
    # areas' geometry in comparison.gpkg
    cp, cd, cl = (comparison(os.path.join(tmp, d)) for d in ("p", "d", "l"))
    check(cp == cd == cl, "comparison.csv differs between the full, the default and the summary-only batch")
    check(len([r for r in cd if r["admin_name"] != "total" and r["scenario"].startswith("all_x")]) == 2 * (len(by)),
          "admin rows of summary-only variants missing from the comparison")
    fp, fd = comparison_features(os.path.join(tmp, "p")), comparison_features(os.path.join(tmp, "d"))
    check(fp.keys() == fd.keys(), "comparison.gpkg's rows differ between the full and the default batch")
    for k in fp:
        check(fp[k] == fd[k], f"comparison.gpkg row {k}: full {fp[k][1]} / geometry {len(fp[k][0] or b'')} bytes, "
                              f"default {fd[k][1]} / {len(fd[k][0] or b'')} bytes")
        if k[1] != "total":
            check(fd[k][0] is not None and len(fd[k][0]) > 100, f"comparison.gpkg row {k}: no geometry")
    # the batch report links the variants' reports that exist, and no other
    with open(os.path.join(tmp, "d", "report_zh.html"), encoding="utf-8") as f:
        links = re.findall(r'href="([^"]+)"', f.read())
    check(sorted(x for x in links if x.endswith("report_zh.html")) == ["base/report_zh.html", "rainy/report_zh.html"],
          f"the batch report links {links}")
    for x in links:
        if not x.startswith(("http", "#")):
            check(os.path.exists(os.path.join(tmp, "d", x)), f"the batch report links {x}, which does not exist")
    # outputs are part of a variant's content: the full batch into the same folder re-runs the sweep
    p = run(["batch", full, "--out", os.path.join(tmp, "l"), "--jobs", "1"])
    for v in ("all_x0.8", "all_x0.9"):
        check(re.search(rf"^{re.escape(v)}\s+done", p.stdout, re.M), f"{v}: not re-run when its outputs changed:\n{p.stdout}")
        check("travel_time.tif" in listing(os.path.join(tmp, "l", v)), f"{v}: full outputs not written on the re-run")
    check(re.search(r"^rainy\s+skipped", p.stdout, re.M), f"rainy: not skipped though unchanged:\n{p.stdout}")
    check("sweep variant" not in p.stderr, f"a batch whose sweep names its outputs says the sweep writes summaries: {p.stderr!r}")
    # a base that names its outputs: the sweep's variants keep them
    with open(os.path.join(DEMO, "scenario.yaml"), encoding="utf-8") as f:
        text = f.read()
    text = re.sub(r"^(\s+\w+: )(\w+\.(?:geojson|csv|asc))\s*(#.*)?$", lambda m: m.group(1) + json.dumps(os.path.join(os.path.abspath(DEMO), m.group(2))),
                  text, flags=re.M) + "outputs: [summary, gpkg]\n"
    base = os.path.join(tmp, "base_gpkg.yaml")
    with open(base, "w", encoding="utf-8") as f:
        f.write(text)
    bg = os.path.join(tmp, "bg.yaml")
    write_batch(bg, base=base)
    p = run(["batch", bg, "--out", os.path.join(tmp, "g"), "--jobs", "1"])
    for v in ("base", "all_x0.8"):
        got = listing(os.path.join(tmp, "g", v))
        check(got == ["coverage.gpkg", "scenario.json", "summary.json"], f"{v} of a base with outputs [summary, gpkg]: holds {got}")
    check("sweep variant" not in p.stderr, f"a base that names its outputs: the batch says the sweep writes summaries: {p.stderr!r}")
    # a summary without by_admin (a folder of an older version): the variant's admin areas leave
    # the comparison, with a warning naming it
    sj = os.path.join(tmp, "d", "all_x0.9", "summary.json")
    with open(sj, encoding="utf-8") as f:
        j = json.load(f)
    del j["by_admin"]
    with open(sj, "w", encoding="utf-8") as f:
        json.dump(j, f)
    p = run(["batch", plain, "--out", os.path.join(tmp, "d"), "--jobs", "1"])
    check(re.search(r"^all_x0\.9\s+skipped", p.stdout, re.M), f"all_x0.9: not skipped:\n{p.stdout}")
    check("Variant 'all_x0.9' wrote no coverage.gpkg and its summary.json has no by_admin" in p.stderr, f"no warning for a summary without by_admin: {p.stderr!r}")
    c2 = comparison(os.path.join(tmp, "d"))
    nostate = lambda rows: [dict(r, state=None) for r in rows if r["scenario"] != "all_x0.9"]  # noqa: E731 (now "skipped")
    check([r for r in c2 if r["scenario"] == "all_x0.9" and r["admin_name"] != "total"] == [] and nostate(c2) == nostate(cd),
          "a variant without by_admin: the comparison's other rows changed or its admin rows stayed")
    # a report without what it is drawn from: the batch file's line, nothing run
    bad = os.path.join(tmp, "bad.yaml")
    write_batch(bad, variant_set={"outputs": ["summary", "report"]})
    p = run(["batch", bad, "--out", os.path.join(tmp, "b"), "--jobs", "1", "--quiet"], expect=None)
    check(p.returncode != 0 and "report needs raster and gpkg" in p.stderr and "bad.yaml:4" in p.stderr,
          f"outputs [summary, report] not refused at bad.yaml:4: exit {p.returncode}, {p.stderr!r}")
    check(not os.path.exists(os.path.join(tmp, "b")), "a refused batch created its output folder")
    print(f"batch: sweep variants hold summary.json and scenario.json by default (one line says so), {len(cd)} comparison rows "
          "equal to a full sweep's (admin rows and geometry included), by_admin = coverage_by_admin, a base's outputs kept, "
          "reports linked only when they exist, re-run when outputs change")


def gpkg_tables(path):
    """Every table's rows, the schema, gpkg_contents without its times (a layer's last change)."""
    import sqlite3
    con = sqlite3.connect(path)
    out = {"schema": sorted(con.execute("SELECT type, name, tbl_name, sql FROM sqlite_master").fetchall())}
    for (t,) in con.execute("SELECT name FROM sqlite_master WHERE type = 'table' AND name NOT LIKE 'sqlite_%'"):
        if t == "gpkg_contents":
            out[t] = con.execute("SELECT table_name, data_type, identifier, description, min_x, min_y, max_x, max_y, srs_id "
                                 "FROM gpkg_contents ORDER BY table_name").fetchall()
        else:
            out[t] = con.execute(f'SELECT * FROM "{t}"').fetchall()
    out["sqlite_sequence"] = sorted(con.execute("SELECT * FROM sqlite_sequence").fetchall())
    counts = {t: c for t, c in con.execute("SELECT table_name, feature_count FROM gpkg_ogr_contents")}
    for t in counts:
        if counts[t] is not None:
            real = con.execute(f'SELECT count(*) FROM "{t}"').fetchone()[0]
            check(counts[t] == real, f"{path}: gpkg_ogr_contents says {counts[t]} features in <{t}>, the table holds {real}")
    con.close()
    return out


def same_tables(a, b, what):
    check(a.keys() == b.keys(), f"{what}: tables {sorted(a.keys() ^ b.keys())} in one file only")
    for t in a:
        if t == "gpkg_contents":  # the extents as GDAL formats them: equal to 1e-9 of their size
            check(len(a[t]) == len(b[t]), f"{what}: gpkg_contents rows differ")
            for ra, rb in zip(a[t], b[t]):
                check(ra[:4] == rb[:4] and ra[8] == rb[8], f"{what}: gpkg_contents differs: {ra} / {rb}")
                for x, y in zip(ra[4:8], rb[4:8]):
                    check((x is None) == (y is None) and (x is None or abs(x - y) <= 1e-9 * max(1.0, abs(x))),
                          f"{what}: the extent of <{ra[0]}> differs: {ra[4:8]} / {rb[4:8]}")
        else:
            check(a[t] == b[t], f"{what}: table {t} differs ({len(a[t])} / {len(b[t])} rows)")


def case_gpkg_writer(tmp):
    import subprocess
    from osgeo_utils.samples import validate_gpkg

    def both(name, args, gpkg):
        got = []
        for writer in ("sqlite", "ogr"):
            out = os.path.join(tmp, f"{name}_{writer}")
            env = dict(os.environ)
            env.pop("CARECIRCLE_GPKG_WRITER", None)
            if writer == "ogr":
                env["CARECIRCLE_GPKG_WRITER"] = "ogr"
            p = subprocess.run([cli_test.BIN] + args + ["--out", out, "--outputs", "gpkg", "--verbose"], capture_output=True, text=True, env=env)
            check(p.returncode == 0, f"{name} ({writer}): exit {p.returncode}: {p.stderr}")
            said = "written feature by feature (CARECIRCLE_GPKG_WRITER=ogr)" in p.stderr
            check(said == (writer == "ogr"), f"{name} ({writer}): the writer's choice not as asked: {p.stderr!r}")
            path = os.path.join(out, gpkg)
            try:
                validate_gpkg.check(path)
            except Exception as e:  # GDAL's own GeoPackage validator (the standard's requirements)
                raise cli_test.Fail(f"{name} ({writer}): {path} is not a valid GeoPackage: {e}")
            cli_test.check_gpkg_rtrees(path)
            got.append(gpkg_tables(path))
        same_tables(got[0], got[1], name)
        return got[0]

    base = ["--roads", f"{DEMO}/roads.geojson", "--facilities", f"{DEMO}/facilities.csv", "--tier-field", "tier",
            "--admin", f"{DEMO}/townships.geojson"]
    cells = both("cells", ["coverage", "--population", f"{DEMO}/population.asc"] + base, "coverage.gpkg")
    n = len(cells["demand_uncovered"])
    check(n > 64 and n % 64, f"the demo's uncovered cells ({n}) do not fill a statement of 64 rows and leave some over")
    villages = both("villages", ["coverage", "--population", f"{DEMO}/villages.geojson", "--population-field", "population"] + base,
                    "coverage.gpkg")
    check(any(r and any(isinstance(v, str) and re.search(r"[\u4e00-\u9fff]", v) for v in r) for r in villages["demand_uncovered"]),
          "no Chinese village name among the uncovered villages")
    # an empty layer: the villages with road access, all within a day
    with open(f"{DEMO}/villages.geojson", encoding="utf-8") as f:
        vj = json.load(f)
    import sqlite3
    con = sqlite3.connect(os.path.join(tmp, "villages_sqlite", "coverage.gpkg"))
    cut = {r[0] for r in con.execute("SELECT name FROM demand_uncovered WHERE status = 'no_road_access'")}
    con.close()
    vj["features"] = [ft for ft in vj["features"] if ft["properties"]["name"] not in cut]
    reach = os.path.join(tmp, "reachable.geojson")
    with open(reach, "w", encoding="utf-8") as f:
        json.dump(vj, f, ensure_ascii=False)
    none = both("none_uncovered", ["coverage", "--population", reach, "--population-field", "population", "--uncovered-minutes", "1440"] + base,
                "coverage.gpkg")
    check(none["demand_uncovered"] == [], f"the reachable villages within a day left {len(none['demand_uncovered'])} uncovered rows")
    site = both("site", ["site", "--population", f"{DEMO}/population.asc", "--fixed-tiers", "county_hospital",
                         "--candidate-tiers", "township_health_centre", "-p", "2"] + base, "sites.gpkg")
    check(len(site["demand_uncovered"]) > 0, "the demo site run wrote no uncovered cells")
    print(f"gpkg_writer: coverage (cells {n} rows, villages {len(villages['demand_uncovered'])}, none) and site "
          f"({len(site['demand_uncovered'])} rows): every table equal to OGR's path, valid, spatial indexes sound")


if __name__ == "__main__":
    sys.exit(cli_test.main(globals(), __doc__))
