#!/usr/bin/python3
"""Batches that share the prepared region between variants (issue 19), one case per CTest test.

Every variant of a batch must give what the same scenario gives run alone with `carecircle run`
(summary.json, scenario.json, every GeoPackage layer and feature, the travel-time raster, the
tables, maps and reports): the cases run a batch whose variants share inputs and topology
(speed factors), rebuild from the shared roads (a closure), change the facilities, or read other
inputs (a population raster), in an order where state leaking from one variant into a later one
would show, and compare each variant folder with a run of that variant alone. The fingerprint is
scripts/same_outputs' (an independent reading of the files through GDAL).

Usage: batch_reuse_test.py CASE  (environment: CC_BIN = carecircle binary, CC_SRC = source tree)
Exit 0 = pass, 1 = fail, 77 = skipped (CTest SKIP_RETURN_CODE), with the reason printed.
"""
import importlib.machinery
import importlib.util
import json
import os
import re
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import cli_test  # noqa: E402
from cli_test import COMOROS, DEMO, SKIP, SRC, check, run  # noqa: E402


def same_outputs():
    path = os.path.join(SRC, "scripts", "same_outputs")
    loader = importlib.machinery.SourceFileLoader("same_outputs", path)
    spec = importlib.util.spec_from_loader("same_outputs", loader)
    mod = importlib.util.module_from_spec(spec)
    loader.exec_module(mod)
    return mod


SO = same_outputs()
# wall times, and what names the scenario file and the batch's hash (a variant alone has its own file)
VOLATILE = {"timings_s", "seconds", "scenario_file", "content_hash"}


def fingerprint(folder):
    return SO.canon(SO.folder_fp(folder, VOLATILE, os.path.abspath(folder)))


# `carecircle report` rewrites the QGIS styles of coverage.gpkg: new rows, new fids (only those)
RESTYLED = re.compile(r"^coverage\.gpkg / layer_styles / rows / \[\d+\] / fid: \d+ != \d+$")


def differences(a, b, restyled=False):
    out = []
    SO.diff(fingerprint(a), fingerprint(b), [], out)
    lines = [" / ".join(p) + ": " + w for p, w in out]
    return [x for x in lines if not (restyled and RESTYLED.match(x))]


def yaml_value(v):
    return json.dumps(v, ensure_ascii=False)  # JSON is YAML


def write_scenario(path, base, sets, name):
    """@p base (a dict) with the top-level keys of @p sets merged one level down, as the batch does."""
    doc = json.loads(json.dumps(base))
    doc["name"] = name
    for k, v in sets.items():
        if isinstance(v, dict) and isinstance(doc.get(k), dict):
            doc[k].update(v)
        else:
            doc[k] = v
    with open(path, "w", encoding="utf-8") as f:
        for k, v in doc.items():
            f.write(f"{k}: {yaml_value(v)}\n")


def base_langs(base):
    lang = base.get("report", {}).get("lang", "zh")
    return ",".join(lang) if isinstance(lang, list) else lang


