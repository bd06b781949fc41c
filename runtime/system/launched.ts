/**
 * The applications a system runs, in launch order, and the codec of their data: what the test
 * system and the live system share about launching (docs/architecture.md, "Drivers").
 */
import { compiledErrorClasses } from "../core/error-classes.js";
import { ApplicationError, describe } from "../core/errors.js";
import { operatorMachines } from "../core/spec.js";
import { checkDeployment, deploy, type SinkStart } from "../engine/deployer.js";
import type { Engine } from "../engine/engine.js";
import { SYSTEM_APP_PREFIX } from "../core/paths.js";
import { showPartition } from "../core/partition.js";
import type { Plan } from "../graph/plan.js";
import type { Application } from "../api/application.js";
import { createCodec, type Codec } from "../state/codec.js";

/** An application to launch; a gateway names the application whose portals it `asks`. */
export interface Launch {
  readonly app: Application;
  readonly asks?: Application;
}

/**
 * Checks `launches` (user applications `list`, each followed by its gateway) against what runs in
 * `engine` and against each other, before anything changes.
 *
 * With `linked` (a live system's link to other runtimes), its `provides` count as launched and
 * its `problems` are reported too.
 *
 * @throws ApplicationError with every problem: a name reserved for the system, what `deploy`
 *   checks, a partition without a link, and parts of stopped applications (a continuation asking one would wait for ever)
 */
export function checkLaunches(engine: Engine, launches: readonly Launch[], list: readonly Application[], linked?: { readonly provides: ReadonlySet<string>; readonly problems: readonly string[] }): void {
  const problems: string[] = [...(linked?.problems ?? [])];
  const refused = new Set<Application>();
  launches.forEach(({ app, asks }, i) => {
    // A gateway fails where its application does: report the application only.
    if (asks !== undefined && refused.has(asks)) return;
    const reserved = asks === undefined && app.name.startsWith(SYSTEM_APP_PREFIX);
    const found = reserved
      ? [`names starting with "${SYSTEM_APP_PREFIX}" are reserved for the system's own applications; rename it`]
      : checkDeployment(engine, app.plan, launches.slice(0, i).map((l) => l.app.plan), linked?.provides, linked !== undefined);
    for (const r of app.plan.requires) {
      const owner = `/${r.path.split("/")[1]}`;
      if (engine.isStopped(owner)) found.push(`${r.neededBy} needs ${r.what} of application ${owner.slice(1)}, which was stopped`);
    }
    const partition = app.plan.partition;
    if (partition !== undefined && linked === undefined) {
      found.push(`it is partition ${showPartition(partition)}, and a partitioned application runs in a cluster (docs/cluster.md, "Partitioned applications"): join one (portals serve --nats <url> --runtime <name>; joinCluster in code), or launch the application unpartitioned`);
    }
    if (found.length > 0) refused.add(app);
    problems.push(...found.map((p) => (list.length > 1 ? `${app.path}: ${p}` : p)));
  });
  if (problems.length > 0) throw new ApplicationError(list.map((a) => a.path).join(", "), problems);
}

/** See the module header. */
export class Launched {
  private readonly list: Application[] = [];
  private dataCodec: Codec = createCodec();

  /** The codec of the launched applications' data classes. */
  get codec(): Codec {
    return this.dataCodec;
  }

  /** The launched applications, in launch order. */
  get apps(): readonly Application[] {
    return this.list;
  }

  /** Their plans, in launch order. */
  plans(): Plan[] {
    return this.list.map((a) => a.plan);
  }

  /**
   * Deploys `app` into `engine` and keeps it. Nothing is changed when it fails.
   *
   * @throws ApplicationError as `deploy`, and when it registers a data class name a launched
   *   application uses for another class
   */
  launch(engine: Engine, app: Application, sinks: SinkStart): void {
    const codec = codecFor([...this.list, app]);
    deploy(engine, app.plan, sinks);
    this.list.push(app);
    this.dataCodec = codec;
  }
}

/**
 * The codec of `apps`' data classes (their own, and the error classes of their compiled modules).
 *
 * @throws ApplicationError of the later application when two register one name for different classes
 */
export function codecFor(apps: readonly Application[]): Codec {
  const codec = createCodec([], apps.flatMap((app) => app.model.portals));
  for (const app of apps) {
    const machines = app.plan.workflows.flatMap((w) => w.tasks.flatMap((t) => [...operatorMachines(t.spec).values()]));
    for (const c of [...compiledErrorClasses(machines), ...app.dataClasses]) {
      try {
        codec.register(c);
      } catch (thrown) {
        throw new ApplicationError(app.path, [describe(thrown)]);
      }
    }
  }
  return codec;
}
