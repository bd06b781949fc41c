import { expect, test } from "vitest";
import app, { LARGE, PAYMENTS } from "../../examples/splitter-routing/app.js";
import { runExample } from "./run-example.js";

test("splitter-routing: each payment reaches the workflow of the first matching split", () => {
  const { lines, problems } = runExample(app);
  expect(problems).toEqual([]);
  expect(lines).toEqual([
    "regular #1: 30 from alice",
    "large #2: 250 from bob (large total 250)",
    "refund #3: 30 to alice",
    "large #4: 120 from carol (large total 120)",
    "regular #5: 15 from bob",
    "large #6: 400 from bob (large total 650)",
    "regular: 2 payments, 45 in total",
  ]);
});

test("splitter-routing: every payment is handled exactly once, whatever the seed", () => {
  const all = PAYMENTS.flat();
  for (const seed of [1, 2, 3]) {
    const { lines } = runExample(app, seed);
    const ids = lines.flatMap((l) => /#(\d+)/.exec(l)?.[1] ?? []).map(Number);
    expect(ids.sort((a, b) => a - b)).toEqual(all.map((p) => p.id));
    expect(lines.filter((l) => l.startsWith("large")).length).toBe(all.filter((p) => p.amount >= LARGE).length);
  }
});
