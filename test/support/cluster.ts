/**
 * Runtimes of one cluster in a test's process (docs/cluster.md): `useCluster()` starts a real
 * nats-server for the test file, makes live systems linked to it as named runtimes, and closes
 * them, removes their data directories and stops the server after the tests.
 */
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, afterEach, beforeAll } from "vitest";
import { Systems, type LiveSystem, type LogWriter } from "portals-ts";
import { joinCluster, type ClusterLink } from "portals-ts/cluster";
import { killAllNats, startNats, type NatsProcess } from "./nats.js";

/** What {@link useCluster} gives a test file. */
export interface ClusterHarness {
  /** The file's nats-server (killed and restarted by tests that need it). */
  nats(): NatsProcess;
  /**
   * A live system that is runtime `name` of the cluster (checkpoints every 50 ms), with a data
   * directory when `dir` is given; the link's lines go to `log` (default: nowhere).
   */
  runtime(name: string, options?: { readonly dir?: string; readonly log?: LogWriter; readonly servers?: string }): Promise<LiveSystem>;
  /** A fresh data directory, removed after the test. */
  dataDir(): string;
  /** Until `system`'s runtime knows that runtime `owner` runs application `app` (within 10 s). */
  known(system: LiveSystem, app: string, owner: string): Promise<void>;
}

/** Registers the hooks of a test file that runs runtimes of one cluster; see {@link ClusterHarness}. */
export function useCluster(): ClusterHarness {
  let nats: NatsProcess | undefined;
  const opened: LiveSystem[] = [];
  const links = new Map<LiveSystem, ClusterLink>();
  const dirs: string[] = [];
  beforeAll(async () => {
    nats = await startNats();
  });
  afterEach(async () => {
    for (const s of opened.splice(0)) await s.close();
    for (const d of dirs.splice(0)) rmSync(d, { recursive: true, force: true });
  });
  afterAll(async () => {
    await nats?.stop();
    killAllNats();
  });
  return {
    nats: () => nats!,
    async runtime(name, options = {}) {
      const link = await joinCluster({ servers: options.servers ?? nats!.url, runtime: name, log: options.log ?? (() => {}) });
      const system = Systems.live({ log: () => {}, checkpointIntervalMs: 50, link, ...(options.dir !== undefined ? { dataDir: options.dir } : {}) });
      opened.push(system);
      links.set(system, link);
      return system;
    },
    dataDir() {
      const d = mkdtempSync(join(tmpdir(), "portals-cluster-"));
      dirs.push(d);
      return d;
    },
    known: (system, app, owner) => until(`${app} in the directory`, () => links.get(system)!.runtimeOf(app) === owner),
  };
}

/** Resolves once `done()` holds, polling every 20 ms; rejects naming `what` after `ms` milliseconds. */
export async function until(what: string, done: () => boolean, ms = 10_000): Promise<void> {
  const end = Date.now() + ms;
  while (!done()) {
    if (Date.now() > end) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 20));
  }
}
