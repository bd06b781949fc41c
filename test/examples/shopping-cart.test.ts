/**
 * The shopping cart on its recorded trace (100,000 cart operations, 10,000 restocks): the
 * cart's invariants, checked after a full run in the real engine — stock never negative;
 * for every item, initial stock + restocks = in stock + in carts + ordered; the top-100 portal
 * answers what a direct count of the orders gives — and the committed trace is exactly what
 * the seeded generator produces.
 */
import { readFileSync } from "node:fs";
import { describe, expect, test } from "vitest";
import { PortalsApp, Sinks, Systems } from "portals-ts";
import { shoppingCart } from "../../examples/shopping-cart/applications.js";
import type { CartQuery } from "../../examples/shopping-cart/cart.js";
import { generateTrace, jsonLines, TRACE } from "../../examples/shopping-cart/generate.js";
import type { StockLevel } from "../../examples/shopping-cart/inventory.js";
import { INITIAL_STOCK, type InventoryReply, type InventoryRequest, type NumberedOrder, type TopReply, type TopRequest } from "../../examples/shopping-cart/model.js";
import { recordedTrace, traceFile } from "../../examples/shopping-cart/files.js";

interface Run {
  readonly lines: string[];
  readonly problems: string[];
  readonly orders: NumberedOrder[];
  readonly levels: StockLevel[];
  readonly stock: Map<number, number>;
  readonly carts: Map<number, readonly number[]>;
  readonly top: TopReply;
}

/** Runs the four applications, then asks their portals what they hold. */
const app = shoppingCart(recordedTrace(), Sinks.memory());

function runCart(seed: number): Run {
  const lines: string[] = [];
  const problems: string[] = [];
  const orders: NumberedOrder[] = [];
  const levels: StockLevel[] = [];
  const stock = new Map<number, number>();
  const carts = new Map<number, readonly number[]>();
  let top: TopReply = [];
  const system = Systems.test({ seed, log: (line, meta) => void (meta.level === "info" ? lines.push(line) : problems.push(line)) });
  for (const a of app) system.launch(a);
  system.launch(
    PortalsApp("taps", (taps) => {
      const placed = taps.registry.streams.get<NumberedOrder>("/orders/workflows/orders/stream");
      taps.workflows<NumberedOrder, never>("orders").source(placed).processor<never>((o) => void orders.push(o)).sink().freeze();
      const changes = taps.registry.streams.get<StockLevel>("/inventory/workflows/inventory/stream");
      taps.workflows<StockLevel, never>("stock").source(changes).processor<never>((l) => void levels.push(l)).sink().freeze();
    }),
  );
  system.stepUntilComplete();
  system.launch(
    PortalsApp("audit", (audit) => {
      const inventory = audit.registry.portals.get<InventoryRequest, InventoryReply>("/inventory/portals/inventory");
      const cartsPortal = audit.registry.portals.get<CartQuery, readonly number[]>("/cart/portals/carts");
      const topPortal = audit.registry.portals.get<TopRequest, TopReply>("/analytics/portals/top");
      const items = audit.generators.fromArray(Array.from({ length: TRACE.items }, (_, i) => i));
      audit
        .workflows<number, never>("stock")
        .source(items.stream)
        .asker(inventory, async (item) => {
          stock.set(item, (await inventory.request({ kind: "count", item })).stock);
        })
        .sink()
        .freeze();
      const users = audit.generators.fromArray(Array.from({ length: TRACE.users }, (_, i) => i));
      audit
        .workflows<number, never>("carts")
        .source(users.stream)
        .asker(cartsPortal, async (user) => {
          carts.set(user, await cartsPortal.request({ user }));
        })
        .sink()
        .freeze();
      audit
        .workflows<number, never>("top")
        .source(audit.generators.signal(100).stream)
        .asker(topPortal, async (n) => {
          top = await topPortal.request({ n });
        })
        .sink()
        .freeze();
    }),
  );
  system.stepUntilComplete();
  return { lines, problems, orders, levels, stock, carts, top };
}

const restocks = generateTrace(TRACE).restocks;

