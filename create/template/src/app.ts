/**
 * A small shop: the `stock` portal keeps the stock of each item and reserves what an order asks
 * for; the `checkout` workflow asks it for every order and logs the outcome.
 *
 * The asker is plain async code: `await stock.request(...)` waits for the reply. The portals
 * compiler turns it into a state machine whose waiting state is data, so a snapshot can be
 * taken while an order waits for its reply and the run continued from it, in this process or
 * another one.
 *
 * Run it with `npm start` (or `npx portals run src/app.ts`); test it with `npm test`.
 */
import { PortalsApp } from "portals-ts";

/** An order of `quantity` pieces of `item` by `user`. */
export interface Order {
  readonly user: string;
  readonly item: string;
  readonly quantity: number;
}

/** What the stock replies: whether the order was reserved, and what is left. */
export interface Reservation {
  readonly reserved: boolean;
  readonly left: number;
}

/** The stock of each item when the shop opens. */
const OPENING_STOCK: Readonly<Record<string, number>> = { apple: 5, pear: 2 };

export default PortalsApp("shop", (app) => {
  // Keyed by item: each item's stock is the state of its own key.
  const stock = app.portal<Order, Reservation>("stock", { key: (order) => order.item });

  app
    .workflows<never, never>("stock")
    .source(app.generators.empty<never>({ name: "idle" }).stream)
    .replier(
      stock,
      () => {},
      (order, ctx) => {
        const left = ctx.perKey("left", OPENING_STOCK[order.item] ?? 0);
        const reserved = order.quantity <= left.get();
        if (reserved) left.set(left.get() - order.quantity);
        ctx.reply({ reserved, left: left.get() });
      },
    )
    .sink()
    .freeze();

  const orders = app.generators.fromArrayOfArrays<Order>(
    [
      [
        { user: "ann", item: "apple", quantity: 2 },
        { user: "bob", item: "pear", quantity: 1 },
      ],
      [
        { user: "cid", item: "apple", quantity: 4 },
        { user: "dan", item: "pear", quantity: 1 },
      ],
    ],
    { name: "orders" },
  );

  app
    .workflows<Order, never>("checkout")
    .source(orders.stream)
    .asker(stock, async (order, ctx) => {
      const { reserved, left } = await stock.request(order);
      const outcome = reserved ? "reserved" : "sold out";
      ctx.log.info(`${order.user}: ${order.quantity} ${order.item} ${outcome} (${left} left)`);
    })
    .sink()
    .freeze();
});
