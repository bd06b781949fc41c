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
import type { Receipt } from "../engine/components/live-sources.js";
import type { LiveError } from "./live-error.js";
import type { AskOptions, SendOptions, SystemLink, TailListener } from "./live-options.js";

/** What a link sees of the system it serves. */
export interface LinkedSystem {
  /** The codec of the running applications' data (events cross runtimes in it). */
  codec(): Codec;
  /** Wakes the system's loop: a link has outputs waiting for a checkpoint. */
  wake(): void;
  /** Asks a portal of this system's applications, never another runtime's (`LiveSystem.ask` otherwise). */
  ask(portal: string, request: unknown, options: AskOptions): Promise<unknown>;
  /** Sends to an ingestion generator of this system's applications, never another runtime's (`LiveSystem.send` otherwise). */
  send(generator: string, events: readonly unknown[], options: SendOptions): Promise<Receipt>;
  /** Tails a stream of this system's applications, never another runtime's (`LiveSystem.tail`). */
  tail(stream: string, listener: TailListener): () => void;
  /**
   * The system's data directory, locked by it, or `undefined` when it has none: a cluster names
   * the holder of a runtime's name by it (docs/cluster.md, "Identity").
   */
  readonly dataDir: string | undefined;
}

/** See the module header: the hooks behind a {@link SystemLink}. */
export interface LiveLink extends SystemLink {
  /**
   * Called once, by the system the link serves, before any other call (once it holds its data
   * directory's lock).
   *
   * @throws Error when the data directory joined the cluster as another runtime before
   */
  attach(system: LinkedSystem): void;
  /**
   * The paths `plans` need that are not in `engine` and that the link answers for (it adds them
   * when the plans are deployed, or its problems say why it cannot), and what keeps the plans
   * from being launched here beyond the engine's checks (a name another runtime runs), one
   * message per problem.
   */
  check(engine: Engine, plans: readonly Plan[]): { readonly provides: ReadonlySet<string>; readonly problems: readonly string[] };
  /**
   * Claims the names of the applications of `plans` (or their partitions) in the cluster before
   * they are launched, atomically, so that two runtimes never run one name; resolves with those
   * it claimed now (a name this runtime held already is not among them).
   *
   * @throws ApplicationError when another runtime holds a name; LiveError `unavailable` when
   *   the cluster cannot be reached
   */
  claim(plans: readonly Plan[]): Promise<Plan[]>;
  /** Gives back names {@link LiveLink.claim} claimed, when their launch failed. */
  release(plans: readonly Plan[]): Promise<void>;
  /** Before `plan` is deployed into `engine` (a launch, or a restore): adds the parts of other runtimes it needs. */
  deploying(engine: Engine, plan: Plan): void;
  /** After `plan` was deployed into `engine`: its outputs become visible to other runtimes. */
  deployed(engine: Engine, plan: Plan): void;
  /**
   * Application `plan` of `engine` was stopped (by `stop`, or it was stopped in the snapshot a
   * restore put back): what it read of other runtimes is no longer read for it.
   */
  stopped(engine: Engine, plan: Plan): void;
  /**
   * Asks portal `portal` of an application another runtime runs, there; `undefined` when no
   * runtime of the cluster runs its application.
   */
  forwardAsk(portal: string, request: unknown, options: AskOptions): Promise<unknown> | undefined;
  /**
   * Sends `events` to ingestion generator `generator` of an application another runtime runs,
   * there; `undefined` when no runtime of the cluster runs its application.
   */
  forwardSend(generator: string, events: readonly unknown[], options: SendOptions): Promise<Receipt> | undefined;
  /**
   * Tails stream `stream` of an application another runtime runs, there, and of a partitioned
   * application on every partition's runtime: resolves with what stops the tail once it has
   * begun; `broken` is called if it breaks before its end. `undefined` when the application runs
   * here alone, or on no runtime of the cluster.
   */
  forwardTail(stream: string, listener: TailListener, broken: (error: LiveError) => void): Promise<() => void> | undefined;
  /**
   * The applications of other runtimes that ask portals of application `app` (a path) and are
   * not stopped, each as `<name> on runtime <runtime>`: stopping `app` would leave their
   * requests unanswered.
   */
  askersElsewhere(app: string): string[];
  /** True when outputs wait for a checkpoint before they can leave. */
  waiting(): boolean;
  /** A checkpoint is being taken; returns what to call once it is stored. */
  checkpointTaken(): () => void;
  /** Stops what the link runs (after the system's last checkpoint was released). */
  close(): Promise<void>;
}

const HOOKS = ["attach", "check", "claim", "release", "deploying", "deployed", "stopped", "forwardAsk", "forwardSend", "forwardTail", "askersElsewhere", "waiting", "checkpointTaken", "close"] as const;

/**
 * `link` as the hooks it must have.
 *
 * @throws TypeError when it is not a link `joinCluster` made
 */
export function liveLink(link: SystemLink): LiveLink {
  const missing = HOOKS.filter((h) => typeof (link as unknown as Record<string, unknown>)?.[h] !== "function");
  if (missing.length > 0) throw new TypeError("Systems.live({ link }): give the link joinCluster (portals-ts/cluster) made");
  return link as LiveLink;
}
