#!/usr/bin/python3
"""Deliverables that officials and GIS staff can trust (issue 14): Chinese inputs (GBK CSV and
shapefiles, Chinese headers, impossible coordinates), PostGIS inputs against a real server, the
report tables and the HTML reports in a real browser.

Usage: reports_test.py CASE  (environment: CC_BIN, CC_SRC)
Exit 0 = pass, 1 = fail, 77 = skipped with the reason printed.
"""
import csv
import html as html_lib
import json
import os
import re
import shutil
import subprocess
import sys
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import cli_test  # noqa: E402
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

def case_long_tier_names(tmp):
    """Tier names longer than the labels' buffers, in Chinese (three bytes a character, one name
    shifted by an ASCII letter so that no buffer ends on a character's boundary by chance): every
    text carecircle writes stays UTF-8 (stdout, stderr, the zh/en reports, the QGIS project, the
    raster style, the styles in coverage.gpkg, the field names of access_by_village.xlsx), GDAL
    has nothing to say about an invalid field name, and the maps keep the names inside their boxes."""
    import sqlite3
    long1 = "a" + "县级综合医院急救分中心" * 5
    long2 = "中心乡镇卫生院急诊科室" * 5
    out = os.path.join(tmp, "long")
    p = subprocess.run([cli_test.BIN] + demo_args(out, ["--tiers", f"county_hospital={long1},township_health_centre={long2},"
                                                        "emergency_station=station,village_clinic=clinic",
                                                        "--headline", f"{long1},{long2}", "--lang", "zh,en"]),
                       capture_output=True)
    check(p.returncode == 0, f"exit {p.returncode}: {p.stderr[-400:]}")
    def utf8(what, data):
        try:
            data.decode("utf-8")
        except UnicodeDecodeError as e:
            raise Fail(f"{what} is not UTF-8 at byte {e.start}: {data[max(0, e.start - 40):e.start + 4]!r}")
    utf8("stdout", p.stdout)
    utf8("stderr", p.stderr)
    check(b"GDAL/PROJ reported" not in p.stderr, f"GDAL complained: {p.stderr.decode('utf-8', 'replace')[-300:]}")
    for name in ("report_zh.html", "report_en.html", "project.qgs", "travel_time.qml"):
        with open(os.path.join(out, name), "rb") as f:
            utf8(name, f.read())
    db = sqlite3.connect(os.path.join(out, "coverage.gpkg"))
    db.text_factory = bytes
    styles = db.execute("SELECT f_table_name, styleQML, styleSLD FROM layer_styles").fetchall()
    db.close()
    check(len(styles) >= 3, f"only {len(styles)} styles in coverage.gpkg")
    for t, qml, sld in styles:
        utf8(f"the style of {t!r}", qml)
        utf8(f"the SLD of {t!r}", sld or b"")
    ds = gdal.OpenEx(os.path.join(out, "access_by_village.xlsx"))
    lyr = ds.GetLayer(0)
    names = [lyr.GetLayerDefn().GetFieldDefn(i).GetName() for i in range(lyr.GetLayerDefn().GetFieldCount())]
    ds = None
    check(any(n.startswith("minutes_") and "县级" in n for n in names), f"access_by_village.xlsx lacks the long tier's column: {names}")
    # the maps keep such names inside their boxes: the subtitle on one line above the map frame, the
    # key figures (every threshold's line) inside their box, nothing drawn below the frame's bottom
    # in the legend's column (page 842 x 595 pt; frame from y 70 to 562 pt, legend from x 616 pt)
    import numpy
    for lang in ("zh", "en"):
        ds = gdal.Open(os.path.join(out, f"map_{lang}.png"))
        px = ds.ReadAsArray()[:3].astype(int).sum(axis=0)  # darkness: low sums are text
        ds = None
        k = px.shape[1] / 842.0
        band = px[int(61 * k):int(69 * k), int(22 * k):int(600 * k)]
        check((band < 400).sum() == 0, f"map_{lang}.png: the subtitle runs onto a second line into the map frame")
        below = px[int(565 * k):, int(616 * k):int(830 * k)]
        check((below < 400).sum() == 0, f"map_{lang}.png: text below the key-figures box, in the legend's column")


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


# ---- PostGIS ---------------------------------------------------------------------------------

PG_BIN = "/usr/lib/postgresql/15/bin"


def pg_bin(name):
    for d in sorted((os.path.join("/usr/lib/postgresql", v, "bin") for v in os.listdir("/usr/lib/postgresql")), reverse=True) \
            if os.path.isdir("/usr/lib/postgresql") else []:
        if os.path.exists(os.path.join(d, name)):
            return os.path.join(d, name)
    return shutil.which(name)


