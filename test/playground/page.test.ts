/**
 * The playground page in a real Chromium (docs/playground.md): every example of the menu runs in
 * the browser with the log it has under Node, a compile error is shown at its line, Step, Stop,
 * the time limit, the share link and the graph work. Needs the built page (`npm run
 * build:playground`, part of `npm test`) and Chromium (`scripts/chromium.sh`). The test writes a
 * screenshot of the page after the shopping cart ran and prints its path.
 */
/// <reference lib="dom" />
import { spawnSync } from "node:child_process";
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import type { Page } from "playwright-core";
import { Systems, type Application } from "portals-ts";
import { afterAll, beforeAll, describe, expect, test } from "vitest";
import { startPlayground } from "../../runtime/cli/playground.js";
import { startServer } from "../../runtime/server/server.js";
import { compressToEncodedURIComponent } from "lz-string";
import { launchChromium, type TestBrowser } from "../support/browser.js";
import { playgroundControls } from "../support/playground.js";

const EXAMPLES = join(import.meta.dirname, "../../examples");

let browser: TestBrowser;
let server: Awaited<ReturnType<typeof startPlayground>>;
let page: Page;

beforeAll(async () => {
  server = await startPlayground({ port: 0 });
  browser = await launchChromium();
  page = await browser.context.newPage();
  await page.goto(server.url);
  // The worker has loaded TypeScript and compiled the first example.
  await page.waitForFunction(() => document.getElementById("status")!.textContent!.startsWith("compiled"), null, { timeout: 60_000 });
}, 90_000);

afterAll(async () => {
  await browser?.close();
  await server?.server.close();
});

const { logLines, setCode, start, settled } = playgroundControls(() => page);

/** `expect.poll` with time for what the page does in its worker and over HTTP (a first compile of a kind takes a second). */
const poll = <T>(read: () => Promise<T>) => expect.poll(read, { timeout: 20_000 });

/** Clicks Run on the editor's module (STUCK) and resolves once its worker is inside the step that never returns. */
async function stuck(): Promise<void> {
  await page.click("[data-testid=run]");
  // Launched (its graph drawn), then a moment for the first chunk to begin.
  await page.waitForSelector('[data-testid=graph] g[data-path="/stuck/workflows/w"]', { timeout: 60_000 });
  await new Promise((r) => setTimeout(r, 500));
}

/** A module whose one step never returns. */
const STUCK = [`import { PortalsApp } from "portals-ts";`, `export default PortalsApp("stuck", (app) => {`, `  const g = app.generators.fromArray([1]);`, `  app.workflows<number, number>("w").source(g.stream).map((n) => { while (n > 0) n++; return n; }).sink().freeze();`, `});`].join("\n");

/** The log of `apps` under Node as the page writes it (info lines bare, `[level] line` otherwise), seed 0. */
function nodeLog(apps: readonly Application[]): string[] {
  const lines: string[] = [];
  const system = Systems.test({ seed: 0, log: (line, meta) => void lines.push(meta.level === "info" ? line : `[${meta.level}] ${line}`) });
  for (const app of apps) system.launch(app);
  system.stepUntilComplete();
  return lines.length > 1024 ? lines.slice(-1024) : lines;
}

test("portals playground on a port in use says so and how to pick another", async () => {
  const port = Number(new URL(server.url).port);
  await expect(startPlayground({ port })).rejects.toThrow(`port ${port} on 127.0.0.1 is in use: give another with --port <n> (0: any free port)`);
});

