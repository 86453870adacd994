#!/usr/bin/python3
"""The prepared region on disk (issue 19): `carecircle prepare`, the cache folder that coverage,
run and batch read and write, --cache-dir and --no-cache, one case per CTest test.

A run that reads the prepared region must give exactly what a run with --no-cache gives (every
file of the output folder through scripts/same_outputs' fingerprint, an independent reading
through GDAL, plus the travel-time raster's pixels and the warnings); an input file rewritten
since the region was prepared must never be served from it; a damaged file (truncated, a bit
flipped, another format version, empty, not a cache at all) gives one warning naming it and the
outputs of a fresh run; --no-cache reads and writes nothing.

Usage: cache_test.py CASE  (environment: CC_BIN = carecircle binary, CC_SRC = source tree)
Exit 0 = pass, 1 = fail, 77 = skipped (CTest SKIP_RETURN_CODE), with the reason printed.
"""
import glob
import os
import shutil
import subprocess
import sys
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import cli_test  # noqa: E402
from cli_test import BIN, COMOROS, DEMO, SKIP, check, demo_args, load_summary, run, village_args  # noqa: E402
from batch_reuse_test import differences  # noqa: E402
from osgeo import gdal  # noqa: E402

READ_INPUTS = "Roads and population read from the prepared region"
READ_TOPO = "Graph, snapping and joins read from the prepared region"
WRITTEN = "Prepared region written to"


def warnings(stderr):
    return sorted(l for l in stderr.splitlines() if "warning:" in l)


def preps(folder):
    return sorted(glob.glob(os.path.join(folder, "*.ccprep")))


def pixels(out):
    ds = gdal.Open(os.path.join(out, "travel_time.tif"))
    return [ds.GetRasterBand(b + 1).ReadAsArray().tobytes() for b in range(ds.RasterCount)]


def same(a, b, what):
    diffs = differences(a, b)
    check(not diffs, f"{what}: outputs differ:\n" + "\n".join(diffs[:20]))
    check(pixels(a) == pixels(b), f"{what}: travel_time.tif pixels differ")


def cold_warm_fresh(tmp, args, out_args):
    """@p args run with --no-cache, then twice with a cache folder of their own (the first
    writes it, the second reads it): the three output folders are the same, and so are the
    warnings."""
    cache = os.path.join(tmp, "cache")
    outs = {k: os.path.join(tmp, k) for k in ("fresh", "cold", "warm")}
    p = {}
    p["fresh"] = run(args + out_args(outs["fresh"]) + ["--no-cache", "--verbose"])
    check(not os.path.exists(cache), "--no-cache made a cache folder")
    p["cold"] = run(args + out_args(outs["cold"]) + ["--cache-dir", cache, "--verbose"])
    check(WRITTEN in p["cold"].stderr and READ_INPUTS not in p["cold"].stderr, "the first run did not write the prepared region:\n" + p["cold"].stderr)
    check(len(preps(cache)) == 1, f"cache folder holds {preps(cache)}")
    p["warm"] = run(args + out_args(outs["warm"]) + ["--cache-dir", cache, "--verbose"])
    check(READ_INPUTS in p["warm"].stderr and READ_TOPO in p["warm"].stderr, "the second run did not read the prepared region:\n" + p["warm"].stderr)
    check(WRITTEN not in p["warm"].stderr, "the second run wrote the prepared region again")
    check("Reading roads" not in p["warm"].stderr and "Reading population" not in p["warm"].stderr, "the warm run read the roads or population")
    for k in ("cold", "warm"):
        same(outs["fresh"], outs[k], f"--no-cache against {k} cache")
        check(warnings(p[k].stderr) == warnings(p["fresh"].stderr),
              f"{k} cache: warnings differ:\n{warnings(p[k].stderr)}\nagainst\n{warnings(p['fresh'].stderr)}")
    return outs, cache


def out_flag(out):
    return ["--out", out]


