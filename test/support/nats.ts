/**
 * A real `nats-server` with JetStream for tests: on an ephemeral loopback port with a
 * temporary store directory; `kill()` ends it with SIGKILL, `restart()` starts it again on the
 * same port and store (what a crashed server does when it comes back).
 */
import { spawn, type ChildProcess } from "node:child_process";
import { mkdtempSync, rmSync } from "node:fs";
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
  /** Ends it with SIGTERM, waits, and removes its store directory. */
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
  let { child, port } = await launch(store, -1);
  const exited = (c: ChildProcess): Promise<void> => new Promise((resolve) => (c.exitCode !== null || c.signalCode !== null ? resolve() : c.once("exit", () => resolve())));
  return {
    url: `nats://127.0.0.1:${port}`,
    async kill() {
      child.kill("SIGKILL");
      await exited(child);
    },
    async restart() {
      ({ child, port } = await launch(store, port));
    },
    async stop() {
      child.kill("SIGTERM");
      await exited(child);
      rmSync(store, { recursive: true, force: true });
    },
  };
}

async function launch(store: string, port: number): Promise<{ child: ChildProcess; port: number }> {
  const child = spawn("nats-server", ["-js", "-a", "127.0.0.1", "-p", String(port), "-sd", store], { stdio: ["ignore", "pipe", "pipe"] });
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
