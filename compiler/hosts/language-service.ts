/**
 * `portals-ts/language-service`: a TypeScript language-service plugin, so editors show the
 * compiler's diagnostics while typing (docs/compiler.md, "Hosts"). In tsconfig.json:
 *
 *   "compilerOptions": { "plugins": [{ "name": "portals-ts/language-service" }] }
 *
 * (editors load it from the workspace's TypeScript; in VS Code, "Use Workspace Version"). It adds
 * to each file's semantic diagnostics the ones `tspc` with the portals-ts/compiler plugin would
 * report, computed by the same transformer on the editor's program (so with its type checker),
 * without emitting anything. Option `exclude` (a regular expression) names files to leave alone.
 *
 * tsserver requires the plugin module itself to be the factory, so the CommonJS build assigns
 * `module.exports`; {@link languageServicePlugin} is the same factory for ES module importers.
 */
import type * as ts from "typescript";
import { Code } from "../core/diagnostics.js";
import { createTransformer } from "../core/transform.js";
import { projectRoot } from "./project-root.js";

/** The plugin entry's configuration from tsconfig.json `plugins`. */
export interface PortalsLanguageServiceConfig {
  /** Regular expression (source text) of file paths to leave alone. */
  readonly exclude?: string;
}

/**
 * The diagnostics the portals compiler reports for `file` of `program` (the same as tspc's),
 * without emitting. Never throws: a failure of the compiler itself is one diagnostic saying so,
 * so an editor keeps working.
 */
export function portalsDiagnostics(t: typeof ts, program: ts.Program, file: ts.SourceFile, config: PortalsLanguageServiceConfig = {}): ts.Diagnostic[] {
  const found: ts.Diagnostic[] = [];
  try {
    const transformer = createTransformer(t, {
      program,
      rootOf: projectRoot,
      ...(config.exclude ? { exclude: new RegExp(config.exclude) } : {}),
      onFile: (_file, result) => found.push(...result.diagnostics),
    });
    t.transform(file, [transformer], program.getCompilerOptions()).dispose();
  } catch (thrown) {
    found.push({
      category: t.DiagnosticCategory.Warning,
      code: Code.Internal,
      file,
      start: 0,
      length: 0,
      messageText: `portals: the compiler failed on this file (${thrown instanceof Error ? thrown.message : String(thrown)}); build with tspc to see its diagnostics`,
      source: "portals-ts",
    });
  }
  return found;
}

/**
 * The language-service plugin factory (`ts.server.PluginModuleFactory`): its `create` wraps the
 * editor's language service so `getSemanticDiagnostics` adds {@link portalsDiagnostics}.
 */
export function languageServicePlugin(modules: { typescript: typeof ts }): ts.server.PluginModule {
  const t = modules.typescript;
  return {
    create(info: ts.server.PluginCreateInfo): ts.LanguageService {
      const ls = info.languageService;
      const config = (info.config ?? {}) as PortalsLanguageServiceConfig;
      const proxy = Object.create(null) as Record<string, unknown>;
      for (const key of Object.keys(ls) as (keyof ts.LanguageService)[]) {
        const method = ls[key];
        proxy[key] = typeof method === "function" ? (...args: unknown[]) => (method as (...a: unknown[]) => unknown).apply(ls, args) : method;
      }
      proxy.getSemanticDiagnostics = (fileName: string): ts.Diagnostic[] => {
        const prior = ls.getSemanticDiagnostics(fileName);
        const program = ls.getProgram();
        const file = program?.getSourceFile(fileName);
        if (program === undefined || file === undefined || file.isDeclarationFile) return prior;
        return [...prior, ...portalsDiagnostics(t, program, file, config)];
      };
      return proxy as unknown as ts.LanguageService;
    },
  };
}

// tsserver `require`s the plugin and calls what it gets; in the ES module build there is no `module`.
if (typeof module === "object" && module !== null && typeof module.exports === "object") {
  module.exports = Object.assign(languageServicePlugin, { languageServicePlugin, portalsDiagnostics });
}
