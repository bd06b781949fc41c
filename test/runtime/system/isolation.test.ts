/**
 * Systems share nothing (docs/architecture.md, "No global state"): two systems stepped
 * alternately in one process each produce exactly what they produce alone, and an application
 * built against one copy of the package runs in a system of another copy. What could be shared
 * (the running task that sends a request, the machines a restore re-binds frames to, vsm
 * states, the codec's classes) is reached through the task, the task's callbacks, the
 * program's definitions and each system's applications.
 */
import { cpSync, existsSync, mkdirSync, rmSync } from "node:fs";
import { join, resolve } from "node:path";
import { pathToFileURL } from "node:url";
import { expect, test } from "vitest";
import { PortalsApp, Systems, VSM, type Application, type TestSystem, type VsmBehavior } from "portals-ts";
import bank from "../../../examples/bank-saga/app.js";
import countdown from "../../../examples/countdown/app.js";
import previousValue from "../../../examples/previous-value/app.js";

const ROOT = resolve(import.meta.dirname, "../../..");

const off: VsmBehavior<string, string> = VSM.processor<string, string>((x, ctx) => {
  ctx.emit(`${ctx.key} on by ${x}`);
  return on;
});
const on: VsmBehavior<string, string> = VSM.processor<string, string>((x, ctx) => {
  ctx.emit(`${ctx.key} off by ${x}`);
  return off;
});

/** Switches keyed by the first letter of each event, each a vsm toggling between off and on. */
const switches = PortalsApp("switches", (app) => {
  const presses = app.generators.fromArrayOfArrays([["ann", "bob", "amy"], ["bea", "al"], ["ben"]]);
  app.workflows<string, string>("switches").source(presses.stream).key((x) => x[0]!).vsm(off).logger().sink().freeze();
});

interface Run {
  readonly system: TestSystem;
  readonly lines: string[];
}

function start(apps: readonly Application[], seed: number): Run {
  const lines: string[] = [];
  const system = Systems.test({ seed, log: (line, meta) => void lines.push(`[${meta.level}] ${line}`) });
  for (const app of apps) system.launch(app);
  return { system, lines };
}

function alone(apps: readonly Application[], seed: number): { lines: string[]; state: Uint8Array } {
  const run = start(apps, seed);
  run.system.stepUntilComplete();
  return { lines: run.lines, state: run.system.snapshot() };
}

test("two systems stepped alternately in one process each produce exactly the output they produce alone", () => {
  const first = [bank, switches];
  const second = [countdown, previousValue];
  const a = start(first, 3);
  const b = start(second, 4);
  let steps = 0;
  while (a.system.canStep() || b.system.canStep()) {
    if (a.system.canStep()) a.system.step();
    if (b.system.canStep()) b.system.step();
    // Halfway, each continues from a snapshot in a system of its own: restores do not mix either.
    if (++steps === 40) {
      const bytes = a.system.snapshot();
      a.system.shutdown();
      Object.assign(a, { system: Systems.test({ seed: 3, log: (line, meta) => void a.lines.push(`[${meta.level}] ${line}`) }).restore(bytes, first) });
    }
  }
  const expectedA = alone(first, 3);
  const expectedB = alone(second, 4);
  expect(a.lines).toEqual(expectedA.lines);
  expect(b.lines).toEqual(expectedB.lines);
  expect(a.lines.filter((l) => l.includes(" on by ") || l.includes(" off by "))).toHaveLength(6);
  expect(Buffer.from(b.system.snapshot())).toEqual(Buffer.from(expectedB.state));
});

test("an application built against one copy of portals-ts runs in a system of another copy", async () => {
  const built = join(ROOT, "dist/examples/bank-saga/app.js");
  if (!existsSync(built)) throw new Error("dist/ is not built: run `npm run build` first (npm test does)");
  // A second copy of the runtime, as a project with two installs of the package would have.
  const copy = join(ROOT, ".cache/second-copy");
  rmSync(copy, { recursive: true, force: true });
  mkdirSync(copy, { recursive: true });
  cpSync(join(ROOT, "dist/runtime"), join(copy, "runtime"), { recursive: true });
  const other = (await import(pathToFileURL(join(copy, "runtime/index.js")).href)) as typeof import("portals-ts");
  const app = ((await import(pathToFileURL(built).href)) as { default: Application }).default;
  expect(other.Systems).not.toBe(Systems);

  const lines: string[] = [];
  const system = other.Systems.test({ seed: 3, log: (line, meta) => void lines.push(`[${meta.level}] ${line}`) });
  system.launch(app);
  system.stepUntilComplete();
  const restored = other.Systems.test({ seed: 3, log: () => {} }).restore(system.snapshot(), [app]);
  expect(restored.canStep()).toBe(false);
  expect(lines).toEqual(alone([app], 3).lines);
  expect(lines.filter((l) => l.startsWith("[error]"))).toEqual([]);
});
