/**
 * Lowering: one async function to blocks (the IR and the code it emits are defined in
 * `ir.ts`). Statements and expressions without an await are kept, rewritten for frame slots;
 * those with an await are taken apart so that JavaScript's evaluation order, control flow and
 * exception semantics survive being cut at every await.
 */
import type * as ts from "typescript";
import { Code, CompileError } from "./diagnostics.js";
import type { AwaitKind, Block, Handler, LoweredFunction, Names, Param } from "./ir.js";
import type { Liveness } from "./liveness.js";
import { isReference, type Scopes } from "./scope.js";

/** What lowering needs from the file it works in. */
export interface LowerEnv {
  readonly t: typeof ts;
  readonly context: ts.TransformationContext;
  readonly names: Names;
  /** `file:line` of a node, for run-time messages. */
  where(node: ts.Node): string;
  /** True for an outer variable declared with `let`/`var`: its value may change while suspended. */
  isMutableOuter(id: ts.Identifier): boolean;
  /** How `await operand` is lowered (checked for validity before lowering). */
  classify(operand: ts.Expression): AwaitKind;
}

interface TryFrame {
  readonly entry: number;
  part: "try" | "catch" | "finally";
}

interface Entry {
  readonly catchBlock: number | undefined;
  readonly finallyBlock: number | undefined;
  readonly errorSlot: string;
  readonly completionSlot: string;
  /** Jump targets that pass through this entry's finally, with the try depth of the target. */
  readonly jumps: Map<number, number>;
}

interface Target {
  readonly labels: readonly string[];
  readonly kind: "loop" | "switch" | "block";
  readonly breakTo: number;
  readonly continueTo: number | undefined;
  /** Number of try frames open where the target is. */
  readonly depth: number;
}

/**
 * Lowers `fn` with its scope analysis. `contextParam` is the index of the task context
 * parameter (-1 for helpers).
 *
 * @throws CompileError for constructs the lowering does not support, with the reason
 */
export function lowerFunction(env: LowerEnv, fn: ts.FunctionLikeDeclaration, scopes: Scopes, liveness: Liveness, contextParam: number): LoweredFunction {
  return new Lowering(env, fn, scopes, liveness, contextParam).run();
}

class Lowering {
  private readonly t: typeof ts;
  private readonly f: ts.NodeFactory;
  private readonly n: Names;
  private readonly blocks: Block[] = [];
  private nextId = 0;
  private current!: Block;
  private readonly tries: TryFrame[] = [];
  private readonly entries: Entry[] = [];
  private readonly targets: Target[] = [];
  private readonly prologue: ts.Statement[] = [];
  private readonly slotNames: Set<string>;
  /** Slot references made for temporaries: their values never change, so they need no spill. */
  private readonly stable = new WeakSet<ts.Node>();
  private internalCount = 0;
  private readonly tempNames: string[] = [];
  private tempLevel = 0;
  /** Lowered scopes around the code being lowered, outermost first (the function itself first). */
  private readonly scopeStack: ts.Node[] = [];
  private contextName: string | undefined;

  constructor(
    private readonly env: LowerEnv,
    private readonly fn: ts.FunctionLikeDeclaration,
    private readonly scopes: Scopes,
    private readonly liveness: Liveness,
    private readonly contextParam: number,
  ) {
    this.t = env.t;
    this.f = env.t.factory;
    this.n = env.names;
    this.slotNames = new Set(scopes.own.flatMap((b) => (b.slot ? [b.slot] : [])));
  }

  run(): LoweredFunction {
    const t = this.t;
    this.scopeStack.push(this.fn);
    this.place(this.label());
    const params = this.lowerParams();
    const body = this.fn.body!;
    if (t.isBlock(body)) this.lowerStatements(body.statements);
    else this.emitAll(this.returnStatements(this.lowerExpr(body)));
    if (!this.current.terminated) this.emitAll(this.returnStatements(undefined));
    for (let id = 0; id < this.nextId; id++) {
      if (this.blocks[id] === undefined) throw new Error(`internal: block ${id} was never placed`);
    }
    return { blocks: this.blocks, params, contextName: this.contextName, prologue: this.prologue };
  }

  // ---- blocks and jumps ----

  private label(): number {
    return this.nextId++;
  }

  /** Starts block `id` here; the open block falls through to it. */
  private place(id: number): void {
    if (this.current !== undefined && !this.current.terminated) this.emitAll(this.jumpTo(id));
    const block: Block = { id, statements: [], handler: this.handler(), terminated: false };
    this.blocks[id] = block;
    this.current = block;
  }

  private handler(): Handler | undefined {
    for (let i = this.tries.length - 1; i >= 0; i--) {
      const frame = this.tries[i]!;
      const entry = this.entries[frame.entry]!;
      if (frame.part === "try" && entry.catchBlock !== undefined) {
        return { kind: "catch", entry: frame.entry, target: entry.catchBlock, slot: entry.errorSlot };
      }
      if (frame.part !== "finally" && entry.finallyBlock !== undefined) {
        return { kind: "finally", entry: frame.entry, target: entry.finallyBlock, slot: entry.completionSlot };
      }
    }
    return undefined;
  }

  private emit(statement: ts.Statement): void {
    if (this.current.terminated) this.place(this.label()); // unreachable code after a jump
    this.current.statements.push(statement);
  }

  /** Emits `statements`; the block is terminated when they end with a return, throw or jump. */
  private emitAll(statements: readonly ts.Statement[]): void {
    for (const s of statements) this.emit(s);
    const last = statements[statements.length - 1];
    if (last !== undefined && this.endsWithJump(last)) this.current.terminated = true;
  }

  private endsWithJump(s: ts.Statement): boolean {
    const t = this.t;
    if (t.isBlock(s)) {
      const last = s.statements[s.statements.length - 1];
      return last !== undefined && this.endsWithJump(last);
    }
    return t.isReturnStatement(s) || t.isThrowStatement(s) || (t.isContinueStatement(s) && s.label?.text === this.n.dispatch);
  }

  /** `$f.pc = target; continue $dispatch;` */
  private jumpTo(target: number): ts.Statement[] {
    const f = this.f;
    return [
      f.createExpressionStatement(f.createAssignment(this.pc(), f.createNumericLiteral(target))),
      f.createContinueStatement(f.createIdentifier(this.n.dispatch)),
    ];
  }

  private goto(target: number): void {
    if (!this.current.terminated) this.emitAll(this.jumpTo(target));
  }

  private branch(condition: ts.Expression, then: number, otherwise: number): void {
    const f = this.f;
    this.emitAll([
      f.createExpressionStatement(
        f.createAssignment(this.pc(), f.createConditionalExpression(condition, undefined, f.createNumericLiteral(then), undefined, f.createNumericLiteral(otherwise))),
      ),
      f.createContinueStatement(f.createIdentifier(this.n.dispatch)),
    ]);
  }

