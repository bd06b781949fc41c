/**
 * Errors the framework raises or carries. Every message names the thing (application, workflow,
 * task, portal, path, key) and what to do about it (docs/architecture.md, "Errors").
 */
import type { Key } from "./key.js";

/** Where in a running application something happened. */
export interface Location {
  /** Workflow path, e.g. `/shop/workflows/cart`. */
  readonly workflow: string;
  /** Task name within the workflow: its `withName` name, else `<kind>#<position>` such as `map#2`. */
  readonly task: string;
  /** Key of the event being processed. */
  readonly key: Key;
}

/**
 * An application definition is malformed: thrown by `build()` (and by `launch` for problems that
 * need the running system, such as an unknown registry path). `problems` lists every problem
 * found, one message each.
 */
export class ApplicationError extends Error {
  /** The error's class name (stays the same in snapshots and across copies of the package). */
  override readonly name = "ApplicationError";
  constructor(
    /** Name of the application. */
    readonly application: string,
    /** One message per problem. */
    readonly problems: readonly string[],
  ) {
    super(
      problems.length === 1
        ? `application ${application}: ${problems[0]}`
        : `application ${application} has ${problems.length} problems:\n` + problems.map((p) => `  - ${p}`).join("\n"),
    );
  }
}

/**
 * An operator threw while processing an event, a hook or a reply (docs/semantics.md, rule 10). It travels
 * downstream with the failed atom (handlers set with `withOnError` receive it) and is reported
 * through the system's log with its location.
 */
export class OperatorError extends Error implements Location {
  /** The error's class name. */
  override readonly name = "OperatorError";
  constructor(
    /** Path of the workflow (or of the generator or splitter) where the operator ran. */
    readonly workflow: string,
    /** Name of the task (or `source`, or the split's path). */
    readonly task: string,
    /** Key of the event being processed. */
    readonly key: Key,
    /** The value the operator threw. */
    override readonly cause: unknown,
  ) {
    super(`workflow ${workflow}, task ${task}, key ${JSON.stringify(key)}: ${describe(cause)}`);
  }
}

/**
 * A portal request failed: the replier threw, or finished serving it without replying. The
 * asker's continuation receives it at its `await` (catch it with `try/catch`).
 */
export class PortalRequestError extends Error {
  /** The error's class name. */
  override readonly name = "PortalRequestError";
  constructor(
    /** Path of the portal. */
    readonly portal: string,
    /** What the replier reported. */
    readonly reason: string,
  ) {
    super(`request to portal ${portal} failed: ${reason}`);
  }
}

/** The message of a thrown value, for reports (`Error.message`, else `String(value)`). */
export function describe(thrown: unknown): string {
  if (thrown instanceof Error) return thrown.message;
  return String(thrown);
}
