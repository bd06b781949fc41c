import { fileURLToPath } from "node:url";
import * as ts from "typescript";
import { defineConfig } from "vitest/config";
import { portals } from "./compiler/hosts/vite.js";

// The project's own tests run through the portals compiler, as a user's Vitest setup would.
// Type tests are left out: they misuse the API on purpose, under @ts-expect-error.
export default defineConfig({
  plugins: [portals({ typescript: ts, exclude: /\/test\/runtime\/api\/types\// })],
  resolve: {
    alias: {
      "portals-ts/machine": fileURLToPath(new URL("./runtime/machine.ts", import.meta.url)),
      "portals-ts/testing": fileURLToPath(new URL("./runtime/testing/index.ts", import.meta.url)),
      "portals-ts/cluster": fileURLToPath(new URL("./runtime/cluster/index.ts", import.meta.url)),
      "portals-ts/sql": fileURLToPath(new URL("./runtime/sql/index.ts", import.meta.url)),
      "portals-ts": fileURLToPath(new URL("./runtime/index.ts", import.meta.url)),
    },
  },
  test: {
    include: ["test/**/*.test.ts"],
    // Several tests replay whole applications many times (crash/restore at every step, property
    // tests); on a shared 2-core machine 5 s is not enough for them, and a timeout is not a bug.
    testTimeout: 60_000,
  },
});