  /**
   * Ends the block with `$f.pc = resume; return <step>;` and starts the resume block, which
   * stores the resume value in `into` (or a new temporary), or drops it with `discard`.
   */
  private suspend(at: ts.Node, step: ts.Expression, discard: boolean, into?: ts.Expression): ts.Expression {
    const f = this.f;
    const resume = this.label();
    const dead = this.deadSlots(at);
    if (dead.length > 0) {
      const clear = dead.reduceRight<ts.Expression>((value, name) => f.createAssignment(this.slot(name), value), f.createVoidZero());
      this.emit(f.createExpressionStatement(clear));
    }
    this.emitAll([f.createExpressionStatement(f.createAssignment(this.pc(), f.createNumericLiteral(resume))), f.createReturnStatement(step)]);
    this.place(resume);
    const value = this.rt("value", [f.createIdentifier(this.n.input)]);
    if (discard) {
      this.emit(f.createExpressionStatement(value));
      return f.createVoidZero();
    }
    if (into !== undefined) {
      this.emit(f.createExpressionStatement(f.createAssignment(into, value)));
      return f.createVoidZero();
    }
    const tmp = this.temp();
    this.emit(f.createExpressionStatement(f.createAssignment(tmp, value)));
    return this.reuse(tmp);
  }

  /**
   * Slots cleared before suspending at `at`, so a snapshot holds only live data (a state handle
   * used only before the await, say, is not data and would make the snapshot fail): the
   * variables dead there (`liveness.ts`) and the temporaries of finished statements.
   */
  private deadSlots(at: ts.Node): string[] {
    const dead = this.liveness.deadSlots(at);
    for (let i = this.tempLevel; i < this.tempNames.length; i++) dead.push(this.tempNames[i]!);
    return dead;
  }

  /** Lowers `work` inside the lowered scope `node`. */
  private inScope(node: ts.Node, work: () => void): void {
    this.scopeStack.push(node);
    try {
      work();
    } finally {
      this.scopeStack.pop();
    }
  }

  /** Frame crossing: the finally entries a jump to try depth `depth` must run, innermost first. */
  private crossing(depth: number): number[] {
    const out: number[] = [];
    for (let i = this.tries.length - 1; i >= depth; i--) {
      const frame = this.tries[i]!;
      if (frame.part !== "finally" && this.entries[frame.entry]!.finallyBlock !== undefined) out.push(frame.entry);
    }
    return out;
  }

  /** A `break`/`continue` to block `target` at try depth `depth`, through finally blocks. */
  private jumpStatements(target: number, depth: number): ts.Statement[] {
    const crossed = this.crossing(depth);
    if (crossed.length === 0) return this.jumpTo(target);
    const entry = this.entries[crossed[0]!]!;
    entry.jumps.set(target, depth);
    return this.viaFinally(entry, { type: "jump", target: this.f.createNumericLiteral(target) });
  }

  /** A `return value` (through every enclosing finally). */
  private returnStatements(value: ts.Expression | undefined): ts.Statement[] {
    const f = this.f;
    const crossed = this.crossing(0);
    if (crossed.length === 0) return [f.createReturnStatement(this.rt("done", value ? [value] : []))];
    return this.viaFinally(this.entries[crossed[0]!]!, { type: "return", value: value ?? f.createVoidZero() });
  }

  private viaFinally(entry: Entry, completion: { type: string; value?: ts.Expression; target?: ts.Expression }): ts.Statement[] {
    const f = this.f;
    const props = [f.createPropertyAssignment("type", f.createStringLiteral(completion.type))];
    if (completion.value) props.push(f.createPropertyAssignment("value", completion.value));
    if (completion.target) props.push(f.createPropertyAssignment("target", completion.target));
    return [
      f.createExpressionStatement(f.createAssignment(this.slot(entry.completionSlot), f.createObjectLiteralExpression(props))),
      ...this.jumpTo(entry.finallyBlock!),
    ];
  }

  // ---- names ----

  private pc(): ts.Expression {
    return this.f.createPropertyAccessExpression(this.f.createIdentifier(this.n.frame), "pc");
  }

  private slot(name: string): ts.PropertyAccessExpression {
    return this.f.createPropertyAccessExpression(this.f.createIdentifier(this.n.locals), name);
  }

  private rt(name: string, args: readonly ts.Expression[]): ts.CallExpression {
    return this.f.createCallExpression(this.f.createPropertyAccessExpression(this.f.createIdentifier(this.n.rt), name), undefined, args);
  }

  /** A fresh internal slot name (`$t3`, `$c1`, …) that no user variable uses. */
  private internal(prefix: string): string {
    let name: string;
    do name = `$${prefix}${++this.internalCount}`;
    while (this.slotNames.has(name));
    this.slotNames.add(name);
    return name;
  }

  /**
   * A temporary slot. Temporaries are a stack: a statement's expression temporaries are freed
   * when the statement is lowered, so the frame holds only as many as the deepest statement.
   */
  private temp(): ts.PropertyAccessExpression {
    if (this.tempLevel === this.tempNames.length) this.tempNames.push(this.internal("t"));
    const ref = this.slot(this.tempNames[this.tempLevel++]!);
    this.stable.add(ref);
    return ref;
  }

  /** A new node for the same temporary slot (a node is used in one place only). */
  private reuse(ref: ts.PropertyAccessExpression): ts.PropertyAccessExpression {
    const copy = this.slot(ref.name.text);
    this.stable.add(copy);
    return copy;
  }

  private where(node: ts.Node): ts.StringLiteral {
    return this.f.createStringLiteral(this.env.where(node));
  }

  // ---- parameters ----

  private lowerParams(): Param[] {
    const t = this.t;
    const params: Param[] = [];
    this.fn.parameters.forEach((p, i) => {
      if (i === this.contextParam) {
        if (!t.isIdentifier(p.name)) throw new CompileError(p, Code.Unsupported, "destructure the task context inside the body: the context parameter is re-bound on every resume and must be a plain name");
        this.contextName = p.name.text;
        return;
      }
      const rest = p.dotDotDotToken !== undefined;
      const binding = t.isIdentifier(p.name) ? this.scopes.bindings.get(p.name) : undefined;
      if (binding?.slot !== undefined && p.initializer === undefined) {
        params.push({ slot: binding.slot, rest });
        return;
      }
      const raw = this.internal("p");
      params.push({ slot: raw, rest });
      const arg = this.slot(raw);
      const value = p.initializer
        ? this.f.createConditionalExpression(
            this.f.createStrictEquality(arg, this.f.createVoidZero()),
            undefined,
            this.lowerExpr(p.initializer),
            undefined,
            this.slot(raw),
          )
        : arg;
      this.emit(this.f.createExpressionStatement(this.assignName(p.name, value)));
    });
    return params;
  }

  // ---- statements ----

  private lowerStatements(statements: readonly ts.Statement[]): void {
    for (const s of statements) this.lowerStatement(s);
  }

  private hasAwait(node: ts.Node): boolean {
    return this.scopes.awaits.has(node);
  }

  private lowerStatement(s: ts.Statement): void {
    const mark = this.tempLevel;
    try {
      this.lowerStatementAt(s);
    } finally {
      this.tempLevel = mark;
    }
  }

