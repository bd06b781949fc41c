/**
 * One run of the editor's module in the worker: evaluates the compiled CommonJS with its imports
 * bound to the runtime's browser build (and its relative imports to the other files of its
 * example, each evaluated once), launches the default export (an application or an array,
 * as `portals run` takes it) into `Systems.test({ seed })`, and steps it in chunks. Between
 * chunks it yields to the worker's event loop, so that Stop, Step, a new Run or a change of
 * speed are seen, and checks the time limit. Log lines are written as `portals run` writes them
 * (info lines bare, `[warn] …`, `[error] …`); what is thrown is `Error: <message>`.
 */
import * as portals from "portals-ts";
import * as machine from "portals-ts/machine";
import * as sql from "portals-ts/sql";
import * as testing from "portals-ts/testing";
import { exportedApplications } from "../../dist/runtime/api/exported.js";
import type { Application, LogMeta, LogWriter, TestSystem } from "portals-ts";
import { Systems } from "portals-ts";
import type { Compiled } from "./compile.js";
import { resolveImport } from "./paths.js";
import { SOURCE_URL, SourcePositions } from "./where.js";
import type { RunStats } from "./protocol.js";

/** What the runner tells the worker. */
export interface RunOutput {
  /** Log lines, and how many lines before them were dropped unposted (more than 1,024 between two posts). */
  log(lines: readonly string[], dropped: number): void;
  stats(stats: RunStats, state: "running" | "paused" | "done" | "stopped" | "failed"): void;
}

/** pure-rand's public subpaths (`pure-rand/distribution/uniformInt`, …), which examples draw seeded values from. */
const pureRand = import.meta.glob<Record<string, unknown>>("../../node_modules/pure-rand/lib/esm/*/*.js", { eager: true });

/** The packages a playground module may import, by name. */
const MODULES: Readonly<Record<string, unknown>> = {
  "portals-ts": portals,
  "portals-ts/machine": machine,
  "portals-ts/sql": sql,
  "portals-ts/testing": testing,
  ...Object.fromEntries(Object.entries(pureRand).map(([path, module]) => [`pure-rand/${path.replace(/^.*\/esm\//, "").replace(/\.js$/, "")}`, module])),
};

/** Log lines kept before they are posted (the page keeps the last 1,024 anyway). */
const MAX_PENDING = 1024;

/**
 * Runs the compiled module (its CommonJS in `modules` at `path`) and the files it imports;
 * returns its exports.
 *
 * @throws whatever the modules throw while they run, or an Error naming an import the playground
 *   does not have
 */
export function evaluate({ modules, path }: Pick<Compiled, "modules" | "path">): Record<string, unknown> {
  const evaluated = new Map<string, { exports: Record<string, unknown> }>();
  const load = (file: string): Record<string, unknown> => {
    const done = evaluated.get(file);
    if (done !== undefined) return done.exports;
    const module = { exports: {} as Record<string, unknown> };
    evaluated.set(file, module);
    const require = (name: string): unknown => {
      if (name.startsWith(".")) {
        const target = resolveImport(file, name);
        if (modules[target] === undefined) throw new Error(`${file}: the playground has no file ${target} (imported as "${name}")`);
        return load(target);
      }
      const found = MODULES[name];
      if (found === undefined) throw new Error(`the playground has no module "${name}": import from ${Object.keys(MODULES).join(", ")}`);
      return found;
    };
    // The module's own scope, as Node gives a CommonJS module (it is the user's code, compiled
    // here), opened on its first line so that the stack's lines are the compiled file's, and
    // named by a source URL so that its frames say which file (where.ts).
    const scope = (0, eval)(`(function (require, module, exports) {${modules[file]!}\n})\n//# sourceURL=${SOURCE_URL}${file}`) as (r: typeof require, m: typeof module, e: typeof module.exports) => void;
    scope(require, module, module.exports);
    return module.exports;
  };
  return load(path);
}

