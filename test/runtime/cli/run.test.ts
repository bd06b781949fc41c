/**
 * The run loop of `portals run` in-process, with captured output and a fake clock: progress
 * lines for long runs, the summary line, quiet mode and the stdout/stderr order.
 */
import { describe, expect, test } from "vitest";
import { OperatorError, PortalsApp, Systems } from "portals-ts";
import feedbackLoop from "../../../examples/feedback-loop/app.js";
import type { CliIo } from "../../../runtime/cli/io.js";
import { cliLog, progressLine, runApplications, summaryLine } from "../../../runtime/cli/run.js";
import { userFrame } from "../../../runtime/cli/where.js";
import { fail } from "./fixtures/thrower.js";
import { ROOT } from "./portals.js";

/** Captures what the CLI writes; the clock advances by `tick` ms at every reading. */
function capture(tick: number): CliIo & { stdout: string; stderr: string; writes: string[]; readings: number } {
  const io = {
    stdout: "",
    stderr: "",
    /** Every write in order, as `out: text` or `err: text`. */
    writes: [] as string[],
    readings: 0,
    out: (text: string) => void ((io.stdout += text), io.writes.push(`out: ${text}`)),
    err: (text: string) => void ((io.stderr += text), io.writes.push(`err: ${text}`)),
    now: () => io.readings++ * tick,
  };
  return io;
}

describe("runApplications", () => {
  test("a run longer than a second writes a progress line on stderr after the chunk that crossed it, then every second", async () => {
    const io = capture(300);
    // Clock readings: start 0, then one per chunk of 10 steps: 300, 600, 900, 1200 (progress), 1500, 1800; end 2100.
    const result = await runApplications([feedbackLoop], { seed: 1, chunk: 10, quiet: true }, io);
    const reference = Systems.test({ seed: 1, log: () => {} });
    reference.launch(feedbackLoop);
    reference.stepUntilComplete(40);
    expect(io.stderr).toBe(progressLine(reference.stats, 1200) + "\n");
    expect(io.stderr).toMatch(/^progress: 40 steps, \d+ atoms, \d+ events, 1\.200 s\n$/);
    expect(io.stdout).toBe("");
    expect(result).toEqual({ stats: { steps: 56, atoms: 25, events: 34 }, complete: true, errors: 0, wallMs: 2100 });
  });

  test("a short run writes no progress line", async () => {
    const io = capture(1);
    const result = await runApplications([feedbackLoop], { seed: 1 }, io);
    expect(io.stderr).toBe("");
    expect(io.stdout.split("\n")).toHaveLength(35); // 34 lines and the final newline
    expect(result.complete).toBe(true);
  });

  test("quiet hides info lines (logger and ctx.log.info) but not warnings and errors, which come in order with stdout", async () => {
    const app = PortalsApp("mixed", (app) => {
      app
        .workflows<number, number>("w")
        .source(app.generators.fromArrayOfArrays([[1, 2], [3]]).stream)
        .map((x, ctx) => {
          ctx.log.info(`info ${x}`);
          if (x === 2) ctx.log.warn("two is odd-looking");
          if (x === 3) throw new Error("three fails");
          return x;
        })
        .logger("out ")
        .sink()
        .freeze();
    });
    const problems = "[warn] two is odd-looking\n[error] workflow /mixed/workflows/w, task map#1, key 0: three fails\n    at test/runtime/cli/run.test.ts:59:30\n";
    const loud = capture(1);
    const all = await runApplications([app], {}, loud);
    // Buffered info lines are flushed before each stderr line, so the two streams keep their order.
    expect(loud.writes).toEqual([
      "out: info 1\ninfo 2\n",
      "err: [warn] two is odd-looking\n",
      "out: out 1\nout 2\ninfo 3\n",
      "err: [error] workflow /mixed/workflows/w, task map#1, key 0: three fails\n    at test/runtime/cli/run.test.ts:59:30\n",
    ]);
    expect(loud.stderr).toBe(problems);
    expect(all.errors).toBe(1);

    const quiet = capture(1);
    const result = await runApplications([app], { quiet: true }, quiet);
    expect(quiet.stdout).toBe("");
    expect(quiet.stderr).toBe(problems);
    expect(result).toMatchObject({ stats: all.stats, complete: true, errors: 1 });
  });

  test("maxSteps stops the run; the result says it is not complete", async () => {
    const io = capture(1);
    const result = await runApplications([feedbackLoop], { seed: 1, maxSteps: 5, quiet: true }, io);
    expect(result.stats.steps).toBe(5);
    expect(result.complete).toBe(false);
  });

  test("maxSteps 0 takes no step", async () => {
    const result = await runApplications([feedbackLoop], { maxSteps: 0, quiet: true }, capture(1));
    expect(result).toMatchObject({ stats: { steps: 0, atoms: 0, events: 0 }, complete: false });
  });
});