  private lowerStatementAt(s: ts.Statement): void {
    const t = this.t;
    if (t.isFunctionDeclaration(s)) {
      this.prologue.push(this.rewrite(s) as ts.Statement);
      return;
    }
    if (t.isClassDeclaration(s) && this.scopes.lowered.has(s.parent)) {
      throw new CompileError(s, Code.Unsupported, "declare classes outside of async operators: a class is not data and cannot live in a suspended frame");
    }
    if (!this.hasAwait(s)) {
      const out = this.rewrite(s);
      for (const r of Array.isArray(out) ? out : [out]) this.emitAll([r as ts.Statement]);
      return;
    }
    if (t.isBlock(s)) return this.inScope(s, () => this.lowerStatements(s.statements));
    if (t.isExpressionStatement(s)) {
      const e = this.unwrap(s.expression);
      if (t.isBinaryExpression(e) && e.operatorToken.kind === t.SyntaxKind.EqualsToken && t.isIdentifier(e.left) && this.slotOf(e.left) && this.isAwait(e.right)) {
        this.lowerAwait(this.unwrap(e.right) as ts.AwaitExpression, false, this.rewrite(e.left) as ts.Expression);
        return;
      }
      const value = this.lowerExpr(s.expression, true);
      if (!this.isNoop(value)) this.emit(this.f.createExpressionStatement(value));
      return;
    }
    if (t.isVariableStatement(s)) return this.lowerDeclarations(s.declarationList);
    if (t.isReturnStatement(s)) return this.emitAll(this.returnStatements(s.expression ? this.lowerExpr(s.expression) : undefined));
    if (t.isThrowStatement(s)) return this.emitAll([this.f.createThrowStatement(this.lowerExpr(s.expression))]);
    if (t.isIfStatement(s)) return this.lowerIf(s);
    if (t.isWhileStatement(s)) return this.lowerWhile(s, []);
    if (t.isDoStatement(s)) return this.lowerDo(s, []);
    if (t.isForStatement(s)) return this.lowerFor(s, []);
    if (t.isForOfStatement(s)) return this.lowerForOf(s, []);
    if (t.isForInStatement(s)) return this.lowerForIn(s, []);
    if (t.isSwitchStatement(s)) return this.lowerSwitch(s, []);
    if (t.isLabeledStatement(s)) return this.lowerLabeled(s);
    if (t.isTryStatement(s)) return this.lowerTry(s);
    throw new CompileError(s, Code.Unsupported, `an await inside a ${t.SyntaxKind[s.kind]} is not supported in operators`);
  }

  private unwrap(e: ts.Expression): ts.Expression {
    const t = this.t;
    while (t.isParenthesizedExpression(e) || t.isAsExpression(e) || t.isNonNullExpression(e) || t.isSatisfiesExpression(e) || t.isTypeAssertionExpression(e)) e = e.expression;
    return e;
  }

  private isAwait(e: ts.Expression): boolean {
    return this.t.isAwaitExpression(this.unwrap(e));
  }

  private isNoop(e: ts.Expression): boolean {
    return this.stable.has(e) || (this.t.isVoidExpression(e) && this.t.isNumericLiteral(e.expression));
  }

  private lowerDeclarations(list: ts.VariableDeclarationList): void {
    const blockScoped = (list.flags & this.t.NodeFlags.BlockScoped) !== 0;
    for (const d of list.declarations) {
      if (d.initializer !== undefined && this.t.isIdentifier(d.name) && this.isAwait(d.initializer)) {
        // `const x = await r` resumes straight into x, without a temporary.
        this.lowerAwait(this.unwrap(d.initializer) as ts.AwaitExpression, false, this.assignmentTarget(d.name));
      } else if (d.initializer !== undefined) {
        this.emit(this.f.createExpressionStatement(this.assignName(d.name, this.lowerExpr(d.initializer))));
      } else if (blockScoped) {
        this.emit(this.f.createExpressionStatement(this.assignName(d.name, this.f.createVoidZero())));
      }
    }
  }

  private lowerIf(s: ts.IfStatement): void {
    const condition = this.lowerExpr(s.expression);
    const then = this.label();
    const join = this.label();
    const otherwise = s.elseStatement ? this.label() : join;
    this.branch(condition, then, otherwise);
    this.place(then);
    this.lowerStatement(s.thenStatement);
    this.goto(join);
    if (s.elseStatement) {
      this.place(otherwise);
      this.lowerStatement(s.elseStatement);
      this.goto(join);
    }
    this.place(join);
  }

  private loop(labels: readonly string[], breakTo: number, continueTo: number, body: () => void): void {
    this.targets.push({ labels, kind: "loop", breakTo, continueTo, depth: this.tries.length });
    try {
      body();
    } finally {
      this.targets.pop();
    }
  }

  private lowerWhile(s: ts.WhileStatement, labels: readonly string[]): void {
    const test = this.label();
    const body = this.label();
    const exit = this.label();
    this.place(test);
    this.branch(this.lowerExpr(s.expression), body, exit);
    this.place(body);
    this.loop(labels, exit, test, () => this.lowerStatement(s.statement));
    this.goto(test);
    this.place(exit);
  }

  private lowerDo(s: ts.DoStatement, labels: readonly string[]): void {
    const body = this.label();
    const test = this.label();
    const exit = this.label();
    this.place(body);
    this.loop(labels, exit, test, () => this.lowerStatement(s.statement));
    this.place(test);
    this.branch(this.lowerExpr(s.expression), body, exit);
    this.place(exit);
  }

  private lowerFor(s: ts.ForStatement, labels: readonly string[]): void {
    this.inScope(s, () => this.lowerForScoped(s, labels));
  }

  private lowerForScoped(s: ts.ForStatement, labels: readonly string[]): void {
    const t = this.t;
    if (s.initializer !== undefined) {
      if (t.isVariableDeclarationList(s.initializer)) this.lowerDeclarations(s.initializer);
      else this.emit(this.f.createExpressionStatement(this.lowerExpr(s.initializer, true)));
    }
    const test = this.label();
    const body = this.label();
    const update = this.label();
    const exit = this.label();
    this.place(test);
    if (s.condition !== undefined) this.branch(this.lowerExpr(s.condition), body, exit);
    this.place(body);
    this.loop(labels, exit, update, () => this.lowerStatement(s.statement));
    this.place(update);
    if (s.incrementor !== undefined) {
      const e = this.lowerExpr(s.incrementor, true);
      if (!this.isNoop(e)) this.emit(this.f.createExpressionStatement(e));
    }
    this.goto(test);
    this.place(exit);
  }

  /** Binds the loop variable of a for-of/for-in to `value`. */
  private bindLoopVariable(initializer: ts.ForInitializer, value: ts.Expression): void {
    const f = this.f;
    if (this.t.isVariableDeclarationList(initializer)) {
      this.emit(f.createExpressionStatement(this.assignName(initializer.declarations[0]!.name, value)));
    } else {
      this.emit(f.createExpressionStatement(f.createAssignment(this.rewrite(initializer) as ts.Expression, value)));
    }
  }

  private lowerForOf(s: ts.ForOfStatement, labels: readonly string[]): void {
    this.inScope(s, () => this.lowerForOfScoped(s, labels));
  }

