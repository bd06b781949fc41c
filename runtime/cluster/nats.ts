/**
 * The connection of one runtime to the cluster's NATS server: the directory bucket, created when
 * missing, and the JetStream streams of the atoms it publishes (docs/cluster.md, "Names on NATS").
 *
 * A runtime starts whether or not the server can be reached (an edge device may start while its
 * link is down, docs/cluster.md, "Edge"): its applications run locally, and whatever needs the
 * cluster waits for {@link ClusterConnection.ready}. Once connected, the client reconnects for ever.
 */
import { randomUUID } from "node:crypto";
import { connect } from "@nats-io/transport-node";
import { jetstream, jetstreamManager, StorageType, type JetStreamClient, type JetStreamManager } from "@nats-io/jetstream";
import { Kvm, type KV } from "@nats-io/kv";
import type { NatsConnection } from "@nats-io/nats-core";
import { describe } from "../core/errors.js";
import { DIRECTORY_BUCKET, jetStreamName, streamSubject } from "./subjects.js";

/**
 * How long a JetStream API call (a look-up, a consumer made) waits for its answer, in
 * milliseconds: a call made while a JetStream cluster elects a leader is never answered, and the
 * next one after the election is (measured: docs/cluster.md, "Failures"); far above what a
 * server takes otherwise.
 */
const API_TIMEOUT_MS = 2000;
/** How long a remote atom id is remembered for deduplication (the server's default; correctness does not depend on it). */
const DUPLICATE_WINDOW_NS = 120 * 1e9;
/** How long the first attempt to connect may take before the runtime starts without the cluster, in milliseconds. */
const FIRST_CONNECT_MS = 2000;
/** Pause between attempts to reach the server (or to set up the cluster on it) after the first failed, in milliseconds. */
const RETRY_MS = 500;

/**
 * What is wrong with `servers` as a list of NATS servers (`nats://host:port`, or `host:port`,
 * several separated by commas), or `undefined` when nothing is.
 */
export function serversProblem(servers: string): string | undefined {
  const bad = servers.split(",").find((s) => !/^((nats|tls|ws|wss):\/\/([^@\s/]+@)?)?([\w.-]+|\[[\da-fA-F:]+\])(:\d{1,5})?$/.test(s.trim()));
  return bad === undefined ? undefined : `${JSON.stringify(bad)} is not a NATS server address; give nats://host:port (several separated by commas)`;
}

/**
 * The JetStream limits of `retention`: none given is none (0 age, -1 bytes, JetStream's "no
 * limit"), so a restart without limits lifts them. The deduplication window may not be longer
 * than the age limit.
 */
function streamLimits(retention: Retention | undefined): { max_age: number; max_bytes: number; duplicate_window: number } {
  const maxAge = retention?.maxAgeMs === undefined ? 0 : retention.maxAgeMs * 1e6;
  return { max_age: maxAge, max_bytes: retention?.maxBytes ?? -1, duplicate_window: maxAge === 0 ? DUPLICATE_WINDOW_NS : Math.min(DUPLICATE_WINDOW_NS, maxAge) };
}

/** JetStream's error code for adding a stream whose name another configuration holds. */
const STREAM_NAME_IN_USE = 10058;

/**
 * Limits on what each JetStream stream a runtime publishes keeps (docs/cluster.md, "Retention"):
 * atoms older than `maxAgeMs` milliseconds, or beyond the newest `maxBytes` bytes, are removed,
 * read or not. None by default: a stream keeps every atom.
 */
export interface Retention {
  /** Atoms older than this are removed (milliseconds; a positive integer). */
  readonly maxAgeMs?: number;
  /** Bytes a stream keeps at most, the oldest atoms removed first (a positive integer). */
  readonly maxBytes?: number;
}

/** The longest age limit JetStream takes, in milliseconds: its nanoseconds fit a signed 64-bit integer. */
export const MAX_AGE_MS = 9_223_372_036_854;

/** Where a runtime's connection goes, and what it creates there. */
export interface NatsPlace {
  /** The NATS servers, `nats://host:port`, several separated by commas. */
  readonly servers: string;
  /** The client's name, as the server's monitoring shows it. */
  readonly name: string;
  /** The JetStream domain, when not the server's own. */
  readonly domain?: string | undefined;
  /** How many servers keep each stream and the directory bucket this runtime creates (1 to 5). */
  readonly replicas: number;
  /** What each stream this runtime publishes keeps (default: everything). */
  readonly retention?: Retention | undefined;
}

/** A connected client: its JetStream API and the directory bucket. */
export interface Connected {
  readonly nc: NatsConnection;
  readonly js: JetStreamClient;
  readonly jsm: JetStreamManager;
  readonly directory: KV;
}

