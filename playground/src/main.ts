/**
 * The playground page: the editor, the controls, and the panels (log, graph, state), talking to
 * the worker that compiles and runs (`worker.ts`, messages in `protocol.ts`). The page paints
 * before TypeScript loads: only the worker loads it. A run that does not finish within the time
 * limit is stopped by the worker between chunks; one stuck inside a step is ended by terminating
 * the worker (a new one starts), either way with `Error: Execution timed out`.
 */
import "./style.css";
import type { Problem, Source, SourceFile } from "./compile.js";
import { Editor, Viewer } from "./editor.js";
import { EXAMPLES, exampleFiles, type Example } from "./examples.js";
import { drawGraph } from "./graph.js";
import type { StateView } from "./inspect.js";
import type { FromWorker, RunStats, ToWorker } from "./protocol.js";
import { ServerPanel } from "./server-panel.js";
import { sharedModule, shareFragment, type Shared } from "./share.js";

/** Lines the log panel keeps. */
const LOG_LINES = 1024;
/** Delay after an edit before the module is checked, in milliseconds. */
const CHECK_DELAY_MS = 200;
/** How long past the time limit a run may go before the worker is terminated. */
const GRACE_MS = 2000;

const $ = <T extends HTMLElement>(id: string): T => document.getElementById(id) as T;
const status = $("status");
const logView = $("log");
const diagnosticsView = $("diagnostics");
const examples = $<HTMLSelectElement>("examples");

let worker: Worker;
let ready = false;
let runId = 0;
let runState: "none" | "running" | "paused" | "done" | "stopped" | "failed" = "none";
let watchdog: ReturnType<typeof setTimeout> | undefined;
let checkTimer: ReturnType<typeof setTimeout> | undefined;
/** The text the current run was launched with: Run continues a paused run only while the editor still holds it. */
let launchedText: string | undefined;
const log: string[] = [];
let dropped = 0;

const HELLO = EXAMPLES.find((e) => e.name === "hello-world")!;
/** Where the module of the last visit is kept in this browser (edits survive a reload; a share link comes first). */
const LAST_VISIT = "portals-playground:module";

/** The module of the last visit, if this browser kept one. */
function lastVisit(): Shared | undefined {
  try {
    const kept = JSON.parse(localStorage.getItem(LAST_VISIT) ?? "null") as Partial<Shared> | null;
    return typeof kept?.text === "string" ? { text: kept.text, ...(typeof kept.example === "string" ? { example: kept.example } : {}) } : undefined;
  } catch {
    return undefined;
  }
}

/** What the page opens with: the share link's module; else the last visit's; else hello world (also when the link is damaged, said in the log). */
let shared: Shared | undefined;
let linkProblem: string | undefined;
try {
  shared = sharedModule(location.hash);
} catch (thrown) {
  linkProblem = `Error: ${(thrown as Error).message}; showing ${HELLO.name} instead`;
}
const opened = shared ?? (linkProblem === undefined ? lastVisit() : undefined) ?? { text: HELLO.text, example: HELLO.name };
const initial = opened.text;
/** The example whose other files the editor's module imports (they are beside it), and those files; none for a one-file module. */
let home: Example | undefined;
let files: readonly SourceFile[] = [];
/** Requests to the worker that wait for an answer (completions, hovers), by id. */
const waiting = new Map<number, { readonly resolve: (result: never) => void; readonly none: unknown }>();
let nextRequest = 1;

/** Asks the worker and resolves with its answer (an empty one while the compiler is loading). */
function request<T>(type: "complete" | "hover", text: string, at: number, none: T): Promise<T> {
  if (!ready) return Promise.resolve(none);
  const id = nextRequest++;
  return new Promise<T>((resolve) => {
    waiting.set(id, { resolve: resolve as (result: never) => void, none });
    send({ type, id, source: source(text), at });
  });
}

const editor = new Editor(
  $("editor"),
  initial,
  () => {
    clearTimeout(checkTimer);
    checkTimer = setTimeout(() => {
      check();
      keep();
    }, CHECK_DELAY_MS);
  },
  {
    complete: (text, at) => request("complete", text, at, { from: at, options: [] }),
    hover: (text, at) => request("hover", text, at, undefined),
  },
);