def batch_against_alone(tmp, base, variants, jobs, expect_reuse, alone=True, no_reuse=False):
    """Run the batch of @p variants (name, set) over @p base, then compare each variant folder with
    the variant run alone (@p alone) and with the batch run with --no-reuse (@p no_reuse)."""
    with open(os.path.join(tmp, "base.yaml"), "w", encoding="utf-8") as f:
        for k, v in base.items():
            f.write(f"{k}: {yaml_value(v)}\n")
    with open(os.path.join(tmp, "batch.yaml"), "w", encoding="utf-8") as f:
        f.write("base: base.yaml\nvariants:\n")
        for name, sets in variants:
            f.write(f"  - name: {name}\n    set: {yaml_value(sets)}\n")
    out = os.path.join(tmp, "batch")
    p = run(["batch", os.path.join(tmp, "batch.yaml"), "--out", out, "--jobs", str(jobs), "--force"])
    m = re.search(r"Prepared regions reused: inputs by (\d+) variants, graph topology and joins by (\d+)", p.stderr)
    check(m, f"the batch does not say what it reused:\n{p.stderr}")
    got = (int(m.group(1)), int(m.group(2)))
    check(got == expect_reuse, f"reused (inputs, topology) by {got} variants, expected {expect_reuse}")
    with open(os.path.join(out, "manifest.json")) as f:
        states = {v["name"]: v["state"] for v in json.load(f)["variants"]}
    check(all(s == "done" for s in states.values()), f"variant states {states}")
    n_compared = 0
    os.makedirs(os.path.join(tmp, "alone"), exist_ok=True)
    for name, sets in ([("base", {})] + list(variants)) if alone else []:
        sc = os.path.join(tmp, f"{name}.yaml")
        write_scenario(sc, base, sets, name)
        alone = os.path.join(tmp, "alone", name)
        run(["run", sc, "--out", alone, "--quiet"])
        maps = base.get("report", {}).get("maps", True)
        if name != "base" and maps:  # a variant's maps and reports show the base's figures too
            run(["report", alone, "--base", os.path.join(out, "base"), "--lang", base_langs(base), "--quiet"])
        diffs = differences(os.path.join(out, name), alone, restyled=name != "base" and maps)
        check(not diffs, f"variant {name}: the batch's outputs differ from `carecircle run` alone:\n" + "\n".join(diffs[:20]))
        n_compared += 1
    if not no_reuse:
        return n_compared
    # the batch loading every variant alone gives the same folders
    ref = os.path.join(tmp, "batch_no_reuse")
    run(["batch", os.path.join(tmp, "batch.yaml"), "--out", ref, "--jobs", str(jobs), "--force", "--no-reuse", "--quiet"])
    for name in ["base"] + [v[0] for v in variants]:
        diffs = differences(os.path.join(out, name), os.path.join(ref, name))
        check(not diffs, f"variant {name}: reuse and --no-reuse differ:\n" + "\n".join(diffs[:20]))
        n_compared += 1
    return n_compared


def demo_base():
    return {"inputs": {"roads": f"{os.path.abspath(DEMO)}/roads.geojson", "population": f"{os.path.abspath(DEMO)}/villages.geojson",
                       "population_field": "population", "facilities": f"{os.path.abspath(DEMO)}/facilities.csv",
                       "tier_field": "tier", "admin": f"{os.path.abspath(DEMO)}/townships.geojson"},
            "profile": "ambulance", "minutes": [15, 30, 60], "report": {"lang": "zh"}}



def demo_variants():
    raster = {"population": f"{os.path.abspath(DEMO)}/population.asc"}
    return [
        ("slow", {"speed_factors": {"all": 0.8}}),
        # a closure between speed variants: edits of shared roads would show in "rainy" and "fast"
        ("closed", {"closed_roads": {"way_ids": [19]}}),
        ("rainy", {"speed_factors": {"class": {"tertiary": 0.7}, "surface": {"unpaved": 0.7}}}),
        ("new_station", {"facility_changes": {"add": [{"name": "东岭镇南急救站", "lon": 117.71, "lat": 34.77, "tier": "emergency_station"}]}}),
        ("raster", {"inputs": raster}),
        ("raster_slow", {"inputs": raster, "speed_factors": {"all": 0.7}}),
        ("fast", {"speed_factors": {"all": 1.3}, "minutes": [10, 20]}),
    ]


def case_demo(tmp):
    """One variant at a time. Inputs reused: every variant of the base inputs (slow, closed, rainy,
    new_station, fast) and raster_slow (raster's inputs); topology: slow, rainy, new_station, fast
    (the base's) and raster_slow (raster's); the closure builds its own."""
    n = batch_against_alone(tmp, demo_base(), demo_variants(), 1, (6, 5))
    print(f"demo, --jobs 1: {n} variant folders identical to `carecircle run` alone")


def case_demo_threads(tmp):
    """Variants on two threads at once, sharing the same prepared regions, against the batch that
    loads every variant alone (--no-reuse); no maps (drawn from the same data, checked by demo)."""
    base = demo_base()
    base["report"] = {"lang": "zh", "maps": False}
    n = batch_against_alone(tmp, base, demo_variants(), 2, (6, 5), alone=False, no_reuse=True)
    print(f"demo, --jobs 2: {n} variant folders identical to the batch with --no-reuse")


