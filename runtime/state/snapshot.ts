/**
 * The snapshot format (DESIGN §8). A snapshot is taken between steps and holds everything a
 * fresh system needs to continue: a manifest (format version, applications in launch order,
 * the code version of every compiled operator), the scheduler's random generator state, the
 * counters, every stream's unread atoms and consumer positions, every generator's position, and
 * every workflow's task state, continuation table and held-back end of input, and every
 * transactional sink's committed position and staged output.
 *
 * Bytes: `PTSNAP` (6 bytes), the format version (2 bytes, big endian), the SHA-256 of the
 * payload (32 bytes), then the payload: the {@link SnapshotData} through the codec
 * (`codec.ts`). A truncated or damaged snapshot fails the checksum and is never half-loaded.
 */
import { createHash } from "node:crypto";
import type { GeneratorState } from "../engine/generators.js";
import type { StreamState } from "../engine/stream.js";
import type { Stats, WorkflowState } from "../engine/workflow.js";
import { codec } from "./codec.js";
import type { SinkState } from "./sinks.js";

/** Version of the format this runtime writes and reads. */
export const SNAPSHOT_FORMAT = 1;

const MAGIC = Buffer.from("PTSNAP", "latin1");
const HEADER = MAGIC.length + 2 + 32;

/** The code a snapshot was taken with: what `restore` compares with the code it is given. */
export interface Manifest {
  readonly format: number;
  /** Application paths in launch order. */
  readonly apps: readonly string[];
  /** `workflow path/task name` → `machine id@version` of each compiled callback. */
  readonly operators: Readonly<Record<string, readonly string[]>>;
}

/** Everything in a snapshot. */
export interface SnapshotData {
  readonly manifest: Manifest;
  /** State of the scheduler's random generator. */
  readonly rng: readonly number[];
  /** Paths of the components that can step, in the scheduler's order. */
  readonly ready: readonly string[];
  readonly stats: Stats;
  readonly streams: Readonly<Record<string, StreamState>>;
  readonly generators: Readonly<Record<string, GeneratorState>>;
  readonly workflows: Readonly<Record<string, WorkflowState>>;
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
  createHash("sha256").update(payload).digest().copy(out, MAGIC.length + 2);
  out.set(payload, HEADER);
  return out;
}

/**
 * The contents of snapshot bytes.
 *
 * @throws SnapshotError when the bytes are not a snapshot, are truncated or damaged (checksum),
 *   or have another format version
 */
export function decodeSnapshot(bytes: Uint8Array): SnapshotData {
  const buf = Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  if (buf.length < HEADER || !buf.subarray(0, MAGIC.length).equals(MAGIC)) {
    throw new SnapshotError(`not a portals snapshot (${buf.length} bytes without the PTSNAP header)`);
  }
  const format = buf.readUInt16BE(MAGIC.length);
  if (format !== SNAPSHOT_FORMAT) throw new SnapshotError(`snapshot format version ${format}; this runtime reads version ${SNAPSHOT_FORMAT}`);
  const payload = buf.subarray(HEADER);
  const sum = createHash("sha256").update(payload).digest();
  if (!sum.equals(buf.subarray(MAGIC.length + 2, HEADER))) throw new SnapshotError("the snapshot is truncated or damaged (checksum mismatch)");
  return codec.decode(payload) as SnapshotData;
}
