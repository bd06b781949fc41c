/**
 * The deterministic driver (`Systems.test`): steps the engine in a loop on the caller's thread.
 * It never lets time decide anything: when the step the scheduler chose waits for an async
 * source, it waits for that source rather than doing something else, so the same seed gives the
 * same run, byte for byte (docs/semantics.md, rule 11).
 */
import type { Steppable } from "../engine/engine.js";

/** What a run tells the system around it. */
export interface DriverHooks {
  /** After every step (sink commits and periodic checkpoints). */
  afterStep(): void;
  /** When a run ends (a last checkpoint). */
  completed(): void;
}

/** See the module header. */
export class DeterministicDriver {
  constructor(
    private readonly engine: Steppable,
    private readonly hooks: DriverHooks,
  ) {}

  /**
   * Takes one step.
   *
   * @throws Error when nothing can step, or the step waits for an async source
   */
  step(): void {
    this.engine.step();
    this.hooks.afterStep();
  }

  /**
   * Steps until nothing can step or `maxSteps` steps were taken; returns the number of steps.
   *
   * @throws RangeError for a bad `maxSteps`; Error as {@link DeterministicDriver.step}
   */
  runUntilComplete(maxSteps: number): number {
    checkMax(maxSteps);
    let n = 0;
    while (n < maxSteps && this.engine.canStep()) {
      this.step();
      n++;
    }
    this.hooks.completed();
    return n;
  }

  /**
   * Like {@link runUntilComplete}, and waits for async sources when a step needs their next
   * atom. The order of steps is the same as if the data had been there.
   *
   * @throws RangeError for a bad `maxSteps`
   */
  async runUntilCompleteAsync(maxSteps: number): Promise<number> {
    checkMax(maxSteps);
    let n = 0;
    while (n < maxSteps && this.engine.canStep()) {
      const blocked = this.engine.next()!.blockedOn;
      if (blocked !== undefined) await blocked;
      this.step();
      n++;
    }
    this.hooks.completed();
    return n;
  }
}

function checkMax(maxSteps: number): void {
  if (!(maxSteps >= 0) || (maxSteps !== Infinity && !Number.isSafeInteger(maxSteps))) {
    throw new RangeError(`maxSteps must be a non-negative integer, got ${maxSteps}`);
  }
}
