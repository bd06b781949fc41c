/**
 * The systems on Node (the `Systems` of the package's Node entry, the CLI and the server): log
 * lines to stdout and stderr, `fromFile` generators read files, a live system's data directory
 * holds a segment store under a lock, and the live driver yields with `setImmediate`.
 */
import { FileSource } from "../engine/components/file-source.js";
import { SegmentStore } from "../state/segment-store.js";
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

/** Factories of systems. */
export const Systems = systemsOn(nodeHost);
