#!/usr/bin/env bash
# Prediction against the truth, file by file: `av1d encode --predict` (the samples the daemon's
# gate uses) and a full `av1d encode` with the same options, each timed for CPU (user + system).
#
#   scripts/predict-accuracy.sh [--av1d PATH] [-- ENCODE OPTIONS] FILE...
#   scripts/predict-accuracy.sh --av1d .build/release/av1d -- --preset 12 --crf 50 fixtures/generated/*.mp4
#
# Prints one row per file: predicted and real size ratio, the prediction's error
# ((predicted - real) / real), SSIM-Y of the samples, and the CPU seconds of both runs.
set -euo pipefail
AV1D="${AV1D:-$(dirname "$0")/../.build/release/av1d}"
OPTIONS=()
while [[ $# -gt 0 ]]; do
  case "$1" in
    --av1d) AV1D="$2"; shift 2 ;;
    --) shift; while [[ $# -gt 0 && "$1" == -* ]]; do OPTIONS+=("$1" "$2"); shift 2; done ;;
    *) break ;;
  esac
done
[[ $# -gt 0 ]] || { echo "usage: $0 [--av1d PATH] [-- ENCODE OPTIONS] FILE..." >&2; exit 64; }
WORK="$(mktemp -d)"
trap 'rm -rf "$WORK"' EXIT

cpu() { awk '/^cpu / {print $2 + $3}' "$1"; }
printf "%-24s %9s %6s %7s %8s %9s %9s %6s\n" file predicted real error ssim_y pred_cpu full_cpu share
for file in "$@"; do
  name="$(basename "$file")"
  /usr/bin/time -f "cpu %U %S" -o "$WORK/p.time" "$AV1D" encode --predict "${OPTIONS[@]}" -o "$WORK/out.mkv" "$file" >"$WORK/p.txt"
  /usr/bin/time -f "cpu %U %S" -o "$WORK/f.time" "$AV1D" encode "${OPTIONS[@]}" --overwrite -o "$WORK/out.mkv" "$file" >"$WORK/f.txt"
  predicted=$(sed -n 's/.*predicted \([0-9.]*\)x.*/\1/p' "$WORK/p.txt")
  if [[ -z "$predicted" ]]; then printf "%-24s %9s\n" "$name" "too short"; continue; fi
  ssim=$(sed -n 's/.*SSIM-Y \([0-9.]*\).*/\1/p' "$WORK/p.txt")
  real=$(awk -v o="$(stat -c %s "$WORK/out.mkv")" -v i="$(stat -c %s "$file")" 'BEGIN {printf "%.3f", o / i}')
  pcpu=$(cpu "$WORK/p.time"); fcpu=$(cpu "$WORK/f.time")
  awk -v n="$name" -v p="$predicted" -v r="$real" -v s="${ssim:---}" -v pc="$pcpu" -v fc="$fcpu" \
    'BEGIN {printf "%-24s %9.3f %6.3f %+6.1f%% %8s %9.2f %9.2f %5.2fx\n", n, p, r, (p - r) / r * 100, s, pc, fc, pc / fc}'
done
