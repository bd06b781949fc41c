/**
 * `npm run bench -- --only playground` (docs/playground.md): the playground page in a real
 * Chromium (Debian's, `scripts/chromium.sh`), driven by Playwright, against Node in the same run:
 *
 *   1. page weight: the JavaScript of the page and of the worker (TypeScript included), bytes and
 *      gzip bytes;
 *   2. first paint against TypeScript loaded: the page's first contentful paint and the moment its
 *      worker had loaded TypeScript and the declarations, both from the start of navigation;
 *   3. compile time of every example in the worker: the first compile of its text, and a
 *      recompile after an edit (target: under 150 ms);
 *   4. the keyed-count workload (benchmarks workload 2: `fromRange` in atoms of 1,024, key
 *      `x % 1000`, a per-key counter) as a playground module: events per second of stepping in
 *      Chromium against the same module's applications under Node (target: at least 0.7×), and
 *      the hand-written loop's rate as the limit.
 *
 * Needs the built page (`npm run build && npm run build:playground`; run here when it is
 * missing). `--quick`: a smaller workload that checks the benchmark works.
 */
import { execSync } from "node:child_process";
import { existsSync, readdirSync, readFileSync } from "node:fs";
import { join } from "node:path";
import { gzipSync } from "node:zlib";
/// <reference lib="dom" />
import * as ts from "typescript";
import * as portals from "portals-ts";
import { exportedApplications } from "../runtime/api/exported.js";
import { PLAYGROUND_DIR, startPlayground } from "../runtime/cli/playground.js";
import { launchChromium } from "../test/support/browser.js";
import { ROOT } from "./lib/compile.js";
import { keyedLoop } from "./workloads/keyed.js";

const quick = process.argv.includes("--quick");
const EVENTS = quick ? 1 << 17 : 1 << 21;

/** The keyed-count workload as a playground module (what a user would paste into the page). */
const KEYED = `import { PortalsApp } from "portals-ts";

export default PortalsApp("keyed-count", (app) => {
  const numbers = app.generators.fromRange(0, ${EVENTS}, 1024, { name: "numbers" });
  app
    .workflows<number, number>("count")
    .source(numbers.stream)
    .key((x) => x % 1000)
    .map((_x, ctx) => {
      const count = ctx.perKey("count", 0);
      const n = count.get() + 1;
      count.set(n);
      return n;
    })
    .sink()
    .freeze();
});
`;

function weight(): { file: string; bytes: number; gzip: number }[] {
  const assets = join(PLAYGROUND_DIR, "assets");
  const files = readdirSync(assets)
    .filter((f) => f.endsWith(".js"))
    .map((file) => {
      const bytes = readFileSync(join(assets, file));
      return { file: file.replace(/-[\w-]{8}\.js$/, ".js"), bytes: bytes.length, gzip: gzipSync(bytes, { level: 9 }).length };
    });
  // The page and the worker, then the examples' other files, each a small chunk fetched when its example is chosen.
  const main = files.filter((f) => f.file === "index.js" || f.file === "worker.js");
  const others = files.filter((f) => !main.includes(f));
  const sum = (key: "bytes" | "gzip"): number => others.reduce((n, f) => n + f[key], 0);
  return [...main, { file: `examples' files (${others.length}, on demand)`, bytes: sum("bytes"), gzip: sum("gzip") }];
}

/** Events per second of `text`'s applications under Node, stepped to completion in one go. */
function nodeRate(text: string): { rate: number; heap: number } {
  const js = ts.transpileModule(text, { compilerOptions: { module: ts.ModuleKind.CommonJS, target: ts.ScriptTarget.ES2022 } }).outputText;
  const module = { exports: {} };
  new Function("require", "module", "exports", js)(() => portals, module, module.exports);
  const system = portals.Systems.test({ seed: 0, log: () => undefined });
  for (const app of exportedApplications(module.exports, "module keyed.ts")) system.launch(app);
  const started = performance.now();
  system.stepUntilComplete();
  const rate = system.stats.events / ((performance.now() - started) / 1000);
  return { rate, heap: process.memoryUsage().heapUsed };
}

function loopRate(): number {
  const started = performance.now();
  keyedLoop(EVENTS);
  return EVENTS / ((performance.now() - started) / 1000);
}

const fmt = (n: number): string => Math.round(n).toLocaleString("en-US");

