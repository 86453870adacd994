#!/usr/bin/python3
"""The off-road friction model (issue 16) against the independent reference
tests/reference/offroad_ref.py (scipy Dijkstra on an explicit cell graph), cell for cell.

Usage: offroad_test.py CASE  (environment: CC_BIN, CC_SRC). Exit 0 pass, 1 fail, 77 skipped.
"""
import itertools
import json
import math
import os
import sys

import numpy as np
from osgeo import gdal, ogr, osr

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "reference"))
import cli_test  # noqa: E402
import offroad_ref  # noqa: E402
from cli_test import COMOROS, SKIP, Fail, check, expect_error, run  # noqa: E402

gdal.UseExceptions()
ogr.UseExceptions()

PROFILE = """name: walk_test
speeds_kmh: {residential: 30, primary: 60}
offroad_speed_kmh: 5
landcover_kmh: {"1": 5.0, "2": 2.5, "3": 0}
"""


def write_tif(path, arr, gt, wkt, dtype=gdal.GDT_Float32, nodata=None):
    h, w = arr.shape
    ds = gdal.GetDriverByName("GTiff").Create(path, w, h, 1, dtype)
    ds.SetGeoTransform(gt)
    ds.SetProjection(wkt)
    b = ds.GetRasterBand(1)
    if nodata is not None:
        b.SetNoDataValue(nodata)
    b.WriteArray(arr)
    ds = None


def lonlat(epsg, pts):
    s = osr.SpatialReference()
    s.ImportFromEPSG(epsg)
    t = osr.SpatialReference()
    t.ImportFromEPSG(4326)
    t.SetAxisMappingStrategy(osr.OAMS_TRADITIONAL_GIS_ORDER)
    s.SetAxisMappingStrategy(osr.OAMS_TRADITIONAL_GIS_ORDER)
    ct = osr.CoordinateTransformation(s, t)
    return [ct.TransformPoint(x, y)[:2] for x, y in pts]


def write_roads(path, lines_ll, cls="residential", ids=None):
    """GeoJSON lines in lon/lat with a highway class (and an osm_id when given)."""
    feats = []
    for i, ln in enumerate(lines_ll):
        props = {"highway": cls}
        if ids:
            props["osm_id"] = ids[i]
        feats.append({"type": "Feature", "id": ids[i] if ids else i, "properties": props,
                      "geometry": {"type": "LineString", "coordinates": [list(p) for p in ln]}})
    with open(path, "w") as f:
        json.dump({"type": "FeatureCollection", "features": feats}, f)


def write_facilities(path, pts_ll):
    with open(path, "w") as f:
        f.write("name,lon,lat\n")
        for i, (lo, la) in enumerate(pts_ll):
            f.write(f"F{i},{lo:.12f},{la:.12f}\n")


def read_band(path, band=1):
    ds = gdal.Open(path)
    b = ds.GetRasterBand(band)
    return b.ReadAsArray().astype(np.float64), b.GetNoDataValue()


def compare(cc_min, nodata, ref_s, what, tol_ms=1.0):
    """cc minutes (nodata where unreached) against reference seconds, cell for cell."""
    ref_ms = ref_s.reshape(cc_min.shape) * 1000.0
    cc_reached = cc_min != nodata
    ref_reached = np.isfinite(ref_ms)
    bad = np.argwhere(cc_reached != ref_reached)
    check(len(bad) == 0, f"{what}: {len(bad)} cells reached by one and not the other, first {bad[:3].tolist()}")
    d = np.abs(cc_min[cc_reached] * 60000.0 - ref_ms[ref_reached])
    worst = float(d.max()) if d.size else 0.0
    check(worst <= tol_ms, f"{what}: largest difference {worst:.3f} ms over {tol_ms} ms")
    return worst, int(cc_reached.sum())


# ---- a synthetic valley ---------------------------------------------------------------------

W, H, RES, X0, Y0, EPSG = 40, 30, 30.0, 500000.0, 4500000.0, 32633


def synthetic(tmp):
    s = osr.SpatialReference()
    s.ImportFromEPSG(EPSG)
    wkt = s.ExportToWkt()
    gt = (X0, RES, 0, Y0, 0, -RES)
    rows, cols = np.mgrid[0:H, 0:W]
    x, y = cols * RES, rows * RES
    rng = np.random.default_rng(16)
    z = 80 * np.sin(x / 200.0) + 60 * np.cos(y / 150.0) + 0.8 * x + rng.normal(0, 3, (H, W))
    z[5, 33] = np.nan  # a DEM hole: impassable
    z = z.astype(np.float32).astype(np.float64)  # as stored in the GeoTIFF both sides read
    lc = np.ones((H, W), np.uint8)
    lc[:, 18:21] = 2          # a band of slow cover
    lc[0:22, 26] = 3          # a wall (speed 0) with a gap at the bottom
    lc[12:17, 5] = 3          # a closed pocket: rows 12-16, columns 5-9
    lc[12:17, 9] = 3
    lc[12, 5:10] = 3
    lc[16, 5:10] = 3
    pop = np.ones((H, W), np.float32)
    paths = {k: os.path.join(tmp, k) for k in ("dem.tif", "lc.tif", "pop.tif", "roads.geojson", "fac.csv", "walk.yaml")}
    write_tif(paths["dem.tif"], np.where(np.isnan(z), -9999, z).astype(np.float32), gt, wkt, nodata=-9999)
    write_tif(paths["lc.tif"], lc, gt, wkt, gdal.GDT_Byte)
    write_tif(paths["pop.tif"], pop, gt, wkt, nodata=-1)
    # a road far outside the grid: the pure off-road case
    write_roads(paths["roads.geojson"], [lonlat(EPSG, [(X0 + 20000, Y0 + 20000), (X0 + 20500, Y0 + 20000)])])
    fac_cells = [(3, 4), (36, 25)]  # (column, row)
    write_facilities(paths["fac.csv"], lonlat(EPSG, [(X0 + (c + 0.5) * RES, Y0 - (r + 0.5) * RES) for c, r in fac_cells]))
    with open(paths["walk.yaml"], "w") as f:
        f.write(PROFILE)
    kmh = np.array([0, 5.0, 2.5, 0.0])[lc]
    with np.errstate(divide="ignore"):
        spm = np.where(kmh > 0, 3.6 / kmh, np.inf)
    spm[np.isnan(z)] = np.inf
    ex, ny = offroad_ref.cell_sizes(gt, H, False)
    return paths, spm, z, ex, ny, [r * W + c for c, r in fac_cells]


def synthetic_friction(tmp):
    """synthetic()'s surface as an external friction raster in minutes per metre (nodata -1:
    impassable): paths, the minutes per metre, the raster's path, ex, ny, src."""
    paths, spm, z, ex, ny, src = synthetic(tmp)
    mpm = np.where(np.isfinite(spm), spm / 60.0, -1).astype(np.float32)
    s = osr.SpatialReference()
    s.ImportFromEPSG(EPSG)
    fr = os.path.join(tmp, "friction.tif")
    write_tif(fr, mpm, (X0, RES, 0, Y0, 0, -RES), s.ExportToWkt(), nodata=-1)
    return paths, mpm, fr, ex, ny, src


def scenario_head(name):
    """The start of a scenario named @name on synthetic()'s files (walking profile)."""
    return f"""name: {name}
inputs:
  roads: roads.geojson
  population: pop.tif
  facilities: fac.csv
crs: EPSG:{EPSG}
profile: walk.yaml
"""


def cc_args(paths, out, *extra):
    return ["coverage", "--roads", paths["roads.geojson"], "--population", paths["pop.tif"], "--facilities", paths["fac.csv"],
            "--crs", f"EPSG:{EPSG}", "--profile", paths["walk.yaml"], "--offroad", "friction", "--out", out, "--quiet",
            "--lang", "en"] + list(extra)


def case_reference_dem(tmp):
    """Synthetic DEM + land-cover classes: 16 and 8 neighbours equal the reference cell for cell."""
    paths, spm, z, ex, ny, src = synthetic(tmp)
    results = {}
    for nb in (16, 8):
        out = os.path.join(tmp, f"o{nb}")
        run(cc_args(paths, out, "--dem", paths["dem.tif"], "--landcover", paths["lc.tif"], "--neighbours", str(nb)))
        ref = offroad_ref.offroad_times(spm, z, ex, ny, nb, src)
        # populated impassable cells take the nearest passable cell's time plus the walk (the default rule)
        ref_p, moved = offroad_ref.impassable_nearest(ref, spm, ex, ny)
        tt, nd = read_band(os.path.join(out, "travel_time.tif"))
        worst, n = compare(tt, nd, ref_p, f"travel_time.tif, {nb} neighbours")
        full, nd2 = read_band(os.path.join(out, "offroad.tif"))
        compare(full, nd2, ref, f"offroad.tif, {nb} neighbours", tol_ms=0.6)
        results[nb] = ref
        print(f"{nb} neighbours: {n} cells equal the reference, largest difference {worst:.3f} ms")
        s = cli_test.load_summary(out)
        o = s["offroad"]
        check(o["model"] == "friction" and o["neighbours"] == nb, f"summary.json offroad: {o}")
        check(o["inputs_cell_for_cell"] is True, "inputs on the population grid were not read cell for cell")
        n_block = int(np.sum(~np.isfinite(spm)))
        check(n_block - len(moved) == 0 and len(moved) > 20, f"the reference moves {len(moved)} of {n_block} impassable cells: a weak test")
        check(abs(o["population_impassable_cell"] - (n_block - len(moved))) < 1e-6, f"impassable {o['population_impassable_cell']} != {n_block - len(moved)}")
        im = o["impassable_population"]
        check(im["rule"] == "nearest" and abs(im["population_moved"] - len(moved)) < 1e-6 and im["cells_moved"] == len(moved)
              and abs(im["farthest_move_m"] - max(d for _, d in moved.values())) < 0.05, f"summary.json impassable_population {im}")
        # the 3x3 pocket, and the wall cells whose nearest passable cell lies in it (ties to the first in row order)
        n_enc = 9 + sum(1 for b, _ in moved.values() if not np.isfinite(ref[b]))
        check(n_enc > 9, "no wall cell moved into the pocket: a weak test")
        check(abs(o["population_barrier_enclosed"] - n_enc) < 1e-6, f"enclosed {o['population_barrier_enclosed']} != {n_enc}")
        check(abs(o["mean_road_minutes"]) < 1e-9, "no road in reach, yet a road part")
        acc = s["population_within_min"]["60"] + s["population_beyond_max"] + s["population_no_road_access"] + s["population_unreachable"]
        check(abs(acc - s["population_total"]) < 1e-6, "accounting identity")
    # results do not depend on the thread count (reach is computed per facility on several threads)
    one = os.path.join(tmp, "t1")
    run(cc_args(paths, one, "--dem", paths["dem.tif"], "--landcover", paths["lc.tif"], "--threads", "1"))
    two = os.path.join(tmp, "t2")
    run(cc_args(paths, two, "--dem", paths["dem.tif"], "--landcover", paths["lc.tif"], "--threads", "2"))

    def reach(out):
        ds = ogr.Open(os.path.join(out, "coverage.gpkg"))
        lyr = ds.GetLayerByName("facilities")
        return [(f.GetField("reach_le_15"), f.GetField("reach_le_60")) for f in lyr]

    r1, r2 = reach(one), reach(two)
    check(r1 == r2, f"reach differs between 1 and 2 threads: {r1} {r2}")
    check(r1[0][1] > 100, f"facility reach looks empty: {r1}")
    check(np.array_equal(read_band(os.path.join(one, "offroad.tif"))[0], read_band(os.path.join(two, "offroad.tif"))[0]),
          "offroad.tif differs between 1 and 2 threads")
    # the comparison can fail: slope, knight's moves and cover all change the answer
    flat = offroad_ref.offroad_times(spm, None, ex, ny, 16, src)
    fin = np.isfinite(flat)
    check(np.max(np.abs(flat[fin] - results[16][fin])) > 10, "the DEM does not change the reference: a weak test")
    check(np.max(np.abs(results[8][fin] - results[16][fin])) > 1, "8 and 16 neighbours agree: a weak test")
    # anisotropy: walking up to a facility on a hill is not walking down from it
    up = offroad_ref.offroad_times(spm, -z, ex, ny, 16, src)
    check(np.max(np.abs(up[fin] - results[16][fin])) > 10, "mirrored slopes give the same times")


def case_reference_road(tmp):
    """A road across the valley (and across the wall of impassable cover) with the cells: equal to
    the reference with the road's transfer points, cell for cell; the road makes far cells faster."""
    paths, spm, z, ex, ny, src = synthetic(tmp)
    row, c0, c1 = 10, 2, 37
    y = Y0 - (row + 0.5) * RES
    write_roads(paths["roads.geojson"], [lonlat(EPSG, [(X0 + (c0 + 0.5) * RES, y), (X0 + (c1 + 0.5) * RES, y)])], "primary")
    length = (c1 - c0) * RES
    arc_s = round(length / (60 / 3.6) * 1000) / 1000  # primary 60 km/h, whole milliseconds
    pts = [(None, 0.0), (row * W + c0, RES / 4)]
    pts += [(row * W + c, (c - c0) * RES) for c in range(c0 + 1, c1)]
    pts += [(row * W + c1, length - RES / 4), (None, length)]
    out = os.path.join(tmp, "o")
    run(cc_args(paths, out, "--dem", paths["dem.tif"], "--landcover", paths["lc.tif"]))
    ref = offroad_ref.offroad_times_with_roads(spm, z, ex, ny, 16, src, [(pts, arc_s)])
    tt, nd = read_band(os.path.join(out, "travel_time.tif"))
    worst, n = compare(tt, nd, offroad_ref.impassable_nearest(ref, spm, ex, ny)[0], "with a road")
    walk = offroad_ref.offroad_times(spm, z, ex, ny, 16, src)
    fin = np.isfinite(walk) & np.isfinite(ref)
    gain = np.max(walk[fin] - ref[fin])
    check(gain > 60, f"the road saves at most {gain:.1f} s: a weak test")
    road, _ = read_band(os.path.join(out, "offroad.tif"), 2)
    check(np.max(road) > 0.5, "no cell's time has a road part")
    s = cli_test.load_summary(out)
    check(s["offroad"]["transfer_points"] == len(pts) - 2 - int(np.sum(~np.isfinite(spm[row, c0:c1 + 1]))),
          f"transfer points {s['offroad']['transfer_points']}")
    print(f"with a road: {n} cells equal the reference, largest difference {worst:.3f} ms; the road saves up to {gain / 60:.1f} min")


