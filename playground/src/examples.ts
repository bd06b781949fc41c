/**
 * The examples menu: every example of the repository that runs without Node APIs, as the text of
 * its module (`examples/<name>/app.ts`, the same file `portals run` runs). An example whose
 * `app.ts` reads files has its browser form in `examples/<name>/excerpt.ts` (word count on a text
 * excerpt held in the module, the shopping cart on a generated trace), listed under the
 * example's name. The other files of its folder that the module imports (the shopping cart's
 * `cart.ts`, `inventory.ts`, …) come with it, read-only; they load when the example is chosen.
 */
import type { SourceFile } from "./compile.js";
import { resolveImport } from "./paths.js";

const modules = import.meta.glob<string>(["../../examples/*/app.ts", "../../examples/*/excerpt.ts"], { query: "?raw", import: "default", eager: true });
const others = import.meta.glob<string>(["../../examples/*/*.ts", "!../../examples/*/app.ts", "!../../examples/*/excerpt.ts"], { query: "?raw", import: "default" });

/** Examples whose `app.ts` needs Node (files, a server, NATS, a database). */
const NODE_ONLY = new Set(["word-count", "shopping-cart", "shop", "edge"]);

/** An example: its name (the folder), its module's path in the repository and its text. */
export interface Example {
  readonly name: string;
  readonly path: string;
  readonly text: string;
}

/** The examples in menu order: the tour's order first (hello world), then by name. */
export const EXAMPLES: readonly Example[] = Object.entries(modules)
  .map(([path, text]) => ({ name: path.split("/").at(-2)!, file: path.split("/").at(-1)!, text }))
  .filter((e) => e.file === "excerpt.ts" || !NODE_ONLY.has(e.name))
  .map(({ name, file, text }) => ({ name, path: `examples/${name}/${file}`, text }))
  .sort((a, b) => (a.name === "hello-world" ? -1 : b.name === "hello-world" ? 1 : a.name.localeCompare(b.name)));

/** Relative module specifiers of `text` (`from "./cart.js"`, type-only imports too: the compiler needs them). */
const RELATIVE = /\bfrom\s+["'](\.\.?\/[^"']+)["']/g;

/**
 * The files of `example`'s folder its module imports, directly or through each other, by path
 * in the repository, in the order of their paths. An import of a file that is not there is left
 * for the compiler to report.
 */
export async function exampleFiles(example: Example): Promise<SourceFile[]> {
  const found = new Map<string, string>();
  const visit = async (path: string, text: string): Promise<void> => {
    for (const [, specifier] of text.matchAll(RELATIVE)) {
      const target = resolveImport(path, specifier!).replace(/\.js$/, ".ts");
      const read = others[`../../${target}`];
      if (read === undefined || found.has(target)) continue;
      found.set(target, "");
      const imported = await read();
      found.set(target, imported);
      await visit(target, imported);
    }
  };
  await visit(example.path, example.text);
  return [...found].map(([path, text]) => ({ path, text })).sort((a, b) => a.path.localeCompare(b.path));
}
