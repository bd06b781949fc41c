/**
 * Property test: random operator bodies built from the constructs of the fixtures (awaits in
 * expressions, conditions, short-circuits, loops with break/continue, switch, try/catch/finally,
 * Promise.all, return), calls with computed callees and receivers and awaited arguments, method
 * calls on `ctx` and its handles, closures created in loops, helpers (one taking a portal ref)
 * awaited directly and through `Promise.all(xs.map(...))`, nested data holding class instances
 * (registered and not), and labelled jumps through `finally`, with random reply tables (some
 * replies fail), run natively, compiled, and compiled with a snapshot/restore at every
 * suspension: the three traces must be equal. A body may be rejected by the compiler only when
 * it uses a construct marked `may-reject` (a value that is not data kept across an await);
 * any other diagnostic fails. Modules are evaluated in memory (CommonJS output with an injected
 * `require`) to keep each run fast. The whole-module fuzzer is test/compiler/fuzz/.
 */
import * as fc from "fast-check";
import * as ts from "typescript";
import { expect, test } from "vitest";
import * as portals from "portals-ts";
import * as machine from "portals-ts/machine";
import { createTransformer } from "../../../../compiler/core/transform.js";
import { formatDiagnostic } from "../../../../compiler/hosts/transpile.js";
import * as harness from "../../harness.js";
import { ROOT } from "../../fixtures.js";

// 2,000 in CI; set PORTALS_PROPERTY_RUNS for a longer search.
const RUNS = Number(process.env.PORTALS_PROPERTY_RUNS ?? 2000);

/** Marks a construct the compiler may reject (a value that is not data across an await). */
const MAY_REJECT = "/* may-reject */";

interface Gen {
  loops: number;
}

const small = fc.integer({ min: 0, max: 9 });
const variable = fc.constantFrom("a", "b", "c");

/** An await-free numeric expression. */
const expr: fc.Arbitrary<string> = fc.oneof(
  variable,
  small.map(String),
  fc.constant("x"),
  fc.tuple(variable, small).map(([v, n]) => `(${v} + ${n}) % 97`),
  fc.tuple(variable, variable).map(([v, w]) => `(${v} * 3 + ${w}) % 89`),
);

/** An expression with awaits. */
const awaiting: fc.Arbitrary<string> = fc.oneof(
  expr.map((e) => `(await p.request(${e}))`),
  fc.tuple(expr, expr).map(([e, f]) => `(${e} + (await p.request(${f})))`),
  fc.tuple(expr, expr).map(([e, f]) => `((await p.request(${e})) - (await p.request(${f})))`),
  fc.tuple(expr, expr).map(([e, f]) => `(${e} > 4 && (await p.request(${f})))`),
  fc.tuple(expr, expr).map(([e, f]) => `(${e} % 2 === 0 || (await p.request(${f})))`),
  fc.tuple(expr, expr).map(([e, f]) => `((await p.request(${e})) ?? ${f})`),
  fc.tuple(expr, expr, expr).map(([c, e, f]) => `(${c} % 3 === 0 ? (await p.request(${e})) : ${f})`),
  fc.tuple(expr, expr).map(([e, f]) => `(await Promise.all([p.request(${e}), p.request(${f})])).reduce((s, v) => s + Number(v), 0)`),
  // Calls with computed callees and receivers, and awaited arguments.
  // Rejected: the function, computed before the await, cannot be kept across it.
  fc.tuple(expr, expr).map(([e, f]) => `${MAY_REJECT}Number(callee("f", ${e})(await p.request(${f})))`),
  // Rejected: the receiver, computed before the await, is not data and cannot be kept across it.
  expr.map((e) => `${MAY_REJECT}Number(recv("r").m(await p.request(${e})))`),
  fc.tuple(expr, expr).map(([e, f]) => `Number(fns[(${e}) & 1](await p.request(${f})))`),
  // Helpers: awaited, with a portal ref, through Promise.all over a map.
  expr.map((e) => `(await twice(${e}))`),
  expr.map((e) => `(await viaRef(${e}, p))`),
  // Rejected: a helper that asks a portal can only be awaited directly (docs/compiler.md, "Checks").
  fc.tuple(expr, expr).map(([e, f]) => `${MAY_REJECT}(await Promise.all([${e}, ${f}].map((v) => twice(v)))).reduce((s, v) => s + Number(v), 0)`),
);

