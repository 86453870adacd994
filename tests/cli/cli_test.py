#!/usr/bin/python3
"""CLI, output and cross-check tests of carecircle, one case per CTest test.

Usage: cli_test.py CASE  (environment: CC_BIN = carecircle binary, CC_SRC = source tree)
Exit 0 = pass, 1 = fail, 77 = skipped (CTest SKIP_RETURN_CODE), with the reason printed.
"""
import csv
import hashlib
import json
import os
import re
import shutil
import signal
import subprocess
import sys
import tempfile
import time

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


def site_demo(out, *extra, fixed="county_hospital", admin=True, outputs="gpkg"):
    """The `site` command line on the demo roads, raster and facilities (with the townships when
    admin), then extra. Summary, curve and sites.gpkg only unless @outputs says more ("all": the
    maps, report and QGIS project too, for the cases that read them)."""
    a = ["site", "--roads", f"{DEMO}/roads.geojson", "--population", f"{DEMO}/population.asc",
         "--facilities", f"{DEMO}/facilities.csv", "--out", out, "--quiet", "--outputs", outputs]
    if fixed:
        a += ["--fixed-tiers", fixed]
    if admin:
        a += ["--admin", f"{DEMO}/townships.geojson"]
    return a + list(extra)


def site_layer_rows(out, name):
    """The features of layer @name of sites.gpkg in @out: (attributes, geometry) pairs."""
    ds = ogr.Open(os.path.join(out, "sites.gpkg"))
    lyr = ds.GetLayerByName(name)
    check(lyr is not None, f"sites.gpkg lacks layer {name}")
    rows = []
    for f in lyr:
        g = f.GetGeometryRef()
        rows.append((f.items(), g.Clone() if g else None))
    del lyr, ds
    return rows


def write_lonlat_csv(path, lonlat):
    """Points as a CSV of lon, lat and names f0, f1, ... (a facility file)."""
    with open(path, "w", newline="") as f:
        w = csv.writer(f)
        w.writerow(["lon", "lat", "name"])
        for i, (lon, lat) in enumerate(lonlat):
            w.writerow([f"{lon:.9f}", f"{lat:.9f}", f"f{i}"])


def scenario_and_cli(tmp, extra, cli_args):
    """demo_scenario() with @extra (no maps) run into tmp/run, and the command line @cli_args (made
    with village_args(), without --out) into tmp/cli: both output folders."""
    sc = demo_scenario(tmp, extra, maps=False)
    out, cli = os.path.join(tmp, "run"), os.path.join(tmp, "cli")
    run(["run", sc, "--out", out, "--quiet"])
    run(cli_args + ["--out", cli, "--quiet"])
    return out, cli


def village_args(cmd):
    """Command @p cmd on the demo's inputs as demo_scenario() names them: roads, villages,
    facilities with their tier field, townships."""
    return [cmd, "--roads", f"{DEMO}/roads.geojson", "--population", f"{DEMO}/villages.geojson", "--population-field", "population",
            "--facilities", f"{DEMO}/facilities.csv", "--tier-field", "tier", "--admin", f"{DEMO}/townships.geojson"]


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
    # the population served by each facility (nearest) adds up to the population within each threshold
    for b in ("15", "30", "60"):
        served = sum((f[f"served_le_{b}"] or 0) for f in fac)
        catch = sum(f[f"pop_le_{b}"] for f in ds.GetLayerByName("catchments"))
        want = s["population_within_min"][b]
        check(abs(served - want) < 1e-3 and abs(catch - want) < 1e-3, f"served {served} / catchments {catch} != within {b} {want}")
        reach_max = max((f[f"reach_le_{b}"] or 0) for f in fac)
        check(reach_max <= want + 1e-3, "a facility reaches more people than all facilities together")
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
        digests.append((json.dumps(s, sort_keys=True), hashlib.sha256(arr.tobytes()).hexdigest(),
                        gpkg_features_digest(os.path.join(out, "coverage.gpkg"))))
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


def gpkg_features_digest(path):
    """sha256 of every layer's features in order: layer name, attributes (sorted JSON), WKT."""
    ds = ogr.Open(path)
    feats = []
    for i in range(ds.GetLayerCount()):
        for f in ds.GetLayer(i):
            g = f.GetGeometryRef()
            feats.append((ds.GetLayer(i).GetName(), json.dumps(f.items(), sort_keys=True), g.ExportToWkt() if g else ""))
    return hashlib.sha256(repr(feats).encode()).hexdigest()


def wait_for_handlers(proc, sigs=(signal.SIGINT, signal.SIGTERM), timeout=30.0):
    """Wait until the process catches every signal of @p sigs (SigCgt in /proc/PID/status): the
    ~0.2 s from exec to the handlers (dynamic loading, library start-up) grows under a loaded CI
    machine, and a signal sent before then kills the process by default instead of testing the
    run. False when it ended or the time ran out first."""
    want = 0
    for sg in sigs:
        want |= 1 << (sg - 1)
    end = time.time() + timeout
    while time.time() < end and proc.poll() is None:
        try:
            with open(f"/proc/{proc.pid}/status") as f:
                cgt = next(int(l.split()[1], 16) for l in f if l.startswith("SigCgt:"))
            if cgt & want == want:
                return True
        except (OSError, StopIteration, ValueError):
            pass
        time.sleep(0.005)
    return False


def stop_with(proc, sig, timeout, what):
    """Sends @p sig to a run; its stderr once it has ended; Fail when it has not within @p timeout s."""
    proc.send_signal(sig)
    try:
        _, err = proc.communicate(timeout=timeout)
    except subprocess.TimeoutExpired:
        proc.kill()
        raise Fail(f"{what} did not stop the run within {timeout} s")
    return err


def gpkg_content(path):
    """Every layer of a GeoPackage: name, schema, and per feature its fid, attributes and ISO WKB."""
    ds = ogr.Open(path)
    out = []
    for i in range(ds.GetLayerCount()):
        lyr = ds.GetLayer(i)
        d = lyr.GetLayerDefn()
        fields = [d.GetFieldDefn(k).GetName() for k in range(d.GetFieldCount())]
        feats = []
        for f in lyr:
            g = f.GetGeometryRef()
            feats.append((f.GetFID(), tuple(f.GetField(k) for k in range(len(fields))),
                          bytes(g.ExportToIsoWkb()) if g else None))
        out.append((lyr.GetName(), tuple(fields), feats))
    return out


def case_comoros_osm_readers(tmp):
    """Comoros coverage read through carecircle's .pbf reader and through GDAL's OSM driver
    (CARECIRCLE_OSM_READER=gdal): the same summary.json (but wall times) and coverage.gpkg."""
    pbf = os.path.join(COMOROS, "comores-2021-04-08.osm.pbf")
    if not os.path.exists(pbf):
        print(f"SKIP: {COMOROS} is not present (real-data cross-check needs ../shared/data)")
        return SKIP
    common = ["coverage", "--roads", pbf, "--population", os.path.join(COMOROS, "com_ppp_2020_UNadj.tif"),
              "--facilities", os.path.join(COMOROS, "who_public_health_facilities_comoros.csv"),
              "--tier-field", "tier", "--tiers", "1=health_post,2=health_centre,3=hospital,4=hospital",
              "--profile", "ambulance", "--verbose"]
    outs, logs = {}, {}
    for reader in ("own", "gdal"):
        env = dict(os.environ)
        env.pop("CARECIRCLE_OSM_READER", None)
        if reader == "gdal":
            env["CARECIRCLE_OSM_READER"] = "gdal"
        outs[reader] = os.path.join(tmp, reader)
        p = subprocess.run([BIN] + common + ["--out", outs[reader]], capture_output=True, text=True, env=env)
        check(p.returncode == 0, f"{reader} reader: exit {p.returncode}: {p.stderr}")
        logs[reader] = p.stderr
    check("OSM PBF reader" in logs["own"], "the .pbf was not read by carecircle's reader:\n" + logs["own"])
    check("OSM PBF reader" not in logs["gdal"], "CARECIRCLE_OSM_READER=gdal did not select GDAL's driver")
    a, b = load_summary(outs["own"]), load_summary(outs["gdal"])
    a.pop("timings_s", None)
    b.pop("timings_s", None)
    check(a == b, "summary.json differs between the two readers")
    check(a["population_total"] > 800000 and a["facilities_snapped"] == 64, "implausible Comoros summary")
    ga, gb = gpkg_content(os.path.join(outs["own"], "coverage.gpkg")), gpkg_content(os.path.join(outs["gdal"], "coverage.gpkg"))
    check([x[0] for x in ga] == [x[0] for x in gb], "coverage.gpkg layers differ")
    for la, lb in zip(ga, gb):
        check(la[1] == lb[1], f"layer {la[0]}: fields differ")
        check(len(la[2]) == len(lb[2]), f"layer {la[0]}: {len(la[2])} against {len(lb[2])} features")
        for fa, fb in zip(la[2], lb[2]):
            check(fa == fb, f"layer {la[0]}: feature {fa[0]} differs")
    check(any(x[0] == "roads" and len(x[2]) > 4000 for x in ga), "no roads layer with the Comoros ways")


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


