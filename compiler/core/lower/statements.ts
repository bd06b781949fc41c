/**
 * Statements (docs/compiler.md, "Lowering"): a statement without an await is kept (through
 * `rewrite.ts`); one with an await is laid out as blocks, as `ir.ts` describes for each kind:
 * the test of an `if` or a loop ends its block with a branch, loop bodies jump back, a `switch`
 * tests its cases in order and lays out its bodies so that fall-through is a jump, and a `try`
 * opens an exception entry whose catch and finally blocks the `Flow` routes to.
 */
import type * as ts from "typescript";
import { Code, CompileError } from "../diagnostics.js";
import { isGeneratorCall } from "../generators.js";
import { isAwait, isNoop, lowerAwait, lowerExpr, lowerReturned, unwrap } from "./expressions.js";
import type { Entry } from "./flow.js";
import type { Lowering } from "./lowering.js";
import { assignmentTarget, assignName, rewrite, rewriteExpression } from "./rewrite.js";

export function lowerStatements(lw: Lowering, statements: readonly ts.Statement[]): void {
  for (const s of statements) lowerStatement(lw, s);
}

/** Lowers one statement; the temporaries it takes are free again afterwards. */
export function lowerStatement(lw: Lowering, s: ts.Statement): void {
  lw.temps.statement(() => lowerStatementAt(lw, s));
}

function lowerStatementAt(lw: Lowering, s: ts.Statement): void {
  const { t, f, flow } = lw;
  if (t.isFunctionDeclaration(s)) {
    // Declarations run in the prologue of every resume. One in a nested block gets a name of its
    // own there, so two blocks declaring `f` each call theirs (rewrite.ts renames the references).
    const declared = rewrite(lw, s) as ts.FunctionDeclaration;
    const binding = s.name === undefined ? undefined : lw.scopes.bindings.get(s.name);
    const own = binding === undefined ? undefined : lw.functionName(binding);
    lw.prologue.push(
      own === undefined || own === s.name!.text
        ? declared
        : f.updateFunctionDeclaration(declared, declared.modifiers, declared.asteriskToken, f.createIdentifier(own), declared.typeParameters, declared.parameters, declared.type, declared.body),
    );
    return;
  }
  if (t.isClassDeclaration(s) && lw.scopes.lowered.has(s.parent)) {
    throw new CompileError(s, Code.Unsupported, "declare classes outside of async operators: a class is not data and cannot live in a suspended frame");
  }
  if (!lw.hasAwait(s)) {
    const out = rewrite(lw, s);
    for (const r of Array.isArray(out) ? out : [out]) flow.emitAll([r as ts.Statement]);
    return;
  }
  if (t.isBlock(s)) return lowerStatements(lw, s.statements);
  if (t.isExpressionStatement(s)) {
    const e = unwrap(lw, s.expression);
    // `x = await r` resumes straight into x, without a temporary.
    if (t.isBinaryExpression(e) && e.operatorToken.kind === t.SyntaxKind.EqualsToken && t.isIdentifier(e.left) && lw.slotOf(e.left) && isAwait(lw, e.right)) {
      lowerAwait(lw, unwrap(lw, e.right) as ts.AwaitExpression, false, rewriteExpression(lw, e.left));
      return;
    }
    const value = lowerExpr(lw, s.expression, true);
    if (!isNoop(lw, value)) flow.emit(f.createExpressionStatement(value));
    return;
  }
  if (t.isVariableStatement(s)) return lowerDeclarations(lw, s.declarationList);
  if (t.isReturnStatement(s)) return flow.emitAll(flow.returnStatements(s.expression ? lowerReturned(lw, s.expression, s) : undefined));
  if (t.isThrowStatement(s)) return flow.emitAll([f.createThrowStatement(lowerExpr(lw, s.expression))]);
  if (t.isIfStatement(s)) return lowerIf(lw, s);
  if (t.isLabeledStatement(s)) return lowerLabeled(lw, s);
  if (t.isTryStatement(s)) return lowerTry(lw, s);
  if (lowerBreakable(lw, s, [])) return;
  throw new CompileError(s, Code.Unsupported, `an await inside a ${t.SyntaxKind[s.kind]} is not supported in operators`);
}

