/**
 * The grammar of the differential fuzzer: fast-check arbitraries of whole operator modules.
 *
 * A module has scripted portals (`p` answers from a random reply table, some replies fail; `q`
 * answers an object), module-level async helpers (loops, try/catch/finally, recursion bounded by
 * a depth parameter, helpers calling helpers, portal refs as parameters), and one operator
 * (`Tasks.asker`, `Tasks.processor`, or the request handler of `Tasks.askerReplier`, which
 * answers with `ctx.reply`), with the events it gets. Bodies use every statement form (labelled
 * loops and blocks with labelled break/continue through `finally`, `switch` with awaits in case
 * tests and bodies, `default` anywhere and fall-through, destructuring, closures created in loops
 * and local function declarations) and every expression form with awaits in every operand
 * position, probes that make the order of evaluation visible (`tap`, `callee`, `recv` of the
 * harness, and `ctx`'s methods and handles), names that clash with the compiler's (`$f`, `$L`,
 * `$t1`, `__proto__`, …), data the codec keeps (Map, Set, Date, BigInt, typed arrays, -0, NaN,
 * null-prototype objects, sparse arrays) and values that are not data (class instances,
 * functions, generator objects), so that the compiler must either run them identically or
 * reject them.
 *
 * Values are trees of {@link Code}: functions that render source text in a {@link Render}
 * context (which knows the scope: loops, labels, names declared so far, whether awaits are
 * allowed), so that shrinking works on structure and the rendered program is always valid.
 * Every construct records a tag, and the tags of a shrunk program say which constructs it needs.
 */
import * as fc from "fast-check";

/** Names of the compiler's generated identifiers (and `__proto__`), used as user locals. */
export const CLASHING_NAMES = ["$f", "$L", "$rt", "$t1", "$t2", "$ctx", "$in", "$e", "$c", "$args", "$dispatch", "$ck", "$ek", "$e1", "__proto__"] as const;

/** The scope a piece of code is rendered in. */
export interface Scope {
  /** `op`: the operator; `helper`: a module-level async helper; `plain`: a non-async operator. */
  readonly role: "op" | "helper" | "plain";
  /** For helpers, its index (it may call helpers of lower index, and itself with `d - 1`). */
  readonly helper: number;
  /** True when `ctx` is in scope. */
  readonly ctx: boolean;
  /** True in a replier's request handler (`ctx.reply`). */
  readonly replier: boolean;
  /** The event (operator) or first argument (helper). */
  readonly param: string;
  /** The helper's portal ref parameter, if it has one. */
  readonly ref: string | undefined;
  /** Numeric locals that may be assigned. */
  readonly nums: readonly string[];
  /** Names that may be read (loop variables, destructured names, …), innermost last. */
  readonly reads: readonly string[];
  /** Inside a nested function, or a non-async operator: no `await`. */
  readonly noAwait: boolean;
  /** `continue` allowed (inside a loop). */
  readonly loop: boolean;
  /** Unlabelled `break` allowed (inside a loop or switch). */
  readonly breakable: boolean;
  /** Enclosing labels (a loop label may be continued). */
  readonly labels: readonly { readonly name: string; readonly loop: boolean }[];
  /** A data local `d` exists. */
  readonly data: boolean;
  /** A local `nd` holding a value that is not data exists. */
  readonly nonData: boolean;
}

/** What the renderer knows about one helper of the module. */
export interface HelperInfo {
  readonly ref: boolean;
}

/**
 * The switchable features (swarm testing: each module enables a random subset, so that a
 * construct the compiler rejects does not reject every program, and a shrunk program keeps only
 * the features its mismatch needs). Tags not listed are always on.
 */
export const FEATURES = [
  // expressions
  "logical", "conditional", "assign", "compound-assign", "member-assign", "member-logical-assign", "computed-member-assign",
  "computed-member-compound", "member-logical-or-assign", "update", "update-member", "update-computed", "unary", "typeof", "void",
  "delete", "comma", "template", "tap", "computed-callee", "computed-receiver", "computed-member-callee", "map-get-callee",
  "builtin-call", "array-method", "ctx-method", "new-class", "new-registered", "optional-call", "optional-element", "array-literal",
  "computed-key", "object-spread", "member-of-literal", "spread-call", "destructuring-assign", "destructuring-assign-default",
  "local-data-read", "non-data-read",
  // awaited operands
  "await-object", "await-helper", "await-ref-param", "promise-all", "promise-all-map", "promise-all-map-helper", "promise-all-sparse",
  "await-request-function", "await-helper-without-await", "await-helper-returning-request", "await-then-optional", "recursion",
  "helper-calls-helper", "ref-argument",
  // statements
  "return", "throw", "throw-error-subclass", "labelled-jump", "continue", "break", "destructuring-declaration",
  "destructuring-computed-key", "var", "reply", "labelled-loop", "var-loop", "while", "do-while", "for-of", "for-in", "switch",
  "catch", "finally", "labelled-block", "request-handle", "closures-in-loop", "closure-in-loop-called-after-await",
  "closure-called-with-awaited-argument", "function-declaration-in-loop", "function-declaration-in-block",
  "local-read-only-in-nested-function", "context-handle-local", "data-values", "non-data-values",
  // iterables
  "for-of-live-array", "for-of-string", "for-of-set", "for-of-map", "for-of-sparse", "for-of-generator", "for-of-non-iterable", "for-of-awaited",
] as const;
const GATED: ReadonlySet<string> = new Set(FEATURES);

/** Thrown by {@link Render.tag} when a construct's feature is off in this module. */
class Disabled extends Error {}


/**
 * The feature a tag belongs to: data and non-data values, clashing names and the operator and
 * helper forms are chosen per module, not switched.
 */
export function featureOf(tag: string): string {
  if (tag.startsWith("data-")) return "data-values";
  if (tag.startsWith("non-data-")) return "non-data-values";
  return tag;
}

/** Rendering state of one module. */
export class Render {
  private n = 0;
  tags = new Set<string>();
  scope: Scope;
  constructor(
    readonly helpers: readonly HelperInfo[],
    scope: Scope,
    /** Swarm testing: the features this module may use (all when undefined). */
    readonly features?: ReadonlySet<string>,
  ) {
    this.scope = scope;
  }
  fresh(prefix: string): string {
    return `${prefix}${++this.n}`;
  }
  /** Records that the code uses a construct; throws when its feature is off (see {@link choice}). */
  tag(t: string): void {
    const f = featureOf(t);
    if (this.features !== undefined && GATED.has(f) && !this.features.has(f)) throw new Disabled(f);
    this.tags.add(t);
  }
  /** Renders `code`, or `fallback` when `code` uses a feature that is off. */
  attempt(code: Code, fallback: Code): string {
    const tags = new Set(this.tags);
    const scope = this.scope;
    try {
      return code(this);
    } catch (e) {
      if (!(e instanceof Disabled)) throw e;
      this.tags = tags;
      this.scope = scope;
      return fallback(this);
    }
  }
  /** Renders `f` in a scope changed by `patch`. */
  in<T>(patch: Partial<Scope>, f: () => T): T {
    const old = this.scope;
    this.scope = { ...old, ...patch };
    try {
      return f();
    } finally {
      this.scope = old;
    }
  }
  /** Renders a statement list, in which declarations add names for the statements after them. */
  block(codes: readonly Code[]): string {
    const old = this.scope;
    try {
      return codes.map((c) => c(this)).join("\n");
    } finally {
      this.scope = old;
    }
  }
  /** Adds readable names for the rest of the current block. */
  declare(...names: string[]): void {
    this.scope = { ...this.scope, reads: [...this.scope.reads, ...names] };
  }
}

