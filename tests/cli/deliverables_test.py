#!/usr/bin/python3
"""Deliverables that officials and GIS staff can trust (issue 14): Chinese inputs (GBK CSV and
shapefiles, Chinese headers, impossible coordinates), PostGIS inputs against a real server, the
report tables and the HTML reports in a real browser.

Usage: deliverables_test.py CASE  (environment: CC_BIN, CC_SRC)
Exit 0 = pass, 1 = fail, 77 = skipped with the reason printed.
"""
import csv
import json
import os
import re
import shutil
import subprocess
import sys
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from cli_test import DEMO, SKIP, Fail, check, demo_args, expect_error, load_summary, main, run  # noqa: E402,F401

from osgeo import gdal, ogr  # noqa: E402


def read_rows(path):
    with open(path, encoding="utf-8-sig", newline="") as f:
        return list(csv.reader(f))


def write_csv(path, rows, encoding):
    with open(path, "w", encoding=encoding, newline="") as f:
        csv.writer(f).writerows(rows)
    return path


def gpkg_text(gpkg, layer, fields):
    """The text of @fields in every feature of @layer, in feature order (what QGIS would show)."""
    ds = ogr.Open(gpkg)
    lyr = ds.GetLayerByName(layer)
    return [tuple(f.GetField(k) for k in fields) for f in lyr]


def cov(out, facilities, *extra):
    return ["coverage", "--roads", f"{DEMO}/roads.geojson", "--population", f"{DEMO}/population.asc",
            "--facilities", facilities, "--admin", f"{DEMO}/townships.geojson", "--out", out, "--quiet",
            "--lang", "zh"] + list(extra)


# ---- Chinese inputs ------------------------------------------------------------------------------

