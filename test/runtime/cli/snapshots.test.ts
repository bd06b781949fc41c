/**
 * `portals run --snapshot-dir` and `--restore` as a user runs them: how many snapshots are kept
 * (what --help says), a snapshot directory that cannot be used, the seed of a restored run,
 * inputs that changed since the snapshot's run started, and the counts of a restored run.
 */
import { appendFileSync, mkdtempSync, readdirSync, readFileSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { describe, expect, test, vi } from "vitest";
import { portals, portalsIn } from "./portals.js";

vi.setConfig({ testTimeout: 60_000 });

const temporary = (): string => mkdtempSync(join(tmpdir(), "portals-snapshots-"));

/** The fixture that logs ten times each number of the JSON-lines file `input`, two an atom. */
function fileInput(input: string, ...args: string[]): ReturnType<typeof portals> {
  return portalsIn({ env: { PORTALS_INPUT: input } }, "run", "test/runtime/cli/fixtures/file-input.ts", ...args);
}

/** `n` lines `1`…`n`. */
const numbers = (n: number): string => Array.from({ length: n }, (_, i) => `${i + 1}\n`).join("");

describe.concurrent("how many snapshots are kept", () => {
  test("the newest 2 chains of a full snapshot and its deltas, a full one every 10, as --help says", async () => {
    const dir = temporary();
    const r = await portals("run", "examples/previous-value/app.ts", "--quiet", "--snapshot-dir", dir, "--snapshot-every", "1");
    expect(r.code).toBe(0);
    const steps = Number(/^done: (\d+) steps/m.exec(r.stderr)![1]);
    // One snapshot per step and one when the run completes; the last chain starts at the newest
    // full snapshot (1, 11, 21, …), the one before it 10 earlier.
    const snapshots = steps + 1;
    const lastFull = Math.floor((snapshots - 1) / 10) * 10 + 1;
    const kept = Array.from({ length: snapshots - (lastFull - 10) + 1 }, (_, i) => lastFull - 10 + i);
    const name = (n: number): string => `snapshot-${String(n).padStart(12, "0")}-${(n - 1) % 10 === 0 ? "full" : "delta"}.ptsnap`;
    expect(steps).toBe(185);
    expect(kept).toHaveLength(16);
    expect(readdirSync(dir).filter((f) => f.endsWith(".ptsnap")).sort()).toEqual(kept.map(name));
    expect(readdirSync(dir).filter((f) => f.endsWith(".run.json")).sort()).toEqual(kept.map((n) => `${name(n)}.run.json`));
  });
});

describe.concurrent("a --snapshot-dir that cannot be used: one line, exit 2, before anything runs", () => {
  test("a file", async () => {
    expect(await portals("run", "examples/hello-world/app.ts", "--snapshot-dir", "package.json")).toEqual({
      code: 2,
      stdout: "",
      stderr: "portals: error: --snapshot-dir package.json is a file, not a directory; give a directory (it is created if missing)\n",
    });
  });

  test("an empty path", async () => {
    expect(await portals("run", "examples/hello-world/app.ts", "--snapshot-dir", "")).toEqual({
      code: 2,
      stdout: "",
      stderr: "portals: error: --snapshot-dir needs a directory (it is created if missing), got an empty path\n",
    });
  });

  test("a directory that cannot be created", async () => {
    const file = join(temporary(), "file");
    writeFileSync(file, "");
    const r = await portals("run", "examples/hello-world/app.ts", "--snapshot-dir", join(file, "snapshots"));
    expect(r).toMatchObject({ code: 2, stdout: "" });
    expect(r.stderr).toMatch(new RegExp(`^portals: error: --snapshot-dir ${file}/snapshots: snapshot directory ${file}/snapshots cannot be created \\(ENOTDIR: .*\\)\\n$`));
  });
});

describe.concurrent("restoring", () => {
  test("the summary counts what this run did, and the rate is of its own events", async () => {
    const dir = temporary();
    const input = join(dir, "input.jsonl");
    writeFileSync(input, numbers(10));
    const first = await fileInput(input, "--snapshot-dir", join(dir, "s"), "--max-steps", "3");
    expect(first.stdout).toBe("10\n20\n");
    const second = await fileInput(input, "--snapshot-dir", join(dir, "s"), "--restore");
    expect(second.code).toBe(0);
    expect(second.stdout).toBe("30\n40\n50\n60\n70\n80\n90\n100\n");
    const [restored, summary] = second.stderr.split("\n");
    expect(restored).toBe(`restored ${dir}/s/snapshot-000000000001-full.ptsnap (step 3)`);
    const m = /^done: (\d+) steps, (\d+) atoms, 10 events \(this run: (\d+) steps, 8 events\), (\d+\.\d{3}) s, (\d+) events\/s$/.exec(summary!);
    expect(m).not.toBeNull();
    expect(Number(m![3])).toBe(Number(m![1]) - 3);
    const seconds = Number(m![4]);
    // 8 events over this run's time (the rate is rounded, the time printed to the millisecond).
    if (seconds > 0) expect(Math.abs(Number(m![5]) - 8 / seconds)).toBeLessThan(8 / seconds / 10 + 1);
  });

  test("--seed that differs from the restored run's is refused; the same seed is accepted", async () => {
    const dir = temporary();
    const input = join(dir, "input.jsonl");
    writeFileSync(input, numbers(6));
    await fileInput(input, "--snapshot-dir", join(dir, "s"), "--max-steps", "3", "--seed", "3");
    const other = await fileInput(input, "--snapshot-dir", join(dir, "s"), "--restore", "--seed", "7");
    expect(other).toEqual({
      code: 2,
      stdout: "",
      // Refused before anything says it was restored.
      stderr:
        "portals: error: --seed 7 does not fit snapshot snapshot-000000000001-full.ptsnap: its run started with --seed 3, and a restored run continues with its snapshot's random state; pass --seed 3 or leave --seed out\n",
    });
    const same = await fileInput(input, "--snapshot-dir", join(dir, "s"), "--restore", "--seed", "3");
    expect(same).toMatchObject({ code: 0, stdout: "30\n40\n50\n60\n" });
  });

  test("a snapshot without a record of its run: --seed is reported as ignored, and that inputs cannot be checked", async () => {
    const dir = temporary();
    const input = join(dir, "input.jsonl");
    writeFileSync(input, numbers(6));
    await fileInput(input, "--snapshot-dir", join(dir, "s"), "--max-steps", "3");
    const record = join(dir, "s/snapshot-000000000001-full.ptsnap.run.json");
    writeFileSync(record, "{ truncated");
    const r = await fileInput(input, "--snapshot-dir", join(dir, "s"), "--restore", "--seed", "7");
    expect(r.code).toBe(0);
    expect(r.stdout).toBe("30\n40\n50\n60\n");
    expect(r.stderr.split("\n").slice(0, 3)).toEqual([
      "[warn] --seed 7 is ignored: a restored run continues with the random state of its snapshot",
      "[warn] snapshot snapshot-000000000001-full.ptsnap has no record of its run (snapshot-000000000001-full.ptsnap.run.json), so its fromFile inputs cannot be checked for changes",
      `restored ${dir}/s/snapshot-000000000001-full.ptsnap (step 3)`,
    ]);
  });

  test("an input that changed since the run started is refused (exit 1); one that only grew is read on", async () => {
    const dir = temporary();
    const input = join(dir, "input.jsonl");
    writeFileSync(input, numbers(6));
    await fileInput(input, "--snapshot-dir", join(dir, "s"), "--max-steps", "3");
    const record = JSON.parse(readFileSync(join(dir, "s/snapshot-000000000001-full.ptsnap.run.json"), "utf8")) as unknown;
    expect(record).toEqual({
      seed: 0,
      // sha256sum of "1\n2\n3\n4\n5\n6\n"
      inputs: [{ generator: "/lines/generators/input", file: input, size: 12, sha256: "c5d161527c5f9d09a2ed9cd76c4063481472f14da4dda40d19468bbfab4421a7" }],
    });

    appendFileSync(input, "7\n");
    const grown = await fileInput(input, "--snapshot-dir", join(dir, "s"), "--restore", "--max-steps", "1");
    expect(grown).toMatchObject({ code: 0, stdout: "30\n40\n" });

    writeFileSync(input, "100\n" + numbers(7).slice(2));
    const changed = await fileInput(input, "--snapshot-dir", join(dir, "s"), "--restore");
    expect(changed).toEqual({
      code: 1,
      stdout: "",
      stderr:
        `portals: error: cannot continue from snapshot snapshot-000000000002-delta.ptsnap: input ${input} of generator /lines/generators/input changed in its first 12 bytes (what the run started with); ` +
        "the snapshot's read positions would point into other data: put the original input back, or start afresh (run without --restore)\n",
    });
  });
});
