/**
 * Messages between the page and the worker that compiles and runs the editor's module. Every
 * message is structured-cloneable data; a run is identified by the `run` number the page gave
 * it, so that messages of a cancelled run are dropped by the page. A `source` is the module with
 * where it is compiled (`compile.ts`): an example's repository path while its text is unchanged,
 * so that its machine ids, and so its snapshots, are those of the repository's build, and always
 * for an example with other files (they are beside it, as in the repository).
 */
import type { Completions, HoverInfo } from "./assist.js";
import type { Problem, Source } from "./compile.js";
import type { GraphModel } from "./graph-model.js";
import type { StateView } from "./inspect.js";

/** How fast a run steps: steps per second, or `Infinity` (as fast as it can). */
export type Speed = number;

/** Page → worker. */
export type ToWorker =
  /** Compile into an ES module to deploy to a server. */
  | { readonly type: "bundle"; readonly source: Source }
  /** Completions, or what hovering shows, at offset `at` of the module's text; answered with the same `id`. */
  | { readonly type: "complete" | "hover"; readonly id: number; readonly source: Source; readonly at: number }
  /** Compile only (diagnostics while typing). */
  | { readonly type: "check"; readonly source: Source }
  /** Compile and launch into a fresh test system; then step at `speed` (or stay paused with `paused`). */
  | { readonly type: "run"; readonly run: number; readonly source: Source; readonly seed: number; readonly speed: Speed; readonly timeLimitMs: number; readonly paused: boolean }
  /** Take `steps` steps of the current run (launching it first when there is none), then pause. */
  | { readonly type: "step"; readonly run: number; readonly steps: number }
  /** Go on stepping at `speed` after a pause. */
  | { readonly type: "resume"; readonly run: number; readonly speed: Speed }
  | { readonly type: "speed"; readonly speed: Speed }
  | { readonly type: "stop" }
  /** The state view of the current run. */
  | { readonly type: "inspect" }
  /** The bytes of a snapshot of the current run. */
  | { readonly type: "snapshot" }
  /** Compile `source`, restore `bytes` into a fresh system with its applications, and pause. */
  | { readonly type: "restore"; readonly run: number; readonly source: Source; readonly bytes: Uint8Array };

/** Counters of a run. */
export interface RunStats {
  readonly steps: number;
  readonly atoms: number;
  readonly events: number;
  /** Continuations parked now, waiting for replies. */
  readonly parked: number;
  /** Events processed per workflow path. */
  readonly workflows: Readonly<Record<string, number>>;
  /** Wall time spent stepping, in milliseconds (not counting pauses or the waits between chunks at a set speed). */
  readonly steppingMs: number;
}

/** Worker → page. */
export type FromWorker =
  | { readonly type: "ready" }
  | { readonly type: "bundle"; readonly code: string | undefined; readonly problems: readonly Problem[] }
  | { readonly type: "completions"; readonly id: number; readonly result: Completions }
  | { readonly type: "hovered"; readonly id: number; readonly result: HoverInfo | undefined }
  | { readonly type: "checked"; readonly problems: readonly Problem[]; readonly machines: number; readonly ms: number }
  /** The run's module compiled (with its problems) and launched, or not (`graph` absent). */
  | { readonly type: "launched"; readonly run: number; readonly problems: readonly Problem[]; readonly machines: number; readonly ms: number; readonly graph?: GraphModel }
  /** Log lines of a run; `dropped` lines before them were not posted (the worker keeps 1,024 between posts). */
  | { readonly type: "log"; readonly run: number; readonly lines: readonly string[]; readonly dropped?: number }
  | { readonly type: "stats"; readonly run: number; readonly stats: RunStats; readonly state: "running" | "paused" | "done" | "stopped" | "failed" }
  /** The state view; with `error`, why a fresh one could not be taken (`view` is then the run's last one, if any). */
  | { readonly type: "state"; readonly view: StateView | undefined; readonly error?: string }
  | { readonly type: "snapshot"; readonly bytes: Uint8Array | undefined; readonly error?: string };
