/**
 * `portals-ts/compiler`: the ts-patch transformer (docs/compiler.md, "Hosts"). In tsconfig.json:
 *
 *   "compilerOptions": { "plugins": [{ "transform": "portals-ts/compiler" }] }
 *
 * and build with `tspc`. It compiles every async operator callback (and the async helpers they
 * await) into a serializable machine, with the TypeScript instance that tspc hands it, and
 * reports problems as diagnostics with file and line (tspc fails the build on them). With the
 * whole program at hand it adds type-aware checks (a local whose type is not data, live across
 * an await) to the syntax-only ones every host runs.
 * Option `root` (relative to the project directory) sets what machine ids are relative to;
 * `exclude` (a regular expression) names files to leave alone.
 */
import { resolve } from "node:path";
import type * as ts from "typescript";
import { createTransformer } from "./core/transform.js";

/** The plugin entry's configuration from tsconfig.json. */
export interface PortalsPluginConfig {
  /** Directory machine ids are relative to (default: the project directory). */
  readonly root?: string;
  /** Regular expression (source text) of file paths to leave alone, e.g. `"/test/fixtures/"`. */
  readonly exclude?: string;
}

/** What ts-patch passes to a transformer besides the program (the parts used here). */
export interface TransformerExtras {
  /** The TypeScript instance of the host. */
  readonly ts: typeof ts;
  /** Reports a diagnostic through tspc. */
  addDiagnostic(diagnostic: ts.Diagnostic): number;
}

/**
 * The ts-patch "program" transformer: returns the `before` transformer factory for `program`.
 */
export default function portalsTransformer(program: ts.Program, config: PortalsPluginConfig, extras: TransformerExtras): ts.TransformerFactory<ts.SourceFile> {
  const base = program.getCurrentDirectory();
  return createTransformer(extras.ts, {
    root: config?.root ? resolve(base, config.root) : base,
    program,
    ...(config?.exclude ? { exclude: new RegExp(config.exclude) } : {}),
    onFile: (_file, result) => {
      for (const d of result.diagnostics) extras.addDiagnostic(d);
    },
  });
}
