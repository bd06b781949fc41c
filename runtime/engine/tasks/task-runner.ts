/**
 * One task instance in a running workflow: its context, state and behaviour, and the calls of
 * its callbacks (docs/semantics.md, rules 8 to 10). It
 *   - runs the behaviour over an atom's events and hooks; when a callback throws, that event
 *     fails alone (rule 10): what the call emitted since it started or resumed is dropped, the
 *     failure is reported (log, `onError`, the atom's error, the dead letters) and the next
 *     event goes on;
 *   - runs compiled callbacks (machines) as invocations, and parks those that await requests in
 *     its contination table (`portals/continuation-table.ts`);
 *   - sends requests through its portal client, serves requests through its portal server, and
 *     resumes continuations when replies arrive, under the asker's key and state.
 */
import { OperatorError, PortalRequestError, type HookName } from "../../core/errors.js";
import type { Key } from "../../core/key.js";
import type { LogWriter } from "../../core/log.js";
import { machineOf, reachableMachines, RequestHandle, type Machine } from "../../core/machine.js";
import type { ReplyMessage, RequestMessage } from "../../core/messages.js";
import { operatorMachines, requestHandlerOf, type Callback } from "../../core/spec.js";
import { refusePromise } from "../../core/uncompiled.js";
import { findVsmBehavior, type VsmBehavior } from "../../core/vsm.js";
import type { TaskNode } from "../../graph/model.js";
import { TaskStateStore, type StateChanges } from "../../state/task-state.js";
import type { Batch } from "../atom.js";
import { ContinuationTable } from "../portals/continuation-table.js";
import { Invocation, type InvocationData, type Outcome, type Settlement } from "../portals/invocation.js";
import type { PortalOutbox } from "../portals/outbox.js";
import { PortalClient } from "../portals/portal-client.js";
import { PortalServer, type Serving } from "../portals/portal-server.js";
import { makeBehavior, ResultMode, type Behavior, type BehaviorHost } from "./behaviors.js";
import { post, type DeadLetterBox } from "./failures.js";
import { TaskContext, type ContextHost } from "./task-context.js";

/** What a parked invocation needs when it ends (plain data). */
interface CallInfo {
  readonly mode: ResultMode;
  readonly event: unknown;
  readonly serving: Serving | null;
}

/** A task instance as plain data (snapshots). */
export interface RunnerState {
  readonly perKey: ReadonlyMap<string, ReadonlyMap<Key, unknown>>;
  readonly perTask: ReadonlyMap<string, unknown>;
  /** Per-task state of combinators (stepper positions). */
  readonly combinators: ReadonlyMap<string, unknown>;
  /** Current vsm state per key, by the state's name. */
  readonly vsm: readonly (readonly [Key, string])[];
  readonly nextRequest: number;
  readonly nextInvocation: number;
  /** The continuation table: every parked invocation. */
  readonly parked: readonly InvocationData<CallInfo>[];
}

/**
 * A task instance's changes since the previous snapshot: its per-key state as written keys
 * only; with `parkedEnded`, `parked` as the parked invocations that changed (they replace those
 * of the same ids in the snapshot before, and those in `parkedEnded` are removed from it).
 * Without it, `parked` is the whole table (as in every delta of snapshot format 4).
 */
export type RunnerDelta = Omit<RunnerState, "perKey"> & { readonly changes: StateChanges; readonly parkedEnded?: readonly number[] };

/** A task instance; see the module header. */
export class TaskRunner implements BehaviorHost, ContextHost {
  /** Name of the task in its workflow. */
  readonly task: string;
  readonly ctx: TaskContext;
  readonly store = new TaskStateStore();
  readonly combinatorState = new Map<string, unknown>();
  readonly vsmStates = new Map<Key, VsmBehavior<unknown, unknown>>();
  readonly behavior: Behavior;
  private readonly continuations = new ContinuationTable<CallInfo>();
  private readonly client: PortalClient;
  private readonly server: PortalServer;
  private readonly onAsk: Callback | undefined;
  /** The machines of the task's compiled callbacks. */
  private readonly machines: readonly Machine[];
  private nextInvocation = 1;
  private running: Invocation<CallInfo> | null = null;

