/**
 * The control-flow graph being built (docs/compiler.md, "Lowering"): blocks and their labels,
 * jumps and branches, the suspension terminator, the `try` entries that say where an exception
 * in a block goes, the targets of `break` and `continue`, and the routing of every jump or
 * return that leaves a `try` through its `finally` blocks (the IR is described in `ir.ts`).
 *
 * Jumps are emitted at once as `$f.pc = B; continue $dispatch;`, so a block is finished the
 * moment its terminator is written; a label is a block id handed out before the block exists.
 */
import type * as ts from "typescript";
import type { Block, Handler } from "../ir.js";
import type { Nodes } from "./nodes.js";

/** A `try` statement being lowered, and the part of it the code being lowered is in. */
interface TryFrame {
  readonly entry: number;
  readonly part: "try" | "catch" | "finally";
}

/** A lowered `try`: where its catch and finally blocks are, and the slots they read. */
export interface Entry {
  readonly catchBlock: number | undefined;
  readonly finallyBlock: number | undefined;
  readonly errorSlot: string;
  readonly completionSlot: string;
  /** Jump targets that pass through this entry's finally, with the try depth of the target. */
  readonly jumps: Map<number, number>;
}

/** A statement that `break` (and, for loops, `continue`) can jump to. */
export interface Target {
  readonly labels: readonly string[];
  readonly kind: "loop" | "switch" | "block";
  readonly breakTo: number;
  readonly continueTo: number | undefined;
  /** Number of try frames open where the target is. */
  readonly depth: number;
}

/**
 * True when a `break` (or with `isContinue`, a `continue`) with `label` goes to `target`: the
 * labelled statement, or without a label the innermost loop (or switch, for `break`).
 */
export function isJumpTarget(target: Pick<Target, "labels" | "kind">, label: string | undefined, isContinue: boolean): boolean {
  return label !== undefined ? target.labels.includes(label) : target.kind === "loop" || (!isContinue && target.kind === "switch");
}

/** The blocks of one function, as they are laid out. */
export class Flow {
  readonly blocks: Block[] = [];
  private nextId = 0;
  private current!: Block;
  private readonly tries: TryFrame[] = [];
  private readonly entries: Entry[] = [];
  private readonly targets: Target[] = [];

  constructor(private readonly nodes: Nodes) {}

  /** A new block id; the block is laid out later with {@link place}. */
  label(): number {
    return this.nextId++;
  }

  /** Starts block `id` here; the open block falls through to it. */
  place(id: number): void {
    if (this.current !== undefined && !this.current.terminated) this.emitAll(this.nodes.jumpTo(id));
    const block: Block = { id, statements: [], handler: this.handler(), terminated: false };
    this.blocks[id] = block;
    this.current = block;
  }

  /** True once the open block has its terminator. */
  get terminated(): boolean {
    return this.current.terminated;
  }

  emit(statement: ts.Statement): void {
    if (this.current.terminated) this.place(this.label()); // unreachable code after a jump
    this.current.statements.push(statement);
  }

  /** Emits `statements`; the block is terminated when they end with a return, throw or jump. */
  emitAll(statements: readonly ts.Statement[]): void {
    for (const s of statements) this.emit(s);
    const last = statements[statements.length - 1];
    if (last !== undefined && this.endsWithJump(last)) this.current.terminated = true;
  }

  goto(target: number): void {
    if (!this.current.terminated) this.emitAll(this.nodes.jumpTo(target));
  }

  branch(condition: ts.Expression, then: number, otherwise: number): void {
    const f = this.nodes.f;
    const choice = f.createConditionalExpression(condition, undefined, f.createNumericLiteral(then), undefined, f.createNumericLiteral(otherwise));
    this.emitAll([f.createExpressionStatement(f.createAssignment(this.nodes.pc(), choice)), f.createContinueStatement(f.createIdentifier(this.nodes.names.dispatch))]);
  }

  /**
   * Ends the block with `$f.pc = resume; return step;` after clearing the `dead` slots, and
   * starts the resume block.
   */
  suspend(step: ts.Expression, dead: readonly string[]): void {
    const f = this.nodes.f;
    const resume = this.label();
    if (dead.length > 0) {
      const clear = dead.reduceRight<ts.Expression>((value, name) => f.createAssignment(this.nodes.slot(name), value), f.createVoidZero());
      this.emit(f.createExpressionStatement(clear));
    }
    this.emitAll([f.createExpressionStatement(f.createAssignment(this.nodes.pc(), f.createNumericLiteral(resume))), f.createReturnStatement(step)]);
    this.place(resume);
  }

  /** The blocks, once the function is lowered; every label must have been placed. */
  finish(): Block[] {
    for (let id = 0; id < this.nextId; id++) {
      if (this.blocks[id] === undefined) throw new Error(`internal: block ${id} was never placed`);
    }
    return this.blocks;
  }

  // ---- break and continue targets ----

