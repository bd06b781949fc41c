/**
 * Await-free code, kept as it is (docs/compiler.md, "Lowering") with the rewrites `ir.ts` lists:
 * frame variables become `$L.x` and their declarations assignments (below), a
 * `return` becomes `return $rt.done(v)` or goes through the enclosing finally blocks, and a
 * `break`/`continue` that leaves the statement for a lowered loop, switch or label becomes a
 * machine jump. Code inside nested functions only gets the slot rewrite: their own `return`s and
 * jumps are theirs.
 */
import type * as ts from "typescript";
import { isReference, type Binding } from "../scope.js";
import { isJumpTarget, type Target } from "./flow.js";
import type { Lowering } from "./lowering.js";

/** A loop, switch or labelled statement kept as JavaScript: its own jumps stay as they are. */
type NativeTarget = Pick<Target, "labels" | "kind">;

/** Rewrites await-free code (a statement may become several, or none). */
export function rewrite(lw: Lowering, node: ts.Node): ts.Node | ts.Node[] {
  const { t, f } = lw;
  const context = lw.env.context;
  const native: NativeTarget[] = [];
  let nested = 0;
  /** Loop variables a closure being rewritten captures by value (its parameters). */
  const byValue = new Set<Binding>();
  const within = <T>(target: NativeTarget, work: () => T): T => {
    native.push(target);
    try {
      return work();
    } finally {
      native.pop();
    }
  };
  const visit = (node: ts.Node): ts.VisitResult<ts.Node> => {
    if (t.isIdentifier(node)) {
      const binding = lw.scopes.bindings.get(node);
      if (binding !== undefined && byValue.has(binding)) return node;
      if (binding?.kind === "function" && isReference(t, node) && lw.scopes.lowered.has(binding.scope)) {
        const name = lw.functionName(binding);
        return name === node.text ? node : f.createIdentifier(name);
      }
      const slot = lw.slotOf(node);
      if (slot !== undefined && isReference(t, node)) return lw.slot(slot);
      if (node.text === "arguments" && nested === 0 && isReference(t, node) && !t.isArrowFunction(lw.fn)) {
        throw lw.unsupported(node, "`arguments` is not supported in compiled functions: use named or rest parameters");
      }
      return node;
    }
    if (t.isShorthandPropertyAssignment(node)) {
      const slot = lw.slotOf(node.name);
      if (slot === undefined) return t.visitEachChild(node, visit, context);
      const target = lw.slot(slot);
      const value = node.objectAssignmentInitializer ? f.createAssignment(target, t.visitNode(node.objectAssignmentInitializer, visit) as ts.Expression) : target;
      return f.createPropertyAssignment(node.name.text, value);
    }
    if (t.isFunctionLike(node)) {
      if (nested === 0 && (node as ts.FunctionLikeDeclaration).modifiers?.some((m) => m.kind === t.SyntaxKind.AsyncKeyword) && containsAwait(t, node)) {
        throw lw.unsupported(node, "an async function inside an operator cannot be suspended: await portal requests in the operator itself (use Promise.all for several)");
      }
      const captured = nested === 0 && (t.isArrowFunction(node) || t.isFunctionExpression(node)) ? iterationCaptures(lw, node) : [];
      for (const b of captured) byValue.add(b);
      nested++;
      try {
        const closure = t.visitEachChild(node, visit, context) as ts.Expression;
        if (captured.length === 0) return closure;
        // ((i) => closure)($L.i): the closure keeps this iteration's value, as a per-iteration
        // binding would (see iterationCaptures).
        const params = captured.map((b) => f.createParameterDeclaration(undefined, undefined, b.name));
        const make = f.createParenthesizedExpression(f.createArrowFunction(undefined, undefined, params, undefined, undefined, closure));
        return f.createCallExpression(make, undefined, captured.map((b) => lw.slot(b.slot!)));
      } finally {
        nested--;
        for (const b of captured) byValue.delete(b);
      }
    }
    if (nested > 0) return t.visitEachChild(node, visit, context);
    if (t.isVariableStatement(node) && declaresSlots(lw, node.declarationList)) {
      const expression = declarationsAsExpression(lw, node.declarationList, visit);
      return t.isOmittedExpression(expression) ? [] : [f.createExpressionStatement(expression)];
    }
    if (t.isForStatement(node) || t.isForInStatement(node) || t.isForOfStatement(node)) {
      return within({ labels: [], kind: "loop" }, () => t.visitEachChild(withSlotHead(node), visit, context));
    }
    if (t.isReturnStatement(node)) {
      const value = node.expression ? (t.visitNode(node.expression, visit) as ts.Expression) : undefined;
      return f.createBlock(lw.flow.returnStatements(value), false);
    }
    if (t.isBreakStatement(node) || t.isContinueStatement(node)) return rewriteJump(lw, node, native);
    if (t.isLabeledStatement(node)) {
      const labels: string[] = [];
      let inner: ts.Statement = node;
      while (t.isLabeledStatement(inner)) {
        labels.push(inner.label.text);
        inner = inner.statement;
      }
      const kind = t.isIterationStatement(inner, false) ? "loop" : t.isSwitchStatement(inner) ? "switch" : "block";
      return within({ labels, kind }, () => t.visitEachChild(node, visitInner, context));
    }
    if (t.isIterationStatement(node, false)) return within({ labels: [], kind: "loop" }, () => t.visitEachChild(node, visit, context));
    if (t.isSwitchStatement(node)) return within({ labels: [], kind: "switch" }, () => t.visitEachChild(node, visit, context));
    return t.visitEachChild(node, visit, context);
  };
  /** A `for` whose head declares frame variables, with the declarations as assignments to them. */
  const withSlotHead = (node: ts.ForStatement | ts.ForInStatement | ts.ForOfStatement): ts.Node => {
    if (!node.initializer || !t.isVariableDeclarationList(node.initializer) || !declaresSlots(lw, node.initializer)) return node;
    const list = node.initializer;
    const asExpression = t.isForStatement(node) ? declarationsAsExpression(lw, list, visit) : assignmentTarget(lw, list.declarations[0]!.name);
    return t.isForStatement(node)
      ? f.updateForStatement(node, asExpression, node.condition, node.incrementor, node.statement)
      : t.isForInStatement(node)
        ? f.updateForInStatement(node, asExpression, node.expression, node.statement)
        : f.updateForOfStatement(node, node.awaitModifier, asExpression, node.expression, node.statement);
  };
  // The statement under a label list is the labelled loop itself: do not count it twice.
  const visitInner = (node: ts.Node): ts.VisitResult<ts.Node> => {
    if (t.isForStatement(node) || t.isForInStatement(node) || t.isForOfStatement(node)) return t.visitEachChild(withSlotHead(node), visit, context);
    return t.isIterationStatement(node, false) || t.isSwitchStatement(node) ? t.visitEachChild(node, visit, context) : visit(node);
  };
  return visit(node) as ts.Node | ts.Node[];
}

