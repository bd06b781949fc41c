/**
 * Module hooks of `portals-ts/register` (see register.ts): `load` compiles TypeScript modules
 * with the portals transformer; `resolve` maps a `./x.js` import to `./x.ts` when only the
 * TypeScript file exists, as TypeScript's module resolution does.
 */
import { readFile } from "node:fs/promises";
import { createRequire } from "node:module";
import { fileURLToPath } from "node:url";
import type * as ts from "typescript";
import { compileFailure } from "./errors.js";
import { requireTypeScript } from "./typescript-version.js";
import { transpile } from "./transpile.js";

const TYPESCRIPT = /\.(ts|mts|tsx)$/;
let typescript: typeof ts | undefined;

interface ResolveContext {
  readonly parentURL?: string;
}
type NextResolve = (specifier: string, context: ResolveContext) => Promise<{ url: string }>;
type NextLoad = (url: string, context: object) => Promise<{ format?: string; source?: unknown }>;

/** Resolves `./x.js` to `./x.ts` when the JavaScript file does not exist. */
export async function resolve(specifier: string, context: ResolveContext, next: NextResolve): Promise<{ url: string }> {
  try {
    return await next(specifier, context);
  } catch (error) {
    if (/^\.{1,2}\/.*\.js$/.test(specifier) && context.parentURL?.startsWith("file:")) {
      return next(specifier.replace(/\.js$/, ".ts"), context);
    }
    throw error;
  }
}

/**
 * Compiles TypeScript modules outside node_modules; other modules go to the next hook.
 *
 * @throws CompileFailure (`errors.ts`) when the module does not compile
 */
export async function load(url: string, context: object, next: NextLoad): Promise<{ format?: string; source?: unknown; shortCircuit?: boolean }> {
  if (!url.startsWith("file:") || url.includes("/node_modules/")) return next(url, context);
  const file = fileURLToPath(url);
  if (!TYPESCRIPT.test(file)) return next(url, context);
  if (typescript === undefined) {
    typescript = requireTypeScript<typeof ts>(createRequire(url), file);
  }
  const out = transpile(typescript, await readFile(file, "utf8"), file, undefined, true);
  if (out.errors.length > 0) throw compileFailure(file, out.errors);
  return { format: "module", source: out.code, shortCircuit: true };
}
