/**
 * The live driver (`Systems.live`): steps the engine while work is ready and sleeps otherwise,
 * until a source, a timer or a call from outside wakes it (docs/live.md, "The loop"). It runs
 * steps in batches and yields to the event loop between them, so I/O (HTTP requests, timers,
 * async sources) comes in while the engine is busy. After each batch it asks the system to
 * checkpoint when outputs wait for one, and at least every `intervalMs` while anything ran:
 * a checkpoint after a batch covers every step of it, so the outputs waiting for durability
 * are released together (group commit).
 */
import type { Steppable } from "../engine/engine.js";

/** What the driver needs of the system it drives. */
export interface LiveDriverHooks {
  /** True when outputs (answers, ingestion receipts) wait for a checkpoint to be released. */
  waiting(): boolean;
  /** Takes a checkpoint and releases what it covers. */
  checkpoint(): void;
  /** A step or a checkpoint threw: the driver has stopped. */
  failed(error: unknown): void;
}

/** Steps per batch at most, and milliseconds per batch at most (checked every 64 steps). */
const BATCH_STEPS = 4096;
const BATCH_MS = 20;

/** See the module header. */
export class LiveDriver {
  private stopped = false;
  private dirty = false;
  private lastCheckpoint: number;
  private wakeUp: (() => void) | undefined;
  private readonly running: Promise<void>;

  /**
   * Starts the loop.
   *
   * @param intervalMs longest time between checkpoints while steps are taken (milliseconds)
   * @param nextTurn where the loop yields between batches: the platform's next turn of the event
   *   loop after the I/O that is ready (`Host.nextTurn`)
   */
  constructor(
    private readonly engine: Steppable,
    private readonly hooks: LiveDriverHooks,
    private readonly intervalMs: number,
    private readonly now: () => number,
    private readonly nextTurn: (resume: () => void) => void,
  ) {
    this.lastCheckpoint = now();
    this.running = this.run();
  }

  /** Wakes the loop if it sleeps (new work, or outputs waiting for a checkpoint). */
  wake(): void {
    const wakeUp = this.wakeUp;
    this.wakeUp = undefined;
    wakeUp?.();
  }

  /** Ends the loop after the batch it is in; resolves when it has ended. */
  async stop(): Promise<void> {
    this.stopped = true;
    this.wake();
    await this.running;
  }

  private async run(): Promise<void> {
    try {
      while (!this.stopped) {
        const ran = this.batch();
        if (ran > 0) this.dirty = true;
        if (this.hooks.waiting() || (this.dirty && this.now() - this.lastCheckpoint >= this.intervalMs)) {
          this.hooks.checkpoint();
          this.dirty = false;
          this.lastCheckpoint = this.now();
        }
        if (this.stopped) break;
        if (this.engine.canStep()) await new Promise<void>((resolve) => this.nextTurn(resolve));
        else await this.sleep(this.dirty ? Math.max(1, this.lastCheckpoint + this.intervalMs - this.now()) : undefined);
      }
    } catch (thrown) {
      this.stopped = true;
      this.hooks.failed(thrown);
    }
  }

  private batch(): number {
    const start = this.now();
    let n = 0;
    while (n < BATCH_STEPS && this.engine.canStep()) {
      this.engine.step();
      n++;
      if ((n & 63) === 0 && this.now() - start >= BATCH_MS) break;
    }
    return n;
  }

  /**
   * Until {@link LiveDriver.wake}, or `ms` milliseconds when given. A wake-up resumes the loop
   * in the event loop's next turn, after every I/O callback that is ready now (on Node, the check
   * phase): a burst of requests is all queued before the loop steps, so one batch and one
   * checkpoint serve it.
   */
  private sleep(ms: number | undefined): Promise<void> {
    return new Promise<void>((resolve) => {
      const timer = ms === undefined ? undefined : setTimeout(() => this.wake(), ms);
      this.wakeUp = () => {
        clearTimeout(timer);
        this.nextTurn(resolve);
      };
    });
  }
}
