/**
 * The playground's compiler: one module of the editor through TypeScript 5.9 with this project's
 * transformer (the same `createTransformer` that `tspc` runs), in the worker, with no server. The
 * program is the user's module, the ES2022 library and the declarations of `portals-ts` from a
 * virtual file system, type checked with the whole program so that the transformer's type-aware
 * checks run as under `tspc`. Output is CommonJS so that the runner can hand the module its
 * imports (`portals-ts`, `portals-ts/machine`) without a module loader, or, for a deployment to a
 * server, an ES module that imports them (the server links its own copy of the package).
 *
 * Recompiling after an edit reuses the previous program (`oldProgram`): the library's source
 * files are parsed once per worker.
 */
import ts from "typescript";
import { createTransformer } from "../../compiler/core/transform.js";

/** A problem in the module, from TypeScript or from the portals compiler. */
export interface Problem {
  /** `typescript` (syntax and types) or `portals` (the continuation compiler). */
  readonly source: "typescript" | "portals";
  /** 1-based line and column of the start, and the offsets of the range in the text. */
  readonly line: number;
  readonly column: number;
  readonly from: number;
  readonly to: number;
  readonly message: string;
  readonly severity: "error" | "warning";
}

/** What the output is: CommonJS to run in the worker, or an ES module to deploy. */
export type OutputFormat = "commonjs" | "esm";

/** The result of {@link ModuleCompiler.compile}. */
export interface Compiled {
  /** JavaScript in the format asked for, or `undefined` when there are errors. */
  readonly code: string | undefined;
  readonly problems: readonly Problem[];
  /** Functions compiled into machines. */
  readonly machines: number;
  /** Wall time of the compile, in milliseconds. */
  readonly ms: number;
}

/**
 * The folder of the editor's module in the virtual file system; machine ids are relative to it,
 * so a module at `examples/ping-pong/app.ts` has the ids the repository's build gives it.
 */
export const ROOT = "/playground";
/** The module's path under {@link ROOT} when none is given. */
export const DEFAULT_PATH = "app.ts";
const LIB_DIR = "/lib/";
/** Where the package's declarations are, as in an installed package (the compiler knows its builders by that path). */
const PACKAGE_DIR = "/node_modules/portals-ts/dist/runtime/";

/** The declaration files the program can read: TypeScript's libraries and portals-ts, by path. */
export interface Declarations {
  /** `lib.*.d.ts` file name → text. */
  readonly libs: Readonly<Record<string, string>>;
  /** Path under the package's `dist/runtime/` (e.g. `index.d.ts`) → text. */
  readonly portals: Readonly<Record<string, string>>;
}

/** Ambient declarations of what a worker has besides ES2022 (what examples may use). */
const GLOBALS = `declare var console: { log(...data: unknown[]): void; info(...data: unknown[]): void; warn(...data: unknown[]): void; error(...data: unknown[]): void };
declare function setTimeout(handler: () => void, ms?: number): number;
declare function clearTimeout(id: number | undefined): void;
`;

/** The options of the module's program (CommonJS output; a deployment's is ES2022). */
export const OPTIONS: ts.CompilerOptions = {
  target: ts.ScriptTarget.ES2022,
  module: ts.ModuleKind.CommonJS,
  moduleResolution: ts.ModuleResolutionKind.Node10,
  lib: ["lib.es2022.d.ts"],
  strict: true,
  skipLibCheck: true,
  noEmitOnError: false,
  esModuleInterop: true,
  types: [],
  baseUrl: "/",
  paths: {
    // The browser entry's declarations: what runs in the page (no file sinks or stores).
    "portals-ts": [`${PACKAGE_DIR}browser.d.ts`],
    "portals-ts/machine": [`${PACKAGE_DIR}machine.d.ts`],
    "portals-ts/testing": [`${PACKAGE_DIR}testing/index.d.ts`],
    "portals-ts/sql": [`${PACKAGE_DIR}sql/index.d.ts`],
  },
};

/** TypeScript's default library in the virtual file system. */
export const DEFAULT_LIB = LIB_DIR + "lib.es2022.d.ts";
/** Ambient declarations every program includes. */
export const GLOBALS_FILE = LIB_DIR + "globals.d.ts";

