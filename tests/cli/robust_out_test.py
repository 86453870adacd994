#!/usr/bin/python3
"""What users see of robust siting (issue 18): `carecircle site --scenarios` writes report_zh.html and
report_en.html whose every figure equals summary.json (and regret.csv), in the model's unit (people
for mclp and lscp, minutes of mean or worst time for pmedian and pcenter, lower better: the regret is
robust minus own there), and one folder per variant whose maps show the robust sites where they are,
the variant's own best sites apart from them, and its closed roads; the variant's QGIS project draws.

Usage: robust_out_test.py CASE  (environment: CC_BIN, CC_SRC). Exit 0 pass, 1 fail, 77 skip.
"""
import csv
import fcntl
import functools
import glob
import hashlib
import html
import itertools
import json
import os
import re
import shutil
import subprocess
import sys
import tempfile

import numpy as np
from osgeo import gdal, ogr

gdal.UseExceptions()
ogr.UseExceptions()

BIN = os.environ.get("CC_BIN", "build/carecircle")
SRC = os.environ.get("CC_SRC", ".")
DEMO = os.path.join(SRC, "datasets", "demo")
VARIANTS = ["base", "rainy_season", "road_19_closed", "new_station_dongling", "all_roads_x0.8", "all_roads_x0.9"]


class Fail(Exception):
    pass


def check(cond, msg):
    if not cond:
        raise Fail(msg)


def run(args, expect=0):
    p = subprocess.run([BIN] + args, capture_output=True, text=True)
    if expect is not None and p.returncode != expect:
        raise Fail(f"exit {p.returncode}, expected {expect}: carecircle {' '.join(args)}\nstdout: {p.stdout}\nstderr: {p.stderr}")
    return p


@functools.lru_cache(maxsize=None)
def _build_digest():
    """What a study's outputs depend on besides its options: the program, its library and the demo
    data (a study kept from another build or other data is never used). Read once per case."""
    h = hashlib.sha256()
    here = os.path.dirname(os.path.realpath(BIN))
    lib, engine = os.path.join(here, "libcarecircle.so"), os.path.join(here, "carecircle-engine")  # BIN starts the engine
    for path in [os.path.realpath(BIN), engine, os.path.realpath(lib)] + sorted(glob.glob(os.path.join(DEMO, "*"))):
        if os.path.isfile(path):
            h.update(path.encode())
            with open(path, "rb") as f:
                h.update(f.read())
    return h.hexdigest()[:16]


def robust(out, *extra):
    """The robust study over the demo batch with options @extra, in folder @out (replaced). The nine
    cases ask for eleven distinct studies between them (21 runs, about 3 s each, three times that
    under the sanitizers): each is run once into a folder shared by the cases (under the tests'
    cache, keyed by the options, the program and the demo data; a lock per study when cases run side
    by side) and copied to @out, which a case may change."""
    args = list(extra)
    if "--model" not in args:
        args += ["--model", "mclp"]
    if "--objective" not in args:
        args += ["--objective", "max_min"]
    pairs = sorted(zip(args[0::2], args[1::2]))
    key = hashlib.sha256(repr((pairs, _build_digest())).encode()).hexdigest()[:20]
    root = os.path.join(os.environ.get("XDG_CACHE_HOME") or tempfile.gettempdir(), "robust-out-studies")
    os.makedirs(root, exist_ok=True)
    study = os.path.join(root, key)
    with open(study + ".lock", "w") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)
        if not os.path.isfile(os.path.join(study, "summary.json")):  # the run renames its folder in place when complete
            run(["site", "--scenarios", f"{DEMO}/batch.yaml", "--fixed-tiers", "county_hospital", "--candidate-roads", "all",
                 "--spacing", "1000", "-p", "3", "--minutes", "30", "--lang", "zh,en", "--out", study, "--quiet"] + args)
    if os.path.exists(out):
        shutil.rmtree(out)
    shutil.copytree(study, out)
    with open(os.path.join(out, "summary.json"), encoding="utf-8") as f:
        return json.load(f)


