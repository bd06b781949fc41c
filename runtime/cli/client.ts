/**
 * The client commands of `portals` (`apps`, `ask`, `send`, `deploy`): calls of a server's HTTP
 * API (docs/live.md, "Endpoints"). The server is `--server`, else `PORTALS_SERVER`, else
 * `http://127.0.0.1:8080`; the token `--token`, else `PORTALS_TOKEN`.
 */
import { MAX_NESTING, nestingOf } from "../core/fingerprint.js";
import { UsageError } from "./io.js";

/** Where a client command calls, and with what token. */
export interface ServerAddress {
  readonly server: string;
  readonly token: string | undefined;
}

/** The server refused or failed a call, or could not be reached (exit code 1). */
export class CallError extends Error {
  override readonly name = "CallError";
}

/**
 * The server and token of a command, from its flags and the environment.
 *
 * @throws UsageError when the server is not an http:// or https:// URL
 */
export function serverAddress(flags: { server?: string; token?: string }, env: NodeJS.ProcessEnv = process.env): ServerAddress {
  const [server, from] = flags.server !== undefined ? [flags.server, "--server"] : env["PORTALS_SERVER"] !== undefined ? [env["PORTALS_SERVER"], "PORTALS_SERVER"] : ["http://127.0.0.1:8080", "the default server"];
  if (!URL.canParse(server) || !["http:", "https:"].includes(new URL(server).protocol)) {
    throw new UsageError(`${from} ${JSON.stringify(server)} is not an http:// or https:// URL; give the server's address, e.g. http://127.0.0.1:8080`);
  }
  return { server: server.replace(/\/+$/, ""), token: flags.token ?? env["PORTALS_TOKEN"] };
}

/**
 * Calls `method path` on the server and returns the JSON it answered.
 *
 * @throws CallError with the server's message for a 4xx or 5xx, or naming the server when it
 *   cannot be reached
 */
export async function call(address: ServerAddress, method: string, path: string, body?: { json: unknown } | { javascript: string }, headers: Record<string, string> = {}): Promise<unknown> {
  const init: RequestInit = { method, headers: { ...headers } };
  const h = init.headers as Record<string, string>;
  if (address.token !== undefined) h["authorization"] = `Bearer ${address.token}`;
  if (body !== undefined && "json" in body) {
    h["content-type"] = "application/json";
    init.body = JSON.stringify(body.json);
  } else if (body !== undefined) {
    h["content-type"] = "application/javascript";
    init.body = body.javascript;
  }
  checkHeaders(h);
  let response: Response;
  try {
    response = await fetch(`${address.server}${path}`, init);
  } catch (thrown) {
    const cause = (thrown as { cause?: { code?: string } }).cause?.code ?? (thrown as Error).message;
    throw new CallError(`cannot reach the server at ${address.server} (${cause}); start one with portals serve, or name it with --server or PORTALS_SERVER`);
  }
  const text = await response.text();
  let parsed: unknown;
  try {
    parsed = text === "" ? undefined : JSON.parse(text);
  } catch {
    throw new CallError(`${address.server} answered ${response.status} with something that is not JSON: ${text.slice(0, 200)}`);
  }
  if (!response.ok) {
    const error = (parsed as { error?: string; problems?: string[] } | undefined) ?? {};
    // The server's message usually lists the problems already; add them only when it does not.
    const listed = (error.problems ?? []).every((p) => (error.error ?? "").includes(p));
    const problems = error.problems !== undefined && error.problems.length > 1 && !listed ? ` (${error.problems.join("; ")})` : "";
    const hint = response.status === 401 ? "; give the token with --token or PORTALS_TOKEN" : "";
    throw new CallError(`${method} ${path}: ${response.status} ${error.error ?? response.statusText}${problems}${hint}`);
  }
  return parsed;
}

/**
 * `<app>/<name>` as the two names of a portal or stream.
 *
 * @throws TypeError naming the expected form
 */
export function target(text: string, what: "portal" | "stream"): { app: string; name: string } {
  const m = /^\/?([\w.-]+)\/(?:(?:portals|generators)\/)?([\w.$-]+)$/.exec(text);
  if (m === null) {
    const shape = /^\/?[^/]+\/[^/]+$/.test(text) ? ` (names are letters, digits, "_", "-" and ".", and "$" after the slash)` : "";
    throw new TypeError(`${what} ${JSON.stringify(text)}: write it as <app>/<${what}>, e.g. shop/${what === "portal" ? "inventory" : "orders"}${shape}`);
  }
  return { app: m[1]!, name: m[2]! };
}

