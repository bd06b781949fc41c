/**
 * Loading the applications of a module for `portals run` and `portals plan`: the module's
 * default export is one {@link Application} or an array of them (launched in that order).
 */
import { existsSync } from "node:fs";
import { register } from "node:module";
import { resolve } from "node:path";
import { pathToFileURL } from "node:url";
import { Application } from "../api/application.js";
import { errorLine, oneLine, UsageError } from "./io.js";

/**
 * Imports the module at `modulePath` (relative to the working directory) and returns the
 * applications it default-exports, in order.
 *
 * @param modulePath path of a JavaScript or TypeScript module (TypeScript is compiled on the fly
 *   with its async operators, through `portals-ts/register`)
 * @returns one or more applications
 * @throws UsageError when the file does not exist, cannot be imported (the import's error is
 *   quoted), has no default export, or default-exports something other than an application or a
 *   non-empty array of applications
 */
export async function loadApplications(modulePath: string): Promise<Application[]> {
  const file = resolve(modulePath);
  if (!existsSync(file)) throw new UsageError(`module ${modulePath} does not exist (looked for ${file})`);
  if (TYPESCRIPT.test(file)) await registerCompiler();
  let loaded: Record<string, unknown>;
  try {
    loaded = (await import(pathToFileURL(file).href)) as Record<string, unknown>;
  } catch (thrown) {
    throw new UsageError(compileErrors(modulePath, thrown) ?? `cannot load module ${modulePath}: ${errorLine(thrown)}${hint(file, thrown)}`);
  }
  const exported = loaded.default;
  const fix = "end the module with `export default PortalsApp(name, (app) => { ... })` or an array of applications";
  if (exported === undefined) throw new UsageError(`module ${modulePath} has no default export; ${fix}`);
  const apps: unknown[] = Array.isArray(exported) ? exported : [exported];
  if (apps.length === 0) throw new UsageError(`module ${modulePath} default-exports an empty array; ${fix}`);
  apps.forEach((app, i) => {
    if (!(app instanceof Application)) {
      const where = Array.isArray(exported) ? `element ${i} of the default export` : "the default export";
      throw new UsageError(`module ${modulePath}: ${where} is ${what(app)}, not an application; ${fix}`);
    }
  });
  return apps as Application[];
}

const TYPESCRIPT = /\.[cm]?tsx?$/;

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

/**
 * The message for a module the portals hook could not compile: its error has code
 * `ERR_PORTALS_COMPILE` and one `file:line:column - message` per entry of `diagnostics`
 * (`compiler/hosts/errors.ts`), here `; `-separated.
 */
function compileErrors(modulePath: string, thrown: unknown): string | undefined {
  const { code, diagnostics } = (thrown ?? {}) as { code?: unknown; diagnostics?: unknown };
  if (code !== "ERR_PORTALS_COMPILE" || !Array.isArray(diagnostics)) return undefined;
  return `module ${modulePath} does not compile: ${diagnostics.map((line) => oneLine(String(line))).join("; ")}`;
}

/** A fix for the usual reasons an import fails. */
function hint(file: string, thrown: unknown): string {
  const code = (thrown as { code?: unknown } | null)?.code;
  if (code === "ERR_UNKNOWN_FILE_EXTENSION" && /\.[cm]?tsx?$/.test(file)) {
    return " (build it with tspc and run the .js file, or run the CLI under tsx: node --import tsx)";
  }
  if (code === "ERR_UNSUPPORTED_DIR_IMPORT") return " (name the module file, e.g. <dir>/app.js)";
  return "";
}

/** A short description of a value for error messages. */
function what(value: unknown): string {
  if (value === null) return "null";
  if (typeof value === "function") return `a function (${value.name || "anonymous"}); call it and export its result`;
  if (typeof value === "object" && value.constructor?.name === "Application") {
    return "an application built with another copy of portals-ts (import PortalsApp from the portals-ts the CLI belongs to)";
  }
  if (typeof value === "object") return `an object (${value.constructor?.name ?? "no prototype"})`;
  return `a ${typeof value} (${String(value)})`;
}
