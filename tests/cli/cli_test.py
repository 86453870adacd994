#!/usr/bin/python3
"""CLI, output and cross-check tests of carecircle, one case per CTest test.

Usage: cli_test.py CASE  (environment: CC_BIN = carecircle binary, CC_SRC = source tree)
Exit 0 = pass, 1 = fail, 77 = skipped (CTest SKIP_RETURN_CODE), with the reason printed.
"""
import hashlib
import json
import os
import shutil
import subprocess
import sys
import tempfile

from osgeo import gdal, ogr

gdal.UseExceptions()
ogr.UseExceptions()

BIN = os.environ.get("CC_BIN", "build/carecircle")
SRC = os.environ.get("CC_SRC", ".")
DEMO = os.path.join(SRC, "datasets", "demo")
SHARED = os.environ.get("CC_SHARED_DATA", os.path.normpath(os.path.join(SRC, "..", "shared", "data")))
COMOROS = os.path.join(SHARED, "comoros_geohealthaccess")
REF = os.path.join(SRC, "tests", "reference", "coverage_ref.py")
SKIP = 77


class Fail(Exception):
    pass


def check(cond, msg):
    if not cond:
        raise Fail(msg)


def run(args, expect=0):
    p = subprocess.run([BIN] + args, capture_output=True, text=True)
    if expect is not None and p.returncode != expect:
        raise Fail(f"exit {p.returncode}, expected {expect}: carecircle {' '.join(args)}\nstdout: {p.stdout}\nstderr: {p.stderr}")
    return p


def demo_args(out, extra=()):
    return ["coverage", "--roads", f"{DEMO}/roads.geojson", "--population", f"{DEMO}/population.asc",
            "--facilities", f"{DEMO}/facilities.csv", "--tier-field", "tier", "--admin", f"{DEMO}/townships.geojson",
            "--out", out, "--quiet"] + list(extra)


def tree_digest(d):
    h = hashlib.sha256()
    for root, _, files in sorted(os.walk(d)):
        for f in sorted(files):
            p = os.path.join(root, f)
            h.update(p[len(d):].encode())
            with open(p, "rb") as fh:
                h.update(fh.read())
    return h.hexdigest()


def load_summary(out):
    with open(os.path.join(out, "summary.json")) as f:
        return json.load(f)


# ---- cases ---------------------------------------------------------------------------------

