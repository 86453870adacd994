#!/bin/sh
# A speed-factor batch on Comoros (issue 19): N variants (speed_factors.all from 0.80 up in steps
# of 0.01) against one fresh `carecircle run` of the base, all in the same run. Three batches:
#   default  the sweep as a planner writes it: its variants write summary.json only (the default
#            of sweeps since the eighth session; the comparison has their totals and admin areas);
#   full     the same sweep with set: {outputs: [all]}: every variant writes every deliverable,
#            with the prepared region shared;
#   noreuse  full with --no-reuse (every variant loads alone).
# Prints wall and CPU (user + sys) seconds of each command, the per-variant cost as % of the fresh
# run, and the mean phase times of the variants (summary.json timings_s). MAPS=0 runs without maps
# (report.maps: false); NOREUSE=0 leaves the slowest batch out.
# Usage: benchmarks/bench_batch_reuse.sh [BINARY] [N] [WORKDIR]   (environment: MAPS=0|1, JOBS=1, NOREUSE=1|0)
set -eu
. "$(cd "$(dirname "$0")" && pwd)/comoros_inputs.sh"
BIN=$(realpath "${1:-build/carecircle}")
N=${2:-20}
W=${3:-/tmp/bench-batch-reuse}
MAPS=${MAPS:-1}
JOBS=${JOBS:-1}
NOREUSE=${NOREUSE:-1}
D=$(realpath "${CC_SHARED_DATA:-$(dirname "$0")/../../shared/data}")/comoros_geohealthaccess
[ -f "$D/comores-2021-04-08.osm.pbf" ] || { echo "SKIP: $D is not present"; exit 77; }
rm -rf "$W"
mkdir -p "$W"
cd "$W"
M=true
[ "$MAPS" = 0 ] && M=false
cat > comoros.yaml <<EOT
name: comoros
$(comoros_inputs "$D")
profile: ambulance
minutes: [30, 60]
report: {lang: en, maps: $M}
EOT
VALUES=$(/usr/bin/python3 -c "print(', '.join('%.2f' % (0.80 + 0.01 * i) for i in range($N)))")
cat > batch.yaml <<EOT
base: comoros.yaml
sweeps:
  - name: "all_{value}"
    key: speed_factors.all
    values: [$VALUES]
EOT
sed 's/^    values: .*/&\n    set: {outputs: [all]}/' batch.yaml > batch_full.yaml
t() { # label, command...: wall and CPU seconds into $label.time
    l=$1
    shift
    /usr/bin/time -f "%e %U %S" -o "$l.time" "$@" >/dev/null 2>"$l.log" || { echo "$l failed:"; tail -3 "$l.log"; exit 1; }
}
t fresh "$BIN" run comoros.yaml --out fresh --quiet --threads "$JOBS"
t default "$BIN" batch batch.yaml --out default --jobs "$JOBS" --force --verbose --threads "$JOBS"
t full "$BIN" batch batch_full.yaml --out full --jobs "$JOBS" --force --verbose --threads "$JOBS"
[ "$NOREUSE" = 0 ] || t noreuse "$BIN" batch batch_full.yaml --out noreuse --jobs "$JOBS" --force --no-reuse --quiet --threads "$JOBS"
/usr/bin/python3 - "$N" <<'EOT'
import json, os, sys
n = int(sys.argv[1])
def tm(l):
    w, u, s = map(float, open(f"{l}.time").read().split()[-3:])
    return w, u + s
fw, fc = tm("fresh")
print(f"Comoros, {n} speed-factor variants + base, maps {'on' if os.environ.get('MAPS', '1') != '0' else 'off'}; "
      f"fresh run of the base: {fw:.2f} s wall, {fc:.2f} s CPU")
for l in ("noreuse", "full", "default"):
    if not os.path.exists(f"{l}.time"):
        continue
    w, c = tm(l)
    # per variant: the batch's time less one fresh run (the base, which prepares what is shared), over n
    pw, pc = (w - fw) / n, (c - fc) / n
    ph = {}
    for v in json.load(open(f"{l}/manifest.json"))["variants"][1:]:
        for k, x in json.load(open(f"{l}/{v['name']}/summary.json"))["timings_s"].items():
            ph[k] = ph.get(k, 0) + x / n
    print(f"  {l:8s} batch {w:7.2f} s wall {c:7.2f} s CPU; per variant {pw:.2f} s wall ({100 * pw / fw:.0f} % of fresh), "
          f"{pc:.2f} s CPU ({100 * pc / fc:.0f} % of fresh); variant phases (mean s): "
          + ", ".join(f"{k} {x:.3f}" for k, x in ph.items()))
reuse_log = open("default.log").read() + open("full.log").read()
for line in reuse_log.splitlines():
    if "Prepared regions reused" in line or "sweep variants write" in line:
        print("  " + line)
EOT
