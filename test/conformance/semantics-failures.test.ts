/**
 * docs/semantics.md, rule 10 (failures), and the output of a serving workflow after its end.
 */
import { describe, expect, test } from "vitest";
import { OperatorError, PortalsApp, Systems, type LogMeta } from "portals-ts";
import { ask, script, valueOf } from "../support/machines.js";

describe("rule 10: an exception fails the atom's remaining events for that task, travels downstream and is reported", () => {
  test("the failed atom carries an OperatorError downstream; later atoms still run", () => {
    const logs: { line: string; meta: LogMeta }[] = [];
    const seen: OperatorError[] = [];
    const system = Systems.test({ seed: 1, log: (line, meta) => logs.push({ line, meta }) });
    system.launch(
      PortalsApp("err", (app) => {
        const g = app.generators.fromArrayOfArrays([[1, 2, 3], [4, 5]]);
        const first = app
          .workflows<number, number>("first")
          .source(g.stream)
          .key((x) => x * 10)
          .map((x) => {
            if (x === 2) throw new Error("two is bad");
            return x;
          })
          .withName("picky")
          .logger("first ")
          .sink()
          .freeze();
        app
          .workflows<number, number>("second")
          .source(first.stream)
          .logger("second ")
          .withOnError((e) => {
            seen.push(e);
          })
          .withOnAtomComplete((ctx) => ctx.log.info("second |"))
          .sink()
          .freeze();
      }),
    );
    system.stepUntilComplete();
    const info = logs.filter((l) => l.meta.level === "info").map((l) => l.line);
    expect(info.filter((l) => l.startsWith("first"))).toEqual(["first 1", "first 4", "first 5"]);
    expect(info.filter((l) => l.startsWith("second"))).toEqual(["second 1", "second |", "second 4", "second 5", "second |"]);
    const errors = logs.filter((l) => l.meta.level === "error");
    expect(errors).toHaveLength(1);
    expect(errors[0]!.meta).toEqual({ level: "error", workflow: "/err/workflows/first", task: "picky", key: 20 });
    expect(errors[0]!.line).toBe("workflow /err/workflows/first, task picky, key 20: two is bad");
    expect(seen).toHaveLength(1);
    expect(seen[0]).toBeInstanceOf(OperatorError);
    expect(seen[0]!.cause).toBeInstanceOf(Error);
    expect([seen[0]!.workflow, seen[0]!.task, seen[0]!.key]).toEqual(["/err/workflows/first", "picky", 20]);
  });
});

test("a serving workflow's output ends with its input; events it emits while serving later requests are dropped with one warning", () => {
  const lines: string[] = [];
  const warnings: string[] = [];
  const system = Systems.test({ log: (line, meta) => void (meta.level === "warn" ? warnings.push(line) : lines.push(line)) });
  system.launch(
    PortalsApp("svc", (app) => {
      const portal = app.portal<number, number>("double");
      const served = app
        .workflows<number, number>("server")
        .source(app.generators.fromArray([1]).stream)
        .replier(
          portal,
          (x, ctx) => ctx.emit(x),
          (x, ctx) => {
            ctx.emit(x * 100);
            ctx.reply(x * 2);
          },
        )
        .sink()
        .freeze();
      app.workflows<number, number>("downstream").source(served.stream).logger("down ").withOnComplete((ctx) => ctx.log.info("down ended")).sink().freeze();
    }),
  );
  system.stepUntilComplete();
  system.launch(
    PortalsApp("late", (app) => {
      const portal = app.registry.portals.get<number, number>("/svc/portals/double");
      app
        .workflows<number, never>("ask")
        .source(app.generators.fromArray([3, 4]).stream)
        .asker(portal, script("test#late", [(l, ctx) => ask(ctx, portal, l.args[0] as number), (l, ctx, input) => ctx.log.info(`reply ${valueOf(input)}`)]) as never)
        .sink()
        .freeze();
    }),
  );
  system.stepUntilComplete();
  expect(lines).toEqual(["down 1", "down ended", "reply 6", "reply 8"]);
  expect(warnings).toEqual([
    "workflow /svc/workflows/server emitted 2 event(s) while serving a portal after its output stream ended; they are dropped (and so are later ones). To keep emitting after the input ends, feed the workflow through a sequencer, whose stream does not end",
  ]);
});
