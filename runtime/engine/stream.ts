/**
 * Atomic streams: append-only logs of atoms with one read position per consumer (reference
 * `InterpreterStream` and progress trackers). Every consumer sees every atom appended after it
 * subscribed (docs/semantics.md, rule 7: late consumers do not see the past); an atom is dropped once every
 * consumer has read it.
 */
import type { Atom } from "./atom.js";

/** A component that reads a stream and must be told when there is something to read. */
export interface Consumer {
  /** Called after an atom was appended to a stream it reads. */
  wake(): void;
  /**
   * True when the atoms it has not read need not survive a crash: a snapshot taken now records
   * it as having read every atom (a cluster's export holding atoms for a reader that may come,
   * docs/cluster.md, "Exports on interest"). Absent: false.
   */
  expendable?(): boolean;
}

/** A consumer's read position in a stream. */
export class Cursor {
  /** Portal atoms appended and not read yet (the scheduler serves those first, docs/semantics.md, rule 8). */
  portalPending = 0;

  constructor(
    readonly stream: AtomicStream,
    /** Absolute index of the next atom to read. */
    public position: number,
    readonly consumer: Consumer,
  ) {}

  /** True when an atom is waiting to be read. */
  hasNext(): boolean {
    return this.position < this.stream.end;
  }

  /** Reads the next atom; call only when {@link hasNext}. */
  next(): Atom {
    return this.stream.read(this);
  }

  /** The atom `ahead` places after the next (0: the next) without reading it; call only when that many are there. */
  peek(ahead = 0): Atom {
    return this.stream.peek(this, ahead);
  }
}

const COMPACT_AT = 1024;

/**
 * A stream as plain data: the atoms some consumer has not read, and each consumer's position.
 * In a delta snapshot (`first` set) `atoms` are only those appended since the previous
 * snapshot; the unread ones before them, from `first` on, are the previous snapshot's.
 */
export interface StreamState {
  readonly end: number;
  /** Atoms from absolute index `end - atoms.length` on. */
  readonly atoms: readonly Atom[];
  /** Per consumer, in subscription order: position and unread portal atoms. */
  readonly cursors: readonly { readonly position: number; readonly portalPending: number }[];
  /** In a delta: the absolute index of the first atom some consumer has not read. */
  readonly first?: number;
  /** Set once its seal atom was appended: the stream has ended (a tail begun later is told at once). */
  readonly ended?: true;
}

/** An atomic stream. */
export class AtomicStream {
  /** Absolute index one past the last appended atom. */
  end = 0;
  /** True once a seal atom was appended: nothing more comes. */
  ended = false;
  /** Atoms not yet read by every consumer; `buffer[head]` has absolute index `base`. */
  private buffer: (Atom | undefined)[] = [];
  /** Consumers that still have to read the atom at the same position in `buffer`. */
  private unread: number[] = [];
  private head = 0;
  private base = 0;
  /** The end when the stream was last saved or loaded: a delta holds the atoms after it. */
  private savedEnd = 0;
  /** The first atom the last save or load held: a delta whose first atom is before it writes its atoms again. */
  private savedFirst = 0;
  private readonly cursors: Cursor[] = [];
  /** Observers of every appended atom (a live system's tails); not consumers, not in snapshots. */
  private watchers: ((atom: Atom) => void)[] | undefined;

  constructor(readonly path: string) {}

  /** Calls `watcher` with every atom appended from now on; returns what stops it. */
  watch(watcher: (atom: Atom) => void): () => void {
    (this.watchers ??= []).push(watcher);
    return () => {
      this.watchers = this.watchers?.filter((w) => w !== watcher);
      if (this.watchers?.length === 0) this.watchers = undefined;
    };
  }

  /** Adds a consumer that starts reading at the current end of the stream. */
  subscribe(consumer: Consumer): Cursor {
    const cursor = new Cursor(this, this.end, consumer);
    this.cursors.push(cursor);
    return cursor;
  }

  /** Appends `atom` and wakes the consumers. Without consumers the atom is dropped. */
  append(atom: Atom): void {
    this.end++;
    if (atom.seal) this.ended = true;
    if (this.watchers !== undefined) for (const w of this.watchers) w(atom);
    const cursors = this.cursors;
    if (cursors.length === 0) {
      this.base = this.end;
      return;
    }
    this.buffer.push(atom);
    this.unread.push(cursors.length);
    for (let i = 0; i < cursors.length; i++) {
      const c = cursors[i]!;
      if (atom.portal) c.portalPending++;
      c.consumer.wake();
    }
  }

