/**
 * The connection of one runtime to the cluster's NATS server: the JetStream stream of remote
 * atoms and the directory bucket, created when missing (docs/cluster.md, "Names on NATS").
 */
import { connect } from "@nats-io/transport-node";
import { jetstream, jetstreamManager, StorageType, type JetStreamClient, type JetStreamManager } from "@nats-io/jetstream";
import { Kvm, type KV } from "@nats-io/kv";
import type { NatsConnection } from "@nats-io/nats-core";
import { ATOMS_STREAM, ATOMS_SUBJECTS, DIRECTORY_BUCKET } from "./subjects.js";

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
    await jsm.streams.info(ATOMS_STREAM).catch(async () => {
      await jsm.streams.add({ name: ATOMS_STREAM, subjects: [ATOMS_SUBJECTS], storage: StorageType.File, duplicate_window: DUPLICATE_WINDOW_NS });
    });
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
    };
  } catch (thrown) {
    await nc.close();
    throw new Error(`cannot set up the cluster on NATS at ${servers} (${(thrown as Error).message}); the server needs JetStream (nats-server -js)`);
  }
}
