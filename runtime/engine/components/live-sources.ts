/**
 * Sources whose atoms depend on time or on the outside world, for live systems
 * (docs/live.md, "Live sources"): an ingestion source takes the events sent to it, and a rate
 * source makes events at a rate. Both keep a position that snapshots store; in a test system
 * (no clock) the rate source ignores time, and the ingestion source has nothing to step.
 */
import type { OperatorError } from "../../core/errors.js";
import { fingerprint } from "../../core/fingerprint.js";
import type { LogWriter } from "../../core/log.js";
import { atom, sealAtom, type Atom } from "../atom.js";
import { sourceError, zeros, type AtomSource } from "./sources.js";

/** The clock and wake-up call of a live engine, as a source sees them. */
export interface SourceClock {
  /** Milliseconds on a monotonic clock. */
  now(): number;
  /** Tells the engine that the source has an atom now (it was not available before). */
  wake(): void;
}

/** What a send became, once the atom that holds its events has been stepped. */
export interface Receipt {
  /** Number of the atom of the ingestion stream that holds the events (0 for the first). */
  readonly atom: number;
  /** True when the idempotency key was seen before: the events were not appended again. */
  readonly duplicate: boolean;
}

/** Called with the receipt of a send once its atom is on the stream. */
export type Receipted = (receipt: Receipt) => void;

interface Queued {
  readonly values: unknown[];
  readonly key: string | undefined;
  /** Fingerprint of the values of a keyed send (what a retry must match). */
  readonly fingerprint: string | undefined;
  /** The send and its retries with the same key while it waits. */
  readonly done: Receipted[];
}

/**
 * How many recent idempotency keys an ingestion source remembers (its position holds them, so
 * every snapshot does): a retry is recognised while fewer than this many other keyed sends
 * came after the first.
 */
export const REMEMBERED_KEYS = 1024;

/** Position of an ingestion source: atoms appended, and recent idempotency keys with their atom and the fingerprint of their events. */
export interface IngestionPosition {
  readonly atoms: number;
  readonly keys: readonly (readonly [string, number, string])[];
}

/** `app.generators.http(name, { coalesce })`: one atom per send (or per step), in the order of the sends. */
export class IngestionSource implements AtomSource {
  private atoms = 0;
  /** Recent idempotency keys: the atom of their send and the fingerprint of its events. */
  private keys = new Map<string, { atom: number; fingerprint: string }>();
  private readonly queue: Queued[] = [];
  /** Sends whose atom was stepped, with their receipts, until {@link IngestionSource.takeStepped}. */
  private stepped: { done: Receipted; receipt: Receipt }[] = [];

  /** @param coalesce one atom of every queued send per step, instead of one per send */
  constructor(
    private readonly clock: SourceClock | undefined,
    private readonly coalesce: boolean,
  ) {}

  /**
   * Queues `values` as one atom. With `key`, a send with a key seen before (recently, see
   * {@link REMEMBERED_KEYS}) appends nothing and gets the first send's atom. `print` is the
   * fingerprint of `values` when the caller has it already ({@link IngestionSource.fingerprintFor}).
   */
  send(values: unknown[], key: string | undefined, done: Receipted, print?: string): void {
    if (key !== undefined) {
      const atomNumber = this.keys.get(key)?.atom;
      if (atomNumber !== undefined) {
        this.stepped.push({ done, receipt: { atom: atomNumber, duplicate: true } });
        this.clock?.wake();
        return;
      }
      const waiting = this.queue.find((q) => q.key === key);
      if (waiting !== undefined) {
        waiting.done.push(done);
        return;
      }
    }
    this.queue.push({ values, key, fingerprint: key === undefined ? undefined : (print ?? fingerprint(values)), done: [done] });
    if (this.queue.length === 1) this.clock?.wake();
  }

  /**
   * The fingerprint of `values` for a send under `key`, or `undefined` when `key` is remembered
   * (or queued) with other events: a new send under an old key, which
   * {@link IngestionSource.send} would take for a retry.
   */
  fingerprintFor(key: string, values: readonly unknown[]): string | undefined {
    const print = fingerprint(values);
    const known = this.keys.get(key)?.fingerprint ?? this.queue.find((q) => q.key === key)?.fingerprint;
    return known === undefined || known === print ? print : undefined;
  }

