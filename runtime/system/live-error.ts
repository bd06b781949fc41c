/** Errors of the calls a live system takes from outside the dataflow (docs/live.md). */

/** What went wrong, for the caller to act on (the server maps each to an HTTP status). */
export type LiveErrorCode =
  /** The call itself is malformed (options, events that are not an array). */
  | "bad-request"
  /** No such application, portal or ingestion stream is running. */
  | "not-found"
  /** The call conflicts with what runs (an upgrade of an operator with parked continuations). */
  | "conflict"
  /** No answer within the time asked for. */
  | "timeout"
  /** An idempotency key came again with another request. */
  | "reused-key"
  /** The portal's replier failed; the message is its error's. */
  | "replier"
  /** The runtime of the cluster that runs the application cannot be reached (docs/cluster.md). */
  | "unavailable"
  /** The system was closed. */
  | "closed"
  /** The system stopped after an internal error. */
  | "failed";

/** An ask, send or launch that a live system refused or could not answer; see {@link LiveErrorCode}. */
export class LiveError extends Error {
  /** The error's class name. */
  override readonly name = "LiveError";
  constructor(
    /** What went wrong. */
    readonly code: LiveErrorCode,
    message: string,
  ) {
    super(message);
  }
}
