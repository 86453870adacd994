#!/usr/bin/env python3
"""Generate the carecircle demo district: fictional Qingshan County (青山县), Shandong, China.

    python3 scripts/make_demo_data.py datasets/demo

Writes roads.geojson, population.asc + .prj, villages.geojson, facilities.csv, townships.geojson
and README.md, and prints counts and totals. Python 3.9+ standard library only; deterministic
(random.Random(SEED) consumed in a fixed order, random.Random(SEED + 1) for the terrain, coordinates
rounded to 7 decimals). Takes about 6 seconds.

Everything is laid out in a local km frame (x east, y north) around 117.6E 34.85N over a smooth
pseudo-elevation. Roads are least-cost paths on a 150 m grid (cost = length x friction from height
and slope), smoothed and simplified; a new road stops where it meets the network and ends on a
vertex inserted into that road. A final pass nodes every crossing (a shared vertex in both lines)
except one deliberate bridge. Population = one gaussian kernel per settlement + a little dispersed.
"""
import csv, heapq, json, math, os, random, sys

SEED = 3704990
LON0, LAT0 = 117.60, 34.85                    # origin of the km frame
KX = 111.320 * math.cos(math.radians(LAT0))   # km per degree of longitude
KY = 110.95                                   # km per degree of latitude
G = 0.15                                      # road-layout grid step, km
XMIN, YMIN, NX, NY = -16.5, -14.0, 221, 187   # road-layout grid: 33 x 28 km
CELL = 0.0025                                 # population raster cell, degrees
TOWN = (-3.0, -2.0)                           # county town centre, km
NOT_DRIVABLE = ("path", "footway")
PRJ = ('GEOGCS["GCS_WGS_1984",DATUM["D_WGS_1984",SPHEROID["WGS_1984",6378137.0,298.257223563]],'
       'PRIMEM["Greenwich",0.0],UNIT["Degree",0.0174532925199433]]')
# code, pinyin, Chinese, seat (km), sector of angles around TOWN (degrees, counter-clockwise)
TOWNSHIPS = [("370499101", "Qingshan", "青山镇", TOWN, None),
             ("370499102", "Liuhe", "柳河镇", (-11.0, -3.2), (155, 225)),
             ("370499103", "Dongling", "东岭镇", (9.5, -0.5), (325, 385)),
             ("370499104", "Nanzhuang", "南庄镇", (1.5, -8.5), (225, 325)),
             ("370499105", "Baima", "白马镇", (-8.0, 6.0), (85, 155)),
             ("370499201", "Shimen", "石门乡", (5.0, 6.5), (25, 85))]
HILLS = [(10.0, 8.5, 3.0, 330), (-10.5, 9.5, 2.6, 200), (9.0, -8.5, 3.0, 170),   # x, y, sigma km, m
         (-11.0, -10.0, 2.2, 110), (-1.0, 6.0, 2.2, 120), (-4.0, -6.5, 1.5, 70)]
TOWN_POINTS = [(0.0, 0.0, 24800, "Chengzhong", "城中"), (0.8, 0.45, 16300, "Chengdong", "城东"),  # km from
               (-0.85, 0.4, 15100, "Chengxi", "城西"), (0.1, -0.7, 14200, "Chengnan", "城南"),     # TOWN, people
               (-0.2, 0.75, 13600, "Chengbei", "城北")]
HILL_VILLAGES = [(12.5, 10.0), (7.5, 11.2), (12.6, 5.2), (10.0, 11.8), (-12.5, 10.5), (-9.0, 11.5),
                 (-13.0, 7.5), (11.5, -10.0), (7.0, -10.8), (12.3, -6.5), (-12.0, -10.0), (-8.8, -11.2)]
OCTAVES = [(7.0, 1.0, 0.3), (3.5, 0.5, 1.1), (1.75, 0.25, 2.0)]   # noise wavelength km, weight, rotation
_trng = random.Random(SEED + 1)
GRADS = [[[(math.cos(a), math.sin(a)) for a in [_trng.uniform(0, 2 * math.pi) for _ in range(int(60 / lam) + 3)]]
          for _ in range(int(60 / lam) + 3)] for lam, _, _ in OCTAVES]
SURNAMES = [("Liu", "刘"), ("Wang", "王"), ("Zhang", "张"), ("Li", "李"), ("Chen", "陈"), ("Yang", "杨"),
            ("Zhao", "赵"), ("Huang", "黄"), ("Zhou", "周"), ("Wu", "吴"), ("Xu", "徐"), ("Sun", "孙"),
            ("Ma", "马"), ("Zhu", "朱"), ("Hu", "胡"), ("Guo", "郭"), ("Gao", "高"), ("Lin", "林"),
            ("Song", "宋"), ("Han", "韩"), ("Feng", "冯"), ("Cao", "曹"), ("Tian", "田"), ("Dong", "董"),
            ("Jiang", "蒋"), ("Du", "杜"), ("Wei", "魏"), ("Kong", "孔"), ("Meng", "孟"), ("Yan", "颜"),
            ("Shi", "石"), ("Qin", "秦"), ("Lu", "鲁"), ("Pan", "潘"), ("Tang", "唐"), ("Bai", "白")]
VALLEY_SUFFIX = [("zhuang", "庄"), ("cun", "村"), ("tun", "屯"), ("ji", "集"), ("dian", "店"),
                 ("lou", "楼"), ("ying", "营"), ("wa", "洼"), ("zhai", "寨"), ("qiao", "桥")]
HILL_SUFFIX = [("yu", "峪"), ("gou", "沟"), ("ling", "岭"), ("po", "坡"), ("ping", "坪")]
PREFIX = [("Dong", "东"), ("Xi", "西"), ("Nan", "南"), ("Bei", "北"), ("Qian", "前"), ("Hou", "后"),
          ("Da", "大"), ("Xiao", "小"), ("Shang", "上"), ("Xia", "下")]

# ------------------------------------------------------------------ terrain and geometry helpers
def perlin(o, x, y):
    """Perlin gradient noise (about -0.7..0.7) of octave o, on a rotated lattice."""
    lam, _, rot = OCTAVES[o]
    u = (math.cos(rot) * x - math.sin(rot) * y + 28) / lam
    v = (math.sin(rot) * x + math.cos(rot) * y + 28) / lam
    i, j = int(u), int(v)
    fu, fv = u - i, v - j
    d = [GRADS[o][j + dj][i + di][0] * (fu - di) + GRADS[o][j + dj][i + di][1] * (fv - dj)
         for dj in (0, 1) for di in (0, 1)]
    wu, wv = fu ** 3 * (fu * (fu * 6 - 15) + 10), fv ** 3 * (fv * (fv * 6 - 15) + 10)
    a, b = d[0] + (d[1] - d[0]) * wu, d[2] + (d[3] - d[2]) * wu
    return a + (b - a) * wv