/** A piece of source code, rendered in a scope. */
export type Code = (r: Render) => string;

/**
 * `fc.oneof` whose choice falls back to a value of `fallback` (which uses no switchable
 * feature) when the chosen code uses a feature that is off in the module.
 */
function choice(fallback: fc.Arbitrary<Code>, ...arbs: fc.WeightedArbitrary<Code>[]): fc.Arbitrary<Code> {
  return fc.tuple(fc.oneof(...arbs), fallback).map(([code, fb]): Code => (r) => r.attempt(code, fb));
}

const at = <T>(xs: readonly T[], i: number): T => xs[i % xs.length]!;
const tagged =
  (tag: string, f: Code): Code =>
  (r) => {
    r.tag(tag);
    return f(r);
  };

// ---------------------------------------------------------------------------------------------
// Expressions

const small = fc.integer({ min: -2, max: 9 });
const idx = fc.nat({ max: 1_000 });

/** An await-free leaf. */
const leaf: fc.Arbitrary<Code> = fc.oneof(
  { weight: 5, arbitrary: idx.map((i): Code => (r) => at(r.scope.nums, i)) },
  // Negative literals in parentheses: `-1 ** x` is a syntax error.
  { weight: 3, arbitrary: small.map((n): Code => () => (n < 0 ? `(${n})` : String(n))) },
  { weight: 2, arbitrary: idx.map((i): Code => (r) => (r.scope.reads.length > 0 ? at(r.scope.reads, i) : at(r.scope.nums, i))) },
  { weight: 1, arbitrary: fc.constant<Code>((r) => r.scope.param) },
  { weight: 1, arbitrary: fc.constantFrom<Code>(() => "o.k", () => "arr[1]", () => "arr.length", () => "o?.j?.z") },
  { weight: 1, arbitrary: fc.constant<Code>((r) => (r.scope.ctx ? (r.tag("ctx-read"), `(ctx.state.get("k") ?? 0)`) : "0")) },
  { weight: 1, arbitrary: fc.constant<Code>((r) => (r.scope.ctx ? (r.tag("ctx-read"), `ctx.perKey("n", 0).get()`) : "1")) },
  { weight: 1, arbitrary: fc.constantFrom<Code>(() => "(-0)", () => "NaN", () => "null", () => "undefined", () => "2n", () => '"s"') },
);

/** An expression that uses no switchable feature: a leaf or `await p.request(leaf)`. */
const basic: fc.Arbitrary<Code> = fc.oneof(
  { weight: 3, arbitrary: leaf },
  { weight: 2, arbitrary: leaf.map((x): Code => (r) => (r.scope.noAwait ? x(r) : (r.tag("await"), `(await p.request(${x(r)}))`))) },
);

/**
 * An awaited expression with an await-free fallback (used where no await may appear: nested
 * functions, non-async operators).
 */
function awaiting(tag: string, render: Code, fallback: Code): Code {
  return (r) => {
    if (r.scope.noAwait) return fallback(r);
    r.tag("await");
    r.tag(tag);
    return render(r);
  };
}

/** A call of helper `which` (or a recursive call of the current helper) with argument `arg`. */
function helperCall(which: number, refChoice: number, arg: Code, awaited: boolean): Code {
  return (r) => {
    const s = r.scope;
    const a = arg(r);
    const limit = s.role === "helper" ? s.helper + 1 : r.helpers.length;
    if (limit === 0 || s.role === "plain") return `${awaited ? "(await p.request(" : "p.request(("}${a}))`;
    const j = which % limit;
    const info = r.helpers[j]!;
    const ref = info.ref ? (refChoice % 3 === 0 ? "" : refChoice % 3 === 1 ? ", p" : ", q") : "";
    if (info.ref && ref !== "") r.tag("ref-argument");
    const aw = awaited ? "await " : "";
    if (s.role === "helper" && j === s.helper) {
      r.tag("recursion");
      const refArg = info.ref ? `, ${s.ref}` : "";
      return `(d > 0 ? ${aw}h${j}(${a}${refArg}, d - 1) : 0)`;
    }
    if (s.role === "helper") r.tag("helper-calls-helper");
    const dArg = ref === "" && refChoice % 5 === 0 ? (info.ref ? ", undefined, 0" : ", 0") : ref !== "" && refChoice % 5 === 0 ? ", 0" : "";
    return `(${aw}h${j}(${a}${ref}${dArg}))`;
  };
}

/** Awaited atoms: everything an operator may await (and a few things it should not). */
function atom(e: fc.Arbitrary<Code>): fc.Arbitrary<Code> {
  const pr = (x: Code): Code => (r) => `p.request(${x(r)})`;
  return choice(
    basic,
    { weight: 8, arbitrary: e.map((x) => awaiting("await-request", (r) => `(await p.request(${x(r)}))`, x)) },
    { weight: 2, arbitrary: e.map((x) => awaiting("await-object", (r) => `(await q.request(${x(r)})).n`, x)) },
    {
      weight: 5,
      arbitrary: fc.tuple(idx, idx, e).map(([w, rc, x]) => awaiting("await-helper", helperCall(w, rc, x, true), x)),
    },
    {
      weight: 2,
      arbitrary: e.map((x) =>
        awaiting("await-ref-param", (r) => (r.scope.ref === undefined ? `(await p.request(${x(r)}))` : `(await ${r.scope.ref}.request(${x(r)}))`), x),
      ),
    },
    {
      weight: 2,
      arbitrary: fc.tuple(e, e, fc.nat(3)).map(([x, y, k]) =>
        awaiting(
          "promise-all",
          (r) => {
            const all = `(await Promise.all([${pr(x)(r)}, q.request(${y(r)})]))`;
            return k === 0 ? `${all}[0]` : k === 1 ? `${all}[1].n` : k === 2 ? `${all}.length` : `${all}[0]`;
          },
          x,
        ),
      ),
    },
    {
      weight: 1,
      arbitrary: fc.tuple(e, e).map(([x, y]) =>
        awaiting("promise-all-map", (r) => `(await Promise.all([${x(r)}, ${y(r)}].map((v: any) => p.request(v))))[1]`, x),
      ),
    },
    {
      weight: 1,
      arbitrary: fc.tuple(e, e, idx).map(([x, y, w]) =>
        awaiting(
          "promise-all-map-helper",
          (r) => {
            const call = helperCall(w, 0, () => "v", false)(r);
            return `(await Promise.all([${x(r)}, ${y(r)}].map((v: any) => ${call})))[0]`;
          },
          x,
        ),
      ),
    },
    {
      weight: 1,
      arbitrary: fc.tuple(e, e).map(([x, y]) => awaiting("promise-all-sparse", (r) => `(await Promise.all([p.request(${x(r)}), , p.request(${y(r)})] as any[]))[2]`, x)),
    },
    { weight: 1, arbitrary: e.map((x) => awaiting("await-request-function", (r) => `(await rq(${x(r)}))`, x)) },
    { weight: 1, arbitrary: e.map((x) => awaiting("await-helper-without-await", (r) => `(await hz(${x(r)}))`, x)) },
    { weight: 1, arbitrary: e.map((x) => awaiting("await-helper-returning-request", (r) => `(await hr(${x(r)}))`, x)) },
    { weight: 1, arbitrary: e.map((x) => awaiting("await-then-optional", (r) => `(await q.request(${x(r)}))?.list?.[1]`, x)) },
  );
}

