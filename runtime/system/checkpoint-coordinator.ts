/**
 * The checkpoint coordinator of one system: takes snapshots of the engine between steps, stores
 * them, commits the transactional sinks' output once the snapshot that covers it is stored, and
 * restores a fresh system from a snapshot or from the newest readable one in its store
 * (docs/snapshots.md). Without a store, sink output is committed after every step.
 */
import { describe } from "../core/errors.js";
import type { LogWriter } from "../core/log.js";
import type { Engine } from "../engine/engine.js";
import type { WorkflowState } from "../engine/components/workflow-executor.js";
import type { Plan } from "../graph/plan.js";
import type { Codec } from "../state/codec.js";
import { SnapshotError, unframeSnapshot } from "../state/snapshot-format.js";
import type { SnapshotStore } from "../state/snapshot-store.js";
import { checkManifest, manifestOf } from "./manifest.js";
import { decodePayload, decodeSnapshot, encodeSnapshot, resolveChain, type SnapshotData } from "./snapshot.js";

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
  /**
   * Also take a full snapshot as soon as the deltas since the last full one add up to
   * `deltaRatio` times its size and to at least 4 MiB (a positive number; default: no such
   * limit). Bounds what a restore reads to (1 + deltaRatio) times the state plus 4 MiB,
   * whatever the checkpoint rate, while a small state is not written whole every few
   * checkpoints.
   */
  readonly deltaRatio?: number;
}

const DEFAULT_FULL_EVERY = 10;
/** Deltas a chain may hold before `deltaRatio` asks for a full snapshot, in bytes. */
const DELTA_FLOOR_BYTES = 4 * 1024 * 1024;

/**
 * The applications a restore launches, chosen once the snapshot's manifest is known (the paths
 * of its applications in launch order): their plans, checked against the manifest, and how to
 * launch them.
 */
export type RestoreFit = (saved: readonly string[]) => {
  readonly plans: readonly Plan[];
  launch(): void;
  /** Tasks (`<workflow path>/<task name>`) whose code an upgrade changes: not compared with the manifest. */
  readonly upgraded?: ReadonlySet<string>;
};

/** What the coordinator needs of the system it serves. */
export interface CoordinatedSystem {
  readonly engine: Engine;
  /** The plans deployed, in launch order. */
  plans(): readonly Plan[];
  /** The codec of the running applications' data. */
  codec(): Codec;
  /** Stops the system: a restore that fails after it started leaves it unusable, never half-restored. */
  shutdown(): void;
}

/** See the module header. */
export class CheckpointCoordinator {
  /** Snapshots taken (or restored up to): the sequence number of the latest. */
  private sequence = 0;
  /** The applications of the latest snapshot (or restored), joined: a delta needs the same. */
  private snapshotApps = "";
  /** Per sink path, staged events that checkpoints being stored hold (`checkpointAsync`). */
  private readonly uncommitted = new Map<string, number>();
  /** Size of the chain's full snapshot, and of its deltas so far, in bytes (`deltaRatio`). */
  private fullBytes = 0;
  private deltaBytes = 0;

  /** @throws RangeError when `every` or `fullEvery` is not a positive integer */
  constructor(
    private readonly system: CoordinatedSystem,
    private readonly options: SnapshotOptions | undefined,
  ) {
    for (const [name, value] of [["every", options?.every], ["fullEvery", options?.fullEvery]] as const) {
      if (value !== undefined && (!Number.isSafeInteger(value) || value < 1)) {
        throw new RangeError(`Systems.test({ snapshots: { ${name}: ${value} } }): ${name} must be a positive integer`);
      }
    }
    const ratio = options?.deltaRatio;
    if (ratio !== undefined && !(ratio > 0 && Number.isFinite(ratio))) {
      throw new RangeError(`Systems.test({ snapshots: { deltaRatio: ${ratio} } }): deltaRatio must be a positive number`);
    }
  }

  /**
   * A snapshot of the system now (between steps); with `delta`, only the task state written
   * since the previous snapshot (a full snapshot when applications were launched since).
   *
   * @throws EncodeError naming the path of state that is not data; Error for a delta when no
   *   snapshot was taken yet
   */
  snapshot(delta: boolean): Uint8Array {
    return this.capture(delta).bytes;
  }

  /**
   * Takes a snapshot into the store (a full one every `fullEvery` snapshots, deltas in between),
   * then commits the sink output it covers. Returns the snapshot's size in bytes.
   *
   * @throws Error when the system has no snapshot store
   */
  checkpoint(): number {
    const options = this.requireStore("checkpoint");
    const { bytes, staged } = this.capture(this.deltaNext(options));
    options.store.save(bytes);
    this.commitSinks(staged);
    return bytes.length;
  }

