/**
 * Two applications composed through the registry (docs/architecture.md): launched in order into one
 * system, the second reaches parts of the first by path.
 *
 * `warehouse` keeps stock levels. Stock changes enter through its sequencer `changes`; the
 * workflow `stock` keys them by item, keeps the level per item and emits every new level. It
 * also serves the portal `stock` (the current level of an item) with a replier whose `onAsk`
 * answers synchronously. A splitter `levels` sends sold-out levels to the `alerts` workflow.
 *
 * `restock`, launched after it,
 *   - reads the stock levels with `app.registry.streams.get(path)` and reorders 10 of an item
 *     whose level fell below 2, by connecting its output to the warehouse's sequencer
 *     (`app.registry.sequencers.get(path)`): a loop across applications, which ends when no
 *     level is low any more (empty atoms are dropped by the sequencer);
 *   - adds the split `low` to the warehouse's splitter (`app.registry.splitters.get(path)`); a
 *     level goes to the first matching split, so sold-out levels stay with `alerts`.
 *
 * Asking the portal from another workflow needs an async operator (`await stock.request(item)`),
 * which needs the compiler; this example only serves it (see `portals plan`).
 */
import { PortalsApp } from "portals-ts";

/** A change of the stock of an item: deliveries are positive, sales negative. */
export interface StockChange {
  readonly item: string;
  readonly delta: number;
}

/** The stock level of an item after a change. */
export interface StockLevel {
  readonly item: string;
  readonly level: number;
}

/** Sales and deliveries: one inner array per atom. */
export const CHANGES: readonly (readonly StockChange[])[] = [
  [
    { item: "apple", delta: 5 },
    { item: "pear", delta: 3 },
  ],
  [
    { item: "apple", delta: -4 },
    { item: "pear", delta: -1 },
  ],
  [{ item: "pear", delta: -2 }],
];

/** The first application: stock levels, the `stock` portal, sold-out alerts. */
export const warehouse = PortalsApp("warehouse", (app) => {
  const sales = app.generators.fromArrayOfArrays(CHANGES, { name: "sales" });
  const changes = app.sequencers.random<StockChange>({ name: "changes" });
  app.connections.connect(sales.stream, changes);
  const stock = app.portal<string, number>("stock", { key: (item) => item });
  const levels = app
    .workflows<StockChange, StockLevel>("stock")
    .source(changes.stream)
    .key((change) => change.item)
    .replier<StockLevel, string, number>(
      stock,
      (change, ctx) => {
        const level = ctx.perKey("level", 0);
        level.set(level.get() + change.delta);
        ctx.emit({ item: change.item, level: level.get() });
      },
      (_item, ctx) => ctx.reply(ctx.perKey("level", 0).get()),
    )
    .logger("stock ")
    .sink()
    .freeze();
  const splitter = app.splitters.empty(levels.stream, { name: "levels" });
  const soldOut = app.splits.split(splitter, (l) => l.level <= 0, { name: "soldOut" });
  app
    .workflows<StockLevel, string>("alerts")
    .source(soldOut)
    .map((l) => `sold out: ${l.item}`)
    .logger()
    .sink()
    .freeze();
});

/** The second application: reorders low stock and watches levels through the registry. */
export const restock = PortalsApp("restock", (app) => {
  const levels = app.registry.streams.get<StockLevel>("/warehouse/workflows/stock/stream");
  const changes = app.registry.sequencers.get<StockChange>("/warehouse/sequencers/changes");
  const orders = app
    .workflows<StockLevel, StockChange>("reorder")
    .source(levels)
    .filter((l) => l.level < 2)
    .map((l) => ({ item: l.item, delta: 10 }))
    .logger("reorder ")
    .sink()
    .freeze();
  app.connections.connect(orders.stream, changes);

  const splitter = app.registry.splitters.get<StockLevel>("/warehouse/splitters/levels");
  const low = app.splits.split(splitter, (l) => l.level < 3, { name: "low" });
  app
    .workflows<StockLevel, string>("lowAlerts")
    .source(low)
    .map((l) => `running low: ${l.item} (${l.level})`)
    .logger()
    .sink()
    .freeze();
});

export default [warehouse, restock];