const BINARY = ["+", "-", "*", "%", "<", "===", "|", "&", "**", ">=", "!=="];
const COMPOUND = ["+=", "-=", "*=", "??=", "||=", "&&="];

function exprAt(depth: number, cache: Map<number, fc.Arbitrary<Code>>): fc.Arbitrary<Code> {
  const hit = cache.get(depth);
  if (hit !== undefined) return hit;
  if (depth === 0) {
    const a = choice(basic, { weight: 3, arbitrary: leaf }, { weight: 2, arbitrary: atom(leaf) });
    cache.set(0, a);
    return a;
  }
  const e = exprAt(depth - 1, cache);
  const two = fc.tuple(e, e);
  const three = fc.tuple(e, e, e);
  const num = (i: number): Code => (r) => at(r.scope.nums, i);
  const arb: fc.Arbitrary<Code> = choice(
    basic,
    { weight: 6, arbitrary: leaf },
    { weight: 6, arbitrary: atom(e) },
    { weight: 4, arbitrary: fc.tuple(fc.constantFrom(...BINARY), e, e).map(([op, x, y]): Code => (r) => `(${x(r)} ${op} ${y(r)})`) },
    { weight: 2, arbitrary: fc.tuple(fc.constantFrom("&&", "||", "??"), e, e).map(([op, x, y]): Code => tagged("logical", (r) => `(${x(r)} ${op} ${y(r)})`)) },
    { weight: 2, arbitrary: three.map(([c, x, y]): Code => tagged("conditional", (r) => `(${c(r)} ? ${x(r)} : ${y(r)})`)) },
    { weight: 2, arbitrary: fc.tuple(idx, e).map(([v, x]): Code => tagged("assign", (r) => `(${num(v)(r)} = ${x(r)})`)) },
    {
      weight: 2,
      arbitrary: fc.tuple(idx, fc.constantFrom(...COMPOUND), e).map(([v, op, x]): Code => tagged("compound-assign", (r) => `(${num(v)(r)} ${op} ${x(r)})`)),
    },
    {
      weight: 2,
      arbitrary: fc.tuple(fc.nat(5), idx, e, e).map(([k, v, x, y]): Code => {
        switch (k) {
          case 0:
            return tagged("member-assign", (r) => `(o.k = ${x(r)})`);
          case 1:
            return tagged("member-logical-assign", (r) => `(o.j ??= ${x(r)})`);
          case 2:
            return tagged("computed-member-assign", (r) => `(o[${x(r)}] = ${y(r)})`);
          case 3:
            return tagged("computed-member-compound", (r) => `(arr[(${x(r)}) & 3] += ${y(r)})`);
          case 4:
            return tagged("member-logical-or-assign", (r) => `(o.k ||= ${x(r)})`);
          default:
            return tagged("assign", (r) => `(${num(v)(r)} = ${x(r)})`);
        }
      }),
    },
    {
      weight: 2,
      arbitrary: fc.tuple(fc.nat(5), idx, e).map(([k, v, x]): Code => {
        switch (k) {
          case 0:
            return tagged("update", (r) => `${num(v)(r)}++`);
          case 1:
            return tagged("update", (r) => `--${num(v)(r)}`);
          case 2:
            return tagged("update-member", () => `o.k++`);
          case 3:
            return tagged("update-computed", (r) => `arr[(${x(r)}) & 3]++`);
          case 4:
            return tagged("update-computed", (r) => `--o[${x(r)}]`);
          default:
            return tagged("update", (r) => `${num(v)(r)}--`);
        }
      }),
    },
    {
      weight: 2,
      arbitrary: fc.tuple(fc.nat(5), e).map(([k, x]): Code => {
        const ops = ["-", "!", "typeof ", "void ", "+", "~"];
        return tagged(k === 2 ? "typeof" : k === 3 ? "void" : "unary", (r) => `(${ops[k]} ${x(r)})`); // `- --a`, not `---a`
      }),
    },
    { weight: 1, arbitrary: e.map((x): Code => tagged("delete", (r) => `(delete o[${x(r)}])`)) },
    { weight: 1, arbitrary: two.map(([x, y]): Code => tagged("comma", (r) => `(${x(r)}, ${y(r)})`)) },
    { weight: 1, arbitrary: two.map(([x, y]): Code => tagged("template", (r) => `\`\${${x(r)}}|\${${y(r)}}\``)) },
    // Order probes and calls with computed callees and receivers.
    { weight: 3, arbitrary: fc.tuple(fc.nat(9), e).map(([t, x]): Code => tagged("tap", (r) => `tap("t${t}", ${x(r)})`)) },
    { weight: 2, arbitrary: fc.tuple(fc.nat(9), e, e).map(([t, x, y]): Code => tagged("computed-callee", (r) => `callee("f${t}", ${x(r)})(${y(r)})`)) },
    { weight: 2, arbitrary: fc.tuple(fc.nat(9), e).map(([t, x]): Code => tagged("computed-receiver", (r) => `recv("r${t}").m(${x(r)})`)) },
    { weight: 1, arbitrary: two.map(([x, y]): Code => tagged("computed-member-callee", (r) => `fns[(${x(r)}) & 1](${y(r)})`)) },
    { weight: 1, arbitrary: two.map(([x, y]): Code => tagged("map-get-callee", (r) => `fnMap.get((${x(r)}) & 1)(${y(r)})`)) },
    { weight: 1, arbitrary: two.map(([x, y]): Code => tagged("builtin-call", (r) => `Math.max(${x(r)}, ${y(r)})`)) },
    { weight: 1, arbitrary: e.map((x): Code => tagged("builtin-call", (r) => `String(${x(r)})`)) },
    { weight: 1, arbitrary: e.map((x): Code => tagged("array-method", (r) => `arr.indexOf(${x(r)})`)) },
    {
      weight: 2,
      arbitrary: fc.tuple(fc.nat(5), e, e).map(([k, x, y]): Code => {
        const m = [
          (r: Render) => `ctx.state.set("k", ${x(r)} * ${y(r)})`,
          (r: Render) => `ctx.log.info(String(${x(r)}))`,
          (r: Render) => `ctx.perKey("n", 0).set(${x(r)})`,
          (r: Render) => `ctx.emit(${x(r)})`,
          (r: Render) => `ctx.perTask("t", 1).set(${y(r)})`,
          (r: Render) => `ctx.log.warn(\`w \${${x(r)}}\`)`,
        ][k]!;
        return (r) => (r.scope.ctx ? (r.tag("ctx-method"), m(r)) : `tap("c${k}", ${x(r)})`);
      }),
    },
    { weight: 1, arbitrary: e.map((x): Code => tagged("new-class", (r) => `new Box(${x(r)}).v`)) },
    { weight: 1, arbitrary: e.map((x): Code => tagged("new-registered", (r) => `new Money(${x(r)}).v`)) },
    // Optional chaining.
    { weight: 1, arbitrary: fc.tuple(fc.nat(9), e).map(([t, x]): Code => tagged("optional-call", (r) => `recv("r${t}")?.m(${x(r)})`)) },
    { weight: 1, arbitrary: two.map(([x, y]): Code => tagged("optional-call", (r) => `fns[(${x(r)}) & 3]?.(${y(r)})`)) },
    { weight: 1, arbitrary: e.map((x): Code => tagged("optional-element", (r) => `o?.[${x(r)}]`)) },
    // Literals, spreads, computed keys.
    { weight: 2, arbitrary: two.map(([x, y]): Code => tagged("array-literal", (r) => `[${x(r)}, ...arr, ${y(r)}][2]`)) },
    {
      weight: 2,
      arbitrary: fc.tuple(fc.nat(9), e, e).map(([t, x, y]): Code => tagged("computed-key", (r) => `({ [tap("key${t}", ${x(r)})]: ${y(r)}, ...o }).k`)),
    },
    { weight: 1, arbitrary: two.map(([x, y]): Code => tagged("object-spread", (r) => `describe({ ...o, k: ${x(r)}, z: ${y(r)} })`)) },
    { weight: 1, arbitrary: two.map(([x, y]): Code => tagged("member-of-literal", (r) => `[${x(r)}, ${y(r)}][(${x(r)}) & 1]`)) },
    { weight: 1, arbitrary: two.map(([x, y]): Code => tagged("spread-call", (r) => `Math.min(...[${x(r)}], ${y(r)})`)) },
    // Destructuring assignment as an expression.
    {
      weight: 1,
      arbitrary: fc.tuple(idx, idx, e, e).map(([v, w, x, y]): Code => tagged("destructuring-assign", (r) => `([${num(v)(r)}, ${num(w + 1)(r)}] = [${x(r)}, ${y(r)}])[0]`)),
    },
    {
      weight: 1,
      arbitrary: fc.tuple(idx, idx, e, e).map(
        ([v, w, x, y]): Code =>
          tagged("destructuring-assign-default", (r) => `(({ k: ${num(v)(r)}, j: ${num(w + 1)(r)} = ${x(r)} } = { k: ${y(r)}, j: undefined }), 0)`),
      ),
    },
    { weight: 1, arbitrary: e.map((x): Code => tagged("local-data-read", (r) => (r.scope.data ? `describe(d)` : x(r)))) },
    { weight: 1, arbitrary: e.map((x): Code => tagged("non-data-read", (r) => (r.scope.nonData ? `describe(nd)` : x(r)))) },
  );
  cache.set(depth, arb);
  return arb;
}

