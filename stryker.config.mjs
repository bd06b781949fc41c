// @ts-check
/**
 * Mutation check of the compiler's tests (Stryker, `npm run mutate`; on demand, not in CI): the
 * compiler core is mutated, lowering first, and each mutant is run against the tests that cover
 * it (test/compiler/mutate.vitest.config.ts: the fixtures, the rejected fixtures and the unit
 * tests of test/compiler/core). Results: the clear-text table, and .cache/stryker/mutation.html
 * and .json. Incremental: a rerun only tests the mutants whose code or tests changed (`--force`
 * runs them all). Narrow it with `npm run mutate -- --mutate 'compiler/core/lower/**\/*.ts'`.
 * @type {import("@stryker-mutator/api/core").PartialStrykerOptions}
 */
export default {
  testRunner: "vitest",
  plugins: ["@stryker-mutator/vitest-runner"],
  vitest: { configFile: "test/compiler/mutate.vitest.config.ts", related: false },
  mutate: ["compiler/core/lower/**/*.ts", "compiler/core/**/*.ts"],
  coverageAnalysis: "perTest",
  incremental: true,
  incrementalFile: ".cache/stryker/incremental.json",
  tempDirName: ".cache/stryker-tmp",
  // Vitest does not type-check; the default (a "// @ts-nocheck" line in every file of the sandbox)
  // would shift the positions the compiler writes into the fixtures' output.
  disableTypeChecks: false,
  ignorePatterns: ["dist", ".cache", "coverage", ".scratch"],
  reporters: ["clear-text", "progress", "json", "html"],
  jsonReporter: { fileName: ".cache/stryker/mutation.json" },
  htmlReporter: { fileName: ".cache/stryker/mutation.html" },
  // The machine this runs on may be shared: two workers at most, and generous timeouts.
  concurrency: 2,
  timeoutMS: 20_000,
  dryRunTimeoutMinutes: 20,
};
