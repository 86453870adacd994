#!/usr/bin/python3
"""carecircle across MPI ranks (issue 8): the same batch and siting runs under
`mpirun --oversubscribe -n 1/2/4` give the same figures as a single-process run.

Usage: mpi_test.py CASE  (environment: CC_BIN = carecircle built with CC_WITH_MPI, CC_SRC = source
tree, CC_MPIRUN = mpirun). Exit 0 = pass, 1 = fail, 77 = skipped, with the reason printed.
"""
import json
import os
import shutil
import subprocess
import sys
import tempfile

BIN = os.path.abspath(os.environ.get("CC_BIN", "build-mpi/carecircle"))
SRC = os.path.abspath(os.environ.get("CC_SRC", "."))
MPIRUN = os.environ.get("CC_MPIRUN", "mpirun")
DEMO = os.path.join(SRC, "datasets", "demo")
SKIP = 77

# What works here, as root in a container and as a user: root needs the two OMPI_ALLOW variables
# (or --allow-run-as-root); no vader single-copy (CMA needs ptrace rights containers lack).
ENV = dict(os.environ, OMPI_ALLOW_RUN_AS_ROOT="1", OMPI_ALLOW_RUN_AS_ROOT_CONFIRM="1",
           OMPI_MCA_btl_vader_single_copy_mechanism="none", OMPI_MCA_rmaps_base_oversubscribe="1",
           OMP_NUM_THREADS=os.environ.get("OMP_NUM_THREADS", "1"))


class Fail(Exception):
    pass


def check(cond, msg):
    if not cond:
        raise Fail(msg)


def run(args, ranks=None, expect=0):
    """carecircle @args, alone (ranks=None: one process, no launcher) or under mpirun -n ranks."""
    cmd = [BIN] + args
    if ranks:
        cmd = [MPIRUN, "--oversubscribe", "--allow-run-as-root", "-n", str(ranks)] + cmd
    p = subprocess.run(cmd, capture_output=True, text=True, env=ENV, timeout=600)
    if expect is not None and p.returncode != expect:
        raise Fail(f"exit {p.returncode}, expected {expect}: {' '.join(cmd)}\nstdout: {p.stdout}\nstderr: {p.stderr}")
    return p


def figures(summary_path):
    """summary.json without what may differ between runs (timings)."""
    with open(summary_path) as f:
        d = json.load(f)
    d.pop("timings_s", None)
    for k in list(d):
        if k.startswith("t_") or k.endswith("_seconds"):
            d.pop(k)
    return d


def write_batch(tmp, broken=False):
    with open(os.path.join(tmp, "base.yaml"), "w") as f:
        f.write(f"""name: demo
inputs:
  roads: {DEMO}/roads.geojson
  population: {DEMO}/population.asc
  facilities: {DEMO}/facilities.csv
  tier_field: tier
  admin: {DEMO}/townships.geojson
profile: ambulance
minutes: [15, 30, 60]
report: {{lang: en, maps: false}}
""")
    with open(os.path.join(tmp, "area.geojson"), "w") as f:
        if broken:
            f.write("{ this is not geojson")
        else:
            f.write('{"type":"FeatureCollection","features":[{"type":"Feature","properties":{},"geometry":{"type":"Polygon",'
                    '"coordinates":[[[117.60,34.70],[117.65,34.70],[117.65,34.75],[117.60,34.75],[117.60,34.70]]]}}]}')
    with open(os.path.join(tmp, "batch.yaml"), "w") as f:
        f.write("""base: base.yaml
variants:
  - name: rainy
    set: {speed_factors: {class: {tertiary: 0.7}, surface: {unpaved: 0.7}}}
  - name: road_19_closed
    set: {closed_roads: {way_ids: [19]}}
  - name: area_closed
    set: {closed_roads: {areas: area.geojson}}
  - name: new_station
    set:
      facility_changes:
        add:
          - {name: east_station, lon: 117.7100, lat: 34.7700, tier: emergency_station}
sweeps:
  - name: "all_x{value}"
    key: speed_factors.all
    values: [0.6, 0.8, 0.9]
""")
    return os.path.join(tmp, "batch.yaml")


