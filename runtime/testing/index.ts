/**
 * `portals-ts/testing`: a deterministic driver for one task, after the test driver of Restate's
 * TypeScript SDK: feed the task scripted inputs and assert the exact messages that come out,
 * with no system, no scheduler and no timers.
 *
 * ```ts
 * import { TaskDriver, testPortal } from "portals-ts/testing";
 *
 * const inventory = testPortal<InvReq, InvRep>("/shop/portals/inventory");
 * const d = new TaskDriver(Tasks.asker<CartOp, Order>(inventory, compiledFn));
 * const out = d.atom([{ key: "ann", value: { item: "apple" } }]);
 * // out.requests: [{ portal: "/shop/portals/inventory", requestId: 1, key: "ann", payload: ... }]
 * const resumed = d.reply(1, { ok: true });
 * // resumed.events: [{ key: "ann", value: ... }]
 * ```
 *
 * The driver plays the rest of the world around the task: upstream (`atom`, `end`), the portals
 * the task asks (`reply`, `fail` answer the requests it sent), and the askers of the portal it
 * serves (`request`). Underneath it runs the engine's own task runner, the object a workflow
 * runs per task, so behaviours, hooks, state, failures, continuations and portal traffic are
 * exactly those of a launched application; what the driver leaves out is the routing between
 * components (streams, sequencers, splitters, scheduling), which `Systems.test` covers.
 *
 * Async callbacks that await portal requests must be compiled machines, as in a system
 * (build with `tspc` or the plugin/hook; tests may hand-write them with `defineMachine` of
 * `portals-ts/machine`, sending requests with its `request(ctx, portal, payload)`).
 */
import type { PortalOptions } from "../api/options.js";
import { portalRef, type PortalRef } from "../api/refs.js";
import { Task } from "../api/tasks.js";
import type { OperatorError } from "../core/errors.js";
import { checkKey, type Key } from "../core/key.js";
import type { LogLevel, LogMeta, LogWriter } from "../core/log.js";
import type { Frame } from "../core/machine.js";
import type { PortalMessage, ReplyMessage, RequestMessage } from "../core/messages.js";
import { PATH_SHAPES } from "../core/paths.js";
import { callbackProblems, defaultTaskName, portalUse, taskLabel, type PortalAddress } from "../core/spec.js";
import { hasUncompiledCallback, uncompiledMessage } from "../core/uncompiled.js";
import { batch, type Batch } from "../engine/atom.js";
import type { PortalOutbox } from "../engine/portals/outbox.js";
import { deadLetterBox, take, type DeadLetterBox } from "../engine/tasks/failures.js";
import { TaskRunner } from "../engine/tasks/task-runner.js";

/** An event given to {@link TaskDriver.atom}: its key defaults to `0`, as without a `key` step. */
export interface DriverInput<T> {
  /** Key the event travels under (a string or finite number; default `0`). */
  readonly key?: Key;
  /** The event. */
  readonly value: T;
}

/** An event the task emitted, with the key it was emitted under. */
export interface DriverEvent<U> {
  /** Key the event was emitted under. */
  readonly key: Key;
  /** The event. */
  readonly value: U;
}

/** A portal request the task sent; answer it with {@link TaskDriver.reply} or {@link TaskDriver.fail}. */
export interface DriverRequest {
  /** Path of the portal, e.g. `/shop/portals/inventory`. */
  readonly portal: string;
  /** Request id, unique within the task (1, 2, … in issue order). */
  readonly requestId: number;
  /** Key the task ran under when it asked; its continuation resumes under it (docs/semantics.md, rule 8). */
  readonly key: Key;
  /** The request. */
  readonly payload: unknown;
}

/**
 * A reply the task sent to a request served with {@link TaskDriver.request}: a value, or the
 * reason the request failed (the replier threw, or finished without `ctx.reply`).
 */
