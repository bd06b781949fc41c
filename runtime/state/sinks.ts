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
import { describe } from "../core/errors.js";
import type { Sink, SinkRefusal, SinkState, SinkWriter } from "../core/sink.js";
import { jsonProblem } from "./json-lines.js";

/** A sink whose committed events can be read back: {@link Sinks.memory}. */
export interface MemorySink<T> extends Sink<T> {
  /** The committed events, in order. Survives the system (as a file would), for crash tests. */
  readonly committed: readonly T[];
}

/** Options of {@link Sinks.file}. */
export interface FileSinkOptions<T> {
  /**
   * The line of an event, without its line break (default: `JSON.stringify`, for events JSON
   * holds as they are). Give it to write events JSON cannot hold, such as bigints or Maps.
   */
  readonly format?: (event: T) => string;
}

/** Factories of transactional sinks. */
export const Sinks = {
  /**
   * A JSON-lines file: one event per line, appended on commit and fsynced. A fresh run starts
   * the file empty; a restore cuts it back to the snapshot's committed size.
   *
   * An event JSON cannot hold as it is (a bigint, `NaN`, a `Map`, a class instance without
   * `toJSON`, `undefined` in an array, …) is refused when it is staged, with the path to the
   * value: the workflow reports it as a failed event (docs/semantics.md, rule 10) instead of
   * writing it wrong. With `options.format`, lines are what it returns (a line break in one is
   * refused likewise).
   *
   * @throws TypeError for an empty path or a format that is not a function; Error naming the
   *   file when it cannot be opened (at launch)
   */
  file<T>(path: string, options: FileSinkOptions<T> = {}): Sink<T> {
    if (typeof path !== "string" || path === "") throw new TypeError("Sinks.file(path): the path must be a non-empty string");
    const format = options.format;
    if (format !== undefined && typeof format !== "function") throw new TypeError(`Sinks.file(${JSON.stringify(path)}, { format }): format must be a function (event) => string`);
    return { kind: "sink", description: `file ${path}`, open: () => new FileWriter(path, format as ((event: unknown) => string) | undefined) };
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

  constructor(
    private readonly path: string,
    private readonly format: ((event: unknown) => string) | undefined,
  ) {
    try {
      this.fd = openSync(path, existsSync(path) ? "r+" : "w+");
    } catch (thrown) {
      throw new Error(`Sinks.file: cannot open ${path} (${(thrown as Error).message})`);
    }
  }

  stage(events: readonly unknown[]): SinkRefusal[] | undefined {
    let refused: SinkRefusal[] | undefined;
    for (let i = 0; i < events.length; i++) {
      const line = this.line(events[i]);
      if (typeof line === "string") this.staged.push(line);
      else (refused ??= []).push({ index: i, problem: `file ${this.path} cannot hold the event: ${line.problem}` });
    }
    return refused;
  }

  /** The line of `event` with its line break, or why it cannot be written. */
  private line(event: unknown): string | { problem: string } {
    if (this.format === undefined) {
      const problem = jsonProblem(event);
      if (problem !== undefined) return { problem: `${problem.path} is ${problem.found}; map the event to plain data before the sink, or give Sinks.file a format function` };
      return JSON.stringify(event) + "\n";
    }
    let line: unknown;
    try {
      line = this.format(event);
    } catch (thrown) {
      return { problem: `its format function threw: ${describe(thrown)}` };
    }
    if (typeof line !== "string") return { problem: `its format function returned ${line === null ? "null" : typeof line}, not a string` };
    if (/[\n\r]/.test(line)) return { problem: "its format function returned a line break; a line holds one event" };
    return line + "\n";
  }

  save(): SinkState {
    return { committed: this.committed, staged: [...this.staged] };
  }

  commit(count = this.staged.length): void {
    if (count === 0) return;
    this.committed += this.write(this.staged.slice(0, count).join(""), this.committed);
    this.staged = this.staged.slice(count);
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
