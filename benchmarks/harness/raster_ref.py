#!/usr/bin/python3
"""Travel-time raster with scipy: the independent reference model (tests/reference/coverage_ref.py)
as a multi-source Dijkstra from all facilities, every populated cell of a raster.

Usage: raster_ref.py --roads R --population P --facilities F --profile YAML --out TIMES.npz
Writes rows, cols and the time in ms of every populated cell (inf: no road access or no facility
reachable) and prints a JSON object with the load and solve times and peak memory. Also, with
--friction FRICTION.tif, writes the equivalent friction surface for GRASS r.cost on the
population grid: seconds to cross one cell at the fastest drivable road's speed in that cell,
else at the off-road speed; null where the population raster is nodata (the sea)."""
import argparse
import json
import os
import resource
import sys
import time

import numpy as np
import yaml
from osgeo import gdal, ogr, osr

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.join(HERE, '..', '..', 'tests', 'reference'))
import coverage_ref as cr  # noqa: E402

gdal.UseExceptions()


def friction(ways, attrs, road_srs, prof, pop_path, out):
    ds = gdal.Open(pop_path)
    band = ds.GetRasterBand(1)
    arr = band.ReadAsArray().astype(np.float64)
    nd = band.GetNoDataValue()
    land = np.isfinite(arr) & ((arr != nd) if nd is not None else True)
    gt = ds.GetGeoTransform()
    res = abs(gt[1])
    mem = gdal.GetDriverByName('MEM').Create('', ds.RasterXSize, ds.RasterYSize, 1, gdal.GDT_Float32)
    mem.SetGeoTransform(gt)
    mem.SetProjection(ds.GetProjection())
    vds = ogr.GetDriverByName('Memory').CreateDataSource('')
    lyr = vds.CreateLayer('roads', road_srs, ogr.wkbLineString)
    lyr.CreateField(ogr.FieldDefn('kmh', ogr.OFTReal))
    items = []
    for w, a in zip(ways, attrs):
        sp = cr.way_speed_dirs(a, prof)[0]
        if sp > 0:
            items.append((sp, w))
    items.sort(key=lambda x: x[0])  # fastest burnt last wins
    for sp, w in items:
        f = ogr.Feature(lyr.GetLayerDefn())
        g = ogr.Geometry(ogr.wkbLineString)
        for x, y in w:
            g.AddPoint_2D(float(x), float(y))
        f.SetGeometry(g)
        f.SetField('kmh', sp)
        lyr.CreateFeature(f)
    gdal.RasterizeLayer(mem, [1], lyr, options=['ATTRIBUTE=kmh', 'ALL_TOUCHED=TRUE'])
    kmh = mem.GetRasterBand(1).ReadAsArray().astype(np.float64)
    kmh[kmh <= 0] = float(prof['offroad_speed_kmh'])
    sec = np.where(land, res / (kmh / 3.6), -1.0).astype(np.float32)
    drv = gdal.GetDriverByName('GTiff')
    o = drv.Create(out, ds.RasterXSize, ds.RasterYSize, 1, gdal.GDT_Float32, ['COMPRESS=DEFLATE'])
    o.SetGeoTransform(gt)
    o.SetProjection(ds.GetProjection())
    o.GetRasterBand(1).SetNoDataValue(-1.0)
    o.GetRasterBand(1).WriteArray(sec)
    o = None
    return int(land.sum())


def main():
    ap = argparse.ArgumentParser(description=__doc__.split('\n')[0])
    for k in ('--roads', '--population', '--facilities', '--profile', '--out'):
        ap.add_argument(k, required=True)
    ap.add_argument('--friction')
    a = ap.parse_args()
    t0 = time.perf_counter()
    prof = yaml.safe_load(open(a.profile))
    offroad = 1000.0 / (float(prof['offroad_speed_kmh']) / 3.6)
    max_snap = float(prof['max_snap_m'])
    ways, attrs, road_srs = cr.read_roads(a.roads)
    ll = cr.transform(np.concatenate(ways), road_srs, cr.srs_from(None))
    lo, hi = ll.min(axis=0), ll.max(axis=0)
    dst = osr.SpatialReference()
    dst.ImportFromEPSG(cr.utm_epsg((lo[0] + hi[0]) / 2, (lo[1] + hi[1]) / 2))
    dst.SetAxisMappingStrategy(osr.OAMS_TRADITIONAL_GIS_ORDER)
    fxy, _, fsrs = cr.read_facilities(a.facilities, None, 'lon', 'lat')
    dxy, pop, psrs, _ = cr.read_population(a.population, 'pop')
    load = time.perf_counter() - t0
    t0 = time.perf_counter()
    net = cr.Network(ways, attrs, road_srs, dst, prof)
    fj = net.snap(cr.transform(fxy, fsrs, dst), max_snap)
    fok = np.nonzero(fj['d'] <= max_snap)[0]
    fac = {k: v[fok] for k, v in fj.items()}
    fac_off = fac['d'] * offroad
    fac_pc = net.partial_costs(fac)
    dj = net.snap(cr.transform(dxy, psrs, dst), max_snap)
    access = dj['d'] <= max_snap
    dem = {k: v[access] for k, v in dj.items()}
    dem_pc = net.partial_costs(dem)
    t = np.full(len(pop), np.inf)
    t[access] = dem['d'] * offroad + cr.demand_times(net, dem, dem_pc, fac, fac_pc, fac_off, np.arange(len(fok)))
    solve = time.perf_counter() - t0
    # the same cells as read_population, to put times back on the grid
    ds = gdal.Open(a.population)
    band = ds.GetRasterBand(1)
    arr = band.ReadAsArray()
    valid = ~np.isnan(arr) if arr.dtype.kind == 'f' else np.ones(arr.shape, bool)
    nd = band.GetNoDataValue()
    if nd is not None:
        valid &= arr != np.array(nd).astype(arr.dtype)
    rows, cols = np.nonzero(valid & (arr.astype(np.float64) > 0))
    np.savez(a.out, rows=rows, cols=cols, t_ms=t)
    out = {'tool': 'scipy', 'load_s': load, 'solve_s': solve, 'cells': int(len(pop)),
           'peak_rss_kb': resource.getrusage(resource.RUSAGE_SELF).ru_maxrss}
    if a.friction:
        out['friction_cells'] = friction(ways, attrs, road_srs, prof, a.population, a.friction)
    print(json.dumps(out))


if __name__ == '__main__':
    main()