describe("examples", () => {
  test("the menu has every example that runs without Node APIs", async () => {
    const names = await page.$$eval("[data-testid=examples] option", (options) => options.map((o) => (o as HTMLOptionElement).value));
    expect(names).toEqual(expect.arrayContaining(["hello-world", "operator-tour", "keyed-counter", "previous-value", "ping-pong", "countdown", "registry", "feedback-loop", "splitter-routing", "bank-saga", "word-count", "shopping-cart", "sql-kv"]));
    expect(names[0]).toBe("hello-world");
  });

  test("each example logs in the browser what it logs under Node", async () => {
    const names = await page.$$eval("[data-testid=examples] option", (options) => options.map((o) => (o as HTMLOptionElement).value));
    for (const name of names) {
      await page.selectOption("[data-testid=examples]", name);
      expect(await start(), name).toBe("done");
      const file = existsSync(join(EXAMPLES, name, "excerpt.ts")) ? "excerpt.ts" : "app.ts";
      const module = (await import(/* @vite-ignore */ `../../examples/${name}/${file}`)) as { default: Application | Application[] };
      const apps = Array.isArray(module.default) ? module.default : [module.default];
      expect(await logLines(), name).toEqual(nodeLog(apps));
      expect(await page.locator("[data-testid=graph] g.node").count(), name).toBeGreaterThan(0);
    }
  }, 300_000);
});

