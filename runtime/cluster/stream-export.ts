/**
 * A stream of this runtime that other runtimes read (docs/cluster.md, "Remote streams"): the
 * export is one more consumer of the stream, so the atoms it has not published stay in the
 * stream, and in every snapshot, as its outbox. Once a stored checkpoint covers atoms, they are
 * published in order, one JetStream message per atom (an atom larger than the server takes in
 * one message as several chunks, `chunks.ts`), on this runtime's own subject, with an id made of
 * the runtime, the path, the atom's number (and the chunk's): the same atom always goes out with
 * the same ids and bytes. Only then does the export read them, and the stream drops them. The
 * atoms a checkpoint holds for the export are encoded as it is taken, once for the checkpoint
 * and the messages ({@link StreamExport.take}).
 *
 * The atoms go to a JetStream stream of their own (`subjects.ts`), so the export knows the
 * sequence number each of its messages gets: it publishes up to {@link WINDOW} messages at once,
 * each expecting the stream's last sequence to be that of the message before it. A message lost
 * on the way (a connection that broke) therefore cannot be overtaken by the next, which is
 * refused; the export then reads what the stream holds and publishes again from there. Before
 * its first publish, and after every refusal, it reads the stream's last message and skips the
 * atoms (and chunks) up to it, so after a crash nothing is published twice whatever the
 * deduplication window; a second process publishing as this runtime makes the expectations fail,
 * and after a few rounds without progress the export stops, saying so.
 *
 * A stream is published only while an application of another runtime reads it (its directory
 * entry says so, or it feeds a sequencer there): atoms nobody reads are held a little while, for
 * a reader being deployed, then dropped (`hold`).
 *
 * The look-up also asks whether this process still holds the runtime's name (`identity.ts`), and
 * is made again before the first publish after a reconnection: a process whose name was taken over
 * while it was cut off publishes nothing more, though its expectations would still hold on a
 * stream the new holder has not written yet.
 */
import { headers } from "@nats-io/nats-core";
import type { PubAck } from "@nats-io/jetstream";
import { describe } from "../core/errors.js";
import type { LogWriter } from "../core/log.js";
import type { SourceHold } from "../engine/components/source-hold.js";
import type { Atom } from "../engine/atom.js";
import type { AtomicStream, Consumer, Cursor } from "../engine/stream.js";
import type { Codec } from "../state/codec.js";
import { CHUNK_HEADER, chunkCount, chunkOf, chunksFit, parseChunk, resumeAfter, type ChunkIndex } from "./chunks.js";
import { Fenced, type Fence } from "./identity.js";
import type { ClusterConnection } from "./nats.js";
import { ATOM_HEADER, atomMessageId, streamSubject } from "./subjects.js";

/** JetStream's error code for a publish whose expected last sequence is not the stream's. */
const WRONG_LAST_SEQUENCE = 10071;
/** JetStream's error code for a message that is not there. */
const NO_MESSAGE = 10037;
/** Longest pause between retries of a publish the server did not acknowledge, in milliseconds. */
const MAX_BACKOFF_MS = 2000;
/**
 * Messages published at once at most. One at a time costs a round trip each; 64 at once
 * published the cluster benchmark's stream 1.2× faster than 8 (as it does for a raw JetStream
 * publisher, benchmarks/README.md), and a lone atom goes out alone whatever the window.
 */
const WINDOW = 64;
/**
 * Bytes published at once at most (but always one message): 8 chunks of the server's default 1 MB
 * limit, as with a window of 8. Each publish waits 5 s for its acknowledgement, and 64 MB sent at
 * once over a slow link (an edge runtime's) would time out all together, and again at every retry.
 */
const WINDOW_BYTES = 8 * 1024 * 1024;
/** Atoms covered by a stored checkpoint and not yet published below which an export asks for the next checkpoint. */
const LOW_WATER = 2 * WINDOW;
/**
 * Atoms appended and not yet published above which the export holds its engine's sources, and
 * at or below which it lets them go again (docs/cluster.md, "Backpressure"): the first is a
 * few checkpoints' worth of publishing, so the publishing never waits for the sources, and
 * the gap between them keeps a source from being held and let go at every atom.
 */
