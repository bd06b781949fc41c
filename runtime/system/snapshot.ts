/**
 * What a snapshot holds (docs/snapshots.md): taken between steps, everything a fresh system
 * needs to continue: a manifest (format version, applications in launch order, the code
 * version of every compiled operator) and the engine's state (`engine/engine.ts`: the
 * scheduler's random generator, counters, every stream's unread atoms and consumer positions,
 * every generator's position, every workflow's task state, continuation table and held-back end
 * of input, every transactional sink's committed position and staged output).
 *
 * Incremental snapshots: a *delta* holds everything a full snapshot holds except per-key task
 * state, which it has as the keys written since the previous snapshot (`StateChanges`), the
 * streams' unread atoms, which it has as those appended since the previous snapshot, and the
 * continuation tables, which it has as the parked invocations that changed and the ids of those
 * that ended; the rest is metadata (positions, per-task entries). A delta is
 * restored on top of the chain it extends: the full snapshot before it and every delta in
 * between, each with the next sequence number. Periodic full snapshots start new chains, so old
 * ones can be dropped.
 *
 * The bytes are the codec's (`state/codec.ts`) framed by `state/snapshot-format.ts`.
 */
import type { Key } from "../core/key.js";
import type { WorkflowState } from "../engine/components/workflow-executor.js";
import type { EngineState } from "../engine/engine.js";
import { applyStreamDelta, type StreamState } from "../engine/stream.js";
import type { RunnerDelta, RunnerState } from "../engine/tasks/task-runner.js";
import type { InvocationData } from "../engine/portals/invocation.js";
import type { Atom } from "../engine/atom.js";
import type { Codec, Encoded } from "../state/codec.js";
import { frameSnapshot, SNAPSHOT_FORMAT, SnapshotError, unframeSnapshot, type SnapshotHeader } from "../state/snapshot-format.js";
import { fromColumns, toColumns, type ParkedColumns } from "./parked-columns.js";

/** The code a snapshot was taken with: what `restore` compares with the code it is given. */
export interface Manifest {
  /** The format version ({@link SNAPSHOT_FORMAT} when written by this runtime). */
  readonly format: number;
  /** Application paths in launch order. */
  readonly apps: readonly string[];
  /** `workflow path/task name` → `machine id@version` of each compiled callback. */
  readonly operators: Readonly<Record<string, readonly string[]>>;
  /** `workflow path/task name` → the name of the initial state of each `vsm` task. */
  readonly vsm: Readonly<Record<string, string>>;
  /** Application path → `"<index>/<count>"` of each application launched as a partition (absent in older snapshots: none). */
  readonly partitions?: Readonly<Record<string, string>>;
}

/** Everything in a snapshot; in a delta, task state is the changes since the previous one. */
export interface SnapshotData extends SnapshotHeader, EngineState {
  readonly manifest: Manifest;
}

/**
 * The bytes of a snapshot.
 *
 * @throws EncodeError naming the path of state that is not data (e.g. a class instance that is
 *   not registered with `app.dataClass`)
 */
export function encodeSnapshot(data: SnapshotData, codec: Codec): Uint8Array {
  return frameSnapshot(data, codec.encode(mapAtoms(mapParked(data, toColumns), (a) => codec.written(a)), "snapshot"));
}

/** The first format that writes continuation tables by column. */
const PARKED_BY_COLUMN = 6;

/**
 * The contents of a checked payload (`unframeSnapshot`). From format 6 on, continuation tables
 * are written by column (`parked-columns.ts`): they come back as rows.
 *
 * @throws Error when the codec cannot decode the payload (a data class that is not registered),
 *   or a continuation table's columns do not fit together
 */
export function decodePayload(payload: Uint8Array, codec: Codec): SnapshotData {
  const data = mapAtoms(codec.decode(payload) as SnapshotData, (a) => codec.decodeEncoded(a) as Atom);
  return data.manifest.format >= PARKED_BY_COLUMN ? mapParked(data, (columns) => fromColumns(columns as unknown as ParkedColumns<unknown>)) : data;
}

/**
 * `data` with every stream's atoms mapped by `f`: an atom a cluster's export already encoded is
 * written as those bytes (`Codec.written`), and read back from them (docs/snapshots.md, "Codec").
 */
