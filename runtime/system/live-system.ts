/**
 * The live system (`Systems.live`): one engine run by the live driver in real time until it is
 * closed, with the same lowered graphs and portal ordering as the test system. Applications are
 * launched while others run; callers outside the dataflow ask portals and send events, and get
 * their answers only once a checkpoint has stored the state change behind them
 * (docs/live.md). With a data directory every checkpoint is stored there, and a new system on
 * the same directory continues from the newest one (`restoreLatest`).
 */
import { describe } from "../core/errors.js";
import type { LogWriter } from "../core/log.js";
import type { SinkStart } from "../engine/deployer.js";
import { Engine } from "../engine/engine.js";
import type { Receipt } from "../engine/components/live-sources.js";
import type { Application } from "../api/application.js";
import type { SnapshotStore } from "../state/snapshot-store.js";
import { CheckpointCoordinator } from "./checkpoint-coordinator.js";
import { expiriesOf, gatewayInput, gatewayName, gatewayOf, type GatewayAsk } from "./gateway.js";
import type { DataDirLock, Host } from "./host.js";
import { isOwnPath, SYSTEM_APP_PREFIX } from "../core/paths.js";
import { checkLaunches, codecFor, Launched, type Launch } from "./launched.js";
import { LiveDriver } from "./live-driver.js";
import { Callers, checkIdempotencyKey, checkNesting, type Tail } from "./live-callers.js";
import { askTarget, checkTailable, sendTarget, watchTail } from "./live-targets.js";
import { liveLink, type LiveLink } from "./live-link.js";
import { LiveError } from "./live-error.js";
import { appCounters, checkLiveOptions, type AppCounters, type AskOptions, type LiveStats, type LiveSystemOptions, type SendOptions, type TailListener, type TailOptions, type UpgradeOptions } from "./live-options.js";
import { askersOf, drain, parkedIn, planUpgrade } from "./upgrade.js";

const DEFAULT_TIMEOUT_MS = 10_000;
/**
 * Checkpoints stored at once at most. The segment store writes one at a time anyway; a second
 * taken during a write only adds its capture, while one taken after it covers more outputs
 * (measured: 1 serves about 8% more asks over HTTP than 4, with half the checkpoints).
 */
const STORING_AT_ONCE = 1;

/** See the module header. */
export class LiveSystem {
  // One engine with its coordinator, launched applications and driver; an upgrade replaces them.
  private engine!: Engine;
  private coordinator!: CheckpointCoordinator;
  private driver!: LiveDriver;
  private launched!: Launched;
  private readonly store: SnapshotStore | undefined;
  private readonly lock: DataDirLock | undefined;
  private readonly seed: number;
  private readonly interval: number;
  private readonly fullEvery: number;
  private readonly retentionMs: number;
  private readonly sweeper: ReturnType<typeof setInterval>;
  private readonly log: LogWriter;
  private readonly link: LiveLink | undefined;
  /** Gateway ingestion paths by the path of the application they ask. */
  private readonly gateways = new Map<string, string>();
  private readonly callers = new Callers();
  private answersStaged = false;
  private checkpoints = 0;
  private lastCheckpointMs = 0;
  private lastCheckpointBytes = 0;
  /** Set when the system was closed or failed: every later call throws it. */
  private closed: LiveError | undefined;
  private closing = false;
  /** Calls waiting for the next checkpoint to be stored (a stop). */
  private checkpointWaiters: (() => void)[] = [];
  /** True while an upgrade replaces the engine. */
  private swapping = false;
  /** Checkpoints being stored. */
  private storing = 0;
  /** Settles when every checkpoint taken so far is stored and released (or failed). */
  private released: Promise<unknown> = Promise.resolve();

