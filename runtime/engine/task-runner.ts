/**
 * One task instance in a running workflow: its context, state, behaviour, and its side of
 * portal traffic (DESIGN §5.8–5.10). It
 *   - runs the behaviour over an atom's events and hooks, failing the rest of the atom for this
 *     task when a callback throws;
 *   - runs compiled callbacks (machines) as invocations and parks those that await requests in
 *     its continuation table, keyed by invocation id, with a request id → invocation index;
 *   - issues requests (`portal.request`), serves requests (`onAsk` + `ctx.reply`) and resumes
 *     continuations when replies arrive, under the asker's key and state.
 */
import { OperatorError, PortalRequestError, describe } from "../api/errors.js";
import { allSpecs, callbackSlots, VSM, type Callback, type TaskSpec, type VsmBehavior } from "../api/tasks.js";
import type { TaskNode } from "../graph/model.js";
import { TaskStateStore, type StateChanges } from "../state/task-state.js";
import { activate, type Requester } from "./active.js";
import type { Batch } from "./atom.js";
import { Completion, makeBehavior, type Behavior, type BehaviorHost } from "./behaviors.js";
import { TaskContextImpl, type ContextHost, type LogWriter } from "./context.js";
import { Invocation, type InvocationData, type Outcome, type Settlement } from "./invocation.js";
import { findMachine, machineOf, type Key, type Machine, type RequestHandle } from "./machine.js";
import type { ReplyMessage, RequestMessage } from "./messages.js";
import { uncompiledMessage } from "./uncompiled.js";

/** A request being served, and whether it was answered. */
interface Serving {
  readonly request: RequestMessage;
  replied: boolean;
}

/** What a parked invocation needs when it ends (plain data). */
interface CallInfo {
  readonly completion: Completion;
  readonly event: unknown;
  readonly serving: Serving | null;
}

/** A task instance as plain data (snapshots, DESIGN §8). */
export interface RunnerState {
  readonly perKey: ReadonlyMap<string, ReadonlyMap<Key, unknown>>;
  readonly perTask: ReadonlyMap<string, unknown>;
  readonly internal: ReadonlyMap<string, unknown>;
  /** Current vsm state per key, by state id. */
  readonly vsm: readonly (readonly [Key, number])[];
  readonly nextRequest: number;
  readonly nextInvocation: number;
  /** The continuation table: every parked invocation. */
  readonly parked: readonly InvocationData<CallInfo>[];
}

/** A task instance's changes since the previous snapshot: its per-key state as written keys only. */
export type RunnerDelta = Omit<RunnerState, "perKey"> & { readonly changes: StateChanges };

/** Shared by the tasks of one workflow: where requests and replies go during a step. */
export interface PortalOutbox {
  out: Batch;
}

/** A task instance; see the module header. */
export class TaskRunner implements BehaviorHost, ContextHost, Requester {
  /** Name of the task in its workflow. */
  readonly task: string;
  readonly ctx: TaskContextImpl;
  readonly store = new TaskStateStore();
  readonly internal = new Map<string, unknown>();
  readonly vsmStates = new Map<Key, VsmBehavior<unknown, unknown>>();
  readonly behavior: Behavior;
  /**
   * The continuation table, indexed by request id: every request an invocation issued maps to it
   * until it ends. A parked invocation awaits only its own requests (see `Invocation.run`), so
   * every parked invocation is found here; one map, not a second by invocation id, because each
   * map operation is a measurable share of a portal round trip (issue 5).
   */
  private readonly byRequest = new Map<number, Invocation<CallInfo>>();
  /** Number of parked invocations. */
  private parkedInvocations = 0;
  private readonly asks: ReadonlySet<string>;
  private readonly onAsk: Callback | undefined;
  /** The compiled callbacks of the task by machine id (to re-bind restored frames). */
  private readonly machines: ReadonlyMap<string, Machine>;
  private nextRequest = 1;
  private nextInvocation = 1;
  private running: Invocation<CallInfo> | null = null;
  /** The portal ref of the last request, known to be declared. */
  private checkedPortal: object | undefined;
  private serving: Serving | null = null;

  /**
   * @throws Error from an `init` factory (the caller reports it with the task's location)
   */
  constructor(
    readonly workflow: string,
    node: TaskNode,
    readonly write: LogWriter,
    private readonly outbox: PortalOutbox,
    asks: readonly string[],
  ) {
    this.task = node.name;
    this.asks = new Set(asks);
    this.onAsk = findOnAsk(node.spec);
    this.machines = machinesOf(node.spec);
    this.ctx = new TaskContextImpl(this, this.store);
    this.behavior = makeBehavior(node.spec, this);
  }

