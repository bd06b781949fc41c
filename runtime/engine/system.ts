/**
 * The test system (DESIGN §4 `Systems.test`; reference `TestRuntime`): a single-threaded,
 * deterministic runtime. Applications are launched in order into one registry of paths, so a
 * later application reaches the streams, sequencers, splitters and portals of earlier ones.
 * `step()` runs one unit of work chosen by the scheduler; with a fixed seed every run is the
 * same, byte for byte (DESIGN §5.11).
 */
import { xoroshiro128plus, xoroshiro128plusFromState } from "pure-rand/generator/xoroshiro128plus";
import type { RandomGenerator } from "pure-rand/types/RandomGenerator";
import type { Application } from "../api/app.js";
import { ApplicationError, describe } from "../api/errors.js";
import type { Plan } from "../graph/plan.js";
import { portalUse } from "../graph/lower.js";
import type { LogWriter } from "./context.js";
import { GeneratorComponent } from "./generators.js";
import { ReadySet, type Component } from "./scheduler.js";
import { SequencerComponent } from "./sequencer.js";
import { SplitterComponent } from "./splitter.js";
import { AtomicStream } from "./stream.js";
import { TaskRunner, type PortalOutbox, type RunnerDelta, type RunnerState } from "./task-runner.js";
import { hasUncompiledCallback, uncompiledMessage } from "./uncompiled.js";
import { WorkflowExecutor, type Stats, type WorkflowState } from "./workflow.js";
import { decodeSnapshot, encodeSnapshot, resolveChain, SNAPSHOT_FORMAT, SnapshotError, type Manifest, type SnapshotData } from "../state/snapshot.js";
import type { SinkState, SinkWriter } from "../state/sinks.js";
import type { SnapshotStore } from "../state/stores.js";
import { machinesOf } from "./task-runner.js";

/** Options of {@link Systems.test}. */
export interface TestSystemOptions {
  /** Seed of the scheduler's random choices (an integer; default 0). Same seed, same run. */
  readonly seed?: number;
  /**
   * Receives every log line: `logger` lines and `ctx.log` lines bare, errors and warnings with
   * their location in `meta` (DESIGN §4). Default: info lines to stdout, others to stderr with
   * their level.
   */
  readonly log?: LogWriter;
  /**
   * Snapshots into a store (DESIGN §8). With them, sink output is committed after the snapshot
   * that covers it is stored; without them, after every step.
   */
  readonly snapshots?: SnapshotOptions;
}

/** Where and how often a system snapshots itself. */
export interface SnapshotOptions {
  /** Where snapshots go (`DirectoryStore`, `SqliteStore`). */
  readonly store: SnapshotStore;
  /**
   * A snapshot every `every` steps (a positive integer). Without it, snapshots are taken by
   * `checkpoint()` and when a run completes.
   */
  readonly every?: number;
  /**
   * Every `fullEvery`-th snapshot is full, the others are deltas (default 10; 1: all full).
   * A delta costs O(keys written since the previous snapshot) plus the metadata.
   */
  readonly fullEvery?: number;
}

const DEFAULT_FULL_EVERY = 10;

/** Writes info lines to stdout and warnings/errors, with their level, to stderr. */
export const defaultLog: LogWriter = (line, meta) => {
  if (meta.level === "info") process.stdout.write(line + "\n");
  else process.stderr.write(`[${meta.level}] ${line}\n`);
};

type Registered =
  | { readonly kind: "stream"; readonly stream: AtomicStream }
  | { readonly kind: "sequencer"; readonly sequencer: SequencerComponent }
  | { readonly kind: "splitter"; readonly splitter: SplitterComponent };

