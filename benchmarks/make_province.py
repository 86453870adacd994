#!/usr/bin/python3
"""Make a synthetic "province" for weak-scaling runs of the MPI build, by tiling the real Comoros data.

    /usr/bin/python3 benchmarks/make_province.py --counties 16 --seed 1 --out /tmp/prov16
    /usr/bin/python3 benchmarks/make_province.py --counties 4 --seed 7 --out DIR --data /path/to/comoros_geohealthaccess

Each of the N counties is a copy of one of the three islands of the Union of the Comoros (Ngazidja/Grande
Comore, Mwali/Moheli, Ndzuwani/Anjouan), chosen with random.Random(SEED), turned by a seeded 0/90/180/270
degrees (--no-rotate keeps them upright; the island choices stay the same) and translated onto a near-square
grid of square cells in EPSG:32738 (UTM 38S) with at least --gap metres (default 10 km) of empty sea between
copies. The grid is centred on easting 500 km and on the islands' own northing; county_001 is top left, in
reading order. Written to OUT (each file under a temporary name, renamed when complete):

  roads.gpkg       layer "roads": LineStrings with highway, oneway, maxspeed, surface, junction (text) and
                   osm_id (int64 = county number * 10^10 + OSM way id). Source: comores-2021-04-08.osm.pbf,
                   layer "lines" read with carecircle's own OSM driver configuration (the tags are plain
                   fields, as the engine sees them), features with a highway tag. junction is there because
                   the engine reads it (a roundabout is one-way).
  population.tif   Float32 people per 100 m cell, nodata -99999, tiled, DEFLATE, covering the whole grid.
                   Source: com_ppp_2020_UNadj.tif warped once to EPSG:32738 at 100 m with resampling "sum"
                   (the total is checked to stay within 1% of the source's); copies are pasted cell for cell.
  facilities.gpkg  layer "facilities": points with name, tier (integer, the CSV's own tier column:
                   1 health post, 2 health centre, 3 provincial hospital, 4 central hospital) and county.
                   Source: who_public_health_facilities_comoros.csv; 64 of its 66 rows (one has no coordinates,
                   one, Nkangani, has a positive latitude: both skipped and listed in province.json).
  counties.gpkg    layer "counties": each copy's rectangle (the island's bounding box on the 100 m grid plus
                   one cell), with name (county_001...), code (001...) and island.
  province.json    N, seed, the grid, and per county: island, rotation, offset, population, roads, facilities.

The same arguments give byte-identical files with the same GDAL/PROJ (the GeoPackage timestamps are pinned
with OGR_CURRENT_DATE); N=16 takes about 3 s and 10 MB, N=256 about 11 s and 200 MB.
--digest prints a digest of each output's content (features' WKB and fields, raster pixels) to compare runs.
Data directory: --data, else $CC_SHARED_DATA/comoros_geohealthaccess, else ../shared/data/comoros_geohealthaccess
next to the repository; exits 77 (skip) with one line when it is missing. Needs GDAL's Python bindings and numpy.
Note: in this WorldPop raster Mwali holds ~354,000 people and Ndzuwani ~66,000 (census 2017: ~52,000 and
~328,000); the data is used as it is.
"""
import argparse, hashlib, json, math, os, random, struct, sys, time

ISLANDS = [  # name, other name, lon/lat box that holds the island and nothing else (gaps found in the data)
    ("Ngazidja", "Grande Comore", (43.10, 43.57, -12.00, -11.25)),
    ("Mwali", "Moheli", (43.57, 44.06, -12.50, -12.15)),
    ("Ndzuwani", "Anjouan", (44.06, 44.70, -12.50, -11.95)),
]
ADMIN1 = {"Grande Comore": "Ngazidja", "Mohéli": "Mwali", "Moheli": "Mwali", "Anjouan": "Ndzuwani"}
FILES = {"roads": "comores-2021-04-08.osm.pbf", "population": "com_ppp_2020_UNadj.tif",
         "facilities": "who_public_health_facilities_comoros.csv"}
