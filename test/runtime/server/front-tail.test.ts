/**
 * A tail through the front of `portals serve --workers N` (runtime/server/tail-pass.ts,
 * docs/cluster.md, "Partitioned applications"): passed to worker 0 as it came, which joins every
 * partition's tail (a fresh-user trial found the front's own merge of its workers missing a
 * partition deployed elsewhere). The workers here are two loopback HTTP servers that tail as a
 * server does (Server-Sent Events), driven by the test; workers.test.ts tails real workers.
 */
import { createServer, type Server, type ServerResponse } from "node:http";
import { afterAll, beforeAll, expect, test } from "vitest";
import { startFront, type RunningFront } from "../../../runtime/server/front.js";
import type { WorkerPool } from "../../../runtime/server/worker-pool.js";
import { tailEvents } from "../../support/server.js";

const STREAM = "/v1/streams/sums/workflows/sum/stream";
/** Each worker's open tails, by path and query as asked, for the test to write events to. */
const tails: Map<string, ServerResponse>[] = [new Map(), new Map()];
const servers: Server[] = [];
let front: RunningFront;

/** A worker: tails every path under /v1/streams/ but `/v1/streams/nothing/…` (404), as a server does. */
function worker(i: number): Server {
  return createServer((request, response) => {
    const path = request.url ?? "";
    if (path.startsWith("/v1/streams/nothing/")) {
      response.writeHead(404, { "content-type": "application/json" }).end(JSON.stringify({ error: `no stream ${path.slice("/v1/streams".length)} on w-${i}` }));
      return;
    }
    response.writeHead(200, { "content-type": "text/event-stream" });
    response.write(": tailing\n\n");
    tails[i]!.set(path, response);
  });
}

beforeAll(async () => {
  servers.push(worker(0), worker(1));
  const urls: string[] = [];
  for (const s of servers) {
    await new Promise<void>((resolve) => s.listen(0, "127.0.0.1", resolve));
    urls.push(`http://127.0.0.1:${(s.address() as { port: number }).port}`);
  }
  const pool = { states: urls.map((url, index) => ({ index, runtime: `w-${index}`, url, pid: 1, restarts: 0 })) } as unknown as WorkerPool;
  front = await startFront({ port: 0, pool, token: "t".repeat(43), bodyLimit: 1024 });
});

afterAll(async () => {
  await front?.close();
  for (const s of servers) s.closeAllConnections();
  await Promise.all(servers.map((s) => new Promise((resolve) => s.close(resolve))));
});

/** Until worker 0 has the tail of `path` open: its response. */
async function opened(path: string): Promise<ServerResponse> {
  await expect.poll(() => tails[0]!.has(path), { timeout: 5000, interval: 10 }).toBe(true);
  return tails[0]!.get(path)!;
}

test("worker 0's tail passes whole (an event split across writes too), its end included; worker 1 is not asked", async () => {
  const { response, next } = await tailEvents(`${front.url}${STREAM}`);
  expect([response.status, response.headers.get("content-type")]).toEqual([200, "text/event-stream"]);
  const w0 = await opened(STREAM);
  w0.write('data: "0:0"\n\ndata: "1:');
  expect(await next()).toBe('data: "0:0"');
  w0.write('1"\n\n');
  expect(await next()).toBe('data: "1:1"');
  w0.end("event: end\ndata: {}\n\n");
  expect([await next(), await next()]).toEqual(["event: end\ndata: {}", null]);
  expect(tails[1]!.size).toBe(0);
  tails[0]!.delete(STREAM);
});

test("the path and query go as they came (here=false stays false); event: broken passes, and a worker's tail that breaks closes the front's", async () => {
  const { next } = await tailEvents(`${front.url}${STREAM}?here=false`);
  const w0 = await opened(`${STREAM}?here=false`);
  w0.write('data: 1\n\nevent: broken\ndata: {"error":"runtime x stopped the tail"}\n\n');
  expect([await next(), await next()]).toEqual(["data: 1", 'event: broken\ndata: {"error":"runtime x stopped the tail"}']);
  w0.destroy();
  expect(await next()).toBe(null);
  tails[0]!.clear();
});

test("worker 0's refusal is the answer, naming it", async () => {
  const none = await fetch(`${front.url}/v1/streams/nothing/workflows/w/stream`);
  expect([none.status, await none.json()]).toEqual([404, { error: "worker w-0: no stream /nothing/workflows/w/stream on w-0" }]);
});

test("the client going away closes worker 0's tail", async () => {
  const controller = new AbortController();
  const response = await fetch(`${front.url}${STREAM}`, { signal: controller.signal });
  expect(response.status).toBe(200);
  const w0 = await opened(STREAM);
  controller.abort();
  await expect.poll(() => w0.closed, { timeout: 5000, interval: 10 }).toBe(true);
  tails[0]!.clear();
});
