/**
 * Compiler fixtures, one folder per construct (Babel-style): `input.ts` (an operator and the
 * events it gets, with the exact `expected` trace), `output.js` (the compiled code, a file
 * snapshot), and this exec test: the native async function, the compiled machine, and the
 * machine snapshotted to bytes and restored in a fresh module at every suspension must all give
 * the expected trace. A snapshot file without its input fails the suite.
 */
import { existsSync, readdirSync } from "node:fs";
import { join } from "node:path";
import { describe, expect, test } from "vitest";
import { machineOfTask, runCompiled, runNative } from "./harness.js";
import { cases, compile, FIXTURES, materialize } from "./fixtures.js";

describe.each(cases())("%s", (name) => {
  const dir = join(FIXTURES, name);

  test("compiled output matches output.js (and <module>.output.js for other modules)", async () => {
    for (const file of readdirSync(dir).filter((f) => f.endsWith(".ts"))) {
      const snapshot = file === "input.ts" ? "output.js" : file.replace(/\.ts$/, ".output.js");
      await expect(compile(join(dir, file))).toMatchFileSnapshot(join(dir, snapshot));
    }
  });

  test("native, compiled and snapshot/restored runs give the expected trace", async () => {
    const native = await import(materialize(name, false));
    const events: unknown[] = native.events ?? [undefined];
    const nativeTrace = await runNative(native.default.spec.onAsk ?? native.default.spec.fn, events);
    expect(nativeTrace).toEqual(native.expected);

    const compiled = await import(materialize(name, true));
    expect(await runCompiled(machineOfTask(compiled.default), events)).toEqual(nativeTrace);

    const reload = async () => machineOfTask((await import(materialize(name, true))).default);
    expect(await runCompiled(machineOfTask(compiled.default), events, reload)).toEqual(nativeTrace);
  });
});

test("every fixture has input.ts and output.js, and every snapshot has its module", () => {
  const problems: string[] = [];
  for (const name of readdirSync(FIXTURES)) {
    const dir = join(FIXTURES, name);
    const files = readdirSync(dir);
    if (!files.includes("input.ts")) problems.push(`${name}: no input.ts`);
    if (!files.includes("output.js")) problems.push(`${name}: no output.js (run the fixture test once to write it)`);
    for (const f of files.filter((f) => f.endsWith(".output.js"))) {
      if (!existsSync(join(dir, f.replace(/\.output\.js$/, ".ts")))) problems.push(`${name}: ${f} has no module`);
    }
  }
  expect(problems).toEqual([]);
});