def case_bad_inputs(tmp):
    paths, *_ = synthetic(tmp)
    expect_error(tmp, cc_args(paths, os.path.join(tmp, "b1"), "--neighbours", "12"), 2, "--neighbours")
    expect_error(tmp, cc_args(paths, os.path.join(tmp, "b2"), "--dem", os.path.join(tmp, "nope.tif")), 4, "nope.tif")
    expect_error(tmp, cc_args(paths, os.path.join(tmp, "b3"), "--friction", paths["dem.tif"], "--dem", paths["dem.tif"]), 2,
                 "--friction")
    expect_error(tmp, cc_args(paths, os.path.join(tmp, "b4"), "--landcover", f"Forest={paths['lc.tif']}"), 2, "Forest")
    a = cc_args(paths, os.path.join(tmp, "b5"), "--dem", paths["dem.tif"])
    a[a.index("--offroad") + 1] = "straight"
    expect_error(tmp, a, 2, "--offroad")
    expect_error(tmp, cc_args(paths, os.path.join(tmp, "b7"), "--ferries", os.path.join(tmp, "noferry.gpkg")), 4, "noferry.gpkg")
    with open(os.path.join(tmp, "nocrs.csv"), "w") as f:
        f.write("WKT,route\n\"LINESTRING (0 0,1 1)\",ferry\n")
    expect_error(tmp, cc_args(paths, os.path.join(tmp, "b8"), "--ferries", os.path.join(tmp, "nocrs.csv")), 3, "nocrs.csv", "no CRS")


def case_friction_raster(tmp):
    """An external friction raster in minutes per metre (nodata impassable) equals the reference."""
    paths, mpm, fr, ex, ny, src = synthetic_friction(tmp)
    out = os.path.join(tmp, "o")
    run(cc_args(paths, out, "--friction", fr))
    spm = mpm.astype(np.float64).clip(min=0) * 60.0 + np.where(mpm < 0, np.inf, 0)
    ref = offroad_ref.offroad_times(spm, None, ex, ny, 16, src)
    tt, nd = read_band(os.path.join(out, "travel_time.tif"))
    worst, n = compare(tt, nd, offroad_ref.impassable_nearest(ref, spm, ex, ny)[0], "friction raster")
    print(f"friction raster: {n} cells equal the reference, largest difference {worst:.3f} ms")


def case_closed_bridge(tmp):
    """A road across a river; closing its bridge (a scenario's closed way) makes the cells behind
    it slower, never faster."""
    paths, spm, z, ex, ny, src = synthetic(tmp)
    # a river (water polygon) across the whole grid at columns 13-14; a road crosses it on row 8
    river = [(X0 + 13 * RES + 5, Y0 + 10), (X0 + 14 * RES + 25, Y0 + 10), (X0 + 14 * RES + 25, Y0 - H * RES - 10),
             (X0 + 13 * RES + 5, Y0 - H * RES - 10)]
    with open(os.path.join(tmp, "water.geojson"), "w") as f:
        ring = [list(p) for p in lonlat(EPSG, river + river[:1])]
        json.dump({"type": "FeatureCollection", "features": [{"type": "Feature", "properties": {"natural": "water"},
                                                              "geometry": {"type": "Polygon", "coordinates": [ring]}}]}, f)
    yrow = Y0 - 8.5 * RES
    west = lonlat(EPSG, [(X0 + 6.5 * RES, yrow), (X0 + 11.5 * RES, yrow)])
    bridge = lonlat(EPSG, [(X0 + 11.5 * RES, yrow), (X0 + 16.5 * RES, yrow)])
    east = lonlat(EPSG, [(X0 + 16.5 * RES, yrow), (X0 + 24.5 * RES, yrow)])
    write_roads(paths["roads.geojson"], [west, bridge, east], "primary", ids=[1, 2, 3])
    outs = {}
    for name, closed in (("open", ""), ("closed", "closed_roads: {way_ids: [2]}\n")):
        scen = os.path.join(tmp, f"{name}.yaml")
        with open(scen, "w") as f:
            f.write(scenario_head(f"bridge_{name}") + f"""report: {{lang: [en], maps: false}}
offroad: {{model: friction, landcover: lc.tif, water: water.geojson, neighbours: 16}}
{closed}""")
        outs[name] = os.path.join(tmp, name)
        run(["run", scen, "--out", outs[name]])
        r = cli_test.load_summary(outs[name])
        check(r["offroad"]["model"] == "friction", f"the scenario's offroad section was not used: {r['offroad']}")
        with open(os.path.join(outs[name], "scenario.json")) as f:
            check(json.load(f)["scenario"]["offroad"]["model"] == "friction", "scenario.json lacks the offroad section")
    a, nd = read_band(os.path.join(tmp, "open", "offroad.tif"))
    b, _ = read_band(os.path.join(tmp, "closed", "offroad.tif"))
    both = (a != nd) & (b != nd)
    check(np.all(b[both] >= a[both] - 1e-4), f"closing the bridge made {int(np.sum(b[both] < a[both] - 1e-4))} cells faster")
    slower = np.sum(b[both] > a[both] + 0.01)
    check(slower > 10, f"closing the bridge slowed only {slower} cells: the bridge was not used")
    check(np.sum((a == nd) & (b != nd)) == 0, "closing the bridge reached cells the open bridge did not")
    # the river stops walkers: with the bridge the east bank's road cells are reached through it
    check(a[8, 20] < b[8, 20], "a cell on the east road is not slower without the bridge")
    print(f"closed bridge: {slower} cells slower, none faster; cell (row 8, col 20) {a[8, 20]:.2f} -> {b[8, 20]:.2f} min")


def case_comoros_window(tmp):
    """A window of Anjouan (WorldPop grid, SRTM + CGLC fractions warped to it by this test) equals
    the reference cell for cell."""
    pop_path = os.path.join(COMOROS, "com_ppp_2020_UNadj.tif")
    off = os.path.join(COMOROS, "offroad")
    if not os.path.exists(pop_path) or not os.path.isdir(off):
        print(f"SKIP: {COMOROS} is not present (real-data cross-check needs ../shared/data)")
        return SKIP
    x0, y0, w, h = 1340, 960, 120, 100  # columns/rows of the WorldPop grid: the hills of central Anjouan
    pop = os.path.join(tmp, "pop.tif")
    gdal.Translate(pop, pop_path, srcWin=[x0, y0, w, h])
    ds = gdal.Open(pop)
    gt, wkt = ds.GetGeoTransform(), ds.GetProjection()
    bounds = (gt[0], gt[3] + h * gt[5], gt[0] + w * gt[1], gt[3])
    dem = os.path.join(tmp, "dem.tif")
    gdal.Warp(dem, f"/vsizip/{off}/S13E044.SRTMGL1.hgt.zip/S13E044.hgt", outputBounds=bounds, width=w, height=h,
              resampleAlg="bilinear", dstNodata=-9999, outputType=gdal.GDT_Float32)
    classes = ["Bare", "BuiltUp", "Crops", "Grass", "Shrub", "Tree", "PermanentWater", "SeasonalWater"]
    kmh = {"BuiltUp": 5, "Grass": 4.86, "Tree": 4, "Bare": 3, "Shrub": 3, "Crops": 2.5, "SeasonalWater": 0.5, "PermanentWater": 0}
    fr, lc_arg = [], []
    for c in classes:
        p = os.path.join(tmp, f"{c}.tif")
        gdal.Warp(p, os.path.join(off, f"cglc_landcover_{c}.tif"), outputBounds=bounds, width=w, height=h,
                  resampleAlg="average", dstNodata=255, outputType=gdal.GDT_Float32)
        a, nd = read_band(p)
        fr.append(np.where(a == nd, np.nan, a))
        lc_arg.append(f"{c}={p}")
    spm_v = offroad_ref.speed_from_fractions(fr, [kmh[c] for c in classes])
    zz, znd = read_band(dem)
    zz = np.where(zz == znd, np.nan, zz)
    with np.errstate(divide="ignore"):
        spm = np.where(spm_v > 0, 3.6 / spm_v, np.inf)
    spm[np.isnan(zz)] = np.inf
    # three facilities at passable cell centres
    cells = [(30, 20), (80, 60), (100, 85)]
    cells = [(c, r) for c, r in cells if np.isfinite(spm[r, c])]
    check(len(cells) >= 2, "the window has too few passable cells for facilities")
    with open(os.path.join(tmp, "fac.csv"), "w") as f:
        f.write("name,lon,lat\n")
        for i, (c, r) in enumerate(cells):
            f.write(f"F{i},{gt[0] + (c + 0.5) * gt[1]:.12f},{gt[3] + (r + 0.5) * gt[5]:.12f}\n")
    roads = os.path.join(tmp, "roads.geojson")
    write_roads(roads, [[(45.5, -13.5), (45.51, -13.5)]])  # far away: pure off-road
    out = os.path.join(tmp, "o")
    run(["coverage", "--roads", roads, "--population", pop, "--facilities", os.path.join(tmp, "fac.csv"), "--crs", "EPSG:32738",
         "--profile", "walk", "--offroad", "friction", "--dem", dem, "--landcover", ",".join(lc_arg), "--out", out, "--quiet",
         "--lang", "en"])
    ex, ny = offroad_ref.cell_sizes(gt, h, True)
    ref = offroad_ref.offroad_times(spm, zz, ex, ny, 16, [r * w + c for c, r in cells])
    full, nd = read_band(os.path.join(out, "offroad.tif"))
    worst, n = compare(full, nd, ref, "Comoros window", tol_ms=1.0)
    check(n > 5000, f"only {n} cells reached")
    print(f"Comoros window {w}x{h}: {n} cells equal the reference, largest difference {worst:.3f} ms")


def case_streams(tmp):
    """OSM streams are passable, rivers are walls: a stream across the whole grid changes no time,
    a river across it leaves every cell behind it without one (barrier_enclosed)."""
    paths, spm, z, ex, ny, src = synthetic(tmp)
    write_facilities(paths["fac.csv"], lonlat(EPSG, [(X0 + 3.5 * RES, Y0 - 4.5 * RES)]))  # west of both waters
    feats = []
    for tags, col in (({"waterway": "stream"}, 10.5), ({"waterway": "ditch", "boat": "no"}, 12.5), ({"waterway": "river"}, 22.5)):
        ln = lonlat(EPSG, [(X0 + col * RES, Y0 + 10), (X0 + col * RES, Y0 - H * RES - 10)])
        feats.append({"type": "Feature", "properties": tags, "geometry": {"type": "LineString", "coordinates": [list(p) for p in ln]}})
    water = os.path.join(tmp, "water.geojson")
    with open(water, "w") as f:
        json.dump({"type": "FeatureCollection", "features": feats}, f)
    dry, wet = os.path.join(tmp, "dry"), os.path.join(tmp, "wet")
    run(cc_args(paths, dry, "--landcover", paths["lc.tif"]))
    run(cc_args(paths, wet, "--landcover", paths["lc.tif"], "--water", water))
    a, nd = read_band(os.path.join(dry, "offroad.tif"))
    b, _ = read_band(os.path.join(wet, "offroad.tif"))
    west = np.zeros(a.shape, bool)
    west[:, :22] = True
    check(np.array_equal(a[west], b[west]), f"streams changed {int(np.sum(a[west] != b[west]))} times west of the river")
    between = (a != nd) & west
    between[:, :11] = False
    check(between.sum() > 200, f"only {between.sum()} reached cells between the stream and the river")
    check(np.all(b[:, 22] == nd), "the river's cells are not impassable")
    east = (a != nd)
    east[:, :23] = False
    check(east.sum() > 100 and np.all(b[east] == nd), f"{int(np.sum(b[east] != nd))} cells behind the river got a time")
    o = cli_test.load_summary(wet)["offroad"]
    check(o["water_barrier_features"] == 1 and o["water_passable_features"] == 2,
          f"water features: {o['water_barrier_features']} barriers, {o['water_passable_features']} passable (want 1, 2)")
    check(o["population_barrier_enclosed"] >= east.sum(),
          f"population_barrier_enclosed {o['population_barrier_enclosed']} < {east.sum()} cells behind the river")
    print(f"streams: {between.sum()} cells between stream and river keep their times; {east.sum()} behind the river have none")


