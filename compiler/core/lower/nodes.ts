/**
 * The few nodes every part of the lowering writes (docs/compiler.md, "Lowering"): the frame's
 * pc, a frame slot `$L.name`, a call of the run-time support `$rt.name(...)`, and the jump
 * `$f.pc = B; continue $dispatch;`. Names come from the file's {@link Names}, so generated code
 * never collides with the user's identifiers.
 */
import type * as ts from "typescript";
import type { Names } from "../ir.js";

/** Node makers over the generated names of one file. */
export class Nodes {
  readonly f: ts.NodeFactory;

  constructor(
    readonly t: typeof ts,
    readonly names: Names,
  ) {
    this.f = t.factory;
  }

  /** `$f.pc` */
  pc(): ts.Expression {
    return this.f.createPropertyAccessExpression(this.f.createIdentifier(this.names.frame), "pc");
  }

  /** `$L.name` */
  slot(name: string): ts.PropertyAccessExpression {
    return this.f.createPropertyAccessExpression(this.f.createIdentifier(this.names.locals), name);
  }

  /** `$rt.name(...args)` */
  rt(name: string, args: readonly ts.Expression[]): ts.CallExpression {
    return this.f.createCallExpression(this.f.createPropertyAccessExpression(this.f.createIdentifier(this.names.rt), name), undefined, args);
  }

  /** `$f.pc = target; continue $dispatch;` */
  jumpTo(target: number): ts.Statement[] {
    const f = this.f;
    return [f.createExpressionStatement(f.createAssignment(this.pc(), f.createNumericLiteral(target))), f.createContinueStatement(f.createIdentifier(this.names.dispatch))];
  }
}
