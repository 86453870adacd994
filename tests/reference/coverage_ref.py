#!/usr/bin/python3
"""Independent reference implementation of the carecircle travel-time coverage model.

Reads a road network (OSM .pbf/.osm or any OGR line layer), a population raster or point
layer, a facility layer/CSV and a YAML speed profile; prints one JSON object with the
population within each travel-time threshold of the nearest facility (all facilities and
per tier).  See README.md next to this file for the model and how this differs from the C
engine.  Needs only Debian's python3-gdal, python3-numpy, python3-scipy and python3-yaml.
"""
import argparse
import csv
import json
import math
import re
import sys
import time

import numpy as np
import yaml
from osgeo import gdal, ogr, osr
from scipy.sparse import csr_matrix
from scipy.sparse.csgraph import dijkstra
from scipy.spatial import cKDTree

gdal.UseExceptions()
ogr.UseExceptions()
osr.UseExceptions()

TAGS = ('oneway', 'surface', 'maxspeed', 'junction')
HSTORE = re.compile(r'"((?:[^"\\]|\\.)*)"=>"((?:[^"\\]|\\.)*)"')
MAXSPEED = re.compile(r'^\s*([0-9]+(?:\.[0-9]+)?)\s*(km/h|kmh|kph|mph)?\s*$', re.I)
INF = np.inf


# ---------------------------------------------------------------- coordinate systems
def srs_from(srs_or_none, default_epsg=4326):
    """Clone an osr.SpatialReference (or EPSG:4326 if None) in lon/lat (x, y) axis order."""
    if srs_or_none is None:
        s = osr.SpatialReference()
        s.ImportFromEPSG(default_epsg)
    else:
        s = srs_or_none.Clone()
    s.SetAxisMappingStrategy(osr.OAMS_TRADITIONAL_GIS_ORDER)
    return s


def transform(xy, src, dst):
    """(N,2) array from src to dst CRS."""
    xy = np.asarray(xy, dtype=float).reshape(-1, 2)
    if len(xy) == 0 or src.IsSame(dst):
        return xy.copy()
    ct = osr.CoordinateTransformation(src, dst)
    return np.asarray(ct.TransformPoints(np.ascontiguousarray(xy)), dtype=float)[:, :2]


def utm_epsg(lon, lat):
    zone = int(math.floor((lon + 180.0) / 6.0)) + 1
    return (32600 if lat >= 0 else 32700) + zone


# ---------------------------------------------------------------- input readers
def field_str(feat, idx):
    """A feature field as a stripped string ('' if unset)."""
    if idx is None or not feat.IsFieldSetAndNotNull(idx):
        return ''
    return str(feat.GetField(idx)).strip()


def line_parts(geom):
    """LineString parts of a (Multi)LineString geometry, each as an (n,2) array."""
    if geom is None:
        return []
    t = ogr.GT_Flatten(geom.GetGeometryType())
    if t == ogr.wkbLineString:
        parts = [geom]
    elif t in (ogr.wkbMultiLineString, ogr.wkbGeometryCollection):
        parts = [geom.GetGeometryRef(i) for i in range(geom.GetGeometryCount())]
        parts = [p for p in parts if ogr.GT_Flatten(p.GetGeometryType()) == ogr.wkbLineString]
    else:
        return []
    return [np.array(p.GetPoints(), dtype=float)[:, :2] for p in parts if p.GetPointCount() > 0]


