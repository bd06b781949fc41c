/** Orders: numbers each user's orders from the cart's checkouts. */
import { PortalsApp } from "portals-ts";
import type { NumberedOrder, Order } from "./model.js";

export default PortalsApp("orders", (app) => {
  app
    .workflows<Order, NumberedOrder>("orders")
    .source(app.registry.streams.get<Order>("/cart/workflows/cart/stream"))
    .key((order) => order.user)
    .map((order, ctx) => {
      const count = ctx.perKey("orders", 0);
      count.set(count.get() + 1);
      return { ...order, number: count.get() };
    })
    .sink();
});