def case_demo_outputs(tmp):
    out = os.path.join(tmp, "out")
    p = run(demo_args(out))
    check("population within" in p.stdout and "outputs:" in p.stdout, "no readable table on stdout")
    s = load_summary(out)
    for k in ("population_total", "population_no_road_access", "population_within_min", "tiers", "graph",
              "facilities_snapped", "population_unreachable", "population_beyond_max"):
        check(k in s, f"summary.json lacks {k}")
    check(set(s["population_within_min"]) == {"15", "30", "60"}, "bands are not 15, 30, 60")
    tot = s["population_total"]
    acc = s["population_within_min"]["60"] + s["population_beyond_max"] + s["population_no_road_access"] + s["population_unreachable"]
    check(abs(acc - tot) <= 0.001 * tot, f"accounting: {acc} != {tot}")
    check(s["population_within_min"]["15"] <= s["population_within_min"]["30"] <= s["population_within_min"]["60"], "bands not cumulative")
    tiers = s["tiers"]
    check(len(tiers) >= 3, f"expected the demo's tiers, got {list(tiers)}")
    for name, t in tiers.items():
        for b in ("15", "30", "60"):
            check(t["population_within_min"][b] <= s["population_within_min"][b] + 1e-6, f"tier {name} above all facilities")
    check(s["graph"]["nodes"] > 0 and s["graph"]["edges"] > 0, "empty graph")
    # GeoPackage: layers, CRS, counts
    ds = ogr.Open(os.path.join(out, "coverage.gpkg"))
    names = {ds.GetLayer(i).GetName() for i in range(ds.GetLayerCount())}
    for l in ("isochrones", "catchments", "facilities", "demand_uncovered", "coverage_by_admin"):
        check(l in names, f"coverage.gpkg lacks layer {l}")
    epsg = s["crs"].split(":")[1]
    for l in names:
        lyr = ds.GetLayerByName(l)
        if lyr.GetGeomType() == ogr.wkbNone:  # layer_styles: QGIS's style table, no geometry
            continue
        srs = lyr.GetSpatialRef()
        check(srs is not None and srs.GetAuthorityCode(None) == epsg, f"layer {l} CRS is not {s['crs']}")
    iso = ds.GetLayerByName("isochrones")
    check(iso.GetFeatureCount() == 3 * (1 + len(tiers)), f"isochrones: {iso.GetFeatureCount()} features")
    pops = {}
    for f in iso:
        pops[(f["tier"], f["min_to"])] = f["population_cum"]
        check(f.GetGeometryRef() is None or f.GetGeometryRef().IsValid(), "invalid isochrone geometry")
    for b in ("15", "30", "60"):
        check(abs(pops[("all", float(b))] - s["population_within_min"][b]) < 1e-3, f"isochrone population {b} != summary")
    fac = ds.GetLayerByName("facilities")
    with open(os.path.join(DEMO, "facilities.csv")) as fh:
        n_csv = sum(1 for _ in fh) - 1
    check(fac.GetFeatureCount() == n_csv, f"facilities layer has {fac.GetFeatureCount()} of {n_csv}")
    adm = ds.GetLayerByName("coverage_by_admin")
    tot_adm = sum(f["population"] for f in adm)
    check(abs(tot_adm - tot) <= 0.001 * tot, f"admin populations sum to {tot_adm}, total {tot}")
    unc = ds.GetLayerByName("demand_uncovered")
    prev = None
    for f in unc:
        check(prev is None or f["population"] <= prev, "demand_uncovered not ranked by population")
        prev = f["population"]
        check(f["status"] in ("beyond", "no_road_access", "unreachable"), "bad status")
        if f["status"] == "beyond":
            check(f["minutes"] > 30, "uncovered point within 30 minutes")
    # COG
    r = gdal.Open(os.path.join(out, "travel_time.tif"))
    check(r.GetMetadataItem("LAYOUT", "IMAGE_STRUCTURE") == "COG", "travel_time.tif is not a COG")
    check(r.RasterCount == 1 + len(tiers), f"raster has {r.RasterCount} bands")
    b1 = r.GetRasterBand(1)
    check(b1.GetNoDataValue() == -9999, "nodata is not -9999")
    check(b1.GetOverviewCount() >= 1 or max(r.RasterXSize, r.RasterYSize) <= 512, "no overviews")
    check(r.GetSpatialRef() is not None, "raster has no CRS")
    src = gdal.Open(os.path.join(DEMO, "population.asc"))
    check((r.RasterXSize, r.RasterYSize) == (src.RasterXSize, src.RasterYSize), "raster not on the population grid")
    check(r.GetGeoTransform() == src.GetGeoTransform(), "geotransform differs from the population grid")
    import numpy as np
    a = b1.ReadAsArray()
    valid = a[a != -9999]
    check(valid.size > 0 and valid.min() >= 0, "no valid or negative travel times")
    for k in range(2, r.RasterCount + 1):
        ak = r.GetRasterBand(k).ReadAsArray()
        both = (a != -9999) & (ak != -9999)
        check(np.all(ak[both] >= a[both] - 1e-4), f"tier band {k} faster than all facilities")
    check(not any(n.startswith(os.path.basename(out) + ".cc-tmp") for n in os.listdir(tmp)), "staging folder left behind")


def case_threads_identical(tmp):
    digests = []
    for t in ("1", "2", "4"):
        out = os.path.join(tmp, "t" + t)
        run(demo_args(out, ["--threads", t]))
        s = load_summary(out)
        s.pop("timings_s")
        import numpy as np
        arr = gdal.Open(os.path.join(out, "travel_time.tif")).ReadAsArray()
        ds = ogr.Open(os.path.join(out, "coverage.gpkg"))
        feats = []
        for i in range(ds.GetLayerCount()):
            for f in ds.GetLayer(i):
                g = f.GetGeometryRef()
                feats.append((ds.GetLayer(i).GetName(), json.dumps(f.items(), sort_keys=True), g.ExportToWkt() if g else ""))
        digests.append((json.dumps(s, sort_keys=True), hashlib.sha256(arr.tobytes()).hexdigest(), hashlib.sha256(repr(feats).encode()).hexdigest()))
    check(digests[0] == digests[1] == digests[2], "results depend on the thread count")


