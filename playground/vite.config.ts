/**
 * The playground's build (`npm run build:playground` writes `dist/playground/`, static files
 * any static host can serve). The page and its worker import the runtime as the package does
 * (`portals-ts`, resolved to `npm run build`'s output), so the build comes after that one.
 */
import { fileURLToPath } from "node:url";
import { defineConfig } from "vite";

const dist = (path: string): string => fileURLToPath(new URL(`../dist/runtime/${path}`, import.meta.url));

export default defineConfig({
  root: fileURLToPath(new URL(".", import.meta.url)),
  base: "./",
  resolve: {
    alias: [
      // The package's browser entry, as a bundler picks it by the `browser` condition.
      { find: /^portals-ts$/, replacement: dist("browser.js") },
      { find: /^portals-ts\/machine$/, replacement: dist("machine.js") },
      { find: /^portals-ts\/testing$/, replacement: dist("testing/index.js") },
      { find: /^portals-ts\/sql$/, replacement: dist("sql/index.js") },
    ],
  },
  worker: { format: "es" },
  build: {
    outDir: fileURLToPath(new URL("../dist/playground", import.meta.url)),
    emptyOutDir: true,
    chunkSizeWarningLimit: 8192,
    // The bundler's table of plugin timings is noise in `npm run build:playground`.
    rolldownOptions: { checks: { pluginTimings: false } },
  },
});
