/**
 * The test system (`Systems.test`; reference `TestRuntime`): one engine, driven by the
 * deterministic driver, with a checkpoint coordinator. Applications are launched in order into
 * the engine's one registry of paths, so a later application reaches the streams, sequencers,
 * splitters and portals of earlier ones. With a fixed seed every run is the same, byte for byte
 * (docs/semantics.md, rule 11).
 */
import type { LogWriter } from "../core/log.js";
import type { SystemStats } from "../core/stats.js";
import { Engine } from "../engine/engine.js";
import type { Application } from "../api/application.js";
import { CheckpointCoordinator, type RestoreFit, type SnapshotOptions } from "./checkpoint-coordinator.js";
import { DeterministicDriver } from "./deterministic-driver.js";
import type { Host } from "./host.js";
import { codecFor, Launched } from "./launched.js";

/** Options of `Systems.test`. */
export interface TestSystemOptions {
  /** Seed of the scheduler's random choices (an integer; default 0). Same seed, same run. */
  readonly seed?: number;
  /**
   * Receives every log line: `logger` lines and `ctx.log` lines bare, errors and warnings with
   * their location in `meta`. Default: info lines to stdout, others to stderr with their level
   * (in a browser: to the console).
   */
  readonly log?: LogWriter;
  /**
   * Snapshots into a store (docs/snapshots.md). With them, sink output is committed after the
   * snapshot that covers it is stored; without them, after every step.
   */
  readonly snapshots?: SnapshotOptions;
}


/** Counters of one workflow ({@link TestSystem.workflowCounters}). */
export interface WorkflowCounters {
  /** The workflow's path, e.g. `/shop/workflows/cart`. */
  readonly workflow: string;
  /** Atoms and events it has processed. */
  readonly atoms: number;
  readonly events: number;
  /** Continuations it has parked now, waiting for replies. */
  readonly parked: number;
}

/** A deterministic single-threaded system; see the module header. */
export class TestSystem {
  private readonly engine: Engine;
  private readonly driver: DeterministicDriver;
  private readonly coordinator: CheckpointCoordinator;
  private readonly launched = new Launched();
  private closed = false;

  /**
   * @internal use `Systems.test`, which gives the platform the system runs on as `host`
   * @throws RangeError when the seed is not an integer, or a snapshot interval is not a positive integer
   */
  constructor(options: TestSystemOptions, host: Host) {
    const seed = options.seed ?? 0;
    if (!Number.isSafeInteger(seed)) throw new RangeError(`Systems.test({ seed: ${seed} }): the seed must be an integer`);
    this.engine = new Engine(seed, options.log ?? host.log, host.openFile);
    this.coordinator = new CheckpointCoordinator(
      {
        engine: this.engine,
        plans: () => this.launched.plans(),
        codec: () => this.launched.codec,
        shutdown: () => this.shutdown(),
      },
      options.snapshots,
    );
    this.driver = new DeterministicDriver(this.engine, this.coordinator);
  }

  /** Steps taken, and atoms and events processed by workflows, so far. */
  get stats(): Readonly<SystemStats> {
    return { ...this.engine.stats };
  }

  /** Continuations parked now, waiting for replies, over all workflows. */
  get parkedContinuations(): number {
    return this.engine.parkedContinuations;
  }

  /**
   * Counters of every workflow, in launch order: atoms and events it has processed and the
   * continuations it has parked now (what a playground or a debugger shows while a run goes on).
   */
  workflowCounters(): WorkflowCounters[] {
    return [...this.engine.workflows].map(([workflow, w]) => ({ workflow, atoms: w.atoms, events: w.events, parked: w.runners.reduce((n, r) => n + r.parkedCount, 0) }));
  }

  /** Paths of the launched applications, in launch order. */
  get applications(): readonly string[] {
    return [...this.engine.apps];
  }