const exprCache = new Map<number, fc.Arbitrary<Code>>();
/** An expression of nesting depth at most `depth`, awaits in any operand position. */
export const expr = (depth: number): fc.Arbitrary<Code> => exprAt(depth, exprCache);

// ---------------------------------------------------------------------------------------------
// Data and non-data values

const DATA_VALUES: readonly [string, string][] = [
  ["map", `new Map<any, any>([[1, "one"], ["k", [2]]])`],
  ["set", `new Set<any>([1, "s", 2n])`],
  ["date", `new Date(86400000)`],
  ["bigint", `12345678901234567890n`],
  ["typed-array", `new Uint8Array([1, 2, 255])`],
  ["float-array", `new Float64Array([-0, NaN, 1.5])`],
  ["undefined", `undefined`],
  ["minus-zero", `-0`],
  ["nan", `NaN`],
  ["null-proto", `Object.assign(Object.create(null), { k: 1, j: [2] })`],
  ["null-proto-literal", `{ __proto__: null, k: 1 } as any`],
  ["sparse-array", `[1, , 3] as any[]`],
  ["array-extra-props", `Object.assign([1, 2], { extra: "x" })`],
  ["regexp", `/a+b/gi`],
  ["nested-data", `{ list: [1, { m: new Map([[1, new Set([2])]]) }], when: new Date(0), big: 3n }`],
  ["error", `new Error("u:data")`],
  ["error-subclass", `new MyErr("u:sub")`],
  ["nested-error-subclass", `{ errs: [new MyErr("u:in")] }`],
  ["registered-instance", `new Money(5)`],
  ["nested-registered", `{ m: [new Money(1)] }`],
  ["shared-reference", `(() => { const s = { v: 1 }; return { a: s, b: s }; })()`],
];

const NON_DATA_VALUES: readonly [string, string][] = [
  ["class-instance", `new Box(1)`],
  ["nested-class-instance", `[new Box(2)]`],
  ["object-with-class-instance", `{ box: new Box(3) }`],
  ["object-with-method", `{ k: 1, m() { return 2; } }`],
  ["function", `(u: any) => u`],
  ["generator-object", `(function* () { yield 1; })()`],
  ["symbol", `Symbol("s")`],
  ["weak-map", `new WeakMap()`],
  ["promise", `Promise.resolve(1)`],
  ["array-of-functions", `[() => 1]`],
  ["map-of-class-instance", `new Map([[1, new Box(4)]])`],
  ["subclass-of-map", `new (class M2 extends Map {})()`],
];

const dataValue = fc.constantFrom(...DATA_VALUES);
const nonDataValue = fc.constantFrom(...NON_DATA_VALUES);

// ---------------------------------------------------------------------------------------------
// Statements

function emitStmt(x: Code): Code {
  return (r) => (r.scope.ctx ? `ctx.emit(${x(r)});` : `tap("e", ${x(r)});`);
}

/** Iterables of `for…of`, as code (the loop's body sees the element). */
function iterable(e: fc.Arbitrary<Code>): fc.Arbitrary<Code> {
  return choice(
    fc.tuple(basic, basic).map(([x, y]): Code => (r) => `[${x(r)}, ${y(r)}]`),
    { weight: 4, arbitrary: fc.tuple(e, e).map(([x, y]): Code => (r) => `[${x(r)}, ${y(r)}]`) },
    { weight: 2, arbitrary: fc.constant<Code>(tagged("for-of-live-array", () => "arr")) },
    { weight: 1, arbitrary: fc.constant<Code>(tagged("for-of-string", () => `"ab"`)) },
    { weight: 1, arbitrary: e.map((x): Code => tagged("for-of-set", (r) => `new Set([${x(r)}, 1])`)) },
    { weight: 1, arbitrary: e.map((x): Code => tagged("for-of-map", (r) => `new Map([[${x(r)}, 1]])`)) },
    { weight: 1, arbitrary: fc.constant<Code>(tagged("for-of-sparse", () => `[1, , 3]`)) },
    { weight: 1, arbitrary: fc.constant<Code>(tagged("for-of-generator", () => `(function* () { tap("g", 1); yield 1; tap("g", 2); yield 2; })()`)) },
    { weight: 1, arbitrary: idx.map((i): Code => tagged("for-of-non-iterable", (r) => `(${at(r.scope.nums, i)} as any)`)) },
    { weight: 1, arbitrary: e.map((x): Code => tagged("for-of-awaited", (r) => `(await Promise.all([p.request(${x(r)}), p.request(2)]))`)) },
  );
}

function stmtsAt(depth: number): fc.Arbitrary<Code[]> {
  return fc.array(stmtAt(depth), { minLength: 1, maxLength: depth >= 2 ? 4 : 3 });
}

const stmtCache = new Map<number, fc.Arbitrary<Code>>();