describe("summaryLine", () => {
  test("complete run: steps, atoms, events, seconds with 3 decimals, events per second", () => {
    expect(summaryLine({ stats: { steps: 10, atoms: 4, events: 2000 }, complete: true, errors: 0, wallMs: 500 })).toBe(
      "done: 10 steps, 4 atoms, 2000 events, 0.500 s, 4000 events/s",
    );
  });

  test("stopped run and errors", () => {
    expect(summaryLine({ stats: { steps: 3, atoms: 1, events: 2 }, complete: false, errors: 2, wallMs: 1000 }, 3)).toBe(
      "stopped at --max-steps 3 (not complete): 3 steps, 1 atoms, 2 events, 1.000 s, 2 events/s, 2 errors",
    );
  });

  test("after a restore: the counts include the snapshot's, the rate is of this run's events over its time", () => {
    const restored = { id: "snapshot-000000000003-delta.ptsnap", stats: { steps: 250, atoms: 160, events: 120_000 } };
    expect(summaryLine({ stats: { steps: 420, atoms: 280, events: 218_689 }, complete: true, errors: 0, wallMs: 500, restored })).toBe(
      "done: 420 steps, 280 atoms, 218689 events (this run: 170 steps, 98689 events), 0.500 s, 197378 events/s",
    );
  });

  test("zero wall time gives a rate of 0, not Infinity", () => {
    expect(summaryLine({ stats: { steps: 1, atoms: 1, events: 1 }, complete: true, errors: 1, wallMs: 0 })).toBe(
      "done: 1 steps, 1 atoms, 1 events, 0.000 s, 0 events/s, 1 error",
    );
  });
});

/** The error `fail` of fixtures/thrower.ts throws, from its line 11, column 9. */
function thrown(message: string): Error {
  try {
    fail(message);
  } catch (error) {
    return error as Error;
  }
}

describe("the user's line of an operator error", () => {
  test("userFrame: the first frame in the user's code, relative to the working directory (source-mapped .ts)", () => {
    expect(userFrame(thrown("x"))).toBe("test/runtime/cli/fixtures/thrower.ts:11:9");
    expect(userFrame(thrown("x"), "/elsewhere")).toBe(`${ROOT}test/runtime/cli/fixtures/thrower.ts:11:9`);
  });

  test("userFrame skips Node's, packages' and portals-ts's own frames, and has nothing for values without a stack", () => {
    const stack = [
      "Error: boom",
      "    at TaskRunner.run (/p/node_modules/portals-ts/dist/runtime/engine/tasks/task-runner.js:1:1)",
      "    at node:internal/process/task_queues:95:5",
      `    at Object.<anonymous> (${process.cwd()}/runtime/engine/engine.ts:3:4)`,
      `    at async step (file://${process.cwd()}/src/app.ts:12:7)`,
    ].join("\n");
    expect(userFrame({ stack })).toBe("src/app.ts:12:7");
    expect(userFrame({ stack: "Error: boom\n    at node:internal/x:1:1" })).toBeUndefined();
    expect(userFrame("a string")).toBeUndefined();
    expect(userFrame(null)).toBeUndefined();
  });

  test("cliLog prints the line of the value an operator threw after its error line, when the error comes with the line", () => {
    const io = capture(1);
    const log = cliLog(io, false);
    const error = new OperatorError("/stack/workflows/ask", "$1", 0, thrown("uncaught after await 2"));
    const meta = { level: "error" as const, workflow: "/stack/workflows/ask", task: "$1", key: 0 };
    log.write(error.message, { ...meta, error } as typeof meta);
    log.write(error.message, meta);
    expect(io.stderr).toBe(
      "[error] workflow /stack/workflows/ask, task $1, key 0: uncaught after await 2\n" +
        "    at test/runtime/cli/fixtures/thrower.ts:11:9\n" +
        "[error] workflow /stack/workflows/ask, task $1, key 0: uncaught after await 2\n",
    );
    expect(log.errors()).toBe(2);
  });
});