def case_file_size_limit(tmp):
    """Outputs that cannot be written whole (here: RLIMIT_FSIZE, what a full disk or a quota does
    to the one file that crosses it; SIGXFSZ ignored, so that write() fails with EFBIG): exit 4, one
    error line naming the file and saying why (not a guess such as "corrupt file"), and no output
    folder, staging folder or file left behind. The limits are set to fail the raster, the
    GeoPackage's layers and the GeoPackage's last commit, and the siting GeoPackage."""
    import resource

    def limited(kib):
        def pre():
            signal.signal(signal.SIGXFSZ, signal.SIG_IGN)
            resource.setrlimit(resource.RLIMIT_FSIZE, (kib * 1024, kib * 1024))
        return pre

    site = ["site", "--roads", f"{DEMO}/roads.geojson", "--population", f"{DEMO}/population.asc", "--facilities",
            f"{DEMO}/facilities.csv", "--tier-field", "tier", "--fixed-tiers", "county_hospital", "--candidate-tiers",
            "township_health_centre", "-p", "2", "--quiet"]
    cases = [("coverage", 16, demo_args), ("coverage", 256, demo_args), ("coverage", 600, demo_args),
             ("site", 200, lambda o: site + ["--out", o])]
    said = set()
    for name, kib, args in cases:
        out = os.path.join(tmp, f"{name}_{kib}")
        p = subprocess.run([BIN] + args(out), capture_output=True, text=True, preexec_fn=limited(kib))
        errs = [l for l in p.stderr.splitlines() if "error:" in l]
        what = f"{name} with files limited to {kib} KiB"
        check(p.returncode == 4, f"{what}: exit {p.returncode}, expected 4: {p.stderr[-500:]}")
        check(len(errs) == 1, f"{what}: {len(errs)} error lines: {errs}")
        check(re.search(r"'[^']*/(travel_time\.tif|coverage\.gpkg|sites\.gpkg)'", errs[0]), f"{what}: the error names no output file: {errs[0]}")
        check(re.search(r"too large|disk I/O error|disk is full", errs[0]) and "corrupt" not in errs[0],
              f"{what}: the error does not say why: {errs[0]}")
        left = [n for n in os.listdir(tmp) if n.startswith(f"{name}_{kib}")]
        check(not left, f"{what}: left {left}")
        said.add(re.search(r"'[^']*/([a-z_.]+)'", errs[0]).group(1))
    check(len(said) >= 2, f"the limits failed only {said}")
    print(f"file size limits: {len(cases)} runs, exit 4 with one line naming {sorted(said)}, nothing left")


def case_launcher(tmp):
    """`carecircle` is a launcher that starts carecircle-engine with glibc's malloc on transparent
    huge pages: the engine gets GLIBC_TUNABLES with glibc.malloc.hugetlb=1 (added to tunables already
    set, none with CARECIRCLE_HUGEPAGES=0, a hugetlb setting of the user's kept), the arguments
    unchanged (spaces, Chinese) and its exit status and messages are the engine's; without its
    engine the launcher says where it looked."""
    engine = os.path.join(os.path.dirname(os.path.realpath(BIN)), "carecircle-engine")
    check(os.access(engine, os.X_OK), f"no carecircle-engine beside {BIN}")

    def tunables(env_extra, drop=()):
        env = {k: v for k, v in os.environ.items() if k not in ("GLIBC_TUNABLES", "CARECIRCLE_HUGEPAGES") + tuple(drop)}
        env.update(env_extra)
        p = subprocess.run([BIN, "version", "--verbose"], capture_output=True, text=True, env=env)
        check(p.returncode == 0, f"version --verbose: exit {p.returncode}: {p.stderr}")
        line = [l for l in p.stdout.splitlines() if l.startswith("glibc tunables: ")]
        check(len(line) == 1, f"version --verbose printed no tunables: {p.stdout!r}")
        return line[0][len("glibc tunables: "):]

    for extra, want in (({}, "glibc.malloc.hugetlb=1"),
                        ({"GLIBC_TUNABLES": "glibc.malloc.arena_max=4"}, "glibc.malloc.arena_max=4:glibc.malloc.hugetlb=1"),
                        ({"GLIBC_TUNABLES": "glibc.malloc.hugetlb=0"}, "glibc.malloc.hugetlb=0"),
                        ({"CARECIRCLE_HUGEPAGES": "0"}, "(none)")):
        got = tunables(extra)
        check(got == want, f"with {extra or 'a clean environment'} the engine starts with tunables {got!r}, expected {want!r}")
    # arguments, messages and exit status: the engine's own
    odd = os.path.join(tmp, "a folder with spaces 空格")
    args = demo_args(odd, ["--tier-field", "nonexistent"])
    a = subprocess.run([BIN] + args, capture_output=True, text=True)
    b = subprocess.run([engine] + args, capture_output=True, text=True)
    check(a.returncode == b.returncode == 3, f"exit {a.returncode} through the launcher, {b.returncode} from the engine, expected 3")
    check(a.stderr == b.stderr and "nonexistent" in a.stderr, f"messages differ: {a.stderr!r} / {b.stderr!r}")
    p = run(demo_args(odd, ["--outputs", "summary"]))
    check(os.path.isfile(os.path.join(odd, "summary.json")), f"no summary.json in {odd!r}")
    # a launcher without its engine
    alone = os.path.join(tmp, "alone")
    os.makedirs(alone)
    shutil.copy(os.path.realpath(BIN), os.path.join(alone, "carecircle"))
    p = subprocess.run([os.path.join(alone, "carecircle"), "version"], capture_output=True, text=True)
    err = p.stderr.strip().splitlines()
    check(p.returncode == 127 and len(err) == 1 and "carecircle-engine" in err[0] and alone in err[0],
          f"a launcher without its engine: exit {p.returncode}, {p.stderr!r}")
    print("launcher: tunables as asked in 4 environments, arguments and exit status passed through, a missing engine named")


