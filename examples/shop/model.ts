/**
 * The events and messages of the live shop (the Portals demo's scenario 1 on a running server),
 * shared by its five separately deployed applications.
 */

/** A cart operation of a user. */
export type CartOp =
  | { readonly op: "add"; readonly user: number; readonly item: number }
  | { readonly op: "remove"; readonly user: number; readonly item: number }
  | { readonly op: "checkout"; readonly user: number };

/** More units of an item. */
export interface Restock {
  readonly item: number;
  readonly qty: number;
}

/** A request to the inventory portal: take one unit (`get`), return one (`put`), or read the stock. */
export interface InventoryRequest {
  readonly kind: "get" | "put" | "stock";
  readonly item: number;
}

/** The inventory's answer: whether it was granted, and the stock after it. */
export interface InventoryReply {
  readonly ok: boolean;
  readonly stock: number;
}

/** A checked-out cart. */
export interface Order {
  readonly user: number;
  readonly items: readonly number[];
}

/** An order as the orders service numbers it (the user's n-th, from 1). */
export interface NumberedOrder extends Order {
  readonly number: number;
}

/** A request to the analytics portal: the `n` (at most 100) most ordered items. */
export interface TopRequest {
  readonly n?: number;
}

/** `{ item, count }` entries, most ordered first, ties by lower item id. */
export type TopReply = readonly { readonly item: number; readonly count: number }[];

/** Units of every item before any restock. */
export const INITIAL_STOCK = 5;
/** Items the generator picks from. */
export const ITEMS = 200;
/** Users the generator acts for. */
export const USERS = 50;
