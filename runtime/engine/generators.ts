/**
 * Generators at run time: each step emits one atom of its source; after the last atom comes the
 * seal (reference `Generator`: one atom per inner list, then a separate seal atom). Every event
 * of a generator has key 0 (DESIGN §5.3). Sources keep a position (index or byte offset) so
 * that the snapshot work can replay them.
 */
import { closeSync, openSync, readSync } from "node:fs";
import { OperatorError } from "../api/errors.js";
import type { GeneratorSource } from "../graph/model.js";
import { atom, sealAtom, type Atom } from "./atom.js";
import type { LogWriter } from "./context.js";
import type { Key } from "./machine.js";
import { Rank, type Component } from "./scheduler.js";
import type { AtomicStream } from "./stream.js";

/** Produces the atoms of one generator. */
interface AtomSource {
  /** Where the source is, as plain data (snapshots, DESIGN §8). */
  position(): unknown;
  /** Goes back to a position from {@link position} (restore). */
  seek(position: any): void;
  /** The next atom; the seal atom last. Async sources: only once `pending` is undefined. */
  next(): Atom;
  /** Releases what the source holds open (a file), if anything. */
  close?(): void;
}

const zeroKeys = new Map<number, Key[]>();

/**
 * The keys of an atom of `n` generated events: all 0 (DESIGN §5.3). One frozen array per size,
 * shared, since atoms are never changed after they are made.
 */
function zeros(n: number): Key[] {
  let keys = zeroKeys.get(n);
  if (keys === undefined) zeroKeys.set(n, (keys = Object.freeze(new Array<Key>(n).fill(0)) as Key[]));
  return keys;
}

/** Atoms given as arrays (`fromArray`, `fromArrayOfArrays`, `signal`, `empty`). */
class ArraySource implements AtomSource {
  private index = 0;
  constructor(private readonly atoms: readonly (readonly unknown[])[]) {}
  position(): number {
    return this.index;
  }
  seek(index: number): void {
    this.index = index;
  }
  next(): Atom {
    if (this.index >= this.atoms.length) return sealAtom();
    const values = [...this.atoms[this.index++]!];
    return atom(zeros(values.length), values, undefined, false, false);
  }
}

/** `fromRange(start, end, step)`. */
class RangeSource implements AtomSource {
  private current: number;
  constructor(
    start: number,
    private readonly end: number,
    private readonly step: number,
  ) {
    this.current = start;
  }
  position(): number {
    return this.current;
  }
  seek(current: number): void {
    this.current = current;
  }
  next(): Atom {
    if (this.current >= this.end) return sealAtom();
    const stop = Math.min(this.current + this.step, this.end);
    const values = new Array<number>(stop - this.current);
    for (let x = this.current, i = 0; x < stop; x++, i++) values[i] = x;
    this.current = stop;
    return atom(zeros(values.length), values, undefined, false, false);
  }
}

/** `fromIterable(iterable, { atomSize })`: read lazily; a throw fails the atom and ends the stream. */
class IterableSource implements AtomSource {
  private iterator: Iterator<unknown> | undefined;
  private ended = false;
  private consumed = 0;
  constructor(
    private readonly path: string,
    private readonly iterable: Iterable<unknown>,
    private readonly atomSize: number,
    private readonly write: LogWriter,
  ) {}
  position(): { consumed: number; ended: boolean } {
    return { consumed: this.consumed, ended: this.ended };
  }
  /** Reads the iterable again from its start and skips what was consumed (replays arrays). */
  seek(p: { consumed: number; ended: boolean }): void {
    this.iterator = this.iterable[Symbol.iterator]();
    for (let i = 0; i < p.consumed && !this.iterator.next().done; i++);
    this.consumed = p.consumed;
    this.ended = p.ended;
  }
  next(): Atom {
    if (this.ended) return sealAtom();
    this.iterator ??= this.iterable[Symbol.iterator]();
    const values: unknown[] = [];
    let error: OperatorError | undefined;
    try {
      while (values.length < this.atomSize) {
        const r = this.iterator.next();
        if (r.done) {
          this.ended = true;
          break;
        }
        this.consumed++;
        values.push(r.value);
      }
    } catch (thrown) {
      this.ended = true;
      error = sourceError(this.path, thrown, this.write);
    }
    if (values.length === 0 && error === undefined) return sealAtom();
    return atom(zeros(values.length), values, error, false, false);
  }
}

