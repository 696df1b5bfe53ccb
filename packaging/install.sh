#!/usr/bin/env bash
# Installs av1d as a systemd service: builds it, installs the binary (and the av1top name),
# the unit, an example config (kept if one exists) and an `av1d` system user.
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."
export PATH="$PATH:/opt/swift/usr/bin"
scripts/bootstrap.sh
swift build -c release
install -m 0755 .build/release/av1d /usr/local/bin/av1d
[[ -x .build/release/av1top ]] && install -m 0755 .build/release/av1top /usr/local/bin/av1top
id av1d >/dev/null 2>&1 || useradd --system --home-dir /var/lib/av1d --shell /usr/sbin/nologin av1d
install -d -m 0755 /etc/av1d
[[ -f /etc/av1d/config.toml ]] || install -m 0644 packaging/config.example.toml /etc/av1d/config.toml
install -m 0644 packaging/av1d.service /etc/systemd/system/av1d.service
install -d /usr/local/share/doc/av1d && install -m 0644 README.md /usr/local/share/doc/av1d/README.md
systemctl daemon-reload 2>/dev/null || true
echo "installed. Edit /etc/av1d/config.toml (library_roots; ReadWritePaths in the unit), then: systemctl enable --now av1d"
