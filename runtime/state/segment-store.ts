/**
 * The segment store (docs/snapshots.md, "Segment store"): the store of live systems, where a
 * checkpoint costs one write. Each chain (a full snapshot and the deltas after it) is one
 * segment file `segment-<12-digit number>.ptseg` holding records, each a 4-byte little-endian
 * length and that many snapshot bytes. The current segment is open for appending with `O_DSYNC`,
 * so a record is durable when its write returns: no temporary file, rename or separate fsync.
 * Records queued while a write is in flight go out together in the next one (group commit).
 *
 * A crash can leave the last record torn: its length runs past the end of the file, or its
 * bytes fail the snapshot's checksum. Reading stops at a length that runs past the end and the
 * next append first cuts the file there; a record with bad bytes is returned as it is and refused
 * by the snapshot's checksum, so a restore takes the one before it.
 */
import { closeSync, constants, fstatSync, fsyncSync, ftruncateSync, openSync, readdirSync, readSync, rmSync, writeSync, writev as fsWritev } from "node:fs";
import { join } from "node:path";
import { snapshotHeader } from "./snapshot-format.js";
import type { SnapshotStore } from "./snapshot-store.js";
import { beyondChains, keepOf, makeDirectories, type StoreOptions } from "./stores.js";

const SEGMENT = /^segment-(\d{12})\.ptseg$/;
const LENGTH = 4;

/** Where one record of a segment is. */
interface Extent {
  readonly offset: number;
  readonly length: number;
}

interface Segment {
  readonly number: number;
  readonly records: Extent[];
  /** Where the next record goes: the end of the last whole record. */
  end: number;
}

interface Pending {
  readonly bytes: Uint8Array;
  readonly full: boolean;
  readonly done: (error: Error | null) => void;
}

/**
 * Snapshots appended to segment files in a directory (created if missing), one segment per
 * chain. Snapshot ids are `<segment number>-<record index>`, both zero-padded, so they sort in
 * the order the snapshots were taken.
 */
export class SegmentStore implements SnapshotStore {
  private readonly keep: number;
  private readonly segments: Segment[];
  /** The descriptor the newest segment is appended through, once opened. */
  private fd: number | undefined;
  private readonly queue: Pending[] = [];
  private writing = false;
  private closed = false;

  /** @throws Error naming the directory when it cannot be created or read */
  constructor(
    /** The directory the segment files are in. */
    readonly directory: string,
    options: StoreOptions = {},
  ) {
    this.keep = keepOf(options);
    try {
      // Snapshots hold every application's state: the user's only, as the segment files are.
      makeDirectories(directory, 0o700);
      this.segments = readdirSync(directory)
        .map((f) => SEGMENT.exec(f))
        .filter((m) => m !== null)
        .map((m) => Number(m[1]))
        .sort((a, b) => a - b)
        .map((n) => this.scan(n));
    } catch (thrown) {
      throw new Error(`snapshot directory ${directory} cannot be used (${(thrown as Error).message})`);
    }
  }

  /**
   * See {@link SnapshotStore.save}.
   *
   * @throws Error while snapshots given to {@link SegmentStore.saveAsync} are not written yet
   *   (this write would land among them)
   */
  save(bytes: Uint8Array): void {
    if (this.writing) throw new Error(`the segment store in ${this.directory} is writing snapshots saved with saveAsync; wait for them before save`);
    const full = this.check(bytes);
    if (full) this.startSegment();
    const fd = this.appendFd();
    const parts = record(bytes);
    for (const part of parts) {
      for (let done = 0; done < part.length; ) done += writeSync(fd, part, done, part.length - done);
    }
    this.appended(bytes.length);
    if (full) this.dropOldChains();
  }

  /**
   * See {@link SnapshotStore.saveAsync}: queued, and written with the snapshots queued with it
   * in one `writev` on the thread pool; resolves once that write is durable.
   */
  saveAsync(bytes: Uint8Array): Promise<void> {
    let full: boolean;
    try {
      full = this.check(bytes);
    } catch (thrown) {
      return Promise.reject(thrown as Error);
    }
    return new Promise((resolve, reject) => {
      this.queue.push({ bytes, full, done: (error) => (error === null ? resolve() : reject(error)) });
      if (!this.writing) this.writeQueued();
    });
  }

  /** See {@link SnapshotStore.newest}. */
  newest(): string[] {
    const ids: string[] = [];
    for (const s of this.segments) s.records.forEach((_, i) => ids.push(idOf(s.number, i)));
    return ids.reverse();
  }

  /** See {@link SnapshotStore.load}. */
  load(id: string): Uint8Array {
    const [number, index] = id.split("-").map(Number);
    const at = this.segments.find((s) => s.number === number)?.records[index!];
    if (at === undefined) throw new Error(`snapshot ${id} is not in ${this.directory}`);
    const fd = openSync(this.path(number!), "r");
    try {
      const out = Buffer.allocUnsafe(at.length);
      for (let done = 0; done < at.length; ) {
        const n = readSync(fd, out, done, at.length - done, at.offset + LENGTH + done);
        if (n === 0) throw new Error(`snapshot ${id} ends early in ${this.path(number!)}`);
        done += n;
      }
      return out;
    } finally {
      closeSync(fd);
    }
  }

  /** Closes the segment being appended to; a save after this throws. */
  close(): void {
    this.closed = true;
    if (this.fd !== undefined) closeSync(this.fd);
    this.fd = undefined;
  }

