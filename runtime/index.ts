/**
 * Portals for TypeScript: multi-dataflow stateful serverless applications (DESIGN §1, §4).
 * Build applications with {@link PortalsApp}, run them with {@link Systems.test}.
 */
export { Application, ApplicationBuilder, PortalsApp } from "./api/app.js";
export type { AtomOptions, GeneratorOptions, PortalOptions } from "./api/app.js";
export type {
  AskerContext,
  LogLevel,
  MapContext,
  ProcessorContext,
  ReplierContext,
  StateContext,
  StateHandle,
  TaskLogger,
  TaskState,
} from "./api/context.js";
export { ApplicationError, OperatorError, PortalRequestError } from "./api/errors.js";
export type { Location } from "./api/errors.js";
export type { GeneratorRef, PortalRef, SequencerRef, SplitterRef, StreamRef, WorkflowRef } from "./api/refs.js";
export { Task, Tasks, VSM } from "./api/tasks.js";
export type { Portals, VsmBehavior } from "./api/tasks.js";
export { FlowBuilder, WorkflowBuilder } from "./api/workflow.js";
export type { LogMeta, LogWriter } from "./engine/context.js";
export { defineMachine, isMachine, MACHINE, Step } from "./engine/machine.js";
export type { Frame, Key, Machine, MachineSpec, MachineStep, RequestHandle, ResumeInput } from "./engine/machine.js";
export { defaultLog, Systems, TestSystem } from "./engine/system.js";
export type { SnapshotOptions, TestSystemOptions } from "./engine/system.js";
export { Sinks } from "./state/sinks.js";
export type { MemorySink, Sink, SinkState, SinkWriter } from "./state/sinks.js";
export { DirectoryStore, SqliteStore } from "./state/stores.js";
export type { SnapshotStore, StoreOptions } from "./state/stores.js";
export type { Stats } from "./engine/workflow.js";
export { Codec, codec, EncodeError } from "./state/codec.js";
export { SNAPSHOT_FORMAT, SnapshotError } from "./state/snapshot.js";
export type { Manifest } from "./state/snapshot.js";
export type { TypeCodec } from "./state/codec.js";