def case_ferries(tmp):
    """Two islands and a ferry: the time across is the boarding wait plus the crossing at the
    profile's ferry speed, and the far island beyond the landing equals the reference walked from
    the landing; without the ferry the far island has no time."""
    paths, spm, z, ex, ny, src = synthetic(tmp)
    s = osr.SpatialReference()
    s.ImportFromEPSG(EPSG)
    lc = np.ones((H, W), np.uint8)
    lc[:, 15:25] = 3  # the sea
    write_tif(paths["lc.tif"], lc, (X0, RES, 0, Y0, 0, -RES), s.ExportToWkt(), gdal.GDT_Byte)
    write_facilities(paths["fac.csv"], lonlat(EPSG, [(X0 + 3.5 * RES, Y0 - 4.5 * RES)]))
    with open(paths["walk.yaml"], "a") as f:
        f.write("ferry_kmh: 18\nferry_wait_min: 30\n")
    a_cell, b_cell = (12, 10), (27, 10)  # (column, row)
    line = lonlat(EPSG, [(X0 + (c + 0.5) * RES, Y0 - (r + 0.5) * RES) for c, r in (a_cell, (20, 12), b_cell)])
    nowhere = lonlat(EPSG, [(X0 + 5.5 * RES, Y0 - 20.5 * RES), (X0 + 5000, Y0 + 5000)])  # ends far outside the grid
    ferries = os.path.join(tmp, "ferries.geojson")
    with open(ferries, "w") as f:
        json.dump({"type": "FeatureCollection", "features": [
            {"type": "Feature", "properties": {"route": "ferry"}, "geometry": {"type": "LineString", "coordinates": [list(p) for p in ln]}}
            for ln in (line, nowhere)]}, f)
    nof, fer = os.path.join(tmp, "nof"), os.path.join(tmp, "fer")
    run(cc_args(paths, nof, "--landcover", paths["lc.tif"]))
    run(cc_args(paths, fer, "--landcover", paths["lc.tif"], "--ferries", ferries))
    a, nd = read_band(os.path.join(nof, "offroad.tif"))
    b, _ = read_band(os.path.join(fer, "offroad.tif"))
    check(np.all(a[:, 25:] == nd), "the far island has times without the ferry")
    check(np.all(b[:, 25:] != nd), f"{int(np.sum(b[:, 25:] == nd))} cells of the far island have no time with the ferry")
    check(np.array_equal(a[:, :15], b[:, :15]), "the ferry changed times on the near island")
    # crossing: wait + great-circle length / speed (the line through (20, 12) is a dog-leg)
    lon = [p[0] for p in line]
    lat = [p[1] for p in line]
    R = 6371008.8
    length = sum(2 * R * math.asin(math.sqrt(math.sin(math.radians(lat[i + 1] - lat[i]) / 2) ** 2 + math.cos(math.radians(lat[i])) *
                 math.cos(math.radians(lat[i + 1])) * math.sin(math.radians(lon[i + 1] - lon[i]) / 2) ** 2)) for i in range(2))
    utm = RES * (math.hypot(8, 2) + math.hypot(7, 2))
    check(abs(length - utm) < 0.002 * utm, f"great-circle length {length:.1f} m far from the projected {utm:.1f} m")
    cross_s = 30 * 60 + length / 5.0
    got_s = (b[b_cell[1], b_cell[0]] - b[a_cell[1], a_cell[0]]) * 60.0
    check(abs(got_s - cross_s) < 0.01, f"ferry crossing {got_s:.3f} s, want wait + length / speed = {cross_s:.3f} s")
    # the far island: the reference walked from the landing cell, plus the landing's time
    east = np.where(lc == 3, np.inf, 0.72)  # 5 km/h
    east[:, :25] = np.inf
    ref = offroad_ref.offroad_times(east, None, ex, ny, 16, [b_cell[1] * W + b_cell[0]]).reshape(H, W)
    d = np.abs((b[:, 25:] - b[b_cell[1], b_cell[0]]) * 60000.0 - ref[:, 25:] * 1000.0)
    check(d.max() <= 1.0, f"far island differs from the reference walked from the landing by {d.max():.3f} ms")
    o = cli_test.load_summary(fer)["offroad"]
    check(o["ferries_linked"] == 1 and o["ferries_unlinked"] == 1, f"ferries linked/unlinked {o['ferries_linked']}/{o['ferries_unlinked']}, want 1/1")
    print(f"ferries: crossing {got_s:.2f} s (wait 1800 s + {length:.1f} m at 18 km/h); far island within {d.max():.3f} ms of the reference")


def road_row(paths, row=10, c0=2, c1=37):
    """A primary road along one row of the synthetic valley; its reference links (pts, arc_s)."""
    y = Y0 - (row + 0.5) * RES
    write_roads(paths["roads.geojson"], [lonlat(EPSG, [(X0 + (c0 + 0.5) * RES, y), (X0 + (c1 + 0.5) * RES, y)])], "primary")
    length = (c1 - c0) * RES
    arc_s = round(length / (60 / 3.6) * 1000) / 1000
    pts = [(None, 0.0), (row * W + c0, RES / 4)] + [(row * W + c, (c - c0) * RES) for c in range(c0 + 1, c1)]
    pts += [(row * W + c1, length - RES / 4), (None, length)]
    return [(pts, arc_s)]


def case_site_agrees(tmp):
    """Siting with the friction model: the coverage sets are friction times (walk + road), so the
    sited facilities fed back into `coverage` with the same options give the covered population the
    siting summary states; the answer equals a brute force over the candidates with the independent
    reference's times; candidates on impassable cells are left out."""
    paths, spm, z, ex, ny, src = synthetic(tmp)
    roads = road_row(paths)
    with open(paths["fac.csv"], "w") as f:  # one existing clinic, fixed
        lo, la = lonlat(EPSG, [(X0 + 3.5 * RES, Y0 - 4.5 * RES)])[0]
        f.write(f"name,lon,lat,tier\nF0,{lo:.12f},{la:.12f},clinic\n")
    fixed_cell = 4 * W + 3
    cand_cells = [(30, 3), (36, 25), (12, 27), (22, 14), (7, 14), (33, 18), (24, 5), (15, 20)]  # (column, row); (7, 14) is in the pocket
    cand_cells.append((26, 3))  # on the wall (speed 0): impassable, left out
    cand = os.path.join(tmp, "cand.csv")
    with open(cand, "w") as f:
        f.write("name,lon,lat\n")
        for i, (lo, la) in enumerate(lonlat(EPSG, [(X0 + (c + 0.5) * RES, Y0 - (r + 0.5) * RES) for c, r in cand_cells])):
            f.write(f"C{i},{lo:.12f},{la:.12f}\n")
    T = 8.0
    off = ["--offroad", "friction", "--dem", paths["dem.tif"], "--landcover", paths["lc.tif"]]
    common = ["--roads", paths["roads.geojson"], "--population", paths["pop.tif"], "--facilities", paths["fac.csv"], "--crs", f"EPSG:{EPSG}",
              "--profile", paths["walk.yaml"], "--quiet", "--lang", "en"] + off
    out = os.path.join(tmp, "site")
    run(["site"] + common + ["--fixed-tiers", "clinic", "--candidates", cand, "-p", "2", "--minutes", str(T), "--exact", "--out", out])
    s = cli_test.load_summary(out)
    check(s["parameters"]["offroad"]["model"] == "friction", f"summary.json parameters.offroad: {s['parameters'].get('offroad')}")
    check(s["counts"]["candidates"] == len(cand_cells) - 1, f"candidates {s['counts']['candidates']}, want {len(cand_cells) - 1} (one impassable)")
    picks = [(p["lon"], p["lat"]) for p in s["proposed_sites"]]
    check(len(picks) == 2, f"{len(picks)} sites proposed")
    after = s["coverage"]["covered_after"]
    before = s["coverage"]["covered_before"]
    # the same facilities through `coverage`
    fac2 = os.path.join(tmp, "fac2.csv")
    with open(paths["fac.csv"]) as f:
        lines = f.read().splitlines()
    with open(fac2, "w") as f:
        f.write("\n".join(lines) + "\n")
        for i, (lo, la) in enumerate(picks):
            f.write(f"S{i},{lo:.12f},{la:.12f},new\n")
    cov = os.path.join(tmp, "cov")
    a = ["coverage"] + common + ["--minutes", str(T), "--out", cov]
    a[a.index("--facilities") + 1] = fac2
    run(a)
    c = cli_test.load_summary(cov)
    within = c["population_within_min"][f"{T:g}"]
    check(abs(within - after) < 1e-6, f"coverage of the sited facilities {within} != the siting summary's {after}")
    # independent: the reference's times from each candidate, and a brute force over the pairs
    # (people on impassable cells take the nearest passable cell's time plus the walk: the default rule)
    ref_fixed = offroad_ref.impassable_nearest(offroad_ref.offroad_times_with_roads(spm, z, ex, ny, 16, [fixed_cell], roads), spm, ex, ny)[0]
    ok = [(cc, rr) for cc, rr in cand_cells if np.isfinite(spm[rr, cc])]
    ref_c = [offroad_ref.impassable_nearest(offroad_ref.offroad_times_with_roads(spm, z, ex, ny, 16, [rr * W + cc], roads), spm, ex, ny)[0]
             for cc, rr in ok]
    lim = T * 60.0
    base = ref_fixed <= lim
    check(abs(base.sum() - before) < 1e-6, f"covered before {before}, reference {base.sum()}")
    best = max((np.sum(base | (ref_c[i] <= lim) | (ref_c[j] <= lim)), i, j) for i in range(len(ok)) for j in range(i + 1, len(ok)))
    check(abs(best[0] - after) < 1e-6, f"siting covers {after}, the best pair of the reference covers {best[0]} ({ok[best[1]]}, {ok[best[2]]})")
    # people on impassable cells (the wall): listed as such, as coverage lists them, and what the
    # report calls them (not "no road access", not "unreachable" purple squares without a legend)
    check(abs(s["coverage"]["population_no_road_access"]) < 1e-6, "people left on impassable cells, yet each has a passable cell within 250 m")
    moved = s["parameters"]["offroad"]["impassable_population"]
    ref_imp = float(np.sum(np.where(~np.isfinite(spm), gdal.Open(paths["pop.tif"]).ReadAsArray(), 0)))
    check(abs(moved["population_moved"] - ref_imp) < 1e-6, f"siting moved {moved}, the surface has {ref_imp} people on impassable cells")
    # without the rule (--impassable-population none) they have no time and are listed as such
    out = os.path.join(tmp, "site_none")
    run(["site"] + common + ["--fixed-tiers", "clinic", "--candidates", cand, "-p", "2", "--minutes", str(T), "--exact", "--out", out,
                             "--impassable-population", "none"])
    s = cli_test.load_summary(out)
    imp = s["coverage"]["population_no_road_access"]
    check(imp > 0 and abs(imp - ref_imp) < 1e-6, f"people on impassable cells {imp}, the surface says {ref_imp}")
    check(s["parameters"]["offroad"]["impassable_population"]["rule"] == "none", "rule none not in summary.json")
    unc = [r for r, _ in cli_test.site_layer_rows(out, "demand_uncovered")]
    listed = sum(r["population"] for r in unc if r["status"] == "impassable_cell")
    check(abs(listed - imp) < 1e-6, f"demand_uncovered lists {listed} people as impassable_cell, summary {imp}")
    cov_none = os.path.join(tmp, "cov_none")
    a = ["coverage"] + common + ["--minutes", str(T), "--out", cov_none, "--impassable-population", "none"]
    run(a)
    cov_unc = gdal.OpenEx(os.path.join(cov_none, "coverage.gpkg"))
    cov_status = {f.GetField("status") for f in cov_unc.GetLayerByName("demand_uncovered")}
    check("impassable_cell" in cov_status, f"coverage's statuses {cov_status}")
    with open(os.path.join(out, "report_en.html"), encoding="utf-8") as f:
        html = f.read()
    check("On impassable cells" in html and "impassable cell" in html, "the siting report does not name the impassable cells")
    # upgrading facilities on the chain works with friction (chain_upgrade); tiers that are all capable already leave
    # nothing to upgrade: an error with the reason, nothing written
    expect_error(tmp, ["site"] + common + ["--candidates", cand, "--emergency", "--capable-tiers", "clinic", "--upgrade-tiers", "clinic",
                       "--out", os.path.join(tmp, "em")], 3, "--upgrade-tiers", "not capable already")
    # a scenario's offroad section reaches its siting run: the same answer as the command line
    scen = os.path.join(tmp, "scen.yaml")
    with open(scen, "w") as f:
        f.write(scenario_head("fric_siting") + f"""minutes: [{T:g}]
report: {{lang: [en], maps: false}}
offroad: {{model: friction, dem: dem.tif, landcover: lc.tif}}
siting:
  - {{model: mclp, budget: 2, threshold_min: {T:g}, candidates: cand.csv, fixed_tiers: [clinic]}}
""")
    so = os.path.join(tmp, "scen")
    run(["run", scen, "--out", so, "--quiet"])
    ss = cli_test.load_summary(os.path.join(so, "siting"))
    check(ss["parameters"].get("offroad", {}).get("model") == "friction", "the scenario's siting run did not use the friction model")
    check(abs(ss["coverage"]["covered_after"] - after) < 1e-6, f"scenario siting covers {ss['coverage']['covered_after']}, the command line {after}")
    check(abs(cli_test.load_summary(so)["population_within_min"][f"{T:g}"] - before) < 1e-6, "the scenario's coverage differs from siting's before")
    # p-median (coverage sets with times): the evaluated mean time of its answer equals the reference's
    pm = os.path.join(tmp, "pmedian")
    run(["site"] + common + ["--fixed-tiers", "clinic", "--candidates", cand, "--model", "pmedian", "-p", "2", "--out", pm])
    sp = cli_test.load_summary(pm)
    names = [p["name"] for p in sp["proposed_sites"]]
    idx = {f"C{i}": k for k, i in enumerate(i for i, (cc, rr) in enumerate(cand_cells) if np.isfinite(spm[rr, cc]))}
    best_t = np.minimum.reduce([ref_fixed] + [ref_c[idx[n]] for n in names])
    fin = np.isfinite(best_t)
    want = float(np.mean(best_t[fin])) / 60.0
    got = sp["coverage"]["mean_minutes_after"]
    check(abs(got - want) < 1e-3, f"p-median mean time after {got} min, reference {want:.4f} min for sites {names}")
    # the friction sets differ from what the straight model would give: a test that could fail
    st = os.path.join(tmp, "straight")
    a = ["site"] + common + ["--fixed-tiers", "clinic", "--candidates", cand, "-p", "2", "--minutes", str(T), "--out", st]
    a[a.index("--offroad") + 1] = "straight"
    del a[a.index("--dem"):a.index("--dem") + 4]
    run(a)
    s2 = cli_test.load_summary(st)
    check(abs(cli_test.load_summary(st)["coverage"]["covered_after"] - after) > 1, f"straight and friction siting agree ({after}): a weak test")
    print(f"site with friction: covered {before:.0f} -> {after:.0f}, coverage of the same facilities {within:.0f}, "
          f"reference brute force {best[0]:.0f}; straight model {s2['coverage']['covered_after']:.0f}; p-median mean {got:.3f} min "
          f"(reference {want:.3f})")


