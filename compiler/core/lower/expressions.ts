/**
 * Expressions with an await, taken apart in JavaScript's evaluation order (docs/compiler.md,
 * "Lowering"). {@link lowerExpr} emits, into the open block, whatever must run before the value
 * is known (suspensions, branches of `&&`/`||`/`??`/`?:`, spills of operands left of an await)
 * and returns an await-free expression for the value. Await-free subexpressions go to
 * `rewrite.ts` unchanged.
 */
import type * as ts from "typescript";
import type { Lowering } from "./lowering.js";
import { returnsRequest } from "../scope.js";
import { rewrite, rewriteExpression } from "./rewrite.js";

/**
 * Lowers `e`, emitting what must run before it, and returns an await-free expression for its
 * value. With `discard`, the value is not needed (expression statements).
 */
export function lowerExpr(lw: Lowering, e: ts.Expression, discard = false): ts.Expression {
  const { t, f } = lw;
  if (!lw.hasAwait(e)) return rewriteExpression(lw, e);
  if (t.isParenthesizedExpression(e)) return discard ? lowerExpr(lw, e.expression, true) : f.createParenthesizedExpression(lowerExpr(lw, e.expression));
  if (t.isAsExpression(e) || t.isTypeAssertionExpression(e) || t.isNonNullExpression(e) || t.isSatisfiesExpression(e)) return lowerExpr(lw, e.expression, discard);
  if (t.isAwaitExpression(e)) return lowerAwait(lw, e, discard);
  if (t.isOptionalChain(e) && awaitsOnlyAtStart(lw, e)) return lowerChain(lw, e);
  if (t.isBinaryExpression(e)) return lowerBinary(lw, e, discard);
  if (t.isConditionalExpression(e)) return lowerConditional(lw, e);
  if (t.isCallExpression(e)) return lowerCall(lw, e);
  if (t.isNewExpression(e)) return f.createNewExpression(stableCallee(lw, unwrap(lw, e.expression), "new"), undefined, lowerList(lw, e.arguments ?? []));
  if (t.isPropertyAccessExpression(e)) {
    if (e.questionDotToken) throw lw.unsupported(e, "an await after a ?. in the same chain is not supported (the chain may skip it): test for null with if first");
    return f.createPropertyAccessExpression(lowerExpr(lw, e.expression), e.name.text);
  }
  if (t.isElementAccessExpression(e)) {
    if (e.questionDotToken) throw lw.unsupported(e, "an await in the key of ?.[…] is not supported (the chain may skip it): test for null with if first");
    return f.createElementAccessExpression(...lowerPair(lw, e.expression, e.argumentExpression));
  }
  if (t.isArrayLiteralExpression(e)) return f.createArrayLiteralExpression(lowerList(lw, e.elements));
  if (t.isObjectLiteralExpression(e)) return lowerObject(lw, e);
  if (t.isTemplateExpression(e)) return lowerTemplate(lw, e);
  if ((t.isPrefixUnaryExpression(e) || t.isPostfixUnaryExpression(e)) && (e.operator === t.SyntaxKind.PlusPlusToken || e.operator === t.SyntaxKind.MinusMinusToken)) {
    // `o[await k]++`: the object and key are evaluated first, then the update, as natively.
    const place = updatedPlace(lw, unwrap(lw, e.operand));
    return t.isPrefixUnaryExpression(e) ? f.createPrefixUnaryExpression(e.operator, place) : f.createPostfixUnaryExpression(place, e.operator);
  }
  if (t.isPrefixUnaryExpression(e)) return f.createPrefixUnaryExpression(e.operator, lowerExpr(lw, e.operand));
  if (t.isTypeOfExpression(e)) return f.createTypeOfExpression(lowerExpr(lw, e.expression));
  if (t.isVoidExpression(e)) return f.createVoidExpression(lowerExpr(lw, e.expression));
  if (t.isDeleteExpression(e)) {
    const target = e.expression;
    if (t.isElementAccessExpression(target)) return f.createDeleteExpression(f.createElementAccessExpression(...lowerPair(lw, target.expression, target.argumentExpression)));
    return f.createDeleteExpression(lowerExpr(lw, target));
  }
  throw lw.unsupported(e, `an await inside ${t.SyntaxKind[e.kind]} is not supported: await into a variable first (\`const v = await …;\`) and use v there`);
}