def strip_out(args):
    i = args.index("--out")
    return args[:i] + args[i + 2:]


def case_identical(tmp):
    """Raster population: fresh, cold and warm cache give the same outputs."""
    args = [a for a in strip_out(demo_args("x")) if a != "--quiet"]
    outs, _ = cold_warm_fresh(tmp, args, out_flag)
    s = load_summary(outs["warm"])
    check(s["population_total"] > 0 and s["facilities_snapped"] > 0, "implausible demo summary")


def case_villages(tmp):
    """Village points (the travel-time grid is in the file too), with a grid resolution."""
    args = village_args("coverage") + ["--resolution", "150"]
    cold_warm_fresh(tmp, args, out_flag)
    # another resolution is another grid: not this prepared region
    cache = os.path.join(tmp, "cache")
    p = run(village_args("coverage") + ["--resolution", "200", "--out", os.path.join(tmp, "r200"), "--cache-dir", cache, "--verbose"])
    check(READ_INPUTS not in p.stderr and "No prepared region in the cache for these inputs" in p.stderr,
          "a run at another resolution used the prepared region:\n" + p.stderr)
    check(len(preps(cache)) == 2, f"expected a second prepared region, found {preps(cache)}")


def case_stale(tmp):
    """A population raster rewritten (one byte) is detected and the region is not used; a touch
    alone (same bytes) or a changed facility file keeps it."""
    pop = os.path.join(tmp, "population.asc")
    shutil.copy(f"{DEMO}/population.asc", pop)
    shutil.copy(f"{DEMO}/population.prj", os.path.join(tmp, "population.prj"))
    cache = os.path.join(tmp, "cache")

    def args(out, population=pop, facilities=f"{DEMO}/facilities.csv"):
        a = demo_args(out)
        a[a.index("--population") + 1] = population
        a[a.index("--facilities") + 1] = facilities
        return [x for x in a if x != "--quiet"] + ["--verbose"]

    p = run(["prepare", "--roads", f"{DEMO}/roads.geojson", "--population", pop, "--out", cache])
    check(len(preps(cache)) == 1 and preps(cache)[0] in p.stdout, "prepare did not say which file it wrote:\n" + p.stdout)
    # touched, same bytes: still the same region (the key is the content)
    os.utime(pop, None)
    p = run(args(os.path.join(tmp, "touched")) + ["--cache-dir", cache])
    check(READ_TOPO in p.stderr, "a touched (unchanged) file made the region stale:\n" + p.stderr)
    # a facility file of its own (one facility fewer): facilities are read by every run
    with open(f"{DEMO}/facilities.csv", encoding="utf-8") as f:
        lines = f.read().splitlines(True)
    fac = os.path.join(tmp, "facilities.csv")
    with open(fac, "w", encoding="utf-8") as f:
        f.writelines(lines[:-1])
    p = run(args(os.path.join(tmp, "out_fac"), facilities=fac) + ["--cache-dir", cache])
    check(READ_TOPO in p.stderr, "a changed facility file made the region stale:\n" + p.stderr)
    run(args(os.path.join(tmp, "out_fac_fresh"), facilities=fac) + ["--no-cache"])
    same(os.path.join(tmp, "out_fac_fresh"), os.path.join(tmp, "out_fac"), "changed facilities")
    check(load_summary(os.path.join(tmp, "out_fac"))["facilities_total"] == load_summary(os.path.join(tmp, "touched"))["facilities_total"] - 1,
          "the run with one facility fewer did not read its own facility file")
    # one byte of the raster rewritten: a cell's population changes
    with open(pop, "rb") as f:
        data = bytearray(f.read())
    header_end = data.index(b"NODATA") if b"NODATA" in data else 0
    k = data.index(b"\n", header_end) + 1
    while not (48 <= data[k] <= 56):
        k += 1
    data[k] += 1
    with open(pop, "wb") as f:
        f.write(bytes(data))
    p = run(args(os.path.join(tmp, "changed")) + ["--cache-dir", cache])
    check(READ_INPUTS not in p.stderr and READ_TOPO not in p.stderr, "a rewritten population raster was served from the cache:\n" + p.stderr)
    check("No prepared region in the cache for these inputs" in p.stderr, "the log at --verbose does not say the cache was not used:\n" + p.stderr)
    run(args(os.path.join(tmp, "changed_fresh")) + ["--no-cache"])
    same(os.path.join(tmp, "changed_fresh"), os.path.join(tmp, "changed"), "rewritten population")
    a, b = load_summary(os.path.join(tmp, "touched")), load_summary(os.path.join(tmp, "changed"))
    check(a["population_total"] != b["population_total"], "the rewritten byte did not change the population (test is void)")


