/**
 * Building applications: `PortalsApp(name, define)` and `ApplicationBuilder`, with the
 * generator, sequencer, connection, splitter, split, portal, registry and data-class builders.
 * Paths and naming follow the Portals reference (`ApplicationBuilder.scala`): unnamed parts get
 * `$1`, `$2`, … from one counter per application, in definition order.
 */
import type { DataClass } from "../core/data.js";
import { ApplicationError } from "../core/errors.js";
import { isSegmentName, streamOf } from "../core/paths.js";
import { Application } from "./application.js";
import type { AtomOptions, ConnectionOptions, GeneratorOptions, IngestionOptions, PortalOptions, RateOptions, SequencerOptions, SplitOptions, SplitterOptions } from "./options.js";
import { portalRef, streamRef } from "./refs.js";
import type { GeneratorRef, PortalRef, SequencerRef, SplitterRef, StreamRef } from "./refs.js";
import { WorkflowBuilder, type WorkflowDraft } from "./workflow-builder.js";
import type {
  AppModel,
  ConnectionNode,
  ExternalNode,
  GeneratorNode,
  GeneratorSource,
  PortalNode,
  SequencerNode,
  SplitNode,
  SplitterNode,
} from "../graph/model.js";
import { validate } from "../graph/validate.js";

/**
 * Builds one application. Call `build()` (or use {@link PortalsApp}) to validate it and get an
 * {@link Application}.
 */
export class ApplicationBuilder {
  /** Path of the application, `/<name>`. */
  readonly path: string;
  private counter = 0;
  private built = false;
  private readonly generatorNodes: GeneratorNode[] = [];
  private readonly sequencerNodes: SequencerNode[] = [];
  private readonly connectionNodes: ConnectionNode[] = [];
  private readonly splitterNodes: SplitterNode[] = [];
  private readonly splitNodes: SplitNode[] = [];
  private readonly portalNodes: PortalNode[] = [];
  private readonly externalNodes: ExternalNode[] = [];
  private readonly workflowDrafts: WorkflowDraft[] = [];
  private readonly dataClassList: DataClass<object>[] = [];

  /**
   * @param name application name: letters, digits, `_`, `-` and `.`, not `.` or `..` alone (it
   *   becomes the path `/<name>`)
   * @throws TypeError for an empty name, `.` or `..`, or one with other characters
   */
  constructor(
    /** Name of the application (its path is `/<name>`). */
    readonly name: string,
  ) {
    if (!isSegmentName(name, false)) {
      throw new TypeError(`application name ${JSON.stringify(name)} is invalid: use letters, digits, "_", "-" or "." (not "." or ".." alone)`);
    }
    this.path = `/${name}`;
  }

