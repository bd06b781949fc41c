/**
 * `portals serve`: starts a server (docs/live.md, "The server") and runs it until SIGINT or
 * SIGTERM, then closes it (a last checkpoint). A SIGKILL loses nothing a client was told: the
 * next start restores the newest checkpoint. A runtime of a cluster whose name another data
 * directory holds, or took over, stops too, with an error (docs/cluster.md, "Identity"): serving
 * on would take calls the cluster never sees.
 */
import { startServer, type ServerOptions } from "../server/server.js";
import { namedWorkers, workersRecord } from "../server/worker-pool.js";
import { UsageError, type CliIo } from "./io.js";

/**
 * Serves until the process is told to stop; resolves then.
 *
 * @throws UsageError when the data directory is a `--workers` front's; Error as `startServer` (a
 *   bad token, a port in use, a data directory that does not fit, a runtime name another data
 *   directory holds); the reason, after closing, when the runtime's name was taken over while it
 *   served
 */
export async function serve(options: ServerOptions, io: CliIo): Promise<void> {
  const front = workersRecord(options.dataDir);
  if (front !== undefined) {
    throw new UsageError(`data directory ${options.dataDir} is the front of ${namedWorkers(front.workers, front.runtime)} (its workers.json): start it with --runtime ${front.runtime} --workers ${front.workers}, or use another --data-dir`);
  }
  // Deployed modules run in this process: one that throws from a timer or rejects a promise
  // nobody awaits must not stop the server (and, re-imported at every start, stop it again).
  const report = (what: string) => (thrown: unknown) => io.err(`[error] ${what} in deployed code, the server goes on: ${(thrown as Error)?.stack ?? String(thrown)}\n`);
  process.on("uncaughtException", report("uncaught exception"));
  process.on("unhandledRejection", report("unhandled rejection"));
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

/**
 * Resolves on SIGINT or SIGTERM (with nothing), or with what `fenced` resolves with. A worker of
 * `--workers` (started with an IPC channel, `worker-pool.ts`) stops likewise when its front is
 * gone, even by SIGKILL: the channel closes, and a worker left running would hold its data
 * directory when the front starts it again.
 */
export function untilStopped(fenced: Promise<Error>): Promise<Error | undefined> {
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

/** Says on stderr that reads need no token when a server listens on `host`, beyond this machine. */
export function warnBeyondMachine(host: string, io: CliIo): void {
  if (!(host === "localhost" || host === "::1" || host.startsWith("127."))) {
    io.err(`[warn] listening on ${host}, beyond this machine: reads (apps, metrics, and tails of every stream) need no token, so whoever reaches ${host} can read them\n`);
  }
}
