/**
 * Finding the file and line of a syntax error that made an `import()` fail. Node 20 reports a
 * syntax error of an ES module it imports without either (`SyntaxError: Unexpected end of
 * input`, a stack of its own frames only), and says where only when the error kills the
 * process. So the CLI asks a child process, which parses without running anything:
 *
 *   node --experimental-vm-modules syntax-check.js <entry>
 *
 * It parses the entry and the relative imports it reaches (`vm.SourceTextModule`, which links
 * nothing and evaluates nothing; CommonJS files through `vm.compileFunction`; of TypeScript files
 * only the imports are read), and for the first
 * file that does not parse asks `node --check` for the line, since `vm` does not give it either.
 * It prints `{ "file", "line", "message" }` as JSON, or nothing when every file parses.
 */
import { spawnSync } from "node:child_process";
import { existsSync, readFileSync } from "node:fs";
import { createRequire } from "node:module";
import { dirname, join, resolve } from "node:path";
import { fileURLToPath, pathToFileURL } from "node:url";
import vm from "node:vm";

/** Where a syntax error is. */
export interface SyntaxErrorSite {
  /** Absolute path of the file. */
  readonly file: string;
  /** 1-based line, when Node says it. */
  readonly line?: number;
  /** V8's message, e.g. `Unexpected end of input`. */
  readonly message: string;
}

/** Files parsed at most: the search runs only after an import failed, and must end quickly. */
const LIMIT = 2000;

/**
 * Runs the search for `entry` in a child process (see the module header); `undefined` when it
 * finds nothing, cannot run, or takes longer than `timeoutMs`.
 */
export function findSyntaxError(entry: string, timeoutMs = 10_000): SyntaxErrorSite | undefined {
  const self = fileURLToPath(import.meta.url);
  // Run from source (under tsx), the child needs tsx's hooks to load this file too.
  const hooks = self.endsWith(".ts") ? process.execArgv : [];
  const child = spawnSync(process.execPath, [...hooks, "--experimental-vm-modules", "--no-warnings", self, entry], { encoding: "utf8", timeout: timeoutMs });
  try {
    return child.stdout.trim() === "" ? undefined : (JSON.parse(child.stdout) as SyntaxErrorSite);
  } catch {
    return undefined;
  }
}

/** The first file reachable from `entry` (breadth first) that does not parse, with its line. */
function search(entry: string): SyntaxErrorSite | undefined {
  const queue = [resolve(entry)];
  const seen = new Set(queue);
  for (let i = 0; i < queue.length && i < LIMIT; i++) {
    const file = queue[i]!;
    let imports: readonly string[];
    try {
      imports = parse(file);
    } catch (thrown) {
      if (!(thrown instanceof SyntaxError)) continue;
      return { file, ...lineOf(file), message: thrown.message };
    }
    for (const specifier of imports) {
      if (!/^\.{1,2}\//.test(specifier) && !specifier.startsWith("file:")) continue; // packages are not the user's to fix
      let target = fileURLToPath(new URL(specifier, pathToFileURL(file)));
      // As the Node hook resolves it: `./x.js` is `./x.ts` when only the TypeScript file exists.
      if (!existsSync(target) && /\.[cm]?js$/.test(target)) target = target.replace(/js$/, "ts");
      if (!seen.has(target) && SOURCE.test(target) && existsSync(target)) {
        seen.add(target);
        queue.push(target);
      }
    }
  }
  return undefined;
}

const SOURCE = /\.[cm]?[jt]s$/;

/**
 * Parses `file` as Node would load it and returns its static import specifiers. TypeScript is
 * not parsed (the Node hook reports its syntax errors, with their lines, when it compiles it);
 * only its imports are read, with TypeScript's import scanner.
 *
 * @throws SyntaxError when it does not parse
 */
function parse(file: string): readonly string[] {
  const source = readFileSync(file, "utf8");
  if (/\.[cm]?ts$/.test(file)) {
    const ts = createRequire(file)("typescript") as { preProcessFile(text: string, imports: boolean, js: boolean): { importedFiles: { fileName: string }[] } };
    return ts.preProcessFile(source, true, true).importedFiles.map((f) => f.fileName);
  }
  if (isCommonJs(file)) {
    vm.compileFunction(source, ["exports", "require", "module", "__filename", "__dirname"], { filename: file });
    return [];
  }
  // The constructor only parses: nothing is linked or evaluated.
  const module = new vm.SourceTextModule(source, { identifier: pathToFileURL(file).href });
  return module.dependencySpecifiers;
}

/** Whether Node loads `file` as CommonJS: `.cjs`, or `.js` in a package that is not `"type": "module"`. */
function isCommonJs(file: string): boolean {
  if (file.endsWith(".cjs")) return true;
  if (file.endsWith(".mjs")) return false;
  for (let dir = dirname(file); ; dir = dirname(dir)) {
    const manifest = join(dir, "package.json");
    if (existsSync(manifest)) {
      try {
        return (JSON.parse(readFileSync(manifest, "utf8")) as { type?: unknown }).type !== "module";
      } catch {
        return true;
      }
    }
    if (dirname(dir) === dir) return true;
  }
}

/** The line `node --check` reports for `file` (its first line of output is `<file>:<line>`). */
function lineOf(file: string): { line?: number } {
  const check = spawnSync(process.execPath, ["--check", file], { encoding: "utf8", timeout: 10_000 });
  const line = /:(\d+)\s*$/m.exec(check.stderr.split("\n")[0] ?? "")?.[1];
  return line === undefined ? {} : { line: Number(line) };
}

// Run as the child process: `node --experimental-vm-modules syntax-check.js <entry>`.
if (process.argv[1] !== undefined && resolve(process.argv[1]) === fileURLToPath(import.meta.url) && process.argv[2] !== undefined) {
  const site = search(process.argv[2]);
  if (site !== undefined) process.stdout.write(JSON.stringify(site) + "\n");
}