  /**
   * Runs the behaviour over `input` into `out`: each event, then `onError` if the atom failed
   * upstream, then `onAtomComplete` when `complete` (or `onComplete` when `end`). A throw fails
   * the rest of the atom for this task (DESIGN §5.10).
   */
  runAtom(input: Batch, out: Batch, complete: boolean, end = false): void {
    const ctx = this.ctx;
    const b = this.behavior;
    const keys = input.keys;
    const values = input.values;
    ctx.target(out, values.length);
    out.error ??= input.error;
    const previous = activate(this);
    try {
      for (let i = 0; i < values.length; i++) {
        ctx.key = keys[i]!;
        b.onNext(values[i]);
      }
      if (input.error !== undefined) b.onError(input.error);
      if (end) b.onComplete();
      else if (complete) b.onAtomComplete();
    } catch (thrown) {
      this.fail(out, thrown);
    } finally {
      ctx.trim();
      activate(previous);
    }
  }

  /** Serves `request` under `key(payload)` (or the asker's key); failures become error replies. */
  serve(request: RequestMessage, keyOf: ((payload: any) => Key) | undefined, out: Batch): void {
    const ctx = this.ctx;
    ctx.target(out);
    ctx.key = request.askerKey;
    const serving: Serving = { request, replied: false };
    const previous = activate(this);
    this.serving = serving;
    try {
      if (keyOf !== undefined) ctx.key = keyOf(request.payload);
      const parked = this.call(this.onAsk!, request.payload, Completion.Ignore);
      if (!parked && !serving.replied) this.failRequest(serving, "the replier finished serving it without calling ctx.reply");
    } catch (thrown) {
      this.failRequest(serving, describe(thrown));
    } finally {
      this.serving = null;
      activate(previous);
    }
  }

  /** Delivers `reply` to the invocation that issued it and resumes it when it can continue. */
  resume(reply: ReplyMessage, out: Batch): void {
    const inv = this.byRequest.get(reply.id);
    if (inv === undefined) return; // the invocation ended; nobody awaits this request
    // A successful reply is its own settlement ({ ok: true, value }): no copy per reply.
    const input = inv.receive(reply.id, reply.ok ? (reply as Settlement) : { ok: false, error: new PortalRequestError(reply.portal, reply.reason!) });
    if (input === undefined) return;
    const ctx = this.ctx;
    ctx.target(out);
    ctx.key = inv.key;
    const previous = activate(this);
    this.serving = inv.call.serving;
    const running = this.running;
    this.running = inv;
    try {
      let outcome: Outcome;
      try {
        outcome = inv.run(ctx, input);
      } finally {
        this.running = running;
      }
      const parked = this.settle(inv, outcome, true);
      const serving = inv.call.serving;
      if (!parked && serving !== null && !serving.replied) {
        this.failRequest(serving, "the replier finished serving it without calling ctx.reply");
      }
    } catch (thrown) {
      if (inv.call.serving) this.failRequest(inv.call.serving, describe(thrown));
      else this.fail(out, thrown);
    } finally {
      this.serving = null;
      activate(previous);
    }
  }

  /** The task's state, counters and continuation table as plain data. */
  save(): RunnerState {
    return {
      perKey: this.store.perKey,
      perTask: this.store.perTask,
      internal: this.internal,
      vsm: [...this.vsmStates].map(([key, state]) => [key, state.id] as const),
      nextRequest: this.nextRequest,
      nextInvocation: this.nextInvocation,
      parked: this.parked().map((inv) => inv.toData()),
    };
  }

  /** As {@link save}, but the state as the keys written since the previous save (incremental). */
  saveDelta(): RunnerDelta {
    const { perKey: _perKey, ...rest } = this.save();
    return { ...rest, changes: this.store.changes() };
  }

  /** Starts tracking state writes (after a full save): the next delta holds what is written from now. */
  trackChanges(): void {
    this.store.track();
  }

