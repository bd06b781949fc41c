/**
 * A runtime's name held by one data directory at a time (docs/cluster.md, "Identity"). The
 * streams a runtime publishes, the asks sent to it and its directory entries are all named by the
 * runtime's name, so two processes taking one name would each run their own copy of its
 * applications, and readers would see one or the other. The key `runtimes.<name>` of the
 * directory bucket says who holds the name: the id of a data directory (made at its first start),
 * and an epoch that every claim raises with an update conditional on the key's last revision, so
 * of two claims at once one fails and reads again.
 *
 * The name is fenced, not leased: nothing expires while a runtime is away (an edge runtime may be
 * cut off for days), so a holder is refused only by the data directory it names, and a new data
 * directory takes the name only when told to. A process that sees a newer epoch than its own (a
 * watch on the key, and a read before the first publish after a reconnection or a refusal) stops
 * everything it does under the name.
 */
import { randomUUID } from "node:crypto";
import { readFileSync, writeFileSync } from "node:fs";
import { hostname } from "node:os";
import { join } from "node:path";
import type { KV, KvEntry } from "@nats-io/kv";
import { describe } from "../core/errors.js";
import type { ClusterConnection } from "./nats.js";
import { DIRECTORY_BUCKET, identityKey } from "./subjects.js";

/** The file of a data directory holding its id. */
const ID_FILE = "runtime-id";
/** The runtime name a data directory joined its cluster as (`checkRuntimeName`). */
const NAME_FILE = "runtime-name";
/** JetStream's error codes for a write whose expected last revision is not the key's: another claim came first. */
const CONFLICTS = [10071, 10164];
/** Longest pause between attempts to claim the name while the server does not answer, in milliseconds. */
const MAX_BACKOFF_MS = 2000;

/** Who holds a runtime's name: the value of its key. */
export interface IdentityRecord {
  /** 1 at the first claim, one more at each claim after it. */
  readonly epoch: number;
  /** The holder's data directory's id (`<dataDir>/runtime-id`), or a process's own without one. */
  readonly id: string;
  /** The holder's machine (`os.hostname()`). */
  readonly host: string;
  /** The holder's process id. */
  readonly pid: number;
  /** When it took the name, ISO 8601. */
  readonly since: string;
}

/** This process no longer holds its runtime's name, or never got it; the message says why and what to do. */
export class Fenced extends Error {
  override readonly name = "Fenced";
}

/** What the parts of a runtime that act under its name ask before they do. */
export interface Fence {
  /** Why this process does not hold its runtime's name, once that is known. */
  readonly lost: Fenced | undefined;
  /**
   * Resolves once the server says this process holds the name (after the claim); rejects with
   * {@link Fenced} when it does not, or with the server's error when the server cannot be asked.
   */
  verify(): Promise<void>;
}

/**
 * Checks that data directory `dataDir` joins its cluster as the runtime it joined as before,
 * recorded in `<dataDir>/runtime-name` (written at its first join). Its snapshots hold that
 * runtime's part of the cluster: the atom numbers of the streams it publishes under the name, the
 * positions of what it reads, the requests it sent; under another name the streams start
 * over on other subjects, and readers of the old ones never get what it publishes now (found by a
 * fresh user's trial: events sent meanwhile were acknowledged and never reached a reader).
 * Call it only while holding the directory's lock (a live system does).
 *
 * @throws Error naming both runtimes and the fix when the directory joined as another; Error when
 *   the file cannot be read or written
 */
export function checkRuntimeName(dataDir: string, runtime: string): void {
  const file = join(dataDir, NAME_FILE);
  let before: string | undefined;
  try {
    before = readFileSync(file, "utf8").trim();
  } catch (thrown) {
    if ((thrown as NodeJS.ErrnoException).code !== "ENOENT") throw thrown;
  }
  if (before === undefined || before === "") writeFileSync(file, runtime + "\n", { mode: 0o600 });
  else if (before !== runtime) {
    throw new Error(
      `data directory ${dataDir} is runtime ${before}'s (its snapshots hold what ${before} publishes and reads in the cluster, by that name): join as ${before} with it (--runtime ${before}), or give runtime ${runtime} a data directory of its own`,
    );
  }
}

/**
 * The id of data directory `dataDir`: read from `<dataDir>/runtime-id`, written there (a random
 * UUID) when missing; without a data directory, a new random id (a process that keeps nothing is
 * a new holder every time). Call it only while holding the directory's lock (a live system does).
 *
 * @throws Error when the file cannot be read or written
 */