describe("controls", () => {
  test("a compile error is shown at its line, in the editor and in the list, and the run does not start", async () => {
    await setCode(`import { PortalsApp } from "portals-ts";\n\nconst n: number = "one";\nexport default PortalsApp("broken", (app) => {});\n`);
    expect(await start()).toBe("failed");
    const diagnostics = await page.textContent("[data-testid=diagnostics]");
    expect(diagnostics).toContain("3:7 ts: Type 'string' is not assignable to type 'number'.");
    expect(await page.locator(".cm-lintRange-error").count()).toBeGreaterThan(0);
    expect(await logLines()).toEqual(["Error: Type 'string' is not assignable to type 'number'. (line 3, column 7)"]);
  });

  test("the portals compiler's errors are shown too", async () => {
    await setCode(
      [
        `import { PortalsApp } from "portals-ts";`,
        `export default PortalsApp("x", (app) => {`,
        `  const p = app.portal<number, number>("p");`,
        `  const g = app.generators.fromArray([1]);`,
        `  app.workflows<number, number>("w").source(g.stream).asker(p, async (n, ctx) => {`,
        `    const f = () => n;`,
        `    await p.request(n);`,
        `    ctx.emit(f());`,
        `  }).sink().freeze();`,
        `});`,
      ].join("\n"),
    );
    expect(await start()).toBe("failed");
    expect(await page.textContent("[data-testid=diagnostics]")).toMatch(/^6:\d+ portals: /);
  });

  test("completion proposes portals-ts's API and hover shows its declaration and doc comment", async () => {
    await setCode(`import { PortalsApp } from "portals-ts";\n\nexport default PortalsApp("x", (app) => {\n  `);
    await page.click(".cm-content");
    await page.keyboard.press("Control+End");
    await page.keyboard.type("app.gen");
    await page.keyboard.press("Control+Space");
    await poll(async () => page.locator(".cm-tooltip-autocomplete li").allTextContents()).toContain("generators");
    await page.keyboard.press("Escape");
    await page.locator(".cm-content .cm-line").first().getByText("PortalsApp").hover();
    await poll(async () => page.locator(".cm-tooltip-hover .hover").textContent()).toMatch(/PortalsApp[\s\S]*application/i);
  });

  test("a module that exports no application gets the message portals run gives; top-level await says why not", async () => {
    const cases: [string, RegExp][] = [
      ["", /^Error: module app\.ts has no default export; /],
      ["export const app = 1;\n", /^Error: module app\.ts has no default export; /],
      ["export default 42;\n", /^Error: module app\.ts: the default export is a number \(42\), not an application; /],
      ["export default [];\n", /^Error: module app\.ts default-exports an empty array; /],
      // Under `portals run` an ES module may await at the top; here it is said why not, not which compiler option would allow it.
      ["await Promise.resolve();\nexport default [];\n", /^Error: top-level await is not available in the playground \(a module runs as CommonJS in its worker\): await inside an async function or an operator instead \(line 1, column 1\)$/],
    ];
    for (const [code, message] of cases) {
      await setCode(code);
      expect(await start(), code).toBe("failed");
      expect(await logLines(), code).toEqual([expect.stringMatching(message)]);
    }
  });

  test("console output of the module goes to the log; a long log keeps its last 1,024 lines and counts the rest", async () => {
    await setCode(
      [
        `import { PortalsApp } from "portals-ts";`,
        `export default PortalsApp("chatty", (app) => {`,
        `  const g = app.generators.fromRange(0, 5000, 100);`,
        `  app.workflows<number, number>("w").source(g.stream).map((n) => { if (n === 0) console.log("first", { n }); return n; }).logger().sink().freeze();`,
        `});`,
      ].join("\n"),
    );
    expect(await start()).toBe("done");
    const lines = await logLines();
    expect(lines[0]).toBe("… 3977 earlier lines not kept");
    expect(lines.slice(1)).toEqual(Array.from({ length: 1024 }, (_, i) => String(3976 + i)));
    await setCode(`import { PortalsApp } from "portals-ts";\nexport default PortalsApp("c", (app) => {\n  app.workflows<number, number>("w").source(app.generators.fromArray([7]).stream).map((n) => { console.log("seen", n); return n; }).sink().freeze();\n});\n`);
    expect(await start()).toBe("done");
    expect(await logLines()).toEqual(["seen 7"]);
    expect(await page.textContent("#counters")).not.toContain(" 0 events/s");
  });

  test("Step takes N steps and pauses, and again", async () => {
    await page.selectOption("[data-testid=examples]", "keyed-counter");
    await page.fill("#steps", "3");
    expect(await start("step")).toBe("paused");
    await poll(async () => page.textContent("#counters")).toContain("steps 3 ·");
    await page.click("[data-testid=step]");
    await poll(async () => page.textContent("#counters")).toContain("steps 6 ·");
  });

  test("Stop ends a slow run; the time limit ends a long one with Error: Execution timed out", async () => {
    await setCode(
      [
        `import { PortalsApp } from "portals-ts";`,
        `export default PortalsApp("forever", (app) => {`,
        `  const g = app.generators.fromRange(0, 1_000_000_000, 16, { name: "n" });`,
        `  app.workflows<number, number>("w").source(g.stream).map((n) => n + 1).sink().freeze();`,
        `});`,
      ].join("\n"),
    );
    await page.selectOption("[data-testid=speed]", "100");
    const before = Number(await page.getAttribute("[data-testid=status]", "data-run"));
    await page.click("[data-testid=run]");
    await poll(async () => page.textContent("#counters")).toMatch(/steps [1-9]/);
    await page.click("[data-testid=stop]");
    expect(await settled(before + 1)).toBe("stopped");
    await page.selectOption("[data-testid=speed]", "Infinity");
    await page.fill("[data-testid=limit]", "1");
    expect(await start()).toBe("stopped");
    expect((await logLines()).at(-1)).toBe("Error: Execution timed out");
    await page.fill("[data-testid=limit]", "30");
  });

  test("a step that never ends is stopped by the time limit, and the page works on", async () => {
    await setCode(STUCK);
    await page.fill("[data-testid=limit]", "1");
    await page.click("[data-testid=run]");
    await poll(async () => (await logLines()).at(-1)).toBe("Error: Execution timed out");
    await page.fill("[data-testid=limit]", "30");
    await page.waitForFunction(() => document.getElementById("status")!.textContent!.startsWith("compiled") || document.getElementById("status")!.textContent === "ready", null, { timeout: 60_000 });
    await page.selectOption("[data-testid=examples]", "hello-world");
    expect(await start()).toBe("done");
    expect(await logLines()).toEqual(["Hello, World!"]);
    // Step into the endless step: the same watchdog ends it.
    await setCode(STUCK);
    await page.fill("[data-testid=limit]", "1");
    await page.fill("#steps", "5");
    const before = Number(await page.getAttribute("[data-testid=status]", "data-run"));
    await page.click("[data-testid=step]");
    await poll(async () => (await logLines()).at(-1)).toBe("Error: Execution timed out");
    expect(await settled(before + 1)).toBe("stopped");
    await page.fill("[data-testid=limit]", "30");
  });

  test("Stop ends a step that never returns at once, and a Run clicked while the compiler reloads runs once it has", async () => {
    // Found by a fresh user: Stop waited for the time limit, and the Run after it was lost.
    await page.waitForSelector("[data-testid=status][data-compiler=ready]", { timeout: 60_000 });
    await setCode(STUCK);
    const before = Number(await page.getAttribute("[data-testid=status]", "data-run"));
    await stuck();
    const started = Date.now();
    await page.click("[data-testid=stop]");
    expect(await settled(before + 1)).toBe("stopped");
    expect(Date.now() - started).toBeLessThan(10_000);
    expect(await logLines()).toEqual(["Error: Stopped inside code that did not return"]);
    expect(await page.getAttribute("[data-testid=status]", "data-compiler")).toBe("loading");
    // The worker is being replaced: Run now waits for it, then runs.
    await setCode(`import { PortalsApp } from "portals-ts";\nexport default PortalsApp("again", (app) => void app.workflows<number, number>("w").source(app.generators.fromArray([1, 2]).stream).logger().sink());\n`);
    await page.click("[data-testid=run]");
    expect(await settled(before + 2)).toBe("done");
    expect(await logLines()).toEqual(["1", "2"]);
  });

  test("a second Run while the first is stuck inside a step runs the new code", async () => {
    // Found by a fresh user: the new code waited for the stuck run's time limit, and then never ran.
    await page.waitForSelector("[data-testid=status][data-compiler=ready]", { timeout: 60_000 });
    await setCode(STUCK);
    const before = Number(await page.getAttribute("[data-testid=status]", "data-run"));
    await stuck();
    await setCode(`import { PortalsApp } from "portals-ts";\nexport default PortalsApp("after", (app) => void app.workflows<number, number>("w").source(app.generators.fromArray([3]).stream).logger().sink());\n`);
    await page.click("[data-testid=run]");
    // The stuck worker goes (a run numbered for the click), and the click runs again once a new one has loaded.
    await page.waitForFunction((r) => Number(document.getElementById("status")!.dataset.run) >= r && document.getElementById("status")!.dataset.state === "done", before + 3, { timeout: 60_000 });
    expect(await logLines()).toEqual(["3"]);
  });

  test("a field that is not a number the control takes is named, and nothing starts", async () => {
    await page.selectOption("[data-testid=examples]", "hello-world");
    const before = await page.getAttribute("[data-testid=status]", "data-run");
    for (const [id, value, line] of [
      ["#steps", "2.5", 'Error: N (the steps to take) must be a whole number of steps, at least 1 (it is "2.5")'],
      ["#steps", "0", 'Error: N (the steps to take) must be a whole number of steps, at least 1 (it is "0")'],
      ["[data-testid=seed]", "1.5", 'Error: the seed must be an integer (it is "1.5")'],
      ["[data-testid=limit]", "0", 'Error: the time limit must be a positive number of seconds, at most 86400 (it is "0")'],
      ["[data-testid=limit]", "", "Error: the time limit must be a positive number of seconds, at most 86400 (it is empty)"],
      // A browser's timer fires at once beyond 2^31 ms: found by a fresh user, every run "timed out" at once.
      ["[data-testid=limit]", "3000000", 'Error: the time limit must be a positive number of seconds, at most 86400 (it is "3000000")'],
    ] as const) {
      await page.fill(id, value);
      await page.click("[data-testid=step]");
      await poll(async () => (await logLines()).at(-1)).toBe(line);
      await page.fill(id, id === "#steps" ? "1" : id === "[data-testid=seed]" ? "0" : "30");
    }
    expect(await page.getAttribute("[data-testid=status]", "data-run")).toBe(before);
  });

  test("an operator's error, and a throw at the module's top, say where in the module, as portals run does", async () => {
    // Inside the repository, where the CLI finds TypeScript and portals-ts as a user's project does.
    mkdirSync(join(import.meta.dirname, "../../.cache"), { recursive: true });
    const dir = mkdtempSync(join(import.meta.dirname, "../../.cache/playground-where-"));
    try {
      for (const code of [
        [
          `import { PortalsApp } from "portals-ts";`,
          `export default PortalsApp("thrower", (app) => {`,
          `  app.workflows<number, number>("w").source(app.generators.fromArray([1, 2]).stream)`,
          `    .map((n) => {`,
          `      if (n === 2) throw new Error("two is too many");`,
          `      return n;`,
          `    })`,
          `    .logger().sink();`,
          `});`,
        ].join("\n"),
        [`import { PortalsApp } from "portals-ts";`, `const limit = 3;`, `if (limit > 2) throw new Error("the limit is too high");`, `export default PortalsApp("never", () => {});`].join("\n"),
      ]) {
        writeFileSync(join(dir, "app.ts"), code);
        const cli = spawnSync(process.execPath, [join(import.meta.dirname, "../../dist/runtime/cli/main.js"), "run", "app.ts"], { cwd: dir, encoding: "utf8", timeout: 60_000 });
        // An operator's error: the line and `    at app.ts:L:C` under it; a module's throw: one line ending `(at app.ts:L:C)`.
        const lines = cli.stderr.split("\n").filter((l) => /^\[error\]|^    at |^portals: error: module/.test(l)).map((l) => l.replace(/^portals: error: /, "Error: "));
        expect(lines.join("\n"), cli.stderr).toMatch(/(^|\n)    at app\.ts:\d+:\d+$|\(at app\.ts:\d+:\d+\)$/);
        await setCode(code);
        await start();
        expect(await logLines()).toEqual(expect.arrayContaining(lines));
      }
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  test("console output of a timer that fires after the run ended reaches the log", async () => {
    await setCode(
      [
        `import { PortalsApp } from "portals-ts";`,
        `export default PortalsApp("timer", (app) => {`,
        `  app.workflows<number, number>("w").source(app.generators.fromArray([1]).stream).map((n) => { setTimeout(() => console.log("timer fired"), 50); return n; }).sink();`,
        `});`,
      ].join("\n"),
    );
    expect(await start()).toBe("done");
    await poll(logLines).toEqual(["timer fired"]);
  });

  test("the share link restores exactly the same text", async () => {
    const text = `// ünïcode ✓ and "quotes" & #hash\n${"x".repeat(3000)}\n`;
    await setCode(text);
    await page.click("[data-testid=share]");
    const url = page.url();
    expect(url).toContain("#code=");
    const other = await browser.context.newPage();
    await other.goto(url);
    await other.waitForSelector(".cm-content");
    const restored = await other.evaluate(() => (window as unknown as { playground: { text(): string } }).playground.text());
    expect(restored).toBe(text);
    await other.close();
  });
});

describe("an example with files", () => {
  test("the shopping cart's module comes with its files: tabs show them read-only, the run uses them", async () => {
    await page.selectOption("[data-testid=examples]", "shopping-cart");
    await poll(async () => page.$$eval("[data-testid=files] button", (b) => b.map((x) => x.textContent))).toEqual(["excerpt.ts", "analytics.ts", "applications.ts", "cart.ts", "generate.ts", "inventory.ts", "model.ts", "orders.ts"]);
    await page.click("[data-testid=files] button[data-file='examples/shopping-cart/cart.ts']");
    expect(await page.isVisible("[data-testid=editor]")).toBe(false);
    const shown = await page.textContent("[data-testid=viewer] .cm-content");
    expect(shown).toContain("export function cartApp(operations: TraceSource<CartOp>): Application {");
    expect(await page.getAttribute("[data-testid=viewer] .cm-content", "contenteditable")).toBe("false");
    expect(await page.getAttribute("[data-testid=files] button[data-file='examples/shopping-cart/cart.ts']", "aria-selected")).toBe("true");
    await page.click("[data-testid=files] button[data-file='examples/shopping-cart/excerpt.ts']");
    expect(await page.isVisible("[data-testid=editor]")).toBe(true);
    // An edit of the module still compiles beside the files: fewer cart operations, fewer orders.
    const text = await page.evaluate(() => (window as unknown as { playground: { text(): string } }).playground.text());
    await setCode(text.replace("cartOps: 10_000", "cartOps: 2_000"));
    expect(await start()).toBe("done");
    const module = (await import("../../examples/shopping-cart/applications.js")) as typeof import("../../examples/shopping-cart/applications.js");
    const { generatedTrace, TRACE } = await import("../../examples/shopping-cart/generate.js");
    expect(await logLines()).toEqual(nodeLog(module.shoppingCart(generatedTrace({ ...TRACE, cartOps: 2_000, restocks: 1_000 }))));
  });

  test("a type error in the module is shown at its line, and none in its files", async () => {
    await page.selectOption("[data-testid=examples]", "shopping-cart");
    await poll(async () => page.locator("[data-testid=files] button").count()).toBeGreaterThan(1);
    const text = await page.evaluate(() => (window as unknown as { playground: { text(): string } }).playground.text());
    const line = text.split("\n").findIndex((l) => l.startsWith("export default")) + 1;
    await setCode(text.replace("cartOps: 10_000", 'cartOps: "many"'));
    // A type check of the module with its files in the page's worker: over 20 s once under the full suite's load.
    const diagnostics = () => expect.poll(async () => page.textContent("[data-testid=diagnostics]"), { timeout: 60_000 });
    await diagnostics().toMatch(new RegExp(`^${line}:\\d+ ts: .*string.*number`));
    await setCode(text);
    await diagnostics().toBe("");
  }, 150_000);

  test("a share link of the edited shopping cart brings its files along", async () => {
    await page.selectOption("[data-testid=examples]", "shopping-cart");
    await poll(async () => page.locator("[data-testid=files] button").count()).toBeGreaterThan(1);
    const text = (await page.evaluate(() => (window as unknown as { playground: { text(): string } }).playground.text())).replace("cartOps: 10_000", "cartOps: 3_000");
    await setCode(text);
    await page.click("[data-testid=share]");
    await poll(() => Promise.resolve(page.url())).toContain("#with=shopping-cart&code=");
    const other = await browser.context.newPage();
    try {
      await other.goto(page.url());
      await other.waitForFunction(() => document.getElementById("status")!.textContent!.startsWith("compiled"), null, { timeout: 60_000 });
      expect(await other.evaluate(() => (window as unknown as { playground: { text(): string } }).playground.text())).toBe(text);
      expect(await other.locator("[data-testid=files] button").count()).toBe(8);
      expect(await other.textContent("[data-testid=diagnostics]")).toBe("");
    } finally {
      await other.close();
    }
  });

  test("a share link naming an example this page does not have says so; one pasted into an open page opens", async () => {
    const other = await browser.context.newPage();
    try {
      await other.goto(`${server.url}#with=nonexistent&code=${compressToEncodedURIComponent("// mine\n")}`);
      await other.waitForSelector(".cm-content");
      await expect.poll(async () => other.textContent("[data-testid=log]"), { timeout: 20_000 }).toBe('Error: the share link names example "nonexistent", which this playground does not have; its module is shown alone\n');
      await other.evaluate((hash) => (location.hash = hash), `#code=${compressToEncodedURIComponent("// pasted\n")}`);
      await expect.poll(() => other.evaluate(() => (window as unknown as { playground: { text(): string } }).playground.text()), { timeout: 10_000 }).toBe("// pasted\n");
    } finally {
      await other.close();
    }
  });

  test("edits after Share survive a reload (the stale link goes from the address bar); an empty module's link is no damage", async () => {
    await page.selectOption("[data-testid=examples]", "hello-world");
    await setCode("// shared\n");
    await page.click("[data-testid=share]");
    await poll(() => Promise.resolve(page.url())).toContain("#code=");
    await setCode("// shared, then edited\n");
    await poll(() => Promise.resolve(page.url())).not.toContain("code=");
    const other = await browser.context.newPage();
    try {
      await other.goto(server.url);
      await expect.poll(() => other.evaluate(() => (window as unknown as { playground: { text(): string } }).playground.text()), { timeout: 10_000 }).toBe("// shared, then edited\n");
      await other.goto(`${server.url}#code=${compressToEncodedURIComponent("")}`);
      await other.waitForSelector(".cm-content");
      expect(await other.evaluate(() => (window as unknown as { playground: { text(): string } }).playground.text())).toBe("");
      expect(await other.textContent("[data-testid=log]")).toBe("");
    } finally {
      await other.close();
    }
  });

  test("the module is kept in the browser: a reload opens it with its example's files", async () => {
    await page.selectOption("[data-testid=examples]", "shopping-cart");
    await poll(async () => page.locator("[data-testid=files] button").count()).toBe(8);
    const text = (await page.evaluate(() => (window as unknown as { playground: { text(): string } }).playground.text())).replace("cartOps: 10_000", "cartOps: 4_000");
    await setCode(text);
    await new Promise((r) => setTimeout(r, 500));
    const other = await browser.context.newPage();
    try {
      await other.goto(server.url);
      await expect.poll(() => other.evaluate(() => (window as unknown as { playground: { text(): string } }).playground.text()), { timeout: 10_000 }).toBe(text);
      await expect.poll(async () => other.locator("[data-testid=files] button").count(), { timeout: 10_000 }).toBe(8);
    } finally {
      await other.close();
    }
  });

  test("a damaged share link says so in the log and opens hello world", async () => {
    const other = await browser.context.newPage();
    try {
      await other.goto(`${server.url}#code=N4Ig%%%damaged`);
      await other.waitForSelector(".cm-content");
      await expect.poll(async () => other.textContent("[data-testid=log]"), { timeout: 20_000 }).toMatch(/^Error: the share link is damaged \(its code, \d+ characters, does not decompress\): copy the whole link again; showing hello-world instead/);
      expect(await other.evaluate(() => (window as unknown as { playground: { text(): string } }).playground.text())).toContain("Hello");
    } finally {
      await other.close();
    }
  });
});

describe("snapshots", () => {
  /** The ping-pong example: parked continuations across two workflows, compiled operators. */
  const NAME = "ping-pong";
  /** Steps after which ping-pong has continuations parked (3, nested requests). */
  const STEPS = 17;
  const apps = async (): Promise<Application[]> => {
    const module = (await import("../../examples/ping-pong/app.js")) as { default: Application | Application[] };
    return Array.isArray(module.default) ? module.default : [module.default];
  };

  test("a snapshot taken in the browser restores under Node, and the run ends as a Node run does", async () => {
    await page.selectOption("[data-testid=examples]", NAME);
    await page.fill("#steps", String(STEPS));
    expect(await start("step")).toBe("paused");
    await poll(async () => page.textContent("#counters")).toContain(`steps ${STEPS} ·`);
    const before = await logLines();
    const [download] = await Promise.all([page.waitForEvent("download"), page.click("[data-testid=download]")]);
    const bytes = readFileSync((await download.path())!);
    const lines: string[] = [];
    const system = Systems.test({ seed: 0, log: (line, meta) => void lines.push(meta.level === "info" ? line : `[${meta.level}] ${line}`) });
    system.restore(bytes, await apps());
    expect(system.stats.steps).toBe(STEPS);
    expect(system.parkedContinuations).toBeGreaterThan(0);
    system.stepUntilComplete();
    expect([...before, ...lines]).toEqual(nodeLog(await apps()));
  });

  test("a snapshot taken under Node restores in the browser, and Run finishes it", async () => {
    const first: string[] = [];
    const system = Systems.test({ seed: 0, log: (line, meta) => void first.push(meta.level === "info" ? line : `[${meta.level}] ${line}`) });
    for (const app of await apps()) system.launch(app);
    for (let i = 0; i < STEPS; i++) system.step();
    expect(system.parkedContinuations).toBeGreaterThan(0);
    await page.selectOption("[data-testid=examples]", NAME);
    const run = Number(await page.getAttribute("[data-testid=status]", "data-run"));
    await page.setInputFiles("[data-testid=restore]", { name: "node.snapshot", mimeType: "application/octet-stream", buffer: Buffer.from(system.snapshot()) });
    expect(await settled(run + 1)).toBe("paused");
    await poll(async () => page.textContent("#counters")).toContain(`steps ${STEPS} ·`);
    await page.click("[data-testid=run]");
    expect(await settled(run + 1)).toBe("done");
    expect([...first, ...(await logLines())]).toEqual(nodeLog(await apps()));
  });
});

describe("connect", () => {
  test("the page deploys its module to a portals server (CORS by --cors-origin) and asks its portal", async () => {
    const dir = mkdtempSync(join(tmpdir(), "portals-playground-server-"));
    const token = "playground-connect-token-0123";
    const served = await startServer({ dataDir: dir, port: 0, token, corsOrigins: [new URL(server.url).origin], log: () => {} });
    try {
      await setCode(
        [
          `import { PortalsApp } from "portals-ts";`,
          `export default PortalsApp("counter", (app) => {`,
          `  const count = app.portal<{ by: number }, number>("count");`,
          `  app.workflows<never, never>("w").source(app.generators.empty<never>().stream).replier(count, () => {}, async (r, ctx) => {`,
          `    const n = ctx.perTask("n", 0);`,
          `    n.set(n.get() + r.by);`,
          `    ctx.reply(n.get());`,
          `  }).sink().freeze();`,
          `});`,
        ].join("\n"),
      );
      await page.fill("[data-testid=server-url]", served.url);
      await page.fill("[data-testid=server-token]", token);
      await page.click("[data-testid=server-connect]");
      await poll(logLines).toContain(`${served.url}: 0 applications (none)`);
      await page.click("[data-testid=deploy]");
      await poll(logLines).toContain(`${served.url}: deployment 1 launched counter`);
      await poll(async () => page.$$eval("[data-testid=portal] option", (o) => o.map((x) => (x as HTMLOptionElement).value))).toEqual(["/counter/portals/count"]);
      // A module that imports others of its example: the server takes one module, the page says which command does it.
      await page.selectOption("[data-testid=examples]", "shopping-cart");
      await poll(async () => page.locator("[data-testid=files] button").count()).toBe(8);
      await page.click("[data-testid=deploy]");
      await poll(async () => (await logLines()).at(-1)).toBe(
        "Error: a server takes one module, and examples/shopping-cart/excerpt.ts imports analytics.ts, applications.ts, cart.ts, generate.ts, inventory.ts, model.ts, orders.ts beside it: deploy it from the repository, `portals deploy examples/shopping-cart/excerpt.ts` (docs/live.md)",
      );
      await page.fill("[data-testid=request]", '{"by": 5}');
      await page.click("[data-testid=ask]");
      await page.click("[data-testid=ask]");
      await poll(logLines).toContain('/counter/portals/count ← {"by":5} → 10');
      // A server that is not there: the panel says so and asks nothing of the old one.
      await page.fill("[data-testid=server-url]", "http://127.0.0.1:9");
      await page.click("[data-testid=server-connect]");
      await poll(async () => (await logLines()).at(-1)).toMatch(/^Error: cannot reach http:\/\/127\.0\.0\.1:9/);
      expect(await page.isDisabled("[data-testid=ask]")).toBe(true);
      expect(await page.isDisabled("[data-testid=deploy]")).toBe(true);
      await page.fill("[data-testid=server-url]", served.url);
      await page.fill("[data-testid=server-token]", "a-wrong-token-of-enough-length");
      await page.click("[data-testid=server-connect]");
      await poll(async () => (await logLines()).at(-1)).toMatch(new RegExp(`^Error: token rejected by ${served.url.replace(/\./g, "\\.")}: 401 the token is not this server's`));
      expect(await page.isDisabled("[data-testid=ask]")).toBe(true);
    } finally {
      await served.close();
      rmSync(dir, { recursive: true, force: true });
    }
  });
});

describe("see inside", () => {
  test("the state viewer shows per-key state and parked continuations with their machine and pc", async () => {
    await page.selectOption("[data-testid=examples]", "ping-pong");
    await page.fill("#steps", "17");
    expect(await start("step")).toBe("paused");
    await page.click("#refresh");
    await poll(async () => page.textContent("[data-testid=state]")).toMatch(/parked.*app\.ts#.* pc \d+/);
  });

  test("a screenshot of the page after the shopping cart ran", async () => {
    const dir = mkdtempSync(join(tmpdir(), "portals-playground-"));
    const path = join(dir, "playground-shopping-cart.png");
    await page.setViewportSize({ width: 1400, height: 900 });
    await page.selectOption("[data-testid=examples]", "shopping-cart");
    expect(await start()).toBe("done");
    await poll(async () => (await logLines()).at(-1)).toMatch(/^top 10 items: /);
    await page.click("#refresh");
    await poll(async () => page.textContent("[data-testid=state]")).toContain("/inventory/workflows/inventory");
    await page.screenshot({ path });
    console.log(`playground screenshot: ${path}`);
  });
});
