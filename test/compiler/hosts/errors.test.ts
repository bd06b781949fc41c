/**
 * The error of a module that does not compile (docs/compiler.md, "Hosts"): code
 * `ERR_PORTALS_COMPILE`, `file` and `diagnostics`, from the Vite plugin and from the Node hook,
 * whose error crosses from the hooks thread to the importing one (the hook test runs the built
 * hook in `dist/`, as `hosts.test.ts` does).
 */
import { spawnSync } from "node:child_process";
import { mkdirSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { pathToFileURL } from "node:url";
import * as ts from "typescript";
import { expect, test } from "vitest";
import { COMPILE_FAILURE, compileFailure } from "../../../compiler/hosts/errors.js";
import { portals } from "../../../compiler/hosts/vite.js";
import { ROOT } from "../fixtures.js";

const bad = 'import { Tasks } from "portals-ts";\ndeclare const p: any;\nexport default Tasks.asker(p, async (x: number) => { await fetch("u"); });\n';
const problem = (file: string, column: number) =>
  `${file}:3:${column} - portals: await of fetch(...) in an operator: only portal requests (portal.request(...)), Promise.all over them, and async helpers that await them can be awaited, because only those can be suspended and resumed from a snapshot`;

test("compileFailure: the message a person reads, the properties a program reads", () => {
  const error = compileFailure("/p/a.ts", ["/p/a.ts:1:1 - one", "/p/a.ts:2:1 - two"]);
  expect(error).toBeInstanceOf(Error);
  expect(error.message).toBe("portals-ts: cannot compile /p/a.ts:\n/p/a.ts:1:1 - one\n/p/a.ts:2:1 - two");
  expect({ ...error }).toEqual({ code: COMPILE_FAILURE, file: "/p/a.ts", diagnostics: ["/p/a.ts:1:1 - one", "/p/a.ts:2:1 - two"] });
});

test("the Vite plugin fails the module with it", () => {
  const plugin = portals({ typescript: ts, root: "/project" });
  let thrown: unknown;
  try {
    plugin.transform(bad, "/project/src/bad.ts?v=2");
  } catch (error) {
    thrown = error;
  }
  expect({ ...(thrown as object) }).toEqual({ code: "ERR_PORTALS_COMPILE", file: "/project/src/bad.ts", diagnostics: [problem("/project/src/bad.ts", 54)] });
});

test("the Node hook fails the import with it, and it reaches the importing thread", { timeout: 60_000 }, () => {
  const dir = join(ROOT, ".cache/hook-failure");
  mkdirSync(dir, { recursive: true });
  writeFileSync(join(dir, "bad.ts"), bad);
  const script = [
    `await import(${JSON.stringify(pathToFileURL(join(ROOT, "dist/compiler-cjs/compiler/hosts/register.js")).href)});`,
    `try { await import(${JSON.stringify(pathToFileURL(join(dir, "bad.ts")).href)}); } catch (error) {`,
    "  console.log(JSON.stringify({ keys: Object.keys(error), code: error.code, file: error.file, diagnostics: error.diagnostics }));",
    "}",
  ].join("\n");
  const run = spawnSync(process.execPath, ["--input-type=module", "-e", script], { cwd: ROOT, encoding: "utf8" });
  expect(run.stderr).toBe("");
  const file = join(dir, "bad.ts");
  expect(JSON.parse(run.stdout)).toEqual({ keys: ["code", "file", "diagnostics"], code: "ERR_PORTALS_COMPILE", file, diagnostics: [problem(file, 54)] });
});
