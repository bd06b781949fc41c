/**
 * `portals-ts/esbuild`: the esbuild plugin, and the bundler `portals deploy` uses. esbuild
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
import { resolve } from "node:path";
import { pathToFileURL } from "node:url";
import type * as esbuild from "esbuild";
import type * as ts from "typescript";
import { compileFailure } from "./errors.js";
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

/** A module bundled for a deployment by {@link bundleDeployment}. */
export interface DeploymentBundle {
  /** One ES module for Node 20, with an inline source map to the sources. */
  readonly code: string;
  /** esbuild's warnings, `file:line:column - message` each (paths relative to the working directory). */
  readonly warnings: string[];
}

/**
 * Lets the CommonJS dependencies bundled into an ES module `require` Node's built-ins (esbuild's
 * shim throws `Dynamic require of "events" is not supported` without a `require` in scope).
 */
const REQUIRE = 'import { createRequire as __portalsCreateRequire } from "node:module";\nconst require = __portalsCreateRequire(import.meta.url);';

/**
 * Bundles the module `entry` (a `.ts` or `.js` file whose default export is an application or an
 * array of them) into one ES module for Node 20, for `portals deploy`: its TypeScript compiled
 * with the {@link portals} plugin, the npm packages it imports bundled in, and `portals-ts`, its
 * subpaths and Node's built-ins left as imports, so the bundle runs against the portals-ts
 * installed where it is deployed. The inline source map's `sourceRoot` is the working directory,
 * so stack traces (`node --enable-source-maps`) name the user's files and lines wherever the
 * bundle is written. esbuild and TypeScript are the ones `entry`'s project resolves.
 *
 * @param entry path of the module, relative to the working directory or absolute
 * @returns the bundle's text and esbuild's warnings
 * @throws CompileFailure (`errors.ts`, its `file` is `entry`) when a module does not compile or
 *   esbuild cannot bundle it: one `file:line:column - message` per problem in `diagnostics` and
 *   the message, paths relative to the working directory, columns counted as TypeScript does;
 *   Error when esbuild is not installed where `entry` can find it
 */
export async function bundleDeployment(entry: string): Promise<DeploymentBundle> {
  const file = resolve(entry);
  try {
    const result = await requireEsbuild(file).build({
      entryPoints: [file],
      bundle: true,
      write: false,
      platform: "node",
      format: "esm",
      target: "node20",
      // Its subpaths too (portals-ts/machine): esbuild leaves out a package's subpaths with it.
      external: ["portals-ts"],
      sourcemap: "inline",
      sourceRoot: pathToFileURL(process.cwd()).href + "/",
      banner: { js: REQUIRE },
      logLevel: "silent",
      plugins: [portals()],
    });
    return { code: result.outputFiles[0]!.text, warnings: result.warnings.map(formatMessage) };
  } catch (thrown) {
    const errors = (thrown as { errors?: unknown } | null)?.errors;
    if (!Array.isArray(errors)) throw thrown;
    throw compileFailure(entry, (errors as esbuild.Message[]).map(formatMessage));
  }
}

/** `file:line:column - message` of an esbuild message, the column counted as TypeScript does. */
function formatMessage({ text, location }: esbuild.Message): string {
  if (location === null) return text;
  const column = Buffer.from(location.lineText).subarray(0, location.column).toString().length + 1;
  return `${location.file}:${location.line}:${column} - ${text}`;
}

/**
 * The esbuild that the project of `from` (a file) resolves.
 *
 * @throws Error naming the install command when there is none
 */
function requireEsbuild(from: string): typeof esbuild {
  try {
    return createRequire(from)("esbuild") as typeof esbuild;
  } catch (thrown) {
    if ((thrown as { code?: unknown } | null)?.code !== "MODULE_NOT_FOUND") throw thrown;
    throw new Error(`portals-ts needs esbuild ~0.28 to bundle a deployment, and none is installed where ${from} can find it; install it: npm install --save-dev esbuild@~0.28`);
  }
}
