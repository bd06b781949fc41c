/**
 * Sources: what produces a generator's atoms, one per call, the seal atom last. Every event a
 * source makes has key 0 (docs/semantics.md, rule 3). A source keeps a position (an index or
 * an offset) that snapshots store, so it replays from there after a restore.
 */
import { OperatorError } from "../../core/errors.js";
import type { Key } from "../../core/key.js";
import type { LogWriter } from "../../core/log.js";
import { atom, sealAtom, type Atom } from "../atom.js";

/** Produces the atoms of one generator. */
export interface AtomSource {
  /** Where the source is, as plain data (snapshots). */
  position(): unknown;
  /** Goes back to a position from {@link position} (restore). */
  seek(position: any): void;
  /** The next atom; the seal atom last. Only when {@link available}; async sources in a test system: once `pending` is undefined. */
  next(): Atom;
  /** Whether {@link next} has an atom now (live sources); absent: always. */
  available?(): boolean;
  /** Releases what the source holds open (a file), if anything. */
  close?(): void;
}

const zeroKeys = new Map<number, Key[]>();

/**
 * The keys of an atom of `n` generated events: all 0. One frozen array per size,
 * shared, since atoms are never changed after they are made.
 */
export function zeros(n: number): Key[] {
  let keys = zeroKeys.get(n);
  if (keys === undefined) zeroKeys.set(n, (keys = Object.freeze(new Array<Key>(n).fill(0)) as Key[]));
  return keys;
}

/** Atoms given as arrays (`fromArray`, `fromArrayOfArrays`, `signal`, `empty`). */
export class ArraySource implements AtomSource {
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
export class RangeSource implements AtomSource {
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

/**
 * What the iterable sources share: elements read into atoms of `atomSize`, counted so that a
 * restore can skip those already handed out; a throw while reading fails the atom it was
 * filling and ends the stream.
 */
abstract class ElementSource implements AtomSource {
  protected ended = false;
  /** Elements handed out in atoms. */
  protected consumed = 0;

  constructor(
    protected readonly path: string,
    protected readonly atomSize: number,
    private readonly write: LogWriter,
  ) {}

  abstract next(): Atom;
  abstract seek(position: { consumed: number; ended: boolean }): void;

  position(): { consumed: number; ended: boolean } {
    return { consumed: this.consumed, ended: this.ended };
  }

  /** Ends the stream after reading threw `thrown`; returns the error the atom carries. */
  protected failed(thrown: unknown): OperatorError {
    this.ended = true;
    return sourceError(this.path, thrown, this.write);
  }
}

/** The atom of elements `values` (failed with `error` if reading threw), or the seal when there are none. */
function elementsAtom(values: unknown[], error: OperatorError | undefined): Atom {
  return values.length === 0 && error === undefined ? sealAtom() : atom(zeros(values.length), values, error, false, false);
}

/** `fromIterable(iterable, { atomSize })`: read lazily, synchronously. */
export class IterableSource extends ElementSource {
  private iterator: Iterator<unknown> | undefined;

  constructor(path: string, private readonly iterable: Iterable<unknown>, atomSize: number, write: LogWriter) {
    super(path, atomSize, write);
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
      error = this.failed(thrown);
    }
    return elementsAtom(values, error);
  }
}

/**
 * `fromAsyncIterable(iterable, { atomSize })`: the next atom is fetched ahead while the system
 * works; a step that needs it before it is in waits for it (`stepUntilCompleteAsync`), so the
 * order of steps does not depend on timing.
 */
export class AsyncIterableSource extends ElementSource {
  private iterator: AsyncIterator<unknown> | undefined;
  private fetched: Atom | undefined;
  private fetching: Promise<void> | undefined;
  private waking = false;

  /** @param wake in a live system: called when a fetched atom is in (the source was not available) */
  constructor(
    path: string,
    private readonly iterable: AsyncIterable<unknown>,
    atomSize: number,
    write: LogWriter,
    private readonly wake: (() => void) | undefined,
  ) {
    super(path, atomSize, write);
  }

  /**
   * In a test system always (the driver awaits {@link pending}, so timing decides nothing); in
   * a live system only once the next atom is in, so a slow source holds up no other work.
   */
  available(): boolean {
    if (this.wake === undefined) return true;
    const pending = this.pending;
    if (pending === undefined) return true;
    if (!this.waking) {
      this.waking = true;
      void pending.then(() => {
        this.waking = false;
        this.wake!();
      });
    }
    return false;
  }

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

  /** A fetched atom not handed out yet does not count as read. */
  override position(): { consumed: number; ended: boolean } {
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
      error = this.failed(thrown);
    }
    this.fetched = elementsAtom(values, error);
    this.fetching = undefined;
  }
}

export function sourceError(path: string, thrown: unknown, write: LogWriter): OperatorError {
  const error = new OperatorError(path, "source", 0, thrown);
  write(error.message, { level: "error", workflow: path, task: "source", key: 0, error });
  return error;
}