class PgServer:
    """A throw-away PostgreSQL + PostGIS server in a temporary data directory, reachable only by a
    Unix socket in that directory (no TCP port, so parallel tests cannot collide). As root (CI),
    the server runs as the postgres system user, since PostgreSQL refuses to run as root."""

    def __init__(self, tmp):
        self.dir = os.path.join(tmp, "pg")
        self.data = os.path.join(self.dir, "data")
        self.port = 5432 + os.getpid() % 1000 + 1000
        self.started = False
        self.user = None

    def _cmd(self, args):
        if os.geteuid() == 0:
            return ["runuser", "-u", self.user, "--"] + args
        return args

    def start(self):
        """None when running, else why it cannot."""
        initdb, pg_ctl = pg_bin("initdb"), pg_bin("pg_ctl")
        if not initdb or not pg_ctl:
            return "PostgreSQL server programs (initdb, pg_ctl) are absent: apt-get install postgresql postgis"
        ext = os.path.join(os.path.dirname(os.path.dirname(initdb)).replace("/usr/lib/", "/usr/share/"), "extension",
                           "postgis.control")
        if not os.path.exists(ext):
            return f"PostGIS is not installed for this PostgreSQL ({ext} absent): apt-get install postgis"
        if os.geteuid() == 0:
            import pwd
            try:
                pwd.getpwnam("postgres")
            except KeyError:
                return "running as root and there is no postgres system user to run the server as"
            self.user = "postgres"
            if not shutil.which("runuser"):
                return "running as root without runuser to start the server as postgres"
        os.makedirs(self.dir)
        os.chmod(os.path.dirname(self.dir), 0o755)
        if self.user:
            shutil.chown(self.dir, self.user)
        p = subprocess.run(self._cmd([initdb, "-D", self.data, "-A", "trust", "-U", "postgres", "-E", "UTF8", "--locale=C.UTF-8"]),
                           capture_output=True, text=True)
        if p.returncode != 0:
            return f"initdb failed: {p.stderr.strip()[-300:]}"
        opts = f"-c listen_addresses='' -c unix_socket_directories={self.dir} -p {self.port} -c fsync=off"
        p = subprocess.run(self._cmd([pg_ctl, "-D", self.data, "-o", opts, "-l", os.path.join(self.dir, "log"), "-w", "-t", "60",
                                      "start"]), capture_output=True, text=True)
        if p.returncode != 0:
            log = open(os.path.join(self.dir, "log")).read()[-400:] if os.path.exists(os.path.join(self.dir, "log")) else ""
            return f"pg_ctl start failed: {p.stderr.strip()[-300:]} {log}"
        self.started = True
        p = self.psql("CREATE DATABASE cc", db="postgres")
        if p.returncode != 0:
            return f"CREATE DATABASE failed: {p.stderr.strip()}"
        p = self.psql("CREATE EXTENSION postgis")
        if p.returncode != 0:
            return f"CREATE EXTENSION postgis failed: {p.stderr.strip()}"
        return None

    def psql(self, sql, db="cc"):
        return subprocess.run([pg_bin("psql"), "-h", self.dir, "-p", str(self.port), "-U", "postgres", "-d", db, "-v",
                               "ON_ERROR_STOP=1", "-qAtc", sql], capture_output=True, text=True)

    def conn(self, table=None):
        c = f"PG:host={self.dir} port={self.port} dbname=cc user=postgres"
        return c + (f" tables={table}" if table else "")

    def stop(self):
        if self.started:
            subprocess.run(self._cmd([pg_bin("pg_ctl"), "-D", self.data, "-m", "immediate", "-w", "stop"]), capture_output=True)
            self.started = False


def figures(s):
    """Every summary.json figure except those that name where the inputs came from (paths, hashes)
    and how long the run took."""
    drop = {"inputs", "timings_s", "carecircle_version", "content_hash", "scenario", "outputs", "resolved", "parameters"}
    return {k: v for k, v in s.items() if k not in drop}


def case_postgis(tmp):
    """Roads, facilities and admin areas of the demo loaded into a real PostGIS with ogr2ogr give
    the same summary.json figures as the files in coverage, site and a scenario; a batch on them
    says why it cannot skip unchanged variants."""
    srv = PgServer(tmp)
    why = srv.start()
    if why:
        srv.stop()
        print(f"SKIP: no PostgreSQL + PostGIS server: {why}")
        return SKIP
    try:
        loads = [("roads", f"{DEMO}/roads.geojson", []),
                 ("facilities", f"{DEMO}/facilities.csv", ["-oo", "X_POSSIBLE_NAMES=lon", "-oo", "Y_POSSIBLE_NAMES=lat",
                                                           "-oo", "KEEP_GEOM_COLUMNS=YES", "-a_srs", "EPSG:4326"]),
                 ("townships", f"{DEMO}/townships.geojson", [])]
        for table, path, extra in loads:
            p = subprocess.run(["ogr2ogr", "-f", "PostgreSQL", srv.conn(), path, "-nln", table] + extra,
                               capture_output=True, text=True)
            check(p.returncode == 0, f"ogr2ogr {table}: {p.stderr}")
        n = srv.psql("SELECT (SELECT count(*) FROM roads), (SELECT count(*) FROM facilities), (SELECT count(*) FROM townships)")
        check(n.returncode == 0, n.stderr)
        counts = [int(x) for x in n.stdout.strip().split("|")]
        check(counts[1] == 33 and counts[0] > 100 and counts[2] >= 6, f"rows loaded: {counts}")
        pg = {"roads": srv.conn("roads"), "facilities": srv.conn("facilities"), "admin": srv.conn("townships")}
        demo = os.path.abspath(DEMO)
        files = {"roads": f"{demo}/roads.geojson", "facilities": f"{demo}/facilities.csv", "admin": f"{demo}/townships.geojson"}

        def args(cmd, src, out, *extra):
            return [cmd, "--roads", src["roads"], "--population", f"{DEMO}/population.asc", "--facilities", src["facilities"],
                    "--tier-field", "tier", "--admin", src["admin"], "--out", out, "--quiet"] + list(extra)

        for cmd, extra in (("coverage", ["--lang", "zh"]), ("site", ["--fixed-tiers", "county_hospital", "--candidate-tiers", "township_health_centre", "-p", "2", "--minutes", "30"])):
            a, b = os.path.join(tmp, f"{cmd}_files"), os.path.join(tmp, f"{cmd}_pg")
            run(args(cmd, files, a, *extra))
            p = run(args(cmd, pg, b, *extra))
            check("error" not in p.stderr, f"{cmd} with PG inputs: {p.stderr}")
            fa, fb = figures(load_summary(a)), figures(load_summary(b))
            check(len(fa) >= 3, f"{cmd}: too few figures compared: {list(fa)}")
            check(fa == fb, f"{cmd}: PostGIS inputs give other figures than the files:\n{json.dumps(fa)}\n{json.dumps(fb)}")
            if cmd == "coverage":
                na = sorted(gpkg_text(os.path.join(a, "coverage.gpkg"), "coverage_by_admin", ["name", "pop_le_30"]))
                nb = sorted(gpkg_text(os.path.join(b, "coverage.gpkg"), "coverage_by_admin", ["name", "pop_le_30"]))
                check(na == nb and len(na) >= 6, f"coverage_by_admin names: {na} vs {nb}")

        # a scenario and a batch reading PostGIS
        sc = {}
        for label, src in (("files", files), ("pg", pg)):
            path = os.path.join(tmp, f"scenario_{label}.yaml")
            with open(path, "w") as f:
                f.write(f"""name: pg_{label}
inputs:
  roads: "{src['roads']}"
  population: {demo}/population.asc
  facilities: "{src['facilities']}"
  tier_field: tier
  admin: "{src['admin']}"
minutes: [15, 30, 60]
report:
  lang: [zh]
  maps: false
""")
            out = os.path.join(tmp, f"run_{label}")
            p = run(["run", path, "--out", out, "--quiet"])
            sc[label] = figures(load_summary(out))
        check(sc["files"] == sc["pg"], f"scenario: PostGIS inputs give other figures:\n{sc['files']}\n{sc['pg']}")

        batch = os.path.join(tmp, "batch.yaml")
        with open(batch, "w") as f:
            f.write(f"""base: {os.path.join(tmp, 'scenario_pg.yaml')}
variants:
  - name: slower
    set:
      speed_factors: {{all: 0.8}}
""")
        bout = os.path.join(tmp, "batch_out")
        run(["batch", batch, "--out", bout, "--quiet"])
        p = run(["batch", batch, "--out", bout])
        said = p.stdout + p.stderr
        check("skipped" not in [v.get("state") for v in json.load(open(os.path.join(bout, "manifest.json")))["variants"]],
              "a batch on PostGIS inputs skipped a variant it cannot know unchanged")
        check(re.search(r"database|PG:", said) and "cannot" in said and "skip" in said,
              f"a batch on PostGIS inputs does not say why it runs every variant again: {said[-600:]!r}")
    finally:
        srv.stop()