def read_roads(path):
    """Ways with a non-empty highway value: (list of raw (n,2) coordinate arrays, list of
    attribute dicts, layer SRS).  oneway/surface/maxspeed/junction come from fields of that
    name or else from the OSM driver's other_tags hstore string."""
    ds = gdal.OpenEx(path, gdal.OF_VECTOR)
    if ds.GetDriver().ShortName == 'OSM':
        lyr = ds.GetLayerByName('lines')
    else:
        lines = [ds.GetLayer(i) for i in range(ds.GetLayerCount())
                 if ogr.GT_Flatten(ds.GetLayer(i).GetGeomType())
                 in (ogr.wkbLineString, ogr.wkbMultiLineString)]
        lyr = lines[0] if lines else ds.GetLayer(0)
    defn = lyr.GetLayerDefn()
    names = {defn.GetFieldDefn(i).GetName().lower(): i for i in range(defn.GetFieldCount())}
    ways, attrs = [], []
    for feat in lyr:
        hw = field_str(feat, names.get('highway'))
        if not hw:
            continue
        tags = {k: v for k, v in HSTORE.findall(field_str(feat, names.get('other_tags')))}
        tags = {k: v.replace('\\"', '"').replace('\\\\', '\\') for k, v in tags.items()}
        a = {'highway': hw}
        for k in TAGS:
            a[k] = field_str(feat, names.get(k)) or tags.get(k, '').strip()
        for pts in line_parts(feat.GetGeometryRef()):
            ways.append(pts)
            attrs.append(a)
    return ways, attrs, srs_from(lyr.GetSpatialRef())


def point_features(lyr):
    """(feature, point) of every feature of @lyr with a geometry: the point itself, else the
    geometry's centroid."""
    for feat in lyr:
        g = feat.GetGeometryRef()
        if g is None or g.IsEmpty():
            continue
        if ogr.GT_Flatten(g.GetGeometryType()) != ogr.wkbPoint:
            g = g.Centroid()
        yield feat, g


def read_population(path, field):
    """Demand points: (raw (M,2) coordinates, population (M,), SRS, total population).
    Only points with population > 0 are returned (others contribute nothing)."""
    try:
        ds = gdal.OpenEx(path, gdal.OF_RASTER)
    except RuntimeError:
        ds = None
    if ds is not None and ds.RasterCount > 0:
        band = ds.GetRasterBand(1)
        arr = band.ReadAsArray()
        valid = ~np.isnan(arr) if arr.dtype.kind == 'f' else np.ones(arr.shape, bool)
        nd = band.GetNoDataValue()
        if nd is not None and not math.isnan(nd):
            valid &= arr != np.array(nd).astype(arr.dtype)
        arr = arr.astype(np.float64)
        rows, cols = np.nonzero(valid & (arr > 0))
        pop = arr[rows, cols]
        g = ds.GetGeoTransform()
        cx, cy = cols + 0.5, rows + 0.5          # cell centre in pixel/line space
        xy = np.column_stack((g[0] + cx * g[1] + cy * g[2], g[3] + cx * g[4] + cy * g[5]))
        srs = ds.GetSpatialRef()
        return xy, pop, srs_from(srs), float(pop.sum())
    ds = gdal.OpenEx(path, gdal.OF_VECTOR)
    lyr = ds.GetLayer(0)
    fi = lyr.GetLayerDefn().GetFieldIndex(field)
    if fi < 0:
        sys.exit(f'population layer has no field {field!r}')
    xy, pop = [], []
    for feat, g in point_features(lyr):
        v = feat.GetFieldAsDouble(fi) if feat.IsFieldSetAndNotNull(fi) else 0.0
        xy.append((g.GetX(), g.GetY()))
        pop.append(v if math.isfinite(v) else 0.0)
    xy, pop = np.array(xy, float).reshape(-1, 2), np.array(pop, float)
    keep = pop > 0
    return xy[keep], pop[keep], srs_from(lyr.GetSpatialRef()), float(pop[keep].sum())


def norm_value(v):
    """Tier values compare as trimmed strings, numbers normalised ('3', '3.0' -> '3')."""
    s = '' if v is None else str(v).strip()
    try:
        f = float(s)
    except ValueError:
        return s
    if math.isfinite(f):
        return str(int(f)) if f == int(f) else repr(f)
    return s


