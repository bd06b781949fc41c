/**
 * Generators at run time: each step emits one atom of the generator's source; after the last
 * atom comes the seal (reference `Generator`: one atom per inner list, then a separate seal
 * atom).
 */
import type { LogWriter } from "../../core/log.js";
import type { GeneratorSource } from "../../graph/model.js";
import { Rank, type Component } from "../scheduler.js";
import type { AtomicStream } from "../stream.js";
import { sealAtom } from "../atom.js";
import { IngestionSource, RateSource, type SourceClock } from "./live-sources.js";
import type { SourceHold } from "./source-hold.js";
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
   * @param source makes the source, given the clock: the generator node's ({@link makeSource}),
   *   or one the system provides (a stream of another runtime, docs/cluster.md)
   * @param clock the engine's clock in a live system, given a wake-up for this generator
   * @param hold the engine's hold on its sources in a live system
   * @throws Error when the source cannot be opened (a missing file)
   */
  constructor(
    readonly path: string,
    source: (clock: SourceClock | undefined) => AtomSource,
    private readonly out: AtomicStream,
    clock: (c: GeneratorComponent) => SourceClock | undefined,
    /** The engine's hold on its sources (a live engine's, `source-hold.ts`): while held, not ready. */
    private readonly hold?: SourceHold,
  ) {
    this.source = source(clock(this));
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
    return !this.done && !this.paused && this.hold?.held !== true && (this.source.available?.() ?? true);
  }

  step(): void {
    const a = this.source.next();
    if (a.seal) this.done = true;
    this.out.append(a);
  }
}

/**
 * Opens the file of a `fromFile` generator at `path` (JSON lines, `atomSize` events an atom):
 * the platform's, given to the engine by the system, since only Node has files
 * (`FileSource`, `file-source.ts`).
 *
 * @throws Error naming the file when it cannot be opened, or saying that there are no files
 */
export type OpenFile = (path: string, file: string, atomSize: number, write: LogWriter) => AtomSource;

/** The source the generator node at `path` describes. */
export function makeSource(path: string, spec: GeneratorSource, write: LogWriter, clock: SourceClock | undefined, openFile: OpenFile): AtomSource {
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
      return openFile(path, spec.file, spec.atomSize, write);
    case "ingestion":
      return new IngestionSource(clock, spec.coalesce);
    case "rate":
      return new RateSource(path, write, spec.eventsPerSecond, spec.event, spec.atomSize, spec.count, clock);
  }
}
