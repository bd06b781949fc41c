/**
 * `portals-ts/vite`: the Vite (and Vitest) plugin. Vite and Vitest ignore tsconfig `plugins`,
 * so this plugin runs the same transformer on every TypeScript module of the project before
 * Vite's own TypeScript handling (docs/compiler.md, "Hosts"). Modules without async operators
 * pass untouched.
 *
 *   import { portals } from "portals-ts/vite";
 *   export default defineConfig({ plugins: [portals()] });
 *
 * Compile errors fail the module's transform with a `CompileFailure` (`errors.ts`): code
 * `ERR_PORTALS_COMPILE` (Rollup's build moves it to `pluginCode`), its lines in `diagnostics`.
 */
import type * as ts from "typescript";
import { compileFailure } from "./errors.js";
import { checkTypeScriptVersion, requireTypeScript } from "./typescript-version.js";
import { transpile } from "./transpile.js";

/** Options of {@link portals}. */
export interface PortalsViteOptions {
  /**
   * Directory machine ids are relative to (default: each module's package, the nearest directory
   * with a package.json, as for every host, so ids do not depend on Vite's root).
   */
  readonly root?: string;
  /** The TypeScript instance to use (default: the project's `typescript`). */
  readonly typescript?: typeof ts;
  /** Modules to leave alone (matched against the module id), e.g. type-only test files. */
  readonly exclude?: RegExp;
}

/** The subset of Vite's plugin interface this plugin implements. */
export interface PortalsVitePlugin {
  /** The plugin's name, `portals-ts`. */
  readonly name: string;
  /** Runs before Vite's own TypeScript handling. */
  readonly enforce: "pre";
  /** Compiles the async operators of a TypeScript module; `null` leaves the module to Vite. */
  transform(code: string, id: string): { code: string; map: string | undefined } | null;
}

const SOURCE = /\.[cm]?tsx?$/;

/** The portals compiler as a Vite plugin; see the module header. */
export function portals(options: PortalsViteOptions = {}): PortalsVitePlugin {
  let typescript = options.typescript;
  if (typescript !== undefined) checkTypeScriptVersion(typescript.version);
  return {
    name: "portals-ts",
    enforce: "pre",
    transform(code, id) {
      const file = id.split("?")[0]!;
      if (!SOURCE.test(file) || file.includes("/node_modules/") || options.exclude?.test(file)) return null;
      if (!code.includes("async") && !code.includes(".reply(")) return null;
      if (typescript === undefined) {
        typescript = requireTypeScript<typeof ts>(require, file);
      }
      const out = transpile(typescript, code, file, options.root);
      // Thrown: Vite and Rollup pass an error thrown by a hook through this.error, properties kept.
      if (out.errors.length > 0) throw compileFailure(file, out.errors);
      if (out.machines === 0) return null;
      return { code: out.code, map: out.map };
    },
  };
}
