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
import type { Scopes } from "../scope.js";
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
