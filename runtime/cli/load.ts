/**
 * Loading the applications of a module for `portals run` and `portals plan`: the module's
 * default export is one {@link Application} or an array of them (launched in that order).
 *
 * A module the CLI cannot use (it does not exist, does not parse or compile, needs a TypeScript
 * that is not there, exports no application) is a {@link UsageError}, exit code 2. A module
 * whose own code throws while it is imported (an application definition that does not
 * validate, say) is a {@link ModuleError}, exit code 1, like any other failure of the
 * applications; both name the module and, where there is one, the line.
 */
import { existsSync, readFileSync } from "node:fs";
import { createRequire, register } from "node:module";
import { dirname, resolve } from "node:path";
import { fileURLToPath, pathToFileURL } from "node:url";
import type { Application } from "../api/application.js";
import { exportedApplications } from "../api/exported.js";
import { errorLine, oneLine, UsageError } from "./io.js";
import { findSyntaxError } from "./syntax-check.js";
import { shown, userFrame } from "./where.js";

/** The module's own code threw while it was imported (exit code 1). */
export class ModuleError extends Error {
  override readonly name = "ModuleError";
}

/** What installs what the compiler hosts need (docs: README, "Use it in your project"). */
const INSTALL = "npm install --save-dev typescript@~5.9 ts-patch@~3.3";

/**
 * Imports the module at `modulePath` (relative to the working directory) and returns the
 * applications it default-exports, in order.
 *
 * @param modulePath path of a JavaScript or TypeScript module (TypeScript is compiled on the fly
 *   with its async operators, through `portals-ts/register`, with the project's `typescript`)
 * @returns one or more applications
 * @throws UsageError when the file does not exist, TypeScript is missing or of an unsupported
 *   version (for a `.ts` module), the module does not parse or compile, cannot be resolved, has
 *   no default export, or default-exports something other than an application or a non-empty
 *   array of applications; ModuleError when the module's code throws while it is imported
 */
export async function loadApplications(modulePath: string): Promise<Application[]> {
  const file = resolve(modulePath);
  if (!existsSync(file)) throw new UsageError(`module ${modulePath} does not exist (looked for ${file})${alternative(modulePath, file)}`);
  if (TYPESCRIPT.test(file)) {
    await checkTypeScript(modulePath, file);
    await registerCompiler();
  }
  let loaded: Record<string, unknown>;
  try {
    loaded = (await import(pathToFileURL(file).href)) as Record<string, unknown>;
  } catch (thrown) {
    throw loadFailure(modulePath, file, thrown);
  }
  try {
    return exportedApplications(loaded.default, `module ${modulePath}`);
  } catch (thrown) {
    throw new UsageError((thrown as Error).message);
  }
}

const TYPESCRIPT = /\.[cm]?tsx?$/;

/**
 * Checks that the project of `file` has a TypeScript the compiler supports, before the Node hook
 * needs it: without it the hook's failure would blame the user's module (`Cannot find module
 * 'typescript'`), and another major version fails deep inside TypeScript.
 *
 * @throws UsageError naming what was found and the command that installs a supported version
 */
async function checkTypeScript(modulePath: string, file: string): Promise<void> {
  const require = createRequire(file);
  let manifest: string;
  try {
    manifest = require.resolve("typescript/package.json");
  } catch {
    throw new UsageError(
      `cannot run ${modulePath}: the package typescript is not installed (looked from ${dirname(file)}); install it with ${INSTALL}, or build the module with tspc and run the .js file`,
    );
  }
  const { version } = JSON.parse(readFileSync(manifest, "utf8")) as { version?: unknown };
  const check = await versionCheck();
  try {
    check(version, dirname(manifest));
  } catch (thrown) {
    throw new UsageError(`cannot run ${modulePath}: ${errorLine(thrown)}`);
  }
}

/**
 * `checkTypeScriptVersion` of the compiler's hosts (`compiler/hosts/typescript-version.ts`): the
 * built module next to the built CLI, or, when the CLI runs from source under tsx, its source.
 * Loaded by URL: the runtime never imports the compiler (docs/architecture.md, "Layers").
 */
async function versionCheck(): Promise<(version: unknown, where?: string) => void> {
  type Module = { checkTypeScriptVersion?: (version: unknown, where?: string) => void };
  const built = new URL("../../compiler-cjs/compiler/hosts/typescript-version.js", import.meta.url);
  const url = existsSync(built) ? built : new URL("../../compiler/hosts/typescript-version.ts", import.meta.url);
  const loaded = (await import(url.href)) as Module & { default?: Module };
  // A CommonJS module's exports are also its default export, should Node not find their names.
  return (loaded.checkTypeScriptVersion ?? loaded.default!.checkTypeScriptVersion)!;
}

