/**
 * A real `nats-server` with JetStream for tests: on an ephemeral loopback port with a
 * temporary store directory; `kill()` ends it with SIGKILL, `restart()` starts it again on the
 * same port and store (what a crashed server does when it comes back). `startNatsCluster()`
 * starts three of them as one JetStream cluster (docs/cluster.md, "Failures").
 */
import { spawn, type ChildProcess } from "node:child_process";
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { createServer } from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";

/** A running nats-server. */
export interface NatsProcess {
  /** `nats://127.0.0.1:<port>`. */
  readonly url: string;
  /** Ends it with SIGKILL and waits. */
  kill(): Promise<void>;
  /** Starts it again on the same port and store directory; resolves once it listens. */
  restart(): Promise<void>;
  /** Stops it with SIGSTOP: its connections stay open and nothing is answered, as a server that hangs. */
  freeze(): void;
  /** Lets a frozen server go on (SIGCONT). */
  thaw(): void;
  /** Ends it with SIGTERM (after SIGCONT, if frozen), waits, and removes its store directory. */
  stop(): Promise<void>;
}

const running = new Set<ChildProcess>();

/** Kills every nats-server the tests left running (call from afterAll). */
export function killAllNats(): void {
  for (const child of running) child.kill("SIGKILL");
  running.clear();
}

/** Starts `nats-server -js` on a free loopback port with a fresh store; resolves once it listens (within 10 s). */
export async function startNats(): Promise<NatsProcess> {
  const store = mkdtempSync(join(tmpdir(), "portals-nats-"));
  const first = await launch(["-js", "-a", "127.0.0.1", "-p", "-1", "-sd", store]);
  const port = first.port;
  return controlled(`nats://127.0.0.1:${port}`, first.child, () => launch(["-js", "-a", "127.0.0.1", "-p", String(port), "-sd", store]), store);
}

/**
 * Starts `nats-server -c` with the configuration `config` (its text; a `-1` port takes a free
 * one); resolves once it listens. `stop()` removes the file's directory.
 */
export async function startNatsConfig(config: string): Promise<NatsProcess> {
  const dir = mkdtempSync(join(tmpdir(), "portals-nats-conf-"));
  const file = join(dir, "nats.conf");
  writeFileSync(file, config);
  const first = await launch(["-c", file]);
  return controlled(`nats://127.0.0.1:${first.port}`, first.child, () => launch(["-c", file]), dir);
}

/** A node of a {@link NatsCluster}: a {@link NatsProcess} with its server name. */
export interface NatsNode extends NatsProcess {
  /** `n1`, `n2`, …: what JetStream names it (a stream's `cluster.leader`). */
  readonly name: string;
}

/** Nodes of one JetStream cluster on loopback. */
export interface NatsCluster {
  /** Every node's URL, separated by commas (what `joinCluster({ servers })` takes). */
  readonly servers: string;
  readonly nodes: readonly NatsNode[];
  /** The node named `name`. */
  node(name: string): NatsNode;
  /**
   * The name of the node that leads the JetStream meta group (which places streams and
   * consumers), as a running node's monitoring (`/jsz`) says; `undefined` during an election.
   */
  metaLeader(): Promise<string | undefined>;
  /**
   * Resolves once every node says it is healthy (`/healthz`: it knows the meta leader and its
   * JetStream is current): after a restart, before another node may be lost. Rejects after `ms`
   * (default 30 s).
   */
  settled(ms?: number): Promise<void>;
  /** Stops every node (SIGTERM) and removes their stores and configuration. */
  stop(): Promise<void>;
}

/**
 * Starts `size` nats-servers (default 3) named n1…n<size> as one JetStream cluster: client and
 * route ports free on loopback, a store directory each, configuration files in a temporary
 * directory; resolves once every node is healthy (a meta leader was elected), within 30 s.
 */
