import { expect, test } from "vitest";
import { PortalsApp, Systems } from "portals-ts";

test("smoke", () => {
  const lines: string[] = [];
  const app = PortalsApp("a", (app) => {
    const g = app.generators.fromRange(0, 128, 8);
    app.workflows<number, number>("w").source(g.stream).identity()
      .withOnNext((x, ctx) => ctx.emit(-x))
      .withOnAtomComplete((ctx) => ctx.emit(1))
      .withOnComplete((ctx) => ctx.emit(2))
      .logger().sink().freeze();
  });
  const s = Systems.test({ seed: 1, log: (l) => lines.push(l) });
  s.launch(app);
  s.stepUntilComplete();
  expect(lines.length).toBe(145);
  console.log(lines.slice(0, 12).join(" "), "...", lines.slice(-3).join(" "));
});
