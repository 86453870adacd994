#!/bin/sh
# Weak scaling of the MPI build (issue 8): a synthetic province of BASE x r counties (seeded copies
# of the Comoros islands, benchmarks/make_province.py) at r = 1, 2, 4 ranks, so that the work per
# rank stays fixed; the tiled travel-time raster (carecircle traveltime, 15/30 min, 256-cell tiles,
# roads in a GeoPackage so that each tile reads its halo through the spatial index). Prints the
# median whole-process wall time of REPS runs, the tiles and the efficiency T(1)/T(r), and the
# per-tile cost and message size that the cluster model in RESULTS.md uses.
# Usage: benchmarks/mpi_weak_scaling.sh [BUILD_DIR=build-mpi] [REPS=3] [BASE=8]
set -eu
HERE=$(cd "$(dirname "$0")" && pwd)
B=$(cd "${1:-build-mpi}" && pwd)/carecircle
REPS=${2:-3}
BASE=${3:-8}
T=$(mktemp -d)
trap 'rm -rf "$T"' EXIT
export OMPI_ALLOW_RUN_AS_ROOT=1 OMPI_ALLOW_RUN_AS_ROOT_CONFIRM=1 OMPI_MCA_btl_vader_single_copy_mechanism=none
median() { sort -n | awk '{a[NR]=$1} END {print a[int((NR+1)/2)]}'; }
wall() { s=$(date +%s.%N); "$@" >"$T/out" 2>"$T/err" || { echo "failed: $*" >&2; tail -3 "$T/err" >&2; exit 1; }; e=$(date +%s.%N); echo "$e - $s" | bc; }
t1=
for r in 1 2 4; do
    n=$((BASE * r))
    /usr/bin/python3 "$HERE/make_province.py" --counties $n --seed 1 --out "$T/p$n" >/dev/null || exit $?
    th=$((2 / r)); [ "$th" -lt 1 ] && th=1
    P="$T/p$n"
    t=$(for i in $(seq "$REPS"); do wall mpirun --oversubscribe --allow-run-as-root -n $r "$B" traveltime --roads "$P/roads.gpkg" \
        --population "$P/population.tif" --facilities "$P/facilities.gpkg" --tiers 1=health_post,2=health_centre,3=hospital,4=hospital \
        --minutes 15,30 --tile 256 --out "$T/o$n" --threads $th; done | median)
    [ -z "$t1" ] && t1=$t
    tiles=$(/usr/bin/python3 -c "import json;d=json.load(open('$T/o$n/summary.json'))['tiling'];print(d['tiles'],d['tiles_with_people'],d['width'],d['height'],int(d['road_ways_read']))")
    set -- $tiles
    echo "ranks $r x $th threads: $n counties, raster $3 x $4, $1 tiles ($2 with people), $5 road ways read; ${t} s; efficiency $(echo "scale=2; $t1 / $t" | bc)"
    echo "  per tile with people: $(echo "scale=3; $t * $r / $2" | bc) rank-seconds; tile message $(( 5 * 256 * 256 * 4 + 640 )) bytes"
done
