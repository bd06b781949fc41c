/**
 * Snapshot bytes (docs/snapshots.md, "Format"): `PTSNAP` (6 bytes), the format version (2 bytes,
 * big endian), the kind (1 byte: 0 full, 1 delta), the sequence number (4 bytes, big endian; a
 * system's snapshots count 1, 2, …), the SHA-256 of the payload (32 bytes), then the payload
 * (the codec's bytes of the snapshot's contents). What the payload holds is the checkpoint
 * coordinator's business (`system/snapshot.ts`); this module only frames and checks it, so a
 * truncated or damaged snapshot is refused before anything is decoded.
 */
import { createHash } from "node:crypto";

/** Version of the format this runtime writes and reads. */
export const SNAPSHOT_FORMAT = 3;

const MAGIC = Buffer.from("PTSNAP", "latin1");
const KIND = MAGIC.length + 2;
const SEQUENCE = KIND + 1;
const SUM = SEQUENCE + 4;
const HEADER = SUM + 32;

/** What the header says, readable without decoding the payload. */
export interface SnapshotHeader {
  readonly kind: "full" | "delta";
  /** The system's count of snapshots when it was taken (a delta extends `sequence - 1`). */
  readonly sequence: number;
}

/** A snapshot that cannot be read, or does not fit the applications it is restored into. */
export class SnapshotError extends Error {
  /** The error's class name. */
  override readonly name = "SnapshotError";
}

/** The snapshot bytes of `payload` with `header`. */
export function frameSnapshot(header: SnapshotHeader, payload: Uint8Array): Uint8Array {
  const out = Buffer.allocUnsafe(HEADER + payload.length);
  MAGIC.copy(out, 0);
  out.writeUInt16BE(SNAPSHOT_FORMAT, MAGIC.length);
  out.writeUInt8(header.kind === "full" ? 0 : 1, KIND);
  out.writeUInt32BE(header.sequence, SEQUENCE);
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
 * The header and the checked payload of snapshot bytes.
 *
 * @throws SnapshotError when the bytes are not a snapshot, have another format version, or are
 *   truncated or damaged (checksum)
 */
export function unframeSnapshot(bytes: Uint8Array): { readonly header: SnapshotHeader; readonly payload: Uint8Array } {
  const header = snapshotHeader(bytes);
  const buf = Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const payload = buf.subarray(HEADER);
  const sum = createHash("sha256").update(payload).digest();
  if (!sum.equals(buf.subarray(SUM, HEADER))) throw new SnapshotError("the snapshot is truncated or damaged (checksum mismatch)");
  return { header, payload };
}