export type DriverReply =
  | {
      /** Path of the portal the request was sent to. */
      readonly portal: string;
      /** Id of the request it answers (the id {@link TaskDriver.request} gave it). */
      readonly requestId: number;
      /** Key of the asker (the `key` option of {@link TaskDriver.request}). */
      readonly key: Key;
      readonly ok: true;
      /** The value given to `ctx.reply`. */
      readonly value: unknown;
    }
  | {
      readonly portal: string;
      readonly requestId: number;
      readonly key: Key;
      readonly ok: false;
      /** Why the request failed, with the replier's workflow, task and key. */
      readonly reason: string;
    };

/** A log line written while the driver ran the task (logger lines, `ctx.log`, reports). */
export interface DriverLog {
  /** Severity of the line. */
  readonly level: LogLevel;
  /** The line as the system's log writer would receive it. */
  readonly line: string;
  /** Key of the event being processed when the line was written. */
  readonly key: Key;
}

/** What came out of the task during one driver call, in the order it came out. */
export interface DriverOutput<U> {
  /** Events emitted downstream, with their keys. */
  readonly events: DriverEvent<U>[];
  /** Portal requests the task sent. */
  readonly requests: DriverRequest[];
  /** Replies the task sent to requests served with {@link TaskDriver.request}. */
  readonly replies: DriverReply[];
  /**
   * The error the output atom carries downstream (docs/semantics.md, rule 10), or `undefined`: the task's own
   * first failure (an `OperatorError` with workflow, task and key) or the upstream error given
   * to {@link TaskDriver.atom}. A failure while serving a request is not here: it becomes a
   * failed reply in {@link DriverOutput.replies}.
   */
  readonly error: OperatorError | undefined;
  /**
   * The events that failed in the task (docs/semantics.md, rule 10), each with its error:
   * what a workflow sends to its dead letters. Each is also in {@link DriverOutput.logs}.
   */
  readonly failed: DriverFailure[];
  /** Log lines written during the call, all levels. */
  readonly logs: DriverLog[];
}

/** An event that failed in the task: a dead letter of its workflow, with its key. */
export interface DriverFailure {
  /** Key the event had. */
  readonly key: Key;
  /** The event, as the task received it. */
  readonly event: unknown;
  /** Where and why, with the thrown value as `cause`. */
  readonly error: OperatorError;
}

/** What {@link TaskDriver.request} returns: the call's output and the reply to that request. */
export interface DriverServed<U> extends DriverOutput<U> {
  /** The reply to the request, or `undefined` when the replier parked before replying. */
  readonly reply: DriverReply | undefined;
}

/** A parked continuation: an invocation suspended on portal requests. */
export interface ParkedContinuation {
  /** Invocation id, unique within the task (1, 2, … in start order). */
  readonly invocation: number;
  /** Key it runs and resumes under. */
  readonly key: Key;
  /** Ids of the requests it awaits, in request order. */
  readonly awaiting: number[];
  /** True when it awaits all of them at once (`await Promise.all([...])`). */
  readonly all: boolean;
  /** The request this invocation serves (an asker-replier that awaits before replying). */
  readonly serving?: { readonly portal: string; readonly requestId: number };
  /** Its frame stack, outermost first: copies of the plain-data frames the engine keeps. */
  readonly frames: Frame[];
}

/** Options of {@link TaskDriver}. */
export interface TaskDriverOptions {
  /** Path of the workflow the task runs in, for messages and errors (default `/test/workflows/driver`). */
  readonly workflow?: string;
  /** Name of the task (default: the task's `withName` name, else `<kind>#1`, e.g. `map#1`, as the first task of a workflow). */
  readonly name?: string;
  /** Also receives every log line, as a system's `log` option would. */
  readonly log?: LogWriter;
}

/** Options of {@link TaskDriver.request}. */
export interface DriverRequestOptions {
  /**
   * Key of the asker (default `0`). A portal without a key function is served under it; a portal
   * with one is served under `key(payload)` (docs/semantics.md, rule 8).
   */
  readonly key?: Key;
  /** Path of the asking workflow, shown in warnings about failed requests (default `/test/workflows/asker`). */
  readonly asker?: string;
}

/** Options of {@link TaskDriver.atom}. */
export interface DriverAtomOptions {
  /** The atom arrives failed from upstream with this error: the task's `onError` hook runs. */
  readonly error?: OperatorError;
}

