/**
 * `npm run bench -- --only server` (docs/live.md): the server over real HTTP, load from
 * autocannon, against a plain Fastify handler doing the same Map lookup, in the same run:
 *
 *   - asks: POST /v1/portals/kv/kv ({ op: "get", key }) with 64 connections; requests/s, p50,
 *     p99, and the ratios to the plain handler (targets: >= 0.8x the requests/s, p99 <= 2x);
 *   - ingestion: POST /v1/streams/kv/in with 100 events per send; events/s;
 *   - idle CPU: the server's CPU time over 5 s with nothing to do, as % of one core (target < 1%);
 *   - recovery: a server holding N keys killed with SIGKILL and started again: time until it
 *     listens and until the first ask is answered (target for 1,000,000 keys: within 1 s);
 *   - peak RSS of each server process;
 *   - the same asks in process (`Systems.live` with and without a data directory, 64 at a
 *     time), to tell the cost of HTTP from the cost of the system and of durable checkpoints.
 *
 * Needs the build (`npm run build`). `--quick`: shorter load, smaller states.
 */
import { spawn, type ChildProcess } from "node:child_process";
import { mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, statSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { pathToFileURL } from "node:url";
import { ROOT } from "./lib/compile.js";
import { CONNECTIONS, load as loadWith, type Load } from "./lib/http-load.js";

const quick = process.argv.includes("--quick");
const DURATION = quick ? 3 : 10;
const KEYS = 10_000;
const TOKEN = "benchmark-token-0123456789";

/** {@link loadWith} with this benchmark's token, for `seconds` (default {@link DURATION}). */
const load = (url: string, body: (i: number) => unknown, seconds = DURATION): Promise<Load> => loadWith(url, TOKEN, body, seconds);
const CLI = join(ROOT, "dist/runtime/cli/main.js");
const KV = readFileSync(join(ROOT, "benchmarks/server/kv.mjs"), "utf8");

interface Listening {
  readonly url: string;
  readonly child: ChildProcess;
  readonly spawnedAt: number;
  readonly listeningAt: number;
}

function listen(args: readonly string[]): Promise<Listening> {
  const spawnedAt = performance.now();
  const child = spawn(process.execPath, args, { cwd: ROOT, stdio: ["ignore", "pipe", "pipe"] });
  let output = "";
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`no "listening on" within 60 s: ${output}`)), 60_000);
    child.stderr!.on("data", (d: Buffer) => (output += d.toString()));
    child.stdout!.on("data", (d: Buffer) => {
      output += d.toString();
      const m = /listening on (http:\/\/\S+)/.exec(output);
      if (m !== null) {
        clearTimeout(timer);
        resolve({ url: m[1]!, child, spawnedAt, listeningAt: performance.now() });
      }
    });
    child.on("exit", (code) => reject(new Error(`exited with ${code}: ${output}`)));
  });
}

function serve(dataDir: string): Promise<Listening> {
  return listen([CLI, "serve", "--port", "0", "--data-dir", dataDir, "--token", TOKEN]);
}

async function stop(l: Listening, signal: NodeJS.Signals = "SIGTERM"): Promise<void> {
  const exited = new Promise((resolve) => l.child.on("exit", resolve));
  l.child.kill(signal);
  await exited;
}

async function post(url: string, body: unknown, type = "application/json"): Promise<unknown> {
  const response = await fetch(url, { method: "POST", headers: { authorization: `Bearer ${TOKEN}`, "content-type": type }, body: typeof body === "string" ? body : JSON.stringify(body) });
  const json = (await response.json()) as unknown;
  if (!response.ok) throw new Error(`${url}: ${response.status} ${JSON.stringify(json)}`);
  return json;
}

/** CPU time (user + system) of process `pid`, in seconds. */
function cpuSeconds(pid: number): number {
  const fields = readFileSync(`/proc/${pid}/stat`, "utf8").split(") ")[1]!.split(" ");
  return (Number(fields[11]) + Number(fields[12])) / 100;
}

/** Peak resident memory of process `pid`, in MB. */
function peakRss(pid: number): number {
  const m = /VmHWM:\s+(\d+) kB/.exec(readFileSync(`/proc/${pid}/status`, "utf8"));
  return m === null ? NaN : Number(m[1]) / 1024;
}

const ask = (i: number) => ({ op: "get", key: i % KEYS });
const log = (line: string): void => void process.stderr.write(line + "\n");

