import { Systems, type Application, type FlowBuilder } from "portals-ts";

/** Runs `app` in a fresh deterministic test system (seed 1) until every source is exhausted. */
export function runToCompletion(app: Application): void {
  const system = Systems.test({ seed: 1 });
  system.launch(app);
  system.stepUntilComplete();
}

/**
 * Ends a workflow whose events are numbers: with `sum` (the checksum runs), a last step adds
 * every event to `sum.value` first; without it, the flow goes straight to the sink, so the
 * timed runs have no extra task.
 */
export function sinkSummed<T>(flow: FlowBuilder<T, number, any, number>, sum?: { value: number }): void {
  if (sum === undefined) {
    flow.sink().freeze();
    return;
  }
  flow
    .map((n) => {
      sum.value += n;
      return n;
    })
    .sink()
    .freeze();
}