/**
 * True when the awaits of the optional chain `e` are all in its start, the object the chain
 * begins with (`(await r)?.x.y`, `(await r)?.m(1)`): the start is evaluated before any `?.`
 * test, so the rest of the chain can stay one native chain. An await after a `?.` would have to
 * be skipped when the chain short-circuits, and is refused.
 */
function awaitsOnlyAtStart(lw: Lowering, e: ts.Expression): boolean {
  const t = lw.t;
  let n: ts.Expression = e;
  while (t.isOptionalChain(n) || t.isNonNullChain(n)) {
    if (t.isElementAccessExpression(n) && lw.hasAwait(n.argumentExpression)) return false;
    if (t.isCallExpression(n) && n.arguments.some((a) => lw.hasAwait(a))) return false;
    const start = n.expression;
    if (!t.isOptionalChain(start) && !t.isNonNullChain(start)) return lw.hasAwait(start);
    n = start;
  }
  return false;
}

/** An optional chain whose awaits are all in its start (see {@link awaitsOnlyAtStart}), rebuilt as a chain. */
function lowerChain(lw: Lowering, e: ts.Expression): ts.Expression {
  const { t, f } = lw;
  const start = (x: ts.Expression): ts.Expression => (t.isOptionalChain(x) || t.isNonNullChain(x) ? lowerChain(lw, x) : lowerExpr(lw, x));
  if (t.isNonNullChain(e)) return f.createNonNullChain(start(e.expression));
  if (t.isPropertyAccessExpression(e)) return f.createPropertyAccessChain(start(e.expression), e.questionDotToken, e.name.text);
  if (t.isElementAccessExpression(e)) return f.createElementAccessChain(start(e.expression), e.questionDotToken, rewriteExpression(lw, e.argumentExpression));
  const call = e as ts.CallExpression;
  return f.createCallChain(start(call.expression), call.questionDotToken, undefined, call.arguments.map((a) => rewriteExpression(lw, a)));
}

/** The property that `++`/`--` updates, its object and key lowered (an await is in one of them). */
function updatedPlace(lw: Lowering, operand: ts.Expression): ts.Expression {
  const { t, f } = lw;
  if (t.isPropertyAccessExpression(operand) && !operand.questionDotToken) return f.createPropertyAccessExpression(lowerExpr(lw, operand.expression), operand.name.text);
  if (t.isElementAccessExpression(operand) && !operand.questionDotToken) return f.createElementAccessExpression(...lowerPair(lw, operand.expression, operand.argumentExpression));
  throw lw.unsupported(operand, "an await inside the target of ++/-- is not supported: await into a variable first (`const v = await …;`), then update");
}

/** `e` without parentheses and type assertions. */
export function unwrap(lw: Lowering, e: ts.Expression): ts.Expression {
  const t = lw.t;
  while (t.isParenthesizedExpression(e) || t.isAsExpression(e) || t.isNonNullExpression(e) || t.isSatisfiesExpression(e) || t.isTypeAssertionExpression(e)) e = e.expression;
  return e;
}

export function isAwait(lw: Lowering, e: ts.Expression): boolean {
  return lw.t.isAwaitExpression(unwrap(lw, e));
}

/** True for a lowered value that need not be emitted as a statement of its own. */
export function isNoop(lw: Lowering, e: ts.Expression): boolean {
  return lw.temps.isTemp(e) || (lw.t.isVoidExpression(e) && lw.t.isNumericLiteral(e.expression));
}

/**
 * Lowers `await operand` to a suspension. The resume block stores the resume value in `into`
 * (or a new temporary, which is returned), or drops it with `discard`.
 */
export function lowerAwait(lw: Lowering, e: ts.AwaitExpression, discard: boolean, into?: ts.Expression): ts.Expression {
  let operand: ts.Expression = e.expression;
  while (lw.t.isParenthesizedExpression(operand)) operand = operand.expression;
  return lowerSuspension(lw, operand, e, discard, into);
}

/**
 * The value an async function returns, `e` of `return e`: a portal request or `Promise.all`
 * returned without `await` resolves the function to its reply, so it suspends as `return await e`
 * does. Inside a `try` the two differ natively (the `finally` runs before the reply, the `catch`
 * does not see its failure), so there it is refused.
 *
 * @throws CompileError for a request returned inside a try with a catch or finally
 */
