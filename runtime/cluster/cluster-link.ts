/**
 * A runtime's membership of a cluster (docs/cluster.md): the {@link LiveLink} a live system is
 * given to run applications that use the streams, sequencers, splitters and portals of
 * applications on other runtimes, by the same `app.registry.*.get(path)` code as in one process.
 * It keeps the directory current, adds stand-ins and imports for what a deployment needs of other
 * runtimes, exports what a deployed application offers, and forwards asks and sends (ingestion)
 * of applications that run elsewhere.
 */
import { ApplicationError, describe } from "../core/errors.js";
import type { LogWriter } from "../core/log.js";
import { PATH_SHAPES, SYSTEM_APP_PREFIX } from "../core/paths.js";
import { GeneratorComponent } from "../engine/components/generator.js";
import type { Engine } from "../engine/engine.js";
import { SequencerComponent } from "../engine/components/sequencer.js";
import { SplitterComponent } from "../engine/components/splitter.js";
import { AtomicStream } from "../engine/stream.js";
import type { Plan, PlanRequirement } from "../graph/plan.js";
import type { Msg } from "@nats-io/nats-core";
import type { KvEntry } from "@nats-io/kv";
import type { Codec } from "../state/codec.js";
import { defaultLog } from "../system/default-log.js";
import { LiveError, type LiveErrorCode } from "../system/live-error.js";
import type { LinkedSystem, LiveLink } from "../system/live-link.js";
import type { Receipt } from "../engine/components/live-sources.js";
import type { AskOptions, SendOptions, SystemLink, TailListener } from "../system/live-options.js";
import { Directory, type DirectoryEntry, type DirectoryFeed, type DirectoryPortal } from "./directory.js";
import { checkRuntimeName, dataDirId, Fenced, RuntimeIdentity } from "./identity.js";
import { ClusterConnection, MAX_AGE_MS, serversProblem, type Connected, type Retention } from "./nats.js";
import { StreamExport } from "./stream-export.js";
import { StreamImport } from "./stream-import.js";
import { codeVersion } from "./code-version.js";
import { joinTails, TailReceiver, TailSender, type TailPart } from "./tail-forward.js";
import { askSubject, directoryKey, isRuntimeName, requestsFrom } from "./subjects.js";
import { partitionProblems } from "./partitioned.js";
import { partitionPhrase, showPartition, type Partition } from "../core/partition.js";

/** Options of {@link joinCluster}. */
export interface ClusterOptions {
  /** The NATS server(s), `nats://host:port`, several separated by commas. */
  readonly servers: string;
  /** This runtime's name in the cluster: letters, digits, `_` and `-`, at most 64; stable across restarts. */
  readonly runtime: string;
  /**
   * The JetStream domain of the cluster's JetStream (default: the server's own). An edge
   * runtime whose NATS server is a leaf node of the cloud's names the cloud's domain
   * (examples/edge/README.md).
   */
  readonly domain?: string;
  /**
   * A file for this runtime's copy of the directory (the server keeps it in its data
   * directory): a runtime started while the cluster cannot be reached restores its applications
   * from it.
   */
  readonly directoryCopy?: string;
  /** Where the link reports what goes wrong with remote streams (default: the system's log). */
  readonly log?: LogWriter;
  /**
   * How many servers of a JetStream cluster keep each stream and the directory bucket, when this
   * runtime creates them: 1 (default; a single server) to 5; 3 survives the loss of any one
   * server of three (docs/cluster.md, "Failures"). Streams made before keep their replicas.
   */
  readonly replicas?: number;
  /**
   * Take this runtime's name even when another data directory holds it (docs/cluster.md,
   * "Identity"): for a machine that is gone for good. The process that held it stops publishing.
   */
  readonly takeOver?: boolean;
  /**
   * Limits on what each stream this runtime publishes keeps on JetStream (docs/cluster.md,
   * "Retention"): `maxAgeMs` (milliseconds) and `maxBytes`, positive integers. Applied at every
   * start, to new and existing streams; none (the default) keeps every atom. A reader that was
   * away longer than the limit loses the atoms removed meanwhile, and its log says which.
   */
  readonly retention?: Retention;
}

/** An application of a cluster, or one partition of one, as its directory has it (`ClusterLink.applications`). */
export interface ClusterApplication {
  /** Its path, `/<name>`. */
  readonly app: string;
  /** The runtime that runs it (this partition of it). */
  readonly runtime: string;
  /** `"<index>/<count>"` when it runs partitioned. */
  readonly partition?: string;
  /** Its code version, 16 hex digits (docs/cluster.md, "The directory"); absent when an older runtime wrote the entry. */
  readonly version?: string;
  /** True once its runtime stopped it: its name stays taken. */
  readonly stopped: boolean;
  /** True while its name is only claimed: it is being deployed, and offers nothing yet. */
  readonly deploying: boolean;
  /** The paths of its streams other runtimes may read. */
  readonly streams: readonly string[];
  /** The paths of its portals. */
  readonly portals: readonly string[];
}

/** A runtime's link to its cluster: give it to `Systems.live({ link })`, which closes it when it closes. */
export interface ClusterLink extends SystemLink {
  /** This runtime's name. */
  readonly runtime: string;
  /** Whether this runtime reaches its cluster's NATS server now (and JetStream through it). */
  readonly reachable: boolean;
  /**
   * Per stream this runtime publishes for other runtimes: the atoms appended and not yet
   * acknowledged by JetStream, which grow while the cluster cannot be reached, and why its
   * export stopped for good when it did (`stopped`; its log says so too).
   */
  unpublished(): { readonly stream: string; readonly atoms: number; readonly stopped?: string }[];
  /**
   * Every application of the cluster (and every partition), as this runtime last heard (the
   * directory, docs/cluster.md), by path and then partition.
   */
  applications(): ClusterApplication[];
  /**
   * The runtime that runs the application at path `app` (`/<name>`), as this runtime last heard
   * (the directory, docs/cluster.md); `undefined` when none does, or when a runtime has only
   * claimed the name yet (what it offers is not known: a launch here needing it would be refused).
   */
  runtimeOf(app: string): string | undefined;
  /**
   * The runtimes that run the partitions of application `app` (`/<name>`) when it runs
   * partitioned (docs/cluster.md, "Partitioned applications"), by partition index, as this
   * runtime last heard: `undefined` for a partition not deployed yet; empty when `app` is not
   * partitioned (or unknown).
   */
  partitionsOf(app: string): readonly (string | undefined)[];
  /**
   * Settles once this runtime's claim on its name was decided (docs/cluster.md, "Identity"; the
   * claim starts when the link is given to a live system, whose data directory is the claimant):
   * resolves when it holds the name, and at once when the cluster has not been reached (the name
   * is claimed once it is, and {@link ClusterLink.fenced} says when that fails); rejects with the
   * refusal when another data directory holds the name. A refusal told here is not also written
   * to the log.
   */
  joined(): Promise<void>;
  /**
   * Resolves with why when this process no longer holds its runtime's name (another data directory
   * held it when the cluster was reached, or took it over); by then the link publishes, answers and
   * records nothing more under the name, and the system should be closed. Never settles otherwise.
   * Once a program has read this promise, the loss is told only here; before, it is written to the
   * log (an error), so a program that never asks still hears of it.
   */
  readonly fenced: Promise<Error>;
}

