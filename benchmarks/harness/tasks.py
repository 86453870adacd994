"""The benchmark tasks. Each returns a list of result rows (dicts) and never raises for a peer's
failure: a peer that cannot run gets a row with its error."""
import csv
import json
import math
import os
import random
import re
import shutil
import time

import numpy as np

from . import common, gate
from .common import PY, ROOT, log, stats

LIMIT_30_MS = 30 * 60 * 1000


class Ctx:
    """What every task needs: paths, options, the work folder."""

    def __init__(self, args, work):
        self.args = args
        self.work = work
        self.build = os.path.abspath(args.build)
        self.cc = os.path.join(self.build, 'carecircle')
        self.bench = os.path.join(self.build, 'benchmarks')
        self.data = os.path.abspath(args.data)
        self.runs = args.runs
        self.peers = args.peers
        self.peer_errors = {}
        self.versions = {}
        self.commands = []

    def cmd(self, c):
        """Record a command line for RESULTS.md (paths shortened)."""
        s = ' '.join(c)
        s = s.replace(self.data, '$DATA').replace(self.work, '$WORK').replace(ROOT + '/', '')
        if s not in self.commands:
            self.commands.append(s)
        return c


def row(task, dataset, tool, **kw):
    r = {'task': task, 'dataset': dataset, 'tool': tool}
    r.update(kw)
    return r


def err_row(task, dataset, tool, e):
    msg = str(e).strip().splitlines()
    return row(task, dataset, tool, error=msg[-1] if msg else repr(e))


def datasets(ctx):
    if ctx.args.quick:
        return {'demo': os.path.join(ROOT, 'datasets', 'demo', 'roads.geojson')}
    d = ctx.data
    return {'liechtenstein': f'{d}/osm_test_extracts/liechtenstein-2013-08-03.osm.pbf',
            'andorra': f'{d}/osm_test_extracts/andorra-2013-05-28.osm.pbf',
            'comoros': f'{d}/comoros_geohealthaccess/comores-2021-04-08.osm.pbf'}


def export(ctx, name, roads):
    """The frozen problem of one data set: carecircle's graph export."""
    out = os.path.join(ctx.work, f'graph-{name}')
    if not os.path.exists(os.path.join(out, 'edges.csv')):
        common.run(ctx.cmd([ctx.cc, 'graph', '--roads', roads, '--export', out, '--quiet']))
    return out


def choose_sources(ctx, name, gdir, count=500, seed=42):
    """500 distinct random nodes with a fixed seed; on Comoros every candidate site: the node
    nearest to the centre of each 1 km grid cell that holds a node (ties to the smaller id)."""
    xy = np.loadtxt(os.path.join(gdir, 'nodes.csv'), delimiter=',', skiprows=1, usecols=(1, 2), ndmin=2)
    n = len(xy)
    if name == 'comoros':
        cell = np.floor(xy / 1000.0)
        centre = (cell + 0.5) * 1000.0
        d = np.hypot(*(xy - centre).T)
        best = {}
        for i in range(n):
            k = (cell[i, 0], cell[i, 1])
            if k not in best or d[i] < d[best[k]]:
                best[k] = i
        src = sorted(best.values())
        how = f'{len(src)} candidate sites (nearest node to each 1 km cell centre)'
    else:
        count = min(count, n)
        src = sorted(random.Random(seed).sample(range(n), count))
        how = f'{count} random nodes (seed {seed})'
    path = os.path.join(ctx.work, f'sources-{name}.csv')
    with open(path, 'w') as fh:
        fh.write('node\n' + ''.join(f'{s}\n' for s in src))
    return src, path, how


# ---------------------------------------------------------------- task 1: graph build
def task_graph(ctx):
    rows = []
    for name, roads in datasets(ctx).items():
        walls, res = [], None
        for _ in range(ctx.runs):
            w, res = common.run_json(ctx.cmd([ctx.cc, 'graph', '--roads', roads, '--json', '--quiet']))
            walls.append(w)
        rows.append(row('graph', name, 'carecircle', solve=stats(walls), nodes=res['nodes'], edges=res['edges'],
                        bytes=res['routing_bytes'], bytes_per_node=res['routing_bytes'] / res['nodes'],
                        geometry_bytes=res['geometry_bytes'], read_s=res['read_s'], build_s=res['build_s'],
                        note=f"whole process; read {res['read_s']:.3f} s + build {res['build_s']:.4f} s in the last run",
                        agreement='reference'))
        if 'pgrouting' in ctx.peers and not ctx.args.quick:
            rows += _pg_graph(ctx, name, roads, walls)
    return rows


