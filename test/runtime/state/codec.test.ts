/**
 * The codec (runtime/state/codec.ts): what survives a round trip, what is rebuilt with its
 * class, and what is rejected with the path to it.
 */
import { describe, expect, test, vi } from "vitest";
import { EncodeError, OperatorError, PortalRequestError } from "portals-ts";
import { Codec, createCodec, Encoded } from "../../../runtime/state/codec.js";
import { atom } from "../../../runtime/engine/atom.js";

/** A system's codec with no application classes: the framework's own registered. */
const codec = createCodec();

const roundTrip = <T>(value: T, c: Codec = codec): T => c.decode(c.encode(value)) as T;

describe("values that survive unchanged", () => {
  test("Map, Set, Date, BigInt, typed arrays, undefined, -0, NaN, RegExp", () => {
    const value = {
      map: new Map<unknown, unknown>([["a", 1], [2, { deep: [undefined] }]]),
      set: new Set([1, "two", 3n]),
      date: new Date(Date.UTC(2026, 10, 30)),
      big: 12345678901234567890n,
      bytes: new Uint8Array([1, 2, 255]),
      floats: new Float64Array([0.5, -1]),
      nothing: undefined,
      negativeZero: -0,
      notANumber: NaN,
      pattern: /a+b/gi,
    };
    const back = roundTrip(value);
    expect(back).toEqual(value);
    expect(Object.is(back.negativeZero, -0)).toBe(true);
    expect(Number.isNaN(back.notANumber)).toBe(true);
    expect("nothing" in back).toBe(true);
    expect(back.bytes).toBeInstanceOf(Uint8Array);
    expect(back.map.get(2)).toEqual({ deep: [undefined] });
  });

  test("shared references and cycles stay shared", () => {
    const shared = { n: 1 };
    const cyclic: Record<string, unknown> = { shared, again: shared };
    cyclic.self = cyclic;
    const back = roundTrip(cyclic);
    expect(back.shared).toBe(back.again);
    expect(back.self).toBe(back);
  });
});

describe("arrays the engine vouches for (an atom's)", () => {
  const numbers = (n: number): number[] => Array.from({ length: n }, (_, i) => i * 1.5);

  test("an atom's arrays are encoded without listing their keys, to the same bytes as any equal arrays", () => {
    const made = atom(new Array(1000).fill(0), numbers(1000), undefined, false, false);
    const copy = { keys: [...made.keys], values: [...made.values], error: undefined, seal: false, portal: false };
    const keys = vi.spyOn(Object, "keys");
    // msgpackr lists the keys of objects: only the arrays' count.
    const arraysListed = (): unknown[] => keys.mock.calls.map(([o]) => o).filter((o) => Array.isArray(o));
    try {
      const bytes = codec.encode(made);
      // The atom's arrays were vouched for when it was made; the copy's are listed.
      expect(arraysListed()).toEqual([]);
      expect(bytes).toEqual(codec.encode(copy));
      expect(arraysListed()).toEqual([copy.keys, copy.values]);
    } finally {
      keys.mockRestore();
    }
    expect(roundTrip(made)).toEqual(copy);
  });

  test("their elements are still checked: one that needs the careful walk is kept, one that is not data is refused", () => {
    const values: unknown[] = numbers(100);
    values[50] = -0;
    values[60] = new Map([["a", 1]]);
    const back = roundTrip(atom(new Array(100).fill(0), values, undefined, false, false));
    expect(Object.is(back.values[50], -0)).toBe(true);
    expect(back.values[60]).toEqual(new Map([["a", 1]]));
    const withFunction: unknown[] = numbers(100);
    withFunction[70] = () => 1;
    expect(() => codec.encode(atom(new Array(100).fill(0), withFunction, undefined, false, false), "atom")).toThrow(/atom\.values\[70\]/);
  });

  test("a large array nobody vouched for keeps its holes and other properties", () => {
    const sparse: unknown[] = numbers(200);
    delete sparse[10];
    (sparse as unknown as { label: string }).label = "kept";
    const back = roundTrip({ sparse }).sparse;
    expect(10 in back).toBe(false);
    expect(back.length).toBe(200);
    expect((back as unknown as { label: string }).label).toBe("kept");
  });
});

