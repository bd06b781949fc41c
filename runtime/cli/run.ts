/**
 * `portals run`: launches applications in order into one `Systems.test` system and steps it to
 * completion in chunks, so that the loop can report progress on stderr during long runs and a
 * one-line summary at the end. Chunks are stepped with `stepUntilCompleteAsync`, which also
 * waits for async sources (`fromAsyncIterable`).
 */
import { existsSync, statSync } from "node:fs";
import type { Application } from "../api/application.js";
import { describe } from "../core/errors.js";
import type { LogMeta, LogWriter } from "../core/log.js";
import type { SystemStats } from "../core/stats.js";
import { DirectoryStore } from "../state/stores.js";
import { Systems } from "../system/node-systems.js";
import type { CliIo } from "./io.js";
import { UsageError } from "./io.js";
import { changedInputs, readRecord, RecordingStore, startRecord, type RunRecord } from "./run-record.js";
import { userFrame } from "./where.js";

/**
 * Snapshots kept by `--snapshot-dir`: this many chains, each a full snapshot and the deltas
 * after it (`DirectoryStore`'s `keep`).
 */
export const KEEP_CHAINS = 2;

/** Every this many snapshots of `--snapshot-dir` is a full one; the others are deltas. */
export const FULL_EVERY = 10;

/** Options of {@link runApplications}. */
export interface RunOptions {
  /** Seed of the system (default 0). */
  readonly seed?: number;
  /**
   * The seed was chosen (`--seed`), not defaulted: with `restore`, a seed that differs from the
   * restored run's is refused, and any seed is reported as ignored when the snapshot has no
   * record of its run.
   */
  readonly seedGiven?: boolean;
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
  /** With `restore`, the snapshot this run continued from and the counts it held. */
  readonly restored?: { readonly id: string; readonly stats: SystemStats };
}

/** Info lines are buffered and written at the end of each chunk, before any stderr line, or every this many lines. */
const FLUSH_LINES = 4096;

/**
 * Launches `apps` in order into `Systems.test({ seed })` (or, with `restore`, continues from the
 * newest snapshot in `snapshotDir`) and steps until nothing can step (or `maxSteps` steps were
 * taken). Info lines go to `io.out` unless `quiet`; warnings and errors go
 * to `io.err` as `[warn] line` / `[error] line`; progress lines and the summary line go to
 * `io.err`. With `snapshotDir`, the newest {@link KEEP_CHAINS} chains of snapshots are kept, a
 * full snapshot every {@link FULL_EVERY}, and each snapshot gets a record of its run (seed and
 * `fromFile` inputs, `run-record.ts`), which `restore` checks.
 *
 * @returns the final stats, whether the run completed, the number of error lines, the wall time
 * @throws UsageError when `snapshotDir` cannot be used, or `seed` was given and differs from the
 *   seed of the restored run; Error when a `fromFile` input changed since the restored run
 *   started; ApplicationError when an application cannot be launched; Error when a step fails in
 *   a way the system does not turn into an error event (stdout is flushed first)
 */
