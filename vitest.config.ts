import { fileURLToPath } from "node:url";
import { defineConfig } from "vitest/config";

export default defineConfig({
  resolve: {
    alias: {
      "portals-ts/machine": fileURLToPath(new URL("./runtime/compiled.ts", import.meta.url)),
      "portals-ts/testing": fileURLToPath(new URL("./runtime/testing/index.ts", import.meta.url)),
      "portals-ts": fileURLToPath(new URL("./runtime/index.ts", import.meta.url)),
    },
  },
  test: {
    include: ["test/**/*.test.ts"],
  },
});