/**
 * `fromAsyncIterable(iterable, { atomSize })`: the next atom is fetched ahead while the system
 * works; a step that needs it before it is in waits for it (`stepUntilCompleteAsync`), so the
 * order of steps does not depend on timing.
 */
class AsyncIterableSource implements AtomSource {
  private iterator: AsyncIterator<unknown> | undefined;
  private fetched: Atom | undefined;
  private fetching: Promise<void> | undefined;
  private ended = false;
  /** Elements handed out in atoms (a fetched atom not handed out yet does not count). */
  private consumed = 0;

  constructor(
    private readonly path: string,
    private readonly iterable: AsyncIterable<unknown>,
    private readonly atomSize: number,
    private readonly write: LogWriter,
  ) {}

  /** The fetch of the next atom while it is not in, else `undefined`. */
  get pending(): Promise<void> | undefined {
    if (this.fetched !== undefined) return undefined;
    this.fetching ??= this.fetch();
    return this.fetching;
  }

  next(): Atom {
    const a = this.fetched!;
    this.fetched = undefined;
    this.consumed += a.values.length;
    if (!a.seal) void this.pending;
    return a;
  }

  position(): { consumed: number; ended: boolean } {
    return { consumed: this.consumed, ended: this.ended && this.fetched === undefined };
  }

  /**
   * An async iterable cannot be read again, unless it offers `seek(consumed)`: then the
   * restored source continues after the `consumed` elements it had handed out.
   *
   * @throws Error naming the generator when the source had started and cannot seek
   */
  seek(p: { consumed: number; ended: boolean }): void {
    if (p.consumed === 0 && !p.ended) return;
    const seekable = this.iterable as AsyncIterable<unknown> & { seek?: (consumed: number) => void };
    if (typeof seekable.seek !== "function") {
      throw new Error(
        `generator ${this.path} (fromAsyncIterable) had read ${p.consumed} element(s) when the snapshot was taken and cannot be replayed; ` +
          "give the async iterable a seek(consumed) method, or use fromFile or fromIterable over data that can be read again",
      );
    }
    seekable.seek(p.consumed);
    this.consumed = p.consumed;
    this.ended = p.ended;
  }

  private async fetch(): Promise<void> {
    const values: unknown[] = [];
    let error: OperatorError | undefined;
    try {
      this.iterator ??= this.iterable[Symbol.asyncIterator]();
      while (!this.ended && values.length < this.atomSize) {
        const r = await this.iterator.next();
        if (r.done) this.ended = true;
        else values.push(r.value);
      }
    } catch (thrown) {
      this.ended = true;
      error = sourceError(this.path, thrown, this.write);
    }
    this.fetched = values.length === 0 && error === undefined ? sealAtom() : atom(zeros(values.length), values, error, false, false);
    this.fetching = undefined;
  }
}

const CHUNK = 1 << 16;
const NEWLINE = 0x0a;

/**
 * `fromFile(file, { atomSize })`: JSON lines read synchronously in chunks. `offset` is the byte
 * offset of the first unread line. A line that is not JSON fails its atom; the other lines of
 * the atom are still delivered with it, and later atoms are unaffected (DESIGN §9).
 */
class FileSource implements AtomSource {
  private readonly fd: number;
  /** Byte offset of the first line not handed out yet. */
  offset = 0;
  private line = 0;
  private buffer: Buffer = Buffer.alloc(0);
  /** Where the first line not handed out yet starts in {@link buffer}. */
  private start = 0;
  private eof = false;
  private closed = false;

  /** @throws Error naming the file when it cannot be opened */
  constructor(
    private readonly path: string,
    private readonly file: string,
    private readonly atomSize: number,
    private readonly write: LogWriter,
  ) {
    try {
      this.fd = openSync(file, "r");
    } catch (thrown) {
      throw new Error(`generator ${path}: cannot open ${file} (${(thrown as Error).message}); check the path given to fromFile`);
    }
  }

  position(): { offset: number; line: number } {
    return { offset: this.offset, line: this.line };
  }

  seek(p: { offset: number; line: number }): void {
    this.offset = p.offset;
    this.line = p.line;
    this.buffer = Buffer.alloc(0);
    this.start = 0;
    this.eof = false;
  }

