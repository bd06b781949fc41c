/**
 * Workload 6: transform time per file, over the examples (`examples/<name>/app.ts`) and the
 * compiler fixtures (`test/compiler/fixtures/<case>/input.ts`). Every file is compiled on its
 * own, several times, and the median is kept; the rate is files per second over the mean of
 * those medians, p50/p99 are over the files.
 *
 * Group `transform-transpile` (syntax only, what the Vite plugin and the Node hook do):
 * - `portals`: `ts.transpileModule` with the portals transformer in `before`, with the options
 *   of `compiler/hosts/transpile.ts` (ESNext module, ES2022 target, source map).
 * - `plain`: the same `transpileModule` without the transformer.
 *
 * Group `transform-program` (with a type checker, what tspc does):
 * - `portals`: one `ts.Program` over all the files with the options of `tsconfig.json` (emit on,
 *   declarations and source maps as configured); each file is emitted with
 *   `program.emit(file, ..., { before: [transformer] })` after the measured files were type
 *   checked once (program creation and that check are reported, not measured per file).
 * - `plain`: the same emit without the transformer.
 *
 * For the `portals` variants the time spent inside the transformer itself is also measured per
 * file ("self"), by wrapping the transformer the host receives.
 */
import { readdirSync } from "node:fs";
import { join } from "node:path";
import * as ts from "typescript";
import { createTransformer } from "../../compiler/core/transform.js";
import { ROOT } from "../lib/compile.js";
import type { FileRunnable, FileTask } from "../lib/types.js";

/** The files compiled by this workload, relative to the root, sorted. */
export function transformFiles(): string[] {
  const dirs = (path: string): string[] =>
    readdirSync(join(ROOT, path), { withFileTypes: true })
      .filter((d) => d.isDirectory())
      .map((d) => d.name)
      .sort();
  return [
    ...dirs("examples").map((d) => `examples/${d}/app.ts`),
    ...dirs("test/compiler/fixtures").map((d) => `test/compiler/fixtures/${d}/input.ts`),
  ];
}

/** The portals transformer, wrapped to time each file it transforms and count its machines. */
function timedTransformer(): { factory: ts.TransformerFactory<ts.SourceFile>; self: () => number; machines: () => number } {
  let self = 0;
  let machines = 0;
  const inner = createTransformer(ts, { root: ROOT, onFile: (_file, result) => void (machines = result.machines) });
  const factory: ts.TransformerFactory<ts.SourceFile> = (context) => {
    const transform = inner(context);
    return (file) => {
      const start = performance.now();
      try {
        return transform(file);
      } finally {
        self = performance.now() - start;
      }
    };
  };
  return { factory, self: () => self, machines: () => machines };
}

function readSource(name: string): string {
  return ts.sys.readFile(join(ROOT, name)) ?? "";
}

function transpileTasks(withPortals: boolean): FileTask[] {
  return transformFiles().map((name) => {
    const source = readSource(name);
    const fileName = join(ROOT, name);
    const timed = withPortals ? timedTransformer() : undefined;
    const options: ts.TranspileOptions = {
      fileName,
      compilerOptions: { module: ts.ModuleKind.ESNext, target: ts.ScriptTarget.ES2022, sourceMap: true, inlineSources: true },
      ...(timed ? { transformers: { before: [timed.factory] } } : {}),
    };
    return {
      name,
      run: () => {
        ts.transpileModule(source, options);
        return timed?.machines() ?? 0;
      },
      ...(timed ? { selfTime: timed.self } : {}),
    };
  });
}

/** One program over all the files, type checked, shared by the variants of this process. */
interface Checked {
  readonly program: ts.Program;
  readonly sources: readonly ts.SourceFile[];
  readonly info: Record<string, number>;
}
let checked: Checked | undefined;

function checkedProgram(names: readonly string[]): Checked {
  if (checked !== undefined) return checked;
  const started = performance.now();
  const config = ts.getParsedCommandLineOfConfigFile(join(ROOT, "tsconfig.json"), {}, {
    ...ts.sys,
    onUnRecoverableConfigFileDiagnostic: (d) => {
      throw new Error(ts.flattenDiagnosticMessageText(d.messageText, "\n"));
    },
  });
  if (config === undefined) throw new Error("cannot read tsconfig.json");
  const options: ts.CompilerOptions = { ...config.options, noEmit: false };
  const program = ts.createProgram(names.map((n) => join(ROOT, n)), options);
  const created = performance.now();
  const sources = names.map((name) => {
    const file = program.getSourceFile(join(ROOT, name));
    if (file === undefined) throw new Error(`${name} is not in the program`);
    return file;
  });
  // Type check the measured files (what they use of the runtime is checked on the way).
  let diagnostics = 0;
  for (const file of sources) diagnostics += program.getSyntacticDiagnostics(file).length + program.getSemanticDiagnostics(file).length;
  const done = performance.now();
  checked = {
    program,
    sources,
    info: {
      programFiles: program.getSourceFiles().length,
      createProgramMs: Math.round(created - started),
      typeCheckMs: Math.round(done - created),
      diagnostics,
    },
  };
  return checked;
}

function programTasks(withPortals: boolean): FileRunnable {
  const names = transformFiles();
  const { program, sources, info } = checkedProgram(names);
  const ignore: ts.WriteFileCallback = () => {};
  const files = names.map((name, i): FileTask => {
    const file = sources[i]!;
    const timed = withPortals ? timedTransformer() : undefined;
    const transformers: ts.CustomTransformers | undefined = timed ? { before: [timed.factory] } : undefined;
    return {
      name,
      run: () => {
        const result = program.emit(file, ignore, undefined, false, transformers);
        if (result.emitSkipped) throw new Error(`${name}: emit skipped`);
        return timed?.machines() ?? 0;
      },
      ...(timed ? { selfTime: timed.self } : {}),
    };
  });
  return { kind: "files", files, info };
}

export function transform(group: "transpile" | "program", variant: string): FileRunnable {
  if (variant !== "portals" && variant !== "plain") throw new Error(`transform: unknown variant ${variant}`);
  const withPortals = variant === "portals";
  if (group === "transpile") return { kind: "files", files: transpileTasks(withPortals), info: { typescript: ts.version } };
  return programTasks(withPortals);
}
