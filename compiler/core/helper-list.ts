/**
 * The helpers a machine can call: the callees of its `await helper(...)` calls that name
 * something outside the function (a module-level or imported function, or a property of one
 * such binding). They are emitted as the machine's `helpers: () => [...]` list, from which a
 * task finds every machine whose frames it may have to restore (no registry of machines).
 * A callee held in a local of the function cannot be listed; its frames restore only if the
 * same helper is reachable otherwise.
 */
import type * as ts from "typescript";
import type { AwaitKind } from "./ir.js";
import type { Scopes } from "./scope.js";

/**
 * Fresh expressions for the listable helper callees awaited in `fn` (not in nested
 * functions), each once, in source order.
 */
export function helperCallees(t: typeof ts, fn: ts.FunctionLikeDeclaration, scopes: Scopes, classify: (operand: ts.Expression) => AwaitKind): ts.Expression[] {
  const found = new Map<string, ts.Expression>();
  const visit = (node: ts.Node): void => {
    if (node !== fn && t.isFunctionLike(node)) return;
    if (t.isAwaitExpression(node)) {
      let operand: ts.Expression = node.expression;
      while (t.isParenthesizedExpression(operand) || t.isAsExpression(operand) || t.isNonNullExpression(operand)) operand = operand.expression;
      if (t.isCallExpression(operand) && classify(operand) === "helper") {
        const copy = outerReference(t, operand.expression, scopes);
        if (copy !== undefined) found.set(operand.expression.getText(), copy);
      }
    }
    t.forEachChild(node, visit);
  };
  visit(fn);
  return [...found.values()];
}

/** A fresh copy of `e` when it is a name, or a property chain on a name, bound outside the function. */
function outerReference(t: typeof ts, e: ts.Expression, scopes: Scopes): ts.Expression | undefined {
  const f = t.factory;
  if (t.isIdentifier(e)) return scopes.bindings.has(e) ? undefined : f.createIdentifier(e.text);
  if (t.isPropertyAccessExpression(e) && e.questionDotToken === undefined && t.isIdentifier(e.name)) {
    const object = outerReference(t, e.expression, scopes);
    return object === undefined ? undefined : f.createPropertyAccessExpression(object as ts.LeftHandSideExpression, e.name.text);
  }
  return undefined;
}
