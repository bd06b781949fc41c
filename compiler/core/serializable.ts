/**
 * The check that every frame local live across an await is data (docs/compiler.md, "Checks"):
 * a suspended operator is snapshotted, so a function, class instance, Promise, symbol or
 * task-context object kept across an await could not be restored. What "data" means is the
 * policy of `runtime/core/data.ts`, shared with the snapshot codec, plus the classes the
 * application registers (`registered.ts`); what "kept across an await" means is `liveness.ts`,
 * shared with the lowering, so the check sees exactly what the suspended frame would hold.
 *
 * Syntax only, a local is flagged when a value assigned to it is visibly not data (a function,
 * `new` of a class that is neither a data class nor registered, `Symbol()`, the context or one
 * of its handles) and that value is live at an await. With a type checker, a local whose
 * declared type is not data is flagged too.
 */
import type * as ts from "typescript";
import { classVerdict } from "../../runtime/core/data.js";
import { Code, type Diagnostics } from "./diagnostics.js";
import type { Liveness } from "./liveness.js";
import type { DataClasses } from "./registered.js";
import type { Binding, Scopes } from "./scope.js";

/** Context members whose values are not data. */
const CONTEXT_OBJECTS = new Set(["state", "log", "emit", "reply", "perKey", "perTask"]);

/**
 * Reports frame locals that hold something that is not data across an await. With a type
 * `checker` (tspc), a local's declared type is checked too, which finds what the syntax does
 * not show (a class instance returned by a function, a callback parameter).
 */
export function checkSerializable(
  t: typeof ts,
  fn: ts.FunctionLikeDeclaration,
  scopes: Scopes,
  liveness: Liveness,
  diagnostics: Diagnostics,
  classes: DataClasses,
  checker?: ts.TypeChecker,
): void {
  const context = scopes.own.find((b) => b.context);
  const values = new Map<Binding, ts.Expression[]>();
  const visit = (node: ts.Node): void => {
    if (node !== fn && t.isFunctionLike(node)) return;
    if (t.isVariableDeclaration(node) && t.isIdentifier(node.name) && node.initializer) add(values, scopes.bindings.get(node.name), node.initializer);
    if (t.isBinaryExpression(node) && node.operatorToken.kind === t.SyntaxKind.EqualsToken && t.isIdentifier(node.left)) {
      add(values, scopes.bindings.get(node.left), node.right);
    }
    t.forEachChild(node, visit);
  };
  visit(fn);

  const report = (binding: Binding, what: string, crossed: ts.Node): void => {
    const { line } = fn.getSourceFile().getLineAndCharacterOfPosition(crossed.getStart());
    // The awaited expression is evaluated as the operator suspends, so a local it reads is
    // still in the frame; say so rather than "used after", which the user would not find.
    const references = liveness.references(binding);
    const onlyIn = !references.some((u) => u.pos >= crossed.end) && references.some((u) => u.pos >= crossed.pos);
    diagnostics.report(
      binding.declaration,
      Code.NotSerializable,
      `local \`${binding.name}\` holds ${what} and is ${onlyIn ? "read by" : "used after"} the await on line ${line + 1}; ` +
        `${what} is not data and cannot be kept in a suspended operator. ` +
        (onlyIn
          ? "Compute what the await needs from it before the await instead. "
          : what.includes("ctx")
            ? "Use ctx (or call ctx.perKey/perTask again) after the await instead. "
            : "Create it after the await instead. ") +
        "Only plain data (numbers, strings, booleans, arrays, plain objects, Map, Set, Date) can live across an await.",
    );
  };
  const flagged = new Set<Binding>();
  for (const [binding, assigned] of values) {
    for (const value of assigned) {
      const what = notData(t, value, context?.name, classes);
      if (what === undefined) continue;
      const crossed = liveness.crossing(binding, value);
      if (crossed === undefined) continue;
      report(binding, what, crossed);
      flagged.add(binding);
      break;
    }
  }
  if (checker === undefined) return;
  for (const binding of scopes.own) {
    if (binding.slot === undefined || binding.context || flagged.has(binding)) continue;
    const what = typeNotData(t, checker.getTypeAtLocation(binding.declaration), classes);
    if (what === undefined) continue;
    const crossed = liveness.crossing(binding);
    if (crossed !== undefined) report(binding, what, crossed);
  }
}

/** What a value of `type` is when no value of it is data, else `undefined` (unions: all parts). */
function typeNotData(t: typeof ts, type: ts.Type, classes: DataClasses): string | undefined {
  if (type.isUnion()) {
    const parts = type.types.map((p) => typeNotData(t, p, classes));
    return parts.every((p) => p !== undefined) ? parts[0] : undefined;
  }
  if (type.flags & (t.TypeFlags.ESSymbol | t.TypeFlags.UniqueESSymbol)) return "a symbol";
  if (type.getCallSignatures().length > 0) return "a function";
  const symbol = type.getSymbol();
  if (symbol === undefined) return undefined;
  const name = symbol.getName();
  const verdict = classVerdict(name);
  if (verdict !== undefined) return verdict === "data" ? undefined : verdict;
  const isClass = symbol.getDeclarations()?.some((d) => t.isClassDeclaration(d) || t.isClassExpression(d));
  return isClass && !classes.instanceOf(type) ? `an instance of class ${name}` : undefined;
}

function add<K, V>(map: Map<K, V[]>, key: K | undefined, value: V): void {
  if (key === undefined) return;
  const list = map.get(key);
  if (list) list.push(value);
  else map.set(key, [value]);
}

/** What the value visibly is when it is not data, else `undefined`. */
function notData(t: typeof ts, value: ts.Expression, contextName: string | undefined, classes: DataClasses): string | undefined {
  let v = value;
  while (t.isParenthesizedExpression(v) || t.isAsExpression(v) || t.isNonNullExpression(v) || t.isSatisfiesExpression(v)) v = v.expression;
  if (t.isArrowFunction(v) || t.isFunctionExpression(v)) return "a function";
  if (t.isClassExpression(v)) return "a class";
  if (t.isNewExpression(v)) {
    const name = t.isIdentifier(v.expression) ? v.expression.text : v.expression.getText();
    const verdict = classVerdict(name);
    if (verdict !== undefined) return verdict === "data" ? undefined : verdict;
    return classes.constructs(v.expression) ? undefined : `an instance of class ${name}`;
  }
  if (t.isCallExpression(v) && t.isIdentifier(v.expression) && v.expression.text === "Symbol") return "a symbol";
  if (t.isCallExpression(v) && t.isPropertyAccessExpression(v.expression) && t.isIdentifier(v.expression.expression)) {
    const target = v.expression.expression.text;
    if (target === "Promise") return "a Promise";
    if (target === contextName && CONTEXT_OBJECTS.has(v.expression.name.text)) return `a state handle from ctx.${v.expression.name.text}`;
  }
  if (contextName !== undefined && t.isIdentifier(v) && v.text === contextName) return "the task context ctx";
  if (contextName !== undefined && t.isPropertyAccessExpression(v) && t.isIdentifier(v.expression) && v.expression.text === contextName && CONTEXT_OBJECTS.has(v.name.text)) {
    return `ctx.${v.name.text}`;
  }
  return undefined;
}