export async function runApplications(apps: readonly Application[], options: RunOptions, io: CliIo): Promise<RunResult> {
  const chunk = options.chunk ?? 256;
  const progressMs = options.progressMs ?? 1000;
  const maxSteps = options.maxSteps ?? Infinity;
  const seed = options.seed ?? 0;
  const log = cliLog(io, options.quiet === true);

  const start = io.now();
  const store = options.snapshotDir === undefined ? undefined : recordingStore(options.snapshotDir);
  const snapshots = store === undefined ? {} : { snapshots: { store, fullEvery: FULL_EVERY, ...(options.snapshotEvery ? { every: options.snapshotEvery } : {}) } };
  const system = Systems.test({ seed, log: log.write, ...snapshots });
  let steps = 0;
  let complete = false;
  let restored: RunResult["restored"];
  try {
    const id = options.restore ? system.restoreLatest(apps) : undefined;
    if (id !== undefined) {
      // Checked first, so a refused restore never reports itself as restored.
      const record = checkRestored(options.snapshotDir!, id, apps, options, io);
      io.err(`restored ${options.snapshotDir}/${id} (step ${system.stats.steps})\n`);
      store!.record = record;
      restored = { id, stats: system.stats };
    } else {
      if (options.restore) io.err(`no snapshot to restore in ${options.snapshotDir}; starting afresh\n`);
      if (store !== undefined) store.record = startRecord(apps, seed);
      for (const app of apps) system.launch(app);
    }
    let nextProgress = start + progressMs;
    while (steps < maxSteps && system.canStep()) {
      steps += await system.stepUntilCompleteAsync(Math.min(chunk, maxSteps - steps));
      log.flush();
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
    log.flush();
    system.shutdown();
  }
  return { stats: system.stats, complete, errors: log.errors(), wallMs: io.now() - start, ...(restored === undefined ? {} : { restored }) };
}

/**
 * Checks a `--snapshot-dir` argument before anything runs.
 *
 * @throws UsageError when `directory` is empty or is a file
 */
export function checkSnapshotDir(directory: string): void {
  if (directory.trim() === "") throw new UsageError("--snapshot-dir needs a directory (it is created if missing), got an empty path");
  if (existsSync(directory) && !isDirectory(directory)) throw new UsageError(`--snapshot-dir ${directory} is a file, not a directory; give a directory (it is created if missing)`);
}

/**
 * The store of `--snapshot-dir`: a directory store that keeps {@link KEEP_CHAINS} chains, with
 * a record of the run beside each snapshot.
 *
 * @throws UsageError when `directory` is empty, is a file, or cannot be created
 */
function recordingStore(directory: string): RecordingStore {
  checkSnapshotDir(directory);
  try {
    return new RecordingStore(new DirectoryStore(directory, { keep: KEEP_CHAINS }), directory);
  } catch (thrown) {
    throw new UsageError(`--snapshot-dir ${directory}: ${describe(thrown)}`);
  }
}

/**
 * Checks the record of the restored snapshot `id` against the command line and the inputs, and
 * returns it (the restored run's snapshots carry it on). Without a record, says what cannot be
 * checked.
 *
 * @throws UsageError when `--seed` differs from the restored run's seed; Error when an input changed
 */
function checkRestored(directory: string, id: string, apps: readonly Application[], options: RunOptions, io: CliIo): RunRecord | undefined {
  const record = readRecord(directory, id);
  const seed = options.seed ?? 0;
  if (record === undefined) {
    if (options.seedGiven) io.err(`[warn] --seed ${seed} is ignored: a restored run continues with the random state of its snapshot\n`);
    if (apps.some((app) => app.plan.generators.some((g) => g.source.kind === "file"))) {
      io.err(`[warn] snapshot ${id} has no record of its run (${id}.run.json), so its fromFile inputs cannot be checked for changes\n`);
    }
    return undefined;
  }
  if (options.seedGiven && record.seed !== seed) {
    throw new UsageError(
      `--seed ${seed} does not fit snapshot ${id}: its run started with --seed ${record.seed}, and a restored run continues with its snapshot's random state; pass --seed ${record.seed} or leave --seed out`,
    );
  }
  const changes = changedInputs(record);
  if (changes.length > 0) {
    throw new Error(
      `cannot continue from snapshot ${id}: ${changes.join("; ")}; the snapshot's read positions would point into other data: put the original input back, or start afresh (run without --restore)`,
    );
  }
  return record;
}

/** The log writer of a run, with the buffer of info lines it flushes and its count of error lines. */
interface CliLog {
  readonly write: LogWriter;
  /** Writes the buffered info lines. */
  flush(): void;
  /** Error lines written so far. */
  errors(): number;
}

/**
 * The CLI's log writer: info lines (unless `quiet`) are buffered and written to `io.out` at the
 * end of each chunk, before any stderr line, or every {@link FLUSH_LINES} lines; warnings and
 * errors go to `io.err` as `[level] line`. An error line whose meta carries the error
 * (`meta.error`, an `OperatorError` or what was thrown) is followed by `    at file:line:column`,
 * the first frame of the thrown value's stack in the user's code.
 */
export function cliLog(io: CliIo, quiet: boolean): CliLog {
  const pending: string[] = [];
  let errors = 0;
  const flush = (): void => {
    if (pending.length === 0) return;
    io.out(pending.join("\n") + "\n");
    pending.length = 0;
  };
  const write: LogWriter = (line, meta) => {
    if (meta.level === "info") {
      if (quiet) return;
      pending.push(line);
      if (pending.length >= FLUSH_LINES) flush();
      return;
    }
    if (meta.level === "error") errors++;
    flush();
    const at = meta.level === "error" ? userFrame(thrownOf(meta)) : undefined;
    io.err(`[${meta.level}] ${line}\n${at === undefined ? "" : `    at ${at}\n`}`);
  };
  return { write, flush, errors: () => errors };
}

/** What the operator threw, from an error line's meta: `meta.error`'s `cause` (an `OperatorError`'s), or `meta.error`. */
function thrownOf(meta: LogMeta): unknown {
  const error = (meta as LogMeta & { readonly error?: unknown }).error;
  const cause = (error as { cause?: unknown } | null | undefined)?.cause;
  return cause ?? error;
}

/** Whether `path` is a directory. */
function isDirectory(path: string): boolean {
  try {
    return statSync(path).isDirectory();
  } catch {
    return false;
  }
}

/** `progress: <steps> steps, <atoms> atoms, <events> events, <seconds> s` */
export function progressLine(stats: SystemStats, wallMs: number): string {
  return `progress: ${stats.steps} steps, ${stats.atoms} atoms, ${stats.events} events, ${seconds(wallMs)} s`;
}

/**
 * The summary line of a run: `done: <steps> steps, <atoms> atoms, <events> events, <seconds> s,
 * <rate> events/s`, with `stopped at --max-steps <n> (not complete)` instead of `done` when the
 * step limit ended the run, and `, <n> errors` when operators failed. The counts are the
 * system's, since the run began; after a restore they include the restored snapshot's, so the
 * line says what this process did (`(this run: <steps> steps, <events> events)`), and the rate
 * is of those events over this process's time.
 */
export function summaryLine(result: RunResult, maxSteps?: number): string {
  const { stats, wallMs } = result;
  const head = result.complete ? "done" : `stopped at --max-steps ${maxSteps ?? stats.steps} (not complete)`;
  const base = result.restored?.stats;
  const events = stats.events - (base?.events ?? 0);
  const rate = wallMs > 0 ? Math.round((events * 1000) / wallMs) : 0;
  const errors = result.errors > 0 ? `, ${result.errors} error${result.errors === 1 ? "" : "s"}` : "";
  const own = base === undefined ? "" : ` (this run: ${stats.steps - base.steps} steps, ${events} events)`;
  return `${head}: ${stats.steps} steps, ${stats.atoms} atoms, ${stats.events} events${own}, ${seconds(wallMs)} s, ${rate} events/s${errors}`;
}

function seconds(ms: number): string {
  return (ms / 1000).toFixed(3);
}
