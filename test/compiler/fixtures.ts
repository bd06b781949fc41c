/**
 * Loading compiler fixtures (`test/compiler/fixtures/<case>/`): every `.ts` file of a case is
 * transpiled twice, as written (native) and with the portals transformer (compiled), into
 * `.cache/fixtures/<case>/<run>/` with its imports pointed at the right copies, so a test can
 * import either world, and fresh compiled instances for snapshot/restore runs.
 */
import { mkdirSync, readdirSync, readFileSync, writeFileSync } from "node:fs";
import { dirname, join, resolve } from "node:path";
import { fileURLToPath } from "node:url";
import * as ts from "typescript";
import { createTransformer } from "../../compiler/core/transform.js";
import { formatDiagnostic } from "../../compiler/hosts/transpile.js";

export const ROOT = resolve(dirname(fileURLToPath(import.meta.url)), "../..");
export const FIXTURES = join(ROOT, "test/compiler/fixtures");
const HARNESS = join(ROOT, "test/compiler/harness.ts");

/** Case folders, sorted. */
export function cases(): string[] {
  return readdirSync(FIXTURES, { withFileTypes: true })
    .filter((d) => d.isDirectory())
    .map((d) => d.name)
    .sort();
}

/** Compiles one file with the transformer; throws with the diagnostics when there are any. */
export function compile(file: string, source = readFileSync(file, "utf8")): string {
  const problems: string[] = [];
  const out = ts.transpileModule(source, {
    fileName: file,
    compilerOptions: { module: ts.ModuleKind.ESNext, target: ts.ScriptTarget.ES2022 },
    transformers: {
      before: [
        createTransformer(ts, {
          root: ROOT,
          onFile: (_file, result) => problems.push(...result.diagnostics.map((d) => formatDiagnostic(ts, d))),
        }),
      ],
    },
  });
  if (problems.length > 0) throw new Error(`compile errors in ${file}:\n${problems.join("\n")}`);
  return out.outputText;
}

function transpileNative(file: string): string {
  return ts.transpileModule(readFileSync(file, "utf8"), {
    fileName: file,
    compilerOptions: { module: ts.ModuleKind.ESNext, target: ts.ScriptTarget.ES2022 },
  }).outputText;
}

let generation = 0;

/**
 * Writes the case in one world and returns the path of its `input` module. Each call with
 * `compiled` makes a new copy, so importing it gives fresh module instances.
 */
export function materialize(name: string, compiled: boolean): string {
  const source = join(FIXTURES, name);
  const out = join(ROOT, ".cache/fixtures", name, `${compiled ? "compiled" : "native"}-${generation++}`);
  mkdirSync(out, { recursive: true });
  for (const f of readdirSync(source).filter((f) => f.endsWith(".ts"))) {
    const file = join(source, f);
    const js = (compiled ? compile(file) : transpileNative(file))
      .replaceAll('"../../harness.js"', JSON.stringify(HARNESS))
      .replace(/from "\.\/([\w-]+)\.js"/g, 'from "./$1.mjs"');
    writeFileSync(join(out, f.replace(/\.ts$/, ".mjs")), js);
  }
  return join(out, "input.mjs");
}