def read_facilities(path, tier_field, lon_field, lat_field):
    """Facilities with coordinates: (raw (F,2) coordinates, list of normalised tier values, SRS).
    A .csv is read with the csv module (lon/lat in WGS84); anything else through OGR."""
    xy, tiers = [], []
    if path.lower().endswith('.csv'):
        with open(path, newline='', encoding='utf-8-sig') as fh:
            reader = csv.DictReader(fh)
            if lon_field not in (reader.fieldnames or []) or lat_field not in reader.fieldnames:
                sys.exit(f'{path}: no {lon_field!r}/{lat_field!r} columns')
            for row in reader:
                try:
                    x, y = float(row[lon_field]), float(row[lat_field])
                except (TypeError, ValueError, KeyError):
                    continue
                if math.isfinite(x) and math.isfinite(y):
                    xy.append((x, y))
                    tiers.append(norm_value(row.get(tier_field)) if tier_field else '')
        return np.array(xy, float).reshape(-1, 2), tiers, srs_from(None)
    ds = gdal.OpenEx(path, gdal.OF_VECTOR)
    lyr = ds.GetLayer(0)
    fi = lyr.GetLayerDefn().GetFieldIndex(tier_field) if tier_field else -1
    for feat, g in point_features(lyr):
        xy.append((g.GetX(), g.GetY()))
        tiers.append(norm_value(feat.GetField(fi)) if fi >= 0 and feat.IsFieldSetAndNotNull(fi)
                     else '')
    return np.array(xy, float).reshape(-1, 2), tiers, srs_from(lyr.GetSpatialRef())


# ---------------------------------------------------------------- profile
def parse_maxspeed(v):
    m = MAXSPEED.match(v or '')
    if not m:
        return None
    x = float(m.group(1))
    return x * 1.609344 if (m.group(2) or '').lower() == 'mph' else x


def way_speed_dirs(a, prof):
    """(speed km/h, forward allowed, backward allowed) of one way; speed 0 = not drivable."""
    cls = a['highway']
    speeds = {str(k): float(v) for k, v in (prof.get('speeds_kmh') or {}).items()}
    if cls in [str(c) for c in (prof.get('not_drivable') or [])] or cls not in speeds:
        return 0.0, False, False
    sp = speeds[cls]
    mult = {str(k): float(v) for k, v in (prof.get('surface_multipliers') or {}).items()}
    if a['surface'] in mult:
        sp *= mult[a['surface']]
    if str(prof.get('maxspeed', 'ignore')) == 'cap':
        ms = parse_maxspeed(a['maxspeed'])
        if ms is not None:
            sp = min(sp, ms)
    if sp <= 0:
        return 0.0, False, False
    if str(prof.get('oneway', 'honour')) == 'ignore':
        return sp, True, True
    o = a['oneway'].lower()
    if o in ('yes', '1', 'true'):
        return sp, True, False
    if o in ('-1', 'reverse'):
        return sp, False, True
    if o in ('no', 'false', '0'):
        return sp, True, True
    if a['junction'].lower() == 'roundabout' or cls == 'motorway':
        return sp, True, False
    return sp, True, True


