#!/usr/bin/env bash
# Peak memory of one-piece encodes, measured from outside (/usr/bin/time's maximum RSS) and set
# beside `EncodeMemory.estimate` (Sources/NativeEncode/EncodeMemory.swift): the data the model's
# coefficients come from and its error. Inputs are the bundled Big Buck Bunny clip scaled to each
# size (x264, made in a temporary folder), FRAMES frames each (enough for SVT-AV1's look-ahead
# and reference pools to fill: its memory then stays flat).
#
#   benchmarks/encode-memory.sh [SIZES] [PRESETS] [DEPTHS] [REPEATS] [FRAMES]
#   (defaults: "640x360 1280x720 1920x1080", "8 4", "10", 3, 100)
#
# Prints one line per size, preset and depth: median peak RSS of REPEATS runs, the model's
# estimate (from `av1d encode`'s summary) and its error. The encoder's thread budget is one per CPU
# of this machine: SVT-AV1 caps its buffer counts at the CPUs it finds, so larger budgets cannot be
# measured on a small machine.
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."
export PATH="$PATH:/opt/swift/usr/bin"
SIZES="${1:-640x360 1280x720 1920x1080}"
PRESETS="${2:-8 4}"
DEPTHS="${3:-10}"
REPEATS="${4:-3}"
FRAMES="${5:-100}"
AV1D="${AV1D:-}"

if [[ -z "$AV1D" ]]; then
  swift build -c release --product av1d >/dev/null
  AV1D=.build/release/av1d
fi
[[ -f fixtures/generated/bbb720-loop.mp4 ]] || scripts/make-fixtures.sh >/dev/null
WORK=$(mktemp -d /tmp/av1d-memory.XXXXXX)
trap 'rm -rf "$WORK"' EXIT

median() { sort -n | awk '{a[NR]=$1} END {print (NR%2) ? a[(NR+1)/2] : (a[NR/2]+a[NR/2+1])/2}'; }

printf "%-10s %6s %5s %12s %12s %8s\n" size preset depth "peak MiB" "model MiB" error
for size in $SIZES; do
  clip="$WORK/clip-$size.mp4"
  ffmpeg -nostdin -v error -i fixtures/generated/bbb720-loop.mp4 -frames:v "$FRAMES" -an \
    -vf "scale=${size/x/:}:flags=bicubic" -c:v libx264 -preset veryfast -crf 18 "$clip"
  for preset in $PRESETS; do
    for depth in $DEPTHS; do
      : > "$WORK/peaks"
      for _ in $(seq "$REPEATS"); do
        /usr/bin/time -f "%M" -o "$WORK/time" "$AV1D" encode "$clip" -o "$WORK/out.mkv" --overwrite \
          --preset "$preset" --crf 30 --bit-depth "$depth" --progress none >"$WORK/summary" 2>"$WORK/log" \
          || { cat "$WORK/log"; exit 1; }
        tail -1 "$WORK/time" >> "$WORK/peaks"
      done
      peak=$(median < "$WORK/peaks")
      # The summary's "peak memory X (model Y MiB; ...)": EncodeMemory.estimate for this encode.
      model=$(grep -o 'model [0-9.]* [KMG]iB' "$WORK/summary" \
        | awk '{f = $3 == "GiB" ? 1073741824 : $3 == "MiB" ? 1048576 : 1024; printf "%d", $2 * f}')
      awk -v s="$size" -v p="$preset" -v d="$depth" -v k="$peak" -v m="$model" \
        'BEGIN {printf "%-10s %6d %5d %12.1f %12.1f %+7.1f%%\n", s, p, d, k/1024, m/1048576, (m/1024/k - 1) * 100}'
    done
  done
done