def compare_batches(serial, other, label, states=True):
    ms = json.load(open(os.path.join(serial, "manifest.json")))
    mo = json.load(open(os.path.join(other, "manifest.json")))
    names = [v["name"] for v in ms["variants"]]
    check([v["name"] for v in mo["variants"]] == names, f"{label}: variants {mo['variants']}")
    for a, b in zip(ms["variants"], mo["variants"]):
        for k in ("state", "content_hash", "error", "folder") if states else ("content_hash", "folder"):
            check(a.get(k) == b.get(k), f"{label}: variant {a['name']} {k}: {a.get(k)!r} vs {b.get(k)!r}")
        if a["state"] != "failed":
            fa, fb = figures(os.path.join(serial, a["name"], "summary.json")), figures(os.path.join(other, a["name"], "summary.json"))
            check(fa == fb, f"{label}: summary.json of {a['name']} differs")
    with open(os.path.join(serial, "comparison.csv"), "rb") as f1, open(os.path.join(other, "comparison.csv"), "rb") as f2:
        a, b = f1.read(), f2.read()
        if not states:  # a re-run says "skipped" where the first run said "done"; all else equal
            b = b.replace(b",skipped,", b",done,")
        check(a == b, f"{label}: comparison.csv differs")
    return names


def case_batch(tmp, ranks):
    """A batch of 8 units under mpirun -n @ranks equals the single-process batch; a re-run skips all."""
    b = write_batch(tmp)
    serial, dist = os.path.join(tmp, "serial"), os.path.join(tmp, "dist")
    run(["batch", b, "--out", serial, "--quiet"])
    p = run(["batch", b, "--out", dist], ranks=ranks)
    names = compare_batches(serial, dist, f"-n {ranks}")
    check(len(names) == 8, f"expected 8 units, got {names}")
    man = json.load(open(os.path.join(dist, "manifest.json")))
    check([v["state"] for v in man["variants"]] == ["done"] * 8, f"states {man['variants']}")
    if ranks > 1:
        check("memory per rank about" in p.stderr, f"no memory estimate before work: {p.stderr}")
        ran_on = {line.split("]")[0] for line in p.stderr.splitlines() if line.startswith("carecircle[rank ")}
        check(len(ran_on) > 1, f"only one rank logged anything: {ran_on}")
    p = run(["batch", b, "--out", dist], ranks=ranks)
    man = json.load(open(os.path.join(dist, "manifest.json")))
    check([v["state"] for v in man["variants"]] == ["skipped"] * 8, f"re-run states {[v['state'] for v in man['variants']]}")
    compare_batches(serial, dist, f"-n {ranks} re-run", states=False)


def case_batch_n1(tmp):
    case_batch(tmp, 1)


def case_batch_n2(tmp):
    case_batch(tmp, 2)


def case_batch_n4(tmp):
    case_batch(tmp, 4)


def case_batch_broken(tmp):
    """A unit with a corrupt input fails alone under -n 3 (listed, exit 6, others done, same as serial);
    after the repair only that unit runs again."""
    b = write_batch(tmp, broken=True)
    serial, dist = os.path.join(tmp, "serial"), os.path.join(tmp, "dist")
    run(["batch", b, "--out", serial, "--quiet"], expect=6)
    p = run(["batch", b, "--out", dist, "--quiet"], ranks=3, expect=6)
    compare_batches(serial, dist, "broken -n 3")
    man = json.load(open(os.path.join(dist, "manifest.json")))
    st = {v["name"]: v["state"] for v in man["variants"]}
    check(st["area_closed"] == "failed" and sum(s == "done" for s in st.values()) == 7, f"states {st}")
    err = [v for v in man["variants"] if v["name"] == "area_closed"][0]["error"]
    check("area.geojson" in err, f"the failure does not name the file: {err}")
    check("1 of 8 variants failed" in p.stderr, p.stderr)
    check(not os.path.exists(os.path.join(dist, "area_closed", "summary.json")), "a failed unit left outputs")
    write_batch(tmp, broken=False)
    run(["batch", b, "--out", dist, "--quiet"], ranks=3)
    man = json.load(open(os.path.join(dist, "manifest.json")))
    st = {v["name"]: v["state"] for v in man["variants"]}
    check(st["area_closed"] == "done" and sum(s == "skipped" for s in st.values()) == 7, f"after repair: {st}")


