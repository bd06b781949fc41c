import { defineConfig } from "vitest/config";

// The end-to-end tests (`npm run test:e2e`, run by .ci/run after the suite): they pack the
// package, install it from the registry into projects outside the repository, and take minutes,
// so they are not part of `npm test`.
export default defineConfig({
  test: {
    include: ["test/e2e/**/*.e2e.ts"],
    testTimeout: 180_000,
    hookTimeout: 180_000,
  },
});