  /**
   * @throws Error from an `init` factory (the caller reports it with the task's location)
   */
  constructor(
    readonly workflow: string,
    node: TaskNode,
    readonly write: LogWriter,
    outbox: PortalOutbox,
    asks: readonly string[],
    /** Where failed events go, when the workflow has dead letters. */
    private readonly deadLetters?: DeadLetterBox,
  ) {
    this.task = node.name;
    this.client = new PortalClient(workflow, node.name, asks, outbox);
    this.server = new PortalServer(workflow, node.name, write, outbox);
    this.onAsk = requestHandlerOf(node.spec);
    this.machines = [...operatorMachines(node.spec).values()];
    this.ctx = new TaskContext(this, this.store);
    this.behavior = makeBehavior(node.spec, this);
  }

  /**
   * Runs the behaviour over `input` into `out`: each event, then `onError` if the atom failed
   * upstream, then `onAtomComplete` when `complete` (or `onComplete` when `end`). An event whose
   * callback throws fails alone, and the rest of the atom goes on (docs/semantics.md, rule 10).
   */
  runAtom(input: Batch, out: Batch, complete: boolean, end = false): void {
    const ctx = this.ctx;
    const b = this.behavior;
    const keys = input.keys;
    const values = input.values;
    const n = values.length;
    ctx.target(out, values.length);
    out.error ??= input.error;
    try {
      let i = 0;
      while (i < n) {
        // Where the failing event's output starts: a throw drops it (the loop is re-entered after).
        let mark = ctx.count;
        try {
          for (; i < n; i++) {
            mark = ctx.count;
            ctx.key = keys[i]!;
            b.onNext(values[i]);
          }
        } catch (thrown) {
          ctx.count = mark;
          this.failed(out, thrown, keys[i]!, values[i]);
          i++;
        }
      }
      if (input.error !== undefined) this.hook(out, "onError", input.error);
      if (end) this.hook(out, "onComplete");
      else if (complete) this.hook(out, "onAtomComplete");
    } finally {
      ctx.trim();
    }
  }

  /** Serves `request` under `key(payload)` (or the asker's key); failures become error replies. */
  serve(request: RequestMessage, keyOf: ((payload: any) => Key) | undefined, out: Batch): void {
    const ctx = this.ctx;
    ctx.target(out);
    ctx.key = request.askerKey;
    const serving: Serving = { request, replied: false };
    this.server.serving = serving;
    const mark = ctx.count;
    try {
      if (keyOf !== undefined) ctx.key = keyOf(request.payload);
      const parked = this.call(this.onAsk!, request.payload, ResultMode.Ignore);
      if (!parked && !serving.replied) this.server.noReply(serving, ctx.key);
    } catch (thrown) {
      this.drop(mark);
      this.server.fail(serving, ctx.key, thrown);
    } finally {
      this.server.serving = null;
    }
  }

  /** Delivers `reply` to the invocation that issued it and resumes it when it can continue. */
  resume(reply: ReplyMessage, out: Batch): void {
    const inv = this.continuations.find(reply.id);
    if (inv === undefined) return; // the invocation ended; nobody awaits this request
    this.continuations.received(inv);
    // A successful reply is its own settlement ({ ok: true, value }): no copy per reply.
    const input = inv.receive(reply.id, reply.ok ? (reply as Settlement) : { ok: false, error: new PortalRequestError(reply.portal, reply.reason!) });
    if (input === undefined) return;
    const ctx = this.ctx;
    ctx.target(out);
    ctx.key = inv.key;
    // The continuation may change, in place, state of its key it read before it parked.
    if (this.store.tracking) this.store.touchObjects(inv.key);
    const serving = inv.call.serving;
    this.server.serving = serving;
    const running = this.running;
    this.running = inv;
    const mark = ctx.count;
    try {
      let outcome: Outcome;
      try {
        outcome = inv.run(ctx, input);
      } finally {
        this.running = running;
      }
      const parked = this.settle(inv, outcome, true);
      if (!parked && serving !== null && !serving.replied) this.server.noReply(serving, ctx.key);
    } catch (thrown) {
      this.drop(mark);
      if (serving !== null) this.server.fail(serving, inv.key, thrown);
      else this.failed(out, thrown, inv.key, inv.call.event);
    } finally {
      this.server.serving = null;
    }
  }

  /** The task's state, counters and continuation table as plain data. */
  save(): RunnerState {
    return { perKey: this.store.perKey, ...this.saveShared(), parked: this.continuations.save() };
  }

  /** What a full snapshot and a delta both hold whole. */
  private saveShared(): Omit<RunnerState, "perKey" | "parked"> {
    return {
      perTask: this.store.perTask,
      combinators: this.combinatorState,
      vsm: [...this.vsmStates].map(([key, state]) => [key, state.name] as const),
      nextRequest: this.client.nextRequest,
      nextInvocation: this.nextInvocation,
    };
  }

