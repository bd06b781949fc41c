// Ordinary async code beside an operator (docs/compiler.md, "Finding targets"), run under every
// host by hosts.test.ts: tspc's build with plain node, the Node hook, and Vite (the test imports
// it). Only the operator and the helper it awaits are compiled; an array's map(async …), an
// HTTP-like client's request() and async functions no operator awaits run as they are.
import { PortalsApp, Systems, type PortalRef } from "portals-ts";

const http = {
  async request(path: string): Promise<string> {
    return `GET ${path}`;
  },
};

export async function loadAll(items: number[]): Promise<number[]> {
  return await Promise.all(items.map(async (x) => x * 2));
}

async function fetchPage(): Promise<string> {
  return await http.request("/");
}

async function price(portal: PortalRef<number, number>, x: number): Promise<number> {
  return await portal.request(x);
}

const shop = PortalsApp("shop", (app) => {
  const prices = app.portal<number, number>("prices");
  app
    .workflows<never, never>("prices")
    .source(app.generators.empty<never>().stream)
    .replier(prices, () => {}, (x, ctx) => ctx.reply(x * 10))
    .sink()
    .freeze();
  app
    .workflows<number, number>("w")
    .source(app.generators.fromArray([1, 2]).stream)
    .asker(prices, async (x, ctx) => {
      ctx.emit(await price(prices, x));
    })
    .logger("price ")
    .sink()
    .freeze();
});

/** The ordinary results, then the application's log lines. */
export async function main(): Promise<string[]> {
  const lines = [(await loadAll([1, 2, 3])).join(","), await fetchPage(), String([1, 2].map(async (x) => x) instanceof Array)];
  const system = Systems.test({ log: (line) => void lines.push(line) });
  system.launch(shop);
  system.stepUntilComplete();
  return lines;
}

if (process.argv[1]?.replace(/\.[jt]s$/, "").endsWith("ordinary")) void main().then((lines) => console.log(lines.join("\n")));