/** Compiles the editor's module; keeps the last program to reuse its library files. */
export class ModuleCompiler {
  /** The virtual file system: path → text (the module's file changes with {@link load}). */
  readonly files = new Map<string, string>();
  private readonly parsed = new Map<string, ts.SourceFile>();
  private readonly previous = new Map<OutputFormat, ts.Program>();
  /** The module's file now. */
  private module: string | undefined;

  constructor(declarations: Declarations) {
    for (const [name, text] of Object.entries(declarations.libs)) this.files.set(LIB_DIR + name, text);
    for (const [name, text] of Object.entries(declarations.portals)) this.files.set(PACKAGE_DIR + name, text);
    this.files.set(GLOBALS_FILE, GLOBALS);
  }

  /** Puts `text` in the file system as the module at `path`; returns its file name. */
  load(text: string, path = DEFAULT_PATH): string {
    const file = `${ROOT}/${path}`;
    if (this.module !== file) {
      if (this.module !== undefined) this.files.delete(this.module);
      this.module = file;
    }
    if (this.files.get(file) !== text) {
      this.files.set(file, text);
      this.parsed.delete(file);
    }
    return file;
  }

  /**
   * Compiles `text` as the module at `path` (relative, e.g. `app.ts` or
   * `examples/ping-pong/app.ts`); never throws for problems in the text (they are in `problems`).
   */
  compile(text: string, format: OutputFormat = "commonjs", path = DEFAULT_PATH): Compiled {
    const started = performance.now();
    const file = this.load(text, path);
    const options = format === "commonjs" ? OPTIONS : { ...OPTIONS, module: ts.ModuleKind.ES2022 };
    const old = this.previous.get(format);
    const program = ts.createProgram({ rootNames: [file, GLOBALS_FILE], options, host: this.host(), ...(old ? { oldProgram: old } : {}) });
    this.previous.set(format, program);
    const source = program.getSourceFile(file)!;
    const problems: Problem[] = [...program.getSyntacticDiagnostics(source), ...program.getSemanticDiagnostics(source), ...program.getOptionsDiagnostics()].map((d) => problem(d, "typescript"));
    let code: string | undefined;
    let machines = 0;
    const compiler: Problem[] = [];
    program.emit(
      source,
      (name, out) => {
        if (name.endsWith(".js")) code = out;
      },
      undefined,
      false,
      {
        before: [
          createTransformer(ts, {
            root: ROOT,
            program,
            onFile: (_file, result) => {
              machines += result.machines;
              for (const d of result.diagnostics) compiler.push(problem(d, "portals"));
            },
          }),
        ],
      },
    );
    problems.push(...compiler);
    const failed = problems.some((p) => p.severity === "error");
    return { code: failed ? undefined : code, problems, machines, ms: performance.now() - started };
  }

  private host(): ts.CompilerHost {
    const files = this.files;
    const parsed = this.parsed;
    return {
      getSourceFile: (name, version) => {
        let file = parsed.get(name);
        if (file === undefined) {
          const text = files.get(name);
          if (text === undefined) return undefined;
          file = ts.createSourceFile(name, text, version);
          parsed.set(name, file);
        }
        return file;
      },
      getDefaultLibFileName: () => DEFAULT_LIB,
      getDefaultLibLocation: () => LIB_DIR.slice(0, -1),
      writeFile: () => undefined,
      getCurrentDirectory: () => ROOT,
      getCanonicalFileName: (name) => name,
      useCaseSensitiveFileNames: () => true,
      getNewLine: () => "\n",
      fileExists: (name) => files.has(name),
      readFile: (name) => files.get(name),
      directoryExists: (name) => directoryExists(files, name),
      getDirectories: () => [],
    };
  }
}

/** Whether some file of `files` is under directory `name`. */
export function directoryExists(files: ReadonlyMap<string, string>, name: string): boolean {
  const prefix = name.endsWith("/") ? name : name + "/";
  for (const f of files.keys()) if (f.startsWith(prefix)) return true;
  return false;
}

function problem(d: ts.Diagnostic, source: Problem["source"]): Problem {
  const message = ts.flattenDiagnosticMessageText(d.messageText, "\n");
  const severity = d.category === ts.DiagnosticCategory.Error ? "error" : "warning";
  if (d.file === undefined || d.start === undefined) return { source, line: 1, column: 1, from: 0, to: 0, message, severity };
  const { line, character } = d.file.getLineAndCharacterOfPosition(d.start);
  return { source, line: line + 1, column: character + 1, from: d.start, to: d.start + (d.length ?? 0), message, severity };
}
