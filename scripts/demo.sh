#!/usr/bin/env bash
# The point of av1d in one run: installs what is missing, builds av1d (release), and encodes two
# samples of the bundled Big Buck Bunny footage at the daemon's default settings:
#   - the footage as a DVB recording carries it (MPEG-2, 5 Mbit/s): what people re-encode;
#   - the lean web H.264 clip itself (1.6 Mbit/s): already efficient, AV1 cannot shrink it.
# Ends with what the daemon would do with each. Options are passed to both encodes.
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."
export PATH="$PATH:/opt/swift/usr/bin"
scripts/bootstrap.sh
scripts/make-fixtures.sh fixtures/generated bbb720.mp4 bbb576-dvb.ts >/dev/null
swift build -c release --product av1d >/dev/null

out=/tmp/av1d-demo
mkdir -p "$out"
decisions=()

# encode FIXTURE DESCRIPTION [OPTION...]: one summary, and the daemon's decision kept for the end.
encode() {
  local name="$1" description="$2"
  shift 2
  echo "== $name: $description"
  .build/release/av1d encode "fixtures/generated/$name" -o "$out/${name%.*}.av1.mkv" --overwrite "$@" \
    | tee "$out/summary.txt"
  decisions+=("$(printf '  %-15s %s' "$name" "$(grep -m1 'the daemon would' "$out/summary.txt" | sed 's/^ *//')")")
  echo
}

encode bbb576-dvb.ts "a DVB recording: MPEG-2 720x576 at 5 Mbit/s" "$@"
encode bbb720.mp4 "a lean web clip: H.264 1280x720 at 1.6 Mbit/s" "$@"

echo "What the daemon would do with each (its default max_size_ratio is 0.90):"
printf '%s\n' "${decisions[@]}"