  next(): Atom {
    const values: unknown[] = [];
    let error: OperatorError | undefined;
    while (values.length < this.atomSize) {
      const text = this.nextLine();
      if (text === undefined) break;
      if (text.trim() === "") continue;
      try {
        values.push(JSON.parse(text));
      } catch (thrown) {
        error ??= sourceError(this.path, new Error(`${this.file}:${this.line}: ${(thrown as Error).message}`), this.write);
      }
    }
    if (values.length === 0 && error === undefined) {
      this.close();
      return sealAtom();
    }
    return atom(zeros(values.length), values, error, false, false);
  }

  /** Closes the file (at the end, or when the launch that opened it fails). */
  close(): void {
    if (this.closed) return;
    this.closed = true;
    closeSync(this.fd);
  }

  /** The next line without its newline, or `undefined` at the end of the file. */
  private nextLine(): string | undefined {
    for (;;) {
      // Lines are read in place (from `start`), not cut off the buffer one by one: a sub-buffer
      // per line was a tenth of a file-fed application's time (benchmark workload 11).
      const buffer = this.buffer;
      const at = buffer.indexOf(NEWLINE, this.start);
      if (at >= 0 || (this.eof && buffer.length > this.start)) {
        const end = at >= 0 ? at : buffer.length;
        const text = buffer.toString("utf8", this.start, end);
        const next = at >= 0 ? at + 1 : end;
        this.offset += next - this.start;
        this.start = next;
        this.line++;
        return text.endsWith("\r") ? text.slice(0, -1) : text;
      }
      if (this.eof) return undefined;
      const rest = buffer.length - this.start;
      const chunk = Buffer.allocUnsafe(CHUNK);
      const read = readSync(this.fd, chunk, 0, CHUNK, this.offset + rest);
      if (read === 0) {
        this.eof = true;
      } else {
        this.buffer = Buffer.concat([buffer.subarray(this.start), chunk.subarray(0, read)]);
        this.start = 0;
      }
    }
  }
}

function sourceError(path: string, thrown: unknown, write: LogWriter): OperatorError {
  const error = new OperatorError(path, "source", 0, thrown);
  write(error.message, { level: "error", workflow: path, task: "source", key: 0 });
  return error;
}

/** A generator as plain data: whether it is done and its source's position. */
export interface GeneratorState {
  readonly done: boolean;
  /** The source's position; `null` once the generator is done (it never reads again). */
  readonly position: unknown;
}

/** A generator component: one atom per step until the seal. */
export class GeneratorComponent implements Component {
  private done = false;
  private readonly source: AtomSource;

  /** @throws Error when the source cannot be opened (a missing file) */
  constructor(
    readonly path: string,
    spec: GeneratorSource,
    private readonly out: AtomicStream,
    write: LogWriter,
  ) {
    this.source = makeSource(path, spec, write);
  }

  /**
   * While the next atom of an async source is not in: the fetch to await before {@link step}.
   */
  get pending(): Promise<void> | undefined {
    return this.source instanceof AsyncIterableSource ? this.source.pending : undefined;
  }

  /** Releases the source's open file, if any (a failed launch; a finished source closes itself). */
  close(): void {
    this.source.close?.();
  }

  /** The generator's position as plain data (snapshots). */
  save(): GeneratorState {
    return { done: this.done, position: this.done ? null : this.source.position() };
  }

  /** Goes back to a saved position (restore). */
  load(saved: GeneratorState): void {
    this.done = saved.done;
    if (saved.done) this.close();
    else this.source.seek(saved.position);
  }

  wake(): void {}

  rank(): number {
    return Rank.generator;
  }

  ready(): boolean {
    return !this.done;
  }

  step(): void {
    const a = this.source.next();
    if (a.seal) this.done = true;
    this.out.append(a);
  }
}

function makeSource(path: string, spec: GeneratorSource, write: LogWriter): AtomSource {
  switch (spec.kind) {
    case "atoms":
      return new ArraySource(spec.atoms);
    case "range":
      return new RangeSource(spec.start, spec.end, spec.step);
    case "iterable":
      return new IterableSource(path, spec.iterable, spec.atomSize, write);
    case "asyncIterable":
      return new AsyncIterableSource(path, spec.iterable, spec.atomSize, write);
    case "file":
      return new FileSource(path, spec.file, spec.atomSize, write);
  }
}
