/**
 * The JSON-lines file sink (`Sinks.file`), which needs Node's file system: the Node entry's
 * `Sinks` are the ones of `sinks.ts` and this one. What a transactional sink does is in
 * `sinks.ts`.
 */
import { closeSync, existsSync, fsyncSync, ftruncateSync, openSync, writeSync } from "node:fs";
import { describe } from "../core/errors.js";
import type { Sink, SinkRefusal, SinkState, SinkWriter } from "../core/sink.js";
import { jsonProblem } from "./json-lines.js";
import { Sinks as PortableSinks } from "./sinks.js";

/** Options of {@link Sinks.file}. */
export interface FileSinkOptions<T> {
  /**
   * The line of an event, without its line break (default: `JSON.stringify`, for events JSON
   * holds as they are). Give it to write events JSON cannot hold, such as bigints or Maps.
   */
  readonly format?: (event: T) => string;
}

/** Factories of transactional sinks (the Node entry's `Sinks`). */
export const Sinks = {
  ...PortableSinks,
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
