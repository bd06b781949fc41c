/**
 * Compile-time diagnostics (docs/compiler.md, "Diagnostics"): each one, with the
 * file:line:column it points at and the message a user sees. The same messages come from tspc,
 * the Vite plugin and the Node hook (host tests), because they all run this transformer.
 */
import * as ts from "typescript";
import { describe, expect, test } from "vitest";
import { transpile } from "../../../compiler/hosts/transpile.js";

/** Compiles `body` as an operator module and returns the error lines. */
function errors(source: string): string[] {
  return [...transpile(ts, source, "/project/src/app.ts", "/project").errors];
}

const header = `import { Tasks, type FlowBuilder } from "portals-ts";\ndeclare const inventory: any, prices: any;\n`;

describe("a local live across an await that is not data", () => {
  test.each([
    ["a function", "const f = () => 1;", "f()"],
    ["an instance of class Cart", "const cart = new Cart();", "cart.total"],
    ["a Promise", "const pending = Promise.resolve(1);", "pending"],
    ["a symbol", "const tag = Symbol('t');", "tag"],
    ["a WeakMap", "const seen = new WeakMap();", "seen"],
    ["a state handle from ctx.perKey", 'const count = ctx.perKey("n", 0);', "count.get()"],
    ["the task context ctx", "const c = ctx;", "c.emit(1)"],
  ])("%s", (what, declaration, use) => {
    const name = /const (\w+)/.exec(declaration)![1];
    const source = `${header}class Cart { total = 0 }\nexport default Tasks.asker(inventory, async (x, ctx) => {\n  ${declaration}\n  await inventory.request(x);\n  ctx.emit(${use});\n});\n`;
    expect(errors(source)).toEqual([
      `/project/src/app.ts:5:9 - portals: local \`${name}\` holds ${what} and is used after the await on line 6; ${what} is not data and cannot be kept in a suspended operator. ` +
        (what.includes("ctx")
          ? "Use ctx (or call ctx.perKey/perTask again) after the await instead. "
          : what.includes("instance of class")
            ? "Create it after the await, or register the class with app.dataClass({ name, type, encode, decode }) (an error class can instead be declared in this module). "
            : "Create it after the await instead. ") +
        "Only data can live across an await: primitives, arrays, plain objects, Map, Set, Date, errors and registered classes (docs/snapshots.md, \"What is data\").",
    ]);
  });

  test("a function used only before the await, or data across it, is fine", () => {
    const source = `${header}export default Tasks.asker(inventory, async (x, ctx) => {\n  const f = () => 1;\n  ctx.emit(f());\n  const items = new Map([[1, 2]]);\n  await inventory.request(x);\n  ctx.emit(items.size);\n});\n`;
    expect(errors(source)).toEqual([]);
  });

  test("a function kept across the await of a later loop iteration", () => {
    const source = `${header}export default Tasks.asker(inventory, async (xs, ctx) => {\n  let last = () => 0;\n  for (const x of xs) {\n    ctx.emit(last());\n    await inventory.request(x);\n    last = () => x;\n  }\n});\n`;
    expect(errors(source)).toEqual([
      expect.stringMatching(/^\/project\/src\/app\.ts:4:7 - portals: local `last` holds a function and is used after the await on line 7/),
    ]);
  });
});

