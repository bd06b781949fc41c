/**
 * The snapshot format (DESIGN §8). A snapshot is taken between steps and holds everything a
 * fresh system needs to continue: a manifest (format version, applications in launch order,
 * the code version of every compiled operator), the scheduler's random generator state, the
 * counters, every stream's unread atoms and consumer positions, every generator's position, and
 * every workflow's task state, continuation table and held-back end of input, and every
 * transactional sink's committed position and staged output.
 *
 * Incremental snapshots: a *delta* holds everything a full snapshot holds except per-key task
 * state, which it has as the keys written since the previous snapshot (`StateChanges`); the
 * rest is metadata (positions, unread atoms, continuation tables, per-task entries). A delta is restored on top of
 * the chain it extends: the full snapshot before it and every delta in between, each with the
 * next sequence number. Periodic full snapshots start new chains, so old ones can be dropped.
 *
 * Bytes: `PTSNAP` (6 bytes), the format version (2 bytes, big endian), the kind (1 byte: 0
 * full, 1 delta), the sequence number (4 bytes, big endian; a system's snapshots count 1, 2,
 * …), the SHA-256 of the payload (32 bytes), then the payload: the {@link SnapshotData} through
 * the codec (`codec.ts`). A truncated or damaged snapshot fails the checksum and is never
 * half-loaded.
 */
import { createHash } from "node:crypto";
import type { GeneratorState } from "../engine/generators.js";
import type { StreamState } from "../engine/stream.js";
import type { RunnerDelta, RunnerState } from "../engine/task-runner.js";
import type { Stats, WorkflowState } from "../engine/workflow.js";
import type { Key } from "../engine/machine.js";
import { codec } from "./codec.js";
import type { SinkState } from "./sinks.js";

/** Version of the format this runtime writes and reads. */
export const SNAPSHOT_FORMAT = 1;

const MAGIC = Buffer.from("PTSNAP", "latin1");
const KIND = MAGIC.length + 2;
const SEQUENCE = KIND + 1;
const SUM = SEQUENCE + 4;
const HEADER = SUM + 32;

/** The code a snapshot was taken with: what `restore` compares with the code it is given. */
export interface Manifest {
  readonly format: number;
  /** Application paths in launch order. */
  readonly apps: readonly string[];
  /** `workflow path/task name` → `machine id@version` of each compiled callback. */
  readonly operators: Readonly<Record<string, readonly string[]>>;
}

/** What the header says, readable without decoding the payload. */
export interface SnapshotHeader {
  readonly kind: "full" | "delta";
  /** The system's count of snapshots when it was taken (a delta extends `sequence - 1`). */
  readonly sequence: number;
}

/** Everything in a snapshot; in a delta, task state is the changes since the previous one. */
export interface SnapshotData extends SnapshotHeader {
  readonly manifest: Manifest;
  /** State of the scheduler's random generator. */
  readonly rng: readonly number[];
  /** Paths of the components that can step, in the scheduler's order. */
  readonly ready: readonly string[];
  readonly stats: Stats;
  readonly streams: Readonly<Record<string, StreamState>>;
  readonly generators: Readonly<Record<string, GeneratorState>>;
  readonly workflows: Readonly<Record<string, WorkflowState<RunnerState | RunnerDelta>>>;
  /** Transactional sinks by workflow path: committed position and staged output. */
  readonly sinks: Readonly<Record<string, SinkState>>;
}

/** A snapshot that cannot be read, or does not fit the applications it is restored into. */
export class SnapshotError extends Error {
  override readonly name = "SnapshotError";
}

/**
 * The bytes of a snapshot.
 *
 * @throws EncodeError naming the path of state that is not data (e.g. a class instance that is
 *   not registered with the codec)
 */
export function encodeSnapshot(data: SnapshotData): Uint8Array {
  const payload = codec.encode(data, "snapshot");
  const out = Buffer.allocUnsafe(HEADER + payload.length);
  MAGIC.copy(out, 0);
  out.writeUInt16BE(data.manifest.format, MAGIC.length);
  out.writeUInt8(data.kind === "full" ? 0 : 1, KIND);
  out.writeUInt32BE(data.sequence, SEQUENCE);
  createHash("sha256").update(payload).digest().copy(out, SUM);
  out.set(payload, HEADER);
  return out;
}

/**
 * The header of snapshot bytes (kind and sequence), without reading the payload.
 *
 * @throws SnapshotError when the bytes are not a snapshot of this format version
 */
export function snapshotHeader(bytes: Uint8Array): SnapshotHeader {
  const buf = Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  if (buf.length < HEADER || !buf.subarray(0, MAGIC.length).equals(MAGIC)) {
    throw new SnapshotError(`not a portals snapshot (${buf.length} bytes without the PTSNAP header)`);
  }
  const format = buf.readUInt16BE(MAGIC.length);
  if (format !== SNAPSHOT_FORMAT) throw new SnapshotError(`snapshot format version ${format}; this runtime reads version ${SNAPSHOT_FORMAT}`);
  return { kind: buf.readUInt8(KIND) === 0 ? "full" : "delta", sequence: buf.readUInt32BE(SEQUENCE) };
}

/**
 * The contents of snapshot bytes.
 *
 * @throws SnapshotError when the bytes are not a snapshot, are truncated or damaged (checksum),
 *   or have another format version
 */
export function decodeSnapshot(bytes: Uint8Array): SnapshotData {
  snapshotHeader(bytes);
  const buf = Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const payload = buf.subarray(HEADER);
  const sum = createHash("sha256").update(payload).digest();
  if (!sum.equals(buf.subarray(SUM, HEADER))) throw new SnapshotError("the snapshot is truncated or damaged (checksum mismatch)");
  return codec.decode(payload) as SnapshotData;
}

/**
 * The full state of a chain: a full snapshot and the deltas that extend it, in order.
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

/** `delta` on top of `base`: the delta's metadata, and the base's task state with the changes. */
function applyDelta(base: SnapshotData, delta: SnapshotData): SnapshotData {
  const workflows: Record<string, WorkflowState> = {};
  for (const [path, w] of Object.entries(delta.workflows)) {
    const before = base.workflows[path]!;
    workflows[path] = {
      ...w,
      runners: w.runners.map((r, i) => {
        const { changes, ...rest } = r as RunnerDelta;
        const old = before.runners[i] as RunnerState;
        // Rebuilt in the store's order: entries as listed, keys inserted since the base last.
        const perKey = new Map<string, Map<Key, unknown>>();
        for (const name of changes.entries) perKey.set(name, new Map(old.perKey.get(name)));
        for (const [name, keys] of changes.inserted) {
          const values = perKey.get(name)!;
          for (const k of keys) {
            values.delete(k);
            values.set(k, undefined);
          }
        }
        for (const [name, set] of changes.set) for (const [k, v] of set) perKey.get(name)!.set(k, v);
        for (const [name, keys] of changes.deleted) for (const k of keys) perKey.get(name)?.delete(k);
        return { ...rest, perKey };
      }),
    };
  }
  return { ...delta, kind: "full", workflows };
}
