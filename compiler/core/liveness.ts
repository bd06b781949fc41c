/**
 * Liveness of frame slots at the awaits of one function (docs/compiler.md, "Liveness"). One
 * analysis answers both questions the compiler asks about a suspension: lowering clears the
 * slots that are dead there, so a snapshot holds only live data, and the serializability check
 * reports a non-data value that would stay in the frame. Because both read the same answer, a
 * value the check accepts is never left in a suspended frame by the lowering.
 *
 * The analysis is structural, on source positions; it needs no control-flow graph because an
 * async function's only back edges are its loops:
 *
 * - a value stored at node S *reaches* an await A when S ends before A starts, or a loop of the
 *   function contains both (the next iteration);
 * - a binding *may hold* a value at A when it is a parameter or `var` (assigned from the start),
 *   or its declaration reaches A;
 * - a binding is *live* at A when it is referenced at A or later (uses inside A's operand count:
 *   the emitted code evaluates the operand after clearing the dead slots), unless it is a
 *   `let`/`const` declared after A (declared again before any later use); or when a loop around
 *   A references it and it is not declared anew in that loop's body (it carries over to the next
 *   iteration). References in nested closures count where the closure is written, except in a
 *   nested function declaration, which is made again on every resume and may be called after
 *   any await: its references count at every await. An await in a case test of a switch runs
 *   before every case body of that switch, so references in those bodies count for it; a
 *   destructuring pattern is evaluated after its value, so references in its defaults and
 *   computed keys count for the awaits of that value. Writes count as references.
 */
import type * as ts from "typescript";
import type { Binding, Scopes } from "./scope.js";

/** Where the frame slots of one function are live; see the module header for the rule. */
export class Liveness {
  /** The function's own awaits (not those of nested functions), in source order. */
  readonly awaits: readonly ts.AwaitExpression[];
  /** Every reference (not the declaration) of each variable of the function. */
  private readonly uses = new Map<Binding, ts.Identifier[]>();

  constructor(
    private readonly t: typeof ts,
    private readonly fn: ts.FunctionLikeDeclaration,
    private readonly scopes: Scopes,
  ) {
    for (const [id, b] of scopes.bindings) {
      if (id === b.declaration) continue;
      const list = this.uses.get(b);
      if (list) list.push(id);
      else this.uses.set(b, [id]);
    }
    const awaits: ts.AwaitExpression[] = [];
    const visit = (node: ts.Node): void => {
      if (node !== fn && t.isFunctionLike(node)) return;
      if (t.isAwaitExpression(node)) awaits.push(node);
      t.forEachChild(node, visit);
    };
    visit(fn);
    this.awaits = awaits;
  }

  /** The references of `b` (not its declaration), in source order, closures included. */
  references(b: Binding): readonly ts.Identifier[] {
    return this.uses.get(b) ?? [];
  }

  /** True when a value stored at `from` may still be in its slot when the function suspends at `at`. */
  reaches(from: ts.Node, at: ts.Node): boolean {
    return from.end <= at.pos || this.inLoopWith(at, from);
  }

  /** True when `b` may hold a value at the await `at`. */
  mayHold(b: Binding, at: ts.Node): boolean {
    return functionScoped(b) || this.reaches(declarationOf(this.t, b.declaration), at);
  }

  /** True when the value of `b` may still be needed at or after the await `at`. */
  isLive(b: Binding, at: ts.Node): boolean {
    const uses = this.references(b);
    const declared = declarationOf(this.t, b.declaration);
    const redeclared = !functionScoped(b) && declared.pos >= at.end;
    if (!redeclared && uses.some((u) => u.pos >= at.pos)) return true;
    // A destructuring pattern (its defaults, computed keys) is evaluated after its value.
    if (uses.some((u) => this.inPatternAssignedFrom(u, at))) return true;
    // A nested function declaration is made again on every resume and may be called anywhere.
    if (uses.some((u) => this.inNestedDeclaration(u))) return true;
    // The tests of a switch run before any of its case bodies, wherever they are written.
    const tested = this.switchOfCaseTest(at);
    if (tested !== undefined && uses.some((u) => u.pos >= tested.caseBlock.pos && u.end <= tested.caseBlock.end)) return true;
    for (let n = at.parent; n !== undefined && n !== this.fn; n = n.parent) {
      if (!this.t.isIterationStatement(n, false)) continue;
      // A variable of the loop body is declared anew each iteration; one of the loop head is not.
      const body = n.statement;
      const declaredInside = declared.pos >= body.pos && declared.end <= body.end;
      if ((functionScoped(b) || !declaredInside) && uses.some((u) => u.pos >= n.pos && u.end <= n.end)) return true;
    }
    return false;
  }