# ---- the HTML reports in a real browser ----------------------------------------------------------

def chromium_bin():
    for b in ("chromium", "chromium-browser", "google-chrome"):
        if shutil.which(b):
            return shutil.which(b)
    return None


def load_netlog(path):
    """Chromium's net log (JSON; may lack its closing brackets when the browser exits early)."""
    t = open(path).read().rstrip()
    try:
        return json.loads(t)
    except ValueError:
        t = t.rstrip(",")
        return json.loads(t + ("]}" if not t.endswith("]}") else ""))


def render(tmp, html, png, netlog, height=3000):
    """Headless Chromium: @html to @png; returns the URLs the page itself asked for (requests the
    browser makes for its own services have no page initiator and are left out)."""
    prof = os.path.join(tmp, "chrome-profile")
    args = [chromium_bin(), "--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking",
            "--disable-component-update", "--disable-sync", "--no-first-run", f"--user-data-dir={prof}",
            "--host-resolver-rules=MAP * ~NOTFOUND", f"--log-net-log={netlog}", f"--window-size=1200,{height}",
            "--hide-scrollbars", f"--screenshot={png}", "file://" + os.path.abspath(html)]
    p = subprocess.run(args, capture_output=True, text=True, timeout=180)
    check(p.returncode == 0 and os.path.exists(png), f"chromium failed on {html}: {p.stderr[-500:]}")
    j = load_netlog(netlog)
    et = {v: k for k, v in j["constants"]["logEventTypes"].items()}
    asked = []
    for e in j["events"]:
        if et.get(e["type"]) == "URL_REQUEST_START_JOB":
            prm = e.get("params", {})
            if prm.get("url") and prm.get("initiator") != "not an origin" and not prm["url"].startswith(("file:", "data:")):
                asked.append(prm["url"])
    return asked


def page_width(tmp, html, width):
    """The page's width in headless Chromium in a window @width pixels wide, the window's, and the
    table cells of at most 5 characters that wrap onto a second line (a township's name set one
    character a line): a probe script added to a copy of @html writes them into the page, which
    Chromium prints."""
    with open(html, encoding="utf-8") as f:
        text = f.read()
    probe = os.path.join(tmp, "probe-" + os.path.basename(html))
    js = ("<script>window.addEventListener('load',()=>{const d=document.documentElement;const p=document.createElement('pre');"
          "let w=[];for(const c of document.querySelectorAll('td')){const t=c.textContent.trim();"
          "if(!t||t.length>5)continue;const r=document.createRange();r.selectNodeContents(c);"
          "if(r.getBoundingClientRect().height>1.6*parseFloat(getComputedStyle(c).fontSize)*1.45)w.push(t);}"
          "p.id='cc-width';p.textContent=d.scrollWidth+' '+d.clientWidth+' '+JSON.stringify(w);document.body.appendChild(p);});</script>")
    with open(probe, "w", encoding="utf-8") as f:
        f.write(text.replace("</body>", js + "</body>"))
    prof = os.path.join(tmp, "chrome-profile")
    p = subprocess.run([chromium_bin(), "--headless", "--no-sandbox", "--disable-gpu", "--no-first-run", f"--user-data-dir={prof}",
                        "--host-resolver-rules=MAP * ~NOTFOUND", f"--window-size={width},1500", "--dump-dom", "file://" + probe],
                       capture_output=True, text=True, timeout=180)
    m = re.search(r'<pre id="cc-width">(\d+) (\d+) (\[.*?\])</pre>', p.stdout)
    check(m is not None, f"chromium did not lay out {probe}: {p.stderr[-300:]}")
    return int(m.group(1)), int(m.group(2)), json.loads(html_lib.unescape(m.group(3)))


