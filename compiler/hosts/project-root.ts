/**
 * The directory machine ids are relative to (docs/compiler.md, "Machine identity"): the package
 * of the file, i.e. the nearest directory with a `package.json` from the file's directory up,
 * else the filesystem root. Never the working directory or a bundler's root: ids are what a
 * snapshot finds continuations' code by, so every host must compute the same one.
 */
import { existsSync } from "node:fs";
import { dirname, join } from "node:path";

const roots = new Map<string, string>();

/** The package directory of the file `fileName`. */
export function projectRoot(fileName: string): string {
  return rootOfDirectory(dirname(fileName));
}

function rootOfDirectory(dir: string): string {
  let root = roots.get(dir);
  if (root !== undefined) return root;
  const parent = dirname(dir);
  if (existsSync(join(dir, "package.json"))) root = dir;
  else root = parent === dir ? dir : rootOfDirectory(parent);
  roots.set(dir, root);
  return root;
}