export function lowerReturned(lw: Lowering, e: ts.Expression, at: ts.Node): ts.Expression {
  const t = lw.t;
  if (returnsRequest(t, at, lw.fn) === undefined) return lowerExpr(lw, e);
  const operand = unwrap(lw, e);
  const kind = lw.env.classify(operand);
  if (kind !== "request" && kind !== "all") return lowerExpr(lw, e);
  for (let n = at.parent; n !== undefined && n !== lw.fn; n = n.parent) {
    if (t.isTryStatement(n) || t.isCatchClause(n)) {
      throw lw.unsupported(at, "a portal request returned without await inside try: natively the finally runs before the reply arrives and the catch does not see its failure; write `return await …`, or return it outside the try");
    }
  }
  return lowerSuspension(lw, operand, at, false);
}

/** Suspends on `operand` (what an await awaits) at `at`; see {@link lowerAwait}. */
function lowerSuspension(lw: Lowering, operand: ts.Expression, e: ts.Node, discard: boolean, into?: ts.Expression): ts.Expression {
  const { f } = lw;
  const where = lw.where(e);
  let step: ts.Expression;
  // Promise.all over anything but a literal list of requests keeps the list, to put its values
  // that are not requests (holes, plain values) back between the replies, as Promise.all does.
  let list: ts.Expression | undefined;
  switch (lw.env.classify(operand)) {
    case "all": {
      const arg = (operand as ts.CallExpression).arguments[0]!;
      if (onlyRequests(lw, arg)) {
        step = lw.rt("suspendAll", [lowerExpr(lw, arg), where]);
        break;
      }
      list = lw.temps.spill(lw.rt("list", [lowerExpr(lw, arg), where]), true);
      step = lw.rt("suspendAll", [lw.temps.copy(list), where]);
      break;
    }
    case "helper": {
      const call = operand as ts.CallExpression;
      if (lw.hasAwait(call.expression)) throw lw.unsupported(call.expression, "an await inside the callee of an awaited helper call is not supported");
      const callee = rewriteExpression(lw, call.expression);
      step = lw.rt("call", [callee, f.createArrayLiteralExpression(lowerList(lw, call.arguments)), where]);
      break;
    }
    default:
      step = lw.rt("suspend", [lowerExpr(lw, operand), where]);
  }
  lw.flow.suspend(step, lw.deadSlots(e));
  const input = f.createIdentifier(lw.names.input);
  const value = list === undefined ? lw.rt("value", [input]) : lw.rt("settled", [input, lw.temps.copy(list)]);
  if (discard) {
    lw.flow.emit(f.createExpressionStatement(value));
    return f.createVoidZero();
  }
  if (into !== undefined) {
    lw.flow.emit(f.createExpressionStatement(f.createAssignment(into, value)));
    return f.createVoidZero();
  }
  const tmp = lw.temps.temp();
  lw.flow.emit(f.createExpressionStatement(f.createAssignment(tmp, value)));
  return lw.temps.reuse(tmp);
}

/** True for an array literal of portal requests only: `Promise.all` resumes with just the replies. */
function onlyRequests(lw: Lowering, arg: ts.Expression): boolean {
  const list = unwrap(lw, arg);
  return lw.t.isArrayLiteralExpression(list) && list.elements.every((x) => lw.env.classify(unwrap(lw, x)) === "request");
}

