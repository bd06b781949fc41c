/**
 * Restore fidelity (runtime/state/codec.ts): for everything the data policy calls data, a
 * decoded value is indistinguishable from the original: prototypes (null included), array holes
 * and properties, -0 and NaN, strings with lone surrogates, views and their buffers, errors'
 * class, name, message, stack and cause, shared references and cycles; on the fast path (plain
 * data) and on the careful one (the same value next to an error or a registered instance), at
 * any depth.
 */
import * as fc from "fast-check";
import { describe, expect, test } from "vitest";
import { EncodeError, OperatorError } from "portals-ts";
import { createCodec, vouchDense } from "../../../runtime/state/codec.js";
import { compiledErrorClasses } from "../../../runtime/core/error-classes.js";
import { defineMachine, Step } from "../../../runtime/core/machine.js";
import { unpack } from "msgpackr";
import { difference, sample } from "./fidelity.js";

const codec = createCodec();
const roundTrip = <T>(value: T): T => codec.decode(codec.encode(value)) as T;
/** The same value on the careful path: an error beside it makes the walk copy it. */
const carefully = <T>(value: T): T => (roundTrip([value, new Error("beside")]) as [T, Error])[0];

describe("a decoded value is indistinguishable from the original", () => {
  const nullProto = Object.assign(Object.create(null) as Record<string, unknown>, { x: 1, nested: { y: [2] } });
  const sparse: unknown[] & { label?: string } = [1, , 3, , ];
  sparse.label = "extra";
  const cause = new RangeError("too far", { cause: { meters: -0 } });
  const shared = { n: NaN };
  const cyclic: Record<string, unknown> = { shared, again: shared, zero: -0, big: 10n, nothing: undefined, sparse, nullProto };
  cyclic.self = cyclic;
  const errors = {
    type: new TypeError("not a number", { cause }),
    range: cause,
    syntax: new SyntaxError("bad"),
    aggregate: new AggregateError([new URIError("uri"), "plain"], "several"),
    named: Object.assign(new Error("renamed"), { name: "QuotaError" }),
    withoutCause: new Error("none"),
    selfCaused: (() => {
      const e = new Error("loop");
      e.cause = e;
      return e;
    })(),
  };

  test.each([
    ["a null-prototype object", nullProto],
    ["an array with holes and a property", sparse],
    ["-0, NaN, bigint, undefined, shared references and a cycle", cyclic],
    ["Map and Set keyed by objects, shared with the rest", new Map<unknown, unknown>([[shared, new Set([shared, nullProto])], ["k", sparse]])],
  ])("%s, on the fast path and on the careful one", (_what, value) => {
    expect(difference(value, roundTrip(value))).toBeUndefined();
    expect(difference(value, carefully(value))).toBeUndefined();
  });

  test("errors keep their built-in class, name, message, stack and cause; an AggregateError its errors", () => {
    const back = roundTrip(errors);
    expect(difference(errors, back)).toBeUndefined();
    expect(back.type).toBeInstanceOf(TypeError);
    expect(back.type.cause).toBe(back.range);
    expect(back.aggregate).toBeInstanceOf(AggregateError);
    expect(back.named).toBeInstanceOf(Error);
    expect(back.named.name).toBe("QuotaError");
    expect(back.selfCaused.cause).toBe(back.selfCaused);
  });

  test("an unregistered subclass of a built-in error comes back as that built-in class, with its name", () => {
    class InputError extends TypeError {
      override name = "InputError";
    }
    const back = roundTrip(new InputError("bad input"));
    expect(back).toBeInstanceOf(TypeError);
    expect([back.name, back.message]).toEqual(["InputError", "bad input"]);
  });

  test("an error's own enumerable properties (a code, an own name) come back, enumerable, beside its hidden message and stack", () => {
    const error = Object.assign(new RangeError("out of range"), { code: "E_RANGE", details: { at: [1, 2] } });
    const back = roundTrip({ error }).error as typeof error;
    expect(back).toBeInstanceOf(RangeError);
    expect(Object.keys(back)).toEqual(["code", "details"]);
    expect([back.code, back.details, back.message, back.stack]).toEqual(["E_RANGE", { at: [1, 2] }, "out of range", error.stack]);
    expect(Object.getOwnPropertyDescriptor(back, "message")?.enumerable).toBe(false);
  });

  test("an error class of a compiled module, registered as its machines list it, comes back as itself with its own properties", () => {
    class QuotaError extends Error {
      limit = 3;
    }
    class Unrelated extends Map {}
    const machine = defineMachine({ id: "src/app.ts#default", resume: () => Step.return(), errorClasses: () => [QuotaError, Unrelated] });
    const classes = compiledErrorClasses([machine]);
    expect(classes.map((c) => c.name)).toEqual(["src/app.ts#QuotaError"]);
    const thrown = new QuotaError("over", { cause: new TypeError("why") });
    const back = createCodec(classes).decode(createCodec(classes).encode({ thrown }, "test")) as { thrown: QuotaError };
    expect(back.thrown).toBeInstanceOf(QuotaError);
    expect([back.thrown.limit, back.thrown.message, back.thrown.stack, Object.keys(back.thrown)]).toEqual([3, "over", thrown.stack, ["limit"]]);
    expect(back.thrown.cause).toBeInstanceOf(TypeError);
  });

  test("the framework's errors come back as their class, with the thrown value's stack", () => {
    const thrown = new TypeError("inside");
    const back = roundTrip(new OperatorError("/a/workflows/w", "map#1", "k", thrown, "onComplete"));
    expect(back).toBeInstanceOf(OperatorError);
    expect(back.hook).toBe("onComplete");
    expect(back.cause).toBeInstanceOf(TypeError);
    expect((back.cause as Error).stack).toBe(thrown.stack);
  });

  test("a plain object that holds the codec's own tag key is kept as it is", () => {
    const tricky = { "\u0000portals:type": "ref", i: 0, __proto__: null } as unknown as Record<string, unknown>;
    const looksTagged = { "\u0000portals:type": "class", name: "x" };
    const withProtoKey = JSON.parse('{"__proto__": {"polluted": true}}') as object;
    for (const value of [tricky, looksTagged, withProtoKey, [looksTagged, new Error("e")]]) expect(difference(value, roundTrip(value))).toBeUndefined();
    expect(({} as Record<string, unknown>).polluted).toBeUndefined();
  });

  test("a snapshot-like value with every kind of data, fast-path and careful parts together", () => {
    const value = sample();
    expect(difference(value, roundTrip(value))).toBeUndefined();
  });

  test("-0 stays -0 as a value, a property, an element, a Map value and in a Set; MessagePack alone would write 0", () => {
    const value = { zero: -0, list: [0, -0], map: new Map([["z", -0]]), set: new Set([-0]), floats: new Float64Array([-0]) };
    const back = roundTrip(value);
    expect(difference(value, back)).toBeUndefined();
    expect([Object.is(back.zero, -0), Object.is(back.list[1], -0), Object.is(back.list[0], 0), Object.is(back.map.get("z"), -0)]).toEqual([true, true, true, true]);
    // A Set (and a Map key) holds -0 as 0, as the language does.
    expect(Object.is([...back.set][0], 0)).toBe(true);
    expect(Object.is(roundTrip(-0), -0)).toBe(true);
  });

  test("-0 among the numbers of an atom's array (checked inline, not element by element) stays -0, NaN stays NaN", () => {
    const values = Array.from({ length: 1000 }, (_, i) => i * 0.5);
    values[997] = NaN;
    values[998] = -0;
    vouchDense(values);
    const back = roundTrip({ keys: values.map(() => 0), values });
    expect(difference(values, back.values)).toBeUndefined();
    expect([Object.is(back.values[998], -0), Number.isNaN(back.values[997]), back.values[999]]).toEqual([true, true, 499.5]);
  });

  test("strings with lone surrogates survive as values, object keys, Map keys and error messages (UTF-8 would replace them)", () => {
    const lone = "a\uD800b";
    const long = "x".repeat(20_000) + "\uDC00" + "é".repeat(20_000);
    const value = { lone, long, [lone]: 1, map: new Map([[lone, long]]), error: new Error(lone), pair: "\uD83D\uDE00" };
    const back = roundTrip(value);
    expect(difference(value, back)).toBeUndefined();
    expect(back.long).toBe(long);
    expect(Object.keys(back)).toContain(lone);
  });

  test("views keep their offsets and share their buffer; the decoded buffer owns its bytes", () => {
    const buffer = new ArrayBuffer(32);
    const value = { a: new Uint16Array(buffer, 2, 3), b: new DataView(buffer, 8), c: new BigInt64Array(buffer, 16, 2), buffer };
    value.a[0] = 513;
    value.c[1] = -5n;
    const bytes = codec.encode(value);
    const back = codec.decode(bytes) as typeof value;
    expect(difference(value, back)).toBeUndefined();
    expect(back.a.buffer).toBe(back.buffer);
    expect(back.c.buffer).toBe(back.b.buffer);
    back.b.setUint8(0, 99);
    expect(new Uint8Array(back.buffer)[8]).toBe(99);
    expect(back.buffer.byteLength).toBe(32);
    expect(back.buffer).not.toBe(bytes.buffer);
  });

  test("plain data takes the fast path (the check, then msgpackr alone); what MessagePack would change takes the careful one", () => {
    const tagged = (value: unknown): boolean => (unpack(codec.encode(value)) as { tagged: boolean }).tagged;
    const plainData = { map: new Map([[1, { a: [1, "two", null, undefined, 3n] }]]), set: new Set(["x"]), at: new Date(0), re: /x/, nan: NaN, shared: [] as unknown[] };
    plainData.shared.push(plainData.map, plainData.map);
    expect(tagged(plainData)).toBe(false);
    const sparse = [1, , 2];
    const withProperty = Object.assign([1], { p: 1 });
    for (const value of [-0, [-0], "\uD800", { "\uD800": 1 }, sparse, withProperty, Object.create(null), JSON.parse('{"__proto__": 1}'), new Uint8Array(1), new ArrayBuffer(1), new Error("e")]) {
      expect(tagged({ value })).toBe(true);
    }
  });

  test("random data values, fast and careful (fast-check), with -0, lone surrogates and typed arrays", () => {
    const data = fc.anything({
      withBigInt: true,
      withDate: true,
      withMap: true,
      withSet: true,
      withNullPrototype: true,
      withSparseArray: true,
      withTypedArray: true,
      maxDepth: 4,
      // Any UTF-16 code unit, lone surrogates included, in keys and values.
      stringUnit: fc.integer({ min: 0, max: 0xffff }).map((u) => String.fromCharCode(u)),
      values: [fc.constantFrom(-0, NaN, Infinity, -Infinity, undefined, 2n ** 100n, -(2n ** 64n)), fc.double(), fc.string(), fc.integer()],
    });
    fc.assert(
      fc.property(data, (value) => {
        expect(difference(value, roundTrip(value))).toBeUndefined();
        expect(difference(value, carefully(value))).toBeUndefined();
      }),
      { numRuns: 300 },
    );
  });
});

