/**
 * One file through TypeScript's own emit with the portals transformer, for the hosts that do
 * not run a whole program (the Vite plugin and the Node hook). Type-only syntax is erased the
 * way `isolatedModules` does; the output is ES module JavaScript with a source map that points
 * at the user's lines.
 */
import { resolve } from "node:path";
import type * as ts from "typescript";
import { createTransformer } from "../core/transform.js";
import { projectRoot } from "./project-root.js";

/** The result of {@link transpile}. */
export interface Transpiled {
  /** JavaScript (ES module). */
  readonly code: string;
  /** Source map (JSON) of `code` back to the input. */
  readonly map: string | undefined;
  /** Number of functions compiled into machines (0: the input had no async operators). */
  readonly machines: number;
  /** Compile errors, formatted `file:line:column - message`, one per entry. */
  readonly errors: readonly string[];
}

/**
 * Transpiles `code` (TypeScript or JavaScript) from `fileName`, compiling its async operators.
 * `errors` has TypeScript's syntax errors first, then the portals compiler's.
 *
 * @param t the host's TypeScript instance
 * @param root the directory machine ids are relative to (default: the file's package, as every
 *   host computes it)
 */
export function transpile(t: typeof ts, code: string, fileName: string, root?: string, inlineMap = false): Transpiled {
  let machines = 0;
  const errors: string[] = [];
  const out = t.transpileModule(code, {
    fileName,
    // Syntax errors: without them a broken file would load as whatever TypeScript recovered.
    reportDiagnostics: true,
    compilerOptions: {
      module: t.ModuleKind.ESNext,
      target: t.ScriptTarget.ES2022,
      jsx: t.JsxEmit.Preserve,
      sourceMap: !inlineMap,
      inlineSourceMap: inlineMap,
      inlineSources: true,
    },
    transformers: {
      before: [
        createTransformer(t, {
          // Against the working directory here: the compiler core takes absolute directories only.
          ...(root !== undefined ? { root: resolve(root) } : {}),
          rootOf: projectRoot,
          onFile: (file, result) => {
            machines += result.machines;
            for (const d of result.diagnostics) errors.push(formatDiagnostic(t, d));
          },
        }),
      ],
    },
  });
  errors.unshift(...(out.diagnostics ?? []).map((d) => formatDiagnostic(t, d)));
  return { code: out.outputText, map: out.sourceMapText, machines, errors };
}

/** `file:line:column - message` of a diagnostic. */
export function formatDiagnostic(t: typeof ts, d: ts.Diagnostic): string {
  const message = t.flattenDiagnosticMessageText(d.messageText, "\n");
  if (d.file === undefined || d.start === undefined) return message;
  const { line, character } = d.file.getLineAndCharacterOfPosition(d.start);
  return `${d.file.fileName}:${line + 1}:${character + 1} - ${message}`;
}