  private lowerForOfScoped(s: ts.ForOfStatement, labels: readonly string[]): void {
    const f = this.f;
    if (s.awaitModifier) throw new CompileError(s, Code.Unsupported, "for await…of is not supported in operators: await portal requests inside a plain loop");
    const items = this.temp();
    this.emit(f.createExpressionStatement(f.createAssignment(items, this.rt("iterable", [this.lowerExpr(s.expression)]))));
    const index = this.temp();
    this.emit(f.createExpressionStatement(f.createAssignment(index, f.createNumericLiteral(0))));
    const test = this.label();
    const body = this.label();
    const exit = this.label();
    this.place(test);
    this.branch(f.createLessThan(this.reuse(index), f.createPropertyAccessExpression(this.reuse(items), "length")), body, exit);
    this.place(body);
    this.bindLoopVariable(s.initializer, f.createElementAccessExpression(this.reuse(items), f.createPostfixIncrement(this.reuse(index))));
    this.loop(labels, exit, test, () => this.lowerStatement(s.statement));
    this.goto(test);
    this.place(exit);
  }

  private lowerForIn(s: ts.ForInStatement, labels: readonly string[]): void {
    this.inScope(s, () => this.lowerForInScoped(s, labels));
  }

  private lowerForInScoped(s: ts.ForInStatement, labels: readonly string[]): void {
    const f = this.f;
    const object = this.temp();
    this.emit(f.createExpressionStatement(f.createAssignment(object, this.lowerExpr(s.expression))));
    const keys = this.temp();
    this.emit(f.createExpressionStatement(f.createAssignment(keys, this.rt("keys", [this.reuse(object)]))));
    const index = this.temp();
    this.emit(f.createExpressionStatement(f.createAssignment(index, f.createNumericLiteral(0))));
    const key = this.temp();
    const test = this.label();
    const check = this.label();
    const body = this.label();
    const exit = this.label();
    this.place(test);
    this.branch(f.createLessThan(this.reuse(index), f.createPropertyAccessExpression(this.reuse(keys), "length")), check, exit);
    this.place(check);
    this.emit(f.createExpressionStatement(f.createAssignment(key, f.createElementAccessExpression(this.reuse(keys), f.createPostfixIncrement(this.reuse(index))))));
    // A key deleted before its turn is skipped, as for-in does.
    this.branch(f.createBinaryExpression(this.reuse(key), this.t.SyntaxKind.InKeyword, f.createCallExpression(f.createIdentifier("Object"), undefined, [this.reuse(object)])), body, test);
    this.place(body);
    this.bindLoopVariable(s.initializer, this.reuse(key));
    this.loop(labels, exit, test, () => this.lowerStatement(s.statement));
    this.goto(test);
    this.place(exit);
  }

  private lowerSwitch(s: ts.SwitchStatement, labels: readonly string[]): void {
    const f = this.f;
    const t = this.t;
    const discriminant = this.temp();
    this.emit(f.createExpressionStatement(f.createAssignment(discriminant, this.lowerExpr(s.expression))));
    const exit = this.label();
    const clauses = s.caseBlock.clauses;
    const bodies = clauses.map(() => this.label());
    clauses.forEach((clause, i) => {
      if (!t.isCaseClause(clause)) return;
      const next = this.label();
      this.branch(f.createStrictEquality(this.reuse(discriminant), this.lowerExpr(clause.expression)), bodies[i]!, next);
      this.place(next);
    });
    const defaultIndex = clauses.findIndex((c) => t.isDefaultClause(c));
    this.goto(defaultIndex >= 0 ? bodies[defaultIndex]! : exit);
    this.targets.push({ labels, kind: "switch", breakTo: exit, continueTo: undefined, depth: this.tries.length });
    try {
      this.inScope(s.caseBlock, () =>
        clauses.forEach((clause, i) => {
          this.place(bodies[i]!);
          this.lowerStatements(clause.statements);
        }),
      );
    } finally {
      this.targets.pop();
    }
    this.goto(exit);
    this.place(exit);
  }

  private lowerLabeled(s: ts.LabeledStatement): void {
    const t = this.t;
    const labels: string[] = [];
    let inner: ts.Statement = s;
    while (t.isLabeledStatement(inner)) {
      labels.push(inner.label.text);
      inner = inner.statement;
    }
    if (t.isWhileStatement(inner)) return this.lowerWhile(inner, labels);
    if (t.isDoStatement(inner)) return this.lowerDo(inner, labels);
    if (t.isForStatement(inner)) return this.lowerFor(inner, labels);
    if (t.isForOfStatement(inner)) return this.lowerForOf(inner, labels);
    if (t.isForInStatement(inner)) return this.lowerForIn(inner, labels);
    if (t.isSwitchStatement(inner)) return this.lowerSwitch(inner, labels);
    const exit = this.label();
    this.targets.push({ labels, kind: "block", breakTo: exit, continueTo: undefined, depth: this.tries.length });
    try {
      this.lowerStatement(inner);
    } finally {
      this.targets.pop();
    }
    this.goto(exit);
    this.place(exit);
  }

  private lowerTry(s: ts.TryStatement): void {
    const f = this.f;
    const k = this.entries.length;
    const entry: Entry = {
      catchBlock: s.catchClause ? this.label() : undefined,
      finallyBlock: s.finallyBlock ? this.label() : undefined,
      errorSlot: this.internal("e"),
      completionSlot: this.internal("c"),
      jumps: new Map(),
    };
    this.entries.push(entry);
    const after = this.label();
    const exitTry = (): void => this.goto(entry.finallyBlock ?? after);
    const frame: TryFrame = { entry: k, part: "try" };
    this.tries.push(frame);
    this.place(this.label());
    this.lowerStatement(s.tryBlock);
    exitTry();
    if (s.catchClause) {
      frame.part = "catch";
      this.place(entry.catchBlock!);
      this.lowerCatch(s.catchClause, this.slot(entry.errorSlot));
      exitTry();
    }
    this.tries.pop();
    if (s.finallyBlock) {
      this.tries.push({ entry: k, part: "finally" });
      this.place(entry.finallyBlock!);
      this.lowerStatement(s.finallyBlock);
      if (!this.current.terminated) this.endFinally(entry, after);
      this.tries.pop();
    }
    this.place(after);
  }

  private lowerCatch(clause: ts.CatchClause, error: ts.Expression): void {
    const f = this.f;
    const decl = clause.variableDeclaration;
    if (this.hasAwait(clause)) {
      this.inScope(clause, () => {
        if (decl) this.emit(f.createExpressionStatement(this.assignName(decl.name, error)));
        this.lowerStatement(clause.block);
      });
      return;
    }
    // An await-free catch block keeps its variable as an ordinary local.
    const body = this.rewrite(clause.block) as ts.Block;
    const binding = decl
      ? [f.createVariableStatement(undefined, f.createVariableDeclarationList([f.createVariableDeclaration(this.rewrite(decl.name) as ts.BindingName, undefined, undefined, error)], this.t.NodeFlags.Let))]
      : [];
    this.emitAll([f.createBlock([...binding, ...body.statements], true)]);
  }

