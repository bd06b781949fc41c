/**
 * A stream of another runtime read here (docs/cluster.md, "Remote streams"): the source of a
 * generator that appends each remote atom to a stream of this engine, so local workflows
 * subscribe to it as to any stream. It reads the JetStream stream its producer runtime publishes
 * with an ordered consumer; its position (the last JetStream sequence stepped, and the last atom
 * number: the producer's high-water mark) is in every snapshot, so after a restore it reads on
 * from there and each atom is stepped exactly once. An atom at or below the high-water mark (a
 * republish after a crash) is dropped. An atom published in chunks (`chunks.ts`) is joined
 * before it is decoded; the position moves only by whole atoms. Atoms are numbered without gaps:
 * a gap is atoms the producer's retention limit removed before they were read here, said in the
 * log (they are lost to this reader).
 *
 * An ordered consumer can stall for good after the server restarts (measured: docs/cluster.md,
 * "Failures"), so the import starts a new one after every reconnection, from the last sequence
 * it received; likewise when its heartbeats stop (the node of a JetStream cluster that held it
 * was lost while this client stayed connected to another).
 */
import type { ConsumerNotification } from "@nats-io/jetstream";
import type { LogWriter } from "../core/log.js";
import { describe } from "../core/errors.js";
import { atom as atomOf, isEmpty, type Atom } from "../engine/atom.js";
import { partitionOf, type Partition } from "../core/partition.js";
import type { SourceClock } from "../engine/components/live-sources.js";
import type { AtomSource } from "../engine/components/sources.js";
import type { Codec } from "../state/codec.js";
import { CHUNK_HEADER, ChunkJoiner, parseChunk } from "./chunks.js";
import type { ClusterConnection } from "./nats.js";
import { ATOM_HEADER, jetStreamName, streamSubject } from "./subjects.js";

/** Where an import is, as plain data (snapshots). */
export interface ImportPosition {
  /** The last JetStream sequence stepped (0: none yet). */
  readonly seq: number;
  /** Until the first atom: read from this time on (ISO 8601; when the import was launched). */
  readonly since: string;
  /** The last atom number stepped (-1: none). */
  readonly hwm: number;
}

/** Atoms read ahead of the engine at most, before the consumer waits. */
const READ_AHEAD = 256;
/** Pause before a new consumer after the last one ended, in milliseconds. */
const RETRY_MS = 250;
/** How long a pull waits on the server: short, so a consumer notices a restarted server (docs/cluster.md). */
const EXPIRES_MS = 2000;

interface Received {
  readonly seq: number;
  readonly number: number;
  readonly atom: Atom;
}

/** See the module header. */
export class StreamImport implements AtomSource {
  private at: ImportPosition;
  private readonly buffer: Received[] = [];
  private stopped = false;
  private stopConsumer: (() => void) | undefined;
  private readonly stopListening: () => void;
  /** Set by a reconnection while a consumer is being made: it is not used. */
  private reconnected = false;
  private drained: (() => void) | undefined;
  /** The last JetStream sequence and atom number received (read ahead of {@link at}). */
  private receivedSeq = 0;
  private received: number | undefined;
  /** The chunks of the atom being received, across consumers (a new one reads on from the next message). */
  private readonly joiner = new ChunkJoiner();
  /** The JetStream sequence of the last whole atom received (its last message). */
  private wholeSeq = 0;

  /**
   * Starts reading once the deployment (or the restore that seeks it) is done.
   *
   * @param path the stream's path, for messages
   * @param from what to read: the stream of runtime `producer` at path `stream` and, until its
   *   first atom, from when (`since`, ISO 8601; default now); with `partition`, only the events
   *   whose key hashes to it (docs/cluster.md, "Partitioned applications")
   */
  constructor(
    private readonly path: string,
    private readonly from: { readonly stream: string; readonly producer: string; readonly since?: string; readonly partition?: Partition },
    private readonly connection: ClusterConnection,
    private readonly codec: () => Codec,
    private readonly clock: SourceClock | undefined,
    private readonly log: LogWriter,
  ) {
    this.at = { seq: 0, since: from.since ?? new Date().toISOString(), hwm: -1 };
    queueMicrotask(() => void this.read());
    this.stopListening = connection.onReconnect(() => {
      this.reconnected = true;
      this.stopConsumer?.();
    });
  }

  position(): ImportPosition {
    return this.at;
  }

  seek(position: ImportPosition): void {
    this.at = position;
  }

  available(): boolean {
    return this.buffer.length > 0;
  }

  next(): Atom {
    const r = this.buffer.shift()!;
    this.at = { seq: r.seq, since: this.at.since, hwm: r.number };
    if (this.buffer.length < READ_AHEAD / 2) this.drained?.();
    return r.atom;
  }

  close(): void {
    this.stopped = true;
    this.stopListening();
    this.stopConsumer?.();
    this.drained?.();
  }