describe("await of something other than a portal request", () => {
  test.each([
    ["await fetch(url)", "fetch(...)"],
    ["await new Promise((r) => setTimeout(r, 10))", "new Promise(...)"],
    ["await Promise.race([inventory.request(1)])", "Promise.race(...)"],
    ["await sleep(10)", "sleep(...), which is not a module-level async function"],
    ["await 5", "`5`"],
  ])("%s", (expression, what) => {
    const source = `${header}declare const url: string;\nexport default Tasks.asker(inventory, async (x, ctx) => {\n  const sleep = (ms: number) => ms;\n  ctx.emit(${expression});\n});\n`;
    expect(errors(source)).toEqual([
      `/project/src/app.ts:6:12 - portals: await of ${what} in an operator: only portal requests (portal.request(...)), Promise.all over them, and async helpers that await them can be awaited, because only those can be suspended and resumed from a snapshot`,
    ]);
  });

  test("a module-level async helper that cannot be compiled names its own await", () => {
    const source = `${header}async function load(u: string) {\n  return await fetch(u);\n}\nexport default Tasks.asker(inventory, async (x, ctx) => {\n  ctx.emit(await load(x));\n});\n`;
    expect(errors(source)).toEqual([
      "/project/src/app.ts:7:12 - portals: await of load(...), an async helper that cannot be compiled (it awaits fetch(...)) in an operator: only portal requests (portal.request(...)), Promise.all over them, and async helpers that await them can be awaited, because only those can be suspended and resumed from a snapshot",
    ]);
  });

  test("requests, Promise.all over requests, handles and compiled helpers are accepted", () => {
    const source = `${header}async function price(item: string) {\n  return await prices.request(item);\n}\nexport default Tasks.asker([inventory, prices], async (x, ctx) => {\n  const handle = inventory.request(x);\n  const [a, b] = await Promise.all([inventory.request(1), prices.request(2)]);\n  ctx.emit([a, b, await handle, await price(x)]);\n});\n`;
    expect(errors(source)).toEqual([]);
  });
});

test("a request to a portal the task did not declare", () => {
  const source = `${header}export default Tasks.asker([inventory], async (x, ctx) => {\n  ctx.emit(await prices.request(x));\n});\n`;
  expect(errors(source)).toEqual([
    "/project/src/app.ts:4:18 - portals: request to portal prices, which this task did not declare (it declares inventory); add prices to the task's portals",
  ]);
});

test("ctx.reply outside a replier's request handler, sync or async", () => {
  const source = `${header}declare const flow: FlowBuilder<any, any, any, any>, portal: any;\nflow.replier(portal, (x: number, ctx: any) => ctx.reply(x), (req: number, ctx: any) => ctx.reply(req));\nflow.asker(inventory, async (x: number, c: any) => {\n  c.reply(await inventory.request(x));\n});\n`;
  expect(errors(source)).toEqual([
    "/project/src/app.ts:4:47 - portals: ctx.reply(...) in the event handler of replier(...): only a replier's request handler (the onAsk callback of replier or askerReplier) has a request to answer",
    "/project/src/app.ts:6:3 - portals: c.reply(...) in the event handler of asker(...): only a replier's request handler (the onAsk callback of replier or askerReplier) has a request to answer",
  ]);
});

describe("constructs the compiler does not support are named, with the fix", () => {
  test.each([
    ["for await (const x of xs) ctx.emit(x);", "for await…of is not supported in operators: await portal requests inside a plain loop"],
    ["xs.map(async (x: number) => await inventory.request(x));", "an async function inside an operator cannot be suspended: await portal requests in the operator itself (use Promise.all for several)"],
    ["ctx.emit(xs?.at(await inventory.request(1)));", "an await in the arguments of an optional call (?.) is not supported: test for null first"],
  ])("%s", (statement, message) => {
    const source = `${header}export default Tasks.asker(inventory, async (xs: any, ctx) => {\n  await inventory.request(0);\n  ${statement}\n});\n`;
    const found = errors(source);
    expect(found).toHaveLength(1);
    expect(found[0]).toMatch(/^\/project\/src\/app\.ts:5:\d+ - portals: /);
    expect(found[0]!.endsWith(message)).toBe(true);
  });

  test("a failed operator is left as written and the rest of the file still compiles", () => {
    const source = `${header}export const bad = Tasks.asker(inventory, async (x, ctx) => { ctx.emit(await fetch(x)); });\nexport const good = Tasks.asker(inventory, async (x, ctx) => { ctx.emit(await inventory.request(x)); });\n`;
    const out = transpile(ts, source, "/project/src/app.ts", "/project");
    expect(out.errors).toHaveLength(1);
    expect(out.machines).toBe(1);
    expect(out.code).toContain("export const bad = Tasks.asker(inventory, async (x, ctx) => { ctx.emit(await fetch(x)); });");
    expect(out.code).toContain('id: "src/app.ts#good"');
  });
});
