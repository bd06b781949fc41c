/**
 * Atomic streams (runtime/engine/stream.ts): one read position per consumer, late consumers
 * start at the end (docs/semantics.md, rule 7), and atoms are dropped once every consumer has read them.
 */
import { describe, expect, test } from "vitest";
import { atom, sealAtom, type Atom } from "../../../runtime/engine/atom.js";
import { AtomicStream, type Cursor } from "../../../runtime/engine/stream.js";
import { createCodec } from "../../../runtime/state/codec.js";

/** A consumer that counts its wake-ups. */
function consumer(): { wakes: number; wake(): void } {
  return {
    wakes: 0,
    wake() {
      this.wakes++;
    },
  };
}

const events = (...values: number[]): Atom => atom(values.map(() => 0), values, undefined, false, false);
const portal = (...values: number[]): Atom => atom(values.map(() => 0), values, undefined, false, true);

/** Reads everything the cursor has: the values of each atom. */
function drain(cursor: Cursor): unknown[][] {
  const out: unknown[][] = [];
  while (cursor.hasNext()) out.push(cursor.next().values);
  return out;
}

/** The stream's buffer: slots kept, and slots still holding an atom. */
function buffer(stream: AtomicStream): { length: number; held: number } {
  const slots = stream["buffer"];
  return { length: slots.length, held: slots.filter((a) => a !== undefined).length };
}

describe("consumers", () => {
  test("a consumer reads every atom appended after it subscribed, in order, and is woken once per atom", () => {
    const s = new AtomicStream("/t/s");
    const c = consumer();
    const cursor = s.subscribe(c);
    expect(cursor.hasNext()).toBe(false);
    s.append(events(1, 2));
    s.append(events());
    s.append(events(3));
    expect(c.wakes).toBe(3);
    expect(drain(cursor)).toEqual([[1, 2], [], [3]]);
    expect(cursor.position).toBe(3);
    expect(s.end).toBe(3);
  });

  test("a late subscriber starts at the current end and sees only later atoms", () => {
    const s = new AtomicStream("/t/s");
    const early = s.subscribe(consumer());
    s.append(events(1));
    s.append(events(2));
    const lateConsumer = consumer();
    const late = s.subscribe(lateConsumer);
    expect(late.position).toBe(2);
    expect(late.hasNext()).toBe(false);
    s.append(events(3));
    expect(lateConsumer.wakes).toBe(1);
    expect(drain(late)).toEqual([[3]]);
    expect(drain(early)).toEqual([[1], [2], [3]]);
  });

  test("atoms appended while nobody subscribed are gone; a first subscriber starts after them", () => {
    const s = new AtomicStream("/t/s");
    s.append(events(1));
    s.append(events(2));
    expect(buffer(s)).toEqual({ length: 0, held: 0 });
    const cursor = s.subscribe(consumer());
    s.append(events(3));
    expect(drain(cursor)).toEqual([[3]]);
  });

  test("several consumers read at their own pace, each sees every atom once, and they share the atom objects", () => {
    const s = new AtomicStream("/t/s");
    const [a, b, c] = [s.subscribe(consumer()), s.subscribe(consumer()), s.subscribe(consumer())];
    const first = events(1);
    s.append(first);
    s.append(events(2));
    expect(a.next()).toBe(first);
    expect(drain(a)).toEqual([[2]]);
    s.append(events(3));
    expect(drain(b)).toEqual([[1], [2], [3]]);
    expect(drain(a)).toEqual([[3]]);
    expect(c.next()).toBe(first);
    expect(drain(c)).toEqual([[2], [3]]);
  });

  test("each consumer counts the portal atoms it has not read (the scheduler serves those first)", () => {
    const s = new AtomicStream("/t/s");
    const a = s.subscribe(consumer());
    const b = s.subscribe(consumer());
    s.append(portal(1));
    s.append(events(2));
    s.append(portal(3));
    expect([a.portalPending, b.portalPending]).toEqual([2, 2]);
    a.next();
    expect([a.portalPending, b.portalPending]).toEqual([1, 2]);
    drain(a);
    drain(b);
    expect([a.portalPending, b.portalPending]).toEqual([0, 0]);
  });

  test("the seal is an atom like the others", () => {
    const s = new AtomicStream("/t/s");
    const cursor = s.subscribe(consumer());
    s.append(events(1));
    s.append(sealAtom());
    expect(cursor.next().seal).toBe(false);
    expect(cursor.next().seal).toBe(true);
    expect(cursor.hasNext()).toBe(false);
  });
});

