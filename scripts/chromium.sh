#!/usr/bin/env bash
# Installs Chromium (Debian's package) when it is missing: the playground's tests drive it with
# Playwright (test/support/browser.ts, docs/playground.md). Runs apt-get as root, or through sudo.
set -euo pipefail
if [ -x /usr/bin/chromium ]; then
  /usr/bin/chromium --version 2>/dev/null || true
  exit 0
fi
as_root=()
if [ "$(id -u)" != 0 ]; then as_root=(sudo); fi
"${as_root[@]}" apt-get update
"${as_root[@]}" apt-get install -y chromium
/usr/bin/chromium --version 2>/dev/null || true