  /** Runs `work` with a `break`/`continue` target open (at the current try depth). */
  withTarget(target: Omit<Target, "depth">, work: () => void): void {
    this.targets.push({ ...target, depth: this.tries.length });
    try {
      work();
    } finally {
      this.targets.pop();
    }
  }

  /** The innermost target of a `break` or `continue` with this label (or none). */
  targetOf(label: string | undefined, isContinue: boolean): Target | undefined {
    for (let i = this.targets.length - 1; i >= 0; i--) {
      if (isJumpTarget(this.targets[i]!, label, isContinue)) return this.targets[i];
    }
    return undefined;
  }

  // ---- try entries and finally routing ----

  /** Registers a lowered `try`; returns its entry number. */
  addEntry(entry: Entry): number {
    this.entries.push(entry);
    return this.entries.length - 1;
  }

  /** Runs `work` (which places blocks) inside part `part` of try entry `entry`. */
  inPart(entry: number, part: TryFrame["part"], work: () => void): void {
    this.tries.push({ entry, part });
    try {
      work();
    } finally {
      this.tries.pop();
    }
  }

  /** A `break`/`continue` to block `target` at try depth `depth`, through finally blocks. */
  jumpStatements(target: number, depth: number): ts.Statement[] {
    const crossed = this.crossing(depth);
    if (crossed.length === 0) return this.nodes.jumpTo(target);
    const entry = this.entries[crossed[0]!]!;
    entry.jumps.set(target, depth);
    return this.viaFinally(entry, { type: "jump", target: this.nodes.f.createNumericLiteral(target) });
  }

  /** A `return value` (through every enclosing finally). */
  returnStatements(value: ts.Expression | undefined): ts.Statement[] {
    const f = this.nodes.f;
    const crossed = this.crossing(0);
    if (crossed.length === 0) return [f.createReturnStatement(this.nodes.rt("done", value ? [value] : []))];
    return this.viaFinally(this.entries[crossed[0]!]!, { type: "return", value: value ?? f.createVoidZero() });
  }

  /** The end of a finally block: rethrow, return or jump on, as the stored completion says. */
  endFinally(entry: Entry, after: number): void {
    const { f, t, names } = this.nodes;
    const c = (): ts.Identifier => f.createIdentifier(names.completion);
    const field = (name: string): ts.Expression => f.createPropertyAccessExpression(c(), name);
    const cases = [...entry.jumps].map(([target, depth]) => f.createCaseClause(f.createNumericLiteral(target), this.jumpStatements(target, depth)));
    const statements: ts.Statement[] = [
      f.createVariableStatement(undefined, f.createVariableDeclarationList([f.createVariableDeclaration(names.completion, undefined, undefined, this.nodes.slot(entry.completionSlot))], t.NodeFlags.Const)),
      f.createExpressionStatement(f.createAssignment(this.nodes.slot(entry.completionSlot), f.createVoidZero())),
      f.createIfStatement(f.createStrictEquality(c(), f.createVoidZero()), f.createBlock(this.nodes.jumpTo(after), false)),
      f.createIfStatement(f.createStrictEquality(field("type"), f.createStringLiteral("throw")), f.createThrowStatement(field("value"))),
      f.createIfStatement(f.createStrictEquality(field("type"), f.createStringLiteral("return")), f.createBlock(this.returnStatements(field("value")), false)),
    ];
    if (cases.length > 0) statements.push(f.createSwitchStatement(field("target"), f.createCaseBlock(cases)));
    statements.push(f.createThrowStatement(f.createNewExpression(f.createIdentifier("Error"), undefined, [f.createStringLiteral("portals: unknown completion in finally")])));
    this.emitAll([f.createBlock(statements, true)]);
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

  private endsWithJump(s: ts.Statement): boolean {
    const t = this.nodes.t;
    if (t.isBlock(s)) {
      const last = s.statements[s.statements.length - 1];
      return last !== undefined && this.endsWithJump(last);
    }
    return t.isReturnStatement(s) || t.isThrowStatement(s) || (t.isContinueStatement(s) && s.label?.text === this.nodes.names.dispatch);
  }

  /** The finally entries a jump to try depth `depth` must run, innermost first. */
  private crossing(depth: number): number[] {
    const out: number[] = [];
    for (let i = this.tries.length - 1; i >= depth; i--) {
      const frame = this.tries[i]!;
      if (frame.part !== "finally" && this.entries[frame.entry]!.finallyBlock !== undefined) out.push(frame.entry);
    }
    return out;
  }

  private viaFinally(entry: Entry, completion: { type: string; value?: ts.Expression; target?: ts.Expression }): ts.Statement[] {
    const f = this.nodes.f;
    const props = [f.createPropertyAssignment("type", f.createStringLiteral(completion.type))];
    if (completion.value) props.push(f.createPropertyAssignment("value", completion.value));
    if (completion.target) props.push(f.createPropertyAssignment("target", completion.target));
    return [f.createExpressionStatement(f.createAssignment(this.nodes.slot(entry.completionSlot), f.createObjectLiteralExpression(props))), ...this.nodes.jumpTo(entry.finallyBlock!)];
  }
}
