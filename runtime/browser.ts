/**
 * The package's entry point in browsers (the `browser` condition of `portals-ts` in package.json;
 * bundlers pick it for a Web Worker or a page): what `index.ts` exports, but for what needs Node.
 * `Systems.test` and `Systems.live` run here, logging to the console, and `Sinks.memory` is the
 * sink; there are no file sinks and no snapshot stores of the package (a system takes any
 * `SnapshotStore`), a `fromFile` generator fails at launch, and a live system has no `dataDir`
 * (docs/architecture.md, "Public surface"). `test/architecture/browser.test.ts` bundles it for the
 * browser and runs an application in it.
 */
export * from "./shared.js";
export { Sinks } from "./state/sinks.js";
export { Systems } from "./system/browser-systems.js";