/** A deterministic single-threaded system; see the module header. */
export class TestSystem {
  private readonly registry = new Map<string, Registered>();
  private readonly launched: string[] = [];
  private readonly apps: Application[] = [];
  private readonly generators = new Map<string, GeneratorComponent>();
  private readonly workflows = new Map<string, WorkflowExecutor>();
  private readonly components: Component[] = [];
  private rng: RandomGenerator;
  private ready: ReadySet;
  private readonly log: LogWriter;
  private readonly counters: Stats = { steps: 0, atoms: 0, events: 0 };
  private readonly schedule = (c: Component): void => {
    if (c.ready()) this.ready.add(c);
  };
  private closed = false;
  private readonly snapshots: SnapshotOptions | undefined;
  /** Transactional sink writers by workflow path. */
  private readonly sinks = new Map<string, SinkWriter>();
  /** Set while `restore` launches the applications (sinks are recovered, not reset). */
  private restoring = false;
  /** Snapshots taken (or restored up to): the sequence number of the latest. */
  private sequence = 0;

  /** @throws RangeError when the seed is not an integer */
  constructor(options: TestSystemOptions = {}) {
    const seed = options.seed ?? 0;
    if (!Number.isSafeInteger(seed)) throw new RangeError(`Systems.test({ seed: ${seed} }): the seed must be an integer`);
    this.rng = xoroshiro128plus(seed);
    this.ready = new ReadySet(this.rng);
    this.log = options.log ?? defaultLog;
    for (const [name, value] of [["every", options.snapshots?.every], ["fullEvery", options.snapshots?.fullEvery]] as const) {
      if (value !== undefined && (!Number.isSafeInteger(value) || value < 1)) {
        throw new RangeError(`Systems.test({ snapshots: { ${name}: ${value} } }): ${name} must be a positive integer`);
      }
    }
    this.snapshots = options.snapshots;
  }

  /** Steps taken, and atoms and events processed by workflows, so far. */
  get stats(): Readonly<Stats> {
    return { ...this.counters };
  }

  /** Continuations parked now, waiting for replies, over all workflows. */
  get parkedContinuations(): number {
    let n = 0;
    for (const w of this.workflows.values()) for (const r of w.runners) n += r.parkedCount;
    return n;
  }

  /** Paths of the launched applications, in launch order. */
  get applications(): readonly string[] {
    return [...this.launched];
  }

  /**
   * Launches `app`: its consumers start at the current end of the streams they read
   * (DESIGN §5.7). Nothing is changed when it fails.
   *
   * @throws ApplicationError when the application is already launched, needs a part of an
   *   application that is not launched, has an uncompiled async callback, or a generator or
   *   `init` factory fails
   */
  launch(app: Application): void {
    this.checkOpen("launch");
    const plan = app.plan;
    this.check(app);
    const streams = new Map(plan.streams.map((s) => [s.path, new AtomicStream(s.path)]));
    const runners = this.construct(app.path, () => this.makeRunners(plan));
    const sinks = this.construct(app.path, () => this.openSinks(plan));
    const generators: GeneratorComponent[] = [];
    this.construct(app.path, () => {
      try {
        for (const g of plan.generators) generators.push(new GeneratorComponent(g.path, g.source, streams.get(g.stream)!, this.log));
      } catch (thrown) {
        for (const g of generators) g.close(); // files opened before the one that failed
        throw thrown;
      }
    });
    for (const [path, stream] of streams) this.registry.set(path, { kind: "stream", stream });
    for (const [path, writer] of sinks) {
      if (!this.restoring) writer.reset();
      this.sinks.set(path, writer);
    }
    this.wire(plan, runners);
    for (const g of generators) {
      this.generators.set(g.path, g);
      this.components.push(g);
      this.schedule(g);
    }
    this.launched.push(app.path);
    this.apps.push(app);
  }

