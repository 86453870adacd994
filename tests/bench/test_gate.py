#!/usr/bin/python3
"""The benchmark correctness gate (issue #6) catches a peer that disagrees: the harness's logic alone.

No benchmark program runs here (benchmarks/check_gate.py checks, with the benchmarks, that bench_reach
and the scipy peer agree on the demo district). A synthetic reference (fixed seed: 40 sources,
reached sets of very different sizes over 500 nodes) is written and read back in the answers
format; then deliberately perturbed peer answers (a cost sum off by 1 ms, one node swapped for
another in a reached set, a node missing, a source carecircle was not asked, no answers) must each
be reported as disagreeing, with the difference, and rendered as "NO: ..." in RESULTS.md.
Environment: CC_SRC (source tree; default: the one holding this file)."""
import os
import random
import sys
import tempfile

SRC = os.environ.get('CC_SRC', os.path.join(os.path.dirname(__file__), '..', '..'))
sys.path.insert(0, os.path.join(SRC, 'benchmarks'))
from harness import gate, report  # noqa: E402
from harness.checks import check, summary  # noqa: E402


def mix64_plain(x):
    """splitmix64's finaliser in plain Python integers (the C version is in benchmarks/bench_graph.h)."""
    m = (1 << 64) - 1
    x ^= x >> 33
    x = (x * 0xff51afd7ed558ccd) & m
    x ^= x >> 33
    x = (x * 0xc4ceb9fe1a85ec53) & m
    x ^= x >> 33
    return x


