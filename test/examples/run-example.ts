/**
 * Runs an example the way `portals run` does, in `Systems.test({ seed, log })`, and collects its
 * log lines: info lines (logger and ctx.log.info) in `lines`, warnings and errors in `problems`.
 */
import { Systems, type Application, type TestSystem } from "portals-ts";

/** What a run of an example produced. */
export interface ExampleRun {
  /** Info lines, in order. */
  readonly lines: string[];
  /** Warning and error lines, as `[level] line`. */
  readonly problems: string[];
  /** The system after the run (complete). */
  readonly system: TestSystem;
}

/**
 * Launches `apps` (one application or an array, in order) and steps until nothing can step.
 *
 * @throws Error when the run does not complete within `maxSteps` steps
 */
export function runExample(apps: Application | readonly Application[], seed = 1, maxSteps = 1_000_000): ExampleRun {
  const lines: string[] = [];
  const problems: string[] = [];
  const system = Systems.test({
    seed,
    log: (line, meta) => void (meta.level === "info" ? lines.push(line) : problems.push(`[${meta.level}] ${line}`)),
  });
  for (const app of Array.isArray(apps) ? apps : [apps as Application]) system.launch(app);
  system.stepUntilComplete(maxSteps);
  if (system.canStep()) throw new Error(`the example did not complete within ${maxSteps} steps`);
  return { lines, problems, system };
}
