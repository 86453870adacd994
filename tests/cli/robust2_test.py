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


if __name__ == "__main__":
    sys.exit(cli_test.main(globals(), __doc__))
