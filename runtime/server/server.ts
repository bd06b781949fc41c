/**
 * `portals serve`: a live system behind HTTP (docs/live.md, "The server"), on Fastify (the
 * maintained Node framework with JSON-schema validation of every input, body limits, and the
 * OpenAPI document generated from the same schemas by @fastify/swagger). It binds 127.0.0.1 by
 * default; mutating calls need `Authorization: Bearer <token>`; every error is
 * `{ "error": "…" }` with a fitting status, and nothing a client sends can stop the server.
 */
import { chmodSync, existsSync, mkdirSync, rmSync, statSync } from "node:fs";
import { join } from "node:path";
import Fastify, { type FastifyInstance, type FastifyReply } from "fastify";
import cors from "@fastify/cors";
import swagger from "@fastify/swagger";
import secureJson from "secure-json-parse";
import type { LogWriter } from "../core/log.js";
import type { Application } from "../api/application.js";
import { SnapshotError } from "../state/snapshot-format.js";
import { joinCluster, type ClusterLink, type ClusterOptions } from "../cluster/cluster-link.js";
import { Systems } from "../system/node-systems.js";
import type { LiveSystem } from "../system/live-system.js";
import { Deployments } from "./deployments.js";
import { ServerMetrics } from "./metrics.js";
import { AUTH_PATH, BUNDLE_TYPE, registerRoutes } from "./routes.js";
import { authorized, serverToken } from "./token.js";

/** Options of {@link startServer}. */
export interface ServerOptions {
  /** Interface to listen on (default `127.0.0.1`: this machine only). */
  readonly host?: string;
  /** Port (default 8080; 0 for any free one). */
  readonly port?: number;
  /** Directory of snapshots, deployments and the token (created if missing). */
  readonly dataDir: string;
  /** Bearer token of mutating calls (at least 16 characters); default: the stored one, or a new one. */
  readonly token?: string;
  /** Longest time between checkpoints while anything runs (milliseconds; default 1,000). */
  readonly checkpointIntervalMs?: number;
  /** How long answers of asks with an idempotency key are kept, in milliseconds (default 24 hours). */
  readonly idempotencyRetentionMs?: number;
  /** Largest JSON body, in bytes (default 1 MiB). */
  readonly bodyLimit?: number;
  /** Largest deployment bundle, in bytes (default 16 MiB). */
  readonly deploymentLimit?: number;
  /** Where the applications' log lines go (default: stdout and stderr). */
  readonly log?: LogWriter;
  /**
   * Origins of web pages that may call the server from a browser (CORS), e.g. the playground's
   * `http://127.0.0.1:5173`; default none. Calls that change something still need the token.
   */
  readonly corsOrigins?: readonly string[];
  /**
   * Join the cluster of a NATS server as a named runtime (docs/cluster.md); default: run alone.
   * `replicas`, `takeOver` and `retention` are those of `joinCluster`.
   */
  readonly cluster?: Pick<ClusterOptions, "servers" | "runtime" | "domain" | "replicas" | "takeOver" | "retention">;
}

/** A running server. */
export interface RunningServer {
  /** Its base URL, e.g. `http://127.0.0.1:8080`. */
  readonly url: string;
  /** The bearer token of mutating calls. */
  readonly token: string;
  /** True when the token was generated at this start (print it, once). */
  readonly tokenCreated: boolean;
  /** Snapshot id restored at start, or `undefined` when it started afresh. */
  readonly restored: string | undefined;
  /** The live system it serves. */
  readonly system: LiveSystem;
  /**
   * Resolves with why when the server's runtime lost its name in the cluster (docs/cluster.md,
   * "Identity"): it serves on, but as nothing the cluster sees; close it. Never settles otherwise.
   */
  readonly fenced: Promise<Error>;
  /** Stops accepting calls, takes a last checkpoint and closes. */
  close(): Promise<void>;
}

/** Default JSON body limit, in bytes. */
export const BODY_LIMIT = 1024 * 1024;
/** Default deployment bundle limit, in bytes. */
export const DEPLOYMENT_LIMIT = 16 * 1024 * 1024;

/**
 * Starts a server on a data directory: restores the applications of its recorded deployments
 * from the newest snapshot (or launches them afresh when there is none), then listens.
 *
 * @throws Error when the data directory cannot be made, the token is bad, a recorded
 *   deployment no longer imports, the snapshot does not fit, the port cannot be bound, or
 *   another data directory holds the cluster runtime's name
 */
