#!/usr/bin/env bash
# Installs what av1d needs on Debian 12, only what is missing:
# FFmpeg 5.1 and SVT-AV1/libaom development packages, and the ffmpeg/ffprobe tools that
# the tests use as an independent reader (the engine itself never runs them).
set -euo pipefail

PACKAGES=(pkg-config libavformat-dev libavcodec-dev libavutil-dev libswscale-dev libavfilter-dev libswresample-dev
          libsvtav1enc-dev libaom-dev ffmpeg svt-av1 python3-pip fonts-dejavu-core tmux curl mkvtoolnix
          libopencore-amrnb0)

missing=()
for package in "${PACKAGES[@]}"; do
  dpkg-query -W -f='${Status}' "$package" 2>/dev/null | grep -q "install ok installed" || missing+=("$package")
done

if ((${#missing[@]})); then
  echo "bootstrap: installing ${missing[*]}" >&2
  SUDO=""
  [[ $(id -u) -ne 0 ]] && SUDO="sudo"
  $SUDO apt-get update -qq
  DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
fi

if ! command -v swift >/dev/null; then
  if [[ -x /opt/swift/usr/bin/swift ]]; then
    echo "bootstrap: add /opt/swift/usr/bin to PATH" >&2
  else
    echo "bootstrap: Swift 6 is needed (https://www.swift.org/install/linux/)" >&2
    exit 1
  fi
fi
