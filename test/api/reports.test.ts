/**
 * The public surface under review (docs/architecture.md, "Public surface"): api-extractor reads
 * the built declaration files of each entry point and compares them with the committed report in
 * `api/`. A change to what the package exports fails here until the report is updated with
 * `npm run api:update` and committed, so every change of the surface is seen in review.
 */
import { existsSync, readdirSync } from "node:fs";
import { join, resolve } from "node:path";
import { Extractor, ExtractorConfig } from "@microsoft/api-extractor";
import { expect, test } from "vitest";

const ROOT = resolve(import.meta.dirname, "../..");
const CONFIGS = readdirSync(join(ROOT, "api")).filter((f) => f.endsWith(".json") && f !== "base.json");

test("there is a report for each entry point of package.json, and for the browser entry of portals-ts", () => {
  expect(CONFIGS.sort()).toEqual(["portals-ts-browser.json", "portals-ts-cluster.json", "portals-ts-compiler.json", "portals-ts-esbuild.json", "portals-ts-language-service.json", "portals-ts-machine.json", "portals-ts-sql.json", "portals-ts-testing.json", "portals-ts-vite.json", "portals-ts.json"]);
});

test.each(CONFIGS)("%s: the declarations match the committed API report", (config) => {
  if (!existsSync(join(ROOT, "dist/runtime/index.d.ts"))) throw new Error("dist/ is not built: run `npm run build` first (npm test does)");
  const messages: string[] = [];
  const result = Extractor.invoke(ExtractorConfig.loadFileAndPrepare(join(ROOT, "api", config)), {
    localBuild: false,
    messageCallback: (m) => {
      if (m.logLevel === "error" || m.logLevel === "warning") messages.push(m.text);
      m.handled = true;
    },
  });
  expect({ changed: result.apiReportChanged, messages }).toEqual({ changed: false, messages: [] });
}, 60_000);