/**
 * Joins the cluster of the NATS server at `options.servers` as runtime `options.runtime`:
 * connects, creates the directory bucket when missing, and loads the directory (first the copy
 * in `options.directoryCopy`). When the server cannot be reached the link is made anyway and
 * connects in the background (a warning says so): applications run here meanwhile. Give the
 * link to `Systems.live({ link })`; closing the system closes it.
 *
 * @throws TypeError for a bad runtime name, server list, replica count or retention limit; Error naming the URL
 *   when the server answers but has no JetStream (in `options.domain`, when given) or fewer
 *   servers than `options.replicas`
 */
export async function joinCluster(options: ClusterOptions): Promise<ClusterLink> {
  if (!isRuntimeName(options.runtime)) {
    throw new TypeError(`joinCluster({ runtime: ${JSON.stringify(options.runtime)} }): a runtime name is 1 to 64 letters, digits, "_" or "-"`);
  }
  const problem = serversProblem(options.servers);
  if (problem !== undefined) throw new TypeError(`joinCluster({ servers: ${JSON.stringify(options.servers)} }): ${problem}`);
  const replicas = options.replicas ?? 1;
  if (!Number.isInteger(replicas) || replicas < 1 || replicas > 5) throw new TypeError(`joinCluster({ replicas: ${replicas} }): JetStream keeps a stream on 1 to 5 servers`);
  for (const [name, value] of Object.entries(options.retention ?? {})) {
    if (value !== undefined && (!Number.isSafeInteger(value) || value < 1)) throw new TypeError(`joinCluster({ retention: { ${name}: ${String(value)} } }): give a positive integer, or leave it out for no limit`);
  }
  const maxAgeMs = options.retention?.maxAgeMs;
  if (maxAgeMs !== undefined && maxAgeMs > MAX_AGE_MS) {
    throw new TypeError(`joinCluster({ retention: { maxAgeMs: ${maxAgeMs} } }): JetStream takes an age of at most ${MAX_AGE_MS} ms (its nanoseconds are a 64-bit integer); leave it out for no limit`);
  }
  const report = (line: string, level: "warn" | "error"): void => (options.log ?? defaultLog)(line, { level, workflow: "", task: "", key: 0 });
  const connection = await ClusterConnection.open(
    { servers: options.servers, name: `portals runtime ${options.runtime}`, domain: options.domain, replicas, retention: options.retention },
    (line) => report(line, "warn"),
  );
  const identity = new RuntimeIdentity(connection, options.runtime, options.takeOver === true, report);
  try {
    return new NatsLink(connection, await Directory.open(connection, () => identity.held(), options.directoryCopy), identity, options.runtime, options.log);
  } catch (thrown) {
    await connection.close();
    throw thrown;
  }
}

/** See the module header. */
class NatsLink implements LiveLink, ClusterLink {
  private system: LinkedSystem | undefined;
  /** The engine the link's parts are in (an upgrade replaces it). */
  private engine: Engine | undefined;
  private exports: StreamExport[] = [];
  /** Tails of this runtime's streams forwarded to other runtimes (`tail-forward.ts`). */
  private readonly tailSenders = new Set<TailSender>();
  /** Directory keys being claimed now, and those of applications deployed by this process: never given back by {@link disown}. */
  private readonly claiming = new Set<string>();
  private readonly deployedKeys = new Set<string>();
  /** Keys {@link disown} gives back, and the timer that tries again while the server does not answer. */
  private readonly disowning = new Set<string>();
  private disownTimer: NodeJS.Timeout | undefined;
  private closed = false;
  /** Portals served here: their paths. */
  private served = new Set<string>();
  /** Sequencers of applications here: their paths. */
  private sequencers = new Set<string>();
  /**
   * Per portal path, the other runtimes whose applications ask it: kept as the directory changes,
   * since every reply export asks after every batch whether to publish. It only grows (an
   * application keeps its name in the cluster, docs/cluster.md, "Not yet").
   */
  private readonly askers = new Map<string, Set<string>>();
  /**
   * Per stream path, the directory keys of the applications of other runtimes that read it
   * (their entries' `reads`): a stream is published while it has one (`cluster/stream-export.ts`).
   * Kept as entries change: an upgrade may stop reading a stream.
   */
  private readonly readers = new Map<string, Set<string>>();
  /** Streams of applications here connected into sequencers of other runtimes: always published. */
  private feedsOut = new Set<string>();
  /** Per partitioned application claimed here, when its partitions start reading (`partitionsStart`). */
  private readonly starts = new Map<string, string>();
  /**
   * The streams of other runtimes read into the engine at their own paths, with the partition
   * whose share each keeps (`undefined`: all of it): every reader of a path here shares its
   * import, so they must keep the same share.
   */
  private imported = new Map<string, Partition | undefined>();

  /** Use {@link joinCluster}. */
  constructor(
    private readonly connection: ClusterConnection,
    private readonly directory: Directory,
    private readonly identity: RuntimeIdentity,
    /** This runtime's name. */
    readonly runtime: string,
    private readonly log: LogWriter | undefined,
  ) {
    for (const entry of directory.all()) {
      this.noteAsks(entry);
      this.noteReads(entry);
    }
    directory.onPut((entry) => {
      this.noteAsks(entry);
      this.noteReads(entry);
      this.asked(entry);
      // Atoms held for a reader (or an asker) go out now.
      if (entry.runtime !== this.runtime) for (const e of this.exports) e.heard();
    });
  }

  attach(system: LinkedSystem): void {
    if (system.dataDir !== undefined) checkRuntimeName(system.dataDir, this.runtime);
    this.system = system;
    this.identity.start(dataDirId(system.dataDir));
    // Asks of this runtime are answered by the process that holds its name, and by no other.
    Promise.all([this.connection.ready(), this.identity.held()])
      .then(([{ nc }]) => {
        const subscription = nc.subscribe(askSubject(this.runtime), { callback: (error, msg) => void (error === null && this.answer(system, msg)) });
        void this.identity.fenced.then((lost) => {
          subscription.unsubscribe();
          // What this process's streams get now is not the cluster's: the tails of other runtimes break.
          for (const sender of this.tailSenders) sender.close(lost.message);
        });
      })
      .catch(() => {}); // closed before the cluster was reached, or the name is not this process's: there is nothing to answer
  }

  joined(): Promise<void> {
    this.identity.listen("decided");
    return this.identity.decided();
  }

