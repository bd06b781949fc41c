/**
 * A runtime's membership of a cluster (docs/cluster.md): the {@link LiveLink} a live system is
 * given to run applications that use the streams of applications on other runtimes, by the
 * same `app.registry.streams.get(path)` code as in one process. It keeps the directory current,
 * adds an import for every remote stream a deployment needs, and an export for every stream a
 * deployed application offers.
 */
import { describe } from "../core/errors.js";
import type { LogWriter } from "../core/log.js";
import { PATH_SHAPES } from "../core/paths.js";
import { GeneratorComponent } from "../engine/components/generator.js";
import type { Engine } from "../engine/engine.js";
import { AtomicStream } from "../engine/stream.js";
import type { Plan } from "../graph/plan.js";
import type { Codec } from "../state/codec.js";
import type { LinkedSystem, LiveLink } from "../system/live-link.js";
import { Directory } from "./directory.js";
import { openConnection, type ClusterConnection } from "./nats.js";
import { StreamExport } from "./stream-export.js";
import { StreamImport } from "./stream-import.js";
import { isRuntimeName } from "./subjects.js";

/** Options of {@link joinCluster}. */
export interface ClusterOptions {
  /** The NATS server(s), `nats://host:port`, several separated by commas. */
  readonly servers: string;
  /** This runtime's name in the cluster: letters, digits, `_` and `-`, at most 64; stable across restarts. */
  readonly runtime: string;
  /** Where the link reports what goes wrong with remote streams (default: the system's log). */
  readonly log?: LogWriter;
}

/**
 * Joins the cluster of the NATS server at `options.servers` as runtime `options.runtime`:
 * connects, creates the cluster's JetStream stream and directory bucket when missing, and
 * loads the directory. Give the link to `Systems.live({ link })`; closing the system closes it.
 *
 * @throws TypeError for a bad runtime name; Error naming the URL when NATS cannot be reached
 *   or has no JetStream
 */
export async function joinCluster(options: ClusterOptions): Promise<ClusterLink> {
  if (!isRuntimeName(options.runtime)) {
    throw new TypeError(`joinCluster({ runtime: ${JSON.stringify(options.runtime)} }): a runtime name is 1 to 64 letters, digits, "_" or "-"`);
  }
  const connection = await openConnection(options.servers, `portals runtime ${options.runtime}`);
  try {
    return new ClusterLink(connection, await Directory.open(connection.directory), options.runtime, options.log);
  } catch (thrown) {
    await connection.nc.close();
    throw thrown;
  }
}

/** See the module header. */
export class ClusterLink implements LiveLink {
  private system: LinkedSystem | undefined;
  private exports: StreamExport[] = [];
  /** The engine the exports read (an upgrade replaces it). */
  private exporting: Engine | undefined;

  /** Use {@link joinCluster}. */
  constructor(
    private readonly connection: ClusterConnection,
    private readonly directory: Directory,
    /** This runtime's name. */
    readonly runtime: string,
    private readonly log: LogWriter | undefined,
  ) {}

  attach(system: LinkedSystem): void {
    this.system = system;
  }

  check(engine: Engine, plans: readonly Plan[]): { provides: ReadonlySet<string>; problems: string[] } {
    const provides = new Set<string>();
    const problems: string[] = [];
    const here = new Set(plans.map((p) => p.app));
    for (const plan of plans) {
      const entry = this.directory.find(plan.app);
      if (entry !== undefined && entry.runtime !== this.runtime) {
        problems.push(`${plan.app}: runtime ${entry.runtime} of the cluster runs an application of this name; stop it there, or give this one another name`);
      }
      for (const r of plan.requires) {
        const owner = ownerOf(r.path);
        if (engine.registry.find(r.path) !== undefined || here.has(owner)) continue;
        const remote = this.remoteOwner(owner);
        if (remote === undefined) continue; // the engine's check names it
        // Answered here, added or explained: the engine's check need not report it again.
        provides.add(r.path);
        if (r.kind === "stream" && !remote.streams.includes(r.path)) problems.push(`${r.neededBy} needs ${r.what}, which application ${owner} on runtime ${remote.runtime} does not have`);
        if (r.kind !== "stream") problems.push(`${r.neededBy} needs ${r.what} of application ${owner} on runtime ${remote.runtime}: portals of other runtimes are not supported yet (docs/cluster.md, "Not yet"); launch it on runtime ${remote.runtime}`);
      }
    }
    // A portal is two requirements (its request sequencer and reply splitter): one message.
    return { provides, problems: [...new Set(problems)] };
  }

  deploying(engine: Engine, plan: Plan): void {
    for (const r of plan.requires) {
      if (r.kind !== "stream" || engine.registry.find(r.path) !== undefined) continue;
      const remote = this.remoteOwner(ownerOf(r.path));
      if (remote === undefined || !remote.streams.includes(r.path)) continue; // the deployment names it
      const stream = new AtomicStream(r.path);
      const log = this.logOf(engine);
      const g = new GeneratorComponent(r.path, (clock) => new StreamImport(r.path, this.connection, this.codec, clock, log), stream, engine.log, (c) => engine.clockFor(c));
      engine.registry.add(r.path, { kind: "stream", stream });
      engine.generators.set(g.path, g);
      engine.add(g);
    }
  }

  deployed(engine: Engine, plan: Plan): void {
    if (engine !== this.exporting) {
      for (const e of this.exports) void e.close();
      this.exports = [];
      this.exporting = engine;
    }
    const streams = plan.streams.map((s) => s.path).filter((path) => PATH_SHAPES.stream.test(path));
    const log = this.logOf(engine);
    for (const path of streams) this.exports.push(new StreamExport(engine.registry.get(path, "stream").stream, this.runtime, this.connection, this.codec, log));
    this.directory.put({ app: plan.app, runtime: this.runtime, streams }).catch((thrown: unknown) => {
      log(`cannot record ${plan.app} in the cluster's directory: ${describe(thrown)}`, { level: "error", workflow: "", task: "", key: 0 });
    });
  }

  /** The runtime that runs the application at path `app` (`/<name>`), as this runtime last heard; `undefined` when none does. */
  runtimeOf(app: string): string | undefined {
    return this.directory.find(app)?.runtime;
  }

  waiting(): boolean {
    return this.exports.some((e) => e.waiting);
  }

  checkpointTaken(): () => void {
    const ends = this.exports.map((e) => [e, e.take()] as const);
    return () => {
      for (const [e, end] of ends) e.release(end);
    };
  }

  async close(): Promise<void> {
    await Promise.all(this.exports.map((e) => e.close()));
    this.directory.close();
    await this.connection.nc.drain().catch(() => this.connection.nc.close());
  }

  /** The directory entry of application `app` when another runtime runs it. */
  private remoteOwner(app: string): { runtime: string; streams: readonly string[] } | undefined {
    const entry = this.directory.find(app);
    return entry === undefined || entry.runtime === this.runtime ? undefined : entry;
  }

  private readonly codec = (): Codec => {
    if (this.system === undefined) throw new Error("internal: the cluster link is not attached to a live system");
    return this.system.codec();
  };

  private logOf(engine: Engine): LogWriter {
    return this.log ?? engine.log;
  }
}

/** The application path (`/<name>`) a path belongs to. */
function ownerOf(path: string): string {
  return `/${path.split("/")[1]}`;
}