const BEHIND = 4 * WINDOW;
const CAUGHT_UP = 2 * WINDOW;
/** How long atoms no other runtime reads are held before they are dropped, in milliseconds (docs/cluster.md, "Exports on interest"). */
export const UNREAD_HOLD_MS = 2000;
/**
 * Events of atoms no other runtime reads held at most (an atom without events counts as one):
 * the latest are kept, older ones dropped at once. Without a bound, a generator running at
 * millions of events a second before its first reader came held hundreds of MB, and owed them
 * all to that reader in one checkpoint (docs/cluster.md, "Exports on interest").
 */
export const UNREAD_HOLD_EVENTS = 1 << 20;

/** A message to publish: atom `number` whole, or one chunk of it. */
interface Outgoing extends ChunkIndex {
  readonly number: number;
  readonly data: Uint8Array;
}

/** See the module header. */
export class StreamExport implements Consumer {
  private readonly cursor: Cursor;
  private readonly subject: string;
  /** The stream's end when the last checkpoint was taken. */
  private taken: number;
  /** Atoms before this number are covered by a stored checkpoint. */
  private covered = 0;
  /** The stream's last JetStream sequence (0: none), once looked up. */
  private lastSeq: number | undefined;
  /** The atom at the cursor when some of its chunks are published: the next chunk, of how many. */
  private resume: ({ readonly number: number } & ChunkIndex) | undefined;
  /** Atoms before this number were encoded at a checkpoint ({@link StreamExport.take}). */
  private encodedTo = 0;
  private pumping = false;
  private closed = false;
  /** Why the export stopped publishing for good (another data directory published as this runtime, an atom it cannot encode), once it has. */
  private stoppedBy: string | undefined;
  /** Set by a reconnection: the next publish is preceded by a look-up. */
  private reconnected = false;
  /** From a failed publish or look-up to the next publish acknowledged: the sources are not held meanwhile. */
  private failing = false;
  private readonly stopListening: () => void;
  /** Ends of checkpoints stored while nobody read the stream, and when (`Date.now()`): atoms held for a reader to come. */
  private readonly unread: { readonly end: number; readonly at: number }[] = [];
  /**
   * The weights ({@link weight}) of the atoms from `weighedFrom` on, oldest first from
   * `weightsHead`, and the sum of those the export has not read: held under
   * {@link UNREAD_HOLD_EVENTS} while nobody reads the stream.
   */
  private readonly weights: number[] = [];
  private weightsHead = 0;
  private weighedFrom = 0;
  private unreadEvents = 0;
  /** Drops the held atoms when they are due ({@link StreamExport.dropHeld}). */
  private dropTimer: NodeJS.Timeout | undefined;
  /** Settles when the current pump ends. */
  private pumped: Promise<void> = Promise.resolve();

  constructor(
    private readonly stream: AtomicStream,
    private readonly runtime: string,
    private readonly connection: ClusterConnection,
    private readonly fence: Fence,
    private readonly codec: () => Codec,
    private readonly log: LogWriter,
    /** Called when the atoms covered run low while more wait for a checkpoint ({@link StreamExport.waiting}). */
    private readonly runningLow: () => void,
    /** Whether another runtime reads the stream now; while it does not, atoms are held, then dropped (default: always). */
    private readonly publishes: () => boolean = () => true,
    /** The engine's hold on its sources, taken while the export is behind (a live engine's; none: never held). */
    private readonly sources?: SourceHold,
  ) {
    this.cursor = stream.subscribe(this);
    this.taken = stream.end;
    this.subject = streamSubject(stream.path, runtime);
    // Made now, so readers find it before the first atom is published (a failure is tried again by the pump).
    connection.atomStream(stream.path, runtime).catch(() => {});
    const stopReconnect = connection.onReconnect(() => (this.reconnected = true));
    // Cut off, nothing is published: local work goes on (docs/cluster.md, "Edge").
    const stopDisconnect = connection.onDisconnect(() => this.sources?.release(this));
    this.stopListening = () => {
      stopReconnect();
      stopDisconnect();
      this.sources?.release(this);
    };
  }

  /** The stream's path. */
  get path(): string {
    return this.stream.path;
  }

  /**
   * Atoms appended that another runtime reads and JetStream has not acknowledged yet: none while
   * nobody reads the stream, or once the export was closed; all it holds once it stopped for good
   * ({@link failure}), which is not closing.
   */
  get unpublished(): number {
    return (this.closed && this.stoppedBy === undefined) || !this.publishes() ? 0 : this.stream.end - this.cursor.position;
  }

