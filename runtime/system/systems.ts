/** Factories of systems: what applications run in. */
import { TestSystem, type TestSystemOptions } from "./test-system.js";

/** Factories of systems. */
export const Systems = {
  /**
   * A deterministic single-threaded system: steps run when the caller asks, and the same seed
   * gives the same run.
   *
   * @throws RangeError when the seed or a snapshot interval is not an integer
   */
  test(options: TestSystemOptions = {}): TestSystem {
    return new TestSystem(options);
  },
};