def case_reference_demo(tmp):
    """The demo district, raster and point demand, against the independent Python model."""
    for pop, extra in ((f"{DEMO}/population.asc", []), (f"{DEMO}/villages.geojson", ["--population-field", "population"])):
        out = os.path.join(tmp, "o")
        run(["coverage", "--roads", f"{DEMO}/roads.geojson", "--population", pop, "--facilities", f"{DEMO}/facilities.csv",
             "--tier-field", "tier", "--out", out, "--quiet"] + extra)
        s = load_summary(out)
        ref = reference(["--roads", f"{DEMO}/roads.geojson", "--population", pop, "--facilities", f"{DEMO}/facilities.csv",
                         "--tier-field", "tier", "--profile", f"{SRC}/datasets/profiles/ambulance.yaml"] + extra)
        compare(s, ref, 0.001, os.path.basename(pop))


def reference(args):
    p = subprocess.run(["/usr/bin/python3", REF] + args, capture_output=True, text=True)
    if p.returncode != 0:
        raise Fail(f"reference model failed: {p.stderr}")
    return json.loads(p.stdout)


def compare(s, ref, tol, label, tiers=None):
    rows = []
    worst = 0.0
    for key in ("population_total", "population_no_road_access"):
        rows.append((key, s[key], ref[key]))
    for b in ("15", "30", "60"):
        rows.append((f"all <= {b}", s["population_within_min"][b], ref["population_within_min"][b]))
    for t in (tiers or ref["tiers"].keys()):
        for b in ("15", "30", "60"):
            rows.append((f"{t} <= {b}", s["tiers"][t]["population_within_min"][b], ref["tiers"][t]["population_within_min"][b]))
    bad = []
    for name, a, b in rows:
        rel = abs(a - b) / max(abs(b), 1.0)
        worst = max(worst, rel)
        print(f"{label:24s} {name:28s} carecircle {a:14.1f}  reference {b:14.1f}  diff {100 * rel:.4f}%")
        if rel > tol:
            bad.append(name)
    print(f"{label}: largest relative difference {100 * worst:.4f}% (tolerance {100 * tol:.2f}%)")
    check(not bad, f"{label}: differs from the reference beyond {100 * tol}% in {bad}")


def case_comoros_reference(tmp):
    """Comoros OSM + WorldPop + WHO facilities against the independent model, within 1%."""
    pbf = os.path.join(COMOROS, "comores-2021-04-08.osm.pbf")
    if not os.path.exists(pbf):
        print(f"SKIP: {COMOROS} is not present (real-data cross-check needs ../shared/data)")
        return SKIP
    common = ["--roads", pbf, "--population", os.path.join(COMOROS, "com_ppp_2020_UNadj.tif"),
              "--facilities", os.path.join(COMOROS, "who_public_health_facilities_comoros.csv"),
              "--tier-field", "tier", "--tiers", "1=health_post,2=health_centre,3=hospital,4=hospital"]
    out = os.path.join(tmp, "o")
    run(["coverage"] + common + ["--out", out, "--quiet", "--profile", "ambulance"])
    s = load_summary(out)
    ref = reference(common + ["--profile", f"{SRC}/datasets/profiles/ambulance.yaml"])
    compare(s, ref, 0.01, "comoros raster", tiers=["hospital"])
    check(s["facilities_snapped"] == ref["facilities_snapped"], "snapped facility counts differ")


