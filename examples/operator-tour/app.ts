/**
 * A tour of the workflow operators: every stage logs what it emits, so the output shows each
 * operator at work. Two atoms of text lines flow through
 *
 *   flatMap (lines → words) → filter (drop "a" and "the") → map (upper case) → key (by word)
 *   → processor (per-key counter; shows the key) → init (a numbering task built at launch,
 *   with per-task state) → identity with the hooks withOnNext (adds "!"), withOnAtomComplete
 *   and withOnComplete (emit a marker after each atom and at the end) → logger
 *
 * Inside a workflow a task finishes a whole atom before the next task sees it (docs/semantics.md, rule 2), so
 * the lines of one atom come stage by stage.
 */
import { PortalsApp, Tasks } from "portals-ts";

/** The input: one inner array per atom, one text line per event. */
export const LINES: readonly (readonly string[])[] = [
  ["a cat sees a dog"],
  ["the dog sees the cat"],
];

export default PortalsApp("operator-tour", (app) => {
  const lines = app.generators.fromArrayOfArrays(LINES, { name: "lines" });
  app
    .workflows<string, string>("tour")
    .source(lines.stream)
    .flatMap((line) => line.split(" "))
    .logger("flatMap: ")
    .filter((word) => word !== "a" && word !== "the")
    .logger("filter: ")
    .map((word) => word.toUpperCase())
    .logger("map: ")
    .key((word) => word)
    .processor<string>((word, ctx) => {
      const seen = ctx.perKey("seen", 0);
      seen.set(seen.get() + 1);
      ctx.emit(`${word} (key ${ctx.key}, seen ${seen.get()})`);
    })
    .logger("processor: ")
    .init<string>((ctx) => {
      // Runs once when the workflow is instantiated; the task it returns handles the events.
      const numbered = ctx.perTask("numbered", 0);
      return Tasks.map((text: string) => {
        numbered.set(numbered.get() + 1);
        return `#${numbered.get()} ${text}`;
      });
    })
    .logger("init: ")
    .identity()
    .withOnNext((text, ctx) => ctx.emit(`${text}!`))
    // Events emitted by the hooks come after the atom's events (docs/semantics.md, rule 1).
    .withOnAtomComplete((ctx) => ctx.emit("(atom complete)"))
    .withOnComplete((ctx) => ctx.emit("(stream complete)"))
    .logger("hooks: ")
    .sink()
    .freeze();
});