  /**
   * A snapshot of the whole system between steps (DESIGN §8): restore it into a fresh system
   * with {@link restore}. With `delta`, only the task state written since this system's previous
   * snapshot (restore it after the chain it extends). See `state/snapshot.ts` for what it holds.
   *
   * @throws EncodeError naming the path of state that is not data; Error for a delta when this
   *   system has taken no snapshot yet
   */
  snapshot(options: { readonly delta?: boolean } = {}): Uint8Array {
    this.checkOpen("snapshot");
    const delta = options.delta === true;
    if (delta && this.sequence === 0) throw new Error("snapshot({ delta: true }): a delta extends an earlier snapshot of this system; take a full snapshot first");
    const streams: Record<string, ReturnType<AtomicStream["save"]>> = {};
    for (const [path, r] of this.registry) if (r.kind === "stream") streams[path] = r.stream.save();
    const generators: Record<string, ReturnType<GeneratorComponent["save"]>> = {};
    for (const [path, g] of this.generators) generators[path] = g.save();
    const workflows: Record<string, WorkflowState<RunnerState | RunnerDelta>> = {};
    for (const [path, w] of this.workflows) workflows[path] = delta ? w.save(true) : w.save();
    const sinks: Record<string, SinkState> = {};
    for (const [path, writer] of this.sinks) sinks[path] = writer.save();
    return encodeSnapshot({
      kind: delta ? "delta" : "full",
      sequence: ++this.sequence,
      manifest: manifestOf(this.apps),
      rng: this.rng.getState(),
      ready: this.ready.save(),
      stats: { ...this.counters },
      streams,
      generators,
      workflows,
      sinks,
    });
  }

  /**
   * Takes a snapshot into the configured store (a full one every `fullEvery` snapshots, deltas
   * in between), then commits the sink output it covers.
   *
   * @throws Error when the system has no snapshot store (`Systems.test({ snapshots })`)
   */
  checkpoint(): void {
    this.checkOpen("checkpoint");
    if (this.snapshots === undefined) throw new Error("checkpoint(): this system has no snapshot store; create it with Systems.test({ snapshots: { store } })");
    const fullEvery = this.snapshots.fullEvery ?? DEFAULT_FULL_EVERY;
    this.snapshots.store.save(this.snapshot({ delta: this.sequence % fullEvery !== 0 }));
    for (const writer of this.sinks.values()) writer.commit();
  }

  /**
   * Continues from the newest readable snapshot of the configured store (with the chain of
   * full snapshot and deltas it needs), as {@link restore}; a snapshot that is truncated or
   * damaged is reported (warning) and the one before it is tried. Returns the id of the snapshot
   * restored, or `undefined`, leaving the system untouched, when there is no readable snapshot:
   * launch the applications to start afresh.
   *
   * @throws Error when the system has no snapshot store; SnapshotError as {@link restore} for a
   *   readable snapshot that does not fit `apps`
   */
  restoreLatest(apps: readonly Application[]): string | undefined {
    this.checkOpen("restoreLatest");
    if (this.snapshots === undefined) throw new Error("restoreLatest(): this system has no snapshot store; create it with Systems.test({ snapshots: { store } })");
    const store = this.snapshots.store;
    const ids = store.newest();
    for (let i = 0; i < ids.length; i++) {
      let chain: SnapshotData[];
      try {
        chain = chainFrom(store, ids.slice(i));
      } catch (thrown) {
        this.log(`snapshot ${ids[i]} cannot be used (${describe(thrown)}); trying the one before`, { level: "warn", workflow: "", task: "", key: 0 });
        continue;
      }
      this.restoreData(resolveChain(chain), apps);
      return ids[i];
    }
    return undefined;
  }

  /**
   * Continues from `snapshot` in this fresh system: launches `apps` (the applications of the
   * snapshot, in launch order) and puts back their state. A delta is given with the chain it
   * extends: `[full, delta1, …, deltaN]`. Returns the system.
   *
   * @throws SnapshotError when the bytes are not a snapshot (or are truncated or damaged), a
   *   chain is broken, the system already runs applications, an application of the snapshot is
   *   missing or another one is given, or an operator's code changed since the snapshot; the
   *   system is then left unusable rather than half-restored
   */
  restore(snapshot: Uint8Array | readonly Uint8Array[], apps: readonly Application[]): this {
    this.checkOpen("restore");
    const chain = (snapshot instanceof Uint8Array ? [snapshot] : [...snapshot]).map(decodeSnapshot);
    this.restoreData(resolveChain(chain), apps);
    return this;
  }

