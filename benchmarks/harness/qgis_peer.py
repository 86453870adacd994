"""QGIS as a peer: `qgis_process run native:serviceareafrompoint`, headless, one process per
source (that is how a QGIS user or a script drives it), on a line layer converted from the
frozen problem.

Exactness: QGIS computes its own costs from line geometry (the "Shortest" strategy measures
planar length with --ELLIPSOID=NONE). To make those lengths equal the exported integer costs
exactly, the layer lives in a coordinate system scaled so that 1 unit = 1 ms of travel: node
coordinates are rounded to a grid in which every edge's L1 node distance is at most its cost,
and each directed edge is drawn as an axis-parallel detour (node -> up/down -> across -> node)
whose length is exactly its cost (lengths are sums of multiples of 0.5, exact in floating
point). No segment passes through a node (QGIS ties the start point to the nearest segment) and
corners are shared only between the two directions of one road. A vertex 0.5 ms before the end
of every edge keeps QGIS's overshoot (its service area also keeps the first vertex beyond the
limit) off the nodes. Each directed edge is a feature with direction 'F'. Service-area lines carry no costs,
so the gate compares the reached node sets only (the nodes appearing as vertices of the output).

Known limit (QGIS 3.22.16, checked on a two-segment test line): the algorithm measures lengths on
the ellipsoid even with --ELLIPSOID=NONE (it prints "Using ellipsoid: NONE") and a project
without an ellipsoid; a layer without a CRS gives NaN costs. In EPSG:3857 the measured length of
a segment is its planar length times the local scale (about cos(latitude) of its y), so QGIS's
costs are a little below the exported ones and its areas reach a few more nodes. The layer is
centred on the equator to keep that small; the gate reports the difference, never agreement.
"""
import json
import os
import resource
import subprocess
import time

import numpy as np

from . import gate

ENV = dict(os.environ, QT_QPA_PLATFORM='offscreen', XDG_RUNTIME_DIR='/tmp/runtime-root')


PROJECT = '''<!DOCTYPE qgis PUBLIC 'http://mrcc.com/qgis.dtd' 'SYSTEM'>
<qgis version="3.22.16" projectname="carecircle-bench">
  <projectCrs><spatialrefsys><authid>EPSG:3857</authid></spatialrefsys></projectCrs>
  <properties><Measure><Ellipsoid type="QString">NONE</Ellipsoid></Measure></properties>
</qgis>
'''


def qgis_bin():
    # Debian's /usr/bin/qgis_process wrapper adds --noversioncheck, which the 3.22 binary
    # rejects ("Command --noversioncheck not known!"): call the binary itself.
    for b in ('/usr/bin/qgis_process.bin', '/usr/bin/qgis_process'):
        if os.path.exists(b):
            return b
    return None


def version():
    out = subprocess.run([qgis_bin(), '--version'], capture_output=True, text=True, env=ENV, timeout=120).stdout
    for line in out.splitlines():
        if line.startswith('QGIS '):
            return line.split()[1].split('-')[0]
    return 'unknown'


def _load(graph_dir):
    nodes = np.loadtxt(os.path.join(graph_dir, 'nodes.csv'), delimiter=',', skiprows=1, ndmin=2)
    edges = np.loadtxt(os.path.join(graph_dir, 'edges.csv'), delimiter=',', skiprows=1, dtype=np.int64, ndmin=2)
    return nodes[:, 1:3], edges