const viewer = new Viewer($("viewer"));
const tabs = $("files");

for (const e of EXAMPLES) examples.append(new Option(e.name, e.name));

function send(message: ToWorker, transfer: Transferable[] = []): void {
  worker.postMessage(message, transfer);
}

function startWorker(): void {
  ready = false;
  status.dataset.compiler = "loading";
  // What the old worker will never answer: nothing to complete, nothing to show.
  for (const { resolve, none } of waiting.values()) resolve(none as never);
  waiting.clear();
  worker = new Worker(new URL("./worker.ts", import.meta.url), { type: "module" });
  worker.onmessage = (event: MessageEvent<FromWorker>) => receive(event.data);
  worker.onerror = (event) => {
    appendLog([`Error: ${event.message || "the worker failed"}`]);
    setState("failed");
  };
}

function receive(m: FromWorker): void {
  switch (m.type) {
    case "ready":
      ready = true;
      status.dataset.compiler = "ready";
      status.textContent = "ready";
      // When TypeScript had loaded, since the page's navigation started (the benchmark reads it).
      status.dataset.readyMs ??= performance.now().toFixed(0);
      check();
      queued?.();
      queued = undefined;
      return;
    case "bundle":
      void panel.deploy(m.code, m.problems);
      return;
    case "completions":
    case "hovered":
      waiting.get(m.id)?.resolve(m.result as never);
      waiting.delete(m.id);
      return;
    case "checked":
      showProblems(m.problems);
      // A run's state is what the status says once there is a run.
      if (runState === "none") status.textContent = `compiled in ${m.ms.toFixed(0)} ms · ${m.machines} machine${m.machines === 1 ? "" : "s"}`;
      status.dataset.compileMs = m.ms.toFixed(1);
      status.dataset.checks = String(Number(status.dataset.checks ?? 0) + 1);
      return;
    case "launched":
      if (m.run !== runId) return;
      clearTimeout(launchTimer);
      showProblems(m.problems);
      status.dataset.compileMs = m.ms.toFixed(1);
      if (m.graph !== undefined) {
        drawGraph($("graph"), m.graph);
      }
      return;
    case "log":
      if (m.run === runId || m.run === 0) appendLog(m.lines, m.dropped);
      return;
    case "stats":
      if (m.run !== runId) return;
      showStats(m.stats);
      setState(m.state);
      if (m.state !== "running") inspect();
      return;
    case "state":
      showState(m.view, m.error);
      return;
    case "snapshot":
      if (m.bytes === undefined) {
        appendLog([m.error ?? "Error: there is no run to snapshot: Run or Step first"]);
        return;
      }
      download(m.bytes);
      return;
  }
}

function setState(state: typeof runState): void {
  // The log is drawn before the state says the run moved on (what a reader of the page sees first).
  renderLog();
  runState = state;
  status.dataset.state = state;
  status.textContent = state;
  if (state !== "running") clearTimeout(watchdog);
}

/**
 * Adds lines to the log (`droppedBefore` lines before them never reached the page). The panel is
 * redrawn at most every {@link RENDER_MS}, and whenever the run's state changes: a run that logs
 * thousands of lines a second must not keep the page busy redrawing.
 */
function appendLog(lines: readonly string[], droppedBefore = 0): void {
  dropped += droppedBefore;
  log.push(...lines);
  if (log.length > LOG_LINES) dropped += log.splice(0, log.length - LOG_LINES).length;
  if (renderTimer === undefined) renderTimer = setTimeout(renderLog, RENDER_MS);
}

let renderTimer: ReturnType<typeof setTimeout> | undefined;
/** Longest time between a log line's arrival and its drawing, in milliseconds. */
const RENDER_MS = 100;

function renderLog(): void {
  clearTimeout(renderTimer);
  renderTimer = undefined;
  const fragment = document.createDocumentFragment();
  if (dropped > 0) fragment.append(`… ${dropped} earlier line${dropped === 1 ? "" : "s"} not kept\n`);
  for (const line of log) {
    if (line.startsWith("Error: ") || line.startsWith("[error] ")) {
      const span = document.createElement("span");
      span.className = "error";
      span.textContent = line + "\n";
      fragment.append(span);
    } else fragment.append(line + "\n");
  }
  logView.replaceChildren(fragment);
  logView.scrollTop = logView.scrollHeight;
}