  /** Sources: each returns a ref whose `.stream` carries the generated atoms. */
  readonly generators = {
    /** All `values` in one atom, then the end of the stream. */
    fromArray: <T>(values: readonly T[], options: GeneratorOptions = {}): GeneratorRef<T> =>
      this.generator(options, { kind: "atoms", atoms: [checkArray(values, "fromArray")] }),
    /** One atom per inner array, in order. */
    fromArrayOfArrays: <T>(atoms: readonly (readonly T[])[], options: GeneratorOptions = {}): GeneratorRef<T> =>
      this.generator(options, { kind: "atoms", atoms: checkArray(atoms, "fromArrayOfArrays").map((a) => checkArray(a, "fromArrayOfArrays: each atom")) }),
    /** The integers `start, start+1, …, end-1` in atoms of `step` (the last may be shorter). */
    fromRange: (start: number, end: number, step: number, options: GeneratorOptions = {}): GeneratorRef<number> => {
      if (!Number.isSafeInteger(start) || !Number.isSafeInteger(end) || end < start) {
        throw new RangeError(`fromRange(${start}, ${end}, ${step}): start and end must be integers with start <= end`);
      }
      if (!Number.isSafeInteger(step) || step < 1) {
        throw new RangeError(`fromRange(${start}, ${end}, ${step}): step (the atom size) must be a positive integer`);
      }
      return this.generator(options, { kind: "range", start, end, step });
    },
    /** One atom with the single event `value`. */
    signal: <T>(value: T, options: GeneratorOptions = {}): GeneratorRef<T> =>
      this.generator(options, { kind: "atoms", atoms: [[value]] }),
    /** One empty atom. */
    empty: <T = never>(options: GeneratorOptions = {}): GeneratorRef<T> => this.generator(options, { kind: "atoms", atoms: [[]] }),
    /**
     * The elements of `iterable` in atoms of `atomSize`. The iterable is read lazily, once per
     * launch; it cannot be replayed after a restore unless it is an array.
     */
    fromIterable: <T>(iterable: Iterable<T>, options: AtomOptions = {}): GeneratorRef<T> => {
      if (iterable == null || typeof (iterable as Iterable<T>)[Symbol.iterator] !== "function") {
        throw new TypeError("fromIterable(iterable): the argument is not iterable");
      }
      return this.generator(options, { kind: "iterable", iterable, atomSize: atomSize(options, "fromIterable") });
    },
    /**
     * The elements of an async iterable in atoms of `atomSize`. Run the system with
     * `await system.stepUntilCompleteAsync()`; not replayable after a restore.
     */
    fromAsyncIterable: <T>(iterable: AsyncIterable<T>, options: AtomOptions = {}): GeneratorRef<T> => {
      if (iterable == null || typeof (iterable as AsyncIterable<T>)[Symbol.asyncIterator] !== "function") {
        throw new TypeError("fromAsyncIterable(iterable): the argument is not async iterable");
      }
      return this.generator(options, { kind: "asyncIterable", iterable, atomSize: atomSize(options, "fromAsyncIterable") });
    },
    /**
     * The JSON values of a JSON-lines file (one value per non-empty line) in atoms of
     * `atomSize`. Read synchronously in chunks; the position is a byte offset, so it replays.
     * A line that is not JSON fails its atom (reported with file and line); other atoms go on.
     */
    fromFile: <T = unknown>(file: string, options: AtomOptions = {}): GeneratorRef<T> => {
      if (typeof file !== "string" || file === "") throw new TypeError("fromFile(file): the file path must be a non-empty string");
      return this.generator(options, { kind: "file", file, atomSize: atomSize(options, "fromFile") });
    },
    /**
     * Events sent from outside the running system, one atom per send: `LiveSystem.send`, or
     * `POST /v1/streams/<app>/<name>` of `portals serve` (docs/live.md, "Ingestion"). Its
     * path is `/<app>/generators/<name>`. In a test system nothing is sent, so it never steps.
     *
     * With `coalesce`, the sends queued while the system is busy become one atom (fewer, larger
     * atoms under load; a send's events stay together and in order).
     *
     * @throws TypeError when `name` is missing or not a valid name
     */
    http: <T>(name: string, options: IngestionOptions = {}): GeneratorRef<T> => {
      if (name === undefined) throw new TypeError("generators.http(name): the name is required (it is the stream's name in POST /v1/streams/<app>/<name>)");
      return this.generator({ name }, { kind: "ingestion", coalesce: options.coalesce === true });
    },
    /**
     * `event(0)`, `event(1)`, … (`count` events, or without end): in a live system at
     * `eventsPerSecond` (events due are cut into atoms of at most `atomSize`, default 1,000);
     * in a test system as fast as it steps, in atoms of `atomSize`. The position is the number
     * of events made, so it replays after a restore; `event` must be a pure function of `i`.
     *
     * @throws RangeError for a rate that is not a positive finite number, or a bad `count` or `atomSize`
     */
    rate: <T>(eventsPerSecond: number, event: (i: number) => T, options: RateOptions = {}): GeneratorRef<T> => {
      if (typeof eventsPerSecond !== "number" || !Number.isFinite(eventsPerSecond) || eventsPerSecond <= 0) {
        throw new RangeError(`generators.rate(${eventsPerSecond}, …): events per second must be a positive finite number`);
      }
      if (typeof event !== "function") throw new TypeError("generators.rate(eventsPerSecond, event): event must be a function (i) => event");
      const count = options.count;
      if (count !== undefined && (!Number.isSafeInteger(count) || count < 0)) {
        throw new RangeError(`generators.rate(…, { count: ${count} }): count must be a non-negative integer`);
      }
      const size = atomSize({ atomSize: options.atomSize ?? 1000 }, "generators.rate");
      return this.generator(options, { kind: "rate", eventsPerSecond, event, atomSize: size, count });
    },
  };

  /** Sequencers: merge the streams connected to them into one, atom by atom (docs/semantics.md, rule 5). */
  readonly sequencers = {
    /** A sequencer that picks among its inputs with the system's seeded random generator. */
    random: <T>(options: SequencerOptions = {}): SequencerRef<T> => {
      const path = `${this.path}/sequencers/${this.nameOf(options.name)}`;
      this.sequencerNodes.push({ path, stream: streamOf(path) });
      return { kind: "sequencer", path, stream: streamRef<T>(streamOf(path)) };
    },
  };