def _pg_graph(ctx, name, roads, cc_walls):
    from . import pg
    rows = []
    if 'pgrouting' in ctx.peer_errors:
        return [err_row('graph', name, 'pgRouting', ctx.peer_errors['pgrouting'])]
    try:
        with pg.cluster() as conn:
            ctx.versions.update(pg.versions(conn))
            r = pg.graph_build(conn, roads, ctx.runs, ctx.work)
            ctx.cmd(['ogr2ogr', '-f', 'PostgreSQL', 'PG:...', roads, 'lines', '-nln', 'ways', '-where', "'highway IS NOT NULL'"])
            ctx.cmd(['psql', '-c', "\"SELECT pgr_createTopology('ways', 0.0000001, 'the_geom', 'id')\""])
            med = stats(r['total_s'])
            rows.append(row('graph', name, 'pgRouting (ogr2ogr + pgr_createTopology)', solve=med, nodes=r['nodes'],
                            bytes=r['bytes'], bytes_per_node=r['bytes'] / max(1, r['nodes']),
                            ratio=med['median'] / stats(cc_walls)['median'], peak_rss_kb=r['peak_rss_kb'],
                            note=f"ogr2ogr {stats(r['ogr2ogr_s'])['median']:.2f} s + topology "
                                 f"{stats(r['topology_s'])['median']:.2f} s; all highway lines (its own graph model: "
                                 f"nodes at line ends only); bytes = ways + vertices tables",
                            agreement='different graph model (not compared)'))
            rows.append(_osm2pgrouting(ctx, conn, name, roads, cc_walls))
    except Exception as e:  # noqa: BLE001 - a peer's failure is a result
        rows.append(err_row('graph', name, 'pgRouting', e))
    return rows


def _osm2pgrouting(ctx, conn, name, roads, cc_walls):
    tool = 'pgRouting (osm2pgrouting)'
    if not common.which('osm2pgrouting') or not common.which('osmium'):
        return err_row('graph', name, tool, 'osm2pgrouting or osmium-tool is not installed')
    try:
        osm = os.path.join(ctx.work, f'{name}.osm')
        t0 = time.perf_counter()
        common.run(ctx.cmd(['osmium', 'cat', '--overwrite', roads, '-o', osm]))
        conv = time.perf_counter() - t0
        host = conn.get_dsn_parameters()['host']
        cur = conn.cursor()
        walls = []
        for _ in range(ctx.runs):
            cur.execute('DROP TABLE IF EXISTS ways, ways_vertices_pgr, configuration, pointsofinterest CASCADE')
            w, _, _ = common.run(ctx.cmd(['osm2pgrouting', '-f', osm, '-c', '/usr/share/osm2pgrouting/mapconfig.xml',
                                          '-d', 'postgres', '-U', 'postgres', '-h', host, '--clean']))
            walls.append(w)
        cur.execute('SELECT count(*) FROM ways_vertices_pgr')
        nodes = cur.fetchone()[0]
        cur.execute("SELECT pg_total_relation_size('ways') + pg_total_relation_size('ways_vertices_pgr')")
        b = cur.fetchone()[0]
        s = stats(walls)
        return row('graph', name, tool, solve=s, nodes=nodes, bytes=b, bytes_per_node=b / max(1, nodes),
                   ratio=s['median'] / stats(cc_walls)['median'],
                   note=f'whole osm2pgrouting process on OSM XML; the pbf -> XML conversion (osmium, {conv:.2f} s) '
                        'is not included', agreement='different graph model (not compared)')
    except Exception as e:  # noqa: BLE001
        return err_row('graph', name, tool, e)


# ---------------------------------------------------------------- task 2: reach
def task_reach(ctx):
    rows = []
    for name, roads in datasets(ctx).items():
        gdir = export(ctx, name, roads)
        src, spath, how = choose_sources(ctx, name, gdir, count=100 if ctx.args.quick else 500)
        ans_cc = os.path.join(ctx.work, f'answers-{name}-carecircle.csv')
        _, res = common.run_json(ctx.cmd([os.path.join(ctx.bench, 'bench_reach'), '--graph', gdir, '--sources', spath,
                                          '--limit-ms', str(LIMIT_30_MS), '--threads', '1,2', '--runs', str(ctx.runs),
                                          '--answers', ans_cc]))
        ref = gate.read_answers(ans_cc)
        s1, s2 = stats(res['solve_s']['1']), stats(res['solve_s']['2'])
        c1, c2 = stats(res['cpu_s']['1']), stats(res['cpu_s']['2'])
        base = dict(nodes=res['nodes'], edges=res['edges'], sources=len(src), sources_how=how, limit_ms=LIMIT_30_MS)
        rows.append(row('reach', name, 'carecircle', threads=1, load_s=res['load_s'], solve=s1, cpu=c1,
                        settled_per_cpu_s=res['settled_per_run'] / c1['median'],
                        per_source_s=s1['median'] / len(src), settled_per_s_per_thread=res['settled_per_run'] / s1['median'],
                        peak_rss_kb=res['peak_rss_kb'], agreement='reference', ratio=1.0, **base))
        rows.append(row('reach', name, 'carecircle', threads=2, load_s=res['load_s'], solve=s2, cpu=c2,
                        cpu_per_wall=c2['median'] / s2['median'], cpu_per_wall_1=c1['median'] / s1['median'],
                        per_source_s=s2['median'] / len(src),
                        settled_per_s_per_thread=res['settled_per_run'] / s2['median'] / 2,
                        speedup=s1['median'] / s2['median'], ratio=s2['median'] / s1['median'],
                        peak_rss_kb=res['peak_rss_kb'], agreement='same answers as 1 thread', **base))
        hier = _ch_reach(ctx, name, gdir, spath, ref, s1, c1, base)
        rows.append(hier)
        if ctx.args.quick:
            continue
        first_peer = len(rows)
        for peer in ('scipy', 'igraph', 'networkx'):
            if peer in ctx.peers:
                rows.append(_py_peer(ctx, peer, name, gdir, spath, ref, s1, base, c1))
        if 'pgrouting' in ctx.peers:
            rows.append(_pg_reach(ctx, name, gdir, src, ref, s1, base, c1))
        if 'qgis' in ctx.peers:
            rows.append(_qgis_reach(ctx, name, gdir, src, ref, s1, base, c1))
        _ch_against_peers(ctx, name, hier, rows[first_peer:])
    return rows


