/**
 * The state viewer's data: a snapshot of the current run, decoded, as text per workflow, task and
 * key. A snapshot is exactly what the engine holds (docs/snapshots.md, "Payload"), and parked
 * continuations are data in it (machine id, pc, locals of every frame), so the view needs no
 * access to the engine's internals.
 */
import type { Application } from "portals-ts";
import { createCodec } from "../../dist/runtime/state/codec.js";
import { decodeSnapshot } from "../../dist/runtime/system/snapshot.js";
import { inspectError } from "./inspect-error.js";

/** A parked continuation: the request it waits for and its frames, innermost last. */
export interface ParkedView {
  readonly key: string;
  readonly awaiting: readonly number[] | null;
  readonly frames: readonly { readonly machine: string; readonly pc: number; readonly locals: string }[];
}

/** One task of a workflow. */
export interface TaskView {
  readonly name: string;
  /** Per-key state: one row per state name and key. */
  readonly perKey: readonly { readonly name: string; readonly key: string; readonly value: string }[];
  readonly perTask: readonly { readonly name: string; readonly value: string }[];
  /** Current vsm state per key. */
  readonly vsm: readonly { readonly key: string; readonly state: string }[];
  readonly parked: readonly ParkedView[];
}

/** The state of one run. */
export interface StateView {
  readonly steps: number;
  readonly workflows: readonly { readonly path: string; readonly tasks: readonly TaskView[] }[];
  /** Size of the snapshot this view was made from, in bytes. */
  readonly bytes: number;
}

/** Rows shown per task and kind of state (a keyed task can have millions). */
const MAX_ROWS = 200;

/** The view of `snapshot`, taken from a system running `apps`. */
export function stateView(snapshot: Uint8Array, apps: readonly Application[]): StateView {
  const codec = createCodec(
    apps.flatMap((a) => a.dataClasses),
    apps.flatMap((a) => a.model.portals),
  );
  const data = decodeSnapshot(snapshot, codec);
  const tasksOf = new Map(apps.flatMap((a) => a.plan.workflows.map((w) => [w.path, w.tasks.map((t) => t.name)] as const)));
  const workflows = Object.entries(data.workflows).map(([path, w]) => ({
    path,
    tasks: w.runners.map((r, i): TaskView => {
      const runner = r as import("../../dist/runtime/engine/tasks/task-runner.js").RunnerState;
      const perKey = [...runner.perKey].flatMap(([name, byKey]) => [...byKey].map(([key, value]) => ({ name, key: String(key), value: show(value) })));
      return {
        name: tasksOf.get(path)?.[i] ?? `task ${i}`,
        perKey: perKey.slice(0, MAX_ROWS),
        perTask: [...runner.perTask].slice(0, MAX_ROWS).map(([name, value]) => ({ name, value: show(value) })),
        vsm: runner.vsm.slice(0, MAX_ROWS).map(([key, state]) => ({ key: String(key), state })),
        parked: runner.parked.slice(0, MAX_ROWS).map((p) => ({
          key: String(p.key),
          awaiting: p.awaiting,
          frames: p.frames.map((f) => ({ machine: f.machine, pc: f.pc, locals: show(f.locals) })),
        })),
      };
    }),
  }));
  return { steps: data.stats.steps, workflows, bytes: snapshot.byteLength };
}

/** What the state viewer shows of a run: a view, the error that kept it from a fresh one, both, or neither (no run). */
export interface Inspected {
  /** The run's state now, or the last one that could be taken of this run when `error` is set. */
  readonly view: StateView | undefined;
  /** Why no snapshot of the run could be taken now. */
  readonly error?: string;
  /** True the first time this run meets `error`: the line to log once, not at every refresh. */
  readonly firstTime?: boolean;
}

/**
 * The state viewer of the worker's runs. A snapshot fails when the state holds what is not data
 * (an instance of a class not registered with `app.dataClass`, docs/snapshots.md), and it fails
 * again at every refresh: the error is made readable, reported once per run and error, and the
 * last view of the run that could be taken stays in view (with its step), instead of none.
 */
export class StateInspector {
  private last: { readonly run: number; readonly view: StateView } | undefined;
  private reported: { readonly run: number; readonly error: string } | undefined;

  /** The view of run `run`, whose `snapshot` is taken from a system running `apps`. */
  inspect(run: number, snapshot: () => Uint8Array, apps: readonly Application[]): Inspected {
    try {
      const view = stateView(snapshot(), apps);
      this.last = { run, view };
      return { view };
    } catch (thrown) {
      const error = inspectError(thrown);
      const firstTime = this.reported?.run !== run || this.reported.error !== error;
      this.reported = { run, error };
      return { view: this.last?.run === run ? this.last.view : undefined, error, firstTime };
    }
  }
}

/** Characters of one value's text before it is cut. */
const MAX_TEXT = 160;

/** A short, readable text of a value of the data policy (Map, Set, bigint, undefined included). */
export function show(value: unknown, depth = 0): string {
  const text = render(value, depth);
  return text.length > MAX_TEXT ? text.slice(0, MAX_TEXT - 1) + "…" : text;
}

function render(value: unknown, depth: number): string {
  if (typeof value === "string") return JSON.stringify(value);
  if (typeof value === "bigint") return `${value}n`;
  if (typeof value !== "object" || value === null) return Object.is(value, -0) ? "-0" : String(value);
  if (depth > 3) return "…";
  const inner = (v: unknown): string => render(v, depth + 1);
  if (Array.isArray(value)) return `[${value.slice(0, 20).map(inner).join(", ")}${value.length > 20 ? ", …" : ""}]`;
  if (value instanceof Map) return `Map(${value.size}) {${[...value].slice(0, 20).map(([k, v]) => `${inner(k)} => ${inner(v)}`).join(", ")}}`;
  if (value instanceof Set) return `Set(${value.size}) {${[...value].slice(0, 20).map(inner).join(", ")}}`;
  if (value instanceof Date) return value.toISOString();
  if (value instanceof Error) return `${value.name}: ${value.message}`;
  const proto = Object.getPrototypeOf(value) as { constructor?: { name?: string } } | null;
  const name = proto === null || proto === Object.prototype ? "" : `${proto.constructor?.name ?? ""} `;
  return `${name}{${Object.entries(value).slice(0, 20).map(([k, v]) => `${k}: ${inner(v)}`).join(", ")}}`;
}
