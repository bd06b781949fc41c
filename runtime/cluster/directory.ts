/**
 * The cluster's directory (docs/cluster.md, "The directory"): per application, the runtime
 * that runs it and the streams other runtimes can read, in a NATS key-value bucket. Every
 * runtime keeps a copy in memory (and in a file of its data directory), loaded when it joins and
 * kept current by a watch, so a launch resolves the paths of other runtimes without waiting on
 * the network.
 */
import { existsSync, readFileSync, renameSync, writeFileSync } from "node:fs";
import type { KV, KvEntry } from "@nats-io/kv";
import { partitionProblem, type Partition } from "../core/partition.js";
import type { ClusterConnection } from "./nats.js";
import { APP_KEYS, directoryKey } from "./subjects.js";

/** Longest pause between attempts to write an entry while the server is away, in milliseconds. */
const MAX_BACKOFF_MS = 2000;

/** A portal an application serves, as other runtimes reach it. */
export interface DirectoryPortal {
  /** The portal's path, `/<app>/portals/<name>`. */
  readonly path: string;
  /** The stream of its replies (to every asker), which an asking runtime reads. */
  readonly replies: string;
}

/** A splitter an application has, as other runtimes add splits to it. */
export interface DirectorySplitter {
  /** The splitter's path, `/<app>/splitters/<name>`. */
  readonly path: string;
  /** The stream it splits, which a runtime adding a split reads. */
  readonly source: string;
}

/** A stream an application connects into a sequencer of another application. */
export interface DirectoryFeed {
  /** The sequencer's path. */
  readonly sequencer: string;
  /** The stream's path. */
  readonly stream: string;
  /** When the connection was launched (ISO 8601): the sequencer takes the stream's atoms from then on. */
  readonly since: string;
}

/** What the directory holds per application. */
export interface DirectoryEntry {
  /** The application's path, `/<name>`. */
  readonly app: string;
  /** The runtime that runs it. */
  readonly runtime: string;
  /** The paths of its streams other runtimes can read. */
  readonly streams: readonly string[];
  /** The portals it serves. */
  readonly portals: readonly DirectoryPortal[];
  /** The paths of the portals of other applications it asks. */
  readonly asks: readonly string[];
  /** Its sequencers other applications can connect streams into. */
  readonly sequencers: readonly string[];
  /** Its splitters other applications can add splits to. */
  readonly splitters: readonly DirectorySplitter[];
  /** Its streams connected into sequencers of other applications. */
  readonly feeds: readonly DirectoryFeed[];
  /**
   * The paths of the streams of other runtimes' applications it reads (a splitter's source
   * included): their producers publish a stream only while some application reads it
   * (docs/cluster.md, "Exports on interest"). Absent in what versions before it wrote: none.
   */
  readonly reads?: readonly string[];
  /**
   * True in what a claim writes before the application is deployed: the name is taken, but what
   * the application offers is not known yet, so other runtimes resolve none of its paths.
   */
  readonly claim?: boolean;
  /**
   * Set when the entry is one partition of a partitioned application (docs/cluster.md,
   * "Partitioned applications"): each partition has an entry of its own, under its own key.
   */
  readonly partition?: Partition;
  /**
   * For a partition: when the first partition of its application was launched (ISO 8601). Every
   * partition reads its input from then on, so all of them start at one point of it.
   */
  readonly since?: string;
  /** The application's code version (`code-version.ts`); absent in what versions before it wrote. */
  readonly version?: string;
  /** True once its runtime stopped it (its name stays taken); absent in what versions before it wrote. */
  readonly stopped?: boolean;
}

/** See the module header. */
export class Directory {
  /** By directory key (an application, or one partition of one). */
  private readonly entries = new Map<string, DirectoryEntry>();
  /** Per key, the entry this runtime put last while it is not stored yet. */
  private readonly latest = new Map<string, DirectoryEntry>();
  private stopWatch: (() => void) | undefined;
  private closed = false;
  private readonly listeners = new Set<(entry: DirectoryEntry) => void>();

  private constructor(
    private readonly connection: ClusterConnection,
    private readonly cache: string | undefined,
    private readonly writable: () => Promise<void>,
  ) {}

