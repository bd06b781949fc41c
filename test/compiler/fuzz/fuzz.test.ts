/**
 * The compiler's differential fuzzer in CI (test/compiler/fuzz/): 2,000 generated operator
 * modules (every 20th a module the compiler must leave alone), each compiled, and run natively,
 * compiled, and compiled with a snapshot/restore at every suspension. A module the compiler
 * rejects is fine; any mismatch fails the test, with the first one shrunk to a minimal program
 * (its source, the three traces and the compiled output in the failure message).
 *
 * The seed is fixed, so CI is deterministic; `PORTALS_FUZZ_SEED` (a number, or `random`) and
 * `PORTALS_FUZZ_RUNS` reproduce or lengthen a run. Program i of a run has seed `seed + i`, and
 * `npm run fuzz -- --seed <that seed> --runs 1` reproduces it alone. The programs run in a
 * worker process (`worker.ts`): compiled code may loop or leave unhandled rejections.
 */
import { expect, test } from "vitest";
import { drive } from "./driver.js";
import { render, summarize } from "./campaign.js";

const SEED_OPTION = process.env.PORTALS_FUZZ_SEED ?? "20250601";
const SEED = SEED_OPTION === "random" ? Math.floor(Math.random() * 2 ** 31) : Number(SEED_OPTION);
const RUNS = Number(process.env.PORTALS_FUZZ_RUNS ?? 2000);

test(`fuzzed operator modules: native, compiled and snapshot/restored runs agree (${RUNS} programs, seed ${SEED})`, async () => {
  console.log(`compiler fuzzer: seed ${SEED}, ${RUNS} programs (PORTALS_FUZZ_SEED=${SEED} PORTALS_FUZZ_RUNS=${RUNS} to reproduce)`);
  const started = Date.now();
  const results = await drive({ seed: SEED, runs: RUNS, workers: 1, batch: RUNS, plainEvery: 20, shrinkLimit: 1, shrinkMs: 30_000, stallMs: 60_000 });
  const summary = summarize(results);
  console.log(render(summary, SEED, RUNS, (Date.now() - started) / 1000));
  expect(results.length).toBe(RUNS);
  const mismatches = results.filter((r) => r.status === "mismatch");
  const first = mismatches.find((r) => r.mismatch!.shrunk) ?? mismatches[0];
  const message =
    first === undefined
      ? ""
      : `${mismatches.length} of ${RUNS} programs mismatched (seeds: ${summary.mismatchSeeds.join(", ")}).\n` +
        `The first, seed ${first.seed}${first.mismatch!.shrunk ? ", shrunk" : ""}:\n${first.mismatch!.report}`;
  expect(mismatches.length, message).toBe(0);
}, 600_000);
