/**
 * The engine: the running dataflow of every launched application (streams, generators,
 * sequencers, splitters and workflow executors, wired by `deployer.ts`), the scheduler that
 * decides which component steps next, and the counters. It decides *what* steps; a driver
 * decides *when* (docs/architecture.md, "Drivers"), through {@link Steppable}: the
 * deterministic driver of `Systems.test` steps it in a loop, a live driver would step it as
 * work arrives. The engine never sees applications, only the plans deployed into it, and its
 * whole state can be saved as plain data and loaded into an engine with the same plans.
 */
import { xoroshiro128plus, xoroshiro128plusFromState } from "pure-rand/generator/xoroshiro128plus";
import type { RandomGenerator } from "pure-rand/types/RandomGenerator";
import type { LogWriter } from "../core/log.js";
import type { SinkState, SinkWriter } from "../core/sink.js";
import type { SystemStats } from "../core/stats.js";
import type { GeneratorComponent, GeneratorState, OpenFile } from "./components/generator.js";
import type { WorkflowExecutor, WorkflowState } from "./components/workflow-executor.js";
import { PathRegistry } from "./registry.js";
import type { SourceClock } from "./components/live-sources.js";
import { SourceHold } from "./components/source-hold.js";
import { ReadySet, type Component } from "./scheduler.js";
import type { StreamState } from "./stream.js";
import type { RunnerDelta, RunnerState } from "./tasks/task-runner.js";

/** The step a driver runs next, as the scheduler chose it. */
export interface NextStep {
  /** Path of the component that steps. */
  readonly path: string;
  /** What must happen first (the next atom of an async source), or `undefined` when it can run now. */
  readonly blockedOn: Promise<void> | undefined;
}

/** The engine as a driver sees it: what steps next, and stepping it. */
export interface Steppable {
  /** True when some component can step. */
  canStep(): boolean;
  /**
   * The step that runs next, or `undefined` when nothing can step. Choosing it draws from the
   * scheduler's random generator, so the choice is kept until {@link Steppable.step} runs it.
   */
  next(): NextStep | undefined;
  /**
   * Runs the step {@link next} chose (choosing it first if needed).
   *
   * @throws Error when nothing can step, or the step is blocked (await `next().blockedOn` first)
   */
  step(): void;
}

/** What a live driver gives the engine (docs/live.md): a clock, and a call when work arrives between steps. */
export interface LiveHooks {
  /** Milliseconds on a monotonic clock (rate sources). */
  now(): number;
  /** A component became ready outside a step (a source's data arrived, a timer fired): wake the driver. */
  woken(): void;
}

/** The engine's state as plain data (what a snapshot holds besides its manifest). */
export interface EngineState {
  /** State of the scheduler's random generator. */
  readonly rng: readonly number[];
  /** Paths of the components that can step, in the scheduler's order. */
  readonly ready: readonly string[];
  readonly stats: SystemStats;
  readonly streams: Readonly<Record<string, StreamState>>;
  readonly generators: Readonly<Record<string, GeneratorState>>;
  readonly workflows: Readonly<Record<string, WorkflowState<RunnerState | RunnerDelta>>>;
  /** Transactional sinks by workflow path: committed position and staged output. */
  readonly sinks: Readonly<Record<string, SinkState>>;
  /** Paths of the stopped applications (absent in snapshots of format 2 taken before there were any). */
  readonly stopped?: readonly string[];
}

/** See the module header. */
export class Engine implements Steppable {
  readonly registry = new PathRegistry();
  readonly stats: SystemStats = { steps: 0, atoms: 0, events: 0 };
  /** Paths of the deployed applications, in deployment order. */
  readonly apps: string[] = [];
  readonly generators = new Map<string, GeneratorComponent>();
  readonly workflows = new Map<string, WorkflowExecutor>();
  /** Transactional sink writers by workflow path. */
  readonly sinks = new Map<string, SinkWriter>();
  private readonly components: Component[] = [];
  private readonly stoppedApps = new Set<string>();
  private rng: RandomGenerator;
  private ready: ReadySet;
  private chosen: Component | undefined;
  /** Puts a component that has work among the ready ones (streams call it when they wake a consumer). */
  readonly schedule = (c: Component): void => {
    if (c.ready()) this.ready.add(c);
  };

  /**
   * @param seed seed of the scheduler's random choices
   * @param log where every log line of the running applications goes
   * @param openFile opens the files of `fromFile` generators (the platform's: only Node has files)
   * @param live the clock and wake-up of a live driver; without it (a test system) time decides nothing
   */
  constructor(
    seed: number,
    readonly log: LogWriter,
    readonly openFile: OpenFile,
    private readonly liveHooks?: LiveHooks,
  ) {
    this.rng = xoroshiro128plus(seed);
    this.ready = new ReadySet(this.rng, liveHooks !== undefined);
    this.sourceHold =
      liveHooks === undefined
        ? undefined
        : new SourceHold(() => {
            for (const g of this.generators.values()) this.schedule(g);
            liveHooks.woken();
          });
  }

  /**
   * A live engine's hold on its sources while a stream it publishes to the cluster is behind
   * (`components/source-hold.ts`); `undefined` in a deterministic run, which never holds.
   */
  readonly sourceHold: SourceHold | undefined;

  /** True in a live engine (a live driver runs it), false in a deterministic run. */
  get live(): boolean {
    return this.liveHooks !== undefined;
  }

  /** The clock generator `g`'s source gets in a live engine, else `undefined`. */
  clockFor(g: Component): SourceClock | undefined {
    const live = this.liveHooks;
    if (live === undefined) return undefined;
    return {
      now: () => live.now(),
      wake: () => {
        this.schedule(g);
        live.woken();
      },
    };
  }