def case_graph_export(tmp):
    """carecircle graph: the frozen problem for the benchmarks (issue #6) and its errors."""
    g = os.path.join(tmp, "g")
    p = run(["graph", "--roads", f"{DEMO}/roads.geojson", "--export", g, "--json", "--quiet"])
    info = json.loads(p.stdout)
    with open(os.path.join(g, "nodes.csv")) as fh:
        nodes = [l.rstrip("\n").split(",") for l in fh][1:]
    with open(os.path.join(g, "edges.csv")) as fh:
        head = fh.readline().strip()
        edges = [tuple(int(x) for x in l.split(",")) for l in fh]
    check(head == "source,target,cost_ms", f"edges.csv header {head!r}")
    check(len(nodes) == info["nodes"] > 100 and len(edges) == info["edges"] > len(nodes),
          f"{len(nodes)} nodes / {len(edges)} edges exported, summary says {info['nodes']} / {info['edges']}")
    check([int(n[0]) for n in nodes] == list(range(len(nodes))), "node ids are not 0..n-1 in order")
    check(all(0 <= s < len(nodes) and 0 <= t < len(nodes) and s != t and 0 < c < 2**30 for s, t, c in edges),
          "an edge has a node id out of range, a self-loop or a cost outside 1 ms .. 2^30 ms")
    check([e[0] for e in edges] == sorted(e[0] for e in edges), "edges are not grouped by source (CSR order)")
    lon = [float(n[3]) for n in nodes]
    lat = [float(n[4]) for n in nodes]
    check(all(-180 <= x <= 180 for x in lon) and all(-90 <= y <= 90 for y in lat), "lon/lat out of range")
    # an edge's cost is at least its straight-line length at the fastest built-in speed (90 km/h)
    xy = [(float(n[1]), float(n[2])) for n in nodes]
    slow = [(s, t, c) for s, t, c in edges
            if c + 1 < ((xy[s][0] - xy[t][0]) ** 2 + (xy[s][1] - xy[t][1]) ** 2) ** 0.5 / 25.0 * 1000.0]
    check(not slow, f"{len(slow)} edges are faster than 90 km/h in a straight line, e.g. {slow[:1]}")
    # input order: the same graph, numbered differently
    g2 = os.path.join(tmp, "g2")
    info2 = json.loads(run(["graph", "--roads", f"{DEMO}/roads.geojson", "--order", "input", "--export", g2,
                            "--json", "--quiet"]).stdout)
    with open(os.path.join(g2, "edges.csv")) as fh:
        costs2 = sorted(int(l.split(",")[2]) for l in list(fh)[1:])
    check((info2["nodes"], info2["edges"]) == (info["nodes"], info["edges"]) and costs2 == sorted(c for _, _, c in edges),
          "input order changed the graph, not just its numbering")
    text = run(["graph", "--roads", f"{DEMO}/roads.geojson"]).stdout
    check(f"{info['nodes']:,} nodes" in text and "strongly connected" in text, f"text summary: {text!r}")

    def error(args, code, *needles):
        p = run(["graph"] + args, expect=code)
        lines = [l for l in p.stderr.splitlines() if "error" in l]
        check(len(lines) == 1, f"expected one error line, got: {p.stderr!r}")
        for n in needles:
            check(n in lines[0], f"error line lacks {n!r}: {lines[0]}")

    error([], 2, "--roads is required")
    error(["--roads", f"{tmp}/missing.gpkg"], 4, "missing.gpkg")
    error(["--roads", f"{DEMO}/roads.geojson", "--order", "zigzag"], 2, "--order", "zigzag")
    error(["--roads", f"{DEMO}/roads.geojson", "--profile", "horse"], 2, "horse")
    error(["--roads", f"{DEMO}/roads.geojson", "--bogus"], 2, "--bogus")
    blocker = os.path.join(tmp, "file")
    open(blocker, "w").close()
    error(["--roads", f"{DEMO}/roads.geojson", "--export", os.path.join(blocker, "sub")], 4, "Unable to create folder")

# ---- scenarios, batches and deliverables (issue 5) --------------------------------------------------

def demo_inputs(villages=True, admin=True):
    """The inputs section of a scenario on the demo district (absolute paths): population as village
    points (villages=True) or the raster, townships as admin areas when @admin."""
    pop = f"{DEMO}/villages.geojson\n  population_field: population" if villages else f"{DEMO}/population.asc"
    return (f"inputs:\n  roads: {DEMO}/roads.geojson\n  population: {pop}\n  facilities: {DEMO}/facilities.csv\n  tier_field: tier\n" +
            (f"  admin: {DEMO}/townships.geojson\n" if admin else ""))


def demo_scenario(tmp, extra="", name="s.yaml", lang="[zh, en]", maps=True):
    """A scenario file on the demo district (absolute paths), with @extra appended. maps=False
    leaves out the PNG/PDF/HTML (styles and project stay) where a test is not about them."""
    path = os.path.join(tmp, name)
    with open(path, "w") as f:
        f.write("name: demo\n" + demo_inputs() + f"report:\n  lang: {lang}\n" + ("" if maps else "  maps: false\n") + extra)
    return path


def polygon_geojson(path, ring):
    """A GeoJSON file at @path holding one polygon without properties, @ring a list of (lon, lat)."""
    with open(path, "w") as f:
        f.write(json.dumps({"type": "FeatureCollection", "features": [{"type": "Feature", "properties": {}, "geometry": {
            "type": "Polygon", "coordinates": [[list(p) for p in ring]]}}]}))
    return path


def wgs84():
    """EPSG:4326 with longitude first (GDAL 3's authority order is latitude first)."""
    from osgeo import osr
    s = osr.SpatialReference()
    s.ImportFromEPSG(4326)
    s.SetAxisMappingStrategy(osr.OAMS_TRADITIONAL_GIS_ORDER)
    return s


def scenario_error(tmp, text, code, *needles, name="bad.yaml", cmd="run"):
    """Run a bad scenario (or batch) file: exit @code, every needle in the error lines, nothing written."""
    path = os.path.join(tmp, name)
    with open(path, "w") as f:
        f.write(text)
    out = os.path.join(tmp, "never")
    p = run([cmd, path, "--out", out, "--quiet"], expect=code)
    lines = [l for l in p.stderr.splitlines() if l.startswith("carecircle: error:")]
    check(lines, f"no error line for {name}: {p.stderr!r}")
    joined = "\n".join(lines)
    for n in needles:
        check(n in joined, f"error lines lack {n!r}:\n{joined}")
    check(not os.path.exists(out), "a failed scenario wrote its output folder")
    return lines


