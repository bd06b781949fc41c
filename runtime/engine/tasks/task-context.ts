/**
 * The task context object (`ctx`) of one task instance. One object per task, reused for every
 * event: the runner sets `key` and `out` before each callback, so no per-event allocation.
 */
import type { LogLevel, ReplierContext, StateHandle, TaskLogger, TaskState } from "../../core/context.js";
import type { Key } from "../../core/key.js";
import type { LogWriter } from "../../core/log.js";
import { REQUESTER, type Requester } from "../../core/machine.js";
import { freezeInitial, PerKeyHandle, PerTaskHandle, RawState, TaskStateStore } from "../../state/task-state.js";
import type { Batch } from "../atom.js";

/** The parts of the task runner the context delegates to. */
export interface ContextHost extends Requester {
  readonly workflow: string;
  readonly task: string;
  readonly write: LogWriter;
  reply(value: unknown): void;
}

/**
 * `ctx` of one task instance. Compiled code sends its portal requests through it
 * (`[REQUESTER]`), so a request always reaches the task, and the system, it runs in.
 */
export class TaskContext implements ReplierContext<unknown, unknown> {
  /** Key of the current event (set by the runner). */
  key: Key = 0;
  /** Where `emit` writes (set by the runner with {@link target}). */
  out: Batch = { keys: [], values: [], error: undefined };
  /** Events emitted into `out`; its arrays may be longer while room is reserved. */
  count = 0;
  readonly state: TaskState;
  readonly log: TaskLogger;
  private readonly handles = new Map<string, PerKeyHandle<unknown>>();
  private lastHandle: PerKeyHandle<unknown> | undefined;
  private readonly taskHandles = new Map<string, PerTaskHandle<unknown>>();

  /** Where compiled code sends this task's portal requests (see `core/machine.ts`). */
  readonly [REQUESTER]: Requester;

  constructor(
    private readonly host: ContextHost,
    readonly store: TaskStateStore,
  ) {
    this[REQUESTER] = host;
    this.state = new RawState(store, this);
    const line = (level: LogLevel) => (message: string) =>
      host.write(String(message), { level, workflow: host.workflow, task: host.task, key: this.key });
    this.log = { info: line("info"), warn: line("warn"), error: line("error") };
  }

  /**
   * Makes `emit` write into `out` after its events. With `room`, an empty `out` gets arrays of
   * that length at once: most tasks emit at most one event per input event, and filling arrays
   * by index costs a third of growing them by push (see `fusion.ts`). {@link trim} drops
   * the room left unused.
   */
  target(out: Batch, room = 0): void {
    const n = out.values.length;
    if (n === 0 && room > 0) {
      out.keys = new Array<Key>(room);
      out.values = new Array<unknown>(room);
    }
    this.out = out;
    this.count = n;
  }

  /** Cuts `out` to the events emitted (after {@link target} with room). */
  trim(): void {
    const out = this.out;
    const n = this.count;
    if (out.values.length !== n) {
      out.keys.length = n;
      out.values.length = n;
    }
  }

  emit(event: unknown): void {
    const out = this.out;
    const n = this.count++;
    out.keys[n] = this.key;
    out.values[n] = event;
  }

  perKey<V>(name: string, initial: V): StateHandle<V> {
    // Callbacks ask for the same handle on every event: the last one answers without a lookup.
    const last = this.lastHandle;
    if (last !== undefined && last.name === name && Object.is(last.initial, initial)) return last as StateHandle<V>;
    let h = this.handles.get(name);
    if (h === undefined || !Object.is(h.initial, initial)) {
      h = new PerKeyHandle<unknown>(this.store, name, this, freezeInitial(initial));
      this.handles.set(name, h);
    }
    this.lastHandle = h;
    return h as StateHandle<V>;
  }

  perTask<V>(name: string, initial: V): StateHandle<V> {
    let h = this.taskHandles.get(name);
    if (h === undefined || !Object.is(h.initial, initial)) {
      h = new PerTaskHandle<unknown>(this.store, name, freezeInitial(initial));
      this.taskHandles.set(name, h);
    }
    return h as StateHandle<V>;
  }

  reply(value: unknown): void {
    this.host.reply(value);
  }
}