  /**
   * @internal use `Systems.live`, which gives the platform the system runs on as `host`
   * @throws RangeError for a bad seed, interval, `fullEvery` or retention; TypeError for a link
   *   `joinCluster` did not make; Error when the data directory cannot be created, or another live
   *   system (in any process) uses it (or, in a browser, that there are no files)
   */
  constructor(
    options: LiveSystemOptions,
    private readonly host: Host,
  ) {
    const { seed, interval, fullEvery, retentionMs } = checkLiveOptions(options);
    this.seed = seed;
    this.interval = interval;
    this.fullEvery = fullEvery;
    this.retentionMs = retentionMs;
    this.log = options.log ?? host.log;
    this.link = options.link === undefined ? undefined : liveLink(options.link);
    const dataDir = options.dataDir === undefined ? undefined : host.openDataDir(options.dataDir);
    this.store = dataDir?.store;
    this.lock = dataDir?.lock;
    // After the lock: the link claims the runtime's name for this data directory, which a second system on it must not do.
    try {
      this.link?.attach({ codec: () => this.launched.codec, wake: () => this.driver.wake(), ask: (portal, request, o) => this.askHere(portal, request, o), send: (generator, events, o) => this.sendHere(generator, events, o), tail: (stream, listener) => this.tail(stream, listener), dataDir: options.dataDir });
    } catch (thrown) {
      this.lock?.release();
      throw thrown;
    }
    this.assemble();
    this.sweeper = setInterval(() => this.sweep(), Math.min(60_000, Math.max(10, Math.floor(retentionMs / 4))));
    this.sweeper.unref?.(); // Node's timers have it; a browser's are numbers
  }

  /** Drops the answers of keyed asks older than the retention (docs/live.md, "Asking from outside"). */
  private sweep(): void {
    if (this.closed !== undefined || this.swapping) return;
    for (const [app, input] of this.gateways) {
      if (this.engine.isStopped(app)) continue;
      const expiries = expiriesOf(this.engine, app, Date.now() - this.retentionMs);
      if (expiries.length > 0) this.engine.generators.get(input)!.ingestion!.send(expiries, undefined, () => {});
    }
  }

  /** A new engine, coordinator, launched list and running driver (at start, and for an upgrade). */
  private assemble(): void {
    const now = (): number => performance.now();
    this.engine = new Engine(this.seed, this.log, this.host.openFile, { now, woken: () => this.driver.wake() });
    this.launched = new Launched();
    const engine = this.engine;
    this.coordinator = new CheckpointCoordinator(
      { engine, plans: () => this.launched.plans(), codec: () => this.launched.codec, shutdown: () => this.restoreFailed(engine) },
      this.store === undefined ? undefined : { store: this.store, fullEvery: this.fullEvery, deltaRatio: 1 },
    );
    this.driver = new LiveDriver(
      this.engine,
      {
        waiting: () => this.answersStaged || this.checkpointWaiters.length > 0 || this.receiptsWaiting() || this.callers.tailsWaiting() || this.link?.waiting() === true,
        checkpoint: () => this.checkpoint(),
        failed: (error) => this.fail(error),
      },
      this.interval,
      now,
      this.host.nextTurn,
    );
  }

  /** Steps, atoms and events so far, and the checkpoints. */
  get stats(): LiveStats {
    return {
      ...this.engine.stats,
      checkpoints: this.checkpoints,
      lastCheckpointMs: this.lastCheckpointMs,
      lastCheckpointBytes: this.lastCheckpointBytes,
      asksWaiting: this.callers.asksWaiting,
      tailsOpen: this.callers.tails.size,
    };
  }

  /**
   * Per running application (not the system's gateways): atoms and events its workflows
   * processed since this process started (an upgrade starts them again), and its parked continuations.
   */
  perApplication(): AppCounters[] {
    return appCounters(this.engine, this.applications);
  }

  /** Why the system no longer runs (closed, or stopped by an internal error), or `undefined` while it runs. */
  get stoppedBecause(): string | undefined {
    return this.closed?.message;
  }

  /** Continuations parked now, waiting for replies, over all workflows. */
  get parkedContinuations(): number {
    return this.engine.parkedContinuations;
  }

  /** The applications launched by users (not the system's gateways), in launch order. */
  get applications(): readonly Application[] {
    return this.launched.apps.filter((a) => !a.name.startsWith(SYSTEM_APP_PREFIX));
  }

