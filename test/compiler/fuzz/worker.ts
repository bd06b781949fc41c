/**
 * The fuzzer's worker process: runs the programs of a range of seeds (program i of a run has
 * seed `seed + i`, so any one program is reproduced by its seed alone) and reports each to its
 * parent over IPC (`process.send`), as a {@link WorkerMessage}. A mismatch is shrunk (while the
 * budget lasts) by fast-check to a minimal program with the same kind of mismatch.
 *
 * It runs in a process of its own, started by the campaign (`npm run fuzz`) and by the CI test
 * (`fuzz.test.ts`): compiled code may loop or leave unhandled rejections, and a process can be
 * killed and its rejections recorded (`captureUnhandledRejections`) without disturbing the test
 * runner. Start it with `node --import tsx test/compiler/fuzz/worker.ts '<json WorkerJob>'`.
 */
import * as fc from "fast-check";
import { plainPrograms, programs, type Program } from "./generator.js";
import { captureUnhandledRejections, check, checkLeftAlone, report, type Verdict } from "./run.js";

/** What a worker is asked to do. */
export interface WorkerJob {
  /** Seed of the first program. */
  readonly seed: number;
  /** Number of programs (seeds `seed` … `seed + runs - 1`). */
  readonly runs: number;
  /** Every `plainEvery`-th program is a module the compiler must leave alone (0: none). */
  readonly plainEvery: number;
  /** Mismatches to shrink (the others are reported as found). */
  readonly shrinkLimit: number;
  /** Time limit of one shrink, in ms. */
  readonly shrinkMs: number;
}

/** A program's result. */
export interface ProgramResult {
  readonly type: "result";
  readonly seed: number;
  readonly plain: boolean;
  readonly status: Verdict["status"];
  readonly ms: number;
  /** Diagnostics of a rejected program. */
  readonly diagnostics?: readonly string[];
  readonly mismatch?: Mismatch;
}

/** A mismatch, shrunk when the budget allowed. */
export interface Mismatch {
  readonly kind: string;
  readonly detail: string;
  readonly shrunk: boolean;
  readonly source: string;
  readonly tags: readonly string[];
  /** The native trace (the fixture's `expected`), when the program ran natively. */
  readonly expected: readonly string[] | undefined;
  /** Program, traces and compiled output, for people. */
  readonly report: string;
}

export type WorkerMessage = { readonly type: "start"; readonly seed: number } | { readonly type: "alive" } | ProgramResult | { readonly type: "done" };

const isPlain = (job: WorkerJob, i: number): boolean => job.plainEvery > 0 && i % job.plainEvery === job.plainEvery - 1;

async function verdictOf(program: Program, plain: boolean): Promise<Verdict> {
  return plain ? checkLeftAlone(program.source) : await check(program.source);
}

/**
 * Runs one program: the first value fast-check generates for `seed`; when it is a mismatch and
 * `shrink`, the smallest program fast-check finds within `shrinkMs` that fails the same way.
 */
export async function runOne(seed: number, plain: boolean, shrink: boolean, shrinkMs: number, alive: () => void = () => {}): Promise<ProgramResult> {
  const arbitrary = plain ? plainPrograms() : programs();
  const started = Date.now();
  let first: { program: Program; verdict: Verdict } | undefined;
  await fc.check(
    fc.asyncProperty(arbitrary, async (program) => {
      first = { program, verdict: await verdictOf(program, plain) };
      return first.verdict.status !== "mismatch";
    }),
    { seed, numRuns: 1, endOnFailure: true },
  );
  const { program, verdict } = first!;
  const ms = Date.now() - started;
  if (verdict.status !== "mismatch") {
    return { type: "result", seed, plain, status: verdict.status, ms, ...(verdict.status === "rejected" ? { diagnostics: verdict.diagnostics } : {}) };
  }
  let best = { program, verdict };
  if (shrink) {
    const shrinkStart = Date.now();
    await fc.check(
      fc.asyncProperty(arbitrary, async (candidate) => {
        // Out of time: every further candidate passes, so fast-check ends at once. (Its own
        // interruptAfterTimeLimit would leave the candidate running while the next program
        // starts: the harness has one current run.)
        if (Date.now() - shrinkStart > shrinkMs) return true;
        alive();
        const v = await verdictOf(candidate, plain);
        const fails = v.status === "mismatch" && v.kind === verdict.kind;
        // fast-check only moves on from a failing candidate: the last one is the smallest so far.
        if (fails) best = { program: candidate, verdict: v };
        return !fails;
      }),
      { seed, numRuns: 1 },
    );
  }
  const v = best.verdict as Extract<Verdict, { status: "mismatch" }>;
  return {
    type: "result",
    seed,
    plain,
    status: "mismatch",
    ms,
    mismatch: {
      kind: v.kind,
      detail: v.detail,
      shrunk: shrink,
      source: best.program.source,
      tags: best.program.tags,
      expected: v.expected,
      report: report(best.program.source, v, best.program.tags),
    },
  };
}

async function main(job: WorkerJob): Promise<void> {
  captureUnhandledRejections();
  const send = (m: WorkerMessage) => new Promise<void>((resolve) => process.send!(m, () => resolve()));
  let shrunk = 0;
  let lastAlive = 0;
  const alive = () => {
    const now = Date.now();
    if (now - lastAlive > 1_000) {
      lastAlive = now;
      process.send!({ type: "alive" } satisfies WorkerMessage);
    }
  };
  for (let i = 0; i < job.runs; i++) {
    const seed = job.seed + i;
    await send({ type: "start", seed });
    const shrink = shrunk < job.shrinkLimit;
    const result = await runOne(seed, isPlain(job, seed), shrink, job.shrinkMs, alive);
    if (result.status === "mismatch" && shrink) shrunk++;
    await send(result);
  }
  await send({ type: "done" });
  process.disconnect();
}

if (process.send !== undefined && process.argv[2] !== undefined) {
  main(JSON.parse(process.argv[2]) as WorkerJob).catch((e) => {
    console.error(e);
    process.exit(1);
  });
}
