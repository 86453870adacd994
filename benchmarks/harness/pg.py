"""PostgreSQL + PostGIS + pgRouting as a peer: a throw-away cluster under a temporary folder,
listening only on a Unix socket in that folder, stopped at the end even on failure."""
import contextlib
import os
import pwd
import resource
import shutil
import subprocess
import tempfile
import time

import numpy as np

from . import gate

PG_BIN = '/usr/lib/postgresql/15/bin'


def _as_postgres(cmd, **kw):
    return subprocess.run(['runuser', '-u', 'postgres', '--'] + cmd, check=True, capture_output=True, text=True, **kw)


@contextlib.contextmanager
def cluster():
    """Yield a psycopg2 connection to a fresh cluster; always stop it and remove its folder."""
    import psycopg2
    tmp = tempfile.mkdtemp(prefix='cc-bench-pg-')
    os.chmod(tmp, 0o755)
    pw = pwd.getpwnam('postgres')
    os.chown(tmp, pw.pw_uid, pw.pw_gid)
    data = os.path.join(tmp, 'data')
    started = False
    try:
        _as_postgres([f'{PG_BIN}/initdb', '-D', data, '-A', 'trust', '-U', 'postgres', '--no-sync', '-E', 'UTF8'])
        opts = (f"-c listen_addresses='' -k {tmp} -c fsync=off -c synchronous_commit=off "
                "-c full_page_writes=off -c shared_buffers=256MB -c work_mem=256MB -c max_parallel_workers_per_gather=0")
        _as_postgres([f'{PG_BIN}/pg_ctl', '-D', data, '-o', opts, '-l', os.path.join(tmp, 'log'), '-w', 'start'])
        started = True
        conn = psycopg2.connect(host=tmp, user='postgres', dbname='postgres')
        conn.autocommit = True
        try:
            yield conn
        finally:
            conn.close()
    finally:
        if started:
            subprocess.run(['runuser', '-u', 'postgres', '--', f'{PG_BIN}/pg_ctl', '-D', data, '-m', 'immediate', 'stop'],
                           capture_output=True)
        shutil.rmtree(tmp, ignore_errors=True)


def versions(conn):
    cur = conn.cursor()
    cur.execute('CREATE EXTENSION IF NOT EXISTS postgis; CREATE EXTENSION IF NOT EXISTS pgrouting')
    cur.execute("SELECT split_part(version(), ' ', 2), postgis_lib_version(), pgr_version()")
    pgv, postgis, pgr = cur.fetchone()
    return {'postgresql': pgv, 'postgis': postgis, 'pgrouting': pgr}


def _backend_cpu_s(conn):
    """User + system CPU seconds of this connection's backend so far (clock ticks of /proc)."""
    cur = conn.cursor()
    cur.execute('SELECT pg_backend_pid()')
    pid = cur.fetchone()[0]
    with open(f'/proc/{pid}/stat') as fh:
        f = fh.read().rsplit(')', 1)[1].split()
    return (int(f[11]) + int(f[12])) / os.sysconf('SC_CLK_TCK')


def _backend_peak_kb(conn):
    cur = conn.cursor()
    cur.execute('SELECT pg_backend_pid()')
    pid = cur.fetchone()[0]
    try:
        with open(f'/proc/{pid}/status') as fh:
            for line in fh:
                if line.startswith('VmHWM:'):
                    return int(line.split()[1])
    except OSError:
        pass
    return None