  private restoreData(data: SnapshotData, apps: readonly Application[]): void {
    if (this.launched.length > 0) throw new SnapshotError("restore(): this system already runs applications; restore into a fresh Systems.test()");
    checkManifest(data.manifest, apps);
    try {
      this.rng = xoroshiro128plusFromState(data.rng);
      this.ready = new ReadySet(this.rng);
      this.restoring = true;
      for (const app of apps) this.launch(app);
      this.restoring = false;
      for (const [path, r] of this.registry) if (r.kind === "stream" && data.streams[path]) r.stream.load(data.streams[path]);
      for (const [path, g] of this.generators) g.load(data.generators[path]!);
      for (const [path, w] of this.workflows) w.load(data.workflows[path]! as WorkflowState);
      for (const [path, writer] of this.sinks) writer.recover(data.sinks[path] ?? { committed: 0, staged: [] });
      Object.assign(this.counters, data.stats);
      this.sequence = data.sequence;
      for (const w of this.workflows.values()) for (const r of w.runners) r.trackChanges();
      this.ready = new ReadySet(this.rng);
      const byPath = new Map(this.components.map((c) => [c.path, c]));
      for (const path of data.ready) this.ready.add(byPath.get(path)!);
    } catch (thrown) {
      this.shutdown();
      throw thrown instanceof SnapshotError ? thrown : new SnapshotError(`cannot restore the snapshot: ${describe(thrown)}`);
    }
  }

  /** True when some component can take a step. */
  canStep(): boolean {
    return this.ready.size > 0;
  }

  /**
   * Takes one step: the next atom of one component (portal traffic first, DESIGN §5.8).
   *
   * @throws Error when nothing can step, or when the step needs the next atom of an async
   *   source that is not in yet (use {@link stepUntilCompleteAsync})
   */
  step(): void {
    this.checkOpen("step");
    const c = this.ready.pick();
    if (c === undefined) throw new Error("step(): nothing can step; the system is complete (check canStep() first)");
    if (c instanceof GeneratorComponent && c.pending !== undefined) {
      throw new Error(
        `step(): generator ${c.path} waits for its async iterable; run the system with await system.stepUntilCompleteAsync()`,
      );
    }
    this.run(c);
  }

  /**
   * Steps until nothing can step or `maxSteps` steps were taken; returns the number of steps.
   *
   * @throws Error as {@link step}
   */
  stepUntilComplete(maxSteps = Infinity): number {
    checkMax(maxSteps);
    let n = 0;
    while (n < maxSteps && this.canStep()) {
      this.step();
      n++;
    }
    this.completed();
    return n;
  }

  /**
   * Like {@link stepUntilComplete}, and waits for async sources (`fromAsyncIterable`) when a step
   * needs their next atom. The order of steps is the same as if the data had been there.
   */
  async stepUntilCompleteAsync(maxSteps = Infinity): Promise<number> {
    checkMax(maxSteps);
    this.checkOpen("stepUntilCompleteAsync");
    let n = 0;
    while (n < maxSteps && this.canStep()) {
      const c = this.ready.pick()!;
      if (c instanceof GeneratorComponent) {
        const pending = c.pending;
        if (pending !== undefined) await pending;
      }
      this.run(c);
      n++;
    }
    this.completed();
    return n;
  }

  /** Stops the system and closes its sinks; later calls of `launch` and `step` throw. */
  shutdown(): void {
    if (this.closed) return;
    this.closed = true;
    for (const writer of this.sinks.values()) writer.close();
  }

  private run(c: Component): void {
    c.step();
    this.counters.steps++;
    if (!c.ready()) this.ready.remove(c);
    if (this.snapshots === undefined) {
      for (const writer of this.sinks.values()) writer.commit();
    } else if (this.snapshots.every !== undefined && this.counters.steps % this.snapshots.every === 0) {
      this.checkpoint();
    }
  }

  /** With a snapshot store, a completed run ends with a snapshot (committing the last output). */
  private completed(): void {
    if (this.snapshots !== undefined && !this.canStep()) this.checkpoint();
  }