  /**
   * As {@link save}, but the state as the keys written since the previous save, and the
   * continuation table as its changes (incremental). A parked continuation may hold an object
   * of its key's state and change it in place when it resumes, and its frames are saved whole:
   * whenever a delta holds the objects of a key, it holds every parked continuation of that key
   * with them, so a restore shares them again.
   */
  saveDelta(): RunnerDelta {
    // Frames may hold objects of the per-task state, which every delta holds whole: then every frame goes with it.
    const perTaskObjects = [...this.store.perTask.values()].some((v) => typeof v === "object" && v !== null);
    if (perTaskObjects || !this.continuations.tracking) {
      for (const inv of this.continuations.invocations()) this.store.touchObjects(inv.key);
      this.continuations.track(this.nextInvocation);
      return { ...this.saveShared(), parked: this.continuations.save(), changes: this.store.changes() };
    }
    const keys = this.continuations.changedKeys();
    for (const key of this.store.writtenKeys()) keys.add(key);
    const shared = new Set<Key>();
    for (const key of keys) if (this.store.touchObjects(key)) shared.add(key);
    const { parked, ended } = this.continuations.saveChanged(shared, this.nextInvocation);
    return { ...this.saveShared(), parked, parkedEnded: ended, changes: this.store.changes() };
  }

  /** Starts tracking state writes and continuation changes (after a full save): the next delta holds what changes from now. */
  trackChanges(): void {
    this.store.track();
    this.continuations.track(this.nextInvocation);
  }

  /**
   * Puts back a saved task. Per-key maps are taken over, or filled in place where state
   * handles made by an `init` factory hold them already (`TaskStateStore.load`). Parked frames
   * are re-bound to the task's machines and the helpers they can call.
   *
   * @throws Error naming the machine (or vsm state) when its code is missing or changed
   */
  load(saved: RunnerState): void {
    for (const [name, values] of saved.perKey) this.store.load(name, values);
    refill(this.store.perTask, saved.perTask);
    refill(this.combinatorState, saved.combinators);
    this.vsmStates.clear();
    for (const [key, name] of saved.vsm) {
      const state = findVsmBehavior(name);
      if (state === undefined) throw new Error(`workflow ${this.workflow}, task ${this.task}: the snapshot has key ${JSON.stringify(key)} in vsm state ${name}, which this program does not define`);
      this.vsmStates.set(key, state);
    }
    this.client.nextRequest = saved.nextRequest;
    this.nextInvocation = saved.nextInvocation;
    const machines = reachableMachines(this.machines);
    this.continuations.load(saved.parked, (id) => machines.get(id));
  }

  /** Number of parked invocations (continuations waiting for replies). */
  get parkedCount(): number {
    return this.continuations.parkedCount;
  }

  /** The parked invocations, by invocation id. */
  parked(): Invocation<CallInfo>[] {
    return this.continuations.invocations();
  }

  // BehaviorHost

  call(cb: Callback, event: unknown, mode: ResultMode): boolean {
    const machine = machineOf(cb);
    if (machine !== undefined) {
      const inv = new Invocation<CallInfo>(this.nextInvocation++, this.ctx.key, machine, [event], callInfo(mode, event, this.server.serving, this.deadLetters !== undefined));
      const previous = this.running;
      this.running = inv;
      let outcome: Outcome;
      try {
        outcome = inv.start(this.ctx);
      } finally {
        this.running = previous;
      }
      return this.settle(inv, outcome, false);
    }
    const result = (cb as (event: unknown, ctx: unknown) => unknown)(event, this.ctx);
    refusePromise(result, this.workflow, this.task);
    this.complete(mode, result, event);
    return false;
  }

  direct(cb: Callback, mode: ResultMode): (event: unknown) => void {
    if (machineOf(cb) !== undefined) return (x) => void this.call(cb, x, mode);
    const fn = cb as (event: unknown, ctx: unknown) => unknown;
    const ctx = this.ctx;
    const workflow = this.workflow;
    const task = this.task;
    // A promise from a callback is an async function the compiler did not see (a down-level
    // transpiled one): refuse it as `call` does. The checks are ordered so that the common
    // results (primitives, booleans) cost one comparison.
    switch (mode) {
      case ResultMode.Emit:
        return (x) => {
          const r = fn(x, ctx);
          if (typeof r === "object") refusePromise(r, workflow, task);
          ctx.emit(r);
        };
      case ResultMode.Filter:
        return (x) => {
          const r = fn(x, ctx);
          if (r === true) ctx.emit(x);
          else if (r !== false && r) {
            refusePromise(r, workflow, task);
            ctx.emit(x);
          }
        };
      case ResultMode.Flatten:
        return (x) => {
          const r = fn(x, ctx);
          refusePromise(r, workflow, task);
          for (const v of r as Iterable<unknown>) ctx.emit(v);
        };
      default:
        return (x) => {
          const r = fn(x, ctx);
          if (r !== undefined) refusePromise(r, workflow, task);
        };
    }
  }