def site_args(out, *extra):
    return ["site", "--roads", f"{DEMO}/roads.geojson", "--population", f"{DEMO}/population.asc",
            "--facilities", f"{DEMO}/facilities.csv", "--fixed-tiers", "county_hospital",
            "--admin", f"{DEMO}/townships.geojson", "--candidate-roads", "all", "--minutes", "15",
            "--out", out, "--verbose"] + list(extra)


def digest(stderr):
    d = [line.split("digest ")[1] for line in stderr.splitlines() if "Coverage sets digest" in line]
    check(len(d) == 1, f"expected one sets digest (rank 0), got {d}")
    return d[0]


def check_rank_run(tmp, pn, ranks, table):
    """What a run over @ranks ranks shows: a memory estimate (more than one rank), one result table
    (rank 0) starting with @table, no staging folder left in @tmp."""
    if ranks > 1:
        check("memory per rank about" in pn.stderr, f"no memory estimate: {pn.stderr}")
    check(pn.stdout.count(table) == 1, f"expected one result table (rank 0): {pn.stdout}")
    left = [f for f in os.listdir(tmp) if "cc-tmp" in f]
    check(not left, f"staging folders left behind: {left}")


def case_site(tmp, ranks):
    """carecircle site with the coverage sets built over @ranks ranks: the same sets (digest of
    counts, ids and times) and the same summary.json figures as one process, for a coverage model
    (MCLP) and a time model (p-median, whose sets carry times); no rank leaves folders behind."""
    for model, extra in (("mclp", ["-p", "3"]), ("pmedian", ["-p", "3"])):
        one, many = os.path.join(tmp, f"{model}_1"), os.path.join(tmp, f"{model}_n")
        p1 = run(site_args(one, "--model", model, *extra))
        pn = run(site_args(many, "--model", model, *extra), ranks=ranks)
        check(digest(p1.stderr) == digest(pn.stderr), f"{model} -n {ranks}: coverage sets differ")
        check(figures(os.path.join(one, "summary.json")) == figures(os.path.join(many, "summary.json")),
              f"{model} -n {ranks}: summary.json figures differ")
        check(ranks == 1 or f"from {ranks} ranks" in pn.stderr, f"sets not gathered from {ranks} ranks: {pn.stderr}")
        check_rank_run(tmp, pn, ranks, "coverage sets:")


def case_site_n1(tmp):
    case_site(tmp, 1)


def case_site_n2(tmp):
    case_site(tmp, 2)


def case_site_n4(tmp):
    case_site(tmp, 4)


