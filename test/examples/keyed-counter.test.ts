import { readFileSync } from "node:fs";
import { expect, test } from "vitest";
import app from "../../examples/keyed-counter/app.js";
import { runExample } from "./run-example.js";

test("keyed-counter counts per page", () => {
  const { lines, problems } = runExample(app);
  expect(problems).toEqual([]);
  expect(lines).toEqual(["/home: 1 (last ann)", "/cart: 1 (last bob)", "/home: 2 (last bob)"]);
});

test("the README shows the keyed-counter source verbatim, and the output it states", () => {
  const readme = readFileSync(new URL("../../README.md", import.meta.url), "utf8");
  const source = readFileSync(new URL("../../examples/keyed-counter/app.ts", import.meta.url), "utf8");
  expect(readme).toContain("```ts\n" + source + "```\n");
  expect(readme).toContain("It prints `/home: 1 (last ann)`, `/cart: 1 (last bob)`, `/home: 2 (last bob)`.");
});

test("the README's first screen gives the commands for the main job and for the tests", () => {
  const firstScreen = readFileSync(new URL("../../README.md", import.meta.url), "utf8").split("\n").slice(0, 20).join("\n");
  expect(firstScreen).toContain("```sh\nnpm ci && npm start\n```");
  expect(firstScreen).toContain("```sh\nbash scripts/nats-server.sh && bash scripts/chromium.sh && bash scripts/iproute2.sh && npm ci && npm test\n```");
});

test("the README shows the previous-value source verbatim", () => {
  const readme = readFileSync(new URL("../../README.md", import.meta.url), "utf8");
  const source = readFileSync(new URL("../../examples/previous-value/app.ts", import.meta.url), "utf8");
  expect(readme).toContain("```ts\n" + source + "```\n");
});