/** Lowers a loop or switch (the targets of `break`, named by `labels` too); false for other statements. */
function lowerBreakable(lw: Lowering, s: ts.Statement, labels: readonly string[]): boolean {
  const t = lw.t;
  if (t.isWhileStatement(s) || t.isDoStatement(s)) lowerWhileOrDo(lw, s, labels);
  else if (t.isForStatement(s)) lowerFor(lw, s, labels);
  else if (t.isForOfStatement(s)) lowerForOf(lw, s, labels);
  else if (t.isForInStatement(s)) lowerForIn(lw, s, labels);
  else if (t.isSwitchStatement(s)) lowerSwitch(lw, s, labels);
  else return false;
  return true;
}

function lowerDeclarations(lw: Lowering, list: ts.VariableDeclarationList): void {
  const { t, f, flow } = lw;
  const blockScoped = (list.flags & t.NodeFlags.BlockScoped) !== 0;
  for (const d of list.declarations) {
    if (d.initializer !== undefined && t.isIdentifier(d.name) && isAwait(lw, d.initializer)) {
      // `const x = await r` resumes straight into x, without a temporary.
      lowerAwait(lw, unwrap(lw, d.initializer) as ts.AwaitExpression, false, assignmentTarget(lw, d.name));
    } else if (d.initializer !== undefined) {
      flow.emit(f.createExpressionStatement(assignName(lw, d.name, lowerExpr(lw, d.initializer))));
    } else if (blockScoped) {
      flow.emit(f.createExpressionStatement(assignName(lw, d.name, f.createVoidZero())));
    }
  }
}

function lowerIf(lw: Lowering, s: ts.IfStatement): void {
  const flow = lw.flow;
  const condition = lowerExpr(lw, s.expression);
  const then = flow.label();
  const join = flow.label();
  const otherwise = s.elseStatement ? flow.label() : join;
  flow.branch(condition, then, otherwise);
  flow.place(then);
  lowerStatement(lw, s.thenStatement);
  flow.goto(join);
  if (s.elseStatement) {
    flow.place(otherwise);
    lowerStatement(lw, s.elseStatement);
    flow.goto(join);
  }
  flow.place(join);
}

/** The body of a loop, with `break` going to `exit` and `continue` to `next`. */
function loopBody(lw: Lowering, labels: readonly string[], exit: number, next: number, body: ts.Statement): void {
  lw.flow.withTarget({ labels, kind: "loop", breakTo: exit, continueTo: next }, () => lowerStatement(lw, body));
}

/** `while` tests before the body, `do` after it; both loop back through the test. */
function lowerWhileOrDo(lw: Lowering, s: ts.WhileStatement | ts.DoStatement, labels: readonly string[]): void {
  const flow = lw.flow;
  const testFirst = lw.t.isWhileStatement(s);
  // Block ids in layout order: the test or the body first, then the other, then the exit.
  const first = flow.label();
  const second = flow.label();
  const exit = flow.label();
  const [test, body] = testFirst ? [first, second] : [second, first];
  const lowerTest = (): void => {
    flow.place(test);
    flow.branch(lowerExpr(lw, s.expression), body, exit);
  };
  if (testFirst) lowerTest();
  flow.place(body);
  loopBody(lw, labels, exit, test, s.statement);
  if (testFirst) flow.goto(test);
  else lowerTest();
  flow.place(exit);
}

function lowerFor(lw: Lowering, s: ts.ForStatement, labels: readonly string[]): void {
  const { t, f, flow } = lw;
  if (s.initializer !== undefined) {
    if (t.isVariableDeclarationList(s.initializer)) lowerDeclarations(lw, s.initializer);
    else flow.emit(f.createExpressionStatement(lowerExpr(lw, s.initializer, true)));
  }
  const test = flow.label();
  const body = flow.label();
  const update = flow.label();
  const exit = flow.label();
  flow.place(test);
  if (s.condition !== undefined) flow.branch(lowerExpr(lw, s.condition), body, exit);
  flow.place(body);
  loopBody(lw, labels, exit, update, s.statement);
  flow.place(update);
  if (s.incrementor !== undefined) {
    const e = lowerExpr(lw, s.incrementor, true);
    if (!isNoop(lw, e)) flow.emit(f.createExpressionStatement(e));
  }
  flow.goto(test);
  flow.place(exit);
}

