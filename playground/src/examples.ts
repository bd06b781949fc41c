/**
 * The examples menu: every example of the repository that runs without Node APIs, as the text of
 * its module (`examples/<name>/app.ts`, the same file `portals run` runs). An example whose
 * `app.ts` reads files has its browser form in `examples/<name>/excerpt.ts` (word count: the
 * same workflows on a text excerpt held in the module), listed under the example's name.
 */
const modules = import.meta.glob<string>(["../../examples/*/app.ts", "../../examples/*/excerpt.ts"], { query: "?raw", import: "default", eager: true });

/** Examples whose `app.ts` needs Node (files, a server, NATS, a database). */
const NODE_ONLY = new Set(["word-count", "shopping-cart", "sql-kv", "shop", "edge"]);

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
