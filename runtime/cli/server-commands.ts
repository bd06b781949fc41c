/**
 * The commands of `portals` that run or call a server (docs/live.md):
 *
 *   portals serve [--host 127.0.0.1] [--port 8080] [--data-dir .portals] [--token T] [--cors-origin O]...
 *                 [--nats URL --runtime NAME [--nats-domain D] [--nats-replicas N] [--take-over-runtime]
 *                  [--nats-max-age-ms N] [--nats-max-bytes N] [--workers N]]
 *   portals deploy <module.ts|.js> [--drain] [--partition I/N]
 *   portals apps
 *   portals cluster
 *   portals stop <app>
 *   portals ask <app>/<portal> '<json>' [--idempotency-key K] [--timeout-ms N]
 *   portals send <app>/<stream> '<json array>' [--idempotency-key K]
 *   portals tail <stream path>
 *   portals sql --table /<app>/portals/<table> [-e "<statements>"]   (sql-shell.ts)
 *
 * The client commands take `--server URL` (or `PORTALS_SERVER`) and `--token T` (or
 * `PORTALS_TOKEN`), print the answer as JSON (`sql` as tables, as psql does), and exit 1 with the server's message when it
 * refuses a call.
 */
import { InvalidArgumentError, type Command } from "commander";
import { MAX_AGE_MS, serversProblem } from "../cluster/nats.js";
import { isRuntimeName } from "../cluster/subjects.js";
import { parsePartition, showPartition, type Partition } from "../core/partition.js";
import { BODY_LIMIT, type ServerOptions } from "../server/server.js";
import { usableToken } from "../server/token.js";
import { call, idempotencyHeader, parseJson, serverAddress, tail, target } from "./client.js";
import { bundleModule } from "./deploy.js";
import type { CliIo } from "./io.js";
import { UsageError } from "./io.js";
import { serve } from "./serve.js";
import { serveWorkers } from "./serve-workers.js";
import { MAX_WORKERS } from "../server/worker-pool.js";
import { sqlCommand, type SqlFlags } from "./sql-shell.js";

interface ServeFlags {
  host: string;
  port: number;
  dataDir: string;
  token?: string;
  checkpointIntervalMs: number;
  idempotencyRetentionMs: number;
  nats?: string;
  runtime?: string;
  natsDomain?: string;
  natsReplicas?: number;
  natsMaxAgeMs?: number;
  natsMaxBytes?: number;
  takeOverRuntime?: true;
  corsOrigin: string[];
  workers?: number;
}

interface ClientFlags {
  server?: string;
  token?: string;
}

