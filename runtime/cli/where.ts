/**
 * Where in the user's code something went wrong: the first frame of a thrown value's stack that
 * is neither Node's nor a package's nor portals-ts's own. The CLI enables source maps before it
 * loads a module (`main.ts`), so for TypeScript compiled by the Node hook, or built `.js` with
 * its maps, the frame names the user's `.ts` line.
 */
import { existsSync } from "node:fs";
import { dirname, isAbsolute, join, relative, sep } from "node:path";
import { fileURLToPath } from "node:url";

/** `    at name (location)` or `    at location`, location `file:line:column`. */
const FRAME = /^\s*at (?:async )?(?:.*? \()?(.+?):(\d+):(\d+)\)?$/;

/**
 * The folders of portals-ts's own code, built and source (with source maps enabled, frames of the
 * built code point at the sources): frames there are the framework calling the user's code, not
 * the place to fix.
 */
const OWN = ((): string[] => {
  let root = fileURLToPath(new URL(".", import.meta.url));
  while (!existsSync(join(root, "package.json")) && dirname(root) !== root) root = dirname(root);
  return ["runtime", "compiler", "dist/runtime", "dist/compiler-cjs"].map((dir) => join(root, dir) + sep);
})();

/**
 * The first frame of `thrown`'s stack in the user's code, as `file:line:column` (the file relative
 * to `cwd` when it is inside it), or `undefined` when the stack has none (not an error, no stack,
 * or only Node's, packages' and portals-ts's frames).
 */
export function userFrame(thrown: unknown, cwd = process.cwd()): string | undefined {
  const stack = (thrown as { stack?: unknown } | null)?.stack;
  if (typeof stack !== "string") return undefined;
  for (const line of stack.split("\n")) {
    const match = FRAME.exec(line);
    if (match === null) continue;
    const file = fileOf(match[1]!);
    if (file === undefined || file.includes(`${sep}node_modules${sep}`) || OWN.some((dir) => file.startsWith(dir))) continue;
    return `${shown(file, cwd)}:${match[2]}:${match[3]}`;
  }
  return undefined;
}

/** The path of a frame's location, or `undefined` for Node's internals and code without a file. */
function fileOf(location: string): string | undefined {
  if (location.startsWith("file://")) return fileURLToPath(location);
  return isAbsolute(location) ? location : undefined;
}

/** `file` relative to `cwd` when it is inside it, else as it is. */
export function shown(file: string, cwd = process.cwd()): string {
  const path = relative(cwd, file);
  return path === "" || path.startsWith("..") || isAbsolute(path) ? file : path;
}
