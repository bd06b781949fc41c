/**
 * `portals serve --workers N` (docs/cluster.md, "Partitioned applications"): N worker servers
 * (`server/worker-pool.ts`) behind one address (`server/front.ts`), until the process is told to
 * stop.
 */
import { mkdirSync } from "node:fs";
import { isRuntimeName } from "../cluster/subjects.js";
import { startFront } from "../server/front.js";
import { DEPLOYMENT_LIMIT } from "../server/server.js";
import { serverToken } from "../server/token.js";
import { namedWorkers, recordWorkers, WorkerPool, workersRecord } from "../server/worker-pool.js";
import { UsageError, type CliIo } from "./io.js";
import { untilStopped, warnBeyondMachine } from "./serve.js";

/** Options of {@link serveWorkers}: `portals serve --workers N`. */
export interface WorkersServeOptions {
  /** The front's interface (the workers listen on 127.0.0.1). */
  readonly host: string;
  /** The front's port (0: any free one). */
  readonly port: number;
  /** The front's data directory (its token; the workers' directories inside). */
  readonly dataDir: string;
  /** The bearer token of mutating calls (default: the stored one, or a new one), the workers' too. */
  readonly token: string | undefined;
  /** How many workers: 1 to 64. */
  readonly workers: number;
  /** The runtime names' start: workers are `<runtime>-<i>`. */
  readonly runtime: string;
  /** The `portals serve` flags every worker gets. */
  readonly serveArgs: readonly string[];
}

/**
 * Runs N worker servers behind one address (docs/cluster.md, "Partitioned applications") until
 * the process is told to stop; then stops the workers (each takes a last checkpoint).
 *
 * @throws UsageError when the data directory ran another worker count or runtime name; Error when
 *   the data directory or token is unusable, or the port cannot be bound
 */
export async function serveWorkers(options: WorkersServeOptions, io: CliIo): Promise<void> {
  const suffix = `-${options.workers - 1}`;
  const last = `${options.runtime}${suffix}`;
  if (!isRuntimeName(last)) {
    // Checked before the data directory records the name: a start with a shorter one must be possible.
    throw new UsageError(
      `--runtime ${options.runtime} is too long for ${options.workers} workers: they run as runtimes ${options.runtime}-0 to ${last}, and a runtime name has at most 64 characters; give --runtime at most ${64 - suffix.length} characters`,
    );
  }
  mkdirSync(options.dataDir, { recursive: true, mode: 0o700 });
  keepWorkerCount(options.dataDir, options.workers, options.runtime);
  const { token, created } = serverToken(options.dataDir, options.token);
  const pool = await WorkerPool.start({
    workers: options.workers,
    runtime: options.runtime,
    dataDir: options.dataDir,
    token,
    serveArgs: options.serveArgs,
    output: (line, stream) => (stream === "out" ? io.out(`${line}\n`) : io.err(`${line}\n`)),
  });
  let front;
  try {
    front = await startFront({ host: options.host, port: options.port, pool, token, bodyLimit: DEPLOYMENT_LIMIT });
  } catch (thrown) {
    await pool.close();
    throw thrown;
  }
  const workers = pool.states.map((w) => `${w.runtime} ${w.url ?? "(starting)"}`).join(", ");
  io.out(`portals server listening on ${front.url} (data dir ${options.dataDir}; ${options.workers} worker${options.workers === 1 ? "" : "s"}: ${workers})\n`);
  warnBeyondMachine(options.host, io);
  if (created) io.out(`token for mutating calls (shown once; stored in ${options.dataDir}/token): ${token}\n`);
  await untilStopped(new Promise(() => {}));
  await front.close();
  await pool.close();
  io.err("portals server stopped\n");
}

/**
 * Records in `dataDir` how many workers, and with which runtime name, it runs, at its first
 * start; later starts must match: the workers' snapshots hold partitions of that count, which a
 * restore does not change (docs/cluster.md, "Partitioned applications").
 *
 * @throws UsageError naming both counts (or names) and the fix when they differ
 */
function keepWorkerCount(dataDir: string, workers: number, runtime: string): void {
  const before = workersRecord(dataDir);
  if (before === undefined) return recordWorkers(dataDir, { workers, runtime });
  if (before.workers !== workers || before.runtime !== runtime) {
    throw new UsageError(
      `data directory ${dataDir} runs ${namedWorkers(before.workers, before.runtime)}, and this start asks for ${workers} named ${runtime}-<i>; ` +
        `start it with --runtime ${before.runtime} --workers ${before.workers} (their snapshots hold partitions of ${before.workers}: changing the count is not supported yet), or use another --data-dir`,
    );
  }
}