/** Adds the server commands to `program`; their output goes to `io`. */
export function addServerCommands(program: Command, io: CliIo): void {
  program
    .command("serve")
    .description("run a Portals server: deploy, launch, query and feed applications over HTTP while others run (stop with Ctrl-C)")
    .option("--host <host>", "interface to listen on; the default serves this machine only", "127.0.0.1")
    .option("--port <port>", "port to listen on (0: any free port)", port, 8080)
    .option("--data-dir <dir>", "directory of snapshots, deployments and the token (created if missing)", ".portals")
    .option("--token <token>", "bearer token of mutating calls (default: stored in the data dir, generated and printed at the first start)", token)
    .option("--checkpoint-interval-ms <n>", "longest time between checkpoints while anything runs", positive, 1000)
    .option("--idempotency-retention-ms <n>", "how long the answer of an ask with an idempotency key is kept for retries", positive, 86_400_000)
    .option(
      "--nats <url>",
      "join the cluster of this NATS server (nats://host:port, several separated by commas; JetStream enabled): applications use the streams, sequencers, splitters and portals of applications on other runtimes, and asks are forwarded to the runtime that runs the application (docs/cluster.md). The server starts also while it cannot be reached",
      natsServers,
    )
    .option("--runtime <name>", "this runtime's name in the cluster (with --nats): letters, digits, _ and -; keep it across restarts", runtimeName)
    .option("--nats-domain <domain>", "the JetStream domain of the cluster, when --nats is a leaf node of the cloud's server (an edge runtime; examples/edge)")
    .option("--nats-replicas <n>", "how many servers of a JetStream cluster keep each stream and the directory this runtime creates (1 to 5; 3 survives the loss of one server)", replicaCount)
    .option("--nats-max-age-ms <n>", "remove atoms older than this from each stream this runtime publishes on JetStream, read or not (default: keep them); a reader away longer loses them, and its log says so (docs/cluster.md, \"Retention\")", maxAge)
    .option("--nats-max-bytes <n>", "keep at most this many bytes of each stream this runtime publishes on JetStream, the oldest atoms removed first (default: no limit)", positive)
    .option("--cors-origin <origin>", "let web pages of this origin call the server from a browser (e.g. the playground's http://127.0.0.1:5173); repeat for more; calls that change something still need the token", corsOrigin, [])
    .option("--take-over-runtime", "take the --runtime name even when another data directory holds it (that machine is gone for good); the process that held it stops publishing")
    .option(
      "--workers <n>",
      "run N worker processes, runtimes <runtime>-0 to <runtime>-<N-1> of the cluster (data dirs <data-dir>/worker-<i>), behind this server's address: a deployment runs as N partitions, partition i on worker i, and a worker that exits is started again (docs/cluster.md, \"Partitioned applications\")",
      workerCount,
    )
    .action(async (flags: ServeFlags) => {
      const clusterFlags = [
        [flags.natsDomain, "--nats-domain"],
        [flags.natsReplicas, "--nats-replicas"],
        [flags.natsMaxAgeMs, "--nats-max-age-ms"],
        [flags.natsMaxBytes, "--nats-max-bytes"],
        [flags.takeOverRuntime, "--take-over-runtime"],
      ] as const;
      for (const [given, flag] of clusterFlags) {
        if (given !== undefined && flags.nats === undefined) throw new UsageError(`${flag} is about a cluster: give the cluster's NATS server with --nats <url> too`);
      }
      if ((flags.nats === undefined) !== (flags.runtime === undefined)) {
        throw new UsageError(flags.nats === undefined ? "--runtime names this runtime in a cluster: give the cluster's NATS server with --nats <url> too" : "--nats joins a cluster: name this runtime with --runtime <name> too (the same at every restart)");
      }
      if (flags.workers !== undefined) {
        if (flags.nats === undefined) throw new UsageError("--workers runs the workers as runtimes of a cluster: give its NATS server with --nats <url> and a name with --runtime <name>");
        if (flags.corsOrigin.length > 0) throw new UsageError("--cors-origin is not taken with --workers yet: serve the page's calls from a server without workers");
        await serveWorkers({ host: flags.host, port: flags.port, dataDir: flags.dataDir, token: flags.token, workers: flags.workers, runtime: flags.runtime!, serveArgs: workerArgs(flags) }, io);
        return;
      }
      await serve(
        {
          host: flags.host,
          port: flags.port,
          dataDir: flags.dataDir,
          checkpointIntervalMs: flags.checkpointIntervalMs,
          idempotencyRetentionMs: flags.idempotencyRetentionMs,
          bodyLimit: BODY_LIMIT,
          corsOrigins: flags.corsOrigin,
          ...(flags.token !== undefined ? { token: flags.token } : {}),
          ...(flags.nats !== undefined ? { cluster: clusterOptions(flags) } : {}),
        },
        io,
      );
    });

  client(
    program
      .command("deploy")
      .description(
        "bundle a module (its async operators compiled) and deploy it: the server launches the applications it default-exports, or upgrades the running ones of those names to this code",
      ),
  )
    .argument("<module>", "a .ts or .js module whose default export is an application or an array of them")
    .option("--drain", "an upgrade whose changed operators have parked continuations holds the sources until they are done, instead of being refused")
    .option("--partition <index/count>", "launch the applications as this partition of a partitioned application, e.g. 0/2 on one runtime and 1/2 on another (a server in a cluster; docs/cluster.md, \"Partitioned applications\")", partitionFlag)
    .action(async (module: string, flags: ClientFlags & { drain?: boolean; partition?: Partition }) => {
      const { code, warnings } = await bundleModule(module);
      for (const w of warnings) io.err(`portals: warning: ${w}\n`);
      // "/" may stand in a query as it is (RFC 3986): the path in messages reads as typed.
      const query = [...(flags.drain === true ? ["drain=true"] : []), ...(flags.partition !== undefined ? [`partition=${showPartition(flags.partition)}`] : [])].join("&");
      const path = query === "" ? "/v1/deployments" : `/v1/deployments?${query}`;
      const result = (await call(serverAddress(flags), "POST", path, { javascript: code })) as {
        deployment: number;
        apps?: { name: string }[];
        upgraded?: string[];
        changed?: string[];
        partitions?: { partition: string; runtime: string; did: "launched" | "upgraded" }[];
      };
      const launchedToo = (result.partitions ?? []).filter((p) => p.did === "launched");
      if (result.upgraded !== undefined) {
        const changed = result.changed!.length > 0 ? ` (code changed: ${result.changed!.join(", ")})` : " (compiled operators unchanged)";
        const rest = launchedToo.length === 0 ? "" : `; launched partition${launchedToo.length === 1 ? "" : "s"} ${launchedToo.map((p) => `${p.partition} on ${p.runtime}`).join(", ")}`;
        io.out(`deployment ${result.deployment} upgraded ${result.upgraded.join(", ")}${changed}${rest}\n`);
      } else {
        const partitions = result.partitions === undefined ? (flags.partition === undefined ? "" : ` as partition ${showPartition(flags.partition)}`) : ` as ${result.partitions.length} partitions (${result.partitions.map((p) => `${p.partition} on ${p.runtime}`).join(", ")})`;
        io.out(`deployment ${result.deployment} launched ${result.apps!.map((a) => a.name).join(", ")}${partitions}\n`);
      }
    });

  client(program.command("apps").description("list the applications a server runs")).action(async (flags: ClientFlags) => {
    const { apps } = (await call(serverAddress(flags), "GET", "/v1/apps")) as { apps: unknown[] };
    io.out(JSON.stringify(apps, null, 2) + "\n");
  });

  client(program.command("cluster").description("list every application of the server's cluster, with the runtime that runs it and its code version")).action(async (flags: ClientFlags) => {
    io.out(JSON.stringify(await call(serverAddress(flags), "GET", "/v1/cluster"), null, 2) + "\n");
  });

  client(program.command("stop").description("stop a running application: its output streams end, its portals and ingestion streams take no more calls"))
    .argument("<app>", "the application's name")
    .action(async (name: string, flags: ClientFlags) => {
      if (!/^[\w.-]+$/.test(name)) throw new UsageError(`application ${JSON.stringify(name)}: give its name, e.g. cart`);
      await call(serverAddress(flags), "DELETE", `/v1/apps/${name}`);
      io.out(`stopped ${name}\n`);
    });

  client(program.command("ask").description("ask a portal of a running application and print the reply as JSON"))
    .argument("<portal>", "<app>/<portal>")
    .argument("<request>", "the request as JSON")
    .option("--idempotency-key <key>", "asks with the same key are done once; a retry prints the first answer")
    .option("--timeout-ms <n>", "how long the server waits for the reply", positive)
    .action(async (portal: string, request: string, flags: ClientFlags & { idempotencyKey?: string; timeoutMs?: number }) => {
      const { app, name } = usage(() => target(portal, "portal"));
      const body = usage(() => parseJson(request, "the request is", '{"item":"apple"}'));
      const query = flags.timeoutMs === undefined ? "" : `?timeoutMs=${flags.timeoutMs}`;
      const headers = idempotencyHeader(flags.idempotencyKey);
      const answer = (await call(serverAddress(flags), "POST", `/v1/portals/${app}/${name}${query}`, { json: body }, headers)) as { reply: unknown };
      io.out(JSON.stringify(answer.reply) + "\n");
    });

  client(program.command("send").description("send events to an ingestion stream (app.generators.http) as one atom"))
    .argument("<stream>", "<app>/<stream>")
    .argument("<events>", "a JSON array of events")
    .option("--idempotency-key <key>", "a retry with the same key appends nothing")
    .action(async (stream: string, events: string, flags: ClientFlags & { idempotencyKey?: string }) => {
      const { app, name } = usage(() => target(stream, "stream"));
      const body = usage(() => parseJson(events, "the events are", '[{"item":"apple"}]'));
      if (!Array.isArray(body)) throw new UsageError("the events must be a JSON array (they are sent as one atom), e.g. '[1, 2]'");
      const headers = idempotencyHeader(flags.idempotencyKey);
      io.out(JSON.stringify(await call(serverAddress(flags), "POST", `/v1/streams/${app}/${name}`, { json: body }, headers)) + "\n");
    });

  client(
    program
      .command("sql")
      .description("run SQL statements on a table of portals-ts/sql, in one session: those of -e, else at a prompt (or those on standard input when it is not a terminal)"),
  )
    .option("--table <path>", "the table's query portal, /<app>/portals/<table> (default: PORTALS_SQL_TABLE)")
    .option("-e, --execute <statements>", "run these statements (separated by ;) in order and exit; exit 1 at the first that fails")
    .action(async (flags: SqlFlags) => {
      await sqlCommand(flags, io);
    });

  client(program.command("tail").description("print the events of a stream as JSON lines, from now on, until it ends (Ctrl-C to stop)"))
    .argument("<stream>", "the stream's path, e.g. /cart/workflows/cart/stream")
    .action(async (stream: string, flags: ClientFlags) => {
      const path = stream.startsWith("/") ? stream : `/${stream}`;
      for await (const event of tail(serverAddress(flags), path)) io.out(event + "\n");
    });
}