  /**
   * Puts back a saved task. Maps are filled in place, because state handles made by an `init`
   * factory hold them. Parked frames are re-bound to the task's machines (or to helpers by id).
   *
   * @throws Error naming the machine when a frame's code is missing or changed
   */
  load(saved: RunnerState): void {
    for (const [name, values] of saved.perKey) {
      const entry = this.store.entry(name);
      entry.clear();
      for (const [k, v] of values) entry.set(k, v);
    }
    refill(this.store.perTask, saved.perTask);
    refill(this.internal, saved.internal);
    this.vsmStates.clear();
    for (const [key, id] of saved.vsm) this.vsmStates.set(key, VSM.byId(id));
    this.nextRequest = saved.nextRequest;
    this.nextInvocation = saved.nextInvocation;
    this.byRequest.clear();
    for (const data of saved.parked) {
      const inv = Invocation.restore(data, (id) => this.machines.get(id) ?? findMachine(id));
      for (const id of inv.issued) this.byRequest.set(id, inv);
    }
    this.parkedInvocations = saved.parked.length;
  }

  /** Number of parked invocations (continuations waiting for replies). */
  get parkedCount(): number {
    return this.parkedInvocations;
  }

  /** The parked invocations, by invocation id (between steps, every invocation in the table is parked). */
  parked(): Invocation<CallInfo>[] {
    return [...new Set(this.byRequest.values())].sort((a, b) => a.id - b.id);
  }

  // BehaviorHost

