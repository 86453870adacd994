#!/usr/bin/python3
"""Self-test of coverage_ref.py on a hand-made network whose answers are worked out by hand.
Run with /usr/bin/python3; exits non-zero on failure.

Metric CRS EPSG:32738, coordinates below relative to (X0, Y0) = (500000, 8600000), metres.
Profile: residential 30 km/h (8.333 m/s), tertiary 50 km/h, footway not drivable, off-road 5 km/h
(0.72 s per metre), max snap 2000 m.

  D(0,1000) ---------- C(1000,1000) . . . footway . . . (1500,1500)
     |                    |
     W2 (two-way)         W2          W1: A->B residential oneway=yes, 1000 m, cf = 120 s
     |                    |           W2: B->C->D->A residential two-way, split at C (shared
  A(0,0) ---- W1 ---->  B(1000,0)         with the footway): arcs B->C 1000 m 120 s, C->A 2000 m
                          |                (via D) 240 s, both directions
                          W3          W3: B->E tertiary oneway=-1 (E->B only), 600 m, 43.2 s
                          |           W4: footway C->(1500,1500), not drivable (but splits W2)
  G(0,-400)             E(1000,-600)  W5: G->A residential oneway=-1 (A->G only), 400 m, 48 s

Facilities: F1 (700,10) tier 1: on W1 s=700, d=10 -> off-road 7.2 s
            F2 (0,1000) tier "2.0": on arc C->A at s=1000, d=0
            F3 (9000,9000) tier 1: > 2000 m from a drivable road: not snapped
            F4 (1000,-600) tier "x" (not in --tiers): at E, d=0
Demand (pop): times in s to all / tier 1 (F1) / tier 2 (F2)
  P1 (200,-20)   1: off 14.4, W1 s=200: F1 14.4+60+7.2=81.6; F2 14.4+96+120+120=350.4
  P2 (900,-30)   2: off 21.6, W1 s=900 (oneway, F1 behind): F1 21.6+12+120+240+84+7.2=484.8;
                    F2 21.6+12+120+120=273.6
  P3 (500,1200)  4: off 144, arc C->A s=500: F2 144+60=204; F1 144+180+84+7.2=415.2
  P4 (5000,5000) 8: no road access
  P5 (1000,-900) 16: off 216, at E: F4 216; F2 216+43.2+120+120=499.2; F1 216+43.2+360+84+7.2=710.4
  P6 (1100,-100) 32: off 72, W3 s=100: F1 72+7.2+120+240+84+7.2=530.4; F2 72+7.2+240=319.2; F4 none
  P7 (-100,0)    64: off 72, at node A (tie W1 / W2): F1 72+84+7.2=163.2; F2 72+120=192
  P8 (1500,1400) 128: nearest drivable point is C, d=sqrt(410000)=640.31 m, off 461.02:
                    F2 461.02+120=581.02; F1 461.02+240+84+7.2=792.22
  P9 (700,-10)  256: off 7.2, W1 s=700, same place as F1: F1 7.2+0+7.2=14.4; F2 7.2+36+240=283.2
Thresholds 3, 5, 10 min (180, 300, 600 s):
  all:        P1,P7,P9 | +P2,P3,P5 | +P6,P8     -> 321, 343, 503; no access 8 (total 511)
  tier 1:     P1,P7,P9 | -         | +P2,P3,P6  -> 321, 321, 359 (P5, P8 beyond)
  tier 2:     -        | P2,P3,P7,P9 | all but P4 -> 0, 326, 503
  tier x:     P5 only (216 s), everything else snapped is unreachable (487)
"""
import json
import os
import shutil
import subprocess
import sys
import tempfile

import numpy as np
from osgeo import gdal, osr

HERE = os.path.dirname(os.path.abspath(__file__))
SCRIPT = os.path.join(HERE, 'coverage_ref.py')
sys.path.insert(0, HERE)
sys.dont_write_bytecode = True   # no __pycache__ in the source tree
import coverage_ref  # noqa: E402