  /** The kind of `bytes` (true: full). @throws SnapshotError when they are not a snapshot; Error after close */
  private check(bytes: Uint8Array): boolean {
    if (this.closed) throw new Error(`the segment store in ${this.directory} is closed`);
    const full = snapshotHeader(bytes).kind === "full";
    if (!full && this.segments.length === 0) throw new Error(`a delta snapshot needs a full one before it in ${this.directory}`);
    return full;
  }

  /** Writes the queued snapshots: those up to the next full one in one write, then the rest. */
  private writeQueued(): void {
    const first = this.queue[0];
    if (first === undefined) {
      this.writing = false;
      return;
    }
    this.writing = true;
    let batch: Pending[];
    let fd: number;
    try {
      if (first.full) this.startSegment();
      fd = this.appendFd();
      let n = 1;
      while (n < this.queue.length && !this.queue[n]!.full) n++;
      batch = this.queue.splice(0, n);
    } catch (thrown) {
      this.writing = false;
      this.fail(this.queue.splice(0), thrown as Error);
      return;
    }
    const parts = batch.flatMap((p) => record(p.bytes));
    writeAll(fd, parts, (error) => {
      if (error !== null) {
        // The segment may now end in a torn record: later records must not follow it.
        this.closeFd();
        this.fail(batch, error);
      } else {
        for (const p of batch) this.appended(p.bytes.length);
        try {
          if (batch[0]!.full) this.dropOldChains();
        } catch {
          // Old chains that could not be removed are removed after the next full snapshot.
        }
        for (const p of batch) p.done(null);
      }
      this.writeQueued();
    });
  }

  private fail(batch: readonly Pending[], error: Error): void {
    for (const p of batch) p.done(error);
  }

  /** Opens a new segment for a full snapshot; its directory entry is made durable before any record goes in. */
  private startSegment(): void {
    this.closeFd();
    const number = (this.segments.at(-1)?.number ?? 0) + 1;
    this.fd = openSync(this.path(number), constants.O_WRONLY | constants.O_CREAT | constants.O_EXCL | constants.O_APPEND | constants.O_DSYNC, 0o600);
    const dir = openSync(this.directory, "r");
    try {
      fsyncSync(dir);
    } finally {
      closeSync(dir);
    }
    this.segments.push({ number, records: [], end: 0 });
  }

  /** The descriptor of the newest segment, opened (and cut after its last whole record) on first use. */
  private appendFd(): number {
    if (this.fd !== undefined) return this.fd;
    const newest = this.segments.at(-1)!;
    const fd = openSync(this.path(newest.number), constants.O_WRONLY | constants.O_APPEND | constants.O_DSYNC);
    if (fstatSync(fd).size > newest.end) {
      ftruncateSync(fd, newest.end);
      fsyncSync(fd);
    }
    this.fd = fd;
    return fd;
  }

  private closeFd(): void {
    if (this.fd !== undefined) closeSync(this.fd);
    this.fd = undefined;
  }

  /** Records a snapshot of `length` bytes as written at the end of the newest segment. */
  private appended(length: number): void {
    const newest = this.segments.at(-1)!;
    newest.records.push({ offset: newest.end, length });
    newest.end += LENGTH + length;
  }

  /** After a full snapshot: the segments of chains older than the ones kept go. */
  private dropOldChains(): void {
    const ids = this.segments.map((s) => String(s.number)).reverse();
    const old = new Set(beyondChains(ids, () => true, this.keep).map(Number));
    for (const s of this.segments.filter((s) => old.has(s.number))) rmSync(this.path(s.number), { force: true });
    this.segments.splice(0, this.segments.length, ...this.segments.filter((s) => !old.has(s.number)));
  }

  /** The records of segment `number`, read from their lengths up to the first that runs past the end. */
  private scan(number: number): Segment {
    const fd = openSync(this.path(number), "r");
    try {
      const size = fstatSync(fd).size;
      const records: Extent[] = [];
      const length = Buffer.alloc(LENGTH);
      let at = 0;
      while (at + LENGTH <= size && readSync(fd, length, 0, LENGTH, at) === LENGTH) {
        const n = length.readUInt32LE(0);
        if (at + LENGTH + n > size) break;
        records.push({ offset: at, length: n });
        at += LENGTH + n;
      }
      return { number, records, end: at };
    } finally {
      closeSync(fd);
    }
  }

  private path(number: number): string {
    return join(this.directory, `segment-${String(number).padStart(12, "0")}.ptseg`);
  }
}

function idOf(segment: number, index: number): string {
  return `${String(segment).padStart(12, "0")}-${String(index).padStart(9, "0")}`;
}

/** The parts of one record: its length, then its bytes. */
function record(bytes: Uint8Array): Uint8Array[] {
  const length = Buffer.allocUnsafe(LENGTH);
  length.writeUInt32LE(bytes.length, 0);
  return [length, bytes];
}

/** Writes `parts` to `fd` with `writev`, again for what a short write left. */
function writeAll(fd: number, parts: Uint8Array[], done: (error: Error | null) => void): void {
  fsWritev(fd, parts, (error, written) => {
    if (error !== null) return done(error);
    let left = written;
    const rest: Uint8Array[] = [];
    for (const p of parts) {
      if (left >= p.length) left -= p.length;
      else {
        rest.push(left === 0 ? p : p.subarray(left));
        left = 0;
      }
    }
    if (rest.length === 0) done(null);
    else writeAll(fd, rest, done);
  });
}
