/**
 * `portals-ts/esbuild`: the esbuild plugin. esbuild
 * ignores tsconfig `plugins`, so the plugin runs the same transformer as the Vite plugin on every
 * TypeScript module of the project, before esbuild's own TypeScript loader (docs/compiler.md,
 * "Hosts"). Modules without async operators are left to that loader.
 *
 *   import { portals } from "portals-ts/esbuild";
 *   await esbuild.build({ entryPoints: ["src/app.ts"], bundle: true, plugins: [portals()] });
 *
 * A module that does not compile adds one esbuild error per diagnostic, with its file, line and
 * column, so the build fails with them.
 */
import { readFile } from "node:fs/promises";
import { createRequire } from "node:module";
import type * as esbuild from "esbuild";
import type * as ts from "typescript";
import { checkTypeScriptVersion, requireTypeScript } from "./typescript-version.js";
import { transpile } from "./transpile.js";

/** Options of {@link portals}. */
export interface PortalsEsbuildOptions {
  /**
   * Directory machine ids are relative to (default: each module's package, the nearest directory
   * with a package.json, as for every host, so ids do not depend on esbuild's working directory).
   */
  readonly root?: string;
  /** The TypeScript instance to use (default: the `typescript` each module's project resolves). */
  readonly typescript?: typeof ts;
  /** Modules to leave alone (matched against the module's path), e.g. type-only test files. */
  readonly exclude?: RegExp;
}

/** The modules the plugin compiles (esbuild matches `onLoad` filters with Go's regexp syntax). */
const SOURCE = /\.[cm]?tsx?$/;
const NODE_MODULES = /[\\/]node_modules[\\/]/;
const DIAGNOSTIC = /^(.*?):(\d+):(\d+) - ([\s\S]*)$/;

/**
 * The portals compiler as an esbuild plugin; see the module header. Its `onLoad` compiles the
 * `.ts`, `.tsx`, `.mts` and `.cts` files outside node_modules that have async operators (a
 * `.tsx` module keeps its JSX for esbuild) and leaves every other module to esbuild.
 *
 * @throws Error when `options.typescript` is not TypeScript ~5.9; a module's build, when the
 *   TypeScript its project resolves is missing or another version (as an esbuild error)
 */
export function portals(options: PortalsEsbuildOptions = {}): esbuild.Plugin {
  let typescript = options.typescript;
  if (typescript !== undefined) checkTypeScriptVersion(typescript.version);
  return {
    name: "portals-ts",
    setup(build) {
      build.onLoad({ filter: SOURCE, namespace: "file" }, async ({ path }) => {
        if (NODE_MODULES.test(path) || options.exclude?.test(path)) return undefined;
        const code = await readFile(path, "utf8");
        if (!code.includes("async") && !code.includes(".reply(")) return undefined;
        typescript ??= requireTypeScript<typeof ts>(createRequire(path), path);
        const out = transpile(typescript, code, path, options.root, true);
        if (out.errors.length > 0) return { errors: out.errors.map((line) => located(line, code)) };
        if (out.machines === 0) return undefined;
        // The inline source map points at the TypeScript; esbuild maps its output through it.
        return { contents: out.code, loader: path.endsWith("x") ? "jsx" : "js" };
      });
    },
  };
}

/**
 * An esbuild message from a `file:line:column - message` diagnostic of `code`. esbuild counts
 * columns from 0 in UTF-8 bytes, TypeScript from 1 in UTF-16 units.
 */
function located(diagnostic: string, code: string): esbuild.PartialMessage {
  const match = DIAGNOSTIC.exec(diagnostic);
  if (match === null) return { text: diagnostic };
  const [, file, line, column, text] = match;
  const lineText = code.split(/\r?\n/)[Number(line) - 1] ?? "";
  return { text, location: { file, line: Number(line), column: Buffer.byteLength(lineText.slice(0, Number(column) - 1)), lineText } };
}