  /** The end of a finally block: rethrow, return or jump on, as the stored completion says. */
  private endFinally(entry: Entry, after: number): void {
    const f = this.f;
    const c = (): ts.Identifier => f.createIdentifier(this.n.completion);
    const field = (name: string): ts.Expression => f.createPropertyAccessExpression(c(), name);
    const cases = [...entry.jumps].map(([target, depth]) => f.createCaseClause(f.createNumericLiteral(target), this.jumpStatements(target, depth)));
    const statements: ts.Statement[] = [
      f.createVariableStatement(undefined, f.createVariableDeclarationList([f.createVariableDeclaration(this.n.completion, undefined, undefined, this.slot(entry.completionSlot))], this.t.NodeFlags.Const)),
      f.createExpressionStatement(f.createAssignment(this.slot(entry.completionSlot), f.createVoidZero())),
      f.createIfStatement(f.createStrictEquality(c(), f.createVoidZero()), f.createBlock(this.jumpTo(after), false)),
      f.createIfStatement(f.createStrictEquality(field("type"), f.createStringLiteral("throw")), f.createThrowStatement(field("value"))),
      f.createIfStatement(f.createStrictEquality(field("type"), f.createStringLiteral("return")), f.createBlock(this.returnStatements(field("value")), false)),
    ];
    if (cases.length > 0) statements.push(f.createSwitchStatement(field("target"), f.createCaseBlock(cases)));
    statements.push(f.createThrowStatement(f.createNewExpression(f.createIdentifier("Error"), undefined, [f.createStringLiteral("portals: unknown completion in finally")])));
    this.emitAll([f.createBlock(statements, true)]);
  }

  // ---- expressions ----

  /**
   * Lowers `e`, emitting what must run before it, and returns an await-free expression for its
   * value. With `discard`, the value is not needed (expression statements).
   */
  private lowerExpr(e: ts.Expression, discard = false): ts.Expression {
    const t = this.t;
    const f = this.f;
    if (!this.hasAwait(e)) return this.rewrite(e) as ts.Expression;
    if (t.isParenthesizedExpression(e)) return discard ? this.lowerExpr(e.expression, true) : f.createParenthesizedExpression(this.lowerExpr(e.expression));
    if (t.isAsExpression(e) || t.isTypeAssertionExpression(e) || t.isNonNullExpression(e) || t.isSatisfiesExpression(e)) return this.lowerExpr(e.expression, discard);
    if (t.isAwaitExpression(e)) return this.lowerAwait(e, discard);
    if (t.isBinaryExpression(e)) return this.lowerBinary(e, discard);
    if (t.isConditionalExpression(e)) return this.lowerConditional(e);
    if (t.isCallExpression(e)) return this.lowerCall(e);
    if (t.isNewExpression(e)) return f.createNewExpression(this.rewrite(e.expression) as ts.Expression, undefined, this.lowerList(e.arguments ?? []));
    if (t.isPropertyAccessExpression(e)) {
      if (e.questionDotToken) throw this.unsupported(e, "an await before ?. is not supported: assign the awaited value to a variable first");
      return f.createPropertyAccessExpression(this.lowerExpr(e.expression), e.name.text);
    }
    if (t.isElementAccessExpression(e)) {
      if (e.questionDotToken) throw this.unsupported(e, "an await before ?.[ is not supported: assign the awaited value to a variable first");
      const [object, index] = this.lowerList([e.expression, e.argumentExpression]);
      return f.createElementAccessExpression(object!, index!);
    }
    if (t.isArrayLiteralExpression(e)) return f.createArrayLiteralExpression(this.lowerList(e.elements));
    if (t.isObjectLiteralExpression(e)) return this.lowerObject(e);
    if (t.isTemplateExpression(e)) return this.lowerTemplate(e);
    if (t.isPrefixUnaryExpression(e)) {
      if (e.operator === t.SyntaxKind.PlusPlusToken || e.operator === t.SyntaxKind.MinusMinusToken) throw this.unsupported(e, "an await inside ++/-- is not supported");
      return f.createPrefixUnaryExpression(e.operator, this.lowerExpr(e.operand));
    }
    if (t.isTypeOfExpression(e)) return f.createTypeOfExpression(this.lowerExpr(e.expression));
    if (t.isVoidExpression(e)) return f.createVoidExpression(this.lowerExpr(e.expression));
    if (t.isDeleteExpression(e)) {
      const target = e.expression;
      if (t.isElementAccessExpression(target)) {
        const [object, index] = this.lowerList([target.expression, target.argumentExpression]);
        return f.createDeleteExpression(f.createElementAccessExpression(object!, index!));
      }
      return f.createDeleteExpression(this.lowerExpr(target));
    }
    throw this.unsupported(e, `an await inside ${t.SyntaxKind[e.kind]} is not supported`);
  }

  private unsupported(node: ts.Node, message: string): CompileError {
    return new CompileError(node, Code.Unsupported, message);
  }

  private lowerAwait(e: ts.AwaitExpression, discard: boolean, into?: ts.Expression): ts.Expression {
    const t = this.t;
    const f = this.f;
    let operand: ts.Expression = e.expression;
    while (t.isParenthesizedExpression(operand)) operand = operand.expression;
    const where = this.where(e);
    switch (this.env.classify(operand)) {
      case "all": {
        const call = operand as ts.CallExpression;
        const list = this.lowerExpr(call.arguments[0]!);
        return this.suspend(e, this.rt("suspendAll", [list, where]), discard, into);
      }
      case "helper": {
        const call = operand as ts.CallExpression;
        if (this.hasAwait(call.expression)) throw this.unsupported(call.expression, "an await inside the callee of an awaited helper call is not supported");
        const callee = this.rewrite(call.expression) as ts.Expression;
        const args = f.createArrayLiteralExpression(this.lowerList(call.arguments));
        return this.suspend(e, this.rt("call", [callee, args, where]), discard, into);
      }
      default:
        return this.suspend(e, this.rt("suspend", [this.lowerExpr(operand), where]), discard, into);
    }
  }

  private lowerBinary(e: ts.BinaryExpression, discard: boolean): ts.Expression {
    const t = this.t;
    const f = this.f;
    const op = e.operatorToken.kind;
    const K = t.SyntaxKind;
    if (op === K.CommaToken) {
      const left = this.lowerExpr(e.left, true);
      if (!this.isNoop(left)) this.emit(f.createExpressionStatement(left));
      return this.lowerExpr(e.right, discard);
    }
    if (op === K.AmpersandAmpersandToken || op === K.BarBarToken || op === K.QuestionQuestionToken) {
      if (!this.hasAwait(e.right)) return f.createBinaryExpression(this.lowerExpr(e.left), op, this.rewrite(e.right) as ts.Expression);
      return this.shortCircuit(op, () => this.lowerExpr(e.left), () => this.lowerExpr(e.right));
    }
    if (op === K.AmpersandAmpersandEqualsToken || op === K.BarBarEqualsToken || op === K.QuestionQuestionEqualsToken) {
      // a &&= b is a && (a = b) for a plain target: the right side runs only when needed.
      if (!t.isIdentifier(e.left)) throw this.unsupported(e, "an await on the right of &&=, ||= or ??= needs a plain variable on the left");
      const plain = op === K.AmpersandAmpersandEqualsToken ? K.AmpersandAmpersandToken : op === K.BarBarEqualsToken ? K.BarBarToken : K.QuestionQuestionToken;
      const target = e.left;
      return this.shortCircuit(plain, () => this.rewrite(target) as ts.Expression, () => f.createAssignment(this.rewrite(target) as ts.Expression, this.lowerExpr(e.right)));
    }
    if (op === K.EqualsToken) return this.lowerAssignment(e);
    if (op >= K.FirstCompoundAssignment && op <= K.LastCompoundAssignment) return this.lowerCompound(e);
    if (!this.hasAwait(e.right)) return f.createBinaryExpression(this.lowerExpr(e.left), op, this.rewrite(e.right) as ts.Expression);
    const left = this.spill(this.lowerExpr(e.left));
    return f.createBinaryExpression(left, op, this.lowerExpr(e.right));
  }

