/**
 * `portals serve`: starts a server (docs/live.md, "The server") and runs it until SIGINT or
 * SIGTERM, then closes it (a last checkpoint). A SIGKILL loses nothing a client was told: the
 * next start restores the newest checkpoint. A runtime of a cluster whose name another data
 * directory holds, or took over, stops too, with an error (docs/cluster.md, "Identity"): serving
 * on would take calls the cluster never sees.
 */
import { existsSync, mkdirSync, readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { startFront } from "../server/front.js";
import { DEPLOYMENT_LIMIT, startServer, type ServerOptions } from "../server/server.js";
import { serverToken } from "../server/token.js";
import { WorkerPool } from "../server/worker-pool.js";
import { UsageError, type CliIo } from "./io.js";

/**
 * Serves until the process is told to stop; resolves then.
 *
 * @throws UsageError when the data directory is a `--workers` front's; Error as `startServer` (a bad token, a port in use, a data directory that does not
 *   fit, a runtime name another data directory holds); the reason, after closing, when the
 *   runtime's name was taken over while it served
 */
export async function serve(options: ServerOptions, io: CliIo): Promise<void> {
  // Deployed modules run in this process: one that throws from a timer or rejects a promise
  // nobody awaits must not stop the server (and, re-imported at every start, stop it again).
  const report = (what: string) => (thrown: unknown) => io.err(`[error] ${what} in deployed code, the server goes on: ${(thrown as Error)?.stack ?? String(thrown)}\n`);
  process.on("uncaughtException", report("uncaught exception"));
  process.on("unhandledRejection", report("unhandled rejection"));
  const workers = join(options.dataDir, "workers.json");
  if (existsSync(workers)) {
    const { workers: count, runtime } = JSON.parse(readFileSync(workers, "utf8")) as { workers: number; runtime: string };
    throw new UsageError(`data directory ${options.dataDir} is the front of ${count} workers named ${runtime}-<i> (its workers.json): start it with --runtime ${runtime} --workers ${count}, or use another --data-dir`);
  }
  const server = await startServer(options);
  const cluster = options.cluster === undefined ? "" : `, runtime ${options.cluster.runtime} of the cluster at ${options.cluster.servers}`;
  io.out(`portals server listening on ${server.url} (data dir ${options.dataDir}${cluster}${server.restored === undefined ? "" : `, restored snapshot ${server.restored}`})\n`);
  warnBeyondMachine(options.host ?? "127.0.0.1", io);
  if (server.tokenCreated) {
    io.out(`token for mutating calls (shown once; stored in ${options.dataDir}/token): ${server.token}\n`);
  }
  const fenced = await untilStopped(server.fenced);
  await server.close();
  if (fenced !== undefined) throw fenced;
  io.err("portals server stopped\n");
}

/** Options of {@link serveWorkers}: `portals serve --workers N`. */
export interface WorkersServeOptions {
  readonly host: string;
  readonly port: number;
  /** The front's data directory (its token; the workers' directories inside). */
  readonly dataDir: string;
  readonly token: string | undefined;
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
  io.out(`portals server listening on ${front.url} (data dir ${options.dataDir}; ${options.workers} workers: ${workers})\n`);
  warnBeyondMachine(options.host, io);
  if (created) io.out(`token for mutating calls (shown once; stored in ${options.dataDir}/token): ${token}\n`);
  await untilStopped(new Promise(() => {}));
  await front.close();
  await pool.close();
  io.err("portals server stopped\n");
}

/**
 * Records in `dataDir` (`workers.json`) how many workers, and with which runtime name, it runs,
 * at its first start; later starts must match: the workers' snapshots hold partitions of that
 * count, which a restore does not change (docs/cluster.md, "Partitioned applications").
 *
 * @throws UsageError naming both counts (or names) and the fix when they differ
 */
function keepWorkerCount(dataDir: string, workers: number, runtime: string): void {
  const file = join(dataDir, "workers.json");
  if (!existsSync(file)) {
    writeFileSync(file, JSON.stringify({ workers, runtime }) + "\n", { mode: 0o600 });
    return;
  }
  const before = JSON.parse(readFileSync(file, "utf8")) as { workers: number; runtime: string };
  if (before.workers !== workers || before.runtime !== runtime) {
    throw new UsageError(
      `data directory ${dataDir} runs ${before.workers} workers named ${before.runtime}-<i>, and this start asks for ${workers} named ${runtime}-<i>; ` +
        `start it with --runtime ${before.runtime} --workers ${before.workers} (their snapshots hold partitions of ${before.workers}: changing the count is not supported yet), or use another --data-dir`,
    );
  }
}

/**
 * Resolves on SIGINT or SIGTERM (with nothing), or with what `fenced` resolves with. A worker of
 * `--workers` (started with an IPC channel, `worker-pool.ts`) stops likewise when its front is
 * gone, even by SIGKILL: the channel closes, and a worker left running would hold its data
 * directory when the front starts it again.
 */
function untilStopped(fenced: Promise<Error>): Promise<Error | undefined> {
  return new Promise<Error | undefined>((resolve) => {
    const stop = (reason?: Error): void => {
      process.off("SIGINT", signalled);
      process.off("SIGTERM", signalled);
      process.off("disconnect", signalled);
      resolve(reason);
    };
    const signalled = (): void => stop();
    process.on("SIGINT", signalled);
    process.on("SIGTERM", signalled);
    if (process.channel !== undefined) {
      process.on("disconnect", signalled);
      // The channel alone must not keep a stopped worker's process alive.
      process.channel.unref();
    }
    void fenced.then(stop);
  });
}

/** Says that reads need no token when the server listens beyond this machine. */
function warnBeyondMachine(host: string, io: CliIo): void {
  if (!(host === "localhost" || host === "::1" || host.startsWith("127."))) {
    io.err(`[warn] listening on ${host}, beyond this machine: reads (apps, metrics, and tails of every stream) need no token, so whoever reaches ${host} can read them\n`);
  }
}