export function dataDirId(dataDir: string | undefined): string {
  if (dataDir === undefined) return randomUUID();
  const file = join(dataDir, ID_FILE);
  try {
    const id = readFileSync(file, "utf8").trim();
    if (id !== "") return id;
  } catch (thrown) {
    if ((thrown as NodeJS.ErrnoException).code !== "ENOENT") throw thrown;
  }
  const id = randomUUID();
  writeFileSync(file, id + "\n", { mode: 0o600 });
  return id;
}

/** See the module header: one process's claim on runtime `runtime`'s name. */
export class RuntimeIdentity implements Fence {
  private mine: IdentityRecord | undefined;
  private lostWith: Fenced | undefined;
  private closed = false;
  private stopWatch: (() => void) | undefined;
  private stopListening: (() => void) | undefined;
  private checking: Promise<void> | undefined;
  private readonly claimed = settleable<void>();
  private readonly firstAttempt = settleable<void>();
  private readonly fencedWith = settleable<Fenced>();
  /** Whether the first claim is still undecided: a refusal then goes to {@link decided}'s callers. */
  private undecided = true;
  /** Who was promised the loss of the name (a caller of {@link decided}, of {@link fenced}): they are told, not the log. */
  private readonly listeners = new Set<"decided" | "fenced">();

  constructor(
    private readonly connection: ClusterConnection,
    private readonly runtime: string,
    /** Take the name even when another data directory holds it (once, at this claim). */
    private readonly takeOver: boolean,
    /**
     * Where the loss of the name is reported (an error, once, unless a caller of {@link listen}
     * is told instead), and a claim the server did not answer (a warning).
     */
    private readonly report: (line: string, level: "warn" | "error") => void,
  ) {
    this.claimed.promise.catch(() => {});
    this.firstAttempt.promise.catch(() => {});
  }

  /** Claims the name for data directory id `id` once the server is reached; see {@link decided} and {@link fenced}. */
  start(id: string): void {
    if (this.connection.current === undefined) this.decide();
    void this.connection.ready().then(
      (live) => this.claim(live.directory, id),
      () => this.decide(), // closed before the server was reached
    );
  }

  /**
   * Settles once the first claim was decided: resolves when it succeeded, when the server was not
   * reached when the claim started (it is made once it is) or could not be asked (it is tried
   * again); rejects with {@link Fenced} when another data directory holds the name.
   */
  decided(): Promise<void> {
    return this.firstAttempt.promise;
  }

  /**
   * Marks that a caller will report what `promise` ({@link decided} or {@link fenced}) says, so
   * the loss of the name is not also written to the log (the CLI would print it twice).
   */
  listen(promise: "decided" | "fenced"): void {
    this.listeners.add(promise);
  }

  /** Resolves once this process holds the name; rejects with {@link Fenced} once it does not. */
  held(): Promise<void> {
    // The claim's promise stays resolved once it was: a loss after it is told here.
    return this.lostWith !== undefined ? Promise.reject(this.lostWith) : this.claimed.promise;
  }

  /** Resolves with why, when this process lost the name or was refused it; never settles otherwise. */
  get fenced(): Promise<Fenced> {
    return this.fencedWith.promise;
  }

  get lost(): Fenced | undefined {
    return this.lostWith;
  }

  verify(): Promise<void> {
    // One read answers every export that asks at once (after a reconnection, all of them do).
    this.checking ??= (async () => {
      try {
        await this.held();
        const { directory } = await this.connection.ready();
        this.compare(await directory.get(identityKey(this.runtime)));
      } finally {
        this.checking = undefined;
      }
    })();
    return this.checking;
  }

  /** Stops following the key (the link closes); what waits for the name is let go. */
  close(): void {
    this.closed = true;
    this.stopWatch?.();
    this.stopListening?.();
    this.decide();
    this.claimed.reject(new Error(`the link of runtime ${this.runtime} was closed`));
  }

  private async claim(kv: KV, id: string): Promise<void> {
    for (let attempt = 0; !this.closed; attempt++) {
      try {
        this.mine = await this.take(kv, id);
        break;
      } catch (thrown) {
        if (thrown instanceof Fenced) {
          const toCaller = this.undecided && this.listeners.has("decided");
          this.decide(thrown);
          this.fence(thrown, toCaller);
          return;
        }
        if (attempt === 0) {
          this.report(`cannot claim runtime ${this.runtime}'s name in the cluster (${describe(thrown)}); trying again`, "warn");
          this.decide();
        }
        await new Promise((resolve) => setTimeout(resolve, Math.min(MAX_BACKOFF_MS, 100 * 2 ** attempt)));
      }
    }
    if (this.closed) return;
    this.claimed.resolve();
    this.decide();
    void this.watch(kv);
    // The watch may miss what happened while the server was away: read the key, and watch again.
    this.stopListening = this.connection.onReconnect(() => {
      this.verify().catch(() => {});
      this.stopWatch?.();
      void this.watch(kv);
    });
  }