  /** The scheduler's random generator (sequencers choose among their inputs with it). */
  get random(): RandomGenerator {
    return this.rng;
  }

  /** Continuations parked now, waiting for replies, over all workflows. */
  get parkedContinuations(): number {
    let n = 0;
    for (const w of this.workflows.values()) n += w.parked;
    return n;
  }

  /** Adds a wired component (a restore finds the ready ones again by path). */
  add(c: Component): void {
    this.components.push(c);
  }

  canStep(): boolean {
    return this.ready.size > 0;
  }

  next(): NextStep | undefined {
    this.chosen ??= this.ready.pick();
    const c = this.chosen;
    if (c === undefined) return undefined;
    return { path: c.path, blockedOn: c.blockedOn?.() };
  }

  step(): void {
    // The hot path of every run: no `NextStep` object, and only generators can be blocked.
    const c = this.chosen ?? this.ready.pick();
    if (c === undefined) throw new Error("step(): nothing can step; the system is complete (check canStep() first)");
    if (c.blockedOn !== undefined && c.blockedOn() !== undefined) {
      this.chosen = c;
      throw new Error(`step(): generator ${c.path} waits for its async iterable; run the system with await system.stepUntilCompleteAsync()`);
    }
    this.chosen = undefined;
    c.step();
    this.stats.steps++;
    if (!c.ready()) this.ready.remove(c);
  }

  /**
   * The engine's state as plain data; with `delta`, each task's state as the keys written since
   * the previous save (an incremental snapshot).
   */
  save(delta: boolean): EngineState {
    const streams: Record<string, StreamState> = {};
    for (const [path, stream] of this.registry.streams()) streams[path] = stream.save(delta);
    const generators: Record<string, GeneratorState> = {};
    for (const [path, g] of this.generators) generators[path] = g.save();
    const workflows: Record<string, WorkflowState<RunnerState | RunnerDelta>> = {};
    for (const [path, w] of this.workflows) workflows[path] = delta ? w.save(true) : w.save();
    const sinks: Record<string, SinkState> = {};
    for (const [path, writer] of this.sinks) sinks[path] = writer.save();
    return { rng: this.rng.getState(), ready: this.ready.save(), stats: { ...this.stats }, streams, generators, workflows, sinks, stopped: [...this.stoppedApps] };
  }

  /**
   * Continues the scheduler's random choices from saved state: before the plans are deployed
   * again, so sequencers draw from it.
   */
  loadRandom(rng: readonly number[]): void {
    this.rng = xoroshiro128plusFromState(rng);
    this.ready = new ReadySet(this.rng, this.live);
  }

  /**
   * Puts back saved state into this engine, which has the same plans deployed in the same order.
   *
   * @throws Error when the state does not fit (a stream's consumers differ, a frame's code changed)
   */
  load(state: Omit<EngineState, "rng" | "workflows"> & { readonly workflows: Readonly<Record<string, WorkflowState>> }): void {
    for (const [path, stream] of this.registry.streams()) if (state.streams[path]) stream.load(state.streams[path]);
    // A generator the snapshot does not have was added since (a cluster's import): it starts fresh.
    for (const [path, g] of this.generators) if (state.generators[path] !== undefined) g.load(state.generators[path]);
    for (const [path, w] of this.workflows) w.load(state.workflows[path]!);
    for (const [path, writer] of this.sinks) writer.recover(state.sinks[path] ?? { committed: 0, staged: [] });
    Object.assign(this.stats, state.stats);
    for (const w of this.workflows.values()) for (const r of w.runners) r.trackChanges();
    for (const app of state.stopped ?? []) this.stopComponents(app, false);
    this.ready = new ReadySet(this.rng, this.live);
    this.chosen = undefined;
    const byPath = new Map(this.components.map((c) => [c.path, c]));
    // A live source that had work when the snapshot was taken may have none now (its queue is not in the snapshot).
    for (const path of state.ready) if (byPath.get(path)!.ready()) this.ready.add(byPath.get(path)!);
    // And one that had none may have work now: a generator held by an export that was behind (this
    // engine's hold is new), or waiting for its rate's next event, whose timer died with the
    // process. Asking each is what sets that timer; nothing else would ever wake them.
    if (this.live) for (const g of this.generators.values()) if (g.ready()) this.ready.add(g);
  }

  /**
   * Stops the application at path `app` for good (docs/live.md, "Stopping"): its generators,
   * sequencers and workflows end their output streams (their consumers see the end) and drop what
   * still comes; its state stays. Its plan stays deployed, so snapshots still fit it.
   */
  stopApp(app: string): void {
    this.stopComponents(app, true);
  }

  /** True when application `app` was stopped. */
  isStopped(app: string): boolean {
    return this.stoppedApps.has(app);
  }

  private stopComponents(app: string, seal: boolean): void {
    if (this.stoppedApps.has(app)) return;
    this.stoppedApps.add(app);
    for (const c of this.components) {
      if (!c.path.startsWith(app + "/")) continue;
      c.stop?.(seal);
      this.schedule(c);
    }
  }

  /**
   * Holds every generator (`true`) or lets them go on (`false`): while held, only the work already
   * in the system steps (a draining upgrade waits for parked continuations to finish).
   */
  holdSources(hold: boolean): void {
    for (const g of this.generators.values()) {
      g.paused = hold;
      if (hold) this.ready.remove(g);
      else this.schedule(g);
    }
  }

  /** Closes the sinks and the generators' sources (open files, timers). */
  close(): void {
    for (const writer of this.sinks.values()) writer.close();
    for (const g of this.generators.values()) g.close();
  }
}