  // ContextHost

  reply(value: unknown): void {
    this.server.reply(value);
  }

  request(portal: { readonly path: string }, payload: unknown): RequestHandle {
    const id = this.client.send(portal, payload, this.ctx.key);
    const inv = this.running;
    if (inv !== null) {
      this.continuations.issued(id, inv);
      inv.issue(id);
    }
    return new RequestHandle(portal.path, id);
  }

  /**
   * Applies an outcome: park, or end the invocation; returns true when parked. `resumed`: the
   * invocation is in the continuation table already (it parked before).
   */
  private settle(inv: Invocation<CallInfo>, outcome: Outcome, resumed: boolean): boolean {
    if (outcome.kind === "parked") {
      if (!resumed) this.continuations.parked();
      return true;
    }
    this.continuations.ended(inv, resumed);
    if (outcome.kind === "failed") throw outcome.error;
    this.complete(inv.call.mode, outcome.value, inv.call.event);
    return false;
  }

  private complete(mode: ResultMode, value: unknown, event: unknown): void {
    switch (mode) {
      case ResultMode.Emit:
        this.ctx.emit(value);
        break;
      case ResultMode.Filter:
        if (value) this.ctx.emit(event);
        break;
      case ResultMode.Flatten:
        for (const v of value as Iterable<unknown>) this.ctx.emit(v);
        break;
      default:
    }
  }

  /** Runs hook `hook` of the behaviour; a throw fails the hook alone, like an event. */
  private hook(out: Batch, hook: HookName, upstream?: OperatorError): void {
    const ctx = this.ctx;
    const key = ctx.key;
    const mark = ctx.count;
    try {
      if (hook === "onError") this.behavior.onError(upstream!);
      else if (hook === "onComplete") this.behavior.onComplete();
      else this.behavior.onAtomComplete();
    } catch (thrown) {
      ctx.count = mark;
      this.failed(out, thrown, key, undefined, hook);
    }
  }

  /**
   * Reports a failure of this task (docs/semantics.md, rule 10): the atom carries its first
   * error downstream, the log gets it (with the error in `meta.error`), a failed event goes to
   * the dead letters, and the task's `onError` handler runs under the event's key (unless it
   * was the handler that threw).
   */
  private failed(out: Batch, thrown: unknown, key: Key, event: unknown, hook?: HookName): void {
    const error = new OperatorError(this.workflow, this.task, key, thrown, hook);
    out.error ??= error;
    this.write(error.message, { level: "error", workflow: this.workflow, task: this.task, key, error });
    if (hook === undefined && this.deadLetters !== undefined) {
      post(this.deadLetters, key, event, error);
    }
    if (hook !== "onError") {
      this.ctx.key = key;
      this.hook(out, "onError", error);
    }
  }

  /** Drops what was emitted since `ctx.count` was `mark` (output of a call that failed). */
  private drop(mark: number): void {
    this.ctx.count = mark;
    this.ctx.trim();
  }
}

/**
 * Call info shared by every invocation that needs neither its event nor a request it serves
 * (an asker's, a processor's): one object less per parked continuation.
 */
const SHARED_CALLS: readonly CallInfo[] = [ResultMode.Ignore, ResultMode.Emit, ResultMode.Filter, ResultMode.Flatten].map((mode) =>
  Object.freeze({ mode, event: undefined, serving: null }),
);

/**
 * What the invocation of a call needs when it ends: only `Filter` emits the event itself, and
 * with dead letters (`keepEvent`) a failed continuation sends its event there.
 */
function callInfo(mode: ResultMode, event: unknown, serving: Serving | null, keepEvent: boolean): CallInfo {
  if (serving === null && mode !== ResultMode.Filter && !keepEvent) return SHARED_CALLS[mode]!;
  return { mode, event, serving };
}

function refill<K, V>(target: Map<K, V>, source: ReadonlyMap<K, V>): void {
  target.clear();
  for (const [k, v] of source) target.set(k, v);
}