function lowerBinary(lw: Lowering, e: ts.BinaryExpression, discard: boolean): ts.Expression {
  const { t, f } = lw;
  const op = e.operatorToken.kind;
  const K = t.SyntaxKind;
  if (op === K.CommaToken) {
    const left = lowerExpr(lw, e.left, true);
    if (!isNoop(lw, left)) lw.flow.emit(f.createExpressionStatement(left));
    return lowerExpr(lw, e.right, discard);
  }
  if (op === K.AmpersandAmpersandToken || op === K.BarBarToken || op === K.QuestionQuestionToken) {
    if (!lw.hasAwait(e.right)) return f.createBinaryExpression(lowerExpr(lw, e.left), op, rewriteExpression(lw, e.right));
    return shortCircuit(lw, op, () => lowerExpr(lw, e.left), () => lowerExpr(lw, e.right));
  }
  if (op === K.AmpersandAmpersandEqualsToken || op === K.BarBarEqualsToken || op === K.QuestionQuestionEqualsToken) {
    // a &&= b is a && (a = b): the target's object (and key) are evaluated once, first; the right
    // side runs only when needed.
    const plain = op === K.AmpersandAmpersandEqualsToken ? K.AmpersandAmpersandToken : op === K.BarBarEqualsToken ? K.BarBarToken : K.QuestionQuestionToken;
    const target = unwrap(lw, e.left);
    let place: () => ts.Expression;
    if (t.isIdentifier(target)) place = () => rewriteExpression(lw, target);
    else if (t.isPropertyAccessExpression(target) && !target.questionDotToken) {
      const object = lw.temps.spill(lowerExpr(lw, target.expression), true);
      place = () => f.createPropertyAccessExpression(lw.temps.copy(object), target.name.text);
    } else if (t.isElementAccessExpression(target) && !target.questionDotToken) {
      const [object, key] = lowerPair(lw, target.expression, target.argumentExpression, true);
      place = () => f.createElementAccessExpression(lw.temps.copy(object), lw.temps.copy(key));
    } else {
      throw lw.unsupported(e, "an await on the right of &&=, ||= or ??= needs a variable or property on the left: await into a variable first (`const v = await …;`), then assign v");
    }
    return shortCircuit(lw, plain, place, () => f.createAssignment(place(), lowerExpr(lw, e.right)));
  }
  if (op === K.EqualsToken) return lowerAssignment(lw, e);
  if (op >= K.FirstCompoundAssignment && op <= K.LastCompoundAssignment) return lowerCompound(lw, e);
  if (!lw.hasAwait(e.right)) return f.createBinaryExpression(lowerExpr(lw, e.left), op, rewriteExpression(lw, e.right));
  const left = lw.temps.spill(lowerExpr(lw, e.left));
  return f.createBinaryExpression(left, op, lowerExpr(lw, e.right));
}

/** `left op right` for &&, ||, ??: the right side runs in its own block only when needed. */
function shortCircuit(lw: Lowering, op: ts.SyntaxKind, left: () => ts.Expression, right: () => ts.Expression): ts.Expression {
  const { f, flow, temps } = lw;
  const K = lw.t.SyntaxKind;
  const result = temps.temp();
  flow.emit(f.createExpressionStatement(f.createAssignment(result, left())));
  const evaluate = flow.label();
  const join = flow.label();
  const value = temps.reuse(result);
  const needsRight = op === K.AmpersandAmpersandToken ? value : op === K.BarBarToken ? f.createLogicalNot(value) : f.createEquality(value, f.createNull());
  flow.branch(needsRight, evaluate, join);
  flow.place(evaluate);
  flow.emit(f.createExpressionStatement(f.createAssignment(temps.reuse(result), right())));
  flow.goto(join);
  flow.place(join);
  return temps.reuse(result);
}

function lowerConditional(lw: Lowering, e: ts.ConditionalExpression): ts.Expression {
  const { f, flow, temps } = lw;
  if (!lw.hasAwait(e.whenTrue) && !lw.hasAwait(e.whenFalse)) {
    return f.createConditionalExpression(lowerExpr(lw, e.condition), undefined, rewriteExpression(lw, e.whenTrue), undefined, rewriteExpression(lw, e.whenFalse));
  }
  const result = temps.temp();
  const condition = lowerExpr(lw, e.condition);
  const whenTrue = flow.label();
  const whenFalse = flow.label();
  const join = flow.label();
  flow.branch(condition, whenTrue, whenFalse);
  flow.place(whenTrue);
  flow.emit(f.createExpressionStatement(f.createAssignment(result, lowerExpr(lw, e.whenTrue))));
  flow.goto(join);
  flow.place(whenFalse);
  flow.emit(f.createExpressionStatement(f.createAssignment(temps.reuse(result), lowerExpr(lw, e.whenFalse))));
  flow.goto(join);
  flow.place(join);
  return temps.reuse(result);
}

