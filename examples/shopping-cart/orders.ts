/** Orders: numbers each user's orders (keyed by user), from the cart's checkouts. */
import { PortalsApp } from "portals-ts";
import type { NumberedOrder, Order } from "./model.js";

export default PortalsApp("orders", (app) => {
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
    .sink()
    .freeze();
});