def people(s):
    """A whole number of people as the report writes it ("1,234"; "–" is None)."""
    s = html.unescape(re.sub(r"<[^>]+>", "", s)).strip()
    check(re.fullmatch(r"-?[\d,]+", s), f"not a count of people: {s!r}")
    return int(s.replace(",", ""))


def rounded(x):
    return int(np.floor(x + 0.5))


def rows(text, attr):
    """<tr data-@attr="KEY">...</tr> rows of @text: {KEY: inner html}."""
    return {html.unescape(m.group(1)): m.group(2) for m in re.finditer(r'<tr data-%s="([^"]*)"[^>]*>(.*?)</tr>' % attr, text, re.S)}


# What each model's figures measure, as the report shows them (planner/report/robust.c
# cc__robust_measure): summary.json key stem and unit, the scale to the shown unit, decimals, and
# whether higher is better.
MEASURES = {
    "mclp": ("covered", "persons", 1.0, 0, True),
    "lscp": ("covered", "persons", 1.0, 0, True),
    "pmedian": ("mean_time", "s", 1.0 / 60, 2, False),
    "pcenter": ("worst_time", "s", 1.0 / 60, 2, False),
}
UNIT_WORD = {"zh": {"persons": "人", "s": "分钟"}, "en": {"persons": "people", "s": "minutes"}}


def shown(model, x):
    """summary.json's figure @x as the report shows it (people "1,234"; minutes "12.34")."""
    _, _, scale, dec, _ = MEASURES[model]
    if dec == 0:
        return f"{rounded(x * scale):,}"
    y = x * scale
    return "%.*f" % (dec, 0.0 if abs(y) < 0.5 * 10 ** -dec else y)


def text_of(s):
    return html.unescape(re.sub(r"<[^>]+>", "", s)).strip()


def regret_of(model, own, value):
    return own - value if MEASURES[model][4] else value - own


def check_common(text, s, lang):
    """The robust sites and the embedded maps, for every model."""
    srows = re.findall(r"<tr><td>(\d+)</td><td class=\"l\">(.*?)</td><td>([-\d.]+), ([-\d.]+)</td></tr>",
                       re.search(r'<table class="sites">(.*?)</table>', text, re.S).group(1))
    check(len(srows) == len(s["robust_sites"]), f"{lang}: {len(srows)} site rows, summary has {len(s['robust_sites'])}")
    for (rank, name, lon, lat), js in zip(srows, s["robust_sites"]):
        want = js.get("name_zh", js["name"]) if lang == "zh" else js["name"]  # zh: a road point's Chinese name
        check(int(rank) == js["rank"] and html.unescape(name) == want, f"{lang}: site {rank} {name} != {js}")
        check(abs(float(lon) - js["lon"]) < 1e-5 and abs(float(lat) - js["lat"]) < 1e-5, f"{lang}: site {rank} place")
    names = [v["name"] for v in s["variants"]]
    maps = re.findall(r'<img class="map" data-variant="([^"]*)"', text)
    check(maps == names, f"{lang}: maps {maps}")


def signed(model, d):
    """The chart's figure at the end of a row: robust minus own, "+" or "−" then the shown magnitude."""
    return ("−" if d < 0 else "+") + shown(model, abs(d))


def chart_diffs(svg):
    return [text_of(t) for t in re.findall(r'<text class="regret"[^>]*>(.*?)</text>', svg, re.S)]


def chart_dots(text, lang, names):
    """The chart's robust dots and own rings: {kind: [(variant, value, cx)]}, in variant order; x grows with the value."""
    svg = re.search(r'<svg class="chart".*?</svg>', text, re.S)
    check(svg, f"{lang}: no chart")
    dots = {k: [(d[0], float(d[1]), float(d[2])) for d in
                re.findall(r'<circle class="%s" data-variant="([^"]*)" data-value="([-\d.]+)" cx="([-\d.]+)"' % k, svg.group(0))]
            for k in ("robust", "own")}
    for k in dots:
        check([d[0] for d in dots[k]] == names, f"{lang}: chart {k} dots {dots[k]}")
    pts = sorted((d[1], d[2]) for d in dots["robust"] + dots["own"])
    check(all(b[1] >= a[1] - 1e-6 for a, b in zip(pts, pts[1:])), f"{lang}: chart x does not grow with the value")
    return svg.group(0), dots


