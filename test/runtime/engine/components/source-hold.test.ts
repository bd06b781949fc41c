/**
 * The hold on a live engine's sources (runtime/engine/components/source-hold.ts, docs/cluster.md,
 * "Backpressure"): a source is not ready while anything holds it, and the last release resumes
 * the sources once.
 */
import { expect, test } from "vitest";
import { GeneratorComponent } from "../../../../runtime/engine/components/generator.js";
import { SourceHold } from "../../../../runtime/engine/components/source-hold.js";
import { RangeSource } from "../../../../runtime/engine/components/sources.js";
import { AtomicStream } from "../../../../runtime/engine/stream.js";

function held() {
  let resumed = 0;
  const hold = new SourceHold(() => void resumed++);
  const out = new AtomicStream("/g/generators/numbers/stream");
  const reader = out.subscribe({ wake: () => {} });
  const generator = new GeneratorComponent("/g/generators/numbers", () => new RangeSource(0, 6, 2), out, () => undefined, hold);
  const values = (): unknown[] => {
    const all: unknown[] = [];
    while (reader.hasNext()) all.push(...reader.next().values);
    return all;
  };
  return { hold, generator, values, resumed: () => resumed };
}

test("a held source is not ready; it is again once every holder released it, and the last release resumes the sources once", () => {
  const { hold, generator, values, resumed } = held();
  const [exportA, exportB] = [{}, {}];
  generator.step();
  hold.hold(exportA);
  hold.hold(exportA);
  hold.hold(exportB);
  expect(hold.held).toBe(true);
  expect(generator.ready()).toBe(false);
  hold.release(exportA);
  expect(generator.ready()).toBe(false);
  expect(resumed()).toBe(0);
  hold.release(exportB);
  expect(hold.held).toBe(false);
  expect(generator.ready()).toBe(true);
  expect(resumed()).toBe(1);
  // A release by what holds nothing resumes nothing.
  hold.release(exportB);
  expect(resumed()).toBe(1);
  while (generator.ready()) generator.step();
  expect(values()).toEqual([0, 1, 2, 3, 4, 5]);
});

test("a generator without a hold (a deterministic run) is never held", () => {
  const out = new AtomicStream("/g/generators/numbers/stream");
  const generator = new GeneratorComponent("/g/generators/numbers", () => new RangeSource(0, 2, 2), out, () => undefined);
  expect(generator.ready()).toBe(true);
});