def build_layer(graph_dir, path):
    """Write the network as a GeoPackage line layer; returns (node grid coordinates, stats)."""
    from osgeo import ogr, osr
    ogr.UseExceptions()
    xy, e = _load(graph_dir)
    xy = xy - xy.min(axis=0)
    xy[:, 1] -= 0.5 * xy[:, 1].max()  # centred on y = 0 (the equator of EPSG:3857), see above
    s_, t_, c_ = e[:, 0], e[:, 1], e[:, 2].astype(np.float64)
    l1 = np.abs(xy[s_] - xy[t_]).sum(axis=1)
    pos = l1 > 0
    scale = 0.95 * float(np.min(c_[pos] / l1[pos])) if pos.any() else 1.0
    while True:
        X = np.rint(xy * scale)
        d = np.abs(X[s_] - X[t_]).sum(axis=1)
        if np.all(d <= c_):
            break
        scale *= 0.9
    uniq = len({(a, b) for a, b in X.tolist()})
    if uniq != len(X):
        raise RuntimeError(f'{len(X) - uniq} nodes share a grid cell at scale {scale:.3f}')
    drv = ogr.GetDriverByName('GPKG')
    if os.path.exists(path):
        drv.DeleteDataSource(path)
    ds = drv.CreateDataSource(path)
    srs = osr.SpatialReference()
    srs.ImportFromEPSG(3857)
    lyr = ds.CreateLayer('network', srs, ogr.wkbLineString)
    lyr.CreateField(ogr.FieldDefn('dir', ogr.OFTString))
    lyr.CreateField(ogr.FieldDefn('cost_ms', ogr.OFTInteger))
    defn = lyr.GetLayerDefn()
    node_pts = {(a, b) for a, b in X.tolist()}
    ys_at_x, xs_at_y = {}, {}
    for a, b in node_pts:
        ys_at_x.setdefault(a, []).append(b)
        xs_at_y.setdefault(b, []).append(a)

    def crosses_node(p, q):
        """A segment passing through a node other than its ends would catch QGIS's start point."""
        if p[0] == q[0]:
            lo, hi = sorted((p[1], q[1]))
            return any(lo < y < hi for y in ys_at_x.get(p[0], ()))
        lo, hi = sorted((p[0], q[0]))
        return any(lo < x < hi for x in xs_at_y.get(p[1], ()))

    def with_tail(ch):
        """Drop repeated points; add a vertex 0.5 before the end node. QGIS's service area also
        keeps the first vertex beyond the limit; that vertex is now this one, never a node,
        because integer costs beyond an integer limit exceed it by at least 1."""
        pts = [ch[0]]
        for q in ch[1:]:
            if q != pts[-1]:
                pts.append(q)
        p, q = pts[-2], pts[-1]
        if p[0] == q[0]:
            tail = (q[0], q[1] - 0.5 if p[1] < q[1] else q[1] + 0.5)
        else:
            tail = (q[0] - 0.5 if p[0] < q[0] else q[0] + 0.5, q[1])
        if tail != p:
            pts.insert(-1, tail)
        return pts

    seen = {}  # vertex -> who may share it: ('pair', u, v) corners, ('end', v) tails
    collisions = 0
    ds.StartTransaction()
    for k in range(len(e)):
        (xu, yu), (xv, yv), c = X[s_[k]], X[t_[k]], float(c_[k])
        xu, yu, xv, yv = float(xu), float(yu), float(xv), float(yv)
        dx, dy = abs(xv - xu), yv - yu
        pair = ('pair', min(s_[k], t_[k]), max(s_[k], t_[k]))
        end = ('end', int(t_[k]))
        choices = []
        a = (c - dx + dy) / 2.0          # detour above: length 2a + dx - dy = c
        choices.append([(xu, yu), (xu, yu + a), (xv, yu + a), (xv, yv)])
        a = (dx + dy - c) / 2.0          # detour below: length dx + dy - 2a = c
        choices.append([(xu, yu), (xu, yu + a), (xv, yu + a), (xv, yv)])
        ddx, ady = xv - xu, abs(dy)
        b = (c - ady + ddx) / 2.0        # detour right, then vertical, then left
        choices.append([(xu, yu), (xu + b, yu), (xu + b, yv), (xv, yv)])
        b = (ady + ddx - c) / 2.0        # detour left
        choices.append([(xu, yu), (xu + b, yu), (xu + b, yv), (xv, yv)])
        pts = None
        for ch in choices:
            cand = with_tail(ch)
            mids = [(m, end if i == len(cand) - 2 else pair) for i, m in enumerate(cand) if 0 < i < len(cand) - 1]
            if all(m not in node_pts and seen.get(m, key) == key for m, key in mids) and \
                    not any(crosses_node(p, q) for p, q in zip(cand[:-1], cand[1:])):
                pts = cand
                for m, key in mids:
                    seen[m] = key
                break
        if pts is None:
            collisions += 1
            pts = with_tail(choices[0])
        g = ogr.Geometry(ogr.wkbLineString)
        for p in pts:
            g.AddPoint_2D(*p)
        f = ogr.Feature(defn)
        f.SetField('dir', 'F')
        f.SetField('cost_ms', int(c))
        f.SetGeometry(g)
        lyr.CreateFeature(f)
    ds.CommitTransaction()
    ds = None
    return X, {'scale_units_per_m': scale, 'collisions': collisions}


