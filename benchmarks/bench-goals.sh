#!/usr/bin/env bash
# The performance goals of `av1d bench` (issue 5), measured in one run on this machine:
#   pipeline efficiency (full pipeline fps / encoder-alone fps) at presets 10 and 6, and our
#   speed, video size and peak memory against `ffmpeg -c:v libsvtav1` at equal settings,
# on the Big Buck Bunny sample looped to 396 frames (the whole file), 10-bit, CRF 30, keyint 240.
# Rounds are interleaved and medians reported; run it when the machine is otherwise idle.
#
#   benchmarks/bench-goals.sh [ROUNDS] [OUTPUT_PREFIX]
#   (defaults: 3, /tmp/av1d-bench-goals -> .json and .csv beside the terminal table)
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."
export PATH="$PATH:/opt/swift/usr/bin"
ROUNDS="${1:-3}"
PREFIX="${2:-/tmp/av1d-bench-goals}"
INPUT=fixtures/generated/bbb720-loop.mp4

scripts/bootstrap.sh
[[ -f "$INPUT" ]] || scripts/make-fixtures.sh >/dev/null
swift build -c release --product av1d >/dev/null
uptime
set -x
.build/release/av1d bench "$INPUT" --presets 10,6 --crf 30 --keyint 240 --bit-depth 10 --start 0 --frames 396 \
  --vs-ffmpeg --repeat "$ROUNDS" --json "$PREFIX.json" --csv "$PREFIX.csv"
