/**
 * Lowering: one async function to blocks (docs/compiler.md, "Lowering"; the IR and the code it
 * emits are defined in `ir.ts`). Statements and expressions without an await are kept,
 * rewritten for frame slots; those with an await are taken apart so that JavaScript's
 * evaluation order, control flow and exception semantics survive being cut at every await.
 *
 * The work is split by job, all of it functions of one shared {@link Lowering}:
 *
 *   flow.ts           blocks, jumps, branches, suspensions, try entries, finally routing
 *   temps.ts          temporaries and spills (evaluation order across an await)
 *   statements.ts     statements with an await, control flow
 *   expressions.ts    expressions with an await: operators, calls, lists, objects, templates
 *   rewrite.ts        await-free code, kept with slot, return and jump rewrites, and
 *                     declarations of frame variables as assignments (patterns included)
 */
import type * as ts from "typescript";
import { Code, CompileError } from "../diagnostics.js";
import type { LoweredFunction, Param } from "../ir.js";
import type { Liveness } from "../liveness.js";
import type { Scopes } from "../scope.js";
import { assignName } from "./rewrite.js";
import { lowerExpr, lowerReturned } from "./expressions.js";
import { Lowering, type LowerEnv } from "./lowering.js";
import { lowerStatements } from "./statements.js";

export type { LowerEnv } from "./lowering.js";

/**
 * Lowers `fn` with its scope and liveness analyses. `contextParam` is the index of the task
 * context parameter (-1 for helpers).
 *
 * @throws CompileError for constructs the lowering does not support, with the reason
 */
export function lowerFunction(env: LowerEnv, fn: ts.FunctionLikeDeclaration, scopes: Scopes, liveness: Liveness, contextParam: number): LoweredFunction {
  const lw = new Lowering(env, fn, scopes, liveness);
  const flow = lw.flow;
  flow.place(flow.label());
  const params = lowerParams(lw, contextParam);
  const body = fn.body!;
  if (env.t.isBlock(body)) lowerStatements(lw, body.statements);
  else flow.emitAll(flow.returnStatements(lowerReturned(lw, body, body)));
  if (!flow.terminated) flow.emitAll(flow.returnStatements(undefined));
  return { blocks: flow.finish(), params, contextName: lw.contextName, prologue: lw.prologue };
}

/**
 * How arguments reach the frame. A plain parameter that is a frame slot receives its argument;
 * any other (a pattern, a default) receives it in an internal slot `$pN`, and the function
 * starts by assigning it, so defaults and destructuring run in order, as they do natively.
 */
function lowerParams(lw: Lowering, contextParam: number): Param[] {
  const { t, f } = lw;
  const params: Param[] = [];
  lw.fn.parameters.forEach((p, i) => {
    if (i === contextParam) {
      if (!t.isIdentifier(p.name)) throw new CompileError(p, Code.Unsupported, "destructure the task context inside the body: the context parameter is re-bound on every resume and must be a plain name");
      lw.contextName = p.name.text;
      return;
    }
    const rest = p.dotDotDotToken !== undefined;
    const binding = t.isIdentifier(p.name) ? lw.scopes.bindings.get(p.name) : undefined;
    if (binding?.slot !== undefined && p.initializer === undefined) {
      params.push({ slot: binding.slot, rest });
      return;
    }
    const raw = lw.temps.internal("p");
    params.push({ slot: raw, rest });
    const arg = lw.slot(raw);
    const value = p.initializer ? f.createConditionalExpression(f.createStrictEquality(arg, f.createVoidZero()), undefined, lowerExpr(lw, p.initializer), undefined, lw.slot(raw)) : arg;
    lw.flow.emit(f.createExpressionStatement(assignName(lw, p.name, value)));
  });
  return params;
}