  get fenced(): Promise<Error> {
    this.identity.listen("fenced");
    return this.identity.fenced;
  }

  async claim(plans: readonly Plan[]): Promise<Plan[]> {
    const live = this.connection.current;
    if (live === undefined) {
      throw new LiveError("unavailable", `this runtime has not reached the cluster yet, and an application is launched in a cluster only once its name is claimed there; deploy again once it has (the server's log says when NATS cannot be reached)`);
    }
    let timer: NodeJS.Timeout | undefined;
    try {
      // Only the holder of the runtime's name writes under it; its claim is usually made already.
      await Promise.race([this.identity.held(), new Promise((_, reject) => (timer = setTimeout(() => reject(new Unreachable()), HOLD_WAIT_MS)))]);
    } catch (thrown) {
      const why = thrown instanceof Unreachable ? `this runtime has not taken its name ${this.runtime} in the cluster yet (the server's log says why); deploy again once it has` : describe(thrown);
      throw new LiveError("unavailable", why);
    } finally {
      clearTimeout(timer);
    }
    const claimed: Plan[] = [];
    /** Keys whose claim may have been written though the call failed. */
    const uncertain: string[] = [];
    const keys = plans.map((p) => directoryKey(p.app, p.partition));
    for (const key of keys) this.claiming.add(key);
    try {
      for (const plan of plans) {
        const { app, partition } = plan;
        const clash = this.nameClash(plan);
        if (clash !== undefined) throw new ApplicationError(app, [clash]);
        const key = directoryKey(app, partition);
        const since = partition === undefined ? undefined : await this.partitionsStart(live, app, partition);
        const placeholder: DirectoryEntry = {
          app,
          runtime: this.runtime,
          streams: [],
          portals: [],
          asks: [],
          sequencers: [],
          splitters: [],
          feeds: [],
          claim: true,
          ...(partition !== undefined ? { partition, since } : {}),
        };
        try {
          // Made only when no runtime holds the name: of two runtimes claiming it at once, one wins.
          await live.directory.create(key, JSON.stringify(placeholder));
          claimed.push(plan);
        } catch (thrown) {
          // Refused because the key exists, or the server did not answer, when it may still write it.
          uncertain.push(key);
          const owner = entryOf(await live.directory.get(key))?.runtime;
          if (owner === this.runtime) continue;
          if (owner === undefined) throw thrown;
          uncertain.pop();
          throw new ApplicationError(app, [partition === undefined ? takenBy(owner) : partitionTakenBy(partition, owner)]);
        }
      }
    } catch (thrown) {
      await this.release(claimed);
      for (const key of keys) this.claiming.delete(key);
      if (uncertain.length > 0) this.disown(uncertain);
      if (thrown instanceof ApplicationError || thrown instanceof LiveError) throw thrown;
      // A timeout, most likely: the server is hung or away (found by a fresh user's trial, who got "422 timeout").
      throw new LiveError("unavailable", `cannot claim the applications' names in the cluster now (${describe(thrown)}): NATS does not answer; deploy again once it does`);
    }
    for (const key of keys) this.claiming.delete(key);
    return claimed;
  }

  /**
   * Gives back the claims of `keys` that a failed {@link claim} may have left (the server took
   * the write after the call gave up): once the server answers, each that is still this runtime's
   * claim alone, not deployed or being claimed here since, is deleted (at the revision read, so a
   * write since is kept). Tried every second for 5 minutes while the server does not answer.
   */
  private disown(keys: readonly string[]): void {
    for (const key of keys) this.disowning.add(key);
    if (this.disownTimer === undefined) this.disownLater(300, 0);
  }

  /** Tries {@link disown}'s keys after `ms`, and again every second while the server does not answer (`tries` in all). */
  private disownLater(tries: number, ms: number): void {
    this.disownTimer = setTimeout(() => {
      void this.disownNow().then(
        () => (this.disownTimer = undefined),
        () => {
          this.disownTimer = undefined;
          if (tries > 1 && !this.closed) this.disownLater(tries - 1, 1000);
        },
      );
    }, ms).unref();
  }

  private async disownNow(): Promise<void> {
    const live = this.connection.current;
    if (live === undefined || !this.connection.reachable || this.identity.lost !== undefined) throw new Unreachable();
    for (const key of [...this.disowning]) {
      if (!this.claiming.has(key) && !this.deployedKeys.has(key)) {
        const got = await live.directory.get(key);
        const entry = entryOf(got);
        if (got !== null && entry?.runtime === this.runtime && entry.claim === true) await live.directory.delete(key, { previousSeq: got.revision });
      }
      this.disowning.delete(key);
    }
  }

  /**
   * When the partitions of `app` start reading (docs/cluster.md, "Partitioned applications"): the
   * `since` of the others already in the bucket (read there, not from the watch, which may not
   * have them yet), or now for the first; noted for the deployment that follows the claim.
   */
  private async partitionsStart(live: Connected, app: string, partition: Partition): Promise<string> {
    const starts: string[] = [];
    for (let index = 0; index < partition.count; index++) {
      const since = entryOf(await live.directory.get(directoryKey(app, { index })))?.since;
      if (typeof since === "string" && !Number.isNaN(Date.parse(since))) starts.push(since);
    }
    const since = starts.sort()[0] ?? new Date().toISOString();
    this.starts.set(app, since);
    return since;
  }

  async release(plans: readonly Plan[]): Promise<void> {
    const live = this.connection.current;
    if (live === undefined || this.identity.lost !== undefined) return;
    for (const { app, partition } of plans) await live.directory.delete(directoryKey(app, partition)).catch(() => {});
  }

  /**
   * Why `plan` cannot run here as the directory stands, by its name: another runtime runs an
   * application of the name, runs it partitioned while `plan` is not (or the other way round), or
   * runs it with another partition count; `undefined` when nothing clashes.
   */
  private nameClash(plan: Plan): string | undefined {
    const whole = this.directory.find(plan.app);
    const parts = this.directory.partitionsOf(plan.app);
    if (plan.partition === undefined) {
      if (whole !== undefined && whole.runtime !== this.runtime) return takenBy(whole.runtime);
      if (parts.length === 0) return undefined;
      return `it runs as ${parts[0]!.partition!.count} partitions (${parts.map((e) => `${showPartition(e.partition!)} on ${e.runtime}`).join(", ")}); deploy it as a partition, or give this one another name`;
    }
    if (whole !== undefined) return `runtime ${whole.runtime} runs an application of this name that is not partitioned; give this one another name`;
    const other = parts.find((e) => e.partition!.count !== plan.partition!.count);
    if (other !== undefined) return `it runs as ${other.partition!.count} partitions, and this is partition ${showPartition(plan.partition)}; deploy partitions of ${other.partition!.count} (a snapshot restores only into the partition count it was taken with)`;
    const same = this.directory.findPartition(plan.app, plan.partition);
    if (same !== undefined && same.runtime !== this.runtime) return partitionTakenBy(plan.partition, same.runtime);
    return undefined;
  }