function lowerAssignment(lw: Lowering, e: ts.BinaryExpression): ts.Expression {
  const { t, f } = lw;
  const target = e.left;
  if (t.isPropertyAccessExpression(target)) {
    const object = lw.temps.spill(lowerExpr(lw, target.expression));
    return f.createAssignment(f.createPropertyAccessExpression(object, target.name.text), lowerExpr(lw, e.right));
  }
  if (t.isElementAccessExpression(target)) {
    return f.createAssignment(f.createElementAccessExpression(...lowerPair(lw, target.expression, target.argumentExpression, true)), lowerExpr(lw, e.right));
  }
  if (lw.hasAwait(target)) throw lw.unsupported(target, "an await inside a destructuring target is not supported: await into a variable first (`const v = await …;`), then destructure");
  return f.createAssignment(rewriteExpression(lw, target), lowerExpr(lw, e.right));
}

function lowerCompound(lw: Lowering, e: ts.BinaryExpression): ts.Expression {
  const { t, f, temps } = lw;
  const op = binaryOfCompound(t, e.operatorToken.kind);
  const target = e.left;
  let read: ts.Expression;
  let write: () => ts.Expression;
  if (t.isPropertyAccessExpression(target)) {
    const object = temps.spill(lowerExpr(lw, target.expression), true);
    read = f.createPropertyAccessExpression(object, target.name.text);
    write = () => f.createPropertyAccessExpression(temps.copy(object), target.name.text);
  } else if (t.isElementAccessExpression(target)) {
    const [object, index] = lowerPair(lw, target.expression, target.argumentExpression, true);
    read = f.createElementAccessExpression(object, index);
    write = () => f.createElementAccessExpression(temps.copy(object), temps.copy(index));
  } else if (t.isIdentifier(target)) {
    read = rewriteExpression(lw, target);
    write = () => rewriteExpression(lw, target);
  } else {
    throw lw.unsupported(target, "an await in a compound assignment needs a variable or property on the left");
  }
  // The left side is read before the right side runs, as JavaScript does.
  const old = temps.spill(read, true);
  return f.createAssignment(write(), f.createBinaryExpression(old, op, lowerExpr(lw, e.right)));
}

/**
 * A call with an await in its arguments. JavaScript evaluates the callee (the receiver and the
 * method) before the arguments, so before the suspension, but a function cannot be kept in the
 * frame. So the callee must be one the resume can find again with the same value:
 *
 * - a method of a receiver that is spilled (a value of the frame: data, whose only methods are
 *   those of its prototype), or re-derived ({@link rederive}: a path from `ctx` or an outer
 *   constant, such as `ctx.state`, `ctx.perKey("n", 0)` or `console`), looked up after the resume;
 * - an outer constant (an imported or module-level function) or a nested function declaration.
 *
 * Anything else (`f(a)(await r)`, `m.get(k)(await r)`, a `let` declared outside the function, a
 * local holding a function) is refused with the rewrite to use.
 */
function lowerCall(lw: Lowering, e: ts.CallExpression): ts.Expression {
  const { t, f } = lw;
  if (e.questionDotToken || (t.isPropertyAccessExpression(e.expression) && e.expression.questionDotToken)) {
    throw lw.unsupported(e, "an await in the arguments of an optional call (?.) is not supported: test for null first");
  }
  const callee = unwrap(lw, e.expression);
  if (t.isPropertyAccessExpression(callee) && callee.expression.kind !== t.SyntaxKind.SuperKeyword) {
    const object = rederive(lw, callee.expression) ?? lw.temps.spill(lowerExpr(lw, computedReceiver(lw, callee.expression)));
    return f.createCallExpression(f.createPropertyAccessExpression(object, callee.name.text), undefined, lowerList(lw, e.arguments));
  }
  if (t.isElementAccessExpression(callee) && !callee.questionDotToken) {
    const method = f.createElementAccessExpression(...lowerPair(lw, callee.expression, callee.argumentExpression, true));
    return f.createCallExpression(method, undefined, lowerList(lw, e.arguments));
  }
  return f.createCallExpression(stableCallee(lw, callee, "call"), undefined, lowerList(lw, e.arguments));
}

/**
 * `receiver`, unless it is computed by a call (`make().m(await r)`): JavaScript evaluates it
 * before the await, so the frame would keep it, and an object with methods is not data.
 *
 * @throws CompileError for a receiver computed by a call or `new`
 */
