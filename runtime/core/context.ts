/**
 * The task context (`ctx`) that operator callbacks receive. One interface per
 * capability, so each operator sees exactly what it may use: a `map` cannot `emit`, only the
 * replier side of a portal can `reply`.
 */
import type { Key } from "./key.js";

/** Severity of a log line. */
export type LogLevel = "info" | "warn" | "error";

/** Logger of a task: lines go to the system's `log` writer with workflow, task and key. */
export interface TaskLogger {
  /** Logs `message` at info level (the line is `message`, bare). */
  info(message: string): void;
  /** Logs `message` at warn level. */
  warn(message: string): void;
  /** Logs `message` at error level. */
  error(message: string): void;
}

/**
 * Raw state of a task, scoped to the task and the current key (docs/semantics.md, rule 3). Shares its
 * namespace with {@link StateContext.perKey}: `perKey("n", 0)` reads and writes entry `"n"`.
 */
export interface TaskState {
  /** Value of entry `name` for the current key, or `undefined`. */
  get<V = unknown>(name: string): V | undefined;
  /** Sets entry `name` for the current key. Values must be plain data (they are snapshotted). */
  set(name: string, value: unknown): void;
  /** Deletes entry `name` for the current key. */
  del(name: string): void;
}

/** A typed handle on one state entry (per key or per task). */
export interface StateHandle<V> {
  /** The stored value, or the initial value when nothing is stored. */
  get(): V;
  /** Stores `value` (plain data). */
  set(value: V): void;
  /** Deletes the stored value; `get()` returns the initial value again. */
  del(): void;
}

/** What every operator callback can do: read its key, keep state, log. */
export interface StateContext {
  /** Key of the event being processed (read-only; set by a `key` step, `0` without one). */
  readonly key: Key;
  /** Raw state scoped to this task and the current key. */
  readonly state: TaskState;
  /**
   * Typed state entry `name` of this task for the current key. `initial` is returned while
   * nothing is stored; object initials are frozen, because every key shares the same instance.
   */
  perKey<V>(name: string, initial: V): StateHandle<V>;
  /**
   * Typed state entry `name` shared by all keys of this task. Per-task entries live apart from
   * per-key ones and can never collide with a user key (docs/semantics.md, rule 3).
   */
  perTask<V>(name: string, initial: V): StateHandle<V>;
  /** Logger of this task. */
  readonly log: TaskLogger;
}

/** Context of `map`, `filter`, `flatMap` and `key` callbacks (they return their output). */
export type MapContext = StateContext;

/** Context of callbacks that emit their output: `processor`, hooks, askers, repliers. */
export interface ProcessorContext<U> extends StateContext {
  /** Emits `event` downstream under the current key. */
  emit(event: U): void;
}

/** Context of an asker's callbacks: emits; requests go through the portal refs it declared. */
export type AskerContext<U> = ProcessorContext<U>;

/** Context of a portal replier's request handler: can also answer the request being served. */
export interface ReplierContext<U, Rep> extends ProcessorContext<U> {
  /**
   * Answers the request being served (once). Inside a compiled asker-replier it may be called
   * after awaiting other portals; it still answers the original request (docs/semantics.md, rule 9).
   *
   * @throws Error when called outside of serving a request, or a second time for one request.
   */
  reply(reply: Rep): void;
}
