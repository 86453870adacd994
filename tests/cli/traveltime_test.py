#!/usr/bin/python3
"""`carecircle traveltime` (issue 8): the travel-time raster computed in tiles with a halo equals a
whole-region coverage run cell for cell, for every cell reached within the largest threshold (cells
beyond it are nodata in the tiled raster), and its figures equal the coverage summary's.

Usage: traveltime_test.py CASE  (environment: CC_BIN, CC_SRC, optional CC_SHARED_DATA)
Exit 0 = pass, 1 = fail, 77 = skipped with the reason printed.
"""
import json
import os
import sys

import numpy as np
from osgeo import gdal

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import cli_test  # noqa: E402
from cli_test import COMOROS, DEMO, SKIP, Fail, check, expect_error, load_summary, run  # noqa: E402

gdal.UseExceptions()
NODATA = -9999.0


def bands(path):
    ds = gdal.Open(path)
    return [ds.GetRasterBand(k).ReadAsArray().astype(np.float64) for k in range(1, ds.RasterCount + 1)], ds


def differences(whole, tiled, tmax):
    """Per band: (cells with a time within tmax in either raster, cells that differ)."""
    a, da = bands(whole)
    b, db = bands(tiled)
    check(len(a) == len(b), f"{len(a)} bands in the whole-region raster, {len(b)} in the tiled one")
    check((da.RasterXSize, da.RasterYSize) == (db.RasterXSize, db.RasterYSize), "rasters differ in size")
    check(da.GetGeoTransform() == db.GetGeoTransform(), "rasters differ in georeferencing")
    out = []
    for x, y in zip(a, b):
        x = np.where(x > tmax + 1e-9, NODATA, x)  # beyond T_max: "beyond" in the tiled raster
        out.append((int(((x != NODATA) | (y != NODATA)).sum()), int((x != y).sum())))
    return out


def compare_figures(cov, tt):
    for key in ("population_total", "population_no_road_access"):
        check(abs(cov[key] - tt[key]) <= 1e-6 * max(1.0, cov[key]), f"{key}: coverage {cov[key]}, tiled {tt[key]}")
    check(cov["population_within_min"].keys() == tt["population_within_min"].keys(), "thresholds differ")
    for m, a in cov["population_within_min"].items():
        b = tt["population_within_min"][m]
        check(abs(a - b) <= 1e-6 * max(1.0, a), f"population within {m} min: coverage {a}, tiled {b}")
    a = cov["population_beyond_max"] + cov["population_unreachable"]
    b = tt["population_beyond_max_or_unreachable"]
    check(abs(a - b) <= 1e-6 * max(1.0, a), f"population beyond the largest threshold: coverage {a}, tiled {b}")


def tiled_equals_whole(tmp, inputs, minutes, tile, crs=None):
    extra = ["--crs", crs] if crs else []
    cov = os.path.join(tmp, "whole")
    run(["coverage"] + inputs + ["--minutes", minutes, "--out", cov, "--quiet"] + extra)
    tt = os.path.join(tmp, "tiled")
    p = run(["traveltime"] + inputs + ["--minutes", minutes, "--tile", str(tile), "--out", tt] + extra)
    print(p.stdout.strip())
    tmax = float(minutes.split(",")[-1])
    diff = differences(os.path.join(cov, "travel_time.tif"), os.path.join(tt, "travel_time.tif"), tmax)
    for k, (n, d) in enumerate(diff):
        print(f"band {k + 1}: {n} cells with a time within {tmax:g} min, {d} differ")
        check(n > 0, f"band {k + 1} has no cell within {tmax:g} min: the comparison proves nothing")
        check(d == 0, f"band {k + 1}: {d} cells differ between the tiled and the whole-region raster")
    s = load_summary(tt)
    check(s["tiling"]["tiles"] > 4, f"only {s['tiling']['tiles']} tiles: the halo is not exercised")
    compare_figures(load_summary(cov), s)
    return cov, tt


DEMO_IN = ["--roads", f"{DEMO}/roads.geojson", "--population", f"{DEMO}/population.asc",
           "--facilities", f"{DEMO}/facilities.csv", "--tier-field", "tier"]


def case_demo(tmp):
    cov, _ = tiled_equals_whole(tmp, DEMO_IN, "5,10", 32)
    # the same comparison must catch a halo that is too small (2 km against 19 km)
    small = os.path.join(tmp, "small")
    run(["traveltime"] + DEMO_IN + ["--minutes", "5,10", "--tile", "32", "--halo-km", "2", "--out", small, "--quiet"])
    diff = differences(os.path.join(cov, "travel_time.tif"), os.path.join(small, "travel_time.tif"), 10)
    print(f"with a 2 km halo: {sum(d for _, d in diff)} cells differ")
    check(sum(d for _, d in diff) > 0, "a 2 km halo gave the same raster: the comparison cannot fail")
    # one tile covering everything is the whole-region run
    one = os.path.join(tmp, "one")
    run(["traveltime"] + DEMO_IN + ["--minutes", "5,10", "--tile", "1024", "--out", one, "--quiet"])
    check(all(d == 0 for _, d in differences(os.path.join(cov, "travel_time.tif"), os.path.join(one, "travel_time.tif"), 10)),
          "a single tile differs from the whole-region run")


def case_comoros(tmp):
    pbf = os.path.join(COMOROS, "comores-2021-04-08.osm.pbf")
    if not os.path.exists(pbf):
        print(f"skipped: {COMOROS} is absent (real data in ../shared/data)")
        return SKIP
    inputs = ["--roads", pbf, "--population", f"{COMOROS}/com_ppp_2020_UNadj.tif",
              "--facilities", f"{COMOROS}/who_public_health_facilities_comoros.csv",
              "--tiers", "1=health_post,2=health_centre,3=hospital,4=hospital"]
    tiled_equals_whole(tmp, inputs, "10,20", 128, crs="EPSG:32738")


def case_bad_inputs(tmp):
    expect_error(tmp, ["traveltime"] + DEMO_IN[:2] + ["--population", f"{DEMO}/villages.geojson"] + DEMO_IN[4:],
                 3, "villages.geojson", "raster")
    expect_error(tmp, ["traveltime"] + DEMO_IN + ["--speed-field", "maxspeed"], 2, "--halo-km")
    expect_error(tmp, ["traveltime"] + DEMO_IN + ["--tile", "4"], 2, "--tile")
    expect_error(tmp, ["traveltime"] + DEMO_IN + ["--minutes", "30,10"], 2, "ascending")
    expect_error(tmp, ["traveltime"] + DEMO_IN + ["--admin", f"{DEMO}/townships.geojson"], 2, "--admin")


if __name__ == "__main__":
    sys.exit(cli_test.main(globals(), __doc__))