describe("classes", () => {
  class Money {
    constructor(
      readonly cents: number,
      readonly currency: string,
    ) {}
    format(): string {
      return `${(this.cents / 100).toFixed(2)} ${this.currency}`;
    }
  }

  test("a registered class comes back with its prototype", () => {
    const c = new Codec().register<Money>({ name: "test.Money", type: Money, encode: (m) => [m.cents, m.currency], decode: ([cents, cur]: [number, string]) => new Money(cents, cur) });
    const back = roundTrip({ price: new Money(1250, "EUR"), list: [new Money(1, "SEK")] }, c);
    expect(back.price).toBeInstanceOf(Money);
    expect(back.price.format()).toBe("12.50 EUR");
    expect(back.list[0]!.format()).toBe("0.01 SEK");
  });

  test("an unregistered class is rejected at encode time with the path to it, never flattened", () => {
    expect(() => codec.encode({ frames: [{ locals: { cart: [new Money(1, "EUR")] } }] }, "invocation")).toThrow(
      new EncodeError("invocation.frames[0].locals.cart[0]", "an instance of class Money"),
    );
    expect(() => codec.encode({ state: new Map([["k", () => 1]]) })).toThrow(new EncodeError('value.state.get("k")', "a function"));
    expect(() => codec.encode({ tag: Symbol("t") })).toThrow(new EncodeError("value.tag", "a symbol"));
  });

  test("a subclass of a data class is not data: it would come back as its base class, so it is rejected (docs/snapshots.md)", () => {
    class Counts extends Map<string, number> {}
    class Cents extends Money {}
    const c = new Codec().register<Money>({ name: "test.Money", type: Money, encode: (m) => [m.cents, m.currency], decode: ([cents, cur]: [number, string]) => new Money(cents, cur) });
    expect(() => codec.encode({ counts: new Counts([["a", 1]]) })).toThrow(new EncodeError("value.counts", "an instance of class Counts"));
    expect(() => codec.encode({ bytes: Buffer.from("hi") })).toThrow(new EncodeError("value.bytes", "an instance of class Buffer"));
    expect(() => c.encode([new Cents(1, "EUR")])).toThrow(new EncodeError("value[0]", "an instance of class Cents"));
    expect(roundTrip({ bytes: new Uint8Array(Buffer.from("hi")) }).bytes).toEqual(new Uint8Array([104, 105]));
  });

  test("a name registered twice for different classes is refused", () => {
    class Other {}
    const c = new Codec().register({ name: "x", type: Money, encode: () => 0, decode: () => new Money(0, "") });
    expect(() => c.register({ name: "x", type: Other, encode: () => 0, decode: () => new Other() })).toThrow("codec: the type name x is already registered for another class");
  });

  test("decoding an unknown registered type names it", () => {
    const c = new Codec().register<Money>({ name: "test.Money", type: Money, encode: (m) => m.cents, decode: (cents: number) => new Money(cents, "EUR") });
    expect(() => new Codec().decode(c.encode(new Money(1, "EUR")))).toThrow("codec: the bytes hold an instance of test.Money, which is not registered in this process");
  });
});

describe("errors", () => {
  test("the framework's errors come back with their class and fields", () => {
    const back = roundTrip([new PortalRequestError("/a/portals/p", "no stock"), new OperatorError("/a/workflows/w", "$1", "k", new Error("boom"))]);
    expect(back[0]).toBeInstanceOf(PortalRequestError);
    expect(back[0]).toMatchObject({ name: "PortalRequestError", portal: "/a/portals/p", reason: "no stock", message: "request to portal /a/portals/p failed: no stock" });
    expect(back[1]).toBeInstanceOf(OperatorError);
    expect((back[1] as OperatorError).cause).toBeInstanceOf(Error);
    expect(back[1]!.message).toBe('workflow /a/workflows/w, task $1, key "k": boom');
  });

  test("another error keeps its name and message", () => {
    class QuotaError extends Error {
      override name = "QuotaError";
    }
    const back = roundTrip(new QuotaError("over quota"));
    expect(back).toBeInstanceOf(Error);
    expect([back.name, back.message]).toEqual(["QuotaError", "over quota"]);
  });
});

describe("values encoded once (an atom an export encoded, written by a snapshot as those bytes)", () => {
  test("encodeOnce makes the bytes once per value and codec; written gives them to a snapshot, which reads back the value", () => {
    const c = createCodec();
    const made = atom([0, 0], ["a", { b: new Set([1]) }], undefined, false, false);
    expect(c.written(made)).toBe(made);
    const bytes = c.encodeOnce(made, "atom 0");
    expect(c.encodeOnce(made)).toBe(bytes);
    expect(bytes).toEqual(c.encode(made));
    // Another codec (the next launch's) has made nothing for it.
    expect(createCodec().written(made)).toBe(made);
    const written = c.written(made);
    expect(written).toBeInstanceOf(Encoded);
    const back = c.decode(c.encode({ atoms: [written, atom([0], [7], undefined, true, false)] })) as { atoms: unknown[] };
    expect(back.atoms[0]).toBeInstanceOf(Encoded);
    expect(back.atoms.map((a) => c.decodeEncoded(a))).toEqual([
      { keys: [0, 0], values: ["a", { b: new Set([1]) }], error: undefined, seal: false, portal: false },
      { keys: [0], values: [7], error: undefined, seal: true, portal: false },
    ]);
  });

  test("the bytes are copied in as they were made (so only values nothing changes may be encoded once), on the careful path too", () => {
    const c = createCodec();
    const made = atom([0], [1], undefined, false, false);
    c.encodeOnce(made);
    made.values[0] = 2;
    // -0 sends the whole value down the careful walk, which keeps the bytes as they are as well.
    const back = c.decode(c.encode({ zero: -0, atom: c.written(made) })) as { zero: number; atom: unknown };
    expect(Object.is(back.zero, -0)).toBe(true);
    expect((c.decodeEncoded(back.atom) as { values: number[] }).values).toEqual([1]);
  });

  test("a value that cannot be encoded is refused with its path, and nothing is kept for it", () => {
    const c = createCodec();
    const bad = atom([0], [() => 1], undefined, false, false);
    expect(() => c.encodeOnce(bad, "atom 3 of stream /a")).toThrow(/atom 3 of stream \/a\.values\[0\]/);
    expect(c.written(bad)).toBe(bad);
  });
});