  /**
   * Launches `apps` (one application or several, in order) while the others run: their
   * consumers start at the current end of the streams they read. All of them are checked
   * against the running applications and each other before anything changes, so a launch that
   * is refused leaves nothing behind.
   *
   * @throws ApplicationError with every reason when one does not validate (an unknown path, a
   *   name in use, an uncompiled callback, a data class name clash, a name reserved for the
   *   system); LiveError `closed` after {@link LiveSystem.close}
   */
  launch(apps: Application | readonly Application[]): void {
    this.checkOpen();
    const list = Array.isArray(apps) ? (apps as readonly Application[]) : [apps as Application];
    const launches = this.withGateways(list);
    checkLaunches(this.engine, launches, list, this.link?.check(this.engine, list.map((a) => a.plan)));
    codecFor([...this.launched.apps, ...launches.map((l) => l.app)]);
    for (const { app, asks } of launches) this.launchOne(app, asks, "fresh");
    this.driver.wake();
  }

  /**
   * {@link LiveSystem.launch}, after claiming the applications' names in the cluster when the
   * system is linked to one (docs/cluster.md, "The directory"): two runtimes never run one name,
   * whatever the timing. Names claimed for a launch that is then refused are given back.
   *
   * @throws as {@link LiveSystem.launch}; ApplicationError when another runtime of the cluster
   *   runs a name; LiveError `unavailable` when the cluster cannot be reached
   */
  async launchClaimed(apps: Application | readonly Application[]): Promise<void> {
    this.checkOpen();
    const list = Array.isArray(apps) ? (apps as readonly Application[]) : [apps as Application];
    const claimed = (await this.link?.claim(list.map((a) => a.plan))) ?? [];
    try {
      this.launch(list);
    } catch (thrown) {
      await this.link?.release(claimed);
      throw thrown;
    }
  }

  /**
   * Continues from the newest readable snapshot of the data directory: launches `apps` (in
   * launch order) and puts back their state, parked continuations and positions. Applications
   * after those of the snapshot (a launch a crash interrupted before its first checkpoint) are
   * then launched afresh. Returns the snapshot's id, or `undefined` (system untouched) when there
   * is none: launch them to start afresh.
   *
   * @throws Error without a data directory; SnapshotError when the snapshot's applications are
   *   not the first of `apps` in that order, or an operator's code changed
   */
  restoreLatest(apps: readonly Application[]): string | undefined {
    this.checkOpen();
    const all = this.withGateways(apps);
    let later: typeof all = [];
    const id = this.coordinator.restoreLatest(
      codecFor(all.map((a) => a.app)),
      (saved) => {
        const restored = all.slice(0, saved.length);
        later = all.slice(saved.length);
        return { plans: restored.map((a) => a.app.plan), launch: () => restored.forEach((a) => this.launchOne(a.app, a.asks, "recovering")) };
      },
      this.engine.log,
    );
    if (id !== undefined) for (const a of later) this.launchOne(a.app, a.asks, "fresh");
    for (const { app } of all) if (this.engine.isStopped(app.path)) this.link?.stopped(this.engine, app.plan);
    this.driver.wake();
    return id;
  }

  /**
   * Asks portal `portal` (a path, `/<app>/portals/<name>`) with `request`; resolves with the
   * reply once the checkpoint covering it is stored.
   *
   * In a cluster (docs/cluster.md), a portal of an application another runtime runs is asked
   * there, the request and the reply as JSON.
   *
   * @throws LiveError `not-found` for an unknown portal, `bad-request` for bad options or a
   *   request nested more than 256 levels deep, `unavailable` when the runtime that runs it
   *   cannot be reached,
   *   `timeout` when no answer came in time (a retry with the same idempotency key gets it once
   *   it exists), `replier` when the replier failed (its message), `closed` when the system closed
   */
  ask(portal: string, request: unknown, options: AskOptions = {}): Promise<unknown> {
    this.checkOpen();
    if (this.link !== undefined && !this.launched.apps.some((a) => isOwnPath(a.path, portal))) {
      // Checked here as there: one nested too deep would otherwise overflow the stack as JSON (found by a fresh user's trial).
      checkNesting("the request", request);
      const forwarded = this.link.forwardAsk(portal, request, options);
      if (forwarded !== undefined) return forwarded;
    }
    return this.askHere(portal, request, options);
  }