EPSG = 32738
CELL = 100            # raster cell, metres
NODATA = -99999.0
ID_STRIDE = 10 ** 10  # osm_id = county * ID_STRIDE + way id
FIXED_DATE = "2021-04-08T00:00:00.000Z"  # GeoPackage last_change, for byte-identical files
# The "lines" part of planner/io/gdal_util.c's osmconf: the road tags become fields.
OSMCONF = ("closed_ways_are_polygons=aeroway,amenity,boundary,building,craft,geological,historic,landuse,"
           "leisure,military,natural,office,place,shop,sport,tourism,highway=platform,public_transport=platform\n"
           "report_all_nodes=no\nreport_all_ways=no\n"
           "[lines]\nosm_id=yes\nattributes=name,highway,oneway,surface,maxspeed,junction,tracktype\n")
ROAD_FIELDS = ("highway", "oneway", "maxspeed", "surface", "junction")


def die(msg, code=1):
    print("make_province: " + msg, file=sys.stderr)
    sys.exit(code)


def island_of(lon, lat):
    for i, (_, _, (x0, x1, y0, y1)) in enumerate(ISLANDS):
        if x0 <= lon < x1 and y0 <= lat < y1:
            return i
    return -1


def transformer(gdal_osr):
    src, dst = gdal_osr.SpatialReference(), gdal_osr.SpatialReference()
    src.ImportFromEPSG(4326)
    dst.ImportFromEPSG(EPSG)
    for s in (src, dst):
        s.SetAxisMappingStrategy(gdal_osr.OAMS_TRADITIONAL_GIS_ORDER)
    return gdal_osr.CoordinateTransformation(src, dst), gdal_osr.CoordinateTransformation(dst, src), dst


def read_roads(gdal, path, to_utm, np):
    """Per island: list of (way id, field values) and one (n, 2) float64 array of UTM vertices + offsets."""
    conf = "/vsimem/make_province/osmconf.ini"
    gdal.FileFromMemBuffer(conf, OSMCONF.encode())
    ds = gdal.OpenEx(path, gdal.OF_VECTOR | gdal.OF_READONLY, allowed_drivers=["OSM"],
                     open_options=["CONFIG_FILE=" + conf])
    lyr = ds.GetLayerByName("lines")
    recs, coords, dropped = [[] for _ in ISLANDS], [[] for _ in ISLANDS], 0
    for f in lyr:
        if f.GetField("highway") is None:
            continue
        g = f.GetGeometryRef()
        pts = g.GetPoints() if g is not None else None
        if not pts or len(pts) < 2:
            dropped += 1
            continue
        e = g.GetEnvelope()
        i = island_of(e[0], e[2])
        if i < 0 or island_of(e[1], e[3]) != i:
            dropped += 1
            continue
        recs[i].append((int(f.GetField("osm_id")), tuple(f.GetField(k) for k in ROAD_FIELDS)))
        coords[i].append([p[:2] for p in pts])
    ds = None
    gdal.Unlink(conf)
    out = []
    for i in range(len(ISLANDS)):
        n = np.array([len(c) for c in coords[i]], dtype=np.int64)
        flat = [p for c in coords[i] for p in c]
        xy = np.array(to_utm.TransformPoints(flat), dtype=np.float64)[:, :2] if flat else np.zeros((0, 2))
        out.append({"recs": recs[i], "xy": xy, "start": np.concatenate([[0], np.cumsum(n)])})
    return out, dropped


