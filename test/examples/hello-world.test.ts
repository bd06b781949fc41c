import { expect, test } from "vitest";
import app from "../../examples/hello-world/app.js";
import { runExample } from "./run-example.js";

test("hello-world logs one greeting", () => {
  const { lines, problems, system } = runExample(app);
  expect(lines).toEqual(["Hello, World!"]);
  expect(problems).toEqual([]);
  expect(system.stats).toEqual({ steps: 4, atoms: 2, events: 1 });
});
