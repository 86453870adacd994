#!/usr/bin/python3
"""Tests of `coverage --capacity` (issue 17): nearest-first allocation until capacity is used,
served / unserved / no-access accounting, and the E2SFCA index against tests/reference/e2sfca_ref.py.

Usage: capacity_test.py CASE  (environment: CC_BIN = carecircle binary, CC_SRC = source tree)
Exit 0 = pass, 1 = fail, 77 = skipped (CTest SKIP_RETURN_CODE), with the reason printed.
"""
import csv
import json
import os
import sys

from osgeo import gdal, ogr, osr

gdal.UseExceptions()
ogr.UseExceptions()

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "reference"))
import cli_test  # noqa: E402
import e2sfca_ref  # noqa: E402
from cli_test import COMOROS, SKIP, check, run  # noqa: E402

X0, Y0 = 500000.0, 3850000.0  # EPSG:32650
KMH = 70.0                     # ambulance, primary, asphalt


summary = cli_test.load_summary


def layer(path, name, geom_type, fields, rows):
    """rows: (geometry WKT, {field: value}); creates or appends to the GeoPackage."""
    drv = ogr.GetDriverByName("GPKG")
    ds = drv.Open(path, 1) if os.path.exists(path) else drv.CreateDataSource(path)
    srs = osr.SpatialReference()
    srs.ImportFromEPSG(32650)
    lyr = ds.CreateLayer(name, srs, geom_type)
    for fname, ftype in fields:
        lyr.CreateField(ogr.FieldDefn(fname, ftype))
    for wkt, vals in rows:
        f = ogr.Feature(lyr.GetLayerDefn())
        for k, v in vals.items():
            if v is not None:
                f.SetField(k, v)
        f.SetGeometry(ogr.CreateGeometryFromWkt(wkt))
        lyr.CreateFeature(f)
    ds = None


def square(x, y, h=200):
    return f"POLYGON(({x-h} {y-h},{x+h} {y-h},{x+h} {y+h},{x-h} {y+h},{x-h} {y-h}))"


VILLAGES = [("V1", 1000, 1000), ("V2", 3000, 1000), ("V3", 8500, 500)]  # on the road: x offset, population
V4 = ("V4", 5000, 100)                                                     # 5 km off the road: no road access


def hand_case(d, cap_b="200", cap_field="capacity"):
    """A 10 km primary road; facility A at km 0 (capacity 1500), B at km 10 (cap_b); villages V1-V3 on it,
    V4 far from it; one admin square per village."""
    os.makedirs(d, exist_ok=True)
    layer(f"{d}/roads.gpkg", "roads", ogr.wkbLineString, [("highway", ogr.OFTString), ("surface", ogr.OFTString)],
          [(f"LINESTRING({X0} {Y0},{X0 + 10000} {Y0})", {"highway": "primary", "surface": "asphalt"})])
    vill = [(f"POINT({X0 + x} {Y0})", {"name": n, "population": p}) for n, x, p in VILLAGES]
    vill.append((f"POINT({X0 + V4[1]} {Y0 + 5000})", {"name": V4[0], "population": V4[2]}))
    layer(f"{d}/villages.gpkg", "villages", ogr.wkbPoint, [("name", ogr.OFTString), ("population", ogr.OFTReal)], vill)
    layer(f"{d}/fac.gpkg", "fac", ogr.wkbPoint, [("name", ogr.OFTString), ("tier", ogr.OFTString), (cap_field, ogr.OFTString)],
          [(f"POINT({X0} {Y0})", {"name": "A", "tier": "hospital", cap_field: "1500"}),
           (f"POINT({X0 + 10000} {Y0})", {"name": "B", "tier": "hospital", cap_field: cap_b})])
    adm = [(square(X0 + x, Y0), {"name": n, "code": n}) for n, x, _ in VILLAGES]
    adm.append((square(X0 + V4[1], Y0 + 5000), {"name": V4[0], "code": V4[0]}))
    layer(f"{d}/admin.gpkg", "admin", ogr.wkbPolygon, [("name", ogr.OFTString), ("code", ogr.OFTString)], adm)


def hand_args(d, out, extra=()):
    return ["coverage", "--roads", f"{d}/roads.gpkg", "--population", f"{d}/villages.gpkg", "--facilities", f"{d}/fac.gpkg",
            "--admin", f"{d}/admin.gpkg", "--capacity", "capacity", "--minutes", "15,30", "--capacity-minutes", "30",
            "--resolution", "250", "--out", out, "--quiet"] + list(extra)


def rows(out, name, key):
    ds = ogr.Open(os.path.join(out, "coverage.gpkg"))
    lyr = ds.GetLayerByName(name)
    check(lyr is not None, f"coverage.gpkg lacks {name}")
    r = {f.GetField(key): f.items() for f in lyr}
    del lyr, ds
    return r