# ---------------------------------------------------------------- network
class Network:
    """Ways split into arcs at shared/repeated vertices and way ends (vertex identity = raw
    input coordinates).  Arc arrays: u, v (node ids), L (m), cf/cb (ms, inf = not allowed)."""

    def __init__(self, ways, attrs, src, dst, prof):
        # drop consecutive duplicate vertices (zero-length segments), then ways with < 2 vertices
        ways = [w[np.r_[True, np.any(w[1:] != w[:-1], axis=1)]] for w in ways]
        keep = [i for i, w in enumerate(ways) if len(w) >= 2]
        ways, attrs = [ways[i] for i in keep], [attrs[i] for i in keep]
        lens = np.array([len(w) for w in ways])
        raw = np.concatenate(ways)
        wid = np.repeat(np.arange(len(ways)), lens)
        first = np.zeros(len(raw), bool)
        first[np.cumsum(lens) - lens] = True
        last = np.zeros(len(raw), bool)
        last[np.cumsum(lens) - 1] = True
        _, inv, cnt = np.unique(raw, axis=0, return_inverse=True, return_counts=True)
        inv = inv.ravel()
        is_node = first | last | (cnt[inv] >= 2)
        node_of_pos = np.full(len(cnt), -1)
        node_uids = np.unique(inv[is_node])
        node_of_pos[node_uids] = np.arange(len(node_uids))
        self.n_nodes = len(node_uids)
        self.stats = {'ways': len(ways), 'way_vertices': int(len(raw)),
                      'distinct_vertices': int(len(cnt)), 'node_vertices': int(is_node.sum()),
                      'nodes': self.n_nodes}
        P = transform(raw, src, dst)

        # segments (vertex i -> i+1 inside a way) and the arc each belongs to
        a = np.nonzero(~last)[0]
        arc_start = is_node & ~last
        seg_arc = (np.cumsum(arc_start) - 1)[a]
        seglen = np.hypot(*(P[a + 1] - P[a]).T)
        n_arcs = int(arc_start.sum())
        seg_first = np.r_[True, seg_arc[1:] != seg_arc[:-1]]
        seg_last = np.r_[seg_arc[1:] != seg_arc[:-1], True]
        self.L = np.bincount(seg_arc, seglen, minlength=n_arcs)
        self.u = node_of_pos[inv[a[seg_first]]]
        self.v = node_of_pos[inv[a[seg_last] + 1]]
        cs = np.cumsum(seglen) - seglen                          # exclusive prefix sum
        seg_s0 = cs - cs[np.nonzero(seg_first)[0]][seg_arc]      # offset of segment in its arc

        # speeds, directions and integer-millisecond costs (C-style round half away from 0)
        sdd = np.array([way_speed_dirs(at, prof) for at in attrs], dtype=float).reshape(-1, 3)
        arc_way = wid[a[seg_first]]
        sp, fw, bw = sdd[arc_way, 0], sdd[arc_way, 1] > 0, sdd[arc_way, 2] > 0
        with np.errstate(divide='ignore'):
            cost = np.floor(self.L / (sp / 3.6) * 1000.0 + 0.5)
        self.cf = np.where(fw, cost, INF)
        self.cb = np.where(bw, cost, INF)
        self.n_edges = int(fw.sum() + bw.sum())
        self.stats.update(arcs=n_arcs, drivable_arcs=int((fw | bw).sum()), edges=self.n_edges)

        # reversed graph (for a search from the facilities): arc u->v cost cf gives v->u
        self.rsrc = np.r_[self.v[fw], self.u[bw]]
        self.rdst = np.r_[self.u[fw], self.v[bw]]
        self.rw = np.r_[self.cf[fw], self.cb[bw]]

        # snapping targets: segments of arcs drivable in at least one direction
        ok = (fw | bw)[seg_arc]
        if not ok.any():
            sys.exit('no drivable road for this profile')
        self.snapper = Snapper(P[a[ok]], P[a[ok] + 1])
        self.seg_arc, self.seg_s0 = seg_arc[ok], seg_s0[ok]
        self.seg_first, self.seg_last = seg_first[ok], seg_last[ok]

    def snap(self, X, max_snap):
        """Join points of (M,2) metric points: dict of d, arc, s, at_u, at_v (arrays)."""
        seg, d, t = self.snapper.query(X, max_snap)
        arc = self.seg_arc[seg]
        s = self.seg_s0[seg] + t * self.snapper.len[seg]
        at_u = self.seg_first[seg] & (t == 0.0)
        at_v = self.seg_last[seg] & (t == 1.0)
        s = np.clip(np.where(at_u, 0.0, np.where(at_v, self.L[arc], s)), 0.0, self.L[arc])
        return {'d': d, 'arc': arc, 's': s, 'at_u': at_u, 'at_v': at_v}

    def partial_costs(self, j):
        """ms from a join point to u / v (leaving it) and from u / v to it (arriving).
        A join point exactly on an arc end node is at that node: cost 0 whatever the direction."""
        L, s, cf, cb = self.L[j['arc']], j['s'], self.cf[j['arc']], self.cb[j['arc']]
        Ls = np.where(L > 0, L, 1.0)
        with np.errstate(invalid='ignore'):
            out_u = np.where(j['at_u'], 0.0, np.where(np.isfinite(cb), cb * s / Ls, INF))
            out_v = np.where(j['at_v'], 0.0, np.where(np.isfinite(cf), cf * (L - s) / Ls, INF))
            in_u = np.where(j['at_u'], 0.0, np.where(np.isfinite(cf), cf * s / Ls, INF))
            in_v = np.where(j['at_v'], 0.0, np.where(np.isfinite(cb), cb * (L - s) / Ls, INF))
        return out_u, out_v, in_u, in_v


