/**
 * Finding what to compile (`compiler/core/find.ts`: operator callbacks, helpers, targets) and
 * the await rules that check and classify their awaits (`compiler/core/checks.ts`), on one
 * small module, with exact results.
 */
import * as ts from "typescript";
import { describe, expect, test } from "vitest";
import { AwaitRules, checkReplies } from "../../../compiler/core/checks.js";
import { apiView } from "../../../compiler/core/builders.js";
import { Diagnostics } from "../../../compiler/core/diagnostics.js";
import { findTargets, moduleHelpers, operatorCallbacks, type Target } from "../../../compiler/core/find.js";

const source = `import { PortalsApp, Tasks, type FlowBuilder } from "portals-ts";
import { remote } from "./remote.js";
declare const items: number[], http: any, s: any;
async function price(item: string) { return await prices.request(item); }
const total = async (xs: number[]) => xs.length;
function* numbers() { yield 1; }
async function* stream() { yield 1; }
export const lookup = async function named(x: number) { return x; };
function sync() { return 1; }
export async function unused() { return await inventory.request(1); }
let inventory: any, prices: any;
export default PortalsApp("shop", (app) => {
  inventory = app.portal("inventory"); prices = app.portal("prices");
  const flow = app.workflows("w").source(s);
  flow.map((x: number) => x + 1);
  flow.asker([inventory, prices], async (x: number, ctx: any) => { ctx.emit(await inventory.request(x)); });
  flow.replier(inventory, (x: number, ctx: any) => ctx.emit(x), async (req: string, ctx: any) => ctx.reply(await price(req)));
  flow.askerReplier(portalsOf(), prices, async (x: number, ctx: any) => {}, async (r: number, ctx: any) => {});
});
Tasks.asker(inventory, function (x: number, ctx: any) { build(null as any).filter(async (y: number) => y > x); });
function build(f: FlowBuilder<number, number, number, number>): FlowBuilder<number, number, number, number> { return f; }
const doubled = items.map(async (x) => x * 2);
http.asker(async () => await http.request("/"));
function portalsOf(): any { return []; }
`;
const file = ts.createSourceFile("/project/app.ts", source, ts.ScriptTarget.ES2022, true);
const view = apiView(ts, file, undefined);

/** `line:column` (1-based) of a node. */
function at(node: ts.Node): string {
  const { line, character } = file.getLineAndCharacterOfPosition(node.getStart(file));
  return `${line + 1}:${character + 1}`;
}

function describeTarget(target: Target) {
  return { at: at(target.fn), role: target.role, serves: target.serves, declaredPortals: target.declaredPortals, name: target.name };
}