def reach(conn, graph_dir, sources, limit_ms, runs, answers_path):
    """pgr_drivingDistance from all sources in one call (equicost false, directed).
    Node ids in the database are the exported ids + 1 (pgRouting wants positive ids)."""
    cur = conn.cursor()
    t0 = time.perf_counter()
    cur.execute('DROP TABLE IF EXISTS edges; CREATE TABLE edges (id bigserial PRIMARY KEY, source bigint, target bigint, '
                'cost float8, reverse_cost float8)')
    cur.execute('CREATE TEMP TABLE edges_in (source bigint, target bigint, cost_ms bigint)')
    with open(os.path.join(graph_dir, 'edges.csv')) as fh:
        cur.copy_expert('COPY edges_in FROM STDIN WITH (FORMAT csv, HEADER true)', fh)
    cur.execute('INSERT INTO edges (source, target, cost, reverse_cost) SELECT source + 1, target + 1, cost_ms, -1 FROM edges_in; '
                'DROP TABLE edges_in; ANALYZE edges')
    load = time.perf_counter() - t0
    arr = 'ARRAY[' + ','.join(str(s + 1) for s in sources) + ']::bigint[]'
    dd = (f"pgr_drivingDistance('SELECT id, source, target, cost, reverse_cost FROM edges', {arr}, {float(limit_ms)}, "
          "directed => true, equicost => false)")
    cur.execute(f'SELECT * FROM {dd} LIMIT 0')
    cols = [d[0] for d in cur.description]
    start = 'from_v' if 'from_v' in cols else 'start_vid'
    times, cpu = [], []
    for _ in range(runs):
        t0, c0 = time.perf_counter(), _backend_cpu_s(conn)
        cur.execute(f'SELECT {start}, count(*), sum(agg_cost) FROM {dd} GROUP BY {start}')
        cur.fetchall()
        times.append(time.perf_counter() - t0)
        cpu.append(_backend_cpu_s(conn) - c0)
    peak = _backend_peak_kb(conn)
    # the gate (untimed): every reached node with its cost
    cur.execute(f'SELECT {start} - 1, node - 1, agg_cost FROM {dd} ORDER BY 1')
    res = np.array(cur.fetchall(), dtype=np.float64).reshape(-1, 3)
    rows = []
    if len(res):
        srcs = res[:, 0].astype(np.int64)
        cut = np.r_[0, np.nonzero(np.diff(srcs))[0] + 1, len(srcs)]
        for a, b in zip(cut[:-1], cut[1:]):
            nodes = res[a:b, 1].astype(np.int64)
            rows.append(gate.answer_row(srcs[a], nodes, res[a:b, 2]))
    gate.write_answers(answers_path, rows)
    return {'load_s': load, 'solve_s': times, 'cpu_s': cpu, 'peak_rss_kb': peak}


def graph_build(conn, pbf, runs, tmpdir):
    """pgRouting's own import path: ogr2ogr of the OSM lines (highway set) into PostGIS, then
    pgr_createTopology. Times each step; returns vertex/edge counts and table sizes."""
    cur = conn.cursor()
    host = conn.get_dsn_parameters()['host']
    out = {'ogr2ogr_s': [], 'topology_s': [], 'total_s': []}
    for _ in range(runs):
        cur.execute('DROP TABLE IF EXISTS ways, ways_vertices_pgr')
        t0 = time.perf_counter()
        subprocess.run(['ogr2ogr', '-f', 'PostgreSQL', f'PG:host={host} user=postgres dbname=postgres', pbf, 'lines',
                        '-nln', 'ways', '-where', 'highway IS NOT NULL', '-lco', 'GEOMETRY_NAME=the_geom',
                        '-lco', 'FID=id', '-nlt', 'LINESTRING', '-t_srs', 'EPSG:4326', '--config', 'PG_USE_COPY', 'YES'],
                       check=True, capture_output=True, text=True)
        t1 = time.perf_counter()
        cur.execute('ALTER TABLE ways ADD COLUMN source bigint, ADD COLUMN target bigint')
        cur.execute("SELECT pgr_createTopology('ways', 0.0000001, 'the_geom', 'id', 'source', 'target', clean := true)")
        t2 = time.perf_counter()
        out['ogr2ogr_s'].append(t1 - t0)
        out['topology_s'].append(t2 - t1)
        out['total_s'].append(t2 - t0)
    cur.execute('SELECT count(*) FROM ways_vertices_pgr')
    out['nodes'] = cur.fetchone()[0]
    cur.execute('SELECT count(*) FROM ways')
    out['ways'] = cur.fetchone()[0]
    cur.execute("SELECT pg_total_relation_size('ways'), pg_total_relation_size('ways_vertices_pgr')")
    a, b = cur.fetchone()
    out['bytes'] = a + b
    out['peak_rss_kb'] = _backend_peak_kb(conn)
    return out
