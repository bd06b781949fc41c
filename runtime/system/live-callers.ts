/**
 * The callers outside the dataflow that a live system answers (docs/live.md): asks waiting for
 * their answer, sends waiting for their receipt, tails waiting for their events. They outlive
 * an engine (an upgrade replaces it), so they are kept here, apart from it.
 */
import { describe } from "../core/errors.js";
import { MAX_NESTING, nestingOf } from "../core/fingerprint.js";
import type { LogWriter } from "../core/log.js";
import type { Receipt, Receipted } from "../engine/components/live-sources.js";
import type { GatewayAnswer } from "./gateway.js";
import { LiveError } from "./live-error.js";

/** A tail: a listener of a stream's events, and the atoms a checkpoint has not covered yet. */
export interface Tail {
  readonly stream: string;
  readonly listener: (events: readonly unknown[], end: boolean) => void;
  /** Atoms appended since the last checkpoint. */
  pending: { events: readonly unknown[]; end: boolean }[];
  /** Stops watching the engine's stream. */
  unwatch: () => void;
}

interface Waiter {
  resolve(reply: unknown): void;
  reject(error: Error): void;
  timer: ReturnType<typeof setTimeout>;
}

/** See the module header. */
export class Callers {
  private readonly waiters = new Map<string, Waiter>();
  private readonly sends = new Set<{ reject(error: Error): void }>();
  /** The open tails. */
  readonly tails = new Set<Tail>();
  /** Ids of asks are unique per process start, so answers to callers of an earlier one go nowhere. */
  private readonly boot = globalThis.crypto.randomUUID().slice(0, 8);
  private asks = 0;

  /** Asks waiting for their answer. */
  get asksWaiting(): number {
    return this.waiters.size;
  }

  /** The id of a new ask. */
  nextAskId(): string {
    return `${this.boot}-${++this.asks}`;
  }

  /**
   * The answer to ask `id` of portal `portal`, once {@link Callers.deliver} has it; fails with
   * LiveError `timeout` after `timeoutMs` (the ask goes on), `replier` for an error answer.
   */
  answer(id: string, portal: string, timeoutMs: number, keyed: boolean): Promise<unknown> {
    return new Promise<unknown>((resolve, reject) => {
      const timer = setTimeout(() => {
        this.waiters.delete(id);
        const next = keyed
          ? "; ask again with the same idempotency key to get it once it exists"
          : "; the ask goes on and may still take effect (ask with an idempotency key to retry safely)";
        reject(new LiveError("timeout", `no answer from ${portal} within ${timeoutMs} ms${next}`));
      }, timeoutMs);
      this.waiters.set(id, { resolve, reject, timer });
    });
  }

  /** Hands `answer` to its ask, if it still waits (not for asks of an earlier process start). */
  deliver(answer: GatewayAnswer): void {
    const waiter = this.waiters.get(answer.id);
    if (waiter === undefined) return;
    this.waiters.delete(answer.id);
    clearTimeout(waiter.timer);
    if ("error" in answer) waiter.reject(new LiveError("replier", answer.error));
    else if ("reused" in answer) waiter.reject(new LiveError("reused-key", answer.reused));
    else waiter.resolve(answer.reply);
  }

  /** The receipt of a send that `start` makes, given the call that receives it. */
  receipt(start: (done: Receipted) => void): Promise<Receipt> {
    return new Promise<Receipt>((resolve, reject) => {
      const waiter = { reject };
      this.sends.add(waiter);
      start((receipt) => {
        this.sends.delete(waiter);
        resolve(receipt);
      });
    });
  }

  /** True when a tail has events a checkpoint has not covered yet. */
  tailsWaiting(): boolean {
    for (const tail of this.tails) if (tail.pending.length > 0) return true;
    return false;
  }

  /** Takes the tails' pending events now; the returned call hands them to the listeners (once a checkpoint covers them). */
  takeTails(log: LogWriter): () => void {
    const taken = [...this.tails].map((tail) => {
      const out = tail.pending;
      tail.pending = [];
      return { tail, out };
    });
    return () => {
      for (const { tail, out } of taken) {
        try {
          for (const { events, end } of out) tail.listener(events, end);
        } catch (thrown) {
          log(`a tail's listener threw: ${describe(thrown)}`, { level: "warn", workflow: "", task: "", key: 0 });
        }
      }
    };
  }

  /** Fails every waiting ask and send with `error`. */
  rejectAll(error: Error): void {
    for (const waiter of this.waiters.values()) {
      clearTimeout(waiter.timer);
      waiter.reject(error);
    }
    this.waiters.clear();
    for (const send of this.sends) send.reject(error);
    this.sends.clear();
  }
}

/**
 * `key` when it is absent or a usable idempotency key.
 *
 * @throws LiveError `bad-request` for anything but a string of 1 to 256 characters
 */
export function checkIdempotencyKey(key: unknown): string | undefined {
  if (key !== undefined && (typeof key !== "string" || key === "" || key.length > 256)) {
    throw new LiveError("bad-request", "an idempotency key is a string of 1 to 256 characters");
  }
  return key;
}

/**
 * `value` (a request or the events of a send), when it nests at most {@link MAX_NESTING} deep.
 *
 * @throws LiveError `bad-request` naming the limit
 */
export function checkNesting(what: string, value: unknown): void {
  if (nestingOf(value) > MAX_NESTING) throw new LiveError("bad-request", `arrays and objects in ${what} nest more than ${MAX_NESTING} levels deep; flatten ${what}`);
}
