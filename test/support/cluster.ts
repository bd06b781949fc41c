/**
 * Runtimes of one cluster in a test's process (docs/cluster.md): `useCluster()` starts a real
 * nats-server for the test file (`useCluster({ nodes: 3 })`: a JetStream cluster of three),
 * makes live systems linked to it as named runtimes, and closes them, removes their data
 * directories and stops the server after the tests.
 */
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, afterEach, beforeAll } from "vitest";
import { Systems, type LiveSystem, type LogWriter } from "portals-ts";
import { joinCluster, type ClusterLink, type Retention } from "portals-ts/cluster";
import { killAllNats, startNats, startNatsCluster, type NatsCluster, type NatsProcess } from "./nats.js";

/** What {@link useCluster} gives a test file. */
export interface ClusterHarness {
  /** The file's nats-server (killed and restarted by tests that need it); with `nodes`, none. */
  nats(): NatsProcess;
  /** The file's JetStream cluster, with `useCluster({ nodes })`. */
  natsCluster(): NatsCluster;
  /**
   * A live system that is runtime `name` of the cluster (checkpoints every 50 ms), with a data
   * directory when `dir` is given; the link's lines go to `log` (default: nowhere). Resolves once
   * the runtime's claim on its name is decided (`ClusterLink.joined`), and rejects with its
   * refusal (the system closed).
   */
  runtime(name: string, options?: RuntimeOptions): Promise<LiveSystem>;
  /** The cluster link of `system` (made by {@link ClusterHarness.runtime}). */
  link(system: LiveSystem): ClusterLink;
  /** A fresh data directory, removed after the test. */
  dataDir(): string;
  /** Until `system`'s runtime knows that runtime `owner` runs application `app` (within 10 s). */
  known(system: LiveSystem, app: string, owner: string): Promise<void>;
  /** Until `system`'s runtime knows that runtimes `owners` run the partitions of application `app`, by index (within 10 s). */
  knownPartitions(system: LiveSystem, app: string, owners: readonly string[]): Promise<void>;
}

/** Options of {@link ClusterHarness.runtime}. */
export interface RuntimeOptions {
  readonly dir?: string;
  readonly log?: LogWriter;
  /** Default: the file's server(s). */
  readonly servers?: string;
  /** `joinCluster`'s `takeOver`. */
  readonly takeOver?: boolean;
  /** `joinCluster`'s `retention`. */
  readonly retention?: Retention;
}

/**
 * Registers the hooks of a test file that runs runtimes of one cluster; see {@link ClusterHarness}.
 * With `nodes`, the cluster's NATS is a JetStream cluster of that many servers, and runtimes
 * create their streams with that many replicas.
 */
export function useCluster(options: { readonly nodes?: number } = {}): ClusterHarness {
  let nats: NatsProcess | undefined;
  let cluster: NatsCluster | undefined;
  const opened: LiveSystem[] = [];
  const links = new Map<LiveSystem, ClusterLink>();
  const dirs: string[] = [];
  beforeAll(async () => {
    if (options.nodes === undefined) nats = await startNats();
    else cluster = await startNatsCluster(options.nodes);
  }, 40_000);
  afterEach(async () => {
    for (const s of opened.splice(0)) await s.close();
    for (const d of dirs.splice(0)) rmSync(d, { recursive: true, force: true });
  });
  afterAll(async () => {
    await nats?.stop();
    await cluster?.stop();
    killAllNats();
  });
  return {
    nats: () => nats!,
    natsCluster: () => cluster!,
    async runtime(name, o = {}) {
      const link = await joinCluster({
        servers: o.servers ?? cluster?.servers ?? nats!.url,
        runtime: name,
        log: o.log ?? (() => {}),
        ...(options.nodes !== undefined ? { replicas: options.nodes } : {}),
        ...(o.takeOver === true ? { takeOver: true } : {}),
        ...(o.retention !== undefined ? { retention: o.retention } : {}),
      });
      const system = Systems.live({ log: () => {}, checkpointIntervalMs: 50, link, ...(o.dir !== undefined ? { dataDir: o.dir } : {}) });
      opened.push(system);
      links.set(system, link);
      await link.joined().catch(async (thrown: unknown) => {
        await system.close();
        throw thrown;
      });
      return system;
    },
    link: (system) => links.get(system)!,
    dataDir() {
      const d = mkdtempSync(join(tmpdir(), "portals-cluster-"));
      dirs.push(d);
      return d;
    },
    known: (system, app, owner) => until(`${app} in the directory`, () => links.get(system)!.runtimeOf(app) === owner),
    knownPartitions: (system, app, owners) => until(`the partitions of ${app} in the directory`, () => links.get(system)!.partitionsOf(app).join() === owners.join()),
  };
}

/** Resolves once `done()` holds, polling every 20 ms; rejects naming `what` after `ms` milliseconds. */
export async function until(what: string, done: () => boolean | Promise<boolean>, ms = 10_000): Promise<void> {
  const end = Date.now() + ms;
  while (!(await done())) {
    if (Date.now() > end) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 20));
  }
}