def case_traveltime_tiles(tmp):
    """`traveltime` with the friction model, in tiles of 16 cells with a halo: every cell within the
    largest threshold equals the independent reference (walking only with a small halo, so that each
    tile sees only part of the raster; then with a road and the profile's halo), beyond it nodata;
    MPI-free runs with 1 and 2 threads give the same raster."""
    paths, spm, z, ex, ny, src = synthetic(tmp)
    off = ["--offroad", "friction", "--dem", paths["dem.tif"], "--landcover", paths["lc.tif"]]

    def tt(out, minutes, *extra):
        run(["traveltime", "--roads", paths["roads.geojson"], "--population", paths["pop.tif"], "--facilities", paths["fac.csv"],
             "--crs", f"EPSG:{EPSG}", "--profile", paths["walk.yaml"], "--tile", "16", "--minutes", minutes, "--out", out, "--quiet"]
            + off + list(extra))
        return read_band(os.path.join(out, "travel_time.tif"))

    def against(got, nd, ref, tmax_min, what):
        ref_ms = ref.reshape(got.shape) * 1000.0
        want = np.isfinite(ref_ms) & (ref_ms <= tmax_min * 60000.0 + 0.5)
        bad = np.argwhere((got != nd) != want)
        check(len(bad) == 0, f"{what}: {len(bad)} cells within {tmax_min} min in one and not the other, first {bad[:3].tolist()}")
        d = np.abs(got[want] * 60000.0 - ref_ms[want])
        check(d.size > 50 and d.max() <= 1.0, f"{what}: {d.size} cells, largest difference {d.max() if d.size else 0:.3f} ms")
        return int(want.sum()), float(d.max())

    # walking only, flat: 3 minutes (250 m at 5 km/h), a 300 m halo (12 cells); one facility at the
    # corner of four tiles, one 4 cells from a tile edge, so that trips cross tiles
    fac_all = paths["fac.csv"]
    paths["fac.csv"] = os.path.join(tmp, "fac_corner.csv")
    corner = [(15, 15), (36, 25)]
    write_facilities(paths["fac.csv"], lonlat(EPSG, [(X0 + (c + 0.5) * RES, Y0 - (r + 0.5) * RES) for c, r in corner]))
    off = ["--offroad", "friction", "--landcover", paths["lc.tif"]]
    a, nd = tt(os.path.join(tmp, "walk"), "1,3", "--halo-km", "0.3")
    flat_spm = spm.copy()
    flat_spm[np.isnan(z)] = 3.6 / 5.0  # the DEM hole is passable without the DEM
    ref = offroad_ref.offroad_times(flat_spm, None, ex, ny, 16, [r * W + c for c, r in corner])
    ref, moved = offroad_ref.impassable_nearest(ref, flat_spm, ex, ny)
    n1, d1 = against(a, nd, ref, 3, "walking, small halo")
    s = cli_test.load_summary(os.path.join(tmp, "walk"))
    check(s["offroad"]["model"] == "friction" and s["offroad"]["halo_cells"] == 12, f"summary.json offroad: {s.get('offroad')}")
    spm = flat_spm
    check(s["tiling"]["tiles"] == 6, f"tiles {s['tiling']['tiles']}, want 6")
    check(abs(s["population_within_min"]["3"] - n1) < 1e-6, f"summary within 3 min {s['population_within_min']['3']} != {n1}")
    check(abs(s["population_no_road_access"] - (np.sum(~np.isfinite(spm)) - len(moved))) < 1e-6, "impassable people not reported as no_road_access")
    im = s["offroad"]["impassable_population"]
    check(len(moved) > 20 and abs(im["population_moved"] - len(moved)) < 1e-6 and abs(im["farthest_move_m"] - max(d for _, d in moved.values())) < 0.05,
          f"impassable_population {im}, the reference moves {len(moved)}")
    spm = flat_spm.copy()
    spm[np.isnan(z)] = np.inf
    paths["fac.csv"] = fac_all
    off = ["--offroad", "friction", "--dem", paths["dem.tif"], "--landcover", paths["lc.tif"]]
    # a halo too small for the walking speed is refused, naming the parameter
    expect_error(tmp, ["traveltime", "--roads", paths["roads.geojson"], "--population", paths["pop.tif"], "--facilities", paths["fac.csv"],
                       "--crs", f"EPSG:{EPSG}", "--profile", paths["walk.yaml"], "--tile", "16", "--minutes", "2", "--halo-km", "0.1",
                       "--out", os.path.join(tmp, "bad")] + off, 2, "--halo-km", "speeds")
    # with a road and the profile's halo: the road's links in every tile
    roads = road_row(paths)
    b, nd = tt(os.path.join(tmp, "road1"), "5,10", "--threads", "1")
    c, _ = tt(os.path.join(tmp, "road2"), "5,10", "--threads", "2")
    check(np.array_equal(b, c), "1 and 2 threads differ")
    ref = offroad_ref.offroad_times_with_roads(spm, z, ex, ny, 16, src, roads)
    n2, d2 = against(b, nd, offroad_ref.impassable_nearest(ref, spm, ex, ny)[0], 10, "with a road")
    walk = offroad_ref.offroad_times(spm, z, ex, ny, 16, src)
    check(np.sum(walk <= 600) < n2, "the road adds no cell within 10 minutes: a weak test")
    print(f"traveltime with friction in 6 tiles: walking {n1} cells within 3 min (largest difference {d1:.3f} ms); "
          f"with a road {n2} cells within 10 min ({d2:.3f} ms); walking alone {int(np.sum(walk <= 600))}")


def case_village_points(tmp):
    """Village points with the friction model on a hand-made 5 x 5 grid (a friction raster in minutes
    per metre with one impassable cell, a road across the middle row): each village's time is that of
    the cell holding it in one search over cells and the road, equal to the independent reference; the
    travel-time grid (at the raster's resolution, aligned with it) equals it cell for cell."""
    import csv
    res, x0, y0, n = 100.0, 501000.0, 4500000.0, 5
    s = osr.SpatialReference()
    s.ImportFromEPSG(EPSG)
    mpm = np.array([[0.012, 0.012, 0.030, 0.012, 0.012],
                    [0.012, 0.020, 0.030, -1.00, 0.012],
                    [0.012, 0.012, 0.012, 0.012, 0.012],
                    [0.040, 0.040, 0.012, 0.020, 0.012],
                    [0.012, 0.012, 0.012, 0.012, 0.030]], np.float32)  # minutes per metre; -1: nodata (impassable)
    fr = os.path.join(tmp, "friction.tif")
    write_tif(fr, mpm, (x0, res, 0, y0, 0, -res), s.ExportToWkt(), nodata=-1)

    def centre(c, r):
        return (x0 + (c + 0.5) * res, y0 - (r + 0.5) * res)

    road = os.path.join(tmp, "roads.geojson")
    write_roads(road, [lonlat(EPSG, [centre(1, 2), centre(3, 2)])], "primary")
    fac = os.path.join(tmp, "fac.csv")
    write_facilities(fac, lonlat(EPSG, [centre(4, 0)]))
    villages = [(0, 0), (4, 4), (0, 4), (2, 0), (1, 3), (3, 1)]  # the corners span the grid; (3, 1) is impassable
    vil = os.path.join(tmp, "villages.geojson")
    feats = [{"type": "Feature", "properties": {"name": f"V{i}", "population": 100 + i},
              "geometry": {"type": "Point", "coordinates": list(lonlat(EPSG, [centre(c, r)])[0])}} for i, (c, r) in enumerate(villages)]
    with open(vil, "w") as f:
        json.dump({"type": "FeatureCollection", "features": feats}, f)
    prof = os.path.join(tmp, "walk.yaml")
    with open(prof, "w") as f:
        f.write(PROFILE)
    out = os.path.join(tmp, "o")
    run(["coverage", "--roads", road, "--population", vil, "--facilities", fac, "--crs", f"EPSG:{EPSG}", "--profile", prof,
         "--resolution", "100", "--offroad", "friction", "--friction", fr, "--minutes", "5,10,20", "--out", out, "--quiet", "--lang", "en"])
    # the reference: cells and the road (transfer points as in reference_road), the facility's cell
    spm = np.where(mpm > 0, mpm * 60.0, np.inf).astype(np.float64)
    ex, ny = offroad_ref.cell_sizes((x0, res, 0, y0, 0, -res), n, False)
    length = 2 * res
    pts = [(None, 0.0), (2 * n + 1, res / 4), (2 * n + 2, res), (2 * n + 3, length - res / 4), (None, length)]
    ref = offroad_ref.offroad_times_with_roads(spm, None, ex, ny, 16, [0 * n + 4], [(pts, round(length / (60 / 3.6) * 1000) / 1000)])
    ref = ref.reshape(n, n)
    walk = offroad_ref.offroad_times(spm, None, ex, ny, 16, [4]).reshape(n, n)
    check(np.nanmax(walk[np.isfinite(walk)] - ref[np.isfinite(ref)]) > 1, "the road saves nothing: a weak test")
    tt, nd = read_band(os.path.join(out, "travel_time.tif"))
    check(tt.shape == (n, n), f"travel-time grid {tt.shape}, want the raster's {n} x {n}")
    worst, cells = compare(tt, nd, ref.ravel(), "village grid")
    with open(os.path.join(out, "access_by_village.csv"), encoding="utf-8-sig") as f:
        rows = {r["name"]: r for r in csv.DictReader(f)}
    # a village on an impassable cell takes the nearest passable cell's time plus the walk (the default
    # rule); the grid of every cell shows the surface (its cell stays nodata)
    ref_p, moved = offroad_ref.impassable_nearest(ref.ravel(), spm, ex, ny, cells=[r * n + c for c, r in villages])
    check(list(moved) == [1 * n + 3], f"the reference moves {moved}")
    for i, (c, r) in enumerate(villages):
        got = rows[f"V{i}"]["minutes_all"]
        if (r * n + c) in moved:
            check(got != "" and abs(float(got) - ref_p[r * n + c] / 60.0) <= 0.05 + 1e-9,
                  f"V{i} on an impassable cell: {got} min, the reference's rule {ref_p[r * n + c] / 60.0:.4f}")
            continue
        # the table rounds to 0.1 min: the village's time is its cell's, checked to the ms above
        check(abs(float(got) - ref[r, c] / 60.0) <= 0.05 + 1e-9 and abs(float(got) - tt[r, c]) <= 0.05 + 1e-6,
              f"V{i} at cell ({c}, {r}): {got} min, reference {ref[r, c] / 60.0:.4f} min, its cell {tt[r, c]:.4f} min")
    s = cli_test.load_summary(out)
    want = sum(100 + i for i, (c, r) in enumerate(villages) if ref_p[r * n + c] <= 600)
    check(abs(s["population_within_min"]["10"] - want) < 1e-6, f"within 10 min {s['population_within_min']['10']}, reference {want}")
    check(abs(s["offroad"]["population_impassable_cell"]) < 1e-6, f"impassable {s['offroad']['population_impassable_cell']}, want 0")
    im = s["offroad"]["impassable_population"]
    check(abs(im["population_moved"] - 105) < 1e-6 and abs(im["farthest_move_m"] - 100) < 0.05, f"impassable_population {im}")
    # siting on village points (the demo): the sited facilities through `coverage` give the stated coverage
    demo = cli_test.DEMO
    common = ["--roads", f"{demo}/roads.geojson", "--population", f"{demo}/villages.geojson", "--resolution", "500", "--offroad", "friction",
              "--quiet", "--lang", "en"]
    so = os.path.join(tmp, "site")
    run(["site"] + common + ["--facilities", f"{demo}/facilities.csv", "--fixed-tiers", "county_hospital", "--candidate-roads",
                             "primary,secondary", "--spacing", "3000", "-p", "2", "--minutes", "20", "--out", so])
    ss = cli_test.load_summary(so)
    fac2 = os.path.join(tmp, "fac2.csv")
    with open(f"{demo}/facilities.csv", encoding="utf-8-sig") as f:
        rd = list(csv.DictReader(f))
    keep = [r for r in rd if r.get("tier") == "county_hospital"]
    check(len(keep) >= 1, "the demo has no county hospital")
    with open(fac2, "w") as f:
        f.write("name,lon,lat\n")
        for r in keep:
            f.write(f"{r['name']},{r['lon']},{r['lat']}\n")
        for p in ss["proposed_sites"]:
            f.write(f"site {p['rank']},{p['lon']:.9f},{p['lat']:.9f}\n")
    co = os.path.join(tmp, "cov")
    run(["coverage"] + common + ["--facilities", fac2, "--minutes", "20", "--out", co])
    within = cli_test.load_summary(co)["population_within_min"]["20"]
    check(ss["coverage"]["covered_after"] > ss["coverage"]["covered_before"], "the demo sites add nothing: a weak test")
    check(abs(within - ss["coverage"]["covered_after"]) < 1e-6, f"coverage of the sited facilities {within} != siting's {ss['coverage']['covered_after']}")
    print(f"village points: {len(villages)} villages and {cells} grid cells equal the reference (largest difference {worst:.3f} ms); "
          f"demo siting {ss['coverage']['covered_before']:.0f} -> {within:.0f} within 20 min, as coverage gives")


