"""Siting (task 4): the exact integer programmes for CBC and GLPK, written by the harness from a
coverage-set file, and an independent evaluator of any answer's objective.

Coverage sets: CSV `candidate,demand,cost_ms` (every candidate/demand pair within the largest
limit of interest) and demand weights CSV `demand,weight`. Models (CPLEX LP format, read by both
`cbc` and `glpsol --lp`):
- MCLP(p, T): maximise the weight within T of a chosen site, exactly p sites.
- LSCP(share, T): minimise the number of sites covering at least `share` of the weight within T.
- p-median(p): minimise the weighted cost to the nearest chosen site; demand no site reaches
  within the listed pairs pays `penalty_ms` (so that every instance is feasible).
"""
import csv
import os
import re
import subprocess
import time
from collections import defaultdict


def read_instance(cover_csv, weight_csv):
    pairs = defaultdict(dict)  # demand -> {candidate: cost}
    cands = set()
    with open(cover_csv, newline='') as fh:
        for r in csv.DictReader(fh):
            j, i, c = int(r['candidate']), int(r['demand']), int(r['cost_ms'])
            pairs[i][j] = min(c, pairs[i].get(j, c))
            cands.add(j)
    w = {}
    with open(weight_csv, newline='') as fh:
        for r in csv.DictReader(fh):
            w[int(r['demand'])] = float(r['weight'])
    return {'pairs': dict(pairs), 'candidates': sorted(cands), 'weight': w}


def _wrap(terms, per_line=8):
    out, line = [], []
    for t in terms:
        line.append(t)
        if len(line) == per_line:
            out.append(' '.join(line))
            line = []
    if line:
        out.append(' '.join(line))
    return '\n  '.join(out)


def _cover(inst, limit_ms):
    return {i: [j for j, c in js.items() if c <= limit_ms] for i, js in inst['pairs'].items()}


def write_mclp(inst, p, limit_ms, path):
    cov = {i: js for i, js in _cover(inst, limit_ms).items() if js and inst['weight'].get(i, 0) > 0}
    with open(path, 'w') as fh:
        fh.write('\\ MCLP written by carecircle benchmarks/harness/siting.py\nMaximize\n obj: ')
        fh.write(_wrap([f'+ {inst["weight"][i]!r} y_{i}' for i in sorted(cov)]) or '0 x_0')
        fh.write('\nSubject To\n')
        for i in sorted(cov):
            fh.write(f' c_{i}: y_{i} ' + ' '.join(f'- x_{j}' for j in sorted(cov[i])) + ' <= 0\n')
        fh.write(' p: ' + _wrap([f'+ x_{j}' for j in inst['candidates']]) + f' = {p}\n')
        fh.write('Bounds\n' + ''.join(f' 0 <= y_{i} <= 1\n' for i in sorted(cov)))
        fh.write('Binary\n  ' + _wrap([f'x_{j}' for j in inst['candidates']]) + '\nEnd\n')


def write_lscp(inst, share, limit_ms, path):
    cov = {i: js for i, js in _cover(inst, limit_ms).items() if js and inst['weight'].get(i, 0) > 0}
    total = sum(inst['weight'].values())
    with open(path, 'w') as fh:
        fh.write('\\ LSCP (partial) written by carecircle benchmarks/harness/siting.py\nMinimize\n obj: ')
        fh.write(_wrap([f'+ x_{j}' for j in inst['candidates']]))
        fh.write('\nSubject To\n')
        for i in sorted(cov):
            fh.write(f' c_{i}: y_{i} ' + ' '.join(f'- x_{j}' for j in sorted(cov[i])) + ' <= 0\n')
        fh.write(' share: ' + _wrap([f'+ {inst["weight"][i]!r} y_{i}' for i in sorted(cov)]) + f' >= {share * total!r}\n')
        fh.write('Bounds\n' + ''.join(f' 0 <= y_{i} <= 1\n' for i in sorted(cov)))
        fh.write('Binary\n  ' + _wrap([f'x_{j}' for j in inst['candidates']]) + '\nEnd\n')