function clearLog(): void {
  log.length = 0;
  dropped = 0;
  renderLog();
}

function showProblems(problems: readonly Problem[]): void {
  editor.showProblems(problems.filter((p) => p.file === undefined));
  diagnosticsView.replaceChildren(
    ...problems.map((p) => {
      const li = document.createElement("li");
      li.className = p.severity;
      // The portals compiler's messages already begin with `portals: `.
      li.textContent = `${p.file === undefined ? "" : `${p.file}:`}${p.line}:${p.column} ${p.source === "portals" ? "portals" : "ts"}: ${p.message.replace(/^portals: /, "")}`;
      li.onclick = () => (p.file === undefined ? (showTab(undefined), editor.reveal(p.from)) : showTab(p.file, p.from));
      return li;
    }),
  );
}

/** The example being opened: the controls act once it is in the editor (its files load over the network). */
let opening: Promise<void> = Promise.resolve();

/** Puts `example` in the editor, with its other files (loaded first, so the first check compiles them all). */
function openExample(example: Example, text = example.text): void {
  opening = opening.then(async () => {
    const loaded = await exampleFiles(example);
    home = loaded.length > 0 ? example : undefined;
    files = loaded;
    drawTabs();
    editor.text = text;
    // Checked now, with its files, rather than again after the edit's delay.
    clearTimeout(checkTimer);
    check();
  });
}

/** `control`, run once the example being opened is in the editor. */
function afterOpening(control: () => unknown): () => void {
  return () => void opening.then(control);
}

/** The tabs over the editor: the module, then its example's other files (read-only); none for a one-file module. */
function drawTabs(): void {
  tabs.hidden = files.length === 0;
  const tab = (label: string, file: string | undefined): HTMLButtonElement => {
    const button = document.createElement("button");
    button.textContent = label;
    button.dataset.file = file ?? home!.path;
    button.setAttribute("role", "tab");
    button.title = file === undefined ? "the module (editable)" : `${file} (read-only)`;
    button.onclick = () => showTab(file);
    return button;
  };
  tabs.replaceChildren(...(home === undefined ? [] : [tab(home.path.split("/").at(-1)!, undefined), ...files.map((f) => tab(f.path.split("/").at(-1)!, f.path))]));
  showTab(undefined);
}

/** Shows the module in the editor (`file` undefined), or `file` of the example read-only, at `offset`. */
function showTab(file: string | undefined, offset = 0): void {
  const shown = files.find((f) => f.path === file);
  $("editor").hidden = shown !== undefined;
  $("viewer").hidden = shown === undefined;
  if (shown !== undefined) viewer.show(shown.text, offset);
  for (const button of tabs.querySelectorAll("button")) {
    const active = button.dataset.file === (shown?.path ?? home?.path);
    button.classList.toggle("active", active);
    button.setAttribute("aria-selected", String(active));
  }
}

function showStats(stats: RunStats): void {
  const perSecond = stats.steppingMs > 0 ? (stats.events / stats.steppingMs) * 1000 : 0;
  // A run that moved events never shows 0 events/s: a slow one (or a loaded machine) rounds down
  // to it, and one shorter than the browser's clock resolution (0.1 ms) measures no time at all.
  const rate =
    stats.events > 0 && stats.steppingMs <= 0
      ? "too fast to time"
      : `${perSecond === 0 || perSecond >= 1 ? Math.round(perSecond) : perSecond.toPrecision(1)} events/s`;
  $("counters").textContent = `steps ${stats.steps} · atoms ${stats.atoms} · events ${stats.events} · parked ${stats.parked} · ${rate}`;
  $("counters").dataset.events = String(stats.events);
  $("counters").dataset.steppingMs = stats.steppingMs.toFixed(1);
  for (const [path, events] of Object.entries(stats.workflows)) {
    const sub = $("graph").querySelector(`g[data-path="${CSS.escape(path)}"] text.sub`);
    if (sub) sub.textContent = `workflow · ${events} ev`;
  }
}

