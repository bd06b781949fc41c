/**
 * What the tests of runtimes as processes share (`test/runtime/cluster/crash.test.ts`,
 * `workers.test.ts`): temporary directories and the end of what they started, `portals deploy`
 * of a module against a server, and the seeded schedule of their kills.
 */
import { spawn } from "node:child_process";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll } from "vitest";
import { ROOT } from "../compiler/fixtures.js";
import { killAllNats } from "./nats.js";
import { CLI, killAll, type ServerProcess } from "./server.js";

/** Resolves after `ms` milliseconds. */
export const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

/** mulberry32: numbers in [0, 1) from a seed, the same for the same seed (a kill schedule). */
export function seeded(seed: number): () => number {
  let a = seed;
  return () => {
    a = (a + 0x6d2b79f5) | 0;
    let t = Math.imul(a ^ (a >>> 15), 1 | a);
    t = (t + Math.imul(t ^ (t >>> 7), 61 | t)) ^ t;
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

/** Runs `portals deploy <module> [args]` against `server`; resolves with its exit code and output. */
export async function deployOnce(server: ServerProcess, module: string, args: readonly string[] = []): Promise<{ code: number | null; out: string; err: string }> {
  const child = spawn(process.execPath, [CLI, "deploy", module, ...args], { cwd: ROOT, env: { ...process.env, PORTALS_SERVER: server.url, PORTALS_TOKEN: server.token } });
  let [out, err] = ["", ""];
  child.stdout.on("data", (d: Buffer) => (out += d.toString()));
  child.stderr.on("data", (d: Buffer) => (err += d.toString()));
  const code = await new Promise<number | null>((resolve) => child.on("exit", resolve));
  return { code, out, err };
}

/**
 * `portals deploy <module>` against `server`, retried for up to 20 s while it fails (a runtime's
 * copy of the directory may not have the applications the module needs yet); resolves with what
 * it printed.
 */
export async function deploy(server: ServerProcess, module: string): Promise<string> {
  const end = Date.now() + 20_000;
  for (;;) {
    const { code, out, err } = await deployOnce(server, module);
    if (code === 0) return out;
    if (Date.now() > end) throw new Error(`portals deploy ${module} failed: ${err}`);
    await sleep(200);
  }
}

/**
 * Registers the end of a test file that starts servers and nats-servers: after its tests, kills
 * what is left running and removes the directories the returned function made (each a new
 * temporary directory named `<prefix>…`).
 */
export function useProcesses(prefix: string): () => string {
  const dirs: string[] = [];
  afterAll(() => {
    killAll();
    killAllNats();
    for (const d of dirs) rmSync(d, { recursive: true, force: true });
  });
  return () => {
    const d = mkdtempSync(join(tmpdir(), prefix));
    dirs.push(d);
    return d;
  };
}
