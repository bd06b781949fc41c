/**
 * The playground's polish (docs/playground.md) in a real Chromium: Connect checks the URL and the
 * token at once; the Server panel counts running applications and names stopped ones apart; the
 * state viewer of a run whose state holds an unregistered class says so once and keeps the last
 * view; the graph zooms with the wheel, pans with a drag and shows all of it on a double click.
 * Needs the built page (`npm run build:playground`) and Chromium (`scripts/chromium.sh`).
 */
/// <reference lib="dom" />
import { mkdtempSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import type { Page } from "playwright-core";
import { PortalsApp, Systems } from "portals-ts";
import { afterAll, beforeAll, describe, expect, test } from "vitest";
import { startPlayground } from "../../runtime/cli/playground.js";
import { startServer, type RunningServer } from "../../runtime/server/server.js";
import { launchChromium, type TestBrowser } from "../support/browser.js";
import { playgroundControls } from "../support/playground.js";
import { inspectError } from "../../playground/src/inspect-error.js";

let browser: TestBrowser;
let playground: Awaited<ReturnType<typeof startPlayground>>;
let page: Page;

beforeAll(async () => {
  playground = await startPlayground({ port: 0 });
  browser = await launchChromium();
  page = await browser.context.newPage();
  await page.setViewportSize({ width: 1400, height: 900 });
  await page.goto(playground.url);
  await page.waitForFunction(() => document.getElementById("status")!.textContent!.startsWith("compiled"), null, { timeout: 60_000 });
}, 90_000);

afterAll(async () => {
  await browser?.close();
  await playground?.server.close();
});

const poll = <T>(read: () => Promise<T>) => expect.poll(read, { timeout: 20_000 });
const { logLines, setCode, start } = playgroundControls(() => page);

describe("connect", () => {
  const TOKEN = "playground-polish-token-0123";
  let served: RunningServer;
  let dir: string;

  beforeAll(async () => {
    dir = mkdtempSync(join(tmpdir(), "portals-playground-polish-"));
    served = await startServer({ dataDir: dir, port: 0, token: TOKEN, corsOrigins: [new URL(playground.url).origin], log: () => {} });
    // Two applications, one of them stopped (test/runtime/server/bundles/inventory.mjs, under two names).
    const inventory = readFileSync(join(import.meta.dirname, "../runtime/server/bundles/inventory.mjs"), "utf8");
    for (const name of ["inventory", "spare"]) {
      const deployed = await fetch(`${served.url}/v1/deployments`, {
        method: "POST",
        headers: { authorization: `Bearer ${TOKEN}`, "content-type": "application/javascript" },
        body: inventory.replace('PortalsApp("inventory"', `PortalsApp("${name}"`),
      });
      expect(deployed.status).toBe(201);
    }
    expect((await fetch(`${served.url}/v1/apps/spare`, { method: "DELETE", headers: { authorization: `Bearer ${TOKEN}` } })).status).toBe(200);
  }, 60_000);

  afterAll(async () => {
    await served?.close();
    rmSync(dir, { recursive: true, force: true });
  });

  async function connect(url: string, token: string): Promise<string | undefined> {
    const before = (await logLines()).length;
    await page.fill("[data-testid=server-url]", url);
    await page.fill("[data-testid=server-token]", token);
    await page.click("[data-testid=server-connect]");
    await poll(async () => (await logLines()).length).toBeGreaterThan(before);
    return (await logLines()).at(-1);
  }

  const disconnected = async () => ({
    ask: await page.isDisabled("[data-testid=ask]"),
    deploy: await page.isDisabled("[data-testid=deploy]"),
    portals: await page.$$eval("[data-testid=portal] option", (o) => o.length),
  });

  test("a right token connects: running applications are counted, the stopped one named apart, and only running portals offered", async () => {
    expect(await connect(served.url, TOKEN)).toBe(`${served.url}: 1 application (inventory); stopped: spare`);
    expect(await page.$$eval("[data-testid=portal] option", (o) => o.map((x) => (x as HTMLOptionElement).value))).toEqual(["/inventory/portals/stock"]);
    expect(await page.isDisabled("[data-testid=ask]")).toBe(false);
    await page.fill("[data-testid=request]", '{"op":"get","item":"a"}');
    await page.click("[data-testid=ask]");
    await poll(async () => (await logLines()).at(-1)).toBe('/inventory/portals/stock ← {"op":"get","item":"a"} → 0');
  });

  test("a wrong token is rejected at Connect, naming the server, and the page stays disconnected", async () => {
    expect(await connect(served.url, TOKEN)).toContain("1 application (inventory)");
    expect(await connect(served.url, "a-wrong-token-of-enough-length")).toBe(
      `Error: token rejected by ${served.url}: 401 the token is not this server's: send Authorization: Bearer <token> (printed at the server's first start, stored in <data dir>/token)`,
    );
    expect(await disconnected()).toEqual({ ask: true, deploy: true, portals: 0 });
  });

  test("no token is rejected at Connect too", async () => {
    expect(await connect(served.url, "")).toMatch(new RegExp(`^Error: token rejected by ${served.url.replace(/\./g, "\\.")}: 401 no token was sent: `));
    expect(await disconnected()).toEqual({ ask: true, deploy: true, portals: 0 });
  });

  test("a URL where nothing answers, or that is not one, cannot be reached", async () => {
    expect(await connect("http://127.0.0.1:9", TOKEN)).toMatch(/^Error: cannot reach http:\/\/127\.0\.0\.1:9: is `portals serve --cors-origin http:\/\/127\.0\.0\.1:\d+` running there\?$/);
    expect(await disconnected()).toEqual({ ask: true, deploy: true, portals: 0 });
    expect(await connect("not a url", TOKEN)).toBe("Error: cannot reach not a url: it is not an http(s) URL; give one like http://127.0.0.1:8080");
    expect(await disconnected()).toEqual({ ask: true, deploy: true, portals: 0 });
  });
});

/** A run whose per-task state is a number for two events, then an instance of a class no application registers. */
const UNREGISTERED = [
  `import { PortalsApp } from "portals-ts";`,
  `class Money { constructor(readonly cents: number) {} }`,
  `export default PortalsApp("wallet", (app) => {`,
  `  const g = app.generators.fromArrayOfArrays([[1], [2], [3], [4]]);`,
  `  app.workflows<number, number>("w").source(g.stream).map((n, ctx) => {`,
  `    const total = ctx.perTask<unknown>("total", 0);`,
  `    total.set(n < 3 ? n : new Money(n));`,
  `    return n;`,
  `  }).sink().freeze();`,
  `});`,
].join("\n");

describe("state viewer", () => {
  test("the error for an unregistered class in the state names the class and the fix (the message, under Node)", () => {
    class Money {
      constructor(readonly cents: number) {}
    }
    const app = PortalsApp("wallet", (app) => {
      const g = app.generators.fromArray([1]);
      app.workflows<number, number>("w").source(g.stream).map((n, ctx) => (ctx.perTask<unknown>("total", 0).set(new Money(n)), n)).sink().freeze();
    });
    const system = Systems.test({ seed: 0 });
    system.launch(app);
    system.stepUntilComplete();
    let thrown: unknown;
    try {
      system.snapshot();
    } catch (e) {
      thrown = e;
    }
    expect(inspectError(thrown)).toBe(
      'the state viewer cannot take a snapshot of this run: the state holds an instance of class Money at workflows["/wallet/workflows/w"].runners[0].perTask.get("total"), which is not registered; ' +
        'register it in the application: app.dataClass({ name: "Money", type: Money, encode: (v) => …, decode: (d) => new Money(…) }) (docs/snapshots.md)',
    );
    expect(inspectError(new Error("boom"))).toBe("the state viewer cannot take a snapshot of this run: boom");
  });

  test("in the page: one error, not one per refresh, and the last view that could be taken stays", async () => {
    await setCode(UNREGISTERED);
    await page.fill("#steps", "4");
    expect(await start("step")).toBe("paused");
    // Paused before any Money (the fifth step stores one): the view is there, without an error.
    await poll(async () => page.textContent("[data-testid=state]")).toMatch(/^at step 4 · snapshot \d+ bytesworkflow \/ task.*\/wallet\/workflows\/w \/ \S+perTasktotal[12]$/);
    expect(await page.locator("[data-testid=state-error]").count()).toBe(0);
    await page.click("[data-testid=run]");
    await poll(async () => page.getAttribute("[data-testid=status]", "data-state")).toBe("done");
    const error = page.locator("[data-testid=state-error]");
    await poll(async () => error.textContent()).toMatch(/^the state viewer cannot take a snapshot of this run: the state holds an instance of class Money at workflows\["\/wallet\/workflows\/w"\]/);
    expect(await error.textContent()).toContain('app.dataClass({ name: "Money", type: Money');
    for (let i = 0; i < 3; i++) await page.click("#refresh");
    // The worker answers in order: once Snapshot's own error is logged, the refreshes were answered.
    await page.click("#download");
    await poll(async () => (await logLines()).at(-1)).toMatch(/^Error: cannot store an instance of class Money at /);
    const errors = (await logLines()).filter((l) => l.startsWith("Error: the state viewer"));
    expect(errors).toEqual([`Error: ${await error.textContent()}`]);
    expect(await page.textContent("[data-testid=state] caption")).toMatch(/^at step 4 · snapshot \d+ bytes \(the last snapshot that could be taken\)$/);
    expect(await page.locator("[data-testid=state] table td").count()).toBeGreaterThan(0);
  });
});

describe("graph", () => {
  test("the wheel zooms at the pointer, a drag pans, a double click shows all of it again", async () => {
    await page.selectOption("[data-testid=examples]", "bank-saga");
    expect(await start("run")).toBe("done");
    const svg = page.locator("[data-testid=graph] svg");
    const viewBox = async (): Promise<number[]> => ((await svg.getAttribute("viewBox")) ?? "").split(" ").map(Number);
    const full = await viewBox();
    expect(full[0]).toBe(0);
    expect(full[1]).toBe(0);
    expect(full[2]).toBeGreaterThan(0);
    expect(await svg.getAttribute("data-zoom")).toBe("1.000");
    const box = (await svg.boundingBox())!;
    const center = { x: box.x + box.width / 2, y: box.y + box.height / 2 };
    // Two notches in at the middle: about 1.2 each, the middle stays where it was.
    await page.mouse.move(center.x, center.y);
    await page.mouse.wheel(0, -100);
    await page.mouse.wheel(0, -100);
    await poll(async () => Number(await svg.getAttribute("data-zoom"))).toBeGreaterThan(1.3);
    const zoom = Number(await svg.getAttribute("data-zoom"));
    expect(zoom).toBeCloseTo(Math.exp(0.36), 2);
    const zoomed = await viewBox();
    expect(zoomed[2]).toBeCloseTo(full[2]! / zoom, 0);
    expect(zoomed[0]! + zoomed[2]! / 2).toBeCloseTo(full[2]! / 2, 0);
    expect(zoomed[1]! + zoomed[3]! / 2).toBeCloseTo(full[3]! / 2, 0);
    // The element keeps its size on the page: only what it shows changes.
    expect((await svg.boundingBox())!.width).toBeCloseTo(box.width, 0);
    // A drag of 60 pixels to the right shows what was to the left: 60 pixels' worth of units.
    const unitsPerPixel = zoomed[2]! / box.width;
    await page.mouse.down();
    await page.mouse.move(center.x + 30, center.y, { steps: 3 });
    await page.mouse.move(center.x + 60, center.y, { steps: 3 });
    await page.mouse.up();
    const panned = await viewBox();
    expect(panned[0]).toBeCloseTo(zoomed[0]! - 60 * unitsPerPixel, 1);
    expect(panned[1]).toBeCloseTo(zoomed[1]!, 1);
    expect(panned[2]).toBe(zoomed[2]);
    // Far out stops at half the size; a double click shows the whole drawing again.
    for (let i = 0; i < 10; i++) await page.mouse.wheel(0, 400);
    await poll(async () => svg.getAttribute("data-zoom")).toBe("0.500");
    await svg.dblclick();
    expect(await viewBox()).toEqual(full);
    expect(await svg.getAttribute("data-zoom")).toBe("1.000");
  });
});