  forwardAsk(portal: string, request: unknown, options: AskOptions): Promise<unknown> | undefined {
    const timeoutMs = options.timeoutMs ?? FORWARD_TIMEOUT_MS;
    return this.forward("ask", ownerOf(portal), { portal, request, timeoutMs, ...(options.idempotencyKey !== undefined ? { idempotencyKey: options.idempotencyKey } : {}) }, timeoutMs);
  }

  forwardSend(generator: string, events: readonly unknown[], options: SendOptions): Promise<Receipt> | undefined {
    const body = { send: generator, events, ...(options.idempotencyKey !== undefined ? { idempotencyKey: options.idempotencyKey } : {}) };
    return this.forward("send", ownerOf(generator), body, FORWARD_TIMEOUT_MS) as Promise<Receipt> | undefined;
  }

  forwardTail(stream: string, listener: TailListener, broken: (error: LiveError) => void): Promise<() => void> | undefined {
    const app = ownerOf(stream);
    const parts = this.directory.partitionsOf(app);
    const owner = this.remoteOwner(app);
    if (owner !== undefined) return this.tailThere(owner.runtime, stream, listener, (reason) => broken(new LiveError("unavailable", reason)));
    // A partitioned application: every partition's tail, on its runtime (this one's here).
    if (parts.length === 0) return undefined;
    const count = parts[0]!.partition!.count;
    // Also when this runtime runs the others: its own partition alone is not the stream (found by a fresh user's trial).
    const missing = Array.from({ length: count }, (_, i) => i).filter((i) => !parts.some((p) => p.partition!.index === i && p.claim !== true));
    if (missing.length > 0) {
      return Promise.reject(new LiveError("unavailable", `${app} runs as ${count} partitions, and partition${missing.length > 1 ? "s" : ""} ${missing.map((i) => `${i}/${count}`).join(", ")} ${missing.length > 1 ? "are" : "is"} not deployed: a tail shows every partition's events; tail again once they are`));
    }
    if (parts.every((p) => p.runtime === this.runtime)) return undefined;
    const tails: TailPart[] = parts.map((p) =>
      p.runtime === this.runtime
        ? async (partListener) => {
            // Async: a refusal here rejects like a forwarded part's, so the parts begun already are stopped.
            if (this.system === undefined) throw new Error("internal: the cluster link is not attached to a live system");
            return this.system.tail(stream, partListener);
          }
        : (partListener, partBroken) => this.tailThere(p.runtime, stream, partListener, partBroken),
    );
    return joinTails(tails, listener, (reason) => broken(new LiveError("unavailable", reason)));
  }

  /** Tails `stream` on runtime `runtime`, which runs its application (or a partition of it): see `tail-forward.ts`. */
  private tailThere(runtime: string, stream: string, listener: TailListener, broken: (reason: string) => void): Promise<() => void> {
    const receiver = new TailReceiver(runtime, listener, broken);
    // Listening before the owner is asked: its first batch may come right after its answer.
    const nc = this.connection.current?.nc;
    if (nc !== undefined) receiver.listen(nc);
    return this.forwardTo("tail", ownerOf(stream), runtime, { tail: stream, inbox: receiver.inbox }, FORWARD_TIMEOUT_MS).then(
      () => {
        receiver.begun();
        return () => receiver.stop();
      },
      (thrown: unknown) => {
        receiver.stop();
        throw thrown;
      },
    );
  }

  /** {@link forwardTo} the runtime that runs `app`; `undefined` when no other runtime runs it. */
  private forward(verb: "ask" | "send", app: string, message: object, timeoutMs: number): Promise<unknown> | undefined {
    const owner = this.remoteOwner(app);
    return owner === undefined ? undefined : this.forwardTo(verb, app, owner.runtime, message, timeoutMs);
  }

  /**
   * Calls runtime `runtime`, which runs `app` (or a partition of it), with core NATS request on
   * its ask subject, `message` as JSON (it answers within `timeoutMs`), and resolves with its
   * answer, or rejects with its error.
   */
  private forwardTo(verb: "ask" | "send" | "tail", app: string, runtime: string, message: object, timeoutMs: number): Promise<unknown> {
    const lost = this.identity.lost;
    if (lost !== undefined) return Promise.reject(new LiveError("unavailable", `${app} runs on runtime ${runtime}, and this process ${verb}s nothing of the cluster any more: ${lost.message}`));
    const body = JSON.stringify(message);
    // Larger than NATS takes in one message, it would fail at every retry.
    const size = Buffer.byteLength(body);
    const limit = this.connection.current?.nc.info?.max_payload;
    if (limit !== undefined && size > limit) {
      const what = verb === "ask" ? "the request" : "the events";
      return Promise.reject(new LiveError("bad-request", `${what} and ${verb === "ask" ? "its" : "their"} options take ${size} bytes as JSON, more than this cluster's NATS server takes in one message (max_payload, ${limit} bytes), so they cannot be forwarded to runtime ${runtime}, which runs ${app}: ${verb} to that runtime directly, or ${verb === "ask" ? "ask with less" : "send fewer at once"}`));
    }
    return (async () => {
      let answer: { reply?: unknown; error?: { code: LiveErrorCode; message: string } };
      try {
        // The other runtime answers within timeoutMs (with a timeout error at worst): a little more for the trip.
        const live = this.connection.current;
        if (live === undefined || !this.connection.reachable) throw new Unreachable();
        answer = (await live.nc.request(askSubject(runtime), body, { timeout: timeoutMs + 2000 })).json();
      } catch (thrown) {
        if (thrown instanceof Unreachable) {
          throw new LiveError("unavailable", `${app} runs on runtime ${runtime}, and this runtime cannot reach the cluster's NATS server now; ${verb} again once it can (the server's log says when it cannot)`);
        }
        const code = (thrown as { code?: string }).code;
        // Nobody took the call: the runtime is down, or cut off from the cluster (an edge runtime whose link is down).
        if (code === "503" || /no responders/i.test(String(thrown))) {
          throw new LiveError("unavailable", `runtime ${runtime}, which runs ${app}, is not running or cannot be reached from the cluster now; ${verb} again once it can`);
        }
        // Taken and not answered in time (or the answer was lost): a send may have been taken.
        const again = verb !== "send" ? `${verb} again once it runs` : "the send may have been taken: send it again with the same idempotency key, which takes it once (without a key it may be taken twice)";
        throw new LiveError("unavailable", `runtime ${runtime}, which runs ${app}, did not answer (${describe(thrown)}); ${again}`);
      }
      if (answer.error !== undefined) {
        // Not found there: said with where it was looked for (this runtime forwarded it).
        const where = answer.error.code === "not-found" ? ` (looked for on runtime ${runtime}, which runs ${app})` : "";
        throw new LiveError(answer.error.code, answer.error.message + where);
      }
      return answer.reply;
    })();
  }

