/**
 * The four applications of the shopping cart in launch order, each reaching the others only
 * through the registry:
 *
 *   inventory  stock per item, a portal keyed by item, fed by restocking events
 *   cart       carts per user; asks the inventory (async code, compiled) and emits orders
 *   orders     numbers the orders per user
 *   analytics  purchase counts per item, a top-n portal, and a summary at the end
 */
import type { Application, Sink } from "portals-ts";
import analytics from "./analytics.js";
import { cartApp } from "./cart.js";
import { inventoryApp } from "./inventory.js";
import type { NumberedOrder, Trace } from "./model.js";
import { ordersApp } from "./orders.js";

/** The shopping cart on `trace`, its numbered orders also written to `orders` when given. */
export function shoppingCart(trace: Trace, orders?: Sink<NumberedOrder>): Application[] {
  return [inventoryApp(trace.restocks), cartApp(trace.cart), ordersApp(orders), analytics];
}
