/**
 * Log lines: what every operator's `ctx.log`, every `logger` task and every failure report
 * writes, and the writer a system hands them to.
 */
import type { OperatorError } from "./errors.js";
import type { Key } from "./key.js";

/** Severity of a log line. */
export type LogLevel = "info" | "warn" | "error";

/** What a log line carries besides its text. */
export interface LogMeta {
  /** Severity of the line. */
  readonly level: LogLevel;
  /** Workflow path (or generator/splitter path for source and routing errors). */
  readonly workflow: string;
  /** Task name (its `withName` name, else `<kind>#<position>`, e.g. `map#2`). */
  readonly task: string;
  /** Key of the event being processed. */
  readonly key: Key;
  /**
   * On a line that reports a thrown value (an operator, hook, source, split or replier that
   * threw, an event a sink refused): the failure, whose `cause` is the value thrown, with its
   * stack. The line's text is `error.message`, or says what became of the failure (a failed
   * request) with its message. Absent on other lines.
   */
  readonly error?: OperatorError;
}

/**
 * Receives every log line of a system: `logger` lines are `prefix + format(event)`, `ctx.log`
 * lines are the message, both bare; `meta` says level, workflow, task and key, and carries the
 * error of a failure report.
 */
export type LogWriter = (line: string, meta: LogMeta) => void;
