/**
 * The physical plan of an application: what the engine runs. It has only generators, streams,
 * sequencers, splitters (with their splits and connections) and workflows; portals were
 * expanded away by `expand.ts` (the precompilation step of the Portals paper, §2.1).
 */
import type { GeneratorSource, GraphParts, TaskNode } from "./model.js";
import type { Key } from "../core/key.js";
import type { Partition } from "../core/partition.js";
import type { Sink } from "../core/sink.js";

/** Fields every plan node has. */
interface PlanNode {
  readonly path: string;
  /** Made by portal expansion rather than by the user. Internal nodes carry portal traffic. */
  readonly internal: boolean;
}

export interface PlanStream extends PlanNode {}

export interface PlanGenerator extends PlanNode {
  readonly stream: string;
  readonly source: GeneratorSource;
}

export interface PlanSequencer extends PlanNode {
  readonly stream: string;
  /**
   * For a workflow's portal input sequencer: the workflow's original source. Atoms from it are
   * forwarded as they are (empty atoms and the seal included), unlike other inputs (docs/semantics.md, rule 5).
   */
  readonly primary?: string;
}

export interface PlanConnection extends PlanNode {
  readonly stream: string;
  readonly sequencer: string;
  /** Carries portal requests or replies: the sequencer forwards it first (docs/semantics.md, rule 8). */
  readonly portal: boolean;
}

export interface PlanSplitter extends PlanNode {
  readonly source: string;
}

export interface PlanSplit extends PlanNode {
  readonly splitter: string;
  readonly stream: string;
  readonly predicate: (event: any) => boolean;
}

/** How a workflow takes part in portal traffic. */
export interface PlanPortalRole {
  /** Stream its tasks' requests and replies go to. */
  readonly out: string;
  /** Portals it serves: portal path → index of the serving task and the routing key. */
  readonly serves: ReadonlyMap<string, { readonly task: number; readonly key?: (request: any) => Key }>;
}

export interface PlanWorkflow extends PlanNode {
  readonly source: string;
  readonly stream: string;
  readonly tasks: readonly TaskNode[];
  readonly sinks: readonly number[];
  /** Transactional sink the output also goes to, if any. */
  readonly target: Sink<unknown> | undefined;
  /** Path of the stream its failed events go to, if it has one. */
  readonly deadLetters: string | undefined;
  /** Present when the workflow asks or serves portals. */
  readonly portals?: PlanPortalRole;
}

/** A path of another application that must be launched before this one. */
export interface PlanRequirement {
  readonly path: string;
  readonly kind: "stream" | "sequencer" | "splitter";
  /** What needs it, for the error message. */
  readonly neededBy: string;
  /** What the user asked for, e.g. `portal /shop/portals/inventory` (internal paths differ). */
  readonly what: string;
}

/** The expanded application. Order within each list is the launch order. */
export interface Plan extends GraphParts<PlanGenerator, PlanSequencer, PlanConnection, PlanSplitter, PlanSplit, PlanWorkflow> {
  /** Path of the application. */
  readonly app: string;
  readonly streams: readonly PlanStream[];
  readonly requires: readonly PlanRequirement[];
  /** Set when the application runs as one partition of several (docs/cluster.md, "Partitioned applications"). */
  readonly partition?: Partition;
}