  /** Why the export stopped publishing for good, or `undefined` while it publishes. */
  get failure(): string | undefined {
    return this.stoppedBy;
  }

  /**
   * Appends need no step of the export, which publishes them once a checkpoint covers them; an
   * append that puts the export {@link BEHIND} holds the engine's sources, while the atoms are
   * published (another runtime reads the stream, the cluster can be reached, and takes them: a
   * server that is connected but does not answer holds them only until the first publish or
   * look-up fails). While nobody reads the stream, an append beyond {@link UNREAD_HOLD_EVENTS}
   * drops the oldest atoms ({@link StreamExport.dropBeyondBound}).
   */
  wake(): void {
    this.countUnread();
    if (this.unreadEvents > UNREAD_HOLD_EVENTS) this.dropBeyondBound();
    if (this.sources !== undefined && this.stream.end - this.cursor.position > BEHIND && !this.closed && !this.failing && this.connection.reachable && this.publishes()) {
      this.sources.hold(this);
    }
  }

  /**
   * True when atoms were appended since the last checkpoint was taken and the atoms a stored
   * checkpoint covers are about to run out. While the export has more than {@link LOW_WATER}
   * of them to publish, a checkpoint would only stop the loop it publishes from (one is taken
   * on the loop, and one holding a large backlog takes long), and what is appended meanwhile
   * goes in the next one, in a larger batch; once it runs low, it wakes the system to ask.
   */
  get waiting(): boolean {
    return !this.closed && this.stream.end > this.taken && this.covered - this.cursor.position < LOW_WATER && this.publishes();
  }

  /**
   * A checkpoint is being taken: returns the end of the stream it covers. The atoms it holds
   * for the export are encoded for their messages now, so the checkpoint copies those bytes
   * instead of encoding the atoms a second time (`Codec.encodeOnce`, docs/cluster.md, "Costs,
   * measured"); one that cannot be encoded is left to the checkpoint, which says where.
   */
  take(): number {
    this.taken = this.stream.end;
    if (!this.closed && this.publishes()) {
      const codec = this.codec();
      for (let number = Math.max(this.cursor.position, this.encodedTo); number < this.taken; number++) {
        try {
          codec.encodeOnce(this.cursor.peek(number - this.cursor.position), `atom ${number} of stream ${this.path}`);
        } catch {
          break;
        }
      }
      this.encodedTo = Math.max(this.encodedTo, this.taken);
    }
    return this.taken;
  }

  /** The checkpoint that covers the atoms before `end` is stored: publishes them (holds them while nobody reads the stream). */
  release(end: number): void {
    if (this.closed) return;
    if (!this.pumping && !this.publishes()) {
      this.sources?.release(this);
      this.hold(end);
      return;
    }
    this.unhold();
    this.covered = Math.max(this.covered, end);
    if (!this.pumping) this.pumped = this.pump();
  }

  /**
   * Readers may have come: when one did, the atoms held for it go out after the next checkpoint,
   * which is asked for now. Not at once: the checkpoints that covered them did not hold them
   * ({@link StreamExport.expendable}), and what is published must be in a stored snapshot, or a
   * crash would leave a gap in what the reader gets.
   */
  heard(): void {
    if (this.unread.length === 0 || !this.publishes()) return;
    this.unhold();
    // No checkpoint holds the atoms after the cursor: `waiting` until one is taken.
    this.taken = this.cursor.position;
    this.runningLow();
  }

  /**
   * While it only holds atoms for a reader that may come (nobody reads the stream, none are
   * owed, the cluster can be reached), a snapshot records the export as having read them all:
   * held atoms do not make every checkpoint larger (a producer's input streams held as many
   * atoms as the stream it published, and tripled its checkpoints), and a crash drops them as the
   * hold would have (docs/cluster.md, "Exports on interest").
   */
  expendable(): boolean {
    return !this.pumping && this.covered <= this.cursor.position && this.connection.reachable && !this.publishes();
  }

