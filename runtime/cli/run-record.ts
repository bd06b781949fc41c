/**
 * What `portals run --snapshot-dir` keeps next to each snapshot so that `--restore` can tell
 * when it would continue a different run: the seed the run started with, and a fingerprint of
 * each `fromFile` input (its size and the SHA-256 of its bytes when the run started).
 *
 * A snapshot holds a `fromFile` generator's position as a byte offset. After the file changed,
 * that offset points into other data, and the restored run would go on without a word, reading
 * lines that the run never saw and skipping others. A snapshot holds the scheduler's random
 * state, so a restored run ignores `--seed`. The snapshot's manifest records neither (it records
 * the code), so the CLI writes a record of its own beside each snapshot file:
 * `<snapshot id>.run.json`, written after the snapshot and removed with it.
 *
 * A file may grow (appended lines are read after the restore); it may not change in the bytes it
 * had when the run started.
 */
import { createHash } from "node:crypto";
import { closeSync, existsSync, openSync, readdirSync, readFileSync, readSync, renameSync, rmSync, statSync, writeFileSync } from "node:fs";
import { join, resolve } from "node:path";
import type { Application } from "../api/application.js";
import type { SnapshotStore } from "../state/snapshot-store.js";
import { shown } from "./where.js";

/** One `fromFile` input as the run found it when it started. */
export interface InputFingerprint {
  /** Path of the generator that reads it. */
  readonly generator: string;
  /** The file, absolute (as the generator opens it, relative to the working directory). */
  readonly file: string;
  /** Its size in bytes. */
  readonly size: number;
  /** Hex SHA-256 of those bytes. */
  readonly sha256: string;
}

/** What a snapshot's record says about the run that took it. */
export interface RunRecord {
  /** The seed the run started with (a restored run keeps it). */
  readonly seed: number;
  /** Its `fromFile` inputs as they were when it started. */
  readonly inputs: readonly InputFingerprint[];
}

const SUFFIX = ".run.json";

/** The record of a run starting now with `seed` over `apps`: fingerprints their `fromFile` inputs. */
export function startRecord(apps: readonly Application[], seed: number): RunRecord {
  const inputs: InputFingerprint[] = [];
  for (const app of apps) {
    for (const g of app.plan.generators) {
      if (g.source.kind !== "file") continue;
      const file = resolve(g.source.file);
      // A missing file fails the launch with its own message; nothing to record.
      if (!existsSync(file)) continue;
      const size = statSync(file).size;
      inputs.push({ generator: g.path, file, size, sha256: hashPrefix(file, size) });
    }
  }
  return { seed, inputs };
}

/**
 * What changed in the inputs since `record` was made: one message per input whose file is
 * shorter now, or whose first `size` bytes differ.
 */
export function changedInputs(record: RunRecord): string[] {
  const changes: string[] = [];
  for (const input of record.inputs) {
    const size = statSync(input.file, { throwIfNoEntry: false })?.size;
    const where = `input ${shown(input.file)} of generator ${input.generator}`;
    if (size === undefined) changes.push(`${where} no longer exists`);
    else if (size < input.size) changes.push(`${where} has ${size} bytes, the run started with ${input.size}`);
    else if (hashPrefix(input.file, input.size) !== input.sha256) changes.push(`${where} changed in its first ${input.size} bytes (what the run started with)`);
  }
  return changes;
}

/** SHA-256 (hex) of the first `size` bytes of `file`. */
function hashPrefix(file: string, size: number): string {
  const hash = createHash("sha256");
  const buffer = Buffer.allocUnsafe(1 << 20);
  const fd = openSync(file, "r");
  try {
    for (let done = 0; done < size; ) {
      const read = readSync(fd, buffer, 0, Math.min(buffer.length, size - done), done);
      if (read === 0) break;
      hash.update(buffer.subarray(0, read));
      done += read;
    }
  } finally {
    closeSync(fd);
  }
  return hash.digest("hex");
}

/**
 * The record written beside snapshot `id` in `directory`, or `undefined` when there is none or
 * it cannot be read (the snapshot was taken by another program, or the process died between
 * writing the snapshot and its record).
 */
export function readRecord(directory: string, id: string): RunRecord | undefined {
  try {
    const record = JSON.parse(readFileSync(join(directory, id + SUFFIX), "utf8")) as RunRecord;
    return typeof record.seed === "number" && Array.isArray(record.inputs) ? record : undefined;
  } catch {
    return undefined;
  }
}

/**
 * A directory store that writes the run's record beside every snapshot it saves and removes the
 * records of the snapshots the store dropped.
 */
export class RecordingStore implements SnapshotStore {
  /**
   * The record of the run: set once the run has started or been restored (snapshots are taken
   * only after that); `undefined` for a run restored from a snapshot without a record, whose
   * origin is unknown, so its snapshots get none either.
   */
  record: RunRecord | undefined;

  constructor(
    private readonly store: SnapshotStore,
    private readonly directory: string,
  ) {}

  /** Saves the snapshot, then its record (written whole under a temporary name, then renamed). */
  save(bytes: Uint8Array): void {
    this.store.save(bytes);
    const ids = this.store.newest();
    if (this.record !== undefined) {
      const temporary = join(this.directory, `.${ids[0]}${SUFFIX}.tmp`);
      writeFileSync(temporary, JSON.stringify(this.record) + "\n");
      renameSync(temporary, join(this.directory, ids[0]! + SUFFIX));
    }
    const kept = new Set(ids.map((id) => id + SUFFIX));
    for (const name of readdirSync(this.directory)) {
      if (name.endsWith(SUFFIX) && !kept.has(name)) rmSync(join(this.directory, name), { force: true });
    }
  }

  /** The snapshots, newest first (records are not snapshots). */
  newest(): string[] {
    return this.store.newest();
  }

  /** The bytes of snapshot `id`. */
  load(id: string): Uint8Array {
    return this.store.load(id);
  }

  /** Closes the store. */
  close(): void {
    this.store.close();
  }
}
