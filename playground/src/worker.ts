/**
 * The playground's worker: compiles the editor's module (`compile.ts`) and runs it (`runner.ts`)
 * off the page's thread, so a long run never freezes the editor, and the page can end a run
 * stuck in an endless step by terminating the worker. TypeScript and the declarations load here
 * (in the background, after the page has painted).
 */
import { Assistant } from "./assist.js";
import { ModuleCompiler, type Compiled, type Source } from "./compile.js";
import { declarations } from "./declarations.js";
import { graphModel } from "./graph-model.js";
import { show, StateInspector } from "./inspect.js";
import type { FromWorker, RunStats, ToWorker } from "./protocol.js";
import { applicationsOf, errorLines, evaluate, moduleName, Run } from "./runner.js";
import { SourcePositions } from "./where.js";

const compiler = new ModuleCompiler(declarations());
const assistant = new Assistant(compiler);
const inspector = new StateInspector();
let current: { readonly id: number; readonly run: Run } | undefined;
/** The last compile and its source: Step after a check, or Run after Step, does not compile twice. */
let last: { readonly source: Source; readonly compiled: Compiled } | undefined;

function post(message: FromWorker, transfer: Transferable[] = []): void {
  (self as unknown as { postMessage(m: unknown, t: Transferable[]): void }).postMessage(message, transfer);
}

function compile(source: Source): Compiled {
  if (last === undefined || !sameSource(last.source, source)) last = { source, compiled: compiler.compile(source, "commonjs") };
  return last.compiled;
}

function sameSource(a: Source, b: Source): boolean {
  const files = (s: Source) => s.files ?? [];
  return a.text === b.text && a.path === b.path && files(a).length === files(b).length && files(a).every((f, i) => f.path === files(b)[i]!.path && f.text === files(b)[i]!.text);
}

/** Compiles and launches `source` (or restores `bytes` with it) as run `id`; `undefined` when it cannot. */
function launch(id: number, source: Source, seed: number, speed: number, timeLimitMs: number, bytes?: Uint8Array): Run | undefined {
  current?.run.dispose();
  current = undefined;
  const compiled = compile(source);
  const base = { type: "launched", run: id, problems: compiled.problems, machines: compiled.machines, ms: compiled.ms } as const;
  if (compiled.code === undefined) {
    post(base);
    const first = compiled.problems.find((p) => p.severity === "error")!;
    post({ type: "log", run: id, lines: [`Error: ${first.message} (${first.file === undefined ? "" : `${first.file}, `}line ${first.line}, column ${first.column})`] });
    post({ type: "stats", run: id, stats: EMPTY, state: "failed" });
    return undefined;
  }
  const positions = new SourcePositions(compiled.maps);
  let exports: Record<string, unknown>;
  try {
    exports = evaluate(compiled);
  } catch (thrown) {
    // As `portals run` says it of a module that throws while it is imported.
    const at = positions.where(thrown);
    const message = thrown instanceof Error ? thrown.message : String(thrown);
    post(base);
    post({ type: "log", run: id, lines: [`Error: module ${moduleName(compiled.path)} threw while it was imported: ${message}${at === undefined ? "" : ` (at ${at})`}`] });
    post({ type: "stats", run: id, stats: EMPTY, state: "failed" });
    return undefined;
  }
  try {
    const apps = applicationsOf(exports, compiled.path);
    const run = new Run(apps, positions, seed, {
      log: (lines, dropped) => post({ type: "log", run: id, lines, dropped }),
      stats: (stats, state) => post({ type: "stats", run: id, stats, state }),
    }, speed, timeLimitMs, bytes);
    current = { id, run };
    post({ ...base, graph: graphModel(apps) });
    return run;
  } catch (thrown) {
    post(base);
    post({ type: "log", run: id, lines: errorLines(thrown, positions) });
    post({ type: "stats", run: id, stats: EMPTY, state: "failed" });
    return undefined;
  }
}

// The module's `console.log` (and info, warn, error) lines go to the current run's log, as the
// CLI prints them; with no run they go to the browser's console.
for (const level of ["log", "info", "warn", "error"] as const) {
  const original = console[level].bind(console);
  console[level] = (...data: unknown[]) => (current === undefined ? original(...data) : current.run.print(data.map((d) => (typeof d === "string" ? d : show(d))).join(" ")));
}

const EMPTY: RunStats = { steps: 0, atoms: 0, events: 0, parked: 0, workflows: {}, steppingMs: 0 };

self.onmessage = async (event: MessageEvent<ToWorker>) => {
  try {
    await handle(event.data);
  } catch (thrown) {
    // A bug of the playground, not of the module (those are caught where they happen): said, not swallowed.
    post({ type: "log", run: current?.id ?? 0, lines: [`Error: the playground's worker failed: ${thrown instanceof Error ? (thrown.stack ?? thrown.message) : String(thrown)}`] });
  }
};

async function handle(m: ToWorker): Promise<void> {
  switch (m.type) {
    case "complete":
      post({ type: "completions", id: m.id, result: assistant.completions(m.source, m.at) });
      return;
    case "hover":
      post({ type: "hovered", id: m.id, result: assistant.hover(m.source, m.at) });
      return;
    case "bundle": {
      const compiled = compiler.compile(m.source, "esm");
      post({ type: "bundle", code: compiled.code, problems: compiled.problems });
      return;
    }
    case "check": {
      const compiled = compile(m.source);
      post({ type: "checked", problems: compiled.problems, machines: compiled.machines, ms: compiled.ms });
      return;
    }
    case "run": {
      const run = launch(m.run, m.source, m.seed, m.speed, m.timeLimitMs);
      // Paused (Step): the step that follows reports.
      if (run !== undefined && !m.paused) run.resume(m.speed);
      return;
    }
    case "step":
      if (current?.id === m.run) await current.run.step(m.steps);
      return;
    case "resume":
      if (current?.id === m.run) current.run.resume(m.speed);
      return;
    case "speed":
      current?.run.setSpeed(m.speed);
      return;
    case "stop":
      current?.run.stop();
      return;
    case "inspect": {
      if (current === undefined) return void post({ type: "state", view: undefined });
      const { run } = current;
      const inspected = inspector.inspect(current.id, () => run.system.snapshot(), run.apps);
      if (inspected.firstTime) post({ type: "log", run: current.id, lines: [`Error: ${inspected.error}`] });
      post({ type: "state", view: inspected.view, ...(inspected.error !== undefined ? { error: inspected.error } : {}) });
      return;
    }
    case "snapshot":
      try {
        const bytes = current?.run.system.snapshot();
        post({ type: "snapshot", bytes }, bytes ? [bytes.buffer as ArrayBuffer] : []);
      } catch (thrown) {
        post({ type: "snapshot", bytes: undefined, error: errorLines(thrown)[0] });
      }
      return;
    case "restore": {
      const run = launch(m.run, m.source, 0, Infinity, Number.MAX_SAFE_INTEGER, m.bytes);
      if (run !== undefined) post({ type: "stats", run: m.run, stats: run.stats(), state: "paused" });
      return;
    }
  }
}

post({ type: "ready" });