const DEFAULT_WORKFLOW = "/test/workflows/driver";
const DEFAULT_ASKER = "/test/workflows/asker";
const DEFAULT_ASKER_TASK = defaultTaskName("asker", 1);

/**
 * A portal ref for tests of single tasks: what `app.portal(name, options)` returns in an
 * application whose path is the first segment of `path`.
 *
 * @param path the portal's path, `/<app>/portals/<name>`
 * @throws TypeError when `path` has another shape or `key` is not a function
 */
export function testPortal<Req, Rep>(path: string, options: PortalOptions<Req> = {}): PortalRef<Req, Rep> {
  if (typeof path !== "string" || !PATH_SHAPES.portal.test(path)) {
    throw new TypeError(`testPortal(${JSON.stringify(path)}): a portal path has the shape /<app>/portals/<name>`);
  }
  if (options.key !== undefined && typeof options.key !== "function") {
    throw new TypeError(`testPortal(${JSON.stringify(path)}): the key option must be a function (request) => key`);
  }
  return portalRef<Req, Rep>(path, options.key);
}

/**
 * Drives one task, step by step; see this module's header. Every method runs the task
 * synchronously and returns what came out of it during that call.
 *
 * @typeParam T the task's input events
 * @typeParam U the task's output events
 */
export class TaskDriver<T, U> {
  /** Path of the workflow the task runs in. */
  readonly workflow: string;
  /** Name of the task. */
  readonly name: string;
  private readonly runner: TaskRunner;
  private readonly outbox: PortalOutbox = { out: batch() };
  private readonly deadLetters: DeadLetterBox = deadLetterBox();
  private readonly serves = new Map<string, PortalAddress>();
  private readonly open = new Map<number, RequestMessage>();
  private readonly answered = new Set<number>();
  private readonly forward: LogWriter | undefined;
  private logs: DriverLog[] | undefined;
  private nextIncoming = 1;
  private ended = false;

  /**
   * Instantiates `task` as a launched workflow would (an `init` factory runs now).
   *
   * @throws TypeError when `task` is not a task, a callback is not a function, or an async
   *   callback was not compiled; Error (naming workflow and task) when an `init` factory fails
   */
  constructor(task: Task<T, U>, options: TaskDriverOptions = {}) {
    if (!(task instanceof Task)) throw new TypeError("TaskDriver(task): expected a task built with Tasks.*");
    this.workflow = options.workflow ?? DEFAULT_WORKFLOW;
    this.name = options.name ?? task.spec.name ?? defaultTaskName(taskLabel(task.spec), 1);
    this.forward = options.log;
    const where = `workflow ${this.workflow}, task ${this.name}`;
    const problems = callbackProblems(task.spec, where);
    if (problems.length > 0) throw new TypeError(problems[0]);
    if (hasUncompiledCallback(task.spec)) throw new TypeError(uncompiledMessage(this.workflow, this.name));
    const use = portalUse(task.spec);
    for (const p of use.serves) this.serves.set(p.path, p);
    const write: LogWriter = (line, meta) => this.write(line, meta);
    try {
      this.runner = new TaskRunner(this.workflow, { name: this.name, spec: task.spec, inputs: [-1] }, write, this.outbox, use.asks.map((p) => p.path), this.deadLetters);
    } catch (thrown) {
      throw new Error(`${where}: ${thrown instanceof Error ? thrown.message : String(thrown)}`, { cause: thrown });
    }
  }

  /**
   * Runs one atom through the task: each event under its key, then `onError` (with
   * `options.error`), then `onAtomComplete`. An event whose callback throws fails alone (see
   * {@link DriverOutput.failed}); the others go on.
   *
   * @throws TypeError for a key that is not a string or finite number; Error after {@link TaskDriver.end}
   */
  atom(events: readonly DriverInput<T>[], options: DriverAtomOptions = {}): DriverOutput<U> {
    if (this.ended) throw new Error(`${this.where()}: atom(): the input already ended with end()`);
    if (!Array.isArray(events)) throw new TypeError(`${this.where()}: atom(events) expects an array of { key?, value }`);
    const input: Batch = batch();
    events.forEach((e, i) => {
      input.keys.push(checkDriverKey(e.key ?? 0, `atom(): event ${i}`));
      input.values.push(e.value);
    });
    input.error = options.error;
    return this.run((out) => this.runner.runAtom(input, out, true));
  }