gdal.UseExceptions()
X0, Y0 = 500000.0, 8600000.0
CRS_MEMBER = {"type": "name", "properties": {"name": "urn:ogc:def:crs:EPSG::32738"}}
PROFILE = """
speeds_kmh: {residential: 30, tertiary: 50, motorway: 90, track: 20}
not_drivable: [footway]
surface_multipliers: {unpaved: 0.7}
maxspeed: ignore
oneway: honour
offroad_speed_kmh: 5
max_snap_m: 2000
"""
WAYS = [  # (coordinates relative to X0,Y0, tags)
    ([(0, 0), (1000, 0)], {'highway': 'residential', 'oneway': 'yes'}),
    ([(1000, 0), (1000, 1000), (0, 1000), (0, 0)], {'highway': 'residential'}),
    ([(1000, 0), (1000, -600)], {'highway': 'tertiary', 'oneway': '-1'}),
    ([(1000, 1000), (1500, 1500)], {'highway': 'footway'}),
    ([(0, -400), (0, 0)], {'highway': 'residential', 'oneway': '-1'}),
]
FACS = [((700, 10), '1'), ((0, 1000), '2.0'), ((9000, 9000), '1'), ((1000, -600), 'x')]
DEMAND = [((200, -20), 1), ((900, -30), 2), ((500, 1200), 4), ((5000, 5000), 8),
          ((1000, -900), 16), ((1100, -100), 32), ((-100, 0), 64), ((1500, 1400), 128),
          ((700, -10), 256)]
TIERS = '1=health_post,2=health_centre'
failures = []


def check(what, got, want, tol=1e-6):
    if isinstance(want, dict):
        for k in want:
            check(f'{what}.{k}', got.get(k) if isinstance(got, dict) else None, want[k], tol)
        return
    ok = (got == want) if isinstance(want, str) else \
        (got is not None and abs(float(got) - float(want)) <= tol)
    if not ok:
        failures.append(f'{what}: got {got!r}, want {want!r}')


def geojson(path, feats, lonlat=False):
    fc = {"type": "FeatureCollection", "features": feats}
    if not lonlat:
        fc["crs"] = CRS_MEMBER
    with open(path, 'w') as fh:
        json.dump(fc, fh)


def to_lonlat(pts):
    src = osr.SpatialReference()
    src.ImportFromEPSG(32738)
    dst = osr.SpatialReference()
    dst.ImportFromEPSG(4326)
    for s in (src, dst):
        s.SetAxisMappingStrategy(osr.OAMS_TRADITIONAL_GIS_ORDER)
    ll = coverage_ref.transform(np.array(pts, float) + (X0, Y0), src, dst)
    return [(round(x, 9), round(y, 9)) for x, y in ll]   # 9 decimals, as an .osm file holds


def write_inputs(d, lonlat):
    conv = to_lonlat if lonlat else (lambda p: [(x + X0, y + Y0) for x, y in p])
    geojson(f'{d}/roads.geojson', [
        {"type": "Feature", "properties": tags,
         "geometry": {"type": "LineString", "coordinates": conv(c)}} for c, tags in WAYS], lonlat)
    geojson(f'{d}/fac.geojson', [
        {"type": "Feature", "properties": {"tier": t},
         "geometry": {"type": "Point", "coordinates": conv([p])[0]}} for p, t in FACS], lonlat)
    geojson(f'{d}/pop.geojson', [
        {"type": "Feature", "properties": {"pop": v},
         "geometry": {"type": "Point", "coordinates": conv([p])[0]}} for p, v in DEMAND], lonlat)
    with open(f'{d}/profile.yaml', 'w') as fh:
        fh.write(PROFILE)


def write_osm(d):
    """The same roads as an OSM XML file (oneway ends up in other_tags)."""
    ids, lines, ways = {}, [], []
    for k, (coords, tags) in enumerate(WAYS):
        refs = []
        for p, ll in zip(coords, to_lonlat(coords)):
            if p not in ids:
                ids[p] = len(ids) + 1
                lines.append(f'  <node id="{ids[p]}" version="1" lat="{ll[1]:.9f}" '
                             f'lon="{ll[0]:.9f}"/>')
            refs.append(ids[p])
        ways.append(f'  <way id="{k + 1}" version="1">' + ''.join(f'<nd ref="{r}"/>' for r in refs)
                    + ''.join(f'<tag k="{a}" v="{b}"/>' for a, b in tags.items()) + '</way>')
    with open(f'{d}/roads.osm', 'w') as fh:
        fh.write('<?xml version="1.0" encoding="UTF-8"?>\n<osm version="0.6">\n'
                 + '\n'.join(lines + ways) + '\n</osm>\n')


def run(*args):
    p = subprocess.run([sys.executable, SCRIPT, *args], capture_output=True, text=True)
    if p.returncode != 0:
        failures.append(f'run {args}: exit {p.returncode}: {p.stderr.strip()}')
        return {}
    return json.loads(p.stdout)


