/**
 * The front of `portals serve --workers N` (docs/cluster.md, "Partitioned applications"): one
 * HTTP address for N worker processes (`worker-pool.ts`). A deployment sent to it is deployed to
 * every worker, as partition i of N on worker i, one worker after the other; every other call is
 * passed to worker 0 (by @fastify/reply-from, Fastify's maintained proxy, which streams bodies
 * both ways), which forwards asks of other runtimes' portals through the cluster as any runtime
 * does, and tails any stream of the cluster, a partitioned one's every partition (`tail-pass.ts`); stopping an application stops it on every
 * worker, and `GET /v1/apps` lists the applications of every worker, each with its partitions. `GET /metrics`
 * is every worker's, labelled by worker (`metrics-merge.ts`), `GET /healthz` says whether every
 * worker is live, and `GET /v1/workers` lists the workers. A worker that does not answer holds
 * no call for good (the timeouts below). Mutating calls need the token,
 * here and on the workers (they share it).
 */
import Fastify, { type FastifyInstance, type FastifyReply, type FastifyRequest } from "fastify";
import replyFrom from "@fastify/reply-from";
import { mergeMetrics } from "./metrics-merge.js";
import { passTail } from "./tail-pass.js";
import { LONGEST_ASK_MS } from "./routes.js";
import { authorized } from "./token.js";
import type { WorkerPool, WorkerState } from "./worker-pool.js";

/** Options of {@link startFront}. */
export interface FrontOptions {
  /** Interface to listen on (default `127.0.0.1`). */
  readonly host?: string;
  /** Port (0: any free one). */
  readonly port: number;
  readonly pool: WorkerPool;
  /** The bearer token of mutating calls (the workers' too). */
  readonly token: string;
  /** Largest body, in bytes (a deployment bundle's limit). */
  readonly bodyLimit: number;
}

/** A running front. */
export interface RunningFront {
  /** Its base URL. */
  readonly url: string;
  /** Stops listening (the workers are the pool's to stop). */
  close(): Promise<void>;
}

/** What one worker answered to its partition of a deployment. */
interface PartitionAnswer {
  readonly worker: WorkerState;
  readonly status: number;
  readonly body: { error?: string; problems?: string[]; deployment?: number; apps?: unknown[]; upgraded?: string[]; changed?: string[] };
}

/**
 * Starts the front of `options.pool`.
 *
 * @throws Error when the port cannot be bound
 */
