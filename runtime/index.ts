/**
 * Portals for TypeScript: multi-dataflow stateful serverless applications. Build applications
 * with {@link PortalsApp}, run them with {@link Systems.test}. This entry point is what
 * applications are written against on Node (bundlers for browsers take `browser.ts`, the same
 * but for files and snapshot stores); the machine protocol of compiled operators is in
 * `portals-ts/machine`, the single-task test driver in `portals-ts/testing`
 * (docs/architecture.md, "Public surface").
 */
export * from "./shared.js";
export { Sinks } from "./state/file-sink.js";
export type { FileSinkOptions } from "./state/file-sink.js";
export { DirectoryStore, SqliteStore } from "./state/stores.js";
export type { StoreOptions } from "./state/stores.js";
export { SegmentStore } from "./state/segment-store.js";
export { Systems } from "./system/node-systems.js";
