#!/usr/bin/python3
"""Deliverables people can trust (issue 14): the headline tiers, the map's classes and credits,
the coverage title, and the siting folder's own deliverables.

Usage: deliverables_test.py CASE  (environment: CC_BIN, CC_SRC). Exit 0 pass, 1 fail.
Cases: headline, headline_errors, map_text, site_deliverables
"""
import csv
import json
import re
import os
import sqlite3
import subprocess
import sys

sys.path.insert(0, os.path.dirname(__file__))
import cli_test  # noqa: E402
from cli_test import DEMO, Fail, check, demo_scenario, main, run  # noqa: E402,F401


def demo_coverage(tmp, name, *extra):
    out = os.path.join(tmp, name)
    run(["coverage", "--roads", f"{DEMO}/roads.geojson", "--population", f"{DEMO}/villages.geojson",
         "--facilities", f"{DEMO}/facilities.csv", "--tier-field", "tier", "--admin", f"{DEMO}/townships.geojson",
         "--admin-name-field", "name_zh", "--out", out, "--lang", "zh,en", "--quiet"] + list(extra))
    return out, json.load(open(os.path.join(out, "summary.json")))


def pdf_text(path):
    p = subprocess.run(["pdftotext", "-layout", path, "-"], capture_output=True, text=True)
    check(p.returncode == 0, f"pdftotext {path}: {p.stderr}")
    return p.stdout


def case_headline(tmp):
    # golden: on the demo the headline is the county hospital's figure (98.8 % within 30 min), not
    # the all-facilities 99.7 % that counts village clinics as care
    out, s = demo_coverage(tmp, "default")
    h = s["headline"]
    check(h["tiers"] == ["county_hospital"], f"default headline tiers {h['tiers']}")
    check(h["population_within_min"] == s["tiers"]["county_hospital"]["population_within_min"],
          f"headline {h['population_within_min']} != county hospital {s['tiers']['county_hospital']['population_within_min']}")
    check(round(100 * h["share_within_min"]["30"], 1) == 98.8 and round(100 * s["share_within_min"]["30"], 1) == 99.7,
          f"30-min shares: headline {h['share_within_min']['30']}, all {s['share_within_min']['30']}")
    check(h["population_unreachable"] == s["tiers"]["county_hospital"]["population_unreachable"], "headline unreachable")
    # every tier still reported, and every figure of summary.json other than the headline unchanged
    check(set(s["tiers"]) == {"county_hospital", "emergency_station", "township_health_centre", "village_clinic"},
          f"tiers {sorted(s['tiers'])}")
    # the map says what the figure counts (zh and en), from the PDF's text
    zh, en = pdf_text(os.path.join(out, "map_zh.pdf")), pdf_text(os.path.join(out, "map_en.pdf"))
    for txt, want in ((zh, ["到最近县医院的行车时间", "可达县医院", "289,612 (98.8%)", "只计县医院"]),
                      (en, ["Travel time to the nearest county hospital", "Reaching a county hospital", "289,612 (98.8%)",
                            "counts county hospital only",
                            "township health centre, village clinic"])):  # the other tiers, in a sentence
        missing = [w for w in want if w not in txt]
        check(not missing, f"map lacks {missing}")
        check("292,122 (99.7%)" not in txt, "the map still shows the all-facilities figure")
    # and so does the HTML report, which keeps every tier in its tables
    html = open(os.path.join(out, "report_zh.html"), encoding="utf-8").read()
    check("关键数字只计县医院" in html and "30 分钟内 28.96 万 (98.8%)" in html, "report_zh.html does not give the headline")
    check("29.21 万" in html, "report_zh.html lost the all-facilities figure from its tables")
    html_en = open(os.path.join(out, "report_en.html"), encoding="utf-8").read()
    check("Key figures count county hospital</b>" in html_en, "report_en.html does not name the headline tier in a sentence")
    # two tiers together: at least each of them, at most all facilities; all four tiers together
    # give exactly the all-facilities figure (every facility has a tier): an independent cross-check
    _, s2 = demo_coverage(tmp, "two", "--headline", "township_health_centre,county_hospital")
    h2 = s2["headline"]
    check(sorted(h2["tiers"]) == ["county_hospital", "township_health_centre"], f"tiers {h2['tiers']}")
    for m in ("15", "30", "60"):
        lo = max(s2["tiers"][t]["population_within_min"][m] for t in h2["tiers"])
        check(lo <= h2["population_within_min"][m] <= s2["population_within_min"][m], f"two-tier headline at {m} min")
    check(h2["population_within_min"]["15"] > s2["tiers"]["township_health_centre"]["population_within_min"]["15"],
          "two tiers together reach more people within 15 min than either")
    _, s4 = demo_coverage(tmp, "all4", "--headline", "county_hospital,emergency_station,township_health_centre,village_clinic")
    check(s4["headline"]["population_within_min"] == s4["population_within_min"], "all tiers != all facilities")
    # the scenario key, as a list
    scen = demo_scenario(tmp, "headline: [township_health_centre]\n", lang="en", maps=False)
    sout = os.path.join(tmp, "scen")
    run(["run", scen, "--out", sout, "--quiet"])
    ss = json.load(open(os.path.join(sout, "summary.json")))
    check(ss["headline"]["tiers"] == ["township_health_centre"] and
          ss["headline"]["population_within_min"] == ss["tiers"]["township_health_centre"]["population_within_min"],
          f"scenario headline {ss['headline']}")
    # carecircle report on the folder with one other tier: the map follows, summary.json does not change
    before = open(os.path.join(out, "summary.json")).read()
    run(["report", out, "--lang", "en", "--headline", "emergency_station", "--quiet"])
    check(open(os.path.join(out, "summary.json")).read() == before, "report changed summary.json")
    en = pdf_text(os.path.join(out, "map_en.pdf"))
    check("Travel time to the nearest 120 emergency station" in en and "278,817 (95.2%)" in en, "report --headline: map")


