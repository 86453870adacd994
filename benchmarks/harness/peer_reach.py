#!/usr/bin/python3
"""Reach task for the Python peers: all nodes within a limit from each source.

Usage: peer_reach.py --tool scipy|networkx|igraph --graph DIR --sources FILE --limit-ms L
                     [--runs 5] [--answers OUT]
Loads DIR/edges.csv (the frozen problem from `carecircle graph --export`), timed as load;
solves from every source RUNS times, timed as solve (the library call only: wall and CPU
seconds of the process); writes the answers
of the first run for the gate and prints one JSON object."""
import argparse
import json
import os
import resource
import sys
import time

import numpy as np

sys.path.insert(0, os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
from harness import gate  # noqa: E402


def load_edges(d):
    e = np.loadtxt(os.path.join(d, 'edges.csv'), delimiter=',', skiprows=1, dtype=np.int64, ndmin=2)
    with open(os.path.join(d, 'nodes.csv')) as fh:
        n = sum(1 for _ in fh) - 1
    return n, e[:, 0], e[:, 1], e[:, 2]


def dedup_min(s, t, c):
    """Parallel edges -> the cheapest; self-loops dropped (a sparse matrix would add them up)."""
    keep = s != t
    s, t, c = s[keep], t[keep], c[keep]
    o = np.lexsort((c, t, s))
    s, t, c = s[o], t[o], c[o]
    first = np.r_[True, (s[1:] != s[:-1]) | (t[1:] != t[:-1])]
    return s[first], t[first], c[first]


def run_scipy(n, s, t, c, sources, limit, runs):
    from scipy.sparse import csr_matrix
    from scipy.sparse.csgraph import dijkstra
    t0 = time.perf_counter()
    s, t, c = dedup_min(s, t, c)
    # explicit zeros would be dropped as "no edge" by csgraph: carry them as a tiny cost
    w = np.where(c == 0, 1e-9, c.astype(np.float64))
    G = csr_matrix((w, (s, t)), shape=(n, n))
    load = time.perf_counter() - t0
    idx = np.asarray(sources)
    times, D = [], None
    for _ in range(runs):
        t0, c0 = time.perf_counter(), time.process_time()
        D = dijkstra(G, directed=True, indices=idx, limit=float(limit))
        times.append((time.perf_counter() - t0, time.process_time() - c0))
    rows = []
    for k, src in enumerate(sources):
        row = D[k]
        nodes = np.nonzero(np.isfinite(row) & (row <= limit))[0]
        rows.append(gate.answer_row(src, nodes, row[nodes]))
    return load, times, rows


def run_networkx(n, s, t, c, sources, limit, runs):
    import networkx as nx
    t0 = time.perf_counter()
    s, t, c = dedup_min(s, t, c)
    G = nx.DiGraph()
    G.add_nodes_from(range(n))
    G.add_weighted_edges_from(zip(s.tolist(), t.tolist(), c.tolist()))
    load = time.perf_counter() - t0
    times, res = [], None
    for _ in range(runs):
        t0, c0 = time.perf_counter(), time.process_time()
        res = [nx.single_source_dijkstra_path_length(G, int(src), cutoff=limit, weight='weight') for src in sources]
        times.append((time.perf_counter() - t0, time.process_time() - c0))
    rows = []
    for src, d in zip(sources, res):
        nodes = np.fromiter(d.keys(), dtype=np.int64, count=len(d))
        rows.append(gate.answer_row(src, nodes, np.fromiter(d.values(), dtype=np.float64, count=len(d))))
    return load, times, rows


def run_igraph(n, s, t, c, sources, limit, runs):
    import igraph as ig
    t0 = time.perf_counter()
    G = ig.Graph(n=n, edges=list(zip(s.tolist(), t.tolist())), directed=True)
    G.es['weight'] = c.astype(np.float64).tolist()
    load = time.perf_counter() - t0
    times, D = [], None
    for _ in range(runs):
        # igraph's distances() has no cutoff: full single-source searches, then the limit
        t0, c0 = time.perf_counter(), time.process_time()
        D = G.distances(source=list(sources), weights='weight', mode='out')
        times.append((time.perf_counter() - t0, time.process_time() - c0))
    rows = []
    for src, row in zip(sources, D):
        row = np.asarray(row, dtype=np.float64)
        nodes = np.nonzero(row <= limit)[0]
        rows.append(gate.answer_row(src, nodes, row[nodes]))
    return load, times, rows


def version(tool):
    if tool == 'scipy':
        import scipy
        return scipy.__version__
    if tool == 'networkx':
        import networkx
        return networkx.__version__
    import igraph
    return igraph.__version__


def main():
    ap = argparse.ArgumentParser(description=__doc__.split('\n')[0])
    ap.add_argument('--tool', required=True, choices=['scipy', 'networkx', 'igraph'])
    ap.add_argument('--graph', required=True)
    ap.add_argument('--sources', required=True)
    ap.add_argument('--limit-ms', type=int, required=True)
    ap.add_argument('--runs', type=int, default=5)
    ap.add_argument('--answers')
    a = ap.parse_args()
    t0 = time.perf_counter()
    n, s, t, c = load_edges(a.graph)
    read = time.perf_counter() - t0
    sources = [int(x) for x in open(a.sources).read().split()[1:]]
    fn = {'scipy': run_scipy, 'networkx': run_networkx, 'igraph': run_igraph}[a.tool]
    load, times, rows = fn(n, s, t, c, sources, a.limit_ms, a.runs)
    if a.answers:
        gate.write_answers(a.answers, rows)
    print(json.dumps({'tool': a.tool, 'version': version(a.tool), 'nodes': n, 'edges': int(len(s)),
                      'sources': len(sources), 'load_s': read + load, 'solve_s': [w for w, _ in times],
                      'cpu_s': [c for _, c in times],
                      'peak_rss_kb': resource.getrusage(resource.RUSAGE_SELF).ru_maxrss}))


if __name__ == '__main__':
    main()
