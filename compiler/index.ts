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
 *
 * `tspc --noEmit` reports the same diagnostics: ts-patch builds the transformers even when
 * nothing is emitted, and then this entry checks every file of the program without emitting.
 * A configuration under which operators would be lowered by TypeScript before it sees them (a
 * `target` below ES2017) or after its own transformers ran (`"after": true`, or
 * `"afterDeclarations": true`) is refused with a diagnostic, never built into code that runs
 * operators natively. ts-patch keeps `after` to itself and picks the transformer of that kind
 * from the object this entry returns, so the `after` transformers are the ones that refuse.
 *
 * Option `root` (relative to the project directory) sets what machine ids are relative to
 * (default: each file's package); `exclude` (a regular expression) names files to leave alone.
 */
import { resolve } from "node:path";
import type * as ts from "typescript";
import { Code } from "./core/diagnostics.js";
import { createTransformer } from "./core/transform.js";
import { projectRoot } from "./hosts/project-root.js";
import { checkTypeScriptVersion } from "./hosts/typescript-version.js";

/** The plugin entry's configuration from tsconfig.json. */
export interface PortalsPluginConfig {
  /** Directory machine ids are relative to, relative to the project (default: each file's package). */
  readonly root?: string;
  /** Regular expression (source text) of file paths to leave alone, e.g. `"/test/fixtures/"`. */
  readonly exclude?: string;
}

/** The transformers of the plugin, by the kind ts-patch picks (see the module header). */
export interface PortalsTransformers {
  /** The compiler (the kind of a plugin entry without `after`). */
  readonly before: ts.TransformerFactory<ts.SourceFile>;
  /** Refuses the configuration with a diagnostic: by then TypeScript has lowered `async`. */
  readonly after: ts.TransformerFactory<ts.SourceFile>;
  /** Refuses the configuration with a diagnostic, as `after`. */
  readonly afterDeclarations: ts.TransformerFactory<ts.SourceFile | ts.Bundle>;
}

/** What ts-patch passes to a transformer besides the program (the parts used here). */
export interface TransformerExtras {
  /** The TypeScript instance of the host. */
  readonly ts: typeof ts;
  /** Reports a diagnostic through tspc. */
  addDiagnostic(diagnostic: ts.Diagnostic): number;
}

/**
 * The ts-patch "program" transformer: returns the transformers for `program` (a `before` that
 * changes nothing when the program emits nothing or is misconfigured; see the module header).
 */
export default function portalsTransformer(program: ts.Program, config: PortalsPluginConfig, extras: TransformerExtras): PortalsTransformers {
  checkTypeScriptVersion(extras.ts.version);
  const t = extras.ts;
  const base = program.getCurrentDirectory();
  const keep: ts.TransformerFactory<ts.SourceFile> = () => (file) => file;
  let lateReported = false;
  const late = <N extends ts.Node>(): ts.Transformer<N> => (node) => {
    if (!lateReported) extras.addDiagnostic(configurationError(t, LATE));
    lateReported = true;
    return node;
  };
  const options = program.getCompilerOptions();
  const problem = configurationProblem(t, options);
  if (problem !== undefined) {
    extras.addDiagnostic(configurationError(t, problem));
    return { before: keep, after: late, afterDeclarations: late };
  }
  const transformer = createTransformer(t, {
    ...(config?.root ? { root: resolve(base, config.root) } : {}),
    rootOf: projectRoot,
    program,
    ...(config?.exclude ? { exclude: new RegExp(config.exclude) } : {}),
    onFile: (_file, result) => {
      for (const d of result.diagnostics) extras.addDiagnostic(d);
    },
  });
  if (options.noEmit || options.emitDeclarationOnly) {
    // Nothing will be transformed: check every file here, so the diagnostics still come out.
    const files = program.getSourceFiles().filter((f) => !f.isDeclarationFile && !program.isSourceFileFromExternalLibrary(f));
    t.transform(files, [transformer], options).dispose();
    return { before: keep, after: late, afterDeclarations: late };
  }
  return { before: transformer, after: late, afterDeclarations: late };
}

/** Why a plugin entry that runs after TypeScript's own transformers cannot compile operators. */
const LATE =
  'the portals-ts/compiler plugin runs "after" TypeScript\'s own transformers, which have lowered async functions by then; ' +
  'remove "after" (and "afterDeclarations") from its entry in tsconfig.json "plugins"';

/** The diagnostic of a configuration problem (no file: it is the project's). */
function configurationError(t: typeof ts, problem: string): ts.Diagnostic {
  return { category: t.DiagnosticCategory.Error, code: Code.Configuration, file: undefined, start: undefined, length: undefined, messageText: `portals: ${problem}`, source: "portals-ts" };
}

/** Why operators cannot be compiled with these options, or `undefined` when they can. */
function configurationProblem(t: typeof ts, options: ts.CompilerOptions): string | undefined {
  const target = options.target ?? t.ScriptTarget.ES5;
  if (target < t.ScriptTarget.ES2017) {
    return `compilerOptions.target is ${t.ScriptTarget[target]}, below ES2017: TypeScript would lower async operators to generators, which cannot be suspended into snapshots; set "target" to "ES2017" or later (ES2022 recommended)`;
  }
  return undefined;
}