def case_headline_errors(tmp):
    out = os.path.join(tmp, "never")
    p = run(["coverage", "--roads", f"{DEMO}/roads.geojson", "--population", f"{DEMO}/villages.geojson",
             "--facilities", f"{DEMO}/facilities.csv", "--tier-field", "tier", "--headline", "county_hospitl",
             "--out", out, "--quiet"], expect=2)
    err = p.stderr.strip().splitlines()
    check(len(err) == 1 and "--headline" in err[0] and "county_hospitl" in err[0] and "county_hospital" in err[0],
          f"bad --headline: {err}")
    check(not os.path.exists(out), "a failed run left an output folder")
    o2, _ = demo_coverage(tmp, "ok")
    p = run(["report", o2, "--headline", "township_health_centre,village_clinic", "--quiet"], expect=None)
    check(p.returncode != 0 and "headline" in p.stderr and "run the coverage again" in p.stderr, f"report two tiers: {p.stderr}")
    p = run(["report", o2, "--headline", "hospital", "--quiet"], expect=None)
    check(p.returncode != 0 and "'hospital'" in p.stderr and "county_hospital" in p.stderr, f"report unknown tier: {p.stderr}")


def case_map_text(tmp):
    # --title, the no-road and unreachable classes with their counts, the credits line
    out, s = demo_coverage(tmp, "t", "--title", "青山县急救一小时圈")
    zh, en = pdf_text(os.path.join(out, "map_zh.pdf")), pdf_text(os.path.join(out, "map_en.pdf"))
    nr = f"{round(s['population_no_road_access']):,}"
    for txt, want in ((zh, ["青山县急救一小时圈", f"无道路可达（{nr} 人）", "道路不通（0 人）", f"无道路可达：{nr}",
                            "数据：道路、人口、医疗机构均为用户提供"]),
                      (en, ["青山县急救一小时圈", f"No road access ({nr} people)", "Unreachable by road (0 people)",
                            f"No road access: {nr}", "Data: roads, population, facilities as given"])):
        missing = [w for w in want if w not in txt]
        check(not missing, f"map lacks {missing}")
    check(s["population_no_road_access"] > 0, "the demo has no-road hamlets")