def check_report(out, s, lang):
    """Every figure of report_<lang>.html against summary.json and regret.csv, in the model's measure."""
    model = s.get("model", "mclp")
    if model == "lscp":
        return check_report_lscp(out, s, lang)
    what, unit, scale, dec, higher = MEASURES[model]
    path = os.path.join(out, f"report_{lang}.html")
    text = open(path, encoding="utf-8").read()
    V = s["variants"]
    names = [v["name"] for v in V]
    n = len(V)
    # the objective in plain words carries the objective's figure, with its unit
    intro = re.search(r'<p class="objective">(.*?)</p>', text, re.S)
    check(intro, f"{lang}: no objective paragraph")
    obj = s["solution"]["objective"]
    if s["objective"] == "min_max_regret" and s.get("regret") == "relative":
        fig = "%.2f%%" % (100 * obj)
    else:
        fig = shown(model, obj) + " " + UNIT_WORD[lang][unit]
    check(fig in text_of(intro.group(1)), f"{lang}: the objective {fig} is not in the plain-words paragraph: {intro.group(1)}")
    check_common(text, s, lang)
    # per variant figures
    vr = rows(text, "variant")
    check(list(vr) == names, f"{lang}: variant rows {list(vr)} != {names}")
    rob, own, bnd = f"{what}_robust_{unit}", f"own_optimum_{unit}", f"own_bound_{unit}"
    for v in V:
        r = vr[v["name"]]
        cell = lambda cls: text_of(re.search(r'<td class="%s">(.*?)</td>' % cls, r, re.S).group(1))
        check(cell("cov") == shown(model, v[rob]), f"{lang}: {v['name']} value {cell('cov')} != {v[rob]}")
        check(cell("opt") == shown(model, v[own]), f"{lang}: {v['name']} own optimum")
        check(cell("bound").split(" (")[0].split("（")[0] == shown(model, v[bnd]), f"{lang}: {v['name']} own bound")
        rg = regret_of(model, v[own], v[rob])
        check(cell("reg") == shown(model, rg), f"{lang}: {v['name']} regret {cell('reg')} != {rg}")
        check(abs(rg - v[f"regret_{unit}"]) < 0.002, f"{lang}: {v['name']}: summary.json's regret_{unit} is not the regret")
        check(rg >= -1e-6, f"{lang}: {v['name']}: negative regret {rg} (the robust set beats the variant's own optimum)")
        check(cell("share") == "%.2f%%" % (100 * v["regret_share"]), f"{lang}: {v['name']} regret share {cell('share')}")
        if "weight" in v:
            check(float(cell("weight")) == v["weight"], f"{lang}: {v['name']} weight")
    # the regret table: the robust set and each variant's own answer, in every variant, = summary.json = regret.csv
    with open(os.path.join(out, "regret.csv"), encoding="utf-8") as f:
        csvrows = {r["answer"]: r for r in csv.DictReader(f)}
    ar = rows(text, "answer")
    check(list(ar) == ["robust"] + [f"own_{x}" for x in names], f"{lang}: regret rows {list(ar)}")
    tol = 0.051 if unit == "s" else 0.5  # regret.csv: seconds to 0.1, persons whole
    for a, key in enumerate(ar):
        val = [text_of(c) for c in re.findall(r'<span class="cov">(.*?)</span>', ar[key])]
        reg = [text_of(c) for c in re.findall(r'<span class="reg[^"]*">(.*?)</span>', ar[key])]
        check(len(val) == n and len(reg) == n, f"{lang}: row {key} has {len(val)} value cells")
        want = [V[v][rob] if a == 0 else V[v][f"{what}_by_own_answers_{unit}"][a - 1] for v in range(n)]
        check(val == [shown(model, x) for x in want], f"{lang}: row {key} values {val} != summary.json {want}")
        wreg = [regret_of(model, V[v][own], want[v]) for v in range(n)]
        check(reg == [shown(model, x) for x in wreg], f"{lang}: row {key} regret {reg} != {wreg}")
        wc = text_of(re.search(r'<td class="worst_cov">(.*?)</td>', ar[key]).group(1))
        wr = text_of(re.search(r'<td class="worst_reg">(.*?)</td>', ar[key]).group(1))
        worst = min(want) if higher else max(want)
        check(wc == shown(model, worst) and wr == shown(model, max(wreg)), f"{lang}: row {key} worst case {wc}/{wr}")
        c = csvrows[f"robust_{s['objective']}" if a == 0 else f"own_{names[a - 1]}"]
        check(all(abs(float(c[f"{what}_{x}_{unit}"]) - w) <= tol for x, w in zip(names, want)), f"{lang}: row {key}: regret.csv values differ")
        check(all(abs(float(c[f"regret_{x}_{unit}"]) - w) <= tol for x, w in zip(names, wreg)), f"{lang}: row {key}: regret.csv regret differs")
        check(abs(float(c[f"worst_{what}_{unit}"]) - worst) <= tol and abs(float(c[f"worst_regret_{unit}"]) - max(wreg)) <= tol,
              f"{lang}: row {key}: regret.csv worst case")
    # the chart: a robust dot and an own ring per variant at the summary's figures, placed in order; the axis names the unit
    svg, dots = chart_dots(text, lang, names)
    for k, field in (("robust", rob), ("own", own)):
        check(all(abs(d[1] - v[field]) < 1e-3 for d, v in zip(dots[k], V)), f"{lang}: chart {k} figures differ from summary.json")
    axis = re.search(r'<text class="axis"[^>]*>(.*?)</text>', svg, re.S)
    check(axis and UNIT_WORD[lang][unit] in axis.group(1), f"{lang}: the chart's axis does not carry the unit {UNIT_WORD[lang][unit]}")
    check(chart_diffs(svg) == [signed(model, v[rob] - v[own]) for v in V], f"{lang}: chart figures {chart_diffs(svg)}")
    return text