class Snapper:
    """Exact nearest point-to-segment search.  Every segment is sampled at spacing <= H
    (ends included) into a cKDTree.  If r0 is the distance to the nearest sample, the true
    nearest segment (distance d* <= r0) has a sample within d* + H/2 <= r0 + H/2, so the
    segments of all samples within r0 + H/2 contain it; their exact distances decide."""
    H, K = 20.0, 16

    def __init__(self, A, B):
        self.A, self.D = A, B - A
        self.len2 = (self.D ** 2).sum(axis=1)
        self.len = np.sqrt(self.len2)
        n = np.maximum(1, np.ceil(self.len / self.H)).astype(np.int64)   # intervals
        seg = np.repeat(np.arange(len(A)), n + 1)
        k = np.arange(len(seg)) - np.repeat(np.cumsum(n + 1) - (n + 1), n + 1)
        t = k / n[seg]
        self.sample_seg = seg
        self.tree = cKDTree(A[seg] + t[:, None] * self.D[seg])

    def exact(self, X, seg):
        """Distance and segment parameter t in [0,1] of the nearest point of seg to X."""
        D, W = self.D[seg], X - self.A[seg]
        l2 = self.len2[seg]
        t = np.clip(np.divide((W * D).sum(-1), l2, out=np.zeros(l2.shape), where=l2 > 0), 0, 1)
        q = self.A[seg] + t[..., None] * D
        return np.hypot(*np.moveaxis(X - q, -1, 0)), t

    def query(self, X, max_d):
        M, K = len(X), min(self.K, len(self.sample_seg))
        seg, d, t = np.zeros(M, np.int64), np.full(M, INF), np.zeros(M)
        for lo in range(0, M, 65536):
            x = X[lo:lo + 65536]
            dist, idx = self.tree.query(x, k=K)
            dist, idx = dist.reshape(len(x), K), idx.reshape(len(x), K)
            cand = self.sample_seg[idx]
            dd, tt = self.exact(x[:, None, :], cand)
            b = np.argmin(dd, axis=1)
            r = np.arange(len(x))
            seg[lo:lo + len(x)], d[lo:lo + len(x)], t[lo:lo + len(x)] = cand[r, b], dd[r, b], tt[r, b]
            # not sure the K nearest samples hold every sample within r0 + H/2: use a ball query
            rad = dist[:, 0] + self.H / 2 + 1e-6 * (1 + dist[:, 0])
            unsure = (dist[:, -1] <= rad) & (K < len(self.sample_seg))
            unsure &= dist[:, 0] - self.H / 2 <= max_d + 1.0     # else surely beyond max_d
            for i in np.nonzero(unsure)[0]:
                c = np.unique(self.sample_seg[self.tree.query_ball_point(x[i], rad[i])])
                cd, ct = self.exact(x[i][None, :], c)
                bi = np.argmin(cd)
                seg[lo + i], d[lo + i], t[lo + i] = c[bi], cd[bi], ct[bi]
        return seg, d, t


# ---------------------------------------------------------------- travel times
def dedup_min(src, dst, w):
    """Parallel edges: keep the cheapest; self-loops dropped (csr would sum duplicates)."""
    keep = src != dst
    src, dst, w = src[keep], dst[keep], w[keep]
    o = np.lexsort((w, dst, src))
    src, dst, w = src[o], dst[o], w[o]
    first = np.r_[True, (src[1:] != src[:-1]) | (dst[1:] != dst[:-1])]
    return src[first], dst[first], w[first]


