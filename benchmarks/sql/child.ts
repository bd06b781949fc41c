/**
 * One engine of the SQL benchmark in its own process (`benchmarks/sql.ts` starts it), so the JIT
 * state, heap and RSS of one engine never reach another:
 *
 *   node --expose-gc --import tsx benchmarks/sql/child.ts <engine> <speed|memory> [--quick]
 *
 * Engines: `portals` (the table of portals-ts/sql, compiled), `sqlite-memory` and `sqlite-wal`
 * (better-sqlite3, prepared statements), `map` (a plain `Map`: the hand-written limit). Prints
 * one line of JSON on stdout: a {@link SpeedResult} or a {@link MemoryResult}.
 */
import { mkdtempSync, rmSync, statSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import Database from "better-sqlite3";
import { Systems } from "portals-ts";
import type { SqlReply, SqlRequest } from "portals-ts/sql";
import { importCompiled } from "../lib/compile.js";
import { quantile, sorted } from "../lib/latency.js";
import type * as Ops from "./ops.js";
import { SCAN, SELECT, statement, txnKeys, UPDATE, UPSERT } from "./statements.js";

export const KINDS = ["select", "upsert", "scan", "txn"] as const;
export type MeasuredKind = (typeof KINDS)[number];

/** Rate of one kind of unit (statement, scan, transaction), its latency, and what it computed. */
export interface Measure {
  /** Units per second (median sample). */
  readonly rate: number;
  /** Latency of one unit, µs. */
  readonly p50: number;
  readonly p99: number;
  /** Units whose latency was measured. */
  readonly latencySamples: number;
  /** Of the first pass over a freshly loaded table: sum of the values answered, or rows changed. */
  readonly checksum: number;
  /** Statements answered with an error (must be 0). */
  readonly errors: number;
}

export type SpeedResult = Record<MeasuredKind, Measure>;

export interface MemoryResult {
  readonly rows: number;
  /** After a full GC, MB, before loading and with the rows held. */
  readonly rssBefore: number;
  readonly rssAfter: number;
  readonly heapBefore: number;
  readonly heapAfter: number;
  /** Database files on disk (sqlite-wal), bytes. */
  readonly fileBytes?: number;
  /** Rows loaded per second. */
  readonly loadRate: number;
}

const [engine, what] = process.argv.slice(2);
const quick = process.argv.includes("--quick");

/** Rows of the table in the speed runs (keys 0 … KEYS − 1, v = 2k). */
export const KEYS = 10_000;
/** Rows of a range scan. */
export const SCAN_ROWS = 1_000;
/** Rows of the memory runs. */
export const MEMORY_ROWS = quick ? 20_000 : 100_000;

/** Units per pass of the portals engine (a fresh test system per pass) and per sample of the others. */
const UNITS: Record<MeasuredKind, number> = quick ? { select: 5_000, upsert: 5_000, scan: 10, txn: 2_000 } : { select: 20_000, upsert: 20_000, scan: 40, txn: 10_000 };
/** Units asked at once by the driver: one atom of the source. */
const ATOM: Record<MeasuredKind, number> = { select: 1_000, upsert: 1_000, scan: 10, txn: 1_000 };
/** Timed passes after one warmup (portals); at least this many samples and `MIN_MS` (others). */
const PASSES = quick ? 1 : 3;
const MIN_MS = quick ? 100 : 400;
const SAMPLE_MS = quick ? 10 : 40;
/** Latency: units asked one at a time, at most this many and for at most `LATENCY_MS`. */
const LATENCY_UNITS = quick ? 300 : 3_000;
const LATENCY_MS = quick ? 300 : 1_000;
const WARMUP_ASKS: Record<MeasuredKind, number> = quick ? { select: 200, upsert: 200, scan: 5, txn: 50 } : { select: 3_000, upsert: 3_000, scan: 20, txn: 800 };

const ops = await importCompiled<typeof Ops>("benchmarks/sql/ops.ts");
const mb = (bytes: number): number => bytes / 2 ** 20;

function gc(): void {
  const collect = (globalThis as { gc?: () => void }).gc;
  if (collect === undefined) throw new Error("run with node --expose-gc");
  collect();
  collect();
}

const median = (xs: readonly number[]): number => sorted(xs)[Math.floor((xs.length - 1) / 2)]!;

/** Latency percentiles in µs of `ms` samples. */
function percentiles(ms: readonly number[]): { p50: number; p99: number; latencySamples: number } {
  const s = sorted(ms);
  return { p50: quantile(s, 0.5) * 1000, p99: quantile(s, 0.99) * 1000, latencySamples: s.length };
}

// ---------------------------------------------------------------------------------------------
// portals-ts/sql

/** One pass: a fresh test system loads the table, then runs `units` of `kind`, `atom` at a time. */
function portalsPass(kind: MeasuredKind | "none", load: number, units: number, atom: number): { rate: number; checksum: number; errors: number; loadRate: number } {
  ops.resetStamps(units);
  const started = performance.now();
  const system = Systems.test({ seed: 1, log: () => {} });
  system.launch(ops.sqlApp({ driver: { kind, load, count: units, atom, keys: KEYS, scanRows: SCAN_ROWS } }));
  system.stepUntilComplete();
  const s = ops.stamps;
  if (s.done !== units || s.loaded !== load) throw new Error(`${kind}: ${s.done} of ${units} units answered, ${s.loaded} of ${load} rows loaded`);
  const loadMs = (units === 0 ? performance.now() : s.start) - started;
  return { rate: units / ((s.end - s.start) / 1000), checksum: s.checksum, errors: s.errors, loadRate: load / (loadMs / 1000) };
}

/** Latency of each kind through `LiveSystem.ask`, one unit at a time. */
async function portalsLatency(): Promise<Record<MeasuredKind, { p50: number; p99: number; latencySamples: number; errors: number }>> {
  ops.resetStamps(0);
  const system = Systems.live({ log: () => {} });
  system.launch(ops.sqlApp({ driver: { kind: "none", load: KEYS, count: 0, atom: 1_000, keys: KEYS, scanRows: SCAN_ROWS } }));
  while (ops.stamps.loaded < KEYS) await new Promise((r) => setTimeout(r, 5));
  let errors = 0;
  const ask = async (request: SqlRequest): Promise<void> => {
    const reply = (await system.ask("/sqlbench/portals/kv", request)) as SqlReply;
    if ("error" in reply) errors++;
  };
  const unit: Record<MeasuredKind, (j: number) => Promise<void>> = {
    select: (j) => ask(statement("select", j, KEYS, SCAN_ROWS)),
    upsert: (j) => ask(statement("upsert", j, KEYS, SCAN_ROWS)),
    scan: (j) => ask(statement("scan", j, KEYS, SCAN_ROWS)),
    txn: async (j) => {
      const session = `l${j}`;
      const [a, b] = txnKeys(j, KEYS);
      await ask({ sql: "BEGIN", session });
      await ask({ sql: UPDATE, params: [a], session });
      await ask({ sql: UPDATE, params: [b], session });
      await ask({ sql: "COMMIT", session });
    },
  };
  const out = {} as Record<MeasuredKind, { p50: number; p99: number; latencySamples: number; errors: number }>;
  for (const kind of KINDS) {
    errors = 0;
    // Warm up the JIT first: the first few thousand asks are up to 10× slower at p99.
    for (let j = 0; j < WARMUP_ASKS[kind]; j++) await unit[kind](j);
    const ms: number[] = [];
    const until = performance.now() + LATENCY_MS;
    for (let i = 0; i < LATENCY_UNITS && performance.now() < until; i++) {
      const t = performance.now();
      await unit[kind](WARMUP_ASKS[kind] + i);
      ms.push(performance.now() - t);
    }
    out[kind] = { ...percentiles(ms), errors };
  }
  await system.close();
  return out;
}

async function portalsSpeed(): Promise<SpeedResult> {
  const out = {} as Record<MeasuredKind, Measure>;
  for (const kind of KINDS) {
    const warm = portalsPass(kind, KEYS, UNITS[kind], ATOM[kind]);
    const rates = Array.from({ length: PASSES }, () => portalsPass(kind, KEYS, UNITS[kind], ATOM[kind]).rate);
    out[kind] = { rate: median(rates), p50: NaN, p99: NaN, latencySamples: 0, checksum: warm.checksum, errors: warm.errors };
  }
  const latency = await portalsLatency();
  for (const kind of KINDS) out[kind] = { ...out[kind], ...latency[kind], errors: out[kind].errors + latency[kind].errors };
  return out;
}

// ---------------------------------------------------------------------------------------------
// Synchronous baselines: SQLite and Map

/** A synchronous engine: `load` fills a fresh table of `rows` rows; `unit(kind, j)` runs one unit and returns its checksum part. */
interface SyncEngine {
  load(rows: number): void;
  unit(kind: MeasuredKind, j: number): number;
  close(): void;
}

function sqliteEngine(wal: boolean): SyncEngine & { fileBytes(): number } {
  const dir = wal ? mkdtempSync(join(tmpdir(), "portals-bench-sql-")) : undefined;
  const db = new Database(dir === undefined ? ":memory:" : join(dir, "kv.db"));
  if (wal) {
    db.pragma("journal_mode = WAL");
    db.pragma("synchronous = NORMAL");
  }
  db.exec("CREATE TABLE kv (k INTEGER PRIMARY KEY, v INTEGER)");
  // The statements of ops.ts with SQLite's placeholders (`?`); `raw()`: rows as arrays, as the table answers them.
  const select = db.prepare(SELECT.replace("$1", "?")).raw();
  const upsert = db.prepare(UPSERT.replace("$1", "?").replace("$2", "?"));
  const scan = db.prepare(SCAN.replace("$1", "?").replace("$2", "?")).raw();
  const update = db.prepare(UPDATE.replace("$1", "?"));
  const begin = db.prepare("BEGIN");
  const commit = db.prepare("COMMIT");
  const loadAll = db.transaction((rows: number) => {
    for (let k = 0; k < rows; k++) upsert.run(k, 2 * k);
  });
  return {
    load(rows) {
      db.exec("DELETE FROM kv");
      loadAll(rows);
    },
    unit(kind, j) {
      switch (kind) {
        case "select":
        case "upsert":
        case "scan": {
          const { params } = statement(kind, j, KEYS, SCAN_ROWS);
          if (kind === "upsert") return upsert.run(...params!).changes;
          const rows = (kind === "select" ? [select.get(...params!)] : scan.all(...params!)) as number[][];
          let sum = 0;
          for (const row of rows) for (const value of row) sum += value;
          return sum;
        }
        case "txn": {
          const [a, b] = txnKeys(j, KEYS);
          begin.run();
          const n = update.run(a).changes + update.run(b).changes;
          commit.run();
          return n;
        }
      }
    },
    close() {
      db.close();
      if (dir !== undefined) rmSync(dir, { recursive: true, force: true });
    },
    fileBytes() {
      if (dir === undefined) return 0;
      let n = 0;
      for (const f of ["kv.db", "kv.db-wal", "kv.db-shm"]) {
        try {
          n += statSync(join(dir, f)).size;
        } catch {
          // not there
        }
      }
      return n;
    },
  };
}

function mapEngine(): SyncEngine {
  let map = new Map<number, number>();
  return {
    load(rows) {
      map = new Map();
      for (let k = 0; k < rows; k++) map.set(k, 2 * k);
    },
    unit(kind, j) {
      switch (kind) {
        case "select":
          return map.get((j * 7919) % KEYS)!;
        case "upsert":
          map.set((j * 7919) % KEYS, j);
          return 1;
        case "scan": {
          const lo = ((j * 7919) % KEYS) % (KEYS - SCAN_ROWS + 1);
          let sum = 0;
          for (let k = lo; k < lo + SCAN_ROWS; k++) {
            const v = map.get(k);
            if (v !== undefined) sum += k + v;
          }
          return sum;
        }
        case "txn": {
          const [a, b] = txnKeys(j, KEYS);
          map.set(a, map.get(a)! + 1);
          map.set(b, map.get(b)! + 1);
          return 2;
        }
      }
    },
    close() {},
  };
}

function syncSpeed(e: SyncEngine): SpeedResult {
  const out = {} as Record<MeasuredKind, Measure>;
  for (const kind of KINDS) {
    e.load(KEYS);
    const n = UNITS[kind];
    let checksum = 0;
    const first = performance.now();
    for (let j = 0; j < n; j++) checksum += e.unit(kind, j);
    // Samples of ~SAMPLE_MS each (from the first pass's speed), until MIN_MS and PASSES + 2 samples.
    const batch = Math.max(10, Math.round((n * SAMPLE_MS) / Math.max(performance.now() - first, 0.01)));
    const rates: number[] = [];
    const until = performance.now() + MIN_MS;
    let sink = 0;
    // Unit numbers go on from sample to sample: an upsert always writes a new value (SQLite
    // skips writing a row rewritten with the bytes it has).
    let j = n;
    while (rates.length < PASSES + 2 || performance.now() < until) {
      const t = performance.now();
      for (const end = j + batch; j < end; j++) sink += e.unit(kind, j);
      rates.push(batch / ((performance.now() - t) / 1000));
    }
    // Latency: each unit timed on its own (performance.now() costs ~0.03–0.05 µs of it).
    const ms: number[] = [];
    const latencyUntil = performance.now() + LATENCY_MS;
    for (let i = 0; i < 50_000 && (i < 100 || performance.now() < latencyUntil); i++, j++) {
      const t = performance.now();
      sink += e.unit(kind, j);
      ms.push(performance.now() - t);
    }
    if (sink === -1) process.stderr.write("");
    out[kind] = { rate: median(rates.slice(1)), ...percentiles(ms), checksum, errors: 0 };
  }
  return out;
}

// ---------------------------------------------------------------------------------------------
// Memory

async function memory(): Promise<MemoryResult> {
  const rows = MEMORY_ROWS;
  let keep: { close?(): void } | undefined;
  let fileBytes: number | undefined;
  let loadRate: number;
  gc();
  const before = process.memoryUsage();
  if (engine === "portals") {
    // The system stays referenced until after the measurement: its state holds the rows.
    ops.resetStamps(0);
    const system = Systems.test({ seed: 1, log: () => {} });
    const started = performance.now();
    system.launch(ops.sqlApp({ driver: { kind: "none", load: rows, count: 0, atom: 1_000, keys: rows, scanRows: SCAN_ROWS } }));
    system.stepUntilComplete();
    loadRate = rows / ((performance.now() - started) / 1000);
    if (ops.stamps.loaded !== rows) throw new Error(`${ops.stamps.loaded} of ${rows} rows loaded`);
    keep = { close: () => system.shutdown() };
  } else {
    const sqlite = engine === "map" ? undefined : sqliteEngine(engine === "sqlite-wal");
    const e = sqlite ?? mapEngine();
    const started = performance.now();
    e.load(rows);
    loadRate = rows / ((performance.now() - started) / 1000);
    if (sqlite !== undefined) fileBytes = sqlite.fileBytes();
    keep = e;
  }
  gc();
  const after = process.memoryUsage();
  const result = { rows, rssBefore: mb(before.rss), rssAfter: mb(after.rss), heapBefore: mb(before.heapUsed), heapAfter: mb(after.heapUsed), loadRate, ...(fileBytes !== undefined && engine === "sqlite-wal" ? { fileBytes } : {}) };
  keep?.close?.(); // held until here: its state is what was measured
  return result;
}

async function main(): Promise<unknown> {
  if (what === "memory") return memory();
  if (what !== "speed") throw new Error(`usage: child.ts <portals|sqlite-memory|sqlite-wal|map> <speed|memory> [--quick]`);
  switch (engine) {
    case "portals":
      return portalsSpeed();
    case "sqlite-memory":
    case "sqlite-wal": {
      const e = sqliteEngine(engine === "sqlite-wal");
      try {
        return syncSpeed(e);
      } finally {
        e.close();
      }
    }
    case "map":
      return syncSpeed(mapEngine());
    default:
      throw new Error(`unknown engine ${engine}`);
  }
}

process.stdout.write(JSON.stringify(await main()) + "\n");
process.exit(0);
