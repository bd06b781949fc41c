/**
 * Partitions (docs/cluster.md, "Partitioned applications"): the key hash names where a key's state
 * lives, in snapshots, so its values are pinned here; a change would strand every partitioned
 * application's state.
 */
import * as fc from "fast-check";
import { describe, expect, test } from "vitest";
import { parsePartition, partitionOf, partitionProblem, showPartition } from "../../../runtime/core/partition.js";

describe("partitionOf", () => {
  test("is FNV-1a of the tagged key, pinned: a number and a string of the same digits are two keys", () => {
    expect([0, 1, "1", "alice", "bob", -0, 1.5, "ü"].map((k) => partitionOf(k, 4))).toEqual([3, 0, 1, 2, 1, 3, 1, 2]);
    // 87416211 and 70638592: the hashes of "n0" and "n1".
    expect([partitionOf(0, 87416212), partitionOf(1, 70638593)]).toEqual([87416211, 70638592]);
  });

  test("spreads keys evenly: 10,000 numbers and 10,000 strings over 4 partitions, each within 5% of a quarter", () => {
    for (const keys of [Array.from({ length: 10_000 }, (_, i) => i), Array.from({ length: 10_000 }, (_, i) => `user-${i}`)]) {
      const counts = [0, 0, 0, 0];
      for (const k of keys) counts[partitionOf(k, 4)]!++;
      for (const c of counts) expect(Math.abs(c - 2500)).toBeLessThan(125);
    }
  });

  test("32-bit integers (hashed without their string) hash as their decimal text does, the ends of the range and -0 included", () => {
    /** The hash as the module header states it: FNV-1a of "n" and the number's text. */
    const byText = (key: number, count: number): number => {
      let hash = 0x811c9dc5;
      for (const c of `n${String(key)}`) hash = Math.imul(hash ^ c.charCodeAt(0), 0x01000193) >>> 0;
      return hash % count;
    };
    const ends = [0, -0, 1, -1, 9, 10, -10, 99, 100, 2 ** 31 - 1, -(2 ** 31), 2 ** 31 - 10, 1_000_000_007];
    for (const k of ends) expect([k, partitionOf(k, 1_000_003)]).toEqual([k, byText(k, 1_000_003)]);
    fc.assert(fc.property(fc.integer(), fc.integer({ min: 1, max: 1024 }), (k, count) => partitionOf(k, count) === byText(k, count)), { numRuns: 20_000 });
  });

  test("one partition takes every key", () => {
    expect(["a", 7, -3].map((k) => partitionOf(k, 1))).toEqual([0, 0, 0]);
  });
});

describe("parsePartition", () => {
  test("reads <index>/<count> and shows it back", () => {
    expect(parsePartition("1/3")).toEqual({ index: 1, count: 3 });
    expect(showPartition(parsePartition(" 0/2 "))).toBe("0/2");
  });

  test.each([
    ["2/2", 'partition "2/2": partition 2 of 2: give an index from 0 to 1'],
    ["0/0", 'partition "0/0": a partition count is a whole number from 1 to 1024, got 0'],
    ["0/2000", 'partition "0/2000": a partition count is a whole number from 1 to 1024, got 2000'],
    ["one/two", 'partition "one/two": give it as <index>/<count>, e.g. 0/2 for the first of two'],
    ["-1/2", 'partition "-1/2": give it as <index>/<count>, e.g. 0/2 for the first of two'],
  ])("refuses %s, naming it and the shape", (text, message) => {
    expect(() => parsePartition(text)).toThrow(new TypeError(message));
  });

  test("partitionProblem names a fractional index", () => {
    expect(partitionProblem({ index: 0.5, count: 2 })).toBe("partition 0.5 of 2: give an index from 0 to 1");
    expect(partitionProblem({ index: 1, count: 2 })).toBeUndefined();
  });
});
