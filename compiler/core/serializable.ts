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
import { isGeneratorCall } from "./generators.js";
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
  const contents = new Map<Binding, ts.Expression[]>();
  const visit = (node: ts.Node): void => {
    if (node !== fn && t.isFunctionLike(node)) return;
    if (t.isVariableDeclaration(node) && t.isIdentifier(node.name) && node.initializer) add(values, scopes.bindings.get(node.name), node.initializer);
    if (t.isBinaryExpression(node) && node.operatorToken.kind === t.SyntaxKind.EqualsToken && t.isIdentifier(node.left)) {
      add(values, scopes.bindings.get(node.left), node.right);
    }
    // What is put into a local's array, map, set or object is held by the local too.
    const into = storedInto(t, node);
    if (into !== undefined) for (const v of into.values) add(contents, scopes.bindings.get(into.target), v);
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
            : what.includes("instance of class")
              ? "Create it after the await, or register the class with app.dataClass({ name, type, encode, decode }) (an error class can instead be declared in this module). "
              : "Create it after the await instead. ") +
        "Only data can live across an await: primitives, arrays, plain objects, Map, Set, Date, errors and registered classes (docs/snapshots.md, \"What is data\").",
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
  // A local read left of an await in the same expression is kept across that await (spilled).
  for (const [binding, assigned] of values) {
    if (flagged.has(binding)) continue;
    const what = assigned.map((v) => notData(t, v, context?.name, classes)).find((w) => w !== undefined);
    const kept = what === undefined ? undefined : keptAcross(t, liveness, fn, binding, liveness.references(binding));
    if (kept === undefined) continue;
    const { line } = fn.getSourceFile().getLineAndCharacterOfPosition(kept.await.getStart());
    diagnostics.report(
      kept.use,
      Code.NotSerializable,
      `local \`${binding.name}\` holds ${what} and is read before the await on line ${line + 1} in the same expression, which keeps its value across that await; ` +
        `${what} is not data and cannot be kept in a suspended operator. Await into a variable first (\`const v = await …;\`), then use \`${binding.name}\``,
    );
    flagged.add(binding);
  }
  for (const [binding, stored] of contents) {
    if (flagged.has(binding)) continue;
    for (const value of stored) {
      const what = notData(t, value, context?.name, classes);
      const crossed = what === undefined ? undefined : liveness.crossing(binding, value);
      if (crossed === undefined) continue;
      report(binding, `a value holding ${what}`, crossed);
      flagged.add(binding);
      break;
    }
  }
  for (const binding of scopes.own) {
    if (binding.slot === undefined || binding.context || flagged.has(binding)) continue;
    const declared = t.isVariableDeclaration(binding.declaration.parent) || t.isParameter(binding.declaration.parent) ? binding.declaration.parent.type : undefined;
    const what =
      checker !== undefined ? typeNotData(t, checker, checker.getTypeAtLocation(binding.declaration), classes, 0) : declared !== undefined ? typeNodeNotData(t, declared, classes) : undefined;
    if (what === undefined) continue;
    const crossed = liveness.crossing(binding);
    if (crossed !== undefined) report(binding, what, crossed);
  }
}

/**
 * The first reference of `binding` that the lowering keeps across an await: one evaluated left
 * of an await of the same statement's expression (an operand, receiver or argument spilled to a
 * temporary before the suspension). Not one whose value the statement's own structure decides
 * first (the condition of an `if` whose branch awaits).
 */
function keptAcross(t: typeof ts, liveness: Liveness, fn: ts.Node, binding: Binding, uses: readonly ts.Identifier[]): { use: ts.Identifier; await: ts.AwaitExpression } | undefined {
  for (const use of uses) {
    if (use === binding.declaration || !isOwn(t, fn, use)) continue;
    const expression = outermostExpression(t, use);
    const after = liveness.awaits.find((a) => a.pos >= use.end && a.end <= expression.end && a.pos >= expression.pos);
    if (after === undefined || (use.pos >= after.pos && use.end <= after.end)) continue;
    // What is spilled is the operand of the smallest expression holding both: the local itself
    // (an argument, an operand) or the receiver of a method call; a call's result is another value.
    let operand: ts.Node = use;
    while (operand.parent !== undefined && !(after.pos >= operand.parent.pos && after.end <= operand.parent.end)) operand = operand.parent;
    const common = operand.parent;
    const receiver = t.isPropertyAccessExpression(operand) && operand.expression === use && common !== undefined && t.isCallExpression(common) && common.expression === operand;
    if (operand === use || receiver) return { use, await: after };
  }
  return undefined;
}

