/**
 * A tail through the front of `portals serve --workers N` (docs/cluster.md, "Partitioned
 * applications"): the events of a stream from every worker, as one Server-Sent Events response.
 * Each worker runs one partition of an application and tails only its own events, so passing the
 * call to one worker showed a part of the stream. Events are passed on whole, as each worker
 * sends them: one worker's keep their order (each key's events come from one partition), and
 * different workers' interleave as they arrive. The response ends with `event: end` once every
 * worker's tail has ended; when one breaks (its worker exited) the response closes without it,
 * and the client tails again, as after a server's restart.
 */
import type { FastifyReply } from "fastify";

/** A worker to tail: its runtime name (for messages) and base URL. */
export interface TailedWorker {
  readonly runtime: string;
  readonly url: string;
}

/** How long a worker may take to begin its tail (its headers), in milliseconds: a hung one fails the call. */
const BEGIN_TIMEOUT_MS = 5000;
/** Between comments that keep proxies from closing an idle stream, in milliseconds (as a server's own tail). */
const KEEP_ALIVE_MS = 15_000;

/**
 * Tails `path` (with its query string, as it came) on every worker in `workers` into `reply`,
 * each worker's own stream only (`here=true`: a worker would otherwise forward a tail of another
 * runtime's stream there, and every worker's copy would be merged). A worker that does not
 * have the stream (404) is left out while another has it; when none has it, the tail goes
 * through worker 0 as it came, which forwards it to the runtime that runs its application (or
 * answers its 404). Any other refusal, or a worker that does not begin within
 * {@link BEGIN_TIMEOUT_MS}, is the answer (naming the worker), and no tail begins.
 */
export async function mergeTails(workers: readonly TailedWorker[], path: string, reply: FastifyReply, own = true): Promise<FastifyReply | undefined> {
  const upstream = new AbortController();
  // The response's close: the client went away (or the response ended).
  const closed = (): void => upstream.abort();
  reply.raw.on("close", closed);
  const begin = setTimeout(() => upstream.abort(new Error(`did not begin its tail within ${BEGIN_TIMEOUT_MS / 1000} s`)), BEGIN_TIMEOUT_MS);
  const answers = await Promise.all(
    workers.map((worker) =>
      fetch(`${worker.url}${own ? hereOnly(path) : path}`, { signal: upstream.signal, headers: { accept: "text/event-stream" } }).then(
        (response) => ({ worker, response }),
        (thrown: unknown) => ({ worker, failure: upstream.signal.reason instanceof Error ? upstream.signal.reason.message : `did not answer (${(thrown as Error).message})` }),
      ),
    ),
  );
  clearTimeout(begin);
  const refuse = (status: number, body: unknown): FastifyReply => {
    upstream.abort();
    reply.raw.off("close", closed);
    return reply.code(status).send(body);
  };
  for (const a of answers) if ("failure" in a) return refuse(502, { error: `worker ${a.worker.runtime} ${a.failure}` });
  const answered = answers as { worker: TailedWorker; response: Response }[];
  const refusal = answered.find((a) => a.response.status !== 200 && a.response.status !== 404);
  const tails = answered.filter((a) => a.response.status === 200);
  if (own && refusal === undefined && tails.length === 0) {
    upstream.abort();
    reply.raw.off("close", closed);
    return mergeTails(workers.slice(0, 1), path, reply, false);
  }
  if (refusal !== undefined || tails.length === 0) {
    const first = refusal ?? answered[0]!;
    const text = await first.response.text().catch(() => "");
    let body: { error?: string };
    try {
      body = JSON.parse(text) as { error?: string };
    } catch {
      body = { error: text };
    }
    return refuse(first.response.status, { error: `worker ${first.worker.runtime}: ${body.error ?? `answered ${first.response.status}`}` });
  }
  for (const a of answered) if (a.response.status !== 200) void a.response.body?.cancel();
  reply.hijack();
  const out = reply.raw;
  out.writeHead(200, { "content-type": "text/event-stream", "cache-control": "no-cache", connection: "keep-alive" });
  out.write(": tailing\n\n");
  const keepAlive = setInterval(() => out.write(": keep-alive\n\n"), KEEP_ALIVE_MS);
  const finish = (ended: boolean): void => {
    clearInterval(keepAlive);
    reply.raw.off("close", closed);
    upstream.abort();
    if (!out.writableEnded) out.end(ended ? "event: end\ndata: {}\n\n" : undefined);
  };
  let ending = tails.length;
  for (const { response } of tails) {
    void passEvents(response, (event) => out.write(`${event}\n\n`)).then((ended) => {
      if (!ended) return finish(false);
      if (--ending === 0) finish(true);
    });
  }
  out.once("close", () => finish(false));
  return undefined;
}

/**
 * Calls `pass` with each event of `response` (its lines, without the blank line after them)
 * but comments and the `end` event. Resolves with true when the `end` event came, false when the
 * body ended or broke without it.
 */
async function passEvents(response: Response, pass: (event: string) => void): Promise<boolean> {
  const decoder = new TextDecoder();
  let buffered = "";
  const reader = response.body!.getReader();
  try {
    for (let read = await reader.read(); !read.done; read = await reader.read()) {
      buffered += decoder.decode(read.value, { stream: true });
      let cut: number;
      while ((cut = buffered.indexOf("\n\n")) >= 0) {
        const event = buffered.slice(0, cut);
        buffered = buffered.slice(cut + 2);
        if (event.startsWith("event: end")) return true;
        if (event !== "" && !event.startsWith(":")) pass(event);
      }
    }
  } catch {
    // Broken (the worker exited, or the tail was closed here): as an end without `event: end`.
  }
  return false;
}

/** `path` asking a worker for its own stream only: `here=true` in its query string (in place of a `here` the client gave). */
function hereOnly(path: string): string {
  const cut = path.indexOf("?");
  const query = new URLSearchParams(cut < 0 ? "" : path.slice(cut + 1));
  query.set("here", "true");
  return `${cut < 0 ? path : path.slice(0, cut)}?${query}`;
}
