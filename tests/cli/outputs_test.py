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


def write_batch(path, sweep_set=None, variant_set=None):
    lines = [f"base: {json.dumps(os.path.abspath(os.path.join(DEMO, 'scenario.yaml')))}",
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


def case_batch(tmp):
    plain, light = os.path.join(tmp, "plain.yaml"), os.path.join(tmp, "light.yaml")
    write_batch(plain)
    write_batch(light, sweep_set={"outputs": ["summary"]})
    run(["batch", plain, "--out", os.path.join(tmp, "p"), "--jobs", "1", "--quiet"])
    p = run(["batch", light, "--out", os.path.join(tmp, "l"), "--jobs", "1", "--quiet"])
    for v in ("all_x0.8", "all_x0.9"):
        got = listing(os.path.join(tmp, "l", v))
        check(got == ["scenario.json", "summary.json"], f"{v}: a summary-only sweep variant holds {got}")
        check(figures(os.path.join(tmp, "l", v)) == figures(os.path.join(tmp, "p", v)), f"{v}: figures differ from the full batch's")
        check(f"Variant '{v}' wrote no coverage.gpkg" in p.stderr, f"{v}: no warning that its admin areas leave the comparison: {p.stderr!r}")
    for v in ("base", "rainy"):
        check(listing(os.path.join(tmp, "l", v)) == listing(os.path.join(tmp, "p", v)), f"{v}: not the full outputs without a <set> of outputs")
    # the comparison: the same total rows; admin rows only for variants with their GeoPackage
    cp, cl = comparison(os.path.join(tmp, "p")), comparison(os.path.join(tmp, "l"))
    totals = lambda rows: [r for r in rows if r["admin_name"] == "total"]  # noqa: E731
    check(totals(cp) == totals(cl), "the comparison's total rows differ between the full and the summary-only batch")
    check([r for r in cl if r["admin_name"] != "total" and r["scenario"].startswith("all_x")] == [], "admin rows for summary-only variants")
    check([r for r in cp if r["admin_name"] != "total" and r["scenario"] in ("base", "rainy")] ==
          [r for r in cl if r["admin_name"] != "total" and r["scenario"] in ("base", "rainy")], "the full variants' admin rows differ")
    # the batch report links the variants' reports that exist, and no other
    with open(os.path.join(tmp, "l", "report_zh.html"), encoding="utf-8") as f:
        links = re.findall(r'href="([^"]+)"', f.read())
    check(sorted(x for x in links if x.endswith("report_zh.html")) == ["base/report_zh.html", "rainy/report_zh.html"],
          f"the batch report links {links}")
    for x in links:
        if not x.startswith(("http", "#")):
            check(os.path.exists(os.path.join(tmp, "l", x)), f"the batch report links {x}, which does not exist")
    # outputs are part of a variant's content: the full batch into the same folder re-runs the sweep
    p = run(["batch", plain, "--out", os.path.join(tmp, "l"), "--jobs", "1"])
    for v in ("all_x0.8", "all_x0.9"):
        check(re.search(rf"^{re.escape(v)}\s+done", p.stdout, re.M), f"{v}: not re-run when its outputs changed:\n{p.stdout}")
        check("travel_time.tif" in listing(os.path.join(tmp, "l", v)), f"{v}: full outputs not written on the re-run")
    check(re.search(r"^rainy\s+skipped", p.stdout, re.M), f"rainy: not skipped though unchanged:\n{p.stdout}")
    # a report without what it is drawn from: the batch file's line, nothing run
    bad = os.path.join(tmp, "bad.yaml")
    write_batch(bad, variant_set={"outputs": ["summary", "report"]})
    p = run(["batch", bad, "--out", os.path.join(tmp, "b"), "--jobs", "1", "--quiet"], expect=None)
    check(p.returncode != 0 and "report needs raster and gpkg" in p.stderr and "bad.yaml:4" in p.stderr,
          f"outputs [summary, report] not refused at bad.yaml:4: exit {p.returncode}, {p.stderr!r}")
    check(not os.path.exists(os.path.join(tmp, "b")), "a refused batch created its output folder")
    print("batch: summary-only sweep variants hold summary.json and scenario.json, compare the same totals, are not linked, re-run when outputs change")


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