function statements(depth: number, gen: Gen, inLoop: boolean): fc.Arbitrary<string> {
  return fc.array(statement(depth, gen, inLoop), { minLength: 1, maxLength: 3 }).map((s) => s.join("\n"));
}

function statement(depth: number, gen: Gen, inLoop: boolean): fc.Arbitrary<string> {
  const leaf: fc.Arbitrary<string>[] = [
    fc.tuple(variable, awaiting).map(([v, e]) => `${v} = Number(${e}) % 101;`),
    fc.tuple(variable, awaiting).map(([v, e]) => `${v} += Number(${e}) % 7;`),
    awaiting.map((e) => `ctx.emit(${e});`),
    expr.map((e) => `ctx.emit(${e});`),
    fc.tuple(expr, expr).map(([c, e]) => `if (${c} > 80) return ${e};`),
  ];
  // Method calls on ctx and its handles, with awaited arguments.
  leaf.push(
    fc.tuple(expr, awaiting).map(([e, w]) => `ctx.state.set("k", ${e} * ${w});`),
    awaiting.map((w) => `ctx.log.info(String(${w}));`),
    awaiting.map((w) => `ctx.perKey("n", 0).set(${w});`),
    fc.tuple(variable, awaiting).map(([v, w]) => `${v} = Number(ctx.perKey("n", 0).get() ?? 0) + Number(${w});`),
  );
  if (inLoop) leaf.push(expr.map((e) => `if (${e} % 4 === 1) continue;`), expr.map((e) => `if (${e} % 5 === 2) break;`));
  if (depth <= 0) return fc.oneof(...leaf);
  const inner = (loop: boolean) => statements(depth - 1, gen, loop);
  return fc.oneof(
    { arbitrary: fc.oneof(...leaf), weight: 3 },
    // Closures created in a loop, before or after its awaits, called after the loop.
    fc.tuple(fc.integer({ min: 0, max: 3 }), inner(true), fc.boolean(), variable).map(([k, s, before, v]) => {
      const j = `j${gen.loops++}`;
      const push = `fs${j}.push(() => ${j} * 10 + ${v});`;
      return `{ ${MAY_REJECT}\nconst fs${j}: (() => number)[] = [];\nfor (let ${j} = 0; ${j} < ${k}; ${j}++) {\n${before ? `${push}\n${s}` : `${s}\n${push}`}\n}\nctx.emit(fs${j}.map((g) => g()).join(","));\n}`;
    }),
    // Nested data holding class instances: registered (data) and not (must be rejected or kept).
    fc.tuple(expr, inner(inLoop), fc.boolean()).map(([e, s, registered]) => {
      const n = `box${gen.loops++}`;
      return `{ ${registered ? "" : MAY_REJECT}\nconst ${n} = { list: [new ${registered ? "Money" : "Box"}(${e})], at: new Map([[1, new ${registered ? "Money" : "Box"}(2)]]) };\n${s}\nctx.emit(${n}.list[0]!.v + ${n}.at.get(1)!.v);\n}`;
    }),
    // Labelled break and continue through finally.
    fc.tuple(fc.integer({ min: 1, max: 3 }), inner(true), inner(true), expr, expr).map(([k, s, f, c, d]) => {
      const l = `L${gen.loops}`;
      const i = `k${gen.loops++}`;
      return `${l}: for (let ${i} = 0; ${i} < ${k}; ${i}++) {\ntry {\n${s}\nif ((${c}) % 3 === 0) continue ${l};\nif ((${d}) % 4 === 1) break ${l};\n} finally {\nctx.emit("finally ${l}");\n${f}\n}\n}`;
    }),
    fc.tuple(fc.oneof(expr, awaiting), inner(inLoop), inner(inLoop)).map(([c, s, t]) => `if (Number(${c}) % 2 === 0) {\n${s}\n} else {\n${t}\n}`),
    fc.tuple(fc.integer({ min: 0, max: 3 }), inner(true)).map(([k, s]) => {
      const i = `i${gen.loops++}`;
      return `for (let ${i} = 0; ${i} < ${k}; ${i}++) {\n${s}\n}`;
    }),
    fc.tuple(fc.integer({ min: 0, max: 3 }), inner(true)).map(([k, s]) => {
      const w = `w${gen.loops++}`;
      return `let ${w} = 0;\nwhile (${w} < ${k}) {\n${w}++;\n${s}\n}`;
    }),
    fc.tuple(inner(inLoop), inner(inLoop), fc.option(inner(inLoop), { nil: undefined })).map(
      ([s, c, f]) => `try {\n${s}\n} catch (e) {\nctx.emit("caught " + (e as Error).message);\n${c}\n}${f === undefined ? "" : ` finally {\n${f}\n}`}`,
    ),
    fc.tuple(fc.oneof(expr, awaiting), inner(inLoop), inner(inLoop), inner(inLoop)).map(
      ([d, s, t, u]) => `switch (Number(${d}) % 3) {\ncase 0:\n${s}\ncase 1:\n${t}\nbreak;\ndefault:\n${u}\n}`,
    ),
  );
}

