/**
 * What a table's query portal takes and answers (docs/sql.md, "Protocol"). The shapes are plain
 * JSON so the same request travels from a dataflow asker, `LiveSystem.ask`, `POST /v1/sql` and
 * a remote runtime unchanged; the HTTP route answers with the reply as its body.
 */

/** A value of a column or a parameter: SQL NULL is `null`. */
export type SqlValue = number | string | boolean | null;

/**
 * One SQL statement for a table's query portal.
 *
 * - `sql`: the statement text (a trailing `;` is allowed; one statement per request).
 * - `params`: values of `$1`, `$2`, … (or of `?` in order); plans are cached by text, so a
 *   statement repeated with other parameters is parsed once.
 * - `session`: statements of one session run one at a time in arrival order, and transactions
 *   (`BEGIN` … `COMMIT`) live in a session. Without it a statement runs on its own.
 * - `seq`: the statement's number in its session (needs `session`). A retry with the same
 *   session and `seq` gets the first answer and changes nothing again (exactly-once).
 */
export interface SqlRequest {
  /** The statement. */
  readonly sql: string;
  /** Values of `$1`, `$2`, … (or of `?` in order). */
  readonly params?: readonly SqlValue[];
  /** The session (1 to 200 characters) the statement runs in. */
  readonly session?: string;
  /** The statement's number in its session, for exactly-once retries (an integer >= 0). */
  readonly seq?: number;
}

/** The answer to a query: column names, and rows in ascending key order. */
export interface SqlRows {
  /** Names of the columns, in select-list order (an alias when given). */
  readonly columns: readonly string[];
  /** The rows, each with one value per column. */
  readonly rows: readonly (readonly SqlValue[])[];
}

/** The answer to a write (rows inserted, updated or deleted) or to `BEGIN`/`COMMIT`/`ROLLBACK` (0). */
export interface SqlAffected {
  /** Rows inserted, updated or deleted (an upsert's update counts one). */
  readonly affected: number;
}

/**
 * Why a statement failed:
 * `syntax` (not SQL), `unsupported` (SQL this table does not run), `unknown` (a table, column or
 * parameter it does not have), `type` (a value of the wrong type), `constraint` (a duplicate or
 * missing primary key), `conflict` (a key locked by another transaction: the statement's
 * transaction is aborted), `aborted` (the session's transaction was aborted earlier), `session`
 * (a misuse of the session: `BEGIN` twice, a `seq` too old to be answered again).
 */
export type SqlErrorCode = "syntax" | "unsupported" | "unknown" | "type" | "constraint" | "conflict" | "aborted" | "session";

/** A failed statement: the message names the problem, where it is (`line:column`) and the fix. */
export interface SqlFailure {
  /** What failed, where (`line:column`) and how to fix it. */
  readonly error: string;
  /** Why, as a code a program can act on (and the HTTP status's source). */
  readonly code: SqlErrorCode;
}

/** What a query portal answers. */
export type SqlReply = SqlRows | SqlAffected | SqlFailure;

/**
 * The longest statement a table takes, in characters. The parser runs on the event loop of the
 * process that hosts the table, and its time grows faster than the text (a list of 5,000 values
 * took 2.4 s): a longer statement would stall every other client.
 */
export const MAX_STATEMENT_LENGTH = 8_192;

/** The message for a statement longer than {@link MAX_STATEMENT_LENGTH}. */
export function statementTooLong(length: number): string {
  return `the statement has ${length.toLocaleString("en-US")} characters, more than the ${MAX_STATEMENT_LENGTH.toLocaleString("en-US")} a table parses: split it into several statements (a long IN list into several queries, many VALUES rows into several INSERTs)`;
}

/** The HTTP status of each error code (`POST /v1/sql/{app}/{table}`). */
export const SQL_ERROR_STATUS: Readonly<Record<SqlErrorCode, number>> = {
  syntax: 400,
  unsupported: 400,
  unknown: 400,
  type: 400,
  session: 400,
  constraint: 409,
  conflict: 409,
  aborted: 409,
};

/** True for a reply that reports a failed statement. */
export function isSqlFailure(reply: SqlReply): reply is SqlFailure {
  return (reply as SqlFailure).error !== undefined;
}

/** True when `value` has the shape of a {@link SqlReply} (a portal that is not a table's answers otherwise). */
export function isSqlReply(value: unknown): value is SqlReply {
  if (typeof value !== "object" || value === null) return false;
  const v = value as Record<string, unknown>;
  if (typeof v.error === "string") return typeof v.code === "string" && v.code in SQL_ERROR_STATUS;
  if (typeof v.affected === "number") return true;
  return Array.isArray(v.columns) && Array.isArray(v.rows);
}

/**
 * The problem with `request` as a {@link SqlRequest}, or `null` when it is one. Checked at the
 * edge (HTTP, `LiveSystem.ask`) and again by the query portal, so a bad request is an answer,
 * never a crash.
 */
export function sqlRequestProblem(request: unknown): string | null {
  if (typeof request !== "object" || request === null || Array.isArray(request)) return 'the request must be an object { "sql": "...", "session"?: "...", "seq"?: n, "params"?: [...] }';
  const r = request as Record<string, unknown>;
  if (typeof r.sql !== "string" || r.sql.trim() === "") return '"sql" must be a non-empty string with one statement';
  if (r.sql.length > MAX_STATEMENT_LENGTH) return statementTooLong(r.sql.length);
  if (r.params !== undefined) {
    if (!Array.isArray(r.params)) return '"params" must be an array of values for $1, $2, … (or ?)';
    const bad = r.params.findIndex((p) => !(p === null || typeof p === "string" || typeof p === "boolean" || (typeof p === "number" && Number.isFinite(p))));
    if (bad >= 0) return `"params"[${bad}] must be a number, a string, a boolean or null`;
  }
  if (r.session !== undefined && (typeof r.session !== "string" || r.session === "" || r.session.length > 200)) return '"session" must be a string of 1 to 200 characters';
  if (r.seq !== undefined) {
    if (r.session === undefined) return '"seq" numbers the statements of a session: send "session" with it';
    if (!Number.isSafeInteger(r.seq) || (r.seq as number) < 0) return '"seq" must be an integer >= 0';
  }
  for (const name of Object.keys(r)) {
    if (!["sql", "params", "session", "seq"].includes(name)) return `unknown field "${name}": a request has "sql", "params", "session" and "seq"`;
  }
  return null;
}
