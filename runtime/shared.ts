/**
 * What both entry points of the package export (docs/architecture.md, "Public surface"): the
 * builders, tasks, refs, contexts, errors and types of the package, all of which run on any
 * platform. The entries add what differs: `index.ts` (Node) the systems, sinks and snapshot
 * stores on Node; `browser.ts` the systems and sinks that run in a browser.
 */
export { Application } from "./api/application.js";
export { ApplicationBuilder, PortalsApp } from "./api/application-builder.js";
export type {
  AtomOptions,
  ConnectionOptions,
  GeneratorOptions,
  IngestionOptions,
  PortalOptions,
  RateOptions,
  SequencerOptions,
  SplitOptions,
  SplitterOptions,
} from "./api/options.js";
export type { GeneratorRef, PortalRef, SequencerRef, SplitterRef, StreamRef, WorkflowRef } from "./api/refs.js";
export { Task, Tasks } from "./api/tasks.js";
export type { Portals } from "./api/tasks.js";
export { VSM } from "./api/vsm.js";
export type { VsmOptions } from "./api/vsm.js";
export type { FlowBuilder, WorkflowBuilder } from "./api/workflow-builder.js";
export type {
  AskerContext,
  MapContext,
  ProcessorContext,
  ReplierContext,
  StateContext,
  StateHandle,
  TaskLogger,
  TaskState,
} from "./core/context.js";
export type { DataClass } from "./core/data.js";
export { ApplicationError, OperatorError, PortalRequestError } from "./core/errors.js";
export type { DeadLetter, HookName, Location } from "./core/errors.js";
export type { Key } from "./core/key.js";
export type { Partition } from "./core/partition.js";
export type { LogLevel, LogMeta, LogWriter } from "./core/log.js";
export type { RequestHandle } from "./core/machine.js";
export type { Sink, SinkRefusal, SinkState, SinkWriter } from "./core/sink.js";
export type { SystemStats } from "./core/stats.js";
export type { VsmBehavior } from "./core/vsm.js";
export { EncodeError } from "./state/codec.js";
export { SnapshotError } from "./state/snapshot-format.js";
export type { MemorySink } from "./state/sinks.js";
export type { SnapshotStore } from "./state/snapshot-store.js";
export type { SnapshotOptions } from "./system/checkpoint-coordinator.js";
export type { Receipt } from "./engine/components/live-sources.js";
export { LiveError } from "./system/live-error.js";
export type { LiveErrorCode } from "./system/live-error.js";
export type { AppCounters, AskOptions, LiveStats, LiveSystemOptions, SendOptions, TailListener, TailOptions, UpgradeOptions } from "./system/live-options.js";
export type { SystemLink } from "./system/live-options.js";
export type { LiveSystem } from "./system/live-system.js";
export type { TestSystem, TestSystemOptions, WorkflowCounters } from "./system/test-system.js";
