import { Systems, type Application } from "portals-ts";

/** Runs `app` in a fresh deterministic test system (seed 1) until every source is exhausted. */
export function runToCompletion(app: Application): void {
  const system = Systems.test({ seed: 1 });
  system.launch(app);
  system.stepUntilComplete();
}