/**
 * The rest of a for-of/for-in once its head is lowered: the block `body` binds the loop variable
 * to `value` and runs the body, which ends by jumping back to `test`.
 */
function iterate(lw: Lowering, s: ts.ForOfStatement | ts.ForInStatement, labels: readonly string[], value: ts.Expression, body: number, test: number, exit: number): void {
  const { t, f, flow } = lw;
  flow.place(body);
  const target = t.isVariableDeclarationList(s.initializer) ? assignmentTarget(lw, s.initializer.declarations[0]!.name) : rewriteExpression(lw, s.initializer);
  flow.emit(f.createExpressionStatement(f.createAssignment(target, value)));
  loopBody(lw, labels, exit, test, s.statement);
  flow.goto(test);
  flow.place(exit);
}

/** True when `e` is a generator object: a generator call, or a local initialised with one. */
function iteratesGenerator(lw: Lowering, e: ts.Expression): boolean {
  const t = lw.t;
  const inner = unwrap(lw, e);
  if (isGeneratorCall(t, inner)) return true;
  const declaration = t.isIdentifier(inner) ? lw.scopes.bindings.get(inner)?.declaration.parent : undefined;
  return declaration !== undefined && t.isVariableDeclaration(declaration) && declaration.initializer !== undefined && isGeneratorCall(t, declaration.initializer);
}

function lowerForOf(lw: Lowering, s: ts.ForOfStatement, labels: readonly string[]): void {
  const { f, flow, temps } = lw;
  if (s.awaitModifier) throw new CompileError(s, Code.Unsupported, "for await…of is not supported in operators: await portal requests inside a plain loop");
  if (iteratesGenerator(lw, s.expression)) {
    throw new CompileError(
      s.expression,
      Code.Unsupported,
      "a for…of whose body awaits cannot iterate a generator: its position cannot be kept in a suspended operator, and taking its elements ahead would move its effects; iterate Array.from(...) of it, or await outside the loop",
    );
  }
  const items = temps.temp();
  flow.emit(f.createExpressionStatement(f.createAssignment(items, lw.rt("iterable", [lowerExpr(lw, s.expression), lw.where(s.expression), f.createStringLiteral(unwrap(lw, s.expression).getText())]))));
  const index = temps.temp();
  flow.emit(f.createExpressionStatement(f.createAssignment(index, f.createNumericLiteral(0))));
  const test = flow.label();
  const body = flow.label();
  const exit = flow.label();
  flow.place(test);
  flow.branch(f.createLessThan(temps.reuse(index), f.createPropertyAccessExpression(temps.reuse(items), "length")), body, exit);
  iterate(lw, s, labels, f.createElementAccessExpression(temps.reuse(items), f.createPostfixIncrement(temps.reuse(index))), body, test, exit);
}

function lowerForIn(lw: Lowering, s: ts.ForInStatement, labels: readonly string[]): void {
  const { f, flow, temps } = lw;
  const object = temps.temp();
  flow.emit(f.createExpressionStatement(f.createAssignment(object, lowerExpr(lw, s.expression))));
  const keys = temps.temp();
  flow.emit(f.createExpressionStatement(f.createAssignment(keys, lw.rt("keys", [temps.reuse(object)]))));
  const index = temps.temp();
  flow.emit(f.createExpressionStatement(f.createAssignment(index, f.createNumericLiteral(0))));
  const key = temps.temp();
  const test = flow.label();
  const check = flow.label();
  const body = flow.label();
  const exit = flow.label();
  flow.place(test);
  flow.branch(f.createLessThan(temps.reuse(index), f.createPropertyAccessExpression(temps.reuse(keys), "length")), check, exit);
  flow.place(check);
  flow.emit(f.createExpressionStatement(f.createAssignment(key, f.createElementAccessExpression(temps.reuse(keys), f.createPostfixIncrement(temps.reuse(index))))));
  // A key deleted before its turn is skipped, as for-in does.
  const present = f.createBinaryExpression(temps.reuse(key), lw.t.SyntaxKind.InKeyword, f.createCallExpression(f.createIdentifier("Object"), undefined, [temps.reuse(object)]));
  flow.branch(present, body, test);
  iterate(lw, s, labels, temps.reuse(key), body, test, exit);
}

