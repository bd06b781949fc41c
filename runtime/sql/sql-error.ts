/**
 * The one error type of planning and executing statements: it becomes the `{ error, code }`
 * answer of the statement (docs/sql.md, "Errors"), and nothing else is lost.
 */
import type { SqlErrorCode, SqlFailure } from "./protocol.js";

/** A statement failed; `code` says why (see {@link SqlErrorCode}), the message names what and where. */
export class SqlError extends Error {
  override readonly name = "SqlError";
  constructor(
    /** Why the statement failed. */
    readonly code: SqlErrorCode,
    message: string,
  ) {
    super(message);
  }

  /** The answer that reports this error. */
  toReply(): SqlFailure {
    return { error: this.message, code: this.code };
  }
}

/** The answer for anything thrown while serving a statement: an SqlError's own, else a bug's message. */
export function failureOf(thrown: unknown): SqlFailure {
  if (thrown instanceof SqlError) return thrown.toReply();
  return { error: `internal error: ${thrown instanceof Error ? thrown.message : String(thrown)}`, code: "unsupported" };
}
