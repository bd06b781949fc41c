#!/usr/bin/env bash
# Demo scenario 1 on a running Portals server (docs/live.md): the shop's applications are
# deployed one by one while the others run, queried from outside, and survive a SIGKILL.
#
#   bash examples/shop/demo.sh        (from the repository, after npm ci; builds if needed)
#
# It checks what it shows and exits 1 when something is not as it says.
set -euo pipefail
cd "$(dirname "$0")/../.."
source scripts/demo-server.sh
say() { printf '\n\033[1m== %s\033[0m\n' "$*"; }

say "start a server (loopback only; a token for mutating calls is made and stored in the data dir)"
serve

say "deploy the cart before the inventory it asks: refused, and the server keeps running"
if portals deploy examples/shop/cart.ts; then fail "the cart was deployed without the inventory"; fi
portals apps > /dev/null || fail "the server stopped after a refused deployment"

say "deploy inventory, cart, orders and analytics, one by one, while the others run"
for app in inventory cart orders analytics; do portals deploy "examples/shop/$app.ts"; done
stock=$(portals ask inventory/inventory '{"kind":"stock","item":1}')
echo "inventory/inventory stock of item 1: $stock"
[ "$stock" = '{"ok":true,"stock":5}' ] || fail "expected the initial stock 5"

say "deploy the data generator: cart operations and restocks at ${SHOP_EVENTS_PER_SECOND:-200} events/s"
portals deploy examples/shop/generator.ts
sleep 3
echo "analytics/top, the 5 most ordered items:"
before=$(portals ask analytics/top '{"n":5}')
echo "$before"
[ "$before" != "[]" ] || fail "no orders after 3 s"
echo "an order as it happens (portals tail /orders/workflows/orders/stream):"
timeout 10 node dist/runtime/cli/main.js tail /orders/workflows/orders/stream | head -1

say "kill the server with SIGKILL, start it again on the same data dir"
top100=$(portals ask analytics/top '{}')
kill_server
serve
grep -q "restored snapshot" "$DATA/server.log" || fail "the server did not restore its snapshot"
portals apps | grep '"name"' | tr -d ' ,'

say "the state is intact: every count the client saw before the kill is still there (or grew, or was overtaken)"
after=$(portals ask analytics/top '{}')
node -e '
  const [before, after] = process.argv.slice(1).map((s) => JSON.parse(s));
  const now = new Map(after.map((e) => [e.item, e.count]));
  // An item may leave the top 100 only for items ordered at least as often.
  const floor = after.length === 100 ? after[99].count : 0;
  const lost = before.filter((e) => (now.has(e.item) ? now.get(e.item) < e.count : floor < e.count));
  if (lost.length > 0) { console.error("lost:", JSON.stringify(lost)); process.exit(1); }
  console.log(`${before.length} items checked; top 5 now: ${JSON.stringify(after.slice(0, 5))}`);
' "$top100" "$after" || fail "counts went down after the restart"

say "done"