/**
 * `text` parsed as JSON.
 *
 * @throws TypeError naming `what` (e.g. "the request is"), JSON's complaint and `example`, or
 *   when the value nests deeper than the server accepts
 */
export function parseJson(text: string, what: string, example: string): unknown {
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch (thrown) {
    throw new TypeError(`${what} not JSON (${(thrown as Error).message}); quote it for the shell, e.g. '${example}'`);
  }
  // Sending it would overflow the stack in JSON.stringify, and the server refuses it anyway.
  if (nestingOf(value) > MAX_NESTING) throw new TypeError(`${what} nested more than ${MAX_NESTING} levels deep, which the server refuses; flatten it`);
  return value;
}

/**
 * The events of stream `path` from the server's Server-Sent Events, as JSON text, until the
 * stream ends.
 *
 * @throws CallError as {@link call}, and when the stream closes before its end (the server
 *   stopped, or a tail it forwarded to another runtime of its cluster broke: the reason)
 */
export async function* tail(address: ServerAddress, path: string): AsyncGenerator<string> {
  let response: Response;
  try {
    response = await fetch(`${address.server}/v1/streams${path}`, { headers: { accept: "text/event-stream" } });
  } catch (thrown) {
    throw new CallError(`cannot reach the server at ${address.server} (${(thrown as { cause?: { code?: string } }).cause?.code ?? (thrown as Error).message})`);
  }
  if (!response.ok) {
    const body = (await response.json().catch(() => ({}))) as { error?: string };
    throw new CallError(`GET /v1/streams${path}: ${response.status} ${body.error ?? response.statusText}`);
  }
  const decoder = new TextDecoder();
  let buffered = "";
  try {
    for await (const chunk of response.body as unknown as AsyncIterable<Uint8Array>) {
      buffered += decoder.decode(chunk, { stream: true });
      let at: number;
      while ((at = buffered.indexOf("\n\n")) >= 0) {
        const message = buffered.slice(0, at);
        buffered = buffered.slice(at + 2);
        if (message.startsWith("event: end")) return;
        if (message.startsWith("event: broken")) throw new CallError(`the tail broke: ${brokenReason(message)}`);
        for (const line of message.split("\n")) if (line.startsWith("data: ")) yield line.slice("data: ".length);
      }
    }
  } catch (thrown) {
    if (thrown instanceof CallError) throw thrown;
    // fetch says only "terminated" when the connection drops.
    throw new CallError(`the server at ${address.server} closed the stream before it ended (${(thrown as Error).message}); tail it again once the server is back`);
  }
  throw new CallError(`the server at ${address.server} closed the stream before it ended; tail it again once the server is back`);
}

/** The reason in an `event: broken` message's data (`{"error": …}`), or the message itself. */
function brokenReason(message: string): string {
  const data = message.split("\n").find((line) => line.startsWith("data: "));
  try {
    return (JSON.parse(data!.slice("data: ".length)) as { error: string }).error;
  } catch {
    return message;
  }
}

/** Where a header's value comes from, for messages. */
const HEADER_SOURCES: Readonly<Record<string, string>> = { authorization: "the token (--token or PORTALS_TOKEN)", "idempotency-key": "--idempotency-key" };

/**
 * Header values fetch can send: printable ASCII (it fails on anything else as if the server
 * could not be reached).
 *
 * @throws UsageError naming the flag the value came from
 */
export function checkHeaders(headers: Readonly<Record<string, string>>): void {
  for (const [name, value] of Object.entries(headers)) {
    if (!/^[\x20-\x7e]*$/.test(value)) throw new UsageError(`${HEADER_SOURCES[name] ?? name} holds characters an HTTP header cannot carry; use printable ASCII`);
  }
}

/**
 * The `Idempotency-Key` header of `key` (none without one).
 *
 * @throws UsageError for an empty key or one over 256 characters, as the server refuses them
 */
export function idempotencyHeader(key: string | undefined): Record<string, string> {
  if (key === undefined) return {};
  if (key === "" || key.length > 256) throw new UsageError("--idempotency-key takes 1 to 256 characters");
  return { "idempotency-key": key };
}