  /** Answers an ask or a send forwarded by another runtime (`forward`) with this system's answer or error. */
  private async answer(system: LinkedSystem, msg: Msg): Promise<void> {
    let call: { portal: string; request: unknown; timeoutMs: number; send?: string; events?: unknown[]; idempotencyKey?: string; tail?: string; inbox?: string };
    try {
      call = msg.json();
    } catch (thrown) {
      msg.respond(JSON.stringify({ error: { code: "bad-request", message: `a forwarded call could not be read: ${describe(thrown)}` } }));
      return;
    }
    if (typeof call.tail === "string" && typeof call.inbox === "string") {
      this.serveTail(system, msg, call.tail, call.inbox);
      return;
    }
    let reply: string;
    try {
      const key = call.idempotencyKey !== undefined ? { idempotencyKey: call.idempotencyKey } : {};
      const answer = call.send !== undefined ? await system.send(call.send, call.events!, key) : await system.ask(call.portal, call.request, { timeoutMs: call.timeoutMs, ...key });
      try {
        reply = JSON.stringify({ reply: answer });
      } catch (thrown) {
        reply = JSON.stringify({ error: { code: "replier", message: `the reply of ${call.portal} cannot travel as JSON to another runtime: ${describe(thrown)}` } });
      }
    } catch (thrown) {
      const error = thrown instanceof LiveError ? { code: thrown.code, message: thrown.message } : { code: "failed", message: describe(thrown) };
      reply = JSON.stringify({ error });
    }
    msg.respond(reply);
  }

  /** Begins a tail of `stream` that another runtime forwarded (`forwardTail`), sending its events to `inbox`; answers once it has begun, or with the error. */
  private serveTail(system: LinkedSystem, msg: Msg, stream: string, inbox: string): void {
    const nc = this.connection.current?.nc;
    if (nc === undefined) return; // The call came on a connection that is gone: the forwarder times out.
    const sender = new TailSender(nc, inbox, this.runtime, (s) => this.tailSenders.delete(s));
    try {
      sender.stopTail = system.tail(stream, sender.listener);
    } catch (thrown) {
      sender.stop();
      const error = thrown instanceof LiveError ? { code: thrown.code, message: thrown.message } : { code: "failed", message: describe(thrown) };
      msg.respond(JSON.stringify({ error }));
      return;
    }
    this.tailSenders.add(sender);
    msg.respond(JSON.stringify({ reply: true }));
  }

  check(engine: Engine, plans: readonly Plan[]): { provides: ReadonlySet<string>; problems: string[] } {
    const provides = new Set<string>();
    const problems: string[] = [];
    const here = new Set(plans.map((p) => p.app));
    for (const plan of plans) {
      // The error names the application when it is the only one (checkLaunches does the same).
      const named = (problem: string): string => (plans.length > 1 ? `${plan.app}: ${problem}` : problem);
      const clash = this.nameClash(plan);
      if (clash !== undefined) problems.push(named(clash));
      problems.push(...partitionProblems(plan).map(named));
      for (const r of plan.requires) {
        const owner = ownerOf(r.path);
        if (this.imported.has(r.path)) {
          const [kept, wanted] = [partitionPhrase(this.imported.get(r.path), "every key"), partitionPhrase(plan.partition, "every key")];
          if (kept !== wanted) {
            problems.push(`${r.neededBy} needs ${r.what}, which this runtime already reads for ${kept} of another application; a runtime reads a stream of another with one share of its keys: launch this one, which takes ${wanted}, on another runtime`);
          }
          continue;
        }
        const partitions = this.directory.partitionsOf(owner);
        if (partitions.length > 0 && !here.has(owner)) {
          provides.add(r.path);
          const problem = partitionedProblem(partitions, r, this.runtime);
          if (problem !== undefined) problems.push(problem);
          continue;
        }
        const local = engine.registry.find(r.path) !== undefined || here.has(owner);
        const launchedAsPartition = plans.find((p) => p.app === owner)?.partition;
        if (local && launchedAsPartition !== undefined) {
          problems.push(`${r.neededBy} needs ${r.what} of every partition of application ${owner}, which is launched here as partition ${showPartition(launchedAsPartition)}; read it on a runtime that runs none of its partitions`);
        } else if (local && plan.partition !== undefined) {
          // Only an import keeps a partition's share of the events: a local stream would bring them all.
          problems.push(`${r.neededBy} needs ${r.what}, which runs on this runtime: as partition ${showPartition(plan.partition)}, the application takes its share of the streams of other runtimes only; run ${owner} on another runtime`);
        }
        if (local) continue;
        const remote = this.remoteOwner(owner);
        if (remote === undefined) continue; // the engine's check names it
        // Answered here, added or explained: the engine's check need not report it again.
        provides.add(r.path);
        if (remotePart(remote, r.kind, r.path) === undefined) {
          const portal = r.what.startsWith("portal ");
          problems.push(`${r.neededBy} needs ${r.what}, which application ${owner} on runtime ${remote.runtime} does not ${portal ? "serve" : "have"}`);
        }
      }
    }
    // A portal is two requirements (its request sequencer and reply splitter): one message.
    return { provides, problems: [...new Set(problems)] };
  }

  deploying(engine: Engine, plan: Plan): void {
    this.use(engine);
    // A partition takes its share of the events it reads; replies and requests are all its own.
    const partition = plan.partition;
    const since = partition === undefined ? undefined : this.partitionSince(plan.app);
    for (const r of plan.requires) {
      if (engine.registry.find(r.path) !== undefined) continue;
      const partitions = this.directory.partitionsOf(ownerOf(r.path));
      if (partitions.length > 0) {
        if (r.kind === "stream") this.mergePartitions(engine, r.path, partitions, partition);
        continue; // anything else, the check refused
      }
      const remote = this.remoteOwner(ownerOf(r.path));
      const part = remote === undefined ? undefined : remotePart(remote, r.kind, r.path);
      if (part === undefined) continue; // the deployment names it
      if (part.kind === "stream") {
        this.importStream(engine, r.path, { stream: r.path, producer: remote!.runtime, partition, since });
      } else if (part.kind === "requests") {
        // The asker's side of a remote portal: its requests gather here and go to the replier's runtime.
        const stream = new AtomicStream(`${r.path}/stream`);
        engine.registry.add(stream.path, { kind: "stream", stream });
        this.addSequencer(engine, r.path, stream);
        this.exports.push(this.exportOf(engine, stream));
      } else if (part.kind === "replies") {
        // Replies to every asker come from the replier's runtime; the asker's split keeps its own.
        const since = new Date(Date.now() - CLOCK_SLACK_MS).toISOString();
        // Never held (docs/cluster.md, "Backpressure"): replies only resume parked continuations, and
        // holding them kept the remote portal's asker waiting (102 k requests/s against 117-120 k).
        this.addSplitter(engine, r.path, this.importStream(engine, part.replies, { stream: part.replies, producer: remote!.runtime, since }, false), true);
      } else if (part.kind === "sequencer") {
        // Streams connected here reach the sequencer's runtime through their own exports (a feed in
        // the directory); the local stand-in reads them so they do not pile up, and drops them.
        this.addSequencer(engine, r.path, new AtomicStream(`${r.path}/stream`));
      } else {
        const source = engine.registry.find(part.source)?.kind === "stream" ? engine.registry.get(part.source, "stream").stream : this.importSource(engine, part.source, partition, since);
        if (source === undefined) continue; // the deployment names it
        this.addSplitter(engine, r.path, source, false);
      }
    }
  }

