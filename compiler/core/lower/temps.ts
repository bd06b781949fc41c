/**
 * Temporaries (docs/compiler.md, "Lowering"): the frame slots the lowering adds to keep
 * JavaScript's evaluation order across an await. An operand left of an await is *spilled*, i.e.
 * evaluated into a temporary `$tN` before the suspension, unless its value cannot change
 * meanwhile (a literal, a temporary, an outer constant such as a portal ref or `ctx`).
 *
 * Temporaries are a stack: a statement's temporaries are released when the statement is
 * lowered, so the frame holds only as many as the deepest statement needs, and the ones above
 * the current level are dead at any later suspension (cleared with the dead variables).
 */
import type * as ts from "typescript";
import type { Flow } from "./flow.js";
import type { Nodes } from "./nodes.js";

/** What temporaries need to know about the function's own variables. */
export interface TempScope {
  /** Slot names taken by the function's variables. */
  readonly slotNames: Iterable<string>;
  /** The frame slot of a variable of the function, if it has one. */
  slotOf(id: ts.Identifier): string | undefined;
  /** True for an outer variable declared with `let`/`var`: its value may change while suspended. */
  isMutableOuter(id: ts.Identifier): boolean;
}

/** The temporary and internal slots of one function. */
export class Temps {
  private readonly slotNames: Set<string>;
  /** Slot references made for temporaries: their values never change, so they need no spill. */
  private readonly stable = new WeakSet<ts.Node>();
  private internalCount = 0;
  private readonly tempNames: string[] = [];
  private level = 0;

  constructor(
    private readonly nodes: Nodes,
    private readonly flow: Flow,
    private readonly scope: TempScope,
  ) {
    this.slotNames = new Set(scope.slotNames);
  }

  /** A fresh internal slot name (`$t3`, `$c1`, …) that no user variable uses. */
  internal(prefix: string): string {
    let name: string;
    do name = `$${prefix}${++this.internalCount}`;
    while (this.slotNames.has(name));
    this.slotNames.add(name);
    return name;
  }

  /** A temporary slot, taken until the statement being lowered is done. */
  temp(): ts.PropertyAccessExpression {
    if (this.level === this.tempNames.length) this.tempNames.push(this.internal("t"));
    const ref = this.nodes.slot(this.tempNames[this.level++]!);
    this.stable.add(ref);
    return ref;
  }

  /** A new node for the same temporary slot (a node is used in one place only). */
  reuse(ref: ts.PropertyAccessExpression): ts.PropertyAccessExpression {
    const copy = this.nodes.slot(ref.name.text);
    this.stable.add(copy);
    return copy;
  }

  /** True for a node made by {@link temp} or {@link reuse}. */
  isTemp(e: ts.Node): boolean {
    return this.stable.has(e);
  }

  /** Runs `work` (the lowering of one statement) and releases the temporaries it took. */
  statement(work: () => void): void {
    const mark = this.level;
    try {
      work();
    } finally {
      this.level = mark;
    }
  }

  /** Temporaries of finished statements: dead wherever the function suspends next. */
  released(): string[] {
    return this.tempNames.slice(this.level);
  }

  /**
   * The value of `e` now: stored in a temporary unless it cannot change before it is used (a
   * literal, a temporary, or an outer constant such as a portal ref or `ctx`). With `force`,
   * outer constants are kept too, but any other value is stored.
   */
  spill(e: ts.Expression, force = false): ts.Expression {
    if (this.isStable(e) && !force) return e;
    if (this.stable.has(e) || this.isLiteral(e)) return e;
    const f = this.nodes.f;
    if (force && this.nodes.t.isIdentifier(e) && !this.scope.isMutableOuter(e) && !this.scope.slotOf(e)) return e;
    const tmp = this.temp();
    this.flow.emit(f.createExpressionStatement(f.createAssignment(tmp, e)));
    return this.reuse(tmp);
  }

  /** A second node for a spilled or stable expression (temporaries and identifiers). */
  copy(e: ts.Expression): ts.Expression {
    const t = this.nodes.t;
    if (t.isPropertyAccessExpression(e) && t.isIdentifier(e.expression) && e.expression.text === this.nodes.names.locals) return this.reuse(e);
    if (t.isIdentifier(e)) return this.nodes.f.createIdentifier(e.text);
    return e;
  }

  private isStable(e: ts.Expression): boolean {
    if (this.stable.has(e) || this.isLiteral(e)) return true;
    // Identifiers left as identifiers are outer bindings (frame locals became `$L.x`).
    return this.nodes.t.isIdentifier(e) && !this.scope.isMutableOuter(e);
  }

  private isLiteral(e: ts.Expression): boolean {
    const t = this.nodes.t;
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
}