export async function startServer(options: ServerOptions): Promise<RunningServer> {
  if (existsSync(options.dataDir) && !statSync(options.dataDir).isDirectory()) {
    throw new Error(`data directory ${options.dataDir} is a file: give a directory (it is created if missing)`);
  }
  // Snapshots hold the applications' state and deployments are code the server runs: this user's only.
  mkdirSync(options.dataDir, { recursive: true, mode: 0o700 });
  chmodSync(options.dataDir, 0o700);
  const { token, created } = serverToken(options.dataDir, options.token);
  try {
    return await start(options, token, created);
  } catch (thrown) {
    // A token made by a start that failed was never shown: the next start makes and shows one.
    if (created) rmSync(join(options.dataDir, "token"), { force: true });
    throw thrown;
  }
}

async function start(options: ServerOptions, token: string, created: boolean): Promise<RunningServer> {
  const deployments = new Deployments(options.dataDir);
  let fenced: Promise<Error> = new Promise(() => {});
  let cluster: ClusterLink | undefined;
  const live = async (): Promise<LiveSystem> => {
    const link =
      options.cluster === undefined
        ? undefined
        : await joinCluster({ ...options.cluster, directoryCopy: join(options.dataDir, "cluster-directory.json"), ...(options.log !== undefined ? { log: options.log } : {}) });
    let system: LiveSystem;
    try {
      system = Systems.live({
        dataDir: options.dataDir,
        ...(options.checkpointIntervalMs !== undefined ? { checkpointIntervalMs: options.checkpointIntervalMs } : {}),
        ...(options.idempotencyRetentionMs !== undefined ? { idempotencyRetentionMs: options.idempotencyRetentionMs } : {}),
        ...(options.log !== undefined ? { log: options.log } : {}),
        ...(link !== undefined ? { link } : {}),
      });
    } catch (thrown) {
      await link?.close();
      throw thrown;
    }
    if (link === undefined) return system;
    // Refused before anything is restored: nothing of this data directory reaches the cluster.
    await link.joined().catch(async (thrown: unknown) => {
      await system.close();
      throw thrown;
    });
    fenced = link.fenced;
    cluster = link;
    return system;
  };
  let system = await live();
  let restored: string | undefined;
  try {
    restored = await resume(system, deployments);
  } catch (thrown) {
    await system.close();
    // An upgrade the server stopped in before its checkpoint: the snapshot has the old code.
    if (!(thrown instanceof SnapshotError) || !deployments.hasPending) throw thrown;
    deployments.dropPending();
    system = await live();
    try {
      restored = await resume(system, deployments);
    } catch (again) {
      await system.close();
      throw again;
    }
  }
  deployments.settlePending();
  const app = await httpApp(system, deployments, token, options, cluster);
  try {
    await app.listen({ host: options.host ?? "127.0.0.1", port: options.port ?? 8080 });
  } catch (thrown) {
    await system.close();
    if (["ENOTFOUND", "EADDRNOTAVAIL", "EAI_AGAIN"].includes((thrown as NodeJS.ErrnoException).code ?? "")) {
      throw new Error(`host ${options.host} is not an address of this machine: give one of its addresses, e.g. 127.0.0.1 (this machine only) or 0.0.0.0 (every interface)`);
    }
    if ((thrown as NodeJS.ErrnoException).code === "EADDRINUSE") {
      throw new Error(`port ${options.port ?? 8080} on ${options.host ?? "127.0.0.1"} is in use: stop what listens there, or pick another with --port (0: any free port)`);
    }
    throw thrown;
  }
  const address = app.server.address();
  const port = typeof address === "object" && address !== null ? address.port : options.port;
  const host = options.host ?? "127.0.0.1";
  return {
    url: `http://${host.includes(":") ? `[${host}]` : host}:${port}`,
    token,
    tokenCreated: created,
    restored,
    system,
    fenced,
    async close() {
      await app.close();
      await system.close();
    },
  };
}

/**
 * Restores the recorded deployments' applications into `system` from its newest snapshot, or
 * launches them afresh when there is none; returns the snapshot's id.
 */
async function resume(system: LiveSystem, deployments: Deployments): Promise<string | undefined> {
  const apps: Application[] = await deployments.load();
  const restored = apps.length === 0 ? undefined : system.restoreLatest(apps);
  if (restored === undefined && apps.length > 0) system.launch(apps);
  return restored;
}

