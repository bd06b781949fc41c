/**
 * Declarations as assignments to frame slots (docs/compiler.md, "Lowering"): a frame variable is
 * not declared in the emitted code, its declaration assigns its slot, so `const { a, b: [c] } =
 * v` becomes `({ a: $L.a, b: [$L.c] } = v)`. Defaults and computed keys are await-free code,
 * kept by `rewrite.ts` (which in turn comes here for the declarations it meets).
 */
import type * as ts from "typescript";
import type { Lowering } from "./lowering.js";
import { rewriteExpression } from "./rewrite.js";

/** Assigns `value` to a declared name or pattern whose variables are frame slots. */
export function assignName(lw: Lowering, name: ts.BindingName, value: ts.Expression): ts.Expression {
  return lw.f.createAssignment(assignmentTarget(lw, name), value);
}

/** The assignment target (a slot, or an object or array literal of them) of a declared name. */
export function assignmentTarget(lw: Lowering, name: ts.BindingName): ts.Expression {
  const { t, f } = lw;
  if (t.isIdentifier(name)) {
    const slot = lw.slotOf(name);
    if (slot === undefined) throw new Error(`internal: ${name.text} is not a frame slot`);
    return lw.slot(slot);
  }
  if (t.isObjectBindingPattern(name)) {
    return f.createObjectLiteralExpression(
      name.elements.map((el) => {
        const target = withDefault(lw, assignmentTarget(lw, el.name), el.initializer);
        if (el.dotDotDotToken) return f.createSpreadAssignment(target);
        const key = el.propertyName ?? (el.name as ts.Identifier);
        const keyNode = t.isComputedPropertyName(key)
          ? f.createComputedPropertyName(rewriteExpression(lw, key.expression))
          : t.isIdentifier(key)
            ? f.createIdentifier(key.text)
            : (key as ts.PropertyName);
        return f.createPropertyAssignment(keyNode, target);
      }),
    );
  }
  return f.createArrayLiteralExpression(
    name.elements.map((el) => {
      if (t.isOmittedExpression(el)) return f.createOmittedExpression();
      const target = withDefault(lw, assignmentTarget(lw, el.name), el.initializer);
      return el.dotDotDotToken ? f.createSpreadElement(target) : target;
    }),
  );
}

function withDefault(lw: Lowering, target: ts.Expression, initializer: ts.Expression | undefined): ts.Expression {
  if (initializer === undefined) return target;
  if (lw.hasAwait(initializer)) throw lw.unsupported(initializer, "an await inside a destructuring default is not supported");
  return lw.f.createAssignment(target, rewriteExpression(lw, initializer));
}
