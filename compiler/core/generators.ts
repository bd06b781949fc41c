/**
 * Generator objects, recognised by syntax: a call of a generator function (`function*`) written
 * in place or declared in an enclosing scope of the file. A generator object is not data (its
 * position is hidden inside it), so it cannot be kept across an await, and a `for…of` whose body
 * awaits cannot iterate one (docs/compiler.md, "Unsupported constructs").
 */
import type * as ts from "typescript";

/** True when `e` is a call of a generator function (in place, or declared by name in scope). */
export function isGeneratorCall(t: typeof ts, e: ts.Expression): boolean {
  const call = unwrap(t, e);
  if (!t.isCallExpression(call)) return false;
  const callee = unwrap(t, call.expression);
  if (t.isFunctionExpression(callee)) return callee.asteriskToken !== undefined;
  if (!t.isIdentifier(callee)) return false;
  for (let n: ts.Node | undefined = callee.parent; n !== undefined; n = n.parent) {
    const statements = t.isSourceFile(n) || t.isBlock(n) || t.isModuleBlock(n) ? n.statements : undefined;
    for (const s of statements ?? []) {
      if (t.isFunctionDeclaration(s) && s.name?.text === callee.text) return s.asteriskToken !== undefined;
      if (t.isVariableStatement(s)) {
        for (const d of s.declarationList.declarations) {
          if (t.isIdentifier(d.name) && d.name.text === callee.text && d.initializer !== undefined) {
            const init = unwrap(t, d.initializer);
            return t.isFunctionExpression(init) && init.asteriskToken !== undefined;
          }
        }
      }
    }
  }
  return false;
}

function unwrap(t: typeof ts, e: ts.Expression): ts.Expression {
  while (t.isParenthesizedExpression(e) || t.isAsExpression(e) || t.isNonNullExpression(e) || t.isSatisfiesExpression(e) || t.isTypeAssertionExpression(e)) e = e.expression;
  return e;
}