  /**
   * As {@link CheckpointCoordinator.checkpoint}, with the snapshot taken now and stored while the
   * system goes on (where the store can, `saveAsync`). Resolves once it is stored, with its size
   * in bytes and `commit`, which commits the sink output staged when it was taken. Several may be
   * stored at once; call their `commit`s in the order they were taken.
   *
   * @throws Error when the system has no snapshot store; rejects when the store fails
   */
  async checkpointAsync(): Promise<{ bytes: number; commit(): void }> {
    const options = this.requireStore("checkpoint");
    const { bytes, staged } = this.capture(this.deltaNext(options));
    // Several may be stored at once and are committed in order: each commits the events staged
    // after those of the checkpoints before it.
    const own = new Map<string, number>();
    for (const [path, n] of staged) {
      const earlier = this.uncommitted.get(path) ?? 0;
      own.set(path, n - earlier);
      this.uncommitted.set(path, n);
    }
    await (options.store.saveAsync?.(bytes) ?? options.store.save(bytes));
    return {
      bytes: bytes.length,
      commit: () => {
        for (const [path, n] of own) this.uncommitted.set(path, (this.uncommitted.get(path) ?? 0) - n);
        this.commitSinks(own);
      },
    };
  }

  /**
   * Makes the staged output of every transactional sink visible (what a stored checkpoint
   * allows): all of it, or per sink path the number of events a snapshot covers.
   */
  commitSinks(staged?: ReadonlyMap<string, number>): void {
    for (const [path, writer] of this.system.engine.sinks) {
      if (staged === undefined) writer.commit();
      else if ((staged.get(path) ?? 0) > 0) writer.commit(staged.get(path));
    }
  }

  /** Whether the next stored snapshot may be a delta: `fullEvery` and `deltaRatio` allow it. */
  private deltaNext(options: SnapshotOptions): boolean {
    if (this.sequence % (options.fullEvery ?? DEFAULT_FULL_EVERY) === 0) return false;
    return options.deltaRatio === undefined || this.deltaBytes < Math.max(options.deltaRatio * this.fullBytes, DELTA_FLOOR_BYTES);
  }

  /** A snapshot now, and per sink path the number of staged events it holds. */
  private capture(delta: boolean): { bytes: Uint8Array; staged: Map<string, number> } {
    if (delta && this.sequence === 0) throw new Error("snapshot({ delta: true }): a delta extends an earlier snapshot of this system; take a full snapshot first");
    const { engine } = this.system;
    const manifest = manifestOf(this.system.plans());
    // A delta holds changes of the tasks the previous snapshot had: after a launch, a full one.
    const kind = delta && manifest.apps.join() === this.snapshotApps ? "delta" : "full";
    this.snapshotApps = manifest.apps.join();
    const data: SnapshotData = { kind, sequence: ++this.sequence, manifest, ...engine.save(kind === "delta") };
    const staged = new Map(Object.entries(data.sinks).map(([path, sink]) => [path, sink.staged.length]));
    const bytes = encodeSnapshot(data, this.system.codec());
    this.counted(kind, bytes.length);
    return { bytes, staged };
  }

  /** After each step of a deterministic run: commit (no store), or a checkpoint every `every` steps. */
  afterStep(): void {
    if (this.options === undefined) {
      this.commitSinks();
    } else if (this.options.every !== undefined && this.system.engine.stats.steps % this.options.every === 0) {
      this.checkpoint();
    }
  }

  /** When a run completes: with a store, a last snapshot commits the last output. */
  completed(): void {
    if (this.options !== undefined && !this.system.engine.canStep()) this.checkpoint();
  }

  /**
   * Restores the fresh system from `chain` (a full snapshot and the deltas that extend it),
   * decoded with `codec`: the applications `fit` chooses are deployed again, then their state is put back.
   *
   * @throws SnapshotError when the chain or the applications do not fit (see `TestSystem.restore`)
   */
  restore(chain: readonly Uint8Array[], codec: Codec, fit: RestoreFit): void {
    const decoded = chain.map((bytes) => decodeSnapshot(bytes, codec));
    this.restoreData(resolveChain(decoded), fit);
    decoded.forEach((data, i) => this.counted(data.kind, chain[i]!.length));
  }

