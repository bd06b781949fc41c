/**
 * The server's routes (docs/live.md, "Endpoints"). Each has a JSON schema: Fastify validates
 * params, query, headers and bodies with it (a clear 400 otherwise) and @fastify/swagger turns
 * it into the OpenAPI document at `/openapi.json`.
 */
import type { FastifyInstance, FastifyReply, FastifyRequest } from "fastify";
import { ApplicationError, describe } from "../core/errors.js";
import { jsonSafe } from "../core/json.js";
import type { Application } from "../api/application.js";
import { LiveError, type LiveErrorCode } from "../system/live-error.js";
import type { LiveSystem } from "../system/live-system.js";
import { isSqlFailure, isSqlReply, SQL_ERROR_STATUS, sqlRequestProblem } from "../sql/protocol.js";
import { DeploymentError, type Deployments } from "./deployments.js";
import { parsePartition, partitionPhrase, showPartition, type Partition } from "../core/partition.js";
import { appGraph } from "./graph.js";
import type { ServerMetrics } from "./metrics.js";
import type { ClusterLink } from "../cluster/cluster-link.js";

/** The longest an outside ask may wait for its answer (`timeoutMs`), in milliseconds. */
export const LONGEST_ASK_MS = 600_000;

/** What the routes serve. */
export interface RouteContext {
  readonly system: LiveSystem;
  readonly deployments: Deployments;
  readonly metrics: ServerMetrics;
  /** Largest deployment bundle, in bytes. */
  readonly deploymentLimit: number;
  /** The server's link to its cluster (`--nats`), when it is in one. */
  readonly cluster?: ClusterLink;
}

const STATUS: Readonly<Record<LiveErrorCode, number>> = { "bad-request": 400, "not-found": 404, conflict: 409, "reused-key": 422, replier: 422, timeout: 504, unavailable: 503, closed: 503, failed: 503 };

const NAME = { type: "string", pattern: "^[\\w.-]+$", maxLength: 200 } as const;
/** Names of portals and streams may also hold `$` (`isSegmentName`). */
const PART_NAME = { type: "string", pattern: "^[\\w.$-]+$", maxLength: 200 } as const;
/** The media type of JSON bodies. */
const JSON_TYPE = /^application\/json\s*(;|$)/i;
/**
 * The one read that needs the token: `GET /v1/auth` answers 204 to a valid token and 401
 * otherwise, changing nothing, so a client (the playground's Connect) can check a token before
 * its first call that changes something. The server's `onRequest` hook checks it.
 */
export const AUTH_PATH = "/v1/auth";
/** The media types of deployment bundles (a `Content-Type` header's value matches it). */
export const BUNDLE_TYPE = /^(application|text)\/javascript\s*(;|$)/i;

/**
 * A preValidation hook answering 415 when the body's Content-Type is not `type` (the server
 * parses both JSON and bundles, so a route names the one it takes).
 */
function bodyOf(type: RegExp, fix: string) {
  return async (request: FastifyRequest, reply: FastifyReply): Promise<void> => {
    const given = request.headers["content-type"];
    if (given !== undefined && !type.test(given)) await reply.code(415).send({ error: `Content-Type ${given} is not accepted here: ${fix}` });
  };
}
const ERROR = { type: "object", properties: { error: { type: "string" }, problems: { type: "array", items: { type: "string" } } }, required: ["error"] } as const;
/** A failed SQL statement: the error, and its code when the table answered it (docs/sql.md). */
const SQL_ERROR = { type: "object", properties: { error: { type: "string" }, code: { type: "string" } }, required: ["error"] } as const;
const KEY_HEADER = {
  type: "object",
  properties: { "idempotency-key": { type: "string", minLength: 1, maxLength: 256, description: "Calls with the same key are done once; a retry gets the first call's answer" } },
} as const;
const SECURED = [{ bearer: [] }];
/** What any call that changes something may also answer: a malformed call, no token, a body over the limit. */
const MUTATING = { 400: ERROR, 401: ERROR, 413: ERROR } as const;
const APP_SUMMARY = {
  type: "object",
  properties: {
    name: { type: "string" },
    path: { type: "string" },
    deployment: { type: "integer" },
    portals: { type: "array", items: { type: "string" } },
    streams: { type: "array", items: { type: "string" }, description: "Ingestion streams (POST /v1/streams/{app}/{stream})" },
    stopped: { type: "boolean" },
    partition: { type: "string", description: 'the partition it runs as, "<index>/<count>" (absent: not partitioned)' },
  },
} as const;

