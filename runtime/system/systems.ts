/** Factories of systems: what applications run in. */
import type { Host } from "./host.js";
import type { LiveSystemOptions } from "./live-options.js";
import { LiveSystem } from "./live-system.js";
import { TestSystem, type TestSystemOptions } from "./test-system.js";

/**
 * The factories of systems on the platform `host` (the package's `Systems`: Node's in
 * `node-systems.ts`, a browser's in `browser-systems.ts`).
 */
export function systemsOn(host: Host) {
  return {
    /**
     * A deterministic single-threaded system: steps run when the caller asks, and the same seed
     * gives the same run.
     *
     * @throws RangeError when the seed or a snapshot interval is not an integer
     */
    test(options: TestSystemOptions = {}): TestSystem {
      return new TestSystem(options, host);
    },
    /**
     * A system that runs in real time until it is closed (docs/live.md): it steps while work is
     * ready and sleeps until a source, a timer or a call wakes it. Launch applications while others
     * run, ask their portals and send events from outside; with `dataDir`, checkpoints are stored
     * there and a later system continues from them (`restoreLatest`).
     *
     * @throws RangeError for a bad seed, interval or `fullEvery`; Error when `dataDir` cannot be created, or joined the cluster of `link` as another runtime before
     */
    live(options: LiveSystemOptions = {}): LiveSystem {
      return new LiveSystem(options, host);
    },
  };
}
