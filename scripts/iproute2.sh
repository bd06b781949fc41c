#!/usr/bin/env bash
# Installs iproute2 (`ip`) when it is missing: the edge test cuts its link with a network
# namespace and a veth pair (test/examples/edge-netns.test.ts; it needs root, as CI runs).
# Runs apt-get as root, or through sudo.
set -euo pipefail
if command -v ip >/dev/null; then
  exit 0
fi
as_root=()
if [ "$(id -u)" != 0 ]; then as_root=(sudo); fi
"${as_root[@]}" apt-get update
"${as_root[@]}" apt-get install -y iproute2