  /**
   * Ends the input stream (the seal): runs `onComplete`. As in a workflow, the end waits for
   * parked continuations, so it throws while some are parked.
   *
   * @throws Error when the input already ended or a continuation is parked
   */
  end(): DriverOutput<U> {
    if (this.ended) throw new Error(`${this.where()}: end(): the input already ended`);
    const parked = this.parked();
    if (parked.length > 0) {
      const list = parked.map((p) => `invocation ${p.invocation} awaits request ${p.awaiting.join(", ")}`).join("; ");
      throw new Error(
        `${this.where()}: end(): ${parked.length} continuation${parked.length === 1 ? " is" : "s are"} parked (${list}); ` +
          "answer with reply() or fail() first: a workflow runs onComplete only after every reply is in",
      );
    }
    this.ended = true;
    return this.run((out) => this.runner.runAtom(batch(), out, false, true));
  }

  /**
   * Delivers `value` as the reply to request `requestId` that the task sent, and resumes the
   * continuation awaiting it when it can continue (under the key it asked with).
   *
   * @throws Error when the task did not send that request, or it was already answered
   */
  reply(requestId: number, value: unknown): DriverOutput<U> {
    return this.answer("reply", requestId, { ok: true, value });
  }

  /**
   * Fails request `requestId` that the task sent, as a replier that threw would: the awaiting
   * continuation receives a `PortalRequestError` whose reason is `reason`.
   *
   * @throws Error when the task did not send that request, or it was already answered
   */
  fail(requestId: number, reason: string): DriverOutput<U> {
    return this.answer("fail", requestId, { ok: false, reason: String(reason) });
  }

  /**
   * Sends `payload` to the portal the task serves and runs its request handler (`onAsk`).
   * Returns what came out, with {@link DriverServed.reply} the reply to this request when it
   * was given during the call; an asker-replier that awaits first replies in a later call, in
   * that call's {@link DriverOutput.replies}.
   *
   * @param portal path (or ref) of the portal; the task must serve it
   * @throws Error when the task does not serve `portal`; TypeError for a bad key
   */
  request(portal: string | { readonly path: string }, payload: unknown, options: DriverRequestOptions = {}): DriverServed<U> {
    const path = typeof portal === "string" ? portal : portal?.path;
    const served = this.serves.get(path);
    if (served === undefined) {
      const list = [...this.serves.keys()];
      throw new Error(
        `${this.where()}: request(${JSON.stringify(path)}): this task does not serve that portal ` +
          `(it serves ${list.length === 0 ? "no portal" : list.join(", ")})`,
      );
    }
    const id = this.nextIncoming++;
    const message: RequestMessage = {
      type: "request",
      portal: path,
      asker: options.asker ?? DEFAULT_ASKER,
      askerTask: DEFAULT_ASKER_TASK,
      askerKey: checkDriverKey(options.key ?? 0, "request(): the key option"),
      id,
      payload,
    };
    const out = this.run((b) => this.runner.serve(message, served.key, b));
    return { ...out, reply: out.replies.find((r) => r.requestId === id) };
  }

  /**
   * The per-key state of the task for `key`: entry name → value, for the entries that hold a
   * value for that key (`ctx.state`, `ctx.perKey`). Values are copies.
   */
  state(key: Key): Record<string, unknown> {
    const result: Record<string, unknown> = {};
    for (const [name, values] of this.runner.store.perKey) {
      if (values.has(key)) result[name] = structuredClone(values.get(key));
    }
    return result;
  }

  /** The per-task state of the task (`ctx.perTask`): entry name → value. Values are copies. */
  taskState(): Record<string, unknown> {
    const result: Record<string, unknown> = {};
    for (const [name, value] of this.runner.store.perTask) result[name] = structuredClone(value);
    return result;
  }

