/**
 * A task's output per atom (runtime/engine/context.ts `target`/`emit`/`trim`): the runner
 * reserves room for one event per input event and trims what is unused, so a task that emits
 * fewer, as many, or more events than it receives must still produce exactly its emits, in
 * order, also when `withAndThen` stages the first task's output in between.
 */
import { describe, expect, test } from "vitest";
import { PortalsApp, Systems, Tasks } from "portals-ts";

function run(atoms: number[][]): string[] {
  const lines: string[] = [];
  const system = Systems.test({ seed: 1, log: (line) => lines.push(line) });
  system.launch(
    PortalsApp("emit", (app) => {
      const g = app.generators.fromArrayOfArrays(atoms);
      app
        .workflows<number, number>("w")
        .source(g.stream)
        .processor<number>((x, ctx) => {
          for (let i = 0; i < x; i++) ctx.emit(x);
        })
        .withOnAtomComplete((ctx) => ctx.emit(-1))
        .withAndThen(Tasks.map((y: number) => y * 10))
        .logger()
        .identity()
        .withOnAtomComplete((ctx) => ctx.log.info("|"))
        .sink()
        .freeze();
    }),
  );
  system.stepUntilComplete();
  return lines;
}

describe("emit", () => {
  test("x copies of x per event: none, one, several; the atom-end emit last; through withAndThen", () => {
    expect(run([[1, 2, 3], [0, 5], [0]])).toEqual([
      ...["10", "20", "20", "30", "30", "30", "-10", "|"],
      ...["50", "50", "50", "50", "50", "-10", "|"],
      ...["-10", "|"],
    ]);
  });

  test("an atom of 1,000 events each emitting 0 or 2: exactly the emitted events, in order", () => {
    const atom = Array.from({ length: 1000 }, (_, i) => (i % 3 === 0 ? 2 : 0));
    const expected: string[] = [];
    for (const x of atom) for (let i = 0; i < x; i++) expected.push(String(x * 10));
    expect(run([atom])).toEqual([...expected, "-10", "|"]);
  });
});
