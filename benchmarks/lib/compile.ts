/**
 * Compiles the benchmark modules that hold async operators (`workloads/*-ops.ts`) through the
 * project's transformer, exactly as the Vite plugin and the Node hook do
 * (`compiler/hosts/transpile.ts`), into `.cache/bench/<name>.mjs`. Bare and relative imports of
 * the output are pointed at the repository's `.ts` sources, which the child process loads with
 * tsx, so the compiled module shares one instance of the runtime with the rest of the child.
 *
 * The orchestrator compiles before it starts the children (TypeScript is then not loaded in the
 * children, where it would inflate their memory); `run-one.ts` compiles on its own only when it
 * is started by hand and the output is missing or older than its source.
 */
import { mkdirSync, readFileSync, statSync, writeFileSync } from "node:fs";
import { dirname, join, relative, resolve } from "node:path";
import { fileURLToPath, pathToFileURL } from "node:url";

export const ROOT = resolve(dirname(fileURLToPath(import.meta.url)), "../..");
const OUT = join(ROOT, ".cache/bench");

/** Modules with async operators that the workloads import compiled. */
export const COMPILED_MODULES = [
  "benchmarks/workloads/portal-ops.ts",
  "benchmarks/workloads/resume-ops.ts",
  "benchmarks/workloads/snapshot-ops.ts",
  // The shopping cart's asker (workload 11); the example's other modules have no async operator.
  "examples/shopping-cart/cart.ts",
] as const;

/**
 * The SQL benchmark's modules (`benchmarks/sql.ts` compiles them itself): the table of
 * portals-ts/sql, whose query task is an async asker-replier, and the benchmark's application,
 * which imports the table's compiled form (see `target`).
 */
export const SQL_MODULES = ["runtime/sql/table.ts", "benchmarks/sql/ops.ts"] as const;

/** Sources whose compiled output an import of them from another compiled module gets. */
const COMPILED = new Set<string>([...COMPILED_MODULES, ...SQL_MODULES]);

const ALIASES: Record<string, string> = {
  "portals-ts": "runtime/index.ts",
  "portals-ts/machine": "runtime/machine.ts",
  "portals-ts/testing": "runtime/testing/index.ts",
  "portals-ts/sql": "runtime/sql/index.ts",
};

/**
 * Path of the compiled output of `source` (relative to the repository root): `.cache/bench/`
 * plus its path inside `benchmarks/`, or its whole path for a module elsewhere (an example).
 */
export function compiledPath(source: string): string {
  const inside = source.startsWith("benchmarks/") ? relative("benchmarks", source) : source;
  return join(OUT, inside.replace(/\.ts$/, ".mjs"));
}

function fresh(source: string): boolean {
  try {
    return statSync(compiledPath(source)).mtimeMs >= statSync(join(ROOT, source)).mtimeMs;
  } catch {
    return false;
  }
}

/**
 * Compiles `sources` (paths relative to the root) unless their outputs are up to date; returns
 * the number of machines emitted per file.
 *
 * @throws Error with the compiler's diagnostics when a file does not compile
 */
export async function compileModules(sources: readonly string[] = COMPILED_MODULES, force = false): Promise<Map<string, number>> {
  const done = new Map<string, number>();
  const todo = sources.filter((s) => force || !fresh(s));
  if (todo.length === 0) return done;
  // TypeScript is CommonJS: its module object is the default export.
  const module = await import("typescript");
  const ts = (module.default ?? module) as unknown as typeof module;
  const { transpile } = await import("../../compiler/hosts/transpile.js");
  for (const source of todo) {
    const file = join(ROOT, source);
    const out = transpile(ts, readFileSync(file, "utf8"), file, ROOT);
    if (out.errors.length > 0) throw new Error(`cannot compile ${source}:\n${out.errors.join("\n")}`);
    if (out.machines === 0) throw new Error(`${source}: the portals transformer compiled no operator`);
    const code = out.code.replace(/(\bfrom\s*|\bimport\s*\(\s*)"([^"]+)"/g, (_m, lead: string, spec: string) => `${lead}"${target(spec, file)}"`);
    const path = compiledPath(source);
    mkdirSync(dirname(path), { recursive: true });
    writeFileSync(path, `// Compiled from ${source} by benchmarks/lib/compile.ts; do not edit.\n${code}`);
    done.set(source, out.machines);
  }
  return done;
}

function target(spec: string, importer: string): string {
  const alias = ALIASES[spec];
  if (alias !== undefined) return pathToFileURL(join(ROOT, alias)).href;
  if (spec.startsWith("./") || spec.startsWith("../")) {
    const source = resolve(dirname(importer), spec.replace(/\.js$/, ".ts"));
    // A module compiled here imports the compiled form of another (the SQL benchmark's app, the table).
    const inRoot = relative(ROOT, source);
    return pathToFileURL(COMPILED.has(inRoot) ? compiledPath(inRoot) : source).href;
  }
  return spec;
}

/** Imports the compiled form of `source`, compiling it first if needed. */
export async function importCompiled<M>(source: (typeof COMPILED_MODULES)[number] | (typeof SQL_MODULES)[number]): Promise<M> {
  await compileModules([source]);
  return (await import(pathToFileURL(compiledPath(source)).href)) as M;
}