def demand_times(net, dem, dem_pc, fac, fac_pc, fac_off, sel):
    """Travel time (ms, inf = unreachable) of every snapped demand point to the nearest of
    the facilities `sel` (indices into the snapped facilities), excluding demand off-road."""
    M = len(dem['arc'])
    if len(sel) == 0:
        return np.full(M, INF)
    n = net.n_nodes
    _, _, f_in_u, f_in_v = fac_pc
    # virtual super-source n -> arc ends, carrying facility off-road leg + partial arc cost
    su, sv = fac_off[sel] + f_in_u[sel], fac_off[sel] + f_in_v[sel]
    fu, fv = net.u[fac['arc'][sel]], net.v[fac['arc'][sel]]
    src = np.r_[net.rsrc, np.full(2 * len(sel), n)]
    dst = np.r_[net.rdst, fu, fv]
    w = np.r_[net.rw, su, sv]
    ok = np.isfinite(w)
    src, dst, w = dedup_min(src[ok], dst[ok], w[ok])
    G = csr_matrix((w, (src, dst)), shape=(n + 1, n + 1))
    Dn = dijkstra(G, directed=True, indices=n)[:n]            # node -> nearest facility, ms
    out_u, out_v, _, _ = dem_pc
    t = np.minimum(out_u + Dn[net.u[dem['arc']]], out_v + Dn[net.v[dem['arc']]])
    # demand and facility on the same arc: direct along-arc travel is also a candidate
    order = np.argsort(dem['arc'], kind='stable')
    sorted_arc = dem['arc'][order]
    for f in sel:
        a = fac['arc'][f]
        idx = order[np.searchsorted(sorted_arc, a):np.searchsorted(sorted_arc, a, 'right')]
        if len(idx) == 0:
            continue
        sc, sf, L = dem['s'][idx], fac['s'][f], net.L[a]
        Ls = L if L > 0 else 1.0
        cand = np.full(len(idx), INF)
        if np.isfinite(net.cf[a]):
            cand = np.where(sf >= sc, net.cf[a] * (sf - sc) / Ls, cand)
        if np.isfinite(net.cb[a]):
            cand = np.where(sf <= sc, np.minimum(cand, net.cb[a] * (sc - sf) / Ls), cand)
        t[idx] = np.minimum(t[idx], cand + fac_off[f])
    return t


def account(pop, access, t_ms, minutes):
    """Population per threshold; asserts total = within(max) + beyond + no access + unreachable."""
    reach = access & np.isfinite(t_ms)
    r = {'population_no_road_access': float(pop[~access].sum()),
         'population_unreachable': float(pop[access & ~reach].sum()),
         'population_beyond_max': float(pop[reach & (t_ms > max(minutes) * 60000.0)].sum()),
         'population_within_min': {mkey(m): float(pop[reach & (t_ms <= m * 60000.0)].sum())
                                   for m in minutes}}
    total = float(pop.sum())
    parts = (r['population_within_min'][mkey(max(minutes))] + r['population_beyond_max']
             + r['population_no_road_access'] + r['population_unreachable'])
    assert abs(parts - total) <= 1e-9 * max(1.0, total), (parts, total)
    return r


def tier_order(v):
    """Numeric tier values first, in numeric order, then the others alphabetically."""
    try:
        return (0, float(v), v)
    except ValueError:
        return (1, 0.0, v)


def mkey(m):
    return str(int(m)) if float(m) == int(m) else repr(float(m))


