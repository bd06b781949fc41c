import { expect, test } from "vitest";
import app from "../../examples/operator-tour/app.js";
import { runExample } from "./run-example.js";

test("operator-tour: every operator and hook shows in the output, stage by stage per atom", () => {
  const { lines, problems } = runExample(app);
  expect(problems).toEqual([]);
  expect(lines).toEqual([
    // atom 1: "a cat sees a dog"
    "flatMap: a",
    "flatMap: cat",
    "flatMap: sees",
    "flatMap: a",
    "flatMap: dog",
    "filter: cat",
    "filter: sees",
    "filter: dog",
    "map: CAT",
    "map: SEES",
    "map: DOG",
    "processor: CAT (key CAT, seen 1)",
    "processor: SEES (key SEES, seen 1)",
    "processor: DOG (key DOG, seen 1)",
    "init: #1 CAT (key CAT, seen 1)",
    "init: #2 SEES (key SEES, seen 1)",
    "init: #3 DOG (key DOG, seen 1)",
    "hooks: #1 CAT (key CAT, seen 1)!",
    "hooks: #2 SEES (key SEES, seen 1)!",
    "hooks: #3 DOG (key DOG, seen 1)!",
    "hooks: (atom complete)",
    // atom 2: "the dog sees the cat": per-key counts go on, per-task numbering too
    "flatMap: the",
    "flatMap: dog",
    "flatMap: sees",
    "flatMap: the",
    "flatMap: cat",
    "filter: dog",
    "filter: sees",
    "filter: cat",
    "map: DOG",
    "map: SEES",
    "map: CAT",
    "processor: DOG (key DOG, seen 2)",
    "processor: SEES (key SEES, seen 2)",
    "processor: CAT (key CAT, seen 2)",
    "init: #4 DOG (key DOG, seen 2)",
    "init: #5 SEES (key SEES, seen 2)",
    "init: #6 CAT (key CAT, seen 2)",
    "hooks: #4 DOG (key DOG, seen 2)!",
    "hooks: #5 SEES (key SEES, seen 2)!",
    "hooks: #6 CAT (key CAT, seen 2)!",
    "hooks: (atom complete)",
    // end of the stream: onComplete, never onAtomComplete for the seal
    "hooks: (stream complete)",
  ]);
});
