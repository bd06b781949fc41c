/**
 * The worker processes of `portals serve --workers N` (docs/cluster.md, "Partitioned
 * applications"), and what the front's data directory records of them (`workers.json`): N
 * `portals serve` processes on this machine, runtimes `<runtime>-0` to
 * `<runtime>-<N-1>` of one cluster, each with a data directory of its own under the front's
 * (`<data dir>/worker-<i>`) and the front's token. A worker that exits without being told to is
 * started again (after a pause growing from 0.5 s to 5 s while it keeps failing), and recovers its
 * partitions from its snapshots, as any restarted server does.
 */
import { spawn, type ChildProcess } from "node:child_process";
import { existsSync, mkdirSync, readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { createInterface } from "node:readline";

/** Options of {@link WorkerPool.start}. */
export interface WorkerPoolOptions {
  /** How many workers: 1 to 64. */
  readonly workers: number;
  /** The runtime name the workers' names start with (`<runtime>-<i>`). */
  readonly runtime: string;
  /** The front's data directory: workers' directories are made in it. */
  readonly dataDir: string;
  /** The bearer token every worker takes (written into each worker's directory, never on a command line). */
  readonly token: string;
  /**
   * The arguments of `portals serve` every worker gets besides its name, directory, host and port
   * (the cluster's flags, the checkpoint interval).
   */
  readonly serveArgs: readonly string[];
  /** How to run `portals`: the program and its first arguments (default: this process's Node and script). */
  readonly command?: readonly string[];
  /** Where the workers' output lines go, each prefixed with the worker's runtime name. */
  readonly output: (line: string, stream: "out" | "err") => void;
}

/** One worker, as the front sees it. */
export interface WorkerState {
  /** Its index, from 0: the partition it runs of each application the front deploys. */
  readonly index: number;
  /** Its runtime name in the cluster. */
  readonly runtime: string;
  /** Its base URL while it listens; `undefined` while it starts or restarts. */
  readonly url: string | undefined;
  /** Its process id, while it runs. */
  readonly pid: number | undefined;
  /** How many times it was started again after it exited. */
  readonly restarts: number;
}

/** What a front's data directory records of its workers (`workers.json`). */
export interface WorkersRecord {
  /** How many workers it runs. */
  readonly workers: number;
  /** The start of their runtime names, `<runtime>-<i>`. */
  readonly runtime: string;
}

/** `<count> worker(s) named <runtime>-<i>`, for messages about a front's workers. */
export function namedWorkers(count: number, runtime: string): string {
  return `${count} worker${count === 1 ? "" : "s"} named ${runtime}-<i>`;
}

/** What the data directory `dataDir` records of its workers, or `undefined` when it is not a front's. */
export function workersRecord(dataDir: string): WorkersRecord | undefined {
  const file = join(dataDir, "workers.json");
  return existsSync(file) ? (JSON.parse(readFileSync(file, "utf8")) as WorkersRecord) : undefined;
}

/** Records `record` in the front's data directory `dataDir` (which exists). */
export function recordWorkers(dataDir: string, record: WorkersRecord): void {
  writeFileSync(join(dataDir, "workers.json"), JSON.stringify(record) + "\n", { mode: 0o600 });
}

/** Most workers a front starts. */
export const MAX_WORKERS = 64;
/** First and longest pause before a worker that exited is started again, in milliseconds. */
const RESTART_MS = 500;
const MAX_RESTART_MS = 5000;
/** How many times a worker that never listened is started while the pool starts, before the start fails. */
const START_ATTEMPTS = 3;
/** A worker that ran this long before it exited starts again after the first pause. */
const STEADY_MS = 30_000;
/** How long a worker may take to stop on SIGTERM (its last checkpoint) before it is killed. */
const STOP_MS = 10_000;

interface Worker {
  /** Set once it listened: a worker that never did and keeps exiting stops the start. */
  listened: boolean;
  /** The last error line it wrote, for the message when it cannot start. */
  lastError: string | undefined;
  index: number;
  runtime: string;
  dir: string;
  url: string | undefined;
  child: ChildProcess | undefined;
  restarts: number;
  failures: number;
  started: number;
  timer: NodeJS.Timeout | undefined;
}

/** See the module header. */
export class WorkerPool {
  private readonly workers: Worker[];
  private closing = false;
  private readonly listening = new Set<() => void>();

  private constructor(private readonly options: WorkerPoolOptions) {
    this.workers = Array.from({ length: options.workers }, (_, index) => {
      const runtime = `${options.runtime}-${index}`;
      return { listened: false, lastError: undefined, index, runtime, dir: join(options.dataDir, `worker-${index}`), url: undefined, child: undefined, restarts: 0, failures: 0, started: 0, timer: undefined };
    });
  }

  /**
   * Starts the workers; resolves once each listens (or `timeoutMs` passed: they go on starting).
   *
   * @throws RangeError for a worker count outside 1 to {@link MAX_WORKERS}; Error with its last
   *   error line when a worker exited {@link START_ATTEMPTS} times without ever listening (its
   *   name is held by another data directory, NATS has no JetStream, …: what a server alone
   *   exits with), after stopping the others
   */
  static async start(options: WorkerPoolOptions, timeoutMs = 60_000): Promise<WorkerPool> {
    if (!Number.isInteger(options.workers) || options.workers < 1 || options.workers > MAX_WORKERS) {
      throw new RangeError(`--workers ${options.workers}: give 1 to ${MAX_WORKERS} worker processes`);
    }
    const pool = new WorkerPool(options);
    const failed = new Promise<Worker>((resolve) => (pool.cannotStart = resolve));
    for (const w of pool.workers) pool.spawn(w);
    const worker = await Promise.race([pool.allListening(timeoutMs).then(() => undefined), failed]);
    if (worker !== undefined) {
      await pool.close();
      throw new Error(`worker ${worker.runtime} cannot start (it exited ${START_ATTEMPTS} times without listening): ${worker.lastError ?? "see its lines above"}`);
    }
    pool.cannotStart = undefined;
    return pool;
  }

  /** Told of a worker that keeps exiting before it ever listened, while the pool starts. */
  private cannotStart: ((worker: Worker) => void) | undefined;

  /** The workers, by index. */
  get states(): WorkerState[] {
    return this.workers.map((w) => ({ index: w.index, runtime: w.runtime, url: w.url, pid: w.child?.pid, restarts: w.restarts }));
  }

  /** Resolves once every worker listens, or after `timeoutMs`. */
  allListening(timeoutMs: number): Promise<void> {
    return new Promise((resolve) => {
      const check = (): void => {
        if (this.workers.every((w) => w.url !== undefined)) done();
      };
      // Unref'd: a start that failed otherwise must not wait for it to exit.
      const timer = setTimeout(() => done(), timeoutMs).unref();
      const done = (): void => {
        clearTimeout(timer);
        this.listening.delete(check);
        resolve();
      };
      this.listening.add(check);
      check();
    });
  }

  /** Stops every worker (SIGTERM: each takes a last checkpoint; SIGKILL after 10 s); resolves once all exited. */
  async close(): Promise<void> {
    this.closing = true;
    await Promise.all(
      this.workers.map(async (w) => {
        clearTimeout(w.timer);
        const child = w.child;
        if (child === undefined || child.exitCode !== null || child.signalCode !== null) return;
        const exited = new Promise<void>((resolve) => child.once("exit", () => resolve()));
        child.kill("SIGTERM");
        const kill = setTimeout(() => child.kill("SIGKILL"), STOP_MS);
        await exited;
        clearTimeout(kill);
      }),
    );
  }

  private spawn(w: Worker): void {
    // The front's token, so one token serves the front and every worker.
    mkdirSync(w.dir, { recursive: true, mode: 0o700 });
    writeFileSync(join(w.dir, "token"), this.options.token + "\n", { mode: 0o600 });
    const [program, ...first] = this.options.command ?? [process.execPath, ...process.execArgv, process.argv[1]!];
    const args = [...first, "serve", ...this.options.serveArgs, "--runtime", w.runtime, "--data-dir", w.dir, "--host", "127.0.0.1", "--port", "0"];
    // The IPC channel is never used for messages: its closing tells the worker the front is gone (`cli/serve.ts`).
    const child = spawn(program!, args, { stdio: ["ignore", "pipe", "pipe", "ipc"] });
    child.channel?.unref();
    w.child = child;
    w.started = Date.now();
    for (const [stream, name] of [[child.stdout!, "out"], [child.stderr!, "err"]] as const) {
      createInterface({ input: stream }).on("line", (line) => {
        const listening = /^portals server listening on (http:\/\/\S+)(.*)$/.exec(line);
        if (name === "err" && line.startsWith("portals: error: ")) w.lastError = line.slice("portals: error: ".length);
        if (listening !== null && name === "out") {
          w.listened = true;
          w.url = listening[1]!;
          for (const l of [...this.listening]) l();
          // Said otherwise: the front's own line is the one that says where the server listens.
          this.options.output(`[${w.runtime}] worker ${w.index} serving at ${w.url}${listening[2]}`, name);
          return;
        }
        this.options.output(`[${w.runtime}] ${line}`, name);
      });
    }
    child.once("exit", (code, signal) => {
      w.url = undefined;
      w.child = undefined;
      if (this.closing) return;
      w.failures = Date.now() - w.started > STEADY_MS ? 0 : w.failures + 1;
      if (!w.listened && w.failures >= START_ATTEMPTS && this.cannotStart !== undefined) return this.cannotStart(w);
      const pause = Math.min(MAX_RESTART_MS, RESTART_MS * 2 ** Math.max(0, w.failures - 1));
      this.options.output(`[${w.runtime}] exited (${signal ?? `code ${code}`}); starting it again in ${pause} ms`, "err");
      w.timer = setTimeout(() => {
        if (this.closing) return;
        w.restarts++;
        this.spawn(w);
      }, pause);
    });
  }
}
