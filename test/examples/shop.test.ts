/**
 * The live shop (examples/shop, docs/live.md): its five applications launched one by one onto a
 * running live system, the cart refused before the inventory, then queried while the generator
 * feeds them; after a restore from the data directory the state goes on from the checkpoint.
 */
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterEach, expect, test } from "vitest";
import { Systems, type LiveSystem } from "portals-ts";
import analytics, { topItems } from "../../examples/shop/analytics.js";
import cart from "../../examples/shop/cart.js";
import generator, { cartOp } from "../../examples/shop/generator.js";
import inventory from "../../examples/shop/inventory.js";
import type { InventoryReply, TopReply } from "../../examples/shop/model.js";
import orders from "../../examples/shop/orders.js";

const systems: LiveSystem[] = [];
const dirs: string[] = [];
afterEach(async () => {
  for (const s of systems.splice(0)) await s.close();
  for (const d of dirs.splice(0)) rmSync(d, { recursive: true, force: true });
});

test("topItems: most ordered first, ties by lower item id, with counts", () => {
  expect(topItems(new Map([[5, 2], [3, 7], [9, 2], [1, 2]]), 3)).toEqual([{ item: 3, count: 7 }, { item: 1, count: 2 }, { item: 5, count: 2 }]);
});

test("the generator's events are a pure function of their number", () => {
  expect(cartOp(17)).toEqual(cartOp(17));
  expect(new Set(Array.from({ length: 200 }, (_, i) => cartOp(i).op))).toEqual(new Set(["add", "remove", "checkout"]));
});

test("deployed one by one onto a live system, queried while it runs, and restored", { timeout: 60_000 }, async () => {
  const dir = mkdtempSync(join(tmpdir(), "portals-shop-"));
  dirs.push(dir);
  const system = Systems.live({ dataDir: dir, checkpointIntervalMs: 100, log: () => {} });
  systems.push(system);
  expect(() => system.launch(cart)).toThrow(/needs portal \/inventory\/portals\/inventory, which no launched application defines/);
  for (const app of [inventory, cart, orders, analytics]) system.launch(app);
  expect(await system.ask("/inventory/portals/inventory", { kind: "get", item: 1 })).toEqual({ ok: true, stock: 4 });
  system.launch(generator);
  const top = async (): Promise<TopReply> => (await system.ask("/analytics/portals/top", {})) as TopReply;
  await expect.poll(async () => (await top()).length, { timeout: 20_000 }).toBeGreaterThan(5);
  const before = await top();
  expect(before.length).toBeLessThanOrEqual(100);
  expect(before).toEqual([...before].sort((a, b) => b.count - a.count || a.item - b.item));
  const stock = (await system.ask("/inventory/portals/inventory", { kind: "stock", item: 0 })) as InventoryReply;
  expect(stock.stock).toBeGreaterThanOrEqual(0);
  await system.close();

  const again = Systems.live({ dataDir: dir, checkpointIntervalMs: 100, log: () => {} });
  systems.push(again);
  expect(again.restoreLatest([inventory, cart, orders, analytics, generator])).toMatch(/^\d{12}-\d{9}$/);
  const after = (await again.ask("/analytics/portals/top", {})) as TopReply;
  // Counts only grow: nothing the first system was told is lost.
  for (const { item, count } of before) expect(after.find((e) => e.item === item)?.count ?? 0).toBeGreaterThanOrEqual(count);
});
