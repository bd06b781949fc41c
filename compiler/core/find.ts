/**
 * Where to rewrite (docs/compiler.md, "Finding targets"): the async functions passed to
 * portals-ts's operator methods (which calls those are is `builders.ts`'s business), and the
 * module-level async functions (helpers) that operators may await. A file that does not use
 * portals-ts has no targets; in one that does, a helper is compiled when an operator of the file
 * awaits it (directly or through other helpers), or when it is exported and awaits a portal
 * request (operators of other modules may await it): other async functions are ordinary code
 * and are left alone.
 */
import type * as ts from "typescript";
import type { ApiView, OperatorCall } from "./builders.js";
import { returnsRequest } from "./scope.js";

/** An async function to compile. */
export interface Target {
  readonly fn: ts.ArrowFunction | ts.FunctionExpression | ts.FunctionDeclaration;
  /** `operator`: a callback `(event, ctx)`; `helper`: a module-level async function. */
  readonly role: "operator" | "helper";
  /** For operators: the request handler of a replier (may call `ctx.reply`). */
  readonly serves: boolean;
  /** For askers: names of the declared portals, when they are plain identifiers. */
  readonly declaredPortals: readonly string[] | undefined;
  /** For helpers, and operators passed by name: the module-level name. */
  readonly name: string | undefined;
}

/** A function passed as an operator callback. */
export type OperatorCallback = OperatorCall;

function isAsync(t: typeof ts, node: ts.Node): boolean {
  return t.canHaveModifiers(node) && (t.getModifiers(node) ?? []).some((m) => m.kind === t.SyntaxKind.AsyncKeyword);
}

/** Every function (async or not) passed as an operator callback in the file of `view`. */
export function operatorCallbacks(view: ApiView): OperatorCallback[] {
  return view.operatorCalls();
}

/**
 * Every async function of `file` to compile: async operator callbacks, then the helpers that
 * operators of the file can reach or that the file exports.
 */
export function findTargets(t: typeof ts, callbacks: readonly OperatorCallback[], file: ts.SourceFile, view: ApiView): Target[] {
  if (!view.usesPortals && callbacks.length === 0) return [];
  const helpers = moduleHelpers(t, file);
  const targets: Target[] = [];
  const byFunction = new Map<ts.Node, Target>();
  for (const c of callbacks) {
    if (!isAsync(t, c.fn) || byFunction.has(c.fn)) continue;
    const name = nameOf(t, c.fn);
    const target: Target = { fn: c.fn, role: "operator", serves: c.serves, declaredPortals: declaredPortals(t, c.portals), name };
    byFunction.set(c.fn, target);
    targets.push(target);
  }
  const reached = reachable(
    t,
    targets.map((x) => x.fn),
    helpers,
  );
  const asking = askingHelpers(t, helpers, view);
  for (const [name, helper] of helpers) {
    if (byFunction.has(helper.fn)) continue; // passed by name as an operator: compiled as one
    if (reached.has(name) || (isExported(t, helper.fn) && asking.has(name))) targets.push(helper);
  }
  return targets;
}

/** Names of the module-level async functions of `file` that ask a portal (see {@link askingHelpers}). */
export function helpersThatAsk(t: typeof ts, file: ts.SourceFile, view: ApiView): Set<string> {
  return askingHelpers(t, moduleHelpers(t, file), view);
}

/**
 * Names of the helpers that await a portal request: `x.request(…)` on what may be a portal ref,
 * `Promise.all` over such requests, or another such helper of the file.
 */
