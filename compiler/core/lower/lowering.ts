/**
 * The state of lowering one function (docs/compiler.md, "Lowering"), shared by the modules that
 * do the work: `statements.ts` and `expressions.ts` take code with awaits apart, `rewrite.ts`
 * keeps await-free code and assigns declared patterns to frame slots. They are functions
 * of a {@link Lowering}; it holds the graph being built ({@link Flow}), the temporaries
 * ({@link Temps}) and what the analyses found, and it makes the nodes all of them write.
 */
import type * as ts from "typescript";
import { Code, CompileError } from "../diagnostics.js";
import type { AwaitKind, Names } from "../ir.js";
import type { Liveness } from "../liveness.js";
import type { Binding, Scopes } from "../scope.js";
import { Flow } from "./flow.js";
import { Nodes } from "./nodes.js";
import { Temps } from "./temps.js";

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

/** One function being lowered. */
export class Lowering extends Nodes {
  readonly flow: Flow;
  readonly temps: Temps;
  /** Statements run at the start of every resume (hoisted inner function declarations). */
  readonly prologue: ts.Statement[] = [];
  /** Name of the task context parameter, once the parameters are lowered. */
  contextName: string | undefined;

  constructor(
    readonly env: LowerEnv,
    readonly fn: ts.FunctionLikeDeclaration,
    readonly scopes: Scopes,
    private readonly liveness: Liveness,
  ) {
    super(env.t, env.names);
    this.flow = new Flow(this);
    this.temps = new Temps(this, this.flow, {
      slotNames: scopes.own.flatMap((b) => (b.slot ? [b.slot] : [])),
      slotOf: (id) => this.slotOf(id),
      isMutableOuter: (id) => env.isMutableOuter(id),
    });
  }

  /**
   * The name a function declared in the function has in the emitted code: its own at the top
   * level, a fresh one (`f$1`) for one declared in a nested block, which the prologue hoists to
   * the function's top level next to any other block's `f`.
   */
  functionName(b: Binding): string {
    let name = this.functionNames.get(b);
    if (name !== undefined) return name;
    name = b.name;
    const body = this.fn.body;
    const atTop = body !== undefined && b.declaration.parent.parent === body;
    if (!atTop) {
      this.usedNames ??= identifierTexts(this.t, this.fn);
      for (let n = 1; this.usedNames.has(name); n++) name = `${b.name}$${n}`;
    }
    this.usedNames?.add(name);
    this.functionNames.set(b, name);
    return name;
  }

  private readonly functionNames = new Map<Binding, string>();
  private usedNames: Set<string> | undefined;

  /** True when `node` contains an await of this function (not of a nested one). */
  hasAwait(node: ts.Node): boolean {
    return this.scopes.awaits.has(node);
  }

  /** The frame slot of a variable of the function, if it has one. */
  slotOf(id: ts.Identifier): string | undefined {
    return this.scopes.bindings.get(id)?.slot;
  }

  /** `"file:line:column"` of `node`, for run-time messages. */
  where(node: ts.Node): ts.StringLiteral {
    return this.f.createStringLiteral(this.env.where(node));
  }

  unsupported(node: ts.Node, message: string): CompileError {
    return new CompileError(node, Code.Unsupported, message);
  }

  /**
   * Slots cleared before suspending at `at`, so a snapshot holds only live data (a state handle
   * used only before the await, say, is not data and would make the snapshot fail): the
   * variables dead there (`liveness.ts`) and the temporaries of finished statements.
   */
  deadSlots(at: ts.Node): string[] {
    return [...this.liveness.deadSlots(at), ...this.temps.released()];
  }
}

/** The text of every identifier in `node`: names a generated one must not take. */
function identifierTexts(t: typeof ts, node: ts.Node): Set<string> {
  const names = new Set<string>();
  const visit = (n: ts.Node): void => {
    if (t.isIdentifier(n)) names.add(n.text);
    t.forEachChild(n, visit);
  };
  visit(node);
  return names;
}