  /** Connections: feed a stream (of this or another application) into a sequencer. */
  readonly connections = {
    /** Adds `stream` as an input of `sequencer`. */
    connect: <T>(stream: StreamRef<T>, sequencer: SequencerRef<T>, options: ConnectionOptions = {}): void => {
      checkRef(stream, "stream", "connections.connect(stream, sequencer)");
      checkRef(sequencer, "sequencer", "connections.connect(stream, sequencer)");
      const path = `${this.path}/connections/${this.nameOf(options.name)}`;
      this.connectionNodes.push({ path, stream: stream.path, sequencer: sequencer.path });
    },
  };

  /** Splitters: route the events of a stream to splits (docs/semantics.md, rule 6). */
  readonly splitters = {
    /** A splitter over `stream` with no outputs yet; add them with `app.splits.split`. */
    empty: <T>(stream: StreamRef<T>, options: SplitterOptions = {}): SplitterRef<T> => {
      checkRef(stream, "stream", "splitters.empty(stream)");
      const path = `${this.path}/splitters/${this.nameOf(options.name)}`;
      this.splitterNodes.push({ path, source: stream.path });
      return { kind: "splitter", path };
    },
  };

  /** Splits: outputs of a splitter (of this or another application). */
  readonly splits = {
    /**
     * A new output of `splitter` with the events for which `predicate` is true and no earlier
     * split's predicate was (each event goes to the first matching split).
     */
    split: (<T>(splitter: SplitterRef<T>, predicate: (event: T) => boolean, options: SplitOptions = {}): StreamRef<T> => {
      checkRef(splitter, "splitter", "splits.split(splitter, predicate)");
      if (typeof predicate !== "function") throw new TypeError("splits.split(splitter, predicate): the predicate must be a function");
      const path = `${this.path}/splits/${this.nameOf(options.name)}`;
      this.splitNodes.push({ path, splitter: splitter.path, stream: streamOf(path), predicate });
      return streamRef<T>(streamOf(path));
    }) as {
      <T, U extends T>(splitter: SplitterRef<T>, predicate: (event: T) => event is U, options?: SplitOptions): StreamRef<U>;
      <T>(splitter: SplitterRef<T>, predicate: (event: T) => boolean, options?: SplitOptions): StreamRef<T>;
    },
  };

  /**
   * Parts of other applications, by path. The path's shape is checked by `build()`;
   * that it exists is checked when this application is launched.
   */
  readonly registry = {
    streams: { get: <T>(path: string): StreamRef<T> => (this.external("stream", path), streamRef<T>(path)) },
    sequencers: {
      get: <T>(path: string): SequencerRef<T> => (
        this.external("sequencer", path), { kind: "sequencer", path, stream: streamRef<T>(streamOf(path)) }
      ),
    },
    splitters: { get: <T>(path: string): SplitterRef<T> => (this.external("splitter", path), { kind: "splitter", path }) },
    portals: { get: <Req, Rep>(path: string): PortalRef<Req, Rep> => (this.external("portal", path), portalRef<Req, Rep>(path)) },
  };

  /**
   * Registers a class whose instances this application's state, events and suspended operators
   * may hold: snapshots store an instance as `encode(instance)` under `name` and rebuild it with
   * `decode`. The compiler treats the class as data too (a local holding one may live across an
   * await). Other class instances are refused (docs/snapshots.md, "What is data").
   *
   * @throws TypeError when `name` is empty or taken by another class of this application, or
   *   `type`, `encode` or `decode` is not a function
   */
  dataClass<T extends object>(dataClass: DataClass<T>): void {
    const { name, type, encode, decode } = dataClass ?? ({} as DataClass<T>);
    const where = `application ${this.path}: dataClass(${JSON.stringify(name)})`;
    if (typeof name !== "string" || name === "") throw new TypeError(`application ${this.path}: dataClass({ name }): the name must be a non-empty string, e.g. "shop.Money"`);
    if (typeof type !== "function" || typeof type.prototype !== "object") throw new TypeError(`${where}: type must be the class`);
    if (typeof encode !== "function" || typeof decode !== "function") throw new TypeError(`${where}: encode and decode must be functions`);
    const other = this.dataClassList.find((c) => c.name === name);
    if (other !== undefined && other.type !== type) throw new TypeError(`${where}: the name is already registered for class ${other.type.name}`);
    if (other === undefined) this.dataClassList.push(dataClass as unknown as DataClass<object>);
  }