CH_TOOL = 'carecircle (hierarchy, 1 thread)'


def _ch_reach(ctx, name, gdir, spath, ref, cc_solve, cc_cpu, base):
    """The same sources on the contraction hierarchy (issue 19): bench_reach --method both at one
    thread, in a process of its own, so that no worker left spinning by a 2-thread run is counted in
    its CPU time; bench_reach fails when a source's answer differs from the bounded Dijkstra's. Its
    answers file is compared with carecircle's Dijkstra answers here and with each peer's by
    _ch_against_peers."""
    ans = os.path.join(ctx.work, f'answers-{name}-carecircle-ch.csv')
    try:
        _, res = common.run_json(ctx.cmd([os.path.join(ctx.bench, 'bench_reach'), '--graph', gdir, '--sources', spath,
                                          '--limit-ms', str(LIMIT_30_MS), '--threads', '1', '--runs', str(ctx.runs),
                                          '--method', 'both', '--ch-answers', ans]))
    except Exception as e:  # noqa: BLE001 - reported as a failed carecircle row (benchmarks/run fails)
        return err_row('reach', name, CH_TOOL, e)
    ch = res['ch']
    s, c = stats(ch['solve_s']['1']), stats(ch['cpu_s']['1'])
    pw, pc = stats(ch['prepare_s']), stats(ch['prepare_cpu_s'])
    dj_c = stats(res['cpu_s']['1'])
    cmp = gate.compare(ref, gate.read_answers(ans))
    note = (f"16-lane bounded searches on a contraction hierarchy, sources in node order, 16 a batch ({ch['groups']} batches); "
            f"preprocessing (hierarchy build from the loaded graph, its first priorities on every thread from 4,096 nodes, not in solve): {_fmt_s(pc['median'])} CPU, "
            f"{_fmt_s(pw['median'])} wall; hierarchy {ch['bytes_per_node']:.0f} bytes per node ({ch['arcs']:,} arcs, "
            f"{ch['shortcuts']:,} shortcuts; {ch['bytes']:,} bytes), search workspace {ch['batch_bytes_per_node']:.0f} bytes per "
            f"node per thread; ratio columns = hierarchy / Dijkstra row above; in its own 1-thread process, alternating with "
            f"Dijkstra: Dijkstra CPU / hierarchy CPU {dj_c['median'] / c['median']:.1f}× without preprocessing, "
            f"{dj_c['median'] / (c['median'] + pc['median']):.2f}× with")
    return row('reach', name, CH_TOOL, load_s=res['load_s'], solve=s, cpu=c, prepare=pw, prepare_cpu=pc,
               per_source_s=s['median'] / base['sources'], ratio=s['median'] / cc_solve['median'],
               ratio_cpu=c['median'] / cc_cpu['median'], ch_bytes=ch['bytes'], ch_bytes_per_node=ch['bytes_per_node'],
               ch_arcs=ch['arcs'], ch_shortcuts=ch['shortcuts'], dijkstra_same_process_cpu=dj_c,
               peak_rss_kb=res['peak_rss_kb'], agreement='same answers as Dijkstra: ' + gate.describe(cmp), agree=cmp['agree'],
               gate=cmp, answers=ans, note=note, **base)


def _fmt_s(x):
    return f'{x * 1e3:.1f} ms' if x < 1 else f'{x:.2f} s'


