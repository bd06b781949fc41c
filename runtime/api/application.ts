/**
 * A built application: its logical model, its plan (the model with portals expanded), and the
 * data classes it registered. Launch it into a system with `system.launch(app)`.
 */
import type { DataClass } from "../core/data.js";
import { expandPortals } from "../graph/expand.js";
import { explain } from "../graph/explain.js";
import type { AppModel } from "../graph/model.js";
import type { Plan } from "../graph/plan.js";
import { partitionProblem, type Partition } from "../core/partition.js";

/** A built, validated application: launch it into a system with `system.launch(app)`. */
export class Application {
  /** @internal The expanded graph the engine runs (no portal nodes). */
  readonly plan: Plan;

  /** @internal use `PortalsApp` or `ApplicationBuilder.build` */
  constructor(
    /** @internal The application as its builders recorded it. */
    readonly model: AppModel,
    /** The classes whose instances its state may hold besides plain data (`app.dataClass`). */
    readonly dataClasses: readonly DataClass<object>[] = [],
    partition?: Partition,
  ) {
    const plan = expandPortals(model);
    this.plan = partition === undefined ? plan : { ...plan, partition };
  }

  /**
   * Which share of the keys this copy of the application takes, when it is one partition of a
   * partitioned application ({@link Application.asPartition}); `undefined` when it takes them all.
   */
  get partition(): Partition | undefined {
    return this.plan.partition;
  }

  /**
   * This application as partition `index` (from 0) of `count` (docs/cluster.md, "Partitioned
   * applications"): launched in a cluster on `count` runtimes, one partition each, every copy
   * takes the events of the streams it reads from other runtimes whose key hashes to its index,
   * and keeps those keys' state; a reader of its streams reads all partitions. The count is
   * chosen at deploy time (`portals deploy --partition 0/2`); a snapshot restores only into the
   * same partition.
   *
   * @throws TypeError when `index` is not from 0 to `count - 1`, or `count` not from 1 to 1024
   */
  asPartition(index: number, count: number): Application {
    const problem = partitionProblem({ index, count });
    if (problem !== undefined) throw new TypeError(`${this.path}.asPartition(${String(index)}, ${String(count)}): ${problem}`);
    return new Application(this.model, this.dataClasses, { index, count });
  }

  /** Name of the application. */
  get name(): string {
    return this.model.name;
  }

  /** Path of the application, `/<name>`. */
  get path(): string {
    return this.model.path;
  }

  /** The expanded graph as text: one line per component, internal ones marked (see `portals plan`). */
  explain(): string {
    return explain(this.plan);
  }
}
