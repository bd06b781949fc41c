/**
 * The playground's compiler: the editor's module through TypeScript 5.9 with this project's
 * transformer (the same `createTransformer` that `tspc` runs), in the worker, with no server. The
 * program is the user's module, the files of its example it imports (read-only siblings such as
 * the shopping cart's `cart.ts`), the ES2022 library and the declarations of `portals-ts` and
 * `pure-rand` from a virtual file system, type checked with the whole program so that the
 * transformer's type-aware checks run as under `tspc`. Output is CommonJS, one module per file,
 * so that the runner can hand each its imports without a module loader, or, for a deployment to
 * a server, an ES module that imports them (the server links its own copy of the package).
 *
 * Recompiling after an edit reuses the previous program (`oldProgram`): the library's source
 * files are parsed once per worker.
 */
import * as ts from "typescript";
import { createTransformer } from "../../compiler/core/transform.js";

/** A problem in the module, from TypeScript or from the portals compiler. */
export interface Problem {
  /** `typescript` (syntax and types) or `portals` (the continuation compiler). */
  readonly source: "typescript" | "portals";
  /** The file under {@link ROOT} when the problem is in one of the module's other files, not in the module. */
  readonly file?: string;
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

/** A file of the program besides the module: a sibling of an example's module, by its path under {@link ROOT}. */
export interface SourceFile {
  readonly path: string;
  readonly text: string;
}

/** What is compiled: the editor's `text` as the module at `path` (default {@link DEFAULT_PATH}), and the `files` it may import. */
export interface Source {
  readonly text: string;
  readonly path?: string;
  readonly files?: readonly SourceFile[];
}

/** The result of {@link ModuleCompiler.compile}. */
export interface Compiled {
  /** The module's JavaScript in the format asked for, or `undefined` when there are errors. */
  readonly code: string | undefined;
  /** CommonJS of every file (the module's too) by its path under {@link ROOT} with `.js`; empty when there are errors. */
  readonly modules: Readonly<Record<string, string>>;
  /** The source map (JSON text) of each of {@link modules}, by the same path (CommonJS only). */
  readonly maps: Readonly<Record<string, string>>;
  /** The module's path under {@link ROOT} with `.js`. */
  readonly path: string;
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
/** Where pure-rand's declarations are (its subpaths, e.g. `pure-rand/distribution/uniformInt`, map into it). */
const PURE_RAND_DIR = "/node_modules/pure-rand/lib/";

/** The declaration files the program can read: TypeScript's libraries, portals-ts and pure-rand, by path. */
export interface Declarations {
  /** `lib.*.d.ts` file name → text. */
  readonly libs: Readonly<Record<string, string>>;
  /** Path under the package's `dist/runtime/` (e.g. `index.d.ts`) → text. */
  readonly portals: Readonly<Record<string, string>>;
  /** Path under pure-rand's `lib/` (e.g. `distribution/uniformInt.d.ts`) → text. */
  readonly pureRand: Readonly<Record<string, string>>;
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
    "pure-rand/*": [`${PURE_RAND_DIR}*`],
  },
};

/** TypeScript's default library in the virtual file system. */
export const DEFAULT_LIB = LIB_DIR + "lib.es2022.d.ts";
/** Ambient declarations every program includes. */
export const GLOBALS_FILE = LIB_DIR + "globals.d.ts";

/** Compiles the editor's module; keeps the last program to reuse its library files. */
export class ModuleCompiler {
  /** The virtual file system: path → text (the module and its files change with {@link load}). */
  readonly files = new Map<string, string>();
  private readonly parsed = new Map<string, ts.SourceFile>();
  private readonly versions = new Map<string, number>();
  private readonly previous = new Map<OutputFormat, ts.Program>();
  /** The files {@link load} put in: the module first. */
  private loaded: readonly string[] = [];

  constructor(declarations: Declarations) {
    for (const [name, text] of Object.entries(declarations.libs)) this.files.set(LIB_DIR + name, text);
    for (const [name, text] of Object.entries(declarations.portals)) this.files.set(PACKAGE_DIR + name, text);
    for (const [name, text] of Object.entries(declarations.pureRand)) this.files.set(PURE_RAND_DIR + name, text);
    this.files.set(GLOBALS_FILE, GLOBALS);
  }

