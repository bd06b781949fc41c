#!/usr/bin/env bash
# The edge walkthrough of examples/edge/README.md, run end to end: a cloud runtime and an edge
# runtime of one cluster, the edge's NATS server a leaf node of the cloud's. The link is cut by
# stopping the leaf node; the edge goes on locally, and the cloud catches up exactly once when
# the link is back.
#
#   bash examples/edge/demo.sh        (from the repository, after npm ci; needs nats-server)
#
# It checks what it shows and exits 1 when something is not as it says. It uses free ports and a
# temporary directory, not those of cloud.conf and edge.conf, so it runs beside anything else.
set -euo pipefail
cd "$(dirname "$0")/../.."
[ -f dist/runtime/cli/main.js ] || npm run build >/dev/null
command -v nats-server >/dev/null || { echo "demo: nats-server is missing: bash scripts/nats-server.sh" >&2; exit 1; }

DATA=$(mktemp -d)
PIDS=()
cleanup() {
  # Quietly: the shell reports the jobs it reaps ("Killed"), and the demo has said all it had to.
  exec 2>/dev/null
  for pid in "${PIDS[@]}"; do kill -9 "$pid" 2>/dev/null || true; done
  wait 2>/dev/null || true
  rm -rf "$DATA"
}
trap cleanup EXIT

portals() { node dist/runtime/cli/main.js "$@"; }
say() { printf '\n\033[1m== %s\033[0m\n' "$*"; }
fail() { echo "demo: $*" >&2; exit 1; }
# Kills process $1 with SIGKILL and waits for it (quietly: the shell would report "Killed").
kill9() { kill -9 "$1" 2>/dev/null || true; wait "$1" 2>/dev/null || true; }
free_port() { node -e 'const s = require("net").createServer().listen(0, "127.0.0.1", () => { console.log(s.address().port); s.close(); })'; }
# Waits until file $1 has a line matching $2.
wait_for() { for _ in $(seq 200); do grep -q "$2" "$1" 2>/dev/null && return 0; sleep 0.1; done; fail "no '$2' in $1: $(cat "$1")"; }

CLOUD_PORT=$(free_port); LEAF_PORT=$(free_port); EDGE_PORT=$(free_port)
sed -e "s/4222/$CLOUD_PORT/; s/7422/$LEAF_PORT/; s#./.edge-demo/nats-cloud#$DATA/nats-cloud#" examples/edge/cloud.conf > "$DATA/cloud.conf"
sed -e "s/4223/$EDGE_PORT/; s/7422/$LEAF_PORT/" examples/edge/edge.conf > "$DATA/edge.conf"

nats() { # $1: cloud or edge
  nats-server -c "$DATA/$1.conf" >> "$DATA/nats-$1.log" 2>&1 &
  PIDS+=($!); eval "NATS_$1=$!"
  wait_for "$DATA/nats-$1.log" "Server is ready"
}
serve() { # $1: runtime name, $2: NATS port
  : > "$DATA/$1.log"
  EDGE_ALARMS="$DATA/alarms.jsonl" node dist/runtime/cli/main.js serve --port 0 --data-dir "$DATA/$1" --checkpoint-interval-ms 200 --nats "nats://127.0.0.1:$2" --nats-domain cloud --runtime "$1" >> "$DATA/$1.log" 2>&1 &
  PIDS+=($!); eval "SERVER_$1=$!"
  wait_for "$DATA/$1.log" "listening on"
  eval "URL_$1=$(grep -o 'http://[^ ]*' "$DATA/$1.log" | head -1)"
}
on() { # $1: runtime; the rest: a portals command against its server
  local runtime=$1; shift
  PORTALS_SERVER=$(eval echo "\$URL_$runtime") PORTALS_TOKEN=$(cat "$DATA/$runtime/token") portals "$@"
}
readings() { on edge send sensors/in "$1" > /dev/null; }
stats() { on cloud ask dashboard/stats '"s1"'; }

say "the cloud's NATS server (JetStream, leaf node port $LEAF_PORT) and the edge's, a leaf node of it"
nats cloud
nats edge
wait_for "$DATA/nats-edge.log" "Leafnode connection created"

say "a cloud runtime and an edge runtime, each with its own NATS server"
serve cloud "$CLOUD_PORT"
serve edge "$EDGE_PORT"

say "deploy the sensors on the edge and the dashboard in the cloud (it reads the edge's stream by path)"
on edge deploy examples/edge/sensors.ts
for _ in $(seq 50); do on cloud deploy examples/edge/dashboard.ts 2>/dev/null && break; sleep 0.2; done
on cloud apps | grep -q '"dashboard"' || fail "the dashboard was not deployed"

say "three readings on the edge; the cloud's dashboard counts them"
readings '[{"sensor":"s1","celsius":21},{"sensor":"s1","celsius":25},{"sensor":"s1","celsius":31}]'
for _ in $(seq 100); do [ "$(stats)" = '{"readings":3,"max":31}' ] && break; sleep 0.1; done
echo "cloud: dashboard/stats s1 = $(stats)"
[ "$(stats)" = '{"readings":3,"max":31}' ] || fail "expected 3 readings, max 31"

say "cut the link: stop the edge's leaf node"
kill9 "$NATS_edge"
readings '[{"sensor":"s1","celsius":35},{"sensor":"s1","celsius":22}]'
readings '[{"sensor":"s1","celsius":40}]'
sleep 1
echo "edge: alarms written while the cloud is away:"; cat "$DATA/alarms.jsonl"
[ "$(wc -l < "$DATA/alarms.jsonl")" = 3 ] || fail "expected 3 alarms on the edge"
echo "cloud: dashboard/stats s1 = $(stats) (the edge's new readings wait on the edge)"
[ "$(stats)" = '{"readings":3,"max":31}' ] || fail "the cloud saw readings while the link was cut"

say "the edge runtime is killed too (SIGKILL) and started again, still without the link"
kill9 "$SERVER_edge"
serve edge "$EDGE_PORT"
readings '[{"sensor":"s1","celsius":23}]'

say "the link is back: start the leaf node again; the cloud catches up, each reading once"
: > "$DATA/nats-edge.log"
nats edge
for _ in $(seq 150); do [ "$(stats)" = '{"readings":7,"max":40}' ] && break; sleep 0.2; done
echo "cloud: dashboard/stats s1 = $(stats)"
[ "$(stats)" = '{"readings":7,"max":40}' ] || fail "expected 7 readings, max 40"
echo "edge: alarms: $(wc -l < "$DATA/alarms.jsonl") (each once)"
[ "$(wc -l < "$DATA/alarms.jsonl")" = 3 ] || fail "expected 3 alarms on the edge"

say "done: the edge worked on while cut off, and the cloud counted every reading exactly once"