def elevation(x, y):
    """Pseudo-elevation in metres: gaussian massifs + folded Perlin noise (its creases are winding
    valleys), both damped along a west-east river plain through the county town."""
    hills = sum(a * math.exp(-((x - cx) ** 2 + (y - cy) ** 2) / (2 * s * s)) for cx, cy, s, a in HILLS)
    rough = 275 * sum(w * abs(perlin(o, x, y)) for o, (_, w, _) in enumerate(OCTAVES))
    v = math.exp(-((y + 2.2 - 1.3 * math.sin(0.33 * x + 0.5)) / 2.2) ** 2)
    return round(max(60 + 2.0 * y + (hills + rough * (0.5 + hills / 200)) * (1 - 0.8 * v) - 20 * v, 35.0), 2)

def dist(a, b):
    return math.hypot(a[0] - b[0], a[1] - b[1])

def lonlat(p):
    return [round(LON0 + p[0] / KX, 7), round(LAT0 + p[1] / KY, 7)]

def length(pts):
    return sum(dist(a, b) for a, b in zip(pts, pts[1:]))

def seg_project(p, a, b):
    """(t, distance) of the point of segment ab nearest to p."""
    dx, dy = b[0] - a[0], b[1] - a[1]
    L2 = dx * dx + dy * dy
    t = 0.0 if L2 == 0 else max(0.0, min(1.0, ((p[0] - a[0]) * dx + (p[1] - a[1]) * dy) / L2))
    return t, math.hypot(a[0] + t * dx - p[0], a[1] + t * dy - p[1])

def point_in_ring(p, ring):
    inside = False
    for (x1, y1), (x2, y2) in zip(ring, ring[1:] + ring[:1]):
        if (y1 > p[1]) != (y2 > p[1]) and p[0] < x1 + (p[1] - y1) * (x2 - x1) / (y2 - y1):
            inside = not inside
    return inside

def chaikin(pts, rounds):
    """Corner-cutting smoothing; both end points stay exact."""
    for _ in range(rounds):
        out = [pts[0]]
        for a, b in zip(pts, pts[1:]):
            out += [(0.75 * a[0] + 0.25 * b[0], 0.75 * a[1] + 0.25 * b[1]),
                    (0.25 * a[0] + 0.75 * b[0], 0.25 * a[1] + 0.75 * b[1])]
        pts = out[:1] + out[2:-1] + [pts[-1]]
    return pts

def simplify(pts, tol):
    """Douglas-Peucker; end points kept."""
    if len(pts) < 3:
        return pts
    d, i = max((seg_project(pts[i], pts[0], pts[-1])[1], i) for i in range(1, len(pts) - 1))
    return [pts[0], pts[-1]] if d <= tol else simplify(pts[:i + 1], tol)[:-1] + simplify(pts[i:], tol)

def seg_intersect(p1, p2, q1, q2):
    """(t, u) where segments p1p2 and q1q2 meet, None, or "overlap" (collinear, sharing a stretch)."""
    rx, ry, sx, sy = p2[0] - p1[0], p2[1] - p1[1], q2[0] - q1[0], q2[1] - q1[1]
    den, qx, qy = rx * sy - ry * sx, q1[0] - p1[0], q1[1] - p1[1]
    if abs(den) < 1e-14:
        L2 = rx * rx + ry * ry
        if L2 and abs(qx * ry - qy * rx) / math.sqrt(L2) < 1e-6:
            t0, t1 = sorted(((q[0] - p1[0]) * rx + (q[1] - p1[1]) * ry) / L2 for q in (q1, q2))
            if min(t1, 1) - max(t0, 0) > 1e-6:
                return "overlap"
        return None
    t, u = (qx * sy - qy * sx) / den, (qx * ry - qy * rx) / den
    return (t, u) if -1e-9 <= t <= 1 + 1e-9 and -1e-9 <= u <= 1 + 1e-9 else None

class SegIndex:
    """Distance from a point to the nearest segment of some lines (segments bucketed by midpoint)."""
    def __init__(self, lines):
        self.b = {}
        for pts in lines:
            for a, b in zip(pts, pts[1:]):
                self.b.setdefault((math.floor(a[0] + b[0]), math.floor(a[1] + b[1])), []).append((a, b))

    def dist(self, p, maxd):
        bx, by, n, d = math.floor(2 * p[0]), math.floor(2 * p[1]), int(2 * maxd) + 2, maxd
        for i in range(bx - n, bx + n + 1):
            for j in range(by - n, by + n + 1):
                for a, b in self.b.get((i, j), ()):
                    d = min(d, seg_project(p, a, b)[1])
        return d