def check_report_lscp(out, s, lang):
    """LSCP's report: the fewest sites and their proof, each variant's coverage and share with the
    robust set, its own fewest sites and the extra ones, and the table of answers = regret.csv."""
    text = open(os.path.join(out, f"report_{lang}.html"), encoding="utf-8").read()
    V = s["variants"]
    names = [v["name"] for v in V]
    sol = s["solution"]
    intro = text_of(re.search(r'<p class="objective">(.*?)</p>', text, re.S).group(1))
    check(str(sol["sites"]) in intro and "%.4g%%" % (100 * s["parameters"]["target_share"]) in intro, f"{lang}: intro {intro}")
    check_common(text, s, lang)
    vr = rows(text, "variant")
    check(list(vr) == names, f"{lang}: variant rows {list(vr)} != {names}")
    for v in V:
        r = vr[v["name"]]
        cell = lambda cls: text_of(re.search(r'<td class="%s">(.*?)</td>' % cls, r, re.S).group(1))
        check(cell("cov") == shown("lscp", v["covered_robust_persons"]), f"{lang}: {v['name']} covered")
        check(cell("share_cov") == "%.1f" % (100 * v["covered_share_robust"]), f"{lang}: {v['name']} share {cell('share_cov')}")
        check(int(cell("opt")) == v["own_optimum_sites"] and int(cell("reg")) == v["extra_sites"], f"{lang}: {v['name']} sites")
        check(int(cell("bound").split(" (")[0].split("（")[0]) == v["own_bound_sites"], f"{lang}: {v['name']} own bound")
        check(v["extra_sites"] == sol["sites"] - v["own_optimum_sites"], f"{v['name']}: extra sites")
    with open(os.path.join(out, "regret.csv"), encoding="utf-8") as f:
        csvrows = {r["answer"]: r for r in csv.DictReader(f)}
    ar = rows(text, "answer")
    check(list(ar) == ["robust"] + [f"own_{x}" for x in names], f"{lang}: rows {list(ar)}")
    yes = {"zh": "是", "en": "yes"}[lang]
    for a, key in enumerate(ar):
        c = csvrows["robust_lscp" if a == 0 else f"own_{names[a - 1]}"]
        cov = [text_of(x) for x in re.findall(r'<span class="cov">(.*?)</span>', ar[key])]
        share = [text_of(x) for x in re.findall(r'<span class="share[^"]*">(.*?)</span>', ar[key])]
        check(cov == [f"{int(c[f'covered_{x}_persons']):,}" for x in names], f"{lang}: row {key} covered {cov}")
        check(share == ["%.2f%%" % (100 * float(c[f"covered_share_{x}"])) for x in names], f"{lang}: row {key} shares {share}")
        want = [V[v]["covered_robust_persons"] if a == 0 else V[v]["covered_by_own_answers_persons"][a - 1] for v in range(len(V))]
        check(cov == [shown("lscp", x) for x in want], f"{lang}: row {key}: summary.json differs")
        sites = int(text_of(re.search(r'<td class="sites">(.*?)</td>', ar[key]).group(1)))
        check(sites == int(c["sites"]), f"{lang}: row {key} sites")
        check(text_of(re.search(r'<td class="worst_share">(.*?)</td>', ar[key]).group(1)) == "%.2f%%" % (100 * float(c["worst_covered_share"])),
              f"{lang}: row {key} worst share")
        met = text_of(re.search(r'<td class="met">(.*?)</td>', ar[key]).group(1)) == yes
        check(met == (c["every_target_met"] == "yes"), f"{lang}: row {key} target met")
    svg, dots = chart_dots(text, lang, names)
    for d, v in zip(dots["robust"], V):
        check(abs(d[1] - v["covered_robust_persons"] / v["total_persons"]) < 1e-5, f"{lang}: chart robust share {d}")
    for i, (d, v) in enumerate(zip(dots["own"], V)):
        check(abs(d[1] - v["covered_by_own_answers_persons"][i] / v["total_persons"]) < 1e-5, f"{lang}: chart own share {d}")
    axis = re.search(r'<text class="axis"[^>]*>(.*?)</text>', svg, re.S)
    check(axis and "%" in axis.group(1), f"{lang}: the chart's axis lacks its unit")
    sh = [(v["covered_robust_persons"] / v["total_persons"], v["covered_by_own_answers_persons"][i] / v["total_persons"]) for i, v in enumerate(V)]
    want = [("−" if r - o < 0 else "+") + "%.1f" % (abs(r - o) * 100) for r, o in sh]
    check(chart_diffs(svg) == want, f"{lang}: chart figures {chart_diffs(svg)} != {want}")
    return text


