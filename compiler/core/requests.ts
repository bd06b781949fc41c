/**
 * Requests go through the task context: in a compiled function every call `x.request(...args)`
 * becomes `$rt.request(ctx, x, ...args)`. At run time a portal ref's request is sent by the task
 * that runs the machine (the context's requester), so no code needs a "current task" kept in a
 * global; any other object's `request` method is called as it is (an HTTP client's, say). The
 * rewrite runs over the lowered blocks, so it sees awaited requests, requests kept in a local
 * and awaited later, and requests in nested functions alike.
 */
import type * as ts from "typescript";
import type { LoweredFunction } from "./ir.js";

/**
 * `fn` with every non-optional `x.request(...)` call routed through the context parameter named
 * `ctx`, with the run-time support namespace `rt`.
 */
export function routeRequests(t: typeof ts, context: ts.TransformationContext, fn: LoweredFunction, ctx: string, rt: string): LoweredFunction {
  const f = t.factory;
  const visit = (node: ts.Node): ts.Node => {
    const visited = t.visitEachChild(node, visit, context);
    if (!t.isCallExpression(visited) || visited.questionDotToken !== undefined) return visited;
    const callee = visited.expression;
    if (!t.isPropertyAccessExpression(callee) || callee.questionDotToken !== undefined || !t.isIdentifier(callee.name) || callee.name.text !== "request") return visited;
    if (t.isIdentifier(callee.expression) && callee.expression.text === rt) return visited;
    return f.createCallExpression(f.createPropertyAccessExpression(f.createIdentifier(rt), "request"), undefined, [
      f.createIdentifier(ctx),
      callee.expression,
      ...visited.arguments,
    ]);
  };
  const statements = (list: readonly ts.Statement[]): ts.Statement[] => list.map((s) => visit(s) as ts.Statement);
  return {
    ...fn,
    blocks: fn.blocks.map((b) => ({ ...b, statements: statements(b.statements) })),
    prologue: statements(fn.prologue),
  };
}
