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
 */
import { closeSync, existsSync, fsyncSync, ftruncateSync, openSync, writeSync } from "node:fs";
import type { Sink, SinkState, SinkWriter } from "../core/sink.js";

/** A sink whose committed events can be read back: {@link Sinks.memory}. */
export interface MemorySink<T> extends Sink<T> {
  /** The committed events, in order. Survives the system (as a file would), for crash tests. */
  readonly committed: readonly T[];
}

/** Factories of transactional sinks. */
export const Sinks = {
  /**
   * A JSON-lines file: one event per line, appended on commit and fsynced. A fresh run starts
   * the file empty; a restore cuts it back to the snapshot's committed size.
   *
   * @throws Error naming the file when it cannot be opened (at launch)
   */
  file<T>(path: string): Sink<T> {
    if (typeof path !== "string" || path === "") throw new TypeError("Sinks.file(path): the path must be a non-empty string");
    return { kind: "sink", description: `file ${path}`, open: () => new FileWriter(path) };
  },

  /** Events kept in memory (tests): `sink.committed` holds what was committed. */
  memory<T>(): MemorySink<T> {
    const committed: T[] = [];
    return { kind: "sink", description: "memory", committed, open: () => new MemoryWriter(committed as unknown[]) };
  },
};

class FileWriter implements SinkWriter {
  private readonly fd: number;
  private committed = 0;
  private staged: string[] = [];

  constructor(private readonly path: string) {
    try {
      this.fd = openSync(path, existsSync(path) ? "r+" : "w+");
    } catch (thrown) {
      throw new Error(`Sinks.file: cannot open ${path} (${(thrown as Error).message})`);
    }
  }

  stage(events: readonly unknown[]): void {
    for (const e of events) this.staged.push(JSON.stringify(e) + "\n");
  }

  save(): SinkState {
    return { committed: this.committed, staged: [...this.staged] };
  }

  commit(): void {
    if (this.staged.length === 0) return;
    this.committed += this.write(this.staged.join(""), this.committed);
    this.staged = [];
  }

  reset(): void {
    ftruncateSync(this.fd, 0);
    this.committed = 0;
    this.staged = [];
  }

  recover(state: SinkState): void {
    ftruncateSync(this.fd, state.committed);
    this.committed = state.committed + this.write((state.staged as string[]).join(""), state.committed);
    this.staged = [];
  }

  close(): void {
    closeSync(this.fd);
  }

  /** Writes `text` at byte `at` and syncs; returns the bytes written. */
  private write(text: string, at: number): number {
    const bytes = Buffer.from(text, "utf8");
    let done = 0;
    while (done < bytes.length) done += writeSync(this.fd, bytes, done, bytes.length - done, at + done);
    fsyncSync(this.fd);
    return bytes.length;
  }
}

class MemoryWriter implements SinkWriter {
  private committed: number;
  private staged: unknown[] = [];

  constructor(private readonly events: unknown[]) {
    this.committed = events.length;
  }

  stage(events: readonly unknown[]): void {
    this.staged.push(...events);
  }

  save(): SinkState {
    return { committed: this.committed, staged: [...this.staged] };
  }

  commit(): void {
    this.events.push(...this.staged);
    this.committed = this.events.length;
    this.staged = [];
  }

  reset(): void {
    this.events.length = 0;
    this.committed = 0;
    this.staged = [];
  }

  recover(state: SinkState): void {
    this.events.length = state.committed;
    this.events.push(...state.staged);
    this.committed = this.events.length;
    this.staged = [];
  }

  close(): void {}
}
