/**
 * Generators at run time: each step emits one atom of the generator's source; after the last
 * atom comes the seal (reference `Generator`: one atom per inner list, then a separate seal
 * atom).
 */
import type { LogWriter } from "../../core/log.js";
import type { GeneratorSource } from "../../graph/model.js";
import { Rank, type Component } from "../scheduler.js";
import type { AtomicStream } from "../stream.js";
import { FileSource } from "./file-source.js";
import { sealAtom } from "../atom.js";
import { IngestionSource, RateSource, type SourceClock } from "./live-sources.js";
import { ArraySource, AsyncIterableSource, IterableSource, RangeSource, type AtomSource } from "./sources.js";

/** A generator as plain data: whether it is done and its source's position. */
export interface GeneratorState {
  readonly done: boolean;
  /** The source's position; `null` once the generator is done (it never reads again). */
  readonly position: unknown;
}

/** A generator component: one atom per step until the seal. */
export class GeneratorComponent implements Component {
  private done = false;
  /** Held by a draining upgrade: not ready until resumed (not in snapshots). */
  paused = false;
  private readonly source: AtomSource;

  /**
   * @param spec the generator node's source, or a maker of a source the system provides (a
   *   stream of another runtime, docs/cluster.md)
   * @param clock the engine's clock in a live system, given a wake-up for this generator
   * @throws Error when the source cannot be opened (a missing file)
   */
  constructor(
    readonly path: string,
    spec: GeneratorSource | ((clock: SourceClock | undefined) => AtomSource),
    private readonly out: AtomicStream,
    write: LogWriter,
    clock: (c: GeneratorComponent) => SourceClock | undefined,
  ) {
    this.source = typeof spec === "function" ? spec(clock(this)) : makeSource(path, spec, write, clock(this));
  }

  /** The ingestion source of a `generators.http` generator, else `undefined`. */
  get ingestion(): IngestionSource | undefined {
    return this.source instanceof IngestionSource ? this.source : undefined;
  }

  /** While the next atom of an async source is not in: the fetch to await before {@link GeneratorComponent.step}. */
  blockedOn(): Promise<void> | undefined {
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

  stop(seal: boolean): void {
    if (!this.done && seal) this.out.append(sealAtom());
    this.done = true;
    this.close();
  }

  wake(): void {}

  rank(): number {
    return Rank.generator;
  }

  ready(): boolean {
    return !this.done && !this.paused && (this.source.available?.() ?? true);
  }

  step(): void {
    const a = this.source.next();
    if (a.seal) this.done = true;
    this.out.append(a);
  }
}

/** The source a generator node describes. */
function makeSource(path: string, spec: GeneratorSource, write: LogWriter, clock: SourceClock | undefined): AtomSource {
  switch (spec.kind) {
    case "atoms":
      return new ArraySource(spec.atoms);
    case "range":
      return new RangeSource(spec.start, spec.end, spec.step);
    case "iterable":
      return new IterableSource(path, spec.iterable, spec.atomSize, write);
    case "asyncIterable":
      return new AsyncIterableSource(path, spec.iterable, spec.atomSize, write, clock?.wake);
    case "file":
      return new FileSource(path, spec.file, spec.atomSize, write);
    case "ingestion":
      return new IngestionSource(clock, spec.coalesce);
    case "rate":
      return new RateSource(path, write, spec.eventsPerSecond, spec.event, spec.atomSize, spec.count, clock);
  }
}
