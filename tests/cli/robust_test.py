#!/usr/bin/python3
"""Robustness tests (issue #7): every class of bad input gives the documented exit code, one error
line naming the file and the problem, and leaves no output; full disks and interruptions never leave
partial files and never touch the previous outputs.

Usage: robust_test.py CASE  (environment: CC_BIN, CC_SRC, optional CC_SHARED_DATA)
Exit 0 = pass, 1 = fail, 77 = skipped with the reason printed.
"""
import os
import shutil
import signal
import subprocess
import sys
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import cli_test  # noqa: E402
from cli_test import BIN, COMOROS, DEMO, Fail, check, demo_args, expect_error, run, tree_digest  # noqa: E402

GJ = '{"type":"FeatureCollection","crs":{"type":"name","properties":{"name":"urn:ogc:def:crs:OGC:1.3:CRS84"}},"features":[%s]}'


def write(path, text, mode="w"):
    with open(path, mode) as f:
        f.write(text)
    return path


def base(**over):
    d = {"--roads": f"{DEMO}/roads.geojson", "--population": f"{DEMO}/population.asc",
         "--facilities": f"{DEMO}/facilities.csv"}
    for k, v in over.items():
        d["--" + k.replace("_", "-")] = v
    a = ["coverage"]
    for k, v in d.items():
        a += [k, v]
    return a


def line(coords, props='"highway":"primary"'):
    return '{"type":"Feature","properties":{%s},"geometry":{"type":"LineString","coordinates":%s}}' % (props, coords)