/** Registers every route on `app`. */
export function registerRoutes(app: FastifyInstance, ctx: RouteContext): void {
  const { system, deployments, metrics } = ctx;
  // The newest deployment of an application: an upgrade's.
  const deploymentOf = (name: string): number | undefined => [...deployments.launched].reverse().find((d) => d.apps.includes(name))?.id;
  const summary = (a: Application) => ({
    name: a.name,
    path: a.path,
    deployment: deploymentOf(a.name),
    portals: a.model.portals.map((p) => p.path),
    streams: a.model.generators.filter((g) => g.source.kind === "ingestion").map((g) => g.path.slice(g.path.lastIndexOf("/") + 1)),
    stopped: system.isStopped(a.name),
    ...(a.partition !== undefined ? { partition: showPartition(a.partition) } : {}),
  });
  const running = (name: string): Application | undefined => system.applications.find((a) => a.name === name);

  app.addContentTypeParser(["application/javascript", "text/javascript"], { parseAs: "string", bodyLimit: ctx.deploymentLimit }, (_request, body, done) => done(null, body));

  app.get(
    "/healthz",
    {
      schema: {
        summary:
          "Liveness: 200 while the live system runs (with the number of applications running, not stopped, and in a cluster whether its NATS server is reached now), 503 with the reason once it stopped",
        response: {
          200: {
            type: "object",
            properties: {
              status: { type: "string" },
              applications: { type: "integer" },
              cluster: { type: "object", properties: { runtime: { type: "string" }, reachable: { type: "boolean" }, exportsStopped: { type: "array", items: { type: "string" } } } },
            },
          },
          503: ERROR,
        },
      },
    },
    async (_request, reply) => {
      const stopped = system.stoppedBecause;
      if (stopped !== undefined) return reply.code(503).send({ error: stopped });
      // Cut off from the cluster, a runtime still runs its applications (docs/cluster.md, "Edge"): alive, and said so.
      const { cluster } = ctx;
      const exportsStopped = cluster?.unpublished().flatMap((e) => (e.stopped === undefined ? [] : [`${e.stream}: ${e.stopped}`])) ?? [];
      const state = cluster === undefined ? {} : { cluster: { runtime: cluster.runtime, reachable: cluster.reachable, ...(exportsStopped.length > 0 ? { exportsStopped } : {}) } };
      return { status: "ok", applications: system.running.length, ...state };
    },
  );

  app.get("/metrics", { schema: { summary: "Metrics in the Prometheus text format" } }, async (_request, reply) => {
    await reply.type(metrics.registry.contentType).send(await metrics.registry.metrics());
  });

  app.get("/openapi.json", { schema: { hide: true } }, async () => app.swagger());

  app.get(
    AUTH_PATH,
    {
      schema: {
        summary: "Check a token without changing anything: 204 when Authorization: Bearer <token> carries the server's token, 401 otherwise",
        security: SECURED,
        response: { 204: { type: "null", description: "the token is the server's" }, 401: ERROR },
      },
    },
    // The token was checked by the server's onRequest hook before this runs.
    async (_request, reply) => reply.code(204).send(),
  );

  // One deployment at a time: each is checked against what the ones before it launched.
  let deploying: Promise<unknown> = Promise.resolve();
  app.post<{ Body: string; Querystring: { drain?: boolean; partition?: string } }>(
    "/v1/deployments",
    {
      schema: {
        summary: "Deploy a module bundle: launch the applications it default-exports, or upgrade the running ones of those names",
        description:
          "The body is the bundle (an ES module, Content-Type application/javascript), as `portals deploy` makes it. Nothing of a refused deployment is left. " +
          "An upgrade keeps the graph and changes the code; operators whose code changed and that have parked continuations refuse it (409) unless drain=true.",
        security: SECURED,
        querystring: {
          type: "object",
          properties: {
            drain: { type: "boolean", default: false },
            partition: { type: "string", description: 'launch the applications as this partition, "<index>/<count>" (docs/cluster.md, "Partitioned applications"); a server in a cluster only' },
          },
        },
        consumes: ["application/javascript"],
        body: { type: "string", description: "the bundle: an ES module whose default export is an application or an array of them" },
        response: {
          ...MUTATING,
          415: ERROR,
          200: { type: "object", properties: { deployment: { type: "integer" }, upgraded: { type: "array", items: { type: "string" } }, changed: { type: "array", items: { type: "string" } } } },
          201: { type: "object", properties: { deployment: { type: "integer" }, apps: { type: "array", items: APP_SUMMARY } } },
          409: ERROR,
          422: ERROR,
        },
      },
      preValidation: bodyOf(BUNDLE_TYPE, "send the module bundle with Content-Type: application/javascript (portals deploy does)"),
    },
    async (request, reply) => {
      if (typeof request.body !== "string" || request.body.trim() === "") {
        return reply.code(400).send({ error: "send the module bundle as the body, with Content-Type: application/javascript (portals deploy <module> does)" });
      }
      let partition: Partition | undefined;
      try {
        partition = request.query.partition === undefined ? undefined : parsePartition(request.query.partition);
      } catch (thrown) {
        return reply.code(400).send({ error: `the query's ${(thrown as Error).message}` });
      }
      const run = deploying.then(() => deploy(request.body, request.query.drain === true, partition));
      deploying = run.catch(() => {});
      const result = await run;
      return reply.code(result.status).send(result.body);
    },
  );

  async function deploy(code: string, drain: boolean, partition: Partition | undefined): Promise<{ status: number; body: unknown }> {
    let staged: { id: number; apps: Application[] };
    try {
      staged = await deployments.stage(code, partition);
    } catch (thrown) {
      if (thrown instanceof DeploymentError) return { status: 422, body: { error: thrown.message } };
      throw thrown;
    }
    const refusal = (error: string): { status: number; body: unknown } => {
      deployments.discard(staged.id);
      return { status: 422, body: { error } };
    };
    const long = staged.apps.find((a) => a.name.length > 200);
    if (long !== undefined) return refusal(`application name ${long.name.slice(0, 40)}… has ${long.name.length} characters; at most 200`);
    const stopped = staged.apps.filter((a) => system.isStopped(a.name));
    if (stopped.length > 0) return refusal(`${stopped.map((a) => a.name).join(", ")} was stopped and keeps its name; deploy it under another name`);
    const runningNames = new Set(system.applications.map((a) => a.name));
    const upgrades = staged.apps.filter((a) => runningNames.has(a.name));
    if (upgrades.length > 0 && upgrades.length < staged.apps.length) {
      const names = (apps: Application[]) => apps.map((a) => a.name).join(", ");
      return refusal(`a deployment launches new applications or upgrades running ones, not both: running now ${names(upgrades)}; new ${names(staged.apps.filter((a) => !runningNames.has(a.name)))}; deploy them separately`);
    }
    const phrase = (p: Partition | undefined): string => partitionPhrase(p, "no partition");
    const moved = upgrades.find((a) => phrase(running(a.name)!.partition) !== phrase(partition));
    if (moved !== undefined) {
      // A key's state is in its partition's snapshots: an upgrade keeps the partition it runs as.
      return refusal(`${moved.name} runs as ${phrase(running(moved.name)!.partition)} and this upgrade names ${phrase(partition)}; upgrade each partition with the partition it runs as`);
    }
    if (upgrades.length > 0) return upgrade(staged, drain);
    try {
      await system.launchClaimed(staged.apps);
    } catch (thrown) {
      deployments.discard(staged.id);
      if (thrown instanceof ApplicationError) return { status: 422, body: { error: `the deployment was refused: ${thrown.message}`, problems: thrown.problems } };
      if (thrown instanceof LiveError) return { status: STATUS[thrown.code], body: { error: `the deployment was refused: ${thrown.message}` } };
      return { status: 422, body: { error: `the deployment was refused: ${describe(thrown)}` } };
    }
    deployments.record(staged.id, staged.apps);
    return { status: 201, body: { deployment: staged.id, apps: staged.apps.map(summary) } };
  }

  /** An upgrade, recorded pending first: a crash during it restores one version or the other (docs/live.md, "Upgrades"). */
  async function upgrade(staged: { id: number; apps: Application[] }, drain: boolean): Promise<{ status: number; body: unknown }> {
    deployments.record(staged.id, staged.apps, true);
    let changed: string[];
    try {
      changed = await system.upgrade(staged.apps, { drain });
    } catch (thrown) {
      deployments.forget(staged.id);
      if (thrown instanceof ApplicationError) return { status: 422, body: { error: `the upgrade was refused: ${thrown.message}`, problems: thrown.problems } };
      if (thrown instanceof LiveError) return { status: STATUS[thrown.code], body: { error: `the upgrade was refused: ${thrown.message}` } };
      return { status: 422, body: { error: `the upgrade failed and the old code goes on: ${describe(thrown)}` } };
    }
    deployments.settle(staged.id);
    return { status: 200, body: { deployment: staged.id, upgraded: staged.apps.map((a) => a.name), changed } };
  }

  app.get("/v1/apps", { schema: { summary: "The running applications, in launch order", response: { 200: { type: "object", properties: { apps: { type: "array", items: APP_SUMMARY } } } } } }, async () => ({
    apps: system.applications.map(summary),
  }));

  app.get<{ Params: { app: string } }>(
    "/v1/apps/:app",
    { schema: { summary: "An application's graph: workflows, streams, portals, and who asks whom", params: { type: "object", properties: { app: NAME }, required: ["app"] }, response: { 200: { type: "object", additionalProperties: true }, 404: ERROR } } },
    async (request, reply) => {
      const found = running(request.params.app);
      if (found === undefined) return notRunning(reply, request.params.app);
      return appGraph(found);
    },
  );

  app.delete<{ Params: { app: string } }>(
    "/v1/apps/:app",
    {
      schema: {
        summary: "Stop an application: its output streams end (their readers see the end), its portals and ingestion streams take no more calls",
        description: "Answered once a checkpoint has stored the stop. Refused (409) while other running applications ask its portals.",
        security: SECURED,
        params: { type: "object", properties: { app: NAME }, required: ["app"] },
        response: { ...MUTATING, 200: { type: "object", properties: { stopped: { type: "string" } } }, 404: ERROR, 409: ERROR },
      },
    },
    async (request, reply) => {
      try {
        await system.stop(request.params.app);
        return { stopped: request.params.app };
      } catch (thrown) {
        if (!(thrown instanceof LiveError)) throw thrown;
        return reply.code(STATUS[thrown.code]).send({ error: thrown.message });
      }
    },
  );

  app.post<{ Params: { app: string; portal: string }; Querystring: { timeoutMs?: number }; Headers: { "idempotency-key"?: string }; Body: unknown }>(
    "/v1/portals/:app/:portal",
    {
      schema: {
        summary: "Ask a portal: the JSON body is the request, the answer is { reply }",
        description: "Released once the checkpoint covering the state change is stored. With Idempotency-Key the ask is done once, also across a server crash.",
        security: SECURED,
        params: { type: "object", properties: { app: NAME, portal: PART_NAME }, required: ["app", "portal"] },
        querystring: { type: "object", properties: { timeoutMs: { type: "integer", minimum: 1, maximum: LONGEST_ASK_MS, default: 10_000 } } },
        headers: KEY_HEADER,
        body: { description: "the request, any JSON value the portal takes" },
        response: { ...MUTATING, 200: { type: "object", properties: { reply: {} } }, 404: ERROR, 415: ERROR, 422: ERROR, 503: ERROR, 504: ERROR },
      },
      preValidation: bodyOf(JSON_TYPE, "send the request as JSON with Content-Type: application/json"),
    },
    async (request, reply) => {
      const { app: name, portal } = request.params;
      if (request.body === undefined) return reply.code(400).send({ error: "send the request as a JSON body (Content-Type: application/json)" });
      const started = performance.now();
      try {
        const answer = await system.ask(`/${name}/portals/${portal}`, request.body, {
          timeoutMs: request.query.timeoutMs ?? 10_000,
          ...(request.headers["idempotency-key"] !== undefined ? { idempotencyKey: request.headers["idempotency-key"] } : {}),
        });
        metrics.asks.inc({ app: name, portal, outcome: "reply" });
        metrics.askSeconds.observe({ app: name, portal }, (performance.now() - started) / 1000);
        let body: string;
        try {
          body = JSON.stringify({ reply: answer });
        } catch (thrown) {
          // Nested too deep, a cycle or a bigint: a 500 before (found by a fresh user's trial); as a forwarded ask's reply says.
          return reply.code(422).send({ error: `the reply of /${name}/portals/${portal} cannot be written as JSON: ${(thrown as Error).message.split("\n")[0]}` });
        }
        return reply.type("application/json").send(body);
      } catch (thrown) {
        if (!(thrown instanceof LiveError)) throw thrown;
        if (thrown.code !== "not-found") metrics.asks.inc({ app: name, portal, outcome: thrown.code });
        return reply.code(STATUS[thrown.code]).send({ error: thrown.message });
      }
    },
  );

  app.post<{ Params: { app: string; table: string }; Querystring: { timeoutMs?: number }; Body: unknown }>(
    "/v1/sql/:app/:table",
    {
      schema: {
        summary: "Run one SQL statement on a table of portals-ts/sql: the answer is { columns, rows } or { affected }",
        description:
          "The body is { sql, params?, session?, seq? }; the table's query portal /{app}/portals/{table} runs it. Statements of a session run in order; " +
          "a retry with the same session and seq is answered again and changes nothing again. A failed statement is { error, code }: 400 for syntax, unsupported, unknown, type and session, 409 for constraint, conflict and aborted; " +
          "a body that is not of this shape is a 400 with code syntax.",
        security: SECURED,
        params: { type: "object", properties: { app: NAME, table: PART_NAME }, required: ["app", "table"] },
        querystring: { type: "object", properties: { timeoutMs: { type: "integer", minimum: 1, maximum: LONGEST_ASK_MS, default: 10_000 } } },
        // No types here: the body is checked by sqlRequestProblem, whose messages name the field and the fix.
        body: { description: 'one statement: { "sql": "SELECT v FROM kv WHERE k = $1", "params"?: [1], "session"?: "s1", "seq"?: 0 }' },
        response: {
          ...MUTATING,
          200: {
            type: "object",
            properties: { columns: { type: "array", items: { type: "string" } }, rows: { type: "array", items: { type: "array", items: {} } }, affected: { type: "integer" } },
          },
          400: SQL_ERROR,
          404: ERROR,
          409: SQL_ERROR,
          415: ERROR,
          422: ERROR,
          503: ERROR,
          504: ERROR,
        },
      },
      preValidation: bodyOf(JSON_TYPE, "send the statement as JSON with Content-Type: application/json"),
    },
    async (request, reply) => {
      const { app: name, table } = request.params;
      // A request not of the shape is a `syntax` error, as the table itself answers it (docs/sql.md, "Protocol").
      if (request.body === undefined) return reply.code(400).send({ error: 'send the statement as a JSON body { "sql": "..." } (Content-Type: application/json)', code: "syntax" });
      const problem = sqlRequestProblem(request.body);
      if (problem !== null) return reply.code(400).send({ error: problem, code: "syntax" });
      const portal = `/${name}/portals/${table}`;
      const started = performance.now();
      let answer: unknown;
      try {
        answer = await system.ask(portal, request.body, { timeoutMs: request.query.timeoutMs ?? 10_000 });
      } catch (thrown) {
        if (!(thrown instanceof LiveError)) throw thrown;
        if (thrown.code !== "not-found") metrics.asks.inc({ app: name, portal: table, outcome: thrown.code });
        return reply.code(STATUS[thrown.code]).send({ error: thrown.message });
      }
      metrics.asks.inc({ app: name, portal: table, outcome: "reply" });
      metrics.askSeconds.observe({ app: name, portal: table }, (performance.now() - started) / 1000);
      if (!isSqlReply(answer)) {
        const text = JSON.stringify(answer) ?? String(answer);
        const shown = text.length > 120 ? `${text.slice(0, 120)}…` : text;
        return reply.code(422).send({ error: `portal ${portal} is not an SQL table's query portal (it answered ${shown}); ask it with POST /v1/portals/${name}/${table}, or name a table made by sqlTable` });
      }
      if (isSqlFailure(answer)) return reply.code(SQL_ERROR_STATUS[answer.code]).send({ error: answer.error, code: answer.code });
      return answer;
    },
  );

  app.post<{ Params: { app: string; stream: string }; Headers: { "idempotency-key"?: string }; Body: unknown[] }>(
    "/v1/streams/:app/:stream",
    {
      schema: {
        summary: "Send events: the JSON array is appended as one atom to the ingestion stream (app.generators.http(stream))",
        description: "Answered once the checkpoint covering the atom is stored. With Idempotency-Key a retry appends nothing and gets the first send's atom; the key with other events is refused (422).",
        security: SECURED,
        params: { type: "object", properties: { app: NAME, stream: PART_NAME }, required: ["app", "stream"] },
        headers: KEY_HEADER,
        body: { type: "array" },
        response: { ...MUTATING, 200: { type: "object", properties: { atom: { type: "integer" }, duplicate: { type: "boolean" } } }, 404: ERROR, 415: ERROR, 422: ERROR, 503: ERROR },
      },
      preValidation: bodyOf(JSON_TYPE, "send the events as a JSON array with Content-Type: application/json"),
    },
    async (request, reply) => {
      const { app: name, stream } = request.params;
      try {
        const receipt = await system.send(`/${name}/generators/${stream}`, request.body, {
          ...(request.headers["idempotency-key"] !== undefined ? { idempotencyKey: request.headers["idempotency-key"] } : {}),
        });
        if (!receipt.duplicate) metrics.ingested.inc({ app: name, stream }, request.body.length);
        return receipt;
      } catch (thrown) {
        if (!(thrown instanceof LiveError)) throw thrown;
        return reply.code(STATUS[thrown.code]).send({ error: thrown.message });
      }
    },
  );

  app.get(
    "/v1/cluster",
    {
      schema: {
        summary: "The cluster this server's runtime is in: every application and partition, with the runtime that runs it and its code version, as this runtime last heard",
        response: {
          200: {
            type: "object",
            properties: {
              runtime: { type: "string" },
              applications: {
                type: "array",
                items: {
                  type: "object",
                  properties: {
                    app: { type: "string" },
                    runtime: { type: "string" },
                    partition: { type: "string" },
                    version: { type: "string" },
                    stopped: { type: "boolean" },
                    deploying: { type: "boolean" },
                    streams: { type: "array", items: { type: "string" } },
                    portals: { type: "array", items: { type: "string" } },
                  },
                },
              },
            },
          },
          404: ERROR,
        },
      },
    },
    async (_request, reply) => {
      const { cluster } = ctx;
      if (cluster === undefined) return reply.code(404).send({ error: "this server is not in a cluster: start it with --nats <url> --runtime <name> (docs/cluster.md)" });
      return { runtime: cluster.runtime, applications: cluster.applications() };
    },
  );

  app.get<{ Params: { "*": string }; Querystring: { here?: boolean } }>(
    "/v1/streams/*",
    {
      schema: {
        summary: "The events of a stream from now on, as Server-Sent Events",
        description:
          "Each event is one `data:` line of JSON, sent once a checkpoint covers it; `event: end` after the stream's last atom. The path is the stream's, e.g. /v1/streams/shop/workflows/orders/stream. " +
          "In a cluster, a stream of an application another runtime runs is tailed there (not with here=true); if that tail breaks (the runtime exited or cannot be reached), `event: broken` with the reason ends the response, without `event: end`: tail again.",
        querystring: { type: "object", properties: { here: { type: "boolean", description: "only a stream of this runtime (one it runs or imports): never forwarded" } } },
      },
    },
    async (request, reply) => {
      // Events that come before the response has begun (a forwarded tail's first batch can) wait for it.
      let early: string[] | undefined = [];
      const write = (text: string): void => void (early === undefined ? reply.raw.write(text) : early.push(text));
      let stop: () => void = () => {};
      let ended = false;
      const finish = (last: string): void => {
        if (ended) return;
        ended = true;
        stop();
        write(last);
        if (early === undefined) reply.raw.end();
      };
      try {
        stop = await system.openTail(
          `/${request.params["*"]}`,
          (events, end) => {
            for (const event of events) {
              let text: string;
              try {
                text = JSON.stringify(event, jsonSafe) ?? "null";
              } catch (thrown) {
                // Nested too deep, or a cycle: said, not dropped with a line in the log (found by a fresh user's trial).
                finish(`event: broken\ndata: ${JSON.stringify({ error: `an event of the stream cannot be written as JSON (${(thrown as Error).message.split("\n")[0]})` })}\n\n`);
                return;
              }
              write(`data: ${text}\n\n`);
            }
            if (end) finish("event: end\ndata: {}\n\n");
          },
          { here: request.query.here === true, broken: (error) => finish(`event: broken\ndata: ${JSON.stringify({ error: error.message })}\n\n`) },
        );
      } catch (thrown) {
        if (!(thrown instanceof LiveError)) throw thrown;
        // Said where it was looked for: it may run on another runtime (found by a fresh user's trial).
        const where = request.query.here === true && thrown.code === "not-found" ? " (on this runtime alone: here=true; without it a stream of another runtime's application is tailed there)" : "";
        return reply.code(STATUS[thrown.code]).send({ error: thrown.message + where });
      }
      reply.hijack();
      reply.raw.writeHead(200, { "content-type": "text/event-stream", "cache-control": "no-cache", connection: "keep-alive" });
      reply.raw.write(": tailing\n\n");
      for (const text of early) reply.raw.write(text);
      early = undefined;
      if (ended) {
        reply.raw.end();
        return;
      }
      // Comments keep proxies from closing an idle stream.
      const keepAlive = setInterval(() => reply.raw.write(": keep-alive\n\n"), 15_000);
      reply.raw.on("close", () => {
        clearInterval(keepAlive);
        stop();
      });
    },
  );

  function notRunning(reply: FastifyReply, name: string): FastifyReply {
    const names = system.running;
    return reply.code(404).send({ error: `no application ${name} is running (running: ${names.length > 0 ? names.join(", ") : "none"})` });
  }
}