def case_friction(tmp, ranks):
    """Siting with the friction model (issue 16) over @ranks ranks: each rank searches from its
    blocks of candidates over cells and roads; the same sets (digests) and summary.json as one
    process for MCLP and p-median (sets with times), and for robust siting over a batch whose
    variants close a bridge and swap the land cover (each its own surface). The synthetic valley of
    tests/cli/offroad_test.py; no memory estimate to check (the sets are not estimated ahead with
    the friction model)."""
    sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
    sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "reference"))
    try:
        import offroad_test
    except ImportError as e:
        print(f"SKIP: {e} (numpy and scipy for the synthetic valley)")
        return SKIP
    paths, batch, _, T = offroad_test.robust_batch(tmp)
    common = ["--roads", paths["roads.geojson"], "--population", paths["pop.tif"], "--facilities", paths["fac.csv"],
              "--crs", f"EPSG:{offroad_test.EPSG}", "--profile", paths["walk.yaml"], "--offroad", "friction", "--landcover",
              paths["lc.tif"], "--dem", paths["dem.tif"], "--water", os.path.join(tmp, "water.geojson"), "--candidates", paths["fac.csv"],
              "--lang", "en", "--verbose"]
    for model in ("mclp", "pmedian"):
        one, many = os.path.join(tmp, f"{model}_1"), os.path.join(tmp, f"{model}_n")
        a = ["site"] + common + ["--model", model, "-p", "2", "--minutes", str(T)]
        p1 = run(a + ["--out", one])
        pn = run(a + ["--out", many], ranks=ranks)
        check(digest(p1.stderr) == digest(pn.stderr), f"friction {model} -n {ranks}: coverage sets differ")
        f1, fn = figures(os.path.join(one, "summary.json")), figures(os.path.join(many, "summary.json"))
        check(f1["parameters"]["offroad"]["model"] == "friction", "the run did not use the friction model")
        check(f1 == fn, f"friction {model} -n {ranks}: summary.json figures differ:\n{f1}\n{fn}")
        check(ranks == 1 or f"from {ranks} ranks" in pn.stderr, f"sets not gathered from {ranks} ranks: {pn.stderr}")
        check(pn.stdout.count("coverage sets:") == 1, f"expected one result table (rank 0): {pn.stdout}")
    one, many = os.path.join(tmp, "robust_1"), os.path.join(tmp, "robust_n")
    a = ["site", "--scenarios", batch, "--candidates", paths["fac.csv"], "-p", "2", "--minutes", str(T), "--lang", "en", "--verbose"]
    p1 = run(a + ["--out", one])
    pn = run(a + ["--out", many], ranks=ranks)
    d1 = [l.split("digest ")[1] for l in p1.stderr.splitlines() if "Coverage sets digest" in l]
    dn = [l.split("digest ")[1] for l in pn.stderr.splitlines() if "Coverage sets digest" in l]
    check(len(d1) == 3 and d1 == dn and len(set(d1)) == 3, f"robust friction -n {ranks}: coverage sets differ (or the variants agree): {d1} / {dn}")
    s1 = no_seconds(json.load(open(os.path.join(one, "summary.json"))))
    sn = no_seconds(json.load(open(os.path.join(many, "summary.json"))))
    check(s1 == sn, f"robust friction -n {ranks}: summary.json differs:\n{s1}\n{sn}")
    for v in s1["variants"]:
        check(no_seconds(json.load(open(os.path.join(one, v["name"], "summary.json")))) ==
              no_seconds(json.load(open(os.path.join(many, v["name"], "summary.json")))), f"robust friction -n {ranks}: {v['name']}/summary.json differs")
    left = [f for f in os.listdir(tmp) if "cc-tmp" in f]
    check(not left, f"staging folders left behind: {left}")
    print(f"friction over {ranks} ranks: the same sets and figures as one process (mclp, pmedian, robust over 3 variants)")


def case_friction_n1(tmp):
    return case_friction(tmp, 1)


def case_friction_n2(tmp):
    return case_friction(tmp, 2)


def case_friction_n4(tmp):
    return case_friction(tmp, 4)