def case_no_roads(tmp):
    """`coverage` without --roads over a friction raster (a walking-only surface, as AccessMod and
    r.cost): equal to the reference cell for cell, working CRS from the raster's centre; without
    --friction the roads stay required."""
    paths, mpm, fr, ex, ny, src = synthetic_friction(tmp)
    out = os.path.join(tmp, "o")
    a = cc_args(paths, out, "--friction", fr)
    i = a.index("--roads")
    del a[i:i + 2]
    i = a.index("--crs")
    del a[i:i + 2]  # the UTM zone of the raster's centre: EPSG:32633 itself
    run(a)
    spm = np.where(mpm < 0, np.inf, mpm.astype(np.float64) * 60.0)
    ref = offroad_ref.offroad_times(spm, None, ex, ny, 16, src)
    tt, nd = read_band(os.path.join(out, "travel_time.tif"))
    worst, n = compare(tt, nd, offroad_ref.impassable_nearest(ref, spm, ex, ny)[0], "no roads")
    sm = cli_test.load_summary(out)
    check(sm["crs"].endswith("32633") or "32633" in json.dumps(sm.get("crs")), f"working CRS {sm.get('crs')}")
    check(sm["graph"]["nodes"] == 0 and sm["offroad"]["transfer_points"] == 0, "a road network appeared")
    acc = sm["population_within_min"]["60"] + sm["population_beyond_max"] + sm["population_no_road_access"] + sm["population_unreachable"]
    check(abs(acc - sm["population_total"]) < 1e-6, "accounting identity")
    expect_error(tmp, [x for x in a if x not in ("--friction", fr)][:] + [], 2, "--roads")
    ref_p = offroad_ref.impassable_nearest(ref, spm, ex, ny)[0]
    # traveltime without roads (16-cell tiles): the reference within the largest threshold
    tv = os.path.join(tmp, "tt")
    run(["traveltime", "--population", paths["pop.tif"], "--facilities", paths["fac.csv"], "--profile", paths["walk.yaml"], "--offroad", "friction",
         "--friction", fr, "--tile", "16", "--minutes", "2,4", "--out", tv, "--quiet"])
    t2, nd2 = read_band(os.path.join(tv, "travel_time.tif"))
    want = np.isfinite(ref_p) & (ref_p <= 240.0005)
    check(np.array_equal(t2.ravel() != nd2, want), "traveltime without roads reaches other cells than the reference within 4 min")
    d2 = np.abs(t2.ravel()[want] * 60000.0 - ref_p[want] * 1000.0)
    check(100 < d2.size < 1000 and d2.max() <= 1.0, f"traveltime without roads: {d2.size} cells, largest difference {d2.max():.3f} ms")
    stt = cli_test.load_summary(tv)
    check("roads" not in stt.get("inputs", {}) and stt["offroad"]["model"] == "friction", f"traveltime summary inputs {stt.get('inputs')}")
    # site without roads: a brute force over the reference's times (one new site among candidates)
    cand_cells = [(30, 3), (36, 25), (12, 27), (22, 14), (24, 5), (15, 20), (26, 3)]  # (26, 3) on the wall: left out
    cand = os.path.join(tmp, "cand.csv")
    with open(cand, "w") as f:
        f.write("name,lon,lat\n")
        for i, (lo, la) in enumerate(lonlat(EPSG, [(X0 + (c + 0.5) * RES, Y0 - (r + 0.5) * RES) for c, r in cand_cells])):
            f.write(f"C{i},{lo:.12f},{la:.12f}\n")
    so = os.path.join(tmp, "site")
    T = 8.0
    sa = ["site", "--population", paths["pop.tif"], "--facilities", paths["fac.csv"], "--profile", paths["walk.yaml"], "--offroad", "friction",
          "--friction", fr, "--candidates", cand, "-p", "1", "--minutes", f"{T:g}", "--exact", "--out", so, "--quiet", "--lang", "en"]
    run(sa)
    ss = cli_test.load_summary(so)
    base = np.zeros(ref_p.shape, bool)  # no --fixed-tiers: nothing counts as covered already
    best = max((int(np.sum(base | (offroad_ref.impassable_nearest(offroad_ref.offroad_times(spm, None, ex, ny, 16, [r * W + c]), spm, ex, ny)[0]
                                   <= T * 60))), f"C{i}") for i, (c, r) in enumerate(cand_cells) if np.isfinite(spm[r, c]))
    check(abs(ss["coverage"]["covered_before"] - base.sum()) < 1e-6, f"site without roads: before {ss['coverage']['covered_before']}, reference {base.sum()}")
    check(abs(ss["coverage"]["covered_after"] - best[0]) < 1e-6 and ss["proposed_sites"][0]["name"] == best[1],
          f"site without roads picks {ss['proposed_sites'][0]['name']} covering {ss['coverage']['covered_after']}, the reference {best}")
    check(ss["counts"]["candidates"] == len(cand_cells) - 1, f"candidates {ss['counts']['candidates']}")
    expect_error(tmp, sa[:sa.index("--candidates")] + ["--candidate-roads", "primary", "--out", os.path.join(tmp, "cr")], 2, "--candidate-roads", "--roads")
    expect_error(tmp, [x for x in sa if x not in ("--friction", fr)], 2, "--roads")
    print(f"no roads: {n} cells equal the reference, largest difference {worst:.3f} ms; traveltime {d2.size} cells within {d2.max():.3f} ms; "
          f"site {base.sum()} -> {best[0]} as the reference's brute force")


def case_impassable_nearest(tmp):
    """People on impassable cells (a coast burnt from a water polygon over populated cells, and a
    nodata cell inland) take the time of the nearest passable cell within 250 m plus the walk to it
    at that cell's speed (the default rule): on a hand-made 24 x 18 grid of 100 m cells, coverage,
    traveltime (tiles of 16 cells, the shore on a tile edge) and site give the same times as the independent reference with the
    same rule, to the millisecond; cells farther than 250 m from land stay impassable; with
    --impassable-population none every impassable cell has no time (the former behaviour)."""
    res, x0, y0, w, h = 100.0, 502000.0, 4501000.0, 24, 18
    s = osr.SpatialReference()
    s.ImportFromEPSG(EPSG)
    wkt = s.ExportToWkt()
    gt = (x0, res, 0, y0, 0, -res)
    rng = np.random.default_rng(1616)
    mpm = rng.choice([0.012, 0.015, 0.020, 0.030], size=(h, w)).astype(np.float32)  # minutes per metre, 5 to 2 km/h
    mpm[:, 15] = rng.choice([0.012, 0.020, 0.030, 0.040], size=h)  # the shore: the walk is at its speed
    mpm[1, 15] = 0.040
    mpm[6, 3] = -1  # a nodata cell inland (populated): moved 100 m
    pop = (1 + (np.arange(h * w) % 7)).reshape(h, w).astype(np.float32)
    fr, popf = os.path.join(tmp, "friction.tif"), os.path.join(tmp, "pop.tif")
    write_tif(fr, mpm, gt, wkt, nodata=-1)
    write_tif(popf, pop, gt, wkt, nodata=-1)
    # the sea: columns 16-23 (the polygon 10 m inside their cells, so that no land cell is touched)
    sea = lonlat(EPSG, [(x0 + 16 * res + 10, y0 + 500), (x0 + w * res + 500, y0 + 500), (x0 + w * res + 500, y0 - h * res - 500),
                        (x0 + 16 * res + 10, y0 - h * res - 500)])
    water = os.path.join(tmp, "sea.geojson")
    with open(water, "w") as f:
        json.dump({"type": "FeatureCollection", "features": [{"type": "Feature", "properties": {"natural": "coastline"},
                   "geometry": {"type": "Polygon", "coordinates": [[list(p) for p in sea + sea[:1]]]}}]}, f)
    road = os.path.join(tmp, "roads.geojson")  # far away: the pure off-road case
    write_roads(road, [lonlat(EPSG, [(x0 + 30000, y0 + 30000), (x0 + 30500, y0 + 30000)])])
    fac = os.path.join(tmp, "fac.csv")
    fcell = (1, 2)  # (column, row)
    write_facilities(fac, lonlat(EPSG, [(x0 + (fcell[0] + 0.5) * res, y0 - (fcell[1] + 0.5) * res)]))
    prof = os.path.join(tmp, "walk.yaml")
    with open(prof, "w") as f:
        f.write(PROFILE)
    T = "10,20,40,60"
    common = ["--roads", road, "--population", popf, "--crs", f"EPSG:{EPSG}", "--profile", prof, "--offroad", "friction",
              "--friction", fr, "--water", water, "--quiet"]
    # the reference: the surface, its times, the rule
    spm = np.where(mpm > 0, mpm.astype(np.float64) * 60.0, np.inf)
    spm[:, 16:] = np.inf
    ex, ny = offroad_ref.cell_sizes(gt, h, False)
    walk = offroad_ref.offroad_times(spm, None, ex, ny, 16, [fcell[1] * w + fcell[0]])
    ref, moved = offroad_ref.impassable_nearest(walk, spm, ex, ny, 250.0)
    want_moved = {r * w + c for r in range(h) for c in (16, 17)} | {6 * w + 3}
    check(set(moved) == want_moved, f"the reference moves {sorted(moved)}")
    # coverage
    cov = os.path.join(tmp, "cov")
    run(["coverage"] + common + ["--facilities", fac, "--minutes", T, "--out", cov, "--lang", "en"])
    tt, nd = read_band(os.path.join(cov, "travel_time.tif"))
    worst, n = compare(tt, nd, ref, "coverage with the rule")
    check(np.all(tt[:, 18:] == nd) and np.all(tt[:, 16:18] != nd), "the sea's first two columns have a time, the others none")
    sm = cli_test.load_summary(cov)
    im = sm["offroad"]["impassable_population"]
    pop_moved = float(sum(pop.flat[c] for c in moved))
    far = max(d for _, d in moved.values())
    check(im["rule"] == "nearest" and im["max_m"] == 250 and abs(im["population_moved"] - pop_moved) < 1e-6 and im["cells_moved"] == len(moved)
          and abs(far - 200.0) < 1e-9 and abs(im["farthest_move_m"] - far) < 0.05, f"summary.json impassable_population {im}, reference {pop_moved}, {far} m")
    left = float(pop[:, 18:].sum())
    check(abs(sm["offroad"]["population_impassable_cell"] - left) < 1e-6 and abs(sm["population_no_road_access"] - left) < 1e-6,
          f"impassable {sm['offroad']['population_impassable_cell']}, want {left} (beyond 250 m)")
    acc = sm["population_within_min"]["60"] + sm["population_beyond_max"] + sm["population_no_road_access"] + sm["population_unreachable"]
    check(abs(acc - sm["population_total"]) < 1e-6, "accounting identity")
    # the walk is at the passable cell's speed: a shore cell of 0.040 min/m gives its sea neighbour 4 more minutes
    r4 = 1
    check(abs((tt[r4, 16] - tt[r4, 15]) - 100 * 0.040) < 1e-4 and abs((tt[r4, 17] - tt[r4, 15]) - 200 * 0.040) < 1e-4,
          f"row {r4}: shore {tt[r4, 15]:.4f}, sea {tt[r4, 16]:.4f} / {tt[r4, 17]:.4f} min")
    # traveltime: the same times, tile by tile (16-cell tiles: the moves cross the tile edge at the shore)
    tv = os.path.join(tmp, "tt")
    run(["traveltime"] + common + ["--facilities", fac, "--minutes", T, "--tile", "16", "--out", tv])
    t2, nd2 = read_band(os.path.join(tv, "travel_time.tif"))
    within = np.isfinite(ref) & (ref <= 60 * 60 + 0.0005)
    check(np.array_equal(t2.ravel() != nd2, within), "traveltime reaches other cells than the reference within 60 min")
    check(np.max(np.abs(t2.ravel()[within] * 60000.0 - ref[within] * 1000.0)) <= 1.0, "traveltime differs from the reference")
    st = cli_test.load_summary(tv)
    ti = st["offroad"]["impassable_population"]
    check(abs(ti["population_moved"] - pop_moved) < 1e-6 and abs(ti["farthest_move_m"] - far) < 0.05 and abs(st["population_no_road_access"] - left) < 1e-6,
          f"traveltime impassable_population {ti}, no road access {st['population_no_road_access']}")
    # site: one new site among candidates, brute force over the reference's times with the rule
    cand_cells = [(12, 1), (15, 8), (6, 12), (3, 16), (19, 4), (9, 9)]  # (19, 4) is in the sea: left out
    cand = os.path.join(tmp, "cand.csv")
    with open(cand, "w") as f:
        f.write("name,lon,lat\n")
        for i, (lo, la) in enumerate(lonlat(EPSG, [(x0 + (c + 0.5) * res, y0 - (r + 0.5) * res) for c, r in cand_cells])):
            f.write(f"C{i},{lo:.12f},{la:.12f}\n")
    fac_t = os.path.join(tmp, "fac_tier.csv")
    with open(fac) as f:
        lines = f.read().splitlines()
    with open(fac_t, "w") as f:
        f.write(lines[0] + ",tier\n" + lines[1] + ",clinic\n")
    so = os.path.join(tmp, "site")
    Tm = 15.0
    run(["site"] + common + ["--facilities", fac_t, "--fixed-tiers", "clinic", "--candidates", cand, "-p", "1", "--minutes", str(Tm),
                             "--exact", "--out", so, "--lang", "en"])
    ss = cli_test.load_summary(so)
    base = ref <= Tm * 60
    popf_ = pop.ravel()
    best = max((float(np.sum(popf_[base | (offroad_ref.impassable_nearest(offroad_ref.offroad_times(spm, None, ex, ny, 16, [r * w + c]), spm, ex, ny)[0]
                                          <= Tm * 60)])), f"C{i}") for i, (c, r) in enumerate(cand_cells) if np.isfinite(spm[r, c]))
    check(abs(ss["coverage"]["covered_before"] - float(np.sum(popf_[base]))) < 1e-6, f"siting before {ss['coverage']['covered_before']}")
    check(abs(ss["coverage"]["covered_after"] - best[0]) < 1e-6 and ss["proposed_sites"][0]["name"] == best[1],
          f"siting picks {ss['proposed_sites'][0]['name']} covering {ss['coverage']['covered_after']}, the reference {best}")
    check(abs(ss["coverage"]["population_no_road_access"] - left) < 1e-6, "siting's people on impassable cells")
    si = ss["parameters"]["offroad"]["impassable_population"]
    check(abs(si["population_moved"] - pop_moved) < 1e-6, f"site impassable_population {si}")
    # the site fed back into coverage gives what site states
    p0 = ss["proposed_sites"][0]
    fac2 = os.path.join(tmp, "fac2.csv")
    with open(fac2, "w") as f:
        f.write(lines[0] + "\n" + lines[1] + f"\nS,{p0['lon']:.12f},{p0['lat']:.12f}\n")
    c2 = os.path.join(tmp, "cov2")
    run(["coverage"] + common + ["--facilities", fac2, "--minutes", f"{Tm:g}", "--out", c2, "--lang", "en"])
    check(abs(cli_test.load_summary(c2)["population_within_min"][f"{Tm:g}"] - ss["coverage"]["covered_after"]) < 1e-6,
          "coverage of the sited facilities differs from siting's covered_after")
    # none: the impassable cells have no time, as before the rule
    cn = os.path.join(tmp, "none")
    run(["coverage"] + common + ["--facilities", fac, "--minutes", T, "--out", cn, "--lang", "en", "--impassable-population", "none"])
    t3, nd3 = read_band(os.path.join(cn, "travel_time.tif"))
    compare(t3, nd3, walk, "coverage without the rule")
    sn = cli_test.load_summary(cn)
    check(abs(sn["offroad"]["population_impassable_cell"] - float(pop[~np.isfinite(spm)].sum())) < 1e-6, "rule none moves people")
    check(sn["offroad"]["impassable_population"]["rule"] == "none" and sn["offroad"]["impassable_population"]["population_moved"] == 0,
          f"rule none: {sn['offroad']['impassable_population']}")
    check(sm["population_within_min"]["60"] > sn["population_within_min"]["60"], "the rule adds nobody within 60 min: a weak test")
    # the same keys in a scenario file: rule none there gives what the command line gives
    scen = os.path.join(tmp, "scen.yaml")
    with open(scen, "w") as f:
        f.write(f"""name: coast
inputs: {{roads: roads.geojson, population: pop.tif, facilities: fac.csv}}
crs: EPSG:{EPSG}
profile: walk.yaml
minutes: [10, 20, 40, 60]
report: {{lang: [en], maps: false}}
offroad: {{model: friction, friction: friction.tif, water: sea.geojson, impassable_population: none}}
""")
    so = os.path.join(tmp, "scen")
    run(["run", scen, "--out", so, "--quiet"])
    ssc = cli_test.load_summary(so)
    check(ssc["offroad"]["impassable_population"]["rule"] == "none" and ssc["population_within_min"]["60"] == sn["population_within_min"]["60"],
          f"scenario with impassable_population none: {ssc['offroad']['impassable_population']}")
    bad = os.path.join(tmp, "bad.yaml")
    with open(scen) as f:
        txt = f.read()
    with open(bad, "w") as f:
        f.write(txt.replace("impassable_population: none", "impassable_population: sea"))
    p = run(["run", bad, "--out", os.path.join(tmp, "bad"), "--quiet"], expect=None)
    check(p.returncode != 0 and "impassable_population" in p.stderr, f"a bad rule in a scenario: exit {p.returncode}, {p.stderr!r}")
    # a shorter distance moves fewer people; bad values are refused naming the flag
    c100 = os.path.join(tmp, "c100")
    run(["coverage"] + common + ["--facilities", fac, "--minutes", T, "--out", c100, "--lang", "en", "--impassable-max-m", "100"])
    i100 = cli_test.load_summary(c100)["offroad"]["impassable_population"]
    check(i100["cells_moved"] == h + 1 and abs(i100["farthest_move_m"] - 100) < 0.05, f"within 100 m: {i100}")
    expect_error(tmp, ["coverage"] + common + ["--facilities", fac, "--impassable-population", "sea"], 2, "--impassable-population")
    expect_error(tmp, ["coverage"] + common + ["--facilities", fac, "--impassable-max-m", "-5"], 2, "--impassable-max-m")
    a = ["coverage"] + [x for x in common if x not in ("--friction", fr, "--water", water)] + ["--facilities", fac, "--impassable-population", "none"]
    a[a.index("--offroad") + 1] = "straight"
    expect_error(tmp, a, 2, "--impassable-population", "--offroad friction")
    print(f"impassable cells: {len(moved)} cells ({pop_moved:.0f} people) moved at most {far:.0f} m; coverage equals the reference "
          f"({n} cells, largest difference {worst:.3f} ms), traveltime and site agree; {left:.0f} people beyond 250 m stay impassable")


