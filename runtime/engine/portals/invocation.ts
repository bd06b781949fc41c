/**
 * One call of a compiled operator callback, run as a stack of machine frames (see `machine.ts`
 * for the protocol). An invocation either finishes during the step that started it or parks on
 * portal requests; replies are delivered with {@link Invocation.receive} and the invocation runs
 * again from where it stopped. It is the continuation of docs/compiler.md: its frames are data.
 */
import type { Key } from "../../core/key.js";
import type { Frame, Machine, MachineStep, RequestHandle, ResumeInput } from "../../core/machine.js";

/** A settled request: the reply value, or the error the replier failed with. */
export type Settlement = { readonly ok: true; readonly value: unknown } | { readonly ok: false; readonly error: unknown };

/** A parked invocation as plain data: what a snapshot keeps (docs/snapshots.md). */
export interface InvocationData<C> {
  readonly id: number;
  readonly key: Key;
  readonly call: C;
  readonly frames: Frame[];
  readonly awaiting: readonly number[] | null;
  readonly awaitAll: boolean;
  readonly inbox: [number, Settlement][];
  readonly issued: number[];
}

/** How a run of an invocation ended. */
export type Outcome =
  | { readonly kind: "done"; readonly value: unknown }
  | { readonly kind: "failed"; readonly error: unknown }
  | { readonly kind: "parked" };

const PARKED: Outcome = { kind: "parked" };
const START: ResumeInput = { kind: "start" };

/** `waits` and `inboxId` when there is none. Request ids start at 1. */
const NONE_ID = -1;
const NO_IDS: readonly number[] = [];

/** A frame below the top one, with its machine: the caller of an awaited helper. */
interface Caller {
  readonly machine: Machine;
  readonly frame: Frame;
}

/**
 * A running or parked call of a machine, with its frame stack, the requests it issued and the
 * replies that arrived before it awaited them.
 *
 * The fields are shaped for the common case, because a parked continuation's footprint counts
 * (the benchmark `parked-memory` keeps it near 200 bytes plus its locals): one frame (a helper call pushes
 * the caller to {@link callers}), one awaited request, one reply, one request issued, each held
 * as a number or a single object and turned into an array or map only when there is a second.
 */
export class Invocation<C = unknown> {
  /** Machine of the top frame (in memory only: code is re-bound on restore); `null` once ended. */
  private machine: Machine | null;
  /** The top frame, running or suspended; `null` once the invocation ended. */
  private frame: Frame | null;
  /** The frames below the top one, bottom first; `null` until a helper is called. */
  private callers: Caller[] | null = null;
  /**
   * What the top frame awaits: one request id (`await r`), the ids of `Promise.all` in array
   * order (an array, even of one), or `NONE_ID` while not suspended.
   */
  private waits: number | number[] = NONE_ID;
  /**
   * For `Promise.all`: the distinct ids awaited, and how many of them have no reply yet, so a
   * reply costs O(1) however many requests are awaited together (a scan of 1,000 keys).
   */
  private waitSet: Set<number> | null = null;
  private missing = 0;
  /**
   * Settled requests, kept until the invocation ends, because a native promise stays settled:
   * awaiting the same handle twice gives the same reply twice. One settlement (request
   * {@link inboxId}), or a map by request id from the second on.
   */
  private inbox: Settlement | Map<number, Settlement> | undefined = undefined;
  private inboxId = NONE_ID;
  /** Requests issued (to forget them when it ends): `NONE_ID`, one id, or an array of several. */
  private issuedIds: number | number[] = NONE_ID;

  /**
   * @param id unique id of the invocation within its task
   * @param key the key the invocation runs (and resumes) under
   * @param machine the operator's machine; `args` are the callback's arguments without `ctx`
   * @param call what the caller needs when the invocation ends (plain data)
   */
  constructor(
    readonly id: number,
    readonly key: Key,
    machine: Machine,
    args: readonly unknown[],
    readonly call: C,
  ) {
    this.machine = machine;
    this.frame = machine.begin(args);
  }