async function main(): Promise<void> {
  if (!existsSync(join(PLAYGROUND_DIR, "index.html"))) execSync("npm run build && npm run build:playground", { cwd: ROOT, stdio: "inherit" });
  const files = weight();
  console.log("## Page weight\n\n| file | bytes | gzip |\n|---|---:|---:|");
  for (const f of files) console.log(`| ${f.file} | ${fmt(f.bytes)} | ${fmt(f.gzip)} |`);
  console.log(`| total | ${fmt(files.reduce((n, f) => n + f.bytes, 0))} | ${fmt(files.reduce((n, f) => n + f.gzip, 0))} |`);

  const { server, url } = await startPlayground({ port: 0 });
  const browser = await launchChromium();
  try {
    const page = await browser.context.newPage();
    await page.goto(url);
    await page.waitForFunction(() => Number(document.getElementById("status")!.dataset.checks ?? 0) >= 1, null, { timeout: 120_000 });
    const paint = await page.evaluate(() => performance.getEntriesByType("paint").find((e) => e.name === "first-contentful-paint")?.startTime ?? NaN);
    const ready = Number(await page.getAttribute("#status", "data-ready-ms"));
    console.log(`\n## First paint\n\nfirst contentful paint ${paint.toFixed(0)} ms; TypeScript loaded in the worker at ${ready} ms (paint first: ${paint < ready ? "yes" : "NO"})`);

    /** The compile time of the check `change` causes: choosing an example (which loads its files) or an edit. */
    const compile = async (change: () => Promise<unknown>): Promise<number> => {
      const before = Number(await page.getAttribute("#status", "data-checks"));
      await change();
      await page.waitForFunction((n) => Number(document.getElementById("status")!.dataset.checks) > n, before, { timeout: 60_000 });
      return Number(await page.getAttribute("#status", "data-compile-ms"));
    };
    const names = await page.$$eval("#examples option", (options) => options.map((o) => (o as HTMLOptionElement).value));
    console.log("\n## Compile in the browser (ms)\n\n| example | first | after an edit |\n|---|---:|---:|");
    let worst = 0;
    for (const name of names) {
      const source = readFileSync(join(ROOT, "examples", name, existsSync(join(ROOT, "examples", name, "excerpt.ts")) ? "excerpt.ts" : "app.ts"), "utf8");
      const first = await compile(() => page.selectOption("#examples", name));
      const edited = await compile(() => page.evaluate((t) => (window as unknown as { playground: { setText(t: string): void } }).playground.setText(t), source + "\n// an edit\n"));
      worst = Math.max(worst, edited);
      console.log(`| ${name} | ${first.toFixed(0)} | ${edited.toFixed(0)} |`);
    }
    console.log(`\nslowest recompile after an edit: ${worst.toFixed(0)} ms (target < 150 ms)`);

    await page.evaluate((t) => (window as unknown as { playground: { setText(t: string): void } }).playground.setText(t), KEYED);
    await page.selectOption("#speed", "Infinity");
    await page.fill("#limit", "600");
    const runs: number[] = [];
    const node: number[] = [];
    const nodeHeaps: number[] = [];
    for (let round = 0; round < (quick ? 1 : 3); round++) {
      const measured = nodeRate(KEYED);
      node.push(measured.rate);
      nodeHeaps.push(measured.heap);
      const before = Number(await page.getAttribute("#status", "data-run"));
      await page.click("#run");
      await page.waitForFunction((r) => Number(document.getElementById("status")!.dataset.run) > r && document.getElementById("status")!.dataset.state === "done", before, { timeout: 600_000 });
      const events = Number(await page.getAttribute("#counters", "data-events"));
      const ms = Number(await page.getAttribute("#counters", "data-stepping-ms"));
      runs.push(events / (ms / 1000));
    }
    const median = (xs: number[]): number => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]!;
    const chromium = median(runs);
    const nodeEvents = median(node);
    const loop = loopRate();
    const mib = (bytes: number): string => (bytes / 2 ** 20).toFixed(1);
    console.log(`\n## Keyed count, ${fmt(EVENTS)} events (median of ${runs.length})\n\n| runtime | events/s | vs Node | vs loop | JS heap after the run (MiB) |\n|---|---:|---:|---:|---:|`);
    console.log(`| Chromium (playground worker) | ${fmt(chromium)} | ${(chromium / nodeEvents).toFixed(2)}× | ${(chromium / loop).toFixed(3)}× | — (a worker's heap is not readable from the page) |`);
    console.log(`| Node (same module) | ${fmt(nodeEvents)} | 1.00× | ${(nodeEvents / loop).toFixed(3)}× | ${mib(median(nodeHeaps))} |`);
    console.log(`| hand-written loop (Node) | ${fmt(loop)} | ${(loop / nodeEvents).toFixed(2)}× | 1.000× | — |`);
  } finally {
    await browser.close();
    await server.close();
  }
}

await main();