def check_folders(out, s, what):
    for v in s["variants"]:
        for f in ("map_zh.png", "map_en.png", "report_zh.html", "report_en.html", "sites.gpkg", "summary.json", "project.qgs"):
            check(os.path.isfile(os.path.join(out, v["name"], f)), f"{what}: {v['name']}/{f} missing")


RUNS = {  # per case: (model, objective, extra options)
    "mclp": [("mclp", "max_min", []), ("mclp", "min_max_regret", []), ("mclp", "min_max_regret", ["--regret", "relative"]),
             ("mclp", "expected", [])],
    "pmedian": [("pmedian", "max_min", []), ("pmedian", "min_max_regret", []), ("pmedian", "min_max_regret", ["--regret", "relative"]),
                ("pmedian", "expected", [])],
    "pcenter": [("pcenter", "max_min", []), ("pcenter", "min_max_regret", [])],
    "lscp": [("lscp", "max_min", ["--target", "0.99"])],
}


def report_runs(tmp, which):
    for model, obj, extra in RUNS[which]:
        out = os.path.join(tmp, f"{model}_{obj}_{len(extra)}")
        s = robust(out, "--model", model, "--objective", obj, *extra)
        check(s["model"] == model, f"summary.json model {s['model']}")
        zh = check_report(out, s, "zh")
        en = check_report(out, s, "en")
        check("稳健选址" in zh and "Robust siting" in en, f"{model} {obj}: titles")
        if model != "lscp":
            check("遗憾值" in zh and "regret" in en, f"{model} {obj}: regret")
        check_folders(out, s, f"{model} {obj}")
        # each variant's folder: the robust set re-evaluated there (the run exits 70 when it disagrees)
        for v in s["variants"]:
            vs = json.load(open(os.path.join(out, v["name"], "summary.json"), encoding="utf-8"))
            check(vs["model"] == f"{model} (robust set)", f"{v['name']}: model {vs['model']}")
        print(f"{model} {obj} {' '.join(extra)}: objective {s['solution']['objective']}, {len(s['variants'])} variants, zh and en reports agree "
              f"with summary.json and regret.csv")


