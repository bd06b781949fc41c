/**
 * `GET /metrics` in the Prometheus text format, with prom-client (the maintained Node client):
 * the live system's counters read at each scrape, the latency of outside asks, ingested events,
 * and the process's own metrics (CPU, memory, event loop lag).
 */
import { collectDefaultMetrics, Counter, Gauge, Histogram, Registry } from "prom-client";
import type { AppCounters } from "../system/live-options.js";
import type { LiveSystem } from "../system/live-system.js";
import type { ClusterLink } from "../cluster/cluster-link.js";

/** The metrics of one server. */
export class ServerMetrics {
  readonly registry = new Registry();
  /** Outside asks by application, portal and outcome (`reply`, or the error code). */
  readonly asks: Counter<"app" | "portal" | "outcome">;
  /** Seconds from an outside ask to its answer, by application and portal. */
  readonly askSeconds: Histogram<"app" | "portal">;
  /** Events ingested by application and stream. */
  readonly ingested: Counter<"app" | "stream">;

  /** `cluster`: the server's link to its cluster (`--nats`), whose state is measured too. */
  constructor(system: LiveSystem, cluster?: ClusterLink) {
    const registry = this.registry;
    collectDefaultMetrics({ register: registry, prefix: "portals_" });
    this.asks = new Counter({ name: "portals_portal_requests_total", help: "Outside asks of portals, by outcome", labelNames: ["app", "portal", "outcome"], registers: [registry] });
    this.askSeconds = new Histogram({
      name: "portals_portal_request_duration_seconds",
      help: "Time from an outside ask to its answer (released after the checkpoint covering it)",
      labelNames: ["app", "portal"],
      buckets: [0.0005, 0.001, 0.002, 0.005, 0.01, 0.02, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 10],
      registers: [registry],
    });
    this.ingested = new Counter({ name: "portals_ingested_events_total", help: "Events sent to ingestion streams", labelNames: ["app", "stream"], registers: [registry] });
    const gauge = (name: string, help: string, read: () => number): void => {
      new Gauge({ name, help, registers: [registry], collect() { this.set(read()); } });
    };
    // Counts that only grow are counters, read from the system at each scrape.
    const counter = (name: string, help: string, read: () => number): void => {
      new Counter({
        name,
        help,
        registers: [registry],
        collect() {
          this.reset();
          this.inc(read());
        },
      });
    };
    counter("portals_steps_total", "Steps the engine has taken since the server started", () => system.stats.steps);
    counter("portals_atoms_total", "Atoms processed by workflows since the server started", () => system.stats.atoms);
    counter("portals_events_total", "Events processed by workflows since the server started", () => system.stats.events);
    counter("portals_checkpoints_total", "Checkpoints taken since the server started", () => system.stats.checkpoints);
    gauge("portals_checkpoint_last_duration_seconds", "Duration of the last checkpoint", () => system.stats.lastCheckpointMs / 1000);
    gauge("portals_checkpoint_last_size_bytes", "Size of the last stored snapshot", () => system.stats.lastCheckpointBytes);
    gauge("portals_parked_continuations", "Continuations parked, waiting for replies", () => system.parkedContinuations);
    gauge("portals_asks_waiting", "Outside asks waiting for their answer", () => system.stats.asksWaiting);
    gauge("portals_tails_open", "Tails open on this runtime's streams (those other runtimes forwarded included)", () => system.stats.tailsOpen);
    gauge("portals_applications", "Applications running (not stopped)", () => system.running.length);
    const perApp = (name: string, help: string, read: (a: AppCounters) => number): void => {
      new Gauge({
        name,
        help,
        labelNames: ["app"],
        registers: [registry],
        collect() {
          this.reset();
          for (const a of system.perApplication()) this.set({ app: a.app }, read(a));
        },
      });
    };
    if (cluster !== undefined) {
      gauge("portals_cluster_reachable", "1 while this runtime reaches its cluster's NATS server, 0 while it does not", () => (cluster.reachable ? 1 : 0));
      new Gauge({
        name: "portals_export_unpublished_atoms",
        help: "Atoms of a stream other runtimes read, appended and not yet acknowledged by JetStream",
        labelNames: ["stream"],
        registers: [registry],
        collect() {
          this.reset();
          for (const e of cluster.unpublished()) this.set({ stream: e.stream }, e.atoms);
        },
      });
      new Gauge({
        name: "portals_export_stopped",
        help: "1 when the export of a stream other runtimes read stopped for good (the log says why), else 0",
        labelNames: ["stream"],
        registers: [registry],
        collect() {
          this.reset();
          for (const e of cluster.unpublished()) this.set({ stream: e.stream }, e.stopped === undefined ? 0 : 1);
        },
      });
    }
    perApp("portals_app_atoms", "Atoms an application's workflows processed since the server started (or its last upgrade)", (a) => a.atoms);
    perApp("portals_app_events", "Events an application's workflows processed since the server started or its last upgrade (portal requests and replies included)", (a) => a.events);
    perApp("portals_app_parked_continuations", "Continuations of an application parked now, waiting for replies", (a) => a.parked);
  }
}