  /** Puts the module of `source` and its files in the file system (removing the previous ones); returns the module's file name. */
  load(source: Source): string {
    const file = `${ROOT}/${source.path ?? DEFAULT_PATH}`;
    const wanted = new Map<string, string>([[file, source.text], ...(source.files ?? []).map((f): [string, string] => [`${ROOT}/${f.path}`, f.text])]);
    for (const name of this.loaded) {
      if (!wanted.has(name)) {
        this.files.delete(name);
        this.parsed.delete(name);
      }
    }
    for (const [name, text] of wanted) {
      if (this.files.get(name) === text) continue;
      this.files.set(name, text);
      this.parsed.delete(name);
      this.versions.set(name, this.version(name) + 1);
    }
    this.loaded = [...wanted.keys()];
    return file;
  }

  /** How many times the text of file `name` changed (the language service's script version). */
  version(name: string): number {
    return this.versions.get(name) ?? 0;
  }

  /**
   * Compiles `source` (its module at a path relative to {@link ROOT}, e.g. `app.ts` or
   * `examples/ping-pong/app.ts`); never throws for problems in the text (they are in `problems`).
   * ES module output is for a module of one file (the page deploys no other).
   */
  compile(source: Source, format: OutputFormat = "commonjs"): Compiled {
    const started = performance.now();
    const file = this.load(source);
    const path = file.slice(ROOT.length + 1).replace(/\.ts$/, ".js");
    // Source maps for the runner, which names in an error line where in the module it was thrown.
    const options = format === "commonjs" ? { ...OPTIONS, sourceMap: true } : { ...OPTIONS, module: ts.ModuleKind.ES2022 };
    const old = this.previous.get(format);
    const program = ts.createProgram({ rootNames: [file, GLOBALS_FILE], options, host: this.host(), ...(old ? { oldProgram: old } : {}) });
    this.previous.set(format, program);
    const problems: Problem[] = program.getOptionsDiagnostics().map((d) => problem(d, "typescript", file));
    for (const name of this.loaded) {
      const parsed = program.getSourceFile(name);
      if (parsed !== undefined) problems.push(...[...program.getSyntacticDiagnostics(parsed), ...program.getSemanticDiagnostics(parsed)].map((d) => problem(d, "typescript", file)));
    }
    const modules: Record<string, string> = {};
    const maps: Record<string, string> = {};
    let machines = 0;
    const compiler: Problem[] = [];
    program.emit(
      undefined,
      (name, out) => {
        if (!name.startsWith(ROOT + "/")) return;
        if (name.endsWith(".js")) modules[name.slice(ROOT.length + 1)] = out;
        if (name.endsWith(".js.map")) maps[name.slice(ROOT.length + 1, -".map".length)] = out;
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
              for (const d of result.diagnostics) compiler.push(problem(d, "portals", file));
            },
          }),
        ],
      },
    );
    problems.push(...compiler);
    const failed = problems.some((p) => p.severity === "error");
    return { code: failed ? undefined : modules[path], modules: failed ? {} : modules, maps: failed ? {} : maps, path, problems, machines, ms: performance.now() - started };
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

/** TypeScript's "Top-level 'await' expressions are only allowed when the 'module' option is …": options the page's user does not set. */
const TOP_LEVEL_AWAIT = 1378;

function problem(d: ts.Diagnostic, source: Problem["source"], module: string): Problem {
  const message =
    d.code === TOP_LEVEL_AWAIT
      ? "top-level await is not available in the playground (a module runs as CommonJS in its worker): await inside an async function or an operator instead"
      : ts.flattenDiagnosticMessageText(d.messageText, "\n");
  const severity = d.category === ts.DiagnosticCategory.Error ? "error" : "warning";
  if (d.file === undefined || d.start === undefined) return { source, line: 1, column: 1, from: 0, to: 0, message, severity };
  const { line, character } = d.file.getLineAndCharacterOfPosition(d.start);
  const where: Problem = { source, line: line + 1, column: character + 1, from: d.start, to: d.start + (d.length ?? 0), message, severity };
  return d.file.fileName === module ? where : { ...where, file: d.file.fileName.replace(`${ROOT}/`, "") };
}