/** See the module header. */
export class ClusterConnection {
  private live: Connected | undefined;
  private readonly connected: Promise<Connected>;
  private readonly listeners = new Set<() => void>();
  private readonly lossListeners = new Set<() => void>();
  private readonly streams = new Map<string, Promise<string>>();
  /** Set between a disconnection and the reconnection after it. */
  private lost = false;

  /**
   * Connects to the NATS server at `where.servers` (`nats://host:port`, or several separated by
   * commas: the servers of a JetStream cluster), in JetStream domain `where.domain` when given
   * (an edge runtime's server is a leaf node that reaches the cloud's JetStream by its domain).
   * Streams and the directory bucket it creates are kept by `where.replicas` servers. Resolves
   * once connected, or once the first attempt failed (the connection is then made in the
   * background; `warn` says so).
   *
   * @throws Error naming the URL when the server answers but cannot hold the cluster (no JetStream, or fewer servers than `replicas`)
   */
  static async open(where: NatsPlace, warn: (line: string) => void): Promise<ClusterConnection> {
    const { servers, domain, replicas } = where;
    // No async traces: nats.js would otherwise make two errors (with stacks) for every publish and
    // request in case it fails, a tenth of a publishing runtime's time (benchmarks/README.md).
    const options = { servers: servers.split(","), name: where.name, maxReconnectAttempts: -1, reconnectTimeWait: 250, noAsyncTraces: true };
    let first: NatsConnection | undefined;
    try {
      first = await connect({ ...options, timeout: FIRST_CONNECT_MS });
    } catch (thrown) {
      warn(`NATS at ${servers} cannot be reached (${describe(thrown)}); the applications run here, and reach the cluster once it can be`);
    }
    if (first !== undefined) {
      try {
        return new ClusterConnection(Promise.resolve(await setUp(first, domain, replicas)), where, warn);
      } catch (thrown) {
        if (domain !== undefined && jetStreamAway(thrown)) {
          // An edge's own server answers while its leaf node's link to the cloud is down (found by
          // the edge test that cuts the link in a network namespace): run, and reach JetStream later.
          warn(
            `the JetStream of domain ${domain} cannot be reached through NATS at ${servers} (${describe(thrown)}): the leaf node's link to it may be down, or --nats-domain names no domain; the applications run here, and reach the cluster once it can be`,
          );
          const state = { closed: false };
          const later = (async (): Promise<Connected> => {
            while (!state.closed) {
              await new Promise((resolve) => setTimeout(resolve, RETRY_MS));
              if (state.closed) break;
              try {
                return await setUp(first, domain, replicas);
              } catch {
                // Still away: the warning said so once.
              }
            }
            await first.close();
            throw new Error("closed before the cluster could be reached");
          })();
          return new ClusterConnection(later, where, warn, state);
        }
        await first.close();
        const fix =
          (domain === undefined ? "the server needs JetStream (nats-server -js)" : `the server needs JetStream (nats-server -js), and --nats-domain must name its JetStream domain (given: ${domain})`) +
          (replicas > 1 ? `, in a JetStream cluster of at least ${replicas} servers (--nats-replicas ${replicas})` : "");
        throw new Error(`cannot set up the cluster on NATS at ${servers} (${describe(thrown)}); ${fix}`);
      }
    }
    const state = { closed: false };
    // Attempts of our own (not the client's waitOnFirstConnect), so that a close stops them.
    const later = (async (): Promise<Connected> => {
      while (!state.closed) {
        await new Promise((resolve) => setTimeout(resolve, RETRY_MS));
        if (state.closed) break;
        let nc: NatsConnection;
        try {
          nc = await connect({ ...options, timeout: FIRST_CONNECT_MS });
        } catch {
          continue;
        }
        if (state.closed) {
          await nc.close();
          break;
        }
        try {
          return await setUp(nc, domain, replicas);
        } catch (thrown) {
          warn(`cannot set up the cluster on NATS at ${servers} (${describe(thrown)}); trying again`);
          await nc.close();
        }
      }
      throw new Error("closed before the cluster could be reached");
    })();
    return new ClusterConnection(later, where, warn, state);
  }