  /** {@link LiveSystem.ask} of a portal of this system's applications. */
  private askHere(portal: string, request: unknown, options: AskOptions): Promise<unknown> {
    this.checkOpen();
    const timeoutMs = options.timeoutMs ?? DEFAULT_TIMEOUT_MS;
    if (!Number.isSafeInteger(timeoutMs) || timeoutMs < 1) throw new LiveError("bad-request", `timeoutMs must be a positive integer (milliseconds), got ${timeoutMs}`);
    const key = checkIdempotencyKey(options.idempotencyKey);
    checkNesting("the request", request);
    const source = askTarget(this.engine, this.launched.apps, this.gateways, portal);
    const id = this.callers.nextAskId();
    // Keys are per portal: one key used with two portals of an application names two asks.
    const ask: GatewayAsk = { id, key: key === undefined ? `r:${id}` : `k:${portal}:${key}`, idempotent: key !== undefined, portal, request, at: Date.now() };
    const answer = this.callers.answer(id, portal, timeoutMs, key !== undefined);
    source.send([ask], undefined, () => {});
    return answer;
  }

  /**
   * Sends `events` as one atom to the ingestion generator `generator` (a path,
   * `/<app>/generators/<name>`, made by `generators.http`); resolves once the checkpoint
   * covering the atom is stored. In a cluster, a generator of an application another runtime
   * runs is sent to there (docs/cluster.md, "What works"), the events as JSON.
   *
   * @throws LiveError `not-found` for an unknown generator or one that is not an ingestion
   *   generator, `bad-request` when `events` is not an array, nests too deep or the key is bad,
   *   `reused-key` when the key was used recently with other events, `unavailable` when the
   *   runtime that runs it cannot be reached, `closed`
   */
  send(generator: string, events: readonly unknown[], options: SendOptions = {}): Promise<Receipt> {
    this.checkOpen();
    if (this.link !== undefined && !this.launched.apps.some((a) => isOwnPath(a.path, generator))) {
      checkEvents(events, options);
      const forwarded = this.link.forwardSend(generator, events, options);
      if (forwarded !== undefined) return forwarded;
    }
    return this.sendHere(generator, events, options);
  }

  /** {@link LiveSystem.send} to a generator of this system's applications. */
  private sendHere(generator: string, events: readonly unknown[], options: SendOptions): Promise<Receipt> {
    this.checkOpen();
    const key = checkEvents(events, options);
    const source = sendTarget(this.engine, generator);
    const print = key === undefined ? undefined : source.fingerprintFor(key, events);
    if (key !== undefined && print === undefined) {
      throw new LiveError("reused-key", "this idempotency key was used with other events; use a new key for a new send");
    }
    return this.callers.receipt((done) => source.send([...events], key, done, print));
  }

  /**
   * Stops the running application named `name` (docs/live.md, "Stopping"): its generators,
   * sequencers and workflows end their output streams, so the applications that read them see
   * the end, and drop what still comes; its portals and ingestion streams take no more calls.
   * It stays in the system (its state, and in snapshots) as stopped; resolves once a checkpoint
   * has stored that.
   *
   * @throws LiveError `not-found` when no application of that name runs, `conflict` when other
   *   running applications ask its portals, here or in a cluster on other runtimes (naming them:
   *   stop those first)
   */
  async stop(name: string): Promise<void> {
    this.checkOpen();
    const app = this.applications.find((a) => a.name === name);
    if (app === undefined || this.engine.isStopped(app.path)) {
      throw new LiveError("not-found", `no application ${name} is running (running: ${this.running.join(", ") || "none"})`);
    }
    // Those of other runtimes too: their requests would wait for ever (found by a fresh user's trial).
    const askers = [...askersOf(app, this.applications.filter((other) => !this.engine.isStopped(other.path))), ...(this.link?.askersElsewhere(app.path) ?? [])];
    if (askers.length > 0) {
      throw new LiveError("conflict", `application ${name} serves portals that ${askers.join(", ")} ${askers.length === 1 ? "asks" : "ask"}; stop ${askers.length === 1 ? "it" : "them"} first`);
    }
    this.engine.stopApp(`/${gatewayName(name)}`);
    this.engine.stopApp(app.path);
    this.link?.stopped(this.engine, app.plan);
    await new Promise<void>((resolve) => {
      this.checkpointWaiters.push(resolve);
      this.driver.wake();
    });
  }