  /**
   * Atoms before `end` are covered while no other runtime reads the stream: those covered more
   * than {@link UNREAD_HOLD_MS} ago are dropped, so a reader deployed meanwhile (whose entry this
   * runtime hears of a little later) still gets the ones it could have read.
   */
  private hold(end: number): void {
    if (end > (this.unread.at(-1)?.end ?? this.cursor.position)) this.unread.push({ end, at: Date.now() });
    this.countUnread();
    this.dropBeyondBound();
    if (this.dropTimer === undefined) this.dropHeld();
  }

  /**
   * While nobody reads the stream and nothing is owed, drops the oldest atoms the export has
   * not read until they hold at most {@link UNREAD_HOLD_EVENTS} events, reachable or not: as
   * they are appended, so a fast source cannot fill the memory between two checkpoints.
   */
  private dropBeyondBound(): void {
    if (this.unreadEvents <= UNREAD_HOLD_EVENTS || this.closed || this.pumping || this.covered > this.cursor.position || this.publishes()) return;
    let end = this.cursor.position;
    for (let over = this.unreadEvents - UNREAD_HOLD_EVENTS, i = this.weightsHead; over > 0 && i < this.weights.length; i++, end++) over -= this.weights[i]!;
    this.skipTo(end);
  }

  /** Reads (and so drops) the held atoms before `end`, and forgets the holds that only covered them. */
  private skipTo(end: number): void {
    while (this.cursor.position < end && this.cursor.hasNext()) this.cursor.next();
    while (this.unread.length > 0 && this.unread[0]!.end <= this.cursor.position) this.unread.shift();
    this.countUnread();
  }

  /**
   * Brings {@link unreadEvents} to the atoms from the cursor to the stream's end: adds the atoms
   * appended since, forgets those read since (by weight, as they may be gone from the stream),
   * and counts them all again when the two do not meet (a restore moved the cursor, or the
   * cursor went past what was counted).
   */
  private countUnread(): void {
    const position = this.cursor.position;
    const end = this.stream.end;
    let counted = this.weighedFrom + this.weights.length - this.weightsHead;
    if (position < this.weighedFrom || counted < position || counted > end) {
      this.weights.length = this.weightsHead = 0;
      this.weighedFrom = counted = position;
      this.unreadEvents = 0;
    }
    for (; counted < end; counted++) {
      const w = weight(this.cursor.peek(counted - position));
      this.weights.push(w);
      this.unreadEvents += w;
    }
    while (this.weighedFrom < position && this.weightsHead < this.weights.length) {
      this.unreadEvents -= this.weights[this.weightsHead++]!;
      this.weighedFrom++;
    }
    // The read weights go in one cut once they are most of the array.
    if (this.weightsHead > 1024 && this.weightsHead * 2 > this.weights.length) {
      this.weights.splice(0, this.weightsHead);
      this.weightsHead = 0;
    }
  }

  /** Nothing is held any more (the atoms go out): forgets the holds. */
  private unhold(): void {
    this.unread.length = 0;
    this.cancelDrop();
  }

  /**
   * Drops the held atoms covered more than {@link UNREAD_HOLD_MS} ago, and comes back when the
   * next ones are due (an idle runtime takes no checkpoint that would): a reader deployed later
   * starts after them (docs/semantics.md, rule 7). While the cluster cannot be reached none are
   * dropped: a reader may have come that this runtime has not heard of.
   *
   * It comes back in the check phase of the event loop's turn, after the I/O that arrived while
   * the loop was busy: a runtime stuck past the hold (in a long checkpoint, say) hears of a reader
   * that came meanwhile before it drops what that reader could have read.
   */
  private dropHeld(): void {
    this.cancelDrop();
    if (this.closed || this.unread.length === 0 || this.publishes()) return;
    const now = Date.now();
    if (this.connection.reachable) {
      let due = 0;
      while (due < this.unread.length && this.unread[due]!.at <= now - UNREAD_HOLD_MS) due++;
      if (due > 0) this.skipTo(this.unread[due - 1]!.end);
    }
    const next = this.unread[0];
    // Cut off: looked at again a hold later (a reconnection is heard too, but may not be the only way back).
    const wait = next === undefined ? undefined : this.connection.reachable ? next.at + UNREAD_HOLD_MS - now : UNREAD_HOLD_MS;
    if (wait !== undefined) this.dropTimer = setTimeout(() => setImmediate(() => this.dropTimer !== undefined && this.dropHeld()), Math.max(0, wait)).unref();
  }