describe("find.ts", () => {
  test("operatorCallbacks: every function passed to an operator method of portals-ts's builders, async or not", () => {
    const found = operatorCallbacks(view).map((c) => ({ at: at(c.fn), method: c.method, serves: c.serves }));
    expect(found).toEqual([
      { at: "15:12", method: "map", serves: false },
      { at: "16:35", method: "asker", serves: false },
      { at: "17:27", method: "replier", serves: false },
      { at: "17:65", method: "replier", serves: true },
      { at: "18:42", method: "askerReplier", serves: false },
      { at: "18:77", method: "askerReplier", serves: true },
      { at: "20:24", method: "asker", serves: false },
      // On a flow builder returned by a function annotated to return one; not an array's map or another object's asker.
      { at: "20:83", method: "filter", serves: false },
    ]);
  });

  test("moduleHelpers: module-level async functions and async function values, not generators", () => {
    const helpers = moduleHelpers(ts, file);
    expect([...helpers.keys()]).toEqual(["price", "total", "lookup", "unused"]);
  });

  test("findTargets: the async operator callbacks (with their declared portals when plain names), then the helpers operators reach or the module exports", () => {
    const targets = findTargets(ts, operatorCallbacks(view), file, view).map(describeTarget);
    expect(targets).toEqual([
      { at: "16:35", role: "operator", serves: false, declaredPortals: ["inventory", "prices"], name: undefined },
      { at: "17:65", role: "operator", serves: true, declaredPortals: undefined, name: undefined },
      // askerReplier declares its portals with a call: not known.
      { at: "18:42", role: "operator", serves: false, declaredPortals: undefined, name: undefined },
      { at: "18:77", role: "operator", serves: true, declaredPortals: undefined, name: undefined },
      { at: "20:83", role: "operator", serves: false, declaredPortals: undefined, name: undefined },
      // Awaited by the request handler: reached. `unused` is exported and asks a portal. `total`
      // (not reached) and `lookup` (exported, but asks nothing) are ordinary code.
      { at: "4:1", role: "helper", serves: false, declaredPortals: undefined, name: "price" },
      { at: "10:1", role: "helper", serves: false, declaredPortals: undefined, name: "unused" },
    ]);
  });

  test("without a checker, a callback's parameter is a builder when the file's function it is passed to annotates it so", () => {
    const text = `import { PortalsApp, type ApplicationBuilder } from "portals-ts";
declare const s: any;
function each(define: (app: ApplicationBuilder) => void) { return PortalsApp("a", define); }
const other = (define: (app: unknown) => void) => define(null);
each((app) => { app.workflows("w").source(s).map(async (x: number) => x); });
other((app: any) => { app.workflows("w").source(s).map(async (x: number) => x); });
`;
    const module = ts.createSourceFile("/project/each.ts", text, ts.ScriptTarget.ES2022, true);
    const found = operatorCallbacks(apiView(ts, module, undefined)).map((c) => {
      const { line, character } = module.getLineAndCharacterOfPosition(c.fn.getStart(module));
      return `${line + 1}:${character + 1} ${c.method}`;
    });
    // Line 6 passes its callback to a function whose parameter is not a builder: not an operator.
    expect(found).toEqual(["5:50 map"]);
  });

  test("an exported async function that returns an HTTP client's request() does not ask a portal, one that returns a portal's does", () => {
    const text = `import { PortalsApp } from "portals-ts";
const http = { request: (u: string) => Promise.resolve(u) };
let prices: any;
export async function page(u: string) { return http.request(u); }
export async function price(x: number) { return prices.request(x); }
export default PortalsApp("a", (app) => { prices = app.portal("prices"); });
`;
    const module = ts.createSourceFile("/project/helpers.ts", text, ts.ScriptTarget.ES2022, true);
    const moduleView = apiView(ts, module, undefined);
    expect(findTargets(ts, operatorCallbacks(moduleView), module, moduleView).map((x) => x.name)).toEqual(["price"]);
  });

  test("a file that does not import portals-ts has no targets, whatever its methods are called", () => {
    const plain = ts.createSourceFile("/p.ts", "declare const flow: any;\nflow.asker([], async (x: number) => x);\nexport async function f() { return await g(); }\nasync function g() { return 1; }\n", ts.ScriptTarget.ES2022, true);
    const plainView = apiView(ts, plain, undefined);
    expect(operatorCallbacks(plainView)).toEqual([]);
    expect(findTargets(ts, [], plain, plainView)).toEqual([]);
  });
});

