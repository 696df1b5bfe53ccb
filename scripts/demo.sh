#!/usr/bin/env bash
# The main job on the bundled sample: installs what is missing, builds av1d (release),
# encodes the Big Buck Bunny 720p clip to AV1 and prints the result.
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."
export PATH="$PATH:/opt/swift/usr/bin"
scripts/bootstrap.sh
scripts/make-fixtures.sh >/dev/null
swift build -c release --product av1d >/dev/null
mkdir -p /tmp/av1d-demo
.build/release/av1d encode fixtures/generated/bbb720.mp4 -o /tmp/av1d-demo/bbb720.av1.mkv --overwrite "$@"
