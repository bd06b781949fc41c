/**
 * Orders: numbers each user's orders (keyed by user), from the cart's checkouts, and writes
 * them exactly once to a transactional sink when given one (app.ts: a JSON-lines file).
 */
import { PortalsApp, type Application, type Sink } from "portals-ts";
import type { NumberedOrder, Order } from "./model.js";

/** The orders application; its numbered orders also go to `sink` when given. */
export function ordersApp(sink?: Sink<NumberedOrder>): Application {
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