async function httpApp(system: LiveSystem, deployments: Deployments, token: string, options: ServerOptions, cluster: ClusterLink | undefined): Promise<FastifyInstance> {
  // forceCloseConnections: a close ends idle keep-alive connections and open tails instead of waiting for them.
  const app = Fastify({
    bodyLimit: options.bodyLimit ?? BODY_LIMIT,
    logger: false,
    forceCloseConnections: true,
    // Application names go up to 200 characters (routes.ts); the router's default is 100.
    routerOptions: { maxParamLength: 256 },
    // Query strings are coerced to their types (timeoutMs), but a scalar body is not an array.
    ajv: { customOptions: { coerceTypes: true } },
    // Errors of the router itself (a bad URL encoding) in the same shape as every other.
    frameworkErrors: (error, _request, reply) => void (reply as FastifyReply).code(error.statusCode ?? 400).send({ error: error.message }),
  });
  await app.register(swagger, {
    openapi: {
      info: {
        title: "Portals server",
        version: "1",
        description: "Deploy, launch, query and feed Portals applications while others run (docs/live.md in portals-ts).",
      },
      components: { securitySchemes: { bearer: { type: "http", scheme: "bearer" } } },
    },
  });
  if (options.corsOrigins !== undefined && options.corsOrigins.length > 0) {
    await app.register(cors, {
      origin: [...options.corsOrigins],
      methods: ["GET", "HEAD", "POST", "DELETE"],
      allowedHeaders: ["Authorization", "Content-Type", "Idempotency-Key"],
      maxAge: 600,
    });
  }
  app.addHook("onRequest", async (request, reply) => {
    // A preflight carries no credentials; what it precedes is checked when it comes.
    if (request.method === "OPTIONS" && request.headers["access-control-request-method"] !== undefined) return;
    const checking = request.routeOptions.url === AUTH_PATH;
    if ((checking || (request.method !== "GET" && request.method !== "HEAD")) && !authorized(request.headers.authorization, token)) {
      const given = request.headers.authorization === undefined ? "no token was sent" : "the token is not this server's";
      await reply.code(401).send({ error: `${checking ? given : "this call changes the server"}: send Authorization: Bearer <token> (printed at the server's first start, stored in <data dir>/token)` });
    }
  });
  app.setErrorHandler(async (error: Error & { statusCode?: number; validation?: unknown; code?: string }, request, reply) => {
    const status = error.statusCode !== undefined && error.statusCode >= 400 && error.statusCode < 600 ? error.statusCode : 500;
    const message =
      error.code === "FST_ERR_CTP_INVALID_MEDIA_TYPE"
        ? `Content-Type ${request.headers["content-type"] ?? "(none)"} is not accepted: send the body as JSON with Content-Type: application/json (a deployment as application/javascript)`
        : error.code === "FST_ERR_CTP_BODY_TOO_LARGE"
        ? BUNDLE_TYPE.test(request.headers["content-type"] ?? "")
          ? `the bundle is larger than the limit of ${options.deploymentLimit ?? DEPLOYMENT_LIMIT} bytes for deployments`
          : `the body is larger than the limit of ${options.bodyLimit ?? BODY_LIMIT} bytes for JSON`
        : error.validation !== undefined
          ? `invalid request: ${error.message}`
          : status >= 500
            ? `internal error: ${error.message}`
            : error.message;
    await reply.code(status).send({ error: message });
  });
  app.setNotFoundHandler(async (request, reply) => {
    await reply.code(404).send({ error: `no route ${request.method} ${request.url.split("?")[0]}; the routes are in GET /openapi.json` });
  });
  // Fastify reads text/plain as a string: an ask sent without a JSON content type would reach
  // its portal as the text of the request instead of the request.
  app.removeContentTypeParser("text/plain");
  app.removeContentTypeParser("application/json");
  app.addContentTypeParser("application/json", { parseAs: "string" }, (_request, body, done) => {
    try {
      done(null, parseJsonBody(body as string));
    } catch (thrown) {
      done(thrown as Error);
    }
  });
  registerRoutes(app, { system, deployments, metrics: new ServerMetrics(system, cluster), deploymentLimit: options.deploymentLimit ?? DEPLOYMENT_LIMIT, ...(cluster !== undefined ? { cluster } : {}) });
  return app;
}

/**
 * A JSON body, parsed with secure-json-parse (Fastify's own parser, here for its messages): a
 * `__proto__` or `constructor.prototype` key is refused, since merging such a request into an
 * object would change what every object inherits.
 *
 * @throws Error with statusCode 400 naming what is wrong and the fix
 */
function parseJsonBody(body: string): unknown {
  const refuse = (message: string): never => {
    throw Object.assign(new Error(message), { statusCode: 400 });
  };
  if (body.trim() === "") refuse("the body is empty: send the request as JSON");
  try {
    return secureJson.parse(body, { protoAction: "error", constructorAction: "error" });
  } catch (thrown) {
    if (/forbidden prototype property/.test((thrown as Error).message)) {
      return refuse('the JSON body has a "__proto__" or "constructor": { "prototype" } key, which is refused (it could change what objects inherit); rename the key');
    }
    return refuse(`the body is not valid JSON: ${(thrown as Error).message}`);
  }
}