/** A statement of nesting depth at most `depth`. */
export function stmtAt(depth: number): fc.Arbitrary<Code> {
  const hit = stmtCache.get(depth);
  if (hit !== undefined) return hit;
  const e = expr(Math.min(2, depth + 1));
  const num = (i: number): Code => (r) => at(r.scope.nums, i);
  const leaves: fc.WeightedArbitrary<Code>[] = [
    { weight: 5, arbitrary: fc.tuple(idx, e).map(([v, x]): Code => (r) => `${num(v)(r)} = ${x(r)};`) },
    { weight: 2, arbitrary: fc.tuple(idx, fc.constantFrom(...COMPOUND), e).map(([v, op, x]): Code => tagged("compound-assign", (r) => `${num(v)(r)} ${op} ${x(r)};`)) },
    { weight: 4, arbitrary: e.map(emitStmt) },
    { weight: 2, arbitrary: e.map((x): Code => (r) => `${x(r)};`) },
    {
      weight: 2,
      arbitrary: fc.tuple(fc.nat(5), e, e).map(([k, x, y]): Code => {
        const forms = [
          (r: Render) => `ctx.state.set("k", ${x(r)});`,
          (r: Render) => `ctx.log.info(String(${x(r)}));`,
          (r: Render) => `ctx.perKey("n", 0).set(${x(r)});`,
          (r: Render) => `ctx.state.set(String(${x(r)}), ${y(r)});`,
          (r: Render) => `ctx.log.error(\`e \${${x(r)}} \${${y(r)}}\`);`,
          (r: Render) => `ctx.state.del("k");`,
        ];
        return (r) => (r.scope.ctx ? (r.tag("ctx-method"), forms[k]!(r)) : `tap("s${k}", ${x(r)});`);
      }),
    },
    { weight: 1, arbitrary: fc.tuple(e, e).map(([c, x]): Code => tagged("return", (r) => `if (${c(r)}) return ${x(r)};`)) },
    {
      weight: 1,
      arbitrary: fc.tuple(fc.nat(3), e, e).map(([k, c, x]): Code => {
        const thrown = [`new Error("u:" + (X))`, `new MyErr("u:" + (X))`, `(X)`, `new Error("u:c", { cause: X })`][k]!;
        return tagged(k === 1 ? "throw-error-subclass" : "throw", (r) => `if (${c(r)}) throw ${thrown.replace("X", x(r))};`);
      }),
    },
    {
      weight: 4,
      arbitrary: fc.tuple(fc.nat(5), idx, e).map(([k, l, c]): Code => (r) => {
        const s = r.scope;
        const labels = s.labels.filter((x) => k % 2 === 0 || x.loop);
        if (k >= 4 && labels.length > 0) {
          const label = at(labels, l);
          r.tag("labelled-jump");
          return `if (${c(r)}) ${label.loop && k % 2 === 1 ? "continue" : "break"} ${label.name};`;
        }
        if (k % 2 === 1 && s.loop) return (r.tag("continue"), `if (${c(r)}) continue;`);
        if (s.breakable) return (r.tag("break"), `if (${c(r)}) break;`);
        return `${c(r)};`;
      }),
    },
    {
      weight: 1,
      arbitrary: fc.tuple(fc.nat(3), e, e).map(([k, x, y]): Code => (r) => {
        const v = r.fresh("v");
        const w = r.fresh("w");
        const forms = [
          () => (r.tag("destructuring-declaration"), `const { n: ${v} = ${x(r)}, list: [, ${w}] } = await q.request(${y(r)});`),
          () => (r.tag("destructuring-declaration"), `const [${v}, , ${w} = ${x(r)}] = [${y(r)}, 0] as any[];`),
          () => (r.tag("destructuring-computed-key"), `const { [${x(r)}]: ${v}, ...${w} } = o;`),
          () => (r.tag("destructuring-declaration"), `let { k: ${v}, j: ${w} = ${x(r)} } = { k: ${y(r)}, j: undefined as any };`),
        ];
        if (r.scope.noAwait && k === 0) return `const ${v} = ${x(r)}, ${w} = ${y(r)};`;
        const out = forms[k]!();
        r.declare(v, w);
        return out;
      }),
    },
    {
      weight: 1,
      arbitrary: e.map((x): Code => (r) => {
        const v = r.fresh("v");
        const out = `var ${v}: any = ${x(r)};`;
        r.tag("var");
        r.declare(v);
        return out;
      }),
    },
    {
      weight: 1,
      arbitrary: fc.tuple(idx, idx, e, e).map(([v, w, x, y]): Code => tagged("destructuring-assign", (r) => `[${num(v)(r)}, ${num(w + 1)(r)}] = [${x(r)}, ${y(r)}];`)),
    },
    { weight: 1, arbitrary: fc.tuple(dataValue, fc.boolean()).map(([[t, v], probe]): Code => (r) => (r.scope.data ? (r.tag(`data-${t}`), probe ? `d = ${v};` : `tap("d", d);`) : ";")) },
    { weight: 1, arbitrary: fc.tuple(nonDataValue, fc.boolean()).map(([[t, v], probe]): Code => (r) => (r.scope.nonData ? (r.tag(`non-data-${t}`), probe ? `nd = ${v};` : `tap("nd", nd);`) : ";")) },
    { weight: 1, arbitrary: e.map((x): Code => (r) => (r.scope.replier ? (r.tag("reply"), `ctx.reply(${x(r)});`) : `tap("r", ${x(r)});`)) },
  ];
  const plainStatement = fc.tuple(idx, basic).map(([v, x]): Code => (r) => `${num(v)(r)} = ${x(r)};`);
  if (depth <= 0) {
    const a = choice(plainStatement, ...leaves);
    stmtCache.set(depth, a);
    return a;
  }
  const body = stmtsAt(depth - 1);
  const K = fc.integer({ min: 0, max: 3 });
  const labelled = fc.boolean();
  const loopBody = (r: Render, b: Code[], label: string | undefined, extra: Partial<Scope> = {}): string =>
    r.in({ loop: true, breakable: true, labels: label ? [...r.scope.labels, { name: label, loop: true }] : r.scope.labels, ...extra }, () => r.block(b));
  const lab = (r: Render, on: boolean): string | undefined => (on ? (r.tag("labelled-loop"), r.fresh("L")) : undefined);
  const compound: fc.WeightedArbitrary<Code>[] = [
    {
      weight: 3,
      arbitrary: fc.tuple(e, body, fc.option(body, { nil: undefined })).map(
        ([c, s, t]): Code =>
          (r) => `if (${c(r)}) {\n${r.block(s)}\n}${t === undefined ? "" : ` else {\n${r.block(t)}\n}`}`,
      ),
    },
    {
      weight: 2,
      arbitrary: fc.tuple(K, body, labelled, fc.boolean()).map(([k, b, l, useVar]): Code => (r) => {
        const i = r.fresh("i");
        const label = lab(r, l);
        if (useVar) r.tag("var-loop");
        const head = `for (${useVar ? "var" : "let"} ${i} = 0; ${i} < ${k}; ${i}++)`;
        return `${label ? `${label}: ` : ""}${head} {\n${loopBody(r, b, label, { reads: [...r.scope.reads, i] })}\n}`;
      }),
    },
    {
      weight: 1,
      arbitrary: fc.tuple(K, body, labelled, fc.boolean()).map(([k, b, l, isDo]): Code => (r) => {
        const w = r.fresh("w");
        const label = lab(r, l);
        const inner = loopBody(r, b, label);
        r.tag(isDo ? "do-while" : "while");
        return isDo
          ? `let ${w} = 0;\n${label ? `${label}: ` : ""}do {\n${inner}\n} while (${w}++ < ${k});`
          : `let ${w} = 0;\n${label ? `${label}: ` : ""}while (${w}++ < ${k}) {\n${inner}\n}`;
      }),
    },
    {
      weight: 2,
      arbitrary: fc.tuple(iterable(e), body, labelled).map(([it, b, l]): Code => (r) => {
        const v = r.fresh("x");
        const label = lab(r, l);
        r.tag("for-of");
        const src = it(r);
        return `${label ? `${label}: ` : ""}for (const ${v} of ${src} as any) {\n${loopBody(r, b, label, { reads: [...r.scope.reads, v] })}\n}`;
      }),
    },
    {
      weight: 1,
      arbitrary: fc.tuple(fc.boolean(), e, body, labelled).map(([own, x, b, l]): Code => (r) => {
        const k = r.fresh("k");
        const label = lab(r, l);
        r.tag("for-in");
        const src = own ? "o" : `{ a: ${x(r)}, b: 2 }`;
        return `${label ? `${label}: ` : ""}for (const ${k} in ${src}) {\n${loopBody(r, b, label, { reads: [...r.scope.reads, k] })}\n}`;
      }),
    },
    {
      weight: 2,
      arbitrary: fc
        .tuple(e, fc.array(fc.tuple(e, body, fc.boolean()), { minLength: 1, maxLength: 3 }), fc.option(fc.tuple(body, fc.boolean()), { nil: undefined }), idx)
        .map(([d, cases, dflt, where]): Code => (r) => {
          r.tag("switch");
          // TypeScript reads `case (x): y` as an arrow function `(x): y =>`: no test in parentheses.
          const test = (rr: Render, t: Code) => {
            const text = t(rr);
            return text.startsWith("(") ? `[${text}][0]` : text;
          };
          const parts = cases.map(([t, s, brk]) => (rr: Render) => `case ${test(rr, t)}:\n${rr.block(s)}${brk ? "\nbreak;" : (rr.tag("fall-through"), "")}`);
          if (dflt !== undefined) {
            const pos = where % (parts.length + 1);
            if (pos === 0) r.tag("default-first");
            else if (pos < parts.length) r.tag("default-middle");
            parts.splice(pos, 0, (rr) => `default:\n${rr.block(dflt[0])}${dflt[1] ? "\nbreak;" : (rr.tag("fall-through"), "")}`);
          }
          const disc = d(r);
          return `switch (${disc}) {\n${r.in({ breakable: true }, () => parts.map((p) => p(r)).join("\n"))}\n}`;
        }),
    },
    {
      weight: 3,
      arbitrary: fc.tuple(body, fc.option(body, { nil: undefined }), fc.option(body, { nil: undefined }), fc.boolean()).map(([s, c, f, bind]): Code => (r) => {
        const tryPart = r.block(s);
        const hasCatch = c !== undefined || f === undefined;
        let out = `try {\n${tryPart}\n}`;
        if (hasCatch) {
          r.tag("catch");
          const err = r.fresh("err");
          const probe = r.scope.ctx ? `ctx.emit(describe(${err}));` : `tap("caught", ${err});`;
          out += bind || c === undefined
            ? ` catch (${err}) {\n${probe}\n${c === undefined ? "" : r.block(c)}\n}`
            : ` catch {\n${r.block(c)}\n}`;
        }
        if (f !== undefined) {
          r.tag("finally");
          out += ` finally {\n${r.block(f)}\n}`;
        }
        return out;
      }),
    },
    {
      weight: 1,
      arbitrary: body.map((b): Code => (r) => {
        const label = r.fresh("B");
        r.tag("labelled-block");
        return `${label}: {\n${r.in({ labels: [...r.scope.labels, { name: label, loop: false }] }, () => r.block(b))}\n}`;
      }),
    },
    { weight: 1, arbitrary: body.map((b): Code => (r) => `{\n${r.block(b)}\n}`) },
    // Request handles: a request issued, awaited later.
    {
      weight: 1,
      arbitrary: fc.tuple(e, body, idx).map(([x, b, v]): Code => (r) => {
        if (r.scope.noAwait) return r.block(b);
        const h = r.fresh("req");
        r.tag("request-handle");
        return `{\nconst ${h} = p.request(${x(r)});\n${r.block(b)}\n${num(v)(r)} = await ${h};\n}`;
      }),
    },
    // Closures created in a loop, called after the loop's awaits.
    {
      weight: 1,
      arbitrary: fc.tuple(K, body, fc.boolean(), idx).map(([k, b, before, v]): Code => (r) => {
        const fs = r.fresh("fs");
        const i = r.fresh("i");
        r.tag("closures-in-loop");
        const push = `${fs}.push(() => ${i} * 10 + ${num(v)(r)});`;
        const inner = loopBody(r, b, undefined, { reads: [...r.scope.reads, i] });
        return `const ${fs}: any[] = [];\nfor (let ${i} = 0; ${i} < ${k}; ${i}++) {\n${before ? `${push}\n${inner}` : `${inner}\n${push}`}\n}\ntap("fs", ${fs}.map((g: any) => g()));`;
      }),
    },
    {
      weight: 1,
      arbitrary: fc.tuple(K, body, idx).map(([k, b, v]): Code => (r) => {
        const g = r.fresh("g");
        const i = r.fresh("i");
        r.tag("closure-in-loop-called-after-await");
        const inner = loopBody(r, b, undefined, { reads: [...r.scope.reads, i] });
        return `for (let ${i} = 0; ${i} < ${k}; ${i}++) {\nconst ${g} = (u: any) => u + ${i};\n${inner}\n${num(v)(r)} = ${g}(${num(v + 1)(r)});\n}`;
      }),
    },
    {
      weight: 1,
      arbitrary: fc.tuple(body, idx, e).map(([b, v, x]): Code => (r) => {
        const g = r.fresh("g");
        r.tag("closure-called-with-awaited-argument");
        return `{\nconst ${g} = (u: any) => u * 2 + ${num(v)(r)};\n${r.block(b)}\n${num(v)(r)} = ${g}(${x(r)});\n}`;
      }),
    },
    // Local function declarations (block-scoped), and a local read only inside one.
    {
      weight: 1,
      arbitrary: fc.tuple(K, body, idx, fc.boolean()).map(([k, b, v, inLoop]): Code => (r) => {
        const f = r.fresh("lf");
        r.tag(inLoop ? "function-declaration-in-loop" : "function-declaration-in-block");
        if (!inLoop) return `{\nfunction ${f}(u: any) { return u + ${num(v)(r)}; }\n${r.block(b)}\n${num(v)(r)} = ${f}(1);\n}`;
        const i = r.fresh("i");
        const inner = loopBody(r, b, undefined, { reads: [...r.scope.reads, i] });
        return `for (let ${i} = 0; ${i} < ${k}; ${i}++) {\nfunction ${f}(u: any) { return u + ${i}; }\n${inner}\n${num(v)(r)} += ${f}(1);\n}`;
      }),
    },
    {
      weight: 1,
      arbitrary: fc.tuple(e, body).map(([x, b]): Code => (r) => {
        const z = r.fresh("z");
        const f = r.fresh("rz");
        r.tag("local-read-only-in-nested-function");
        return `let ${z}: any = ${x(r)};\nfunction ${f}() { return ${z}; }\n${r.block(b)}\ntap("${f}", ${f}());`;
      }),
    },
    // Context handles kept in locals.
    {
      weight: 1,
      arbitrary: fc.tuple(fc.boolean(), body, e).map(([perKey, b, x]): Code => (r) => {
        if (!r.scope.ctx) return r.block(b);
        const h = r.fresh("hd");
        r.tag("context-handle-local");
        return `{\nconst ${h} = ${perKey ? `ctx.perKey("n", 0)` : "ctx.state"};\n${r.block(b)}\n${perKey ? `${h}.set(${x(r)})` : `${h}.set("k", ${x(r)})`};\n}`;
      }),
    },
    // A value that is not data in a block-scoped local across the body's awaits.
    {
      weight: 1,
      arbitrary: fc.tuple(nonDataValue, body).map(([[t, v], b]): Code => (r) => {
        const n = r.fresh("nd");
        r.tag(`non-data-${t}`);
        return `{\nconst ${n}: any = ${v};\n${r.block(b)}\ntap("${n}", ${n});\n}`;
      }),
    },
    {
      weight: 1,
      arbitrary: fc.tuple(dataValue, body).map(([[t, v], b]): Code => (r) => {
        const n = r.fresh("dd");
        r.tag(`data-${t}`);
        return `{\nconst ${n}: any = ${v};\n${r.block(b)}\ntap("${n}", ${n});\n}`;
      }),
    },
  ];
  const arb = choice(plainStatement, { weight: 6, arbitrary: choice(plainStatement, ...leaves) }, { weight: 6, arbitrary: choice(plainStatement, ...compound) });
  stmtCache.set(depth, arb);
  return arb;
}