def _ch_against_peers(ctx, name, hier, peer_rows):
    """Every peer's CPU time against the hierarchy's, without and with its preprocessing (per source,
    so that QGIS's sample compares too), and the hierarchy's answers against each peer's."""
    if hier.get('error'):
        return
    per_c = hier['cpu']['median'] / hier['sources']
    per_cp = (hier['cpu']['median'] + hier['prepare_cpu']['median']) / hier['sources']
    ratios, agree = [], []
    for r in peer_rows:
        if r.get('error'):
            continue
        if r.get('cpu'):
            pc = r['cpu']['median'] if r['tool'] == 'QGIS' else r['cpu']['median'] / r['sources']  # QGIS: per source
            a, b = pc / per_c, pc / per_cp
            ratios.append(f"{r['tool']} {a:.1f}× / {b:.1f}×")
            hier.setdefault('peer_ratio_cpu', {})[r['tool']] = {'without_prepare': a, 'with_prepare': b}
        peer_ans = os.path.join(ctx.work, f"answers-{name}-{r['tool'].lower()}.csv")
        if os.path.exists(peer_ans):
            cmp = gate.compare(gate.read_answers(hier['answers']), gate.read_answers(peer_ans),
                               check_sum=r['tool'] != 'QGIS')
            agree.append(f"{r['tool']} {'yes' if cmp['agree'] else 'NO'}")
    if ratios:
        hier['note'] += ('; peer CPU / hierarchy CPU, without preprocessing / with preprocessing counted: ' +
                         ', '.join(ratios))
    if agree:
        hier['agreement'] += '; its answers against each peer\'s: ' + ', '.join(agree)


def _timed_row(ctx, task, name, tool, res, cmp, cc_solve, base, note='', cc_cpu=None):
    s = stats(res['solve_s'])
    r = row(task, name, tool, load_s=res.get('load_s'), solve=s, per_source_s=s['median'] / base['sources'],
            peak_rss_kb=res.get('peak_rss_kb'), agreement=gate.describe(cmp), agree=cmp['agree'], gate=cmp, note=note,
            **base)
    r['ratio'] = s['median'] / cc_solve['median']
    if res.get('cpu_s') and cc_cpu:
        r['cpu'] = stats(res['cpu_s'])
        r['ratio_cpu'] = r['cpu']['median'] / cc_cpu['median']
    return r


def _py_peer(ctx, peer, name, gdir, spath, ref, cc_solve, base, cc_cpu):
    if peer in ctx.peer_errors:
        return err_row('reach', name, peer, ctx.peer_errors[peer])
    ans = os.path.join(ctx.work, f'answers-{name}-{peer}.csv')
    try:
        _, res = common.run_json(ctx.cmd([PY, os.path.join(ROOT, 'benchmarks', 'harness', 'peer_reach.py'), '--tool', peer,
                                          '--graph', gdir, '--sources', spath, '--limit-ms', str(LIMIT_30_MS),
                                          '--runs', str(ctx.runs), '--answers', ans]), timeout=7200)
        ctx.versions[peer] = res['version']
        cmp = gate.compare(ref, gate.read_answers(ans))
        note = {'scipy': 'csgraph.dijkstra(indices=all sources, limit=L)',
                'igraph': 'Graph.distances(all sources): no cutoff in igraph, full searches then <= L',
                'networkx': 'single_source_dijkstra_path_length(cutoff=L) per source'}[peer]
        return _timed_row(ctx, 'reach', name, peer, res, cmp, cc_solve, base, note, cc_cpu)
    except Exception as e:  # noqa: BLE001
        return err_row('reach', name, peer, e)


def _pg_reach(ctx, name, gdir, src, ref, cc_solve, base, cc_cpu):
    from . import pg
    if 'pgrouting' in ctx.peer_errors:
        return err_row('reach', name, 'pgRouting', ctx.peer_errors['pgrouting'])
    try:
        ans = os.path.join(ctx.work, f'answers-{name}-pgrouting.csv')
        with pg.cluster() as conn:
            ctx.versions.update(pg.versions(conn))
            res = pg.reach(conn, gdir, src, LIMIT_30_MS, ctx.runs, ans)
        ctx.cmd(['psql', '-c', "\"SELECT from_v, count(*), sum(agg_cost) FROM pgr_drivingDistance('SELECT id, source, target, "
                               "cost, reverse_cost FROM edges', ARRAY[sources], 1800000, directed => true, equicost => false) "
                               "GROUP BY from_v\""])
        cmp = gate.compare(ref, gate.read_answers(ans))
        return _timed_row(ctx, 'reach', name, 'pgRouting', res, cmp, cc_solve, base,
                          'pgr_drivingDistance, all sources in one call, equicost false; load = COPY into the edge '
                          'table; CPU = the backend process', cc_cpu)
    except Exception as e:  # noqa: BLE001
        return err_row('reach', name, 'pgRouting', e)