  /**
   * Launches `app`: its consumers start at the current end of the streams they read
   * (docs/semantics.md, rule 7). Nothing is changed when it fails.
   *
   * @throws ApplicationError when the application is already launched, needs a part of an
   *   application that is not launched, has an uncompiled async callback, registers a data class
   *   name another application uses for another class, or a generator or `init` factory fails
   */
  launch(app: Application): void {
    this.checkOpen("launch");
    this.launched.launch(this.engine, app, "fresh");
  }

  /**
   * A snapshot of the whole system between steps: restore it into a fresh system with
   * {@link TestSystem.restore}. With `delta`, only the task state written since this system's previous
   * snapshot (restore it after the chain it extends); after a launch since that snapshot, a full one.
   *
   * @throws EncodeError naming the path of state that is not data; Error for a delta when this
   *   system has taken no snapshot yet
   */
  snapshot(options: { readonly delta?: boolean } = {}): Uint8Array {
    this.checkOpen("snapshot");
    return this.coordinator.snapshot(options.delta === true);
  }

  /**
   * Takes a snapshot into the configured store (a full one every `fullEvery` snapshots, deltas
   * in between), then commits the sink output it covers.
   *
   * @throws Error when the system has no snapshot store (`Systems.test({ snapshots })`)
   */
  checkpoint(): void {
    this.checkOpen("checkpoint");
    this.coordinator.checkpoint();
  }

  /**
   * Continues from the newest readable snapshot of the configured store (with the chain of
   * full snapshot and deltas it needs), as {@link TestSystem.restore}; a snapshot that is truncated or
   * damaged is reported (warning) and the one before it is tried. Returns the id of the snapshot
   * restored, or `undefined`, leaving the system untouched, when there is no readable snapshot:
   * launch the applications to start afresh.
   *
   * @throws Error when the system has no snapshot store; SnapshotError as {@link TestSystem.restore} for a
   *   readable snapshot that does not fit `apps`, and for an intact one that `apps` cannot decode
   *   (a data class renamed): never skipped for an older one or a fresh start
   */
  restoreLatest(apps: readonly Application[]): string | undefined {
    this.checkOpen("restoreLatest");
    return this.coordinator.restoreLatest(codecFor(apps), this.fit(apps), this.engine.log);
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
    const chain = snapshot instanceof Uint8Array ? [snapshot] : [...snapshot];
    this.coordinator.restore(chain, codecFor(apps), this.fit(apps));
    return this;
  }

  /** True when some component can take a step. */
  canStep(): boolean {
    return this.engine.canStep();
  }

  /**
   * Takes one step: the next atom of one component (portal traffic first, docs/semantics.md,
   * rule 8).
   *
   * @throws Error when nothing can step, or when the step needs the next atom of an async
   *   source that is not in yet (use {@link TestSystem.stepUntilCompleteAsync})
   */
  step(): void {
    this.checkOpen("step");
    this.driver.step();
  }

  /**
   * Steps until nothing can step or `maxSteps` steps were taken; returns the number of steps.
   *
   * @throws Error as {@link TestSystem.step}
   */
  stepUntilComplete(maxSteps = Infinity): number {
    if (this.canStep()) this.checkOpen("step");
    return this.driver.runUntilComplete(maxSteps);
  }

  /**
   * Like {@link TestSystem.stepUntilComplete}, and waits for async sources (`fromAsyncIterable`) when a step
   * needs their next atom. The order of steps is the same as if the data had been there.
   */
  async stepUntilCompleteAsync(maxSteps = Infinity): Promise<number> {
    this.checkOpen("stepUntilCompleteAsync");
    return this.driver.runUntilCompleteAsync(maxSteps);
  }

  /** Stops the system and closes its sinks; later calls of `launch` and `step` throw. */
  shutdown(): void {
    if (this.closed) return;
    this.closed = true;
    this.engine.close();
  }

  /** A restore launches exactly `apps`; the manifest check names any difference. */
  private fit(apps: readonly Application[]): RestoreFit {
    return () => ({ plans: apps.map((a) => a.plan), launch: () => apps.forEach((app) => this.launched.launch(this.engine, app, "recovering")) });
  }

  private checkOpen(what: string): void {
    if (this.closed) throw new Error(`${what}(): the system was shut down`);
  }
}