  private cancelDrop(): void {
    clearTimeout(this.dropTimer);
    this.dropTimer = undefined;
  }

  /** Stops publishing; resolves once a publish in flight has ended. */
  async close(): Promise<void> {
    this.closed = true;
    this.cancelDrop();
    this.stopListening();
    await this.pumped;
  }

  private async pump(): Promise<void> {
    this.pumping = true;
    try {
      let stalled = 0;
      for (let attempt = 0; !this.closed && this.cursor.position < this.covered; ) {
        if (this.fence.lost !== undefined) throw this.fence.lost;
        if (this.reconnected) {
          this.reconnected = false;
          this.lastSeq = undefined;
        }
        if (this.lastSeq === undefined) {
          try {
            await this.lookUp();
          } catch (thrown) {
            if (thrown instanceof CannotPublish || thrown instanceof Fenced) throw thrown;
            if (this.closed) break;
            this.failing = true;
            this.sources?.release(this);
            // The server is away (or slow): as for a publish, wait and look again.
            if (attempt === 0) this.log(`reading the last atom of stream ${this.path} on the cluster failed (${describe(thrown)}); retrying`, { level: "warn", workflow: this.path, task: "", key: 0 });
            await new Promise((resolve) => setTimeout(resolve, Math.min(MAX_BACKOFF_MS, 50 * 2 ** attempt++)));
            continue;
          }
        }
        const { nc } = await this.connection.ready();
        const outgoing = this.outgoing(nc.info?.max_payload ?? Infinity);
        const count = outgoing.length;
        if (this.closed || count === 0) break;
        const acks = await Promise.allSettled(outgoing.map((message, i) => this.publish(message, this.lastSeq! + i)));
        if (this.closed) return;
        // The messages acknowledged in order from the first are published; the rest go again.
        let done = 0;
        while (done < count && acks[done]!.status === "fulfilled") done++;
        if (done > 0) {
          this.lastSeq = (acks[done - 1] as PromiseFulfilledResult<PubAck>).value.seq;
          for (const sent of outgoing.slice(0, done)) {
            const last = sent.index === sent.count - 1;
            this.resume = last ? undefined : { number: sent.number, index: sent.index + 1, count: sent.count };
            if (last) this.cursor.next();
          }
          stalled = 0;
          attempt = 0;
          this.failing = false;
          if (this.covered - this.cursor.position < LOW_WATER && this.stream.end > this.taken) this.runningLow();
          if (this.stream.end - this.cursor.position <= CAUGHT_UP) this.sources?.release(this);
        }
        if (done === count) continue;
        const failure = (acks[done] as PromiseRejectedResult).reason as { code?: number };
        if (failure.code === WRONG_LAST_SEQUENCE && ++stalled > 3) {
          throw new Error(`another process publishes stream ${this.path} as runtime ${this.runtime}; give every runtime of the cluster its own name and data directory`);
        }
        if (failure.code !== WRONG_LAST_SEQUENCE && attempt === 0) {
          this.log(`publishing atom ${outgoing[done]!.number} of stream ${this.path} failed (${describe(failure)}); retrying`, { level: "warn", workflow: this.path, task: "", key: 0 });
        }
        // What the stream holds decides where to go on (an atom may be stored though its ack was lost).
        this.lastSeq = undefined;
        // While the cluster does not take the atoms, the sources are not held for them.
        this.failing = true;
        this.sources?.release(this);
        await new Promise((resolve) => setTimeout(resolve, Math.min(MAX_BACKOFF_MS, 50 * 2 ** attempt++)));
      }
    } catch (thrown) {
      this.closed = true;
      this.stopListening();
      // The identity says so, once for every export.
      if (thrown instanceof Fenced) return;
      this.stoppedBy = describe(thrown);
      this.log(`the export of stream ${this.path} to the cluster stopped: ${describe(thrown)}`, { level: "error", workflow: this.path, task: "", key: 0 });
    } finally {
      this.pumping = false;
    }
  }

