/**
 * The esbuild host (docs/compiler.md, "Hosts"), with a real esbuild: the plugin in
 * `esbuild.build`, and the built module (dist/, npm test builds first) as `portals-ts/esbuild`.
 */
import { spawnSync } from "node:child_process";
import { existsSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { join, relative } from "node:path";
import * as esbuild from "esbuild";
import * as ts from "typescript";
import { afterAll, beforeAll, describe, expect, test } from "vitest";
import { portals } from "../../../compiler/hosts/esbuild.js";
import { ROOT } from "../fixtures.js";

/** esbuild and child processes take seconds on a busy machine. */
const SLOW = { timeout: 60_000 };

// Inside the repository, so `portals-ts` resolves to this package's dist/ (its self-reference).
let dir: string;
beforeAll(() => {
  if (!existsSync(join(ROOT, "dist/compiler-cjs/compiler/hosts/esbuild.js"))) {
    throw new Error("dist/ is not built: run `npm run build` first (npm test does)");
  }
  mkdirSync(join(ROOT, ".cache"), { recursive: true });
  dir = mkdtempSync(join(ROOT, ".cache/esbuild-"));
});
afterAll(() => rmSync(dir, { recursive: true, force: true }));

/** Writes `text` to `name` in the temporary directory; returns its path. */
function write(name: string, text: string): string {
  writeFileSync(join(dir, name), text);
  return join(dir, name);
}

/** Runs node on `args` from the temporary directory. */
const node = (args: string[]) => spawnSync(process.execPath, args, { cwd: dir, encoding: "utf8", timeout: 30_000 });

const awaitsFetch = 'import { Tasks } from "portals-ts";\ndeclare const p: any;\nexport default Tasks.asker(p, async (x: number) => { const s = "café"; await fetch(s); });\n';
const ordinary = "export async function double(xs: number[]): Promise<number[]> {\n  return await Promise.all(xs.map(async (x) => x * 2));\n}\n";

test("the package exports the built host as portals-ts/esbuild", SLOW, () => {
  const script = 'const m = await import("portals-ts/esbuild"); console.log(m.portals().name);';
  const run = node(["--input-type=module", "-e", script]);
  expect([run.stdout, run.stderr]).toEqual(["portals-ts\n", ""]);
});

describe("the plugin in esbuild.build", () => {
  const build = (entry: string, plugins: esbuild.Plugin[]) =>
    esbuild.build({ entryPoints: [entry], bundle: true, format: "esm", platform: "node", write: false, logLevel: "silent", external: ["portals-ts"], plugins });

  test("a module without operators is left to esbuild: the same output as without the plugin", SLOW, async () => {
    const entry = write("ordinary.ts", ordinary);
    const [plain, compiled] = await Promise.all([build(entry, []), build(entry, [portals({ typescript: ts })])]);
    expect(compiled.outputFiles[0]!.text).toBe(plain.outputFiles[0]!.text);
  });

  test("a module matched by exclude is left to esbuild", SLOW, async () => {
    const entry = write("excluded.ts", awaitsFetch);
    const [plain, excluded] = await Promise.all([build(entry, []), build(entry, [portals({ typescript: ts, exclude: /excluded/ })])]);
    expect(excluded.outputFiles[0]!.text).toBe(plain.outputFiles[0]!.text);
  });

  test("a compile error fails the build with an error at the diagnostic's file, line and column", SLOW, async () => {
    const entry = write("bad.ts", awaitsFetch);
    const failure = await build(entry, [portals({ typescript: ts })]).catch((thrown: esbuild.BuildFailure) => thrown);
    expect(failure).toBeInstanceOf(Error);
    expect((failure as esbuild.BuildFailure).errors).toEqual([
      expect.objectContaining({
        pluginName: "portals-ts",
        text: expect.stringMatching(/^portals: await of fetch\(\.\.\.\) in an operator: /),
        // esbuild counts columns from 0 in bytes: "é" is two.
        location: expect.objectContaining({ file: relative(process.cwd(), entry), line: 3, column: 72, lineText: awaitsFetch.split("\n")[2] }),
      }),
    ]);
  });
});
