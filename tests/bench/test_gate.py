#!/usr/bin/python3
"""The benchmark correctness gate (issue #6) catches a peer that disagrees.

On the demo district: carecircle's graph export, bench_reach's answers and the scipy peer's
answers must agree; then deliberately perturbed peer answers (a cost sum off by 1 ms, one node
swapped for another in a reached set, a node missing, a source missing) must each be reported as
disagreeing, with the difference, and rendered as "NO: ..." in RESULTS.md.
Environment: CC_BIN (carecircle), CC_BENCH_DIR (folder of bench_reach), CC_SRC (source tree)."""
import os
import subprocess
import sys
import tempfile

SRC = os.environ.get('CC_SRC', os.path.join(os.path.dirname(__file__), '..', '..'))
sys.path.insert(0, os.path.join(SRC, 'benchmarks'))
from harness import gate, report  # noqa: E402

failures = []


def check(cond, what):
    print(('ok   ' if cond else 'FAIL ') + what)
    if not cond:
        failures.append(what)


def main():
    cc, bench = os.environ['CC_BIN'], os.environ['CC_BENCH_DIR']
    work = tempfile.mkdtemp(prefix='cc-gate-test-')
    g = os.path.join(work, 'graph')
    subprocess.run([cc, 'graph', '--roads', os.path.join(SRC, 'datasets', 'demo', 'roads.geojson'), '--export', g, '--quiet'],
                   check=True)
    n = sum(1 for _ in open(os.path.join(g, 'nodes.csv'))) - 1
    sources = list(range(0, n, max(1, n // 40)))
    sp = os.path.join(work, 'sources.csv')
    with open(sp, 'w') as fh:
        fh.write('node\n' + ''.join(f'{s}\n' for s in sources))
    limit = 10 * 60 * 1000  # 10 minutes: reached sets of very different sizes on the demo district
    ref_p, peer_p = os.path.join(work, 'cc.csv'), os.path.join(work, 'scipy.csv')
    subprocess.run([os.path.join(bench, 'bench_reach'), '--graph', g, '--sources', sp, '--limit-ms', str(limit),
                    '--runs', '1', '--threads', '1,2', '--answers', ref_p], check=True, stdout=subprocess.DEVNULL)
    subprocess.run([sys.executable, os.path.join(SRC, 'benchmarks', 'harness', 'peer_reach.py'), '--tool', 'scipy',
                    '--graph', g, '--sources', sp, '--limit-ms', str(limit), '--runs', '1', '--answers', peer_p],
                   check=True, stdout=subprocess.DEVNULL)
    ref, peer = gate.read_answers(ref_p), gate.read_answers(peer_p)
    sizes = sorted({r[1] for r in ref})
    check(len(ref) == len(sources) and len(sizes) > 3 and 1 < max(sizes) < n,
          f'{len(ref)} sources answered, reached-set sizes vary ({sizes[0]}..{sizes[-1]} of {n} nodes)')
    c = gate.compare(ref, peer)
    check(c['agree'] and c['sources'] == len(sources), f'scipy agrees with carecircle: {gate.describe(c)}')

    # the fingerprint is the set's, not the order's
    check(gate.fingerprint([3, 1, 2]) == gate.fingerprint([1, 2, 3]) != gate.fingerprint([1, 2, 4]),
          'fingerprint is order-free and changes with the set')

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
    ids = [i for i in range(n)]
    swapped = (gate.fingerprint(ids[:reached - 1] + [ids[reached]]) - gate.fingerprint(ids[:reached])) % (1 << 64)
    bad = list(peer)
    bad[k] = (s, reached, total, (h + swapped) % (1 << 64))
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

    print(f'{len(failures)} failed')
    return 1 if failures else 0


if __name__ == '__main__':
    sys.exit(main())