def unit_tests():
    prof = {'speeds_kmh': {'residential': 30, 'motorway': 90, 'track': 20, 'zero': 0},
            'not_drivable': ['footway', 'track'], 'surface_multipliers': {'unpaved': 0.7},
            'maxspeed': 'cap', 'oneway': 'honour'}

    def w(hw, **t):
        a = {'highway': hw, 'oneway': '', 'surface': '', 'maxspeed': '', 'junction': ''}
        a.update(t)
        return coverage_ref.way_speed_dirs(a, prof)
    cases = [
        (w('residential'), (30, True, True)),
        (w('residential', oneway='yes'), (30, True, False)),
        (w('residential', oneway='1'), (30, True, False)),
        (w('residential', oneway='-1'), (30, False, True)),
        (w('residential', oneway='reverse'), (30, False, True)),
        (w('residential', oneway='no', junction='roundabout'), (30, True, True)),
        (w('residential', oneway='reversible', junction='roundabout'), (30, True, False)),
        (w('motorway'), (90, True, False)),
        (w('motorway', oneway='no'), (90, True, True)),
        (w('residential', surface='unpaved'), (21, True, True)),
        (w('residential', maxspeed='10 mph'), (16.09344, True, True)),
        (w('residential', maxspeed='20'), (20, True, True)),
        (w('residential', maxspeed='walk'), (30, True, True)),
        (w('track'), (0, False, False)), (w('footway'), (0, False, False)),
        (w('unknown'), (0, False, False)), (w('zero'), (0, False, False)),
    ]
    for i, (got, want) in enumerate(cases):
        if abs(got[0] - want[0]) > 1e-9 or got[1:] != want[1:]:
            failures.append(f'way_speed_dirs case {i}: got {got}, want {want}')
    prof['oneway'] = 'ignore'
    if w('residential', oneway='yes') != (30, True, True):
        failures.append('oneway ignore')
    for raw, want in (('3', '3'), (' 3.0 ', '3'), (3.0, '3'), ('2.5', '2.5'), ('x', 'x')):
        check(f'norm_value({raw!r})', coverage_ref.norm_value(raw), want)


def tie_test():
    """A point exactly on a node is that node, whichever incident arc the snapper picked (the
    choice among equally near segments must not matter).  Demand P7 sits on node A (start of
    forward-only W1, end of arc C->A and of backward-only W5): 163.2 s to F1, 192 s to F2 for all
    three joins.  A facility on node B (end of forward-only W1, start of B->C and of
    backward-only W3) is 14.4 + 96 = 110.4 s from P1 and 72 + 7.2 = 79.2 s from P6 for all
    three joins."""
    prof = coverage_ref.yaml.safe_load(PROFILE)
    srs = coverage_ref.srs_from(None, 32738)
    ways = [np.array(c, float) + (X0, Y0) for c, _ in WAYS]
    attrs = [dict({k: '' for k in coverage_ref.TAGS}, **t) for _, t in WAYS]
    net = coverage_ref.Network(ways, attrs, srs, srs, prof)

    def joins_at(xy, d):
        """Every join of a point that snaps onto a node: one per incident arc."""
        j = net.snap(np.array([xy], float) + (X0, Y0), 2000)
        node = net.v[j['arc'][0]] if j['at_v'][0] else net.u[j['arc'][0]]
        out = [(a, False, True) for a in np.nonzero(net.v == node)[0]] + \
              [(a, True, False) for a in np.nonzero(net.u == node)[0]]
        return [{'d': np.array([d]), 'arc': np.array([a]), 'at_u': np.array([au]),
                 'at_v': np.array([av]), 's': np.array([0.0 if au else net.L[a]])}
                for a, au, av in out]

    def time_s(dem, fac):
        return dem['d'][0] * 0.72 + coverage_ref.demand_times(
            net, dem, net.partial_costs(dem), fac, net.partial_costs(fac), fac['d'] * 720.0,
            np.arange(len(fac['d'])))[0] / 1000.0

    fac = net.snap(np.array([p for p, _ in FACS[:2]], float) + (X0, Y0), 2000)
    p7 = joins_at((-100, 0), 100.0)
    check('tie test: arcs at A', len(p7), 3)
    for k, dem in enumerate(p7):
        for f, want in ((0, 163.2), (1, 192.0)):
            sel = {key: v[f:f + 1] for key, v in fac.items()}
            check(f'tie test: P7 join {k} to F{f + 1}', time_s(dem, sel), want)
    fb = joins_at((1000, 0), 0.0)
    check('tie test: arcs at B', len(fb), 3)
    for name, xy, want in (('P1', (200, -20), 110.4), ('P6', (1100, -100), 79.2)):
        dem = net.snap(np.array([xy], float) + (X0, Y0), 2000)
        for k, fj in enumerate(fb):
            check(f'tie test: {name} to facility at B, join {k}', time_s(dem, fj), want)


