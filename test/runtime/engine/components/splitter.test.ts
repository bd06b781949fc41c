/**
 * Splitters (runtime/engine/components/splitter.ts): each event goes to the first split whose
 * predicate holds, unmatched events are dropped, a split that gets no event gets no atom, the
 * seal reaches every split (docs/semantics.md, rule 6), and a predicate that throws fails the
 * atom instead of the step.
 */
import { describe, expect, test } from "vitest";
import type { LogMeta } from "portals-ts";
import { OperatorError } from "../../../../runtime/core/errors.js";
import { atom, sealAtom, type Atom } from "../../../../runtime/engine/atom.js";
import { SplitterComponent } from "../../../../runtime/engine/components/splitter.js";
import { Rank } from "../../../../runtime/engine/scheduler.js";
import { AtomicStream, type Cursor } from "../../../../runtime/engine/stream.js";

const keyed = (pairs: [string, number][]): Atom => atom(pairs.map(([k]) => k), pairs.map(([, v]) => v), undefined, false, false);

function setup(internal = false) {
  const source = new AtomicStream("/t/in");
  const logs: [string, LogMeta][] = [];
  const splitter = new SplitterComponent("/t/splitters/s", source, internal, (line, meta) => void logs.push([line, meta]), () => {});
  const readers: Cursor[] = [];
  const split = (name: string, predicate: (x: number) => boolean): void => {
    const out = new AtomicStream(`/t/splits/${name}/stream`);
    readers.push(out.subscribe({ wake: () => {} }));
    splitter.addSplit(`/t/splits/${name}`, predicate, out);
  };
  return { source, splitter, split, readers, logs };
}

function drain(cursor: Cursor): Atom[] {
  const out: Atom[] = [];
  while (cursor.hasNext()) out.push(cursor.next());
  return out;
}

describe("SplitterComponent", () => {
  test("the first matching split gets the event with its key; unmatched events are dropped; an empty split gets no atom", () => {
    const { source, splitter, split, readers } = setup();
    split("small", (x) => x < 10);
    split("even", (x) => x % 2 === 0);
    split("never", () => false);
    source.append(keyed([["a", 1], ["b", 12], ["c", 13], ["d", 4]]));
    splitter.step();
    const [small, even, never] = readers.map(drain);
    expect(small!.map((a) => [a.keys, a.values])).toEqual([[["a", "d"], [1, 4]]]);
    expect(even!.map((a) => [a.keys, a.values])).toEqual([[["b"], [12]]]);
    expect(never).toEqual([]);
  });

  test("the seal reaches every split", () => {
    const { source, splitter, split, readers } = setup();
    split("x", () => true);
    split("y", () => false);
    source.append(sealAtom());
    splitter.step();
    expect(readers.map((r) => drain(r).map((a) => a.seal))).toEqual([[true], [true]]);
  });

  test("a predicate that throws fails the atom for the splits that get events, and is reported with the split", () => {
    const { source, splitter, split, readers, logs } = setup();
    split("picky", (x) => {
      if (x === 2) throw new Error("two");
      return x > 0;
    });
    split("rest", () => true);
    source.append(keyed([["k", 1], ["k2", 2], ["k", 3]]));
    splitter.step();
    const [picky, rest] = readers.map(drain);
    expect(picky!.map((a) => a.values)).toEqual([[1, 3]]);
    expect(picky![0]!.error).toBeInstanceOf(OperatorError);
    expect(picky![0]!.error!.message).toBe('workflow /t/splitters/s, task /t/splits/picky, key "k2": two');
    expect(rest).toEqual([]);
    expect(logs).toEqual([
      ['workflow /t/splitters/s, task /t/splits/picky, key "k2": two', { level: "error", workflow: "/t/splitters/s", task: "/t/splits/picky", key: "k2", error: picky![0]!.error }],
    ]);
  });

  test("an error that routes no event still reaches every split, so it never vanishes", () => {
    const { source, splitter, split, readers } = setup();
    split("a", () => {
      throw new Error("no");
    });
    split("b", () => true);
    source.append(keyed([["k", 1]]));
    splitter.step();
    const out = readers.map(drain);
    expect(out.map((atoms) => atoms.map((a) => [a.values, a.error?.message]))).toEqual([
      [[[], 'workflow /t/splitters/s, task /t/splits/a, key "k": no']],
      [[[], 'workflow /t/splitters/s, task /t/splits/a, key "k": no']],
    ]);
  });

  test("a splitter made by portal expansion ranks as portal traffic; a user's only while portal atoms wait", () => {
    expect(setup(true).splitter.rank()).toBe(Rank.portal);
    const user = setup(false);
    expect(user.splitter.rank()).toBe(Rank.splitter);
    user.source.append(atom([0], [1], undefined, false, true));
    expect(user.splitter.rank()).toBe(Rank.portal);
  });
});