/**
 * The loop variables in frame slots that `closure` reads. A `let`/`const` declared in a loop (its
 * head or its body) is a new binding in every iteration natively, and a closure keeps the one of
 * the iteration that made it; in the frame there is one slot for all iterations. So the closure
 * takes the slot's value when it is made, which is the same as long as nothing assigns the
 * variable after that in the iteration (the update of a `for` head assigns the next iteration's
 * binding, natively too): such an assignment, or one in a closure, is refused.
 *
 * @throws CompileError naming the variable when it is assigned after the closure is made in the
 *   iteration, or in a closure
 */
function iterationCaptures(lw: Lowering, closure: ts.Node): Binding[] {
  const t = lw.t;
  const found = new Set<Binding>();
  const visit = (node: ts.Node): void => {
    if (t.isIdentifier(node) && isReference(t, node)) {
      const b = lw.scopes.bindings.get(node);
      if (b !== undefined && b.slot !== undefined && (b.kind === "let" || b.kind === "const") && loopOf(lw, b) !== undefined) found.add(b);
    }
    t.forEachChild(node, visit);
  };
  visit(closure);
  for (const b of found) {
    const loop = loopOf(lw, b)!;
    const body = t.isIterationStatement(loop, false) ? loop.statement : loop;
    for (const [id, other] of lw.scopes.bindings) {
      if (other !== b || id === b.declaration || !isWrite(t, id)) continue;
      if (enclosingFunction(t, id) !== lw.fn) {
        throw lw.unsupported(
          id,
          `a function made in a loop assigns \`${b.name}\`, a variable of the loop: natively each iteration has its own binding, ` +
            "but the suspended operator keeps one for all iterations. Keep the value in a variable declared outside the loop",
        );
      }
      const inBody = id.pos >= body.pos && id.end <= body.end;
      if (inBody && (id.pos > closure.pos || innerLoopWith(t, id, closure, body))) {
        throw lw.unsupported(
          id,
          `\`${b.name}\` is assigned after a function made in this iteration reads it: natively the function sees that assignment, ` +
            "but the suspended operator keeps one binding for all iterations, so the function gets the value it had when it was made. " +
            "Assign it before making the function, or let the function read a const copy",
        );
      }
    }
  }
  return [...found];
}

/** True when a loop inside `body` contains both nodes (the second may run after the first). */
function innerLoopWith(t: typeof ts, a: ts.Node, b: ts.Node, body: ts.Node): boolean {
  for (let n = a.parent; n !== undefined && n !== body; n = n.parent) {
    if (t.isIterationStatement(n, false) && b.pos >= n.pos && b.end <= n.end) return true;
  }
  return false;
}

/** The loop whose iterations make `b` anew: the loop `b` is declared in (head or body), if any. */
function loopOf(lw: Lowering, b: Binding): ts.Node | undefined {
  const t = lw.t;
  for (let n: ts.Node | undefined = b.scope; n !== undefined && n !== lw.fn; n = n.parent) {
    if (t.isIterationStatement(n, false)) return n;
    if (t.isFunctionLike(n)) return undefined;
  }
  return undefined;
}

