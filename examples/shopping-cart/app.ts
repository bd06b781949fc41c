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
 */
import analytics from "./analytics.js";
import cart from "./cart.js";
import inventory from "./inventory.js";
import orders from "./orders.js";

export default [inventory, cart, orders, analytics];