def main():
    unit_tests()
    tie_test()
    d = tempfile.mkdtemp(prefix='coverage_ref_selftest_')
    write_inputs(d, lonlat=False)
    common = ['--facilities', f'{d}/fac.geojson', '--tier-field', 'tier', '--profile',
              f'{d}/profile.yaml', '--minutes', '3,5,10', '--crs', 'EPSG:32738']
    want = {
        'population_total': 511, 'population_no_road_access': 8, 'population_unreachable': 0,
        'population_beyond_max': 0,
        'population_within_min': {'3': 321, '5': 343, '10': 503},
        'tiers': {'health_post': {'population_within_min': {'3': 321, '5': 321, '10': 359},
                                  'population_unreachable': 0, 'facilities': 2},
                  'health_centre': {'population_within_min': {'3': 0, '5': 326, '10': 503},
                                    'population_unreachable': 0, 'facilities': 1}},
        'crs': 'EPSG:32738', 'nodes': 6, 'edges': 7, 'facilities_snapped': 3,
        'facilities_total': 4}
    got = run('--roads', f'{d}/roads.geojson', '--population', f'{d}/pop.geojson',
              '--tiers', TIERS, *common)
    check('metric', got, want)

    # without --tiers every distinct (normalised) value is a tier
    got = run('--roads', f'{d}/roads.geojson', '--population', f'{d}/pop.geojson', *common)
    check('no --tiers', got.get('tiers'), {
        '1': want['tiers']['health_post'], '2': want['tiers']['health_centre'],
        'x': {'population_within_min': {'3': 0, '5': 16, '10': 16},
              'population_unreachable': 487, 'facilities': 1}})
    if got and list(got['tiers']) != ['1', '2', 'x']:
        failures.append(f'tier order {list(got["tiers"])}')

    # raster demand: 3x2 cells of 100 m, top-left (200,100); nodata (7), NaN, <= 0 add nothing.
    # Cells (250,50) pop 1 and (250,-50) pop 2: W1 s=250, d=50: 36 + 54 + 7.2 = 97.2 s
    ds = gdal.GetDriverByName('GTiff').Create(f'{d}/pop.tif', 3, 2, 1, gdal.GDT_Float32)
    ds.SetGeoTransform((X0 + 200, 100, 0, Y0 + 100, 0, -100))
    sr = osr.SpatialReference()
    sr.ImportFromEPSG(32738)
    ds.SetProjection(sr.ExportToWkt())
    ds.GetRasterBand(1).SetNoDataValue(7)
    ds.GetRasterBand(1).WriteArray(np.array([[1, 7, np.nan], [2, -5, 0]], np.float32))
    ds = None
    got = run('--roads', f'{d}/roads.geojson', '--population', f'{d}/pop.tif',
              '--facilities', f'{d}/fac.geojson', '--profile', f'{d}/profile.yaml',
              '--minutes', '1.6,1.7', '--crs', 'EPSG:32738')
    check('raster', got, {'population_total': 3, 'population_no_road_access': 0,
                          'population_beyond_max': 0,
                          'population_within_min': {'1.6': 0, '1.7': 3}})

    # the same case in lon/lat: GeoJSON with fields and OSM XML (tags in other_tags) must agree
    # with each other and with the metric case; the UTM zone is found automatically
    write_inputs(d, lonlat=True)
    write_osm(d)
    ll = ['--population', f'{d}/pop.geojson', '--tiers', TIERS] + common[:-2]
    for roads in (f'{d}/roads.geojson', f'{d}/roads.osm'):
        check(f'lonlat {os.path.basename(roads)}', run('--roads', roads, *ll), want)

    if failures:
        print(f'FAIL (inputs kept in {d})\n  ' + '\n  '.join(failures))
        sys.exit(1)
    shutil.rmtree(d)
    print('OK')


if __name__ == '__main__':
    main()
