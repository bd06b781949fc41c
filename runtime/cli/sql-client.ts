/**
 * The session of one `portals sql` run: statements sent to `POST /v1/sql/{app}/{table}` under a
 * random session id, numbered by `seq` from 0. A statement whose call fails on the way (the
 * server restarting, a connection reset) is sent again with the same session and `seq`, which
 * the table answers once and applies once (docs/sql.md, "Protocol"), so a retried write is
 * never applied twice.
 */
import { randomUUID } from "node:crypto";
import { isSqlReply, type SqlReply } from "../sql/protocol.js";
import { CallError, checkHeaders, type ServerAddress } from "./client.js";
import { UsageError } from "./io.js";

/** A table's query portal: `/<app>/portals/<table>`. */
export interface SqlTableRef {
  readonly app: string;
  readonly table: string;
}

/**
 * The query portal named by `text`, `/<app>/portals/<table>` (the leading `/` may be left out).
 *
 * @throws UsageError naming the expected form and `from` (the flag or variable it came from)
 */
export function sqlTableRef(text: string, from: string): SqlTableRef {
  const m = /^\/?([\w.-]+)\/portals\/([\w.$-]+)$/.exec(text);
  if (m === null) throw new UsageError(`${from} ${JSON.stringify(text)}: give the table's query portal as /<app>/portals/<table>, e.g. /shop/portals/kv`);
  return { app: m[1]!, table: m[2]! };
}

/** How often and how long a statement is sent again after its call failed on the way. */
export interface RetryPolicy {
  /** Sends after the first (default 6). */
  readonly retries: number;
  /** Wait before the first retry, doubled for each next one up to 2 s (default 100 ms). */
  readonly firstDelayMs: number;
  /** How to wait (tests pass a fake). */
  readonly sleep: (ms: number) => Promise<void>;
}

/** About 5 s of retries: long enough for a server to restart and restore. */
export const DEFAULT_RETRY: RetryPolicy = { retries: 6, firstDelayMs: 100, sleep: (ms) => new Promise((resolve) => setTimeout(resolve, ms)) };

/** Statuses of a server that is going away or not there yet: the statement was not run, or its answer is kept. */
const RETRY_STATUS = new Set([502, 503]);

/** See the module header. */
export class SqlSession {
  /** The session id the statements are sent under. */
  readonly id = randomUUID();
  private seq = 0;
  private readonly path: string;

  constructor(
    private readonly address: ServerAddress,
    table: SqlTableRef,
    private readonly retry: RetryPolicy = DEFAULT_RETRY,
    private readonly fetchFn: typeof fetch = fetch,
  ) {
    this.path = `/v1/sql/${encodeURIComponent(table.app)}/${encodeURIComponent(table.table)}`;
  }

  /**
   * Runs one statement and returns the table's answer: rows, a count of rows affected, or a
   * failed statement (`{ error, code }`, a value: the session goes on).
   *
   * @param options.alone true to run it outside the session (no `session`, no `seq`): it takes
   *   no locks and reads committed rows, whatever transaction the session has open; for reads only
   * @throws CallError when the server refuses the call (no token, no such application or
   *   portal, a portal that is not a table's) or cannot be reached after the retries
   * @throws UsageError when the token cannot be sent in a header
   */
  async run(sql: string, options: { readonly alone?: boolean } = {}): Promise<SqlReply> {
    const headers: Record<string, string> = { "content-type": "application/json" };
    if (this.address.token !== undefined) headers["authorization"] = `Bearer ${this.address.token}`;
    checkHeaders(headers);
    // The seq is taken before the first send: a statement that got lost on the way keeps its
    // number, and the next one never reuses it, whatever became of this one.
    const body = JSON.stringify(options.alone === true ? { sql } : { sql, session: this.id, seq: this.seq++ });
    let delay = this.retry.firstDelayMs;
    for (let attempt = 0; ; attempt++) {
      const last = attempt === this.retry.retries;
      let response: Response;
      try {
        response = await this.fetchFn(`${this.address.server}${this.path}`, { method: "POST", headers, body });
      } catch (thrown) {
        // fetch says only "fetch failed"; its cause says why (ECONNREFUSED, "bad port").
        const { cause } = thrown as { cause?: { code?: string; message?: string } };
        const why = cause?.code ?? cause?.message ?? (thrown as Error).message;
        if (last || why === "ENOTFOUND" || why === "EAI_AGAIN") {
          throw new CallError(`cannot reach the server at ${this.address.server} (${why}${attempt > 0 ? `, ${attempt + 1} tries` : ""}); start one with portals serve, or name it with --server or PORTALS_SERVER`);
        }
        await this.retry.sleep(delay);
        delay = Math.min(delay * 2, 2000);
        continue;
      }
      if (RETRY_STATUS.has(response.status) && !last) {
        await response.body?.cancel();
        await this.retry.sleep(delay);
        delay = Math.min(delay * 2, 2000);
        continue;
      }
      return answer(response, await response.text(), `POST ${this.path}`, this.address.server);
    }
  }
}

/**
 * The reply in a response of `POST /v1/sql`: the body of a 200, or of an error that carries a
 * statement's `code`.
 *
 * @throws CallError with the server's message for any other error
 */
function answer(response: Response, text: string, call: string, server: string): SqlReply {
  let parsed: unknown;
  try {
    parsed = text === "" ? undefined : JSON.parse(text);
  } catch {
    throw new CallError(`${server} answered ${response.status} with something that is not JSON: ${text.slice(0, 200)}`);
  }
  if (isSqlReply(parsed) && (response.ok || "code" in parsed)) return parsed;
  const error = (parsed as { error?: unknown } | undefined)?.error;
  const hint = response.status === 401 ? "; give the token with --token or PORTALS_TOKEN" : "";
  throw new CallError(`${call}: ${response.status} ${typeof error === "string" ? error : response.statusText}${hint}`);
}