/** Shows `view`, under `error` when a fresh one could not be taken (`view` is then the run's last one). */
function showState(view: StateView | undefined, error?: string): void {
  const into = $("state");
  const problem = document.createElement("p");
  problem.className = "error";
  problem.dataset.testid = "state-error";
  problem.textContent = error ?? "";
  if (view === undefined) {
    into.replaceChildren(...(error === undefined ? ["no run"] : [problem]));
    return;
  }
  const table = document.createElement("table");
  const row = (cells: string[], head = false): void => {
    const tr = table.insertRow();
    for (const c of cells) {
      const cell = document.createElement(head ? "th" : "td");
      cell.textContent = c;
      tr.append(cell);
    }
  };
  row(["workflow / task", "kind", "key", "name", "value"], true);
  for (const w of view.workflows) {
    for (const t of w.tasks) {
      const where = `${w.path} / ${t.name}`;
      for (const s of t.perKey) row([where, "perKey", s.key, s.name, s.value]);
      for (const s of t.perTask) row([where, "perTask", "", s.name, s.value]);
      for (const s of t.vsm) row([where, "vsm", s.key, "", s.state]);
      for (const p of t.parked) {
        for (const f of p.frames) row([where, "parked", p.key, `${f.machine} pc ${f.pc}`, `locals ${f.locals}${p.awaiting ? ` · awaiting ${p.awaiting.join(", ")}` : ""}`]);
      }
    }
  }
  const caption = table.createCaption();
  caption.textContent = `at step ${view.steps} · snapshot ${view.bytes} bytes${error === undefined ? "" : " (the last snapshot that could be taken)"}`;
  into.replaceChildren(...(error === undefined ? [] : [problem]), table);
}

/**
 * What the worker compiles for the module `text`: beside its example's files when it has them,
 * else at the repository path of the example it is unchanged from, if any (see protocol.ts).
 */
function source(text = editor.text): Source {
  if (home !== undefined) return { text, path: home.path, files };
  const example = EXAMPLES.find((e) => e.text === text);
  return example === undefined ? { text } : { text, path: example.path };
}

function check(): void {
  if (ready) send({ type: "check", source: source() });
}

function inspect(): void {
  if (ready) send({ type: "inspect" });
}

function speed(): number {
  return Number($<HTMLSelectElement>("speed").value);
}

/** The value of number field `id` when `valid`, else `undefined` after an error naming the field and what it takes. */
function field(id: string, label: string, valid: (n: number) => boolean, takes: string): number | undefined {
  const raw = $<HTMLInputElement>(id).value.trim();
  const n = Number(raw);
  if (raw !== "" && valid(n)) return n;
  appendLog([`Error: ${label} must be ${takes} (it is ${raw === "" ? "empty" : JSON.stringify(raw)})`]);
  return undefined;
}

/** The longest time limit, in seconds (a day). */
const MAX_LIMIT_S = 86_400;

/** The time limit in milliseconds (the field is in seconds), or `undefined` after an error. */
function limitMs(): number | undefined {
  // A browser's timer fires at once beyond 2^31 - 1 ms: a day is far below.
  const seconds = field("limit", "the time limit", (n) => Number.isFinite(n) && n > 0 && n <= MAX_LIMIT_S, `a positive number of seconds, at most ${MAX_LIMIT_S}`);
  return seconds === undefined ? undefined : seconds * 1000;
}

/** The controls a run starts with, or `undefined` when a field is wrong (said in the log). */
function controls(): { seed: number; limitMs: number } | undefined {
  const seed = field("seed", "the seed", Number.isSafeInteger, "an integer");
  const limit = limitMs();
  return seed === undefined || limit === undefined ? undefined : { seed, limitMs: limit };
}

/** A Run or Step clicked while the compiler loads: done once it has loaded. */
let queued: (() => void) | undefined;

/** Whether the compiler is ready; if not, `control` is clicked again once it is. */
function readyFor(control: string): boolean {
  if (ready) return true;
  queued = () => $(control).click();
  status.textContent = "the compiler is still loading… (it goes on once loaded)";
  return false;
}

/** Set while a new run waits for the worker to launch it: ends a worker stuck in the run before. */
let launchTimer: ReturnType<typeof setTimeout> | undefined;