def read_facilities(path, to_utm):
    """Per island: (name, tier, x, y). Also the rows without coordinates and the names of those outside the
    islands (one row in the WHO list has its latitude's sign flipped)."""
    import csv
    facs, no_coords, outside, mismatched = [[] for _ in ISLANDS], 0, [], 0
    with open(path, newline="", encoding="utf-8") as fh:
        rows = list(csv.DictReader(fh))
    for r in rows:
        try:
            lon, lat = float(r["lon"]), float(r["lat"])
        except ValueError:
            lon = lat = math.nan
        if not (math.isfinite(lon) and math.isfinite(lat)):
            no_coords += 1
            continue
        i = island_of(lon, lat)
        if i < 0:
            outside.append("%s (%s, %s)" % (r["name"], r["lon"], r["lat"]))
            continue
        if ADMIN1.get(r.get("admin1", "")) != ISLANDS[i][0]:
            mismatched += 1
        x, y = to_utm.TransformPoint(lon, lat)[:2]
        facs[i].append((r["name"], int(r["tier"]), x, y))
    return facs, {"rows": len(rows), "skipped_no_coordinates": no_coords, "skipped_outside_islands": outside,
                  "admin1_differs_from_island": mismatched}


def read_population(gdal, path, to_ll, np):
    """Warp once to UTM at 100 m (sum); split the cells by island. Returns (array, geotransform, labels,
    source total)."""
    src = gdal.Open(path)
    b = src.GetRasterBand(1)
    a = b.ReadAsArray().astype(np.float64)
    nd = b.GetNoDataValue()
    src_total = float(a[(a != nd) & np.isfinite(a)].sum()) if nd is not None else float(a[np.isfinite(a)].sum())
    w = gdal.Warp("", src, format="MEM", dstSRS="EPSG:%d" % EPSG, xRes=CELL, yRes=CELL, targetAlignedPixels=True,
                  resampleAlg="sum", srcNodata=nd, dstNodata=NODATA, outputType=gdal.GDT_Float32, multithread=False)
    arr = w.GetRasterBand(1).ReadAsArray()
    gt = w.GetGeoTransform()
    valid = (arr != NODATA) & np.isfinite(arr)
    arr[~valid] = NODATA
    rr, cc = np.nonzero(valid)
    xs, ys = gt[0] + (cc + 0.5) * gt[1], gt[3] + (rr + 0.5) * gt[5]
    ll = np.array(to_ll.TransformPoints(np.column_stack([xs, ys]).tolist()))[:, :2] if len(rr) else np.zeros((0, 2))
    labels = np.full(arr.shape, -1, dtype=np.int8)
    labels[rr, cc] = [island_of(lo, la) for lo, la in ll]
    return arr, gt, labels, src_total


def island_templates(roads, facs, pop, np):
    """Per island: bounding box on the 100 m grid (one spare cell each side) and the population window."""
    arr, gt, labels, _ = pop
    out = []
    for i in range(len(ISLANDS)):
        rr, cc = np.nonzero(labels == i)
        xs = [gt[0] + cc.min() * CELL, gt[0] + (cc.max() + 1) * CELL] if len(rr) else []
        ys = [gt[3] - (rr.max() + 1) * CELL, gt[3] - rr.min() * CELL] if len(rr) else []
        if len(roads[i]["xy"]):
            xs += [roads[i]["xy"][:, 0].min(), roads[i]["xy"][:, 0].max()]
            ys += [roads[i]["xy"][:, 1].min(), roads[i]["xy"][:, 1].max()]
        xs += [f[2] for f in facs[i]]
        ys += [f[3] for f in facs[i]]
        x0, x1 = math.floor(min(xs) / CELL) * CELL - CELL, math.ceil(max(xs) / CELL) * CELL + CELL
        y0, y1 = math.floor(min(ys) / CELL) * CELL - CELL, math.ceil(max(ys) / CELL) * CELL + CELL
        w, h = (x1 - x0) // CELL, (y1 - y0) // CELL
        win = np.full((h, w), NODATA, dtype=np.float32)
        # window of the warped grid (row 0 = north) that this box covers, clipped to the grid
        c0, r0 = int(round((x0 - gt[0]) / CELL)), int(round((gt[3] - y1) / CELL))
        sc0, sr0 = max(c0, 0), max(r0, 0)
        sc1, sr1 = min(c0 + w, arr.shape[1]), min(r0 + h, arr.shape[0])
        if sc1 > sc0 and sr1 > sr0:
            part = arr[sr0:sr1, sc0:sc1].copy()
            part[labels[sr0:sr1, sc0:sc1] != i] = NODATA
            win[sr0 - r0:sr1 - r0, sc0 - c0:sc1 - c0] = part
        total = float(win[win != NODATA].astype(np.float64).sum())
        out.append({"box": (x0, y0, x1, y1), "w": x1 - x0, "h": y1 - y0, "pop": win, "total": total})
    return out


