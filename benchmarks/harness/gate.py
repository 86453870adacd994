"""The correctness gate: a peer's answers must equal carecircle's before its time is reported.

Answers are CSV files `source,reached,sum_cost_ms,set_hash`, one row per source: the number of
nodes reached within the limit, the sum of their costs in ms and the fingerprint of the reached
set: the sum mod 2^64 of mix64(node + 1) over the set (mix64 = splitmix64's finaliser, as in
benchmarks/bench_graph.h). Equal fingerprints mean equal sets except with probability ~2^-64.
"""
import csv

import numpy as np

M64 = (1 << 64) - 1


def mix64(nodes):
    """splitmix64 finaliser of (nodes + 1), vectorised, uint64 wrap-around arithmetic."""
    h = np.asarray(nodes, dtype=np.uint64) + np.uint64(1)
    h ^= h >> np.uint64(33)
    h *= np.uint64(0xff51afd7ed558ccd)
    h ^= h >> np.uint64(33)
    h *= np.uint64(0xc4ceb9fe1a85ec53)
    h ^= h >> np.uint64(33)
    return h


def fingerprint(nodes):
    """Order-free fingerprint of a set of node ids (int)."""
    if len(nodes) == 0:
        return 0
    with np.errstate(over='ignore'):
        return int(np.sum(mix64(nodes), dtype=np.uint64))


def answer_row(source, nodes, costs):
    """(source, reached, sum_cost_ms, set_hash) for the nodes reached and their costs."""
    costs = np.asarray(costs)
    total = int(np.sum(np.rint(costs).astype(np.int64))) if len(costs) else 0
    return (int(source), int(len(nodes)), total, fingerprint(nodes))


def write_answers(path, rows):
    with open(path, 'w', newline='') as fh:
        fh.write('source,reached,sum_cost_ms,set_hash\n')
        for s, n, c, h in rows:
            fh.write(f'{s},{n},{c},{h:016x}\n')


def read_answers(path):
    """List of (source, reached, sum_cost_ms or None, set_hash or None), in file order."""
    rows = []
    with open(path, newline='') as fh:
        for r in csv.DictReader(fh):
            s = r.get('sum_cost_ms', '')
            h = r.get('set_hash', '')
            rows.append((int(r['source']), int(r['reached']), int(s) if s not in ('', None) else None,
                         int(h, 16) if h not in ('', None) else None))
    return rows


def compare(reference, peer, check_sum=True):
    """Compare a peer's answers with carecircle's, source by source.

    Returns a dict: agree (bool), sources (compared), differing (count), max_reached_diff,
    max_sum_diff_ms, first (the first differing source with both answers), missing (sources
    carecircle answered and the peer did not), and what was checked. A peer whose output has no
    cost sums (QGIS service areas) is compared on the reached sets only (check_sum=False)."""
    ref = {r[0]: r for r in reference}
    got = {r[0]: r for r in peer}
    differing, max_dn, max_ds, first = 0, 0, 0, None
    missing = [s for s in got if s not in ref]
    for s, g in got.items():
        r = ref.get(s)
        if r is None:
            continue
        bad = r[1] != g[1] or r[3] != g[3]
        if check_sum:
            bad = bad or g[2] is None or r[2] != g[2]
        if bad:
            differing += 1
            max_dn = max(max_dn, abs(r[1] - g[1]))
            if check_sum and g[2] is not None:
                max_ds = max(max_ds, abs(r[2] - g[2]))
            if first is None:
                first = {'source': s, 'carecircle': list(r[1:3]), 'peer': list(g[1:3])}
    n = len(got) - len(missing)
    return {'agree': differing == 0 and not missing and n > 0, 'sources': n, 'differing': differing,
            'max_reached_diff': max_dn, 'max_sum_diff_ms': max_ds, 'first': first,
            'missing': len(missing), 'checked': 'reached set and cost sum' if check_sum else 'reached set'}


def describe(cmp):
    """One line for RESULTS.md."""
    if cmp is None:
        return 'not checked'
    if cmp['agree']:
        return f"yes ({cmp['sources']} sources, {cmp['checked']})"
    if cmp['sources'] == 0:
        return 'no answers'
    f = cmp['first'] or {}
    ms = f", {cmp['max_sum_diff_ms']} ms" if cmp['checked'] != 'reached set' else ''
    return (f"NO: {cmp['differing']} of {cmp['sources']} sources differ (max {cmp['max_reached_diff']} nodes{ms}; "
            f"first: source {f.get('source')} carecircle {f.get('carecircle')} peer {f.get('peer')})")