/** Starts run `runId`, paused (for Step) or not; `false` when a field is wrong. */
function run(paused: boolean): boolean {
  const set = controls();
  if (set === undefined) return false;
  // The run before may be stuck inside a step: the worker would never see this one.
  if (runState === "running") {
    clearTimeout(launchTimer);
    launchTimer = setTimeout(() => {
      worker.terminate();
      appendLog([STUCK_STOPPED]);
      setState("stopped");
      startWorker();
      queued = () => $(paused ? "step" : "run").click();
      status.textContent = "the run before was stuck: restarting the compiler, then this run…";
    }, STOP_GRACE_MS);
  }
  runId++;
  status.dataset.run = String(runId);
  clearLog();
  setState("running");
  launchedText = editor.text;
  launchedLimitMs = set.limitMs;
  send({ type: "run", run: runId, source: source(), seed: set.seed, speed: speed(), timeLimitMs: set.limitMs, paused });
  if (!paused) armWatchdog();
  return true;
}

/** The time limit the current run was launched with (the worker's). */
let launchedLimitMs = 30_000;

/** Ends the worker if the run still runs {@link GRACE_MS} after its time limit. */
function armWatchdog(): void {
  clearTimeout(watchdog);
  watchdog = setTimeout(() => endWorker("Error: Execution timed out", "timed out"), launchedLimitMs + GRACE_MS);
}

/**
 * The run did not stop itself in time (the limit, or Stop): it is stuck inside a step. The worker
 * goes with `line` in the log, and a new one comes.
 */
function endWorker(line: string, why: string): void {
  if (runState !== "running") return;
  worker.terminate();
  appendLog([line]);
  setState("stopped");
  status.textContent = `stopped (${why}); restarting the compiler…`;
  startWorker();
}

function download(bytes: Uint8Array): void {
  const url = URL.createObjectURL(new Blob([bytes as BlobPart], { type: "application/octet-stream" }));
  const a = document.createElement("a");
  a.href = url;
  a.download = `portals-snapshot-step-${$("counters").textContent?.match(/steps (\d+)/)?.[1] ?? 0}.bin`;
  a.click();
  setTimeout(() => URL.revokeObjectURL(url), 1000);
}

/** Run: a paused run (after Step or a restore) goes on, unless the code changed since; otherwise a fresh run starts. */
$("run").onclick = afterOpening(() => {
  if (!readyFor("run")) return;
  if (runState !== "paused" || editor.text !== launchedText) return void run(false);
  // A paused run goes on with the seed and limit it was launched with; a wrong field is still said.
  if (controls() === undefined) return;
  setState("running");
  send({ type: "resume", run: runId, speed: speed() });
  armWatchdog();
});
/** What the log says when Stop, or a new Run, ended a worker stuck in the module's code. */
const STUCK_STOPPED = "Error: Stopped inside code that did not return";

/** How long Stop, or a new Run, waits for the worker to answer before it ends the worker. */
const STOP_GRACE_MS = 1000;

$("stop").onclick = () => {
  queued = undefined;
  send({ type: "stop" });
  // A run inside a step that does not return never reaches the next chunk: the worker goes.
  if (runState !== "running") return;
  clearTimeout(watchdog);
  watchdog = setTimeout(() => endWorker(STUCK_STOPPED, "by Stop"), STOP_GRACE_MS);
};
$("step").onclick = afterOpening(() => {
  if (!readyFor("step")) return;
  const steps = field("steps", "N (the steps to take)", (n) => Number.isSafeInteger(n) && n >= 1, "a whole number of steps, at least 1");
  if (steps === undefined) return;
  const fresh = runState !== "paused" || editor.text !== launchedText;
  if (fresh ? !run(true) : controls() === undefined) return;
  // Running until the steps are taken: a step that never returns is ended by the watchdog too.
  setState("running");
  armWatchdog();
  send({ type: "step", run: runId, steps });
});
$("speed").onchange = () => send({ type: "speed", speed: speed() });
$("refresh").onclick = inspect;
/** Keeps the editor's module (and its example) in this browser for the next visit; a share link in the address bar that no longer holds it goes. */
function keep(): void {
  let linked: Shared | undefined;
  try {
    linked = sharedModule(location.hash);
  } catch {
    linked = undefined;
  }
  // Reloaded, the link would win over the edits kept here.
  if (location.hash !== "" && linked?.text !== editor.text) history.replaceState(null, "", location.pathname + location.search);
  try {
    localStorage.setItem(LAST_VISIT, JSON.stringify(home === undefined ? { text: editor.text, ...(examples.value === "" ? {} : { example: examples.value }) } : { text: editor.text, example: home.name }));
  } catch {
    // Storage full or denied (a private window): the module just is not kept.
  }
}

