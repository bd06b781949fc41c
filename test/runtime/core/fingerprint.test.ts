/**
 * Fingerprints and nesting of values from outside (runtime/core/fingerprint.ts): the same JSON
 * has the same fingerprint, and nesting is counted without recursion, so a value nested far
 * deeper than the stack allows is measured, not overflowed on.
 */
import { expect, test } from "vitest";
import { fingerprint, MAX_NESTING, nestingOf } from "../../../runtime/core/fingerprint.js";

test("a fingerprint follows the JSON of a value", () => {
  expect(fingerprint({ a: 1, b: [2] })).toBe(fingerprint(JSON.parse('{"a":1,"b":[2]}')));
  expect(fingerprint({ a: 1, b: [2] })).not.toBe(fingerprint({ b: [2], a: 1 }));
  expect(fingerprint([1, 2])).not.toBe(fingerprint([1, 3]));
  expect(fingerprint(undefined)).toMatch(/^[0-9a-z]+$/);
});

test("nesting counts levels of arrays and objects, and stops past the limit", () => {
  expect([nestingOf(5), nestingOf("x"), nestingOf(null), nestingOf([]), nestingOf([[1], { a: { b: 2 } }])]).toEqual([0, 0, 0, 1, 3]);
  let deep: unknown = 1;
  for (let i = 0; i < 100_000; i++) deep = [deep];
  expect(nestingOf(deep)).toBe(MAX_NESTING + 1);
  expect(nestingOf(deep, 200_000)).toBe(100_000);
  const cycle: unknown[] = [];
  cycle.push(cycle);
  expect(nestingOf(cycle)).toBe(1);
});