# ---------------------------------------------------------------- main
def main():
    ap = argparse.ArgumentParser(description=__doc__.split('\n')[0])
    ap.add_argument('--roads', required=True)
    ap.add_argument('--population', required=True)
    ap.add_argument('--facilities', required=True)
    ap.add_argument('--profile', required=True)
    ap.add_argument('--tier-field')
    ap.add_argument('--tiers', help='raw=name,... e.g. "1=health_post,3=hospital,4=hospital"')
    ap.add_argument('--minutes', default='15,30,60')
    ap.add_argument('--population-field', default='pop')
    ap.add_argument('--crs', help='metric CRS as EPSG:n (default: UTM zone of the roads)')
    ap.add_argument('--lon-field', default='lon')
    ap.add_argument('--lat-field', default='lat')
    ap.add_argument('--stats', action='store_true', help='counts and timings on stderr')
    args = ap.parse_args()
    t0 = time.time()
    with open(args.profile) as fh:
        prof = yaml.safe_load(fh)
    minutes = sorted({float(m) for m in args.minutes.split(',') if m.strip()})
    offroad_ms_per_m = 1000.0 / (float(prof['offroad_speed_kmh']) / 3.6)
    max_snap = float(prof['max_snap_m'])

    # 1. roads and the metric CRS
    ways, attrs, road_srs = read_roads(args.roads)
    if not ways:
        sys.exit('no road features with a highway value')
    if args.crs:
        epsg = int(args.crs.upper().replace('EPSG:', ''))
    else:
        ll = transform(np.concatenate(ways), road_srs, srs_from(None))
        lo, hi = ll.min(axis=0), ll.max(axis=0)
        epsg = utm_epsg((lo[0] + hi[0]) / 2, (lo[1] + hi[1]) / 2)
    dst = osr.SpatialReference()
    dst.ImportFromEPSG(epsg)
    dst.SetAxisMappingStrategy(osr.OAMS_TRADITIONAL_GIS_ORDER)

    # 2.-5. graph
    net = Network(ways, attrs, road_srs, dst, prof)
    t1 = time.time()

    # 6. snapping of facilities and demand points
    fxy, ftier, fsrs = read_facilities(args.facilities, args.tier_field,
                                       args.lon_field, args.lat_field)
    fj = net.snap(transform(fxy, fsrs, dst), max_snap)
    fok = np.nonzero(fj['d'] <= max_snap)[0]
    fac = {k: v[fok] for k, v in fj.items()}
    fac_tier = [ftier[i] for i in fok]
    fac_off = fac['d'] * offroad_ms_per_m
    fac_pc = net.partial_costs(fac)

    dxy, pop, psrs, pop_total = read_population(args.population, args.population_field)
    dj = net.snap(transform(dxy, psrs, dst), max_snap)
    access = dj['d'] <= max_snap
    dem = {k: v[access] for k, v in dj.items()}
    dem_off = dem['d'] * offroad_ms_per_m
    dem_pc = net.partial_costs(dem)
    t2 = time.time()

    # 7.-8. travel times and accounting, all facilities then per tier
    def coverage(sel):
        t = np.full(len(pop), INF)
        t[access] = dem_off + demand_times(net, dem, dem_pc, fac, fac_pc, fac_off, sel)
        return account(pop, access, t, minutes)

    out = {'population_total': pop_total}
    out.update(coverage(np.arange(len(fok))))
    tiers = {}
    if args.tier_field:
        if args.tiers:
            tmap = {}
            for item in args.tiers.split(','):
                raw, _, name = item.partition('=')
                tmap[norm_value(raw)] = name.strip()
        else:
            tmap = {v: v for v in sorted({v for v in ftier if v != ''}, key=tier_order)}
        for name in dict.fromkeys(tmap.values()):
            sel = np.array([i for i, v in enumerate(fac_tier) if tmap.get(v) == name], int)
            r = coverage(sel)
            tiers[name] = {'population_within_min': r['population_within_min'],
                           'population_unreachable': r['population_unreachable'],
                           'facilities': sum(1 for v in ftier if tmap.get(v) == name)}
    out['tiers'] = tiers
    out.update(crs=f'EPSG:{epsg}', nodes=net.n_nodes, edges=net.n_edges,
               facilities_snapped=int(len(fok)), facilities_total=int(len(fxy)))
    print(json.dumps(out))
    if args.stats:
        st = dict(net.stats, demand_points=int(len(pop)), demand_snapped=int(access.sum()),
                  t_graph=round(t1 - t0, 2), t_snap=round(t2 - t1, 2),
                  t_total=round(time.time() - t0, 2))
        print(json.dumps(st), file=sys.stderr)


if __name__ == '__main__':
    main()
