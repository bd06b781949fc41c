/**
 * The runtime core and the compiler core run in browsers (docs/architecture.md, "Public surface"):
 * a playground compiles TypeScript with the compiler and runs the application with the runtime in
 * a Web Worker. So the browser entry of the runtime (`runtime/browser.ts`, with
 * `portals-ts/machine` and `portals-ts/testing`) and the compiler core, bundled by esbuild for the
 * browser with nothing external but `typescript`, import no Node module, and their own modules
 * name none of Node's globals; and the bundles run, an application (snapshot and restore
 * included) and the compiler, in a context that has only ECMAScript's globals and the few web
 * APIs they need. That run is what checks the packages they bundle: a package's browser build may
 * name `Buffer` behind a check that it exists (msgpackr does), which a search cannot tell from a
 * use.
 */
import * as esbuild from "esbuild";
import { join, relative, resolve } from "node:path";
import { createContext, runInContext } from "node:vm";
import * as ts from "typescript";
import { expect, test } from "vitest";
import { createTransformer } from "../../compiler/core/transform.js";
import { portals } from "../../compiler/hosts/esbuild.js";
import { run } from "./browser-app.js";

const ROOT = resolve(import.meta.dirname, "../..");

/** Node's globals, which browsers do not have: no module of a browser bundle may name one. */
const NODE_GLOBALS = new Set(["Buffer", "process", "setImmediate", "clearImmediate", "require", "global", "__dirname", "__filename"]);

/** What a browser bundle may use beyond ECMAScript, given to the context it runs in. */
function browserContext(console: Pick<Console, "log" | "warn" | "error">): object {
  return createContext({ console, TextEncoder, TextDecoder, setTimeout, clearTimeout, queueMicrotask });
}

/**
 * Bundles `entryPoints` for the browser (no Node module is external, so importing one fails the
 * build); returns the build's errors, or the output files.
 */
async function bundle(entryPoints: string[], options: esbuild.BuildOptions = {}): Promise<{ errors: string[]; outputs: { path: string; text: string }[] }> {
  try {
    const result = await esbuild.build({
      entryPoints: entryPoints.map((e) => join(ROOT, e)),
      absWorkingDir: ROOT,
      bundle: true,
      platform: "browser",
      format: "esm",
      outdir: join(ROOT, ".cache/browser-bundle"),
      write: false,
      logLevel: "silent",
      ...options,
    });
    return { errors: [], outputs: result.outputFiles!.map((f) => ({ path: relative(ROOT, f.path), text: f.text })) };
  } catch (thrown) {
    const errors = (thrown as esbuild.BuildFailure).errors;
    if (errors === undefined) throw thrown;
    return { errors: errors.map((e) => `${e.location?.file ?? "?"}: ${e.text}`), outputs: [] };
  }
}

/**
 * Every name of {@link NODE_GLOBALS} that the project's modules in `code` (an esbuild bundle) use
 * other than as a property name, as `module: name` (esbuild heads each module's code with a
 * `// path` comment; packages, under node_modules, are left to the run). A local of that name
 * counts too: the check stays a plain search, and no module needs one.
 */
function nodeGlobals(code: string): string[] {
  const file = ts.createSourceFile("bundle.js", code, ts.ScriptTarget.Latest, true, ts.ScriptKind.JS);
  const found: string[] = [];
  const moduleAt = (pos: number): string => [...code.slice(0, pos).matchAll(/^\s*\/\/ (\S+\.[cm]?[jt]sx?)$/gm)].at(-1)?.[1] ?? "?";
  const visit = (node: ts.Node): void => {
    if (ts.isIdentifier(node) && NODE_GLOBALS.has(node.text) && !isPropertyName(node)) {
      const module = moduleAt(node.getStart());
      if (!module.startsWith("node_modules/")) found.push(`${module}: ${node.text}`);
    }
    ts.forEachChild(node, visit);
  };
  visit(file);
  return found;
}