/** The options every client command takes. */
function client(command: Command): Command {
  return command
    .option("--server <url>", "the server (default: PORTALS_SERVER, else http://127.0.0.1:8080)")
    .option("--token <token>", "bearer token of mutating calls (default: PORTALS_TOKEN)");
}

/** Runs `parse`, turning what it throws into a usage error (exit 2). */
function usage<T>(parse: () => T): T {
  try {
    return parse();
  } catch (thrown) {
    throw new UsageError((thrown as Error).message);
  }
}

/** Commander collector of `--cors-origin` values: each an origin (`scheme://host[:port]`, no path). */
function corsOrigin(value: string, previous: string[]): string[] {
  let url: URL;
  try {
    url = new URL(value);
  } catch {
    throw new InvalidArgumentError("expected an origin such as http://127.0.0.1:5173.");
  }
  if (!/^https?:$/.test(url.protocol) || url.origin !== value.replace(/\/$/, "")) throw new InvalidArgumentError(`expected an origin (scheme://host[:port], no path), such as ${url.origin}.`);
  return [...previous, url.origin];
}

/** Commander parser of a `--port` value: 0 to 65535. */
export function port(value: string): number {
  const n = Number(value);
  if (!/^\d+$/.test(value) || n > 65535) throw new InvalidArgumentError("expected a port number from 0 to 65535.");
  return n;
}