def case_upgrade(tmp, ranks):
    """site --upgrade-tiers (upgrading facilities to capable on the emergency chain) over @ranks
    ranks: the sets of every upgrade set are built once over the ranks (times kept) and each upgrade
    set's own sets are cut from them on rank 0, so every set's sets (digests, one per upgrade set
    and the winner's again) and summary.json equal one process's, on the demo's roads and with the
    friction model (tests/cli/offroad_test.py's valley)."""
    sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
    sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "reference"))
    try:
        import offroad_test
    except ImportError as e:
        print(f"SKIP: {e} (numpy and scipy for the synthetic valley)")
        return SKIP
    u = offroad_test.chain_upgrade_setup(tmp)
    roads = ["site", "--roads", f"{DEMO}/roads.geojson", "--population", f"{DEMO}/population.asc", "--facilities", f"{DEMO}/facilities.csv",
             "--fixed-tiers", "emergency_station", "--emergency", "--capable-tiers", "county_hospital", "--candidate-roads",
             "primary,secondary,tertiary", "--spacing", "2000", "-p", "2", "--minutes", "45", "--upgrade-tiers", "township_health_centre"]
    fric = u["site"] + ["--facilities", u["paths"]["fac.csv"], "--upgrade-tiers", "clinic"]
    for what, a, n_sets in (("roads", roads, None), ("friction", fric, 11)):
        one, many = os.path.join(tmp, what + "_1"), os.path.join(tmp, what + "_n")
        p1 = run(a + ["--out", one, "--verbose"])
        pn = run(a + ["--out", many, "--verbose"], ranks=ranks)
        d1 = [l.split("digest ")[1] for l in p1.stderr.splitlines() if "Coverage sets digest" in l]
        dn = [l.split("digest ")[1] for l in pn.stderr.splitlines() if "Coverage sets digest" in l]
        f1, fn = figures(os.path.join(one, "summary.json")), figures(os.path.join(many, "summary.json"))
        sets = f1["upgrade"]["sets_solved"]
        check(n_sets is None or sets == n_sets, f"{what}: {sets} upgrade sets solved, expected {n_sets}")
        check(len(d1) == sets + 1 and d1 == dn and len(set(d1)) > 1, f"{what} -n {ranks}: the upgrade sets' coverage sets differ: {d1} / {dn}")
        check(len(f1["upgrade"]["upgraded_facilities"]) >= 1, f"{what}: nothing upgraded: a weak test")
        check(f1 == fn, f"{what} upgrade -n {ranks}: summary.json figures differ:\n{f1}\n{fn}")
        check(ranks == 1 or f"from {ranks} ranks" in pn.stderr, f"sets not gathered from {ranks} ranks: {pn.stderr}")
        check(pn.stdout.count("upgraded to capable:") == 1, f"expected one result table (rank 0): {pn.stdout}")
        print(f"upgrade over {ranks} ranks, {what}: {sets} upgrade sets with one process's sets and figures, upgraded "
              f"{[x['name'] for x in f1['upgrade']['upgraded_facilities']]}")
    left = [f for f in os.listdir(tmp) if "cc-tmp" in f]
    check(not left, f"staging folders left behind: {left}")


def case_upgrade_n1(tmp):
    return case_upgrade(tmp, 1)


def case_upgrade_n2(tmp):
    return case_upgrade(tmp, 2)


def case_upgrade_n4(tmp):
    return case_upgrade(tmp, 4)


def robust_args(out, *extra):
    return ["site", "--scenarios", f"{DEMO}/batch.yaml", "--fixed-tiers", "county_hospital", "--candidate-roads", "all",
            "--spacing", "1000", "-p", "3", "--minutes", "30", "--lang", "en", "--out", out, "--verbose"] + list(extra)


def no_seconds(d):
    """@d without timings (keys naming seconds, t_*), at any depth."""
    if isinstance(d, dict):
        return {k: no_seconds(v) for k, v in d.items() if not (k in ("seconds", "timings_s") or k.startswith("t_") or k.endswith("_seconds"))}
    if isinstance(d, list):
        return [no_seconds(v) for v in d]
    return d


def case_robust(tmp, ranks):
    """carecircle site --scenarios (robust siting, issue 18) with every variant's coverage sets built over
    @ranks ranks: the same sets per variant (digests), the same summary.json (the robust set, each
    variant's own optimum, bound and regret), the same regret.csv and the same figures in every
    variant's folder as one process; one result table; no staging folder left."""
    for obj in ("max_min", "min_max_regret"):
        one, many = os.path.join(tmp, f"{obj}_1"), os.path.join(tmp, f"{obj}_n")
        p1 = run(robust_args(one, "--objective", obj))
        pn = run(robust_args(many, "--objective", obj), ranks=ranks)
        d1 = [l.split("digest ")[1] for l in p1.stderr.splitlines() if "Coverage sets digest" in l]
        dn = [l.split("digest ")[1] for l in pn.stderr.splitlines() if "Coverage sets digest" in l]
        check(len(d1) == 6 and d1 == dn, f"{obj} -n {ranks}: coverage sets differ: {d1} / {dn}")
        s1 = no_seconds(json.load(open(os.path.join(one, "summary.json"))))
        sn = no_seconds(json.load(open(os.path.join(many, "summary.json"))))
        check(s1 == sn, f"{obj} -n {ranks}: summary.json differs:\n{s1}\n{sn}")
        check(open(os.path.join(one, "regret.csv")).read() == open(os.path.join(many, "regret.csv")).read(), f"{obj} -n {ranks}: regret.csv differs")
        for v in s1["variants"]:
            a = no_seconds(json.load(open(os.path.join(one, v["name"], "summary.json"))))
            b = no_seconds(json.load(open(os.path.join(many, v["name"], "summary.json"))))
            check(a == b, f"{obj} -n {ranks}: {v['name']}/summary.json differs")
            check(os.path.isfile(os.path.join(many, v["name"], "map_en.png")), f"{obj} -n {ranks}: no map for {v['name']}")
        check(os.path.isfile(os.path.join(many, "report_en.html")), f"{obj} -n {ranks}: no report")
        check(ranks == 1 or pn.stderr.count(f"from {ranks} ranks") == 6, f"sets not gathered from {ranks} ranks for every variant: {pn.stderr}")
        check_rank_run(tmp, pn, ranks, "carecircle site --scenarios:")