  /** Names of the applications running now (launched and not stopped), in launch order. */
  get running(): string[] {
    return this.applications.filter((a) => !this.engine.isStopped(a.path)).map((a) => a.name);
  }

  /** True when application `name` (a name or a path) was stopped. */
  isStopped(name: string): boolean {
    return this.engine.isStopped(name.startsWith("/") ? name : `/${name}`);
  }

  /**
   * Upgrades running applications to new versions of their code while the others run
   * (docs/live.md, "Upgrades"): each of `apps` replaces the running application of its name,
   * which must have the same graph. The system takes a full snapshot (stored, with a data
   * directory), puts the new code in, restores state, positions and parked continuations into
   * it, and takes a checkpoint; asks and sends in flight go on. An operator whose code changed
   * and that has parked continuations (they would resume at a point of the old code) refuses
   * the upgrade, unless `drain`: then every source is held until those continuations are done
   * (at most `drainTimeoutMs`, default 30 s). Resolves with the tasks whose code changed.
   *
   * @throws ApplicationError listing every application that is not running or whose graph
   *   changed; LiveError `conflict` naming the changed operators with parked continuations,
   *   `timeout` when draining took longer; SnapshotError when the new code cannot take the
   *   state (the old code goes on)
   */
  async upgrade(apps: readonly Application[], options: UpgradeOptions = {}): Promise<string[]> {
    this.checkOpen();
    const { replaced, changed } = planUpgrade(this.applications, apps);
    const parked = (): string[] => parkedIn(this.engine, this.launched.plans(), changed);
    if (parked().length > 0) {
      if (options.drain !== true) {
        throw new LiveError("conflict", `the code of ${parked().join(", ")} changed and has parked continuations, which would resume in the old code; upgrade with drain (portals deploy --drain) to wait until they are done`);
      }
      await drain(this.engine, parked, options.drainTimeoutMs ?? 30_000);
    }
    await this.swap(replaced, new Set(changed));
    return changed;
  }

  /**
   * A restore into `engine` failed after it started: the engine is closed; outside an upgrade
   * (which goes back to the old code) the system cannot be used any more.
   */
  private restoreFailed(engine: Engine): void {
    engine.close();
    if (this.swapping) return;
    this.closed ??= new LiveError("closed", "the restore failed, so this live system cannot be used; create a new one");
    void this.driver.stop();
  }

  /**
   * Replaces the engine by one running `replaced` (new versions by the path they replace) from
   * a full snapshot of this one; when that fails, by one running the same code again.
   */
  private async swap(replaced: ReadonlyMap<string, Application>, upgraded: ReadonlySet<string>): Promise<void> {
    await this.driver.stop();
    await this.storeIdle();
    this.swapping = true;
    const old = this.engine;
    const before = this.launched.apps;
    const bytes = this.coordinator.snapshot(false);
    this.store?.save(bytes);
    const gatewayOf = new Map([...replaced.values()].map((app) => [`/${gatewayName(app.name)}`, app]));
    const next = before.map((a) => replaced.get(a.path) ?? (gatewayOf.has(a.path) ? this.gatewayFor(gatewayOf.get(a.path)!)! : a));
    old.close();
    try {
      this.restoreInto(bytes, next, upgraded, old);
    } catch (thrown) {
      await this.driver.stop();
      this.restoreInto(bytes, before, new Set(), old);
      throw thrown;
    } finally {
      this.swapping = false;
    }
    // The new driver may be storing a checkpoint already (found by a fresh user: a save among
    // its writes was refused, and the upgrade failed).
    await this.storeIdle();
    if (this.store !== undefined) this.lastCheckpointBytes = this.coordinator.checkpoint();
  }

