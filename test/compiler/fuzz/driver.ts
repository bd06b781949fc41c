/**
 * Runs fuzzer workers (`worker.ts`, one process each) over a range of seeds and gathers their
 * results: the campaign script and the CI test both use it. A worker that says nothing for
 * `stallMs` (a compiled program looping outside the step limit, or the compiler itself) is
 * killed, the program it was on is recorded as a `hang` mismatch, and a new worker goes on from
 * the next seed.
 */
import { fork } from "node:child_process";
import { fileURLToPath } from "node:url";
import type { ProgramResult, WorkerJob, WorkerMessage } from "./worker.js";

const WORKER = fileURLToPath(new URL("./worker.ts", import.meta.url));

export interface DriveOptions extends Omit<WorkerJob, "seed" | "runs"> {
  readonly seed: number;
  readonly runs: number;
  /** Worker processes at once. */
  readonly workers: number;
  /** Programs per worker process. */
  readonly batch: number;
  /** Silence after which a worker is killed. */
  readonly stallMs: number;
  /** Called with each result, in the order they arrive. */
  readonly onResult?: (r: ProgramResult) => void;
}

/** Runs the programs of seeds `seed` … `seed + runs - 1`; resolves with their results, by seed. */
export async function drive(options: DriveOptions): Promise<ProgramResult[]> {
  const results: ProgramResult[] = [];
  let shrinkLeft = options.shrinkLimit;
  const queue: [number, number][] = [];
  for (let s = options.seed; s < options.seed + options.runs; s += options.batch) queue.push([s, Math.min(options.batch, options.seed + options.runs - s)]);

  const runBatch = (seed: number, runs: number): Promise<void> =>
    new Promise((resolve) => {
      const job: WorkerJob = { seed, runs, plainEvery: options.plainEvery, shrinkLimit: shrinkLeft, shrinkMs: options.shrinkMs };
      const child = fork(WORKER, [JSON.stringify(job)], { execArgv: ["--import", "tsx"], stdio: ["ignore", "inherit", "inherit", "ipc"] });
      let current = seed;
      let seen = 0;
      let finished = false;
      let timer: NodeJS.Timeout | undefined;
      const arm = () => {
        clearTimeout(timer);
        timer = setTimeout(() => {
          const r: ProgramResult = {
            type: "result",
            seed: current,
            plain: false,
            status: "mismatch",
            ms: options.stallMs,
            mismatch: { kind: "hang", detail: `no answer in ${options.stallMs} ms`, shrunk: false, source: "", tags: [], expected: undefined, report: `hang at seed ${current}` },
          };
          results.push(r);
          options.onResult?.(r);
          child.kill("SIGKILL");
        }, options.stallMs);
      };
      arm();
      child.on("message", (m: WorkerMessage) => {
        arm();
        if (m.type === "start") current = m.seed;
        if (m.type === "result") {
          seen++;
          if (m.status === "mismatch" && m.mismatch?.shrunk) shrinkLeft--;
          results.push(m);
          options.onResult?.(m);
        }
        if (m.type === "done") finished = true;
      });
      child.on("exit", () => {
        clearTimeout(timer);
        // Killed or crashed: go on after the program it was on.
        if (!finished && seen < runs) {
          const next = Math.max(current + 1, seed + seen);
          const left = seed + runs - next;
          if (left > 0) queue.unshift([next, left]);
        }
        resolve();
      });
    });

  const lanes = Array.from({ length: Math.max(1, options.workers) }, async () => {
    for (let next = queue.shift(); next !== undefined; next = queue.shift()) await runBatch(next[0], next[1]);
  });
  await Promise.all(lanes);
  return results.sort((a, b) => a.seed - b.seed);
}

/** A diagnostic's reason, without its place and the names it quotes (to group rejections). */
export function reason(diagnostic: string): string {
  return diagnostic
    .replace(/^.*?:\d+:\d+ - /, "")
    .replace(/^portals: /, "")
    .replace(/`[^`]*`/g, "`_`")
    .replace(/\b(h|g|lf|rz|nd|dd|hd|v|w|fs|i|x|k|z)\d+\b/g, "$1N")
    .replace(/line \d+/g, "line N")
    .replace(/:\d+:\d+/g, ":N:N")
    .slice(0, 220);
}