def case_comoros_points(tmp):
    """Villages as points (one per 10x10 raster block) against the independent model, within 1%."""
    pbf = os.path.join(COMOROS, "comores-2021-04-08.osm.pbf")
    if not os.path.exists(pbf):
        print(f"SKIP: {COMOROS} is not present (real-data cross-check needs ../shared/data)")
        return SKIP
    import numpy as np
    from osgeo import osr
    ds = gdal.Open(os.path.join(COMOROS, "com_ppp_2020_UNadj.tif"))
    band = ds.GetRasterBand(1)
    a = band.ReadAsArray().astype(float)
    a[a == band.GetNoDataValue()] = 0
    gt = ds.GetGeoTransform()
    path = os.path.join(tmp, "villages.gpkg")
    drv = ogr.GetDriverByName("GPKG").CreateDataSource(path)
    srs = osr.SpatialReference()
    srs.ImportFromEPSG(4326)
    lyr = drv.CreateLayer("villages", srs, ogr.wkbPoint)
    lyr.CreateField(ogr.FieldDefn("population", ogr.OFTReal))
    for r in range(0, a.shape[0], 10):
        for c in range(0, a.shape[1], 10):
            blk = a[r:r + 10, c:c + 10]
            p = blk.sum()
            if p <= 0:
                continue
            rr, cc = np.nonzero(blk)
            w = blk[rr, cc]
            f = ogr.Feature(lyr.GetLayerDefn())
            f["population"] = float(p)
            g = ogr.Geometry(ogr.wkbPoint)
            g.AddPoint_2D(gt[0] + (c + (cc + 0.5).dot(w) / w.sum()) * gt[1], gt[3] + (r + (rr + 0.5).dot(w) / w.sum()) * gt[5])
            f.SetGeometry(g)
            lyr.CreateFeature(f)
    drv = None
    common = ["--roads", os.path.join(COMOROS, "comores-2021-04-08.osm.pbf"), "--population", path,
              "--facilities", os.path.join(COMOROS, "who_public_health_facilities_comoros.csv"),
              "--tier-field", "tier", "--tiers", "1=health_post,2=health_centre,3=hospital,4=hospital"]
    out = os.path.join(tmp, "o")
    run(["coverage"] + common + ["--out", out, "--quiet"])
    ref = reference(common + ["--profile", f"{SRC}/datasets/profiles/ambulance.yaml", "--population-field", "population"])
    compare(load_summary(out), ref, 0.01, "comoros villages", tiers=["hospital"])


# ---- bad input: exit code, one line naming the file, nothing written ------------------------------

def expect_error(tmp, args, code, *needles):
    out = os.path.join(tmp, "bad-out")
    p = run(args + ["--out", out] if "--out" not in args else args, expect=code)
    lines = [l for l in p.stderr.splitlines() if "error" in l]
    check(len(lines) == 1, f"expected one error line, got: {p.stderr!r}")
    for n in needles:
        check(n in lines[0], f"error line lacks {n!r}: {lines[0]}")
    check(not os.path.exists(out), "an output folder was created by a failed run")
    check(not any(".cc-tmp-" in n for n in os.listdir(tmp)), "staging folder left behind")
    return lines[0]