function computedReceiver(lw: Lowering, receiver: ts.Expression): ts.Expression {
  const t = lw.t;
  const r = unwrap(lw, receiver);
  if ((t.isCallExpression(r) || t.isNewExpression(r) || t.isTaggedTemplateExpression(r)) && !lw.hasAwait(r)) {
    const text = r.getText().length > 40 ? `${r.getText().slice(0, 37)}...` : r.getText();
    throw lw.unsupported(
      r,
      `the object \`${text}\` whose method is called is computed before the await in the arguments and would be kept in the suspended frame, where only data can be: await into a variable first (\`const v = await …;\`), then make the call with v`,
    );
  }
  return receiver;
}

/** The callee of a call or `new` with an await in its arguments, when the resume finds it again. */
function stableCallee(lw: Lowering, callee: ts.Expression, what: "call" | "new"): ts.Expression {
  const t = lw.t;
  const text = callee.getText().length > 40 ? `${callee.getText().slice(0, 37)}...` : callee.getText();
  const rewrite = `await into a variable first (\`const v = await …;\`), then ${what === "call" ? "make the call" : "use new"} with v`;
  if (lw.hasAwait(callee)) throw lw.unsupported(callee, `an await inside the function of a ${what} is not supported: ${rewrite}`);
  if (t.isIdentifier(callee)) {
    if (lw.slotOf(callee) !== undefined) {
      throw lw.unsupported(callee, `the ${what} of local \`${callee.text}\` with an await in its arguments would keep a function in the suspended frame: ${rewrite}`);
    }
    if (lw.env.isMutableOuter(callee)) {
      throw lw.unsupported(
        callee,
        `\`${callee.text}\` is a let/var declared outside the operator: JavaScript reads it before the await in the arguments, the compiled operator after it; ${rewrite}, or declare it const`,
      );
    }
    return rewriteExpression(lw, callee);
  }
  if (rederive(lw, callee) !== undefined) return rewriteExpression(lw, callee);
  throw lw.unsupported(
    callee,
    `the function \`${text}\` is computed before the await in the arguments, and a function cannot be kept in the suspended frame: ${rewrite}`,
  );
}

/** Methods of the task context that only find state, with no effect: a resume may call them again. */
const CONTEXT_LOOKUPS = new Set(["perKey", "perTask"]);

/**
 * `e` as an expression the resume evaluates again to the same value, when it is one: the task
 * context or an outer constant, property paths from them, and the context's state lookups
 * (`ctx.perKey(name, initial)`), whose arguments are spilled now. Such values (the context, its
 * state and log, state handles) are not data and are never kept in the frame (the context is
 * bound again on every resume). Undefined for anything else, and for anything with an await.
 */
function rederive(lw: Lowering, e: ts.Expression): ts.Expression | undefined {
  const { t, f } = lw;
  if (lw.hasAwait(e)) return undefined;
  const inner = unwrap(lw, e);
  if (t.isIdentifier(inner)) {
    if (inner.text === lw.contextName) return f.createIdentifier(inner.text);
    return lw.slotOf(inner) === undefined && !lw.env.isMutableOuter(inner) && inner.text !== "undefined" ? rewriteExpression(lw, inner) : undefined;
  }
  if (t.isPropertyAccessExpression(inner) && !inner.questionDotToken) {
    const object = rederive(lw, inner.expression);
    return object === undefined ? undefined : f.createPropertyAccessExpression(object, inner.name.text);
  }
  if (t.isCallExpression(inner) && !inner.questionDotToken && t.isPropertyAccessExpression(inner.expression) && CONTEXT_LOOKUPS.has(inner.expression.name.text)) {
    const receiver = unwrap(lw, inner.expression.expression);
    if (!t.isIdentifier(receiver) || receiver.text !== lw.contextName || inner.arguments.some((a) => t.isSpreadElement(a))) return undefined;
    const args = inner.arguments.map((a) => lw.temps.spill(rewriteExpression(lw, a)));
    return f.createCallExpression(f.createPropertyAccessExpression(f.createIdentifier(receiver.text), inner.expression.name.text), undefined, args);
  }
  return undefined;
}

/** An object and a key, for `o[k]`, through {@link lowerList}. */
function lowerPair(lw: Lowering, object: ts.Expression, key: ts.Expression, all = false): [ts.Expression, ts.Expression] {
  const [o, k] = lowerList(lw, [object, key], all);
  return [o!, k!];
}