  /**
   * A portal named `name` (path `/<app>/portals/<name>`). Exactly one task of this application
   * must serve it (`replier` or `askerReplier`).
   */
  portal<Req, Rep>(name: string, options: PortalOptions<Req> = {}): PortalRef<Req, Rep> {
    checkName(name, "portal");
    if (options.key !== undefined && typeof options.key !== "function") {
      throw new TypeError(`portal ${name}: the key option must be a function (request) => key`);
    }
    const path = `${this.path}/portals/${name}`;
    this.portalNodes.push(options.key ? { path, key: options.key } : { path });
    return portalRef<Req, Rep>(path, options.key);
  }

  /**
   * A workflow from events `T` to events `U`: `.source(stream)`, operators,
   * `.sink()`, `.freeze()`. Its output stream is `/<app>/workflows/<name>/stream`.
   */
  workflows<T, U>(name?: string): WorkflowBuilder<T, U> {
    const path = `${this.path}/workflows/${this.nameOf(name)}`;
    const draft: WorkflowDraft = { path, source: undefined, tasks: [], sinks: [], target: undefined, deadLetters: undefined, frozen: false };
    this.workflowDrafts.push(draft);
    return new WorkflowBuilder<T, U>(draft);
  }

  /**
   * Validates the application and returns it.
   *
   * @throws ApplicationError listing every problem (duplicate paths, a portal without exactly
   *   one replier, a workflow without source or sink, malformed registry paths, callbacks that
   *   are not functions); TypeError when called twice
   */
  build(): Application {
    if (this.built) throw new TypeError(`application ${this.path}: build() was already called`);
    this.built = true;
    const model: AppModel = {
      name: this.name,
      path: this.path,
      generators: this.generatorNodes,
      sequencers: this.sequencerNodes,
      connections: this.connectionNodes,
      splitters: this.splitterNodes,
      splits: this.splitNodes,
      portals: this.portalNodes,
      external: this.externalNodes,
      workflows: this.workflowDrafts.map((d) => ({
        path: d.path,
        source: d.source,
        stream: streamOf(d.path),
        tasks: d.tasks,
        sinks: d.sinks,
        target: d.target,
        deadLetters: d.deadLetters,
      })),
    };
    const problems = validate(model);
    if (problems.length > 0) throw new ApplicationError(this.path, problems);
    return new Application(model, [...this.dataClassList]);
  }

  private generator<T>(options: GeneratorOptions, source: GeneratorSource): GeneratorRef<T> {
    const path = `${this.path}/generators/${this.nameOf(options.name)}`;
    this.generatorNodes.push({ path, stream: streamOf(path), source });
    return { kind: "generator", path, stream: streamRef<T>(streamOf(path)) };
  }

  private external(kind: ExternalNode["kind"], path: string): void {
    if (typeof path !== "string") throw new TypeError(`registry.${kind}s.get(path): the path must be a string`);
    this.externalNodes.push({ kind, path });
  }

  private nameOf(name: string | undefined): string {
    if (name === undefined) return `$${++this.counter}`;
    checkName(name, "name");
    return name;
  }
}

/**
 * Defines and builds an application in one call:
 * `PortalsApp("shop", (app) => { ... })`.
 *
 * @throws ApplicationError when the definition is malformed (see {@link ApplicationBuilder.build})
 */
export function PortalsApp(name: string, define: (app: ApplicationBuilder) => void): Application {
  const builder = new ApplicationBuilder(name);
  define(builder);
  return builder.build();
}

function checkName(name: unknown, what: string): void {
  if (!isSegmentName(name, true)) {
    throw new TypeError(`${what} ${JSON.stringify(name)} is invalid: use letters, digits, "_", "-", "." or "$" (not "." or ".." alone)`);
  }
}

function checkArray<T>(value: readonly T[], where: string): readonly T[] {
  if (!Array.isArray(value)) throw new TypeError(`${where}: expected an array, got ${typeof value}`);
  return value;
}

function checkRef(ref: { kind?: string } | undefined, kind: string, where: string): void {
  if (ref == null || ref.kind !== kind) {
    throw new TypeError(`${where}: expected a ${kind} ref, got ${ref == null ? String(ref) : (ref.kind ?? typeof ref)}`);
  }
}

function atomSize(options: AtomOptions, where: string): number {
  const size = options.atomSize ?? 1;
  if (!Number.isSafeInteger(size) || size < 1) throw new RangeError(`${where}: atomSize must be a positive integer, got ${size}`);
  return size;
}