/** The name `portals run` gives the module at compiled path `path` (`examples/x/app.js` → `app.ts`). */
export function moduleName(path: string): string {
  return path.split("/").at(-1)!.replace(/\.js$/, ".ts");
}

/**
 * The applications default-exported by the module of compiled path `path`, given its `exports`.
 *
 * @throws TypeError naming what the module exports instead of applications (as `portals run` does)
 */
export function applicationsOf(exports: Record<string, unknown>, path: string): Application[] {
  // What `export default` wrote (TypeScript's CommonJS output), as an ES module's default export.
  return exportedApplications(Object.hasOwn(exports, "default") ? exports.default : undefined, `module ${moduleName(path)}`);
}

/**
 * `Error: <message>`, the playground's line for what was thrown, and under it, when `positions`
 * find it in the module's files, `    at <file>:<line>:<column>`.
 */
export function errorLines(thrown: unknown, positions?: SourcePositions): string[] {
  const at = positions?.where(thrown);
  return [`Error: ${thrown instanceof Error ? thrown.message : String(thrown)}`, ...(at === undefined ? [] : [`    at ${at}`])];
}

/** What an error line reports: the value an operator threw (its failure's `cause`), or the failure. */
function thrownOf(meta: LogMeta): unknown {
  const error = (meta as LogMeta & { readonly error?: unknown }).error;
  return (error as { cause?: unknown } | null | undefined)?.cause ?? error;
}

/** Runs `f` as a new task of the worker's event loop, after the messages already queued. */
function yielder(f: () => void): void {
  const channel = new MessageChannel();
  channel.port1.onmessage = () => {
    channel.port1.close();
    f();
  };
  channel.port2.postMessage(undefined);
}

/** A launched system and how it is being stepped. */
export class Run {
  private readonly pending: string[] = [];
  private dropped = 0;
  private timer: ReturnType<typeof setTimeout> | undefined;
  /** A tick scheduled through {@link yielder}: cancelled by bumping it. */
  private tickId = 0;
  private started = performance.now();
  /** Wall time spent stepping, in milliseconds. */
  private steppingMs = 0;
  private state: "running" | "paused" | "done" | "stopped" | "failed" = "paused";
  readonly system: TestSystem;

  /**
   * Launches `apps` (or restores `snapshot` with them).
   *
   * @throws what launching or restoring throws (an ApplicationError, a SnapshotError)
   */
  constructor(
    readonly apps: readonly Application[],
    /** Where in the module's files a thrown value was (for the `at` line under an error line, as `portals run` writes it). */
    private readonly positions: SourcePositions,
    seed: number,
    private readonly output: RunOutput,
    private speed: number,
    private readonly timeLimitMs: number,
    snapshot?: Uint8Array,
  ) {
    this.system = Systems.test({ seed, log: this.writer() });
    if (snapshot !== undefined) this.system.restore(snapshot, apps);
    else for (const app of apps) this.system.launch(app);
  }

  /** Steps at the current speed until done, stopped or paused. */
  resume(speed = this.speed): void {
    this.speed = speed;
    if (this.state === "done" || this.state === "stopped" || this.state === "failed") return;
    this.started = performance.now();
    this.state = "running";
    this.schedule(0);
  }

  /** Changes the speed of a running run. */
  setSpeed(speed: number): void {
    this.speed = speed;
  }

  /** Takes up to `steps` steps now, then pauses. */
  async step(steps: number): Promise<void> {
    this.cancelTimer();
    if (this.state === "done" || this.state === "stopped" || this.state === "failed") return;
    this.state = "paused";
    await this.advance(steps);
    if (this.state === "paused") this.report();
  }

  /**
   * Writes a line of the module's own `console` output to the log, as info (the CLI prints it on
   * stdout): with the next chunk's lines while the run steps, at once when no chunk comes (a
   * timer of the module that fires after the run ended, or while it is paused).
   */
  print(line: string): void {
    this.pending.push(line);
    if (this.state !== "running") this.output.log(this.pending.splice(0), 0);
  }

