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

/** A task's hooks, as named in an {@link OperatorError} that one of them threw. */
export type HookName = "onAtomComplete" | "onComplete" | "onError";

/**
 * An operator threw while processing an event, a hook or a reply (docs/semantics.md, rule 10):
 * the failing event is dropped for that task and reported with this error, which also travels
 * downstream with the atom (handlers set with `withOnError` receive it) and reaches the
 * workflow's dead letters with the event. The thrown value is `cause`, stack included.
 */
export class OperatorError extends Error implements Location {
  /** The error's class name. */
  override readonly name = "OperatorError";
  constructor(
    /** Path of the workflow (or of the generator or splitter) where the operator ran. */
    readonly workflow: string,
    /** Name of the task (or `source`, `sink`, or the split's path). */
    readonly task: string,
    /** Key of the failing event (for a hook: the key the task ran under). */
    readonly key: Key,
    /** The value the operator threw. */
    override readonly cause: unknown,
    /** The hook that threw, when it was not the handling of an event. */
    readonly hook?: HookName,
  ) {
    const where = `workflow ${workflow}, task ${task}`;
    super(`${where}${hook === undefined ? "" : ` (${hook})`}, key ${JSON.stringify(key)}: ${withoutPrefix(describe(cause), where)}`);
  }
}

/**
 * A failed event on a workflow's dead-letter stream (`workflow.deadLetters()`, docs/semantics.md,
 * rule 10): the event as the failing task received it, and why it failed. It travels under the
 * event's key.
 */
export interface DeadLetter<T = unknown> {
  /** The event that failed. */
  readonly event: T;
  /** Where and why: workflow, task, the event's key, and the thrown value as `cause`. */
  readonly error: OperatorError;
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

/**
 * The message of a thrown value, for reports: `Error.message`, a string as it is, other values
 * as JSON when they have a JSON form (so `throw { code: 7 }` reads `{"code":7}`), else `String`.
 */
export function describe(thrown: unknown): string {
  if (thrown instanceof Error) return thrown.message;
  if (typeof thrown === "string") return thrown;
  if (typeof thrown === "object" && thrown !== null) {
    try {
      const json = JSON.stringify(thrown);
      if (json !== undefined && json !== "{}") return json;
    } catch {
      // A cycle or a bigint: no JSON form.
    }
  }
  return String(thrown);
}

/**
 * `message` without a leading `<where>: ` that the report it goes into already names: the
 * framework's errors thrown inside a task say where they happened, for callers that catch
 * them, and a report of them must not say it twice.
 */
export function withoutPrefix(message: string, where: string): string {
  return message.startsWith(where + ": ") ? message.slice(where.length + 2) : message;
}
