#!/usr/bin/python3
"""Independent reference for carecircle's off-road friction model (README "Off-road travel").

Written from the README's description, sharing no code with the engine: an explicit directed
graph of raster cells (8 or 16 neighbours) with Tobler-weighted edge times, solved with
scipy.sparse.csgraph.dijkstra. Pure off-road case (no roads).

  times_s = offroad_times(spm, z, ex, ny, neighbours, sources)

spm: seconds per metre per cell (inf = impassable), z: elevation or None, ex/ny: cell size in
metres per row, sources: flat cell indices (time 0). Returns seconds from each cell TO the
nearest source (the patient walks towards the facility, so slopes are taken in that direction).
"""
import math

import numpy as np
from scipy.sparse import coo_matrix
from scipy.sparse.csgraph import dijkstra

ROOK_BISHOP = [(1, 0), (-1, 0), (0, 1), (0, -1), (1, 1), (-1, -1), (1, -1), (-1, 1)]
KNIGHT = [(1, 2), (-1, -2), (1, -2), (-1, 2), (2, 1), (-2, -1), (2, -1), (-2, 1)]


def tobler(slope):
    """Speed relative to the flat: exp(-3.5 |S + 0.05|) / exp(-3.5 * 0.05)."""
    return np.exp(-3.5 * np.abs(slope + 0.05)) / math.exp(-3.5 * 0.05)


def cell_sizes(gt, h, geographic):
    """Metres per cell along rows (ex) and columns (ny) for each row."""
    if not geographic:
        return np.full(h, abs(gt[1])), np.full(h, abs(gt[5]))
    a, e2 = 6378137.0, 0.00669437999014
    lat = np.radians(gt[3] + (np.arange(h) + 0.5) * gt[5])
    s2 = np.sin(lat) ** 2
    n_radius = a / np.sqrt(1 - e2 * s2)
    m_radius = a * (1 - e2) / (1 - e2 * s2) ** 1.5
    return abs(gt[1]) * math.pi / 180 * n_radius * np.cos(lat), abs(gt[5]) * math.pi / 180 * m_radius


