/**
 * The lock of a live system's data directory: two systems storing checkpoints into one directory
 * would interleave their snapshot chains and lose what each was told (docs/live.md, "The data
 * directory"). `<dataDir>/LOCK` holds the owner's process id and a token of its own; a lock whose
 * process is gone (a SIGKILL) is taken over.
 */
import { closeSync, openSync, readFileSync, rmSync, writeSync } from "node:fs";

/** A held lock; `release` removes it. */
export interface DataDirLock {
  release(): void;
}

/**
 * Takes the lock of `dataDir` (which exists).
 *
 * @throws Error naming the process that holds it (this one too, for a second system in one process)
 */
export function lockDataDir(dataDir: string): DataDirLock {
  const file = `${dataDir}/LOCK`;
  const token = `${process.pid} ${globalThis.crypto.randomUUID()}`;
  for (let attempt = 0; attempt < 2; attempt++) {
    try {
      const fd = openSync(file, "wx", 0o600);
      try {
        writeSync(fd, token + "\n");
      } finally {
        closeSync(fd);
      }
      return {
        release: () => {
          if (readText(file)?.trim() === token) rmSync(file, { force: true });
        },
      };
    } catch (thrown) {
      if ((thrown as NodeJS.ErrnoException).code !== "EEXIST") throw thrown;
      const owner = Number(readText(file)?.split(" ")[0]);
      if (Number.isSafeInteger(owner) && owner > 0 && alive(owner)) {
        const who = owner === process.pid ? "another live system in this process" : `process ${owner}`;
        throw new Error(`data directory ${dataDir} is in use by ${who} (${file}); stop it first, or use another directory`);
      }
      rmSync(file, { force: true });
    }
  }
  throw new Error(`data directory ${dataDir}: its lock ${file} cannot be taken`);
}

function readText(file: string): string | undefined {
  try {
    return readFileSync(file, "utf8");
  } catch {
    return undefined;
  }
}

/** True when process `pid` runs (signal 0 checks without sending anything). */
function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (thrown) {
    return (thrown as NodeJS.ErrnoException).code === "EPERM";
  }
}
