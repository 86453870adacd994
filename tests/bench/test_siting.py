#!/usr/bin/python3
"""The siting harness (issue #6, task 4) writes integer programmes that the exact solvers solve to
the true optimum, and evaluates an answer's objective independently.

A small random instance (fixed seed; 9 candidates, 40 demand points): for MCLP (p = 1..3), partial
LSCP (60 %) and p-median (p = 2), GLPK's optimum (and CBC's, when coinor-cbc is installed; the
output says which ran) must equal the brute-force optimum over every site combination, and the
evaluator must give the solver's sites the solver's objective."""
import itertools
import os
import random
import shutil
import sys
import tempfile

SRC = os.environ.get('CC_SRC', os.path.join(os.path.dirname(__file__), '..', '..'))
sys.path.insert(0, os.path.join(SRC, 'benchmarks'))
from harness import siting  # noqa: E402
from harness.checks import check, summary  # noqa: E402


def main():
    rnd = random.Random(7)
    d = tempfile.mkdtemp(prefix='cc-siting-test-')
    with open(f'{d}/cover.csv', 'w') as fh:
        fh.write('candidate,demand,cost_ms\n')
        for i in range(40):
            for j in range(9):
                if rnd.random() < 0.35:
                    fh.write(f'{j},{i},{rnd.randrange(1, 1000)}\n')
    with open(f'{d}/weight.csv', 'w') as fh:
        fh.write('demand,weight\n' + ''.join(f'{i},{rnd.randrange(1, 60)}\n' for i in range(40)))
    inst = siting.read_instance(f'{d}/cover.csv', f'{d}/weight.csv')
    solvers = [('glpk', siting.solve_glpk)]
    if shutil.which('cbc'):
        solvers.append(('cbc', siting.solve_cbc))
    else:
        print('note: coinor-cbc is not installed; only GLPK is checked')
    check(shutil.which('glpsol') is not None, 'glpsol is installed (glpk-utils, scripts/bootstrap)')
    C = inst['candidates']
    cases = []
    for p in (1, 2, 3):
        lp = f'{d}/mclp{p}.lp'
        siting.write_mclp(inst, p, 500, lp)
        best = max(siting.evaluate(inst, 'mclp', c, limit_ms=500) for c in itertools.combinations(C, p))
        cases.append((f'MCLP p={p}', lp, 'mclp', dict(limit_ms=500), best, p))
    lp = f'{d}/lscp.lp'
    siting.write_lscp(inst, 0.6, 500, lp)
    best = min(k for k in range(1, len(C) + 1) for c in itertools.combinations(C, k)
               if siting.evaluate(inst, 'lscp', c, limit_ms=500, share=0.6) == k)
    cases.append(('LSCP 60%', lp, 'lscp', dict(limit_ms=500, share=0.6), best, None))
    lp = f'{d}/pmed.lp'
    siting.write_pmedian(inst, 2, 5000, lp)
    best = min(siting.evaluate(inst, 'pmedian', c, penalty_ms=5000) for c in itertools.combinations(C, 2))
    cases.append(('p-median p=2', lp, 'pmedian', dict(penalty_ms=5000), best, 2))
    for name, lp, model, kw, best, p in cases:
        for sname, solve in solvers:
            if not shutil.which('glpsol' if sname == 'glpk' else 'cbc'):
                continue
            r = solve(lp, d)
            ev = siting.evaluate(inst, model, r['sites'], **kw)
            ok = r['objective'] is not None and abs(r['objective'] - best) < 1e-6 and abs(ev - best) < 1e-6
            ok = ok and (p is None or len(r['sites']) == p)
            check(ok, f'{name}: {sname} objective {r["objective"]}, evaluated {ev}, brute force {best}')
    # the evaluator itself: a worse answer scores worse
    check(siting.evaluate(inst, 'mclp', [], limit_ms=500) == 0, 'no site covers nothing')
    return summary()


if __name__ == '__main__':
    sys.exit(main())
