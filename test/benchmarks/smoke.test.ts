/**
 * The benchmark suite still runs (`npm run bench`): the workloads that drive engine internals by
 * hand (the resume workload feeds an `Invocation` like a task runner does) or run compiled
 * modules are exercised with `--quick`, and every variant of a group must compute the same
 * checksum. Nothing here is timed: speed is the benchmark's business, not the tests'.
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
