#!/usr/bin/python3
"""The benchmark correctness gate (issue #6) on real answers: bench_reach and the scipy peer agree.

On the demo district: carecircle's graph export, bench_reach's answers (one untimed run at 1 and 2
threads) and the scipy peer's answers must agree, over reached sets of very different sizes, so
that the peers' rows in RESULTS.md are compared with the same fingerprints (bench_graph.h and
harness/gate.py). It runs a benchmark program, so it is not a ctest test: the `benchmarks_quick`
target runs it after `benchmarks/run --quick`. The gate's logic on perturbed answers is the unit
test tests/bench/test_gate.py (ctest unit.bench_gate).
Environment: CC_BIN (carecircle), CC_BENCH_DIR (folder of bench_reach), CC_SRC (source tree)."""
import os
import shutil
import subprocess
import sys
import tempfile

SRC = os.environ.get('CC_SRC', os.path.join(os.path.dirname(__file__), '..', '..'))
sys.path.insert(0, os.path.join(SRC, 'benchmarks'))
from harness import gate  # noqa: E402
from harness.checks import check, summary  # noqa: E402


def main():
    work = tempfile.mkdtemp(prefix='cc-gate-check-')
    try:
        return check_demo(work)
    finally:
        shutil.rmtree(work, ignore_errors=True)


def check_demo(work):
    cc, bench = os.environ['CC_BIN'], os.environ['CC_BENCH_DIR']
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

    return summary()


if __name__ == '__main__':
    sys.exit(main())