def main():
    rnd = random.Random(42)
    n = 500
    sets = {}
    for s in range(0, 400, 10):
        others = rnd.sample([v for v in range(n) if v != s], rnd.randrange(0, n - 1))
        sets[s] = ([s] + others, [0] + [rnd.randrange(1, 1800000) for _ in others])
    ref = [gate.answer_row(s, nodes, costs) for s, (nodes, costs) in sets.items()]
    with tempfile.TemporaryDirectory(prefix='cc-gate-test-') as work:
        path = os.path.join(work, 'answers.csv')
        gate.write_answers(path, ref)
        check(gate.read_answers(path) == ref, 'answers survive the CSV file (write_answers, read_answers)')
    sizes = sorted(r[1] for r in ref)
    check(len(ref) == 40 and sizes[0] < n // 10 and sizes[-1] > n * 9 // 10, f'reached-set sizes vary ({sizes[0]}..{sizes[-1]})')

    # the fingerprint is the set's, not the order's, and is splitmix64's finaliser of node + 1, summed
    check(gate.fingerprint([3, 1, 2]) == gate.fingerprint([1, 2, 3]) != gate.fingerprint([1, 2, 4]),
          'fingerprint is order-free and changes with the set')
    nodes = sets[0][0]
    plain = sum(mix64_plain(v + 1) for v in nodes) % (1 << 64)
    check(gate.fingerprint(nodes) == plain, 'fingerprint = sum mod 2^64 of splitmix64(node + 1) (plain Python)')
    check(gate.fingerprint([]) == 0, 'empty set fingerprint is 0')

    peer = list(ref)
    c = gate.compare(ref, peer)
    check(c['agree'] and c['sources'] == len(ref), f'identical answers agree: {gate.describe(c)}')

    k = max(range(len(peer)), key=lambda i: peer[i][1])  # the source with the largest reached set
    s, reached, total, h = peer[k]
    bad = list(peer)
    bad[k] = (s, reached, total + 1, h)
    c = gate.compare(ref, bad)
    check(not c['agree'] and c['differing'] == 1 and c['max_sum_diff_ms'] == 1 and c['first']['source'] == s,
          f'cost sum off by 1 ms is caught: {gate.describe(c)}')
    text = report.render({'date': 'test', 'git': 'test', 'mode': 'test', 'runs': 1, 'versions': {},
                          'machine': {'cpu': 'x', 'cores': 1, 'memory_gib': 1, 'os': 'x', 'compiler': 'x'},
                          'commands': [], 'rows': [{'task': 'reach', 'dataset': 'demo', 'tool': 'perturbed', 'nodes': n,
                                                    'sources': len(bad), 'solve': {'median': 1, 'min': 1, 'max': 1},
                                                    'ratio': 1.0, 'agreement': gate.describe(c), 'agree': False}]})
    check('| NO: 1 of' in text, 'RESULTS.md shows the perturbed peer as disagreeing')

    # same size, same sum, one node swapped for another: only the set fingerprint differs
    nodes = sets[s][0]
    outside = next(v for v in range(n) if v not in set(nodes))
    bad = list(peer)
    bad[k] = (s, reached, total, gate.fingerprint(nodes[:-1] + [outside]))
    c = gate.compare(ref, bad)
    check(not c['agree'] and c['differing'] == 1 and c['max_reached_diff'] == 0, f'a swapped node is caught: {gate.describe(c)}')
    c = gate.compare(ref, [(a, b, None, d) for a, b, _, d in bad], check_sum=False)
    check(not c['agree'], 'a swapped node is caught when only sets are compared (QGIS)')
    c = gate.compare(ref, [(a, b, None, d) for a, b, _, d in peer], check_sum=False)
    check(c['agree'], 'set-only comparison of the true answers agrees')

    bad = list(peer)
    bad[k] = (s, reached - 1, total, h)
    c = gate.compare(ref, bad)
    check(not c['agree'] and c['max_reached_diff'] == 1, f'a missing node is caught: {gate.describe(c)}')

    c = gate.compare(ref, peer[:-1])
    check(c['agree'], 'a subset of sources (a QGIS sample) may agree')
    c = gate.compare(ref, peer + [(n + 5, 1, 0, 0)])
    check(not c['agree'] and c['missing'] == 1, 'an answer for a source carecircle was not asked is caught')
    c = gate.compare(ref, [])
    check(not c['agree'], 'no answers at all is not agreement')

    # a run of some tasks only (benchmarks/run --only reach) replaces only their sections of RESULTS.md
    old = '\n'.join(['Generated by an earlier full run.', '', '### 1. Graph build', '', 'graph table', '',
                      '### 2. Reach: old', '', 'old reach table', '', '### 3. Raster', '', 'raster table', '',
                      '### 5. Scaling', '', 'scale table', 'Memory latency probe: old.', '',
                      'Commands (`$DATA` = ..., `$WORK` = ...):', '', '```', 'old command', '```', ''])
    res = {'date': 'new-date', 'git': 'newsha', 'mode': 'full', 'runs': 1, 'versions': {'scipy': '1'}, 'tasks': ['reach'],
           'argv': ['--only', 'reach'], 'load_average_start': [1.0],
           'machine': {'cpu': 'x', 'cores': 2, 'memory_gib': 1, 'os': 'x', 'compiler': 'x', 'load_average': [2.0]},
           'commands': ['new command'], 'rows': [{'task': 'reach', 'dataset': 'demo', 'tool': 'carecircle', 'nodes': n,
                                                  'sources': 1, 'solve': {'median': 1, 'min': 1, 'max': 1}, 'ratio': 1.0,
                                                  'agreement': 'reference'}]}
    text = report.merge(old, res)
    kept = ['Generated by an earlier full run.', '### 1. Graph build\n\ngraph table', '### 3. Raster\n\nraster table',
            '### 5. Scaling\n\nscale table\nMemory latency probe: old.', '```\nold command\n```']
    check(all(k in text for k in kept) and 'old reach table' not in text and '| demo (' in text and
          'new command' in text and text.index('### 1.') < text.index('### 2.') < text.index('### 3.') < text.index('Commands ('),
          'a run of the reach task alone replaces only the reach section, in its place, keeping the others and the old commands')

    return summary()


if __name__ == '__main__':
    sys.exit(main())
