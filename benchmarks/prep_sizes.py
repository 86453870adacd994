#!/usr/bin/python3
"""Bytes of a prepared region (.ccprep, planner/run/cache.c) by part, and per node, per edge and
per population cell.

Usage: benchmarks/prep_sizes.py FILE.ccprep
The section order is cache.c's enum; the header is 8 + 4*4 + 64 + 64 + 8 + 8 bytes, then one
32-byte row per section (id, element size, count, offset, checksum)."""
import struct
import sys

NAMES = ("meta r_way_first r_x r_y r_cls r_surface r_maxspeed r_speed r_oneway r_roundabout r_way_id r_status r_strings r_wkt "
         "dem_x dem_y dem_pop dem_cell dem_name dem_name_zh dem_wkt "
         "g_fwd_first g_fwd g_fwd_arc g_bwd_first g_bwd g_bwd_arc g_node_x g_node_y g_arc_u g_arc_v g_cost_f g_cost_b "
         "g_arc_len g_arc_way g_arc_first g_pt_x g_pt_y g_pt_s g_pt_arc g_node_scc g_wkt s_first s_seg j_dem "
         "grid_x grid_y grid_pop grid_cell grid_name grid_name_zh grid_wkt j_grid").split()
GROUPS = {"roads as read": "r_", "population": "dem_", "graph": "g_", "snap index": "s_", "population joins": "j_dem",
          "village grid": "grid_", "grid joins": "j_grid"}


def main(path):
    with open(path, "rb") as f:
        data = f.read()
    magic, version, endian, sizes, n = struct.unpack_from("<8sIIII", data, 0)
    assert magic == b"CCPREP\r\n" and n == len(NAMES), (magic, n)
    hdr = 8 + 16 + 128 + 16
    sect = {}
    for i in range(n):
        sid, elem, count, off, _ = struct.unpack_from("<IIQQQ", data, hdr + 32 * i)
        sect[NAMES[sid]] = (elem, count)
    nbytes = {k: e * c for k, (e, c) in sect.items()}
    n_nodes = sect["g_node_x"][1]
    n_edges = sect["g_fwd"][1]
    n_arcs = sect["g_arc_u"][1]
    n_cells = sect["dem_x"][1]
    total = len(data)
    print(f"{path}: {total:,} bytes; {n_nodes:,} nodes, {n_edges:,} edges, {n_arcs:,} arcs, "
          f"{sect['g_pt_x'][1]:,} arc vertices, {sect['r_x'][1]:,} road vertices, {n_cells:,} population cells")
    print("| part | bytes | share |")
    print("| --- | ---: | ---: |")
    for g, pre in GROUPS.items():
        b = sum(v for k, v in nbytes.items() if k.startswith(pre) and not (pre == "g_" and False))
        print(f"| {g} | {b:,} | {100 * b / total:.1f} % |")
    print(f"| header, table, meta, padding | {total - sum(nbytes.values()) + nbytes['meta']:,} | |")
    graph = sum(v for k, v in nbytes.items() if k.startswith("g_")) + sum(v for k, v in nbytes.items() if k.startswith("s_"))
    node_b = sum(nbytes[k] for k in ("g_fwd_first", "g_bwd_first", "g_node_x", "g_node_y", "g_node_scc"))
    edge_b = sum(nbytes[k] for k in ("g_fwd", "g_fwd_arc", "g_bwd", "g_bwd_arc"))
    cell_b = sum(v for k, v in nbytes.items() if k.startswith("dem_") or k == "j_dem")
    print(f"per node {node_b / max(n_nodes, 1):.1f} B (CSR offsets, coordinates, component), per edge {edge_b / max(n_edges, 1):.1f} B "
          f"(both directions, with arc ids), per population cell {cell_b / max(n_cells, 1):.1f} B (x, y, population, cell index, join); "
          f"graph + snap index + arc geometry {graph:,} B = {graph / max(n_edges, 1):.1f} B per edge all told")


if __name__ == "__main__":
    main(sys.argv[1])
