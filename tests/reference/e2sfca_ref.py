#!/usr/bin/python3
"""Independent E2SFCA (enhanced two-step floating catchment area) and nearest-first capacity
allocation, written from the formulas (Luo & Qi 2009; Gaussian decay of Dai 2010) without the C
sources. Used by tests/cli/capacity_test.py on hand-made networks whose travel times are known.

    W(t) = (exp(-t^2 / (2 T^2)) - exp(-1/2)) / (1 - exp(-1/2))  for t <= T, else 0
    R_j  = S_j / sum_i P_i W(t_ij)
    A_i  = sum_j R_j W(t_ij)

times[i][j] is the travel time from demand i to facility j (None: unreachable), in any unit as
long as T is in the same unit; capacities None take no part in the index.
"""
import math


def weight(t, T):
    if t is None or t > T:
        return 0.0
    e = math.exp(-0.5)
    return (math.exp(-0.5 * (t / T) ** 2) - e) / (1 - e)


def e2sfca(pop, cap, times, T):
    n, m = len(pop), len(cap)
    ratio = []
    for j in range(m):
        if cap[j] is None:
            ratio.append(None)
            continue
        d = sum(pop[i] * weight(times[i][j], T) for i in range(n))
        ratio.append(cap[j] / d if d > 0 else 0.0)
    index = [sum(ratio[j] * weight(times[i][j], T) for j in range(m) if ratio[j] is not None) for i in range(n)]
    return ratio, index


def allocate(pop, cap, times, T):
    """People to facilities in increasing travel time (ties: facility, then demand index) until
    each facility's capacity (None: no limit) is used. Returns served per demand, per facility."""
    pairs = sorted((times[i][j], j, i) for i in range(len(pop)) for j in range(len(cap))
                   if times[i][j] is not None and times[i][j] <= T)
    left_pop = list(pop)
    left_cap = [math.inf if c is None else c for c in cap]
    served_d, served_f = [0.0] * len(pop), [0.0] * len(cap)
    for _, j, i in pairs:
        a = min(left_pop[i], left_cap[j])
        if a <= 0:
            continue
        left_pop[i] -= a
        left_cap[j] -= a
        served_d[i] += a
        served_f[j] += a
    return served_d, served_f


if __name__ == "__main__":
    # the hand case of capacity_test.py: road 0..10 km, A at 0 (1500), B at 10 km (200)
    v = 70 / 3.6
    xs, pops = [1000, 3000, 8500], [1000, 1000, 500]
    t = [[abs(x - 0) / v, abs(x - 10000) / v] for x in xs]
    print(allocate(pops, [1500, 200], t, 1800))
    print(e2sfca(pops, [1500, 200], t, 1800))
