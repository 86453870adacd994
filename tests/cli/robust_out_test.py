#!/usr/bin/python3
"""What users see of robust siting (issue 18): `carecircle site --scenarios` writes report_zh.html and
report_en.html whose every figure equals summary.json (and regret.csv), and one folder per variant
whose maps show the robust sites where they are, the variant's own best sites apart from them, and
its closed roads; the variant's QGIS project draws.

Usage: robust_out_test.py CASE  (environment: CC_BIN, CC_SRC). Exit 0 pass, 1 fail, 77 skip.
"""
import csv
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


def robust(out, *extra):
    run(["site", "--scenarios", f"{DEMO}/batch.yaml", "--fixed-tiers", "county_hospital", "--candidate-roads", "all",
         "--spacing", "1000", "-p", "3", "--minutes", "30", "--lang", "zh,en", "--out", out, "--quiet"] + list(extra))
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


def check_report(out, s, lang):
    """Every figure of report_<lang>.html against summary.json and regret.csv."""
    path = os.path.join(out, f"report_{lang}.html")
    text = open(path, encoding="utf-8").read()
    V = s["variants"]
    names = [v["name"] for v in V]
    n = len(V)
    # the objective in plain words carries the objective's figure
    intro = re.search(r'<p class="objective">(.*?)</p>', text, re.S)
    check(intro, f"{lang}: no objective paragraph")
    obj = s["solution"]["objective"]
    if s["objective"] == "min_max_regret" and s.get("regret") == "relative":
        fig = "%.2f%%" % (100 * obj)
    else:
        fig = f"{rounded(obj):,}"
    check(fig in intro.group(1), f"{lang}: the objective {fig} is not in the plain-words paragraph: {intro.group(1)}")
    # the robust sites
    srows = re.findall(r"<tr><td>(\d+)</td><td class=\"l\">(.*?)</td><td>([-\d.]+), ([-\d.]+)</td></tr>",
                       re.search(r'<table class="sites">(.*?)</table>', text, re.S).group(1))
    check(len(srows) == len(s["robust_sites"]), f"{lang}: {len(srows)} site rows, summary has {len(s['robust_sites'])}")
    for (rank, name, lon, lat), js in zip(srows, s["robust_sites"]):
        check(int(rank) == js["rank"] and html.unescape(name) == js["name"], f"{lang}: site {rank} {name} != {js}")
        check(abs(float(lon) - js["lon"]) < 1e-5 and abs(float(lat) - js["lat"]) < 1e-5, f"{lang}: site {rank} place")
    # per variant figures
    vr = rows(text, "variant")
    check(list(vr) == names, f"{lang}: variant rows {list(vr)} != {names}")
    for v in V:
        r = vr[v["name"]]
        cell = lambda cls: re.search(r'<td class="%s">(.*?)</td>' % cls, r, re.S).group(1)
        check(people(cell("cov")) == rounded(v["covered_robust_persons"]), f"{lang}: {v['name']} covered")
        check(people(cell("opt")) == rounded(v["own_optimum_persons"]), f"{lang}: {v['name']} own optimum")
        check(people(cell("bound").split("(")[0].split("（")[0]) == rounded(v["own_bound_persons"]), f"{lang}: {v['name']} own bound")
        check(people(cell("reg")) == rounded(v["own_optimum_persons"] - v["covered_robust_persons"]), f"{lang}: {v['name']} regret")
        check(cell("share") == "%.2f%%" % (100 * v["regret_share"]), f"{lang}: {v['name']} regret share {cell('share')}")
        if "weight" in v:
            check(float(cell("weight")) == v["weight"], f"{lang}: {v['name']} weight")
    # the regret table: the robust set and each variant's own answer, in every variant, = summary.json = regret.csv
    with open(os.path.join(out, "regret.csv"), encoding="utf-8") as f:
        csvrows = {r["answer"]: r for r in csv.DictReader(f)}
    ar = rows(text, "answer")
    check(list(ar) == ["robust"] + [f"own_{x}" for x in names], f"{lang}: regret rows {list(ar)}")
    for a, key in enumerate(ar):
        cov = [people(c) for c in re.findall(r'<span class="cov">(.*?)</span>', ar[key])]
        reg = [people(c) for c in re.findall(r'<span class="reg[^"]*">(.*?)</span>', ar[key])]
        check(len(cov) == n and len(reg) == n, f"{lang}: row {key} has {len(cov)} coverage cells")
        want = [V[v]["covered_robust_persons"] if a == 0 else V[v]["covered_by_own_answers_persons"][a - 1] for v in range(n)]
        check(cov == [rounded(x) for x in want], f"{lang}: row {key} coverage {cov} != summary.json {want}")
        wreg = [rounded(V[v]["own_optimum_persons"] - want[v]) for v in range(n)]
        check(reg == wreg, f"{lang}: row {key} regret {reg} != {wreg}")
        wc = people(re.search(r'<td class="worst_cov">(.*?)</td>', ar[key]).group(1))
        wr = people(re.search(r'<td class="worst_reg">(.*?)</td>', ar[key]).group(1))
        check(wc == rounded(min(want)) and wr == max(wreg), f"{lang}: row {key} worst case {wc}/{wr}")
        c = csvrows[f"robust_{s['objective']}" if a == 0 else f"own_{names[a - 1]}"]
        check([int(c[f"covered_{x}_persons"]) for x in names] == cov, f"{lang}: row {key}: regret.csv coverage differs")
        check([int(c[f"regret_{x}_persons"]) for x in names] == reg, f"{lang}: row {key}: regret.csv regret differs")
        check(int(c["worst_covered_persons"]) == wc and int(c["worst_regret_persons"]) == wr, f"{lang}: row {key}: regret.csv worst case")
    # the chart: a robust dot and an own ring per variant at the summary's figures, placed in order
    svg = re.search(r'<svg class="chart".*?</svg>', text, re.S)
    check(svg, f"{lang}: no chart")
    dots = {k: re.findall(r'<circle class="%s" data-variant="([^"]*)" data-persons="([-\d.]+)" cx="([-\d.]+)"' % k, svg.group(0))
            for k in ("robust", "own")}
    for k, field in (("robust", "covered_robust_persons"), ("own", "own_optimum_persons")):
        check([d[0] for d in dots[k]] == names, f"{lang}: chart {k} dots {dots[k]}")
        check(all(abs(float(d[1]) - v[field]) < 0.06 for d, v in zip(dots[k], V)), f"{lang}: chart {k} figures differ from summary.json")
    pts = [(float(d[1]), float(d[2])) for d in dots["robust"] + dots["own"]]
    pts.sort()
    check(all(b[1] >= a[1] - 1e-6 for a, b in zip(pts, pts[1:])), f"{lang}: chart x does not grow with the people covered")
    # each variant's map, embedded
    maps = re.findall(r'<img class="map" data-variant="([^"]*)"', text)
    check(maps == names, f"{lang}: maps {maps}")
    return text


