/**
 * Snapshot bytes (docs/snapshots.md, "Format"): `PTSNAP` (6 bytes), the format version (2 bytes,
 * big endian), the kind (1 byte: 0 full, 1 delta), the sequence number (4 bytes, big endian; a
 * system's snapshots count 1, 2, …), the SHA-256 of the payload (32 bytes), then the payload
 * (the codec's bytes of the snapshot's contents). What the payload holds is the checkpoint
 * coordinator's business (`system/snapshot.ts`); this module only frames and checks it, so a
 * truncated or damaged snapshot is refused before anything is decoded.
 *
 * Plain `Uint8Array`s and `DataView`s, and SHA-256 from @noble/hashes (synchronous, as framing
 * is, and the same in Node and in browsers, where WebCrypto's digest is asynchronous only): the
 * bytes are the same wherever a snapshot is written or read. Node's entry installs node:crypto's
 * SHA-256 instead ({@link useSha256}): the same digest, about 7 times faster (a checkpoint of a
 * large backlog spent a tenth of its time hashing).
 */
import { sha256 } from "@noble/hashes/sha2";

/** Version of the format this runtime writes. */
export const SNAPSHOT_FORMAT = 7;
/**
 * Versions it reads: 7 may write an atom a cluster's export encoded as those bytes (`Encoded`
 * in `codec.ts`), which 6 never does; 5 writes continuation tables as records (6 by column),
 * and 4 also differs in its deltas, which hold every parked continuation of a task (5's hold
 * those that changed, and the ids of those that ended); all read as they are.
 */
const READS: readonly number[] = [4, 5, 6, SNAPSHOT_FORMAT];

/** The SHA-256 of some bytes, as snapshots are framed and checked with. */
let digest: (bytes: Uint8Array) => Uint8Array = sha256;

/**
 * Frames and checks snapshots with `sha256` from now on: a platform's own implementation of
 * SHA-256 (it must give the same digest; the framing's bytes do not change).
 */
export function useSha256(sha256: (bytes: Uint8Array) => Uint8Array): void {
  digest = sha256;
}

const MAGIC = new Uint8Array([0x50, 0x54, 0x53, 0x4e, 0x41, 0x50]); // "PTSNAP"
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
  const out = new Uint8Array(HEADER + payload.length);
  const view = new DataView(out.buffer);
  out.set(MAGIC, 0);
  view.setUint16(MAGIC.length, SNAPSHOT_FORMAT);
  view.setUint8(KIND, header.kind === "full" ? 0 : 1);
  view.setUint32(SEQUENCE, header.sequence);
  out.set(digest(payload), SUM);
  out.set(payload, HEADER);
  return out;
}

/**
 * The header of snapshot bytes (kind and sequence), without reading the payload.
 *
 * @throws SnapshotError when the bytes are not a snapshot of a format version this runtime reads
 */
export function snapshotHeader(bytes: Uint8Array): SnapshotHeader {
  if (bytes.length < HEADER || !equal(bytes.subarray(0, MAGIC.length), MAGIC)) {
    throw new SnapshotError(`not a portals snapshot (${bytes.length} bytes without the PTSNAP header)`);
  }
  const view = new DataView(bytes.buffer, bytes.byteOffset, HEADER);
  const format = view.getUint16(MAGIC.length);
  if (!READS.includes(format)) throw new SnapshotError(`snapshot format version ${format}; this runtime reads versions ${READS.slice(0, -1).join(", ")} and ${READS.at(-1)}`);
  return { kind: view.getUint8(KIND) === 0 ? "full" : "delta", sequence: view.getUint32(SEQUENCE) };
}

/**
 * The header and the checked payload of snapshot bytes.
 *
 * @throws SnapshotError when the bytes are not a snapshot, have another format version, or are
 *   truncated or damaged (checksum)
 */
export function unframeSnapshot(bytes: Uint8Array): { readonly header: SnapshotHeader; readonly payload: Uint8Array } {
  const header = snapshotHeader(bytes);
  const payload = bytes.subarray(HEADER);
  if (!equal(digest(payload), bytes.subarray(SUM, HEADER))) throw new SnapshotError("the snapshot is truncated or damaged (checksum mismatch)");
  return { header, payload };
}

function equal(a: Uint8Array, b: Uint8Array): boolean {
  if (a.length !== b.length) return false;
  for (let i = 0; i < a.length; i++) if (a[i] !== b[i]) return false;
  return true;
}
