#!/usr/bin/env bash
# One title chunked over N CPU sets against the same title in one piece on all CPUs, side by side
# in one run (interleaved, medians), plus the per-instance scaling those runs imply and a paper
# model of a 64-core EPYC (8 CCDs of 8 cores) from it.
#
#   scripts/bench-chunks.sh [--av1d PATH] [--workers N] [--preset P] [--repeat R] [INPUT]
#
# INPUT needs keyframes every few seconds so that there are several chunks per worker. Without
# INPUT, a bench title is made once with the ffmpeg CLI from fixtures/generated/bbb720-loop.mp4
# played twice: 640x360, 31.7 s, a keyframe every 2 s, so 2 workers get 8 even chunks (with fewer,
# uneven chunks the last one runs alone and the comparison measures that). ffmpeg only makes it.
set -euo pipefail

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
AV1D="$ROOT/.build/release/av1d"
WORKERS=$(nproc)
PRESET=8
REPEAT=3
INPUT=""
while [[ $# -gt 0 ]]; do
  case "$1" in
    --av1d) AV1D="$2"; shift 2 ;;
    --workers) WORKERS="$2"; shift 2 ;;
    --preset) PRESET="$2"; shift 2 ;;
    --repeat) REPEAT="$2"; shift 2 ;;
    -h|--help) sed -n '2,10p' "$0"; exit 0 ;;
    *) INPUT="$1"; shift ;;
  esac
done
[[ -x "$AV1D" ]] || { echo "bench-chunks: no av1d at $AV1D (swift build -c release, or --av1d PATH)" >&2; exit 1; }
WORK="$(mktemp -d "${TMPDIR:-/tmp}/av1d-bench-chunks.XXXXXX")"
trap 'rm -rf "$WORK"' EXIT

if [[ -z "$INPUT" ]]; then
  INPUT="$WORK/bench-title.mkv"
  ffmpeg -nostdin -v error -stream_loop 1 -i "$ROOT/fixtures/generated/bbb720-loop.mp4" -vf scale=640:360 \
    -c:v libx264 -preset veryfast -crf 20 -g 50 -keyint_min 50 -sc_threshold 0 -c:a copy "$INPUT"
fi
CPUS="0-$(( $(nproc) - 1 ))"

# run NAME ARGS... -> appends "wall user+sys" of one encode to $WORK/NAME
run() {
  local name="$1"; shift
  /usr/bin/time -f "%e %U %S" -o "$WORK/time" "$AV1D" encode "$INPUT" -o "$WORK/$name.mkv" --overwrite \
    --preset "$PRESET" --progress none "$@" >"$WORK/$name.log" 2>&1 || { cat "$WORK/$name.log" >&2; exit 1; }
  awk '{ printf "%s %.2f\n", $1, $2 + $3 }' "$WORK/time" >>"$WORK/$name"
}
median() { sort -n | awk '{ v[NR] = $1 } END { print (NR % 2) ? v[(NR + 1) / 2] : (v[NR / 2] + v[NR / 2 + 1]) / 2 }'; }

for _ in $(seq "$REPEAT"); do
  run whole --cpus "$CPUS" --chunks off
  run chunked --cpus "$CPUS" --chunks "$WORKERS"
  run single --cpus 0 --chunks off
done

frames=$(grep -o 'frames [0-9]*' "$WORK/whole.log" | head -1 | cut -d' ' -f2)
chunks=$(grep -o 'encoded in [0-9]* chunks' "$WORK/chunked.log" | cut -d' ' -f3)
whole=$(cut -d' ' -f1 "$WORK/whole" | median)
chunked=$(cut -d' ' -f1 "$WORK/chunked" | median)
single=$(cut -d' ' -f1 "$WORK/single" | median)
whole_cpu=$(cut -d' ' -f2 "$WORK/whole" | median)
chunked_cpu=$(cut -d' ' -f2 "$WORK/chunked" | median)
n=$(nproc)

echo "title: $INPUT, $frames frames, preset $PRESET, $REPEAT interleaved runs each (medians)"
awk -v w="$whole" -v c="$chunked" -v s="$single" -v wc="$whole_cpu" -v cc="$chunked_cpu" -v f="$frames" \
    -v n="$n" -v k="${chunks:-?}" -v workers="$WORKERS" 'BEGIN {
  printf "one piece on CPUs 0-%d:       %6.2f s wall  %6.2f fps  %6.2f CPU s\n", n - 1, w, f / w, wc
  printf "%d chunks, %d workers:         %6.2f s wall  %6.2f fps  %6.2f CPU s\n", k, workers, c, f / c, cc
  printf "one piece on one CPU:         %6.2f s wall  %6.2f fps\n", s, f / s
  printf "throughput ratio chunked / one piece: %.3f\n", w / c
  # One instance on n CPUs against one on a single CPU: its speed-up, and Amdahl parallel fraction p.
  S = s / w
  p = (S > 1) ? (1 - 1 / S) / (1 - 1 / n) : 0
  printf "one instance: speed-up %.2fx on %d CPUs (parallel fraction p = %.3f by Amdahl)\n", S, n, p
  # Paper model: 64 cores as 8 CCDs of 8. One piece: one instance on 64; chunked: 8 instances of 8,
  # each at the single-instance curve, joined for the overhead measured here (chunked CPU / whole CPU).
  one = 1 / ((1 - p) + p / 64)
  per = 1 / ((1 - p) + p / 8)
  overhead = (wc > 0) ? cc / wc : 1
  printf "paper model, 64-core EPYC (8 CCDs x 8): one piece %.1fx of one core, 8 chunk workers %.1fx (8 x %.2f / %.3f overhead): ratio %.2f\n", one, 8 * per / overhead, per, overhead, 8 * per / overhead / one
}'