/** True when `id` names a property (`x.process`, `{ process: … }`, `process() {}`), not a variable. */
function isPropertyName(id: ts.Identifier): boolean {
  const parent = id.parent;
  if (ts.isBindingElement(parent)) return parent.propertyName === id;
  const named = ts.isPropertyAccessExpression(parent) || ts.isPropertyAssignment(parent) || ts.isMethodDeclaration(parent) || ts.isPropertyDeclaration(parent) || ts.isGetAccessor(parent) || ts.isSetAccessor(parent);
  return named && parent.name === id;
}

test("the runtime's browser entry, the machine protocol, the task driver and the compiler core bundle for the browser without Node", async () => {
  const built = await bundle(["runtime/browser.ts", "runtime/machine.ts", "runtime/testing/index.ts", "compiler/core/transform.ts"], { external: ["typescript"] });
  expect(built.errors).toEqual([]);
  expect(built.outputs.flatMap((o) => nodeGlobals(o.text))).toEqual([]);
}, 60_000);

test("the browser bundle of an application runs it, with only ECMAScript's globals, as Node does: output, log lines and snapshot bytes", async () => {
  // As a playground bundles it: the operators compiled, `portals-ts` resolved to the browser entry.
  const built = await bundle(["test/architecture/browser-app.ts"], {
    format: "iife",
    globalName: "browserApp",
    alias: { "portals-ts/machine": join(ROOT, "runtime/machine.ts"), "portals-ts": join(ROOT, "runtime/browser.ts") },
    plugins: [portals({ typescript: ts })],
  });
  expect(built.errors).toEqual([]);
  const code = built.outputs[0]!.text;
  expect(nodeGlobals(code)).toEqual([]);
  expect(code).toContain('id: "test/architecture/browser-app.ts#counter/asker#1"'); // the asker is a machine, as a playground's

  const logged: string[] = [];
  const context = browserContext({ log: (line: string) => logged.push(line), warn: (line: string) => logged.push(line), error: (line: string) => logged.push(line) });
  runInContext(code, context);
  const inBrowser = JSON.parse(runInContext("JSON.stringify(browserApp.run())", context) as string) as ReturnType<typeof run>;

  const onNode: string[] = [];
  const expected = run((line) => onNode.push(line));
  expect(inBrowser).toEqual(expected);
  expect(logged).toEqual(onNode);
  expect(logged).toEqual(inBrowser.output); // the logger's lines, through the console
  expect([...inBrowser.output].sort()).toEqual(["Home: 1 (last ann)", "Home: 2 (last bob)", "cart: 1 (last bob)"]);
}, 60_000);

test("the browser bundle of the compiler core compiles, with only ECMAScript's globals, as on Node", async () => {
  const built = await bundle(["compiler/core/transform.ts"], { format: "iife", globalName: "compilerCore", external: ["typescript"] });
  expect(built.errors).toEqual([]);
  const context = browserContext(console);
  runInContext(built.outputs[0]!.text, context);
  const inBrowser = (context as { compilerCore: { createTransformer: typeof createTransformer } }).compilerCore.createTransformer;

  const source = [
    'import { PortalsApp } from "portals-ts";',
    "export default PortalsApp(\"shop\", (app) => {",
    '  const stock = app.portal<string, number>("stock");',
    '  app.workflows<string, never>("cart").source(app.generators.fromArrayOfArrays([["apple"]]).stream)',
    "    .asker(stock, async (item, ctx) => { const n = await stock.request(item); ctx.log.info(`${item}: ${n}`); })",
    "    .sink().freeze();",
    "});",
  ].join("\n");
  const compile = (make: typeof createTransformer): string =>
    ts.transpileModule(source, { fileName: "/project/src/app.ts", compilerOptions: { module: ts.ModuleKind.ESNext, target: ts.ScriptTarget.ES2022 }, transformers: { before: [make(ts, { root: "/project" })] } }).outputText;
  const compiled = compile(inBrowser);
  expect(compiled).toEqual(compile(createTransformer));
  expect(compiled).toMatch(/id: "src\/app\.ts#cart\/asker#1",\s*version: "[0-9a-f]{12}"/);
}, 60_000);
