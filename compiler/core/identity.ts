/**
 * Machine identity (docs/compiler.md, "Machine identity"): the id a snapshot finds a suspended
 * frame's code by. It must be the same for every host and bundler and survive edits elsewhere in
 * the file, so it is the module's path relative to its package (the nearest `package.json`) and
 * a name from the function's place in the program, never its line and column:
 *
 *   helper, or operator passed by name   `src/shop.ts#reserve`
 *   operator of a workflow               `src/shop.ts#cart/asker#1` (the first asker of workflow
 *                                        "cart"), or `src/shop.ts#cart/reserve` when the task is
 *                                        named with `.withName("reserve")`
 *   `const addToCart = Tasks.asker(…)`   `src/shop.ts#addToCart`
 *   anything else                        `src/shop.ts#asker#2` (the second such asker of the file)
 *
 * A replier's two callbacks are `…:onNext` and `…:onAsk`. Two functions that would get the same
 * name get `~2`, `~3`, … in source order. Editing a function changes its version (a hash of its
 * text), never its id, so a restore into changed code is refused naming the operator.
 */
import { sha256 } from "@noble/hashes/sha2";
import { bytesToHex } from "@noble/hashes/utils";
import type * as ts from "typescript";
import type { OperatorCall } from "./builders.js";
import type { Target } from "./find.js";

/**
 * The version of a function's code: the first 12 hex digits of the SHA-256 of the compiler
 * version, a NUL and the function's text (as UTF-8). Snapshots hold it, so it must stay byte for
 * byte what it was; a JavaScript SHA-256 rather than `node:crypto`, so that the compiler core
 * also runs in a browser (the playground compiles there).
 */
export function codeVersion(compilerVersion: string, text: string): string {
  return bytesToHex(sha256.create().update(compilerVersion).update("\0").update(text).digest()).slice(0, 12);
}

/**
 * The path of the module `fileName` relative to the directory `root`, segments joined with `/`
 * (`../` when the file is outside `root`): what `path.relative` gives on POSIX, for the absolute
 * names TypeScript and the hosts use. Backslashes count as separators, so a Windows name gives the
 * same path. Written out rather than taken from `node:path` so that the compiler core also runs
 * in a browser, where there is no working directory to resolve a relative name against.
 */
export function modulePath(root: string, fileName: string): string {
  const from = segments(root);
  const to = segments(fileName);
  let common = 0;
  while (common < from.length && common < to.length && from[common] === to[common]) common++;
  return [...from.slice(common).map(() => ".."), ...to.slice(common)].join("/");
}

/** The segments of an absolute path, without empty ones and `.`, each `..` taking away the one before it. */
function segments(path: string): string[] {
  const parts = path.split(/[\\/]/);
  // A Windows drive (`C:`) is part of the root, as the leading `/` is: `..` never takes it away.
  const root = /^[A-Za-z]:$/.test(parts[0]!) ? 1 : 0;
  const out: string[] = [];
  for (const segment of parts) {
    if (segment === "" || segment === ".") continue;
    if (segment !== "..") out.push(segment);
    else if (out.length > root) out.pop();
  }
  return out;
}

/** The builder method that starts a workflow's chain, `app.workflows("name")`. */
const WORKFLOW = "workflows";

/**
 * The names of `targets` in `file` (see the module header), by function. `operators` are the
 * operator calls the targets come from (for their method, position and builder chain).
 */
export function machineNames(t: typeof ts, file: ts.SourceFile, targets: readonly Target[], operators: readonly OperatorCall[]): Map<ts.Node, string> {
  const byFn = new Map(operators.map((o) => [o.fn as ts.Node, o]));
  const counts = new Map<string, number>();
  const names = new Map<ts.Node, string>();
  const taken = new Set<string>();
  const unique = (name: string): string => {
    let candidate = name;
    for (let n = 2; taken.has(candidate); n++) candidate = `${name}~${n}`;
    taken.add(candidate);
    return candidate;
  };
  const nth = (key: string): number => {
    const n = (counts.get(key) ?? 0) + 1;
    counts.set(key, n);
    return n;
  };
  // The two callbacks of one replier call share its base name (and its number).
  const bases = new Map<ts.Node, string>();
  const sorted = [...targets].sort((a, b) => a.fn.getStart(file) - b.fn.getStart(file));
  for (const target of sorted) {
    const operator = byFn.get(target.fn);
    if (target.name !== undefined) {
      names.set(target.fn, unique(target.name + suffix(operator)));
      continue;
    }
    if (operator === undefined) {
      names.set(target.fn, unique(`helper#${nth("helper")}`));
      continue;
    }
    const call = operator.fn.parent;
    const known = bases.get(call);
    if (known !== undefined) {
      names.set(target.fn, unique(known + suffix(operator)));
      continue;
    }
    const explicit = t.isCallExpression(call) ? taskName(t, call) : undefined;
    const workflow = t.isCallExpression(call) ? workflowName(t, call) : undefined;
    const variable = t.isCallExpression(call) ? variableName(t, call) : undefined;
    let base: string;
    if (explicit !== undefined) base = workflow !== undefined ? `${workflow}/${explicit}` : explicit;
    else if (workflow !== undefined) base = `${workflow}/${operator.method}#${nth(`${workflow}/${operator.method}`)}`;
    else if (variable !== undefined) base = variable;
    else base = `${operator.method}#${nth(operator.method)}`;
    bases.set(call, base);
    names.set(target.fn, unique(base + suffix(operator)));
  }
  return names;
}

