/**
 * The cluster's directory (docs/cluster.md, "The directory"): per application, the runtime
 * that runs it and the streams other runtimes can read, in a NATS key-value bucket. Every
 * runtime keeps a copy in memory, loaded when it joins and kept current by a watch, so a launch
 * resolves the paths of other runtimes without waiting on the network.
 */
import type { KV, KvEntry } from "@nats-io/kv";
import { directoryKey } from "./subjects.js";

/** What the directory holds per application. */
export interface DirectoryEntry {
  /** The application's name. */
  readonly app: string;
  /** The runtime that runs it. */
  readonly runtime: string;
  /** The paths of its streams other runtimes can read. */
  readonly streams: readonly string[];
}

/** See the module header. */
export class Directory {
  private readonly entries = new Map<string, DirectoryEntry>();
  private stopWatch: (() => void) | undefined;

  private constructor(private readonly kv: KV) {}

  /** The directory of bucket `kv`, loaded, and watched from now on. */
  static async open(kv: KV): Promise<Directory> {
    const directory = new Directory(kv);
    const watch = await kv.watch();
    directory.stopWatch = () => watch.stop();
    void (async () => {
      for await (const e of watch) directory.take(e);
    })().catch(() => {});
    for await (const key of await kv.keys()) {
      const e = await kv.get(key);
      if (e !== null) directory.take(e);
    }
    return directory;
  }

  /** The entry of the application named `app`, as this runtime last heard. */
  find(app: string): DirectoryEntry | undefined {
    return this.entries.get(app);
  }

  /** Records that `runtime` runs `app` with `streams`, here and in the bucket. */
  async put(entry: DirectoryEntry): Promise<void> {
    this.entries.set(entry.app, entry);
    await this.kv.put(directoryKey(entry.app), JSON.stringify(entry));
  }

  /** Stops following the bucket. */
  close(): void {
    this.stopWatch?.();
  }

  private take(e: KvEntry): void {
    if (e.operation !== "PUT") return;
    try {
      const entry = JSON.parse(e.string()) as DirectoryEntry;
      if (typeof entry.app === "string" && typeof entry.runtime === "string" && Array.isArray(entry.streams)) this.entries.set(entry.app, entry);
    } catch {
      // Not written by a runtime: ignored, as a key this version does not know.
    }
  }
}