def case_report(tmp):
    """report_zh/en.html of mclp max_min, min_max_regret (absolute and relative) and expected: every figure
    equals summary.json and regret.csv; the plain-words paragraph carries the objective."""
    report_runs(tmp, "mclp")


def case_report_pmedian(tmp):
    """The same for p-median (minutes of population-weighted mean time, lower is better: regret = robust - own)."""
    report_runs(tmp, "pmedian")


def case_report_pcenter(tmp):
    """The same for p-centre (minutes of worst time)."""
    report_runs(tmp, "pcenter")


def case_report_lscp(tmp):
    """LSCP: the fewest sites for a 99 % target in every variant; its report's tables = regret.csv = summary.json."""
    report_runs(tmp, "lscp")


def site_points(gpkg, layer):
    ds = ogr.Open(gpkg)
    lyr = ds.GetLayerByName(layer)
    check(lyr is not None, f"{gpkg}: no layer {layer}")
    pts = [(f.GetGeometryRef().GetX(), f.GetGeometryRef().GetY()) for f in lyr]
    return pts


def colour_mask(a, rgb, tol=12):
    return np.all(np.abs(a - np.array(rgb)) <= tol, axis=2)


def blobs(mask):
    """Centroids and sizes of the 8-connected blobs of @mask (pure numpy + a flood fill)."""
    seen = np.zeros_like(mask, dtype=bool)
    out = []
    ys, xs = np.nonzero(mask)
    for y0, x0 in zip(ys, xs):
        if seen[y0, x0]:
            continue
        stack, pix = [(y0, x0)], []
        seen[y0, x0] = True
        while stack:
            y, x = stack.pop()
            pix.append((y, x))
            for dy in (-1, 0, 1):
                for dx in (-1, 0, 1):
                    yy, xx = y + dy, x + dx
                    if 0 <= yy < mask.shape[0] and 0 <= xx < mask.shape[1] and mask[yy, xx] and not seen[yy, xx]:
                        seen[yy, xx] = True
                        stack.append((yy, xx))
        p = np.array(pix)
        out.append((p[:, 1].mean(), p[:, 0].mean(), len(pix)))
    return out


def fit(sites, stars):
    """The map's page transform px = k x + bx, py = -k y + by matched to the star blobs (any order):
    (k, bx, by, worst residual in pixels)."""
    best = None
    for perm in itertools.permutations(stars, len(sites)):
        A, b = [], []
        for (x, y), (px, py) in zip(sites, perm):
            A += [[x, 1, 0], [-y, 0, 1]]
            b += [px, py]
        sol = np.linalg.lstsq(np.array(A), np.array(b), rcond=None)[0]
        res = np.abs(np.array(A) @ sol - np.array(b)).max()
        if sol[0] > 0 and (best is None or res < best[3]):
            best = (sol[0], sol[1], sol[2], res)
    return best


def case_maps(tmp):
    """Each variant's map_zh/en.png: A4 at 200 dpi; gold stars exactly where the robust sites are (one
    transform, same scale on both axes, fits every star within 3 pixels); a blue ring around each of
    the variant's own best sites and none elsewhere; the closed road red-dashed on its variant's map
    only; the legend names both kinds of sites."""
    out = os.path.join(tmp, "mm")
    robust(out, "--objective", "min_max_regret")
    check_maps(out)


