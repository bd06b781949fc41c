/**
 * The Vitest configuration of the mutation check (stryker.config.mjs, `npm run mutate`): only the
 * fast, deterministic compiler tests that exercise compiler/core in process — the fixtures (exec
 * and output snapshots), the rejected fixtures and the unit tests of test/compiler/core. Left
 * out: the property test (slow), the fuzzer, and the host tests (they need a built dist and
 * spawn processes). Not used by `npm test` or CI.
 *
 * Stryker runs every mutant in the same Vitest instance, whose Vite server caches the transform
 * of each module by path; the fixture test writes the compiled fixture modules to the same
 * paths in every run (.cache/fixtures/), so without the reporter below a mutant run would
 * import the modules compiled in an earlier run, not the ones the mutant just compiled.
 */
import { fileURLToPath } from "node:url";
import { defineConfig } from "vitest/config";
import type { Vitest } from "vitest/node";
import type { Reporter } from "vitest/reporters";

const root = fileURLToPath(new URL("../..", import.meta.url));

/** Invalidates the cached fixture modules (`.cache/fixtures/`) before every run. */
function freshFixtureModules(): Reporter {
  let vitest: Vitest | undefined;
  return {
    onInit(v) {
      vitest = v;
    },
    onTestRunStart() {
      if (vitest === undefined) return;
      const files = new Set<string>();
      for (const project of vitest.projects) {
        for (const environment of Object.values(project.vite.environments)) {
          for (const module of environment.moduleGraph.idToModuleMap.values()) {
            if (module.file?.includes("/.cache/fixtures/")) files.add(module.file);
          }
        }
      }
      for (const file of files) vitest.invalidateFile(file);
    },
  };
}

export default defineConfig({
  root,
  resolve: {
    alias: {
      "portals-ts/machine": fileURLToPath(new URL("../../runtime/machine.ts", import.meta.url)),
      "portals-ts/testing": fileURLToPath(new URL("../../runtime/testing/index.ts", import.meta.url)),
      "portals-ts": fileURLToPath(new URL("../../runtime/index.ts", import.meta.url)),
    },
  },
  test: {
    include: ["test/compiler/fixtures.test.ts", "test/compiler/rejected.test.ts", "test/compiler/core/**/*.test.ts"],
    exclude: ["test/compiler/core/lower/property.test.ts", "test/compiler/fuzz/**", "test/compiler/hosts/**", "**/node_modules/**"],
    testTimeout: 60_000,
    // Under Stryker the default reporter's output only fills its logs.
    reporters: process.env.STRYKER_MUTATOR_WORKER === undefined ? ["default", freshFixtureModules()] : [freshFixtureModules()],
  },
});
