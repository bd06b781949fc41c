/**
 * What a snapshot store is (docs/snapshots.md): where a system with snapshots keeps them. The
 * stores themselves (`stores.ts`, `segment-store.ts`) write files and need Node; a system only
 * needs this interface, so it runs wherever a store can be given to it (in a browser, one the
 * application brings).
 */

/** Keeps snapshots, newest last. */
export interface SnapshotStore {
  /**
   * Stores `bytes` as the newest snapshot, durably; drops the chains older than the ones kept.
   *
   * @throws SnapshotError when `bytes` is not a snapshot
   */
  save(bytes: Uint8Array): void;
  /**
   * As {@link SnapshotStore.save}, with the writes and syncs off the main thread where the
   * store can (a live system keeps stepping meanwhile). One at a time.
   */
  saveAsync?(bytes: Uint8Array): Promise<void>;
  /** Ids of the stored snapshots, newest first. */
  newest(): string[];
  /**
   * The bytes of snapshot `id`.
   *
   * @throws Error when it cannot be read
   */
  load(id: string): Uint8Array;
  /** Releases the store (an open database). */
  close(): void;
}
