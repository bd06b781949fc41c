/**
 * The shopping cart's files under Node: the recorded trace in `data/` next to the sources (also
 * when running the build in `dist/examples/shopping-cart/`, or the directory in
 * `PORTALS_CART_DATA`) and where the orders are written.
 */
import { existsSync } from "node:fs";
import { fileURLToPath } from "node:url";
import type { Trace, TraceSource } from "./model.js";

/**
 * Path of trace file `name` (`cart.jsonl` or `restocks.jsonl`).
 *
 * @throws Error naming the places looked in when the file is not found
 */
export function traceFile(name: string): string {
  const candidates = [
    ...(process.env.PORTALS_CART_DATA ? [`${process.env.PORTALS_CART_DATA}/${name}`] : []),
    fileURLToPath(new URL(`./data/${name}`, import.meta.url)),
    fileURLToPath(new URL(`../../../examples/shopping-cart/data/${name}`, import.meta.url)),
  ];
  const found = candidates.find((c) => existsSync(c));
  if (found === undefined) throw new Error(`shopping cart: trace file ${name} not found in ${candidates.join(", ")}; set PORTALS_CART_DATA`);
  return found;
}

/** The events of JSON-lines trace file `name`, read by a replayable `fromFile` generator. */
function fromTraceFile<T>(name: string): TraceSource<T> {
  const file = traceFile(name);
  return (app, options) => app.generators.fromFile<T>(file, options);
}

/** The recorded trace (`data/cart.jsonl`, `data/restocks.jsonl`, written by write-trace.ts). */
export function recordedTrace(): Trace {
  return { cart: fromTraceFile("cart.jsonl"), restocks: fromTraceFile("restocks.jsonl") };
}

/** Where the orders are written: `PORTALS_CART_ORDERS`, or `orders.jsonl` in the working directory. */
export function ordersFile(): string {
  return process.env.PORTALS_CART_ORDERS ?? "orders.jsonl";
}
