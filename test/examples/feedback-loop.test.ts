import { expect, test } from "vitest";
import app, { collatz, STARTS } from "../../examples/feedback-loop/app.js";
import { runExample } from "./run-example.js";

/** The log lines of one start's chain, computed directly. */
function chain(start: number): string[] {
  const lines: string[] = [];
  let n = start;
  while (n !== 1) {
    const next = collatz(n);
    lines.push(`${start}: ${n} -> ${next}`);
    n = next;
  }
  return [...lines, `${start} reaches 1 in ${lines.length} steps`];
}

test("feedback-loop: 6 and 7 advance together around the loop, then 3 enters; the loop ends", () => {
  const { lines, problems, system } = runExample(app);
  expect(problems).toEqual([]);
  expect(STARTS).toEqual([[6, 7], [3]]);
  expect(lines).toEqual([
    "6: 6 -> 3",
    "7: 7 -> 22",
    "6: 3 -> 10",
    "7: 22 -> 11",
    "6: 10 -> 5",
    "7: 11 -> 34",
    "6: 5 -> 16",
    "7: 34 -> 17",
    "6: 16 -> 8",
    "7: 17 -> 52",
    "6: 8 -> 4",
    "7: 52 -> 26",
    "6: 4 -> 2",
    "7: 26 -> 13",
    "6: 2 -> 1",
    "7: 13 -> 40",
    "6 reaches 1 in 8 steps",
    "7: 40 -> 20",
    "7: 20 -> 10",
    "7: 10 -> 5",
    "7: 5 -> 16",
    "7: 16 -> 8",
    "7: 8 -> 4",
    "7: 4 -> 2",
    "7: 2 -> 1",
    "7 reaches 1 in 16 steps",
    "3: 3 -> 10",
    "3: 10 -> 5",
    "3: 5 -> 16",
    "3: 16 -> 8",
    "3: 8 -> 4",
    "3: 4 -> 2",
    "3: 2 -> 1",
    "3 reaches 1 in 7 steps",
  ]);
  // Each chain, on its own, is the Collatz sequence of its start.
  for (const start of [6, 7, 3]) expect(lines.filter((l) => l.startsWith(`${start}`))).toEqual(chain(start));
  expect(system.canStep()).toBe(false);
});

test("feedback-loop: the order of the lines does not depend on the seed (one atom at a time around the loop)", () => {
  const once = runExample(app, 1).lines;
  for (const seed of [2, 3, 42]) expect(runExample(app, seed).lines).toEqual(once);
});
