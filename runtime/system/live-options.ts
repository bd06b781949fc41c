/** The options and counters of a live system (`live-system.ts`, docs/live.md). */
import type { LogWriter } from "../core/log.js";
import type { SystemStats } from "../core/stats.js";

/** Options of `Systems.live`. */
export interface LiveSystemOptions {
  /**
   * Directory of the system's snapshots (created if missing). Without it nothing is durable:
   * answers are released after each batch of steps, and nothing survives the process.
   */
  readonly dataDir?: string;
  /** Longest time between checkpoints while anything runs, in milliseconds (a positive integer; default 1,000). */
  readonly checkpointIntervalMs?: number;
  /** Every `fullEvery`-th checkpoint is a full snapshot, the others deltas (default 100). */
  readonly fullEvery?: number;
  /** Seed of the scheduler's random choices (an integer; default 0). */
  readonly seed?: number;
  /** Receives every log line of the running applications (default: stdout and stderr, as the test system). */
  readonly log?: LogWriter;
}

/** Options of `LiveSystem.ask`. */
export interface AskOptions {
  /** Asks with the same key get the first ask's answer, asked once (also across restarts). */
  readonly idempotencyKey?: string;
  /** Milliseconds to wait for the answer (a positive integer; default 10,000). */
  readonly timeoutMs?: number;
}

/** Options of `LiveSystem.upgrade`. */
export interface UpgradeOptions {
  /** Hold the sources until the changed operators' parked continuations are done, then upgrade. */
  readonly drain?: boolean;
  /** Longest drain, in milliseconds (default 30,000). */
  readonly drainTimeoutMs?: number;
}

/** Options of `LiveSystem.send`. */
export interface SendOptions {
  /** A send with a key seen recently appends nothing and gets the first send's receipt. */
  readonly idempotencyKey?: string;
}

/** What a live system counts, besides the engine's steps, atoms and events. */
export interface LiveStats extends SystemStats {
  /** Checkpoints taken. */
  readonly checkpoints: number;
  /** Duration of the last checkpoint, in milliseconds. */
  readonly lastCheckpointMs: number;
  /** Size of the last stored snapshot, in bytes (0 without a data directory). */
  readonly lastCheckpointBytes: number;
  /** Asks waiting for their answer. */
  readonly asksWaiting: number;
}
