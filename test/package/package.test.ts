/**
 * What an install of portals-ts gets (the end-to-end test, test/e2e/scaffold.e2e.ts, installs
 * the packed package; these are the quick checks of the same findings): the peer dependencies
 * that keep TypeScript at a version the compiler supports, nothing with an install script among
 * the dependencies, a build before packing, the scaffold's template in the package, source
 * maps that carry their sources, and the browser entry bundlers pick for browsers.
 */
import * as esbuild from "esbuild";
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, symlinkSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { expect, onTestFinished, test } from "vitest";

const ROOT = fileURLToPath(new URL("../..", import.meta.url));

interface Manifest {
  exports: Record<string, unknown>;
  files: string[];
  scripts: Record<string, string>;
  dependencies: Record<string, string>;
  optionalDependencies?: Record<string, string>;
  peerDependencies: Record<string, string>;
  peerDependenciesMeta: Record<string, { optional?: boolean }>;
  devDependencies: Record<string, string>;
}

const manifest = JSON.parse(readFileSync(join(ROOT, "package.json"), "utf8")) as Manifest;

test("TypeScript ~5.9 is a peer dependency; ts-patch ~3.3, esbuild ~0.28 and better-sqlite3 are optional ones", () => {
  expect(manifest.peerDependencies).toEqual({ "better-sqlite3": "^12.11.1", esbuild: "~0.28", "ts-patch": "~3.3", typescript: "~5.9" });
  expect(manifest.peerDependenciesMeta).toEqual({ "better-sqlite3": { optional: true }, esbuild: { optional: true }, "ts-patch": { optional: true } });
  // The versions this project builds and tests with satisfy them.
  expect(manifest.devDependencies.typescript).toMatch(/^~5\.9\./);
  expect(manifest.devDependencies["ts-patch"]).toMatch(/^~3\.3\./);
  expect(manifest.devDependencies.esbuild).toMatch(/^~0\.28\./);
});

test("an install runs no install script but an optional one: no dependency of the package has one, but msgpackr's optional native decoder", () => {
  const lock = JSON.parse(readFileSync(join(ROOT, "package-lock.json"), "utf8")) as { packages: Record<string, { hasInstallScript?: boolean; dev?: boolean }> };
  const installed = [...Object.keys(manifest.dependencies), ...Object.keys(manifest.optionalDependencies ?? {})];
  const closure = new Set<string>();
  const visit = (name: string): void => {
    if (closure.has(name)) return;
    closure.add(name);
    const entry = lock.packages[`node_modules/${name}`] as { dependencies?: Record<string, string>; optionalDependencies?: Record<string, string> } | undefined;
    for (const dep of Object.keys({ ...entry?.dependencies, ...entry?.optionalDependencies })) visit(dep);
  };
  installed.forEach(visit);
  // The CLI's and the server's own (docs/live.md): commander, pure-rand, and Fastify with its
  // OpenAPI plugin, its JSON parser (for clear errors) and the Prometheus client for `portals serve`;
  // the cluster's (docs/cluster.md): the NATS client, JetStream and key-value packages; the SQL
  // table's parser (docs/sql.md, "Parsing"); the snapshot codec's MessagePack and SHA-256
  // (docs/snapshots.md, "Codec"), the SHA-256 also the compiler's, of code versions, which runs
  // in browsers too (docs/compiler.md, "Machine identity"); Fastify's CORS (`portals serve
  // --cors-origin`) and static files (`portals playground`, docs/playground.md); Fastify's proxy
  // (`portals serve --workers`, docs/cluster.md, "Partitioned applications").
  expect(installed.sort()).toEqual([
    "@fastify/cors",
    "@fastify/reply-from",
    "@fastify/static",
    "@fastify/swagger",
    "@nats-io/jetstream",
    "@nats-io/kv",
    "@nats-io/nats-core",
    "@nats-io/transport-node",
    "@noble/hashes",
    "commander",
    "fastify",
    "msgpackr",
    "pgsql-ast-parser",
    "prom-client",
    "pure-rand",
    "secure-json-parse",
  ]);
  // A bound that makes a growing install visible: it was under 100 before the playground's
  // static files (@fastify/static and what it sends files with: send, glob, content-disposition, …),
  // and 111 with the workers' proxy (@fastify/reply-from, which brings undici and two helpers).
  expect(closure.size).toBeLessThan(115);
  // One exception: msgpackr's optional native decoder for Node, msgpackr-extract, whose install
  // script only looks for its prebuilt binary (an optional package per platform). msgpackr runs
  // without it, with the same bytes: an install that skips the script or the package (npm's
  // approval of install scripts, --omit=optional, a platform without a binary) only decodes
  // strings more slowly. So the repository and the projects `portals init` makes deny it in
  // npm's allowScripts, and npm asks nothing (test/e2e/scaffold.e2e.ts).
  expect([...closure].filter((name) => lock.packages[`node_modules/${name}`]?.hasInstallScript)).toEqual(["msgpackr-extract"]);
  expect((manifest as { allowScripts?: Record<string, boolean> }).allowScripts?.["msgpackr-extract"]).toBe(false);
});