  /** `left op right` for &&, ||, ??: the right side runs in its own block only when needed. */
  private shortCircuit(op: ts.SyntaxKind, left: () => ts.Expression, right: () => ts.Expression): ts.Expression {
    const f = this.f;
    const K = this.t.SyntaxKind;
    const result = this.temp();
    this.emit(f.createExpressionStatement(f.createAssignment(result, left())));
    const evaluate = this.label();
    const join = this.label();
    const value = this.reuse(result);
    const needsRight =
      op === K.AmpersandAmpersandToken ? value : op === K.BarBarToken ? f.createLogicalNot(value) : f.createEquality(value, f.createNull());
    this.branch(needsRight, evaluate, join);
    this.place(evaluate);
    this.emit(f.createExpressionStatement(f.createAssignment(this.reuse(result), right())));
    this.goto(join);
    this.place(join);
    return this.reuse(result);
  }

  private lowerConditional(e: ts.ConditionalExpression): ts.Expression {
    const f = this.f;
    if (!this.hasAwait(e.whenTrue) && !this.hasAwait(e.whenFalse)) {
      return f.createConditionalExpression(this.lowerExpr(e.condition), undefined, this.rewrite(e.whenTrue) as ts.Expression, undefined, this.rewrite(e.whenFalse) as ts.Expression);
    }
    const result = this.temp();
    const condition = this.lowerExpr(e.condition);
    const whenTrue = this.label();
    const whenFalse = this.label();
    const join = this.label();
    this.branch(condition, whenTrue, whenFalse);
    this.place(whenTrue);
    this.emit(f.createExpressionStatement(f.createAssignment(result, this.lowerExpr(e.whenTrue))));
    this.goto(join);
    this.place(whenFalse);
    this.emit(f.createExpressionStatement(f.createAssignment(this.reuse(result), this.lowerExpr(e.whenFalse))));
    this.goto(join);
    this.place(join);
    return this.reuse(result);
  }

  private lowerAssignment(e: ts.BinaryExpression): ts.Expression {
    const t = this.t;
    const f = this.f;
    const target = e.left;
    if (t.isPropertyAccessExpression(target)) {
      const object = this.spill(this.lowerExpr(target.expression));
      return f.createAssignment(f.createPropertyAccessExpression(object, target.name.text), this.lowerExpr(e.right));
    }
    if (t.isElementAccessExpression(target)) {
      const [object, index] = this.lowerList([target.expression, target.argumentExpression], true);
      return f.createAssignment(f.createElementAccessExpression(object!, index!), this.lowerExpr(e.right));
    }
    if (this.hasAwait(target)) throw this.unsupported(target, "an await inside a destructuring target is not supported");
    return f.createAssignment(this.rewrite(target) as ts.Expression, this.lowerExpr(e.right));
  }

  private lowerCompound(e: ts.BinaryExpression): ts.Expression {
    const t = this.t;
    const f = this.f;
    const op = binaryOfCompound(t, e.operatorToken.kind);
    const target = e.left;
    let read: ts.Expression;
    let write: () => ts.Expression;
    if (t.isPropertyAccessExpression(target)) {
      const object = this.spill(this.lowerExpr(target.expression), true);
      read = f.createPropertyAccessExpression(object, target.name.text);
      write = () => f.createPropertyAccessExpression(this.copy(object), target.name.text);
    } else if (t.isElementAccessExpression(target)) {
      const [object, index] = this.lowerList([target.expression, target.argumentExpression], true);
      read = f.createElementAccessExpression(object!, index!);
      write = () => f.createElementAccessExpression(this.copy(object!), this.copy(index!));
    } else if (t.isIdentifier(target)) {
      read = this.rewrite(target) as ts.Expression;
      write = () => this.rewrite(target) as ts.Expression;
    } else {
      throw this.unsupported(target, "an await in a compound assignment needs a variable or property on the left");
    }
    // The left side is read before the right side runs, as JavaScript does.
    const old = this.spill(read, true);
    return f.createAssignment(write(), f.createBinaryExpression(old, op, this.lowerExpr(e.right)));
  }

  private lowerCall(e: ts.CallExpression): ts.Expression {
    const t = this.t;
    const f = this.f;
    if (e.questionDotToken || (t.isPropertyAccessExpression(e.expression) && e.expression.questionDotToken)) {
      throw this.unsupported(e, "an await in the arguments of an optional call (?.) is not supported: test for null first");
    }
    const callee = e.expression;
    if (t.isPropertyAccessExpression(callee) && !this.isSuperOrRoot(callee.expression)) {
      const object = this.spill(this.lowerExpr(callee.expression));
      return f.createCallExpression(f.createPropertyAccessExpression(object, callee.name.text), undefined, this.lowerList(e.arguments));
    }
    if (t.isElementAccessExpression(callee)) {
      const [object, index] = this.lowerList([callee.expression, callee.argumentExpression], true);
      return f.createCallExpression(f.createElementAccessExpression(object!, index!), undefined, this.lowerList(e.arguments));
    }
    if (this.hasAwait(callee)) throw this.unsupported(callee, "an await inside a callee is not supported: assign the function to a variable first");
    return f.createCallExpression(this.rewrite(callee) as ts.Expression, undefined, this.lowerList(e.arguments));
  }

  private isSuperOrRoot(e: ts.Expression): boolean {
    return e.kind === this.t.SyntaxKind.SuperKeyword;
  }

  /**
   * Lowers a list evaluated left to right (arguments, array elements): everything left of the
   * last element with an await is spilled, so it is evaluated before the suspension. With
   * `all`, every element is spilled (values read again later, as a compound assignment does).
   */
  private lowerList(items: readonly ts.Expression[], all = false): ts.Expression[] {
    const t = this.t;
    const f = this.f;
    let last = -1;
    items.forEach((item, i) => {
      if (this.hasAwait(item)) last = i;
    });
    return items.map((item, i) => {
      if (i > last && !all) return this.rewrite(item) as ts.Expression;
      if (t.isSpreadElement(item)) {
        const value = this.lowerExpr(item.expression);
        // A spread is taken when it is evaluated: copy it before later awaits.
        return f.createSpreadElement(i < last || all ? this.spill(f.createArrayLiteralExpression([f.createSpreadElement(value)])) : value);
      }
      if (t.isOmittedExpression(item)) return item;
      const value = this.lowerExpr(item);
      return i < last || all ? this.spill(value) : value;
    });
  }