def case_bad_inputs(tmp):
    base = {"--roads": f"{DEMO}/roads.geojson", "--population": f"{DEMO}/population.asc",
            "--facilities": f"{DEMO}/facilities.csv"}

    def args(**over):
        d = dict(base)
        for k, v in over.items():
            d["--" + k.replace("_", "-")] = v
        a = ["coverage", "--quiet"]
        for k, v in d.items():
            if v is not None:
                a += [k, v]
        return a

    missing = os.path.join(tmp, "no-such-roads.gpkg")
    expect_error(tmp, args(roads=missing), 4, missing)
    corrupt = os.path.join(tmp, "corrupt.tif")
    with open(corrupt, "wb") as f:
        f.write(b"II*\x00" + os.urandom(2000))
    expect_error(tmp, args(population=corrupt), 4, corrupt)
    empty = os.path.join(tmp, "empty.geojson")
    with open(empty, "w") as f:
        f.write('{"type":"FeatureCollection","features":[]}')
    expect_error(tmp, args(roads=empty), 3, empty, "no features")
    expect_error(tmp, args(tier_field="level"), 3, "facilities.csv", "no tier field <level>")
    nocrs = os.path.join(tmp, "nocrs.asc")
    shutil.copy(f"{DEMO}/population.asc", nocrs)
    expect_error(tmp, args(population=nocrs), 3, nocrs, "no coordinate reference system")
    far = os.path.join(tmp, "far.csv")
    with open(far, "w") as f:
        f.write("lon,lat,name,tier\n10.0,50.0,Elsewhere,county_hospital\n")
    expect_error(tmp, args(facilities=far), 3, far, "same area")
    neg = os.path.join(tmp, "neg.asc")
    with open(f"{DEMO}/population.asc") as f:
        txt = f.read().splitlines()
    hdr = [l for l in txt if l.split()[0].lower() in ("ncols", "nrows", "xllcorner", "yllcorner", "cellsize", "nodata_value", "xllcenter", "yllcenter")]
    body = txt[len(hdr):]
    row = body[len(body) // 2].split()
    row[len(row) // 2] = "-5"
    body[len(body) // 2] = " ".join(row)
    with open(neg, "w") as f:
        f.write("\n".join(hdr + body) + "\n")
    shutil.copy(f"{DEMO}/population.prj", os.path.join(tmp, "neg.prj"))
    expect_error(tmp, args(population=neg), 3, neg, "negative")
    expect_error(tmp, args(minutes="15,-30"), 2, "-30")
    expect_error(tmp, args(minutes="15,3000"), 2, "3000")
    expect_error(tmp, args(minutes="30,15"), 2, "ascending")
    expect_error(tmp, args(profile="bicycle"), 2, "bicycle")
    badprof = os.path.join(tmp, "bad.yaml")
    with open(badprof, "w") as f:
        f.write("speeds_kmh:\n  primary: 70\nofroad_speed_kmh: 5\n")
    expect_error(tmp, args(profile=badprof), 3, badprof + ":3:1", "did you mean <offroad_speed_kmh>")
    expect_error(tmp, args(crs="EPSG:4326"), 3, "not a projected CRS")
    # usage errors
    p = run(["coverage", "--roads", "x"], expect=2)
    check("--population is required" in p.stderr, p.stderr)
    p = run(["coverage", "--bogus"], expect=2)
    check("unknown option" in p.stderr, p.stderr)
    p = run(["frobnicate"], expect=2)
    # an unwritable output folder
    if os.geteuid() != 0:
        ro = os.path.join(tmp, "ro")
        os.mkdir(ro, 0o555)
        expect_error(tmp, args() + ["--out", os.path.join(ro, "out")], 4, "Unable to create output folder")
    # a folder that is not ours is never replaced
    mine = os.path.join(tmp, "mine")
    os.mkdir(mine)
    with open(os.path.join(mine, "thesis.docx"), "w") as f:
        f.write("precious")
    p = run(args() + ["--out", mine], expect=4)
    check("not a carecircle output folder" in p.stderr, p.stderr)
    check(os.path.exists(os.path.join(mine, "thesis.docx")), "a user's folder was touched")


def case_failed_run_keeps_previous(tmp):
    out = os.path.join(tmp, "out")
    run(demo_args(out))
    before = tree_digest(out)
    p = run(demo_args(out, ["--tier-field", "nonexistent"]), expect=3)
    check(tree_digest(out) == before, "a failed run changed the previous outputs")
    run(demo_args(out, ["--minutes", "10,20"]))
    s = load_summary(out)
    check(set(s["population_within_min"]) == {"10", "20"}, "a successful re-run did not replace the outputs")
    check(not os.path.exists(os.path.join(out, "travel_time.tif.aux.xml")), "stray file")


def main():
    if len(sys.argv) != 2:
        print(__doc__)
        return 2
    fn = globals().get("case_" + sys.argv[1])
    if not fn:
        print(f"unknown case {sys.argv[1]}")
        return 2
    tmp = tempfile.mkdtemp(prefix="cc-cli-")
    try:
        rc = fn(tmp)
        return rc if rc == SKIP else 0
    except Fail as e:
        print(f"FAIL: {e}")
        return 1
    finally:
        shutil.rmtree(tmp, ignore_errors=True)


if __name__ == "__main__":
    sys.exit(main())