def _qgis_reach(ctx, name, gdir, src, ref, cc_solve, base, cc_cpu):
    from . import qgis_peer
    tool = 'QGIS'
    if 'qgis' in ctx.peer_errors:
        return err_row('reach', name, tool, ctx.peer_errors['qgis'])
    if not qgis_peer.qgis_bin():
        return err_row('reach', name, tool, 'qgis_process is not installed')
    try:
        ctx.versions['qgis'] = qgis_peer.version()
        sample = src[:: max(1, len(src) // ctx.args.qgis_sample)][:ctx.args.qgis_sample]
        ans = os.path.join(ctx.work, f'answers-{name}-qgis.csv')
        res = qgis_peer.reach(gdir, sample, LIMIT_30_MS, ctx.work, ans)
        ctx.cmd(['qgis_process.bin', 'run', 'native:serviceareafrompoint', '--ELLIPSOID=NONE', '--PROJECT_PATH=bench.qgs', '--',
                 'INPUT=qgis_network.gpkg', 'STRATEGY=0', 'DIRECTION_FIELD=dir', 'VALUE_FORWARD=F', 'TOLERANCE=0',
                 "'START_POINT=x,y [EPSG:3857]'", 'TRAVEL_COST2=1800000', 'OUTPUT_LINES=out.gpkg'])
        cmp = gate.compare(ref, gate.read_answers(ans), check_sum=False)
        s = stats(res['per_source_s'])
        cs = stats(res['per_source_cpu_s'])
        per_cc = cc_solve['median'] / base['sources']
        per_cc_cpu = cc_cpu['median'] / base['sources']
        b = dict(base, sources=len(sample), sources_how=f'{len(sample)} of the same sources, evenly spaced')
        return row('reach', name, tool, solve=s, per_source_s=s['median'], ratio=s['median'] / per_cc, cpu=cs,
                   ratio_cpu=cs['median'] / per_cc_cpu,
                   peak_rss_kb=res['peak_rss_kb'], agreement=gate.describe(cmp), agree=cmp['agree'], gate=cmp,
                   load_s=res['convert_s'],
                   note='qgis_process per source, whole process (start, layer, graph, service area, write); '
                        'ratio per source; load = writing its line layer', **b)
    except Exception as e:  # noqa: BLE001
        return err_row('reach', name, tool, e)


# ---------------------------------------------------------------- task 3: travel-time raster
def task_raster(ctx):
    if ctx.args.quick:
        return []
    from osgeo import gdal
    gdal.UseExceptions()
    d = f'{ctx.data}/comoros_geohealthaccess'
    roads, fac = f'{d}/comores-2021-04-08.osm.pbf', f'{d}/who_public_health_facilities_comoros.csv'
    pop = os.path.join(ctx.work, 'pop_utm90.tif')
    common.run(ctx.cmd(['gdalwarp', '-q', '-overwrite', '-t_srs', 'EPSG:32738', '-tr', '90', '90', '-tap', '-r', 'sum',
                        f'{d}/com_ppp_2020_UNadj.tif', pop]))
    rows = []
    # carecircle: whole coverage runs; compute = graph + snap + search
    comp, walls, out = [], [], os.path.join(ctx.work, 'cov-raster')
    for _ in range(ctx.runs):
        w, so, _ = common.run(ctx.cmd([ctx.cc, 'coverage', '--roads', roads, '--population', pop, '--facilities', fac,
                                       '--minutes', '15,30,60', '--out', out, '--quiet', '--threads', '1']))
        m = re.search(r'load ([0-9.]+), graph ([0-9.]+), snap ([0-9.]+), search ([0-9.]+)', so)
        comp.append(float(m.group(2)) + float(m.group(3)) + float(m.group(4)))
        walls.append(w)
    ds = gdal.Open(os.path.join(out, 'travel_time.tif'))
    cc_min = ds.GetRasterBand(1).ReadAsArray().astype(np.float64)
    nd = ds.GetRasterBand(1).GetNoDataValue()
    cc_ms = np.where(cc_min == nd, np.inf, cc_min * 60000.0)
    ds = None
    pds = gdal.Open(pop)  # keep the dataset alive while its band is read
    popa = pds.GetRasterBand(1)
    pa = popa.ReadAsArray()
    cells = int(np.sum((pa != popa.GetNoDataValue()) & (pa > 0)))
    pds = None
    sc = stats(comp)
    rows.append(row('raster', 'comoros', 'carecircle', threads=1, solve=sc, per_cell_us=sc['median'] / cells * 1e6,
                    cells=cells, whole_s=stats(walls)['median'], agreement='reference',
                    note='graph + snap + search of `carecircle coverage --threads 1` (whole process '
                         f"{stats(walls)['median']:.2f} s incl. reading and writing the COG/GeoPackage)"))
    # scipy: the same model (must agree)
    npz = os.path.join(ctx.work, 'ref_times.npz')
    fr = os.path.join(ctx.work, 'friction.tif')
    if 'scipy' in ctx.peers:
        try:
            sol, res = [], None
            for k in range(ctx.runs):
                _, res = common.run_json(ctx.cmd([PY, os.path.join(ROOT, 'benchmarks', 'harness', 'raster_ref.py'),
                                                  '--roads', roads, '--population', pop, '--facilities', fac, '--profile',
                                                  os.path.join(ROOT, 'datasets', 'profiles', 'ambulance.yaml'), '--out', npz]
                                                 + (['--friction', fr] if k == 0 else [])))
                sol.append(res['solve_s'])
            z = np.load(npz)
            ref = np.full(cc_ms.shape, np.inf)
            ref[z['rows'], z['cols']] = z['t_ms']
            both = np.isfinite(ref) & np.isfinite(cc_ms)
            only = int(np.sum(np.isfinite(ref) != np.isfinite(cc_ms)))
            diff = np.abs(ref[both] - cc_ms[both])
            agree = only == 0 and (diff.max() if diff.size else 0) <= 10.0
            s = stats(sol)
            agree = bool(agree)
            rows.append(row('raster', 'comoros', 'scipy (reference model)', solve=s, per_cell_us=s['median'] / cells * 1e6,
                            cells=cells, ratio=s['median'] / sc['median'], peak_rss_kb=res['peak_rss_kb'], agree=agree,
                            agreement=(f'yes, within 10 ms per cell: {int(both.sum())} cells, largest |difference| '
                                       f'{diff.max():.2f} ms, 99th percentile {np.percentile(diff, 99):.2f} ms, {only} cells '
                                       'reachable in one only (carecircle rounds costs to whole ms, the reference '
                                       'keeps partial arcs and off-road legs in floating point)') if agree else
                                      (f'NO: max |difference| {diff.max():.1f} ms, {only} cells reachable in one only'),
                            note='tests/reference/coverage_ref.py: snapping + one csgraph.dijkstra from a super-source'))
        except Exception as e:  # noqa: BLE001
            rows.append(err_row('raster', 'comoros', 'scipy (reference model)', e))
    if 'grass' in ctx.peers:
        rows.append(_grass(ctx, fr, fac, cc_ms, sc, cells))
    return rows


GRASS_SCRIPT = '''#!/bin/sh
set -e
r.in.gdal -o input="$1" output=friction --quiet
g.region raster=friction
for i in $(seq 1 "$3"); do
  t0=$(date +%s.%N)
  r.cost -k --overwrite input=friction output=cost start_coordinates="$2" --quiet
  t1=$(date +%s.%N)
  echo "rcost_s $t0 $t1"
done
r.univar -g map=cost | grep '^n='
r.out.gdal -c --overwrite input=cost output="$4" format=GTiff type=Float64 --quiet
'''


def _grass(ctx, friction, fac, cc_ms, cc_solve, cells):
    tool = 'GRASS r.cost'
    if 'grass' in ctx.peer_errors:
        return err_row('raster', 'comoros', tool, ctx.peer_errors['grass'])
    if not common.which('grass'):
        return err_row('raster', 'comoros', tool, 'grass is not installed')
    if not os.path.exists(friction):
        return err_row('raster', 'comoros', tool, 'no friction surface (it is made by the scipy step)')
    try:
        from osgeo import gdal, osr
        sc = os.path.join(ctx.work, 'rcost.sh')
        with open(sc, 'w') as fh:
            fh.write(GRASS_SCRIPT)
        os.chmod(sc, 0o755)
        xy = []
        with open(fac, newline='', encoding='utf-8-sig') as fh:
            for r in csv.DictReader(fh):
                try:
                    xy.append((float(r['lon']), float(r['lat'])))
                except (TypeError, ValueError):
                    pass
        src = osr.SpatialReference()
        src.ImportFromEPSG(4326)
        src.SetAxisMappingStrategy(osr.OAMS_TRADITIONAL_GIS_ORDER)
        dst = osr.SpatialReference()
        dst.ImportFromEPSG(32738)
        ct = osr.CoordinateTransformation(src, dst)
        pts = ','.join(f'{x:.1f},{y:.1f}' for x, y, _ in ct.TransformPoints(xy))
        out = os.path.join(ctx.work, 'rcost.tif')
        ctx.cmd(['grass', '--tmp-location', 'EPSG:32738', '--exec', sc, friction, '<x,y of the 65 facilities in UTM 38S>',
                 str(ctx.runs), out])
        _, so, _ = common.run(['grass', '--tmp-location', 'EPSG:32738', '--exec', sc, friction, pts, str(ctx.runs), out],
                              timeout=7200)
        ctx.cmd(['# rcost.sh: r.in.gdal friction; g.region raster=friction; r.cost -k input=friction output=cost '
                 'start_coordinates=...; r.out.gdal'])
        times = [float(b) - float(a) for _, a, b in (ln.split() for ln in so.splitlines() if ln.startswith('rcost_s'))]
        n_cells = int(re.search(r'^n=(\d+)', so, re.M).group(1))
        gds = gdal.Open(out)
        v = gds.GetRasterBand(1)
        g = v.ReadAsArray()
        gnd = v.GetNoDataValue()
        gds = None
        g_ms = np.where((g == gnd) | ~np.isfinite(g), np.inf, g * 1000.0)
        both = np.isfinite(g_ms) & np.isfinite(cc_ms)
        dmin = (g_ms[both] - cc_ms[both]) / 60000.0
        ad = np.abs(dmin)
        s = stats(times)
        import subprocess
        vp = subprocess.run(['grass', '--version'], capture_output=True, text=True)
        ver = [ln for ln in (vp.stdout + vp.stderr).splitlines() if ln.startswith('GRASS GIS')]
        ctx.versions['grass'] = ver[0].replace('GRASS GIS ', '') if ver else 'unknown'
        return row('raster', 'comoros', tool, solve=s, per_cell_us=s['median'] / n_cells * 1e6, cells=n_cells,
                   ratio=(s['median'] / n_cells) / (cc_solve['median'] / cells),
                   agreement=(f'different model, not agreement: over {int(both.sum())} cells with both times, r.cost - '
                              f'carecircle median {np.median(dmin):+.1f} min, |diff| median {np.median(ad):.1f} min, '
                              f'90th pct {np.percentile(ad, 90):.1f} min, {100 * np.mean(ad <= 5):.0f}% within 5 min; '
                              f'correlation {np.corrcoef(g_ms[both], cc_ms[both])[0, 1]:.3f}'),
                   note='r.cost -k (knight moves) on a friction surface on the same 90 m grid: road cells at the '
                        'fastest road speed, other land at 5 km/h, sea null; isotropic (no oneway), no snapping legs; '
                        'ratio is per cell; r.walk not run (a walking model that needs a DEM)')
    except Exception as e:  # noqa: BLE001
        return err_row('raster', 'comoros', tool, e)


# ---------------------------------------------------------------- task 4: siting
def task_siting(ctx):
    """carecircle site, MCLP p = 1..10 at 30 minutes, each p with its own proven bound: WHO
    hospitals fixed, candidates every 1 km along all drivable roads (Comoros); on --quick the demo
    district. Exact peers on the whole instance are not run (see the note)."""
    if ctx.args.quick:
        d = os.path.join(ROOT, 'datasets', 'demo')
        name, args = 'demo', ['--roads', f'{d}/roads.geojson', '--population', f'{d}/population.asc',
                              '--facilities', f'{d}/facilities.csv', '--fixed-tiers', 'county_hospital']
    else:
        d = f'{ctx.data}/comoros_geohealthaccess'
        name, args = 'comoros', ['--roads', f'{d}/comores-2021-04-08.osm.pbf', '--population', f'{d}/com_ppp_2020_UNadj.tif',
                                 '--facilities', f'{d}/who_public_health_facilities_comoros.csv',
                                 '--tiers', '1=health_post,2=health_centre,3=hospital,4=hospital', '--fixed-tiers', 'hospital']
    out = os.path.join(ctx.work, f'site-{name}')
    cmd = ctx.cmd([ctx.cc, 'site'] + args + ['--candidate-roads', 'all', '--spacing', '1000', '-p', '10', '--curve', '10',
                                             '--minutes', '30', '--out', out, '--quiet'])
    try:
        walls = []
        for _ in range(max(1, ctx.runs)):
            w, _, _ = common.run(cmd, timeout=3600)
            walls.append(w)
        with open(os.path.join(out, 'summary.json')) as fh:
            sj = json.load(fh)
        with open(os.path.join(out, 'coverage_curve.csv'), newline='') as fh:
            curve = [r for r in csv.DictReader(fh) if int(r['p']) > 0]
        ok = all(float(r['bound']) >= float(r['population_covered']) - 1e-6 for r in curve)
        return [row('siting', name, 'carecircle site', solve=stats(walls), curve=curve,
                    candidates=sj['counts']['candidates'], pairs=sj['counts']['pairs'],
                    bytes_per_pair=sj['counts']['bytes_per_pair'], timings=sj['timings_s'],
                    agreement='bound >= covered for every p' if ok else 'NO: a bound below its answer',
                    note='whole process: read, graph, candidates, coverage sets, p = 1..10 each with heuristic and '
                         'LP/Lagrangian bound, outputs. Exact peers not run on this instance: GLPK\'s branch and bound '
                         'does not finish it in reasonable time (see the siting section); heuristic = GLPK optimum is '
                         'checked on random instances by unit.site, and the LP files + CBC/GLPK path of '
                         'benchmarks/harness/siting.py by unit.bench_siting. spopt is not packaged for Debian bookworm.')]
    except Exception as e:  # noqa: BLE001
        return [err_row('siting', name, 'carecircle site', e)]


# ---------------------------------------------------------------- task 5: scaling and the limit
def task_scale(ctx):
    rows = []
    if ctx.args.quick:
        demo = os.path.join(ROOT, 'datasets', 'demo', 'roads.geojson')
        _, r = common.run_json(ctx.cmd([os.path.join(ctx.bench, 'bench_scale'), '--roads', demo, '--tiles', '4',
                                        '--sources', '50', '--runs', '2', '--layouts']))
        if not (r['agree_threads'] and r['agree_plain'] and r.get('agree_layouts', True)):
            raise RuntimeError('bench_scale: kernels disagree')
        rows.append(row('scale', 'demo x4', 'carecircle', **_scale_fields(r)))
        _, m = common.run_json(ctx.cmd([os.path.join(ctx.bench, 'bench_memlat'), '64', '200000']))
        rows.append(row('limit', 'memlat', 'probe', ns_per_access=m['ns_per_access']))
        return rows
    d = f'{ctx.data}/osm_test_extracts'
    files = ['--roads', f'{d}/andorra-2013-05-28.osm.pbf', '--roads', f'{d}/liechtenstein-2013-08-03.osm.pbf']
    full = ctx.args.tiles
    for tiles, label in ((full // 4, '1/4'), (full // 2, '1/2'), (full, 'full')):
        try:
            w, r = common.run_json(ctx.cmd([os.path.join(ctx.bench, 'bench_scale')] + files +
                                           ['--tiles', str(tiles), '--sources', '500', '--runs', str(ctx.runs),
                                            '--limit-ms', str(LIMIT_30_MS)] + (['--layouts'] if label == 'full' else [])),
                                   timeout=7200)
            rows.append(row('scale', f'tiled x{tiles} ({label})', 'carecircle', limit_ms=LIMIT_30_MS, **_scale_fields(r)))
        except Exception as e:  # noqa: BLE001
            rows.append(err_row('scale', f'tiled x{tiles} ({label})', 'carecircle', e))
    try:  # long searches: most of the graph, far beyond the caches
        w, r = common.run_json(ctx.cmd([os.path.join(ctx.bench, 'bench_scale')] + files +
                                       ['--tiles', str(full), '--sources', '8', '--runs', str(ctx.runs),
                                        '--limit-ms', str(8 * 3600 * 1000), '--layouts']), timeout=7200)
        rows.append(row('scale', f'tiled x{full} (full), 8 h limit', 'carecircle', limit_ms=8 * 3600 * 1000, **_scale_fields(r)))
    except Exception as e:  # noqa: BLE001
        rows.append(err_row('scale', f'tiled x{full}, 8 h limit', 'carecircle', e))
    _, m = common.run_json(ctx.cmd([os.path.join(ctx.bench, 'bench_memlat'), '1024', '20000000']))
    rows.append(row('limit', 'memlat', 'probe', ns_per_access=m['ns_per_access']))
    return rows


def _scale_fields(r):
    s1, s2 = stats(r['solve_s']['1']), stats(r['solve_s']['2'])
    c1, c2 = stats(r['cpu_s']['1']), stats(r['cpu_s']['2'])
    pl = stats(r['plain_heap_s'])
    f = dict(nodes=r['nodes'], edges=r['edges'], ways=r['ways'], way_vertices=r['way_vertices'], tiles=r['tiles'],
             build_s=r['build_s'], routing_bytes=r['routing_bytes'], geometry_bytes=r['geometry_bytes'],
             roads_bytes=r['roads_bytes'], workspace_bytes_per_node=r['workspace_bytes_per_node'],
             peak_rss_kb=r['peak_rss_kb'], peak_rss_build_kb=r['peak_rss_build_kb'], sources=r['sources'],
             settled_per_run=r['settled_per_run'], solve=s1, solve_2=s2, speedup=s1['median'] / s2['median'],
             cpu=c1, cpu_2=c2, cpu_per_wall_1=c1['median'] / s1['median'], cpu_per_wall_2=c2['median'] / s2['median'],
             settled_per_cpu_s=r['settled_per_run'] / c1['median'],
             settled_per_s_per_thread=r['settled_per_run'] / s1['median'],
             settled_per_s_per_thread_2=r['settled_per_run'] / s2['median'] / 2,
             plain=pl, plain_settled_per_s=r['settled_per_run'] / pl['median'],
             packed=stats(r['packed_labels_s']), agree_packed=r['agree_packed'],
             plain_cpu=stats(r['plain_heap_cpu_s']), packed_cpu=stats(r['packed_labels_cpu_s']),
             fraction_of_plain_cpu=stats(r['plain_heap_cpu_s'])['median'] / c1['median'],
             plain_settled_per_cpu_s=r['settled_per_run'] / stats(r['plain_heap_cpu_s'])['median'],
             fraction_of_plain=pl['median'] / s1['median'],
             agree=r['agree_threads'] and r['agree_plain'] and r['agree_packed'],
             agreement='cc_search = plain Dijkstra = interleaved what-if per source, 1 = 2 threads'
             if r['agree_threads'] and r['agree_plain'] and r['agree_packed']
             else 'NO: kernels disagree')
    if 'layout_s' in r:
        f['layout_s'] = r['layout_s']
        f['plain_heap_random_s'] = r['plain_heap_random_s']
        f['layout_cpu_s'] = r['layout_cpu_s']
        f['plain_heap_random_cpu_s'] = r['plain_heap_random_cpu_s']
        f['agree_layouts'] = r['agree_layouts']
    return f


TASKS = {'graph': task_graph, 'reach': task_reach, 'raster': task_raster, 'siting': task_siting, 'scale': task_scale}
