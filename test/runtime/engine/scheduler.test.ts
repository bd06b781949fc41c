/**
 * The scheduler (runtime/engine/scheduler.ts): only components that were added are considered;
 * the lowest rank steps first (portal traffic before workflows, sequencers, splitters and
 * generators: docs/semantics.md, rule 8); ties are broken by the seeded random generator, the
 * same way for the same seed.
 */
import { xoroshiro128plus } from "pure-rand/generator/xoroshiro128plus";
import { describe, expect, test } from "vitest";
import { Rank, ReadySet, type Component } from "../../../runtime/engine/scheduler.js";

function component(path: string, rank: number): Component & { rankNow: number } {
  return {
    path,
    rankNow: rank,
    rank() {
      return this.rankNow;
    },
    ready: () => true,
    step: () => {},
    wake: () => {},
  };
}

/** The paths `n` picks choose (nothing is removed in between). */
function picks(set: ReadySet, n: number): string[] {
  return Array.from({ length: n }, () => set.pick()!.path);
}

describe("ReadySet", () => {
  test("an empty set picks nothing", () => {
    expect(new ReadySet(xoroshiro128plus(0)).pick()).toBeUndefined();
  });

  test("the lowest rank is picked while it is in the set, whatever was added first", () => {
    const set = new ReadySet(xoroshiro128plus(1));
    set.add(component("gen", Rank.generator));
    set.add(component("split", Rank.splitter));
    set.add(component("portal-work", Rank.portal));
    set.add(component("flow", Rank.workflow));
    expect(picks(set, 5)).toEqual(["portal-work", "portal-work", "portal-work", "portal-work", "portal-work"]);
    set.remove(set.pick()!);
    expect(set.pick()!.path).toBe("flow");
  });

  test("a component's rank is read at each pick: one that gets portal traffic goes first", () => {
    const set = new ReadySet(xoroshiro128plus(1));
    const seq = component("seq", Rank.sequencer);
    set.add(component("flow", Rank.workflow));
    set.add(seq);
    expect(set.pick()!.path).toBe("flow");
    seq.rankNow = Rank.portal;
    expect(set.pick()!.path).toBe("seq");
  });

  test("ties are broken at random, the same way for the same seed and another way for another", () => {
    const make = (seed: number): ReadySet => {
      const set = new ReadySet(xoroshiro128plus(seed));
      for (const name of ["a", "b", "c", "d"]) set.add(component(name, Rank.workflow));
      return set;
    };
    const first = picks(make(7), 40);
    expect(picks(make(7), 40)).toEqual(first);
    expect(new Set(first)).toEqual(new Set(["a", "b", "c", "d"]));
    expect(picks(make(8), 40)).not.toEqual(first);
  });

  test("adding twice keeps one entry; removing what is not there does nothing; save lists the set in order", () => {
    const set = new ReadySet(xoroshiro128plus(0));
    const a = component("a", 1);
    const b = component("b", 1);
    const c = component("c", 1);
    set.add(a);
    set.add(b);
    set.add(a);
    set.add(c);
    expect(set.size).toBe(3);
    set.remove(component("z", 1));
    expect(set.size).toBe(3);
    // Removing moves the last entry into the hole, so the order (which picks depend on) changes.
    set.remove(a);
    expect(set.save()).toEqual(["c", "b"]);
  });
});