def rotate_local(u, v, k, w, h):
    """Turn local coordinates (u, v) in [0, w] x [0, h] by k * 90 degrees counter-clockwise, back into the
    positive quadrant."""
    if k == 0:
        return u, v
    if k == 1:
        return h - v, u
    if k == 2:
        return w - u, h - v
    return v, w - u


def linestring_wkb(xy):
    return struct.pack("<BII", 1, 2, len(xy)) + xy.astype("<f8").tobytes()


def create_gpkg(ogr, osr_srs, path, layer, gtype, fields):
    if os.path.exists(path):
        os.remove(path)
    ds = ogr.GetDriverByName("GPKG").CreateDataSource(path)
    lyr = ds.CreateLayer(layer, osr_srs, gtype, options=["GEOMETRY_NAME=geom", "FID=fid", "SPATIAL_INDEX=YES"])
    for name, t in fields:
        lyr.CreateField(ogr.FieldDefn(name, t))
    ds.StartTransaction()
    return ds, lyr


def add_feature(ogr, lyr, values, wkb):
    """A feature of @lyr with its first fields set to @values and the geometry @wkb."""
    f = ogr.Feature(lyr.GetLayerDefn())
    for i, v in enumerate(values):
        f.SetField(i, v)
    f.SetGeometryDirectly(ogr.CreateGeometryFromWkb(wkb))
    lyr.CreateFeature(f)