function token(value: string): string {
  // Checked here too, so a bad flag is a usage error and leaves no data directory behind.
  if (!usableToken(value)) throw new InvalidArgumentError("a token has at least 16 characters and no white space.");
  return value;
}

function positive(value: string): number {
  const n = Number(value);
  if (!/^\d+$/.test(value) || n < 1 || !Number.isSafeInteger(n)) throw new InvalidArgumentError("expected a positive integer.");
  return n;
}

function natsServers(value: string): string {
  const problem = serversProblem(value);
  if (problem !== undefined) throw new InvalidArgumentError(`${problem}.`);
  return value;
}

/** The cluster options of `portals serve` (its flags were checked: `--nats` and `--runtime` are both given). */
function clusterOptions(flags: ServeFlags): NonNullable<ServerOptions["cluster"]> {
  return {
    servers: flags.nats!,
    runtime: flags.runtime!,
    ...(flags.natsDomain !== undefined ? { domain: flags.natsDomain } : {}),
    ...(flags.natsReplicas !== undefined ? { replicas: flags.natsReplicas } : {}),
    ...(flags.takeOverRuntime === true ? { takeOver: true } : {}),
    ...(flags.natsMaxAgeMs !== undefined || flags.natsMaxBytes !== undefined
      ? { retention: { ...(flags.natsMaxAgeMs !== undefined ? { maxAgeMs: flags.natsMaxAgeMs } : {}), ...(flags.natsMaxBytes !== undefined ? { maxBytes: flags.natsMaxBytes } : {}) } }
      : {}),
  };
}

/** The flags of `portals serve` every worker of `--workers` gets (all but its name, directory, address and token). */
function workerArgs(flags: ServeFlags): string[] {
  const args = ["--nats", flags.nats!, "--checkpoint-interval-ms", String(flags.checkpointIntervalMs), "--idempotency-retention-ms", String(flags.idempotencyRetentionMs)];
  if (flags.natsDomain !== undefined) args.push("--nats-domain", flags.natsDomain);
  if (flags.natsReplicas !== undefined) args.push("--nats-replicas", String(flags.natsReplicas));
  if (flags.natsMaxAgeMs !== undefined) args.push("--nats-max-age-ms", String(flags.natsMaxAgeMs));
  if (flags.natsMaxBytes !== undefined) args.push("--nats-max-bytes", String(flags.natsMaxBytes));
  if (flags.takeOverRuntime === true) args.push("--take-over-runtime");
  return args;
}

function workerCount(value: string): number {
  const n = Number(value);
  if (!/^\d+$/.test(value) || n < 1 || n > MAX_WORKERS) throw new InvalidArgumentError(`give 1 to ${MAX_WORKERS} worker processes.`);
  return n;
}

function maxAge(value: string): number {
  const n = positive(value);
  if (n > MAX_AGE_MS) throw new InvalidArgumentError(`JetStream takes an age of at most ${MAX_AGE_MS} ms.`);
  return n;
}

function replicaCount(value: string): number {
  const n = Number(value);
  if (!/^[1-5]$/.test(value)) throw new InvalidArgumentError("JetStream keeps a stream on 1 to 5 servers.");
  return n;
}

function partitionFlag(value: string): Partition {
  try {
    return parsePartition(value);
  } catch (thrown) {
    throw new InvalidArgumentError(`${(thrown as Error).message}.`);
  }
}

function runtimeName(value: string): string {
  if (!isRuntimeName(value)) throw new InvalidArgumentError("a runtime name is 1 to 64 letters, digits, _ or -.");
  return value;
}
