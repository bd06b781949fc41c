/**
 * Tails forwarded between runtimes (docs/cluster.md, "What works"): a tail, on one runtime, of a
 * stream whose application another runtime runs is a tail on that runtime, whose events come
 * back over core NATS as the JSON a tail's Server-Sent Events carry.
 *
 *   - The runtime the client called (the *forwarder*, {@link TailReceiver}) listens on an inbox
 *     of its own, and asks the runtime that runs the application (the *owner*) on its ask
 *     subject to tail the stream into it; the owner answers once its tail has begun, or with
 *     the error (`not-found`, …).
 *   - The owner ({@link TailSender}) sends what its tail gets as batches, each a core NATS
 *     request that the forwarder answers once it has passed the events on: one batch is in
 *     flight at a time, and what the tail gets meanwhile goes in the next, cut to the server's
 *     `max_payload`. With nothing to send, it sends an empty batch every {@link HEARTBEAT_MS}.
 *   - A batch nobody answers stops the owner's tail: the forwarder stopped it (its client went
 *     away) or exited, which NATS says at once (no responders), or it cannot be reached, which
 *     {@link ANSWER_TIMEOUT_MS} says.
 *   - The forwarder breaks its tail (no `end` comes; the client tails again) when the owner says
 *     it stopped (it closed, or an event is too large to travel), and when nothing came for
 *     {@link SILENCE_MS}: the owner exited or is cut off.
 *
 * Batches: `{ "events": [...], "end": true? }`, or `{ "closed": "<why>" }` as the owner's last
 * (after the events before an event that JSON cannot hold, which ends the tail as a local one does).
 */
import { createInbox, type Msg, type NatsConnection } from "@nats-io/nats-core";
import { jsonSafe } from "../core/json.js";

/** How often an owner with nothing to send sends an empty batch, in milliseconds: how soon it finds a forwarder gone. */
export const HEARTBEAT_MS = 5000;
/** How long an owner waits for a batch to be answered before it stops its tail, in milliseconds. */
export const ANSWER_TIMEOUT_MS = 10_000;
/** How long a forwarder waits for the next batch before it breaks its tail, in milliseconds (three heartbeats). */
export const SILENCE_MS = 3 * HEARTBEAT_MS;
/** Bytes of a batch kept for the message's headers and the JSON around the events, below `max_payload`. */
const ENVELOPE_BYTES = 1024;

/** A batch as it travels. */
interface Batch {
  readonly events?: unknown[];
  readonly end?: boolean;
  readonly closed?: string;
}

/** The owner's side: the listener of a local tail, sending its events to a forwarder's inbox. See the module header. */
export class TailSender {
  /** Events not yet sent, as JSON text, and the UTF-8 bytes of each (what `max_payload` counts). */
  private readonly queue: string[] = [];
  private readonly sizes: number[] = [];
  private ended = false;
  /** Why the tail cannot go on past the queued events (one that JSON cannot hold): said once they are sent. */
  private failure: string | undefined;
  private sending = false;
  private stopped = false;
  private readonly heartbeat: ReturnType<typeof setInterval>;
  /** Stops the local tail; set once it has begun. */
  stopTail: () => void = () => {};

  constructor(
    private readonly nc: NatsConnection,
    private readonly inbox: string,
    /** Names this runtime in the reason a too-large event gives. */
    private readonly runtime: string,
    /** Called once the sender has stopped (for whatever reason). */
    private readonly onStop: (sender: TailSender) => void,
  ) {
    this.heartbeat = setInterval(() => void this.send(true), HEARTBEAT_MS);
    this.heartbeat.unref?.();
  }

  /** The local tail's listener. */
  readonly listener = (events: readonly unknown[], end: boolean): void => {
    if (this.stopped || this.failure !== undefined) return;
    for (const event of events) {
      try {
        const text = JSON.stringify(event, jsonSafe) ?? "null";
        this.queue.push(text);
        this.sizes.push(Buffer.byteLength(text));
      } catch (thrown) {
        // A cycle, or nested too deep: the codec keeps them, JSON cannot. The events before it still go.
        this.failure = `an event of the stream cannot be written as JSON (${(thrown as Error).message.split("\n")[0]})`;
        break;
      }
    }
    if (end && this.failure === undefined) this.ended = true;
    void this.send(false);
  };

  /** Stops, telling the forwarder why (best effort: it breaks its tail at once instead of after {@link SILENCE_MS}). */
  close(reason: string): void {
    if (this.stopped) return;
    this.stop();
    try {
      this.nc.publish(this.inbox, JSON.stringify({ closed: reason } satisfies Batch));
    } catch {
      // The connection is closed: the forwarder finds out by the silence.
    }
  }

  /** Sends what is queued, batch after batch; with `beat`, one batch even when nothing is. */
  private async send(beat: boolean): Promise<void> {
    if (this.sending || this.stopped) return;
    this.sending = true;
    try {
      while (!this.stopped && (beat || this.queue.length > 0 || this.ended || this.failure !== undefined)) {
        beat = false;
        const batch = this.cut();
        if (batch === undefined) return;
        await this.nc.request(this.inbox, batch.body, { timeout: ANSWER_TIMEOUT_MS });
        if (batch.end) this.stop();
      }
    } catch {
      // Nobody answered: the forwarder is gone (or cannot be reached).
      this.stop();
    } finally {
      this.sending = false;
    }
  }