  deployed(engine: Engine, plan: Plan): void {
    this.use(engine);
    if (plan.app.startsWith(`/${SYSTEM_APP_PREFIX}`)) return; // a gateway: this runtime's own
    this.deployedKeys.add(directoryKey(plan.app, plan.partition));
    const streams = plan.streams.map((s) => s.path).filter((path) => PATH_SHAPES.stream.test(path));
    const sequencers = plan.sequencers.filter((q) => !q.internal).map((q) => q.path);
    for (const q of sequencers) this.sequencers.add(q);
    const launched = new Date().toISOString();
    const feeds = plan.connections.filter((c) => !c.internal && !c.sequencer.startsWith(`${plan.app}/`)).map((c) => ({ sequencer: c.sequencer, stream: c.stream, since: launched }));
    for (const f of feeds) if (!this.sequencers.has(f.sequencer)) this.feedsOut.add(f.stream);
    for (const path of streams) this.exports.push(this.exportOf(engine, engine.registry.get(path, "stream").stream, () => this.readers.has(path) || this.feedsOut.has(path)));
    const portals: DirectoryPortal[] = [];
    for (const w of plan.workflows) {
      for (const portal of w.portals?.serves.keys() ?? []) {
        const replies = `${w.path}/portal-router/replies${portal}/stream`;
        portals.push({ path: portal, replies });
        this.served.add(portal);
        // Published only while another runtime asks the portal.
        this.exports.push(this.exportOf(engine, engine.registry.get(replies, "stream").stream, () => this.askers.has(portal)));
        for (const asker of this.askersOf(portal)) this.importRequests(engine, portal, asker);
      }
    }
    const asks = [...new Set(plan.requires.filter((r) => r.kind === "sequencer" && r.what.startsWith("portal ")).map((r) => r.path.slice(0, -REQUESTS.length)))];
    for (const entry of this.directory.all()) if (entry.runtime !== this.runtime) for (const f of entry.feeds) this.importFeed(engine, f, entry.runtime);
    const splitters = plan.splitters.filter((q) => !q.internal).map((q) => ({ path: q.path, source: q.source }));
    const reads = this.readsOf(plan);
    const partition = plan.partition;
    // A partition's sequencers and splitters hold a share of the keys: not offered to others (yet).
    const before = partition === undefined ? this.directory.find(plan.app) : this.directory.findPartition(plan.app, partition);
    const version = codeVersion(plan);
    const entry = partition === undefined
      ? { app: plan.app, runtime: this.runtime, streams, portals, asks, sequencers, splitters, feeds, reads, version }
      : { app: plan.app, runtime: this.runtime, streams, portals, asks, sequencers: [], splitters: [], feeds, reads, version, partition, since: before?.since ?? this.partitionSince(plan.app) ?? launched };
    this.directory.put(before?.runtime === this.runtime ? keepSince(entry, before) : entry).catch((thrown: unknown) => {
      if (thrown instanceof Fenced) return; // said once, by the identity
      this.logOf(engine)(`cannot record ${plan.app} in the cluster's directory: ${describe(thrown)}`, { level: "error", workflow: "", task: "", key: 0 });
    });
  }

  stopped(engine: Engine, plan: Plan): void {
    const entry = plan.partition === undefined ? this.directory.find(plan.app) : this.directory.findPartition(plan.app, plan.partition);
    if (entry === undefined || entry.runtime !== this.runtime || ((entry.reads ?? []).length === 0 && entry.stopped === true)) return;
    // Its producers stop publishing for it (their atoms are held, then dropped); its name stays taken.
    this.directory.put({ ...entry, reads: [], stopped: true }).catch((thrown: unknown) => {
      if (thrown instanceof Fenced) return; // said once, by the identity
      this.logOf(engine)(`cannot record in the cluster's directory that ${plan.app} stopped: ${describe(thrown)}`, { level: "error", workflow: "", task: "", key: 0 });
    });
  }

  applications(): ClusterApplication[] {
    const order = (e: DirectoryEntry): string => `${e.app}\0${String(e.partition?.index ?? 0).padStart(6, "0")}`;
    return [...this.directory.all()]
      .sort((a, b) => (order(a) < order(b) ? -1 : order(a) > order(b) ? 1 : 0))
      .map((e) => ({
        app: e.app,
        runtime: e.runtime,
        ...(e.partition !== undefined ? { partition: showPartition(e.partition) } : {}),
        ...(e.version !== undefined ? { version: e.version } : {}),
        stopped: e.stopped === true,
        deploying: e.claim === true,
        streams: e.streams,
        portals: e.portals.map((p) => p.path),
      }));
  }

  get reachable(): boolean {
    return this.connection.reachable;
  }

  unpublished(): { stream: string; atoms: number; stopped?: string }[] {
    return this.exports.map((e) => ({ stream: e.path, atoms: e.unpublished, ...(e.failure !== undefined ? { stopped: e.failure } : {}) }));
  }

  askersElsewhere(app: string): string[] {
    const askers = [...this.directory.all()].filter((e) => e.runtime !== this.runtime && e.stopped !== true && e.claim !== true && e.asks.some((portal) => ownerOf(portal) === app));
    return [...new Set(askers.map((e) => `${e.app.slice(1)}${e.partition !== undefined ? ` (partition ${showPartition(e.partition)})` : ""} on runtime ${e.runtime}`))];
  }

  runtimeOf(app: string): string | undefined {
    const entry = this.directory.find(app);
    return entry?.claim === true ? undefined : entry?.runtime;
  }

  partitionsOf(app: string): readonly (string | undefined)[] {
    const entries = this.directory.partitionsOf(app);
    if (entries.length === 0) return [];
    const runtimes = new Array<string | undefined>(entries[0]!.partition!.count).fill(undefined);
    for (const e of entries) if (e.claim !== true && e.partition!.index < runtimes.length) runtimes[e.partition!.index] = e.runtime;
    return runtimes;
  }

  waiting(): boolean {
    return this.exports.some((e) => e.waiting);
  }