function askingHelpers(t: typeof ts, helpers: ReadonlyMap<string, Target>, view: ApiView): Set<string> {
  const direct = new Map<string, Set<string>>();
  const asking = new Set<string>();
  for (const [name, helper] of helpers) {
    const calls = new Set<string>();
    const visit = (node: ts.Node): void => {
      if (node !== helper.fn && t.isFunctionLike(node)) return;
      // `return http.request(u)` of an HTTP client does not ask a portal.
      const returned = returnsRequest(t, node, helper.fn);
      const callee = returned?.expression as ts.PropertyAccessExpression | undefined;
      if (callee !== undefined && (callee.name.text !== "request" || view.mayBePortal(callee.expression))) asking.add(name);
      if (t.isAwaitExpression(node)) {
        let operand: ts.Expression = node.expression;
        while (t.isParenthesizedExpression(operand)) operand = operand.expression;
        if (t.isCallExpression(operand)) {
          const callee = operand.expression;
          if (t.isPropertyAccessExpression(callee) && callee.name.text === "request" && view.mayBePortal(callee.expression)) asking.add(name);
          else if (t.isPropertyAccessExpression(callee) && t.isIdentifier(callee.expression) && callee.expression.text === "Promise" && /\.request\(/.test(operand.getText())) asking.add(name);
          else if (t.isIdentifier(callee)) calls.add(callee.text);
        }
      }
      t.forEachChild(node, visit);
    };
    t.forEachChild(helper.fn, visit);
    direct.set(name, calls);
  }
  for (let changed = true; changed; ) {
    changed = false;
    for (const [name, calls] of direct) {
      if (!asking.has(name) && [...calls].some((c) => asking.has(c))) {
        asking.add(name);
        changed = true;
      }
    }
  }
  return asking;
}

/** The module-level name of a function passed by name (a declaration or `const f = …`). */
function nameOf(t: typeof ts, fn: OperatorCallback["fn"]): string | undefined {
  if (t.isFunctionDeclaration(fn)) return fn.name?.text;
  const d = fn.parent;
  return t.isVariableDeclaration(d) && t.isIdentifier(d.name) ? d.name.text : undefined;
}

function declaredPortals(t: typeof ts, arg: ts.Expression | undefined): readonly string[] | undefined {
  if (arg === undefined) return undefined;
  if (t.isIdentifier(arg)) return [arg.text];
  if (t.isArrayLiteralExpression(arg) && arg.elements.every((e) => t.isIdentifier(e))) return arg.elements.map((e) => (e as ts.Identifier).text);
  return undefined;
}

/** Names of the helpers that `roots` await, directly or through other helpers. */
function reachable(t: typeof ts, roots: readonly ts.Node[], helpers: ReadonlyMap<string, Target>): Set<string> {
  const found = new Set<string>();
  const pending = [...roots];
  const visit = (fn: ts.Node) => (node: ts.Node): void => {
    if (node !== fn && t.isFunctionLike(node)) return;
    if (t.isAwaitExpression(node)) {
      let operand: ts.Expression = node.expression;
      while (t.isParenthesizedExpression(operand)) operand = operand.expression;
      if (t.isCallExpression(operand) && t.isIdentifier(operand.expression)) {
        const helper = helpers.get(operand.expression.text);
        if (helper !== undefined && !found.has(operand.expression.text)) {
          found.add(operand.expression.text);
          pending.push(helper.fn);
        }
      }
    }
    t.forEachChild(node, visit(fn));
  };
  for (let fn = pending.pop(); fn !== undefined; fn = pending.pop()) t.forEachChild(fn, visit(fn));
  return found;
}

function isExported(t: typeof ts, fn: Target["fn"]): boolean {
  const statement = t.isFunctionDeclaration(fn) ? fn : fn.parent.parent.parent;
  return t.canHaveModifiers(statement) && (t.getModifiers(statement) ?? []).some((m) => m.kind === t.SyntaxKind.ExportKeyword);
}

/** Module-level async functions by name: `async function f` and `const f = async (…) => …`. */
export function moduleHelpers(t: typeof ts, file: ts.SourceFile): Map<string, Target> {
  const helpers = new Map<string, Target>();
  for (const s of file.statements) {
    if (t.isFunctionDeclaration(s) && s.name && s.body && isAsync(t, s) && !s.asteriskToken) {
      helpers.set(s.name.text, { fn: s, role: "helper", serves: false, declaredPortals: undefined, name: s.name.text });
    }
    if (t.isVariableStatement(s)) {
      for (const d of s.declarationList.declarations) {
        const init = d.initializer;
        if (t.isIdentifier(d.name) && init !== undefined && (t.isArrowFunction(init) || t.isFunctionExpression(init)) && isAsync(t, init) && !init.asteriskToken) {
          helpers.set(d.name.text, { fn: init, role: "helper", serves: false, declaredPortals: undefined, name: d.name.text });
        }
      }
    }
  }
  return helpers;
}
