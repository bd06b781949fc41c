/**
 * What links a live system to others (docs/cluster.md): the system calls it around every
 * deployment and checkpoint, and the link adds the parts of other runtimes an application needs
 * (their streams, as sources of this engine) and hands this runtime's outputs to them once a
 * checkpoint covers them. The system layer defines the hooks; `runtime/cluster/` implements
 * them on NATS JetStream.
 */
import type { Engine } from "../engine/engine.js";
import type { Plan } from "../graph/plan.js";
import type { Codec } from "../state/codec.js";

/** What a link sees of the system it serves. */
export interface LinkedSystem {
  /** The codec of the running applications' data (events cross runtimes in it). */
  codec(): Codec;
  /** Wakes the system's loop: a link has outputs waiting for a checkpoint. */
  wake(): void;
}

/** See the module header. */
export interface LiveLink {
  /** Called once, by the system the link serves, before any other call. */
  attach(system: LinkedSystem): void;
  /**
   * The paths `plans` need that are not in `engine` and that the link answers for (it adds them
   * when the plans are deployed, or its problems say why it cannot), and what keeps the plans
   * from being launched here beyond the engine's checks (a name another runtime runs), one
   * message per problem.
   */
  check(engine: Engine, plans: readonly Plan[]): { readonly provides: ReadonlySet<string>; readonly problems: readonly string[] };
  /** Before `plan` is deployed into `engine` (a launch, or a restore): adds the parts of other runtimes it needs. */
  deploying(engine: Engine, plan: Plan): void;
  /** After `plan` was deployed into `engine`: its outputs become visible to other runtimes. */
  deployed(engine: Engine, plan: Plan): void;
  /** True when outputs wait for a checkpoint before they can leave. */
  waiting(): boolean;
  /** A checkpoint is being taken; returns what to call once it is stored. */
  checkpointTaken(): () => void;
  /** Stops what the link runs (after the system's last checkpoint was released). */
  close(): Promise<void>;
}