  /**
   * The directory of the cluster `connection` reaches: first the copy in file `cache` (what this
   * runtime last heard, so it restores its applications while the cluster cannot be reached),
   * then, once connected, the bucket's entries, followed from then on. Entries are written only
   * once `writable` resolves (this runtime holds its name, `identity.ts`), and not at all when it
   * rejects.
   */
  static async open(connection: ClusterConnection, writable: () => Promise<void>, cache?: string): Promise<Directory> {
    const directory = new Directory(connection, cache, writable);
    if (cache !== undefined && existsSync(cache)) {
      for (const entry of JSON.parse(readFileSync(cache, "utf8")) as unknown[]) directory.take(JSON.stringify(entry));
    }
    const follow = connection.ready().then((live) => directory.follow(live.directory));
    // Connected: wait for the bucket; otherwise go on with the copy (the bucket comes later).
    if (connection.current !== undefined) await follow;
    else follow.catch(() => {});
    return directory;
  }

  private async follow(kv: KV): Promise<void> {
    if (this.closed) return;
    const watch = await kv.watch({ key: APP_KEYS });
    this.stopWatch = () => watch.stop();
    void (async () => {
      for await (const e of watch) this.taken(e);
    })().catch(() => {});
    for await (const key of await kv.keys(APP_KEYS)) {
      const e = await kv.get(key);
      if (e !== null) this.taken(e);
    }
  }

  /** The entry of the application at path `app` (not partitioned), as this runtime last heard. */
  find(app: string): DirectoryEntry | undefined {
    return this.entries.get(directoryKey(app));
  }

  /** The entry of partition `partition` of application `app`, as this runtime last heard. */
  findPartition(app: string, partition: Partition): DirectoryEntry | undefined {
    return this.entries.get(directoryKey(app, partition));
  }

  /** The entries of the partitions of application `app` this runtime heard of, by index. */
  partitionsOf(app: string): DirectoryEntry[] {
    return [...this.entries.values()].filter((e) => e.app === app && e.partition !== undefined).sort((a, b) => a.partition!.index - b.partition!.index);
  }

  /** Every entry, as this runtime last heard. */
  all(): IterableIterator<DirectoryEntry> {
    return this.entries.values();
  }

  /** Calls `listener` with every entry put from now on (by any runtime, this one included). */
  onPut(listener: (entry: DirectoryEntry) => void): void {
    this.listeners.add(listener);
  }

  /**
   * Records `entry`, here and (once connected, trying again while the server is away) in the bucket.
   *
   * @throws what `writable` rejects with (this runtime does not hold its name)
   */
  async put(entry: DirectoryEntry): Promise<void> {
    this.set(entry);
    const key = directoryKey(entry.app, entry.partition);
    this.latest.set(key, entry);
    for (let attempt = 0; !this.closed; attempt++) {
      try {
        await this.writable();
      } catch (thrown) {
        if (this.closed) return;
        throw thrown;
      }
      try {
        const { directory } = await this.connection.ready();
        // A later put of the key wins, even when this one is tried again after it.
        if (this.latest.get(key) !== entry) return;
        await directory.put(key, JSON.stringify(entry));
        if (this.latest.get(key) === entry) this.latest.delete(key);
        return;
      } catch {
        await new Promise((resolve) => setTimeout(resolve, Math.min(MAX_BACKOFF_MS, 100 * 2 ** attempt)));
      }
    }
  }

  /** Stops following the bucket. */
  close(): void {
    this.closed = true;
    this.stopWatch?.();
  }

  private taken(e: KvEntry): void {
    if (e.operation === "PUT") return this.take(e.string());
    // A name given back (a launch that was refused after its claim).
    if (this.entries.delete(e.key)) this.save();
  }

  private take(json: string): void {
    try {
      const entry = JSON.parse(json) as DirectoryEntry;
      const lists = [entry.streams, entry.portals, entry.asks, entry.sequencers, entry.splitters, entry.feeds, entry.reads ?? []].every(Array.isArray);
      const partition = entry.partition === undefined || (typeof entry.partition === "object" && partitionProblem(entry.partition) === undefined);
      if (typeof entry.app === "string" && typeof entry.runtime === "string" && lists && partition) this.set(entry);
    } catch {
      // Not written by a runtime: ignored, as a key this version does not know.
    }
  }

  private set(entry: DirectoryEntry): void {
    const key = directoryKey(entry.app, entry.partition);
    const before = this.entries.get(key);
    this.entries.set(key, entry);
    if (before !== undefined && JSON.stringify(before) === JSON.stringify(entry)) return;
    this.save();
    for (const l of this.listeners) l(entry);
  }

  /** Writes the copy (a new file renamed over the old, so a crash leaves one or the other). */
  private save(): void {
    if (this.cache === undefined) return;
    writeFileSync(`${this.cache}.tmp`, JSON.stringify([...this.entries.values()]), { mode: 0o600 });
    renameSync(`${this.cache}.tmp`, this.cache);
  }
}
