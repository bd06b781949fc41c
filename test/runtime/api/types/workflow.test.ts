/**
 * Types of the workflow builder (runtime/api/workflow.ts). Checked by `tsc --noEmit` over test/
 * (`npm test`): an `expectTypeOf` that does not hold, or a `// @ts-expect-error` line that
 * compiles, fails the type check. The builders also run, so the definitions stay valid code.
 */
import { describe, expectTypeOf, test } from "vitest";
import {
  ApplicationBuilder,
  Tasks,
  type FlowBuilder,
  type Key,
  type MapContext,
  type ProcessorContext,
  type StreamRef,
  VSM,
  type VsmBehavior,
} from "portals-ts";

interface CartOp {
  readonly user: string;
  readonly item: string;
}
type Order = { readonly user: string; readonly items: string[] };

function setup() {
  const app = new ApplicationBuilder("types");
  const numbers = app.generators.fromArray([1, 2, 3]);
  const ops = app.generators.fromArray<CartOp>([{ user: "ann", item: "apple" }]);
  const mixed = app.generators.fromArray<string | number>(["a", 1]);
  return { app, numbers, ops, mixed };
}

describe("sink() compiles only when the flow's type is the workflow's output type", () => {
  test("matching, mismatched, subtype and never", () => {
    const { app, numbers } = setup();
    const flow = app.workflows<number, string>("w").source(numbers.stream);
    expectTypeOf(flow).toEqualTypeOf<FlowBuilder<number, string, number, number>>();

    flow.map((x) => `n${x}`).sink();
    // @ts-expect-error the flow carries numbers, the workflow's output is string
    flow.map((x) => x + 1).sink();
    // @ts-expect-error the source itself is a number flow
    flow.sink();

    const wide = app.workflows<number, string | number>("wide").source(numbers.stream);
    wide.map((x) => `n${x}`).sink(); // string events are string | number events
    wide.sink();
    // @ts-expect-error boolean is not part of string | number
    wide.map((x) => x > 1).sink();

    const none = app.workflows<number, never>("none").source(numbers.stream);
    none.processor((_x, _ctx) => {}).sink(); // emits the workflow's output type: never
    // @ts-expect-error a number flow into a workflow without output
    none.identity().sink();
  });

  test("freeze() returns a workflow ref whose stream has the output type", () => {
    const { app, numbers } = setup();
    const ref = app.workflows<number, string>("w").source(numbers.stream).map(String).sink().freeze();
    expectTypeOf(ref.stream).toEqualTypeOf<StreamRef<string>>();
    // @ts-expect-error a string stream is not a number source
    app.workflows<number, number>("next").source(ref.stream);
  });
});

describe("operators keep and change the event type", () => {
  test("a map after key keeps the event type, and key functions return a Key", () => {
    const { app, ops } = setup();
    const keyed = app
      .workflows<CartOp, string>("k")
      .source(ops.stream)
      .key((op) => op.user);
    expectTypeOf(keyed).toEqualTypeOf<FlowBuilder<CartOp, string, CartOp, CartOp>>();
    keyed
      .map((op, ctx) => {
        expectTypeOf(op).toEqualTypeOf<CartOp>();
        expectTypeOf(ctx).toEqualTypeOf<MapContext>();
        expectTypeOf(ctx.key).toEqualTypeOf<Key>();
        return op.item;
      })
      .sink();
    // @ts-expect-error a key is a string or a number
    keyed.key((op) => ({ user: op.user }));
    // @ts-expect-error a key function gets no context
    keyed.key((op, ctx) => ctx);
  });

  test("filter with a type guard narrows (also one TypeScript infers); a boolean filter keeps the type", () => {
    const { app, mixed } = setup();
    const src = app.workflows<string | number, string>("f").source(mixed.stream);
    const strings = src.filter((x): x is string => typeof x === "string");
    expectTypeOf(strings).toEqualTypeOf<FlowBuilder<string | number, string, string | number, string>>();
    strings.map((s) => s.toUpperCase()).sink();
    strings.sink();
    const inferred = src.filter((x) => typeof x === "string"); // TypeScript ≥ 5.5 infers `x is string`
    expectTypeOf(inferred).toEqualTypeOf<FlowBuilder<string | number, string, string | number, string>>();
    const kept = src.filter((x) => String(x).length > 1);
    expectTypeOf(kept).toEqualTypeOf<FlowBuilder<string | number, string, string | number, string | number>>();
    // @ts-expect-error without a type guard the flow still carries string | number
    kept.sink();
  });

  test("flatMap, init, task, vsm and union have the types of their tasks", () => {
    const { app, numbers } = setup();
    const src = app.workflows<number, string>("o").source(numbers.stream);
    expectTypeOf(src.flatMap((x) => [x, x])).toEqualTypeOf<FlowBuilder<number, string, number, number>>();
    expectTypeOf(src.flatMap((x) => `${x}`)).toEqualTypeOf<FlowBuilder<number, string, number, string>>();
    expectTypeOf(src.init(() => Tasks.map((x: number) => `${x}`))).toEqualTypeOf<FlowBuilder<number, string, number, string>>();
    expectTypeOf(src.task(Tasks.map((x: number) => x > 1))).toEqualTypeOf<FlowBuilder<number, string, number, boolean>>();
    // @ts-expect-error the task takes strings, the flow carries numbers
    src.task(Tasks.map((s: string) => s.length));
    const a = src.map((x) => `a${x}`);
    const b = src.map((x) => `b${x}`);
    a.union(b).sink();
    // @ts-expect-error a union merges flows of the same event type
    a.union(src);
  });

  test("the with* methods see the latest task's input and output types", () => {
    const { app, numbers } = setup();
    app
      .workflows<number, string>("h")
      .source(numbers.stream)
      .map((x) => `${x}`)
      .withOnNext((x, ctx) => {
        expectTypeOf(x).toEqualTypeOf<number>();
        expectTypeOf(ctx).toEqualTypeOf<ProcessorContext<string>>();
        ctx.emit(`${x}`);
      })
      .withOnAtomComplete((ctx) => ctx.emit("|"))
      // @ts-expect-error the latest task emits strings
      .withOnComplete((ctx) => ctx.emit(1))
      .sink();
  });
});