def case_robust_n1(tmp):
    case_robust(tmp, 1)


def case_robust_n2(tmp):
    case_robust(tmp, 2)


def case_robust_n4(tmp):
    case_robust(tmp, 4)


def raster_bands(path):
    from osgeo import gdal
    ds = gdal.Open(path)
    return [ds.GetRasterBand(k).ReadAsArray().tobytes() for k in range(1, ds.RasterCount + 1)]


def case_traveltime(tmp, ranks):
    """carecircle traveltime with the tiles over @ranks ranks: the same travel_time.tif bands, byte
    for byte, and the same summary.json figures as one process; one result table (rank 0)."""
    args = ["traveltime", "--roads", f"{DEMO}/roads.geojson", "--population", f"{DEMO}/population.asc",
            "--facilities", f"{DEMO}/facilities.csv", "--tier-field", "tier", "--minutes", "5,10", "--tile", "32"]
    one, many = os.path.join(tmp, "one"), os.path.join(tmp, "many")
    run(args + ["--out", one])
    pn = run(args + ["--out", many], ranks=ranks)
    b1, bn = raster_bands(os.path.join(one, "travel_time.tif")), raster_bands(os.path.join(many, "travel_time.tif"))
    check(len(b1) == 5 and len(b1) == len(bn), f"bands: {len(b1)} alone, {len(bn)} over {ranks} ranks")
    for k, (a, b) in enumerate(zip(b1, bn)):
        check(a == b, f"-n {ranks}: band {k + 1} of travel_time.tif differs from the single-process run")
    f1, fn = figures(os.path.join(one, "summary.json")), figures(os.path.join(many, "summary.json"))
    for f in (f1, fn):
        f.pop("seconds", None)
    check(f1 == fn, f"-n {ranks}: summary.json figures differ:\n{f1}\n{fn}")
    check_rank_run(tmp, pn, ranks, "carecircle traveltime:")


def case_traveltime_n1(tmp):
    case_traveltime(tmp, 1)


def case_traveltime_n2(tmp):
    case_traveltime(tmp, 2)


def case_traveltime_n4(tmp):
    case_traveltime(tmp, 4)


CASES = {k[5:]: v for k, v in globals().items() if k.startswith("case_")}

if __name__ == "__main__":
    if len(sys.argv) != 2 or sys.argv[1] not in CASES:
        print(f"usage: mpi_test.py {{{','.join(CASES)}}}", file=sys.stderr)
        sys.exit(2)
    if not shutil.which(MPIRUN):
        print(f"SKIP: {MPIRUN} not found (Debian: openmpi-bin)")
        sys.exit(SKIP)
    tmp = tempfile.mkdtemp(prefix="cc_mpi_")
    try:
        rc = CASES[sys.argv[1]](tmp)
        if rc == SKIP:
            sys.exit(SKIP)
        print(f"PASS {sys.argv[1]}")
    except Fail as e:
        print(f"FAIL {sys.argv[1]}: {e}")
        sys.exit(1)
    finally:
        shutil.rmtree(tmp, ignore_errors=True)