def case_digests(tmp):
    """Each input file is read and hashed once per batch: the batch reports how many files it read
    and how many digests it served again; digests served again give every variant the content hash
    that fresh reads give (a batch started at once on just-copied files, whose digests are not
    kept: 2 s rule); a file changed between two batches changes every variant's hash."""
    import shutil
    import time
    d = os.path.join(tmp, "demo")
    shutil.copytree(DEMO, d)
    batch = os.path.join(d, "batch.yaml")
    run(["batch", batch, "--out", os.path.join(tmp, "b0"), "--jobs", "1", "--quiet"])  # files seconds old
    time.sleep(2.2)  # digests are kept only for files whose times are 2 s old (git's racy rule)
    p = run(["batch", batch, "--out", os.path.join(tmp, "b1"), "--jobs", "1", "--verbose"])
    m = re.search(r"Input files hashed: (\d+) read, (\d+) digests reused", p.stderr)
    check(m, "the batch does not report its input file digests:\n" + p.stderr[-2000:])
    n_read, n_reused = int(m.group(1)), int(m.group(2))
    man = json.load(open(os.path.join(tmp, "b1", "manifest.json")))
    nv = len(man["variants"])
    # roads, villages, facilities, townships (GDAL lists no sidecar for GeoJSON or CSV)
    check(n_read == 4, f"{n_read} files read and hashed, expected the 4 input files once")
    check(n_reused >= 2 * 4 * nv - 4, f"only {n_reused} digests served again for {nv} variants")

    def hashes(b):
        return [json.load(open(os.path.join(tmp, b, v["name"], "scenario.json")))["content_hash"] for v in man["variants"]]
    h0, h1 = hashes("b0"), hashes("b1")
    check(h0 == h1, f"content hashes from cached digests {h1} differ from fresh reads {h0}")
    # a changed input: every variant's hash changes
    fac = os.path.join(d, "facilities.csv")
    with open(fac, encoding="utf-8") as f:
        text = f.read()
    with open(fac, "a", encoding="utf-8") as f:  # one facility twice: other bytes, same file otherwise
        f.write(("" if text.endswith("\n") else "\n") + text.splitlines()[-1] + "\n")
    run(["batch", batch, "--out", os.path.join(tmp, "b2"), "--jobs", "1", "--quiet"])
    h2 = hashes("b2")
    for v, a, b in zip(man["variants"], h1, h2):
        check(a != b, f"variant {v['name']}: content hash unchanged after facilities.csv changed")
    print(f"{nv} variants: {n_read} files hashed once, {n_reused} digests served again; hashes as fresh reads")

def case_comoros(tmp):
    """Comoros (.pbf, WorldPop raster): a speed factor, a closure and a closed hospital."""
    pbf = os.path.join(COMOROS, "comores-2021-04-08.osm.pbf")
    if not os.path.exists(pbf):
        print(f"SKIP: {COMOROS} is not present (the Comoros batch needs ../shared/data)")
        return SKIP
    base = {"inputs": {"roads": pbf, "population": os.path.join(COMOROS, "com_ppp_2020_UNadj.tif"),
                       "facilities": os.path.join(COMOROS, "who_public_health_facilities_comoros.csv"), "tier_field": "tier",
                       "tiers": {"1": "health_post", "2": "health_centre", "3": "hospital", "4": "hospital"}},
            "profile": "ambulance", "minutes": [30, 60], "report": {"maps": False}}
    variants = [("all_0.8", {"speed_factors": {"all": 0.8}}),
                ("rn2_closed", {"closed_roads": {"way_ids": [87652989]}}),
                ("mitsamiouli_closed", {"facility_changes": {"remove": [{"name": "Mitsamiouli Centre Médico-Chirurgical"}]}})]
    n = batch_against_alone(tmp, base, variants, 1, (3, 2))
    print(f"comoros: {n} variant folders identical to `carecircle run` alone")


if __name__ == "__main__":
    sys.exit(cli_test.main(globals(), __doc__))
