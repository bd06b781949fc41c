/**
 * What a system needs of the platform it runs on. The package entry that makes the systems gives
 * it: Node's (`node-systems.ts`: files, stdout, `setImmediate`) or a browser's
 * (`browser-systems.ts`). Everything else a system runs (the engine, the drivers, the checkpoint
 * coordinator) uses no platform API, so the browser entry bundles without a Node module
 * (docs/architecture.md, "Public surface").
 */
import type { LogWriter } from "../core/log.js";
import type { OpenFile } from "../engine/components/generator.js";
import type { SnapshotStore } from "../state/snapshot-store.js";

/** A held lock of a live system's data directory; `release` gives it back. */
export interface DataDirLock {
  release(): void;
}

/** A live system's data directory, opened: the store its checkpoints go to, and its lock. */
export interface DataDir {
  readonly store: SnapshotStore;
  readonly lock: DataDirLock;
}

/** See the module header. */
export interface Host {
  /** Where log lines go when a system's options name no writer. */
  readonly log: LogWriter;
  /** Opens the files of `fromFile` generators. */
  readonly openFile: OpenFile;
  /**
   * Opens the snapshot store in the data directory of a live system and locks the directory.
   *
   * @throws Error when the directory cannot be created, another live system uses it, or the
   *   platform has no files
   */
  openDataDir(dataDir: string): DataDir;
  /**
   * Calls `resume` in a later turn of the event loop, once the I/O that is ready now has been
   * handled: where a live driver yields between batches of steps.
   */
  nextTurn(resume: () => void): void;
}