def check_maps(out):
    """The checks of case_maps on the robust folder @p out (any model)."""
    s = json.load(open(os.path.join(out, "summary.json"), encoding="utf-8"))
    for sv in s["variants"]:
        v = sv["name"]
        d = os.path.join(out, v)
        gpkg = os.path.join(d, "sites.gpkg")
        rs = site_points(gpkg, "proposed_sites")
        own = site_points(gpkg, "own_optimum_sites")
        robust_sites = site_points(os.path.join(out, "sites.gpkg"), "robust_sites")
        check(sorted(rs) == sorted(robust_sites), f"{v}: the variant's proposed sites are not the robust set")
        n_own = sv["own_optimum_sites"] if s["model"] == "lscp" else s["parameters"]["p"]
        check(len(own) == n_own, f"{v}: {len(own)} own sites, summary.json says {n_own}")
        for lang in ("zh", "en"):
            ds = gdal.Open(os.path.join(d, f"map_{lang}.png"))
            check(ds.GetDriver().ShortName == "PNG", f"{v}/map_{lang}.png is not a PNG")
            a = np.dstack([ds.GetRasterBand(i + 1).ReadAsArray() for i in range(3)]).astype(int)
            H, W = a.shape[:2]
            check((H, W) == (1653, 2339), f"{v}/map_{lang}.png is {W}x{H}")
            frame = a[:, : int(W * 0.72)]  # the map frame (the legend is to its right)
            stars = [b for b in blobs(colour_mask(frame, (255, 214, 0), 30)) if b[2] > 60]
            check(len(stars) == len(robust_sites), f"{v}/{lang}: {len(stars)} gold stars for {len(robust_sites)} robust sites")
            k, bx, by, res = fit(robust_sites, [(x, y) for x, y, _ in stars])
            check(res < 3, f"{v}/{lang}: the stars are not where the robust sites are (worst {res:.1f} px)")
            blue = colour_mask(a, (0, 90, 200), 25)
            ring_r = 11 / 72 * 200  # the ring's radius, pixels

            def ring_pixels(px, py):
                """Blue pixels on the ring of radius ring_r around (px, py)."""
                x0, y0 = max(int(px - ring_r - 6), 0), max(int(py - ring_r - 6), 0)
                win = blue[y0:int(py + ring_r + 7), x0:int(px + ring_r + 7)]
                yy, xx = np.ogrid[y0:y0 + win.shape[0], x0:x0 + win.shape[1]]
                return int((win & (np.abs(np.hypot(xx - px, yy - py) - ring_r) < 4)).sum())
            for x, y in own:
                px, py = k * x + bx, -k * y + by
                n_on = ring_pixels(px, py)
                check(n_on > 60, f"{v}/{lang}: no blue ring around own site at ({px:.0f}, {py:.0f}): {n_on} px")
            # a robust site that is not one of the variant's own has no ring
            for x, y in robust_sites:
                px, py = k * x + bx, -k * y + by
                if min(np.hypot(px - (k * ox + bx), py - (-k * oy + by)) for ox, oy in own) < 2 * ring_r + 10:
                    continue  # its own site or one whose ring reaches it
                check(ring_pixels(px, py) < 20, f"{v}/{lang}: a ring around robust site ({px:.0f}, {py:.0f}), which is not its own")
            closed = colour_mask(frame, (203, 24, 29), 20).sum()
            if v == "road_19_closed":
                check(closed > 200, f"{v}/{lang}: the closed road is not drawn ({closed} red pixels)")
            else:
                check(closed < 50, f"{v}/{lang}: red dashes ({closed} px) on a map without closed roads")
        print(f"{v}: stars at the robust sites (scale {k:.5f} px/m), rings at its own sites")
    # the legend names the robust and the own sites
    for lang, words in (("en", ["Robust sites", "own best sites"]), ("zh", ["稳健新址", "单独规划"])):
        pdf = os.path.join(out, "road_19_closed", f"map_{lang}.pdf")
        t = subprocess.run(["pdftotext", pdf, "-"], capture_output=True, text=True)
        if t.returncode == 0:
            for w in words:
                check(w in t.stdout, f"{lang}: the map's legend lacks {w!r}")


def case_maps_models(tmp):
    """case_maps for p-median (min_max_regret), p-centre (max_min) and lscp (the fewest sites for 99 %):
    stars at the robust sites, rings at each variant's own best sites, the closed road drawn."""
    for model, extra in (("pmedian", ["--objective", "min_max_regret"]), ("pcenter", ["--objective", "max_min"]), ("lscp", ["--target", "0.99"])):
        out = os.path.join(tmp, model)
        robust(out, "--model", model, *extra)
        check_maps(out)
        print(f"{model}: maps checked")