def case_chinese_inputs(tmp):
    """GBK CSV and a GBK shapefile without .cpg give the same names in coverage.gpkg as their UTF-8
    copies; 经度/纬度/名称/级别 headers work; swapped coordinates give one line naming file and line;
    a sign error is named with its distance; --tiers values that match nothing are an error."""
    rows = read_rows(f"{DEMO}/facilities.csv")
    head = rows[0]
    check(head[:5] == ["lon", "lat", "name", "name_zh", "tier"], f"demo facilities header changed: {head}")
    zh = [["经度", "纬度", "name", "名称", "级别"] + head[5:]] + rows[1:]
    utf8 = write_csv(os.path.join(tmp, "fac_utf8.csv"), zh, "utf-8")
    bom = write_csv(os.path.join(tmp, "fac_bom.csv"), zh, "utf-8-sig")
    gbk = write_csv(os.path.join(tmp, "fac_gbk.csv"), zh, "gbk")
    raw = open(gbk, "rb").read()
    try:
        raw.decode("utf-8")
        raise Fail("the GBK copy happens to be valid UTF-8: the test proves nothing")
    except UnicodeDecodeError:
        pass
    # shapefiles (fields 名称 and 级别 too: DBF field names are in the file's encoding as well)
    shp = {}
    for enc in ("UTF-8", "GBK"):
        d = os.path.join(tmp, f"shp_{enc}")
        os.mkdir(d)
        path = os.path.join(d, "facilities.shp")
        p = subprocess.run(["ogr2ogr", "-f", "ESRI Shapefile", path, utf8, "-oo", "X_POSSIBLE_NAMES=经度",
                            "-oo", "Y_POSSIBLE_NAMES=纬度", "-a_srs", "EPSG:4326", "-lco", f"ENCODING={enc}"],
                           capture_output=True, text=True)
        check(p.returncode == 0, f"ogr2ogr: {p.stderr}")
        if enc == "GBK":
            os.remove(os.path.join(d, "facilities.cpg"))
            dbf = open(os.path.join(d, "facilities.dbf"), "rb").read()
            check(dbf[29] == 0, "the GBK shapefile declares its code page (LDID): the test proves nothing")
            check("青山县人民医院".encode("gbk") in dbf, "the GBK shapefile does not hold GBK text")
        shp[enc] = path

    ref = None
    for label, path in (("utf8", utf8), ("bom", bom), ("gbk", gbk), ("shp_utf8", shp["UTF-8"]), ("shp_gbk", shp["GBK"])):
        out = os.path.join(tmp, "out_" + label)
        p = run(cov(out, path))
        check("error" not in p.stderr and "decode" not in p.stderr, f"{label}: {p.stderr}")
        names = gpkg_text(os.path.join(out, "coverage.gpkg"), "facilities", ["name", "name_zh", "tier"])
        check(len(names) == len(rows) - 1, f"{label}: {len(names)} facilities")
        check(names[0] == ("Qingshan County People's Hospital", "青山县人民医院", "county_hospital"), f"{label}: {names[0]}")
        s = load_summary(out)
        check(set(s["tiers"]) == {"county_hospital", "emergency_station", "township_health_centre", "village_clinic"},
              f"{label}: the 级别 column did not give the tiers: {list(s['tiers'])}")
        if ref is None:
            ref = (names, s["population_within_min"])
        else:
            check(names == ref[0], f"{label}: names differ from the UTF-8 copy: "
                  f"{[(a, b) for a, b in zip(names, ref[0]) if a != b][:3]}")
            check(s["population_within_min"] == ref[1], f"{label}: figures differ from the UTF-8 copy")

    # an explicit --encoding wins over the detection (read as Latin-1: garbled, but no error)
    out = os.path.join(tmp, "out_enc_gbk")
    run(cov(out, gbk, "--encoding", "GBK"))
    check(gpkg_text(os.path.join(out, "coverage.gpkg"), "facilities", ["name", "name_zh", "tier"]) == ref[0], "--encoding GBK")
    out = os.path.join(tmp, "out_latin1")
    run(cov(out, f"{DEMO}/facilities.csv", "--encoding", "ISO-8859-1"))
    names = gpkg_text(os.path.join(out, "coverage.gpkg"), "facilities", ["name_zh"])
    check(names[0][0] == "青山县人民医院".encode().decode("latin-1"), f"--encoding ISO-8859-1 was ignored: {names[0][0]}")

    # text that is neither UTF-8 nor GBK: one warning, the run goes on
    bad = os.path.join(tmp, "fac_bad.csv")
    with open(bad, "wb") as f:
        f.write(open(utf8, "rb").read().replace("青山县人民医院".encode(), b"\xff\xfe\xfd Hospital"))
    p = run(cov(os.path.join(tmp, "out_bad"), bad))
    warns = [l for l in p.stderr.splitlines() if "neither UTF-8 nor GBK" in l]
    check(len(warns) == 1 and "fac_bad.csv" in warns[0] and "--encoding" in warns[0], f"undecodable text: {p.stderr!r}")

    # swapped longitude and latitude: one line naming the file and the line, no PROJ noise
    sw = [r[:] for r in zh]
    sw[3][0], sw[3][1] = sw[3][1], sw[3][0]
    swp = write_csv(os.path.join(tmp, "swapped.csv"), sw, "utf-8")
    p = run(cov(os.path.join(tmp, "out_sw"), swp), expect=3)
    check(p.stderr.count("\n") == 1, f"swapped coordinates: more than one line: {p.stderr!r}")
    for w in ("swapped.csv", "line 4", "swapped", "Qingshan Township Health Centre"):
        check(w in p.stderr, f"swapped coordinates: {w!r} missing in {p.stderr!r}")
    check("PROJ" not in p.stderr, p.stderr)
    check(not os.path.exists(os.path.join(tmp, "out_sw")), "output written for swapped coordinates")

    # latitude with the wrong sign: the facility is named with its distance from the roads
    so = [r[:] for r in zh]
    so[5][1] = "-" + so[5][1]
    sop = write_csv(os.path.join(tmp, "south.csv"), so, "utf-8")
    p = run(cov(os.path.join(tmp, "out_so"), sop))
    far = [l for l in p.stderr.splitlines() if "outside the road network" in l]
    check(len(far) == 1 and so[5][2] in far[0], f"far facility: {p.stderr!r}")
    km = float(re.search(r"lies (\d+) km", far[0]).group(1))
    check(7000 < km < 8500, f"distance {km} km (34.8 N to 34.8 S is about 7,700 km)")

    # --tiers values that match no facility: an error naming the values present
    expect_error(tmp, cov(os.path.join(tmp, "o"), f"{DEMO}/facilities.csv", "--tier-field", "tier", "--tiers",
                          "county_hospital=h,clinic=c"), 2, "--tiers", "clinic", "county_hospital, emergency_station")


if __name__ == "__main__":
    sys.exit(main(globals(), __doc__))