const program = fc.integer({ min: 1, max: 3 }).chain((depth) => statements(depth, { loops: 0 }, false));

/** Reply table: a number, null, or a failure, by request payload. */
const replies = fc.array(fc.oneof({ arbitrary: fc.integer({ min: -20, max: 60 }), weight: 8 }, fc.constant(null), fc.constant("fail")), { minLength: 1, maxLength: 6 });

function source(body: string): string {
  return `import { Tasks } from "portals-ts";
import { portal, callee, recv, tap, dataClass } from "./harness";
declare const table: (number | null | "fail")[];
const p = portal("p", (n: number) => {
  const r = table[((Number(n) % table.length) + table.length) % table.length];
  if (r === "fail") throw new Error("no " + n);
  return r;
});
class Box {
  constructor(public v: number) {}
}
class Money {
  constructor(public v: number) {}
}
const moneyClass = dataClass({ name: "property.Money", type: Money, encode: (m: Money) => m.v, decode: (v: number) => new Money(v) });
const fns = [(v: unknown) => tap("fns0", v), (v: unknown) => tap("fns1", v)];
async function twice(n: number) {
  let s = 0;
  for (let i = 0; i < 2; i++) {
    try {
      s += Number(await p.request(n + i));
    } finally {
      s++;
    }
  }
  return s;
}
const viaRef = async (n: number, r: typeof p) => Number(await r.request(n)) + 1;
export const op = Tasks.asker<number, unknown>(p, async (x, ctx) => {
  let a = x, b = 1, c = 2;
${body}
  return [a, b, c];
});
`;
}

class Rejected extends Error {}

function transpile(code: string, compiled: boolean): string {
  const problems: string[] = [];
  const out = ts.transpileModule(code, {
    fileName: `${ROOT}/test/compiler/generated.ts`,
    compilerOptions: { module: ts.ModuleKind.CommonJS, target: ts.ScriptTarget.ES2022 },
    transformers: compiled
      ? { before: [createTransformer(ts, { root: ROOT, onFile: (_f, r) => problems.push(...r.diagnostics.map((d) => formatDiagnostic(ts, d))) })] }
      : undefined,
  });
  if (problems.length > 0) throw (code.includes(MAY_REJECT) ? new Rejected() : new Error(`${problems.join("\n")}\n${code}`));
  return out.outputText;
}

/** Evaluates a CommonJS module with the project's modules injected; returns its exports. */
function evaluate(js: string, table: unknown[]): { op: { spec: { fn?: unknown } } } {
  const modules: Record<string, unknown> = { "portals-ts": portals, "portals-ts/machine": machine, "./harness": harness };
  const exports = {};
  new Function("require", "exports", "table", js)((m: string) => modules[m], exports, table);
  return exports as { op: { spec: { fn?: unknown } } };
}

test(`random operator bodies: native, compiled and snapshot/restored traces are equal (${RUNS} runs)`, async () => {
  await fc.assert(
    fc.asyncProperty(program, replies, fc.array(fc.integer({ min: -5, max: 30 }), { minLength: 1, maxLength: 2 }), async (body, table, events) => {
      const code = source(body);
      const nativeJs = transpile(code, false);
      let compiledJs: string;
      try {
        compiledJs = transpile(code, true);
      } catch (e) {
        if (e instanceof Rejected) return; // a construct that may be rejected was
        throw e;
      }
      const native = evaluate(nativeJs, table).op.spec.fn as (x: unknown, ctx: unknown) => Promise<unknown>;
      const expected = await harness.runNative(native, events);
      const compiled = harness.machineOfTask(evaluate(compiledJs, table).op);
      expect(await harness.runCompiled(compiled, events)).toEqual(expected);
      const reload = async () => harness.machineOfTask(evaluate(compiledJs, table).op);
      expect(await harness.runCompiled(compiled, events, reload)).toEqual(expected);
    }),
    { numRuns: RUNS },
  );
}, 600_000);
