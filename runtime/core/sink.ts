/**
 * Transactional sinks as the engine and the builders see them: a sink is opened once per
 * system, stages the events of each output atom, and makes them visible only when a
 * checkpoint commits them (docs/snapshots.md, "Exactly-once output"). The implementations are
 * in `state/sinks.ts`.
 */

/** A sink's position as plain data: what is committed, and what is staged on top of it. */
export interface SinkState {
  /** Committed size: bytes of a file, events of a memory sink. */
  readonly committed: number;
  /** Staged events, as the sink stores them (JSON lines for a file). */
  readonly staged: readonly unknown[];
}

/** An event a sink cannot hold, by its index in the staged atom, and why. */
export interface SinkRefusal {
  /** Index of the event among the events given to `stage`. */
  readonly index: number;
  /** What cannot be written and where in the event, e.g. `value.total is a bigint, which JSON cannot hold`. */
  readonly problem: string;
}

/** A sink in one running system. */
export interface SinkWriter {
  /**
   * Stages the events of one output atom, except those it cannot hold, which it returns: the
   * workflow reports each as a failed event (docs/semantics.md, rule 10) and leaves it out of
   * its output. Return nothing when every event was staged.
   */
  stage(events: readonly unknown[]): readonly SinkRefusal[] | void;
  /** The committed position and the staged events (for a snapshot). */
  save(): SinkState;
  /**
   * Makes the first `count` staged events (default: all) visible and durable; the others stay
   * staged (a checkpoint still being stored covers only those staged when it was taken).
   */
  commit(count?: number): void;
  /** Starts empty: a fresh run, not a restore. */
  reset(): void;
  /** Makes the sink hold exactly the output of a snapshot (committed, then the staged events). */
  recover(state: SinkState): void;
  /** Releases the sink's resources (files). */
  close(): void;
}

/** Where a workflow's output goes; give it to `flow.sink(target)` (made by `Sinks.*`). */
export interface Sink<T> {
  /** What the object is. */
  readonly kind: "sink";
  /** For messages, e.g. `file orders.jsonl`. */
  readonly description: string;
  /** A writer for one system. */
  open(): SinkWriter;
  /** Phantom: the event type. */
  readonly __type?: (event: T) => void;
}