def case_scenario_bad_files(tmp):
    """A catalogue of bad scenario files: each gives an error naming file, line:column and key."""
    ok = open(demo_scenario(tmp)).read()
    f = os.path.join(tmp, "bad.yaml")
    cat = [
        (ok + "minuts: [15, 30]\n", 3, [f"{f}:11:1:", "<minuts>", "did you mean <minutes>"]),
        (ok.replace("  roads:", "  road:"), 3, [f"{f}:3:3:", "<road>", "did you mean <roads>", "Missing required key <inputs.roads>"]),
        (ok + "minutes: fast\n", 3, [f"{f}:11:10:", "<minutes> must be a number"]),
        (ok + "minutes: [15, 3000]\n", 3, [f"{f}:11:15:", "<minutes>", "between 0.1 and 1440"]),
        (ok + "minutes: [30, 15]\n", 3, [f"{f}:11:15:", "strictly ascending"]),
        (ok.replace(f"{DEMO}/roads.geojson", "no-such-roads.geojson"), 4, [f"{f}:3:10:", "<inputs.roads>", "no-such-roads.geojson", "does not exist"]),
        (ok + "speed_factors:\n  class: {tertary: 0.7}\n", 3, [f"{f}:12:11:", "<tertary>", "did you mean <tertiary>"]),
        (ok + "speed_factors:\n  all: 0\n", 3, [f"{f}:12:8:", "<speed_factors.all>", "between 0.01 and 10"]),
        (ok + "speed_factors:\n  surface: unpaved\n", 3, [f"{f}:12:12:", "<speed_factors.surface>"]),
        (ok + "closed_roads:\n  way_ids: 16\n", 3, [f"{f}:12:12:", "<closed_roads.way_ids>", "list"]),
        (ok + "closed_roads:\n  way_ids: [16, x7]\n", 3, [f"{f}:12:17:", "<closed_roads.way_ids>", "x7"]),
        (ok + "closed_roads:\n  areas: flood.gpkg\n", 4, [f"{f}:12:10:", "<closed_roads.areas>", "does not exist"]),
        (ok + "facility_changes:\n  remove: [{name: No Such Hospital}]\n", 3, [f"{f}:12:12:", "No facility is named <No Such Hospital>"]),
        (ok + "facility_changes:\n  remove: [{name: Qingshan County Peoples Hospital}]\n", 3,
         [f"{f}:12:12:", "did you mean <Qingshan County People's Hospital>"]),
        (ok + "facility_changes:\n  set_tier: [{id: 999, tier: county_hospital}]\n", 3, [f"{f}:12:14:", "No facility has id 999"]),
        (ok + "facility_changes:\n  add: [{name: X, lon: 117.6, tier: emergency_station}]\n", 3, [f"{f}:12:9:", "<lon> and <lat>"]),
        (ok + "facility_changes:\n  add: [{name: X, lon: 217.6, lat: 34.8, tier: emergency_station}]\n", 3,
         [f"{f}:12:24:", "<facility_changes.add.lon>", "between -180 and 180"]),
        (ok + "siting:\n  model: mlcp\n  budget: 2\n  threshold_min: 30\n", 3, [f"{f}:12:10:", "<siting.model>", "did you mean mclp"]),
        (ok + "siting:\n  model: mclp\n  threshold_min: 30\n", 3, [f"{f}:12:3:", "needs a <budget>"]),
        (ok + "siting:\n  model: p_median\n  budget: 2.5\n", 3, [f"{f}:13:11:", "<siting.budget>", "whole"]),
        (ok.replace("lang: [zh, en]", "lang: fr"), 3, [f"{f}:10:9:", "<report.lang>", "'fr'"]),
        (ok + "profile: ambulence\n", 3, [f"{f}:11:10:", "<profile>", "did you mean ambulance"]),
        (ok + "profile:\n  speeds_kmh: {primary: 70}\n  ofroad_speed_kmh: 5\n", 3, [f"{f}:13:3:", "<ofroad_speed_kmh>", "did you mean <offroad_speed_kmh>"]),
        (ok.replace("name: demo\n", "name: a/b\n", 1), 3, [f"{f}:1:7:", "<name>"]),
        (ok + "name: again\n", 3, [f"{f}:11:1:", "<name> appears twice"]),
        (ok + "inputs: [\n", 3, [f"{f}:12:1:"]),
        (ok.replace(f"  facilities: {DEMO}/facilities.csv\n", ""), 3, [f"{f}:", "Missing required key <inputs.facilities>"]),
        (ok + "resolution_m: -5\nuncovered_minutes: 2000\n", 3, [f"{f}:11:15:", "<resolution_m>", f"{f}:12:20:", "<uncovered_minutes>"]),
        # field names checked against the files' layers (schema only), with the fields present
        (ok.replace("tier_field: tier", "tier_field: teir"), 3,
         [f"{f}:7:15:", "<inputs.tier_field>", "facilities.csv", "no field <teir>", "did you mean <tier>", "lon, lat, name, name_zh, tier, township"]),
        (ok.replace("tier_field: tier", "tier_field: tier\n  facility_name_field: nom"), 3, [f"{f}:8:24:", "<inputs.facility_name_field>", "no field <nom>"]),
        (ok.replace("tier_field: tier", "tier_field: tier\n  lon_field: lng\n  lat_field: lat"), 3,
         [f"{f}:8:14:", "<inputs.lon_field>", "no field <lng>", "did you mean <lon>"]),
        (ok.replace("population_field: population", "population_field: populaton"), 3,
         [f"{f}:5:21:", "<inputs.population_field>", "villages.geojson", "did you mean <population>", "name, name_zh, township, population"]),
        (ok.replace("  admin:", "  admin_name_field: nme\n  admin_code_field: code\n  admin:"), 3,
         [f"{f}:8:21:", "<inputs.admin_name_field>", "townships.geojson", "no field <nme>", "code, name, name_zh"]),
        (ok.replace("  admin:", "  class_field: highwy\n  roads_layer: roads\n  admin:"), 3,
         [f"{f}:8:16:", "<inputs.class_field>", "roads.geojson", "no field <highwy>"]),
        (ok.replace("  admin:", "  roads_layer: rods\n  admin:"), 3, [f"{f}:8:16:", "<inputs.roads_layer>", "no layer <rods>", "its layers are: roads"]),
    ]
    for i, (text, code, needles) in enumerate(cat):
        try:
            scenario_error(tmp, text, code, *needles)
        except Fail as e:
            raise Fail(f"catalogue case {i + 1}: {e}")
    # several problems: one line each, all reported before any work
    lines = scenario_error(tmp, ok + "minuts: 5\nspeed_factors: {all: 20}\nclosed_roads: {way_id: [1]}\n", 3,
                           f"{f}:11:1:", f"{f}:12:22:", f"{f}:13:16:", "did you mean <way_ids>")
    check(len(lines) == 3, f"expected 3 error lines, got {lines}")
    # a valid file with a siting section: --check says so (siting with road edits runs: cli.scenario_siting_edits)
    sit = demo_scenario(tmp, "siting:\n  - {model: mclp, budget: 2, threshold_min: 30}\n", name="siting.yaml")
    p = run(["run", sit, "--check"])
    check("with a siting section" in p.stdout, p.stdout)
    # --check reads the layer definitions: a field the facility file lacks fails there, with its position
    typo = os.path.join(tmp, "typo.yaml")
    with open(typo, "w") as fh:
        fh.write(ok.replace("tier_field: tier", "tier_field: teir"))
    p = run(["run", typo, "--check"], expect=3)
    check(f"{typo}:7:15: <inputs.tier_field>" in p.stderr and "did you mean <tier>" in p.stderr, p.stderr)
    check("valid scenario" not in p.stdout, p.stdout)
    scenario_error(tmp, ok + "siting:\n  model: lscp\n  threshold_min: 30\n  target_share: 0\n", 3, f"{f}:14:17:",
                   "<siting.target_share> must be above 0")
    scenario_error(tmp, ok + "siting:\n  model: mclp\n  budget: 2\n  threshold_min: 30\n  curve: 2.5\n", 3, f"{f}:15:10:",
                   "<siting.curve> must be whole")
    scenario_error(tmp, ok + "siting:\n  model: mclp\n  budget: 2\n  threshold_min: 30\n  fixed_tiers: [a, 'b,c']\n", 3,
                   f"{f}:15:20:", "<siting.fixed_tiers> lists names")
    # the engine's own errors name the scenario line of the siting model; nothing is left behind
    scenario_error(tmp, ok + "siting:\n  model: mclp\n  budget: 2\n  threshold_min: 30\n  fixed_tiers: [sub_centre]\n", 2,
                   f"{f}:12:3: siting (mclp):", "names tier <sub_centre>")
    check(not [n for n in os.listdir(tmp) if n.startswith("never")], f"leftovers {os.listdir(tmp)}")
    # batch files
    base = demo_scenario(tmp, name="base.yaml")
    b = os.path.join(tmp, "bad.yaml")
    bcat = [
        ("base: base.yaml\nvariants:\n  - name: v1\n    sett: {minutes: [10]}\n", [f"{b}:4:5:", "<sett>", "did you mean <set>"]),
        ("base: base.yaml\nvariants:\n  - name: v1\n    set: {minutes: [10, 5]}\n", [f"{b}:4:25:", "ascending"]),
        ("base: base.yaml\nvariants:\n  - name: v1\n    set: {speed_factor: {all: 0.5}}\n", [f"{b}:4:11:", "did you mean <speed_factors>"]),
        ("base: base.yaml\nvariants:\n  - name: v1\n  - name: v1\n", [f"{b}:4:11:", "Two variants are named 'v1'"]),
        ("base: base.yaml\nvariants:\n  - name: base\n", [f"{b}:3:11:", "reserved"]),
        ("base: base.yaml\nsweeps:\n  - name: s\n    key: speed_factors.all\n    values: [0.5]\n", [f"{b}:3:11:", "{value}"]),
        ("base: base.yaml\nsweeps:\n  - name: s_{value}\n    key: speed_factors.all\n    values: [0.5, 20]\n", [f"{b}:5:19:", "between 0.01 and 10"]),
        ("base: base.yaml\nsweeps:\n  - name: s_{value}\n    key: speed_factor.all\n    values: [0.5]\n", [f"{b}:4:10:", "did you mean <speed_factors>"]),
        ("base: nope.yaml\nvariants: []\n", [f"{b}:1:7:", "nope.yaml"]),
        ("bse: base.yaml\n", [f"{b}:1:1:", "did you mean <base>"]),
        ("base: base.yaml\nvariants:\n  - name: v1\n    set: {inputs: {tier_field: teir}}\n",
         [f"{b}:4:32:", "<inputs.tier_field>", "no field <teir>"]),
    ]
    for i, (text, needles) in enumerate(bcat):
        try:
            scenario_error(tmp, text, 3 if i != 8 else 4, *needles, cmd="batch")
        except Fail as e:
            raise Fail(f"batch catalogue case {i + 1}: {e}")


def load_gpkg_layer(path, layer):
    ds = ogr.Open(path)
    lyr = ds.GetLayerByName(layer)
    return ds, lyr