describe("any depth: the walk and the encoder never recurse into the value", () => {
  const nest = (depth: number, leaf: unknown, wrap: (inner: unknown) => unknown): unknown => {
    let v = leaf;
    for (let i = 0; i < depth; i++) v = wrap(v);
    return v;
  };
  const depthOf = (value: unknown, next: (v: any) => unknown): number => {
    let d = 0;
    for (let v = value; next(v) !== undefined; v = next(v)) d++;
    return d;
  };

  test("objects, arrays, Maps and errors nested 5,000 and 50,000 levels deep round-trip", () => {
    for (const depth of [5_000, 50_000]) {
      expect(depthOf(roundTrip(nest(depth, 1, (v) => ({ v }))), (v) => v.v)).toBe(depth);
      expect(depthOf(roundTrip(nest(depth, 1, (v) => [v])), (v) => (Array.isArray(v) ? v[0] : undefined))).toBe(depth);
      expect(depthOf(roundTrip(nest(depth, 1, (v) => new Map([["v", v]]))), (v) => (v instanceof Map ? v.get("v") : undefined))).toBe(depth);
    }
    const causes = roundTrip(nest(5_000, "root", (v) => new Error("wrapped", { cause: v }))) as Error;
    expect(depthOf(causes, (v) => (v instanceof Error ? v.cause : undefined))).toBe(5_000);
  });

  test("a deep linked list that shares its tail with a shallow reference stays shared", () => {
    const tail = { end: true };
    const list = { head: nest(10_000, tail, (next) => ({ next })), tail };
    const back = roundTrip(list) as { head: { next: unknown }; tail: unknown };
    let node: any = back.head;
    while (node.next !== undefined) node = node.next;
    expect(node).toBe(back.tail);
  });

  test("something that is not data, 5,000 levels down, is reported with its whole path", () => {
    const value = nest(5_000, () => 1, (v) => ({ v }));
    let error: unknown;
    try {
      codec.encode(value, "state");
    } catch (thrown) {
      error = thrown;
    }
    expect(error).toBeInstanceOf(EncodeError);
    expect((error as EncodeError).path).toBe("state" + ".v".repeat(5_000));
    expect((error as EncodeError).found).toBe("a function");
  });

  test("a registered instance inside its own encoded data is refused at encode time", () => {
    class Node {
      next: Node | undefined;
    }
    const c = createCodec([{ name: "test.Node", type: Node, encode: (n: Node) => ({ next: n.next }), decode: () => new Node() }]);
    const loop = new Node();
    loop.next = loop;
    expect(() => c.encode(loop)).toThrow(new EncodeError("value<test.Node>.next", "an instance of test.Node inside its own encoded data: a registered instance cannot be part of a cycle"));
  });
});
