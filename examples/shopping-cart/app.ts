/**
 * The shopping cart of the Portals demo (paper §3, scenario 1) as four applications launched
 * in order, each reaching the others only through the registry:
 *
 *   inventory  stock per item, a portal keyed by item, fed by restocking events
 *   cart       carts per user; asks the inventory (async code, compiled) and emits orders
 *   orders     numbers the orders per user
 *   analytics  purchase counts per item, a top-n portal, and a summary at the end
 *
 * It runs on a recorded trace of 100,000 cart operations and 10,000 restocks with Zipf item
 * popularity (data/, made by generate.ts):
 *
 *   npm run build && node dist/runtime/cli/main.js run dist/examples/shopping-cart/app.js
 *
 * The summary lists the orders, the items sold and the top 10 items; the CLI adds events/s.
 * The orders are written exactly once to orders.jsonl (or the file in PORTALS_CART_ORDERS):
 * with `--snapshot-dir DIR --snapshot-every N`, a run killed at any moment and continued with
 * `--restore` writes the same file as a run without the kill.
 */
import type { Application, Sink } from "portals-ts";
import analytics from "./analytics.js";
import cart from "./cart.js";
import inventory from "./inventory.js";
import type { NumberedOrder } from "./model.js";
import { ordersApp } from "./orders.js";

/**
 * The four applications in launch order; the orders go to `orders` (default: the JSON-lines
 * file `PORTALS_CART_ORDERS`, or `orders.jsonl` in the working directory).
 */
export function shoppingCart(orders?: Sink<NumberedOrder>): Application[] {
  return [inventory, cart, ordersApp(orders), analytics];
}

export default shoppingCart();