test("npm pack builds first, from a clean dist/, the playground page too, and ships the scaffold's template and the language-service entry", () => {
  expect(manifest.scripts.prepack).toBe("node -e \"require('fs').rmSync('dist', { recursive: true, force: true })\" && npm run build && npm run build:playground");
  expect(manifest.files).toEqual(["dist", "docs", "create", "language-service"]);
});

test("the built source maps carry the sources they point at", () => {
  for (const [map, source] of [
    ["dist/runtime/cli/run.js.map", "runtime/cli/run.ts"],
    ["dist/compiler-cjs/compiler/hosts/vite.js.map", "compiler/hosts/vite.ts"],
  ]) {
    const parsed = JSON.parse(readFileSync(join(ROOT, map!), "utf8")) as { sources: string[]; sourcesContent?: string[] };
    expect(parsed.sourcesContent).toEqual([readFileSync(join(ROOT, source!), "utf8")]);
  }
});

test("bundlers for browsers get the browser entry of portals-ts, and it and portals-ts/machine and portals-ts/testing bundle without Node", async () => {
  expect(manifest.exports["."]).toEqual({
    browser: { types: "./dist/runtime/browser.d.ts", default: "./dist/runtime/browser.js" },
    types: "./dist/runtime/index.d.ts",
    default: "./dist/runtime/index.js",
  });
  if (!existsSync(join(ROOT, "dist/runtime/browser.js"))) throw new Error("dist/ is not built: run `npm run build` first (npm test does)");
  // A project that installed the package (a link to this one) and bundles it for the browser;
  // outside this one, whose tsconfig.json maps portals-ts to the sources.
  const project = mkdtempSync(join(tmpdir(), "portals-browser-"));
  onTestFinished(() => rmSync(project, { recursive: true, force: true }));
  mkdirSync(join(project, "node_modules"));
  symlinkSync(ROOT, join(project, "node_modules/portals-ts"), "dir");
  writeFileSync(join(project, "worker.js"), 'export * from "portals-ts";\nexport * as machine from "portals-ts/machine";\nexport * as testing from "portals-ts/testing";\n');
  const result = await esbuild
    .build({ entryPoints: [join(project, "worker.js")], absWorkingDir: project, bundle: true, platform: "browser", format: "esm", write: false, metafile: true, logLevel: "silent" })
    .catch((failure: esbuild.BuildFailure) => ({ errors: failure.errors, metafile: undefined }));
  expect(result.errors.map((e) => `${e.location?.file ?? "?"}: ${e.text}`)).toEqual([]);
  const entries = Object.keys(result.metafile!.inputs).filter((f) => /dist\/runtime\/(index|browser|machine|testing\/index)\.js$/.test(f));
  expect(entries.map((f) => f.slice(f.indexOf("dist/"))).sort()).toEqual(["dist/runtime/browser.js", "dist/runtime/machine.js", "dist/runtime/testing/index.js"]);
}, 60_000);
