#!/usr/bin/python3
"""Robustness, round two (issue #15): carecircle's own files read back like user input, output
folders owned through a marker, caps checked before work, prompt and tidy stops, numbers that
cannot be, and GDAL/PROJ noise summarised.

Usage: robust2_test.py CASE  (environment: CC_BIN, CC_SRC, optional CC_SHARED_DATA)
Exit 0 = pass, 1 = fail, 77 = skipped with the reason printed.
"""
import json
import os
import shutil
import signal
import subprocess
import sys
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import cli_test  # noqa: E402
from cli_test import BIN, DEMO, Fail, check, demo_args, run  # noqa: E402


def write(path, text, mode="w"):
    with open(path, mode) as f:
        f.write(text)
    return path


def error_lines(p):
    return [l for l in p.stderr.splitlines() if "error" in l]


def one_error(p, codes, *needles):
    """A clean refusal: an expected exit code (never a signal), exactly one error line holding every needle."""
    check(p.returncode in codes, f"exit {p.returncode}, expected one of {codes}: {p.stderr[-2000:]!r}")
    lines = error_lines(p)
    check(len(lines) == 1, f"expected one error line, got: {p.stderr[-3000:]!r}")
    for n in needles:
        check(n in lines[0], f"error line lacks {n!r}: {lines[0]}")
    return lines[0]


def demo_out(tmp, name="out"):
    out = os.path.join(tmp, name)
    run(demo_args(out))
    return out


# ---- 1. carecircle's own files read back --------------------------------------------------------

SUMMARY_EDITS = [
    # (what is changed, edit function on the loaded summary, key named in the error)
    ("tiers a list", lambda s: s.__setitem__("tiers", [1, 2]), "tiers"),
    ("tiers null", lambda s: s.__setitem__("tiers", None), "tiers"),
    ("tiers a map of numbers", lambda s: s.__setitem__("tiers", {"a": 1, "b": 2.5}), "tiers.a"),
    ("tier facilities a string", lambda s: [t.__setitem__("facilities", "x") for t in s["tiers"].values()], "facilities"),
    ("demand.kind null", lambda s: s["demand"].__setitem__("kind", None), "demand.kind"),
    ("demand a string", lambda s: s.__setitem__("demand", "raster"), "demand"),
    ("minutes missing", lambda s: s.pop("minutes"), "minutes"),
    ("minutes a map", lambda s: s.__setitem__("minutes", {"15": 1}), "minutes"),
    ("minutes of strings", lambda s: s.__setitem__("minutes", ["15", "30"]), "minutes"),
    ("minutes of nulls", lambda s: s.__setitem__("minutes", [None]), "minutes"),
    ("population_within_min a list", lambda s: s.__setitem__("population_within_min", [1, 2]), "population_within_min"),
    ("population_within_min of strings", lambda s: s["population_within_min"].update({k: "many" for k in s["population_within_min"]}), "population_within_min"),
    ("population_total a list", lambda s: s.__setitem__("population_total", [1]), "population_total"),
    ("crs a number", lambda s: s.__setitem__("crs", 4326), "crs"),
    ("profile an object", lambda s: s.__setitem__("profile", {"a": 1}), "profile"),
    ("uncovered_minutes a string", lambda s: s.__setitem__("uncovered_minutes", "30"), "uncovered_minutes"),
]


