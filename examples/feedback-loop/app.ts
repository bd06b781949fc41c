/**
 * A feedback loop (docs/semantics.md, rule 5): a sequencer merges a generator with the workflow's own output,
 * so the workflow keeps feeding itself until it emits an empty atom, which the sequencer drops.
 *
 * The workflow walks Collatz sequences: for each `{ start, n }` it emits the next number
 * (`n / 2` or `3n + 1`) until it reaches 1, counting the steps per start (per-key state).
 * Starts that arrive in one atom advance together, one number per atom around the loop. The
 * generator's next atom is merged in when the sequencer picks it: generators have the lowest
 * scheduling priority, so here that is after the first loop has ended.
 */
import { PortalsApp } from "portals-ts";

/** One position of a Collatz sequence. */
export interface Position {
  readonly start: number;
  readonly n: number;
}

/** The starting numbers: one inner array per atom. */
export const STARTS: readonly (readonly number[])[] = [[6, 7], [3]];

/** The next number of a Collatz sequence after `n` (n > 1). */
export function collatz(n: number): number {
  return n % 2 === 0 ? n / 2 : 3 * n + 1;
}

export default PortalsApp("feedback-loop", (app) => {
  const starts = app.generators.fromArrayOfArrays<Position>(
    STARTS.map((atom) => atom.map((start) => ({ start, n: start }))),
    { name: "starts" },
  );
  const loop = app.sequencers.random<Position>({ name: "loop" });
  const collatzFlow = app
    .workflows<Position, Position>("collatz")
    .source(loop.stream)
    .key((p) => p.start)
    .processor<Position>((p, ctx) => {
      const steps = ctx.perKey("steps", 0);
      if (p.n === 1) {
        ctx.log.info(`${p.start} reaches 1 in ${steps.get()} steps`);
        return; // nothing emitted: this chain's next atom is empty and the loop ends
      }
      const next = collatz(p.n);
      steps.set(steps.get() + 1);
      ctx.log.info(`${p.start}: ${p.n} -> ${next}`);
      ctx.emit({ start: p.start, n: next });
    })
    .sink()
    .freeze();
  app.connections.connect(starts.stream, loop);
  app.connections.connect(collatzFlow.stream, loop);
});