/** A statement list of nesting depth at most `depth`. */
export const statements = (depth: number): fc.Arbitrary<Code[]> => stmtsAt(depth);

// ---------------------------------------------------------------------------------------------
// Modules

/** One module-level async helper. */
export interface HelperSpec {
  readonly arrow: boolean;
  readonly ref: boolean;
  readonly body: readonly Code[];
  readonly result: Code;
}

/** The operator of a module. */
export interface OperatorSpec {
  readonly kind: "asker" | "asker-function" | "processor" | "asker-replier";
  readonly clash: number | undefined;
  readonly data: readonly [string, string] | undefined;
  readonly nonData: readonly [string, string] | undefined;
  readonly body: readonly Code[];
  readonly result: Code;
}

/** A generated module, before rendering. */
export interface ModuleSpec {
  readonly features: readonly string[];
  readonly table: readonly (number | null | "fail")[];
  readonly helpers: readonly HelperSpec[];
  readonly operator: OperatorSpec;
  readonly events: readonly number[];
}

/** A rendered program. */
export interface Program {
  /** The module's TypeScript source (a fixture `input.ts` without `expected`). */
  readonly source: string;
  /** The constructs it uses. */
  readonly tags: readonly string[];
}

const replyTable = fc.array(
  fc.oneof({ weight: 8, arbitrary: fc.integer({ min: -5, max: 40 }) }, fc.constant(null), { weight: 2, arbitrary: fc.constant("fail" as const) }, fc.constantFrom(-0, NaN)),
  { minLength: 1, maxLength: 6 },
);

