#!/usr/bin/env bash
# Runs every test: generates the fixtures (real media, made with ffmpeg), builds, tests.
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."
export PATH="$PATH:/opt/swift/usr/bin"
scripts/bootstrap.sh
scripts/make-fixtures.sh >/dev/null
swift build
# Serially: the daemon tests run real encodes and time-outs; on a 2-core CI machine parallel
# suites would only compete for the same cores.
swift test --no-parallel "$@"
