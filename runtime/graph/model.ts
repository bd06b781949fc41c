/**
 * The logical model of an application, as the builders record it. It still has
 * portals; `expand.ts` turns it into a {@link import("./plan.js").Plan} without them.
 */
import type { Key } from "../core/key.js";
import type { Sink } from "../core/sink.js";
import type { TaskSpec } from "../core/spec.js";

/** Where a generator's atoms come from (`app.generators`). */
export type GeneratorSource =
  | { readonly kind: "atoms"; readonly atoms: readonly (readonly unknown[])[] }
  | { readonly kind: "range"; readonly start: number; readonly end: number; readonly step: number }
  | { readonly kind: "iterable"; readonly iterable: Iterable<unknown>; readonly atomSize: number }
  | { readonly kind: "asyncIterable"; readonly iterable: AsyncIterable<unknown>; readonly atomSize: number }
  | { readonly kind: "file"; readonly file: string; readonly atomSize: number }
  /**
   * Events sent from outside the system (`LiveSystem.send`, `POST /v1/streams/…`): one atom per
   * send, or with `coalesce` one atom of all the sends queued when the generator steps.
   */
  | { readonly kind: "ingestion"; readonly coalesce: boolean }
  /**
   * `event(i)` for i = 0, 1, …, `count` - 1 (unbounded without it): in a live system at
   * `eventsPerSecond`, the events due cut into atoms of at most `atomSize`; in a test system
   * as fast as it steps, `atomSize` per atom.
   */
  | { readonly kind: "rate"; readonly eventsPerSecond: number; readonly event: (i: number) => unknown; readonly atomSize: number; readonly count: number | undefined };

export interface GeneratorNode {
  readonly path: string;
  readonly stream: string;
  readonly source: GeneratorSource;
}

export interface SequencerNode {
  readonly path: string;
  readonly stream: string;
}

export interface ConnectionNode {
  readonly path: string;
  /** Stream path connected as an input. */
  readonly stream: string;
  /** Sequencer path it feeds. */
  readonly sequencer: string;
}

export interface SplitterNode {
  readonly path: string;
  /** Stream path it splits. */
  readonly source: string;
}

export interface SplitNode {
  readonly path: string;
  /** Splitter path it is an output of. */
  readonly splitter: string;
  /** Stream path of the events it selects. */
  readonly stream: string;
  readonly predicate: (event: any) => boolean;
}

export interface PortalNode {
  readonly path: string;
  readonly key?: (request: any) => Key;
}

/** One task of a workflow and where its input comes from. */
export interface TaskNode {
  /** Name, unique in the workflow: its `withName` name, else `<kind>#<position>` (`core/spec.ts`, `defaultTaskName`). */
  readonly name: string;
  readonly spec: TaskSpec;
  /** Indices of the tasks it consumes, in order; `-1` is the workflow's source. */
  readonly inputs: readonly number[];
}

export interface WorkflowNode {
  readonly path: string;
  /** Stream path of its source, if `source` was called. */
  readonly source: string | undefined;
  readonly stream: string;
  /** Tasks in creation order, which is a topological order. */
  readonly tasks: readonly TaskNode[];
  /** Indices of the tasks whose output goes to the sink, in `sink()` call order. */
  readonly sinks: readonly number[];
  /** Transactional sink the output also goes to (`sink(target)`), if any. */
  readonly target: Sink<unknown> | undefined;
  /** Path of the stream its failed events go to (`deadLetters(name)`), if any. */
  readonly deadLetters: string | undefined;
}

/** A part of another application, looked up through the registry. */
export interface ExternalNode {
  readonly kind: "stream" | "sequencer" | "splitter" | "portal";
  readonly path: string;
}

/**
 * The parts of an application's graph by kind, each list in launch order. The model and the plan
 * have the same kinds of parts, each with node types of its own.
 */
export interface GraphParts<G, Q, C, R, S, W> {
  readonly generators: readonly G[];
  readonly sequencers: readonly Q[];
  readonly connections: readonly C[];
  readonly splitters: readonly R[];
  readonly splits: readonly S[];
  readonly workflows: readonly W[];
}

/** Everything the builders recorded for one application. */
export interface AppModel extends GraphParts<GeneratorNode, SequencerNode, ConnectionNode, SplitterNode, SplitNode, WorkflowNode> {
  readonly name: string;
  readonly path: string;
  readonly portals: readonly PortalNode[];
  readonly external: readonly ExternalNode[];
}
