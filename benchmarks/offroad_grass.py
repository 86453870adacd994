#!/usr/bin/python3
"""carecircle's friction model against GRASS r.cost -k (AccessMod's engine), issue 16.

Isotropic friction, no roads, the same grid and start cells. Convention that makes them
comparable: r.cost's input is the cost of crossing one cell width (its moves cost the mean of the
cells passed times 1, sqrt 2 or sqrt 5 cell widths), so it gets carecircle's seconds per metre
times the cell size; both then give seconds. GRASS is installed only for this benchmark
(Debian grass-core), never in CI.

With --walk: slope instead of friction, side by side with GRASS r.walk -k (a different formula, so
the difference is reported, not agreement). Both walk on the same DEM (smooth hills) with no other
friction: carecircle's Tobler hiking function on the profile's walking speed, r.walk's Aitken-Langmuir
energy formula with its default coefficients (0.72 s per metre on the flat, 6 s per metre climbed,
+1.9998 / -1.9998 s per metre of moderate / steep descent, slope factor -0.2125). Direction: r.walk
walks away from its start points; carecircle's coverage walks towards the facility, so it gets the
negated DEM, on which every path reversed has the same slopes in the same order (S = (z_b - z_a) / d
read backwards on -z): both then give the time from the facility outward.

The machine may be shared: besides wall-clock seconds, both searches are timed in CPU seconds
(r.cost under /usr/bin/time, user + system; carecircle's single search by benchmarks/bench_hybrid
on the same friction raster and start cells, the search alone), which other work does not inflate.

Usage: benchmarks/offroad_grass.py [--size N] [--bin build/carecircle] [--bench build/benchmarks/bench_hybrid]
       [--bench-before OTHER_bench_hybrid] [--walk]
(prints a Markdown table)
"""
import argparse
import json
import os
import shutil
import subprocess
import tempfile
import time

import numpy as np
from osgeo import gdal, osr

