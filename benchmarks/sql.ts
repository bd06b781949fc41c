/**
 * `npm run bench -- --only sql` (docs/sql.md): a table of portals-ts/sql against SQLite
 * (better-sqlite3, prepared statements; in memory, and a WAL file with synchronous = NORMAL)
 * and a plain `Map` (the hand-written limit), all in the same run, each engine in its own child
 * process (`sql/child.ts`):
 *
 *   1. in process: point SELECT and point upsert per second, with p50/p99 latency;
 *   2. range scans of 1,000 rows per second;
 *   3. transactions of BEGIN; UPDATE; UPDATE; COMMIT per second;
 *   4. over HTTP: `POST /v1/sql/<app>/kv` (a point SELECT) against a plain ask of the same key,
 *      `POST /v1/portals/<app>/get`, on the same server (`sql/server.ts`), load from autocannon;
 *   5. memory: RSS and heap used with 100,000 rows held.
 *
 * See benchmarks/README.md, "SQL". No build needed: the table and the benchmark's application
 * are compiled by the project's transformer into .cache/bench first. `--quick`: short
 * measurements that check the benchmark works. Exit code 1 when an engine failed, answered an
 * error, or computed a different checksum.
 */
import { spawn, spawnSync } from "node:child_process";
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { loadavg, tmpdir } from "node:os";
import { join } from "node:path";
import { compileModules, ROOT, SQL_MODULES } from "./lib/compile.js";
import { CONNECTIONS, load as loadWith, type Load } from "./lib/http-load.js";
import type { MeasuredKind, MemoryResult, SpeedResult } from "./sql/child.js";
import { SELECT } from "./sql/statements.js";

const quick = process.argv.includes("--quick");
const KINDS: readonly MeasuredKind[] = ["select", "upsert", "scan", "txn"];
const ENGINES = ["portals", "sqlite-memory", "sqlite-wal", "map"] as const;
type Engine = (typeof ENGINES)[number];
/** Rows of the table the HTTP asks read (as the in-process runs). */
const KEYS = 10_000;
const TOKEN = "sql-benchmark-token-0123456789";

/** {@link loadWith} with this benchmark's token. */
const load = (url: string, body: (i: number) => unknown, seconds: number): Promise<Load> => loadWith(url, TOKEN, body, seconds);
/** Seconds of each of the two rounds per side (sql, plain, plain, sql), after 1 s of warmup each. */
const ROUND_S = quick ? 1 : 3;

const log = (line: string): void => void process.stderr.write(line + "\n");
const errors: string[] = [];

function child(engine: Engine, what: "speed" | "memory"): unknown {
  const args = ["--expose-gc", "--import", "tsx", join(ROOT, "benchmarks/sql/child.ts"), engine, what, ...(quick ? ["--quick"] : [])];
  const run = spawnSync(process.execPath, args, { cwd: ROOT, encoding: "utf8", stdio: ["ignore", "pipe", "inherit"], maxBuffer: 1 << 24 });
  if (run.status !== 0) throw new Error(`${engine} ${what}: the child process failed (exit ${run.status ?? run.signal})`);
  return JSON.parse(run.stdout.trim().split("\n").at(-1)!) as unknown;
}

/** The mean of two rounds (rates, and p50/p99 of each round). */
function mean(a: Load, b: Load): Load {
  return { rps: (a.rps + b.rps) / 2, p50: (a.p50 + b.p50) / 2, p99: (a.p99 + b.p99) / 2, errors: a.errors + b.errors };
}

async function post(url: string, body: unknown): Promise<unknown> {
  const response = await fetch(url, { method: "POST", headers: { authorization: `Bearer ${TOKEN}`, "content-type": "application/json" }, body: JSON.stringify(body) });
  const json = (await response.json()) as unknown;
  if (!response.ok) throw new Error(`${url}: ${response.status} ${JSON.stringify(json)}`);
  return json;
}

function peakRss(pid: number): number {
  const m = /VmHWM:\s+(\d+) kB/.exec(readFileSync(`/proc/${pid}/status`, "utf8"));
  return m === null ? NaN : Number(m[1]) / 1024;
}