def case_project(tmp):
    """A variant's project.qgs reads in QGIS, every layer (own_optimum_sites included) is valid and
    draws where its features are (tests/cli/qgis_render.check_project)."""
    return check_projects(tmp, [("mm", [])])


def case_project_models(tmp):
    """The same for p-median, p-centre and lscp."""
    return check_projects(tmp, [("pmedian", ["--model", "pmedian", "--objective", "min_max_regret"]), ("pcenter", ["--model", "pcenter"]),
                                ("lscp", ["--model", "lscp", "--target", "0.99"])])


def check_projects(tmp, runs):
    os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")  # headless
    try:
        from qgis.core import QgsApplication
    except ImportError as e:
        print(f"SKIP: QGIS Python bindings are not installed ({e})")
        return 77
    sys.path.insert(0, os.path.dirname(__file__))
    import qgis_render
    app = QgsApplication([], False)
    app.initQgis()
    for name, extra in runs:
        out = os.path.join(tmp, name)
        robust(out, *extra)
        for v in ("road_19_closed", "base"):
            path = os.path.join(out, v, "project.qgs")
            check("own_optimum_sites" in open(path, encoding="utf-8").read(), f"{name} {v}: the project lacks own_optimum_sites")
            probs = qgis_render.check_project(path, os.path.join(tmp, f"{name}_{v}.png"))
            check(not probs, f"{name} {v}/project.qgs: {probs}")
        print(f"{name}: projects of road_19_closed and base render")
    app.exitQgis()
    return 0


def case_bad_report(tmp):
    """carecircle report on a robust folder whose summary.json lost its variants' figures: a one-line
    error naming the file, exit non-zero, the old report left as it was; on a good folder it writes
    the same report again and keeps every variant's folder."""
    out = os.path.join(tmp, "mm")
    robust(out)
    p = os.path.join(out, "summary.json")
    s = json.load(open(p, encoding="utf-8"))
    before = open(os.path.join(out, "report_en.html"), encoding="utf-8").read()
    for v in s["variants"]:
        del v["covered_by_own_answers_persons"]
    json.dump(s, open(p, "w", encoding="utf-8"))
    r = run(["report", out, "--lang", "en"], expect=None)
    check(r.returncode != 0 and "summary.json" in r.stderr and len(r.stderr.strip().splitlines()) == 1, f"exit {r.returncode}: {r.stderr}")
    check(open(os.path.join(out, "report_en.html"), encoding="utf-8").read() == before, "the report was changed")
    # repaired: carecircle report rewrites the same report
    robust(out)
    before = open(os.path.join(out, "report_en.html"), encoding="utf-8").read()
    os.remove(os.path.join(out, "report_en.html"))
    run(["report", out, "--lang", "en", "--quiet"])
    check(open(os.path.join(out, "report_en.html"), encoding="utf-8").read() == before, "carecircle report wrote a different report")
    for v in VARIANTS:  # the variants' folders are kept (and their deliverables redrawn)
        check(os.path.isfile(os.path.join(out, v, "map_en.png")) and os.path.isfile(os.path.join(out, v, "sites.gpkg")),
              f"carecircle report lost {v}/")


CASES = {k[5:]: v for k, v in globals().items() if k.startswith("case_")}

if __name__ == "__main__":
    if len(sys.argv) != 2 or sys.argv[1] not in CASES:
        print(f"usage: robust_out_test.py {{{','.join(CASES)}}}", file=sys.stderr)
        sys.exit(2)
    tmp = tempfile.mkdtemp(prefix="cc-robust-out-")
    try:
        rc = CASES[sys.argv[1]](tmp) or 0
        print(("PASS " if rc == 0 else "SKIP ") + sys.argv[1])
        sys.exit(rc)
    except Fail as e:
        print(f"FAIL {sys.argv[1]}: {e}")
        sys.exit(1)
    finally:
        shutil.rmtree(tmp, ignore_errors=True)
