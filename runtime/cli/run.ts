/**
 * `portals run`: launches applications in order into one `Systems.test` system and steps it to
 * completion in chunks, so that the loop can report progress on stderr during long runs and a
 * one-line summary at the end. Chunks are stepped with `stepUntilCompleteAsync`, which also
 * waits for async sources (`fromAsyncIterable`).
 */
import type { Application } from "../api/application.js";
import type { LogWriter } from "../core/log.js";
import type { SystemStats } from "../core/stats.js";
import { DirectoryStore } from "../state/stores.js";
import { Systems } from "../system/systems.js";
import type { CliIo } from "./io.js";

/** Options of {@link runApplications}. */
export interface RunOptions {
  /** Seed of the system (default 0). */
  readonly seed?: number;
  /** Stop after this many steps even if the system could go on (default: no limit). */
  readonly maxSteps?: number;
  /** Suppress info lines (`logger` and `ctx.log.info`); warnings and errors still go to stderr. */
  readonly quiet?: boolean;
  /** Steps per chunk between clock checks (default 256). */
  readonly chunk?: number;
  /** A progress line is written when a run has taken this long, and again every such interval (default 1000 ms). */
  readonly progressMs?: number;
  /** Directory of the snapshots (a `DirectoryStore`); without it, no snapshots are taken. */
  readonly snapshotDir?: string;
  /** A snapshot every this many steps (needs `snapshotDir`; default: only at the end). */
  readonly snapshotEvery?: number;
  /** Continue from the newest readable snapshot in `snapshotDir`, or start afresh if there is none. */
  readonly restore?: boolean;
}

/** What a run did. */
export interface RunResult {
  /** Steps, atoms and events of the system at the end. */
  readonly stats: SystemStats;
  /** True when nothing could step any more (false when `maxSteps` stopped the run). */
  readonly complete: boolean;
  /** Number of error lines the system logged (operator failures). */
  readonly errors: number;
  /** Wall time of launching and stepping, in milliseconds. */
  readonly wallMs: number;
}

/** Info lines are buffered and written at the end of each chunk, before any stderr line, or every this many lines. */
const FLUSH_LINES = 4096;

/**
 * Launches `apps` in order into `Systems.test({ seed })` (or, with `restore`, continues from the
 * newest snapshot in `snapshotDir`) and steps until nothing can step (or `maxSteps` steps were
 * taken). Info lines go to `io.out` unless `quiet`; warnings and errors go
 * to `io.err` as `[warn] line` / `[error] line`; progress lines and the summary line go to
 * `io.err`.
 *
 * @returns the final stats, whether the run completed, the number of error lines, the wall time
 * @throws ApplicationError when an application cannot be launched; Error when a step fails in a
 *   way the system does not turn into an error event (stdout is flushed first)
 */
export async function runApplications(apps: readonly Application[], options: RunOptions, io: CliIo): Promise<RunResult> {
  const chunk = options.chunk ?? 256;
  const progressMs = options.progressMs ?? 1000;
  const maxSteps = options.maxSteps ?? Infinity;
  const pending: string[] = [];
  const flush = (): void => {
    if (pending.length === 0) return;
    io.out(pending.join("\n") + "\n");
    pending.length = 0;
  };
  let errors = 0;
  const log: LogWriter = (line, meta) => {
    if (meta.level === "info") {
      if (options.quiet) return;
      pending.push(line);
      if (pending.length >= FLUSH_LINES) flush();
      return;
    }
    if (meta.level === "error") errors++;
    flush();
    io.err(`[${meta.level}] ${line}\n`);
  };

  const start = io.now();
  const store = options.snapshotDir === undefined ? undefined : new DirectoryStore(options.snapshotDir);
  const snapshots = store === undefined ? {} : { snapshots: { store, ...(options.snapshotEvery ? { every: options.snapshotEvery } : {}) } };
  const system = Systems.test({ seed: options.seed ?? 0, log, ...snapshots });
  let steps = 0;
  let complete = false;
  try {
    const restored = options.restore ? system.restoreLatest(apps) : undefined;
    if (restored !== undefined) io.err(`restored ${options.snapshotDir}/${restored} (step ${system.stats.steps})\n`);
    else {
      if (options.restore) io.err(`no snapshot to restore in ${options.snapshotDir}; starting afresh\n`);
      for (const app of apps) system.launch(app);
    }
    let nextProgress = start + progressMs;
    while (steps < maxSteps && system.canStep()) {
      steps += await system.stepUntilCompleteAsync(Math.min(chunk, maxSteps - steps));
      flush();
      const now = io.now();
      if (now >= nextProgress) {
        io.err(`${progressLine(system.stats, now - start)}\n`);
        nextProgress = now + progressMs;
      }
    }
    complete = !system.canStep();
    // A completed run ends with a snapshot by itself; one stopped by --max-steps needs it here.
    if (store !== undefined && !complete) system.checkpoint();
  } finally {
    flush();
    system.shutdown();
  }
  return { stats: system.stats, complete, errors, wallMs: io.now() - start };
}

/** `progress: <steps> steps, <atoms> atoms, <events> events, <seconds> s` */
export function progressLine(stats: SystemStats, wallMs: number): string {
  return `progress: ${stats.steps} steps, ${stats.atoms} atoms, ${stats.events} events, ${seconds(wallMs)} s`;
}

/**
 * The summary line of a run: `done: <steps> steps, <atoms> atoms, <events> events, <seconds> s,
 * <rate> events/s`, with `stopped at --max-steps <n> (not complete)` instead of `done` when the
 * step limit ended the run, and `, <n> errors` when operators failed.
 */
export function summaryLine(result: RunResult, maxSteps?: number): string {
  const { stats, wallMs } = result;
  const head = result.complete ? "done" : `stopped at --max-steps ${maxSteps ?? stats.steps} (not complete)`;
  const rate = wallMs > 0 ? Math.round((stats.events * 1000) / wallMs) : 0;
  const errors = result.errors > 0 ? `, ${result.errors} error${result.errors === 1 ? "" : "s"}` : "";
  return `${head}: ${stats.steps} steps, ${stats.atoms} atoms, ${stats.events} events, ${seconds(wallMs)} s, ${rate} events/s${errors}`;
}

function seconds(ms: number): string {
  return (ms / 1000).toFixed(3);
}