/** Opens `module` (from a share link or the last visit) with its example's files; a link naming no example of this page says so. */
function openModule(module: Shared): void {
  const example = module.example === undefined ? undefined : EXAMPLES.find((e) => e.name === module.example);
  if (module.example !== undefined && example === undefined) {
    appendLog([`Error: the share link names example ${JSON.stringify(module.example)}, which this playground does not have; its module is shown alone`]);
  }
  examples.value = EXAMPLES.find((e) => e.text === module.text)?.name ?? "";
  if (examples.value === "" && examples.options[0]?.value !== "") examples.prepend(new Option("(your code)", "", true, true));
  if (example !== undefined) return openExample(example, module.text);
  opening = opening.then(() => {
    home = undefined;
    files = [];
    drawTabs();
    editor.text = module.text;
  });
}

// A share link pasted into the address bar of an open page changes only the fragment.
window.addEventListener("hashchange", () => {
  try {
    const module = sharedModule(location.hash);
    if (module !== undefined) openModule(module);
  } catch (thrown) {
    appendLog([`Error: ${(thrown as Error).message}`]);
  }
});

$("share").onclick = afterOpening(() => {
  const url = new URL(location.href);
  url.hash = shareFragment(home === undefined ? { text: editor.text } : { text: editor.text, example: home.name });
  history.replaceState(null, "", url);
  void navigator.clipboard?.writeText(url.href).catch(() => undefined);
  status.textContent = "link in the address bar";
});
$("download").onclick = () => send({ type: "snapshot" });
$<HTMLInputElement>("restore").onchange = async (event) => {
  const input = event.target as HTMLInputElement;
  const file = input.files?.[0];
  // Cleared, so that choosing the same file again (after fixing the code) restores again.
  input.value = "";
  if (file === undefined) return;
  if (!ready) return void appendLog(["Error: the compiler is still loading: restore again in a moment"]);
  const bytes = new Uint8Array(await file.arrayBuffer());
  await opening;
  runId++;
  status.dataset.run = String(runId);
  setState("running");
  clearLog();
  launchedText = editor.text;
  send({ type: "restore", run: runId, source: source(), bytes }, [bytes.buffer]);
};
examples.onchange = () => {
  const example = EXAMPLES.find((e) => e.name === examples.value);
  if (example === undefined) return;
  history.replaceState(null, "", location.pathname + location.search);
  openExample(example);
};
document.addEventListener("keydown", (event) => {
  if ((event.ctrlKey || event.metaKey) && event.key === "Enter") {
    event.preventDefault();
    $("run").click();
  }
});

const panel = new ServerPanel({ log: appendLog, showProblems, status: (text) => (status.textContent = text) });
$("deploy").onclick = afterOpening(() => {
  if (!panel.connected) return void appendLog(["Error: not connected: Connect to a server first"]);
  if (home === undefined) return send({ type: "bundle", source: source() });
  // A server takes one module: this one imports others of its example.
  appendLog([`Error: a server takes one module, and ${home.path} imports ${files.map((f) => f.path.split("/").at(-1)).join(", ")} beside it: deploy it from the repository, \`portals deploy ${home.path}\` (docs/live.md)`]);
});

/**
 * The page's automation surface (tests, and whoever scripts the page): the editor's text. The
 * controls are buttons with stable `data-testid`s; `#status` has the run number and its state
 * in `data-run` and `data-state`, and `data-compiler` (`loading` or `ready`).
 */
(window as unknown as { playground: unknown }).playground = {
  text: (): string => editor.text,
  setText: (text: string): void => {
    editor.text = text;
  },
};

status.dataset.run = "0";
if (linkProblem !== undefined) appendLog([linkProblem]);
// An example's module (shared, or kept from the last visit) comes with its files.
openModule(opened);
startWorker();