# ---- cases -------------------------------------------------------------------------------------

def case_hand(tmp):
    """Served and unserved figures of the hand-made case equal a hand computation:
    pairs in time order: A-V1 (1 km) 1000 -> A 500 left; B-V3 (1.5 km) 200 -> B full, V3 300 left;
    A-V2 (3 km) 500 -> A full, V2 500 left; the rest find no room. Served 1700, unserved 800,
    no access 100 (V4), total 2600. Nearest-facility demand: A 2000 (V1, V2), B 500 (V3)."""
    d, out = os.path.join(tmp, "in"), os.path.join(tmp, "out")
    hand_case(d)
    p = run(hand_args(d, out))
    check("capacity within 30 min" in p.stdout, "no capacity line in the table")
    c = summary(out)["capacity"]
    check(c["rule"] == "nearest_first", "rule not stated")
    for k, want in (("population_served", 1700), ("population_unserved_within", 800), ("population_no_access", 100)):
        check(abs(c[k] - want) < 1e-6, f"{k}: {c[k]}, by hand {want}")
    check(c["facilities_over_capacity"] == 2, f"facilities over capacity: {c['facilities_over_capacity']}, by hand 2")
    fac = rows(out, "facility_capacity", "name")
    for name, served, demand, over, left in (("A", 1500, 2000, 500, 0), ("B", 200, 500, 300, 0)):
        r = fac[name]
        check(abs(r["served"] - served) < 1e-6 and abs(r["demand_nearest"] - demand) < 1e-6 and abs(r["over_capacity"] - over) < 1e-6
              and abs(r["capacity_left"] - left) < 1e-6, f"facility {name}: {r}")
    adm = rows(out, "capacity_by_admin", "name")
    for name, served, unserved, no_access in (("V1", 1000, 0, 0), ("V2", 500, 500, 0), ("V3", 200, 300, 0), ("V4", 0, 0, 100)):
        r = adm[name]
        check(abs(r["served"] - served) < 1e-6 and abs(r["unserved_within"] - unserved) < 1e-6 and abs(r["no_access"] - no_access) < 1e-6,
              f"admin {name}: {r}, by hand served {served} unserved {unserved} no access {no_access}")
    # E2SFCA per village (one admin area each) against the independent reference, times from the geometry
    v = KMH / 3.6
    pops = [p for _, _, p in VILLAGES]
    times = [[x / v, (10000 - x) / v] for _, x, _ in VILLAGES]
    ratio, index = e2sfca_ref.e2sfca(pops, [1500, 200], times, 1800.0)
    for (name, _, _), want in zip(VILLAGES, index):
        got = adm[name]["access_per_1000"]
        check(abs(got - 1000 * want) <= 1e-4 * 1000 * want, f"E2SFCA at {name}: {got}, reference {1000 * want}")
    for name, want in zip(("A", "B"), ratio):
        got = fac[name]["ratio_per_1000"]
        check(abs(got - 1000 * want) <= 1e-4 * 1000 * want, f"E2SFCA ratio of {name}: {got}, reference {1000 * want}")
    check(abs(adm["V4"]["access_per_1000"]) < 1e-12, "a village without road access has an index")
    # the allocation of the reference agrees with the hand computation too
    sd, sf = e2sfca_ref.allocate(pops, [1500, 200], times, 1800.0)
    check(sd == [1000, 500, 200] and sf == [1500, 200], f"reference allocation {sd} {sf}")
    ds = gdal.Open(os.path.join(out, "access_index.tif"))
    check("E2SFCA" in ds.GetRasterBand(1).GetDescription(), "access_index.tif band not described")
    st = ds.GetRasterBand(1).ComputeStatistics(False)
    check(0 < st[1] <= 1000 * max(index) * 1.5, f"access_index.tif values {st}")
    del ds
    print(f"hand case: served 1700, unserved 800, no access 100; E2SFCA {[round(1000 * i, 4) for i in index]} per 1,000")


def case_scenario(tmp):
    """inputs.capacity_field and capacity_minutes in a scenario give the figures of the command line."""
    d = os.path.join(tmp, "in")
    hand_case(d)
    sc = os.path.join(tmp, "s.yaml")
    with open(sc, "w") as f:
        f.write(f"""name: cap
inputs:
  roads: {d}/roads.gpkg
  population: {d}/villages.gpkg
  facilities: {d}/fac.gpkg
  admin: {d}/admin.gpkg
  capacity_field: capacity
minutes: [15, 30]
capacity_minutes: 30
resolution_m: 250
report:
  maps: false
""")
    out = os.path.join(tmp, "out")
    run(["run", sc, "--out", out, "--quiet"])
    c = summary(out)["capacity"]
    check(abs(c["population_served"] - 1700) < 1e-6 and abs(c["population_unserved_within"] - 800) < 1e-6 and c["minutes"] == 30,
          f"scenario capacity: {c}")
    with open(os.path.join(out, "scenario.json")) as f:
        sj = json.load(f)["scenario"]
    check(sj["inputs"]["capacity_field"] == "capacity" and sj["capacity_minutes"] == 30, "scenario.json lacks the capacity keys")