  /**
   * Restores from the newest readable snapshot of the store; a damaged one is reported on `log`
   * and the one before it is tried. Returns its id, or `undefined` when there is none.
   *
   * @throws Error when the system has no snapshot store; SnapshotError as {@link CheckpointCoordinator.restore},
   *   and when an intact snapshot cannot be decoded by these applications (a data class renamed)
   */
  restoreLatest(codec: Codec, fit: RestoreFit, log: LogWriter): string | undefined {
    const store = this.requireStore("restoreLatest").store;
    const ids = store.newest();
    for (let i = 0; i < ids.length; i++) {
      let chain: ChainLink[];
      try {
        chain = chainFrom(store, ids.slice(i), codec);
      } catch (thrown) {
        if (thrown instanceof NotThisProgram) throw thrown;
        log(`snapshot ${ids[i]} cannot be used (${describe(thrown)}); trying the one before`, { level: "warn", workflow: "", task: "", key: 0 });
        continue;
      }
      this.restoreData(resolveChain(chain.map((c) => c.data)), fit);
      for (const c of chain) this.counted(c.data.kind, c.length);
      return ids[i];
    }
    return undefined;
  }

  /** Counts a snapshot of `length` bytes into the chain sizes `deltaRatio` compares. */
  private counted(kind: "full" | "delta", length: number): void {
    if (kind === "full") {
      this.fullBytes = length;
      this.deltaBytes = 0;
    } else {
      this.deltaBytes += length;
    }
  }

  private restoreData(data: SnapshotData, fit: RestoreFit): void {
    const { engine } = this.system;
    if (engine.apps.length > 0) throw new SnapshotError("restore(): this system already runs applications; restore into a fresh Systems.test()");
    const { plans, launch, upgraded } = fit(data.manifest.apps);
    checkManifest(data.manifest, plans, upgraded);
    try {
      engine.loadRandom(data.rng);
      launch();
      engine.load({ ...data, workflows: data.workflows as Readonly<Record<string, WorkflowState>> });
      this.sequence = data.sequence;
      this.snapshotApps = data.manifest.apps.join();
    } catch (thrown) {
      this.system.shutdown();
      throw thrown instanceof SnapshotError ? thrown : new SnapshotError(`cannot restore the snapshot: ${describe(thrown)}`);
    }
  }

  private requireStore(what: string): SnapshotOptions {
    if (this.options === undefined) throw new Error(`${what}(): this system has no snapshot store; create it with Systems.test({ snapshots: { store } })`);
    return this.options;
  }
}

/** A snapshot whose bytes are intact but which these applications cannot decode (not damage: no fallback). */
class NotThisProgram extends SnapshotError {}

/** A decoded snapshot of a chain, with its size in bytes (what `deltaRatio` counts). */
interface ChainLink {
  readonly data: SnapshotData;
  readonly length: number;
}

/**
 * The decoded chain that snapshot `ids[0]` needs, oldest first: back to the full snapshot it
 * extends, through `ids` (newest first, consecutive).
 *
 * @throws SnapshotError when a snapshot of the chain is unreadable or the chain is broken
 */
function chainFrom(store: SnapshotStore, ids: readonly string[], codec: Codec): ChainLink[] {
  const chain: ChainLink[] = [];
  for (const id of ids) {
    let payload: Uint8Array;
    let length: number;
    try {
      const bytes = store.load(id);
      length = bytes.length;
      payload = unframeSnapshot(bytes).payload;
    } catch (thrown) {
      if (id === ids[0]) throw thrown;
      throw new SnapshotError(`it extends snapshot ${id}, which cannot be read: ${describe(thrown)}`);
    }
    let data: SnapshotData;
    try {
      data = decodePayload(payload, codec);
    } catch (thrown) {
      // Intact bytes (the checksum held) that this program cannot decode: an older snapshot
      // would not fit either, and starting afresh would lose what the run had done.
      throw new NotThisProgram(
        `snapshot ${id} is intact but cannot be decoded by these applications (${describe(thrown)}); ` +
          "restore with the code that wrote it (a class in the snapshot keeps its name: a registered class the name it was registered with, an error class of a compiled module its class name), or remove the snapshots to start afresh",
      );
    }
    if (chain.length > 0 && data.sequence !== chain[0]!.data.sequence - 1) {
      throw new SnapshotError(`the chain of snapshot ${ids[0]} is broken: snapshot ${chain[0]!.data.sequence - 1} is missing`);
    }
    chain.unshift({ data, length });
    if (data.kind === "full") return chain;
  }
  throw new SnapshotError(`snapshot ${ids[0]} is a delta whose full snapshot is no longer stored`);
}