  /** Stops stepping for good (the system stays, for its state and snapshots). */
  stop(): void {
    this.cancelTimer();
    if (this.state === "done" || this.state === "failed" || this.state === "stopped") return;
    this.state = "stopped";
    this.finish();
  }

  /** Stops and shuts the system down (its sinks closed): a new run replaces this one. */
  dispose(): void {
    this.cancelTimer();
    if (this.state === "running" || this.state === "paused") this.state = "stopped";
    try {
      this.system.shutdown();
    } catch {
      // Shut down already, or failing to: the run is over either way and nothing reads it any more.
    }
  }

  /** Counters of the system now. */
  stats(): RunStats {
    const { steps, atoms, events } = this.system.stats;
    const workflows: Record<string, number> = {};
    for (const w of this.system.workflowCounters()) workflows[w.workflow] = w.events;
    return { steps, atoms, events, parked: this.system.parkedContinuations, workflows, steppingMs: this.steppingMs };
  }

  /**
   * The next chunk after `delayMs`; at full speed (0) through a message to itself, which, unlike
   * a nested `setTimeout(0)` (clamped to 4 ms), lets other messages in without idling.
   */
  private schedule(delayMs: number): void {
    this.cancelTimer();
    const id = ++this.tickId;
    if (delayMs > 0) this.timer = setTimeout(() => void this.tick(id), delayMs);
    else yielder(() => void this.tick(id));
  }

  private cancelTimer(): void {
    if (this.timer !== undefined) clearTimeout(this.timer);
    this.timer = undefined;
    this.tickId++;
  }

  /** One chunk of a running run: as many steps as fit in ~16 ms at full speed, else the speed's share of its interval. */
  private async tick(id: number): Promise<void> {
    if (id !== this.tickId) return;
    this.timer = undefined;
    if (this.state !== "running") return;
    if (performance.now() - this.started > this.timeLimitMs) {
      this.pending.push("Error: Execution timed out");
      this.state = "stopped";
      this.finish();
      return;
    }
    const full = !Number.isFinite(this.speed);
    // Below full speed: one step every 1000/speed ms, or batches every 50 ms when that is shorter.
    const interval = full ? 0 : Math.max(50, 1000 / this.speed);
    const steps = full ? 2048 : Math.max(1, Math.round((this.speed * interval) / 1000));
    await this.advance(steps, full ? performance.now() + 16 : Infinity);
    if (this.state !== "running") return;
    this.report();
    this.schedule(interval);
  }

  /** Takes up to `steps` steps (fewer when `until` passes); marks the run done or failed. */
  private async advance(steps: number, until = Infinity): Promise<void> {
    const from = performance.now();
    try {
      let taken = 0;
      while (taken < steps && this.system.canStep()) {
        taken += await this.system.stepUntilCompleteAsync(Math.min(256, steps - taken));
        if (performance.now() > until) break;
      }
      this.steppingMs += performance.now() - from;
      if (!this.system.canStep()) {
        this.state = "done";
        this.finish();
      }
    } catch (thrown) {
      this.steppingMs += performance.now() - from;
      this.pending.push(...errorLines(thrown, this.positions));
      this.state = "failed";
      this.finish();
    }
  }

  private finish(): void {
    this.cancelTimer();
    this.report();
  }

  private report(): void {
    if (this.pending.length > 0 || this.dropped > 0) this.output.log(this.pending.splice(0), this.dropped);
    this.dropped = 0;
    this.output.stats(this.stats(), this.state);
  }

  private writer(): LogWriter {
    return (line, meta) => {
      this.pending.push(meta.level === "info" ? line : `[${meta.level}] ${line}`);
      const at = meta.level === "error" ? this.positions.where(thrownOf(meta)) : undefined;
      if (at !== undefined) this.pending.push(`    at ${at}`);
      while (this.pending.length > MAX_PENDING) {
        this.pending.shift();
        this.dropped++;
      }
    };
  }
}
