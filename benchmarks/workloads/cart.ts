/**
 * Workload 11: the shopping cart (`examples/shopping-cart`) end to end on its recorded trace:
 * 10,000 restocks and 100,000 cart operations (`data/*.jsonl`, made by its `generate.ts`).
 * Rate: trace events (restocks + cart operations) per second.
 *
 * - `portals`: the example's four applications (inventory, cart, orders, analytics, as
 *   `shoppingCart()` composes them in `app.ts`), the cart's async asker compiled by the
 *   project's transformer (`lib/compile.ts`), in a fresh `Systems.test({ seed: 1 })` per
 *   iteration. The inventory is launched first and stepped until it has taken in every restock;
 *   then cart, orders and analytics are launched and the system is stepped to completion. Run
 *   together (as the CLI does), the scheduler interleaves restock atoms with cart atoms at
 *   random (seeded), and which `take` finds an item in stock, hence the orders, depends on that
 *   order; with the restocks first the outputs are defined by the trace alone, so a sequential
 *   baseline can compute the same ones. The orders go to a sink that hashes them; the summary
 *   (orders, items sold, top 10 items) is the analytics' log.
 * - `maps`: the same computation written by hand with `Map`s, reading and parsing the same two
 *   files every iteration (as the application's `fromFile` generators do). It follows the
 *   application's atom semantics (docs/semantics.md, rule 8): for every atom of 100 cart operations, each
 *   operation runs up to its inventory request, in order (a `remove` takes the item out of the
 *   cart before its `put`; a `checkout` emits the order); then the inventory serves the
 *   atom's requests in order, and each granted `take` adds its item to the cart. (Taken one
 *   operation at a time instead, the outputs differ where a user has two operations in one
 *   atom.) Orders are numbered per user; purchases per item and totals give the same summary.
 * - `parsed`: the same loop over events parsed before the measurement: the computation alone.
 *
 * Checksum: the three summary lines and the number, item count and order-independent hash
 * of the orders (user, number, items).
 */
import { readFileSync } from "node:fs";
import { Systems, type Application, type Sink, type SinkState, type SinkWriter } from "portals-ts";
import analytics, { topItems } from "../../examples/shopping-cart/analytics.js";
import { recordedTrace, traceFile } from "../../examples/shopping-cart/files.js";
import { inventoryApp } from "../../examples/shopping-cart/inventory.js";
import { INITIAL_STOCK, type CartOp, type NumberedOrder, type Restock } from "../../examples/shopping-cart/model.js";
import { ordersApp } from "../../examples/shopping-cart/orders.js";
import { importCompiled } from "../lib/compile.js";
import type { Runnable } from "../lib/types.js";

/** Atom size of the example's cart-operation generator (`cart.ts`: `fromFile(..., { atomSize: 100 })`). */
const CART_ATOM = 100;

/** What the orders of one run add up to. */
interface OrdersDigest {
  orders: number;
  items: number;
  hash: number;
}

/** A hash of one order (user, number, items in order), as an unsigned 32-bit integer. */
function orderHash(o: NumberedOrder): number {
  let h = Math.imul(o.user + 1, 0x9e3779b1) ^ Math.imul(o.number, 0x85ebca6b);
  for (const item of o.items) h = (Math.imul(h ^ item, 0x27d4eb2d) + 1) | 0;
  return h >>> 0;
}

function addOrder(d: OrdersDigest, o: NumberedOrder): void {
  d.orders++;
  d.items += o.items.length;
  d.hash += orderHash(o);
}

function checksum(lines: readonly string[], d: OrdersDigest): string {
  return `${lines.join("\n")}\norders ${d.orders}, items ${d.items}, hash ${d.hash}`;
}

/** A sink that digests the orders staged in it (each system opens a fresh writer). */
class DigestWriter implements SinkWriter {
  readonly digest: OrdersDigest = { orders: 0, items: 0, hash: 0 };
  stage(events: readonly unknown[]): void {
    for (const e of events) addOrder(this.digest, e as NumberedOrder);
  }
  save(): SinkState {
    return { committed: this.digest.orders, staged: [] };
  }
  commit(): void {}
  reset(): void {
    this.digest.orders = this.digest.items = this.digest.hash = 0;
  }
  recover(): void {
    throw new Error("cart benchmark: the digest sink cannot be restored");
  }
  close(): void {}
}

/** The applications of the example with the compiled cart; orders go to a digesting sink. */
async function loadApps(): Promise<{ apps: Application[]; last: () => DigestWriter }> {
  const { cartApp } = await importCompiled<typeof import("../../examples/shopping-cart/cart.js")>("examples/shopping-cart/cart.ts");
  const trace = recordedTrace();
  let writer: DigestWriter | undefined;
  const sink: Sink<NumberedOrder> = {
    kind: "sink",
    description: "orders digest",
    open: () => (writer = new DigestWriter()),
  };
  return {
    apps: [inventoryApp(trace.restocks), cartApp(trace.cart), ordersApp(sink), analytics],
    last: () => {
      if (writer === undefined) throw new Error("cart benchmark: the orders sink was never opened");
      return writer;
    },
  };
}

