/**
 * A stream of this runtime that other runtimes read (docs/cluster.md, "Remote streams"): the
 * export is one more consumer of the stream, so the atoms it has not published stay in the
 * stream, and in every snapshot, as its outbox. Once a stored checkpoint covers atoms, they are
 * published in order, one JetStream message per atom, on this runtime's own subject, with an id
 * made of the runtime, the path and the atom's number: the same atom always goes out with the
 * same id and bytes. Only then does the export read them, and the stream drops them.
 *
 * Before its first publish the export reads the last message of its subject, so after a crash
 * it skips what was published already without relying on the server's deduplication window;
 * each publish expects the subject's last sequence, so a second process publishing as this
 * runtime is refused instead of interleaving.
 */
import { headers } from "@nats-io/nats-core";
import type { PubAck } from "@nats-io/jetstream";
import { describe } from "../core/errors.js";
import type { LogWriter } from "../core/log.js";
import type { AtomicStream, Consumer, Cursor } from "../engine/stream.js";
import type { Codec } from "../state/codec.js";
import type { ClusterConnection } from "./nats.js";
import { ATOM_HEADER, ATOMS_STREAM, atomMessageId, streamSubject } from "./subjects.js";

/** JetStream's error code for a publish whose expected last subject sequence is not the subject's. */
const WRONG_LAST_SEQUENCE = 10071;
/** Longest pause between retries of a publish the server did not acknowledge, in milliseconds. */
const MAX_BACKOFF_MS = 2000;

/** See the module header. */
export class StreamExport implements Consumer {
  private readonly cursor: Cursor;
  private readonly subject: string;
  /** The stream's end when the last checkpoint was taken. */
  private taken: number;
  /** Atoms before this number are covered by a stored checkpoint. */
  private covered = 0;
  /** The subject's last JetStream sequence (0: none), once looked up. */
  private lastSeq: number | undefined;
  private pumping = false;
  private closed = false;
  /** Settles when the current pump ends. */
  private pumped: Promise<void> = Promise.resolve();

  constructor(
    private readonly stream: AtomicStream,
    private readonly runtime: string,
    private readonly connection: ClusterConnection,
    private readonly codec: () => Codec,
    private readonly log: LogWriter,
    /** Whether atoms are published now; those covered while it is false are dropped (default: always). */
    private readonly publishes: () => boolean = () => true,
  ) {
    this.cursor = stream.subscribe(this);
    this.taken = stream.end;
    this.subject = streamSubject(stream.path, runtime);
  }

  /** The stream's path. */
  get path(): string {
    return this.stream.path;
  }

  /** Appends need no step of the export: it publishes once a checkpoint covers them. */
  wake(): void {}

  /** True when atoms were appended since the last checkpoint was taken. */
  get waiting(): boolean {
    return !this.closed && this.stream.end > this.taken && this.publishes();
  }

  /** A checkpoint is being taken: returns the end of the stream it covers. */
  take(): number {
    this.taken = this.stream.end;
    return this.taken;
  }

  /** The checkpoint that covers the atoms before `end` is stored: publishes them. */
  release(end: number): void {
    if (this.closed) return;
    if (!this.pumping && !this.publishes()) {
      // Nobody else reads it (a portal's replies while no other runtime asks): drop them.
      while (this.cursor.position < end && this.cursor.hasNext()) this.cursor.next();
      return;
    }
    this.covered = Math.max(this.covered, end);
    if (!this.pumping) this.pumped = this.pump();
  }

  /** Stops publishing; resolves once a publish in flight has ended. */
  async close(): Promise<void> {
    this.closed = true;
    await this.pumped;
  }

  private async pump(): Promise<void> {
    this.pumping = true;
    try {
      let conflicts = 0;
      while (!this.closed && this.cursor.position < this.covered) {
        if (this.lastSeq === undefined) await this.lookUp();
        if (this.closed || this.cursor.position >= this.covered) break;
        const number = this.cursor.position;
        const bytes = this.codec().encode(this.cursor.peek(), `atom ${number} of stream ${this.path}`);
        const limit = this.connection.nc.info?.max_payload ?? Infinity;
        if (bytes.length > limit) {
          throw new Error(`atom ${number} is ${bytes.length} bytes, more than the NATS server takes in one message (max_payload ${limit}); emit smaller atoms or raise max_payload (at most 8 MB advised)`);
        }
        const ack = await this.publish(number, bytes);
        if (ack === "conflict") {
          // Our own earlier publish may have landed (a retry after a lost ack): look again.
          if (++conflicts > 3) throw new Error(`another process publishes stream ${this.path} as runtime ${this.runtime}; give every runtime of the cluster its own name and data directory`);
          this.lastSeq = undefined;
          continue;
        }
        conflicts = 0;
        if (ack === undefined) return;
        this.lastSeq = Math.max(this.lastSeq ?? 0, ack.seq);
        if (this.cursor.position === number) this.cursor.next();
      }
    } catch (thrown) {
      this.closed = true;
      this.log(`the export of stream ${this.path} to the cluster stopped: ${describe(thrown)}`, { level: "error", workflow: this.path, task: "", key: 0 });
    } finally {
      this.pumping = false;
    }
  }

  /**
   * Reads the last atom this runtime published on its subject and skips the atoms up to it.
   *
   * @throws Error when the subject holds an atom this stream never had (another data directory ran as this runtime)
   */
  private async lookUp(): Promise<void> {
    const last = await this.connection.jsm.streams.getMessage(ATOMS_STREAM, { last_by_subj: this.subject }).catch((thrown: unknown) => {
      if ((thrown as { code?: number }).code === 10037 || /no message found/i.test(String((thrown as Error).message))) return null;
      throw thrown;
    });
    this.lastSeq = last?.seq ?? 0;
    const published = last === null ? -1 : Number(last.header?.get(ATOM_HEADER) ?? -1);
    if (published >= this.stream.end) {
      throw new Error(
        `runtime ${this.runtime} published atom ${published} of stream ${this.path}, but this data directory's stream has only ${this.stream.end} atoms: ` +
          "another data directory ran as this runtime; give this one another runtime name, or restart with that data directory",
      );
    }
    while (this.cursor.position <= published && this.cursor.hasNext()) this.cursor.next();
  }

  /** Publishes atom `number`, retrying until the server acknowledges it; `"conflict"` when the subject moved on, `undefined` once closed. */
  private async publish(number: number, bytes: Uint8Array): Promise<PubAck | "conflict" | undefined> {
    const h = headers();
    h.set(ATOM_HEADER, String(number));
    const id = atomMessageId(this.runtime, this.path, number);
    for (let attempt = 0; !this.closed; attempt++) {
      try {
        return await this.connection.js.publish(this.subject, bytes, { msgID: id, headers: h, expect: { lastSubjectSequence: this.lastSeq }, timeout: 5000 });
      } catch (thrown) {
        if ((thrown as { code?: number }).code === WRONG_LAST_SEQUENCE) return "conflict";
        if (attempt === 0) this.log(`publishing atom ${number} of stream ${this.path} failed (${describe(thrown)}); retrying`, { level: "warn", workflow: this.path, task: "", key: 0 });
        await new Promise((resolve) => setTimeout(resolve, Math.min(MAX_BACKOFF_MS, 50 * 2 ** attempt)));
      }
    }
    return undefined;
  }
}