  /**
   * Reads the last atom this runtime published on its subject and skips the atoms up to it.
   *
   * @throws CannotPublish when the stream holds an atom this stream never had (another data
   *   directory ran as this runtime); Fenced when this process no longer holds the runtime's
   *   name; Error when the server cannot be asked
   */
  private async lookUp(): Promise<void> {
    await this.fence.verify();
    // Made again if making it failed (the server went away): the connection keeps it once made.
    const name = await this.connection.atomStream(this.stream.path, this.runtime);
    const { jsm } = await this.connection.ready();
    const last = await jsm.streams.getMessage(name, { last_by_subj: this.subject }).catch((thrown: unknown) => {
      if ((thrown as { code?: number }).code === NO_MESSAGE || /no message found/i.test(String((thrown as Error).message))) return null;
      throw thrown;
    });
    // No message: none published yet, or all removed by the stream's retention limit (its last sequence stays).
    this.lastSeq = last?.seq ?? (await jsm.streams.info(name)).state.last_seq;
    const published = last === null ? -1 : Number(last.header?.get(ATOM_HEADER) ?? -1);
    const chunk = parseChunk(last?.header?.get(CHUNK_HEADER));
    if (published >= this.stream.end) {
      throw new CannotPublish(
        `runtime ${this.runtime} published atom ${published} of stream ${this.path}, but this data directory's stream has only ${this.stream.end} atoms: ` +
          "another data directory ran as this runtime; give this one another runtime name, or restart with that data directory",
      );
    }
    const { done, next } = resumeAfter(published, chunk);
    while (this.cursor.position <= done && this.cursor.hasNext()) this.cursor.next();
    this.resume = next;
  }

  /**
   * The next messages, up to {@link WINDOW} and {@link WINDOW_BYTES}: from the atom at the cursor
   * (from its next chunk when part of it is out) to the last one a stored checkpoint covers, an
   * atom cut in chunks when it is larger than `maxPayload` (the server's limit per message).
   *
   * @throws CannotPublish when the first atom cannot be encoded, or its chunks cut before no longer
   *   fit (the server's limit was lowered while it was partly out)
   */
  private outgoing(maxPayload: number): Outgoing[] {
    const out: Outgoing[] = [];
    let size = 0;
    for (let number = this.cursor.position; out.length < WINDOW && size < WINDOW_BYTES && number < this.covered && number < this.stream.end; number++) {
      let bytes: Uint8Array;
      try {
        bytes = this.encode(number);
      } catch (thrown) {
        // What comes before it goes out; the export stops when it is first in line.
        if (out.length > 0) break;
        throw new CannotPublish(describe(thrown));
      }
      const resume = this.resume?.number === number ? this.resume : undefined;
      const count = resume?.count ?? chunkCount(bytes.length, maxPayload);
      if (!chunksFit(bytes.length, count, maxPayload)) {
        throw new CannotPublish(`atom ${number} is ${bytes.length} bytes in ${count} chunks, each more than the NATS server now takes in one message (max_payload ${maxPayload}); raise max_payload again`);
      }
      for (let index = resume?.index ?? 0; index < count && out.length < WINDOW && size < WINDOW_BYTES; index++) {
        const data = count === 1 ? bytes : chunkOf(bytes, { index, count });
        out.push({ number, index, count, data });
        size += data.length;
      }
    }
    return out;
  }

  /** The bytes of the atom at `number` (made once, `Codec.encodeOnce`: most at the checkpoint that covers it). */
  private encode(number: number): Uint8Array {
    return this.codec().encodeOnce(this.cursor.peek(number - this.cursor.position), `atom ${number} of stream ${this.path}`);
  }

  /** Publishes `message` expecting the stream's last sequence to be `after`; rejects when the server refuses it or does not answer. */
  private async publish(message: Outgoing, after: number): Promise<PubAck> {
    const { js } = await this.connection.ready();
    const h = headers();
    h.set(ATOM_HEADER, String(message.number));
    if (message.count > 1) h.set(CHUNK_HEADER, `${message.index}/${message.count}`);
    const id = atomMessageId(this.runtime, this.path, message.number) + (message.count > 1 ? `/${message.index}` : "");
    return js.publish(this.subject, message.data, { msgID: id, headers: h, expect: { lastSequence: after }, timeout: 5000 });
  }
}

/** What no retry can mend: an atom that cannot be published, a stream another data directory wrote. */
class CannotPublish extends Error {}

/** What an atom held for a reader to come counts towards {@link UNREAD_HOLD_EVENTS}: its events, and one at least. */
function weight(atom: Atom): number {
  return Math.max(1, atom.values.length);
}
