/**
 * The layers of docs/architecture.md, enforced by dependency-cruiser with the rules in
 * `.dependency-cruiser.cjs`: the project's own imports break none of them, and each rule does
 * catch the import it forbids (checked on a small tree written for the purpose).
 */
import { spawnSync } from "node:child_process";
import { mkdirSync, rmSync, writeFileSync } from "node:fs";
import { dirname, join, resolve } from "node:path";
import { expect, test } from "vitest";

const ROOT = resolve(import.meta.dirname, "../..");
const CRUISER = join(ROOT, "node_modules/dependency-cruiser/bin/dependency-cruise.mjs");

interface Violation {
  readonly rule: string;
  readonly from: string;
  readonly to: string;
}

/** Runs dependency-cruiser over `paths` in `cwd` with `config`; returns its violations. */
function cruise(cwd: string, config: string, paths: string[]): Violation[] {
  const run = spawnSync(process.execPath, [CRUISER, ...paths, "--config", config, "--output-type", "json"], { cwd, encoding: "utf8" });
  if (run.stdout.trim() === "") throw new Error(`dependency-cruiser failed: ${run.stderr}`);
  const result = JSON.parse(run.stdout) as { summary: { violations: { rule: { name: string }; from: string; to: string }[] } };
  return result.summary.violations.map((v) => ({ rule: v.rule.name, from: v.from, to: v.to }));
}

test("the runtime, the compiler and the examples keep to their layers", () => {
  expect(cruise(ROOT, ".dependency-cruiser.cjs", ["runtime", "compiler", "examples"])).toEqual([]);
}, 60_000);

test("every rule reports the import it forbids", () => {
  const dir = join(ROOT, ".cache/layers-probe");
  rmSync(dir, { recursive: true, force: true });
  const files: Record<string, string> = {
    "runtime/api/builder.ts": "export const builder = 1;\n",
    "runtime/engine/engine.ts": 'import { builder } from "../api/builder.ts";\nexport const engine = builder;\n',
    "runtime/core/key.ts": 'import { readFileSync } from "node:fs";\nexport const key = readFileSync;\n',
    "runtime/state/codec.ts": 'import { engine } from "../engine/engine.ts";\nexport const codec = engine;\n',
    "runtime/graph/a.ts": 'import { b } from "./b.ts";\nexport const a = () => b;\n',
    "runtime/graph/b.ts": 'import { a } from "./a.ts";\nexport const b = () => a;\n',
    "compiler/core/lower.ts": 'import { engine } from "../../runtime/engine/engine.ts";\nexport const lower = engine;\n',
    "examples/app.ts": 'import { builder } from "../runtime/api/builder.ts";\nexport default builder;\n',
    // Reaches core/key.ts, which imports node:fs.
    "runtime/browser.ts": 'import { key } from "./core/key.ts";\nexport const entry = key;\n',
    "compiler/core/version.ts": 'import { createHash } from "node:crypto";\nexport const version = createHash;\n',
  };
  for (const [file, text] of Object.entries(files)) {
    mkdirSync(dirname(join(dir, file)), { recursive: true });
    writeFileSync(join(dir, file), text);
  }
  // The project's rules, without its TypeScript path mapping (the probe tree has no tsconfig).
  writeFileSync(join(dir, "rules.cjs"), `module.exports = { forbidden: require(${JSON.stringify(join(ROOT, ".dependency-cruiser.cjs"))}).forbidden };\n`);
  const found = cruise(dir, "rules.cjs", ["runtime", "compiler", "examples"]).map((v) => `${v.rule}: ${v.from} -> ${v.to}`);
  expect(found.sort()).toEqual(
    [
      "browser-entry-runs-in-browsers: runtime/browser.ts -> fs",
      "compiler-core-runs-in-browsers: compiler/core/version.ts -> crypto",
      "compiler-stands-alone: compiler/core/lower.ts -> runtime/engine/engine.ts",
      "core-runs-anywhere: runtime/core/key.ts -> fs",
      "engine-imports-only-core-graph-state: runtime/engine/engine.ts -> runtime/api/builder.ts",
      "examples-use-the-package: examples/app.ts -> runtime/api/builder.ts",
      "no-cycles: runtime/graph/a.ts -> runtime/graph/b.ts",
      "state-imports-only-core: runtime/state/codec.ts -> runtime/engine/engine.ts",
    ].sort(),
  );
}, 60_000);
