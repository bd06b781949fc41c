/**
 * Completion and hover for the editor: TypeScript's language service over the compiler's virtual
 * file system (`compile.ts`), so that `portals-ts`'s declarations, with their doc comments, are
 * what the editor proposes and explains. Its source files are cached by a document registry, so
 * the library is parsed once, and the module is re-read only when its text changed.
 */
import * as ts from "typescript";
import { DEFAULT_LIB, directoryExists, GLOBALS_FILE, OPTIONS, ROOT, type ModuleCompiler, type Source } from "./compile.js";

/** A completion: what is inserted and what kind of thing it is. */
export interface CompletionOption {
  readonly label: string;
  /** CodeMirror's completion type (`function`, `variable`, `class`, `property`, `keyword`, …). */
  readonly type: string;
}

/** Completions at a position: they replace the text from `from` to the position. */
export interface Completions {
  readonly from: number;
  readonly options: readonly CompletionOption[];
}

/** What hovering over a position shows: the declaration and its documentation, over `from`–`to`. */
export interface HoverInfo {
  readonly from: number;
  readonly to: number;
  readonly signature: string;
  readonly documentation: string;
}

/** Completions and hovers over the compiler's files. */
export class Assistant {
  private readonly service: ts.LanguageService;
  private file = "";

  constructor(private readonly compiler: ModuleCompiler) {
    const files = compiler.files;
    const host: ts.LanguageServiceHost = {
      getScriptFileNames: () => [this.file, GLOBALS_FILE],
      getScriptVersion: (name) => String(compiler.version(name)),
      getScriptSnapshot: (name) => {
        const text = files.get(name);
        return text === undefined ? undefined : ts.ScriptSnapshot.fromString(text);
      },
      getCompilationSettings: () => OPTIONS,
      getDefaultLibFileName: () => DEFAULT_LIB,
      getCurrentDirectory: () => ROOT,
      fileExists: (name) => files.has(name),
      readFile: (name) => files.get(name),
      directoryExists: (name) => directoryExists(files, name),
      getDirectories: () => [],
    };
    this.service = ts.createLanguageService(host, ts.createDocumentRegistry());
  }

  /** The completions at offset `at` of the module of `source`. */
  completions(source: Source, at: number): Completions {
    const file = this.update(source);
    const text = source.text;
    const found = this.service.getCompletionsAtPosition(file, at, { includeCompletionsWithInsertText: true });
    let from = at;
    while (from > 0 && /[\w$]/.test(text[from - 1]!)) from--;
    if (found === undefined) return { from, options: [] };
    const options = found.entries.filter((e) => !e.name.startsWith("__")).map((e) => ({ label: e.name, type: TYPES[e.kind] ?? "text" }));
    return { from, options };
  }

  /** What hovering at offset `at` of the module of `source` shows, or `undefined` over nothing with a type. */
  hover(source: Source, at: number): HoverInfo | undefined {
    const file = this.update(source);
    const info = this.service.getQuickInfoAtPosition(file, at);
    if (info === undefined) return undefined;
    const documentation = [ts.displayPartsToString(info.documentation), ...(info.tags ?? []).map((t) => `@${t.name} ${ts.displayPartsToString(t.text)}`)].filter((s) => s.trim() !== "").join("\n");
    return { from: info.textSpan.start, to: info.textSpan.start + info.textSpan.length, signature: ts.displayPartsToString(info.displayParts), documentation };
  }

  private update(source: Source): string {
    this.file = this.compiler.load(source);
    return this.file;
  }
}

/** CodeMirror's completion types for TypeScript's kinds of entries. */
const TYPES: Readonly<Record<string, string>> = {
  function: "function",
  method: "method",
  "local function": "function",
  var: "variable",
  let: "variable",
  const: "constant",
  "local var": "variable",
  parameter: "variable",
  property: "property",
  getter: "property",
  setter: "property",
  class: "class",
  interface: "interface",
  type: "type",
  enum: "enum",
  "enum member": "enum",
  module: "namespace",
  alias: "namespace",
  keyword: "keyword",
  string: "text",
};