  /** Reads the atom at `cursor` and advances it. */
  read(cursor: Cursor): Atom {
    const slot = this.head + (cursor.position - this.base);
    const atom = this.buffer[slot]!;
    cursor.position++;
    if (atom.portal) cursor.portalPending--;
    if (--this.unread[slot]! === 0 && slot === this.head) this.release();
    return atom;
  }

  /** The atom `ahead` places after `cursor`, which stays where it is. */
  peek(cursor: Cursor, ahead = 0): Atom {
    return this.buffer[this.head + (cursor.position + ahead - this.base)]!;
  }

  /**
   * The stream as plain data (snapshots, docs/snapshots.md); with `delta`, only the atoms
   * appended since the previous save (unread atoms waiting long, such as an export's, are not
   * written again by every checkpoint). An expendable consumer ({@link Consumer.expendable}) is
   * saved as having read every atom; a delta that needs atoms the previous save left out for it
   * (it is no longer expendable) writes them again.
   */
  save(delta = false): StreamState {
    const end = this.end;
    const cursors = this.cursors.map((c) => (c.consumer.expendable?.() === true ? { position: end, portalPending: 0 } : { position: c.position, portalPending: c.portalPending }));
    const first = cursors.reduce((low, c) => Math.min(low, c.position), end);
    const from = delta && first >= this.savedFirst ? Math.max(this.savedEnd, first) : first;
    const state: StreamState = {
      end,
      atoms: this.buffer.slice(this.head + (from - this.base)) as Atom[],
      cursors,
      ...(delta ? { first } : {}),
      ...(this.ended ? { ended: true as const } : {}),
    };
    this.savedEnd = end;
    this.savedFirst = first;
    return state;
  }

  /**
   * Puts back a saved stream. The consumers must have subscribed in the same order as when it
   * was saved (the same applications launched in the same order).
   *
   * @throws Error when the number of consumers differs
   */
  load(saved: StreamState): void {
    if (saved.cursors.length !== this.cursors.length) {
      throw new Error(`stream ${this.path} had ${saved.cursors.length} consumer(s) in the snapshot and has ${this.cursors.length} now`);
    }
    if (saved.first !== undefined) throw new Error(`internal: stream ${this.path} was given a delta; resolve the chain first`);
    this.end = saved.end;
    this.ended = saved.ended === true;
    this.savedEnd = saved.end;
    this.base = saved.end - saved.atoms.length;
    this.savedFirst = this.base;
    this.head = 0;
    this.buffer = [...saved.atoms];
    this.unread = saved.atoms.map((_, i) => saved.cursors.filter((c) => c.position <= this.base + i).length);
    saved.cursors.forEach((c, i) => {
      this.cursors[i]!.position = c.position;
      this.cursors[i]!.portalPending = c.portalPending;
    });
  }

  /** Drops the atoms every consumer has read from the front of the buffer. */
  private release(): void {
    while (this.head < this.buffer.length && this.unread[this.head] === 0) {
      this.buffer[this.head] = undefined;
      this.head++;
      this.base++;
    }
    if (this.head >= COMPACT_AT && this.head * 2 >= this.buffer.length) {
      this.buffer.splice(0, this.head);
      this.unread.splice(0, this.head);
      this.head = 0;
    }
  }
}

/**
 * `delta` (a delta's stream state) on top of `previous` (the full state it extends): the unread
 * atoms of both, as a full state.
 *
 * @throws Error when `delta` needs atoms `previous` does not have (a chain out of order)
 */
export function applyStreamDelta(previous: StreamState, delta: StreamState): StreamState {
  if (delta.first === undefined) return delta;
  const from = delta.end - delta.atoms.length;
  const previousFirst = previous.end - previous.atoms.length;
  if (delta.first < from && (delta.first < previousFirst || from !== previous.end)) {
    throw new Error(`the delta of a stream needs atoms ${delta.first} to ${from} of the snapshot before it, which has ${previousFirst} to ${previous.end}`);
  }
  const kept = delta.first < from ? previous.atoms.slice(delta.first - previousFirst) : [];
  return { end: delta.end, atoms: kept.length === 0 ? delta.atoms : [...kept, ...delta.atoms], cursors: delta.cursors, ...(delta.ended ? { ended: true as const } : {}) };
}