  /** Until no checkpoint is being stored: the store takes one write at a time, and a save must come after them. */
  private async storeIdle(): Promise<void> {
    while (this.storing > 0) await this.released;
  }

  /** A new engine running `apps` from snapshot `bytes`, with what `old` held for outside callers. */
  private restoreInto(bytes: Uint8Array, apps: readonly Application[], upgraded: ReadonlySet<string>, old: Engine): void {
    this.assemble();
    this.coordinator.restore([bytes], codecFor(apps), () => ({
      plans: apps.map((a) => a.plan),
      launch: () => apps.forEach((a) => this.deploy(a, "recovering")),
      upgraded,
    }));
    for (const [path, g] of old.generators) {
      const next = this.engine.generators.get(path)?.ingestion;
      if (g.ingestion !== undefined && next !== undefined) g.ingestion.handOver(next);
    }
    // Deployed again into the new engine, a stopped application is stopped there too: the link says so again (found by a fresh user's trial: the directory had it running).
    for (const app of apps) if (this.engine.isStopped(app.path)) this.link?.stopped(this.engine, app.plan);
    for (const tail of this.callers.tails) watchTail(this.engine, tail);
    this.answersStaged = true;
    this.driver.wake();
  }

  /**
   * Calls `listener` with the events of every atom appended to stream `stream` (a path, e.g.
   * `/shop/workflows/orders/stream`) from now on, once a checkpoint covers it (so a crash never
   * takes back what a tail showed), and with `end: true` after the stream's last atom (by the
   * next checkpoint, when the stream ended before the tail began). While a
   * tail is open, a checkpoint follows every batch that fed it. Returns what stops it.
   *
   * @throws LiveError `not-found` for a stream no running application has
   */
  tail(stream: string, listener: TailListener): () => void {
    this.checkOpen();
    checkTailable(this.engine, stream);
    const tail: Tail = { stream, listener, pending: [], unwatch: () => {} };
    watchTail(this.engine, tail);
    this.callers.tails.add(tail);
    // Ended before the tail began: it is told so by the next checkpoint (asked for now), as a tail that saw the end is.
    const found = this.engine.registry.find(stream);
    if (found?.kind === "stream" && found.stream.ended) {
      tail.pending.push({ events: [], end: true });
      this.driver.wake();
    }
    return () => {
      tail.unwatch();
      this.callers.tails.delete(tail);
    };
  }

  /**
   * {@link LiveSystem.tail}, and in a cluster (docs/cluster.md, "What works") a stream of an
   * application another runtime runs is tailed there, and one of a partitioned application on
   * every partition's runtime: events of other runtimes come as JSON (bigints as strings, Maps
   * and Sets as arrays), as a tail's Server-Sent Events carry them. Resolves with what stops the
   * tail once it has begun; `options.broken` is called if a forwarded tail breaks.
   *
   * @throws LiveError `not-found` for a stream no running application has (here, or on the
   *   runtime that runs its application, which the message names), `unavailable` when that
   *   runtime cannot be reached or a partition is not deployed, `closed`
   */
  async openTail(stream: string, listener: TailListener, options: TailOptions = {}): Promise<() => void> {
    this.checkOpen();
    // Also when the application runs here: it may be one partition of several.
    if (options.here !== true && this.link !== undefined) {
      const forwarded = this.link.forwardTail(stream, listener, options.broken ?? (() => {}));
      if (forwarded !== undefined) return forwarded;
    }
    return this.tail(stream, listener);
  }

  /**
   * Stops the loop, takes a last checkpoint (with a data directory) and closes the sinks; asks
   * still waiting fail with LiveError `closed`.
   */
  async close(): Promise<void> {
    if (this.closing) return;
    this.closing = true;
    const failed = this.closed !== undefined;
    this.closed ??= new LiveError("closed", "the live system was closed");
    clearInterval(this.sweeper);
    await this.driver.stop();
    try {
      await this.released;
      if (!failed && this.store !== undefined && this.engine.apps.length > 0) {
        this.checkpoint();
        await this.released;
      }
    } finally {
      this.callers.rejectAll(this.closed);
      this.engine.close();
      this.store?.close();
      this.lock?.release();
      await this.link?.close();
    }
  }