def png_stats(png):
    import numpy as np
    ds = gdal.Open(png)
    a = np.dstack([ds.GetRasterBand(i + 1).ReadAsArray() for i in range(3)]).astype(int)
    white = (a.min(axis=2) >= 245)
    colours = len(np.unique(a.reshape(-1, 3) // 8, axis=0))
    return 1.0 - white.mean(), colours, a


def case_browser_reports(tmp):
    """The coverage report (zh, en) and the batch report open in headless Chromium: the screenshot
    is not blank, the charts draw, the page asks for nothing over the network, and it is no wider
    than a window of 1000 or 700 pixels (no sideways scrolling: wide tables scroll by themselves)."""
    if not chromium_bin():
        print("SKIP: chromium is not installed (apt-get install chromium)")
        return SKIP
    # the check can fail: a page with one remote image is caught
    canary = os.path.join(tmp, "canary.html")
    with open(canary, "w") as f:
        f.write('<html><body><p>canary</p><img src="https://carecircle.invalid/x.png"></body></html>')
    asked = render(tmp, canary, os.path.join(tmp, "canary.png"), os.path.join(tmp, "canary.json"), height=400)
    check(any("carecircle.invalid" in u for u in asked), f"the network log misses the canary's request: {asked}")

    out = os.path.join(tmp, "cov")
    run(demo_args(out, ["--admin-name-field", "name_zh", "--lang", "zh,en"]))
    bout = os.path.join(tmp, "batch")
    run(["batch", f"{DEMO}/batch.yaml", "--out", bout, "--quiet", "--jobs", "2", "--lang", "zh,en"])
    pages = [os.path.join(out, "report_zh.html"), os.path.join(out, "report_en.html"), os.path.join(bout, "report_zh.html"),
             os.path.join(bout, "report_en.html")]
    for html in pages:
        text = open(html, encoding="utf-8").read()
        remote = re.findall(r'(?:src|href)\s*=\s*["\']?\s*((?:https?:)?//[^"\'> ]+)', text, re.I)
        check(not remote, f"{html} links remote resources: {remote[:3]}")
        check("<svg" in text and "<script" not in text, f"{html}: no inline SVG chart, or a script")
        png = html[:-5] + ".png"
        asked = render(tmp, html, png, html[:-5] + ".netlog.json")
        check(not asked, f"{html} asked the network for {asked[:5]}")
        ink, colours, a = png_stats(png)
        check(ink > 0.05 and colours > 40, f"{png} looks blank: {ink:.3f} of the page inked, {colours} colours")
        # the charts' first travel-time band (the map's green) appears below the map too
        green = (abs(a[:, :, 0] - 26) < 12) & (abs(a[:, :, 1] - 152) < 12) & (abs(a[:, :, 2] - 80) < 12)
        check(green.sum() > 2000, f"{png}: the chart's green bars are missing ({green.sum()} px)")
        for width in (1000, 700):
            page, window, wrapped = page_width(tmp, html, width)
            check(page <= window, f"{html}: the page is {page} px wide in a window of {window} px (it scrolls sideways)")
            check(not wrapped, f"{html} at {width} px: short cells broken over lines: {wrapped[:8]}")
        lang = "zh" if html.endswith("_zh.html") else "en"
        if lang == "zh":
            check("万" in text, f"{html}: people are not in 万")
        if html.startswith(bout):
            want = "雨季" if lang == "zh" else "Rainy season"
            check(want in text, f"{html}: the variants' titles from batch.yaml are missing")


# ---- tables people use ---------------------------------------------------------------------------

def case_uncovered_cells(tmp):
    """The uncovered raster cells carry lon/lat and their township in demand_uncovered, and the
    report's list shows both: the place checked against the geometry (reprojected here with osr)
    and the population raster's cell centres, the township against the township polygons."""
    from osgeo import osr
    out = os.path.join(tmp, "cells")
    run(cov(out, f"{DEMO}/facilities.csv", "--lang", "zh,en"))
    ds = ogr.Open(os.path.join(out, "coverage.gpkg"))
    lyr = ds.GetLayerByName("demand_uncovered")
    to_ll = osr.CoordinateTransformation(lyr.GetSpatialRef(), ll_srs())
    tds = ogr.Open(f"{DEMO}/townships.geojson")
    tw = tds.GetLayer(0)
    towns = [(f.GetField("name"), f.GetField("name_zh"), f.GetGeometryRef().Clone()) for f in tw]
    pop = gdal.Open(f"{DEMO}/population.asc")
    gt = pop.GetGeoTransform()
    feats = list(lyr)
    check(len(feats) > 20, f"only {len(feats)} uncovered cells")
    for f in feats:
        lon, lat = f.GetField("lon"), f.GetField("lat")
        g = f.GetGeometryRef()
        x, y, _ = to_ll.TransformPoint(g.GetX(), g.GetY())
        check(abs(x - lon) < 1e-6 and abs(y - lat) < 1e-6, f"cell {f.GetField('rank')}: lon/lat {lon}, {lat}; geometry at {x}, {y}")
        # a cell centre of the population grid (the raster is in lon/lat)
        cx, cy = (lon - gt[0]) / gt[1] - 0.5, (lat - gt[3]) / gt[5] - 0.5
        check(abs(cx - round(cx)) < 1e-4 and abs(cy - round(cy)) < 1e-4, f"cell {f.GetField('rank')} is not on a cell centre: {cx}, {cy}")
        pt = ogr.Geometry(ogr.wkbPoint)
        pt.AddPoint_2D(lon, lat)
        inside = [n for n, _, geom in towns if geom.Contains(pt)]
        check(f.GetField("admin") and inside == [f.GetField("admin")], f"cell {f.GetField('rank')}: admin {f.GetField('admin')}, inside {inside}")
    for lang in ("zh", "en"):
        html = open(os.path.join(out, f"report_{lang}.html"), encoding="utf-8").read()
        head = "未覆盖的人口格网" if lang == "zh" else "Uncovered population cells"
        sec = html[html.find(head):]
        sec = sec[:sec.find("</table>")]
        check("位置" in sec if lang == "zh" else "Location (lat, lon)" in sec, f"report_{lang}: no location column")
        rows = re.findall(r"<tr><td>(\d+)</td>(.*?)</tr>", sec)
        check(len(rows) == 20, f"report_{lang}: {len(rows)} uncovered rows")
        for rank, cells in rows:
            f = feats[int(rank) - 1]
            want = f"{f.GetField('lat'):.5f}, {f.GetField('lon'):.5f}"
            check(want in cells, f"report_{lang} rank {rank}: no location {want} in {cells}")
            zh = next(z for n, z, _ in towns if n == f.GetField("admin"))
            check((zh if lang == "zh" else f.GetField("admin")) in cells, f"report_{lang} rank {rank}: township missing in {cells}")
    # without townships: no empty township column, the place still given
    out2 = os.path.join(tmp, "noadmin")
    run(["coverage", "--roads", f"{DEMO}/roads.geojson", "--population", f"{DEMO}/population.asc", "--facilities",
         f"{DEMO}/facilities.csv", "--out", out2, "--quiet", "--lang", "en"])
    html = open(os.path.join(out2, "report_en.html"), encoding="utf-8").read()
    sec = html[html.find("Uncovered population cells"):]
    sec = sec[:sec.find("</table>")]
    check("Township" not in sec and "Location (lat, lon)" in sec, "report without townships: empty township column or no location")


def ll_srs():
    from osgeo import osr
    s = osr.SpatialReference()
    s.ImportFromEPSG(4326)
    s.SetAxisMappingStrategy(osr.OAMS_TRADITIONAL_GIS_ORDER)
    return s


def case_report_tables(tmp):
    """access_by_village.csv (BOM, one row per village, cross-checked against summary.json) and
    .xlsx; referrals.csv; tiers by level; the joined count of all facilities; 万; comparison.csv
    in whole persons with no-road and unreachable columns; batch and run stdout."""
    out = os.path.join(tmp, "villages")
    run(["coverage", "--roads", f"{DEMO}/roads.geojson", "--population", f"{DEMO}/villages.geojson", "--facilities",
         f"{DEMO}/facilities.csv", "--tier-field", "tier", "--admin", f"{DEMO}/townships.geojson", "--lang", "zh,en",
         "--out", out, "--quiet"])
    s = load_summary(out)
    # the referral table has a township column with townships, and none (not an empty one) without
    for adm, want in ((True, True), (False, False)):
        o2 = os.path.join(tmp, f"ref_{adm}")
        args = ["coverage", "--roads", f"{DEMO}/roads.geojson", "--population", f"{DEMO}/population.asc", "--facilities",
                f"{DEMO}/facilities.csv", "--tier-field", "tier", "--lang", "en", "--out", o2, "--quiet"]
        run(args + (["--admin", f"{DEMO}/townships.geojson"] if adm else []))
        h = open(os.path.join(o2, "report_en.html"), encoding="utf-8").read()
        ref = h[h.index("Referral:"):]
        ref = ref[:ref.index("</tr>")]
        check(("Township" in ref) == want, f"referral table header with admin areas={adm}: {ref}")
    raw = open(os.path.join(out, "access_by_village.csv"), "rb").read()
    check(raw.startswith(b"\xef\xbb\xbf"), "access_by_village.csv has no UTF-8 byte-order mark (Excel shows Chinese as garbage)")
    with open(os.path.join(out, "access_by_village.csv"), encoding="utf-8-sig", newline="") as f:
        rows = list(csv.DictReader(f))
    vds = ogr.Open(f"{DEMO}/villages.geojson")
    n_vil = vds.GetLayer(0).GetFeatureCount()
    check(len(rows) == n_vil, f"{len(rows)} rows for {n_vil} villages")
    check(len({r["village_id"] for r in rows}) == len(rows), "village ids repeat")
    check(any(r["name_zh"] and r["admin"] for r in rows), "no Chinese names or admin areas in access_by_village.csv")
    for r in rows:
        check(r["population_persons"].isdigit(), f"population is not whole persons: {r['population_persons']}")
        check(-180 <= float(r["lon"]) <= 180 and -90 <= float(r["lat"]) <= 90, f"lon/lat {r['lon']}, {r['lat']}")
    # independent check: the people within 30 minutes, all facilities and the county hospital
    for col, fig in (("minutes_all", s["population_within_min"]["30"]),
                     ("minutes_county_hospital", s["tiers"]["county_hospital"]["population_within_min"]["30"])):
        within = sum(int(r["population_persons"]) for r in rows if r[col] and float(r[col]) <= 30.0)
        edge = sum(int(r["population_persons"]) for r in rows if r[col] and 29.9 <= float(r[col]) <= 30.1)
        check(abs(within - fig) <= edge + len(rows), f"{col}: {within} people within 30 min in the table, {fig} in summary.json")
    unreached = [r for r in rows if not r["minutes_all"]]
    check(all(r["reason"] in ("no_road_access", "unreachable") for r in unreached) and unreached,
          f"unreached villages without a reason: {[(r['name'], r['reason']) for r in unreached]}")
    no_road = sum(int(r["population_persons"]) for r in rows if r["reason"] == "no_road_access")
    check(abs(no_road - s["population_no_road_access"]) <= len(rows), f"no road access: {no_road} vs {s['population_no_road_access']}")
    check(all(r["facility_all"] for r in rows if r["minutes_all"]), "a reached village without its facility's name")
    xl = ogr.Open(os.path.join(out, "access_by_village.xlsx"))
    check(xl is not None and xl.GetDriver().GetName() == "XLSX", "access_by_village.xlsx does not open as XLSX")
    xr = [f for f in xl.GetLayer(0)]
    check(len(xr) == len(rows), f"xlsx rows {len(xr)} vs csv {len(rows)}")
    check([f.GetField("name_zh") for f in xr] == [r["name_zh"] for r in rows], "xlsx and csv names differ")

    # referrals: each township health centre to the county hospital; route at least the straight line
    with open(os.path.join(out, "referrals.csv"), encoding="utf-8-sig", newline="") as f:
        refs = list(csv.DictReader(f))
    thc = [n for n in (r2 for r2 in read_rows(f"{DEMO}/facilities.csv")[1:]) if n[4] == "township_health_centre"]
    check(len(refs) == len(thc), f"{len(refs)} referral rows for {len(thc)} township health centres")
    tt = gdal.Open(os.path.join(out, "travel_time.tif"))
    band = next(b for b in range(1, tt.RasterCount + 1) if "county_hospital" in (tt.GetRasterBand(b).GetDescription() or ""))
    inv = gdal.InvGeoTransform(tt.GetGeoTransform())
    for r in refs:
        check(r["to_name_zh"] == "青山县人民医院" and r["to_tier"] == "county_hospital", f"referral target {r}")
        m, km, sk = float(r["minutes"]), float(r["route_km"]), float(r["straight_km"])
        check(0 < m < 60 and km >= sk * 0.999 and km < sk * 3 + 2, f"referral {r['from_name']}: {m} min, {km} km, {sk} km straight")
        # against the travel-time raster at the centre's place (the raster's cell, not the point: loose)
        fac = next(n for n in thc if n[2] == r["from_name"])
        from osgeo import osr
        src = osr.SpatialReference()
        src.ImportFromEPSG(4326)
        src.SetAxisMappingStrategy(osr.OAMS_TRADITIONAL_GIS_ORDER)
        dst = osr.SpatialReference(wkt=tt.GetProjection())
        dst.SetAxisMappingStrategy(osr.OAMS_TRADITIONAL_GIS_ORDER)
        x, y, _ = osr.CoordinateTransformation(src, dst).TransformPoint(float(fac[0]), float(fac[1]))
        px, py = gdal.ApplyGeoTransform(inv, x, y)
        v = tt.GetRasterBand(band).ReadAsArray(int(px), int(py), 1, 1)[0][0]
        check(abs(v - m) < 3.0, f"referral {r['from_name']}: {m} min, travel-time raster {v:.1f} min there")

    html = open(os.path.join(out, "report_zh.html"), encoding="utf-8").read()
    check("万" in html and "转诊" in html and "青山县人民医院" in html, "report_zh.html: no 万 or no referral table")
    check("<td>33</td><td>32</td>" in html, "the all-facilities row does not say how many joined the network")
    # the township chart: one bar per township of coverage_by_admin, lowest share within 30 minutes
    # of the headline tiers (capable care, as the key figures) first, each bar's figure that
    # township's share (from the GeoPackage, not from the report)
    cds = ogr.Open(os.path.join(out, "coverage.gpkg"))
    adm = [(f.GetField("name_zh"), f.GetField("name"), f.GetField("head_pop_le_30") / f.GetField("population"))
           for f in cds.GetLayerByName("coverage_by_admin")]
    adm.sort(key=lambda a: a[2])
    for lang, head in (("zh", "按乡镇的行车时间分布"), ("en", "Population by travel time, per township")):
        page = open(os.path.join(out, f"report_{lang}.html"), encoding="utf-8").read()
        check(head in page, f"report_{lang}: no township chart")
        svg = page[page.find("<svg", page.find(head)):]
        svg = svg[:svg.find("</svg>")]
        names = re.findall(r'text-anchor="end">([^<]+)</text>', svg)
        shares = [float(x) for x in re.findall(r">([\d.]+)%</text>", svg)]
        want = [a[0] if lang == "zh" else a[1] for a in adm]
        check(names == want, f"report_{lang}: township bars {names}, expected by share {want}")
        check(len(shares) == len(adm) and all(abs(s - 100 * a[2]) < 0.051 for s, a in zip(shares, adm)),
              f"report_{lang}: bar shares {shares} vs {[round(100 * a[2], 1) for a in adm]}")
        check(svg.count("<rect") >= len(adm) + 4, f"report_{lang}: township chart draws too few bars")

    # tiers by level, not alphabetically, in the report and on stdout
    out2 = os.path.join(tmp, "levels")
    p = run(["coverage", "--roads", f"{DEMO}/roads.geojson", "--population", f"{DEMO}/population.asc", "--facilities",
             f"{DEMO}/facilities.csv", "--tier-field", "tier", "--tiers",
             "county_hospital=hospital,township_health_centre=health_centre,village_clinic=health_post,emergency_station=ambulance",
             "--lang", "en", "--out", out2])
    lines = [l.split()[0] for l in p.stdout.splitlines()[3:7]]
    check(lines == ["hospital", "ambulance", "health_centre", "health_post"], f"stdout tiers not by level: {lines}")
    # a raster: blocks of cells whose people add up to the total
    with open(os.path.join(out2, "access_by_village.csv"), encoding="utf-8-sig", newline="") as f:
        blocks = list(csv.DictReader(f))
    s2 = load_summary(out2)
    people = sum(int(b["population_persons"]) for b in blocks)
    check("block_id" in blocks[0] and 10 < len(blocks) < 5000, f"raster access table: {len(blocks)} blocks")
    check(abs(people - s2["population_total"]) <= len(blocks), f"blocks hold {people} people, summary.json {s2['population_total']}")
    html = open(os.path.join(out2, "report_en.html"), encoding="utf-8").read()
    pos = [html.find(w) for w in (">Hospital<", ">Health centre<", ">Health post<")]
    check(-1 not in pos and pos == sorted(pos), f"report tiers not by level: {pos}")

    # run prints its own name
    sc = os.path.join(tmp, "s.yaml")
    with open(sc, "w") as f:
        f.write(f"""name: s
inputs:
  roads: {os.path.abspath(DEMO)}/roads.geojson
  population: {os.path.abspath(DEMO)}/population.asc
  facilities: {os.path.abspath(DEMO)}/facilities.csv
  tier_field: tier
report:
  maps: false
""")
    p = run(["run", sc, "--out", os.path.join(tmp, "run")])
    check(p.stdout.startswith("carecircle run:"), f"run's header: {p.stdout.splitlines()[0]}")

    # comparison.csv: whole persons, no-road and unreachable; batch stdout: the change within 30 min
    bout = os.path.join(tmp, "batch")
    p = run(["batch", f"{DEMO}/batch.yaml", "--out", bout, "--jobs", "2", "--lang", "zh"])
    with open(os.path.join(bout, "comparison.csv"), newline="") as f:
        cmp_rows = list(csv.DictReader(f))
    for r in cmp_rows:
        for k, v in r.items():
            if k.startswith(("pop", "delta")) or k == "population":
                check(v == "" or re.fullmatch(r"-?\d+", v), f"comparison.csv {k} = {v!r} is not whole persons")
    tot = {r["scenario"]: r for r in cmp_rows if r["admin_name"] == "total"}
    base = load_summary(os.path.join(bout, "base"))
    check(int(tot["base"]["pop_no_road_access"]) == round(base["population_no_road_access"]) and
          int(tot["base"]["pop_unreachable"]) == round(base["population_unreachable"]), f"no-road/unreachable {tot['base']}")
    cut = load_summary(os.path.join(bout, "road_19_closed"))
    check(int(tot["road_19_closed"]["pop_unreachable"]) == round(cut["population_unreachable"]) and cut["population_unreachable"] > 0,
          "the closed road's unreachable people are not in comparison.csv")
    # all facilities in the pop_le_/delta_le_ columns; the headline tiers' (capable care: what the
    # maps and key figures count) in head_*, which stdout, the report and the comparison map show
    want_all = round(cut["population_within_min"]["30"]) - round(base["population_within_min"]["30"])
    want = round(cut["headline"]["population_within_min"]["30"]) - round(base["headline"]["population_within_min"]["30"])
    check(int(tot["road_19_closed"]["delta_le_30"]) == want_all and int(tot["road_19_closed"]["head_delta_le_30"]) == want
          and tot["road_19_closed"]["headline_tiers"] == "county_hospital" and want != want_all,
          f"comparison.csv changes: all {tot['road_19_closed']['delta_le_30']} (want {want_all}), "
          f"headline {tot['road_19_closed']['head_delta_le_30']} (want {want})")
    line = next(l for l in p.stdout.splitlines() if l.startswith("road_19_closed"))
    check(f"({want:+,})" in line and "within 30 min" in p.stdout and "headline tiers: county_hospital" in p.stdout,
          f"batch stdout lacks the headline's change {want:+,}: {line!r}")
    bh = open(os.path.join(bout, "report_zh.html"), encoding="utf-8").read()
    check("青石路（第19段）中断" in bh and "东岭镇" in bh, "batch report lacks the variants' Chinese titles or township names")
    check("方案比较（到最近县医院）" in bh, "batch report does not say it compares the county hospital's figures")
    row = bh[bh.find("方案比较（到最近县医院）"):]
    row = row[row.find("青石路（第19段）中断"):]
    row = row[:row.find("</tr>")]
    head_30 = cut["headline"]["population_within_min"]["30"] / cut["population_total"]
    check(f"({100 * head_30:.1f}%)" in row, f"batch report row of road_19_closed lacks the headline's 30-min share {100 * head_30:.1f}%: {row[:300]}")


def case_batch_headline_columns(tmp):
    """Several headline tiers, and names longer than any fixed buffer: comparison.csv keeps the
    whole tier list (quoted: it holds commas), each variant's head_delta_le_T is against the base
    counting the same tiers, and batch's stdout table reads the right columns of that quoted CSV."""
    long_a = "county_hospital_" + "a" * 300
    long_b = "township_health_centre_" + "b" * 300
    for name, tiers, head in (("two", None, ["county_hospital", "township_health_centre"]),
                              ("long", {"county_hospital": long_a, "township_health_centre": long_b,
                                        "emergency_station": "emergency_station", "village_clinic": "village_clinic"},
                                       [long_a, long_b])):
        d = os.path.join(tmp, name)
        os.makedirs(d)
        inputs = {"roads": f"{DEMO}/roads.geojson", "population": f"{DEMO}/villages.geojson",
                  "population_field": "population", "facilities": f"{DEMO}/facilities.csv", "tier_field": "tier"}
        if tiers:
            inputs["tiers"] = tiers
        with open(os.path.join(d, "base.yaml"), "w", encoding="utf-8") as f:
            json.dump({"name": name, "inputs": inputs, "headline": head, "minutes": [15, 30, 60],
                       "report": {"maps": False}}, f)  # JSON is YAML
        with open(os.path.join(d, "batch.yaml"), "w", encoding="utf-8") as f:
            f.write("base: base.yaml\nvariants:\n  - name: road_19_closed\n    set:\n      closed_roads: {way_ids: [19]}\n")
        out = os.path.join(d, "out")
        p = run(["batch", os.path.join(d, "batch.yaml"), "--out", out, "--jobs", "1"])
        with open(os.path.join(out, "comparison.csv"), newline="", encoding="utf-8-sig") as f:
            tot = {r["scenario"]: r for r in csv.DictReader(f) if r["admin_name"] == "total"}
        cut = load_summary(os.path.join(out, "road_19_closed"))
        base = load_summary(os.path.join(out, "base"))
        check(tot["road_19_closed"]["headline_tiers"] == ",".join(head),
              f"{name}: comparison.csv headline_tiers is {len(tot['road_19_closed']['headline_tiers'])} characters, "
              f"want the {len(','.join(head))} of {','.join(head)[:60]}...")
        pop = round(cut["headline"]["population_within_min"]["30"])
        want = pop - round(base["headline"]["population_within_min"]["30"])
        check(tot["road_19_closed"]["head_delta_le_30"] != "" and int(tot["road_19_closed"]["head_delta_le_30"]) == want,
              f"{name}: head_delta_le_30 {tot['road_19_closed']['head_delta_le_30']!r}, want {want}")
        line = next(l for l in p.stdout.splitlines() if l.startswith("road_19_closed"))
        check(f"{pop:,} ({want:+,})" in line, f"{name}: batch stdout {line!r}, want {pop:,} ({want:+,})")
        check(f"headline tiers: {', '.join(head)})" in p.stdout, f"{name}: batch stdout does not name the headline tiers: "
              f"{[l for l in p.stdout.splitlines() if 'headline' in l]}")


def case_site_tables(tmp):
    """A siting report says which figure is which: the headline counts the fixed tiers with the
    proposed sites and gives today's figure beside it; the tier table has the existing facilities
    (before) and the same with the proposed sites (after), each equal to summary.json, and no dash
    for figures a siting run does not compute; zh and en."""
    out = os.path.join(tmp, "site")
    run(["site", "--roads", f"{DEMO}/roads.geojson", "--population", f"{DEMO}/population.asc", "--facilities",
         f"{DEMO}/facilities.csv", "--fixed-tiers", "county_hospital", "--candidate-roads", "all", "-p", "2",
         "--minutes", "30", "--lang", "zh,en", "--out", out, "--quiet"])
    s = load_summary(out)
    before, after, total = s["coverage"]["covered_before"], s["coverage"]["covered_after"], s["coverage"]["population_total"]
    n_new = len(s["proposed_sites"])
    check(after - before > 100 and n_new == 2, f"the case must gain people with 2 sites: {before} -> {after}, {n_new} sites")
    for lang, fmt, head, rows in (
            ("en", lambda v: f"{v:,.0f} ({100 * v / total:.1f}%)", "Key figures count county hospital and the proposed sites",
             ("Existing facilities (County hospital)", "Existing facilities + proposed sites")),
            ("zh", lambda v: f"{v / 1e4:.2f} 万 ({100 * v / total:.1f}%)", "县医院及建议新址",
             ("现有机构（县医院）", "现有机构 + 建议新址"))):
        page = open(os.path.join(out, f"report_{lang}.html"), encoding="utf-8").read()
        hl = page[page.index('<p class="headline">'):]
        hl = hl[:hl.index("</p>")]
        check(head in hl and fmt(after) in hl and fmt(before) in hl, f"report_{lang} headline: {hl}")
        i = page.index(rows[0])
        table = page[page.rindex("<table", 0, i):page.index("</table>", i)]
        check("–" not in table, f"report_{lang}: a dash in the tier table: {table}")
        tr = table.split("<tr>")
        r1 = next(t for t in tr if rows[0] in t)
        r2 = next(t for t in tr if rows[1] in t)
        n1 = int(r1.split("<td>")[1].split("</td>")[0])
        n2 = int(r2.split("<td>")[1].split("</td>")[0])
        check(n2 == n1 + n_new, f"report_{lang}: {n1} existing and {n2} with {n_new} proposed sites")
        check(fmt(before) in r1 and fmt(after) in r2, f"report_{lang}: tier rows {r1} / {r2}, want {fmt(before)} / {fmt(after)}")
    # a time model ranks its sites by the mean time they save: that is the gain column, not a dash
    pm = os.path.join(tmp, "pmedian")
    run(["site", "--roads", f"{DEMO}/roads.geojson", "--population", f"{DEMO}/population.asc", "--facilities",
         f"{DEMO}/facilities.csv", "--fixed-tiers", "county_hospital", "--candidate-roads", "all", "--model", "pmedian",
         "-p", "2", "--minutes", "30", "--lang", "zh,en", "--out", pm, "--quiet"])
    saved = [p["mean_minutes_saved"] for p in load_summary(pm)["proposed_sites"]]
    for lang, label in (("en", "Mean time saved (minutes)"), ("zh", "平均时间缩短（分钟）")):
        page = open(os.path.join(pm, f"report_{lang}.html"), encoding="utf-8").read()
        sites = page[page.index(f"<th>{label}</th>"):]
        sites = sites[:sites.index("</table>")]
        cells = [r.split("<td>")[-1].split("</td>")[0] for r in sites.split("<tr>")[1:]]
        check(cells == [f"{v:.2f}" for v in saved], f"report_{lang}: gain column {cells}, summary.json {saved}")


if __name__ == "__main__":
    sys.exit(main(globals(), __doc__))