export async function startNatsCluster(size = 3): Promise<NatsCluster> {
  const dir = mkdtempSync(join(tmpdir(), "portals-nats-cluster-"));
  // Taken at once, so that no two are the same.
  const ports = await freePorts(3 * size);
  const [clientPorts, routePorts, monitorPorts] = [0, 1, 2].map((k) => ports.slice(k * size, (k + 1) * size)) as [number[], number[], number[]];
  const routes = routePorts.map((p) => `"nats-route://127.0.0.1:${p}"`).join(", ");
  const configs = clientPorts.map((port, i) => {
    const name = `n${i + 1}`;
    const store = join(dir, name);
    mkdirSync(store);
    const file = join(dir, `${name}.conf`);
    const config = [
      `server_name: ${name}`,
      `listen: "127.0.0.1:${port}"`,
      `http: "127.0.0.1:${monitorPorts[i]}"`,
      `jetstream { store_dir: ${JSON.stringify(store)} }`,
      `cluster { name: portals-test, listen: "127.0.0.1:${routePorts[i]}", routes: [${routes}] }`,
    ];
    writeFileSync(file, config.join("\n") + "\n");
    return { name, port, file, monitor: monitorPorts[i]! };
  });
  const nodes: NatsNode[] = [];
  try {
    for (const c of configs) {
      const start = () => launch(["-c", c.file]);
      nodes.push({ name: c.name, ...controlled(`nats://127.0.0.1:${c.port}`, (await start()).child, start) });
    }
    const monitored = async <T>(node: (typeof configs)[number], path: string): Promise<T | undefined> =>
      (await fetch(`http://127.0.0.1:${node.monitor}${path}`, { signal: AbortSignal.timeout(1000) }).then((r) => r.json(), () => undefined)) as T | undefined;
    const cluster: NatsCluster = {
      servers: nodes.map((n) => n.url).join(","),
      nodes,
      node: (name) => nodes.find((n) => n.name === name) ?? noNode(name),
      async metaLeader() {
        // A node that has just started knows no leader yet: the first that knows one.
        for (const c of configs) {
          const leader = (await monitored<{ meta_cluster?: { leader?: string } }>(c, "/jsz"))?.meta_cluster?.leader;
          if (leader) return leader;
        }
        return undefined;
      },
      async settled(ms = 30_000) {
        const end = Date.now() + ms;
        for (;;) {
          const health = await Promise.all(configs.map((c) => monitored<{ status?: string; error?: string }>(c, "/healthz")));
          if (health.every((h) => h?.status === "ok")) return;
          if (Date.now() > end) throw new Error(`the NATS cluster did not settle within ${ms} ms: ${JSON.stringify(health)}`);
          await new Promise((r) => setTimeout(r, 200));
        }
      },
      async stop() {
        for (const n of nodes) await n.stop();
        rmSync(dir, { recursive: true, force: true });
      },
    };
    await cluster.settled();
    return cluster;
  } catch (thrown) {
    for (const n of nodes) await n.kill();
    rmSync(dir, { recursive: true, force: true });
    throw thrown;
  }
}

function noNode(name: string): never {
  throw new Error(`no node ${name}`);
}

/** `count` ports free on loopback now (taken by nothing until the servers bind them, in a test's short window). */
export async function freePorts(count: number): Promise<number[]> {
  const servers = await Promise.all(
    Array.from({ length: count }, () => new Promise<ReturnType<typeof createServer>>((resolve) => {
      const s = createServer();
      s.listen(0, "127.0.0.1", () => resolve(s));
    })),
  );
  const ports = servers.map((s) => (s.address() as { port: number }).port);
  await Promise.all(servers.map((s) => new Promise((r) => s.close(r))));
  return ports;
}

/** A {@link NatsProcess} over `child`, started again by `start`; `store` is removed by `stop`. */
function controlled(url: string, child: ChildProcess, start: () => Promise<{ child: ChildProcess }>, store?: string): NatsProcess {
  const exited = (c: ChildProcess): Promise<void> => new Promise((resolve) => (c.exitCode !== null || c.signalCode !== null ? resolve() : c.once("exit", () => resolve())));
  return {
    url,
    async kill() {
      child.kill("SIGKILL");
      await exited(child);
    },
    async restart() {
      ({ child } = await start());
    },
    freeze() {
      child.kill("SIGSTOP");
    },
    thaw() {
      child.kill("SIGCONT");
    },
    async stop() {
      child.kill("SIGCONT");
      child.kill("SIGTERM");
      await exited(child);
      if (store !== undefined) rmSync(store, { recursive: true, force: true });
    },
  };
}

async function launch(args: readonly string[]): Promise<{ child: ChildProcess; port: number }> {
  const child = spawn("nats-server", args, { stdio: ["ignore", "pipe", "pipe"] });
  running.add(child);
  child.on("exit", () => running.delete(child));
  let output = "";
  const listening = await new Promise<number>((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`nats-server did not start within 10 s:\n${output}`)), 10_000);
    const read = (d: Buffer): void => {
      output += d.toString();
      const m = /Listening for client connections on [\d.]+:(\d+)/.exec(output);
      if (m !== null) {
        clearTimeout(timer);
        resolve(Number(m[1]));
      }
    };
    child.stdout!.on("data", read);
    child.stderr!.on("data", read);
    child.on("error", (error) => {
      clearTimeout(timer);
      reject(new Error(`cannot start nats-server (${error.message}); install it: apt-get install -y nats-server`));
    });
    child.on("exit", (code) => {
      clearTimeout(timer);
      reject(new Error(`nats-server exited with ${code}:\n${output}`));
    });
  });
  return { child, port: listening };
}
