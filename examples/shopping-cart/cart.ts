/**
 * Cart: one cart per user (keyed by user). Adding an item takes it from the inventory through
 * its portal (found in the registry) and keeps it only if granted; removing returns it to the
 * inventory; checkout emits an order and empties the cart. The `carts` portal answers what is
 * in a user's cart. The asker is async code, compiled into a serializable continuation.
 */
import { PortalsApp, type Application } from "portals-ts";
import type { CartOp, InventoryReply, InventoryRequest, Order, TraceSource } from "./model.js";

/** A request to the carts portal: the contents of a user's cart. */
export interface CartQuery {
  readonly user: number;
}

/** The cart application, its users' operations from `operations`. */
export function cartApp(operations: TraceSource<CartOp>): Application {
  return PortalsApp("cart", (app) => {
    const inventory = app.registry.portals.get<InventoryRequest, InventoryReply>("/inventory/portals/inventory");
    const carts = app.portal<CartQuery, readonly number[]>("carts", { key: (q) => q.user });
    const ops = operations(app, { name: "ops", atomSize: 100 });
    app
      .workflows<CartOp, Order>("cart")
      .source(ops.stream)
      .key((op) => op.user)
      .askerReplier(
        inventory,
        carts,
        async (op, ctx) => {
          switch (op.op) {
            case "add": {
              const granted = await inventory.request({ kind: "take", item: op.item });
              if (granted.ok) {
                const cart = ctx.perKey<readonly number[]>("cart", []);
                cart.set([...cart.get(), op.item]);
              }
              break;
            }
            case "remove": {
              const cart = ctx.perKey<readonly number[]>("cart", []);
              const at = cart.get().indexOf(op.item);
              if (at >= 0) {
                cart.set(cart.get().filter((_, i) => i !== at));
                await inventory.request({ kind: "put", item: op.item });
              }
              break;
            }
            case "checkout": {
              const cart = ctx.perKey<readonly number[]>("cart", []);
              if (cart.get().length > 0) {
                ctx.emit({ user: op.user, items: cart.get() });
                cart.del();
              }
            }
          }
        },
        (query, ctx) => ctx.reply(ctx.perKey<readonly number[]>("cart", []).get()),
      )
      .sink()
      .freeze();
  });
}