def case_site_deliverables(tmp):
    # carecircle site writes what coverage writes: styles in sites.gpkg, project.qgs, maps and
    # reports in the chosen languages; carecircle report works on the folder
    out = os.path.join(tmp, "site")
    run(["site", "--roads", f"{DEMO}/roads.geojson", "--population", f"{DEMO}/villages.geojson",
         "--facilities", f"{DEMO}/facilities.csv", "--tier-field", "tier", "--fixed-tiers", "county_hospital",
         "--candidate-roads", "all", "-p", "3", "--curve", "4", "--lang", "zh,en", "--title", "青山县新址", "--out", out, "--quiet"])
    for fn in ("project.qgs", "map_zh.png", "map_en.png", "map_zh.pdf", "report_zh.html", "report_en.html"):
        check(os.path.isfile(os.path.join(out, fn)), f"site wrote no {fn}: {sorted(os.listdir(out))}")
    db = sqlite3.connect(os.path.join(out, "sites.gpkg"))
    styled = {r[0] for r in db.execute("SELECT f_table_name FROM layer_styles WHERE useAsDefault")}
    check({"proposed_sites", "existing_facilities", "isochrones", "demand_uncovered", "candidates"} <= styled, f"styled {styled}")
    s = json.load(open(os.path.join(out, "summary.json")))
    # names people can find: the nearest village with lon/lat, never "<class> road point <n>"
    names = [p["name"] for p in s["proposed_sites"]]
    check(all(n.startswith("near ") and "(" in n and "road point" not in n for n in names), f"site names {names}")
    for p in s["proposed_sites"]:
        check(f"({p['lon']:.4f}, {p['lat']:.4f})" in p["name"], f"name {p['name']} lacks its lon/lat")
    # the map says before/after within T (the fixed tiers plus the new sites), the stars numbered
    en = pdf_text(os.path.join(out, "map_en.pdf"))
    cov = s["coverage"]
    want = ["青山县新址", "Travel time to the nearest county hospital or a new site", "Within 30 min today",
            f"{round(cov['covered_before']):,}", f"{round(cov['covered_after']):,}", "P1", "P2", "P3", "Proposed sites (3)"]
    missing = [w for w in want if w not in en]
    check(not missing, f"site map lacks {missing}")
    html = open(os.path.join(out, "report_zh.html"), encoding="utf-8").read()
    # the zh report names a road point in Chinese (summary.json name_zh: "<village>附近 (lon, lat)")
    zh_names = [p.get("name_zh", p["name"]) for p in s["proposed_sites"]]
    check(all("附近" in n for n in zh_names), f"zh site names {zh_names}")
    check(zh_names[0] in html, "the site report does not list the sites")
    # the curve: both the per-p answers and the nested one (the first p sites of the final answer)
    rows = list(csv.DictReader(open(os.path.join(out, "coverage_curve.csv"))))
    # ... and the report draws it: one point per row on the per-p line, the nested line as far as the answer goes
    import re
    chart = html[html.index("新址数量与覆盖比例"):]
    lines = re.findall(r'<polyline[^>]*points="([^"]*)"', chart[:chart.index("</svg>")])
    check(len(lines) == 2, f"the curve chart has {len(lines)} lines, expected the per-p and the nested one")
    check(len(lines[0].split()) == len(rows), f"per-p line has {len(lines[0].split())} points for {len(rows)} rows")
    check(len(lines[1].split()) == sum(1 for r in rows if r["population_covered_nested"]), "nested line and curve rows differ")
    check("population_covered_nested" in rows[0] and "population_covered" in rows[0], f"curve columns {list(rows[0])}")
    for p in s["proposed_sites"]:
        r = rows[p["rank"]]
        check(abs(float(r["population_covered_nested"]) - p["covered_cum"]) < 0.01, f"nested curve at p={p['rank']}: {r}")
    nested = [float(r["population_covered_nested"]) for r in rows if r["population_covered_nested"]]
    check(nested == sorted(nested), "the nested curve decreases")
    check(rows[4]["population_covered_nested"] == "", "p beyond the answer's sites has no nested figure")
    # carecircle report on the siting folder (it used to fail: "summary.json has no <minutes>")
    os.remove(os.path.join(out, "map_en.png"))
    p = run(["report", out, "--lang", "en"])
    check(os.path.isfile(os.path.join(out, "map_en.png")), f"report on a siting folder: {p.stdout} {p.stderr}")