  /**
   * The parked continuations, by invocation id.
   *
   * @throws Error when a frame holds a local that is not data (docs/snapshots.md, "What is data")
   */
  parked(): ParkedContinuation[] {
    const result: ParkedContinuation[] = [];
    for (const inv of this.runner.parked()) {
      let frames: Frame[];
      try {
        frames = structuredClone(inv.frames);
      } catch (thrown) {
        throw new Error(
          `${this.where()}: a frame of invocation ${inv.id} holds a local that is not plain data, so it cannot be snapshotted: ` +
            (thrown instanceof Error ? thrown.message : String(thrown)),
        );
      }
      const serving = inv.call.serving;
      result.push({
        invocation: inv.id,
        key: inv.key,
        awaiting: [...(inv.awaiting ?? [])],
        all: inv.awaitAll,
        ...(serving !== null ? { serving: { portal: serving.request.portal, requestId: serving.request.id } } : {}),
        frames,
      });
    }
    return result;
  }

  /** The requests the task sent that were not answered yet with {@link TaskDriver.reply} or {@link TaskDriver.fail}, in issue order. */
  openRequests(): DriverRequest[] {
    return [...this.open.values()].map(toRequest);
  }

  private answer(what: string, requestId: number, result: { ok: true; value: unknown } | { ok: false; reason: string }): DriverOutput<U> {
    const request = this.open.get(requestId);
    if (request === undefined) {
      const open = [...this.open.keys()];
      throw new Error(
        `${this.where()}: ${what}(${requestId}): ` +
          (this.answered.has(requestId) ? `request ${requestId} was already answered` : `the task sent no request ${requestId}`) +
          ` (open requests: ${open.length === 0 ? "none" : open.join(", ")})`,
      );
    }
    this.open.delete(requestId);
    this.answered.add(requestId);
    const reply: ReplyMessage = {
      type: "reply",
      portal: request.portal,
      asker: request.asker,
      askerTask: request.askerTask,
      askerKey: request.askerKey,
      id: request.id,
      ...result,
    };
    return this.run((out) => this.runner.resume(reply, out));
  }

  /** Runs `body` with fresh output buffers and collects what came out. */
  private run(body: (out: Batch) => void): DriverOutput<U> {
    const out = batch();
    const logs: DriverLog[] = [];
    this.outbox.out = batch();
    this.logs = logs;
    try {
      body(out);
    } finally {
      this.logs = undefined;
    }
    const messages = this.outbox.out.values as PortalMessage[];
    this.outbox.out = batch();
    const dead = take(this.deadLetters);
    const failed: DriverFailure[] = dead.values.map((d, i) => ({ key: dead.keys[i]!, event: d.event, error: d.error }));
    const events: DriverEvent<U>[] = out.values.map((value, i) => ({ key: out.keys[i]!, value: value as U }));
    const requests: DriverRequest[] = [];
    const replies: DriverReply[] = [];
    for (const m of messages) {
      if (m.type === "request") {
        this.open.set(m.id, m);
        requests.push(toRequest(m));
      } else {
        const base = { portal: m.portal, requestId: m.id, key: m.askerKey };
        replies.push(m.ok ? { ...base, ok: true, value: m.value } : { ...base, ok: false, reason: m.reason! });
      }
    }
    return { events, requests, replies, error: out.error, failed, logs };
  }

  private write(line: string, meta: LogMeta): void {
    this.logs?.push({ level: meta.level, line, key: meta.key });
    this.forward?.(line, meta);
  }

  private where(): string {
    return `TaskDriver(workflow ${this.workflow}, task ${this.name})`;
  }
}

function toRequest(m: RequestMessage): DriverRequest {
  return { portal: m.portal, requestId: m.id, key: m.askerKey, payload: m.payload };
}

function checkDriverKey(key: unknown, where: string): Key {
  return checkKey(key, (shown) => `${where}: the key ${shown} is not a string or finite number`);
}
