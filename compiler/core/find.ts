/**
 * Where to rewrite: the async functions passed as operator callbacks, and the module-level async
 * functions (helpers) that operators may await (docs/compiler.md, "Finding targets"). No type
 * checker is needed: the operator methods are recognised by name, because the builder API fixes
 * both the names and the argument positions of their callbacks.
 */
import type * as ts from "typescript";

/** Builder methods and the argument positions of their callbacks. */
const EVENT_CALLBACKS: ReadonlyMap<string, readonly number[]> = new Map([
  ["map", [0]],
  ["filter", [0]],
  ["flatMap", [0]],
  ["processor", [0]],
  ["withOnNext", [0]],
  ["asker", [1]],
  ["replier", [1]],
  ["askerReplier", [2]],
]);
/** Builder methods and the positions of their portal request handlers (`onAsk`). */
const ASK_CALLBACKS: ReadonlyMap<string, readonly number[]> = new Map([
  ["replier", [2]],
  ["askerReplier", [3]],
]);
/** Builder methods and the position of their declared portals argument. */
const PORTALS_ARGUMENT: ReadonlyMap<string, number> = new Map([
  ["asker", 0],
  ["askerReplier", 0],
]);

/** An async function to compile. */
export interface Target {
  readonly fn: ts.ArrowFunction | ts.FunctionExpression | ts.FunctionDeclaration;
  /** `operator`: a callback `(event, ctx)`; `helper`: a module-level async function. */
  readonly role: "operator" | "helper";
  /** For operators: the request handler of a replier (may call `ctx.reply`). */
  readonly serves: boolean;
  /** For askers: names of the declared portals, when they are plain identifiers. */
  readonly declaredPortals: readonly string[] | undefined;
  /** For helpers: the name it is called by. */
  readonly name: string | undefined;
}

function isAsync(t: typeof ts, node: ts.Node): boolean {
  return t.canHaveModifiers(node) && (t.getModifiers(node) ?? []).some((m) => m.kind === t.SyntaxKind.AsyncKeyword);
}

function isFunctionValue(t: typeof ts, node: ts.Node | undefined): node is ts.ArrowFunction | ts.FunctionExpression {
  return node !== undefined && (t.isArrowFunction(node) || t.isFunctionExpression(node));
}

/** A function passed as an operator callback. */
export interface OperatorCallback {
  readonly fn: ts.ArrowFunction | ts.FunctionExpression;
  /** The builder method it is passed to (`asker`, `map`, …). */
  readonly method: string;
  /** True for a replier's request handler (`onAsk`). */
  readonly serves: boolean;
  readonly call: ts.CallExpression;
}

/** Every function (async or not) passed as an operator callback in `file`. */
export function operatorCallbacks(t: typeof ts, file: ts.SourceFile): OperatorCallback[] {
  const found: OperatorCallback[] = [];
  const visit = (node: ts.Node): void => {
    if (t.isCallExpression(node) && t.isPropertyAccessExpression(node.expression)) {
      const method = node.expression.name.text;
      for (const [table, serves] of [[EVENT_CALLBACKS, false], [ASK_CALLBACKS, true]] as const) {
        for (const i of table.get(method) ?? []) {
          const arg = node.arguments[i];
          if (isFunctionValue(t, arg)) found.push({ fn: arg, method, serves, call: node });
        }
      }
    }
    t.forEachChild(node, visit);
  };
  visit(file);
  return found;
}

/** Every async function of `file` to compile: async operator callbacks, then helpers. */
export function findTargets(t: typeof ts, callbacks: readonly OperatorCallback[], file: ts.SourceFile): Target[] {
  const targets: Target[] = callbacks
    .filter((c) => isAsync(t, c.fn))
    .map((c) => ({ fn: c.fn, role: "operator", serves: c.serves, declaredPortals: declaredPortals(t, c.call, c.method), name: undefined }));
  for (const h of moduleHelpers(t, file).values()) targets.push(h);
  return targets;
}

function declaredPortals(t: typeof ts, call: ts.CallExpression, method: string): readonly string[] | undefined {
  const at = PORTALS_ARGUMENT.get(method);
  if (at === undefined) return undefined;
  const arg = call.arguments[at];
  if (arg === undefined) return undefined;
  if (t.isIdentifier(arg)) return [arg.text];
  if (t.isArrayLiteralExpression(arg) && arg.elements.every((e) => t.isIdentifier(e))) return arg.elements.map((e) => (e as ts.Identifier).text);
  return undefined;
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
        if (t.isIdentifier(d.name) && isFunctionValue(t, d.initializer) && isAsync(t, d.initializer) && !d.initializer.asteriskToken) {
          helpers.set(d.name.text, { fn: d.initializer, role: "helper", serves: false, declaredPortals: undefined, name: d.name.text });
        }
      }
    }
  }
  return helpers;
}
