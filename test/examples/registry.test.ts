import { expect, test } from "vitest";
import { ApplicationError, PortalsApp, Systems } from "portals-ts";
import apps, { restock, warehouse } from "../../examples/registry/app.js";
import { ask, script, valueOf } from "../support/machines.js";
import { runExample } from "./run-example.js";

test("registry: the default export is the two applications, warehouse first", () => {
  expect(apps.map((a) => a.name)).toEqual(["warehouse", "restock"]);
  expect(apps).toEqual([warehouse, restock]);
});

test("registry: restock reads the warehouse's levels, reorders through its sequencer and adds a split to its splitter", () => {
  const { lines, problems, system } = runExample(apps);
  expect(problems).toEqual([]);
  expect(lines).toEqual([
    'stock {"item":"apple","level":5}',
    'stock {"item":"pear","level":3}',
    'stock {"item":"apple","level":1}',
    'stock {"item":"pear","level":2}',
    'reorder {"item":"apple","delta":10}',
    'stock {"item":"apple","level":11}',
    "running low: apple (1)",
    "running low: pear (2)",
    'stock {"item":"pear","level":0}',
    'reorder {"item":"pear","delta":10}',
    'stock {"item":"pear","level":10}',
    "sold out: pear",
  ]);
  expect(system.applications).toEqual(["/warehouse", "/restock"]);
});

test("registry: without the warehouse, restock cannot be launched, and the error names the missing parts", () => {
  const system = Systems.test({ seed: 1, log: () => {} });
  const fix = "which no launched application defines; launch the application that defines it first (launched: none)";
  let thrown: unknown;
  try {
    system.launch(restock);
  } catch (e) {
    thrown = e;
  }
  expect(thrown).toBeInstanceOf(ApplicationError);
  expect((thrown as ApplicationError).problems).toEqual([
    `/restock/splits/low needs splitter /warehouse/splitters/levels, ${fix}`,
    `/restock/connections/$1 needs sequencer /warehouse/sequencers/changes, ${fix}`,
    `/restock/workflows/reorder needs stream /warehouse/workflows/stock/stream, ${fix}`,
  ]);
  expect(system.applications).toEqual([]);
});

test("registry: the warehouse's stock portal answers with the current level (asked by a hand-written machine)", () => {
  const { lines, system } = runExample(apps);
  const before = lines.length;
  system.launch(
    PortalsApp("auditor", (app) => {
      const stock = app.registry.portals.get<string, number>("/warehouse/portals/stock");
      app
        .workflows<string, string>("audit")
        .source(app.generators.fromArray(["apple", "pear", "plum"]).stream)
        .asker(
          stock,
          script("registry.test#audit", [
            (l, ctx) => ask(ctx, stock, l.args[0] as string),
            (l, ctx, input) => ctx.emit(`${l.args[0]}: ${valueOf(input)}`),
          ]) as never,
        )
        .logger("audit ")
        .sink()
        .freeze();
    }),
  );
  system.stepUntilComplete(10_000);
  expect(system.canStep()).toBe(false);
  expect(lines.slice(before)).toEqual(["audit apple: 11", "audit pear: 10", "audit plum: 0"]);
});
