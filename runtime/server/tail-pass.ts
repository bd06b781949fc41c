/**
 * A tail through the front of `portals serve --workers N` (docs/cluster.md, "Partitioned
 * applications"): passed to worker 0 as it came, which tails the stream wherever it is in the
 * cluster, and joins the tails of every partition of a partitioned application, on the other
 * workers or on runtimes outside the front (`cluster/tail-forward.ts`). (The front merged its
 * workers' own tails before, and missed a partition deployed elsewhere, found by a fresh user's
 * trial.) Passed on here rather than by the proxy of other calls: a worker that does not begin
 * its tail within {@link BEGIN_TIMEOUT_MS} is a 502 naming it, at once rather than at the
 * proxy's long timeout, and the client going away ends the worker's tail.
 */
import type { FastifyReply } from "fastify";

/** A worker to tail: its runtime name (for messages) and base URL. */
export interface TailedWorker {
  readonly runtime: string;
  readonly url: string;
}

/** How long a worker may take to begin its tail (its headers), in milliseconds: a hung one fails the call. */
const BEGIN_TIMEOUT_MS = 5000;

/**
 * Tails `path` (with its query string, as it came) on `worker` into `reply`: its events, its
 * `event: end` or `event: broken`, byte for byte; a tail that breaks (the worker exited) closes
 * the response without them, and the client tails again. A refusal is the answer, naming the
 * worker, as is a worker that does not begin within {@link BEGIN_TIMEOUT_MS} (502).
 */
export async function passTail(worker: TailedWorker, path: string, reply: FastifyReply): Promise<FastifyReply | undefined> {
  const upstream = new AbortController();
  // The response's close: the client went away (or the response ended).
  const closed = (): void => upstream.abort();
  reply.raw.on("close", closed);
  const begin = setTimeout(() => upstream.abort(new Error(`did not begin its tail within ${BEGIN_TIMEOUT_MS / 1000} s`)), BEGIN_TIMEOUT_MS);
  let response: Response;
  try {
    response = await fetch(`${worker.url}${path}`, { signal: upstream.signal, headers: { accept: "text/event-stream" } });
  } catch (thrown) {
    reply.raw.off("close", closed);
    const why = upstream.signal.reason instanceof Error ? upstream.signal.reason.message : `did not answer (${(thrown as Error).message})`;
    return reply.code(502).send({ error: `worker ${worker.runtime} ${why}` });
  } finally {
    clearTimeout(begin);
  }
  if (response.status !== 200) {
    reply.raw.off("close", closed);
    const text = await response.text().catch(() => "");
    let body: { error?: string };
    try {
      body = JSON.parse(text) as { error?: string };
    } catch {
      body = { error: text };
    }
    return reply.code(response.status).send({ error: `worker ${worker.runtime}: ${body.error ?? `answered ${response.status}`}` });
  }
  reply.hijack();
  const out = reply.raw;
  out.writeHead(200, { "content-type": "text/event-stream", "cache-control": "no-cache", connection: "keep-alive" });
  const reader = response.body!.getReader();
  try {
    for (let read = await reader.read(); !read.done; read = await reader.read()) out.write(read.value);
  } catch {
    // Broken (the worker exited, or the client went away and the tail was aborted).
  } finally {
    reply.raw.off("close", closed);
    upstream.abort();
    if (!out.writableEnded) out.end();
  }
  return undefined;
}