def edges(spm, z, ex, ny, neighbours):
    """All moves a -> b: tails, heads, seconds."""
    h, w = spm.shape
    rows, cols = np.mgrid[0:h, 0:w]
    moves = ROOK_BISHOP + (KNIGHT if neighbours == 16 else [])
    tails, heads, secs = [], [], []
    for dc, dr in moves:
        rb, cb = rows + dr, cols + dc
        ok = (rb >= 0) & (rb < h) & (cb >= 0) & (cb < w)
        ra, ca, rb, cb = rows[ok], cols[ok], rb[ok], cb[ok]
        cells = [spm[ra, ca], spm[rb, cb]]
        if abs(dr) == 2:  # the knight passes the two cells of the middle row
            cells += [spm[ra + dr // 2, ca], spm[ra + dr // 2, cb]]
        elif abs(dc) == 2:  # or of the middle column
            cells += [spm[ra, ca + dc // 2], spm[rb, ca + dc // 2]]
        f = np.mean(cells, axis=0)
        dist = np.hypot(dc * (ex[ra] + ex[rb]) / 2, dr * (ny[ra] + ny[rb]) / 2)
        t = dist * f
        if z is not None:
            t = t / tobler((z[rb, cb] - z[ra, ca]) / dist)
        keep = np.isfinite(t)
        tails.append((ra * w + ca)[keep])
        heads.append((rb * w + cb)[keep])
        secs.append(t[keep])
    return np.concatenate(tails), np.concatenate(heads), np.concatenate(secs)


def offroad_times(spm, z, ex, ny, neighbours, sources, forward=False):
    """Seconds from each cell TO the nearest source; forward=True: FROM the nearest source to
    each cell (an emergency station walking or driving to the patient: slopes taken its way)."""
    h, w = spm.shape
    n = h * w
    a, b, t = edges(spm, z, ex, ny, neighbours)
    # times TO the sources: search the reversed graph (edge b -> a with the cost of a -> b)
    g = coo_matrix((t, (a, b) if forward else (b, a)), shape=(n, n)).tocsr()
    src = [s for s in sources if np.isfinite(spm.flat[s])]
    if not src:
        return np.full(n, np.inf)
    return dijkstra(g, directed=True, indices=src, min_only=True)


def speed_from_fractions(fracs, kmh):
    """Weighted harmonic mean of class speeds over the passable classes (km/h); 0 where the
    classes with speed 0 cover at least as much as the passable ones, or nothing is known."""
    w_pass = np.zeros(fracs[0].shape)
    w_block = np.zeros(fracs[0].shape)
    inv = np.zeros(fracs[0].shape)
    for f, v in zip(fracs, kmh):
        f = np.where(np.isfinite(f) & (f > 0), f, 0.0)
        if v > 0:
            w_pass += f
            inv += f / v
        else:
            w_block += f
    with np.errstate(divide="ignore", invalid="ignore"):
        v = np.where((w_pass > 0) & (w_block < w_pass), w_pass / inv, 0.0)
    return v


def offroad_times_with_roads(spm, z, ex, ny, neighbours, sources, roads, forward=False):
    """As offroad_times, plus roads. Each road is (points, arc_s): points = [(cell or None,
    position_m)] in order along the road, the two ends (nodes, cell None) included; arc_s = the
    whole road's time in seconds (one way = the other). A road is entered and left at the
    points with a cell, for free; between consecutive points it takes arc_s times their share of
    the length. forward=True: from the sources (see offroad_times)."""
    h, w = spm.shape
    n_cells = h * w
    a, b, t = edges(spm, z, ex, ny, neighbours)
    tails, heads, secs = [a], [b], [t]
    nxt = n_cells
    eps = 1e-12  # scipy drops zero-weight sparse entries: transfers cost a picosecond
    for points, arc_s in roads:
        length = points[-1][1] - points[0][1]
        ids = []
        for cell, pos in points:
            ids.append(nxt)
            if cell is not None and np.isfinite(spm.flat[cell]):
                tails += [np.array([nxt]), np.array([cell])]
                heads += [np.array([cell]), np.array([nxt])]
                secs += [np.array([eps]), np.array([eps])]
            nxt += 1
        for i in range(len(points) - 1):
            c = arc_s * (points[i + 1][1] - points[i][1]) / length
            tails += [np.array([ids[i]]), np.array([ids[i + 1]])]
            heads += [np.array([ids[i + 1]]), np.array([ids[i]])]
            secs += [np.array([c]), np.array([c])]
    a, b, t = np.concatenate(tails), np.concatenate(heads), np.concatenate(secs)
    g = coo_matrix((t, (a, b) if forward else (b, a)), shape=(nxt, nxt)).tocsr()
    src = [s for s in sources if np.isfinite(spm.flat[s])]
    return dijkstra(g, directed=True, indices=src, min_only=True)[:n_cells]


def impassable_nearest(times, spm, ex, ny, max_m=250.0, cells=None):
    """README "Off-road travel", people on impassable cells (--impassable-population nearest): an
    impassable cell takes the time of the passable cell whose centre is nearest, at most max_m
    away (distance hypot(dc * mean of the two rows' ex, dr * mean of their ny); ties to the first
    cell in row order), plus that distance at that cell's seconds per metre (no slope).

    times: seconds per cell (flat, from offroad_times*), spm: seconds per metre (h x w, inf =
    impassable), cells: the flat cells to treat (default every impassable cell). Returns (new
    times, flat, every cell), {cell: (target cell, distance m)} of the cells moved."""
    h, w = spm.shape
    out = np.array(times, dtype=np.float64).reshape(-1).copy()
    moved = {}
    if cells is None:
        cells = np.flatnonzero(~np.isfinite(spm.reshape(-1)))
    for cell in cells:
        r0, c0 = divmod(int(cell), w)
        if np.isfinite(spm[r0, c0]):
            continue
        k = int(max_m // min(ex.min(), ny.min())) + 2
        best, bd = None, math.inf
        for r in range(max(0, r0 - k), min(h, r0 + k + 1)):
            for c in range(max(0, c0 - k), min(w, c0 + k + 1)):
                if not np.isfinite(spm[r, c]):
                    continue
                d = math.hypot((c - c0) * (ex[r0] + ex[r]) / 2, (r - r0) * (ny[r0] + ny[r]) / 2)
                if d <= max_m and d < bd:
                    best, bd = r * w + c, d
        if best is None:
            continue
        out[cell] = out[best] + bd * spm.flat[best]
        moved[int(cell)] = (best, bd)
    return out, moved
