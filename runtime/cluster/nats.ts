/**
 * The connection of one runtime to the cluster's NATS server: the directory bucket, created when
 * missing, and the JetStream streams of the atoms it publishes (docs/cluster.md, "Names on NATS").
 */
import { connect } from "@nats-io/transport-node";
import { jetstream, jetstreamManager, StorageType, type JetStreamClient, type JetStreamManager } from "@nats-io/jetstream";
import { Kvm, type KV } from "@nats-io/kv";
import type { NatsConnection } from "@nats-io/nats-core";
import { DIRECTORY_BUCKET, jetStreamName, streamSubject } from "./subjects.js";

/** How long a remote atom id is remembered for deduplication (the server's default; correctness does not depend on it). */
const DUPLICATE_WINDOW_NS = 120 * 1e9;

/** An open connection: the client, its JetStream API and the directory bucket. */
export interface ClusterConnection {
  readonly nc: NatsConnection;
  readonly js: JetStreamClient;
  readonly jsm: JetStreamManager;
  readonly directory: KV;
  /** Calls `listener` after every reconnection to the server; returns what stops it. */
  onReconnect(listener: () => void): () => void;
  /**
   * Makes sure the JetStream stream of the atoms of `path` that runtime `runtime` publishes
   * exists; resolves with its name.
   */
  atomStream(path: string, runtime: string): Promise<string>;
}

/**
 * Connects to the NATS server at `servers` (`nats://host:port`, or several separated by
 * commas) and makes sure the cluster's stream and bucket exist. Reconnects for ever once
 * connected.
 *
 * @throws Error naming the URL when the server cannot be reached or has no JetStream
 */
export async function openConnection(servers: string, name: string): Promise<ClusterConnection> {
  let nc: NatsConnection;
  try {
    nc = await connect({ servers: servers.split(","), name, maxReconnectAttempts: -1, reconnectTimeWait: 250 });
  } catch (thrown) {
    throw new Error(`cannot connect to NATS at ${servers} (${(thrown as Error).message}); start nats-server with JetStream (nats-server -js) or fix the URL`);
  }
  try {
    const jsm = await jetstreamManager(nc);
    const directory = await new Kvm(nc).create(DIRECTORY_BUCKET, { history: 1 });
    const listeners = new Set<() => void>();
    void (async () => {
      for await (const s of nc.status()) if (s.type === "reconnect") for (const l of listeners) l();
    })();
    return {
      nc,
      js: jetstream(nc),
      jsm,
      directory,
      onReconnect: (listener) => {
        listeners.add(listener);
        return () => listeners.delete(listener);
      },
      atomStream: async (path, runtime) => {
        const name = jetStreamName(path, runtime);
        const config = { name, subjects: [streamSubject(path, runtime)], storage: StorageType.File, duplicate_window: DUPLICATE_WINDOW_NS, description: `portals-ts: stream ${path} of runtime ${runtime}` };
        // Adding a stream that exists with the same configuration succeeds.
        await jsm.streams.add(config);
        return name;
      },
    };
  } catch (thrown) {
    await nc.close();
    throw new Error(`cannot set up the cluster on NATS at ${servers} (${(thrown as Error).message}); the server needs JetStream (nats-server -js)`);
  }
}