function mapAtoms(data: SnapshotData, f: (atom: Atom) => Atom | Encoded): SnapshotData {
  const streams: Record<string, StreamState> = {};
  for (const [path, stream] of Object.entries(data.streams)) streams[path] = { ...stream, atoms: stream.atoms.map(f) as Atom[] };
  return { ...data, streams };
}

/** `data` with every task's continuation table (whole, or the changed invocations of a delta) mapped by `f`. */
function mapParked(data: SnapshotData, f: (parked: readonly InvocationData<unknown>[]) => unknown): SnapshotData {
  const workflows: Record<string, WorkflowState> = {};
  for (const [path, w] of Object.entries(data.workflows)) {
    // The runners keep their kind (state or delta); only `parked` changes shape.
    workflows[path] = { ...w, runners: w.runners.map((r) => ({ ...r, parked: f(r.parked) })) as unknown as WorkflowState["runners"] };
  }
  return { ...data, workflows };
}

/**
 * The contents of snapshot bytes.
 *
 * @throws SnapshotError when the bytes are not a snapshot, are truncated or damaged (checksum),
 *   or have another format version
 */
export function decodeSnapshot(bytes: Uint8Array, codec: Codec): SnapshotData {
  return decodePayload(unframeSnapshot(bytes).payload, codec);
}

/**
 * The full state of a chain: a full snapshot and the deltas that extend it, in order. The
 * chain's snapshots are freshly decoded and used up: each delta is applied in place to the
 * maps of the state before it, so a chain costs O(state + changes), not O(state × deltas).
 *
 * @throws SnapshotError when the chain does not start with a full snapshot or skips a sequence
 */
export function resolveChain(chain: readonly SnapshotData[]): SnapshotData {
  const [first, ...deltas] = chain;
  if (first === undefined || first.kind !== "full") throw new SnapshotError("a snapshot chain starts with a full snapshot");
  let state = first;
  for (const delta of deltas) {
    if (delta.kind !== "delta" || delta.sequence !== state.sequence + 1) {
      throw new SnapshotError(`snapshot ${delta.sequence} (${delta.kind}) does not extend snapshot ${state.sequence}; give the chain in order`);
    }
    state = applyDelta(state, delta);
  }
  return state;
}

/**
 * `delta` on top of `base`, whose per-key maps it takes over: the delta's metadata, and the
 * base's task state with the changes.
 */
function applyDelta(base: SnapshotData, delta: SnapshotData): SnapshotData {
  const workflows: Record<string, WorkflowState> = {};
  for (const [path, w] of Object.entries(delta.workflows)) {
    const before = base.workflows[path]!;
    workflows[path] = {
      ...w,
      runners: w.runners.map((r, i) => {
        const { changes, parkedEnded, ...rest } = r as RunnerDelta;
        const old = before.runners[i] as RunnerState;
        // The delta's parked invocations replace the base's of the same ids, and its ended ones go (all of them without parkedEnded).
        const gone = new Set([...(parkedEnded ?? []), ...rest.parked.map((p) => p.id)]);
        const parked = parkedEnded === undefined ? rest.parked : [...old.parked.filter((p) => !gone.has(p.id)), ...rest.parked].sort((a, b) => a.id - b.id);
        // The store's order: entries as listed, keys inserted since the base last.
        const perKey = new Map<string, Map<Key, unknown>>();
        // A decoded chain is this call's own: its read-only maps are taken over and changed.
        for (const name of changes.entries) perKey.set(name, (old.perKey.get(name) as Map<Key, unknown> | undefined) ?? new Map());
        for (const [name, keys] of changes.inserted) {
          const values = perKey.get(name)!;
          for (const k of keys) {
            values.delete(k);
            values.set(k, undefined);
          }
        }
        for (const [name, set] of changes.set) for (const [k, v] of set) perKey.get(name)!.set(k, v);
        for (const [name, keys] of changes.deleted) for (const k of keys) perKey.get(name)?.delete(k);
        return { ...rest, parked, perKey };
      }),
    };
  }
  const streams: Record<string, StreamState> = {};
  for (const [path, d] of Object.entries(delta.streams)) {
    // A stream added since the snapshot before (a cluster's import) has all its unread atoms in the delta.
    const before = base.streams[path] ?? { end: 0, atoms: [], cursors: [] };
    try {
      streams[path] = applyStreamDelta(before, d);
    } catch (thrown) {
      throw new SnapshotError(`snapshot ${delta.sequence}, stream ${path}: ${(thrown as Error).message}`);
    }
  }
  return { ...delta, kind: "full", workflows, streams };
}
