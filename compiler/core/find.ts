/**
 * Where to rewrite (DESIGN §6): the async functions passed as operator callbacks, and the
 * module-level async functions (helpers) that operators may await. Also the syntax-only checks
 * of what such a function awaits and which portals it asks. No type checker is needed: the
 * operator methods are recognised by name, as the builder API fixes them (DESIGN §4).
 */
import type * as ts from "typescript";
import { Code, type Diagnostics } from "./diagnostics.js";
import type { AwaitKind } from "./lower.js";

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

/**
 * Reports `ctx.reply(...)` in callbacks that do not serve requests (DESIGN §6): only a
 * replier's request handler has a request to answer.
 */
export function checkReplies(t: typeof ts, callbacks: readonly OperatorCallback[], diagnostics: Diagnostics): void {
  for (const c of callbacks) {
    const ctx = c.fn.parameters[1]?.name;
    if (c.serves || ctx === undefined || !t.isIdentifier(ctx)) continue;
    const visit = (node: ts.Node): void => {
      if (
        t.isCallExpression(node) &&
        t.isPropertyAccessExpression(node.expression) &&
        node.expression.name.text === "reply" &&
        t.isIdentifier(node.expression.expression) &&
        node.expression.expression.text === ctx.text
      ) {
        diagnostics.report(
          node,
          Code.ReplyOutsideReplier,
          `${ctx.text}.reply(...) in the event handler of ${c.method}(...): only a replier's request handler (the onAsk callback of replier or askerReplier) has a request to answer`,
        );
      }
      t.forEachChild(node, visit);
    };
    visit(c.fn.body);
  }
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

/** Names imported into `file` (any module). */
function importedNames(t: typeof ts, file: ts.SourceFile): Set<string> {
  const names = new Set<string>();
  for (const s of file.statements) {
    if (!t.isImportDeclaration(s) || !s.importClause) continue;
    const c = s.importClause;
    if (c.name) names.add(c.name.text);
    if (c.namedBindings && t.isNamespaceImport(c.namedBindings)) names.add(c.namedBindings.name.text);
    if (c.namedBindings && t.isNamedImports(c.namedBindings)) for (const e of c.namedBindings.elements) names.add(e.name.text);
  }
  return names;
}

/** Classifies and checks the awaits of the functions of one file. */
export class AwaitRules {
  private readonly helpers: Map<string, Target>;
  private readonly imported: Set<string>;
  private readonly declared = new Set<string>();
  /** Module-level async functions that could not be compiled, with the reason. */
  readonly notCompiled = new Map<string, string>();

  constructor(
    private readonly t: typeof ts,
    file: ts.SourceFile,
  ) {
    this.helpers = moduleHelpers(t, file);
    this.imported = importedNames(t, file);
    const collect = (node: ts.Node): void => {
      if ((t.isFunctionDeclaration(node) || t.isVariableDeclaration(node) || t.isParameter(node) || t.isClassDeclaration(node)) && node.name && t.isIdentifier(node.name)) {
        this.declared.add(node.name.text);
      }
      if (t.isBindingElement(node) && t.isIdentifier(node.name)) this.declared.add(node.name.text);
      t.forEachChild(node, collect);
    };
    collect(file);
  }

  /** How `await operand` is lowered (after {@link check} accepted it). */
  classify(operand: ts.Expression): AwaitKind {
    const t = this.t;
    if (!t.isCallExpression(operand)) return "value";
    const callee = operand.expression;
    if (t.isPropertyAccessExpression(callee)) {
      if (callee.name.text === "request") return "request";
      if (t.isIdentifier(callee.expression) && callee.expression.text === "Promise") return "all";
    }
    return "helper";
  }

  /**
   * Reports awaits that are not portal requests, compiled helpers or request handles, and
   * requests to portals the operator did not declare.
   */
  check(target: Target, diagnostics: Diagnostics): void {
    const t = this.t;
    const visit = (node: ts.Node): void => {
      if (node !== target.fn && t.isFunctionLike(node)) return;
      if (t.isAwaitExpression(node)) this.checkAwait(node, diagnostics);
      if (target.declaredPortals && t.isCallExpression(node) && t.isPropertyAccessExpression(node.expression) && node.expression.name.text === "request") {
        const portal = node.expression.expression;
        if (t.isIdentifier(portal) && !target.declaredPortals.includes(portal.text) && this.looksLikePortal(portal.text)) {
          diagnostics.report(
            node,
            Code.UndeclaredPortal,
            `request to portal ${portal.text}, which this task did not declare (it declares ${target.declaredPortals.join(", ")}); add ${portal.text} to the task's portals`,
          );
        }
      }
      t.forEachChild(node, visit);
    };
    visit(target.fn);
  }

  /** A name bound to something that may be a portal ref (declared in the file or imported). */
  private looksLikePortal(name: string): boolean {
    return this.declared.has(name) || this.imported.has(name);
  }

  private checkAwait(node: ts.AwaitExpression, diagnostics: Diagnostics): void {
    const t = this.t;
    let operand: ts.Expression = node.expression;
    while (t.isParenthesizedExpression(operand) || t.isAsExpression(operand) || t.isNonNullExpression(operand)) operand = operand.expression;
    const fail = (what: string): void =>
      diagnostics.report(
        node,
        Code.NotARequest,
        `await of ${what} in an operator: only portal requests (portal.request(...)), Promise.all over them, and async helpers that await them can be awaited, because only those can be suspended and resumed from a snapshot`,
      );
    if (t.isCallExpression(operand)) {
      const callee = operand.expression;
      if (t.isPropertyAccessExpression(callee)) {
        if (callee.name.text === "request") return;
        if (t.isIdentifier(callee.expression) && callee.expression.text === "Promise") {
          if (callee.name.text !== "all") fail(`Promise.${callee.name.text}(...)`);
          return;
        }
        return; // a helper reached through a namespace or object; checked at run time
      }
      if (t.isIdentifier(callee)) {
        const helper = this.helpers.get(callee.text);
        const why = this.notCompiled.get(callee.text);
        if (why !== undefined) {
          fail(`${callee.text}(...), an async helper that cannot be compiled (${why.replace(/^await of /, "it awaits ").split(" in an operator")[0]})`);
          return;
        }
        if (helper !== undefined || this.imported.has(callee.text)) return;
        fail(this.declared.has(callee.text) ? `${callee.text}(...), which is not a module-level async function` : `${callee.text}(...)`);
        return;
      }
      fail("a computed call");
      return;
    }
    if (t.isIdentifier(operand) || t.isPropertyAccessExpression(operand) || t.isElementAccessExpression(operand)) return; // a request handle
    if (t.isNewExpression(operand)) return fail(`new ${operand.expression.getText()}(...)`);
    const text = operand.getText();
    fail(`\`${text.length > 40 ? text.slice(0, 37) + "..." : text}\``);
  }

}
