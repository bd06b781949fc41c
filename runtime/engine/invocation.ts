/**
 * One call of a compiled operator callback, run as a stack of machine frames (see `machine.ts`
 * for the protocol). An invocation either finishes during the step that started it or parks on
 * portal requests; replies are delivered with {@link Invocation.receive} and the invocation runs
 * again from where it stopped. This is the continuation of DESIGN §6: frames are plain data.
 */
import type { Frame, Key, Machine, RequestHandle, ResumeInput } from "./machine.js";

/** A settled request: the reply value, or the error the replier failed with. */
export type Settlement = { readonly ok: true; readonly value: unknown } | { readonly ok: false; readonly error: unknown };

/** A parked invocation as plain data: what a snapshot keeps (DESIGN §6, §8). */
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
const NONE: number[] = [];

/**
 * A running or parked call of a machine, with its frame stack, the requests it issued and the
 * replies that arrived before it awaited them.
 */
export class Invocation<C = unknown> {
  /** Machines of the frames in {@link frames}, same order (in memory only: code is re-bound). */
  private readonly machines: Machine[];
  /** Frame stack; the last frame is the one running or suspended. */
  readonly frames: Frame[];
  /** Requests the top frame awaits, in request order; `null` while not suspended. */
  awaiting: readonly number[] | null = null;
  /** Whether the suspension is `Promise.all` over {@link awaiting} (resume with an array). */
  awaitAll = false;
  /**
   * Settled requests, kept until the invocation ends, because a native promise stays settled:
   * awaiting the same handle twice gives the same reply twice. The first settlement sits in
   * {@link firstId}/{@link first} (most invocations get one reply: no map), later ones here.
   */
  private inbox: Map<number, Settlement> | undefined;
  private firstId = -1;
  private first: Settlement | undefined;
  /**
   * Ids of every request this invocation issued (to forget them when it ends). Starts as a shared
   * empty array: most invocations never ask (a replier's), and a literal of one is 4 times
   * smaller than what the first `push` on an empty array reserves.
   */
  issued: number[] = NONE;

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
    // Literals of one: exact capacity (a parked continuation's footprint, issue 5).
    this.machines = [machine];
    this.frames = [machine.begin(args)];
  }

  /** Records that this invocation issued request `id`. */
  issue(id: number): void {
    if (this.issued === NONE) this.issued = [id];
    else this.issued.push(id);
  }

  /**
   * Rebuilds a parked invocation from its plain-data parts (see {@link toData}), re-binding each
   * frame to its machine with `resolve` (the root frame's machine is usually the task's).
   *
   * @throws Error naming the machine when `resolve` finds none, or when its code version differs
   *   from the frame's (the code changed since the snapshot)
   */
  static restore<C>(data: InvocationData<C>, resolve: (id: string) => Machine | undefined): Invocation<C> {
    const machines = data.frames.map((frame) => {
      const m = resolve(frame.machine);
      if (m === undefined) throw new Error(`cannot restore a continuation of ${frame.machine}: no such compiled operator or helper is loaded`);
      if (m.version !== frame.version) {
        throw new Error(
          `cannot restore a continuation of ${frame.machine}: its code changed (version ${frame.version} in the snapshot, ${m.version} now)`,
        );
      }
      return m;
    });
    const inv = Object.create(Invocation.prototype) as Invocation<C>;
    Object.assign(inv, {
      id: data.id,
      key: data.key,
      call: data.call,
      machines,
      frames: data.frames,
      awaiting: data.awaiting,
      awaitAll: data.awaitAll,
      issued: [...data.issued],
    });
    for (const [id, settlement] of data.inbox) inv.store(id, settlement);
    return inv;
  }

  /** The invocation as plain data (frames, what it awaits, replies in, requests issued). */
  toData(): InvocationData<C> {
    return {
      id: this.id,
      key: this.key,
      call: this.call,
      frames: this.frames,
      awaiting: this.awaiting,
      awaitAll: this.awaitAll,
      inbox: this.first === undefined ? [] : [[this.firstId, this.first], ...(this.inbox ?? [])],
      issued: this.issued,
    };
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
    const awaiting = this.awaiting;
    if (awaiting === null || !awaiting.includes(requestId)) return undefined;
    // Promise.all rejects with the first failure to arrive, without waiting for the others.
    if (this.awaitAll && !settlement.ok) return this.take(requestId);
    return this.ready();
  }

  /**
   * Runs the frames with `input` until the invocation finishes or parks again. Errors thrown by a
   * frame propagate to its caller frame, as a rejected `await helper()` would.
   */
  run(ctx: unknown, input: ResumeInput): Outcome {
    this.awaiting = null;
    for (;;) {
      const depth = this.frames.length - 1;
      let step;
      try {
        step = this.machines[depth]!.resume(this.frames[depth]!, ctx, input);
      } catch (error) {
        this.pop();
        if (this.frames.length === 0) return { kind: "failed", error };
        input = { kind: "throw", error };
        continue;
      }
      switch (step.kind) {
        case "return":
          this.pop();
          if (this.frames.length === 0) return { kind: "done", value: step.value };
          input = { kind: "value", value: step.value };
          break;
        case "call":
          this.push(step.machine, step.args);
          input = START;
          break;
        case "await": {
          const requests = step.requests;
          this.awaitAll = Array.isArray(requests);
          this.awaiting = Array.isArray(requests)
            ? requests.map((r) => r.requestId)
            : [(requests as { requestId: number }).requestId];
          const foreign = this.foreign(requests);
          if (foreign !== undefined) {
            this.awaiting = null;
            input = { kind: "throw", error: foreign };
            break;
          }
          const ready = this.readyAtAwait();
          if (ready === undefined) return PARKED;
          this.awaiting = null;
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
    if (!Array.isArray(requests)) return this.issued.includes((requests as RequestHandle).requestId) ? undefined : foreignError(requests as RequestHandle);
    for (const r of requests) if (!this.issued.includes(r.requestId)) return foreignError(r);
    return undefined;
  }

  private store(id: number, settlement: Settlement): void {
    if (this.first === undefined) {
      this.firstId = id;
      this.first = settlement;
    } else {
      (this.inbox ??= new Map()).set(id, settlement);
    }
  }

  private settled(id: number): Settlement | undefined {
    return id === this.firstId ? this.first : this.inbox?.get(id);
  }

  private push(machine: Machine, args: readonly unknown[]): void {
    this.machines.push(machine);
    this.frames.push(machine.begin(args));
  }

  private pop(): void {
    this.machines.pop();
    this.frames.pop();
  }

  /**
   * At the moment of an `await`: replies may already be in (a request issued earlier and awaited
   * late). For `Promise.all`, settled failures reject in array order, as native reactions do.
   */
  private readyAtAwait(): ResumeInput | undefined {
    if (this.awaitAll) {
      for (const id of this.awaiting!) {
        const s = this.settled(id);
        if (s !== undefined && !s.ok) return this.take(id);
      }
    }
    return this.ready();
  }

  /** Resume input when every awaited reply is in, else `undefined`. */
  private ready(): ResumeInput | undefined {
    for (const id of this.awaiting!) if (this.settled(id) === undefined) return undefined;
    return this.take();
  }

  /**
   * Builds the resume input from the awaited replies; with `failedId`, rejects with that
   * request's error. Without it, the first failure among the awaited (all are in) rejects.
   */
  private take(failedId?: number): ResumeInput {
    const awaiting = this.awaiting!;
    this.awaiting = null;
    if (!this.awaitAll) {
      const s = this.settled(awaiting[0]!)!;
      return s.ok ? { kind: "value", value: s.value } : { kind: "throw", error: s.error };
    }
    if (failedId === undefined) {
      for (const id of awaiting) {
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
    const values = awaiting.map((id) => (this.settled(id) as { ok: true; value: unknown }).value);
    return { kind: "value", value: this.awaitAll ? values : values[0] };
  }
}

function foreignError(r: RequestHandle): Error {
  return new Error(
    `awaited request ${r.requestId} to portal ${r.portal}, which another call of the operator issued; ` +
      "a request can only be awaited by the call that made it (await it there, or make a new request)",
  );
}