async function http(): Promise<{ sql: Load; plain: Load; serverRss: number }> {
  const dir = mkdtempSync(join(tmpdir(), "portals-bench-sql-server-"));
  const server = spawn(process.execPath, ["--import", "tsx", join(ROOT, "benchmarks/sql/server.ts"), join(dir, "data"), TOKEN, String(KEYS)], { cwd: ROOT, stdio: ["ignore", "pipe", "pipe"] });
  try {
    let output = "";
    const url = await new Promise<string>((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error(`the server did not listen within 60 s: ${output}`)), 60_000);
      server.stderr!.on("data", (d: Buffer) => (output += d.toString()));
      server.stdout!.on("data", (d: Buffer) => {
        output += d.toString();
        const m = /listening on (http:\/\/\S+)/.exec(output);
        if (m !== null) {
          clearTimeout(timer);
          resolve(m[1]!);
        }
      });
      server.on("exit", (code) => reject(new Error(`the server exited with ${code}: ${output}`)));
    });
    const sqlUrl = `${url}/v1/sql/sqlbench/kv`;
    const plainUrl = `${url}/v1/portals/sqlbench/get`;
    const key = (i: number): number => (i * 7919) % KEYS;
    const sqlBody = (i: number) => ({ sql: SELECT, params: [key(i)] });
    const plainBody = (i: number) => ({ key: key(i) });
    // Both answer the loaded value of the last key.
    const rows = (await post(sqlUrl, { sql: SELECT, params: [KEYS - 1] })) as { rows: number[][] };
    const plain = (await post(plainUrl, { key: KEYS - 1 })) as { reply: number };
    if (rows.rows[0]?.[0] !== 2 * (KEYS - 1) || plain.reply !== 2 * (KEYS - 1)) throw new Error(`unexpected answers: ${JSON.stringify(rows)}, ${JSON.stringify(plain)}`);
    await load(sqlUrl, sqlBody, 1);
    await load(plainUrl, plainBody, 1);
    // sql, plain, plain, sql: a slow spell of the shared machine hits both alike.
    const s1 = await load(sqlUrl, sqlBody, ROUND_S);
    const p1 = await load(plainUrl, plainBody, ROUND_S);
    const p2 = await load(plainUrl, plainBody, ROUND_S);
    const s2 = await load(sqlUrl, sqlBody, ROUND_S);
    return { sql: mean(s1, s2), plain: mean(p1, p2), serverRss: peakRss(server.pid!) };
  } finally {
    const exited = new Promise((resolve) => server.on("exit", resolve));
    server.kill("SIGTERM");
    await exited;
    rmSync(dir, { recursive: true, force: true });
  }
}

const f = (n: number, d = 0): string => (Number.isFinite(n) ? n.toLocaleString("en-US", { maximumFractionDigits: d, minimumFractionDigits: d }) : "—");
const x = (a: number, b: number): string => `${(a / b).toFixed(a / b < 0.1 ? 3 : 2)}×`;
const us = (n: number): string => (n < 10 ? f(n, 2) : n < 100 ? f(n, 1) : f(n));

const UNIT: Record<MeasuredKind, string> = {
  select: "point SELECT `SELECT v FROM kv WHERE k = $1` (statements/s)",
  upsert: "point upsert `INSERT … ON CONFLICT (k) DO UPDATE` (statements/s)",
  scan: "range scan of 1,000 rows `… WHERE k BETWEEN $1 AND $2` (scans/s)",
  txn: "BEGIN; UPDATE; UPDATE; COMMIT (transactions/s)",
};