  /**
   * Calls `stop` when the consumer whose notifications are `status` is gone: its server stopped
   * sending heartbeats (a JetStream cluster lost the node that held it, docs/cluster.md,
   * "Failures"), and this client, connected to another node, sees no reconnection that would
   * start a new one.
   */
  private async watchOver(status: AsyncIterable<ConsumerNotification>, stop: () => void): Promise<void> {
    for await (const s of status) {
      if (s.type === "heartbeats_missed" || s.type === "consumer_deleted" || s.type === "consumer_not_found") {
        stop();
        return;
      }
    }
  }

  private async read(): Promise<void> {
    if (this.stopped) return;
    const from = Math.max(this.at.seq, this.receivedSeq);
    const start = from > 0 ? { deliver_policy: "by_start_sequence" as const, opt_start_seq: from + 1 } : { deliver_policy: "by_start_time" as const, opt_start_time: this.at.since };
    this.reconnected = false;
    try {
      const { js } = await this.connection.ready();
      const consumer = await js.consumers.get(jetStreamName(this.from.stream, this.from.producer), { filter_subjects: streamSubject(this.from.stream, this.from.producer), ...start });
      const messages = await consumer.consume({ expires: EXPIRES_MS, max_messages: 64 });
      const stop = (): void => {
        if (this.stopConsumer === stop) this.stopConsumer = undefined;
        messages.stop();
      };
      this.stopConsumer = stop;
      if (this.stopped || this.reconnected) stop();
      void this.watchOver(messages.status(), stop);
      for await (const m of messages) {
        if (this.stopConsumer === undefined) break;
        const number = Number(m.headers?.get(ATOM_HEADER));
        this.receivedSeq = m.seq;
        if (!Number.isSafeInteger(number) || number <= (this.received ?? this.at.hwm)) continue;
        const chunk = parseChunk(m.headers?.get(CHUNK_HEADER));
        let data: Uint8Array | undefined = m.data;
        if (chunk !== undefined) {
          try {
            data = this.joiner.add(number, chunk, m.data);
          } catch (thrown) {
            // Not what one subject delivers in order: read again from the first chunk of the atom after the last whole one.
            this.log(`stream ${this.path}: ${describe(thrown)}; reading again from the atom after ${this.received ?? this.at.hwm}`, { level: "warn", workflow: this.path, task: "", key: 0 });
            this.receivedSeq = this.wholeSeq;
            stop();
            break;
          }
          if (data === undefined) continue;
        }
        let atom: Atom;
        try {
          atom = this.codec().decode(data) as Atom;
        } catch (thrown) {
          // No retry can read it: say so once, and read no further (a restart with the class registered goes on).
          this.log(`atom ${number} of stream ${this.path} cannot be read here (${describe(thrown)}); register the data classes of its events with app.dataClass in the application that reads it, and restart`, { level: "error", workflow: this.path, task: "", key: 0 });
          this.close();
          return;
        }
        const expected = (this.received ?? this.at.hwm) + 1;
        // Before its first atom a reader starts anywhere (rule 7); after, the next is the one after the last.
        if (number > expected && (this.received !== undefined || this.at.hwm >= 0)) {
          const one = number - expected === 1;
          const lost = one ? `atom ${expected} of stream ${this.path} was` : `atoms ${expected} to ${number - 1} of stream ${this.path} were`;
          this.log(`${lost} removed from the cluster by its producer's retention limit before this runtime read ${one ? "it" : "them"} (docs/cluster.md, "Retention"); reading on from atom ${number}`, { level: "error", workflow: this.path, task: "", key: 0 });
        }
        this.received = number;
        this.wholeSeq = m.seq;
        if (this.from.partition !== undefined) {
          atom = partitionAtom(atom, this.from.partition);
          // Another partition's: skipped (a restore before the next atom read here skips it again).
          if (isEmpty(atom) && !atom.seal) continue;
        }
        this.buffer.push({ seq: m.seq, number, atom });
        if (this.buffer.length === 1) this.clock?.wake();
        while (this.buffer.length >= READ_AHEAD && !this.stopped) await new Promise<void>((resolve) => (this.drained = resolve));
        if (this.stopped) break;
      }
    } catch (thrown) {
      if (this.stopped) return;
      // Until the producer has made its stream (it does at launch), there is nothing to read yet.
      if (!/stream not found/i.test(String(thrown))) this.log(`reading stream ${this.path} from the cluster failed (${describe(thrown)}); retrying`, { level: "warn", workflow: this.path, task: "", key: 0 });
    }
    // Ended by a reconnection, a consumer gone silent, or failed: read on from what was received.
    this.stopConsumer = undefined;
    if (!this.stopped) setTimeout(() => void this.read(), RETRY_MS);
  }
}

/** The events of `atom` whose key hashes to `partition`, with its error and flags. */
function partitionAtom(atom: Atom, partition: Partition): Atom {
  const keys: Atom["keys"] = [];
  const values: unknown[] = [];
  for (let i = 0; i < atom.keys.length; i++) {
    if (partitionOf(atom.keys[i]!, partition.count) !== partition.index) continue;
    keys.push(atom.keys[i]!);
    values.push(atom.values[i]);
  }
  return atomOf(keys, values, atom.error, atom.seal, atom.portal);
}