function lowerSwitch(lw: Lowering, s: ts.SwitchStatement, labels: readonly string[]): void {
  const { t, f, flow } = lw;
  const discriminant = lw.temps.temp();
  flow.emit(f.createExpressionStatement(f.createAssignment(discriminant, lowerExpr(lw, s.expression))));
  const exit = flow.label();
  const clauses = s.caseBlock.clauses;
  const bodies = clauses.map(() => flow.label());
  clauses.forEach((clause, i) => {
    if (!t.isCaseClause(clause)) return;
    const next = flow.label();
    flow.branch(f.createStrictEquality(lw.temps.reuse(discriminant), lowerExpr(lw, clause.expression)), bodies[i]!, next);
    flow.place(next);
  });
  const defaultIndex = clauses.findIndex((c) => t.isDefaultClause(c));
  flow.goto(defaultIndex >= 0 ? bodies[defaultIndex]! : exit);
  flow.withTarget({ labels, kind: "switch", breakTo: exit, continueTo: undefined }, () =>
    clauses.forEach((clause, i) => {
      flow.place(bodies[i]!);
      lowerStatements(lw, clause.statements);
    }),
  );
  flow.goto(exit);
  flow.place(exit);
}

function lowerLabeled(lw: Lowering, s: ts.LabeledStatement): void {
  const { t, flow } = lw;
  const labels: string[] = [];
  let inner: ts.Statement = s;
  while (t.isLabeledStatement(inner)) {
    labels.push(inner.label.text);
    inner = inner.statement;
  }
  if (lowerBreakable(lw, inner, labels)) return;
  const exit = flow.label();
  flow.withTarget({ labels, kind: "block", breakTo: exit, continueTo: undefined }, () => lowerStatement(lw, inner));
  flow.goto(exit);
  flow.place(exit);
}

function lowerTry(lw: Lowering, s: ts.TryStatement): void {
  const { flow, temps } = lw;
  const entry: Entry = {
    catchBlock: s.catchClause ? flow.label() : undefined,
    finallyBlock: s.finallyBlock ? flow.label() : undefined,
    errorSlot: temps.internal("e"),
    completionSlot: temps.internal("c"),
    jumps: new Map(),
  };
  const k = flow.addEntry(entry);
  const after = flow.label();
  // A normal exit enters the finally with no completion: one left by a finally that itself
  // jumped or threw out (its completion was never consumed) must not be replayed.
  const exitTry = (): void => {
    if (entry.finallyBlock !== undefined && !flow.terminated) lw.flow.emit(lw.f.createExpressionStatement(lw.f.createAssignment(lw.slot(entry.completionSlot), lw.f.createVoidZero())));
    flow.goto(entry.finallyBlock ?? after);
  };
  const tryBlock = flow.label();
  flow.inPart(k, "try", () => {
    flow.place(tryBlock);
    lowerStatement(lw, s.tryBlock);
    exitTry();
  });
  const clause = s.catchClause;
  if (clause) {
    flow.inPart(k, "catch", () => {
      flow.place(entry.catchBlock!);
      lowerCatch(lw, clause, lw.slot(entry.errorSlot));
      exitTry();
    });
  }
  const finallyBlock = s.finallyBlock;
  if (finallyBlock) {
    flow.inPart(k, "finally", () => {
      flow.place(entry.finallyBlock!);
      lowerStatement(lw, finallyBlock);
      if (!flow.terminated) flow.endFinally(entry, after);
    });
  }
  flow.place(after);
}

function lowerCatch(lw: Lowering, clause: ts.CatchClause, error: ts.Expression): void {
  const { t, f, flow } = lw;
  const decl = clause.variableDeclaration;
  if (lw.hasAwait(clause)) {
    if (decl) flow.emit(f.createExpressionStatement(assignName(lw, decl.name, error)));
    lowerStatement(lw, clause.block);
    return;
  }
  // An await-free catch block keeps its variable as an ordinary local.
  const body = rewrite(lw, clause.block) as ts.Block;
  const binding = decl
    ? [f.createVariableStatement(undefined, f.createVariableDeclarationList([f.createVariableDeclaration(rewrite(lw, decl.name) as ts.BindingName, undefined, undefined, error)], t.NodeFlags.Let))]
    : [];
  flow.emitAll([f.createBlock([...binding, ...body.statements], true)]);
}