  /**
   * Takes a checkpoint now and releases what it covers once it is stored: with a data
   * directory, stored while the loop goes on (up to STORING_AT_ONCE at once, released in
   * order; beyond that a checkpoint waits for the next batch); without one, at once.
   */
  private checkpoint(): void {
    if (this.storing >= STORING_AT_ONCE) return;
    const start = performance.now();
    this.answersStaged = false;
    const receipts = [...this.engine.generators.values()].flatMap((g) => g.ingestion?.takeStepped() ?? []);
    const tails = this.callers.takeTails(this.engine.log);
    const linked = this.link?.checkpointTaken();
    const waiters = this.checkpointWaiters;
    this.checkpointWaiters = [];
    const release = (): void => {
      for (const { done, receipt } of receipts) done(receipt);
      tails();
      linked?.();
      for (const done of waiters) done();
      this.lastCheckpointMs = performance.now() - start;
    };
    if (this.store === undefined) {
      this.checkpoints++;
      this.coordinator.commitSinks();
      release();
      return;
    }
    this.storing++;
    const stored = this.coordinator.checkpointAsync();
    // Released in the order they were taken, whichever is stored first.
    this.released = Promise.all([stored, this.released]).then(
      ([{ bytes, commit }]) => {
        this.storing--;
        this.lastCheckpointBytes = bytes;
        this.checkpoints++;
        commit();
        release();
        this.driver.wake();
      },
      (thrown: unknown) => {
        this.storing--;
        this.fail(thrown);
      },
    );
  }

  private receiptsWaiting(): boolean {
    for (const g of this.engine.generators.values()) if ((g.ingestion?.unreleased ?? 0) > 0) return true;
    return false;
  }

  /** `apps`, each followed by its gateway (which `asks` it), if it has portals. */
  private withGateways(apps: readonly Application[]): Launch[] {
    return apps.flatMap((app) => {
      const gateway = this.gatewayFor(app);
      return gateway === undefined ? [{ app }] : [{ app }, { app: gateway, asks: app }];
    });
  }

  private gatewayFor(app: Application): Application | undefined {
    return gatewayOf(app, {
      staged: () => {
        this.answersStaged = true;
      },
      deliver: (answer) => this.callers.deliver(answer),
    });
  }

  /** Launches `app`; a gateway is given the application whose portals it `asks`. */
  private launchOne(app: Application, asks: Application | undefined, sinks: SinkStart): void {
    this.deploy(app, sinks);
    if (asks !== undefined) this.gateways.set(asks.path, gatewayInput(app.path));
  }

  /** Deploys `app` into the engine, with what the link adds before and after. */
  private deploy(app: Application, sinks: SinkStart): void {
    this.link?.deploying(this.engine, app.plan);
    this.launched.launch(this.engine, app, sinks);
    this.link?.deployed(this.engine, app.plan);
  }

  /** A step or the store failed: the loop ends, and every call from now on says so. */
  private fail(error: unknown): void {
    const failure = new LiveError("failed", `the live system stopped after an internal error: ${describe(error)}`);
    this.engine.log(`${failure.message}\n${(error as Error)?.stack ?? ""}`, { level: "error", workflow: "", task: "", key: 0 });
    this.closed = failure;
    this.callers.rejectAll(failure);
    void this.driver.stop();
  }

  private checkOpen(): void {
    if (this.closed !== undefined) throw this.closed;
  }
}

/**
 * The checks of a send's events and options; returns its idempotency key.
 *
 * @throws LiveError `bad-request` when `events` is not an array, nests too deep or the key is bad
 */
function checkEvents(events: readonly unknown[], options: SendOptions): string | undefined {
  if (!Array.isArray(events)) throw new LiveError("bad-request", "the events must be an array (one atom)");
  const key = checkIdempotencyKey(options.idempotencyKey);
  checkNesting("the events", events);
  return key;
}
