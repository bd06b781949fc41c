/**
 * Orders: numbers each user's orders (keyed by user), from the cart's checkouts, and writes
 * them exactly once to a transactional sink (by default the JSON-lines file of
 * {@link ordersFile}).
 */
import { PortalsApp, Sinks, type Application, type Sink } from "portals-ts";
import type { NumberedOrder, Order } from "./model.js";

/** Where the default orders sink writes: `PORTALS_CART_ORDERS`, or `orders.jsonl` in the working directory. */
export function ordersFile(): string {
  return process.env.PORTALS_CART_ORDERS ?? "orders.jsonl";
}

/** The orders application, writing its orders to `sink`. */
export function ordersApp(sink: Sink<NumberedOrder> = Sinks.file(ordersFile())): Application {
  return PortalsApp("orders", (app) => {
    const checkouts = app.registry.streams.get<Order>("/cart/workflows/cart/stream");
    app
      .workflows<Order, NumberedOrder>("orders")
      .source(checkouts)
      .key((order) => order.user)
      .map((order, ctx) => {
        const count = ctx.perKey("orders", 0);
        count.set(count.get() + 1);
        return { ...order, number: count.get() };
      })
      .sink(sink)
      .freeze();
  });
}