export async function startFront(options: FrontOptions): Promise<RunningFront> {
  const app = Fastify({ bodyLimit: options.bodyLimit, logger: false, forceCloseConnections: true });
  // A body may stream for good (a tail); its headers come at the latest when an ask's longest timeout ends.
  await app.register(replyFrom, { undici: { connections: 16, headersTimeout: LONGEST_ASK_MS + 10_000, bodyTimeout: 0 } });
  // Bodies pass through as bytes: the workers parse and validate them.
  app.removeAllContentTypeParsers();
  app.addContentTypeParser("*", { parseAs: "buffer" }, (_request, body, done) => done(null, body));
  app.addHook("onRequest", async (request, reply) => {
    if (request.method !== "GET" && request.method !== "HEAD" && !authorized(request.headers.authorization, options.token)) {
      const given = request.headers.authorization === undefined ? "no token was sent" : "the token is not this server's";
      await reply.code(401).send({ error: `this call changes the server (${given}): send Authorization: Bearer <token> (printed at the server's first start, stored in <data dir>/token)` });
    }
  });
  app.setErrorHandler(async (error: Error & { statusCode?: number }, _request, reply) => {
    const status = error.statusCode !== undefined && error.statusCode >= 400 && error.statusCode < 600 ? error.statusCode : 502;
    await reply.code(status).send({ error: status === 502 ? `worker 0 did not answer: ${error.message}` : error.message });
  });

  app.get("/v1/workers", async () => ({ workers: options.pool.states }));

  // Liveness of the whole front: every worker's, each given a few seconds (a hung worker is not live).
  app.get("/healthz", async (_request, reply) => {
    const workers = await Promise.all(
      options.pool.states.map(async (w) => {
        const answer = w.url === undefined ? undefined : await forward(w, "GET", "/healthz", undefined, {}, HEALTH_TIMEOUT_MS);
        if (answer?.status === 200) return { runtime: w.runtime, status: "ok" };
        // Its own reason (it stopped after an error), or the front's (it did not answer), without its name twice.
        const reason = answer === undefined ? "not running now (starting, or started again after exiting)" : (answer.body.error ?? `answered ${answer.status}`).replace(`worker ${w.runtime} `, "");
        return { runtime: w.runtime, status: reason };
      }),
    );
    const down = workers.filter((w) => w.status !== "ok");
    if (down.length > 0) return reply.code(503).send({ error: down.map((w) => `worker ${w.runtime}: ${w.status}`).join("; "), workers });
    return { status: "ok", workers };
  });

  // One deployment at a time, as a server does: two at once must reach every worker in one order.
  let deploying: Promise<unknown> = Promise.resolve();
  app.post<{ Body: Buffer | undefined; Querystring: Record<string, string | undefined> }>("/v1/deployments", (request, reply) => {
    const run = deploying.then(() => deployAll(request, reply));
    deploying = run.catch(() => {});
    return run;
  });

  async function deployAll(request: FastifyRequest<{ Body: Buffer | undefined; Querystring: Record<string, string | undefined> }>, reply: FastifyReply): Promise<FastifyReply> {
    const drain = request.query["drain"];
    if (drain !== undefined && drain !== "true" && drain !== "false") return reply.code(400).send({ error: "querystring/drain must be boolean" });
    if (request.query["partition"] !== undefined) {
      return reply.code(400).send({ error: `this server runs ${options.pool.states.length} workers and deploys partition i of ${options.pool.states.length} to worker i itself: leave out ?partition=` });
    }
    const workers = options.pool.states;
    const away = workers.filter((w) => w.url === undefined);
    if (away.length > 0) {
      return reply.code(503).send({ error: `worker${away.length === 1 ? "" : "s"} ${away.map((w) => w.runtime).join(", ")} ${away.length === 1 ? "is" : "are"} not running now (starting, or started again after exiting); deploy again once every worker listens (GET /v1/workers)` });
    }
    const answers: PartitionAnswer[] = [];
    for (const worker of workers) {
      const answer = await deployTo(worker, workers.length, request.body, request.headers, request.query["drain"] === "true");
      answers.push(answer);
      if (answer.status >= 300) return refused(reply, answers, workers.length);
    }
    const first = answers[0]!;
    return reply.code(first.status).send({
      ...first.body,
      // What each worker did: after a refusal fixed, some upgrade and others launch.
      partitions: answers.map((a) => ({ partition: `${a.worker.index}/${workers.length}`, runtime: a.worker.runtime, deployment: a.body.deployment, did: a.body.upgraded !== undefined ? "upgraded" : "launched" })),
    });
  }

  // Stopping an application stops it on every worker: each runs a partition of it.
  app.delete<{ Params: { app: string } }>("/v1/apps/:app", async (request, reply) => {
    const workers = options.pool.states;
    const away = workers.filter((w) => w.url === undefined);
    if (away.length > 0) return reply.code(503).send({ error: `${away.map((w) => w.runtime).join(", ")} ${away.length === 1 ? "is" : "are"} not running now; stop it again once every worker runs (GET /v1/workers)` });
    const answers: PartitionAnswer[] = [];
    for (const worker of workers) answers.push(await forward(worker, "DELETE", `/v1/apps/${encodeURIComponent(request.params.app)}`, undefined, request.headers, STOP_TIMEOUT_MS));
    const stopped = answers.filter((a) => a.status < 300);
    // A worker that does not run it (a partition it refused): nothing to stop there.
    const failed = answers.filter((a) => a.status >= 300 && a.status !== 404);
    if (stopped.length === 0 && failed.length === 0) return reply.code(answers[0]!.status).send(answers[0]!.body);
    if (failed.length > 0) {
      const done = stopped.length === 0 ? "" : `stopped on ${stopped.map((a) => a.worker.runtime).join(", ")}; `;
      return reply.code(failed[0]!.status).send({ error: `${done}on ${failed.map((a) => `${a.worker.runtime}: ${a.body.error ?? a.status}`).join("; ")}` });
    }
    return reply.code(stopped[0]!.status).send({ ...stopped[0]!.body, workers: stopped.map((a) => a.worker.runtime) });
  });

  // Every worker's applications: one entry per application, with the partition each worker runs.
  app.get("/v1/apps", async (request, reply) => {
    const workers = options.pool.states;
    const answers = await Promise.all(workers.map((w) => (w.url === undefined ? undefined : forward(w, "GET", "/v1/apps", undefined, request.headers, LIST_TIMEOUT_MS))));
    const merged = new Map<string, Record<string, unknown> & { partitions: unknown[] }>();
    const away: string[] = [];
    answers.forEach((answer, i) => {
      const apps = answer?.status === 200 ? answer.body.apps : undefined;
      if (!Array.isArray(apps)) return void away.push(workers[i]!.runtime);
      for (const a of apps as { name: string; partition?: string; deployment?: number; stopped?: boolean }[]) {
        const { partition, ...rest } = a;
        const entry = merged.get(a.name) ?? { ...rest, partitions: [] };
        // Without a partition: deployed to that worker's own address, not through the front.
        entry.partitions.push({ ...(partition !== undefined ? { partition } : {}), runtime: workers[i]!.runtime, deployment: a.deployment, stopped: a.stopped === true });
        merged.set(a.name, entry);
      }
    });
    return reply.send({ apps: [...merged.values()], ...(away.length > 0 ? { away } : {}) });
  });

  // Every worker's metrics, each sample labelled with its worker, and which workers answered.
  app.get("/metrics", async (_request, reply) => {
    const scrapes = await Promise.all(options.pool.states.map(async (w) => ({ runtime: w.runtime, text: w.url === undefined ? undefined : await scrape(`${w.url}/metrics`) })));
    return reply.type("text/plain; version=0.0.4; charset=utf-8").send(mergeMetrics(scrapes));
  });

  // A tail goes to worker 0, which joins every partition's (`tail-pass.ts`).
  app.get("/v1/streams/*", async (request, reply) => {
    const path = pathOf(request.url);
    if (climbs(path)) return refuseClimb(reply, path);
    const { runtime, url } = options.pool.states[0]!;
    if (url === undefined) return reply.code(503).send({ error: `worker 0 (${runtime}), which answers this server's calls, is not running now; call again in a moment` });
    return passTail({ runtime, url }, request.url, reply);
  });

  app.all("/*", async (request, reply) => {
    const url = options.pool.states[0]!.url;
    if (url === undefined) return reply.code(503).send({ error: `worker 0 (${options.pool.states[0]!.runtime}), which answers this server's calls, is not running now; call again in a moment` });
    // The path alone: reply-from passes the query string on as it came. Given the query, it would
    // decode it whole, refusing a value with `../` in it and failing on a bad escape as if the
    // worker had not answered (502); a server takes both.
    const path = pathOf(request.url);
    if (climbs(path)) return refuseClimb(reply, path);
    // The body as it came (bytes): the worker parses it. (Given as opts.body, reply-from does not
    // JSON.stringify a Buffer, which it does with a parsed request body of a JSON content type.)
    const body = request.body as Buffer | undefined;
    return reply.from(`${url}${path}`, body === undefined ? {} : { body, contentType: String(request.headers["content-type"] ?? "application/octet-stream") });
  });

  try {
    await app.listen({ host: options.host ?? "127.0.0.1", port: options.port });
  } catch (thrown) {
    if ((thrown as NodeJS.ErrnoException).code === "EADDRINUSE") throw new Error(`port ${options.port} on ${options.host ?? "127.0.0.1"} is in use: stop what listens there, or pick another with --port (0: any free port)`);
    throw thrown;
  }
  return { url: urlOf(app, options.host ?? "127.0.0.1"), close: () => app.close() };
}

