/**
 * `portals deploy <module>`: bundles the module with esbuild, its async operators compiled by
 * the portals compiler's esbuild plugin and `portals-ts` left out (the server has its own), and
 * uploads the bundle to a server (docs/live.md, "Deployments").
 */
import { existsSync } from "node:fs";
import { resolve } from "node:path";
import { UsageError } from "./io.js";
import { compileErrors } from "./load.js";

type Bundler = (entry: string) => Promise<{ code: string; warnings: string[] }>;

/**
 * The bundle of the module at `modulePath` (relative to the working directory), and esbuild's warnings.
 *
 * @throws UsageError when the module does not exist, does not compile or bundle (each problem
 *   with its file and line), or esbuild is not installed
 */
export async function bundleModule(modulePath: string): Promise<{ code: string; warnings: string[] }> {
  if (!existsSync(resolve(modulePath))) {
    // `portals deploy` bundles the TypeScript itself: a .js path often means the .ts beside it.
    const source = /\.[mc]?js$/.test(modulePath) ? modulePath.replace(/js$/, "ts") : undefined;
    const hint = source !== undefined && existsSync(resolve(source)) ? `; did you mean ${source}? deploy bundles TypeScript itself` : "";
    throw new UsageError(`module ${modulePath} does not exist (looked for ${resolve(modulePath)})${hint}`);
  }
  const bundle = await bundler();
  try {
    return await bundle(modulePath);
  } catch (thrown) {
    throw new UsageError(compileErrors(modulePath, thrown) ?? `cannot bundle ${modulePath}: ${(thrown as Error).message}`);
  }
}

/**
 * `bundleDeployment` of the compiler's esbuild host: the built module next to the built CLI, or
 * its source when the CLI runs from source under tsx. Loaded by URL: the runtime never imports
 * the compiler (docs/architecture.md, "Layers").
 */
async function bundler(): Promise<Bundler> {
  type Module = { bundleDeployment?: Bundler };
  const built = new URL("../../compiler-cjs/compiler/hosts/esbuild.js", import.meta.url);
  const url = existsSync(built) ? built : new URL("../../compiler/hosts/esbuild.ts", import.meta.url);
  const loaded = (await import(url.href)) as Module & { default?: Module };
  return (loaded.bundleDeployment ?? loaded.default!.bundleDeployment)!;
}