  /**
   * Rebuilds a parked invocation from its plain-data parts (see {@link toData}), re-binding each
   * frame to its machine with `resolve` (the root frame's machine is usually the task's).
   *
   * @throws Error naming the machine when `resolve` finds none, or when its code version differs
   *   from the frame's (the code changed since the snapshot)
   */
  static restore<C>(data: InvocationData<C>, resolve: (id: string) => Machine | undefined): Invocation<C> {
    const stack: Caller[] = data.frames.map((frame) => {
      const m = resolve(frame.machine);
      if (m === undefined) throw new Error(`cannot restore a continuation of ${frame.machine}: no such compiled operator or helper is loaded`);
      if (m.version !== frame.version) {
        throw new Error(
          `cannot restore a continuation of ${frame.machine}: its code changed (version ${frame.version} in the snapshot, ${m.version} now)`,
        );
      }
      return { machine: m, frame };
    });
    const inv = Object.create(Invocation.prototype) as Invocation<C>;
    const top = stack.pop();
    Object.assign(inv, {
      id: data.id,
      key: data.key,
      call: data.call,
      machine: top?.machine ?? null,
      frame: top?.frame ?? null,
      callers: stack.length > 0 ? stack : null,
      waits: data.awaiting === null ? NONE_ID : data.awaitAll ? [...data.awaiting] : data.awaiting[0]!,
      inbox: undefined,
      inboxId: NONE_ID,
      issuedIds: data.issued.length === 0 ? NONE_ID : data.issued.length === 1 ? data.issued[0]! : [...data.issued],
    });
    for (const [id, settlement] of data.inbox) inv.store(id, settlement);
    inv.waitSet = null;
    inv.missing = 0;
    if (typeof inv.waits !== "number") inv.countMissing(inv.waits);
    return inv;
  }

  /** The invocation as plain data (frames, what it awaits, replies in, requests issued). */
  toData(): InvocationData<C> {
    const inbox = this.inbox;
    return {
      id: this.id,
      key: this.key,
      call: this.call,
      frames: this.frames,
      awaiting: this.awaiting,
      awaitAll: this.awaitAll,
      inbox: inbox === undefined ? [] : inbox instanceof Map ? [...inbox] : [[this.inboxId, inbox]],
      issued: [...this.issued],
    };
  }

  /** The frame stack, bottom first; the last frame is the one running or suspended (empty once ended). */
  get frames(): Frame[] {
    if (this.frame === null) return [];
    return this.callers === null ? [this.frame] : [...this.callers.map((c) => c.frame), this.frame];
  }

  /** Requests the top frame awaits, in request order; `null` while not suspended. */
  get awaiting(): readonly number[] | null {
    const waits = this.waits;
    return typeof waits !== "number" ? waits : waits === NONE_ID ? null : [waits];
  }

  /** Whether the suspension is `Promise.all` over {@link awaiting} (resume with an array). */
  get awaitAll(): boolean {
    return typeof this.waits !== "number";
  }

  /** Ids of every request this invocation issued, in order. */
  get issued(): readonly number[] {
    const ids = this.issuedIds;
    return typeof ids !== "number" ? ids : ids === NONE_ID ? NO_IDS : [ids];
  }

  /** Records that this invocation issued request `id`. */
  issue(id: number): void {
    const ids = this.issuedIds;
    if (typeof ids !== "number") ids.push(id);
    else this.issuedIds = ids === NONE_ID ? id : [ids, id];
  }

  /** Runs the invocation from its start. */
  start(ctx: unknown): Outcome {
    return this.run(ctx, START);
  }

  /**
   * Records the settlement of request `requestId`. Returns the input to resume with when the
   * invocation can continue now, `undefined` when it still waits.
   */
  receive(requestId: number, settlement: Settlement): ResumeInput | undefined {
    this.store(requestId, settlement);
    const waits = this.waits;
    if (typeof waits === "number") return waits === requestId && waits !== NONE_ID ? this.take() : undefined;
    const set = this.waitSet;
    if (set === null ? !waits.includes(requestId) : !set.delete(requestId)) return undefined;
    // Promise.all rejects with the first failure to arrive, without waiting for the others.
    if (!settlement.ok) return this.take(requestId);
    if (set === null) {
      for (const id of waits) if (this.settled(id) === undefined) return undefined;
      return this.take();
    }
    return --this.missing === 0 ? this.take() : undefined;
  }

  /**
   * Runs the frames with `input` until the invocation finishes or parks again. Errors thrown by a
   * frame propagate to its caller frame, as a rejected `await helper()` would.
   */
  run(ctx: unknown, input: ResumeInput): Outcome {
    this.waits = NONE_ID;
    for (;;) {
      let step: MachineStep;
      try {
        step = this.machine!.resume(this.frame!, ctx, input);
      } catch (error) {
        if (!this.pop()) return { kind: "failed", error };
        input = { kind: "throw", error };
        continue;
      }
      switch (step.kind) {
        case "return":
          if (!this.pop()) return { kind: "done", value: step.value };
          input = { kind: "value", value: step.value };
          break;
        case "call":
          this.push(step.machine, step.args);
          input = START;
          break;
        case "await": {
          const requests = step.requests;
          const foreign = this.foreign(requests);
          if (foreign !== undefined) {
            input = { kind: "throw", error: foreign };
            break;
          }
          this.waits = Array.isArray(requests) ? requests.map((r) => r.requestId) : (requests as RequestHandle).requestId;
          const ready = this.readyAtAwait();
          if (ready === undefined) return PARKED;
          input = ready;
          break;
        }
      }
    }
  }

