#!/usr/bin/env bash
# Installs nats-server (Debian's package, JetStream included) when it is missing: the cluster
# tests start their own servers on ephemeral ports (docs/cluster.md). Runs apt-get as root, or
# through sudo.
set -euo pipefail
if command -v nats-server >/dev/null; then
  nats-server --version
  exit 0
fi
as_root=()
if [ "$(id -u)" != 0 ]; then as_root=(sudo); fi
"${as_root[@]}" apt-get update
"${as_root[@]}" apt-get install -y nats-server
nats-server --version