/**
 * Lowers a list evaluated left to right (arguments, array elements): everything left of the
 * last element with an await is spilled, so it is evaluated before the suspension. With
 * `all`, every element is spilled (values read again later, as a compound assignment does).
 */
function lowerList(lw: Lowering, items: readonly ts.Expression[], all = false): ts.Expression[] {
  const { t, f } = lw;
  const last = lastWithAwait(lw, items);
  return items.map((item, i) => {
    if (i > last && !all) return rewriteExpression(lw, item);
    if (t.isSpreadElement(item)) {
      const value = lowerExpr(lw, item.expression);
      // A spread is taken when it is evaluated: copy it before later awaits.
      return f.createSpreadElement(i < last || all ? lw.temps.spill(f.createArrayLiteralExpression([f.createSpreadElement(value)])) : value);
    }
    if (t.isOmittedExpression(item)) return item;
    const value = lowerExpr(lw, item);
    return i < last || all ? lw.temps.spill(value) : value;
  });
}

function lowerObject(lw: Lowering, e: ts.ObjectLiteralExpression): ts.Expression {
  const { t, f } = lw;
  const last = lastWithAwait(lw, e.properties);
  const properties = e.properties.map((p, i): ts.ObjectLiteralElementLike => {
    if (i > last) return rewrite(lw, p) as ts.ObjectLiteralElementLike;
    const keep = (x: ts.Expression): ts.Expression => (i < last ? lw.temps.spill(x) : x);
    if (t.isPropertyAssignment(p)) {
      // A computed key is evaluated before the value, so before an await in the value.
      const key = (x: ts.Expression): ts.Expression => (i < last || lw.hasAwait(p.initializer) ? lw.temps.spill(x) : x);
      const name = t.isComputedPropertyName(p.name) ? f.createComputedPropertyName(key(lowerExpr(lw, p.name.expression))) : p.name;
      return f.createPropertyAssignment(name, keep(lowerExpr(lw, p.initializer)));
    }
    if (t.isShorthandPropertyAssignment(p)) return f.createPropertyAssignment(p.name.text, keep(rewriteExpression(lw, p.name)));
    if (t.isSpreadAssignment(p)) {
      const value = lowerExpr(lw, p.expression);
      return f.createSpreadAssignment(i < last ? lw.temps.spill(f.createObjectLiteralExpression([f.createSpreadAssignment(value)])) : value);
    }
    if (lw.hasAwait(p)) throw lw.unsupported(p, "an await inside an object method or accessor key is not supported");
    return rewrite(lw, p) as ts.ObjectLiteralElementLike;
  });
  return f.createObjectLiteralExpression(properties, true);
}

function lowerTemplate(lw: Lowering, e: ts.TemplateExpression): ts.Expression {
  const f = lw.f;
  const last = lastWithAwait(lw, e.templateSpans.map((s) => s.expression));
  const spans = e.templateSpans.map((s, i) => {
    let value = i > last ? rewriteExpression(lw, s.expression) : lowerExpr(lw, s.expression);
    // Each substitution is converted to a string as soon as it is evaluated.
    if (i < last) value = lw.temps.spill(f.createTemplateExpression(f.createTemplateHead(""), [f.createTemplateSpan(value, f.createTemplateTail(""))]));
    return f.createTemplateSpan(value, s.literal);
  });
  return f.createTemplateExpression(e.head, spans);
}

/** Index of the last of `items` that contains an await (-1 for none). */
function lastWithAwait(lw: Lowering, items: readonly ts.Node[]): number {
  let last = -1;
  items.forEach((item, i) => {
    if (lw.hasAwait(item)) last = i;
  });
  return last;
}

/** The binary operator of a compound assignment operator (`+=` → `+`). */
function binaryOfCompound(t: typeof ts, op: ts.SyntaxKind): ts.BinaryOperator {
  const K = t.SyntaxKind;
  const text = t.tokenToString(op)?.slice(0, -1);
  for (let k = K.FirstBinaryOperator; k <= K.LastBinaryOperator; k++) {
    if (t.tokenToString(k) === text) return k as ts.BinaryOperator;
  }
  throw new Error(`internal: ${K[op]} is not a compound assignment`);
}