  checkpointTaken(): () => void {
    const ends = this.exports.map((e) => [e, e.take()] as const);
    return () => {
      for (const [e, end] of ends) e.release(end);
    };
  }

  async close(): Promise<void> {
    this.closed = true;
    clearTimeout(this.disownTimer);
    for (const sender of this.tailSenders) sender.close(`runtime ${this.runtime} is closing`);
    // First: an export or a directory write waiting for the name is let go, and ends.
    this.directory.close();
    this.identity.close();
    await Promise.all(this.exports.map((e) => e.close()));
    await this.connection.close();
  }

  /** Starts over with the parts of `engine` when it is not the one the link served (an upgrade's new engine). */
  private use(engine: Engine): void {
    if (engine === this.engine) return;
    for (const e of this.exports) void e.close();
    this.exports = [];
    this.served = new Set();
    this.sequencers = new Set();
    this.feedsOut = new Set();
    this.imported = new Map();
    this.engine = engine;
  }

  /** The stream `path` of another runtime (a remote splitter's source), imported; `undefined` when no runtime has it. */
  private importSource(engine: Engine, path: string, partition: Partition | undefined, since: string | undefined): AtomicStream | undefined {
    const owner = this.remoteOwner(ownerOf(path));
    return owner === undefined || !owner.streams.includes(path) ? undefined : this.importStream(engine, path, { stream: path, producer: owner.runtime, partition, since });
  }

  /** When the partitions of `app` start reading: as the claim found, else as the directory has it; `undefined` (now) for the first. */
  private partitionSince(app: string): string | undefined {
    return this.starts.get(app) ?? this.directory.partitionsOf(app).map((e) => e.since).filter((s): s is string => s !== undefined).sort()[0];
  }

  /**
   * The stream `path` of a partitioned application (`partitions`: its entries, every partition
   * deployed), as one stream of `engine`: an import of each partition's stream into a sequencer
   * whose output is at `path` (docs/cluster.md, "Partitioned applications"). With `partition`,
   * each import takes only the events of that partition of the reader.
   */
  private mergePartitions(engine: Engine, path: string, partitions: readonly DirectoryEntry[], partition: Partition | undefined): void {
    const out = new AtomicStream(path);
    engine.registry.add(path, { kind: "stream", stream: out });
    this.imported.set(path, partition);
    const merge = `${path}/partitions`;
    this.addSequencer(engine, merge, out);
    const sequencer = engine.registry.get(merge, "sequencer").sequencer;
    for (const e of partitions) {
      sequencer.connect(this.importStream(engine, `${merge}/${e.partition!.index}`, { stream: path, producer: e.runtime, partition }), false);
    }
  }

  /**
   * A stream at `path` in `engine`, fed by an import of the atoms `from` names; held with the
   * engine's other sources while an export is behind, unless `held` is false.
   */
  private importStream(engine: Engine, path: string, from: { stream: string; producer: string; since?: string | undefined; partition?: Partition | undefined }, held = true): AtomicStream {
    const stream = new AtomicStream(path);
    const log = this.logOf(engine);
    const g = new GeneratorComponent(path, (clock) => new StreamImport(path, from, this.connection, this.codec, clock, log), stream, (c) => engine.clockFor(c), held ? engine.sourceHold : undefined);
    engine.registry.add(path, { kind: "stream", stream });
    if (path === from.stream) this.imported.set(path, from.partition);
    engine.generators.set(g.path, g);
    engine.add(g);
    return stream;
  }

  private exportOf(engine: Engine, stream: AtomicStream, publishes?: () => boolean): StreamExport {
    return new StreamExport(stream, this.runtime, this.connection, this.identity, this.codec, this.logOf(engine), () => this.system?.wake(), publishes, engine.sourceHold);
  }

  /** Connects the requests runtime `asker` sends to portal `portal` (served here) into the portal's request sequencer. */
  private importRequests(engine: Engine, portal: string, asker: string): void {
    const path = requestsFrom(portal, asker);
    if (engine.registry.find(path) !== undefined) return;
    // Every request the asker ever sent: none may be missed, whenever this runtime heard of it.
    const stream = this.importStream(engine, path, { stream: `${portal}${REQUESTS}/stream`, producer: asker, since: new Date(0).toISOString() });
    engine.registry.get(`${portal}${REQUESTS}`, "sequencer").sequencer.connect(stream, true);
  }

  /** A directory entry was put: what it asks of the portals and sequencers here is read from now on. */
  private asked(entry: DirectoryEntry): void {
    const engine = this.engine;
    if (engine === undefined || entry.runtime === this.runtime) return;
    const served = entry.asks.filter((p) => this.served.has(p));
    for (const portal of served) this.importRequests(engine, portal, entry.runtime);
    const feeds = entry.feeds.filter((f) => this.sequencers.has(f.sequencer));
    for (const f of feeds) this.importFeed(engine, f, entry.runtime);
    if (served.length + feeds.length > 0) this.system?.wake();
  }

  /** Connects stream `feed.stream` of runtime `runtime` into sequencer `feed.sequencer` here, from `feed.since` on. */
  private importFeed(engine: Engine, feed: DirectoryFeed, runtime: string): void {
    if (!this.sequencers.has(feed.sequencer)) return;
    const path = `${feed.sequencer}/from/${runtime}${feed.stream}`;
    if (engine.registry.find(path) !== undefined) return;
    const stream = this.importStream(engine, path, { stream: feed.stream, producer: runtime, since: feed.since });
    engine.registry.get(feed.sequencer, "sequencer").sequencer.connect(stream, false);
  }

  private addSequencer(engine: Engine, path: string, out: AtomicStream): void {
    const sequencer = new SequencerComponent(path, out, undefined, engine.random, engine.schedule);
    engine.registry.add(path, { kind: "sequencer", sequencer });
    engine.add(sequencer);
  }

  private addSplitter(engine: Engine, path: string, source: AtomicStream, internal: boolean): void {
    const splitter = new SplitterComponent(path, source, internal, engine.log, engine.schedule);
    engine.registry.add(path, { kind: "splitter", splitter });
    engine.add(splitter);
  }

  /** Other runtimes whose applications ask `portal`, by name. */
  private askersOf(portal: string): string[] {
    return [...(this.askers.get(portal) ?? [])].sort();
  }

  /**
   * The streams of other runtimes' applications `plan` reads: those it needs by path, and the
   * sources of the splitters of other runtimes it adds splits to.
   */
  private readsOf(plan: Plan): string[] {
    const reads = new Set<string>();
    for (const r of plan.requires) {
      const app = ownerOf(r.path);
      if (r.kind === "stream" && (this.remoteOwner(app) !== undefined || this.directory.partitionsOf(app).length > 0)) reads.add(r.path);
      if (r.kind !== "splitter") continue;
      const source = this.remoteOwner(app)?.splitters.find((q) => q.path === r.path)?.source;
      if (source !== undefined) reads.add(source);
    }
    return [...reads].sort();
  }

