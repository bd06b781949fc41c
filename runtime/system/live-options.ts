/** The options and counters of a live system (`live-system.ts`, docs/live.md). */
import type { LogWriter } from "../core/log.js";
import type { SystemStats } from "../core/stats.js";
import type { Engine } from "../engine/engine.js";
import type { Application } from "../api/application.js";
import type { LiveError } from "./live-error.js";

/**
 * A live system's link to other runtimes, as applications see it: made by `joinCluster` of
 * `portals-ts/cluster` (docs/cluster.md) and given to `Systems.live({ link })`, which closes it
 * when it closes.
 */
export interface SystemLink {
  /** This runtime's name in its cluster. */
  readonly runtime: string;
  /** Disconnects from the cluster. */
  close(): Promise<void>;
}

/** Options of `Systems.live`. */
export interface LiveSystemOptions {
  /**
   * Directory of the system's snapshots (created if missing). Without it nothing is durable:
   * answers are released after each batch of steps, and nothing survives the process.
   */
  readonly dataDir?: string;
  /** Longest time between checkpoints while anything runs, in milliseconds (a positive integer; default 1,000). */
  readonly checkpointIntervalMs?: number;
  /**
   * Every `fullEvery`-th checkpoint at least is a full snapshot, the others deltas (default
   * 10,000); a full one is also taken as soon as the deltas since the last add up to its size
   * and to 4 MiB, so a restart reads at most twice the state and 4 MiB.
   */
  readonly fullEvery?: number;
  /**
   * How long the answer of an ask with an idempotency key is kept for retries, in
   * milliseconds after the ask (a positive integer; default 86,400,000: 24 hours). After it a
   * retry is asked again, and the key may name a new request.
   */
  readonly idempotencyRetentionMs?: number;
  /** Seed of the scheduler's random choices (an integer; default 0). */
  readonly seed?: number;
  /** Receives every log line of the running applications (default: stdout and stderr, as the test system). */
  readonly log?: LogWriter;
  /**
   * Links the system to other runtimes (a cluster on NATS JetStream, `joinCluster` of
   * `portals-ts/cluster`, docs/cluster.md): applications use their streams by path.
   */
  readonly link?: SystemLink;
}

const DEFAULT_INTERVAL_MS = 1000;
const DEFAULT_FULL_EVERY = 10_000;
const DEFAULT_RETENTION_MS = 24 * 60 * 60 * 1000;

/** The options of a live system with their defaults, checked. */
export interface CheckedLiveOptions {
  readonly seed: number;
  readonly interval: number;
  readonly fullEvery: number;
  readonly retentionMs: number;
}

/**
 * `options` with defaults, checked.
 *
 * @throws RangeError naming the option for a bad seed, interval, `fullEvery` or retention
 */
export function checkLiveOptions(options: LiveSystemOptions): CheckedLiveOptions {
  const seed = options.seed ?? 0;
  if (!Number.isSafeInteger(seed)) throw new RangeError(`Systems.live({ seed: ${seed} }): the seed must be an integer`);
  const positive = (name: string, value: number, what: string): number => {
    if (!Number.isSafeInteger(value) || value < 1) throw new RangeError(`Systems.live({ ${name}: ${value} }): ${what} must be a positive integer`);
    return value;
  };
  return {
    seed,
    interval: positive("checkpointIntervalMs", options.checkpointIntervalMs ?? DEFAULT_INTERVAL_MS, "the interval (milliseconds)"),
    fullEvery: positive("fullEvery", options.fullEvery ?? DEFAULT_FULL_EVERY, "fullEvery"),
    retentionMs: positive("idempotencyRetentionMs", options.idempotencyRetentionMs ?? DEFAULT_RETENTION_MS, "the retention (milliseconds)"),
  };
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

/** What a tail calls with the events of each atom of its stream, and `end: true` after its last (`LiveSystem.tail`). */
export type TailListener = (events: readonly unknown[], end: boolean) => void;

/** Options of `LiveSystem.openTail`. */
export interface TailOptions {
  /**
   * Called once when a tail forwarded to another runtime breaks: that runtime closed, exited or
   * cannot be reached, or an event cannot travel (the error, `unavailable`, says which). No
   * more events come and `end` was not seen; tail again to go on from then.
   */
  readonly broken?: (error: LiveError) => void;
  /** Only a stream of this runtime (one it runs, or imports for its applications): never forwarded. */
  readonly here?: boolean;
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
  /** Tails open on this system's streams: its own callers', and those other runtimes of its cluster forwarded to it. */
  readonly tailsOpen: number;
}

/** What an application's workflows did since the process started (an upgrade starts them again). */
export interface AppCounters {
  readonly app: string;
  readonly atoms: number;
  readonly events: number;
  /** Continuations parked now. */
  readonly parked: number;
}

/** The counters of each of `apps` in `engine`. */
export function appCounters(engine: Engine, apps: readonly Application[]): AppCounters[] {
  return apps.map((a) => {
    let atoms = 0;
    let events = 0;
    let parked = 0;
    for (const w of a.plan.workflows) {
      const executor = engine.workflows.get(w.path);
      if (executor === undefined) continue;
      atoms += executor.atoms;
      events += executor.events;
      for (const r of executor.runners) parked += r.parkedCount;
    }
    return { app: a.name, atoms, events, parked };
  });
}