/** The path of `url`, without its query string. */
function pathOf(url: string): string {
  const query = url.indexOf("?");
  return query < 0 ? url : url.slice(0, query);
}

/**
 * True when `path` has `..` next to a `/` (escaped or not): a worker's server refuses it with a
 * message of its own (it could reach past the worker's address); the front says so by the same
 * rule, naming the fix ({@link refuseClimb}).
 */
function climbs(path: string): boolean {
  const decoded = decodedPath(path);
  return decoded.includes("/..") || decoded.includes("../");
}

function refuseClimb(reply: FastifyReply, path: string): FastifyReply {
  return reply.code(400).send({ error: `path ${path}: '..' next to a '/' is not passed on to the workers; call the path it stands for` });
}

/** `path` with its escapes decoded (`%2e%2e` is `..`); as it is when they are not valid (Fastify refused those before). */
function decodedPath(path: string): string {
  try {
    return decodeURIComponent(path);
  } catch {
    return path;
  }
}

/** How long the front waits for a worker's metrics, in milliseconds. */
const SCRAPE_TIMEOUT_MS = 5000;
/** How long it waits for a worker's liveness, and for its list of applications (then listed as `away`), in milliseconds. */
const HEALTH_TIMEOUT_MS = 5000;
const LIST_TIMEOUT_MS = 10_000;
/** How long it waits for a worker to deploy (its module's top level may take 30 s, then a launch and a checkpoint), and to stop an application, in milliseconds. */
const DEPLOY_TIMEOUT_MS = 120_000;
const STOP_TIMEOUT_MS = 60_000;

