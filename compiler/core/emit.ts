/**
 * Emission (docs/compiler.md, "Emission"): a lowered function (`ir.ts`) as the machine
 * expression the runtime runs (`portals-ts/machine`):
 *
 *   $rt.machine({
 *     id: "src/cart.ts#12:30",
 *     version: "3f9a0c1e2b4d",
 *     begin: ($args) => ({ op: $args[0] }),
 *     resume: ($f, ctx, $in) => {
 *       const $L = $f.locals;
 *       $dispatch: for (;;) {
 *         try {
 *           switch ($f.pc) { case 0: { … } case 1: { … } … }
 *         } catch ($e) {
 *           switch ($f.pc) { case 3: $L.$e1 = $e; $f.pc = 5; continue $dispatch; … }
 *           throw $e;
 *         }
 *       }
 *     },
 *     helpers: () => [reserve, pricing.quote],
 *     errorClasses: () => [QuotaError],
 *   })
 *
 * The native try is emitted only when some block has an exception handler; `helpers` only when
 * the function awaits helpers (`helper-list.ts`); `errorClasses` only when the module declares
 * top-level classes with an `extends` clause. Inside the blocks every `x.request(...)` is
 * `$rt.request(ctx, x, ...)` (`requests.ts`). `resume` is an
 * arrow function so that `this` and every outer binding mean what they meant in the source.
 */
import type * as ts from "typescript";
import type { Handler, LoweredFunction, Names } from "./ir.js";

/**
 * Builds the `$rt.machine({...})` expression of `fn`, with `helpers` (the helper functions its
 * awaits call, see `helper-list.ts`) as its `helpers` list and `errorClasses` (the module's
 * top-level classes with an `extends` clause, `moduleSubclasses` of `registered.ts`) as its `errorClasses`
 * list when there are any.
 */
export function emitMachine(
  t: typeof ts,
  names: Names,
  fn: LoweredFunction,
  id: string,
  version: string,
  helpers: readonly ts.Expression[] = [],
  errorClasses: readonly string[] = [],
): ts.Expression {
  const f = t.factory;
  const ident = (name: string): ts.Identifier => f.createIdentifier(name);
  const pc = (): ts.Expression => f.createPropertyAccessExpression(ident(names.frame), "pc");

  const begin = f.createArrowFunction(
    undefined,
    undefined,
    [f.createParameterDeclaration(undefined, undefined, names.args)],
    undefined,
    undefined,
    f.createParenthesizedExpression(
      f.createObjectLiteralExpression(
        fn.params.map((p, i) =>
          f.createPropertyAssignment(
            p.slot,
            p.rest
              ? f.createCallExpression(f.createPropertyAccessExpression(ident(names.args), "slice"), undefined, [f.createNumericLiteral(i)])
              : f.createElementAccessExpression(ident(names.args), i),
          ),
        ),
        false,
      ),
    ),
  );

  const cases = fn.blocks.map((b) => f.createCaseClause(f.createNumericLiteral(b.id), [f.createBlock(b.statements, true)]));
  const badPc = f.createDefaultClause([
    f.createThrowStatement(
      f.createNewExpression(ident("Error"), undefined, [
        f.createBinaryExpression(f.createStringLiteral(`portals: ${id} has no resume point `), t.SyntaxKind.PlusToken, pc()),
      ]),
    ),
  ]);
  let body: ts.Statement = f.createSwitchStatement(pc(), f.createCaseBlock([...cases, badPc]));

  const handled = fn.blocks.filter((b) => b.handler !== undefined);
  if (handled.length > 0) {
    const groups = new Map<string, { handler: Handler; ids: number[] }>();
    for (const b of handled) {
      const key = `${b.handler!.kind}:${b.handler!.entry}`;
      const group = groups.get(key) ?? { handler: b.handler!, ids: [] };
      group.ids.push(b.id);
      groups.set(key, group);
    }
    const handlerCases: ts.CaseClause[] = [];
    for (const { handler, ids } of groups.values()) {
      const target = handler.target;
      const store =
        handler.kind === "catch"
          ? f.createAssignment(slot(handler.slot), ident(names.error))
          : f.createAssignment(
              slot(handler.slot),
              f.createObjectLiteralExpression([
                f.createPropertyAssignment("type", f.createStringLiteral("throw")),
                f.createPropertyAssignment("value", ident(names.error)),
              ]),
            );
      ids.forEach((id, i) => {
        const last = i === ids.length - 1;
        handlerCases.push(
          f.createCaseClause(
            f.createNumericLiteral(id),
            last
              ? [
                  f.createExpressionStatement(store),
                  f.createExpressionStatement(f.createAssignment(pc(), f.createNumericLiteral(Number(target)))),
                  f.createContinueStatement(ident(names.dispatch)),
                ]
              : [],
          ),
        );
      });
    }
    body = f.createTryStatement(
      f.createBlock([body], true),
      f.createCatchClause(names.error, f.createBlock([f.createSwitchStatement(pc(), f.createCaseBlock(handlerCases)), f.createThrowStatement(ident(names.error))], true)),
      undefined,
    );
  }

  const dispatch = f.createLabeledStatement(names.dispatch, f.createForStatement(undefined, undefined, undefined, f.createBlock([body], true)));
  const resume = f.createArrowFunction(
    undefined,
    undefined,
    [
      f.createParameterDeclaration(undefined, undefined, names.frame),
      f.createParameterDeclaration(undefined, undefined, fn.contextName ?? names.ctx),
      f.createParameterDeclaration(undefined, undefined, names.input),
    ],
    undefined,
    undefined,
    f.createBlock(
      [
        f.createVariableStatement(
          undefined,
          f.createVariableDeclarationList(
            [f.createVariableDeclaration(names.locals, undefined, undefined, f.createPropertyAccessExpression(ident(names.frame), "locals"))],
            t.NodeFlags.Const,
          ),
        ),
        ...fn.prologue,
        dispatch,
      ],
      true,
    ),
  );

  return f.createCallExpression(f.createPropertyAccessExpression(ident(names.rt), "machine"), undefined, [
    f.createObjectLiteralExpression(
      [
        f.createPropertyAssignment("id", f.createStringLiteral(id)),
        f.createPropertyAssignment("version", f.createStringLiteral(version)),
        f.createPropertyAssignment("begin", begin),
        f.createPropertyAssignment("resume", resume),
        ...(helpers.length === 0
          ? []
          : [f.createPropertyAssignment("helpers", f.createArrowFunction(undefined, undefined, [], undefined, undefined, f.createArrayLiteralExpression([...helpers])))]),
        ...(errorClasses.length === 0
          ? []
          : [
              f.createPropertyAssignment(
                "errorClasses",
                f.createArrowFunction(undefined, undefined, [], undefined, undefined, f.createArrayLiteralExpression(errorClasses.map((name) => ident(name)))),
              ),
            ]),
      ],
      true,
    ),
  ]);

  function slot(name: string): ts.Expression {
    return f.createPropertyAccessExpression(ident(names.locals), name);
  }
}
