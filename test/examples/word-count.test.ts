import { expect, test } from "vitest";
import app, { linesOf, mobyDick, tokenize, TOP } from "../../examples/word-count/app.js";
import excerpt, { LOOMINGS } from "../../examples/word-count/excerpt.js";
import { runExample } from "./run-example.js";

test("tokenize: lower-case words of letters with inner apostrophes", () => {
  expect(tokenize("Call me Ishmael. Some years ago—never mind how long")).toEqual([
    "call", "me", "ishmael", "some", "years", "ago", "never", "mind", "how", "long",
  ]);
  expect(tokenize("The whale's jaw; 'tis don’t 'em' rock-a-bye 1851 Œuvre")).toEqual([
    "the", "whale's", "jaw", "tis", "don't", "em", "rock", "a", "bye", "œuvre",
  ]);
  expect(tokenize("-- 42 ''")).toEqual([]);
});

test("the dataset is the full book: 139 sections, streamed as 139 atoms of non-empty lines", () => {
  const sections = mobyDick();
  expect(sections).toHaveLength(139);
  expect(sections[3]!.title).toBe("Loomings.");
  expect(sections.every((s) => linesOf(s).length > 0)).toBe(true);
});

test("the excerpt (the playground's word count) is the start of chapter 1, counted by the same workflows", () => {
  expect(linesOf(LOOMINGS)).toEqual(linesOf(mobyDick()[3]!).slice(0, 4));
  const counts = new Map<string, number>();
  for (const word of tokenize(LOOMINGS.text)) counts.set(word, (counts.get(word) ?? 0) + 1);
  const expected = [...counts]
    .sort((a, b) => b[1] - a[1] || (a[0] < b[0] ? -1 : 1))
    .slice(0, TOP)
    .map(([word, n]) => `${word} ${n}`);
  const { lines, problems } = runExample(excerpt);
  expect(problems).toEqual([]);
  expect(lines).toEqual(expected);
  expect(lines.slice(0, 2)).toEqual(["the 29", "of 18"]);
});

test("word-count prints the 20 most frequent words of Moby-Dick with the counts of a plain Map", () => {
  // The expected result, computed directly from the same text.
  const counts = new Map<string, number>();
  let total = 0;
  for (const section of mobyDick()) {
    for (const word of tokenize(section.text)) {
      counts.set(word, (counts.get(word) ?? 0) + 1);
      total++;
    }
  }
  const expected = [...counts]
    .sort((a, b) => b[1] - a[1] || (a[0] < b[0] ? -1 : 1))
    .slice(0, TOP)
    .map(([word, n]) => `${word} ${n}`);

  const { lines, problems, system } = runExample(app);
  expect(problems).toEqual([]);
  expect(lines).toEqual(expected);
  expect(lines).toHaveLength(20);
  // Pinned, so that a change of the text or the tokenizer shows up here too.
  expect(lines.slice(0, 3)).toEqual(["the 14427", "of 6607", "and 6429"]);
  expect(lines.slice(13, 15)).toEqual(["is 1722", "with 1722"]); // a tie, alphabetical
  // Every word went through both workflows: the lines into `count`, then one event per word into `top`.
  const lineCount = mobyDick().reduce((n, s) => n + linesOf(s).length, 0);
  expect(system.stats.events).toBe(lineCount + total);
  expect(system.stats.atoms).toBe(2 * (139 + 1));
});
