/**
 * The syntax-only checks of an operator (docs/compiler.md, "Checks"): what it may await, which
 * portals it may ask, and where `ctx.reply` may be called. They run before scope analysis, so a
 * function that breaks them is reported and never lowered. `AwaitRules.classify` is also what
 * lowering asks to pick the suspension of an accepted await.
 */
import type * as ts from "typescript";
import { Code, type Diagnostics } from "./diagnostics.js";
import type { ApiView } from "./builders.js";
import { moduleHelpers, type OperatorCallback, type Target } from "./find.js";
import type { AwaitKind } from "./ir.js";
import { isReference } from "./scope.js";

/**
 * Reports `ctx.reply(...)` in callbacks that do not serve requests: only a replier's request
 * handler has a request to answer.
 */
export function checkReplies(t: typeof ts, callbacks: readonly OperatorCallback[], diagnostics: Diagnostics): void {
  for (const c of callbacks) {
    const ctx = c.fn.parameters[1]?.name;
    if (c.serves || ctx === undefined || !t.isIdentifier(ctx) || c.fn.body === undefined) continue;
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

/** True when `call` is the operand of an await (through parentheses and type assertions). */
function isAwaited(t: typeof ts, call: ts.Node): boolean {
  let n = call.parent;
  while (t.isParenthesizedExpression(n) || t.isAsExpression(n) || t.isNonNullExpression(n) || t.isSatisfiesExpression(n)) n = n.parent;
  return t.isAwaitExpression(n);
}

/** True when `id` is a reference ({@link isReference}) and not the name a declaration binds. */
function isReferenceTo(t: typeof ts, id: ts.Identifier): boolean {
  const p = id.parent;
  if ((t.isFunctionDeclaration(p) || t.isVariableDeclaration(p) || t.isParameter(p) || t.isBindingElement(p)) && p.name === id) return false;
  return isReference(t, id);
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

  /**
   * @param compiled names of the file's helpers that are compiled or await portal requests: they
   *   can only be called as `await h(...)`, because their calls run as frames of the suspended
   *   operator
   */
  constructor(
    private readonly t: typeof ts,
    file: ts.SourceFile,
    private readonly view: ApiView,
    private readonly compiled: ReadonlySet<string> = new Set(),
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
      if (callee.name.text === "request" && this.view.mayBePortal(callee.expression)) return "request";
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
        if (t.isIdentifier(portal) && !target.declaredPortals.includes(portal.text) && this.looksLikePortal(portal.text) && this.view.mayBePortal(portal)) {
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
    this.checkHelperUses(target, diagnostics);
  }

  /**
   * Reports a compiled helper used other than as `await h(...)` by the function itself: its
   * awaits run as frames of the suspended operator, so a call that is not awaited there (in
   * `Promise.all`, a `map` callback, a `then`) would run it natively.
   */
  private checkHelperUses(target: Target, diagnostics: Diagnostics): void {
    const t = this.t;
    const visit = (node: ts.Node, nested: boolean): void => {
      if (t.isIdentifier(node) && this.compiled.has(node.text) && isReferenceTo(t, node)) {
        const call = t.isCallExpression(node.parent) && node.parent.expression === node ? node.parent : undefined;
        if (call === undefined || nested || !isAwaited(t, call)) {
          diagnostics.report(
            call ?? node,
            Code.NotARequest,
            `${node.text}${call ? "(...)" : ""} ${call ? "calls" : "passes"} the async helper ${node.text} without awaiting it in the operator: a helper that awaits portal requests runs as part of the suspended operator, ` +
              `so it can only be called as \`await ${node.text}(...)\` (not in Promise.all, a map callback or then); await the calls one by one, in a loop`,
          );
          return;
        }
      }
      t.forEachChild(node, (c) => visit(c, nested || (c !== target.fn && t.isFunctionLike(c))));
    };
    t.forEachChild(target.fn, (c) => visit(c, t.isFunctionLike(c)));
  }

  /**
   * Reports the promises of async functions in the operand of `await Promise.all(...)`: a call
   * of a module-level async function that is not compiled as part of the operator (one that
   * is, checkHelperUses reports), or an async function expression, anywhere in it (as in
   * `xs.map((v) => h(v))`). Compiled, `Promise.all` waits for portal requests only, and such a
   * promise is native.
   */
  private checkAllOperand(all: ts.CallExpression, diagnostics: Diagnostics): void {
    const t = this.t;
    const visit = (node: ts.Node): void => {
      const helper = t.isCallExpression(node) && t.isIdentifier(node.expression) && this.helpers.has(node.expression.text) && !this.compiled.has(node.expression.text) ? node.expression.text : undefined;
      const asyncFn = (t.isArrowFunction(node) || t.isFunctionExpression(node)) && (t.getCombinedModifierFlags(node) & t.ModifierFlags.Async) !== 0;
      if (helper !== undefined || asyncFn) {
        const what = helper !== undefined ? `${helper}(...), the promise of an async function` : "the promise of an async function expression";
        diagnostics.report(
          node,
          Code.NotARequest,
          `Promise.all over ${what} in an operator: compiled, Promise.all waits only for portal requests (and values), because only those can be suspended and resumed from a snapshot; ` +
            (helper !== undefined ? `await the calls one by one (for (const v of xs) results.push(await ${helper}(v)))` : "ask the portals in the callback without async (xs.map((v) => portal.request(v)))"),
        );
        return;
      }
      t.forEachChild(node, visit);
    };
    for (const a of all.arguments) visit(a);
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
        if (callee.name.text === "request") {
          if (!this.view.mayBePortal(callee.expression)) fail(`${callee.expression.getText()}.request(...), which is not a portal request (its receiver is not a portal ref)`);
          return;
        }
        if (t.isIdentifier(callee.expression) && callee.expression.text === "Promise") {
          if (callee.name.text !== "all") fail(`Promise.${callee.name.text}(...)`);
          else this.checkAllOperand(operand, diagnostics);
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
