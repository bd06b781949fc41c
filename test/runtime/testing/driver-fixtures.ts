/**
 * What the task driver tests share: an inventory and a prices portal, and a cart asker that
 * asks the inventory (a hand-written machine, test/support/machines.ts).
 */
import { Tasks } from "portals-ts";
import { testPortal } from "portals-ts/testing";
import { ask, script, valueOf } from "../../support/machines.js";

export interface InvReq {
  readonly item: string;
}
export type InvRep = { readonly ok: boolean; readonly stock: number };

export const inventory = testPortal<InvReq, InvRep>("/shop/portals/inventory");
export const prices = testPortal<string, number>("/shop/portals/prices");

/** An asker that asks the inventory for the event's item and emits what it learned. */
export function cartAsker() {
  return Tasks.asker<string, string>(
    inventory,
    script("test#cart", [
      (l, ctx) => {
        l.item = l.args[0];
        return ask(ctx, inventory, { item: l.item });
      },
      (l, ctx, input) => {
        const rep = valueOf(input) as InvRep;
        const items = ctx.perKey("items", [] as string[]);
        if (rep.ok) items.set([...items.get(), l.item]);
        ctx.emit(`${l.item}: ${rep.ok ? `added (${rep.stock} left)` : "sold out"}`);
      },
    ]) as never,
  );
}