def reach(graph_dir, sources, limit_ms, workdir, answers_path):
    """One qgis_process run per source; returns per-source wall times and writes answers."""
    from osgeo import ogr
    ogr.UseExceptions()
    layer = os.path.join(workdir, 'qgis_network.gpkg')
    t0 = time.perf_counter()
    X, st = build_layer(graph_dir, layer)
    convert_s = time.perf_counter() - t0
    index = {(a, b): i for i, (a, b) in enumerate(X.tolist())}
    project = os.path.join(workdir, 'bench.qgs')
    with open(project, 'w') as fh:  # the algorithm insists on a project; planar measures
        fh.write(PROJECT)
    rows, times, cpu, peak = [], [], [], 0
    for s in sources:
        out = os.path.join(workdir, f'qgis_sa_{s}.gpkg')
        cmd = [qgis_bin(), 'run', 'native:serviceareafrompoint', '--ELLIPSOID=NONE', f'--PROJECT_PATH={project}', '--',
               f'INPUT={layer}|layername=network', 'STRATEGY=0', 'DIRECTION_FIELD=dir', 'VALUE_FORWARD=F',
               'VALUE_BACKWARD=B', 'VALUE_BOTH=FB', 'DEFAULT_DIRECTION=2', 'TOLERANCE=0',
               f'START_POINT={X[s][0]!r},{X[s][1]!r} [EPSG:3857]', f'TRAVEL_COST2={float(limit_ms)!r}',
               'INCLUDE_BOUNDS=false', f'OUTPUT_LINES={out}']
        t0 = time.perf_counter()
        r0 = resource.getrusage(resource.RUSAGE_CHILDREN)
        p = subprocess.Popen(cmd, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, env=ENV)
        so, se = p.communicate(timeout=600)
        times.append(time.perf_counter() - t0)
        r1 = resource.getrusage(resource.RUSAGE_CHILDREN)
        cpu.append(r1.ru_utime + r1.ru_stime - r0.ru_utime - r0.ru_stime)
        peak = max(peak, resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss)  # largest child so far
        if p.returncode != 0:
            raise RuntimeError(f'qgis_process failed for source {s}: {(se or so).strip().splitlines()[-1:]}')
        reached = set()
        ds = ogr.Open(out)
        for f in ds.GetLayer(0):
            g = f.GetGeometryRef()
            parts = [g.GetGeometryRef(i) for i in range(g.GetGeometryCount())] if g.GetGeometryCount() else [g]
            for part in parts:
                for i in range(part.GetPointCount()):
                    k = index.get((part.GetX(i), part.GetY(i)))
                    if k is not None:
                        reached.add(k)
        ds = None
        reached.add(s)
        nodes = np.array(sorted(reached), dtype=np.int64)
        rows.append((int(s), len(nodes), None, gate.fingerprint(nodes)))
        os.remove(out)
    with open(answers_path, 'w') as fh:
        fh.write('source,reached,sum_cost_ms,set_hash\n')
        for s, n, _, h in rows:
            fh.write(f'{s},{n},,{h:016x}\n')
    return {'convert_s': convert_s, 'per_source_s': times, 'per_source_cpu_s': cpu, 'peak_rss_kb': peak, 'layer': st}
