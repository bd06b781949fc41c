/**
 * The events and messages of the shopping cart (the Portals demo, paper §3 scenario 1), shared
 * by its four applications and by the trace generator.
 */
import type { ApplicationBuilder, AtomOptions, GeneratorRef } from "portals-ts";

/** A cart operation of a user: add an item, remove one, or check the cart out. */
export type CartOp =
  | { readonly op: "add"; readonly user: number; readonly item: number }
  | { readonly op: "remove"; readonly user: number; readonly item: number }
  | { readonly op: "checkout"; readonly user: number };

/** A restocking of an item with `qty` more units. */
export interface Restock {
  readonly item: number;
  readonly qty: number;
}

/** A request to the inventory portal: take one unit, put one back, or count the stock. */
export interface InventoryRequest {
  readonly kind: "take" | "put" | "count";
  readonly item: number;
}

/** The inventory's answer: whether the request was granted and the stock after it. */
export interface InventoryReply {
  readonly ok: boolean;
  readonly stock: number;
}

/** A checked-out cart: the items a user bought. */
export interface Order {
  readonly user: number;
  readonly items: readonly number[];
}

/** An order as the orders service numbers it. */
export interface NumberedOrder extends Order {
  /** The user's n-th order (1-based). */
  readonly number: number;
}

/** A request to the analytics portal: the `n` most purchased items. */
export interface TopRequest {
  readonly n: number;
}

/** `[item, purchases]` pairs, most purchased first (ties: lower item id first). */
export type TopReply = readonly (readonly [number, number])[];

/** Units every item starts with before any restock. */
export const INITIAL_STOCK = 10;

/**
 * Adds the generator of a trace's events to `app`, named and sized by `options`: a recorded
 * file under Node (files.ts), values in memory in a browser (generate.ts).
 */
export type TraceSource<T> = (app: ApplicationBuilder, options: AtomOptions) => GeneratorRef<T>;

/** Where the shopping cart's events come from: the users' cart operations and the restocks. */
export interface Trace {
  readonly cart: TraceSource<CartOp>;
  readonly restocks: TraceSource<Restock>;
}