function helperSpec(depth: number): fc.Arbitrary<HelperSpec> {
  return fc.record({ arrow: fc.boolean(), ref: fc.boolean(), body: fc.array(stmtAt(depth), { minLength: 1, maxLength: 4 }), result: expr(1) });
}

/** `arb` one time in `n`, else undefined (which is what shrinking goes to). */
const sometimes = <T>(arb: fc.Arbitrary<T>, n: number): fc.Arbitrary<T | undefined> =>
  fc.oneof({ weight: n - 1, arbitrary: fc.constant(undefined) }, { weight: 1, arbitrary: arb });

/** Operator modules: the arbitrary the fuzzer runs. */
export function moduleSpec(): fc.Arbitrary<ModuleSpec> {
  return fc.constantFrom(2, 1, 3, 2, 3).chain((depth) =>
    fc.record({
      features: fc.subarray([...FEATURES]),
      table: replyTable,
      helpers: fc.array(helperSpec(Math.max(0, depth - 1)), { maxLength: 3 }),
      operator: fc.record({
        kind: fc.constantFrom("asker", "asker", "asker-function", "processor", "asker-replier", "asker-replier"),
        clash: sometimes(fc.nat(CLASHING_NAMES.length - 1), 3),
        data: sometimes(dataValue, 3),
        nonData: sometimes(nonDataValue, 6),
        body: fc.array(stmtAt(depth), { minLength: 2, maxLength: 7 }),
        result: expr(1),
      }),
      events: fc.array(fc.integer({ min: -3, max: 12 }), { minLength: 1, maxLength: 2 }),
    }),
  );
}

const BASE_NUMS = ["a", "b", "c"];

function literal(v: number | null | string): string {
  if (typeof v === "number") return Object.is(v, -0) ? "-0" : Number.isNaN(v) ? "NaN" : String(v);
  return JSON.stringify(v);
}

/** The module-level definitions a body may use, each included only when referenced. */
const PRELUDE: readonly { readonly name: string; readonly code: string }[] = [
  { name: "Box", code: `class Box {\n  constructor(public v: any) {}\n}` },
  {
    name: "Money",
    code: `class Money {\n  constructor(public v: any) {}\n}\nconst moneyClass = dataClass({ name: "fuzz.Money", type: Money, encode: (m: Money) => m.v, decode: (v: any) => new Money(v) });`,
  },
  { name: "MyErr", code: `class MyErr extends Error {\n  code = 7;\n  constructor(m: string) {\n    super(m);\n    this.name = "MyErr";\n  }\n}` },
  { name: "fns", code: `const fns: any[] = [(v: any) => tap("fns0", v), (v: any) => tap("fns1", v)];` },
  { name: "fnMap", code: `const fnMap = new Map<any, any>([[0, (v: any) => tap("map0", v)], [1, (v: any) => tap("map1", v)]]);` },
  { name: "rq", code: `function rq(n: any) {\n  return p.request(n);\n}` },
  { name: "hz", code: `async function hz(n: any) {\n  return Number(n) * 2;\n}` },
  { name: "hr", code: `async function hr(n: any) {\n  return p.request(n);\n}` },
];

const HARNESS_NAMES = ["portal", "tap", "callee", "recv", "describe", "dataClass", "note"];

const uses = (text: string, name: string): boolean =>
  new RegExp(`(?<![\\w$.])${name.replace(/\$/g, "\\$")}(?![\\w$])`).test(text.replaceAll("...", " "));

function locals(text: string, nums: readonly string[], scope: { data?: string; nonData?: string }): string {
  const decl: string[] = [];
  const first = `let ${nums.map((n, i) => `${n}: any = ${i === 0 ? "FIRST" : i + 0}`).join(", ")};`;
  decl.push(first);
  if (scope.data !== undefined) decl.push(`let d: any = ${scope.data};`);
  if (scope.nonData !== undefined) decl.push(`let nd: any = ${scope.nonData};`);
  if (uses(text, "o")) decl.push(`const o: any = { k: 1, j: null };`);
  if (uses(text, "arr")) decl.push(`const arr: any[] = [1, 2, 3];`);
  return decl.join("\n");
}