def case_site_map_layers(tmp):
    """sites.gpkg holds the roads and the township boundaries (admin_areas), styled, so that the
    siting map and project draw them; its uncovered villages carry their township and lon/lat; the
    map draws the boundaries (pixels of their colour) and names the townships; the report shows no
    township table (a siting folder has no per-township figures)."""
    from osgeo import ogr, osr
    import numpy as np
    from osgeo import gdal
    out = os.path.join(tmp, "site")
    run(["site", "--roads", f"{DEMO}/roads.geojson", "--population", f"{DEMO}/villages.geojson", "--facilities",
         f"{DEMO}/facilities.csv", "--tier-field", "tier", "--fixed-tiers", "county_hospital", "--candidate-roads", "all",
         "-p", "3", "--admin", f"{DEMO}/townships.geojson", "--lang", "zh,en", "--out", out, "--quiet"])
    ds = ogr.Open(os.path.join(out, "sites.gpkg"))
    rds = ogr.Open(f"{DEMO}/roads.geojson")
    check(ds.GetLayerByName("roads") is not None and ds.GetLayerByName("roads").GetFeatureCount() == rds.GetLayer(0).GetFeatureCount(),
          "sites.gpkg lacks the roads, or not all of them")
    tds = ogr.Open(f"{DEMO}/townships.geojson")
    towns = [(f.GetField("name"), f.GetField("name_zh"), f.GetGeometryRef().Clone()) for f in tds.GetLayer(0)]
    adm = ds.GetLayerByName("admin_areas")
    check(adm is not None and sorted((f.GetField("name"), f.GetField("name_zh")) for f in adm) == sorted((n, z) for n, z, _ in towns),
          "admin_areas is not the townships read")
    db = sqlite3.connect(os.path.join(out, "sites.gpkg"))
    styled = {r[0] for r in db.execute("SELECT f_table_name FROM layer_styles WHERE useAsDefault")}
    check({"roads", "admin_areas"} <= styled, f"roads or admin_areas without a style: {styled}")
    unc = ds.GetLayerByName("demand_uncovered")
    ct = osr.CoordinateTransformation(unc.GetSpatialRef(), cli_test.wgs84())
    n = 0
    for f in unc:
        g = f.GetGeometryRef()
        x, y, _ = ct.TransformPoint(g.GetX(), g.GetY())
        check(abs(x - f.GetField("lon")) < 1e-6 and abs(y - f.GetField("lat")) < 1e-6, f"uncovered {f.GetField('name')}: lon/lat")
        pt = ogr.Geometry(ogr.wkbPoint)
        pt.AddPoint_2D(x, y)
        inside = [nm for nm, _, geom in towns if geom.Contains(pt)]
        check(inside == [f.GetField("admin")], f"uncovered {f.GetField('name')}: admin {f.GetField('admin')}, inside {inside}")
        n += 1
    check(n > 0, "no uncovered villages to check")
    for lang, words in (("en", ["Township boundary", "Shimen", "Main roads"]), ("zh", ["乡镇界", "石门乡", "主要道路"])):
        text = pdf_text(os.path.join(out, f"map_{lang}.pdf"))
        missing = [w for w in words if w not in text]
        check(not missing, f"site map_{lang} lacks {missing}")
        png = gdal.Open(os.path.join(out, f"map_{lang}.png"))
        a = np.dstack([png.GetRasterBand(i + 1).ReadAsArray() for i in range(3)]).astype(int)
        purple = (abs(a[:, :, 0] - 90) < 25) & (abs(a[:, :, 1] - 60) < 25) & (abs(a[:, :, 2] - 110) < 25)
        check(purple.sum() > 3000, f"site map_{lang}: township boundaries not drawn ({purple.sum()} px)")
        html = open(os.path.join(out, f"report_{lang}.html"), encoding="utf-8").read()
        head = "按乡镇的覆盖人口" if lang == "zh" else "Population covered by township"
        check(head not in html and not re.search(r">[^<]*\bnan\b", html, re.I), f"report_{lang}: a township table without figures")


