import { portals } from "portals-ts/vite";
import { defineConfig } from "vitest/config";

// Vitest does not read the tsconfig plugins: this plugin compiles the async operators of the
// modules the tests import, as tspc does for the build.
export default defineConfig({
  plugins: [portals()],
});