function enclosingFunction(t: typeof ts, node: ts.Node): ts.Node | undefined {
  for (let n = node.parent; n !== undefined; n = n.parent) if (t.isFunctionLike(n)) return n;
  return undefined;
}

/** True when `id` is assigned there (`=`, a compound assignment, `++`/`--`, a destructuring target). */
function isWrite(t: typeof ts, id: ts.Identifier): boolean {
  let node: ts.Node = id;
  for (let p = node.parent; p !== undefined; node = p, p = p.parent) {
    if (t.isBinaryExpression(p)) return p.left === node && p.operatorToken.kind >= t.SyntaxKind.FirstAssignment && p.operatorToken.kind <= t.SyntaxKind.LastAssignment;
    if (t.isPrefixUnaryExpression(p) || t.isPostfixUnaryExpression(p)) {
      return p.operator === t.SyntaxKind.PlusPlusToken || p.operator === t.SyntaxKind.MinusMinusToken;
    }
    if (t.isShorthandPropertyAssignment(p) || t.isPropertyAssignment(p) || t.isArrayLiteralExpression(p) || t.isObjectLiteralExpression(p) || t.isSpreadElement(p) || t.isSpreadAssignment(p)) continue;
    if ((t.isForOfStatement(p) || t.isForInStatement(p)) && p.initializer === node) return true;
    return false;
  }
  return false;
}

/** {@link rewrite} of an expression (which stays one expression). */
export function rewriteExpression(lw: Lowering, e: ts.Expression): ts.Expression {
  return rewrite(lw, e) as ts.Expression;
}

/** True when the declarations of `list` are frame slots (all or none of a list are). */
function declaresSlots(lw: Lowering, list: ts.VariableDeclarationList): boolean {
  const first = list.declarations[0];
  if (first === undefined) return false;
  const id = firstIdentifier(lw.t, first.name);
  return id !== undefined && lw.slotOf(id) !== undefined;
}

/** `let a = 1, b` as `$L.a = 1, $L.b = void 0` (an omitted expression when nothing is assigned). */
function declarationsAsExpression(lw: Lowering, list: ts.VariableDeclarationList, visit: ts.Visitor): ts.Expression {
  const f = lw.f;
  const blockScoped = (list.flags & lw.t.NodeFlags.BlockScoped) !== 0;
  const parts: ts.Expression[] = [];
  for (const d of list.declarations) {
    if (d.initializer !== undefined) parts.push(assignName(lw, d.name, lw.t.visitNode(d.initializer, visit) as ts.Expression));
    else if (blockScoped) parts.push(assignName(lw, d.name, f.createVoidZero()));
  }
  if (parts.length === 0) return f.createOmittedExpression();
  return parts.reduce((a, b) => f.createComma(a, b));
}

/** A `break`/`continue`: kept when its target is kept too, else a machine jump. */
function rewriteJump(lw: Lowering, node: ts.BreakStatement | ts.ContinueStatement, native: readonly NativeTarget[]): ts.Node {
  const isContinue = lw.t.isContinueStatement(node);
  const label = node.label?.text;
  if (native.some((n) => isJumpTarget(n, label, isContinue))) return node;
  const target = lw.flow.targetOf(label, isContinue);
  if (target === undefined) throw lw.unsupported(node, `${isContinue ? "continue" : "break"} ${label ?? ""} has no target`);
  if (isContinue && target.continueTo === undefined) throw lw.unsupported(node, `continue ${label ?? ""} does not name a loop`);
  return lw.f.createBlock(lw.flow.jumpStatements(isContinue ? target.continueTo! : target.breakTo, target.depth), false);
}

function firstIdentifier(t: typeof ts, name: ts.BindingName): ts.Identifier | undefined {
  if (t.isIdentifier(name)) return name;
  for (const el of name.elements) {
    if (t.isOmittedExpression(el)) continue;
    const found = firstIdentifier(t, el.name);
    if (found) return found;
  }
  return undefined;
}

function containsAwait(t: typeof ts, fn: ts.Node): boolean {
  let found = false;
  const visit = (n: ts.Node): void => {
    if (found) return;
    if (t.isAwaitExpression(n)) found = true;
    else if (!(n !== fn && t.isFunctionLike(n))) t.forEachChild(n, visit);
  };
  visit(fn);
  return found;
}

// Declarations as assignments to frame slots: a frame variable is not declared in the emitted
// code, its declaration assigns its slot, so `const { a, b: [c] } = v` becomes
// `({ a: $L.a, b: [$L.c] } = v)`. Patterns hold expressions (defaults, computed keys) and
// rewritten code holds declarations, so the two live in one module.

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
        if (t.isComputedPropertyName(key) && lw.hasAwait(key.expression)) {
          throw lw.unsupported(key, "an await in a computed key of a destructuring pattern is not supported: await the key into a variable first");
        }
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
  if (lw.hasAwait(initializer)) throw lw.unsupported(initializer, "an await inside a destructuring default is not supported: await into a variable first (`const d = await …;`), then use `= d` as the default");
  return lw.f.createAssignment(target, rewriteExpression(lw, initializer));
}