def case_emergency(tmp):
    """Emergency mode with the friction model: the station travels to the patient, so slopes are
    taken the station's way (uphill and downhill differ). coverage --emergency equals the reference
    searched FROM the facilities plus the dispatch delay, cell for cell, and not the reference
    searched towards them; site --emergency covers what a brute force over the forward reference's
    times gives (and not what the patient's direction gives), and its sites through coverage
    --emergency give the covered population it states."""
    paths, spm, z, ex, ny, src = synthetic(tmp)
    roads = road_row(paths)
    off = ["--dem", paths["dem.tif"], "--landcover", paths["lc.tif"]]
    out = os.path.join(tmp, "cov")
    run(cc_args(paths, out, *off, "--emergency", "--dispatch-minutes", "1", "--minutes", "5,10,20"))
    fwd = offroad_ref.impassable_nearest(offroad_ref.offroad_times_with_roads(spm, z, ex, ny, 16, src, roads, forward=True), spm, ex, ny)[0]
    rev = offroad_ref.impassable_nearest(offroad_ref.offroad_times_with_roads(spm, z, ex, ny, 16, src, roads), spm, ex, ny)[0]
    tt, nd = read_band(os.path.join(out, "travel_time.tif"))
    worst, n = compare(tt, nd, fwd + 60.0, "coverage --emergency (station to patient, 1 min dispatch)")
    fin = np.isfinite(fwd) & np.isfinite(rev)
    diff = np.abs(fwd[fin] - rev[fin])
    check(np.max(diff) > 60 and np.sum(diff > 1) > 100, f"the directions differ by at most {np.max(diff):.1f} s: a weak test")
    got = tt.ravel()
    reached = got != nd
    check(np.max(np.abs(got[reached] * 60.0 - (rev[reached] + 60.0))) > 30, "coverage --emergency equals the patient's direction")
    s = cli_test.load_summary(out)
    check(s["emergency"]["direction"] == "facility_to_patient" and abs(s["emergency"]["dispatch_minutes"] - 1) < 1e-9, f"{s.get('emergency')}")
    within = float(np.sum(fwd + 60.0 <= 600 + 0.0005))
    check(abs(s["population_within_min"]["10"] - within) < 1e-6, f"within 10 min {s['population_within_min']['10']}, reference {within}")
    # site --emergency: stations among candidates, one fixed
    with open(paths["fac.csv"], "w") as f:
        lo, la = lonlat(EPSG, [(X0 + 3.5 * RES, Y0 - 4.5 * RES)])[0]
        f.write(f"name,lon,lat,tier\nF0,{lo:.12f},{la:.12f},clinic\n")
    fixed_cell = 4 * W + 3
    cand_cells = [(30, 3), (36, 25), (12, 27), (22, 14), (33, 18), (24, 5), (15, 20), (38, 8), (20, 2)]
    cand = os.path.join(tmp, "cand.csv")
    with open(cand, "w") as f:
        f.write("name,lon,lat\n")
        for i, (lo, la) in enumerate(lonlat(EPSG, [(X0 + (c + 0.5) * RES, Y0 - (r + 0.5) * RES) for c, r in cand_cells])):
            f.write(f"C{i},{lo:.12f},{la:.12f}\n")
    T, D = 6.0, 0.5
    common = ["--roads", paths["roads.geojson"], "--population", paths["pop.tif"], "--facilities", paths["fac.csv"], "--crs", f"EPSG:{EPSG}",
              "--profile", paths["walk.yaml"], "--quiet", "--lang", "en", "--offroad", "friction"] + off
    so = os.path.join(tmp, "site")
    run(["site"] + common + ["--fixed-tiers", "clinic", "--candidates", cand, "-p", "2", "--minutes", f"{T:g}", "--emergency",
                             "--dispatch-minutes", f"{D:g}", "--exact", "--out", so])
    ss = cli_test.load_summary(so)
    lim = (T - D) * 60.0

    def brute(forward):
        t = lambda cells: offroad_ref.impassable_nearest(offroad_ref.offroad_times_with_roads(spm, z, ex, ny, 16, cells, roads, forward=forward),
                                                         spm, ex, ny)[0]
        base = t([fixed_cell]) <= lim
        cov = [t([r * W + c]) <= lim for c, r in cand_cells]
        best = max((int(np.sum(base | cov[i] | cov[j])), i, j) for i in range(len(cov)) for j in range(i + 1, len(cov)))
        return int(base.sum()), best

    b_f, best_f = brute(True)
    b_r, best_r = brute(False)
    check((b_f, best_f[0]) != (b_r, best_r[0]), f"forward and reverse give the same coverage ({b_f}, {best_f}): a weak test")
    check(abs(ss["coverage"]["covered_before"] - b_f) < 1e-6, f"site --emergency before {ss['coverage']['covered_before']}, reference {b_f}")
    check(abs(ss["coverage"]["covered_after"] - best_f[0]) < 1e-6,
          f"site --emergency after {ss['coverage']['covered_after']}, reference best pair {best_f} (patient's direction: {b_r}, {best_r})")
    fac2 = os.path.join(tmp, "fac2.csv")
    with open(paths["fac.csv"]) as f:
        lines = f.read().splitlines()
    with open(fac2, "w") as f:
        f.write("\n".join(lines) + "\n")
        for i, p in enumerate(ss["proposed_sites"]):
            f.write(f"S{i},{p['lon']:.12f},{p['lat']:.12f},new\n")
    c2 = os.path.join(tmp, "cov2")
    a = ["coverage"] + common + ["--minutes", f"{T:g}", "--emergency", "--dispatch-minutes", f"{D:g}", "--out", c2]
    a[a.index("--facilities") + 1] = fac2
    run(a)
    w2 = cli_test.load_summary(c2)["population_within_min"][f"{T:g}"]
    check(abs(w2 - ss["coverage"]["covered_after"]) < 1e-6, f"coverage --emergency of the sites {w2} != site's {ss['coverage']['covered_after']}")
    # MEXCLP (ambulances busy a fraction q of the time): expected coverage sum w (1 - q^n), n the ambulances
    # within T of each cell counted with the forward reference
    q = 0.3
    mx = os.path.join(tmp, "mx")
    run(["site"] + common + ["--fixed-tiers", "clinic", "--candidates", cand, "-p", "3", "--minutes", f"{T:g}", "--emergency",
                             "--dispatch-minutes", f"{D:g}", "--model", "mexclp", "--busy-fraction", str(q), "--max-per-station", "2",
                             "--exact", "--out", mx])
    sx = cli_test.load_summary(mx)
    av = sx["availability"]
    reach = lambda cells: offroad_ref.impassable_nearest(offroad_ref.offroad_times_with_roads(spm, z, ex, ny, 16, cells, roads, forward=True),
                                                         spm, ex, ny)[0] <= lim
    cell_of = {f"C{i}": r * W + c for i, (c, r) in enumerate(cand_cells)}
    n_before = reach([fixed_cell]).astype(float)
    n_after = n_before.copy()
    for x in sx["proposed_sites"]:
        n_after += x["ambulances"] * reach([cell_of[x["name"]]])
    check(sum(x["ambulances"] for x in sx["proposed_sites"]) == 3, f"mexclp ambulances {sx['proposed_sites']}")
    for what, mine, ref in (("expected before", av["expected_covered_before"], float(np.sum(1 - q ** n_before))),
                            ("expected after", av["expected_covered_after"], float(np.sum(1 - q ** n_after))),
                            ("covered twice after", av["covered_twice_after"], float(np.sum(n_after >= 2)))):
        check(abs(mine - ref) <= 1e-6 * ref + 0.01, f"mexclp with friction, {what}: summary.json {mine:.3f}, the forward reference {ref:.3f}")
    check(abs(sx["solution"]["objective"] - av["expected_covered_after"]) < 0.01, "mexclp objective != fresh expected coverage")
    print(f"emergency: coverage equals the forward reference ({n} cells, {worst:.3f} ms; the directions differ by up to {np.max(diff):.0f} s); "
          f"site covers {b_f} -> {best_f[0]} as the forward brute force (the patient's direction would give {b_r} -> {best_r[0]})")


def chain_band(out, description):
    """A band of travel_time.tif by its description (minutes; NaN = nodata)."""
    ds = gdal.Open(os.path.join(out, "travel_time.tif"))
    for i in range(1, ds.RasterCount + 1):
        b = ds.GetRasterBand(i)
        if b.GetDescription() == description:
            a = b.ReadAsArray().astype(np.float64)
            a[a == b.GetNoDataValue()] = np.nan
            return a.ravel()
    raise Fail(f"{out}/travel_time.tif has no band {description!r}")


CHAIN_LEG1 = "chain: minutes from the nearest emergency station to the patient (drive)"
CHAIN_LEG2 = "chain: minutes from the patient to the nearest capable facility (drive)"
CHAIN_TOTAL = "chain: total minutes (dispatch + station to patient + on scene + patient to capable facility)"