def digest(gdal, ogr, path, np):
    """sha256 over the content: for a GeoPackage each feature's FID, fields and ISO WKB; for a raster the
    geotransform, CRS, nodata and pixel bytes."""
    h = hashlib.sha256()
    if path.endswith(".gpkg"):
        ds = ogr.Open(path)
        for lyr in ds:
            h.update(lyr.GetName().encode())
            for f in lyr:
                h.update(struct.pack("<q", f.GetFID()))
                for k in range(f.GetFieldCount()):
                    h.update(repr(f.GetField(k)).encode() + b"\0")
                g = f.GetGeometryRef()
                h.update(g.ExportToIsoWkb() if g is not None else b"")
    else:
        ds = gdal.Open(path)
        h.update(repr((ds.GetGeoTransform(), ds.GetProjection(), ds.RasterXSize, ds.RasterYSize)).encode())
        b = ds.GetRasterBand(1)
        h.update(repr(b.GetNoDataValue()).encode())
        for r0 in range(0, ds.RasterYSize, 512):
            h.update(b.ReadAsArray(0, r0, ds.RasterXSize, min(512, ds.RasterYSize - r0)).astype("<f4").tobytes())
    return h.hexdigest()


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--counties", type=int, required=True, help="number of county copies N (>= 1)")
    ap.add_argument("--seed", type=int, required=True, help="seed of random.Random for islands and rotations")
    ap.add_argument("--out", required=True, help="output folder (created if missing; files in it are replaced)")
    ap.add_argument("--data", help="the comoros_geohealthaccess folder")
    ap.add_argument("--gap", type=int, default=10000, help="least sea between copies, metres (default 10000)")
    ap.add_argument("--no-rotate", action="store_true", help="no 90-degree turns (the islands drawn stay the same)")
    ap.add_argument("--digest", action="store_true", help="print a content digest of each output at the end")
    a = ap.parse_args()
    if a.counties < 1:
        die("--counties must be at least 1", 2)
    if a.gap < 0:
        die("--gap must not be negative", 2)
    t_start = time.time()
    repo = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
    data = a.data or os.path.join(os.environ.get("CC_SHARED_DATA") or os.path.join(repo, "..", "shared", "data"),
                                  "comoros_geohealthaccess")
    missing = [f for f in FILES.values() if not os.path.isfile(os.path.join(data, f))]
    if missing:
        die("Comoros data not found (%s missing in %s); set --data or CC_SHARED_DATA; skipping"
            % (", ".join(missing), os.path.abspath(data)), 77)

    try:
        import numpy as np
        from osgeo import gdal, ogr, osr
    except ImportError as e:
        die("needs numpy and GDAL's Python bindings (osgeo): %s" % e)
    gdal.UseExceptions()
    ogr.UseExceptions()
    osr.UseExceptions()
    gdal.SetConfigOption("OGR_CURRENT_DATE", FIXED_DATE)
    gdal.SetConfigOption("GDAL_NUM_THREADS", "1")
    to_utm, to_ll, srs = transformer(osr)

    # --- sources, read once
    roads, roads_dropped = read_roads(gdal, os.path.join(data, FILES["roads"]), to_utm, np)
    facs, fac_report = read_facilities(os.path.join(data, FILES["facilities"]), to_utm)
    pop = read_population(gdal, os.path.join(data, FILES["population"]), to_ll, np)
    warped_total = float(pop[0][pop[0] != NODATA].astype(np.float64).sum())
    src_total = pop[3]
    if abs(warped_total - src_total) > 0.01 * src_total:
        die("warped population total %.1f is not within 1%% of the source's %.1f" % (warped_total, src_total))
    isl = island_templates(roads, facs, pop, np)
    unassigned_pop = float(pop[0][(pop[2] < 0) & (pop[0] != NODATA)].astype(np.float64).sum())

    # --- layout: near-square grid of square cells, centred on easting 500 km and the islands' northing
    n = a.counties
    rng = random.Random(a.seed)
    draws = []
    for _ in range(n):  # fixed order: island, then turn (drawn even with --no-rotate)
        i = rng.randrange(len(ISLANDS))
        k = rng.randrange(4)
        draws.append((i, 0 if a.no_rotate else k))
    maxdim = max(max(t["w"], t["h"]) for t in isl)
    size = int(math.ceil((maxdim + a.gap + CELL) / CELL)) * CELL
    cols = int(math.ceil(math.sqrt(n)))
    rows = int(math.ceil(n / cols))
    cy = (min(t["box"][1] for t in isl) + max(t["box"][3] for t in isl)) / 2
    gx0 = int(round((500000 - cols * size / 2) / CELL)) * CELL
    gy0 = int(round((cy - rows * size / 2) / CELL)) * CELL
    width_px, height_px = cols * size // CELL, rows * size // CELL
    digits = max(3, len(str(n)))
    counties = []
    for c, (i, k) in enumerate(draws):
        t = isl[i]
        w, h = (t["h"], t["w"]) if k % 2 else (t["w"], t["h"])
        col, row = c % cols, c // cols
        ox = gx0 + col * size + ((size - w) // (2 * CELL)) * CELL
        oy = gy0 + (rows - 1 - row) * size + ((size - h) // (2 * CELL)) * CELL
        counties.append({"num": c + 1, "name": "county_%0*d" % (digits, c + 1), "code": "%0*d" % (digits, c + 1),
                         "island": i, "k": k, "origin": (ox, oy), "w": w, "h": h})

    out = os.path.abspath(a.out)
    os.makedirs(out, exist_ok=True)
    tmp = {name: os.path.join(out, ".%s.tmp%s" % os.path.splitext(name)) for name in
           ("roads.gpkg", "facilities.gpkg", "counties.gpkg", "population.tif", "province.json")}

    def place(c, x, y):
        """Source UTM coordinates of island c["island"] -> province coordinates of county c."""
        t = isl[c["island"]]
        u, v = rotate_local(x - t["box"][0], y - t["box"][1], c["k"], t["w"], t["h"])
        return u + c["origin"][0], v + c["origin"][1]

    try:
        # --- roads
        ds, lyr = create_gpkg(ogr, srs, tmp["roads.gpkg"], "roads", ogr.wkbLineString,
                              [(f, ogr.OFTString) for f in ("highway", "oneway", "maxspeed", "surface", "junction")] +
                              [("osm_id", ogr.OFTInteger64)])
        defn = lyr.GetLayerDefn()
        for c in counties:
            r = roads[c["island"]]
            px, py = place(c, r["xy"][:, 0], r["xy"][:, 1])
            xy = np.column_stack([px, py])
            st = r["start"]
            for j, (wid, vals) in enumerate(r["recs"]):
                f = ogr.Feature(defn)
                for fi, v in enumerate(vals):
                    if v is not None:
                        f.SetField(fi, v)
                f.SetField(5, c["num"] * ID_STRIDE + wid)
                f.SetGeometryDirectly(ogr.CreateGeometryFromWkb(linestring_wkb(xy[st[j]:st[j + 1]])))
                lyr.CreateFeature(f)
            c["roads"] = len(r["recs"])
            c["vertices"] = int(len(r["xy"]))
        ds.CommitTransaction()
        ds = lyr = None

        # --- facilities
        ds, lyr = create_gpkg(ogr, srs, tmp["facilities.gpkg"], "facilities", ogr.wkbPoint,
                              [("name", ogr.OFTString), ("tier", ogr.OFTInteger), ("county", ogr.OFTString)])
        for c in counties:
            for name, tier, x, y in facs[c["island"]]:
                add_feature(ogr, lyr, (name, tier, c["name"]), struct.pack("<BIdd", 1, 1, *place(c, x, y)))
            c["facilities"] = len(facs[c["island"]])
        ds.CommitTransaction()
        ds = lyr = None

        # --- counties
        ds, lyr = create_gpkg(ogr, srs, tmp["counties.gpkg"], "counties", ogr.wkbPolygon,
                              [("name", ogr.OFTString), ("code", ogr.OFTString), ("island", ogr.OFTString)])
        for c in counties:
            (x0, y0), x1, y1 = c["origin"], c["origin"][0] + c["w"], c["origin"][1] + c["h"]
            ring = np.array([[x0, y0], [x1, y0], [x1, y1], [x0, y1], [x0, y0]], dtype="<f8")
            add_feature(ogr, lyr, (c["name"], c["code"], ISLANDS[c["island"]][0]), struct.pack("<BIII", 1, 3, 1, 5) + ring.tobytes())
        ds.CommitTransaction()
        ds = lyr = None

        # --- population: written strip by strip of tile rows, north to south
        if os.path.exists(tmp["population.tif"]):
            os.remove(tmp["population.tif"])
        tile = 256
        rds = gdal.GetDriverByName("GTiff").Create(
            tmp["population.tif"], width_px, height_px, 1, gdal.GDT_Float32,
            options=["TILED=YES", "BLOCKXSIZE=%d" % tile, "BLOCKYSIZE=%d" % tile, "COMPRESS=DEFLATE",
                     "BIGTIFF=IF_SAFER"])
        gy1 = gy0 + rows * size
        rds.SetGeoTransform((gx0, CELL, 0, gy1, 0, -CELL))
        rds.SetProjection(srs.ExportToWkt())
        band = rds.GetRasterBand(1)
        band.SetNoDataValue(NODATA)
        placed = []
        for c in counties:
            win = np.rot90(isl[c["island"]]["pop"], c["k"])  # row 0 = north, so rot90 turns counter-clockwise
            r0 = (gy1 - (c["origin"][1] + c["h"])) // CELL
            placed.append((r0, r0 + win.shape[0], (c["origin"][0] - gx0) // CELL, win))
            c["population"] = isl[c["island"]]["total"]
        for s0 in range(0, height_px, tile):
            s1 = min(s0 + tile, height_px)
            strip = np.full((s1 - s0, width_px), NODATA, dtype=np.float32)
            for r0, r1, c0, win in placed:
                a0, a1 = max(r0, s0), min(r1, s1)
                if a0 < a1:
                    strip[a0 - s0:a1 - s0, c0:c0 + win.shape[1]] = win[a0 - r0:a1 - r0]
            band.WriteArray(strip, 0, s0)
            rds.FlushCache()
        band = None
        rds = None

        # --- province.json
        names = [s[0] for s in ISLANDS]
        doc = {
            "generator": "benchmarks/make_province.py",
            "counties": n, "seed": a.seed, "rotate": not a.no_rotate, "gap_m": a.gap,
            "crs": "EPSG:%d" % EPSG, "cell_m": CELL,
            "grid": {"cols": cols, "rows": rows, "cell_size_m": size, "origin_m": [gx0, gy0],
                     "extent_m": [gx0, gy0, gx0 + cols * size, gy1], "raster_px": [width_px, height_px]},
            "transform": "x' = origin + R(x - island_box_min), R = turn by rotation_deg counter-clockwise inside "
                         "the island box; offset_m = origin - island_box_min (the whole translation when "
                         "rotation_deg is 0)",
            "sources": {"roads": FILES["roads"] + " layer lines, features with a highway tag",
                        "population": FILES["population"] + " warped to EPSG:%d at %d m, resampling sum" % (EPSG, CELL),
                        "facilities": FILES["facilities"] + " (tier column kept as is)"},
            "population_check": {"source_total": round(src_total, 3), "warped_total": round(warped_total, 3),
                                 "ratio": round(warped_total / src_total, 6) if src_total else None,
                                 "warped_cells_outside_islands": round(unassigned_pop, 3)},
            "dropped": {"roads_outside_islands_or_degenerate": roads_dropped, "facilities": fac_report},
            "islands": {names[i]: {"also": ISLANDS[i][1], "lonlat_box": list(ISLANDS[i][2]),
                                   "box_m": list(isl[i]["box"]), "population": round(isl[i]["total"], 3),
                                   "roads": len(roads[i]["recs"]), "vertices": int(len(roads[i]["xy"])),
                                   "facilities": len(facs[i])} for i in range(len(ISLANDS))},
            "totals": {"population": round(sum(c["population"] for c in counties), 3),
                       "roads": sum(c["roads"] for c in counties),
                       "facilities": sum(c["facilities"] for c in counties),
                       "by_island": {nm: sum(1 for c in counties if names[c["island"]] == nm) for nm in names}},
            "county_list": [{"name": c["name"], "code": c["code"], "island": names[c["island"]],
                             "rotation_deg": 90 * c["k"], "origin_m": list(c["origin"]),
                             "offset_m": [c["origin"][0] - isl[c["island"]]["box"][0],
                                          c["origin"][1] - isl[c["island"]]["box"][1]],
                             "box_m": [c["origin"][0], c["origin"][1], c["origin"][0] + c["w"], c["origin"][1] + c["h"]],
                             "population": round(c["population"], 3), "roads": c["roads"],
                             "facilities": c["facilities"]} for c in counties],
        }
        with open(tmp["province.json"], "w", encoding="utf-8") as fh:
            json.dump(doc, fh, indent=1, ensure_ascii=False)
            fh.write("\n")
        for name, p in tmp.items():
            os.replace(p, os.path.join(out, name))
    finally:
        for p in tmp.values():
            for q in (p, p + "-journal", p + "-wal", p + "-shm"):
                if os.path.exists(q):
                    os.remove(q)

    by = doc["totals"]["by_island"]
    print("make_province: %s: %d counties (%s) on a %dx%d grid of %d km, %d roads, %d facilities, %.0f people, "
          "raster %dx%d, %.1f s" % (out, n, ", ".join("%d %s" % (by[k], k) for k in names), cols, rows, size // 1000,
                                    doc["totals"]["roads"], doc["totals"]["facilities"], doc["totals"]["population"],
                                    width_px, height_px, time.time() - t_start))
    if a.digest:
        for name in ("roads.gpkg", "facilities.gpkg", "counties.gpkg", "population.tif"):
            print("%s  %s" % (digest(gdal, ogr, os.path.join(out, name), np), name))


if __name__ == "__main__":
    main()