# ------------------------------------------------------------------ district and townships
def build_district(rng):
    """Star-shaped outline (72 vertices, one every 5 degrees around the town); an inner ring and 5
    wiggly spokes cut it into 6 townships sharing exact vertices (no gaps, no overlaps)."""
    outer, inner, spokes, rings = {}, {}, {}, {}
    for a in range(0, 360, 5):
        u = (math.cos(math.radians(a)), math.sin(math.radians(a)))
        lo, hi = 0.0, 40.0
        for _ in range(40):              # bisection on the ray: superellipse |x/14.3|^4 + |y/12|^4 = 1
            mid = (lo + hi) / 2
            inside = ((TOWN[0] + mid * u[0]) / 14.3) ** 4 + ((TOWN[1] + mid * u[1]) / 12.0) ** 4 < 1
            lo, hi = (mid, hi) if inside else (lo, mid)
        r = math.radians(a)
        ro = lo * (1 + 0.04 * math.sin(3 * r + 0.7) + 0.025 * math.sin(7 * r + 2.1) + rng.uniform(-0.015, 0.015))
        ri = 5.0 + 0.8 * math.sin(2 * r + 0.4) + 0.4 * math.sin(5 * r + 1.0) + rng.uniform(-0.15, 0.15)
        outer[a] = (TOWN[0] + ro * u[0], TOWN[1] + ro * u[1])
        inner[a] = (TOWN[0] + ri * u[0], TOWN[1] + ri * u[1])
    for a in (25, 85, 155, 225, 325):
        spokes[a] = [inner[a]]
        for f in (0.2, 0.4, 0.6, 0.8):
            ang, r = math.radians(a + rng.uniform(-2.5, 2.5)), (1 - f) * dist(inner[a], TOWN) + f * dist(outer[a], TOWN)
            spokes[a].append((TOWN[0] + r * math.cos(ang), TOWN[1] + r * math.sin(ang)))
        spokes[a].append(outer[a])
    for code, _, _, _, sector in TOWNSHIPS:          # rings counter-clockwise (RFC 7946)
        if sector is None:
            rings[code] = [inner[a] for a in range(0, 360, 5)]
        else:
            a0, a1 = sector
            rings[code] = ([outer[a % 360] for a in range(a0, a1 + 1, 5)] + spokes[a1 % 360][-2:0:-1] +
                           [inner[a % 360] for a in range(a1, a0 - 1, -5)] + spokes[a0 % 360][1:-1])
    outer = [outer[a] for a in range(0, 360, 5)]

    def inside(p):                                   # O(1): the outline is star-shaped around TOWN
        i = int(math.degrees(math.atan2(p[1] - TOWN[1], p[0] - TOWN[0])) % 360 // 5) % 72
        (x1, y1), (x2, y2) = outer[i], outer[(i + 1) % 72]
        return (x2 - x1) * (p[1] - y1) - (y2 - y1) * (p[0] - x1) > 0
    return outer, rings, inside

# ------------------------------------------------------------------ road network
NB = [(di, dj, G * math.hypot(di, dj)) for di, dj in ((1, 0), (-1, 0), (0, 1), (0, -1), (1, 1), (1, -1),
      (-1, 1), (-1, -1), (1, 2), (2, 1), (-1, 2), (-2, 1), (1, -2), (2, -1), (-1, -2), (-2, -1))]

def node(p):
    return int(round((p[1] - YMIN) / G)) * NX + int(round((p[0] - XMIN) / G))

def centre(k):
    return (XMIN + (k % NX) * G, YMIN + (k // NX) * G)

class Net:
    """Roads in km plus an occupancy grid: index of a drivable road per grid node (dilated by 1)."""
    def __init__(self, fric, rng):
        self.roads, self.fric, self.occ, self.rng = [], fric, [-1] * (NX * NY), rng

    def add(self, pts, hw, name=None, surface="asphalt", oneway=None, maxspeed=None):
        pts = [p for i, p in enumerate(pts) if i == 0 or dist(p, pts[i - 1]) > 0.002]
        assert len(pts) >= 2, "degenerate road"
        self.roads.append(dict(highway=hw, name=name, surface=surface, oneway=oneway, maxspeed=maxspeed,
                               bridge=None, layer=None, pts=pts))
        idx = len(self.roads) - 1
        for a, b in zip(pts, pts[1:]) if hw not in NOT_DRIVABLE else ():
            n = max(1, int(dist(a, b) / (G / 3)))
            for s in range(n + 1):
                k = node((a[0] + (b[0] - a[0]) * s / n, a[1] + (b[1] - a[1]) * s / n))
                for kk in (k + dj + di for dj in (-NX, 0, NX) for di in (-1, 0, 1)):
                    if 0 <= kk < NX * NY and self.occ[kk] < 0:
                        self.occ[kk] = idx
        return idx

    def connect(self, idx, p, insert=True):
        """Junction on road idx nearest to p: an existing vertex within 20 m, else a new vertex."""
        pts = self.roads[idx]["pts"]
        s = min(range(len(pts) - 1), key=lambda i: seg_project(p, pts[i], pts[i + 1])[1])
        t = seg_project(p, pts[s], pts[s + 1])[0]
        q = (pts[s][0] + t * (pts[s + 1][0] - pts[s][0]), pts[s][1] + t * (pts[s + 1][1] - pts[s][1]))
        for v in (pts[s], pts[s + 1]):
            if dist(q, v) < 0.02:
                return v
        if insert:
            pts.insert(s + 1, q)
        return q

    def nearest(self, p, skip=None):
        """(distance km, road index) of the nearest drivable road other than `skip`."""
        return min((seg_project(p, a, b)[1], i) for i, r in enumerate(self.roads)
                   if r["highway"] not in NOT_DRIVABLE and i != skip for a, b in zip(r["pts"], r["pts"][1:]))

    def search(self, start, goal=None, stop=None, avoid=lambda r: True, block=lambda r: False):
        """A* to goal, or Dijkstra until stop(node); returns the node path. Nodes of roads with
        avoid(road) cost 3x (no running alongside); those with block(road) are closed beyond 300 m."""
        s, g = node(start), (node(goal) if goal else None)
        best, prev, heap = {s: 0.0}, {}, [(0.0, 0.0, s)]
        while heap:
            _, d, k = heapq.heappop(heap)
            if d > best[k]:
                continue
            if k == g or (stop is not None and k != s and stop(k)):
                path = [k]
                while path[-1] in prev:
                    path.append(prev[path[-1]])
                return path[::-1]
            i, j = k % NX, k // NX
            for di, dj, L in NB:
                if 0 <= i + di < NX and 0 <= j + dj < NY:
                    n, x, y = k + dj * NX + di, XMIN + (i + di) * G, YMIN + (j + dj) * G
                    o = self.occ[n]
                    if o >= 0 and block(o) and math.hypot(x - start[0], y - start[1]) > 0.3:
                        continue
                    nd = d + L * (self.fric[k] + self.fric[n]) / 2 * (3.0 if o >= 0 and avoid(o) else 1.0)
                    if nd < best.get(n, 1e18):
                        best[n], prev[n] = nd, k
                        heapq.heappush(heap, (nd + (math.hypot(x - goal[0], y - goal[1]) if goal else 0.0), nd, n))
        return None

    def lay(self, start, path, end):
        """Geometry of a searched road: exact ends, grid nodes smoothed (Chaikin), a small meander
        across the road (like hand-digitised OSM ways, tapering to 0 at both ends), simplified to 2 m."""
        pts = chaikin([start] + [centre(k) for k in path[1:-1]] + [end], 3)
        f1, f2, s, total, out = self.rng.uniform(0, 6.3), self.rng.uniform(0, 6.3), 0.0, length(pts), [pts[0]]
        for a, p, b in zip(pts, pts[1:], pts[2:]):
            s += dist(a, p)
            off = min(1.0, s / 0.1, (total - s) / 0.1) * (0.012 * math.sin(s / 0.35 * 6.283 + f1) +
                                                          0.006 * math.sin(s / 0.13 * 6.283 + f2))
            out.append((p[0] - (b[1] - a[1]) / dist(a, b) * off, p[1] + (b[0] - a[0]) / dist(a, b) * off))
        return simplify(out + [pts[-1]], 0.002)

    def link(self, start, hw, ok=lambda k, r: True, avoid=lambda r: False, block=lambda r: False, **tags):
        """Road from start to the nearest drivable road r, at grid node k more than 300 m away with
        ok(k, r); it ends on a junction vertex of r. Returns the new road index, or None."""
        stop = lambda k: self.occ[k] >= 0 and dist(centre(k), start) > 0.3 and ok(k, self.occ[k])
        path = self.search(start, stop=stop, avoid=avoid, block=block)
        if path is None:
            return None
        return self.add(self.lay(start, path, self.connect(self.occ[path[-1]], centre(path[-1]))), hw, **tags)

def crossings(roads, skip=()):
    """Points where two segments meet that are not yet a vertex of both: (road, seg, road, seg, point).
    A crossing within 3 m of a segment end snaps to it. Segments bucketed on a 0.3 km grid."""
    buckets, seen, out = {}, set(), []
    for ri, r in enumerate(roads):
        for si, (a, b) in enumerate(zip(r["pts"], r["pts"][1:])):
            for bx in range(math.floor(min(a[0], b[0]) / 0.3), math.floor(max(a[0], b[0]) / 0.3) + 1):
                for by in range(math.floor(min(a[1], b[1]) / 0.3), math.floor(max(a[1], b[1]) / 0.3) + 1):
                    buckets.setdefault((bx, by), []).append((ri, si))
    for key in sorted(buckets):
        lst = buckets[key]
        for m in range(len(lst)):
            for n in range(m + 1, len(lst)):
                (ri, si), (rj, sj) = lst[m], lst[n]
                if (ri == rj and abs(si - sj) <= 1) or (ri, si, rj, sj) in seen or (ri, rj) in skip:
                    continue
                seen.add((ri, si, rj, sj))
                (p1, p2), (q1, q2) = roads[ri]["pts"][si:si + 2], roads[rj]["pts"][sj:sj + 2]
                tu = seg_intersect(p1, p2, q1, q2)
                if tu == "overlap":
                    raise RuntimeError("roads %d and %d overlap" % (ri, rj))
                if tu is not None:
                    x = (p1[0] + tu[0] * (p2[0] - p1[0]), p1[1] + tu[0] * (p2[1] - p1[1]))
                    d, e = min((dist(x, e), e) for e in (p1, p2, q1, q2))
                    x = e if d < 0.003 else x
                    if not (x in (p1, p2) and x in (q1, q2)):
                        out.append((ri, si, rj, sj, x))
    return out

def node_all(roads, skip):
    """Insert a shared vertex at every crossing (except the road pairs in skip); returns the count."""
    total = 0
    for _ in range(5):
        found, ins = crossings(roads, skip), {}
        if not found:
            return total
        total += len(found)
        for ri, si, rj, sj, x in found:
            for r, s in ((ri, si), (rj, sj)):
                a, b = roads[r]["pts"][s:s + 2]
                if x not in (a, b):
                    ins.setdefault(r, []).append((s, seg_project(x, a, b)[0], x))
        for r, extra in ins.items():
            pts, new = roads[r]["pts"], []
            for s, p in enumerate(pts):
                new.append(p)
                new += [x for s2, _, x in sorted(set(extra)) if s2 == s and x != p]
            roads[r]["pts"] = [p for i, p in enumerate(new) if i == 0 or p != new[i - 1]]
    raise RuntimeError("noding did not converge")

# ------------------------------------------------------------------ settlements
def village_name(rng, used, hill):
    """Pinyin + Chinese name: 刘家庄 Liujiazhuang, 东王庄 Dongwangzhuang, 张峪 Zhangyu ..."""
    while True:
        (sp, sz), (xp, xz) = rng.choice(SURNAMES), rng.choice(HILL_SUFFIX if hill else VALLEY_SUFFIX)
        form = rng.random()
        if form < 0.5:
            py, zh = sp + "jia" + xp, sz + "家" + xz
        elif form < 0.75:
            pp, pz = rng.choice(PREFIX)
            py, zh = pp + sp.lower() + xp, pz + sz + xz
        else:
            py, zh = sp + xp, sz + xz
        if zh not in used:
            used.add(zh)
            return py, zh

def place_villages(rng, inside, outer, used):
    """86 valley villages by rejection sampling (low, locally concave ground, >= 1.3 km apart), then
    small hill villages at fixed spots (moved toward the town until 0.8 km inside the district)."""
    seats = [t[3] for t in TOWNSHIPS]
    margin = lambda p: min(seg_project(p, outer[i], outer[(i + 1) % 72])[1] for i in range(72))
    vs = []
    while len(vs) < 86:
        p = (rng.uniform(-15, 15), rng.uniform(-12.5, 12.5))
        if not inside(p):
            continue
        h = elevation(*p)
        ring = sum(elevation(p[0] + math.cos(a) * 0.8, p[1] + math.sin(a) * 0.8) for a in range(6)) / 6
        if (h > 230 or h - ring > 6 or rng.random() > math.exp(-(h - 60) / 70) or dist(p, TOWN) < 2.8
                or min(dist(p, s) for s in seats[1:]) < 1.3 or any(dist(p, v["xy"]) < 1.3 for v in vs)
                or margin(p) < 0.8):
            continue
        pop = int(min(4200, max(500, rng.lognormvariate(math.log(1750), 0.45))))
        vs.append(dict(xy=p, pop=pop, kind="village", sigma=0.16 + pop / 25000.0))
    for p in HILL_VILLAGES:
        pop = rng.randrange(200, 800, 10)
        while margin(p) < 0.8 or not inside(p):
            d = dist(p, TOWN)
            p = (p[0] + (TOWN[0] - p[0]) * 0.3 / d, p[1] + (TOWN[1] - p[1]) * 0.3 / d)
        if all(dist(p, v["xy"]) >= 1.0 for v in vs):
            vs.append(dict(xy=p, pop=pop, kind="hill", sigma=0.12))
    for v in vs:
        v["name"], v["name_zh"] = village_name(rng, used, v["kind"] == "hill")
    return vs

# ------------------------------------------------------------------ the district's road network
def build_roads(rng, outer, inside, villages):
    """Lay out all roads; returns (roads, index of the bridge way, index of the track under it, noded)."""
    H = [elevation(*centre(k)) for k in range(NX * NY)]
    phase, fric = [rng.uniform(0, 2 * math.pi) for _ in range(3)], [0.0] * (NX * NY)
    for k in range(NX * NY):                  # friction: 1 + height + slope + texture; x6 outside
        (x, y), i, j = centre(k), k % NX, k // NX
        slope = math.hypot(H[k + (i < NX - 1)] - H[k - (i > 0)],
                           H[k + NX * (j < NY - 1)] - H[k - NX * (j > 0)]) / (2000 * G)
        texture = (2 + math.sin(1.3 * x + phase[0]) * math.sin(1.1 * y + phase[1])
                   + math.sin(2.9 * x - 2.3 * y + phase[2]))
        f = 1 + 0.008 * max(0.0, H[k] - 60) + 50 * slope + 0.15 * texture
        fric[k] = round(f * (1 if inside((x, y)) else 6), 4)
    net, seat = Net(fric, rng), {t[0]: t[3] for t in TOWNSHIPS}

    # County town: a jittered street grid; its middle row is the primary road (青山大道, 40 km/h).
    N = {(c, r): (TOWN[0] + 0.45 * (c - 3) + rng.uniform(-0.03, 0.03),
                  TOWN[1] + 0.4 * (r - 2) + rng.uniform(-0.03, 0.03)) for c in range(7) for r in range(5)}
    net.add([N[c, 2] for c in range(7)], "primary", "青山大道", maxspeed="40")
    for r, name, c0, c1, ow in ((0, "和平路", 1, 5, None), (1, "解放路", 0, 6, "-1"),
                                (3, "文化路", 0, 6, "yes"), (4, "建设路", 1, 5, None)):      # west to east
        net.add([N[c, r] for c in range(c0, c1 + 1)], "residential", name, oneway=ow)
    for c, name, rows, ow in ((0, "西环路", (1, 2, 3), None), (1, "西关街", range(5), None),
                              (2, "胜利街", range(4, -1, -1), "yes"), (3, "青年路", range(5), None),
                              (4, "新华街", range(5), "yes"), (5, "东关街", range(5), None),
                              (6, "东环路", (1, 2, 3), None)):                                  # south to north
        net.add([N[c, r] for r in rows], "tertiary" if c == 3 else "residential", name, oneway=ow,
                surface=None if c in (0, 6) else "asphalt")
    # Primary road 省道318: west end of the avenue -> Liuhe -> district edge; east end -> Dongling -> edge.
    for end, via, ang in ((N[0, 2], seat["370499102"], 180), (N[6, 2], seat["370499103"], 0)):
        r = dist(outer[ang // 5], TOWN) + 0.4
        exit_ = (TOWN[0] + r * math.cos(math.radians(ang)), TOWN[1] + r * math.sin(math.radians(ang)))
        path = net.search(end, goal=via) + net.search(via, goal=exit_)[1:]
        net.add(net.lay(end, path, exit_), "primary", "省道318")
    # Secondary roads: township seats -> county town; residential streets in the seats; seat -> seat.
    named = {}
    for code, name in (("370499104", "青南路"), ("370499105", "青白路"), ("370499201", "青石路")):
        named[name] = net.link(seat[code], "secondary", ok=lambda k, r: dist(centre(k), TOWN) < 2.0,
                               avoid=lambda r: True, name=name, maxspeed="60" if name == "青南路" else None)
    for t in TOWNSHIPS[1:]:
        for n, street in enumerate(("中心街", "兴业路", "商贸街", "育才路")):
            a = math.radians(90 * n + rng.uniform(20, 70))
            p = (t[3][0] + 0.55 * math.cos(a), t[3][1] + 0.55 * math.sin(a))
            if net.occ[node(p)] < 0:
                net.link(p, "residential", name=street)
    for a, b, name in (("370499105", "370499102", "白柳路"), ("370499201", "370499103", "石东路"),
                       ("370499104", "370499103", "南东路")):
        named[name] = net.link(seat[a], "secondary", ok=lambda k, r: dist(centre(k), seat[b]) < 1.0,
                               avoid=lambda r: True, name=name)

    # Villages, nearest to the town first: a road to the nearest road (tertiary for big villages far
    # out, else unclassified), a track for hill villages. Villages already on a road get none.
    first_tertiary = True
    villages.sort(key=lambda v: dist(v["xy"], TOWN))
    for v in villages:
        v["road"] = None
        if net.occ[node(v["xy"])] >= 0:
            continue
        if v["kind"] == "hill":
            v["road"] = net.link(v["xy"], "track", surface=rng.choice(("unpaved", "gravel")))
            continue
        v["road"] = idx = net.link(v["xy"], "unclassified")
        if v["pop"] >= 1800 and length(net.roads[idx]["pts"]) > 1.2:
            net.roads[idx].update(highway="tertiary", name=v["name_zh"] + "路",
                                  maxspeed="40" if first_tertiary else None)
            first_tertiary = False
        else:
            net.roads[idx]["surface"] = rng.choice(("concrete", "concrete", "asphalt", "asphalt", "paved",
                                                    "gravel", "unpaved"))
    # Loops: from every 4th village a second road to another road (not alongside its own road,
    # not near where that one ends).
    for v in villages[2::4]:
        if v["road"] is not None and v["kind"] == "village":
            own = [i for i, r in enumerate(net.roads) if v["xy"] in r["pts"]]
            end = net.roads[v["road"]]["pts"][-1]
            net.link(v["xy"], "unclassified", ok=lambda k, r: r not in own and dist(centre(k), end) > 1.0,
                     avoid=lambda r: r in own, block=lambda r: r in own, surface="concrete")
    # Dead-end farm tracks, 1.6 km uphill from every 9th village.
    for v in villages[3::9]:
        (x, y), a = v["xy"], rng.uniform(-0.6, 0.6)
        a += math.atan2(elevation(x, y + 0.2) - elevation(x, y - 0.2),
                        elevation(x + 0.2, y) - elevation(x - 0.2, y))      # uphill
        goal = (x + 1.6 * math.cos(a), y + 1.6 * math.sin(a))
        if v["road"] is None or not inside(goal):
            continue
        path = net.search(v["xy"], goal=goal, block=lambda r: True)
        if path:
            net.add(net.lay(v["xy"], path, goal), "track", surface=rng.choice(("unpaved", "gravel", "gravel")))
    # Service roads (hospital, 120 station, quarry), footways in a town park, a path up Baima hill.
    for p in FACILITY_ROADS:
        net.add([p, net.connect(net.nearest(p)[1], p)], "service", surface="asphalt")
    quarry = (seat["370499105"][0] - 1.0, seat["370499105"][1] + 0.9)
    net.add([net.connect(net.nearest(quarry)[1], quarry), quarry], "service", "采石场路", surface="gravel")
    px, py = TOWN[0] + 0.55, TOWN[1] - 0.3
    park = [(px, py), (px + 0.25, py), (px + 0.25, py + 0.2), (px, py + 0.2), (px, py)]
    net.add(park, "footway", "青山公园步道", surface="paved")
    net.add([(px, py + 0.2), net.connect(0, (px, py + 0.3))], "footway", surface="paved")
    hv = next(v for v in villages if v["kind"] == "hill" and v["road"] is not None
              and v["xy"][0] < -8 and v["xy"][1] > 8)                  # a hill village in the north-west
    peak = (HILLS[1][0] + 0.1, HILLS[1][1] - 0.1)
    net.add(net.lay(hv["xy"], net.search(hv["xy"], goal=peak), peak), "path", "白马山登山道", surface="ground")

    # The bridge: hamlet 桥下村 0.7 km off a secondary road, on a side with no other road nearby; its
    # only track runs to the nearest road on the other side, crossing UNDER the secondary.
    def bridge_site():
        for sec in named.values():
            spts = net.roads[sec]["pts"]
            along, s0, nxt = [], 0.0, 0.0                  # a spot every 100 m along the road
            for a, b in zip(spts, spts[1:]):
                while nxt <= s0 + dist(a, b):
                    along.append((a, b, (nxt - s0) / dist(a, b)))
                    nxt += 0.1
                s0 += dist(a, b)
            for a, b, f in along[len(along) // 5: 4 * len(along) // 5]:
                c = (a[0] + f * (b[0] - a[0]), a[1] + f * (b[1] - a[1]))
                nx_, ny_ = -(b[1] - a[1]) / dist(a, b), (b[0] - a[0]) / dist(a, b)      # unit left normal
                for side in (1, -1):                        # h: hamlet, m: a point on the other side
                    h = (c[0] + side * nx_ * 0.7, c[1] + side * ny_ * 0.7)
                    m = (c[0] - side * nx_ * 0.6, c[1] - side * ny_ * 0.6)
                    if (not inside(h) or net.nearest(h, skip=sec)[0] < 0.7 or net.nearest(m, skip=sec)[0] > 0.8
                            or any(dist(h, v["xy"]) < 0.8 for v in villages)):
                        continue
                    r = net.nearest(m, skip=sec)[1]
                    q = net.connect(r, m, insert=False)
                    if ((q[0] - c[0]) * nx_ + (q[1] - c[1]) * ny_) * side > -0.25:
                        continue                            # not on the other side
                    trk = net.lay(h, net.search(h, goal=q), q)
                    hits = [(i, x[4]) for i, r2 in enumerate(net.roads) if min(dist(p, h) for p in r2["pts"]) < 5
                            for x in crossings([r2, dict(pts=trk)]) if x[0] != x[2] and x[4] != q]   # track x road
                    if [i for i, _ in hits] == [sec] and net.nearest(hits[0][1], skip=sec)[0] > 0.4:
                        return sec, h, trk[:-1] + [net.connect(r, m)], hits[0][1]
        raise RuntimeError("no bridge site")
    sec, h, trk, xing = bridge_site()
    trk = net.add(trk, "track", surface="unpaved")
    villages.append(dict(xy=h, pop=170, kind="bridge", sigma=0.1, name="Qiaoxia", name_zh="桥下村", road=trk))

    # Node every other crossing, then cut the bridge span (60 m either side of the crossing) out of
    # the secondary: three ways, the middle one bridge=yes, layer=1.
    noded, roads = node_all(net.roads, skip={(sec, trk), (trk, sec)}), net.roads
    pts, cum = roads[sec]["pts"], [0.0]
    for a, b in zip(pts, pts[1:]):
        cum.append(cum[-1] + dist(a, b))
    i = min(range(len(pts) - 1), key=lambda i: seg_project(xing, pts[i], pts[i + 1])[1])
    cut = []
    for s in (cum[i] + dist(pts[i], xing) - 0.06, cum[i] + dist(pts[i], xing) + 0.06):
        k = max(j for j in range(len(pts) - 1) if cum[j] <= s)
        f = (s - cum[k]) / (cum[k + 1] - cum[k])
        cut.append((k, (pts[k][0] + f * (pts[k + 1][0] - pts[k][0]),
                        pts[k][1] + f * (pts[k + 1][1] - pts[k][1]))))
    (k0, c0), (k1, c1) = cut
    pieces = [pts[:k0 + 1] + [c0], [c0] + pts[k0 + 1:k1 + 1] + [c1], [c1] + pts[k1 + 1:]]
    roads[sec:sec + 1] = [dict(roads[sec], pts=[p for n, p in enumerate(pc) if n == 0 or dist(p, pc[n - 1]) > 0.002])
                          for pc in pieces]                  # (drop a vertex within 2 m of a cut)
    roads[sec + 1].update(bridge="yes", layer=1)
    return roads, sec + 1, trk + 2, noded            # road indices after the track shift by 2

def add_hamlets(roads, outer, inside, villages):
    """Two mountain hamlets with no road at all: 3.0-3.4 km (it gets the mountain clinic) and
    >= 2.5 km from every line, at least 1.5 km inside the district, near 300 m of altitude."""
    idx = SegIndex([r["pts"] for r in roads])
    margin = lambda p: min(seg_project(p, outer[i], outer[(i + 1) % 72])[1] for i in range(72))
    cand = [(round(idx.dist(p, 4.0), 3), p) for p in (centre(k) for k in range(0, NX * NY, 7))
            if inside(p) and elevation(*p) > 150 and margin(p) > 1.5]
    hamlets = []
    for lo, hi, pop, name, zh in ((3.0, 3.4, 65, "Shangyaozi", "上窑子"), (2.5, 9.0, 90, "Yunwuping", "云雾坪")):
        ok = [c for c in cand if lo <= c[0] <= hi and all(dist(c[1], h["xy"]) > 2.5 for h in hamlets)]
        if not ok:
            raise RuntimeError("no spot %.1f-%.1f km from every road" % (lo, hi))
        d, p = min(ok, key=lambda c: (abs(elevation(*c[1]) - 300), c[1]))
        hamlets.append(dict(xy=p, pop=pop, kind="hamlet", sigma=0.1, name=name, name_zh=zh, road=None, road_km=d))
    villages += hamlets
    return hamlets

# ------------------------------------------------------------------ population and facilities
FACILITY_ROADS = [(TOWN[0] + 0.22, TOWN[1] + 0.2), (TOWNSHIPS[3][3][0] + 0.35, TOWNSHIPS[3][3][1] - 0.15)]

def facilities(rng, people, hamlet):
    """County hospital, 120 station, one township health centre per seat, 24 village clinics in
    villages of >= 1200 people, and the mountain clinic in the road-less hamlet."""
    (hx, hy), (ex, ey) = FACILITY_ROADS
    out = [(hx, hy, "青山县人民医院", "Qingshan County People's Hospital", "county_hospital", "370499101"),
           (ex, ey, "青山县急救中心南庄分站", "Qingshan 120 Emergency Station Nanzhuang", "emergency_station",
            "370499104")]
    for code, py, zh, (x, y), _ in TOWNSHIPS:
        x, y = (TOWN[0] + 1.1, TOWN[1] - 0.62) if code == "370499101" else (x + 0.15, y + 0.12)
        central = " Central" if code == "370499105" else ""
        out.append((x, y, zh + ("中心卫生院" if central else "卫生院"), py + central + " Township Health Centre",
                    "township_health_centre", code))
    big = sorted((v for v in people if v["kind"] == "village" and v["pop"] >= 1200), key=lambda v: v["name"])
    for v in sorted(rng.sample(big, 24), key=lambda v: v["name"]) + [hamlet]:
        a, r = rng.uniform(0, 2 * math.pi), (0.0 if v is hamlet else rng.uniform(0.05, 0.12))
        out.append((v["xy"][0] + r * math.cos(a), v["xy"][1] + r * math.sin(a), v["name_zh"] + "卫生室",
                    v["name"] + " Village Clinic", "village_clinic", v["township"]))
    return out

def raster(inside, outer, roads, people):
    """People per 0.0025-degree cell: one gaussian kernel per settlement (mass = its population, on
    cells inside the district) + 3 % dispersed on low ground within 1 km of a drivable road."""
    lons, lats = [LON0 + p[0] / KX for p in outer], [LAT0 + p[1] / KY for p in outer]
    c0, r0 = math.floor(min(lons) / CELL) - 1, math.floor(min(lats) / CELL) - 1
    nc, nr = math.ceil(max(lons) / CELL) + 1 - c0, math.ceil(max(lats) / CELL) + 1 - r0
    xs = [((c0 + i + 0.5) * CELL - LON0) * KX for i in range(nc)]
    ys = [((r0 + nr - j - 0.5) * CELL - LAT0) * KY for j in range(nr)]          # row 0 = north
    cells = [(j, i) for j in range(nr) for i in range(nc) if inside((xs[i], ys[j]))]
    val = {c: 0.0 for c in cells}
    for s in people:
        reach = 3.5 * s["sigma"] + 0.3
        ker = [(c, math.exp(-((xs[c[1]] - s["xy"][0]) ** 2 + (ys[c[0]] - s["xy"][1]) ** 2) / (2 * s["sigma"] ** 2)))
               for c in cells if abs(ys[c[0]] - s["xy"][1]) < reach and abs(xs[c[1]] - s["xy"][0]) < reach]
        assert ker, "settlement outside the district"
        tot = sum(w for _, w in ker)
        for c, w in ker:
            val[c] += s["pop"] * w / tot
    idx = SegIndex([r["pts"] for r in roads if r["highway"] not in NOT_DRIVABLE])
    road_km = {c: idx.dist((xs[c[1]], ys[c[0]]), 2.5) for c in cells}
    disp = [(c, math.exp(-(h - 60) / 45)) for c in cells for h in [elevation(xs[c[1]], ys[c[0]])]
            if road_km[c] < 1.0 and h < 180]
    spread = 0.03 * sum(s["pop"] for s in people) / sum(w for _, w in disp)
    for c, w in disp:
        val[c] += spread * w
    return dict(c0=c0, r0=r0, nc=nc, nr=nr, xs=xs, ys=ys, road_km=road_km, val={c: round(v, 2) for c, v in val.items()})

# ------------------------------------------------------------------ output
def write_geojson(path, name, feats):
    with open(path, "w", encoding="utf-8", newline="\n") as f:
        f.write('{"type":"FeatureCollection","name":"%s","features":[\n' % name)
        f.write(",\n".join(json.dumps(ft, ensure_ascii=False, separators=(",", ":")) for ft in feats) + "\n]}\n")

def feature(geom_type, coords, **props):
    return dict(type="Feature", properties=props, geometry=dict(type=geom_type, coordinates=coords))

def main(outdir):
    rng = random.Random(SEED)
    outer, rings, inside = build_district(rng)
    used = set(["桥下村", "上窑子", "云雾坪"])
    villages = place_villages(rng, inside, outer, used)
    roads, bridge, under, noded = build_roads(rng, outer, inside, villages)
    hamlets = add_hamlets(roads, outer, inside, villages)
    # Settlements: 5 county-town neighbourhoods (社区), the 5 other township seats, villages, hamlets.
    people = [dict(xy=(TOWN[0] + dx, TOWN[1] + dy), pop=pop, kind="town", sigma=0.42, name=py + " Shequ",
                   name_zh=zh + "社区") for dx, dy, pop, py, zh in TOWN_POINTS]
    people += [dict(xy=xy, pop=rng.randrange(5200, 8600, 10), kind="seat", sigma=0.3, name=py + " Shequ",
                    name_zh=zh[:-1] + "社区") for _, py, zh, xy, _ in TOWNSHIPS[1:]] + villages
    for v in people:
        v["township"] = next(c for c, ring in rings.items() if point_in_ring(v["xy"], ring))
    people.sort(key=lambda v: (v["township"], -v["pop"], v["name"]))
    fac = facilities(rng, people, hamlets[0])
    R = raster(inside, outer, roads, people)

    feats = []
    for n, r in enumerate(roads):
        co = [lonlat(p) for p in r["pts"]]
        feats.append(feature("LineString", [c for i, c in enumerate(co) if i == 0 or c != co[i - 1]], id=n + 1,
                             **{k: r[k] for k in ("highway", "name", "surface", "oneway", "maxspeed", "bridge",
                                                  "layer")}))
    # Re-check topology on the rounded coordinates: every crossing is a vertex of both lines, except
    # exactly one (the bridge); every line has >= 2 distinct vertices.
    lines = [dict(pts=[(x * KX, y * KY) for x, y in f["geometry"]["coordinates"]]) for f in feats]
    bad = crossings(lines)
    assert all(len(set(l["pts"])) >= 2 for l in lines)
    assert len(bad) == 1 and {bad[0][0], bad[0][2]} == {bridge, under}, bad[:5]

    os.makedirs(outdir, exist_ok=True)
    write_geojson(os.path.join(outdir, "roads.geojson"), "roads", feats)
    write_geojson(os.path.join(outdir, "villages.geojson"), "villages", [
        feature("Point", lonlat(v["xy"]), name=v["name"], name_zh=v["name_zh"], township=v["township"],
                population=v["pop"])
        for v in people])
    write_geojson(os.path.join(outdir, "townships.geojson"), "townships", [
        feature("Polygon", [[lonlat(p) for p in rings[c] + rings[c][:1]]], code=c, name=py, name_zh=zh)
        for c, py, zh, _, _ in TOWNSHIPS])
    with open(os.path.join(outdir, "facilities.csv"), "w", encoding="utf-8", newline="") as f:
        w = csv.writer(f, lineterminator="\n")
        w.writerow(["lon", "lat", "name", "name_zh", "tier", "township"])
        for x, y, zh, name, tier, code in fac:
            w.writerow(lonlat((x, y)) + [name, zh, tier, code])
    with open(os.path.join(outdir, "population.asc"), "w", encoding="ascii", newline="\n") as f:
        f.write("ncols %d\nnrows %d\nxllcorner %.4f\nyllcorner %.4f\ncellsize %s\nNODATA_value -9999\n"
                % (R["nc"], R["nr"], R["c0"] * CELL, R["r0"] * CELL, CELL))
        for j in range(R["nr"]):
            row = [R["val"].get((j, i)) for i in range(R["nc"])]
            f.write(" ".join("-9999" if v is None else "0" if v == 0 else ("%.2f" % v).rstrip("0").rstrip(".")
                             for v in row) + "\n")
    with open(os.path.join(outdir, "population.prj"), "w", encoding="ascii", newline="\n") as f:
        f.write(PRJ + "\n")
    text = summary(roads, feats, bridge, under, noded, rings, people, hamlets, fac, R, outdir)
    with open(os.path.join(outdir, "README.md"), "w", encoding="utf-8", newline="\n") as f:
        f.write(README.format(seed=SEED, bridge=bridge + 1, under=under + 1, bname=roads[bridge]["name"],
                              summary=text, oneway=", ".join("%s `%s`" % (r["name"], r["oneway"])
                                                             for r in roads if r["oneway"])))
    print(text)

def summary(roads, feats, bridge, under, noded, rings, people, hamlets, fac, R, outdir):
    """Counts and totals, printed and copied into README.md."""
    km = lambda f: length([(x * KX, y * KY) for x, y in f["geometry"]["coordinates"]])
    pop, idx = list(R["val"].items()), SegIndex([r["pts"] for r in roads])
    far = [v for c, v in pop if v > 0 and R["road_km"][c] >= 2.0]
    out = ["Qingshan County demo district (synthetic, seed %d), WGS 84 lon/lat (EPSG:4326)" % SEED, "",
           "roads.geojson: %d ways, %d vertices, %.1f km; %d crossings noded; bridge way %d over track %d" % (
               len(feats), sum(len(f["geometry"]["coordinates"]) for f in feats), sum(map(km, feats)), noded,
               bridge + 1, under + 1)]
    for hw in ("primary", "secondary", "tertiary", "unclassified", "residential", "service", "track", "path",
               "footway"):
        fs = [f for f in feats if f["properties"]["highway"] == hw]
        out.append("  %-13s %3d ways %6.1f km" % (hw, len(fs), sum(map(km, fs))))
    unpaved = [f for f in feats if f["properties"]["surface"] in ("unpaved", "gravel", "ground")]
    out += ["  unpaved/gravel/ground surface: %.1f km" % sum(map(km, unpaved)),
            "population.asc: %d x %d cells of %s degrees, %d inside the district, %d populated, total %.2f people"
            % (R["nc"], R["nr"], CELL, len(pop), sum(1 for _, v in pop if v > 0), sum(v for _, v in pop)),
            "  populated cells > 2 km from any drivable road: %d cells, %.2f people" % (len(far), sum(far)),
            "villages.geojson: %d points, %d people (raster total minus 3 %% dispersed)"
            % (len(people), sum(v["pop"] for v in people))]
    for kind, label in (("town", "county-town neighbourhoods"), ("seat", "township seats"),
                        ("village", "valley villages"), ("hill", "hill villages on tracks"),
                        ("bridge", "hamlet reached under the bridge"), ("hamlet", "hamlets without any road")):
        vs = [v for v in people if v["kind"] == kind]
        out.append("  %-32s %3d points %7d people" % (label, len(vs), sum(v["pop"] for v in vs)))
    for h in hamlets:
        out.append("  no road: %s %s (%d people) is %.2f km from the nearest road"
                   % (h["name"], h["name_zh"], h["pop"], idx.dist(h["xy"], 6.0)))
    tiers = ("county_hospital", "emergency_station", "township_health_centre", "village_clinic")
    out += ["facilities.csv: %d rows; %s" % (len(fac), ", ".join("%s %d" % (t, sum(f[4] == t for f in fac))
                                                               for t in tiers)),
            "  mountain clinic %s卫生室 is %.2f km from the nearest road"
            % (hamlets[0]["name_zh"], idx.dist(hamlets[0]["xy"], 6.0)),
            "townships.geojson: 6 polygons (code, name, area, raster people, village points and people, facilities)"]
    for code, py, zh, _, _ in TOWNSHIPS:
        ring, vs = rings[code], [v for v in people if v["township"] == code]
        area = abs(sum(a[0] * b[1] - b[0] * a[1] for a, b in zip(ring, ring[1:] + ring[:1]))) / 2
        rpop = sum(v for c, v in pop if point_in_ring((R["xs"][c[1]], R["ys"][c[0]]), ring))
        out.append("  %s %-9s %s %6.1f km2 %7.0f people %3d points %7d people %2d facilities" % (
            code, py, zh, area, rpop, len(vs), sum(v["pop"] for v in vs), sum(f[5] == code for f in fac)))
    files = ("roads.geojson", "population.asc", "population.prj", "villages.geojson", "facilities.csv",
             "townships.geojson")
    return "\n".join(out + ["files: " + ", ".join("%s %d bytes" % (n, os.path.getsize(os.path.join(outdir, n)))
                                                  for n in files)])

README = """# Demo district: Qingshan County (青山县), synthetic

**Everything here is fictional.** Qingshan County does not exist. Its roads, villages, people and
facilities are generated by `scripts/make_demo_data.py` (Python 3.9+ standard library only, fixed seed
{seed}, the same bytes on every run) and placed near 117.6E 34.85N in Shandong so that it looks like a
Chinese county district: about 30 x 25 km, 6 townships, hills in the north and the corners, a river
plain through the county town. Township codes 370499xxx are made up. No external data are needed.

Regenerate from the repository root (the generator prints the summary below):

    python3 scripts/make_demo_data.py datasets/demo

CRS of every file: **WGS 84 longitude/latitude (EPSG:4326)**, coordinates rounded to 7 decimals (the GeoJSON
files follow RFC 7946; `facilities.csv` has plain `lon`,`lat` columns, as a CSV carries no CRS). Text is UTF-8.

| file | content |
| --- | --- |
| `roads.geojson` | LineStrings with `id` (int), `highway` (OSM class), `name` (Chinese; null on most village roads and tracks), `surface` (asphalt, concrete, paved, gravel, unpaved, ground; null on a few), `oneway` (`yes`, `-1` or null), `maxspeed` (string, on a few), `bridge`/`layer` (set on the one bridge) |
| `population.asc` + `population.prj` | ESRI ASCII grid of people per cell (0.0025 degree cells, about 230 x 280 m), at most 2 decimals, `-9999` (NODATA) outside the district, 0 in empty hills; the `.prj` holds the ESRI WKT of EPSG:4326 |
| `villages.geojson` | Points with `name` (pinyin), `name_zh`, `township` (9-digit code), `population` (int): the same people as the raster, seen as settlements |
| `facilities.csv` | `lon,lat,name,name_zh,tier,township`; `tier` is `county_hospital`, `emergency_station` (a 120 station), `township_health_centre` or `village_clinic` |
| `townships.geojson` | Polygons with `code`, `name` (pinyin), `name_zh`; they tile the district exactly (shared vertices, no gaps, no overlaps) |

## What the demo exercises
- **Road hierarchy:** one `primary` road (省道318) crosses the district west to east through the county
  town (its town section 青山大道 has `maxspeed` 40). `secondary` roads link the county town and the
  township seats. `tertiary`/`unclassified` roads reach the villages, with a few loops. `residential`
  streets form the county-town grid and the township seats. Unpaved `track`s climb to small hill villages
  and farm plots, and there are a few `service` roads. A town-park `footway` and a mountain `path` are not
  drivable. Roads wind along valleys of a pseudo-elevation, which is not shipped.
- **One-way streets** in the county town: {oneway}.
- **Topology:** wherever lines meet or cross they share a vertex with identical coordinates (the engine
  splits ways there). The one deliberate exception is a bridge: way {bridge} (secondary {bname}, `bridge=yes`,
  `layer=1`) passes over track {under} with no shared vertex. That track is the only road to the hamlet 桥下村
  (Qiaoxia). A correct engine reaches the hamlet along the track from the other side, not from {bname}.
  Every line has at least 2 distinct vertices.
- **Travel time:** at ambulance speeds (primary 70 ... track 20 km/h, unpaved x0.7) most people are within
  15 to 30 minutes of the county hospital or the 120 station. Hill villages at the end of long unpaved
  tracks are beyond 30 minutes, and the farthest beyond 60.
- **No road access:** two mountain hamlets have no road within 2 km. The village clinic of one of them (the
  "mountain clinic") is about 3 km from the nearest road, which triggers the engine's "farther than the
  maximum snap distance" warning (`max_snap_m` 2000).
- **Two views of the population:** `population.asc` is a kernel-smoothed raster, like WorldPop.
  `villages.geojson` holds the same people as points (5 county-town neighbourhoods 社区, the 5 other
  township seats, villages, hamlets). Only the 3 % spread thinly over farmland near roads is missing from the points.

## Counts and totals (printed by the generator)
```
{summary}
```
"""

if __name__ == "__main__":
    if len(sys.argv) != 2:
        sys.exit("usage: python3 scripts/make_demo_data.py OUTPUT_DIR")
    main(sys.argv[1])
