import { Systems, type LogWriter } from "portals-ts";
import { expect, test } from "vitest";
import shop from "../src/app.js";

/** A log writer that keeps the info lines. */
function collect(): { lines: string[]; log: LogWriter } {
  const lines: string[] = [];
  return { lines, log: (line, meta) => void (meta.level === "info" && lines.push(line)) };
}

const expected = [
  "ann: 2 apple reserved (3 left)",
  "bob: 1 pear reserved (1 left)",
  "cid: 4 apple sold out (3 left)",
  "dan: 1 pear reserved (0 left)",
];

test("every order is reserved while the stock lasts", () => {
  const { lines, log } = collect();
  const system = Systems.test({ seed: 0, log });
  system.launch(shop);
  system.stepUntilComplete();
  expect(lines).toEqual(expected);
});

test("a snapshot taken while orders wait for their replies continues in a fresh system", () => {
  const first = collect();
  const system = Systems.test({ seed: 0, log: first.log });
  system.launch(shop);
  while (system.parkedContinuations === 0) system.step();
  const snapshot = system.snapshot();

  const second = collect();
  Systems.test({ log: second.log }).restore(snapshot, [shop]).stepUntilComplete();
  expect([...first.lines, ...second.lines]).toEqual(expected);
});