def case_corrupt_files(tmp):
    g = write(os.path.join(tmp, "garbage.osm.pbf"), os.urandom(50000), "wb")
    expect_error(tmp, base(roads=g), 4, g, "not a recognised format")
    pbf = os.path.join(COMOROS, "comores-2021-04-08.osm.pbf")
    if os.path.exists(pbf):
        with open(pbf, "rb") as f:
            data = f.read()
        for cut in (100, len(data) // 2, len(data) - 5000):
            t = write(os.path.join(tmp, f"trunc{cut}.osm.pbf"), data[:cut], "wb")
            expect_error(tmp, base(roads=t), 3, t, "truncated or corrupt")
    else:
        print(f"note: truncated-pbf part skipped ({COMOROS} absent)")
    half = os.path.join(tmp, "half.geojson")
    with open(f"{DEMO}/roads.geojson") as f:
        txt = f.read()
    write(half, txt[: len(txt) // 2])
    expect_error(tmp, base(roads=half), 4, half)
    csv = write(os.path.join(tmp, "bin.csv"), b"\x00\x01\x02lon,lat\n\xff\xfe", "wb")
    expect_error(tmp, base(facilities=csv), 4, csv)
    y = write(os.path.join(tmp, "p.yaml"), b"\xff\xfe\x00speeds", "wb")
    expect_error(tmp, base(profile=y), 3, y)


def case_bad_geometries(tmp):
    # one good road and one with out-of-range coordinates: skipped with a warning, the run goes on
    roads = write(os.path.join(tmp, "roads.geojson"),
                  GJ % ",".join([line("[[117.5,34.8],[117.7,34.9]]"), line("[[500,0],[501,1]]"), line("[[117.6,34.8]]")]))
    out = os.path.join(tmp, "ok")
    p = run(base(roads=roads) + ["--out", out])
    check("1 empty or single-vertex" in p.stderr and "1 with out-of-range coordinates" in p.stderr, p.stderr)
    shutil.rmtree(out)
    bad = write(os.path.join(tmp, "allbad.geojson"), GJ % line("[[500,0],[501,1]]"))
    expect_error(tmp, base(roads=bad), 3, bad, "no usable line features")
    # facilities as lines
    fl = write(os.path.join(tmp, "fac_lines.geojson"), GJ % line("[[117.5,34.8],[117.7,34.9]]", '"tier":"x"'))
    expect_error(tmp, base(facilities=fl), 3, fl, "no usable points")
    # population points that are polygons
    pp = write(os.path.join(tmp, "pop_poly.geojson"), GJ % '{"type":"Feature","properties":{"population":5},"geometry":{"type":"Polygon","coordinates":[[[117.5,34.8],[117.6,34.8],[117.6,34.9],[117.5,34.8]]]}}')
    expect_error(tmp, base(population=pp), 3, pp, "no usable points")
    # population that does not overlap the roads (another province)
    pfar = write(os.path.join(tmp, "pop_far.geojson"), GJ % '{"type":"Feature","properties":{"population":5},"geometry":{"type":"Point","coordinates":[100.0,30.0]}}')
    expect_error(tmp, base(population=pfar), 3, pfar, "same area")
    # population field missing, and negative population
    pf = write(os.path.join(tmp, "pop_nofield.geojson"), GJ % '{"type":"Feature","properties":{"people":5},"geometry":{"type":"Point","coordinates":[117.6,34.85]}}')
    expect_error(tmp, base(population=pf), 3, pf, "no population field")
    pn = write(os.path.join(tmp, "pop_neg.geojson"), GJ % '{"type":"Feature","properties":{"population":-5},"geometry":{"type":"Point","coordinates":[117.6,34.85]}}')
    expect_error(tmp, base(population=pn), 3, pn, "must be >= 0")
    # facilities CSV with a NaN coordinate and one empty row: skipped with a warning
    with open(f"{DEMO}/facilities.csv") as f:
        rows = f.read().splitlines()
    fc = write(os.path.join(tmp, "fac_nan.csv"), "\n".join(rows + ["nan,34.8,Broken,,village_clinic,x", ",,Empty,,village_clinic,x"]) + "\n")
    out = os.path.join(tmp, "ok2")
    p = run(base(facilities=fc) + ["--out", out, "--tier-field", "tier"])
    check("skipped 2 of" in p.stderr, p.stderr)
    # admin areas: missing name field, and not polygons
    am = os.path.join(tmp, "adm.geojson")
    shutil.copy(f"{DEMO}/townships.geojson", am)
    expect_error(tmp, base(admin=am, admin_name_field="nom"), 3, am, "no name field <nom>")
    ap = write(os.path.join(tmp, "adm_pts.geojson"), GJ % '{"type":"Feature","properties":{"name":"x"},"geometry":{"type":"Point","coordinates":[117.6,34.85]}}')
    expect_error(tmp, base(admin=ap), 3, ap, "no polygons")
    # zero and negative speeds in a speed field name the feature
    for v in ("0", "-20"):
        sp = write(os.path.join(tmp, f"speed{v}.geojson"), GJ % line("[[117.5,34.8],[117.7,34.9]]", f'"highway":"primary","kmh":{v}'))
        expect_error(tmp, base(roads=sp, speed_field="kmh"), 3, sp, "feature 0", "must be above 0")


def case_raster_values(tmp):
    import numpy as np
    from osgeo import gdal
    src = gdal.Open(f"{DEMO}/population.asc")
    a = src.GetRasterBand(1).ReadAsArray()
    # NaN cells are nodata (warning), the run goes on
    nan = os.path.join(tmp, "nan.tif")
    d = gdal.GetDriverByName("GTiff").Create(nan, src.RasterXSize, src.RasterYSize, 1, gdal.GDT_Float32)
    d.SetGeoTransform(src.GetGeoTransform())
    d.SetProjection(src.GetProjection())
    b = a.astype("float32")
    b[b == -9999] = np.nan
    d.GetRasterBand(1).WriteArray(b)
    d = None
    out = os.path.join(tmp, "o1")
    p = run(base(population=nan) + ["--out", out])
    check("NaN or infinite cells treated as nodata" in p.stderr and "has no nodata value" in p.stderr, p.stderr)
    # an enormous raster is refused before any work, with what to change
    vrt = write(os.path.join(tmp, "huge.vrt"),
                '<VRTDataset rasterXSize="400000" rasterYSize="400000"><SRS>EPSG:4326</SRS>'
                '<GeoTransform>100, 0.0001, 0, 40, 0, -0.0001</GeoTransform>'
                '<VRTRasterBand dataType="Float32" band="1"><NoDataValue>-1</NoDataValue></VRTRasterBand></VRTDataset>')
    t0 = time.time()
    expect_error(tmp, base(population=vrt), 5, vrt, "crop it")
    check(time.time() - t0 < 10, "refusing the huge raster took too long")
    # a raster with no georeferencing
    nog = os.path.join(tmp, "nogeo.tif")
    d = gdal.GetDriverByName("GTiff").Create(nog, 10, 10, 1, gdal.GDT_Float32)
    d = None
    expect_error(tmp, base(population=nog), 3, nog, "no georeferencing")


def case_output_failures(tmp):
    # an output folder that cannot be created (even as root)
    expect_error(tmp, base() + ["--out", "/proc/cc-cannot-write-here"], 4, "/proc/cc-cannot-write-here")
    # a full disk, simulated with a file-size limit: a clean error, no partial files, previous outputs kept
    out = os.path.join(tmp, "out")
    run(demo_args(out))
    before = tree_digest(out)
    def limit():
        import resource
        resource.setrlimit(resource.RLIMIT_FSIZE, (60000, 60000))
    p = subprocess.run([BIN] + demo_args(out), capture_output=True, text=True, preexec_fn=limit)
    check(p.returncode == 4, f"exit {p.returncode} on a full disk, expected 4: {p.stderr}")
    lines = [l for l in p.stderr.splitlines() if "error" in l]
    check(len(lines) == 1 and "Unable to" in lines[0], p.stderr)
    check(tree_digest(out) == before, "a failed write changed the previous outputs")
    check(not any(".cc-tmp-" in n for n in os.listdir(tmp)), "staging folder left behind")


def long_run_args(out):
    # village points on a 8 m travel-time grid: several seconds of work, interruptible in every phase
    return ["coverage", "--roads", f"{DEMO}/roads.geojson", "--population", f"{DEMO}/villages.geojson",
            "--facilities", f"{DEMO}/facilities.csv", "--resolution", "8", "--out", out, "--quiet"]


def case_interrupt(tmp):
    out = os.path.join(tmp, "out")
    run(demo_args(out))
    before = tree_digest(out)
    for sig, delay in ((signal.SIGINT, 0.3), (signal.SIGTERM, 1.0), (signal.SIGINT, 2.0)):
        t0 = time.time()
        proc = subprocess.Popen([BIN] + long_run_args(out), stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
        cli_test.wait_for_handlers(proc)
        time.sleep(delay)
        err = cli_test.stop_with(proc, sig, 60, sig.name)
        took = time.time() - t0
        if proc.returncode == 0:
            raise Fail(f"the run finished before {sig.name} at {delay} s; make the test run longer")
        check(proc.returncode == 130, f"{sig.name}: exit {proc.returncode}, expected 130: {err}")
        check("Interrupted" in err, err)
        check(tree_digest(out) == before, f"{sig.name} changed the previous outputs")
        check(not any(".cc-tmp-" in n for n in os.listdir(tmp)), "staging folder left behind")
        print(f"{sig.name} after {delay} s: stopped {took - delay:.2f} s later, previous outputs intact")


if __name__ == "__main__":
    sys.exit(cli_test.main(globals(), __doc__))
