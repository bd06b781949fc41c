/**
 * A real `portals serve` process for tests: the built CLI on an ephemeral loopback port with a
 * data directory of the test's; `stop()` ends it with SIGTERM, `kill()` with SIGKILL.
 */
import { spawn, type ChildProcess } from "node:child_process";
import { existsSync } from "node:fs";
import { join } from "node:path";
import { ROOT } from "../compiler/fixtures.js";

export const CLI = join(ROOT, "dist/runtime/cli/main.js");

/** A running server process. */
export interface ServerProcess {
  readonly url: string;
  readonly token: string;
  /** Everything it wrote, stdout and stderr. */
  readonly output: () => string;
  /** A call with the token (unless `token: null`), JSON in and out. */
  call(method: string, path: string, body?: unknown, options?: { token?: string | null; headers?: Record<string, string>; raw?: string; type?: string }): Promise<{ status: number; json: any; text: string }>;
  /** Ends it with SIGTERM (a last checkpoint) and waits. */
  stop(): Promise<void>;
  /** Ends it with SIGKILL and waits. */
  kill(): Promise<void>;
  /** Sends it `signal` (SIGSTOP: alive but hung; SIGCONT: going again). */
  signal(signal: NodeJS.Signals): void;
}

const running = new Set<ChildProcess>();

/** Kills what tests left running (call from afterAll/afterEach). */
export function killAll(): void {
  for (const child of running) child.kill("SIGKILL");
  running.clear();
}

/** Starts `portals serve --port 0 --data-dir <dataDir> [args]`; resolves once it listens (within 20 s). */
export async function startServer(dataDir: string, args: readonly string[] = []): Promise<ServerProcess> {
  if (!existsSync(CLI)) throw new Error("dist/ is not built: run `npm run build` first (npm test does)");
  const child = spawn(process.execPath, [CLI, "serve", "--port", "0", "--data-dir", dataDir, "--checkpoint-interval-ms", "200", ...args], { cwd: ROOT, stdio: ["ignore", "pipe", "pipe"] });
  running.add(child);
  let output = "";
  child.stdout!.on("data", (d: Buffer) => (output += d.toString()));
  child.stderr!.on("data", (d: Buffer) => (output += d.toString()));
  const exited = new Promise<void>((resolve) => child.on("exit", () => (running.delete(child), resolve())));
  const url = await new Promise<string>((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`the server did not start within 20 s:\n${output}`)), 20_000);
    const check = (): void => {
      const m = /listening on (http:\/\/\S+)/.exec(output);
      if (m !== null) {
        clearTimeout(timer);
        resolve(m[1]!);
      }
    };
    child.stdout!.on("data", check);
    child.on("exit", (code) => {
      clearTimeout(timer);
      reject(new Error(`the server exited with ${code}:\n${output}`));
    });
  });
  const { readFileSync } = await import("node:fs");
  const token = args.includes("--token") ? args[args.indexOf("--token") + 1]! : readFileSync(join(dataDir, "token"), "utf8").trim();
  return {
    url,
    token,
    output: () => output,
    async call(method, path, body, options = {}) {
      const headers: Record<string, string> = { ...options.headers };
      const t = options.token === undefined ? token : options.token;
      if (t !== null) headers["authorization"] = `Bearer ${t}`;
      let payload: string | undefined;
      if (options.raw !== undefined) {
        payload = options.raw;
        headers["content-type"] = options.type ?? "application/json";
      } else if (body !== undefined) {
        payload = JSON.stringify(body);
        headers["content-type"] = "application/json";
      }
      const response = await fetch(url + path, { method, headers, ...(payload !== undefined ? { body: payload } : {}), signal: AbortSignal.timeout(30_000) });
      const text = await response.text();
      let json: unknown;
      try {
        json = JSON.parse(text);
      } catch {
        json = undefined;
      }
      return { status: response.status, json, text };
    },
    async stop() {
      child.kill("SIGTERM");
      await exited;
    },
    async kill() {
      // A stopped process takes SIGKILL too.
      child.kill("SIGKILL");
      await exited;
    },
    signal(signal) {
      child.kill(signal);
    },
  };
}

/**
 * A tail (`GET /v1/streams/…`, Server-Sent Events) at `url`: the response, and `next()`, which
 * resolves with the next event's lines (comments skipped, no blank line), or `null` once the
 * response has ended.
 */
export async function tailEvents(url: string, signal?: AbortSignal): Promise<{ response: Response; next(): Promise<string | null> }> {
  const response = await fetch(url, signal === undefined ? {} : { signal });
  const reader = response.body!.getReader();
  const decoder = new TextDecoder();
  let buffered = "";
  const next = async (): Promise<string | null> => {
    for (;;) {
      const cut = buffered.indexOf("\n\n");
      if (cut >= 0) {
        const event = buffered.slice(0, cut);
        buffered = buffered.slice(cut + 2);
        if (!event.startsWith(":")) return event;
        continue;
      }
      const read = await reader.read();
      if (read.done) return null;
      buffered += decoder.decode(read.value, { stream: true });
    }
  };
  return { response, next };
}
