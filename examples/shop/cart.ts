/**
 * Cart: one cart per user. Adding an item takes it from the inventory (found in the registry,
 * so the inventory must run first) and keeps it if granted; removing returns it; checkout
 * emits the order. Operations come through the `ops` sequencer: from the ingestion stream `ops`
 * and from the generator. The asker is async code, compiled into a serializable continuation.
 */
import { PortalsApp } from "portals-ts";
import type { CartOp, InventoryReply, InventoryRequest, Order } from "./model.js";

export default PortalsApp("cart", (app) => {
  const inventory = app.registry.portals.get<InventoryRequest, InventoryReply>("/inventory/portals/inventory");
  const ops = app.sequencers.random<CartOp>({ name: "ops" });
  app.connections.connect(app.generators.http<CartOp>("ops").stream, ops);
  app
    .workflows<CartOp, Order>("cart")
    .source(ops.stream)
    .key((op) => op.user)
    .asker(inventory, async (op, ctx) => {
      // A state handle is not data: take it again after an await.
      if (op.op === "add") {
        const granted = await inventory.request({ kind: "get", item: op.item });
        const cart = ctx.perKey<readonly number[]>("cart", []);
        if (granted.ok) cart.set([...cart.get(), op.item]);
      } else if (op.op === "remove") {
        const cart = ctx.perKey<readonly number[]>("cart", []);
        const at = cart.get().indexOf(op.item);
        if (at >= 0) {
          cart.set(cart.get().filter((_, i) => i !== at));
          await inventory.request({ kind: "put", item: op.item });
        }
      } else {
        const cart = ctx.perKey<readonly number[]>("cart", []);
        if (cart.get().length > 0) {
          ctx.emit({ user: op.user, items: cart.get() });
          cart.del();
        }
      }
    })
    .sink();
});