async function main(): Promise<number> {
  const started = performance.now();
  const loadBefore = loadavg()[0]!;
  const t = performance.now();
  const compiled = await compileModules(SQL_MODULES, true);
  log(`compiled ${[...compiled.keys()].join(", ")} with the portals transformer in ${((performance.now() - t) / 1000).toFixed(1)} s`);

  const speed = {} as Record<Engine, SpeedResult>;
  const memory = {} as Record<Engine, MemoryResult>;
  for (const engine of ENGINES) {
    const t0 = performance.now();
    try {
      speed[engine] = child(engine, "speed") as SpeedResult;
    } catch (error) {
      errors.push(error instanceof Error ? error.message : String(error));
    }
    log(`${engine}: speed in ${((performance.now() - t0) / 1000).toFixed(1)} s`);
  }
  for (const engine of ENGINES) {
    try {
      memory[engine] = child(engine, "memory") as MemoryResult;
    } catch (error) {
      errors.push(error instanceof Error ? error.message : String(error));
    }
  }
  log(`memory of each engine: done`);
  let web: Awaited<ReturnType<typeof http>> | undefined;
  try {
    const t0 = performance.now();
    web = await http();
    log(`HTTP in ${((performance.now() - t0) / 1000).toFixed(1)} s`);
  } catch (error) {
    errors.push(`HTTP: ${error instanceof Error ? error.message : String(error)}`);
  }

  for (const kind of KINDS) {
    const present = ENGINES.filter((e) => speed[e] !== undefined);
    const sums = new Set(present.map((e) => speed[e][kind].checksum));
    if (sums.size > 1) errors.push(`${kind}: the engines computed different checksums: ${present.map((e) => `${e}=${speed[e][kind].checksum}`).join(", ")}`);
    for (const e of present) if (speed[e][kind].errors > 0) errors.push(`${kind}: ${e} answered ${speed[e][kind].errors} errors`);
  }

  const ours = speed.portals;
  const lines: string[] = [];
  if (ours !== undefined) {
    const cell = (e: Engine, kind: MeasuredKind): string => (speed[e] === undefined ? "—" : f(speed[e][kind].rate));
    const ratio = (e: Engine, kind: MeasuredKind): string => (speed[e] === undefined ? "—" : x(ours[kind].rate, speed[e][kind].rate));
    lines.push(
      `In process, ${f(KEYS)} rows (k integer primary key, v integer); rates per second:`,
      "",
      "| workload | portals-ts/sql | SQLite memory | SQLite WAL | Map | ours / SQLite memory | ours / SQLite WAL | ours / Map |",
      "|---|---|---|---|---|---|---|---|",
      ...KINDS.map((k) => `| ${UNIT[k]} | ${cell("portals", k)} | ${cell("sqlite-memory", k)} | ${cell("sqlite-wal", k)} | ${cell("map", k)} | ${ratio("sqlite-memory", k)} | ${ratio("sqlite-wal", k)} | ${ratio("map", k)} |`),
      "",
      "Latency of one unit, p50 / p99 in µs (portals-ts/sql: `LiveSystem.ask`, one at a time; the others: one call):",
      "",
      "| workload | portals-ts/sql | SQLite memory | SQLite WAL | Map |",
      "|---|---|---|---|---|",
      ...KINDS.map((k) => `| ${k} | ${ENGINES.map((e) => (speed[e] === undefined ? "—" : `${us(speed[e][k].p50)} / ${us(speed[e][k].p99)}`)).join(" | ")} |`),
    );
  }
  if (web !== undefined) {
    lines.push(
      "",
      `Over HTTP (the server in its own process with a data directory; autocannon, ${CONNECTIONS} connections, 2 × ${ROUND_S} s per side, in the benchmark process):`,
      "",
      "| measure | POST /v1/sql/sqlbench/kv (point SELECT) | POST /v1/portals/sqlbench/get (plain ask) | ratio |",
      "|---|---|---|---|",
      `| requests/s | ${f(web.sql.rps)} | ${f(web.plain.rps)} | ${x(web.sql.rps, web.plain.rps)} |`,
      `| p50 latency (ms) | ${f(web.sql.p50, 1)} | ${f(web.plain.p50, 1)} | ${x(web.sql.p50, Math.max(web.plain.p50, 0.001))} |`,
      `| p99 latency (ms) | ${f(web.sql.p99, 1)} | ${f(web.plain.p99, 1)} | ${x(web.sql.p99, Math.max(web.plain.p99, 0.001))} |`,
      `| errors and non-2xx | ${web.sql.errors} | ${web.plain.errors} | |`,
      `| server peak RSS (MB) | ${f(web.serverRss)} | | |`,
    );
    if (web.sql.errors + web.plain.errors > 0) errors.push(`HTTP: ${web.sql.errors} errors from /v1/sql, ${web.plain.errors} from /v1/portals`);
  }
  const mem = ENGINES.filter((e) => memory[e] !== undefined);
  if (mem.length > 0) {
    const rows = memory[mem[0]!]!.rows;
    lines.push(
      "",
      `Memory with ${f(rows)} rows held (after a full GC; "+" is the growth from the same process before loading):`,
      "",
      "| engine | RSS (MB) | + RSS (MB) | heap used (MB) | + heap (MB) | per row: + RSS / + heap (bytes) | on disk (MB) | load (rows/s) |",
      "|---|---|---|---|---|---|---|---|",
      ...mem.map((e) => {
        const m = memory[e];
        const rss = m.rssAfter - m.rssBefore;
        return `| ${e === "portals" ? "portals-ts/sql" : e} | ${f(m.rssAfter, 1)} | ${f(rss, 1)} | ${f(m.heapAfter, 1)} | ${f(m.heapAfter - m.heapBefore, 1)} | ${f((rss * 2 ** 20) / m.rows)} / ${f(((m.heapAfter - m.heapBefore) * 2 ** 20) / m.rows)} | ${m.fileBytes === undefined ? "" : f(m.fileBytes / 2 ** 20, 1)} | ${f(m.loadRate)} |`;
      }),
    );
  }
  const seconds = (performance.now() - started) / 1000;
  const load = [Number(loadBefore.toFixed(2)), Number(loadavg()[0]!.toFixed(2))];
  lines.unshift(`SQL benchmark of ${new Date().toISOString().slice(0, 10)}: Node ${process.version}; load average ${load[0]} → ${load[1]}; ${quick ? "--quick, " : ""}${Math.round(seconds)} s in all.`, "");
  process.stdout.write(lines.join("\n") + "\n");
  if (errors.length > 0) process.stdout.write(`\nErrors:\n${errors.map((e) => `- ${e}`).join("\n")}\n`);
  const out = join(ROOT, ".cache/bench/sql.json");
  mkdirSync(join(ROOT, ".cache/bench"), { recursive: true });
  writeFileSync(out, JSON.stringify({ date: new Date().toISOString(), quick, seconds, load, speed, memory, http: web ?? null, errors }, null, 2) + "\n");
  log(`results in ${out}`);
  return errors.length > 0 ? 1 : 0;
}

process.exit(await main());