  private constructor(
    connected: Promise<Connected>,
    private readonly place: Pick<NatsPlace, "servers" | "replicas" | "retention">,
    /** Where a lost and a regained connection are said (the log): what a caller's 503 points to. */
    warn: (line: string) => void,
    /** Shared with a connection still being made, which closes itself once made after {@link close}. */
    private readonly state = { closed: false },
  ) {
    this.connected = connected.then((live) => {
      this.live = live;
      void (async () => {
        for await (const s of live.nc.status()) {
          if (s.type === "disconnect") {
            this.lost = true;
            // Said, as the 503s of calls that need the cluster say it is (found by a fresh user's trial: the log was silent).
            if (!this.state.closed) warn(`lost NATS at ${place.servers}; the applications run here, and reach the cluster again once it is back`);
            for (const l of this.lossListeners) l();
          }
          if (s.type === "reconnect") {
            this.lost = false;
            warn(`NATS at ${place.servers} is back: the cluster can be reached again`);
            for (const l of this.listeners) l();
          }
        }
      })();
      return live;
    });
    this.connected.catch(() => {}); // only when closed before connecting
  }

  /** The connected client, once there is one. */
  ready(): Promise<Connected> {
    return this.connected;
  }

  /** True while connected to the server (not before the first connection, nor between a disconnection and a reconnection). */
  get reachable(): boolean {
    return this.live !== undefined && !this.lost;
  }

  /** The connected client, or `undefined` while the first connection is not made. */
  get current(): Connected | undefined {
    return this.live;
  }

  /** Calls `listener` at every disconnection from the server; returns what stops it. */
  onDisconnect(listener: () => void): () => void {
    this.lossListeners.add(listener);
    return () => this.lossListeners.delete(listener);
  }

  /** Calls `listener` after every reconnection to the server; returns what stops it. */
  onReconnect(listener: () => void): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }

  /**
   * Makes sure the JetStream stream of the atoms of `path` that runtime `runtime` publishes
   * exists (once connected); resolves with its name.
   */
  atomStream(path: string, runtime: string): Promise<string> {
    const name = jetStreamName(path, runtime);
    let made = this.streams.get(name);
    if (made === undefined) {
      made = this.connected.then(async ({ jsm }) => {
        const limits = streamLimits(this.place.retention);
        const config = {
          name,
          subjects: [streamSubject(path, runtime)],
          storage: StorageType.File,
          num_replicas: this.place.replicas,
          description: `portals-ts: stream ${path} of runtime ${runtime}`,
          ...limits,
        };
        try {
          // Adding a stream that exists with the same configuration succeeds.
          await jsm.streams.add(config);
        } catch (thrown) {
          if ((thrown as { code?: number }).code !== STREAM_NAME_IN_USE) throw thrown;
          // One made before is used with its replicas (a runtime restarted with another --nats-replicas), and this start's limits.
          await jsm.streams.update(name, limits);
        }
        return name;
      });
      // A failure (the server went away) is tried again by the next caller.
      made.catch(() => this.streams.delete(name));
      this.streams.set(name, made);
    }
    return made;
  }

  /** Disconnects, or stops connecting. */
  async close(): Promise<void> {
    this.state.closed = true;
    const live = this.live;
    if (live !== undefined) await live.nc.drain().catch(() => live.nc.close());
  }
}

/** True when `thrown` says JetStream did not answer (rather than refused what was asked of it). */
function jetStreamAway(thrown: unknown): boolean {
  return /not enabled|no responders|timeout/i.test(`${String(thrown)} ${(thrown as { code?: string })?.code ?? ""}`);
}

/** The JetStream API of `nc` in `domain`, and the directory bucket (made when missing, kept by `replicas` servers). */
async function setUp(nc: NatsConnection, domain: string | undefined, replicas: number): Promise<Connected> {
  const options = { timeout: API_TIMEOUT_MS, ...(domain === undefined ? {} : { domain }) };
  const jsm = await jetstreamManager(nc, options);
  const js = jetstream(nc, options);
  const directory = await new Kvm(js).create(DIRECTORY_BUCKET, { history: 1, replicas });
  if (replicas > 1) await probeReplicas(jsm, replicas);
  return { nc, js, jsm, directory };
}

/**
 * Checks that JetStream can keep a stream on `replicas` servers, with a stream made for it and
 * deleted at once. The directory bucket cannot tell: made before by a runtime with fewer
 * replicas, it is used as it is, and the first atom stream would then fail for ever (a
 * fresh-user trial: a server with `--nats-replicas 3` on one nats-server started, deployed, and
 * never published).
 *
 * @throws the server's refusal when it cannot
 */
async function probeReplicas(jsm: JetStreamManager, replicas: number): Promise<void> {
  const name = `PT_REPLICAS_PROBE_${randomUUID().replace(/-/g, "")}`;
  await jsm.streams.add({ name, subjects: [`pt.probe.${name}`], storage: StorageType.Memory, num_replicas: replicas, max_msgs: 1 });
  await jsm.streams.delete(name).catch(() => {});
}