def write_pmedian(inst, p, penalty_ms, path):
    dem = sorted(i for i in inst['pairs'] if inst['weight'].get(i, 0) > 0)
    with open(path, 'w') as fh:
        fh.write('\\ p-median written by carecircle benchmarks/harness/siting.py\nMinimize\n obj: ')
        terms = []
        for i in dem:
            w = inst['weight'][i]
            terms += [f'+ {w * c!r} z_{i}_{j}' for j, c in sorted(inst['pairs'][i].items())]
            terms.append(f'+ {w * penalty_ms!r} u_{i}')
        fh.write(_wrap(terms) + '\nSubject To\n')
        for i in dem:
            fh.write(f' a_{i}: ' + ' '.join(f'+ z_{i}_{j}' for j in sorted(inst['pairs'][i])) + f' + u_{i} = 1\n')
            for j in sorted(inst['pairs'][i]):
                fh.write(f' l_{i}_{j}: z_{i}_{j} - x_{j} <= 0\n')
        fh.write(' p: ' + _wrap([f'+ x_{j}' for j in inst['candidates']]) + f' = {p}\n')
        fh.write('Binary\n  ' + _wrap([f'x_{j}' for j in inst['candidates']]) + '\nEnd\n')


# ---------------------------------------------------------------- independent evaluation
def evaluate(inst, model, sites, limit_ms=None, share=None, penalty_ms=None):
    """Objective of an answer (a list of sites), computed from the coverage sets alone."""
    S = set(sites)
    if model == 'mclp':
        return sum(inst['weight'].get(i, 0.0) for i, js in inst['pairs'].items()
                   if any(j in S and c <= limit_ms for j, c in js.items()))
    if model == 'lscp':
        total = sum(inst['weight'].values())
        cov = sum(inst['weight'].get(i, 0.0) for i, js in inst['pairs'].items()
                  if any(j in S and c <= limit_ms for j, c in js.items()))
        return float(len(S)) if cov >= share * total - 1e-9 * max(1.0, total) else float('inf')
    if model == 'pmedian':
        tot = 0.0
        for i, js in inst['pairs'].items():
            w = inst['weight'].get(i, 0.0)
            if w <= 0:
                continue
            cs = [c for j, c in js.items() if j in S]
            tot += w * (min(cs) if cs else penalty_ms)
        return tot
    raise ValueError(model)


# ---------------------------------------------------------------- solvers
_X = re.compile(r'^x_(\d+)$')


def solve_cbc(lp, workdir, timeout=3600):
    sol = os.path.join(workdir, os.path.basename(lp) + '.cbc.sol')
    t0 = time.perf_counter()
    r = subprocess.run(['cbc', lp, 'solve', 'solu', sol], capture_output=True, text=True, timeout=timeout)
    wall = time.perf_counter() - t0
    if r.returncode != 0 or not os.path.exists(sol):
        raise RuntimeError(f'cbc failed: {(r.stderr or r.stdout).strip().splitlines()[-1:]}')
    with open(sol) as fh:
        head = fh.readline()
        m = re.search(r'objective value\s+(-?[0-9.eE+]+)', head)
        sites = []
        for line in fh:
            f = line.split()
            if len(f) >= 3 and _X.match(f[1]) and float(f[2]) > 0.5:
                sites.append(int(_X.match(f[1]).group(1)))
    status = head.split('-')[0].strip()
    return {'time_s': wall, 'objective': float(m.group(1)) if m else None, 'sites': sorted(sites), 'status': status}


def solve_glpk(lp, workdir, timeout=3600):
    out = os.path.join(workdir, os.path.basename(lp) + '.glpk.txt')
    t0 = time.perf_counter()
    r = subprocess.run(['glpsol', '--lp', lp, '-o', out], capture_output=True, text=True, timeout=timeout)
    wall = time.perf_counter() - t0
    if r.returncode != 0 or not os.path.exists(out):
        raise RuntimeError(f'glpsol failed: {(r.stderr or r.stdout).strip().splitlines()[-1:]}')
    obj, status, sites = None, '', []
    with open(out) as fh:
        text = fh.read()
    m = re.search(r'Objective:\s+\S+\s*=\s*(-?[0-9.eE+]+)', text)
    if m:
        obj = float(m.group(1))
    m = re.search(r'Status:\s+(.+)', text)
    if m:
        status = m.group(1).strip()
    for line in text.splitlines():
        f = line.split()
        if len(f) >= 4 and f[0].isdigit() and _X.match(f[1]):
            val = f[3] if f[2] == '*' else f[2]
            try:
                if float(val) > 0.5:
                    sites.append(int(_X.match(f[1]).group(1)))
            except ValueError:
                pass
    return {'time_s': wall, 'objective': obj, 'sites': sorted(sites), 'status': status}
