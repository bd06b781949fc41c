/**
 * Finding what to compile (`compiler/core/find.ts`: operator callbacks, helpers, targets) and
 * the await rules that check and classify their awaits (`compiler/core/checks.ts`), on one
 * small module, with exact results.
 */
import * as ts from "typescript";
import { describe, expect, test } from "vitest";
import { AwaitRules, checkReplies } from "../../../compiler/core/checks.js";
import { Diagnostics } from "../../../compiler/core/diagnostics.js";
import { findTargets, moduleHelpers, operatorCallbacks, type Target } from "../../../compiler/core/find.js";

const source = `import { Tasks } from "portals-ts";
import { remote } from "./remote.js";
declare const flow: any, inventory: any, prices: any, portalsOf: any;
async function price(item: string) { return await prices.request(item); }
const total = async (xs: number[]) => xs.length;
function* numbers() { yield 1; }
async function* stream() { yield 1; }
export const lookup = async function named(x: number) { return x; };
function sync() { return 1; }
flow.map((x: number) => x + 1);
flow.asker([inventory, prices], async (x: number, ctx: any) => { ctx.emit(await inventory.request(x)); });
flow.replier(inventory, (x: number, ctx: any) => ctx.emit(x), async (req: string, ctx: any) => ctx.reply(await price(req)));
flow.askerReplier(portalsOf(), prices, async (x: number, ctx: any) => {}, async (r: number, ctx: any) => {});
Tasks.asker(inventory, function (x: number, ctx: any) { flow.filter(async (y: number) => y > x); });
`;
const file = ts.createSourceFile("/project/app.ts", source, ts.ScriptTarget.ES2022, true);

/** `line:column` (1-based) of a node. */
function at(node: ts.Node): string {
  const { line, character } = file.getLineAndCharacterOfPosition(node.getStart(file));
  return `${line + 1}:${character + 1}`;
}

function describeTarget(target: Target) {
  return { at: at(target.fn), role: target.role, serves: target.serves, declaredPortals: target.declaredPortals, name: target.name };
}

describe("find.ts", () => {
  test("operatorCallbacks: every function passed where a builder method takes a callback, async or not", () => {
    const found = operatorCallbacks(ts, file).map((c) => ({ at: at(c.fn), method: c.method, serves: c.serves, call: at(c.call) }));
    expect(found).toEqual([
      { at: "10:10", method: "map", serves: false, call: "10:1" },
      { at: "11:33", method: "asker", serves: false, call: "11:1" },
      { at: "12:25", method: "replier", serves: false, call: "12:1" },
      { at: "12:63", method: "replier", serves: true, call: "12:1" },
      { at: "13:40", method: "askerReplier", serves: false, call: "13:1" },
      { at: "13:75", method: "askerReplier", serves: true, call: "13:1" },
      { at: "14:24", method: "asker", serves: false, call: "14:1" },
      // Found inside another callback too (a sync one here).
      { at: "14:69", method: "filter", serves: false, call: "14:57" },
    ]);
  });

  test("moduleHelpers: module-level async functions and async function values, not generators", () => {
    const helpers = moduleHelpers(ts, file);
    expect([...helpers.keys()]).toEqual(["price", "total", "lookup"]);
    expect([...helpers.values()].map(describeTarget)).toEqual([
      { at: "4:1", role: "helper", serves: false, declaredPortals: undefined, name: "price" },
      { at: "5:15", role: "helper", serves: false, declaredPortals: undefined, name: "total" },
      { at: "8:23", role: "helper", serves: false, declaredPortals: undefined, name: "lookup" },
    ]);
  });

  test("findTargets: the async operator callbacks (with their declared portals when plain names), then the helpers", () => {
    const targets = findTargets(ts, operatorCallbacks(ts, file), file).map(describeTarget);
    expect(targets).toEqual([
      { at: "11:33", role: "operator", serves: false, declaredPortals: ["inventory", "prices"], name: undefined },
      { at: "12:63", role: "operator", serves: true, declaredPortals: undefined, name: undefined },
      // askerReplier declares its portals with a call: not known.
      { at: "13:40", role: "operator", serves: false, declaredPortals: undefined, name: undefined },
      { at: "13:75", role: "operator", serves: true, declaredPortals: undefined, name: undefined },
      { at: "14:69", role: "operator", serves: false, declaredPortals: undefined, name: undefined },
      { at: "4:1", role: "helper", serves: false, declaredPortals: undefined, name: "price" },
      { at: "5:15", role: "helper", serves: false, declaredPortals: undefined, name: "total" },
      { at: "8:23", role: "helper", serves: false, declaredPortals: undefined, name: "lookup" },
    ]);
  });
});

describe("checks.ts", () => {
  const rules = new AwaitRules(ts, file);
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
    const text = `${source}flow.asker(inventory, async (x: number, ctx: any) => {\n${body}\n});\n`;
    const module = ts.createSourceFile("/project/app.ts", text, ts.ScriptTarget.ES2022, true);
    const own = new AwaitRules(ts, module);
    if (notCompiled) own.notCompiled.set(...notCompiled);
    const target = findTargets(ts, operatorCallbacks(ts, module), module).find((t) => t.role === "operator" && module.getLineAndCharacterOfPosition(t.fn.getStart(module)).line === 14)!;
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
      "16:1 PTS9002 await of fetch(...) …",
      "17:1 PTS9002 await of Promise.race(...) …",
      "18:1 PTS9002 await of sync(...), which is not a module-level async function …",
      "19:1 PTS9002 await of a computed call …",
      "20:1 PTS9002 await of `5` …",
      "21:1 PTS9002 await of new Promise(...) …",
      "22:7 PTS9004 request to portal prices, which this task did not declare (it declares inventory); add prices to the task's portals",
    ]);
  });

  test("AwaitRules.check names why a helper of the file could not be compiled", () => {
    const why = "await of fetch(...) in an operator: only portal requests (portal.request(...)), and more";
    expect(check("await price('a');", ["price", why])).toEqual(["16:1 PTS9002 await of price(...), an async helper that cannot be compiled (it awaits fetch(...)) …"]);
  });

  test("checkReplies: ctx.reply only in a request handler", () => {
    const diagnostics = new Diagnostics();
    checkReplies(ts, operatorCallbacks(ts, file), diagnostics);
    expect(diagnostics.errors.map((e) => `${at(e.node)} PTS${e.code}`)).toEqual([]);
    const wrong = ts.createSourceFile("/w.ts", "flow.map((x, ctx) => ctx.reply(x));\nflow.replier(p, (x, c) => 1, (r, c) => c.reply(r));\n", ts.ScriptTarget.ES2022, true);
    checkReplies(ts, operatorCallbacks(ts, wrong), diagnostics);
    expect(diagnostics.errors.map((e) => [e.code, e.message])).toEqual([
      [9005, "ctx.reply(...) in the event handler of map(...): only a replier's request handler (the onAsk callback of replier or askerReplier) has a request to answer"],
    ]);
  });
});
