#!/bin/sh
# Strong scaling of the MPI build on the Comoros data (issue 8): the same 8-variant batch and the
# same siting run at 1, 2 and 4 ranks, whole-process wall time, median of REPS runs.
# Usage: benchmarks/mpi_scaling.sh [BUILD_DIR=build-mpi] [REPS=3]
set -eu
B=$(cd "${1:-build-mpi}" && pwd)/carecircle
REPS=${2:-3}
C=${CC_SHARED_DATA:-$(cd "$(dirname "$0")/../.." && pwd)/shared/data}/comoros_geohealthaccess
T=$(mktemp -d)
export OMPI_ALLOW_RUN_AS_ROOT=1 OMPI_ALLOW_RUN_AS_ROOT_CONFIRM=1 OMPI_MCA_btl_vader_single_copy_mechanism=none
cat > "$T/comoros.yaml" <<Y
name: comoros
inputs: {roads: $C/comores-2021-04-08.osm.pbf, population: $C/com_ppp_2020_UNadj.tif,
         facilities: $C/who_public_health_facilities_comoros.csv, tier_field: tier,
         tiers: {1: health_post, 2: health_centre, 3: hospital, 4: hospital}}
profile: ambulance
minutes: [15, 30, 60]
report: {lang: en, maps: false}
Y
printf 'base: comoros.yaml\nsweeps:\n  - {name: "all_x{value}", key: speed_factors.all, values: [0.5, 0.6, 0.7, 0.8, 0.9, 1.1, 1.2]}\n' > "$T/batch.yaml"
median() { sort -n | awk '{a[NR]=$1} END {print a[int((NR+1)/2)]}'; }
# a failed run must not pass for a fast one: stop with its exit code
wall() { s=$(date +%s.%N); "$@" >/dev/null 2>"$T/err" || { echo "failed: $*" >&2; tail -3 "$T/err" >&2; exit 1; }; e=$(date +%s.%N); echo "$e - $s" | bc; }
for n in 1 2 4; do
    # ranks x threads = 2 cores, except at 4 ranks (oversubscribed: 4 processes on 2 cores)
    th=$((2 / n)); [ "$th" -lt 1 ] && th=1
    bt=$(for r in $(seq "$REPS"); do wall mpirun --oversubscribe --allow-run-as-root -n $n "$B" batch "$T/batch.yaml" --out "$T/b$n" --force --quiet --threads $th; done | median)
    st=$(for r in $(seq "$REPS"); do wall mpirun --oversubscribe --allow-run-as-root -n $n "$B" site --roads $C/comores-2021-04-08.osm.pbf \
        --population $C/com_ppp_2020_UNadj.tif --facilities $C/who_public_health_facilities_comoros.csv --tiers 1=health_post,2=health_centre,3=hospital,4=hospital \
        --fixed-tiers hospital --candidate-roads all --spacing 500 -p 10 --minutes 30 --out "$T/s$n" --quiet --threads $th; done | median)
    echo "ranks $n threads/rank $th: batch (8 variants) ${bt} s, site ${st} s"
done
rm -rf "$T"