  call(cb: Callback, event: unknown, completion: Completion): boolean {
    const machine = machineOf(cb);
    if (machine !== undefined) {
      const inv = new Invocation<CallInfo>(this.nextInvocation++, this.ctx.key, machine, [event], callInfo(completion, event, this.serving));
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
    if (result !== null && typeof result === "object" && typeof (result as { then?: unknown }).then === "function") {
      throw new TypeError(uncompiledMessage(this.workflow, this.task));
    }
    this.complete(completion, result, event);
    return false;
  }

  direct(cb: Callback, completion: Completion): (event: unknown) => void {
    if (machineOf(cb) !== undefined) return (x) => void this.call(cb, x, completion);
    const fn = cb as (event: unknown, ctx: unknown) => unknown;
    const ctx = this.ctx;
    // A promise from a callback is an async function the compiler did not see (a down-level
    // transpiled one): refuse it as `call` does.
    const refuse = (r: unknown): void => {
      if (r !== null && typeof r === "object" && typeof (r as { then?: unknown }).then === "function") {
        throw new TypeError(uncompiledMessage(this.workflow, this.task));
      }
    };
    switch (completion) {
      case Completion.Emit:
        return (x) => {
          const r = fn(x, ctx);
          if (typeof r === "object") refuse(r);
          ctx.emit(r);
        };
      case Completion.Filter:
        return (x) => {
          const r = fn(x, ctx);
          if (r === true) ctx.emit(x);
          else if (r !== false && r) {
            refuse(r);
            ctx.emit(x);
          }
        };
      case Completion.Flatten:
        return (x) => {
          const r = fn(x, ctx);
          refuse(r);
          for (const v of r as Iterable<unknown>) ctx.emit(v);
        };
      default:
        return (x) => {
          const r = fn(x, ctx);
          if (r !== undefined) refuse(r);
        };
    }
  }

  // ContextHost

  reply(value: unknown): void {
    const s = this.serving;
    if (s === null) {
      throw new Error(
        `workflow ${this.workflow}, task ${this.task}: ctx.reply() was called while no request is being served; ` +
          "reply from the replier's request handler (onAsk) or its continuation",
      );
    }
    if (s.replied) {
      throw new Error(
        `workflow ${this.workflow}, task ${this.task}: ctx.reply() was called twice for request ${s.request.id} ` +
          `to portal ${s.request.portal}; a request gets exactly one reply`,
      );
    }
    s.replied = true;
    this.sendReply(s.request, true, value);
  }

  // Requester

  request(portal: { readonly path: string }, payload: unknown): RequestHandle {
    // A task asks the same portal again and again: check the declaration once per portal ref.
    if (portal !== this.checkedPortal && !this.asks.has(portal.path)) {
      throw new Error(
        `workflow ${this.workflow}, task ${this.task}: request to portal ${portal.path}, which this task did not declare; ` +
          "list it in the portals of asker(portals, fn) or askerReplier(asks, ...)",
      );
    }
    this.checkedPortal = portal;
    const id = this.nextRequest++;
    const key = this.ctx.key;
    const message: RequestMessage = {
      type: "request",
      portal: portal.path,
      asker: this.workflow,
      askerTask: this.task,
      askerKey: key,
      id,
      payload,
    };
    const out = this.outbox.out;
    out.keys.push(key);
    out.values.push(message);
    const inv = this.running;
    if (inv !== null) {
      this.byRequest.set(id, inv);
      inv.issue(id);
    }
    return { portal: portal.path, requestId: id };
  }

  /**
   * Applies an outcome: park, or end the invocation; returns true when parked. `resumed`: the
   * invocation is in the continuation table already (it parked before).
   */
  private settle(inv: Invocation<CallInfo>, outcome: Outcome, resumed: boolean): boolean {
    if (outcome.kind === "parked") {
      if (!resumed) this.parkedInvocations++;
      return true;
    }
    if (resumed) this.parkedInvocations--;
    for (const id of inv.issued) this.byRequest.delete(id);
    if (outcome.kind === "failed") throw outcome.error;
    this.complete(inv.call.completion, outcome.value, inv.call.event);
    return false;
  }

  private complete(completion: Completion, value: unknown, event: unknown): void {
    switch (completion) {
      case Completion.Emit:
        this.ctx.emit(value);
        break;
      case Completion.Filter:
        if (value) this.ctx.emit(event);
        break;
      case Completion.Flatten:
        for (const v of value as Iterable<unknown>) this.ctx.emit(v);
        break;
      default:
    }
  }

  private fail(out: Batch, thrown: unknown): void {
    const error = new OperatorError(this.workflow, this.task, this.ctx.key, thrown);
    if (out.error === undefined) out.error = error;
    this.write(error.message, { level: "error", workflow: this.workflow, task: this.task, key: this.ctx.key });
  }

  private failRequest(serving: Serving, reason: string): void {
    const r = serving.request;
    const where = `workflow ${this.workflow}, task ${this.task}, key ${JSON.stringify(this.ctx.key)}`;
    const meta = { workflow: this.workflow, task: this.task, key: this.ctx.key };
    if (serving.replied) {
      // The asker already has its reply: the request did not fail, the handler did, after it.
      this.write(`${where}: the request handler threw after replying to request ${r.id} to portal ${r.portal}: ${reason}`, {
        level: "error",
        ...meta,
      });
      return;
    }
    this.write(`request ${r.id} to portal ${r.portal} from ${r.asker} failed in ${where}: ${reason}`, { level: "warn", ...meta });
    serving.replied = true;
    this.sendReply(r, false, `${reason} (${where})`);
  }

  /** Sends the reply to `r`: `value` when `ok`, else the failure's reason (a string). */
  private sendReply(r: RequestMessage, ok: boolean, value: unknown): void {
    const message: ReplyMessage = ok
      ? { type: "reply", portal: r.portal, asker: r.asker, askerTask: r.askerTask, askerKey: r.askerKey, id: r.id, ok: true, value }
      : { type: "reply", portal: r.portal, asker: r.asker, askerTask: r.askerTask, askerKey: r.askerKey, id: r.id, ok: false, reason: value as string };
    const out = this.outbox.out;
    out.keys.push(r.askerKey);
    out.values.push(message);
  }
}

/**
 * Call info shared by every invocation that needs neither its event nor a request it serves
 * (an asker's, a processor's): one object less per parked continuation (issue 5's memory target).
 */
const SHARED_CALLS: readonly CallInfo[] = [Completion.Ignore, Completion.Emit, Completion.Filter, Completion.Flatten].map((completion) =>
  Object.freeze({ completion, event: undefined, serving: null }),
);

/** What the invocation of a call needs when it ends: only `Filter` emits the event itself. */
function callInfo(completion: Completion, event: unknown, serving: Serving | null): CallInfo {
  if (serving === null && completion !== Completion.Filter) return SHARED_CALLS[completion]!;
  return { completion, event, serving };
}

/** The machines of every compiled callback of `spec`, by id. */
export function machinesOf(spec: TaskSpec): Map<string, Machine> {
  const out = new Map<string, Machine>();
  for (const s of allSpecs(spec)) {
    for (const [, value] of callbackSlots(s)) {
      const m = machineOf(value);
      if (m !== undefined) out.set(m.id, m);
    }
  }
  return out;
}

function refill<K, V>(target: Map<K, V>, source: ReadonlyMap<K, V>): void {
  target.clear();
  for (const [k, v] of source) target.set(k, v);
}

/** The request handler of a replier task, looking inside combinators. */
function findOnAsk(spec: TaskSpec): Callback | undefined {
  for (const s of allSpecs(spec)) if (s.kind === "replier") return s.onAsk;
  return undefined;
}
