#!/bin/sh
# Robust siting on Comoros (issue 18): base, a flooded coastal road north of Moroni, a rainy
# season and a closed hospital (Mitsamiouli); MCLP p = 5 at 30 minutes, road candidates every
# 1 km, WHO hospitals fixed. Usage: benchmarks/robust_comoros.sh BUILD_DIR WORK_DIR [MODEL [OPTION...]]
# MODEL (default mclp): mclp, pmedian (objectives max_min, min_max_regret, expected) or pcenter
# (max_min, min_max_regret); the options are added to every run (e.g. --spacing 3000 --radius 45).
set -eu
. "$(cd "$(dirname "$0")" && pwd)/comoros_inputs.sh"
B=${1:-build}; W=${2:-/tmp/robust-comoros}; M=${3:-mclp}
[ $# -ge 3 ] && shift 3 || shift $#
OBJ="max_min min_max_regret expected"; [ "$M" = pcenter ] && OBJ="max_min min_max_regret"
C=$(cd "$(dirname "$0")/../.." && pwd)/shared/data/comoros_geohealthaccess
[ -d "$C" ] || { echo "SKIP: $C is not present"; exit 77; }
mkdir -p "$W"
cat > "$W/comoros.yaml" <<EOT
name: comoros
$(comoros_inputs "$C")
profile: ambulance
minutes: [30]
EOT
echo '{"type":"FeatureCollection","features":[{"type":"Feature","properties":{},"geometry":{"type":"Polygon","coordinates":[[[43.24,-11.66],[43.30,-11.66],[43.30,-11.60],[43.24,-11.60],[43.24,-11.66]]]}}]}' > "$W/flood.geojson"
cat > "$W/batch.yaml" <<'EOT'
base: comoros.yaml
variants:
  - name: flooded_coast_road
    set: {closed_roads: {areas: flood.geojson}}
  - name: rainy
    set: {speed_factors: {class: {tertiary: 0.7}, surface: {unpaved: 0.7}}}
  - name: mitsamiouli_closed
    set: {facility_changes: {remove: [{name: "Mitsamiouli Centre Médico-Chirurgical"}]}}
EOT
for o in $OBJ; do
  rm -rf "$W/out_${M}_$o"
  /usr/bin/time -f "$M $o: %e s wall, %M KiB peak" "$B/carecircle" site --scenarios "$W/batch.yaml" --fixed-tiers hospital \
    --candidate-roads all --spacing 1000 -p 5 --minutes 30 --model "$M" --objective $o --out "$W/out_${M}_$o" --quiet "$@"
  grep -h '"objective"\|"bound"\|"gap"\|"bound_method"\|"seconds"' "$W/out_${M}_$o/summary.json" | tr -d ' \n'; echo
  cat "$W/out_${M}_$o/regret.csv"
done