  /**
   * The first await at which the slot of `b` is live and holds the value stored at `from`
   * (default: any value of `b`), or `undefined` when there is none.
   */
  crossing(b: Binding, from?: ts.Node): ts.AwaitExpression | undefined {
    if (b.slot === undefined) return undefined;
    return this.awaits.find((at) => (from === undefined ? this.mayHold(b, at) : this.reaches(from, at)) && this.isLive(b, at));
  }

  /** The slots of the function's variables that may hold a value at `at` but are dead there. */
  deadSlots(at: ts.Node): string[] {
    const dead: string[] = [];
    for (const b of this.scopes.own) {
      if (b.slot !== undefined && this.mayHold(b, at) && !this.isLive(b, at)) dead.push(b.slot);
    }
    return dead;
  }

  /** True when `id` is in the pattern of a declaration or assignment whose value contains `at`. */
  private inPatternAssignedFrom(id: ts.Node, at: ts.Node): boolean {
    const t = this.t;
    const within = (n: ts.Node | undefined, outer: ts.Node | undefined): boolean => n !== undefined && outer !== undefined && n.pos >= outer.pos && n.end <= outer.end;
    for (let n: ts.Node = id; n.parent !== undefined && n !== this.fn; n = n.parent) {
      const p = n.parent;
      if (t.isVariableDeclaration(p) && p.name === n) return within(at, p.initializer);
      if (t.isBinaryExpression(p) && p.left === n && p.operatorToken.kind === t.SyntaxKind.EqualsToken) return within(at, p.right);
      if (t.isFunctionLike(p)) return false;
    }
    return false;
  }

  /** True when `id` is inside a function declaration nested in the function. */
  private inNestedDeclaration(id: ts.Node): boolean {
    for (let n = id.parent; n !== undefined && n !== this.fn; n = n.parent) if (this.t.isFunctionDeclaration(n)) return true;
    return false;
  }

  /** The switch statement of the function when `at` is in one of its case tests. */
  private switchOfCaseTest(at: ts.Node): ts.SwitchStatement | undefined {
    for (let n: ts.Node = at; n.parent !== undefined && n !== this.fn; n = n.parent) {
      const p = n.parent;
      if (this.t.isCaseClause(p) && p.expression === n) return p.parent.parent;
      if (this.t.isFunctionLike(p)) return undefined;
    }
    return undefined;
  }

  /** True when a loop inside the function contains both nodes. */
  private inLoopWith(a: ts.Node, b: ts.Node): boolean {
    for (let n = a.parent; n !== undefined && n !== this.fn; n = n.parent) {
      if (this.t.isIterationStatement(n, false) && b.pos >= n.pos && b.end <= n.end) return true;
    }
    return false;
  }
}

/** Parameters and `var`s exist (and may be assigned) from the start of the function. */
function functionScoped(b: Binding): boolean {
  return b.kind === "param" || b.kind === "var";
}

/**
 * The node that stores the declared value of `id`: its variable declaration or parameter, or for
 * a destructured name the whole pattern.
 */
function declarationOf(t: typeof ts, id: ts.Identifier): ts.Node {
  let node: ts.Node = id;
  while (node.parent !== undefined && (t.isBindingElement(node.parent) || t.isObjectBindingPattern(node.parent) || t.isArrayBindingPattern(node.parent) || t.isIdentifier(node))) {
    node = node.parent;
  }
  return node;
}
