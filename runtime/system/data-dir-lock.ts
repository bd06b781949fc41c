/**
 * The lock of a live system's data directory: two systems storing checkpoints into one directory
 * would interleave their snapshot chains and lose what each was told (docs/live.md, "The data
 * directory"). `<dataDir>/LOCK` holds the owner's process id, the process's start time (Linux:
 * clock ticks after boot, from /proc) and a token of its own. A lock whose owner is gone is taken
 * over: no such process, a zombie, another process that got the pid since (its start time
 * differs), or this very pid with no live system of this process holding it (a container's
 * PID 1 restarted after a SIGKILL).
 */
import { closeSync, openSync, readFileSync, rmSync, writeSync } from "node:fs";
import type { DataDirLock } from "./host.js";

/**
 * Tokens of the locks this process holds. Process-wide on purpose: a lock is what one process
 * holds against others, and two live systems in one process must see each other's.
 */
const held = new Set<string>();

/**
 * Takes the lock of `dataDir` (which exists).
 *
 * @throws Error naming the process that holds it (this one too, for a second system in one process)
 */
export function lockDataDir(dataDir: string): DataDirLock {
  const file = `${dataDir}/LOCK`;
  const token = `${process.pid} ${startTime(process.pid) ?? "-"} ${globalThis.crypto.randomUUID()}`;
  for (let attempt = 0; attempt < 2; attempt++) {
    try {
      const fd = openSync(file, "wx", 0o600);
      try {
        writeSync(fd, token + "\n");
      } finally {
        closeSync(fd);
      }
      held.add(token);
      return {
        release: () => {
          held.delete(token);
          if (readText(file)?.trim() === token) rmSync(file, { force: true });
        },
      };
    } catch (thrown) {
      if ((thrown as NodeJS.ErrnoException).code !== "EEXIST") throw thrown;
      const existing = readText(file)?.trim() ?? "";
      const [pid, start] = existing.split(" ");
      const owner = Number(pid);
      const inUse = owner === process.pid ? held.has(existing) : Number.isSafeInteger(owner) && owner > 0 && alive(owner, start);
      if (inUse) {
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

/**
 * True when process `pid` runs and is the one that wrote the lock: where /proc tells, not a
 * zombie and started at `start` (when the lock recorded it); elsewhere, when signal 0 reaches it.
 */
function alive(pid: number, start: string | undefined): boolean {
  const stat = procStat(pid);
  // A lock without a start time (another format, or none known) is the owner's while it runs.
  if (stat !== undefined) return stat.state !== "Z" && (start === undefined || !/^\d+$/.test(start) || start === stat.start);
  try {
    process.kill(pid, 0);
    return true;
  } catch (thrown) {
    return (thrown as NodeJS.ErrnoException).code === "EPERM";
  }
}

function startTime(pid: number): string | undefined {
  return procStat(pid)?.start;
}

/** State and start time of `pid` from /proc/<pid>/stat (Linux), or `undefined` where there is none. */
function procStat(pid: number): { state: string; start: string } | undefined {
  const text = readText(`/proc/${pid}/stat`);
  if (text === undefined) return undefined;
  // The command name (2nd field) may hold spaces and parentheses: fields count from the last ")".
  const fields = text.slice(text.lastIndexOf(")") + 2).split(" ");
  return { state: fields[0]!, start: fields[19]! };
}