  /**
   * The error for awaiting a request another invocation issued (a handle kept in state or passed
   * along): its reply resumes the invocation that issued it, so this one would wait forever.
   */
  private foreign(requests: RequestHandle | readonly RequestHandle[]): Error | undefined {
    if (!Array.isArray(requests)) return this.hasIssued((requests as RequestHandle).requestId) ? undefined : foreignError(requests as RequestHandle);
    for (const r of requests) if (!this.hasIssued(r.requestId)) return foreignError(r);
    return undefined;
  }

  private hasIssued(id: number): boolean {
    const ids = this.issuedIds;
    if (typeof ids === "number") return ids === id && id !== NONE_ID;
    // Request ids grow as they are issued, so the list is sorted: a binary search keeps
    // awaiting n requests at once O(n log n), not O(n²).
    let lo = 0;
    let hi = ids.length - 1;
    while (lo <= hi) {
      const mid = (lo + hi) >>> 1;
      const at = ids[mid]!;
      if (at === id) return true;
      if (at < id) lo = mid + 1;
      else hi = mid - 1;
    }
    return false;
  }

  private store(id: number, settlement: Settlement): void {
    const inbox = this.inbox;
    if (inbox === undefined) {
      this.inboxId = id;
      this.inbox = settlement;
    } else if (inbox instanceof Map) {
      inbox.set(id, settlement);
    } else {
      this.inbox = new Map([
        [this.inboxId, inbox],
        [id, settlement],
      ]);
      this.inboxId = NONE_ID;
    }
  }

  private settled(id: number): Settlement | undefined {
    const inbox = this.inbox;
    if (inbox instanceof Map) return inbox.get(id);
    return id === this.inboxId ? inbox : undefined;
  }

  private push(machine: Machine, args: readonly unknown[]): void {
    (this.callers ??= []).push({ machine: this.machine!, frame: this.frame! });
    this.machine = machine;
    this.frame = machine.begin(args);
  }

  /** Pops the top frame; false when none is left (the invocation ended). */
  private pop(): boolean {
    const below = this.callers?.pop();
    this.machine = below?.machine ?? null;
    this.frame = below?.frame ?? null;
    return below !== undefined;
  }

  /**
   * At the moment of an `await`: replies may already be in (a request issued earlier and awaited
   * late). For `Promise.all`, settled failures reject in array order, as native reactions do.
   */
  private readyAtAwait(): ResumeInput | undefined {
    const waits = this.waits;
    if (typeof waits === "number") return this.settled(waits) === undefined ? undefined : this.take();
    for (const id of waits) {
      const s = this.settled(id);
      if (s !== undefined && !s.ok) return this.take(id);
    }
    this.countMissing(waits);
    return this.missing === 0 ? this.take() : undefined;
  }

  /**
   * Sets {@link waitSet} and {@link missing} for `Promise.all` over `waits`. A few requests are
   * scanned at each reply instead: cheaper than a set for each of them.
   */
  private countMissing(waits: readonly number[]): void {
    if (waits.length <= SCANNED_WAITS) {
      this.waitSet = null;
      this.missing = 0;
      for (const id of waits) if (this.settled(id) === undefined) this.missing++;
      return;
    }
    const set = new Set<number>();
    for (const id of waits) if (this.settled(id) === undefined) set.add(id);
    this.waitSet = set;
    this.missing = set.size;
  }

  /**
   * Builds the resume input from the awaited replies (all in) and stops waiting; with
   * `failedId`, rejects with that request's error. Without it, `Promise.all` rejects with the
   * first failure among the awaited.
   */
  private take(failedId?: number): ResumeInput {
    const waits = this.waits;
    this.waits = NONE_ID;
    this.waitSet = null;
    if (typeof waits === "number") {
      const s = this.settled(waits)!;
      return s.ok ? { kind: "value", value: s.value } : { kind: "throw", error: s.error };
    }
    if (failedId === undefined) {
      for (const id of waits) {
        const s = this.settled(id);
        if (s !== undefined && !s.ok) {
          failedId = id;
          break;
        }
      }
    }
    if (failedId !== undefined) {
      const failure = this.settled(failedId) as { ok: false; error: unknown };
      return { kind: "throw", error: failure.error };
    }
    return { kind: "value", value: waits.map((id) => (this.settled(id) as { ok: true; value: unknown }).value) };
  }
}

/** Up to this many requests awaited together are scanned at each reply rather than kept in a set. */
const SCANNED_WAITS = 16;

function foreignError(r: RequestHandle): Error {
  return new Error(
    `awaited request ${r.requestId} to portal ${r.portal}, which another call of the operator issued; ` +
      "a request can only be awaited by the call that made it (await it there, or make a new request)",
  );
}
