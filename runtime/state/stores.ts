/**
 * Snapshot stores (docs/snapshots.md): where a system with snapshots keeps them. A store keeps the
 * newest snapshots in order and drops older ones, a whole chain (a full snapshot and the deltas
 * that extend it) at a time; `newest` hands them out newest first, so a restore can skip one
 * that turns out to be damaged and take the one before.
 *
 *   - {@link DirectoryStore} (the default): one file per snapshot, written to a temporary file,
 *     fsynced, renamed into place and the directory fsynced, so a crash never leaves a
 *     half-written snapshot under a snapshot's name.
 *   - {@link SqliteStore}: rows of an SQLite database (better-sqlite3 v12), written in a
 *     transaction.
 *
 * Both need Node (files, a native module), so only the Node entry of the package exports them;
 * what a store is, `SnapshotStore`, is in `snapshot-store.ts` for every platform.
 */
import { closeSync, existsSync, fsyncSync, mkdirSync, openSync, readdirSync, readFileSync, renameSync, rmSync, writeSync } from "node:fs";
import { createRequire } from "node:module";
import { close as fsClose, fsync, open as fsOpen, rename as fsRename, write as fsWrite } from "node:fs";
import { dirname, join, resolve } from "node:path";
import { snapshotHeader } from "./snapshot-format.js";
import type { SnapshotStore } from "./snapshot-store.js";

/** Options of the stores. */
export interface StoreOptions {
  /** How many chains to keep: full snapshots, each with the deltas after it (default 2). */
  readonly keep?: number;
}

const FILE = /^snapshot-(\d{12})-(full|delta)\.ptsnap$/;

/** Snapshots as files `snapshot-<number>-<full|delta>.ptsnap` in a directory (created if missing). */
export class DirectoryStore implements SnapshotStore {
  private readonly keep: number;
  /** Number of the newest snapshot, once read from the directory. */
  private last: number | undefined;

  /** @throws Error naming the directory when it cannot be created */
  constructor(
    /** The directory the snapshot files are in. */
    readonly directory: string,
    options: StoreOptions = {},
  ) {
    this.keep = keepOf(options);
    try {
      makeDirectories(directory);
    } catch (thrown) {
      throw new Error(`snapshot directory ${directory} cannot be created (${(thrown as Error).message})`);
    }
  }

  /** See {@link SnapshotStore.save}. */
  save(bytes: Uint8Array): void {
    const { name, temporary } = this.nameFor(bytes);
    const fd = openSync(temporary, "w");
    try {
      let done = 0;
      while (done < bytes.length) done += writeSync(fd, bytes, done, bytes.length - done);
      fsyncSync(fd);
    } finally {
      closeSync(fd);
    }
    renameSync(temporary, join(this.directory, name));
    const dir = openSync(this.directory, "r");
    try {
      fsyncSync(dir);
    } finally {
      closeSync(dir);
    }
    this.saved(name);
  }

  /** See {@link SnapshotStore.saveAsync}: the same steps through the thread pool. */
  async saveAsync(bytes: Uint8Array): Promise<void> {
    const { name, temporary } = this.nameFor(bytes);
    // The callback API: fs/promises costs the main thread several times more per call.
    const fd = await call<number>((done) => fsOpen(temporary, "w", done));
    try {
      let written = 0;
      while (written < bytes.length) {
        const at = written;
        written += await call<number>((done) => fsWrite(fd, bytes, at, bytes.length - at, null, done));
      }
      await call<void>((done) => fsync(fd, done));
    } finally {
      await call<void>((done) => fsClose(fd, done));
    }
    await call<void>((done) => fsRename(temporary, join(this.directory, name), done));
    const dir = await call<number>((done) => fsOpen(this.directory, "r", done));
    try {
      await call<void>((done) => fsync(dir, done));
    } finally {
      await call<void>((done) => fsClose(dir, done));
    }
    this.saved(name);
  }

  /** The file name of the next snapshot, and the temporary file it is written to first. */
  private nameFor(bytes: Uint8Array): { name: string; temporary: string } {
    const { kind } = snapshotHeader(bytes);
    if (this.last === undefined) {
      const ids = this.newest();
      this.last = ids.length === 0 ? 0 : Number(FILE.exec(ids[0]!)![1]);
    }
    const name = `snapshot-${String(++this.last).padStart(12, "0")}-${kind}.ptsnap`;
    return { name, temporary: join(this.directory, `.${name}.tmp`) };
  }

  /** After snapshot `name` is stored: a full one starts a chain, so older chains may go. */
  private saved(name: string): void {
    if (!name.endsWith("-full.ptsnap")) return;
    for (const old of beyondChains(this.newest(), (id) => id.endsWith("-full.ptsnap"), this.keep)) rmSync(join(this.directory, old), { force: true });
  }