  /**
   * The next batch: the queued events that fit in one message, with the end when it is the
   * last; `undefined` (and the sender closed) when the first event alone does not fit.
   */
  private cut(): { body: string; end: boolean } | undefined {
    if (this.queue.length === 0 && this.failure !== undefined) {
      this.close(this.failure);
      return undefined;
    }
    const limit = (this.nc.info?.max_payload ?? 1024 * 1024) - ENVELOPE_BYTES;
    let bytes = 0;
    let n = 0;
    while (n < this.queue.length && bytes + this.sizes[n]! + 1 <= limit) bytes += this.sizes[n++]! + 1;
    if (n === 0 && this.queue.length > 0) {
      this.close(
        `an event of the stream takes ${this.sizes[0]!} bytes as JSON, more than the cluster's NATS server takes in one message (max_payload ${limit + ENVELOPE_BYTES}): tail it on runtime ${this.runtime}, which runs its application`,
      );
      return undefined;
    }
    const events = this.queue.splice(0, n);
    this.sizes.splice(0, n);
    const end = this.ended && this.queue.length === 0;
    return { body: `{"events":[${events.join(",")}]${end ? ',"end":true' : ""}}`, end };
  }

  /** Stops without telling the forwarder (the tail never began, or nobody answers). */
  stop(): void {
    if (this.stopped) return;
    this.stopped = true;
    clearInterval(this.heartbeat);
    this.stopTail();
    this.onStop(this);
  }
}

/** The forwarder's side: an inbox that takes an owner's batches for a tail's listener. See the module header. */
export class TailReceiver {
  /** The inbox the owner sends to. */
  readonly inbox = createInbox();
  private last = Date.now();
  private done = false;
  private unsubscribe: () => void = () => {};
  private readonly watchdog: ReturnType<typeof setInterval>;

  constructor(
    /** Names the owner in the reason a silence gives. */
    private readonly owner: string,
    private readonly listener: (events: readonly unknown[], end: boolean) => void,
    /** Called once when the tail breaks: the reason. */
    private readonly broken: (reason: string) => void,
  ) {
    // Looked at every second: the tail breaks within a second of the silence (every heartbeat, up to 5 s late, before; found by a fresh user's trial).
    this.watchdog = setInterval(() => {
      if (Date.now() - this.last > SILENCE_MS) this.fail(`runtime ${owner}, which runs the stream's application, sent nothing for ${SILENCE_MS / 1000} s (it exited or cannot be reached); tail again`);
    }, 1000);
    this.watchdog.unref?.();
  }

  /** Subscribes to the inbox on `nc`, before the owner is asked. */
  listen(nc: NatsConnection): void {
    const subscription = nc.subscribe(this.inbox, { callback: (error, msg) => void (error === null && this.take(msg)) });
    this.unsubscribe = () => subscription.unsubscribe();
  }

  /** The owner began its tail: the silence counts from now. */
  begun(): void {
    this.last = Date.now();
  }

  /** Stops the tail (its client went away, or it failed to begin): the owner's next batch finds nobody. */
  stop(): void {
    if (this.done) return;
    this.done = true;
    clearInterval(this.watchdog);
    this.unsubscribe();
  }

  private take(msg: Msg): void {
    if (this.done) return;
    this.last = Date.now();
    let batch: Batch;
    try {
      batch = msg.json<Batch>();
    } catch {
      this.fail(`runtime ${this.owner} sent a batch of the tail that could not be read; tail again`);
      return;
    }
    if (batch.closed !== undefined) {
      this.fail(`runtime ${this.owner} stopped the tail: ${batch.closed}`);
      return;
    }
    msg.respond();
    const events = batch.events ?? [];
    if (events.length > 0 || batch.end === true) this.listener(events, batch.end === true);
    if (batch.end === true) this.stop();
  }

  private fail(reason: string): void {
    if (this.done) return;
    this.stop();
    this.broken(reason);
  }
}

/** Begins one part of a joined tail: resolves with what stops it; `broken` as for a forwarded tail. */
export type TailPart = (listener: (events: readonly unknown[], end: boolean) => void, broken: (reason: string) => void) => Promise<() => void>;

/**
 * One tail of several (the partitions of a partitioned application, each on its runtime):
 * events are passed on as each part sends them (one part's in their order, different parts'
 * interleaved), the end once every part has ended; a part that breaks, or fails to begin,
 * stops the others. Resolves once every part has begun, with what stops them all.
 */
export async function joinTails(parts: readonly TailPart[], listener: (events: readonly unknown[], end: boolean) => void, broken: (reason: string) => void): Promise<() => void> {
  const stops: (() => void)[] = [];
  let open = parts.length;
  let done = false;
  const stopAll = (): void => {
    done = true;
    for (const stop of stops) stop();
  };
  const begun = await Promise.allSettled(
    parts.map((part) =>
      part(
        (events, end) => {
          if (done) return;
          if (events.length > 0) listener(events, false);
          if (end && --open === 0) {
            done = true;
            listener([], true);
          }
        },
        (reason) => {
          if (done) return;
          stopAll();
          broken(reason);
        },
      ).then((stop) => {
        stops.push(stop);
        if (done) stop();
      }),
    ),
  );
  const failed = begun.find((b): b is PromiseRejectedResult => b.status === "rejected");
  if (failed !== undefined) {
    stopAll();
    throw failed.reason;
  }
  return stopAll;
}