def case_report(tmp):
    """report_zh/en.html of max_min, min_max_regret (absolute and relative) and expected: every figure
    equals summary.json and regret.csv; the plain-words paragraph carries the objective."""
    for obj, extra in (("max_min", []), ("min_max_regret", []), ("relative", ["--regret", "relative"]), ("expected", [])):
        out = os.path.join(tmp, obj)
        s = robust(out, "--objective", "min_max_regret" if obj == "relative" else obj, *extra)
        zh = check_report(out, s, "zh")
        en = check_report(out, s, "en")
        check("稳健选址" in zh and "遗憾值" in zh and "Robust siting" in en and "regret" in en, f"{obj}: titles")
        for v in s["variants"]:
            for f in ("map_zh.png", "map_en.png", "report_zh.html", "report_en.html", "sites.gpkg", "summary.json", "project.qgs"):
                check(os.path.isfile(os.path.join(out, v["name"], f)), f"{obj}: {v['name']}/{f} missing")
        print(f"{obj}: objective {s['solution']['objective']}, {len(s['variants'])} variants, reports agree with summary.json")


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
    for v in VARIANTS:
        d = os.path.join(out, v)
        gpkg = os.path.join(d, "sites.gpkg")
        rs = site_points(gpkg, "proposed_sites")
        own = site_points(gpkg, "own_optimum_sites")
        robust_sites = site_points(os.path.join(out, "sites.gpkg"), "robust_sites")
        check(sorted(rs) == sorted(robust_sites), f"{v}: the variant's proposed sites are not the robust set")
        check(len(own) == 3, f"{v}: {len(own)} own sites")
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


def case_project(tmp):
    """A variant's project.qgs reads in QGIS, every layer (own_optimum_sites included) is valid and
    draws where its features are (tests/cli/qgis_render.check_project)."""
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
    out = os.path.join(tmp, "mm")
    robust(out)
    for v in ("road_19_closed", "base"):
        path = os.path.join(out, v, "project.qgs")
        check("own_optimum_sites" in open(path, encoding="utf-8").read(), f"{v}: the project lacks own_optimum_sites")
        probs = qgis_render.check_project(path, os.path.join(tmp, f"{v}.png"))
        check(not probs, f"{v}/project.qgs: {probs}")
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
