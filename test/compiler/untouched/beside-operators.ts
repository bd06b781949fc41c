// Ordinary async code next to an operator: only the operator (and the helper it awaits) is
// compiled; the rest is emitted as TypeScript emits it.
import { PortalsApp, type PortalRef } from "portals-ts";

declare const http: { request(url: string): Promise<string> };

export async function loadAll(items: number[]): Promise<number[]> {
  return await Promise.all(items.map(async (x) => x * 2));
}

async function notAwaitedByOperators(): Promise<string> {
  return await http.request("/");
}

async function price(portal: PortalRef<number, number>, x: number): Promise<number> {
  return await portal.request(x);
}

export default PortalsApp("shop", (app) => {
  const prices = app.portal<number, number>("prices");
  const list = [1, 2, 3];
  const doubled = list.map(async (x) => x * 2);
  void doubled;
  app
    .workflows<number, number>("w")
    .source(app.generators.fromArray([1]).stream)
    .asker(prices, async (x, ctx) => {
      ctx.emit(await price(prices, x));
    })
    .sink()
    .freeze();
});