describe("the shopping cart on its recorded trace", () => {
  const run = runCart(1);

  test("runs without errors and prints its summary", () => {
    const sold = run.orders.reduce((n, o) => n + o.items.length, 0);
    expect(run.problems).toEqual([]);
    expect(run.lines.slice(0, 2)).toEqual([`orders: ${run.orders.length}`, `items sold: ${sold}`]);
    expect(run.lines[2]).toMatch(/^top 10 items: \d+ \(\d+\)(, \d+ \(\d+\)){9}$/);
    expect(run.orders.length).toBeGreaterThan(10_000);
  });

  test("stock is never negative", () => {
    expect(run.levels.length).toBeGreaterThan(50_000);
    expect(run.levels.filter((l) => l.stock < 0)).toEqual([]);
    expect([...run.stock.values()].filter((s) => s < 0)).toEqual([]);
  });

  test("for every item: initial stock + restocks = in stock + in carts + ordered", () => {
    const restocked = new Map<number, number>();
    for (const r of restocks) restocked.set(r.item, (restocked.get(r.item) ?? 0) + r.qty);
    const held = new Map<number, number>();
    const count = (items: readonly number[]) => items.forEach((i) => held.set(i, (held.get(i) ?? 0) + 1));
    for (const o of run.orders) count(o.items);
    for (const items of run.carts.values()) count(items);
    const broken: string[] = [];
    for (let item = 0; item < TRACE.items; item++) {
      const supplied = INITIAL_STOCK + (restocked.get(item) ?? 0);
      const accounted = run.stock.get(item)! + (held.get(item) ?? 0);
      if (supplied !== accounted) broken.push(`item ${item}: ${supplied} supplied, ${accounted} accounted for`);
    }
    expect(run.stock.size).toBe(TRACE.items);
    expect(broken).toEqual([]);
  });

  test("the top-100 portal answers what a direct count of the orders gives", () => {
    const direct = new Map<number, number>();
    for (const o of run.orders) for (const item of o.items) direct.set(item, (direct.get(item) ?? 0) + 1);
    const expected = [...direct].sort((a, b) => b[1] - a[1] || a[0] - b[0]).slice(0, 100);
    expect(run.top).toEqual(expected);
    expect(run.top).toHaveLength(100);
    // Zipf popularity: the most popular item is bought most.
    expect(run.top[0]![0]).toBe(0);
  });

  test("orders are numbered per user from 1", () => {
    const seen = new Map<number, number>();
    const wrong = run.orders.filter((o) => {
      const n = (seen.get(o.user) ?? 0) + 1;
      seen.set(o.user, n);
      return o.number !== n;
    });
    expect(wrong).toEqual([]);
  });
});

test("another seed interleaves differently but keeps the invariants", () => {
  const other = runCart(7);
  expect(other.problems).toEqual([]);
  const held = new Map<number, number>();
  for (const o of other.orders) for (const i of o.items) held.set(i, (held.get(i) ?? 0) + 1);
  for (const items of other.carts.values()) for (const i of items) held.set(i, (held.get(i) ?? 0) + 1);
  let supplied = TRACE.items * INITIAL_STOCK;
  for (const r of restocks) supplied += r.qty;
  let accounted = 0;
  for (const s of other.stock.values()) accounted += s;
  for (const n of held.values()) accounted += n;
  expect(accounted).toBe(supplied);
});

test("the committed trace is exactly the seeded generator's output, over 100,000 events", () => {
  const { cart, restocks: supplies } = generateTrace(TRACE);
  expect(cart.length + supplies.length).toBeGreaterThanOrEqual(100_000);
  expect(readFileSync(traceFile("cart.jsonl"), "utf8")).toBe(jsonLines(cart));
  expect(readFileSync(traceFile("restocks.jsonl"), "utf8")).toBe(jsonLines(supplies));
});

test("the plans of the shopping cart have no portal node: portals are sequencers, splitters and splits", () => {
  const plans = app.map((a) => a.explain());
  for (const plan of plans) expect(plan.split("\n").filter((l) => /^\s*portal\b/.test(l))).toEqual([]);
  const all = plans.join("\n");
  expect(all).toContain("sequencer /inventory/portals/inventory/requests [internal]");
  expect(all).toContain("splitter /inventory/portals/inventory/replies [internal]");
  expect(all).toContain("split /cart/workflows/cart/portal-router/requests/inventory/portals/inventory [internal]");
  expect(all).toContain("split /cart/workflows/cart/replies/inventory/portals/inventory [internal] of /inventory/portals/inventory/replies");
  expect(all).toContain("task replier#1 serves /analytics/portals/top <- source -> sink");
});
