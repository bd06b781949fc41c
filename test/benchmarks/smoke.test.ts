/**
 * The benchmark suite still runs (`npm run bench`): the workloads that drive engine internals by
 * hand (the resume workload feeds an `Invocation` like a task runner does) or run compiled
 * modules are exercised with `--quick`, and every variant of a group must compute the same
 * checksum; the cluster benchmark (`--only cluster`) runs and prints its figures. Nothing here is
 * timed: speed is the benchmark's business, not the tests'.
 */
import { spawnSync } from "node:child_process";
import { mkdtempSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { afterAll, expect, test } from "vitest";

const ROOT = fileURLToPath(new URL("../..", import.meta.url));
const dir = mkdtempSync(join(tmpdir(), "portals-bench-smoke-"));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

interface Results {
  readonly groups: readonly { id: string; agree: boolean; rows: readonly { variant: string; rate: number; checksum: string }[] }[];
}

test("resume, portal round trips and parked snapshots run with --quick and their variants agree", () => {
  const out = join(dir, "results.json");
  const run = spawnSync(process.execPath, ["--import", "tsx", "benchmarks/main.ts", "--quick", "--only", "resume,portal-1,snapshot-parked", "--out", out], {
    cwd: ROOT,
    encoding: "utf8",
  });
  expect(run.stderr).not.toMatch(/failed/);
  expect(run.status).toBe(0);
  const results = JSON.parse(readFileSync(out, "utf8")) as Results;
  expect(results.groups.map((g) => [g.id, g.rows.map((r) => r.variant), g.agree])).toEqual([
    ["portal-1", ["portals", "native"], true],
    ["resume", ["machine", "native"], true],
    ["snapshot-parked", ["snapshot", "restore"], true],
  ]);
  for (const g of results.groups) for (const r of g.rows) expect(r.rate).toBeGreaterThan(0);
}, 300_000);

test("the cluster benchmark runs with --quick: every row has its figures, the latencies theirs", () => {
  // Its processes run the build (portals-ts/cluster), which `npm test` makes first.
  const run = spawnSync(process.execPath, ["--import", "tsx", "benchmarks/main.ts", "--quick", "--only", "cluster"], { cwd: ROOT, encoding: "utf8", timeout: 280_000 });
  expect(run.status, run.stderr).toBe(0);
  const rows = run.stdout.split("\n").filter((l) => l.startsWith("| ") && !l.startsWith("| measure"));
  const rate = (start: string): number => {
    const row = rows.find((r) => r.startsWith(`| ${start}`));
    expect(row, `a row starting "${start}" in\n${run.stdout}`).toBeDefined();
    return Number(row!.split("|")[2]!.trim().split(" ")[0]!.replace(/,/g, ""));
  };
  for (const start of ["raw JetStream", "remote stream between", "remote portal, 20,000", "the same, every round trip", "keyed count of", "keyed count as 2", "remote stream with its consumer"]) {
    expect(rate(start)).toBeGreaterThan(0);
  }
  // p50 and p99 of the portal's round trips (twice) and of an event's age (and raw JetStream's): numbers, p99 at least p50.
  const latencies = [...run.stdout.matchAll(/p50 ([\d.]+) ms, p99 ([\d.]+) ms/g)].map((m) => [Number(m[1]), Number(m[2])]);
  expect(latencies).toHaveLength(4);
  for (const [p50, p99] of latencies) {
    expect(p50).toBeGreaterThan(0);
    expect(p99).toBeGreaterThanOrEqual(p50!);
  }
  expect(run.stdout).toMatch(/the commit rule adds -?[\d.]+ ms at p50/);
}, 300_000);