def case_scenario_edits(tmp):
    """Scenario edits change the model as documented, checked against the base run."""
    def within(extra, label):
        out = os.path.join(tmp, label)
        run(["run", demo_scenario(tmp, extra, name=label + ".yaml", lang="en", maps=False), "--out", out, "--quiet"])
        return load_summary(out), out
    base, base_out = within("", "base")
    w = lambda s: [s["population_within_min"][k] for k in ("15", "30", "60")]
    # a closed road (way 19 is the only road to Shimen's valley): fewer people covered
    closed, out = within("closed_roads: {way_ids: [19]}\n", "closed")
    check(all(a <= b for a, b in zip(w(closed), w(base))) and w(closed)[1] < w(base)[1], f"closing way 19: {w(closed)} vs {w(base)}")
    ds, roads = load_gpkg_layer(os.path.join(out, "coverage.gpkg"), "roads")
    st = {(f["way_id"], f["status"]) for f in roads if f["status"] != "open"}
    check(st == {(19, "closed")}, f"roads layer statuses: {st}")
    check(closed["graph"]["edges"] < base["graph"]["edges"], "the closed way is still in the graph")
    sj = json.load(open(os.path.join(out, "scenario.json")))
    check(sj["scenario"]["closed_roads"]["way_ids"] == [19] and len(sj["content_hash"]) == 64, "scenario.json")
    # the same road replaced by an identical added road: exactly the base figures
    src_ds = ogr.Open(f"{DEMO}/roads.geojson")
    src = src_ds.GetLayer(0)
    src.SetAttributeFilter("id = 19")
    f19 = src.GetNextFeature()
    add = os.path.join(tmp, "new_road.geojson")
    with open(add, "w") as fh:
        fh.write(json.dumps({"type": "FeatureCollection", "features": [{"type": "Feature", "properties": {"highway": "secondary"},
                                                                         "geometry": json.loads(f19.GetGeometryRef().ExportToJson())}]}))
    rebuilt, out = within(f"added_roads: {{path: {add}, replaces: [19]}}\n", "rebuilt")
    check(w(rebuilt) == w(base), f"replacing way 19 by its copy: {w(rebuilt)} vs base {w(base)}")
    ds, roads = load_gpkg_layer(os.path.join(out, "coverage.gpkg"), "roads")
    st = sorted(f["status"] for f in roads if f["status"] != "open")
    check(st == ["added", "replaced"], f"roads statuses {st}")
    # an added road whose ends are off the network by a few metres gets joined (and helps)
    g = f19.GetGeometryRef()
    pts = [g.GetPoint_2D(i) for i in range(g.GetPointCount())]
    shifted = [[x + 0.0002, y + 0.0001] for x, y in pts]  # ~20 m away: joined within connect_m 50
    with open(add, "w") as fh:
        fh.write(json.dumps({"type": "FeatureCollection", "features": [{"type": "Feature", "properties": {"highway": "secondary"},
                                                                         "geometry": {"type": "LineString", "coordinates": shifted}}]}))
    detour, out = within(f"closed_roads: {{way_ids: [19]}}\nadded_roads: {{path: {add}, connect_m: 50}}\n", "detour")
    check(w(detour)[1] > w(closed)[1], f"a parallel road joined at its ends does not help: {w(detour)} vs closed {w(closed)}")
    # a closure area cut across way 19 closes only the segments it touches
    x, y = pts[len(pts) // 2]  # a vertex in the middle of way 19
    area = os.path.join(tmp, "flood.geojson")
    d = 0.002
    with open(area, "w") as fh:
        fh.write(json.dumps({"type": "FeatureCollection", "features": [{"type": "Feature", "properties": {"name": "flood"}, "geometry": {
            "type": "Polygon", "coordinates": [[[x - d, y - d], [x + d, y - d], [x + d, y + d], [x - d, y + d], [x - d, y - d]]]}}]}))
    flood, out = within(f"closed_roads: {{areas: {area}}}\n", "flood")
    # Shimen's valley keeps its own health centre but loses the direct road to the county hospital
    hosp = lambda s: s["tiers"]["county_hospital"]["population_within_min"]["15"]
    check(hosp(flood) < hosp(base), f"flood area changes nothing: {hosp(flood)} vs {hosp(base)}")
    ds, roads = load_gpkg_layer(os.path.join(out, "coverage.gpkg"), "roads")
    poly = ogr.CreateGeometryFromJson(json.dumps({"type": "Polygon", "coordinates": [[[x - d, y - d], [x + d, y - d], [x + d, y + d], [x - d, y + d], [x - d, y - d]]]}))
    poly.AssignSpatialReference(wgs84())
    poly.TransformTo(roads.GetSpatialRef())
    n_closed = 0
    for f in roads:
        inter = f.GetGeometryRef().Intersects(poly)
        if f["status"] == "closed":
            n_closed += 1
            check(inter, "a closed piece lies outside the closure area")
        elif f["speed_kmh"] > 0:
            c = f.GetGeometryRef().Intersection(poly)
            check(c is None or c.Length() < 1e-6, "an open road crosses the closure area")
    check(n_closed >= 1, "no closed piece")
    # rainy season: never faster, slower somewhere
    rainy, out = within("speed_factors:\n  class: {tertiary: 0.7}\n  surface: {unpaved: 0.7}\n", "rainy")
    check(all(a <= b for a, b in zip(w(rainy), w(base))) and w(rainy) != w(base), f"rainy {w(rainy)} vs base {w(base)}")
    sj = json.load(open(os.path.join(out, "scenario.json")))["scenario"]["profile"]
    check(abs(sj["speeds_kmh"]["tertiary"] - 35) < 1e-9, "tertiary speed not scaled")
    check(abs(sj["surface_multipliers"]["unpaved"] - 0.49) < 1e-9 and abs(sj["surface_multipliers"]["mud"] - 0.49) < 1e-9,
          "unpaved family not scaled")
    # facility changes: remove the county hospital, promote a township health centre
    fc, out = within("facility_changes:\n  remove: [{name: \"Qingshan County People's Hospital\"}]\n"
                     "  set_tier: [{name: Liuhe Township Health Centre, tier: county_hospital}]\n"
                     "  add: [{name: New station, lon: 117.71, lat: 34.77, tier: emergency_station}]\n", "fc")
    check(fc["tiers"]["county_hospital"]["facilities"] == 1 and fc["tiers"]["emergency_station"]["facilities"] == 2,
          f"tiers after changes: { {k: v['facilities'] for k, v in fc['tiers'].items()} }")
    ds, fl = load_gpkg_layer(os.path.join(out, "coverage.gpkg"), "facilities")
    names = {f["name"]: f["tier"] for f in fl}
    check("Qingshan County People's Hospital" not in names and names.get("Liuhe Township Health Centre") == "county_hospital"
          and names.get("New station") == "emergency_station", f"facilities layer {names}")


def case_scenario_siting(tmp):
    """A scenario with a siting section: the siting outputs land inside the scenario's folder, the
    proposed sites are a layer of coverage.gpkg (and on the maps), and they are the sites that
    `carecircle site` proposes for the same inputs and parameters."""
    extra = ("siting:\n  model: mclp\n  budget: 2\n  threshold_min: 30\n  tier: emergency_station\n"
             "  fixed_tiers: [county_hospital, emergency_station]\n  curve: 3\n")
    out = os.path.join(tmp, "out")
    run(["run", demo_scenario(tmp, extra, lang="en", maps=False), "--out", out, "--quiet"])
    for fn in ("coverage.gpkg", "summary.json", "siting/sites.gpkg", "siting/summary.json", "siting/coverage_curve.csv"):
        check(os.path.exists(os.path.join(out, fn)), f"{fn} missing")
    check(not [n for n in os.listdir(tmp) if ".siting" in n or ".cc-tmp" in n], f"leftovers beside the output: {os.listdir(tmp)}")
    with open(os.path.join(out, "siting", "summary.json")) as fh:
        ss = json.load(fh)
    check(ss["model"] == "mclp" and ss["parameters"]["p"] == 2, "siting parameters not passed")
    ds, rows = load_gpkg_layer(os.path.join(out, "coverage.gpkg"), "proposed_sites")
    got = sorted((f["rank"], f["name"], round(f["gain"], 3), f["tier"]) for f in rows)
    want = sorted((q["rank"], q["name"], round(q["population_gained"], 3), "emergency_station") for q in ss["proposed_sites"])
    check(got == want and len(got) == 2, f"proposed_sites layer {got} != siting summary {want}")
    # the same study through `carecircle site`
    direct = os.path.join(tmp, "direct")
    run(["site", "--roads", f"{DEMO}/roads.geojson", "--population", f"{DEMO}/villages.geojson", "--population-field",
         "population", "--facilities", f"{DEMO}/facilities.csv", "--tier-field", "tier", "--admin", f"{DEMO}/townships.geojson",
         "--fixed-tiers", "county_hospital,emergency_station", "--candidate-roads", "all", "-p", "2", "--curve", "3",
         "--minutes", "30", "--out", direct, "--quiet"])
    with open(os.path.join(direct, "summary.json")) as fh:
        sd = json.load(fh)
    check(sd["solution"]["objective"] == ss["solution"]["objective"] and
          [q["name"] for q in sd["proposed_sites"]] == [q["name"] for q in ss["proposed_sites"]],
          f"scenario siting {ss['solution']['objective']} {[q['name'] for q in ss['proposed_sites']]} != "
          f"carecircle site {sd['solution']['objective']} {[q['name'] for q in sd['proposed_sites']]}")
    # speed factors reach the siting: slower roads never cover more
    slow = os.path.join(tmp, "slow")
    run(["run", demo_scenario(tmp, extra + "speed_factors:\n  all: 0.5\n", name="slow.yaml", lang="en", maps=False),
         "--out", slow, "--quiet"])
    with open(os.path.join(slow, "siting", "summary.json")) as fh:
        sl = json.load(fh)
    check(sl["solution"]["objective"] < ss["solution"]["objective"],
          f"half speed covers {sl['solution']['objective']}, full speed {ss['solution']['objective']}")


def case_batch_demo(tmp):
    """The shipped demo batch: every variant runs; a re-run skips them all; changing one variant's
    settings re-runs only it; --force re-runs unchanged variants."""
    d = os.path.join(tmp, "demo")
    shutil.copytree(DEMO, d)
    out = os.path.join(tmp, "out")
    p = run(["batch", os.path.join(d, "batch.yaml"), "--out", out, "--jobs", "2", "--quiet", "--lang", "en"])
    table = [l.split() for l in p.stdout.splitlines()[1:] if l.split()[1:2] == ["done"]]
    # variant, state, seconds, population within 30 min and "(change)" (issue 14); nothing after: no error
    check(len(table) == 6 and all(len(r) == 5 for r in table), f"done variants with an error column: {p.stdout!r}")
    man = json.load(open(os.path.join(out, "manifest.json")))
    names = [v["name"] for v in man["variants"]]
    check(names[0] == "base" and len(names) == 6 and "all_roads_x0.8" in names, f"variants {names}")
    check(all(v["state"] == "done" for v in man["variants"]), f"states {[v['state'] for v in man['variants']]}")
    for n in names:  # the sweep's variants write summaries (the default of sweeps), the others every deliverable
        want = ["scenario.json", "summary.json"] if n.startswith("all_roads_x") else \
            ["coverage.gpkg", "summary.json", "scenario.json", "project.qgs", "map_en.png", "map_en.pdf", "report_en.html"]
        for fn in want:
            check(os.path.exists(os.path.join(out, n, fn)), f"{n}/{fn} missing")
        if n.startswith("all_roads_x"):
            held = sorted(x for x in os.listdir(os.path.join(out, n)) if not x.startswith("."))
            check(held == want, f"{n}: a sweep variant holds {held}")
    per_sweep = [r for r in csv.DictReader(open(os.path.join(out, "comparison.csv"))) if r["scenario"] == "all_roads_x0.8" and r["admin_code"]]
    check(len(per_sweep) == 6 and all(r["pop_le_30"] for r in per_sweep), f"township rows of a sweep variant: {per_sweep}")
    rows = list(csv.DictReader(open(os.path.join(out, "comparison.csv"))))
    tot = {r["scenario"]: r for r in rows if r["admin_name"] == "total"}
    check(float(tot["base"]["delta_le_30"]) == 0, "base delta not 0")
    check(float(tot["road_19_closed"]["delta_le_30"]) < 0, "closing way 19 does not lower the 30-minute coverage")
    check(float(tot["new_station_dongling"]["delta_le_15"]) > 0, "the new station does not raise 15-minute coverage")
    base_summary = load_summary(os.path.join(out, "road_19_closed"))
    # comparison.csv holds whole persons (issue 14): the summary's figure rounded
    check(abs(float(tot["road_19_closed"]["pop_le_30"]) - base_summary["population_within_min"]["30"]) <= 0.5, "csv != summary")
    per_admin = [r for r in rows if r["scenario"] == "rainy_season" and r["admin_code"]]
    check(len(per_admin) == 6, f"{len(per_admin)} township rows for rainy_season")
    check(abs(sum(float(r["delta_le_30"]) for r in per_admin) - float(tot["rainy_season"]["delta_le_30"])) <= len(per_admin),
          "township deltas do not add up (within the rounding of each row to whole persons)")
    cds = ogr.Open(os.path.join(out, "comparison.gpkg"))
    lyr = cds.GetLayerByName("comparison")
    check(lyr.GetFeatureCount() == len(rows), "comparison layer and csv differ")
    check(os.path.exists(os.path.join(out, "report_en.html")), "batch report")
    # re-run: all skipped, outputs untouched
    stamp = os.path.getmtime(os.path.join(out, "rainy_season", "summary.json"))
    run(["batch", os.path.join(d, "batch.yaml"), "--out", out, "--quiet", "--lang", "en"])
    man = json.load(open(os.path.join(out, "manifest.json")))
    check(all(v["state"] == "skipped" for v in man["variants"]), f"re-run states {[v['state'] for v in man['variants']]}")
    check(os.path.getmtime(os.path.join(out, "rainy_season", "summary.json")) == stamp, "a skipped variant was rewritten")
    # one variant's settings change: only it re-runs
    with open(os.path.join(d, "batch.yaml")) as fh:
        text = fh.read()
    with open(os.path.join(d, "batch.yaml"), "w") as fh:
        fh.write(text.replace("class: {tertiary: 0.7}", "class: {tertiary: 0.6}"))
    run(["batch", os.path.join(d, "batch.yaml"), "--out", out, "--quiet", "--lang", "en"])
    man = json.load(open(os.path.join(out, "manifest.json")))
    st = {v["name"]: v["state"] for v in man["variants"]}
    check(st["rainy_season"] == "done" and all(v == "skipped" for k, v in st.items() if k != "rainy_season"),
          f"after changing rainy_season only: {st}")
    # --force, on a small batch without maps
    demo_scenario(tmp, name="small.yaml", lang="en", maps=False)
    with open(os.path.join(tmp, "small_batch.yaml"), "w") as fh:
        fh.write("base: small.yaml\nvariants:\n  - name: v\n    set: {speed_factors: {all: 0.9}}\n")
    small = os.path.join(tmp, "small")
    run(["batch", os.path.join(tmp, "small_batch.yaml"), "--out", small, "--quiet"])
    run(["batch", os.path.join(tmp, "small_batch.yaml"), "--out", small, "--quiet", "--force"])
    man = json.load(open(os.path.join(small, "manifest.json")))
    check([v["state"] for v in man["variants"]] == ["done", "done"], f"--force states {man['variants']}")


def case_comoros_batch(tmp):
    """Comoros OSM + WorldPop + WHO facilities: base, rainy season, a closed road; re-run skips
    all three; breaking one variant's input fails only that variant."""
    pbf = os.path.join(COMOROS, "comores-2021-04-08.osm.pbf")
    if not os.path.exists(pbf):
        print(f"SKIP: {COMOROS} is not present (real-data batch needs ../shared/data)")
        return SKIP
    import time
    with open(os.path.join(tmp, "comoros.yaml"), "w") as f:
        f.write(f"""name: comoros
title: {{zh: 科摩罗急救医疗可达性, en: "Comoros: access to emergency care"}}
inputs:
  roads: {pbf}
  population: {COMOROS}/com_ppp_2020_UNadj.tif
  facilities: {COMOROS}/who_public_health_facilities_comoros.csv
  tier_field: tier
  tiers: {{1: health_post, 2: health_centre, 3: hospital, 4: hospital}}
profile: ambulance
minutes: [15, 30, 60]
report: {{lang: en, maps: false}}   # maps are tested on the demo; this keeps CI (and its ASan pass) short
""")
    # a flooded stretch of coast road north of Moroni
    flood = polygon_geojson(os.path.join(tmp, "flood.geojson"),
                            [(43.24, -11.66), (43.30, -11.66), (43.30, -11.60), (43.24, -11.60), (43.24, -11.66)])
    with open(os.path.join(tmp, "batch.yaml"), "w") as f:
        f.write("""base: comoros.yaml
variants:
  - name: rainy
    title: {zh: 雨季, en: Rainy season}
    set:
      speed_factors: {class: {tertiary: 0.7}, surface: {unpaved: 0.7}}
  - name: rn2_closed
    title: {zh: 二号国道中断, en: RN2 cut}
    set:
      closed_roads: {way_ids: [87652989]}
  - name: flooded
    set:
      closed_roads: {areas: flood.geojson}
""")
    out = os.path.join(tmp, "out")
    t = time.monotonic()
    run(["batch", os.path.join(tmp, "batch.yaml"), "--out", out, "--jobs", "2", "--quiet"])
    t1 = time.monotonic() - t
    man = json.load(open(os.path.join(out, "manifest.json")))
    check([v["state"] for v in man["variants"]] == ["done"] * 4, f"states {man['variants']}")
    import csv
    tot = {r["scenario"]: r for r in csv.DictReader(open(os.path.join(out, "comparison.csv"))) if r["admin_name"] == "total"}
    for v in ("rainy", "rn2_closed", "flooded"):
        check(float(tot[v]["delta_le_30"]) <= 0, f"{v} raises coverage")
    check(float(tot["rainy"]["delta_le_15"]) < 0 and float(tot["rn2_closed"]["delta_le_30"]) < 0, "rainy or rn2_closed changes nothing")
    t = time.monotonic()
    run(["batch", os.path.join(tmp, "batch.yaml"), "--out", out, "--jobs", "2", "--quiet"])
    t2 = time.monotonic() - t
    man = json.load(open(os.path.join(out, "manifest.json")))
    check([v["state"] for v in man["variants"]] == ["skipped"] * 4, f"re-run states {[v['state'] for v in man['variants']]}")
    # break the flooded variant's own input: only it fails, the others stay skipped
    with open(flood, "w") as f:
        f.write("{ this is not geojson")
    p = run(["batch", os.path.join(tmp, "batch.yaml"), "--out", out, "--jobs", "2", "--quiet"], expect=6)
    man = json.load(open(os.path.join(out, "manifest.json")))
    st = {v["name"]: v["state"] for v in man["variants"]}
    check(st == {"base": "skipped", "rainy": "skipped", "rn2_closed": "skipped", "flooded": "failed"}, f"states {st}")
    err = [v for v in man["variants"] if v["name"] == "flooded"][0]["error"]
    check("flood.geojson" in err, f"the failure does not name the file: {err}")
    check("flood.geojson" in p.stderr and "1 of 4 variants failed" in p.stderr, p.stderr)
    check(os.path.exists(os.path.join(out, "flooded", "summary.json")), "the failed variant's previous outputs are gone")
    print(f"comoros batch: first run {t1:.1f} s, re-run {t2:.2f} s (all skipped)")


def add_proposed_sites(gpkg):
    """A hand-made proposed_sites layer (what the siting engine will write), in WGS84 on purpose:
    the report must reproject it."""
    from osgeo import osr
    ds = ogr.Open(gpkg, 1)
    srs = osr.SpatialReference()
    srs.ImportFromEPSG(4326)
    lyr = ds.CreateLayer("proposed_sites", srs, ogr.wkbPoint)
    for name, t in (("name", ogr.OFTString), ("tier", ogr.OFTString), ("gain", ogr.OFTReal)):
        lyr.CreateField(ogr.FieldDefn(name, t))
    for name, lon, lat, gain in (("Site A 东岭南", 117.710, 34.770, 480.0), ("Site B 石门北", 117.735, 34.935, 230.0)):
        f = ogr.Feature(lyr.GetLayerDefn())
        f["name"], f["tier"], f["gain"] = name, "emergency_station", gain
        g = ogr.Geometry(ogr.wkbPoint)
        g.AddPoint_2D(lon, lat)
        f.SetGeometry(g)
        lyr.CreateFeature(f)
    ds = None


def png_array(path):
    import numpy as np
    ds = gdal.Open(path)
    return np.dstack([ds.GetRasterBand(i + 1).ReadAsArray() for i in range(3)]).astype(int)


def case_map_render(tmp):
    """Maps in both languages: not blank, legend swatches and symbols drawn, every label present
    as text in the PDF; the HTML report is self-contained. Uses a hand-made proposed_sites layer."""
    import numpy as np
    out = os.path.join(tmp, "out")
    run(["run", demo_scenario(tmp, "title: {zh: 青山县急救覆盖, en: Qingshan emergency coverage}\n"), "--out", out, "--quiet"])
    add_proposed_sites(os.path.join(out, "coverage.gpkg"))
    run(["report", out, "--lang", "zh,en", "--quiet"])
    dpi = 200 / 72.0
    for lang in ("zh", "en"):
        a = png_array(os.path.join(out, f"map_{lang}.png"))
        check(a.shape[:2] == (1653, 2339), f"map_{lang}.png is {a.shape}")
        nonwhite = (a.sum(axis=2) < 750).mean()
        colours = len(np.unique(a.reshape(-1, 3)[::7], axis=0))
        check(nonwhite > 0.3 and colours > 50, f"map_{lang}.png looks blank: {nonwhite:.2f} non-white, {colours} colours")
        panel = a[int(70 * dpi):int(562 * dpi), int(615 * dpi):int(825 * dpi)]
        frame = a[int(72 * dpi):int(560 * dpi), int(24 * dpi):int(602 * dpi)]
        def count(img, rgb):
            return int((np.abs(img - np.array(rgb)).sum(axis=2) <= 3).sum())
        for rgb in ((26, 152, 80), (222, 222, 222)):   # first band and "beyond" swatches
            check(count(panel, rgb) > 800, f"{lang}: legend swatch {rgb} not drawn ({count(panel, rgb)} px)")
        check(count(panel, (178, 24, 43)) > 50 and count(frame, (178, 24, 43)) > 50, f"{lang}: hospital symbol missing")
        check(count(panel, (255, 214, 0)) > 50 and count(frame, (255, 214, 0)) > 100, f"{lang}: proposed sites not drawn")
        title = a[int(10 * dpi):int(40 * dpi), int(20 * dpi):int(400 * dpi)]
        check((title.sum(axis=2) < 150).sum() > 2000, f"{lang}: no title")
        p = subprocess.run(["pdftotext", "-layout", os.path.join(out, f"map_{lang}.pdf"), "-"], capture_output=True, text=True)
        check(p.returncode == 0, f"pdftotext failed: {p.stderr}")
        txt = p.stdout
        want = (["青山县急救覆盖", "到最近县医院的行车时间", "0–15 分钟", "县医院", "乡镇卫生院", "建议新址 (2)", "关键数字", "30 分钟内",
                 "青山镇", "东岭镇", "北", "公里", "主要道路", "乡镇界"] if lang == "zh" else
                ["Qingshan emergency coverage", "Travel time to the nearest county hospital", "0–15 min", "County hospital",
                 "Township health centre", "Proposed sites (2)", "Key figures", "Within 30 min", "Qingshan", "Dongling", "N", "km",
                 "Main roads", "Township boundary"])
        missing = [w for w in want if w not in txt]
        check(not missing, f"map_{lang}.pdf lacks {missing}")
        other = ["Key figures", "County hospital"] if lang == "zh" else ["关键数字", "县医院"]
        check(not any(w in txt for w in other), f"map_{lang}.pdf mixes languages")
        html = open(os.path.join(out, f"report_{lang}.html"), encoding="utf-8").read()
        check("data:image/png;base64," in html and "http://" not in html.replace("http://mrcc.com", "") and "https://" not in html,
              f"report_{lang}.html is not self-contained")
        for w in ("Site A 东岭南", "480", ("县医院" if lang == "zh" else "County hospital"), ("青山镇" if lang == "zh" else "Qingshan")):
            check(w in html, f"report_{lang}.html lacks {w!r}")


def check_cog(path, want_overviews=True):
    """GDAL's own COG validator (IFD order, tiling, overviews after the main IFD...) plus tiles of
    256 and, when wanted, overviews on every band."""
    from osgeo_utils.samples import validate_cloud_optimized_geotiff as vcog
    warnings, errors, _ = vcog.validate(path, full_check=True)
    check(not errors, f"{path} is not a valid COG: {errors}")
    ds = gdal.Open(path)
    check(ds.GetMetadataItem("LAYOUT", "IMAGE_STRUCTURE") == "COG", f"{path}: LAYOUT is not COG")
    for i in range(1, ds.RasterCount + 1):
        b = ds.GetRasterBand(i)
        check(b.GetBlockSize() == [256, 256], f"{path} band {i}: blocks {b.GetBlockSize()}, not 256x256")
        if want_overviews:
            check(b.GetOverviewCount() >= 1, f"{path} band {i}: no overviews")
        # the levels the COG driver itself would choose (halving until both sides fit in one tile),
        # and nearest-neighbour overviews: every overview value is one of the band's (a travel
        # time, never an average of several nor of a time and nodata)
        want_n, w, h = 0, ds.RasterXSize, ds.RasterYSize
        while w > 256 or h > 256:
            want_n, w, h = want_n + 1, w // 2, h // 2
        check(b.GetOverviewCount() == want_n, f"{path} band {i}: {b.GetOverviewCount()} overviews, want {want_n}")
        if b.GetOverviewCount():
            full = set(b.ReadAsArray().ravel().tolist())
            for k in range(b.GetOverviewCount()):
                o = b.GetOverview(k)
                extra = set(o.ReadAsArray().ravel().tolist()) - full
                check(not extra, f"{path} band {i} overview {k}: values not in the band: {sorted(extra)[:5]}")
                check(o.XSize == -(-ds.RasterXSize // 2 ** (k + 1)) or o.XSize == ds.RasterXSize // 2 ** (k + 1),
                      f"{path} band {i} overview {k}: {o.XSize} columns for {ds.RasterXSize}")


def check_gpkg_rtrees(path):
    """Every geometry layer of a GeoPackage has its R*Tree spatial index: registered, with its
    triggers, structurally sound (SQLite's rtreecheck), one entry per non-empty geometry with the
    box of that geometry, and the spatial filter answers as a brute-force box test."""
    import sqlite3
    ds = ogr.Open(path)
    con = sqlite3.connect(path)
    layers = [ds.GetLayer(i) for i in range(ds.GetLayerCount())]
    geo = [l for l in layers if l.GetGeomType() != ogr.wkbNone]
    check(geo, f"{path} has no geometry layer")
    for l in geo:
        t, g = l.GetName(), l.GetGeometryColumn()
        rt = f"rtree_{t}_{g}"
        ext = con.execute("SELECT count(*) FROM gpkg_extensions WHERE table_name = ? AND extension_name = 'gpkg_rtree_index'", (t,)).fetchone()[0]
        check(ext == 1, f"{path}: <{t}> has no gpkg_rtree_index extension row")
        trig = {r[0] for r in con.execute("SELECT name FROM sqlite_master WHERE type = 'trigger' AND tbl_name = ?", (t,))}
        for suffix in ("insert", "delete"):
            check(f"{rt}_{suffix}" in trig, f"{path}: trigger {rt}_{suffix} missing (have {sorted(trig)})")
        check(con.execute(f"SELECT rtreecheck('{rt}')").fetchone()[0] == "ok", f"{path}: rtreecheck of {rt} fails")
        boxes = {r[0]: r[1:] for r in con.execute(f'SELECT id, minx, maxx, miny, maxy FROM "{rt}"')}
        feats, geoms = {}, {}
        for f in l:
            gm = f.GetGeometryRef()
            if gm is not None and not gm.IsEmpty():
                feats[f.GetFID()] = gm.GetEnvelope()
                geoms[f.GetFID()] = gm.Clone()
        check(set(boxes) == set(feats), f"{path}: {rt} holds {len(boxes)} entries for {len(feats)} geometries")
        for fid, (x0, x1, y0, y1) in feats.items():
            b = boxes[fid]  # 32-bit floats: rounded outwards by at most one float step
            check(b[0] <= x0 and b[1] >= x1 and b[2] <= y0 and b[3] >= y1 and
                  abs(b[0] - x0) <= 1e-6 * max(1, abs(x0)) and abs(b[3] - y1) <= 1e-6 * max(1, abs(y1)),
                  f"{path}: {rt} box of {fid} is {b}, geometry envelope {(x0, x1, y0, y1)}")
        if feats:  # a window over the lower-left quarter of the layer: index answer = brute force
            x0, x1, y0, y1 = l.GetExtent()
            w = (x0, x0 + (x1 - x0) / 2, y0, y0 + (y1 - y0) / 2)
            want = {fid for fid, e in feats.items() if e[0] <= w[1] and e[1] >= w[0] and e[2] <= w[3] and e[3] >= w[2]}
            got = {r[0] for r in con.execute(f'SELECT id FROM "{rt}" WHERE maxx >= ? AND minx <= ? AND maxy >= ? AND miny <= ?',
                                              (w[0], w[1], w[2], w[3]))}
            check(want <= got, f"{path}: {rt} misses {sorted(want - got)[:5]} in a window query")
            # OGR through the index: the features whose geometry meets the window, tested one by one
            rect = ogr.CreateGeometryFromWkt(f"POLYGON(({w[0]} {w[2]},{w[1]} {w[2]},{w[1]} {w[3]},{w[0]} {w[3]},{w[0]} {w[2]}))")
            exact = {fid for fid in want if geoms[fid].Intersects(rect)}
            l.SetSpatialFilterRect(w[0], w[2], w[1], w[3])
            got_ogr = {f.GetFID() for f in l}
            l.SetSpatialFilter(None)
            check(got_ogr == exact, f"{path}: OGR's spatial filter on <{t}> returns {len(got_ogr)} features, brute force {len(exact)}")
    con.close()


def case_output_formats(tmp):
    """Issue 19: the travel-time raster is a valid COG (GDAL's validator: tiled, overviews, IFD
    order) and every GeoPackage layer has a populated, sound R*Tree spatial index; for coverage
    (villages on a 50 m grid, so that the raster has overviews), siting and a batch's comparison."""
    out = os.path.join(tmp, "cov")
    run(["coverage", "--roads", f"{DEMO}/roads.geojson", "--population", f"{DEMO}/villages.geojson",
         "--facilities", f"{DEMO}/facilities.csv", "--tier-field", "tier", "--admin", f"{DEMO}/townships.geojson",
         "--resolution", "50", "--out", out, "--quiet"])
    check_cog(os.path.join(out, "travel_time.tif"))
    check_gpkg_rtrees(os.path.join(out, "coverage.gpkg"))
    site = os.path.join(tmp, "site")
    run(["site", "--roads", f"{DEMO}/roads.geojson", "--population", f"{DEMO}/population.asc", "--facilities",
         f"{DEMO}/facilities.csv", "--fixed-tiers", "county_hospital", "--admin", f"{DEMO}/townships.geojson",
         "--candidate-roads", "all", "-p", "3", "--minutes", "15", "--out", site, "--quiet"])
    check_gpkg_rtrees(os.path.join(site, "sites.gpkg"))
    batch = os.path.join(tmp, "batch")
    run(["batch", f"{DEMO}/batch.yaml", "--out", batch, "--jobs", "1", "--quiet"])
    check_gpkg_rtrees(os.path.join(batch, "comparison.gpkg"))
    for root, _, files in os.walk(tmp):
        for f in files:
            check(not f.endswith(".tmp"), f"temporary file left: {os.path.join(root, f)}")


def main(cases=None, doc=__doc__):
    """Run the case named on the command line from @p cases (a module's globals)."""
    cases = cases if cases is not None else globals()
    if len(sys.argv) != 2:
        print(doc)
        return 2
    fn = cases.get("case_" + sys.argv[1])
    if not fn:
        print(f"unknown case {sys.argv[1]}")
        return 2
    tmp = tempfile.mkdtemp(prefix="cc-test-")
    # prepared regions (README "Prepared regions and the cache") in a folder of this test's own,
    # never the user's ~/.cache: a case that runs the same inputs twice reads what the first wrote
    cache = tempfile.mkdtemp(prefix="cc-cache-")
    os.environ["XDG_CACHE_HOME"] = cache
    try:
        return run_case(lambda: fn(tmp), tmp)
    finally:
        shutil.rmtree(cache, ignore_errors=True)


def run_case(fn, tmp):
    """The verdict of @fn(): 0 pass, 1 fail (a Fail raised, its message printed), 77 skipped (@fn
    returned SKIP); the folder @tmp is removed in every case."""
    try:
        rc = fn()
        return rc if rc == SKIP else 0
    except Fail as e:
        print(f"FAIL: {e}")
        return 1
    finally:
        shutil.rmtree(tmp, ignore_errors=True)


if __name__ == "__main__":
    sys.exit(main())
