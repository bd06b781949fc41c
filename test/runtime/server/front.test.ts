/**
 * The front of `portals serve --workers N` (runtime/server/front.ts, docs/cluster.md,
 * "Partitioned applications") with a worker that is alive but hung: found by a fresh-user trial
 * (`kill -STOP` of a worker), where every call through the front waited for good. Its liveness,
 * its list of applications and its metrics now answer in seconds, naming the worker; and a bad
 * `drain` is refused as a server refuses it, and a tail (worker 0's) fails naming it. The workers here are two loopback HTTP servers: one
 * answers as a worker does, the other accepts connections and never answers.
 */
import { createServer, type Server } from "node:http";
import { connect } from "node:net";
import { afterAll, beforeAll, expect, test } from "vitest";
import { startFront, type RunningFront } from "../../../runtime/server/front.js";
import type { WorkerPool } from "../../../runtime/server/worker-pool.js";

const TOKEN = "t".repeat(43);
let good: Server;
let hung: Server;
let front: RunningFront;

async function listen(server: Server): Promise<string> {
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  const address = server.address();
  return `http://127.0.0.1:${typeof address === "object" && address !== null ? address.port : 0}`;
}

beforeAll(async () => {
  good = createServer((request, response) => {
    const answers: Record<string, [string, string]> = {
      "/healthz": ["application/json", JSON.stringify({ status: "ok", applications: 1 })],
      "/v1/apps": ["application/json", JSON.stringify({ apps: [{ name: "sums", path: "/sums", partition: "0/2", deployment: 1, stopped: false }] })],
      "/metrics": ["text/plain", "# HELP up_total Up\n# TYPE up_total counter\nup_total 1\n"],
    };
    const [type, body] = answers[request.url ?? ""] ?? ["application/json", JSON.stringify({ url: request.url })];
    response.writeHead(200, { "content-type": type }).end(body);
  });
  hung = createServer(() => {});
  const urls = [await listen(good), await listen(hung)];
  const pool = { states: urls.map((url, index) => ({ index, runtime: `w-${index}`, url, pid: 1, restarts: 0 })) } as unknown as WorkerPool;
  front = await startFront({ port: 0, pool, token: TOKEN, bodyLimit: 1024 });
});

afterAll(async () => {
  await front?.close();
  good?.closeAllConnections();
  hung?.closeAllConnections();
  await Promise.all([good, hung].map((s) => new Promise((resolve) => s?.close(resolve))));
});

test("a hung worker: liveness, the list of applications and the metrics answer in seconds and name it", async () => {
  const started = Date.now();
  const [health, apps, metrics] = await Promise.all(["/healthz", "/v1/apps", "/metrics"].map((path) => fetch(`${front.url}${path}`)));
  expect(Date.now() - started).toBeLessThan(30_000);
  expect([health!.status, await health!.json()]).toEqual([
    503,
    { error: "worker w-1: did not answer within 5 s", workers: [{ runtime: "w-0", status: "ok" }, { runtime: "w-1", status: "did not answer within 5 s" }] },
  ]);
  expect([apps!.status, await apps!.json()]).toEqual([
    200,
    { apps: [{ name: "sums", path: "/sums", deployment: 1, stopped: false, partitions: [{ partition: "0/2", runtime: "w-0", deployment: 1, stopped: false }] }], away: ["w-1"] },
  ]);
  expect(await metrics!.text()).toContain('portals_worker_up{worker="w-0"} 1\nportals_worker_up{worker="w-1"} 0\n# HELP up_total Up\n# TYPE up_total counter\nup_total{worker="w-0"} 1\n');
}, 60_000);

test("a tail through the front with worker 0 hung: 502 within seconds, naming it", async () => {
  // Worker 0 answers the front's tails (it joins every partition's): the hung one first here.
  const urls = [`http://127.0.0.1:${(hung.address() as { port: number }).port}`, `http://127.0.0.1:${(good.address() as { port: number }).port}`];
  const pool = { states: urls.map((url, index) => ({ index, runtime: `w-${index}`, url, pid: 1, restarts: 0 })) } as unknown as WorkerPool;
  const hungFirst = await startFront({ port: 0, pool, token: TOKEN, bodyLimit: 1024 });
  try {
    const started = Date.now();
    const response = await fetch(`${hungFirst.url}/v1/streams/sums/workflows/sum/stream`);
    expect(Date.now() - started).toBeLessThan(30_000);
    expect([response.status, await response.json()]).toEqual([502, { error: "worker w-0 did not begin its tail within 5 s" }]);
  } finally {
    await hungFirst.close();
  }
}, 60_000);

test("a drain that is not a boolean is refused before any worker is asked", async () => {
  const response = await fetch(`${front.url}/v1/deployments?drain=maybe`, { method: "POST", headers: { authorization: `Bearer ${TOKEN}`, "content-type": "application/javascript" }, body: "export default 1" });
  expect([response.status, await response.json()]).toEqual([400, { error: "querystring/drain must be boolean" }]);
});

test("a query string is passed on as it came (a value with ../, a bad escape); a path with '..' next to a '/' is refused naming the fix", async () => {
  // A fresh-user trial found reply-from's own 400 ("source/request contain invalid characters") for
  // a '..' path; looking at why showed that it decoded the whole URL, so `?from=../x` got that 400
  // too and `?x=%E0%A4%A` a 502 naming worker 0.
  for (const path of ["/v1/tail/orders?from=../x", "/v1/tail/orders?x=%E0%A4%A", "/openapi.json?a=%ZZ&b=..%2F"]) {
    const response = await fetch(`${front.url}${path}`);
    expect([response.status, await response.json()]).toEqual([200, { url: path }]);
  }
  for (const path of ["/v1/tail/../apps", "/v1/tail/%2e%2e/apps", "/v1/streams/a%2F..%2Fb/stream", "/v1/tail/..x"]) {
    const response = await rawGet(path);
    expect(response).toEqual({ status: 400, body: { error: `path ${path}: '..' next to a '/' is not passed on to the workers; call the path it stands for` } });
  }
  // Dots elsewhere pass.
  const dots = await fetch(`${front.url}/v1/tail/a...b`);
  expect([dots.status, await dots.json()]).toEqual([200, { url: "/v1/tail/a...b" }]);
});

/** GET `path` exactly as written (fetch would resolve its `..` segments before sending). */
async function rawGet(path: string): Promise<{ status: number; body: unknown }> {
  const { port, hostname } = new URL(front.url);
  const socket = connect(Number(port), hostname);
  socket.write(`GET ${path} HTTP/1.1\r\nHost: ${hostname}\r\nConnection: close\r\n\r\n`);
  let text = "";
  for await (const chunk of socket) text += String(chunk);
  const [head, body] = text.split("\r\n\r\n") as [string, string];
  return { status: Number(head.split(" ")[1]), body: JSON.parse(body) };
}
