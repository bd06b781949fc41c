/**
 * How `portals run` loads a module, and what it says when it cannot: a `.js` path whose `.ts`
 * exists, syntax errors in JavaScript with their file and line, a module that throws while it
 * is imported (exit 1, with the user's line, source-mapped), a portal without a replier,
 * CommonJS builds, and a project without TypeScript or with one the compiler does not support.
 */
import { mkdirSync, mkdtempSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import * as ts from "typescript";
import { describe, expect, test, vi } from "vitest";
import { builtPortals, portals, portalsIn, ROOT, SUMMARY } from "./portals.js";

vi.setConfig({ testTimeout: 60_000 });

/** A temporary directory outside the repository with `files` (path → text) in it. */
function project(files: Record<string, string>): string {
  const dir = mkdtempSync(join(tmpdir(), "portals-load-"));
  for (const [name, text] of Object.entries(files)) {
    mkdirSync(join(dir, name, ".."), { recursive: true });
    writeFileSync(join(dir, name), text);
  }
  return dir;
}

const ESM = JSON.stringify({ type: "module" });

describe.concurrent("a module the CLI cannot use: one line, exit 2", () => {
  // JavaScript modules through the built CLI, as a user runs them: under tsx, tsx would compile
  // them first and report its own parse errors.
  test("a .js path whose .ts exists names the .ts and how to run it", async () => {
    expect(await portals("run", "examples/hello-world/app.js")).toEqual({
      code: 2,
      stdout: "",
      stderr:
        `portals: error: module examples/hello-world/app.js does not exist (looked for ${ROOT}examples/hello-world/app.js); ` +
        "examples/hello-world/app.ts exists: run it (portals run compiles TypeScript on the fly), or build it first (npx tspc) and run the built file\n",
    });
  });

  test("a syntax error in an ES module: its file and line", async () => {
    const dir = project({ "package.json": ESM, "app.js": 'import { x } from "./x.js";\nexport default {\n' });
    expect(await builtPortals({ cwd: dir }, "run", "app.js")).toEqual({
      code: 2,
      stdout: "",
      stderr: "portals: error: module app.js does not parse: Unexpected end of input at app.js:3\n",
    });
  });

  test("a syntax error in a module it imports: that module's file and line", async () => {
    const dir = project({
      "package.json": ESM,
      "app.js": 'import { orders } from "./lib/orders.js";\nexport default orders;\n',
      "lib/orders.js": "export const orders = [\n  1,\n  2;\n",
    });
    expect(await builtPortals({ cwd: dir }, "run", "app.js")).toEqual({
      code: 2,
      stdout: "",
      stderr: `portals: error: module app.js does not parse: Unexpected token ';' at ${join("lib", "orders.js")}:3\n`,
    });
  });

  test("a syntax error in a JavaScript module that a TypeScript module imports: its file and line", async () => {
    // In the repository, where typescript is installed for the .ts module.
    const dir = join(ROOT, ".cache/cli/ts-imports-js");
    mkdirSync(join(dir, "lib"), { recursive: true });
    writeFileSync(join(dir, "app.ts"), 'import { orders } from "./lib/orders.js";\nconst all: number[] = orders;\nexport default all;\n');
    writeFileSync(join(dir, "lib/orders.js"), "export const orders = [\n  1,\n  2;\n");
    expect(await builtPortals({}, "run", ".cache/cli/ts-imports-js/app.ts")).toEqual({
      code: 2,
      stdout: "",
      stderr: "portals: error: module .cache/cli/ts-imports-js/app.ts does not parse: Unexpected token ';' at .cache/cli/ts-imports-js/lib/orders.js:3\n",
    });
  });

  test("a syntax error in a CommonJS module: its file and line", async () => {
    const dir = project({ "app.cjs": "module.exports = {\n  default: ,\n};\n" });
    expect(await builtPortals({ cwd: dir }, "run", "app.cjs")).toEqual({
      code: 2,
      stdout: "",
      stderr: "portals: error: module app.cjs does not parse: Unexpected token ',' at app.cjs:2\n",
    });
  });
});

describe.concurrent("a module that throws while it is imported: exit 1, with the user's line", () => {
  test("an application that does not validate", async () => {
    expect(await portals("run", "test/runtime/cli/fixtures/throws-on-import.ts")).toEqual({
      code: 1,
      stdout: "",
      stderr:
        "portals: error: module test/runtime/cli/fixtures/throws-on-import.ts threw while it was imported: application /broken: " +
        "workflow /broken/workflows/orphan has no source: call .source(stream) first; workflow /broken/workflows/orphan has no sink: end a flow with .sink() " +
        "(at test/runtime/cli/fixtures/throws-on-import.ts:4:16)\n",
    });
  });

  test("a portal without a replier is an application that cannot be launched (exit 1, not a usage error)", async () => {
    expect(await portals("plan", "test/runtime/cli/fixtures/no-replier.ts")).toEqual({
      code: 1,
      stdout: "",
      stderr:
        "portals: error: module test/runtime/cli/fixtures/no-replier.ts threw while it was imported: application /lonely: " +
        "portal /lonely/portals/prices has no replier: add .replier(portal, onNext, onAsk) or .askerReplier(...) to a workflow " +
        "(at test/runtime/cli/fixtures/no-replier.ts:4:16)\n",
    });
  });

  // The built CLI with the Node hook, no tsx: the hook's inline source map gives the .ts line.
  test("a TypeScript module compiled by the hook: the line in the .ts, not in the compiled code", async () => {
    const source = 'import "portals-ts";\n\ninterface Config {\n  readonly limit: number;\n}\n\nconst config: Config = { limit: -1 };\nif (config.limit < 0) throw new RangeError(`limit ${config.limit} is negative`);\n';
    mkdirSync(join(ROOT, ".cache/cli"), { recursive: true });
    writeFileSync(join(ROOT, ".cache/cli/throws-typed.ts"), source);
    expect(await builtPortals({}, "run", ".cache/cli/throws-typed.ts")).toEqual({
      code: 1,
      stdout: "",
      stderr: "portals: error: module .cache/cli/throws-typed.ts threw while it was imported: limit -1 is negative (at .cache/cli/throws-typed.ts:8:29)\n",
    });
  });

  test("a built .js with its source map: the line in the .ts", async () => {
    const source = "export interface Config {\n  readonly limit: number;\n}\n\nconst config: Config = { limit: -1 };\nif (config.limit < 0) throw new RangeError(`limit ${config.limit} is negative`);\nexport default config;\n";
    const out = ts.transpileModule(source, { fileName: "app.ts", compilerOptions: { module: ts.ModuleKind.ESNext, target: ts.ScriptTarget.ES2022, sourceMap: true } });
    const dir = project({ "package.json": ESM, "src/app.ts": source, "dist/app.js": out.outputText, "dist/app.js.map": out.sourceMapText! });
    expect(await builtPortals({ cwd: dir }, "run", "dist/app.js")).toEqual({
      code: 1,
      stdout: "",
      stderr: `portals: error: module dist/app.js threw while it was imported: limit -1 is negative (at ${join("dist", "app.ts")}:6:29)\n`,
    });
  });
});

describe.concurrent("CommonJS builds", () => {
  // Built CLI: the fixtures require("portals-ts"), which is the built package (dist/).
  test("TypeScript's CommonJS output (exports.default, __esModule) runs", async () => {
    const r = await builtPortals({}, "run", "test/runtime/cli/fixtures/commonjs-build.cjs");
    expect(r.code).toBe(0);
    expect(r.stdout).toBe("1\n2\n");
    expect(r.stderr.split("\n").filter((l) => l.startsWith("done:")).join("\n") + "\n").toMatch(SUMMARY);
  });

  test("module.exports = { default: app } runs", async () => {
    const r = await builtPortals({}, "run", "test/runtime/cli/fixtures/commonjs-default.cjs");
    expect(r.code).toBe(0);
    expect(r.stdout).toBe("3\n");
  });

  test("an object whose default is not an application is still refused", async () => {
    const dir = project({ "app.cjs": 'module.exports = { default: { name: "not an app" } };\n' });
    const r = await builtPortals({ cwd: dir }, "run", "app.cjs");
    expect(r).toEqual({
      code: 2,
      stdout: "",
      stderr:
        "portals: error: module app.cjs: the default export is an object (Object), not an application; end the module with `export default PortalsApp(name, (app) => { ... })` or an array of applications\n",
    });
  });
});

describe.concurrent("TypeScript for a .ts module", () => {
  test("not installed: says so and how to install it, instead of blaming the module", async () => {
    const dir = project({ "package.json": ESM, "app.ts": "export default 1;\n" });
    expect(await builtPortals({ cwd: dir }, "run", "app.ts")).toEqual({
      code: 2,
      stdout: "",
      stderr: `portals: error: cannot run app.ts: the package typescript is not installed (looked from ${dir}); install it with npm install --save-dev typescript@~5.9 ts-patch@~3.3, or build the module with tspc and run the .js file\n`,
    });
  });

  test("another major version: names the version found and the fix", async () => {
    const dir = project({
      "package.json": ESM,
      "app.ts": "export default 1;\n",
      "node_modules/typescript/package.json": JSON.stringify({ name: "typescript", version: "7.0.2" }),
    });
    expect(await portalsIn({ cwd: dir }, "run", "app.ts")).toEqual({
      code: 2,
      stdout: "",
      stderr: `portals: error: cannot run app.ts: portals-ts needs TypeScript ~5.9, found TypeScript 7.0.2 (in ${join(dir, "node_modules/typescript")}); install a supported one: npm install --save-dev typescript@~5.9 ts-patch@~3.3\n`,
    });
  });
});
