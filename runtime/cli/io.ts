/**
 * What the CLI writes to and reads the time from, so the commands can run in a test with
 * captured output and a fake clock.
 */
import { ApplicationError, describe } from "../core/errors.js";

/** Output streams and clock of a CLI run. */
export interface CliIo {
  /** Writes `text` (already ending with a newline) to standard output. */
  out(text: string): void;
  /** Writes `text` (already ending with a newline) to standard error. */
  err(text: string): void;
  /** Milliseconds from an arbitrary origin; only differences are used. */
  now(): number;
}

/** The process's stdout, stderr and `performance.now()`. */
export const processIo: CliIo = {
  out: (text) => void process.stdout.write(text),
  err: (text) => void process.stderr.write(text),
  now: () => performance.now(),
};

/**
 * An error the user fixes by changing the command line or the module it names (exit code 2).
 * Its message is one line, without the `portals: error:` prefix.
 */
export class UsageError extends Error {
  override readonly name = "UsageError";
}

/**
 * The message of `thrown` on one line: an {@link ApplicationError} as
 * `application /name: problem; problem`, anything else as its message with newlines collapsed.
 */
export function errorLine(thrown: unknown): string {
  if (thrown instanceof ApplicationError) return `application ${thrown.application}: ${thrown.problems.map(oneLine).join("; ")}`;
  return oneLine(describe(thrown));
}

/** `text` on one line: newlines and the indentation after them become single spaces. */
export function oneLine(text: string): string {
  return text.replace(/\s*\n\s*/g, " ").trim();
}