  /** Everything that can be checked before anything changes. */
  private check(app: Application): void {
    const problems: string[] = [];
    if (this.launched.includes(app.path)) problems.push("it is already launched in this system (give each application a name of its own)");
    for (const r of app.plan.requires) {
      const found = this.registry.get(r.path);
      if (found === undefined || found.kind !== r.kind) {
        const known = this.launched.length > 0 ? this.launched.join(", ") : "none";
        const problem = `${r.neededBy} needs ${r.what}, which no launched application defines; launch the application that defines it first (launched: ${known})`;
        // A portal is two requirements (its request sequencer and reply splitter): report it once.
        if (!problems.includes(problem)) problems.push(problem);
      }
    }
    for (const w of app.plan.workflows) {
      for (const t of w.tasks) if (hasUncompiledCallback(t.spec)) problems.push(uncompiledMessage(w.path, t.name));
    }
    if (problems.length > 0) throw new ApplicationError(app.path, problems);
  }

  /** Runs `make`, turning what it throws into an {@link ApplicationError}. */
  private construct<T>(app: string, make: () => T): T {
    try {
      return make();
    } catch (thrown) {
      if (thrown instanceof ApplicationError) throw thrown;
      throw new ApplicationError(app, [describe(thrown)]);
    }
  }

  private openSinks(plan: Plan): Map<string, SinkWriter> {
    const opened = new Map<string, SinkWriter>();
    try {
      for (const w of plan.workflows) if (w.target !== undefined) opened.set(w.path, w.target.open());
    } catch (thrown) {
      for (const writer of opened.values()) writer.close();
      throw thrown;
    }
    return opened;
  }

  private makeRunners(plan: Plan): Map<string, { outbox: PortalOutbox; runners: TaskRunner[] }> {
    const made = new Map<string, { outbox: PortalOutbox; runners: TaskRunner[] }>();
    for (const w of plan.workflows) {
      const outbox: PortalOutbox = { out: { keys: [], values: [], error: undefined } };
      const runners = w.tasks.map((t) => {
        try {
          return new TaskRunner(w.path, t, this.log, outbox, portalUse(t.spec).asks.map((p) => p.path));
        } catch (thrown) {
          throw new Error(`workflow ${w.path}, task ${t.name}: ${describe(thrown)}`);
        }
      });
      made.set(w.path, { outbox, runners });
    }
    return made;
  }

  /** Creates the components of `plan` and connects them to each other and to the registry. */
  private wire(plan: Plan, made: Map<string, { outbox: PortalOutbox; runners: TaskRunner[] }>): void {
    const stream = (path: string): AtomicStream => this.lookup(path, "stream").stream;
    for (const s of plan.sequencers) {
      const sequencer = new SequencerComponent(s.path, stream(s.stream), s.primary, this.rng, this.schedule);
      this.registry.set(s.path, { kind: "sequencer", sequencer });
      this.components.push(sequencer);
    }
    for (const s of plan.splitters) {
      const splitter = new SplitterComponent(s.path, stream(s.source), s.internal, this.log, this.schedule);
      this.registry.set(s.path, { kind: "splitter", splitter });
      this.components.push(splitter);
    }
    for (const s of plan.splits) {
      this.lookup(s.splitter, "splitter").splitter.addSplit(s.path, s.predicate, stream(s.stream));
    }
    for (const c of plan.connections) {
      this.lookup(c.sequencer, "sequencer").sequencer.connect(stream(c.stream), c.portal);
    }
    for (const w of plan.workflows) {
      const { outbox, runners } = made.get(w.path)!;
      const portalOut = w.portals ? stream(w.portals.out) : undefined;
      const workflow = new WorkflowExecutor(w, stream(w.source), stream(w.stream), portalOut, outbox, runners, this.counters, this.schedule, this.log, this.sinks.get(w.path));
      this.workflows.set(w.path, workflow);
      this.components.push(workflow);
    }
  }

