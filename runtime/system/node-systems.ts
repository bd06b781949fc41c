/**
 * The systems on Node (the `Systems` of the package's Node entry, the CLI and the server): log
 * lines to stdout and stderr, `fromFile` generators read files, a live system's data directory
 * holds a segment store under a lock, the live driver yields with `setImmediate`, and snapshots
 * are hashed by node:crypto.
 */
import { createHash } from "node:crypto";
import { FileSource } from "../engine/components/file-source.js";
import { SegmentStore } from "../state/segment-store.js";
import { useSha256 } from "../state/snapshot-format.js";
import { lockDataDir } from "./data-dir-lock.js";
import { defaultLog } from "./default-log.js";
import type { Host } from "./host.js";
import { systemsOn } from "./systems.js";

const nodeHost: Host = {
  log: defaultLog,
  openFile: (path, file, atomSize, write) => new FileSource(path, file, atomSize, write),
  openDataDir: (dataDir) => {
    // The store makes the directories and only reads until its first append, which the lock guards.
    const store = new SegmentStore(`${dataDir}/snapshots`);
    return { store, lock: lockDataDir(dataDir) };
  },
  // The check phase: after every I/O callback that is ready now, so a burst of requests is all
  // queued before the driver steps again, and one batch and one checkpoint serve it.
  nextTurn: (resume) => setImmediate(resume),
};

// The same digest as the portable one, several times faster (state/snapshot-format.ts).
useSha256((bytes) => createHash("sha256").update(bytes).digest());

/** Factories of systems. */
export const Systems = systemsOn(nodeHost);