/** Runs the example: inventory and its restocks first, then the cart operations; returns the checksum. */
function runApps(apps: readonly Application[], last: () => DigestWriter): string {
  const lines: string[] = [];
  const system = Systems.test({
    seed: 1,
    log: (line, meta) => {
      if (meta.level === "info") lines.push(line);
      else throw new Error(`cart benchmark: ${meta.level}: ${line}`);
    },
  });
  const [inventoryApp, ...rest] = apps;
  system.launch(inventoryApp!);
  system.stepUntilComplete();
  for (const app of rest) system.launch(app);
  system.stepUntilComplete();
  system.shutdown();
  return checksum(lines, last().digest);
}

/** The two trace files as parsed events. */
interface Trace {
  readonly restocks: readonly Restock[];
  readonly ops: readonly CartOp[];
}

function parseLines<T>(file: string): T[] {
  const out: T[] = [];
  for (const line of readFileSync(file, "utf8").split("\n")) if (line.trim() !== "") out.push(JSON.parse(line) as T);
  return out;
}

/** Reads and parses the recorded trace, as the example's generators do. */
function readTrace(): Trace {
  return { restocks: parseLines<Restock>(traceFile("restocks.jsonl")), ops: parseLines<CartOp>(traceFile("cart.jsonl")) };
}

/**
 * The hand-written shopping cart over `trace`, with the application's atom semantics (see the
 * module comment); returns the same checksum as the application.
 */
export function cartMaps(trace: Trace): string {
  const stock = new Map<number, number>();
  for (const r of trace.restocks) stock.set(r.item, (stock.get(r.item) ?? INITIAL_STOCK) + r.qty);
  const carts = new Map<number, readonly number[]>();
  const placed = new Map<number, number>();
  const purchases = new Map<number, number>();
  const digest: OrdersDigest = { orders: 0, items: 0, hash: 0 };
  // Requests of one atom, in order: item, whether it is a take, and the asking user for a take.
  const items: number[] = [];
  const takes: boolean[] = [];
  const users: number[] = [];
  const ops = trace.ops;
  for (let start = 0; start < ops.length; start += CART_ATOM) {
    const stop = Math.min(start + CART_ATOM, ops.length);
    items.length = takes.length = users.length = 0;
    for (let i = start; i < stop; i++) {
      const op = ops[i]!;
      if (op.op === "add") {
        items.push(op.item);
        takes.push(true);
        users.push(op.user);
      } else if (op.op === "remove") {
        const cart = carts.get(op.user) ?? [];
        const at = cart.indexOf(op.item);
        if (at >= 0) {
          carts.set(op.user, cart.filter((_, j) => j !== at));
          items.push(op.item);
          takes.push(false);
          users.push(op.user);
        }
      } else {
        const cart = carts.get(op.user);
        if (cart !== undefined && cart.length > 0) {
          const number = (placed.get(op.user) ?? 0) + 1;
          placed.set(op.user, number);
          const order: NumberedOrder = { user: op.user, items: cart, number };
          addOrder(digest, order);
          for (const item of cart) purchases.set(item, (purchases.get(item) ?? 0) + 1);
          carts.delete(op.user);
        }
      }
    }
    // The inventory serves the atom's requests in order; granted takes land in their carts.
    for (let j = 0; j < items.length; j++) {
      const item = items[j]!;
      const before = stock.get(item) ?? INITIAL_STOCK;
      if (takes[j]) {
        if (before > 0) {
          stock.set(item, before - 1);
          const user = users[j]!;
          carts.set(user, [...(carts.get(user) ?? []), item]);
        }
      } else stock.set(item, before + 1);
    }
  }
  const lines = [
    `orders: ${digest.orders}`,
    `items sold: ${digest.items}`,
    `top 10 items: ${topItems(purchases, 10)
      .map(([item, n]) => `${item} (${n})`)
      .join(", ")}`,
  ];
  return checksum(lines, digest);
}

/** Loads one variant of workload 11 (`portals`, `maps` or `parsed`). */
export async function cartWorkload(variant: string): Promise<Runnable> {
  const parsed = readTrace();
  const units = parsed.restocks.length + parsed.ops.length;
  switch (variant) {
    case "portals": {
      const { apps, last } = await loadApps();
      return { kind: "runnable", units, run: () => runApps(apps, last) };
    }
    case "maps":
      return { kind: "runnable", units, run: () => cartMaps(readTrace()) };
    case "parsed":
      return { kind: "runnable", units, run: () => cartMaps(parsed) };
    default:
      throw new Error(`cart: unknown variant ${variant}`);
  }
}
