/**
 * The compiler rewrites only what is portals-ts's (docs/compiler.md, "Finding targets"): a module
 * that does not use portals-ts is emitted exactly as TypeScript emits it, and in one that does,
 * ordinary async code (an array's `map(async …)`, an HTTP client's `request()`, async functions
 * no operator awaits) stays exactly as TypeScript emits it next to the compiled operators.
 */
import { readFileSync } from "node:fs";
import { join, resolve } from "node:path";
import * as ts from "typescript";
import { expect, test } from "vitest";
import { createTransformer } from "../../../compiler/core/transform.js";

const DIR = resolve(import.meta.dirname, "../untouched");

function emit(file: string, compile: boolean): { code: string; machines: number } {
  let machines = 0;
  const out = ts.transpileModule(readFileSync(join(DIR, file), "utf8"), {
    fileName: join(DIR, file),
    compilerOptions: { module: ts.ModuleKind.ESNext, target: ts.ScriptTarget.ES2022 },
    transformers: compile ? { before: [createTransformer(ts, { root: DIR, onFile: (_f, r) => (machines += r.machines) })] } : undefined,
  });
  return { code: out.outputText, machines };
}

test("a module that does not use portals-ts is emitted exactly as TypeScript emits it", () => {
  const compiled = emit("no-portals.ts", true);
  expect(compiled.machines).toBe(0);
  expect(compiled.code).toBe(emit("no-portals.ts", false).code);
});

test("ordinary async code next to an operator is emitted exactly as TypeScript emits it", () => {
  const compiled = emit("beside-operators.ts", true);
  const plain = emit("beside-operators.ts", false).code;
  // The operator and the helper it awaits are compiled, and nothing else.
  expect(compiled.machines).toBe(2);
  expect(compiled.code.match(/\$rt\.machine\(/g)).toHaveLength(2);
  for (const fn of ["loadAll", "notAwaitedByOperators"]) {
    const text = (code: string): string => code.slice(code.indexOf(`async function ${fn}`), code.indexOf("}\n", code.indexOf(`async function ${fn}`)) + 2);
    expect(text(compiled.code)).toBe(text(plain));
    expect(compiled.code).not.toContain(`$rt.attach(${fn}`);
  }
  expect(compiled.code).toContain("const doubled = list.map(async (x) => x * 2);");
  expect(compiled.code).toContain("$rt.attach(price, $rt.machine(");
});