/** The text at `url`, or `undefined` when it does not answer 200 in time. */
async function scrape(url: string): Promise<string | undefined> {
  try {
    const response = await fetch(url, { signal: AbortSignal.timeout(SCRAPE_TIMEOUT_MS) });
    return response.status === 200 ? await response.text() : undefined;
  } catch {
    return undefined;
  }
}

/** Deploys `body` to `worker` as its partition of `count`. */
function deployTo(worker: WorkerState, count: number, body: Buffer | undefined, headers: Record<string, string | string[] | undefined>, drain: boolean): Promise<PartitionAnswer> {
  return forward(worker, "POST", `/v1/deployments?partition=${worker.index}/${count}${drain ? "&drain=true" : ""}`, body, headers, DEPLOY_TIMEOUT_MS);
}

/**
 * Calls `method path` of `worker` with `body` and the caller's token and content type; a worker
 * that does not answer within `timeoutMs` (alive but hung) answers 502.
 */
async function forward(worker: WorkerState, method: string, path: string, body: Buffer | undefined, headers: Record<string, string | string[] | undefined>, timeoutMs: number): Promise<PartitionAnswer> {
  try {
    const response = await fetch(`${worker.url}${path}`, {
      method,
      signal: AbortSignal.timeout(timeoutMs),
      headers: { authorization: String(headers.authorization ?? ""), ...(body !== undefined ? { "content-type": String(headers["content-type"] ?? "") } : {}) },
      ...(body !== undefined ? { body: new Uint8Array(body) } : {}),
    });
    const text = await response.text();
    try {
      return { worker, status: response.status, body: text === "" ? {} : (JSON.parse(text) as PartitionAnswer["body"]) };
    } catch {
      return { worker, status: 502, body: { error: `worker ${worker.runtime} answered ${response.status} with something that is not JSON: ${text.slice(0, 200)}` } };
    }
  } catch (thrown) {
    const why = (thrown as Error).name === "TimeoutError" ? `within ${timeoutMs / 1000} s` : `(${(thrown as Error).message})`;
    return { worker, status: 502, body: { error: `worker ${worker.runtime} did not answer ${why}` } };
  }
}

/** The answer of a deployment a worker refused: its status and message, and which partitions were deployed before it. */
function refused(reply: FastifyReply, answers: readonly PartitionAnswer[], count: number): FastifyReply {
  const last = answers.at(-1)!;
  const done = answers.slice(0, -1);
  const before =
    done.length === 0
      ? ""
      : `; partition${done.length === 1 ? "" : "s"} ${done.map((a) => `${a.worker.index}/${count}`).join(", ")} ${done.length === 1 ? "was" : "were"} deployed before it and run${done.length === 1 ? "s" : ""}: deploy again once it is fixed (the workers that run it already take it as an upgrade)`;
  return reply.code(last.status).send({ error: `partition ${last.worker.index}/${count} (worker ${last.worker.runtime}): ${last.body.error ?? `answered ${last.status}`}${before}`, ...(last.body.problems !== undefined ? { problems: last.body.problems } : {}) });
}

function urlOf(app: FastifyInstance, host: string): string {
  const address = app.server.address();
  const port = typeof address === "object" && address !== null ? address.port : 0;
  return `http://${host.includes(":") ? `[${host}]` : host}:${port}`;
}