def case_no_limit(tmp):
    """An empty capacity is no limit: B then takes V3 whole and the 500 of V2 that A has no room for."""
    d, out = os.path.join(tmp, "in"), os.path.join(tmp, "out")
    hand_case(d, cap_b=None)
    run(hand_args(d, out))
    c = summary(out)["capacity"]
    check(abs(c["population_served"] - 2500) < 1e-6 and abs(c["population_unserved_within"]) < 1e-6,
          f"served {c['population_served']}, unserved {c['population_unserved_within']}: by hand 2500, 0")
    check(c["facilities_with_capacity"] == 1, "a facility without a value counts as having a capacity")


def case_bad(tmp):
    """A missing field, a negative or non-numeric capacity: one error line naming the field, exit 3."""
    for i, (cap_b, field, word) in enumerate((("-5", "capacity", "'-5'"), ("lots", "capacity", "'lots'"), ("200", "beds", "<capacity>"))):
        d, out = os.path.join(tmp, f"in{i}"), os.path.join(tmp, f"out{i}")
        hand_case(d, cap_b=cap_b, cap_field=field)
        p = run(hand_args(d, out), expect=3)
        err = [line for line in p.stderr.splitlines() if "error" in line]
        check(len(err) == 1 and word in err[0] and "fac.gpkg" in err[0], f"{cap_b}/{field}: {p.stderr!r}")
        check(not os.path.exists(out), "output written after an error")
    d, out = os.path.join(tmp, "in0"), os.path.join(tmp, "o")
    p = run(hand_args(d, out, ["--capacity-minutes", "0"]), expect=2)
    check("--capacity-minutes" in p.stderr, p.stderr)


def case_comoros(tmp):
    """Comoros with made-up capacities per tier: served + unserved + no access = population."""
    src = os.path.join(COMOROS, "who_public_health_facilities_comoros.csv")
    if not os.path.exists(src):
        print(f"SKIP: {COMOROS} is not present (needs ../shared/data)")
        return SKIP
    fac = os.path.join(tmp, "fac.csv")
    caps = {"1": "5000", "2": "20000", "3": "60000", "4": "60000"}
    with open(src, newline="", encoding="utf-8") as f, open(fac, "w", newline="", encoding="utf-8") as g:
        r = csv.DictReader(f)
        w = csv.DictWriter(g, fieldnames=r.fieldnames + ["capacity"])
        w.writeheader()
        for i, row in enumerate(r):
            row["capacity"] = "" if i % 13 == 5 else caps.get(row["tier"].strip(), "")  # a few without a value: no limit
            w.writerow(row)
    out = os.path.join(tmp, "o")
    run(["coverage", "--roads", os.path.join(COMOROS, "comores-2021-04-08.osm.pbf"), "--population",
         os.path.join(COMOROS, "com_ppp_2020_UNadj.tif"), "--facilities", fac, "--tier-field", "tier",
         "--tiers", "1=health_post,2=health_centre,3=hospital,4=hospital", "--capacity", "capacity", "--out", out, "--quiet"])
    s = summary(out)
    c = s["capacity"]
    tot = c["population_served"] + c["population_unserved_within"] + c["population_no_access"]
    print(f"comoros: served {c['population_served']:.0f}, unserved {c['population_unserved_within']:.0f}, "
          f"no access {c['population_no_access']:.0f}, total {tot:.3f} of {s['population_total']:.3f}")
    check(abs(tot - s["population_total"]) <= 0.002, f"served + unserved + no access = {tot}, population {s['population_total']}")
    check(abs(c["accounting_residual"]) < 1e-6, f"residual {c['accounting_residual']}")
    within = s["population_within_min"]["30"]
    check(abs(c["population_served"] + c["population_unserved_within"] - within) <= 0.002,
          "served + unserved is not the population within 30 minutes")
    fl = rows(out, "facility_capacity", "facility_id")
    served = sum(r["served"] or 0 for r in fl.values())
    check(abs(served - c["population_served"]) <= 0.01, "served per facility does not add up")
    for r in fl.values():
        if r["capacity"] is not None:
            check(r["served"] <= r["capacity"] + 1e-6, f"facility {r['name']} serves {r['served']} over its capacity {r['capacity']}")


if __name__ == "__main__":
    sys.exit(cli_test.main(globals(), __doc__))