  /** Notes which streams of this runtime the applications of `entry` read, when another runtime runs them (and no longer reads what they stopped reading). */
  private noteReads(entry: DirectoryEntry): void {
    if (entry.runtime === this.runtime) return;
    const key = directoryKey(entry.app, entry.partition);
    const reads = new Set(entry.reads ?? []);
    for (const [path, keys] of this.readers) {
      if (reads.has(path) || !keys.delete(key)) continue;
      if (keys.size === 0) this.readers.delete(path);
    }
    for (const path of reads) {
      let keys = this.readers.get(path);
      if (keys === undefined) this.readers.set(path, (keys = new Set()));
      keys.add(key);
    }
  }

  /** Notes which portals the applications of `entry` ask, when another runtime runs them. */
  private noteAsks(entry: DirectoryEntry): void {
    if (entry.runtime === this.runtime) return;
    for (const portal of entry.asks) {
      let runtimes = this.askers.get(portal);
      if (runtimes === undefined) this.askers.set(portal, (runtimes = new Set()));
      runtimes.add(entry.runtime);
    }
  }

  /** The directory entry of application `app` when another runtime runs it (not only claimed its name). */
  private remoteOwner(app: string): DirectoryEntry | undefined {
    const entry = this.directory.find(app);
    return entry === undefined || entry.runtime === this.runtime || entry.claim === true ? undefined : entry;
  }

  private readonly codec = (): Codec => {
    if (this.system === undefined) throw new Error("internal: the cluster link is not attached to a live system");
    return this.system.codec();
  };

  private logOf(engine: Engine): LogWriter {
    return this.log ?? engine.log;
  }
}

/** This runtime cannot reach its NATS server now, or has not taken its name there (for the message of an ask or a claim). */
class Unreachable extends Error {}

/** How long a claim of application names waits for this runtime's claim on its own name, in milliseconds. */
const HOLD_WAIT_MS = 5000;
/**
 * How long a forwarded ask waits by default (as `LiveSystem.ask` does), and a forwarded send for
 * its receipt (the other runtime answers once a checkpoint stores the atom, within one checkpoint
 * interval when it is well), in milliseconds.
 */
const FORWARD_TIMEOUT_MS = 10_000;
/** The path suffix of a portal's request sequencer (`graph/expand.ts`). */
const REQUESTS = "/requests";
/** How far before its launch an asker reads a replier's replies: clocks of machines differ. */
const CLOCK_SLACK_MS = 60_000;

/** What the path `path` of kind `kind` that an application needs is in `entry`, or `undefined` when `entry` does not have it. */
function remotePart(entry: DirectoryEntry, kind: PlanRequirement["kind"], path: string): RemotePart | undefined {
  if (kind === "stream") return entry.streams.includes(path) ? { kind: "stream" } : undefined;
  const portal = entry.portals.find((p) => path === `${p.path}${kind === "sequencer" ? REQUESTS : "/replies"}`);
  if (portal !== undefined) return kind === "sequencer" ? { kind: "requests" } : { kind: "replies", replies: portal.replies };
  if (kind === "sequencer") return entry.sequencers.includes(path) ? { kind: "sequencer" } : undefined;
  const splitter = entry.splitters.find((q) => q.path === path);
  return splitter === undefined ? undefined : { kind: "splitter", source: splitter.source };
}

/** A part of another runtime's application, as the runtime that needs it makes its stand-in. */
type RemotePart = { kind: "stream" } | { kind: "requests" } | { kind: "replies"; replies: string } | { kind: "sequencer" } | { kind: "splitter"; source: string };

/** `entry` with the launch times of the feeds `before` had: a restart does not move where a sequencer takes a stream from. */
function keepSince(entry: DirectoryEntry, before: DirectoryEntry): DirectoryEntry {
  const since = (f: DirectoryFeed): string => before.feeds.find((b) => b.sequencer === f.sequencer && b.stream === f.stream)?.since ?? f.since;
  return { ...entry, feeds: entry.feeds.map((f) => ({ ...f, since: since(f) })) };
}

/** The application path (`/<name>`) a path belongs to. */
function ownerOf(path: string): string {
  return `/${path.split("/")[1]}`;
}

/** The message of a name another runtime holds. */
function takenBy(runtime: string): string {
  return `runtime ${runtime} of the cluster has an application of this name (running or stopped: a cluster does not give names back yet, docs/cluster.md); give this one another name`;
}

/** The message of a partition another runtime runs. */
function partitionTakenBy(partition: Partition, runtime: string): string {
  return `partition ${showPartition(partition)} of it runs on runtime ${runtime}; deploy another partition here, or this one elsewhere`;
}

/**
 * Why requirement `r` of a runtime named `runtime` cannot be met by the partitioned application
 * whose partitions are `partitions` (as this runtime heard of them), or `undefined` when it can:
 * its streams are read from every partition, once all are deployed, by a runtime that runs none.
 */
function partitionedProblem(partitions: readonly DirectoryEntry[], r: PlanRequirement, runtime: string): string | undefined {
  const count = partitions[0]!.partition!.count;
  const app = ownerOf(r.path);
  if (r.kind !== "stream") return `${r.neededBy} needs ${r.what}, and application ${app} runs as ${count} partitions, whose sequencers, splitters and portals other applications cannot use yet (docs/cluster.md, "Partitioned applications")`;
  const here = partitions.find((e) => e.runtime === runtime);
  if (here !== undefined) return `${r.neededBy} needs ${r.what} of all ${count} partitions of application ${app}, and this runtime runs partition ${showPartition(here.partition!)} of it; read it on a runtime that runs none of them`;
  const deployed = new Set(partitions.filter((e) => e.claim !== true && e.partition!.count === count).map((e) => e.partition!.index));
  const missing = Array.from({ length: count }, (_, i) => i).filter((i) => !deployed.has(i));
  if (missing.length > 0) return `${r.neededBy} needs ${r.what} of all ${count} partitions of application ${app}, and partition${missing.length === 1 ? "" : "s"} ${missing.map((i) => `${i}/${count}`).join(", ")} ${missing.length === 1 ? "is" : "are"} not deployed yet (as this runtime heard); deploy ${missing.length === 1 ? "it" : "them"} first`;
  if (!partitions.some((e) => e.streams.includes(r.path))) return `${r.neededBy} needs ${r.what}, which application ${app} does not have`;
  return undefined;
}

/** What a directory key holds, or `undefined` when nothing: a name given back leaves a delete marker, which `get` returns. */
function entryOf(held: KvEntry | null): Partial<DirectoryEntry> | undefined {
  if (held === null || held.operation !== "PUT") return undefined;
  try {
    return JSON.parse(held.string()) as Partial<DirectoryEntry>;
  } catch {
    return undefined; // not written by a runtime
  }
}