  /** A registered part; `check` made sure that every path a plan uses exists. */
  private lookup<K extends Registered["kind"]>(path: string, kind: K): Extract<Registered, { kind: K }> {
    const found = this.registry.get(path);
    if (found?.kind !== kind) throw new Error(`internal: ${kind} ${path} is not registered`);
    return found as Extract<Registered, { kind: K }>;
  }

  private checkOpen(what: string): void {
    if (this.closed) throw new Error(`${what}(): the system was shut down`);
  }
}

/**
 * The decoded chain that snapshot `ids[0]` needs, oldest first: back to the full snapshot it
 * extends, through `ids` (newest first, consecutive).
 *
 * @throws SnapshotError when a snapshot of the chain is unreadable or the chain is broken
 */
function chainFrom(store: SnapshotStore, ids: readonly string[]): SnapshotData[] {
  const chain: SnapshotData[] = [];
  for (const id of ids) {
    let data: SnapshotData;
    try {
      data = decodeSnapshot(store.load(id));
    } catch (thrown) {
      if (id === ids[0]) throw thrown;
      throw new SnapshotError(`it extends snapshot ${id}, which cannot be read: ${describe(thrown)}`);
    }
    if (chain.length > 0 && data.sequence !== chain[0]!.sequence - 1) {
      throw new SnapshotError(`the chain of snapshot ${ids[0]} is broken: snapshot ${chain[0]!.sequence - 1} is missing`);
    }
    chain.unshift(data);
    if (data.kind === "full") return chain;
  }
  throw new SnapshotError(`snapshot ${ids[0]} is a delta whose full snapshot is no longer stored`);
}

/** The manifest of launched applications: their paths and the code version of each operator. */
function manifestOf(apps: readonly Application[]): Manifest {
  const operators: Record<string, string[]> = {};
  for (const app of apps) {
    for (const w of app.plan.workflows) {
      for (const t of w.tasks) {
        const machines = [...machinesOf(t.spec).values()].map((m) => `${m.id}@${m.version}`);
        if (machines.length > 0) operators[`${w.path}/${t.name}`] = machines;
      }
    }
  }
  return { format: SNAPSHOT_FORMAT, apps: apps.map((a) => a.path), operators };
}

/** The applications must be those of the snapshot, in launch order, with the same operator code. */
function checkManifest(saved: Manifest, apps: readonly Application[]): void {
  const given = apps.map((a) => a.path);
  for (const path of saved.apps) {
    if (!given.includes(path)) {
      throw new SnapshotError(`the snapshot needs application ${path}; it was taken of the applications ${saved.apps.join(", ")}, in this launch order: restore it with those`);
    }
  }
  for (const path of given) {
    if (!saved.apps.includes(path)) throw new SnapshotError(`application ${path} is not in the snapshot (it has ${saved.apps.join(", ")})`);
  }
  if (given.join() !== saved.apps.join()) {
    throw new SnapshotError(`the snapshot was taken of the applications ${saved.apps.join(", ")}, in this launch order: restore it with those, in that order`);
  }
  const now = manifestOf(apps).operators;
  for (const [operator, machines] of Object.entries(saved.operators)) {
    const current = now[operator] ?? [];
    if (current.join() !== machines.join()) {
      throw new SnapshotError(
        `operator ${operator} changed since the snapshot (${machines.join(", ")} then, ${current.join(", ") || "no compiled callback"} now); ` +
          "restore with the code that took the snapshot, or start the applications afresh",
      );
    }
  }
}

function checkMax(maxSteps: number): void {
  if (!(maxSteps >= 0) || (maxSteps !== Infinity && !Number.isSafeInteger(maxSteps))) {
    throw new RangeError(`maxSteps must be a non-negative integer, got ${maxSteps}`);
  }
}

/** Factories of systems (DESIGN §4). */
export const Systems = {
  /** A deterministic single-threaded system (see {@link TestSystem}). */
  test(options: TestSystemOptions = {}): TestSystem {
    return new TestSystem(options);
  },
};