def case_chain(tmp):
    """The emergency chain with the friction model: leg 1 searched from the stations towards the
    patient (slopes the ambulance's way), leg 2 from the patient towards the capable facility, both
    over cells and the road, each equal to the reference cell for cell; the total is dispatch + leg 1
    + on scene + leg 2; barrier-enclosed and impassable cells have no chain (summary.json counts
    them); a capable facility on a barrier cell takes no part. site --emergency --capable-tiers
    covers what a brute force over the reference's two legs gives."""
    paths, spm, z, ex, ny, src = synthetic(tmp)
    roads = road_row(paths)
    off = ["--dem", paths["dem.tif"], "--landcover", paths["lc.tif"]]
    st_cell, cap_cell, wall_cell = 4 * W + 3, 25 * W + 36, 5 * W + 26  # the last on the wall (speed 0)
    with open(paths["fac.csv"], "w") as f:
        f.write("name,lon,lat,tier\n")
        for name, cell, tier in (("S0", st_cell, "station"), ("H0", cap_cell, "hospital"), ("H1", wall_cell, "hospital")):
            r, c = divmod(cell, W)
            lo, la = lonlat(EPSG, [(X0 + (c + 0.5) * RES, Y0 - (r + 0.5) * RES)])[0]
            f.write(f"{name},{lo:.12f},{la:.12f},{tier}\n")
    D, S = 1.0, 2.0
    chain = ["--chain", "--station-tiers", "station", "--capable-tiers", "hospital", "--dispatch-minutes", f"{D:g}", "--on-scene-minutes", f"{S:g}",
             "--minutes", "10,20,40"]
    refs = {}
    for rule in ("nearest", "none"):
        out = os.path.join(tmp, "ch-" + rule)
        run(cc_args(paths, out, *off, *chain, "--impassable-population", rule))
        raw1 = offroad_ref.offroad_times_with_roads(spm, z, ex, ny, 16, [st_cell], roads, forward=True)
        raw2 = offroad_ref.offroad_times_with_roads(spm, z, ex, ny, 16, [cap_cell], roads)
        if rule == "nearest":
            l1, l2 = (offroad_ref.impassable_nearest(x, spm, ex, ny)[0] for x in (raw1, raw2))
        else:
            l1, l2 = raw1, raw2
        g1, g2, gt = (chain_band(out, d) for d in (CHAIN_LEG1, CHAIN_LEG2, CHAIN_TOTAL))
        worst = 0.0
        for what, got, ref in (("leg 1 (station to patient)", g1, l1), ("leg 2 (patient to capable)", g2, l2)):
            check(np.array_equal(np.isfinite(got), np.isfinite(ref)),
                  f"{rule}: {what} reached on {int(np.isfinite(got).sum())} cells, the reference on {int(np.isfinite(ref).sum())}")
            fin = np.isfinite(ref)
            d = float(np.max(np.abs(got[fin] * 60000.0 - ref[fin] * 1000.0)))
            check(d <= 1.0, f"{rule}: {what} differs from the reference by {d:.3f} ms")
            worst = max(worst, d)
        ref_t = np.rint(l1 * 1000.0) + np.rint(l2 * 1000.0) + (D + S) * 60000.0
        both = np.isfinite(l1) & np.isfinite(l2)
        check(np.array_equal(np.isfinite(gt), both), f"{rule}: the chain exists on {int(np.isfinite(gt).sum())} cells, both legs on {int(both.sum())}")
        # each leg within 1 ms of the reference's rounding, and the Float32 minutes' half step
        dt = float(np.max(np.abs(gt[both] * 60000.0 - ref_t[both]) - 6e-8 * ref_t[both]))
        check(dt <= 2.0, f"{rule}: chain total differs by {dt:.3f} ms (beyond Float32's step) from dispatch + legs + on scene")
        s = cli_test.load_summary(out)
        ch = s["chain"]
        check(ch["stations"] == 1 and ch["capable_facilities"] == 1, f"{rule}: the barrier hospital takes part: {ch['stations']}, {ch['capable_facilities']}")
        n_no = float(np.sum(~both))  # one person a cell
        check(abs(ch["population_without_chain"] - n_no) < 1e-6, f"{rule}: population_without_chain {ch['population_without_chain']}, reference {n_no}")
        for key in ("10", "20", "40"):
            want = float(np.sum(both & (ref_t <= float(key) * 60000.0)))
            check(abs(ch["population_within_min"][key] - want) < 1e-6, f"{rule}: chain within {key} min {ch['population_within_min'][key]}, reference {want}")
        refs[rule] = (l1, l2, both)
        print(f"chain, impassable {rule}: legs equal the reference (largest difference {worst:.3f} ms), total within {dt:.3f} ms, "
              f"{n_no:.0f} cells without a chain")
    l1, l2, both = refs["nearest"]
    pocket = [r * W + c for r in range(13, 16) for c in range(6, 9)]
    check(all(not both[c] for c in pocket), "a cell of the closed pocket has a chain")
    n_block = int(np.sum(~np.isfinite(spm)))
    check(int(np.sum(~refs["none"][2])) >= int(np.sum(~both)) + n_block - 30, "impassable cells have a chain under rule none: a weak test")
    rev1 = offroad_ref.impassable_nearest(offroad_ref.offroad_times_with_roads(spm, z, ex, ny, 16, [st_cell], roads), spm, ex, ny)[0]
    fin = np.isfinite(rev1) & np.isfinite(l1)
    check(np.max(np.abs(rev1[fin] - l1[fin])) > 30, "leg 1 does not depend on the direction: a weak test")
    # chain siting: one station among candidates, the fixed one kept
    cand_cells = [(30, 3), (36, 25), (12, 27), (22, 14), (33, 18), (24, 5), (15, 20), (38, 8), (20, 2)]
    cand = os.path.join(tmp, "cand.csv")
    with open(cand, "w") as f:
        f.write("name,lon,lat\n")
        for i, (lo, la) in enumerate(lonlat(EPSG, [(X0 + (c + 0.5) * RES, Y0 - (r + 0.5) * RES) for c, r in cand_cells])):
            f.write(f"C{i},{lo:.12f},{la:.12f}\n")
    T = 20.0
    common = ["--roads", paths["roads.geojson"], "--population", paths["pop.tif"], "--facilities", paths["fac.csv"], "--crs", f"EPSG:{EPSG}",
              "--profile", paths["walk.yaml"], "--quiet", "--lang", "en", "--offroad", "friction"] + off
    so = os.path.join(tmp, "site")
    run(["site"] + common + ["--fixed-tiers", "station", "--candidates", cand, "-p", "2", "--minutes", f"{T:g}", "--emergency",
                             "--capable-tiers", "hospital", "--dispatch-minutes", f"{D:g}", "--on-scene-minutes", f"{S:g}", "--exact", "--out", so])
    ss = cli_test.load_summary(so)
    leg2_ms = np.rint(l2 * 1000.0)

    def covered(cell):
        t1 = np.rint(offroad_ref.impassable_nearest(offroad_ref.offroad_times_with_roads(spm, z, ex, ny, 16, [cell], roads, forward=True),
                                                    spm, ex, ny)[0] * 1000.0)
        tot = t1 + (D + S) * 60000.0 + leg2_ms
        return np.isfinite(tot) & (tot <= T * 60000.0)

    base = covered(st_cell)
    cov = [covered(r * W + c) for c, r in cand_cells]
    best = max((int(np.sum(base | cov[i] | cov[j])), i, j) for i in range(len(cov)) for j in range(i + 1, len(cov)))
    check(0 < base.sum() < best[0] < len(base) - 50, f"chain siting: before {int(base.sum())}, best pair {best}: a weak test")
    check(abs(ss["coverage"]["covered_before"] - base.sum()) < 1e-6, f"chain site before {ss['coverage']['covered_before']}, reference {int(base.sum())}")
    check(abs(ss["coverage"]["covered_after"] - best[0]) < 1e-6, f"chain site after {ss['coverage']['covered_after']}, reference best pair {best}")
    print(f"chain siting with friction: covers {int(base.sum())} -> {best[0]} as the brute force over the reference's legs")


def chain_upgrade_setup(tmp):
    """case_chain_upgrade's valley: a station, a hospital, five clinics (one on the wall), nine
    candidate sites; the facility file written. Returns a dict of what the case and mpi_test.py use."""
    paths, spm, z, ex, ny, src = synthetic(tmp)
    roads = road_row(paths)
    off = ["--dem", paths["dem.tif"], "--landcover", paths["lc.tif"]]
    st_cell, cap_cell = 4 * W + 3, 25 * W + 36
    clinics = [("K0", 22 * W + 8), ("K1", 3 * W + 18), ("KW", 6 * W + 26), ("K2", 14 * W + 30), ("K3", 27 * W + 20)]  # KW: on the wall
    check(not np.isfinite(spm.flat[6 * W + 26]), "the wall clinic stands on a passable cell")
    rows = [("S0", st_cell, "station"), ("H0", cap_cell, "hospital")] + [(n, c, "clinic") for n, c in clinics]

    def write_fac(path, capable=(), stations=()):
        with open(path, "w") as f:
            f.write("name,lon,lat,tier\n")
            for name, cell, tier in rows:
                r, c = divmod(cell, W)
                lo, la = lonlat(EPSG, [(X0 + (c + 0.5) * RES, Y0 - (r + 0.5) * RES)])[0]
                f.write(f"{name},{lo:.12f},{la:.12f},{'hospital' if name in capable else tier}\n")
            for k, (lo, la) in enumerate(stations):
                f.write(f"N{k},{lo!r},{la!r},station\n")

    write_fac(paths["fac.csv"])
    cand_cells = [(30, 3), (36, 25), (12, 27), (22, 14), (33, 18), (24, 5), (15, 20), (38, 8), (20, 2)]
    cand = os.path.join(tmp, "cand.csv")
    with open(cand, "w") as f:
        f.write("name,lon,lat\n")
        for i, (lo, la) in enumerate(lonlat(EPSG, [(X0 + (c + 0.5) * RES, Y0 - (r + 0.5) * RES) for c, r in cand_cells])):
            f.write(f"C{i},{lo:.12f},{la:.12f}\n")
    T, D, S = 20.0, 1.0, 2.0
    common = ["--roads", paths["roads.geojson"], "--population", paths["pop.tif"], "--crs", f"EPSG:{EPSG}",
              "--profile", paths["walk.yaml"], "--lang", "en", "--offroad", "friction"] + off
    site = ["site"] + common + ["--fixed-tiers", "station", "--candidates", cand, "-p", "2", "--minutes", f"{T:g}", "--emergency",
                                "--capable-tiers", "hospital", "--dispatch-minutes", f"{D:g}", "--on-scene-minutes", f"{S:g}", "--exact"]
    return dict(paths=paths, spm=spm, z=z, ex=ex, ny=ny, roads=roads, st_cell=st_cell, cap_cell=cap_cell, clinics=clinics,
                write_fac=write_fac, cand_cells=cand_cells, T=T, D=D, S=S, common=common, site=site)


def case_chain_upgrade(tmp):
    """site --emergency --capable-tiers --upgrade-tiers with the friction model: each clinic's leg
    (patient -> that clinic over cells and the road) is timed on the same surface as the other legs,
    so the chosen upgrade set and stations equal a brute force over the reference's legs (every set
    of 0..2 clinics x every pair of stations, ties to the fewest upgrades, first in file order); a
    clinic on a wall cell cannot be upgraded (a warning naming it) and the run goes on; `coverage
    --chain` with the chosen clinics made capable gives the figures before (existing stations) and
    after (the new stations added) that summary.json states."""
    u = chain_upgrade_setup(tmp)
    paths, spm, z, ex, ny, roads, st_cell, cap_cell, clinics, write_fac, cand_cells, T, D, S, common, site = (
        u[k] for k in ("paths", "spm", "z", "ex", "ny", "roads", "st_cell", "cap_cell", "clinics", "write_fac", "cand_cells", "T", "D",
                       "S", "common", "site"))
    so = os.path.join(tmp, "site")
    p = run(site + ["--facilities", paths["fac.csv"], "--upgrade-tiers", "clinic", "--out", so])
    warn = [l for l in p.stderr.splitlines() if "upgrade_tiers" in l or "--upgrade-tiers" in l]
    check(len(warn) == 1 and "'KW'" in warn[0] and "cannot be upgraded" in warn[0],
          f"no warning naming the clinic on the wall: {p.stderr!r}")
    ss = cli_test.load_summary(so)
    up = ss["upgrade"]
    # the reference: leg 2 to the hospital and to each passable clinic, leg 1 from each station
    ms = lambda cells, forward: np.rint(offroad_ref.impassable_nearest(
        offroad_ref.offroad_times_with_roads(spm, z, ex, ny, 16, cells, roads, forward=forward), spm, ex, ny)[0] * 1000.0)
    ok = [(n, c) for n, c in clinics if np.isfinite(spm.flat[c])]
    leg2_h = ms([cap_cell], False)
    leg2_k = [ms([c], False) for _, c in ok]
    leg1_s = ms([st_cell], True)
    leg1_c = [ms([r * W + c], True) for c, r in cand_cells]
    lim = T * 60000.0 - (D + S) * 60000.0
    pairs = [(i, j) for i in range(len(cand_cells)) for j in range(i + 1, len(cand_cells))]
    best = None  # (covered, -k, set order, stations)
    order = 0
    per_set = []
    for k in range(3):
        for us in itertools.combinations(range(len(ok)), k):
            l2 = leg2_h.copy()
            for u in us:
                l2 = np.fmin(l2, leg2_k[u])
            cov = lambda l1: np.isfinite(l1) & np.isfinite(l2) & (l1 + l2 <= lim)
            base = cov(leg1_s)
            cs = [cov(x) for x in leg1_c]
            vals = sorted(((int(np.sum(base | cs[i] | cs[j])), (i, j)) for i, j in pairs), reverse=True)
            per_set.append((us, vals[0][0], int(base.sum())))
            if best is None or vals[0][0] > best[0]:
                best = (vals[0][0], k, us, [v for v in vals if v[0] == vals[0][0]], int(base.sum()))
            order += 1
    covered, bk, bus, bst, before = best
    check(up["candidates"] == len(ok) and up["sets_solved"] == order, f"upgrade block {up}, reference {len(ok)} candidates, {order} sets")
    check(bk >= 1 and best[0] > per_set[0][1], f"the best upgrade set is none ({per_set[:3]}): a weak test")
    check(sum(1 for x in per_set if x[1] == covered) == 1, f"several upgrade sets tie at {covered}: a weak test {per_set}")
    got = [u["name"] for u in up["upgraded_facilities"]]
    check(got == [ok[u][0] for u in bus], f"upgraded {got}, the brute force over the reference's legs {[ok[u][0] for u in bus]} ({per_set})")
    check(abs(ss["coverage"]["covered_after"] - covered) < 1e-6, f"covered_after {ss['coverage']['covered_after']}, brute force {covered}")
    check(abs(ss["coverage"]["covered_before"] - before) < 1e-6, f"covered_before {ss['coverage']['covered_before']}, brute force {before}")
    check(abs(up["covered_without_upgrade"] - per_set[0][1]) < 1e-6, f"covered_without_upgrade {up['covered_without_upgrade']}, brute force {per_set[0][1]}")
    name_of = {f"C{i}": i for i in range(len(cand_cells))}
    picked = tuple(sorted(name_of[x["name"]] for x in ss["proposed_sites"]))
    check(picked in [v[1] for v in bst], f"stations {picked}, the brute force's best pairs {bst}")
    # coverage --chain with the chosen clinics made capable: before (existing stations) and after (stations added)
    sites = [(x["lon"], x["lat"]) for x in ss["proposed_sites"]]
    for what, stations, want in (("before", (), ss["coverage"]["covered_before"]), ("after", sites, ss["coverage"]["covered_after"])):
        fac = os.path.join(tmp, f"fac_{what}.csv")
        write_fac(fac, capable=set(got), stations=stations)
        co = os.path.join(tmp, "cov_" + what)
        run(["coverage"] + common + ["--facilities", fac, "--chain", "--station-tiers", "station", "--capable-tiers", "hospital",
                                     "--dispatch-minutes", f"{D:g}", "--on-scene-minutes", f"{S:g}", "--minutes", f"{T:g}", "--out", co, "--quiet"])
        w = cli_test.load_summary(co)["chain"]["population_within_min"][f"{T:g}"]
        check(abs(w - want) < 1e-6, f"coverage --chain {what}: {w}, site's summary.json {want}")
    # the same siting from a scenario file (offroad keys, siting.upgrade_tiers / max_upgrades)
    with open(os.path.join(tmp, "up.yaml"), "w") as f:
        f.write(scenario_head("upgrade") + f"""minutes: [{T:g}]
report: {{lang: [en], maps: false}}
offroad: {{model: friction, dem: dem.tif, landcover: lc.tif}}
siting:
  - {{model: mclp, budget: 2, threshold_min: {T:g}, candidates: cand.csv, fixed_tiers: [station], emergency: true,
     dispatch_minutes: {D:g}, capable_tiers: [hospital], on_scene_minutes: {S:g}, upgrade_tiers: [clinic], max_upgrades: 2}}
""")
    write_fac(paths["fac.csv"])
    sc = os.path.join(tmp, "scen")
    run(["run", os.path.join(tmp, "up.yaml"), "--out", sc, "--quiet"])
    js = cli_test.load_summary(os.path.join(sc, "siting"))
    check([x["name"] for x in js["upgrade"]["upgraded_facilities"]] == got and js["upgrade"]["sets_solved"] == order and
          abs(js["coverage"]["covered_after"] - covered) < 1e-6 and js["parameters"]["offroad"]["model"] == "friction",
          f"the scenario's siting: {js.get('upgrade')}, covered {js['coverage']['covered_after']}; the command line's: {got}, {covered}")
    with open(os.path.join(tmp, "bad.yaml"), "w") as f:
        f.write(open(os.path.join(tmp, "up.yaml")).read().replace(", upgrade_tiers: [clinic], max_upgrades: 2", ", max_upgrades: 2"))
    p = run(["run", os.path.join(tmp, "bad.yaml"), "--out", os.path.join(tmp, "bad"), "--quiet"], expect=None)
    check(p.returncode != 0 and "max_upgrades" in p.stderr and "upgrade_tiers" in p.stderr, f"max_upgrades alone: exit {p.returncode}, {p.stderr!r}")
    # only the wall clinic may be upgraded: an error naming the surface, no output
    write_fac(paths["fac.csv"])
    a = site + ["--facilities", paths["fac.csv"], "--upgrade-tiers", "clinic", "--quiet"]
    with open(paths["fac.csv"]) as f:
        lines = [l for l in f.read().splitlines() if not l.startswith("K") or l.startswith("KW")]
    fw = os.path.join(tmp, "fac_wall.csv")
    with open(fw, "w") as f:
        f.write("\n".join(lines) + "\n")
    a[a.index(paths["fac.csv"])] = fw
    cli_test.expect_error(tmp, a, 3, "--upgrade-tiers", "passable cell of the friction surface")
    print(f"upgrade with friction: {order} sets, upgraded {got}, covers {before} -> {covered} (no upgrade {per_set[0][1]}), "
          f"stations {picked} as the brute force over the reference's legs; coverage --chain agrees before and after")


