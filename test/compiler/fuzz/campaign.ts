/**
 * `npm run fuzz -- --runs 50000 [--seed N] [--workers 2] [--batch 500] [--shrink 1000000]
 * [--shrink-ms 20000] [--out .cache/fuzz]`: a fuzzing campaign of the compiler (see
 * generator.ts and run.ts). Reports the counts (generated, rejected by the compiler with the
 * reasons grouped, accepted, mismatches by kind and by the constructs of their shrunk programs),
 * the time and the seeds, and writes every mismatch, shrunk, to `<out>/<kind>-<seed>/` as a
 * fixture candidate (`input.ts` with the events and the native trace as `expected`, in the
 * format of test/compiler/fixtures/*\/input.ts) with `report.txt` (the program, the three traces
 * and the compiled output). `<out>/summary-<seed>.json` has every result.
 *
 * Reproduce one program: `npm run fuzz -- --seed <its seed> --runs 1` (every program of a
 * campaign is its own seed).
 */
import { mkdirSync, writeFileSync } from "node:fs";
import { join, resolve } from "node:path";
import { drive, reason } from "./driver.js";
import type { ProgramResult } from "./worker.js";

function option(name: string, fallback: string): string {
  const i = process.argv.indexOf(`--${name}`);
  return i >= 0 && process.argv[i + 1] !== undefined ? process.argv[i + 1]! : fallback;
}

const runs = Number(option("runs", "1000"));
const seedOption = option("seed", "random");
const seed = seedOption === "random" ? Math.floor(Math.random() * 2 ** 31) : Number(seedOption);
const workers = Number(option("workers", "1"));
const batch = Number(option("batch", "500"));
const shrinkLimit = Number(option("shrink", String(Number.MAX_SAFE_INTEGER)));
const shrinkMs = Number(option("shrink-ms", "20000"));
const plainEvery = Number(option("plain-every", "20"));
const out = resolve(option("out", ".cache/fuzz"));

/** The fixture candidate of a mismatch: the program, with the native trace as `expected`. */
export function fixtureCandidate(r: ProgramResult): string {
  const m = r.mismatch!;
  const header = `// Found by the compiler fuzzer (test/compiler/fuzz/), seed ${r.seed}: ${m.kind}.\n// ${m.detail.split("\n")[0]}\n// Constructs: ${m.tags.join(" ")}\n`;
  const expected = m.expected === undefined ? "" : `export const expected = ${JSON.stringify(m.expected, null, 2)};\n`;
  return `${header}${m.source}${expected}`;
}

async function main(): Promise<void> {
  mkdirSync(out, { recursive: true });
  console.log(`fuzz: ${runs} programs, seeds ${seed}…${seed + runs - 1}, ${workers} worker(s); mismatches to ${out}`);
  const started = Date.now();
  let done = 0;
  let mismatches = 0;
  const results = await drive({
    seed,
    runs,
    workers,
    batch,
    plainEvery,
    shrinkLimit,
    shrinkMs,
    stallMs: Math.max(60_000, shrinkMs * 2),
    onResult: (r) => {
      done++;
      if (r.status === "mismatch") {
        mismatches++;
        const dir = join(out, `${r.mismatch!.kind}-${r.seed}`);
        mkdirSync(dir, { recursive: true });
        if (r.mismatch!.source !== "") writeFileSync(join(dir, "input.ts"), fixtureCandidate(r));
        writeFileSync(join(dir, "report.txt"), `seed ${r.seed}\n${r.mismatch!.report}\n`);
      }
      if (done % 100 === 0) process.stderr.write(`  ${done}/${runs} programs, ${mismatches} mismatches, ${((Date.now() - started) / 1000).toFixed(0)} s\n`);
    },
  });
  const seconds = (Date.now() - started) / 1000;
  const summary = summarize(results);
  console.log(render(summary, seed, runs, seconds));
  writeFileSync(join(out, `summary-${seed}.json`), JSON.stringify({ seed, runs, seconds, ...summary, results }, null, 1));
}

/** Counts of a run. */
export function summarize(results: readonly ProgramResult[]) {
  const operators = results.filter((r) => !r.plain);
  const plain = results.filter((r) => r.plain);
  const count = <T>(xs: readonly T[], key: (x: T) => string | undefined) => {
    const m = new Map<string, number>();
    for (const x of xs) {
      const k = key(x);
      if (k !== undefined) m.set(k, (m.get(k) ?? 0) + 1);
    }
    return [...m].sort((a, b) => b[1] - a[1]);
  };
  const mismatches = results.filter((r) => r.status === "mismatch");
  return {
    generated: results.length,
    operators: operators.length,
    accepted: operators.filter((r) => r.status === "accepted").length,
    rejected: operators.filter((r) => r.status === "rejected").length,
    mismatched: operators.filter((r) => r.status === "mismatch").length,
    plain: plain.length,
    plainChanged: plain.filter((r) => r.status === "mismatch").length,
    // A rejected program counts once per distinct reason it got.
    rejectionReasons: count(
      operators.filter((r) => r.status === "rejected").flatMap((r) => [...new Set((r.diagnostics ?? []).map(reason))]),
      (x) => x,
    ),
    mismatchKinds: count(mismatches, (r) => r.mismatch!.kind),
    // The constructs a shrunk mismatch still needs say which defect it is (most of the time).
    mismatchConstructs: count(
      mismatches.filter((r) => r.mismatch!.shrunk),
      (r) => `${r.mismatch!.kind}: ${significant(r.mismatch!.tags).join(" ")}`,
    ),
    mismatchSeeds: mismatches.map((r) => `${r.seed} ${r.mismatch!.kind}`),
    meanMs: results.reduce((s, r) => s + r.ms, 0) / Math.max(1, results.length),
  };
}

/** Tags present in nearly every program, left out when grouping mismatches. */
const COMMON = /^(await|await-request|ctx-read|operator-.*|helper-arrow|helper-function|helper-with-ref-parameter)$/;

/** The tags of a shrunk program that say something about its mismatch. */
export function significant(tags: readonly string[]): string[] {
  return tags.filter((t) => !COMMON.test(t));
}

/** The summary for people. */
export function render(s: ReturnType<typeof summarize>, seed: number, runs: number, seconds: number): string {
  const pct = (n: number) => `${((100 * n) / Math.max(1, s.operators)).toFixed(1)}%`;
  return [
    `seed ${seed}, ${runs} programs in ${seconds.toFixed(0)} s (${s.meanMs.toFixed(0)} ms each before shrinking)`,
    `operator modules: ${s.operators}: accepted ${s.accepted} (${pct(s.accepted)}), rejected ${s.rejected} (${pct(s.rejected)}), mismatched ${s.mismatched} (${pct(s.mismatched)})`,
    `modules to leave alone: ${s.plain}, changed ${s.plainChanged}`,
    `mismatches by kind:`,
    ...s.mismatchKinds.map(([k, n]) => `  ${String(n).padStart(6)}  ${k}`),
    `shrunk mismatches by the constructs they need:`,
    ...s.mismatchConstructs.map(([k, n]) => `  ${String(n).padStart(6)}  ${k}`),
    `rejections by reason (programs):`,
    ...s.rejectionReasons.map(([k, n]) => `  ${String(n).padStart(6)}  ${k}`),
  ].join("\n");
}

if (process.argv[1] !== undefined && resolve(process.argv[1]) === resolve(new URL(import.meta.url).pathname)) {
  main().catch((e) => {
    console.error(e);
    process.exit(1);
  });
}