def case_damaged(tmp):
    """Truncated, bit-flipped, other version, empty and foreign files: one warning naming the
    file, the outputs of a fresh run, and the file rewritten whole by that run."""
    cache = os.path.join(tmp, "cache")
    base = strip_out([a for a in demo_args("x") if a != "--quiet"])
    run(base + ["--out", os.path.join(tmp, "fresh"), "--no-cache"])
    run(["prepare", "--roads", f"{DEMO}/roads.geojson", "--population", f"{DEMO}/population.asc", "--out", cache, "--quiet"])
    (path,) = preps(cache)
    with open(path, "rb") as f:
        good = f.read()
    flipped = bytearray(good)
    flipped[len(good) * 2 // 3] ^= 0x10
    version = bytearray(good)
    version[8] = (version[8] + 7) & 0xFF  # the format version (little-endian uint32 after the magic)
    damaged = {"truncated": good[: len(good) // 2], "bit_flipped": bytes(flipped), "other_version": bytes(version), "empty": b"",
               "foreign": b"GeoPackage? no." * 100}
    reasons = {"truncated": "truncated", "bit_flipped": "checksum", "other_version": "another version", "empty": "empty",
               "foreign": "not a carecircle prepared region"}
    for name, data in damaged.items():
        with open(path, "wb") as f:
            f.write(data)
        out = os.path.join(tmp, name)
        p = run(base + ["--out", out, "--cache-dir", cache])
        mine = [l for l in warnings(p.stderr) if path in l]
        check(len(mine) == 1 and reasons[name] in mine[0], f"{name}: expected one warning naming {path} ({reasons[name]}), got:\n{p.stderr}")
        same(os.path.join(tmp, "fresh"), out, name)
        if name not in ("truncated", "bit_flipped"):
            continue
        # the run computed afresh and replaced the file: the next run reads it without a warning
        p = run(base + ["--out", out + "_next", "--cache-dir", cache, "--verbose"])
        check(READ_TOPO in p.stderr, f"{name}: the file was not rewritten:\n{p.stderr}")
        check(not [l for l in warnings(p.stderr) if path in l], f"{name}: the rewritten file still warns:\n{p.stderr}")
    check(not [n for n in os.listdir(cache) if ".tmp" in n], f"temporary files left in the cache: {os.listdir(cache)}")


def case_no_cache(tmp):
    """The default folder is $XDG_CACHE_HOME/carecircle; --no-cache reads and writes nothing."""
    xdg = os.path.join(tmp, "xdg")
    os.environ["XDG_CACHE_HOME"] = xdg
    base = strip_out([a for a in demo_args("x") if a != "--quiet"])
    run(base + ["--out", os.path.join(tmp, "a"), "--no-cache", "--verbose"])
    check(not os.path.exists(xdg), "--no-cache created the cache folder")
    p = run(base + ["--out", os.path.join(tmp, "b"), "--verbose"])
    folder = os.path.join(xdg, "carecircle")
    check(len(preps(folder)) == 1 and WRITTEN in p.stderr, f"the default run did not write into {folder}:\n{p.stderr}")
    before = {f: os.stat(f).st_mtime_ns for f in preps(folder)}
    time.sleep(0.05)
    p = run(base + ["--out", os.path.join(tmp, "c"), "--no-cache", "--verbose"])
    check("prepared region" not in p.stderr, "--no-cache looked at the cache:\n" + p.stderr)
    check({f: os.stat(f).st_mtime_ns for f in preps(folder)} == before and os.listdir(folder) == [os.path.basename(f) for f in before],
          "--no-cache changed the cache folder")
    # the run without the cache read the files: same outputs as the cached one
    p = run(base + ["--out", os.path.join(tmp, "d"), "--verbose"])
    check(READ_TOPO in p.stderr, "the default folder was not read:\n" + p.stderr)
    same(os.path.join(tmp, "c"), os.path.join(tmp, "d"), "--no-cache against the default folder")


def case_prepare_bad_inputs(tmp):
    """prepare fails like coverage on bad inputs (same exit code, the file named) and writes nothing."""
    cache = os.path.join(tmp, "cache")
    missing = os.path.join(tmp, "no-such-roads.gpkg")
    corrupt = os.path.join(tmp, "corrupt.tif")
    with open(corrupt, "wb") as f:
        f.write(b"II*\x00garbage")
    far = os.path.join(tmp, "far.csv")
    with open(far, "w") as f:
        f.write("name,lon,lat,tier\nfar,10.0,10.0,village_clinic\n")
    cases = [({"roads": missing}, 4, missing), ({"population": corrupt}, 4, corrupt), ({"facilities": far}, 3, far)]
    for over, code, needle in cases:
        opts = {"roads": f"{DEMO}/roads.geojson", "population": f"{DEMO}/population.asc", "facilities": f"{DEMO}/facilities.csv"}
        opts.update(over)
        common = ["--roads", opts["roads"], "--population", opts["population"], "--facilities", opts["facilities"]]
        p = run(["prepare"] + common + ["--out", cache], expect=code)
        check(needle in p.stderr, f"prepare: the message does not name {needle}:\n{p.stderr}")
        q = run(["coverage"] + common + ["--out", os.path.join(tmp, "cov"), "--no-cache"], expect=code)
        check(q.stderr.strip().splitlines()[-1] == p.stderr.strip().splitlines()[-1],
              f"prepare and coverage fail differently:\n{p.stderr}\nagainst\n{q.stderr}")
        check(not os.path.exists(cache) or not os.listdir(cache), "prepare left files in the cache folder")
    p = run(["prepare", "--roads", f"{DEMO}/roads.geojson", "--out", cache], expect=2)
    check("--population is required" in p.stderr, p.stderr)
    afile = os.path.join(tmp, "a_file.txt")
    with open(afile, "w") as f:
        f.write("x")
    p = run(["prepare", "--roads", f"{DEMO}/roads.geojson", "--population", f"{DEMO}/population.asc", "--out", afile], expect=2)
    check("is a file, not a folder" in p.stderr, p.stderr)
    # to a file named by the user
    named = os.path.join(tmp, "named", "demo.ccprep")
    p = run(["prepare", "--roads", f"{DEMO}/roads.geojson", "--population", f"{DEMO}/population.asc", "--out", named])
    check(os.path.exists(named) and named in p.stdout, p.stdout)


def case_batch(tmp):
    """A scenario run and a batch read the region prepared with the scenario's inputs, with the
    outputs of --no-cache."""
    cache = os.path.join(tmp, "cache")
    run(["prepare", "--roads", f"{DEMO}/roads.geojson", "--population", f"{DEMO}/villages.geojson", "--population-field", "population",
         "--out", cache, "--quiet"])
    sc = cli_test.demo_scenario(tmp, maps=False)
    p = run(["run", sc, "--out", os.path.join(tmp, "warm"), "--cache-dir", cache])
    check(READ_TOPO in p.stderr, "the scenario run did not read the prepared region:\n" + p.stderr)
    run(["run", sc, "--out", os.path.join(tmp, "fresh"), "--no-cache", "--quiet"])
    diffs = differences(os.path.join(tmp, "fresh"), os.path.join(tmp, "warm"))
    check(not diffs, "scenario run: outputs differ:\n" + "\n".join(diffs[:20]))
    bfile = os.path.join(tmp, "batch.yaml")
    with open(bfile, "w") as f:
        f.write(f"base: {sc}\nvariants:\n  - name: slow\n    set: {{speed_factors: {{all: 0.8}}}}\n")
    p = run(["batch", bfile, "--out", os.path.join(tmp, "bw"), "--cache-dir", cache, "--force"])
    check(READ_TOPO in p.stderr, "the batch did not read the prepared region:\n" + p.stderr)
    run(["batch", bfile, "--out", os.path.join(tmp, "bf"), "--no-cache", "--force", "--quiet"])
    for v in ("base", "slow"):
        diffs = differences(os.path.join(tmp, "bf", v), os.path.join(tmp, "bw", v))
        check(not diffs, f"batch variant {v}: outputs differ:\n" + "\n".join(diffs[:20]))


def case_race(tmp):
    """Four prepare processes writing the same file at once leave one whole file, no temporary."""
    cache = os.path.join(tmp, "cache")
    cmd = [BIN, "prepare", "--roads", f"{DEMO}/roads.geojson", "--population", f"{DEMO}/population.asc", "--out", cache, "--quiet",
           "--threads", "1"]
    procs = [subprocess.Popen(cmd, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True) for _ in range(4)]
    for pr in procs:
        out, err = pr.communicate(timeout=300)
        check(pr.returncode == 0, f"prepare failed under a race: {err}")
    check(len(os.listdir(cache)) == 1, f"cache folder after the race: {os.listdir(cache)}")
    base = strip_out([a for a in demo_args("x") if a != "--quiet"])
    p = run(base + ["--out", os.path.join(tmp, "o"), "--cache-dir", cache])
    check(READ_TOPO in p.stderr, "the raced file was not read:\n" + p.stderr)
    check(not [l for l in warnings(p.stderr) if ".ccprep" in l], "the raced file is damaged:\n" + p.stderr)


def case_comoros(tmp):
    """Comoros (OSM roads, WorldPop raster): prepare, then coverage from the prepared region gives
    what --no-cache gives."""
    pbf = os.path.join(COMOROS, "comores-2021-04-08.osm.pbf")
    if not os.path.exists(pbf):
        print(f"SKIP: {COMOROS} is not present (real-data check needs ../shared/data)")
        return SKIP
    common = ["--roads", pbf, "--population", os.path.join(COMOROS, "com_ppp_2020_UNadj.tif")]
    cov = ["coverage"] + common + ["--facilities", os.path.join(COMOROS, "who_public_health_facilities_comoros.csv"),
                                   "--tier-field", "tier", "--tiers", "1=health_post,2=health_centre,3=hospital,4=hospital"]
    cache = os.path.join(tmp, "cache")
    p = run(["prepare"] + common + ["--out", cache])
    (path,) = preps(cache)
    check(path in p.stdout and os.path.getsize(path) > 1e6, p.stdout)
    p = run(cov + ["--out", os.path.join(tmp, "warm"), "--cache-dir", cache, "--verbose"])
    check(READ_INPUTS in p.stderr and READ_TOPO in p.stderr, "coverage did not read the prepared region:\n" + p.stderr)
    q = run(cov + ["--out", os.path.join(tmp, "fresh"), "--no-cache", "--verbose"])
    same(os.path.join(tmp, "fresh"), os.path.join(tmp, "warm"), "Comoros")
    check(warnings(p.stderr) == warnings(q.stderr), "warnings differ")
    s = load_summary(os.path.join(tmp, "warm"))
    check(s["population_total"] > 800000 and s["facilities_snapped"] == 64, "implausible Comoros summary")


if __name__ == "__main__":
    sys.exit(cli_test.main(globals(), __doc__))
