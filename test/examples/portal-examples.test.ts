/**
 * The portal behaviours of docs/semantics.md, rules 8 and 9 written as ordinary async code: the examples are
 * compiled by the portals plugin (this suite runs through it) and run in the real engine.
 */
import { expect, test } from "vitest";
import countdown from "../../examples/countdown/app.js";
import pingPong from "../../examples/ping-pong/app.js";
import previousValue from "../../examples/previous-value/app.js";
import { runExample } from "./run-example.js";

test("ping-pong: nested requests between two workflows, each reply answering the original request", () => {
  const { lines, problems } = runExample(pingPong);
  expect(lines).toEqual(["pong 6", "ping 5", "pong 4", "ping 3", "pong 2", "ping 1", "pong 0", "6 rallies"]);
  expect(problems).toEqual([]);
});

test('previous-value: {"x":n,"future":max(n-1,0)} for n = 0..127, in order', () => {
  const { lines, problems } = runExample(previousValue);
  expect(lines).toEqual(Array.from({ length: 128 }, (_, n) => JSON.stringify({ x: n, future: Math.max(n - 1, 0) })));
  expect(problems).toEqual([]);
});

test("countdown: a self-asking asker-replier logs 8 7 6 5 4 3 2 1 Done!", () => {
  const { lines, problems } = runExample(countdown);
  expect(lines.join(" ")).toBe("8 7 6 5 4 3 2 1 Done!");
  expect(problems).toEqual([]);
});
