import { Tasks } from "portals-ts";
import { portal } from "../../harness.js";

const prices = portal("prices", (item: string) => item.length);

async function priceOf(item: string) {
  return Number(await prices.request(item));
}

// A helper that asks a portal runs as frames of the suspended operator, so it can only be
// called as `await priceOf(...)`: in Promise.all, a map callback or passed as a value it would
// run natively, outside the snapshot.
export const all = Tasks.asker<string[], number[]>(prices, async (items, ctx) => {
  ctx.emit(await Promise.all(items.map((item) => priceOf(item))));
});

export const passed = Tasks.asker<string[], number[]>(prices, async (items, ctx) => {
  ctx.emit(await Promise.all(items.map(priceOf)));
});

export const fired = Tasks.asker<string, number>(prices, async (item, ctx) => {
  void priceOf(item);
  ctx.emit(await priceOf(item));
});
