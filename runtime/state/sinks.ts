/**
 * Transactional sinks (docs/snapshots.md): where a workflow's output leaves the system, exactly once.
 * A workflow given a sink (`flow.sink(Sinks.file("orders.jsonl"))`) stages the events of every
 * output atom; staged output becomes visible only when it is committed:
 *
 *   - without snapshots, after every step;
 *   - with snapshots (`Systems.test({ snapshots })`), right after the snapshot that covers it is
 *     stored. The snapshot holds the sink's committed position and the staged output, so a
 *     restore first cuts the sink back to that position and writes the staged output again:
 *     whether the crash came before or after the commit, the sink ends up with exactly the
 *     output of the snapshot, and the run continues from there. Nothing committed is repeated
 *     and nothing is lost.
 *
 * The memory sink is here and runs anywhere; the file sink needs Node and is in `file-sink.ts`,
 * whose `Sinks` (the Node entry's) adds `file` to these.
 */
import type { Sink, SinkState, SinkWriter } from "../core/sink.js";

/** A sink whose committed events can be read back: {@link Sinks.memory}. */
export interface MemorySink<T> extends Sink<T> {
  /** The committed events, in order. Survives the system (as a file would), for crash tests. */
  readonly committed: readonly T[];
}

/** Factories of the transactional sinks that run anywhere (the browser entry's `Sinks`). */
export const Sinks = {
  /** Events kept in memory (tests): `sink.committed` holds what was committed. */
  memory<T>(): MemorySink<T> {
    const committed: T[] = [];
    return { kind: "sink", description: "memory", committed, open: () => new MemoryWriter(committed as unknown[]) };
  },
};

class MemoryWriter implements SinkWriter {
  private committed: number;
  private staged: unknown[] = [];

  constructor(private readonly events: unknown[]) {
    this.committed = events.length;
  }

  stage(events: readonly unknown[]): undefined {
    // Memory holds anything; what a snapshot holds is checked by the codec.
    append(this.staged, events);
    return undefined;
  }

  save(): SinkState {
    return { committed: this.committed, staged: [...this.staged] };
  }

  commit(count = this.staged.length): void {
    append(this.events, count === this.staged.length ? this.staged : this.staged.slice(0, count));
    this.committed = this.events.length;
    this.staged = this.staged.slice(count);
  }

  reset(): void {
    this.events.length = 0;
    this.committed = 0;
    this.staged = [];
  }

  recover(state: SinkState): void {
    this.events.length = state.committed;
    append(this.events, state.staged);
    this.committed = this.events.length;
    this.staged = [];
  }

  close(): void {}
}

/** Appends `items` to `to` one by one: `push(...items)` passes them as arguments, and a large staged output overflows the stack. */
function append(to: unknown[], items: readonly unknown[]): void {
  for (let i = 0; i < items.length; i++) to.push(items[i]);
}
