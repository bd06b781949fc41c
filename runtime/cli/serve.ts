/**
 * `portals serve`: starts a server (docs/live.md, "The server") and runs it until SIGINT or
 * SIGTERM, then closes it (a last checkpoint). A SIGKILL loses nothing a client was told: the
 * next start restores the newest checkpoint.
 */
import { startServer, type ServerOptions } from "../server/server.js";
import type { CliIo } from "./io.js";

/**
 * Serves until the process is told to stop; resolves then.
 *
 * @throws Error as `startServer` (a bad token, a port in use, a data directory that does not fit)
 */
export async function serve(options: ServerOptions, io: CliIo): Promise<void> {
  // Deployed modules run in this process: one that throws from a timer or rejects a promise
  // nobody awaits must not stop the server (and, re-imported at every start, stop it again).
  const report = (what: string) => (thrown: unknown) => io.err(`[error] ${what} in deployed code, the server goes on: ${(thrown as Error)?.stack ?? String(thrown)}\n`);
  process.on("uncaughtException", report("uncaught exception"));
  process.on("unhandledRejection", report("unhandled rejection"));
  const server = await startServer(options);
  io.out(`portals server listening on ${server.url} (data dir ${options.dataDir}${server.restored === undefined ? "" : `, restored snapshot ${server.restored}`})\n`);
  const host = options.host ?? "127.0.0.1";
  if (!(host === "localhost" || host === "::1" || host.startsWith("127."))) {
    io.err(`[warn] listening on ${host}, beyond this machine: reads (apps, metrics, and tails of every stream) need no token, so whoever reaches ${host} can read them\n`);
  }
  if (server.tokenCreated) {
    io.out(`token for mutating calls (shown once; stored in ${options.dataDir}/token): ${server.token}\n`);
  }
  await new Promise<void>((resolve) => {
    const stop = (): void => {
      process.off("SIGINT", stop);
      process.off("SIGTERM", stop);
      resolve();
    };
    process.on("SIGINT", stop);
    process.on("SIGTERM", stop);
  });
  await server.close();
  io.err("portals server stopped\n");
}