/** True when `node` is in `fn` itself, not in a function nested in it. */
function isOwn(t: typeof ts, fn: ts.Node, node: ts.Node): boolean {
  for (let n = node.parent; n !== undefined; n = n.parent) {
    if (n === fn) return true;
    if (t.isFunctionLike(n)) return false;
  }
  return false;
}

/** The largest expression around `node` that is still one expression (up to its statement). */
function outermostExpression(t: typeof ts, node: ts.Node): ts.Node {
  let top = node;
  for (let n = node.parent; n !== undefined && (t.isExpression(n) || t.isSpreadElement(n) || t.isPropertyAssignment(n) || t.isShorthandPropertyAssignment(n) || t.isTemplateSpan(n)); n = n.parent) {
    if (t.isFunctionLike(n)) break;
    top = n;
  }
  return top;
}

/** Methods that put their arguments into the collection they are called on, with the positions. */
const STORING: ReadonlyMap<string, (args: readonly ts.Expression[]) => readonly ts.Expression[]> = new Map([
  ["push", (a) => a],
  ["unshift", (a) => a],
  ["add", (a) => a.slice(0, 1)],
  ["set", (a) => a.slice(0, 2)],
  ["splice", (a) => a.slice(2)],
]);

/** `x.push(v)`, `x.set(k, v)`, `x[i] = v`, `x.p = v`: the local `x` and the values stored in it. */
function storedInto(t: typeof ts, node: ts.Node): { target: ts.Identifier; values: readonly ts.Expression[] } | undefined {
  if (t.isCallExpression(node) && t.isPropertyAccessExpression(node.expression) && t.isIdentifier(node.expression.expression)) {
    const pick = STORING.get(node.expression.name.text);
    return pick === undefined ? undefined : { target: node.expression.expression, values: pick(node.arguments) };
  }
  if (t.isBinaryExpression(node) && node.operatorToken.kind === t.SyntaxKind.EqualsToken && (t.isElementAccessExpression(node.left) || t.isPropertyAccessExpression(node.left))) {
    let target: ts.Expression = node.left.expression;
    while (t.isElementAccessExpression(target) || t.isPropertyAccessExpression(target)) target = target.expression;
    return t.isIdentifier(target) ? { target, values: [node.right] } : undefined;
  }
  return undefined;
}

/** Generic containers whose type arguments are what they hold. */
const CONTAINERS = new Set(["Array", "ReadonlyArray", "Map", "ReadonlyMap", "Set", "ReadonlySet", "Record", "Partial", "Readonly"]);

/** `what` found inside a container: `a value holding <what>` (once, however deep). */
function holding(what: string | undefined): string | undefined {
  return what === undefined ? undefined : what.startsWith("a value holding") ? what : `a value holding ${what}`;
}

/**
 * What a value declared with the type annotation `node` is when it is not data, read from the
 * annotation alone (hosts without a type checker): functions, objects with methods, the classes
 * the policy knows are never data, anywhere inside arrays, tuples, object types and containers.
 */
function typeNodeNotData(t: typeof ts, node: ts.TypeNode, classes: DataClasses, depth = 0): string | undefined {
  if (depth > 8) return undefined;
  const inner = (n: ts.TypeNode): string | undefined => typeNodeNotData(t, n, classes, depth + 1);
  if (t.isFunctionTypeNode(node) || t.isConstructorTypeNode(node)) return "a function";
  if (t.isParenthesizedTypeNode(node)) return inner(node.type);
  if (t.isArrayTypeNode(node)) return holding(inner(node.elementType));
  if (t.isTupleTypeNode(node)) {
    for (const e of node.elements) {
      const what = inner(t.isNamedTupleMember(e) ? e.type : e);
      if (what !== undefined) return holding(what);
    }
    return undefined;
  }
  if (t.isUnionTypeNode(node)) {
    const parts = node.types.map(inner);
    return parts.every((p) => p !== undefined) ? parts[0] : undefined;
  }
  if (t.isTypeLiteralNode(node)) {
    for (const m of node.members) {
      if (t.isMethodSignature(m) || t.isCallSignatureDeclaration(m)) return "an object with methods";
      const what = t.isPropertySignature(m) && m.type !== undefined ? inner(m.type) : undefined;
      if (what !== undefined) return holding(what);
    }
    return undefined;
  }
  if (t.isTypeReferenceNode(node)) {
    const name = t.isIdentifier(node.typeName) ? node.typeName.text : node.typeName.right.text;
    if (CONTAINERS.has(name)) {
      for (const a of node.typeArguments ?? []) {
        const what = inner(a);
        if (what !== undefined) return holding(what);
      }
      return undefined;
    }
    const verdict = classVerdict(name);
    return verdict === undefined || verdict === "data" ? undefined : verdict;
  }
  return undefined;
}

