/**
 * What the README says the main job prints: 291,190 events for a trace of 110,000, because
 * events are counted once per workflow that processes them, portal requests and replies included.
 */
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { expect, test } from "vitest";
import { Sinks } from "portals-ts";
import { shoppingCart } from "../../../examples/shopping-cart/applications.js";
import { recordedTrace } from "../../../examples/shopping-cart/files.js";
import { runExample } from "../../examples/run-example.js";
import { ROOT } from "./portals.js";

test("the shopping cart's run counts 291190 events, as the README says", () => {
  const { system } = runExample(shoppingCart(recordedTrace(), Sinks.memory()), 0);
  expect(system.stats.events).toBe(291_190);
  const readme = readFileSync(join(ROOT, "README.md"), "utf8");
  expect(readme).toContain("The main job's summary line says `291190 events`, not 110,000");
});