  /** The receipts of the sends stepped since the last call (a live system releases them once a checkpoint covers them). */
  takeStepped(): { done: Receipted; receipt: Receipt }[] {
    const out = this.stepped;
    this.stepped = [];
    return out;
  }

  /**
   * Moves the sends this source holds (queued, and stepped but not released) to `next`, the
   * same source in the engine that replaces this one (an upgrade).
   */
  handOver(next: IngestionSource): void {
    next.queue.push(...this.queue.splice(0));
    next.stepped.push(...this.takeStepped());
    if (next.queue.length > 0) next.clock?.wake();
  }

  /** Sends stepped and not yet taken. */
  get unreleased(): number {
    return this.stepped.length;
  }

  available(): boolean {
    return this.queue.length > 0;
  }

  position(): IngestionPosition {
    return { atoms: this.atoms, keys: [...this.keys].map(([key, k]) => [key, k.atom, k.fingerprint] as const) };
  }

  seek(p: IngestionPosition): void {
    this.atoms = p.atoms;
    this.keys = new Map(p.keys.map(([key, atom, fingerprint]) => [key, { atom, fingerprint }]));
  }

  next(): Atom {
    const taken = this.coalesce ? this.queue.splice(0) : [this.queue.shift()!];
    const number = this.atoms++;
    const values: unknown[] = [];
    for (const q of taken) {
      if (q.key !== undefined) {
        this.keys.set(q.key, { atom: number, fingerprint: q.fingerprint! });
        if (this.keys.size > REMEMBERED_KEYS) this.keys.delete(this.keys.keys().next().value!);
      }
      q.done.forEach((done, i) => this.stepped.push({ done, receipt: { atom: number, duplicate: i > 0 } }));
      for (const v of q.values) values.push(v);
    }
    return atom(zeros(values.length), values, undefined, false, false);
  }
}

/** `app.generators.rate(eventsPerSecond, event, { count, atomSize })`. */
export class RateSource implements AtomSource {
  private made = 0;
  /** When event 0 was due (live only). */
  private start: number;
  private timer: ReturnType<typeof setTimeout> | undefined;

  constructor(
    private readonly path: string,
    private readonly write: LogWriter,
    private readonly eventsPerSecond: number,
    private readonly event: (i: number) => unknown,
    private readonly atomSize: number,
    private readonly count: number | undefined,
    private readonly clock: SourceClock | undefined,
  ) {
    this.start = clock?.now() ?? 0;
  }

  /** Live: true once an event (or the end) is due, else a timer is set to wake the engine then. */
  available(): boolean {
    if (this.clock === undefined || this.ended() || this.due() > this.made) return true;
    if (this.timer === undefined) {
      const at = this.start + ((this.made + 1) * 1000) / this.eventsPerSecond;
      this.timer = setTimeout(() => {
        this.timer = undefined;
        this.clock!.wake();
      }, Math.max(1, Math.ceil(at - this.clock.now())));
      this.timer.unref?.();
    }
    return false;
  }

  position(): number {
    return this.made;
  }

  /** Continues after event `made - 1`, at the rate from now on (no burst for the time it was down). */
  seek(made: number): void {
    this.made = made;
    if (this.clock !== undefined) this.start = this.clock.now() - (made * 1000) / this.eventsPerSecond;
  }

  next(): Atom {
    if (this.ended()) return sealAtom();
    const limit = this.clock === undefined ? this.made + this.atomSize : Math.min(this.due(), this.made + this.atomSize);
    const stop = this.count === undefined ? limit : Math.min(limit, this.count);
    const values: unknown[] = [];
    let error: OperatorError | undefined;
    try {
      while (this.made < stop) values.push(this.event(this.made++));
    } catch (thrown) {
      // The failed event is skipped: the atom carries the error, the next atom goes on after it.
      error = sourceError(this.path, thrown, this.write);
    }
    return atom(zeros(values.length), values, error, false, false);
  }

  close(): void {
    clearTimeout(this.timer);
    this.timer = undefined;
  }

  private ended(): boolean {
    return this.count !== undefined && this.made >= this.count;
  }

  private due(): number {
    return Math.floor(((this.clock!.now() - this.start) * this.eventsPerSecond) / 1000);
  }
}
