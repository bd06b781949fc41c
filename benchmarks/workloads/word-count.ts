/**
 * Workload 3: word count over the full text of Moby-Dick (`examples/word-count`). Rate: words
 * per second (the tokens of the book, the same count for both variants).
 *
 * - `portals`: the example application as is (tokenize → key by word → per-key counter →
 *   top 20 at the end of the stream), launched into a fresh `Systems.test` per iteration, with
 *   a log writer that keeps the 20 lines.
 * - `map`: a direct count over the same lines with the same `tokenize` into one `Map`, then the
 *   same `topWords`.
 *
 * The book is loaded and split into lines before the measurement (it is the same for both).
 */
import { Systems } from "portals-ts";
import app, { linesOf, mobyDick, tokenize, TOP, topWords } from "../../examples/word-count/app.js";
import type { Runnable } from "../lib/types.js";

function countWords(sections: readonly string[][]): number {
  let n = 0;
  for (const lines of sections) for (const line of lines) n += tokenize(line).length;
  return n;
}

/** The example application; returns its output lines (the top 20). */
function runApp(): string {
  const lines: string[] = [];
  const system = Systems.test({ seed: 1, log: (line, meta) => void (meta.level === "info" ? lines.push(line) : process.stderr.write(`${line}\n`)) });
  system.launch(app);
  system.stepUntilComplete();
  return lines.join("\n");
}

/** Direct baseline; returns the same lines as the application. */
function countDirect(sections: readonly string[][]): string {
  const counts = new Map<string, number>();
  for (const lines of sections) {
    for (const line of lines) {
      for (const word of tokenize(line)) counts.set(word, (counts.get(word) ?? 0) + 1);
    }
  }
  return topWords(counts, TOP)
    .map(([word, n]) => `${word} ${n}`)
    .join("\n");
}

export function wordCount(variant: string): Runnable {
  const sections = mobyDick().map(linesOf);
  const units = countWords(sections);
  switch (variant) {
    case "portals":
      return { kind: "runnable", units, run: runApp };
    case "map":
      return { kind: "runnable", units, run: () => countDirect(sections) };
    default:
      throw new Error(`word-count: unknown variant ${variant}`);
  }
}