/**
 * What a value of `type` is when no value of it is data, else `undefined` (unions: all parts).
 * The walk is structural: an array, tuple, `Map`/`Set` or object type is not data when what it
 * holds is not (a class instance in an array, a method in an object literal type).
 */
function typeNotData(t: typeof ts, checker: ts.TypeChecker, type: ts.Type, classes: DataClasses, depth: number): string | undefined {
  if (depth > 6) return undefined;
  const inner = (x: ts.Type): string | undefined => typeNotData(t, checker, x, classes, depth + 1);
  if (type.isUnion()) {
    const parts = type.types.map(inner);
    return parts.every((p) => p !== undefined) ? parts[0] : undefined;
  }
  if (type.flags & (t.TypeFlags.ESSymbol | t.TypeFlags.UniqueESSymbol)) return "a symbol";
  if (type.flags & (t.TypeFlags.Any | t.TypeFlags.Unknown)) return undefined;
  if (type.getCallSignatures().length > 0) return "a function";
  if (checker.isArrayType(type) || checker.isTupleType(type)) {
    for (const a of checker.getTypeArguments(type as ts.TypeReference)) {
      const what = inner(a);
      if (what !== undefined) return holding(what);
    }
    return undefined;
  }
  const symbol = type.getSymbol();
  if (symbol === undefined) return undefined;
  const name = symbol.getName();
  if (name === "Map" || name === "Set" || name === "ReadonlyMap" || name === "ReadonlySet") {
    for (const a of (type as ts.TypeReference).typeArguments ?? []) {
      const what = inner(a);
      if (what !== undefined) return holding(what);
    }
    return undefined;
  }
  const verdict = classVerdict(name);
  if (verdict !== undefined) return verdict === "data" ? undefined : verdict;
  const isClass = symbol.getDeclarations()?.some((d) => t.isClassDeclaration(d) || t.isClassExpression(d));
  if (isClass) return classes.instanceOf(type) ? undefined : `an instance of class ${name}`;
  // An object type (literal or interface): its properties.
  if (!(type.flags & t.TypeFlags.Object) || name === "PortalRef") return undefined;
  for (const p of checker.getPropertiesOfType(type)) {
    const declaration = p.valueDeclaration ?? p.declarations?.[0];
    if (declaration !== undefined && (t.isMethodSignature(declaration) || t.isMethodDeclaration(declaration))) return "an object with methods";
    const what = declaration === undefined ? undefined : inner(checker.getTypeOfSymbolAtLocation(p, declaration));
    if (what !== undefined) return holding(what);
  }
  return undefined;
}

function add<K, V>(map: Map<K, V[]>, key: K | undefined, value: V): void {
  if (key === undefined) return;
  const list = map.get(key);
  if (list) list.push(value);
  else map.set(key, [value]);
}

/** What the value visibly is when it is not data, else `undefined`. */
function notData(t: typeof ts, value: ts.Expression, contextName: string | undefined, classes: DataClasses, depth = 0): string | undefined {
  let v = value;
  while (t.isParenthesizedExpression(v) || t.isAsExpression(v) || t.isNonNullExpression(v) || t.isSatisfiesExpression(v)) v = v.expression;
  const holding = (items: readonly ts.Node[]): string | undefined => {
    if (depth > 8) return undefined;
    for (const item of items) {
      const e = t.isSpreadElement(item) || t.isSpreadAssignment(item) ? item.expression : t.isPropertyAssignment(item) ? item.initializer : item;
      if (t.isMethodDeclaration(e) || t.isGetAccessor(e) || t.isSetAccessor(e)) return "an object with methods";
      if (!t.isExpression(e)) continue;
      const what = notData(t, e, contextName, classes, depth + 1);
      if (what !== undefined) return what.startsWith("a value holding") ? what : `a value holding ${what}`;
    }
    return undefined;
  };
  if (t.isArrowFunction(v) || t.isFunctionExpression(v)) return "a function";
  if (t.isClassExpression(v)) return "a class";
  if (isGeneratorCall(t, v)) return "a generator object";
  if (t.isArrayLiteralExpression(v)) return holding(v.elements);
  if (t.isObjectLiteralExpression(v)) return holding(v.properties);
  if (t.isNewExpression(v)) {
    const name = t.isIdentifier(v.expression) ? v.expression.text : v.expression.getText();
    const verdict = classVerdict(name);
    // A Map or Set made from a list holds what the list holds.
    if (verdict === "data") return name === "Map" || name === "Set" ? holding(v.arguments ?? []) : undefined;
    if (verdict !== undefined) return verdict;
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
