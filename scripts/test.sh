#!/usr/bin/env bash
# Runs every test: generates the fixtures (real media, made with ffmpeg), builds, tests.
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."
export PATH="$PATH:/opt/swift/usr/bin"
scripts/bootstrap.sh
scripts/make-fixtures.sh >/dev/null
swift build
swift test "$@"