/** `:onNext`/`:onAsk` for the two callbacks of a replier, nothing for other operators. */
function suffix(operator: OperatorCall | undefined): string {
  if (operator === undefined || (operator.method !== "replier" && operator.method !== "askerReplier")) return "";
  return operator.serves ? ":onAsk" : ":onNext";
}

/** The name a `.withName("…")` right after the operator call gives its task, if any. */
function taskName(t: typeof ts, call: ts.CallExpression): string | undefined {
  const access = call.parent;
  if (!t.isPropertyAccessExpression(access) || access.name.text !== "withName") return undefined;
  const named = access.parent;
  const arg = t.isCallExpression(named) ? named.arguments[0] : undefined;
  return arg !== undefined && t.isStringLiteralLike(arg) ? arg.text : undefined;
}

/**
 * The name of the workflow whose builder chain the operator call is on: the literal argument of
 * the `.workflows("…")` call that starts the chain, followed through the receivers (and through
 * `const flow = …` variables of the file), or the workflow of the `.task(…)` call an inline
 * `Tasks.x(…)` is passed to.
 */
function workflowName(t: typeof ts, call: ts.CallExpression): string | undefined {
  const parent = call.parent;
  if (t.isCallExpression(parent) && parent.arguments.includes(call) && t.isPropertyAccessExpression(parent.expression) && parent.expression.name.text === "task") {
    return workflowName(t, parent);
  }
  const seen = new Set<ts.Node>();
  let e: ts.Expression = call.expression;
  for (let steps = 0; steps < 200 && !seen.has(e); steps++) {
    seen.add(e);
    if (t.isParenthesizedExpression(e) || t.isAsExpression(e) || t.isNonNullExpression(e)) e = e.expression;
    else if (t.isPropertyAccessExpression(e)) e = e.expression;
    else if (t.isCallExpression(e)) {
      const callee = e.expression;
      if (t.isPropertyAccessExpression(callee) && callee.name.text === WORKFLOW) {
        const arg = e.arguments[0];
        return arg !== undefined && t.isStringLiteralLike(arg) ? arg.text : undefined;
      }
      e = callee;
    } else if (t.isIdentifier(e)) {
      const init = initializerOf(t, e);
      if (init === undefined) return undefined;
      e = init;
    } else return undefined;
  }
  return undefined;
}

/** The initializer of the `const`/`let` the identifier names in an enclosing scope, if any. */
function initializerOf(t: typeof ts, id: ts.Identifier): ts.Expression | undefined {
  for (let n: ts.Node | undefined = id.parent; n !== undefined; n = n.parent) {
    const statements = t.isSourceFile(n) || t.isBlock(n) || t.isModuleBlock(n) ? n.statements : undefined;
    for (const s of statements ?? []) {
      if (!t.isVariableStatement(s)) continue;
      for (const d of s.declarationList.declarations) if (t.isIdentifier(d.name) && d.name.text === id.text) return d.initializer;
    }
  }
  return undefined;
}

/** The variable a call initialises (`const addToCart = Tasks.asker(…)`), through `.with…(…)` calls. */
function variableName(t: typeof ts, call: ts.CallExpression): string | undefined {
  let node: ts.Node = call;
  while (t.isPropertyAccessExpression(node.parent) && t.isCallExpression(node.parent.parent) && node.parent.name.text.startsWith("with")) node = node.parent.parent;
  const d = node.parent;
  if (t.isVariableDeclaration(d) && d.initializer === node && t.isIdentifier(d.name)) return d.name.text;
  if (t.isExportAssignment(d)) return "default";
  return undefined;
}