  /** See {@link SnapshotStore.newest}. */
  newest(): string[] {
    return readdirSync(this.directory)
      .filter((f) => FILE.test(f))
      .sort()
      .reverse();
  }

  /** See {@link SnapshotStore.load}. */
  load(id: string): Uint8Array {
    return readFileSync(join(this.directory, id));
  }

  /** Nothing to release: files are closed after each write. */
  close(): void {}
}

interface Database {
  exec(sql: string): void;
  prepare(sql: string): { run(...args: unknown[]): unknown; all(...args: unknown[]): unknown[]; get(...args: unknown[]): unknown };
  transaction<F extends (...args: any[]) => unknown>(fn: F): F;
  close(): void;
}

/**
 * Snapshots as rows of table `snapshots` in an SQLite database file.
 *
 * @throws Error when better-sqlite3 is not installed or the database cannot be opened
 */
export class SqliteStore implements SnapshotStore {
  private readonly db: Database;
  private readonly keep: number;

  constructor(
    /** The SQLite database file. */
    readonly file: string,
    options: StoreOptions = {},
  ) {
    this.keep = keepOf(options);
    let open: new (file: string) => Database;
    try {
      open = createRequire(import.meta.url)("better-sqlite3") as new (file: string) => Database;
    } catch {
      throw new Error("SqliteStore needs the package better-sqlite3 (v12 on Node 20): npm install better-sqlite3@12");
    }
    try {
      this.db = new open(file);
    } catch (thrown) {
      throw new Error(`SQLite database ${file} cannot be opened (${(thrown as Error).message})`);
    }
    this.db.exec(
      "PRAGMA journal_mode = WAL; PRAGMA synchronous = FULL; CREATE TABLE IF NOT EXISTS snapshots (seq INTEGER PRIMARY KEY, full INTEGER NOT NULL, bytes BLOB NOT NULL)",
    );
  }

  /** See {@link SnapshotStore.save}. */
  save(bytes: Uint8Array): void {
    const full = snapshotHeader(bytes).kind === "full" ? 1 : 0;
    const insert = this.db.prepare("INSERT INTO snapshots (full, bytes) VALUES (?, ?)");
    // Keep the rows from the keep-th newest full snapshot on.
    const prune = this.db.prepare("DELETE FROM snapshots WHERE seq < (SELECT MIN(seq) FROM (SELECT seq FROM snapshots WHERE full = 1 ORDER BY seq DESC LIMIT ?))");
    this.db.transaction(() => {
      insert.run(full, Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength));
      prune.run(this.keep);
    })();
  }

  /** See {@link SnapshotStore.newest}. */
  newest(): string[] {
    return (this.db.prepare("SELECT seq FROM snapshots ORDER BY seq DESC").all() as { seq: number }[]).map((r) => String(r.seq));
  }

  /** See {@link SnapshotStore.load}. */
  load(id: string): Uint8Array {
    const row = this.db.prepare("SELECT bytes FROM snapshots WHERE seq = ?").get(Number(id)) as { bytes: Buffer } | undefined;
    if (row === undefined) throw new Error(`snapshot ${id} is not in ${this.file}`);
    return row.bytes;
  }

  /** Closes the database. */
  close(): void {
    this.db.close();
  }
}

/** The ids (newest first) older than the `keep`-th newest full snapshot (shared by the stores). */
export function beyondChains(ids: readonly string[], isFull: (id: string) => boolean, keep: number): string[] {
  let fulls = 0;
  for (let i = 0; i < ids.length; i++) {
    if (isFull(ids[i]!) && ++fulls === keep) return ids.slice(i + 1);
  }
  return [];
}

/** The `keep` option, checked (shared by the stores). @throws RangeError when it is not a positive integer */
export function keepOf(options: StoreOptions): number {
  const keep = options.keep ?? 2;
  if (!Number.isSafeInteger(keep) || keep < 1) throw new RangeError(`keep must be a positive integer, got ${keep}`);
  return keep;
}

/**
 * `mkdir -p`, the new directories with `mode` (less the umask), one directory at a time from
 * the deepest one that exists: Node 20's `mkdirSync(path, { recursive: true })` never returns
 * for a path under /proc, where creating a directory fails with ENOENT.
 */
export function makeDirectories(directory: string, mode?: number): void {
  const missing: string[] = [];
  for (let d = resolve(directory); !existsSync(d); d = dirname(d)) {
    missing.unshift(d);
    if (dirname(d) === d) break;
  }
  for (const d of missing) mkdirSync(d, mode === undefined ? undefined : { mode });
}

/** The result of a Node callback-style call as a promise. */
function call<T>(start: (done: (error: NodeJS.ErrnoException | null, result?: T) => void) => void): Promise<T> {
  return new Promise<T>((resolve, reject) => start((error, result) => (error ? reject(error) : resolve(result as T))));
}