describe("checks.ts", () => {
  const rules = new AwaitRules(ts, file, view);
  const expression = (text: string): ts.Expression => {
    const f = ts.createSourceFile("/e.ts", `(${text})`, ts.ScriptTarget.ES2022, true);
    return ((f.statements[0] as ts.ExpressionStatement).expression as ts.ParenthesizedExpression).expression;
  };

  test("AwaitRules.classify: how an accepted await suspends", () => {
    const kinds = ["inventory.request(1)", "Promise.all([a, b])", "price(1)", "remote(1)", "helpers.price(1)", "handle", "pending[0]"].map((e) => [e, rules.classify(expression(e))]);
    expect(kinds).toEqual([
      ["inventory.request(1)", "request"],
      ["Promise.all([a, b])", "all"],
      ["price(1)", "helper"],
      ["remote(1)", "helper"],
      ["helpers.price(1)", "helper"],
      ["handle", "value"],
      ["pending[0]", "value"],
    ]);
  });

  /** The diagnostics of `check` on an asker over `inventory` whose body is `body`. */
  function check(body: string, notCompiled?: [string, string]): string[] {
    const text = `${source}Tasks.asker(inventory, async (x: number, ctx: any) => {\n${body}\n});\n`;
    const module = ts.createSourceFile("/project/app.ts", text, ts.ScriptTarget.ES2022, true);
    const moduleView = apiView(ts, module, undefined);
    const own = new AwaitRules(ts, module, moduleView);
    if (notCompiled) own.notCompiled.set(...notCompiled);
    const target = findTargets(ts, operatorCallbacks(moduleView), module, moduleView).find((t) => t.role === "operator" && module.getLineAndCharacterOfPosition(t.fn.getStart(module)).line === 24)!;
    const diagnostics = new Diagnostics();
    own.check(target, diagnostics);
    return diagnostics.errors.map((e) => {
      const { line, character } = module.getLineAndCharacterOfPosition(e.node.getStart(module));
      return `${line + 1}:${character + 1} PTS${e.code} ${e.message.replace(/ in an operator: only portal requests .*$/, " …")}`;
    });
  }

  test("AwaitRules.check accepts requests, Promise.all, handles, helpers of the file and imported ones", () => {
    expect(check("await inventory.request(x); await Promise.all([inventory.request(1)]); const h = inventory.request(2); await h; await price('a'); await remote(1); await ns.f(1);")).toEqual([]);
  });

  test("AwaitRules.check reports every other await, and a request to a portal not declared", () => {
    expect(check("await fetch('u');\nawait Promise.race([]);\nawait sync();\nawait (() => 1)();\nawait 5;\nawait new Promise(() => {});\nawait prices.request(1);")).toEqual([
      "26:1 PTS93002 await of fetch(...) …",
      "27:1 PTS93002 await of Promise.race(...) …",
      "28:1 PTS93002 await of sync(...), which is not a module-level async function …",
      "29:1 PTS93002 await of a computed call …",
      "30:1 PTS93002 await of `5` …",
      "31:1 PTS93002 await of new Promise(...) …",
      "32:7 PTS93004 request to portal prices, which this task did not declare (it declares inventory); add prices to the task's portals",
    ]);
  });

  test("AwaitRules.check names why a helper of the file could not be compiled", () => {
    const why = "await of fetch(...) in an operator: only portal requests (portal.request(...)), and more";
    expect(check("await price('a');", ["price", why])).toEqual(["26:1 PTS93002 await of price(...), an async helper that cannot be compiled (it awaits fetch(...)) …"]);
  });

  test("checkReplies: ctx.reply only in a request handler", () => {
    const diagnostics = new Diagnostics();
    checkReplies(ts, operatorCallbacks(view), diagnostics);
    expect(diagnostics.errors.map((e) => `${at(e.node)} PTS${e.code}`)).toEqual([]);
    const wrong = ts.createSourceFile("/w.ts", 'import { Tasks } from "portals-ts";\nTasks.map((x, ctx) => ctx.reply(x));\nTasks.replier(p, (x, c) => 1, (r, c) => c.reply(r));\n', ts.ScriptTarget.ES2022, true);
    checkReplies(ts, operatorCallbacks(apiView(ts, wrong, undefined)), diagnostics);
    expect(diagnostics.errors.map((e) => [e.code, e.message])).toEqual([
      [93005, "ctx.reply(...) in the event handler of map(...): only a replier's request handler (the onAsk callback of replier or askerReplier) has a request to answer"],
    ]);
  });
});