gdal.UseExceptions()


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--size", type=int, default=1000)
    ap.add_argument("--bin", default="build/carecircle")
    ap.add_argument("--res", type=float, default=30.0)
    ap.add_argument("--walk", action="store_true", help="slope with a DEM, against r.walk -k")
    ap.add_argument("--bench", default="build/benchmarks/bench_hybrid", help="bench_hybrid (CC_BUILD_BENCHMARKS=ON): the search alone in CPU time")
    ap.add_argument("--bench-before", help="another bench_hybrid (e.g. built from an earlier commit), timed in the same run for a before/after row")
    a = ap.parse_args()
    if not shutil.which("grass"):
        print("skipped: GRASS is not installed (apt-get install grass-core)")
        return 0
    n, res = a.size, a.res
    tmp = tempfile.mkdtemp(prefix="cc-grass-")
    srs = osr.SpatialReference()
    srs.ImportFromEPSG(32633)
    x0, y0 = 500000.0, 4500000.0
    gt = (x0, res, 0, y0, 0, -res)
    rng = np.random.default_rng(7)
    # smooth speeds between 2 and 5 km/h, a few impassable blocks
    base = rng.normal(size=(n // 20 + 2, n // 20 + 2))
    kmh = np.kron(base, np.ones((20, 20)))[:n, :n]
    kmh = 2 + 3 * (kmh - kmh.min()) / (kmh.max() - kmh.min())
    spm = 3.6 / kmh
    spm[n // 3:n // 3 + 5, n // 10:n - n // 10] = np.nan
    mpm = np.where(np.isnan(spm), -1, spm / 60.0).astype(np.float32)  # minutes per metre

    def tif(path, arr, nodata):
        ds = gdal.GetDriverByName("GTiff").Create(path, n, n, 1, gdal.GDT_Float32)
        ds.SetGeoTransform(gt)
        ds.SetProjection(srs.ExportToWkt())
        ds.GetRasterBand(1).SetNoDataValue(nodata)
        ds.GetRasterBand(1).WriteArray(arr)
        ds.FlushCache()
        ds = None

    if a.walk:
        return walk(a, tmp, n, res, gt, srs, rng, tif)
    tif(os.path.join(tmp, "friction.tif"), mpm, -1)
    tif(os.path.join(tmp, "pop.tif"), np.ones((n, n), np.float32), -1)
    # r.cost input: seconds per cell width (the same float32 friction, converted exactly once)
    sec_cell = np.where(mpm < 0, np.nan, mpm.astype(np.float64) * 60.0 * res)
    tif(os.path.join(tmp, "cost.tif"), np.where(np.isnan(sec_cell), -1, sec_cell).astype(np.float64), -1)
    xy = starts_and_road(tmp, n, res, x0, y0, srs)
    out = os.path.join(tmp, "cc")
    t0 = time.time()
    subprocess.run([a.bin, "coverage", "--roads", os.path.join(tmp, "roads.geojson"), "--population", os.path.join(tmp, "pop.tif"),
                    "--facilities", os.path.join(tmp, "fac.csv"), "--crs", "EPSG:32633", "--offroad", "friction", "--friction",
                    os.path.join(tmp, "friction.tif"), "--neighbours", "16", "--minutes", "1", "--threads", "1", "--lang", "en",
                    "--out", out, "--quiet"], check=True, capture_output=True)
    t_cc_run = time.time() - t0
    s = json.load(open(os.path.join(out, "summary.json")))
    t_cc_search = s["offroad"]["t_search_s"]
    # GRASS: import, r.cost -k from the same cell centres, export
    script = os.path.join(tmp, "grass.sh")
    with open(script, "w") as f:
        f.write(f"""set -e
r.in.gdal input={tmp}/cost.tif output=cost --quiet
g.region raster=cost
echo "{chr(10).join(f'{x},{y}' for x, y in xy)}" | v.in.ascii input=- output=starts separator=comma x=1 y=2 --quiet
START=$(date +%s.%N)
/usr/bin/time -f "RCOST_CPU %U %S" r.cost -k input=cost output=acc start_points=starts --quiet 2>&1
END=$(date +%s.%N)
echo "RCOST_SECONDS $(echo "$END - $START" | bc)"
r.out.gdal input=acc output={tmp}/rcost.tif format=GTiff type=Float64 --quiet -f
""")
    g = subprocess.run(["grass", "--tmp-location", "EPSG:32633", "--exec", "bash", script], capture_output=True, text=True)
    if g.returncode != 0:
        print(g.stdout, g.stderr)
        return 1
    t_rcost = float([ln for ln in g.stdout.splitlines() if ln.startswith("RCOST_SECONDS")][0].split()[1])
    cpu = [ln for ln in g.stdout.splitlines() if ln.startswith("RCOST_CPU")][0].split()
    t_rcost_cpu = float(cpu[1]) + float(cpu[2])
    def bench(path):  # the same raster and start cells, the search alone in CPU seconds (median of 3) and the labels' digest
        starts = [(n // 5, n // 5), (n // 2, n // 2), (4 * n // 5, n // 7)]
        b = subprocess.run([path, os.path.join(tmp, "friction.tif"), "3"] + [f"{c},{r}" for c, r in starts], check=True, capture_output=True, text=True)
        return float(b.stdout.split("search ")[1].split(" s of CPU")[0]), b.stdout.split("digest ")[1].split()[0]

    t_cc_cpu = t_before_cpu = None
    if os.path.exists(a.bench):
        t_cc_cpu, digest = bench(a.bench)
    if a.bench_before and t_cc_cpu is not None:
        t_before_cpu, digest_before = bench(a.bench_before)
    cc_ds = gdal.Open(os.path.join(out, "offroad.tif"))
    cc = cc_ds.GetRasterBand(1).ReadAsArray().astype(np.float64)
    rc_ds = gdal.Open(os.path.join(tmp, "rcost.tif"))
    rc = rc_ds.GetRasterBand(1).ReadAsArray()
    rc_nd = rc_ds.GetRasterBand(1).GetNoDataValue()
    cc_ok = cc != -9999
    rc_ok = np.isfinite(rc) & ((rc != rc_nd) if rc_nd is not None else True)
    both = cc_ok & rc_ok
    d_ms = np.abs(cc[both] * 60000.0 - rc[both] * 1000.0)
    cells = n * n
    print(f"| grid | {n} x {n} cells of {res:g} m, isotropic friction, 16 neighbours (r.cost -k), 3 start cells |")
    print("| --- | --- |")
    print(f"| cells with a time | carecircle {int(cc_ok.sum()):,}, r.cost {int(rc_ok.sum()):,}, in one and not the other {int((cc_ok ^ rc_ok).sum()):,} |")
    print(f"| largest difference | {d_ms.max():.3f} ms (median {np.median(d_ms):.4f} ms; times up to {rc[both].max() / 60:.0f} min) |")
    print(f"| r.cost -k (search only, one thread) | {t_rcost:.2f} s = {t_rcost / cells * 1e9:.0f} ns per cell |")
    print(f"| carecircle search (one thread) | {t_cc_search:.2f} s = {t_cc_search / cells * 1e9:.0f} ns per cell; ratio r.cost / carecircle {t_rcost / t_cc_search:.1f} |")
    print(f"| carecircle whole run (read, search, write COGs and GeoPackage) | {t_cc_run:.2f} s |")
    print(f"| r.cost -k CPU time (user + system) | {t_rcost_cpu:.2f} s = {t_rcost_cpu / cells * 1e9:.0f} ns per cell |")
    if t_cc_cpu is not None:
        print(f"| carecircle search CPU time (bench_hybrid, the same raster and start cells) | {t_cc_cpu:.3f} s = {t_cc_cpu / cells * 1e9:.0f} ns per cell; "
              f"ratio r.cost / carecircle {t_rcost_cpu / t_cc_cpu:.1f} |")
    if t_before_cpu is not None:
        print(f"| the same with {a.bench_before} | {t_before_cpu:.3f} s = {t_before_cpu / cells * 1e9:.0f} ns per cell; "
              f"ratio r.cost / carecircle {t_rcost_cpu / t_before_cpu:.1f}; labels' digest {'the same' if digest_before == digest else 'DIFFERENT'} ({digest}) |")
    shutil.rmtree(tmp, ignore_errors=True)
    return 0


def starts_and_road(tmp, n, res, x0, y0, srs):
    """Three start cells (centres) as fac.csv in lon/lat, and a road far away (the run needs one)."""
    starts = [(n // 5, n // 5), (n // 2, n // 2), (4 * n // 5, n // 7)]
    t_src = osr.SpatialReference()
    t_src.ImportFromEPSG(4326)
    t_src.SetAxisMappingStrategy(osr.OAMS_TRADITIONAL_GIS_ORDER)
    srs.SetAxisMappingStrategy(osr.OAMS_TRADITIONAL_GIS_ORDER)
    ct = osr.CoordinateTransformation(srs, t_src)
    xy = [(x0 + (c + 0.5) * res, y0 - (r + 0.5) * res) for c, r in starts]
    with open(os.path.join(tmp, "fac.csv"), "w") as f:
        f.write("name,lon,lat\n")
        for i, (x, y) in enumerate(xy):
            lo, la = ct.TransformPoint(x, y)[:2]
            f.write(f"S{i},{lo:.12f},{la:.12f}\n")
    far = [ct.TransformPoint(x0 + 200000, y0 + 200000)[:2], ct.TransformPoint(x0 + 200500, y0 + 200000)[:2]]
    with open(os.path.join(tmp, "roads.geojson"), "w") as f:
        json.dump({"type": "FeatureCollection", "features": [{"type": "Feature", "properties": {"highway": "primary"},
                   "geometry": {"type": "LineString", "coordinates": [list(p) for p in far]}}]}, f)
    return xy


def walk(a, tmp, n, res, gt, srs, rng, tif):
    """Slope: carecircle (Tobler) against r.walk -k on the same DEM, no other friction."""
    x0, y0 = gt[0], gt[3]
    hills = rng.normal(size=(n // 50 + 3, n // 50 + 3))
    z = np.kron(hills, np.ones((50, 50)))[:n, :n]
    # smooth the blocks into hills (a separable moving average of 51 cells, twice)
    k = np.ones(51) / 51.0
    for _ in range(2):
        z = np.apply_along_axis(lambda v: np.convolve(v, k, mode="same"), 0, z)
        z = np.apply_along_axis(lambda v: np.convolve(v, k, mode="same"), 1, z)
    z = 400.0 * (z - z.min()) / (z.max() - z.min())  # 0-400 m of relief
    gy, gx = np.gradient(z, res)
    slope = np.hypot(gx, gy)
    tif(os.path.join(tmp, "dem.tif"), z.astype(np.float32), -99999)
    tif(os.path.join(tmp, "dem_neg.tif"), (-z).astype(np.float32), -99999)
    tif(os.path.join(tmp, "pop.tif"), np.ones((n, n), np.float32), -1)
    tif(os.path.join(tmp, "zero.tif"), np.zeros((n, n), np.float32), -1)
    xy = starts_and_road(tmp, n, res, x0, y0, srs)
    out = os.path.join(tmp, "cc")
    t0 = time.time()
    subprocess.run([a.bin, "coverage", "--roads", os.path.join(tmp, "roads.geojson"), "--population", os.path.join(tmp, "pop.tif"),
                    "--facilities", os.path.join(tmp, "fac.csv"), "--crs", "EPSG:32633", "--offroad", "friction", "--dem",
                    os.path.join(tmp, "dem_neg.tif"), "--neighbours", "16", "--minutes", "1", "--threads", "1", "--lang", "en",
                    "--profile", "walk", "--out", out, "--quiet"], check=True, capture_output=True)
    t_cc_run = time.time() - t0
    s = json.load(open(os.path.join(out, "summary.json")))
    t_cc_search = s["offroad"]["t_search_s"]
    script = os.path.join(tmp, "grass.sh")
    with open(script, "w") as f:
        f.write(f"""set -e
r.in.gdal input={tmp}/dem.tif output=dem --quiet
r.in.gdal input={tmp}/zero.tif output=zero --quiet
g.region raster=dem
echo "{chr(10).join(f'{x},{y}' for x, y in xy)}" | v.in.ascii input=- output=starts separator=comma x=1 y=2 --quiet
START=$(date +%s.%N)
r.walk -k elevation=dem friction=zero output=acc start_points=starts --quiet
END=$(date +%s.%N)
echo "RWALK_SECONDS $(echo "$END - $START" | bc)"
r.out.gdal input=acc output={tmp}/rwalk.tif format=GTiff type=Float64 --quiet -f
""")
    g = subprocess.run(["grass", "--tmp-location", "EPSG:32633", "--exec", "bash", script], capture_output=True, text=True)
    if g.returncode != 0:
        print(g.stdout, g.stderr)
        return 1
    t_rwalk = float([ln for ln in g.stdout.splitlines() if ln.startswith("RWALK_SECONDS")][0].split()[1])
    cc_ds = gdal.Open(os.path.join(out, "offroad.tif"))  # kept: a band outlives no dataset
    cc = cc_ds.GetRasterBand(1).ReadAsArray().astype(np.float64)
    rw_ds = gdal.Open(os.path.join(tmp, "rwalk.tif"))
    rw = rw_ds.GetRasterBand(1).ReadAsArray() / 60.0  # minutes
    rw_nd = rw_ds.GetRasterBand(1).GetNoDataValue()
    both = (cc != -9999) & np.isfinite(rw) & ((rw * 60.0 != rw_nd) if rw_nd is not None else True) & (rw > 0)
    d = cc[both] - rw[both]
    rel = d / rw[both]
    flat = both & (slope < 0.02)
    cells = n * n
    print(f"| grid | {n} x {n} cells of {res:g} m, DEM 0-400 m (slopes: median {100 * np.median(slope):.1f} %, 95th pct "
          f"{100 * np.percentile(slope, 95):.1f} %), no other friction, 16 neighbours, 3 start cells, times from the start cells outward |")
    print("| --- | --- |")
    print(f"| cells with a time in both | {int(both.sum()):,} |")
    print(f"| carecircle - r.walk, minutes | median {np.median(d):+.1f}, 5th-95th pct {np.percentile(d, 5):+.1f} to "
          f"{np.percentile(d, 95):+.1f}, largest |d| {np.abs(d).max():.1f} (times up to {rw[both].max():.0f} min) |")
    print(f"| relative, (carecircle - r.walk) / r.walk | median {100 * np.median(rel):+.1f} %, 5th-95th pct "
          f"{100 * np.percentile(rel, 5):+.1f} % to {100 * np.percentile(rel, 95):+.1f} % |")
    print(f"| correlation of the two times | {np.corrcoef(cc[both], rw[both])[0, 1]:.4f} |")
    if flat.any():
        print(f"| cells on slopes under 2 % ({int(flat.sum()):,}) | median relative difference {100 * np.median((cc[flat] - rw[flat]) / rw[flat]):+.1f} % "
              f"(on the flat 5 km/h against r.walk's 0.72 s/m = 5.0 km/h) |")
    print(f"| r.walk -k (search only, one thread) | {t_rwalk:.2f} s = {t_rwalk / cells * 1e9:.0f} ns per cell |")
    print(f"| carecircle search (one thread) | {t_cc_search:.2f} s = {t_cc_search / cells * 1e9:.0f} ns per cell; ratio r.walk / carecircle "
          f"{t_rwalk / t_cc_search:.1f} |")
    print(f"| carecircle whole run (read, search, write COGs and GeoPackage) | {t_cc_run:.2f} s |")
    shutil.rmtree(tmp, ignore_errors=True)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