def case_map_beyond(tmp):
    """People on the roads but beyond the last band are on the map: a legend swatch with their count
    (total - no road access - unreachable - within the last band, of the headline tier, as in
    summary.json) and their cells drawn in that swatch's colour where travel_time.tif says the
    headline time is above the last threshold; none drawn when nobody is beyond; the townships'
    grey fill is named for what it is."""
    import numpy as np
    from osgeo import gdal
    dpi = 200 / 72.0
    beyond_rgb = np.array([165, 15, 21])
    # (the emergency direction names its bands "minutes from the nearest facility ... to the patient":
    # its map once drew none of the cells its legend counted)
    for mins, name, extra in (("5,10", "short", []), ("30,240", "long", []), ("5,10", "emergency", ["--emergency"])):
        out = os.path.join(tmp, name)
        run(["coverage", "--roads", f"{DEMO}/roads.geojson", "--population", f"{DEMO}/population.asc",
             "--facilities", f"{DEMO}/facilities.csv", "--tier-field", "tier", "--admin", f"{DEMO}/townships.geojson",
             "--minutes", mins, "--out", out, "--lang", "zh,en", "--quiet"] + extra)
        s = json.load(open(os.path.join(out, "summary.json")))
        last = mins.split(",")[-1]
        h = s["headline"]
        beyond = s["population_total"] - s["population_no_road_access"] - h["population_unreachable"] - h["population_within_min"][last]
        n = f"{round(beyond):,}"
        # the cells the map must colour: the headline band of travel_time.tif above the last threshold
        tif = gdal.Open(os.path.join(out, "travel_time.tif"))
        want = None
        for b in range(1, tif.RasterCount + 1):
            band = tif.GetRasterBand(b)
            if band.GetMetadataItem("CARECIRCLE_HEADLINE") == "YES" or band.GetDescription() in (
                    "minutes to the nearest facility of tier " + h["tiers"][0],
                    f"minutes from the nearest facility of tier {h['tiers'][0]} to the patient, dispatch included"):
                t = band.ReadAsArray().astype(float)
                t[t == band.GetNoDataValue()] = np.nan
                want = int(np.nansum(t > float(last)))
        check(want is not None, "travel_time.tif has no band of the headline tier")
        for lang, label, rest in (("en", f"Beyond {last} min ({n} people)", "Rest of the area"),
                                  ("zh", f"超过 {last} 分钟（{n} 人）", "区域内其余地方")):
            txt = pdf_text(os.path.join(out, f"map_{lang}.pdf"))
            check(label in txt and rest in txt, f"{name} map_{lang}: lacks '{label}' or '{rest}'")
            a = cli_test.png_array(os.path.join(out, f"map_{lang}.png"))
            frame = a[int(72 * dpi):int(560 * dpi), int(24 * dpi):int(602 * dpi)]
            red = int((np.abs(frame - beyond_rgb).sum(axis=2) <= 6).sum())
            if want:
                # each 250 m cell of the demo is about 4 x 4 px at this scale: most of them must show
                check(beyond > 1000 and red > 6 * want, f"{name} map_{lang}: {red} px of the beyond colour for {want} cells")
            else:
                check(red == 0 and round(beyond) == 0, f"{name} map_{lang}: {red} px of the beyond colour, {beyond} people beyond")


def fine_population(tmp):
    """The demo's population split into 5 x 5 finer cells (50 m; each a 25th of its cell's people)."""
    import numpy as np
    from osgeo import gdal
    src = gdal.Open(f"{DEMO}/population.asc")
    a = src.GetRasterBand(1).ReadAsArray().astype(float)
    nd = src.GetRasterBand(1).GetNoDataValue()
    fine = np.kron(np.where(a == nd, nd, a / 25.0), np.ones((5, 5)))
    gt = list(src.GetGeoTransform())
    gt[1] /= 5
    gt[5] /= 5
    path = os.path.join(tmp, "fine.tif")
    ds = gdal.GetDriverByName("GTiff").Create(path, fine.shape[1], fine.shape[0], 1, gdal.GDT_Float64)
    ds.SetGeoTransform(gt)
    ds.SetProjection(src.GetProjection())
    ds.GetRasterBand(1).SetNoDataValue(nd)
    ds.GetRasterBand(1).WriteArray(fine)
    ds = None
    return path


def grey_mask(png):
    """Pixels of the no-road-access grey inside the map frame of a 200 dpi map."""
    import numpy as np
    img = cli_test.png_array(png)
    dpi = 200 / 72.0
    frame = img[int(72 * dpi):int(560 * dpi), int(24 * dpi):int(602 * dpi)]
    return np.abs(frame - np.array((120, 120, 120))).sum(axis=2) <= 6