  private lowerObject(e: ts.ObjectLiteralExpression): ts.Expression {
    const t = this.t;
    const f = this.f;
    let last = -1;
    e.properties.forEach((p, i) => {
      if (this.hasAwait(p)) last = i;
    });
    const properties = e.properties.map((p, i): ts.ObjectLiteralElementLike => {
      if (i > last) return this.rewrite(p) as ts.ObjectLiteralElementLike;
      const keep = (x: ts.Expression): ts.Expression => (i < last ? this.spill(x) : x);
      if (t.isPropertyAssignment(p)) {
        const name = t.isComputedPropertyName(p.name) ? f.createComputedPropertyName(keep(this.lowerExpr(p.name.expression))) : p.name;
        return f.createPropertyAssignment(name, keep(this.lowerExpr(p.initializer)));
      }
      if (t.isShorthandPropertyAssignment(p)) return f.createPropertyAssignment(p.name.text, keep(this.rewrite(p.name) as ts.Expression));
      if (t.isSpreadAssignment(p)) {
        const value = this.lowerExpr(p.expression);
        return f.createSpreadAssignment(i < last ? this.spill(f.createObjectLiteralExpression([f.createSpreadAssignment(value)])) : value);
      }
      if (this.hasAwait(p)) throw this.unsupported(p, "an await inside an object method or accessor key is not supported");
      return this.rewrite(p) as ts.ObjectLiteralElementLike;
    });
    return f.createObjectLiteralExpression(properties, true);
  }

  private lowerTemplate(e: ts.TemplateExpression): ts.Expression {
    const f = this.f;
    let last = -1;
    e.templateSpans.forEach((s, i) => {
      if (this.hasAwait(s.expression)) last = i;
    });
    const spans = e.templateSpans.map((s, i) => {
      let value = i > last ? (this.rewrite(s.expression) as ts.Expression) : this.lowerExpr(s.expression);
      // Each substitution is converted to a string as soon as it is evaluated.
      if (i < last) value = this.spill(f.createTemplateExpression(f.createTemplateHead(""), [f.createTemplateSpan(value, f.createTemplateTail(""))]));
      return f.createTemplateSpan(value, s.literal);
    });
    return f.createTemplateExpression(e.head, spans);
  }

  /**
   * The value of `e` now: stored in a temporary unless it cannot change before it is used (a
   * literal, a temporary, or an outer constant such as a portal ref or `ctx`). With `force`,
   * outer constants are kept too, but any other value is stored.
   */
  private spill(e: ts.Expression, force = false): ts.Expression {
    if (this.isStable(e) && !force) return e;
    if (this.stable.has(e) || this.isLiteral(e)) return e;
    const t = this.t;
    if (force && t.isIdentifier(e) && !this.env.isMutableOuter(e) && !this.slotOf(e)) return e;
    const tmp = this.temp();
    this.emit(this.f.createExpressionStatement(this.f.createAssignment(tmp, e)));
    return this.reuse(tmp);
  }

  /** A second node for a spilled or stable expression (temporaries and identifiers). */
  private copy(e: ts.Expression): ts.Expression {
    const t = this.t;
    if (t.isPropertyAccessExpression(e) && t.isIdentifier(e.expression) && e.expression.text === this.n.locals) return this.reuse(e);
    if (t.isIdentifier(e)) return this.f.createIdentifier(e.text);
    return e;
  }

  private slotOf(id: ts.Identifier): string | undefined {
    return this.scopes.bindings.get(id)?.slot;
  }

  private isLiteral(e: ts.Expression): boolean {
    const t = this.t;
    return (
      t.isNumericLiteral(e) ||
      t.isStringLiteral(e) ||
      t.isNoSubstitutionTemplateLiteral(e) ||
      e.kind === t.SyntaxKind.TrueKeyword ||
      e.kind === t.SyntaxKind.FalseKeyword ||
      e.kind === t.SyntaxKind.NullKeyword ||
      e.kind === t.SyntaxKind.ThisKeyword
    );
  }

  private isStable(e: ts.Expression): boolean {
    if (this.stable.has(e) || this.isLiteral(e)) return true;
    const t = this.t;
    // Identifiers left as identifiers are outer bindings (frame locals became `$L.x`).
    return t.isIdentifier(e) && !this.env.isMutableOuter(e);
  }

  // ---- rewriting await-free code ----

  /** Assigns `value` to a declared name or pattern whose variables are frame slots. */
  private assignName(name: ts.BindingName, value: ts.Expression): ts.Expression {
    return this.f.createAssignment(this.assignmentTarget(name), value);
  }