/** Renders a module. */
export function renderModule(spec: ModuleSpec): Program {
  const helpers = spec.helpers.map((h) => ({ ref: h.ref }));
  const op = spec.operator;
  const clash = op.clash === undefined ? undefined : CLASHING_NAMES[op.clash];
  const r = new Render(helpers, {
    role: "helper",
    helper: 0,
    ctx: false,
    replier: false,
    param: "n",
    ref: undefined,
    nums: BASE_NUMS,
    reads: [],
    noAwait: false,
    loop: false,
    breakable: false,
    labels: [],
    data: false,
    nonData: false,
  }, new Set(spec.features));
  const helperTexts = spec.helpers.map((h, i) => {
    const text = r.in({ role: "helper", helper: i, ref: h.ref ? "r" : undefined }, () => {
      const body = r.block(h.body);
      const result = h.result(r);
      return `${body}\nreturn ${result};`;
    });
    const params = `n: any${h.ref ? ", r: any = p" : ""}, d: any = 1`;
    const full = `${locals(text, BASE_NUMS, {}).replace("FIRST", "Number(n) || 0")}\n${text}`;
    r.tags.add(h.arrow ? "helper-arrow" : "helper-function");
    if (h.ref) r.tags.add("helper-with-ref-parameter");
    return h.arrow ? `const h${i} = async (${params}) => {\n${full}\n};` : `async function h${i}(${params}) {\n${full}\n}`;
  });
  const nums = clash === undefined ? BASE_NUMS : [...BASE_NUMS, clash];
  if (clash !== undefined) r.tags.add(`clashing-name-${clash}`);
  if (op.data) r.tags.add(`data-${op.data[0]}`);
  if (op.nonData) r.tags.add(`non-data-${op.nonData[0]}`);
  const replier = op.kind === "asker-replier";
  const opText = r.in({ role: "op", helper: -1, ctx: true, replier, param: "x", nums, data: op.data !== undefined, nonData: op.nonData !== undefined }, () => {
    const body = r.block(op.body);
    const result = op.result(r);
    const end = replier ? `ctx.reply(describe([${nums.join(", ")}, ${result}]));` : `return describe([${nums.join(", ")}, ${result}]);`;
    return `${body}\n${end}`;
  });
  const opFull = `${locals(opText, nums, { data: op.data?.[1], nonData: op.nonData?.[1] }).replace("FIRST", "Number(x) || 0")}\n${opText}`;
  r.tags.add(`operator-${op.kind}`);
  const fn = op.kind === "asker-function" ? `async function (x: any, ctx: any) {\n${opFull}\n}` : `async (x: any, ctx: any) => {\n${opFull}\n}`;
  const task =
    op.kind === "asker-replier"
      ? `Tasks.askerReplier([p, q], srv, (e: any, ctx: any) => {\n  ctx.emit(e);\n}, ${fn})`
      : op.kind === "processor"
        ? `Tasks.processor(${fn})`
        : `Tasks.asker([p, q], ${fn})`;
  return assemble(spec.table, [...helperTexts, `export default ${task};`], spec.events, r.tags, replier);
}

function assemble(table: readonly (number | null | string)[], parts: readonly string[], events: readonly number[], tags: ReadonlySet<string>, srv: boolean): Program {
  let rest = parts.join("\n\n");
  const prelude: string[] = [];
  // Prelude items may use each other (rq uses p): include to a fixed point, in their order.
  const included = new Set<string>();
  for (let changed = true; changed; ) {
    changed = false;
    for (const item of PRELUDE) {
      if (!included.has(item.name) && uses(rest + prelude.join("\n"), item.name)) {
        included.add(item.name);
        changed = true;
      }
    }
    prelude.length = 0;
    for (const item of PRELUDE) if (included.has(item.name)) prelude.push(item.code);
  }
  rest = `${prelude.join("\n")}${prelude.length ? "\n\n" : ""}${rest}`;
  const portals = [
    `const table: any[] = [${table.map(literal).join(", ")}];`,
    `const p = portal("p", (n: any): any => {\n  const r = table[(((Number(n) | 0) % ${table.length}) + ${table.length}) % ${table.length}];\n  if (r === "fail") throw new Error("no " + n);\n  return r;\n});`,
    `const q = portal("q", (n: any): any => {\n  if (Number(n) > 30) throw new Error("big " + n);\n  return { n: Number(n) | 0, list: [1, n] };\n});`,
    ...(srv ? [`const srv = portal("srv", (n: any): any => n);`] : []),
  ].join("\n");
  const body = `${portals}\n\n${rest}\n\nexport const events = ${JSON.stringify(events)};\n`;
  const harness = HARNESS_NAMES.filter((n) => n === "portal" || uses(body, n));
  const source = `import { Tasks } from "portals-ts";\nimport { ${harness.join(", ")} } from "../../harness.js";\n\n${body}`;
  return { source, tags: [...tags].sort() };
}

/** Operator modules, rendered. */
export const programs = (): fc.Arbitrary<Program> => moduleSpec().map(renderModule);

// ---------------------------------------------------------------------------------------------
// Modules the compiler must leave alone

/**
 * Modules whose operators are not async, with async functions that are not operators or
 * helpers (methods, nested functions, async generators): the compiled output must be exactly
 * what TypeScript emits.
 */
export function plainPrograms(): fc.Arbitrary<Program> {
  return fc
    .record({
      kind: fc.constantFrom("processor", "map", "replier", "filter"),
      body: statements(2),
      result: expr(1),
      extras: fc.subarray(["method", "nested", "generator", "object-method", "inner-async"] as const),
      table: replyTable,
      events: fc.array(fc.integer({ min: -3, max: 12 }), { minLength: 1, maxLength: 2 }),
    })
    .map((s) => {
      const r = new Render([], {
        role: "plain",
        helper: -1,
        ctx: s.kind !== "map" && s.kind !== "filter",
        replier: s.kind === "replier",
        param: "x",
        ref: undefined,
        nums: BASE_NUMS,
        reads: [],
        noAwait: true,
        loop: false,
        breakable: false,
        labels: [],
        data: false,
        nonData: false,
      });
      const body = `${r.block(s.body)}\nreturn describe([a, b, c, ${s.result(r)}]);`;
      const inner = s.extras.includes("inner-async") ? `const later = async (v: any) => await p.request(v);\n` : "";
      const fn = `(x: any, ctx: any) => {\n${locals(body, BASE_NUMS, {}).replace("FIRST", "Number(x) || 0")}\n${inner}${body}\n}`;
      const task =
        s.kind === "replier"
          ? `Tasks.replier(srv, (e: any, ctx: any) => {\n  ctx.emit(e);\n}, (x: any, ctx: any) => {\n  ctx.reply(1);\n})`
          : s.kind === "map"
            ? `Tasks.map(${fn})`
            : s.kind === "filter"
              ? `Tasks.filter((x: any) => x > 2)`
              : `Tasks.processor(${fn})`;
      const extras = {
        method: `class K {\n  async m(v: any) {\n    return await p.request(v);\n  }\n}`,
        nested: `function make() {\n  return async (v: any) => (await p.request(v)) + 1;\n}`,
        generator: `async function* gen(v: any) {\n  yield await p.request(v);\n}`,
        "object-method": `const obj = {\n  async m(v: any) {\n    return await p.request(v);\n  },\n};`,
        "inner-async": "",
      };
      const parts = [...s.extras.map((e) => extras[e]).filter((x) => x !== ""), `export default ${task};`];
      return assemble(s.table, parts, s.events, r.tags, s.kind === "replier" || true);
    });
}
