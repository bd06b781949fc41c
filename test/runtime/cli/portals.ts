/**
 * Running the `portals` CLI as a user does, in a child process: from source under tsx (tsx
 * resolves `portals-ts` to the sources through tsconfig paths), or built (`dist/`, which
 * `npm test` builds first), as an installed package runs. Each gives the exit code, stdout and
 * stderr.
 */
import { execFile } from "node:child_process";
import { existsSync } from "node:fs";
import { createRequire } from "node:module";
import { join } from "node:path";
import { fileURLToPath, pathToFileURL } from "node:url";

/** The repository's root, with a trailing slash. */
export const ROOT = fileURLToPath(new URL("../../..", import.meta.url));

/** tsx's hooks, by URL: `--import tsx` would resolve tsx from the working directory, which may be outside the repository. */
const TSX = pathToFileURL(createRequire(import.meta.url).resolve("tsx")).href;

/** What a run of the CLI did. */
export interface Result {
  readonly code: number;
  readonly stdout: string;
  readonly stderr: string;
}

/** Options of a run: working directory (default the repository) and extra environment. */
export interface RunIn {
  readonly cwd?: string;
  readonly env?: Readonly<Record<string, string>>;
}

/** Runs `node args…` and collects its result; at most 60 s. */
function node(args: readonly string[], options: RunIn): Promise<Result> {
  return new Promise((resolve) => {
    execFile(process.execPath, args, { cwd: options.cwd ?? ROOT, env: { ...process.env, ...options.env }, timeout: 60_000 }, (error, stdout, stderr) => {
      resolve({ code: error === null ? 0 : Number(error.code), stdout, stderr });
    });
  });
}

/** Runs `portals ...args` from source (under tsx) in the repository. */
export function portals(...args: string[]): Promise<Result> {
  return portalsIn({}, ...args);
}

/** Runs `portals ...args` from source (under tsx) with `options`. */
export function portalsIn(options: RunIn, ...args: string[]): Promise<Result> {
  return node(["--import", TSX, join(ROOT, "runtime/cli/main.ts"), ...args], options);
}

/** Runs the built `portals` (`dist/runtime/cli/main.js`) with `options`. */
export function builtPortals(options: RunIn, ...args: string[]): Promise<Result> {
  const main = join(ROOT, "dist/runtime/cli/main.js");
  if (!existsSync(main)) throw new Error("dist/ is not built: run `npm run build` first (npm test does)");
  return node([main, ...args], options);
}

/** The summary line: `done: <steps> steps, <atoms> atoms, <events> events, <s> s, <n> events/s`. */
export const SUMMARY = /^done: (\d+) steps, (\d+) atoms, (\d+) events, \d+\.\d{3} s, \d+ events\/s\n$/;