  private assignmentTarget(name: ts.BindingName): ts.Expression {
    const t = this.t;
    const f = this.f;
    if (t.isIdentifier(name)) {
      const slot = this.slotOf(name);
      if (slot === undefined) throw new Error(`internal: ${name.text} is not a frame slot`);
      return this.slot(slot);
    }
    if (t.isObjectBindingPattern(name)) {
      return f.createObjectLiteralExpression(
        name.elements.map((el) => {
          const target = this.withDefault(this.assignmentTarget(el.name), el.initializer);
          if (el.dotDotDotToken) return f.createSpreadAssignment(target);
          const key = el.propertyName ?? (el.name as ts.Identifier);
          const keyNode = t.isComputedPropertyName(key)
            ? f.createComputedPropertyName(this.rewrite(key.expression) as ts.Expression)
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
        const target = this.withDefault(this.assignmentTarget(el.name), el.initializer);
        return el.dotDotDotToken ? f.createSpreadElement(target) : target;
      }),
    );
  }

  private withDefault(target: ts.Expression, initializer: ts.Expression | undefined): ts.Expression {
    if (initializer === undefined) return target;
    if (this.hasAwait(initializer)) throw this.unsupported(initializer, "an await inside a destructuring default is not supported");
    return this.f.createAssignment(target, this.rewrite(initializer) as ts.Expression);
  }

  /**
   * Rewrites await-free code: frame locals become `$L.x`, declarations of frame locals become
   * assignments, `return` and jumps that leave the statement for lowered code become machine
   * jumps (see `ir.ts`). Code inside nested functions only gets the local rewrite.
   */
  private rewrite(node: ts.Node): ts.Node | ts.Node[] {
    const t = this.t;
    const f = this.f;
    const native: { labels: string[]; kind: "loop" | "switch" | "block" }[] = [];
    let nested = 0;
    const visit = (node: ts.Node): ts.VisitResult<ts.Node> => {
      if (t.isIdentifier(node)) {
        const slot = this.slotOf(node);
        if (slot !== undefined && isReference(t, node)) return this.slot(slot);
        if (node.text === "arguments" && nested === 0 && isReference(t, node) && !this.t.isArrowFunction(this.fn)) {
          throw this.unsupported(node, "`arguments` is not supported in compiled functions: use named or rest parameters");
        }
        return node;
      }
      if (t.isShorthandPropertyAssignment(node)) {
        const slot = this.slotOf(node.name);
        if (slot === undefined) return t.visitEachChild(node, visit, this.env.context);
        const target = this.slot(slot);
        const value = node.objectAssignmentInitializer ? f.createAssignment(target, t.visitNode(node.objectAssignmentInitializer, visit) as ts.Expression) : target;
        return f.createPropertyAssignment(node.name.text, value);
      }
      if (t.isFunctionLike(node)) {
        if (nested === 0 && (node as ts.FunctionLikeDeclaration).modifiers?.some((m) => m.kind === t.SyntaxKind.AsyncKeyword) && containsAwait(t, node)) {
          throw this.unsupported(node, "an async function inside an operator cannot be suspended: await portal requests in the operator itself (use Promise.all for several)");
        }
        nested++;
        try {
          return t.visitEachChild(node, visit, this.env.context);
        } finally {
          nested--;
        }
      }
      if (nested > 0) return t.visitEachChild(node, visit, this.env.context);
      if (t.isVariableStatement(node) && this.declaresSlots(node.declarationList)) {
        return this.declarationsAsStatements(node.declarationList, visit);
      }
      if ((t.isForStatement(node) || t.isForInStatement(node) || t.isForOfStatement(node)) && node.initializer && t.isVariableDeclarationList(node.initializer) && this.declaresSlots(node.initializer)) {
        const list = node.initializer;
        const asExpression = t.isForStatement(node)
          ? this.declarationsAsExpression(list, visit)
          : this.assignmentTarget(list.declarations[0]!.name);
        const updated = t.isForStatement(node)
          ? f.updateForStatement(node, asExpression, node.condition, node.incrementor, node.statement)
          : t.isForInStatement(node)
            ? f.updateForInStatement(node, asExpression, node.expression, node.statement)
            : f.updateForOfStatement(node, node.awaitModifier, asExpression, node.expression, node.statement);
        return visitLoop(updated, []);
      }
      if (t.isReturnStatement(node)) {
        const value = node.expression ? (t.visitNode(node.expression, visit) as ts.Expression) : undefined;
        return f.createBlock(this.returnStatements(value), false);
      }
      if (t.isBreakStatement(node) || t.isContinueStatement(node)) return this.rewriteJump(node, native);
      if (t.isLabeledStatement(node)) {
        const labels: string[] = [];
        let inner: ts.Statement = node;
        while (t.isLabeledStatement(inner)) {
          labels.push(inner.label.text);
          inner = inner.statement;
        }
        const kind = t.isIterationStatement(inner, false) ? "loop" : t.isSwitchStatement(inner) ? "switch" : "block";
        native.push({ labels, kind });
        try {
          return t.visitEachChild(node, visitInner, this.env.context);
        } finally {
          native.pop();
        }
      }
      if (t.isIterationStatement(node, false)) return visitLoop(node, []);
      if (t.isSwitchStatement(node)) {
        native.push({ labels: [], kind: "switch" });
        try {
          return t.visitEachChild(node, visit, this.env.context);
        } finally {
          native.pop();
        }
      }
      return t.visitEachChild(node, visit, this.env.context);
    };
    // The statement under a label list is the labelled loop itself: do not count it twice.
    const visitInner = (node: ts.Node): ts.VisitResult<ts.Node> =>
      t.isIterationStatement(node, false) || t.isSwitchStatement(node) ? t.visitEachChild(node, visit, this.env.context) : visit(node);
    const visitLoop = (node: ts.Node, labels: string[]): ts.Node => {
      native.push({ labels, kind: "loop" });
      try {
        return t.visitEachChild(node, visit, this.env.context);
      } finally {
        native.pop();
      }
    };
    const out = visit(node);
    return out as ts.Node | ts.Node[];
  }

  private declaresSlots(list: ts.VariableDeclarationList): boolean {
    const first = list.declarations[0];
    if (first === undefined) return false;
    const id = firstIdentifier(this.t, first.name);
    return id !== undefined && this.slotOf(id) !== undefined;
  }

  private declarationsAsStatements(list: ts.VariableDeclarationList, visit: ts.Visitor): ts.Statement[] {
    const expression = this.declarationsAsExpression(list, visit);
    return this.t.isOmittedExpression(expression) ? [] : [this.f.createExpressionStatement(expression)];
  }

  private declarationsAsExpression(list: ts.VariableDeclarationList, visit: ts.Visitor): ts.Expression {
    const f = this.f;
    const blockScoped = (list.flags & this.t.NodeFlags.BlockScoped) !== 0;
    const parts: ts.Expression[] = [];
    for (const d of list.declarations) {
      if (d.initializer !== undefined) parts.push(this.assignName(d.name, this.t.visitNode(d.initializer, visit) as ts.Expression));
      else if (blockScoped) parts.push(this.assignName(d.name, f.createVoidZero()));
    }
    if (parts.length === 0) return f.createOmittedExpression();
    return parts.reduce((a, b) => f.createComma(a, b));
  }

  private rewriteJump(node: ts.BreakStatement | ts.ContinueStatement, native: readonly { labels: string[]; kind: string }[]): ts.Node {
    const t = this.t;
    const isContinue = t.isContinueStatement(node);
    const label = node.label?.text;
    for (let i = native.length - 1; i >= 0; i--) {
      const n = native[i]!;
      if (label !== undefined ? n.labels.includes(label) : n.kind === "loop" || (!isContinue && n.kind === "switch")) return node;
    }
    for (let i = this.targets.length - 1; i >= 0; i--) {
      const target = this.targets[i]!;
      const matches = label !== undefined ? target.labels.includes(label) : target.kind === "loop" || (!isContinue && target.kind === "switch");
      if (!matches) continue;
      if (isContinue && target.continueTo === undefined) throw this.unsupported(node, `continue ${label ?? ""} does not name a loop`);
      return this.f.createBlock(this.jumpStatements(isContinue ? target.continueTo! : target.breakTo, target.depth), false);
    }
    throw this.unsupported(node, `${isContinue ? "continue" : "break"} ${label ?? ""} has no target`);
  }
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

/** The binary operator of a compound assignment operator (`+=` → `+`). */
function binaryOfCompound(t: typeof ts, op: ts.SyntaxKind): ts.BinaryOperator {
  const K = t.SyntaxKind;
  const map: Partial<Record<ts.SyntaxKind, ts.BinaryOperator>> = {
    [K.PlusEqualsToken]: K.PlusToken,
    [K.MinusEqualsToken]: K.MinusToken,
    [K.AsteriskEqualsToken]: K.AsteriskToken,
    [K.AsteriskAsteriskEqualsToken]: K.AsteriskAsteriskToken,
    [K.SlashEqualsToken]: K.SlashToken,
    [K.PercentEqualsToken]: K.PercentToken,
    [K.LessThanLessThanEqualsToken]: K.LessThanLessThanToken,
    [K.GreaterThanGreaterThanEqualsToken]: K.GreaterThanGreaterThanToken,
    [K.GreaterThanGreaterThanGreaterThanEqualsToken]: K.GreaterThanGreaterThanGreaterThanToken,
    [K.AmpersandEqualsToken]: K.AmpersandToken,
    [K.BarEqualsToken]: K.BarToken,
    [K.CaretEqualsToken]: K.CaretToken,
  };
  const found = map[op];
  if (found === undefined) throw new Error(`internal: ${K[op]} is not a compound assignment`);
  return found;
}
