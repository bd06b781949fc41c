/**
 * Operator fusion (runtime/engine/fusion.ts): chains of stateless tasks run as one loop, and
 * nothing about it can be seen: the output, the keys, and the reports of failures are those of
 * the same chain run task by task.
 */
import * as fc from "fast-check";
import { describe, expect, test } from "vitest";
import { PortalsApp, Systems, type FlowBuilder, type Key, type LogMeta } from "portals-ts";

type Step = { kind: "map"; add: number } | { kind: "filter"; mod: number } | { kind: "key"; mod: number } | { kind: "throw"; at: number };

/** Builds the chain; `ctx` callbacks take the context, which keeps them out of fusion. */
function chain(steps: readonly Step[], withCtx: boolean) {
  return PortalsApp("fused", (app) => {
    let flow = app.workflows<number, string>("w").source(app.generators.fromRange(0, 60, 7).stream) as FlowBuilder<number, string, any, number>;
    for (const s of steps) {
      switch (s.kind) {
        case "map":
          flow = withCtx ? flow.map((x: number, _ctx) => x + s.add) : flow.map((x: number) => x + s.add);
          break;
        case "filter":
          flow = withCtx ? flow.filter((x: number, _ctx) => x % s.mod !== 0) : flow.filter((x: number) => x % s.mod !== 0);
          break;
        case "key":
          flow = flow.key((x: number) => `k${x % s.mod}`);
          break;
        case "throw":
          flow = withCtx
            ? flow.map((x: number, _ctx) => {
                if (x % 13 === s.at) throw new Error(`bad ${x}`);
                return x;
              })
            : flow.map((x: number) => {
                if (x % 13 === s.at) throw new Error(`bad ${x}`);
                return x;
              });
      }
    }
    flow.map((x: number, ctx) => `${String(ctx.key)}:${x}`).logger().sink().freeze();
  });
}

function run(app: ReturnType<typeof chain>): { lines: string[]; errors: [string, LogMeta][] } {
  const lines: string[] = [];
  const errors: [string, LogMeta][] = [];
  const system = Systems.test({ seed: 1, log: (line, meta) => void (meta.level === "info" ? lines.push(line) : errors.push([line, meta])) });
  system.launch(app);
  system.stepUntilComplete();
  return { lines, errors };
}

const step: fc.Arbitrary<Step> = fc.oneof(
  fc.integer({ min: -5, max: 5 }).map((add) => ({ kind: "map" as const, add })),
  fc.integer({ min: 2, max: 5 }).map((mod) => ({ kind: "filter" as const, mod })),
  fc.integer({ min: 1, max: 4 }).map((mod) => ({ kind: "key" as const, mod })),
  fc.integer({ min: 0, max: 12 }).map((at) => ({ kind: "throw" as const, at })),
);

describe("a fused chain gives what the same chain gives task by task", () => {
  test("random chains of map, filter, key and failing maps: same lines, keys and error reports", () => {
    fc.assert(
      fc.property(fc.array(step, { minLength: 2, maxLength: 8 }), (steps) => {
        const fused = run(chain(steps, false));
        const plain = run(chain(steps, true));
        expect(fused).toEqual(plain);
      }),
      { numRuns: 200 },
    );
  });

  test("a failure in the middle of a fused chain is reported once, with its task and key", () => {
    const { lines, errors } = run(chain([{ kind: "key", mod: 2 }, { kind: "throw", at: 3 }, { kind: "map", add: 1 }], false));
    expect(errors.map(([line]) => line)).toEqual([
      'workflow /fused/workflows/w, task map#2, key "k1": bad 3',
      'workflow /fused/workflows/w, task map#2, key "k0": bad 16',
      'workflow /fused/workflows/w, task map#2, key "k1": bad 29',
      'workflow /fused/workflows/w, task map#2, key "k0": bad 42',
      'workflow /fused/workflows/w, task map#2, key "k1": bad 55',
    ]);
    // Only the failing event (3) is dropped; the rest of its atom goes on (docs/semantics.md, rule 10).
    expect(lines.slice(0, 7)).toEqual(["k0:1", "k1:2", "k0:3", "k0:5", "k1:6", "k0:7", "k1:8"]);
  });
});

test("callbacks that take the context are not fused: each task still finishes the atom first (docs/semantics.md, rule 2)", () => {
  const lines: string[] = [];
  const system = Systems.test({ log: (line) => lines.push(line) });
  system.launch(
    PortalsApp("order", (app) => {
      app
        .workflows<number, number>("w")
        .source(app.generators.fromArray([1, 2]).stream)
        .map((x: number, ctx) => (ctx.log.info(`a${x}`), x))
        .map((x: number, ctx) => (ctx.log.info(`b${x}`), x))
        .sink()
        .freeze();
    }),
  );
  system.stepUntilComplete();
  expect(lines).toEqual(["a1", "a2", "b1", "b2"]);
});

test("keys set inside a fused chain travel with the events", () => {
  const keys: Key[] = [];
  const system = Systems.test({ log: () => {} });
  system.launch(
    PortalsApp("keys", (app) => {
      app
        .workflows<number, number>("w")
        .source(app.generators.fromArray([1, 2, 3]).stream)
        .map((x: number) => x * 10)
        .key((x: number) => x / 10)
        .map((x: number) => x + 1)
        .processor<number>((x, ctx) => {
          keys.push(ctx.key);
          ctx.emit(x);
        })
        .sink()
        .freeze();
    }),
  );
  system.stepUntilComplete();
  expect(keys).toEqual([1, 2, 3]);
});