def case_report_own_files(tmp):
    """report on an output folder whose summary.json / scenario.json were edited or truncated:
    one error line naming the file and the key, never a crash."""
    out = demo_out(tmp)
    sp = os.path.join(out, "summary.json")
    good = open(sp).read()
    for what, edit, key in SUMMARY_EDITS:
        s = json.loads(good)
        edit(s)
        write(sp, json.dumps(s))
        p = subprocess.run([BIN, "report", out, "--quiet"], capture_output=True, text=True)
        one_error(p, (3, 4), "summary.json", key)
    # not JSON, truncated, top level not an object, nested too deep, a FIFO in its place
    for what, text in (("garbage", "\x00\x01garbage"), ("truncated", good[: len(good) // 2]), ("a list", "[1,2]"),
                       ("deep", "[" * 100000 + "]" * 100000), ("trailing", good + "{}")):
        write(sp, text)
        p = subprocess.run([BIN, "report", out, "--quiet"], capture_output=True, text=True)
        one_error(p, (3, 4), "summary.json")
    os.unlink(sp)
    os.mkfifo(sp)
    p = subprocess.run([BIN, "report", out, "--quiet"], capture_output=True, text=True, timeout=30)
    one_error(p, (3, 4), "summary.json", "regular file")
    os.unlink(sp)
    write(sp, good)
    # scenario.json supplies titles to report: wrong types are named too
    scj = os.path.join(out, "scenario.json")
    for body, key in (('{"scenario": [1]}', "scenario"), ('{"scenario": {"title_en": null}}', "scenario.title_en"),
                      ('{"scenario": {"name": 5}}', "scenario.name")):
        write(scj, body)
        p = subprocess.run([BIN, "report", out, "--quiet", "--lang", "en"], capture_output=True, text=True)
        one_error(p, (3, 4), "scenario.json", key)
    os.unlink(scj)
    p = run(["report", out, "--quiet", "--lang", "en"])  # and the intact folder still reports
    check(os.path.getsize(os.path.join(out, "report_en.html")) > 1000, "no report from the intact folder")


def case_batch_own_files(tmp):
    """batch re-run over variant folders whose scenario.json / summary.json and the batch's
    manifest.json were edited: no crash; the variant runs again (with a warning naming the file and
    the key) or is left out of the comparison with a warning."""
    d = os.path.join(tmp, "demo")
    shutil.copytree(DEMO, d)
    b = os.path.join(d, "batch.yaml")
    out = os.path.join(tmp, "b")
    run(["batch", b, "--out", out, "--jobs", "2", "--quiet", "--lang", "en"])
    scj = os.path.join(out, "rainy_season", "scenario.json")
    for bad, key in (('"content_hash": null', "content_hash"), ('"content_hash": 12', "content_hash"),
                     ('"content_hash": {"a": 1}', "content_hash")):
        s = json.load(open(scj))
        s.pop("content_hash", None)
        txt = json.dumps(s)
        write(scj, txt[:-1] + ", " + bad + "}")
        p = subprocess.run([BIN, "batch", b, "--out", out, "--jobs", "2", "--lang", "en"], capture_output=True, text=True)
        check(p.returncode == 0, f"exit {p.returncode} with {bad}: {p.stderr[-2000:]}")
        check(any("scenario.json" in l and key in l and "again" in l for l in p.stderr.splitlines()), p.stderr[-2000:])
        check("rainy_season" in p.stdout and any(l.split()[:2] == ["rainy_season", "done"] for l in p.stdout.splitlines()),
              f"rainy_season not re-run: {p.stdout}")
    # a manifest of the wrong shape: only a scheduling hint, the batch runs
    mp = os.path.join(out, "manifest.json")
    for body in ('{"variants": {"a": 1}}', '{"variants": [{"name": null, "state": 1, "seconds": "x"}]}', "[]", "nonsense"):
        write(mp, body)
        p = subprocess.run([BIN, "batch", b, "--out", out, "--jobs", "2", "--quiet", "--lang", "en"], capture_output=True, text=True)
        check(p.returncode == 0, f"exit {p.returncode} with manifest {body}: {p.stderr[-2000:]}")
        json.load(open(mp))  # rewritten whole
    # a variant's summary.json of the wrong shape: named, left out of the comparison, no crash
    sj = os.path.join(out, "road_19_closed", "summary.json")
    s = json.load(open(sj))
    s["population_within_min"] = {k: "lots" for k in s["population_within_min"]}
    write(sj, json.dumps(s))
    p = subprocess.run([BIN, "batch", b, "--out", out, "--jobs", "2", "--lang", "en"], capture_output=True, text=True)
    check(p.returncode == 0 and "road_19_closed/summary.json" in p.stderr and "population_within_min" in p.stderr,
          f"exit {p.returncode}: {p.stderr[-2000:]}")

# ---- 2. ownership of output folders ---------------------------------------------------------------

def commands(out, tmp):
    """Every command that writes an output folder, writing into @out."""
    inp = ["--roads", f"{DEMO}/roads.geojson", "--population", f"{DEMO}/population.asc", "--facilities", f"{DEMO}/facilities.csv"]
    scen = os.path.join(tmp, "s.yaml")
    if not os.path.exists(scen):
        write(scen, f"name: demo\ninputs:\n  roads: {DEMO}/roads.geojson\n  population: {DEMO}/population.asc\n"
                    f"  facilities: {DEMO}/facilities.csv\nreport:\n  maps: false\n")
        d = os.path.join(tmp, "bdemo")
        shutil.copytree(DEMO, d)
    batch = os.path.join(tmp, "bdemo", "batch.yaml")
    return {
        "coverage": ["coverage"] + inp + ["--out", out, "--quiet"],
        "site": ["site"] + inp + ["--out", out, "--quiet", "-p", "2", "--candidate-roads", "all", "--spacing", "3000"],
        "traveltime": ["traveltime", "--roads", f"{DEMO}/roads.geojson", "--facilities", f"{DEMO}/facilities.csv",
                       "--population", f"{DEMO}/population.asc", "--minutes", "15", "--out", out, "--quiet"],
        "run": ["run", scen, "--out", out, "--quiet"],
        "batch": ["batch", batch, "--out", out, "--quiet", "--lang", "en"],
        "graph": ["graph", "--roads", f"{DEMO}/roads.geojson", "--export", out, "--quiet"],
        "report": ["report", out, "--quiet", "--lang", "en"],
    }


def case_ownership(tmp):
    """A folder that is not carecircle's is never replaced or written into: refused with one line,
    every user file intact; a symbolic link is followed (its target written, the link kept);
    ".", the working folder, "/" and the home folder are refused before any work."""
    user = os.path.join(tmp, "thesis")
    os.mkdir(user)
    write(os.path.join(user, "thesis.docx"), "years of work")
    write(os.path.join(user, "summary.json"), json.dumps({"minutes": [15]}))  # a name that used to pass as ours
    for cmd, args in commands(user, tmp).items():
        p = subprocess.run([BIN] + args, capture_output=True, text=True, timeout=300)
        one_error(p, (2, 4), "thesis", "marker")
        check(sorted(os.listdir(user)) == ["summary.json", "thesis.docx"], f"{cmd} changed the user's folder: {os.listdir(user)}")
        check(open(os.path.join(user, "thesis.docx")).read() == "years of work", f"{cmd} changed thesis.docx")
        check(not any(".cc-tmp-" in n for n in os.listdir(tmp)), f"{cmd}: staging folder left behind")
    # protected folders: refused up front (no work done), whatever they hold
    home = os.path.join(tmp, "home")
    os.mkdir(home)
    work = os.path.join(tmp, "work")
    os.mkdir(work)
    env = dict(os.environ, HOME=home)
    for cmd in ("coverage", "site", "run", "batch", "graph", "traveltime"):
        for out in (".", work, "/", home, os.path.dirname(work), "./"):
            args = [a for a in commands(out, tmp)[cmd] if a != "--quiet"]
            t0 = time.time()
            p = subprocess.run([BIN] + args, capture_output=True, text=True, cwd=work, env=env, timeout=300)
            one_error(p, (2, 4), "Output folder")
            check(not any(w in p.stderr for w in ("Reading", "Read ", "Batch of")), f"{cmd} --out {out}: work before the refusal: {p.stderr}")
            check(time.time() - t0 < 5, f"{cmd} --out {out}: refused only after {time.time() - t0:.1f} s")
            check(os.listdir(work) == [] and os.listdir(home) == [], f"{cmd} --out {out} wrote {os.listdir(work)} {os.listdir(home)}")
    # symbolic links: followed to a folder of carecircle's own (or a new one), the link stays a link
    target = os.path.join(tmp, "target")
    link = os.path.join(tmp, "link")
    os.mkdir(target)
    os.symlink(target, link)
    for cmd in ("coverage", "coverage", "graph"):
        if cmd == "graph":
            shutil.rmtree(target)
            os.mkdir(target)
        run(commands(link, tmp)[cmd])
        check(os.path.islink(link) and os.readlink(link) == target, f"{cmd}: the link {link} was replaced")
        check(os.path.exists(os.path.join(target, "summary.json" if cmd != "graph" else "nodes.csv")), f"{cmd}: target not written")
    user_link = os.path.join(tmp, "ulink")
    os.symlink(user, user_link)
    p = subprocess.run([BIN] + commands(user_link, tmp)["coverage"], capture_output=True, text=True)
    one_error(p, (2, 4), "marker")
    check(sorted(os.listdir(user)) == ["summary.json", "thesis.docx"], "written through a link into a user folder")
    dangling = os.path.join(tmp, "dangling")
    os.symlink(os.path.join(tmp, "nowhere"), dangling)
    p = subprocess.run([BIN] + commands(dangling, tmp)["graph"], capture_output=True, text=True)
    one_error(p, (2, 4), "symbolic link")
    check(os.path.islink(dangling) and not os.path.exists(os.path.join(tmp, "nowhere")), "dangling link replaced")
    # the marker: version and command, and a second run into the folder is accepted
    out = os.path.join(tmp, "mine")
    for cmd in ("coverage", "coverage", "run"):
        run(commands(out, tmp)[cmd])
        m = open(os.path.join(out, ".carecircle")).read().splitlines()
        ver = run(["version"]).stdout.split()[1]
        check(m[0] == "carecircle output folder" and f"version {ver}" in m and any(l.startswith(f"command carecircle {cmd} ") for l in m), m)
    bo = os.path.join(tmp, "bout")
    run(commands(bo, tmp)["batch"])
    check("command carecircle batch" in open(os.path.join(bo, ".carecircle")).read(), "batch folder has no marker")
    check("command carecircle batch" in open(os.path.join(bo, "base", ".carecircle")).read(), "variant folder has no marker")
    # outputs written before markers carried a version: accepted while they hold only carecircle's names
    old = os.path.join(tmp, "old")
    run(demo_args(old))
    os.unlink(os.path.join(old, ".carecircle"))
    run(demo_args(old))
    os.unlink(os.path.join(old, ".carecircle"))
    write(os.path.join(old, "notes.txt"), "mine")
    p = subprocess.run([BIN] + demo_args(old), capture_output=True, text=True)
    one_error(p, (2, 4), "notes.txt")
    check(os.path.exists(os.path.join(old, "notes.txt")), "notes.txt removed")


def case_stale_staging(tmp):
    """Staging folders left by kill -9 are removed by the next run into the same place, and reported;
    another process's live staging folder and look-alike user folders are left alone."""
    out = os.path.join(tmp, "out")
    args = ["coverage", "--roads", f"{DEMO}/roads.geojson", "--population", f"{DEMO}/villages.geojson",
            "--facilities", f"{DEMO}/facilities.csv", "--resolution", "8", "--out", out, "--quiet"]
    proc = subprocess.Popen([BIN] + args, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    end = time.time() + 30
    while time.time() < end and not any(".cc-tmp-" in n for n in os.listdir(tmp)):
        time.sleep(0.02)
    time.sleep(0.3)
    proc.kill()
    proc.wait()
    stale = [n for n in os.listdir(tmp) if ".cc-tmp-" in n]
    check(len(stale) == 1, f"expected a staging folder after kill -9: {os.listdir(tmp)}")
    shutil.copytree(os.path.join(tmp, stale[0]), os.path.join(tmp, "out.cc-tmp-second"), symlinks=True)
    # a look-alike folder without carecircle's marker, and a live one (this test's own pid)
    alike = os.path.join(tmp, "out.cc-tmp-abcdef")
    os.mkdir(alike)
    write(os.path.join(alike, "mine.txt"), "x")
    live = os.path.join(tmp, "out.cc-tmp-live01")
    os.mkdir(live)
    write(os.path.join(live, ".carecircle"), f"carecircle output folder\nversion 0\ncommand x\nstaging pid {os.getpid()}\n")
    p = run(demo_args(out)[:-1])  # not --quiet: the warning is shown
    check("Removed 2 staging folders" in p.stderr and out in p.stderr, p.stderr)
    left = sorted(n for n in os.listdir(tmp) if ".cc-tmp-" in n)
    check(left == ["out.cc-tmp-abcdef", "out.cc-tmp-live01"], f"left: {left}")

# ---- 3. caps checked before work; blocking files refused by type --------------------------------

def timed(args, limit, **kw):
    t0 = time.time()
    try:
        p = subprocess.run([BIN] + args, capture_output=True, text=True, timeout=max(60, 4 * limit), **kw)
    except subprocess.TimeoutExpired:
        raise Fail(f"carecircle {' '.join(args)[:200]} ran past {max(60, 4 * limit)} s")
    took = time.time() - t0
    check(took < limit, f"carecircle {' '.join(args)[:200]}: {took:.1f} s, expected under {limit} s")
    return p


def case_caps(tmp):
    """Batches expanding to too many variants, deep or huge YAML, many documents, duplicate keys:
    refused in seconds with file:line:column, before any variant is built."""
    d = os.path.join(tmp, "demo")
    shutil.copytree(DEMO, d)
    out = os.path.join(tmp, "never")
    # 1,000 sweeps sharing one alias of 1,000 values: a million variants from 75 KB
    vals = "&v [" + ", ".join(f"0.{i:04d}" for i in range(1, 1001)) + "]"
    sweeps = "\n".join(f'  - {{name: "s{i}_{{value}}", key: speed_factors.all, values: {vals if i == 0 else "*v"}}}' for i in range(1000))
    b = write(os.path.join(d, "huge.yaml"), f"base: scenario.yaml\nsweeps:\n{sweeps}\n")
    p = timed(["batch", b, "--out", out, "--check"], 10)
    one_error(p, (2, 3), "huge.yaml:", "1000000 variants", "at most 1000")
    p = timed(["batch", b, "--out", out], 10)
    one_error(p, (2, 3), "at most 1000")
    # 1,001 plain variants: the cap counts them too; 1,000 distinct names are checked quickly
    many = "\n".join(f"  - {{name: v{i}, set: {{speed_factors: {{all: 0.9}}}}}}" for i in range(1001))
    b = write(os.path.join(d, "many.yaml"), f"base: scenario.yaml\nvariants:\n{many}\n")
    one_error(timed(["batch", b, "--out", out, "--check"], 10), (2, 3), "1001 variants")
    # deep nesting, in a scenario, a batch and a profile
    for name, cmd in (("deep_s.yaml", "run"), ("deep_b.yaml", "batch")):
        y = write(os.path.join(d, name), "name: x\ninputs: " + "[" * 200000 + "]" * 200000 + "\n")
        one_error(timed([cmd, y, "--out", out, "--check"], 5), (2, 3), f"{name}:2:", "levels deep")
    y = write(os.path.join(d, "deep_p.yaml"), "speeds_kmh: " + "{a: " * 100000 + "1" + "}" * 100000 + "\n")
    one_error(timed(["coverage", "--roads", f"{DEMO}/roads.geojson", "--population", f"{DEMO}/population.asc",
                     "--facilities", f"{DEMO}/facilities.csv", "--profile", y, "--out", out], 5), (2, 3), "deep_p.yaml:1:", "levels deep")
    # a file larger than the YAML limit
    y = write(os.path.join(d, "big.yaml"), "name: x\n" + "# filler\n" * 600000)
    one_error(timed(["run", y, "--out", out, "--check"], 5), (2, 3), "big.yaml", "KiB")
    # a second document, duplicate keys (top level, nested, in a batch variant)
    sc = open(os.path.join(d, "scenario.yaml")).read()
    y = write(os.path.join(d, "two.yaml"), sc + "---\nname: other\n")
    n = sc.count("\n") + 1
    one_error(run(["run", y, "--out", out, "--check"], expect=None), (2, 3), f"two.yaml:{n}:1:", "second YAML document")
    y = write(os.path.join(d, "dup.yaml"), sc + "name: again\n")
    one_error(run(["run", y, "--out", out, "--check"], expect=None), (2, 3), f"dup.yaml:{n}:1:", "<name> appears twice")
    y = write(os.path.join(d, "dup2.yaml"), "base: scenario.yaml\nvariants:\n  - {name: a, set: {speed_factors: {all: 0.9, all: 0.5}}}\n")
    one_error(run(["batch", y, "--out", out, "--check"], expect=None), (2, 3), "dup2.yaml:3:", "<all> appears twice")
    check(not os.path.exists(out), "a refused file wrote outputs")
    # variant names that collide with the batch folder's own files or are hidden: refused up front
    for bad in ("manifest.json", "comparison.csv", "Comparison.GPKG", "report_en.html", ".hidden", "x.cc-tmp-abcdef"):
        y = write(os.path.join(d, "names.yaml"), f"base: scenario.yaml\nvariants:\n  - {{name: '{bad}', set: {{speed_factors: {{all: 0.9}}}}}}\n")
        p = run(["batch", y, "--out", out, "--check"], expect=None)
        check(p.returncode in (2, 3) and "names.yaml:3:" in p.stderr and bad in p.stderr, f"{bad}: {p.returncode} {p.stderr}")


def case_facility_cap(tmp):
    """More facilities than the stated maximum (1,000,000: about every medical institution of China;
    a county has hundreds to a few thousand) is refused with one line naming the file and the count,
    exit 5, before snapping or any search, and no output."""
    out = os.path.join(tmp, "never")
    with open(os.path.join(DEMO, "facilities.csv")) as f:
        header, first = f.readline(), f.readline()
    # one demo facility repeated: every row is a usable point in the demo area
    big = os.path.join(tmp, "national.csv")
    with open(big, "w") as f:
        f.write(header)
        f.write(first * 1000001)
    args = ["coverage", "--roads", f"{DEMO}/roads.geojson", "--population", f"{DEMO}/population.asc",
            "--facilities", big, "--out", out]
    # a CSV of more lines than the cap is counted before anything else is read
    line = one_error(timed(args, 300), (5,), "national.csv", "holds 1000001 facilities", "at most 1000000")
    check("--" not in line, f"the library message names a flag: {line}")
    check(not os.path.exists(out), "a refused facility file wrote outputs")
    # before the roads: a corrupt road file is not what stops the run (nor is a long read of a good one)
    bad_roads = write(os.path.join(tmp, "corrupt.geojson"), '{"type": "FeatureCollection", "features": [')
    args_bad = list(args)
    args_bad[args_bad.index(f"{DEMO}/roads.geojson")] = bad_roads
    one_error(timed(args_bad, 300), (5,), "national.csv", "holds 1000001 facilities")
    # a filter that leaves fewer than the cap passes the count (and the run goes on to the roads)
    p = run(args_bad + ["--facility-where", "name = 'nobody'"], expect=None)
    check(p.returncode != 5 and "corrupt.geojson" in p.stderr, f"a filtered count was refused: {p.returncode} {p.stderr[-300:]}")
    # a GeoPackage knows its count: refused with it before reading a feature
    from osgeo import gdal
    gdal.UseExceptions()
    gpkg = os.path.join(tmp, "national.gpkg")
    src = gdal.OpenEx(big, gdal.OF_VECTOR, open_options=["X_POSSIBLE_NAMES=lon", "Y_POSSIBLE_NAMES=lat"])
    gdal.VectorTranslate(gpkg, src, format="GPKG", layerName="facilities", srcSRS="EPSG:4326", dstSRS="EPSG:4326", selectFields=["name"])
    src = None
    args[args.index(big)] = gpkg
    one_error(timed(args, 300), (5,), "national.gpkg", "holds 1000001 facilities", "at most 1000000")
    check(not os.path.exists(out), "a refused facility file wrote outputs")
    args_bad[args_bad.index(big)] = gpkg
    one_error(timed(args_bad, 300), (5,), "national.gpkg", "holds 1000001 facilities")
    # a small facility file costs no more than a glance before the roads: the demo still runs
    run(["coverage", "--roads", f"{DEMO}/roads.geojson", "--population", f"{DEMO}/population.asc",
         "--facilities", f"{DEMO}/facilities.csv", "--out", os.path.join(tmp, "demo_ok")])


def case_fifo_inputs(tmp):
    """A named pipe (or a device) given as any input is refused by type before it is opened, in
    seconds; nothing waits for a writer."""
    fifo = os.path.join(tmp, "pipe.geojson")
    os.mkfifo(fifo)
    base = {"--roads": f"{DEMO}/roads.geojson", "--population": f"{DEMO}/population.asc", "--facilities": f"{DEMO}/facilities.csv"}
    out = os.path.join(tmp, "never")
    for flag in ("--roads", "--population", "--facilities", "--admin", "--profile"):
        for path in (fifo, "/dev/zero"):
            a = dict(base)
            a[flag] = path
            args = ["coverage"] + [x for kv in a.items() for x in kv] + ["--out", out]
            one_error(timed(args, 5), (2, 3, 4), path)
    fy = os.path.join(tmp, "pipe.yaml")
    os.mkfifo(fy)
    for cmd in ("run", "batch"):
        one_error(timed([cmd, fy, "--out", out], 5), (2, 3, 4), "pipe.yaml", "named pipe")
    s = write(os.path.join(tmp, "s.yaml"), f"name: x\ninputs:\n  roads: {fifo}\n  population: {DEMO}/population.asc\n  facilities: {DEMO}/facilities.csv\n")
    one_error(timed(["run", s, "--out", out], 5), (2, 3, 4), "pipe.geojson")
    check(not os.path.exists(out), "outputs written")

# ---- 4. signals ------------------------------------------------------------------------------------


def case_signals(tmp):
    """SIGINT, SIGTERM, SIGHUP and SIGPIPE end a run promptly in every phase (reading, searching,
    writing, drawing maps, writing reports), exit 130, staging folder removed, previous outputs
    intact. The stop time is printed; the test allows 2 s on a loaded machine (the design bound
    is 0.7 s: a watchdog ends the process if the run has not stopped by then)."""
    from cli_test import tree_digest
    out = os.path.join(tmp, "out")
    run(demo_args(out))
    scen = write(os.path.join(tmp, "s.yaml"), f"name: demo\ninputs:\n  roads: {DEMO}/roads.geojson\n"
                 f"  population: {DEMO}/villages.geojson\n  facilities: {DEMO}/facilities.csv\n  admin: {DEMO}/townships.geojson\n"
                 f"resolution_m: 8\nreport:\n  lang: [zh, en]\n")
    jobs = {
        "coverage": ["coverage", "--roads", f"{DEMO}/roads.geojson", "--population", f"{DEMO}/villages.geojson",
                     "--facilities", f"{DEMO}/facilities.csv", "--resolution", "8", "--out", out, "--quiet"],
        "run+maps": ["run", scen, "--out", out, "--quiet"],
        "report": ["report", out, "--lang", "zh,en", "--quiet"],
    }
    worst = 0.0
    for name, args in jobs.items():
        for sig in (signal.SIGINT, signal.SIGTERM, signal.SIGHUP, signal.SIGPIPE):
            for delay in (0.05, 0.4, 1.2):
                before = tree_digest(out)
                proc = subprocess.Popen([BIN] + args, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
                cli_test.wait_for_handlers(proc, (signal.SIGINT, signal.SIGTERM, signal.SIGHUP, signal.SIGPIPE))
                time.sleep(delay)
                if proc.poll() is not None:
                    proc.communicate()
                    print(f"{name}: finished before {sig.name} at {delay} s")
                    continue
                t0 = time.time()
                err = cli_test.stop_with(proc, sig, 30, f"{name}: {sig.name} at {delay} s")
                took = time.time() - t0
                worst = max(worst, took)
                if proc.returncode == 0:
                    print(f"{name}: finished as {sig.name} came at {delay} s")
                    continue
                check(proc.returncode == 130, f"{name} {sig.name} at {delay} s: exit {proc.returncode}: {err[-500:]}")
                check(took < 2.0, f"{name}: {sig.name} at {delay} s took {took:.2f} s to stop")
                check("Interrupted" in err, err[-500:])
                check(tree_digest(out) == before, f"{name}: {sig.name} at {delay} s changed the previous outputs")
                check(not any(".cc-tmp-" in n for n in os.listdir(tmp)), f"{name}: {sig.name} left a staging folder")
                print(f"{name}: {sig.name} at {delay} s: stopped in {took:.2f} s")
    print(f"slowest stop: {worst:.2f} s")

# ---- 5. numbers that cannot be ---------------------------------------------------------------------

def cov(pop=None, out=None, extra=(), **over):
    a = {"--roads": f"{DEMO}/roads.geojson", "--population": pop or f"{DEMO}/population.asc",
         "--facilities": f"{DEMO}/facilities.csv"}
    for k, v in over.items():
        a["--" + k.replace("_", "-")] = v
    return ["coverage"] + [x for kv in a.items() for x in kv] + ["--out", out or "/nonexistent-never"] + list(extra)


def raster_like_demo(path, fn=None, gt=None, scale=None, offset=None, dtype=None, srs=None):
    import numpy as np
    from osgeo import gdal
    src = gdal.Open(f"{DEMO}/population.asc")
    a = src.GetRasterBand(1).ReadAsArray().astype("float64")
    valid = a != -9999
    if fn:
        a = fn(a, valid)
    d = gdal.GetDriverByName("GTiff").Create(path, src.RasterXSize, src.RasterYSize, 1, dtype or gdal.GDT_Float64)
    d.SetGeoTransform(gt or src.GetGeoTransform())
    d.SetProjection(srs or src.GetProjection())
    b = d.GetRasterBand(1)
    b.WriteArray(a)
    b.SetNoDataValue(-9999)
    if scale is not None:
        b.SetScale(scale)
    if offset is not None:
        b.SetOffset(offset)
    d = None
    return path, float(np.sum(a[valid]))


def case_numbers(tmp):
    """Raster scale/offset applied; zero, negative-zero and non-finite pixel sizes refused; people
    per cell above one per square metre refused; overlapping and invalid admin areas warned; a CRS
    far from the data warned; range errors state the value and the range."""
    from osgeo import gdal
    ref = os.path.join(tmp, "ref")
    run(cov(out=ref, extra=["--quiet"]))
    total = json.load(open(os.path.join(ref, "summary.json")))["population_total"]
    # people x 100 stored with scale 0.01; people - 5 stored with offset 5: the same people
    for name, fn, sc, off in (("x100.tif", lambda a, v: (a * 100) * v + a * ~v, 0.01, None),
                              ("minus5.tif", lambda a, v: (a - 5) * v + a * ~v, None, 5.0)):
        r, _ = raster_like_demo(os.path.join(tmp, name), fn, scale=sc, offset=off)
        o = os.path.join(tmp, "o-" + name)
        run(cov(r, o, ["--quiet"]))
        got = json.load(open(os.path.join(o, "summary.json")))["population_total"]
        check(abs(got - total) < 1e-6 * total + 1, f"{name}: {got} people, the raster holds {total}")
    # pixel sizes that give cells no area, or no number
    src = gdal.Open(f"{DEMO}/population.asc").GetGeoTransform()
    for name, gt in (("h0.tif", (src[0], src[1], 0, src[3], 0, 0.0)), ("w0.tif", (src[0], 0.0, 0, src[3], 0, src[5])),
                     ("hnan.tif", (src[0], src[1], 0, src[3], 0, float("nan"))),
                     ("xinf.tif", (float("inf"), src[1], 0, src[3], 0, src[5]))):
        r, _ = raster_like_demo(os.path.join(tmp, name), gt=gt)
        one_error(run(cov(r), expect=None), (3,), name)
    # absurd densities: one cell of 1e300 people, every cell x 1e6
    r, _ = raster_like_demo(os.path.join(tmp, "dense1.tif"), lambda a, v: __import__("numpy").where(
        (__import__("numpy").arange(a.size).reshape(a.shape) == int(v.argmax())), 1e300, a))
    one_error(run(cov(r), expect=None), (3,), "dense1.tif", "per square metre")
    r, _ = raster_like_demo(os.path.join(tmp, "dense2.tif"), lambda a, v: a * 1e6 * v + a * ~v)
    one_error(run(cov(r), expect=None), (3,), "dense2.tif", "per square metre")
    # and a real-looking dense cell (9,000 people in a 0.0025 degree cell of ~63,000 m2) is accepted
    r, _ = raster_like_demo(os.path.join(tmp, "city.tif"), lambda a, v: __import__("numpy").where(
        (__import__("numpy").arange(a.size).reshape(a.shape) == int(v.argmax())), 9000.0, a))
    run(cov(r, os.path.join(tmp, "o-city"), ["--quiet"]))
    # village points with more people than any city
    pts = write(os.path.join(tmp, "pts.geojson"), '{"type":"FeatureCollection","features":[{"type":"Feature","properties":{"population":1e12},"geometry":{"type":"Point","coordinates":[117.6,34.85]}}]}')
    one_error(run(cov(pts), expect=None), (3,), "pts.geojson", "population 1e+12")
    # admin areas: a copy of one township and a bow-tie
    t = json.load(open(f"{DEMO}/townships.geojson"))
    dup = json.loads(json.dumps(t["features"][0]))
    dup["properties"]["name"] = "Copy"
    t["features"].append(dup)
    t["features"].append({"type": "Feature", "properties": {"name": "Bowtie", "code": "x"}, "geometry": {"type": "Polygon",
                          "coordinates": [[[117.5, 34.8], [117.6, 34.9], [117.6, 34.8], [117.5, 34.9], [117.5, 34.8]]]}})
    adm = write(os.path.join(tmp, "adm.geojson"), json.dumps(t))
    p = run(cov(admin=adm, out=os.path.join(tmp, "o-adm")))
    warn = [l for l in p.stderr.splitlines() if "warning" in l and "adm.geojson" in l]
    check(any("overlap" in l and "Copy" in l and "km2" in l for l in warn), p.stderr)
    check(any("Bowtie" in l and "valid" in l for l in warn), p.stderr)
    p = run(cov(admin=f"{DEMO}/townships.geojson", out=os.path.join(tmp, "o-adm2")))
    check("overlap" not in p.stderr and "valid polygon" not in p.stderr, f"the demo townships were warned: {p.stderr}")
    # a working CRS far from the data: warned with the CRS, its area and the data's extent
    p = run(cov(crs="EPSG:32601", out=os.path.join(tmp, "o-crs")))
    check(any("EPSG:32601" in l and "117.4" in l and "-180" in l for l in p.stderr.splitlines() if "warning" in l), p.stderr)
    p = run(cov(crs="EPSG:32650", out=os.path.join(tmp, "o-crs2")))
    check("meant for" not in p.stderr, p.stderr)
    # range errors say what the range is, and print the value as given
    for args, needles in ((["--threads", "100000"], ("100000", "out of range", "-1024", "1024")),
                          (["--threads", "99999999999999999999999"], ("out of range",)),
                          (["--threads", "two"], ("must be an integer",)),
                          (["--minutes", "1440.0000001"], ("1440.0000001", "out of range", "1440")),
                          (["--minutes", "0.0000000001"], ("1e-10", "out of range")),
                          (["--minutes", "15,15.00000000001"], ("closer than 1 ms",))):
        line = one_error(run(cov(extra=args), expect=None), (2,), *needles)
        check("must be an integer" not in line or "two" in line, line)

# ---- 6. GDAL and PROJ messages -------------------------------------------------------------------

def case_gdal_noise(tmp):
    """Inputs that make GDAL and PROJ complain (swapped lon/lat, a raster in the wrong CRS, roads
    beyond the poles, a corrupt GeoPackage): no raw "ERROR 1:" lines, at most one summarising line."""
    rows = open(f"{DEMO}/facilities.csv").read().splitlines()
    swapped = write(os.path.join(tmp, "swapped.csv"), "\n".join(["lat,lon," + rows[0].split(",", 2)[2]] + rows[1:]) + "\n")
    polar = write(os.path.join(tmp, "polar.geojson"), '{"type":"FeatureCollection","features":[' + ",".join(
        '{"type":"Feature","properties":{"highway":"primary"},"geometry":{"type":"LineString","coordinates":[[%d,%d],[%d,%d]]}}'
        % (i, 80 + i % 30, i + 1, 85 + i % 30) for i in range(300)) + "]}")
    wrong, _ = raster_like_demo(os.path.join(tmp, "wrongcrs.tif"), srs='PROJCS["x",GEOGCS["WGS 84",DATUM["WGS_1984",SPHEROID["WGS 84",6378137,298.257223563]],PRIMEM["Greenwich",0],UNIT["degree",0.0174532925199433]],PROJECTION["Transverse_Mercator"],PARAMETER["latitude_of_origin",0],PARAMETER["central_meridian",-177],PARAMETER["scale_factor",0.9996],PARAMETER["false_easting",500000],PARAMETER["false_northing",0],UNIT["metre",1]]')
    gp = os.path.join(tmp, "bad.gpkg")
    shutil.copy(os.path.join(demo_out(tmp), "coverage.gpkg"), gp)
    with open(gp, "r+b") as f:
        f.seek(4096)
        f.write(os.urandom(20000))
    cases = [cov(facilities=swapped), cov(roads=polar), cov(pop=wrong), cov(admin=gp), cov(facilities=gp),
             cov(roads=swapped), cov(crs="EPSG:32601", extra=["--quiet"])]
    for args in cases:
        p = subprocess.run([BIN] + args, capture_output=True, text=True, timeout=300)
        check(p.returncode >= 0, f"crash: {p.returncode}")
        raw = [l for l in p.stderr.splitlines() if not l.startswith("carecircle")]
        check(not raw, f"raw GDAL/PROJ lines from carecircle {' '.join(args)}:\n" + "\n".join(raw[:5]))
        summ = [l for l in p.stderr.splitlines() if "GDAL/PROJ reported" in l]
        check(len(summ) <= 1, p.stderr)
        if p.returncode:
            check(len(error_lines(p)) == 1, p.stderr)

# ---- 7. memory estimate ------------------------------------------------------------------------------

PEAK_BYTES_PER_CELL, PEAK_BASE = 256, 176 * 2**20   # planner/io/demand.c, measured in benchmarks/RESULTS.md


def case_memory_estimate(tmp):
    """The raster check's estimate holds what a run really uses (peak RSS of a fully populated
    700 x 700 raster below the estimate), and a raster that the old 13-bytes-per-cell estimate let
    through but cannot fit (estimate above 80% of this machine's memory) is refused in seconds."""
    import resource
    import numpy as np
    from osgeo import gdal
    if "libasan" in subprocess.run(["ldd", BIN], capture_output=True, text=True).stdout:
        print("SKIP: peak memory is not comparable under AddressSanitizer (shadow memory, quarantine)")
        return 77
    src = gdal.Open(f"{DEMO}/population.asc")
    gt, W, H = src.GetGeoTransform(), src.RasterXSize, src.RasterYSize
    n = 700
    path = os.path.join(tmp, "full.tif")
    d = gdal.GetDriverByName("GTiff").Create(path, n, n, 1, gdal.GDT_Float32)
    d.SetGeoTransform((gt[0], gt[1] * W / n, 0, gt[3], 0, gt[5] * H / n))
    d.SetProjection(src.GetProjection())
    d.GetRasterBand(1).SetNoDataValue(-1)
    d.GetRasterBand(1).WriteArray((np.random.default_rng(1).random((n, n)) * 0.05).astype("float32"))
    d = None
    before = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss
    run(cov(path, os.path.join(tmp, "o"), ["--quiet", "--threads", "2"]))
    peak = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss * 1024
    est = n * n * PEAK_BYTES_PER_CELL + PEAK_BASE
    print(f"{n} x {n} fully populated: peak {peak / 2**20:.0f} MiB, estimate {est / 2**20:.0f} MiB (earlier children {before / 1024:.0f} MiB)")
    check(peak <= est, f"peak {peak / 2**20:.0f} MiB above the estimate {est / 2**20:.0f} MiB")
    phys = os.sysconf("SC_PHYS_PAGES") * os.sysconf("SC_PAGE_SIZE")
    side = int((0.8 * phys / PEAK_BYTES_PER_CELL) ** 0.5) + 200
    check(side * side * 13 < 0.8 * phys, "machine too small for this case")
    vrt = write(os.path.join(tmp, "big.vrt"),
                f'<VRTDataset rasterXSize="{side}" rasterYSize="{side}"><SRS>EPSG:4326</SRS>'
                f'<GeoTransform>117.4, {0.4 / side}, 0, 34.96, 0, {-0.2 / side}</GeoTransform>'
                '<VRTRasterBand dataType="Float32" band="1"><NoDataValue>-1</NoDataValue></VRTRasterBand></VRTDataset>')
    p = timed(cov(vrt), 15)
    one_error(p, (5,), "big.vrt", "bytes per cell", "crop it")


def case_report_own_gpkg(tmp):
    """report on an output folder whose coverage.gpkg was edited: garbage, layers dropped, fields of
    the wrong type or absurd values, geometries of the wrong kind; never a crash, and a failure is
    one error line naming the file."""
    from osgeo import ogr
    good = demo_out(tmp, "good")
    edits = {
        "garbage": None,
        "no isochrones": lambda ds: ds.DeleteLayer(ds.GetLayerByName("isochrones").GetName() and
                                                   [i for i in range(ds.GetLayerCount()) if ds.GetLayer(i).GetName() == "isochrones"][0]),
        "absurd numbers": lambda ds: [ds.ExecuteSQL(q) for q in (
            "UPDATE isochrones SET min_to = 1e308, population = -1e308",
            "UPDATE facilities SET snapped = 'x'",
            "UPDATE coverage_by_admin SET population = 'many'")],
        "null geometries": lambda ds: [ds.ExecuteSQL(f"UPDATE {l} SET geom = NULL") for l in ("isochrones", "facilities", "coverage_by_admin", "roads")],
    }
    for what, edit in edits.items():
        out = os.path.join(tmp, what.replace(" ", "_"))
        shutil.copytree(good, out)
        gp = os.path.join(out, "coverage.gpkg")
        if edit is None:
            write(gp, os.urandom(30000), "wb")
        else:
            ds = ogr.Open(gp, 1)
            edit(ds)
            ds = None
        p = subprocess.run([BIN, "report", out, "--lang", "en", "--quiet"], capture_output=True, text=True, timeout=300)
        check(p.returncode in (0, 3, 4), f"{what}: exit {p.returncode}: {p.stderr[-1500:]}")
        if p.returncode:
            one_error(p, (3, 4), "coverage.gpkg")



def case_area_files(tmp):
    """Polygon files other than admin areas are named for what they are in messages (a closure area
    file of a scenario, the exclusion areas of `site`), and overlaps between their polygons, which
    count nobody twice, are not warned as if people were counted in them; admin overlaps still are."""
    demo = os.path.abspath(DEMO)

    def sq(x0, y0, d):
        return [[[x0, y0], [x0 + d, y0], [x0 + d, y0 + d], [x0, y0 + d], [x0, y0]]]
    two = {"type": "FeatureCollection", "features": [
        {"type": "Feature", "properties": {"name": n}, "geometry": {"type": "Polygon", "coordinates": sq(x, 34.84, 0.03)}}
        for n, x in (("a", 117.60), ("b", 117.615))]}
    overlap = write(os.path.join(tmp, "two.geojson"), json.dumps(two))
    base = (f"name: areas\ninputs: {{roads: {demo}/roads.geojson, population: {demo}/population.asc, "
            f"facilities: {demo}/facilities.csv, tier_field: tier}}\n")
    # a file that is not a polygon layer: the message names the closure area file
    sc = write(os.path.join(tmp, "bad.yaml"), base + f"closed_roads: {{areas: {demo}/population.asc}}\n")
    line = one_error(run(["run", sc, "--out", os.path.join(tmp, "o1")], expect=None), (3, 4), "closure area file", "population.asc")
    check("admin" not in line, f"a closure file called an admin file: {line}")
    # overlapping closure polygons close roads without an overlap warning
    sc = write(os.path.join(tmp, "ok.yaml"), base + f"closed_roads: {{areas: {overlap}}}\n")
    p = run(["run", sc, "--out", os.path.join(tmp, "o2")])
    check("areas overlap" not in p.stderr, f"overlapping closure areas warned: {p.stderr[-800:]}")
    # the same polygons as admin areas: warned, naming the admin area file
    p = run(["coverage", "--roads", f"{demo}/roads.geojson", "--population", f"{demo}/population.asc",
             "--facilities", f"{demo}/facilities.csv", "--admin", overlap, "--out", os.path.join(tmp, "o3")])
    warn = [l for l in p.stderr.splitlines() if "areas overlap" in l]
    check(len(warn) == 1 and "Admin area file" in warn[0] and "two.geojson" in warn[0], f"admin overlap not warned: {p.stderr[-800:]}")
    # site --exclude with a file that is not polygons
    line = one_error(run(["site", "--roads", f"{demo}/roads.geojson", "--population", f"{demo}/population.asc",
                          "--facilities", f"{demo}/facilities.csv", "--tier-field", "tier", "-p", "1",
                          "--candidate-tiers", "township_health_centre", "--exclude", f"{demo}/population.asc",
                          "--out", os.path.join(tmp, "o4")], expect=None),
                     (3, 4), "exclusion area file", "population.asc")
    check(not os.path.exists(os.path.join(tmp, "o4")), "a refused run wrote outputs")


def case_misspelt_tier(tmp):
    """A scenario that adds or re-tiers facilities with a tier the facility file does not have and
    that names no level of care (a misspelling) is warned once per tier, listing the file's tiers;
    a known tier (an emergency station) is not."""
    demo = os.path.abspath(DEMO)
    for tier, warned in (("hopsital", True), ("emergency_station", False), ("sub_centre", False)):
        sc = write(os.path.join(tmp, f"{tier}.yaml"),
                   f"name: t\ninputs: {{roads: {demo}/roads.geojson, population: {demo}/population.asc, "
                   f"facilities: {demo}/facilities.csv, tier_field: tier}}\n"
                   f"facility_changes: {{add: [{{name: x, lon: 117.6, lat: 34.9, tier: {tier}}}, "
                   f"{{name: y, lon: 117.61, lat: 34.9, tier: {tier}}}], set_tier: [{{id: 3, tier: {tier}}}]}}\n")
        p = run(["run", sc, "--out", os.path.join(tmp, f"o-{tier}")])
        lines = [l for l in p.stderr.splitlines() if f"tier <{tier}>" in l]
        if warned:
            check(len(lines) == 1 and "warning" in lines[0] and "county_hospital" in lines[0] and "spelling" in lines[0],
                  f"misspelt tier {tier} not warned once: {p.stderr[-1000:]}")
        else:
            check(not lines, f"known tier {tier} warned: {lines}")


def case_capacity_other_models(tmp):
    """site --capacity FIELD with a model that has no capacities (mclp) says that it is not used,
    in one warning naming the option; cmclp takes it without that warning."""
    demo = os.path.abspath(DEMO)
    base = ["site", "--roads", f"{demo}/roads.geojson", "--population", f"{demo}/population.asc", "--facilities",
            f"{demo}/facilities.csv", "--tier-field", "tier", "--candidate-tiers", "township_health_centre", "-p", "2",
            "--capacity", "township"]
    p = run(base + ["--out", os.path.join(tmp, "mclp")])
    w = [l for l in p.stderr.splitlines() if "--capacity" in l and "warning" in l]
    check(len(w) == 1 and "mclp" in w[0] and "cmclp" in w[0], f"--capacity ignored without a word: {p.stderr[-600:]}")
    p = run(base + ["--model", "cmclp", "--site-capacity", "50000", "--out", os.path.join(tmp, "cmclp")])
    check(not [l for l in p.stderr.splitlines() if "--capacity is read" in l], f"cmclp warned: {p.stderr[-600:]}")


def case_hex_numbers(tmp):
    """Numbers are decimal: "0x10" is not read as 16 (strtod reads hexadecimal) in options, scenario
    files or facility capacities; each is refused with one line naming the value, and decimal forms
    (+30, .5e2, 30.) still work."""
    d = os.path.join(tmp, "demo")
    shutil.copytree(DEMO, d)
    out = os.path.join(tmp, "never")
    for args, needle in ((["--minutes", "0x10"], "0x10"), (["--minutes", "30,0X3C"], "0X3C"),
                         (["--resolution", "0x100"], "0x100"), (["--uncovered-minutes", "0x1e"], "0x1e")):
        one_error(run(cov(out=out, extra=args), expect=None), (2,), needle)
    demo = os.path.abspath(DEMO)
    site = ["site", "--roads", f"{demo}/roads.geojson", "--population", f"{demo}/population.asc", "--facilities",
            f"{demo}/facilities.csv", "--tier-field", "tier", "--candidate-tiers", "township_health_centre", "-p", "1"]
    one_error(run(site + ["--minutes", "0x1e", "--out", out], expect=None), (2,), "0x1e")
    sc = open(os.path.join(d, "scenario.yaml")).read()
    y = write(os.path.join(d, "hex.yaml"), sc.rstrip("\n") + "\nspeed_factors: {all: 0x1}\n")
    one_error(run(["run", y, "--out", out, "--check"], expect=None), (2, 3), "hex.yaml:", "0x1")
    check(not os.path.exists(out), "a refused number wrote outputs")
    # decimal spellings are numbers
    ok = os.path.join(tmp, "ok")
    p = run(cov(out=ok, extra=["--minutes", "+15,.3e2,60.", "--quiet"]))
    got = json.load(open(os.path.join(ok, "summary.json")))["minutes"]
    check(got == [15, 30, 60], f"--minutes +15,.3e2,60. gave {got}")


def case_warned_once(tmp):
    """A warning is said once per run: a robust siting over the demo batch reads the facilities of
    every variant (the same far clinic each time: 5 identical lines before), and a plain coverage
    run; each warning line appears once on stderr, and --verbose shows the repeats as debug lines."""
    demo = os.path.abspath(DEMO)
    p = run(["site", "--scenarios", f"{demo}/batch.yaml", "--fixed-tiers", "county_hospital", "--candidate-roads", "all",
             "--spacing", "2000", "-p", "2", "--minutes", "30", "--out", os.path.join(tmp, "robust")])
    p2 = run(cov(out=os.path.join(tmp, "cov")))
    for name, err in (("site --scenarios", p.stderr), ("coverage", p2.stderr)):
        warns = [l for l in err.splitlines() if ": warning: " in l]
        dup = sorted({l for l in warns if warns.count(l) > 1})
        check(warns and not dup, f"{name}: warnings said more than once: {dup[:3]} (of {len(warns)} warnings)")
        check(any("Shangyaozi" in l for l in warns), f"{name}: the far clinic was not warned: {warns}")
    p = run(["site", "--scenarios", f"{demo}/batch.yaml", "--fixed-tiers", "county_hospital", "--candidate-roads", "all",
             "--spacing", "2000", "-p", "2", "--minutes", "30", "--out", os.path.join(tmp, "robust"), "--verbose"])
    again = [l for l in p.stderr.splitlines() if "(warned before)" in l and "Shangyaozi" in l]
    check(again, "--verbose does not show the repeated warnings")


if __name__ == "__main__":
    sys.exit(cli_test.main(globals(), __doc__))
