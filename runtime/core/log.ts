/**
 * Log lines: what every operator's `ctx.log`, every `logger` task and every failure report
 * writes, and the writer a system hands them to.
 */
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
}

/**
 * Receives every log line of a system: `logger` lines are `prefix + format(event)`, `ctx.log`
 * lines are the message, both bare; `meta` says level, workflow, task and key.
 */
export type LogWriter = (line: string, meta: LogMeta) => void;