describe("contexts", () => {
  test("processor's emitted type defaults to the workflow's output type; an explicit type overrides it", () => {
    const { app, numbers } = setup();
    const src = app.workflows<number, string>("p").source(numbers.stream);
    const byDefault = src.processor((x, ctx) => {
      expectTypeOf(ctx).toEqualTypeOf<ProcessorContext<string>>();
      ctx.emit(`${x}`);
      // @ts-expect-error the workflow's output is string
      ctx.emit(x);
    });
    expectTypeOf(byDefault).toEqualTypeOf<FlowBuilder<number, string, number, string>>();
    byDefault.sink();
    const explicit = src.processor<number>((x, ctx) => ctx.emit(x * 2));
    expectTypeOf(explicit).toEqualTypeOf<FlowBuilder<number, string, number, number>>();
    // @ts-expect-error the processor emits numbers
    explicit.sink();
    explicit.map((x) => `${x}`).sink();
  });

  test("map contexts cannot emit or reply; processor contexts cannot reply", () => {
    const { app, numbers } = setup();
    const src = app.workflows<number, number>("c").source(numbers.stream);
    src.map((x, ctx) => {
      // @ts-expect-error a map returns its output
      ctx.emit(x);
      return x;
    });
    src.processor((x, ctx) => {
      // @ts-expect-error only the replier side of a portal replies
      ctx.reply(x);
    });
    src.map((x, ctx) => {
      expectTypeOf(ctx.perKey("n", 0).get()).toEqualTypeOf<number>();
      expectTypeOf(ctx.perTask("names", [] as string[]).get()).toEqualTypeOf<string[]>();
      expectTypeOf(ctx.state.get<boolean>("flag")).toEqualTypeOf<boolean | undefined>();
      // @ts-expect-error a perKey handle stores the type of its initial value
      ctx.perKey("n", 0).set("one");
      return x;
    });
  });

  test("Tasks.* standalone tasks carry their types", () => {
    expectTypeOf(Tasks.map((x: number) => `${x}`)).toEqualTypeOf<import("portals-ts").Task<number, string>>();
    expectTypeOf(Tasks.filter((x: string) => x.length > 0)).toEqualTypeOf<import("portals-ts").Task<string, string>>();
    expectTypeOf(Tasks.processor<number, Order>((_x, ctx) => ctx.emit({ user: "u", items: [] }))).toEqualTypeOf<
      import("portals-ts").Task<number, Order>
    >();
    // @ts-expect-error an Order has items
    Tasks.processor<number, Order>((_x, ctx) => ctx.emit({ user: "u" }));
  });

  test("a vsm state's handler may return VSM.same (a unique symbol, not any symbol)", () => {
    const idle = VSM.processor<number, number>(
      (x, ctx) => {
        ctx.emit(x);
        return VSM.same;
      },
      { name: "types/idle" },
    );
    expectTypeOf(idle).toEqualTypeOf<VsmBehavior<number, number>>();
    // @ts-expect-error another symbol is not VSM.same
    VSM.processor<number, number>(() => Symbol("same"));
  });
});
