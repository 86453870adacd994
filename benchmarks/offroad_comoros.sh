#!/bin/sh
# The friction model (issue 16) on the whole of Comoros at the WorldPop grid (3 arc-seconds, about
# 92 m): SRTM tiles, ten CGLC cover-fraction rasters, OSM water; against the straight model.
# Usage: benchmarks/offroad_comoros.sh [BINARY] [THREADS]   (prints wall time, peak RSS, phases)
set -e
BIN=${1:-build/carecircle}
T=${2:-1}
D=${CC_SHARED_DATA:-$(dirname "$0")/../../shared/data}/comoros_geohealthaccess
O=$D/offroad
[ -d "$O" ] || { echo "skipped: $O is absent"; exit 0; }
Z=/vsizip/$O
DEM="$Z/S12E043.SRTMGL1.hgt.zip/S12E043.hgt,$Z/S13E043.SRTMGL1.hgt.zip/S13E043.hgt,$Z/S13E044.SRTMGL1.hgt.zip/S13E044.hgt"
LC=""
for c in Bare BuiltUp Crops Grass MossLichen PermanentWater SeasonalWater Shrub Snow Tree; do LC="$LC,$c=$O/cglc_landcover_$c.tif"; done
LC=${LC#,}
OUT=$(mktemp -d)
COMMON="--roads $D/comores-2021-04-08.osm.pbf --population $D/com_ppp_2020_UNadj.tif --facilities $D/who_public_health_facilities_comoros.csv
  --tier-field tier --tiers 1=health_post,2=health_centre,3=hospital,4=hospital --lang en --quiet --threads $T"
for model in straight friction16 friction8; do
    case $model in
    straight) X="" ;;
    friction16) X="--offroad friction --dem $DEM --landcover $LC --water $O/water_osm.gpkg --neighbours 16" ;;
    friction8) X="--offroad friction --dem $DEM --landcover $LC --water $O/water_osm.gpkg --neighbours 8" ;;
    esac
    rm -rf "$OUT/o"
    /usr/bin/time -f "$model threads=$T: wall %e s, peak RSS %M kB" "$BIN" coverage $COMMON --out "$OUT/o" $X 2>&1 >/dev/null | grep -v warning
    /usr/bin/python3 -c "
import json; s = json.load(open('$OUT/o/summary.json')); o = s.get('offroad', {})
print('  phases', s['timings_s'])
if o: print('  surface %.2f s, searches %.2f s, %d nodes settled (%.1f M/s), %d cells (%d passable), %d transfer points, %.0f bytes/cell est.' % (
    o['t_surface_s'], o['t_search_s'], o['nodes_settled'], o['nodes_settled'] / o['t_search_s'] / 1e6, o['cells'], o['cells_passable'],
    o['transfer_points'], o['bytes_per_cell']))
print('  within 15/30/60: %s; no time: %.0f + %.0f' % (s['population_within_min'], s['population_no_road_access'], s['population_unreachable']))"
done
rm -rf "$OUT"