def river_and_bridge(tmp, paths):
    """case_closed_bridge's river (a water polygon over columns 13-14) and its three roads, the
    middle one (way 2) the bridge; the water file's path."""
    river = [(X0 + 13 * RES + 5, Y0 + 10), (X0 + 14 * RES + 25, Y0 + 10), (X0 + 14 * RES + 25, Y0 - H * RES - 10),
             (X0 + 13 * RES + 5, Y0 - H * RES - 10)]
    water = os.path.join(tmp, "water.geojson")
    with open(water, "w") as f:
        ring = [list(p) for p in lonlat(EPSG, river + river[:1])]
        json.dump({"type": "FeatureCollection", "features": [{"type": "Feature", "properties": {"natural": "water"},
                                                              "geometry": {"type": "Polygon", "coordinates": [ring]}}]}, f)
    yrow = Y0 - 8.5 * RES
    west = lonlat(EPSG, [(X0 + 6.5 * RES, yrow), (X0 + 11.5 * RES, yrow)])
    bridge = lonlat(EPSG, [(X0 + 11.5 * RES, yrow), (X0 + 16.5 * RES, yrow)])
    east = lonlat(EPSG, [(X0 + 16.5 * RES, yrow), (X0 + 24.5 * RES, yrow)])
    write_roads(paths["roads.geojson"], [west, bridge, east], "primary", ids=[1, 2, 3])
    return water


def robust_batch(tmp):
    """synthetic() with the river and bridge, the candidate sites as the facility file, and a batch:
    the base, the bridge closed (a road edit), and a flood (another land-cover raster: its own
    friction surface) that makes the west bank slow and cuts a candidate off. Returns the batch's
    path, the candidates' cells and the threshold."""
    paths, *_ = synthetic(tmp)
    river_and_bridge(tmp, paths)
    lc = gdal.Open(paths["lc.tif"]).ReadAsArray()
    flood = lc.copy()
    flood[:, 0:12] = np.where(flood[:, 0:12] == 1, 2, flood[:, 0:12])  # the west bank at half speed
    flood[20, 8] = 3  # a candidate's cell under water
    s = osr.SpatialReference()
    s.ImportFromEPSG(EPSG)
    write_tif(os.path.join(tmp, "lc_flood.tif"), flood, (X0, RES, 0, Y0, 0, -RES), s.ExportToWkt(), gdal.GDT_Byte)
    cand_cells = [(8, 20), (3, 4), (20, 8), (30, 3), (36, 25), (12, 27), (22, 14), (33, 18), (17, 20)]
    write_facilities(paths["fac.csv"], lonlat(EPSG, [(X0 + (c + 0.5) * RES, Y0 - (r + 0.5) * RES) for c, r in cand_cells]))
    T = 5
    with open(os.path.join(tmp, "base.yaml"), "w") as f:
        f.write(scenario_head("robust_base") + f"""minutes: [{T}, 30]
report: {{lang: [en], maps: false}}
offroad: {{model: friction, landcover: lc.tif, water: water.geojson, neighbours: 16}}
""")
    batch = os.path.join(tmp, "batch.yaml")
    with open(batch, "w") as f:
        f.write("""base: base.yaml
variants:
  - name: bridge_closed
    set:
      closed_roads: {way_ids: [2]}
  - name: flood
    set:
      offroad: {landcover: lc_flood.tif}
""")
    return paths, batch, cand_cells, T


def facility_reach(out, T):
    ds = ogr.Open(os.path.join(out, "coverage.gpkg"))
    return [f.GetField(f"reach_le_{T}") for f in ds.GetLayerByName("facilities")]


def case_robust(tmp):
    """site --scenarios (robust siting) with the friction model: each variant's own surface (the
    flood variant reads another land-cover raster); with one site and nothing fixed, a candidate
    covers in each variant what coverage of that variant gives as its reach, so the robust max-min
    choice and every variant's covered persons are checked against `carecircle batch` runs; a
    candidate flooded in one variant covers nobody there."""
    paths, batch, cand_cells, T = robust_batch(tmp)
    b = os.path.join(tmp, "batch_out")
    run(["batch", batch, "--out", b, "--quiet", "--lang", "en"])
    names = ["base", "bridge_closed", "flood"]
    reach = {}
    for n in names:
        d = os.path.join(b, n) if os.path.isdir(os.path.join(b, n)) else None
        if d is None:
            cand = [x for x in os.listdir(b) if n in x and os.path.isdir(os.path.join(b, x))]
            check(len(cand) == 1, f"no folder of variant {n} in {os.listdir(b)}")
            d = os.path.join(b, cand[0])
        check(cli_test.load_summary(d)["offroad"]["model"] == "friction", f"variant {n} did not use the friction model")
        reach[n] = facility_reach(d, T)
    flooded = 0  # the candidate at (8, 20) stands on the flooded cell
    check(reach["flood"][flooded] is None or reach["flood"][flooded] == 0, f"the flooded candidate reaches {reach['flood'][flooded]} in the flood")
    r = {n: [x or 0.0 for x in reach[n]] for n in names}
    check(r["base"] != r["bridge_closed"] and r["base"] != r["flood"], f"the variants do not change the reach: a weak test {r}")
    worst = [min(r[n][j] for n in names) for j in range(len(cand_cells))]
    best_j = max(range(len(cand_cells)), key=lambda j: (worst[j], -j))
    check(sorted(worst)[-1] > sorted(worst)[-2] + 0.5, f"two candidates tie for the robust choice: {worst}")
    own_best = {n: max(r[n]) for n in names}
    check(any(r[n][best_j] < own_best[n] - 0.5 for n in names), "the robust choice is every variant's own best: a weak test")
    so = os.path.join(tmp, "robust")
    run(["site", "--scenarios", batch, "--candidates", paths["fac.csv"], "-p", "1", "--minutes", str(T), "--objective", "max_min",
         "--exact", "--lang", "en", "--out", so, "--quiet"])
    s = cli_test.load_summary(so)
    check(len(s["robust_sites"]) == 1, f"robust sites {s['robust_sites']}")
    lo, la = lonlat(EPSG, [(X0 + (cand_cells[best_j][0] + 0.5) * RES, Y0 - (cand_cells[best_j][1] + 0.5) * RES)])[0]
    got = s["robust_sites"][0]
    check(abs(got["lon"] - lo) < 1e-6 and abs(got["lat"] - la) < 1e-6, f"robust site {got}, max-min over the batch's reach: candidate {best_j} {cand_cells[best_j]}")
    for v in s["variants"]:
        check(abs(v["covered_robust_persons"] - r[v["name"]][best_j]) < 1e-6, f"{v['name']}: robust set covers {v['covered_robust_persons']}, "
              f"coverage of the variant {r[v['name']][best_j]}")
        check(abs(v["own_optimum_persons"] - own_best[v["name"]]) < 1e-6, f"{v['name']}: own optimum {v['own_optimum_persons']}, best reach {own_best[v['name']]}")
        vs = cli_test.load_summary(os.path.join(so, v["name"]))
        check(vs["parameters"]["offroad"]["model"] == "friction", f"{v['name']}/summary.json lacks the friction model")
        check(abs(vs["coverage"]["covered_after"] - r[v["name"]][best_j]) < 1e-6, f"{v['name']}/summary.json covered_after {vs['coverage']['covered_after']}")
    print(f"robust siting with friction: candidate {best_j} covers {[r[n][best_j] for n in names]} (base, bridge closed, flood), "
          f"as the max-min over the batch's coverage")


def case_deliverables(tmp):
    """What GIS staff and officials see of a friction run: the QGIS style of demand_uncovered has a
    rule for every status the layer holds (impassable_cell and barrier_enclosed had none, so QGIS drew
    none of those cells), the project renders, and the report names the walled-off people as cut off
    by barriers (they were listed as 'beyond'); zh and en."""
    paths, spm, z, ex, ny, src = synthetic(tmp)
    # the closed pocket (rows 13-15, columns 6-8) holds the most people, so it heads the report's list
    pop = np.ones((H, W), np.float32)
    pop[13:16, 6:9] = 500
    s = osr.SpatialReference()
    s.ImportFromEPSG(EPSG)
    write_tif(paths["pop.tif"], pop, (X0, RES, 0, Y0, 0, -RES), s.ExportToWkt(), nodata=-1)
    out = os.path.join(tmp, "o")
    args = cc_args(paths, out, "--dem", paths["dem.tif"], "--landcover", paths["lc.tif"], "--impassable-population", "none")
    args[args.index("--lang") + 1] = "zh,en"
    run(args)
    sm = cli_test.load_summary(out)
    check(sm["offroad"]["population_barrier_enclosed"] >= 4500 and sm["offroad"]["population_impassable_cell"] > 0,
          f"the case needs both statuses: {sm['offroad']}")
    ds = ogr.Open(os.path.join(out, "coverage.gpkg"))
    statuses = {f.GetField("status") for f in ds.GetLayerByName("demand_uncovered")}
    ds = None  # closed before QGIS starts (and exits) in this process
    check({"barrier_enclosed", "impassable_cell"} <= statuses, f"statuses {statuses}")
    qgs = open(os.path.join(out, "project.qgs"), encoding="utf-8").read()
    for st in statuses - {"beyond"}:
        check(f"'{st}'" in qgs, f"project.qgs: no style rule for demand_uncovered status '{st}' (QGIS draws none of its cells)")
    os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")  # headless
    try:
        from qgis.core import QgsApplication
    except ImportError as e:
        print(f"QGIS Python bindings are not installed ({e}): the project is not rendered")
    else:
        import qgis_render
        app = QgsApplication([], False)
        app.initQgis()
        probs = qgis_render.check_project(os.path.join(out, "project.qgs"), os.path.join(tmp, "qgs.png"))
        app.exitQgis()
        check(not probs, f"project.qgs: {probs}")
    for lang, header, cell in (("en", "Cut off from every facility by barriers", "cut off by barriers"), ("zh", "被阻隔、无法到达任何机构", "被阻隔")):
        page = open(os.path.join(out, f"report_{lang}.html"), encoding="utf-8").read()
        check(header in page, f"report_{lang}: the threshold table does not name the cut-off people")
        check(f">{cell}</td>" in page, f"report_{lang}: the walled-off cells are not listed as cut off")


if __name__ == "__main__":
    sys.exit(cli_test.main(globals(), __doc__))