def case_site_map_cells(tmp):
    """A siting folder has no travel_time.tif, so its map used to draw population cells as 6 pt village
    squares (on the 16-county province: 130,000 outlined squares over the isochrones, a 1.6 s PDF). The
    site's summary.json now gives the cell size (demand.cell_width, cell_height, working CRS) and its map
    draws the cells with no road access where the coverage map of the same inputs draws them (fine 50 m
    cells: 0.9 or more of either within two pixels of the other)."""
    from scipy.ndimage import binary_dilation
    pop = fine_population(tmp)
    common = ["--roads", f"{DEMO}/roads.geojson", "--population", pop, "--facilities", f"{DEMO}/facilities.csv", "--tier-field", "tier",
              "--admin", f"{DEMO}/townships.geojson", "--lang", "en", "--quiet"]
    run(["coverage", "--out", os.path.join(tmp, "cov")] + common)
    run(["site", "--out", os.path.join(tmp, "site"), "--fixed-tiers", "county_hospital", "--candidate-tiers", "township_health_centre",
         "-p", "2"] + common)
    s = json.load(open(os.path.join(tmp, "site", "summary.json")))
    cw, ch = s["demand"].get("cell_width"), s["demand"].get("cell_height")
    check(cw and ch and 30 < cw < 70 and 30 < ch < 70, f"site summary.json demand: {s['demand']} (50 m cells expected)")
    c, f = grey_mask(os.path.join(tmp, "cov", "map_en.png")), grey_mask(os.path.join(tmp, "site", "map_en.png"))
    check(c.sum() > 300 and f.sum() > 300, f"too few grey pixels to compare: coverage {c.sum()}, site {f.sum()}")
    prec, rec = (f & binary_dilation(c, iterations=2)).sum() / f.sum(), (c & binary_dilation(f, iterations=2)).sum() / c.sum()
    check(prec > 0.9 and rec > 0.9, f"site map cells: {prec:.3f} of the site's grey near the coverage map's, {rec:.3f} the other way")
    print(f"site map: cells {cw} x {ch} m; grey {f.sum()} px (coverage map {c.sum()}); {prec:.3f} / {rec:.3f} within two pixels")


def case_map_fine_cells(tmp):
    """Cells smaller on the page than the square drawn for each (0.9 pt) are drawn by bins of half a
    square (issue 19: 74,000 overlapping squares were most of a Comoros PDF): the demo's population
    split into 5 x 5 finer cells (50 m, 0.3 pt on the page; the same people) must colour the same
    places as the 250 m cells drawn one square each, class by class (beyond the last band in dark red,
    no road access in grey), within two pixels, in the PNG and in the PDF drawn at the same scale."""
    import numpy as np
    from osgeo import gdal
    from scipy.ndimage import binary_dilation
    path = fine_population(tmp)
    masks = {}
    for name, pop in (("coarse", f"{DEMO}/population.asc"), ("fine", path)):
        out = os.path.join(tmp, name)
        run(["coverage", "--roads", f"{DEMO}/roads.geojson", "--population", pop, "--facilities", f"{DEMO}/facilities.csv",
             "--tier-field", "tier", "--admin", f"{DEMO}/townships.geojson", "--minutes", "5,10", "--out", out, "--lang", "en", "--quiet"])
        for kind, png in (("png", os.path.join(out, "map_en.png")), ("pdf", os.path.join(tmp, name + "_pdf"))):
            if kind == "pdf":
                r = subprocess.run(["pdftoppm", "-r", "200", "-png", "-singlefile", os.path.join(out, "map_en.pdf"), png], capture_output=True, text=True)
                check(r.returncode == 0, f"pdftoppm: {r.stderr}")
                png += ".png"
            img = cli_test.png_array(png)
            dpi = 200 / 72.0
            frame = img[int(72 * dpi):int(560 * dpi), int(24 * dpi):int(602 * dpi)]
            for cls, rgb in (("beyond", (165, 15, 21)), ("no road", (120, 120, 120))):
                masks[name, kind, cls] = np.abs(frame - np.array(rgb)).sum(axis=2) <= 6
    for kind in ("png", "pdf"):
        for cls in ("beyond", "no road"):
            c, f = masks["coarse", kind, cls], masks["fine", kind, cls]
            check(c.sum() > 500 and f.sum() > 500, f"{kind} {cls}: {c.sum()} px coarse, {f.sum()} px fine: too few to compare")
            near_c, near_f = binary_dilation(c, iterations=2), binary_dilation(f, iterations=2)
            prec, rec = (f & near_c).sum() / f.sum(), (c & near_f).sum() / c.sum()
            check(prec > 0.9 and rec > 0.9, f"{kind} {cls}: fine cells drawn where coarse are not ({prec:.3f}) or missing ({rec:.3f})")
            print(f"{kind} {cls}: {c.sum()} px coarse, {f.sum()} px fine; {prec:.3f} of the fine near the coarse, {rec:.3f} of the coarse near the fine")

