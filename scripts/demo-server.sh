# Sourced by the demos that run one `portals serve` (examples/shop/demo.sh, examples/sql-kv/demo.sh),
# from the repository's root: builds if needed, and gives
#   serve      start the server on $PORT (0 at first: any free port) with the data dir $DATA/data,
#              wait until it listens, and export PORTALS_SERVER and PORTALS_TOKEN for the CLI
#   portals    the built CLI
#   fail       print "demo: <message>" on stderr and exit 1
#   kill_server  SIGKILL the server and wait for it, quietly
# and removes $DATA and stops the server on exit.
[ -f dist/runtime/cli/main.js ] || npm run build >/dev/null

DATA=$(mktemp -d)
SERVER=""
cleanup() {
  [ -n "$SERVER" ] && kill "$SERVER" 2>/dev/null && wait "$SERVER" 2>/dev/null
  rm -rf "$DATA"
}
trap cleanup EXIT

portals() { node dist/runtime/cli/main.js "$@"; }
# SIGKILL of the server, waited for: bash's "Killed" notice of the job goes nowhere (printed when
# the shell reaps it, which may be before the `wait`; a demo test checks stderr is empty).
kill_server() { { kill -9 "$SERVER"; wait "$SERVER"; } 2>/dev/null || true; }
fail() { echo "demo: $*" >&2; exit 1; }

serve() {
  : > "$DATA/server.log"
  node dist/runtime/cli/main.js serve --port "${PORT:-0}" --data-dir "$DATA/data" --checkpoint-interval-ms 200 >> "$DATA/server.log" 2>&1 &
  SERVER=$!
  for _ in $(seq 100); do
    grep -q "listening on" "$DATA/server.log" && break
    sleep 0.1
  done
  grep "listening on" "$DATA/server.log" || fail "the server did not start: $(cat "$DATA/server.log")"
  PORTALS_SERVER=$(grep -o 'http://[^ ]*' "$DATA/server.log" | head -1)
  PORT=${PORTALS_SERVER##*:}
  PORTALS_TOKEN=$(cat "$DATA/data/token")
  export PORTALS_SERVER PORTALS_TOKEN
}
