/**
 * A tail through the front of `portals serve --workers N` (runtime/server/tail-merge.ts,
 * docs/cluster.md, "Partitioned applications"): every worker's events, not worker 0's alone (a
 * fresh-user trial found half a partitioned application's output missing). The workers here
 * are two loopback HTTP servers that tail as a server does (Server-Sent Events), driven by the
 * test; workers.test.ts tails real workers.
 */
import { createServer, type Server, type ServerResponse } from "node:http";
import { afterAll, beforeAll, expect, test } from "vitest";
import { startFront, type RunningFront } from "../../../runtime/server/front.js";
import type { WorkerPool } from "../../../runtime/server/worker-pool.js";
import { tailEvents } from "../../support/server.js";

const STREAM = "/v1/streams/sums/workflows/sum/stream";
/** A stream no worker runs, which worker 0 forwards to the runtime that runs it. */
const FORWARDED = "/v1/streams/elsewhere/workflows/w/stream";
/** Each worker's open tails, by path, for the test to write events to. */
const tails: Map<string, ServerResponse>[] = [new Map(), new Map()];
const servers: Server[] = [];
let front: RunningFront;

/**
 * A worker: tails the paths in `has` when asked for its own streams (`here=true`, as the front
 * asks), and those in `forwards` when asked without it (as a server forwards a tail of another
 * runtime's stream); answers 404 for others.
 */
function worker(i: number, has: readonly string[], forwards: readonly string[] = []): Server {
  return createServer((request, response) => {
    const [path = "", query] = (request.url ?? "").split("?");
    if (!(query === "here=true" ? has : forwards).includes(path)) {
      response.writeHead(404, { "content-type": "application/json" }).end(JSON.stringify({ error: `no stream ${path.slice("/v1/streams".length)} on w-${i}` }));
      return;
    }
    response.writeHead(200, { "content-type": "text/event-stream" });
    response.write(": tailing\n\n");
    tails[i]!.set(path, response);
  });
}

beforeAll(async () => {
  servers.push(worker(0, [STREAM, "/v1/streams/only-0/workflows/w/stream"], [FORWARDED]), worker(1, [STREAM]));
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

/** A tail of `path` through the front. */
const tail = (path: string) => tailEvents(`${front.url}${path}`);

/** Until both workers have the tail of `path` open. */
async function opened(path: string, workers = [0, 1]): Promise<ServerResponse[]> {
  await expect.poll(() => workers.every((i) => tails[i]!.has(path)), { timeout: 5000, interval: 10 }).toBe(true);
  return workers.map((i) => tails[i]!.get(path)!);
}

test("every worker's events come as one tail, each worker's in its order (an event split across writes whole); it ends once every worker's tail has", async () => {
  const { response, next } = await tail(STREAM);
  expect([response.status, response.headers.get("content-type")]).toEqual([200, "text/event-stream"]);
  const [w0, w1] = await opened(STREAM);
  w0!.write('data: "0:0"\n\n');
  expect(await next()).toBe('data: "0:0"');
  w1!.write('data: "1:1"\n\ndata: "8:9"\n');
  expect(await next()).toBe('data: "1:1"');
  w0!.write(": keep-alive\n\n");
  w1!.write("\n");
  expect(await next()).toBe('data: "8:9"');
  w1!.end("event: end\ndata: {}\n\n");
  w0!.write('data: "7:7"\n\n');
  expect(await next()).toBe('data: "7:7"');
  w0!.end("event: end\ndata: {}\n\n");
  expect([await next(), await next()]).toEqual(["event: end\ndata: {}", null]);
  tails.forEach((t) => t.delete(STREAM));
});

test("a worker whose tail breaks (it exited) closes the tail without its end, so the client tails again; the other worker's tail is closed", async () => {
  const { next } = await tail(STREAM);
  const [w0, w1] = await opened(STREAM);
  w0!.write('data: "0:0"\n\n');
  expect(await next()).toBe('data: "0:0"');
  w1!.destroy();
  expect(await next()).toBe(null);
  await expect.poll(() => w0!.closed, { timeout: 5000, interval: 10 }).toBe(true);
  tails.forEach((t) => t.delete(STREAM));
});

test("a stream only one worker has is tailed there; one no worker has gets the first worker's 404, naming it", async () => {
  const only = "/v1/streams/only-0/workflows/w/stream";
  const { response, next } = await tail(only);
  expect(response.status).toBe(200);
  const [w0] = await opened(only, [0]);
  w0!.end('data: 1\n\nevent: end\ndata: {}\n\n');
  expect([await next(), await next(), await next()]).toEqual(["data: 1", "event: end\ndata: {}", null]);
  const none = await fetch(`${front.url}/v1/streams/nothing/workflows/w/stream`);
  expect([none.status, await none.json()]).toEqual([404, { error: "worker w-0: no stream /nothing/workflows/w/stream on w-0" }]);
});

test("a stream no worker has of its own is tailed through worker 0, which forwards it (once: not by every worker)", async () => {
  const { response, next } = await tail(FORWARDED);
  expect(response.status).toBe(200);
  const [w0] = await opened(FORWARDED, [0]);
  w0!.end('data: 2\n\nevent: end\ndata: {}\n\n');
  expect([await next(), await next(), await next()]).toEqual(["data: 2", "event: end\ndata: {}", null]);
  expect(tails[1]!.has(FORWARDED)).toBe(false);
});

test("a client's own here=false (or here=true) is replaced, not repeated: the workers still tail their own streams", async () => {
  const { response } = await tail(`${STREAM}?here=false`);
  expect(response.status).toBe(200);
  const workers = await opened(STREAM);
  for (const w of workers) w.end("event: end\ndata: {}\n\n");
  tails.forEach((t) => t.delete(STREAM));
});

test("the client going away closes every worker's tail", async () => {
  const controller = new AbortController();
  const response = await fetch(`${front.url}${STREAM}`, { signal: controller.signal });
  expect(response.status).toBe(200);
  const workers = await opened(STREAM);
  controller.abort();
  await expect.poll(() => workers.every((w) => w.closed), { timeout: 5000, interval: 10 }).toBe(true);
  tails.forEach((t) => t.delete(STREAM));
});