async function main(): Promise<void> {
  const scratch = mkdtempSync(join(tmpdir(), "portals-bench-server-"));
  try {
    log("plain Fastify handler…");
    const plain = await listen([join(ROOT, "benchmarks/server/plain.mjs")]);
    await load(`${plain.url}/v1/portals/kv/kv`, ask, 1);
    const plainAsks = await load(`${plain.url}/v1/portals/kv/kv`, ask);
    const plainRss = peakRss(plain.child.pid!);
    await stop(plain);

    log("portals serve…");
    const server = await serve(join(scratch, "asks"));
    await post(`${server.url}/v1/deployments`, KV, "application/javascript");
    await post(`${server.url}/v1/streams/kv/in`, Array.from({ length: KEYS }, (_, k) => [k, k * 2]));
    await load(`${server.url}/v1/portals/kv/kv`, ask, 1);
    const asks = await load(`${server.url}/v1/portals/kv/kv`, ask);
    log("ingestion…");
    const ingestion = await load(`${server.url}/v1/streams/kv/in`, (i) => Array.from({ length: 100 }, (_, j) => [(i * 100 + j) % KEYS, i]));
    log("idle…");
    await new Promise((r) => setTimeout(r, 2000));
    const cpuBefore = cpuSeconds(server.child.pid!);
    await new Promise((r) => setTimeout(r, 5000));
    const idleCpu = ((cpuSeconds(server.child.pid!) - cpuBefore) / 5) * 100;
    const serverRss = peakRss(server.child.pid!);
    await stop(server);

    log("in process…");
    const inProcess = { durable: await asksInProcess(join(scratch, "in-process")), memory: await asksInProcess(undefined) };

    const recoveries: { keys: number; listenMs: number; answerMs: number; snapshotMb: number }[] = [];
    for (const keys of quick ? [10_000, 100_000] : [10_000, 100_000, 1_000_000]) {
      log(`recovery with ${keys.toLocaleString("en-US")} keys…`);
      const dir = join(scratch, `recovery-${keys}`);
      const first = await serve(dir);
      await post(`${first.url}/v1/deployments`, KV, "application/javascript");
      for (let start = 0; start < keys; start += 10_000) {
        await post(`${first.url}/v1/streams/kv/in`, Array.from({ length: Math.min(10_000, keys - start) }, (_, j) => [start + j, j]));
      }
      // A full snapshot of the whole state (a clean stop takes one), then a kill of the next run.
      await stop(first);
      const warm = await serve(dir);
      await post(`${warm.url}/v1/portals/kv/kv`, { op: "put", key: 0, value: 1 });
      await stop(warm, "SIGKILL");
      const again = await serve(dir);
      const reply = (await post(`${again.url}/v1/portals/kv/kv`, { op: "get", key: keys - 1 })) as { reply: unknown };
      const answeredAt = performance.now();
      if (reply.reply !== (keys - 1) % 10_000) throw new Error(`restored value of key ${keys - 1}: ${JSON.stringify(reply)}`);
      const snapshotMb = duBytes(join(dir, "snapshots")) / 1e6;
      recoveries.push({ keys, listenMs: again.listeningAt - again.spawnedAt, answerMs: answeredAt - again.spawnedAt, snapshotMb });
      await stop(again);
    }

    const f = (n: number, d = 0): string => n.toLocaleString("en-US", { maximumFractionDigits: d, minimumFractionDigits: d });
    const lines = [
      "| measure | portals serve | plain Fastify handler | ratio |",
      "|---|---|---|---|",
      `| asks, requests/s (${CONNECTIONS} connections, ${DURATION} s) | ${f(asks.rps)} | ${f(plainAsks.rps)} | ${(asks.rps / plainAsks.rps).toFixed(2)}× |`,
      `| asks, p50 latency (ms) | ${f(asks.p50, 1)} | ${f(plainAsks.p50, 1)} | ${(asks.p50 / Math.max(plainAsks.p50, 0.001)).toFixed(2)}× |`,
      `| asks, p99 latency (ms) | ${f(asks.p99, 1)} | ${f(plainAsks.p99, 1)} | ${(asks.p99 / Math.max(plainAsks.p99, 0.001)).toFixed(2)}× |`,
      `| errors and non-2xx | ${asks.errors} | ${plainAsks.errors} | |`,
      `| ingestion, events/s (100 per send) | ${f(ingestion.rps * 100)} | | |`,
      `| ingestion, p99 per send (ms) | ${f(ingestion.p99, 1)} | | |`,
      `| idle CPU (% of a core, 5 s) | ${idleCpu.toFixed(2)} | | |`,
      `| asks in process, 64 at a time: with a data dir / without (asks/s) | ${f(inProcess.durable)} / ${f(inProcess.memory)} | | |`,
      `| peak RSS (MB) | ${f(serverRss)} | ${f(plainRss)} | |`,
      ...recoveries.map((r) => `| restart after SIGKILL, ${f(r.keys)} keys (${r.snapshotMb.toFixed(1)} MB of snapshots): listening / first answer (ms) | ${f(r.listenMs)} / ${f(r.answerMs)} | | |`),
    ];
    process.stdout.write(lines.join("\n") + "\n");
    const out = join(ROOT, ".cache/bench/server.json");
    mkdirSync(join(ROOT, ".cache/bench"), { recursive: true });
    writeFileSync(out, JSON.stringify({ date: new Date().toISOString(), quick, asks, plainAsks, ingestion, idleCpu, serverRss, plainRss, inProcess, recoveries }, null, 2) + "\n");
    log(`results in ${out}`);
  } finally {
    rmSync(scratch, { recursive: true, force: true });
  }
}

/** Asks per second of 64 callers asking in a loop in this process, for `DURATION` seconds. */
async function asksInProcess(dataDir: string | undefined): Promise<number> {
  const { Systems } = (await import(pathToFileURL(join(ROOT, "dist/runtime/index.js")).href)) as typeof import("../runtime/index.js");
  const kv = ((await import(pathToFileURL(join(ROOT, "benchmarks/server/kv.mjs")).href)) as { default: import("../runtime/index.js").Application }).default;
  const system = Systems.live({ log: () => {}, ...(dataDir !== undefined ? { dataDir } : {}) });
  system.launch(kv);
  let n = 0;
  const until = performance.now() + DURATION * 1000;
  await Promise.all(
    Array.from({ length: CONNECTIONS }, async (_, c) => {
      while (performance.now() < until) {
        await system.ask("/kv/portals/kv", ask(c));
        n++;
      }
    }),
  );
  await system.close();
  return n / DURATION;
}

/** Bytes of the files in `dir`. */
function duBytes(dir: string): number {
  return readdirSync(dir).reduce((sum, f) => sum + statSync(join(dir, f)).size, 0);
}

await main();
