/**
 * Atoms larger than one NATS message (docs/cluster.md, "Remote streams"): an export publishes
 * such an atom as `count` messages, the *chunks* of its encoded bytes, each with the atom's
 * number and `Portals-Chunk: <index>/<count>`; an import joins them back before decoding. A
 * chunk's bounds follow from the atom's length and the count alone, so an export that resumes a
 * partly published atom (after a crash) cuts its remaining chunks exactly as the first attempt
 * did, whatever the server's limit is now.
 */

/** Header of a chunk: `<index>/<count>`, index from 0. Absent on an atom sent whole. */
export const CHUNK_HEADER = "Portals-Chunk";

/** Bytes of a message left for its headers (subject, id, atom, chunk, expected sequence): they count towards `max_payload`. */
const HEADROOM = 1024;

/** Which chunk of how many. */
export interface ChunkIndex {
  readonly index: number;
  readonly count: number;
}

/**
 * How many messages an atom of `length` bytes takes on a server that takes `maxPayload` bytes
 * per message (1 when it fits, or when the limit is not known).
 */
export function chunkCount(length: number, maxPayload: number): number {
  if (!Number.isFinite(maxPayload) || length + HEADROOM <= maxPayload) return 1;
  return Math.ceil(length / Math.max(1, maxPayload - HEADROOM));
}

/** Whether each of `count` chunks of an atom of `length` bytes fits in a message of `maxPayload` bytes. */
export function chunksFit(length: number, count: number, maxPayload: number): boolean {
  return Math.ceil(length / count) + HEADROOM <= maxPayload || !Number.isFinite(maxPayload);
}

/** Chunk `index` of `count` of `bytes` (a view, not a copy). */
export function chunkOf(bytes: Uint8Array, { index, count }: ChunkIndex): Uint8Array {
  return bytes.subarray(Math.floor((index * bytes.length) / count), Math.floor(((index + 1) * bytes.length) / count));
}

/** The chunk a message's {@link CHUNK_HEADER} names, or `undefined` for an atom sent whole (or a header that is not one). */
export function parseChunk(header: string | undefined): ChunkIndex | undefined {
  const m = header === undefined ? null : /^(\d+)\/(\d+)$/.exec(header);
  if (m === null) return undefined;
  const index = Number(m[1]);
  const count = Number(m[2]);
  return index < count ? { index, count } : undefined;
}

/**
 * Where an export goes on after the last message its stream holds, which carried atom
 * `lastAtom` (-1: none) and, when it was a chunk, `chunk`: the atoms up to `done` are out; when
 * the last one was not its atom's last chunk, that atom goes on from the chunk after it.
 */
export function resumeAfter(lastAtom: number, chunk: ChunkIndex | undefined): { readonly done: number; readonly next?: { readonly number: number } & ChunkIndex } {
  if (chunk === undefined || chunk.index === chunk.count - 1) return { done: lastAtom };
  return { done: lastAtom - 1, next: { number: lastAtom, index: chunk.index + 1, count: chunk.count } };
}

/** Joins the chunks of one atom at a time, received in order. */
export class ChunkJoiner {
  private current: { number: number; count: number; parts: Uint8Array[] } | undefined;

  /**
   * Adds chunk `chunk` of atom `number`; returns the atom's bytes once its last chunk is in.
   *
   * @throws Error naming both when the chunk does not follow the one before (its atom would be
   *   read wrong; chunks arrive in order on one subject, so this is a broken stream)
   */
  add(number: number, chunk: ChunkIndex, data: Uint8Array): Uint8Array | undefined {
    if (chunk.index === 0) this.current = { number, count: chunk.count, parts: [] };
    const at = this.current;
    if (at === undefined || at.number !== number || at.count !== chunk.count || at.parts.length !== chunk.index) {
      const expected = at === undefined ? "the first chunk of an atom" : `chunk ${at.parts.length}/${at.count} of atom ${at.number}`;
      this.current = undefined;
      throw new Error(`chunk ${chunk.index}/${chunk.count} of atom ${number} arrived where ${expected} was due`);
    }
    // A copy: the client may reuse the buffer a message's data is a view of.
    at.parts.push(data.slice());
    if (at.parts.length < at.count) return undefined;
    this.current = undefined;
    const whole = new Uint8Array(at.parts.reduce((n, p) => n + p.length, 0));
    let offset = 0;
    for (const p of at.parts) {
      whole.set(p, offset);
      offset += p.length;
    }
    return whole;
  }
}
