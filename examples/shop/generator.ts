/**
 * The data generator: cart operations and restocks at a steady rate (rate sources), connected
 * into the cart's and the inventory's sequencers. Each event is a pure function of its number,
 * so after a restore the generator goes on from where its snapshot was, with the same events.
 */
import { PortalsApp } from "portals-ts";
import { ITEMS, USERS, type CartOp, type Restock } from "./model.js";

/** A well-mixed 32-bit hash of `i` and `salt` (the events' randomness, reproducible). */
function mix(i: number, salt: number): number {
  let h = Math.imul(i ^ salt, 0x9e3779b1);
  h = Math.imul(h ^ (h >>> 15), 0x85ebca6b);
  return (h ^ (h >>> 13)) >>> 0;
}

/** Operation `i`: mostly adds, of popular items more often (item = the smaller of two draws). */
export function cartOp(i: number): CartOp {
  const user = mix(i, 1) % USERS;
  const kind = mix(i, 2) % 10;
  if (kind < 6) return { op: "add", user, item: Math.min(mix(i, 3) % ITEMS, mix(i, 4) % ITEMS) };
  if (kind < 7) return { op: "remove", user, item: mix(i, 3) % ITEMS };
  return { op: "checkout", user };
}

/** Restock `i`: a few units of an item. */
export function restock(i: number): Restock {
  return { item: mix(i, 5) % ITEMS, qty: 1 + (mix(i, 6) % 5) };
}

export default PortalsApp("generator", (app) => {
  const rate = Number(process.env["SHOP_EVENTS_PER_SECOND"] ?? 200);
  app.connections.connect(app.generators.rate(rate, cartOp, { name: "cart-ops" }).stream, app.registry.sequencers.get<CartOp>("/cart/sequencers/ops"));
  app.connections.connect(app.generators.rate(rate / 4, restock, { name: "restocks" }).stream, app.registry.sequencers.get<Restock>("/inventory/sequencers/supplies"));
});