  /**
   * Takes the name for `id`: creates the key, or raises its epoch when `id` holds it (or when
   * told to take it over), conditional on the revision read.
   *
   * @throws Fenced when another data directory holds it; the server's error when it cannot be asked
   */
  private async take(kv: KV, id: string): Promise<IdentityRecord> {
    const key = identityKey(this.runtime);
    for (;;) {
      const entry = await kv.get(key);
      const held = holder(entry);
      if (held !== undefined && held.id !== id && !this.takeOver) {
        throw new Fenced(
          `runtime ${this.runtime} of the cluster is held by another data directory (host ${held.host}, process ${held.pid}, since ${held.since}); ` +
            "stop that server, or choose another --runtime; if that machine is gone for good, `portals serve ... --take-over-runtime` (joinCluster({ takeOver: true })) takes the name",
        );
      }
      const record: IdentityRecord = { epoch: (held?.epoch ?? 0) + 1, id, host: hostname(), pid: process.pid, since: new Date().toISOString() };
      try {
        // Conditional on the revision read: of two claims at once, the second reads again.
        if (entry === null) await kv.create(key, JSON.stringify(record));
        else await kv.update(key, JSON.stringify(record), entry.revision);
        return record;
      } catch (thrown) {
        if (!CONFLICTS.includes((thrown as { code?: number }).code ?? 0)) throw thrown;
      }
    }
  }

  private async watch(kv: KV): Promise<void> {
    if (this.closed || this.lostWith !== undefined) return;
    try {
      const watch = await kv.watch({ key: identityKey(this.runtime) });
      this.stopWatch = () => watch.stop();
      if (this.closed) watch.stop();
      for await (const e of watch) this.compare(e);
    } catch {
      // The server went away: the reconnection reads the key and watches again.
    }
  }

  /** Fences this process when `entry` (the key's value) is not its own claim. */
  private compare(entry: KvEntry | null): void {
    if (this.lostWith !== undefined) throw this.lostWith;
    const mine = this.mine;
    if (mine === undefined) return;
    const held = holder(entry);
    if (held !== undefined && held.epoch === mine.epoch && held.id === mine.id) return;
    const what =
      held === undefined
        ? `given up (its key ${identityKey(this.runtime)} in bucket ${DIRECTORY_BUCKET} was deleted)`
        : `taken over by process ${held.pid} on ${held.host} at ${held.since} (epoch ${held.epoch}; this process had ${mine.epoch})`;
    this.fence(new Fenced(`runtime ${this.runtime} was ${what}; this process no longer publishes, answers or records anything as ${this.runtime}`));
    throw this.lostWith;
  }

  /** Settles the first claim: resolved, or refused with `refusal`. */
  private decide(refusal?: Fenced): void {
    this.undecided = false;
    if (refusal === undefined) this.firstAttempt.resolve();
    else this.firstAttempt.reject(refusal);
  }

  /** Loses the name for `reason`: said once, to whoever listens for it (`told`), or else in the log. */
  private fence(reason: Fenced, told = false): void {
    if (this.lostWith !== undefined) return;
    this.lostWith = reason;
    this.stopWatch?.();
    this.claimed.reject(reason);
    this.fencedWith.resolve(reason);
    if (!told && !this.listeners.has("fenced")) this.report(reason.message, "error");
  }
}

/** The holder a key's entry names, or `undefined` for none (no key, deleted, or not a holder's record). */
function holder(entry: KvEntry | null): IdentityRecord | undefined {
  if (entry === null || entry.operation !== "PUT") return undefined;
  try {
    const r = entry.json<IdentityRecord>();
    return Number.isSafeInteger(r.epoch) && typeof r.id === "string" ? r : undefined;
  } catch {
    return undefined;
  }
}

/** A promise with its resolve and reject, settled at most once. */
function settleable<T>(): { promise: Promise<T>; resolve(value: T): void; reject(reason: unknown): void } {
  let resolve!: (value: T) => void;
  let reject!: (reason: unknown) => void;
  const promise = new Promise<T>((res, rej) => {
    resolve = res;
    reject = rej;
  });
  return { promise, resolve, reject };
}