def qml_of(gpkg, layer):
    """The carecircle style stored for @layer in the GeoPackage's layer_styles table."""
    con = sqlite3.connect(gpkg)
    row = con.execute("SELECT styleQML FROM layer_styles WHERE f_table_name = ? AND styleName = 'carecircle'", (layer,)).fetchone()
    con.close()
    check(row is not None, f"{gpkg}: no carecircle style for {layer}")
    return row[0]


def case_headline_layers(tmp):
    """What GIS staff open shows capable care, as the map does: travel_time.tif marks the headline's
    band (its own band, the minimum over the headline tiers, when there are several) and its .qml and
    the project draw that band under the headline's name; the isochrones have the headline's own bands
    and the style shows them; coverage_by_admin has the headline's people and share per township, the
    township choropleth and the report's township table and chart use them and say so."""
    import numpy as np
    from osgeo import gdal, ogr
    D = DEMO
    for heads in (["county_hospital"], ["county_hospital", "township_health_centre"]):
        out = os.path.join(tmp, "+".join(heads))
        run(["coverage", "--roads", f"{D}/roads.geojson", "--population", f"{D}/population.asc", "--facilities", f"{D}/facilities.csv",
             "--tier-field", "tier", "--admin", f"{D}/townships.geojson", "--headline", ",".join(heads), "--out", out,
             "--lang", "zh,en", "--quiet"])
        s = json.load(open(os.path.join(out, "summary.json")))
        h = s["headline"]
        check(h["tiers"] == heads, f"headline {h['tiers']}")
        # 1. the raster: exactly one band marked, holding the minimum over the headline tiers
        tif = gdal.Open(os.path.join(out, "travel_time.tif"))
        bands = {tif.GetRasterBand(b).GetDescription(): b for b in range(1, tif.RasterCount + 1)}
        marked = [b for b in range(1, tif.RasterCount + 1) if tif.GetRasterBand(b).GetMetadataItem("CARECIRCLE_HEADLINE") == "YES"]
        check(len(marked) == 1, f"{out}: bands marked as the headline {marked}")
        hb = marked[0]

        def arr(b):
            band = tif.GetRasterBand(b)
            a = band.ReadAsArray().astype(float)
            a[a == band.GetNoDataValue()] = np.inf
            return a
        want = np.minimum.reduce([arr(bands["minutes to the nearest facility of tier " + t]) for t in heads])
        check(np.array_equal(arr(hb), want), f"{out}: headline band {hb} is not the minimum over {heads}")
        if len(heads) == 1:
            check(hb == bands["minutes to the nearest facility of tier county_hospital"], f"headline band {hb}")
        else:
            check(tif.RasterCount == 6 and hb == 6, f"{tif.RasterCount} bands, headline band {hb}")
        # the people the band puts within 30 min are the headline's figure
        pds = gdal.Open(f"{D}/population.asc")  # kept: a band outlives no dataset
        pop = pds.GetRasterBand(1)
        p = pop.ReadAsArray().astype(float)
        p[p == pop.GetNoDataValue()] = 0
        within = float(p[arr(hb) <= 30].sum())
        check(abs(within - h["population_within_min"]["30"]) < 1, f"band {hb}: {within} within 30 min, headline {h['population_within_min']['30']}")
        qml = open(os.path.join(out, "travel_time.qml"), encoding="utf-8").read()
        check(f'band="{hb}"' in qml, f"travel_time.qml draws {re.findall(r'band=.[0-9]+.', qml)}, not band {hb}")
        prj = open(os.path.join(out, "project.qgs"), encoding="utf-8").read()
        ras = prj[prj.find("<id>carecircle_travel_time</id>"):]
        ras = ras[:ras.find("</maplayer>")]
        name = "到最近县医院的行车时间（栅格）" if len(heads) == 1 else "到最近县医院、乡镇卫生院的行车时间（栅格）"
        check(f'band="{hb}"' in ras and f"<layername>{name}</layername>" in ras, f"project raster layer: {ras[:400]}")
        # 2. the isochrones: the headline's bands, with its figures; the group shown is the headline's
        gpkg = os.path.join(out, "coverage.gpkg")
        ds = ogr.Open(gpkg)
        tier = heads[0] if len(heads) == 1 else "headline"
        rows = {f["min_to"]: f["population_cum"] for f in ds.GetLayerByName("isochrones") if f["tier"] == tier}
        check(all(abs(rows[float(m)] - v) < 0.01 for m, v in h["population_within_min"].items()), f"isochrones of {tier}: {rows}")
        check(len(heads) > 1 or not any(f["tier"] == "headline" for f in ds.GetLayerByName("isochrones")),
              "a 'headline' set written for a single headline tier")
        iso = qml_of(gpkg, "isochrones")
        on = re.findall(r'<rule key="[^"]*" checkstate="1" label="[^"]*" filter="&quot;tier&quot; = \'([^\']*)\'', iso)
        check(on == [tier], f"isochrone groups shown {on}, expected [{tier}]")
        # 3. townships: the headline's people and share; the choropleth and the report use them
        adm = [(f["name"], f["population"], f["head_pop_le_30"], f["head_share_le_30"]) for f in ds.GetLayerByName("coverage_by_admin")]
        check(abs(sum(a[2] for a in adm) - h["population_within_min"]["30"]) < 1, "head_pop_le_30 does not add up to the headline")
        check(all(abs(a[3] - a[2] / a[1]) < 1e-9 for a in adm if a[1] > 0), "head_share_le_30 is not head_pop_le_30 / population")
        check('attr="head_share_le_30"' in qml_of(gpkg, "coverage_by_admin"), "township choropleth not on head_share_le_30")
        for lang, head in (("zh", "按乡镇的覆盖人口（到最近"), ("en", "Population covered by township (to the nearest ")):
            html = open(os.path.join(out, f"report_{lang}.html"), encoding="utf-8").read()
            check(head in html, f"report_{lang}: the township table does not say what it counts")
            if lang == "en":  # each township's 30-minute cell is its head_pop_le_30 (code, name, people, 15, 30, 60)
                t = html[html.find(head):]
                t = t[:t.find("</table>")]
                cells = {c[1]: c for c in (re.findall(r"<td[^>]*>([^<]*)</td>", r) for r in re.findall(r"<tr>(.*?)</tr>", t, re.S)) if len(c) >= 5}
                for nm, popn, h30, _ in adm:
                    check(nm in cells and cells[nm][4].startswith(f"{round(h30):,} ("), f"report_en {nm}: 30-min cell {cells.get(nm)}, want {round(h30):,}")
    # 4. the uncovered villages are those beyond 30 min of the headline tiers (or without road access),
    # not of any facility: the layer, the report's list heading and the map's legend say so
    out, s = demo_coverage(tmp, "villages")
    check(s["headline"]["tiers"] == ["county_hospital"] and s.get("uncovered_counts") == "headline", f"summary: {s.get('uncovered_counts')}")
    with open(os.path.join(out, "access_by_village.csv"), encoding="utf-8-sig", newline="") as f:
        rows = list(csv.DictReader(f))
    want = {r["name"] for r in rows if float(r["population_persons"]) > 0 and
            (r["reason"] or not r["minutes_county_hospital"] or float(r["minutes_county_hospital"]) > 30)}
    any_fac = {r["name"] for r in rows if float(r["population_persons"]) > 0 and (r["reason"] or float(r["minutes_all"]) > 30)}
    ds = ogr.Open(os.path.join(out, "coverage.gpkg"))
    got = {f["name"]: f for f in ds.GetLayerByName("demand_uncovered")}
    check(set(got) == want and want != any_fac, f"demand_uncovered {sorted(got)}, beyond 30 min of the county hospital {sorted(want)}")
    for r in rows:
        f = got.get(r["name"])
        if f is not None and f["status"] == "beyond":
            check(abs(f["minutes"] - float(r["minutes_county_hospital"])) < 0.06 and f["nearest_facility"] == "Qingshan County People's Hospital",
                  f"{r['name']}: {f['minutes']} min to {f['nearest_facility']}, the table {r['minutes_county_hospital']} min")
    for lang, head, leg in (("zh", "未覆盖的村庄（按人口排序）：距最近县医院超过 30 分钟", "未覆盖村庄（距最近县医院超过 30 分钟）"),
                            ("en", "Uncovered villages, ranked by population: more than 30 min from the nearest county hospital",
                             "Uncovered villages (beyond 30 min of a")):
        html = open(os.path.join(out, f"report_{lang}.html"), encoding="utf-8").read()
        check(head in html, f"report_{lang}: the uncovered list does not say beyond what")
        check(leg in pdf_text(os.path.join(out, f"map_{lang}.pdf")), f"map_{lang}: the uncovered villages' legend does not say beyond what")


if __name__ == "__main__":
    sys.exit(main(globals(), __doc__))