/**
 * Registers the portals Node hook (`portals-ts/register`) so a TypeScript module loads with its
 * async operators compiled: the built hook next to the built CLI, or, when the CLI itself runs
 * from source under tsx, the hook's source (tsx's hooks load it).
 */
async function registerCompiler(): Promise<void> {
  const built = new URL("../../compiler-cjs/compiler/hosts/register.js", import.meta.url);
  if (existsSync(built)) {
    await import(built.href);
    return;
  }
  const source = new URL("../../compiler/hosts/loader.ts", import.meta.url);
  if (import.meta.url.endsWith(".ts") && existsSync(source)) register(source.href, import.meta.url);
}

/** Codes of import failures that are about finding modules, not about the module's code. */
const RESOLUTION = new Set(["ERR_MODULE_NOT_FOUND", "MODULE_NOT_FOUND", "ERR_UNSUPPORTED_DIR_IMPORT", "ERR_UNKNOWN_FILE_EXTENSION", "ERR_PACKAGE_PATH_NOT_EXPORTED", "ERR_UNSUPPORTED_ESM_URL_SCHEME"]);

/** The error for an import of `file` that threw `thrown`. */
function loadFailure(modulePath: string, file: string, thrown: unknown): Error {
  const compile = compileErrors(modulePath, thrown);
  if (compile !== undefined) return new UsageError(compile);
  const code = (thrown as { code?: unknown } | null)?.code;
  if (typeof code === "string" && RESOLUTION.has(code)) return new UsageError(`cannot load module ${modulePath}: ${errorLine(thrown)}${hint(file, code)}`);
  const frame = userFrame(thrown);
  if (thrown instanceof SyntaxError && frame === undefined) return new UsageError(`module ${modulePath} does not parse: ${syntaxSite(file, thrown)}`);
  return new ModuleError(`module ${modulePath} threw while it was imported: ${errorLine(thrown)}${frame === undefined ? "" : ` (at ${frame})`}`);
}

/**
 * `message at file:line` for a syntax error the import reported without a place: CommonJS
 * errors carry `file:line` as the first line of their stack; for ES modules a child process
 * finds it (`syntax-check.ts`).
 */
function syntaxSite(file: string, thrown: SyntaxError): string {
  const first = /^(.+):(\d+)$/.exec(thrown.stack?.split("\n")[0] ?? "");
  if (first !== null) return `${thrown.message} at ${shown(first[1]!.startsWith("file:") ? fileURLToPath(first[1]!) : first[1]!)}:${first[2]}`;
  const site = findSyntaxError(file);
  if (site === undefined) return `${thrown.message} (in it or a module it imports; node --check <file> shows the line)`;
  return `${site.message} at ${shown(site.file)}${site.line === undefined ? "" : `:${site.line}`}`;
}

/**
 * The message for a module the portals hook could not compile: its error has code
 * `ERR_PORTALS_COMPILE` and one `file:line:column - message` per entry of `diagnostics`
 * (`compiler/hosts/errors.ts`), here `; `-separated.
 */
export function compileErrors(modulePath: string, thrown: unknown): string | undefined {
  const { code, diagnostics } = (thrown ?? {}) as { code?: unknown; diagnostics?: unknown };
  if (code !== "ERR_PORTALS_COMPILE" || !Array.isArray(diagnostics)) return undefined;
  return `module ${modulePath} does not compile: ${diagnostics.map((line) => oneLine(String(line))).join("; ")}`;
}

/** A fix for the usual reasons an import fails. */
function hint(file: string, code: string): string {
  if (code === "ERR_UNKNOWN_FILE_EXTENSION" && TYPESCRIPT.test(file)) {
    return " (build it with tspc and run the .js file, or run the CLI under tsx: node --import tsx)";
  }
  if (code === "ERR_UNSUPPORTED_DIR_IMPORT") return " (name the module file, e.g. <dir>/app.js)";
  return "";
}

/**
 * What to run instead of a module that does not exist: the TypeScript source of a missing `.js`
 * (not built yet, or meant to be run as it is), or the other way round.
 */
function alternative(modulePath: string, file: string): string {
  const swaps: [RegExp, string][] = [
    [/\.js$/, ".ts"],
    [/\.mjs$/, ".mts"],
    [/\.cjs$/, ".cts"],
    [/\.ts$/, ".js"],
    [/\.mts$/, ".mjs"],
    [/\.cts$/, ".cjs"],
  ];
  for (const [from, to] of swaps) {
    if (!from.test(file) || !existsSync(file.replace(from, to))) continue;
    const other = modulePath.replace(from, to);
    return to.endsWith("ts")
      ? `; ${other} exists: run it (portals run compiles TypeScript on the fly), or build it first (npx tspc) and run the built file`
      : `; ${other} exists: run that`;
  }
  if (/(^|[\\/])dist[\\/]/.test(modulePath) && !existsSync(dirname(file))) return "; build the project first (npm run build, or npx tspc)";
  return "";
}
