/**
 * The events and messages of the live shop (the Portals demo's scenario 1 on a running server),
 * shared by its five separately deployed applications. Cart operations, restocks, orders and
 * the inventory's answers are those of the recorded shopping cart (`examples/shopping-cart`);
 * the inventory's requests and the top list are the demo's.
 */
export type { CartOp, InventoryReply, NumberedOrder, Order, Restock } from "../shopping-cart/model.js";

/** A request to the inventory portal: take one unit (`get`), return one (`put`), or read the stock. */
export interface InventoryRequest {
  readonly kind: "get" | "put" | "stock";
  readonly item: number;
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