describe("buffer release", () => {
  test("an atom is dropped once every consumer has read it, and not before", () => {
    const s = new AtomicStream("/t/s");
    const a = s.subscribe(consumer());
    const b = s.subscribe(consumer());
    s.append(events(1));
    s.append(events(2));
    drain(a);
    expect(buffer(s).held).toBe(2);
    b.next();
    expect(buffer(s).held).toBe(1);
    b.next();
    expect(buffer(s).held).toBe(0);
  });

  test("a late subscriber does not hold back atoms appended before it", () => {
    const s = new AtomicStream("/t/s");
    const early = s.subscribe(consumer());
    s.append(events(1));
    s.subscribe(consumer());
    drain(early);
    expect(buffer(s).held).toBe(0);
  });

  test("no unbounded growth: 100 000 atoms read by every consumer leave a bounded buffer", () => {
    const s = new AtomicStream("/t/s");
    const cursors = [s.subscribe(consumer()), s.subscribe(consumer()), s.subscribe(consumer())];
    let maxLength = 0;
    const read = [0, 0, 0];
    let outOfOrder = 0;
    for (let i = 0; i < 100_000; i++) {
      s.append(events(i));
      // The consumers lag behind by different amounts, then catch up every 500 atoms.
      cursors.forEach((c, n) => {
        if (i % (n + 1) === 0 || i % 500 === 499) {
          while (c.hasNext()) if (c.next().values[0] !== read[n]!++) outOfOrder++;
        }
      });
      maxLength = Math.max(maxLength, s["buffer"].length);
    }
    expect(read).toEqual([100_000, 100_000, 100_000]);
    expect(outOfOrder).toBe(0);
    expect(buffer(s).held).toBe(0);
    expect(maxLength).toBeLessThan(2 * 1024 + 500);
  });

  test("positions stay right across compactions: a consumer that lags 3000 atoms reads them all in order", () => {
    const s = new AtomicStream("/t/s");
    const fast = s.subscribe(consumer());
    const slow = s.subscribe(consumer());
    const got: unknown[] = [];
    for (let round = 0; round < 4; round++) {
      for (let i = 0; i < 3000; i++) {
        s.append(events(round * 3000 + i));
        fast.next();
      }
      for (const values of drain(slow)) got.push(...values);
    }
    expect(got).toEqual(Array.from({ length: 12_000 }, (_, i) => i));
    expect(buffer(s).held).toBe(0);
    expect(buffer(s).length).toBeLessThan(3000);
  });
});

describe("save", () => {
  test("saved atoms built at their final length encode as densely as pushed ones", () => {
    // `new Array(n)` arrays are holey to V8 until filled; the codec writes every full array densely.
    const n = 1024;
    const values = new Array<number>(n);
    const keys = new Array<number>(n);
    for (let i = 0; i < n; i++) (values[i] = i * 1000), (keys[i] = i % 7);
    const s = new AtomicStream("/t/s");
    s.subscribe(consumer());
    s.append(atom(keys, values, undefined, false, false));
    const saved = s.save().atoms[0]!;
    const pushedValues: number[] = [];
    const pushedKeys: number[] = [];
    for (let i = 0; i < n; i++) pushedValues.push(i * 1000), pushedKeys.push(i % 7);
    expect(saved.values).toEqual(pushedValues);
    const codec = createCodec();
    expect(codec.encode(saved.values).length).toBe(codec.encode(pushedValues).length);
    expect(codec.encode(saved.keys).length).toBe(codec.encode(pushedKeys).length);
  });
});
